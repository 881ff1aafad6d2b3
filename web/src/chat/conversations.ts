/** How a conversation in the list changes when events and reads arrive; ordering and filtering of the list. */
import type { ChatEvent, Conversation } from '@/api/chat';
import { peopleOf } from './describe';

export interface ApplyContext {
  /** The signed-in member's userid. */
  me: string;
  /** The conversation is open, visible and focused: its events are read as they arrive. */
  reading: boolean;
}

/** Whether an event counts towards the unread badge: someone else's message. */
export function countsAsUnread(e: ChatEvent, me: string): boolean {
  return e.kind === 'message' && !(e.sender.kind === 'member' && e.sender.userid === me);
}

/** Whether an event mentions the member (by userid, or @all), from someone else. */
export function mentionsMe(e: ChatEvent, me: string): boolean {
  if (e.kind !== 'message' || e.recalled || (e.sender.kind === 'member' && e.sender.userid === me)) return false;
  return !!e.mention_all || !!e.mentions?.includes(me) || !!e.mentions?.includes('@all');
}

/** Client-side extras kept beside the server's conversation object. */
export interface ConvExtras {
  /** Highest seq that mentions me; the list shows "[有人@我]" while it is above read_seq. */
  mentionSeq: number;
  /** Whether that mention was an @all. */
  mentionAll: boolean;
}

/**
 * Applies one in-order event to a conversation's list entry: last event, activity time, last_seq,
 * unread count and the @me marker. Own messages (from any device) mean everything before was read.
 */
export function applyEventToConv(c: Conversation, x: ConvExtras, e: ChatEvent, ctx: ApplyContext): { conv: Conversation; extras: ConvExtras } {
  // A conversation object fetched after this event was committed already counts it.
  const fresh = e.seq > c.last_seq;
  const conv: Conversation = { ...c, last_seq: Math.max(c.last_seq, e.seq) };
  const extras = { ...x };
  if (!c.last_event || c.last_event.seq <= e.seq) {
    // Events arrive in order, so this one is the newest (a recall shows as "X 撤回了一条消息").
    conv.last_event = e;
    conv.last_activity_at = Math.max(c.last_activity_at || 0, e.at);
  }
  const own = e.sender.kind === 'member' && e.sender.userid === ctx.me;
  if (ctx.reading || own) {
    conv.read_seq = Math.max(conv.read_seq, e.seq);
    conv.unread = 0;
    conv.marked_unread = own ? false : conv.marked_unread;
  } else if (!fresh) {
    // Counted already.
  } else if (countsAsUnread(e, ctx.me)) {
    conv.unread = (c.unread || 0) + 1;
  } else if (e.kind === 'recall' && e.content.target_seq != null && e.content.target_seq > c.read_seq && c.unread > 0) {
    // A recalled message that was still unread no longer counts.
    conv.unread = c.unread - 1;
  }
  if (!ctx.reading && mentionsMe(e, ctx.me)) {
    extras.mentionSeq = e.seq;
    extras.mentionAll = !e.mentions?.includes(ctx.me) && (!!e.mention_all || !!e.mentions?.includes('@all'));
  }
  if (e.kind === 'recall' && e.content.target_seq === extras.mentionSeq) extras.mentionSeq = 0;
  return { conv, extras };
}

/** System events after which the conversation object is fetched again (name, settings, roles, member count). */
const CONV_CODES = new Set(['renamed', 'settings', 'announcement', 'archived', 'dissolved', 'owner_changed', 'admin_added', 'admin_removed', 'member_joined', 'member_left', 'member_removed']);
/** System events after which a loaded member list is fetched again. */
const MEMBER_CODES = new Set(['member_joined', 'member_left', 'member_removed', 'owner_changed', 'admin_added', 'admin_removed']);

/** What a system event asks of the client beyond the list entry. */
export interface SystemFollowUp {
  /** Pinned messages changed: reload them where loaded. */
  pins: boolean;
  /** An earlier message was made urgent: its seq, to show the mark. */
  urgentSeq: number | null;
  /** I left or was removed: the server follows with conv "removed", so nothing is fetched. */
  leftMe: boolean;
  /** Fetch the conversation object again. */
  conv: boolean;
  /** Reload the member list where loaded. */
  members: boolean;
}

export function systemFollowUp(e: ChatEvent, me: string): SystemFollowUp {
  const code = e.content.code ?? '';
  const params = e.content.params ?? {};
  const target = (params as { target_seq?: number }).target_seq;
  return {
    pins: code === 'pinned' || code === 'unpinned',
    urgentSeq: code === 'urgent' && target != null ? target : null,
    leftMe: (code === 'member_left' || code === 'member_removed') && peopleOf(params).some((p) => p.userid === me),
    conv: CONV_CODES.has(code),
    members: MEMBER_CODES.has(code),
  };
}

/** Applies "read up to seq" (this device or another). Returns null when the count cannot be known locally. */
export function applyReadToConv(c: Conversation, seq: number): Conversation | null {
  if (seq <= c.read_seq) return c;
  if (seq >= c.last_seq) return { ...c, read_seq: seq, unread: 0, marked_unread: false };
  return null;
}

/** Whether the @me marker still shows. */
export function hasUnreadMention(c: Conversation, x: ConvExtras | undefined): boolean {
  return !!x && x.mentionSeq > c.read_seq;
}

/** Pinned first, then by last activity (newest first); ties by id for a stable order. */
export function sortConversations(list: Conversation[]): Conversation[] {
  return [...list].sort((a, b) => {
    if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
    const d = (b.last_activity_at || 0) - (a.last_activity_at || 0);
    if (d) return d;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

/** The number shown on the badge: muted conversations show a dot instead and are not counted. */
export function badgeOf(c: Conversation): { count: number; dot: boolean } {
  const n = c.unread > 0 ? c.unread : c.marked_unread ? 1 : 0;
  if (!n) return { count: 0, dot: false };
  return c.muted ? { count: 0, dot: true } : { count: n, dot: false };
}

/** Total for the navigation badge (muted conversations excluded). */
export function totalUnread(list: Conversation[]): number {
  return list.reduce((sum, c) => sum + badgeOf(c).count, 0);
}

/** Filters by name, peer name/userid and the given pinyin initials of the name. */
export function filterConversations(list: Conversation[], q: string, initials: (name: string) => string = () => ''): Conversation[] {
  const term = q.trim().toLowerCase();
  if (!term) return list;
  return list.filter((c) => {
    const names = [c.name, c.peer?.name, c.peer?.userid, c.group_type, c.app?.name].filter(Boolean).map((s) => String(s).toLowerCase());
    if (names.some((n) => n.includes(term))) return true;
    const ini = initials(c.name);
    return !!ini && ini.startsWith(term);
  });
}

/** The name to show: a direct chat is called after the other person. */
export function convTitle(c: Conversation): string {
  if (c.kind === 'direct' && c.peer?.name) return c.peer.name;
  if (c.kind === 'app' && c.app?.name) return c.app.name;
  return c.name;
}

/** Read-only conversations: archived or dissolved groups. */
export function isReadOnly(c: Conversation): boolean {
  return c.status === 'archived' || c.status === 'dissolved';
}

export function isGroupLike(c: Conversation): boolean {
  return c.kind === 'group' || c.kind === 'department' || c.kind === 'company';
}

export function isManager(c: Conversation): boolean {
  return c.my_role === 'owner' || c.my_role === 'admin';
}

/** Whether the member may speak: mute_all lets only the owner and administrators speak. */
export function canSpeak(c: Conversation): boolean {
  if (isReadOnly(c)) return false;
  if (c.kind === 'app') return false;
  if (c.settings?.mute_all && !isManager(c)) return false;
  return true;
}

/** Whether @所有人 is offered. */
export function canMentionAll(c: Conversation): boolean {
  if (!isGroupLike(c)) return false;
  return !(c.settings?.at_all_admins_only ?? true) || isManager(c);
}

export const RECALL_WINDOW_MS = 24 * 3600 * 1000;

/** Recall rule: own messages within 24 h; group owner and administrators any message. */
export function canRecall(c: Conversation, e: ChatEvent, me: string, now: number): boolean {
  if (e.kind !== 'message' || e.recalled || isReadOnly(c)) return false;
  if (isGroupLike(c) && isManager(c)) return true;
  return e.sender.kind === 'member' && e.sender.userid === me && now - e.at < RECALL_WINDOW_MS;
}
