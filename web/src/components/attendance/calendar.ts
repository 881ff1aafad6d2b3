/**
 * Dates and months as the attendance API speaks them (`YYYY-MM-DD`, `YYYY-MM`), read on the
 * device's calendar, and the month grid of the calendar views (weeks from Monday).
 */

const pad = (n: number) => String(n).padStart(2, '0');

/** The device's date as `YYYY-MM-DD`. */
export function dateOf(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function monthOf(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}`;
}

/** `YYYY-MM` moved by `n` months. */
export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number);
  const i = y * 12 + (m - 1) + n;
  return `${Math.floor(i / 12)}-${pad((i % 12) + 1)}`;
}

export function daysInMonth(month: string): number {
  const [y, m] = month.split('-').map(Number);
  return new Date(y, m, 0).getDate();
}

/** Every date of a month. */
export function monthDates(month: string): string[] {
  return Array.from({ length: daysInMonth(month) }, (_, i) => `${month}-${pad(i + 1)}`);
}

/** ISO weekday (1 Monday … 7 Sunday) of a `YYYY-MM-DD`. */
export function isoWeekday(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  const w = new Date(y, m - 1, d).getDay();
  return w === 0 ? 7 : w;
}

/** The month as weeks of seven cells from Monday; cells outside the month are null. */
export function monthGrid(month: string): (string | null)[][] {
  const dates = monthDates(month);
  const cells: (string | null)[] = [...Array(isoWeekday(dates[0]) - 1).fill(null), ...dates];
  while (cells.length % 7) cells.push(null);
  const weeks: (string | null)[][] = [];
  for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
  return weeks;
}

/** `HH:MM` of a moment on the device's clock, or '' for none. */
export function hm(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms) || ms <= 0) return '';
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Minutes as hours and minutes: [h, m]. */
export function hoursMinutes(minutes: number): [number, number] {
  const v = Math.max(0, Math.round(minutes));
  return [Math.floor(v / 60), v % 60];
}

/** Minutes since midnight of `HH:MM`, or null when it is not a time. */
export function parseHm(s: string | null | undefined): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec((s ?? '').trim());
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  return h < 24 && min < 60 ? h * 60 + min : null;
}

/** The first and last date of a month. */
export function monthRange(month: string): [string, string] {
  return [`${month}-01`, `${month}-${pad(daysInMonth(month))}`];
}

function localDate(date: string): Date {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(y, (m || 1) - 1, d || 1);
}

/** A day as people write it in the language: 12月8日星期二, Tuesday, December 8. */
export function longDate(date: string, lang: string): string {
  return localDate(date).toLocaleDateString(lang, { weekday: 'long', month: 'long', day: 'numeric' });
}

/** A month as people write it in the language: 2026年12月, December 2026. */
export function longMonth(month: string, lang: string): string {
  return localDate(`${month}-01`).toLocaleDateString(lang, { year: 'numeric', month: 'long' });
}
