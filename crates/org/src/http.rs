//! Routes of the organisation: the directory for every member, administration for managers.
use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{department, import, member, sheet, tag};
use qixie_kernel::AppState;
use qixie_kernel::authz::perm;
use qixie_kernel::error::{AppError, AppResult, ErrorKind};
use qixie_kernel::http::extract::Authed;
use qixie_kernel::http::extract::Body;
use qixie_kernel::http::openapi::ApiRoutes;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .route(
            "GET",
            "/directory/departments",
            "directory",
            "Department tree (flat, in tree order)",
            get(directory_departments),
        )
        .route(
            "GET",
            "/directory/members",
            "directory",
            "Search and list members",
            get(directory_members),
        )
        .route(
            "GET",
            "/directory/members/{userid}",
            "directory",
            "A member's card",
            get(directory_member),
        )
        .route(
            "GET",
            "/admin/departments",
            "departments",
            "Departments in the administrator's scope",
            get(admin_departments),
        )
        .route(
            "POST",
            "/admin/departments",
            "departments",
            "Create a department",
            post(create_department),
        )
        .route(
            "PATCH",
            "/admin/departments/{id}",
            "departments",
            "Rename, reorder, move, set leaders",
            patch(update_department),
        )
        .route(
            "DELETE",
            "/admin/departments/{id}",
            "departments",
            "Delete an empty department",
            delete(delete_department),
        )
        .route(
            "GET",
            "/admin/members",
            "members",
            "Members in the administrator's scope",
            get(admin_members),
        )
        .route(
            "POST",
            "/admin/members",
            "members",
            "Add a member",
            post(create_member),
        )
        .route(
            "GET",
            "/admin/members/export",
            "members",
            "Export members as XLSX or CSV",
            get(export_members),
        )
        .route(
            "POST",
            "/admin/members/import",
            "members",
            "Import members from CSV or XLSX",
            post(import_members),
        )
        .route(
            "GET",
            "/admin/members/{userid}",
            "members",
            "A managed member",
            get(admin_member),
        )
        .route(
            "PATCH",
            "/admin/members/{userid}",
            "members",
            "Update a member",
            patch(update_member),
        )
        .route(
            "DELETE",
            "/admin/members/{userid}",
            "members",
            "Delete a member",
            delete(delete_member),
        )
        .route(
            "POST",
            "/admin/members/{userid}/freeze",
            "members",
            "Freeze a member",
            post(freeze),
        )
        .route(
            "POST",
            "/admin/members/{userid}/unfreeze",
            "members",
            "Unfreeze a member",
            post(unfreeze),
        )
        .route(
            "POST",
            "/admin/members/{userid}/offboard",
            "members",
            "Offboard with a successor",
            post(offboard),
        )
        .route("GET", "/admin/tags", "tags", "Tags", get(list_tags))
        .route(
            "POST",
            "/admin/tags",
            "tags",
            "Create a tag",
            post(create_tag),
        )
        .route(
            "PATCH",
            "/admin/tags/{id}",
            "tags",
            "Rename a tag",
            patch(rename_tag),
        )
        .route(
            "DELETE",
            "/admin/tags/{id}",
            "tags",
            "Delete a tag",
            delete(delete_tag),
        )
        .route(
            "GET",
            "/admin/tags/{id}/members",
            "tags",
            "Members with a tag",
            get(tag_members),
        )
        .route(
            "POST",
            "/admin/tags/{id}/members",
            "tags",
            "Add members to a tag",
            post(add_tag_members),
        )
        .route(
            "DELETE",
            "/admin/tags/{id}/members",
            "tags",
            "Remove members from a tag",
            delete(remove_tag_members),
        )
}

/// The whole tree, from the per-enterprise cache when nothing changed since it was built.
async fn directory_departments(
    State(app): State<AppState>,
    Authed(actor): Authed,
) -> AppResult<Response> {
    let g = actor.directory()?;
    let corp = g.corp();
    let body = match super::tree_cache::get(corp) {
        Ok(body) => body,
        Err(generation) => {
            let items = department::list(&app.db, corp, None, None).await?;
            let body = bytes::Bytes::from(
                serde_json::to_vec(&json!({ "items": items })).map_err(AppError::internal)?,
            );
            super::tree_cache::put(corp, generation, body.clone());
            body
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn directory_members(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Query(f): Query<member::ListFilter>,
) -> AppResult<Json<Value>> {
    let g = actor.directory()?;
    let (items, total) = member::list(&app.db, g.corp(), &f, None).await?;
    Ok(Json(json!({ "items": items, "total": total })))
}

async fn directory_member(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(userid): Path<String>,
) -> AppResult<Json<Value>> {
    let g = actor.directory()?;
    Ok(Json(
        json!({ "member": member::get(&app.db, g.corp(), &userid).await? }),
    ))
}

async fn admin_departments(
    State(app): State<AppState>,
    Authed(actor): Authed,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::ContactsManage>()?;
    Ok(Json(
        json!({ "items": department::list(&app.db, g.corp(), Some(g.scope()), None).await? }),
    ))
}

async fn create_department(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<department::NewDepartment>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let g = actor.require::<perm::ContactsManage>()?;
    let d = department::create(&app, &actor, &g, input).await?;
    Ok((StatusCode::CREATED, Json(json!({ "department": d }))))
}

async fn update_department(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<i64>,
    Body(p): Body<department::DepartmentPatch>,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::ContactsManage>()?;
    Ok(Json(
        json!({ "department": department::update(&app, &actor, &g, id, p).await? }),
    ))
}

async fn delete_department(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    let g = actor.require::<perm::ContactsManage>()?;
    department::delete(&app, &actor, &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn admin_members(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Query(f): Query<member::ListFilter>,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::ContactsManage>()?;
    let (items, total) = member::list(&app.db, g.corp(), &f, Some(g.scope())).await?;
    Ok(Json(json!({ "items": items, "total": total })))
}

async fn create_member(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<member::MemberInput>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let g = actor.require::<perm::ContactsManage>()?;
    let (m, generated) = member::create(&app, &actor, &g, input, true).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "member": m, "initial_password": generated })),
    ))
}

async fn admin_member(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(userid): Path<String>,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::ContactsManage>()?;
    Ok(Json(
        json!({ "member": member::get_in_scope(&app.db, &g, &userid).await? }),
    ))
}

async fn update_member(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(userid): Path<String>,
    Body(input): Body<member::MemberInput>,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::ContactsManage>()?;
    Ok(Json(
        json!({ "member": member::update(&app, &actor, &g, &userid, input).await? }),
    ))
}

async fn delete_member(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(userid): Path<String>,
) -> AppResult<StatusCode> {
    let g = actor.require::<perm::ContactsManage>()?;
    member::delete(&app, &actor, &g, &userid).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn freeze(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(userid): Path<String>,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::ContactsManage>()?;
    Ok(Json(
        json!({ "member": member::set_frozen(&app, &actor, &g, &userid, true).await? }),
    ))
}

async fn unfreeze(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(userid): Path<String>,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::ContactsManage>()?;
    Ok(Json(
        json!({ "member": member::set_frozen(&app, &actor, &g, &userid, false).await? }),
    ))
}

#[derive(Deserialize)]
struct OffboardBody {
    successor_userid: String,
}

async fn offboard(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(userid): Path<String>,
    Body(b): Body<OffboardBody>,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::ContactsManage>()?;
    let (m, handed) = member::offboard(&app, &actor, &g, &userid, &b.successor_userid).await?;
    Ok(Json(
        json!({ "member": m, "handovers": handed.into_iter().map(|(module, count)| json!({"module": module, "count": count})).collect::<Vec<_>>() }),
    ))
}

async fn import_members(
    State(app): State<AppState>,
    Authed(actor): Authed,
    mut form: Multipart,
) -> AppResult<Json<import::ImportReport>> {
    let g = actor.require::<perm::ContactsImport>()?;
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
                    _ => return Err(AppError::field("mode", "invalid")),
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
    let (name, bytes) = file.ok_or_else(|| AppError::field("file", "required"))?;
    Ok(Json(
        import::run(&app, &actor, &g, &name, &bytes, mode, dry_run).await?,
    ))
}

#[derive(Deserialize)]
struct ExportQuery {
    format: Option<String>,
}

async fn export_members(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    let g = actor.require::<perm::ContactsManage>()?;
    let rows = import::export_rows(&app, &g).await?;
    let (bytes, mime, ext) = match q.format.as_deref().unwrap_or("xlsx") {
        "csv" => (sheet::export_csv(&rows), "text/csv; charset=utf-8", "csv"),
        "xlsx" => (
            sheet::export_xlsx(&rows).map_err(AppError::internal)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        _ => return Err(AppError::field("format", "invalid")),
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

async fn list_tags(State(app): State<AppState>, Authed(actor): Authed) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::ContactsManage>()?;
    Ok(Json(
        json!({ "items": tag::list(&app.db, g.corp()).await? }),
    ))
}

#[derive(Deserialize)]
struct TagName {
    name: String,
}

async fn create_tag(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(b): Body<TagName>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let g = actor.require::<perm::ContactsManage>()?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "tag": tag::create(&app, &actor, &g, &b.name, None).await? })),
    ))
}

async fn rename_tag(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<i64>,
    Body(b): Body<TagName>,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::ContactsManage>()?;
    Ok(Json(
        json!({ "tag": tag::rename(&app, &actor, &g, id, &b.name).await? }),
    ))
}

async fn delete_tag(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    let g = actor.require::<perm::ContactsManage>()?;
    tag::delete(&app, &actor, &g, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn tag_members(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::ContactsManage>()?;
    let (items, parties) = tag::members_in_scope(&app.db, &g, id).await?;
    Ok(Json(json!({ "items": items, "department_ids": parties })))
}

#[derive(Deserialize)]
struct TagMembers {
    #[serde(default)]
    userids: Vec<String>,
    #[serde(default)]
    department_ids: Vec<i64>,
}

async fn change_tag_members(
    app: AppState,
    actor: qixie_kernel::authz::Actor,
    id: i64,
    b: TagMembers,
    add: bool,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::ContactsManage>()?;
    let (bad_users, bad_parties) =
        tag::change_members(&app, &actor, &g, id, &b.userids, &b.department_ids, add).await?;
    Ok(Json(
        json!({ "tag": tag::get(&app.db, g.corp(), id).await?, "invalid_userids": bad_users, "invalid_department_ids": bad_parties }),
    ))
}

async fn add_tag_members(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<i64>,
    Body(b): Body<TagMembers>,
) -> AppResult<Json<Value>> {
    change_tag_members(app, actor, id, b, true).await
}

async fn remove_tag_members(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<i64>,
    Body(b): Body<TagMembers>,
) -> AppResult<Json<Value>> {
    change_tag_members(app, actor, id, b, false).await
}
