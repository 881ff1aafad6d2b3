/** Builders for chat unit tests. */
import type { ChatEvent, Conversation, ConvMember } from '@/api/chat';

export function ev(seq: number, over: Partial<ChatEvent> = {}): ChatEvent {
  return {
    id: `e${seq}`,
    conv: 'c1',
    seq,
    at: 1_700_000_000_000 + seq * 1000,
    kind: 'message',
    sender: { kind: 'member', userid: 'lisi', name: '李四' },
    type: 'text',
    content: { text: `m${seq}` },
    html: null,
    mentions: [],
    mention_all: false,
    quote: null,
    recalled: false,
    pinned: false,
    urgent: false,
    not_urgent: false,
    client_id: null,
    ...over,
  };
}

export function conv(over: Partial<Conversation> = {}): Conversation {
  return {
    id: 'c1',
    kind: 'group',
    name: '项目群',
    status: 'active',
    member_count: 3,
    last_seq: 0,
    read_seq: 0,
    unread: 0,
    muted: false,
    pinned: false,
    marked_unread: false,
    draft: '',
    my_role: 'member',
    receipts: 'on',
    last_event: null,
    last_activity_at: 0,
    settings: { only_admins_rename: true, at_all_admins_only: true, invite_needs_approval: false, mute_all: false, member_limit: 2000, no_forward_out: false },
    ...over,
  };
}

export function member(userid: string, read_seq = 0, role: ConvMember['role'] = 'member'): ConvMember {
  return { userid, name: userid, role, read_seq };
}
