//! Approval instances: one application and the route it follows. Storage is one row (values, route
//! with each person's state, timeline) plus one task row per person reached; every action loads the
//! row locked, changes its `Progress`, and writes the row and the task rows that changed, in one
//! transaction.
pub mod act;
pub mod effects;
pub mod progress;
pub mod submit;
pub mod view;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, ActorKind};
use qixie_kernel::db::{Conn, Tx, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind};
use qixie_kernel::events::DomainEvent;
use qixie_kernel::ids::{CorpId, MemberId};

use crate::form::FormValues;
use progress::{Progress, Status, Task};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InstanceRow {
    pub id: i64,
    pub corp_id: i64,
    pub sp_no: String,
    pub template_pk: i64,
    pub version: i64,
    pub applicant_id: i64,
    pub department_id: i64,
    pub status: i64,
    pub step: i64,
    pub summary: String,
    pub form_values: String,
    pub route: String,
    pub timeline: String,
    pub app_id: Option<i64>,
    pub submitted_at: i64,
    pub finished_at: Option<i64>,
    pub updated_at: i64,
}

pub const COLS: &str = "id, corp_id, sp_no, template_pk, version, applicant_id, department_id, status, step, summary, form_values, route, timeline, app_id, submitted_at, finished_at, updated_at";

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub at: i64,
    /// The member who acted; none for what the system did (a step passed by rule, a time limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<i64>,
    pub action: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    /// People the action named (transferred to, added, copied, mentioned).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// The step it happened at (its key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<i64>,
}

/// An instance read for a change or a view.
pub struct Loaded {
    pub row: InstanceRow,
    pub progress: Progress,
    pub timeline: Vec<Entry>,
    pub values: FormValues,
    pub summary: Vec<String>,
}

impl Loaded {
    pub fn status(&self) -> Status {
        Status::from_code(self.row.status)
    }
    fn decode(row: InstanceRow) -> AppResult<Loaded> {
        Ok(Loaded {
            progress: serde_json::from_str(&row.route).map_err(AppError::internal)?,
            timeline: serde_json::from_str(&row.timeline).map_err(AppError::internal)?,
            values: serde_json::from_str(&row.form_values).map_err(AppError::internal)?,
            summary: serde_json::from_str(&row.summary).map_err(AppError::internal)?,
            row,
        })
    }
}

/// An instance by sp_no, on the pool (views) or locked inside a change's transaction.
pub async fn load(db: impl Into<Conn<'_>>, corp: CorpId, sp_no: &str) -> AppResult<Loaded> {
    let mut conn = db.into();
    let lock = match &conn {
        Conn::Tx(_) => conn.dialect().lock_update(),
        _ => "",
    };
    let row: InstanceRow = conn
        .opt(
            sql(format!(
                "SELECT {COLS} FROM approval_instances WHERE corp_id = $1 AND sp_no = $2{lock}"
            ))
            .bind(corp)
            .bind(sp_no),
        )
        .await?
        .ok_or(ErrorKind::ApprovalNotFound)?;
    Loaded::decode(row)
}

/// Writes an instance's new state: the row, and the task rows that differ from `before` (new ones
/// inserted, changed ones updated). Rows are never deleted: a task someone acted on stays in their
/// "done" box whatever happens to the route after.
pub async fn save(
    tx: &mut Tx,
    l: &Loaded,
    before: &BTreeMap<(i64, i64), Task>,
    now: i64,
) -> AppResult<()> {
    let status = l.status();
    tx.exec(
        sql("UPDATE approval_instances SET status = $1, step = $2, summary = $3, form_values = $4, route = $5, timeline = $6, finished_at = $7, updated_at = $8, search_text = $9 WHERE id = $10")
            .bind(status.code())
            .bind(l.progress.current as i64)
            .bind(serde_json::to_string(&l.summary).map_err(AppError::internal)?)
            .bind(serde_json::to_string(&l.values).map_err(AppError::internal)?)
            .bind(serde_json::to_string(&l.progress).map_err(AppError::internal)?)
            .bind(serde_json::to_string(&l.timeline).map_err(AppError::internal)?)
            .bind(l.row.finished_at)
            .bind(now)
            .bind(search_text(&l.summary, &l.values))
            .bind(l.row.id),
    )
    .await?;
    write_tasks(tx, l.row.id, before, &l.progress.tasks()).await
}

/// The task rows that changed between two states of an instance.
pub async fn write_tasks(
    tx: &mut Tx,
    instance: i64,
    before: &BTreeMap<(i64, i64), Task>,
    after: &BTreeMap<(i64, i64), Task>,
) -> AppResult<()> {
    let mut new_rows = Vec::new();
    for (&(step, member), t) in after {
        match before.get(&(step, member)) {
            None => new_rows.push(vec![
                instance.into(),
                step.into(),
                member.into(),
                t.kind.into(),
                t.state.into(),
                t.since.into(),
                t.acted_at.into(),
            ]),
            Some(old) if old != t => {
                tx.exec(
                    sql("UPDATE approval_tasks SET state = $1, since = $2, acted_at = $3 WHERE instance_id = $4 AND step = $5 AND member_id = $6")
                        .bind(t.state)
                        .bind(t.since)
                        .bind(t.acted_at)
                        .bind(instance)
                        .bind(step)
                        .bind(member),
                )
                .await?;
            }
            Some(_) => {}
        }
    }
    // A turn that left the route (returned, resubmitted) no longer waits for anyone.
    for (&(step, member), old) in before {
        if old.state == 0 && !after.contains_key(&(step, member)) {
            tx.exec(
                sql("UPDATE approval_tasks SET state = 4 WHERE instance_id = $1 AND step = $2 AND member_id = $3")
                    .bind(instance)
                    .bind(step)
                    .bind(member),
            )
            .await?;
        }
    }
    if !new_rows.is_empty() {
        // A person can be reached again at a step they left (added approvers before them, a
        // return to an earlier step): their row takes the new turn.
        tx.insert_many(
            "INSERT INTO approval_tasks (instance_id, step, member_id, kind, state, since, acted_at) VALUES",
            " ON CONFLICT (instance_id, step, member_id) DO UPDATE SET state = excluded.state, since = excluded.since, acted_at = excluded.acted_at",
            new_rows,
        )
        .await?;
    }
    Ok(())
}

/// Text the boxes' search matches: the summary and the text of the values, lower-case.
fn search_text(summary: &[String], values: &FormValues) -> String {
    let mut out = summary.join(" ");
    for v in values.values() {
        collect_text(v, &mut out);
    }
    let mut s: String = out.to_lowercase();
    if s.len() > 4000 {
        let mut cut = 4000;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

fn collect_text(v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::String(s) => {
            out.push(' ');
            out.push_str(s);
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_text(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| collect_text(x, out)),
        _ => {}
    }
}

/// The member acting, for actions only members take.
pub fn member_of(actor: &Actor) -> AppResult<i64> {
    match &actor.kind {
        ActorKind::Member { id, .. } => Ok(id.0),
        _ => Err(ErrorKind::Forbidden.into()),
    }
}

/// Whether `member` may see an instance: the applicant, anyone it reached, or an administrator of
/// approvals whose scope covers the department it was filed under.
pub async fn may_view(app: &AppState, actor: &Actor, row: &InstanceRow) -> AppResult<bool> {
    if let ActorKind::Member { id, .. } = &actor.kind {
        if id.0 == row.applicant_id {
            return Ok(true);
        }
        let reached: Option<(i64,)> = app
            .db
            .opt(
                sql("SELECT step FROM approval_tasks WHERE instance_id = $1 AND member_id = $2")
                    .bind(row.id)
                    .bind(id.0),
            )
            .await?;
        if reached.is_some() {
            return Ok(true);
        }
    }
    if let Ok(grant) = actor.require::<qixie_kernel::authz::perm::ApprovalsManage>() {
        let path = qixie_org::people::department_paths(&app.db, grant.corp(), &[row.department_id])
            .await?
            .pop()
            .flatten()
            .unwrap_or_default();
        return Ok(grant.scope().covers_path(&path));
    }
    Ok(false)
}

/// The template id of an approval `member` may see (what a related-approval field may name).
pub async fn visible_template(
    app: &AppState,
    corp: CorpId,
    member: i64,
    sp_no: &str,
) -> AppResult<Option<String>> {
    let row: Option<(String,)> = app
        .db
        .opt(
            sql("SELECT t.template_id FROM approval_instances i JOIN approval_templates t ON t.id = i.template_pk \
                 WHERE i.corp_id = $1 AND i.sp_no = $2 AND (i.applicant_id = $3 OR EXISTS (SELECT 1 FROM approval_tasks k WHERE k.instance_id = i.id AND k.member_id = $3))")
            .bind(corp)
            .bind(sp_no)
            .bind(member),
        )
        .await?;
    Ok(row.map(|(t,)| t))
}

/// Announces a change once it commits (WeCom's `StatuChangeEvent` code in `change`).
pub fn announce(
    tx: &mut Tx,
    app: &AppState,
    l: &Loaded,
    template_id: &str,
    builtin: Option<&str>,
    change: i64,
) {
    let status = match l.status() {
        Status::Returned => Status::Pending,
        s => s,
    };
    tx.emit(
        app,
        DomainEvent::ApprovalChanged {
            corp: CorpId(l.row.corp_id),
            sp_no: l.row.sp_no.clone(),
            template_id: template_id.to_owned(),
            builtin: builtin.map(str::to_owned),
            applicant: MemberId(l.row.applicant_id),
            status: status.code(),
            change,
        },
    );
}
