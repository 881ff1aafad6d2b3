//! Offboarding (离职): the member departs and a successor takes over what they owned.
use serde_json::json;

use super::lookup::get_by_id;
use super::model::{Member, MemberStatus};
use super::read::{get_in_scope, get_managed};
use super::status::set_status_in;
use crate::{enterprise, grants, offboarding};
use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, Grant, perm};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::events::DomainEvent;

/// Offboarding (离职): the member departs, their sessions end, and each registered hand-over passes
/// what they own to the successor, all in one transaction.
pub async fn offboard(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    userid: &str,
    successor: &str,
) -> AppResult<(Member, Vec<(String, u64)>)> {
    let m = get_managed(&app.db, grant, userid).await?;
    let corp = grant.corp();
    // The successor receives what the departing member owned, so they too must be someone the
    // administrator manages.
    let s = match get_in_scope(&app.db, grant, successor).await {
        Ok(s) => s,
        Err(e) if e.kind == ErrorKind::OutOfScope => {
            return Err(AppError::field("successor_userid", FieldReason::OutOfScope)
                .with_kind(ErrorKind::OutOfScope));
        }
        Err(_) => return Err(ErrorKind::SuccessorInvalid.into()),
    };
    if s.id == m.id || !matches!(s.status, MemberStatus::Active | MemberStatus::NotActivated) {
        return Err(ErrorKind::SuccessorInvalid.into());
    }
    if enterprise::creator(&app.db, corp).await? == Some(m.id) {
        return Err(ErrorKind::CannotDeleteCreator.into());
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    grants::ensure_not_last_super(&mut tx, corp, m.id).await?;
    set_status_in(&mut tx, app, corp, m.id, MemberStatus::Departed, now).await?;
    let mut handed = Vec::new();
    for h in app
        .runtime::<offboarding::OffboardingRegistry>()
        .handovers()
    {
        let n = h.hand_over(app, &mut tx, corp, m.id, s.id).await?;
        handed.push((h.module().to_owned(), n));
    }
    audit::record(&mut tx, actor, now, Entry {
        kind: "member.offboard",
        target: format!("member:{userid}"),
        before: Some(json!({"status": m.status.as_str()})),
        after: Some(json!({"status": "departed", "successor": successor, "handovers": handed.iter().map(|(k, n)| json!({"module": k, "count": n})).collect::<Vec<_>>()})),
    })
    .await?;
    tx.emit(
        app,
        DomainEvent::MemberDeparted {
            corp,
            member: m.id,
            successor: s.id,
        },
    );
    tx.commit().await?;
    Ok((get_by_id(&app.db, corp, m.id).await?, handed))
}
