//! WeCom's vacation calls (假期, `oa/vacation/*`) for apps with the `attendance` scope: the
//! enterprise's leave types in WeCom's shape (`getcorpconf`), a member's balances
//! (`getuservacationquota`) and setting one balance (`setoneuserquota`). Durations are seconds:
//! a day of a by-day type is 86,400, an hour 3,600. Errors are WeCom's: 301062 without the
//! permission, 301063 for bad parameters, 301064 when the server fails, 301098 for a member outside
//! the app's visible range. Translation only: the attendance module keeps the balances.
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AppCaller, loose, ok};
use qixie_approvals::instance::submit::corp_zone;
use qixie_apps as apps;
use qixie_attendance::leave::quota::Unit;
use qixie_attendance::leave::types::{QuotaRule, TypeRow};
use qixie_attendance::leave::{self, types};
use qixie_kernel::AppState;
use qixie_kernel::authz::{Grant, perm};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::http::extract::Body;
use qixie_org::audience::Selection;
use qixie_org::people;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/oa/vacation/getcorpconf", get(corp_conf).post(corp_conf))
        .route("/oa/vacation/getuservacationquota", post(user_quota))
        .route("/oa/vacation/setoneuserquota", post(set_quota))
}

const DAY_S: i64 = 86_400;
/// The most a balance may be set to: 1,000 days, or 24,000 hours (the same seconds).
const MAX_S: i64 = 1000 * DAY_S;

/// WeCom's errcodes for what the attendance module answers.
fn translated(e: AppError) -> AppError {
    match e.kind {
        ErrorKind::Validation | ErrorKind::BadRequest => e.with_kind(ErrorKind::VacationInvalid),
        ErrorKind::Internal => {
            tracing::error!(error = %e, "vacation call failed");
            AppError::new(ErrorKind::VacationFailed)
        }
        _ => e,
    }
}

fn grant(caller: &AppCaller) -> AppResult<Grant<perm::AttendanceManage>> {
    caller
        .actor
        .require::<perm::AttendanceManage>()
        .map_err(|_| AppError::new(ErrorKind::VacationApiForbidden))
}

/// Seconds of an amount in minutes: by-day types count 86,400 a day of the type, by-hour ones
/// real seconds.
fn seconds(t: &TypeRow, minutes: i64) -> i64 {
    match t.unit() {
        Unit::Hour => minutes * 60,
        Unit::Day | Unit::HalfDay => {
            let dm = t.day_minutes.max(1);
            (minutes * DAY_S + dm / 2).div_euclid(dm)
        }
    }
}

/// Minutes of an amount in seconds (the inverse of `seconds`).
fn minutes(t: &TypeRow, seconds: i64) -> i64 {
    match t.unit() {
        Unit::Hour => seconds / 60,
        Unit::Day | Unit::HalfDay => (seconds * t.day_minutes + DAY_S / 2) / DAY_S,
    }
}

/// A member of the enterprise the app can see: 301063 for an unknown userid, 301098 outside the
/// visible range.
async fn visible_member(
    app: &AppState,
    caller: &AppCaller,
    userid: Option<String>,
) -> AppResult<(i64, String)> {
    let userid = userid
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .ok_or_else(|| AppError::field("userid", FieldReason::Required))?;
    let id = people::ids_of(&app.db, caller.actor.corp, std::slice::from_ref(&userid))
        .await?
        .pop()
        .flatten()
        .ok_or_else(|| AppError::field("userid", FieldReason::NotFound))?;
    let sel = Selection {
        userids: vec![userid.clone()],
        ..Selection::default()
    };
    if apps::reach(&app.db, &caller.app, &sel)
        .await?
        .members
        .is_empty()
    {
        return Err(ErrorKind::VacationOutOfRange.into());
    }
    Ok((id, userid))
}

/// A type's setting in WeCom's shape.
fn conf(t: &TypeRow, year_start_s: i64) -> Value {
    let rule = t.rule();
    let quota_type = match rule {
        QuotaRule::None => 0,
        QuotaRule::YearlyFixed | QuotaRule::AnnualByService => 1,
        QuotaRule::Manual => 2,
    };
    let day = |days: i64| days * DAY_S;
    let rules = if rule == QuotaRule::AnnualByService {
        json!({"list": [
            {"quota": 0, "begin": 0, "end": 1},
            {"quota": day(5), "begin": 1, "end": 10},
            {"quota": day(10), "begin": 10, "end": 20},
            {"quota": day(15), "begin": 20, "end": 0}
        ], "based_on_actual_work_time": true})
    } else {
        json!({"list": [], "based_on_actual_work_time": false})
    };
    let yearly = t.yearly();
    let expire = if yearly {
        let carry = t.carry_over_max > 0;
        json!({"type": 1, "duration": 0, "date": {"month": 12, "day": 31},
               "extern_duration_enable": carry,
               "extern_duration": {"month": if carry { t.carry_over_months } else { 0 }, "day": 0}})
    } else if t.expiry_months > 0 {
        json!({"type": 3, "duration": t.expiry_months, "date": {"month": 0, "day": 0},
               "extern_duration_enable": false, "extern_duration": {"month": 0, "day": 0}})
    } else {
        json!({"type": 4, "duration": 0, "date": {"month": 0, "day": 0},
               "extern_duration_enable": false, "extern_duration": {"month": 0, "day": 0}})
    };
    json!({
        "id": t.vacation_id,
        "name": t.name,
        "time_attr": t.unit().time_attr(),
        // Durations are counted on the member's working days.
        "duration_type": 1,
        "quota_attr": {
            "type": quota_type,
            "autoreset_time": if yearly { year_start_s } else { 0 },
            "autoreset_duration": if rule == QuotaRule::YearlyFixed { seconds(t, t.yearly_quota) } else { 0 },
            "quota_rule_type": i64::from(rule == QuotaRule::AnnualByService),
            "quota_rules": rules,
            "at_entry_date": false,
            "auto_reset_month_day": 0
        },
        "perday_duration": match t.unit() { Unit::Hour => t.day_minutes * 60, _ => DAY_S },
        "is_newovertime": i64::from(t.is_comp),
        "enter_comp_time_limit": 0,
        "expire_rule": expire
    })
}

async fn corp_conf(State(app): State<AppState>, caller: AppCaller) -> AppResult<Response> {
    let run = async {
        let g = grant(&caller)?;
        let corp = g.corp();
        let zone = corp_zone(&app, corp).await?;
        let now = app.now();
        let year = zone.date(now) / 10_000;
        let year_start_s = zone.at(year_epoch_day(year), 0) / 1000;
        let lists: Vec<Value> = leave::corp_types(&app, corp)
            .await?
            .iter()
            .filter(|t| t.enabled)
            .map(|t| conf(t, year_start_s))
            .collect();
        Ok(ok(json!({ "lists": lists })))
    };
    run.await.map_err(translated)
}

/// Days from 1970-01-01 to 1 January of `year`.
fn year_epoch_day(year: i64) -> i64 {
    let y = year - 1970;
    // Leap days between 1970 and the start of `year`.
    let leaps = |y: i64| y / 4 - y / 100 + y / 400;
    y * 365 + leaps(year - 1) - leaps(1969)
}

#[derive(Deserialize)]
struct UserBody {
    #[serde(default, deserialize_with = "loose::string")]
    userid: Option<String>,
}

async fn user_quota(
    State(app): State<AppState>,
    caller: AppCaller,
    Body(b): Body<UserBody>,
) -> AppResult<Response> {
    let run = async {
        let g = grant(&caller)?;
        let (member, _) = visible_member(&app, &caller, b.userid).await?;
        let lists: Vec<Value> = leave::member_quotas(&app, &g, member)
            .await?
            .iter()
            .map(|q| {
                let t = &q.leave_type;
                let limited = t.limited();
                let assigned = if limited { seconds(t, q.granted) } else { 0 };
                json!({
                    "id": t.vacation_id,
                    "assignduration": assigned,
                    "usedduration": seconds(t, q.used),
                    "leftduration": if limited { seconds(t, q.left).max(0) } else { 0 },
                    "vacationname": t.name,
                    "real_assignduration": assigned,
                })
            })
            .collect();
        Ok(ok(json!({ "lists": lists })))
    };
    run.await.map_err(translated)
}

#[derive(Deserialize)]
struct SetBody {
    #[serde(default, deserialize_with = "loose::string")]
    userid: Option<String>,
    #[serde(default, deserialize_with = "loose::int")]
    vacation_id: Option<i64>,
    #[serde(default, deserialize_with = "loose::int")]
    leftduration: Option<i64>,
    #[serde(default, deserialize_with = "loose::int")]
    time_attr: Option<i64>,
    #[serde(default, deserialize_with = "loose::string")]
    remarks: Option<String>,
}

async fn set_quota(
    State(app): State<AppState>,
    caller: AppCaller,
    Body(b): Body<SetBody>,
) -> AppResult<Response> {
    let run = async {
        let g = grant(&caller)?;
        let corp = g.corp();
        let vacation_id = b
            .vacation_id
            .ok_or_else(|| AppError::field("vacation_id", FieldReason::Required))?;
        let t = types::by_vacation_id(&app.db, corp, vacation_id)
            .await?
            .filter(|t| t.enabled)
            .ok_or_else(|| AppError::field("vacation_id", FieldReason::NotFound))?;
        let time_attr = b
            .time_attr
            .ok_or_else(|| AppError::field("time_attr", FieldReason::Required))?;
        if time_attr != t.unit().time_attr() {
            return Err(AppError::field("time_attr", FieldReason::Mismatch));
        }
        let left = b
            .leftduration
            .ok_or_else(|| AppError::field("leftduration", FieldReason::Required))?;
        if !(0..=MAX_S).contains(&left) {
            return Err(AppError::field("leftduration", FieldReason::Range));
        }
        // Tenths of the unit: 0.1 hour is 360 s, 0.1 day 8,640 s.
        let step = if t.unit() == Unit::Hour {
            360
        } else {
            DAY_S / 10
        };
        if left % step != 0 {
            return Err(AppError::field("leftduration", FieldReason::Format));
        }
        let remarks = b.remarks.unwrap_or_default().trim().to_owned();
        if remarks.chars().count() > 200 {
            return Err(AppError::field("remarks", FieldReason::TooLong));
        }
        let (member, userid) = visible_member(&app, &caller, b.userid).await?;
        leave::set_left(
            &app,
            &caller.actor,
            &g,
            member,
            &userid,
            &t.type_key,
            minutes(&t, left),
            &remarks,
        )
        .await?;
        Ok(ok(json!({})))
    };
    run.await.map_err(translated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn january_first_in_days_since_1970() {
        assert_eq!(year_epoch_day(1970), 0);
        assert_eq!(year_epoch_day(1971), 365);
        assert_eq!(year_epoch_day(2000), 10_957);
        assert_eq!(year_epoch_day(2026), 20_454);
    }
}
