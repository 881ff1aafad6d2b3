import { describe, expect, it } from 'vitest';
import type { Field } from '@/api/approvals';
import {
  columnSums,
  errorFieldId,
  formatMoney,
  initialValues,
  isEmpty,
  missingRequired,
  moneyString,
  newId,
  rangeDuration,
  valuesToSend,
} from '@/components/approvals/form';
import { mentionParts, namesToIds } from '@/components/approvals/mentions';
import { shortTime, spanText } from '@/components/approvals/time';

const items: Field = {
  id: 'items',
  kind: 'table',
  title: '费用明细',
  required: true,
  columns: [
    { id: 'what', kind: 'text', title: '事由', required: true },
    { id: 'amount', kind: 'money', title: '金额', required: true },
    { id: 'qty', kind: 'number', title: '数量' },
  ],
};
const form: Field[] = [
  { id: 'reason', kind: 'textarea', title: '事由', required: true },
  { id: 'total', kind: 'money', title: '总金额', required: true },
  { id: 'type', kind: 'single_choice', title: '类型', options: [{ key: 'travel', text: '差旅' }], default: 'travel' },
  { id: 'note', kind: 'description', title: '说明', text: '请附发票' },
  { id: 'leave', kind: 'date_range', title: '时间', unit: 'half_day' },
  { id: 'files', kind: 'attachment', title: '附件' },
  items,
];

describe('date range durations', () => {
  it('counts whole days with both ends', () => {
    expect(rangeDuration('day', '2026-12-07', '2026-12-07')).toBe(1);
    expect(rangeDuration('day', '2026-12-07', '2026-12-09')).toBe(3);
    expect(rangeDuration(undefined, '2026-12-30', '2027-01-02')).toBe(4);
  });

  it('counts half days by morning and afternoon', () => {
    expect(rangeDuration('half_day', '2026-12-07 am', '2026-12-07 am')).toBe(0.5);
    expect(rangeDuration('half_day', '2026-12-07 am', '2026-12-07 pm')).toBe(1);
    expect(rangeDuration('half_day', '2026-12-07 pm', '2026-12-08 am')).toBe(1);
    expect(rangeDuration('half_day', '2026-12-07 pm', '2026-12-09 pm')).toBe(2.5);
    expect(rangeDuration('half_day', '2026-12-07 pm', '2026-12-07 am')).toBeNull();
  });

  it('counts hours to one decimal between date-times', () => {
    expect(rangeDuration('hour', '2026-12-07 09:00', '2026-12-07 17:30')).toBe(8.5);
    expect(rangeDuration('hour', '2026-12-07 23:00', '2026-12-08 01:20')).toBe(2.3);
  });

  it('is null while incomplete or backwards', () => {
    expect(rangeDuration('day', '2026-12-07', '')).toBeNull();
    expect(rangeDuration('day', '2026-12-09', '2026-12-07')).toBeNull();
    expect(rangeDuration('hour', '2026-12-07', '2026-12-08')).toBeNull();
  });
});

describe('detail tables and money', () => {
  it('sums number and money columns, money to the cent', () => {
    const rows = [{ amount: '1200.10', qty: 2 }, { amount: 0.2, qty: '3' }, { what: '打车' }];
    expect(columnSums(items, rows)).toEqual({ amount: 1200.3, qty: 5 });
    expect(columnSums(items, undefined)).toEqual({ amount: 0, qty: 0 });
  });

  it('formats amounts with a sign and two decimals', () => {
    expect(formatMoney('12345.6', 'CNY')).toBe('¥12,345.60');
    expect(formatMoney(3, 'USD')).toBe('$3.00');
    expect(formatMoney(3, 'CHF')).toBe('CHF 3.00');
    expect(formatMoney('', 'CNY')).toBe('');
    expect(moneyString('1,000.5')).toBe('1000.50');
    expect(moneyString('abc')).toBeNull();
  });
});

describe('values', () => {
  it('starts from defaults and one empty row for a required table', () => {
    expect(initialValues(form)).toEqual({ type: 'travel', items: [{}] });
  });

  it('sends only filled values in their shapes, with durations', () => {
    const sent = valuesToSend(form, {
      reason: '  客户拜访  ',
      total: 12000,
      type: 'travel',
      note: 'ignored',
      leave: { start: '2026-12-07 pm', end: '2026-12-08 pm' },
      files: [{ file_id: 'f1', name: 'a.pdf', extra: 1 }],
      items: [{ what: '机票', amount: 11000.5, qty: '' }, {}, { what: ' ', amount: '' }],
    });
    expect(sent).toEqual({
      reason: '客户拜访',
      total: '12000.00',
      type: 'travel',
      leave: { start: '2026-12-07 pm', end: '2026-12-08 pm', duration: 1.5 },
      files: [{ file_id: 'f1', name: 'a.pdf' }],
      items: [{ what: '机票', amount: '11000.50' }],
    });
  });

  it('treats blank text, empty lists and half ranges as empty', () => {
    expect(isEmpty('  ')).toBe(true);
    expect(isEmpty([])).toBe(true);
    expect(isEmpty({ start: '2026-12-07', end: '' })).toBe(true);
    expect(isEmpty(0)).toBe(false);
    expect(isEmpty({ start: 'a', end: 'b' })).toBe(false);
  });

  it('names missing required values the way the server does', () => {
    expect(missingRequired(form, { items: [{}] })).toEqual({ 'values.reason': 'required', 'values.total': 'required', 'values.items': 'required' });
    expect(missingRequired(form, { reason: 'x', total: 1, items: [{ what: '机票' }, {}, { amount: 5 }] })).toEqual({
      'values.items.0.amount': 'required',
      'values.items.2.what': 'required',
    });
  });

  it('reads the field id out of an error key', () => {
    expect(errorFieldId('values.amount')).toBe('amount');
    expect(errorFieldId('values.items.0.price')).toBe('items');
    expect(errorFieldId('template_id')).toBeNull();
  });

  it('makes ids that are not taken and fit the id pattern', () => {
    const taken = Array.from({ length: 50 }, () => newId('money'));
    const id = newId('money', taken);
    expect(taken).not.toContain(id);
    expect(id).toMatch(/^money-[a-z0-9]{1,6}$/);
  });
});

describe('comment mentions', () => {
  it('turns picked names into userids, longest first', () => {
    const picked = [
      { userid: 'zhangsan', name: '张三' },
      { userid: 'zsf', name: '张三丰' },
    ];
    expect(namesToIds('请 @张三丰 和 @张三 看一下', picked)).toBe('请 @zsf 和 @zhangsan 看一下');
  });

  it('finds @userid mentions but not e-mail addresses', () => {
    expect(mentionParts('请 @wulei 看, 邮件 a@b.com。')).toEqual([{ text: '请 ' }, { text: '@wulei', userid: 'wulei' }, { text: ' 看, 邮件 a@b.com。' }]);
    expect(mentionParts('@chen.jing.')).toEqual([{ text: '@chen.jing', userid: 'chen.jing' }, { text: '.' }]);
  });
});

describe('times', () => {
  const now = new Date(2026, 11, 7, 15, 0).getTime();
  it('shows today by time, this year by date and time, before by date', () => {
    expect(shortTime(new Date(2026, 11, 7, 9, 5).getTime(), now)).toBe('09:05');
    expect(shortTime(new Date(2026, 2, 1, 18, 30).getTime(), now)).toBe('03-01 18:30');
    expect(shortTime(new Date(2025, 11, 31, 8, 0).getTime(), now)).toBe('2025-12-31');
    expect(shortTime(null, now)).toBe('');
  });

  it('names spans in the largest unit', () => {
    const t = (k: string, n?: Record<string, unknown>) => `${n?.n}${k.split('.').pop()}`;
    expect(spanText(20_000, t)).toBe('1minutes');
    expect(spanText(45 * 60_000, t)).toBe('45minutes');
    expect(spanText(150 * 60_000, t)).toBe('2.5hours');
    expect(spanText(30 * 3_600_000, t)).toBe('1.3days');
    expect(spanText(12 * 86_400_000, t)).toBe('12days');
    expect(spanText(null, t)).toBe('—');
  });
});
