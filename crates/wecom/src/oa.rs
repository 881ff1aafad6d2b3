//! WeCom's approval calls (审批, `oa/*`) and the `sys_approval_change` callback. An app with the
//! `approval` scope creates and changes its own templates (`oa/approval/create_template`,
//! `update_template`), reads any template (`oa/gettemplatedetail`), submits applications for members
//! of its visible range (`oa/applyevent`), and lists and reads the approvals of its visible range and
//! those it submitted (`oa/getapprovalinfo`, `oa/getapprovaldetail`). Every change to one of those
//! approvals is pushed to the callback of each such app, encrypted and signed as WeCom does, from a
//! durable job that retries a receiver that is down. Translation only: the approvals module decides.
use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::{AppCaller, loose, media, ok, ok_empty};
use qixie_approvals::builtin;
use qixie_approvals::flow::{
    ApprovalMode, ApproverNode, ApproverSource, Flow, Node, Route, Step, StepKind, WhenEmpty,
};
use qixie_approvals::form::validate::into_app_error;
use qixie_approvals::form::wecom::{
    Names, from_apply_data, from_controls, to_apply_data, to_controls,
};
use qixie_approvals::form::{Field, FieldKind, FormValues};
use qixie_approvals::instance::progress::{PersonState, Status, StepStatus};
use qixie_approvals::instance::submit::{SubmitInput, corp_zone, submit_with};
use qixie_approvals::instance::view::people_refs;
use qixie_approvals::instance::{self, Loaded};
use qixie_approvals::template::{self, TemplateInput, TemplateRow};
use qixie_approvals::wecom_api::{self, After, InfoFilter};
use qixie_apps as apps;
use qixie_apps::callback::cdata;
use qixie_chat::media::UploadedBy;
use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Grant, perm};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::events::DomainEvent;
use qixie_kernel::http::extract::Body;
use qixie_kernel::ids::CorpId;
use qixie_kernel::jobs::{self, Job, JobRegistry, NewJob};
use qixie_org::audience::Selection;
use qixie_org::people;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/oa/approval/create_template", post(create_template))
        .route("/oa/approval/update_template", post(update_template))
        .route("/oa/gettemplatedetail", post(template_detail))
        .route("/oa/applyevent", post(apply_event))
        .route("/oa/getapprovalinfo", post(approval_info))
        .route("/oa/getapprovaldetail", post(approval_detail))
}

/// The language of WeCom's texts we write, and prefer when reading.
const LANG: &str = "zh_CN";

/// The rights behind the `approval` scope; without them, `kind` (301055, or 301088 for templates).
fn grant(caller: &AppCaller, kind: ErrorKind) -> AppResult<Grant<perm::ApprovalsManage>> {
    caller
        .actor
        .require::<perm::ApprovalsManage>()
        .map_err(|_| AppError::new(kind))
}

fn required(v: Option<String>, field: &str) -> AppResult<String> {
    v.map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AppError::field(field, FieldReason::Required))
}

/// The text of WeCom's `[{text, lang}]`: the zh_CN one, else the first.
fn text_of(v: &Value) -> Option<String> {
    let items = v.as_array()?;
    items
        .iter()
        .find(|t| t["lang"] == LANG)
        .or_else(|| items.first())
        .and_then(|t| t["text"].as_str())
        .map(|s| s.trim().to_owned())
}

// ---- templates ----

#[derive(Deserialize)]
struct TemplateBody {
    #[serde(default, deserialize_with = "loose::string")]
    template_id: Option<String>,
    /// `[{text, lang}]`.
    #[serde(default)]
    template_name: Value,
    /// `{controls: [{property, config}]}`.
    #[serde(default)]
    template_content: Value,
}

/// A template body's name and form, checked; errors name the control
/// (`template_content.controls.<i>…`).
fn template_parts(b: &TemplateBody) -> AppResult<(String, Vec<Field>)> {
    let name = text_of(&b.template_name).unwrap_or_default();
    if let Err(r) = qixie_org::valid_name(&name, 40) {
        return Err(AppError::field("template_name", r));
    }
    let fields = from_controls(&b.template_content["controls"]).map_err(into_app_error)?;
    Ok((name, fields))
}

/// The flow a template made through the API starts with: the applicant's direct leader approves
/// (the administrators when there is none). Administrators may change it; `update_template` keeps it.
fn leader_flow() -> Flow {
    Flow {
        nodes: vec![Node::Approver(ApproverNode {
            id: "leader".into(),
            name: "直属上级".into(),
            approvers: vec![ApproverSource::Leader { level: 1 }],
            mode: ApprovalMode::Any,
            when_empty: WhenEmpty::Admins,
            time_limit: None,
        })],
        rules: Default::default(),
    }
}

async fn create_template(
    State(app): State<AppState>,
    caller: AppCaller,
    Body(b): Body<TemplateBody>,
) -> AppResult<Response> {
    let g = grant(&caller, ErrorKind::TemplateApiForbidden)?;
    let (name, fields) = template_parts(&b)?;
    let corp = g.corp();
    // The built-in templates first, so that a name taken here cannot keep them out later.
    builtin::ensure(&app, corp).await?;
    let input = TemplateInput {
        name,
        group: String::new(),
        icon: String::new(),
        description: String::new(),
        submitters: Default::default(),
        fields,
        flow: leader_flow(),
        enabled: true,
        note: String::new(),
    };
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let row = template::insert(
        &mut tx,
        corp,
        &input,
        None,
        Some(caller.app.id),
        Some(&caller.actor),
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        &caller.actor,
        now,
        Entry {
            kind: "approval_template.create",
            target: row.template_id.clone(),
            before: None,
            after: Some(json!({"name": row.name, "version": 1})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ok(json!({ "template_id": row.template_id })))
}

/// A new version of a template the calling app created: the new name and form, the flow it has.
async fn update_template(
    State(app): State<AppState>,
    caller: AppCaller,
    Body(b): Body<TemplateBody>,
) -> AppResult<Response> {
    let g = grant(&caller, ErrorKind::TemplateApiForbidden)?;
    let template_id = required(b.template_id.clone(), "template_id")?;
    let row = template::find(&app.db, g.corp(), &template_id).await?;
    if row.deleted {
        return Err(ErrorKind::TemplateNotFound.into());
    }
    if row.app_id != Some(caller.app.id) {
        return Err(ErrorKind::TemplateApiForbidden.into());
    }
    let (name, fields) = template_parts(&b)?;
    let current = template::version(&app.db, row.id, row.version).await?;
    let input = TemplateInput {
        name,
        group: row.group_name.clone(),
        icon: row.icon.clone(),
        description: row.description.clone(),
        submitters: row.submitters(),
        fields,
        flow: current.flow,
        enabled: row.enabled,
        note: String::new(),
    };
    template::update(&app, &caller.actor, &g, &template_id, input).await?;
    Ok(ok_empty())
}

#[derive(Deserialize)]
struct TemplateIdBody {
    #[serde(default, deserialize_with = "loose::string")]
    template_id: Option<String>,
}

async fn template_detail(
    State(app): State<AppState>,
    caller: AppCaller,
    Body(b): Body<TemplateIdBody>,
) -> AppResult<Response> {
    let g = grant(&caller, ErrorKind::ApprovalApiForbidden)?;
    let template_id = required(b.template_id, "template_id")?;
    let row = template::find(&app.db, g.corp(), &template_id).await?;
    if row.deleted {
        return Err(ErrorKind::TemplateNotFound.into());
    }
    let v = template::version(&app.db, row.id, row.version).await?;
    Ok(ok(json!({
        "template_names": [{ "text": row.name, "lang": LANG }],
        "template_content": { "controls": to_controls(&v.fields) },
    })))
}

// ---- applications ----

#[derive(Deserialize)]
struct ApplyBody {
    #[serde(default, deserialize_with = "loose::string")]
    creator_userid: Option<String>,
    #[serde(default, deserialize_with = "loose::string")]
    template_id: Option<String>,
    #[serde(default, deserialize_with = "loose::int")]
    use_template_approver: Option<i64>,
    #[serde(default, deserialize_with = "loose::int")]
    choose_department: Option<i64>,
    #[serde(default)]
    approver: Option<Vec<ApproverBody>>,
    #[serde(default, deserialize_with = "loose::string_list")]
    notifyer: Option<Vec<String>>,
    #[serde(default, deserialize_with = "loose::int")]
    notify_type: Option<i64>,
    #[serde(default)]
    process: Option<ProcessBody>,
    #[serde(default)]
    apply_data: Value,
    #[serde(default)]
    summary_list: Value,
}

#[derive(Deserialize)]
struct ApproverBody {
    /// 1 或签 (any one), 2 会签 (all).
    #[serde(default, deserialize_with = "loose::int")]
    attr: Option<i64>,
    #[serde(default, deserialize_with = "loose::string_list")]
    userid: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct ProcessBody {
    #[serde(default)]
    node_list: Vec<ProcessNodeBody>,
}

#[derive(Deserialize)]
struct ProcessNodeBody {
    /// 1 审批人, 2 抄送人, 3 办理人.
    #[serde(default, rename = "type", deserialize_with = "loose::int")]
    kind: Option<i64>,
    /// 1 会签 (all), 2 或签 (any one), 3 依次审批 (in turn).
    #[serde(default, deserialize_with = "loose::int")]
    apv_rel: Option<i64>,
    #[serde(default, deserialize_with = "loose::string_list")]
    userid: Option<Vec<String>>,
}

/// A node of the route the caller names, before its people are looked up.
struct GivenNode {
    kind: StepKind,
    name: &'static str,
    mode: ApprovalMode,
    userids: Vec<String>,
    /// Where its people were given, for errors.
    at: String,
}

/// The nodes `use_template_approver` 0 names: `process.node_list` when given (the newer form),
/// else one approver node per `approver` entry with `notifyer` copied at the start (`notify_type`
/// 1, the default), at the end, once approved (2), or both (3).
fn given_nodes(b: &ApplyBody) -> AppResult<Vec<GivenNode>> {
    let invalid = |at: String| AppError::field(&at, FieldReason::Invalid);
    let mut out = Vec::new();
    if let Some(p) = b.process.as_ref().filter(|p| !p.node_list.is_empty()) {
        for (i, n) in p.node_list.iter().enumerate() {
            let at = format!("process.node_list.{i}");
            let (kind, name) = match n.kind {
                Some(1) => (StepKind::Approve, "审批人"),
                Some(2) => (StepKind::Cc, "抄送人"),
                Some(3) => (StepKind::Approve, "办理人"),
                _ => return Err(invalid(format!("{at}.type"))),
            };
            let mode = match n.apv_rel {
                None | Some(2) => ApprovalMode::Any,
                Some(1) => ApprovalMode::All,
                Some(3) => ApprovalMode::Sequential,
                _ => return Err(invalid(format!("{at}.apv_rel"))),
            };
            out.push(GivenNode {
                kind,
                name,
                mode,
                userids: n.userid.clone().unwrap_or_default(),
                at: format!("{at}.userid"),
            });
        }
        return Ok(out);
    }
    for (i, a) in b.approver.iter().flatten().enumerate() {
        let mode = match a.attr {
            None | Some(1) => ApprovalMode::Any,
            Some(2) => ApprovalMode::All,
            _ => return Err(invalid(format!("approver.{i}.attr"))),
        };
        out.push(GivenNode {
            kind: StepKind::Approve,
            name: "审批人",
            mode,
            userids: a.userid.clone().unwrap_or_default(),
            at: format!("approver.{i}.userid"),
        });
    }
    let notifyer = b.notifyer.clone().unwrap_or_default();
    if !notifyer.is_empty() {
        let cc = || GivenNode {
            kind: StepKind::Cc,
            name: "抄送人",
            mode: ApprovalMode::Any,
            userids: notifyer.clone(),
            at: "notifyer".into(),
        };
        match b.notify_type.unwrap_or(1) {
            1 => out.insert(0, cc()),
            2 => out.push(cc()),
            3 => {
                out.insert(0, cc());
                out.push(cc());
            }
            _ => return Err(invalid("notify_type".into())),
        }
    }
    Ok(out)
}

/// The route `use_template_approver` 0 gives: the named nodes with their members.
async fn given_route(app: &AppState, corp: CorpId, b: &ApplyBody) -> AppResult<Route> {
    let nodes = given_nodes(b)?;
    if !nodes.iter().any(|n| n.kind == StepKind::Approve) {
        return Err(AppError::field("approver", FieldReason::Required));
    }
    let mut steps = Vec::with_capacity(nodes.len());
    for (i, n) in nodes.into_iter().enumerate() {
        if n.userids.is_empty() {
            return Err(AppError::field(&n.at, FieldReason::Required));
        }
        if n.userids.len() > 100 {
            return Err(AppError::field(&n.at, FieldReason::TooMany));
        }
        let ids = people::ids_of(&app.db, corp, &n.userids).await?;
        if let Some(j) = ids.iter().position(Option::is_none) {
            return Err(AppError::field(
                &format!("{}.{j}", n.at),
                FieldReason::NotFound,
            ));
        }
        let mut members: Vec<i64> = Vec::with_capacity(ids.len());
        for id in ids.into_iter().flatten() {
            if !members.contains(&id) {
                members.push(id);
            }
        }
        steps.push(Step {
            node_id: format!("node-{}", i + 1),
            name: n.name.into(),
            kind: n.kind,
            mode: n.mode,
            members,
            passes: None,
            time_limit: None,
        });
    }
    Ok(Route {
        steps,
        branches: Vec::new(),
    })
}

/// `summary_list[{summary_info: [{text, lang}]}]` as lines.
fn summary_of(v: &Value) -> Option<Vec<String>> {
    let rows = v.as_array()?;
    Some(
        rows.iter()
            .filter_map(|r| text_of(&r["summary_info"]))
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

/// The file entries (`{file_id}`) of the attachment and image values among `entries`, table cells
/// included.
fn file_entries<'v>(
    fields: &[Field],
    entries: impl Iterator<Item = (&'v String, &'v mut Value)>,
    out: &mut Vec<&'v mut Value>,
) {
    for (id, v) in entries {
        let Some(f) = fields.iter().find(|f| f.id == *id) else {
            continue;
        };
        match f.kind {
            FieldKind::Attachment | FieldKind::Image => {
                if let Some(list) = v.as_array_mut() {
                    out.extend(list.iter_mut());
                }
            }
            FieldKind::Table => {
                for row in v.as_array_mut().into_iter().flatten() {
                    if let Some(cells) = row.as_object_mut() {
                        file_entries(&f.columns, cells.iter_mut(), out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Files named by a `media/upload` media_id become the applicant's own uploads, which is what a form
/// accepts; other ids are left for the form's check.
async fn adopt_files(
    app: &AppState,
    corp: CorpId,
    member: i64,
    fields: &[Field],
    values: &mut FormValues,
) -> AppResult<()> {
    let mut slots = Vec::new();
    file_entries(fields, values.iter_mut(), &mut slots);
    for slot in slots {
        let Some(id) = slot
            .get("file_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            continue;
        };
        match media::load(app, corp, &id).await {
            Ok((row, bytes)) => {
                let m = qixie_chat::media::store(
                    app,
                    corp,
                    UploadedBy::Member(member),
                    &row.filename,
                    bytes,
                )
                .await?;
                slot["file_id"] = json!(m.id);
            }
            Err(e) if e.kind == ErrorKind::MediaNotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Submits an application as `creator_userid`, who must be in the app's visible range.
async fn apply_event(
    State(app): State<AppState>,
    caller: AppCaller,
    Body(b): Body<ApplyBody>,
) -> AppResult<Response> {
    let g = grant(&caller, ErrorKind::ApprovalApiForbidden)?;
    let corp = g.corp();
    let creator = required(b.creator_userid.clone(), "creator_userid")?;
    let template_id = required(b.template_id.clone(), "template_id")?;
    let use_template = match b.use_template_approver {
        Some(0) => false,
        Some(1) => true,
        None => {
            return Err(AppError::field(
                "use_template_approver",
                FieldReason::Required,
            ));
        }
        Some(_) => {
            return Err(AppError::field(
                "use_template_approver",
                FieldReason::Invalid,
            ));
        }
    };
    let member = people::ids_of(&app.db, corp, std::slice::from_ref(&creator))
        .await?
        .pop()
        .flatten()
        .ok_or_else(|| {
            AppError::field("creator_userid", FieldReason::NotFound)
                .with_kind(ErrorKind::MemberNotFound)
        })?;
    let sel = Selection {
        userids: vec![creator],
        ..Selection::default()
    };
    if apps::reach(&app.db, &caller.app, &sel)
        .await?
        .members
        .is_empty()
    {
        return Err(ErrorKind::ApprovalApiForbidden.into());
    }
    builtin::ensure(&app, corp).await?;
    let row = template::find(&app.db, corp, &template_id).await?;
    // As in WeCom, punch corrections are made in the app, not through the API.
    if row.builtin.as_deref() == Some("punch_correction") {
        return Err(AppError::field("template_id", FieldReason::Unsupported));
    }
    let version = template::version(&app.db, row.id, row.version).await?;
    let zone = corp_zone(&app, corp).await?;
    let contents = b
        .apply_data
        .get("contents")
        .cloned()
        .unwrap_or_else(|| json!([]));
    let mut values = from_apply_data(&version.fields, &contents, &zone).map_err(into_app_error)?;
    let given = if use_template {
        None
    } else {
        Some(given_route(&app, corp, &b).await?)
    };
    adopt_files(&app, corp, member, &version.fields, &mut values).await?;
    let input = SubmitInput {
        template_id,
        values,
        department_id: b.choose_department,
        chosen: BTreeMap::new(),
        summary: summary_of(&b.summary_list),
    };
    let sp_no = submit_with(
        &app,
        &caller.actor,
        member,
        input,
        Some(caller.app.id),
        given,
    )
    .await?;
    Ok(ok(json!({ "sp_no": sp_no })))
}

// ---- the list ----

#[derive(Deserialize)]
struct InfoBody {
    #[serde(default, deserialize_with = "loose::int")]
    starttime: Option<i64>,
    #[serde(default, deserialize_with = "loose::int")]
    endtime: Option<i64>,
    #[serde(default, deserialize_with = "loose::int")]
    cursor: Option<i64>,
    #[serde(default, deserialize_with = "loose::string")]
    new_cursor: Option<String>,
    #[serde(default, deserialize_with = "loose::int")]
    size: Option<i64>,
    #[serde(default)]
    filters: Option<Vec<FilterBody>>,
    /// wechatpy 1.8 and 2.0.0a26 send the filters under this name.
    #[serde(default)]
    filter: Option<Vec<FilterBody>>,
}

#[derive(Deserialize)]
struct FilterBody {
    #[serde(default, deserialize_with = "loose::string")]
    key: Option<String>,
    #[serde(default, deserialize_with = "loose::string")]
    value: Option<String>,
}

/// The longest span `oa/getapprovalinfo` lists, as in WeCom: 31 days.
const MAX_SPAN_S: i64 = 31 * 86_400;

/// WeCom's `record_type` as the built-in template it names (others name none of ours).
fn builtin_of(record_type: i64) -> &'static str {
    match record_type {
        1 => "leave",
        2 => "punch_correction",
        3 => "business_trip",
        5 => "overtime",
        _ => "",
    }
}

fn info_filter(b: InfoBody) -> AppResult<InfoFilter> {
    let start = b
        .starttime
        .ok_or_else(|| AppError::field("starttime", FieldReason::Required))?;
    let end = b
        .endtime
        .ok_or_else(|| AppError::field("endtime", FieldReason::Required))?;
    if end <= start {
        return Err(AppError::field("endtime", FieldReason::BeforeStart));
    }
    if end.saturating_sub(start) > MAX_SPAN_S {
        return Err(AppError::field("endtime", FieldReason::OutOfRange));
    }
    let size = match b.size {
        None | Some(0) => 100,
        Some(n @ 1..=100) => n,
        Some(_) => return Err(AppError::field("size", FieldReason::OutOfRange)),
    };
    let after = match b
        .new_cursor
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(key) => After::parse_key(key)
            .ok_or_else(|| AppError::field("new_cursor", FieldReason::Invalid))?,
        None => match b.cursor {
            None | Some(0) => After::Start,
            Some(n) if n > 0 => After::Offset(n),
            Some(_) => return Err(AppError::field("cursor", FieldReason::Invalid)),
        },
    };
    let mut f = InfoFilter {
        from_ms: start.saturating_mul(1000),
        to_ms: end.saturating_add(1).saturating_mul(1000),
        after,
        size,
        ..InfoFilter::default()
    };
    let (list, at) = match (b.filters, b.filter) {
        (Some(list), _) => (list, "filters"),
        (None, Some(list)) => (list, "filter"),
        (None, None) => (Vec::new(), "filters"),
    };
    for (i, x) in list.into_iter().enumerate() {
        let value = x.value.unwrap_or_default().trim().to_owned();
        let number = || {
            value
                .parse::<i64>()
                .map_err(|_| AppError::field(&format!("{at}.{i}.value"), FieldReason::Invalid))
        };
        match x.key.unwrap_or_default().trim() {
            "template_id" => f.template_ids.push(value.clone()),
            "creator" => f.creators.push(value.clone()),
            "department" => f.departments.push(number()?),
            "sp_status" => f.statuses.push(number()?),
            "record_type" => f.builtins.push(builtin_of(number()?).to_owned()),
            _ => {
                return Err(AppError::field(
                    &format!("{at}.{i}.key"),
                    FieldReason::Unknown,
                ));
            }
        }
    }
    Ok(f)
}

/// The sp_nos of approvals submitted between `starttime` and `endtime` (seconds, at most 31 days
/// apart), oldest first, with WeCom's two cursors: the integer `cursor` → `next_cursor` and the
/// string `new_cursor` → `new_next_cursor`, each present only while more follow.
async fn approval_info(
    State(app): State<AppState>,
    caller: AppCaller,
    Body(b): Body<InfoBody>,
) -> AppResult<Response> {
    let g = grant(&caller, ErrorKind::ApprovalApiForbidden)?;
    let filter = info_filter(b)?;
    let page = wecom_api::sp_nos(&app, &g, caller.app.id, &filter).await?;
    let mut body = json!({ "sp_no_list": page.sp_nos });
    if let Some(n) = page.next_offset {
        body["next_cursor"] = json!(n);
    }
    if let Some(key) = page.next_key {
        body["new_next_cursor"] = json!(key);
    }
    Ok(ok(body))
}

// ---- the detail, and the callback ----

/// One person at a step, in WeCom's words: `sp_status` (`sp_yj`) 1 pending, 2 approved (or copied),
/// 3 rejected, 4 transferred; `sptime` 0 until they acted.
#[derive(Debug, Clone, PartialEq)]
struct Turn {
    userid: String,
    speech: String,
    sp_status: i64,
    sptime: i64,
}

/// An approve step (`sp_record`), `approverattr` 1 any one (或签), 2 all (会签, in turn or not).
#[derive(Debug, Clone, PartialEq)]
struct Record {
    sp_status: i64,
    approverattr: i64,
    details: Vec<Turn>,
}

/// Any step (`process_list`): `node_type` 1 approve, 2 copy; `apv_rel` 1 all, 2 any one, 3 in turn.
#[derive(Debug, Clone, PartialEq)]
struct ProcessNode {
    node_type: i64,
    sp_status: i64,
    apv_rel: i64,
    subs: Vec<Turn>,
}

#[derive(Debug, Clone, PartialEq)]
struct Comment {
    userid: String,
    time: i64,
    content: String,
    id: String,
}

/// An approval as WeCom shows it, for `oa/getapprovaldetail` (JSON) and `sys_approval_change`
/// (XML).
#[derive(Debug, Clone, PartialEq)]
struct SpInfo {
    sp_no: String,
    sp_name: String,
    /// 1 pending (also when returned to the applicant), 2 approved, 3 rejected, 4 withdrawn.
    sp_status: i64,
    template_id: String,
    apply_time: i64,
    applyer: String,
    party: String,
    records: Vec<Record>,
    notifyer: Vec<String>,
    comments: Vec<Comment>,
    nodes: Vec<ProcessNode>,
}

fn step_code(s: StepStatus) -> i64 {
    match s {
        StepStatus::Waiting | StepStatus::Pending => 1,
        StepStatus::Approved | StepStatus::Passed => 2,
        StepStatus::Rejected => 3,
    }
}

fn person_code(s: PersonState) -> i64 {
    match s {
        PersonState::Waiting | PersonState::Pending | PersonState::Closed => 1,
        PersonState::Approved | PersonState::Copied => 2,
        PersonState::Rejected => 3,
        PersonState::Transferred => 4,
    }
}

async fn sp_info(app: &AppState, corp: CorpId, l: &Loaded, t: &TemplateRow) -> AppResult<SpInfo> {
    let mut ids = vec![l.row.applicant_id];
    for s in &l.progress.steps {
        ids.extend(s.people.iter().map(|p| p.member));
    }
    ids.extend(l.timeline.iter().filter_map(|e| e.actor));
    let refs = people_refs(app, corp, &ids).await?;
    let userid = |id: i64| {
        refs.get(&id)
            .map(|r| r.userid.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let status = match l.status() {
        Status::Returned => Status::Pending,
        s => s,
    };
    let mut records = Vec::new();
    let mut notifyer: Vec<String> = Vec::new();
    let mut nodes = Vec::new();
    for s in &l.progress.steps {
        let approve = s.step.kind == StepKind::Approve;
        let turns: Vec<Turn> = s
            .people
            .iter()
            .map(|p| {
                let at = match p.state {
                    PersonState::Copied => p.acted_at.or(p.since),
                    _ => p.acted_at,
                };
                Turn {
                    userid: userid(p.member),
                    speech: p.comment.clone(),
                    sp_status: person_code(p.state),
                    sptime: at.map_or(0, |ms| ms / 1000),
                }
            })
            .collect();
        if approve && !turns.is_empty() {
            records.push(Record {
                sp_status: step_code(s.status),
                approverattr: if s.step.mode == ApprovalMode::Any {
                    1
                } else {
                    2
                },
                details: turns.clone(),
            });
        }
        if !approve {
            for t in &turns {
                if !notifyer.contains(&t.userid) {
                    notifyer.push(t.userid.clone());
                }
            }
        }
        nodes.push(ProcessNode {
            node_type: if approve { 1 } else { 2 },
            sp_status: step_code(s.status),
            apv_rel: match s.step.mode {
                ApprovalMode::All => 1,
                ApprovalMode::Any => 2,
                ApprovalMode::Sequential => 3,
            },
            subs: turns,
        });
    }
    let comments = l
        .timeline
        .iter()
        .enumerate()
        .filter(|(_, e)| e.action == "comment")
        .map(|(i, e)| Comment {
            userid: e.actor.map(userid).unwrap_or_default(),
            time: e.at / 1000,
            content: e.comment.clone(),
            id: format!("{}{i:04}", e.at),
        })
        .collect();
    Ok(SpInfo {
        sp_no: l.row.sp_no.clone(),
        sp_name: t.name.clone(),
        sp_status: status.code(),
        template_id: t.template_id.clone(),
        apply_time: l.row.submitted_at / 1000,
        applyer: userid(l.row.applicant_id),
        party: l.row.department_id.to_string(),
        records,
        notifyer,
        comments,
        nodes,
    })
}

/// `info` of `oa/getapprovaldetail`, with the form's `contents`.
fn info_json(i: &SpInfo, contents: Value) -> Value {
    let turn = |d: &Turn| {
        json!({
            "approver": { "userid": d.userid },
            "speech": d.speech,
            "sp_status": d.sp_status,
            "sptime": d.sptime,
            "media_id": [],
        })
    };
    json!({
        "sp_no": i.sp_no,
        "sp_name": i.sp_name,
        "sp_status": i.sp_status,
        "template_id": i.template_id,
        "apply_time": i.apply_time,
        "applyer": { "userid": i.applyer, "partyid": i.party },
        "sp_record": i.records.iter().map(|r| json!({
            "sp_status": r.sp_status,
            "approverattr": r.approverattr,
            "details": r.details.iter().map(turn).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "notifyer": i.notifyer.iter().map(|u| json!({ "userid": u })).collect::<Vec<_>>(),
        "apply_data": { "contents": contents },
        "comments": i.comments.iter().map(|c| json!({
            "commentUserInfo": { "userid": c.userid },
            "commenttime": c.time,
            "commentcontent": c.content,
            "commentid": c.id,
            "media_id": [],
        })).collect::<Vec<_>>(),
        "process_list": { "node_list": i.nodes.iter().map(|n| json!({
            "node_type": n.node_type,
            "sp_status": n.sp_status,
            "apv_rel": n.apv_rel,
            "sub_node_list": n.subs.iter().map(|d| json!({
                "userid": d.userid,
                "speech": d.speech,
                "sp_yj": d.sp_status,
                "sptime": d.sptime,
                "media_ids": [],
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>() },
    })
}

/// `<ApprovalInfo>` of `sys_approval_change`: lists as repeated elements without a wrapper; the
/// lists wechatpy reads (`SpRecord`, `Notifyer`, `Comments`) appear once, empty, when empty.
fn info_xml(i: &SpInfo, change: i64) -> String {
    let mut x = String::with_capacity(1024);
    x.push_str(&format!(
        "<ApprovalInfo><SpNo>{}</SpNo><SpName>{}</SpName><SpStatus>{}</SpStatus><TemplateId>{}</TemplateId>\
         <ApplyTime>{}</ApplyTime><Applyer><UserId>{}</UserId><Party>{}</Party></Applyer>",
        i.sp_no,
        cdata(&i.sp_name),
        i.sp_status,
        cdata(&i.template_id),
        i.apply_time,
        cdata(&i.applyer),
        cdata(&i.party),
    ));
    for r in &i.records {
        x.push_str(&format!(
            "<SpRecord><SpStatus>{}</SpStatus><ApproverAttr>{}</ApproverAttr>",
            r.sp_status, r.approverattr
        ));
        for d in &r.details {
            x.push_str(&format!(
                "<Details><Approver><UserId>{}</UserId></Approver><Speech>{}</Speech><SpStatus>{}</SpStatus><SpTime>{}</SpTime></Details>",
                cdata(&d.userid),
                cdata(&d.speech),
                d.sp_status,
                d.sptime
            ));
        }
        x.push_str("</SpRecord>");
    }
    if i.records.is_empty() {
        x.push_str("<SpRecord></SpRecord>");
    }
    for u in &i.notifyer {
        x.push_str(&format!(
            "<Notifyer><UserId>{}</UserId></Notifyer>",
            cdata(u)
        ));
    }
    if i.notifyer.is_empty() {
        x.push_str("<Notifyer></Notifyer>");
    }
    x.push_str("<ProcessList>");
    for n in &i.nodes {
        x.push_str(&format!(
            "<NodeList><NodeType>{}</NodeType><SpStatus>{}</SpStatus><ApvRel>{}</ApvRel>",
            n.node_type, n.sp_status, n.apv_rel
        ));
        for d in &n.subs {
            x.push_str(&format!(
                "<SubNodeList><UserInfo><UserId>{}</UserId></UserInfo><Speech>{}</Speech><SpYj>{}</SpYj><Sptime>{}</Sptime></SubNodeList>",
                cdata(&d.userid),
                cdata(&d.speech),
                d.sp_status,
                d.sptime
            ));
        }
        x.push_str("</NodeList>");
    }
    x.push_str("</ProcessList>");
    for c in &i.comments {
        x.push_str(&format!(
            "<Comments><CommentUserInfo><UserId>{}</UserId></CommentUserInfo><CommentTime>{}</CommentTime>\
             <CommentContent>{}</CommentContent><CommentId>{}</CommentId></Comments>",
            cdata(&c.userid),
            c.time,
            cdata(&c.content),
            cdata(&c.id)
        ));
    }
    if i.comments.is_empty() {
        x.push_str("<Comments></Comments>");
    }
    x.push_str(&format!(
        "<StatuChangeEvent>{change}</StatuChangeEvent></ApprovalInfo>"
    ));
    x
}

/// The whole event as the app's callback receives it (before encryption).
fn event_xml(corpid: &str, agentid: i64, created_at: i64, approval_info: &str) -> String {
    format!(
        "<xml><ToUserName>{}</ToUserName><FromUserName>{}</FromUserName><CreateTime>{created_at}</CreateTime>\
         <MsgType>{}</MsgType><Event>{}</Event><AgentID>{agentid}</AgentID>{approval_info}</xml>",
        cdata(corpid),
        cdata("sys"),
        cdata("event"),
        cdata("sys_approval_change"),
    )
}

/// The members and departments a form's values name (userids, ids), table cells included.
fn named<'v>(
    fields: &[Field],
    entries: impl Iterator<Item = (&'v String, &'v Value)>,
    users: &mut Vec<String>,
    departments: &mut Vec<i64>,
) {
    for (id, v) in entries {
        let Some(f) = fields.iter().find(|f| f.id == *id) else {
            continue;
        };
        let items = v.as_array().into_iter().flatten();
        match f.kind {
            FieldKind::Member => users.extend(items.filter_map(Value::as_str).map(str::to_owned)),
            FieldKind::Department => departments.extend(items.filter_map(Value::as_i64)),
            FieldKind::Table => {
                for row in items {
                    if let Some(cells) = row.as_object() {
                        named(&f.columns, cells.iter(), users, departments);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Names of the members and departments a form's values name, for the detail.
async fn names_of(
    app: &AppState,
    corp: CorpId,
    fields: &[Field],
    values: &FormValues,
) -> AppResult<Names> {
    let (mut users, mut departments) = (Vec::new(), Vec::new());
    named(fields, values.iter(), &mut users, &mut departments);
    users.sort();
    users.dedup();
    departments.sort_unstable();
    departments.dedup();
    let mut names = Names::default();
    if !users.is_empty() {
        let ids = people::ids_of(&app.db, corp, &users).await?;
        let known: Vec<i64> = ids.iter().flatten().copied().collect();
        let cards = qixie_org::member::lookup::cards(&app.db, corp, &known).await?;
        for (u, id) in users.into_iter().zip(ids) {
            if let Some(c) = id.and_then(|id| cards.get(&id)) {
                names.members.insert(u, c.name.clone());
            }
        }
    }
    for d in departments {
        match qixie_org::department::find(&app.db, corp, d).await {
            Ok(row) => {
                names.departments.insert(d, row.name);
            }
            Err(e) if e.kind == ErrorKind::DepartmentNotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(names)
}

#[derive(Deserialize)]
struct SpNoBody {
    #[serde(default, deserialize_with = "loose::string")]
    sp_no: Option<String>,
}

async fn approval_detail(
    State(app): State<AppState>,
    caller: AppCaller,
    Body(b): Body<SpNoBody>,
) -> AppResult<Response> {
    let g = grant(&caller, ErrorKind::ApprovalApiForbidden)?;
    let corp = g.corp();
    let sp_no = required(b.sp_no, "sp_no")?;
    let l = instance::load(&app.db, corp, &sp_no).await?;
    if !wecom_api::readable(&app, &caller.actor, caller.app.id, &l.row).await? {
        return Err(ErrorKind::ApprovalNotFound.into());
    }
    let t = template::find_by_pk(&app.db, l.row.template_pk).await?;
    let v = template::version(&app.db, t.id, l.row.version).await?;
    let info = sp_info(&app, corp, &l, &t).await?;
    let zone = corp_zone(&app, corp).await?;
    let names = names_of(&app, corp, &v.fields, &l.values).await?;
    let contents = to_apply_data(&v.fields, &l.values, &zone, &names);
    Ok(ok(json!({ "info": info_json(&info, contents) })))
}

/// Delivers one `sys_approval_change` to one app's callback.
const CALLBACK_JOB: &str = "wecom.approval_callback";

pub fn register_jobs(r: &mut JobRegistry) {
    r.register(
        CALLBACK_JOB,
        Arc::new(|app, job| Box::pin(deliver(app, job))),
    );
}

/// One change of one approval for one app, as queued: the app is read again at delivery, so a
/// callback changed or removed since applies.
#[derive(Debug, Serialize, Deserialize)]
struct CallbackPayload {
    agentid: i64,
    corpid: String,
    sp_no: String,
    created_at: i64,
    approval_info: String,
}

/// Queues the callbacks of the approval changes made on this node, for the life of the process.
pub fn spawn_listener(app: AppState) {
    let mut rx = app.events.subscribe();
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(DomainEvent::ApprovalChanged {
                    corp,
                    sp_no,
                    change,
                    ..
                }) => {
                    if let Err(e) = queue_callbacks(&app, corp, &sp_no, change).await {
                        tracing::warn!(error = %e, sp_no = %sp_no, "could not queue approval callbacks");
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "approval callbacks fell behind the events");
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
}

/// One job per app with the `approval` scope, a callback, and the right to read the approval.
async fn queue_callbacks(app: &AppState, corp: CorpId, sp_no: &str, change: i64) -> AppResult<()> {
    let targets = apps::with_callback(&app.db, corp, "approval").await?;
    if targets.is_empty() {
        return Ok(());
    }
    let l = instance::load(&app.db, corp, sp_no).await?;
    let t = template::find_by_pk(&app.db, l.row.template_pk).await?;
    let approval_info = info_xml(&sp_info(app, corp, &l, &t).await?, change);
    let corpid = qixie_org::enterprise::get(&app.db, corp).await?.corpid;
    let now = app.now();
    let mut list = Vec::new();
    for target in targets {
        let Some((actor, row)) = apps::actor_for_app(app, target.id).await? else {
            continue;
        };
        if !wecom_api::readable(app, &actor, row.id, &l.row).await? {
            continue;
        }
        let payload = CallbackPayload {
            agentid: row.agentid,
            corpid: corpid.clone(),
            sp_no: sp_no.to_owned(),
            created_at: now / 1000,
            approval_info: approval_info.clone(),
        };
        list.push(NewJob {
            corp: Some(corp),
            kind: CALLBACK_JOB,
            payload: serde_json::to_value(&payload).map_err(AppError::internal)?,
            run_at: now,
            dedup_key: None,
        });
    }
    if list.is_empty() {
        return Ok(());
    }
    let mut tx = app.db.begin().await?;
    jobs::enqueue_many(&mut tx, now, &list).await?;
    tx.commit().await?;
    app.jobs.wake();
    Ok(())
}

async fn deliver(app: AppState, job: Job) -> anyhow::Result<()> {
    let p: CallbackPayload = serde_json::from_str(&job.payload)?;
    let corp = CorpId(
        job.corp_id
            .ok_or_else(|| anyhow::anyhow!("approval callback {} has no enterprise", job.id))?,
    );
    // An app deleted since, or one that gave up its callback or the scope, hears nothing.
    let row = match apps::get(&app.db, corp, p.agentid).await {
        Ok(row) => row,
        Err(e) if e.kind == ErrorKind::AppNotFound => return Ok(()),
        Err(e) => return Err(anyhow::anyhow!("{e}")),
    };
    let Some(target) = row.callback().filter(|_| row.has_scope("approval")) else {
        return Ok(());
    };
    let xml = event_xml(&p.corpid, p.agentid, p.created_at, &p.approval_info);
    let what = format!("approval {}", p.sp_no);
    apps::callback::push(&app, &target, &p.corpid, p.agentid, &xml, &what).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> SpInfo {
        let turn = |u: &str, s: i64, t: i64| Turn {
            userid: u.into(),
            speech: String::new(),
            sp_status: s,
            sptime: t,
        };
        SpInfo {
            sp_no: "202612070001".into(),
            sp_name: "采购 <急>".into(),
            sp_status: 1,
            template_id: "C4abc".into(),
            apply_time: 1_790_000_000,
            applyer: "zhang".into(),
            party: "2".into(),
            records: vec![Record {
                sp_status: 1,
                approverattr: 2,
                details: vec![turn("li", 2, 1_790_000_100), turn("wang", 1, 0)],
            }],
            notifyer: vec![],
            comments: vec![Comment {
                userid: "li".into(),
                time: 1_790_000_050,
                content: "好]]>的".into(),
                id: "17900000500000003".into(),
            }],
            nodes: vec![ProcessNode {
                node_type: 1,
                sp_status: 1,
                apv_rel: 1,
                subs: vec![turn("li", 2, 1_790_000_100), turn("wang", 1, 0)],
            }],
        }
    }

    #[test]
    fn the_callback_xml_is_wecoms() {
        let x = info_xml(&info(), 2);
        assert_eq!(
            x,
            "<ApprovalInfo><SpNo>202612070001</SpNo><SpName><![CDATA[采购 <急>]]></SpName><SpStatus>1</SpStatus>\
             <TemplateId><![CDATA[C4abc]]></TemplateId><ApplyTime>1790000000</ApplyTime>\
             <Applyer><UserId><![CDATA[zhang]]></UserId><Party><![CDATA[2]]></Party></Applyer>\
             <SpRecord><SpStatus>1</SpStatus><ApproverAttr>2</ApproverAttr>\
             <Details><Approver><UserId><![CDATA[li]]></UserId></Approver><Speech><![CDATA[]]></Speech><SpStatus>2</SpStatus><SpTime>1790000100</SpTime></Details>\
             <Details><Approver><UserId><![CDATA[wang]]></UserId></Approver><Speech><![CDATA[]]></Speech><SpStatus>1</SpStatus><SpTime>0</SpTime></Details>\
             </SpRecord><Notifyer></Notifyer>\
             <ProcessList><NodeList><NodeType>1</NodeType><SpStatus>1</SpStatus><ApvRel>1</ApvRel>\
             <SubNodeList><UserInfo><UserId><![CDATA[li]]></UserId></UserInfo><Speech><![CDATA[]]></Speech><SpYj>2</SpYj><Sptime>1790000100</Sptime></SubNodeList>\
             <SubNodeList><UserInfo><UserId><![CDATA[wang]]></UserId></UserInfo><Speech><![CDATA[]]></Speech><SpYj>1</SpYj><Sptime>0</Sptime></SubNodeList>\
             </NodeList></ProcessList>\
             <Comments><CommentUserInfo><UserId><![CDATA[li]]></UserId></CommentUserInfo><CommentTime>1790000050</CommentTime>\
             <CommentContent><![CDATA[好]]]]><![CDATA[>的]]></CommentContent><CommentId><![CDATA[17900000500000003]]></CommentId></Comments>\
             <StatuChangeEvent>2</StatuChangeEvent></ApprovalInfo>"
        );
        let e = event_xml("wwcorp", 1000002, 1_790_000_200, &x);
        assert!(e.starts_with(
            "<xml><ToUserName><![CDATA[wwcorp]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
             <CreateTime>1790000200</CreateTime><MsgType><![CDATA[event]]></MsgType>\
             <Event><![CDATA[sys_approval_change]]></Event><AgentID>1000002</AgentID><ApprovalInfo>"
        ));
        assert!(e.ends_with("</ApprovalInfo></xml>"));
    }

    #[test]
    fn the_detail_json_is_wecoms() {
        let v = info_json(&info(), json!([]));
        assert_eq!(v["applyer"], json!({"userid": "zhang", "partyid": "2"}));
        assert_eq!(
            v["sp_record"][0]["details"][1],
            json!({"approver": {"userid": "wang"}, "speech": "", "sp_status": 1, "sptime": 0, "media_id": []})
        );
        assert_eq!(
            v["comments"][0],
            json!({"commentUserInfo": {"userid": "li"}, "commenttime": 1_790_000_050, "commentcontent": "好]]>的", "commentid": "17900000500000003", "media_id": []})
        );
        assert_eq!(v["notifyer"], json!([]));
        assert_eq!(
            v["process_list"]["node_list"][0]["sub_node_list"][0]["sp_yj"],
            json!(2)
        );
    }

    fn body(v: Value) -> InfoBody {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn the_list_reads_both_cursors_and_both_filter_names() {
        let f = info_filter(body(json!({"starttime": "1790000000", "endtime": 1_790_086_400, "cursor": 0, "size": 20,
            "filter": [{"key": "creator", "value": "zhang"}, {"key": "department", "value": "3"}, {"key": "sp_status", "value": 1}, {"key": "record_type", "value": "1"}]})))
        .unwrap();
        assert_eq!(
            (f.from_ms, f.to_ms, f.size),
            (1_790_000_000_000, 1_790_086_401_000, 20)
        );
        assert_eq!(f.after, After::Start);
        assert_eq!(
            (f.creators, f.departments, f.statuses, f.builtins),
            (
                vec!["zhang".to_owned()],
                vec![3],
                vec![1],
                vec!["leave".to_owned()]
            )
        );
        let f = info_filter(body(json!({"starttime": 1, "endtime": 2, "cursor": 40, "filters": [{"key": "template_id", "value": "C4x"}]}))).unwrap();
        assert_eq!(
            (f.after, f.size, f.template_ids),
            (After::Offset(40), 100, vec!["C4x".to_owned()])
        );
        let f = info_filter(body(
            json!({"starttime": 1, "endtime": 2, "cursor": 40, "new_cursor": "5000.7"}),
        ))
        .unwrap();
        assert_eq!(f.after, After::Key { at: 5000, id: 7 });
    }

    #[test]
    fn the_list_refuses_what_wecom_refuses() {
        let field = |v: Value| {
            let e = info_filter(body(v)).unwrap_err();
            (e.fields[0].field.clone(), e.fields[0].reason)
        };
        let day = 86_400;
        assert_eq!(
            field(json!({"starttime": 0, "endtime": 31 * day + 1})),
            ("endtime".to_owned(), FieldReason::OutOfRange)
        );
        assert!(info_filter(body(json!({"starttime": 0, "endtime": 31 * day}))).is_ok());
        assert_eq!(
            field(json!({"starttime": 5, "endtime": 5})),
            ("endtime".to_owned(), FieldReason::BeforeStart)
        );
        assert_eq!(
            field(json!({"endtime": 5})),
            ("starttime".to_owned(), FieldReason::Required)
        );
        assert_eq!(
            field(json!({"starttime": 1, "endtime": 5, "size": 101})),
            ("size".to_owned(), FieldReason::OutOfRange)
        );
        assert_eq!(
            field(
                json!({"starttime": 1, "endtime": 5, "filters": [{"key": "colour", "value": "red"}]})
            ),
            ("filters.0.key".to_owned(), FieldReason::Unknown)
        );
        assert_eq!(
            field(json!({"starttime": 1, "endtime": 5, "new_cursor": "x"})),
            ("new_cursor".to_owned(), FieldReason::Invalid)
        );
    }

    fn apply(v: Value) -> ApplyBody {
        serde_json::from_value(v).unwrap()
    }

    fn shape(nodes: &[GivenNode]) -> Vec<(StepKind, ApprovalMode, Vec<String>)> {
        nodes
            .iter()
            .map(|n| (n.kind, n.mode, n.userids.clone()))
            .collect()
    }

    #[test]
    fn approvers_and_notifyers_become_nodes() {
        use ApprovalMode::*;
        use StepKind::*;
        let s = |x: &[&str]| x.iter().map(|u| u.to_string()).collect::<Vec<_>>();
        let b = apply(
            json!({"approver": [{"attr": 2, "userid": ["a", "b"]}, {"attr": 1, "userid": ["c"]}], "notifyer": ["d"], "notify_type": 3}),
        );
        assert_eq!(
            shape(&given_nodes(&b).unwrap()),
            vec![
                (Cc, Any, s(&["d"])),
                (Approve, All, s(&["a", "b"])),
                (Approve, Any, s(&["c"])),
                (Cc, Any, s(&["d"]))
            ]
        );
        let b = apply(
            json!({"approver": [{"attr": "1", "userid": "a|b"}], "notifyer": ["d"], "notify_type": 2}),
        );
        assert_eq!(
            shape(&given_nodes(&b).unwrap()),
            vec![(Approve, Any, s(&["a", "b"])), (Cc, Any, s(&["d"]))]
        );
        // process.node_list, when given, is the whole route; apv_rel is the reverse of attr.
        let b = apply(
            json!({"approver": [{"attr": 1, "userid": ["x"]}], "process": {"node_list": [
            {"type": 1, "apv_rel": 1, "userid": ["a", "b"]}, {"type": 3, "apv_rel": 3, "userid": ["c", "e"]}, {"type": 2, "userid": ["d"]}]}}),
        );
        assert_eq!(
            shape(&given_nodes(&b).unwrap()),
            vec![
                (Approve, All, s(&["a", "b"])),
                (Approve, Sequential, s(&["c", "e"])),
                (Cc, Any, s(&["d"]))
            ]
        );
        let b = apply(json!({"approver": [{"attr": 3, "userid": ["a"]}]}));
        assert_eq!(
            given_nodes(&b).err().map(|e| e.fields[0].field.clone()),
            Some("approver.0.attr".to_owned())
        );
        let b = apply(json!({"process": {"node_list": [{"type": 4, "userid": ["a"]}]}}));
        assert_eq!(
            given_nodes(&b).err().map(|e| e.fields[0].field.clone()),
            Some("process.node_list.0.type".to_owned())
        );
    }

    #[test]
    fn texts_prefer_chinese() {
        assert_eq!(
            text_of(&json!([{"text": "en", "lang": "en"}, {"text": " 中 ", "lang": "zh_CN"}])),
            Some("中".into())
        );
        assert_eq!(
            text_of(&json!([{"text": "only", "lang": "en"}])),
            Some("only".into())
        );
        assert_eq!(text_of(&json!("x")), None);
        assert_eq!(
            summary_of(
                &json!([{"summary_info": [{"text": "第1行", "lang": "zh_CN"}]}, {"summary_info": []}])
            ),
            Some(vec!["第1行".to_owned()])
        );
    }
}
