//! Routes of the messaging API (docs/api/chat.md) and the real-time socket.
use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{delete, get, patch, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use super::conversation::{self, GroupPatch, MyPrefs, NewGroup};
use super::message::{self, ForwardInput, MessageInput};
use super::stream::{self, EventRow};
use super::{media, policy, robots};
use crate::ChatState;
use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, perm};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::http::extract::Authed;
use qixie_kernel::http::extract::Body;
use qixie_kernel::http::files::{Show, file_response};
use qixie_kernel::http::openapi::ApiRoutes;
use qixie_kernel::ids::ConvId;
use qixie_org::audience::Selection;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .route(
            "GET",
            "/realtime",
            "chat",
            "Real-time WebSocket (docs/api/realtime.md)",
            get(crate::realtime::socket::upgrade),
        )
        .route(
            "GET",
            "/chat/conversations",
            "chat",
            "My conversations",
            get(list),
        )
        .route(
            "POST",
            "/chat/conversations",
            "chat",
            "Create a group",
            post(create_group),
        )
        .route(
            "GET",
            "/chat/conversations/{id}",
            "chat",
            "One conversation",
            get(one),
        )
        .route(
            "PATCH",
            "/chat/conversations/{id}",
            "chat",
            "Rename a group or change its settings",
            patch(update_group),
        )
        .route(
            "POST",
            "/chat/direct",
            "chat",
            "Open the one-to-one chat with a member",
            post(open_direct),
        )
        .route(
            "PATCH",
            "/chat/conversations/{id}/me",
            "chat",
            "My mute, pin, unread mark and draft",
            patch(set_prefs),
        )
        .route(
            "GET",
            "/chat/conversations/{id}/members",
            "chat",
            "Members of a conversation",
            get(members),
        )
        .route(
            "POST",
            "/chat/conversations/{id}/members",
            "chat",
            "Add members (or ask, when approval is needed)",
            post(add_members),
        )
        .route(
            "DELETE",
            "/chat/conversations/{id}/members/{userid}",
            "chat",
            "Remove a member, or leave",
            delete(remove_member),
        )
        .route(
            "GET",
            "/chat/conversations/{id}/join-requests",
            "chat",
            "Invitations waiting for approval",
            get(join_requests),
        )
        .route(
            "POST",
            "/chat/conversations/{id}/join-requests/{rid}",
            "chat",
            "Approve or refuse an invitation",
            post(decide_join_request),
        )
        .route(
            "PUT",
            "/chat/conversations/{id}/admins/{userid}",
            "chat",
            "Make a group administrator",
            put(add_admin),
        )
        .route(
            "DELETE",
            "/chat/conversations/{id}/admins/{userid}",
            "chat",
            "Remove a group administrator",
            delete(remove_admin),
        )
        .route(
            "POST",
            "/chat/conversations/{id}/transfer",
            "chat",
            "Transfer group ownership",
            post(transfer),
        )
        .route(
            "PUT",
            "/chat/conversations/{id}/announcement",
            "chat",
            "Set the group announcement",
            put(set_announcement),
        )
        .route(
            "POST",
            "/chat/conversations/{id}/announcement/read",
            "chat",
            "Mark the announcement read",
            post(read_announcement),
        )
        .route(
            "GET",
            "/chat/conversations/{id}/announcement/readers",
            "chat",
            "Who has read the announcement",
            get(announcement_readers),
        )
        .route(
            "POST",
            "/chat/conversations/{id}/archive",
            "chat",
            "Archive a group (read-only)",
            post(archive),
        )
        .route(
            "POST",
            "/chat/conversations/{id}/dissolve",
            "chat",
            "Dissolve a group",
            post(dissolve),
        )
        .route(
            "GET",
            "/chat/conversations/{id}/inactive",
            "chat",
            "Members inactive for N days",
            get(inactive),
        )
        .route(
            "GET",
            "/chat/conversations/{id}/events",
            "chat",
            "Events after a seq (catch-up)",
            get(events_after),
        )
        .route(
            "GET",
            "/chat/conversations/{id}/messages",
            "chat",
            "History before a seq",
            get(history),
        )
        .route(
            "GET",
            "/chat/conversations/{id}/context/{seq}",
            "chat",
            "Events around a seq",
            get(context),
        )
        .route(
            "GET",
            "/chat/search",
            "chat",
            "Search messages in my conversations",
            get(search),
        )
        .route(
            "POST",
            "/chat/conversations/{id}/messages",
            "chat",
            "Send a message",
            post(send),
        )
        .route(
            "POST",
            "/chat/conversations/{id}/read",
            "chat",
            "Mark read up to a seq",
            post(mark_read),
        )
        .route(
            "GET",
            "/chat/conversations/{id}/pins",
            "chat",
            "Pinned messages",
            get(pins),
        )
        .route(
            "GET",
            "/chat/conversations/{id}/robots",
            "chat",
            "Robots of a group",
            get(list_robots),
        )
        .route(
            "POST",
            "/chat/conversations/{id}/robots",
            "chat",
            "Add a robot (webhook key shown once)",
            post(create_robot),
        )
        .route(
            "DELETE",
            "/chat/robots/{id}",
            "chat",
            "Remove a robot",
            delete(delete_robot),
        )
        .route(
            "POST",
            "/chat/messages/{id}/recall",
            "chat",
            "Recall a message",
            post(recall),
        )
        .route(
            "GET",
            "/chat/messages/{id}/receipts",
            "chat",
            "Who has read a message",
            get(receipts),
        )
        .route(
            "PUT",
            "/chat/messages/{id}/pin",
            "chat",
            "Pin a message",
            put(pin),
        )
        .route(
            "DELETE",
            "/chat/messages/{id}/pin",
            "chat",
            "Unpin a message",
            delete(unpin),
        )
        .route(
            "POST",
            "/chat/forward",
            "chat",
            "Forward messages",
            post(forward),
        )
        .route(
            "GET",
            "/chat/favourites",
            "chat",
            "My favourites",
            get(favourites),
        )
        .route(
            "POST",
            "/chat/favourites",
            "chat",
            "Save a message to favourites",
            post(add_favourite),
        )
        .route(
            "DELETE",
            "/chat/favourites/{id}",
            "chat",
            "Remove a favourite",
            delete(remove_favourite),
        )
        .route(
            "POST",
            "/chat/media",
            "chat",
            "Upload an image or file",
            post(upload),
        )
        .route(
            "GET",
            "/chat/media/{id}",
            "chat",
            "Download an image or file",
            get(download),
        )
        .route(
            "POST",
            "/chat/department-groups",
            "chat",
            "Create the group of a department (1: all-company)",
            post(department_group),
        )
        .route(
            "GET",
            "/chat/policy",
            "chat",
            "The messaging rules members follow (group naming, files)",
            get(member_policy),
        )
        .route(
            "GET",
            "/admin/chat/policy",
            "admin",
            "Messaging policy",
            get(get_policy),
        )
        .route(
            "PUT",
            "/admin/chat/policy",
            "admin",
            "Change the messaging policy",
            put(set_policy),
        )
        .merge(super::quick_replies::routes())
        .merge(super::attention_http::routes())
}

fn conv_id(s: &str) -> AppResult<ConvId> {
    s.parse::<i64>()
        .map(ConvId)
        .map_err(|_| ErrorKind::ConversationNotFound.into())
}

async fn list(State(app): State<AppState>, Authed(actor): Authed) -> AppResult<Json<Value>> {
    let items = conversation::list_for(&app, &actor).await?;
    Ok(Json(json!({ "items": items })))
}

async fn one(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<Json<conversation::ConversationView>> {
    Ok(Json(
        conversation::view_for(&app, &actor, conv_id(&id)?).await?,
    ))
}

async fn view(
    app: &AppState,
    actor: &Actor,
    conv: ConvId,
) -> AppResult<Json<conversation::ConversationView>> {
    Ok(Json(conversation::view_for(app, actor, conv).await?))
}

async fn create_group(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<NewGroup>,
) -> AppResult<(StatusCode, Json<conversation::ConversationView>)> {
    let c = conversation::create_group(&app, &actor, input).await?;
    Ok((StatusCode::CREATED, view(&app, &actor, c.id()).await?))
}

#[derive(Deserialize)]
struct DirectInput {
    userid: String,
}

async fn open_direct(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<DirectInput>,
) -> AppResult<Json<conversation::ConversationView>> {
    let c = conversation::open_direct(&app, &actor, &input.userid).await?;
    view(&app, &actor, c.id()).await
}

async fn update_group(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Body(patch): Body<GroupPatch>,
) -> AppResult<Json<conversation::ConversationView>> {
    let c = conversation::update_group(&app, &actor, conv_id(&id)?, patch).await?;
    view(&app, &actor, c.id()).await
}

async fn set_prefs(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Body(p): Body<MyPrefs>,
) -> AppResult<Json<conversation::ConversationView>> {
    let conv = conv_id(&id)?;
    conversation::set_prefs(&app, &actor, conv, p).await?;
    view(&app, &actor, conv).await
}

async fn members(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(
        conversation::members_view(&app, &actor, conv_id(&id)?).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddMembers {
    #[serde(default)]
    userids: Vec<String>,
    #[serde(default)]
    department_ids: Vec<i64>,
}

async fn add_members(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Body(input): Body<AddMembers>,
) -> AppResult<Json<Value>> {
    if input.userids.is_empty() && input.department_ids.is_empty() {
        return Err(AppError::field("userids", FieldReason::Required));
    }
    let (added, pending) = conversation::add_members(
        &app,
        &actor,
        conv_id(&id)?,
        Selection {
            userids: input.userids,
            departments: input.department_ids,
            ..Selection::default()
        },
    )
    .await?;
    Ok(Json(json!({ "added": added, "pending": pending })))
}

async fn remove_member(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path((id, userid)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    conversation::remove_member(&app, &actor, conv_id(&id)?, &userid).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn join_requests(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(
        conversation::join_requests(&app, &actor, conv_id(&id)?).await?,
    ))
}

#[derive(Deserialize)]
struct Decision {
    approve: bool,
}

async fn decide_join_request(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path((id, rid)): Path<(String, String)>,
    Body(d): Body<Decision>,
) -> AppResult<StatusCode> {
    let rid: i64 = rid.parse().map_err(|_| ErrorKind::NotFound)?;
    conversation::decide_join_request(&app, &actor, conv_id(&id)?, rid, d.approve).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn add_admin(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path((id, userid)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    conversation::set_admin(&app, &actor, conv_id(&id)?, &userid, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_admin(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path((id, userid)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    conversation::set_admin(&app, &actor, conv_id(&id)?, &userid, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn transfer(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Body(input): Body<DirectInput>,
) -> AppResult<StatusCode> {
    conversation::transfer(&app, &actor, conv_id(&id)?, &input.userid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct AnnouncementInput {
    text: String,
}

async fn set_announcement(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Body(input): Body<AnnouncementInput>,
) -> AppResult<Json<conversation::ConversationView>> {
    let c = conversation::set_announcement(&app, &actor, conv_id(&id)?, &input.text).await?;
    view(&app, &actor, c.id()).await
}

async fn read_announcement(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    conversation::read_announcement(&app, &actor, conv_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn announcement_readers(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(
        conversation::announcement_readers(&app, &actor, conv_id(&id)?).await?,
    ))
}

async fn archive(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    conversation::close(&app, &actor, conv_id(&id)?, "archived").await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn dissolve(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    conversation::close(&app, &actor, conv_id(&id)?, "dissolved").await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct DaysQuery {
    days: Option<i64>,
}

async fn inactive(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Query(q): Query<DaysQuery>,
) -> AppResult<Json<Value>> {
    Ok(Json(
        conversation::inactive(&app, &actor, conv_id(&id)?, q.days.unwrap_or(30)).await?,
    ))
}

/// The caller's membership, which bounds what of the stream they may read.
async fn joined_seq(app: &AppState, actor: &Actor, conv: ConvId) -> AppResult<i64> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let c = conversation::find(&app.db, actor.corp, conv).await?;
    conversation::membership(&app.db, c.id(), me)
        .await?
        .map(|m| m.joined_seq)
        .ok_or_else(|| ErrorKind::NotConversationMember.into())
}

fn items(rows: &[EventRow]) -> Vec<stream::EventView> {
    rows.iter().map(EventRow::view).collect()
}

#[derive(Deserialize)]
struct AfterQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

async fn events_after(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Query(q): Query<AfterQuery>,
) -> AppResult<Json<Value>> {
    let conv = conv_id(&id)?;
    let floor = joined_seq(&app, &actor, conv).await?;
    let limit = q.limit.unwrap_or(200).clamp(1, 1000);
    let rows = stream::after(&app.db, conv, q.after.unwrap_or(0).max(floor), limit).await?;
    let c = conversation::find(&app.db, actor.corp, conv).await?;
    Ok(Json(
        json!({ "items": items(&rows), "last_seq": c.last_seq }),
    ))
}

#[derive(Deserialize)]
struct BeforeQuery {
    before: Option<i64>,
    limit: Option<i64>,
}

async fn history(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Query(q): Query<BeforeQuery>,
) -> AppResult<Json<Value>> {
    let conv = conv_id(&id)?;
    let floor = joined_seq(&app, &actor, conv).await?;
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let rows = stream::before(&app.db, conv, floor, q.before.unwrap_or(i64::MAX), limit).await?;
    Ok(Json(json!({ "items": items(&rows) })))
}

async fn context(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path((id, seq)): Path<(String, i64)>,
) -> AppResult<Json<Value>> {
    let conv = conv_id(&id)?;
    let floor = joined_seq(&app, &actor, conv).await?;
    let mut rows = stream::before(&app.db, conv, floor, seq, 20).await?;
    rows.extend(stream::after(&app.db, conv, (seq - 1).max(floor), 21).await?);
    Ok(Json(json!({ "items": items(&rows) })))
}

async fn search(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Query(q): Query<super::search::SearchQuery>,
) -> AppResult<Json<Value>> {
    Ok(Json(super::search::search(&app, &actor, q).await?))
}

async fn send(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Body(input): Body<MessageInput>,
) -> AppResult<(StatusCode, Json<stream::EventView>)> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    app.chat().send_limit.check(me.0)?;
    let row = message::send(&app, &actor, conv_id(&id)?, input).await?;
    Ok((StatusCode::CREATED, Json(row.view())))
}

#[derive(Deserialize)]
struct ReadInput {
    seq: i64,
}

async fn mark_read(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Body(input): Body<ReadInput>,
) -> AppResult<StatusCode> {
    conversation::mark_read(&app, &actor, conv_id(&id)?, input.seq, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn pins(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let rows = message::pins(&app, &actor, conv_id(&id)?).await?;
    Ok(Json(json!({ "items": items(&rows) })))
}

async fn list_robots(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let rows = robots::list(&app, &actor, conv_id(&id)?).await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| json!({ "id": r.id.to_string(), "name": r.name, "created_at": r.created_at }))
        .collect();
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
struct RobotInput {
    name: String,
}

async fn create_robot(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Body(input): Body<RobotInput>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let conv = conversation::find(&app.db, actor.corp, conv_id(&id)?).await?;
    let (row, key) = robots::create(&app, &actor, &conv, &input.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "id": row.id.to_string(), "name": row.name, "key": key, "webhook_url": robots::webhook_url(&app, &key) }),
        ),
    ))
}

async fn delete_robot(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let id: i64 = id.parse().map_err(|_| ErrorKind::NotFound)?;
    robots::delete(&app, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn recall(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    message::recall(&app, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn receipts(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(message::receipts(&app, &actor, &id).await?))
}

async fn pin(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    message::set_pinned(&app, &actor, &id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn unpin(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    message::set_pinned(&app, &actor, &id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn forward(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<ForwardInput>,
) -> AppResult<Json<Value>> {
    let sent = message::forward(&app, &actor, input).await?;
    Ok(Json(json!({ "sent": sent })))
}

async fn favourites(State(app): State<AppState>, Authed(actor): Authed) -> AppResult<Json<Value>> {
    Ok(Json(message::favourites(&app, &actor).await?))
}

#[derive(Deserialize)]
struct FavouriteInput {
    message_id: String,
}

async fn add_favourite(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<FavouriteInput>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let id = message::add_favourite(&app, &actor, &input.message_id).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id.to_string() }))))
}

async fn remove_favourite(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    message::remove_favourite(&app, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn upload(
    State(app): State<AppState>,
    Authed(actor): Authed,
    req: Request,
) -> AppResult<(StatusCode, Json<Value>)> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let (name, _, bytes) = qixie_kernel::http::files::read_file_field(req, &app, "file").await?;
    let m = media::store(
        &app,
        actor.corp,
        media::UploadedBy::Member(me.0),
        &name,
        bytes,
    )
    .await?;
    let mut body = m.content();
    body["kind"] = json!(m.kind);
    Ok((StatusCode::CREATED, Json(body)))
}

#[derive(Deserialize)]
struct ThumbQuery {
    thumb: Option<String>,
}

async fn download(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Query(q): Query<ThumbQuery>,
) -> AppResult<Response> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let thumb = q.thumb.as_deref().is_some_and(|t| t == "1" || t == "true");
    let (m, bytes) = media::load(&app, actor.corp, me.0, &id, thumb).await?;
    // Pictures show inline; everything else downloads under its original name.
    let mut res = file_response(&m.name, bytes, Show::ImagesInline);
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    Ok(res)
}

#[derive(Deserialize)]
struct DepartmentGroupInput {
    department_id: i64,
}

async fn department_group(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<DepartmentGroupInput>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let c = conversation::create_department_group(&app, &actor, input.department_id).await?;
    // The administrator may be outside the department, so the answer is the group, not their view.
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "id": c.id.to_string(), "kind": c.kind, "name": c.name, "chatid": c.chatid, "member_count": c.member_count }),
        ),
    ))
}

async fn member_policy(
    State(app): State<AppState>,
    Authed(actor): Authed,
) -> AppResult<Json<Value>> {
    Ok(Json(policy::get(&app.db, actor.corp).await?.for_members()))
}

async fn get_policy(
    State(app): State<AppState>,
    Authed(actor): Authed,
) -> AppResult<Json<policy::Policy>> {
    let g = actor.require::<perm::SecurityManage>()?;
    Ok(Json(policy::get(&app.db, g.corp()).await?))
}

async fn set_policy(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(mut p): Body<policy::Policy>,
) -> AppResult<Json<policy::Policy>> {
    let g = actor.require::<perm::SecurityManage>()?;
    p.validate()?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let before = policy::get(&mut tx, g.corp()).await?;
    policy::save(&mut tx, g.corp(), &p, now).await?;
    qixie_kernel::audit::record(
        &mut tx,
        &actor,
        now,
        qixie_kernel::audit::Entry {
            kind: "chat.policy",
            target: "chat_policy".into(),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&p).ok(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Json(p))
}
