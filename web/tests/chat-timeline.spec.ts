import { describe, expect, it } from 'vitest';
import { applyRecall, buildRows, dayKey, holes, mergeEvents } from '@/chat/timeline';
import { ev } from './chatFixtures';

const seqs = (list: { seq: number }[]) => list.map((x) => x.seq);

describe('timeline merge', () => {
  it('unions by seq in ascending order; the later copy wins', () => {
    const a = [ev(1), ev(3)];
    const b = [ev(2), ev(3, { pinned: true })];
    const out = mergeEvents(a, b);
    expect(seqs(out)).toEqual([1, 2, 3]);
    expect(out[2].pinned).toBe(true);
  });

  it('returns the same array when nothing comes in', () => {
    const a = [ev(1)];
    expect(mergeEvents(a, [])).toBe(a);
  });

  it('applies recall events to their targets, also when the recall arrives first', () => {
    const recall = ev(5, { kind: 'recall', type: null, content: { target_id: 'e2', target_seq: 2, by: { userid: 'lisi', name: '李四' } } });
    const out = mergeEvents([ev(1), ev(2)], [recall]);
    expect(out[1]).toMatchObject({ seq: 2, recalled: true, content: {} });
    // An older page read before the recall must not bring the text back.
    const again = mergeEvents(out, [ev(2)]);
    expect(again[1].recalled).toBe(true);
    expect(again[1].content).toEqual({});
  });

  it('applyRecall leaves the list alone when the target is not loaded', () => {
    const list = [ev(7)];
    expect(applyRecall(list, ev(9, { kind: 'recall', content: { target_seq: 3 } }))).toBe(list);
  });

  it('finds holes between loaded events', () => {
    expect(holes([ev(1), ev(2), ev(5), ev(6), ev(9)])).toEqual([
      [3, 4],
      [7, 8],
    ]);
    expect(holes([])).toEqual([]);
  });
});

describe('rows', () => {
  const day1 = new Date(2024, 2, 5, 10, 0).getTime();
  const day2 = new Date(2024, 2, 6, 9, 0).getTime();

  it('puts a day separator where the day changes', () => {
    const rows = buildRows([ev(1, { at: day1 }), ev(2, { at: day1 + 1000 }), ev(3, { at: day2 })], 'me');
    expect(rows.map((r) => r.type)).toEqual(['day', 'message', 'message', 'day', 'message']);
    expect(dayKey(day1)).toBe('2024-03-05');
  });

  it('groups a sender’s messages within three minutes and marks own messages', () => {
    const rows = buildRows(
      [
        ev(1, { at: day1 }),
        ev(2, { at: day1 + 60_000 }),
        ev(3, { at: day1 + 10 * 60_000 }),
        ev(4, { at: day1 + 11 * 60_000, sender: { kind: 'member', userid: 'me', name: '我' } }),
      ],
      'me',
    ).filter((r) => r.type === 'message');
    expect(rows.map((r) => (r.type === 'message' ? [r.continued, r.own] : null))).toEqual([
      [false, false],
      [true, false],
      [false, false],
      [false, true],
    ]);
  });

  it('draws system lines and turns a recalled target into one line (the recall itself is not drawn twice)', () => {
    const events = mergeEvents(
      [],
      [
        ev(1, { at: day1, kind: 'system', type: null, content: { code: 'created', params: {} } }),
        ev(2, { at: day1 }),
        ev(3, { at: day1, kind: 'recall', type: null, content: { target_seq: 2, target_id: 'e2', by: { userid: 'lisi', name: '李四' } } }),
      ],
    );
    const rows = buildRows(events, 'me');
    expect(rows.map((r) => r.type)).toEqual(['day', 'system', 'recalled']);
    const rec = rows[2];
    expect(rec.type === 'recalled' && rec.by?.userid).toBe('lisi');
  });

  it('shows the recall event itself when its target is not loaded', () => {
    const rows = buildRows([ev(9, { at: day1, kind: 'recall', content: { target_seq: 2, by: { userid: 'x', name: 'X' } } })], 'me');
    expect(rows.map((r) => r.type)).toEqual(['day', 'recalled']);
  });
});
