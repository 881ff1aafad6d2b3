//! The conversation and membership rows every action reads and writes.
use qixie_kernel::authz::{Actor, ActorKind};
use qixie_kernel::db::{Database, Sql, Tx, sql};
use qixie_kernel::error::{AppResult, ErrorKind};
use qixie_kernel::ids::{ConvId, CorpId, MemberId};

use crate::roster::Role;
use crate::stream::Sender;

pub const CONV_COLS: &str = "c.id, c.corp_id, c.kind, c.chatid, c.name, c.avatar, c.group_type, c.owner_id, c.department_id, c.app_id, c.announcement, c.announcement_at, c.announcement_by, c.only_admins_rename, c.at_all_admins_only, c.invite_needs_approval, c.mute_all, c.member_limit, c.no_forward_out, c.status, c.last_seq, c.last_activity_at, c.member_count, c.created_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConvRow {
    pub id: i64,
    pub corp_id: i64,
    pub kind: String,
    pub chatid: String,
    pub name: String,
    pub avatar: String,
    pub group_type: String,
    pub owner_id: Option<i64>,
    pub department_id: Option<i64>,
    pub app_id: Option<i64>,
    pub announcement: String,
    pub announcement_at: Option<i64>,
    pub announcement_by: Option<i64>,
    pub only_admins_rename: bool,
    pub at_all_admins_only: bool,
    pub invite_needs_approval: bool,
    pub mute_all: bool,
    pub member_limit: i64,
    pub no_forward_out: bool,
    pub status: String,
    pub last_seq: i64,
    pub last_activity_at: i64,
    pub member_count: i64,
    pub created_at: i64,
}

impl ConvRow {
    pub fn id(&self) -> ConvId {
        ConvId(self.id)
    }
    pub fn corp(&self) -> CorpId {
        CorpId(self.corp_id)
    }
    pub fn is_group(&self) -> bool {
        matches!(self.kind.as_str(), "group" | "department" | "company")
    }
    pub fn check_active(&self) -> AppResult<()> {
        if self.status == "active" {
            Ok(())
        } else {
            Err(ErrorKind::ConversationClosed.into())
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MembershipRow {
    pub member_id: i64,
    pub role: String,
    pub joined_seq: i64,
    pub read_seq: i64,
    pub muted: bool,
    pub pinned: bool,
    pub marked_unread: bool,
    pub draft: String,
    pub announcement_read: bool,
    pub last_active_at: i64,
}

pub(super) const MEMBERSHIP_COLS: &str = "member_id, role, joined_seq, read_seq, muted, pinned, marked_unread, draft, announcement_read, last_active_at";

/// The caller as a sender of events; members, apps and the system may manage conversations.
pub fn sender_of(actor: &Actor) -> Sender {
    match &actor.kind {
        ActorKind::Member { id, userid, name } => Sender::Member {
            id: id.0,
            userid: userid.clone(),
            name: name.clone(),
        },
        ActorKind::App { id, agentid, name } => Sender::App {
            id: id.0,
            agentid: *agentid,
            name: name.clone(),
        },
        ActorKind::System => Sender::System,
    }
}

/// Conversations of an enterprise (`$1`) that match `filter`.
pub(super) fn select(filter: &str) -> Sql {
    sql(format!(
        "SELECT {CONV_COLS} FROM chat_conversations c WHERE c.corp_id = $1 AND {filter}"
    ))
}

fn found(row: Option<ConvRow>) -> AppResult<ConvRow> {
    row.ok_or_else(|| ErrorKind::ConversationNotFound.into())
}

pub async fn find(db: &Database, corp: CorpId, conv: ConvId) -> AppResult<ConvRow> {
    found(db.opt(select("c.id = $2").bind(corp).bind(conv)).await?)
}

pub(super) async fn find_in(tx: &mut Tx, corp: CorpId, conv: ConvId) -> AppResult<ConvRow> {
    found(tx.opt(select("c.id = $2").bind(corp).bind(conv)).await?)
}

pub async fn find_by_chatid(db: &Database, corp: CorpId, chatid: &str) -> AppResult<ConvRow> {
    found(
        db.opt(select("c.chatid = $2").bind(corp).bind(chatid))
            .await?,
    )
}

/// The conversation that exists at most once per `key` (one-to-one chats, an app's chat with a
/// member, department groups).
pub(super) async fn by_pair(db: &Database, corp: CorpId, key: &str) -> AppResult<Option<ConvRow>> {
    Ok(db
        .opt(select("c.pair_key = $2").bind(corp).bind(key))
        .await?)
}

fn membership_of(conv: ConvId, member: i64) -> Sql {
    sql(format!(
        "SELECT {MEMBERSHIP_COLS} FROM chat_members WHERE conversation_id = $1 AND member_id = $2"
    ))
    .bind(conv)
    .bind(member)
}

pub async fn membership(
    db: &Database,
    conv: ConvId,
    member: MemberId,
) -> AppResult<Option<MembershipRow>> {
    Ok(db.opt(membership_of(conv, member.0)).await?)
}

pub(super) async fn membership_in(
    tx: &mut Tx,
    conv: ConvId,
    member: i64,
) -> AppResult<Option<MembershipRow>> {
    Ok(tx.opt(membership_of(conv, member)).await?)
}

/// Adds members (ignoring those already in) with `role`; returns those added.
pub(super) async fn insert_members(
    tx: &mut Tx,
    c: &ConvRow,
    new: &[(i64, String, String)],
    role: Role,
    now: i64,
) -> AppResult<Vec<(i64, String, String)>> {
    let (last_seq,): (i64,) = tx
        .one(sql("SELECT last_seq FROM chat_conversations WHERE id = $1").bind(c.id))
        .await?;
    let mut added = Vec::new();
    for (id, u, n) in new {
        let inserted = tx
            .exec(
                sql("INSERT INTO chat_members (conversation_id, member_id, corp_id, role, joined_seq, read_seq, last_active_at, joined_at) \
                     VALUES ($1, $2, $3, $4, $5, $5, $6, $6) ON CONFLICT (conversation_id, member_id) DO NOTHING")
                .bind(c.id)
                .bind(*id)
                .bind(c.corp_id)
                .bind(role.as_str())
                .bind(last_seq)
                .bind(now),
            )
            .await?;
        if inserted > 0 {
            added.push((*id, u.clone(), n.clone()));
        }
    }
    let (count,): (i64,) = tx
        .one(
            sql("UPDATE chat_conversations SET member_count = (SELECT COUNT(*) FROM chat_members WHERE conversation_id = $1) WHERE id = $1 RETURNING member_count")
                .bind(c.id),
        )
        .await?;
    if count > c.member_limit {
        return Err(ErrorKind::MemberLimit.into());
    }
    Ok(added)
}

pub(super) async fn delete_members(tx: &mut Tx, c: &ConvRow, ids: &[i64]) -> AppResult<()> {
    tx.exec(
        sql("DELETE FROM chat_members WHERE conversation_id = $1 AND member_id IN ")
            .bind(c.id)
            .push_in(ids.iter().copied()),
    )
    .await?;
    tx.exec(
        sql("UPDATE chat_conversations SET member_count = (SELECT COUNT(*) FROM chat_members WHERE conversation_id = $1) WHERE id = $1")
            .bind(c.id),
    )
    .await?;
    Ok(())
}

/// The members of a conversation, in the order they joined.
pub async fn member_ids(db: &Database, conv: ConvId) -> AppResult<Vec<i64>> {
    let rows: Vec<(i64,)> = db
        .all(
            sql("SELECT member_id FROM chat_members WHERE conversation_id = $1 ORDER BY joined_at, member_id")
                .bind(conv),
        )
        .await?;
    Ok(rows.into_iter().map(|(m,)| m).collect())
}
