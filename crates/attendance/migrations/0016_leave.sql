-- Leave (假期). The enterprise's leave types; each member's balance of a type as lots (a year's
-- grant, the part carried into the next year, comp time earned by one overtime, an administrator's
-- addition), each with the last day it may be used; every change of a balance is a ledger row with
-- its cause. Amounts are minutes: a day of leave is the type's day_minutes, so day, half-day and
-- hour types share one arithmetic and WeCom's seconds are exact. Days are yyyymmdd integers on the
-- enterprise's calendar.

CREATE TABLE leave_types (
    corp_id BIGINT NOT NULL REFERENCES corps (id),
    type_key TEXT NOT NULL,
    -- WeCom's vacation id: a small number per enterprise that never changes.
    vacation_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    -- day, half_day, hour
    unit TEXT NOT NULL,
    -- none (no balance), yearly_fixed, annual_by_service (the national rule), manual
    quota_rule TEXT NOT NULL,
    -- yearly_fixed: granted each year.
    yearly_quota BIGINT NOT NULL DEFAULT 0,
    day_minutes BIGINT NOT NULL DEFAULT 480,
    -- The most of a year's balance carried into the next (0: none), usable for so many months.
    carry_over_max BIGINT NOT NULL DEFAULT 0,
    carry_over_months BIGINT NOT NULL DEFAULT 3,
    -- How many months comp time and additions last (0: no end).
    expiry_months BIGINT NOT NULL DEFAULT 0,
    -- Earned from approved overtime (调休假).
    is_comp BOOLEAN NOT NULL DEFAULT FALSE,
    builtin BOOLEAN NOT NULL DEFAULT FALSE,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    sort BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (corp_id, type_key)
);
CREATE UNIQUE INDEX ux_leave_types_vacation ON leave_types (corp_id, vacation_id);
CREATE UNIQUE INDEX ux_leave_types_name ON leave_types (corp_id, name);

-- The dates the annual rule reads: joining this enterprise, and starting work at all (cumulative
-- years of work). A member without a row joined on the day they were added and started work then.
CREATE TABLE leave_member_dates (
    member_id BIGINT PRIMARY KEY,
    corp_id BIGINT NOT NULL,
    joined_on BIGINT NOT NULL,
    work_started_on BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE leave_lots (
    id BIGINT PRIMARY KEY,
    corp_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL,
    leave_type TEXT NOT NULL,
    -- grant, carry_over, overtime, adjust
    source TEXT NOT NULL,
    -- Makes each lot once: "grant:2026", "carry:2027", "overtime:<sp_no>", "adjust:<ledger id>".
    lot_key TEXT NOT NULL,
    year BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    used BIGINT NOT NULL DEFAULT 0,
    expired BIGINT NOT NULL DEFAULT 0,
    -- The last day it may be used; 0 for no end.
    expires_on BIGINT NOT NULL,
    -- Its end has passed and what was left of it expired.
    closed BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_leave_lots_key ON leave_lots (member_id, leave_type, lot_key);
CREATE INDEX ix_leave_lots_open ON leave_lots (member_id, closed, expires_on);

CREATE TABLE leave_ledger (
    id BIGINT PRIMARY KEY,
    corp_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL,
    leave_type TEXT NOT NULL,
    delta BIGINT NOT NULL,
    -- The type's balance after the change.
    balance_after BIGINT NOT NULL,
    -- grant, approval, restore, adjust, expire, carry_over, overtime
    cause TEXT NOT NULL,
    sp_no TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    -- Who made it: member (userid), app (agentid) or system (a rule, an approval).
    actor_kind TEXT NOT NULL DEFAULT 'system',
    actor_ref TEXT NOT NULL DEFAULT '',
    actor_name TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL
);
CREATE INDEX ix_leave_ledger_member ON leave_ledger (member_id, id);
CREATE INDEX ix_leave_ledger_sp ON leave_ledger (corp_id, sp_no);

-- A followed application (leave, overtime) as this module applied it: the amount it holds while
-- pending, and once approved the lots it took from or credited, so a later change reverses exactly
-- that, and a job that runs twice does nothing the second time.
CREATE TABLE leave_requests (
    corp_id BIGINT NOT NULL,
    sp_no TEXT NOT NULL,
    member_id BIGINT NOT NULL,
    -- leave, overtime
    kind TEXT NOT NULL,
    -- '' for overtime paid rather than taken as comp time.
    leave_type TEXT NOT NULL,
    amount BIGINT NOT NULL,
    -- pending (held against the balance), applied, released
    state TEXT NOT NULL,
    -- JSON [[lot id, minutes], …].
    lots TEXT NOT NULL DEFAULT '[]',
    first_day BIGINT NOT NULL,
    last_day BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (corp_id, sp_no)
);
CREATE INDEX ix_leave_requests_member ON leave_requests (member_id, state);
