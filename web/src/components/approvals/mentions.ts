/**
 * Comments mention people as `@userid` (docs/api/approvals.md). The comment box shows `@name`
 * while typing; these turn one form into the other.
 */

/** `@name` of each picked member → `@userid`, longest names first so "张三丰" is not read as "张三". */
export function namesToIds(text: string, picked: { userid: string; name: string }[]): string {
  const sorted = [...picked].sort((a, b) => b.name.length - a.name.length);
  let out = text;
  for (const p of sorted) out = out.split(`@${p.name}`).join(`@${p.userid}`);
  return out;
}

/** Text split into plain parts and `@userid` mentions (a userid: letters, digits, `_ - .`, not ending in a dot). */
export function mentionParts(text: string): { text: string; userid?: string }[] {
  const out: { text: string; userid?: string }[] = [];
  const re = /@([A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9_-]|[A-Za-z0-9])/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    const at = m.index ?? 0;
    if (at > 0 && /[A-Za-z0-9]/.test(text[at - 1])) continue; // an e-mail address, not a mention
    if (at > last) out.push({ text: text.slice(last, at) });
    out.push({ text: m[0], userid: m[1] });
    last = at + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}
