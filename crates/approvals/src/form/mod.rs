//! A template's form: its fields, and the values an applicant fills in. One struct describes every
//! kind of field; the members that do not belong to a kind stay empty (the check refuses them), so a
//! template reads as plain JSON and unknown members are refused.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// One line of text (≤ 200 characters).
    Text,
    /// Several lines (≤ 2,000 characters).
    Textarea,
    /// A number, optionally within `min`/`max`.
    Number,
    /// An amount with two decimals in `currency` (default CNY), kept as a decimal string.
    Money,
    /// A day, "2026-12-07".
    Date,
    /// A day and time of day in the enterprise's zone, "2026-12-07 09:30".
    DateTime,
    /// From–to with a duration the server computes, in `unit` (day, half_day or hour).
    DateRange,
    /// One of `options` (its key).
    SingleChoice,
    /// Any of `options` (their keys).
    MultiChoice,
    /// Members, by userid (one unless `multiple`).
    Member,
    /// Departments, by id (one unless `multiple`).
    Department,
    /// Uploaded files (`POST /api/v1/files`), at most 6 (WeCom's limit).
    Attachment,
    /// Uploaded images, at most 9.
    Image,
    /// A detail table (明细): rows of the `columns`; number and money columns are summed.
    Table,
    /// Read-only text shown on the form (`text`); holds no value.
    Description,
    /// Earlier approvals (their sp_no), optionally of `template_ids` only.
    RelatedApproval,
}

/// One choice of a single or multiple choice field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    /// Stable key, kept in values (WeCom's `key`); ≤ 40 characters.
    pub key: String,
    /// What the applicant sees; ≤ 40 characters.
    pub text: String,
}

/// The unit a date range's duration is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DurationUnit {
    /// Whole days, from and to given as dates.
    #[default]
    Day,
    /// Half days, from and to given as a date and "am" or "pm".
    HalfDay,
    /// Hours, from and to given as date-times.
    Hour,
}

/// One field of a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Unique within the template (and within a table's columns): letters, digits, `-` and `_`,
    /// ≤ 40 characters, e.g. "amount" or WeCom's "Money-1612345".
    pub id: String,
    pub kind: FieldKind,
    /// ≤ 40 characters, unique within the form.
    pub title: String,
    #[serde(default)]
    pub required: bool,
    /// ≤ 80 characters.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub placeholder: String,
    /// A line of help under the field, ≤ 200 characters.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hint: String,
    /// A value the form starts with, of the field's value shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub default: Option<Value>,
    /// single_choice and multi_choice: 1–100 options with unique keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ChoiceOption>,
    /// member and department: more than one may be chosen.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub multiple: bool,
    /// number and money: bounds, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// money: ISO 4217 code; CNY when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// date_range: the duration's unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<DurationUnit>,
    /// table: 1–20 columns; no table, description or related_approval among them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(no_recursion)]
    pub columns: Vec<Field>,
    /// description: the text shown, ≤ 2,000 characters.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// related_approval: the templates whose approvals may be chosen (empty: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub template_ids: Vec<String>,
}

/// An applicant's values, by field id. Shapes by kind: text, textarea → string; number → number;
/// money → decimal string "1234.50" (a number is accepted); date → "YYYY-MM-DD"; date_time →
/// "YYYY-MM-DD HH:MM"; date_range → `{start, end, duration}` (start and end as date, "YYYY-MM-DD am|pm"
/// or date-time by unit; duration is computed); single_choice → key; multi_choice → [key];
/// member → [userid]; department → [id]; attachment, image → [{file_id, name}]; table → [{column id:
/// value}]; related_approval → [sp_no]. Empty values are left out.
pub type FormValues = BTreeMap<String, Value>;

pub mod validate;
pub mod wecom;

use std::future::Future;

use qixie_kernel::error::AppResult;

/// What checking values asks of the rest of the system: implemented over org, files and the
/// approvals table (`crate::instance`), and by tests over fixed data.
pub trait FormContext: Sync {
    /// Member ids of these userids, in order; `None` for unknown or departed ones.
    fn members(
        &self,
        userids: &[String],
    ) -> impl Future<Output = AppResult<Vec<Option<i64>>>> + Send;
    /// Whether each department exists, in order.
    fn departments_exist(&self, ids: &[i64]) -> impl Future<Output = AppResult<Vec<bool>>> + Send;
    /// For each file id, its name and whether it is an image, when the applicant may attach it
    /// (their own upload, or one they may read); `None` otherwise.
    fn file(&self, file_id: &str)
    -> impl Future<Output = AppResult<Option<(String, bool)>>> + Send;
    /// For each sp_no, the template id of an approval the applicant may see; `None` otherwise.
    fn approval(&self, sp_no: &str) -> impl Future<Output = AppResult<Option<String>>> + Send;
    /// The enterprise's zone, for date-times and durations.
    fn zone(&self) -> &qixie_kernel::time::Zone;
}
