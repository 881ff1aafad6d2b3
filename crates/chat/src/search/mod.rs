//! Message search (`GET /chat/search`): across every conversation the caller belongs to, Chinese and
//! other languages alike, filtered by conversation, sender, time and kind of content.
//!
//! Each message that is not recalled has a row in `chat_search`. The writer's transaction that
//! stores a message records it in `chat_search_pending`; the indexer writes the row in its own
//! transaction, off the writer's commit path, and a search first indexes what is still pending; a
//! recall removes the row. The row carries the filters and `tokens`: the message's searchable text
//! cut into words by [`words`] and joined by spaces. SQLite indexes those words with FTS5,
//! PostgreSQL with a GIN index over `to_tsvector('simple', tokens)`
//! (migrations/0004_chat_search.*.sql, docs/adr/0006-message-search.md). A query is cut by the same
//! function, so index and query always agree on what a word is.
mod backfill;
mod index;
mod indexer;
mod query;
mod searchable;
mod words;

pub use backfill::{BACKFILL_JOB, backfill_batch, register_jobs, schedule_backfill};
pub use index::{forget, index_rows};
pub use indexer::{Indexing, index_pending, mark_pending, spawn_indexer};
pub use query::{DEFAULT_LIMIT, MAX_LIMIT, MAX_QUERY_CHARS, SearchQuery, search, snippet};
pub use searchable::{Searchable, searchable};
pub use words::{Terms, words};
