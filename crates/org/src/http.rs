//! Routes of the organisation: the directory for every member, administration for managers.
use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::department::Department;
use super::member::Member;
use super::tag::Tag;
use super::tree_cache::TreeCache;
use super::{department, import, member, sheet, tag};
use qixie_kernel::AppState;
use qixie_kernel::authz::perm;
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::http::extract::Body;
use qixie_kernel::http::extract::{Allowed, Authed};
use qixie_kernel::http::openapi::{ApiRoutes, routes};

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .typed(routes!(directory_departments))
        .typed(routes!(directory_members))
        .typed(routes!(directory_member))
        .typed(routes!(admin_departments, create_department))
        .typed(routes!(update_department, delete_department))
        .typed(routes!(admin_members, create_member))
        .typed(routes!(export_members))
        .typed(routes!(import_members))
        .typed(routes!(admin_member, update_member, delete_member))
        .typed(routes!(freeze))
        .typed(routes!(unfreeze))
        .typed(routes!(offboard))
        .typed(routes!(list_tags, create_tag))
        .typed(routes!(rename_tag, delete_tag))
        .typed(routes!(tag_members, add_tag_members, remove_tag_members))
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentList {
    pub items: Vec<Department>,
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentReply {
    pub department: Department,
}

#[derive(Serialize, ToSchema)]
pub struct MemberPage {
    pub items: Vec<Member>,
    pub total: i64,
}

#[derive(Serialize, ToSchema)]
pub struct MemberReply {
    pub member: Member,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedMember {
    pub member: Member,
    /// The generated initial password, shown once, when none was given.
    pub initial_password: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Handover {
    /// The module that took over the departing member's things.
    pub module: String,
    pub count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct Offboarded {
    pub member: Member,
    pub handovers: Vec<Handover>,
}

#[derive(Serialize, ToSchema)]
pub struct TagList {
    pub items: Vec<Tag>,
}

#[derive(Serialize, ToSchema)]
pub struct TagReply {
    pub tag: Tag,
}

#[derive(Serialize, ToSchema)]
pub struct TagMemberList {
    pub items: Vec<Member>,
    pub department_ids: Vec<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct TagMembersChanged {
    pub tag: Tag,
    pub invalid_userids: Vec<String>,
    pub invalid_department_ids: Vec<i64>,
}

/// The import form: the file, and how to treat rows with errors.
#[derive(ToSchema)]
#[allow(dead_code)]
struct ImportForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    mode: Option<import::ImportMode>,
    dry_run: Option<bool>,
}

/// The whole tree, from the per-enterprise cache when nothing changed since it was built.
#[utoipa::path(
    get,
    path = "/directory/departments",
    tag = "directory",
    summary = "Department tree (flat, in tree order)",
    responses((status = 200, body = DepartmentList))
)]
async fn directory_departments(
    State(app): State<AppState>,
    Authed(actor): Authed,
) -> AppResult<Response> {
    let g = actor.directory()?;
    let corp = g.corp();
    let cache = TreeCache::of(&app);
    let body = match cache.get(corp) {
        Ok(body) => body,
        Err(generation) => {
            let items = department::list(&app.db, &g.reads(), None).await?;
            let body = bytes::Bytes::from(
                serde_json::to_vec(&DepartmentList { items }).map_err(AppError::internal)?,
            );
            cache.put(corp, generation, body.clone());
            body
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

#[utoipa::path(
    get,
    path = "/directory/members",
    tag = "directory",
    summary = "Search and list members",
    params(member::ListFilter),
    responses((status = 200, body = MemberPage))
)]
async fn directory_members(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Query(f): Query<member::ListFilter>,
) -> AppResult<Json<MemberPage>> {
    let g = actor.directory()?;
    let (items, total) = member::list(&app.db, &g.reads(), &f).await?;
    Ok(Json(MemberPage { items, total }))
}

#[utoipa::path(
    get,
    path = "/directory/members/{userid}",
    tag = "directory",
    summary = "A member's card",
    responses((status = 200, body = MemberReply))
)]
async fn directory_member(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(userid): Path<String>,
) -> AppResult<Json<MemberReply>> {
    let g = actor.directory()?;
    Ok(Json(MemberReply {
        member: member::get(&app.db, &g.reads(), &userid).await?,
    }))
}

#[utoipa::path(
    get,
    path = "/admin/departments",
    tag = "departments",
    summary = "Departments in the administrator's scope",
    responses((status = 200, body = DepartmentList))
)]
async fn admin_departments(
    State(app): State<AppState>,
    Allowed { grant: g, .. }: Allowed<perm::ContactsManage>,
) -> AppResult<Json<DepartmentList>> {
    Ok(Json(DepartmentList {
        items: department::list(&app.db, &g.reads(), None).await?,
    }))
}

#[utoipa::path(
    post,
    path = "/admin/departments",
    tag = "departments",
    summary = "Create a department",
    request_body = department::NewDepartment,
    responses((status = 201, body = DepartmentReply))
)]
async fn create_department(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage>,
    Body(input): Body<department::NewDepartment>,
) -> AppResult<(StatusCode, Json<DepartmentReply>)> {
    let department = department::create(&app, &actor, &g, input).await?;
    Ok((StatusCode::CREATED, Json(DepartmentReply { department })))
}

#[utoipa::path(
    patch,
    path = "/admin/departments/{id}",
    tag = "departments",
    summary = "Rename, reorder, move, set leaders",
    request_body = department::DepartmentPatch,
    responses((status = 200, body = DepartmentReply))
)]
async fn update_department(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage>,
    Path(id): Path<i64>,
    Body(p): Body<department::DepartmentPatch>,
) -> AppResult<Json<DepartmentReply>> {
    Ok(Json(DepartmentReply {
        department: department::update(&app, &actor, &g, id, p).await?,
    }))
}

#[utoipa::path(
    delete,
    path = "/admin/departments/{id}",
    tag = "departments",
    summary = "Delete an empty department",
    responses((status = 204, description = "Done"))
)]
async fn delete_department(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage>,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    department::delete(&app, &actor, &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/admin/members",
    tag = "members",
    summary = "Members in the administrator's scope",
    params(member::ListFilter),
    responses((status = 200, body = MemberPage))
)]
async fn admin_members(
    State(app): State<AppState>,
    Allowed { grant: g, .. }: Allowed<perm::ContactsManage>,
    Query(f): Query<member::ListFilter>,
) -> AppResult<Json<MemberPage>> {
    let (items, total) = member::list(&app.db, &g.reads(), &f).await?;
    Ok(Json(MemberPage { items, total }))
}

#[utoipa::path(
    post,
    path = "/admin/members",
    tag = "members",
    summary = "Add a member",
    request_body = member::MemberInput,
    responses((status = 201, body = CreatedMember))
)]
async fn create_member(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage>,
    Body(input): Body<member::MemberInput>,
) -> AppResult<(StatusCode, Json<CreatedMember>)> {
    let (member, initial_password) = member::create(&app, &actor, &g, input, true).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedMember {
            member,
            initial_password,
        }),
    ))
}

#[utoipa::path(
    get,
    path = "/admin/members/{userid}",
    tag = "members",
    summary = "A managed member",
    responses((status = 200, body = MemberReply))
)]
async fn admin_member(
    State(app): State<AppState>,
    Allowed { grant: g, .. }: Allowed<perm::ContactsManage>,
    Path(userid): Path<String>,
) -> AppResult<Json<MemberReply>> {
    Ok(Json(MemberReply {
        member: member::get_in_scope(&app.db, &g, &userid).await?,
    }))
}

#[utoipa::path(
    patch,
    path = "/admin/members/{userid}",
    tag = "members",
    summary = "Update a member",
    request_body = member::MemberInput,
    responses((status = 200, body = MemberReply))
)]
async fn update_member(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage>,
    Path(userid): Path<String>,
    Body(input): Body<member::MemberInput>,
) -> AppResult<Json<MemberReply>> {
    Ok(Json(MemberReply {
        member: member::update(&app, &actor, &g, &userid, input).await?,
    }))
}

#[utoipa::path(
    delete,
    path = "/admin/members/{userid}",
    tag = "members",
    summary = "Delete a member",
    responses((status = 204, description = "Done"))
)]
async fn delete_member(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage>,
    Path(userid): Path<String>,
) -> AppResult<StatusCode> {
    member::delete(&app, &actor, &g, &userid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/admin/members/{userid}/freeze",
    tag = "members",
    summary = "Freeze a member",
    responses((status = 200, body = MemberReply))
)]
async fn freeze(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage>,
    Path(userid): Path<String>,
) -> AppResult<Json<MemberReply>> {
    Ok(Json(MemberReply {
        member: member::set_frozen(&app, &actor, &g, &userid, true).await?,
    }))
}

#[utoipa::path(
    post,
    path = "/admin/members/{userid}/unfreeze",
    tag = "members",
    summary = "Unfreeze a member",
    responses((status = 200, body = MemberReply))
)]
async fn unfreeze(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage>,
    Path(userid): Path<String>,
) -> AppResult<Json<MemberReply>> {
    Ok(Json(MemberReply {
        member: member::set_frozen(&app, &actor, &g, &userid, false).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct OffboardBody {
    successor_userid: String,
}

#[utoipa::path(
    post,
    path = "/admin/members/{userid}/offboard",
    tag = "members",
    summary = "Offboard with a successor",
    request_body = OffboardBody,
    responses((status = 200, body = Offboarded))
)]
async fn offboard(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage>,
    Path(userid): Path<String>,
    Body(b): Body<OffboardBody>,
) -> AppResult<Json<Offboarded>> {
    let (member, handed) = member::offboard(&app, &actor, &g, &userid, &b.successor_userid).await?;
    let handovers = handed
        .into_iter()
        .map(|(module, count)| Handover { module, count })
        .collect();
    Ok(Json(Offboarded { member, handovers }))
}

#[utoipa::path(
    post,
    path = "/admin/members/import",
    tag = "members",
    summary = "Import members from CSV or XLSX",
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses((status = 200, body = import::ImportReport))
)]
async fn import_members(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsImport>,
    mut form: Multipart,
) -> AppResult<Json<import::ImportReport>> {
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut mode = import::ImportMode::ValidRows;
    let mut dry_run = false;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| AppError::new(ErrorKind::BadRequest))?
    {
        match field.name().unwrap_or("") {
            "file" => {
                let name = field.file_name().unwrap_or("import.csv").to_owned();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| AppError::new(ErrorKind::PayloadTooLarge))?;
                file = Some((name, bytes.to_vec()));
            }
            "mode" => {
                let v = field.text().await.unwrap_or_default();
                mode = match v.as_str() {
                    "all_or_nothing" => import::ImportMode::AllOrNothing,
                    "valid_rows" | "" => import::ImportMode::ValidRows,
                    _ => return Err(AppError::field("mode", FieldReason::Invalid)),
                };
            }
            "dry_run" => {
                dry_run = matches!(
                    field.text().await.unwrap_or_default().as_str(),
                    "true" | "1"
                )
            }
            _ => {}
        }
    }
    let (name, bytes) = file.ok_or_else(|| AppError::field("file", FieldReason::Required))?;
    Ok(Json(
        import::run(&app, &actor, &g, &name, &bytes, mode, dry_run).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// `xlsx` (the default) or `csv`.
    format: Option<String>,
}

#[utoipa::path(
    get,
    path = "/admin/members/export",
    tag = "members",
    summary = "Export members as XLSX or CSV",
    params(ExportQuery),
    responses((status = 200, description = "The file", content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))))
)]
async fn export_members(
    State(app): State<AppState>,
    Allowed { grant: g, .. }: Allowed<perm::ContactsManage>,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    let rows = import::export_rows(&app, &g).await?;
    let (bytes, mime, ext) = match q.format.as_deref().unwrap_or("xlsx") {
        "csv" => (sheet::export_csv(&rows), "text/csv; charset=utf-8", "csv"),
        "xlsx" => (
            sheet::export_xlsx(&rows).map_err(AppError::internal)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        _ => return Err(AppError::field("format", FieldReason::Invalid)),
    };
    let disposition = format!(
        "attachment; filename=\"members.{ext}\"; filename*=UTF-8''%E6%88%90%E5%91%98.{ext}"
    );
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

#[utoipa::path(
    get,
    path = "/admin/tags",
    tag = "tags",
    summary = "Tags",
    responses((status = 200, body = TagList))
)]
async fn list_tags(
    State(app): State<AppState>,
    Allowed { grant: g, .. }: Allowed<perm::ContactsManage>,
) -> AppResult<Json<TagList>> {
    Ok(Json(TagList {
        items: tag::list(&app.db, &g.reads()).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TagName {
    name: String,
}

#[utoipa::path(
    post,
    path = "/admin/tags",
    tag = "tags",
    summary = "Create a tag",
    request_body = TagName,
    responses((status = 201, body = TagReply))
)]
async fn create_tag(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage>,
    Body(b): Body<TagName>,
) -> AppResult<(StatusCode, Json<TagReply>)> {
    let tag = tag::create(&app, &actor, &g, &b.name, None).await?;
    Ok((StatusCode::CREATED, Json(TagReply { tag })))
}

#[utoipa::path(
    patch,
    path = "/admin/tags/{id}",
    tag = "tags",
    summary = "Rename a tag",
    request_body = TagName,
    responses((status = 200, body = TagReply))
)]
async fn rename_tag(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage>,
    Path(id): Path<i64>,
    Body(b): Body<TagName>,
) -> AppResult<Json<TagReply>> {
    Ok(Json(TagReply {
        tag: tag::rename(&app, &actor, &g, id, &b.name).await?,
    }))
}

#[utoipa::path(
    delete,
    path = "/admin/tags/{id}",
    tag = "tags",
    summary = "Delete a tag",
    responses((status = 204, description = "Done"))
)]
async fn delete_tag(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage>,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    tag::delete(&app, &actor, &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/admin/tags/{id}/members",
    tag = "tags",
    summary = "Members with a tag",
    responses((status = 200, body = TagMemberList))
)]
async fn tag_members(
    State(app): State<AppState>,
    Allowed { grant: g, .. }: Allowed<perm::ContactsManage>,
    Path(id): Path<i64>,
) -> AppResult<Json<TagMemberList>> {
    let (items, department_ids) = tag::members(&app.db, &g.reads(), id).await?;
    Ok(Json(TagMemberList {
        items,
        department_ids,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TagMembers {
    #[serde(default)]
    userids: Vec<String>,
    #[serde(default)]
    department_ids: Vec<i64>,
}

async fn change_tag_members(
    app: AppState,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage>,
    id: i64,
    b: TagMembers,
    add: bool,
) -> AppResult<Json<TagMembersChanged>> {
    let (invalid_userids, invalid_department_ids) =
        tag::change_members(&app, &actor, &g, id, &b.userids, &b.department_ids, add).await?;
    Ok(Json(TagMembersChanged {
        tag: tag::get(&app.db, &g.reads(), id).await?,
        invalid_userids,
        invalid_department_ids,
    }))
}

#[utoipa::path(
    post,
    path = "/admin/tags/{id}/members",
    tag = "tags",
    summary = "Add members to a tag",
    request_body = TagMembers,
    responses((status = 200, body = TagMembersChanged))
)]
async fn add_tag_members(
    State(app): State<AppState>,
    allowed: Allowed<perm::ContactsManage>,
    Path(id): Path<i64>,
    Body(b): Body<TagMembers>,
) -> AppResult<Json<TagMembersChanged>> {
    change_tag_members(app, allowed, id, b, true).await
}

#[utoipa::path(
    delete,
    path = "/admin/tags/{id}/members",
    tag = "tags",
    summary = "Remove members from a tag",
    request_body = TagMembers,
    responses((status = 200, body = TagMembersChanged))
)]
async fn remove_tag_members(
    State(app): State<AppState>,
    allowed: Allowed<perm::ContactsManage>,
    Path(id): Path<i64>,
    Body(b): Body<TagMembers>,
) -> AppResult<Json<TagMembersChanged>> {
    change_tag_members(app, allowed, id, b, false).await
}
