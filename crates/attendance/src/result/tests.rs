//! The day's result as a table of cases: each rule kind, grace, serious late and absent, flexible
//! start, a night shift, holidays and 调休, leave of half days and hours, field work, and a late
//! approval changing a day already computed.
use std::sync::Arc;

use jiff::civil::Date;
use serde_json::{Value, json};

use super::*;
use crate::date;
use crate::plan::{HolidayInfo, plan_day};
use crate::rule::Rule;
use qixie_kernel::time::Zone;

fn rule(v: Value) -> Arc<Rule> {
    Arc::new(Rule {
        id: "1".into(),
        group_id: 1,
        input: serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}")),
        created_at: 0,
        updated_at: 0,
    })
}

fn office(extra: Value) -> Arc<Rule> {
    let mut base = json!({"name": "总部", "kind": "fixed", "workdays": [1,2,3,4,5],
        "sections": [{"on": "09:00", "off": "18:00", "rest": {"from": "12:00", "to": "13:00"}}],
        "grace_minutes": 5, "serious_late_minutes": 30, "absent_late_minutes": 240});
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        b.extend(e);
    }
    rule(base)
}

const MON: Date = Date::constant(2026, 12, 7);
const TUE: Date = Date::constant(2026, 12, 8);
const SAT: Date = Date::constant(2026, 12, 12);

/// A moment on `d` at "HH:MM" in Shanghai; "+HH:MM" is the next day.
fn t(d: Date, hm: &str) -> i64 {
    let (d, hm) = match hm.strip_prefix('+') {
        Some(rest) => (d.tomorrow().unwrap_or(d), rest),
        None => (d, hm),
    };
    let (h, m) = hm.split_once(':').unwrap_or(("0", "0"));
    let minute = h.parse::<i64>().unwrap_or(0) * 60 + m.parse::<i64>().unwrap_or(0);
    Zone::default().at(date::epoch_day(d), minute)
}

fn punches(d: Date, times: &[&str]) -> Vec<Punch> {
    times
        .iter()
        .map(|hm| Punch {
            at: t(d, hm),
            field: false,
        })
        .collect()
}

fn leave(d: Date, from: &str, to: &str, minutes: i64) -> Covered {
    Covered {
        start: t(d, from),
        end: t(d, to),
        minutes,
        kind: "leave".into(),
        leave_type: "annual".into(),
    }
}

/// (status, late minutes, early minutes, missing, absent, work minutes)
type Summary = (DayStatus, i64, i64, i64, bool, i64);

fn summary(r: &DayResult) -> Summary {
    (
        r.status,
        r.late_minutes,
        r.early_minutes,
        r.missing_count,
        r.absent,
        r.work_minutes,
    )
}

fn day(rule: &Arc<Rule>, d: Date, times: &[&str], covered: &[Covered], now: &str) -> DayResult {
    let plan = plan_day(&Zone::default(), Some(rule), d, None, None);
    compute(&plan, &punches(d, times), covered, t(d, now))
}

#[test]
fn fixed_hours_with_grace_serious_late_and_absent() {
    use DayStatus::*;
    let r = office(json!({}));
    let after = "+12:00";
    let cases: Vec<(&str, Vec<&str>, Summary)> = vec![
        (
            "on time",
            vec!["08:55", "18:02"],
            (Normal, 0, 0, 0, false, 480),
        ),
        (
            "late within grace",
            vec!["09:04", "18:00"],
            (Normal, 0, 0, 0, false, 476),
        ),
        (
            "late by 7 minutes",
            vec!["09:07", "18:00"],
            (Late, 7, 0, 0, false, 473),
        ),
        (
            "serious late",
            vec!["09:45", "18:00"],
            (Late, 45, 0, 0, false, 435),
        ),
        (
            "late past the absent threshold",
            vec!["13:30", "18:00"],
            (Absent, 0, 0, 0, true, 270),
        ),
        (
            "early leave",
            vec!["09:00", "17:30"],
            (Early, 0, 30, 0, false, 450),
        ),
        ("no clock-out", vec!["09:00"], (Missing, 0, 0, 1, false, 0)),
        ("no clock-in", vec!["18:05"], (Missing, 0, 0, 1, false, 0)),
        ("nothing at all", vec![], (Absent, 0, 0, 0, true, 0)),
        (
            "too early to count",
            vec!["06:00", "18:00"],
            (Missing, 0, 0, 1, false, 0),
        ),
        (
            "clocked several times",
            vec!["08:50", "09:10", "17:00", "18:30"],
            (Normal, 0, 0, 0, false, 480),
        ),
    ];
    for (name, times, want) in cases {
        assert_eq!(summary(&day(&r, MON, &times, &[], after)), want, "{name}");
    }
    let serious = day(&r, MON, &["09:45", "18:00"], &[], after);
    assert_eq!((serious.late_count, serious.serious_late_count), (1, 1));
}

#[test]
fn an_open_day_is_pending_until_its_window_closes() {
    let r = office(json!({}));
    assert_eq!(day(&r, MON, &[], &[], "08:00").status, DayStatus::Pending);
    assert_eq!(
        day(&r, MON, &["08:58"], &[], "11:00").status,
        DayStatus::Pending
    );
    // Lateness is known at once.
    assert_eq!(
        day(&r, MON, &["09:20"], &[], "11:00").status,
        DayStatus::Late
    );
    assert_eq!(
        day(&r, MON, &["08:58"], &[], "+01:00").status,
        DayStatus::Missing
    );
    // Clocking out is not needed by this rule.
    let no_off = office(json!({"off_required": false}));
    assert_eq!(
        day(&no_off, MON, &["08:58"], &[], "+12:00").status,
        DayStatus::Normal
    );
}

#[test]
fn a_flexible_start_moves_the_end() {
    use DayStatus::*;
    // Arrive 08:30–09:30, work 8 hours.
    let r = office(
        json!({"sections": [{"on": "08:30", "off": "17:30", "rest": {"from": "12:00", "to": "13:00"}}],
                          "flex_minutes": 60}),
    );
    let cases: Vec<(&str, Vec<&str>, Summary)> = vec![
        (
            "early bird",
            vec!["08:25", "17:30"],
            (Normal, 0, 0, 0, false, 480),
        ),
        (
            "inside the flexible hour",
            vec!["09:20", "18:20"],
            (Normal, 0, 0, 0, false, 480),
        ),
        (
            "inside it but left at the plain end",
            vec!["09:20", "17:30"],
            (Early, 0, 50, 0, false, 430),
        ),
        (
            "past it",
            vec!["09:40", "18:30"],
            (Late, 10, 0, 0, false, 470),
        ),
    ];
    for (name, times, want) in cases {
        assert_eq!(
            summary(&day(&r, MON, &times, &[], "+12:00")),
            want,
            "{name}"
        );
    }
}

#[test]
fn two_sections_a_day() {
    let r = office(
        json!({"sections": [{"on": "09:00", "off": "12:00"}, {"on": "14:00", "off": "18:00"}]}),
    );
    let d = day(
        &r,
        MON,
        &["08:55", "12:01", "13:58", "18:00"],
        &[],
        "+12:00",
    );
    assert_eq!(summary(&d), (DayStatus::Normal, 0, 0, 0, false, 420));
    let d = day(
        &r,
        MON,
        &["08:55", "12:01", "14:20", "18:00"],
        &[],
        "+12:00",
    );
    assert_eq!(summary(&d), (DayStatus::Late, 20, 0, 0, false, 400));
    // Forgot the afternoon entirely.
    let d = day(&r, MON, &["08:55", "12:01"], &[], "+12:00");
    assert_eq!(summary(&d), (DayStatus::Absent, 0, 0, 0, true, 180));
}

#[test]
fn a_night_shift_counts_for_the_day_it_began() {
    let r = rule(
        json!({"name": "夜班", "kind": "scheduled", "grace_minutes": 5,
        "shifts": [{"id": 1, "name": "夜班", "sections": [{"on": "22:00", "off": "06:00"}]}]}),
    );
    let plan = plan_day(&Zone::default(), Some(&r), MON, Some(1), None);
    let d = compute(
        &plan,
        &punches(MON, &["21:50", "+06:03"]),
        &[],
        t(MON, "+13:00"),
    );
    assert_eq!(summary(&d), (DayStatus::Normal, 0, 0, 0, false, 480));
    let d = compute(
        &plan,
        &punches(MON, &["22:30", "+05:00"]),
        &[],
        t(MON, "+13:00"),
    );
    assert_eq!(summary(&d), (DayStatus::Late, 30, 60, 0, false, 390));
    assert_eq!(d.status, DayStatus::Late);
    let rest = plan_day(&Zone::default(), Some(&r), MON, Some(0), None);
    assert_eq!(
        compute(&rest, &[], &[], t(MON, "+13:00")).status,
        DayStatus::Rest
    );
}

#[test]
fn holidays_and_adjusted_workdays() {
    let r = office(json!({}));
    let zone = Zone::default();
    let national = HolidayInfo {
        workday: false,
        name: "元旦".into(),
        statutory: true,
    };
    let plan = plan_day(&zone, Some(&r), MON, None, Some(&national));
    let d = compute(&plan, &[], &[], t(MON, "+12:00"));
    assert_eq!(
        (d.status, d.due, d.absent),
        (DayStatus::Holiday, false, false)
    );
    // A worked weekend under 调休 is a working day: missing it is absence.
    let adjusted = HolidayInfo {
        workday: true,
        name: "调休上班".into(),
        statutory: true,
    };
    let plan = plan_day(&zone, Some(&r), SAT, None, Some(&adjusted));
    assert_eq!(
        compute(&plan, &[], &[], t(SAT, "+12:00")).status,
        DayStatus::Absent
    );
    let d = compute(
        &plan,
        &punches(SAT, &["09:00", "18:00"]),
        &[],
        t(SAT, "+12:00"),
    );
    assert_eq!(d.status, DayStatus::Normal);
    // A plain Saturday is a rest day, worked or not.
    let plan = plan_day(&zone, Some(&r), SAT, None, None);
    let d = compute(
        &plan,
        &punches(SAT, &["10:00", "12:00"]),
        &[],
        t(SAT, "+12:00"),
    );
    assert_eq!((d.status, d.work_minutes), (DayStatus::Rest, 120));
}

#[test]
fn leave_of_half_days_and_hours() {
    use DayStatus::*;
    let r = office(json!({}));
    let after = "+12:00";
    // The morning off: arriving at 13:00 is not late.
    let am = leave(TUE, "09:00", "12:00", 180);
    assert_eq!(
        summary(&day(
            &r,
            TUE,
            &["12:58", "18:00"],
            std::slice::from_ref(&am),
            after
        )),
        (Leave, 0, 0, 0, false, 300)
    );
    assert_eq!(
        day(
            &r,
            TUE,
            &["12:58", "18:00"],
            std::slice::from_ref(&am),
            after
        )
        .leave_minutes(),
        180
    );
    // Arriving at 13:20 after a morning off is late by 20.
    assert_eq!(
        summary(&day(&r, TUE, &["13:20", "18:00"], &[am], after)),
        (Late, 20, 0, 0, false, 280)
    );
    // Two hours off at the end of the day: leaving at 16:00 is not early.
    let pm = leave(TUE, "16:00", "18:00", 120);
    assert_eq!(
        summary(&day(&r, TUE, &["09:00", "16:00"], &[pm], after)),
        (Leave, 0, 0, 0, false, 360)
    );
    // The whole day off: nothing to clock.
    let all = leave(TUE, "09:00", "18:00", 480);
    let d = day(&r, TUE, &[], &[all], after);
    assert_eq!((d.status, d.absent, d.missing_count), (Leave, false, 0));
}

#[test]
fn a_late_approval_corrects_a_day_already_computed() {
    let r = office(json!({}));
    let before = day(&r, MON, &[], &[], "+12:00");
    assert_eq!(before.status, DayStatus::Absent);
    // A week later the leave for that Monday is approved: the same inputs plus the leave.
    let after = day(
        &r,
        MON,
        &[],
        &[leave(MON, "09:00", "18:00", 480)],
        "+180:00",
    );
    assert_eq!((after.status, after.absent), (DayStatus::Leave, false));
}

#[test]
fn free_hours_ask_only_for_a_daily_minimum() {
    use DayStatus::*;
    let r = rule(
        json!({"name": "自由", "kind": "free", "workdays": [1,2,3,4,5], "min_work_minutes": 480}),
    );
    let after = "+01:00";
    assert_eq!(
        summary(&day(&r, MON, &["10:00", "18:30"], &[], after)),
        (Normal, 0, 0, 0, false, 510)
    );
    assert_eq!(
        summary(&day(&r, MON, &["10:00", "17:00"], &[], after)),
        (Early, 0, 60, 0, false, 420)
    );
    assert_eq!(
        summary(&day(&r, MON, &[], &[], after)),
        (Absent, 0, 0, 0, true, 0)
    );
    assert_eq!(
        summary(&day(&r, MON, &["10:00"], &[], after)),
        (Missing, 0, 0, 1, false, 0)
    );
    assert_eq!(day(&r, MON, &["10:00"], &[], "15:00").status, Pending);
    // Half the day on leave halves what is asked.
    let half = leave(MON, "09:00", "13:00", 240);
    assert_eq!(
        day(&r, MON, &["13:00", "17:10"], &[half], after).status,
        Leave
    );
}

#[test]
fn field_clock_ins_mark_the_day() {
    let r = office(json!({}));
    let plan = plan_day(&Zone::default(), Some(&r), MON, None, None);
    let ps = vec![
        Punch {
            at: t(MON, "09:00"),
            field: true,
        },
        Punch {
            at: t(MON, "18:00"),
            field: true,
        },
    ];
    let d = compute(&plan, &ps, &[], t(MON, "+12:00"));
    assert_eq!((d.status, d.field_count), (DayStatus::Field, 2));
}

#[test]
fn no_rule_is_no_result() {
    let plan = plan_day(&Zone::default(), None, MON, None, None);
    assert_eq!(
        compute(&plan, &[], &[], t(MON, "+12:00")).status,
        DayStatus::None
    );
}

#[test]
fn the_enterprise_zone_decides_the_day() {
    // The same rule in Berlin: 09:00 is 08:00 UTC in winter.
    let r = office(json!({}));
    let berlin = Zone::named("Europe/Berlin").unwrap_or_default();
    let plan = plan_day(&berlin, Some(&r), MON, None, None);
    let at = |h: i64| berlin.at(date::epoch_day(MON), h * 60);
    let d = compute(
        &plan,
        &[
            Punch {
                at: at(9),
                field: false,
            },
            Punch {
                at: at(18),
                field: false,
            },
        ],
        &[],
        at(40),
    );
    assert_eq!(d.status, DayStatus::Normal);
    assert_eq!(plan.sections[0].on_at, 1_796_630_400_000);
}
