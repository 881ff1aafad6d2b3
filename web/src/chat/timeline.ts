/** The loaded part of one conversation's history and the rows the message pane draws from it. */
import type { ChatEvent, UserRef } from '@/api/chat';

export interface Timeline {
  events: ChatEvent[];
  loaded: boolean;
  /** The oldest event is loaded. */
  atStart: boolean;
  /** The loaded events reach the newest held one; live events are appended. */
  atEnd: boolean;
  loadingOlder: boolean;
  loadingNewer: boolean;
  /** Seq to scroll to and highlight (a search hit, a pinned message). */
  focusSeq: number | null;
  /** Bumped on every reload, so the pane knows to jump rather than keep its scroll position. */
  version: number;
}

export function emptyTimeline(): Timeline {
  return { events: [], loaded: false, atStart: false, atEnd: false, loadingOlder: false, loadingNewer: false, focusSeq: null, version: 0 };
}

/** Union by seq, ascending; for the same seq the incoming copy wins (it was read later). */
export function mergeEvents(existing: ChatEvent[], incoming: ChatEvent[]): ChatEvent[] {
  if (!incoming.length) return existing;
  const bySeq = new Map<number, ChatEvent>();
  for (const e of existing) bySeq.set(e.seq, e);
  for (const e of incoming) {
    const prev = bySeq.get(e.seq);
    // A recall seen earlier stays applied even if a page read before it arrives later.
    bySeq.set(e.seq, prev?.recalled && !e.recalled ? { ...e, recalled: true, content: {}, html: null } : e);
  }
  let out = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  for (const e of incoming) if (e.kind === 'recall') out = applyRecall(out, e);
  return out;
}

/** Marks the target of a recall event as recalled (content emptied), as later reads would show it. */
export function applyRecall(events: ChatEvent[], recall: ChatEvent): ChatEvent[] {
  const target = recall.content.target_seq;
  const targetId = recall.content.target_id;
  let changed = false;
  const out = events.map((e) => {
    if ((target != null && e.seq === target) || (targetId && e.id === targetId)) {
      if (e.recalled) return e;
      changed = true;
      return { ...e, recalled: true, content: {}, html: null, quote: null };
    }
    return e;
  });
  return changed ? out : events;
}

/** Seq ranges missing between the first and last loaded event: [from, to] inclusive. */
export function holes(events: ChatEvent[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 1; i < events.length; i++) {
    const a = events[i - 1].seq;
    const b = events[i].seq;
    if (b > a + 1) out.push([a + 1, b - 1]);
  }
  return out;
}

/** Local calendar day of a timestamp, as `YYYY-MM-DD`. */
export function dayKey(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export type Row =
  | { type: 'day'; key: string; at: number }
  | { type: 'system'; key: string; event: ChatEvent }
  | { type: 'recalled'; key: string; event: ChatEvent; by: UserRef | null }
  | { type: 'message'; key: string; event: ChatEvent; own: boolean; continued: boolean };

/** Messages from the same sender closer than this are drawn as one block (no repeated avatar/name). */
export const CONTINUE_MS = 3 * 60 * 1000;

/**
 * Turns events into rows: a day separator where the day changes, system lines, recalled lines
 * (the recall event itself is not drawn: its target turns into the line, or, when the target is not
 * loaded, the recall event stands in for it), and messages marked `continued` when they follow the
 * same sender's message within CONTINUE_MS.
 */
export function buildRows(events: ChatEvent[], me: string): Row[] {
  const rows: Row[] = [];
  const recalledBy = new Map<number, UserRef | null>();
  const loaded = new Set(events.map((e) => e.seq));
  for (const e of events) if (e.kind === 'recall' && e.content.target_seq != null) recalledBy.set(e.content.target_seq, e.content.by ?? null);
  let lastDay = '';
  let prev: ChatEvent | null = null;
  for (const e of events) {
    if (e.kind === 'recall' && e.content.target_seq != null && loaded.has(e.content.target_seq)) continue;
    const day = dayKey(e.at);
    if (day !== lastDay) {
      rows.push({ type: 'day', key: `day-${day}`, at: e.at });
      lastDay = day;
      prev = null;
    }
    if (e.kind === 'system') {
      rows.push({ type: 'system', key: `e-${e.seq}`, event: e });
      prev = null;
    } else if (e.kind === 'recall') {
      rows.push({ type: 'recalled', key: `e-${e.seq}`, event: e, by: e.content.by ?? null });
      prev = null;
    } else if (e.recalled) {
      rows.push({ type: 'recalled', key: `e-${e.seq}`, event: e, by: recalledBy.get(e.seq) ?? null });
      prev = null;
    } else {
      const continued =
        !!prev && prev.sender.kind === e.sender.kind && (prev.sender.userid ?? prev.sender.name) === (e.sender.userid ?? e.sender.name) && e.at - prev.at < CONTINUE_MS;
      rows.push({ type: 'message', key: `e-${e.seq}`, event: e, own: isOwn(e, me), continued });
      prev = e;
    }
  }
  return rows;
}

export function isOwn(e: ChatEvent, me: string): boolean {
  return e.sender.kind === 'member' && !!me && e.sender.userid === me;
}
