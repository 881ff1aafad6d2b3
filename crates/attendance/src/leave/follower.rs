//! Leave and overtime follow the approvals of the built-in `leave` and `overtime` templates. Before
//! a leave is submitted its duration is counted on the member's working days and refused beyond
//! the balance (less what pending requests hold). After each change a job brings this module's
//! side to what the application now is: pending holds its amount; approved takes it from the
//! balance and marks the days as leave in attendance; rejected, withdrawn or returned after that
//! gives it back and unmarks the days. An approved overtime taken as time off credits comp time and
//! marks the days as overtime. The job reads the application's current state, so it may run twice
//! or late and still leave things right.
use std::sync::Arc;

use serde_json::{Value, json};

use qixie_approvals::followers::{Change, CheckFuture, Follower, Followers};
use qixie_approvals::form::FormValues;
use qixie_approvals::instance;
use qixie_kernel::AppState;
use qixie_kernel::db::{Tx, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason, Hint};
use qixie_kernel::ids::CorpId;
use qixie_kernel::jobs::{Job, JobRegistry};

use super::balance::{Book, left_of, pending_of, unit_word};
use super::duration::{self, Counted, Window};
use super::types::TypeRow;
use super::working::working_time;
use crate::date;
use crate::days::recompute;

pub const LEAVE_JOB: &str = "attendance.leave";
pub const OVERTIME_JOB: &str = "attendance.overtime";

pub fn install(followers: &mut Followers) {
    followers.register(Arc::new(LeaveFollower));
    followers.register(Arc::new(OvertimeFollower));
}

pub fn register_jobs(r: &mut JobRegistry) {
    r.register(
        LEAVE_JOB,
        Arc::new(|app: AppState, job: Job| {
            Box::pin(async move {
                run(&app, &job, Kind::Leave)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))
            })
        }),
    );
    r.register(
        OVERTIME_JOB,
        Arc::new(|app: AppState, job: Job| {
            Box::pin(async move {
                run(&app, &job, Kind::Overtime)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))
            })
        }),
    );
}

struct LeaveFollower;

impl Follower for LeaveFollower {
    fn builtin(&self) -> &'static str {
        "leave"
    }
    fn job(&self) -> &'static str {
        LEAVE_JOB
    }
    fn check<'a>(
        &'a self,
        app: &'a AppState,
        corp: CorpId,
        applicant: i64,
        values: &'a FormValues,
    ) -> CheckFuture<'a> {
        Box::pin(async move { check_leave(app, corp, applicant, values).await })
    }
}

struct OvertimeFollower;

impl Follower for OvertimeFollower {
    fn builtin(&self) -> &'static str {
        "overtime"
    }
    fn job(&self) -> &'static str {
        OVERTIME_JOB
    }
}

fn text<'a>(values: &'a FormValues, id: &str) -> Option<&'a str> {
    values.get(id).and_then(Value::as_str)
}

/// The form's period (`values.period`) as moments; 422 on it when it is not one.
fn period(book: &Book, values: &FormValues) -> AppResult<Window> {
    let p = values.get("period");
    let part = |k: &str| p.and_then(|v| v.get(k)).and_then(Value::as_str);
    let (Some(start), Some(end)) = (part("start"), part("end")) else {
        return Err(AppError::field("values.period", FieldReason::Required));
    };
    duration::window(&book.zone, start, end)
        .ok_or_else(|| AppError::field("values.period", FieldReason::Format))
}

/// A leave of type `t` over `w`, counted on the member's own working time.
pub async fn count_leave(
    app: &AppState,
    book: &Book,
    member: i64,
    t: &TypeRow,
    w: &Window,
) -> AppResult<Counted> {
    let spans = working_time(app, book.corp, member, w.from_ms, w.to_ms).await?;
    Ok(duration::leave(
        t.unit(),
        t.day_minutes,
        &spans,
        w,
        &book.zone,
    ))
}

/// The leave a form asks for: its type, period and count. 422 naming the value at fault.
pub async fn requested(
    app: &AppState,
    book: &Book,
    member: i64,
    values: &FormValues,
) -> AppResult<(TypeRow, Window, Counted)> {
    let key = text(values, "leave_type")
        .ok_or_else(|| AppError::field("values.leave_type", FieldReason::Required))?;
    let t = book.enabled(key, "values.leave_type")?.clone();
    let w = period(book, values)?;
    let c = count_leave(app, book, member, &t, &w).await?;
    if c.amount == 0 {
        return Err(
            AppError::field("values.period", FieldReason::Range).with_hint(Hint {
                zh: "所选时间内没有工作时间".into(),
                en: "The period has no working time".into(),
                data: json!({"duration": 0}),
            }),
        );
    }
    Ok((t, w, c))
}

/// Refuses a leave beyond the balance, showing it.
async fn check_leave(
    app: &AppState,
    corp: CorpId,
    member: i64,
    values: &FormValues,
) -> AppResult<()> {
    let book = Book::load(app, corp).await?;
    let (t, _, c) = requested(app, &book, member, values).await?;
    if !t.limited() {
        return Ok(());
    }
    book.upkeep(app, &[member]).await?;
    let left = left_of(&app.db, member, &t.type_key).await?;
    let pending = pending_of(&app.db, member, &t.type_key).await?;
    if c.amount <= left - pending {
        return Ok(());
    }
    let (l, p, d) = (t.shown(left), t.shown(pending), t.shown(c.amount));
    let (zh, en) = (unit_word(t.unit(), true), unit_word(t.unit(), false));
    let held_zh = if pending > 0 {
        format!("，审批中 {p}{zh}")
    } else {
        String::new()
    };
    let held_en = if pending > 0 {
        format!(", {p} {en} pending")
    } else {
        String::new()
    };
    Err(
        AppError::field("values.period", FieldReason::InsufficientBalance).with_hint(Hint {
            zh: format!("{}剩余 {l}{zh}{held_zh}，本次请假 {d}{zh}", t.name),
            en: format!("{} left: {l} {en}{held_en}; this leave: {d} {en}", t.name),
            data: json!({"leave_type": t.type_key, "unit": t.unit().name(), "left": l, "pending": p, "duration": d}),
        }),
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Leave,
    Overtime,
}

/// What this module holds for an application.
#[derive(Debug, Clone, PartialEq)]
struct Held {
    leave_type: String,
    amount: i64,
    state: String,
    lots: Vec<(i64, i64)>,
    first_day: i64,
    last_day: i64,
}

async fn held(tx: &mut Tx, corp: CorpId, sp_no: &str) -> AppResult<Option<Held>> {
    let lock = tx.dialect().lock_update();
    let row: Option<(String, i64, String, String, i64, i64)> = tx
        .opt(
            sql(format!("SELECT leave_type, amount, state, lots, first_day, last_day FROM leave_requests WHERE corp_id = $1 AND sp_no = $2{lock}"))
                .bind(corp)
                .bind(sp_no),
        )
        .await?;
    let Some((leave_type, amount, state, lots, first_day, last_day)) = row else {
        return Ok(None);
    };
    Ok(Some(Held {
        leave_type,
        amount,
        state,
        lots: serde_json::from_str(&lots).map_err(AppError::internal)?,
        first_day,
        last_day,
    }))
}

async fn hold(
    tx: &mut Tx,
    book: &Book,
    sp_no: &str,
    member: i64,
    kind: Kind,
    h: &Held,
) -> AppResult<()> {
    tx.exec(
        sql("INSERT INTO leave_requests (corp_id, sp_no, member_id, kind, leave_type, amount, state, lots, first_day, last_day, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (corp_id, sp_no) DO UPDATE SET leave_type = excluded.leave_type, amount = excluded.amount, state = excluded.state, \
             lots = excluded.lots, first_day = excluded.first_day, last_day = excluded.last_day, updated_at = excluded.updated_at")
            .bind(book.corp)
            .bind(sp_no)
            .bind(member)
            .bind(if kind == Kind::Leave { "leave" } else { "overtime" })
            .bind(&h.leave_type)
            .bind(h.amount)
            .bind(&h.state)
            .bind(serde_json::to_string(&h.lots).map_err(AppError::internal)?)
            .bind(h.first_day)
            .bind(h.last_day)
            .bind(book.now),
    )
    .await?;
    Ok(())
}

/// What an application should hold now, counted from its values.
struct Wanted {
    t: Option<TypeRow>,
    w: Window,
    c: Counted,
}

async fn wanted(
    app: &AppState,
    book: &Book,
    kind: Kind,
    member: i64,
    values: &FormValues,
) -> AppResult<Option<Wanted>> {
    match kind {
        Kind::Leave => {
            // The check refused unknown types and bad periods; a type switched off since the
            // application was made still counts.
            let Some(t) = text(values, "leave_type")
                .and_then(|k| book.get(k))
                .cloned()
            else {
                return Ok(None);
            };
            let Ok(w) = period(book, values) else {
                return Ok(None);
            };
            let c = count_leave(app, book, member, &t, &w).await?;
            Ok(Some(Wanted { t: Some(t), w, c }))
        }
        Kind::Overtime => {
            let Ok(w) = period(book, values) else {
                return Ok(None);
            };
            let spans = working_time(app, book.corp, member, w.from_ms, w.to_ms).await?;
            let c = duration::overtime(&spans, &w, &book.zone);
            // Taken as time off: comp time, when the enterprise has it.
            let t = (text(values, "compensation") == Some("leave"))
                .then(|| book.types.iter().find(|t| t.is_comp && t.enabled).cloned())
                .flatten();
            Ok(Some(Wanted { t, w, c }))
        }
    }
}

async fn run(app: &AppState, job: &Job, kind: Kind) -> AppResult<()> {
    let Some(corp) = job.corp_id.map(CorpId) else {
        return Ok(());
    };
    let change: Change = serde_json::from_str(&job.payload).map_err(AppError::internal)?;
    let seen = match instance::load(&app.db, corp, &change.sp_no).await {
        Ok(l) => l,
        Err(e) if e.kind == ErrorKind::ApprovalNotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let member = seen.row.applicant_id;
    let book = Book::load(app, corp).await?;
    // Counted before the transaction (it reads the member's working time); applied only if the
    // application is still as counted, else the job of the later change applies that.
    let want = match seen.row.status {
        1 | 2 => wanted(app, &book, kind, member, &seen.values).await?,
        _ => None,
    };
    let mut tx = app.db.begin().await?;
    let now = instance::load(&mut tx, corp, &change.sp_no).await?;
    if now.row.status != seen.row.status || now.row.form_values != seen.row.form_values {
        return Ok(());
    }
    let sp_no = change.sp_no.as_str();
    let before = held(&mut tx, corp, sp_no).await?;
    let applied = before.as_ref().is_some_and(|h| h.state == "applied");
    let approved = seen.row.status == 2;
    if applied && approved {
        // Done already (an approved application does not change).
        return Ok(());
    }
    if let (true, Some(h)) = (applied, &before) {
        undo(app, &book, &mut tx, member, kind, h, sp_no).await?;
    }
    let next = match (seen.row.status, want) {
        (2, Some(w)) => Some(apply(app, &book, &mut tx, member, kind, &w, sp_no).await?),
        (1, Some(w)) if kind == Kind::Leave => Some(Held {
            leave_type: w.t.map(|t| t.type_key).unwrap_or_default(),
            amount: w.c.amount,
            state: "pending".into(),
            lots: Vec::new(),
            first_day: date::key(w.w.first),
            last_day: date::key(w.w.last),
        }),
        _ => before.map(|h| Held {
            state: "released".into(),
            lots: Vec::new(),
            ..h
        }),
    };
    if let Some(h) = next {
        hold(&mut tx, &book, sp_no, member, kind, &h).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Takes an approved leave from the balance (or credits an overtime's comp time) and marks its
/// days in attendance.
async fn apply(
    app: &AppState,
    book: &Book,
    tx: &mut Tx,
    member: i64,
    kind: Kind,
    w: &Wanted,
    sp_no: &str,
) -> AppResult<Held> {
    book.upkeep_in(app, tx, member).await?;
    let mut lots = Vec::new();
    match (kind, &w.t) {
        (Kind::Leave, Some(t)) if w.c.amount > 0 => {
            lots = book.deduct(tx, member, t, w.c.amount, sp_no).await?
        }
        (Kind::Overtime, Some(t)) if w.c.amount > 0 => {
            if let Some(lot) = book
                .credit(tx, member, t, w.c.amount, sp_no, w.w.last)
                .await?
            {
                lots.push((lot, w.c.amount));
            }
        }
        _ => {}
    }
    let key = w.t.as_ref().map(|t| t.type_key.clone()).unwrap_or_default();
    let rows: Vec<Vec<qixie_kernel::db::Arg>> =
        w.c.days
            .iter()
            .map(|p| {
                vec![
                    book.corp.0.into(),
                    member.into(),
                    date::key(p.date).into(),
                    sp_no.into(),
                    (if kind == Kind::Leave {
                        "leave"
                    } else {
                        "overtime"
                    })
                    .into(),
                    (if kind == Kind::Leave {
                        key.as_str()
                    } else {
                        ""
                    })
                    .into(),
                    p.start_at.into(),
                    p.end_at.into(),
                    p.minutes.into(),
                ]
            })
            .collect();
    if !rows.is_empty() {
        tx.insert_many(
            "INSERT INTO attendance_approved (corp_id, member_id, day, sp_no, kind, leave_type, start_at, end_at, minutes) VALUES",
            " ON CONFLICT (member_id, day, sp_no) DO NOTHING",
            rows,
        )
        .await?;
    }
    recompute(tx, app, book.corp, member, w.w.first, w.w.last).await?;
    Ok(Held {
        leave_type: key,
        amount: w.c.amount,
        state: "applied".into(),
        lots,
        first_day: date::key(w.w.first),
        last_day: date::key(w.w.last),
    })
}

/// Reverses what `apply` did.
async fn undo(
    app: &AppState,
    book: &Book,
    tx: &mut Tx,
    member: i64,
    kind: Kind,
    h: &Held,
    sp_no: &str,
) -> AppResult<()> {
    if let Some(t) = book.get(&h.leave_type) {
        match kind {
            Kind::Leave => book.restore(tx, member, t, &h.lots, sp_no).await?,
            Kind::Overtime => {
                for (lot, _) in &h.lots {
                    book.uncredit(tx, member, t, *lot, sp_no).await?;
                }
            }
        }
    }
    tx.exec(
        sql("DELETE FROM attendance_approved WHERE corp_id = $1 AND sp_no = $2")
            .bind(book.corp)
            .bind(sp_no),
    )
    .await?;
    if let (Some(first), Some(last)) = (date::from_key(h.first_day), date::from_key(h.last_day)) {
        recompute(tx, app, book.corp, member, first, last).await?;
    }
    Ok(())
}

/// Brings an application's side to its current state now, as its job would (for tests and
/// repairs).
pub async fn follow(app: &AppState, corp: CorpId, builtin: &str, sp_no: &str) -> AppResult<()> {
    let kind = match builtin {
        "leave" => Kind::Leave,
        "overtime" => Kind::Overtime,
        _ => return Ok(()),
    };
    let job = Job {
        id: 0,
        corp_id: Some(corp.0),
        kind: String::new(),
        payload: serde_json::to_string(&Change {
            sp_no: sp_no.to_owned(),
            status: 0,
            change: 0,
        })
        .map_err(AppError::internal)?,
        attempts: 0,
    };
    run(app, &job, kind).await
}
