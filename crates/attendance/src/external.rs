//! Clock-ins that come from outside the web client, and what WeCom's checkin calls read: a device or
//! face terminal's records (`add_checkin_record`, source `device`) and a make-up clock-in
//! (`punch_correction`, source `correction`), each written with its day recomputed in the same
//! transaction, classified as a clock-in from the browser is; the stored clock-ins of members over
//! a span, the approvals that count on their days, and who wrote each rule.
use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;

use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::Actor;
use qixie_kernel::db::{Conn, Database, Tx, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::ids::{CorpId, MemberId, new_id};
use serde_json::json;

use crate::clockin::{self, measure};
use crate::date;
use crate::days::{self, Computed};
use crate::geo;
use crate::plan;
use crate::rule::Rule;
use crate::settings::{self, Precision};

/// A record dated this far after the server's clock is refused (a device's clock may run ahead).
const MAX_AHEAD_MS: i64 = 5 * 60_000;
const HOUR_MS: i64 = 3_600_000;

/// A device's clock-in (智慧考勤机, a face terminal), as an app hands it over.
#[derive(Debug, Clone)]
pub struct DeviceRecord {
    pub member: i64,
    /// Unix ms.
    pub at: i64,
    /// WGS-84, when the device gave a position.
    pub point: Option<(f64, f64)>,
    /// Where the device is (its location title).
    pub place: String,
    /// The network it reported (a Wi-Fi name).
    pub network: String,
    pub note: String,
    /// File ids of photos taken.
    pub photos: Vec<String>,
    pub device: String,
}

/// A make-up clock-in (补卡) for a member's day.
#[derive(Debug, Clone)]
pub struct Correction {
    pub member: i64,
    pub userid: String,
    /// The day it is for.
    pub day: Date,
    /// Unix ms of the clock-in it stands for.
    pub at: i64,
    /// The section start or end it is for, seconds after the day's midnight (checked, not used to
    /// classify: the time decides, as for any clock-in).
    pub due_s: Option<i64>,
    pub note: String,
}

/// A clock-in about to be written.
struct NewClockIn<'a> {
    member: i64,
    rule: &'a Rule,
    at: i64,
    day: Date,
    shift: i64,
    source: &'static str,
    point: Option<(f64, f64)>,
    distance_m: Option<i64>,
    within: bool,
    place: String,
    network: String,
    note: String,
    photos: Vec<String>,
    device: String,
}

fn kept(point: Option<(f64, f64)>, precision: Precision) -> (Option<i64>, Option<i64>) {
    let round = |deg: f64| geo::micro((deg * 100.0).round() / 100.0);
    match (point, precision) {
        (Some((lat, lng)), Precision::Exact) => (Some(geo::micro(lat)), Some(geo::micro(lng))),
        (Some((lat, lng)), Precision::Rounded) => (Some(round(lat)), Some(round(lng))),
        (None, _) => (None, None),
    }
}

/// Inserts one clock-in (a repeat within the same second is the same one); its id when new.
async fn insert(
    tx: &mut Tx,
    corp: CorpId,
    c: &NewClockIn<'_>,
    precision: Precision,
    ip: &str,
    now: i64,
) -> AppResult<Option<i64>> {
    let (lat, lng) = kept(c.point, precision);
    let id = new_id(now);
    let n = tx
        .exec(
            sql("INSERT INTO attendance_clock_ins (id, corp_id, member_id, at, day, rule_id, shift_id, kind, source, lat, lng, precision, \
                 distance_m, within_area, place, ip, network, note, photos, field, review, device, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'on', $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, FALSE, '', $19, $20) \
                 ON CONFLICT (member_id, day, at) DO NOTHING")
                .bind(id)
                .bind(corp)
                .bind(c.member)
                .bind(c.at)
                .bind(date::key(c.day))
                .bind(c.rule.pk())
                .bind(c.shift)
                .bind(c.source)
                .bind(lat)
                .bind(lng)
                .bind(match precision {
                    Precision::Exact => "exact",
                    Precision::Rounded => "rounded",
                })
                .bind(c.distance_m)
                .bind(c.within)
                .bind(&c.place)
                .bind(ip)
                .bind(&c.network)
                .bind(&c.note)
                .bind(serde_json::to_string(&c.photos).map_err(AppError::internal)?)
                .bind(&c.device)
                .bind(now),
        )
        .await?;
    Ok((n > 0).then_some(id))
}

/// Writes what each new clock-in counted as in its recomputed day (kind, section, due moment).
async fn classify_new(
    tx: &mut Tx,
    new: &[(i64, &NewClockIn<'_>)],
    days: &HashMap<(i64, Date), &Computed>,
) -> AppResult<()> {
    for (id, c) in new {
        let result = days.get(&(c.member, c.day)).map(|d| &d.result);
        let (kind, _, _, section, due_at) = clockin::classify(c.rule, result, c.at, false);
        tx.exec(
            sql("UPDATE attendance_clock_ins SET kind = $1, section = $2, due_at = $3 WHERE id = $4")
                .bind(&kind)
                .bind(section)
                .bind(due_at)
                .bind(*id),
        )
        .await?;
    }
    Ok(())
}

/// The rule a member follows; refused by `field` (their userid) when none.
async fn rule_of(
    app: &AppState,
    corp: CorpId,
    member: i64,
    field: &str,
) -> AppResult<std::sync::Arc<Rule>> {
    let person = qixie_org::people::person(&app.db, corp, MemberId(member))
        .await?
        .ok_or_else(|| AppError::field(field, FieldReason::NotFound))?;
    crate::rule::store::rule_of(app, corp, &person)
        .await?
        .ok_or_else(|| AppError::new(ErrorKind::NoAttendanceRule).on_field(field))
}

/// Records a batch of device clock-ins in one transaction: each counts for the day it falls in (a
/// night shift's clock-out for the day the shift began), is measured against the member's places
/// when it has a position (a device is trusted to be at work, so it is never field work), and the
/// days are recomputed. A record repeated (same member, same second) is kept once. Answers how
/// many were new. Errors name `records.<i>.<field>`.
pub async fn add_records(
    app: &AppState,
    actor: &Actor,
    records: &[DeviceRecord],
) -> AppResult<usize> {
    let corp = actor.corp;
    let now = app.now();
    let mut rules = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        if r.at <= 0 || r.at > now + MAX_AHEAD_MS {
            return Err(AppError::field(
                &format!("records.{i}.checkin_time"),
                FieldReason::Range,
            ));
        }
        if let std::collections::hash_map::Entry::Vacant(e) = rules.entry(r.member) {
            e.insert(rule_of(app, corp, r.member, &format!("records.{i}.userid")).await?);
        }
    }
    let zone = plan::corp_zone(app, corp).await?;
    let precision = settings::get(&app.db, corp).await?.location_precision;
    let mut tx = app.db.begin().await?;
    let mut planned = Vec::with_capacity(records.len());
    for r in records {
        let rule = &rules[&r.member];
        let today = date::from_epoch_day(zone.local(r.at).day);
        let yesterday = today.yesterday().unwrap_or(today);
        let plans = plan::load(app, &mut tx, corp, r.member, yesterday, today).await?;
        let day = clockin::day_of(plans.day(yesterday), plans.day(today), r.at);
        let pos = r.point.map(|p| measure(rule, Some(p), None, ""));
        planned.push(NewClockIn {
            member: r.member,
            rule,
            at: r.at,
            day: day.date,
            shift: day.shift.as_ref().map_or(0, |(id, _)| *id),
            source: "device",
            point: r.point,
            distance_m: pos
                .as_ref()
                .and_then(|p| p.distance_m)
                .map(|d| d.round() as i64),
            within: pos.as_ref().is_none_or(|p| p.within),
            place: if r.place.is_empty() {
                pos.map(|p| p.place).unwrap_or_default()
            } else {
                r.place.clone()
            },
            network: r.network.clone(),
            note: r.note.clone(),
            photos: r.photos.clone(),
            device: r.device.clone(),
        });
    }
    let mut new = Vec::new();
    for c in &planned {
        if let Some(id) = insert(&mut tx, corp, c, precision, &actor.ip, now).await? {
            new.push((id, c));
        }
    }
    // Each member's days from the first to the last a record fell on.
    let mut spans: BTreeMap<i64, (Date, Date)> = BTreeMap::new();
    for c in &planned {
        let e = spans.entry(c.member).or_insert((c.day, c.day));
        e.0 = e.0.min(c.day);
        e.1 = e.1.max(c.day);
    }
    let mut computed = Vec::new();
    for (member, (from, to)) in &spans {
        let days = days::recompute(&mut tx, app, corp, *member, *from, *to).await?;
        computed.push((*member, days));
    }
    let by_day: HashMap<(i64, Date), &Computed> = computed
        .iter()
        .flat_map(|(m, days)| days.iter().map(move |c| ((*m, c.date), c)))
        .collect();
    classify_new(&mut tx, &new, &by_day).await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "attendance.clock_in.device",
            target: format!("{} members", spans.len()),
            before: None,
            after: Some(json!({"records": records.len(), "new": new.len()})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(new.len())
}

/// Writes a make-up clock-in for a member's day, which counts as a clock-in at its time (normal,
/// late or early) when the day is recomputed in the same transaction. The time must fall near the
/// day (from 12 hours before its midnight to 12 hours after its end: a night shift's clock-out
/// included) and not after now; the day may not be in the future. Errors name WeCom's fields.
pub async fn punch_correction(app: &AppState, actor: &Actor, c: &Correction) -> AppResult<bool> {
    let corp = actor.corp;
    let now = app.now();
    let zone = plan::corp_zone(app, corp).await?;
    let today = date::from_epoch_day(zone.local(now).day);
    if c.day > today {
        return Err(AppError::field("schedule_date_time", FieldReason::Range));
    }
    let day_start = zone.at(date::epoch_day(c.day), 0);
    let day_end = zone.at(date::epoch_day(c.day) + 1, 0);
    if c.at < day_start - 12 * HOUR_MS || c.at >= day_end + 12 * HOUR_MS || c.at > now {
        return Err(AppError::field("checkin_time", FieldReason::Range));
    }
    let rule = rule_of(app, corp, c.member, "userid").await?;
    let mut tx = app.db.begin().await?;
    let plans = plan::load(app, &mut tx, corp, c.member, c.day, c.day).await?;
    let day = plans.day(c.day);
    if let Some(due) = c.due_s {
        let at_s = |ms: i64| (ms - day_start) / 1000;
        let known = day
            .sections
            .iter()
            .any(|s| at_s(s.on_at) == due || at_s(s.off_at) == due);
        if !known {
            return Err(AppError::field(
                "schedule_checkin_time",
                FieldReason::NotFound,
            ));
        }
    }
    let new = NewClockIn {
        member: c.member,
        rule: &rule,
        at: c.at,
        day: c.day,
        shift: day.shift.as_ref().map_or(0, |(id, _)| *id),
        source: "correction",
        point: None,
        distance_m: None,
        within: true,
        place: String::new(),
        network: String::new(),
        note: c.note.clone(),
        photos: Vec::new(),
        device: String::new(),
    };
    let id = insert(&mut tx, corp, &new, Precision::Exact, &actor.ip, now).await?;
    let computed = days::recompute(&mut tx, app, corp, c.member, c.day, c.day).await?;
    let by_day: HashMap<(i64, Date), &Computed> =
        computed.iter().map(|d| ((c.member, d.date), d)).collect();
    if let Some(id) = id {
        classify_new(&mut tx, &[(id, &new)], &by_day).await?;
    }
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "attendance.clock_in.correction",
            target: format!("{} {}", c.userid, date::format(c.day)),
            before: None,
            after: Some(json!({"at": c.at, "note": c.note})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id.is_some())
}

/// A stored clock-in as WeCom's checkin data reads it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub member_id: i64,
    pub at: i64,
    pub rule_id: Option<i64>,
    pub shift_id: i64,
    /// WGS-84 micro-degrees.
    pub lat: Option<i64>,
    pub lng: Option<i64>,
    pub within_area: bool,
    pub place: String,
    pub network: String,
    pub note: String,
    pub photos: Vec<String>,
    pub field: bool,
    pub device: String,
    /// No earlier clock-in on its day (a free rule's first is the day's start).
    pub first_of_day: bool,
}

#[derive(sqlx::FromRow)]
struct StoredRow {
    member_id: i64,
    at: i64,
    rule_id: Option<i64>,
    shift_id: i64,
    lat: Option<i64>,
    lng: Option<i64>,
    within_area: bool,
    place: String,
    network: String,
    note: String,
    photos: String,
    field: bool,
    device: String,
    earlier: i64,
}

/// The clock-ins of `members` made from `from_ms` to `to_ms` (end excluded), oldest first.
pub async fn clock_ins(
    db: &Database,
    corp: CorpId,
    members: &[i64],
    from_ms: i64,
    to_ms: i64,
) -> AppResult<Vec<Stored>> {
    if members.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<StoredRow> = db
        .all(
            sql("SELECT c.member_id, c.at, c.rule_id, c.shift_id, c.lat, c.lng, \
                 c.within_area, c.place, c.network, c.note, c.photos, c.field, c.device, \
                 (SELECT COUNT(*) FROM attendance_clock_ins e WHERE e.member_id = c.member_id AND e.day = c.day AND e.at < c.at) AS earlier \
                 FROM attendance_clock_ins c WHERE c.corp_id = $1 AND c.at >= $2 AND c.at < $3 AND c.member_id IN ")
                .bind(corp)
                .bind(from_ms)
                .bind(to_ms)
                .push_in(members.iter().copied())
                .push(" ORDER BY c.at, c.member_id"),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Stored {
            member_id: r.member_id,
            at: r.at,
            rule_id: r.rule_id,
            shift_id: r.shift_id,
            lat: r.lat,
            lng: r.lng,
            within_area: r.within_area,
            place: r.place,
            network: r.network,
            note: r.note,
            photos: serde_json::from_str(&r.photos).unwrap_or_default(),
            field: r.field,
            device: r.device,
            first_of_day: r.earlier == 0,
        })
        .collect())
}

/// An approval that counts on a member's day (leave, overtime, a make-up clock-in).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Approved {
    pub day: i64,
    pub sp_no: String,
    /// leave, overtime, punch_correction.
    pub kind: String,
    pub leave_type: String,
    pub start_at: i64,
    pub end_at: i64,
    pub minutes: i64,
}

/// The approvals counting on a member's days from `from` to `to`, by day.
pub async fn approved(
    db: impl Into<Conn<'_>>,
    member: i64,
    from: Date,
    to: Date,
) -> AppResult<Vec<Approved>> {
    Ok(db
        .into()
        .all(
            sql("SELECT day, sp_no, kind, leave_type, start_at, end_at, minutes FROM attendance_approved \
                 WHERE member_id = $1 AND day BETWEEN $2 AND $3 ORDER BY day, start_at, sp_no")
                .bind(member)
                .bind(date::key(from))
                .bind(date::key(to)),
        )
        .await?)
}

/// How many make-up clock-ins (source `correction`) each of a member's days has.
pub async fn corrections_by_day(
    db: impl Into<Conn<'_>>,
    member: i64,
    from: Date,
    to: Date,
) -> AppResult<HashMap<i64, i64>> {
    let rows: Vec<(i64, i64)> = db
        .into()
        .all(
            sql("SELECT day, COUNT(*) FROM attendance_clock_ins WHERE member_id = $1 AND day BETWEEN $2 AND $3 \
                 AND source = 'correction' GROUP BY day")
                .bind(member)
                .bind(date::key(from))
                .bind(date::key(to)),
        )
        .await?;
    Ok(rows.into_iter().collect())
}

/// Who created and last changed each rule, by rule id: (creator, last writer) userids, empty for
/// an app (which is no member) or a member since deleted.
pub async fn rule_authors(
    db: &Database,
    corp: CorpId,
) -> AppResult<HashMap<i64, (String, String)>> {
    let rows: Vec<(i64, Option<i64>, Option<i64>)> = db
        .all(
            sql("SELECT id, created_by, updated_by FROM attendance_rules WHERE corp_id = $1")
                .bind(corp),
        )
        .await?;
    let ids: Vec<i64> = rows
        .iter()
        .flat_map(|(_, a, b)| [*a, *b])
        .flatten()
        .collect();
    let cards = qixie_org::member::lookup::cards(db, corp, &ids).await?;
    let userid = |id: Option<i64>| {
        id.and_then(|i| cards.get(&i))
            .map(|c| c.userid.clone())
            .unwrap_or_default()
    };
    Ok(rows
        .into_iter()
        .map(|(id, a, b)| (id, (userid(a), userid(b))))
        .collect())
}
