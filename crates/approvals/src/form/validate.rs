//! Checking forms: a template's fields when an administrator saves them, an applicant's values
//! against those fields when they submit, and what lists and branch conditions read from values.
//!
//! One value check serves both sides: a field's `default` is checked by the same code as a
//! submitted value (without the lookups that need the directory, files and approvals).
use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldError, FieldReason};
use qixie_kernel::time::Zone;
use serde_json::{Map, Value, json};

use super::{DurationUnit, Field, FieldKind, FormContext, FormValues};

/// Field errors: the path of each bad member or value and why.
pub type Problems = Vec<(String, FieldReason)>;

/// At most this many fields in a form.
pub const MAX_FIELDS: usize = 100;
/// Choices of a single or multiple choice field.
pub const MAX_OPTIONS: usize = 100;
/// Columns of a table.
pub const MAX_COLUMNS: usize = 20;
/// Characters of an id, a title, an option's key or text.
pub const MAX_NAME: usize = 40;
pub const MAX_PLACEHOLDER: usize = 80;
pub const MAX_HINT: usize = 200;
/// Characters of a description's text.
pub const MAX_DESCRIPTION: usize = 2000;
/// Characters of a text value and of a textarea value.
pub const MAX_TEXT: usize = 200;
pub const MAX_TEXTAREA: usize = 2000;
/// Files of an attachment field (WeCom's limit) and of an image field.
pub const MAX_ATTACHMENTS: usize = 6;
pub const MAX_IMAGES: usize = 9;
/// Rows of a table value.
pub const MAX_ROWS: usize = 200;
/// Approvals of a related approval value.
pub const MAX_RELATED: usize = 20;
/// Digits before the decimal point of an amount of money.
const MAX_MONEY_DIGITS: usize = 15;
/// Characters a summary line keeps of a text.
const SUMMARY_TEXT: usize = 20;

/// Checks a form definition (what an administrator saves): ids (letters, digits, '-', '_', 1–40,
/// unique in the form and within a table's columns), titles (1–40 chars, unique), placeholder ≤ 80,
/// hint ≤ 200, kinds' members (options only on choice kinds, 1–100 options, keys 1–40 unique,
/// texts 1–40; columns only on tables, 1–20, no table/description/related_approval inside; text only
/// on description ≤ 2000; min ≤ max; currency 3 upper-case letters; unit only on date_range;
/// `multiple` only on member/department; template_ids only on related_approval), a default of the
/// right shape, at most 100 fields. Errors as (path, FieldReason) with paths like
/// `fields.3.title`, `fields.5.options.2.key`, `fields.7.columns.1.id`.
///
/// A member that does not belong to the field's kind is refused with `UnknownField`, as an unknown
/// member of the JSON would be; `required` on a description is ignored (it holds no value).
pub fn check_fields(fields: &[Field]) -> Problems {
    let mut problems = Vec::new();
    if fields.len() > MAX_FIELDS {
        problems.push(("fields".to_string(), FieldReason::TooMany));
    }
    check_list(fields, "fields", false, &mut problems);
    problems
}

fn check_list(fields: &[Field], prefix: &str, in_table: bool, problems: &mut Problems) {
    let mut ids = HashSet::new();
    let mut titles = HashSet::new();
    for (i, f) in fields.iter().enumerate() {
        let p = format!("{prefix}.{i}");
        let mut push = |member: &str, reason| problems.push((format!("{p}.{member}"), reason));
        if let Some(reason) = id_problem(&f.id) {
            push("id", reason);
        } else if !ids.insert(f.id.as_str()) {
            push("id", FieldReason::Duplicate);
        }
        let title = f.title.trim();
        if title.is_empty() {
            push("title", FieldReason::Required);
        } else if chars(&f.title) > MAX_NAME {
            push("title", FieldReason::TooLong);
        } else if !titles.insert(title) {
            push("title", FieldReason::Duplicate);
        }
        if chars(&f.placeholder) > MAX_PLACEHOLDER {
            push("placeholder", FieldReason::TooLong);
        }
        if chars(&f.hint) > MAX_HINT {
            push("hint", FieldReason::TooLong);
        }
        if in_table
            && matches!(
                f.kind,
                FieldKind::Table | FieldKind::Description | FieldKind::RelatedApproval
            )
        {
            push("kind", FieldReason::Unsupported);
        }
        check_members(f, &p, problems);
        check_default(f, &p, problems);
    }
}

/// Why an id is refused, if it is.
fn id_problem(id: &str) -> Option<FieldReason> {
    if id.is_empty() {
        Some(FieldReason::Required)
    } else if chars(id) > MAX_NAME {
        Some(FieldReason::TooLong)
    } else if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Some(FieldReason::Format)
    } else {
        None
    }
}

/// The members that belong to some kinds only.
fn check_members(f: &Field, p: &str, problems: &mut Problems) {
    let mut push = |member: String, reason| problems.push((format!("{p}.{member}"), reason));
    let kind = f.kind;
    if matches!(kind, FieldKind::SingleChoice | FieldKind::MultiChoice) {
        if f.options.is_empty() {
            push("options".into(), FieldReason::Required);
        } else if f.options.len() > MAX_OPTIONS {
            push("options".into(), FieldReason::TooMany);
        }
        let mut keys = HashSet::new();
        for (k, o) in f.options.iter().enumerate() {
            if o.key.trim().is_empty() {
                push(format!("options.{k}.key"), FieldReason::Required);
            } else if chars(&o.key) > MAX_NAME {
                push(format!("options.{k}.key"), FieldReason::TooLong);
            } else if !keys.insert(o.key.as_str()) {
                push(format!("options.{k}.key"), FieldReason::Duplicate);
            }
            if o.text.trim().is_empty() {
                push(format!("options.{k}.text"), FieldReason::Required);
            } else if chars(&o.text) > MAX_NAME {
                push(format!("options.{k}.text"), FieldReason::TooLong);
            }
        }
    } else if !f.options.is_empty() {
        push("options".into(), FieldReason::UnknownField);
    }
    if kind == FieldKind::Table {
        if f.columns.is_empty() {
            push("columns".into(), FieldReason::Required);
        } else if f.columns.len() > MAX_COLUMNS {
            push("columns".into(), FieldReason::TooMany);
        }
    } else if !f.columns.is_empty() {
        push("columns".into(), FieldReason::UnknownField);
    }
    if kind == FieldKind::Description {
        if f.text.trim().is_empty() {
            push("text".into(), FieldReason::Required);
        } else if chars(&f.text) > MAX_DESCRIPTION {
            push("text".into(), FieldReason::TooLong);
        }
    } else if !f.text.is_empty() {
        push("text".into(), FieldReason::UnknownField);
    }
    if matches!(kind, FieldKind::Number | FieldKind::Money) {
        if let (Some(min), Some(max)) = (f.min, f.max)
            && min > max
        {
            push("max".into(), FieldReason::Range);
        }
    } else {
        if f.min.is_some() {
            push("min".into(), FieldReason::UnknownField);
        }
        if f.max.is_some() {
            push("max".into(), FieldReason::UnknownField);
        }
    }
    match (&f.currency, kind) {
        (Some(c), FieldKind::Money) => {
            if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                push("currency".into(), FieldReason::Format);
            }
        }
        (Some(_), _) => push("currency".into(), FieldReason::UnknownField),
        (None, _) => {}
    }
    if f.unit.is_some() && kind != FieldKind::DateRange {
        push("unit".into(), FieldReason::UnknownField);
    }
    if f.multiple && !matches!(kind, FieldKind::Member | FieldKind::Department) {
        push("multiple".into(), FieldReason::UnknownField);
    }
    if kind == FieldKind::RelatedApproval {
        for (k, t) in f.template_ids.iter().enumerate() {
            if t.trim().is_empty() {
                push(format!("template_ids.{k}"), FieldReason::Required);
            }
        }
    } else if !f.template_ids.is_empty() {
        push("template_ids".into(), FieldReason::UnknownField);
    }
    if kind == FieldKind::Table {
        check_list(&f.columns, &format!("{p}.columns"), true, problems);
    }
}

/// A default is checked as a submitted value would be, without the lookups; its first problem is
/// reported on the field's `default`.
fn check_default(f: &Field, p: &str, problems: &mut Problems) {
    let Some(default) = &f.default else { return };
    if f.kind == FieldKind::Description {
        problems.push((format!("{p}.default"), FieldReason::UnknownField));
        return;
    }
    if is_blank(default) {
        return;
    }
    let mut pass = Pass::new(None);
    pass.value(f, Some(default), "default", &Slot::top(&f.id));
    if let Some((_, reason)) = pass.problems.first() {
        problems.push((format!("{p}.default"), *reason));
    }
}

/// Checks and normalises an applicant's values against the fields; on success the values to store
/// (money as "1234.50" with exactly two decimals, date ranges with their `duration` computed, empty
/// values dropped, unknown ids refused with `UnknownField`, description fields ignored). Errors
/// name `values.<field id>` (table cells `values.<id>.<row>.<column id>`), with `Required`,
/// `Format`, `Range`, `Unknown` (option keys), `NotFound` (members, departments, files, approvals),
/// `TooMany` (multiple values on a single field; more than 6 attachments / 9 images / 200 table
/// rows / 20 related approvals), `TooLong` (text > 200, textarea > 2000), `BeforeStart` (a range
/// that ends before it starts), `NotAnImage` (an image field with a non-image file).
///
/// Normalisation: texts are trimmed; numbers are JSON numbers (a numeric string is accepted); a
/// single choice is its key and a multiple choice its keys; members, departments, files and related
/// approvals are lists without repeats (one value alone is accepted for a list); files become
/// `{file_id, name}` with the name the context gives; rows of a table with no value are dropped.
///
/// When the context itself fails (a database error), the cause is logged and the answer is the one
/// problem (`values`, `FieldReason::Error(ErrorKind::Internal)`); [`into_app_error`] turns that
/// into a 500 rather than a 422.
pub async fn validate_values<C: FormContext>(
    fields: &[Field],
    values: &FormValues,
    ctx: &C,
) -> Result<FormValues, Problems> {
    let mut pass = Pass::new(Some(ctx.zone()));
    for key in values.keys() {
        if !fields.iter().any(|f| f.id == *key) {
            pass.fail::<()>(&format!("values.{key}"), FieldReason::UnknownField);
        }
    }
    let mut out = FormValues::new();
    for f in fields {
        let path = format!("values.{}", f.id);
        if let Some(v) = pass.value(f, values.get(&f.id), &path, &Slot::top(&f.id)) {
            out.insert(f.id.clone(), v);
        }
    }
    let Pass {
        mut problems,
        needs,
        ..
    } = pass;
    if let Err(e) = look_up(&needs, ctx, &mut out, &mut problems).await {
        tracing::error!(error = %e, "checking form values failed");
        return Err(vec![(
            "values".to_string(),
            FieldReason::Error(ErrorKind::Internal),
        )]);
    }
    if problems.is_empty() {
        return Ok(out);
    }
    // Form order, whatever step found the problem; unknown ids last.
    let position: HashMap<&str, usize> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id.as_str(), i))
        .collect();
    let mut unique: Problems = Vec::with_capacity(problems.len());
    for p in problems {
        if !unique.contains(&p) {
            unique.push(p);
        }
    }
    let mut problems = unique;
    problems.sort_by_key(|(path, _)| {
        let id = path
            .strip_prefix("values.")
            .and_then(|rest| rest.split('.').next())
            .unwrap_or_default();
        position.get(id).copied().unwrap_or(usize::MAX)
    });
    Err(problems)
}

/// The error to answer a failed check with: 422 naming each value, or 500 when the check could
/// not finish (the cause was logged where it happened).
pub fn into_app_error(problems: Problems) -> AppError {
    if problems
        .iter()
        .any(|(_, r)| *r == FieldReason::Error(ErrorKind::Internal))
    {
        return AppError::new(ErrorKind::Internal);
    }
    AppError::fields(
        problems
            .into_iter()
            .map(|(field, reason)| FieldError { field, reason })
            .collect(),
    )
}

/// Where a value sits in the values being built: a top-level field id and a JSON pointer inside
/// its value (a table cell: "/<row>/<column id>"). Files' names are written there after lookup.
#[derive(Clone)]
struct Slot {
    field: String,
    pointer: String,
}

impl Slot {
    fn top(id: &str) -> Slot {
        Slot {
            field: id.to_string(),
            pointer: String::new(),
        }
    }
}

/// What a value names that only the context can confirm.
enum Lookup {
    Member(String),
    Department(i64),
    File {
        id: String,
        image: bool,
        at: Slot,
    },
    Approval {
        sp_no: String,
        templates: Vec<String>,
    },
}

struct Need {
    path: String,
    lookup: Lookup,
}

/// One pass over values: the problems found, and the lookups left for the context.
struct Pass<'z> {
    zone: Option<&'z Zone>,
    problems: Problems,
    needs: Vec<Need>,
}

impl<'z> Pass<'z> {
    fn new(zone: Option<&'z Zone>) -> Self {
        Pass {
            zone,
            problems: Vec::new(),
            needs: Vec::new(),
        }
    }

    fn fail<T>(&mut self, path: &str, reason: FieldReason) -> Option<T> {
        self.problems.push((path.to_string(), reason));
        None
    }

    fn need(&mut self, path: &str, lookup: Lookup) {
        self.needs.push(Need {
            path: path.to_string(),
            lookup,
        });
    }

    /// The normalised value of `f`, or None when it is empty or wrong (a problem is recorded).
    fn value(&mut self, f: &Field, v: Option<&Value>, path: &str, at: &Slot) -> Option<Value> {
        if f.kind == FieldKind::Description {
            return None;
        }
        let v = match v {
            Some(v) if !is_blank(v) => v,
            _ => {
                if f.required {
                    self.fail::<()>(path, FieldReason::Required);
                }
                return None;
            }
        };
        match f.kind {
            FieldKind::Text => self.text(v, path, MAX_TEXT),
            FieldKind::Textarea => self.text(v, path, MAX_TEXTAREA),
            FieldKind::Number => self.number(f, v, path),
            FieldKind::Money => self.money(f, v, path),
            FieldKind::Date => match v.as_str().and_then(parse_date) {
                Some(d) => Some(Value::String(fmt_date(d))),
                None => self.fail(path, FieldReason::Format),
            },
            FieldKind::DateTime => {
                let dt = v.as_str().and_then(parse_date_time);
                match dt.map(|dt| (dt, self.instant(dt))) {
                    Some((dt, Some(_))) => Some(Value::String(fmt_date_time(dt))),
                    _ => self.fail(path, FieldReason::Format),
                }
            }
            FieldKind::DateRange => self.date_range(f, v, path),
            FieldKind::SingleChoice | FieldKind::MultiChoice => self.choice(f, v, path),
            FieldKind::Member => {
                let userids = self.strings(v, path)?;
                if !f.multiple && userids.len() > 1 {
                    return self.fail(path, FieldReason::TooMany);
                }
                for u in &userids {
                    self.need(path, Lookup::Member(u.clone()));
                }
                Some(json!(userids))
            }
            FieldKind::Department => self.departments(f, v, path),
            FieldKind::Attachment | FieldKind::Image => self.files(f, v, path, at),
            FieldKind::Table => self.table(f, v, path, at),
            FieldKind::RelatedApproval => self.related(f, v, path),
            FieldKind::Description => None,
        }
    }

    fn text(&mut self, v: &Value, path: &str, max: usize) -> Option<Value> {
        let Some(s) = v.as_str() else {
            return self.fail(path, FieldReason::Format);
        };
        let s = s.trim();
        if chars(s) > max {
            return self.fail(path, FieldReason::TooLong);
        }
        Some(Value::String(s.to_string()))
    }

    fn number(&mut self, f: &Field, v: &Value, path: &str) -> Option<Value> {
        let n = match v {
            Value::Number(n) => Some(n.clone()),
            Value::String(s) => number_from_str(s.trim()),
            _ => None,
        };
        let Some(n) = n else {
            return self.fail(path, FieldReason::Format);
        };
        let x = n.as_f64().unwrap_or(f64::NAN);
        if !x.is_finite() {
            return self.fail(path, FieldReason::Format);
        }
        if f.min.is_some_and(|min| x < min) || f.max.is_some_and(|max| x > max) {
            return self.fail(path, FieldReason::Range);
        }
        Some(Value::Number(n))
    }

    fn money(&mut self, f: &Field, v: &Value, path: &str) -> Option<Value> {
        let text = match v {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.trim().to_string(),
            _ => return self.fail(path, FieldReason::Format),
        };
        let cents = match parse_money(&text) {
            Ok(c) => c,
            Err(reason) => return self.fail(path, reason),
        };
        let x = cents as f64 / 100.0;
        if f.min.is_some_and(|min| x < min) || f.max.is_some_and(|max| x > max) {
            return self.fail(path, FieldReason::Range);
        }
        Some(Value::String(fmt_cents(cents)))
    }

    /// The moment a wall-clock time shows in the zone (UTC when there is none); None inside a
    /// daylight-saving gap, where the time never shows.
    fn instant(&self, dt: DateTime) -> Option<Timestamp> {
        let tz = self.zone.map_or(TimeZone::UTC, |z| z.time_zone().clone());
        instant(&tz, dt)
    }

    fn date_range(&mut self, f: &Field, v: &Value, path: &str) -> Option<Value> {
        let Value::Object(o) = v else {
            return self.fail(path, FieldReason::Format);
        };
        let part = |k: &str| o.get(k).filter(|x| !is_blank(x));
        let (Some(start), Some(end)) = (part("start"), part("end")) else {
            return self.fail(path, FieldReason::Required);
        };
        let (Some(start), Some(end)) = (start.as_str(), end.as_str()) else {
            return self.fail(path, FieldReason::Format);
        };
        let unit = f.unit.unwrap_or_default();
        let (start, end, duration) = match unit {
            DurationUnit::Day => {
                let (Some(a), Some(b)) = (parse_date(start), parse_date(end)) else {
                    return self.fail(path, FieldReason::Format);
                };
                if b < a {
                    return self.fail(path, FieldReason::BeforeStart);
                }
                (fmt_date(a), fmt_date(b), days(&EveryDay, a, b) as f64)
            }
            DurationUnit::HalfDay => {
                let (Some(a), Some(b)) = (parse_half_day(start), parse_half_day(end)) else {
                    return self.fail(path, FieldReason::Format);
                };
                if b < a {
                    return self.fail(path, FieldReason::BeforeStart);
                }
                (fmt_half_day(a), fmt_half_day(b), half_days(&EveryDay, a, b))
            }
            DurationUnit::Hour => {
                let (Some(a), Some(b)) = (parse_date_time(start), parse_date_time(end)) else {
                    return self.fail(path, FieldReason::Format);
                };
                let (Some(ta), Some(tb)) = (self.instant(a), self.instant(b)) else {
                    return self.fail(path, FieldReason::Format);
                };
                if tb <= ta {
                    return self.fail(path, FieldReason::BeforeStart);
                }
                (fmt_date_time(a), fmt_date_time(b), hours(ta, tb))
            }
        };
        Some(json!({
            "start": start,
            "end": end,
            "duration": json_number(duration),
            "unit": unit_name(unit),
        }))
    }

    fn choice(&mut self, f: &Field, v: &Value, path: &str) -> Option<Value> {
        let keys = self.strings(v, path)?;
        if keys.iter().any(|k| !f.options.iter().any(|o| o.key == *k)) {
            return self.fail(path, FieldReason::Unknown);
        }
        if f.kind == FieldKind::MultiChoice {
            return Some(json!(keys));
        }
        match <[String; 1]>::try_from(keys) {
            Ok([key]) => Some(Value::String(key)),
            Err(_) => self.fail(path, FieldReason::TooMany),
        }
    }

    /// A list of strings (one string alone is a list of one): trimmed, blanks and repeats left out.
    fn strings(&mut self, v: &Value, path: &str) -> Option<Vec<String>> {
        let items = match v {
            Value::Array(items) => items.as_slice(),
            one => std::slice::from_ref(one),
        };
        let mut out: Vec<String> = Vec::new();
        for item in items {
            let Some(s) = item.as_str() else {
                if item.is_null() {
                    continue;
                }
                return self.fail(path, FieldReason::Format);
            };
            let s = s.trim();
            if !s.is_empty() && !out.iter().any(|o| o == s) {
                out.push(s.to_string());
            }
        }
        Some(out)
    }

    fn departments(&mut self, f: &Field, v: &Value, path: &str) -> Option<Value> {
        let items = match v {
            Value::Array(items) => items.as_slice(),
            one => std::slice::from_ref(one),
        };
        let mut ids: Vec<i64> = Vec::new();
        for item in items {
            let id = match item {
                Value::Null => continue,
                Value::Number(n) => n.as_i64(),
                Value::String(s) if s.trim().is_empty() => continue,
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            match id {
                Some(id) if id > 0 => {
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                _ => return self.fail(path, FieldReason::Format),
            }
        }
        if !f.multiple && ids.len() > 1 {
            return self.fail(path, FieldReason::TooMany);
        }
        for id in &ids {
            self.need(path, Lookup::Department(*id));
        }
        Some(json!(ids))
    }

    fn files(&mut self, f: &Field, v: &Value, path: &str, at: &Slot) -> Option<Value> {
        let image = f.kind == FieldKind::Image;
        let items = match v {
            Value::Array(items) => items.as_slice(),
            one => std::slice::from_ref(one),
        };
        let mut ids: Vec<String> = Vec::new();
        for item in items {
            let id = match item {
                Value::String(s) => Some(s.as_str()),
                Value::Object(o) => o.get("file_id").and_then(Value::as_str),
                _ => None,
            };
            let Some(id) = id.map(str::trim).filter(|id| !id.is_empty()) else {
                if is_blank(item) {
                    continue;
                }
                return self.fail(path, FieldReason::Format);
            };
            if !ids.iter().any(|i| i == id) {
                ids.push(id.to_string());
            }
        }
        let max = if image { MAX_IMAGES } else { MAX_ATTACHMENTS };
        if ids.len() > max {
            return self.fail(path, FieldReason::TooMany);
        }
        for (k, id) in ids.iter().enumerate() {
            let at = Slot {
                field: at.field.clone(),
                pointer: format!("{}/{k}", at.pointer),
            };
            self.need(
                path,
                Lookup::File {
                    id: id.clone(),
                    image,
                    at,
                },
            );
        }
        Some(Value::Array(
            ids.into_iter().map(|id| json!({ "file_id": id })).collect(),
        ))
    }

    fn table(&mut self, f: &Field, v: &Value, path: &str, at: &Slot) -> Option<Value> {
        let Value::Array(rows) = v else {
            return self.fail(path, FieldReason::Format);
        };
        if rows.len() > MAX_ROWS {
            return self.fail(path, FieldReason::TooMany);
        }
        let mut out = Vec::new();
        for (r, row) in rows.iter().enumerate() {
            if is_blank(row) {
                continue;
            }
            let Value::Object(cells) = row else {
                self.fail::<()>(&format!("{path}.{r}"), FieldReason::Format);
                continue;
            };
            for key in cells.keys() {
                if !f.columns.iter().any(|c| c.id == *key) {
                    self.fail::<()>(&format!("{path}.{r}.{key}"), FieldReason::UnknownField);
                }
            }
            let mut kept = Map::new();
            for c in &f.columns {
                let cell = Slot {
                    field: at.field.clone(),
                    pointer: format!("{}/{}/{}", at.pointer, out.len(), c.id),
                };
                let cell_path = format!("{path}.{r}.{}", c.id);
                if let Some(x) = self.value(c, cells.get(&c.id), &cell_path, &cell) {
                    kept.insert(c.id.clone(), x);
                }
            }
            if !kept.is_empty() {
                out.push(Value::Object(kept));
            }
        }
        if out.is_empty() {
            if f.required {
                self.fail::<()>(path, FieldReason::Required);
            }
            return None;
        }
        Some(Value::Array(out))
    }

    fn related(&mut self, f: &Field, v: &Value, path: &str) -> Option<Value> {
        let items = match v {
            Value::Array(items) => items.as_slice(),
            one => std::slice::from_ref(one),
        };
        let mut sp_nos: Vec<String> = Vec::new();
        for item in items {
            let sp_no = match item {
                Value::Object(o) => o.get("sp_no").and_then(sp_no_of),
                other => sp_no_of(other),
            };
            let Some(sp_no) = sp_no.filter(|s| !s.is_empty()) else {
                if is_blank(item) {
                    continue;
                }
                return self.fail(path, FieldReason::Format);
            };
            if !sp_nos.contains(&sp_no) {
                sp_nos.push(sp_no);
            }
        }
        if sp_nos.len() > MAX_RELATED {
            return self.fail(path, FieldReason::TooMany);
        }
        for sp_no in &sp_nos {
            self.need(
                path,
                Lookup::Approval {
                    sp_no: sp_no.clone(),
                    templates: f.template_ids.clone(),
                },
            );
        }
        Some(json!(sp_nos))
    }
}

/// An approval number, given as a string or (as WeCom's samples do) a bare number.
pub(crate) fn sp_no_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) if n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

/// Asks the context about everything the values name, each thing once: members and departments in
/// one call each, files and approvals one by one. Files get their names.
async fn look_up<C: FormContext>(
    needs: &[Need],
    ctx: &C,
    out: &mut FormValues,
    problems: &mut Problems,
) -> AppResult<()> {
    let mut userids: Vec<String> = Vec::new();
    let mut departments: Vec<i64> = Vec::new();
    let mut files: HashMap<&str, Option<(String, bool)>> = HashMap::new();
    let mut approvals: HashMap<&str, Option<String>> = HashMap::new();
    for need in needs {
        match &need.lookup {
            Lookup::Member(u) if !userids.contains(u) => userids.push(u.clone()),
            Lookup::Department(d) if !departments.contains(d) => departments.push(*d),
            _ => {}
        }
    }
    let members: HashSet<&str> = if userids.is_empty() {
        HashSet::new()
    } else {
        let found = ctx.members(&userids).await?;
        userids
            .iter()
            .zip(found)
            .filter(|(_, id)| id.is_some())
            .map(|(u, _)| u.as_str())
            .collect()
    };
    let known_departments: HashSet<i64> = if departments.is_empty() {
        HashSet::new()
    } else {
        let found = ctx.departments_exist(&departments).await?;
        departments
            .iter()
            .zip(found)
            .filter(|(_, exists)| *exists)
            .map(|(d, _)| *d)
            .collect()
    };
    for need in needs {
        match &need.lookup {
            Lookup::File { id, .. } if !files.contains_key(id.as_str()) => {
                let file = ctx.file(id).await?;
                files.insert(id, file);
            }
            Lookup::Approval { sp_no, .. } if !approvals.contains_key(sp_no.as_str()) => {
                let template = ctx.approval(sp_no).await?;
                approvals.insert(sp_no, template);
            }
            _ => {}
        }
    }
    for need in needs {
        let problem = match &need.lookup {
            Lookup::Member(u) => (!members.contains(u.as_str())).then_some(FieldReason::NotFound),
            Lookup::Department(d) => {
                (!known_departments.contains(d)).then_some(FieldReason::NotFound)
            }
            Lookup::File { id, image, at } => match files.get(id.as_str()) {
                Some(Some((name, is_image))) => {
                    if let Some(Value::Object(file)) = out
                        .get_mut(&at.field)
                        .and_then(|v| v.pointer_mut(&at.pointer))
                    {
                        file.insert("name".into(), Value::String(name.clone()));
                    }
                    (*image && !is_image).then_some(FieldReason::NotAnImage)
                }
                _ => Some(FieldReason::NotFound),
            },
            Lookup::Approval { sp_no, templates } => match approvals.get(sp_no.as_str()) {
                Some(Some(t)) if templates.is_empty() || templates.contains(t) => None,
                _ => Some(FieldReason::NotFound),
            },
        };
        if let Some(reason) = problem {
            problems.push((need.path.clone(), reason));
        }
    }
    Ok(())
}

/// Which days count towards a date range's duration in days or half days. Every day counts for
/// now ([`EveryDay`]); when attendance supplies the enterprise's working days, its calendar is
/// passed where `EveryDay` is today and nothing else changes. Durations in hours are elapsed time.
pub trait WorkCalendar {
    /// Whether `day` counts.
    fn counts(&self, day: Date) -> bool;
    /// How many days from `from` to `to`, both included, count.
    fn count(&self, from: Date, to: Date) -> i64 {
        let mut n = 0;
        let mut day = from;
        while day <= to {
            if self.counts(day) {
                n += 1;
            }
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        n
    }
}

/// Every calendar day counts.
pub struct EveryDay;

impl WorkCalendar for EveryDay {
    fn counts(&self, _day: Date) -> bool {
        true
    }
    fn count(&self, from: Date, to: Date) -> i64 {
        days_between(from, to) + 1
    }
}

/// Whole days from `a` to `b`, both included.
fn days<C: WorkCalendar>(calendar: &C, a: Date, b: Date) -> i64 {
    calendar.count(a, b)
}

/// Each day has an am and a pm half; the halves from `a` to `b`, both included, over two:
/// "07 am"–"07 pm" is 1, "07 am"–"08 am" is 1.5, "07 pm"–"08 am" is 1, "07 pm"–"07 pm" is 0.5.
fn half_days<C: WorkCalendar>(calendar: &C, a: (Date, bool), b: (Date, bool)) -> f64 {
    let mut halves = 2 * calendar.count(a.0, b.0);
    if a.1 && calendar.counts(a.0) {
        halves -= 1;
    }
    if !b.1 && calendar.counts(b.0) {
        halves -= 1;
    }
    halves as f64 / 2.0
}

/// Hours from `a` to `b` as time passes (a daylight-saving change counts as it happens), to one
/// decimal.
fn hours(a: Timestamp, b: Timestamp) -> f64 {
    let seconds = b.as_second() - a.as_second();
    (seconds as f64 / 360.0).round() / 10.0
}

fn days_between(a: Date, b: Date) -> i64 {
    a.until(b)
        .map(|span| i64::from(span.get_days()))
        .unwrap_or_default()
}

/// The moment a wall-clock time shows in `tz`; None in a gap. In a fold, the earlier moment.
pub(crate) fn instant(tz: &TimeZone, dt: DateTime) -> Option<Timestamp> {
    let ambiguous = tz.to_ambiguous_timestamp(dt);
    if matches!(ambiguous.offset(), AmbiguousOffset::Gap { .. }) {
        return None;
    }
    ambiguous.compatible().ok()
}

pub(crate) fn unit_name(unit: DurationUnit) -> &'static str {
    match unit {
        DurationUnit::Day => "day",
        DurationUnit::HalfDay => "half_day",
        DurationUnit::Hour => "hour",
    }
}

/// Digits only, as a number.
fn digits(s: &str) -> Option<i32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// "YYYY-MM-DD", a day that exists, year 1000–9999.
pub(crate) fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if !s.is_ascii() || b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(&s[0..4])?, digits(&s[5..7])?, digits(&s[8..10])?);
    if y < 1000 {
        return None;
    }
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

/// "YYYY-MM-DD HH:MM".
pub(crate) fn parse_date_time(s: &str) -> Option<DateTime> {
    let b = s.as_bytes();
    if !s.is_ascii() || b.len() != 16 || b[10] != b' ' || b[13] != b':' {
        return None;
    }
    let date = parse_date(&s[0..10])?;
    let (h, m) = (digits(&s[11..13])?, digits(&s[14..16])?);
    let time = Time::new(i8::try_from(h).ok()?, i8::try_from(m).ok()?, 0, 0).ok()?;
    Some(date.to_datetime(time))
}

/// "YYYY-MM-DD am" or "YYYY-MM-DD pm" (either case): the day and whether it is the pm half.
pub(crate) fn parse_half_day(s: &str) -> Option<(Date, bool)> {
    let (day, half) = s.split_once(' ')?;
    let pm = match half.to_ascii_lowercase().as_str() {
        "am" => false,
        "pm" => true,
        _ => return None,
    };
    Some((parse_date(day)?, pm))
}

pub(crate) fn fmt_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

pub(crate) fn fmt_date_time(dt: DateTime) -> String {
    format!(
        "{} {:02}:{:02}",
        fmt_date(dt.date()),
        dt.hour(),
        dt.minute()
    )
}

fn fmt_half_day((d, pm): (Date, bool)) -> String {
    format!("{} {}", fmt_date(d), if pm { "pm" } else { "am" })
}

/// A whole number as a JSON integer, anything else as a float.
pub(crate) fn json_number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

/// A plain decimal: an optional '-', digits, and optionally '.' and digits. The digits as one
/// integer, and how many of them follow the point.
fn decimal(s: &str) -> Option<(i128, u32)> {
    let (negative, rest) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, fraction) = match rest.split_once('.') {
        Some((w, f)) => (w, f),
        None => (rest, ""),
    };
    if whole.is_empty()
        || (rest.contains('.') && fraction.is_empty())
        || whole.len() + fraction.len() > 30
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut n: i128 = 0;
    for b in whole.bytes().chain(fraction.bytes()) {
        n = n * 10 + i128::from(b - b'0');
    }
    Some((if negative { -n } else { n }, fraction.len() as u32))
}

/// A number written as a string: an integer when it is one, else a float.
fn number_from_str(s: &str) -> Option<serde_json::Number> {
    let (n, scale) = decimal(s)?;
    if scale == 0
        && let Ok(i) = i64::try_from(n)
    {
        return Some(i.into());
    }
    serde_json::Number::from_f64(s.parse().ok()?)
}

/// An amount of money in cents: at most two decimals and 15 digits before the point.
fn parse_money(s: &str) -> Result<i128, FieldReason> {
    let (n, scale) = decimal(s).ok_or(FieldReason::Format)?;
    if scale > 2 {
        return Err(FieldReason::Format);
    }
    let whole_digits = s
        .trim_start_matches('-')
        .split('.')
        .next()
        .unwrap_or_default();
    if whole_digits.trim_start_matches('0').len() > MAX_MONEY_DIGITS {
        return Err(FieldReason::Range);
    }
    Ok(n * 10_i128.pow(2 - scale))
}

/// Cents as "1234.50".
fn fmt_cents(cents: i128) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn money_cents(v: &Value) -> Option<i128> {
    match v {
        Value::String(s) => parse_money(s.trim()).ok(),
        Value::Number(n) => parse_money(&n.to_string()).ok(),
        _ => None,
    }
}

/// Sums of a table value's number and money columns, by column id (money as "1234.50"). Every
/// such column has a sum, 0 or "0.00" when no row fills it.
pub fn table_sums(field: &Field, value: &Value) -> BTreeMap<String, Value> {
    let mut sums = BTreeMap::new();
    if field.kind != FieldKind::Table {
        return sums;
    }
    let empty = Vec::new();
    let rows = value.as_array().unwrap_or(&empty);
    for c in &field.columns {
        let cells = rows.iter().filter_map(|row| row.get(&c.id));
        match c.kind {
            FieldKind::Money => {
                let cents: i128 = cells.filter_map(money_cents).sum();
                sums.insert(c.id.clone(), Value::String(fmt_cents(cents)));
            }
            FieldKind::Number => {
                sums.insert(c.id.clone(), sum_numbers(cells));
            }
            _ => {}
        }
    }
    sums
}

/// The exact sum of decimal numbers (1.1 + 2.2 is 3.3), as a float sum when one is beyond plain
/// decimals (1e300).
fn sum_numbers<'a>(cells: impl Iterator<Item = &'a Value>) -> Value {
    let numbers: Vec<String> = cells
        .filter_map(|v| match v {
            Value::Number(n) => Some(n.to_string()),
            Value::String(s) if decimal(s.trim()).is_some() => Some(s.trim().to_string()),
            _ => None,
        })
        .collect();
    let parsed: Option<Vec<(i128, u32)>> = numbers.iter().map(|s| decimal(s)).collect();
    let exact = parsed.and_then(|parts| {
        let scale = parts.iter().map(|p| p.1).max().unwrap_or(0);
        parts
            .iter()
            .try_fold(0_i128, |acc, (n, s)| {
                acc.checked_add(n.checked_mul(10_i128.checked_pow(scale - s)?)?)
            })
            .map(|sum| (sum, scale))
    });
    match exact {
        Some((sum, 0)) => i64::try_from(sum).map_or_else(|_| json_number(sum as f64), Value::from),
        Some((sum, scale)) => {
            let sign = if sum < 0 { "-" } else { "" };
            let abs = sum.abs();
            let unit = 10_i128.pow(scale);
            let text = format!(
                "{sign}{}.{:0width$}",
                abs / unit,
                abs % unit,
                width = scale as usize
            );
            text.parse::<f64>().map_or(Value::Null, json_number)
        }
        None => json_number(numbers.iter().filter_map(|s| s.parse::<f64>().ok()).sum()),
    }
}

/// The summary lines shown in lists: up to 3 "标题：值" lines from the first filled fields
/// (text shortened to 20 chars; choices by their text; members by userid; money with its currency
/// symbol for CNY, "¥1,234.50"), in the form's order; description fields skipped.
///
/// Other renderings: other currencies as "USD 1,234.50"; a date range as
/// "2026-12-07 ~ 2026-12-09（3天）" (hours as "小时"); lists joined with "、"; files by name; a
/// table as "共2行".
pub fn summary(fields: &[Field], values: &FormValues) -> Vec<String> {
    fields
        .iter()
        .filter(|f| f.kind != FieldKind::Description)
        .filter_map(|f| {
            let v = values.get(&f.id).filter(|v| !is_blank(v))?;
            Some(format!("{}：{}", f.title, display(f, v)?))
        })
        .take(3)
        .collect()
}

fn display(f: &Field, v: &Value) -> Option<String> {
    let list = |v: &Value| -> Vec<String> {
        let items = match v {
            Value::Array(items) => items.clone(),
            one => vec![one.clone()],
        };
        items
            .iter()
            .map(|x| match x {
                Value::String(s) => s.clone(),
                Value::Object(o) => o
                    .get("name")
                    .or_else(|| o.get("file_id"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                other => other.to_string(),
            })
            .collect()
    };
    Some(match f.kind {
        FieldKind::Text | FieldKind::Textarea => {
            shorten(&v.as_str()?.split_whitespace().collect::<Vec<_>>().join(" "))
        }
        FieldKind::Number => match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        },
        FieldKind::Money => {
            let cents = money_cents(v)?;
            let currency = f.currency.as_deref().unwrap_or("CNY");
            let sign = if cents < 0 { "-" } else { "" };
            let amount = group_thousands(&fmt_cents(cents.abs()));
            if currency == "CNY" {
                format!("{sign}¥{amount}")
            } else {
                format!("{sign}{currency} {amount}")
            }
        }
        FieldKind::Date | FieldKind::DateTime => v.as_str()?.to_string(),
        FieldKind::DateRange => {
            let unit = if f.unit == Some(DurationUnit::Hour) {
                "小时"
            } else {
                "天"
            };
            format!(
                "{} ~ {}（{}{unit}）",
                v.get("start")?.as_str()?,
                v.get("end")?.as_str()?,
                v.get("duration")?
            )
        }
        FieldKind::SingleChoice | FieldKind::MultiChoice => list(v)
            .iter()
            .map(|k| {
                f.options
                    .iter()
                    .find(|o| o.key == *k)
                    .map_or(k.clone(), |o| o.text.clone())
            })
            .collect::<Vec<_>>()
            .join("、"),
        FieldKind::Member | FieldKind::Department | FieldKind::RelatedApproval => {
            list(v).join("、")
        }
        FieldKind::Attachment | FieldKind::Image => shorten(&list(v).join("、")),
        FieldKind::Table => format!("共{}行", v.as_array()?.len()),
        FieldKind::Description => return None,
    })
}

/// At most 20 characters: a longer text keeps 19 and ends with "…".
fn shorten(s: &str) -> String {
    if chars(s) <= SUMMARY_TEXT {
        return s.to_string();
    }
    let mut out: String = s.chars().take(SUMMARY_TEXT - 1).collect();
    out.push('…');
    out
}

/// "1234567.50" as "1,234,567.50".
fn group_thousands(amount: &str) -> String {
    let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !fraction.is_empty() {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

/// A number of a number or money value (for branch conditions and statistics).
pub fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let s = s.trim();
            decimal(s)?;
            s.parse().ok()
        }
        _ => None,
    }
}

/// Nothing filled in: null, blank text, or a list or object holding only such.
pub(crate) fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.iter().all(is_blank),
        Value::Object(o) => o.values().all(is_blank),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// A fixed context for tests: members, departments, files and approvals held in memory, with
/// counters of the calls made.
#[cfg(test)]
pub(crate) mod testctx {
    use std::collections::{HashMap, HashSet};
    use std::future::Future;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use qixie_kernel::error::{AppError, AppResult};
    use qixie_kernel::time::Zone;

    use crate::form::FormContext;

    pub struct Ctx {
        pub members: HashMap<String, i64>,
        pub departments: HashSet<i64>,
        /// file id → (name, is an image)
        pub files: HashMap<String, (String, bool)>,
        /// sp_no → template id
        pub approvals: HashMap<String, String>,
        pub zone: Zone,
        /// Every call fails, as a database that is down would.
        pub broken: bool,
        pub member_calls: AtomicUsize,
        pub department_calls: AtomicUsize,
        pub file_calls: AtomicUsize,
        pub approval_calls: AtomicUsize,
    }

    impl Ctx {
        pub fn fixed() -> Ctx {
            let files = [
                ("f1", "报价单.pdf", false),
                ("f2", "发票.png", true),
                ("f3", "现场.jpg", true),
            ];
            Ctx {
                members: [("zhangsan", 1), ("lisi", 2), ("wangwu", 3)]
                    .into_iter()
                    .map(|(u, id)| (u.to_string(), id))
                    .collect(),
                departments: [1, 2, 5].into_iter().collect(),
                files: files
                    .into_iter()
                    .map(|(id, name, image)| (id.to_string(), (name.to_string(), image)))
                    .collect(),
                approvals: [("202612010001", "tpl-trip"), ("202612010002", "tpl-other")]
                    .into_iter()
                    .map(|(s, t)| (s.to_string(), t.to_string()))
                    .collect(),
                zone: Zone::default(),
                broken: false,
                member_calls: AtomicUsize::new(0),
                department_calls: AtomicUsize::new(0),
                file_calls: AtomicUsize::new(0),
                approval_calls: AtomicUsize::new(0),
            }
        }

        fn answer<T>(&self, counter: &AtomicUsize, value: T) -> AppResult<T> {
            counter.fetch_add(1, Ordering::SeqCst);
            if self.broken {
                Err(AppError::internal(anyhow::anyhow!("database down")))
            } else {
                Ok(value)
            }
        }
    }

    impl FormContext for Ctx {
        fn members(
            &self,
            userids: &[String],
        ) -> impl Future<Output = AppResult<Vec<Option<i64>>>> + Send {
            let found = userids
                .iter()
                .map(|u| self.members.get(u).copied())
                .collect();
            let answer = self.answer(&self.member_calls, found);
            async move { answer }
        }
        fn departments_exist(
            &self,
            ids: &[i64],
        ) -> impl Future<Output = AppResult<Vec<bool>>> + Send {
            let found = ids.iter().map(|d| self.departments.contains(d)).collect();
            let answer = self.answer(&self.department_calls, found);
            async move { answer }
        }
        fn file(
            &self,
            file_id: &str,
        ) -> impl Future<Output = AppResult<Option<(String, bool)>>> + Send {
            let answer = self.answer(&self.file_calls, self.files.get(file_id).cloned());
            async move { answer }
        }
        fn approval(&self, sp_no: &str) -> impl Future<Output = AppResult<Option<String>>> + Send {
            let answer = self.answer(&self.approval_calls, self.approvals.get(sp_no).cloned());
            async move { answer }
        }
        fn zone(&self) -> &Zone {
            &self.zone
        }
    }
}

/// Fields for tests.
#[cfg(test)]
pub(crate) mod testform {
    use crate::form::{ChoiceOption, DurationUnit, Field, FieldKind};

    pub fn field(id: &str, kind: FieldKind, title: &str) -> Field {
        Field {
            id: id.to_string(),
            kind,
            title: title.to_string(),
            required: false,
            placeholder: String::new(),
            hint: String::new(),
            default: None,
            options: Vec::new(),
            multiple: false,
            min: None,
            max: None,
            currency: None,
            unit: None,
            columns: Vec::new(),
            text: String::new(),
            template_ids: Vec::new(),
        }
    }

    pub fn options(pairs: &[(&str, &str)]) -> Vec<ChoiceOption> {
        pairs
            .iter()
            .map(|(key, text)| ChoiceOption {
                key: key.to_string(),
                text: text.to_string(),
            })
            .collect()
    }

    /// One field of every kind.
    pub fn every_kind() -> Vec<Field> {
        use FieldKind::*;
        let required = |mut f: Field| {
            f.required = true;
            f
        };
        let mut count = field("count", Number, "数量");
        count.min = Some(1.0);
        count.max = Some(10.0);
        let mut amount = required(field("amount", Money, "金额"));
        amount.min = Some(0.0);
        let mut leave = field("leave", DateRange, "请假时间");
        leave.unit = Some(DurationUnit::Day);
        let mut half = field("half", DateRange, "半天");
        half.unit = Some(DurationUnit::HalfDay);
        let mut hours = field("hours", DateRange, "加班时间");
        hours.unit = Some(DurationUnit::Hour);
        let mut kind = field("kind", SingleChoice, "类型");
        kind.options = options(&[("a", "差旅"), ("b", "餐饮")]);
        let mut tags = field("tags", MultiChoice, "标签");
        tags.options = options(&[("x", "紧急"), ("y", "对外"), ("z", "其他")]);
        let mut team = field("team", Member, "同行人");
        team.multiple = true;
        let mut items = field("items", Table, "明细");
        items.columns = vec![
            required(field("name", Text, "名称")),
            field("qty", Number, "数量"),
            field("price", Money, "单价"),
            field("proof", Attachment, "凭证"),
        ];
        let mut note = field("note", Description, "说明");
        note.text = "请如实填写".to_string();
        let mut refs = field("refs", RelatedApproval, "关联审批");
        refs.template_ids = vec!["tpl-trip".to_string()];
        vec![
            required(field("reason", Text, "事由")),
            field("detail", Textarea, "详细说明"),
            count,
            amount,
            field("day", Date, "日期"),
            field("at", DateTime, "时间"),
            leave,
            half,
            hours,
            kind,
            tags,
            field("who", Member, "负责人"),
            team,
            field("dept", Department, "部门"),
            field("files", Attachment, "附件"),
            field("pics", Image, "图片"),
            items,
            note,
            refs,
        ]
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use serde_json::json;

    use super::testctx::Ctx;
    use super::testform::{every_kind, field, options};
    use super::*;
    use crate::form::ChoiceOption;

    fn values(v: Value) -> FormValues {
        serde_json::from_value(v).unwrap()
    }

    fn problems(list: &[(&str, FieldReason)]) -> Problems {
        list.iter().map(|(p, r)| (p.to_string(), *r)).collect()
    }

    /// The problems of one value of one field of `every_kind`.
    async fn problem_of(id: &str, value: Value) -> Problems {
        let mut input = values(json!({ "reason": "出差", "amount": "1" }));
        input.insert(id.to_string(), value);
        match validate_values(&every_kind(), &input, &Ctx::fixed()).await {
            Ok(out) => panic!("accepted: {out:?}"),
            Err(p) => p,
        }
    }

    /// The stored value of one value of one field of `every_kind`.
    async fn stored(id: &str, value: Value) -> Option<Value> {
        let mut input = values(json!({ "reason": "出差", "amount": "1" }));
        input.insert(id.to_string(), value);
        let out = validate_values(&every_kind(), &input, &Ctx::fixed())
            .await
            .unwrap();
        out.get(id).cloned()
    }

    fn full_input() -> FormValues {
        values(json!({
            "reason": "  去上海见客户 ",
            "detail": "第一天拜访\n第二天签约",
            "count": "7",
            "amount": "1234.5",
            "day": "2026-12-07",
            "at": "2026-12-07 09:30",
            "leave": { "start": "2026-12-07", "end": "2026-12-09" },
            "half": { "start": "2026-12-07 am", "end": "2026-12-08 AM" },
            "hours": { "start": "2026-12-07 09:00", "end": "2026-12-07 18:30" },
            "kind": "a",
            "tags": ["x", "z", "x"],
            "who": "zhangsan",
            "team": ["lisi", "wangwu", "lisi"],
            "dept": ["2"],
            "files": [{ "file_id": "f1", "name": "改过的名字.pdf" }],
            "pics": ["f2", "f3"],
            "items": [
                { "name": "机票", "qty": 2, "price": "800", "proof": ["f1"] },
                { "name": "", "qty": null },
                { "name": "酒店", "qty": 1.5, "price": 450.5 }
            ],
            "note": "ignored",
            "refs": [202612010001_u64]
        }))
    }

    #[tokio::test]
    async fn good_values_are_normalised() {
        let ctx = Ctx::fixed();
        let out = validate_values(&every_kind(), &full_input(), &ctx)
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(&out).unwrap(),
            json!({
                "reason": "去上海见客户",
                "detail": "第一天拜访\n第二天签约",
                "count": 7,
                "amount": "1234.50",
                "day": "2026-12-07",
                "at": "2026-12-07 09:30",
                "leave": { "start": "2026-12-07", "end": "2026-12-09", "duration": 3, "unit": "day" },
                "half": { "start": "2026-12-07 am", "end": "2026-12-08 am", "duration": 1.5, "unit": "half_day" },
                "hours": { "start": "2026-12-07 09:00", "end": "2026-12-07 18:30", "duration": 9.5, "unit": "hour" },
                "kind": "a",
                "tags": ["x", "z"],
                "who": ["zhangsan"],
                "team": ["lisi", "wangwu"],
                "dept": [2],
                "files": [{ "file_id": "f1", "name": "报价单.pdf" }],
                "pics": [{ "file_id": "f2", "name": "发票.png" }, { "file_id": "f3", "name": "现场.jpg" }],
                "items": [
                    { "name": "机票", "qty": 2, "price": "800.00", "proof": [{ "file_id": "f1", "name": "报价单.pdf" }] },
                    { "name": "酒店", "qty": 1.5, "price": "450.50" }
                ],
                "refs": ["202612010001"]
            })
        );
        // Each thing is asked once: one call for all members, one per distinct file.
        assert_eq!(ctx.member_calls.load(Ordering::SeqCst), 1);
        assert_eq!(ctx.department_calls.load(Ordering::SeqCst), 1);
        assert_eq!(ctx.file_calls.load(Ordering::SeqCst), 3);
        assert_eq!(ctx.approval_calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn stored_values_check_again_unchanged() {
        let ctx = Ctx::fixed();
        let once = validate_values(&every_kind(), &full_input(), &ctx)
            .await
            .unwrap();
        let twice = validate_values(&every_kind(), &once, &ctx).await.unwrap();
        assert_eq!(once, twice);
    }

    #[tokio::test]
    async fn nothing_is_looked_up_when_nothing_names_anything() {
        let ctx = Ctx::fixed();
        let out = validate_values(
            &every_kind(),
            &values(json!({"reason": "x", "amount": 0})),
            &ctx,
        )
        .await
        .unwrap();
        assert_eq!(out, values(json!({"reason": "x", "amount": "0.00"})));
        assert_eq!(ctx.member_calls.load(Ordering::SeqCst), 0);
        assert_eq!(ctx.department_calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn required_and_empty_values() {
        let input = values(json!({
            "reason": "   ",
            "detail": "",
            "tags": [],
            "who": [null],
            "leave": { "start": "", "end": null },
            "items": [{ "name": "", "qty": null }]
        }));
        let err = validate_values(&every_kind(), &input, &Ctx::fixed())
            .await
            .unwrap_err();
        assert_eq!(
            err,
            problems(&[
                ("values.reason", FieldReason::Required),
                ("values.amount", FieldReason::Required),
            ])
        );
        let mut form = every_kind();
        form[16].required = true; // items
        let err = validate_values(
            &form,
            &values(json!({"reason": "x", "amount": "1", "items": [{}]})),
            &Ctx::fixed(),
        )
        .await
        .unwrap_err();
        assert_eq!(err, problems(&[("values.items", FieldReason::Required)]));
        // Optional empty values are dropped.
        let out = validate_values(
            &every_kind(),
            &values(json!({"reason": "x", "amount": "1", "detail": " ", "files": []})),
            &Ctx::fixed(),
        )
        .await
        .unwrap();
        assert_eq!(out, values(json!({"reason": "x", "amount": "1.00"})));
    }

    #[tokio::test]
    async fn unknown_ids_are_refused_and_descriptions_ignored() {
        let input =
            values(json!({ "reason": "x", "amount": "1", "bogus": 1, "note": "说明", "zzz": "" }));
        let err = validate_values(&every_kind(), &input, &Ctx::fixed())
            .await
            .unwrap_err();
        assert_eq!(
            err,
            problems(&[
                ("values.bogus", FieldReason::UnknownField),
                ("values.zzz", FieldReason::UnknownField),
            ])
        );
        let out = validate_values(
            &every_kind(),
            &values(json!({ "reason": "x", "amount": "1", "note": "说明" })),
            &Ctx::fixed(),
        )
        .await
        .unwrap();
        assert!(!out.contains_key("note"));
    }

    #[tokio::test]
    async fn texts() {
        assert_eq!(
            stored("reason", json!("a".repeat(200))).await,
            Some(json!("a".repeat(200)))
        );
        assert_eq!(
            problem_of("reason", json!("字".repeat(201))).await,
            problems(&[("values.reason", FieldReason::TooLong)])
        );
        assert_eq!(
            stored("detail", json!("字".repeat(2000))).await,
            Some(json!("字".repeat(2000)))
        );
        assert_eq!(
            problem_of("detail", json!("a".repeat(2001))).await,
            problems(&[("values.detail", FieldReason::TooLong)])
        );
        assert_eq!(
            problem_of("reason", json!(12)).await,
            problems(&[("values.reason", FieldReason::Format)])
        );
        assert_eq!(
            problem_of("detail", json!(["a"])).await,
            problems(&[("values.detail", FieldReason::Format)])
        );
    }

    #[tokio::test]
    async fn numbers() {
        assert_eq!(stored("count", json!(1)).await, Some(json!(1)));
        assert_eq!(stored("count", json!("10")).await, Some(json!(10)));
        assert_eq!(stored("count", json!(" 2.5 ")).await, Some(json!(2.5)));
        assert_eq!(stored("count", json!(1e0)).await, Some(json!(1.0)));
        for bad in [
            json!("abc"),
            json!("1e5"),
            json!(true),
            json!("2."),
            json!({"n": 1}),
        ] {
            assert_eq!(
                problem_of("count", bad).await,
                problems(&[("values.count", FieldReason::Format)])
            );
        }
        for out in [json!(0), json!(10.5), json!("-3"), json!(11)] {
            assert_eq!(
                problem_of("count", out).await,
                problems(&[("values.count", FieldReason::Range)])
            );
        }
    }

    #[tokio::test]
    async fn money() {
        assert_eq!(
            stored("amount", json!("1234.5")).await,
            Some(json!("1234.50"))
        );
        assert_eq!(stored("amount", json!(12.5)).await, Some(json!("12.50")));
        assert_eq!(stored("amount", json!(100)).await, Some(json!("100.00")));
        assert_eq!(
            stored("amount", json!("0012.05")).await,
            Some(json!("12.05"))
        );
        assert_eq!(
            stored("amount", json!("999999999999999.99")).await,
            Some(json!("999999999999999.99"))
        );
        for bad in [
            json!("12.345"),
            json!("1,000"),
            json!("¥12"),
            json!("12."),
            json!(0.125),
            json!(false),
        ] {
            assert_eq!(
                problem_of("amount", bad).await,
                problems(&[("values.amount", FieldReason::Format)])
            );
        }
        for out in [json!("-0.01"), json!("1000000000000000")] {
            assert_eq!(
                problem_of("amount", out).await,
                problems(&[("values.amount", FieldReason::Range)])
            );
        }
        let mut form = [field("m", FieldKind::Money, "金额")];
        form[0].min = Some(0.1);
        form[0].max = Some(0.3);
        let ctx = Ctx::fixed();
        for (v, ok) in [
            ("0.10", true),
            ("0.30", true),
            ("0.09", false),
            ("0.31", false),
        ] {
            let r = validate_values(&form, &values(json!({ "m": v })), &ctx).await;
            assert_eq!(r.is_ok(), ok, "{v}");
        }
        let mut negative = [field("m", FieldKind::Money, "退款")];
        negative[0].currency = Some("USD".into());
        let out = validate_values(&negative, &values(json!({ "m": "-0.5" })), &ctx)
            .await
            .unwrap();
        assert_eq!(out["m"], json!("-0.50"));
    }

    #[tokio::test]
    async fn dates_and_date_times() {
        assert_eq!(
            stored("day", json!("2028-02-29")).await,
            Some(json!("2028-02-29"))
        );
        for bad in [
            "2026-02-29",
            "2026-2-03",
            "2026-12-07 09:30",
            "07/12/2026",
            "0999-01-01",
            "２０２６-12-07",
        ] {
            assert_eq!(
                problem_of("day", json!(bad)).await,
                problems(&[("values.day", FieldReason::Format)]),
                "{bad}"
            );
        }
        assert_eq!(
            stored("at", json!("2026-12-07 23:59")).await,
            Some(json!("2026-12-07 23:59"))
        );
        for bad in [
            "2026-12-07T09:30",
            "2026-12-07 24:00",
            "2026-12-07 9:30",
            "2026-12-07 09:30:00",
            "2026-12-07",
        ] {
            assert_eq!(
                problem_of("at", json!(bad)).await,
                problems(&[("values.at", FieldReason::Format)]),
                "{bad}"
            );
        }
        // In Berlin 02:30 on 2026-03-29 never shows (the clocks go from 02:00 to 03:00); 02:30 on
        // 2026-10-25 shows twice and is accepted.
        let mut ctx = Ctx::fixed();
        ctx.zone = Zone::named("Europe/Berlin").unwrap();
        let form = [field("at", FieldKind::DateTime, "时间")];
        let gap = validate_values(&form, &values(json!({"at": "2026-03-29 02:30"})), &ctx).await;
        assert_eq!(gap, Err(problems(&[("values.at", FieldReason::Format)])));
        let fold = validate_values(&form, &values(json!({"at": "2026-10-25 02:30"})), &ctx).await;
        assert_eq!(fold.unwrap()["at"], json!("2026-10-25 02:30"));
        // Shanghai has no such gap.
        let shanghai = validate_values(
            &form,
            &values(json!({"at": "2026-03-29 02:30"})),
            &Ctx::fixed(),
        )
        .await;
        assert!(shanghai.is_ok());
    }

    async fn duration(id: &str, start: &str, end: &str) -> Value {
        stored(id, json!({ "start": start, "end": end }))
            .await
            .unwrap()["duration"]
            .clone()
    }

    #[tokio::test]
    async fn durations_in_days() {
        assert_eq!(
            duration("leave", "2026-12-07", "2026-12-09").await,
            json!(3)
        );
        assert_eq!(
            duration("leave", "2026-12-07", "2026-12-07").await,
            json!(1)
        );
        // Across a month end and a year end.
        assert_eq!(
            duration("leave", "2026-11-29", "2026-12-02").await,
            json!(4)
        );
        assert_eq!(
            duration("leave", "2026-12-30", "2027-01-02").await,
            json!(4)
        );
        assert_eq!(
            duration("leave", "2028-02-28", "2028-03-01").await,
            json!(3)
        );
    }

    #[tokio::test]
    async fn durations_in_half_days() {
        assert_eq!(
            duration("half", "2026-12-07 am", "2026-12-07 pm").await,
            json!(1)
        );
        assert_eq!(
            duration("half", "2026-12-07 am", "2026-12-08 am").await,
            json!(1.5)
        );
        assert_eq!(
            duration("half", "2026-12-07 pm", "2026-12-08 am").await,
            json!(1)
        );
        assert_eq!(
            duration("half", "2026-12-07 pm", "2026-12-07 pm").await,
            json!(0.5)
        );
        assert_eq!(
            duration("half", "2026-12-07 am", "2026-12-07 am").await,
            json!(0.5)
        );
        assert_eq!(
            duration("half", "2026-11-30 pm", "2026-12-02 pm").await,
            json!(2.5)
        );
    }

    #[tokio::test]
    async fn durations_in_hours() {
        assert_eq!(
            duration("hours", "2026-12-07 09:00", "2026-12-07 18:30").await,
            json!(9.5)
        );
        // 100 minutes are 1.7 hours, to one decimal.
        assert_eq!(
            duration("hours", "2026-12-07 09:00", "2026-12-07 10:40").await,
            json!(1.7)
        );
        assert_eq!(
            duration("hours", "2026-11-30 22:00", "2026-12-01 02:00").await,
            json!(4)
        );
        // Elapsed time: Berlin's clocks skip an hour on 2026-03-29.
        let mut ctx = Ctx::fixed();
        ctx.zone = Zone::named("Europe/Berlin").unwrap();
        let mut f = field("h", FieldKind::DateRange, "时长");
        f.unit = Some(DurationUnit::Hour);
        let out = validate_values(
            &[f],
            &values(json!({"h": {"start": "2026-03-29 00:00", "end": "2026-03-29 04:00"}})),
            &ctx,
        )
        .await
        .unwrap();
        assert_eq!(out["h"]["duration"], json!(3));
    }

    #[tokio::test]
    async fn bad_ranges() {
        let before =
            |id: &str| problems(&[(format!("values.{id}").as_str(), FieldReason::BeforeStart)]);
        assert_eq!(
            problem_of("leave", json!({"start": "2026-12-09", "end": "2026-12-07"})).await,
            before("leave")
        );
        assert_eq!(
            problem_of(
                "half",
                json!({"start": "2026-12-07 pm", "end": "2026-12-07 am"})
            )
            .await,
            before("half")
        );
        assert_eq!(
            problem_of(
                "hours",
                json!({"start": "2026-12-07 09:00", "end": "2026-12-07 09:00"})
            )
            .await,
            before("hours")
        );
        let required = problems(&[("values.leave", FieldReason::Required)]);
        assert_eq!(
            problem_of("leave", json!({"start": "2026-12-07"})).await,
            required
        );
        let format = |id: &str| problems(&[(format!("values.{id}").as_str(), FieldReason::Format)]);
        assert_eq!(
            problem_of("leave", json!("2026-12-07")).await,
            format("leave")
        );
        assert_eq!(
            problem_of(
                "leave",
                json!({"start": "2026-12-07 am", "end": "2026-12-08 pm"})
            )
            .await,
            format("leave")
        );
        assert_eq!(
            problem_of("half", json!({"start": "2026-12-07", "end": "2026-12-08"})).await,
            format("half")
        );
        assert_eq!(
            problem_of(
                "half",
                json!({"start": "2026-12-07 noon", "end": "2026-12-08 am"})
            )
            .await,
            format("half")
        );
        assert_eq!(
            problem_of("hours", json!({"start": "2026-12-07", "end": "2026-12-08"})).await,
            format("hours")
        );
        assert_eq!(
            problem_of("hours", json!({"start": 1, "end": 2})).await,
            format("hours")
        );
    }

    #[test]
    fn a_calendar_decides_which_days_count() {
        struct Weekdays;
        impl WorkCalendar for Weekdays {
            fn counts(&self, day: Date) -> bool {
                day.weekday().to_monday_one_offset() <= 5
            }
        }
        // 2026-12-07 is a Monday; the 12th and 13th are a weekend.
        let day = |d: i8| Date::new(2026, 12, d).unwrap();
        assert_eq!(days(&Weekdays, day(7), day(13)), 5);
        assert_eq!(days(&EveryDay, day(7), day(13)), 7);
        assert_eq!(days(&Weekdays, day(11), day(14)), 2);
        assert_eq!(half_days(&Weekdays, (day(11), true), (day(14), false)), 1.0);
        assert_eq!(half_days(&Weekdays, (day(12), true), (day(13), false)), 0.0);
        assert_eq!(half_days(&EveryDay, (day(11), true), (day(14), false)), 3.0);
    }

    #[tokio::test]
    async fn choices() {
        assert_eq!(stored("kind", json!(["b"])).await, Some(json!("b")));
        assert_eq!(stored("tags", json!("y")).await, Some(json!(["y"])));
        assert_eq!(
            problem_of("kind", json!("c")).await,
            problems(&[("values.kind", FieldReason::Unknown)])
        );
        assert_eq!(
            problem_of("tags", json!(["x", "q"])).await,
            problems(&[("values.tags", FieldReason::Unknown)])
        );
        assert_eq!(
            problem_of("kind", json!(["a", "b"])).await,
            problems(&[("values.kind", FieldReason::TooMany)])
        );
        assert_eq!(
            problem_of("kind", json!(1)).await,
            problems(&[("values.kind", FieldReason::Format)])
        );
    }

    #[tokio::test]
    async fn members_and_departments() {
        assert_eq!(
            problem_of("who", json!(["nobody"])).await,
            problems(&[("values.who", FieldReason::NotFound)])
        );
        assert_eq!(
            problem_of("who", json!(["zhangsan", "lisi"])).await,
            problems(&[("values.who", FieldReason::TooMany)])
        );
        assert_eq!(
            problem_of("team", json!([1])).await,
            problems(&[("values.team", FieldReason::Format)])
        );
        assert_eq!(
            problem_of("team", json!(["lisi", "ghost", "ghost2"])).await,
            problems(&[("values.team", FieldReason::NotFound)])
        );
        assert_eq!(stored("dept", json!(5)).await, Some(json!([5])));
        assert_eq!(
            problem_of("dept", json!([9])).await,
            problems(&[("values.dept", FieldReason::NotFound)])
        );
        assert_eq!(
            problem_of("dept", json!([1, 2])).await,
            problems(&[("values.dept", FieldReason::TooMany)])
        );
        for bad in [
            json!("abc"),
            json!(0),
            json!(-2),
            json!(1.5),
            json!([{"id": 1}]),
        ] {
            assert_eq!(
                problem_of("dept", bad).await,
                problems(&[("values.dept", FieldReason::Format)])
            );
        }
    }

    #[tokio::test]
    async fn files_and_images() {
        assert_eq!(
            problem_of("files", json!(["nope"])).await,
            problems(&[("values.files", FieldReason::NotFound)])
        );
        assert_eq!(
            problem_of("pics", json!(["f2", "f1"])).await,
            problems(&[("values.pics", FieldReason::NotAnImage)])
        );
        let seven: Vec<String> = (0..7).map(|i| format!("f{i}")).collect();
        assert_eq!(
            problem_of("files", json!(seven)).await,
            problems(&[("values.files", FieldReason::TooMany)])
        );
        let ten: Vec<String> = (0..10).map(|i| format!("f{i}")).collect();
        assert_eq!(
            problem_of("pics", json!(ten)).await,
            problems(&[("values.pics", FieldReason::TooMany)])
        );
        // Six attachments and nine images are allowed (the first unknown one is what is refused).
        let six: Vec<String> = (0..6).map(|i| format!("f{i}")).collect();
        assert_eq!(
            problem_of("files", json!(six)).await,
            problems(&[("values.files", FieldReason::NotFound)])
        );
        assert_eq!(
            problem_of("files", json!([{"name": "x"}])).await,
            problems(&[("values.files", FieldReason::Format)])
        );
        assert_eq!(
            problem_of("files", json!([7])).await,
            problems(&[("values.files", FieldReason::Format)])
        );
    }

    #[tokio::test]
    async fn table_cells_are_named_by_row_and_column() {
        let input = json!([
            { "name": "", "qty": 1 },
            { "name": "酒店", "qty": "many", "price": "1.001", "bogus": 1 },
            "row",
            { "name": "打车", "proof": ["f9"] },
        ]);
        assert_eq!(
            problem_of("items", input).await,
            problems(&[
                ("values.items.0.name", FieldReason::Required),
                ("values.items.1.bogus", FieldReason::UnknownField),
                ("values.items.1.qty", FieldReason::Format),
                ("values.items.1.price", FieldReason::Format),
                ("values.items.2", FieldReason::Format),
                ("values.items.3.proof", FieldReason::NotFound),
            ])
        );
        let rows: Vec<Value> = (0..201)
            .map(|i| json!({ "name": format!("{i}") }))
            .collect();
        assert_eq!(
            problem_of("items", json!(rows)).await,
            problems(&[("values.items", FieldReason::TooMany)])
        );
        let rows: Vec<Value> = (0..200)
            .map(|i| json!({ "name": format!("{i}") }))
            .collect();
        assert_eq!(
            stored("items", json!(rows))
                .await
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            200
        );
        assert_eq!(
            problem_of("items", json!({"name": "x"})).await,
            problems(&[("values.items", FieldReason::Format)])
        );
    }

    #[tokio::test]
    async fn related_approvals() {
        assert_eq!(
            stored("refs", json!([{"sp_no": "202612010001"}])).await,
            Some(json!(["202612010001"]))
        );
        // Unknown, and of a template the field does not allow.
        assert_eq!(
            problem_of("refs", json!(["209912310001"])).await,
            problems(&[("values.refs", FieldReason::NotFound)])
        );
        assert_eq!(
            problem_of("refs", json!(["202612010002"])).await,
            problems(&[("values.refs", FieldReason::NotFound)])
        );
        let many: Vec<String> = (0..21).map(|i| format!("2026120100{i:02}")).collect();
        assert_eq!(
            problem_of("refs", json!(many)).await,
            problems(&[("values.refs", FieldReason::TooMany)])
        );
        assert_eq!(
            problem_of("refs", json!([true])).await,
            problems(&[("values.refs", FieldReason::Format)])
        );
        // Any template's approvals when the field names none.
        let any = [field("refs", FieldKind::RelatedApproval, "关联")];
        let out = validate_values(
            &any,
            &values(json!({"refs": "202612010002"})),
            &Ctx::fixed(),
        )
        .await
        .unwrap();
        assert_eq!(out["refs"], json!(["202612010002"]));
    }

    #[tokio::test]
    async fn problems_come_in_form_order() {
        let input = values(json!({
            "refs": ["209912310001"],
            "zzz": 1,
            "who": ["ghost"],
            "amount": "x",
            "count": 99,
        }));
        let err = validate_values(&every_kind(), &input, &Ctx::fixed())
            .await
            .unwrap_err();
        assert_eq!(
            err,
            problems(&[
                ("values.reason", FieldReason::Required),
                ("values.count", FieldReason::Range),
                ("values.amount", FieldReason::Format),
                ("values.who", FieldReason::NotFound),
                ("values.refs", FieldReason::NotFound),
                ("values.zzz", FieldReason::UnknownField),
            ])
        );
    }

    #[tokio::test]
    async fn a_failing_context_is_an_internal_error() {
        let mut ctx = Ctx::fixed();
        ctx.broken = true;
        let err = validate_values(&every_kind(), &full_input(), &ctx)
            .await
            .unwrap_err();
        assert_eq!(
            err,
            problems(&[("values", FieldReason::Error(ErrorKind::Internal))])
        );
        assert_eq!(into_app_error(err).kind, ErrorKind::Internal);
        let e = into_app_error(problems(&[("values.reason", FieldReason::Required)]));
        assert_eq!(e.kind, ErrorKind::Validation);
        assert_eq!(
            e.fields,
            vec![FieldError {
                field: "values.reason".into(),
                reason: FieldReason::Required
            }]
        );
    }

    #[test]
    fn checking_values_can_be_awaited_on_any_thread() {
        fn send<T: Send>(_: &T) {}
        let ctx = Ctx::fixed();
        let fields = every_kind();
        let input = full_input();
        let future = validate_values(&fields, &input, &ctx);
        send(&future);
    }

    #[test]
    fn a_good_form_has_no_problems() {
        assert_eq!(check_fields(&every_kind()), problems(&[]));
        let mut with_defaults = every_kind();
        with_defaults[2].default = Some(json!(3));
        with_defaults[3].default = Some(json!("100"));
        with_defaults[9].default = Some(json!("a"));
        with_defaults[11].default = Some(json!(["zhangsan"]));
        with_defaults[16].default = Some(json!([{ "name": "机票" }]));
        with_defaults[0].default = Some(json!(""));
        assert_eq!(check_fields(&with_defaults), problems(&[]));
        // A column may share an id with a field outside its table.
        let mut shared = every_kind();
        shared[16].columns[0].id = "reason".into();
        assert_eq!(check_fields(&shared), problems(&[]));
    }

    #[test]
    fn ids_and_titles() {
        use FieldKind::Text;
        let mut form = vec![
            field("", Text, "一"),
            field("a.b", Text, "二"),
            field(&"x".repeat(41), Text, "三"),
            field("ok", Text, ""),
            field("ok", Text, &"标".repeat(41)),
            field("fine", Text, "一"),
            field(&"y".repeat(40), Text, "四"),
        ];
        form[3].placeholder = "p".repeat(81);
        form[4].hint = "h".repeat(201);
        form[6].placeholder = "p".repeat(80);
        form[6].hint = "h".repeat(200);
        assert_eq!(
            check_fields(&form),
            problems(&[
                ("fields.0.id", FieldReason::Required),
                ("fields.1.id", FieldReason::Format),
                ("fields.2.id", FieldReason::TooLong),
                ("fields.3.title", FieldReason::Required),
                ("fields.3.placeholder", FieldReason::TooLong),
                ("fields.4.id", FieldReason::Duplicate),
                ("fields.4.title", FieldReason::TooLong),
                ("fields.4.hint", FieldReason::TooLong),
                ("fields.5.title", FieldReason::Duplicate),
            ])
        );
    }

    #[test]
    fn at_most_a_hundred_fields() {
        let form: Vec<Field> = (0..101)
            .map(|i| field(&format!("f{i}"), FieldKind::Text, &format!("字段{i}")))
            .collect();
        assert_eq!(
            check_fields(&form),
            problems(&[("fields", FieldReason::TooMany)])
        );
        assert_eq!(check_fields(&form[..100]), problems(&[]));
    }

    #[test]
    fn options_belong_to_choices() {
        let mut text = field("t", FieldKind::Text, "文本");
        text.options = options(&[("a", "A")]);
        let empty = field("c", FieldKind::SingleChoice, "单选");
        let mut bad = field("m", FieldKind::MultiChoice, "多选");
        bad.options = options(&[
            ("a", "A"),
            ("a", "B"),
            ("", "C"),
            ("kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", "D"),
            ("e", " "),
            (
                "f",
                "字字字字字字字字字字字字字字字字字字字字字字字字字字字字字字字字字字字字字字字字字",
            ),
        ]);
        let mut many = field("many", FieldKind::SingleChoice, "很多");
        many.options = (0..101)
            .map(|i| ChoiceOption {
                key: format!("k{i}"),
                text: format!("选项{i}"),
            })
            .collect();
        assert_eq!(
            check_fields(&[text, empty, bad, many]),
            problems(&[
                ("fields.0.options", FieldReason::UnknownField),
                ("fields.1.options", FieldReason::Required),
                ("fields.2.options.1.key", FieldReason::Duplicate),
                ("fields.2.options.2.key", FieldReason::Required),
                ("fields.2.options.3.key", FieldReason::TooLong),
                ("fields.2.options.4.text", FieldReason::Required),
                ("fields.2.options.5.text", FieldReason::TooLong),
                ("fields.3.options", FieldReason::TooMany),
            ])
        );
    }

    #[test]
    fn columns_belong_to_tables() {
        use FieldKind::*;
        let mut text = field("t", Text, "文本");
        text.columns = vec![field("c", Text, "列")];
        let empty = field("e", Table, "空表");
        let mut bad = field("b", Table, "坏表");
        let mut inner = field("inner", Table, "子表");
        inner.columns = vec![field("x", Text, "x")];
        bad.columns = vec![
            field("c1", Text, "列一"),
            field("c1", Number, "列一"),
            inner,
            field("d", Description, "说明"),
            field("r", RelatedApproval, "关联"),
        ];
        bad.columns[3].text = "说明".into();
        let mut wide = field("w", Table, "宽表");
        wide.columns = (0..21)
            .map(|i| field(&format!("c{i}"), Text, &format!("列{i}")))
            .collect();
        assert_eq!(
            check_fields(&[text, empty, bad, wide]),
            problems(&[
                ("fields.0.columns", FieldReason::UnknownField),
                ("fields.1.columns", FieldReason::Required),
                ("fields.2.columns.1.id", FieldReason::Duplicate),
                ("fields.2.columns.1.title", FieldReason::Duplicate),
                ("fields.2.columns.2.kind", FieldReason::Unsupported),
                ("fields.2.columns.3.kind", FieldReason::Unsupported),
                ("fields.2.columns.4.kind", FieldReason::Unsupported),
                ("fields.3.columns", FieldReason::TooMany),
            ])
        );
    }

    #[test]
    fn members_of_other_kinds() {
        use FieldKind::*;
        let mut note = field("note", Description, "说明");
        note.text = "字".repeat(2001);
        let blank = field("blank", Description, "空说明");
        let mut text = field("t", Text, "文本");
        text.text = "x".into();
        text.min = Some(1.0);
        text.max = Some(2.0);
        text.currency = Some("CNY".into());
        text.unit = Some(DurationUnit::Day);
        text.multiple = true;
        text.template_ids = vec!["tpl".into()];
        let mut number = field("n", Number, "数字");
        number.min = Some(5.0);
        number.max = Some(1.0);
        let mut money = field("m", Money, "金额");
        money.currency = Some("usd".into());
        let mut dollars = field("d", Money, "美元");
        dollars.currency = Some("USD".into());
        dollars.min = Some(1.0);
        dollars.max = Some(1.0);
        let mut related = field("r", RelatedApproval, "关联");
        related.template_ids = vec!["tpl".into(), " ".into()];
        assert_eq!(
            check_fields(&[note, blank, text, number, money, dollars, related]),
            problems(&[
                ("fields.0.text", FieldReason::TooLong),
                ("fields.1.text", FieldReason::Required),
                ("fields.2.text", FieldReason::UnknownField),
                ("fields.2.min", FieldReason::UnknownField),
                ("fields.2.max", FieldReason::UnknownField),
                ("fields.2.currency", FieldReason::UnknownField),
                ("fields.2.unit", FieldReason::UnknownField),
                ("fields.2.multiple", FieldReason::UnknownField),
                ("fields.2.template_ids", FieldReason::UnknownField),
                ("fields.3.max", FieldReason::Range),
                ("fields.4.currency", FieldReason::Format),
                ("fields.6.template_ids.1", FieldReason::Required),
            ])
        );
    }

    #[test]
    fn defaults_have_the_value_shape() {
        let mut form = every_kind();
        form[2].default = Some(json!(50)); // count ≤ 10
        form[3].default = Some(json!("abc")); // amount
        form[4].default = Some(json!("2026-13-01")); // day
        form[9].default = Some(json!("zz")); // kind
        form[11].default = Some(json!(["a", "b"])); // who, one member
        form[16].default = Some(json!([{ "name": "x", "qty": "many" }])); // items
        form[17].default = Some(json!("说明")); // note
        assert_eq!(
            check_fields(&form),
            problems(&[
                ("fields.2.default", FieldReason::Range),
                ("fields.3.default", FieldReason::Format),
                ("fields.4.default", FieldReason::Format),
                ("fields.9.default", FieldReason::Unknown),
                ("fields.11.default", FieldReason::TooMany),
                ("fields.16.default", FieldReason::Format),
                ("fields.17.default", FieldReason::UnknownField),
            ])
        );
    }

    #[test]
    fn sums_of_number_and_money_columns() {
        let form = every_kind();
        let table = &form[16];
        let rows = json!([
            { "name": "a", "qty": 1.1, "price": "1000.10" },
            { "name": "b", "qty": 2.2, "price": "234.40" },
            { "name": "c", "qty": 3 },
        ]);
        let sums = table_sums(table, &rows);
        assert_eq!(
            serde_json::to_value(&sums).unwrap(),
            json!({ "qty": 6.3, "price": "1234.50" })
        );
        let whole = table_sums(
            table,
            &json!([{ "qty": 2 }, { "qty": 40 }, { "price": "-5" }]),
        );
        assert_eq!(
            serde_json::to_value(&whole).unwrap(),
            json!({ "qty": 42, "price": "-5.00" })
        );
        let none = table_sums(table, &json!([]));
        assert_eq!(
            serde_json::to_value(&none).unwrap(),
            json!({ "qty": 0, "price": "0.00" })
        );
        assert!(table_sums(&form[0], &rows).is_empty());
        let huge = table_sums(table, &json!([{ "qty": 1e300 }, { "qty": 1e300 }]));
        assert_eq!(huge["qty"], json!(2e300));
    }

    #[tokio::test]
    async fn summaries() {
        let form = every_kind();
        let out = validate_values(&form, &full_input(), &Ctx::fixed())
            .await
            .unwrap();
        assert_eq!(
            summary(&form, &out),
            vec![
                "事由：去上海见客户",
                "详细说明：第一天拜访 第二天签约",
                "数量：7"
            ]
        );
        let some = values(json!({
            "reason": "这是一段很长很长的出差事由，需要在列表里截短显示",
            "amount": "1234567.5",
            "note": "x",
            "leave": { "start": "2026-12-07", "end": "2026-12-09", "duration": 3, "unit": "day" },
        }));
        assert_eq!(
            summary(&form, &some),
            vec![
                "事由：这是一段很长很长的出差事由，需要在列表…",
                "金额：¥1,234,567.50",
                "请假时间：2026-12-07 ~ 2026-12-09（3天）",
            ]
        );
        let more = values(json!({
            "hours": { "start": "2026-12-07 09:00", "end": "2026-12-07 18:30", "duration": 9.5, "unit": "hour" },
            "kind": "b",
            "tags": ["x", "y"],
        }));
        assert_eq!(
            summary(&form, &more),
            vec![
                "加班时间：2026-12-07 09:00 ~ 2026-12-07 18:30（9.5小时）",
                "类型：餐饮",
                "标签：紧急、对外"
            ]
        );
        let people = values(json!({
            "team": ["lisi", "wangwu"],
            "dept": [2],
            "files": [{ "file_id": "f1", "name": "报价单.pdf" }],
            "items": [{ "name": "a" }, { "name": "b" }],
        }));
        assert_eq!(
            summary(&form, &people),
            vec!["同行人：lisi、wangwu", "部门：2", "附件：报价单.pdf"]
        );
        let rest = values(
            json!({ "items": [{ "name": "a" }, { "name": "b" }], "refs": ["202612010001"] }),
        );
        assert_eq!(
            summary(&form, &rest),
            vec!["明细：共2行", "关联审批：202612010001"]
        );
        let mut usd = [field("m", FieldKind::Money, "金额")];
        usd[0].currency = Some("USD".into());
        assert_eq!(
            summary(&usd, &values(json!({ "m": "-1000.00" }))),
            vec!["金额：-USD 1,000.00"]
        );
        assert_eq!(summary(&form, &FormValues::new()), Vec::<String>::new());
    }

    #[test]
    fn numbers_of_values() {
        assert_eq!(number_of(&json!(12)), Some(12.0));
        assert_eq!(number_of(&json!(2.5)), Some(2.5));
        assert_eq!(number_of(&json!("1234.50")), Some(1234.5));
        assert_eq!(number_of(&json!("-3")), Some(-3.0));
        assert_eq!(number_of(&json!("abc")), None);
        assert_eq!(number_of(&json!("1e5")), None);
        assert_eq!(number_of(&json!(true)), None);
        assert_eq!(number_of(&json!(["1"])), None);
    }
}
