//! Indexing what was stored before the index existed: a durable job, in batches.
use std::sync::Arc;

use serde_json::json;

use super::index::index_rows;
use crate::stream::{self, EventRow};
use qixie_kernel::AppState;
use qixie_kernel::db::sql;
use qixie_kernel::error::AppResult;
use qixie_kernel::jobs::{self, JobRegistry};

pub const BACKFILL_JOB: &str = "chat.search_backfill";
/// Messages indexed in one transaction.
const BACKFILL_BATCH: i64 = 200;
/// One run of the job stops after this long and queues the rest, well inside the job lease.
const BACKFILL_BUDGET: std::time::Duration = std::time::Duration::from_secs(30);

pub fn register_jobs(r: &mut JobRegistry) {
    r.register(
        BACKFILL_JOB,
        Arc::new(|app: AppState, job| {
            Box::pin(async move {
                let after = job.payload_i64("after").unwrap_or(0);
                backfill(&app, after)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))
            })
        }),
    );
}

/// Queues the indexing of messages stored before the index existed; once per database (a server
/// start after that finds the job done and queues nothing).
pub async fn schedule_backfill(app: &AppState) -> anyhow::Result<()> {
    // A new key whenever the words change (0009 added Chinese character pairs and emptied the
    // index), so a database indexed the old way is indexed again, once.
    queue_backfill(app, 0, &format!("{BACKFILL_JOB}:bigrams")).await
}

async fn queue_backfill(app: &AppState, after: i64, key: &str) -> anyhow::Result<()> {
    let now = app.now();
    let mut tx = app.db.begin().await?;
    jobs::enqueue(
        &mut tx,
        now,
        None,
        BACKFILL_JOB,
        &json!({ "after": after }),
        now,
        Some(key),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await?;
    app.jobs.wake();
    Ok(())
}

/// Indexes unindexed messages with ids above `after`, in batches, for at most [`BACKFILL_BUDGET`];
/// what is left goes to a follow-up job.
async fn backfill(app: &AppState, mut after: i64) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    loop {
        let (n, last) = backfill_batch(app, after, BACKFILL_BATCH)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if n < BACKFILL_BATCH as usize {
            if n > 0 || after > 0 {
                tracing::info!(up_to = last, "message search index filled in");
            }
            return Ok(());
        }
        after = last;
        if started.elapsed() > BACKFILL_BUDGET {
            return queue_backfill(app, after, &format!("{BACKFILL_JOB}:{after}")).await;
        }
    }
}

/// One batch: the next `limit` messages after `after` that are neither indexed nor recalled,
/// indexed in one transaction. Returns how many and the last id.
pub async fn backfill_batch(app: &AppState, after: i64, limit: i64) -> AppResult<(usize, i64)> {
    let mut tx = app.db.begin().await?;
    let rows: Vec<EventRow> = tx
        .all(
            sql(format!(
                "SELECT {} FROM chat_events e WHERE e.id > $1 AND e.kind = 'message' AND e.recalled_at IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM chat_search s WHERE s.event_id = e.id) ORDER BY e.id LIMIT $2",
                stream::event_cols("e")
            ))
            .bind(after)
            .bind(limit),
        )
        .await?;
    index_rows(&mut tx, &rows).await?;
    tx.commit().await?;
    Ok((rows.len(), rows.last().map_or(after, |r| r.id)))
}
