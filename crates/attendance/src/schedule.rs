//! Schedules (排班) of scheduled rules: which shift each member works on each day of a month, edited
//! on a grid or exchanged as a workbook (first column the userid, then one column per day holding
//! the shift's name; empty or 休息 is a rest day). Setting a day that has passed recomputes it.
use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, Scope};
use qixie_kernel::db::sql;
use qixie_kernel::error::{AppError, AppResult, FieldReason, Validator};
use qixie_kernel::ids::CorpId;
use qixie_org::people::{self, Person};

use crate::date;
use crate::rule::store::corp_rules;
use crate::rule::{Rule, RuleKind};

/// The rest day's name in a workbook.
const REST: &str = "休息";
const MAX_ITEMS: usize = 20_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct ShiftRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleMember {
    pub userid: String,
    pub name: String,
    /// Shift id by date (0 = rest); days without an entry are rest days.
    pub days: BTreeMap<String, i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleGrid {
    pub month: String,
    pub shifts: Vec<ShiftRef>,
    pub members: Vec<ScheduleMember>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleItem {
    pub userid: String,
    pub date: String,
    /// The shift (0 = rest); null clears the day.
    pub shift_id: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    pub items: Vec<ScheduleItem>,
}

/// The members following `rule` that `scope` covers.
async fn members_of(
    app: &AppState,
    corp: CorpId,
    rule: &Rule,
    scope: &Scope,
) -> AppResult<Vec<Person>> {
    let rules = corp_rules(app, corp).await?;
    Ok(people::everyone(&app.db, corp)
        .await?
        .into_iter()
        .filter(|p| rules.rule_for(p).is_some_and(|r| r.pk() == rule.pk()))
        .filter(|p| {
            let paths: Vec<String> = p.departments.iter().map(|(_, path)| path.clone()).collect();
            scope.covers_any(&paths)
        })
        .collect())
}

fn need_scheduled(rule: &Rule) -> AppResult<()> {
    if rule.input.kind == RuleKind::Scheduled {
        Ok(())
    } else {
        Err(AppError::field("rule", FieldReason::Unsupported))
    }
}

/// A month of the schedule.
pub async fn grid(
    app: &AppState,
    corp: CorpId,
    rule: &Rule,
    scope: &Scope,
    first: Date,
    last: Date,
) -> AppResult<ScheduleGrid> {
    need_scheduled(rule)?;
    let members = members_of(app, corp, rule, scope).await?;
    let rows: Vec<(i64, i64, i64)> = app
        .db
        .all(
            sql("SELECT member_id, day, shift_id FROM attendance_schedules WHERE rule_id = $1 AND day BETWEEN $2 AND $3")
                .bind(rule.pk())
                .bind(date::key(first))
                .bind(date::key(last)),
        )
        .await?;
    let mut by_member: HashMap<i64, BTreeMap<String, i64>> = HashMap::new();
    for (m, day, shift) in rows {
        if let Some(d) = date::from_key(day) {
            by_member
                .entry(m)
                .or_default()
                .insert(date::format(d), shift);
        }
    }
    Ok(ScheduleGrid {
        month: date::format_month(first),
        shifts: rule
            .input
            .shifts
            .iter()
            .map(|s| ShiftRef {
                id: s.id,
                name: s.name.clone(),
            })
            .collect(),
        members: members
            .iter()
            .map(|p| ScheduleMember {
                userid: p.userid.clone(),
                name: p.name.clone(),
                days: by_member.remove(&p.id).unwrap_or_default(),
            })
            .collect(),
    })
}

/// Sets days of the schedule; every item is checked first (`items.3.shift_id`), then all are
/// written in one transaction with the days that have passed recomputed.
pub async fn set(
    app: &AppState,
    actor: &Actor,
    scope: &Scope,
    rule: &Rule,
    items: &[ScheduleItem],
) -> AppResult<usize> {
    need_scheduled(rule)?;
    if items.len() > MAX_ITEMS {
        return Err(AppError::field("items", FieldReason::TooMany));
    }
    let corp = actor.corp;
    let members = members_of(app, corp, rule, scope).await?;
    let by_userid: HashMap<&str, i64> = members.iter().map(|p| (p.userid.as_str(), p.id)).collect();
    let mut v = Validator::default();
    let mut changes: Vec<(i64, Date, Option<i64>)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let member = by_userid.get(item.userid.as_str()).copied();
        v.check(
            member.is_some(),
            &format!("items.{i}.userid"),
            FieldReason::NotFound,
        );
        let day = date::parse(&item.date);
        v.check(
            day.is_some(),
            &format!("items.{i}.date"),
            FieldReason::Format,
        );
        let shift_ok = item
            .shift_id
            .is_none_or(|s| s == 0 || rule.shift(s).is_some());
        v.check(
            shift_ok,
            &format!("items.{i}.shift_id"),
            FieldReason::NotFound,
        );
        if let (Some(m), Some(d)) = (member, day) {
            changes.push((m, d, item.shift_id));
        }
    }
    v.finish()?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    for (member, day, shift) in &changes {
        tx.exec(
            sql("DELETE FROM attendance_schedules WHERE member_id = $1 AND day = $2")
                .bind(*member)
                .bind(date::key(*day)),
        )
        .await?;
        if let Some(shift) = shift {
            tx.exec(
                sql("INSERT INTO attendance_schedules (corp_id, member_id, day, rule_id, shift_id) VALUES ($1, $2, $3, $4, $5)")
                    .bind(corp)
                    .bind(*member)
                    .bind(date::key(*day))
                    .bind(rule.pk())
                    .bind(*shift),
            )
            .await?;
        }
    }
    // Days that have passed (or today) change their results now.
    let mut spans: HashMap<i64, (Date, Date)> = HashMap::new();
    for (member, day, _) in &changes {
        let e = spans.entry(*member).or_insert((*day, *day));
        e.0 = e.0.min(*day);
        e.1 = e.1.max(*day);
    }
    for (member, (from, to)) in spans {
        crate::days::recompute(&mut tx, app, corp, member, from, to).await?;
    }
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "attendance.schedule.update",
            target: rule.input.name.clone(),
            before: None,
            after: Some(serde_json::json!({"days": changes.len()})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(changes.len())
}

/// The month's grid as a workbook.
pub fn to_xlsx(grid: &ScheduleGrid, first: Date, last: Date) -> AppResult<Vec<u8>> {
    let names: HashMap<i64, &str> = grid
        .shifts
        .iter()
        .map(|s| (s.id, s.name.as_str()))
        .collect();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let days: Vec<Date> = date::days(first, last).collect();
    let err = AppError::internal;
    sheet.write_string(0, 0, "userid").map_err(err)?;
    sheet.write_string(0, 1, "姓名").map_err(err)?;
    for (i, d) in days.iter().enumerate() {
        sheet
            .write_string(0, i as u16 + 2, date::format(*d))
            .map_err(err)?;
    }
    for (r, m) in grid.members.iter().enumerate() {
        let row = r as u32 + 1;
        sheet.write_string(row, 0, &m.userid).map_err(err)?;
        sheet.write_string(row, 1, &m.name).map_err(err)?;
        for (i, d) in days.iter().enumerate() {
            let cell = match m.days.get(&date::format(*d)) {
                Some(0) | None => REST,
                Some(id) => names.get(id).copied().unwrap_or(REST),
            };
            sheet.write_string(row, i as u16 + 2, cell).map_err(err)?;
        }
    }
    book.save_to_buffer().map_err(AppError::internal)
}

/// Reads a workbook or CSV of the month's grid into items: the header's date columns name the
/// days; a cell is a shift's name, empty or 休息 for rest. Unknown names are refused by `set`'s
/// check through their shift id (-1), named by row and column.
pub fn from_table(rule: &Rule, rows: &[(usize, Vec<String>)]) -> AppResult<Vec<ScheduleItem>> {
    let Some((_, header)) = rows.first() else {
        return Err(AppError::field("file", FieldReason::Empty));
    };
    let days: Vec<(usize, String)> = header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| date::parse(h.trim()).map(|d| (i, date::format(d))))
        .collect();
    if days.is_empty() {
        return Err(AppError::field("file", FieldReason::Format));
    }
    let by_name: HashMap<&str, i64> = rule
        .input
        .shifts
        .iter()
        .map(|s| (s.name.as_str(), s.id))
        .collect();
    let mut items = Vec::new();
    let mut v = Validator::default();
    for (row, cells) in &rows[1..] {
        let Some(userid) = cells.first().map(|c| c.trim()).filter(|c| !c.is_empty()) else {
            continue;
        };
        for (col, day) in &days {
            let cell = cells.get(*col).map(|c| c.trim()).unwrap_or_default();
            let shift = match cell {
                "" | REST => 0,
                name => match by_name.get(name) {
                    Some(id) => *id,
                    None => {
                        v.push(&format!("file.{row}.{col}"), FieldReason::NotFound);
                        continue;
                    }
                },
            };
            items.push(ScheduleItem {
                userid: userid.to_owned(),
                date: day.clone(),
                shift_id: Some(shift),
            });
        }
    }
    v.finish()?;
    Ok(items)
}
