/** Times on the approvals pages: short list times and spans of time (waiting, time to decide). */

const p = (n: number) => String(n).padStart(2, '0');

/** "14:30" today, "12-05 14:30" this year, "2025-12-05" before; `now` for tests. */
export function shortTime(ms: number | null | undefined, now: number = Date.now()): string {
  if (ms == null || !Number.isFinite(ms)) return '';
  const d = new Date(ms);
  const n = new Date(now);
  const hm = `${p(d.getHours())}:${p(d.getMinutes())}`;
  if (d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate()) return hm;
  if (d.getFullYear() === n.getFullYear()) return `${p(d.getMonth() + 1)}-${p(d.getDate())} ${hm}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

type T = (key: string, named?: Record<string, unknown>) => string;

/** A span in the largest fitting unit with one decimal below ten: "45分钟", "2.5小时", "3天". */
export function spanText(ms: number | null | undefined, t: T): string {
  if (ms == null || !Number.isFinite(ms) || ms < 0) return '—';
  const minutes = ms / 60_000;
  const round = (v: number) => (v < 10 ? Math.round(v * 10) / 10 : Math.round(v));
  if (minutes < 60) return t('approvals.span.minutes', { n: Math.max(1, Math.round(minutes)) });
  const hours = minutes / 60;
  if (hours < 24) return t('approvals.span.hours', { n: round(hours) });
  return t('approvals.span.days', { n: round(hours / 24) });
}

/** Local midnight of a "YYYY-MM-DD" day, in milliseconds; with `endOfDay` the last millisecond of it. */
export function dayToMs(day: string, endOfDay = false): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return endOfDay ? d.getTime() + 86_400_000 - 1 : d.getTime();
}
