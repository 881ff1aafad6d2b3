//! Leave (假期): types, each member's balances as lots with a ledger of every change, the national
//! annual-leave rule, the approvals of the built-in leave and overtime templates, and what WeCom's
//! vacation calls read and write (docs/api/attendance.md "Leave").
pub mod balance;
pub mod duration;
pub mod follower;
pub mod http;
pub mod quota;
pub mod types;
pub mod working;

use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, Grant, perm};
use qixie_kernel::error::{AppError, AppResult};
use qixie_kernel::ids::CorpId;

use balance::{Book, Who, left_of};
use types::TypeRow;

/// One type's balance of a member, in minutes.
#[derive(Debug, Clone)]
pub struct Quota {
    pub leave_type: TypeRow,
    /// What the open lots hold.
    pub granted: i64,
    pub used: i64,
    pub left: i64,
}

/// The enterprise's leave types (the built-in ones made on first use).
pub async fn corp_types(app: &AppState, corp: CorpId) -> AppResult<Vec<TypeRow>> {
    Ok(Book::load(app, corp).await?.types)
}

/// A member's balance of each enabled type, brought up to today, in minutes.
pub async fn member_quotas(
    app: &AppState,
    grant: &Grant<perm::AttendanceManage>,
    member: i64,
) -> AppResult<Vec<Quota>> {
    let book = Book::load(app, grant.corp()).await?;
    book.upkeep(app, &[member]).await?;
    let rows: Vec<(String, Option<i64>, Option<i64>)> = app
        .db
        .all(
            qixie_kernel::db::sql("SELECT leave_type, CAST(SUM(amount) AS BIGINT), CAST(SUM(used) AS BIGINT) FROM leave_lots WHERE corp_id = $1 AND member_id = $2 AND closed = FALSE GROUP BY leave_type")
                .bind(grant.corp())
                .bind(member),
        )
        .await?;
    Ok(book
        .types
        .iter()
        .filter(|t| t.enabled)
        .map(|t| {
            let (granted, used) = rows
                .iter()
                .find(|(k, _, _)| *k == t.type_key)
                .map(|(_, a, u)| (a.unwrap_or(0), u.unwrap_or(0)))
                .unwrap_or((0, 0));
            Quota {
                leave_type: t.clone(),
                granted,
                used,
                left: granted - used,
            }
        })
        .collect())
}

/// Sets what a member has left of a type (WeCom's setoneuserquota): the difference is an
/// adjustment in the ledger with `remarks`, by `actor`; audited.
pub async fn set_left(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::AttendanceManage>,
    member: i64,
    userid: &str,
    leave_type: &str,
    left: i64,
    remarks: &str,
) -> AppResult<()> {
    let book = Book::load(app, grant.corp()).await?;
    let t = book.enabled(leave_type, "vacation_id")?.clone();
    if !t.limited() {
        return Err(AppError::field(
            "vacation_id",
            qixie_kernel::error::FieldReason::Unsupported,
        ));
    }
    book.upkeep(app, &[member]).await?;
    let mut tx = app.db.begin().await?;
    let before = left_of(&mut tx, member, &t.type_key).await?;
    let delta = left - before;
    if delta != 0 {
        book.adjust(&mut tx, member, &t, delta, remarks, &Who::of(actor))
            .await?;
    }
    record_adjust(&mut tx, actor, &book, userid, &t, before, delta, remarks).await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn record_adjust(
    tx: &mut qixie_kernel::db::Tx,
    actor: &Actor,
    book: &Book,
    userid: &str,
    t: &TypeRow,
    before: i64,
    delta: i64,
    reason: &str,
) -> AppResult<()> {
    audit::record(
        tx,
        actor,
        book.now,
        Entry {
            kind: "attendance.leave.adjust",
            target: format!("member:{userid}"),
            before: Some(serde_json::json!({"leave_type": t.type_key, "left": t.shown(before)})),
            after: Some(serde_json::json!({
                "leave_type": t.type_key,
                "left": t.shown(before + delta),
                "delta": t.shown(delta),
                "reason": reason,
            })),
        },
    )
    .await
}
