/** Message search helpers. */
import { escapeHtml } from './mentions';

/**
 * The snippet of a search hit as safe HTML: everything is escaped; `<mark>…</mark>` from the server
 * is kept (the only markup let through), otherwise the query's words are marked here.
 */
export function snippetHtml(snippet: string, q: string): string {
  const escaped = escapeHtml(snippet ?? '');
  if (/&lt;mark&gt;/i.test(escaped)) return escaped.replace(/&lt;(\/?)mark&gt;/gi, '<$1mark>');
  const words = q
    .trim()
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .map((w) => escapeHtml(w).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .sort((a, b) => b.length - a.length);
  if (!words.length) return escaped;
  return escaped.replace(new RegExp(`(${words.join('|')})`, 'gi'), '<mark>$1</mark>');
}

/** `YYYY-MM-DD` (local) → Unix ms at the start of that day, or at its end with `end`. */
export function dayBoundary(date: string | null | undefined, end = false): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date ?? '');
  if (!m) return undefined;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (end) d.setHours(23, 59, 59, 999);
  return d.getTime();
}
