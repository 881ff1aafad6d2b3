//! Indexing off the writer's commit path: the transaction that stores messages marks them pending;
//! the indexer (and a search, first) cuts their words and writes their index rows.
use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::Notify;

use super::index::{Entry, entries_of, write_entries};
use crate::ChatState;
use crate::stream::{self, EventRow};
use qixie_kernel::AppState;
use qixie_kernel::db::{Arg, Tx, sql};
use qixie_kernel::error::AppResult;

/// Messages indexed in one indexer transaction at most.
const PENDING_BATCH: i64 = 500;
/// Batches a search indexes at most before it answers (a search under a flood of sends answers
/// with what is indexed by then rather than wait for the flood).
pub(super) const SEARCH_CATCH_UP_BATCHES: usize = 8;
/// How often the indexer looks for work nobody woke it for (another node's, or left by a crash).
const INDEXER_TICK: std::time::Duration = std::time::Duration::from_secs(5);
/// How long the indexer lets commits gather once woken: under a flood of sends it then writes a few
/// large transactions instead of one after each of the writer's (on SQLite each would take the one
/// write lock and a sync from the writer). Searches do not wait for it: they catch up first.
const INDEXER_GATHER: std::time::Duration = std::time::Duration::from_millis(250);

/// Wakes this process's indexer after a commit that left messages pending (part of the chat runtime).
#[derive(Default)]
pub struct Indexing {
    pending: Arc<Notify>,
}

/// Records the messages among `rows` as waiting for the index, inside the transaction that stores
/// them: one small insert, where cutting words and writing the text index would hold the writer.
pub async fn mark_pending(app: &AppState, tx: &mut Tx, rows: &[EventRow]) -> AppResult<()> {
    let ids: Vec<(i64, i64)> = rows
        .iter()
        .filter(|r| r.is_message() && r.recalled_at.is_none())
        .map(|r| (r.id, r.corp_id))
        .collect();
    tx.insert_many(
        "INSERT INTO chat_search_pending (event_id, corp_id) VALUES",
        " ON CONFLICT (event_id) DO NOTHING",
        ids.iter()
            .map(|(id, corp)| vec![Arg::from(*id), Arg::from(*corp)])
            .collect(),
    )
    .await?;
    if !ids.is_empty() {
        let pending = app.chat().indexing.pending.clone();
        tx.after_commit(move || pending.notify_one());
    }
    Ok(())
}

/// Indexes up to `limit` pending messages: their words are cut before the write transaction, which
/// then skips any recalled in between (on PostgreSQL the rows are locked against a recall until it
/// commits) and clears them from the pending list. Returns how many were taken.
pub async fn index_pending(app: &AppState, limit: i64) -> AppResult<usize> {
    let taken: Vec<i64> = app
        .db
        .all::<(i64,)>(
            sql("SELECT event_id FROM chat_search_pending ORDER BY event_id LIMIT $1").bind(limit),
        )
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect();
    if taken.is_empty() {
        return Ok(0);
    }
    let rows: Vec<EventRow> = app
        .db
        .all(
            sql(format!(
                "SELECT {} FROM chat_events e WHERE e.id IN ",
                stream::event_cols("e")
            ))
            .push_in(taken.iter().copied()),
        )
        .await?;
    let entries = entries_of(&rows).await;
    let mut tx = app.db.begin().await?;
    // Whoever takes a message off the pending list indexes it: another indexer (a search's catch-up,
    // another node) that read the same list meanwhile finds it gone and writes nothing.
    let claimed: HashSet<i64> = tx
        .all::<(i64,)>(
            sql("DELETE FROM chat_search_pending WHERE event_id IN ")
                .push_in(taken.iter().copied())
                .push(" RETURNING event_id"),
        )
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect();
    let entries: Vec<Entry> = entries
        .into_iter()
        .filter(|e| claimed.contains(&e.event_id))
        .collect();
    let recalled: HashSet<i64> = if entries.is_empty() {
        HashSet::new()
    } else {
        let check = sql("SELECT id FROM chat_events WHERE recalled_at IS NOT NULL AND id IN ")
            .push_in(entries.iter().map(|e| e.event_id))
            .push(tx.dialect().lock_shared());
        tx.all::<(i64,)>(check)
            .await?
            .into_iter()
            .map(|(id,)| id)
            .collect()
    };
    let live: Vec<Entry> = entries
        .into_iter()
        .filter(|e| !recalled.contains(&e.event_id))
        .collect();
    write_entries(&mut tx, &live).await?;
    tx.commit().await?;
    Ok(taken.len())
}

/// Indexes what is pending, a bounded number of batches; a search calls it so that it finds every
/// message sent before it, on whichever node it was sent.
pub(super) async fn catch_up(app: &AppState, batches: usize) -> AppResult<()> {
    for _ in 0..batches {
        if index_pending(app, PENDING_BATCH).await? < PENDING_BATCH as usize {
            break;
        }
    }
    Ok(())
}

/// The indexer for the life of the process: woken after each commit that left messages pending,
/// and every few seconds for work another node or an earlier run left behind.
pub fn spawn_indexer(app: AppState) {
    let pending = app.chat().indexing.pending.clone();
    tokio::spawn(async move {
        loop {
            if let Err(e) = catch_up(&app, usize::MAX).await {
                tracing::warn!(error = %e, "indexing messages for search failed; retrying");
            }
            // `notify_one` keeps a wake-up that came while indexing, so none is lost.
            if tokio::time::timeout(INDEXER_TICK, pending.notified())
                .await
                .is_ok()
            {
                tokio::time::sleep(INDEXER_GATHER).await;
            }
        }
    });
}
