//! Local time in an IANA time zone: the enterprise's (default Asia/Shanghai) or a member's own. Every
//! "which day is it, what time of day" question goes through here, so daylight saving and zones other
//! than China's are right everywhere they are asked.
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

/// The zone an enterprise gets when it has chosen none.
pub const DEFAULT_ZONE: &str = "Asia/Shanghai";

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;

/// A named time zone.
#[derive(Debug, Clone)]
pub struct Zone {
    name: Arc<str>,
    tz: TimeZone,
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for Zone {}

impl Default for Zone {
    fn default() -> Self {
        Zone::named(DEFAULT_ZONE).unwrap_or_else(|| Zone {
            name: DEFAULT_ZONE.into(),
            tz: TimeZone::fixed(jiff::tz::offset(8)),
        })
    }
}

/// A moment as the wall clock shows it: the day (days since 1970-01-01 on the local calendar), the
/// weekday (0 Monday … 6 Sunday) and the minute of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Local {
    pub day: i64,
    pub weekday: i64,
    pub minute: i64,
}

impl Zone {
    /// The zone of an IANA name such as `Europe/Berlin`; None for a name the database lacks.
    pub fn named(name: &str) -> Option<Zone> {
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        let tz = jiff::tz::db().get(name).ok()?;
        Some(Zone {
            name: name.into(),
            tz,
        })
    }

    /// `preferred` when it names a zone, else `fallback`'s, else the default: a member's own zone,
    /// then their enterprise's.
    pub fn first_of(preferred: &str, fallback: &str) -> Zone {
        Zone::named(preferred)
            .or_else(|| Zone::named(fallback))
            .unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The zone's rules, for computations jiff does directly (schedules).
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The wall clock at `t` (Unix milliseconds).
    pub fn local(&self, t: i64) -> Local {
        let zoned = Timestamp::from_millisecond(t)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned(self.tz.clone());
        let date = zoned.date();
        let day = days_since_epoch(date);
        Local {
            day,
            weekday: i64::from(date.weekday().to_monday_zero_offset()),
            minute: i64::from(zoned.hour()) * 60 + i64::from(zoned.minute()),
        }
    }

    /// The local calendar date at `t` as yyyymmdd.
    pub fn date(&self, t: i64) -> i64 {
        let d = Timestamp::from_millisecond(t)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned(self.tz.clone())
            .date();
        i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
    }

    /// The moment the wall clock shows `minute` of local `day`; in a daylight-saving gap, the moment
    /// just after it.
    pub fn at(&self, day: i64, minute: i64) -> i64 {
        let date = Date::constant(1970, 1, 1)
            .checked_add(jiff::Span::new().days(day))
            .unwrap_or(Date::constant(1970, 1, 1));
        let time = Time::new((minute / 60).clamp(0, 23) as i8, (minute % 60) as i8, 0, 0)
            .unwrap_or(Time::midnight());
        match date.to_datetime(time).to_zoned(self.tz.clone()) {
            Ok(z) => z.timestamp().as_millisecond(),
            // Past the range jiff handles: fall back to UTC arithmetic.
            Err(_) => day * DAY_MS + minute * MINUTE_MS,
        }
    }
}

fn days_since_epoch(d: Date) -> i64 {
    let epoch = Date::constant(1970, 1, 1);
    epoch
        .until(d)
        .map(|span| i64::from(span.get_days()))
        .unwrap_or_default()
}

/// Whether `name` is a time zone the server knows, for validating input.
pub fn is_known(name: &str) -> bool {
    Zone::named(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-09-21 00:00 in Shanghai, a Monday.
    const MONDAY_SHANGHAI: i64 = 1_789_920_000_000;

    #[test]
    fn shanghai_is_utc_plus_eight_all_year() {
        let z = Zone::default();
        assert_eq!(z.name(), "Asia/Shanghai");
        let l = z.local(MONDAY_SHANGHAI);
        assert_eq!((l.weekday, l.minute), (0, 0));
        assert_eq!(z.date(MONDAY_SHANGHAI), 20_260_921);
        assert_eq!(z.date(MONDAY_SHANGHAI - 1), 20_260_920);
        assert_eq!(z.at(l.day, 9 * 60), MONDAY_SHANGHAI + 9 * 3_600_000);
        assert_eq!(z.date(0), 19_700_101);
    }

    #[test]
    fn daylight_saving_moves_the_wall_clock() {
        let berlin = Zone::named("Europe/Berlin").unwrap();
        // 2026-07-01 12:00 UTC is 14:00 in Berlin (CEST), 2026-01-15 12:00 UTC is 13:00 (CET).
        assert_eq!(berlin.local(1_782_907_200_000).minute, 14 * 60);
        assert_eq!(berlin.local(1_768_478_400_000).minute, 13 * 60);
        let l = berlin.local(1_782_907_200_000);
        assert_eq!(berlin.at(l.day, 14 * 60), 1_782_907_200_000);
    }

    #[test]
    fn unknown_names_fall_back() {
        assert!(Zone::named("Mars/Olympus").is_none());
        assert!(!is_known(""));
        assert_eq!(Zone::first_of("", "Asia/Tokyo").name(), "Asia/Tokyo");
        assert_eq!(Zone::first_of("Bad/Zone", "").name(), "Asia/Shanghai");
    }
}
