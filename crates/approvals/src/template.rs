//! Templates: what may be submitted, with which form and flow. A change to the form or the flow is
//! a new version; instances keep theirs. Built-in templates are added to an enterprise the first
//! time its templates are read.
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, ActorKind, Grant, perm};
use qixie_kernel::db::{Conn, Database, Tx, is_unique_violation, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason, Validator};
use qixie_kernel::i18n::Lang;
use qixie_kernel::ids::{CorpId, new_id, random_token};

use crate::directory::OrgDirectory;
use crate::flow::Flow;
use crate::flow::check::{Severity, check};
use crate::form::Field;
use crate::form::validate::check_fields;
use qixie_org::people::Person;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TemplateRow {
    pub id: i64,
    pub corp_id: i64,
    pub template_id: String,
    pub name: String,
    pub group_name: String,
    pub icon: String,
    pub description: String,
    pub builtin: Option<String>,
    pub submitters: String,
    pub enabled: bool,
    pub deleted: bool,
    pub version: i64,
    pub app_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLS: &str = "id, corp_id, template_id, name, group_name, icon, description, builtin, submitters, enabled, deleted, version, app_id, created_at, updated_at";

/// One version's form and flow.
#[derive(Debug, Clone)]
pub struct Version {
    pub version: i64,
    pub fields: Vec<Field>,
    pub flow: Flow,
    pub changed_by: Option<i64>,
    pub changed_by_name: String,
    pub changed_at: i64,
    pub note: String,
}

/// Who may submit: any of these departments (with their sub-departments), members or tags; all
/// empty: everyone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Submitters {
    #[serde(default)]
    pub department_ids: Vec<i64>,
    #[serde(default)]
    pub userids: Vec<String>,
    #[serde(default)]
    pub tag_ids: Vec<i64>,
}

impl Submitters {
    pub fn everyone(&self) -> bool {
        self.department_ids.is_empty() && self.userids.is_empty() && self.tag_ids.is_empty()
    }
    /// Whether `person` is among them: named, holding one of the tags, or in one of the
    /// departments or below it (`paths`: the departments' paths, from `submitter_paths`).
    pub fn admits(&self, person: &Person, paths: &HashMap<i64, String>) -> bool {
        self.everyone()
            || self.userids.contains(&person.userid)
            || person.tags.iter().any(|t| self.tag_ids.contains(t))
            || person.departments.iter().any(|(_, own)| {
                self.department_ids
                    .iter()
                    .filter_map(|d| paths.get(d))
                    .any(|d| own.starts_with(d.as_str()))
            })
    }
}

/// The paths of every department these submitter lists name, in one read.
pub async fn submitter_paths(
    app: &AppState,
    corp: CorpId,
    lists: &[&Submitters],
) -> AppResult<HashMap<i64, String>> {
    let mut ids: Vec<i64> = lists
        .iter()
        .flat_map(|s| s.department_ids.iter().copied())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let paths = qixie_org::people::department_paths(&app.db, corp, &ids).await?;
    Ok(ids
        .into_iter()
        .zip(paths)
        .filter_map(|(id, p)| p.map(|p| (id, p)))
        .collect())
}

impl TemplateRow {
    /// Who may submit it.
    pub fn submitters(&self) -> Submitters {
        serde_json::from_str(&self.submitters).unwrap_or_default()
    }
}

/// What an administrator saves.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    /// 1–40 characters, unique in the enterprise.
    pub name: String,
    /// The group it is listed under (人事, 财务, 行政 …), ≤ 20 characters.
    #[serde(default)]
    pub group: String,
    /// An icon name from the client's set, ≤ 40 characters.
    #[serde(default)]
    pub icon: String,
    /// ≤ 200 characters.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub submitters: Submitters,
    pub fields: Vec<Field>,
    pub flow: Flow,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// What changed, for the version history; ≤ 200 characters.
    #[serde(default)]
    pub note: String,
}

fn yes() -> bool {
    true
}

/// A template as administrators see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Template {
    pub template_id: String,
    pub name: String,
    pub group: String,
    pub icon: String,
    pub description: String,
    pub builtin: Option<String>,
    pub enabled: bool,
    pub submitters: Submitters,
    pub version: i64,
    pub fields: Vec<Field>,
    pub flow: Flow,
    pub updated_at: i64,
    pub updated_by: Option<String>,
}

impl Template {
    pub fn of(row: &TemplateRow, v: &Version) -> Template {
        Template {
            template_id: row.template_id.clone(),
            name: row.name.clone(),
            group: row.group_name.clone(),
            icon: row.icon.clone(),
            description: row.description.clone(),
            builtin: row.builtin.clone(),
            enabled: row.enabled,
            submitters: row.submitters(),
            version: v.version,
            fields: v.fields.clone(),
            flow: v.flow.clone(),
            updated_at: v.changed_at,
            updated_by: (!v.changed_by_name.is_empty()).then(|| v.changed_by_name.clone()),
        }
    }
}

/// A template by its public id (deleted ones included: instances still name them).
pub async fn find(
    db: impl Into<Conn<'_>>,
    corp: CorpId,
    template_id: &str,
) -> AppResult<TemplateRow> {
    db.into()
        .opt(
            sql(format!(
                "SELECT {COLS} FROM approval_templates WHERE corp_id = $1 AND template_id = $2"
            ))
            .bind(corp)
            .bind(template_id),
        )
        .await?
        .ok_or_else(|| ErrorKind::TemplateNotFound.into())
}

/// A template by its row id.
pub async fn find_by_pk(db: impl Into<Conn<'_>>, pk: i64) -> AppResult<TemplateRow> {
    db.into()
        .opt(
            sql(format!(
                "SELECT {COLS} FROM approval_templates WHERE id = $1"
            ))
            .bind(pk),
        )
        .await?
        .ok_or_else(|| ErrorKind::TemplateNotFound.into())
}

/// Every template of the enterprise that is not deleted, by group and name (call
/// `builtin::ensure` first where the built-in ones should be there).
pub async fn list(app: &AppState, corp: CorpId) -> AppResult<Vec<TemplateRow>> {
    Ok(app
        .db
        .all(
            sql(format!(
                "SELECT {COLS} FROM approval_templates WHERE corp_id = $1 AND NOT deleted ORDER BY group_name, name"
            ))
            .bind(corp),
        )
        .await?)
}

/// One version of a template.
pub async fn version(db: impl Into<Conn<'_>>, pk: i64, version: i64) -> AppResult<Version> {
    type VersionRow = (i64, String, String, Option<i64>, String, i64, String);
    let row: Option<VersionRow> = db
        .into()
        .opt(
            sql("SELECT version, fields, flow, changed_by, changed_by_name, changed_at, note FROM approval_template_versions WHERE template_pk = $1 AND version = $2")
                .bind(pk)
                .bind(version),
        )
        .await?;
    let (version, fields, flow, changed_by, changed_by_name, changed_at, note) =
        row.ok_or(ErrorKind::TemplateNotFound)?;
    Ok(Version {
        version,
        fields: serde_json::from_str(&fields).map_err(AppError::internal)?,
        flow: serde_json::from_str(&flow).map_err(AppError::internal)?,
        changed_by,
        changed_by_name,
        changed_at,
        note,
    })
}

/// The version history, newest first: (version, changed by name, changed at, note).
pub async fn versions(db: &Database, pk: i64) -> AppResult<Vec<(i64, String, i64, String)>> {
    Ok(db
        .all(
            sql("SELECT version, changed_by_name, changed_at, note FROM approval_template_versions WHERE template_pk = $1 ORDER BY version DESC")
                .bind(pk),
        )
        .await?)
}

fn validate(input: &TemplateInput) -> AppResult<()> {
    let mut v = Validator::default();
    if let Err(r) = qixie_org::valid_name(&input.name, 40) {
        v.push("name", r);
    }
    v.check(
        input.group.chars().count() <= 20,
        "group",
        FieldReason::TooLong,
    );
    v.check(
        input.icon.chars().count() <= 40,
        "icon",
        FieldReason::TooLong,
    );
    v.check(
        input.description.chars().count() <= 200,
        "description",
        FieldReason::TooLong,
    );
    v.check(
        input.note.chars().count() <= 200,
        "note",
        FieldReason::TooLong,
    );
    v.check(
        input.submitters.userids.len() <= 1000,
        "submitters.userids",
        FieldReason::TooMany,
    );
    for (path, reason) in check_fields(&input.fields) {
        v.push(&path, reason);
    }
    v.finish()
}

/// Refuses a flow the check finds broken (errors; warnings pass).
async fn check_flow(app: &AppState, corp: CorpId, input: &TemplateInput) -> AppResult<()> {
    let dir = OrgDirectory::new(app, corp);
    let problems = check(&input.flow, &input.fields, &dir, Lang::Zh).await?;
    if problems.iter().any(|p| p.severity == Severity::Error) {
        return Err(ErrorKind::FlowHasProblems.into());
    }
    Ok(())
}

fn name_taken(e: sqlx::Error) -> AppError {
    if is_unique_violation(&e, "approval_templates", "name") {
        ErrorKind::TemplateNameExists.into()
    } else {
        e.into()
    }
}

/// Creates a template (version 1).
pub async fn create(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ApprovalsManage>,
    input: TemplateInput,
) -> AppResult<(TemplateRow, Version)> {
    validate(&input)?;
    let corp = grant.corp();
    check_flow(app, corp, &input).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let row = insert(&mut tx, corp, &input, None, None, Some(actor), now).await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "approval_template.create",
            target: row.template_id.clone(),
            before: None,
            after: Some(serde_json::json!({"name": row.name, "version": 1})),
        },
    )
    .await?;
    tx.commit().await?;
    let v = version(&app.db, row.id, 1).await?;
    Ok((row, v))
}

/// Inserts a template and its first version inside `tx` (administrators, apps and the built-ins).
pub async fn insert(
    tx: &mut Tx,
    corp: CorpId,
    input: &TemplateInput,
    builtin: Option<&str>,
    app_id: Option<i64>,
    actor: Option<&Actor>,
    now: i64,
) -> AppResult<TemplateRow> {
    let id = new_id(now);
    let template_id = format!("C4{}", random_token(18).replace(['-', '_'], "x"));
    let submitters = serde_json::to_string(&input.submitters).map_err(AppError::internal)?;
    tx.exec(
        sql("INSERT INTO approval_templates (id, corp_id, template_id, name, group_name, icon, description, builtin, submitters, enabled, deleted, version, app_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, FALSE, 1, $11, $12, $12)")
        .bind(id)
        .bind(corp)
        .bind(&template_id)
        .bind(input.name.trim())
        .bind(&input.group)
        .bind(&input.icon)
        .bind(&input.description)
        .bind(builtin)
        .bind(submitters)
        .bind(input.enabled)
        .bind(app_id)
        .bind(now),
    )
    .await
    .map_err(name_taken)?;
    insert_version(tx, id, 1, input, actor, now).await?;
    find_by_pk(&mut *tx, id).await
}

async fn insert_version(
    tx: &mut Tx,
    pk: i64,
    version: i64,
    input: &TemplateInput,
    actor: Option<&Actor>,
    now: i64,
) -> AppResult<()> {
    let (by, by_name) = match actor.map(|a| &a.kind) {
        Some(ActorKind::Member { id, name, .. }) => (Some(id.0), name.clone()),
        Some(ActorKind::App { name, .. }) => (None, name.clone()),
        _ => (None, String::new()),
    };
    tx.exec(
        sql("INSERT INTO approval_template_versions (template_pk, version, fields, flow, changed_by, changed_by_name, changed_at, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(pk)
            .bind(version)
            .bind(serde_json::to_string(&input.fields).map_err(AppError::internal)?)
            .bind(serde_json::to_string(&input.flow).map_err(AppError::internal)?)
            .bind(by)
            .bind(by_name)
            .bind(now)
            .bind(&input.note),
    )
    .await?;
    Ok(())
}

/// Saves a template: its settings at once, and a new version when the form or flow changed.
pub async fn update(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ApprovalsManage>,
    template_id: &str,
    input: TemplateInput,
) -> AppResult<(TemplateRow, Version)> {
    validate(&input)?;
    let corp = grant.corp();
    check_flow(app, corp, &input).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let row = find(&mut tx, corp, template_id).await?;
    if row.deleted {
        return Err(ErrorKind::TemplateNotFound.into());
    }
    let current = version(&mut tx, row.id, row.version).await?;
    let changed = current.fields != input.fields || current.flow != input.flow;
    let next = if changed {
        row.version + 1
    } else {
        row.version
    };
    if changed {
        insert_version(&mut tx, row.id, next, &input, Some(actor), now).await?;
    }
    tx.exec(
        sql("UPDATE approval_templates SET name = $1, group_name = $2, icon = $3, description = $4, submitters = $5, enabled = $6, version = $7, updated_at = $8 WHERE id = $9")
            .bind(input.name.trim())
            .bind(&input.group)
            .bind(&input.icon)
            .bind(&input.description)
            .bind(serde_json::to_string(&input.submitters).map_err(AppError::internal)?)
            .bind(input.enabled)
            .bind(next)
            .bind(now)
            .bind(row.id),
    )
    .await
    .map_err(name_taken)?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "approval_template.update",
            target: row.template_id.clone(),
            before: Some(serde_json::json!({"name": row.name, "version": row.version, "enabled": row.enabled})),
            after: Some(serde_json::json!({"name": input.name.trim(), "version": next, "enabled": input.enabled})),
        },
    )
    .await?;
    let row = find(&mut tx, corp, template_id).await?;
    tx.commit().await?;
    let v = version(&app.db, row.id, row.version).await?;
    Ok((row, v))
}

/// Deletes a template: it is no longer offered; instances that used it go on.
pub async fn delete(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ApprovalsManage>,
    template_id: &str,
) -> AppResult<()> {
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let row = find(&mut tx, grant.corp(), template_id).await?;
    if row.deleted {
        return Err(ErrorKind::TemplateNotFound.into());
    }
    tx.exec(
        sql("UPDATE approval_templates SET deleted = TRUE, enabled = FALSE, updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(row.id),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "approval_template.delete",
            target: row.template_id.clone(),
            before: Some(serde_json::json!({"name": row.name})),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
