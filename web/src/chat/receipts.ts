/** Read state of one's own messages, from the members' read positions (`read_seq`, kept current by `receipt` frames). */
import type { ChatEvent, Conversation, ConvMember, PersonEntry, UserRef } from '@/api/chat';

export type ReadState =
  | { mode: 'direct'; read: boolean }
  | { mode: 'on'; unread: number; total: number }
  | { mode: 'aggregate'; read: number; total: number };

/**
 * What to show under an own message: one-to-one "已读/未读"; groups "N人未读" (receipts on) or
 * "read/total 已读" (aggregate); nothing when receipts are off, for others' messages, or before the
 * member list is known.
 */
export function readState(e: ChatEvent, conv: Conversation, members: ConvMember[] | null | undefined, me: string): ReadState | null {
  if (conv.receipts === 'off' || conv.kind === 'app') return null;
  if (e.kind !== 'message' || e.recalled || e.sender.kind !== 'member' || e.sender.userid !== me) return null;
  if (!members || !members.length) return null;
  const others = members.filter((m) => m.userid !== me);
  const readers = others.filter((m) => (m.read_seq ?? 0) >= e.seq).length;
  if (conv.kind === 'direct') {
    if (!others.length) return null;
    return { mode: 'direct', read: readers > 0 };
  }
  if (conv.receipts === 'aggregate') return { mode: 'aggregate', read: readers, total: others.length };
  return { mode: 'on', unread: others.length - readers, total: others.length };
}

/** Moves one member's read position forward (a `receipt` frame). Returns the same array when nothing changed. */
export function applyReceipt(members: ConvMember[], userid: string, seq: number): ConvMember[] {
  let changed = false;
  const out = members.map((m) => {
    if (m.userid === userid && (m.read_seq ?? 0) < seq) {
      changed = true;
      return { ...m, read_seq: seq };
    }
    return m;
  });
  return changed ? out : members;
}

/** A receipts or readers entry as a person, whatever shape the server used. */
export function toPerson(p: PersonEntry, nameOf: (userid: string) => string | undefined = () => undefined): UserRef {
  if (typeof p === 'string') return { userid: p, name: nameOf(p) ?? p };
  return { ...p, name: p.name || nameOf(p.userid) || p.userid };
}
