//! Checking import rows: each on its own and against the rows above it.
use std::collections::HashSet;

use serde::Serialize;

use super::columns::{Field, SheetRow};
use crate::fields;
use qixie_kernel::error::FieldReason;

/// A problem with one cell of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub row: usize,
    /// Stable snake_case field key, see `Field::key`.
    pub field: String,
    /// Why, from the closed table: required, too_long, format, duplicate_in_file, …
    pub reason: FieldReason,
}

/// A row that passed every check, normalised and ready for the database layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportRecord {
    pub row: usize,
    pub name: String,
    pub userid: String,
    pub employee_no: Option<String>,
    /// Mainland numbers as 11 digits, others as `+<digits>`.
    pub mobile: Option<String>,
    /// Lower-cased.
    pub email: Option<String>,
    /// Each department as its path of names from the top; the first is the main department.
    pub department_paths: Vec<Vec<String>>,
    pub position: String,
    /// "0" unknown, "1" male, "2" female.
    pub gender: String,
    /// A userid.
    pub leader: Option<String>,
    pub tags: Vec<String>,
    pub alias: String,
    pub telephone: String,
}

const REQUIRED: FieldReason = FieldReason::Required;
const TOO_LONG: FieldReason = FieldReason::TooLong;
const FORMAT: FieldReason = FieldReason::Format;
const DUPLICATE_IN_FILE: FieldReason = FieldReason::DuplicateInFile;

/// Limits in characters, as WeCom applies them.
const EMPLOYEE_NO_MAX: usize = 64;
const DEPARTMENT_NAME_MAX: usize = 64;
const POSITION_MAX: usize = 128;
const TAG_MAX: usize = 32;
const ALIAS_MAX: usize = 64;
const TELEPHONE_MAX: usize = 32;

/// Checks every row on its own and against the rows above it (in-file duplicates). A row with
/// any error yields no record; all of its errors are reported.
pub fn validate_rows(rows: Vec<SheetRow>) -> (Vec<ImportRecord>, Vec<RowError>) {
    let mut v = RowValidator::default();
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for r in rows {
        match v.check(r) {
            Ok(rec) => records.push(rec),
            Err(mut e) => errors.append(&mut e),
        }
    }
    (records, errors)
}

/// Checks rows one at a time, remembering what it has seen for the in-file duplicate checks.
#[derive(Default)]
pub struct RowValidator {
    // Values seen so far. Every well-formed value is remembered, even from a rejected row:
    // the file is ambiguous either way, and the later row is the one to point at.
    seen_userids: HashSet<String>,
    seen_mobiles: HashSet<String>,
    seen_emails: HashSet<String>,
}

impl RowValidator {
    /// The row as a record, or all of its errors.
    pub fn check(&mut self, r: SheetRow) -> Result<ImportRecord, Vec<RowError>> {
        let (seen_userids, seen_mobiles, seen_emails) = (
            &mut self.seen_userids,
            &mut self.seen_mobiles,
            &mut self.seen_emails,
        );
        {
            let mut row_errors = Vec::new();
            let mut fail = |field: Field, reason: FieldReason| {
                row_errors.push(RowError {
                    row: r.row,
                    field: field.key().to_string(),
                    reason,
                });
            };

            let name = r.get(Field::Name);
            if let Err(reason) = fields::person_name(name) {
                fail(Field::Name, reason);
            }

            let userid = r.get(Field::Userid);
            if let Err(reason) = fields::userid(userid) {
                fail(Field::Userid, reason);
            } else if !seen_userids.insert(userid.to_ascii_lowercase()) {
                // WeCom treats userids case-insensitively when checking uniqueness.
                fail(Field::Userid, DUPLICATE_IN_FILE);
            }

            let employee_no = optional(r.get(Field::EmployeeNo));
            if employee_no.is_some_and(|e| e.chars().count() > EMPLOYEE_NO_MAX) {
                fail(Field::EmployeeNo, TOO_LONG);
            }

            let mobile = match fields::mobile(r.get(Field::Mobile)) {
                Err(reason) => {
                    fail(Field::Mobile, reason);
                    None
                }
                Ok(m) => {
                    if m.as_ref().is_some_and(|m| !seen_mobiles.insert(m.clone())) {
                        fail(Field::Mobile, DUPLICATE_IN_FILE);
                    }
                    m
                }
            };

            let email = match fields::email(r.get(Field::Email)) {
                Err(reason) => {
                    fail(Field::Email, reason);
                    None
                }
                Ok(e) => {
                    if e.as_ref().is_some_and(|e| !seen_emails.insert(e.clone())) {
                        fail(Field::Email, DUPLICATE_IN_FILE);
                    }
                    e
                }
            };

            let department_paths = match parse_departments(r.get(Field::Departments)) {
                Ok(paths) => paths,
                Err(reason) => {
                    fail(Field::Departments, reason);
                    Vec::new()
                }
            };

            let position = r.get(Field::Position);
            if position.chars().count() > POSITION_MAX {
                fail(Field::Position, TOO_LONG);
            }

            let gender = fields::gender(r.get(Field::Gender))
                .map_err(|reason| fail(Field::Gender, reason))
                .ok();

            let leader = optional(r.get(Field::Leader));
            if leader.is_some_and(|l| fields::userid(l).is_err()) {
                fail(Field::Leader, FORMAT);
            }

            let tags = split_list(r.get(Field::Tags));
            if tags.iter().any(|t| t.chars().count() > TAG_MAX) {
                fail(Field::Tags, TOO_LONG);
            }

            let alias = r.get(Field::Alias);
            if alias.chars().count() > ALIAS_MAX {
                fail(Field::Alias, TOO_LONG);
            }
            let telephone = r.get(Field::Telephone);
            if telephone.chars().count() > TELEPHONE_MAX {
                fail(Field::Telephone, TOO_LONG);
            }

            if !row_errors.is_empty() {
                return Err(row_errors);
            }
            Ok(ImportRecord {
                row: r.row,
                name: name.to_string(),
                userid: userid.to_string(),
                employee_no: employee_no.map(str::to_string),
                mobile,
                email,
                department_paths,
                position: position.to_string(),
                gender: gender.unwrap_or_else(|| "0".into()),
                leader: leader.map(str::to_string),
                tags,
                alias: alias.to_string(),
                telephone: telephone.to_string(),
            })
        }
    }
}

fn optional(cell: &str) -> Option<&str> {
    (!cell.is_empty()).then_some(cell)
}

/// `总公司/研发部;总公司/产品部` → two paths. Empty entries (a trailing `;`) are skipped and
/// repeats dropped; an empty level inside a path (`总公司//研发部`) is a format error.
fn parse_departments(raw: &str) -> Result<Vec<Vec<String>>, FieldReason> {
    let mut paths: Vec<Vec<String>> = Vec::new();
    let mut too_long = false;
    for entry in raw
        .split([';', '；', ',', '，'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let path: Vec<String> = entry
            .split(['/', '／'])
            .map(|c| c.trim().to_string())
            .collect();
        if path.iter().any(String::is_empty) {
            return Err(FORMAT);
        }
        too_long |= path.iter().any(|c| c.chars().count() > DEPARTMENT_NAME_MAX);
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    if too_long {
        Err(TOO_LONG)
    } else if paths.is_empty() {
        Err(REQUIRED)
    } else {
        Ok(paths)
    }
}

/// Tags: `;`, `；`, `,` or `，` separated, trimmed, empty ones and repeats dropped.
fn split_list(raw: &str) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    for item in raw
        .split([';', '；', ',', '，'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if !items.iter().any(|t| t == item) {
            items.push(item.to_string());
        }
    }
    items
}
