/**
 * Types and endpoints of the attendance and leave API (`/api/v1/attendance`), as in
 * docs/api/attendance.md. Dates are `YYYY-MM-DD` on the enterprise's calendar, months `YYYY-MM`,
 * times of day `HH:MM`, moments Unix milliseconds.
 */
import { apiUrl, http, uploadWithProgress } from './client';
import type { Items } from './types';

const enc = encodeURIComponent;

// ---------- rules (考勤组) ----------

export const RULE_KINDS = ['fixed', 'scheduled', 'free'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];
export const COORD_SYSTEMS = ['gcj02', 'bd09', 'wgs84'] as const;
export type CoordSystem = (typeof COORD_SYSTEMS)[number];

export interface Rest {
  from: string;
  to: string;
}

export interface Section {
  on: string;
  off: string;
  rest?: Rest | null;
}

export interface Shift {
  id: number;
  name: string;
  sections: Section[];
  flex_minutes: number;
}

export interface Place {
  name: string;
  latitude: number;
  longitude: number;
  coord_system: CoordSystem;
  radius_m: number;
}

export interface Network {
  name: string;
  cidr: string;
}

export interface Targets {
  department_ids: number[];
  userids: string[];
  tag_ids: number[];
  excluded_userids: string[];
}

export interface RuleInput {
  name: string;
  kind: RuleKind;
  targets: Targets;
  workdays: number[];
  sections: Section[];
  flex_minutes: number;
  shifts: Shift[];
  min_work_minutes: number;
  early_limit_minutes: number;
  grace_minutes: number;
  serious_late_minutes: number;
  absent_late_minutes: number;
  off_required: boolean;
  remind_on_minutes: number | null;
  remind_off_minutes: number | null;
  photo_required: boolean;
  field_allowed: boolean;
  follow_holidays: boolean;
  places: Place[];
  networks: Network[];
}

export interface Rule extends RuleInput {
  id: string;
  group_id: number;
  created_at: number;
  updated_at: number;
}

export interface ScheduleMember {
  userid: string;
  name: string;
  /** Shift id by date; 0 is a rest day, a missing date has no shift set. */
  days: Record<string, number>;
}

export interface Schedule {
  month: string;
  shifts: { id: number; name: string }[];
  members: ScheduleMember[];
}

export interface ScheduleChange {
  userid: string;
  date: string;
  /** 0 = rest, null clears. */
  shift_id: number | null;
}

// ---------- clock-in (打卡) ----------

export type ClockKind = 'on' | 'off' | 'field' | 'free';
export const CLOCK_STATUSES = ['normal', 'late', 'serious_late', 'early', 'absent', 'field', 'extra'] as const;
export type ClockStatus = (typeof CLOCK_STATUSES)[number];

/** A section's clock-in as today's view gives it. */
export interface ClockMark {
  at: number;
  status: ClockStatus;
  minutes: number;
}

export interface TodaySection {
  /** When the section starts and ends today (ms; a flexible start already moved). */
  on_at: number;
  off_at: number;
  on_clock: ClockMark | null;
  off_clock: ClockMark | null;
  /** The whole section is leave. */
  on_leave?: boolean;
}

/** A place to clock in, in WGS-84 (to measure against the phone's fix). */
export interface TodayPlace {
  name: string;
  latitude: number;
  longitude: number;
  radius_m: number;
}

export type HolidayInfo = { name: string; kind?: HolidayKind } | string;

export interface Today {
  date: string;
  workday: boolean;
  holiday: HolidayInfo | null;
  rule: { id: string; name: string; kind: RuleKind } | null;
  /** The shift's name on a scheduled rule. */
  shift: string | null;
  sections: TodaySection[];
  next: 'on' | 'off' | 'none';
  /** The day's result so far. */
  status?: DayStatus;
  places: TodayPlace[];
  networks: string[];
  field_allowed: boolean;
  photo_required: boolean;
  clock_ins: StoredClockIn[];
}

export interface ClockInBody {
  latitude?: number;
  longitude?: number;
  accuracy_m?: number;
  coord_system: 'wgs84';
  note?: string;
  field?: boolean;
  photo?: string | null;
  client_time?: number;
}

/** A clock-in as the server answers it (and lists today's). */
export interface ClockIn {
  id: string;
  at: number;
  date: string;
  kind: ClockKind;
  status: ClockStatus;
  minutes: number;
  within_area: boolean;
  distance_m: number | null;
  place: string;
  field: boolean;
  day_status?: DayStatus;
  note?: string;
  network?: string;
  review?: FieldReviewState | '';
}

export type FieldReviewState = 'pending' | 'accepted' | 'refused';

/** A clock-in exactly as stored: what the enterprise keeps about the member. */
export interface StoredClockIn {
  id: string;
  at: number;
  date: string;
  kind: ClockKind;
  status?: ClockStatus;
  source?: string;
  latitude?: number | null;
  longitude?: number | null;
  precision?: 'exact' | 'rounded' | string;
  accuracy_m?: number | null;
  distance_m?: number | null;
  within_area?: boolean;
  place?: string;
  address?: string;
  ip?: string;
  network?: string;
  note?: string;
  photos?: string[];
  field?: boolean;
  review?: string;
  device?: string;
  sp_no?: string;
}

// ---------- results (考勤结果) ----------

export const DAY_STATUSES = ['absent', 'missing', 'late', 'early', 'leave', 'field', 'normal', 'rest', 'holiday', 'none', 'pending'] as const;
export type DayStatus = (typeof DAY_STATUSES)[number];
/** The statuses an administrator may set in a correction. */
export const CORRECTION_STATUSES: DayStatus[] = ['normal', 'late', 'early', 'missing', 'absent', 'leave', 'field', 'rest'];

export interface DayLeave {
  leave_type: string;
  minutes: number;
  name?: string;
}

export interface MonthDay {
  date: string;
  status: DayStatus;
  due: boolean;
  late_minutes: number;
  early_minutes: number;
  missing_count: number;
  absent: boolean;
  field_count: number;
  leave: DayLeave[];
  overtime_minutes: number;
  work_minutes: number;
  first_in: number | null;
  last_out: number | null;
  holiday: HolidayInfo | null;
  /** The shift's name on a scheduled rule. */
  shift?: string | null;
  standard_minutes?: number;
  late_count?: number;
  corrected: boolean;
  /** Why an administrator set the status. */
  correction_reason?: string | null;
}

export interface MonthSummary {
  due_days: number;
  present_days: number;
  late_count: number;
  late_minutes: number;
  early_count: number;
  early_minutes: number;
  missing_count: number;
  absent_days: number;
  leave_days: number;
  field_days: number;
  overtime_hours: number;
  rest_days: number;
}

export interface Month {
  month: string;
  days: MonthDay[];
  summary: MonthSummary;
  userid?: string;
  name?: string;
}

/** A member in an administrator's or leader's list. */
export interface MemberRef {
  userid: string;
  name: string;
  /** The main department. */
  department_id: number;
}

/** A member's day: the member, and the day's fields beside it. */
export type DailyRow = MonthDay & { member: MemberRef };

/** A member's month: the member, their rule's name, the summary's fields beside them, and leave by type. */
export type MonthlyRow = MonthSummary & {
  member: MemberRef;
  rule: string | null;
  leave: DayLeave[];
};

export interface DailyList {
  date: string;
  items: DailyRow[];
  /** Members by day status. */
  counts: Record<string, number>;
}

export interface MonthlyList {
  month: string;
  items: MonthlyRow[];
}

export interface DailyQuery {
  date: string;
  department_id?: number | null;
  status?: DayStatus | '';
}

/** A field clock-in to review: whose, and the clock-in as stored. */
export interface FieldReview extends StoredClockIn {
  userid: string;
  name: string;
}

export type LocationPrecision = 'exact' | 'rounded';

export interface Settings {
  location_precision: LocationPrecision;
  location_retention_days: number;
  punch_correction_monthly_limit: number;
}

/** Payroll columns apart from one `leave_<type>` per leave type. */
export const PAYROLL_COLUMNS = ['due_days', 'present_days', 'late_count', 'late_minutes', 'early_count', 'early_minutes', 'missing_count', 'absent_days', 'overtime_hours', 'field_days'] as const;

// ---------- holidays (节假日与调休) ----------

export type HolidayKind = 'holiday' | 'workday';
export type HolidayOrigin = 'statutory' | 'company';

export interface HolidayDay {
  date: string;
  kind: HolidayKind;
  name: string;
  origin: HolidayOrigin;
}

export interface HolidayYear {
  year: number;
  source: string;
  items: HolidayDay[];
}

export interface HolidayImport {
  year: number;
  source: string;
  items: { date: string; kind: HolidayKind; name: string }[];
}

// ---------- leave (假期) ----------

export type LeaveUnit = 'day' | 'half_day' | 'hour';
export const LEAVE_UNITS: LeaveUnit[] = ['day', 'half_day', 'hour'];
export type QuotaRule = 'none' | 'yearly_fixed' | 'annual_by_service' | 'manual';
export const QUOTA_RULES: QuotaRule[] = ['none', 'yearly_fixed', 'annual_by_service', 'manual'];

export interface Balance {
  leave_type: string;
  name: string;
  unit: LeaveUnit;
  quota_rule?: QuotaRule;
  /** What the open grants hold; null for a type without a balance. */
  granted: number | null;
  /** Taken of them (for a type without a balance: taken this year). */
  used: number;
  /** Null for a type without a balance; negative when more was approved than held. */
  left: number | null;
  /** Held by requests waiting for approval. */
  pending?: number;
  /** The soonest last day of what is left. */
  expires_on: string | null;
}

/** A member's balances in an administrator's list. */
export interface MemberBalances {
  userid: string;
  name: string;
  balances: Balance[];
}

export interface MemberBalancesPage {
  items: MemberBalances[];
  total: number;
}

export interface LedgerActor {
  /** member or app. */
  kind: string;
  userid?: string | null;
  agentid?: number | null;
  name: string;
}

export interface LedgerEntry {
  id: string;
  leave_type: string;
  name: string;
  unit: LeaveUnit;
  delta: number;
  /** Null for a type without a balance. */
  balance_after: number | null;
  /** grant, approval, restore, adjust, expire, carry_over, overtime. */
  cause: string;
  /** The application behind it; '' when none. */
  sp_no: string;
  note: string;
  /** Null when the system made it (a rule, an approval). */
  actor: LedgerActor | null;
  at: number;
}

export interface LedgerPage {
  items: LedgerEntry[];
  /** Pass as `before` for the next (older) page; null at the end. */
  next: string | null;
}

export interface LeavePreview {
  /** In the type's unit, on the member's own working days. */
  duration: number;
  unit: LeaveUnit;
  /** Null for a type without a balance. */
  left: number | null;
  /** Held by other requests waiting for approval. */
  pending?: number;
  /** Whether the balance covers it (with what is pending). */
  enough?: boolean;
}

export interface LeaveType {
  key: string;
  name: string;
  unit: LeaveUnit;
  quota_rule: QuotaRule;
  /** yearly_fixed: granted each year, in the unit. */
  yearly_quota: number | null;
  /** Hours in one day of this leave. */
  day_hours: number;
  /** The most of a year's balance carried into the next (0: none), and for how many months. */
  carry_over_max: number;
  carry_over_months: number;
  /** How many months comp time and additions last (0: no end). */
  expiry_months: number;
  /** Comp time (调休假), earned by approved overtime. */
  is_comp: boolean;
  builtin: boolean;
  enabled: boolean;
  sort: number;
}

/** A new leave type (with its key) or all of one to replace (without). */
export interface LeaveTypeInput {
  key?: string;
  name: string;
  unit: LeaveUnit;
  quota_rule: QuotaRule;
  yearly_quota?: number | null;
  day_hours?: number | null;
  carry_over_max?: number | null;
  carry_over_months?: number | null;
  expiry_months?: number | null;
  enabled?: boolean;
  sort?: number;
}

export interface MemberDates {
  userid?: string;
  joined_on: string;
  work_started_on: string;
  /** Whether an administrator set them (else they are the member's creation date). */
  set?: boolean;
}

export interface AdjustBody {
  userid: string;
  leave_type: string;
  delta: number;
  reason: string;
}

// ---------- endpoints ----------

export const attendanceApi = {
  today: () => http.get<Today>('/attendance/me/today'),
  clockIn: (body: ClockInBody) => http.post<ClockIn>('/attendance/clock-ins', body),
  myClockIns: (from: string, to: string) => http.get<Items<StoredClockIn>>('/attendance/me/clock-ins', { from, to }),
  myMonth: (month: string) => http.get<Month>('/attendance/me/month', { month }),
  teamMonth: (month: string) => http.get<MonthlyList>('/attendance/team/month', { month }),
  holidays: (year: number) => http.get<HolidayYear>('/attendance/holidays', { year }),
  balances: () => http.get<Items<Balance>>('/attendance/me/balances'),
  ledger: (leaveType?: string, before?: string | null) => http.get<LedgerPage>('/attendance/me/ledger', { leave_type: leaveType, before }),
  leavePreview: (leave_type: string, from: string, to: string) => http.post<LeavePreview>('/attendance/me/leave-preview', { leave_type, from, to }),
};

export const adminAttendanceApi = {
  rules: () => http.get<Items<Rule>>('/attendance/rules'),
  rule: (id: string) => http.get<Rule>(`/attendance/rules/${enc(id)}`),
  createRule: (body: RuleInput) => http.post<Rule>('/attendance/rules', body),
  saveRule: (id: string, body: RuleInput) => http.put<Rule>(`/attendance/rules/${enc(id)}`, body),
  deleteRule: (id: string) => http.del(`/attendance/rules/${enc(id)}`),
  schedule: (id: string, month: string) => http.get<Schedule>(`/attendance/rules/${enc(id)}/schedule`, { month }),
  saveSchedule: (id: string, items: ScheduleChange[]) => http.put<{ changed: number }>(`/attendance/rules/${enc(id)}/schedule`, { items }),
  importSchedule: (id: string, month: string, file: File) => {
    const form = new FormData();
    form.append('file', file);
    return uploadWithProgress<{ changed: number }>(`/attendance/rules/${enc(id)}/schedule/import?month=${enc(month)}`, form);
  },
  scheduleExportUrl: (id: string, month: string) => apiUrl(`/attendance/rules/${enc(id)}/schedule/export`, { month }),

  daily: (q: DailyQuery) => http.get<DailyList>('/attendance/results/daily', { ...q }),
  monthly: (month: string, departmentId?: number | null) => http.get<MonthlyList>('/attendance/results/monthly', { month, department_id: departmentId }),
  memberMonth: (userid: string, month: string) => http.get<Month>(`/attendance/results/${enc(userid)}/month`, { month }),
  /** A null status removes the correction: the day is computed again. */
  correct: (userid: string, date: string, status: DayStatus | null, reason: string) =>
    http.post<void>(`/attendance/results/${enc(userid)}/${enc(date)}/correction`, { status, reason }),
  monthlyExportUrl: (month: string, departmentId: number | null | undefined, columns: string[] | null) =>
    apiUrl('/attendance/export/monthly', { month, department_id: departmentId, columns: columns ? columns.join(',') : undefined }),
  dailyExportUrl: (from: string, to: string, departmentId?: number | null) => apiUrl('/attendance/export/daily', { from, to, department_id: departmentId }),
  fieldReviews: (status: FieldReviewState = 'pending') => http.get<Items<FieldReview>>('/attendance/field-reviews', { status }),
  review: (id: string, accept: boolean, note: string) => http.post<void>(`/attendance/clock-ins/${enc(id)}/review`, { accept, note }),
  settings: () => http.get<Settings>('/attendance/settings'),
  saveSettings: (s: Settings) => http.put<Settings>('/attendance/settings', s),

  setHoliday: (date: string, day: Omit<HolidayDay, 'date'>) => http.put<HolidayDay | void>(`/attendance/holidays/${enc(date)}`, day),
  deleteHoliday: (date: string) => http.del(`/attendance/holidays/${enc(date)}`),
  importHolidays: (body: HolidayImport) => http.post<HolidayYear | void>('/attendance/holidays/import', body),

  leaveTypes: () => http.get<Items<LeaveType>>('/attendance/leave-types'),
  createLeaveType: (body: LeaveTypeInput) => http.post<LeaveType>('/attendance/leave-types', body),
  saveLeaveType: (key: string, body: LeaveTypeInput) => http.put<LeaveType>(`/attendance/leave-types/${enc(key)}`, body),
  balances: (q: { department_id?: number | null; userid?: string | null; offset?: number; limit?: number }) => http.get<MemberBalancesPage>('/attendance/balances', { ...q }),
  adjust: (body: AdjustBody) => http.post<{ balance: Balance; entry: LedgerEntry }>('/attendance/balances/adjust', body),
  memberLedger: (userid: string, before?: string | null) => http.get<LedgerPage>(`/attendance/balances/${enc(userid)}/ledger`, { before }),
  memberDates: (userid: string) => http.get<MemberDates>(`/attendance/balances/${enc(userid)}/dates`),
  saveMemberDates: (userid: string, dates: { joined_on: string; work_started_on: string }) => http.put<MemberDates>(`/attendance/balances/${enc(userid)}/dates`, dates),
};
