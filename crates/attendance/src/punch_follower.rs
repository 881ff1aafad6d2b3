//! Make-up clock-ins (补卡) through the approvals module's built-in template: the monthly limit is
//! checked when the application is submitted, and once it is approved the clock-in it asks for is
//! written (as WeCom's `punch_correction` writes one) and the day recomputed.
use std::sync::Arc;

use serde_json::{Value, json};

use qixie_approvals::followers::{Change, CheckFuture, Follower};
use qixie_approvals::form::FormValues;
use qixie_approvals::instance;
use qixie_kernel::AppState;
use qixie_kernel::authz::Actor;
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason, Hint};
use qixie_kernel::ids::CorpId;
use qixie_kernel::jobs::{Job, JobRegistry};

use crate::date;
use crate::external::{self, Correction};
use crate::plan;
use crate::settings;

pub const PUNCH_JOB: &str = "attendance.punch_correction";

pub struct PunchFollower;

impl Follower for PunchFollower {
    fn builtin(&self) -> &'static str {
        "punch_correction"
    }
    fn job(&self) -> &'static str {
        PUNCH_JOB
    }
    fn check<'a>(
        &'a self,
        app: &'a AppState,
        corp: CorpId,
        applicant: i64,
        values: &'a FormValues,
    ) -> CheckFuture<'a> {
        Box::pin(async move { check(app, corp, applicant, values).await })
    }
}

pub fn register(r: &mut JobRegistry) {
    r.register(
        PUNCH_JOB,
        Arc::new(|app: AppState, job: Job| {
            Box::pin(async move { run(&app, &job).await.map_err(|e| anyhow::anyhow!("{e}")) })
        }),
    );
}

/// The moment the form's `time` names, on the enterprise's clock.
async fn moment(
    app: &AppState,
    corp: CorpId,
    values: &FormValues,
) -> AppResult<(i64, jiff::civil::Date)> {
    let zone = plan::corp_zone(app, corp).await?;
    let text = values
        .get("time")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (Some(day), Some(clock)) = (
        text.get(..10).and_then(date::parse),
        text.get(11..16).and_then(crate::rule::TimeOfDay::parse),
    ) else {
        return Err(AppError::field("values.time", FieldReason::Format));
    };
    Ok((zone.at(date::epoch_day(day), clock.minutes()), day))
}

/// Refuses a make-up clock-in past the month's limit, or for a moment to come.
async fn check(app: &AppState, corp: CorpId, member: i64, values: &FormValues) -> AppResult<()> {
    let (at, day) = moment(app, corp, values).await?;
    if at > app.now() {
        return Err(AppError::field("values.time", FieldReason::Range));
    }
    let limit = settings::get(&app.db, corp)
        .await?
        .punch_correction_monthly_limit;
    let used: i64 =
        external::corrections_by_day(&app.db, member, day.first_of_month(), day.last_of_month())
            .await?
            .values()
            .sum();
    if used >= limit {
        return Err(
            AppError::field("values.time", FieldReason::TooMany).with_hint(Hint {
                zh: format!("本月已补卡 {used} 次，每月最多 {limit} 次"),
                en: format!("{used} make-up clock-ins this month; at most {limit} a month"),
                data: json!({"used": used, "limit": limit}),
            }),
        );
    }
    Ok(())
}

/// Writes the approved make-up clock-in once (a repeat of the same moment is the same clock-in).
async fn run(app: &AppState, job: &Job) -> AppResult<()> {
    let Some(corp) = job.corp_id.map(CorpId) else {
        return Ok(());
    };
    let change: Change = serde_json::from_str(&job.payload).map_err(AppError::internal)?;
    if change.status != 2 {
        return Ok(());
    }
    let l = match instance::load(&app.db, corp, &change.sp_no).await {
        Ok(l) => l,
        Err(e) if e.kind == ErrorKind::ApprovalNotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let (at, day) = moment(app, corp, &l.values).await?;
    let member = l.row.applicant_id;
    let userid = qixie_org::member::lookup::cards(&app.db, corp, &[member])
        .await?
        .get(&member)
        .map(|c| c.userid.clone())
        .unwrap_or_default();
    let reason = l
        .values
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let c = Correction {
        member,
        userid,
        day,
        at,
        due_s: None,
        note: format!("补卡审批 {}：{reason}", change.sp_no),
    };
    match external::punch_correction(app, &Actor::system(corp), &c).await {
        // A member who no longer follows a rule has nothing to correct.
        Err(e) if e.kind == ErrorKind::NoAttendanceRule => Ok(()),
        other => other.map(|_| ()),
    }
}
