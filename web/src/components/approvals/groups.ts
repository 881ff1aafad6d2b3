/**
 * Template groups: the four the product names, stored by their Chinese names as the built-in
 * templates are (人事 / 财务 / 行政 / 其他) and shown in the page's language; any other text is a
 * custom group shown as written.
 */
export const GROUP_ORDER = ['hr', 'finance', 'admin', 'other'];
/** What a template stores for each known group. */
export const GROUP_VALUES: Record<string, string> = { hr: '人事', finance: '财务', admin: '行政', other: '其他' };
const CHINESE: Record<string, string> = Object.fromEntries(Object.entries(GROUP_VALUES).map(([k, v]) => [v, k]));

type T = (key: string) => string;

/** The known group a value names, or null for a custom group. */
export function knownGroup(group: string): string | null {
  if (GROUP_ORDER.includes(group)) return group;
  return CHINESE[group.trim()] ?? null;
}

export function groupLabel(group: string, t: T): string {
  const k = knownGroup(group);
  return k ? t(`approvals.group.${k}`) : group;
}

/** Sort rank of a group: the known ones in order, custom groups before 其他. */
export function groupRank(group: string): number {
  const k = knownGroup(group);
  if (k === 'other') return GROUP_ORDER.length;
  return k ? GROUP_ORDER.indexOf(k) : GROUP_ORDER.length - 0.5;
}
