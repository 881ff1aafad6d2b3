//! The index rows: what one message contributes, written in the caller's transaction, and removed
//! on a recall.
use qixie_kernel::db::{FullText, Tx, sql};
use qixie_kernel::error::AppResult;

use super::searchable::{Searchable, searchable};
use super::words::{is_han, prepare, words};
use crate::stream::EventRow;

/// One message's row of the index.
pub(super) struct Entry {
    pub(super) event_id: i64,
    corp_id: i64,
    conversation_id: i64,
    seq: i64,
    sender_id: Option<i64>,
    found: Searchable,
    tokens: String,
    created_at: i64,
}

fn entry(row: &EventRow) -> Option<Entry> {
    if !row.is_message() || row.recalled_at.is_some() {
        return None;
    }
    let found = searchable(row);
    let tokens = words(&found.text).join(" ");
    Some(Entry {
        event_id: row.id,
        corp_id: row.corp_id,
        conversation_id: row.conversation_id,
        seq: row.seq,
        sender_id: if row.sender_kind == "member" {
            row.sender_id
        } else {
            None
        },
        found,
        tokens,
        created_at: row.created_at,
    })
}

/// Indexes the messages among `rows` inside `tx`. Rows already indexed are left as they are.
pub async fn index_rows(tx: &mut Tx, rows: &[EventRow]) -> AppResult<()> {
    let entries = entries_of(rows).await;
    write_entries(tx, &entries).await
}

/// The index entries of the messages among `rows` (cutting words is the costly part: callers do it
/// before they take the write lock where they can).
pub(super) async fn entries_of(rows: &[EventRow]) -> Vec<Entry> {
    let indexed = |r: &EventRow| r.is_message() && r.recalled_at.is_none();
    if !rows.iter().any(indexed) {
        return Vec::new();
    }
    prepare(
        rows.iter()
            .any(|r| indexed(r) && r.content.chars().any(is_han)),
    )
    .await;
    rows.iter().filter_map(entry).collect()
}

/// The text index over the messages' words.
pub(super) const TEXT: FullText = FullText {
    table: "chat_search",
    id: "event_id",
    column: "tokens",
    fts_table: "chat_search_fts",
};

pub(super) async fn write_entries(tx: &mut Tx, entries: &[Entry]) -> AppResult<()> {
    let dialect = tx.dialect();
    // Ten bound columns a row.
    for chunk in entries.chunks(dialect.rows_per_statement(10)) {
        let q = sql(
            "INSERT INTO chat_search (event_id, corp_id, conversation_id, seq, sender_id, has_file, has_image, has_link, tokens, created_at) VALUES ",
        )
        .push_rows(chunk.iter().map(|e| {
            vec![
                e.event_id.into(),
                e.corp_id.into(),
                e.conversation_id.into(),
                e.seq.into(),
                e.sender_id.into(),
                e.found.has_file.into(),
                e.found.has_image.into(),
                e.found.has_link.into(),
                e.tokens.clone().into(),
                e.created_at.into(),
            ]
        }));
        let inserted: Vec<(i64,)> = tx
            .all(q.push(" ON CONFLICT (event_id) DO NOTHING RETURNING event_id"))
            .await?;
        if !inserted.is_empty()
            && let Some(q) = TEXT.indexed(dialect, inserted.into_iter().map(|(id,)| id))
        {
            tx.exec(q).await?;
        }
    }
    Ok(())
}

/// Takes messages out of the index (a recall), inside the transaction that recalls them.
pub async fn forget(tx: &mut Tx, event_ids: &[i64]) -> AppResult<()> {
    if event_ids.is_empty() {
        return Ok(());
    }
    if let Some(q) = TEXT.forget(tx.dialect(), event_ids.iter().copied()) {
        tx.exec(q).await?;
    }
    tx.exec(sql("DELETE FROM chat_search WHERE event_id IN ").push_in(event_ids.iter().copied()))
        .await?;
    Ok(())
}
