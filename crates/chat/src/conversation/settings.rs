//! A group's name, settings and announcement, and archiving or dissolving it.
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::action::{GroupAction, Kinds, Need, who};
use super::create::check_group_name;
use super::rows::{ConvRow, find};
use crate::ChatState;
use crate::fanout;
use crate::people::Person;
use crate::policy;
use crate::stream::NewEvent;
use qixie_kernel::AppState;
use qixie_kernel::authz::Actor;
use qixie_kernel::db::sql;
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::ids::ConvId;
use qixie_org::member;

/// The rules of a group to change; those left out stay.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = GroupSettingsPatch)]
pub struct Settings {
    pub only_admins_rename: Option<bool>,
    pub at_all_admins_only: Option<bool>,
    pub invite_needs_approval: Option<bool>,
    pub mute_all: Option<bool>,
    pub member_limit: Option<i64>,
    pub no_forward_out: Option<bool>,
}

#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
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
    let mut g = GroupAction::open(app, actor, conv, Kinds::Groups, Need::Member).await?;
    let c = &g.conv;
    let mut events = Vec::new();
    if patch.name.is_some() || patch.group_type.is_some() {
        if c.only_admins_rename || c.kind != "group" {
            g.standing.require(Need::Admin)?;
        }
        let name = check_group_name(patch.name.as_deref().unwrap_or(&c.name))?;
        let group_type = patch
            .group_type
            .as_deref()
            .unwrap_or(&c.group_type)
            .trim()
            .to_owned();
        if name != c.name {
            policy::get(&mut g.tx, corp)
                .await?
                .check_group_name(&name, &group_type)?;
            events.push(NewEvent::system(
                "renamed",
                json!({ "by": who(&g.by), "from": c.name, "to": name }),
                g.by.clone(),
            ));
        }
        g.tx.exec(
            sql("UPDATE chat_conversations SET name = $1, group_type = $2 WHERE id = $3")
                .bind(&name)
                .bind(&group_type)
                .bind(conv),
        )
        .await?;
    }
    if let Some(a) = &patch.avatar {
        g.standing.require(Need::Admin)?;
        if a.len() > 500 {
            return Err(AppError::field("avatar", FieldReason::TooLong));
        }
        g.tx.exec(
            sql("UPDATE chat_conversations SET avatar = $1 WHERE id = $2")
                .bind(a.trim())
                .bind(conv),
        )
        .await?;
    }
    if let Some(st) = &patch.settings {
        g.standing.require(Need::Admin)?;
        if let Some(l) = st.member_limit
            && !(2..=10_000).contains(&l)
        {
            return Err(AppError::field("settings.member_limit", FieldReason::Range));
        }
        if let Some(l) = st.member_limit
            && l < c.member_count
        {
            return Err(AppError::field(
                "settings.member_limit",
                FieldReason::BelowMemberCount,
            ));
        }
        g.tx.exec(
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
                json!({ "by": who(&g.by) }),
                g.by.clone(),
            ));
        }
    }
    g.append(events).await?;
    g.updated();
    g.commit().await?;
    find(&app.db, corp, conv).await
}

/// Sets the group announcement (owner and administrators); everyone sees it on entry until read.
pub async fn set_announcement(
    app: &AppState,
    actor: &Actor,
    conv: ConvId,
    text: &str,
) -> AppResult<ConvRow> {
    let text = text.trim();
    if text.chars().count() > 2000 {
        return Err(AppError::field("text", FieldReason::TooLong));
    }
    let mut g = GroupAction::open(app, actor, conv, Kinds::Groups, Need::Admin).await?;
    g.tx.exec(
        sql("UPDATE chat_conversations SET announcement = $1, announcement_at = $2, announcement_by = $3 WHERE id = $4")
            .bind(text)
            .bind(g.now)
            .bind(g.by.member_id())
            .bind(conv),
    )
    .await?;
    g.tx.exec(
        sql("UPDATE chat_members SET announcement_read = (member_id = $1) WHERE conversation_id = $2")
            .bind(g.by.member_id().unwrap_or(0))
            .bind(conv),
    )
    .await?;
    let line = NewEvent::system(
        "announcement",
        json!({ "by": who(&g.by), "text": text }),
        g.by.clone(),
    );
    g.append(vec![line]).await?;
    g.updated();
    g.commit().await?;
    find(&app.db, actor.corp, conv).await
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

/// Who has read a group's announcement and who has not.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncementReaders {
    pub read: Vec<Person>,
    pub unread: Vec<Person>,
}

pub async fn announcement_readers(
    app: &AppState,
    actor: &Actor,
    conv: ConvId,
) -> AppResult<AnnouncementReaders> {
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
    let show = |v: Vec<&(i64, bool)>| -> Vec<Person> {
        v.iter()
            .filter_map(|(m, _)| cards.get(m))
            .map(Person::from)
            .collect()
    };
    Ok(AnnouncementReaders {
        read: show(read),
        unread: show(unread),
    })
}

/// Archives (read-only, still searchable) or dissolves a group (owner only).
pub async fn close(app: &AppState, actor: &Actor, conv: ConvId, to: &str) -> AppResult<()> {
    let mut g = GroupAction::open(app, actor, conv, Kinds::AdHocGroups, Need::Owner).await?;
    let line = NewEvent::system(to, json!({ "by": who(&g.by) }), g.by.clone());
    g.append(vec![line]).await?;
    g.tx.exec(
        sql("UPDATE chat_conversations SET status = $1 WHERE id = $2")
            .bind(to)
            .bind(conv),
    )
    .await?;
    g.updated();
    g.commit().await
}
