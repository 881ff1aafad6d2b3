/**
 * Template groups: the four the product names (人事 / 财务 / 行政 / 其他), kept as their keys (the
 * Chinese names are read as the same groups); any other text is a custom group shown as written.
 */
export const GROUP_ORDER = ['hr', 'finance', 'admin', 'other'];
const CHINESE: Record<string, string> = { 人事: 'hr', 财务: 'finance', 行政: 'admin', 其他: 'other' };

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
