/** Messages shown before the server has stored them (optimistic sends). */
import type { Media, SendBody } from '@/api/chat';

export type PendingState = 'sending' | 'uploading' | 'failed';

export interface PendingMessage {
  ref: string;
  conv: string;
  body: SendBody;
  state: PendingState;
  error: string | null;
  at: number;
  /** Upload of an image or file: the file, its progress 0…1, a local preview for images. */
  file?: File;
  progress?: number;
  previewUrl?: string;
  media?: Media;
  /** Display text of a text message (mentions as @Name). */
  display?: string;
  viaSocket?: boolean;
}

/** The ref of a new message, sent as its client_id: a repeat of the same send is stored only once. */
export function newRef(): string {
  const rnd = Math.random().toString(36).slice(2, 10);
  return `c-${Date.now().toString(36)}-${rnd}`;
}
