//! A member's own side of a conversation: mute, pin, draft, and how far they have read.
use serde::Deserialize;

use super::rows::membership_in;
use crate::ChatState;
use crate::fanout;
use crate::policy::{self, ReceiptMode};
use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, ActorKind};
use qixie_kernel::db::sql;
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::ids::ConvId;

#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MyPrefs {
    pub muted: Option<bool>,
    pub pinned: Option<bool>,
    pub marked_unread: Option<bool>,
    pub draft: Option<String>,
}

/// The caller's own settings for a conversation; their other devices hear of it.
pub async fn set_prefs(app: &AppState, actor: &Actor, conv: ConvId, p: MyPrefs) -> AppResult<()> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    if p.draft.as_ref().is_some_and(|d| d.chars().count() > 10_000) {
        return Err(AppError::field("draft", FieldReason::TooLong));
    }
    let mut tx = app.db.begin().await?;
    let m = membership_in(&mut tx, conv, me.0)
        .await?
        .filter(|_| true)
        .ok_or(ErrorKind::NotConversationMember)?;
    let (corp_ok,): (i64,) = tx
        .one(
            sql("SELECT COUNT(*) FROM chat_conversations WHERE id = $1 AND corp_id = $2")
                .bind(conv)
                .bind(actor.corp),
        )
        .await?;
    if corp_ok == 0 {
        return Err(ErrorKind::ConversationNotFound.into());
    }
    tx.exec(
        sql("UPDATE chat_members SET muted = $1, pinned = $2, marked_unread = $3, draft = $4 WHERE conversation_id = $5 AND member_id = $6")
            .bind(p.muted.unwrap_or(m.muted))
            .bind(p.pinned.unwrap_or(m.pinned))
            .bind(p.marked_unread.unwrap_or(m.marked_unread))
            .bind(p.draft.unwrap_or(m.draft))
            .bind(conv)
            .bind(me),
    )
    .await?;
    fanout::conversation_changed_after_commit(&mut tx, app, conv, vec![me.0], "updated");
    tx.commit().await?;
    Ok(())
}

/// Marks a conversation read up to `seq` for the caller; their devices and, where receipts are
/// shown, the other members hear of it.
pub async fn mark_read(
    app: &AppState,
    actor: &Actor,
    conv: ConvId,
    seq: i64,
    except_socket: Option<u64>,
) -> AppResult<()> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let r = app.chat().roster.get_in(&app.db, actor.corp, conv).await?;
    if !r.contains(me.0) {
        return Err(ErrorKind::NotConversationMember.into());
    }
    let now = app.now();
    let moved = app
        .db
        .exec(
            sql("UPDATE chat_members SET read_seq = $1, marked_unread = FALSE, last_active_at = $2 \
                 WHERE conversation_id = $3 AND member_id = $4 AND (read_seq < $1 OR marked_unread) \
                 AND $1 <= (SELECT last_seq FROM chat_conversations WHERE id = $3)")
            .bind(seq)
            .bind(now)
            .bind(conv)
            .bind(me),
        )
        .await?;
    if moved == 0 {
        return Ok(());
    }
    fanout::own_read(app, conv, me.0, seq, except_socket).await;
    if r.members.len() <= RECEIPT_LIST_LIMIT {
        let pol = policy::get(&app.db, actor.corp).await?;
        if pol.receipts_for(&r.kind) != ReceiptMode::Off
            && let ActorKind::Member { userid, .. } = &actor.kind
        {
            fanout::receipt(app, conv, userid, seq).await;
        }
    }
    Ok(())
}

/// Groups larger than this show no per-member receipts (WeCom's limit too).
pub const RECEIPT_LIST_LIMIT: usize = 500;
