/**
 * The favourites page (我的收藏): saved copies of messages (docs/api/chat.md, `GET /chat/favourites`),
 * newest first, filtered by kind, each linking back to its conversation while the member is in it.
 */
import type { ChatEvent, Conversation, Favourite } from '@/api/chat';

export const FAVOURITE_KINDS = ['all', 'text', 'image', 'file', 'record'] as const;
export type FavouriteKind = (typeof FAVOURITE_KINDS)[number];

/** Which filter a saved message falls under (cards and news count as text). */
export function favouriteKind(e: ChatEvent | null | undefined): Exclude<FavouriteKind, 'all'> {
  switch (e?.type) {
    case 'image':
      return 'image';
    case 'file':
      return 'file';
    case 'chat_record':
      return 'record';
    default:
      return 'text';
  }
}

/** Newest saved first; a favourite whose snapshot could not be read is left out. */
export function sortFavourites(list: Favourite[]): Favourite[] {
  return list.filter((f) => !!f.event && typeof f.event === 'object').sort((a, b) => b.at - a.at || (b.id > a.id ? 1 : b.id < a.id ? -1 : 0));
}

export function filterFavourites(list: Favourite[], kind: FavouriteKind): Favourite[] {
  return kind === 'all' ? list : list.filter((f) => favouriteKind(f.event) === kind);
}

/**
 * Where the original message is, when the member can still open it: the conversation (among those
 * they belong to) and the message's seq. Null when they have left it or it is gone.
 */
export function originOf(f: Favourite, convs: Record<string, Conversation>): { conv: Conversation; seq: number } | null {
  const c = convs[f.event?.conv ?? ''];
  if (!c || !f.event?.seq) return null;
  return { conv: c, seq: f.event.seq };
}
