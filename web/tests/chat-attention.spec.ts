import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { createI18n } from 'vue-i18n';
import type { Digest, NotifyFrame } from '@/api/attention';
import {
  canMakeUrgent,
  describeDnd,
  digestSummary,
  dndFromPreset,
  formatDays,
  formatWhen,
  isAutoReply,
  mentionFromServer,
  notifyContent,
  parseTime,
  shouldToast,
  shouldUseBrowserNotification,
  titleWithUnread,
  unreadRecipients,
  workingHoursError,
} from '@/chat/attention';
import { hasUnreadMention } from '@/chat/conversations';
import { systemSentence } from '@/chat/describe';
import en from '@/i18n/en';
import zhCN from '@/i18n/zh-CN';
import { conv, ev, member } from './chatFixtures';

const attentionApi = vi.hoisted(() => ({ mine: vi.fn(), save: vi.fn(), digest: vi.fn(), dismissDigest: vi.fn() }));
vi.mock('@/api/attention', async (orig) => ({ ...(await orig<typeof import('@/api/attention')>()), attentionApi }));
const api = vi.hoisted(() => ({
  conversations: vi.fn(),
  conversation: vi.fn(),
  events: vi.fn(),
  messages: vi.fn(),
  members: vi.fn(),
  pins: vi.fn(),
  read: vi.fn(),
  updateMine: vi.fn(),
}));
vi.mock('@/api/chat', () => ({ chatApi: api }));

import { useAttentionStore } from '@/stores/attention';
import { useChatStore } from '@/stores/chat';
import { useSessionStore } from '@/stores/session';

const i18n = createI18n({ legacy: false, locale: 'zh-CN', messages: { 'zh-CN': zhCN, en }, missingWarn: false, fallbackWarn: false });
const zh = (k: string, p?: Record<string, unknown>) => i18n.global.t(k, p ?? {});
const english = (k: string, p?: Record<string, unknown>) => i18n.global.t(k, p ?? {}, { locale: 'en' });

const frame = (over: Partial<NotifyFrame> = {}): NotifyFrame => ({
  t: 'notify',
  kind: 'message',
  conv: 'c1',
  seq: 7,
  id: 'e7',
  at: 0,
  sender: { kind: 'member', userid: 'lisi', name: '李四' },
  text: '开会了',
  mention: null,
  ...over,
});

describe('attention: the mentioned flag', () => {
  it('comes from the server, not from the last message', () => {
    const none = { mentionSeq: 0, mentionAll: false };
    const c = conv({ last_seq: 9, read_seq: 4, mentioned: true });
    const x = mentionFromServer(c, none, 0);
    expect(x).toEqual({ mentionSeq: 9, mentionAll: false });
    expect(hasUnreadMention(c, x)).toBe(true);
    // Reading up to the end clears it.
    expect(hasUnreadMention({ ...c, read_seq: 9 }, x)).toBe(false);
    expect(mentionFromServer(conv({ last_seq: 9, read_seq: 4, mentioned: true, mentioned_all: true }), none, 0).mentionAll).toBe(true);
    expect(mentionFromServer(conv({ last_seq: 9, read_seq: 4, mentioned: false }), { mentionSeq: 6, mentionAll: false }, 0)).toEqual(none);
  });

  it('keeps a precise local seq, and what this client applied after the server answered', () => {
    const local = { mentionSeq: 6, mentionAll: false };
    expect(mentionFromServer(conv({ last_seq: 9, read_seq: 4, mentioned: true }), local, 9).mentionSeq).toBe(6);
    // The conversation object is older than the events applied here: it does not clear the marker.
    expect(mentionFromServer(conv({ last_seq: 5, read_seq: 4, mentioned: false }), local, 6)).toBe(local);
    // An old server without the flag changes nothing.
    expect(mentionFromServer(conv({ last_seq: 9 }), local, 0)).toBe(local);
  });
});

describe('attention: page title, summary and notifications', () => {
  it('puts the unread count in front of the title once', () => {
    expect(titleWithUnread('消息 · 企协', 3)).toBe('(3) 消息 · 企协');
    expect(titleWithUnread('(3) 消息 · 企协', 12)).toBe('(12) 消息 · 企协');
    expect(titleWithUnread('(12) 消息 · 企协', 0)).toBe('消息 · 企协');
    expect(titleWithUnread('企协', 120)).toBe('(99+) 企协');
    expect(titleWithUnread('(99+) 企协', 1)).toBe('(1) 企协');
  });

  it('summarises a digest in both languages', () => {
    const d: Digest = { at: 0, since: 0, total: 12, conversations: 3, mentions: 0, items: [] };
    expect(digestSummary(d, zh)).toBe('休息期间收到 12 条消息，来自 3 个会话');
    expect(digestSummary({ ...d, mentions: 2 }, zh)).toBe('休息期间收到 12 条消息，来自 3 个会话，其中 2 条提到你');
    expect(digestSummary(d, english)).toBe('12 messages arrived while you were away, in 3 conversations');
  });

  it('titles a notification by conversation, with who said it in groups and a tag for urgent and mentions', () => {
    const group = conv({ kind: 'group', name: '项目群' });
    expect(notifyContent(frame(), group, '项目群', zh)).toEqual({ title: '项目群', body: '李四: 开会了' });
    expect(notifyContent(frame({ mention: 'me' }), group, '项目群', zh).title).toBe('[有人@我] 项目群');
    expect(notifyContent(frame({ mention: 'all' }), group, '项目群', zh).title).toBe('[@所有人] 项目群');
    expect(notifyContent(frame({ kind: 'urgent', attempt: 2 }), group, '项目群', zh).title).toBe('[加急] 项目群');
    const direct = conv({ kind: 'direct', name: '' });
    expect(notifyContent(frame(), direct, '李四', zh)).toEqual({ title: '李四', body: '开会了' });
    // Unknown conversation: the sender's name; an image has no text.
    expect(notifyContent(frame({ text: '' }), null, null, zh)).toEqual({ title: '李四', body: '[新消息]' });
    expect(notifyContent(frame({ mention: 'me' }), group, '项目群', english).title).toBe('[@Me] 项目群');
  });

  it('does not toast the conversation being read, unless urgent; uses the browser only when hidden and allowed', () => {
    expect(shouldToast(frame(), 'c1')).toBe(false);
    expect(shouldToast(frame(), 'c2')).toBe(true);
    expect(shouldToast(frame(), null)).toBe(true);
    expect(shouldToast(frame({ kind: 'urgent' }), 'c1')).toBe(true);
    expect(shouldUseBrowserNotification(true, 'granted')).toBe(true);
    expect(shouldUseBrowserNotification(false, 'granted')).toBe(false);
    expect(shouldUseBrowserNotification(true, 'default')).toBe(false);
    expect(shouldUseBrowserNotification(true, undefined)).toBe(false);
  });
});

describe('attention: settings helpers', () => {
  it('names working days as a run or a list', () => {
    expect(formatDays([1, 2, 3, 4, 5], zh)).toBe('周一至周五');
    expect(formatDays([5, 1, 3], zh)).toBe('周一、周三、周五');
    expect(formatDays([1, 2, 3, 4, 5, 6, 7], zh)).toBe('每天');
    expect(formatDays([6, 7], english)).toBe('Sat, Sun');
    expect(formatDays([], zh)).toBe('未选择工作日');
  });

  it('checks working hours', () => {
    expect(parseTime('09:00')).toBe(540);
    expect(parseTime('24:00')).toBe(1440);
    expect(parseTime('24:30')).toBeNull();
    expect(parseTime('9am')).toBeNull();
    expect(workingHoursError({ days: [1], start: '09:00', end: '18:00' })).toBeNull();
    expect(workingHoursError({ days: [], start: '09:00', end: '18:00' })).toBe('attention.error.days');
    expect(workingHoursError({ days: [1], start: '18:00', end: '09:00' })).toBe('attention.error.order');
    expect(workingHoursError({ days: [1], start: 'x', end: '09:00' })).toBe('attention.error.time');
  });

  it('turns do-not-disturb presets into requests', () => {
    const now = new Date(2026, 8, 21, 15, 30).getTime();
    expect(dndFromPreset('1h', now)).toEqual({ on: true, until: now + 3600_000 });
    expect(dndFromPreset('forever', now)).toEqual({ on: true, until: null });
    expect(dndFromPreset('off', now)).toEqual({ on: false });
    expect(dndFromPreset('tomorrow', now).until).toBe(new Date(2026, 8, 22, 9, 0).getTime());
    const q = { time_zone: 'Asia/Shanghai', working_hours: { days: [1], start: '09:00', end: '18:00' }, quiet_now: true, next_start: null };
    expect(describeDnd({ ...q, dnd: { on: true, until: null } }, zh, () => '')).toBe('开启中，直到手动关闭');
    expect(describeDnd({ ...q, dnd: { on: true, until: now } }, zh, (ms) => formatWhen(ms, now))).toBe('开启中，至 15:30');
    expect(describeDnd({ ...q, dnd: { on: false, until: null } }, zh, () => '')).toBe('未开启');
    expect(formatWhen(new Date(2026, 8, 22, 9, 0).getTime(), now)).toBe('9/22 09:00');
  });

  it('offers urgent only on my own messages, to members who have not read them', () => {
    expect(canMakeUrgent(ev(3, { sender: { kind: 'member', userid: 'me', name: '我' } }), 'me', false)).toBe(true);
    expect(canMakeUrgent(ev(3), 'me', false)).toBe(false);
    expect(canMakeUrgent(ev(3, { sender: { kind: 'member', userid: 'me', name: '我' }, recalled: true }), 'me', false)).toBe(false);
    expect(canMakeUrgent(ev(3, { sender: { kind: 'member', userid: 'me', name: '我' } }), 'me', true)).toBe(false);
    const people = [member('me', 0), member('lisi', 5), member('wang', 2), member('zhao', 3)];
    expect(unreadRecipients(people, 3, 'me').map((m) => m.userid)).toEqual(['wang']);
  });

  it('knows an automatic reply and describes an urgent line', () => {
    expect(isAutoReply(ev(1, { content: { text: '休假中', auto_reply: true } }))).toBe(true);
    expect(isAutoReply(ev(1))).toBe(false);
    const line = ev(4, { kind: 'system', type: null, sender: { kind: 'member', userid: 'zhang', name: '张三' }, content: { code: 'urgent', params: { by: { userid: 'zhang', name: '张三' }, target_seq: 2 } } });
    expect(systemSentence(line, 'me', zh)).toBe('张三 加急了一条消息');
  });
});

describe('attention: frames through the chat store', () => {
  beforeEach(async () => {
    Object.values(api).forEach((f) => f.mockReset());
    Object.values(attentionApi).forEach((f) => f.mockReset());
    setActivePinia(createPinia());
    useSessionStore().me = { user: { userid: 'me', name: '我' } } as never;
    api.conversations.mockResolvedValue({ items: [conv({ id: 'c1', last_seq: 3, read_seq: 3 })] });
    api.events.mockResolvedValue({ items: [], last_seq: 3 });
    api.messages.mockResolvedValue({ items: [ev(1), ev(2, { sender: { kind: 'member', userid: 'me', name: '我' } }), ev(3)] });
    api.members.mockResolvedValue({ items: [] });
    api.pins.mockResolvedValue({ items: [] });
  });

  it('passes notify and digest frames to the attention store, and refreshes settings on attention', async () => {
    const chat = useChatStore();
    await chat.start();
    const attention = useAttentionStore();
    chat.handleFrame(frame({ seq: 3 }));
    chat.handleFrame(frame({ seq: 3 }));
    expect(attention.alerts).toBe(2);
    expect(attention.lastAlert?.text).toBe('开会了');
    chat.handleFrame({ t: 'digest', at: 1, since: 0, total: 4, conversations: 2, mentions: 1, items: [{ conv: 'c1', count: 4, mentions: 1 }] });
    expect(attention.digest).toMatchObject({ total: 4, conversations: 2 });
    attentionApi.dismissDigest.mockResolvedValue(undefined);
    await attention.dismissDigest();
    expect(attention.digest).toBeNull();
    expect(attentionApi.dismissDigest).toHaveBeenCalledTimes(1);
    // Settings changed on another device: reloaded only if this device shows them.
    chat.handleFrame({ t: 'attention' });
    expect(attentionApi.mine).not.toHaveBeenCalled();
    attentionApi.mine.mockResolvedValue({ quiet_now: false });
    await attention.load();
    chat.handleFrame({ t: 'attention' });
    expect(attentionApi.mine).toHaveBeenCalledTimes(2);
  });

  it('marks a message urgent when the sender makes it urgent later', async () => {
    const chat = useChatStore();
    await chat.start();
    await chat.open('c1');
    const line = ev(4, { kind: 'system', type: null, sender: { kind: 'member', userid: 'me', name: '我' }, content: { code: 'urgent', params: { target_seq: 2, target_id: 'e2' } } });
    chat.handleFrame({ t: 'event', conv: 'c1', seq: 4, event: line });
    const events = chat.timelines.c1.events;
    expect(events.find((e) => e.seq === 2)?.urgent).toBe(true);
    expect(events.find((e) => e.seq === 1)?.urgent).toBe(false);
  });
});
