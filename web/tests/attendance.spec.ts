import { describe, expect, it } from 'vitest';
import { createI18n } from 'vue-i18n';
import en from '@/i18n/en';
import zhCN from '@/i18n/zh-CN';
import { CLOCK_STATUSES, COORD_SYSTEMS, CORRECTION_STATUSES, DAY_STATUSES, LEAVE_UNITS, PAYROLL_COLUMNS, QUOTA_RULES, RULE_KINDS } from '@/api/attendance';
import { addMonths, daysInMonth, hm, hoursMinutes, isoWeekday, longDate, longMonth, monthGrid, monthRange, parseHm } from '@/components/attendance/calendar';
import { distanceM, distanceParts, nearestPlace } from '@/components/attendance/geo';
import { parseHolidayLines } from '@/components/attendance/holidayImport';
import { BUILTIN_LEAVE } from '@/components/attendance/leaveNames';
import { clockText, DAY_COLORS, dayTheme, holidayName, LEGEND, leaveAmount, signed } from '@/components/attendance/status';

const i18n = createI18n({ legacy: false, locale: 'zh-CN', messages: { 'zh-CN': zhCN, en }, missingWarn: false, fallbackWarn: false });
const t = (key: string, named?: Record<string, unknown>) => (named ? i18n.global.t(key, named) : i18n.global.t(key));

describe('distances', () => {
  const office = { name: '总部', latitude: 31.2285, longitude: 121.4692, radius_m: 500 };

  it('measures on the ground: 0.001° of latitude is about 111 m, Beijing–Shanghai about 1,067 km', () => {
    expect(distanceM({ latitude: 31, longitude: 121 }, { latitude: 31.001, longitude: 121 })).toBeCloseTo(111.2, 0);
    const d = distanceM({ latitude: 39.9042, longitude: 116.4074 }, { latitude: 31.2304, longitude: 121.4737 });
    expect(d / 1000).toBeGreaterThan(1062);
    expect(d / 1000).toBeLessThan(1072);
  });

  it('counts a fix as inside as the server does', () => {
    // About 600 m north of the office: outside a 500 m radius with a precise fix …
    const north = { latitude: office.latitude + 600 / 111_195, longitude: office.longitude };
    expect(nearestPlace([office], { ...north, accuracy: 20 })?.reach).toBe('outside');
    // … inside when the fix is known to 150 m (no coarser than the radius) and its circle reaches …
    expect(nearestPlace([office], { ...north, accuracy: 150 })?.reach).toBe('inside');
    // … inaccurate, not inside, when the fix is coarser than the radius: only its centre counts.
    expect(nearestPlace([office], { ...north, accuracy: 800 })?.reach).toBe('inaccurate');
    // A coarse fix whose circle does not even reach is outside.
    const far = { latitude: office.latitude + 2000 / 111_195, longitude: office.longitude };
    expect(nearestPlace([office], { ...far, accuracy: 800 })?.reach).toBe('outside');
    expect(nearestPlace([office], { ...far, accuracy: 800 })!.distance).toBeCloseTo(2000, -1);
    expect(nearestPlace([office], { latitude: office.latitude, longitude: office.longitude, accuracy: 3000 })?.reach).toBe('inside');
  });

  it('measures against the place with the nearest centre', () => {
    const a = { name: '门店', latitude: 31.23, longitude: 121.47, radius_m: 50 };
    const b = { name: '园区', latitude: 31.234, longitude: 121.47, radius_m: 2000 };
    const n = nearestPlace([b, a], { latitude: 31.2305, longitude: 121.47, accuracy: 10 });
    expect(n?.place.name).toBe('门店');
    expect(n?.reach).toBe('inside');
    expect(nearestPlace([], { latitude: 0, longitude: 0, accuracy: 5 })).toBeNull();
  });

  it('reads as metres under a kilometre, then kilometres', () => {
    expect(distanceParts(132.4)).toEqual({ value: '132', unit: 'm' });
    expect(distanceParts(999.6)).toEqual({ value: '1000', unit: 'm' });
    expect(distanceParts(1234)).toEqual({ value: '1.2', unit: 'km' });
    expect(distanceParts(15_600)).toEqual({ value: '16', unit: 'km' });
    expect(t(`attendance.unit.km`, { n: distanceParts(1234).value })).toBe('1.2 公里');
  });
});

describe('calendar', () => {
  it('moves months across years', () => {
    expect(addMonths('2026-12', 1)).toBe('2027-01');
    expect(addMonths('2026-01', -1)).toBe('2025-12');
    expect(addMonths('2026-03', -14)).toBe('2025-01');
  });

  it('knows month lengths, weekdays and ranges', () => {
    expect(daysInMonth('2028-02')).toBe(29);
    expect(daysInMonth('2026-02')).toBe(28);
    expect(isoWeekday('2026-12-07')).toBe(1);
    expect(isoWeekday('2026-12-13')).toBe(7);
    expect(monthRange('2026-04')).toEqual(['2026-04-01', '2026-04-30']);
  });

  it('lays a month out in weeks from Monday', () => {
    // December 2026 starts on a Tuesday and ends on a Thursday.
    const weeks = monthGrid('2026-12');
    expect(weeks).toHaveLength(5);
    expect(weeks[0]).toEqual([null, '2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04', '2026-12-05', '2026-12-06']);
    expect(weeks[4]).toEqual(['2026-12-28', '2026-12-29', '2026-12-30', '2026-12-31', null, null, null]);
    expect(weeks.flat().filter(Boolean)).toHaveLength(31);
  });

  it('writes days and months as each language does', () => {
    expect(longDate('2026-12-08', 'zh-CN')).toBe('12月8日星期二');
    expect(longDate('2026-12-08', 'en')).toBe('Tuesday, December 8');
    expect(longMonth('2026-12', 'zh-CN')).toBe('2026年12月');
    expect(longMonth('2026-12', 'en')).toBe('December 2026');
  });

  it('reads and writes times of day', () => {
    expect(parseHm('09:30')).toBe(570);
    expect(parseHm('24:00')).toBeNull();
    expect(parseHm('9:5')).toBeNull();
    expect(hm(null)).toBe('');
    expect(hm(new Date(2026, 11, 8, 9, 7).getTime())).toBe('09:07');
    expect(hoursMinutes(487)).toEqual([8, 7]);
  });
});

describe('holiday import', () => {
  it('reads a notice typed one day a line', () => {
    const r = parseHolidayLines('# 2027\n2027-01-01 休 元旦\n2027-02-07\t班\t春节调休上班\n\n2027/2/10, holiday, Spring Festival\n', 2027);
    expect(r.problems).toEqual([]);
    expect(r.items).toEqual([
      { date: '2027-01-01', kind: 'holiday', name: '元旦' },
      { date: '2027-02-07', kind: 'workday', name: '春节调休上班' },
      { date: '2027-02-10', kind: 'holiday', name: 'Spring Festival' },
    ]);
  });

  it('names each line it cannot read and why', () => {
    const r = parseHolidayLines('2027-02-30 休 x\n2026-10-01 休 国庆\n2027-05-01 假日 劳动节\n2027-05-02 休\n2027-05-03 休 劳动节\n2027-05-03 休 劳动节', 2027);
    expect(r.problems).toEqual([
      { line: 1, reason: 'date' },
      { line: 2, reason: 'year' },
      { line: 3, reason: 'kind' },
      { line: 4, reason: 'format' },
      { line: 6, reason: 'duplicate' },
    ]);
    expect(r.items.map((x) => x.date)).toEqual(['2027-05-03']);
  });
});

describe('words and colours', () => {
  it('says a clock-in with its minutes', () => {
    expect(clockText(t, 'late', 7)).toBe('迟到 7 分钟');
    expect(clockText(t, 'early', 12)).toBe('早退 12 分钟');
    expect(clockText(t, 'late', 0)).toBe('迟到');
    expect(clockText(t, 'late', 684)).toBe('迟到 11 小时 24 分钟');
    expect(clockText(t, 'normal', 0)).toBe('正常');
    i18n.global.locale.value = 'en';
    expect(clockText(t, 'serious_late', 45)).toBe('Seriously late by 45 min');
    i18n.global.locale.value = 'zh-CN';
  });

  it('gives every day status a colour and a theme', () => {
    for (const s of DAY_STATUSES) {
      expect(DAY_COLORS[s], s).toBeTruthy();
      expect(dayTheme(s), s).toMatch(/^(success|warning|danger|primary|default)$/);
    }
    expect(dayTheme('absent')).toBe('danger');
    expect(LEGEND.every((s) => (DAY_STATUSES as readonly string[]).includes(s))).toBe(true);
  });

  it('shows leave amounts in days or hours and signed changes', () => {
    expect(leaveAmount(t, 1.5, 'half_day')).toBe('1.5 天');
    expect(leaveAmount(t, 4, 'hour')).toBe('4 小时');
    expect(leaveAmount(t, null, 'day')).toBe('—');
    expect(signed(5)).toBe('+5');
    expect(signed(-0.5)).toBe('−0.5');
    expect(holidayName({ name: '国庆节' })).toBe('国庆节');
    expect(holidayName('春节')).toBe('春节');
    expect(holidayName(null)).toBe('');
  });
});

describe('dictionary keys built at run time', () => {
  const keys = [
    ...DAY_STATUSES.flatMap((s) => [`attendance.day.${s}`, `attendance.dayShort.${s}`]),
    ...CORRECTION_STATUSES.map((s) => `attendance.day.${s}`),
    ...CLOCK_STATUSES.map((s) => `attendance.clock.status.${s}`),
    ...['late', 'serious_late', 'early'].flatMap((s) => [`attendance.clock.statusMinutes.${s}`, `attendance.clock.statusHours.${s}`]),
    ...['unsupported', 'denied', 'unavailable', 'timeout'].map((e) => `attendance.clock.locError.${e}`),
    ...['outside_area', 'location_inaccurate', 'no_attendance_rule', 'clock_skew', 'clock_in_too_early'].map((c) => `attendance.clock.refusal.${c}`),
    ...['on', 'off', 'field', 'free'].map((k) => `attendance.kind.${k}`),
    ...['pending', 'accepted', 'refused'].flatMap((r) => [`attendance.review.${r}`, `attendance.reviews.empty.${r}`]),
    ...[1, 2, 3, 4, 5, 6, 7].flatMap((d) => [`attendance.weekday.${d}`, `attendance.weekdayShort.${d}`]),
    ...RULE_KINDS.flatMap((k) => [`attendance.rule.kinds.${k}`, `attendance.rule.kindDesc.${k}`]),
    ...COORD_SYSTEMS.map((c) => `attendance.rule.coord.${c}`),
    ...['early_limit_minutes', 'grace_minutes', 'serious_late_minutes', 'absent_late_minutes'].flatMap((k) => [`attendance.rule.limit.${k}`, `attendance.rule.limitHint.${k}`]),
    ...PAYROLL_COLUMNS.map((c) => `attendance.payroll.${c}`),
    ...['leave_days'].map((c) => `attendance.payroll.${c}`),
    ...QUOTA_RULES.map((q) => `attendance.leaveAdmin.quota.${q}`),
    ...LEAVE_UNITS.map((u) => `attendance.leave.unit.${u}`),
    ...BUILTIN_LEAVE.map((k) => `attendance.leaveType.${k}`),
    ...['grant', 'approval', 'restore', 'adjust', 'expire', 'carry_over', 'overtime'].map((c) => `attendance.ledger.cause.${c}`),
    ...['web', 'device', 'correction', 'api'].map((s) => `attendance.data.source.${s}`),
    ...['rules', 'schedule', 'holidays', 'results', 'reviews', 'export', 'leave', 'settings'].map((k) => `attendance.admin.tab.${k}`),
    ...['format', 'date', 'kind', 'name', 'year', 'duplicate'].map((r) => `attendance.holidays.importReason.${r}`),
    ...['holiday', 'workday'].map((k) => `attendance.holidays.kinds.${k}`),
    ...['statutory', 'company'].map((k) => `attendance.holidays.origins.${k}`),
    ...['due_days', 'present_days', 'late', 'early', 'missing', 'absent_days', 'leave_days', 'field_days', 'overtime_hours', 'rest_days'].map((k) => `attendance.summary.${k}`),
    ...['days', 'times', 'hours'].map((k) => `attendance.summary.unit.${k}`),
    ...['firstIn', 'lastOut', 'work', 'late', 'early', 'missing', 'field', 'overtime'].map((k) => `attendance.detail.${k}`),
    ...['m', 'km'].map((k) => `attendance.unit.${k}`),
  ];

  it('exist in both languages', () => {
    const missing = keys.filter((k) => !i18n.global.te(k, 'zh-CN') || !i18n.global.te(k, 'en'));
    expect(missing).toEqual([]);
  });
});
