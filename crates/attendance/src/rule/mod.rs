//! Attendance rules (考勤组): who they cover, when those people work (fixed hours, scheduled shifts or
//! free hours) and where they may clock in. The shapes here are the API's; `check` is every rule a
//! rule must keep, pure, so the routes and WeCom's `add_checkin_option` refuse the same things.
pub mod store;
pub mod time;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use qixie_kernel::error::{FieldReason, Validator};

use crate::geo::{self, CoordSystem};
pub use time::TimeOfDay;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// 固定上下班: the same sections on each working day.
    Fixed,
    /// 排班: a shift per member and day from the schedule.
    Scheduled,
    /// 自由上下班: only a daily minimum of work.
    Free,
}

impl RuleKind {
    pub fn code(self) -> &'static str {
        match self {
            RuleKind::Fixed => "fixed",
            RuleKind::Scheduled => "scheduled",
            RuleKind::Free => "free",
        }
    }
}

/// Whom a rule covers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Targets {
    /// Departments, with their sub-departments.
    pub department_ids: Vec<i64>,
    pub userids: Vec<String>,
    pub tag_ids: Vec<i64>,
    /// Members left out though a department or tag covers them.
    pub excluded_userids: Vec<String>,
}

/// A break inside a section (not counted as work).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rest {
    pub from: TimeOfDay,
    pub to: TimeOfDay,
}

/// One on/off pair of a working day. `off` earlier than `on` ends the next day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub on: TimeOfDay,
    pub off: TimeOfDay,
    #[serde(default)]
    pub rest: Option<Rest>,
}

impl Section {
    /// (start, end) in minutes from the day's midnight; the end may pass 1440.
    pub fn span(&self) -> (i64, i64) {
        let on = self.on.minutes();
        let mut off = self.off.minutes();
        if off <= on {
            off += 1440;
        }
        (on, off)
    }
    /// The break as minutes from the day's midnight, inside the span; None when there is none.
    pub fn rest_span(&self) -> Option<(i64, i64)> {
        let r = self.rest?;
        let (on, _) = self.span();
        let shift = |m: i64| if m < on { m + 1440 } else { m };
        let (from, to) = (shift(r.from.minutes()), shift(r.to.minutes()));
        (to > from).then_some((from, to))
    }
    /// Minutes of work the section asks for (its span less the break).
    pub fn work_minutes(&self) -> i64 {
        let (on, off) = self.span();
        off - on - self.rest_span().map_or(0, |(a, b)| b - a)
    }
}

/// A shift of a scheduled rule (排班): its sections, assigned per member and day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    /// A positive number, unique in the rule (0 is the rest day in a schedule).
    pub id: i64,
    pub name: String,
    pub sections: Vec<Section>,
    #[serde(default)]
    pub flex_minutes: i64,
}

/// A place one may clock in at: within `radius_m` of a point given in `coord_system`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Place {
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
    pub coord_system: CoordSystem,
    pub radius_m: i64,
}

impl Place {
    /// The point in WGS-84, what a phone reports.
    pub fn wgs84(&self) -> (f64, f64) {
        geo::to_wgs84(self.coord_system, self.latitude, self.longitude)
    }
}

/// An office network: the addresses (CIDR) the server sees requests from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    pub name: String,
    pub cidr: String,
}

fn default_early_limit() -> i64 {
    120
}
fn default_grace() -> i64 {
    0
}
fn default_serious_late() -> i64 {
    30
}
fn default_absent_late() -> i64 {
    240
}
fn yes() -> bool {
    true
}

/// A rule as written by an administrator (the API's body for create and replace).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub name: String,
    pub kind: RuleKind,
    #[serde(default)]
    pub targets: Targets,
    /// ISO weekdays, 1 Monday … 7 Sunday (fixed and free rules).
    #[serde(default)]
    pub workdays: Vec<u8>,
    /// The day's sections (fixed rules).
    #[serde(default)]
    pub sections: Vec<Section>,
    /// 弹性: arriving up to this late is on time and moves the end as much later (fixed rules).
    #[serde(default)]
    pub flex_minutes: i64,
    /// The shifts (scheduled rules).
    #[serde(default)]
    pub shifts: Vec<Shift>,
    /// Minutes of work a day asks for (free rules).
    #[serde(default)]
    pub min_work_minutes: i64,
    /// How long before a section starts a clock-in counts for it.
    #[serde(default = "default_early_limit")]
    pub early_limit_minutes: i64,
    /// Late by less is not late.
    #[serde(default = "default_grace")]
    pub grace_minutes: i64,
    #[serde(default = "default_serious_late")]
    pub serious_late_minutes: i64,
    /// Late by this much, or no clock-in at all, is absent (旷工) for the section.
    #[serde(default = "default_absent_late")]
    pub absent_late_minutes: i64,
    /// Whether clocking out is needed.
    #[serde(default = "yes")]
    pub off_required: bool,
    #[serde(default)]
    pub remind_on_minutes: Option<i64>,
    #[serde(default)]
    pub remind_off_minutes: Option<i64>,
    #[serde(default)]
    pub photo_required: bool,
    #[serde(default = "yes")]
    pub field_allowed: bool,
    /// Statutory holidays are days off and 调休 weekends working days.
    #[serde(default = "yes")]
    pub follow_holidays: bool,
    #[serde(default)]
    pub places: Vec<Place>,
    #[serde(default)]
    pub networks: Vec<Network>,
}

/// A stored rule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rule {
    pub id: String,
    /// WeCom's groupid.
    pub group_id: i64,
    #[serde(flatten)]
    pub input: RuleInput,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Rule {
    pub fn pk(&self) -> i64 {
        self.id.parse().unwrap_or_default()
    }
    /// A scheduled rule's shift.
    pub fn shift(&self, id: i64) -> Option<&Shift> {
        self.input.shifts.iter().find(|s| s.id == id)
    }
}

const MAX_SECTIONS: usize = 3;
const MAX_SHIFTS: usize = 50;
const MAX_PLACES: usize = 20;
const MAX_NETWORKS: usize = 20;
const MAX_TARGETS: usize = 1000;

fn name_ok(s: &str, max: usize) -> bool {
    let n = s.trim().chars().count();
    n > 0 && n <= max
}

/// Sections of one day: each 1 minute to 24 hours, a break inside its section, none overlapping
/// another, all within 24 hours of the first start.
fn check_sections(v: &mut Validator, at: &str, sections: &[Section]) {
    if sections.is_empty() {
        v.push(at, FieldReason::Required);
        return;
    }
    if sections.len() > MAX_SECTIONS {
        v.push(at, FieldReason::TooMany);
        return;
    }
    let mut spans = Vec::new();
    for (i, s) in sections.iter().enumerate() {
        let (on, off) = s.span();
        if off - on > 1440 || on == off {
            v.push(&format!("{at}.{i}.off"), FieldReason::Range);
            continue;
        }
        if let Some(r) = s.rest {
            let inside = s
                .rest_span()
                .is_some_and(|(a, b)| a >= on && b <= off && a < b);
            if !inside || r.from == r.to {
                v.push(&format!("{at}.{i}.rest"), FieldReason::Range);
            }
        }
        spans.push((i, on, off));
    }
    // Sections follow one another; a clock time earlier than the previous section's start is the
    // next day (a night shift's second half). All of a day's sections fit in 24 hours.
    let Some(&(_, first, _)) = spans.first() else {
        return;
    };
    let mut previous: Option<(i64, i64)> = None;
    let mut offset = 0;
    for (i, on, off) in spans {
        let (mut on, mut off) = (on + offset, off + offset);
        if let Some((prev_on, prev_end)) = previous
            && on < prev_end
        {
            if sections[i].on.minutes() < prev_on % 1440 && on + 1440 >= prev_end {
                on += 1440;
                off += 1440;
                offset += 1440;
            } else {
                v.push(&format!("{at}.{i}.on"), FieldReason::Overlap);
                continue;
            }
        }
        if off - first > 1440 {
            v.push(&format!("{at}.{i}.off"), FieldReason::Range);
        }
        previous = Some((on, off));
    }
}

fn check_minutes(v: &mut Validator, field: &str, value: i64, max: i64) {
    v.check((0..=max).contains(&value), field, FieldReason::Range);
}

/// Every rule a rule must keep, each broken one named by its field (`sections.1.on`,
/// `places.0.radius_m`). Whether the targets exist is the store's check.
pub fn check(input: &RuleInput) -> Validator {
    let mut v = Validator::default();
    v.check(name_ok(&input.name, 40), "name", FieldReason::Required);
    let weekdays_ok = input.workdays.iter().all(|d| (1..=7).contains(d));
    let mut days = input.workdays.clone();
    days.sort_unstable();
    days.dedup();
    v.check(weekdays_ok, "workdays", FieldReason::Invalid);
    v.check(
        days.len() == input.workdays.len(),
        "workdays",
        FieldReason::Duplicate,
    );
    match input.kind {
        RuleKind::Fixed => {
            v.check(
                !input.workdays.is_empty(),
                "workdays",
                FieldReason::Required,
            );
            check_sections(&mut v, "sections", &input.sections);
            check_minutes(&mut v, "flex_minutes", input.flex_minutes, 240);
        }
        RuleKind::Scheduled => {
            if input.shifts.is_empty() {
                v.push("shifts", FieldReason::Required);
            }
            if input.shifts.len() > MAX_SHIFTS {
                v.push("shifts", FieldReason::TooMany);
            }
            for (i, s) in input.shifts.iter().enumerate() {
                v.check(s.id > 0, &format!("shifts.{i}.id"), FieldReason::Range);
                v.check(
                    input.shifts[..i].iter().all(|o| o.id != s.id),
                    &format!("shifts.{i}.id"),
                    FieldReason::Duplicate,
                );
                v.check(
                    name_ok(&s.name, 20),
                    &format!("shifts.{i}.name"),
                    FieldReason::Required,
                );
                v.check(
                    input.shifts[..i].iter().all(|o| o.name != s.name),
                    &format!("shifts.{i}.name"),
                    FieldReason::Duplicate,
                );
                check_sections(&mut v, &format!("shifts.{i}.sections"), &s.sections);
                check_minutes(
                    &mut v,
                    &format!("shifts.{i}.flex_minutes"),
                    s.flex_minutes,
                    240,
                );
            }
        }
        RuleKind::Free => {
            v.check(
                !input.workdays.is_empty(),
                "workdays",
                FieldReason::Required,
            );
            v.check(
                (1..=1440).contains(&input.min_work_minutes),
                "min_work_minutes",
                FieldReason::Range,
            );
        }
    }
    check_minutes(
        &mut v,
        "early_limit_minutes",
        input.early_limit_minutes,
        720,
    );
    check_minutes(&mut v, "grace_minutes", input.grace_minutes, 120);
    check_minutes(
        &mut v,
        "serious_late_minutes",
        input.serious_late_minutes,
        720,
    );
    check_minutes(
        &mut v,
        "absent_late_minutes",
        input.absent_late_minutes,
        1440,
    );
    v.check(
        input.serious_late_minutes >= input.grace_minutes,
        "serious_late_minutes",
        FieldReason::Range,
    );
    v.check(
        input.absent_late_minutes >= input.serious_late_minutes,
        "absent_late_minutes",
        FieldReason::Range,
    );
    for (field, value) in [
        ("remind_on_minutes", input.remind_on_minutes),
        ("remind_off_minutes", input.remind_off_minutes),
    ] {
        if let Some(m) = value {
            check_minutes(&mut v, field, m, 120);
        }
    }
    if input.places.len() > MAX_PLACES {
        v.push("places", FieldReason::TooMany);
    }
    for (i, p) in input.places.iter().enumerate() {
        v.check(
            name_ok(&p.name, 40),
            &format!("places.{i}.name"),
            FieldReason::Required,
        );
        v.check(
            (10..=5000).contains(&p.radius_m),
            &format!("places.{i}.radius_m"),
            FieldReason::Range,
        );
        let lat_ok = p.latitude.is_finite() && (-90.0..=90.0).contains(&p.latitude);
        let lng_ok = p.longitude.is_finite() && (-180.0..=180.0).contains(&p.longitude);
        v.check(lat_ok, &format!("places.{i}.latitude"), FieldReason::Range);
        v.check(lng_ok, &format!("places.{i}.longitude"), FieldReason::Range);
        // GCJ-02 and BD-09 exist only inside China: a point outside was given in the wrong system.
        if lat_ok
            && lng_ok
            && p.coord_system != CoordSystem::Wgs84
            && !geo::in_china(p.latitude, p.longitude)
        {
            v.push(&format!("places.{i}.latitude"), FieldReason::OutsideChina);
        }
    }
    if input.networks.len() > MAX_NETWORKS {
        v.push("networks", FieldReason::TooMany);
    }
    for (i, n) in input.networks.iter().enumerate() {
        v.check(
            name_ok(&n.name, 40),
            &format!("networks.{i}.name"),
            FieldReason::Required,
        );
        v.check(
            n.cidr.trim().parse::<ipnet::IpNet>().is_ok()
                || n.cidr.trim().parse::<std::net::IpAddr>().is_ok(),
            &format!("networks.{i}.cidr"),
            FieldReason::Format,
        );
    }
    let t = &input.targets;
    let count =
        t.department_ids.len() + t.userids.len() + t.tag_ids.len() + t.excluded_userids.len();
    v.check(count <= MAX_TARGETS, "targets", FieldReason::TooMany);
    v
}

/// Whether `ip` is in one of the networks; the network's name when it is.
pub fn network_of<'a>(networks: &'a [Network], ip: &str) -> Option<&'a Network> {
    let ip: std::net::IpAddr = ip.parse().ok()?;
    networks.iter().find(|n| {
        let c = n.cidr.trim();
        c.parse::<ipnet::IpNet>()
            .map(|net| net.contains(&ip))
            .or_else(|_| c.parse::<std::net::IpAddr>().map(|a| a == ip))
            .unwrap_or(false)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(v: serde_json::Value) -> RuleInput {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    fn fields(v: &Validator) -> Vec<String> {
        v.errors()
            .iter()
            .map(|e| format!("{}:{}", e.field, e.reason))
            .collect()
    }

    #[test]
    fn a_fixed_rule_with_a_place_and_a_network_is_good() {
        let r = rule(
            json!({"name": "总部", "kind": "fixed", "workdays": [1,2,3,4,5],
            "sections": [{"on": "09:00", "off": "18:00", "rest": {"from": "12:00", "to": "13:00"}}],
            "places": [{"name": "总部", "latitude": 31.2304, "longitude": 121.4737, "coord_system": "gcj02", "radius_m": 500}],
            "networks": [{"name": "办公室", "cidr": "203.0.113.0/24"}]}),
        );
        assert_eq!(fields(&check(&r)), Vec::<String>::new());
        assert_eq!(r.sections[0].work_minutes(), 480);
    }

    #[test]
    fn bad_rules_name_each_field() {
        let r = rule(json!({"name": "", "kind": "fixed", "workdays": [1, 8, 1],
            "sections": [{"on": "09:00", "off": "12:00"}, {"on": "11:00", "off": "18:00"}],
            "grace_minutes": 200,
            "places": [{"name": "x", "latitude": 48.85, "longitude": 2.35, "coord_system": "gcj02", "radius_m": 0}],
            "networks": [{"name": "n", "cidr": "10.0.0.0/33"}]}));
        assert_eq!(
            fields(&check(&r)),
            vec![
                "name:required",
                "workdays:invalid",
                "workdays:duplicate",
                "sections.1.on:overlap",
                "grace_minutes:range",
                "serious_late_minutes:range",
                "places.0.radius_m:range",
                "places.0.latitude:outside_china",
                "networks.0.cidr:format",
            ]
        );
    }

    #[test]
    fn a_night_shift_crosses_midnight() {
        let r = rule(json!({"name": "夜班", "kind": "scheduled", "shifts": [
            {"id": 1, "name": "夜班", "sections": [{"on": "22:00", "off": "06:00", "rest": {"from": "02:00", "to": "02:30"}}]},
            {"id": 2, "name": "两头班", "sections": [{"on": "07:00", "off": "11:00"}, {"on": "17:00", "off": "21:00"}]}]}));
        assert_eq!(fields(&check(&r)), Vec::<String>::new());
        assert_eq!(r.shifts[0].sections[0].span(), (1320, 1800));
        assert_eq!(r.shifts[0].sections[0].work_minutes(), 450);
    }

    #[test]
    fn offices_are_matched_by_address_range() {
        let nets = vec![
            Network {
                name: "办公室".into(),
                cidr: "203.0.113.0/24".into(),
            },
            Network {
                name: "机房".into(),
                cidr: "2001:db8::1".into(),
            },
        ];
        assert_eq!(
            network_of(&nets, "203.0.113.77").map(|n| n.name.as_str()),
            Some("办公室")
        );
        assert_eq!(
            network_of(&nets, "2001:db8::1").map(|n| n.name.as_str()),
            Some("机房")
        );
        assert!(network_of(&nets, "198.51.100.1").is_none());
        assert!(network_of(&nets, "garbage").is_none());
    }
}
