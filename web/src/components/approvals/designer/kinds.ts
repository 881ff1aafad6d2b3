import type { Component } from 'vue';
import {
  AttachIcon,
  CalendarIcon,
  CheckRectangleIcon,
  ComponentRadioIcon,
  FileIcon,
  ImageIcon,
  InfoCircleIcon,
  MoneyIcon,
  Numbers1Icon,
  TableIcon,
  TextformatBoldIcon,
  TimeIcon,
  TreeRoundDotIcon,
  UserIcon,
  ViewListIcon,
  CalendarEventIcon,
} from 'tdesign-icons-vue-next';
import type { Field, FieldKind } from '@/api/approvals';
import { FIELD_KINDS } from '@/api/approvals';
import { newId, NOT_IN_TABLE } from '../form';

/** The palette of the form designer: every field kind with its icon. */
export const KIND_ICONS: Record<FieldKind, Component> = {
  text: TextformatBoldIcon,
  textarea: ViewListIcon,
  number: Numbers1Icon,
  money: MoneyIcon,
  date: CalendarIcon,
  date_time: TimeIcon,
  date_range: CalendarEventIcon,
  single_choice: ComponentRadioIcon,
  multi_choice: CheckRectangleIcon,
  member: UserIcon,
  department: TreeRoundDotIcon,
  attachment: AttachIcon,
  image: ImageIcon,
  table: TableIcon,
  description: InfoCircleIcon,
  related_approval: FileIcon,
};

export const PALETTE: FieldKind[] = [...FIELD_KINDS];
export const COLUMN_KINDS: FieldKind[] = FIELD_KINDS.filter((k) => !NOT_IN_TABLE.includes(k));

type T = (key: string, named?: Record<string, unknown>) => string;

/** A new field of a kind with a title that is not taken yet ("金额", "金额2", …) and what its kind needs. */
export function makeField(kind: FieldKind, t: T, siblings: Field[]): Field {
  const base = t(`approvals.kind.${kind}`);
  const titles = new Set(siblings.map((f) => f.title));
  let title = base;
  for (let n = 2; titles.has(title); n++) title = `${base}${n}`;
  const f: Field = { id: newId(kind.replace(/_/g, '-'), siblings.map((x) => x.id)), kind, title, required: false };
  if (kind === 'single_choice' || kind === 'multi_choice') {
    f.options = [
      { key: 'opt-1', text: t('approvals.designer.option', { n: 1 }) },
      { key: 'opt-2', text: t('approvals.designer.option', { n: 2 }) },
    ];
  }
  if (kind === 'money') f.currency = 'CNY';
  if (kind === 'date_range') f.unit = 'day';
  if (kind === 'description') f.text = t('approvals.designer.descriptionText');
  if (kind === 'table') f.columns = [makeField('text', t, []), { ...makeField('money', t, []), id: 'amount' }];
  return f;
}

/** A field cleaned for the server: members that do not belong to its kind left out. */
export function cleanField(f: Field): Field {
  const out: Field = { id: f.id, kind: f.kind, title: f.title.trim() };
  if (f.required) out.required = true;
  if (f.placeholder?.trim()) out.placeholder = f.placeholder.trim();
  if (f.hint?.trim()) out.hint = f.hint.trim();
  if (f.default !== undefined && f.default !== null && f.default !== '') out.default = f.default;
  switch (f.kind) {
    case 'single_choice':
    case 'multi_choice':
      out.options = (f.options ?? []).map((o) => ({ key: o.key, text: o.text.trim() }));
      break;
    case 'member':
    case 'department':
      if (f.multiple) out.multiple = true;
      break;
    case 'number':
    case 'money':
      if (f.min != null) out.min = f.min;
      if (f.max != null) out.max = f.max;
      if (f.kind === 'money' && f.currency) out.currency = f.currency;
      break;
    case 'date_range':
      out.unit = f.unit ?? 'day';
      break;
    case 'table':
      out.columns = (f.columns ?? []).map(cleanField);
      break;
    case 'description':
      out.text = f.text ?? '';
      delete out.required;
      break;
    case 'related_approval':
      if (f.template_ids?.length) out.template_ids = f.template_ids;
      break;
  }
  return out;
}

export const CURRENCIES = ['CNY', 'USD', 'EUR', 'HKD', 'JPY', 'GBP'];
