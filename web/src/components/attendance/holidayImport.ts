import type { HolidayKind } from '@/api/attendance';

export interface ParsedHoliday {
  date: string;
  kind: HolidayKind;
  name: string;
}

export interface ParseResult {
  items: ParsedHoliday[];
  /** Line numbers (1-based) that could not be read, with why. */
  problems: { line: number; reason: 'format' | 'date' | 'kind' | 'name' | 'year' | 'duplicate' }[];
}

const HOLIDAY_WORDS = new Set(['holiday', 'off', '休', '放假', '假']);
const WORKDAY_WORDS = new Set(['workday', 'work', '班', '上班', '调休上班']);

/**
 * Reads a year of statutory days typed or pasted one a line: `2027-01-01 休 元旦` (date, 休/放假/holiday
 * or 班/上班/workday, name), separated by spaces, tabs or commas. Blank lines and `#` comments are skipped.
 */
export function parseHolidayLines(text: string, year: number): ParseResult {
  const items: ParsedHoliday[] = [];
  const problems: ParseResult['problems'] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const parts = line.split(/[\s,，\t]+/).filter(Boolean);
    const n = i + 1;
    if (parts.length < 3) return problems.push({ line: n, reason: 'format' });
    const [date, word, ...rest] = parts;
    const m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(date.replace(/\//g, '-'));
    if (!m) return problems.push({ line: n, reason: 'date' });
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const real = new Date(y, mo - 1, d);
    if (real.getFullYear() !== y || real.getMonth() !== mo - 1 || real.getDate() !== d) return problems.push({ line: n, reason: 'date' });
    if (y !== year) return problems.push({ line: n, reason: 'year' });
    const w = word.toLowerCase();
    const kind: HolidayKind | null = HOLIDAY_WORDS.has(w) ? 'holiday' : WORKDAY_WORDS.has(w) ? 'workday' : null;
    if (!kind) return problems.push({ line: n, reason: 'kind' });
    const name = rest.join(' ').trim();
    if (!name || [...name].length > 40) return problems.push({ line: n, reason: 'name' });
    const iso = `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
    if (seen.has(iso)) return problems.push({ line: n, reason: 'duplicate' });
    seen.add(iso);
    items.push({ date: iso, kind, name });
  });
  items.sort((a, b) => a.date.localeCompare(b.date));
  return { items, problems };
}
