//! Durable jobs: a table of work with a time to run. Any node may claim a due job; a claim is a lease,
//! so a job whose node died is taken again after the lease ends, and a finished job is never run
//! again. PostgreSQL nodes skip rows another node holds (`Dialect::skip_locked`). Recurring work is
//! queued one run at a time, each run queueing the next: on a fixed period (`schedule_periodic`) or
//! on a cron or recurrence schedule in a time zone (`schedule_next`).
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::db::{Database, Tx, sql};
use super::error::AppResult;
use super::ids::{CorpId, new_id};
use super::schedule::Schedule;
use super::time::Zone;

const LEASE_MS: i64 = 5 * 60 * 1000;
pub const MAX_ATTEMPTS: i64 = 5;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub corp_id: Option<i64>,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
}

impl Job {
    /// A whole-number field of the JSON payload, when the payload has it.
    pub fn payload_i64(&self, field: &str) -> Option<i64> {
        serde_json::from_str::<serde_json::Value>(&self.payload)
            .ok()
            .and_then(|v| v[field].as_i64())
    }
}

pub type JobFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;
pub type JobHandler = Arc<dyn Fn(crate::AppState, Job) -> JobFuture + Send + Sync>;

#[derive(Clone, Default)]
pub struct JobRegistry {
    handlers: HashMap<&'static str, JobHandler>,
}

impl JobRegistry {
    pub fn register(&mut self, kind: &'static str, h: JobHandler) {
        self.handlers.insert(kind, h);
    }
}

/// Queues a job inside the caller's transaction, so it exists exactly when the change that wants it
/// commits. A `dedup_key` makes the call idempotent.
pub async fn enqueue(
    tx: &mut Tx,
    now_ms: i64,
    corp: Option<CorpId>,
    kind: &str,
    payload: &serde_json::Value,
    run_at: i64,
    dedup_key: Option<&str>,
) -> AppResult<i64> {
    let id = new_id(now_ms);
    tx.exec(
        sql("INSERT INTO jobs (id, corp_id, kind, payload, run_at, status, dedup_key, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7) \
             ON CONFLICT (dedup_key) DO NOTHING")
        .bind(id)
        .bind(corp.map(|c| c.0))
        .bind(kind)
        .bind(payload.to_string())
        .bind(run_at)
        .bind(dedup_key)
        .bind(now_ms),
    )
    .await?;
    Ok(id)
}

/// One job for `enqueue_many`.
pub struct NewJob {
    pub corp: Option<CorpId>,
    pub kind: &'static str,
    pub payload: serde_json::Value,
    pub run_at: i64,
    pub dedup_key: Option<String>,
}

/// Queues many jobs inside the caller's transaction with multi-row statements (a message to a
/// large group may schedule one job per recipient); the same rules as `enqueue` per job.
pub async fn enqueue_many(tx: &mut Tx, now_ms: i64, list: &[NewJob]) -> AppResult<()> {
    for chunk in list.chunks(100) {
        let mut q = sql(
            "INSERT INTO jobs (id, corp_id, kind, payload, run_at, status, dedup_key, created_at) VALUES ",
        );
        for (i, j) in chunk.iter().enumerate() {
            if i > 0 {
                q = q.push(", ");
            }
            q = q
                .push_bind("({}", new_id(now_ms))
                .push_bind(", {}", j.corp.map(|c| c.0))
                .push_bind(", {}", j.kind)
                .push_bind(", {}", j.payload.to_string())
                .push_bind(", {}, 'pending'", j.run_at)
                .push_bind(", {}", j.dedup_key.clone())
                .push_bind(", {})", now_ms);
        }
        tx.exec(q.push(" ON CONFLICT (dedup_key) DO NOTHING"))
            .await?;
    }
    Ok(())
}

/// Queues the run of periodic job `kind` due at `at`, once across all nodes: the period number is its
/// dedup key. A periodic job's handler queues its next run the same way.
pub async fn schedule_periodic(
    app: &crate::AppState,
    kind: &str,
    period_ms: i64,
    at: i64,
) -> anyhow::Result<()> {
    let key = format!("{kind}:{}", at / period_ms.max(1));
    enqueue_once(app, None, kind, &serde_json::json!({}), at, &key).await
}

/// Queues the next run of recurring job `kind` (for `corp`, or for the installation) on `schedule`
/// read in `zone`: its first occurrence after `after`. The occurrence is the dedup key, so every node
/// may call this (at start, for instance) and the run is queued once. Returns the time queued, None
/// once the schedule has ended.
///
/// The pattern: a module's `start` calls this for each schedule it keeps (with `app.now()`); the
/// job's handler first calls `schedule_following` for the run after it and then does its work, so
/// a failing run is retried on its own without breaking the series. One series per kind and corp:
/// a module with several schedules in an enterprise uses one kind each, or one run that serves
/// all the schedules due at that time. A schedule kept in the module's own table and edited there
/// is better re-read by the handler and passed here with `after` = `job.payload_i64("at")`: the old
/// series then joins the new one at their next common occurrence.
pub async fn schedule_next(
    app: &crate::AppState,
    kind: &str,
    corp: Option<CorpId>,
    schedule: &Schedule,
    zone: &Zone,
    after: i64,
) -> anyhow::Result<Option<i64>> {
    let Some(at) = schedule.next_after(zone, after) else {
        return Ok(None);
    };
    let key = format!("{kind}:{}:{at}", corp.map_or(0, |c| c.0));
    let payload = serde_json::json!({"schedule": schedule.as_str(), "zone": zone.name(), "at": at});
    enqueue_once(app, corp, kind, &payload, at, &key).await?;
    Ok(Some(at))
}

/// From a handler of a job `schedule_next` queued: queues the occurrence after the one it runs for,
/// on the schedule and in the zone it was queued with. A run that starts late skips the occurrences
/// already past instead of running them all.
pub async fn schedule_following(app: &crate::AppState, job: &Job) -> anyhow::Result<Option<i64>> {
    let payload: serde_json::Value = serde_json::from_str(&job.payload)?;
    let schedule = Schedule::parse(payload["schedule"].as_str().unwrap_or_default())
        .map_err(|e| anyhow::anyhow!("job {} has no valid schedule: {e}", job.id))?;
    let zone = Zone::named(payload["zone"].as_str().unwrap_or_default()).unwrap_or_default();
    let at = job.payload_i64("at").unwrap_or_default();
    let corp = job.corp_id.map(CorpId);
    schedule_next(app, &job.kind, corp, &schedule, &zone, at.max(app.now())).await
}

/// Queues one job in its own transaction unless one with `key` exists.
async fn enqueue_once(
    app: &crate::AppState,
    corp: Option<CorpId>,
    kind: &str,
    payload: &serde_json::Value,
    at: i64,
    key: &str,
) -> anyhow::Result<()> {
    let mut tx = app.db.begin().await?;
    enqueue(&mut tx, app.now(), corp, kind, payload, at, Some(key))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await?;
    Ok(())
}

/// Keeps the query planner's statistics fresh (see `Database::optimize`), every hour.
pub const OPTIMIZE_JOB: &str = "storage.optimize";
const HOUR_MS: i64 = 3600 * 1000;

pub fn register_storage_jobs(r: &mut JobRegistry) {
    r.register(
        OPTIMIZE_JOB,
        Arc::new(|app: crate::AppState, _job| {
            Box::pin(async move {
                app.db.optimize(&[]).await?;
                schedule_periodic(&app, OPTIMIZE_JOB, HOUR_MS, app.now() + HOUR_MS).await
            })
        }),
    );
}

/// Claims one due job for `node`, or none.
pub async fn claim(db: &Database, node: &str, now_ms: i64) -> AppResult<Option<Job>> {
    let mut tx = db.begin().await?;
    let job = tx
        .opt::<Job>(
            sql(format!(
                "UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1 \
                 WHERE id = (SELECT id FROM jobs WHERE (status = 'pending' AND run_at <= $3) OR (status = 'running' AND locked_until < $3) \
                 ORDER BY run_at LIMIT 1{}) RETURNING id, corp_id, kind, payload, attempts",
                db.dialect().skip_locked()
            ))
            .bind(node)
            .bind(now_ms + LEASE_MS)
            .bind(now_ms),
        )
        .await?;
    tx.commit().await?;
    Ok(job)
}

pub async fn finish(
    db: &Database,
    job: &Job,
    node: &str,
    result: &anyhow::Result<()>,
    now_ms: i64,
) -> AppResult<()> {
    let q = match result {
        Ok(()) => sql("UPDATE jobs SET status = 'done', locked_until = 0, last_error = NULL WHERE id = $1 AND locked_by = $2").bind(job.id).bind(node),
        Err(e) => {
            let give_up = job.attempts >= MAX_ATTEMPTS;
            let backoff = 1000 * (1i64 << job.attempts.min(10));
            sql("UPDATE jobs SET status = $3, run_at = $4, locked_until = 0, last_error = $5 WHERE id = $1 AND locked_by = $2")
                .bind(job.id)
                .bind(node)
                .bind(if give_up { "failed" } else { "pending" })
                .bind(now_ms + backoff)
                .bind(format!("{e:#}"))
        }
    };
    db.exec(q).await?;
    Ok(())
}

/// Wakes the local scheduler when a job is queued, so it does not wait for the next poll.
#[derive(Clone, Default)]
pub struct JobSignal(Arc<Notify>);

impl JobSignal {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Claims one job due at `now` for `node` and runs it with its handler from `registry`, recording the
/// result: whether there was one.
pub async fn run_due(
    app: &crate::AppState,
    registry: &JobRegistry,
    node: &str,
    now: i64,
) -> AppResult<bool> {
    let Some(job) = claim(&app.db, node, now).await? else {
        return Ok(false);
    };
    let handler = registry.handlers.get_key_value(job.kind.as_str());
    let result = match handler {
        Some((_, h)) => h(app.clone(), job.clone()).await,
        None => Err(anyhow::anyhow!("no handler for job kind {}", job.kind)),
    };
    // Registered kinds only: the label set stays what the code names.
    let kind = handler.map_or("unknown", |(kind, _)| *kind);
    app.metrics.job_ran(kind, result.is_err());
    if let Err(e) = &result {
        tracing::warn!(job = job.id, kind = %job.kind, error = %format!("{e:#}"), "job failed");
    }
    if let Err(e) = finish(&app.db, &job, node, &result, app.clock.now_ms()).await {
        tracing::error!(job = job.id, error = %e, "could not record job result");
    }
    Ok(true)
}

/// The scheduler loop of one node: claim, run, record, repeat; poll every second when idle.
pub async fn run_scheduler(app: crate::AppState, registry: Arc<JobRegistry>, signal: JobSignal) {
    let node = app.node_id.clone();
    loop {
        match run_due(&app, &registry, &node, app.clock.now_ms()).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "job claim failed"),
        }
        tokio::select! {
            _ = signal.0.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(1000)) => {}
        }
    }
}
