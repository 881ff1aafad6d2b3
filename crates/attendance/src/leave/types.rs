//! Leave types (假期类型): the eight every enterprise starts with (the keys of the leave template's
//! options) and those administrators add. A type says how it is counted (days, half days, hours),
//! where its balance comes from (none, a fixed yearly quota, the national annual rule, or by hand),
//! how much carries into the next year and how long comp time lasts.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, Grant, perm};
use qixie_kernel::db::{Conn, Tx, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason, Validator};
use qixie_kernel::ids::CorpId;

use super::quota::{Unit, minutes_of, shown};

/// Where a type's balance comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaRule {
    /// No balance: taking it is only counted.
    None,
    /// The same amount each year.
    YearlyFixed,
    /// 5, 10 or 15 days by cumulative years of work, pro-rated (the national rule).
    AnnualByService,
    /// Administrators grant it (and overtime earns comp time).
    Manual,
}

impl QuotaRule {
    pub fn parse(s: &str) -> Option<QuotaRule> {
        match s {
            "none" => Some(QuotaRule::None),
            "yearly_fixed" => Some(QuotaRule::YearlyFixed),
            "annual_by_service" => Some(QuotaRule::AnnualByService),
            "manual" => Some(QuotaRule::Manual),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            QuotaRule::None => "none",
            QuotaRule::YearlyFixed => "yearly_fixed",
            QuotaRule::AnnualByService => "annual_by_service",
            QuotaRule::Manual => "manual",
        }
    }
}

pub const COLS: &str = "corp_id, type_key, vacation_id, name, unit, quota_rule, yearly_quota, day_minutes, carry_over_max, carry_over_months, expiry_months, is_comp, builtin, enabled, sort, updated_at";

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TypeRow {
    pub corp_id: i64,
    pub type_key: String,
    pub vacation_id: i64,
    pub name: String,
    pub unit: String,
    pub quota_rule: String,
    pub yearly_quota: i64,
    pub day_minutes: i64,
    pub carry_over_max: i64,
    pub carry_over_months: i64,
    pub expiry_months: i64,
    pub is_comp: bool,
    pub builtin: bool,
    pub enabled: bool,
    pub sort: i64,
    pub updated_at: i64,
}

impl TypeRow {
    pub fn unit(&self) -> Unit {
        Unit::parse(&self.unit).unwrap_or(Unit::Day)
    }
    pub fn rule(&self) -> QuotaRule {
        QuotaRule::parse(&self.quota_rule).unwrap_or(QuotaRule::None)
    }
    /// Whether it has a balance that a request may not exceed.
    pub fn limited(&self) -> bool {
        self.rule() != QuotaRule::None
    }
    /// Whether a grant is made each year (and ends with the year).
    pub fn yearly(&self) -> bool {
        matches!(
            self.rule(),
            QuotaRule::YearlyFixed | QuotaRule::AnnualByService
        )
    }
    /// An amount in minutes as the API shows it.
    pub fn shown(&self, minutes: i64) -> f64 {
        shown(minutes, self.unit(), self.day_minutes)
    }
    pub fn view(&self) -> LeaveType {
        LeaveType {
            key: self.type_key.clone(),
            name: self.name.clone(),
            unit: self.unit().name().into(),
            quota_rule: self.rule().name().into(),
            yearly_quota: (self.rule() == QuotaRule::YearlyFixed)
                .then(|| self.shown(self.yearly_quota)),
            day_hours: self.day_minutes as f64 / 60.0,
            carry_over_max: self.shown(self.carry_over_max),
            carry_over_months: self.carry_over_months,
            expiry_months: self.expiry_months,
            is_comp: self.is_comp,
            builtin: self.builtin,
            enabled: self.enabled,
            sort: self.sort,
            vacation_id: self.vacation_id,
        }
    }
}

/// A leave type as the API shows it. Amounts are in the type's unit (days for day and half-day
/// types, hours for hour types).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeaveType {
    pub key: String,
    pub name: String,
    /// day, half_day, hour.
    pub unit: String,
    /// none (no balance), yearly_fixed, annual_by_service (5/10/15 days by years of work,
    /// pro-rated in the year of joining), manual (granted by administrators; comp time by overtime).
    pub quota_rule: String,
    /// yearly_fixed: granted each year.
    pub yearly_quota: Option<f64>,
    /// Hours in one day of this leave.
    pub day_hours: f64,
    /// The most of a year's balance carried into the next year (0: none).
    pub carry_over_max: f64,
    /// How many months of the next year the carried balance lasts.
    pub carry_over_months: i64,
    /// How many months comp time and additions last (0: no end).
    pub expiry_months: i64,
    /// Comp time (调休假), earned by approved overtime taken as time off.
    pub is_comp: bool,
    pub builtin: bool,
    pub enabled: bool,
    pub sort: i64,
    /// WeCom's vacation id (`oa/vacation/*`).
    pub vacation_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeaveTypeList {
    pub items: Vec<LeaveType>,
}

/// A new leave type, or all of one to replace (`key` is only for new ones).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaveTypeInput {
    /// New types only: lower-case letters, digits and `_`, starting with a letter, ≤ 40.
    #[serde(default)]
    pub key: Option<String>,
    /// 1–20 characters, unique.
    pub name: String,
    pub unit: String,
    pub quota_rule: String,
    /// Required for yearly_fixed, in the unit (one decimal), > 0.
    #[serde(default)]
    pub yearly_quota: Option<f64>,
    /// 1–24 (one decimal), default 8. Fixed once members have balances of the type.
    #[serde(default)]
    pub day_hours: Option<f64>,
    /// Yearly types only, default 0.
    #[serde(default)]
    pub carry_over_max: Option<f64>,
    /// 1–12, default 3.
    #[serde(default)]
    pub carry_over_months: Option<i64>,
    /// 0–120, default 0 (6 for comp time).
    #[serde(default)]
    pub expiry_months: Option<i64>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub sort: Option<i64>,
}

struct Builtin {
    key: &'static str,
    name: &'static str,
    unit: Unit,
    rule: QuotaRule,
    expiry_months: i64,
    is_comp: bool,
}

/// The types every enterprise starts with, in the order of the leave template's options; their
/// vacation ids are 1–8 in this order.
const BUILTINS: &[Builtin] = &[
    Builtin {
        key: "annual",
        name: "年假",
        unit: Unit::Day,
        rule: QuotaRule::AnnualByService,
        expiry_months: 0,
        is_comp: false,
    },
    Builtin {
        key: "personal",
        name: "事假",
        unit: Unit::HalfDay,
        rule: QuotaRule::None,
        expiry_months: 0,
        is_comp: false,
    },
    Builtin {
        key: "sick",
        name: "病假",
        unit: Unit::HalfDay,
        rule: QuotaRule::None,
        expiry_months: 0,
        is_comp: false,
    },
    Builtin {
        key: "compensatory",
        name: "调休假",
        unit: Unit::Hour,
        rule: QuotaRule::Manual,
        expiry_months: 6,
        is_comp: true,
    },
    Builtin {
        key: "marriage",
        name: "婚假",
        unit: Unit::Day,
        rule: QuotaRule::Manual,
        expiry_months: 0,
        is_comp: false,
    },
    Builtin {
        key: "maternity",
        name: "产假",
        unit: Unit::Day,
        rule: QuotaRule::Manual,
        expiry_months: 0,
        is_comp: false,
    },
    Builtin {
        key: "paternity",
        name: "陪产假",
        unit: Unit::Day,
        rule: QuotaRule::Manual,
        expiry_months: 0,
        is_comp: false,
    },
    Builtin {
        key: "bereavement",
        name: "丧假",
        unit: Unit::Day,
        rule: QuotaRule::Manual,
        expiry_months: 0,
        is_comp: false,
    },
];

const DAY_MINUTES: i64 = 480;

/// Adds the built-in types to an enterprise that has none yet (once: a counter makes nodes racing
/// here add them once; a type an administrator disabled stays a row).
pub async fn ensure(app: &AppState, corp: CorpId) -> AppResult<()> {
    let had: Option<(i64,)> = app
        .db
        .opt(sql("SELECT vacation_id FROM leave_types WHERE corp_id = $1 LIMIT 1").bind(corp))
        .await?;
    if had.is_some() {
        return Ok(());
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    if tx.next_value(corp.0, "leave_builtins", 1).await? != 1 {
        return Ok(());
    }
    let rows = BUILTINS
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let id = i as i64 + 1;
            vec![
                corp.0.into(),
                b.key.into(),
                id.into(),
                b.name.into(),
                b.unit.name().into(),
                b.rule.name().into(),
                DAY_MINUTES.into(),
                b.expiry_months.into(),
                b.is_comp.into(),
                true.into(),
                id.into(),
                now.into(),
            ]
        })
        .collect();
    tx.insert_many(
        "INSERT INTO leave_types (corp_id, type_key, vacation_id, name, unit, quota_rule, day_minutes, expiry_months, is_comp, builtin, sort, updated_at) VALUES",
        "",
        rows,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every type of the enterprise, in order.
pub async fn list(db: impl Into<Conn<'_>>, corp: CorpId) -> AppResult<Vec<TypeRow>> {
    Ok(db
        .into()
        .all(
            sql(format!(
                "SELECT {COLS} FROM leave_types WHERE corp_id = $1 ORDER BY sort, vacation_id"
            ))
            .bind(corp),
        )
        .await?)
}

pub async fn find(db: impl Into<Conn<'_>>, corp: CorpId, key: &str) -> AppResult<Option<TypeRow>> {
    Ok(db
        .into()
        .opt(
            sql(format!(
                "SELECT {COLS} FROM leave_types WHERE corp_id = $1 AND type_key = $2"
            ))
            .bind(corp)
            .bind(key),
        )
        .await?)
}

/// The type with WeCom's vacation id.
pub async fn by_vacation_id(
    db: impl Into<Conn<'_>>,
    corp: CorpId,
    id: i64,
) -> AppResult<Option<TypeRow>> {
    Ok(db
        .into()
        .opt(
            sql(format!(
                "SELECT {COLS} FROM leave_types WHERE corp_id = $1 AND vacation_id = $2"
            ))
            .bind(corp)
            .bind(id),
        )
        .await?)
}

/// The checked values of an input, in minutes.
#[derive(Debug)]
struct Checked {
    name: String,
    unit: Unit,
    rule: QuotaRule,
    yearly_quota: i64,
    day_minutes: i64,
    carry_over_max: i64,
    carry_over_months: i64,
    expiry_months: i64,
}

/// The most a balance may hold, as WeCom allows: 1,000 days.
pub const MAX_DAYS: i64 = 1000;

fn check(input: &LeaveTypeInput, is_comp: bool) -> AppResult<Checked> {
    let mut v = Validator::default();
    let name = input.name.trim().to_owned();
    if let Err(r) = qixie_org::valid_name(&name, 20) {
        v.push("name", r);
    }
    let unit = Unit::parse(&input.unit);
    if unit.is_none() {
        v.push("unit", FieldReason::Unknown);
    }
    let rule = QuotaRule::parse(&input.quota_rule);
    match rule {
        None => v.push("quota_rule", FieldReason::Unknown),
        // Comp time is earned, not granted by a rule.
        Some(r) if is_comp && r != QuotaRule::Manual => v.push("quota_rule", FieldReason::Invalid),
        Some(_) => {}
    }
    let day_minutes = match input.day_hours {
        None => DAY_MINUTES,
        Some(h) => match minutes_of(h, Unit::Hour, DAY_MINUTES) {
            Some(m) if (60..=1440).contains(&m) => m,
            Some(_) => {
                v.push("day_hours", FieldReason::Range);
                DAY_MINUTES
            }
            None => {
                v.push("day_hours", FieldReason::Format);
                DAY_MINUTES
            }
        },
    };
    let unit_ = unit.unwrap_or(Unit::Day);
    let cap = MAX_DAYS * day_minutes;
    let amount = |field: &str, value: Option<f64>, v: &mut Validator| -> i64 {
        let Some(x) = value else { return 0 };
        match minutes_of(x, unit_, day_minutes) {
            Some(m) if (0..=cap).contains(&m) => m,
            Some(_) => {
                v.push(field, FieldReason::Range);
                0
            }
            None => {
                v.push(field, FieldReason::Format);
                0
            }
        }
    };
    let yearly = matches!(
        rule,
        Some(QuotaRule::YearlyFixed | QuotaRule::AnnualByService)
    );
    let yearly_quota = if rule == Some(QuotaRule::YearlyFixed) {
        match input.yearly_quota {
            None => {
                v.push("yearly_quota", FieldReason::Required);
                0
            }
            Some(x) => {
                let m = amount("yearly_quota", Some(x), &mut v);
                if m == 0 && minutes_of(x, unit_, day_minutes) == Some(0) {
                    v.push("yearly_quota", FieldReason::Range);
                }
                m
            }
        }
    } else {
        if input.yearly_quota.is_some() && rule.is_some() {
            v.push("yearly_quota", FieldReason::Unsupported);
        }
        0
    };
    let carry_over_max = if yearly || rule.is_none() {
        amount("carry_over_max", input.carry_over_max, &mut v)
    } else {
        if input.carry_over_max.is_some_and(|x| x != 0.0) {
            v.push("carry_over_max", FieldReason::Unsupported);
        }
        0
    };
    let carry_over_months = input.carry_over_months.unwrap_or(3);
    if !(1..=12).contains(&carry_over_months) {
        v.push("carry_over_months", FieldReason::Range);
    }
    let expiry_months = input.expiry_months.unwrap_or(if is_comp { 6 } else { 0 });
    if !(0..=120).contains(&expiry_months) {
        v.push("expiry_months", FieldReason::Range);
    }
    v.finish()?;
    Ok(Checked {
        name,
        unit: unit_,
        rule: rule.unwrap_or(QuotaRule::None),
        yearly_quota,
        day_minutes,
        carry_over_max,
        carry_over_months,
        expiry_months,
    })
}

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && key.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

async fn name_taken(tx: &mut Tx, corp: CorpId, name: &str, except: &str) -> AppResult<bool> {
    let row: Option<(String,)> = tx
        .opt(
            sql("SELECT type_key FROM leave_types WHERE corp_id = $1 AND name = $2 AND type_key <> $3")
                .bind(corp)
                .bind(name)
                .bind(except),
        )
        .await?;
    Ok(row.is_some())
}

/// Adds a type; audited.
pub async fn create(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::AttendanceManage>,
    input: &LeaveTypeInput,
) -> AppResult<TypeRow> {
    let corp = grant.corp();
    ensure(app, corp).await?;
    let key = input.key.as_deref().map(str::trim).unwrap_or_default();
    if key.is_empty() {
        return Err(AppError::field("key", FieldReason::Required));
    }
    if !valid_key(key) {
        return Err(AppError::field("key", FieldReason::Format));
    }
    let c = check(input, false)?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    if find(&mut tx, corp, key).await?.is_some() {
        return Err(AppError::field("key", FieldReason::Taken));
    }
    if name_taken(&mut tx, corp, &c.name, key).await? {
        return Err(AppError::field("name", FieldReason::Taken));
    }
    let vacation_id = tx
        .next_value(corp.0, "leave_vacation_ids", BUILTINS.len() as i64 + 1)
        .await?;
    let sort = match input.sort {
        Some(s) => s,
        None => {
            let (max,): (Option<i64>,) = tx
                .one(sql("SELECT MAX(sort) FROM leave_types WHERE corp_id = $1").bind(corp))
                .await?;
            max.unwrap_or(0) + 1
        }
    };
    tx.exec(
        sql("INSERT INTO leave_types (corp_id, type_key, vacation_id, name, unit, quota_rule, yearly_quota, day_minutes, carry_over_max, carry_over_months, expiry_months, is_comp, builtin, enabled, sort, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, FALSE, FALSE, $12, $13, $14)")
            .bind(corp)
            .bind(key)
            .bind(vacation_id)
            .bind(&c.name)
            .bind(c.unit.name())
            .bind(c.rule.name())
            .bind(c.yearly_quota)
            .bind(c.day_minutes)
            .bind(c.carry_over_max)
            .bind(c.carry_over_months)
            .bind(c.expiry_months)
            .bind(input.enabled.unwrap_or(true))
            .bind(sort)
            .bind(now),
    )
    .await?;
    let row = find(&mut tx, corp, key).await?.ok_or(ErrorKind::Internal)?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "attendance.leave_type.create",
            target: format!("leave_type:{key}"),
            before: None,
            after: Some(serde_json::to_value(row.view()).map_err(AppError::internal)?),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Replaces a type's settings; audited. The day length is fixed once balances of the type exist
/// (it is what their minutes mean in days); comp time stays comp time.
pub async fn update(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::AttendanceManage>,
    key: &str,
    input: &LeaveTypeInput,
) -> AppResult<TypeRow> {
    let corp = grant.corp();
    ensure(app, corp).await?;
    if input.key.as_deref().is_some_and(|k| k.trim() != key) {
        return Err(AppError::field("key", FieldReason::Invalid));
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let before = find(&mut tx, corp, key).await?.ok_or(ErrorKind::NotFound)?;
    let c = check(input, before.is_comp)?;
    if c.day_minutes != before.day_minutes {
        let used: Option<(i64,)> = tx
            .opt(
                sql("SELECT id FROM leave_lots WHERE corp_id = $1 AND leave_type = $2 LIMIT 1")
                    .bind(corp)
                    .bind(key),
            )
            .await?;
        if used.is_some() {
            return Err(AppError::field("day_hours", FieldReason::InUse));
        }
    }
    if name_taken(&mut tx, corp, &c.name, key).await? {
        return Err(AppError::field("name", FieldReason::Taken));
    }
    tx.exec(
        sql("UPDATE leave_types SET name = $1, unit = $2, quota_rule = $3, yearly_quota = $4, day_minutes = $5, carry_over_max = $6, carry_over_months = $7, expiry_months = $8, enabled = $9, sort = $10, updated_at = $11 \
             WHERE corp_id = $12 AND type_key = $13")
            .bind(&c.name)
            .bind(c.unit.name())
            .bind(c.rule.name())
            .bind(c.yearly_quota)
            .bind(c.day_minutes)
            .bind(c.carry_over_max)
            .bind(c.carry_over_months)
            .bind(c.expiry_months)
            .bind(input.enabled.unwrap_or(before.enabled))
            .bind(input.sort.unwrap_or(before.sort))
            .bind(now)
            .bind(corp)
            .bind(key),
    )
    .await?;
    let after = find(&mut tx, corp, key).await?.ok_or(ErrorKind::Internal)?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "attendance.leave_type.update",
            target: format!("leave_type:{key}"),
            before: Some(serde_json::to_value(before.view()).map_err(AppError::internal)?),
            after: Some(serde_json::to_value(after.view()).map_err(AppError::internal)?),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(unit: &str, rule: &str) -> LeaveTypeInput {
        LeaveTypeInput {
            key: None,
            name: "探亲假".into(),
            unit: unit.into(),
            quota_rule: rule.into(),
            yearly_quota: None,
            day_hours: None,
            carry_over_max: None,
            carry_over_months: None,
            expiry_months: None,
            enabled: None,
            sort: None,
        }
    }

    fn fields(e: AppError) -> Vec<(String, String)> {
        e.fields
            .into_iter()
            .map(|f| (f.field, f.reason.code().to_owned()))
            .collect()
    }

    #[test]
    fn type_settings_are_checked_in_minutes() {
        let mut i = input("day", "yearly_fixed");
        i.yearly_quota = Some(12.5);
        i.day_hours = Some(7.5);
        i.carry_over_max = Some(5.0);
        let c = check(&i, false).unwrap();
        assert_eq!(
            (c.yearly_quota, c.day_minutes, c.carry_over_max),
            (5625, 450, 2250)
        );
        let mut bad = input("week", "sometimes");
        bad.day_hours = Some(30.0);
        bad.carry_over_months = Some(0);
        assert_eq!(
            fields(check(&bad, false).unwrap_err()),
            vec![
                ("unit".into(), "unknown".into()),
                ("quota_rule".into(), "unknown".into()),
                ("day_hours".into(), "range".into()),
                ("carry_over_months".into(), "range".into()),
            ]
        );
        assert_eq!(
            fields(check(&input("day", "yearly_fixed"), false).unwrap_err()),
            vec![("yearly_quota".into(), "required".into())]
        );
        let mut manual = input("hour", "manual");
        manual.carry_over_max = Some(1.0);
        manual.yearly_quota = Some(0.25);
        assert_eq!(
            fields(check(&manual, false).unwrap_err()),
            vec![
                ("yearly_quota".into(), "unsupported".into()),
                ("carry_over_max".into(), "unsupported".into()),
            ]
        );
        assert_eq!(
            fields(check(&input("hour", "none"), true).unwrap_err()),
            vec![("quota_rule".into(), "invalid".into())]
        );
        assert_eq!(
            check(&input("hour", "manual"), true).unwrap().expiry_months,
            6
        );
        assert!(valid_key("home_visit2"));
        assert!(!valid_key("2home") && !valid_key("Home") && !valid_key(""));
    }
}
