//! Modules above approvals that follow the applications of a built-in template (attendance follows
//! leave, overtime and make-up clock-in). A follower may check an application's values before it is
//! written (a leave beyond the balance is refused at submission), and hears every change through a
//! durable job queued in the change's own transaction, so no approved leave is ever missed.
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use qixie_kernel::AppState;
use qixie_kernel::db::Tx;
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::CorpId;
use qixie_kernel::jobs;

use crate::form::FormValues;

pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = AppResult<()>> + Send + 'a>>;

pub trait Follower: Send + Sync {
    /// The built-in template followed (`leave`, `overtime`, `punch_correction`).
    fn builtin(&self) -> &'static str;
    /// The job kind queued for each change; its payload is a [`Change`].
    fn job(&self) -> &'static str;
    /// Refuses an application before it is written: a field error names the value at fault.
    fn check<'a>(
        &'a self,
        _app: &'a AppState,
        _corp: CorpId,
        _applicant: i64,
        _values: &'a FormValues,
    ) -> CheckFuture<'a> {
        Box::pin(async { Ok(()) })
    }
}

/// One change of a followed application, as its job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    pub sp_no: String,
    /// WeCom's sp_status: 1 pending, 2 approved, 3 rejected, 4 withdrawn, 5 returned to the
    /// applicant.
    pub status: i64,
    /// WeCom's StatuChangeEvent.
    pub change: i64,
}

#[derive(Default)]
pub struct Followers {
    list: Vec<Arc<dyn Follower>>,
}

impl Followers {
    pub fn register(&mut self, f: Arc<dyn Follower>) {
        self.list.push(f);
    }
    fn of<'a>(&'a self, builtin: Option<&'a str>) -> impl Iterator<Item = &'a Arc<dyn Follower>> {
        self.list
            .iter()
            .filter(move |f| Some(f.builtin()) == builtin)
    }
}

/// Every follower's check of an application of `builtin`.
pub async fn check(
    app: &AppState,
    corp: CorpId,
    builtin: Option<&str>,
    applicant: i64,
    values: &FormValues,
) -> AppResult<()> {
    for f in app.runtime::<Followers>().of(builtin) {
        f.check(app, corp, applicant, values).await?;
    }
    Ok(())
}

/// Queues each follower's job for a change, inside the change's transaction.
pub async fn queue(
    tx: &mut Tx,
    app: &AppState,
    corp: CorpId,
    builtin: Option<&str>,
    change: &Change,
) -> AppResult<()> {
    let payload = serde_json::to_value(change).map_err(qixie_kernel::error::AppError::internal)?;
    let now = app.now();
    for f in app.runtime::<Followers>().of(builtin) {
        jobs::enqueue(tx, now, Some(corp), f.job(), &payload, now, None).await?;
    }
    Ok(())
}
