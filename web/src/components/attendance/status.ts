/** How day results and clock-ins look: a colour per day status and the words for a clock-in's status. */
import type { ClockStatus, DayStatus, HolidayInfo } from '@/api/attendance';

type T = (key: string, named?: Record<string, unknown>) => string;

/** Fill and text colour of a day in the calendars, and its legend dot. */
export const DAY_COLORS: Record<DayStatus, { bg: string; fg: string; dot: string }> = {
  normal: { bg: '#e3f9e9', fg: '#008858', dot: '#2ba471' },
  late: { bg: '#fff1e9', fg: '#be5a00', dot: '#e37318' },
  early: { bg: '#fff8e0', fg: '#a86e00', dot: '#e8a315' },
  missing: { bg: '#fff0ed', fg: '#c9353f', dot: '#f6685d' },
  absent: { bg: '#ffe5e3', fg: '#ad352f', dot: '#d54941' },
  leave: { bg: '#f3ebfd', fg: '#7136c1', dot: '#8e56dd' },
  field: { bg: '#e6f6fd', fg: '#0078a8', dot: '#029cd4' },
  holiday: { bg: '#ecf2fe', fg: '#0052d9', dot: '#618dff' },
  rest: { bg: '#f3f3f3', fg: '#8b8b8b', dot: '#c5c5c5' },
  pending: { bg: '#ffffff', fg: '#4b4b4b', dot: '#dcdcdc' },
  none: { bg: '#ffffff', fg: '#a6a6a6', dot: '#eeeeee' },
};

/** The order of the legend: what needs attention first. */
export const LEGEND: DayStatus[] = ['normal', 'late', 'early', 'missing', 'absent', 'leave', 'field', 'holiday', 'rest'];

/** TDesign tag theme of a day status. */
export function dayTheme(s: DayStatus | string | undefined): 'success' | 'warning' | 'danger' | 'primary' | 'default' {
  switch (s) {
    case 'normal':
      return 'success';
    case 'late':
    case 'early':
      return 'warning';
    case 'missing':
    case 'absent':
      return 'danger';
    case 'leave':
    case 'field':
    case 'holiday':
      return 'primary';
    default:
      return 'default';
  }
}

/** TDesign tag theme of a clock-in's status. */
export function clockTheme(s: ClockStatus | string | undefined): 'success' | 'warning' | 'danger' | 'primary' | 'default' {
  switch (s) {
    case 'normal':
      return 'success';
    case 'late':
    case 'early':
      return 'warning';
    case 'serious_late':
    case 'absent':
      return 'danger';
    case 'field':
      return 'primary';
    default:
      return 'default';
  }
}

/** "迟到 7 分钟", "正常", "外勤": a clock-in's status with its minutes where they matter. */
export function clockText(t: T, status: ClockStatus | string, minutes = 0): string {
  if ((status === 'late' || status === 'serious_late' || status === 'early') && minutes > 0) {
    if (minutes >= 60) return t(`attendance.clock.statusHours.${status}`, { h: Math.floor(minutes / 60), m: minutes % 60 });
    return t(`attendance.clock.statusMinutes.${status}`, { n: minutes });
  }
  return t(`attendance.clock.status.${status}`);
}

/** A holiday's name whether the server gives a name or a record. */
export function holidayName(h: HolidayInfo | null | undefined): string {
  if (!h) return '';
  return typeof h === 'string' ? h : h.name;
}

/** An amount of leave with its unit: "1.5 天", "4 小时". */
export function leaveAmount(t: T, n: number | null | undefined, unit: string): string {
  if (n == null || !Number.isFinite(n)) return '—';
  const v = Math.round(n * 10) / 10;
  return t(`attendance.leave.unitAmount.${unit === 'hour' ? 'hour' : 'day'}`, { n: v });
}

/** A ledger change: "+5", "−0.5". */
export function signed(n: number): string {
  const v = Math.round(n * 10) / 10;
  return v > 0 ? `+${v}` : v < 0 ? `−${Math.abs(v)}` : '0';
}
