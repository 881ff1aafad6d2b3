//! WeCom's shapes of a form and its values (审批, `oa/*`): a template's `template_content.controls`
//! (`oa/gettemplatedetail`, `oa/approval/create_template`, `update_template`) and an application's
//! `apply_data.contents` (`oa/applyevent` in, `oa/getapprovaldetail` out), translated to and from
//! ours so that wechatpy's and WxJava's `oa` calls work unmodified.
//!
//! What WeCom has no place for is lost on the way out and absent on the way back: a field's `hint`,
//! `default`, `min`, `max` and `currency`. What we have no place for is dropped on the way in:
//! `un_print`, a table's `print_format` and `stat_field`, a date range's `official_holiday` and
//! `perday_duration`, the languages of a title other than zh_CN (or the first one).
use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use qixie_kernel::error::FieldReason;
use qixie_kernel::time::Zone;
use serde_json::{Map, Value, json};

use super::validate::{
    Problems, check_fields, fmt_date, fmt_date_time, instant, is_blank, parse_date,
    parse_date_time, parse_half_day, sp_no_of,
};
use super::{ChoiceOption, DurationUnit, Field, FieldKind, FormValues};

/// The language our single-language texts are given in.
const LANG: &str = "zh_CN";
/// Seconds in a day and an hour, the units of WeCom's durations.
const DAY: f64 = 86_400.0;
const HOUR: f64 = 3_600.0;

/// Names of the members and departments a form's values name, for the detail WeCom gives.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub members: HashMap<String, String>,
    pub departments: HashMap<i64, String>,
}

/// WeCom's control for a kind.
fn control_name(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Text => "Text",
        FieldKind::Textarea => "Textarea",
        FieldKind::Number => "Number",
        FieldKind::Money => "Money",
        FieldKind::Date | FieldKind::DateTime => "Date",
        FieldKind::DateRange => "DateRange",
        FieldKind::SingleChoice | FieldKind::MultiChoice => "Selector",
        FieldKind::Member | FieldKind::Department => "Contact",
        FieldKind::Attachment | FieldKind::Image => "File",
        FieldKind::Table => "Table",
        FieldKind::Description => "Tips",
        FieldKind::RelatedApproval => "RelatedApproval",
    }
}

/// A date range's `type`: WeCom's "halfday" and "hour", and "day" for whole days.
fn range_type(unit: Option<DurationUnit>) -> &'static str {
    match unit.unwrap_or_default() {
        DurationUnit::Day => "day",
        DurationUnit::HalfDay => "halfday",
        DurationUnit::Hour => "hour",
    }
}

/// A text in WeCom's multi-language form.
fn texts(text: &str) -> Value {
    json!([{ "text": text, "lang": LANG }])
}

/// A form as WeCom's `template_content.controls` (gettemplatedetail): kinds map to controls
/// (text→Text, textarea→Textarea, number→Number, money→Money, date→Date{type day},
/// date_time→Date{type hour}, date_range→DateRange{type halfday|hour…}, single/multi_choice→Selector,
/// member→Contact{mode user}, department→Contact{mode department}, attachment/image→File
/// {is_only_photo}, table→Table{children}, description→Tips, related_approval→RelatedApproval);
/// titles and placeholders as [{text, lang:"zh_CN"}], require/un_print as 0/1.
///
/// A date range in whole days has `type` "day" (WeCom itself offers half days and hours); an
/// absent unit is whole days and comes back from [`from_controls`] as `day`.
pub fn to_controls(fields: &[Field]) -> Value {
    Value::Array(fields.iter().map(control).collect())
}

fn control(f: &Field) -> Value {
    let config = match f.kind {
        FieldKind::Text | FieldKind::Textarea | FieldKind::Number | FieldKind::Money => json!({}),
        FieldKind::Date => json!({ "date": { "type": "day" } }),
        FieldKind::DateTime => json!({ "date": { "type": "hour" } }),
        FieldKind::DateRange => json!({ "date_range": {
            "type": range_type(f.unit),
            "official_holiday": 0,
            "perday_duration": DAY as i64,
        } }),
        FieldKind::SingleChoice | FieldKind::MultiChoice => json!({ "selector": {
            "type": if f.kind == FieldKind::MultiChoice { "multi" } else { "single" },
            "options": f.options.iter()
                .map(|o| json!({ "key": o.key, "value": texts(&o.text) }))
                .collect::<Vec<_>>(),
        } }),
        FieldKind::Member | FieldKind::Department => json!({ "contact": {
            "type": if f.multiple { "multi" } else { "single" },
            "mode": if f.kind == FieldKind::Member { "user" } else { "department" },
        } }),
        FieldKind::Attachment | FieldKind::Image => json!({ "file": {
            "is_only_photo": u8::from(f.kind == FieldKind::Image),
        } }),
        FieldKind::Table => json!({ "table": {
            "children": f.columns.iter().map(control).collect::<Vec<_>>(),
        } }),
        FieldKind::Description => json!({ "tips": { "tips_content": [{
            "text": { "sub_text": [{ "type": 1, "content": { "plain_text": { "content": f.text } } }] },
            "lang": LANG,
        }] } }),
        FieldKind::RelatedApproval => json!({ "related_approval": {
            "template_id": f.template_ids,
        } }),
    };
    let placeholder = if f.placeholder.is_empty() {
        json!([])
    } else {
        texts(&f.placeholder)
    };
    json!({
        "property": {
            "control": control_name(f.kind),
            "id": f.id,
            "title": texts(&f.title),
            "placeholder": placeholder,
            "require": u8::from(f.required),
            "un_print": 0,
        },
        "config": config,
    })
}

/// The reverse, for `oa/approval/create_template` and `update_template`; errors as
/// (path, FieldReason) naming the control (e.g. `template_content.controls.2.property.id`).
/// Unsupported kinds (Vacation, Attendance, PunchCorrection, Location, Formula, BankAccount,
/// PhoneNumber) are refused with `Unsupported` for now.
///
/// The form is then checked as [`check_fields`] checks one, its problems named by control.
pub fn from_controls(controls: &Value) -> Result<Vec<Field>, Problems> {
    const AT: &str = "template_content.controls";
    let Some(items) = controls.as_array() else {
        return Err(vec![(AT.to_string(), FieldReason::Format)]);
    };
    let mut problems = Vec::new();
    let fields: Vec<Field> = items
        .iter()
        .enumerate()
        .filter_map(|(i, c)| parse_control(c, &format!("{AT}.{i}"), &mut problems))
        .collect();
    if !problems.is_empty() {
        return Err(problems);
    }
    let problems: Problems = check_fields(&fields)
        .into_iter()
        .map(|(path, reason)| (control_path(&path), reason))
        .collect();
    if problems.is_empty() {
        Ok(fields)
    } else {
        Err(problems)
    }
}

fn parse_control(c: &Value, p: &str, problems: &mut Problems) -> Option<Field> {
    let mut fail = |member: &str, reason| {
        problems.push((format!("{p}.{member}"), reason));
        None
    };
    let Some(property) = c.get("property").filter(|v| v.is_object()) else {
        return fail("property", FieldReason::Required);
    };
    let config = c.get("config").cloned().unwrap_or(Value::Null);
    let Some(name) = property.get("control").and_then(Value::as_str) else {
        return fail("property.control", FieldReason::Required);
    };
    let Some(id) = property.get("id").and_then(Value::as_str) else {
        return fail("property.id", FieldReason::Required);
    };
    let Some(title) = text_of(property.get("title")) else {
        return fail("property.title", FieldReason::Format);
    };
    let Some(placeholder) = text_of(property.get("placeholder")) else {
        return fail("property.placeholder", FieldReason::Format);
    };
    let Some(required) = flag(property.get("require")) else {
        return fail("property.require", FieldReason::Format);
    };
    let mut f = Field {
        id: id.to_string(),
        kind: FieldKind::Text,
        title,
        required,
        placeholder,
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
    };
    // A config member's string, when the config has it.
    let setting = |kind: &str, member: &str| {
        config
            .get(kind)
            .and_then(|k| k.get(member))
            .and_then(Value::as_str)
    };
    f.kind = match name {
        "Text" => FieldKind::Text,
        "Textarea" => FieldKind::Textarea,
        "Number" => FieldKind::Number,
        "Money" => FieldKind::Money,
        "Date" => match setting("date", "type").unwrap_or("day") {
            "day" => FieldKind::Date,
            "hour" => FieldKind::DateTime,
            _ => return fail("config.date.type", FieldReason::Unknown),
        },
        "DateRange" => {
            f.unit = match setting("date_range", "type") {
                None => None,
                Some("day") => Some(DurationUnit::Day),
                Some("halfday") => Some(DurationUnit::HalfDay),
                Some("hour") => Some(DurationUnit::Hour),
                Some(_) => return fail("config.date_range.type", FieldReason::Unknown),
            };
            FieldKind::DateRange
        }
        "Selector" => {
            let kind = match setting("selector", "type").unwrap_or("single") {
                "single" => FieldKind::SingleChoice,
                "multi" => FieldKind::MultiChoice,
                _ => return fail("config.selector.type", FieldReason::Unknown),
            };
            let options = config.pointer("/selector/options");
            let empty = Vec::new();
            let Some(options) = options.map_or(Some(&empty), Value::as_array) else {
                return fail("config.selector.options", FieldReason::Format);
            };
            for (k, o) in options.iter().enumerate() {
                let key = o.get("key").and_then(Value::as_str);
                let (Some(key), Some(text)) = (key, text_of(o.get("value"))) else {
                    return fail(&format!("config.selector.options.{k}"), FieldReason::Format);
                };
                f.options.push(ChoiceOption {
                    key: key.to_string(),
                    text,
                });
            }
            kind
        }
        "Contact" => {
            f.multiple = match setting("contact", "type").unwrap_or("single") {
                "single" => false,
                "multi" => true,
                _ => return fail("config.contact.type", FieldReason::Unknown),
            };
            match setting("contact", "mode").unwrap_or("user") {
                "user" => FieldKind::Member,
                "department" => FieldKind::Department,
                _ => return fail("config.contact.mode", FieldReason::Unknown),
            }
        }
        "File" => match flag(config.pointer("/file/is_only_photo")) {
            Some(true) => FieldKind::Image,
            Some(false) => FieldKind::Attachment,
            None => return fail("config.file.is_only_photo", FieldReason::Format),
        },
        "Table" => {
            let Some(children) = config.pointer("/table/children").and_then(Value::as_array) else {
                return fail("config.table.children", FieldReason::Required);
            };
            let mut columns = Vec::new();
            for (j, child) in children.iter().enumerate() {
                let at = format!("{p}.config.table.children.{j}");
                columns.push(parse_control(child, &at, problems));
            }
            f.columns = columns.into_iter().collect::<Option<Vec<_>>>()?;
            FieldKind::Table
        }
        "Tips" => {
            f.text = tips_text(config.pointer("/tips/tips_content"));
            FieldKind::Description
        }
        "RelatedApproval" => {
            let ids = config.pointer("/related_approval/template_id");
            let empty = Vec::new();
            let ids = ids.map_or(Some(&empty), Value::as_array).and_then(|ids| {
                ids.iter()
                    .map(|t| t.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
            });
            let Some(ids) = ids else {
                return fail("config.related_approval.template_id", FieldReason::Format);
            };
            f.template_ids = ids;
            FieldKind::RelatedApproval
        }
        "Vacation" | "Attendance" | "PunchCorrection" | "Location" | "Formula" | "BankAccount"
        | "PhoneNumber" => {
            return fail("property.control", FieldReason::Unsupported);
        }
        _ => return fail("property.control", FieldReason::Unknown),
    };
    Some(f)
}

/// The text of a WeCom multi-language text: the zh_CN one, else the first; a plain string and an
/// absent text are accepted. None when it is neither.
fn text_of(v: Option<&Value>) -> Option<String> {
    match v {
        None | Some(Value::Null) => Some(String::new()),
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(items)) => {
            let item = items
                .iter()
                .find(|t| t.get("lang").and_then(Value::as_str) == Some(LANG))
                .or_else(|| items.first());
            match item {
                None => Some(String::new()),
                Some(t) => t.get("text").and_then(Value::as_str).map(str::to_string),
            }
        }
        Some(_) => None,
    }
}

/// A 0/1 flag, as a number, a boolean or a string; absent is 0.
fn flag(v: Option<&Value>) -> Option<bool> {
    match v {
        None | Some(Value::Null) => Some(false),
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Some(Value::String(s)) => match s.trim() {
            "0" | "" => Some(false),
            "1" => Some(true),
            _ => None,
        },
        Some(_) => None,
    }
}

/// A description's text from Tips content: the zh_CN (else first) tip, plain parts as they are and
/// links as "title (url)".
fn tips_text(content: Option<&Value>) -> String {
    let Some(items) = content.and_then(Value::as_array) else {
        return String::new();
    };
    let tip = items
        .iter()
        .find(|t| t.get("lang").and_then(Value::as_str) == Some(LANG))
        .or_else(|| items.first());
    let parts = tip
        .and_then(|t| t.pointer("/text/sub_text"))
        .and_then(Value::as_array);
    parts
        .into_iter()
        .flatten()
        .filter_map(|part| {
            let content = part.get("content")?;
            if let Some(text) = content
                .pointer("/plain_text/content")
                .and_then(Value::as_str)
            {
                return Some(text.to_string());
            }
            let link = content.get("link")?;
            let title = link
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let url = link.get("url").and_then(Value::as_str).unwrap_or_default();
            Some(format!("{title} ({url})"))
        })
        .collect()
}

/// A problem of [`check_fields`] named by the control: `fields.2.id` is
/// `template_content.controls.2.property.id`, a table's `columns.1.title` is
/// `config.table.children.1.property.title`.
fn control_path(path: &str) -> String {
    let mut segments = path.split('.');
    let _fields = segments.next();
    let rest: Vec<&str> = segments.collect();
    let mut out = String::from("template_content.controls");
    if !rest.is_empty() {
        out.push('.');
        out.push_str(&member_path(&rest));
    }
    out
}

/// `[index, member, …]` of a field as the path inside its control.
fn member_path(rest: &[&str]) -> String {
    let Some((index, member)) = rest.split_first() else {
        return String::new();
    };
    let inner = match member {
        [] => return (*index).to_string(),
        ["id"] => "property.id".to_string(),
        ["title"] => "property.title".to_string(),
        ["placeholder"] => "property.placeholder".to_string(),
        ["required"] => "property.require".to_string(),
        ["kind"] => "property.control".to_string(),
        ["options"] => "config.selector.options".to_string(),
        ["options", k, "key"] => format!("config.selector.options.{k}.key"),
        ["options", k, "text"] => format!("config.selector.options.{k}.value"),
        ["columns"] => "config.table.children".to_string(),
        ["columns", column @ ..] => format!("config.table.children.{}", member_path(column)),
        ["text"] => "config.tips".to_string(),
        ["template_ids", more @ ..] => {
            let mut p = "config.related_approval.template_id".to_string();
            for m in more {
                p.push('.');
                p.push_str(m);
            }
            p
        }
        ["unit"] => "config.date_range.type".to_string(),
        ["multiple"] => "config.contact.type".to_string(),
        _ => "property".to_string(),
    };
    format!("{index}.{inner}")
}

/// `apply_data.contents` of `oa/applyevent` → our values (before `validate_values`): text→text,
/// new_number, new_money (strings), date{type, s_timestamp (string or number, seconds)} → the
/// day/date-time in `zone`, selector options keys, members[{userid}], departments[{openapi_id}],
/// files[{file_id}], children[{list:[…]}] → table rows, date_range{new_begin,new_end} (seconds),
/// related_approval[{sp_no}]. Contents for unknown control ids → `UnknownField` at
/// `apply_data.contents.<i>.id`.
///
/// A date range's moments become days (whole days), a day's half (half days: before noon is am)
/// or date-times (hours). Contents of a description are ignored; an id given twice is `Duplicate`.
/// Values keep WeCom's strings for numbers and money: `validate_values` reads and normalises them.
pub fn from_apply_data(
    fields: &[Field],
    contents: &Value,
    zone: &Zone,
) -> Result<FormValues, Problems> {
    const AT: &str = "apply_data.contents";
    let Some(items) = contents.as_array() else {
        return Err(vec![(AT.to_string(), FieldReason::Format)]);
    };
    let mut reader = Reader {
        zone,
        problems: Vec::new(),
    };
    let mut values = FormValues::new();
    let mut seen = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{AT}.{i}");
        let Some(f) = reader.field_of(fields, item, &p) else {
            continue;
        };
        if !seen.insert(f.id.as_str()) {
            reader.fail::<()>(&format!("{p}.id"), FieldReason::Duplicate);
            continue;
        }
        if let Some(v) = reader.value(f, item.get("value"), &format!("{p}.value")) {
            values.insert(f.id.clone(), v);
        }
    }
    if reader.problems.is_empty() {
        Ok(values)
    } else {
        Err(reader.problems)
    }
}

struct Reader<'z> {
    zone: &'z Zone,
    problems: Problems,
}

impl Reader<'_> {
    fn fail<T>(&mut self, path: &str, reason: FieldReason) -> Option<T> {
        self.problems.push((path.to_string(), reason));
        None
    }

    /// The field a content is for, by its id.
    fn field_of<'f>(&mut self, fields: &'f [Field], item: &Value, p: &str) -> Option<&'f Field> {
        let Some(id) = item.get("id").and_then(Value::as_str) else {
            let reason = if item.is_object() {
                FieldReason::Required
            } else {
                FieldReason::Format
            };
            return self.fail(&format!("{p}.id"), reason);
        };
        match fields.iter().find(|f| f.id == id) {
            Some(f) => Some(f),
            None => self.fail(&format!("{p}.id"), FieldReason::UnknownField),
        }
    }

    /// Our value of a content's `value`, None when it holds none.
    fn value(&mut self, f: &Field, v: Option<&Value>, p: &str) -> Option<Value> {
        let v = v.filter(|v| !v.is_null())?;
        let get = |member: &str| v.get(member).filter(|x| !x.is_null());
        match f.kind {
            FieldKind::Text | FieldKind::Textarea => get("text").cloned(),
            FieldKind::Number => get("new_number").cloned(),
            FieldKind::Money => get("new_money").cloned(),
            FieldKind::Date | FieldKind::DateTime => {
                let stamp = v.pointer("/date/s_timestamp").filter(|s| !is_blank(s))?;
                let Some(local) = self.local(stamp) else {
                    return self.fail(&format!("{p}.date.s_timestamp"), FieldReason::Format);
                };
                Some(Value::String(if f.kind == FieldKind::Date {
                    fmt_date(local.date())
                } else {
                    fmt_date_time(local.datetime())
                }))
            }
            FieldKind::DateRange => {
                let range = get("date_range")?;
                let begin = range.get("new_begin").filter(|s| !is_blank(s));
                let end = range.get("new_end").filter(|s| !is_blank(s));
                let mut part = |stamp: Option<&Value>, member: &str| -> Option<Value> {
                    let stamp = stamp?;
                    let Some(local) = self.local(stamp) else {
                        return self.fail(&format!("{p}.date_range.{member}"), FieldReason::Format);
                    };
                    Some(Value::String(match f.unit.unwrap_or_default() {
                        DurationUnit::Day => fmt_date(local.date()),
                        DurationUnit::HalfDay => format!(
                            "{} {}",
                            fmt_date(local.date()),
                            if local.hour() < 12 { "am" } else { "pm" }
                        ),
                        DurationUnit::Hour => fmt_date_time(local.datetime()),
                    }))
                };
                let (start, end) = (part(begin, "new_begin"), part(end, "new_end"));
                if start.is_none() && end.is_none() {
                    return None;
                }
                let mut o = Map::new();
                o.extend(start.map(|s| ("start".to_string(), s)));
                o.extend(end.map(|s| ("end".to_string(), s)));
                Some(Value::Object(o))
            }
            FieldKind::SingleChoice | FieldKind::MultiChoice => {
                let options = get("selector")?.get("options")?;
                let keys = self.list(options, &format!("{p}.selector.options"), |o| {
                    o.get("key").and_then(Value::as_str).map(|k| json!(k))
                })?;
                if f.kind == FieldKind::SingleChoice && keys.len() == 1 {
                    return keys.into_iter().next();
                }
                Some(Value::Array(keys))
            }
            FieldKind::Member => {
                let members = get("members")?;
                self.list(members, &format!("{p}.members"), |m| {
                    m.get("userid").and_then(Value::as_str).map(|u| json!(u))
                })
                .map(Value::Array)
            }
            FieldKind::Department => {
                let departments = get("departments")?;
                self.list(departments, &format!("{p}.departments"), |d| {
                    let id: Option<i64> = match d.get("openapi_id")? {
                        Value::Number(n) => n.as_i64(),
                        Value::String(s) => s.trim().parse().ok(),
                        _ => None,
                    };
                    id.map(|id| json!(id))
                })
                .map(Value::Array)
            }
            FieldKind::Attachment | FieldKind::Image => {
                let files = get("files")?;
                self.list(files, &format!("{p}.files"), |file| {
                    let id = file.get("file_id").and_then(Value::as_str)?;
                    Some(json!({ "file_id": id }))
                })
                .map(Value::Array)
            }
            FieldKind::Table => {
                let children = get("children")?;
                let Some(children) = children.as_array() else {
                    return self.fail(&format!("{p}.children"), FieldReason::Format);
                };
                let mut rows = Vec::new();
                for (r, child) in children.iter().enumerate() {
                    let at = format!("{p}.children.{r}.list");
                    let Some(list) = child.get("list").and_then(Value::as_array) else {
                        self.fail::<()>(&at, FieldReason::Format);
                        continue;
                    };
                    let mut row = Map::new();
                    for (k, cell) in list.iter().enumerate() {
                        let cp = format!("{at}.{k}");
                        let Some(c) = self.field_of(&f.columns, cell, &cp) else {
                            continue;
                        };
                        if let Some(x) = self.value(c, cell.get("value"), &format!("{cp}.value")) {
                            row.insert(c.id.clone(), x);
                        }
                    }
                    rows.push(Value::Object(row));
                }
                Some(Value::Array(rows))
            }
            FieldKind::Description => None,
            FieldKind::RelatedApproval => {
                let related = get("related_approval")?;
                self.list(related, &format!("{p}.related_approval"), |a| {
                    a.get("sp_no").and_then(sp_no_of).map(Value::String)
                })
                .map(Value::Array)
            }
        }
    }

    /// Each item of a WeCom list read by `item`; a wrong one is a `Format` problem at its index.
    fn list(
        &mut self,
        v: &Value,
        p: &str,
        item: impl Fn(&Value) -> Option<Value>,
    ) -> Option<Vec<Value>> {
        let Some(items) = v.as_array() else {
            return self.fail(p, FieldReason::Format);
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (k, x) in items.iter().enumerate() {
            match item(x) {
                Some(value) => out.push(value),
                None => {
                    ok = false;
                    self.fail::<()>(&format!("{p}.{k}"), FieldReason::Format);
                }
            }
        }
        ok.then_some(out)
    }

    /// Unix seconds (a string or a number) on the wall clock of the zone.
    fn local(&self, stamp: &Value) -> Option<jiff::Zoned> {
        let seconds = match stamp {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }?;
        let t = Timestamp::from_second(seconds).ok()?;
        Some(t.to_zoned(self.zone.time_zone().clone()))
    }
}

/// `info.apply_data.contents` of `oa/getapprovaldetail`: every field in form order with `control`,
/// `id`, `title` [{text, lang}], and `value` carrying every value key as WeCom does (text,
/// new_number, new_money, date, selector, members, departments, files, children, tips: [],
/// stat_field: [], sum_field, related_approval …; empty arrays for the ones not used). Member and
/// department names come from `names` (userid → name, department id → name).
///
/// Every `value` has the lists `tips`, `members`, `departments`, `files`, `children`,
/// `stat_field`, `sum_field` and `related_approval`, and the member of its own kind: `text`,
/// `new_number` and `new_money` as strings ("" when empty), `date{type, s_timestamp}` with the
/// seconds as a string (a day at its local midnight), `selector{type, options[{key, value}]}`,
/// `date_range{type, new_begin, new_end, new_duration}` in seconds (am at midnight, pm at noon).
/// Files carry `file_id` and `file_name`; a table's rows are `children[{list:[content…]}]`.
pub fn to_apply_data(fields: &[Field], values: &FormValues, zone: &Zone, names: &Names) -> Value {
    Value::Array(
        fields
            .iter()
            .map(|f| content(f, values.get(&f.id), zone, names))
            .collect(),
    )
}

fn content(f: &Field, v: Option<&Value>, zone: &Zone, names: &Names) -> Value {
    let v = v.filter(|v| !is_blank(v));
    let mut value = Map::new();
    for list in [
        "tips",
        "members",
        "departments",
        "files",
        "children",
        "stat_field",
        "sum_field",
        "related_approval",
    ] {
        value.insert(list.to_string(), json!([]));
    }
    let items = || v.and_then(Value::as_array).cloned().unwrap_or_default();
    let string = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let (member, shown) = match f.kind {
        FieldKind::Text | FieldKind::Textarea => ("text", json!(string(v))),
        FieldKind::Number => ("new_number", json!(string(v))),
        FieldKind::Money => ("new_money", json!(string(v))),
        FieldKind::Date | FieldKind::DateTime => {
            let at = v.and_then(Value::as_str).and_then(|s| {
                let dt = if f.kind == FieldKind::Date {
                    parse_date(s)?.to_datetime(Time::midnight())
                } else {
                    parse_date_time(s)?
                };
                instant(zone.time_zone(), dt)
            });
            let kind = if f.kind == FieldKind::Date {
                "day"
            } else {
                "hour"
            };
            let seconds = at.map_or(String::new(), |t| t.as_second().to_string());
            ("date", json!({ "type": kind, "s_timestamp": seconds }))
        }
        FieldKind::DateRange => ("date_range", date_range(f, v, zone)),
        FieldKind::SingleChoice | FieldKind::MultiChoice => {
            let keys = match v {
                Some(Value::Array(keys)) => keys.clone(),
                Some(key) => vec![key.clone()],
                None => Vec::new(),
            };
            let options: Vec<Value> = keys
                .iter()
                .filter_map(Value::as_str)
                .map(|k| {
                    let text = f
                        .options
                        .iter()
                        .find(|o| o.key == k)
                        .map_or("", |o| o.text.as_str());
                    json!({ "key": k, "value": texts(text) })
                })
                .collect();
            let kind = if f.kind == FieldKind::MultiChoice {
                "multi"
            } else {
                "single"
            };
            ("selector", json!({ "type": kind, "options": options }))
        }
        FieldKind::Member => {
            let members: Vec<Value> = items()
                .iter()
                .filter_map(Value::as_str)
                .map(|u| {
                    let name = names.members.get(u).map_or("", String::as_str);
                    json!({ "userid": u, "name": name })
                })
                .collect();
            ("members", json!(members))
        }
        FieldKind::Department => {
            let departments: Vec<Value> = items()
                .iter()
                .filter_map(Value::as_i64)
                .map(|d| {
                    let name = names.departments.get(&d).map_or("", String::as_str);
                    json!({ "openapi_id": d.to_string(), "name": name })
                })
                .collect();
            ("departments", json!(departments))
        }
        FieldKind::Attachment | FieldKind::Image => {
            let files: Vec<Value> = items()
                .iter()
                .filter_map(|file| {
                    let id = file.get("file_id").and_then(Value::as_str)?;
                    let name = file.get("name").and_then(Value::as_str).unwrap_or_default();
                    Some(json!({ "file_id": id, "file_name": name }))
                })
                .collect();
            ("files", json!(files))
        }
        FieldKind::Table => {
            let rows: Vec<Value> = items()
                .iter()
                .map(|row| {
                    let list: Vec<Value> = f
                        .columns
                        .iter()
                        .map(|c| content(c, row.get(&c.id), zone, names))
                        .collect();
                    json!({ "list": list })
                })
                .collect();
            ("children", json!(rows))
        }
        FieldKind::Description => ("tips", json!([])),
        FieldKind::RelatedApproval => {
            let related: Vec<Value> = items()
                .iter()
                .filter_map(sp_no_of)
                .map(|sp_no| json!({ "sp_no": sp_no }))
                .collect();
            ("related_approval", json!(related))
        }
    };
    value.insert(member.to_string(), shown);
    json!({
        "control": control_name(f.kind),
        "id": f.id,
        "title": texts(&f.title),
        "value": value,
    })
}

/// A stored date range as WeCom's `date_range`: its ends and duration in seconds.
fn date_range(f: &Field, v: Option<&Value>, zone: &Zone) -> Value {
    let unit = f.unit.unwrap_or_default();
    let moment = |end: &str| -> Option<i64> {
        let s = v?.get(end)?.as_str()?;
        let dt = match unit {
            DurationUnit::Day => parse_date(s)?.to_datetime(Time::midnight()),
            DurationUnit::HalfDay => {
                let (day, pm): (Date, bool) = parse_half_day(s)?;
                day.to_datetime(Time::new(if pm { 12 } else { 0 }, 0, 0, 0).ok()?)
            }
            DurationUnit::Hour => parse_date_time(s)?,
        };
        Some(instant(zone.time_zone(), dt)?.as_second())
    };
    let duration = v
        .and_then(|v| v.get("duration"))
        .and_then(Value::as_f64)
        .unwrap_or_default();
    let per_unit = if unit == DurationUnit::Hour {
        HOUR
    } else {
        DAY
    };
    json!({
        "type": range_type(f.unit),
        "new_begin": moment("start").unwrap_or_default(),
        "new_end": moment("end").unwrap_or_default(),
        "new_duration": (duration * per_unit).round() as i64,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::form::validate::testctx::Ctx;
    use crate::form::validate::testform::{every_kind, field, options};
    use crate::form::validate::validate_values;

    fn problems(list: &[(&str, FieldReason)]) -> Problems {
        list.iter().map(|(p, r)| (p.to_string(), *r)).collect()
    }

    /// A detail `value`: the lists every value has, and `own`'s members.
    fn value(own: Value) -> Value {
        let mut base = json!({
            "tips": [], "members": [], "departments": [], "files": [], "children": [],
            "stat_field": [], "sum_field": [], "related_approval": [],
        });
        for (k, x) in own.as_object().unwrap() {
            base[k] = x.clone();
        }
        base
    }

    fn content(control: &str, id: &str, title: &str, own: Value) -> Value {
        json!({
            "control": control,
            "id": id,
            "title": [{ "text": title, "lang": "zh_CN" }],
            "value": value(own),
        })
    }

    /// `every_kind` without what WeCom has no place for.
    fn wecom_form() -> Vec<Field> {
        let mut form = every_kind();
        for f in &mut form {
            f.min = None;
            f.max = None;
        }
        form[0].placeholder = "例如：拜访客户".into();
        form[16].columns[1].placeholder = "件数".into();
        form
    }

    #[test]
    fn controls_of_a_form() {
        use FieldKind::*;
        let mut reason = field("Text-01", Text, "事由");
        reason.required = true;
        reason.placeholder = "请输入".into();
        let mut kind = field("Selector-01", MultiChoice, "类型");
        kind.options = options(&[("option-1", "差旅"), ("option-2", "餐饮")]);
        let mut items = field("Table-01", Table, "明细");
        items.columns = vec![field("Money-01", Money, "金额")];
        let mut note = field("Tips-01", Description, "说明");
        note.text = "按公司制度报销".into();
        let mut leave = field("DateRange-01", DateRange, "时长");
        leave.unit = Some(DurationUnit::HalfDay);
        let mut team = field("Contact-01", Department, "部门");
        team.multiple = true;
        let form = [
            reason,
            kind,
            items,
            note,
            leave,
            team,
            field("File-01", Image, "照片"),
        ];
        let property = |control: &str, id: &str, title: &str| {
            json!({
                "control": control, "id": id, "title": [{ "text": title, "lang": "zh_CN" }],
                "placeholder": [], "require": 0, "un_print": 0,
            })
        };
        assert_eq!(
            to_controls(&form),
            json!([
                {
                    "property": {
                        "control": "Text", "id": "Text-01", "title": [{ "text": "事由", "lang": "zh_CN" }],
                        "placeholder": [{ "text": "请输入", "lang": "zh_CN" }], "require": 1, "un_print": 0,
                    },
                    "config": {},
                },
                {
                    "property": property("Selector", "Selector-01", "类型"),
                    "config": { "selector": { "type": "multi", "options": [
                        { "key": "option-1", "value": [{ "text": "差旅", "lang": "zh_CN" }] },
                        { "key": "option-2", "value": [{ "text": "餐饮", "lang": "zh_CN" }] },
                    ] } },
                },
                {
                    "property": property("Table", "Table-01", "明细"),
                    "config": { "table": { "children": [
                        { "property": property("Money", "Money-01", "金额"), "config": {} },
                    ] } },
                },
                {
                    "property": property("Tips", "Tips-01", "说明"),
                    "config": { "tips": { "tips_content": [{
                        "text": { "sub_text": [{ "type": 1, "content": { "plain_text": { "content": "按公司制度报销" } } }] },
                        "lang": "zh_CN",
                    }] } },
                },
                {
                    "property": property("DateRange", "DateRange-01", "时长"),
                    "config": { "date_range": { "type": "halfday", "official_holiday": 0, "perday_duration": 86400 } },
                },
                {
                    "property": property("Contact", "Contact-01", "部门"),
                    "config": { "contact": { "type": "multi", "mode": "department" } },
                },
                {
                    "property": property("File", "File-01", "照片"),
                    "config": { "file": { "is_only_photo": 1 } },
                },
            ])
        );
    }

    #[test]
    fn controls_come_back_as_the_same_form() {
        let form = wecom_form();
        assert_eq!(from_controls(&to_controls(&form)), Ok(form));
    }

    #[test]
    fn what_wecom_has_no_place_for_is_lost() {
        let mut amount = field("amount", FieldKind::Money, "金额");
        amount.hint = "含税".into();
        amount.default = Some(json!("100.00"));
        amount.min = Some(0.0);
        amount.max = Some(5000.0);
        amount.currency = Some("USD".into());
        let mut leave = field("leave", FieldKind::DateRange, "请假");
        leave.unit = None;
        let back = from_controls(&to_controls(&[amount, leave])).unwrap();
        let mut whole_days = field("leave", FieldKind::DateRange, "请假");
        whole_days.unit = Some(DurationUnit::Day);
        assert_eq!(
            back,
            vec![field("amount", FieldKind::Money, "金额"), whole_days]
        );
    }

    /// A create_template body as WeCom's documentation and SDK samples write it.
    fn create_template_controls() -> Value {
        let property = |control: &str, id: &str, title: &str| {
            json!({
                "control": control, "id": id,
                "title": [{ "text": title, "lang": "zh_CN" }, { "text": "ignored", "lang": "en" }],
                "placeholder": [{ "text": format!("{title}说明"), "lang": "zh_CN" }],
                "require": 0, "un_print": 1,
            })
        };
        json!([
            { "property": property("Text", "Text-01", "文本控件名称"), "config": {} },
            { "property": property("Textarea", "Textarea-01", "多行文本"), "config": {} },
            { "property": property("Number", "Number-01", "数字控件名称"), "config": {} },
            {
                "property": {
                    "control": "Money", "id": "Money-01", "title": [{ "text": "金额控件名称", "lang": "zh_CN" }],
                    "require": "1",
                },
                "config": {},
            },
            { "property": property("Date", "Date-01", "日期控件名称"), "config": { "date": { "type": "day" } } },
            { "property": property("Date", "Date-02", "时间控件名称"), "config": { "date": { "type": "hour" } } },
            {
                "property": property("Selector", "Selector-01", "多选控件名称"),
                "config": { "selector": { "type": "multi", "exp_type": 0, "options": [
                    { "key": "option-1", "value": [{ "text": "选项1", "lang": "zh_CN" }] },
                    { "key": "option-2", "value": [{ "text": "选项2", "lang": "zh_CN" }] },
                ] } },
            },
            { "property": property("Contact", "Contact-01", "成员控件名称"), "config": { "contact": { "type": "single", "mode": "user" } } },
            { "property": property("Contact", "Contact-02", "部门控件名称"), "config": { "contact": { "type": "multi", "mode": "department" } } },
            {
                "property": property("Tips", "Tips-01", "说明文字控件名称"),
                "config": { "tips": { "tips_content": [
                    { "text": { "sub_text": [
                        { "type": 1, "content": { "plain_text": { "content": "说明文字" } } },
                        { "type": 2, "content": { "link": { "title": "这是一个链接", "url": "https://work.weixin.qq.com" } } },
                    ] }, "lang": "zh_CN" },
                    { "text": { "sub_text": [{ "type": 1, "content": { "plain_text": { "content": "tips" } } }] }, "lang": "en" },
                ] } },
            },
            { "property": property("File", "File-01", "图片控件名称"), "config": { "file": { "is_only_photo": 1 } } },
            { "property": property("File", "File-02", "附件控件名称"), "config": { "file": { "is_only_photo": 0 } } },
            {
                "property": property("Table", "Table-01", "明细控件名称"),
                "config": { "table": { "print_format": 0, "children": [
                    { "property": property("File", "File-01", "File控件名称"), "config": { "file": { "is_only_photo": 1 } } },
                    { "property": property("Date", "Date-01", "Date控件名称"), "config": { "date": { "type": "day" } } },
                ] } },
            },
            {
                "property": property("DateRange", "DateRange-01", "时长控件名称"),
                "config": { "date_range": { "type": "halfday", "official_holiday": 0, "perday_duration": 86400 } },
            },
            {
                "property": property("RelatedApproval", "RelatedApproval-01", "关联审批单"),
                "config": { "related_approval": { "template_id": ["3Tka1eD6v6JfzhDMqPd3aMkFdxqtJMc2ZRioUBGCNS"] } },
            },
        ])
    }

    #[test]
    fn a_template_from_wecom() {
        use FieldKind::*;
        let with = |id: &str, kind: FieldKind, title: &str| {
            let mut f = field(id, kind, title);
            f.placeholder = format!("{title}说明");
            f
        };
        let mut money = field("Money-01", Money, "金额控件名称");
        money.required = true;
        let mut selector = with("Selector-01", MultiChoice, "多选控件名称");
        selector.options = options(&[("option-1", "选项1"), ("option-2", "选项2")]);
        let mut departments = with("Contact-02", Department, "部门控件名称");
        departments.multiple = true;
        let mut tips = with("Tips-01", Description, "说明文字控件名称");
        tips.text = "说明文字这是一个链接 (https://work.weixin.qq.com)".into();
        let mut table = with("Table-01", Table, "明细控件名称");
        table.columns = vec![
            with("File-01", Image, "File控件名称"),
            with("Date-01", Date, "Date控件名称"),
        ];
        let mut range = with("DateRange-01", DateRange, "时长控件名称");
        range.unit = Some(DurationUnit::HalfDay);
        let mut related = with("RelatedApproval-01", RelatedApproval, "关联审批单");
        related.template_ids = vec!["3Tka1eD6v6JfzhDMqPd3aMkFdxqtJMc2ZRioUBGCNS".into()];
        assert_eq!(
            from_controls(&create_template_controls()),
            Ok(vec![
                with("Text-01", Text, "文本控件名称"),
                with("Textarea-01", Textarea, "多行文本"),
                with("Number-01", Number, "数字控件名称"),
                money,
                with("Date-01", Date, "日期控件名称"),
                with("Date-02", DateTime, "时间控件名称"),
                selector,
                with("Contact-01", Member, "成员控件名称"),
                departments,
                tips,
                with("File-01", Image, "图片控件名称"),
                with("File-02", Attachment, "附件控件名称"),
                table,
                range,
                related,
            ])
        );
    }

    #[test]
    fn controls_we_cannot_read() {
        assert_eq!(
            from_controls(&json!({ "controls": [] })),
            Err(problems(&[(
                "template_content.controls",
                FieldReason::Format
            )]))
        );
        let title = json!([{ "text": "标题", "lang": "zh_CN" }]);
        let controls = json!([
            { "property": { "control": "Attendance", "id": "Attendance-01", "title": title }, "config": { "attendance": { "type": 3 } } },
            { "property": { "control": "Location", "id": "Location-01", "title": title }, "config": { "location": { "distance": 100 } } },
            { "property": { "control": "Slider", "id": "Slider-01", "title": title } },
            { "property": { "control": "Text", "title": title } },
            { "config": {} },
            { "property": { "control": "Selector", "id": "Selector-01", "title": title }, "config": { "selector": { "type": "radio" } } },
            { "property": { "control": "File", "id": "File-01", "title": title }, "config": { "file": { "is_only_photo": 2 } } },
            { "property": { "control": "Text", "id": "Text-01", "title": title, "require": "yes" } },
            { "property": { "control": "Table", "id": "Table-01", "title": title }, "config": { "table": {} } },
            { "property": { "control": "Table", "id": "Table-02", "title": title }, "config": { "table": { "children": [
                { "property": { "control": "Vacation", "id": "Vacation-01", "title": title } },
            ] } } },
        ]);
        assert_eq!(
            from_controls(&controls),
            Err(problems(&[
                (
                    "template_content.controls.0.property.control",
                    FieldReason::Unsupported
                ),
                (
                    "template_content.controls.1.property.control",
                    FieldReason::Unsupported
                ),
                (
                    "template_content.controls.2.property.control",
                    FieldReason::Unknown
                ),
                (
                    "template_content.controls.3.property.id",
                    FieldReason::Required
                ),
                (
                    "template_content.controls.4.property",
                    FieldReason::Required
                ),
                (
                    "template_content.controls.5.config.selector.type",
                    FieldReason::Unknown
                ),
                (
                    "template_content.controls.6.config.file.is_only_photo",
                    FieldReason::Format
                ),
                (
                    "template_content.controls.7.property.require",
                    FieldReason::Format
                ),
                (
                    "template_content.controls.8.config.table.children",
                    FieldReason::Required
                ),
                (
                    "template_content.controls.9.config.table.children.0.property.control",
                    FieldReason::Unsupported
                ),
            ]))
        );
    }

    #[test]
    fn form_problems_are_named_by_control() {
        let text = |id: &str, title: &str| json!({ "property": { "control": "Text", "id": id, "title": [{ "text": title, "lang": "zh_CN" }] }, "config": {} });
        let title = |t: &str| json!([{ "text": t, "lang": "zh_CN" }]);
        let controls = json!([
            text("Text-01", "事由"),
            text("Text-01", "说明"),
            { "property": { "control": "Selector", "id": "Selector-01", "title": title("单选") }, "config": { "selector": { "type": "single", "options": [] } } },
            { "property": { "control": "Selector", "id": "Selector-02", "title": title("多选") }, "config": { "selector": { "type": "multi", "options": [
                { "key": "k", "value": title("甲") },
                { "key": "k", "value": title("") },
            ] } } },
            { "property": { "control": "Table", "id": "Table-01", "title": title("明细") }, "config": { "table": { "children": [
                { "property": { "control": "Table", "id": "Table-02", "title": title("子表") }, "config": { "table": { "children": [text("Text-02", "x")] } } },
                text("Text-03", ""),
            ] } } },
            { "property": { "control": "Tips", "id": "Tips-01", "title": title("说明文字") }, "config": { "tips": { "tips_content": [] } } },
            text("Text-04", &"长".repeat(41)),
            text("Bad id!", "坏"),
        ]);
        assert_eq!(
            from_controls(&controls),
            Err(problems(&[
                (
                    "template_content.controls.1.property.id",
                    FieldReason::Duplicate
                ),
                (
                    "template_content.controls.2.config.selector.options",
                    FieldReason::Required
                ),
                (
                    "template_content.controls.3.config.selector.options.1.key",
                    FieldReason::Duplicate
                ),
                (
                    "template_content.controls.3.config.selector.options.1.value",
                    FieldReason::Required
                ),
                (
                    "template_content.controls.4.config.table.children.0.property.control",
                    FieldReason::Unsupported
                ),
                (
                    "template_content.controls.4.config.table.children.1.property.title",
                    FieldReason::Required
                ),
                (
                    "template_content.controls.5.config.tips",
                    FieldReason::Required
                ),
                (
                    "template_content.controls.6.property.title",
                    FieldReason::TooLong
                ),
                (
                    "template_content.controls.7.property.id",
                    FieldReason::Format
                ),
            ]))
        );
        assert_eq!(control_path("fields"), "template_content.controls");
        assert_eq!(
            control_path("fields.4.template_ids.1"),
            "template_content.controls.4.config.related_approval.template_id.1"
        );
    }

    #[test]
    fn the_applyevent_sample() {
        // §A.3: the one Text content of WeCom's documented request.
        let fields = [field("Text-15111111111", FieldKind::Text, "文本")];
        let contents = json!([{ "control": "Text", "id": "Text-15111111111", "value": { "text": "文本填写的内容" } }]);
        let values = from_apply_data(&fields, &contents, &Zone::default()).unwrap();
        assert_eq!(
            serde_json::to_value(&values).unwrap(),
            json!({ "Text-15111111111": "文本填写的内容" })
        );
    }

    /// An applyevent's `apply_data.contents` for `every_kind`, as WeCom's clients send it.
    fn every_kind_contents() -> Value {
        json!([
            { "control": "Text", "id": "reason", "value": { "text": "去上海见客户" } },
            { "control": "Textarea", "id": "detail", "title": [{ "text": "ignored", "lang": "zh_CN" }], "value": { "text": "第一天拜访" } },
            { "control": "Number", "id": "count", "value": { "new_number": "7" } },
            { "control": "Money", "id": "amount", "value": { "new_money": "1234.5" } },
            { "control": "Date", "id": "day", "value": { "date": { "type": "day", "s_timestamp": "1796572800" } } },
            { "control": "Date", "id": "at", "value": { "date": { "type": "hour", "s_timestamp": 1796607000 } } },
            { "control": "DateRange", "id": "leave", "value": { "date_range": { "type": "day", "new_begin": 1796572800, "new_end": "1796745600" } } },
            { "control": "DateRange", "id": "half", "value": { "date_range": { "type": "halfday", "new_begin": 1796572800, "new_end": 1796659200, "new_duration": 129600 } } },
            { "control": "DateRange", "id": "hours", "value": { "date_range": { "type": "hour", "new_begin": 1796605200, "new_end": 1796639400 } } },
            { "control": "Selector", "id": "kind", "value": { "selector": { "type": "single", "options": [{ "key": "a" }] } } },
            { "control": "Selector", "id": "tags", "value": { "selector": { "type": "multi", "options": [{ "key": "x" }, { "key": "z", "value": [] }] } } },
            { "control": "Contact", "id": "who", "value": { "members": [{ "userid": "zhangsan", "name": "张三" }] } },
            { "control": "Contact", "id": "team", "value": { "members": [{ "userid": "lisi" }, { "userid": "wangwu" }] } },
            { "control": "Contact", "id": "dept", "value": { "departments": [{ "openapi_id": "2" }] } },
            { "control": "File", "id": "files", "value": { "files": [{ "file_id": "f1" }] } },
            { "control": "File", "id": "pics", "value": { "files": [{ "file_id": "f2" }, { "file_id": "f3" }] } },
            { "control": "Table", "id": "items", "value": { "children": [
                { "list": [
                    { "control": "Text", "id": "name", "value": { "text": "机票" } },
                    { "control": "Number", "id": "qty", "value": { "new_number": "2" } },
                    { "control": "Money", "id": "price", "value": { "new_money": "800" } },
                    { "control": "File", "id": "proof", "value": { "files": [{ "file_id": "f1" }] } },
                ] },
                { "list": [{ "control": "Text", "id": "name", "value": { "text": "酒店" } }] },
            ] } },
            { "control": "Tips", "id": "note", "value": { "tips": [] } },
            { "control": "RelatedApproval", "id": "refs", "value": { "related_approval": [{ "sp_no": "202612010001" }] } },
        ])
    }

    #[test]
    fn apply_data_becomes_values() {
        let values =
            from_apply_data(&every_kind(), &every_kind_contents(), &Zone::default()).unwrap();
        assert_eq!(
            serde_json::to_value(&values).unwrap(),
            json!({
                "reason": "去上海见客户",
                "detail": "第一天拜访",
                "count": "7",
                "amount": "1234.5",
                "day": "2026-12-07",
                "at": "2026-12-07 09:30",
                "leave": { "start": "2026-12-07", "end": "2026-12-09" },
                "half": { "start": "2026-12-07 am", "end": "2026-12-08 am" },
                "hours": { "start": "2026-12-07 09:00", "end": "2026-12-07 18:30" },
                "kind": "a",
                "tags": ["x", "z"],
                "who": ["zhangsan"],
                "team": ["lisi", "wangwu"],
                "dept": [2],
                "files": [{ "file_id": "f1" }],
                "pics": [{ "file_id": "f2" }, { "file_id": "f3" }],
                "items": [
                    { "name": "机票", "qty": "2", "price": "800", "proof": [{ "file_id": "f1" }] },
                    { "name": "酒店" },
                ],
                "refs": ["202612010001"],
            })
        );
    }

    #[test]
    fn afternoons_of_half_day_ranges() {
        let mut half = field("half", FieldKind::DateRange, "半天");
        half.unit = Some(DurationUnit::HalfDay);
        // 2026-12-07 12:00 to 2026-12-08 12:00 in Shanghai.
        let contents = json!([{ "control": "DateRange", "id": "half", "value": { "date_range": {
            "type": "halfday", "new_begin": "1796616000", "new_end": 1796702400 } } }]);
        let values =
            from_apply_data(std::slice::from_ref(&half), &contents, &Zone::default()).unwrap();
        assert_eq!(
            values["half"],
            json!({ "start": "2026-12-07 pm", "end": "2026-12-08 pm" })
        );
        let mut stored = values.clone();
        stored.insert(
            "half".into(),
            json!({ "start": "2026-12-07 pm", "end": "2026-12-08 pm", "duration": 1, "unit": "half_day" }),
        );
        let detail = to_apply_data(&[half], &stored, &Zone::default(), &Names::default());
        assert_eq!(
            detail[0]["value"]["date_range"],
            json!({ "type": "halfday", "new_begin": 1796616000, "new_end": 1796702400, "new_duration": 86400 })
        );
    }

    #[test]
    fn apply_data_we_cannot_read() {
        let contents = json!([
            { "control": "Text", "id": "nobody", "value": { "text": "x" } },
            { "control": "Date", "id": "day", "value": { "date": { "type": "day", "s_timestamp": "tomorrow" } } },
            { "control": "Text", "id": "reason", "value": { "text": "a" } },
            { "control": "Text", "id": "reason", "value": { "text": "b" } },
            { "control": "Table", "id": "items", "value": { "children": [
                { "list": [{ "control": "Text", "id": "name", "value": { "text": "x" } }, { "control": "Text", "id": "colour", "value": { "text": "red" } }] },
                { "rows": [] },
            ] } },
            { "control": "Contact", "id": "who", "value": { "members": [{ "name": "张三" }] } },
            { "control": "Contact", "id": "dept", "value": { "departments": [{ "openapi_id": "财务" }] } },
            { "control": "Text", "value": { "text": "x" } },
            "Text",
            { "control": "DateRange", "id": "leave", "value": { "date_range": { "new_begin": "x", "new_end": 1796745600 } } },
        ]);
        assert_eq!(
            from_apply_data(&every_kind(), &contents, &Zone::default()),
            Err(problems(&[
                ("apply_data.contents.0.id", FieldReason::UnknownField),
                (
                    "apply_data.contents.1.value.date.s_timestamp",
                    FieldReason::Format
                ),
                ("apply_data.contents.3.id", FieldReason::Duplicate),
                (
                    "apply_data.contents.4.value.children.0.list.1.id",
                    FieldReason::UnknownField
                ),
                (
                    "apply_data.contents.4.value.children.1.list",
                    FieldReason::Format
                ),
                ("apply_data.contents.5.value.members.0", FieldReason::Format),
                (
                    "apply_data.contents.6.value.departments.0",
                    FieldReason::Format
                ),
                ("apply_data.contents.7.id", FieldReason::Required),
                ("apply_data.contents.8.id", FieldReason::Format),
                (
                    "apply_data.contents.9.value.date_range.new_begin",
                    FieldReason::Format
                ),
            ]))
        );
        assert_eq!(
            from_apply_data(&every_kind(), &json!({ "contents": [] }), &Zone::default()),
            Err(problems(&[("apply_data.contents", FieldReason::Format)]))
        );
        // Nothing filled in is no value.
        let empty = json!([
            { "control": "Text", "id": "reason", "value": { "text": null } },
            { "control": "Date", "id": "day", "value": { "date": { "type": "day", "s_timestamp": "" } } },
            { "control": "Contact", "id": "who" },
        ]);
        assert_eq!(
            from_apply_data(&every_kind(), &empty, &Zone::default()),
            Ok(FormValues::new())
        );
    }

    #[tokio::test]
    async fn apply_data_in_detail_out() {
        let ctx = Ctx::fixed();
        let form = every_kind();
        let zone = Zone::default();
        let read = from_apply_data(&form, &every_kind_contents(), &zone).unwrap();
        let stored = validate_values(&form, &read, &ctx).await.unwrap();
        let names = Names {
            members: [("zhangsan", "张三"), ("lisi", "李四")]
                .into_iter()
                .map(|(u, n)| (u.to_string(), n.to_string()))
                .collect(),
            departments: [(2, "财务部".to_string())].into_iter().collect(),
        };
        let detail = to_apply_data(&form, &stored, &zone, &names);
        let proof = |files: Value| content("File", "proof", "凭证", json!({ "files": files }));
        let f1 = json!([{ "file_id": "f1", "file_name": "报价单.pdf" }]);
        assert_eq!(
            detail,
            json!([
                content("Text", "reason", "事由", json!({ "text": "去上海见客户" })),
                content(
                    "Textarea",
                    "detail",
                    "详细说明",
                    json!({ "text": "第一天拜访" })
                ),
                content("Number", "count", "数量", json!({ "new_number": "7" })),
                content("Money", "amount", "金额", json!({ "new_money": "1234.50" })),
                content(
                    "Date",
                    "day",
                    "日期",
                    json!({ "date": { "type": "day", "s_timestamp": "1796572800" } })
                ),
                content(
                    "Date",
                    "at",
                    "时间",
                    json!({ "date": { "type": "hour", "s_timestamp": "1796607000" } })
                ),
                content(
                    "DateRange",
                    "leave",
                    "请假时间",
                    json!({ "date_range": {
                    "type": "day", "new_begin": 1796572800, "new_end": 1796745600, "new_duration": 259200 } })
                ),
                content(
                    "DateRange",
                    "half",
                    "半天",
                    json!({ "date_range": {
                    "type": "halfday", "new_begin": 1796572800, "new_end": 1796659200, "new_duration": 129600 } })
                ),
                content(
                    "DateRange",
                    "hours",
                    "加班时间",
                    json!({ "date_range": {
                    "type": "hour", "new_begin": 1796605200, "new_end": 1796639400, "new_duration": 34200 } })
                ),
                content(
                    "Selector",
                    "kind",
                    "类型",
                    json!({ "selector": { "type": "single", "options": [
                    { "key": "a", "value": [{ "text": "差旅", "lang": "zh_CN" }] }] } })
                ),
                content(
                    "Selector",
                    "tags",
                    "标签",
                    json!({ "selector": { "type": "multi", "options": [
                    { "key": "x", "value": [{ "text": "紧急", "lang": "zh_CN" }] },
                    { "key": "z", "value": [{ "text": "其他", "lang": "zh_CN" }] }] } })
                ),
                content(
                    "Contact",
                    "who",
                    "负责人",
                    json!({ "members": [{ "userid": "zhangsan", "name": "张三" }] })
                ),
                content(
                    "Contact",
                    "team",
                    "同行人",
                    json!({ "members": [
                    { "userid": "lisi", "name": "李四" }, { "userid": "wangwu", "name": "" }] })
                ),
                content(
                    "Contact",
                    "dept",
                    "部门",
                    json!({ "departments": [{ "openapi_id": "2", "name": "财务部" }] })
                ),
                content("File", "files", "附件", json!({ "files": f1 })),
                content(
                    "File",
                    "pics",
                    "图片",
                    json!({ "files": [
                    { "file_id": "f2", "file_name": "发票.png" }, { "file_id": "f3", "file_name": "现场.jpg" }] })
                ),
                content(
                    "Table",
                    "items",
                    "明细",
                    json!({ "children": [
                    { "list": [
                        content("Text", "name", "名称", json!({ "text": "机票" })),
                        content("Number", "qty", "数量", json!({ "new_number": "2" })),
                        content("Money", "price", "单价", json!({ "new_money": "800.00" })),
                        proof(f1.clone()),
                    ] },
                    { "list": [
                        content("Text", "name", "名称", json!({ "text": "酒店" })),
                        content("Number", "qty", "数量", json!({ "new_number": "" })),
                        content("Money", "price", "单价", json!({ "new_money": "" })),
                        proof(json!([])),
                    ] },
                ] })
                ),
                content("Tips", "note", "说明", json!({})),
                content(
                    "RelatedApproval",
                    "refs",
                    "关联审批",
                    json!({ "related_approval": [{ "sp_no": "202612010001" }] })
                ),
            ])
        );
        // What the detail says reads back as the same values.
        let again = from_apply_data(&form, &detail, &zone).unwrap();
        assert_eq!(validate_values(&form, &again, &ctx).await.unwrap(), stored);
    }

    #[test]
    fn empty_values_in_the_detail() {
        let detail = to_apply_data(
            &every_kind(),
            &FormValues::new(),
            &Zone::default(),
            &Names::default(),
        );
        assert_eq!(detail.as_array().unwrap().len(), 19);
        assert_eq!(
            detail[0],
            content("Text", "reason", "事由", json!({ "text": "" }))
        );
        assert_eq!(
            detail[4],
            content(
                "Date",
                "day",
                "日期",
                json!({ "date": { "type": "day", "s_timestamp": "" } })
            )
        );
        assert_eq!(
            detail[6],
            content(
                "DateRange",
                "leave",
                "请假时间",
                json!({ "date_range": {
                "type": "day", "new_begin": 0, "new_end": 0, "new_duration": 0 } })
            )
        );
        assert_eq!(
            detail[9],
            content(
                "Selector",
                "kind",
                "类型",
                json!({ "selector": { "type": "single", "options": [] } })
            )
        );
        assert_eq!(detail[16], content("Table", "items", "明细", json!({})));
    }
}
