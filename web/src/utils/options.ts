/** Values the forms offer; labels come from i18n (`industry.*`, `corpSize.*`, `gender.*`). */
export const INDUSTRIES = [
  'internet',
  'manufacturing',
  'retail',
  'finance',
  'education',
  'healthcare',
  'government',
  'construction',
  'logistics',
  'services',
  'other',
] as const;

export const CORP_SIZES = ['1-20', '21-100', '101-500', '501-2000', '2001-10000', '10000+'] as const;

export const GENDERS = ['1', '2', '0'] as const;

/** Time zones offered for the enterprise's and a member's clock (IANA names; the server accepts any). */
export const TIME_ZONES = [
  'Asia/Shanghai',
  'Asia/Hong_Kong',
  'Asia/Taipei',
  'Asia/Singapore',
  'Asia/Tokyo',
  'Asia/Seoul',
  'Asia/Bangkok',
  'Asia/Kolkata',
  'Asia/Dubai',
  'Europe/London',
  'Europe/Paris',
  'Europe/Berlin',
  'Europe/Moscow',
  'Africa/Johannesburg',
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Los_Angeles',
  'America/Sao_Paulo',
  'Australia/Sydney',
  'Pacific/Auckland',
  'UTC',
] as const;

/** `Asia/Shanghai (GMT+8)`: the zone with its offset now, as the browser knows it. */
export function timeZoneLabel(zone: string): string {
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'shortOffset' })
      .formatToParts(new Date())
      .find((p) => p.type === 'timeZoneName');
    return part ? `${zone} (${part.value})` : zone;
  } catch {
    return zone;
  }
}

/** Options for a time zone select; `current` is kept when it is not in the list. */
export function timeZoneOptions(current?: string): { value: string; label: string }[] {
  const zones: string[] = [...TIME_ZONES];
  if (current && !zones.includes(current)) zones.unshift(current);
  return zones.map((z) => ({ value: z, label: timeZoneLabel(z) }));
}
