/**
 * Sentences and short texts for events: system lines ("李四 加入了群聊") built from `code` and
 * `params` in the reader's language, recall lines, list previews, times and file sizes.
 * `t` is vue-i18n's translate function (passed in, so the functions stay pure and testable).
 */
import type { ChatEvent, Conversation, EventContent, UserRef } from '@/api/chat';
import { type NameOf, plainText } from './mentions';

export type Translate = (key: string, named?: Record<string, unknown>) => string;

export const SYSTEM_CODES = [
  'created',
  'member_joined',
  'member_left',
  'member_removed',
  'renamed',
  'owner_changed',
  'admin_added',
  'admin_removed',
  'announcement',
  'settings',
  'pinned',
  'unpinned',
  'archived',
  'dissolved',
  'robot_added',
] as const;

/** A person in params: `{userid, name}` or a bare userid. */
export function personOf(v: unknown): UserRef | null {
  if (!v) return null;
  if (typeof v === 'string') return { userid: v, name: v };
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    const userid = typeof o.userid === 'string' ? o.userid : '';
    const name = typeof o.name === 'string' && o.name ? o.name : userid;
    if (userid || name) return { userid, name };
  }
  return null;
}

/** The people a system event is about: `users` (or `members`, `userids`, `user`, `target`). */
export function peopleOf(params: Record<string, unknown>): UserRef[] {
  for (const key of ['users', 'members', 'userids']) {
    const v = params[key];
    if (Array.isArray(v)) return v.map(personOf).filter((p): p is UserRef => !!p);
  }
  for (const key of ['user', 'target', 'member', 'to']) {
    const p = personOf(params[key]);
    if (p) return [p];
  }
  return [];
}

function who(p: UserRef | null, me: string, t: Translate, nameOf?: NameOf): string {
  if (!p) return t('chat.someone');
  if (me && p.userid === me) return t('chat.you');
  return (p.userid && nameOf?.(p.userid)) || p.name || p.userid;
}

/** The sentence for a `system` event. */
export function systemSentence(e: ChatEvent, me: string, t: Translate, nameOf?: NameOf): string {
  const c: EventContent = e.content ?? {};
  const params = (c.params ?? {}) as Record<string, unknown>;
  const actorRef = personOf(params.by ?? params.operator ?? params.actor) ?? (e.sender.kind === 'member' ? personOf(e.sender) : null);
  const actor = who(actorRef, me, t, nameOf);
  const list = peopleOf(params);
  const users = list.map((p) => who(p, me, t, nameOf)).join(t('chat.listSep'));
  // A rename carries `to` (and `from`); other codes name things with `name`.
  const named = params.to ?? params.name;
  const name = typeof named === 'string' ? named : '';
  switch (c.code) {
    case 'created':
      return t('chat.system.created', { actor });
    case 'member_joined':
      if (actorRef && list.length && !list.some((p) => p.userid === actorRef.userid)) return t('chat.system.invited', { actor, users });
      return t('chat.system.joined', { users: users || actor });
    case 'member_left':
      return t('chat.system.left', { users: users || actor });
    case 'member_removed':
      return t('chat.system.removed', { actor, users });
    case 'renamed':
      return t('chat.system.renamed', { actor, name });
    case 'owner_changed':
      return t('chat.system.ownerChanged', { users: users || actor });
    case 'admin_added':
      return t('chat.system.adminAdded', { actor, users });
    case 'admin_removed':
      return t('chat.system.adminRemoved', { actor, users });
    case 'announcement':
      return t('chat.system.announcement', { actor });
    case 'settings':
      return t('chat.system.settings', { actor });
    case 'pinned':
      return t('chat.system.pinned', { actor });
    case 'unpinned':
      return t('chat.system.unpinned', { actor });
    case 'urgent':
      return t('chat.system.urgent', { actor });
    case 'archived':
      return t('chat.system.archived', { actor });
    case 'dissolved':
      return t('chat.system.dissolved', { actor });
    case 'robot_added':
      return t('chat.system.robotAdded', { actor, robot: typeof params.robot === 'string' ? params.robot : '' });
    default:
      return t('chat.system.unknown');
  }
}

/** "张三 撤回了一条消息"; "张三 撤回了 李四 的一条消息" when someone else's message was recalled. */
export function recallSentence(by: UserRef | null, sender: UserRef | null, me: string, t: Translate, nameOf?: NameOf): string {
  const actor = by ?? sender;
  if (by && sender && by.userid && sender.userid && by.userid !== sender.userid) {
    return t('chat.recall.other', { actor: who(by, me, t, nameOf), sender: who(sender, me, t, nameOf) });
  }
  return t('chat.recall.own', { actor: who(actor, me, t, nameOf) });
}

/** Markdown source as plain text for one-line previews: `**a**` → a, `[t](u)` → t, no heading or list marks. */
export function stripMarkdown(md: string): string {
  return md
    .replace(/```[\s\S]*?```/g, (m) => m.replace(/```\w*/g, ''))
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/<\/?font[^>]*>/gi, '')
    .replace(/(\*\*|__|~~|`)/g, '')
    .replace(/^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+|\d+\.\s+)/gm, '');
}

/** A short text for a message's content: `[图片]`, `[文件] a.pdf`, the text itself… */
export function contentSummary(e: ChatEvent, t: Translate, nameOf: NameOf = () => undefined): string {
  const c = e.content ?? {};
  switch (e.type) {
    case 'text':
      return plainText(c.text ?? '', nameOf, t('chat.mentionAll')).replace(/\s+/g, ' ').trim();
    case 'markdown':
      return stripMarkdown(plainText(c.text ?? '', nameOf, t('chat.mentionAll')))
        .replace(/\s+/g, ' ')
        .trim();
    case 'image':
      return t('chat.summary.image');
    case 'file':
      return `${t('chat.summary.file')} ${c.name ?? ''}`.trim();
    case 'news':
      return `${t('chat.summary.news')} ${c.articles?.[0]?.title ?? ''}`.trim();
    case 'textcard':
      return `${t('chat.summary.card')} ${c.title ?? ''}`.trim();
    case 'template_card': {
      const main = (c.main_title as { title?: string } | undefined)?.title;
      return `${t('chat.summary.card')} ${main ?? ''}`.trim();
    }
    case 'chat_record':
      return `${t('chat.summary.record')} ${c.title ?? ''}`.trim();
    default:
      return t('chat.summary.unsupported');
  }
}

/** The one-line preview under a conversation's name in the list. */
export function previewOf(conv: Conversation, me: string, t: Translate, nameOf?: NameOf): string {
  const e = conv.last_event;
  if (!e) return '';
  if (e.kind === 'system') return systemSentence(e, me, t, nameOf);
  if (e.kind === 'recall') return recallSentence(e.content.by ?? null, null, me, t, nameOf);
  if (e.recalled) return recallSentence(null, personOf(e.sender), me, t, nameOf);
  const body = contentSummary(e, t, nameOf);
  const own = e.sender.kind === 'member' && e.sender.userid === me;
  const prefix = conv.kind !== 'direct' && !own && e.sender.name ? `${e.sender.name}: ` : '';
  return prefix + body;
}

const pad = (n: number) => String(n).padStart(2, '0');

export function clock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Whole local days between two instants (0 = same day). */
export function daysBetween(earlier: number, later: number): number {
  return Math.round((startOfDay(later) - startOfDay(earlier)) / 86400000);
}

/** Time in the conversation list: 14:20 · 昨天 · 星期二 · 3月5日 · 2023/3/5. */
export function listTime(ms: number, now: number, t: Translate): string {
  if (!ms) return '';
  const days = daysBetween(ms, now);
  const d = new Date(ms);
  if (days <= 0) return clock(ms);
  if (days === 1) return t('chat.time.yesterday');
  if (days < 7) return t(`chat.time.weekday.${d.getDay()}`);
  if (d.getFullYear() === new Date(now).getFullYear()) return t('chat.time.monthDay', { m: d.getMonth() + 1, d: d.getDate() });
  return t('chat.time.date', { y: d.getFullYear(), m: d.getMonth() + 1, d: d.getDate() });
}

/** Day separator in the message pane: 今天 · 昨天 · 3月5日 星期二 · 2023年3月5日. */
export function dayLabel(ms: number, now: number, t: Translate): string {
  const days = daysBetween(ms, now);
  const d = new Date(ms);
  if (days <= 0) return t('chat.time.today');
  if (days === 1) return t('chat.time.yesterday');
  if (d.getFullYear() === new Date(now).getFullYear()) {
    return `${t('chat.time.monthDay', { m: d.getMonth() + 1, d: d.getDate() })} ${t(`chat.time.weekday.${d.getDay()}`)}`;
  }
  return t('chat.time.longDate', { y: d.getFullYear(), m: d.getMonth() + 1, d: d.getDate() });
}

/** A message's time: 14:20 today, 昨天 14:20, 3月5日 14:20 … */
export function messageTime(ms: number, now: number, t: Translate): string {
  const days = daysBetween(ms, now);
  if (days <= 0) return clock(ms);
  return `${listTime(ms, now, t)} ${clock(ms)}`;
}

/** 1.2 MB, 340 KB, 12 B. */
export function formatBytes(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n) || n < 0) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v >= 100 ? Math.round(v) : Math.round(v * 10) / 10} ${units[i]}`;
}

/** File extension in lower case, without the dot. */
export function extensionOf(name: string | null | undefined): string {
  const m = /\.([A-Za-z0-9]{1,10})$/.exec(name ?? '');
  return m ? m[1].toLowerCase() : '';
}
