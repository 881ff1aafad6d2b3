//! Routes of the approvals API (docs/api/approvals.md): the member's side under `/approvals`, the
//! administrators' under `/admin/approvals`.
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, perm};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::http::extract::{Allowed, Authed, Body};
use qixie_kernel::http::files::{Show, file_response};
use qixie_kernel::http::openapi::{ApiRoutes, routes};
use qixie_kernel::ids::MemberId;

use crate::boxes::{self, BoxQuery, Counts, Page};
use crate::directory::OrgDirectory;
use crate::flow::check::{Problem, simulate};
use crate::flow::resolve::{ResolveError, choices};
use crate::flow::{Applicant, BranchTaken, Flow, Step};
use crate::form::{Field, FormValues};
use crate::instance::act::{
    Action, AddApproverInput, CommentInput, DecisionInput, TransferInput, WithdrawInput, act,
};
use crate::instance::member_of;
use crate::instance::submit::{self, SubmitInput};
use crate::instance::view::{self, Detail};
use crate::template::{self, Template, TemplateInput, TemplateRow};

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .typed(routes!(offered_templates))
        .typed(routes!(template_form))
        .typed(routes!(preview))
        .typed(routes!(list_box, submit_application))
        .typed(routes!(badge_counts))
        .typed(routes!(detail))
        .typed(routes!(approve))
        .typed(routes!(reject))
        .typed(routes!(withdraw))
        .typed(routes!(resubmit))
        .typed(routes!(transfer))
        .typed(routes!(add_approver))
        .typed(routes!(urge))
        .typed(routes!(comment))
        .typed(routes!(attachment))
        .typed(routes!(admin_templates, create_template))
        .typed(routes!(admin_template, update_template, delete_template))
        .typed(routes!(template_versions))
        .typed(routes!(template_version))
        .typed(routes!(check_flow))
        .typed(routes!(simulate_flow))
        .typed(routes!(flow_text))
        .typed(routes!(all_applications))
        .typed(routes!(export_applications))
        .typed(routes!(stats))
        .typed(routes!(hand_over))
}

/// A template in the list a member submits from.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferedTemplate {
    pub template_id: String,
    pub name: String,
    pub group: String,
    pub icon: String,
    pub description: String,
    /// leave, reimbursement, business_trip, purchase, supplies, overtime, punch_correction, or null.
    pub builtin: Option<String>,
}

impl From<&TemplateRow> for OfferedTemplate {
    fn from(t: &TemplateRow) -> Self {
        OfferedTemplate {
            template_id: t.template_id.clone(),
            name: t.name.clone(),
            group: t.group_name.clone(),
            icon: t.icon.clone(),
            description: t.description.clone(),
            builtin: t.builtin.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfferedList {
    pub items: Vec<OfferedTemplate>,
}

/// A node whose approvers the applicant chooses.
#[derive(Debug, Serialize, ToSchema)]
pub struct Choice {
    pub node_id: String,
    pub name: String,
    pub multiple: bool,
}

/// The form a member fills in.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateForm {
    #[serde(flatten)]
    pub template: OfferedTemplate,
    pub version: i64,
    pub fields: Vec<Field>,
    pub choose: Vec<Choice>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Submitted {
    pub sp_no: String,
}

/// A step of a previewed or simulated route, with its people.
#[derive(Debug, Serialize, ToSchema)]
pub struct RouteStep {
    #[serde(flatten)]
    pub step: Step,
    pub people: Vec<view::PersonRef>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoutePreview {
    pub steps: Vec<RouteStep>,
    pub branches: Vec<BranchTaken>,
    /// Why the route cannot be resolved now (nobody to approve a step, a choice missing), or the
    /// flow's problems (simulate).
    pub problems: Vec<Problem>,
}

/// The templates the signed-in member may submit.
async fn offered(app: &AppState, actor: &Actor) -> AppResult<Vec<TemplateRow>> {
    let me = member_of(actor)?;
    let person = qixie_org::people::person(&app.db, actor.corp, MemberId(me))
        .await?
        .ok_or(ErrorKind::MemberNotFound)?;
    crate::builtin::ensure(app, actor.corp).await?;
    let enabled: Vec<(TemplateRow, template::Submitters)> = template::list(app, actor.corp)
        .await?
        .into_iter()
        .filter(|t| t.enabled)
        .map(|t| {
            let s = t.submitters();
            (t, s)
        })
        .collect();
    let lists: Vec<&template::Submitters> = enabled.iter().map(|(_, s)| s).collect();
    let paths = template::submitter_paths(app, actor.corp, &lists).await?;
    Ok(enabled
        .into_iter()
        .filter(|(_, s)| s.admits(&person, &paths))
        .map(|(t, _)| t)
        .collect())
}

#[utoipa::path(get, path = "/approvals/templates", tag = "approvals",
    summary = "Templates the member may submit",
    responses((status = 200, body = OfferedList)))]
async fn offered_templates(
    State(app): State<AppState>,
    Authed(actor): Authed,
) -> AppResult<Json<OfferedList>> {
    let items = offered(&app, &actor)
        .await?
        .iter()
        .map(OfferedTemplate::from)
        .collect();
    Ok(Json(OfferedList { items }))
}

#[utoipa::path(get, path = "/approvals/templates/{template_id}", tag = "approvals",
    summary = "The form of a template",
    responses((status = 200, body = TemplateForm)))]
async fn template_form(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(template_id): Path<String>,
) -> AppResult<Json<TemplateForm>> {
    let t = offered(&app, &actor)
        .await?
        .into_iter()
        .find(|t| t.template_id == template_id)
        .ok_or(ErrorKind::TemplateNotFound)?;
    let v = template::version(&app.db, t.id, t.version).await?;
    Ok(Json(TemplateForm {
        template: OfferedTemplate::from(&t),
        version: v.version,
        choose: choices(&v.flow)
            .into_iter()
            .map(|(node_id, name, multiple)| Choice {
                node_id,
                name,
                multiple,
            })
            .collect(),
        fields: v.fields,
    }))
}

/// Names the people of each step.
async fn with_people(app: &AppState, actor: &Actor, steps: Vec<Step>) -> AppResult<Vec<RouteStep>> {
    let ids: Vec<i64> = steps
        .iter()
        .flat_map(|s| s.members.iter().copied())
        .collect();
    let names = view::people_refs(app, actor.corp, &ids).await?;
    Ok(steps
        .into_iter()
        .map(|s| RouteStep {
            people: s
                .members
                .iter()
                .filter_map(|m| names.get(m).cloned())
                .collect(),
            step: s,
        })
        .collect())
}

#[utoipa::path(post, path = "/approvals/preview", tag = "approvals",
    summary = "The route an application would take now",
    request_body = SubmitInput,
    responses((status = 200, body = RoutePreview)))]
async fn preview(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<SubmitInput>,
) -> AppResult<Json<RoutePreview>> {
    let me = member_of(&actor)?;
    let t = template::find(&app.db, actor.corp, &input.template_id).await?;
    let v = template::version(&app.db, t.id, t.version).await?;
    let p = submit::prepare(&app, actor.corp, me, t, v, &input).await;
    match p {
        Ok(p) => Ok(Json(RoutePreview {
            steps: with_people(&app, &actor, p.route.steps).await?,
            branches: p.route.branches,
            problems: Vec::new(),
        })),
        // An unfinished form still previews nothing rather than failing the page.
        Err(e) if e.kind == ErrorKind::Validation || e.kind == ErrorKind::NobodyToApprove => {
            Ok(Json(RoutePreview {
                steps: Vec::new(),
                branches: Vec::new(),
                problems: Vec::new(),
            }))
        }
        Err(e) => Err(e),
    }
}

#[utoipa::path(post, path = "/approvals", tag = "approvals",
    summary = "Submit an application",
    request_body = SubmitInput,
    responses((status = 201, body = Submitted)))]
async fn submit_application(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<SubmitInput>,
) -> AppResult<(StatusCode, Json<Submitted>)> {
    let me = member_of(&actor)?;
    let sp_no = submit::submit(&app, &actor, me, input, None).await?;
    Ok((StatusCode::CREATED, Json(Submitted { sp_no })))
}

#[utoipa::path(get, path = "/approvals", tag = "approvals",
    summary = "A box: waiting for me, done by me, mine, copied to me",
    params(BoxQuery),
    responses((status = 200, body = Page)))]
async fn list_box(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Query(q): Query<BoxQuery>,
) -> AppResult<Json<Page>> {
    Ok(Json(boxes::list(&app, &actor, &q).await?))
}

#[utoipa::path(get, path = "/approvals/counts", tag = "approvals",
    summary = "The member's badge counts",
    responses((status = 200, body = Counts)))]
async fn badge_counts(
    State(app): State<AppState>,
    Authed(actor): Authed,
) -> AppResult<Json<Counts>> {
    Ok(Json(boxes::counts(&app, &actor).await?))
}

#[utoipa::path(get, path = "/approvals/{sp_no}", tag = "approvals",
    summary = "An application with its steps and timeline",
    responses((status = 200, body = Detail)))]
async fn detail(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(sp_no): Path<String>,
) -> AppResult<Json<Detail>> {
    let d = view::detail(&app, &actor, &sp_no).await?;
    boxes::mark_read(&app, &actor, &sp_no).await?;
    Ok(Json(d))
}

/// Runs an action and answers with the application as it now is.
async fn acted(
    app: &AppState,
    actor: &Actor,
    sp_no: &str,
    action: Action,
) -> AppResult<Json<Detail>> {
    act(app, actor, sp_no, action).await?;
    Ok(Json(view::detail(app, actor, sp_no).await?))
}

#[utoipa::path(post, path = "/approvals/{sp_no}/approve", tag = "approvals",
    summary = "Approve the current step", request_body = DecisionInput,
    responses((status = 200, body = Detail)))]
async fn approve(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(sp_no): Path<String>,
    Body(input): Body<DecisionInput>,
) -> AppResult<Json<Detail>> {
    if input.to.is_some() {
        return Err(AppError::field("to", FieldReason::Unsupported));
    }
    acted(&app, &actor, &sp_no, Action::Approve(input)).await
}

#[utoipa::path(post, path = "/approvals/{sp_no}/reject", tag = "approvals",
    summary = "Reject, return to the applicant, or return to an earlier step", request_body = DecisionInput,
    responses((status = 200, body = Detail)))]
async fn reject(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(sp_no): Path<String>,
    Body(input): Body<DecisionInput>,
) -> AppResult<Json<Detail>> {
    acted(&app, &actor, &sp_no, Action::Reject(input)).await
}

#[utoipa::path(post, path = "/approvals/{sp_no}/withdraw", tag = "approvals",
    summary = "Withdraw one's own application", request_body = WithdrawInput,
    responses((status = 200, body = Detail)))]
async fn withdraw(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(sp_no): Path<String>,
    Body(input): Body<WithdrawInput>,
) -> AppResult<Json<Detail>> {
    acted(&app, &actor, &sp_no, Action::Withdraw(input)).await
}

/// A returned application's new values.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResubmitInput {
    #[schema(value_type = Object)]
    pub values: FormValues,
    #[serde(default)]
    pub department_id: Option<i64>,
    #[serde(default)]
    pub chosen: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub summary: Option<Vec<String>>,
}

#[utoipa::path(post, path = "/approvals/{sp_no}/resubmit", tag = "approvals",
    summary = "Resubmit a returned application", request_body = ResubmitInput,
    responses((status = 200, body = Detail)))]
async fn resubmit(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(sp_no): Path<String>,
    Body(input): Body<ResubmitInput>,
) -> AppResult<Json<Detail>> {
    let input = SubmitInput {
        template_id: String::new(),
        values: input.values,
        department_id: input.department_id,
        chosen: input.chosen,
        summary: input.summary,
    };
    acted(&app, &actor, &sp_no, Action::Resubmit(input)).await
}

#[utoipa::path(post, path = "/approvals/{sp_no}/transfer", tag = "approvals",
    summary = "Hand one's turn to another member", request_body = TransferInput,
    responses((status = 200, body = Detail)))]
async fn transfer(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(sp_no): Path<String>,
    Body(input): Body<TransferInput>,
) -> AppResult<Json<Detail>> {
    acted(&app, &actor, &sp_no, Action::Transfer(input)).await
}

#[utoipa::path(post, path = "/approvals/{sp_no}/add-approver", tag = "approvals",
    summary = "Add approvers before or after oneself", request_body = AddApproverInput,
    responses((status = 200, body = Detail)))]
async fn add_approver(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(sp_no): Path<String>,
    Body(input): Body<AddApproverInput>,
) -> AppResult<Json<Detail>> {
    acted(&app, &actor, &sp_no, Action::AddApprover(input)).await
}

#[utoipa::path(post, path = "/approvals/{sp_no}/urge", tag = "approvals",
    summary = "Remind the current approvers (once an hour)",
    responses((status = 204, description = "Reminded")))]
async fn urge(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(sp_no): Path<String>,
) -> AppResult<StatusCode> {
    act(&app, &actor, &sp_no, Action::Urge).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/approvals/{sp_no}/comments", tag = "approvals",
    summary = "Comment, with @mentions", request_body = CommentInput,
    responses((status = 200, body = Detail)))]
async fn comment(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(sp_no): Path<String>,
    Body(input): Body<CommentInput>,
) -> AppResult<Json<Detail>> {
    acted(&app, &actor, &sp_no, Action::Comment(input)).await
}

#[utoipa::path(get, path = "/approvals/{sp_no}/files/{file_id}", tag = "approvals",
    summary = "A file attached to an application, for those who may see it",
    responses((status = 200, description = "The file", content_type = "application/octet-stream", body = Vec<u8>)))]
async fn attachment(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path((sp_no, file_id)): Path<(String, String)>,
) -> AppResult<Response> {
    let l = crate::instance::load(&app.db, actor.corp, &sp_no).await?;
    if !crate::instance::may_view(&app, &actor, &l.row).await? {
        return Err(ErrorKind::ApprovalNotFound.into());
    }
    // Only files the application itself names: in its values or its timeline.
    let needle = format!("\"{file_id}\"");
    let in_values = l.row.form_values.contains(&needle);
    let in_timeline = l.timeline.iter().any(|e| e.files.contains(&file_id));
    if !in_values && !in_timeline {
        return Err(ErrorKind::MediaNotFound.into());
    }
    let m = qixie_chat::media::find(&app.db, actor.corp, &file_id).await?;
    let bytes = app.blobs.get(&m.blob_key).await.map_err(|e| {
        if qixie_kernel::blob::is_missing(&e) {
            AppError::new(ErrorKind::MediaNotFound)
        } else {
            AppError::internal(e)
        }
    })?;
    Ok(file_response(&m.name, bytes, Show::ImagesInline))
}

// ---- administration ----

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminTemplate {
    pub template_id: String,
    pub name: String,
    pub group: String,
    pub icon: String,
    pub builtin: Option<String>,
    pub enabled: bool,
    pub version: i64,
    pub updated_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminTemplateList {
    pub items: Vec<AdminTemplate>,
}

#[utoipa::path(get, path = "/admin/approvals/templates", tag = "approvals",
    summary = "Every template", responses((status = 200, body = AdminTemplateList)))]
async fn admin_templates(
    State(app): State<AppState>,
    Allowed { grant, .. }: Allowed<perm::ApprovalsManage>,
) -> AppResult<Json<AdminTemplateList>> {
    crate::builtin::ensure(&app, grant.corp()).await?;
    let items = template::list(&app, grant.corp())
        .await?
        .into_iter()
        .map(|t| AdminTemplate {
            template_id: t.template_id,
            name: t.name,
            group: t.group_name,
            icon: t.icon,
            builtin: t.builtin,
            enabled: t.enabled,
            version: t.version,
            updated_at: t.updated_at,
        })
        .collect();
    Ok(Json(AdminTemplateList { items }))
}

#[utoipa::path(post, path = "/admin/approvals/templates", tag = "approvals",
    summary = "Create a template", request_body = TemplateInput,
    responses((status = 201, body = Template)))]
async fn create_template(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::ApprovalsManage>,
    Body(input): Body<TemplateInput>,
) -> AppResult<(StatusCode, Json<Template>)> {
    let (row, v) = template::create(&app, &actor, &grant, input).await?;
    Ok((StatusCode::CREATED, Json(Template::of(&row, &v))))
}

#[utoipa::path(get, path = "/admin/approvals/templates/{template_id}", tag = "approvals",
    summary = "A template with its current form and flow", responses((status = 200, body = Template)))]
async fn admin_template(
    State(app): State<AppState>,
    Allowed { grant, .. }: Allowed<perm::ApprovalsManage>,
    Path(template_id): Path<String>,
) -> AppResult<Json<Template>> {
    crate::builtin::ensure(&app, grant.corp()).await?;
    let row = template::find(&app.db, grant.corp(), &template_id).await?;
    if row.deleted {
        return Err(ErrorKind::TemplateNotFound.into());
    }
    let v = template::version(&app.db, row.id, row.version).await?;
    Ok(Json(Template::of(&row, &v)))
}

#[utoipa::path(put, path = "/admin/approvals/templates/{template_id}", tag = "approvals",
    summary = "Save a template (a new version when its form or flow changed)", request_body = TemplateInput,
    responses((status = 200, body = Template)))]
async fn update_template(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::ApprovalsManage>,
    Path(template_id): Path<String>,
    Body(input): Body<TemplateInput>,
) -> AppResult<Json<Template>> {
    let (row, v) = template::update(&app, &actor, &grant, &template_id, input).await?;
    Ok(Json(Template::of(&row, &v)))
}

#[utoipa::path(delete, path = "/admin/approvals/templates/{template_id}", tag = "approvals",
    summary = "Delete a template (running applications go on)",
    responses((status = 204, description = "Deleted")))]
async fn delete_template(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::ApprovalsManage>,
    Path(template_id): Path<String>,
) -> AppResult<StatusCode> {
    template::delete(&app, &actor, &grant, &template_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionEntry {
    pub version: i64,
    pub changed_by: String,
    pub changed_at: i64,
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionList {
    pub items: Vec<VersionEntry>,
}

#[utoipa::path(get, path = "/admin/approvals/templates/{template_id}/versions", tag = "approvals",
    summary = "A template's version history", responses((status = 200, body = VersionList)))]
async fn template_versions(
    State(app): State<AppState>,
    Allowed { grant, .. }: Allowed<perm::ApprovalsManage>,
    Path(template_id): Path<String>,
) -> AppResult<Json<VersionList>> {
    let row = template::find(&app.db, grant.corp(), &template_id).await?;
    let items = template::versions(&app.db, row.id)
        .await?
        .into_iter()
        .map(|(version, changed_by, changed_at, note)| VersionEntry {
            version,
            changed_by,
            changed_at,
            note,
        })
        .collect();
    Ok(Json(VersionList { items }))
}

#[utoipa::path(get, path = "/admin/approvals/templates/{template_id}/versions/{version}", tag = "approvals",
    summary = "A template as it was at a version", responses((status = 200, body = Template)))]
async fn template_version(
    State(app): State<AppState>,
    Allowed { grant, .. }: Allowed<perm::ApprovalsManage>,
    Path((template_id, version)): Path<(String, i64)>,
) -> AppResult<Json<Template>> {
    let row = template::find(&app.db, grant.corp(), &template_id).await?;
    let v = template::version(&app.db, row.id, version).await?;
    Ok(Json(Template::of(&row, &v)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInput {
    pub fields: Vec<Field>,
    pub flow: Flow,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Problems {
    pub problems: Vec<Problem>,
}

#[utoipa::path(post, path = "/admin/approvals/check", tag = "approvals",
    summary = "Problems of a form and flow before publishing", request_body = CheckInput,
    responses((status = 200, body = Problems)))]
async fn check_flow(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::ApprovalsManage>,
    Body(input): Body<CheckInput>,
) -> AppResult<Json<Problems>> {
    let dir = OrgDirectory::new(&app, grant.corp());
    let problems = crate::flow::check::check(&input.flow, &input.fields, &dir, actor.lang).await?;
    Ok(Json(Problems { problems }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulateInput {
    pub fields: Vec<Field>,
    pub flow: Flow,
    /// The applicant's userid.
    pub applicant: String,
    #[serde(default)]
    pub department_id: Option<i64>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub values: FormValues,
    #[serde(default)]
    pub chosen: std::collections::BTreeMap<String, Vec<String>>,
}

#[utoipa::path(post, path = "/admin/approvals/simulate", tag = "approvals",
    summary = "The route a flow takes for an applicant and values", request_body = SimulateInput,
    responses((status = 200, body = RoutePreview)))]
async fn simulate_flow(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::ApprovalsManage>,
    Body(input): Body<SimulateInput>,
) -> AppResult<Json<RoutePreview>> {
    let corp = grant.corp();
    let id = qixie_org::people::ids_of(&app.db, corp, std::slice::from_ref(&input.applicant))
        .await?
        .pop()
        .flatten()
        .ok_or_else(|| AppError::field("applicant", FieldReason::NotFound))?;
    let person = qixie_org::people::person(&app.db, corp, MemberId(id))
        .await?
        .ok_or_else(|| AppError::field("applicant", FieldReason::NotFound))?;
    let department = input.department_id.unwrap_or(person.main_department);
    let path = person
        .departments
        .iter()
        .find(|(d, _)| *d == department)
        .map(|(_, p)| p.clone())
        .ok_or_else(|| AppError::field("department_id", FieldReason::NotInDepartments))?;
    let mut chosen = std::collections::BTreeMap::new();
    for (node, userids) in &input.chosen {
        let ids = qixie_org::people::ids_of(&app.db, corp, userids).await?;
        chosen.insert(node.clone(), ids.into_iter().flatten().collect());
    }
    let applicant = Applicant {
        member: id,
        userid: person.userid.clone(),
        department,
        department_path: path,
        tags: person.tags.clone(),
    };
    let dir = OrgDirectory::new(&app, corp);
    let (route, mut problems) = simulate(
        &input.flow,
        &input.fields,
        &input.values,
        &applicant,
        &chosen,
        &dir,
        actor.lang,
    )
    .await?;
    match route {
        Ok(r) => Ok(Json(RoutePreview {
            steps: with_people(&app, &actor, r.steps).await?,
            branches: r.branches,
            problems,
        })),
        Err(ResolveError::Directory(e)) => Err(e),
        Err(e) => {
            problems.insert(0, resolve_problem(&e, actor.lang));
            Ok(Json(RoutePreview {
                steps: Vec::new(),
                branches: Vec::new(),
                problems,
            }))
        }
    }
}

/// Why a simulated route stops, as a problem of the flow.
fn resolve_problem(e: &ResolveError, lang: qixie_kernel::i18n::Lang) -> Problem {
    let zh = lang == qixie_kernel::i18n::Lang::Zh;
    let (code, node_id, message) = match e {
        ResolveError::Nobody { node_id, name } => (
            "nobody_to_approve",
            node_id.clone(),
            if zh {
                format!("节点“{name}”找不到审批人，按设置将拒绝提交")
            } else {
                format!("Step \"{name}\" has nobody to approve it; submission would be refused")
            },
        ),
        ResolveError::ChoiceMissing { node_id } => (
            "choice_missing",
            node_id.clone(),
            if zh {
                "需要申请人自选审批人".to_owned()
            } else {
                "The applicant must choose the approvers".to_owned()
            },
        ),
        ResolveError::Directory(_) => ("internal", String::new(), String::new()),
    };
    Problem {
        severity: crate::flow::check::Severity::Error,
        code,
        node_id: Some(node_id),
        branch: None,
        field: None,
        department_id: None,
        message,
    }
}

/// A flow to turn into text, or text to turn into a flow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowTextInput {
    #[serde(default)]
    pub flow: Option<Flow>,
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FlowText {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<Flow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[utoipa::path(post, path = "/admin/approvals/flow-text", tag = "approvals",
    summary = "A flow as plain text, or plain text as a flow", request_body = FlowTextInput,
    responses((status = 200, body = FlowText)))]
async fn flow_text(
    Allowed { .. }: Allowed<perm::ApprovalsManage>,
    Body(input): Body<FlowTextInput>,
) -> AppResult<Json<FlowText>> {
    match (input.flow, input.text) {
        (Some(flow), None) => Ok(Json(FlowText {
            flow: None,
            text: Some(crate::flow::text::to_text(&flow)),
        })),
        (None, Some(text)) => {
            if text.len() > 200_000 {
                return Err(AppError::field("text", FieldReason::TooLong));
            }
            let flow = crate::flow::text::from_text(&text).map_err(|e| {
                AppError::field(&format!("text.line.{}", e.line), FieldReason::Format)
            })?;
            Ok(Json(FlowText {
                flow: Some(flow),
                text: None,
            }))
        }
        _ => Err(AppError::field("flow", FieldReason::Required)),
    }
}

#[utoipa::path(get, path = "/admin/approvals", tag = "approvals",
    summary = "Every application in the administrator's scope", params(BoxQuery),
    responses((status = 200, body = Page)))]
async fn all_applications(
    State(app): State<AppState>,
    Allowed { grant, .. }: Allowed<perm::ApprovalsManage>,
    Query(q): Query<BoxQuery>,
) -> AppResult<Json<Page>> {
    Ok(Json(boxes::list_all(&app, &grant, &q).await?))
}

#[utoipa::path(get, path = "/admin/approvals/export", tag = "approvals",
    summary = "Applications as XLSX, one column per form field", params(BoxQuery),
    responses((status = 200, description = "The workbook",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
async fn export_applications(
    State(app): State<AppState>,
    Allowed { grant, .. }: Allowed<perm::ApprovalsManage>,
    Query(q): Query<BoxQuery>,
) -> AppResult<Response> {
    let bytes = crate::export::xlsx(&app, &grant, &q).await?;
    Ok(file_response("approvals.xlsx", bytes, Show::Download))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    pub template_id: Option<String>,
    /// From (ms), default a year ago.
    pub from: Option<i64>,
    /// To (ms), default now.
    pub to: Option<i64>,
}

#[utoipa::path(get, path = "/admin/approvals/stats", tag = "approvals",
    summary = "Time to decide, per template, step and week", params(StatsQuery),
    responses((status = 200, body = crate::stats::Stats)))]
async fn stats(
    State(app): State<AppState>,
    Allowed { grant, .. }: Allowed<perm::ApprovalsManage>,
    Query(q): Query<StatsQuery>,
) -> AppResult<Json<crate::stats::Stats>> {
    let now = app.now();
    let from = q.from.unwrap_or(now - 365 * 86_400_000);
    let to = q.to.unwrap_or(now + 1);
    Ok(Json(
        crate::stats::compute(&app, &grant, q.template_id.as_deref(), from, to).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandOverInput {
    pub from_userid: String,
    pub to_userid: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HandedOver {
    /// Steps moved.
    pub moved: i64,
}

#[utoipa::path(post, path = "/admin/approvals/hand-over", tag = "approvals",
    summary = "Give a member's waiting steps to another member", request_body = HandOverInput,
    responses((status = 200, body = HandedOver)))]
async fn hand_over(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::ApprovalsManage>,
    Body(input): Body<HandOverInput>,
) -> AppResult<Json<HandedOver>> {
    let corp = grant.corp();
    let ids =
        qixie_org::people::ids_of(&app.db, corp, std::slice::from_ref(&input.to_userid)).await?;
    let to = ids
        .into_iter()
        .next()
        .flatten()
        .ok_or_else(|| AppError::field("to_userid", FieldReason::NotFound))?;
    let from = qixie_org::member::lookup::id_of(&app.db, corp, &input.from_userid)
        .await?
        .ok_or_else(|| AppError::field("from_userid", FieldReason::NotFound))?;
    if from.0 == to {
        return Err(AppError::field("to_userid", FieldReason::SelfRef));
    }
    let moved = crate::handover::move_waiting(&app, &actor, Some(&grant), corp, from.0, to).await?;
    Ok(Json(HandedOver { moved }))
}
