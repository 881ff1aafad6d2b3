/**
 * Form logic of the approvals pages with no Vue in it: starting values, what counts as empty, the
 * live duration of a date range, the sums of a detail table, the client-side required check and the
 * values sent to the server (empty ones left out, as form/mod.rs asks).
 */
import type { DateRangeValue, DurationUnit, Field, FieldKind, FileValue, FormValues } from '@/api/approvals';

/** Kinds that hold no value. */
export const VALUELESS: FieldKind[] = ['description'];
/** Kinds a detail table's columns may not be. */
export const NOT_IN_TABLE: FieldKind[] = ['table', 'description', 'related_approval'];
/** Kinds a range condition can test. */
export const NUMERIC: FieldKind[] = ['number', 'money'];
/** At most this many files (WeCom's limits). */
export const MAX_FILES: Partial<Record<FieldKind, number>> = { attachment: 6, image: 9 };

export function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'string') return v.trim() === '';
  if (typeof v === 'number') return Number.isNaN(v);
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') {
    const r = v as Partial<DateRangeValue>;
    if ('start' in r || 'end' in r) return isEmpty(r.start) || isEmpty(r.end);
    return Object.keys(v).length === 0;
  }
  return false;
}

/** A deep copy of a JSON value (defaults must not be shared between forms). */
function copy<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** The values a new form starts with: each field's default, and one empty row for a required table. */
export function initialValues(fields: Field[]): FormValues {
  const out: FormValues = {};
  for (const f of fields) {
    if (VALUELESS.includes(f.kind)) continue;
    if (f.default !== undefined && f.default !== null) out[f.id] = copy(f.default);
    else if (f.kind === 'table') out[f.id] = [emptyRow(f)];
  }
  return out;
}

export function emptyRow(table: Field): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const c of table.columns ?? []) if (c.default !== undefined && c.default !== null) row[c.id] = copy(c.default);
  return row;
}

const DAY_MS = 86_400_000;

function parseDay(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s.trim());
  if (!m) return null;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

function parseDateTime(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})/.exec(s.trim());
  if (!m) return null;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
}

/**
 * The duration of a date range in its unit, as the form shows it while it is filled in (the server
 * computes the value it keeps): whole days counting both ends; half days from "date am|pm" to
 * "date am|pm", both halves counted; hours between two date-times, to one decimal. Null while
 * incomplete, or when the end is before the start.
 */
export function rangeDuration(unit: DurationUnit | null | undefined, start: string | undefined, end: string | undefined): number | null {
  if (!start || !end) return null;
  const u = unit ?? 'day';
  if (u === 'hour') {
    const a = parseDateTime(start);
    const b = parseDateTime(end);
    if (a == null || b == null || b < a) return null;
    return Math.round(((b - a) / 3_600_000) * 10) / 10;
  }
  const a = parseDay(start);
  const b = parseDay(end);
  if (a == null || b == null || b < a) return null;
  const days = Math.round((b - a) / DAY_MS);
  if (u === 'day') return days + 1;
  const half = (s: string) => (/\bpm\s*$/i.test(s) ? 1 : 0);
  const halves = days * 2 + half(end) - half(start) + 1;
  return halves <= 0 ? null : halves / 2;
}

/** A number from a number or money value ("1234.50" or 1234.5); null when there is none. */
export function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v.replace(/,/g, ''));
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** The sum of each number and money column of a detail table (money rounded to cents). */
export function columnSums(table: Field, rows: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  const list = Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
  for (const c of table.columns ?? []) {
    if (!NUMERIC.includes(c.kind)) continue;
    let sum = 0;
    for (const r of list) sum += toNumber(r?.[c.id]) ?? 0;
    out[c.id] = c.kind === 'money' ? Math.round(sum * 100) / 100 : sum;
  }
  return out;
}

/** An amount with two decimals and thousands separators, e.g. "12,345.60". */
export function formatAmount(v: unknown): string {
  const n = toNumber(v);
  if (n == null) return '';
  return n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

const CURRENCY_SIGNS: Record<string, string> = { CNY: '¥', USD: '$', EUR: '€', JPY: '¥', GBP: '£', HKD: 'HK$' };

/** "¥12,345.60" for CNY; other currencies by sign or code. */
export function formatMoney(v: unknown, currency?: string | null): string {
  const amount = formatAmount(v);
  if (!amount) return '';
  const code = (currency || 'CNY').toUpperCase();
  const sign = CURRENCY_SIGNS[code];
  return sign ? `${sign}${amount}` : `${code} ${amount}`;
}

/** Money as the server keeps it: a decimal string with two decimals. */
export function moneyString(v: unknown): string | null {
  const n = toNumber(v);
  return n == null ? null : n.toFixed(2);
}

function cleanCell(f: Field, v: unknown): unknown {
  if (isEmpty(v)) return undefined;
  switch (f.kind) {
    case 'text':
    case 'textarea':
      return String(v).trim() || undefined;
    case 'number':
      return toNumber(v) ?? undefined;
    case 'money':
      return moneyString(v) ?? undefined;
    case 'date_range': {
      const r = v as DateRangeValue;
      const duration = rangeDuration(f.unit, r.start, r.end);
      return duration == null ? { start: r.start, end: r.end } : { start: r.start, end: r.end, duration };
    }
    case 'attachment':
    case 'image':
      return (v as FileValue[]).map((x) => ({ file_id: x.file_id, name: x.name }));
    case 'table': {
      const rows = (v as Record<string, unknown>[])
        .map((row) => {
          const out: Record<string, unknown> = {};
          for (const c of f.columns ?? []) {
            const cell = cleanCell(c, row?.[c.id]);
            if (cell !== undefined) out[c.id] = cell;
          }
          return out;
        })
        .filter((row) => Object.keys(row).length > 0);
      return rows.length ? rows : undefined;
    }
    default:
      return v;
  }
}

/** The values to send: by field id, empty ones left out, numbers and money in their shapes, durations filled in. */
export function valuesToSend(fields: Field[], values: FormValues): FormValues {
  const out: FormValues = {};
  for (const f of fields) {
    if (VALUELESS.includes(f.kind)) continue;
    const v = cleanCell(f, values[f.id]);
    if (v !== undefined) out[f.id] = v;
  }
  return out;
}

/**
 * Required fields left empty, as the server would name them (`values.<id>`, table cells
 * `values.<id>.<row>.<column>`), each with the reason `required`. The server checks everything
 * again; this only saves a round trip for the obvious.
 */
export function missingRequired(fields: Field[], values: FormValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    if (VALUELESS.includes(f.kind)) continue;
    const v = values[f.id];
    if (f.kind === 'table') {
      const rows = Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
      const filled = rows.map((r, i) => [r, i] as const).filter(([r]) => (f.columns ?? []).some((c) => !isEmpty(r?.[c.id])));
      if (f.required && filled.length === 0) out[`values.${f.id}`] = 'required';
      for (const [r, i] of filled) for (const c of f.columns ?? []) if (c.required && isEmpty(r?.[c.id])) out[`values.${f.id}.${i}.${c.id}`] = 'required';
      continue;
    }
    if (f.required && isEmpty(v)) out[`values.${f.id}`] = 'required';
  }
  return out;
}

/** The field a server error key names: `values.amount` → `amount`, `values.items.0.price` → `items`. */
export function errorFieldId(key: string): string | null {
  const m = /^values\.([^.]+)/.exec(key);
  return m ? m[1] : null;
}

/** An id for a new field or node: a prefix and a short random part (letters, digits and `-`). */
export function newId(prefix: string, taken: Iterable<string> = []): string {
  const used = new Set(taken);
  for (;;) {
    const id = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
    if (!used.has(id)) return id;
  }
}
