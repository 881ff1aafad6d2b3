//! Group robots (群机器人): a group member adds one and gets a webhook URL whose key lets any system
//! post into the group, at most 20 messages a minute.
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use serde_json::json;

use super::conversation::{self, ConvRow};
use super::message;
use super::notice::{self, Notice};
use super::stream::{EventRow, Sender};
use crate::ChatState;
use qixie_kernel::AppState;
use qixie_kernel::authz::Actor;
use qixie_kernel::db::sql;
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::ids::{ConvId, CorpId, new_id, sha256_hex};

pub const PER_MINUTE: usize = 20;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RobotRow {
    pub id: i64,
    pub corp_id: i64,
    pub conversation_id: i64,
    pub name: String,
    pub created_at: i64,
}

/// The webhook URL of a key, under the server's public base URL.
pub fn webhook_url(app: &AppState, key: &str) -> String {
    format!(
        "{}/cgi-bin/webhook/send?key={key}",
        app.config.public_base().trim_end_matches('/')
    )
}

/// Adds a robot to a group the caller belongs to (any caller for the command line). The key is
/// shown once; only its hash is kept.
pub async fn create(
    app: &AppState,
    actor: &Actor,
    conv: &ConvRow,
    name: &str,
) -> AppResult<(RobotRow, String)> {
    if !conv.is_group() {
        return Err(ErrorKind::NotInGroupKind.into());
    }
    conv.check_active()?;
    if let Some(me) = actor.member_id() {
        let r = app
            .chat()
            .roster
            .get_in(&app.db, actor.corp, conv.id())
            .await?;
        if !r.contains(me.0) {
            return Err(ErrorKind::NotConversationMember.into());
        }
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 30 || name.chars().any(char::is_control) {
        return Err(AppError::field("name", FieldReason::Invalid));
    }
    let key = uuid::Uuid::new_v4().to_string();
    let now = app.now();
    let row = RobotRow {
        id: new_id(now),
        corp_id: conv.corp_id,
        conversation_id: conv.id,
        name: name.to_owned(),
        created_at: now,
    };
    let mut tx = app.db.begin().await?;
    tx.exec(
        sql("INSERT INTO chat_robots (id, corp_id, conversation_id, name, key_hash, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(row.id)
            .bind(row.corp_id)
            .bind(row.conversation_id)
            .bind(&row.name)
            .bind(sha256_hex(&key))
            .bind(actor.member_id())
            .bind(now),
    )
    .await?;
    let rows = super::stream::append(
        &mut tx,
        actor.corp,
        conv.id(),
        vec![super::stream::NewEvent::system(
            "robot_added",
            json!({ "by": { "name": actor.audit_identity().2 }, "robot": row.name }),
            conversation::sender_of(actor),
        )],
        now,
        false,
    )
    .await?;
    super::fanout::events_after_commit(&mut tx, app, rows, false);
    tx.commit().await?;
    Ok((row, key))
}

pub async fn list(app: &AppState, actor: &Actor, conv: ConvId) -> AppResult<Vec<RobotRow>> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let r = app.chat().roster.get_in(&app.db, actor.corp, conv).await?;
    if !r.contains(me.0) {
        return Err(ErrorKind::NotConversationMember.into());
    }
    Ok(app
        .db
        .all(
            sql("SELECT id, corp_id, conversation_id, name, created_at FROM chat_robots WHERE conversation_id = $1 ORDER BY created_at")
                .bind(conv),
        )
        .await?)
}

/// Removes a robot: its adder, or the group's owner and administrators.
pub async fn delete(app: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let row: Option<(i64, Option<i64>)> = app
        .db
        .opt(
            sql("SELECT conversation_id, created_by FROM chat_robots WHERE id = $1 AND corp_id = $2")
                .bind(id)
                .bind(actor.corp),
        )
        .await?;
    let (conv, by) = row.ok_or(ErrorKind::NotFound)?;
    let r = app
        .chat()
        .roster
        .get_in(&app.db, actor.corp, ConvId(conv))
        .await?;
    let role = r.role(me.0).ok_or(ErrorKind::NotConversationMember)?;
    if by != Some(me.0) && !role.is_admin() {
        return Err(ErrorKind::GroupAdminOnly.into());
    }
    app.db
        .exec(sql("DELETE FROM chat_robots WHERE id = $1").bind(id))
        .await?;
    Ok(())
}

/// The robot behind a webhook key; a bad key is WeCom's 93000.
pub async fn by_key(app: &AppState, key: &str) -> AppResult<RobotRow> {
    if key.is_empty() || key.len() > 100 {
        return Err(ErrorKind::RobotKeyInvalid.into());
    }
    app.db
        .opt(
            sql("SELECT id, corp_id, conversation_id, name, created_at FROM chat_robots WHERE key_hash = $1")
                .bind(sha256_hex(key)),
        )
        .await?
        .ok_or_else(|| ErrorKind::RobotKeyInvalid.into())
}

/// Sliding one-minute windows per robot, on this node.
#[derive(Default)]
pub struct RateLimits {
    sent: Mutex<HashMap<i64, VecDeque<i64>>>,
}

impl RateLimits {
    /// Counts a message, or refuses it when the robot already sent 20 in the last minute.
    pub fn take(&self, robot: i64, now: i64) -> AppResult<()> {
        let mut m = self
            .sent
            .lock()
            .map_err(|_| AppError::internal(anyhow::anyhow!("rate limit lock poisoned")))?;
        let q = m.entry(robot).or_default();
        while q.front().is_some_and(|t| now - t >= 60_000) {
            q.pop_front();
        }
        if q.len() >= PER_MINUTE {
            return Err(ErrorKind::RobotRateLimited.into());
        }
        q.push_back(now);
        Ok(())
    }
}

/// Posts a robot's message into its group.
pub async fn post(app: &AppState, robot: &RobotRow, notice: Notice) -> AppResult<EventRow> {
    let corp = CorpId(robot.corp_id);
    let conv = ConvId(robot.conversation_id);
    let roster = app.chat().roster.get_in(&app.db, corp, conv).await?;
    if roster.status != "active" {
        return Err(ErrorKind::ConversationClosed.into());
    }
    if let Notice::File { media_id } = &notice {
        // Only the robot's own uploads: another robot's or a member's file id must not reach this
        // conversation.
        let m = super::media::find(&app.db, corp, media_id).await?;
        if m.robot_id != Some(robot.id) {
            return Err(ErrorKind::MediaNotFound.into());
        }
    }
    app.chat().robot_limits.take(robot.id, app.now())?;
    let sender = Sender::Robot {
        id: robot.id,
        name: robot.name.clone(),
    };
    let ev = notice::event(app, corp, &roster, sender, notice).await?;
    message::post(app, corp, conv, ev).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn twenty_a_minute_then_refused_until_the_window_moves() {
        let l = super::RateLimits::default();
        for i in 0..20 {
            l.take(1, 1_000 + i).unwrap();
        }
        assert!(l.take(1, 2_000).is_err());
        assert!(l.take(2, 2_000).is_ok());
        assert!(l.take(1, 61_000).is_ok());
    }
}
