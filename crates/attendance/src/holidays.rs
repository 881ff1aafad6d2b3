//! The enterprise calendar: statutory holidays and adjusted working days (调休) from the State
//! Council's yearly notice, shipped as data and seeded once per enterprise and year, and company
//! holidays the enterprise adds. Administrators edit it; every change is audited.
use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, Grant, perm};
use qixie_kernel::db::{Arg, Conn, Tx, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason, Validator};
use qixie_kernel::ids::CorpId;

use crate::date;

/// The years an import or an edit may name.
pub const YEARS: std::ops::RangeInclusive<i64> = 2000..=2100;
pub const MAX_NAME_CHARS: usize = 40;
pub const MAX_SOURCE_CHARS: usize = 200;
pub const MAX_IMPORT_ITEMS: usize = 100;

/// The State Council's notices shipped with the server, one file per year.
const SHIPPED: &[(i64, &str)] = &[
    (2025, include_str!("../data/holidays/2025.json")),
    (2026, include_str!("../data/holidays/2026.json")),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HolidayKind {
    /// A day off.
    Holiday,
    /// A working day, usually a weekend moved by the statutory arrangement (调休上班).
    Workday,
}

/// Where a day comes from: the State Council's notice (shipped or imported) or the enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HolidayOrigin {
    Statutory,
    Company,
}

impl HolidayKind {
    fn as_str(self) -> &'static str {
        match self {
            HolidayKind::Holiday => "holiday",
            HolidayKind::Workday => "workday",
        }
    }
    fn parse(s: &str) -> Option<HolidayKind> {
        match s {
            "holiday" => Some(HolidayKind::Holiday),
            "workday" => Some(HolidayKind::Workday),
            _ => None,
        }
    }
}

impl HolidayOrigin {
    fn as_str(self) -> &'static str {
        match self {
            HolidayOrigin::Statutory => "statutory",
            HolidayOrigin::Company => "company",
        }
    }
    fn parse(s: &str) -> Option<HolidayOrigin> {
        match s {
            "statutory" => Some(HolidayOrigin::Statutory),
            "company" => Some(HolidayOrigin::Company),
            _ => None,
        }
    }
}

/// One day of the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub date: Date,
    pub kind: HolidayKind,
    pub name: String,
    pub origin: HolidayOrigin,
}

/// The calendar's days over a period, as `load` read them.
#[derive(Debug, Clone, Default)]
pub struct HolidayCalendar {
    days: BTreeMap<Date, Holiday>,
}

impl HolidayCalendar {
    pub fn new(days: impl IntoIterator<Item = Holiday>) -> HolidayCalendar {
        HolidayCalendar {
            days: days.into_iter().map(|h| (h.date, h)).collect(),
        }
    }

    pub fn get(&self, d: Date) -> Option<&Holiday> {
        self.days.get(&d)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Holiday> {
        self.days.values()
    }

    /// Whether `d` is a day off for a rule that works on it by its weekdays (`regular_workday`) and
    /// does or does not follow the statutory calendar: company days always apply, statutory
    /// holidays and 调休 working days only when the rule follows them.
    pub fn is_day_off(&self, d: Date, regular_workday: bool, follow_statutory: bool) -> bool {
        match self.get(d) {
            Some(h) if h.origin == HolidayOrigin::Company || follow_statutory => {
                h.kind == HolidayKind::Holiday
            }
            _ => !regular_workday,
        }
    }
}

/// A day as the API speaks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct HolidayItem {
    /// YYYY-MM-DD.
    pub date: String,
    pub kind: HolidayKind,
    pub name: String,
    pub origin: HolidayOrigin,
}

impl From<&Holiday> for HolidayItem {
    fn from(h: &Holiday) -> Self {
        HolidayItem {
            date: date::format(h.date),
            kind: h.kind,
            name: h.name.clone(),
            origin: h.origin,
        }
    }
}

/// A year of the calendar.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HolidayYear {
    pub year: i64,
    /// The notice the statutory days come from (shipped or imported); empty when none.
    pub source: String,
    /// Sorted by date.
    pub items: Vec<HolidayItem>,
}

/// A State Council notice: the shipped files' shape and the import's.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub year: i64,
    /// The notice's title and number, and its date.
    pub source: String,
    /// One item per day: holidays and 调休 working days.
    pub items: Vec<NoticeItem>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeItem {
    /// YYYY-MM-DD, in the notice's year.
    pub date: String,
    pub kind: HolidayKind,
    pub name: String,
}

/// An administrator's day: added or changed.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DayInput {
    pub kind: HolidayKind,
    pub name: String,
    pub origin: HolidayOrigin,
}

/// The shipped notices, parsed. The files are part of the build and checked by a test.
fn shipped(text: &str) -> AppResult<Notice> {
    serde_json::from_str(text).map_err(AppError::internal)
}

type Row = (i64, String, String, String);

fn from_row((day, kind, name, origin): Row) -> Option<Holiday> {
    Some(Holiday {
        date: date::from_key(day)?,
        kind: HolidayKind::parse(&kind)?,
        name,
        origin: HolidayOrigin::parse(&origin)?,
    })
}

fn year_bounds(year: i64) -> (i64, i64) {
    (year * 10_000 + 101, year * 10_000 + 1231)
}

/// Seeds each shipped year the enterprise has never had. The year's row goes in first and the
/// days only when it was new, so nodes racing here seed once and a day an administrator deleted
/// (or a year they imported) is never seeded back.
pub async fn ensure(app: &AppState, corp: CorpId) -> AppResult<()> {
    let have: Vec<(i64,)> = app
        .db
        .all(sql("SELECT year FROM attendance_holiday_years WHERE corp_id = $1").bind(corp))
        .await?;
    let missing: Vec<&(i64, &str)> = SHIPPED
        .iter()
        .filter(|(y, _)| !have.iter().any(|(h,)| h == y))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    for (_, text) in missing {
        let notice = shipped(text)?;
        let claimed = tx
            .exec(
                sql("INSERT INTO attendance_holiday_years (corp_id, year, source) VALUES ($1, $2, $3) \
                     ON CONFLICT (corp_id, year) DO NOTHING")
                .bind(corp)
                .bind(notice.year)
                .bind(&notice.source),
            )
            .await?;
        if claimed == 0 {
            continue;
        }
        let rows = notice
            .items
            .iter()
            .filter_map(|i| {
                let d = date::parse(&i.date)?;
                Some(day_row(
                    corp,
                    d,
                    i.kind,
                    &i.name,
                    HolidayOrigin::Statutory,
                    now,
                ))
            })
            .collect();
        // A company day set on the date before the year was seeded stays.
        insert_days(&mut tx, rows).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn day_row(
    corp: CorpId,
    d: Date,
    kind: HolidayKind,
    name: &str,
    origin: HolidayOrigin,
    now: i64,
) -> Vec<Arg> {
    vec![
        corp.into(),
        date::key(d).into(),
        kind.as_str().into(),
        name.into(),
        origin.as_str().into(),
        now.into(),
    ]
}

/// Inserts days, leaving a date that already has one as it is.
async fn insert_days(tx: &mut Tx, rows: Vec<Vec<Arg>>) -> AppResult<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    Ok(tx
        .insert_many(
            "INSERT INTO attendance_holidays (corp_id, day, kind, name, origin, updated_at) VALUES",
            " ON CONFLICT (corp_id, day) DO NOTHING",
            rows,
        )
        .await?)
}

/// The calendar from `from` to `to` as results are computed on it: the enterprise's days, and the
/// shipped notice of a year the enterprise has not been given yet (read-only: `ensure` stores it
/// the first time someone opens the calendar, with the same days).
pub async fn calendar(
    db: impl Into<Conn<'_>>,
    corp: CorpId,
    from: Date,
    to: Date,
) -> AppResult<HolidayCalendar> {
    let mut db = db.into();
    let have: Vec<(i64,)> = db
        .all(sql("SELECT year FROM attendance_holiday_years WHERE corp_id = $1").bind(corp))
        .await?;
    let mut days: Vec<Holiday> = Vec::new();
    for (year, text) in SHIPPED {
        if have.iter().any(|(h,)| h == year)
            || !(i64::from(from.year())..=i64::from(to.year())).contains(year)
        {
            continue;
        }
        for i in shipped(text)?.items {
            if let Some(d) = date::parse(&i.date).filter(|d| *d >= from && *d <= to) {
                days.push(Holiday {
                    date: d,
                    kind: i.kind,
                    name: i.name.clone(),
                    origin: HolidayOrigin::Statutory,
                });
            }
        }
    }
    let stored = load(&mut db, corp, from, to).await?;
    days.extend(stored.days.into_values());
    Ok(HolidayCalendar::new(days))
}

/// The calendar from `from` to `to` (both included), in one query. Callers `ensure` first.
pub async fn load(
    db: impl Into<Conn<'_>>,
    corp: CorpId,
    from: Date,
    to: Date,
) -> AppResult<HolidayCalendar> {
    let mut db = db.into();
    let rows: Vec<Row> = db
        .all(
            sql("SELECT day, kind, name, origin FROM attendance_holidays \
                 WHERE corp_id = $1 AND day >= $2 AND day <= $3")
            .bind(corp)
            .bind(date::key(from))
            .bind(date::key(to)),
        )
        .await?;
    Ok(HolidayCalendar::new(rows.into_iter().filter_map(from_row)))
}

/// A year of the calendar with the notice its statutory days come from.
pub async fn year(db: impl Into<Conn<'_>>, corp: CorpId, year: i64) -> AppResult<HolidayYear> {
    let mut db = db.into();
    let source: Option<(String,)> = db
        .opt(
            sql("SELECT source FROM attendance_holiday_years WHERE corp_id = $1 AND year = $2")
                .bind(corp)
                .bind(year),
        )
        .await?;
    let (first, last) = year_bounds(year);
    let rows: Vec<Row> = db
        .all(
            sql("SELECT day, kind, name, origin FROM attendance_holidays \
                 WHERE corp_id = $1 AND day >= $2 AND day <= $3 ORDER BY day")
            .bind(corp)
            .bind(first)
            .bind(last),
        )
        .await?;
    Ok(HolidayYear {
        year,
        source: source.map(|(s,)| s).unwrap_or_default(),
        items: rows
            .into_iter()
            .filter_map(from_row)
            .map(|h| HolidayItem::from(&h))
            .collect(),
    })
}

/// The calendar is the whole enterprise's: an administrator scoped to departments may read it like
/// every member but not change it.
pub fn check_whole_enterprise(grant: &Grant<perm::AttendanceManage>) -> AppResult<()> {
    if grant.is_whole_enterprise() {
        Ok(())
    } else {
        Err(ErrorKind::OutOfScope.into())
    }
}

fn check_name(v: &mut Validator, field: &str, name: &str) {
    let n = name.trim().chars().count();
    v.check(n > 0, field, FieldReason::Required);
    v.check(n <= MAX_NAME_CHARS, field, FieldReason::TooLong);
}

/// A path's day: `YYYY-MM-DD` in a year the calendar keeps.
pub fn parse_day(field: &str, s: &str) -> AppResult<Date> {
    let d = date::parse(s).ok_or_else(|| AppError::field(field, FieldReason::Format))?;
    if !YEARS.contains(&i64::from(d.year())) {
        return Err(AppError::field(field, FieldReason::Range));
    }
    Ok(d)
}

fn audit_value(kind: &str, name: &str, origin: &str) -> Value {
    json!({"kind": kind, "name": name, "origin": origin})
}

/// Days as the audit entry shows them: one field per date, so the log's diff lists what changed.
fn audit_days<'a>(days: impl Iterator<Item = (Date, HolidayKind, &'a str)>) -> Value {
    let map: Map<String, Value> = days
        .map(|(d, k, n)| (date::format(d), json!(format!("{} {n}", k.as_str()))))
        .collect();
    Value::Object(map)
}

async fn find(tx: &mut Tx, corp: CorpId, d: Date) -> AppResult<Option<Holiday>> {
    let row: Option<Row> = tx
        .opt(
            sql("SELECT day, kind, name, origin FROM attendance_holidays WHERE corp_id = $1 AND day = $2")
                .bind(corp)
                .bind(date::key(d)),
        )
        .await?;
    Ok(row.and_then(from_row))
}

/// Adds or changes one day.
pub async fn set(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::AttendanceManage>,
    d: Date,
    input: &DayInput,
) -> AppResult<HolidayItem> {
    check_whole_enterprise(grant)?;
    let mut v = Validator::default();
    check_name(&mut v, "name", &input.name);
    v.finish()?;
    let corp = grant.corp();
    let day = Holiday {
        date: d,
        kind: input.kind,
        name: input.name.trim().to_owned(),
        origin: input.origin,
    };
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let before = find(&mut tx, corp, d).await?;
    tx.exec(
        sql("INSERT INTO attendance_holidays (corp_id, day, kind, name, origin, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (corp_id, day) DO UPDATE SET kind = excluded.kind, name = excluded.name, origin = excluded.origin, updated_at = excluded.updated_at")
        .bind(corp)
        .bind(date::key(d))
        .bind(day.kind.as_str())
        .bind(day.name.as_str())
        .bind(day.origin.as_str())
        .bind(now),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "attendance_holiday.set",
            target: date::format(d),
            before: before
                .as_ref()
                .map(|b| audit_value(b.kind.as_str(), &b.name, b.origin.as_str())),
            after: Some(audit_value(
                day.kind.as_str(),
                &day.name,
                day.origin.as_str(),
            )),
        },
    )
    .await?;
    recompute(&mut tx, app, corp, &[d]).await?;
    tx.commit().await?;
    Ok(HolidayItem::from(&day))
}

/// Removes one day (404 when the calendar has none on it). A statutory day removed stays removed:
/// its year is not seeded again.
pub async fn delete(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::AttendanceManage>,
    d: Date,
) -> AppResult<()> {
    check_whole_enterprise(grant)?;
    let corp = grant.corp();
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let before = find(&mut tx, corp, d).await?.ok_or(ErrorKind::NotFound)?;
    tx.exec(
        sql("DELETE FROM attendance_holidays WHERE corp_id = $1 AND day = $2")
            .bind(corp)
            .bind(date::key(d)),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "attendance_holiday.delete",
            target: date::format(d),
            before: Some(audit_value(
                before.kind.as_str(),
                &before.name,
                before.origin.as_str(),
            )),
            after: None,
        },
    )
    .await?;
    recompute(&mut tx, app, corp, &[d]).await?;
    tx.commit().await?;
    Ok(())
}

async fn statutory_days(tx: &mut Tx, corp: CorpId, year: i64) -> AppResult<Vec<Holiday>> {
    let (first, last) = year_bounds(year);
    let rows: Vec<Row> = tx
        .all(
            sql("SELECT day, kind, name, origin FROM attendance_holidays \
                 WHERE corp_id = $1 AND day >= $2 AND day <= $3 AND origin = 'statutory' ORDER BY day")
            .bind(corp)
            .bind(first)
            .bind(last),
        )
        .await?;
    Ok(rows.into_iter().filter_map(from_row).collect())
}

/// Checks an import: the year, the notice's name, and each item (a date of that year, once, and a
/// name); errors name the item (`items.3.date`).
fn validate_import(input: &Notice) -> AppResult<Vec<(Date, &NoticeItem)>> {
    let mut v = Validator::default();
    v.check(YEARS.contains(&input.year), "year", FieldReason::Range);
    let source = input.source.trim().chars().count();
    v.check(source > 0, "source", FieldReason::Required);
    v.check(source <= MAX_SOURCE_CHARS, "source", FieldReason::TooLong);
    v.check(!input.items.is_empty(), "items", FieldReason::TooFew);
    v.check(
        input.items.len() <= MAX_IMPORT_ITEMS,
        "items",
        FieldReason::TooMany,
    );
    let mut days = Vec::with_capacity(input.items.len());
    let mut seen = BTreeSet::new();
    for (i, item) in input.items.iter().enumerate() {
        let field = format!("items.{i}.date");
        match date::parse(&item.date) {
            None => v.push(&field, FieldReason::Format),
            Some(d) if i64::from(d.year()) != input.year => v.push(&field, FieldReason::Range),
            Some(d) if !seen.insert(d) => v.push(&field, FieldReason::Duplicate),
            Some(d) => days.push((d, item)),
        }
        check_name(&mut v, &format!("items.{i}.name"), &item.name);
    }
    v.finish()?;
    Ok(days)
}

/// Replaces a year's statutory days with a notice's (the State Council's, as published); company
/// days stay, also on a date the notice names. The year then counts as seeded, so shipped data
/// never overwrites it.
pub async fn import(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::AttendanceManage>,
    input: &Notice,
) -> AppResult<HolidayYear> {
    check_whole_enterprise(grant)?;
    let days = validate_import(input)?;
    let corp = grant.corp();
    let source = input.source.trim();
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let (first, last) = year_bounds(input.year);
    let old_source: Option<(String,)> = tx
        .opt(
            sql("SELECT source FROM attendance_holiday_years WHERE corp_id = $1 AND year = $2")
                .bind(corp)
                .bind(input.year),
        )
        .await?;
    let old = statutory_days(&mut tx, corp, input.year).await?;
    tx.exec(
        sql("DELETE FROM attendance_holidays WHERE corp_id = $1 AND day >= $2 AND day <= $3 AND origin = 'statutory'")
            .bind(corp)
            .bind(first)
            .bind(last),
    )
    .await?;
    let rows = days
        .iter()
        .map(|(d, i)| {
            day_row(
                corp,
                *d,
                i.kind,
                i.name.trim(),
                HolidayOrigin::Statutory,
                now,
            )
        })
        .collect();
    insert_days(&mut tx, rows).await?;
    tx.exec(
        sql(
            "INSERT INTO attendance_holiday_years (corp_id, year, source) VALUES ($1, $2, $3) \
             ON CONFLICT (corp_id, year) DO UPDATE SET source = excluded.source",
        )
        .bind(corp)
        .bind(input.year)
        .bind(source),
    )
    .await?;
    // What the notice put in: its days but those a company day holds.
    let new = statutory_days(&mut tx, corp, input.year).await?;
    let before = json!({
        "source": old_source.map(|(s,)| s),
        "days": audit_days(old.iter().map(|h| (h.date, h.kind, h.name.as_str()))),
    });
    let after = json!({
        "source": source,
        "days": audit_days(new.iter().map(|h| (h.date, h.kind, h.name.as_str()))),
    });
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "attendance_holiday.import",
            target: input.year.to_string(),
            before: Some(before),
            after: Some(after),
        },
    )
    .await?;
    let touched: BTreeSet<Date> = old
        .iter()
        .map(|h| h.date)
        .chain(new.iter().map(|h| h.date))
        .collect();
    recompute(&mut tx, app, corp, &touched.into_iter().collect::<Vec<_>>()).await?;
    let answer = year(&mut tx, corp, input.year).await?;
    tx.commit().await?;
    Ok(answer)
}

/// Brings the stored results of the changed days that have passed up to date once the change
/// commits (every member with a rule; days to come are computed when they are asked for).
async fn recompute(tx: &mut Tx, app: &AppState, corp: CorpId, days: &[Date]) -> AppResult<()> {
    let (Some(first), Some(last)) = (days.iter().min().copied(), days.iter().max().copied()) else {
        return Ok(());
    };
    let app = app.clone();
    tx.after_commit_await(async move {
        if let Err(e) = crate::results::recompute_corp(&app, corp, first, last, None).await {
            tracing::warn!(corp = corp.0, error = %e, "could not recompute days after a calendar change");
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(year: i64) -> Notice {
        let text = SHIPPED.iter().find(|(y, _)| *y == year).unwrap().1;
        shipped(text).unwrap()
    }

    /// (name, holidays, workdays) per name, in the order they first appear.
    fn counts(n: &Notice) -> Vec<(String, usize, usize)> {
        let mut out: Vec<(String, usize, usize)> = Vec::new();
        for i in &n.items {
            let base = i.name.trim_end_matches("调休上班").to_owned();
            let at = match out.iter().position(|(k, _, _)| *k == base) {
                Some(p) => p,
                None => {
                    out.push((base, 0, 0));
                    out.len() - 1
                }
            };
            match i.kind {
                HolidayKind::Holiday => out[at].1 += 1,
                HolidayKind::Workday => out[at].2 += 1,
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn check_shape(n: &Notice) {
        let mut seen = BTreeSet::new();
        for i in &n.items {
            let d = date::parse(&i.date).unwrap_or_else(|| panic!("{}", i.date));
            assert_eq!(i64::from(d.year()), n.year, "{}", i.date);
            assert!(seen.insert(d), "{} twice", i.date);
            assert!(!i.name.is_empty() && i.name.chars().count() <= MAX_NAME_CHARS);
            if i.kind == HolidayKind::Workday {
                assert!(date::weekday(d) >= 6, "{} is not a weekend", i.date);
                assert!(i.name.ends_with("调休上班"), "{}", i.name);
            } else {
                assert!(!i.name.contains("调休"), "{}", i.name);
            }
        }
        // The check `import` applies passes on the shipped data.
        assert_eq!(validate_import(n).unwrap().len(), n.items.len());
    }

    fn s(name: &str, h: usize, w: usize) -> (String, usize, usize) {
        (name.to_owned(), h, w)
    }

    #[test]
    fn shipped_2025_is_the_notice() {
        let n = notice(2025);
        assert_eq!(n.year, 2025);
        assert_eq!(
            n.source,
            "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号，2024-11-12）"
        );
        check_shape(&n);
        let mut want = vec![
            s("元旦", 1, 0),
            s("春节", 8, 2),
            s("清明节", 3, 0),
            s("劳动节", 5, 1),
            s("端午节", 3, 0),
            s("国庆节、中秋节", 8, 2),
        ];
        want.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(counts(&n), want);
        let workdays: Vec<&str> = n
            .items
            .iter()
            .filter(|i| i.kind == HolidayKind::Workday)
            .map(|i| i.date.as_str())
            .collect();
        assert_eq!(
            workdays,
            [
                "2025-01-26",
                "2025-02-08",
                "2025-04-27",
                "2025-09-28",
                "2025-10-11"
            ]
        );
        let first_last = |name: &str| {
            let days: Vec<&str> = n
                .items
                .iter()
                .filter(|i| i.name == name)
                .map(|i| i.date.as_str())
                .collect();
            (days[0], days[days.len() - 1])
        };
        assert_eq!(first_last("春节"), ("2025-01-28", "2025-02-04"));
        assert_eq!(first_last("端午节"), ("2025-05-31", "2025-06-02"));
        assert_eq!(first_last("国庆节、中秋节"), ("2025-10-01", "2025-10-08"));
    }

    #[test]
    fn shipped_2026_is_the_notice() {
        let n = notice(2026);
        assert_eq!(n.year, 2026);
        assert_eq!(
            n.source,
            "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号，2025-11-04）"
        );
        check_shape(&n);
        let mut want = vec![
            s("元旦", 3, 1),
            s("春节", 9, 2),
            s("清明节", 3, 0),
            s("劳动节", 5, 1),
            s("端午节", 3, 0),
            s("中秋节", 3, 0),
            s("国庆节", 7, 2),
        ];
        want.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(counts(&n), want);
        let workdays: Vec<&str> = n
            .items
            .iter()
            .filter(|i| i.kind == HolidayKind::Workday)
            .map(|i| i.date.as_str())
            .collect();
        assert_eq!(
            workdays,
            [
                "2026-01-04",
                "2026-02-14",
                "2026-02-28",
                "2026-05-09",
                "2026-09-20",
                "2026-10-10"
            ]
        );
    }

    #[test]
    fn every_shipped_file_is_named_for_its_year() {
        for (year, text) in SHIPPED {
            assert_eq!(shipped(text).unwrap().year, *year);
        }
    }

    fn day(m: i8, d: i8, kind: HolidayKind, origin: HolidayOrigin) -> Holiday {
        Holiday {
            date: Date::constant(2026, m, d),
            kind,
            name: "x".into(),
            origin,
        }
    }

    #[test]
    fn days_off_follow_the_rule_and_the_calendar() {
        use HolidayKind::*;
        use HolidayOrigin::*;
        let cal = HolidayCalendar::new([
            day(10, 1, Holiday, Statutory),  // Thursday
            day(10, 10, Workday, Statutory), // Saturday
            day(12, 24, Holiday, Company),   // Thursday
            day(12, 26, Workday, Company),   // Saturday
        ]);
        let d = |m, d| Date::constant(2026, m, d);
        // Following the statutory calendar.
        assert!(cal.is_day_off(d(10, 1), true, true));
        assert!(!cal.is_day_off(d(10, 10), false, true));
        // Not following it: the weekdays decide.
        assert!(!cal.is_day_off(d(10, 1), true, false));
        assert!(cal.is_day_off(d(10, 10), false, false));
        // Company days apply either way.
        for follow in [true, false] {
            assert!(cal.is_day_off(d(12, 24), true, follow));
            assert!(!cal.is_day_off(d(12, 26), false, follow));
        }
        // A day the calendar does not name.
        assert!(!cal.is_day_off(d(12, 8), true, true));
        assert!(cal.is_day_off(d(12, 13), false, true));
        assert_eq!(cal.get(d(10, 1)).map(|h| h.kind), Some(Holiday));
        assert_eq!(cal.get(d(10, 2)), None);
    }

    #[test]
    fn an_import_names_each_bad_item() {
        let item = |date: &str, name: &str| NoticeItem {
            date: date.into(),
            kind: HolidayKind::Holiday,
            name: name.into(),
        };
        let n = Notice {
            year: 2027,
            source: "通知".into(),
            items: vec![
                item("2027-01-01", "元旦"),
                item("2027-02-30", "春节"),
                item("2026-12-31", "元旦"),
                item("2027-01-01", "元旦"),
                item("2027-05-01", " "),
                item("2027-05-02", &"长".repeat(41)),
            ],
        };
        let e = validate_import(&n).unwrap_err();
        let fields: Vec<(String, &str)> = e
            .fields
            .iter()
            .map(|f| (f.field.clone(), f.reason.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("items.1.date".to_owned(), "format"),
                ("items.2.date".to_owned(), "range"),
                ("items.3.date".to_owned(), "duplicate"),
                ("items.4.name".to_owned(), "required"),
                ("items.5.name".to_owned(), "too_long"),
            ]
        );
        let many = Notice {
            year: 1999,
            source: String::new(),
            items: (0..101).map(|_| item("1999-01-01", "x")).collect(),
        };
        let e = validate_import(&many).unwrap_err();
        let fields: Vec<&str> = e.fields.iter().take(3).map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["year", "source", "items"]);
    }
}
