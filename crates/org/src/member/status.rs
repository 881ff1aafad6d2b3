//! A member's status: frozen, unfrozen, activated; freezing and departing end their sessions.
use serde_json::json;

use super::lookup::get_by_id;
use super::model::{Member, MemberStatus};
use super::read::get_managed;
use crate::{accounts, grants};
use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, Grant, perm};
use qixie_kernel::db::{Tx, sql};
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::{CorpId, MemberId};

pub async fn set_status_in(
    tx: &mut Tx,
    app: &AppState,
    corp: CorpId,
    id: MemberId,
    status: MemberStatus,
    now: i64,
) -> AppResult<()> {
    app.access.forget_member_after_commit(tx, id);
    tx.exec(
        sql("UPDATE members SET status = $1, updated_at = $2 WHERE corp_id = $3 AND id = $4")
            .bind(status.as_str())
            .bind(now)
            .bind(corp)
            .bind(id),
    )
    .await?;
    if matches!(status, MemberStatus::Frozen | MemberStatus::Departed) {
        accounts::of(app).end_sessions(tx, app, id).await?;
    }
    Ok(())
}

/// Freezes or unfreezes; freezing ends the member's sessions.
pub async fn set_frozen(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    userid: &str,
    frozen: bool,
) -> AppResult<Member> {
    let m = get_managed(&app.db, grant, userid).await?;
    let corp = grant.corp();
    let target = match (frozen, m.status) {
        (true, MemberStatus::Active | MemberStatus::NotActivated) => MemberStatus::Frozen,
        (false, MemberStatus::Frozen) => {
            if accounts::of(app)
                .must_change_password(app, m.id)
                .await?
                .unwrap_or(true)
            {
                MemberStatus::NotActivated
            } else {
                MemberStatus::Active
            }
        }
        _ => return Ok(m),
    };
    let now = app.now();
    let mut tx = app.db.begin().await?;
    if frozen {
        grants::ensure_not_last_super(&mut tx, corp, m.id).await?;
    }
    set_status_in(&mut tx, app, corp, m.id, target, now).await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: if frozen {
                "member.freeze"
            } else {
                "member.unfreeze"
            },
            target: format!("member:{userid}"),
            before: Some(json!({"status": m.status.as_str()})),
            after: Some(json!({"status": target.as_str()})),
        },
    )
    .await?;
    tx.commit().await?;
    get_by_id(&app.db, corp, m.id).await
}

/// Marks a member active after the first successful password change.
pub async fn activate(tx: &mut Tx, corp: CorpId, id: MemberId, now: i64) -> AppResult<()> {
    tx.exec(sql("UPDATE members SET status = 'active', updated_at = $1 WHERE corp_id = $2 AND id = $3 AND status = 'not_activated'").bind(now).bind(corp).bind(id)).await?;
    Ok(())
}
