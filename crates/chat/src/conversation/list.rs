//! Conversations as a member sees them: the list, one conversation, and the names they go by.
use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::rows::{CONV_COLS, ConvRow, find};
use crate::people::PersonCard;
use crate::policy::{self, ReceiptMode};
use crate::stream::{self, EventRow, EventView};
use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, ActorKind};
use qixie_kernel::db::sql;
use qixie_kernel::error::{AppResult, ErrorKind};
use qixie_kernel::ids::{ConvId, MemberId};
use qixie_org::member;

/// The app an app conversation belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppCard {
    pub agentid: i64,
    pub name: String,
}

/// A group's rules.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupSettings {
    pub only_admins_rename: bool,
    pub at_all_admins_only: bool,
    pub invite_needs_approval: bool,
    pub mute_all: bool,
    pub member_limit: i64,
    pub no_forward_out: bool,
}

/// A group's announcement, and whether the caller has read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncementView {
    pub text: String,
    pub at: Option<i64>,
    pub by: Option<PersonCard>,
    pub read: bool,
}

/// A conversation as one member sees it (docs/api/chat.md).
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationView {
    pub id: String,
    pub kind: String,
    pub chatid: String,
    pub name: String,
    pub avatar: String,
    pub status: String,
    pub member_count: i64,
    pub last_seq: i64,
    pub read_seq: i64,
    pub joined_seq: i64,
    pub unread: i64,
    pub muted: bool,
    pub pinned: bool,
    pub marked_unread: bool,
    pub draft: String,
    pub my_role: String,
    /// The other person of a one-to-one chat.
    pub peer: Option<PersonCard>,
    pub app: Option<AppCard>,
    pub department_id: Option<i64>,
    pub owner: Option<PersonCard>,
    pub group_type: String,
    pub settings: GroupSettings,
    pub announcement: Option<AnnouncementView>,
    pub receipts: ReceiptMode,
    pub last_event: Option<EventView>,
    pub last_activity_at: i64,
    /// An unread message after `read_seq` mentions the member or @all.
    pub mentioned: bool,
    /// … and only as @all.
    pub mentioned_all: bool,
}

/// Every conversation of the caller, pinned first, then by last activity.
pub async fn list_for(app: &AppState, actor: &Actor) -> AppResult<Vec<ConversationView>> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let rows: Vec<ConvRow> = app
        .db
        .all(
            sql(format!(
                "SELECT {CONV_COLS} FROM chat_conversations c JOIN chat_members cm ON cm.conversation_id = c.id \
                 WHERE cm.member_id = $1 AND c.corp_id = $2 AND (c.kind <> 'direct' OR c.last_seq > 0 OR c.created_by = $1) \
                 ORDER BY cm.pinned DESC, c.last_activity_at DESC LIMIT 1000"
            ))
            .bind(me)
            .bind(actor.corp),
        )
        .await?;
    views(app, actor, me, rows).await
}

pub async fn view_for(app: &AppState, actor: &Actor, conv: ConvId) -> AppResult<ConversationView> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let c = find(&app.db, actor.corp, conv).await?;
    let mut v = views(app, actor, me, vec![c]).await?;
    v.pop()
        .ok_or_else(|| ErrorKind::NotConversationMember.into())
}

async fn views(
    app: &AppState,
    actor: &Actor,
    me: MemberId,
    rows: Vec<ConvRow>,
) -> AppResult<Vec<ConversationView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let mine: Vec<MineRow> = app
        .db
        .all(
            sql("SELECT conversation_id, role, joined_seq, read_seq, muted, pinned, marked_unread, draft, announcement_read FROM chat_members WHERE member_id = $1 AND conversation_id IN ")
                .bind(me)
                .push_in(ids.iter().copied()),
        )
        .await?;
    let mine: HashMap<i64, _> = mine.into_iter().map(|m| (m.0, m)).collect();
    // Unread: messages from others after the read position.
    let unread: Vec<(i64, i64, i64, i64)> = app
        .db
        .all(
            sql("SELECT e.conversation_id, COUNT(*), SUM(CASE WHEN e.mention_all OR (',' || e.mentions || ',') LIKE $2 THEN 1 ELSE 0 END), SUM(CASE WHEN (',' || e.mentions || ',') LIKE $2 THEN 1 ELSE 0 END) FROM chat_members cm JOIN chat_events e ON e.conversation_id = cm.conversation_id AND e.seq > cm.read_seq \
                 WHERE cm.member_id = $1 AND e.kind = 'message' AND e.recalled_at IS NULL AND (e.sender_id IS NULL OR e.sender_id <> $1 OR e.sender_kind <> 'member') AND cm.conversation_id IN ")
                .bind(me)
                .bind(match &actor.kind {
                    ActorKind::Member { userid, .. } => format!("%,{userid},%"),
                    _ => String::new(),
                })
                .push_in(ids.iter().copied())
                .push(" GROUP BY e.conversation_id"),
        )
        .await?;
    let unread: HashMap<i64, (i64, i64, i64)> = unread
        .into_iter()
        .map(|(c, n, m, me)| (c, (n, m, me)))
        .collect();
    let last: Vec<EventRow> = app
        .db
        .all(
            sql(format!(
                "SELECT {} FROM chat_events e JOIN chat_conversations c ON c.id = e.conversation_id AND e.seq = c.last_seq WHERE c.id IN ",
                stream::event_cols("e")
            ))
            .push_in(ids.iter().copied()),
        )
        .await?;
    let last: HashMap<i64, EventRow> = last.into_iter().map(|e| (e.conversation_id, e)).collect();
    // Names: peers of direct chats, owners, announcement authors.
    let mut people: Vec<i64> = rows
        .iter()
        .flat_map(|c| [c.owner_id, c.announcement_by])
        .flatten()
        .collect();
    let direct: Vec<i64> = rows
        .iter()
        .filter(|c| c.kind == "direct")
        .map(|c| c.id)
        .collect();
    let peers = direct_peers(app, me.0, direct).await?;
    people.extend(peers.values().copied());
    let cards = member::cards(&app.db, actor.corp, &people).await?;
    let app_ids: Vec<i64> = rows.iter().filter_map(|c| c.app_id).collect();
    let apps: HashMap<i64, (i64, String)> = qixie_apps::labels(&app.db, app_ids).await?;
    let pol = policy::get(&app.db, actor.corp).await?;
    let card = |id: Option<i64>| id.and_then(|i| cards.get(&i)).map(PersonCard::from);
    let mut out = Vec::new();
    for c in rows {
        let Some(m) = mine.get(&c.id) else { continue };
        let (unread_n, mentioned, named) = unread.get(&c.id).copied().unwrap_or((0, 0, 0));
        let peer = if c.kind == "direct" {
            card(peers.get(&c.id).copied())
        } else {
            None
        };
        let name = match (&peer, c.kind.as_str()) {
            (Some(p), _) => p.name.clone(),
            _ => c.name.clone(),
        };
        out.push(ConversationView {
            id: c.id.to_string(),
            kind: c.kind.clone(),
            chatid: c.chatid.clone(),
            name,
            avatar: c.avatar.clone(),
            status: c.status.clone(),
            member_count: c.member_count,
            last_seq: c.last_seq,
            read_seq: m.3,
            joined_seq: m.2,
            unread: unread_n,
            muted: m.4,
            pinned: m.5,
            marked_unread: m.6,
            draft: m.7.clone(),
            my_role: m.1.clone(),
            peer,
            app: c
                .app_id
                .filter(|_| c.kind == "app")
                .and_then(|a| apps.get(&a))
                .map(|(agentid, name)| AppCard {
                    agentid: *agentid,
                    name: name.clone(),
                }),
            department_id: c.department_id,
            owner: card(c.owner_id),
            group_type: c.group_type.clone(),
            settings: GroupSettings {
                only_admins_rename: c.only_admins_rename,
                at_all_admins_only: c.at_all_admins_only,
                invite_needs_approval: c.invite_needs_approval,
                mute_all: c.mute_all,
                member_limit: c.member_limit,
                no_forward_out: c.no_forward_out,
            },
            announcement: (!c.announcement.is_empty()).then(|| AnnouncementView {
                text: c.announcement.clone(),
                at: c.announcement_at,
                by: card(c.announcement_by),
                read: m.8,
            }),
            receipts: pol.receipts_for(&c.kind),
            last_event: last.get(&c.id).filter(|e| e.seq > m.2).map(EventRow::view),
            last_activity_at: c.last_activity_at,
            mentioned: mentioned > 0,
            mentioned_all: mentioned > 0 && named == 0,
        });
    }
    Ok(out)
}

/// The caller's own row, with the conversation id, for the list.
type MineRow = (i64, String, i64, i64, bool, bool, bool, String, bool);

/// The other person of each one-to-one chat in `direct` (conversation id → member id), as `me` sees it.
pub(crate) async fn direct_peers(
    app: &AppState,
    me: i64,
    direct: Vec<i64>,
) -> AppResult<HashMap<i64, i64>> {
    if direct.is_empty() {
        return Ok(HashMap::new());
    }
    let pairs: Vec<(i64, i64)> = app
        .db
        .all(
            sql("SELECT conversation_id, member_id FROM chat_members WHERE member_id <> $1 AND conversation_id IN ")
                .bind(me)
                .push_in(direct),
        )
        .await?;
    Ok(pairs.into_iter().collect())
}
