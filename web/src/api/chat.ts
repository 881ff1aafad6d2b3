/** Types and endpoints of the messaging API (`/api/v1/chat`, `/api/v1/admin/chat`), as in docs/api/chat.md. */
import { apiUrl, http, uploadWithProgress } from './client';
import type { Items } from './types';

export type ConvKind = 'direct' | 'group' | 'department' | 'company' | 'app';
export type ConvStatus = 'active' | 'archived' | 'dissolved';
export type ConvRole = 'owner' | 'admin' | 'member';
export type ReceiptMode = 'on' | 'aggregate' | 'off';
export const RECEIPT_MODES: ReceiptMode[] = ['on', 'aggregate', 'off'];
export const RECEIPT_KINDS = ['direct', 'group', 'department', 'company'] as const;
export type ReceiptKind = (typeof RECEIPT_KINDS)[number];

export interface UserRef {
  userid: string;
  name: string;
  avatar?: string | null;
  position?: string | null;
}

export interface ConvSettings {
  only_admins_rename: boolean;
  at_all_admins_only: boolean;
  invite_needs_approval: boolean;
  mute_all: boolean;
  member_limit: number;
  no_forward_out: boolean;
}
export const SETTING_SWITCHES = ['only_admins_rename', 'at_all_admins_only', 'invite_needs_approval', 'mute_all', 'no_forward_out'] as const;
export type SettingSwitch = (typeof SETTING_SWITCHES)[number];

export interface Announcement {
  text: string;
  at: number;
  by: UserRef | null;
  read: boolean;
}

export interface Conversation {
  id: string;
  kind: ConvKind;
  chatid?: string | null;
  name: string;
  avatar?: string | null;
  status: ConvStatus;
  member_count: number;
  last_seq: number;
  read_seq: number;
  unread: number;
  muted: boolean;
  pinned: boolean;
  marked_unread: boolean;
  draft: string;
  my_role: ConvRole;
  peer?: UserRef | null;
  app?: { agentid: number; name: string } | null;
  department_id?: number | null;
  owner?: UserRef | null;
  group_type?: string | null;
  settings?: ConvSettings | null;
  announcement?: Announcement | null;
  receipts: ReceiptMode;
  last_event: ChatEvent | null;
  last_activity_at: number;
  /** An unread message mentions me or @all (server's flag); `mentioned_all`: only as @all. */
  mentioned?: boolean;
  mentioned_all?: boolean;
}

export type EventKind = 'message' | 'recall' | 'system';
export type MessageType = 'text' | 'markdown' | 'image' | 'file' | 'news' | 'textcard' | 'template_card' | 'chat_record';
export type SenderKind = 'member' | 'robot' | 'app' | 'system';

export interface Sender {
  kind: SenderKind;
  userid?: string | null;
  name: string;
  avatar?: string | null;
  /** The sender was deleted from the enterprise; `name` is the name they sent under. */
  departed?: boolean;
}

export interface QuoteRef {
  id: string;
  seq: number;
  sender_name: string;
  excerpt: string;
}

export interface NewsArticle {
  title: string;
  description?: string;
  url?: string;
  picurl?: string;
}

export interface ChatRecordItem {
  sender_name: string;
  at: number;
  type: MessageType;
  excerpt: string;
}

/** `content` of every event type in one shape; which fields are set depends on `kind` and `type`. */
export interface EventContent {
  text?: string;
  media_id?: string;
  name?: string;
  size?: number;
  width?: number;
  height?: number;
  mime?: string;
  articles?: NewsArticle[];
  title?: string;
  description?: string;
  url?: string;
  btntxt?: string;
  items?: ChatRecordItem[];
  target_id?: string;
  target_seq?: number;
  by?: UserRef | null;
  code?: string;
  params?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ChatEvent {
  id: string;
  conv: string;
  seq: number;
  at: number;
  kind: EventKind;
  sender: Sender;
  type?: MessageType | null;
  content: EventContent;
  /** Text and markdown only: rendered and sanitised by the server. */
  html?: string | null;
  mentions?: string[];
  mention_all?: boolean;
  quote?: QuoteRef | null;
  recalled?: boolean;
  pinned?: boolean;
  urgent?: boolean;
  not_urgent?: boolean;
  client_id?: string | null;
}

/** Body of `POST /chat/conversations/{id}/messages` and of the socket's `send`. */
export interface SendBody {
  type: MessageType;
  text?: string;
  media_id?: string;
  mentions?: string[];
  quote_id?: string;
  urgent?: boolean;
  not_urgent?: boolean;
  client_id?: string;
}

export interface ConvMember {
  userid: string;
  name: string;
  avatar?: string | null;
  position?: string | null;
  role: ConvRole;
  read_seq?: number | null;
  last_active_at?: number | null;
}

export interface JoinRequest {
  id: string;
  userid: string;
  name: string;
  invited_by?: UserRef | string | null;
  at: number;
}

/** A member in a receipt or readers list: the contract shows objects; a bare userid is accepted too. */
export type PersonEntry = UserRef | string;

export type Receipts = { mode: 'on'; read: PersonEntry[]; unread: PersonEntry[] } | { mode: 'aggregate'; read_count: number; total: number };

export interface Media {
  media_id: string;
  name: string;
  size: number;
  mime: string;
  kind: 'image' | 'file';
  width?: number;
  height?: number;
}

export interface SearchHit {
  event: ChatEvent;
  conversation: { id: string; name: string; kind: ConvKind };
  /** Plain text around the first match, matched words between literal `<mark>` tags (see `snippetHtml`). */
  snippet: string;
}

/** One page of hits, newest first; `has_more`: pass the last hit's `event.id` as `before` for the next. */
export interface SearchResult extends Items<SearchHit> {
  has_more: boolean;
}

export interface SearchQuery {
  q: string;
  conv?: string;
  sender?: string;
  type?: 'file' | 'image' | 'link' | '';
  from?: number;
  to?: number;
  /** 1–50, default 20. */
  limit?: number;
  /** The `event.id` of the last hit of the previous page. */
  before?: string;
}

export interface Robot {
  id: string;
  name: string;
  webhook_url: string;
  created_at: number;
}

export interface Favourite {
  id: string;
  event: ChatEvent;
  at: number;
}

export interface ChatPolicy {
  receipts: Record<ReceiptKind, ReceiptMode>;
  naming: { enabled: boolean; pattern: string; group_types: string[] };
  files: { max_bytes: number; denied_extensions: string[]; allowed_extensions: string[] };
}

/** What members read of the policy (`GET /chat/policy`): the naming rule with an example, and file limits. */
export interface MemberPolicy {
  naming: { enabled: boolean; pattern: string; group_types: string[]; example: string };
  files: { max_bytes: number; denied_extensions: string[]; allowed_extensions: string[] };
}

export interface CreateGroupBody {
  name: string;
  group_type?: string;
  userids: string[];
  department_ids: number[];
}

export interface ConvPatch {
  name?: string;
  avatar?: string;
  group_type?: string;
  settings?: Partial<ConvSettings>;
}

export interface MyConvPatch {
  muted?: boolean;
  pinned?: boolean;
  marked_unread?: boolean;
  draft?: string;
}

const enc = encodeURIComponent;
const conv = (id: string) => `/chat/conversations/${enc(id)}`;

export const chatApi = {
  conversations: () => http.get<Items<Conversation>>('/chat/conversations'),
  conversation: (id: string) => http.get<Conversation>(conv(id)),
  direct: (userid: string) => http.post<Conversation>('/chat/direct', { userid }),
  createGroup: (body: CreateGroupBody) => http.post<Conversation>('/chat/conversations', body),
  update: (id: string, patch: ConvPatch) => http.patch<Conversation>(conv(id), patch),
  updateMine: (id: string, patch: MyConvPatch) => http.patch<Conversation>(`${conv(id)}/me`, patch),
  members: (id: string) => http.get<Items<ConvMember>>(`${conv(id)}/members`),
  addMembers: (id: string, userids: string[], department_ids: number[]) =>
    http.post<{ added: PersonEntry[]; pending: PersonEntry[] }>(`${conv(id)}/members`, { userids, department_ids }),
  removeMember: (id: string, userid: string) => http.del(`${conv(id)}/members/${enc(userid)}`),
  joinRequests: (id: string) => http.get<Items<JoinRequest>>(`${conv(id)}/join-requests`),
  decideJoinRequest: (id: string, rid: string, approve: boolean) => http.post<void>(`${conv(id)}/join-requests/${enc(rid)}`, { approve }),
  setAdmin: (id: string, userid: string, on: boolean) =>
    on ? http.put<void>(`${conv(id)}/admins/${enc(userid)}`) : http.del(`${conv(id)}/admins/${enc(userid)}`),
  transfer: (id: string, userid: string) => http.post<void>(`${conv(id)}/transfer`, { userid }),
  setAnnouncement: (id: string, text: string) => http.put<Conversation>(`${conv(id)}/announcement`, { text }),
  readAnnouncement: (id: string) => http.post<void>(`${conv(id)}/announcement/read`),
  announcementReaders: (id: string) => http.get<{ read: PersonEntry[]; unread: PersonEntry[] }>(`${conv(id)}/announcement/readers`),
  archive: (id: string) => http.post<void>(`${conv(id)}/archive`),
  dissolve: (id: string) => http.post<void>(`${conv(id)}/dissolve`),
  inactive: (id: string, days: number) =>
    http.get<Items<{ userid: string; name: string; last_active_at: number | null }>>(`${conv(id)}/inactive`, { days }),

  events: (id: string, after: number, limit = 200) => http.get<{ items: ChatEvent[]; last_seq: number }>(`${conv(id)}/events`, { after, limit }),
  messages: (id: string, before?: number, limit = 50) => http.get<Items<ChatEvent>>(`${conv(id)}/messages`, { before, limit }),
  context: (id: string, seq: number) => http.get<Items<ChatEvent>>(`${conv(id)}/context/${seq}`),
  send: (id: string, body: SendBody) => http.post<ChatEvent>(`${conv(id)}/messages`, body),
  read: (id: string, seq: number) => http.post<void>(`${conv(id)}/read`, { seq }),
  recall: (messageId: string) => http.post<void>(`/chat/messages/${enc(messageId)}/recall`),
  receipts: (messageId: string) => http.get<Receipts>(`/chat/messages/${enc(messageId)}/receipts`),
  pin: (messageId: string, on: boolean) =>
    on ? http.put<void>(`/chat/messages/${enc(messageId)}/pin`) : http.del(`/chat/messages/${enc(messageId)}/pin`),
  pins: (id: string) => http.get<Items<ChatEvent>>(`${conv(id)}/pins`),
  forward: (message_ids: string[], to: string[], mode: 'each' | 'merged') => http.post<{ sent: number }>('/chat/forward', { message_ids, to, mode }),
  favourites: () => http.get<Items<Favourite>>('/chat/favourites'),
  favourite: (message_id: string) => http.post<{ id: string }>('/chat/favourites', { message_id }),
  unfavourite: (id: string) => http.del(`/chat/favourites/${enc(id)}`),
  upload: (file: File, onProgress?: (fraction: number) => void, signal?: AbortSignal) => {
    const form = new FormData();
    form.append('file', file, file.name);
    return uploadWithProgress<Media>('/chat/media', form, onProgress, signal);
  },
  search: (q: SearchQuery) => http.get<SearchResult>('/chat/search', { ...q }),

  robots: (id: string) => http.get<Items<Robot>>(`${conv(id)}/robots`),
  addRobot: (id: string, name: string) => http.post<{ id: string; name: string; key: string; webhook_url: string }>(`${conv(id)}/robots`, { name }),
  deleteRobot: (robotId: string) => http.del(`/chat/robots/${enc(robotId)}`),

  memberPolicy: () => http.get<MemberPolicy>('/chat/policy'),
  policy: () => http.get<ChatPolicy>('/admin/chat/policy'),
  savePolicy: (p: ChatPolicy) => http.put<ChatPolicy>('/admin/chat/policy', p),
};

/** URL of a stored file (original, or the thumbnail of an image). */
export function mediaUrl(mediaId: string, thumb = false): string {
  return apiUrl(`/chat/media/${enc(mediaId)}`, thumb ? { thumb: 1 } : undefined);
}
