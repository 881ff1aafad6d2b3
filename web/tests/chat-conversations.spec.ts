import { describe, expect, it } from 'vitest';
import {
  applyEventToConv,
  applyReadToConv,
  badgeOf,
  canMentionAll,
  canRecall,
  canSpeak,
  convTitle,
  filterConversations,
  hasUnreadMention,
  mentionsMe,
  sortConversations,
  systemFollowUp,
  totalUnread,
} from '@/chat/conversations';
import { conv, ev } from './chatFixtures';

const none = { mentionSeq: 0, mentionAll: false };
const mine = { kind: 'member' as const, userid: 'me', name: '我' };

describe('unread counting', () => {
  it('counts other people’s messages while not reading', () => {
    let c = conv({ last_seq: 4, read_seq: 4 });
    let x = none;
    for (const seq of [5, 6]) ({ conv: c, extras: x } = applyEventToConv(c, x, ev(seq), { me: 'me', reading: false }));
    expect(c).toMatchObject({ unread: 2, last_seq: 6, read_seq: 4 });
    expect(c.last_event?.seq).toBe(6);
  });

  it('does not count system lines, and resets on own messages (sent from any device)', () => {
    let c = conv({ last_seq: 1, unread: 3 });
    c = applyEventToConv(c, none, ev(2, { kind: 'system', content: { code: 'renamed' } }), { me: 'me', reading: false }).conv;
    expect(c.unread).toBe(3);
    c = applyEventToConv(c, none, ev(3, { sender: mine }), { me: 'me', reading: false }).conv;
    expect(c).toMatchObject({ unread: 0, read_seq: 3 });
  });

  it('does not count an event that a freshly fetched conversation already includes', () => {
    const c = conv({ last_seq: 6, read_seq: 4, unread: 2 });
    const r = applyEventToConv(c, none, ev(6), { me: 'me', reading: false });
    expect(r.conv.unread).toBe(2);
    expect(r.conv.last_event?.seq).toBe(6);
  });

  it('keeps the count at zero while the conversation is being read', () => {
    const r = applyEventToConv(conv({ last_seq: 1, read_seq: 1 }), none, ev(2), { me: 'me', reading: true });
    expect(r.conv).toMatchObject({ unread: 0, read_seq: 2 });
  });

  it('takes back the count of an unread message that was recalled', () => {
    const c = conv({ last_seq: 5, read_seq: 3, unread: 2 });
    const r = applyEventToConv(c, none, ev(6, { kind: 'recall', content: { target_seq: 5 } }), { me: 'me', reading: false });
    expect(r.conv.unread).toBe(1);
  });

  it('marks mentions of me and @all, not my own', () => {
    expect(mentionsMe(ev(1, { mentions: ['me'] }), 'me')).toBe(true);
    expect(mentionsMe(ev(1, { mention_all: true }), 'me')).toBe(true);
    expect(mentionsMe(ev(1, { mentions: ['me'], sender: mine }), 'me')).toBe(false);
    expect(mentionsMe(ev(1, { mentions: ['lisi'] }), 'me')).toBe(false);
    const c = conv({ read_seq: 0 });
    const r = applyEventToConv(c, none, ev(1, { mentions: ['me'] }), { me: 'me', reading: false });
    expect(r.extras).toEqual({ mentionSeq: 1, mentionAll: false });
    expect(hasUnreadMention(r.conv, r.extras)).toBe(true);
    expect(hasUnreadMention({ ...r.conv, read_seq: 1 }, r.extras)).toBe(false);
    const all = applyEventToConv(c, none, ev(1, { mention_all: true }), { me: 'me', reading: false });
    expect(all.extras.mentionAll).toBe(true);
  });

  it('applies reads from this or another device', () => {
    const c = conv({ last_seq: 10, read_seq: 5, unread: 5 });
    expect(applyReadToConv(c, 10)).toMatchObject({ read_seq: 10, unread: 0 });
    expect(applyReadToConv(c, 4)).toBe(c);
    // Part-way: the count cannot be known locally, the caller refetches.
    expect(applyReadToConv(c, 7)).toBeNull();
  });
});

describe('the list', () => {
  it('puts pinned conversations first, then the most recent', () => {
    const list = [
      conv({ id: 'a', last_activity_at: 10 }),
      conv({ id: 'b', last_activity_at: 30 }),
      conv({ id: 'c', last_activity_at: 5, pinned: true }),
      conv({ id: 'd', last_activity_at: 20, pinned: true }),
    ];
    expect(sortConversations(list).map((c) => c.id)).toEqual(['d', 'c', 'b', 'a']);
  });

  it('shows a grey dot for muted conversations and leaves them out of the total', () => {
    expect(badgeOf(conv({ unread: 3 }))).toEqual({ count: 3, dot: false });
    expect(badgeOf(conv({ unread: 3, muted: true }))).toEqual({ count: 0, dot: true });
    expect(badgeOf(conv({ marked_unread: true }))).toEqual({ count: 1, dot: false });
    expect(badgeOf(conv())).toEqual({ count: 0, dot: false });
    expect(totalUnread([conv({ unread: 3 }), conv({ unread: 4, muted: true }), conv({ unread: 1 })])).toBe(4);
  });

  it('filters by name, peer and pinyin initials', () => {
    const list = [
      conv({ id: '1', name: '研发中心-项目群' }),
      conv({ id: '2', kind: 'direct', name: '', peer: { userid: 'lisi', name: '李四' } }),
    ];
    const initials = (n: string) => (n.startsWith('研发') ? 'yfzx-xmq' : '');
    expect(filterConversations(list, '项目').map((c) => c.id)).toEqual(['1']);
    expect(filterConversations(list, 'LISI').map((c) => c.id)).toEqual(['2']);
    expect(filterConversations(list, 'yf', initials).map((c) => c.id)).toEqual(['1']);
    expect(filterConversations(list, '  ')).toBe(list);
    expect(convTitle(list[1])).toBe('李四');
  });
});

describe('rules', () => {
  const now = 1_700_000_000_000;
  it('recall: own messages within 24 h; owner and admins any message in groups', () => {
    const mineRecent = ev(1, { sender: mine, at: now - 3600_000 });
    const mineOld = ev(2, { sender: mine, at: now - 25 * 3600_000 });
    const others = ev(3, { at: now - 60_000 });
    expect(canRecall(conv(), mineRecent, 'me', now)).toBe(true);
    expect(canRecall(conv(), mineOld, 'me', now)).toBe(false);
    expect(canRecall(conv(), others, 'me', now)).toBe(false);
    expect(canRecall(conv({ my_role: 'admin' }), others, 'me', now)).toBe(true);
    expect(canRecall(conv({ my_role: 'owner' }), mineOld, 'me', now)).toBe(true);
    expect(canRecall(conv({ status: 'archived', my_role: 'owner' }), others, 'me', now)).toBe(false);
    expect(canRecall(conv(), ev(4, { sender: mine, at: now, recalled: true }), 'me', now)).toBe(false);
  });

  it('speaking: read-only groups, mute all and app conversations', () => {
    expect(canSpeak(conv())).toBe(true);
    expect(canSpeak(conv({ status: 'dissolved' }))).toBe(false);
    expect(canSpeak(conv({ kind: 'app' }))).toBe(false);
    const muted = conv({ settings: { ...conv().settings!, mute_all: true } });
    expect(canSpeak(muted)).toBe(false);
    expect(canSpeak({ ...muted, my_role: 'admin' })).toBe(true);
  });

  it('@all only for managers when the group says so', () => {
    expect(canMentionAll(conv())).toBe(false);
    expect(canMentionAll(conv({ my_role: 'owner' }))).toBe(true);
    expect(canMentionAll(conv({ settings: { ...conv().settings!, at_all_admins_only: false } }))).toBe(true);
    expect(canMentionAll(conv({ kind: 'direct', my_role: 'owner' }))).toBe(false);
  });
});

describe('what a system event asks of the client', () => {
  const sys = (code: string, params: Record<string, unknown> = {}) => ev(1, { kind: 'system', sender: { kind: 'system', name: '' }, content: { code, params } });
  const nothing = { pins: false, urgentSeq: null, leftMe: false, conv: false, members: false };

  it('refetches the conversation and its members when membership or roles change', () => {
    expect(systemFollowUp(sys('member_joined', { users: [{ userid: 'lisi', name: '李四' }] }), 'me')).toEqual({ ...nothing, conv: true, members: true });
    expect(systemFollowUp(sys('owner_changed', { user: 'lisi' }), 'me')).toEqual({ ...nothing, conv: true, members: true });
    expect(systemFollowUp(sys('renamed', { name: '新群名' }), 'me')).toEqual({ ...nothing, conv: true });
  });

  it('knows when I am the one who left or was removed', () => {
    expect(systemFollowUp(sys('member_removed', { users: [{ userid: 'me', name: '我' }] }), 'me')).toMatchObject({ leftMe: true });
    expect(systemFollowUp(sys('member_left', { users: ['lisi'] }), 'me')).toMatchObject({ leftMe: false });
    expect(systemFollowUp(sys('member_joined', { users: ['me'] }), 'me')).toMatchObject({ leftMe: false });
  });

  it('pins, and the message an urgent line points at', () => {
    expect(systemFollowUp(sys('unpinned'), 'me')).toEqual({ ...nothing, pins: true });
    expect(systemFollowUp(sys('urgent', { target_seq: 7 }), 'me')).toEqual({ ...nothing, urgentSeq: 7 });
    expect(systemFollowUp(sys('urgent'), 'me')).toEqual(nothing);
    expect(systemFollowUp(sys('created'), 'me')).toEqual(nothing);
  });
});
