//! Conversations and who is in them: one-to-one chats, groups with their owner, administrators,
//! settings and announcement, department and all-company groups, and each member's own view (unread,
//! mute, pin, draft).
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::fanout;
use super::policy::{self, ReceiptMode};
use super::roster::Role;
use super::stream::{self, EventRow, EventView, NewEvent, Sender};
use crate::ChatState;
use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, ActorKind, Scope};
use qixie_kernel::db::{Database, Tx, is_unique_violation, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, Validator};
use qixie_kernel::ids::{ConvId, CorpId, MemberId, new_id, random_token};
use qixie_org::audience::{self, Selection};
use qixie_org::member;

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

const MEMBERSHIP_COLS: &str = "member_id, role, joined_seq, read_seq, muted, pinned, marked_unread, draft, announcement_read, last_active_at";

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

pub async fn find(db: &Database, corp: CorpId, conv: ConvId) -> AppResult<ConvRow> {
    db.opt(
        sql(format!(
            "SELECT {CONV_COLS} FROM chat_conversations c WHERE c.id = $1 AND c.corp_id = $2"
        ))
        .bind(conv)
        .bind(corp),
    )
    .await?
    .ok_or_else(|| ErrorKind::ConversationNotFound.into())
}

async fn find_in(tx: &mut Tx, corp: CorpId, conv: ConvId) -> AppResult<ConvRow> {
    tx.opt(
        sql(format!(
            "SELECT {CONV_COLS} FROM chat_conversations c WHERE c.id = $1 AND c.corp_id = $2"
        ))
        .bind(conv)
        .bind(corp),
    )
    .await?
    .ok_or_else(|| ErrorKind::ConversationNotFound.into())
}

pub async fn find_by_chatid(db: &Database, corp: CorpId, chatid: &str) -> AppResult<ConvRow> {
    db.opt(
        sql(format!(
            "SELECT {CONV_COLS} FROM chat_conversations c WHERE c.corp_id = $1 AND c.chatid = $2"
        ))
        .bind(corp)
        .bind(chatid),
    )
    .await?
    .ok_or_else(|| ErrorKind::ConversationNotFound.into())
}

pub async fn membership(
    db: &Database,
    conv: ConvId,
    member: MemberId,
) -> AppResult<Option<MembershipRow>> {
    Ok(db
        .opt(
            sql(format!(
                "SELECT {MEMBERSHIP_COLS} FROM chat_members WHERE conversation_id = $1 AND member_id = $2"
            ))
            .bind(conv)
            .bind(member),
        )
        .await?)
}

async fn membership_in(tx: &mut Tx, conv: ConvId, member: i64) -> AppResult<Option<MembershipRow>> {
    Ok(tx
        .opt(
            sql(format!(
                "SELECT {MEMBERSHIP_COLS} FROM chat_members WHERE conversation_id = $1 AND member_id = $2"
            ))
            .bind(conv)
            .bind(member),
        )
        .await?)
}

/// The caller's standing in a conversation, checked inside the transaction that acts on it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Standing {
    Owner,
    Admin,
    Member,
    /// The app that created the group through `appchat/create` manages it.
    ManagingApp,
    System,
}

impl Standing {
    fn is_admin(&self) -> bool {
        !matches!(self, Standing::Member)
    }
}

async fn standing(tx: &mut Tx, c: &ConvRow, by: &Sender) -> AppResult<Standing> {
    match by {
        Sender::Member { id, .. } => {
            let m = membership_in(tx, c.id(), *id)
                .await?
                .ok_or(ErrorKind::NotConversationMember)?;
            Ok(match Role::parse(&m.role) {
                Role::Owner => Standing::Owner,
                Role::Admin => Standing::Admin,
                Role::Member => Standing::Member,
            })
        }
        Sender::App { id, .. } if c.app_id == Some(*id) && c.kind == "group" => {
            Ok(Standing::ManagingApp)
        }
        Sender::System => Ok(Standing::System),
        _ => Err(ErrorKind::ConversationNotFound.into()),
    }
}

fn require_admin(s: &Standing) -> AppResult<()> {
    if s.is_admin() {
        Ok(())
    } else {
        Err(ErrorKind::GroupAdminOnly.into())
    }
}

fn require_owner(s: &Standing) -> AppResult<()> {
    if matches!(
        s,
        Standing::Owner | Standing::ManagingApp | Standing::System
    ) {
        Ok(())
    } else {
        Err(ErrorKind::GroupOwnerOnly.into())
    }
}

fn who(s: &Sender) -> Value {
    match s {
        Sender::Member { userid, name, .. } => json!({ "userid": userid, "name": name }),
        Sender::App { agentid, name, .. } => json!({ "agentid": agentid, "name": name }),
        Sender::Robot { name, .. } => json!({ "name": name }),
        Sender::System => json!({ "name": "" }),
    }
}

fn people(rows: &[(i64, String, String)]) -> Value {
    Value::Array(
        rows.iter()
            .map(|(_, u, n)| json!({ "userid": u, "name": n }))
            .collect(),
    )
}

/// Adds members (ignoring those already in) with `role`; returns those added.
async fn insert_members(
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

async fn delete_members(tx: &mut Tx, c: &ConvRow, ids: &[i64]) -> AppResult<()> {
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

/// A chatid: given by an appchat caller (checked), or made up.
fn check_chatid(chatid: Option<String>) -> AppResult<String> {
    match chatid
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
    {
        Some(c) => {
            if c.len() > 32 || !c.chars().all(|ch| ch.is_ascii_alphanumeric()) {
                return Err(AppError::field("chatid", "format"));
            }
            Ok(c)
        }
        None => Ok(format!("wr{}", random_token(12).replace(['-', '_'], "x"))),
    }
}

fn check_group_name(name: &str) -> AppResult<String> {
    let n = name.trim();
    let mut v = Validator::default();
    v.check(!n.is_empty(), "name", "required");
    v.check(n.chars().count() <= 50, "name", "too_long");
    v.check(!n.chars().any(char::is_control), "name", "format");
    v.finish()?;
    Ok(n.to_owned())
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct NewGroup {
    pub name: String,
    #[serde(default)]
    pub group_type: String,
    #[serde(default)]
    pub userids: Vec<String>,
    #[serde(default)]
    pub department_ids: Vec<i64>,
    /// appchat: the owner's userid (a member caller is always the owner).
    #[serde(skip)]
    pub owner: Option<String>,
    #[serde(skip)]
    pub chatid: Option<String>,
}

/// Creates an ad-hoc group: the caller (or the named owner) owns it; members come from users and
/// department subtrees. The name must follow the enterprise naming policy.
pub async fn create_group(app: &AppState, actor: &Actor, input: NewGroup) -> AppResult<ConvRow> {
    let corp = actor.corp;
    let by = sender_of(actor);
    let name = check_group_name(&input.name)?;
    let pol = policy::get(&app.db, corp).await?;
    pol.check_group_name(&name, input.group_type.trim())?;
    let chatid = check_chatid(input.chatid)?;
    let scope = actor.scope().clone();
    let sel = Selection {
        userids: input.userids.clone(),
        departments: input.department_ids.clone(),
        ..Selection::default()
    };
    let aud = audience::resolve(&app.db, corp, &sel, &Scope::All).await?;
    if !aud.invalid_users.is_empty() {
        return Err(AppError::field("userids", "not_found").with_kind(ErrorKind::MemberNotFound));
    }
    if !aud.invalid_departments.is_empty() {
        return Err(
            AppError::field("department_ids", "not_found").with_kind(ErrorKind::DepartmentNotFound)
        );
    }
    let owner: (i64, String, String) = match (&by, &input.owner) {
        (Sender::Member { id, userid, name }, _) => (*id, userid.clone(), name.clone()),
        (_, Some(owner)) => {
            let o = audience::resolve(
                &app.db,
                corp,
                &Selection {
                    userids: vec![owner.clone()],
                    ..Selection::default()
                },
                &scope,
            )
            .await?;
            o.members.into_iter().next().ok_or_else(|| {
                AppError::field("owner", "not_found").with_kind(ErrorKind::MemberNotFound)
            })?
        }
        _ => return Err(AppError::field("owner", "required")),
    };
    let others: Vec<(i64, String, String)> = aud
        .members
        .into_iter()
        .filter(|(id, _, _)| *id != owner.0)
        .collect();
    if others.is_empty() {
        return Err(AppError::field("userids", "too_few"));
    }
    let now = app.now();
    let id = new_id(now);
    let app_id = match &by {
        Sender::App { id, .. } => Some(*id),
        _ => None,
    };
    let mut tx = app.db.begin().await?;
    let r = tx
        .exec(
            sql("INSERT INTO chat_conversations (id, corp_id, kind, chatid, name, group_type, owner_id, app_id, last_activity_at, created_by, created_at) \
                 VALUES ($1, $2, 'group', $3, $4, $5, $6, $7, $8, $9, $8)")
            .bind(id)
            .bind(corp)
            .bind(&chatid)
            .bind(&name)
            .bind(input.group_type.trim())
            .bind(owner.0)
            .bind(app_id)
            .bind(now)
            .bind(by.member_id()),
        )
        .await;
    if let Err(e) = r {
        if is_unique_violation(&e, "chat_conversations", "chatid") {
            return Err(AppError::field("chatid", "taken"));
        }
        return Err(e.into());
    }
    let c = find_in(&mut tx, corp, ConvId(id)).await?;
    insert_members(&mut tx, &c, std::slice::from_ref(&owner), Role::Owner, now).await?;
    insert_members(&mut tx, &c, &others, Role::Member, now).await?;
    let rows = stream::append(
        &mut tx,
        corp,
        c.id(),
        vec![NewEvent::system(
            "created",
            json!({ "by": who(&by), "name": name, "members": people(&others) }),
            by,
        )],
        now,
        false,
    )
    .await?;
    tx.commit().await?;
    let mut everyone: Vec<i64> = others.iter().map(|(id, _, _)| *id).collect();
    everyone.push(owner.0);
    fanout::conversation_changed(app, c.id(), everyone, "added").await;
    fanout::events(app, &rows, true).await;
    find(&app.db, corp, c.id()).await
}

/// The one-to-one conversation between the caller and `userid`, created on first use.
pub async fn open_direct(app: &AppState, actor: &Actor, userid: &str) -> AppResult<ConvRow> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let corp = actor.corp;
    let peer = member::find_row(&app.db, corp, userid).await?;
    if peer.id == me.0 {
        return Err(AppError::field("userid", "self"));
    }
    if !matches!(peer.status.as_str(), "active" | "not_activated") {
        return Err(AppError::field("userid", "inactive"));
    }
    let key = format!("{}:{}", me.0.min(peer.id), me.0.max(peer.id));
    open_pair(
        app,
        corp,
        PairConversation {
            key: &key,
            kind: "direct",
            name: "",
            app_id: None,
            created_by: Some(me.0),
            members: &[me.0, peer.id],
        },
    )
    .await
}

/// A conversation that exists at most once per key (one-to-one chats, an app's chat with a member).
struct PairConversation<'a> {
    key: &'a str,
    kind: &'static str,
    name: &'a str,
    app_id: Option<i64>,
    created_by: Option<i64>,
    members: &'a [i64],
}

/// Finds the conversation of `p.key` or creates it with its members; when two callers create it at
/// once, the loser returns the winner's.
async fn open_pair(app: &AppState, corp: CorpId, p: PairConversation<'_>) -> AppResult<ConvRow> {
    if let Some(c) = by_pair(&app.db, corp, p.key).await? {
        return Ok(c);
    }
    let now = app.now();
    let id = new_id(now);
    let mut tx = app.db.begin().await?;
    let r = tx
        .exec(
            sql("INSERT INTO chat_conversations (id, corp_id, kind, chatid, pair_key, name, app_id, last_activity_at, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8)")
                .bind(id)
                .bind(corp)
                .bind(p.kind)
                .bind(format!("{}{id}", if p.kind == "app" { "ap" } else { "dm" }))
                .bind(p.key)
                .bind(p.name)
                .bind(p.app_id)
                .bind(now)
                .bind(p.created_by),
        )
        .await;
    match r {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e, "chat_conversations", "pair_key") => {
            drop(tx);
            return by_pair(&app.db, corp, p.key)
                .await?
                .ok_or_else(|| ErrorKind::ConversationNotFound.into());
        }
        Err(e) => return Err(e.into()),
    }
    let c = find_in(&mut tx, corp, ConvId(id)).await?;
    let members: Vec<(i64, String, String)> = p
        .members
        .iter()
        .map(|m| (*m, String::new(), String::new()))
        .collect();
    insert_members(&mut tx, &c, &members, Role::Member, now).await?;
    tx.commit().await?;
    fanout::conversation_changed(app, c.id(), p.members.to_vec(), "added").await;
    Ok(c)
}

async fn by_pair(db: &Database, corp: CorpId, key: &str) -> AppResult<Option<ConvRow>> {
    Ok(db
        .opt(
            sql(format!(
                "SELECT {CONV_COLS} FROM chat_conversations c WHERE c.corp_id = $1 AND c.pair_key = $2"
            ))
            .bind(corp)
            .bind(key),
        )
        .await?)
}

/// The conversation in which an app's messages reach one member, created on first use.
pub async fn app_conversation(
    app: &AppState,
    corp: CorpId,
    app_id: i64,
    app_name: &str,
    member: i64,
) -> AppResult<ConvId> {
    let key = format!("app:{app_id}:{member}");
    let c = open_pair(
        app,
        corp,
        PairConversation {
            key: &key,
            kind: "app",
            name: app_name,
            app_id: Some(app_id),
            created_by: None,
            members: &[member],
        },
    )
    .await?;
    Ok(c.id())
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub only_admins_rename: Option<bool>,
    pub at_all_admins_only: Option<bool>,
    pub invite_needs_approval: Option<bool>,
    pub mute_all: Option<bool>,
    pub member_limit: Option<i64>,
    pub no_forward_out: Option<bool>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupPatch {
    pub name: Option<String>,
    pub avatar: Option<String>,
    pub group_type: Option<String>,
    pub settings: Option<Settings>,
}

/// Renames a group or changes its settings. Renaming follows the group's rule (owner and
/// administrators only, unless opened to everyone) and the naming policy; settings are for owner and
/// administrators.
pub async fn update_group(
    app: &AppState,
    actor: &Actor,
    conv: ConvId,
    patch: GroupPatch,
) -> AppResult<ConvRow> {
    let corp = actor.corp;
    let by = sender_of(actor);
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let c = find_in(&mut tx, corp, conv).await?;
    if !c.is_group() {
        return Err(ErrorKind::NotInGroupKind.into());
    }
    c.check_active()?;
    let s = standing(&mut tx, &c, &by).await?;
    let mut events = Vec::new();
    if patch.name.is_some() || patch.group_type.is_some() {
        if c.only_admins_rename || c.kind != "group" {
            require_admin(&s)?;
        }
        let name = check_group_name(patch.name.as_deref().unwrap_or(&c.name))?;
        let group_type = patch
            .group_type
            .as_deref()
            .unwrap_or(&c.group_type)
            .trim()
            .to_owned();
        if name != c.name {
            policy::get_in(&mut tx, corp)
                .await?
                .check_group_name(&name, &group_type)?;
            events.push(NewEvent::system(
                "renamed",
                json!({ "by": who(&by), "from": c.name, "to": name }),
                by.clone(),
            ));
        }
        tx.exec(
            sql("UPDATE chat_conversations SET name = $1, group_type = $2 WHERE id = $3")
                .bind(&name)
                .bind(&group_type)
                .bind(conv),
        )
        .await?;
    }
    if let Some(a) = &patch.avatar {
        require_admin(&s)?;
        if a.len() > 500 {
            return Err(AppError::field("avatar", "too_long"));
        }
        tx.exec(
            sql("UPDATE chat_conversations SET avatar = $1 WHERE id = $2")
                .bind(a.trim())
                .bind(conv),
        )
        .await?;
    }
    if let Some(st) = &patch.settings {
        require_admin(&s)?;
        if let Some(l) = st.member_limit
            && !(2..=10_000).contains(&l)
        {
            return Err(AppError::field("settings.member_limit", "range"));
        }
        if let Some(l) = st.member_limit
            && l < c.member_count
        {
            return Err(AppError::field(
                "settings.member_limit",
                "below_member_count",
            ));
        }
        tx.exec(
            sql("UPDATE chat_conversations SET only_admins_rename = $1, at_all_admins_only = $2, invite_needs_approval = $3, mute_all = $4, member_limit = $5, no_forward_out = $6 WHERE id = $7")
                .bind(st.only_admins_rename.unwrap_or(c.only_admins_rename))
                .bind(st.at_all_admins_only.unwrap_or(c.at_all_admins_only))
                .bind(st.invite_needs_approval.unwrap_or(c.invite_needs_approval))
                .bind(st.mute_all.unwrap_or(c.mute_all))
                .bind(st.member_limit.unwrap_or(c.member_limit))
                .bind(st.no_forward_out.unwrap_or(c.no_forward_out))
                .bind(conv),
        )
        .await?;
        if st.mute_all.is_some_and(|m| m != c.mute_all) {
            events.push(NewEvent::system(
                if st.mute_all == Some(true) {
                    "muted_all"
                } else {
                    "unmuted_all"
                },
                json!({ "by": who(&by) }),
                by.clone(),
            ));
        }
    }
    let rows = stream::append(&mut tx, corp, conv, events, now, false).await?;
    tx.commit().await?;
    app.chat().roster.forget(conv);
    announce_update(app, corp, conv, &rows).await?;
    find(&app.db, corp, conv).await
}

/// After a change to a conversation: its new events, and a `conv` frame so every member refetches it.
async fn announce_update(
    app: &AppState,
    corp: CorpId,
    conv: ConvId,
    rows: &[EventRow],
) -> AppResult<()> {
    fanout::events(app, rows, true).await;
    let members = app.chat().roster.get_in(&app.db, corp, conv).await?;
    fanout::conversation_changed(app, conv, members.members.clone(), "updated").await;
    Ok(())
}

/// Adds members to a group. When the group wants invitations approved and the caller is not an
/// owner or administrator, they wait as join requests.
pub async fn add_members(
    app: &AppState,
    actor: &Actor,
    conv: ConvId,
    sel: Selection,
) -> AppResult<(Vec<String>, Vec<String>)> {
    let corp = actor.corp;
    let by = sender_of(actor);
    let aud = audience::resolve(&app.db, corp, &sel, &Scope::All).await?;
    if !aud.invalid_users.is_empty() {
        return Err(AppError::field("userids", "not_found").with_kind(ErrorKind::MemberNotFound));
    }
    if !aud.invalid_departments.is_empty() {
        return Err(
            AppError::field("department_ids", "not_found").with_kind(ErrorKind::DepartmentNotFound)
        );
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let c = find_in(&mut tx, corp, conv).await?;
    if c.kind != "group" {
        return Err(ErrorKind::NotInGroupKind.into());
    }
    c.check_active()?;
    let s = standing(&mut tx, &c, &by).await?;
    if c.invite_needs_approval && !s.is_admin() {
        let mut pending = Vec::new();
        for (id, u, _) in &aud.members {
            if membership_in(&mut tx, conv, *id).await?.is_some() {
                continue;
            }
            tx.exec(
                sql("INSERT INTO chat_join_requests (id, conversation_id, corp_id, member_id, invited_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (conversation_id, member_id) DO NOTHING")
                    .bind(new_id(now))
                    .bind(conv)
                    .bind(corp)
                    .bind(*id)
                    .bind(by.member_id().unwrap_or(0))
                    .bind(now),
            )
            .await?;
            pending.push(u.clone());
        }
        tx.commit().await?;
        let admins = app.chat().roster.get_in(&app.db, corp, conv).await?;
        let ids: Vec<i64> = admins.admins.keys().copied().collect();
        fanout::conversation_changed(app, conv, ids, "updated").await;
        return Ok((Vec::new(), pending));
    }
    let added = insert_members(&mut tx, &c, &aud.members, Role::Member, now).await?;
    let rows = if added.is_empty() {
        Vec::new()
    } else {
        stream::append(
            &mut tx,
            corp,
            conv,
            vec![NewEvent::system(
                "member_joined",
                json!({ "by": who(&by), "members": people(&added) }),
                by,
            )],
            now,
            false,
        )
        .await?
    };
    tx.commit().await?;
    let ids: Vec<i64> = added.iter().map(|(id, _, _)| *id).collect();
    fanout::conversation_changed(app, conv, ids, "added").await;
    fanout::events(app, &rows, true).await;
    Ok((added.into_iter().map(|(_, u, _)| u).collect(), Vec::new()))
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct JoinRequest {
    #[serde(serialize_with = "qixie_kernel::ser::id_as_string")]
    pub id: i64,
    #[serde(skip)]
    pub member_id: i64,
    #[serde(skip)]
    pub invited_by: i64,
    pub created_at: i64,
}

pub async fn join_requests(app: &AppState, actor: &Actor, conv: ConvId) -> AppResult<Value> {
    let corp = actor.corp;
    let r = app.chat().roster.get_in(&app.db, corp, conv).await?;
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    if !r.role(me.0).is_some_and(|x| x.is_admin()) {
        return Err(ErrorKind::GroupAdminOnly.into());
    }
    let rows: Vec<JoinRequest> = app
        .db
        .all(
            sql("SELECT id, member_id, invited_by, created_at FROM chat_join_requests WHERE conversation_id = $1 ORDER BY created_at")
                .bind(conv),
        )
        .await?;
    let ids: Vec<i64> = rows
        .iter()
        .flat_map(|r| [r.member_id, r.invited_by])
        .collect();
    let cards = member::cards(&app.db, corp, &ids).await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            let m = cards.get(&r.member_id);
            json!({
                "id": r.id.to_string(),
                "userid": m.map(|c| c.userid.as_str()).unwrap_or_default(),
                "name": m.map(|c| c.name.as_str()).unwrap_or_default(),
                "invited_by": cards.get(&r.invited_by).map(|c| json!({"userid": c.userid, "name": c.name})),
                "at": r.created_at,
            })
        })
        .collect();
    Ok(json!({ "items": items }))
}

pub async fn decide_join_request(
    app: &AppState,
    actor: &Actor,
    conv: ConvId,
    request: i64,
    approve: bool,
) -> AppResult<()> {
    let corp = actor.corp;
    let by = sender_of(actor);
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let c = find_in(&mut tx, corp, conv).await?;
    c.check_active()?;
    let s = standing(&mut tx, &c, &by).await?;
    require_admin(&s)?;
    let req: Option<(i64,)> = tx
        .opt(
            sql("DELETE FROM chat_join_requests WHERE id = $1 AND conversation_id = $2 RETURNING member_id")
                .bind(request)
                .bind(conv),
        )
        .await?;
    let (member_id,) = req.ok_or(ErrorKind::NotFound)?;
    let mut rows = Vec::new();
    let mut added = Vec::new();
    if approve {
        let cards = member::cards(&app.db, corp, &[member_id]).await?;
        let Some(card) = cards.get(&member_id) else {
            return Err(ErrorKind::MemberNotFound.into());
        };
        added = insert_members(
            &mut tx,
            &c,
            &[(member_id, card.userid.clone(), card.name.clone())],
            Role::Member,
            now,
        )
        .await?;
        if !added.is_empty() {
            rows = stream::append(
                &mut tx,
                corp,
                conv,
                vec![NewEvent::system(
                    "member_joined",
                    json!({ "by": who(&by), "members": people(&added) }),
                    by,
                )],
                now,
                false,
            )
            .await?;
        }
    }
    tx.commit().await?;
    fanout::conversation_changed(app, conv, added.iter().map(|a| a.0).collect(), "added").await;
    fanout::events(app, &rows, true).await;
    Ok(())
}

/// Removes a member from a group; removing yourself is leaving. The owner hands the group over
/// before leaving; only the owner removes administrators; department and all-company groups follow
/// the org tree and cannot be left by hand.
pub async fn remove_member(
    app: &AppState,
    actor: &Actor,
    conv: ConvId,
    userid: &str,
) -> AppResult<()> {
    let corp = actor.corp;
    let by = sender_of(actor);
    let target = member::find_row(&app.db, corp, userid).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let c = find_in(&mut tx, corp, conv).await?;
    if c.kind != "group" {
        return Err(ErrorKind::NotInGroupKind.into());
    }
    c.check_active()?;
    let s = standing(&mut tx, &c, &by).await?;
    let t = membership_in(&mut tx, conv, target.id)
        .await?
        .ok_or(ErrorKind::NotConversationMember)?;
    let leaving = by.member_id() == Some(target.id);
    let target_role = Role::parse(&t.role);
    if target_role == Role::Owner {
        return Err(ErrorKind::OwnerMustTransfer.into());
    }
    if !leaving {
        require_admin(&s)?;
        if target_role == Role::Admin {
            require_owner(&s)?;
        }
    }
    delete_members(&mut tx, &c, &[target.id]).await?;
    let who_left = [(target.id, target.userid.clone(), target.name.clone())];
    let ev = if leaving {
        NewEvent::system("member_left", json!({ "members": people(&who_left) }), by)
    } else {
        NewEvent::system(
            "member_removed",
            json!({ "by": who(&by), "members": people(&who_left) }),
            by,
        )
    };
    let rows = stream::append(&mut tx, corp, conv, vec![ev], now, false).await?;
    tx.commit().await?;
    fanout::conversation_changed(app, conv, vec![target.id], "removed").await;
    fanout::events(app, &rows, true).await;
    Ok(())
}

/// Makes a member an administrator of the group, or a plain member again (owner only).
pub async fn set_admin(
    app: &AppState,
    actor: &Actor,
    conv: ConvId,
    userid: &str,
    admin: bool,
) -> AppResult<()> {
    let corp = actor.corp;
    let by = sender_of(actor);
    let target = member::find_row(&app.db, corp, userid).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let c = find_in(&mut tx, corp, conv).await?;
    if !c.is_group() {
        return Err(ErrorKind::NotInGroupKind.into());
    }
    c.check_active()?;
    require_owner(&standing(&mut tx, &c, &by).await?)?;
    let t = membership_in(&mut tx, conv, target.id)
        .await?
        .ok_or(ErrorKind::NotConversationMember)?;
    if Role::parse(&t.role) == Role::Owner {
        return Err(ErrorKind::GroupOwnerOnly.into());
    }
    tx.exec(
        sql("UPDATE chat_members SET role = $1 WHERE conversation_id = $2 AND member_id = $3")
            .bind(if admin { "admin" } else { "member" })
            .bind(conv)
            .bind(target.id),
    )
    .await?;
    let rows = stream::append(
        &mut tx,
        corp,
        conv,
        vec![NewEvent::system(
            if admin { "admin_added" } else { "admin_removed" },
            json!({ "by": who(&by), "members": people(&[(target.id, target.userid, target.name)]) }),
            by,
        )],
        now,
        false,
    )
    .await?;
    tx.commit().await?;
    app.chat().roster.forget(conv);
    announce_update(app, corp, conv, &rows).await
}

/// Hands a group to another member, who becomes owner; the old owner stays as a member.
pub async fn transfer(app: &AppState, actor: &Actor, conv: ConvId, userid: &str) -> AppResult<()> {
    let corp = actor.corp;
    let by = sender_of(actor);
    let target = member::find_row(&app.db, corp, userid).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let c = find_in(&mut tx, corp, conv).await?;
    if !c.is_group() {
        return Err(ErrorKind::NotInGroupKind.into());
    }
    c.check_active()?;
    require_owner(&standing(&mut tx, &c, &by).await?)?;
    let rows = hand_group_to(
        &mut tx,
        &c,
        &by,
        (target.id, target.userid, target.name),
        now,
    )
    .await?;
    tx.commit().await?;
    app.chat().roster.forget(conv);
    announce_update(app, corp, conv, &rows).await
}

/// Makes `to` the owner of `c` (adding them when they are not in it), inside `tx`.
async fn hand_group_to(
    tx: &mut Tx,
    c: &ConvRow,
    by: &Sender,
    to: (i64, String, String),
    now: i64,
) -> AppResult<Vec<EventRow>> {
    if membership_in(tx, c.id(), to.0).await?.is_none() {
        insert_members(tx, c, std::slice::from_ref(&to), Role::Member, now).await?;
    }
    tx.exec(
        sql(
            "UPDATE chat_members SET role = 'member' WHERE conversation_id = $1 AND role = 'owner'",
        )
        .bind(c.id),
    )
    .await?;
    tx.exec(
        sql("UPDATE chat_members SET role = 'owner' WHERE conversation_id = $1 AND member_id = $2")
            .bind(c.id)
            .bind(to.0),
    )
    .await?;
    tx.exec(
        sql("UPDATE chat_conversations SET owner_id = $1 WHERE id = $2")
            .bind(to.0)
            .bind(c.id),
    )
    .await?;
    stream::append(
        tx,
        c.corp(),
        c.id(),
        vec![NewEvent::system(
            "owner_changed",
            json!({ "by": who(by), "members": people(&[to]) }),
            by.clone(),
        )],
        now,
        false,
    )
    .await
}

/// Offboarding: the successor takes over the groups the departing member owned.
pub struct GroupOwnership;

/// The active groups `member` owns, for hand-over.
async fn owned_groups(tx: &mut Tx, corp: CorpId, member: MemberId) -> AppResult<Vec<ConvRow>> {
    Ok(tx
        .all(
            sql(format!(
                "SELECT {CONV_COLS} FROM chat_conversations c WHERE c.corp_id = $1 AND c.owner_id = $2 AND c.status = 'active'"
            ))
            .bind(corp)
            .bind(member),
        )
        .await?)
}

/// Time of a hand-over: the offboarding and deletion transactions' own clock is not passed down,
/// and the events only need an order, which seq gives.
fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

impl qixie_org::offboarding::Handover for GroupOwnership {
    fn module(&self) -> &'static str {
        "chat_groups"
    }
    fn hand_over<'a>(
        &'a self,
        tx: &'a mut Tx,
        corp: CorpId,
        from: MemberId,
        to: MemberId,
    ) -> qixie_org::offboarding::HandoverFuture<'a> {
        Box::pin(async move {
            let owned = owned_groups(tx, corp, from).await?;
            let names: Vec<(i64, String, String)> = tx
                .all(
                    sql("SELECT id, userid, name FROM members WHERE corp_id = $1 AND id = $2")
                        .bind(corp)
                        .bind(to),
                )
                .await?;
            let Some(successor) = names.into_iter().next() else {
                return Ok(0);
            };
            let now = wall_clock_ms();
            for c in &owned {
                hand_group_to(tx, c, &Sender::System, successor.clone(), now).await?;
            }
            // The departing member leaves every conversation they were in.
            tx.exec(sql("DELETE FROM chat_members WHERE member_id = $1").bind(from))
                .await?;
            Ok(owned.len() as u64)
        })
    }

    /// A deleted member's groups pass to their longest-standing administrator or member; their
    /// memberships, favourites, quick replies and reminders go; the messages they sent stay, marked
    /// as sent by someone no longer in the enterprise (no sender id).
    fn forget<'a>(
        &'a self,
        tx: &'a mut Tx,
        corp: CorpId,
        member: MemberId,
    ) -> qixie_org::offboarding::HandoverFuture<'a> {
        Box::pin(async move {
            let owned = owned_groups(tx, corp, member).await?;
            let now = wall_clock_ms();
            for c in &owned {
                let heir: Option<(i64, String, String)> = tx
                    .opt(
                        sql("SELECT m.id, m.userid, m.name FROM chat_members cm JOIN members m ON m.id = cm.member_id                              WHERE cm.conversation_id = $1 AND cm.member_id <> $2 AND m.status IN ('active', 'not_activated')                              ORDER BY CASE cm.role WHEN 'admin' THEN 0 ELSE 1 END, cm.joined_at, m.id LIMIT 1")
                        .bind(c.id)
                        .bind(member),
                    )
                    .await?;
                if let Some(heir) = heir {
                    hand_group_to(tx, c, &Sender::System, heir, now).await?;
                }
            }
            for table in [
                "chat_members",
                "chat_favourites",
                "chat_join_requests",
                "chat_attention",
                "chat_attention_held",
                "chat_attention_digests",
                "chat_auto_replies",
                "chat_urgent",
            ] {
                tx.exec(sql(format!("DELETE FROM {table} WHERE member_id = $1")).bind(member))
                    .await?;
            }
            tx.exec(
                sql("DELETE FROM chat_quick_replies WHERE corp_id = $1 AND member_id = $2")
                    .bind(corp)
                    .bind(member),
            )
            .await?;
            tx.exec(
                sql("UPDATE chat_events SET sender_id = NULL WHERE corp_id = $1 AND sender_kind = 'member' AND sender_id = $2")
                    .bind(corp)
                    .bind(member),
            )
            .await?;
            Ok(owned.len() as u64)
        })
    }
}

/// Sets the group announcement (owner and administrators); everyone sees it on entry until read.
pub async fn set_announcement(
    app: &AppState,
    actor: &Actor,
    conv: ConvId,
    text: &str,
) -> AppResult<ConvRow> {
    let corp = actor.corp;
    let by = sender_of(actor);
    let text = text.trim();
    if text.chars().count() > 2000 {
        return Err(AppError::field("text", "too_long"));
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let c = find_in(&mut tx, corp, conv).await?;
    if !c.is_group() {
        return Err(ErrorKind::NotInGroupKind.into());
    }
    c.check_active()?;
    require_admin(&standing(&mut tx, &c, &by).await?)?;
    tx.exec(
        sql("UPDATE chat_conversations SET announcement = $1, announcement_at = $2, announcement_by = $3 WHERE id = $4")
            .bind(text)
            .bind(now)
            .bind(by.member_id())
            .bind(conv),
    )
    .await?;
    tx.exec(
        sql("UPDATE chat_members SET announcement_read = (member_id = $1) WHERE conversation_id = $2")
            .bind(by.member_id().unwrap_or(0))
            .bind(conv),
    )
    .await?;
    let rows = stream::append(
        &mut tx,
        corp,
        conv,
        vec![NewEvent::system(
            "announcement",
            json!({ "by": who(&by), "text": text }),
            by,
        )],
        now,
        false,
    )
    .await?;
    tx.commit().await?;
    announce_update(app, corp, conv, &rows).await?;
    find(&app.db, corp, conv).await
}

pub async fn read_announcement(app: &AppState, actor: &Actor, conv: ConvId) -> AppResult<()> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let n = app
        .db
        .exec(
            sql("UPDATE chat_members SET announcement_read = TRUE WHERE conversation_id = $1 AND member_id = $2 AND corp_id = $3")
                .bind(conv)
                .bind(me)
                .bind(actor.corp),
        )
        .await?;
    if n == 0 {
        return Err(ErrorKind::NotConversationMember.into());
    }
    fanout::conversation_changed(app, conv, vec![me.0], "updated").await;
    Ok(())
}

pub async fn announcement_readers(app: &AppState, actor: &Actor, conv: ConvId) -> AppResult<Value> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let r = app.chat().roster.get_in(&app.db, actor.corp, conv).await?;
    if !r.contains(me.0) {
        return Err(ErrorKind::NotConversationMember.into());
    }
    let rows: Vec<(i64, bool)> = app
        .db
        .all(
            sql("SELECT member_id, announcement_read FROM chat_members WHERE conversation_id = $1")
                .bind(conv),
        )
        .await?;
    let ids: Vec<i64> = rows.iter().map(|(m, _)| *m).collect();
    let cards = member::cards(&app.db, actor.corp, &ids).await?;
    let (read, unread): (Vec<_>, Vec<_>) = rows.iter().partition(|(_, r)| *r);
    let show = |v: Vec<&(i64, bool)>| -> Vec<Value> {
        v.iter()
            .filter_map(|(m, _)| cards.get(m))
            .map(|c| json!({ "userid": c.userid, "name": c.name }))
            .collect()
    };
    Ok(json!({ "read": show(read), "unread": show(unread) }))
}

/// Archives (read-only, still searchable) or dissolves a group (owner only).
pub async fn close(app: &AppState, actor: &Actor, conv: ConvId, to: &str) -> AppResult<()> {
    let corp = actor.corp;
    let by = sender_of(actor);
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let c = find_in(&mut tx, corp, conv).await?;
    if c.kind != "group" {
        return Err(ErrorKind::NotInGroupKind.into());
    }
    c.check_active()?;
    require_owner(&standing(&mut tx, &c, &by).await?)?;
    let rows = stream::append(
        &mut tx,
        corp,
        conv,
        vec![NewEvent::system(to, json!({ "by": who(&by) }), by)],
        now,
        false,
    )
    .await?;
    tx.exec(
        sql("UPDATE chat_conversations SET status = $1 WHERE id = $2")
            .bind(to)
            .bind(conv),
    )
    .await?;
    tx.commit().await?;
    app.chat().roster.forget(conv);
    announce_update(app, corp, conv, &rows).await
}

#[derive(Debug, Default, Clone, Deserialize)]
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
        return Err(AppError::field("draft", "too_long"));
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
    tx.commit().await?;
    fanout::conversation_changed(app, conv, vec![me.0], "updated").await;
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
            && let qixie_kernel::authz::ActorKind::Member { userid, .. } = &actor.kind
        {
            fanout::receipt(app, conv, userid, seq).await;
        }
    }
    Ok(())
}

/// Groups larger than this show no per-member receipts (WeCom's limit too).
pub const RECEIPT_LIST_LIMIT: usize = 500;

/// A conversation as one member sees it (docs/api/chat.md).
#[derive(Debug, Serialize)]
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
    pub peer: Option<Value>,
    pub app: Option<Value>,
    pub department_id: Option<i64>,
    pub owner: Option<Value>,
    pub group_type: String,
    pub settings: Value,
    pub announcement: Option<Value>,
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
                stream::EVENT_COLS.split(", ").map(|c| format!("e.{c}")).collect::<Vec<_>>().join(", ")
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
    let apps: HashMap<i64, (i64, String)> = if app_ids.is_empty() {
        HashMap::new()
    } else {
        let v: Vec<(i64, i64, String)> = app
            .db
            .all(sql("SELECT id, agentid, name FROM apps WHERE id IN ").push_in(app_ids))
            .await?;
        v.into_iter().map(|(id, a, n)| (id, (a, n))).collect()
    };
    let pol = policy::get(&app.db, actor.corp).await?;
    let card = |id: Option<i64>| {
        id.and_then(|i| cards.get(&i))
            .map(|c| json!({ "userid": c.userid, "name": c.name, "avatar": c.avatar, "position": c.position }))
    };
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
            (Some(p), _) => p["name"].as_str().unwrap_or_default().to_owned(),
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
                .map(|(agentid, name)| json!({ "agentid": agentid, "name": name })),
            department_id: c.department_id,
            owner: card(c.owner_id),
            group_type: c.group_type.clone(),
            settings: json!({
                "only_admins_rename": c.only_admins_rename,
                "at_all_admins_only": c.at_all_admins_only,
                "invite_needs_approval": c.invite_needs_approval,
                "mute_all": c.mute_all,
                "member_limit": c.member_limit,
                "no_forward_out": c.no_forward_out,
            }),
            announcement: (!c.announcement.is_empty()).then(|| {
                json!({ "text": c.announcement, "at": c.announcement_at, "by": card(c.announcement_by), "read": m.8 })
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

/// The members of a conversation the caller belongs to.
pub async fn members_view(app: &AppState, actor: &Actor, conv: ConvId) -> AppResult<Value> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let r = app.chat().roster.get_in(&app.db, actor.corp, conv).await?;
    if !r.contains(me.0) {
        return Err(ErrorKind::NotConversationMember.into());
    }
    let rows: Vec<MembershipRow> = app
        .db
        .all(
            sql(format!(
                "SELECT {MEMBERSHIP_COLS} FROM chat_members WHERE conversation_id = $1 ORDER BY joined_at, member_id"
            ))
            .bind(conv),
        )
        .await?;
    let ids: Vec<i64> = rows.iter().map(|m| m.member_id).collect();
    let cards = member::cards(&app.db, actor.corp, &ids).await?;
    let order = |r: &str| match r {
        "owner" => 0,
        "admin" => 1,
        _ => 2,
    };
    let mut items: Vec<(i32, Value)> = rows
        .iter()
        .filter_map(|m| {
            cards.get(&m.member_id).map(|c| {
                (
                    order(&m.role),
                    json!({ "userid": c.userid, "name": c.name, "avatar": c.avatar, "position": c.position, "role": m.role, "read_seq": m.read_seq, "last_active_at": m.last_active_at }),
                )
            })
        })
        .collect();
    items.sort_by_key(|(o, _)| *o);
    Ok(json!({ "items": items.into_iter().map(|(_, v)| v).collect::<Vec<_>>() }))
}

/// Members who neither sent nor read anything for `days` days (owner and administrators only).
pub async fn inactive(app: &AppState, actor: &Actor, conv: ConvId, days: i64) -> AppResult<Value> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    if !(1..=3650).contains(&days) {
        return Err(AppError::field("days", "range"));
    }
    let r = app.chat().roster.get_in(&app.db, actor.corp, conv).await?;
    if !r.role(me.0).is_some_and(|x| x.is_admin()) {
        return Err(ErrorKind::GroupAdminOnly.into());
    }
    let since = app.now() - days * 86_400_000;
    let rows: Vec<(i64, i64)> = app
        .db
        .all(
            sql("SELECT cm.member_id, cm.last_active_at FROM chat_members cm WHERE cm.conversation_id = $1 AND cm.last_active_at < $2 AND cm.role = 'member' \
                 AND NOT EXISTS (SELECT 1 FROM chat_events e WHERE e.conversation_id = cm.conversation_id AND e.sender_id = cm.member_id AND e.sender_kind = 'member' AND e.created_at >= $2) \
                 ORDER BY cm.last_active_at")
                .bind(conv)
                .bind(since),
        )
        .await?;
    let ids: Vec<i64> = rows.iter().map(|(m, _)| *m).collect();
    let cards = member::cards(&app.db, actor.corp, &ids).await?;
    let items: Vec<Value> = rows
        .iter()
        .filter_map(|(m, at)| {
            cards
                .get(m)
                .map(|c| json!({ "userid": c.userid, "name": c.name, "last_active_at": at }))
        })
        .collect();
    Ok(json!({ "items": items }))
}

/// Department and all-company groups: created by an administrator who manages the department, then
/// kept in step with the org tree by `sync_department_groups`.
pub async fn create_department_group(
    app: &AppState,
    actor: &Actor,
    department_id: i64,
) -> AppResult<ConvRow> {
    let g = actor.require::<qixie_kernel::authz::perm::ContactsManage>()?;
    let corp = g.corp();
    let dept = qixie_org::department::find(&app.db, corp, department_id).await?;
    g.check_path(&dept.path)?;
    let key = format!("dept:{department_id}");
    if let Some(c) = by_pair(&app.db, corp, &key).await? {
        return Ok(c);
    }
    let kind = if department_id == 1 {
        "company"
    } else {
        "department"
    };
    let now = app.now();
    let id = new_id(now);
    let mut tx = app.db.begin().await?;
    tx.exec(
        sql("INSERT INTO chat_conversations (id, corp_id, kind, chatid, pair_key, name, department_id, last_activity_at, created_by, member_limit, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 100000, $8)")
            .bind(id)
            .bind(corp)
            .bind(kind)
            .bind(format!("dp{id}"))
            .bind(&key)
            .bind(&dept.name)
            .bind(department_id)
            .bind(now)
            .bind(actor.member_id()),
    )
    .await?;
    let rows = stream::append(
        &mut tx,
        corp,
        ConvId(id),
        vec![NewEvent::system(
            "created",
            json!({ "by": who(&sender_of(actor)), "name": dept.name }),
            sender_of(actor),
        )],
        now,
        false,
    )
    .await?;
    tx.commit().await?;
    sync_department_group(app, corp, ConvId(id)).await?;
    fanout::events(app, &rows, true).await;
    find(&app.db, corp, ConvId(id)).await
}

/// Brings one department group's members in line with its department subtree (the all-company
/// group: everyone). Department leaders are its administrators.
pub async fn sync_department_group(app: &AppState, corp: CorpId, conv: ConvId) -> AppResult<()> {
    let c = find(&app.db, corp, conv).await?;
    let Some(dept) = c.department_id.filter(|_| c.status == "active") else {
        return Ok(());
    };
    let want = audience::resolve(
        &app.db,
        corp,
        &Selection {
            departments: vec![dept],
            ..Selection::default()
        },
        &Scope::All,
    )
    .await?;
    let have: Vec<(i64,)> = app
        .db
        .all(sql("SELECT member_id FROM chat_members WHERE conversation_id = $1").bind(conv))
        .await?;
    let have: std::collections::HashSet<i64> = have.into_iter().map(|(m,)| m).collect();
    let want_ids: std::collections::HashSet<i64> = want.ids().into_iter().collect();
    let joining: Vec<(i64, String, String)> = want
        .members
        .iter()
        .filter(|(id, _, _)| !have.contains(id))
        .cloned()
        .collect();
    let leaving: Vec<i64> = have.difference(&want_ids).copied().collect();
    if joining.is_empty() && leaving.is_empty() {
        return Ok(());
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let c = find_in(&mut tx, corp, conv).await?;
    let added = insert_members(&mut tx, &c, &joining, Role::Member, now).await?;
    if !leaving.is_empty() {
        delete_members(&mut tx, &c, &leaving).await?;
    }
    let leaders: Vec<(i64,)> = tx
        .all(
            sql("SELECT member_id FROM department_leaders WHERE corp_id = $1 AND department_id = $2")
                .bind(corp)
                .bind(dept),
        )
        .await?;
    tx.exec(
        sql(
            "UPDATE chat_members SET role = 'member' WHERE conversation_id = $1 AND role = 'admin'",
        )
        .bind(conv),
    )
    .await?;
    for (l,) in &leaders {
        tx.exec(
            sql("UPDATE chat_members SET role = 'admin' WHERE conversation_id = $1 AND member_id = $2")
                .bind(conv)
                .bind(*l),
        )
        .await?;
    }
    let mut events = Vec::new();
    if !added.is_empty() {
        events.push(NewEvent::system(
            "member_joined",
            json!({ "members": people(&added) }),
            Sender::System,
        ));
    }
    if !leaving.is_empty() {
        let cards = member::cards(&app.db, corp, &leaving).await?;
        let gone: Vec<(i64, String, String)> = leaving
            .iter()
            .filter_map(|id| {
                cards
                    .get(id)
                    .map(|c| (*id, c.userid.clone(), c.name.clone()))
            })
            .collect();
        events.push(NewEvent::system(
            "member_left",
            json!({ "members": people(&gone) }),
            Sender::System,
        ));
    }
    let rows = stream::append(&mut tx, corp, conv, events, now, false).await?;
    tx.commit().await?;
    app.chat().roster.forget(conv);
    fanout::conversation_changed(app, conv, added.iter().map(|a| a.0).collect(), "added").await;
    fanout::conversation_changed(app, conv, leaving, "removed").await;
    fanout::events(app, &rows, true).await;
    Ok(())
}

/// Every department group of an enterprise, after its org tree or members changed.
pub async fn sync_department_groups(app: &AppState, corp: CorpId) -> AppResult<()> {
    let convs: Vec<(i64,)> = app
        .db
        .all(
            sql("SELECT id FROM chat_conversations WHERE corp_id = $1 AND department_id IS NOT NULL AND status = 'active'")
                .bind(corp),
        )
        .await?;
    for (c,) in convs {
        sync_department_group(app, corp, ConvId(c)).await?;
    }
    Ok(())
}

/// The other person of each one-to-one chat in `direct` (conversation id → member id), as `me` sees it.
pub(super) async fn direct_peers(
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
