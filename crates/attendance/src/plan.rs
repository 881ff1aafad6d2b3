//! What a member's day asks of them: a working day or not (the rule's weekdays, the schedule, the
//! enterprise's holidays and 调休), and the sections with the moments they begin and end on the
//! enterprise's clock. `plan_day` is pure; `Plans` loads what it needs for a member and a range.
use std::collections::HashMap;
use std::sync::Arc;

use jiff::civil::Date;

use qixie_kernel::AppState;
use qixie_kernel::db::{Conn, sql};
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::{CorpId, MemberId};
use qixie_kernel::time::Zone;

use crate::date;
use crate::rule::{Rule, RuleKind, Section};

const MINUTE_MS: i64 = 60_000;

/// A day of the enterprise's calendar that is not as its weekday says.
#[derive(Debug, Clone, PartialEq)]
pub struct HolidayInfo {
    /// A working day (调休上班) rather than a day off.
    pub workday: bool,
    pub name: String,
    /// From the State Council's notice (a rule may not follow those), not the company's own.
    pub statutory: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    Workday,
    Rest,
    Holiday,
    /// The member follows no rule.
    NoRule,
}

/// One section of a planned day, in Unix ms.
#[derive(Debug, Clone, PartialEq)]
pub struct SectionPlan {
    pub on_at: i64,
    pub off_at: i64,
    pub rest: Option<(i64, i64)>,
    pub flex_ms: i64,
}

impl SectionPlan {
    /// Working time between `a` and `b` inside the section (its break left out), in ms.
    pub fn work_between(&self, a: i64, b: i64) -> i64 {
        let (a, b) = (a.max(self.on_at), b.min(self.off_at));
        if b <= a {
            return 0;
        }
        let rest = self
            .rest
            .map(|(ra, rb)| (b.min(rb) - a.max(ra)).max(0))
            .unwrap_or(0);
        b - a - rest
    }
    pub fn work_ms(&self) -> i64 {
        self.work_between(self.on_at, self.off_at)
    }
}

#[derive(Debug, Clone)]
pub struct DayPlan {
    pub date: Date,
    pub kind: DayKind,
    pub rule: Option<Arc<Rule>>,
    /// The shift (id, name) of a scheduled rule's working day.
    pub shift: Option<(i64, String)>,
    pub sections: Vec<SectionPlan>,
    /// A free rule's daily minimum of work, ms (0 otherwise).
    pub free_ms: i64,
    /// The holiday's or 调休 day's name.
    pub holiday: Option<String>,
    /// The day's midnights on the enterprise's clock, Unix ms.
    pub day_start: i64,
    pub day_end: i64,
}

impl DayPlan {
    pub fn due(&self) -> bool {
        self.kind == DayKind::Workday
    }
    /// Standard working time of the day, ms.
    pub fn standard_ms(&self) -> i64 {
        if !self.due() {
            return 0;
        }
        if self.free_ms > 0 {
            return self.free_ms;
        }
        self.sections.iter().map(SectionPlan::work_ms).sum()
    }
    /// When the day's clock-ins stop counting for it: six hours after the last section ends (a
    /// late clock-out), or the next midnight for a day without sections.
    pub fn window_end(&self) -> i64 {
        self.sections
            .last()
            .map(|s| s.off_at + LATE_OFF_WINDOW_MS)
            .unwrap_or(self.day_end)
    }
}

/// How long after a section ends a clock-out still counts for it.
const LATE_OFF_WINDOW_MS: i64 = 6 * 60 * MINUTE_MS;

fn sections_at(
    zone: &Zone,
    day: Date,
    sections: &[Section],
    flex_minutes: i64,
) -> Vec<SectionPlan> {
    let epoch = date::epoch_day(day);
    let at = |minute: i64| zone.at(epoch + minute / 1440, minute % 1440);
    let mut out = Vec::new();
    let mut offset = 0;
    let mut previous_on: Option<i64> = None;
    for s in sections {
        let (on, off) = s.span();
        // A later section whose clock time is earlier than the previous one's is the next day.
        if previous_on.is_some_and(|p| on < p % 1440) && offset == 0 {
            offset = 1440;
        }
        previous_on = Some(on + offset);
        out.push(SectionPlan {
            on_at: at(on + offset),
            off_at: at(off + offset),
            rest: s.rest_span().map(|(a, b)| (at(a + offset), at(b + offset))),
            flex_ms: flex_minutes * MINUTE_MS,
        });
    }
    out
}

/// The plan of `day` for a member following `rule` (None: no rule), with the shift the schedule
/// gives them that day (scheduled rules; None or 0 is a rest day) and the enterprise calendar's
/// entry for the day.
pub fn plan_day(
    zone: &Zone,
    rule: Option<&Arc<Rule>>,
    day: Date,
    scheduled_shift: Option<i64>,
    holiday: Option<&HolidayInfo>,
) -> DayPlan {
    let mut plan = DayPlan {
        date: day,
        kind: DayKind::NoRule,
        rule: rule.cloned(),
        shift: None,
        sections: Vec::new(),
        free_ms: 0,
        holiday: holiday.map(|h| h.name.clone()),
        day_start: zone.at(date::epoch_day(day), 0),
        day_end: zone.at(date::epoch_day(day) + 1, 0),
    };
    let Some(rule) = rule else {
        return plan;
    };
    let input = &rule.input;
    match input.kind {
        RuleKind::Scheduled => {
            // The schedule decides; a holiday is only shown.
            match scheduled_shift.and_then(|id| rule.shift(id)) {
                Some(shift) => {
                    plan.kind = DayKind::Workday;
                    plan.shift = Some((shift.id, shift.name.clone()));
                    plan.sections = sections_at(zone, day, &shift.sections, shift.flex_minutes);
                }
                None => plan.kind = DayKind::Rest,
            }
        }
        RuleKind::Fixed | RuleKind::Free => {
            let regular = input.workdays.contains(&date::weekday(day));
            let applies = holiday.filter(|h| !h.statutory || input.follow_holidays);
            plan.kind = match applies {
                Some(h) if h.workday => DayKind::Workday,
                Some(_) => DayKind::Holiday,
                None if regular => DayKind::Workday,
                None => DayKind::Rest,
            };
            if plan.kind == DayKind::Workday {
                if input.kind == RuleKind::Fixed {
                    plan.sections = sections_at(zone, day, &input.sections, input.flex_minutes);
                } else {
                    plan.free_ms = input.min_work_minutes * MINUTE_MS;
                }
            }
        }
    }
    plan
}

/// What planning a member's days needs, loaded once for a range.
pub struct Plans {
    pub zone: Zone,
    pub rule: Option<Arc<Rule>>,
    pub schedule: HashMap<i64, i64>,
    /// Shared by every member of the enterprise when many are planned at once.
    pub holidays: Arc<HashMap<i64, HolidayInfo>>,
}

impl Plans {
    pub fn day(&self, day: Date) -> DayPlan {
        let key = date::key(day);
        plan_day(
            &self.zone,
            self.rule.as_ref(),
            day,
            self.schedule.get(&key).copied(),
            self.holidays.get(&key),
        )
    }
}

/// The enterprise's zone (its profile's, else Asia/Shanghai).
pub async fn corp_zone(app: &AppState, corp: CorpId) -> AppResult<Zone> {
    qixie_approvals::instance::submit::corp_zone(app, corp).await
}

/// The enterprise calendar's entries from `from` to `to`, as planning reads them.
pub async fn holidays(
    db: &mut Conn<'_>,
    corp: CorpId,
    from: Date,
    to: Date,
) -> AppResult<HashMap<i64, HolidayInfo>> {
    use crate::holidays::{HolidayKind, HolidayOrigin};
    let calendar = crate::holidays::calendar(&mut *db, corp, from, to).await?;
    Ok(calendar
        .iter()
        .map(|h| {
            (
                date::key(h.date),
                HolidayInfo {
                    workday: h.kind == HolidayKind::Workday,
                    name: h.name.clone(),
                    statutory: h.origin == HolidayOrigin::Statutory,
                },
            )
        })
        .collect())
}

/// Loads a member's rule, schedule and the calendar for `from`–`to`; the schedule and calendar
/// through `db` (a transaction that changes them sees its own changes).
pub async fn load(
    app: &AppState,
    db: impl Into<Conn<'_>>,
    corp: CorpId,
    member: i64,
    from: Date,
    to: Date,
) -> AppResult<Plans> {
    let person = qixie_org::people::person(&app.db, corp, MemberId(member)).await?;
    let rule = match &person {
        Some(p) => crate::rule::store::rule_of(app, corp, p).await?,
        None => None,
    };
    load_for(app, db, corp, member, rule, from, to).await
}

/// `load` for a member whose rule is known already.
pub async fn load_for(
    app: &AppState,
    db: impl Into<Conn<'_>>,
    corp: CorpId,
    member: i64,
    rule: Option<Arc<Rule>>,
    from: Date,
    to: Date,
) -> AppResult<Plans> {
    let zone = corp_zone(app, corp).await?;
    let mut db = db.into();
    let schedule = match &rule {
        Some(r) if r.input.kind == RuleKind::Scheduled => {
            let rows: Vec<(i64, i64)> = db
                .all(
                    sql("SELECT day, shift_id FROM attendance_schedules WHERE member_id = $1 AND rule_id = $2 AND day BETWEEN $3 AND $4")
                        .bind(member)
                        .bind(r.pk())
                        .bind(date::key(from))
                        .bind(date::key(to)),
                )
                .await?;
            rows.into_iter().collect()
        }
        _ => HashMap::new(),
    };
    let holidays = Arc::new(holidays(&mut db, corp, from, to).await?);
    Ok(Plans {
        zone,
        rule,
        schedule,
        holidays,
    })
}

/// One day of a span of time, for durations on a member's own working days.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkSpan {
    pub date: Date,
    /// Whether the day is a working day for the member.
    pub working: bool,
    /// Working minutes of the day inside the span.
    pub minutes: i64,
    /// The day's standard working minutes (0 on a day off).
    pub day_minutes: i64,
}

/// For each day from `from_ms` to `to_ms` (Unix ms, end excluded), how much of the member's working
/// time it covers: what a leave of that span takes from their working days and hours.
pub async fn working_time(
    app: &AppState,
    corp: CorpId,
    member: i64,
    from_ms: i64,
    to_ms: i64,
) -> AppResult<Vec<WorkSpan>> {
    let zone = corp_zone(app, corp).await?;
    let first = date::from_epoch_day(zone.local(from_ms).day);
    let last = date::from_epoch_day(zone.local((to_ms - 1).max(from_ms)).day);
    // A night shift that began the day before may reach into the span.
    let start = first.yesterday().unwrap_or(first);
    let mut plans = load(app, &app.db, corp, member, start, last).await?;
    if plans.rule.is_none() {
        plans.rule = Some(standard_week());
    }
    Ok(spans(&plans, first, last, from_ms, to_ms))
}

/// The week a leave is measured on for a member who follows no rule: Monday to Friday, 09:00–18:00
/// with an hour's break, on the enterprise's calendar.
fn standard_week() -> Arc<Rule> {
    use crate::rule::{RuleInput, Section, Targets, TimeOfDay};
    Arc::new(Rule {
        id: "0".into(),
        group_id: 0,
        input: RuleInput {
            name: String::new(),
            kind: RuleKind::Fixed,
            targets: Targets::default(),
            workdays: vec![1, 2, 3, 4, 5],
            sections: vec![Section {
                on: TimeOfDay::hm(9, 0),
                off: TimeOfDay::hm(18, 0),
                rest: Some(crate::rule::Rest {
                    from: TimeOfDay::hm(12, 0),
                    to: TimeOfDay::hm(13, 0),
                }),
            }],
            flex_minutes: 0,
            shifts: Vec::new(),
            min_work_minutes: 0,
            early_limit_minutes: 120,
            grace_minutes: 0,
            serious_late_minutes: 30,
            absent_late_minutes: 240,
            off_required: true,
            remind_on_minutes: None,
            remind_off_minutes: None,
            photo_required: false,
            field_allowed: true,
            follow_holidays: true,
            places: Vec::new(),
            networks: Vec::new(),
        },
        created_at: 0,
        updated_at: 0,
    })
}

fn spans(plans: &Plans, first: Date, last: Date, from_ms: i64, to_ms: i64) -> Vec<WorkSpan> {
    date::days(first, last)
        .map(|d| {
            let p = plans.day(d);
            let minutes = if p.free_ms > 0 {
                // Free hours: the part of the day's minimum the span's share of the day covers.
                let day_start = plans.zone.at(date::epoch_day(d), 0);
                let day_end = plans.zone.at(date::epoch_day(d) + 1, 0);
                let covered = (to_ms.min(day_end) - from_ms.max(day_start)).max(0);
                p.free_ms * covered / (day_end - day_start).max(1)
            } else {
                p.sections
                    .iter()
                    .map(|s| s.work_between(from_ms, to_ms))
                    .sum()
            } / MINUTE_MS;
            WorkSpan {
                date: d,
                working: p.due(),
                minutes,
                day_minutes: p.standard_ms() / MINUTE_MS,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn rule(v: serde_json::Value) -> Arc<Rule> {
        Arc::new(Rule {
            id: "1".into(),
            group_id: 1,
            input: serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}")),
            created_at: 0,
            updated_at: 0,
        })
    }

    fn office() -> Arc<Rule> {
        rule(
            json!({"name": "总部", "kind": "fixed", "workdays": [1,2,3,4,5],
            "sections": [{"on": "09:00", "off": "18:00", "rest": {"from": "12:00", "to": "13:00"}}]}),
        )
    }

    fn hm(zone: &Zone, d: Date, h: i64, m: i64) -> i64 {
        zone.at(date::epoch_day(d), h * 60 + m)
    }

    #[test]
    fn weekdays_holidays_and_adjusted_workdays() {
        let zone = Zone::default();
        let r = office();
        let holiday = HolidayInfo {
            workday: false,
            name: "国庆节".into(),
            statutory: true,
        };
        let adjusted = HolidayInfo {
            workday: true,
            name: "国庆节调休上班".into(),
            statutory: true,
        };
        let company = HolidayInfo {
            workday: false,
            name: "司庆".into(),
            statutory: false,
        };
        let monday = Date::constant(2026, 12, 7);
        let saturday = Date::constant(2026, 12, 12);
        assert_eq!(
            plan_day(&zone, Some(&r), monday, None, None).kind,
            DayKind::Workday
        );
        assert_eq!(
            plan_day(&zone, Some(&r), saturday, None, None).kind,
            DayKind::Rest
        );
        assert_eq!(
            plan_day(&zone, Some(&r), monday, None, Some(&holiday)).kind,
            DayKind::Holiday
        );
        let worked = plan_day(&zone, Some(&r), saturday, None, Some(&adjusted));
        assert_eq!(worked.kind, DayKind::Workday);
        assert_eq!(worked.sections[0].on_at, hm(&zone, saturday, 9, 0));
        assert_eq!(worked.standard_ms(), 8 * 60 * MINUTE_MS);
        // A rule that does not follow statutory holidays still keeps the company's own.
        let own = rule(
            json!({"name": "门店", "kind": "fixed", "workdays": [1,2,3,4,5,6,7], "follow_holidays": false,
            "sections": [{"on": "10:00", "off": "22:00"}]}),
        );
        assert_eq!(
            plan_day(&zone, Some(&own), monday, None, Some(&holiday)).kind,
            DayKind::Workday
        );
        assert_eq!(
            plan_day(&zone, Some(&own), monday, None, Some(&company)).kind,
            DayKind::Holiday
        );
        assert_eq!(
            plan_day(&zone, None, monday, None, None).kind,
            DayKind::NoRule
        );
    }

    #[test]
    fn a_night_shift_ends_the_next_morning() {
        let zone = Zone::default();
        let r = rule(json!({"name": "夜班", "kind": "scheduled", "shifts": [
            {"id": 3, "name": "夜班", "sections": [{"on": "22:00", "off": "06:00"}]}]}));
        let d = Date::constant(2026, 12, 7);
        let p = plan_day(&zone, Some(&r), d, Some(3), None);
        assert_eq!(p.shift, Some((3, "夜班".into())));
        assert_eq!(p.sections[0].on_at, hm(&zone, d, 22, 0));
        assert_eq!(
            p.sections[0].off_at,
            hm(&zone, Date::constant(2026, 12, 8), 6, 0)
        );
        assert_eq!(
            plan_day(&zone, Some(&r), d, Some(0), None).kind,
            DayKind::Rest
        );
        assert_eq!(plan_day(&zone, Some(&r), d, None, None).kind, DayKind::Rest);
    }

    #[test]
    fn the_enterprise_zone_is_respected() {
        let berlin = Zone::named("Europe/Berlin").unwrap_or_default();
        let r = office();
        // 2026-03-30 is the Monday after Europe's clocks went forward: 09:00 is 07:00 UTC.
        let d = Date::constant(2026, 3, 30);
        let p = plan_day(&berlin, Some(&r), d, None, None);
        assert_eq!(p.sections[0].on_at, 1_774_854_000_000);
    }

    #[test]
    fn working_time_counts_only_working_hours() {
        let zone = Zone::default();
        let plans = Plans {
            zone: zone.clone(),
            rule: Some(office()),
            schedule: HashMap::new(),
            holidays: Arc::default(),
        };
        let fri = Date::constant(2026, 12, 11);
        let mon = Date::constant(2026, 12, 14);
        // Friday 13:00 to Monday 12:00: Friday's afternoon (5 h), the weekend (nothing), Monday's morning (3 h).
        let s = spans(
            &plans,
            fri,
            mon,
            hm(&zone, fri, 13, 0),
            hm(&zone, mon, 12, 0),
        );
        let got: Vec<(bool, i64, i64)> = s
            .iter()
            .map(|w| (w.working, w.minutes, w.day_minutes))
            .collect();
        assert_eq!(
            got,
            vec![
                (true, 300, 480),
                (false, 0, 0),
                (false, 0, 0),
                (true, 180, 480)
            ]
        );
    }
}
