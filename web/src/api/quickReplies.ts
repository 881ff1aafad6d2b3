/** Quick replies (快捷回复): a member's own and the enterprise's snippets, as in docs/api/chat.md. */
import { http } from './client';

export type QuickReplyScope = 'personal' | 'enterprise';

export interface QuickReply {
  id: string;
  scope: QuickReplyScope;
  title: string;
  text: string;
  position: number;
  /** Whether the caller of that list may change it (false for enterprise snippets in a member's list). */
  editable: boolean;
  updated_at: number;
}

export interface QuickReplyLimits {
  count: number;
  title_chars: number;
  text_chars: number;
}

export interface QuickReplyList {
  items: QuickReply[];
  limits: QuickReplyLimits;
}

export interface QuickReplyInput {
  title?: string;
  text?: string;
}

const enc = encodeURIComponent;

/** The member's own snippets (`mine`) or the enterprise's (`enterprise`, administrators). */
function endpoints(base: string) {
  return {
    list: () => http.get<QuickReplyList>(base),
    create: (body: QuickReplyInput) => http.post<QuickReply>(base, body),
    update: (id: string, body: QuickReplyInput) => http.patch<QuickReply>(`${base}/${enc(id)}`, body),
    remove: (id: string) => http.del(`${base}/${enc(id)}`),
    reorder: (ids: string[]) => http.put<QuickReplyList>(`${base}/order`, { ids }),
  };
}

export type QuickReplyApi = ReturnType<typeof endpoints>;

export const quickRepliesApi: Record<'mine' | 'enterprise', QuickReplyApi> = {
  mine: endpoints('/chat/quick-replies'),
  enterprise: endpoints('/admin/chat/quick-replies'),
};
