//! Routes of the attendance API (docs/api/attendance.md), under `/attendance`: the member's own
//! (`me/…`, clocking in), a leader's (`team/…`), and the administrators' (rules, schedules,
//! results, corrections, exports, settings) with `attendance.manage`.
use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, perm};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::http::extract::{Allowed, Authed, Body};
use qixie_kernel::http::files::{Show, file_response};
use qixie_kernel::http::openapi::{ApiRoutes, routes};

use crate::admin::{self, CorrectionInput, FieldReviews, ReviewInput};
use crate::clockin::{self, ClockInAnswer, ClockInInput, StoredClockIn};
use crate::date;
use crate::days::{self, MonthView};
use crate::export;
use crate::plan;
use crate::result::SectionResult;
use crate::results::{self, DailyList, MonthlyList, ResultsQuery};
use crate::rule::store::{self, Writer};
use crate::rule::{Rule, RuleInput};
use crate::schedule::{self, ScheduleGrid, ScheduleInput};
use crate::settings::{self, Settings};

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .merge(crate::holidays_http::routes())
        .merge(crate::leave::http::routes())
        .typed(routes!(list_rules, create_rule))
        .typed(routes!(get_rule, replace_rule, delete_rule))
        .typed(routes!(get_schedule, set_schedule))
        .typed(routes!(import_schedule))
        .typed(routes!(export_schedule))
        .typed(routes!(today))
        .typed(routes!(clock_in))
        .typed(routes!(my_month))
        .typed(routes!(my_clock_ins))
        .typed(routes!(team_month))
        .typed(routes!(daily_results))
        .typed(routes!(monthly_results))
        .typed(routes!(member_month))
        .typed(routes!(correct_day))
        .typed(routes!(export_monthly))
        .typed(routes!(export_daily))
        .typed(routes!(field_reviews))
        .typed(routes!(review_field))
        .typed(routes!(get_settings, put_settings))
}

fn member_of(actor: &Actor) -> AppResult<i64> {
    actor
        .member_id()
        .map(|m| m.0)
        .ok_or_else(|| ErrorKind::Forbidden.into())
}

fn rule_pk(id: &str) -> AppResult<i64> {
    id.parse()
        .map_err(|_| ErrorKind::AttendanceRuleNotFound.into())
}

fn month_of(
    month: Option<&str>,
    today: jiff::civil::Date,
) -> AppResult<(jiff::civil::Date, jiff::civil::Date)> {
    match month {
        Some(m) => {
            date::parse_month(m).ok_or_else(|| AppError::field("month", FieldReason::Format))
        }
        None => Ok((today.first_of_month(), today.last_of_month())),
    }
}

async fn today_of(app: &AppState, actor: &Actor) -> AppResult<jiff::civil::Date> {
    let zone = plan::corp_zone(app, actor.corp).await?;
    Ok(date::from_epoch_day(zone.local(app.now()).day))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleList {
    pub items: Vec<Rule>,
}

#[utoipa::path(get, path = "/attendance/rules", tag = "attendance",
    summary = "The enterprise's attendance rules",
    responses((status = 200, body = RuleList)))]
async fn list_rules(
    State(app): State<AppState>,
    Allowed { actor, .. }: Allowed<perm::AttendanceManage>,
) -> AppResult<Json<RuleList>> {
    let rules = store::corp_rules(&app, actor.corp).await?;
    Ok(Json(RuleList {
        items: rules.rules.iter().map(|r| (**r).clone()).collect(),
    }))
}

#[utoipa::path(post, path = "/attendance/rules", tag = "attendance",
    summary = "Create an attendance rule", request_body = RuleInput,
    responses((status = 201, body = Rule)))]
async fn create_rule(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Body(input): Body<RuleInput>,
) -> AppResult<(StatusCode, Json<Rule>)> {
    let w = Writer {
        actor: &actor,
        scope: grant.scope(),
        app: None,
    };
    let rule = store::save(&app, &w, None, input).await?;
    Ok((StatusCode::CREATED, Json((*rule).clone())))
}

#[utoipa::path(get, path = "/attendance/rules/{id}", tag = "attendance",
    summary = "One attendance rule",
    responses((status = 200, body = Rule)))]
async fn get_rule(
    State(app): State<AppState>,
    Allowed { actor, .. }: Allowed<perm::AttendanceManage>,
    Path(id): Path<String>,
) -> AppResult<Json<Rule>> {
    Ok(Json(
        (*store::get(&app, actor.corp, rule_pk(&id)?).await?).clone(),
    ))
}

#[utoipa::path(put, path = "/attendance/rules/{id}", tag = "attendance",
    summary = "Replace an attendance rule", request_body = RuleInput,
    responses((status = 200, body = Rule)))]
async fn replace_rule(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Path(id): Path<String>,
    Body(input): Body<RuleInput>,
) -> AppResult<Json<Rule>> {
    let w = Writer {
        actor: &actor,
        scope: grant.scope(),
        app: None,
    };
    let rule = store::save(&app, &w, Some(rule_pk(&id)?), input).await?;
    Ok(Json((*rule).clone()))
}

#[utoipa::path(delete, path = "/attendance/rules/{id}", tag = "attendance",
    summary = "Delete an attendance rule",
    responses((status = 204)))]
async fn delete_rule(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let w = Writer {
        actor: &actor,
        scope: grant.scope(),
        app: None,
    };
    store::delete(&app, &w, rule_pk(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// `YYYY-MM`; this month when absent.
    pub month: Option<String>,
}

#[utoipa::path(get, path = "/attendance/rules/{id}/schedule", tag = "attendance",
    summary = "A month of a scheduled rule's schedule (排班)", params(MonthQuery),
    responses((status = 200, body = ScheduleGrid)))]
async fn get_schedule(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Path(id): Path<String>,
    Query(q): Query<MonthQuery>,
) -> AppResult<Json<ScheduleGrid>> {
    let rule = store::get(&app, actor.corp, rule_pk(&id)?).await?;
    let (first, last) = month_of(q.month.as_deref(), today_of(&app, &actor).await?)?;
    Ok(Json(
        schedule::grid(&app, actor.corp, &rule, grant.scope(), first, last).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Changed {
    /// How many days were set.
    pub changed: usize,
}

#[utoipa::path(put, path = "/attendance/rules/{id}/schedule", tag = "attendance",
    summary = "Set shifts of members on days", request_body = ScheduleInput,
    responses((status = 200, body = Changed)))]
async fn set_schedule(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Path(id): Path<String>,
    Body(input): Body<ScheduleInput>,
) -> AppResult<Json<Changed>> {
    let rule = store::get(&app, actor.corp, rule_pk(&id)?).await?;
    let changed = schedule::set(&app, &actor, grant.scope(), &rule, &input.items).await?;
    Ok(Json(Changed { changed }))
}

#[utoipa::path(post, path = "/attendance/rules/{id}/schedule/import", tag = "attendance",
    summary = "Set a month's schedule from a workbook (the exported grid)",
    request_body(content_type = "multipart/form-data", content = Vec<u8>),
    responses((status = 200, body = Changed)))]
async fn import_schedule(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Path(id): Path<String>,
    mut form: Multipart,
) -> AppResult<Json<Changed>> {
    let rule = store::get(&app, actor.corp, rule_pk(&id)?).await?;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| AppError::new(ErrorKind::BadRequest))?
    {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("schedule.xlsx").to_owned();
            let bytes = field
                .bytes()
                .await
                .map_err(|_| AppError::new(ErrorKind::PayloadTooLarge))?;
            file = Some((name, bytes.to_vec()));
        }
    }
    let (name, bytes) = file.ok_or_else(|| AppError::field("file", FieldReason::Required))?;
    let rows = qixie_org::sheet::read_table(&name, &bytes, &app.config.upload_limits)
        .map_err(|e| e.to_app_error())?;
    let items = schedule::from_table(&rule, &rows)?;
    let changed = schedule::set(&app, &actor, grant.scope(), &rule, &items).await?;
    Ok(Json(Changed { changed }))
}

#[utoipa::path(get, path = "/attendance/rules/{id}/schedule/export", tag = "attendance",
    summary = "A month's schedule as a workbook", params(MonthQuery),
    responses((status = 200, description = "The workbook",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
async fn export_schedule(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Path(id): Path<String>,
    Query(q): Query<MonthQuery>,
) -> AppResult<Response> {
    let rule = store::get(&app, actor.corp, rule_pk(&id)?).await?;
    let (first, last) = month_of(q.month.as_deref(), today_of(&app, &actor).await?)?;
    let grid = schedule::grid(&app, actor.corp, &rule, grant.scope(), first, last).await?;
    let bytes = schedule::to_xlsx(&grid, first, last)?;
    Ok(file_response(
        &format!("schedule-{}.xlsx", grid.month),
        bytes,
        Show::Download,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleRef {
    pub id: String,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceView {
    pub name: String,
    /// WGS-84, to draw against the phone's fix.
    pub latitude: f64,
    pub longitude: f64,
    pub radius_m: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Today {
    pub date: String,
    pub workday: bool,
    pub holiday: Option<String>,
    pub rule: Option<RuleRef>,
    pub shift: Option<String>,
    pub sections: Vec<SectionResult>,
    /// What a clock-in now would be: on, off, or none (no rule).
    pub next: String,
    pub status: String,
    pub places: Vec<PlaceView>,
    pub networks: Vec<String>,
    pub field_allowed: bool,
    pub photo_required: bool,
    pub clock_ins: Vec<StoredClockIn>,
}

#[utoipa::path(get, path = "/attendance/me/today", tag = "attendance",
    summary = "The member's day: rule, shift, sections and what a clock-in now would be",
    responses((status = 200, body = Today)))]
async fn today(State(app): State<AppState>, Authed(actor): Authed) -> AppResult<Json<Today>> {
    let member = member_of(&actor)?;
    let day = today_of(&app, &actor).await?;
    let plans = plan::load(&app, &app.db, actor.corp, member, day, day).await?;
    let inputs = days::inputs(&app.db, member, day, day).await?;
    let computed = days::compute_days(&plans, &inputs, day, day, app.now());
    let c = computed.first().ok_or(ErrorKind::Internal)?;
    let rule = plans.rule.clone();
    let next = match &rule {
        None => "none",
        Some(_) => {
            let open_on = c
                .result
                .sections
                .iter()
                .any(|s| s.on_clock.is_none() && !s.on_leave);
            if open_on || c.result.first_in.is_none() {
                "on"
            } else {
                "off"
            }
        }
    };
    Ok(Json(Today {
        date: date::format(day),
        workday: c.plan.due(),
        holiday: c.plan.holiday.clone(),
        rule: rule.as_ref().map(|r| RuleRef {
            id: r.id.clone(),
            name: r.input.name.clone(),
            kind: r.input.kind.code().into(),
        }),
        shift: c.plan.shift.as_ref().map(|(_, n)| n.clone()),
        sections: c.result.sections.clone(),
        next: next.into(),
        status: c.result.status.code().into(),
        places: rule
            .as_ref()
            .map(|r| {
                r.input
                    .places
                    .iter()
                    .map(|p| {
                        let (latitude, longitude) = p.wgs84();
                        PlaceView {
                            name: p.name.clone(),
                            latitude,
                            longitude,
                            radius_m: p.radius_m,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default(),
        networks: rule
            .as_ref()
            .map(|r| r.input.networks.iter().map(|n| n.name.clone()).collect())
            .unwrap_or_default(),
        field_allowed: rule.as_ref().is_some_and(|r| r.input.field_allowed),
        photo_required: rule.as_ref().is_some_and(|r| r.input.photo_required),
        clock_ins: clockin::of_member(&app, member, day, day).await?,
    }))
}

#[utoipa::path(post, path = "/attendance/clock-ins", tag = "attendance",
    summary = "Clock in (打卡)", request_body = ClockInInput,
    responses((status = 201, body = ClockInAnswer), (status = 200, description = "The same clock-in repeated within its second", body = ClockInAnswer)))]
async fn clock_in(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<ClockInInput>,
) -> AppResult<(StatusCode, Json<ClockInAnswer>)> {
    let (created, answer) = clockin::clock_in(&app, &actor, input).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(answer)))
}

#[utoipa::path(get, path = "/attendance/me/month", tag = "attendance",
    summary = "The member's month, day by day, with its summary", params(MonthQuery),
    responses((status = 200, body = MonthView)))]
async fn my_month(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Query(q): Query<MonthQuery>,
) -> AppResult<Json<MonthView>> {
    let member = member_of(&actor)?;
    let (first, last) = month_of(q.month.as_deref(), today_of(&app, &actor).await?)?;
    Ok(Json(
        days::month(&app, actor.corp, member, first, last).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// `YYYY-MM-DD`; 30 days before `to` when absent.
    pub from: Option<String>,
    /// `YYYY-MM-DD`; today when absent.
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockInList {
    pub items: Vec<StoredClockIn>,
}

/// A range of at most `max_days`, from optional `from` and `to`.
fn range_of(
    q: &RangeQuery,
    today: jiff::civil::Date,
    max_days: i64,
) -> AppResult<(jiff::civil::Date, jiff::civil::Date)> {
    let parse = |s: &Option<String>, field: &str| -> AppResult<Option<jiff::civil::Date>> {
        match s {
            Some(s) => date::parse(s)
                .map(Some)
                .ok_or_else(|| AppError::field(field, FieldReason::Format)),
            None => Ok(None),
        }
    };
    let to = parse(&q.to, "to")?.unwrap_or(today);
    let from = parse(&q.from, "from")?
        .unwrap_or_else(|| to.checked_sub(jiff::Span::new().days(30)).unwrap_or(to));
    if from > to {
        return Err(AppError::field("to", FieldReason::BeforeStart));
    }
    if date::epoch_day(to) - date::epoch_day(from) >= max_days {
        return Err(AppError::field("from", FieldReason::Range));
    }
    Ok((from, to))
}

#[utoipa::path(get, path = "/attendance/me/clock-ins", tag = "attendance",
    summary = "The member's clock-ins exactly as stored (what is kept about them)", params(RangeQuery),
    responses((status = 200, body = ClockInList)))]
async fn my_clock_ins(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Query(q): Query<RangeQuery>,
) -> AppResult<Json<ClockInList>> {
    let member = member_of(&actor)?;
    let (from, to) = range_of(&q, today_of(&app, &actor).await?, 366)?;
    Ok(Json(ClockInList {
        items: clockin::of_member(&app, member, from, to).await?,
    }))
}

#[utoipa::path(get, path = "/attendance/team/month", tag = "attendance",
    summary = "A leader's people: each one's month summed", params(MonthQuery),
    responses((status = 200, body = MonthlyList)))]
async fn team_month(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Query(q): Query<MonthQuery>,
) -> AppResult<Json<MonthlyList>> {
    let member = member_of(&actor)?;
    let (first, last) = month_of(q.month.as_deref(), today_of(&app, &actor).await?)?;
    Ok(Json(
        results::team_month(&app, actor.corp, member, first, last).await?,
    ))
}

#[utoipa::path(get, path = "/attendance/results/daily", tag = "attendance",
    summary = "Each member's day", params(ResultsQuery),
    responses((status = 200, body = DailyList)))]
async fn daily_results(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Query(q): Query<ResultsQuery>,
) -> AppResult<Json<DailyList>> {
    let day = match &q.date {
        Some(d) => date::parse(d).ok_or_else(|| AppError::field("date", FieldReason::Format))?,
        None => today_of(&app, &actor).await?,
    };
    Ok(Json(
        results::daily(
            &app,
            &grant.reads(),
            day,
            q.department_id,
            q.status.as_deref(),
        )
        .await?,
    ))
}

#[utoipa::path(get, path = "/attendance/results/monthly", tag = "attendance",
    summary = "Each member's month summed", params(ResultsQuery),
    responses((status = 200, body = MonthlyList)))]
async fn monthly_results(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Query(q): Query<ResultsQuery>,
) -> AppResult<Json<MonthlyList>> {
    let (first, last) = month_of(q.month.as_deref(), today_of(&app, &actor).await?)?;
    Ok(Json(
        results::monthly(&app, &grant.reads(), first, last, q.department_id).await?,
    ))
}

#[utoipa::path(get, path = "/attendance/results/{userid}/month", tag = "attendance",
    summary = "One member's month", params(MonthQuery),
    responses((status = 200, body = MonthView)))]
async fn member_month(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Path(userid): Path<String>,
    Query(q): Query<MonthQuery>,
) -> AppResult<Json<MonthView>> {
    let member = admin::member_in_scope(&app, &grant.reads(), &userid).await?;
    let (first, last) = month_of(q.month.as_deref(), today_of(&app, &actor).await?)?;
    Ok(Json(
        days::month(&app, actor.corp, member, first, last).await?,
    ))
}

#[utoipa::path(post, path = "/attendance/results/{userid}/{date}/correction", tag = "attendance",
    summary = "Set a day's status with a reason (audited)", request_body = CorrectionInput,
    responses((status = 204)))]
async fn correct_day(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Path((userid, day)): Path<(String, String)>,
    Body(input): Body<CorrectionInput>,
) -> AppResult<StatusCode> {
    admin::correct(&app, &actor, &grant, &userid, &day, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `YYYY-MM` (monthly sheet).
    pub month: Option<String>,
    /// `YYYY-MM-DD` (daily detail).
    pub from: Option<String>,
    pub to: Option<String>,
    pub department_id: Option<i64>,
    /// Comma-separated payroll columns; all when absent.
    pub columns: Option<String>,
}

#[utoipa::path(get, path = "/attendance/export/monthly", tag = "attendance",
    summary = "The payroll sheet: one row per member (XLSX)", params(ExportQuery),
    responses((status = 200, description = "The workbook",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
async fn export_monthly(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    let (first, last) = month_of(q.month.as_deref(), today_of(&app, &actor).await?)?;
    let columns = export::columns(q.columns.as_deref())?;
    let list = results::monthly(&app, &grant.reads(), first, last, q.department_id).await?;
    let bytes = export::monthly_xlsx(&list, &columns)?;
    Ok(file_response(
        &format!("attendance-{}.xlsx", list.month),
        bytes,
        Show::Download,
    ))
}

#[utoipa::path(get, path = "/attendance/export/daily", tag = "attendance",
    summary = "One row per member and day (XLSX)", params(ExportQuery),
    responses((status = 200, description = "The workbook",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
async fn export_daily(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    let range = RangeQuery {
        from: q.from.clone(),
        to: q.to.clone(),
    };
    let (from, to) = range_of(&range, today_of(&app, &actor).await?, 62)?;
    let bytes = export::daily_xlsx(&app, &grant.reads(), from, to, q.department_id).await?;
    Ok(file_response(
        &format!(
            "attendance-{}-{}.xlsx",
            date::format(from),
            date::format(to)
        ),
        bytes,
        Show::Download,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    /// pending (default), accepted or refused.
    pub status: Option<String>,
}

#[utoipa::path(get, path = "/attendance/field-reviews", tag = "attendance",
    summary = "Field clock-ins to review", params(ReviewQuery),
    responses((status = 200, body = FieldReviews)))]
async fn field_reviews(
    State(app): State<AppState>,
    Allowed { grant, .. }: Allowed<perm::AttendanceManage>,
    Query(q): Query<ReviewQuery>,
) -> AppResult<Json<FieldReviews>> {
    Ok(Json(
        admin::field_reviews(
            &app,
            &grant.reads(),
            q.status.as_deref().unwrap_or("pending"),
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/attendance/clock-ins/{id}/review", tag = "attendance",
    summary = "Accept or refuse a field clock-in", request_body = ReviewInput,
    responses((status = 204)))]
async fn review_field(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Path(id): Path<String>,
    Body(input): Body<ReviewInput>,
) -> AppResult<StatusCode> {
    let id: i64 = id.parse().map_err(|_| AppError::new(ErrorKind::NotFound))?;
    admin::review(&app, &actor, &grant, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/attendance/settings", tag = "attendance",
    summary = "The enterprise's attendance settings",
    responses((status = 200, body = Settings)))]
async fn get_settings(
    State(app): State<AppState>,
    Allowed { actor, .. }: Allowed<perm::AttendanceManage>,
) -> AppResult<Json<Settings>> {
    Ok(Json(settings::get(&app.db, actor.corp).await?))
}

#[utoipa::path(put, path = "/attendance/settings", tag = "attendance",
    summary = "Change the enterprise's attendance settings", request_body = Settings,
    responses((status = 200, body = Settings)))]
async fn put_settings(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Body(input): Body<Settings>,
) -> AppResult<Json<Settings>> {
    if !grant.is_whole_enterprise() {
        return Err(ErrorKind::OutOfScope.into());
    }
    Ok(Json(admin::put_settings(&app, &actor, &input).await?))
}
