import { describe, expect, it } from 'vitest';
import { SeqStream, resumeMap } from '@/chat/stream';

const e = (seq: number) => ({ seq, id: `e${seq}` });
const seqs = (list: { seq: number }[]) => list.map((x) => x.seq);

describe('SeqStream: order and exactly once', () => {
  it('applies consecutive events at once', () => {
    const s = new SeqStream(4);
    expect(seqs(s.offer(e(5)).apply)).toEqual([5]);
    expect(seqs(s.offer(e(6)).apply)).toEqual([6]);
    expect(s.held).toBe(6);
  });

  it('drops duplicates and anything at or below the held seq', () => {
    const s = new SeqStream(10);
    expect(s.offer(e(10)).apply).toEqual([]);
    expect(s.offer(e(3)).apply).toEqual([]);
    expect(seqs(s.offer(e(11)).apply)).toEqual([11]);
    expect(s.offer(e(11)).apply).toEqual([]);
    expect(s.classify(11)).toBe('duplicate');
    expect(s.held).toBe(11);
  });

  it('ignores events without a valid seq', () => {
    const s = new SeqStream(1);
    expect(s.offer({ seq: 0 }).apply).toEqual([]);
    expect(s.offer({ seq: 2.5 }).apply).toEqual([]);
    expect(s.held).toBe(1);
  });

  it('buffers out-of-order events and releases them in order', () => {
    const s = new SeqStream(0);
    expect(s.offer(e(2))).toMatchObject({ apply: [], gap: true });
    expect(s.offer(e(3)).apply).toEqual([]);
    expect(s.buffered).toBe(2);
    const r = s.offer(e(1));
    expect(seqs(r.apply)).toEqual([1, 2, 3]);
    expect(r.gap).toBe(false);
    expect(s.held).toBe(3);
  });

  it('does not buffer the same out-of-order event twice', () => {
    const s = new SeqStream(0);
    s.offer(e(3));
    s.offer(e(3));
    expect(s.buffered).toBe(1);
    expect(seqs(s.fill([e(1), e(2)]))).toEqual([1, 2, 3]);
  });
});

describe('SeqStream: gaps', () => {
  it('reports where to fetch a hole from', () => {
    const s = new SeqStream(7);
    expect(s.gapAfter()).toBeNull();
    s.offer(e(10));
    expect(s.classify(9)).toBe('gap');
    expect(s.gapAfter()).toBe(7);
  });

  it('fills a hole from a fetched page that overlaps what is held and buffered', () => {
    const s = new SeqStream(7);
    s.offer(e(10));
    s.offer(e(11));
    // GET …/events?after=7 answers 6..10 (server may repeat): only 8, 9 are new; 10, 11 follow from the buffer.
    const applied = s.fill([e(9), e(8), e(10), e(7), e(6)]);
    expect(seqs(applied)).toEqual([8, 9, 10, 11]);
    expect(s.gapAfter()).toBeNull();
    expect(s.held).toBe(11);
  });

  it('keeps waiting when the fetched page does not reach the buffered events', () => {
    const s = new SeqStream(0);
    s.offer(e(5));
    expect(seqs(s.fill([e(1), e(2)]))).toEqual([1, 2]);
    expect(s.gapAfter()).toBe(2);
    expect(seqs(s.fill([e(3), e(4)]))).toEqual([3, 4, 5]);
  });

  it('skips ahead when the hole is wider than maxGap (resume sends only the newest events)', () => {
    const s = new SeqStream(10, 500);
    const r = s.offer(e(1000));
    expect(r.jumped).toBe(true);
    expect(seqs(r.apply)).toEqual([1000]);
    expect(seqs(s.offer(e(1001)).apply)).toEqual([1001]);
    expect(s.offer(e(999)).apply).toEqual([]);
  });

  it('continues from the buffer when the server has nothing for the hole', () => {
    const s = new SeqStream(3);
    s.offer(e(6));
    s.offer(e(7));
    expect(seqs(s.skipHole())).toEqual([6, 7]);
    expect(s.held).toBe(7);
    expect(s.skipHole()).toEqual([]);
  });

  it('advanceTo raises the held seq and drops what it covers', () => {
    const s = new SeqStream(1);
    s.offer(e(4));
    s.offer(e(6));
    expect(seqs(s.advanceTo(4))).toEqual([]);
    expect(s.buffered).toBe(1);
    expect(seqs(s.offer(e(5)).apply)).toEqual([5, 6]);
  });
});

describe('SeqStream: reconnect and resume', () => {
  it('applies the replay after a reconnect once, even when live events had already arrived', () => {
    const s = new SeqStream(20);
    // Before the drop: 21 arrived. The connection dies; 22..24 are committed meanwhile.
    s.offer(e(21));
    // After reconnecting, resume({c: 21}) replays 22..24; a stale duplicate of 21 is harmless.
    const applied = [e(21), e(22), e(23), e(24)].flatMap((x) => s.offer(x).apply);
    expect(seqs(applied)).toEqual([22, 23, 24]);
    // A live event that the old connection delivered late is dropped.
    expect(s.offer(e(23)).apply).toEqual([]);
    expect(s.held).toBe(24);
  });

  it('builds the resume frame from every stream', () => {
    const streams = new Map([
      ['a', new SeqStream(3)],
      ['b', new SeqStream(0)],
    ]);
    streams.get('a')!.offer(e(4));
    expect(resumeMap(streams)).toEqual({ a: 4, b: 0 });
  });
});
