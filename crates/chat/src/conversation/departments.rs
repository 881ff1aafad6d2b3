//! Department and all-company groups: created by an administrator who manages the department, then
//! kept in step with the org tree.
use std::collections::HashSet;

use serde_json::json;

use super::action::{people, who};
use super::rows::{ConvRow, by_pair, delete_members, find, find_in, insert_members, sender_of};
use crate::ChatState;
use crate::fanout;
use crate::roster::Role;
use crate::stream::{self, NewEvent, Sender};
use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, Scope};
use qixie_kernel::db::sql;
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::{ConvId, CorpId, new_id};
use qixie_org::audience::{self, Selection};
use qixie_org::member;

/// Creates the group of a department (the root department's is the all-company group), or returns
/// the one it has; `sync_department_groups` keeps its members in step.
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
    // Announced once the members are in, so that it reaches them.
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
    let have: HashSet<i64> = have.into_iter().map(|(m,)| m).collect();
    let want_ids: HashSet<i64> = want.ids().into_iter().collect();
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
    let leaders = qixie_org::department::leader_ids_in(&mut tx, corp, dept).await?;
    tx.exec(
        sql(
            "UPDATE chat_members SET role = 'member' WHERE conversation_id = $1 AND role = 'admin'",
        )
        .bind(conv),
    )
    .await?;
    for l in &leaders {
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
    let forget = app.clone();
    tx.after_commit(move || forget.chat().roster.forget(conv));
    let added = added.iter().map(|a| a.0).collect();
    fanout::conversation_changed_after_commit(&mut tx, app, conv, added, "added");
    fanout::conversation_changed_after_commit(&mut tx, app, conv, leaving, "removed");
    fanout::events_after_commit(&mut tx, app, rows, true);
    tx.commit().await?;
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
