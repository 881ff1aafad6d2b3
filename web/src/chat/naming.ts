/**
 * The enterprise's group naming rule (docs/api/chat.md): a name matches when it has as many
 * `-`-separated non-empty parts as the pattern and its last part is one of the group types.
 * The server decides; the client uses this to guide the person before sending.
 */

export interface NamingPolicy {
  enabled: boolean;
  pattern: string;
  group_types: string[];
}

export type NameCheck = 'ok' | 'parts' | 'type';

export function partsOf(s: string): string[] {
  return s.split('-').map((p) => p.trim());
}

export function checkGroupName(name: string, naming: NamingPolicy | null | undefined): NameCheck {
  if (!naming?.enabled || !naming.pattern.trim()) return 'ok';
  const want = partsOf(naming.pattern).length;
  const parts = partsOf(name.trim());
  if (parts.length !== want || parts.some((p) => !p)) return 'parts';
  if (naming.group_types.length && !naming.group_types.includes(parts[parts.length - 1])) return 'type';
  return 'ok';
}

/** The group type a name ends with, or ''. */
export function groupTypeOf(name: string, types: string[]): string {
  const parts = partsOf(name);
  const last = parts[parts.length - 1];
  return types.includes(last) ? last : '';
}

/** Puts a group type at the end of a name, replacing a type already there. */
export function withGroupType(name: string, type: string, types: string[]): string {
  const trimmed = name.trim();
  const parts = trimmed ? partsOf(trimmed) : [];
  if (parts.length && types.includes(parts[parts.length - 1])) parts.pop();
  if (type) parts.push(type);
  return parts.join('-');
}
