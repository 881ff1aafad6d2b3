//! Demo attendance: one rule for the whole enterprise at a Shanghai office, and the past month of
//! clock-ins for every member — mostly on time, some late, an early leave now and then, a forgotten
//! clock-out, field work — with the days computed, so the month views and the payroll sheet have
//! something to show.
use serde_json::json;

use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, Scope};
use qixie_kernel::db::{Arg, sql};
use qixie_kernel::error::{AppError, AppResult};
use qixie_kernel::ids::{CorpId, new_id};

use crate::date;
use crate::geo::{self, CoordSystem};
use crate::plan;
use crate::rule::store::{Writer, save};

/// The demo office, People's Square in Shanghai as AMap shows it (GCJ-02).
const OFFICE: (f64, f64) = (31.230_416, 121.473_701);
const DAYS: i64 = 30;

/// Adds the rule and a month of clock-ins for `members` (member ids); answers the clock-ins made.
pub async fn load(app: &AppState, corp: CorpId, members: &[i64]) -> AppResult<usize> {
    let actor = Actor::system(corp);
    let input = serde_json::from_value(json!({
        "name": "总部考勤",
        "kind": "fixed",
        "targets": {"department_ids": [1]},
        "workdays": [1, 2, 3, 4, 5],
        "sections": [{"on": "09:00", "off": "18:00", "rest": {"from": "12:00", "to": "13:00"}}],
        "grace_minutes": 5,
        "remind_on_minutes": 10,
        "places": [{"name": "上海总部", "latitude": OFFICE.0, "longitude": OFFICE.1, "coord_system": "gcj02", "radius_m": 500}],
        "networks": [{"name": "总部办公网", "cidr": "10.8.0.0/16"}]
    }))
    .map_err(AppError::internal)?;
    let w = Writer {
        actor: &actor,
        scope: &Scope::All,
        app: None,
    };
    let rule = save(app, &w, None, input).await?;
    let now = app.now();
    let zone = plan::corp_zone(app, corp).await?;
    let today = date::from_epoch_day(zone.local(now).day);
    let first = date::from_epoch_day(date::epoch_day(today) - DAYS);
    let yesterday = date::from_epoch_day(date::epoch_day(today) - 1);
    let (lat, lng) = geo::to_wgs84(CoordSystem::Gcj02, OFFICE.0, OFFICE.1);
    let mut rows: Vec<Vec<Arg>> = Vec::new();
    for (i, member) in members.iter().enumerate() {
        for d in date::days(first, yesterday) {
            if date::weekday(d) > 5 {
                continue;
            }
            let n = date::epoch_day(d) as usize + i * 7;
            // (minute of arrival, minute of leaving, field) — or nothing for the rare forgotten day.
            let (on, off, field) = match n % 23 {
                0 => (9 * 60 + 17, 18 * 60 + 5, false),
                5 => (8 * 60 + 51, 17 * 60 + 40, false),
                11 => (8 * 60 + 47, -1, false),
                17 => (9 * 60 + 2, 18 * 60 + 30, true),
                _ => (
                    8 * 60 + 30 + (n % 25) as i64,
                    18 * 60 + (n % 40) as i64,
                    false,
                ),
            };
            for (minute, kind) in [(on, "on"), (off, "off")] {
                if minute < 0 {
                    continue;
                }
                let at = zone.at(date::epoch_day(d), minute) + (n % 50) as i64 * 1000;
                let jitter = ((n % 9) as f64 - 4.0) * 0.0002;
                let (plat, plng) = if field {
                    (lat + 0.03, lng + 0.02)
                } else {
                    (lat + jitter, lng - jitter)
                };
                rows.push(vec![
                    Arg::from(new_id(now) + rows.len() as i64),
                    Arg::from(corp.0),
                    Arg::from(*member),
                    Arg::from(at),
                    Arg::from(date::key(d)),
                    Arg::from(rule.pk()),
                    Arg::from(kind),
                    Arg::from("web"),
                    Arg::from(Some(geo::micro(plat))),
                    Arg::from(Some(geo::micro(plng))),
                    Arg::from(Some(15 + (n % 30) as i64)),
                    Arg::from(!field),
                    Arg::from(if field { "" } else { "上海总部" }),
                    Arg::from(if field { "拜访客户" } else { "" }),
                    Arg::from(field),
                    Arg::from(if field { "accepted" } else { "" }),
                    Arg::from(at),
                ]);
            }
        }
    }
    let mut tx = app.db.begin().await?;
    let per = tx.dialect().rows_per_statement(17);
    for chunk in rows.chunks(per) {
        tx.exec(
            sql("INSERT INTO attendance_clock_ins (id, corp_id, member_id, at, day, rule_id, kind, source, lat, lng, accuracy_m, within_area, place, note, field, review, created_at) VALUES ")
                .push_rows(chunk.to_vec())
                .push(" ON CONFLICT (member_id, day, at) DO NOTHING"),
        )
        .await?;
    }
    tx.commit().await?;
    crate::results::recompute_corp(app, corp, first, yesterday, None).await?;
    Ok(rows.len())
}
