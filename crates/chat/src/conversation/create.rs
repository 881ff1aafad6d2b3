//! Creating conversations: ad-hoc groups, one-to-one chats, an app's conversation with a member.
use serde::Deserialize;
use serde_json::json;

use super::action::{people, who};
use super::members::named_members;
use super::rows::{ConvRow, by_pair, find, find_in, insert_members, sender_of};
use crate::fanout;
use crate::policy;
use crate::roster::Role;
use crate::stream::{self, NewEvent, Sender};
use qixie_kernel::AppState;
use qixie_kernel::authz::Actor;
use qixie_kernel::db::{is_unique_violation, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason, Validator};
use qixie_kernel::ids::{ConvId, CorpId, new_id, random_token};
use qixie_org::audience::{self, Selection};
use qixie_org::member;

/// A chatid: given by an appchat caller (checked), or made up.
fn check_chatid(chatid: Option<String>) -> AppResult<String> {
    match chatid
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
    {
        Some(c) => {
            if c.len() > 32 || !c.chars().all(|ch| ch.is_ascii_alphanumeric()) {
                return Err(AppError::field("chatid", FieldReason::Format));
            }
            Ok(c)
        }
        None => Ok(format!("wr{}", random_token(12).replace(['-', '_'], "x"))),
    }
}

pub(super) fn check_group_name(name: &str) -> AppResult<String> {
    let n = name.trim();
    let mut v = Validator::default();
    v.check(!n.is_empty(), "name", FieldReason::Required);
    v.check(n.chars().count() <= 50, "name", FieldReason::TooLong);
    v.check(
        !n.chars().any(char::is_control),
        "name",
        FieldReason::Format,
    );
    v.finish()?;
    Ok(n.to_owned())
}

#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
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
    let named = named_members(app, corp, &sel).await?;
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
                AppError::field("owner", FieldReason::NotFound).with_kind(ErrorKind::MemberNotFound)
            })?
        }
        _ => return Err(AppError::field("owner", FieldReason::Required)),
    };
    let others: Vec<(i64, String, String)> = named
        .into_iter()
        .filter(|(id, _, _)| *id != owner.0)
        .collect();
    if others.is_empty() {
        return Err(AppError::field("userids", FieldReason::TooFew));
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
            return Err(AppError::field("chatid", FieldReason::Taken));
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
    let mut everyone: Vec<i64> = others.iter().map(|(id, _, _)| *id).collect();
    everyone.push(owner.0);
    fanout::conversation_changed_after_commit(&mut tx, app, c.id(), everyone, "added");
    fanout::events_after_commit(&mut tx, app, rows, true);
    tx.commit().await?;
    find(&app.db, corp, c.id()).await
}

/// The one-to-one conversation between the caller and `userid`, created on first use.
pub async fn open_direct(app: &AppState, actor: &Actor, userid: &str) -> AppResult<ConvRow> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let corp = actor.corp;
    let peer = member::find_row(&app.db, corp, userid).await?;
    if peer.id == me.0 {
        return Err(AppError::field("userid", FieldReason::SelfRef));
    }
    if !matches!(peer.status.as_str(), "active" | "not_activated") {
        return Err(AppError::field("userid", FieldReason::Inactive));
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
    fanout::conversation_changed_after_commit(&mut tx, app, c.id(), p.members.to_vec(), "added");
    tx.commit().await?;
    Ok(c)
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
