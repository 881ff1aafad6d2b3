/**
 * Notifications on the client: what a `notify` frame shows (in-app toast, browser notification), the
 * summary line of a `digest`, the unread count in the page title, the "mentioned me" marker from the
 * server's flag, and the helpers of the notification settings form.
 */
import type { ChatEvent, Conversation, ConvMember } from '@/api/chat';
import type { Digest, NotifyFrame, QuietHours, WorkingHours } from '@/api/attention';
import type { ConvExtras } from './conversations';

type Translate = (key: string, params?: Record<string, unknown>) => string;

/**
 * The @ marker of a conversation from the server's `mentioned` / `mentioned_all` flags. The server
 * knows about every unread message, the client only about those it has seen; a conversation object
 * older than what this client applied keeps the local marker.
 */
export function mentionFromServer(c: Conversation, local: ConvExtras, localLastSeq: number): ConvExtras {
  if (c.mentioned == null || localLastSeq > c.last_seq) return local;
  if (!c.mentioned) return { mentionSeq: 0, mentionAll: false };
  // A precise local seq above the read position stays; otherwise "somewhere up to last_seq".
  if (local.mentionSeq > c.read_seq && local.mentionSeq <= c.last_seq) return { ...local, mentionAll: !!c.mentioned_all };
  return { mentionSeq: c.last_seq, mentionAll: !!c.mentioned_all };
}

/** "(3) 消息 · 企协": the unread count in front of the page title, replacing an earlier one. */
export function titleWithUnread(title: string, unread: number): string {
  const base = title.replace(/^\(\d+\+?\) /, '');
  if (unread <= 0) return base;
  return `(${unread > 99 ? '99+' : unread}) ${base}`;
}

/** "休息期间收到 12 条消息，来自 3 个会话" (and how many mention me). */
export function digestSummary(d: Digest, t: Translate): string {
  const line = t('attention.digest.summary', { n: d.total, c: d.conversations });
  return d.mentions > 0 ? `${line}${t('attention.digest.mentions', { n: d.mentions })}` : line;
}

/** Title and body of a notification: the conversation (or sender) and who said what. */
export function notifyContent(f: NotifyFrame, conv: Conversation | null | undefined, convName: string | null, t: Translate): { title: string; body: string } {
  const direct = !conv || conv.kind === 'direct';
  const name = convName || f.sender.name || t('attention.notify.someone');
  const tag = f.kind === 'urgent' ? t('attention.notify.urgentTag') : f.mention === 'me' ? t('attention.notify.mentionMe', { at: '@' }) : f.mention === 'all' ? t('attention.notify.mentionAll', { at: '@' }) : '';
  const text = f.text || t('attention.notify.newMessage');
  const body = direct || !f.sender.name ? text : `${f.sender.name}: ${text}`;
  return { title: tag ? `${tag} ${name}` : name, body };
}

/** Whether a notification shows in the page: not for the conversation being read, unless urgent. */
export function shouldToast(f: NotifyFrame, readingConv: string | null): boolean {
  return f.kind === 'urgent' || f.conv !== readingConv;
}

/** Whether the browser's own notification is used: the page is hidden and the user allowed it. */
export function shouldUseBrowserNotification(hidden: boolean, permission: string | undefined): boolean {
  return hidden && permission === 'granted';
}

/** "周一至周五" for a run of days, else "周一、周三、周六". */
export function formatDays(days: number[], t: Translate): string {
  const sorted = [...new Set(days)].filter((d) => d >= 1 && d <= 7).sort((a, b) => a - b);
  if (!sorted.length) return t('attention.days.none');
  if (sorted.length === 7) return t('attention.days.every');
  const name = (d: number) => t(`attention.day.${d}`);
  const run = sorted.length > 2 && sorted[sorted.length - 1] - sorted[0] === sorted.length - 1;
  if (run) return t('attention.days.range', { from: name(sorted[0]), to: name(sorted[sorted.length - 1]) });
  return sorted.map(name).join(t('attention.days.sep'));
}

/** "周一至周五 09:00–18:00". */
export function describeWorkingHours(w: WorkingHours, t: Translate): string {
  return `${formatDays(w.days, t)} ${w.start}–${w.end}`;
}

/** "on until 18:30" / "on until turned off" / "off" for quiet hours seen by the member or an administrator. */
export function describeDnd(q: QuietHours, t: Translate, clock: (ms: number) => string): string {
  if (!q.dnd.on) return t('attention.dnd.offState');
  return q.dnd.until ? t('attention.dnd.until', { time: clock(q.dnd.until) }) : t('attention.dnd.untilOff');
}

/** Minutes after midnight of "HH:MM", or null. */
export function parseTime(s: string): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s.trim());
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || h * 60 + min > 24 * 60) return null;
  return h * 60 + min;
}

/** What is wrong with working hours, as a translation key, or null. */
export function workingHoursError(w: WorkingHours): string | null {
  if (!w.days.length) return 'attention.error.days';
  const start = parseTime(w.start);
  const end = parseTime(w.end);
  if (start == null || end == null) return 'attention.error.time';
  if (start >= end) return 'attention.error.order';
  return null;
}

export type DndPreset = 'off' | '1h' | '2h' | 'tomorrow' | 'forever';
export const DND_PRESETS: DndPreset[] = ['1h', '2h', 'tomorrow', 'forever'];

/** The do-not-disturb request of a preset: `tomorrow` ends at 09:00 the next day (local time). */
export function dndFromPreset(p: DndPreset, now: number): { on: boolean; until?: number | null } {
  switch (p) {
    case 'off':
      return { on: false };
    case '1h':
      return { on: true, until: now + 3600_000 };
    case '2h':
      return { on: true, until: now + 2 * 3600_000 };
    case 'tomorrow': {
      const d = new Date(now);
      d.setDate(d.getDate() + 1);
      d.setHours(9, 0, 0, 0);
      return { on: true, until: d.getTime() };
    }
    default:
      return { on: true, until: null };
  }
}

/**
 * Who an urgent request may name: members other than me who were in the conversation when the
 * message was sent and have not read it (members' `read_seq` below its seq).
 */
export function unreadRecipients(members: ConvMember[], seq: number, me: string): ConvMember[] {
  return members.filter((m) => m.userid !== me && (m.read_seq ?? 0) < seq);
}

/** Whether the message is my own text or file message that can be made urgent. */
export function canMakeUrgent(e: { kind: string; recalled?: boolean; sender: { kind: string; userid?: string | null } }, me: string, readOnly: boolean): boolean {
  return !readOnly && e.kind === 'message' && !e.recalled && e.sender.kind === 'member' && e.sender.userid === me;
}

/** Whether a message is an automatic reply (自动回复). */
export function isAutoReply(e: Pick<ChatEvent, 'type' | 'content'>): boolean {
  return e.type === 'text' && e.content?.auto_reply === true;
}

/** A moment near now: "18:30" today, else "9/22 09:00" (local time). */
export function formatWhen(ms: number, now: number): string {
  const d = new Date(ms);
  const n = new Date(now);
  const pad = (x: number) => String(x).padStart(2, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const sameDay = d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate();
  return sameDay ? time : `${d.getMonth() + 1}/${d.getDate()} ${time}`;
}
