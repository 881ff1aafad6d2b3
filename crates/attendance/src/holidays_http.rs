//! Routes of the enterprise calendar (docs/api/attendance.md, "Holidays"): every member reads it;
//! administrators of attendance over the whole enterprise change it.
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use qixie_kernel::AppState;
use qixie_kernel::authz::perm;
use qixie_kernel::error::{AppError, AppResult, FieldReason};
use qixie_kernel::http::extract::{Allowed, Authed, Body};
use qixie_kernel::http::openapi::{ApiRoutes, routes};
use qixie_kernel::time::{DEFAULT_ZONE, Zone};

use crate::holidays::{self, DayInput, HolidayItem, HolidayYear, Notice, YEARS};

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .typed(routes!(list_year))
        .typed(routes!(set_day, delete_day))
        .typed(routes!(import_notice))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// 2000–2100; the current year on the enterprise's calendar when left out.
    #[param(value_type = Option<i64>, minimum = 2000, maximum = 2100)]
    pub year: Option<String>,
}

#[utoipa::path(get, path = "/attendance/holidays", tag = "attendance",
    summary = "The enterprise's holidays and adjusted working days of a year", params(YearQuery),
    responses((status = 200, body = HolidayYear)))]
async fn list_year(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Query(q): Query<YearQuery>,
) -> AppResult<Json<HolidayYear>> {
    let year = match q.year.as_deref() {
        Some(y) => {
            let y: i64 = y
                .trim()
                .parse()
                .map_err(|_| AppError::field("year", FieldReason::Format))?;
            if !YEARS.contains(&y) {
                return Err(AppError::field("year", FieldReason::Range));
            }
            y
        }
        None => {
            let profile = qixie_org::enterprise::profile(&app.db, actor.corp).await?;
            let zone = Zone::first_of(&profile.time_zone, DEFAULT_ZONE);
            zone.date(app.now()) / 10_000
        }
    };
    holidays::ensure(&app, actor.corp).await?;
    Ok(Json(holidays::year(&app.db, actor.corp, year).await?))
}

#[utoipa::path(put, path = "/attendance/holidays/{date}", tag = "attendance",
    summary = "Add or change a day of the calendar", request_body = DayInput,
    params(("date" = String, Path, description = "YYYY-MM-DD")),
    responses((status = 200, body = HolidayItem)))]
async fn set_day(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Path(date): Path<String>,
    Body(input): Body<DayInput>,
) -> AppResult<Json<HolidayItem>> {
    holidays::check_whole_enterprise(&grant)?;
    let d = holidays::parse_day("date", &date)?;
    holidays::ensure(&app, grant.corp()).await?;
    Ok(Json(holidays::set(&app, &actor, &grant, d, &input).await?))
}

#[utoipa::path(delete, path = "/attendance/holidays/{date}", tag = "attendance",
    summary = "Remove a day from the calendar",
    params(("date" = String, Path, description = "YYYY-MM-DD")),
    responses((status = 204, description = "Removed")))]
async fn delete_day(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Path(date): Path<String>,
) -> AppResult<StatusCode> {
    holidays::check_whole_enterprise(&grant)?;
    let d = holidays::parse_day("date", &date)?;
    holidays::ensure(&app, grant.corp()).await?;
    holidays::delete(&app, &actor, &grant, d).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/attendance/holidays/import", tag = "attendance",
    summary = "Replace a year's statutory days with the State Council's notice", request_body = Notice,
    responses((status = 200, body = HolidayYear)))]
async fn import_notice(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::AttendanceManage>,
    Body(input): Body<Notice>,
) -> AppResult<Json<HolidayYear>> {
    holidays::check_whole_enterprise(&grant)?;
    holidays::ensure(&app, grant.corp()).await?;
    Ok(Json(holidays::import(&app, &actor, &grant, &input).await?))
}
