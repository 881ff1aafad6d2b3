//! How long a leave or an overtime is, on the member's own working days: the period of the form as
//! moments on the enterprise's clock, then counted over the working spans of those days. A `day`
//! type counts each working day the period touches, a `half_day` type the halves of working days
//! it touches, an `hour` type the working minutes inside it. Overtime is the time of the period
//! outside working hours.
use jiff::civil::{Date, Time};

use qixie_kernel::time::Zone;

use super::quota::Unit;
use crate::date::epoch_day;
use crate::plan::WorkSpan;

/// A form's period as moments: [from_ms, to_ms), with its first and last calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from_ms: i64,
    pub to_ms: i64,
    pub first: Date,
    pub last: Date,
}

/// What a day of the period counts for in attendance: the part of the day covered, Unix ms, and
/// its working minutes (overtime: its minutes beyond working time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayPart {
    pub date: Date,
    pub start_at: i64,
    pub end_at: i64,
    pub minutes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    /// Minutes of the type's balance.
    pub amount: i64,
    pub days: Vec<DayPart>,
}

/// One end of a period: a date, a date and half ("YYYY-MM-DD am|pm"), or a date and time.
enum End {
    Date(Date),
    Half(Date, bool),
    Minute(Date, i64),
}

fn parse_end(s: &str) -> Option<End> {
    let s = s.trim();
    if let Some(d) = crate::date::parse(s) {
        return Some(End::Date(d));
    }
    let (day, rest) = s.split_once(' ')?;
    let d = crate::date::parse(day)?;
    match rest.to_ascii_lowercase().as_str() {
        "am" => return Some(End::Half(d, false)),
        "pm" => return Some(End::Half(d, true)),
        _ => {}
    }
    let t: Time = rest.parse().ok()?;
    if rest.len() != 5 {
        return None;
    }
    Some(End::Minute(
        d,
        i64::from(t.hour()) * 60 + i64::from(t.minute()),
    ))
}

/// Whether `s` is one end of a period in any of its forms.
pub fn valid_end(s: &str) -> bool {
    parse_end(s).is_some()
}

/// The period `{start, end}` of a form as moments on `zone`'s clock: a start date or "am" begins
/// at midnight, "pm" at noon; an end date or "pm" ends at the next midnight, "am" at noon. None for
/// text that is no such value, or an end not after the start.
pub fn window(zone: &Zone, start: &str, end: &str) -> Option<Window> {
    let at = |d: Date, minute: i64| zone.at(epoch_day(d), minute);
    let next_midnight = |d: Date| zone.at(epoch_day(d) + 1, 0);
    let (from_ms, first) = match parse_end(start)? {
        End::Date(d) | End::Half(d, false) => (at(d, 0), d),
        End::Half(d, true) => (at(d, 720), d),
        End::Minute(d, m) => (at(d, m), d),
    };
    let (to_ms, last) = match parse_end(end)? {
        End::Date(d) | End::Half(d, true) => (next_midnight(d), d),
        End::Half(d, false) => (at(d, 720), d),
        End::Minute(d, m) => {
            // An end at midnight belongs to the day before.
            let t = at(d, m);
            let last = if m == 0 { d.yesterday().ok()? } else { d };
            (t, last)
        }
    };
    (to_ms > from_ms && last >= first).then_some(Window {
        from_ms,
        to_ms,
        first,
        last,
    })
}

/// The overlap of [a, b) with the window, if any.
fn overlap(w: &Window, a: i64, b: i64) -> Option<(i64, i64)> {
    let (x, y) = (a.max(w.from_ms), b.min(w.to_ms));
    (x < y).then_some((x, y))
}

/// The leave `w` takes of a type counted in `unit` whose day is `day_minutes`, over the member's
/// spans of those days.
pub fn leave(unit: Unit, day_minutes: i64, spans: &[WorkSpan], w: &Window, zone: &Zone) -> Counted {
    let mut days = Vec::new();
    let mut halves = 0;
    let mut whole = 0;
    let mut minutes = 0;
    for s in spans.iter().filter(|s| s.working) {
        let e = epoch_day(s.date);
        let (d0, noon, d1) = (zone.at(e, 0), zone.at(e, 720), zone.at(e + 1, 0));
        let part = match unit {
            Unit::Day => overlap(w, d0, d1).map(|_| {
                whole += 1;
                (d0, d1, s.day_minutes)
            }),
            Unit::HalfDay => {
                let am = overlap(w, d0, noon).is_some();
                let pm = overlap(w, noon, d1).is_some();
                halves += i64::from(am) + i64::from(pm);
                (am || pm).then(|| {
                    let start = if am { d0 } else { noon };
                    let end = if pm { d1 } else { noon };
                    (start, end, s.minutes)
                })
            }
            Unit::Hour => (s.minutes > 0).then(|| {
                minutes += s.minutes;
                let (a, b) = overlap(w, d0, d1).unwrap_or((d0, d1));
                (a, b, s.minutes)
            }),
        };
        if let Some((start_at, end_at, m)) = part {
            days.push(DayPart {
                date: s.date,
                start_at,
                end_at,
                minutes: m,
            });
        }
    }
    let amount = match unit {
        Unit::Day => whole * day_minutes,
        Unit::HalfDay => (halves * day_minutes + 1) / 2,
        Unit::Hour => minutes,
    };
    Counted { amount, days }
}

/// An overtime's minutes: on each day, the time of the period beyond the working minutes inside it.
pub fn overtime(spans: &[WorkSpan], w: &Window, zone: &Zone) -> Counted {
    let mut days = Vec::new();
    for d in crate::date::days(w.first, w.last) {
        let e = epoch_day(d);
        let Some((a, b)) = overlap(w, zone.at(e, 0), zone.at(e + 1, 0)) else {
            continue;
        };
        let working = spans
            .iter()
            .find(|s| s.date == d && s.working)
            .map_or(0, |s| s.minutes);
        let extra = (b - a) / 60_000 - working;
        if extra > 0 {
            days.push(DayPart {
                date: d,
                start_at: a,
                end_at: b,
                minutes: extra,
            });
        }
    }
    Counted {
        amount: days.iter().map(|p| p.minutes).sum(),
        days,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> Zone {
        Zone::named("Asia/Shanghai").unwrap()
    }

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    /// Mon–Fri 09:00–12:00 and 13:00–18:00, as the member's rule might say.
    fn spans(w: &Window) -> Vec<WorkSpan> {
        let z = zone();
        crate::date::days(w.first, w.last)
            .map(|date| {
                let working = crate::date::weekday(date) <= 5;
                let e = epoch_day(date);
                let mut minutes = 0;
                if working {
                    for (a, b) in [(540, 720), (780, 1080)] {
                        let (sa, sb) = (z.at(e, a), z.at(e, b));
                        minutes += (sb.min(w.to_ms) - sa.max(w.from_ms)).max(0) / 60_000;
                    }
                }
                WorkSpan {
                    date,
                    working,
                    minutes,
                    day_minutes: if working { 480 } else { 0 },
                }
            })
            .collect()
    }

    fn leave_of(unit: Unit, start: &str, end: &str) -> (i64, Vec<(String, i64)>) {
        let z = zone();
        let w = window(&z, start, end).unwrap();
        let c = leave(unit, 480, &spans(&w), &w, &z);
        (
            c.amount,
            c.days
                .iter()
                .map(|p| (crate::date::format(p.date), p.minutes))
                .collect(),
        )
    }

    #[test]
    fn periods_become_moments_on_the_enterprise_clock() {
        let z = zone();
        // 2026-12-07 00:00 in Shanghai is 2026-12-06 16:00 UTC.
        let w = window(&z, "2026-12-07 pm", "2026-12-08 am").unwrap();
        assert_eq!(w.from_ms, 1_796_572_800_000 + 12 * 3_600_000);
        assert_eq!(w.to_ms - w.from_ms, 24 * 3_600_000);
        assert_eq!((w.first, w.last), (d("2026-12-07"), d("2026-12-08")));
        let w = window(&z, "2026-12-07", "2026-12-07").unwrap();
        assert_eq!(w.to_ms - w.from_ms, 24 * 3_600_000);
        let w = window(&z, "2026-12-07 19:00", "2026-12-08 00:00").unwrap();
        assert_eq!((w.first, w.last), (d("2026-12-07"), d("2026-12-07")));
        assert_eq!(window(&z, "2026-12-07 pm", "2026-12-07 am"), None);
        assert_eq!(window(&z, "2026-12-07 noon", "2026-12-07 pm"), None);
        assert_eq!(window(&z, "2026-12-07 9:00", "2026-12-07 18:00"), None);
    }

    #[test]
    fn leave_counts_the_members_working_days() {
        // Monday am to Wednesday am: two and a half working days.
        assert_eq!(
            leave_of(Unit::HalfDay, "2026-12-07 am", "2026-12-09 am"),
            (
                1200,
                vec![
                    ("2026-12-07".into(), 480),
                    ("2026-12-08".into(), 480),
                    ("2026-12-09".into(), 180)
                ]
            )
        );
        // Friday pm to Monday am: the weekend is not leave.
        assert_eq!(
            leave_of(Unit::HalfDay, "2026-12-11 pm", "2026-12-14 am"),
            (
                480,
                vec![("2026-12-11".into(), 300), ("2026-12-14".into(), 180)]
            )
        );
        // A day type counts each working day touched, whole.
        assert_eq!(
            leave_of(Unit::Day, "2026-12-11 pm", "2026-12-14 am"),
            (
                960,
                vec![("2026-12-11".into(), 480), ("2026-12-14".into(), 480)]
            )
        );
        assert_eq!(leave_of(Unit::Day, "2026-12-12", "2026-12-13"), (0, vec![]));
        // An hour type counts working minutes: Monday am is 3 hours, the afternoon 5.
        assert_eq!(
            leave_of(Unit::Hour, "2026-12-07 am", "2026-12-07 am"),
            (180, vec![("2026-12-07".into(), 180)])
        );
        assert_eq!(
            leave_of(Unit::Hour, "2026-12-07 10:30", "2026-12-07 14:00"),
            (150, vec![("2026-12-07".into(), 150)])
        );
    }

    #[test]
    fn overtime_is_time_beyond_working_hours() {
        let z = zone();
        let ot = |start: &str, end: &str| {
            let w = window(&z, start, end).unwrap();
            overtime(&spans(&w), &w, &z)
                .days
                .iter()
                .map(|p| (crate::date::format(p.date), p.minutes))
                .collect::<Vec<_>>()
        };
        // A Saturday: all of it.
        assert_eq!(
            ot("2026-12-12 09:00", "2026-12-12 13:30"),
            vec![("2026-12-12".into(), 270)]
        );
        // A weekday 17:00–21:00: the hour before 18:00 is work.
        assert_eq!(
            ot("2026-12-08 17:00", "2026-12-08 21:00"),
            vec![("2026-12-08".into(), 180)]
        );
        // Across midnight into a Saturday.
        assert_eq!(
            ot("2026-12-11 22:00", "2026-12-12 02:00"),
            vec![("2026-12-11".into(), 120), ("2026-12-12".into(), 120)]
        );
        assert_eq!(ot("2026-12-08 10:00", "2026-12-08 11:00"), vec![]);
    }
}
