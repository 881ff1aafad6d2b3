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

/** The naming rule as members read it (`GET /chat/policy`): with an example name that follows it. */
export interface MemberNaming extends NamingPolicy {
  example?: string;
}

type Translate = (key: string, named?: Record<string, unknown>) => string;

/** One line telling the person the rule before they type; '' when names are free. */
export function namingHint(naming: MemberNaming | null | undefined, t: Translate): string {
  if (!naming?.enabled) return '';
  const parts = [t('chat.naming.pattern', { pattern: naming.pattern })];
  if (naming.group_types.length) parts.push(t('chat.naming.types', { types: naming.group_types.join(t('chat.listSep')) }));
  if (naming.example) parts.push(t('chat.naming.example', { example: naming.example }));
  return parts.join(t('chat.naming.sep'));
}

/** What is wrong with a name under the rule, in words; null when it follows it. */
export function namingError(name: string, naming: MemberNaming | null | undefined, t: Translate): string | null {
  const check = checkGroupName(name, naming);
  if (check === 'ok' || !naming) return null;
  if (check === 'type') return t('chat.naming.wrongType', { types: naming.group_types.join(t('chat.listSep')) });
  return naming.example ? t('chat.naming.wrongPartsExample', { pattern: naming.pattern, example: naming.example }) : t('chat.naming.wrongParts', { pattern: naming.pattern });
}
