/**
 * Quick replies (快捷回复) in the composer: typing `/` at the start of the input or after a space opens
 * a picker filtered by what follows the slash; picking a snippet replaces `/query` by its text.
 * Also the limits the server applies (docs/api/chat.md), checked before sending.
 */

export interface QuickReplyLike {
  id: string;
  title: string;
  text: string;
}

export const MAX_TITLE_CHARS = 30;
export const MAX_TEXT_CHARS = 1000;
export const MAX_PERSONAL = 100;
export const MAX_ENTERPRISE = 200;
/** Longest query after the slash that still counts as one. */
const MAX_QUERY = 20;

/** Counts characters as the server does (code points, so an emoji is one). */
export function charCount(s: string): number {
  return [...s].length;
}

/**
 * The `/query` the caret is in, if any: `start` is the index of the `/`. The slash must open the
 * input or follow whitespace (so `a/b`, `http://` and dates are not queries); the query has no
 * whitespace, `/` or `@` (an `@` hands over to mention suggestions).
 */
export function activeSlashQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const slash = before.lastIndexOf('/');
  if (slash < 0) return null;
  const query = before.slice(slash + 1);
  if ([...query].length > MAX_QUERY || /[\s/@]/.test(query)) return null;
  if (slash > 0 && !/\s/.test(before[slash - 1])) return null;
  return { start: slash, query };
}

/** Replaces the `/query` at `start…caret` by the snippet's text and returns the new text and caret. */
export function insertQuickReply(text: string, start: number, caret: number, snippet: string): { text: string; caret: number } {
  return { text: text.slice(0, start) + snippet + text.slice(caret), caret: start + snippet.length };
}

/** Pinyin initials of a title and of the start of a text, for `/hy` → 欢迎语. */
export type InitialsOf = (s: string) => string;

/** How much of a text is looked at for pinyin initials. */
const TEXT_INITIALS_CHARS = 24;

/**
 * Ranks a snippet for a query: 0 = no match, higher is better. Title before text; a prefix before
 * a match inside; pinyin initials of the title and of the text's start count as well.
 */
export function quickReplyScore(q: string, r: QuickReplyLike, initialsOf: InitialsOf = () => ''): number {
  const term = q.trim().toLowerCase();
  if (!term) return 1;
  const title = r.title.toLowerCase();
  const text = r.text.toLowerCase();
  if (title && title.startsWith(term)) return 8;
  if (title && initialsOf(r.title).startsWith(term)) return 7;
  if (title.includes(term)) return 6;
  if (text.startsWith(term)) return 5;
  if (initialsOf([...r.text].slice(0, TEXT_INITIALS_CHARS).join('')).startsWith(term)) return 4;
  if (text.includes(term)) return 3;
  return 0;
}

/** The snippets matching a query, best first, otherwise in list order. */
export function filterQuickReplies<T extends QuickReplyLike>(q: string, items: T[], initialsOf: InitialsOf = () => '', limit = 50): T[] {
  return items
    .map((r, i) => ({ r, i, s: quickReplyScore(q, r, initialsOf) }))
    .filter((x) => x.s > 0)
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .slice(0, limit)
    .map((x) => x.r);
}

/** One line of a snippet for the picker: the text with line breaks folded, cut to `max` characters. */
export function previewLine(text: string, max = 60): string {
  const one = text.replace(/\s+/g, ' ').trim();
  const chars = [...one];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : one;
}

export type QuickReplyProblem = 'required' | 'too_long' | 'duplicate';

/**
 * What the server would refuse in a snippet, by field. `others` are the texts the same owner already
 * keeps (without the one being edited).
 */
export function checkQuickReply(input: { title: string; text: string }, others: string[] = []): { title?: QuickReplyProblem; text?: QuickReplyProblem } {
  const out: { title?: QuickReplyProblem; text?: QuickReplyProblem } = {};
  const title = input.title.split(/\s+/).filter(Boolean).join(' ');
  const text = input.text.trim();
  if (charCount(title) > MAX_TITLE_CHARS) out.title = 'too_long';
  if (!text) out.text = 'required';
  else if (charCount(text) > MAX_TEXT_CHARS) out.text = 'too_long';
  else if (others.some((o) => o.trim() === text)) out.text = 'duplicate';
  return out;
}

/** The list with the item at `from` moved to `to` (both clamped); a new array. */
export function moveItem<T>(list: T[], from: number, to: number): T[] {
  const out = [...list];
  if (from < 0 || from >= out.length) return out;
  const target = Math.max(0, Math.min(out.length - 1, to));
  const [item] = out.splice(from, 1);
  out.splice(target, 0, item);
  return out;
}
