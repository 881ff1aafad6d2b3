//! Time limits of approval steps: reminders at shares of the limit and an action at the limit,
//! carried by durable jobs queued in the transaction that reaches the step (so they survive
//! restarts and run once across nodes). A job that finds its step no longer waiting does nothing.
//! Limits count wall-clock hours; working hours come with the attendance calendar.
use serde_json::json;

use qixie_kernel::AppState;
use qixie_kernel::db::Tx;
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::CorpId;
use qixie_kernel::jobs::{self, NewJob};

use crate::flow::LimitAction;
use crate::instance::Loaded;
use crate::instance::progress::Status;

pub const LIMIT_JOB: &str = "approvals.time_limit";
const HOUR_MS: i64 = 3600 * 1000;

/// Queues the reminders and the action of the current step when it has just been reached.
pub async fn schedule(
    tx: &mut Tx,
    app: &AppState,
    l: &Loaded,
    outcome: &crate::instance::progress::Outcome,
) -> AppResult<()> {
    if l.status() != Status::Pending || outcome.now_pending.is_empty() {
        return Ok(());
    }
    let Some(s) = l.progress.current_step() else {
        return Ok(());
    };
    let (Some(limit), Some(reached)) = (&s.step.time_limit, s.reached_at) else {
        return Ok(());
    };
    let span = i64::from(limit.hours) * HOUR_MS;
    let mut list = Vec::new();
    let mut shares: Vec<u8> = limit
        .remind_at
        .iter()
        .copied()
        .filter(|p| (1..=100).contains(p))
        .collect();
    if limit.action != LimitAction::None && !shares.contains(&100) {
        shares.push(100);
    }
    for pct in shares {
        list.push(NewJob {
            corp: Some(CorpId(l.row.corp_id)),
            kind: LIMIT_JOB,
            payload: json!({"instance": l.row.id, "sp_no": l.row.sp_no, "step": s.key, "pct": pct}),
            run_at: reached + span * i64::from(pct) / 100,
            dedup_key: Some(format!("approval-limit:{}:{}:{pct}", l.row.id, s.key)),
        });
    }
    jobs::enqueue_many(tx, app.now(), &list).await?;
    Ok(())
}
