//! A departed member's waiting steps go to their successor (registered with offboarding), or to
//! whomever an administrator names.
use std::sync::Arc;

use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, Grant, perm};
use qixie_kernel::db::{Tx, sql};
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::{CorpId, MemberId};
use qixie_org::offboarding::{Handover, HandoverFuture};

use crate::instance::{self, Entry};

/// Moves every step waiting for `from` to `to` inside `tx`; returns how many moved. With a grant,
/// only applications filed under departments in its scope.
pub async fn move_waiting_in(
    app: &AppState,
    tx: &mut Tx,
    corp: CorpId,
    from: i64,
    to: i64,
    scope: Option<&[i64]>,
) -> AppResult<u64> {
    let rows: Vec<(String, i64)> = tx
        .all(
            sql("SELECT DISTINCT i.sp_no, i.department_id FROM approval_tasks k JOIN approval_instances i ON i.id = k.instance_id \
                 WHERE k.member_id = $1 AND k.state = 0 AND i.corp_id = $2 ORDER BY i.sp_no")
            .bind(from)
            .bind(corp),
        )
        .await?;
    let now = app.now();
    let mut moved = 0;
    for (sp_no, dept) in rows {
        if scope.is_some_and(|s| !s.contains(&dept)) {
            continue;
        }
        let mut l = instance::load(&mut *tx, corp, &sp_no).await?;
        let template = crate::template::find_by_pk(&mut *tx, l.row.template_pk).await?;
        let before = l.progress.tasks();
        let step = l.progress.current_step().map(|s| s.key);
        let outcome = l.progress.hand_over(from, to, now);
        l.timeline.push(Entry {
            at: now,
            actor: None,
            action: "hand_over".into(),
            comment: String::new(),
            to: vec![to],
            files: Vec::new(),
            step,
        });
        if let Some(st) = outcome.finished {
            l.row.status = st.code();
            l.row.finished_at = Some(now);
        }
        crate::instance::effects::record_outcome(&mut l.timeline, &l.progress, &outcome, now);
        instance::save(tx, &l, &before, now).await?;
        crate::instance::effects::after_change(tx, app, &l, &template, &outcome, 4).await?;
        moved += 1;
    }
    Ok(moved)
}

/// The administrators' hand-over: one transaction, audited.
pub async fn move_waiting(
    app: &AppState,
    actor: &Actor,
    grant: Option<&Grant<perm::ApprovalsManage>>,
    corp: CorpId,
    from: i64,
    to: i64,
) -> AppResult<i64> {
    let scope: Option<Vec<i64>> = match grant.map(|g| g.scope()) {
        Some(qixie_kernel::authz::Scope::Subtrees(_)) => {
            let g = grant.map(|g| g.scope().clone());
            let all = qixie_org::people::all_departments(&app.db, corp).await?;
            Some(
                all.into_iter()
                    .filter(|(_, p, _)| g.as_ref().is_some_and(|s| s.covers_path(p)))
                    .map(|(id, _, _)| id)
                    .collect(),
            )
        }
        _ => None,
    };
    let mut tx = app.db.begin().await?;
    let moved = move_waiting_in(app, &mut tx, corp, from, to, scope.as_deref()).await?;
    qixie_kernel::audit::record(
        &mut tx,
        actor,
        app.now(),
        qixie_kernel::audit::Entry {
            kind: "approval.hand_over",
            target: from.to_string(),
            before: None,
            after: Some(serde_json::json!({"to": to, "moved": moved})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(moved as i64)
}

/// Offboarding's hand-over of approvals.
pub struct ApprovalHandover;

impl Handover for ApprovalHandover {
    fn module(&self) -> &'static str {
        "approvals"
    }
    fn hand_over<'a>(
        &'a self,
        app: &'a AppState,
        tx: &'a mut Tx,
        corp: CorpId,
        from: MemberId,
        to: MemberId,
    ) -> HandoverFuture<'a> {
        Box::pin(async move { move_waiting_in(app, tx, corp, from.0, to.0, None).await })
    }
}

pub fn handover() -> Arc<dyn Handover> {
    Arc::new(ApprovalHandover)
}
