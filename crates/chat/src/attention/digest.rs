//! The summary of what was held: a durable job per member at the start of their next working
//! period, and the digest waiting for them until they dismiss it.
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::runtime::lock;
use super::settings::load_one;
use crate::ChatState;
use crate::fanout;
use qixie_kernel::AppState;
use qixie_kernel::db::{Database, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind};
use qixie_kernel::ids::{CorpId, MemberId};
use qixie_kernel::jobs::{self, JobRegistry};

pub const DIGEST_JOB: &str = "chat.attention.digest";

/// What arrived while a member rested. Kept as JSON until dismissed, so it is read back too.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Digest {
    /// When it was made.
    pub at: i64,
    /// The first message held.
    pub since: Option<i64>,
    /// Messages in all.
    pub total: i64,
    /// Conversations with messages.
    pub conversations: i64,
    /// Messages that mention the member or @all.
    pub mentions: i64,
    /// Per conversation, the most messages first.
    pub items: Vec<DigestItem>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DigestItem {
    pub conv: String,
    pub count: i64,
    pub mentions: i64,
}

pub fn register_jobs(r: &mut JobRegistry) {
    r.register(
        DIGEST_JOB,
        Arc::new(|app: AppState, job| {
            Box::pin(async move {
                let member = job
                    .payload_i64("member")
                    .ok_or_else(|| anyhow::anyhow!("summary job without a member"))?;
                summarise(&app, CorpId(job.corp_id.unwrap_or_default()), member)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))
            })
        }),
    );
}

/// Queues a member's summary for `at` (now or later).
pub(super) async fn schedule(app: &AppState, corp: CorpId, member: i64, at: i64) -> AppResult<()> {
    let now = app.now();
    let mut tx = app.db.begin().await?;
    jobs::enqueue(
        &mut tx,
        now,
        Some(corp),
        DIGEST_JOB,
        &json!({ "member": member }),
        at,
        Some(&format!("{DIGEST_JOB}:{member}:{at}")),
    )
    .await?;
    tx.commit().await?;
    if at <= now {
        app.jobs.wake();
    }
    Ok(())
}

/// The summary job: if the member works now, summarises what was held and sends it; if they rest
/// again (their settings changed), waits for the next working period.
async fn summarise(app: &AppState, corp: CorpId, member: i64) -> AppResult<()> {
    let now = app.now();
    let s = load_one(&app.db, member).await?;
    if s.quiet(now) {
        if let Some(at) = s.next_start(now) {
            schedule(app, corp, member, at).await?;
        }
        return Ok(());
    }
    let held: Vec<(i64, i64)> = app
        .db
        .all(
            sql("SELECT conversation_id, first_at FROM chat_attention_held WHERE member_id = $1")
                .bind(member),
        )
        .await?;
    if held.is_empty() {
        return Ok(());
    }
    let userid = match qixie_org::member::find_row_by_id(&app.db, corp, MemberId(member)).await {
        Ok(m) => m.userid,
        Err(e) if e.kind == ErrorKind::MemberNotFound => String::new(),
        Err(e) => return Err(e),
    };
    let counts: Vec<(i64, i64, i64)> = app
        .db
        .all(
            sql("SELECT h.conversation_id, COUNT(*), SUM(CASE WHEN e.mention_all OR (',' || e.mentions || ',') LIKE $2 THEN 1 ELSE 0 END) \
                 FROM chat_attention_held h \
                 JOIN chat_members cm ON cm.conversation_id = h.conversation_id AND cm.member_id = h.member_id \
                 JOIN chat_events e ON e.conversation_id = h.conversation_id AND e.seq >= h.first_seq AND e.seq > cm.read_seq \
                 WHERE h.member_id = $1 AND e.kind = 'message' AND e.recalled_at IS NULL AND NOT e.not_urgent AND NOT e.urgent \
                 AND (e.sender_kind <> 'member' OR e.sender_id IS NULL OR e.sender_id <> $1) \
                 AND (NOT cm.muted OR e.mention_all OR (',' || e.mentions || ',') LIKE $2) \
                 GROUP BY h.conversation_id")
                .bind(member)
                .bind(format!("%,{userid},%")),
        )
        .await?;
    let mut items: Vec<(i64, i64, i64)> = counts.into_iter().filter(|c| c.1 > 0).collect();
    items.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let total: i64 = items.iter().map(|c| c.1).sum();
    let digest = Digest {
        at: now,
        since: held.iter().map(|h| h.1).min(),
        total,
        conversations: items.len() as i64,
        mentions: items.iter().map(|c| c.2).sum(),
        items: items
            .iter()
            .map(|(c, n, m)| DigestItem {
                conv: c.to_string(),
                count: *n,
                mentions: *m,
            })
            .collect(),
    };
    let stored = serde_json::to_string(&digest).map_err(AppError::internal)?;
    let mut tx = app.db.begin().await?;
    tx.exec(sql("DELETE FROM chat_attention_held WHERE member_id = $1").bind(member))
        .await?;
    if total > 0 {
        tx.exec(
            sql("INSERT INTO chat_attention_digests (member_id, corp_id, digest, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (member_id) DO UPDATE SET corp_id = excluded.corp_id, digest = excluded.digest, created_at = excluded.created_at")
                .bind(member)
                .bind(corp)
                .bind(stored)
                .bind(now),
        )
        .await?;
    }
    tx.commit().await?;
    lock(&app.chat().attention.held).retain(|(m, _), _| *m != member);
    lock(&app.chat().attention.scheduled).remove(&member);
    if total > 0 {
        fanout::to_members(app, 0, vec![member], digest_frame(&digest)).await;
    }
    Ok(())
}

/// The summary waiting for a member, if any.
pub async fn pending_digest(db: &Database, member: i64) -> AppResult<Option<Digest>> {
    let row: Option<(String,)> = db
        .opt(sql("SELECT digest FROM chat_attention_digests WHERE member_id = $1").bind(member))
        .await?;
    Ok(row.and_then(|(d,)| serde_json::from_str(&d).ok()))
}

pub async fn dismiss_digest(db: &Database, member: i64) -> AppResult<()> {
    db.exec(sql("DELETE FROM chat_attention_digests WHERE member_id = $1").bind(member))
        .await?;
    Ok(())
}

/// The `digest` frame: what was held while the member rested.
pub fn digest_frame(digest: &Digest) -> String {
    let mut f = json!(digest);
    f["t"] = json!("digest");
    f.to_string()
}
