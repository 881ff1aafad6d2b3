//! Offboarding hand-over (离职继承): each module that owns things on a member's behalf registers a
//! hand-over; offboarding runs them all in its transaction, and deleting a member runs their
//! `forget` step.
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::tree_cache::TreeCache;
use qixie_kernel::AppState;
use qixie_kernel::db::{Tx, sql};
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::{CorpId, MemberId};

pub type HandoverFuture<'a> = Pin<Box<dyn Future<Output = AppResult<u64>> + Send + 'a>>;

pub trait Handover: Send + Sync {
    /// The name shown in the hand-over report.
    fn module(&self) -> &'static str;
    /// Passes what `from` owns to `to`; returns how many things moved. What must be announced goes
    /// into `tx`'s outbox (`app` for the announcing).
    fn hand_over<'a>(
        &'a self,
        app: &'a AppState,
        tx: &'a mut Tx,
        corp: CorpId,
        from: MemberId,
        to: MemberId,
    ) -> HandoverFuture<'a>;
    /// Deleting a member (no successor): removes what was theirs alone and whatever refers to them,
    /// so the member's record can go while what others still need (messages they sent) stays.
    fn forget<'a>(
        &'a self,
        _app: &'a AppState,
        _tx: &'a mut Tx,
        _corp: CorpId,
        _member: MemberId,
    ) -> HandoverFuture<'a> {
        Box::pin(async { Ok(0) })
    }
}

#[derive(Default)]
pub struct OffboardingRegistry {
    handovers: Vec<Arc<dyn Handover>>,
}

impl OffboardingRegistry {
    pub fn register(&mut self, h: Arc<dyn Handover>) {
        self.handovers.push(h);
    }
    pub fn handovers(&self) -> &[Arc<dyn Handover>] {
        &self.handovers
    }
}

/// The departing member's direct reports now report to the successor.
pub struct DirectReports;

impl Handover for DirectReports {
    fn module(&self) -> &'static str {
        "direct_reports"
    }
    fn hand_over<'a>(
        &'a self,
        _app: &'a AppState,
        tx: &'a mut Tx,
        corp: CorpId,
        from: MemberId,
        to: MemberId,
    ) -> HandoverFuture<'a> {
        Box::pin(async move {
            Ok(tx.exec(sql("UPDATE members SET leader_id = $1 WHERE corp_id = $2 AND leader_id = $3 AND id <> $1").bind(to).bind(corp).bind(from)).await?)
        })
    }
}

/// Departments the member led are now led by the successor.
pub struct DepartmentLeadership;

impl Handover for DepartmentLeadership {
    fn module(&self) -> &'static str {
        "department_leaders"
    }
    fn hand_over<'a>(
        &'a self,
        app: &'a AppState,
        tx: &'a mut Tx,
        corp: CorpId,
        from: MemberId,
        to: MemberId,
    ) -> HandoverFuture<'a> {
        Box::pin(async move {
            // The tree shows leaders: it is forgotten when they change.
            TreeCache::of(app).invalidate_after_commit(tx, corp);
            let depts: Vec<(i64,)> = tx.all(sql("SELECT department_id FROM department_leaders WHERE corp_id = $1 AND member_id = $2").bind(corp).bind(from)).await?;
            for (d,) in &depts {
                tx.exec(sql("INSERT INTO department_leaders (corp_id, department_id, member_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING").bind(corp).bind(*d).bind(to)).await?;
            }
            tx.exec(
                sql("DELETE FROM department_leaders WHERE corp_id = $1 AND member_id = $2")
                    .bind(corp)
                    .bind(from),
            )
            .await?;
            Ok(depts.len() as u64)
        })
    }
}
