//! One member's attention settings: working hours on their clock, do-not-disturb and the automatic
//! reply, and how they are read from the database.
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use qixie_kernel::db::{Database, sql};
use qixie_kernel::error::AppResult;
use qixie_kernel::time::Zone;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AutoReplyMode {
    Off,
    /// Always, while it is on.
    Away,
    /// Outside working hours.
    AfterHours,
}

impl AutoReplyMode {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            AutoReplyMode::Off => "off",
            AutoReplyMode::Away => "away",
            AutoReplyMode::AfterHours => "after_hours",
        }
    }
    fn parse(s: &str) -> AutoReplyMode {
        match s {
            "away" => AutoReplyMode::Away,
            "after_hours" => AutoReplyMode::AfterHours,
            _ => AutoReplyMode::Off,
        }
    }
}

/// One member's attention settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Bits: Monday 1, Tuesday 2, … Sunday 64.
    pub work_days: i64,
    /// Minutes after local midnight, start < end.
    pub work_start: i64,
    pub work_end: i64,
    pub dnd: bool,
    /// Do-not-disturb ends then; `None`: until turned off.
    pub dnd_until: Option<i64>,
    pub auto_reply: AutoReplyMode,
    pub auto_reply_text: String,
    /// When the settings last changed (0: never).
    pub version: i64,
    /// Working hours are read on this clock: the member's own zone, else their enterprise's.
    pub zone: Zone,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            work_days: 0b001_1111,
            work_start: 9 * 60,
            work_end: 18 * 60,
            dnd: false,
            dnd_until: None,
            auto_reply: AutoReplyMode::Off,
            auto_reply_text: String::new(),
            version: 0,
            zone: Zone::default(),
        }
    }
}

impl Settings {
    fn is_work_day(&self, weekday: i64) -> bool {
        self.work_days & (1 << weekday) != 0
    }
    pub fn in_working_hours(&self, t: i64) -> bool {
        let l = self.zone.local(t);
        self.is_work_day(l.weekday) && self.work_start <= l.minute && l.minute < self.work_end
    }
    /// The member's calendar date at `t` as yyyymmdd.
    pub fn local_date(&self, t: i64) -> i64 {
        self.zone.date(t)
    }
    pub fn dnd_active(&self, t: i64) -> bool {
        self.dnd && self.dnd_until.is_none_or(|u| t < u)
    }
    /// Whether alerts are held back from the member at `t`.
    pub fn quiet(&self, t: i64) -> bool {
        self.dnd_active(t) || !self.in_working_hours(t)
    }
    /// The first moment at or after `t` inside working hours.
    fn next_working(&self, t: i64) -> Option<i64> {
        if self.in_working_hours(t) {
            return Some(t);
        }
        let day = self.zone.local(t).day;
        // Local day numbers count from Thursday 1970-01-01.
        (0..=7)
            .map(|k| day + k)
            .filter(|d| self.is_work_day((d + 3).rem_euclid(7)))
            .map(|d| self.zone.at(d, self.work_start))
            .find(|start| *start >= t)
    }
    /// When alerts resume, counted from `t`: `t` itself when they are not held; `None` while
    /// do-not-disturb is on without an end.
    pub fn next_start(&self, t: i64) -> Option<i64> {
        if self.dnd_active(t) {
            return self.dnd_until.and_then(|u| self.next_working(u));
        }
        self.next_working(t)
    }
    pub fn auto_reply_active(&self, t: i64) -> bool {
        !self.auto_reply_text.is_empty()
            && match self.auto_reply {
                AutoReplyMode::Off => false,
                AutoReplyMode::Away => true,
                AutoReplyMode::AfterHours => !self.in_working_hours(t),
            }
    }

    pub(super) fn days(&self) -> Vec<i64> {
        (0..7)
            .filter(|d| self.is_work_day(*d))
            .map(|d| d + 1)
            .collect()
    }

    /// Working hours and do-not-disturb: what an administrator may see.
    pub fn quiet_hours_view(&self, now: i64) -> QuietHours {
        let quiet = self.quiet(now);
        let dnd = self.dnd_active(now);
        QuietHours {
            time_zone: self.zone.name().to_owned(),
            working_hours: WorkingHours {
                days: self.days(),
                start: hhmm(self.work_start),
                end: hhmm(self.work_end),
            },
            dnd: Dnd {
                on: dnd,
                until: self.dnd_until.filter(|_| dnd),
            },
            quiet_now: quiet,
            next_start: if quiet { self.next_start(now) } else { None },
        }
    }

    /// Everything, for the member themselves.
    pub fn view(&self, now: i64) -> AttentionSettings {
        AttentionSettings {
            quiet_hours: self.quiet_hours_view(now),
            auto_reply: AutoReply {
                mode: self.auto_reply,
                text: self.auto_reply_text.clone(),
                active: self.auto_reply_active(now),
            },
        }
    }
}

/// Working days (1 Monday … 7 Sunday) and hours, on the member's clock.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkingHours {
    pub days: Vec<i64>,
    /// `HH:MM`.
    pub start: String,
    pub end: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Dnd {
    pub on: bool,
    /// Unix ms; absent: until turned off.
    pub until: Option<i64>,
}

/// When a member rests: what an administrator may see of their settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuietHours {
    pub time_zone: String,
    pub working_hours: WorkingHours,
    pub dnd: Dnd,
    /// Alerts are held now.
    pub quiet_now: bool,
    /// When alerts resume, while they are held; absent while do-not-disturb has no end.
    pub next_start: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AutoReply {
    pub mode: AutoReplyMode,
    pub text: String,
    /// It would answer a message now.
    pub active: bool,
}

/// A member's own attention settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttentionSettings {
    #[serde(flatten)]
    pub quiet_hours: QuietHours,
    pub auto_reply: AutoReply,
}

pub(super) fn hhmm(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

pub(super) fn parse_hhmm(s: &str) -> Option<i64> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    member_id: i64,
    work_days: i64,
    work_start: i64,
    work_end: i64,
    dnd: bool,
    dnd_until: Option<i64>,
    auto_reply: String,
    auto_reply_text: String,
    updated_at: i64,
}

impl SettingsRow {
    fn settings(self, zone: Zone) -> Settings {
        Settings {
            work_days: self.work_days,
            work_start: self.work_start,
            work_end: self.work_end,
            dnd: self.dnd,
            dnd_until: self.dnd_until,
            auto_reply: AutoReplyMode::parse(&self.auto_reply),
            auto_reply_text: self.auto_reply_text,
            version: self.updated_at,
            zone,
        }
    }
}

const SETTINGS_COLS: &str = "member_id, work_days, work_start, work_end, dnd, dnd_until, auto_reply, auto_reply_text, updated_at";

/// Settings of `ids` that exist, each on its member's clock (their own zone, else the enterprise's).
pub(super) async fn load(db: &Database, ids: &[i64]) -> AppResult<HashMap<i64, Settings>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let zones = qixie_org::member::time_zones(db, chunk).await?;
        let mut rows: HashMap<i64, SettingsRow> = db
            .all::<SettingsRow>(
                sql(format!(
                    "SELECT {SETTINGS_COLS} FROM chat_attention WHERE member_id IN "
                ))
                .push_in(chunk.iter().copied()),
            )
            .await?
            .into_iter()
            .map(|r| (r.member_id, r))
            .collect();
        for (id, own, corp) in zones {
            let zone = Zone::first_of(&own, &corp);
            let s = match rows.remove(&id) {
                Some(r) => r.settings(zone),
                None => Settings {
                    zone,
                    ..Settings::default()
                },
            };
            out.insert(id, s);
        }
    }
    Ok(out)
}

/// One member's settings, read from the database.
pub async fn load_one(db: &Database, member: i64) -> AppResult<Settings> {
    Ok(load(db, &[member])
        .await?
        .remove(&member)
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    // 2026-09-21 is a Monday; 00:00 there is 2026-09-20T16:00Z.
    const MONDAY: i64 = 1_789_920_000_000;

    #[test]
    fn working_hours_and_next_start() {
        let s = Settings::default();
        assert!(!s.in_working_hours(MONDAY + 8 * HOUR));
        assert!(s.in_working_hours(MONDAY + 9 * HOUR));
        assert!(!s.in_working_hours(MONDAY + 18 * HOUR));
        assert_eq!(s.next_start(MONDAY + 2 * HOUR), Some(MONDAY + 9 * HOUR));
        assert_eq!(s.next_start(MONDAY + 10 * HOUR), Some(MONDAY + 10 * HOUR));
        // Friday evening → Monday morning.
        let friday = MONDAY + 4 * DAY;
        assert_eq!(
            s.next_start(friday + 19 * HOUR),
            Some(MONDAY + 7 * DAY + 9 * HOUR)
        );
        let dnd = Settings {
            dnd: true,
            dnd_until: Some(MONDAY + 20 * HOUR),
            ..Settings::default()
        };
        assert!(dnd.quiet(MONDAY + 10 * HOUR));
        assert_eq!(
            dnd.next_start(MONDAY + 10 * HOUR),
            Some(MONDAY + DAY + 9 * HOUR)
        );
        let forever = Settings {
            dnd: true,
            ..Settings::default()
        };
        assert_eq!(forever.next_start(MONDAY + 10 * HOUR), None);
    }

    #[test]
    fn working_hours_follow_the_zone() {
        // 09:00 Monday in Shanghai is 03:00 in Berlin (summer time): not yet working there.
        let berlin = Settings {
            zone: Zone::named("Europe/Berlin").unwrap(),
            ..Settings::default()
        };
        assert!(!berlin.in_working_hours(MONDAY + 9 * HOUR));
        assert!(berlin.in_working_hours(MONDAY + 15 * HOUR));
        // Berlin's 09:00 that Monday is 07:00 UTC, 15:00 in Shanghai.
        assert_eq!(
            berlin.next_start(MONDAY + 9 * HOUR),
            Some(MONDAY + 15 * HOUR)
        );
        assert_eq!(berlin.local_date(MONDAY + 2 * HOUR), 20_260_920);
    }

    #[test]
    fn times_parse() {
        assert_eq!(parse_hhmm("09:00"), Some(540));
        assert_eq!(parse_hhmm("24:00"), Some(1440));
        assert_eq!(parse_hhmm("24:01"), None);
        assert_eq!(parse_hhmm("9:5"), None);
        assert_eq!(hhmm(1080), "18:00");
    }
}
