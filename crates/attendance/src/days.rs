//! Members' day results: computed from the plan, the clock-ins and the approved leave and overtime
//! (`result::compute`), kept in `attendance_days` for the administrators' lists and the payroll
//! sheet, and rewritten in the transaction of whatever changed an input. A member's own month is
//! computed from the same inputs when asked, so it is never behind.
use std::collections::HashMap;

use jiff::civil::Date;
use serde::Serialize;
use utoipa::ToSchema;

use qixie_kernel::AppState;
use qixie_kernel::db::{Arg, Conn, Tx, sql};
use qixie_kernel::error::{AppError, AppResult};
use qixie_kernel::ids::CorpId;

use crate::date;
use crate::plan::{self, DayPlan, Plans};
use crate::result::{self, Covered, DayResult, DayStatus, LeaveMinutes, Punch, SectionResult};

/// The inputs of a member's days other than the plan, by day key.
#[derive(Default)]
pub struct Inputs {
    pub punches: HashMap<i64, Vec<Punch>>,
    pub covered: HashMap<i64, Vec<Covered>>,
    /// (status, reason) an administrator set.
    pub corrections: HashMap<i64, (String, String)>,
}

/// Loads clock-ins, approved leave and overtime, and corrections of a member's days.
pub async fn inputs(
    db: impl Into<Conn<'_>>,
    member: i64,
    from: Date,
    to: Date,
) -> AppResult<Inputs> {
    let mut db = db.into();
    let (a, b) = (date::key(from), date::key(to));
    let mut out = Inputs::default();
    let rows: Vec<(i64, i64, bool)> = db
        .all(
            sql("SELECT day, at, field FROM attendance_clock_ins WHERE member_id = $1 AND day BETWEEN $2 AND $3 AND review <> 'refused'")
                .bind(member)
                .bind(a)
                .bind(b),
        )
        .await?;
    for (day, at, field) in rows {
        out.punches
            .entry(day)
            .or_default()
            .push(Punch { at, field });
    }
    let rows: Vec<(i64, i64, i64, i64, String, String)> = db
        .all(
            sql("SELECT day, start_at, end_at, minutes, kind, leave_type FROM attendance_approved WHERE member_id = $1 AND day BETWEEN $2 AND $3")
                .bind(member)
                .bind(a)
                .bind(b),
        )
        .await?;
    for (day, start, end, minutes, kind, leave_type) in rows {
        out.covered.entry(day).or_default().push(Covered {
            start,
            end,
            minutes,
            kind,
            leave_type,
        });
    }
    let rows: Vec<(i64, String, String)> = db
        .all(
            sql("SELECT day, corrected_status, corrected_reason FROM attendance_days WHERE member_id = $1 AND day BETWEEN $2 AND $3 AND corrected_status IS NOT NULL")
                .bind(member)
                .bind(a)
                .bind(b),
        )
        .await?;
    for (day, status, reason) in rows {
        out.corrections.insert(day, (status, reason));
    }
    Ok(out)
}

/// A day as computed, with what it was computed for.
pub struct Computed {
    pub date: Date,
    pub plan: DayPlan,
    pub result: DayResult,
}

/// Computes each day from `from` to `to`.
pub fn compute_days(
    plans: &Plans,
    inputs: &Inputs,
    from: Date,
    to: Date,
    now: i64,
) -> Vec<Computed> {
    date::days(from, to)
        .map(|d| {
            let key = date::key(d);
            let plan = plans.day(d);
            let punches = inputs.punches.get(&key).map(Vec::as_slice).unwrap_or(&[]);
            let covered = inputs.covered.get(&key).map(Vec::as_slice).unwrap_or(&[]);
            let result = result::compute(&plan, punches, covered, now);
            Computed {
                date: d,
                plan,
                result,
            }
        })
        .collect()
}

/// What `attendance_days.detail` keeps beyond the columns.
#[derive(Serialize)]
struct Detail<'a> {
    sections: &'a [SectionResult],
    leave: &'a [LeaveMinutes],
    shift: Option<&'a str>,
    holiday: Option<&'a str>,
    serious_late_count: i64,
}

/// Recomputes a member's days from `from` to `to` (days after today are left alone) and stores
/// them, inside `tx`. Answers the days computed.
pub async fn recompute(
    tx: &mut Tx,
    app: &AppState,
    corp: CorpId,
    member: i64,
    from: Date,
    to: Date,
) -> AppResult<Vec<Computed>> {
    let now = app.now();
    let plans = plan::load(app, &mut *tx, corp, member, from, to).await?;
    let today = date::from_epoch_day(plans.zone.local(now).day);
    let to = to.min(today);
    if to < from {
        return Ok(Vec::new());
    }
    let inputs = inputs(&mut *tx, member, from, to).await?;
    let days = compute_days(&plans, &inputs, from, to, now);
    store(tx, corp, member, &days, now).await?;
    Ok(days)
}

/// Writes computed days of members (multi-row upserts), keeping any administrator's correction.
pub async fn store_many(
    tx: &mut Tx,
    corp: CorpId,
    days: &[(i64, &Computed)],
    now: i64,
) -> AppResult<()> {
    const COLUMNS: usize = 22;
    let per = tx.dialect().rows_per_statement(COLUMNS);
    for chunk in days.chunks(per) {
        let mut values = Vec::with_capacity(chunk.len());
        for (member, c) in chunk {
            let r = &c.result;
            let detail = serde_json::to_string(&Detail {
                sections: &r.sections,
                leave: &r.leave,
                shift: c.plan.shift.as_ref().map(|(_, n)| n.as_str()),
                holiday: c.plan.holiday.as_deref(),
                serious_late_count: r.serious_late_count,
            })
            .map_err(AppError::internal)?;
            values.push(vec![
                Arg::from(corp.0),
                Arg::from(*member),
                Arg::from(date::key(c.date)),
                Arg::from(c.plan.rule.as_ref().map(|r| r.pk())),
                Arg::from(c.plan.shift.as_ref().map_or(0, |(id, _)| *id)),
                Arg::from(r.status.code()),
                Arg::from(r.due),
                Arg::from(r.late_minutes),
                Arg::from(r.late_count),
                Arg::from(r.early_minutes),
                Arg::from(r.early_count),
                Arg::from(r.missing_count),
                Arg::from(r.absent),
                Arg::from(r.field_count),
                Arg::from(r.leave_minutes()),
                Arg::from(r.overtime_minutes),
                Arg::from(r.work_minutes),
                Arg::from(r.standard_minutes),
                Arg::from(r.first_in),
                Arg::from(r.last_out),
                Arg::from(detail),
                Arg::from(now),
            ]);
        }
        tx.exec(
            sql("INSERT INTO attendance_days (corp_id, member_id, day, rule_id, shift_id, status, due, late_minutes, late_count, early_minutes, early_count, \
                 missing_count, absent, field_count, leave_minutes, overtime_minutes, work_minutes, standard_minutes, first_in, last_out, detail, updated_at) VALUES ")
            .push_rows(values)
            .push(" ON CONFLICT (member_id, day) DO UPDATE SET rule_id = excluded.rule_id, shift_id = excluded.shift_id, status = excluded.status, \
                 due = excluded.due, late_minutes = excluded.late_minutes, late_count = excluded.late_count, early_minutes = excluded.early_minutes, \
                 early_count = excluded.early_count, missing_count = excluded.missing_count, absent = excluded.absent, field_count = excluded.field_count, \
                 leave_minutes = excluded.leave_minutes, overtime_minutes = excluded.overtime_minutes, work_minutes = excluded.work_minutes, \
                 standard_minutes = excluded.standard_minutes, first_in = excluded.first_in, last_out = excluded.last_out, detail = excluded.detail, \
                 updated_at = excluded.updated_at"),
        )
        .await?;
    }
    Ok(())
}

/// Writes one member's computed days.
pub async fn store(
    tx: &mut Tx,
    corp: CorpId,
    member: i64,
    days: &[Computed],
    now: i64,
) -> AppResult<()> {
    let rows: Vec<(i64, &Computed)> = days.iter().map(|c| (member, c)).collect();
    store_many(tx, corp, &rows, now).await
}

/// One day of a member's month, as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayView {
    pub date: String,
    /// absent, missing, late, early, leave, field, normal, pending, rest, holiday, none.
    pub status: String,
    pub due: bool,
    pub late_count: i64,
    pub late_minutes: i64,
    pub early_count: i64,
    pub early_minutes: i64,
    pub missing_count: i64,
    pub absent: bool,
    pub field_count: i64,
    pub leave: Vec<LeaveMinutes>,
    pub overtime_minutes: i64,
    pub work_minutes: i64,
    pub standard_minutes: i64,
    pub first_in: Option<i64>,
    pub last_out: Option<i64>,
    pub shift: Option<String>,
    pub holiday: Option<String>,
    /// An administrator set the status (`correction_reason` says why).
    pub corrected: bool,
    pub correction_reason: Option<String>,
    pub sections: Vec<SectionResult>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct MonthSummary {
    pub due_days: i64,
    pub present_days: i64,
    pub late_count: i64,
    pub late_minutes: i64,
    pub early_count: i64,
    pub early_minutes: i64,
    pub missing_count: i64,
    pub absent_days: i64,
    /// Days of leave: leave minutes over each day's standard minutes.
    pub leave_days: f64,
    pub field_days: i64,
    pub overtime_hours: f64,
    pub rest_days: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MonthView {
    pub month: String,
    pub days: Vec<DayView>,
    pub summary: MonthSummary,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Sums a month of days into the payroll figures.
pub fn summarise(days: &[DayView]) -> MonthSummary {
    let mut s = MonthSummary::default();
    let mut leave_days = 0.0;
    let mut overtime = 0;
    for d in days {
        if d.status == "pending" || d.status == "none" {
            continue;
        }
        if d.due {
            s.due_days += 1;
            if d.first_in.is_some() {
                s.present_days += 1;
            }
        } else {
            s.rest_days += 1;
        }
        s.late_count += d.late_count;
        s.late_minutes += d.late_minutes;
        s.early_count += d.early_count;
        s.early_minutes += d.early_minutes;
        s.missing_count += d.missing_count;
        s.absent_days += i64::from(d.absent);
        s.field_days += i64::from(d.field_count > 0);
        overtime += d.overtime_minutes;
        let leave: i64 = d.leave.iter().map(|l| l.minutes).sum();
        if leave > 0 && d.standard_minutes > 0 {
            leave_days += (leave as f64 / d.standard_minutes as f64).min(1.0);
        }
    }
    s.leave_days = round1(leave_days);
    s.overtime_hours = round1(overtime as f64 / 60.0);
    s
}

/// A computed day as the API shows it, with an administrator's correction applied.
pub fn view(c: &Computed, correction: Option<&(String, String)>) -> DayView {
    let r = &c.result;
    DayView {
        date: date::format(c.date),
        status: correction
            .map(|(s, _)| s.clone())
            .unwrap_or_else(|| r.status.code().to_owned()),
        due: r.due,
        late_count: r.late_count,
        late_minutes: r.late_minutes,
        early_count: r.early_count,
        early_minutes: r.early_minutes,
        missing_count: r.missing_count,
        absent: r.absent,
        field_count: r.field_count,
        leave: r.leave.clone(),
        overtime_minutes: r.overtime_minutes,
        work_minutes: r.work_minutes,
        standard_minutes: r.standard_minutes,
        first_in: r.first_in,
        last_out: r.last_out,
        shift: c.plan.shift.as_ref().map(|(_, n)| n.clone()),
        holiday: c.plan.holiday.clone(),
        corrected: correction.is_some(),
        correction_reason: correction.map(|(_, r)| r.clone()),
        sections: r.sections.clone(),
    }
}

/// A member's month, computed now from its inputs (days after today are pending).
pub async fn month(
    app: &AppState,
    corp: CorpId,
    member: i64,
    first: Date,
    last: Date,
) -> AppResult<MonthView> {
    let now = app.now();
    // The day before the month, for a night shift reaching into it, is not shown.
    let plans = plan::load(app, &app.db, corp, member, first, last).await?;
    let inputs = inputs(&app.db, member, first, last).await?;
    let days: Vec<DayView> = compute_days(&plans, &inputs, first, last, now)
        .iter()
        .map(|c| view(c, inputs.corrections.get(&date::key(c.date))))
        .collect();
    let summary = summarise(&days);
    Ok(MonthView {
        month: date::format_month(first),
        days,
        summary,
    })
}

/// Whether a status code is one an administrator may set.
pub fn correctable(status: &str) -> bool {
    matches!(
        DayStatus::from_code(status),
        Some(
            DayStatus::Normal
                | DayStatus::Late
                | DayStatus::Early
                | DayStatus::Missing
                | DayStatus::Absent
                | DayStatus::Leave
                | DayStatus::Field
                | DayStatus::Rest
        )
    )
}
