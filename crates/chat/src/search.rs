//! Message search (`GET /chat/search`): across every conversation the caller belongs to, Chinese and
//! other languages alike, filtered by conversation, sender, time and kind of content.
//!
//! Each message that is not recalled has a row in `chat_search`. The transaction that stores a
//! message records it in `chat_search_pending` (`stream::insert_rows`); the indexer writes the row
//! in its own transaction, off the writer's commit path, and a search first indexes what is still
//! pending; a recall removes the row. The row carries
//! the filters and `tokens`: the message's searchable text cut into words by [`words`] and joined by
//! spaces. SQLite indexes those words with FTS5, PostgreSQL with a GIN index over
//! `to_tsvector('simple', tokens)` (migrations/0004_chat_search.*.sql, docs/adr/0006-message-search.md).
//! A query is cut by the same function, so index and query always agree on what a word is.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use jieba_rs::Jieba;
use serde::Deserialize;
use serde_json::{Value, json};

use super::markdown::{self, Flavour};
use super::stream::{self, EventRow};
use qixie_kernel::AppState;
use qixie_kernel::authz::Actor;
use qixie_kernel::db::{Dialect, Sql, Tx, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind};
use qixie_kernel::jobs::{self, JobRegistry};

/// Longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 100;
pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 50;
/// Longest word kept: longer runs (encoded data, hashes of hashes) are noise in an index.
const MAX_WORD_CHARS: usize = 64;
/// A snippet shows this many characters of the message at most, this many of them before the first hit.
const SNIPPET_CHARS: usize = 100;
const SNIPPET_LEAD: usize = 24;

// ---------------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------------

static JIEBA: OnceLock<Jieba> = OnceLock::new();

/// The segmenter with its default dictionary, built on first use (it takes a few hundred
/// milliseconds and tens of megabytes, so neither the command line nor a server that never sees
/// Chinese text pays for it).
fn jieba() -> &'static Jieba {
    JIEBA.get_or_init(Jieba::new)
}

/// Builds the segmenter off the async workers when `text` will need it.
async fn prepare(text_has_han: bool) {
    if text_has_han && JIEBA.get().is_none() {
        let _ = tokio::task::spawn_blocking(|| {
            jieba();
        })
        .await;
    }
}

/// Chinese characters: the unified ideographs with their extensions, and the compatibility block.
fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2EBEF}'
        | '\u{30000}'..='\u{323AF}')
}

/// Letters and digits of other scripts, which make words between spaces and punctuation.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_han(c)
}

/// Full-width ASCII as ASCII, then lower case; always one character for one, so a position in the
/// folded text is the same position in the original.
fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    };
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Han,
    Word,
    Other,
}

fn class(c: char) -> Class {
    if is_han(c) {
        Class::Han
    } else if is_word_char(c) {
        Class::Word
    } else {
        Class::Other
    }
}

/// The runs of `text`, folded: Chinese characters, letters and digits of other scripts, each run
/// with its class (what lies between runs separates words).
fn runs(text: &str) -> Vec<(Class, String)> {
    let folded: Vec<char> = text.chars().map(fold).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < folded.len() {
        let kind = class(folded[i]);
        let mut j = i + 1;
        while j < folded.len() && class(folded[j]) == kind {
            j += 1;
        }
        if kind != Class::Other {
            out.push((kind, folded[i..j].iter().collect()));
        }
        i = j;
    }
    out
}

/// Every pair of adjacent characters of a Chinese run (下周三 gives 下周, 周三).
fn bigrams(run: &str) -> impl Iterator<Item = String> + '_ {
    let chars: Vec<char> = run.chars().collect();
    (1..chars.len()).map(move |i| chars[i - 1..=i].iter().collect())
}

/// The words of `text` as the index stores them, in order of first appearance and without repeats.
/// A run of Chinese characters gives jieba's words in search mode (each word of the sentence and
/// the shorter dictionary words inside it: 项目评审会 gives 项目, 评审, 评审会) and every pair of
/// adjacent characters, so that a query finds any part of two characters or more even where jieba
/// cuts across it (下周三 is cut 下 | 周三, yet 下周 finds it; docs/adr/0006-message-search.md).
/// HMM guessing of unknown words is off: it depends on the neighbouring characters. A run of
/// letters and digits of any other script is one word, lower-cased (full-width letters count as
/// ASCII). Everything else separates words.
pub fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut keep = |w: &str| {
        if !w.is_empty() && w.chars().count() <= MAX_WORD_CHARS && seen.insert(w.to_owned()) {
            out.push(w.to_owned());
        }
    };
    for (kind, run) in runs(text) {
        match kind {
            Class::Han => {
                for t in jieba().cut_for_search(&run, false) {
                    keep(t.word);
                }
                for b in bigrams(&run) {
                    keep(&b);
                }
            }
            _ => keep(&run),
        }
    }
    out
}

/// A query's words, each of which must be among a message's words; prefix words also match longer
/// words. A Chinese run of the query becomes its pairs of adjacent characters (all of which the
/// index holds for any text containing the run), a single Chinese character a prefix (it matches
/// the pairs and words it starts); the last word of another script is a prefix (typing "rep" finds
/// "report").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub words: Vec<String>,
    prefix: Vec<bool>,
}

impl Terms {
    pub fn parse(q: &str) -> Terms {
        let mut words: Vec<String> = Vec::new();
        let mut prefix: Vec<bool> = Vec::new();
        let mut push = |w: String, p: bool| {
            if w.chars().count() <= MAX_WORD_CHARS && !words.contains(&w) {
                words.push(w);
                prefix.push(p);
            }
        };
        let runs = runs(q);
        let last = runs.len().saturating_sub(1);
        for (k, (kind, run)) in runs.into_iter().enumerate() {
            match kind {
                Class::Han if run.chars().count() == 1 => push(run, true),
                Class::Han => bigrams(&run).for_each(|b| push(b, false)),
                _ => push(run, k == last),
            }
        }
        Terms { words, prefix }
    }

    fn is_prefix(&self, k: usize) -> bool {
        self.prefix.get(k).copied().unwrap_or(false)
    }

    /// FTS5 query: every word (an implicit AND), each quoted.
    fn fts5(&self) -> String {
        self.words
            .iter()
            .enumerate()
            .map(|(k, w)| {
                if self.is_prefix(k) {
                    format!("\"{w}\"*")
                } else {
                    format!("\"{w}\"")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `to_tsquery` text: every word, each quoted.
    fn tsquery(&self) -> String {
        self.words
            .iter()
            .enumerate()
            .map(|(k, w)| {
                if self.is_prefix(k) {
                    format!("'{w}':*")
                } else {
                    format!("'{w}'")
                }
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

// ---------------------------------------------------------------------------------------------------
// What a message offers to search
// ---------------------------------------------------------------------------------------------------

/// A message's searchable text and the kinds of content it has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Searchable {
    pub text: String,
    pub has_file: bool,
    pub has_image: bool,
    pub has_link: bool,
}

/// What of a message can be searched for: the text of text and markdown messages without markup
/// (with the addresses of its links), a file's name, the titles, descriptions and addresses of
/// cards, the title of a merged chat record.
pub fn searchable(row: &EventRow) -> Searchable {
    let content: Value = serde_json::from_str(&row.content).unwrap_or(Value::Null);
    let s = |v: &Value| v.as_str().unwrap_or_default().trim().to_owned();
    let mut parts: Vec<String> = Vec::new();
    let mut links: Vec<String> = Vec::new();
    let mut out = Searchable::default();
    match row.msg_type.as_str() {
        "text" | "markdown" => {
            let source = s(&content["text"]);
            let flavour = match (row.msg_type.as_str(), row.sender_kind.as_str()) {
                ("text", _) => Flavour::Text,
                (_, "member") => Flavour::Markdown,
                _ => Flavour::RobotMarkdown,
            };
            // The stored preview stops at 2,000 characters; a longer message is read again in full
            // (its mentions then show as written, the names being in the preview part).
            let truncated = row.plain.ends_with('…') && row.plain.chars().count() >= 2000;
            parts.push(if truncated {
                markdown::plain_text(&source, flavour, &|_| None, usize::MAX)
            } else {
                row.plain.clone()
            });
            links = markdown::links(&source, flavour);
            out.has_link = row.has_link || !links.is_empty();
        }
        "image" => out.has_image = true,
        "file" => {
            out.has_file = true;
            parts.push(s(&content["name"]));
        }
        "news" => {
            for a in content["articles"].as_array().into_iter().flatten() {
                parts.push(s(&a["title"]));
                parts.push(s(&a["description"]));
                links.push(s(&a["url"]));
            }
        }
        "textcard" => {
            parts.push(s(&content["title"]));
            parts.push(s(&content["description"]));
            links.push(s(&content["url"]));
        }
        "template_card" => {
            parts.push(s(&content["main_title"]["title"]));
            parts.push(s(&content["main_title"]["desc"]));
            parts.push(s(&content["sub_title_text"]));
            links.push(s(&content["card_action"]["url"]));
            for j in content["jump_list"].as_array().into_iter().flatten() {
                parts.push(s(&j["title"]));
                links.push(s(&j["url"]));
            }
        }
        "chat_record" => parts.push(s(&content["title"])),
        _ => parts.push(row.plain.clone()),
    }
    links.retain(|l| !l.is_empty());
    if !links.is_empty() {
        out.has_link = true;
    }
    // Addresses written out in the text are there already.
    for l in links {
        if !parts.iter().any(|p| p.contains(&l)) {
            parts.push(l);
        }
    }
    parts.retain(|p| !p.is_empty());
    out.text = parts.join(" ");
    out
}

// ---------------------------------------------------------------------------------------------------
// The index
// ---------------------------------------------------------------------------------------------------

struct Entry {
    event_id: i64,
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
async fn entries_of(rows: &[EventRow]) -> Vec<Entry> {
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

async fn write_entries(tx: &mut Tx, entries: &[Entry]) -> AppResult<()> {
    let dialect = tx.dialect();
    // Ten bound columns a row; see stream::insert_rows on SQLite's cost of many parameters.
    let per_statement = match dialect {
        Dialect::Sqlite => 50,
        Dialect::Postgres => 400,
    };
    for chunk in entries.chunks(per_statement) {
        let mut q = sql(
            "INSERT INTO chat_search (event_id, corp_id, conversation_id, seq, sender_id, has_file, has_image, has_link, tokens, created_at) VALUES ",
        );
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                q = q.push(", ");
            }
            q = q
                .push_bind("({}", e.event_id)
                .push_bind(", {}", e.corp_id)
                .push_bind(", {}", e.conversation_id)
                .push_bind(", {}", e.seq)
                .push_bind(", {}", e.sender_id)
                .push_bind(", {}", e.found.has_file)
                .push_bind(", {}", e.found.has_image)
                .push_bind(", {}", e.found.has_link)
                .push_bind(", {}", e.tokens.clone())
                .push_bind(", {})", e.created_at);
        }
        let inserted: Vec<(i64,)> = tx
            .all(q.push(" ON CONFLICT (event_id) DO NOTHING RETURNING event_id"))
            .await?;
        if dialect == Dialect::Sqlite && !inserted.is_empty() {
            tx.exec(
                sql("INSERT INTO chat_search_fts (rowid, tokens) SELECT event_id, tokens FROM chat_search WHERE tokens <> '' AND event_id IN ")
                    .push_in(inserted.into_iter().map(|(id,)| id)),
            )
            .await?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// Indexing off the writer's commit path
// ---------------------------------------------------------------------------------------------------

/// Messages indexed in one indexer transaction at most.
const PENDING_BATCH: i64 = 500;
/// Batches a search indexes at most before it answers (a search under a flood of sends answers
/// with what is indexed by then rather than wait for the flood).
const SEARCH_CATCH_UP_BATCHES: usize = 8;
/// How often the indexer looks for work nobody woke it for (another node's, or left by a crash).
const INDEXER_TICK: std::time::Duration = std::time::Duration::from_secs(5);

/// Wakes this process's indexers after a commit that left messages pending.
static PENDING: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Records the messages among `rows` as waiting for the index, inside the transaction that stores
/// them: one small insert, where cutting words and writing the text index would hold the writer.
pub async fn mark_pending(tx: &mut Tx, rows: &[EventRow]) -> AppResult<()> {
    let ids: Vec<(i64, i64)> = rows
        .iter()
        .filter(|r| r.is_message() && r.recalled_at.is_none())
        .map(|r| (r.id, r.corp_id))
        .collect();
    // Two bound columns a row.
    for chunk in ids.chunks(400) {
        let mut q = sql("INSERT INTO chat_search_pending (event_id, corp_id) VALUES ");
        for (i, (id, corp)) in chunk.iter().enumerate() {
            if i > 0 {
                q = q.push(", ");
            }
            q = q.push_bind("({}", *id).push_bind(", {})", *corp);
        }
        tx.exec(q.push(" ON CONFLICT (event_id) DO NOTHING"))
            .await?;
    }
    if !ids.is_empty() {
        tx.after_commit(|| PENDING.notify_waiters());
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
                prefixed_event_cols()
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
        let mut check = sql("SELECT id FROM chat_events WHERE recalled_at IS NOT NULL AND id IN ")
            .push_in(entries.iter().map(|e| e.event_id));
        if tx.dialect() == Dialect::Postgres {
            check = check.push(" FOR SHARE");
        }
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

fn prefixed_event_cols() -> String {
    stream::EVENT_COLS
        .split(", ")
        .map(|c| format!("e.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Indexes what is pending, a bounded number of batches; a search calls it so that it finds every
/// message sent before it, on whichever node it was sent.
async fn catch_up(app: &AppState, batches: usize) -> AppResult<()> {
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
    tokio::spawn(async move {
        loop {
            let wake = PENDING.notified();
            if let Err(e) = catch_up(&app, usize::MAX).await {
                tracing::warn!(error = %e, "indexing messages for search failed; retrying");
            }
            let _ = tokio::time::timeout(INDEXER_TICK, wake).await;
        }
    });
}

/// Takes messages out of the index (a recall), inside the transaction that recalls them.
pub async fn forget(tx: &mut Tx, event_ids: &[i64]) -> AppResult<()> {
    if event_ids.is_empty() {
        return Ok(());
    }
    if tx.dialect() == Dialect::Sqlite {
        tx.exec(
            sql("DELETE FROM chat_search_fts WHERE rowid IN ").push_in(event_ids.iter().copied()),
        )
        .await?;
    }
    tx.exec(sql("DELETE FROM chat_search WHERE event_id IN ").push_in(event_ids.iter().copied()))
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// Indexing what was stored before the index existed
// ---------------------------------------------------------------------------------------------------

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
                prefixed_event_cols()
            ))
            .bind(after)
            .bind(limit),
        )
        .await?;
    index_rows(&mut tx, &rows).await?;
    tx.commit().await?;
    Ok((rows.len(), rows.last().map_or(after, |r| r.id)))
}

// ---------------------------------------------------------------------------------------------------
// Searching
// ---------------------------------------------------------------------------------------------------

/// `GET /chat/search` parameters (docs/api/chat.md).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: String,
    pub conv: Option<String>,
    /// A member's userid.
    pub sender: Option<String>,
    /// file | image | link
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Unix ms, inclusive.
    pub from: Option<i64>,
    /// Unix ms, inclusive.
    pub to: Option<i64>,
    pub limit: Option<i64>,
    /// The id of the last hit of the previous page.
    pub before: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Messages the caller may read that match, newest first: `{items: [{event, conversation, snippet}],
/// has_more}`. What the caller may read follows the conversation's event stream exactly: the
/// conversations they belong to now, the events after they joined.
pub async fn search(app: &AppState, actor: &Actor, input: SearchQuery) -> AppResult<Value> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let corp = actor.corp;
    let q = input.q.trim();
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::field("q", "too_long"));
    }
    let flag = match given(&input.kind) {
        None => None,
        Some("file") => Some("has_file"),
        Some("image") => Some("has_image"),
        Some("link") => Some("has_link"),
        Some(_) => return Err(AppError::field("type", "invalid")),
    };
    let conv: Option<i64> = given(&input.conv)
        .map(|c| c.parse().map_err(|_| AppError::field("conv", "format")))
        .transpose()?;
    let limit = input.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let nothing = || json!({ "items": [], "has_more": false });
    let sender: Option<i64> = match given(&input.sender) {
        None => None,
        Some(u) => {
            let found: Option<(i64,)> = app
                .db
                .opt(
                    sql("SELECT id FROM members WHERE corp_id = $1 AND userid = $2")
                        .bind(corp)
                        .bind(u),
                )
                .await?;
            match found {
                Some((id,)) => Some(id),
                None => return Ok(nothing()),
            }
        }
    };
    let before: Option<(i64, i64)> = match given(&input.before) {
        None => None,
        Some(b) => {
            let id: i64 = b.parse().map_err(|_| AppError::field("before", "format"))?;
            let row = stream::by_id(&app.db, corp, id)
                .await
                .map_err(|_| AppError::field("before", "not_found"))?;
            Some((row.created_at, row.id))
        }
    };
    catch_up(app, SEARCH_CATCH_UP_BATCHES).await?;
    let terms = Terms::parse(q);
    let filtered = flag.is_some()
        || conv.is_some()
        || sender.is_some()
        || input.from.is_some()
        || input.to.is_some();
    if terms.words.is_empty() && !filtered {
        return Ok(nothing());
    }
    let mut query: Sql = sql("SELECT s.event_id FROM chat_search s JOIN chat_members m ON m.conversation_id = s.conversation_id AND m.member_id = $1 \
         WHERE s.corp_id = $2 AND s.seq > m.joined_seq")
        .bind(me)
        .bind(corp);
    if let Some(c) = conv {
        query = query.push_bind(" AND s.conversation_id = {}", c);
    }
    if let Some(s) = sender {
        query = query.push_bind(" AND s.sender_id = {}", s);
    }
    if let Some(f) = input.from {
        query = query.push_bind(" AND s.created_at >= {}", f);
    }
    if let Some(t) = input.to {
        query = query.push_bind(" AND s.created_at <= {}", t);
    }
    if let Some(f) = flag {
        // A plain column test, so the partial index on that flag applies.
        query = query.push(&format!(" AND s.{f}"));
    }
    if let Some((at, id)) = before {
        let a = query.next_index();
        query = query.bind(at).bind(id).push(&format!(
            " AND (s.created_at < ${a} OR (s.created_at = ${a} AND s.event_id < ${}))",
            a + 1
        ));
    }
    if !terms.words.is_empty() {
        query = match app.db.dialect() {
            Dialect::Sqlite => query.push_bind(
                " AND s.event_id IN (SELECT rowid FROM chat_search_fts WHERE chat_search_fts MATCH {})",
                terms.fts5(),
            ),
            Dialect::Postgres => query.push_bind(
                " AND to_tsvector('simple', s.tokens) @@ to_tsquery('simple', {})",
                terms.tsquery(),
            ),
        };
    }
    query = query.push_bind(
        " ORDER BY s.created_at DESC, s.event_id DESC LIMIT {}",
        limit + 1,
    );
    let mut ids: Vec<(i64,)> = app.db.all(query).await?;
    let has_more = ids.len() as i64 > limit;
    ids.truncate(limit as usize);
    if ids.is_empty() {
        return Ok(nothing());
    }
    let rows: Vec<EventRow> = app
        .db
        .all(
            sql(format!(
                "SELECT {} FROM chat_events WHERE corp_id = $1 AND id IN ",
                stream::EVENT_COLS
            ))
            .bind(corp)
            .push_in(ids.iter().map(|(id,)| *id)),
        )
        .await?;
    let mut by_id: HashMap<i64, EventRow> = rows.into_iter().map(|r| (r.id, r)).collect();
    let convs = conversation_cards(app, actor, &by_id).await?;
    let mut items = Vec::new();
    for (id,) in ids {
        let Some(row) = by_id.remove(&id) else {
            continue;
        };
        if row.recalled_at.is_some() {
            continue;
        }
        let Some(c) = convs.get(&row.conversation_id) else {
            continue;
        };
        let found = searchable(&row);
        let source = if found.text.is_empty() {
            row.plain.clone()
        } else {
            found.text
        };
        items.push(json!({
            "event": row.view(),
            "conversation": c,
            "snippet": snippet(&source, &terms),
        }));
    }
    Ok(json!({ "items": items, "has_more": has_more }))
}

/// `{id, name, kind}` of the hits' conversations, named as the caller's list names them (the other
/// person of a one-to-one chat).
async fn conversation_cards(
    app: &AppState,
    actor: &Actor,
    rows: &HashMap<i64, EventRow>,
) -> AppResult<HashMap<i64, Value>> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let mut ids: Vec<i64> = rows.values().map(|r| r.conversation_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let convs: Vec<(i64, String, String)> = app
        .db
        .all(
            sql("SELECT id, kind, name FROM chat_conversations WHERE corp_id = $1 AND id IN ")
                .bind(actor.corp)
                .push_in(ids),
        )
        .await?;
    let direct: Vec<i64> = convs
        .iter()
        .filter(|(_, k, _)| k == "direct")
        .map(|(id, _, _)| *id)
        .collect();
    let peers = super::conversation::direct_peers(app, me.0, direct).await?;
    let people: Vec<i64> = peers.values().copied().collect();
    let cards = qixie_org::member::cards(&app.db, actor.corp, &people).await?;
    Ok(convs
        .into_iter()
        .map(|(id, kind, name)| {
            let name = peers
                .get(&id)
                .and_then(|m| cards.get(m))
                .map_or(name, |c| c.name.clone());
            (
                id,
                json!({ "id": id.to_string(), "name": name, "kind": kind }),
            )
        })
        .collect())
}

/// A window of `text` around the first hit, the query's words marked with `<mark>…</mark>`; the rest
/// is plain text for the client to escape (it keeps only the mark tags). Without words, the start
/// of the text.
pub fn snippet(text: &str, terms: &Terms) -> String {
    let chars: Vec<char> = text.chars().collect();
    let folded: Vec<char> = chars.iter().map(|c| fold(*c)).collect();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for (k, w) in terms.words.iter().enumerate() {
        let w: Vec<char> = w.chars().collect();
        let han = w.iter().any(|c| is_han(*c));
        let prefix = terms.is_prefix(k);
        let mut i = 0;
        while i + w.len() <= folded.len() && !w.is_empty() {
            let mut end = i + w.len();
            // Chinese words match anywhere; other words only as whole words (or their start).
            let fits = folded[i..end] == w[..]
                && (han
                    || ((i == 0 || !is_word_char(folded[i - 1]))
                        && (prefix || end == folded.len() || !is_word_char(folded[end]))));
            if fits {
                if prefix {
                    while end < folded.len() && is_word_char(folded[end]) {
                        end += 1;
                    }
                }
                spans.push((i, end));
                i = end;
            } else {
                i += 1;
            }
        }
    }
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in spans {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let first = merged.first().map_or(0, |s| s.0);
    let mut start = first.saturating_sub(SNIPPET_LEAD);
    let end = (start + SNIPPET_CHARS).min(chars.len());
    // Near the end of the text, show more of what comes before.
    start = start.min(end.saturating_sub(SNIPPET_CHARS));
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut open = false;
    for i in start..end {
        if !open && merged.iter().any(|&(s, e)| s <= i && i < e) {
            out.push_str("<mark>");
            open = true;
        }
        // Text that reads like the mark tags must not turn into them.
        let c = chars[i];
        let tag_like = c == '<' && {
            let rest: String = folded[i + 1..(i + 7).min(folded.len())].iter().collect();
            rest.starts_with("mark>") || rest.starts_with("/mark>")
        };
        out.push(if tag_like { '‹' } else { c });
        if open && !merged.iter().any(|&(s, e)| s <= i + 1 && i + 1 < e) {
            out.push_str("</mark>");
            open = false;
        }
    }
    if open {
        out.push_str("</mark>");
    }
    if end < chars.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(words: &[String], w: &str) -> bool {
        words.iter().any(|x| x == w)
    }

    #[test]
    fn chinese_is_cut_into_words_and_their_parts() {
        let w = words("明天下午开项目评审会");
        for expected in ["明天", "下午", "项目", "评审"] {
            assert!(has(&w, expected), "{expected} in {w:?}");
        }
        // Every word of a query for a part, or for the whole, is among the message's words.
        for q in [
            "评审",
            "项目",
            "项目评审",
            "评审会",
            "项目评审会",
            "明天下午",
        ] {
            let qw = words(q);
            assert!(!qw.is_empty());
            for x in &qw {
                assert!(has(&w, x), "query {q}: {x} not in {w:?}");
            }
        }
    }

    #[test]
    fn other_scripts_are_lower_cased_words() {
        assert_eq!(
            words("Quarterly REPORT, report_v2.PDF"),
            vec!["quarterly", "report", "v2", "pdf"]
        );
        // Full-width letters and digits are the ASCII ones.
        assert_eq!(words("ＡＢＣ１２３"), vec!["abc123"]);
        assert_eq!(words("Café Ünïcode"), vec!["café", "ünïcode"]);
        assert!(words("  ,.!?@#  ").is_empty());
        // Too long to be a word anyone types.
        assert!(words(&"x".repeat(65)).is_empty());
    }

    #[test]
    fn mixed_text_keeps_both() {
        let w = words("下周三发布v2.1版本，见https://example.com/Release");
        for expected in [
            "周三", "发布", "v2", "1", "版本", "见", "https", "example", "com", "release",
        ] {
            assert!(has(&w, expected), "{expected} in {w:?}");
        }
        assert_eq!(
            words("评审 评审 review Review"),
            vec!["评审", "review"],
            "no repeats"
        );
    }

    #[test]
    fn queries_mark_the_last_latin_word_as_a_prefix() {
        let t = Terms::parse("项目 Rep");
        assert_eq!(t.words, vec!["项目", "rep"]);
        assert!(t.is_prefix(1));
        assert_eq!(t.fts5(), "\"项目\" \"rep\"*");
        assert_eq!(t.tsquery(), "'项目' & 'rep':*");
        let t = Terms::parse("report 评审");
        assert!(!t.is_prefix(0) && !t.is_prefix(1));
        assert_eq!(t.tsquery(), "'report' & '评审'");
        assert!(Terms::parse("…").words.is_empty());
    }

    #[test]
    fn any_part_of_two_chinese_characters_is_found() {
        for (message, query) in [
            ("下周三开会", "下周"),
            ("下午开会吧", "开会"),
            ("王小明请假", "小明"),
            ("明天下午开项目评审会", "下午开项目"),
        ] {
            let w = words(message);
            let t = Terms::parse(query);
            assert!(!t.words.is_empty());
            for x in &t.words {
                assert!(has(&w, x), "query {query}: {x} not in {w:?}");
            }
        }
        let t = Terms::parse("会");
        assert_eq!(t.fts5(), "\"会\"*");
        assert_eq!(Terms::parse("下周三").words, vec!["下周", "周三"]);
    }

    #[test]
    fn snippets_mark_hits_in_a_window() {
        let t = Terms::parse("评审");
        assert_eq!(
            snippet("明天下午开项目评审会", &t),
            "明天下午开项目<mark>评审</mark>会"
        );
        // Adjacent hits become one mark; case and prefixes follow the query rules.
        let t = Terms::parse("项目评审");
        assert_eq!(snippet("开项目评审会", &t), "开<mark>项目评审</mark>会");
        let t = Terms::parse("rep");
        assert_eq!(
            snippet("The Report and a preport", &t),
            "The <mark>Report</mark> and a preport"
        );
        let t = Terms {
            words: vec!["report".into()],
            prefix: vec![false],
        };
        assert_eq!(
            snippet("Reports <b> report", &t),
            "Reports <b> <mark>report</mark>"
        );
        // A long text is cut around the first hit.
        let long = format!("{}关键{}", "前".repeat(200), "后".repeat(200));
        let s = snippet(&long, &Terms::parse("关键"));
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert_eq!(s.chars().filter(|c| *c == '前').count(), SNIPPET_LEAD);
        assert!(s.contains("<mark>关键</mark>"));
        // No words: the start of the text.
        let s = snippet(&long, &Terms::parse(""));
        assert!(s.starts_with("前前") && s.ends_with('…') && !s.contains("<mark>"));
        // Typed tags stay text.
        assert_eq!(
            snippet("a <mark>b</MARK> c", &Terms::parse("c")),
            "a ‹mark>b‹/MARK> <mark>c</mark>"
        );
    }

    fn row(msg_type: &str, sender_kind: &str, content: Value, plain: &str) -> EventRow {
        EventRow {
            conversation_id: 1,
            seq: 1,
            id: 1,
            corp_id: 1,
            kind: "message".into(),
            sender_kind: sender_kind.into(),
            sender_id: Some(1),
            sender_ref: String::new(),
            sender_name: String::new(),
            msg_type: msg_type.into(),
            content: content.to_string(),
            html: String::new(),
            plain: plain.into(),
            mentions: String::new(),
            mention_all: false,
            quote: None,
            has_link: false,
            urgent: false,
            not_urgent: false,
            client_id: None,
            recalled_at: None,
            recalled_by: None,
            pinned_at: None,
            created_at: 0,
        }
    }

    #[test]
    fn what_each_kind_of_message_offers() {
        let md = row(
            "markdown",
            "member",
            json!({"text": "看 **[发布说明](https://example.com/notes)**"}),
            "看 发布说明",
        );
        let s = searchable(&md);
        assert_eq!(s.text, "看 发布说明 https://example.com/notes");
        assert!(s.has_link && !s.has_file && !s.has_image);
        // A bare address in plain text is a link, and not repeated.
        let t = searchable(&row(
            "text",
            "member",
            json!({"text": "见 https://x.test/a"}),
            "见 https://x.test/a",
        ));
        assert_eq!(t.text, "见 https://x.test/a");
        assert!(t.has_link);
        let f = searchable(&row(
            "file",
            "member",
            json!({"name": "季度报告.pdf", "media_id": "m"}),
            "[文件] 季度报告.pdf",
        ));
        assert_eq!(f.text, "季度报告.pdf");
        assert!(f.has_file);
        let i = searchable(&row("image", "member", json!({"media_id": "m"}), "[图片]"));
        assert!(i.has_image && i.text.is_empty());
        let news = searchable(&row(
            "news",
            "app",
            json!({"articles": [{"title": "上线通知", "description": "今晚", "url": "https://x.test/a"}]}),
            "[图文] 上线通知",
        ));
        assert_eq!(news.text, "上线通知 今晚 https://x.test/a");
        assert!(news.has_link);
        let rec = searchable(&row(
            "chat_record",
            "member",
            json!({"title": "张三和李四的聊天记录", "items": []}),
            "[聊天记录] 张三和李四的聊天记录",
        ));
        assert_eq!(rec.text, "张三和李四的聊天记录");
        // Long texts are indexed in full, not only their preview.
        let long = format!("{} 结尾词", "字".repeat(2100));
        let preview: String = long.chars().take(1999).collect::<String>() + "…";
        let t = searchable(&row("text", "member", json!({ "text": long }), &preview));
        assert!(t.text.ends_with("结尾词"));
    }
}
