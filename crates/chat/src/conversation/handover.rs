//! Handing a group to a new owner: by its owner, or by offboarding when the owner leaves the
//! enterprise or is deleted.
use serde_json::json;

use super::action::{GroupAction, Kinds, Need, people, who};
use super::rows::{ConvRow, insert_members, membership_in, select};
use crate::fanout;
use crate::roster::Role;
use crate::stream::{self, EventRow, NewEvent, Sender};
use qixie_kernel::AppState;
use qixie_kernel::authz::Actor;
use qixie_kernel::db::{Tx, sql};
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::{ConvId, CorpId, MemberId};
use qixie_org::member;

/// Hands a group to another member, who becomes owner; the old owner stays as a member.
pub async fn transfer(app: &AppState, actor: &Actor, conv: ConvId, userid: &str) -> AppResult<()> {
    let target = member::find_row(&app.db, actor.corp, userid).await?;
    let mut g = GroupAction::open(app, actor, conv, Kinds::Groups, Need::Owner).await?;
    let rows = hand_group_to(
        &mut g.tx,
        &g.conv,
        &g.by,
        (target.id, target.userid, target.name),
        g.now,
    )
    .await?;
    g.announce(rows);
    g.updated();
    g.commit().await
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

/// Once the hand-over commits: the group's members get the `owner_changed` event (their cached roster
/// forgotten) and the new owner, who may have just joined, learns of the group.
fn announce_new_owner(app: &AppState, tx: &mut Tx, c: &ConvRow, rows: Vec<EventRow>, owner: i64) {
    fanout::events_after_commit(tx, app, rows, true);
    fanout::conversation_changed_after_commit(tx, app, c.id(), vec![owner], "updated");
}

/// The active groups `member` owns, for hand-over.
async fn owned_groups(tx: &mut Tx, corp: CorpId, member: MemberId) -> AppResult<Vec<ConvRow>> {
    Ok(tx
        .all(
            select("c.owner_id = $2 AND c.status = 'active'")
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
        app: &'a AppState,
        tx: &'a mut Tx,
        corp: CorpId,
        from: MemberId,
        to: MemberId,
    ) -> qixie_org::offboarding::HandoverFuture<'a> {
        Box::pin(async move {
            let owned = owned_groups(tx, corp, from).await?;
            let Some(card) = qixie_org::member::card_in(tx, corp, to).await? else {
                return Ok(0);
            };
            let successor = (card.id, card.userid, card.name);
            let now = wall_clock_ms();
            for c in &owned {
                let rows = hand_group_to(tx, c, &Sender::System, successor.clone(), now).await?;
                announce_new_owner(app, tx, c, rows, successor.0);
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
        app: &'a AppState,
        tx: &'a mut Tx,
        corp: CorpId,
        member: MemberId,
    ) -> qixie_org::offboarding::HandoverFuture<'a> {
        Box::pin(async move {
            let owned = owned_groups(tx, corp, member).await?;
            let now = wall_clock_ms();
            for c in &owned {
                let heir: Option<(i64,)> = tx
                    .opt(
                        sql(format!(
                            "SELECT cm.member_id FROM chat_members cm WHERE cm.conversation_id = $1 AND cm.member_id <> $2 AND {} \
                             ORDER BY CASE cm.role WHEN 'admin' THEN 0 ELSE 1 END, cm.joined_at, cm.member_id LIMIT 1",
                            qixie_org::member::sql::receiving("cm.member_id")
                        ))
                        .bind(c.id)
                        .bind(member),
                    )
                    .await?;
                let heir = match heir {
                    Some((id,)) => qixie_org::member::card_in(tx, corp, MemberId(id)).await?,
                    None => None,
                };
                if let Some(heir) = heir {
                    let heir_id = heir.id;
                    let rows = hand_group_to(
                        tx,
                        c,
                        &Sender::System,
                        (heir.id, heir.userid, heir.name),
                        now,
                    )
                    .await?;
                    announce_new_owner(app, tx, c, rows, heir_id);
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
