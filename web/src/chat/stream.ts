/**
 * Per-conversation ordering of the event stream (docs/api/realtime.md): every event is applied
 * exactly once and strictly in `seq` order. Pure bookkeeping, no I/O: the caller fetches a gap
 * with `GET …/events?after=held` and feeds the answer back through `fill`.
 */

export interface Sequenced {
  seq: number;
}

export interface OfferResult<E> {
  /** Events to apply now, in order (possibly several when the event closed a gap). */
  apply: E[];
  /** True while events are buffered behind a hole: fetch `events?after=held`. */
  gap: boolean;
  /** True when the hole was too large to fill and the stream skipped ahead (reload the timeline). */
  jumped: boolean;
}

export class SeqStream<E extends Sequenced> {
  private heldSeq: number;
  private readonly buffer = new Map<number, E>();
  /** Holes wider than this are not fetched event by event: the stream skips to the new event. */
  readonly maxGap: number;

  constructor(held = 0, maxGap = 500) {
    this.heldSeq = Math.max(0, held);
    this.maxGap = maxGap;
  }

  /** The highest seq applied; the value to send in `resume` and to ask `events?after=`. */
  get held(): number {
    return this.heldSeq;
  }

  /** Events waiting behind a hole. */
  get buffered(): number {
    return this.buffer.size;
  }

  /** Classifies one event without changing anything. */
  classify(seq: number): 'duplicate' | 'next' | 'gap' {
    if (seq <= this.heldSeq || this.buffer.has(seq)) return 'duplicate';
    return seq === this.heldSeq + 1 ? 'next' : 'gap';
  }

  /** Offers one event from the socket (or from an ack). */
  offer(e: E): OfferResult<E> {
    if (!Number.isInteger(e.seq) || e.seq <= 0) return { apply: [], gap: this.buffer.size > 0, jumped: false };
    const kind = this.classify(e.seq);
    if (kind === 'duplicate') return { apply: [], gap: this.buffer.size > 0, jumped: false };
    let jumped = false;
    if (kind === 'gap' && e.seq - this.heldSeq - 1 > this.maxGap) {
      // Too far behind (the server sends only the newest 500 on resume): skip ahead.
      const lowest = Math.min(e.seq, ...this.buffer.keys());
      this.heldSeq = lowest - 1;
      for (const k of [...this.buffer.keys()]) if (k <= this.heldSeq) this.buffer.delete(k);
      jumped = true;
    }
    this.buffer.set(e.seq, e);
    const apply = this.drain();
    return { apply, gap: this.buffer.size > 0, jumped };
  }

  /** Feeds a fetched page (any order, may overlap what is held); returns what became applicable. */
  fill(events: E[]): E[] {
    for (const e of events) {
      if (Number.isInteger(e.seq) && e.seq > this.heldSeq && !this.buffer.has(e.seq)) this.buffer.set(e.seq, e);
    }
    return this.drain();
  }

  /** Where a gap fetch should start, or null when nothing waits. */
  gapAfter(): number | null {
    return this.buffer.size ? this.heldSeq : null;
  }

  /** Raises the held seq without events (e.g. a fresh conversation object says the stream starts there). */
  advanceTo(seq: number): E[] {
    if (seq > this.heldSeq) {
      this.heldSeq = seq;
      for (const k of [...this.buffer.keys()]) if (k <= seq) this.buffer.delete(k);
    }
    return this.drain();
  }

  /**
   * The server has nothing to fill the hole with (the missing seqs are not visible to this member):
   * continues from the lowest buffered event.
   */
  skipHole(): E[] {
    if (!this.buffer.size) return [];
    this.heldSeq = Math.min(...this.buffer.keys()) - 1;
    return this.drain();
  }

  private drain(): E[] {
    const out: E[] = [];
    for (;;) {
      const next = this.buffer.get(this.heldSeq + 1);
      if (!next) break;
      this.buffer.delete(next.seq);
      this.heldSeq = next.seq;
      out.push(next);
    }
    return out;
  }
}

/** The `convs` map of a `resume` frame. */
export function resumeMap(streams: Map<string, { held: number }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [id, s] of streams) out[id] = s.held;
  return out;
}
