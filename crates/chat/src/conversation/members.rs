//! Who is in a group: adding members (or asking to, where invitations need approval), deciding
//! join requests, removing and leaving, administrators, and the member lists.
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::action::{GroupAction, Kinds, Need, people, who};
use super::rows::{MEMBERSHIP_COLS, MembershipRow, delete_members, insert_members, membership_in};
use crate::ChatState;
use crate::people::Person;
use crate::roster::Role;
use crate::stream::NewEvent;
use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, Scope};
use qixie_kernel::db::sql;
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::ids::{ConvId, CorpId, new_id};
use qixie_org::audience::{self, Selection};
use qixie_org::member;

/// Adds members to a group. When the group wants invitations approved and the caller is not an
/// owner or administrator, they wait as join requests.
pub async fn add_members(
    app: &AppState,
    actor: &Actor,
    conv: ConvId,
    sel: Selection,
) -> AppResult<(Vec<String>, Vec<String>)> {
    let corp = actor.corp;
    let named = named_members(app, corp, &sel).await?;
    let mut g = GroupAction::open(app, actor, conv, Kinds::AdHocGroups, Need::Member).await?;
    if g.conv.invite_needs_approval && !g.standing.is_admin() {
        let mut pending = Vec::new();
        for (id, u, _) in &named {
            if membership_in(&mut g.tx, conv, *id).await?.is_some() {
                continue;
            }
            g.tx.exec(
                sql("INSERT INTO chat_join_requests (id, conversation_id, corp_id, member_id, invited_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (conversation_id, member_id) DO NOTHING")
                    .bind(new_id(g.now))
                    .bind(conv)
                    .bind(corp)
                    .bind(*id)
                    .bind(g.by.member_id().unwrap_or(0))
                    .bind(g.now),
            )
            .await?;
            pending.push(u.clone());
        }
        g.tell_admins();
        g.commit().await?;
        return Ok((Vec::new(), pending));
    }
    let added = join(&mut g, &named).await?;
    g.commit().await?;
    Ok((added.into_iter().map(|(_, u, _)| u).collect(), Vec::new()))
}

/// The members `sel` names (users and department subtrees), all of which must exist.
pub(super) async fn named_members(
    app: &AppState,
    corp: CorpId,
    sel: &Selection,
) -> AppResult<Vec<(i64, String, String)>> {
    let aud = audience::resolve(&app.db, corp, sel, &Scope::All).await?;
    if !aud.invalid_users.is_empty() {
        return Err(
            AppError::field("userids", FieldReason::NotFound).with_kind(ErrorKind::MemberNotFound)
        );
    }
    if !aud.invalid_departments.is_empty() {
        return Err(AppError::field("department_ids", FieldReason::NotFound)
            .with_kind(ErrorKind::DepartmentNotFound));
    }
    Ok(aud.members)
}

/// Adds `joining` to the group (those already in are skipped): once committed, they hear of the
/// conversation, then everyone sees the line. Returns those added.
async fn join(
    g: &mut GroupAction<'_>,
    joining: &[(i64, String, String)],
) -> AppResult<Vec<(i64, String, String)>> {
    let added = insert_members(&mut g.tx, &g.conv, joining, Role::Member, g.now).await?;
    g.tell(added.iter().map(|(id, _, _)| *id).collect(), "added");
    if !added.is_empty() {
        let line = NewEvent::system(
            "member_joined",
            json!({ "by": who(&g.by), "members": people(&added) }),
            g.by.clone(),
        );
        g.append(vec![line]).await?;
    }
    Ok(added)
}

/// The role of `member` in the group, which they must be in.
async fn role_in(g: &mut GroupAction<'_>, member: i64) -> AppResult<Role> {
    let m = membership_in(&mut g.tx, g.conv.id(), member)
        .await?
        .ok_or(ErrorKind::NotConversationMember)?;
    Ok(Role::parse(&m.role))
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

/// An invitation waiting for approval.
#[derive(Debug, Serialize, ToSchema)]
pub struct JoinRequestView {
    pub id: String,
    /// Who was invited.
    pub userid: String,
    pub name: String,
    pub invited_by: Option<Person>,
    pub at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JoinRequestList {
    pub items: Vec<JoinRequestView>,
}

pub async fn join_requests(
    app: &AppState,
    actor: &Actor,
    conv: ConvId,
) -> AppResult<JoinRequestList> {
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
    let items = rows
        .iter()
        .map(|r| {
            let m = cards.get(&r.member_id);
            JoinRequestView {
                id: r.id.to_string(),
                userid: m.map(|c| c.userid.clone()).unwrap_or_default(),
                name: m.map(|c| c.name.clone()).unwrap_or_default(),
                invited_by: cards.get(&r.invited_by).map(Person::from),
                at: r.created_at,
            }
        })
        .collect();
    Ok(JoinRequestList { items })
}

pub async fn decide_join_request(
    app: &AppState,
    actor: &Actor,
    conv: ConvId,
    request: i64,
    approve: bool,
) -> AppResult<()> {
    let corp = actor.corp;
    let mut g = GroupAction::open(app, actor, conv, Kinds::All, Need::Admin).await?;
    let req: Option<(i64,)> = g
        .tx
        .opt(
            sql("DELETE FROM chat_join_requests WHERE id = $1 AND conversation_id = $2 RETURNING member_id")
                .bind(request)
                .bind(conv),
        )
        .await?;
    let (member_id,) = req.ok_or(ErrorKind::NotFound)?;
    if approve {
        let cards = member::cards(&app.db, corp, &[member_id]).await?;
        let Some(card) = cards.get(&member_id) else {
            return Err(ErrorKind::MemberNotFound.into());
        };
        join(
            &mut g,
            &[(member_id, card.userid.clone(), card.name.clone())],
        )
        .await?;
    }
    g.commit().await
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
    let target = member::find_row(&app.db, actor.corp, userid).await?;
    let mut g = GroupAction::open(app, actor, conv, Kinds::AdHocGroups, Need::Member).await?;
    let target_role = role_in(&mut g, target.id).await?;
    let leaving = g.by.member_id() == Some(target.id);
    if target_role == Role::Owner {
        return Err(ErrorKind::OwnerMustTransfer.into());
    }
    if !leaving {
        g.standing.require(Need::Admin)?;
        if target_role == Role::Admin {
            g.standing.require(Need::Owner)?;
        }
    }
    delete_members(&mut g.tx, &g.conv, &[target.id]).await?;
    g.tell(vec![target.id], "removed");
    let who_left = [(target.id, target.userid.clone(), target.name.clone())];
    let line = if leaving {
        NewEvent::system(
            "member_left",
            json!({ "members": people(&who_left) }),
            g.by.clone(),
        )
    } else {
        NewEvent::system(
            "member_removed",
            json!({ "by": who(&g.by), "members": people(&who_left) }),
            g.by.clone(),
        )
    };
    g.append(vec![line]).await?;
    g.commit().await
}

/// Makes a member an administrator of the group, or a plain member again (owner only).
pub async fn set_admin(
    app: &AppState,
    actor: &Actor,
    conv: ConvId,
    userid: &str,
    admin: bool,
) -> AppResult<()> {
    let target = member::find_row(&app.db, actor.corp, userid).await?;
    let mut g = GroupAction::open(app, actor, conv, Kinds::Groups, Need::Owner).await?;
    if role_in(&mut g, target.id).await? == Role::Owner {
        return Err(ErrorKind::GroupOwnerOnly.into());
    }
    g.tx.exec(
        sql("UPDATE chat_members SET role = $1 WHERE conversation_id = $2 AND member_id = $3")
            .bind(if admin { "admin" } else { "member" })
            .bind(conv)
            .bind(target.id),
    )
    .await?;
    let line = NewEvent::system(
        if admin {
            "admin_added"
        } else {
            "admin_removed"
        },
        json!({ "by": who(&g.by), "members": people(&[(target.id, target.userid, target.name)]) }),
        g.by.clone(),
    );
    g.append(vec![line]).await?;
    g.updated();
    g.commit().await
}

/// A member of a conversation, with their role and how far they have read.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationMember {
    pub userid: String,
    pub name: String,
    pub avatar: String,
    pub position: String,
    /// `owner`, `admin` or `member`.
    pub role: String,
    pub read_seq: i64,
    pub last_active_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationMemberList {
    pub items: Vec<ConversationMember>,
}

/// The members of a conversation the caller belongs to: owner first, then administrators.
pub async fn members_view(
    app: &AppState,
    actor: &Actor,
    conv: ConvId,
) -> AppResult<ConversationMemberList> {
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
    let mut items: Vec<ConversationMember> = rows
        .iter()
        .filter_map(|m| {
            cards.get(&m.member_id).map(|c| ConversationMember {
                userid: c.userid.clone(),
                name: c.name.clone(),
                avatar: c.avatar.clone(),
                position: c.position.clone(),
                role: m.role.clone(),
                read_seq: m.read_seq,
                last_active_at: m.last_active_at,
            })
        })
        .collect();
    // Stable: within a role, the order of joining.
    items.sort_by_key(|m| order(&m.role));
    Ok(ConversationMemberList { items })
}

/// A member of a group who has been quiet.
#[derive(Debug, Serialize, ToSchema)]
pub struct InactiveMember {
    pub userid: String,
    pub name: String,
    pub last_active_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InactiveMemberList {
    pub items: Vec<InactiveMember>,
}

/// Members who neither sent nor read anything for `days` days (owner and administrators only).
pub async fn inactive(
    app: &AppState,
    actor: &Actor,
    conv: ConvId,
    days: i64,
) -> AppResult<InactiveMemberList> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    if !(1..=3650).contains(&days) {
        return Err(AppError::field("days", FieldReason::Range));
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
    let items = rows
        .iter()
        .filter_map(|(m, at)| {
            cards.get(m).map(|c| InactiveMember {
                userid: c.userid.clone(),
                name: c.name.clone(),
                last_active_at: *at,
            })
        })
        .collect();
    Ok(InactiveMemberList { items })
}
