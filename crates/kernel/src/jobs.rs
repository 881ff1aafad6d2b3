//! Durable jobs: a table of work with a time to run. Any node may claim a due job; a claim is a lease,
//! so a job whose node died is taken again after the lease ends, and a finished job is never run
//! again. PostgreSQL nodes skip rows another node holds (`Dialect::skip_locked`).
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::db::{Database, Tx, sql};
use super::error::AppResult;
use super::ids::{CorpId, new_id};

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
    let mut tx = app.db.begin().await?;
    let key = format!("{kind}:{}", at / period_ms.max(1));
    enqueue(
        &mut tx,
        app.now(),
        None,
        kind,
        &serde_json::json!({}),
        at,
        Some(&key),
    )
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

/// The scheduler loop of one node: claim, run, record, repeat; poll every second when idle.
pub async fn run_scheduler(app: crate::AppState, registry: Arc<JobRegistry>, signal: JobSignal) {
    let node = app.node_id.clone();
    loop {
        let now = app.clock.now_ms();
        match claim(&app.db, &node, now).await {
            Ok(Some(job)) => {
                let result = match registry.handlers.get(job.kind.as_str()) {
                    Some(h) => h(app.clone(), job.clone()).await,
                    None => Err(anyhow::anyhow!("no handler for job kind {}", job.kind)),
                };
                if let Err(e) = &result {
                    tracing::warn!(job = job.id, kind = %job.kind, error = %format!("{e:#}"), "job failed");
                }
                if let Err(e) = finish(&app.db, &job, &node, &result, app.clock.now_ms()).await {
                    tracing::error!(job = job.id, error = %e, "could not record job result");
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "job claim failed"),
        }
        tokio::select! {
            _ = signal.0.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(1000)) => {}
        }
    }
}
