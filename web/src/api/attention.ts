/** Notification settings, summaries and urgent messages (docs/api/chat.md, "Notifications, quiet hours and automatic replies"). */
import { http } from './client';

export type AutoReplyMode = 'off' | 'away' | 'after_hours';
export const AUTO_REPLY_MODES: AutoReplyMode[] = ['off', 'away', 'after_hours'];
export const MAX_AUTO_REPLY_CHARS = 500;

export interface WorkingHours {
  /** 1 Monday … 7 Sunday. */
  days: number[];
  /** "HH:MM". */
  start: string;
  end: string;
}

export interface Dnd {
  on: boolean;
  /** Unix ms, or null: until turned off. */
  until: number | null;
}

/** Working hours and do-not-disturb: what an administrator may see of a member. */
export interface QuietHours {
  time_zone: string;
  working_hours: WorkingHours;
  dnd: Dnd;
  quiet_now: boolean;
  next_start: number | null;
}

export interface AttentionSettings extends QuietHours {
  auto_reply: { mode: AutoReplyMode; text: string; active: boolean };
}

export interface MemberQuietHours extends QuietHours {
  userid: string;
  name: string;
}

export interface AttentionInput {
  working_hours?: WorkingHours;
  dnd?: { on: boolean; until?: number | null };
  auto_reply?: { mode: AutoReplyMode; text?: string };
}

export interface DigestItem {
  conv: string;
  count: number;
  mentions: number;
}

export interface Digest {
  at: number;
  since: number | null;
  total: number;
  conversations: number;
  mentions: number;
  items: DigestItem[];
}

/** The `notify` frame: a message that should alert me now. */
export interface NotifyFrame {
  t: 'notify';
  kind: 'message' | 'urgent';
  conv: string;
  seq: number;
  id: string;
  at: number;
  sender: { kind: string; userid?: string | null; name: string };
  text: string;
  mention: 'me' | 'all' | null;
  attempt?: number;
}

export interface UrgentDelivery {
  member: { userid: string; name: string; avatar?: string | null };
  requested_at: number;
  sent: number;
  last_sent_at: number | null;
  next_at: number | null;
  read: boolean;
  read_at: number | null;
}

export interface UrgentList {
  items: UrgentDelivery[];
  log: { userid: string; attempt: number; at: number }[];
  schedule_minutes: number[];
}

const enc = encodeURIComponent;

export const attentionApi = {
  mine: () => http.get<AttentionSettings>('/chat/attention'),
  save: (input: AttentionInput) => http.put<AttentionSettings>('/chat/attention', input),
  digest: () => http.get<{ digest: Digest | null }>('/chat/attention/digest'),
  dismissDigest: () => http.del('/chat/attention/digest'),
  urgent: (messageId: string, userids?: string[]) =>
    http.post<{ notified: string[]; skipped: string[] }>(`/chat/messages/${enc(messageId)}/urgent`, userids ? { userids } : {}),
  urgentList: (messageId: string) => http.get<UrgentList>(`/chat/messages/${enc(messageId)}/urgent`),
  memberQuietHours: (userid: string) => http.get<MemberQuietHours>(`/admin/members/${enc(userid)}/attention`),
};
