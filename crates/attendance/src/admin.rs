//! What administrators change besides rules: a day's status corrected with a reason, field
//! clock-ins reviewed, the enterprise's settings. Each change is audited.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, Grant, ReadScope, perm};
use qixie_kernel::db::sql;
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason, Validator};
use qixie_kernel::ids::MemberId;
use serde_json::json;

use crate::clockin::{STORED_COLUMNS, StoredClockIn, StoredRow, stored};
use crate::date;
use crate::days;
use crate::settings::{self, Settings};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionInput {
    /// normal, late, early, missing, absent, leave, field or rest; null removes a correction.
    pub status: Option<String>,
    pub reason: String,
}

/// The member a userid names, if the reader's scope covers them; 404 otherwise (a member outside
/// the scope is not revealed).
pub async fn member_in_scope(app: &AppState, reads: &ReadScope, userid: &str) -> AppResult<i64> {
    let corp = reads.corp();
    let id = qixie_org::people::ids_of(&app.db, corp, &[userid.to_owned()])
        .await?
        .pop()
        .flatten()
        .ok_or(ErrorKind::MemberNotFound)?;
    let person = qixie_org::people::person(&app.db, corp, MemberId(id))
        .await?
        .ok_or(ErrorKind::MemberNotFound)?;
    let paths: Vec<String> = person.departments.into_iter().map(|(_, p)| p).collect();
    if !reads.covers_any(&paths) {
        return Err(ErrorKind::MemberNotFound.into());
    }
    Ok(id)
}

/// A member the grant may change: in its scope (else 404) and not an administrator of equal or
/// wider rights (the rank rule).
async fn managed(
    app: &AppState,
    grant: &Grant<perm::AttendanceManage>,
    userid: &str,
) -> AppResult<i64> {
    let member = member_in_scope(app, &grant.reads(), userid).await?;
    let rank = qixie_org::grants::rank_of(&app.db, grant.corp(), MemberId(member)).await?;
    grant.check_outranks(MemberId(member), rank.as_ref())?;
    Ok(member)
}

/// Sets (or clears) an administrator's status for a member's day, which stands until cleared.
pub async fn correct(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::AttendanceManage>,
    userid: &str,
    day: &str,
    input: &CorrectionInput,
) -> AppResult<()> {
    // Who first: a member outside the scope is not revealed by a complaint about the date.
    let member = managed(app, grant, userid).await?;
    let mut v = Validator::default();
    let date = date::parse(day);
    v.check(date.is_some(), "date", FieldReason::Format);
    if let Some(s) = &input.status {
        v.check(days::correctable(s), "status", FieldReason::Unknown);
    }
    let reason = input.reason.trim();
    v.check(!reason.is_empty(), "reason", FieldReason::Required);
    v.check(
        reason.chars().count() <= 200,
        "reason",
        FieldReason::TooLong,
    );
    v.finish()?;
    let Some(date) = date else {
        return Err(AppError::field("date", FieldReason::Format));
    };
    let corp = actor.corp;
    let zone = crate::plan::corp_zone(app, corp).await?;
    if date > crate::date::from_epoch_day(zone.local(app.now()).day) {
        return Err(AppError::field("date", FieldReason::Range));
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    // The day must have a stored result to carry the correction.
    crate::days::recompute(&mut tx, app, corp, member, date, date).await?;
    let before: Option<(String, Option<String>)> = tx
        .opt(
            sql("SELECT status, corrected_status FROM attendance_days WHERE member_id = $1 AND day = $2")
                .bind(member)
                .bind(date::key(date)),
        )
        .await?;
    tx.exec(
        sql("UPDATE attendance_days SET corrected_status = $1, corrected_by = $2, corrected_reason = $3, updated_at = $4 WHERE member_id = $5 AND day = $6")
            .bind(input.status.clone())
            .bind(actor.member_id().map(|m| m.0))
            .bind(reason)
            .bind(now)
            .bind(member)
            .bind(date::key(date)),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "attendance.day.correct",
            target: format!("{userid} {day}"),
            before: before.map(|(s, c)| json!({"status": s, "corrected_status": c})),
            after: Some(json!({"corrected_status": input.status, "reason": reason})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldReview {
    pub userid: String,
    pub name: String,
    #[serde(flatten)]
    pub clock_in: StoredClockIn,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldReviews {
    pub items: Vec<FieldReview>,
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    member_id: i64,
    #[sqlx(flatten)]
    row: StoredRow,
}

/// Field clock-ins with a review status (pending, accepted, refused), newest first, within scope.
pub async fn field_reviews(
    app: &AppState,
    reads: &ReadScope,
    status: &str,
) -> AppResult<FieldReviews> {
    if !matches!(status, "pending" | "accepted" | "refused") {
        return Err(AppError::field("status", FieldReason::Unknown));
    }
    let corp = reads.corp();
    let rows: Vec<ReviewRow> = app
        .db
        .all(
            sql(format!(
                "SELECT member_id, {STORED_COLUMNS} FROM attendance_clock_ins WHERE corp_id = $1 AND field = TRUE AND review = $2 ORDER BY at DESC LIMIT 500"
            ))
            .bind(corp)
            .bind(status),
        )
        .await?;
    let people = crate::results::people_in(app, reads, None).await?;
    let by_id: std::collections::HashMap<i64, &qixie_org::people::Person> =
        people.iter().map(|p| (p.id, p)).collect();
    Ok(FieldReviews {
        items: rows
            .into_iter()
            .filter_map(|r| {
                let p = by_id.get(&r.member_id)?;
                Some(FieldReview {
                    userid: p.userid.clone(),
                    name: p.name.clone(),
                    clock_in: stored(r.row),
                })
            })
            .collect(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub accept: bool,
    #[serde(default)]
    pub note: String,
}

/// Accepts or refuses a field clock-in. A refused one no longer counts for the day.
pub async fn review(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::AttendanceManage>,
    id: i64,
    input: &ReviewInput,
) -> AppResult<()> {
    if input.note.chars().count() > 200 {
        return Err(AppError::field("note", FieldReason::TooLong));
    }
    let corp = actor.corp;
    let row: Option<(i64, i64, bool)> = app
        .db
        .opt(
            sql("SELECT member_id, day, field FROM attendance_clock_ins WHERE id = $1 AND corp_id = $2")
                .bind(id)
                .bind(corp),
        )
        .await?;
    let Some((member, day, true)) = row else {
        return Err(ErrorKind::NotFound.into());
    };
    let userid = qixie_org::member::lookup::cards(&app.db, corp, &[member])
        .await?
        .get(&member)
        .map(|c| c.userid.clone())
        .ok_or(ErrorKind::NotFound)?;
    member_in_scope(app, &grant.reads(), &userid)
        .await
        .map_err(|_| AppError::new(ErrorKind::NotFound))?;
    let rank = qixie_org::grants::rank_of(&app.db, corp, MemberId(member)).await?;
    grant.check_outranks(MemberId(member), rank.as_ref())?;
    let now = app.now();
    let verdict = if input.accept { "accepted" } else { "refused" };
    let mut tx = app.db.begin().await?;
    tx.exec(
        sql("UPDATE attendance_clock_ins SET review = $1 WHERE id = $2")
            .bind(verdict)
            .bind(id),
    )
    .await?;
    if let Some(d) = date::from_key(day) {
        crate::days::recompute(&mut tx, app, corp, member, d, d).await?;
    }
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "attendance.field.review",
            target: format!("{userid} {id}"),
            before: None,
            after: Some(json!({"review": verdict, "note": input.note})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes the enterprise's settings.
pub async fn put_settings(app: &AppState, actor: &Actor, s: &Settings) -> AppResult<Settings> {
    s.check()?;
    let now = app.now();
    let before = settings::get(&app.db, actor.corp).await?;
    let mut tx = app.db.begin().await?;
    settings::put(&mut tx, actor.corp, s, now).await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "attendance.settings.update",
            target: String::new(),
            before: Some(serde_json::to_value(&before).map_err(AppError::internal)?),
            after: Some(serde_json::to_value(s).map_err(AppError::internal)?),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(s.clone())
}
