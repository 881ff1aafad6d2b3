//! WeCom's checkin rule (打卡规则, the `group` of `checkin/*_option`) and the attendance rule, one
//! made from the other. Pure: `to_group` writes a rule in WeCom's units (seconds after midnight,
//! milliseconds for `flex_time` and `limit_aheadtime`, GCJ-02 micro-degrees), `from_group` reads
//! one back over a base rule (what WeCom has no field for — grace, serious and absent lateness,
//! office networks — stays the base's), `update_group` applies WeCom's update semantics, and
//! `Parsed::wecom_field` names a refused rule field as the caller wrote it.
use serde_json::{Value, json};

use qixie_kernel::error::{AppError, AppResult, FieldError, FieldReason, Validator};

use crate::geo::{self, CoordSystem};
use crate::rule::{Place, Rest, Rule, RuleInput, RuleKind, Section, Shift, Targets, TimeOfDay};

const DAY_S: i64 = 86_400;
const MINUTE_MS: i64 = 60_000;
/// How long after a section ends a clock-out still counts (`plan::LATE_OFF_WINDOW_MS`), seconds.
const LATE_OFF_S: i64 = 6 * 3600;

/// What a group shows beyond the rule itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupExtras {
    pub create_userid: String,
    pub update_userid: String,
    /// Make-up clock-ins (补卡) a member may ask for in a month: the enterprise's setting.
    pub allow_apply_bk_cnt: i64,
}

/// `grouptype`: 1 固定时间上下班, 2 按班次上下班, 3 自由上下班.
pub fn grouptype(kind: RuleKind) -> i64 {
    match kind {
        RuleKind::Fixed => 1,
        RuleKind::Scheduled => 2,
        RuleKind::Free => 3,
    }
}

fn kind_of(grouptype: i64) -> Option<RuleKind> {
    match grouptype {
        1 => Some(RuleKind::Fixed),
        2 => Some(RuleKind::Scheduled),
        3 => Some(RuleKind::Free),
        _ => None,
    }
}

/// ISO weekday (1 Monday … 7 Sunday) as WeCom counts it (0 Sunday … 6 Saturday), and back.
pub fn wecom_weekday(iso: u8) -> i64 {
    i64::from(iso % 7)
}

fn iso_weekday(wecom: i64) -> Option<u8> {
    match wecom {
        0 => Some(7),
        1..=6 => Some(wecom as u8),
        _ => None,
    }
}

/// A reminder `minutes` before `at_s` as WeCom's seconds after midnight; 0 is "no reminder", so a
/// reminder that falls on midnight is written as the next midnight.
fn remind_sec(at_s: i64, minutes: Option<i64>) -> i64 {
    match minutes {
        None => 0,
        Some(m) => match (at_s - m * 60).rem_euclid(DAY_S) {
            0 => DAY_S,
            s => s,
        },
    }
}

fn remind_minutes(at_s: i64, remind_s: i64) -> Option<i64> {
    (remind_s != 0).then(|| (at_s - remind_s).rem_euclid(DAY_S) / 60)
}

/// One section as a WeCom time section (`time_id` in rules, `id` in schedules).
pub fn time_section(id_key: &str, i: usize, s: &Section, input: &RuleInput) -> Value {
    let (on, off) = s.span();
    let (work, off_work) = (on * 60, off * 60);
    let (rest_from, rest_to) = s
        .rest
        .map_or((0, 0), |r| (r.from.minutes() * 60, r.to.minutes() * 60));
    json!({
        id_key: i + 1,
        "work_sec": work,
        "off_work_sec": off_work,
        "remind_work_sec": remind_sec(work, input.remind_on_minutes),
        "remind_off_work_sec": remind_sec(off_work, input.remind_off_minutes),
        "earliest_work_sec": (work - input.early_limit_minutes * 60).max(0),
        "latest_work_sec": work + input.absent_late_minutes * 60,
        "earliest_off_work_sec": work,
        "latest_off_work_sec": off_work + LATE_OFF_S,
        "allow_rest": s.rest.is_some(),
        "rest_begin_time": rest_from,
        "rest_end_time": rest_to,
        "rest_times": [],
        "no_need_checkon": false,
        "no_need_checkoff": false,
    })
}

fn late_rule() -> Value {
    json!({"allow_offwork_after_time": false, "timerules": []})
}

fn checkindate(input: &RuleInput) -> Value {
    let checkintime: Vec<Value> = match input.kind {
        RuleKind::Fixed => input
            .sections
            .iter()
            .enumerate()
            .map(|(i, s)| time_section("time_id", i, s, input))
            .collect(),
        _ => Vec::new(),
    };
    let flex = if input.kind == RuleKind::Fixed {
        input.flex_minutes
    } else {
        0
    };
    json!({
        "workdays": input.workdays.iter().map(|d| wecom_weekday(*d)).collect::<Vec<_>>(),
        "checkintime": checkintime,
        "noneed_offwork": !input.off_required,
        "limit_aheadtime": input.early_limit_minutes * MINUTE_MS,
        "flex_time": flex * MINUTE_MS,
        "flex_on_duty_time": 0,
        "flex_off_duty_time": 0,
        "allow_flex": false,
        "max_allow_arrive_early": 0,
        "max_allow_arrive_late": 0,
        "late_rule": late_rule(),
        "biweekly": {"enable_weekday_recurrence": false, "odd_workdays": [], "even_workdays": []},
    })
}

fn schedule(s: &Shift, input: &RuleInput) -> Value {
    json!({
        "schedule_id": s.id,
        "schedule_name": s.name,
        "time_section": s.sections.iter().enumerate().map(|(i, x)| time_section("time_id", i, x, input)).collect::<Vec<_>>(),
        "limit_aheadtime": input.early_limit_minutes * MINUTE_MS,
        "limit_offtime": LATE_OFF_S,
        "noneed_offwork": !input.off_required,
        "flex_time": s.flex_minutes * MINUTE_MS,
        "allow_flex": false,
        "flex_on_duty_time": 0,
        "flex_off_duty_time": 0,
        "max_allow_arrive_early": 0,
        "max_allow_arrive_late": 0,
        "late_rule": late_rule(),
    })
}

/// A place in GCJ-02 micro-degrees: as entered when it was entered so (exact both ways).
fn gcj02_micro(p: &Place) -> (i64, i64) {
    let (lat, lng) = match p.coord_system {
        CoordSystem::Gcj02 => (p.latitude, p.longitude),
        _ => {
            let (lat, lng) = p.wgs84();
            geo::from_wgs84(CoordSystem::Gcj02, lat, lng)
        }
    };
    (geo::micro(lat), geo::micro(lng))
}

/// Standard working seconds of a day: the sections' work (fixed), the daily minimum (free).
fn standard_work_s(input: &RuleInput) -> i64 {
    match input.kind {
        RuleKind::Fixed => {
            input
                .sections
                .iter()
                .map(Section::work_minutes)
                .sum::<i64>()
                * 60
        }
        RuleKind::Free => input.min_work_minutes * 60,
        RuleKind::Scheduled => 0,
    }
}

/// The rule as WeCom's group object (B.1): every field WeCom's clients read, with WeCom's defaults
/// where the rule has nothing to say (no Wi-Fi, no special days, no face check).
pub fn to_group(rule: &Rule, extras: &GroupExtras) -> Value {
    let input = &rule.input;
    let t = &input.targets;
    let checkindate = match input.kind {
        RuleKind::Scheduled if input.workdays.is_empty() => json!([]),
        _ => json!([checkindate(input)]),
    };
    let schedulelist: Vec<Value> = match input.kind {
        RuleKind::Scheduled => input.shifts.iter().map(|s| schedule(s, input)).collect(),
        _ => Vec::new(),
    };
    let loc_infos: Vec<Value> = input
        .places
        .iter()
        .map(|p| {
            let (lat, lng) = gcj02_micro(p);
            json!({"lat": lat, "lng": lng, "loc_title": p.name, "loc_detail": "", "distance": p.radius_m})
        })
        .collect();
    let updated = rule.updated_at / 1000;
    json!({
        "groupid": rule.group_id,
        "grouptype": grouptype(input.kind),
        "groupname": input.name,
        "type": 0,
        "checkindate": checkindate,
        "spe_workdays": [],
        "spe_offdays": [],
        "sync_holidays": input.follow_holidays,
        "need_photo": input.photo_required,
        "note_can_use_local_pic": false,
        "allow_checkin_offworkday": true,
        "allow_apply_offworkday": true,
        "wifimac_infos": [],
        "loc_infos": loc_infos,
        "range": {
            "partyid": t.department_ids,
            "party_id": t.department_ids.iter().map(i64::to_string).collect::<Vec<_>>(),
            "userid": t.userids,
            "tagid": t.tag_ids,
        },
        "white_users": t.excluded_userids,
        "reporterinfo": {"reporters": [], "updatetime": updated},
        "schedulelist": schedulelist,
        "ot_info": {
            // Overtime counts when an approval grants it.
            "type": 2,
            "allow_ot_workingday": true,
            "allow_ot_nonworkingday": true,
            "otcheckinfo": {
                "ot_workingday_time_start": 0, "ot_workingday_time_min": 0, "ot_workingday_time_max": 0,
                "ot_nonworkingday_time_min": 0, "ot_nonworkingday_time_max": 0, "ot_nonworkingday_spanday_time": 0,
                "ot_workingday_restinfo": {"type": 0}, "ot_nonworkingday_restinfo": {"type": 0},
            },
            "uptime": updated,
        },
        "allow_apply_bk_cnt": extras.allow_apply_bk_cnt,
        "allow_apply_bk_day_limit": -1,
        "buka_limit_next_month": -1,
        "option_out_range": if input.field_allowed { 1 } else { 2 },
        "use_face_detect": false,
        "open_face_live_detect": false,
        "sync_out_checkin": false,
        "offwork_interval_time": 0,
        "buka_remind": {"open_remind": false, "buka_remind_day": 0, "buka_remind_month": 0},
        "buka_restriction": 0,
        "span_day_time": 0,
        "standard_work_duration": standard_work_s(input),
        "open_sp_checkin": false,
        "checkin_method_type": 0,
        "create_userid": extras.create_userid,
        "update_userid": extras.update_userid,
        "create_time": rule.created_at / 1000,
        "update_time": updated,
    })
}

// ---- reading a group ----

/// An integer sent as a number or a numeric string.
pub fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A flag sent as a boolean, 0/1, or either as a string.
pub fn as_flag(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|x| x != 0),
        Value::String(s) => match s.trim() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn present<'v>(obj: &'v Value, key: &str) -> Option<&'v Value> {
    obj.get(key).filter(|v| !v.is_null())
}

/// Reads fields of the group, each problem named by its WeCom path.
struct Reader {
    v: Validator,
}

impl Reader {
    fn int(&mut self, obj: &Value, key: &str, at: &str) -> Option<i64> {
        let x = present(obj, key)?;
        let n = as_int(x);
        if n.is_none() {
            self.v.push(&format!("{at}.{key}"), FieldReason::Invalid);
        }
        n
    }
    fn flag(&mut self, obj: &Value, key: &str, at: &str) -> Option<bool> {
        let x = present(obj, key)?;
        let b = as_flag(x);
        if b.is_none() {
            self.v.push(&format!("{at}.{key}"), FieldReason::Invalid);
        }
        b
    }
    fn text(&mut self, obj: &Value, key: &str, at: &str) -> Option<String> {
        match present(obj, key)? {
            Value::String(s) => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => {
                self.v.push(&format!("{at}.{key}"), FieldReason::Invalid);
                None
            }
        }
    }
    fn array<'v>(&mut self, obj: &'v Value, key: &str, at: &str) -> Option<&'v Vec<Value>> {
        match present(obj, key)? {
            Value::Array(a) => Some(a),
            _ => {
                self.v.push(&format!("{at}.{key}"), FieldReason::Invalid);
                None
            }
        }
    }
    /// Milliseconds that must be whole minutes, as minutes.
    fn ms_minutes(&mut self, obj: &Value, key: &str, at: &str) -> Option<i64> {
        let ms = self.int(obj, key, at)?;
        if ms % MINUTE_MS != 0 {
            self.v.push(&format!("{at}.{key}"), FieldReason::Invalid);
            return None;
        }
        Some(ms / MINUTE_MS)
    }
    /// Seconds after midnight that must be whole minutes, up to the next day's end; as a time of
    /// day (a time past midnight is the next day's, which a section's order tells).
    fn time(&mut self, obj: &Value, key: &str, at: &str) -> Option<TimeOfDay> {
        let s = self.int(obj, key, at)?;
        let field = format!("{at}.{key}");
        if !(0..=2 * DAY_S).contains(&s) {
            self.v.push(&field, FieldReason::Range);
            return None;
        }
        if s % 60 != 0 {
            self.v.push(&field, FieldReason::Invalid);
            return None;
        }
        TimeOfDay::new(s / 60 % 1440)
    }
    fn ints(&mut self, obj: &Value, key: &str, at: &str) -> Option<Vec<i64>> {
        let list = self.array(obj, key, at)?;
        let mut out = Vec::with_capacity(list.len());
        for (i, x) in list.iter().enumerate() {
            match as_int(x) {
                Some(n) => out.push(n),
                None => self
                    .v
                    .push(&format!("{at}.{key}.{i}"), FieldReason::Invalid),
            }
        }
        Some(out)
    }
    fn texts(&mut self, obj: &Value, key: &str, at: &str) -> Option<Vec<String>> {
        let list = self.array(obj, key, at)?;
        let mut out = Vec::with_capacity(list.len());
        for (i, x) in list.iter().enumerate() {
            match x {
                Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_owned()),
                Value::Number(n) => out.push(n.to_string()),
                _ => self
                    .v
                    .push(&format!("{at}.{key}.{i}"), FieldReason::Invalid),
            }
        }
        Some(out)
    }
}

/// A time section read: the section, and the reminders it carries (minutes before on / off).
struct ReadSection {
    section: Section,
    remind_on: Option<Option<i64>>,
    remind_off: Option<Option<i64>>,
}

fn read_section(r: &mut Reader, x: &Value, at: &str) -> Option<ReadSection> {
    if !x.is_object() {
        r.v.push(at, FieldReason::Invalid);
        return None;
    }
    let on = r.time(x, "work_sec", at);
    let off = r.time(x, "off_work_sec", at);
    if present(x, "work_sec").is_none() {
        r.v.push(&format!("{at}.work_sec"), FieldReason::Required);
    }
    if present(x, "off_work_sec").is_none() {
        r.v.push(&format!("{at}.off_work_sec"), FieldReason::Required);
    }
    let allow_rest = r.flag(x, "allow_rest", at);
    let from = r.time(x, "rest_begin_time", at);
    let to = r.time(x, "rest_end_time", at);
    let mut rest = match (allow_rest, from, to) {
        (Some(false), ..) => None,
        (Some(true), Some(from), Some(to)) => Some(Rest { from, to }),
        (Some(true), ..) => {
            r.v.push(&format!("{at}.rest_begin_time"), FieldReason::Required);
            None
        }
        (None, Some(from), Some(to)) if from != to => Some(Rest { from, to }),
        (None, ..) => None,
    };
    // One break per section: `rest_times` may give it when the section has none of its own.
    if let Some(list) = r.array(x, "rest_times", at)
        && !list.is_empty()
    {
        let field = format!("{at}.rest_times");
        if rest.is_none() && list.len() == 1 {
            let from = r.time(&list[0], "rest_begin_time", &format!("{field}.0"));
            let to = r.time(&list[0], "rest_end_time", &format!("{field}.0"));
            if let (Some(from), Some(to)) = (from, to) {
                rest = Some(Rest { from, to });
            }
        } else {
            r.v.push(&field, FieldReason::Unsupported);
        }
    }
    let (on, off) = (on?, off?);
    let (work_s, off_s) = (on.minutes() * 60, off.minutes() * 60);
    let remind_on = r
        .int(x, "remind_work_sec", at)
        .map(|s| remind_minutes(work_s, s));
    let remind_off = r
        .int(x, "remind_off_work_sec", at)
        .map(|s| remind_minutes(off_s, s));
    Some(ReadSection {
        section: Section { on, off, rest },
        remind_on,
        remind_off,
    })
}

fn read_sections(r: &mut Reader, list: &[Value], at: &str) -> Vec<ReadSection> {
    list.iter()
        .enumerate()
        .filter_map(|(i, x)| read_section(r, x, &format!("{at}.{i}")))
        .collect()
}

/// A group read, with where each department of the range was given (for naming errors).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub input: RuleInput,
    department_fields: Vec<String>,
}

/// Reads a group over `base`: fields the group gives replace the base's, absent ones keep it. An
/// array that is present (even empty) is the new value; `update_group` decides what an update
/// leaves unchanged. Errors name WeCom's fields (`group.checkindate.0.checkintime.1.work_sec`).
pub fn from_group(group: &Value, base: &RuleInput) -> AppResult<Parsed> {
    let g = "group";
    if !group.is_object() {
        return Err(AppError::field(g, FieldReason::Required));
    }
    let mut r = Reader {
        v: Validator::default(),
    };
    let mut input = base.clone();
    if let Some(name) = r.text(group, "groupname", g) {
        input.name = name;
    }
    if let Some(t) = r.int(group, "grouptype", g) {
        match kind_of(t) {
            Some(k) => input.kind = k,
            None => r.v.push("group.grouptype", FieldReason::Unknown),
        }
    }
    let kind = input.kind;

    // Working days and hours (fixed and free rules): one set of hours a rule, so several
    // `checkindate` entries are accepted when they share their hours, their weekdays joined.
    if let Some(dates) = r.array(group, "checkindate", g) {
        let mut workdays = Vec::new();
        let mut first: Option<Vec<Section>> = None;
        for (i, d) in dates.iter().enumerate() {
            let at = format!("group.checkindate.{i}");
            if let Some(days) = r.ints(d, "workdays", &at) {
                for (j, w) in days.into_iter().enumerate() {
                    match iso_weekday(w) {
                        Some(iso) => workdays.push(iso),
                        None => r.v.push(&format!("{at}.workdays.{j}"), FieldReason::Range),
                    }
                }
            }
            if kind != RuleKind::Fixed {
                continue;
            }
            let list = r.array(d, "checkintime", &at).cloned().unwrap_or_default();
            let read = read_sections(&mut r, &list, &format!("{at}.checkintime"));
            let sections: Vec<Section> = read.iter().map(|s| s.section).collect();
            match &first {
                None => {
                    if let Some(s) = read.first() {
                        if let Some(m) = s.remind_on {
                            input.remind_on_minutes = m;
                        }
                        if let Some(m) = s.remind_off {
                            input.remind_off_minutes = m;
                        }
                    }
                    input.sections = sections.clone();
                    first = Some(sections);
                }
                Some(same) if *same == sections => {}
                Some(_) => {
                    r.v.push(&format!("{at}.checkintime"), FieldReason::Unsupported)
                }
            }
        }
        if let Some(d) = dates.first() {
            let at = "group.checkindate.0";
            if let Some(m) = r.ms_minutes(d, "limit_aheadtime", at)
                && kind != RuleKind::Scheduled
            {
                input.early_limit_minutes = m;
            }
            if let Some(m) = r.ms_minutes(d, "flex_time", at)
                && kind == RuleKind::Fixed
            {
                input.flex_minutes = m;
            }
            if let Some(b) = r.flag(d, "noneed_offwork", at)
                && kind != RuleKind::Scheduled
            {
                input.off_required = !b;
            }
        }
        if !dates.is_empty() || kind != RuleKind::Scheduled {
            input.workdays = workdays;
        }
    }
    if kind == RuleKind::Free
        && let Some(s) = r.int(group, "standard_work_duration", g)
    {
        input.min_work_minutes = s / 60;
    }

    // Shifts (scheduled rules); a shift without an id gets the next free one.
    if let Some(list) = r.array(group, "schedulelist", g)
        && kind == RuleKind::Scheduled
    {
        let mut shifts = Vec::with_capacity(list.len());
        for (i, x) in list.iter().enumerate() {
            let at = format!("group.schedulelist.{i}");
            let id = r.int(x, "schedule_id", &at).unwrap_or(0);
            let name = r.text(x, "schedule_name", &at).unwrap_or_default();
            let sections = r.array(x, "time_section", &at).cloned().unwrap_or_default();
            let read = read_sections(&mut r, &sections, &format!("{at}.time_section"));
            let flex = r.ms_minutes(x, "flex_time", &at).unwrap_or(0);
            let ahead = r.ms_minutes(x, "limit_aheadtime", &at);
            let noneed = r.flag(x, "noneed_offwork", &at);
            if i == 0 {
                if let Some(m) = ahead {
                    input.early_limit_minutes = m;
                }
                if let Some(b) = noneed {
                    input.off_required = !b;
                }
                if let Some(s) = read.first() {
                    if let Some(m) = s.remind_on {
                        input.remind_on_minutes = m;
                    }
                    if let Some(m) = s.remind_off {
                        input.remind_off_minutes = m;
                    }
                }
            } else {
                // One early limit and one clock-out rule for the whole rule.
                if ahead.is_some_and(|m| m != input.early_limit_minutes) {
                    r.v.push(&format!("{at}.limit_aheadtime"), FieldReason::Unsupported);
                }
                if noneed.is_some_and(|b| b == input.off_required) {
                    r.v.push(&format!("{at}.noneed_offwork"), FieldReason::Unsupported);
                }
            }
            shifts.push(Shift {
                id,
                name,
                sections: read.into_iter().map(|s| s.section).collect(),
                flex_minutes: flex,
            });
        }
        let mut next = shifts.iter().map(|s| s.id).max().unwrap_or(0).max(0);
        for s in shifts.iter_mut().filter(|s| s.id == 0) {
            next += 1;
            s.id = next;
        }
        input.shifts = shifts;
    }
    match kind {
        RuleKind::Fixed => input.shifts.clear(),
        RuleKind::Scheduled => {
            input.sections.clear();
            input.flex_minutes = 0;
        }
        RuleKind::Free => {
            input.sections.clear();
            input.shifts.clear();
            input.flex_minutes = 0;
        }
    }

    if let Some(b) = r.flag(group, "sync_holidays", g) {
        input.follow_holidays = b;
    }
    if let Some(b) = r.flag(group, "need_photo", g) {
        input.photo_required = b;
    }
    if let Some(o) = r.int(group, "option_out_range", g) {
        match o {
            0 | 1 => input.field_allowed = true,
            2 => input.field_allowed = false,
            _ => r.v.push("group.option_out_range", FieldReason::Unknown),
        }
    }

    // Places: GCJ-02 micro-degrees, as Tencent maps give them. Wi-Fi (`wifimac_infos`) cannot be
    // checked from a browser and is not kept.
    if let Some(list) = r.array(group, "loc_infos", g) {
        let mut places = Vec::with_capacity(list.len());
        for (i, x) in list.iter().enumerate() {
            let at = format!("group.loc_infos.{i}");
            let lat = r.int(x, "lat", &at);
            let lng = r.int(x, "lng", &at);
            let distance = r.int(x, "distance", &at);
            for (key, value) in [("lat", lat), ("lng", lng), ("distance", distance)] {
                if value.is_none() && present(x, key).is_none() {
                    r.v.push(&format!("{at}.{key}"), FieldReason::Required);
                }
            }
            let name = r.text(x, "loc_title", &at).unwrap_or_default();
            if let (Some(lat), Some(lng), Some(distance)) = (lat, lng, distance) {
                places.push(Place {
                    name,
                    latitude: geo::from_micro(lat),
                    longitude: geo::from_micro(lng),
                    coord_system: CoordSystem::Gcj02,
                    radius_m: distance,
                });
            }
        }
        input.places = places;
    }

    // Whom: departments under either key (`party_id` strings, `partyid` numbers), joined.
    let mut department_fields = Vec::new();
    if let Some(range) = present(group, "range") {
        let at = "group.range";
        let mut t = Targets {
            excluded_userids: input.targets.excluded_userids.clone(),
            ..Targets::default()
        };
        for key in ["party_id", "partyid"] {
            for (i, d) in r
                .ints(range, key, at)
                .unwrap_or_default()
                .into_iter()
                .enumerate()
            {
                if !t.department_ids.contains(&d) {
                    t.department_ids.push(d);
                    department_fields.push(format!("{at}.{key}.{i}"));
                }
            }
        }
        t.userids = r.texts(range, "userid", at).unwrap_or_default();
        t.tag_ids = r.ints(range, "tagid", at).unwrap_or_default();
        input.targets = t;
    }
    if let Some(list) = r.texts(group, "white_users", g) {
        input.targets.excluded_userids = list;
    }
    r.v.finish()?;
    Ok(Parsed {
        input,
        department_fields,
    })
}

impl Parsed {
    /// The WeCom field a refused rule field came from (`sections.1.on` →
    /// `group.checkindate.0.checkintime.1.work_sec`); fields WeCom has no word for stay as they are.
    pub fn wecom_field(&self, field: &str) -> String {
        let kind = self.input.kind;
        let parts: Vec<&str> = field.split('.').collect();
        let section = |prefix: &str, rest: &[&str]| -> String {
            match rest {
                [] => prefix.to_owned(),
                [i] => format!("{prefix}.{i}"),
                [i, "on", ..] => format!("{prefix}.{i}.work_sec"),
                [i, "off", ..] => format!("{prefix}.{i}.off_work_sec"),
                [i, "rest", ..] => format!("{prefix}.{i}.rest_begin_time"),
                [i, ..] => format!("{prefix}.{i}"),
            }
        };
        let first_section = match kind {
            RuleKind::Scheduled => "group.schedulelist.0.time_section.0",
            _ => "group.checkindate.0.checkintime.0",
        };
        match parts.as_slice() {
            ["name"] => "group.groupname".into(),
            ["kind"] => "group.grouptype".into(),
            ["workdays", ..] => "group.checkindate.0.workdays".into(),
            ["sections", rest @ ..] => section("group.checkindate.0.checkintime", rest),
            ["flex_minutes"] => "group.checkindate.0.flex_time".into(),
            ["shifts"] => "group.schedulelist".into(),
            ["shifts", i, "id"] => format!("group.schedulelist.{i}.schedule_id"),
            ["shifts", i, "name"] => format!("group.schedulelist.{i}.schedule_name"),
            ["shifts", i, "flex_minutes"] => format!("group.schedulelist.{i}.flex_time"),
            ["shifts", i, "sections", rest @ ..] => {
                section(&format!("group.schedulelist.{i}.time_section"), rest)
            }
            ["min_work_minutes"] => "group.standard_work_duration".into(),
            ["early_limit_minutes"] => match kind {
                RuleKind::Scheduled => "group.schedulelist.0.limit_aheadtime".into(),
                _ => "group.checkindate.0.limit_aheadtime".into(),
            },
            ["remind_on_minutes"] => format!("{first_section}.remind_work_sec"),
            ["remind_off_minutes"] => format!("{first_section}.remind_off_work_sec"),
            ["places"] => "group.loc_infos".into(),
            ["places", i, what] => {
                let key = match *what {
                    "name" => "loc_title",
                    "radius_m" => "distance",
                    "latitude" => "lat",
                    "longitude" => "lng",
                    other => other,
                };
                format!("group.loc_infos.{i}.{key}")
            }
            ["targets"] => "group.range".into(),
            ["targets", "department_ids", i] => i
                .parse::<usize>()
                .ok()
                .and_then(|i| self.department_fields.get(i).cloned())
                .unwrap_or_else(|| format!("group.range.party_id.{i}")),
            ["targets", "userids", i] => format!("group.range.userid.{i}"),
            ["targets", "tag_ids", i] => format!("group.range.tagid.{i}"),
            ["targets", "excluded_userids", i] => format!("group.white_users.{i}"),
            _ => field.to_owned(),
        }
    }

    /// An error of the rule store with its fields renamed to WeCom's.
    pub fn wecom_error(&self, mut e: AppError) -> AppError {
        e.fields = e
            .fields
            .into_iter()
            .map(|f| FieldError {
                field: self.wecom_field(&f.field),
                reason: f.reason,
            })
            .collect();
        e
    }
}

/// WeCom's update semantics on a group (`current`, as `to_group` wrote it) for each field of
/// `patch`: an absent or empty array leaves the field as it is, a non-empty one replaces it; any
/// other value replaces it, an object member by member. Departments given under either key
/// replace those under both.
pub fn update_group(mut current: Value, patch: &Value) -> Value {
    let gives = |key: &str| {
        patch["range"][key]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    };
    if (gives("party_id") || gives("partyid"))
        && let Some(range) = current.get_mut("range").and_then(Value::as_object_mut)
    {
        range.remove("party_id");
        range.remove("partyid");
    }
    merge(&mut current, patch);
    // A replaced array is replaced whole: what its new entries leave out is WeCom's default, not
    // the old entry's.
    let given = |key: &str| patch[key].as_array().is_some_and(|a| !a.is_empty());
    let defaults = [
        ("limit_aheadtime", json!(DEFAULT_EARLY_LIMIT_MS)),
        ("flex_time", json!(0)),
        ("noneed_offwork", json!(false)),
    ];
    let remind = [
        ("remind_work_sec", json!(0)),
        ("remind_off_work_sec", json!(0)),
    ];
    for (key, sections) in [
        ("checkindate", "checkintime"),
        ("schedulelist", "time_section"),
    ] {
        if !given(key) {
            continue;
        }
        for entry in current[key].as_array_mut().into_iter().flatten() {
            fill(entry, &defaults);
            for s in entry[sections].as_array_mut().into_iter().flatten() {
                fill(s, &remind);
            }
        }
    }
    current
}

/// A new rule's `early_limit_minutes` (120) in WeCom's milliseconds.
const DEFAULT_EARLY_LIMIT_MS: i64 = 120 * MINUTE_MS;

fn fill(entry: &mut Value, defaults: &[(&str, Value)]) {
    if let Some(m) = entry.as_object_mut() {
        for (k, v) in defaults {
            m.entry(*k).or_insert_with(|| v.clone());
        }
    }
}

fn merge(current: &mut Value, patch: &Value) {
    let (Some(cur), Some(p)) = (current.as_object_mut(), patch.as_object()) else {
        return;
    };
    for (k, v) in p {
        match v {
            Value::Null => {}
            Value::Array(a) if a.is_empty() => {}
            Value::Object(_) => match cur.get_mut(k) {
                Some(c @ Value::Object(_)) => merge(c, v),
                _ => {
                    cur.insert(k.clone(), v.clone());
                }
            },
            _ => {
                cur.insert(k.clone(), v.clone());
            }
        }
    }
}

/// `clear_checkin_option_array_field`'s codes: 1 spe_workdays, 2 spe_offdays, 3 wifimac_infos,
/// 4 loc_infos. Empties each named array of `group`; an unknown code is refused by its index.
pub fn clear_fields(group: &mut Value, codes: &[i64]) -> Result<(), usize> {
    let Some(g) = group.as_object_mut() else {
        return Ok(());
    };
    for (i, c) in codes.iter().enumerate() {
        let key = match c {
            1 => "spe_workdays",
            2 => "spe_offdays",
            3 => "wifimac_infos",
            4 => "loc_infos",
            _ => return Err(i),
        };
        g.insert(key.to_owned(), Value::Array(Vec::new()));
    }
    Ok(())
}

/// A new rule's starting point: the rule API's defaults.
pub fn default_input() -> AppResult<RuleInput> {
    serde_json::from_value(json!({"name": "", "kind": "fixed"})).map_err(AppError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::check;

    fn input(v: Value) -> RuleInput {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    fn rule(i: RuleInput) -> Rule {
        Rule {
            id: "7".into(),
            group_id: 3,
            input: i,
            created_at: 1_790_000_000_000,
            updated_at: 1_790_000_600_000,
        }
    }

    fn office() -> RuleInput {
        input(
            json!({"name": "总部考勤", "kind": "fixed", "workdays": [1, 2, 3, 4, 5, 7],
            "targets": {"department_ids": [2, 5], "userids": ["li"], "tag_ids": [4], "excluded_userids": ["wang"]},
            "sections": [{"on": "09:00", "off": "12:00"}, {"on": "13:30", "off": "18:00", "rest": {"from": "15:00", "to": "15:15"}}],
            "flex_minutes": 5, "early_limit_minutes": 180, "grace_minutes": 3, "off_required": false,
            "remind_on_minutes": 10, "remind_off_minutes": 0, "photo_required": true, "field_allowed": false,
            "follow_holidays": false,
            "places": [{"name": "腾讯成都大厦", "latitude": 30.54703, "longitude": 104.06289, "coord_system": "gcj02", "radius_m": 300}],
            "networks": [{"name": "办公室", "cidr": "203.0.113.0/24"}]}),
        )
    }

    fn shifts() -> RuleInput {
        input(
            json!({"name": "门店排班", "kind": "scheduled", "early_limit_minutes": 60,
            "shifts": [{"id": 3, "name": "早班", "sections": [{"on": "07:00", "off": "15:00"}], "flex_minutes": 10},
                       {"id": 8, "name": "夜班", "sections": [{"on": "22:00", "off": "06:00", "rest": {"from": "02:00", "to": "02:30"}}]}]}),
        )
    }

    fn free() -> RuleInput {
        input(
            json!({"name": "研发弹性", "kind": "free", "workdays": [1, 2, 3, 4, 5], "min_work_minutes": 480}),
        )
    }

    #[test]
    fn a_rule_round_trips_through_the_group() {
        for i in [office(), shifts(), free()] {
            assert_eq!(check(&i).errors(), &[], "{}", i.name);
            let g = to_group(&rule(i.clone()), &GroupExtras::default());
            // Read over the defaults, everything WeCom carries comes back.
            let back = from_group(&g, &default_input().unwrap()).unwrap().input;
            let mut expected = i.clone();
            expected.grace_minutes = 0;
            expected.networks.clear();
            assert_eq!(back, expected, "{}", i.name);
            // Read over the rule itself, nothing changes.
            assert_eq!(from_group(&g, &i).unwrap().input, i, "{}", i.name);
        }
    }

    #[test]
    fn the_group_speaks_wecoms_units() {
        let g = to_group(
            &rule(office()),
            &GroupExtras {
                create_userid: "boss".into(),
                update_userid: "li".into(),
                allow_apply_bk_cnt: 3,
            },
        );
        assert_eq!(
            (&g["groupid"], &g["grouptype"], &g["groupname"]),
            (&json!(3), &json!(1), &json!("总部考勤"))
        );
        let d = &g["checkindate"][0];
        // ISO Sunday (7) is WeCom's 0.
        assert_eq!(d["workdays"], json!([1, 2, 3, 4, 5, 0]));
        assert_eq!(d["limit_aheadtime"], json!(10_800_000));
        assert_eq!(d["flex_time"], json!(300_000));
        assert_eq!(d["noneed_offwork"], json!(true));
        let t = &d["checkintime"][1];
        assert_eq!(
            (
                &t["time_id"],
                &t["work_sec"],
                &t["off_work_sec"],
                &t["rest_begin_time"],
                &t["rest_end_time"],
                &t["allow_rest"]
            ),
            (
                &json!(2),
                &json!(48_600),
                &json!(64_800),
                &json!(54_000),
                &json!(54_900),
                &json!(true)
            )
        );
        assert_eq!(t["remind_work_sec"], json!(48_000));
        assert_eq!(t["remind_off_work_sec"], json!(64_800));
        assert_eq!(d["checkintime"][0]["allow_rest"], json!(false));
        assert_eq!(
            g["loc_infos"],
            json!([{"lat": 30_547_030, "lng": 104_062_890, "loc_title": "腾讯成都大厦", "loc_detail": "", "distance": 300}])
        );
        assert_eq!(
            g["range"],
            json!({"partyid": [2, 5], "party_id": ["2", "5"], "userid": ["li"], "tagid": [4]})
        );
        assert_eq!(g["white_users"], json!(["wang"]));
        assert_eq!(
            (
                &g["sync_holidays"],
                &g["need_photo"],
                &g["option_out_range"]
            ),
            (&json!(false), &json!(true), &json!(2))
        );
        assert_eq!(
            g["standard_work_duration"],
            json!(3 * 3600 + 4 * 3600 + 15 * 60)
        );
        assert_eq!(
            (&g["create_userid"], &g["update_userid"], &g["create_time"]),
            (&json!("boss"), &json!("li"), &json!(1_790_000_000))
        );
        assert_eq!(g["allow_apply_bk_cnt"], json!(3));
        assert_eq!(g["schedulelist"], json!([]));

        let g = to_group(&rule(shifts()), &GroupExtras::default());
        assert_eq!(g["grouptype"], json!(2));
        assert_eq!(g["checkindate"], json!([]));
        let night = &g["schedulelist"][1];
        assert_eq!(
            (&night["schedule_id"], &night["schedule_name"]),
            (&json!(8), &json!("夜班"))
        );
        // A night shift ends the next day: past 86400 seconds.
        assert_eq!(
            (
                &night["time_section"][0]["work_sec"],
                &night["time_section"][0]["off_work_sec"]
            ),
            (&json!(79_200), &json!(108_000))
        );
        assert_eq!(g["schedulelist"][0]["flex_time"], json!(600_000));
        assert_eq!(g["schedulelist"][0]["limit_aheadtime"], json!(3_600_000));

        let g = to_group(&rule(free()), &GroupExtras::default());
        assert_eq!(
            (&g["grouptype"], &g["standard_work_duration"]),
            (&json!(3), &json!(28_800))
        );
        assert_eq!(g["checkindate"][0]["checkintime"], json!([]));
    }

    #[test]
    fn a_group_from_a_client_reads_both_range_keys_and_the_units() {
        let g = json!({"groupname": "打卡规则1", "grouptype": "1",
            "checkindate": [{"workdays": [1, 2, 3], "checkintime": [{"work_sec": 36000, "off_work_sec": 64800,
                "remind_work_sec": 35400, "remind_off_work_sec": 64800, "rest_begin_time": 43200, "rest_end_time": 46800}],
                "limit_aheadtime": 7_200_000, "flex_time": 600_000, "noneed_offwork": false},
                {"workdays": [4, 5], "checkintime": [{"work_sec": 36000, "off_work_sec": 64800, "rest_begin_time": 43200, "rest_end_time": 46800}]}],
            "range": {"party_id": ["2", "3"], "partyid": [3, 9], "userid": ["icef"], "tagid": [2]},
            "white_users": ["canno"], "sync_holidays": true, "need_photo": 1, "option_out_range": 0,
            "wifimac_infos": [{"wifiname": "Tencent-WiFi-1", "wifimac": "c0:7b:bc:37:f8:d3"}],
            "loc_infos": [{"lat": "30547030", "lng": 104062890, "loc_title": "腾讯成都大厦", "loc_detail": "成都", "distance": 300}],
            "spe_workdays": [], "ot_info_v2": {"workdayconf": {"allow_ot": true}}, "effective_now": true});
        let p = from_group(&g, &default_input().unwrap()).unwrap();
        let i = &p.input;
        assert_eq!(i.kind, RuleKind::Fixed);
        assert_eq!(i.workdays, vec![1, 2, 3, 4, 5]);
        assert_eq!(i.sections.len(), 1);
        assert_eq!(i.sections[0].on.to_string(), "10:00");
        assert_eq!(i.sections[0].off.to_string(), "18:00");
        let rest = i.sections[0].rest.unwrap();
        assert_eq!(
            (rest.from.to_string(), rest.to.to_string()),
            ("12:00".into(), "13:00".into())
        );
        assert_eq!(
            (
                i.early_limit_minutes,
                i.flex_minutes,
                i.remind_on_minutes,
                i.remind_off_minutes
            ),
            (120, 10, Some(10), Some(0))
        );
        assert_eq!(i.targets.department_ids, vec![2, 3, 9]);
        assert_eq!(i.targets.userids, vec!["icef".to_owned()]);
        assert_eq!(i.targets.tag_ids, vec![2]);
        assert_eq!(i.targets.excluded_userids, vec!["canno".to_owned()]);
        assert!(i.follow_holidays && i.photo_required && i.field_allowed);
        assert_eq!(
            i.places,
            vec![Place {
                name: "腾讯成都大厦".into(),
                latitude: 30.54703,
                longitude: 104.06289,
                coord_system: CoordSystem::Gcj02,
                radius_m: 300
            }]
        );
        assert_eq!(check(i).errors(), &[]);
        // The department given third came from `partyid` (its first item).
        assert_eq!(
            p.wecom_field("targets.department_ids.2"),
            "group.range.partyid.1"
        );
        assert_eq!(
            p.wecom_field("targets.department_ids.1"),
            "group.range.party_id.1"
        );
    }

    #[test]
    fn bad_groups_name_wecoms_fields() {
        let e = from_group(
            &json!({"grouptype": 4, "checkindate": [{"workdays": [7], "checkintime": [{"work_sec": 36001, "off_work_sec": 200000}]}],
                "loc_infos": [{"lat": 1, "loc_title": "x"}], "option_out_range": 5, "range": {"partyid": ["a"]}}),
            &default_input().unwrap(),
        )
        .unwrap_err();
        let got: Vec<String> = e
            .fields
            .iter()
            .map(|f| format!("{}:{}", f.field, f.reason))
            .collect();
        assert_eq!(
            got,
            vec![
                "group.grouptype:unknown",
                "group.checkindate.0.workdays.0:range",
                "group.checkindate.0.checkintime.0.work_sec:invalid",
                "group.checkindate.0.checkintime.0.off_work_sec:range",
                "group.option_out_range:unknown",
                "group.loc_infos.0.lng:required",
                "group.loc_infos.0.distance:required",
                "group.range.partyid.0:invalid",
            ]
        );
        // Two sets of hours in one rule are not kept.
        let e = from_group(
            &json!({"grouptype": 1, "checkindate": [
                {"workdays": [1], "checkintime": [{"work_sec": 32400, "off_work_sec": 64800}]},
                {"workdays": [6], "checkintime": [{"work_sec": 32400, "off_work_sec": 43200}]}]}),
            &default_input().unwrap(),
        )
        .unwrap_err();
        assert_eq!(e.fields[0].field, "group.checkindate.1.checkintime");
        assert_eq!(e.fields[0].reason, FieldReason::Unsupported);
        // The store's checks come back under WeCom's names.
        let p = from_group(&json!({"grouptype": 2}), &default_input().unwrap()).unwrap();
        assert_eq!(p.wecom_field("shifts"), "group.schedulelist");
        assert_eq!(
            p.wecom_field("shifts.1.sections.0.off"),
            "group.schedulelist.1.time_section.0.off_work_sec"
        );
        assert_eq!(
            p.wecom_field("early_limit_minutes"),
            "group.schedulelist.0.limit_aheadtime"
        );
        assert_eq!(
            p.wecom_field("places.0.radius_m"),
            "group.loc_infos.0.distance"
        );
        assert_eq!(p.wecom_field("name"), "group.groupname");
        assert_eq!(p.wecom_field("grace_minutes"), "grace_minutes");
    }

    #[test]
    fn updates_follow_wecoms_rules() {
        let current = to_group(&rule(office()), &GroupExtras::default());
        let patch = json!({"groupid": 3, "groupname": "新名字", "loc_infos": [],
            "range": {"partyid": [9], "userid": []},
            "checkindate": [{"workdays": [1, 2], "checkintime": [{"work_sec": 28800, "off_work_sec": 61200}]}]});
        let merged = update_group(current, &patch);
        let i = from_group(&merged, &office()).unwrap().input;
        assert_eq!(i.name, "新名字");
        // An empty array leaves the places; departments given under one key replace both.
        assert_eq!(i.places.len(), 1);
        assert_eq!(i.targets.department_ids, vec![9]);
        assert_eq!(i.targets.userids, vec!["li".to_owned()]);
        assert_eq!(i.workdays, vec![1, 2]);
        assert_eq!(i.sections.len(), 1);
        assert_eq!(i.sections[0].on.to_string(), "08:00");
        // The new hours came without limits or reminders: WeCom's defaults, not the old ones.
        assert_eq!(
            (
                i.early_limit_minutes,
                i.flex_minutes,
                i.remind_on_minutes,
                i.off_required
            ),
            (120, 0, None, true)
        );
        // What the patch left alone stays.
        assert!(i.photo_required && !i.follow_holidays && !i.field_allowed);
        assert_eq!(i.grace_minutes, 3);
        // Without a new checkindate, its limits stay too.
        let current = to_group(&rule(office()), &GroupExtras::default());
        let i = from_group(
            &update_group(current, &json!({"need_photo": false})),
            &office(),
        )
        .unwrap()
        .input;
        assert_eq!(
            (i.early_limit_minutes, i.flex_minutes, i.off_required),
            (180, 5, false)
        );
        assert!(!i.photo_required);
        // Clearing empties an array for good.
        let mut g = to_group(&rule(office()), &GroupExtras::default());
        clear_fields(&mut g, &[3, 4]).unwrap();
        assert_eq!(from_group(&g, &office()).unwrap().input.places, vec![]);
        assert_eq!(clear_fields(&mut g, &[1, 9]), Err(1));
    }

    #[test]
    fn shifts_without_ids_get_the_next_ones() {
        let g = json!({"groupname": "排班", "grouptype": 2, "schedulelist": [
            {"schedule_id": 5, "schedule_name": "早班", "time_section": [{"time_id": 1, "work_sec": 25200, "off_work_sec": 54000}], "limit_aheadtime": 3_600_000},
            {"schedule_name": "晚班", "time_section": [{"work_sec": 54000, "off_work_sec": 82800}], "limit_aheadtime": 7_200_000}]});
        let e = from_group(&g, &default_input().unwrap()).unwrap_err();
        assert_eq!(e.fields[0].field, "group.schedulelist.1.limit_aheadtime");
        let mut g = g;
        g["schedulelist"][1]["limit_aheadtime"] = json!(3_600_000);
        let i = from_group(&g, &default_input().unwrap()).unwrap().input;
        assert_eq!(
            i.shifts.iter().map(|s| s.id).collect::<Vec<_>>(),
            vec![5, 6]
        );
        assert_eq!(i.early_limit_minutes, 60);
        assert_eq!(check(&i).errors(), &[]);
    }

    #[test]
    fn weekdays_and_reminders_convert_both_ways() {
        for iso in 1..=7u8 {
            assert_eq!(iso_weekday(wecom_weekday(iso)), Some(iso));
        }
        assert_eq!(iso_weekday(7), None);
        // A reminder before a shift that starts just after midnight falls on the day before.
        assert_eq!(remind_sec(1800, Some(60)), 84_600);
        assert_eq!(remind_minutes(1800, 84_600), Some(60));
        assert_eq!(remind_sec(3600, Some(60)), DAY_S);
        assert_eq!(remind_minutes(3600, DAY_S), Some(60));
        assert_eq!(remind_sec(3600, None), 0);
        assert_eq!(remind_minutes(3600, 0), None);
    }
}
