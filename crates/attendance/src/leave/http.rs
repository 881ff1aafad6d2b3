//! Routes of leave (docs/api/attendance.md "Leave"): the member's own balances, ledger and the
//! leave form's preview under `/attendance/me`, the administrators' types, balances, adjustments
//! and member dates.
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, Grant, perm};
use qixie_kernel::db::sql;
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason, Validator};
use qixie_kernel::http::extract::{Allowed, Authed, Body};
use qixie_kernel::http::openapi::{ApiRoutes, routes};
use qixie_org::member::{self, ListFilter, Member};

use super::balance::{
    self, Balance, Book, LedgerEntry, LedgerPage, MemberDates, Who, balances, dates_of,
    ledger_page, left_of, pending_of,
};
use super::duration;
use super::follower::count_leave;
use super::quota::minutes_of;
use super::types::{self, LeaveType, LeaveTypeInput, LeaveTypeList};
use crate::date;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .typed(routes!(my_balances))
        .typed(routes!(my_ledger))
        .typed(routes!(leave_preview))
        .typed(routes!(list_types, create_type))
        .typed(routes!(update_type))
        .typed(routes!(member_balances))
        .typed(routes!(adjust))
        .typed(routes!(member_ledger))
        .typed(routes!(member_dates, set_member_dates))
}

fn member_of(actor: &Actor) -> AppResult<i64> {
    actor
        .member_id()
        .map(|m| m.0)
        .ok_or_else(|| ErrorKind::Forbidden.into())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceList {
    pub items: Vec<Balance>,
}

#[utoipa::path(get, path = "/attendance/me/balances", tag = "attendance",
    summary = "The member's leave balances",
    responses((status = 200, body = BalanceList)))]
async fn my_balances(
    State(app): State<AppState>,
    Authed(actor): Authed,
) -> AppResult<Json<BalanceList>> {
    let me = member_of(&actor)?;
    let book = Book::load(&app, actor.corp).await?;
    book.upkeep(&app, &[me]).await?;
    let items = balances(&app.db, &book, &[me])
        .await?
        .remove(&me)
        .unwrap_or_default();
    Ok(Json(BalanceList { items }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// One type only.
    pub leave_type: Option<String>,
    /// The `next` of the previous page.
    pub before: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

async fn ledger_of(
    app: &AppState,
    book: &Book,
    member: i64,
    q: &LedgerQuery,
) -> AppResult<LedgerPage> {
    let mut v = Validator::default();
    let before = match q.before.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let b = s.parse::<i64>().ok();
            v.check(b.is_some(), "before", FieldReason::Format);
            b
        }
    };
    let limit = q.limit.unwrap_or(50);
    v.check((1..=200).contains(&limit), "limit", FieldReason::Range);
    let key = q.leave_type.as_deref().filter(|s| !s.is_empty());
    v.check(
        key.is_none_or(|k| book.get(k).is_some()),
        "leave_type",
        FieldReason::Unknown,
    );
    v.finish()?;
    ledger_page(&app.db, book, member, key, before, limit).await
}

#[utoipa::path(get, path = "/attendance/me/ledger", tag = "attendance",
    summary = "The member's balance changes, newest first", params(LedgerQuery),
    responses((status = 200, body = LedgerPage)))]
async fn my_ledger(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Query(q): Query<LedgerQuery>,
) -> AppResult<Json<LedgerPage>> {
    let me = member_of(&actor)?;
    let book = Book::load(&app, actor.corp).await?;
    book.upkeep(&app, &[me]).await?;
    Ok(Json(ledger_of(&app, &book, me, &q).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewInput {
    pub leave_type: String,
    /// The leave form's period start: "YYYY-MM-DD am|pm" (or a date, or "YYYY-MM-DD HH:MM").
    pub from: String,
    /// The period's end, in the same forms.
    pub to: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Preview {
    /// On the member's own working days, in the unit (days for day and half-day types).
    pub duration: f64,
    pub unit: String,
    /// null for a type without a balance.
    pub left: Option<f64>,
    /// Held by the member's requests waiting for approval.
    pub pending: f64,
    /// Whether the balance (less what is pending) covers it; true for a type without a balance.
    pub enough: bool,
}

#[utoipa::path(post, path = "/attendance/me/leave-preview", tag = "attendance",
    summary = "How long a leave would be and what is left", request_body = PreviewInput,
    responses((status = 200, body = Preview)))]
async fn leave_preview(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<PreviewInput>,
) -> AppResult<Json<Preview>> {
    let me = member_of(&actor)?;
    let book = Book::load(&app, actor.corp).await?;
    let mut v = Validator::default();
    let t = book.get(&input.leave_type).filter(|t| t.enabled).cloned();
    v.check(t.is_some(), "leave_type", FieldReason::Unknown);
    let w = duration::window(&book.zone, &input.from, &input.to);
    if w.is_none() {
        if !duration::valid_end(&input.from) {
            v.push("from", FieldReason::Format);
        } else if !duration::valid_end(&input.to) {
            v.push("to", FieldReason::Format);
        } else {
            v.push("to", FieldReason::BeforeStart);
        }
    }
    v.finish()?;
    let (Some(t), Some(w)) = (t, w) else {
        return Err(ErrorKind::Internal.into());
    };
    let c = count_leave(&app, &book, me, &t, &w).await?;
    let (left, pending) = if t.limited() {
        book.upkeep(&app, &[me]).await?;
        (
            Some(left_of(&app.db, me, &t.type_key).await?),
            pending_of(&app.db, me, &t.type_key).await?,
        )
    } else {
        (None, 0)
    };
    Ok(Json(Preview {
        duration: t.shown(c.amount),
        unit: t.unit().name().into(),
        left: left.map(|l| t.shown(l)),
        pending: t.shown(pending),
        enough: left.is_none_or(|l| c.amount <= l - pending),
    }))
}

#[utoipa::path(get, path = "/attendance/leave-types", tag = "attendance",
    summary = "The enterprise's leave types",
    responses((status = 200, body = LeaveTypeList)))]
async fn list_types(
    State(app): State<AppState>,
    Allowed { grant, .. }: Allowed<perm::AttendanceManage>,
) -> AppResult<Json<LeaveTypeList>> {
    let book = Book::load(&app, grant.corp()).await?;
    Ok(Json(LeaveTypeList {
        items: book.types.iter().map(types::TypeRow::view).collect(),
    }))
}

#[utoipa::path(post, path = "/attendance/leave-types", tag = "attendance",
    summary = "Add a leave type", request_body = LeaveTypeInput,
    responses((status = 201, body = LeaveType)))]
async fn create_type(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Body(input): Body<LeaveTypeInput>,
) -> AppResult<(StatusCode, Json<LeaveType>)> {
    let row = types::create(&app, &actor, &grant, &input).await?;
    Ok((StatusCode::CREATED, Json(row.view())))
}

#[utoipa::path(put, path = "/attendance/leave-types/{key}", tag = "attendance",
    summary = "Change a leave type (all of it)", request_body = LeaveTypeInput,
    responses((status = 200, body = LeaveType)))]
async fn update_type(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Path(key): Path<String>,
    Body(input): Body<LeaveTypeInput>,
) -> AppResult<Json<LeaveType>> {
    Ok(Json(
        types::update(&app, &actor, &grant, &key, &input)
            .await?
            .view(),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BalancesQuery {
    /// Members of this department and its sub-departments.
    pub department_id: Option<i64>,
    /// One member.
    pub userid: Option<String>,
    pub offset: Option<i64>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberBalances {
    pub userid: String,
    pub name: String,
    pub balances: Vec<Balance>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberBalancesPage {
    pub items: Vec<MemberBalances>,
    pub total: i64,
}

/// A member in the administrator's scope (404 unknown, 403 outside the scope).
async fn in_scope(
    app: &AppState,
    grant: &Grant<perm::AttendanceManage>,
    userid: &str,
) -> AppResult<Member> {
    member::get(&app.db, &grant.reads(), userid).await
}

#[utoipa::path(get, path = "/attendance/balances", tag = "attendance",
    summary = "Balances of the members in scope", params(BalancesQuery),
    responses((status = 200, body = MemberBalancesPage)))]
async fn member_balances(
    State(app): State<AppState>,
    Allowed { grant, .. }: Allowed<perm::AttendanceManage>,
    Query(q): Query<BalancesQuery>,
) -> AppResult<Json<MemberBalancesPage>> {
    let limit = q.limit.unwrap_or(50);
    let offset = q.offset.unwrap_or(0);
    let mut v = Validator::default();
    v.check((1..=200).contains(&limit), "limit", FieldReason::Range);
    v.check(offset >= 0, "offset", FieldReason::Range);
    v.finish()?;
    let (members, total) = match q.userid.as_deref().filter(|u| !u.is_empty()) {
        Some(u) => (vec![in_scope(&app, &grant, u).await?], 1),
        None => {
            let f = ListFilter {
                department_id: q.department_id,
                recursive: Some(true),
                offset: Some(offset),
                limit: Some(limit),
                ..ListFilter::default()
            };
            member::list(&app.db, &grant.reads(), &f).await?
        }
    };
    let ids: Vec<i64> = members.iter().map(|m| m.id.0).collect();
    let book = Book::load(&app, grant.corp()).await?;
    book.upkeep(&app, &ids).await?;
    let mut all = balances(&app.db, &book, &ids).await?;
    Ok(Json(MemberBalancesPage {
        items: members
            .into_iter()
            .map(|m| MemberBalances {
                balances: all.remove(&m.id.0).unwrap_or_default(),
                userid: m.userid,
                name: m.name,
            })
            .collect(),
        total,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustInput {
    pub userid: String,
    pub leave_type: String,
    /// In the type's unit, one decimal; negative to take away (not below zero).
    pub delta: f64,
    /// 1–200 characters; shown in the member's ledger.
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Adjusted {
    pub balance: Balance,
    pub entry: LedgerEntry,
}

#[utoipa::path(post, path = "/attendance/balances/adjust", tag = "attendance",
    summary = "Change a member's balance, with a reason (audited)", request_body = AdjustInput,
    responses((status = 200, body = Adjusted)))]
async fn adjust(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Body(input): Body<AdjustInput>,
) -> AppResult<Json<Adjusted>> {
    let book = Book::load(&app, grant.corp()).await?;
    let mut v = Validator::default();
    v.check(
        !input.userid.trim().is_empty(),
        "userid",
        FieldReason::Required,
    );
    let t = book.get(&input.leave_type).filter(|t| t.enabled).cloned();
    match &t {
        None => v.push("leave_type", FieldReason::Unknown),
        Some(t) if !t.limited() => v.push("leave_type", FieldReason::Unsupported),
        Some(_) => {}
    }
    let delta = t
        .as_ref()
        .and_then(|t| minutes_of(input.delta, t.unit(), t.day_minutes).map(|m| (t, m)));
    match delta {
        Some((t, m)) if m == 0 || m.abs() > types::MAX_DAYS * t.day_minutes => {
            v.push("delta", FieldReason::Range)
        }
        None if t.is_some() => v.push("delta", FieldReason::Format),
        _ => {}
    }
    let reason = input.reason.trim();
    if reason.is_empty() {
        v.push("reason", FieldReason::Required);
    } else if reason.chars().count() > 200 {
        v.push("reason", FieldReason::TooLong);
    }
    v.finish()?;
    let (Some(t), Some((_, delta))) = (t.clone(), delta) else {
        return Err(ErrorKind::Internal.into());
    };
    let m = match in_scope(&app, &grant, input.userid.trim()).await {
        Err(e) if e.kind == ErrorKind::MemberNotFound => {
            return Err(AppError::field("userid", FieldReason::NotFound));
        }
        other => other?,
    };
    let member = m.id.0;
    book.upkeep(&app, &[member]).await?;
    let mut tx = app.db.begin().await?;
    let before = left_of(&mut tx, member, &t.type_key).await?;
    let id = book
        .adjust(&mut tx, member, &t, delta, reason, &Who::of(&actor))
        .await?;
    super::record_adjust(&mut tx, &actor, &book, &m.userid, &t, before, delta, reason).await?;
    tx.commit().await?;
    let balance = balances(&app.db, &book, &[member])
        .await?
        .remove(&member)
        .and_then(|all| all.into_iter().find(|b| b.leave_type == t.type_key))
        .ok_or(ErrorKind::Internal)?;
    let entry = ledger_page(&app.db, &book, member, Some(&t.type_key), Some(id + 1), 1)
        .await?
        .items
        .into_iter()
        .next()
        .ok_or(ErrorKind::Internal)?;
    Ok(Json(Adjusted { balance, entry }))
}

#[utoipa::path(get, path = "/attendance/balances/{userid}/ledger", tag = "attendance",
    summary = "One member's balance changes, newest first", params(LedgerQuery),
    responses((status = 200, body = LedgerPage)))]
async fn member_ledger(
    State(app): State<AppState>,
    Allowed { grant, .. }: Allowed<perm::AttendanceManage>,
    Path(userid): Path<String>,
    Query(q): Query<LedgerQuery>,
) -> AppResult<Json<LedgerPage>> {
    let m = in_scope(&app, &grant, &userid).await?;
    let book = Book::load(&app, grant.corp()).await?;
    book.upkeep(&app, &[m.id.0]).await?;
    Ok(Json(ledger_of(&app, &book, m.id.0, &q).await?))
}

/// The dates the annual rule reads for a member.
#[derive(Debug, Serialize, ToSchema)]
pub struct Dates {
    pub userid: String,
    /// Joined the enterprise ("YYYY-MM-DD").
    pub joined_on: String,
    /// Started work at all: cumulative years of work count from here.
    pub work_started_on: String,
    /// false: not set yet, both are the day the member was added.
    pub set: bool,
}

fn dates_view(userid: String, d: &MemberDates) -> Dates {
    Dates {
        userid,
        joined_on: date::format(d.joined_on),
        work_started_on: date::format(d.work_started_on),
        set: d.set,
    }
}

#[utoipa::path(get, path = "/attendance/balances/{userid}/dates", tag = "attendance",
    summary = "A member's joining and work-start dates (annual leave)",
    responses((status = 200, body = Dates)))]
async fn member_dates(
    State(app): State<AppState>,
    Allowed { grant, .. }: Allowed<perm::AttendanceManage>,
    Path(userid): Path<String>,
) -> AppResult<Json<Dates>> {
    let m = in_scope(&app, &grant, &userid).await?;
    let book = Book::load(&app, grant.corp()).await?;
    let d = dates_of(&app, &book, m.id.0).await?;
    Ok(Json(dates_view(m.userid, &d)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DatesInput {
    /// "YYYY-MM-DD".
    pub joined_on: String,
    /// "YYYY-MM-DD", not after joined_on.
    pub work_started_on: String,
}

#[utoipa::path(put, path = "/attendance/balances/{userid}/dates", tag = "attendance",
    summary = "Set a member's joining and work-start dates; this year's annual leave follows (audited)",
    request_body = DatesInput,
    responses((status = 200, body = Dates)))]
async fn set_member_dates(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Path(userid): Path<String>,
    Body(input): Body<DatesInput>,
) -> AppResult<Json<Dates>> {
    let mut v = Validator::default();
    let plausible = |d: Option<jiff::civil::Date>| d.filter(|d| d.year() >= 1900);
    let joined = plausible(date::parse(input.joined_on.trim()));
    let started = plausible(date::parse(input.work_started_on.trim()));
    v.check(joined.is_some(), "joined_on", FieldReason::Format);
    v.check(started.is_some(), "work_started_on", FieldReason::Format);
    if let (Some(j), Some(s)) = (joined, started) {
        v.check(s <= j, "work_started_on", FieldReason::Range);
    }
    v.finish()?;
    let (Some(joined_on), Some(work_started_on)) = (joined, started) else {
        return Err(ErrorKind::Internal.into());
    };
    let m = in_scope(&app, &grant, &userid).await?;
    let member = m.id.0;
    let book = Book::load(&app, grant.corp()).await?;
    let before = dates_of(&app, &book, member).await?;
    let after = MemberDates {
        joined_on,
        work_started_on,
        set: true,
    };
    let mut tx = app.db.begin().await?;
    tx.exec(
        sql("INSERT INTO leave_member_dates (member_id, corp_id, joined_on, work_started_on, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (member_id) DO UPDATE SET joined_on = excluded.joined_on, work_started_on = excluded.work_started_on, updated_at = excluded.updated_at")
            .bind(member)
            .bind(grant.corp())
            .bind(date::key(joined_on))
            .bind(date::key(work_started_on))
            .bind(book.now),
    )
    .await?;
    balance::regrant_annual(&book, &mut tx, member, &after).await?;
    let shown = |d: &MemberDates| serde_json::json!({"joined_on": date::format(d.joined_on), "work_started_on": date::format(d.work_started_on)});
    audit::record(
        &mut tx,
        &actor,
        book.now,
        Entry {
            kind: "attendance.leave.dates",
            target: format!("member:{}", m.userid),
            before: before.set.then(|| shown(&before)),
            after: Some(shown(&after)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Json(dates_view(m.userid, &after)))
}
