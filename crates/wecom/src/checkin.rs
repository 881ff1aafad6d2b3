//! WeCom's checkin calls (打卡, `checkin/*`) for apps with the `attendance` scope, against the
//! attendance module: rules as WeCom's group objects (an app changes only the rules it made), the
//! rule of members on a day, clock-in records, day and month reports computed from the members'
//! days, schedules, and clock-ins from outside (devices, make-up clock-ins). Members named must be
//! inside the app's visible range. Times are Unix seconds; days are 00:00 of the enterprise's zone.
//! Errors are WeCom's: 60011 without the scope, 301021 for a member unknown or out of range, 301023
//! for a bad member list, 301024 for a bad time span, 301075 for any other bad parameter (naming
//! it). Translation only: the attendance module decides.
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use jiff::civil::Date;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{AppCaller, loose, media, ok, ok_empty};
use qixie_apps as apps;
use qixie_attendance::days::{self, Computed};
use qixie_attendance::external::{self, Approved, Correction, DeviceRecord};
use qixie_attendance::geo::{self, CoordSystem};
use qixie_attendance::plan::{self, DayKind};
use qixie_attendance::result::{ClockStatus, DayStatus};
use qixie_attendance::rule::store::{self, CorpRules, Writer, corp_rules};
use qixie_attendance::rule::{Rule, RuleKind};
use qixie_attendance::schedule::{self, ScheduleItem};
use qixie_attendance::wecom_shape::{self, GroupExtras};
use qixie_attendance::{date, settings};
use qixie_chat::media::UploadedBy;
use qixie_kernel::AppState;
use qixie_kernel::authz::{Grant, Scope, perm};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::http::extract::parse_json;
use qixie_kernel::ids::CorpId;
use qixie_kernel::time::Zone;
use qixie_org::audience::Selection;
use qixie_org::people::{self, Person};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/checkin/add_checkin_option", post(add_option))
        .route("/checkin/update_checkin_option", post(update_option))
        .route("/checkin/del_checkin_option", post(delete_option))
        .route(
            "/checkin/clear_checkin_option_array_field",
            post(clear_option),
        )
        .route("/checkin/getcorpcheckinoption", post(corp_options))
        .route("/checkin/getcheckinoption", post(member_options))
        .route("/checkin/getcheckindata", post(checkin_data))
        .route("/checkin/getcheckin_daydata", post(day_data))
        .route("/checkin/getcheckin_monthdata", post(month_data))
        .route("/checkin/getcheckinschedulist", post(schedule_list))
        .route("/checkin/setcheckinschedulist", post(set_schedule_list))
        .route("/checkin/punch_correction", post(punch_correction))
        .route("/checkin/add_checkin_record", post(add_record))
}

const DAY_S: i64 = 86_400;
const MAX_USERS: usize = 100;
/// `getcheckindata` covers at most 30 days (the doc's limit).
const DATA_SPAN_S: i64 = 30 * DAY_S;
/// Day and month reports and schedules cover at most 31 days.
const REPORT_DAYS: i64 = 31;
const MAX_RECORDS: usize = 200;
const LANG: &str = "zh_CN";

/// The rights behind the `attendance` scope; without them, 60011.
fn grant(caller: &AppCaller) -> AppResult<Grant<perm::AttendanceManage>> {
    caller
        .actor
        .require::<perm::AttendanceManage>()
        .map_err(|_| AppError::new(ErrorKind::AttendanceApiForbidden))
}

/// A bad parameter is 301075 here, the field still named.
fn invalid(e: AppError) -> AppError {
    match e.kind {
        ErrorKind::Validation => e.with_kind(ErrorKind::CheckinInvalid),
        _ => e,
    }
}

fn bad(field: &str, reason: FieldReason) -> AppError {
    AppError::field(field, reason).with_kind(ErrorKind::CheckinInvalid)
}

fn parse<T: DeserializeOwned>(bytes: &Bytes) -> AppResult<T> {
    parse_json(bytes).map_err(invalid)
}

/// `useridlist`: 1–100 userids (301023), repeats dropped.
fn user_list(list: Option<Vec<String>>) -> AppResult<Vec<String>> {
    let mut seen = HashSet::new();
    let list: Vec<String> = list
        .unwrap_or_default()
        .into_iter()
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty() && seen.insert(u.clone()))
        .collect();
    if list.is_empty() || list.len() > MAX_USERS {
        return Err(AppError::field("useridlist", FieldReason::Count)
            .with_kind(ErrorKind::CheckinUserListInvalid));
    }
    Ok(list)
}

/// The members `userids` name, in order, each known and inside the app's visible range (301021
/// naming `<field>.<i>` otherwise).
async fn visible(
    app: &AppState,
    caller: &AppCaller,
    corp: CorpId,
    userids: &[String],
    field: impl Fn(usize) -> String,
) -> AppResult<Vec<Person>> {
    let user_error = |i: usize, reason: FieldReason| {
        AppError::field(&field(i), reason).with_kind(ErrorKind::CheckinUserInvalid)
    };
    let ids = people::ids_of(&app.db, corp, userids).await?;
    if let Some(i) = ids.iter().position(Option::is_none) {
        return Err(user_error(i, FieldReason::NotFound));
    }
    let sel = Selection {
        userids: userids.to_vec(),
        ..Selection::default()
    };
    let reached: HashSet<i64> = apps::reach(&app.db, &caller.app, &sel)
        .await?
        .members
        .into_iter()
        .map(|(id, ..)| id)
        .collect();
    let everyone: HashMap<i64, Person> = people::everyone(&app.db, corp)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut out = Vec::with_capacity(ids.len());
    for (i, id) in ids.into_iter().flatten().enumerate() {
        match everyone.get(&id).filter(|_| reached.contains(&id)) {
            Some(p) => out.push(p.clone()),
            None => return Err(user_error(i, FieldReason::OutOfScope)),
        }
    }
    Ok(out)
}

/// A time span of seconds: both ends positive, the end not before the start (after it, when
/// `strict`), at most `max_s` long; 301024 otherwise.
fn span(start: Option<i64>, end: Option<i64>, strict: bool, max_s: i64) -> AppResult<(i64, i64)> {
    let fail = |field: &str| {
        AppError::field(field, FieldReason::Range).with_kind(ErrorKind::CheckinSpanInvalid)
    };
    let start = start.filter(|s| *s > 0).ok_or_else(|| fail("starttime"))?;
    let end = end.filter(|e| *e > 0).ok_or_else(|| fail("endtime"))?;
    if end < start || (strict && end == start) || end - start > max_s {
        return Err(fail("endtime"));
    }
    Ok((start, end))
}

fn day_of(zone: &Zone, s: i64) -> Date {
    date::from_epoch_day(zone.local(s.saturating_mul(1000)).day)
}

fn today(app: &AppState, zone: &Zone) -> Date {
    date::from_epoch_day(zone.local(app.now()).day)
}

fn texts(text: String) -> Value {
    json!({"data": [{"lang": LANG, "text": text}]})
}

// ---- rules ----

/// Every rule as WeCom's group, with its authors and the enterprise's make-up clock-in limit.
struct Groups {
    rules: Arc<CorpRules>,
    authors: HashMap<i64, (String, String)>,
    bk_cnt: i64,
}

impl Groups {
    async fn load(app: &AppState, corp: CorpId) -> AppResult<Groups> {
        Ok(Groups {
            rules: corp_rules(app, corp).await?,
            authors: external::rule_authors(&app.db, corp).await?,
            bk_cnt: settings::get(&app.db, corp)
                .await?
                .punch_correction_monthly_limit,
        })
    }
    fn group(&self, rule: &Rule) -> Value {
        let (create_userid, update_userid) =
            self.authors.get(&rule.pk()).cloned().unwrap_or_default();
        wecom_shape::to_group(
            rule,
            &GroupExtras {
                create_userid,
                update_userid,
                allow_apply_bk_cnt: self.bk_cnt,
            },
        )
    }
    /// The rule with WeCom's `groupid`; 301075 naming `field` for an unknown one.
    fn by_groupid(&self, groupid: Option<i64>, field: &str) -> AppResult<Arc<Rule>> {
        let id = groupid.ok_or_else(|| bad(field, FieldReason::Required))?;
        self.rules
            .rules
            .iter()
            .find(|r| r.group_id == id)
            .cloned()
            .ok_or_else(|| {
                AppError::field(field, FieldReason::NotFound)
                    .with_kind(ErrorKind::AttendanceRuleNotFound)
            })
    }
    /// Only the app that made a rule changes it through the API (WeCom's rule): 60011 otherwise.
    fn own(&self, caller: &AppCaller, rule: &Rule) -> AppResult<()> {
        if self.rules.app_of.get(&rule.pk()) == Some(&caller.app.id) {
            Ok(())
        } else {
            Err(ErrorKind::AttendanceApiForbidden.into())
        }
    }
}

#[derive(Deserialize)]
struct OptionBody {
    /// `effective_now` is not read: a change applies at once, and days already computed keep
    /// their results until something recomputes them.
    #[serde(default)]
    group: Value,
}

#[derive(Deserialize)]
struct GroupIdBody {
    #[serde(default, deserialize_with = "loose::int")]
    groupid: Option<i64>,
    #[serde(default, deserialize_with = "loose::int_list")]
    clear_field: Option<Vec<i64>>,
}

/// The group of an add or update call: an object under `group` (clients that put its fields at
/// the top level are refused).
fn group_of(b: &OptionBody) -> AppResult<&Value> {
    if b.group.is_object() {
        Ok(&b.group)
    } else {
        Err(bad("group", FieldReason::Required))
    }
}

/// Saves a group read over `base` as a new rule (`existing` None) or over a rule.
async fn save_group(
    app: &AppState,
    caller: &AppCaller,
    g: &Grant<perm::AttendanceManage>,
    existing: Option<i64>,
    group: &Value,
    base: &qixie_attendance::rule::RuleInput,
) -> AppResult<()> {
    let parsed = wecom_shape::from_group(group, base).map_err(invalid)?;
    let w = Writer {
        actor: &caller.actor,
        scope: g.scope(),
        app: Some(caller.app.id),
    };
    store::save(app, &w, existing, parsed.input.clone())
        .await
        .map_err(|e| invalid(parsed.wecom_error(e)))?;
    Ok(())
}

async fn add_option(
    State(app): State<AppState>,
    caller: AppCaller,
    bytes: Bytes,
) -> AppResult<Response> {
    let g = grant(&caller)?;
    let b: OptionBody = parse(&bytes)?;
    let group = group_of(&b)?;
    for key in ["groupname", "grouptype"] {
        if group.get(key).is_none_or(Value::is_null) {
            return Err(bad(&format!("group.{key}"), FieldReason::Required));
        }
    }
    let base = wecom_shape::default_input()?;
    save_group(&app, &caller, &g, None, group, &base).await?;
    Ok(ok_empty())
}

/// Changes a rule the app made, field by field as WeCom does (`wecom_shape::update_group`).
async fn update_option(
    State(app): State<AppState>,
    caller: AppCaller,
    bytes: Bytes,
) -> AppResult<Response> {
    let g = grant(&caller)?;
    let b: OptionBody = parse(&bytes)?;
    let patch = group_of(&b)?;
    let groups = Groups::load(&app, g.corp()).await?;
    let groupid = patch.get("groupid").and_then(wecom_shape::as_int);
    let rule = groups.by_groupid(groupid, "group.groupid")?;
    groups.own(&caller, &rule)?;
    let merged = wecom_shape::update_group(groups.group(&rule), patch);
    save_group(&app, &caller, &g, Some(rule.pk()), &merged, &rule.input).await?;
    Ok(ok_empty())
}

async fn delete_option(
    State(app): State<AppState>,
    caller: AppCaller,
    bytes: Bytes,
) -> AppResult<Response> {
    let g = grant(&caller)?;
    let b: GroupIdBody = parse(&bytes)?;
    let groups = Groups::load(&app, g.corp()).await?;
    let rule = groups.by_groupid(b.groupid, "groupid")?;
    groups.own(&caller, &rule)?;
    let w = Writer {
        actor: &caller.actor,
        scope: g.scope(),
        app: Some(caller.app.id),
    };
    store::delete(&app, &w, rule.pk()).await.map_err(invalid)?;
    Ok(ok_empty())
}

/// Empties array fields of a rule (1 spe_workdays, 2 spe_offdays, 3 wifimac_infos, 4 loc_infos).
/// Special days and Wi-Fi are never kept, so only 4 changes anything; as in WeCom, a rule may not
/// be left with no place at all (nor office network, Wi-Fi's stand-in here).
async fn clear_option(
    State(app): State<AppState>,
    caller: AppCaller,
    bytes: Bytes,
) -> AppResult<Response> {
    let g = grant(&caller)?;
    let b: GroupIdBody = parse(&bytes)?;
    let groups = Groups::load(&app, g.corp()).await?;
    let rule = groups.by_groupid(b.groupid, "groupid")?;
    groups.own(&caller, &rule)?;
    let codes = b.clear_field.unwrap_or_default();
    if codes.is_empty() {
        return Err(bad("clear_field", FieldReason::Required));
    }
    let mut group = groups.group(&rule);
    if let Err(i) = wecom_shape::clear_fields(&mut group, &codes) {
        return Err(bad(&format!("clear_field.{i}"), FieldReason::Unknown));
    }
    if codes.contains(&4) && rule.input.networks.is_empty() {
        return Err(bad("clear_field", FieldReason::Invalid));
    }
    save_group(&app, &caller, &g, Some(rule.pk()), &group, &rule.input).await?;
    Ok(ok_empty())
}

/// Every rule of the enterprise. The body may be empty (wechatpy sends none).
async fn corp_options(State(app): State<AppState>, caller: AppCaller) -> AppResult<Response> {
    let g = grant(&caller)?;
    let groups = Groups::load(&app, g.corp()).await?;
    let list: Vec<Value> = groups.rules.rules.iter().map(|r| groups.group(r)).collect();
    Ok(ok(json!({ "group": list })))
}

#[derive(Deserialize)]
struct OptionOfBody {
    #[serde(default, deserialize_with = "loose::int")]
    datetime: Option<i64>,
    #[serde(default, deserialize_with = "loose::string_list")]
    useridlist: Option<Vec<String>>,
}

/// The rule each member follows (members following none are left out). Rules have no history,
/// so the day only has to be given.
async fn member_options(
    State(app): State<AppState>,
    caller: AppCaller,
    bytes: Bytes,
) -> AppResult<Response> {
    let g = grant(&caller)?;
    let corp = g.corp();
    let b: OptionOfBody = parse(&bytes)?;
    if b.datetime.is_none_or(|d| d <= 0) {
        return Err(bad("datetime", FieldReason::Required));
    }
    let userids = user_list(b.useridlist)?;
    let people = visible(&app, &caller, corp, &userids, |i| format!("useridlist.{i}")).await?;
    let groups = Groups::load(&app, corp).await?;
    let info: Vec<Value> = people
        .iter()
        .filter_map(|p| {
            let rule = groups.rules.rule_for(p)?;
            Some(json!({"userid": p.userid, "group": groups.group(rule)}))
        })
        .collect();
    Ok(ok(json!({ "info": info })))
}

// ---- members' days ----

/// A member's days from `first` to `last` (not after today), computed now from their inputs,
/// with the counts and approvals the reports show.
struct MemberDays {
    days: Vec<Computed>,
    punches: HashMap<i64, usize>,
    corrections: HashMap<i64, i64>,
    approved: Vec<Approved>,
}

async fn member_days(
    app: &AppState,
    corp: CorpId,
    member: i64,
    first: Date,
    last: Date,
) -> AppResult<MemberDays> {
    let plans = plan::load(app, &app.db, corp, member, first, last).await?;
    let inputs = days::inputs(&app.db, member, first, last).await?;
    let computed = days::compute_days(&plans, &inputs, first, last, app.now());
    Ok(MemberDays {
        days: computed,
        punches: inputs.punches.iter().map(|(d, p)| (*d, p.len())).collect(),
        corrections: external::corrections_by_day(&app.db, member, first, last).await?,
        approved: external::approved(&app.db, member, first, last).await?,
    })
}

/// What a clock-in counted as in its computed day, by its moment (ms).
struct Counted {
    /// 上班打卡 or 下班打卡.
    checkin_type: &'static str,
    status: ClockStatus,
    /// The section (1-based) and the moment it was due, ms.
    section: usize,
    due_at: i64,
}

fn counted(days: &[Computed]) -> HashMap<i64, Counted> {
    let mut out = HashMap::new();
    for c in days {
        for (i, s) in c.result.sections.iter().enumerate() {
            let pairs = [
                ("上班打卡", s.on_clock, s.on_at),
                ("下班打卡", s.off_clock, s.off_at),
            ];
            for (checkin_type, clock, due_at) in pairs {
                if let Some(k) = clock {
                    out.insert(
                        k.at,
                        Counted {
                            checkin_type,
                            status: k.status,
                            section: i + 1,
                            due_at,
                        },
                    );
                }
            }
        }
    }
    out
}

// ---- checkin data ----

#[derive(Deserialize)]
struct DataBody {
    #[serde(default, deserialize_with = "loose::int")]
    opencheckindatatype: Option<i64>,
    #[serde(default, deserialize_with = "loose::int")]
    starttime: Option<i64>,
    #[serde(default, deserialize_with = "loose::int")]
    endtime: Option<i64>,
    #[serde(default, deserialize_with = "loose::string_list")]
    useridlist: Option<Vec<String>>,
}

/// A record of `getcheckindata`.
struct Record {
    userid: String,
    at_s: i64,
    value: Value,
}

fn rule_names(rules: &CorpRules, rule_id: Option<i64>) -> (i64, String) {
    rule_id
        .and_then(|id| rules.get(id))
        .map(|r| (r.group_id, r.input.name.clone()))
        .unwrap_or_default()
}

/// Clock-ins made between two moments (at most 30 days apart): 1 上下班打卡, 2 外出打卡 (field
/// work), 3 both; each as it counts in its day now (a later clock-out can take over from an
/// earlier one). Sections whose clock-in or clock-out never came (and can no longer come) are listed too, as
/// WeCom does, with `exception_type` 未打卡 at the time they were due.
async fn checkin_data(
    State(app): State<AppState>,
    caller: AppCaller,
    bytes: Bytes,
) -> AppResult<Response> {
    let g = grant(&caller)?;
    let corp = g.corp();
    let b: DataBody = parse(&bytes)?;
    let kind = b.opencheckindatatype.unwrap_or(0);
    if !(1..=3).contains(&kind) {
        return Err(bad("opencheckindatatype", FieldReason::Unknown));
    }
    let (start, end) = span(b.starttime, b.endtime, true, DATA_SPAN_S)?;
    let userids = user_list(b.useridlist)?;
    let people = visible(&app, &caller, corp, &userids, |i| format!("useridlist.{i}")).await?;
    let zone = plan::corp_zone(&app, corp).await?;
    let rules = corp_rules(&app, corp).await?;
    let (from_ms, to_ms) = (start * 1000, (end + 1) * 1000);
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    let stored = external::clock_ins(&app.db, corp, &ids, from_ms, to_ms).await?;
    // The days spanned, the day before included (a night shift's clock-out counts for it).
    let first = day_of(&zone, start)
        .yesterday()
        .unwrap_or(day_of(&zone, start));
    let last = day_of(&zone, end).min(today(&app, &zone));
    let now = app.now();
    let mut out: Vec<Record> = Vec::new();
    for p in &people {
        let days = if first <= last {
            member_days(&app, corp, p.id, first, last).await?.days
        } else {
            Vec::new()
        };
        let counted = counted(&days);
        for c in stored.iter().filter(|c| c.member_id == p.id) {
            if (kind == 1 && c.field) || (kind == 2 && !c.field) {
                continue;
            }
            let k = counted.get(&c.at);
            // Field work is 外出打卡; a clock-in that counted for no section is the day's start
            // when it came first, else an end.
            let checkin_type = match k {
                _ if c.field => "外出打卡",
                Some(k) => k.checkin_type,
                None if c.first_of_day => "上班打卡",
                None => "下班打卡",
            };
            let mut exceptions = Vec::new();
            if k.is_some_and(|k| k.status != ClockStatus::Normal) {
                exceptions.push("时间异常");
            }
            if !c.within_area && !c.field {
                exceptions.push("地点异常");
            }
            let (lat, lng) = match (c.lat, c.lng) {
                (Some(lat), Some(lng)) => {
                    let (glat, glng) = geo::from_wgs84(
                        CoordSystem::Gcj02,
                        geo::from_micro(lat),
                        geo::from_micro(lng),
                    );
                    (geo::micro(glat), geo::micro(glng))
                }
                _ => (0, 0),
            };
            let (groupid, groupname) = rule_names(&rules, c.rule_id);
            out.push(Record {
                userid: p.userid.clone(),
                at_s: c.at / 1000,
                value: json!({
                    "userid": p.userid,
                    "groupname": groupname,
                    "checkin_type": checkin_type,
                    "exception_type": exceptions.join(";"),
                    "checkin_time": c.at / 1000,
                    "location_title": c.place,
                    "location_detail": "",
                    "wifiname": c.network,
                    "wifimac": "",
                    "notes": c.note,
                    "mediaids": c.photos,
                    "lat": lat,
                    "lng": lng,
                    "deviceid": c.device,
                    "sch_checkin_time": k.map_or(0, |k| k.due_at / 1000),
                    "groupid": groupid,
                    "schedule_id": c.shift_id,
                    "timeline_id": k.map_or(0, |k| k.section),
                }),
            });
        }
        if kind == 2 {
            continue;
        }
        // Clock-ins that never came, at the moment they were due.
        for d in &days {
            let Some(rule) = d.plan.rule.as_ref().filter(|_| d.plan.due()) else {
                continue;
            };
            for (i, (s, r)) in d.plan.sections.iter().zip(&d.result.sections).enumerate() {
                if r.on_leave {
                    continue;
                }
                let mut missed = Vec::new();
                if r.on_clock.is_none() && now >= s.off_at {
                    missed.push(("上班打卡", s.on_at));
                }
                if r.off_clock.is_none() && rule.input.off_required && now >= d.plan.window_end() {
                    missed.push(("下班打卡", s.off_at));
                }
                for (checkin_type, due) in missed {
                    if due < from_ms || due >= to_ms {
                        continue;
                    }
                    out.push(Record {
                        userid: p.userid.clone(),
                        at_s: due / 1000,
                        value: json!({
                            "userid": p.userid,
                            "groupname": rule.input.name,
                            "checkin_type": checkin_type,
                            "exception_type": "未打卡",
                            "checkin_time": due / 1000,
                            "location_title": "",
                            "location_detail": "",
                            "wifiname": "",
                            "wifimac": "",
                            "notes": "",
                            "mediaids": [],
                            "lat": 0,
                            "lng": 0,
                            "deviceid": "",
                            "sch_checkin_time": due / 1000,
                            "groupid": rule.group_id,
                            "schedule_id": d.plan.shift.as_ref().map_or(0, |(id, _)| *id),
                            "timeline_id": i + 1,
                        }),
                    });
                }
            }
        }
    }
    let order: HashMap<&str, usize> = userids
        .iter()
        .enumerate()
        .map(|(i, u)| (u.as_str(), i))
        .collect();
    out.sort_by_key(|r| (order.get(r.userid.as_str()).copied(), r.at_s));
    let list: Vec<Value> = out.into_iter().map(|r| r.value).collect();
    Ok(ok(json!({ "checkindata": list })))
}

// ---- day and month reports ----

#[derive(Deserialize)]
struct ReportBody {
    #[serde(default, deserialize_with = "loose::int")]
    starttime: Option<i64>,
    #[serde(default, deserialize_with = "loose::int")]
    endtime: Option<i64>,
    #[serde(default, deserialize_with = "loose::string_list")]
    useridlist: Option<Vec<String>>,
}

/// What both reports start from: the members, their days from the first to the last asked for
/// (not after today), and the enterprise's department names.
struct Report {
    people: Vec<Person>,
    first: Date,
    last: Date,
    departments: HashMap<i64, (String, String)>,
}

async fn report(
    app: &AppState,
    caller: &AppCaller,
    corp: CorpId,
    b: ReportBody,
) -> AppResult<Report> {
    let (start, end) = span(b.starttime, b.endtime, false, REPORT_DAYS * DAY_S)?;
    let userids = user_list(b.useridlist)?;
    let people = visible(app, caller, corp, &userids, |i| format!("useridlist.{i}")).await?;
    let zone = plan::corp_zone(app, corp).await?;
    let first = day_of(&zone, start);
    let last = day_of(&zone, end).min(today(app, &zone));
    let departments = people::all_departments(&app.db, corp)
        .await?
        .into_iter()
        .map(|(id, path, name)| (id, (path, name)))
        .collect();
    Ok(Report {
        people,
        first,
        last,
        departments,
    })
}

impl Report {
    /// "企业/部门A;企业/部门B": each of the member's departments as its path of names.
    fn departs_name(&self, p: &Person) -> String {
        p.departments
            .iter()
            .map(|(_, path)| {
                path.split('/')
                    .filter_map(|s| s.parse::<i64>().ok())
                    .filter_map(|id| self.departments.get(&id).map(|(_, n)| n.as_str()))
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .collect::<Vec<_>>()
            .join(";")
    }
}

/// `record_type`: 1 固定上下班, 3 按班次上下班, 4 自由签到, 7 无规则.
fn record_type(rule: Option<&Arc<Rule>>) -> i64 {
    match rule.map(|r| r.input.kind) {
        Some(RuleKind::Fixed) => 1,
        Some(RuleKind::Scheduled) => 3,
        Some(RuleKind::Free) => 4,
        None => 7,
    }
}

/// Exceptions of a day as (code, count, seconds): 1 迟到, 2 早退, 3 缺卡, 4 旷工 (the sections
/// missed whole, or the day's minimum of a free rule).
fn exceptions(c: &Computed) -> [(i64, i64, i64); 4] {
    let r = &c.result;
    let absent_s = if !r.absent {
        0
    } else if c.plan.sections.is_empty() {
        (c.plan.free_ms / 1000 - r.leave_minutes() * 60).max(0)
    } else {
        c.plan
            .sections
            .iter()
            .zip(&r.sections)
            .filter(|(_, s)| {
                !s.on_leave
                    && ((s.on_clock.is_none() && s.off_clock.is_none())
                        || s.on_clock.is_some_and(|k| k.status == ClockStatus::Absent))
            })
            .map(|(p, _)| p.work_ms() / 1000)
            .sum()
    };
    [
        (1, r.late_count, r.late_minutes * 60),
        (2, r.early_count, r.early_minutes * 60),
        (3, r.missing_count, 0),
        (4, i64::from(r.absent), absent_s),
    ]
}

fn exception_infos(sums: &[(i64, i64, i64)]) -> Vec<Value> {
    sums.iter()
        .filter(|(_, count, _)| *count > 0)
        .map(|(code, count, duration)| {
            json!({"exception": code, "count": count, "duration": duration})
        })
        .collect()
}

/// `sp_items` of some days: leave by type (1), make-up clock-ins (2), field clock-ins (100).
fn sp_items(approved: &[&Approved], corrections: i64, field: i64) -> Vec<Value> {
    let mut leave: BTreeMap<&str, (HashSet<&str>, i64)> = BTreeMap::new();
    for a in approved.iter().filter(|a| a.kind == "leave") {
        let e = leave.entry(a.leave_type.as_str()).or_default();
        e.0.insert(a.sp_no.as_str());
        e.1 += a.minutes * 60;
    }
    let mut out: Vec<Value> = leave
        .into_iter()
        .map(|(name, (sp, duration))| {
            json!({"type": 1, "vacation_id": 0, "count": sp.len(), "duration": duration, "time_type": 1, "name": name})
        })
        .collect();
    if corrections > 0 {
        out.push(json!({"type": 2, "vacation_id": 0, "count": corrections, "duration": 0, "time_type": 0, "name": "补卡次数"}));
    }
    out.push(json!({"type": 100, "vacation_id": 0, "count": field, "duration": 0, "time_type": 0, "name": "外勤次数"}));
    out
}

/// Overtime seconds of a day by the kind of day: (working day, rest day, holiday).
fn overtime_s(c: &Computed) -> (i64, i64, i64) {
    let s = c.result.overtime_minutes * 60;
    match c.plan.kind {
        DayKind::Workday => (s, 0, 0),
        DayKind::Holiday => (0, 0, s),
        DayKind::Rest | DayKind::NoRule => (0, s, 0),
    }
}

fn rule_info(c: &Computed) -> Value {
    let rule = c.plan.rule.as_ref();
    let checkintime: Vec<Value> = match rule.map(|r| r.input.kind) {
        Some(RuleKind::Fixed) => c
            .plan
            .sections
            .iter()
            .map(|s| {
                json!({"work_sec": (s.on_at - c.plan.day_start) / 1000, "off_work_sec": (s.off_at - c.plan.day_start) / 1000})
            })
            .collect(),
        _ => Vec::new(),
    };
    json!({
        "groupid": rule.map_or(0, |r| r.group_id),
        "groupname": rule.map(|r| r.input.name.clone()).unwrap_or_default(),
        "scheduleid": c.plan.shift.as_ref().map_or(0, |(id, _)| *id),
        "schedulename": c.plan.shift.as_ref().map(|(_, n)| n.clone()).unwrap_or_default(),
        "checkintime": checkintime,
    })
}

/// "09/03 10:00~09/03 10:01" on the enterprise's clock.
fn period(zone: &Zone, from: i64, to: i64) -> String {
    let at = |ms: i64| {
        let l = zone.local(ms);
        let d = date::from_epoch_day(l.day);
        format!(
            "{:02}/{:02} {:02}:{:02}",
            d.month(),
            d.day(),
            l.minute / 60,
            l.minute % 60
        )
    };
    format!("{}~{}", at(from), at(to))
}

/// 日报: one entry per member and day (days not after today).
async fn day_data(
    State(app): State<AppState>,
    caller: AppCaller,
    bytes: Bytes,
) -> AppResult<Response> {
    let g = grant(&caller)?;
    let corp = g.corp();
    let b: ReportBody = parse(&bytes)?;
    let rep = report(&app, &caller, corp, b).await?;
    let zone = plan::corp_zone(&app, corp).await?;
    let mut datas = Vec::new();
    for p in &rep.people {
        if rep.first > rep.last {
            break;
        }
        let m = member_days(&app, corp, p.id, rep.first, rep.last).await?;
        let departs_name = rep.departs_name(p);
        for c in &m.days {
            let key = date::key(c.date);
            let r = &c.result;
            let at = |t: Option<i64>| t.map_or(0, |t| (t - c.plan.day_start) / 1000);
            let approved: Vec<&Approved> = m.approved.iter().filter(|a| a.day == key).collect();
            let (work_ot, rest_ot, holiday_ot) = overtime_s(c);
            let ot = r.overtime_minutes * 60;
            datas.push(json!({
                "base_info": {
                    "date": c.plan.day_start / 1000,
                    "record_type": record_type(c.plan.rule.as_ref()),
                    "name": p.name,
                    "name_ex": "",
                    "departs_name": departs_name,
                    "acctid": p.userid,
                    "rule_info": rule_info(c),
                    "day_type": if c.plan.due() { 0 } else { 1 },
                },
                "summary_info": {
                    "checkin_count": m.punches.get(&key).copied().unwrap_or(0),
                    "regular_work_sec": r.work_minutes * 60,
                    "standard_work_sec": r.standard_minutes * 60,
                    "earliest_time": at(r.first_in),
                    "lastest_time": at(r.last_out),
                },
                "holiday_infos": approved.iter().filter(|a| a.kind == "leave").map(|a| json!({
                    "sp_number": a.sp_no,
                    "sp_title": texts(format!("请假{:.1}小时", a.minutes as f64 / 60.0)),
                    "sp_description": texts(period(&zone, a.start_at, a.end_at)),
                })).collect::<Vec<_>>(),
                "exception_infos": exception_infos(&exceptions(c)),
                "ot_info": {
                    "ot_status": if ot > 0 { 1 } else { 0 },
                    "ot_duration": ot,
                    "exception_duration": [],
                    "workday_over_as_vacation": 0,
                    "workday_over_as_money": work_ot,
                    "restday_over_as_vacation": 0,
                    "restday_over_as_money": rest_ot,
                    "holiday_over_as_vacation": 0,
                    "holiday_over_as_money": holiday_ot,
                },
                "sp_items": sp_items(&approved, m.corrections.get(&key).copied().unwrap_or(0), r.field_count),
            }));
        }
    }
    Ok(ok(json!({ "datas": datas })))
}

/// 月报: one entry per member, the days asked for (not after today) summed. Days still open are
/// left out of the day counts, as in the member's own month.
async fn month_data(
    State(app): State<AppState>,
    caller: AppCaller,
    bytes: Bytes,
) -> AppResult<Response> {
    let g = grant(&caller)?;
    let corp = g.corp();
    let b: ReportBody = parse(&bytes)?;
    let rep = report(&app, &caller, corp, b).await?;
    let rules = corp_rules(&app, corp).await?;
    let mut datas = Vec::new();
    for p in &rep.people {
        let m = if rep.first <= rep.last {
            member_days(&app, corp, p.id, rep.first, rep.last).await?
        } else {
            MemberDays {
                days: Vec::new(),
                punches: HashMap::new(),
                corrections: HashMap::new(),
                approved: Vec::new(),
            }
        };
        let rule = rules.rule_for(p);
        let (mut work_days, mut regular_days, mut except_days, mut rest_days) = (0, 0, 0, 0);
        let (mut work_s, mut standard_s) = (0, 0);
        let mut sums = [(1, 0, 0), (2, 0, 0), (3, 0, 0), (4, 0, 0)];
        let (mut work_ot, mut rest_ot, mut holiday_ot) = (0, 0, 0);
        let mut field = 0;
        for c in &m.days {
            let r = &c.result;
            for (sum, day) in sums.iter_mut().zip(exceptions(c)) {
                sum.1 += day.1;
                sum.2 += day.2;
            }
            let (w, rs, h) = overtime_s(c);
            (work_ot, rest_ot, holiday_ot) = (work_ot + w, rest_ot + rs, holiday_ot + h);
            field += r.field_count;
            work_s += r.work_minutes * 60;
            if matches!(r.status, DayStatus::Pending | DayStatus::None) {
                continue;
            }
            if !r.due {
                rest_days += 1;
                continue;
            }
            work_days += 1;
            standard_s += r.standard_minutes * 60;
            match r.status {
                DayStatus::Absent | DayStatus::Missing | DayStatus::Late | DayStatus::Early => {
                    except_days += 1
                }
                _ => regular_days += 1,
            }
        }
        let approved: Vec<&Approved> = m.approved.iter().collect();
        datas.push(json!({
            "base_info": {
                "record_type": record_type(rule),
                "name": p.name,
                "name_ex": "",
                "departs_name": rep.departs_name(p),
                "acctid": p.userid,
                "rule_info": {
                    "groupid": rule.map_or(0, |r| r.group_id),
                    "groupname": rule.map(|r| r.input.name.clone()).unwrap_or_default(),
                },
            },
            "summary_info": {
                "work_days": work_days,
                "regular_days": regular_days,
                "except_days": except_days,
                "rest_days": rest_days,
                "regular_work_sec": work_s,
                "standard_work_sec": standard_s,
            },
            "exception_infos": exception_infos(&sums),
            "sp_items": sp_items(&approved, m.corrections.values().sum(), field),
            "overwork_info": {
                "workday_over_sec": work_ot,
                "holidays_over_sec": holiday_ot,
                "restdays_over_sec": rest_ot,
                "workdays_over_as_vacation": 0,
                "workdays_over_as_money": work_ot,
                "restdays_over_as_vacation": 0,
                "restdays_over_as_money": rest_ot,
                "holidays_over_as_vacation": 0,
                "holidays_over_as_money": holiday_ot,
            },
        }));
    }
    Ok(ok(json!({ "datas": datas })))
}

// ---- schedules ----

/// The shifts of members on scheduled rules, by month: `scheduleList` (camelCase, as WeCom) of the
/// days that have an entry, 0 being 休息. Members on other rules are left out.
async fn schedule_list(
    State(app): State<AppState>,
    caller: AppCaller,
    bytes: Bytes,
) -> AppResult<Response> {
    let g = grant(&caller)?;
    let corp = g.corp();
    let b: ReportBody = parse(&bytes)?;
    let (start, end) = span(b.starttime, b.endtime, false, REPORT_DAYS * DAY_S)?;
    let userids = user_list(b.useridlist)?;
    let people = visible(&app, &caller, corp, &userids, |i| format!("useridlist.{i}")).await?;
    let zone = plan::corp_zone(&app, corp).await?;
    let (first, last) = (day_of(&zone, start), day_of(&zone, end));
    // The span in pieces of one month each.
    let mut months = Vec::new();
    let mut from = first;
    while from <= last {
        let to = from.last_of_month().min(last);
        months.push((from, to));
        match to.tomorrow() {
            Ok(next) => from = next,
            Err(_) => break,
        }
    }
    let rules = corp_rules(&app, corp).await?;
    let mut grids: HashMap<(i64, Date), schedule::ScheduleGrid> = HashMap::new();
    let mut list = Vec::new();
    for p in &people {
        let Some(rule) = rules
            .rule_for(p)
            .filter(|r| r.input.kind == RuleKind::Scheduled)
        else {
            continue;
        };
        for (from, to) in &months {
            let key = (rule.pk(), *from);
            if let std::collections::hash_map::Entry::Vacant(e) = grids.entry(key) {
                // The app's visible range was checked above; the grid is read whole.
                e.insert(schedule::grid(&app, corp, rule, &Scope::All, *from, *to).await?);
            }
            let Some(member) = grids[&key].members.iter().find(|m| m.userid == p.userid) else {
                continue;
            };
            let days: Vec<Value> = member
                .days
                .iter()
                .filter_map(|(day, shift)| {
                    let d = date::parse(day)?;
                    let info = match shift {
                        0 => json!({"schedule_id": 0, "schedule_name": "休息", "time_section": []}),
                        id => {
                            let s = rule.shift(*id)?;
                            json!({
                                "schedule_id": s.id,
                                "schedule_name": s.name,
                                "time_section": s.sections.iter().enumerate()
                                    .map(|(i, x)| wecom_shape::time_section("id", i, x, &rule.input))
                                    .collect::<Vec<_>>(),
                            })
                        }
                    };
                    Some(json!({"day": d.day(), "schedule_info": info}))
                })
                .collect();
            list.push(json!({
                "userid": p.userid,
                "yearmonth": i64::from(from.year()) * 100 + i64::from(from.month()),
                "groupid": rule.group_id,
                "groupname": rule.input.name,
                "schedule": {"scheduleList": days},
            }));
        }
    }
    Ok(ok(json!({ "schedule_list": list })))
}

#[derive(Deserialize)]
struct SetScheduleBody {
    #[serde(default, deserialize_with = "loose::int")]
    groupid: Option<i64>,
    #[serde(default, deserialize_with = "loose::int")]
    yearmonth: Option<i64>,
    #[serde(default)]
    items: Vec<SetItemBody>,
}

#[derive(Deserialize)]
struct SetItemBody {
    #[serde(default, deserialize_with = "loose::string")]
    userid: Option<String>,
    #[serde(default, deserialize_with = "loose::int")]
    day: Option<i64>,
    #[serde(default, deserialize_with = "loose::int")]
    schedule_id: Option<i64>,
}

/// Sets shifts of a scheduled rule on days of a month (`schedule_id` 0 is 休息).
async fn set_schedule_list(
    State(app): State<AppState>,
    caller: AppCaller,
    bytes: Bytes,
) -> AppResult<Response> {
    let g = grant(&caller)?;
    let corp = g.corp();
    let b: SetScheduleBody = parse(&bytes)?;
    let groups = Groups::load(&app, corp).await?;
    let rule = groups.by_groupid(b.groupid, "groupid")?;
    let ym = b.yearmonth.unwrap_or(0);
    let (year, month) = (ym / 100, ym % 100);
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) {
        return Err(bad("yearmonth", FieldReason::Invalid));
    }
    if b.items.is_empty() {
        return Err(bad("items", FieldReason::Required));
    }
    let mut userids = Vec::with_capacity(b.items.len());
    let mut items = Vec::with_capacity(b.items.len());
    for (i, x) in b.items.iter().enumerate() {
        let userid = x
            .userid
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| bad(&format!("items.{i}.userid"), FieldReason::Required))?;
        let day = x
            .day
            .and_then(|d| i8::try_from(d).ok())
            .and_then(|d| Date::new(year as i16, month as i8, d).ok())
            .ok_or_else(|| bad(&format!("items.{i}.day"), FieldReason::Invalid))?;
        let shift = x
            .schedule_id
            .filter(|s| *s >= 0)
            .ok_or_else(|| bad(&format!("items.{i}.schedule_id"), FieldReason::Required))?;
        userids.push(userid.to_owned());
        items.push(ScheduleItem {
            userid: userid.to_owned(),
            date: date::format(day),
            shift_id: Some(shift),
        });
    }
    visible(&app, &caller, corp, &userids, |i| {
        format!("items.{i}.userid")
    })
    .await?;
    // The app's visible range was checked above; the rule's members are read whole.
    schedule::set(&app, &caller.actor, &Scope::All, &rule, &items)
        .await
        .map_err(|mut e| {
            for f in &mut e.fields {
                f.field = match f.field.as_str() {
                    "rule" => "groupid".into(),
                    other => other
                        .replace(".date", ".day")
                        .replace(".shift_id", ".schedule_id"),
                };
            }
            invalid(e)
        })?;
    Ok(ok_empty())
}

// ---- clock-ins from outside ----

#[derive(Deserialize)]
struct CorrectionBody {
    #[serde(default, deserialize_with = "loose::string")]
    userid: Option<String>,
    #[serde(default, deserialize_with = "loose::int")]
    schedule_date_time: Option<i64>,
    #[serde(default, deserialize_with = "loose::int")]
    schedule_checkin_time: Option<i64>,
    #[serde(default, deserialize_with = "loose::int")]
    checkin_time: Option<i64>,
    #[serde(default, deserialize_with = "loose::string")]
    remark: Option<String>,
}

/// A make-up clock-in (补卡) for a member's day, counted at its time.
async fn punch_correction(
    State(app): State<AppState>,
    caller: AppCaller,
    bytes: Bytes,
) -> AppResult<Response> {
    let g = grant(&caller)?;
    let corp = g.corp();
    let b: CorrectionBody = parse(&bytes)?;
    let userid = b
        .userid
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .ok_or_else(|| bad("userid", FieldReason::Required))?;
    let day_s = b
        .schedule_date_time
        .filter(|d| *d > 0)
        .ok_or_else(|| bad("schedule_date_time", FieldReason::Required))?;
    let at = b
        .checkin_time
        .filter(|t| *t > 0)
        .ok_or_else(|| bad("checkin_time", FieldReason::Required))?;
    if let Some(s) = b.schedule_checkin_time
        && !(0..=2 * DAY_S).contains(&s)
    {
        return Err(bad("schedule_checkin_time", FieldReason::Range));
    }
    let remark = b.remark.unwrap_or_default().trim().to_owned();
    if remark.len() > 512 {
        return Err(bad("remark", FieldReason::TooLong));
    }
    let people = visible(&app, &caller, corp, std::slice::from_ref(&userid), |_| {
        "userid".into()
    })
    .await?;
    let zone = plan::corp_zone(&app, corp).await?;
    let c = Correction {
        member: people[0].id,
        userid,
        day: day_of(&zone, day_s),
        at: at * 1000,
        due_s: b.schedule_checkin_time,
        note: remark,
    };
    external::punch_correction(&app, &caller.actor, &c)
        .await
        .map_err(invalid)?;
    Ok(ok_empty())
}

#[derive(Deserialize)]
struct RecordsBody {
    #[serde(default)]
    records: Vec<RecordBody>,
}

#[derive(Deserialize)]
struct RecordBody {
    #[serde(default, deserialize_with = "loose::string")]
    userid: Option<String>,
    #[serde(default, deserialize_with = "loose::int")]
    checkin_time: Option<i64>,
    #[serde(default, deserialize_with = "loose::string")]
    location_title: Option<String>,
    #[serde(default, deserialize_with = "loose::int")]
    lat: Option<i64>,
    #[serde(default, deserialize_with = "loose::int")]
    lng: Option<i64>,
    #[serde(default, deserialize_with = "loose::string")]
    wifiname: Option<String>,
    #[serde(default, deserialize_with = "loose::string")]
    device_detail: Option<String>,
    #[serde(default, deserialize_with = "loose::string")]
    notes: Option<String>,
    #[serde(default, deserialize_with = "loose::string_list")]
    mediaids: Option<Vec<String>>,
}

fn trimmed(v: &Option<String>, at: &str, max: usize) -> AppResult<String> {
    let s = v.as_deref().unwrap_or_default().trim().to_owned();
    if s.chars().count() > max {
        return Err(bad(at, FieldReason::TooLong));
    }
    Ok(s)
}

/// Clock-ins of devices (考勤机, face terminals): 1–200 records, written together. `lat`/`lng` are
/// GCJ-02 micro-degrees; `mediaids` are `media/upload` ids, kept as the member's photos.
/// `location_detail`, `wifimac` and `device_type` are accepted and not kept.
async fn add_record(
    State(app): State<AppState>,
    caller: AppCaller,
    bytes: Bytes,
) -> AppResult<Response> {
    let g = grant(&caller)?;
    let corp = g.corp();
    let b: RecordsBody = parse(&bytes)?;
    if b.records.is_empty() || b.records.len() > MAX_RECORDS {
        return Err(bad("records", FieldReason::Count));
    }
    let mut userids = Vec::with_capacity(b.records.len());
    for (i, r) in b.records.iter().enumerate() {
        let at = format!("records.{i}");
        let userid = r
            .userid
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| bad(&format!("{at}.userid"), FieldReason::Required))?;
        userids.push(userid.to_owned());
        if r.checkin_time.is_none() {
            return Err(bad(&format!("{at}.checkin_time"), FieldReason::Required));
        }
        match (r.lat, r.lng) {
            (None, None) => {}
            (Some(lat), Some(lng)) => {
                if lat.abs() > 90_000_000 {
                    return Err(bad(&format!("{at}.lat"), FieldReason::Range));
                }
                if lng.abs() > 180_000_000 {
                    return Err(bad(&format!("{at}.lng"), FieldReason::Range));
                }
            }
            (None, Some(_)) => return Err(bad(&format!("{at}.lat"), FieldReason::Required)),
            (Some(_), None) => return Err(bad(&format!("{at}.lng"), FieldReason::Required)),
        }
        if r.mediaids.as_ref().is_some_and(|m| m.len() > 9) {
            return Err(bad(&format!("{at}.mediaids"), FieldReason::TooMany));
        }
    }
    let people = visible(&app, &caller, corp, &userids, |i| {
        format!("records.{i}.userid")
    })
    .await?;
    let mut records = Vec::with_capacity(b.records.len());
    for (i, (r, p)) in b.records.iter().zip(&people).enumerate() {
        let at = format!("records.{i}");
        let point = match (r.lat, r.lng) {
            (Some(lat), Some(lng)) if lat != 0 || lng != 0 => Some(geo::to_wgs84(
                CoordSystem::Gcj02,
                geo::from_micro(lat),
                geo::from_micro(lng),
            )),
            _ => None,
        };
        records.push(DeviceRecord {
            member: p.id,
            at: r.checkin_time.unwrap_or_default().saturating_mul(1000),
            point,
            place: trimmed(&r.location_title, &format!("{at}.location_title"), 100)?,
            network: trimmed(&r.wifiname, &format!("{at}.wifiname"), 64)?,
            note: trimmed(&r.notes, &format!("{at}.notes"), 200)?,
            photos: Vec::new(),
            device: trimmed(&r.device_detail, &format!("{at}.device_detail"), 100)?,
        });
    }
    // Photos become the member's own files, as a photo taken in the web client is.
    for (i, (r, rec)) in b.records.iter().zip(records.iter_mut()).enumerate() {
        for (j, id) in r.mediaids.iter().flatten().enumerate() {
            let (row, bytes) = media::load(&app, corp, id).await.map_err(|e| {
                if e.kind == ErrorKind::MediaNotFound {
                    AppError::field(&format!("records.{i}.mediaids.{j}"), FieldReason::NotFound)
                        .with_kind(ErrorKind::MediaNotFound)
                } else {
                    e
                }
            })?;
            let m = qixie_chat::media::store(
                &app,
                corp,
                UploadedBy::Member(rec.member),
                &row.filename,
                bytes,
            )
            .await?;
            rec.photos.push(m.id);
        }
    }
    external::add_records(&app, &caller.actor, &records)
        .await
        .map_err(invalid)?;
    Ok(ok_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_lists_get_wecoms_codes() {
        assert_eq!(span(Some(10), Some(20), true, 30).ok(), Some((10, 20)));
        assert_eq!(span(Some(10), Some(10), false, 30).ok(), Some((10, 10)));
        for (s, e, strict) in [
            (Some(10), Some(10), true),
            (Some(20), Some(10), false),
            (None, Some(10), false),
            (Some(0), Some(10), false),
            (Some(10), Some(41), false),
        ] {
            let err = span(s, e, strict, 30).unwrap_err();
            assert_eq!(err.kind.wecom_errcode(), 301024, "{s:?} {e:?}");
        }
        assert_eq!(
            user_list(Some(vec![" a ".into(), "a".into(), "b".into()])).ok(),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        for bad in [
            None,
            Some(vec![]),
            Some((0..101).map(|i| i.to_string()).collect()),
        ] {
            let e = user_list(bad).unwrap_err();
            assert_eq!(e.kind.wecom_errcode(), 301023);
            assert_eq!(e.fields[0].field, "useridlist");
        }
        let e = invalid(AppError::field("group.groupname", FieldReason::Required));
        assert_eq!(e.kind.wecom_errcode(), 301075);
    }

    #[test]
    fn leave_periods_read_on_the_enterprise_clock() {
        let zone = Zone::default();
        // 2026-09-03 10:00 to 10:01 in Shanghai.
        let from = 1_788_400_800_000;
        assert_eq!(
            period(&zone, from, from + 60_000),
            "09/03 10:00~09/03 10:01"
        );
    }
}
