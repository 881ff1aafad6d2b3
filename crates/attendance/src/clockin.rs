//! Clocking in (打卡): where the member is (a position taken at that moment only, or the office
//! network the request comes from), which day and section it counts for, and the day's result —
//! the clock-in and the day are written in one transaction, so the answer is durable and the day
//! is never behind its clock-ins.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use qixie_kernel::AppState;
use qixie_kernel::authz::Actor;
use qixie_kernel::db::{Tx, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason, Hint, Validator};
use qixie_kernel::ids::{CorpId, MemberId, new_id};
use serde_json::json;

use crate::date;
use crate::days;
use crate::geo::{self, CoordSystem};
use crate::plan::{self, DayPlan};
use crate::result::{ClockStatus, DayStatus};
use crate::rule::{self, Rule, RuleKind};
use crate::settings::{self, Precision};

/// A device clock this far from the server's is refused.
const MAX_SKEW_MS: i64 = 5 * 60_000;
const NOTE_MAX: usize = 200;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockInInput {
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The fix's accuracy in metres, as the device reports it.
    pub accuracy_m: Option<f64>,
    #[serde(default = "wgs84")]
    pub coord_system: CoordSystem,
    #[serde(default)]
    pub note: Option<String>,
    /// Clock in as field work (外勤) when outside every area.
    #[serde(default)]
    pub field: bool,
    /// A photo's file id (`POST /files`).
    #[serde(default)]
    pub photo: Option<String>,
    /// The device's clock, Unix ms.
    #[serde(default)]
    pub client_time: Option<i64>,
}

fn wgs84() -> CoordSystem {
    CoordSystem::Wgs84
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClockInAnswer {
    pub id: String,
    pub at: i64,
    pub date: String,
    /// on, off, field, free.
    pub kind: String,
    /// normal, late, serious_late, early, absent, field, extra.
    pub status: String,
    /// Minutes late or early.
    pub minutes: i64,
    pub within_area: bool,
    /// Metres to the nearest allowed place; null without a position.
    pub distance_m: Option<i64>,
    /// The place or office network it was made at.
    pub place: String,
    pub field: bool,
    pub day_status: String,
}

/// Where a clock-in was made, as measured against the rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    /// WGS-84.
    pub point: Option<(f64, f64)>,
    pub accuracy_m: Option<f64>,
    pub distance_m: Option<f64>,
    pub place: String,
    pub network: String,
    pub within: bool,
    /// Outside, but the fix is too coarse to say so.
    pub inaccurate: bool,
}

/// Measures a position against the rule's places and networks. A fix whose accuracy circle reaches
/// a place counts as there (fair to the member), as long as the fix is at least as precise as the
/// radius; a coarser fix that does not reach is "inaccurate", not "outside". A rule with neither
/// places nor networks lets one clock in anywhere.
pub fn measure(
    rule: &Rule,
    point: Option<(f64, f64)>,
    accuracy_m: Option<f64>,
    ip: &str,
) -> Position {
    let mut pos = Position {
        point,
        accuracy_m,
        distance_m: None,
        place: String::new(),
        network: String::new(),
        within: false,
        inaccurate: false,
    };
    let input = &rule.input;
    if let Some(n) = rule::network_of(&input.networks, ip) {
        pos.network = n.name.clone();
        pos.place = n.name.clone();
        pos.within = true;
    }
    if let Some(p) = point {
        let nearest = input
            .places
            .iter()
            .map(|place| (place, geo::distance_m(p, place.wgs84())))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((place, d)) = nearest {
            pos.distance_m = Some(d);
            let accuracy = accuracy_m.unwrap_or(0.0).max(0.0);
            let radius = place.radius_m as f64;
            // A fix at least as precise as the radius counts where its circle reaches; a coarser
            // one only where its centre is.
            let reach = if accuracy <= radius { accuracy } else { 0.0 };
            if d <= radius + reach {
                pos.within = true;
                if pos.place.is_empty() {
                    pos.place = place.name.clone();
                }
            } else if !pos.within && accuracy > radius && d - accuracy <= radius {
                pos.inaccurate = true;
            }
        }
    }
    if input.places.is_empty() && input.networks.is_empty() {
        pos.within = true;
    }
    pos
}

fn check_input(input: &ClockInInput, now: i64) -> AppResult<Option<(f64, f64)>> {
    let mut v = Validator::default();
    let point = match (input.latitude, input.longitude) {
        (None, None) => None,
        (Some(lat), Some(lng)) => {
            let ok_lat = lat.is_finite() && (-90.0..=90.0).contains(&lat);
            let ok_lng = lng.is_finite() && (-180.0..=180.0).contains(&lng);
            v.check(ok_lat, "latitude", FieldReason::Range);
            v.check(ok_lng, "longitude", FieldReason::Range);
            (ok_lat && ok_lng).then(|| geo::to_wgs84(input.coord_system, lat, lng))
        }
        (None, Some(_)) => {
            v.push("latitude", FieldReason::Required);
            None
        }
        (Some(_), None) => {
            v.push("longitude", FieldReason::Required);
            None
        }
    };
    if let Some(a) = input.accuracy_m {
        v.check(
            a.is_finite() && (0.0..=100_000.0).contains(&a),
            "accuracy_m",
            FieldReason::Range,
        );
    }
    if let Some(n) = &input.note {
        v.check(n.chars().count() <= NOTE_MAX, "note", FieldReason::TooLong);
    }
    v.finish()?;
    if let Some(t) = input.client_time
        && (t - now).abs() > MAX_SKEW_MS
    {
        return Err(AppError::new(ErrorKind::ClockSkew).on_field("client_time"));
    }
    Ok(point)
}

/// The day a clock-in at `now` counts for: yesterday's while a shift begun then is still open
/// (a night shift's clock-out), else today.
pub(crate) fn day_of(yesterday: DayPlan, today: DayPlan, now: i64) -> DayPlan {
    let open_yesterday = yesterday
        .sections
        .last()
        .is_some_and(|s| s.off_at > yesterday.day_end && now < yesterday.window_end())
        && today
            .sections
            .first()
            .is_none_or(|s| now < s.on_at - 2 * 3_600_000);
    if open_yesterday { yesterday } else { today }
}

/// Clocks the signed-in member in. Answers whether a new clock-in was made (false: the same one
/// repeated within its second) and what it counted as.
pub async fn clock_in(
    app: &AppState,
    actor: &Actor,
    input: ClockInInput,
) -> AppResult<(bool, ClockInAnswer)> {
    let corp = actor.corp;
    let member = actor.member_id().ok_or(ErrorKind::Forbidden)?.0;
    let now = app.now();
    let point = check_input(&input, now)?;
    let note = input
        .note
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    let person = qixie_org::people::person(&app.db, corp, MemberId(member))
        .await?
        .ok_or(ErrorKind::MemberNotFound)?;
    let rule = rule::store::rule_of(app, corp, &person)
        .await?
        .ok_or(ErrorKind::NoAttendanceRule)?;
    let pos = measure(&rule, point, input.accuracy_m, &actor.ip);
    let field = !pos.within;
    if field {
        if pos.inaccurate && !input.field {
            return Err(
                AppError::new(ErrorKind::LocationInaccurate).with_hint(outside_hint(&rule, &pos))
            );
        }
        if !input.field || !rule.input.field_allowed {
            return Err(AppError::new(ErrorKind::OutsideArea).with_hint(outside_hint(&rule, &pos)));
        }
        if note.is_empty() {
            return Err(AppError::new(ErrorKind::FieldNoteRequired).on_field("note"));
        }
    }
    if rule.input.photo_required && input.photo.is_none() {
        return Err(AppError::new(ErrorKind::PhotoRequired).on_field("photo"));
    }
    let photos = match &input.photo {
        Some(id) => match qixie_chat::media::readable(app, corp, member, id).await {
            Ok(m) if m.kind == "image" => vec![id.clone()],
            Ok(_) => return Err(AppError::field("photo", FieldReason::NotAnImage)),
            Err(e) if e.kind == ErrorKind::MediaNotFound => {
                return Err(AppError::field("photo", FieldReason::NotFound));
            }
            Err(e) => return Err(e),
        },
        None => Vec::new(),
    };
    let zone = plan::corp_zone(app, corp).await?;
    let today = date::from_epoch_day(zone.local(now).day);
    let yesterday = today.yesterday().unwrap_or(today);
    let settings = settings::get(&app.db, corp).await?;
    // Two taps in one second are one clock-in.
    let at = now - now.rem_euclid(1000);
    // Everything but the writes is read before the transaction, so it holds the writer briefly.
    let plans = plan::load_for(
        app,
        &app.db,
        corp,
        member,
        Some(rule.clone()),
        yesterday,
        today,
    )
    .await?;
    let day = day_of(plans.day(yesterday), plans.day(today), now);
    if let Some(first) = day.sections.first()
        && day.due()
        && at < first.on_at - rule.input.early_limit_minutes * 60_000
        && day.date == today
    {
        return Err(ErrorKind::ClockInTooEarly.into());
    }
    let (lat, lng) = match (point, settings.location_precision) {
        (Some((lat, lng)), Precision::Exact) => (Some(geo::micro(lat)), Some(geo::micro(lng))),
        (Some((lat, lng)), Precision::Rounded) => (Some(round_km(lat)), Some(round_km(lng))),
        (None, _) => (None, None),
    };
    let id = new_id(now);
    let mut tx = app.db.begin().await?;
    let inserted = tx
        .exec(
            sql("INSERT INTO attendance_clock_ins (id, corp_id, member_id, at, day, rule_id, shift_id, kind, source, lat, lng, precision, accuracy_m, \
                 distance_m, within_area, place, ip, network, note, photos, field, review, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'on', 'web', $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) \
                 ON CONFLICT (member_id, day, at) DO NOTHING")
                .bind(id)
                .bind(corp)
                .bind(member)
                .bind(at)
                .bind(date::key(day.date))
                .bind(rule.pk())
                .bind(day.shift.as_ref().map_or(0, |(id, _)| *id))
                .bind(lat)
                .bind(lng)
                .bind(match settings.location_precision {
                    Precision::Exact => "exact",
                    Precision::Rounded => "rounded",
                })
                .bind(input.accuracy_m.map(|a| a.round() as i64))
                .bind(pos.distance_m.map(|d| d.round() as i64))
                .bind(pos.within)
                .bind(&pos.place)
                .bind(&actor.ip)
                .bind(&pos.network)
                .bind(&note)
                .bind(serde_json::to_string(&photos).map_err(AppError::internal)?)
                .bind(field)
                .bind(if field { "pending" } else { "" })
                .bind(now),
        )
        .await?
        > 0;
    let inputs = days::inputs(&mut tx, member, day.date, day.date).await?;
    let computed = days::compute_days(&plans, &inputs, day.date, day.date, now);
    days::store(&mut tx, corp, member, &computed, now).await?;
    let result = computed.first().map(|c| &c.result);
    let (kind, status, minutes, section, due_at) = classify(&rule, result, at, field);
    let id = if inserted {
        tx.exec(
            sql("UPDATE attendance_clock_ins SET kind = $1, section = $2, due_at = $3 WHERE id = $4")
                .bind(&kind)
                .bind(section)
                .bind(due_at)
                .bind(id),
        )
        .await?;
        id
    } else {
        let (existing,): (i64,) = tx
            .one(
                sql("SELECT id FROM attendance_clock_ins WHERE member_id = $1 AND day = $2 AND at = $3")
                    .bind(member)
                    .bind(date::key(day.date))
                    .bind(at),
            )
            .await?;
        existing
    };
    tx.commit().await?;
    Ok((
        inserted,
        ClockInAnswer {
            id: id.to_string(),
            at,
            date: date::format(day.date),
            kind,
            status,
            minutes,
            within_area: pos.within,
            distance_m: pos.distance_m.map(|d| d.round() as i64),
            place: pos.place,
            field,
            day_status: result.map_or("none", |r| r.status.code()).to_owned(),
        },
    ))
}

fn round_km(deg: f64) -> i64 {
    geo::micro((deg * 100.0).round() / 100.0)
}

fn outside_hint(rule: &Rule, pos: &Position) -> Hint {
    let d = pos.distance_m.map(|d| d.round() as i64);
    Hint {
        zh: match d {
            Some(d) => format!("距最近的打卡地点 {d} 米"),
            None => "未获取到位置，也不在办公网络内".into(),
        },
        en: match d {
            Some(d) => format!("{d} m from the nearest clock-in place"),
            None => "No position, and not on an office network".into(),
        },
        data: json!({"distance_m": d, "field_allowed": rule.input.field_allowed,
                     "accuracy_m": pos.accuracy_m.map(|a| a.round() as i64)}),
    }
}

/// What the clock-in at `at` counted as in the day's result: (kind, status, minutes, section,
/// due moment).
pub(crate) fn classify(
    rule: &Rule,
    result: Option<&crate::result::DayResult>,
    at: i64,
    field: bool,
) -> (String, String, i64, i64, i64) {
    let status_of = |s: ClockStatus| match s {
        ClockStatus::Normal => "normal",
        ClockStatus::Late => "late",
        ClockStatus::SeriousLate => "serious_late",
        ClockStatus::Absent => "absent",
        ClockStatus::Early => "early",
    };
    let mark = |s: &str| {
        if field && s == "normal" {
            "field".to_owned()
        } else {
            s.to_owned()
        }
    };
    if rule.input.kind == RuleKind::Free {
        let status = match result.map(|r| r.status) {
            Some(DayStatus::Early) => "early",
            _ => "normal",
        };
        return ("free".into(), mark(status), 0, 0, 0);
    }
    if let Some(r) = result {
        for (i, s) in r.sections.iter().enumerate() {
            if let Some(c) = s.on_clock.filter(|c| c.at == at) {
                return (
                    "on".into(),
                    mark(status_of(c.status)),
                    c.minutes,
                    i as i64 + 1,
                    s.on_at,
                );
            }
            if let Some(c) = s.off_clock.filter(|c| c.at == at) {
                return (
                    "off".into(),
                    mark(status_of(c.status)),
                    c.minutes,
                    i as i64 + 1,
                    s.off_at,
                );
            }
        }
    }
    let kind = if field { "field" } else { "off" };
    (kind.into(), "extra".into(), 0, 0, 0)
}

/// A member's own clock-ins as stored: everything the enterprise keeps about them.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredClockIn {
    pub id: String,
    pub at: i64,
    pub date: String,
    pub kind: String,
    pub source: String,
    /// WGS-84 decimal degrees, as kept (exact or rounded); null when none or forgotten.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// exact or rounded.
    pub precision: String,
    pub accuracy_m: Option<i64>,
    pub distance_m: Option<i64>,
    pub within_area: bool,
    pub place: String,
    pub ip: String,
    pub network: String,
    pub note: String,
    pub photos: Vec<String>,
    pub field: bool,
    /// For field clock-ins: pending, accepted, refused.
    pub review: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct StoredRow {
    id: i64,
    at: i64,
    day: i64,
    kind: String,
    source: String,
    lat: Option<i64>,
    lng: Option<i64>,
    precision: String,
    accuracy_m: Option<i64>,
    distance_m: Option<i64>,
    within_area: bool,
    place: String,
    ip: String,
    network: String,
    note: String,
    photos: String,
    field: bool,
    review: String,
}

pub(crate) const STORED_COLUMNS: &str = "id, at, day, kind, source, lat, lng, precision, accuracy_m, distance_m, within_area, place, ip, network, note, photos, field, review";

pub(crate) fn stored(r: StoredRow) -> StoredClockIn {
    StoredClockIn {
        id: r.id.to_string(),
        at: r.at,
        date: date::from_key(r.day).map(date::format).unwrap_or_default(),
        kind: r.kind,
        source: r.source,
        latitude: r.lat.map(geo::from_micro),
        longitude: r.lng.map(geo::from_micro),
        precision: r.precision,
        accuracy_m: r.accuracy_m,
        distance_m: r.distance_m,
        within_area: r.within_area,
        place: r.place,
        ip: r.ip,
        network: r.network,
        note: r.note,
        photos: serde_json::from_str(&r.photos).unwrap_or_default(),
        field: r.field,
        review: r.review,
    }
}

/// A member's clock-ins from `from` to `to`, newest first.
pub async fn of_member(
    app: &AppState,
    member: i64,
    from: jiff::civil::Date,
    to: jiff::civil::Date,
) -> AppResult<Vec<StoredClockIn>> {
    let rows: Vec<StoredRow> = app
        .db
        .all(
            sql(format!(
                "SELECT {STORED_COLUMNS} FROM attendance_clock_ins WHERE member_id = $1 AND day BETWEEN $2 AND $3 ORDER BY at DESC"
            ))
            .bind(member)
            .bind(date::key(from))
            .bind(date::key(to)),
        )
        .await?;
    Ok(rows.into_iter().map(stored).collect())
}

/// Rounds exact positions older than each enterprise's retention to about 1 km (run daily).
pub async fn forget_old_positions(
    tx: &mut Tx,
    corp: CorpId,
    retention_days: i64,
    now: i64,
) -> AppResult<u64> {
    let before = now - retention_days * 86_400_000;
    let rows: Vec<(i64, Option<i64>, Option<i64>)> = tx
        .all(
            sql("SELECT id, lat, lng FROM attendance_clock_ins WHERE corp_id = $1 AND precision = 'exact' AND at < $2 AND lat IS NOT NULL LIMIT 5000")
                .bind(corp)
                .bind(before),
        )
        .await?;
    for (id, lat, lng) in &rows {
        tx.exec(
            sql("UPDATE attendance_clock_ins SET lat = $1, lng = $2, precision = 'rounded' WHERE id = $3")
                .bind(lat.map(|v| round_km(geo::from_micro(v))))
                .bind(lng.map(|v| round_km(geo::from_micro(v))))
                .bind(*id),
        )
        .await?;
    }
    Ok(rows.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn rule(places: serde_json::Value, networks: serde_json::Value) -> Arc<Rule> {
        Arc::new(Rule {
            id: "1".into(),
            group_id: 1,
            input: serde_json::from_value(json!({"name": "r", "kind": "free", "workdays": [1],
                "min_work_minutes": 60, "places": places, "networks": networks}))
            .unwrap_or_else(|e| panic!("{e}")),
            created_at: 0,
            updated_at: 0,
        })
    }

    #[test]
    fn a_place_entered_on_a_chinese_map_is_where_the_phone_is() {
        // The office as AMap shows it (GCJ-02); the phone reports WGS-84 from the same spot.
        let (glat, glng) = (39.908_74, 116.397_13);
        let r = rule(
            json!([{"name": "天安门", "latitude": glat, "longitude": glng, "coord_system": "gcj02", "radius_m": 100}]),
            json!([]),
        );
        let phone = geo::to_wgs84(CoordSystem::Gcj02, glat, glng);
        let at_office = measure(&r, Some(phone), Some(10.0), "");
        assert!(at_office.within);
        assert!(at_office.distance_m.unwrap_or(1e9) < 1.0);
        // Taking the map's numbers as WGS-84 would put the phone hundreds of metres away.
        let naive = measure(&r, Some((glat, glng)), Some(10.0), "");
        assert!(!naive.within);
        assert!(naive.distance_m.unwrap_or(0.0) > 300.0);
    }

    #[test]
    fn accuracy_is_used_fairly() {
        let r = rule(
            json!([{"name": "总部", "latitude": 31.0, "longitude": 121.0, "coord_system": "wgs84", "radius_m": 500}]),
            json!([{"name": "办公室", "cidr": "203.0.113.0/24"}]),
        );
        // 600 m east: outside on its own; a 150 m circle reaches the area.
        let p = (31.0, 121.0 + 600.0 / (111_320.0 * 31f64.to_radians().cos()));
        assert!(measure(&r, Some(p), Some(150.0), "").within);
        let m = measure(&r, Some(p), Some(50.0), "");
        assert!(!m.within && !m.inaccurate);
        // A 2 km fix is coarser than the radius: ask again rather than refuse.
        let m = measure(&r, Some(p), Some(2000.0), "");
        assert!(!m.within && m.inaccurate);
        // The office network needs no position.
        let m = measure(&r, None, None, "203.0.113.9");
        assert!(m.within);
        assert_eq!(m.place, "办公室");
        assert!(!measure(&r, None, None, "198.51.100.1").within);
        // A rule without places or networks lets one clock in anywhere.
        assert!(measure(&rule(json!([]), json!([])), None, None, "").within);
    }
}
