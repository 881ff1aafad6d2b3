import type { Component } from 'vue';
import {
  CalendarIcon,
  CartIcon,
  CertificateIcon,
  FileIcon,
  FingerprintIcon,
  FlagIcon,
  FlightTakeoffIcon,
  GiftIcon,
  HomeIcon,
  LaptopIcon,
  MoneyIcon,
  PrintIcon,
  SealIcon,
  TaskIcon,
  TimeIcon,
  UserAddIcon,
  WalletIcon,
  WorkIcon,
} from 'tdesign-icons-vue-next';

export interface TemplateIconDef {
  icon: Component;
  color: string;
}

/** The icons a template may carry (`icon`), by key; the built-in templates use the first seven. */
export const TEMPLATE_ICONS: Record<string, TemplateIconDef> = {
  leave: { icon: CalendarIcon, color: '#f59a23' },
  reimbursement: { icon: MoneyIcon, color: '#e37318' },
  business_trip: { icon: FlightTakeoffIcon, color: '#0594fa' },
  purchase: { icon: CartIcon, color: '#2ba471' },
  supplies: { icon: GiftIcon, color: '#8e56dd' },
  overtime: { icon: TimeIcon, color: '#0052d9' },
  punch_correction: { icon: FingerprintIcon, color: '#00a870' },
  seal: { icon: SealIcon, color: '#d54941' },
  contract: { icon: CertificateIcon, color: '#029cd4' },
  payment: { icon: WalletIcon, color: '#e37318' },
  hiring: { icon: UserAddIcon, color: '#2ba471' },
  work: { icon: WorkIcon, color: '#0052d9' },
  device: { icon: LaptopIcon, color: '#5e6b7e' },
  print: { icon: PrintIcon, color: '#8e56dd' },
  housing: { icon: HomeIcon, color: '#f59a23' },
  task: { icon: TaskIcon, color: '#0594fa' },
  flag: { icon: FlagIcon, color: '#d54941' },
  general: { icon: FileIcon, color: '#366ef4' },
};

export const ICON_KEYS = Object.keys(TEMPLATE_ICONS);

/** The icon of a template: its own key, else that of its built-in kind, else the general one. */
export function templateIcon(icon?: string | null, builtin?: string | null): TemplateIconDef {
  return TEMPLATE_ICONS[icon ?? ''] ?? TEMPLATE_ICONS[builtin ?? ''] ?? TEMPLATE_ICONS.general;
}
