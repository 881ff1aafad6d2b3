//! Asynchronous batch jobs (异步批量接口). `batch/syncuser`, `batch/replaceuser` and
//! `batch/replaceparty` take a CSV uploaded through `media/upload`, queue a durable job and answer
//! with its `jobid`; the job records its outcome in `batch_jobs`, which `batch/getresult` reads.
//! Member files go through the org importer, the department file through the department functions,
//! with the rights the app holds when the job runs.
//!
//! When the job ends (done, or given up after its retries, status 3 either way), the `callback` the
//! request named receives WeCom's `batch_job_result` event, encrypted with its token and
//! EncodingAESKey, through a durable job of its own that retries a receiver that is down.
//! `to_invite` (default true) is kept with the job; members a member file creates while it is true
//! are recorded as invited in the audit log (Qixie has no SMS or mail channel to send the invitation:
//! the administrator hands out the initial passwords).
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::contacts::{Params, wecom_error};
use super::{AppCaller, loose, media, ok};
use qixie_apps as apps;
use qixie_apps::callback::cdata;
use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, perm};
use qixie_kernel::db::sql;
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::http::extract::{Allowed, Body};
use qixie_kernel::i18n::Lang;
use qixie_kernel::ids::{CorpId, random_token};
use qixie_kernel::jobs::{self, Job, JobRegistry};
use qixie_org::department::{self, DeptRow};
use qixie_org::department_tree::{self, TreeRow};
use qixie_org::import::{self, ImportMode, RowProblem};
use qixie_org::member::{self, ListFilter, Member};
use qixie_org::sheet::{self, Field};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/batch/syncuser", post(sync_user))
        .route("/batch/replaceuser", post(replace_user))
        .route("/batch/replaceparty", post(replace_party))
        .route("/batch/getresult", get(get_result))
}

const JOB_KIND: &str = "wecom.batch";
const CALLBACK_JOB: &str = "wecom.batch_callback";

pub fn register_jobs(r: &mut JobRegistry) {
    r.register(JOB_KIND, Arc::new(|app, job| Box::pin(run(app, job))));
    r.register(
        CALLBACK_JOB,
        Arc::new(|app, job| Box::pin(deliver_callback(app, job))),
    );
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum BatchType {
    SyncUser,
    ReplaceUser,
    ReplaceParty,
}

impl BatchType {
    /// The `type` `batch/getresult` reports.
    fn as_str(self) -> &'static str {
        match self {
            BatchType::SyncUser => "sync_user",
            BatchType::ReplaceUser => "replace_user",
            BatchType::ReplaceParty => "replace_party",
        }
    }
}

/// WeCom's job states in `batch_jobs.status`.
const PENDING: i64 = 1;
const RUNNING: i64 = 2;
const DONE: i64 = 3;

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    jobid: String,
    batch: BatchType,
    media_id: String,
    app_id: i64,
    #[serde(default = "yes")]
    to_invite: bool,
    #[serde(default)]
    callback: Option<Callback>,
}

fn yes() -> bool {
    true
}

/// Where the job-finished event goes, with the receiver's keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Callback {
    url: String,
    token: String,
    encodingaeskey: String,
}

/// The body of the three submit calls.
#[derive(Deserialize)]
struct SubmitBody {
    #[serde(default, deserialize_with = "loose::string")]
    media_id: Option<String>,
    #[serde(default, deserialize_with = "loose::boolean")]
    to_invite: Option<bool>,
    #[serde(default)]
    callback: Option<CallbackBody>,
}

#[derive(Deserialize)]
struct CallbackBody {
    #[serde(default, deserialize_with = "loose::string")]
    url: Option<String>,
    #[serde(default, deserialize_with = "loose::string")]
    token: Option<String>,
    #[serde(default, deserialize_with = "loose::string")]
    encodingaeskey: Option<String>,
}

/// A callback with a URL must be usable: http(s), a token and a valid EncodingAESKey. One without a
/// URL means none.
fn callback_of(b: Option<CallbackBody>) -> AppResult<Option<Callback>> {
    let Some(b) = b else { return Ok(None) };
    let url = b.url.unwrap_or_default().trim().to_owned();
    if url.is_empty() {
        return Ok(None);
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() > 2048 {
        return Err(AppError::field("callback.url", FieldReason::Format));
    }
    let token = b.token.unwrap_or_default().trim().to_owned();
    if token.is_empty() {
        return Err(AppError::field("callback.token", FieldReason::Required));
    }
    let encodingaeskey = b.encodingaeskey.unwrap_or_default().trim().to_owned();
    if apps::crypto::MsgCrypt::new(&token, &encodingaeskey, "").is_none() {
        return Err(AppError::field(
            "callback.encodingaeskey",
            FieldReason::Format,
        ));
    }
    Ok(Some(Callback {
        url,
        token,
        encodingaeskey,
    }))
}

async fn sync_user(
    State(app): State<AppState>,
    caller: AppCaller,
    Body(b): Body<SubmitBody>,
) -> AppResult<Response> {
    submit(app, caller, b, BatchType::SyncUser).await
}

async fn replace_user(
    State(app): State<AppState>,
    caller: AppCaller,
    Body(b): Body<SubmitBody>,
) -> AppResult<Response> {
    submit(app, caller, b, BatchType::ReplaceUser).await
}

async fn replace_party(
    State(app): State<AppState>,
    caller: AppCaller,
    Body(b): Body<SubmitBody>,
) -> AppResult<Response> {
    submit(app, caller, b, BatchType::ReplaceParty).await
}

/// Checks the caller and the media now, so a bad call fails at once rather than in the result, then
/// queues the job with its `batch_jobs` row in one transaction.
async fn submit(
    app: AppState,
    caller: AppCaller,
    b: SubmitBody,
    batch: BatchType,
) -> AppResult<Response> {
    let g = caller.actor.require::<perm::ContactsManage>()?;
    if batch != BatchType::ReplaceParty {
        caller.actor.require::<perm::ContactsImport>()?;
    }
    let media_id = b
        .media_id
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .ok_or_else(|| AppError::field("media_id", FieldReason::Required))?;
    let corp = g.corp();
    let callback = callback_of(b.callback)?;
    let to_invite = b.to_invite.unwrap_or(true);
    media::find(&app, corp, &media_id).await?;
    let now = app.now();
    let jobid = random_token(16);
    let callback_url = callback.as_ref().map(|c| c.url.clone()).unwrap_or_default();
    let payload = serde_json::to_value(Payload {
        jobid: jobid.clone(),
        batch,
        media_id,
        app_id: caller.app.id,
        to_invite,
        callback,
    })
    .map_err(AppError::internal)?;
    let mut tx = app.db.begin().await?;
    tx.exec(sql("INSERT INTO batch_jobs (jobid, corp_id, kind, status, created_at, to_invite, callback_url) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&jobid).bind(corp).bind(batch.as_str()).bind(PENDING).bind(now).bind(to_invite).bind(callback_url))
        .await?;
    jobs::enqueue(&mut tx, now, Some(corp), JOB_KIND, &payload, now, None).await?;
    tx.commit().await?;
    app.jobs.wake();
    Ok(ok(json!({ "jobid": jobid })))
}

#[derive(sqlx::FromRow)]
struct BatchRow {
    kind: String,
    status: i64,
    total: i64,
    percentage: i64,
    result: String,
}

async fn get_result(
    State(app): State<AppState>,
    Allowed { grant: g, .. }: Allowed<perm::ContactsManage, AppCaller>,
    p: Params,
) -> AppResult<Response> {
    let jobid = p.require_text("jobid")?;
    let row: BatchRow = app
        .db
        .opt(sql("SELECT kind, status, total, percentage, result FROM batch_jobs WHERE jobid = $1 AND corp_id = $2").bind(jobid).bind(g.corp()))
        .await?
        .ok_or(ErrorKind::JobNotFound)?;
    let result: Value = serde_json::from_str(&row.result).unwrap_or_else(|_| json!([]));
    Ok(ok(
        json!({ "status": row.status, "type": row.kind, "total": row.total, "percentage": row.percentage, "result": result }),
    ))
}

async fn run(app: AppState, job: Job) -> anyhow::Result<()> {
    let p: Payload = serde_json::from_str(&job.payload)?;
    let corp = CorpId(
        job.corp_id
            .ok_or_else(|| anyhow::anyhow!("batch job {} has no enterprise", p.jobid))?,
    );
    app.db
        .exec(
            sql("UPDATE batch_jobs SET status = $1 WHERE jobid = $2 AND corp_id = $3")
                .bind(RUNNING)
                .bind(&p.jobid)
                .bind(corp),
        )
        .await?;
    let failure_entry = |e: &AppError| match p.batch {
        BatchType::ReplaceParty => party_entry(0, 0, Some(e)),
        _ => user_entry("", Some(e)),
    };
    let (entries, outcome) = match execute(&app, corp, &p).await {
        Ok(entries) => (entries, None),
        // Storage trouble: the job runner tries again later, and the job waits as pending. After the
        // last attempt it ends (status 3) with the reason as its one result entry.
        Err(e) if e.kind == ErrorKind::Internal => {
            let err = anyhow::anyhow!("batch job {}: {e}", p.jobid);
            if job.attempts < jobs::MAX_ATTEMPTS {
                app.db
                    .exec(
                        sql("UPDATE batch_jobs SET status = $1 WHERE jobid = $2 AND corp_id = $3")
                            .bind(PENDING)
                            .bind(&p.jobid)
                            .bind(corp),
                    )
                    .await?;
                return Err(err);
            }
            (vec![failure_entry(&e)], Some((e, err)))
        }
        // The file, the media or the app's rights: trying again would not help, so the job ends
        // with the reason as its one result entry.
        Err(e) => (vec![failure_entry(&e)], Some((e, anyhow::anyhow!("")))),
    };
    let (errcode, errmsg) = code_and_message(outcome.as_ref().map(|(e, _)| e));
    let now = app.now();
    let mut tx = app.db.begin().await?;
    tx.exec(
        sql("UPDATE batch_jobs SET status = $1, total = $2, percentage = 100, result = $3 WHERE jobid = $4 AND corp_id = $5")
            .bind(DONE)
            .bind(entries.len() as i64)
            .bind(Value::Array(entries).to_string())
            .bind(&p.jobid)
            .bind(corp),
    )
    .await?;
    if let Some(cb) = &p.callback {
        let corpid = qixie_org::enterprise::get(&app.db, corp)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .corpid;
        let agentid = apps::actor_for_app(&app, p.app_id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .map(|(_, a)| a.agentid)
            .unwrap_or(0);
        let event = CallbackEvent {
            url: cb.url.clone(),
            token: cb.token.clone(),
            encodingaeskey: cb.encodingaeskey.clone(),
            corpid,
            agentid,
            jobid: p.jobid.clone(),
            job_type: p.batch.as_str().to_owned(),
            errcode,
            errmsg,
            created_at: now / 1000,
        };
        let payload = serde_json::to_value(&event)?;
        jobs::enqueue(&mut tx, now, Some(corp), CALLBACK_JOB, &payload, now, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    tx.commit().await?;
    app.jobs.wake();
    match outcome {
        Some((e, err)) if e.kind == ErrorKind::Internal => Err(err),
        _ => Ok(()),
    }
}

/// The `batch_job_result` event of one finished job, as queued for delivery.
#[derive(Debug, Serialize, Deserialize)]
struct CallbackEvent {
    url: String,
    token: String,
    encodingaeskey: String,
    corpid: String,
    agentid: i64,
    jobid: String,
    job_type: String,
    errcode: i64,
    errmsg: String,
    created_at: i64,
}

/// WeCom's event XML for a finished batch job.
fn event_xml(e: &CallbackEvent) -> String {
    format!(
        "<xml><ToUserName>{}</ToUserName><FromUserName>{}</FromUserName><CreateTime>{}</CreateTime><MsgType>{}</MsgType><Event>{}</Event>\
         <BatchJob><JobId>{}</JobId><JobType>{}</JobType><ErrCode>{}</ErrCode><ErrMsg>{}</ErrMsg></BatchJob></xml>",
        cdata(&e.corpid),
        cdata("sys"),
        e.created_at,
        cdata("event"),
        cdata("batch_job_result"),
        cdata(&e.jobid),
        cdata(&e.job_type),
        e.errcode,
        cdata(&e.errmsg),
    )
}

/// Posts the encrypted event to the callback URL; any answer but 2xx (or no answer) is an error,
/// which the job runner retries with growing delays.
async fn deliver_callback(app: AppState, job: Job) -> anyhow::Result<()> {
    let e: CallbackEvent = serde_json::from_str(&job.payload)?;
    let target = apps::callback::Target {
        url: e.url.clone(),
        token: e.token.clone(),
        encoding_aes_key: e.encodingaeskey.clone(),
    };
    let what = format!("batch job {}", e.jobid);
    apps::callback::push(&app, &target, &e.corpid, e.agentid, &event_xml(&e), &what).await
}

async fn execute(app: &AppState, corp: CorpId, p: &Payload) -> AppResult<Vec<Value>> {
    let (actor, _) = apps::actor_for_app(app, p.app_id)
        .await?
        .ok_or(ErrorKind::ApiForbidden)?;
    if actor.corp != corp {
        return Err(ErrorKind::ApiForbidden.into());
    }
    let (file, bytes) = media::load(app, corp, &p.media_id).await?;
    match p.batch {
        BatchType::SyncUser => sync_users(app, &actor, p, &file.filename, &bytes, false).await,
        BatchType::ReplaceUser => sync_users(app, &actor, p, &file.filename, &bytes, true).await,
        BatchType::ReplaceParty => replace_parties(app, &actor, &file.filename, &bytes).await,
    }
}

/// A member entry of the result: `{userid, errcode, errmsg}`.
fn user_entry(userid: &str, err: Option<&AppError>) -> Value {
    let (code, msg) = code_and_message(err);
    json!({ "userid": userid, "errcode": code, "errmsg": msg })
}

/// A department entry of the result: `{action, partyid, errcode, errmsg}`, action being WeCom's
/// bits (1 created, 2 renamed, 4 moved, 8 reordered).
fn party_entry(action: i64, partyid: i64, err: Option<&AppError>) -> Value {
    let (code, msg) = code_and_message(err);
    json!({ "action": action, "partyid": partyid, "errcode": code, "errmsg": msg })
}

fn code_and_message(err: Option<&AppError>) -> (i64, String) {
    let Some(e) = err else {
        return (0, "ok".into());
    };
    let mut msg = e.kind.message(Lang::En).to_owned();
    if !e.fields.is_empty() {
        let f: Vec<String> = e
            .fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.reason))
            .collect();
        msg = format!("{msg} ({})", f.join(", "));
    }
    (e.kind.wecom_errcode(), msg)
}

/// An importer row problem as the WeCom error it stands for.
fn problem_error(p: &RowProblem) -> AppError {
    use FieldReason as R;
    let kind = match (p.field.as_str(), p.reason) {
        (_, R::OutOfScope) => ErrorKind::OutOfScope,
        (_, R::OutranksYou) => ErrorKind::AdminProtected,
        ("userid", R::DuplicateInFile) => ErrorKind::UseridExists,
        ("mobile", R::Exists | R::DuplicateInFile) => ErrorKind::MobileExists,
        ("email", R::Exists | R::DuplicateInFile) => ErrorKind::EmailExists,
        ("leader", R::NotFound) => ErrorKind::MemberNotFound,
        _ => ErrorKind::Validation,
    };
    AppError::field(&p.field, p.reason).with_kind(kind)
}

/// WeCom's batch files give departments by id ("1;5"); the importer resolves paths of names. Each
/// numeric entry becomes its department's path ("总公司/研发部"), other entries are taken as paths
/// already. The error is the first unknown id.
fn department_paths(cell: &str, depts: &HashMap<i64, DeptRow>) -> Result<String, String> {
    let mut out = Vec::new();
    for entry in cell
        .split([';', '；', ',', '，'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        if entry.bytes().all(|b| b.is_ascii_digit()) {
            match entry
                .parse::<i64>()
                .ok()
                .filter(|id| depts.contains_key(id))
            {
                Some(id) => out.push(department::display_path(depts, id)),
                None => return Err(entry.to_owned()),
            }
        } else {
            out.push(entry.to_owned());
        }
    }
    Ok(out.join(";"))
}

/// A member's current value of an import column, in the form the importer reads.
fn member_cell(m: &Member, f: Field) -> String {
    let join = |items: Vec<String>| items.join(";");
    match f {
        Field::Name => m.name.clone(),
        Field::Userid => m.userid.clone(),
        Field::EmployeeNo => m.employee_no.clone(),
        Field::Mobile => m.mobile.clone(),
        Field::Email => m.email.clone(),
        Field::Departments => join(m.departments.iter().map(|d| d.id.to_string()).collect()),
        Field::Position => m.position.clone(),
        Field::Gender => m.gender.clone(),
        Field::Leader => m.leader_userid.clone(),
        Field::Tags => join(m.tags.iter().map(|t| t.name.clone()).collect()),
        Field::Alias => m.alias.clone(),
        Field::Telephone => m.telephone.clone(),
    }
}

/// `syncuser`: the file's members are created, or updated in the columns the file has (WeCom's
/// incremental update). `replaceuser` takes the file as the whole truth and also deletes the members
/// of the caller's scope the file does not list; the domain refuses some (the creator, the last super
/// administrator), and each deletion is reported like a row.
async fn sync_users(
    app: &AppState,
    actor: &Actor,
    p: &Payload,
    filename: &str,
    bytes: &[u8],
    replace: bool,
) -> AppResult<Vec<Value>> {
    let import_grant = actor.require::<perm::ContactsImport>()?;
    let manage = actor.require::<perm::ContactsManage>()?;
    let corp = manage.corp();
    let rows = sheet::parse_import(filename, bytes, &app.config.upload_limits).map_err(|e| {
        tracing::info!(error = %e, "batch member file rejected");
        e.to_app_error()
    })?;
    let depts: HashMap<i64, DeptRow> = department::all_rows(&app.db, corp)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let needs_current = !replace || rows.iter().any(|r| r.get(Field::Departments).is_empty());
    let current: HashMap<String, Member> = if needs_current {
        member::all_for_batch(&app.db, &manage)
            .await?
            .into_iter()
            .map(|m| (m.userid.clone(), m))
            .collect()
    } else {
        HashMap::new()
    };
    let mut entries: Vec<(usize, Value)> = Vec::new();
    let mut imported: Vec<(usize, String)> = Vec::new();
    let mut in_file: HashSet<String> = HashSet::new();
    let mut kept = Vec::new();
    for mut r in rows {
        let userid = r.get(Field::Userid).to_owned();
        in_file.insert(userid.to_lowercase());
        if let Some(m) = current.get(&userid) {
            // syncuser changes only the columns the file has; replaceuser takes the file as the
            // whole truth. Either way a member listed without departments stays where it is.
            let keep: Vec<Field> = Field::ALL
                .into_iter()
                .filter(|f| {
                    if replace {
                        *f == Field::Departments
                    } else {
                        !r.cells.contains_key(f)
                    }
                })
                .collect();
            for f in keep {
                if r.get(f).is_empty() {
                    r.cells.insert(f, member_cell(m, f));
                }
            }
        }
        match department_paths(r.get(Field::Departments), &depts) {
            Ok(paths) => {
                r.cells.insert(Field::Departments, paths);
                imported.push((r.row, userid));
                kept.push(r);
            }
            Err(id) => entries.push((
                r.row,
                user_entry(
                    &userid,
                    Some(
                        // The unknown id stays in WeCom's errmsg ("department 12: not_found").
                        &AppError::field(&format!("department {id}"), FieldReason::NotFound)
                            .with_kind(ErrorKind::DepartmentNotFound),
                    ),
                ),
            )),
        }
    }
    let before: HashSet<String> = member::all_userids(&app.db, corp).await?;
    let report = import::run_rows(
        app,
        actor,
        &import_grant,
        filename,
        kept,
        ImportMode::ValidRows,
        false,
    )
    .await?;
    let mut problems: HashMap<usize, &RowProblem> = HashMap::new();
    for p in &report.errors {
        problems.entry(p.row).or_insert(p);
    }
    for (row, userid) in imported {
        let err = problems.get(&row).map(|p| problem_error(p));
        entries.push((row, user_entry(&userid, err.as_ref())));
    }
    entries.sort_by_key(|(row, _)| *row);
    if p.to_invite && report.applied {
        let invited: Vec<&str> = entries
            .iter()
            .filter(|(_, e)| e["errcode"] == 0)
            .filter_map(|(_, e)| e["userid"].as_str())
            .filter(|u| !before.contains(*u))
            .collect();
        if !invited.is_empty() {
            let mut tx = app.db.begin().await?;
            audit::record(&mut tx, actor, app.now(), Entry {
                kind: "member.invite",
                target: format!("batch:{}", p.jobid),
                before: None,
                after: Some(json!({"count": invited.len(), "userids": invited.iter().take(1000).collect::<Vec<_>>()})),
            })
            .await?;
            tx.commit().await?;
        }
    }
    let mut out: Vec<Value> = entries.into_iter().map(|(_, v)| v).collect();
    // A file none of whose rows could be applied deletes nobody: it is far more likely a wrong file
    // than a wish to empty the address book.
    if replace && report.applied {
        let members = member::all(&app.db, &manage.reads(), ListFilter::default()).await?;
        for m in members
            .iter()
            .filter(|m| !in_file.contains(&m.userid.to_lowercase()))
        {
            match member::delete(app, actor, &manage, &m.userid).await {
                Ok(()) => out.push(user_entry(&m.userid, None)),
                Err(e) if e.kind == ErrorKind::Internal => return Err(e),
                Err(e) => out.push(user_entry(&m.userid, Some(&e))),
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct PartyRow {
    row: usize,
    id: i64,
    parent: i64,
    name: String,
    order: Option<i64>,
}

/// A row of the department file that cannot be used: row number, id (0 if unreadable), field, reason.
type PartyProblem = (usize, i64, &'static str, FieldReason);

#[derive(Clone, Copy, PartialEq, Eq)]
enum PartyColumn {
    Name,
    Id,
    Parent,
    Order,
}

fn party_column(header: &str) -> Option<PartyColumn> {
    let mut h = header.trim();
    if let Some(i) = h.find(['(', '（']).filter(|&i| i > 0) {
        h = &h[..i];
    }
    let h: String = h
        .trim()
        .trim_matches(['*', '＊'])
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    Some(match h.as_str() {
        "部门名称" | "名称" | "name" | "departmentname" => PartyColumn::Name,
        "部门id" | "id" | "departmentid" => PartyColumn::Id,
        "父部门id" | "上级部门id" | "parentid" => PartyColumn::Parent,
        "排序" | "order" => PartyColumn::Order,
        _ => return None,
    })
}

/// Reads WeCom's department file: a header naming 部门名称, 部门ID and 父部门ID (排序 optional) within
/// the first rows, then one department per row.
fn parse_party_rows(
    table: Vec<(usize, Vec<String>)>,
) -> AppResult<(Vec<PartyRow>, Vec<PartyProblem>)> {
    let header_at = table
        .iter()
        .take(10)
        .position(|(_, cells)| {
            let cols: Vec<PartyColumn> = cells.iter().filter_map(|c| party_column(c)).collect();
            [PartyColumn::Name, PartyColumn::Id, PartyColumn::Parent]
                .iter()
                .all(|c| cols.contains(c))
        })
        .ok_or(ErrorKind::ImportFileInvalid)?;
    let mut columns: Vec<(usize, PartyColumn)> = Vec::new();
    for (i, h) in table[header_at].1.iter().enumerate() {
        if let Some(c) = party_column(h).filter(|c| !columns.iter().any(|(_, d)| d == c)) {
            columns.push((i, c));
        }
    }
    let cell = |cells: &[String], col: PartyColumn| -> String {
        columns
            .iter()
            .find(|(_, c)| *c == col)
            .and_then(|(i, _)| cells.get(*i))
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    let mut problems: Vec<PartyProblem> = Vec::new();
    let mut seen = HashSet::new();
    for (row, cells) in table.into_iter().skip(header_at + 1) {
        let id = cell(&cells, PartyColumn::Id)
            .parse::<i64>()
            .ok()
            .filter(|i| *i > 0);
        let Some(id) = id else {
            problems.push((row, 0, "id", FieldReason::Format));
            continue;
        };
        if !seen.insert(id) {
            problems.push((row, id, "id", FieldReason::DuplicateInFile));
            continue;
        }
        let name = cell(&cells, PartyColumn::Name);
        if name.is_empty() {
            problems.push((row, id, "name", FieldReason::Required));
            continue;
        }
        let Some(parent) = cell(&cells, PartyColumn::Parent)
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 0)
        else {
            problems.push((row, id, "parentid", FieldReason::Format));
            continue;
        };
        let order = match cell(&cells, PartyColumn::Order) {
            o if o.is_empty() => None,
            o => match o.parse::<i64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    problems.push((row, id, "order", FieldReason::Format));
                    continue;
                }
            },
        };
        rows.push(PartyRow {
            row,
            id,
            parent,
            name,
            order,
        });
    }
    Ok((rows, problems))
}

/// `replaceparty`: reads WeCom's department file and hands the list to the organisation, which
/// replaces the tree in one transaction; the outcome of each row becomes WeCom's action bits and
/// errcode.
async fn replace_parties(
    app: &AppState,
    actor: &Actor,
    filename: &str,
    bytes: &[u8],
) -> AppResult<Vec<Value>> {
    let g = actor.require::<perm::ContactsManage>()?;
    let table = sheet::read_table(filename, bytes, &app.config.upload_limits).map_err(|e| {
        tracing::info!(error = %e, "batch department file rejected");
        e.to_app_error()
    })?;
    let (rows, problems) = parse_party_rows(table)?;
    let unreadable: HashSet<i64> = problems.iter().map(|p| p.1).collect();
    let list: Vec<TreeRow> = rows
        .iter()
        .map(|r| TreeRow {
            id: r.id,
            parent: r.parent,
            name: r.name.clone(),
            order: r.order,
        })
        .collect();
    let outcomes = department_tree::replace(app, actor, &g, &list, &unreadable).await?;
    let mut entries: Vec<(usize, Value)> = problems
        .iter()
        .map(|&(row, id, field, reason)| {
            (
                row,
                party_entry(0, id, Some(&AppError::field(field, reason))),
            )
        })
        .collect();
    for (r, o) in rows.iter().zip(outcomes) {
        let action = i64::from(o.created)
            | i64::from(o.renamed) << 1
            | i64::from(o.moved) << 2
            | i64::from(o.reordered) << 3;
        let error = o.error.map(wecom_error);
        entries.push((r.row, party_entry(action, r.id, error.as_ref())));
    }
    entries.sort_by_key(|(row, _)| *row);
    Ok(entries.into_iter().map(|(_, v)| v).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dept(id: i64, parent: Option<i64>, name: &str, path: &str) -> (i64, DeptRow) {
        (
            id,
            DeptRow {
                id,
                parent_id: parent,
                name: name.into(),
                name_en: String::new(),
                ord: 0,
                path: path.into(),
            },
        )
    }

    #[test]
    fn department_ids_become_name_paths() {
        let depts: HashMap<i64, DeptRow> = [
            dept(1, None, "总公司", "/1/"),
            dept(2, Some(1), "研发部", "/1/2/"),
            dept(5, Some(2), "后端组", "/1/2/5/"),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            department_paths("1;5", &depts),
            Ok("总公司;总公司/研发部/后端组".into())
        );
        assert_eq!(department_paths(" 2 ", &depts), Ok("总公司/研发部".into()));
        assert_eq!(
            department_paths("总公司/市场部;2", &depts),
            Ok("总公司/市场部;总公司/研发部".into())
        );
        assert_eq!(department_paths("2;9", &depts), Err("9".into()));
        assert_eq!(department_paths("", &depts), Ok(String::new()));
    }

    fn table(rows: &[&[&str]]) -> Vec<(usize, Vec<String>)> {
        rows.iter()
            .enumerate()
            .map(|(i, r)| (i + 1, r.iter().map(|c| c.to_string()).collect()))
            .collect()
    }

    #[test]
    fn party_file_reads_wecom_template() {
        let t = table(&[
            &["部门名称", "部门ID", "父部门ID", "排序"],
            &["总公司", "1", "0", ""],
            &["研发部", "2", "1", "5"],
            &["坏行", "x", "1", ""],
            &["重复", "2", "1", ""],
            &["无父", "3", "", ""],
        ]);
        let (rows, problems) = parse_party_rows(t).map_err(|e| e.kind).unwrap_or_default();
        assert_eq!(
            rows,
            vec![
                PartyRow {
                    row: 2,
                    id: 1,
                    parent: 0,
                    name: "总公司".into(),
                    order: None
                },
                PartyRow {
                    row: 3,
                    id: 2,
                    parent: 1,
                    name: "研发部".into(),
                    order: Some(5)
                },
            ]
        );
        assert_eq!(
            problems,
            vec![
                (4, 0, "id", FieldReason::Format),
                (5, 2, "id", FieldReason::DuplicateInFile),
                (6, 3, "parentid", FieldReason::Format)
            ]
        );
    }

    #[test]
    fn party_file_without_the_columns_is_rejected() {
        let t = table(&[&["姓名", "帐号"], &["张三", "zhangsan"]]);
        assert_eq!(
            parse_party_rows(t).map(|_| ()).map_err(|e| e.kind),
            Err(ErrorKind::ImportFileInvalid)
        );
    }
}
