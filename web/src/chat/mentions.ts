/**
 * Mentions. On the wire a message's text carries `@{userid}` tokens (`@{@all}` for everyone) and the
 * `mentions` list names the same userids ("@all"); in the composer the person sees `@Name`.
 * These functions convert between the two and find the `@query` being typed.
 */

export const ALL = '@all';
const TOKEN = /@\{([A-Za-z0-9_.\-@]{1,64})\}/g;

export interface Picked {
  userid: string;
  name: string;
}

export type NameOf = (userid: string) => string | undefined;

/** Wire text → what the composer shows, plus the mentions it contains (to restore a draft). */
export function decodeMentions(wire: string, nameOf: NameOf, allLabel: string): { text: string; picked: Picked[] } {
  const picked: Picked[] = [];
  const text = wire.replace(TOKEN, (_m, id: string) => {
    const name = id === ALL ? allLabel : (nameOf(id) ?? id);
    picked.push({ userid: id, name });
    return `@${name}`;
  });
  return { text, picked };
}

/**
 * What the composer shows → wire text and the `mentions` list. Each `@Name` that matches a picked
 * person becomes a token; people with the same name are taken in the order they were picked.
 * `@Name` typed by hand without picking stays plain text.
 */
export function encodeMentions(text: string, picked: Picked[]): { text: string; mentions: string[] } {
  const queue = picked.filter((p) => p.name);
  if (!queue.length || !text.includes('@')) return { text, mentions: [] };
  const byLength = [...new Set(queue.map((p) => p.name))].sort((a, b) => b.length - a.length);
  const remaining = [...queue];
  const mentions: string[] = [];
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '@') {
      const name = byLength.find((n) => text.startsWith(n, i + 1));
      if (name) {
        const k = remaining.findIndex((p) => p.name === name);
        const who = k >= 0 ? remaining.splice(k, 1)[0] : queue.find((p) => p.name === name)!;
        out += `@{${who.userid}}`;
        if (!mentions.includes(who.userid)) mentions.push(who.userid);
        i += 1 + name.length;
        continue;
      }
    }
    out += text[i];
    i += 1;
  }
  return { text: out, mentions };
}

/** The `@query` the caret is in, if any: `start` is the index of the `@`. */
export function activeMentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const at = before.lastIndexOf('@');
  if (at < 0) return null;
  const query = before.slice(at + 1);
  if (query.length > 20 || /[\s@{}]/.test(query)) return null;
  const prev = at > 0 ? before[at - 1] : '';
  if (/[A-Za-z0-9._-]/.test(prev)) return null; // an e-mail address, not a mention
  return { start: at, query };
}

/** Replaces the `@query` at `start…caret` by `@Name ` and returns the new text and caret. */
export function insertMention(text: string, start: number, caret: number, name: string): { text: string; caret: number } {
  const ins = `@${name} `;
  return { text: text.slice(0, start) + ins + text.slice(caret), caret: start + ins.length };
}

export interface Mentionable {
  userid: string;
  name: string;
  /** Pinyin initials of the name, e.g. `zs` for 张三. */
  initials?: string;
}

/** Ranks a person for a query: 0 = no match; higher is better. Matches name, pinyin initials and account. */
export function mentionScore(q: string, m: Mentionable): number {
  const term = q.trim().toLowerCase();
  if (!term) return 1;
  const name = m.name.toLowerCase();
  if (name.startsWith(term)) return 5;
  if ((m.initials ?? '').startsWith(term)) return 4;
  if (m.userid.toLowerCase().startsWith(term)) return 3;
  if (name.includes(term)) return 2;
  return 0;
}

/** The people matching a query, best first (stable within a score). */
export function filterMentionables<T extends Mentionable>(q: string, people: T[], limit = 50): T[] {
  return people
    .map((p, i) => ({ p, i, s: mentionScore(q, p) }))
    .filter((x) => x.s > 0)
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .slice(0, limit)
    .map((x) => x.p);
}

export type Segment = { type: 'text'; text: string } | { type: 'mention'; userid: string; name: string };

/** Splits wire text into text and mention segments (for messages that carry no server HTML). */
export function segments(wire: string, nameOf: NameOf, allLabel: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of wire.matchAll(TOKEN)) {
    const idx = m.index ?? 0;
    if (idx > last) out.push({ type: 'text', text: wire.slice(last, idx) });
    const id = m[1];
    out.push({ type: 'mention', userid: id, name: id === ALL ? allLabel : (nameOf(id) ?? id) });
    last = idx + m[0].length;
  }
  if (last < wire.length) out.push({ type: 'text', text: wire.slice(last) });
  return out;
}

/** Plain one-line text with tokens shown as `@Name` (previews, quotes, notifications). */
export function plainText(wire: string, nameOf: NameOf, allLabel: string): string {
  return decodeMentions(wire, nameOf, allLabel).text;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Server HTML may still contain `@{userid}` tokens; turns them into highlighted spans. The token
 * pattern admits only account characters and names are escaped, so this adds no markup of its own.
 */
export function highlightMentionsHtml(html: string, nameOf: NameOf, allLabel: string, me: string): string {
  return html.replace(TOKEN, (_m, id: string) => {
    const name = id === ALL ? allLabel : (nameOf(id) ?? id);
    const cls = id === me || id === ALL ? 'mention mention-me' : 'mention';
    return `<span class="${cls}" data-userid="${escapeHtml(id)}">@${escapeHtml(name)}</span>`;
  });
}

/** Whether typed text uses markdown worth rendering (sent as `markdown` rather than `text`). */
export function looksLikeMarkdown(text: string): boolean {
  return /(^|\n)\s{0,3}(#{1,6}\s|[-*+]\s|\d+\.\s|>\s|```)|\*\*[^*\n]+\*\*|`[^`\n]+`|\[[^\]\n]+\]\((https?:\/\/|\/)[^)\s]+\)/.test(text);
}

/**
 * Backspace right after a picked `@Name ` removes the whole mention. Returns null when the caret is
 * not at the end of one.
 */
export function deleteMentionBefore(text: string, caret: number, picked: Picked[]): { text: string; caret: number; picked: Picked[] } | null {
  const before = text.slice(0, caret);
  for (let i = picked.length - 1; i >= 0; i--) {
    const p = picked[i];
    for (const token of [`@${p.name} `, `@${p.name}`]) {
      if (before.endsWith(token)) {
        const start = caret - token.length;
        return { text: text.slice(0, start) + text.slice(caret), caret: start, picked: picked.filter((_x, k) => k !== i) };
      }
    }
  }
  return null;
}

/**
 * Names the server already resolved in rendered HTML (`<span class="mention" data-userid="lisi">@李四</span>`),
 * so previews can show @李四 before the member list is loaded.
 */
export function namesFromHtml(html: string | null | undefined): Picked[] {
  const out: Picked[] = [];
  if (!html) return out;
  for (const m of html.matchAll(/data-userid="([A-Za-z0-9_.\-@]{1,64})"[^>]*>@([^<]{1,64})</g)) {
    if (m[1] !== ALL) out.push({ userid: m[1], name: m[2] });
  }
  return out;
}
