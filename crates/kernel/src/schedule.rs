//! When recurring work runs next: a cron expression or an RFC 5545 recurrence rule, read as wall-clock
//! time in a time zone (usually the enterprise's), so "09:00 on weekdays" stays 09:00 across daylight
//! saving. Jobs ask one question, the next occurrence after a moment (`jobs::schedule_next`).
//!
//! - Cron (`0 9 * * MON-FRI`) through croner: POSIX/Vixie fields with its extensions (`L`, `#`, `W`,
//!   an optional seconds field). A fixed time that a daylight-saving gap skips runs at the first
//!   instant after the gap; a time the clock shows twice runs once, the first time.
//! - Recurrence rules through rrule: a `DTSTART` line (the first occurrence), one or more `RRULE`
//!   lines, and optional `RDATE`/`EXDATE` lines. Times are floating (no `Z`, no `TZID`): the zone is
//!   the one the schedule is evaluated in. rrule computes in its own zone type, so it gets the wall
//!   times as if they were UTC and jiff turns each into an instant; as RFC 5545 says, a time in a gap
//!   takes the offset from before the gap (02:30 becomes 03:30) and a repeated time its first instant.
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::TimeZone as _;
use croner::Cron;
use jiff::Timestamp;
use jiff::civil;
use jiff::tz::TimeZone;
use rrule::{Frequency, RRule, RRuleSet, Tz, Unvalidated};

use super::error::{AppError, AppResult, FieldReason, Hint};
use super::time::Zone;

/// The field a refused schedule is reported on.
pub const FIELD: &str = "schedule";
const MAX_LEN: usize = 2000;

/// A parsed schedule; `as_str` gives back the text it came from, which is what gets stored.
#[derive(Clone)]
pub struct Schedule {
    text: Arc<str>,
    rule: Rule,
}

#[derive(Clone)]
enum Rule {
    Cron(Arc<Cron>),
    /// Wall-clock times stand in UTC (see the module comment).
    Recurrence(Arc<RRuleSet>),
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schedule({:?})", self.text)
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Schedule {
    /// A recurrence rule when the text starts with `DTSTART` or `RRULE`, else a cron expression.
    pub fn parse(text: &str) -> AppResult<Schedule> {
        let head = text.trim_start().get(..5).unwrap_or_default();
        if head.eq_ignore_ascii_case("DTSTA") || head.eq_ignore_ascii_case("RRULE") {
            Schedule::recurrence(text)
        } else {
            Schedule::cron(text)
        }
    }

    /// A cron expression such as `0 9 * * MON-FRI` (minute hour day-of-month month day-of-week,
    /// optionally led by seconds).
    pub fn cron(expr: &str) -> AppResult<Schedule> {
        let expr = checked(expr)?;
        let cron = Cron::from_str(expr).map_err(|e| refused(FieldReason::Format, e))?;
        // 30 February parses but never comes.
        let probe = Timestamp::UNIX_EPOCH.to_zoned(TimeZone::UTC);
        cron.find_next_occurrence(&probe, false)
            .map_err(|e| refused(FieldReason::OutOfRange, e))?;
        Ok(Schedule {
            text: expr.into(),
            rule: Rule::Cron(Arc::new(cron)),
        })
    }

    /// An RFC 5545 recurrence, one property a line:
    /// `DTSTART:20260130T173000` then `RRULE:FREQ=MONTHLY;BYDAY=-1FR` (the last Friday of every
    /// month at 17:30), optionally `RDATE:`/`EXDATE:` lists of extra and skipped times.
    pub fn recurrence(text: &str) -> AppResult<Schedule> {
        let text = checked(text)?;
        let mut start = None;
        let (mut rules, mut rdates, mut exdates) = (Vec::new(), Vec::new(), Vec::new());
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let Some((name, value)) = line.split_once(':') else {
                return Err(refused(
                    FieldReason::Format,
                    format!("`{line}` has no `NAME:` in front"),
                ));
            };
            let (name, params) = name.split_once(';').unwrap_or((name, ""));
            match name.to_ascii_uppercase().as_str() {
                "DTSTART" if start.is_none() => start = Some(wall_time(params, value)?),
                "RRULE" if params.is_empty() => rules.push(recurrence_rule(value)?),
                "RDATE" => rdates.extend(wall_times(params, value)?),
                "EXDATE" => exdates.extend(wall_times(params, value)?),
                _ => {
                    return Err(refused(
                        FieldReason::Unsupported,
                        format!("`{line}`: the lines are DTSTART (once), RRULE, RDATE and EXDATE"),
                    ));
                }
            }
        }
        let start = start.ok_or_else(|| {
            refused(
                FieldReason::Required,
                "DTSTART is required: the first occurrence, as local time",
            )
        })?;
        if rules.is_empty() {
            return Err(refused(FieldReason::Required, "an RRULE line is required"));
        }
        let mut set = RRuleSet::new(start).limit();
        for rule in rules {
            set = set.rrule(
                rule.validate(start)
                    .map_err(|e| refused(FieldReason::Format, e))?,
            );
        }
        set = set.set_rdates(rdates).set_exdates(exdates);
        if (&set).into_iter().next().is_none() {
            return Err(refused(
                FieldReason::OutOfRange,
                "the rule has no occurrence",
            ));
        }
        Ok(Schedule {
            text: text.into(),
            rule: Rule::Recurrence(Arc::new(set)),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first occurrence strictly after `after` (Unix milliseconds) with the wall clock of `zone`;
    /// None once the schedule has ended.
    pub fn next_after(&self, zone: &Zone, after: i64) -> Option<i64> {
        let tz = zone.time_zone();
        match &self.rule {
            Rule::Cron(cron) => {
                let start = Timestamp::from_millisecond(after)
                    .ok()?
                    .to_zoned(tz.clone());
                let next = cron.find_next_occurrence(&start, false).ok()?;
                Some(next.timestamp().as_millisecond())
            }
            // Occurrences come in wall-clock order, which is the order of their instants but for
            // a repeated hour: the first one past `after` is the answer.
            Rule::Recurrence(set) => set
                .as_ref()
                .into_iter()
                .filter_map(|wall| instant(tz, &wall))
                .find(|t| *t > after),
        }
    }
}

/// The text trimmed, if it is neither empty nor absurdly long.
fn checked(text: &str) -> AppResult<&str> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::field(FIELD, FieldReason::Required));
    }
    if text.len() > MAX_LEN {
        return Err(AppError::field(FIELD, FieldReason::TooLong));
    }
    Ok(text)
}

/// A refusal with the reason code for clients and the parser's words for the person.
fn refused(reason: FieldReason, detail: impl fmt::Display) -> AppError {
    let detail = detail.to_string();
    AppError::field(FIELD, reason).with_hint(Hint {
        zh: format!("日程规则无效：{detail}"),
        en: format!("The schedule is not valid: {detail}"),
        data: serde_json::json!({ "detail": detail }),
    })
}

/// One RRULE value. UNTIL is taken out and read as a wall time like DTSTART: rrule would read a
/// floating UNTIL in the server's own zone.
fn recurrence_rule(value: &str) -> AppResult<RRule<Unvalidated>> {
    let mut until = None;
    let mut parts = Vec::new();
    for part in value.split(';') {
        match part.split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("UNTIL") => {
                until = Some(wall_time("", v)?)
            }
            _ => parts.push(part),
        }
    }
    let rule = RRule::<Unvalidated>::from_str(&parts.join(";"))
        .map_err(|e| refused(FieldReason::Format, e))?;
    if matches!(rule.get_freq(), Frequency::Minutely | Frequency::Secondly) {
        // Each evaluation walks from DTSTART; a cron expression suits sub-hourly work.
        return Err(refused(
            FieldReason::Unsupported,
            "FREQ=MINUTELY and FREQ=SECONDLY are not supported; use a cron expression",
        ));
    }
    Ok(match until {
        Some(u) => rule.until(u),
        None => rule,
    })
}

fn wall_times(params: &str, values: &str) -> AppResult<Vec<chrono::DateTime<Tz>>> {
    values.split(',').map(|v| wall_time(params, v)).collect()
}

/// A floating date (`20260130`) or date-time (`20260130T173000`), as rrule's stand-in UTC.
fn wall_time(params: &str, value: &str) -> AppResult<chrono::DateTime<Tz>> {
    let value = value.trim();
    let zoned = params.to_ascii_uppercase().contains("TZID") || value.ends_with(['Z', 'z']);
    if zoned {
        return Err(refused(
            FieldReason::Unsupported,
            format!("`{value}`: times are local to the schedule's zone; leave out Z and TZID"),
        ));
    }
    let parsed = if value.len() == 8 {
        civil::Date::strptime("%Y%m%d", value).map(|d| d.to_datetime(civil::Time::midnight()))
    } else {
        civil::DateTime::strptime("%Y%m%dT%H%M%S", value)
    };
    let wall = parsed.map_err(|_| {
        refused(
            FieldReason::Format,
            format!("`{value}` is not a date (20260130) or a date and time (20260130T173000)"),
        )
    })?;
    let seconds = wall
        .to_zoned(TimeZone::UTC)
        .map(|z| z.timestamp().as_second())
        .map_err(|e| refused(FieldReason::Format, e))?;
    Tz::UTC
        .timestamp_opt(seconds, 0)
        .single()
        .ok_or_else(|| refused(FieldReason::Format, format!("`{value}` is out of range")))
}

/// The instant `zone`'s clock shows rrule's stand-in wall time.
fn instant(zone: &TimeZone, wall: &chrono::DateTime<Tz>) -> Option<i64> {
    let civil = Timestamp::from_second(wall.timestamp())
        .ok()?
        .to_zoned(TimeZone::UTC)
        .datetime();
    let zoned = zone.to_ambiguous_zoned(civil).compatible().ok()?;
    Some(zoned.timestamp().as_millisecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The instant `zone`'s clock shows `local` (`2026-03-09T09:00`).
    fn at(zone: &Zone, local: &str) -> i64 {
        let civil: civil::DateTime = local.parse().unwrap_or_else(|e| panic!("{local}: {e}"));
        match zone.time_zone().to_ambiguous_zoned(civil).compatible() {
            Ok(z) => z.timestamp().as_millisecond(),
            Err(e) => panic!("{local}: {e}"),
        }
    }

    /// The UTC clock at `t`, to show which offset an occurrence got.
    fn utc(t: i64) -> String {
        match Timestamp::from_millisecond(t) {
            Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M").to_string(),
            Err(e) => panic!("{t}: {e}"),
        }
    }

    fn zone(name: &str) -> Zone {
        Zone::named(name).unwrap_or_else(|| panic!("zone {name}"))
    }

    fn parsed(text: &str) -> Schedule {
        Schedule::parse(text).unwrap_or_else(|e| panic!("{text}: {e} {:?}", e.hint))
    }

    /// Checks the next occurrences after `from` (local time in `zone`), given as UTC clock times.
    #[track_caller]
    fn expect(s: &Schedule, zone: &Zone, from: &str, want: &[&str]) {
        let mut after = at(zone, from);
        let mut got = Vec::new();
        while got.len() < want.len()
            && let Some(t) = s.next_after(zone, after)
        {
            got.push(utc(t));
            after = t;
        }
        assert_eq!(got, want, "{s} after {from} in {}", zone.name());
    }

    #[test]
    fn weekdays_at_nine_keep_the_wall_clock_across_daylight_saving() {
        let ny = zone("America/New_York");
        let s = parsed("0 9 * * MON-FRI");
        // Clocks go forward on Sunday 2026-03-08: 09:00 is 14:00 UTC on Friday, 13:00 on Monday.
        let spring = ["2026-03-06T14:00", "2026-03-09T13:00", "2026-03-10T13:00"];
        expect(&s, &ny, "2026-03-05T12:00", &spring);
        // And back on Sunday 2026-11-01.
        expect(
            &s,
            &ny,
            "2026-10-30T08:00",
            &["2026-10-30T13:00", "2026-11-02T14:00"],
        );
        // Exactly at an occurrence, the next one is the following.
        let friday = at(&ny, "2026-03-06T09:00");
        assert_eq!(s.next_after(&ny, friday), Some(at(&ny, "2026-03-09T09:00")));
        assert_eq!(s.next_after(&ny, friday - 1), Some(friday));
    }

    #[test]
    fn times_the_clock_skips_or_repeats() {
        let ny = zone("America/New_York");
        // 02:30 does not exist on 2026-03-08. Cron runs at the first instant after the gap (03:00
        // EDT), RFC 5545 takes the offset from before it (03:30 EDT).
        let gap = "2026-03-07T12:00";
        expect(
            &parsed("30 2 * * *"),
            &ny,
            gap,
            &["2026-03-08T07:00", "2026-03-09T06:30"],
        );
        let rule = parsed("DTSTART:20260301T023000\nRRULE:FREQ=DAILY");
        expect(&rule, &ny, gap, &["2026-03-08T07:30", "2026-03-09T06:30"]);
        // 01:30 happens twice on 2026-11-01: both run once, at the first.
        let repeated = ["2026-11-01T05:30", "2026-11-02T06:30"];
        for text in ["30 1 * * *", "DTSTART:20261001T013000\nRRULE:FREQ=DAILY"] {
            expect(&parsed(text), &ny, "2026-10-31T12:00", &repeated);
        }
    }

    #[test]
    fn shanghai_has_no_daylight_saving() {
        let sh = zone("Asia/Shanghai");
        let s = parsed("0 9 * * 1-5");
        // 2026-09-25 is a Friday: then Monday; 09:00 is 01:00 UTC all year.
        expect(
            &s,
            &sh,
            "2026-09-25T10:00",
            &["2026-09-28T01:00", "2026-09-29T01:00"],
        );
        expect(
            &s,
            &sh,
            "2026-03-06T10:00",
            &["2026-03-09T01:00", "2026-03-10T01:00"],
        );
        // The same expression in another zone is another instant.
        let ny = zone("America/New_York");
        let t = at(&sh, "2026-09-25T10:00");
        assert_ne!(s.next_after(&sh, t), s.next_after(&ny, t));
    }

    #[test]
    fn last_friday_of_the_month_at_half_past_five() {
        let sh = zone("Asia/Shanghai");
        let s = parsed("DTSTART:20260130T173000\nRRULE:FREQ=MONTHLY;BYDAY=-1FR");
        let fridays = [
            "2026-09-25T09:30",
            "2026-10-30T09:30",
            "2026-11-27T09:30",
            "2026-12-25T09:30",
        ];
        expect(&s, &sh, "2026-09-01T00:00", &fridays);
        // Across New York's change the wall clock stays 17:30: 21:30 UTC in October, 22:30 after.
        let ny = zone("America/New_York");
        expect(
            &s,
            &ny,
            "2026-10-01T00:00",
            &["2026-10-30T21:30", "2026-11-27T22:30"],
        );
        // Cron says the same with `#L`, in its own syntax.
        expect(
            &parsed("30 17 * * FRI#L"),
            &sh,
            "2026-09-01T00:00",
            &fridays[..2],
        );
    }

    #[test]
    fn recurrences_end_and_skip() {
        let sh = zone("Asia/Shanghai");
        let s = parsed(
            "DTSTART:20260105T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260119T090000\nEXDATE:20260112T090000",
        );
        expect(
            &s,
            &sh,
            "2026-01-01T00:00",
            &["2026-01-05T01:00", "2026-01-19T01:00"],
        );
        assert_eq!(
            s.next_after(&sh, at(&sh, "2026-01-19T09:00")),
            None,
            "ended"
        );
        let counted = parsed("DTSTART:20260105T090000\nRRULE:FREQ=DAILY;COUNT=2");
        expect(
            &counted,
            &sh,
            "2026-01-01T00:00",
            &["2026-01-05T01:00", "2026-01-06T01:00"],
        );
        assert_eq!(
            counted.next_after(&sh, at(&sh, "2026-01-06T09:00")),
            None,
            "ended"
        );
        // Long before DTSTART, the first occurrence is DTSTART.
        assert_eq!(
            counted.next_after(&sh, 0),
            Some(at(&sh, "2026-01-05T09:00"))
        );
    }

    #[test]
    fn invalid_schedules_are_refused_with_a_reason() {
        let reason = |text: &str| match Schedule::parse(text) {
            Ok(s) => panic!("{text} was accepted as {s:?}"),
            Err(e) => {
                assert_eq!(e.fields.len(), 1, "{text}");
                assert_eq!(e.fields[0].field, FIELD);
                e.fields[0].reason
            }
        };
        let start = "DTSTART:20260105T090000";
        let refusals: &[(&str, &str)] = &[
            ("", "required"),
            ("   ", "required"),
            ("0 9 * *", "format"),
            ("61 9 * * *", "format"),
            ("0 9 * * MON-FUNDAY", "format"),
            ("every day at nine", "format"),
            ("0 0 30 2 *", "out_of_range"),
            ("RRULE:FREQ=DAILY", "required"),
            (start, "required"),
            (&format!("{start}\nRRULE:FREQ=SOMETIMES"), "format"),
            ("DTSTART:2026-01-05\nRRULE:FREQ=DAILY", "format"),
            ("DTSTART:20260105T090000Z\nRRULE:FREQ=DAILY", "unsupported"),
            (
                "DTSTART;TZID=Asia/Shanghai:20260105T090000\nRRULE:FREQ=DAILY",
                "unsupported",
            ),
            (&format!("{start}\nRRULE:FREQ=MINUTELY"), "unsupported"),
            (
                &format!("{start}\nRRULE:FREQ=DAILY\nSUMMARY:x"),
                "unsupported",
            ),
            (
                &format!("{start}\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"),
                "out_of_range",
            ),
            (&"0 ".repeat(2000), "too_long"),
        ];
        for &(text, want) in refusals {
            assert_eq!(reason(text), want, "{text}");
        }
        // The person sees the parser's explanation.
        let e = Schedule::parse("0 9 * *").err();
        let hint = e.and_then(|e| e.hint).map(|h| h.en).unwrap_or_default();
        assert!(hint.starts_with("The schedule is not valid: "), "{hint}");
    }

    #[test]
    fn the_text_is_kept_as_given() {
        let s = parsed("  0 9 * * MON-FRI ");
        assert_eq!(s.as_str(), "0 9 * * MON-FRI");
        assert_eq!(parsed(s.as_str()).as_str(), s.as_str());
    }
}
