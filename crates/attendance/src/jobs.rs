//! The module's periodic work, once across nodes: closing each enterprise's finished days (a member
//! who never clocked in gets "absent", a missing clock-out "missing", stored for the lists and the
//! payroll sheet), rounding clock-in positions past their retention, and reminding members to clock
//! in or out before their sections (app messages from the built-in 打卡 app; the attention policy
//! decides how loudly they arrive).
use std::sync::Arc;

use qixie_kernel::AppState;
use qixie_kernel::db::sql;
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::CorpId;
use qixie_kernel::jobs::{self, JobRegistry};

use crate::date;
use crate::plan::{self, Plans};
use crate::results;
use crate::rule::store::corp_rules;
use crate::settings;

pub const CLOSE_JOB: &str = "attendance.close";
pub const REMIND_JOB: &str = "attendance.remind";
const HOUR_MS: i64 = 3_600_000;
const REMIND_EVERY_MS: i64 = 5 * 60_000;
/// WeCom's agentid of the 打卡 app, the sender of reminders.
pub const ATTENDANCE_AGENTID: i64 = 3_010_011;
/// A day is closed once its latest night shift and late clock-out window are over: after 13:00 the
/// next day on the enterprise's clock.
const CLOSE_AFTER_MINUTE: i64 = 13 * 60;
/// How many missed days a late close catches up.
const CATCH_UP_DAYS: i64 = 7;

pub fn register(r: &mut JobRegistry) {
    r.register(
        CLOSE_JOB,
        Arc::new(|app: AppState, _job| {
            Box::pin(async move {
                let now = app.now();
                close_all(&app).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                jobs::schedule_periodic(&app, CLOSE_JOB, HOUR_MS, now + HOUR_MS).await
            })
        }),
    );
    r.register(
        REMIND_JOB,
        Arc::new(|app: AppState, _job| {
            Box::pin(async move {
                let now = app.now();
                remind_all(&app, now)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                jobs::schedule_periodic(&app, REMIND_JOB, REMIND_EVERY_MS, now + REMIND_EVERY_MS)
                    .await
            })
        }),
    );
}

pub async fn start(app: &AppState) -> anyhow::Result<()> {
    let now = app.now();
    jobs::schedule_periodic(app, CLOSE_JOB, HOUR_MS, now).await?;
    jobs::schedule_periodic(app, REMIND_JOB, REMIND_EVERY_MS, now).await
}

async fn corps_with_rules(app: &AppState) -> AppResult<Vec<CorpId>> {
    let rows: Vec<(i64,)> = app
        .db
        .all(sql(
            "SELECT DISTINCT corp_id FROM attendance_rules ORDER BY corp_id",
        ))
        .await?;
    Ok(rows.into_iter().map(|(c,)| CorpId(c)).collect())
}

/// Closes the finished days of every enterprise with rules, and rounds old positions.
pub async fn close_all(app: &AppState) -> AppResult<()> {
    for corp in corps_with_rules(app).await? {
        if let Err(e) = close_corp(app, corp).await {
            tracing::warn!(corp = corp.0, error = %e, "could not close attendance days");
        }
    }
    Ok(())
}

/// Stores the results of an enterprise's days not closed yet, up to the last finished one.
pub async fn close_corp(app: &AppState, corp: CorpId) -> AppResult<usize> {
    let now = app.now();
    let zone = plan::corp_zone(app, corp).await?;
    let local = zone.local(now);
    let behind = if local.minute >= CLOSE_AFTER_MINUTE {
        1
    } else {
        2
    };
    let last = date::from_epoch_day(local.day - behind);
    let closed: Option<(i64,)> = app
        .db
        .opt(sql("SELECT day FROM attendance_closed WHERE corp_id = $1").bind(corp))
        .await?;
    let first = match closed.and_then(|(d,)| date::from_key(d)) {
        Some(d) if d >= last => return Ok(0),
        Some(d) => d
            .tomorrow()
            .unwrap_or(d)
            .max(date::from_epoch_day(date::epoch_day(last) - CATCH_UP_DAYS)),
        None => last,
    };
    let written = results::recompute_corp(app, corp, first, last, None).await?;
    let s = settings::get(&app.db, corp).await?;
    let mut tx = app.db.begin().await?;
    tx.exec(
        sql("INSERT INTO attendance_closed (corp_id, day) VALUES ($1, $2) ON CONFLICT (corp_id) DO UPDATE SET day = excluded.day")
            .bind(corp)
            .bind(date::key(last)),
    )
    .await?;
    let rounded =
        crate::clockin::forget_old_positions(&mut tx, corp, s.location_retention_days, now).await?;
    tx.commit().await?;
    tracing::info!(corp = corp.0, days = %format!("{first}..{last}"), written, rounded, "attendance days closed");
    Ok(written)
}

/// Reminds members whose section begins (or ends) within the rule's reminder time from now and who
/// have not clocked for it yet.
pub async fn remind_all(app: &AppState, now: i64) -> AppResult<()> {
    for corp in corps_with_rules(app).await? {
        if let Err(e) = remind_corp(app, corp, now).await {
            tracing::warn!(corp = corp.0, error = %e, "could not send attendance reminders");
        }
    }
    Ok(())
}

async fn remind_corp(app: &AppState, corp: CorpId, now: i64) -> AppResult<()> {
    let rules = corp_rules(app, corp).await?;
    if rules
        .rules
        .iter()
        .all(|r| r.input.remind_on_minutes.is_none() && r.input.remind_off_minutes.is_none())
    {
        return Ok(());
    }
    let zone = plan::corp_zone(app, corp).await?;
    let today = date::from_epoch_day(zone.local(now).day);
    let everyone = qixie_org::people::everyone(&app.db, corp).await?;
    let holidays = Arc::new(plan::holidays(&mut (&app.db).into(), corp, today, today).await?);
    let clocked: Vec<(i64, i64)> = app
        .db
        .all(
            sql("SELECT member_id, at FROM attendance_clock_ins WHERE corp_id = $1 AND day = $2")
                .bind(corp)
                .bind(date::key(today)),
        )
        .await?;
    let mut to_on: Vec<i64> = Vec::new();
    let mut to_off: Vec<i64> = Vec::new();
    // The window this run covers: reminders due since the previous run.
    let window = (now - REMIND_EVERY_MS, now);
    let due = |at: i64| at > window.0 && at <= window.1;
    for p in &everyone {
        let Some(rule) = rules.rule_for(p) else {
            continue;
        };
        let (on, off) = (rule.input.remind_on_minutes, rule.input.remind_off_minutes);
        if on.is_none() && off.is_none() {
            continue;
        }
        let schedule = if rule.input.kind == crate::rule::RuleKind::Scheduled {
            let rows: Vec<(i64, i64)> = app
                .db
                .all(
                    sql("SELECT day, shift_id FROM attendance_schedules WHERE member_id = $1 AND day = $2")
                        .bind(p.id)
                        .bind(date::key(today)),
                )
                .await?;
            rows.into_iter().collect()
        } else {
            Default::default()
        };
        let plans = Plans {
            zone: zone.clone(),
            rule: Some(rule.clone()),
            schedule,
            holidays: holidays.clone(),
        };
        let day = plans.day(today);
        for s in &day.sections {
            let mine = |a: i64, b: i64| {
                clocked
                    .iter()
                    .any(|(m, at)| *m == p.id && *at >= a && *at < b)
            };
            if let Some(m) = on
                && due(s.on_at - m * 60_000)
                && !mine(s.on_at - rule.input.early_limit_minutes * 60_000, s.off_at)
            {
                to_on.push(p.id);
            }
            if let Some(m) = off
                && due(s.off_at - m * 60_000)
            {
                to_off.push(p.id);
            }
        }
    }
    if to_on.is_empty() && to_off.is_empty() {
        return Ok(());
    }
    let sender = qixie_apps::builtin(app, corp, ATTENDANCE_AGENTID, "打卡").await?;
    for (members, text) in [
        (to_on, "上班时间快到了，别忘了打卡"),
        (to_off, "快下班了，离开前别忘了打下班卡"),
    ] {
        if members.is_empty() {
            continue;
        }
        qixie_chat::notice::send_to_members(
            app,
            corp,
            &sender,
            &members,
            qixie_chat::notice::Notice::Text {
                content: format!("【打卡提醒】{text}"),
                mentioned: Vec::new(),
                mentioned_mobiles: Vec::new(),
            },
        )
        .await?;
    }
    Ok(())
}
