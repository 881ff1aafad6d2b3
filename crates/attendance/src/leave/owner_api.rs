//! TEMPORARY: stands in for `crate::plan::working_time` and `crate::days::recompute` until the
//! module's owner lands them; the signatures are theirs. Every Monday to Friday is a working day of
//! 09:00–12:00 and 13:00–18:00 (480 minutes) on the enterprise's clock; recompute does nothing.
//! Delete this file and point the imports at the real ones once they are on main.
use jiff::civil::Date;

use qixie_kernel::AppState;
use qixie_kernel::db::Tx;
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::CorpId;

use qixie_approvals::instance::submit::corp_zone;

#[derive(Debug, Clone, PartialEq)]
pub struct WorkSpan {
    pub date: Date,
    pub working: bool,
    /// Working minutes of that day inside [from, to).
    pub minutes: i64,
    /// The day's standard working minutes.
    pub day_minutes: i64,
}

pub async fn working_time(
    app: &AppState,
    corp: CorpId,
    _member: i64,
    from_ms: i64,
    to_ms: i64,
) -> AppResult<Vec<WorkSpan>> {
    let zone = corp_zone(app, corp).await?;
    let first = crate::date::from_key(zone.date(from_ms));
    let last = crate::date::from_key(zone.date((to_ms - 1).max(from_ms)));
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for d in crate::date::days(first, last) {
        let working = crate::date::weekday(d) <= 5;
        let epoch = epoch_day(d);
        let mut minutes = 0;
        if working {
            for (a, b) in [(9 * 60, 12 * 60), (13 * 60, 18 * 60)] {
                let (sa, sb) = (zone.at(epoch, a), zone.at(epoch, b));
                minutes += (sb.min(to_ms) - sa.max(from_ms)).max(0) / 60_000;
            }
        }
        out.push(WorkSpan {
            date: d,
            working,
            minutes,
            day_minutes: if working { 480 } else { 0 },
        });
    }
    Ok(out)
}

fn epoch_day(d: Date) -> i64 {
    i64::from(
        Date::constant(1970, 1, 1)
            .until(d)
            .map(|s| s.get_days())
            .unwrap_or(0),
    )
}

pub async fn recompute(
    _tx: &mut Tx,
    _app: &AppState,
    _corp: CorpId,
    _member: i64,
    _from: Date,
    _to: Date,
) -> AppResult<()> {
    Ok(())
}
