//! The result of a member's day (考勤结果), computed from its plan, the clock-ins and what approvals
//! decided (leave, overtime). Pure: the same inputs give the same day, whenever and wherever it is
//! computed — at a clock-in, when an approval arrives a week later, or when a month is recomputed.
use serde::Serialize;
use utoipa::ToSchema;

use crate::plan::{DayKind, DayPlan, SectionPlan};
use crate::rule::Rule;

const MINUTE_MS: i64 = 60_000;

/// A day's status, the worst that applies, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayStatus {
    Absent,
    Missing,
    Late,
    Early,
    Leave,
    Field,
    Normal,
    /// The day is not over and nothing is decided yet.
    Pending,
    Rest,
    Holiday,
    /// The member follows no rule.
    None,
}

impl DayStatus {
    pub fn code(self) -> &'static str {
        match self {
            DayStatus::Absent => "absent",
            DayStatus::Missing => "missing",
            DayStatus::Late => "late",
            DayStatus::Early => "early",
            DayStatus::Leave => "leave",
            DayStatus::Field => "field",
            DayStatus::Normal => "normal",
            DayStatus::Pending => "pending",
            DayStatus::Rest => "rest",
            DayStatus::Holiday => "holiday",
            DayStatus::None => "none",
        }
    }
    pub fn from_code(s: &str) -> Option<DayStatus> {
        ALL_STATUSES.iter().copied().find(|d| d.code() == s)
    }
}

pub const ALL_STATUSES: &[DayStatus] = &[
    DayStatus::Absent,
    DayStatus::Missing,
    DayStatus::Late,
    DayStatus::Early,
    DayStatus::Leave,
    DayStatus::Field,
    DayStatus::Normal,
    DayStatus::Pending,
    DayStatus::Rest,
    DayStatus::Holiday,
    DayStatus::None,
];

/// What one clock-in counted as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockStatus {
    Normal,
    Late,
    SeriousLate,
    /// Late past the absent threshold: the section counts as absent.
    Absent,
    Early,
}

/// A clock-in as the computation sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Punch {
    pub at: i64,
    pub field: bool,
}

/// Time an approval covers on the day.
#[derive(Debug, Clone, PartialEq)]
pub struct Covered {
    pub start: i64,
    pub end: i64,
    pub minutes: i64,
    /// `leave` or `overtime`.
    pub kind: String,
    pub leave_type: String,
}

/// A section's on or off clock as counted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Clock {
    pub at: i64,
    pub status: ClockStatus,
    /// Minutes late or early.
    pub minutes: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SectionResult {
    pub on_at: i64,
    pub off_at: i64,
    pub on_clock: Option<Clock>,
    pub off_clock: Option<Clock>,
    /// The whole section is leave.
    pub on_leave: bool,
    /// How much later a flexible start moved the section, ms.
    #[serde(skip)]
    pub shift_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LeaveMinutes {
    pub leave_type: String,
    pub minutes: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DayResult {
    pub status: DayStatus,
    pub due: bool,
    pub late_minutes: i64,
    pub late_count: i64,
    pub serious_late_count: i64,
    pub early_minutes: i64,
    pub early_count: i64,
    pub missing_count: i64,
    pub absent: bool,
    pub field_count: i64,
    pub leave: Vec<LeaveMinutes>,
    pub overtime_minutes: i64,
    pub work_minutes: i64,
    pub standard_minutes: i64,
    pub first_in: Option<i64>,
    pub last_out: Option<i64>,
    pub sections: Vec<SectionResult>,
}

impl DayResult {
    pub fn leave_minutes(&self) -> i64 {
        self.leave.iter().map(|l| l.minutes).sum()
    }
}

/// The thresholds of a rule, in ms.
struct Limits {
    early_limit: i64,
    grace: i64,
    serious: i64,
    absent: i64,
    off_required: bool,
}

impl Limits {
    fn of(rule: &Rule) -> Limits {
        let i = &rule.input;
        Limits {
            early_limit: i.early_limit_minutes * MINUTE_MS,
            grace: i.grace_minutes * MINUTE_MS,
            serious: i.serious_late_minutes * MINUTE_MS,
            absent: i.absent_late_minutes * MINUTE_MS,
            off_required: i.off_required,
        }
    }
}

/// When the leave covering a moment ends (the moment itself when none does).
fn leave_end_from(leave: &[&Covered], at: i64) -> i64 {
    let mut t = at;
    loop {
        match leave.iter().find(|c| c.start <= t && c.end > t) {
            Some(c) => t = c.end,
            None => return t,
        }
    }
}

/// When the leave reaching a moment starts (the moment itself when none does).
fn leave_start_to(leave: &[&Covered], at: i64) -> i64 {
    let mut t = at;
    loop {
        match leave.iter().find(|c| c.start < t && c.end >= t) {
            Some(c) => t = c.start,
            None => return t,
        }
    }
}

fn late(limits: &Limits, due: i64, flex: i64, at: i64) -> (Clock, i64) {
    let late_ms = at - due;
    if late_ms <= flex {
        // Within the flexible start: on time, and the end moves as much later.
        return (
            Clock {
                at,
                status: ClockStatus::Normal,
                minutes: 0,
            },
            late_ms.max(0),
        );
    }
    let late_ms = late_ms - flex;
    let minutes = late_ms / MINUTE_MS;
    let status = if late_ms >= limits.absent {
        ClockStatus::Absent
    } else if late_ms >= limits.serious && limits.serious > 0 {
        ClockStatus::SeriousLate
    } else if late_ms > limits.grace && minutes > 0 {
        ClockStatus::Late
    } else {
        ClockStatus::Normal
    };
    let minutes = if status == ClockStatus::Normal {
        0
    } else {
        minutes
    };
    (
        Clock {
            at,
            status,
            minutes,
        },
        flex,
    )
}

/// Computes a day. `now` decides what is still open: a section whose window has not closed is
/// pending rather than missing or absent.
pub fn compute(plan: &DayPlan, punches: &[Punch], covered: &[Covered], now: i64) -> DayResult {
    let mut punches: Vec<Punch> = punches.to_vec();
    punches.sort_by_key(|p| p.at);
    let leave: Vec<&Covered> = covered.iter().filter(|c| c.kind == "leave").collect();
    let mut leave_by_type: Vec<LeaveMinutes> = Vec::new();
    for c in &leave {
        match leave_by_type
            .iter_mut()
            .find(|l| l.leave_type == c.leave_type)
        {
            Some(l) => l.minutes += c.minutes,
            None => leave_by_type.push(LeaveMinutes {
                leave_type: c.leave_type.clone(),
                minutes: c.minutes,
            }),
        }
    }
    let overtime_minutes = covered
        .iter()
        .filter(|c| c.kind == "overtime")
        .map(|c| c.minutes)
        .sum();
    let mut r = DayResult {
        status: DayStatus::Normal,
        due: plan.due(),
        late_minutes: 0,
        late_count: 0,
        serious_late_count: 0,
        early_minutes: 0,
        early_count: 0,
        missing_count: 0,
        absent: false,
        field_count: punches.iter().filter(|p| p.field).count() as i64,
        leave: leave_by_type,
        overtime_minutes,
        work_minutes: 0,
        standard_minutes: plan.standard_ms() / MINUTE_MS,
        first_in: punches.first().map(|p| p.at),
        last_out: (punches.len() > 1).then(|| punches[punches.len() - 1].at),
        sections: Vec::new(),
    };
    let worked = |a: i64, b: i64| (b - a).max(0) / MINUTE_MS;
    let Some(rule) = plan.rule.as_ref().filter(|_| plan.kind != DayKind::NoRule) else {
        r.status = DayStatus::None;
        return r;
    };
    if !plan.due() {
        r.status = if plan.kind == DayKind::Holiday {
            DayStatus::Holiday
        } else {
            DayStatus::Rest
        };
        if let (Some(a), Some(b)) = (r.first_in, r.last_out) {
            r.work_minutes = worked(a, b);
        }
        return r;
    }
    let limits = Limits::of(rule);
    let open = now < plan.window_end();
    let mut statuses: Vec<DayStatus> = Vec::new();
    if plan.sections.is_empty() {
        // Free hours: the day's first and last clock-ins, against its minimum less any leave.
        let need = (plan.free_ms - r.leave_minutes() * MINUTE_MS).max(0);
        match (r.first_in, r.last_out) {
            _ if need == 0 => statuses.push(DayStatus::Leave),
            (None, _) => statuses.push(if open {
                DayStatus::Pending
            } else {
                DayStatus::Absent
            }),
            (Some(_), None) if limits.off_required => statuses.push(if open {
                DayStatus::Pending
            } else {
                DayStatus::Missing
            }),
            (Some(a), b) => {
                let b = b.unwrap_or(a);
                r.work_minutes = worked(a, b);
                let short = need / MINUTE_MS - r.work_minutes;
                if short > 0 && !open && limits.off_required {
                    r.early_minutes = short;
                    r.early_count = 1;
                    statuses.push(DayStatus::Early);
                }
            }
        }
        if statuses.contains(&DayStatus::Absent) {
            r.absent = true;
        }
        if statuses.contains(&DayStatus::Missing) {
            r.missing_count = 1;
        }
    } else {
        let mut used = vec![false; punches.len()];
        for (i, s) in plan.sections.iter().enumerate() {
            // Between two sections, clock-ins before the midpoint of the gap close the earlier one.
            let lower = match i {
                0 => s.on_at - limits.early_limit,
                _ => {
                    let previous = &plan.sections[i - 1];
                    (s.on_at - limits.early_limit).max(midpoint(previous.off_at, s.on_at))
                }
            };
            let upper = match plan.sections.get(i + 1) {
                Some(next) => midpoint(s.off_at, next.on_at),
                None => plan.window_end(),
            };
            let (st, sr) =
                section_result(s, &limits, &leave, &punches, &mut used, lower, upper, now);
            r.work_minutes += match (sr.on_clock, sr.off_clock) {
                (Some(a), Some(b)) => shifted(s, sr.shift_ms).work_between(a.at, b.at) / MINUTE_MS,
                _ => 0,
            };
            for c in [sr.on_clock, sr.off_clock].into_iter().flatten() {
                match c.status {
                    ClockStatus::Late => {
                        r.late_count += 1;
                        r.late_minutes += c.minutes;
                    }
                    ClockStatus::SeriousLate => {
                        r.late_count += 1;
                        r.serious_late_count += 1;
                        r.late_minutes += c.minutes;
                    }
                    ClockStatus::Early => {
                        r.early_count += 1;
                        r.early_minutes += c.minutes;
                    }
                    ClockStatus::Absent | ClockStatus::Normal => {}
                }
            }
            for s in &st {
                match s {
                    DayStatus::Missing => r.missing_count += 1,
                    DayStatus::Absent => r.absent = true,
                    _ => {}
                }
            }
            statuses.extend(st);
            r.sections.push(sr);
        }
    }
    if !r.leave.is_empty() {
        statuses.push(DayStatus::Leave);
    }
    if r.field_count > 0 {
        statuses.push(DayStatus::Field);
    }
    // Pending only when nothing worse is known yet.
    r.status = statuses
        .iter()
        .copied()
        .filter(|s| *s != DayStatus::Pending)
        .min()
        .unwrap_or(if statuses.contains(&DayStatus::Pending) {
            DayStatus::Pending
        } else {
            DayStatus::Normal
        });
    if r.status == DayStatus::Normal && statuses.contains(&DayStatus::Pending) {
        r.status = DayStatus::Pending;
    }
    r
}

fn midpoint(a: i64, b: i64) -> i64 {
    a + (b - a) / 2
}

/// A section moved later by a flexible start (its break stays where it is).
fn shifted(s: &SectionPlan, by: i64) -> SectionPlan {
    SectionPlan {
        on_at: s.on_at + by,
        off_at: s.off_at + by,
        rest: s.rest,
        flex_ms: s.flex_ms,
    }
}

/// Past a break that `at` falls in (arriving after a morning's leave is due when work resumes).
fn after_rest(s: &SectionPlan, at: i64) -> i64 {
    match s.rest {
        Some((a, b)) if at >= a && at < b => b,
        _ => at,
    }
}

/// Before a break that `at` falls in (leaving for an afternoon's leave is due when work pauses).
fn before_rest(s: &SectionPlan, at: i64) -> i64 {
    match s.rest {
        Some((a, b)) if at > a && at <= b => a,
        _ => at,
    }
}

/// One section: its on and off clocks, and what is wrong with it.
#[allow(clippy::too_many_arguments)]
fn section_result(
    s: &SectionPlan,
    limits: &Limits,
    leave: &[&Covered],
    punches: &[Punch],
    used: &mut [bool],
    lower: i64,
    upper: i64,
    now: i64,
) -> (Vec<DayStatus>, SectionResult) {
    let mut out = SectionResult {
        on_at: s.on_at,
        off_at: s.off_at,
        on_clock: None,
        off_clock: None,
        on_leave: false,
        shift_ms: 0,
    };
    let due_on = leave_end_from(leave, after_rest(s, leave_end_from(leave, s.on_at)));
    let due_off = leave_start_to(leave, before_rest(s, leave_start_to(leave, s.off_at)));
    if due_on >= s.off_at || due_off <= s.on_at || s.work_between(due_on, due_off) == 0 {
        out.on_leave = true;
        return (vec![DayStatus::Leave], out);
    }
    let on_idx = punches
        .iter()
        .enumerate()
        .find(|(i, p)| !used[*i] && p.at >= lower && p.at < s.off_at)
        .map(|(i, _)| i);
    let mut statuses = Vec::new();
    let mut shift = 0;
    if let Some(i) = on_idx {
        used[i] = true;
        let (clock, moved) = late(limits, due_on, s.flex_ms, punches[i].at);
        shift = moved;
        if clock.status == ClockStatus::Absent {
            statuses.push(DayStatus::Absent);
        } else if matches!(clock.status, ClockStatus::Late | ClockStatus::SeriousLate) {
            statuses.push(DayStatus::Late);
        }
        out.on_clock = Some(clock);
    }
    let after = on_idx.map(|i| punches[i].at).unwrap_or(lower);
    let off_idx = punches
        .iter()
        .enumerate()
        .rev()
        .find(|(i, p)| !used[*i] && p.at > after && p.at >= lower && p.at < upper)
        .map(|(i, _)| i);
    out.shift_ms = shift;
    let due_off = if due_off == s.off_at {
        s.off_at + shift
    } else {
        due_off
    };
    if let Some(i) = off_idx {
        used[i] = true;
        let at = punches[i].at;
        let early_ms = due_off - at;
        let clock = if early_ms >= MINUTE_MS {
            statuses.push(DayStatus::Early);
            Clock {
                at,
                status: ClockStatus::Early,
                minutes: early_ms / MINUTE_MS,
            }
        } else {
            Clock {
                at,
                status: ClockStatus::Normal,
                minutes: 0,
            }
        };
        out.off_clock = Some(clock);
    }
    let closed = now >= upper;
    match (out.on_clock, out.off_clock) {
        (None, None) => statuses.push(if closed {
            DayStatus::Absent
        } else {
            DayStatus::Pending
        }),
        (None, Some(_)) => statuses.push(DayStatus::Missing),
        (Some(_), None) if limits.off_required => statuses.push(if closed {
            DayStatus::Missing
        } else {
            DayStatus::Pending
        }),
        _ => {}
    }
    (statuses, out)
}

#[cfg(test)]
mod tests;
