//! Results of many members at once: recomputing an enterprise's days in bulk (the nightly close of
//! each day, a month after a rule changed), and the lists administrators and leaders read — each
//! member's day, each member's month summed — confined to the people the reader may see.
use std::collections::HashMap;
use std::sync::Arc;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use qixie_kernel::AppState;
use qixie_kernel::authz::ReadScope;
use qixie_kernel::db::sql;
use qixie_kernel::error::{AppError, AppResult, FieldReason};
use qixie_kernel::ids::CorpId;
use qixie_org::people::{self, Person};

use crate::date;
use crate::days::{self, Computed, DayView, Inputs, MonthSummary};
use crate::plan::{self, Plans};
use crate::result::{Covered, DayStatus, LeaveMinutes, Punch};
use crate::rule::store::corp_rules;

/// Members' days written per transaction in a bulk recompute.
const MEMBERS_PER_TX: usize = 500;

/// Everything computing many members' days needs, loaded with one query per table.
struct Bulk {
    zone: qixie_kernel::time::Zone,
    holidays: Arc<HashMap<i64, plan::HolidayInfo>>,
    schedules: HashMap<i64, HashMap<i64, i64>>,
    inputs: HashMap<i64, Inputs>,
}

async fn load_bulk(app: &AppState, corp: CorpId, from: Date, to: Date) -> AppResult<Bulk> {
    let zone = plan::corp_zone(app, corp).await?;
    let (a, b) = (date::key(from), date::key(to));
    let holidays = Arc::new(plan::holidays(&mut (&app.db).into(), corp, from, to).await?);
    let mut schedules: HashMap<i64, HashMap<i64, i64>> = HashMap::new();
    let rows: Vec<(i64, i64, i64)> = app
        .db
        .all(
            sql("SELECT member_id, day, shift_id FROM attendance_schedules WHERE corp_id = $1 AND day BETWEEN $2 AND $3")
                .bind(corp)
                .bind(a)
                .bind(b),
        )
        .await?;
    for (m, d, s) in rows {
        schedules.entry(m).or_default().insert(d, s);
    }
    let mut inputs: HashMap<i64, Inputs> = HashMap::new();
    let rows: Vec<(i64, i64, i64, bool)> = app
        .db
        .all(
            sql("SELECT member_id, day, at, field FROM attendance_clock_ins WHERE corp_id = $1 AND day BETWEEN $2 AND $3 AND review <> 'refused'")
                .bind(corp)
                .bind(a)
                .bind(b),
        )
        .await?;
    for (m, day, at, field) in rows {
        inputs
            .entry(m)
            .or_default()
            .punches
            .entry(day)
            .or_default()
            .push(Punch { at, field });
    }
    let rows: Vec<(i64, i64, i64, i64, i64, String, String)> = app
        .db
        .all(
            sql("SELECT member_id, day, start_at, end_at, minutes, kind, leave_type FROM attendance_approved WHERE corp_id = $1 AND day BETWEEN $2 AND $3")
                .bind(corp)
                .bind(a)
                .bind(b),
        )
        .await?;
    for (m, day, start, end, minutes, kind, leave_type) in rows {
        inputs
            .entry(m)
            .or_default()
            .covered
            .entry(day)
            .or_default()
            .push(Covered {
                start,
                end,
                minutes,
                kind,
                leave_type,
            });
    }
    Ok(Bulk {
        zone,
        holidays,
        schedules,
        inputs,
    })
}

/// Recomputes and stores the days from `from` to `to` (at most today) of every member who follows
/// a rule (or `only` these members); answers how many member-days were written.
pub async fn recompute_corp(
    app: &AppState,
    corp: CorpId,
    from: Date,
    to: Date,
    only: Option<&[i64]>,
) -> AppResult<usize> {
    let now = app.now();
    let zone = plan::corp_zone(app, corp).await?;
    let to = to.min(date::from_epoch_day(zone.local(now).day));
    if to < from {
        return Ok(0);
    }
    let rules = corp_rules(app, corp).await?;
    let mut everyone = people::everyone(&app.db, corp).await?;
    if let Some(ids) = only {
        everyone.retain(|p| ids.contains(&p.id));
    }
    let bulk = load_bulk(app, corp, from, to).await?;
    let empty = Inputs::default();
    let mut written = 0;
    for group in everyone.chunks(MEMBERS_PER_TX) {
        let mut computed: Vec<(i64, Vec<Computed>)> = Vec::new();
        for p in group {
            let rule = rules.rule_for(p).cloned();
            if rule.is_none() && only.is_none() {
                continue;
            }
            let plans = Plans {
                zone: bulk.zone.clone(),
                rule,
                schedule: bulk.schedules.get(&p.id).cloned().unwrap_or_default(),
                holidays: bulk.holidays.clone(),
            };
            let inputs = bulk.inputs.get(&p.id).unwrap_or(&empty);
            computed.push((p.id, days::compute_days(&plans, inputs, from, to, now)));
        }
        let rows: Vec<(i64, &Computed)> = computed
            .iter()
            .flat_map(|(m, days)| days.iter().map(move |c| (*m, c)))
            .collect();
        written += rows.len();
        let mut tx = app.db.begin().await?;
        days::store_many(&mut tx, corp, &rows, now).await?;
        tx.commit().await?;
    }
    Ok(written)
}

/// Filters of the administrators' lists.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ResultsQuery {
    /// A day, `YYYY-MM-DD` (daily list).
    pub date: Option<String>,
    /// A month, `YYYY-MM` (monthly list).
    pub month: Option<String>,
    /// Only members of this department and its sub-departments.
    pub department_id: Option<i64>,
    /// Only days with this status (daily list).
    pub status: Option<String>,
}

/// A member as the lists name them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberRef {
    pub userid: String,
    pub name: String,
    /// The main department's id.
    pub department_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DailyRow {
    pub member: MemberRef,
    #[serde(flatten)]
    pub day: DayView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DailyList {
    pub date: String,
    pub items: Vec<DailyRow>,
    /// Members per status.
    pub counts: HashMap<String, i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MonthlyRow {
    pub member: MemberRef,
    pub rule: Option<String>,
    #[serde(flatten)]
    pub summary: MonthSummary,
    /// Leave minutes by leave type.
    pub leave: Vec<LeaveMinutes>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MonthlyList {
    pub month: String,
    pub items: Vec<MonthlyRow>,
}

fn member_ref(p: &Person) -> MemberRef {
    MemberRef {
        userid: p.userid.clone(),
        name: p.name.clone(),
        department_id: p.main_department,
    }
}

/// The members a reader sees in a list: within their scope, in the department asked for.
pub async fn people_in(
    app: &AppState,
    reads: &ReadScope,
    department_id: Option<i64>,
) -> AppResult<Vec<Person>> {
    let corp = reads.corp();
    let under = match department_id {
        Some(d) => Some(
            people::department_paths(&app.db, corp, &[d])
                .await?
                .pop()
                .flatten()
                .ok_or_else(|| AppError::field("department_id", FieldReason::NotFound))?,
        ),
        None => None,
    };
    Ok(people::everyone(&app.db, corp)
        .await?
        .into_iter()
        .filter(|p| {
            let paths: Vec<String> = p.departments.iter().map(|(_, path)| path.clone()).collect();
            reads.covers_any(&paths)
                && under
                    .as_ref()
                    .is_none_or(|u| paths.iter().any(|path| path.starts_with(u.as_str())))
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct DayRow {
    member_id: i64,
    day: i64,
    status: String,
    due: bool,
    late_minutes: i64,
    late_count: i64,
    early_minutes: i64,
    early_count: i64,
    missing_count: i64,
    absent: bool,
    field_count: i64,
    overtime_minutes: i64,
    work_minutes: i64,
    standard_minutes: i64,
    first_in: Option<i64>,
    last_out: Option<i64>,
    detail: String,
    corrected_status: Option<String>,
    corrected_reason: String,
}

#[derive(Deserialize, Default)]
struct StoredDetail {
    #[serde(default)]
    leave: Vec<StoredLeave>,
    #[serde(default)]
    shift: Option<String>,
    #[serde(default)]
    holiday: Option<String>,
}

#[derive(Deserialize)]
struct StoredLeave {
    leave_type: String,
    minutes: i64,
}

fn day_view(r: DayRow) -> DayView {
    let detail: StoredDetail = serde_json::from_str(&r.detail).unwrap_or_default();
    DayView {
        date: date::from_key(r.day).map(date::format).unwrap_or_default(),
        corrected: r.corrected_status.is_some(),
        correction_reason: r
            .corrected_status
            .as_ref()
            .map(|_| r.corrected_reason.clone()),
        status: r.corrected_status.unwrap_or(r.status),
        due: r.due,
        late_count: r.late_count,
        late_minutes: r.late_minutes,
        early_count: r.early_count,
        early_minutes: r.early_minutes,
        missing_count: r.missing_count,
        absent: r.absent,
        field_count: r.field_count,
        leave: detail
            .leave
            .into_iter()
            .map(|l| LeaveMinutes {
                leave_type: l.leave_type,
                minutes: l.minutes,
            })
            .collect(),
        overtime_minutes: r.overtime_minutes,
        work_minutes: r.work_minutes,
        standard_minutes: r.standard_minutes,
        first_in: r.first_in,
        last_out: r.last_out,
        shift: detail.shift,
        holiday: detail.holiday,
        sections: Vec::new(),
    }
}

const DAY_COLUMNS: &str = "member_id, day, status, due, late_minutes, late_count, early_minutes, early_count, missing_count, absent, field_count, \
    overtime_minutes, work_minutes, standard_minutes, first_in, last_out, detail, corrected_status, corrected_reason";

/// Stored days of an enterprise from `from` to `to`, by member.
async fn stored_days(
    app: &AppState,
    corp: CorpId,
    from: Date,
    to: Date,
) -> AppResult<HashMap<i64, Vec<DayView>>> {
    let rows: Vec<DayRow> = app
        .db
        .all(
            sql(format!(
                "SELECT {DAY_COLUMNS} FROM attendance_days WHERE corp_id = $1 AND day BETWEEN $2 AND $3 ORDER BY member_id, day"
            ))
            .bind(corp)
            .bind(date::key(from))
            .bind(date::key(to)),
        )
        .await?;
    let mut out: HashMap<i64, Vec<DayView>> = HashMap::new();
    for r in rows {
        out.entry(r.member_id).or_default().push(day_view(r));
    }
    Ok(out)
}

/// Each member's day: the stored result, or "pending" for a member with a rule whose day has no
/// result yet (nobody has clocked in and the day is not closed).
pub async fn daily(
    app: &AppState,
    reads: &ReadScope,
    day: Date,
    department_id: Option<i64>,
    status: Option<&str>,
) -> AppResult<DailyList> {
    if let Some(s) = status
        && DayStatus::from_code(s).is_none()
    {
        return Err(AppError::field("status", FieldReason::Unknown));
    }
    let corp = reads.corp();
    let people = people_in(app, reads, department_id).await?;
    let rules = corp_rules(app, corp).await?;
    let mut stored = stored_days(app, corp, day, day).await?;
    let mut items = Vec::new();
    let mut counts: HashMap<String, i64> = HashMap::new();
    for p in &people {
        let view = match stored.remove(&p.id).and_then(|mut v| v.pop()) {
            Some(v) => v,
            None if rules.rule_for(p).is_some() => {
                // Not computed yet: compute it now (not stored; the close of the day stores it).
                let plans = plan::load(app, &app.db, corp, p.id, day, day).await?;
                let inputs = days::inputs(&app.db, p.id, day, day).await?;
                let c = days::compute_days(&plans, &inputs, day, day, app.now());
                match c.first() {
                    Some(c) => days::view(c, None),
                    None => continue,
                }
            }
            None => continue,
        };
        *counts.entry(view.status.clone()).or_default() += 1;
        if status.is_some_and(|s| s != view.status) {
            continue;
        }
        items.push(DailyRow {
            member: member_ref(p),
            day: view,
        });
    }
    Ok(DailyList {
        date: date::format(day),
        items,
        counts,
    })
}

/// Each member's month summed, from the stored days.
pub async fn monthly(
    app: &AppState,
    reads: &ReadScope,
    first: Date,
    last: Date,
    department_id: Option<i64>,
) -> AppResult<MonthlyList> {
    let corp = reads.corp();
    let people = people_in(app, reads, department_id).await?;
    let rules = corp_rules(app, corp).await?;
    let mut stored = stored_days(app, corp, first, last).await?;
    let items = people
        .iter()
        .filter_map(|p| {
            let rule = rules.rule_for(p).map(|r| r.input.name.clone());
            let days = stored.remove(&p.id).unwrap_or_default();
            if rule.is_none() && days.is_empty() {
                return None;
            }
            let mut leave: Vec<LeaveMinutes> = Vec::new();
            for l in days.iter().flat_map(|d| d.leave.iter()) {
                match leave.iter_mut().find(|x| x.leave_type == l.leave_type) {
                    Some(x) => x.minutes += l.minutes,
                    None => leave.push(l.clone()),
                }
            }
            Some(MonthlyRow {
                member: member_ref(p),
                rule,
                summary: days::summarise(&days),
                leave,
            })
        })
        .collect();
    Ok(MonthlyList {
        month: date::format_month(first),
        items,
    })
}

/// The members a leader reads: their direct reports and everyone in the departments they lead.
pub async fn team_of(app: &AppState, corp: CorpId, leader: i64) -> AppResult<Vec<Person>> {
    let led = people::departments_led_by(&app.db, corp, leader).await?;
    Ok(people::everyone(&app.db, corp)
        .await?
        .into_iter()
        .filter(|p| {
            p.id != leader
                && (p.leader_id == Some(leader)
                    || p.departments
                        .iter()
                        .any(|(_, path)| led.iter().any(|l| path.starts_with(l.as_str()))))
        })
        .collect())
}

/// A leader's people, each member's month summed.
pub async fn team_month(
    app: &AppState,
    corp: CorpId,
    leader: i64,
    first: Date,
    last: Date,
) -> AppResult<MonthlyList> {
    let people = team_of(app, corp, leader).await?;
    let rules = corp_rules(app, corp).await?;
    let mut items = Vec::new();
    for p in &people {
        let Some(rule) = rules.rule_for(p) else {
            continue;
        };
        let month = days::month(app, corp, p.id, first, last).await?;
        let mut leave: Vec<LeaveMinutes> = Vec::new();
        for l in month.days.iter().flat_map(|d| d.leave.iter()) {
            match leave.iter_mut().find(|x| x.leave_type == l.leave_type) {
                Some(x) => x.minutes += l.minutes,
                None => leave.push(l.clone()),
            }
        }
        items.push(MonthlyRow {
            member: member_ref(p),
            rule: Some(rule.input.name.clone()),
            summary: month.summary,
            leave,
        });
    }
    Ok(MonthlyList {
        month: date::format_month(first),
        items,
    })
}
