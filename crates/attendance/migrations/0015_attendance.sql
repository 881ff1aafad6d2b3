-- Attendance and leave (打卡、考勤、假期). A rule (考勤组) says who it covers, when they work and where
-- they may clock in; a clock-in is one row, kept with what was measured; the result of a member's day
-- is one row, rewritten in the transaction of whatever changed it (a clock-in, a schedule, a
-- holiday, an approval). Days are local calendar dates as yyyymmdd integers, read on the
-- enterprise's zone. Leave balances are one row per member and leave type; every change of a
-- balance is a ledger row with its cause.

CREATE TABLE attendance_rules (
    id BIGINT PRIMARY KEY,
    corp_id BIGINT NOT NULL REFERENCES corps (id),
    -- WeCom's groupid: a small number per enterprise.
    group_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    -- fixed (固定上下班), scheduled (排班), free (自由上下班).
    kind TEXT NOT NULL,
    -- JSON: the whole rule as the API gives it (days, sections, shifts, limits, places, networks),
    -- places kept both as entered and in WGS-84.
    body TEXT NOT NULL,
    -- The app that created it through checkin/add_checkin_option (only it may change it there).
    app_id BIGINT,
    created_by BIGINT,
    updated_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_attendance_rules_group ON attendance_rules (corp_id, group_id);
CREATE UNIQUE INDEX ux_attendance_rules_name ON attendance_rules (corp_id, name);

-- Whom a rule covers: departments (with their sub-departments), members and tags; and members it
-- leaves out. A member follows the rule that names them, else a tag's, else the nearest department's.
CREATE TABLE attendance_rule_targets (
    rule_id BIGINT NOT NULL REFERENCES attendance_rules (id) ON DELETE CASCADE,
    corp_id BIGINT NOT NULL,
    -- department, member, tag, excluded
    kind TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    PRIMARY KEY (rule_id, kind, target_id)
);
CREATE INDEX ix_attendance_rule_targets_corp ON attendance_rule_targets (corp_id);

-- A scheduled rule's shift for a member on a day; shift_id 0 is a rest day.
CREATE TABLE attendance_schedules (
    corp_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    rule_id BIGINT NOT NULL REFERENCES attendance_rules (id) ON DELETE CASCADE,
    shift_id BIGINT NOT NULL,
    PRIMARY KEY (member_id, day)
);
CREATE INDEX ix_attendance_schedules_rule ON attendance_schedules (rule_id, day);

-- The enterprise's calendar: statutory holidays and adjusted working days (seeded from the shipped
-- State Council data, editable), and company holidays. kind: holiday or workday.
CREATE TABLE attendance_holidays (
    corp_id BIGINT NOT NULL REFERENCES corps (id),
    day BIGINT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    -- statutory (from the notices or an import of one) or company.
    origin TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (corp_id, day)
);
-- Which years of statutory data an enterprise has (so a deleted day is not seeded back).
CREATE TABLE attendance_holiday_years (
    corp_id BIGINT NOT NULL REFERENCES corps (id),
    year BIGINT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (corp_id, year)
);

CREATE TABLE attendance_clock_ins (
    id BIGINT PRIMARY KEY,
    corp_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL,
    -- Unix milliseconds, as the server received it (or as a device or a correction says).
    at BIGINT NOT NULL,
    -- The day it counts for (a night shift's clock-out counts for the day the shift began).
    day BIGINT NOT NULL,
    rule_id BIGINT,
    shift_id BIGINT NOT NULL DEFAULT 0,
    -- on, off, field (外出), free
    kind TEXT NOT NULL,
    -- The section of the day (1-based) and the time it was due, Unix ms (0 when none).
    section BIGINT NOT NULL DEFAULT 0,
    due_at BIGINT NOT NULL DEFAULT 0,
    -- web, device, correction, api
    source TEXT NOT NULL,
    -- WGS-84 micro-degrees; NULL when no position was given or after it was forgotten.
    lat BIGINT,
    lng BIGINT,
    -- How precisely the position is kept: exact, or rounded to about 1 km after the retention.
    precision TEXT NOT NULL DEFAULT 'exact',
    accuracy_m BIGINT,
    distance_m BIGINT,
    within_area BOOLEAN NOT NULL,
    place TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    network TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    -- JSON array of file ids (photos).
    photos TEXT NOT NULL DEFAULT '[]',
    field BOOLEAN NOT NULL DEFAULT FALSE,
    -- For field clock-ins: pending, accepted, refused; '' otherwise.
    review TEXT NOT NULL DEFAULT '',
    device TEXT NOT NULL DEFAULT '',
    -- The approval (补卡) that made it, for corrections.
    sp_no TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
-- Two clock-ins of one member in one second are one (a double tap, a retry).
CREATE UNIQUE INDEX ux_attendance_clock_ins_second ON attendance_clock_ins (member_id, day, at);
CREATE INDEX ix_attendance_clock_ins_corp_at ON attendance_clock_ins (corp_id, at);

-- The result of one member's day. status: normal, late, early, missing, absent, leave, field, rest,
-- holiday, none (no rule). The numbers are minutes; detail is JSON (sections, leave by type).
CREATE TABLE attendance_days (
    corp_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    rule_id BIGINT,
    shift_id BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    due BOOLEAN NOT NULL,
    late_minutes BIGINT NOT NULL DEFAULT 0,
    late_count BIGINT NOT NULL DEFAULT 0,
    early_minutes BIGINT NOT NULL DEFAULT 0,
    early_count BIGINT NOT NULL DEFAULT 0,
    missing_count BIGINT NOT NULL DEFAULT 0,
    absent BOOLEAN NOT NULL DEFAULT FALSE,
    field_count BIGINT NOT NULL DEFAULT 0,
    leave_minutes BIGINT NOT NULL DEFAULT 0,
    overtime_minutes BIGINT NOT NULL DEFAULT 0,
    work_minutes BIGINT NOT NULL DEFAULT 0,
    standard_minutes BIGINT NOT NULL DEFAULT 0,
    first_in BIGINT,
    last_out BIGINT,
    detail TEXT NOT NULL DEFAULT '{}',
    -- An administrator's correction overrides the computed status until inputs change it back.
    corrected_status TEXT,
    corrected_by BIGINT,
    corrected_reason TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, day)
);
CREATE INDEX ix_attendance_days_corp_day ON attendance_days (corp_id, day);

-- Leave (假期) from approvals, overtime and make-up clock-ins that count in results, one row per
-- approved application and day it covers.
CREATE TABLE attendance_approved (
    corp_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    sp_no TEXT NOT NULL,
    -- leave, overtime, punch_correction
    kind TEXT NOT NULL,
    -- For leave: the leave type's key.
    leave_type TEXT NOT NULL DEFAULT '',
    -- The part of the day it covers, Unix ms.
    start_at BIGINT NOT NULL,
    end_at BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    PRIMARY KEY (member_id, day, sp_no)
);
CREATE INDEX ix_attendance_approved_sp ON attendance_approved (corp_id, sp_no);

-- Enterprise settings: location precision and retention, make-up clock-in limit, …  (JSON).
CREATE TABLE attendance_settings (
    corp_id BIGINT PRIMARY KEY REFERENCES corps (id),
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The last day whose results are stored for every member (the hourly close moves it on).
CREATE TABLE attendance_closed (
    corp_id BIGINT PRIMARY KEY REFERENCES corps (id),
    day BIGINT NOT NULL
);
