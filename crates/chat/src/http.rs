//! Routes of the messaging API (docs/api/chat.md) and the real-time socket.
use axum::Json;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::conversation::{
    self, AnnouncementReaders, ConversationMemberList, ConversationView, GroupPatch,
    InactiveMemberList, JoinRequestList, MyPrefs, NewGroup,
};
use super::media::MediaCard;
use super::message::{self, ForwardInput, MessageInput};
use super::policy::{MemberPolicy, Policy, ReceiptMode};
use super::stream::{self, EventRow, EventView};
use super::{media, policy, robots};
use crate::ChatState;
use qixie_identity::session::AnySession;
use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, perm};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::http::extract::Body;
use qixie_kernel::http::extract::{Allowed, Authed};
use qixie_kernel::http::files::{Show, file_response};
use qixie_kernel::http::openapi::{ApiRoutes, routes};
use qixie_kernel::ids::ConvId;
use qixie_org::audience::Selection;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .typed(routes!(realtime_socket))
        .typed(routes!(list_conversations, create_group))
        .typed(routes!(one_conversation, update_group))
        .typed(routes!(open_direct))
        .typed(routes!(set_prefs))
        .typed(routes!(conversation_members, add_members))
        .typed(routes!(remove_member))
        .typed(routes!(join_requests))
        .typed(routes!(decide_join_request))
        .typed(routes!(add_admin, remove_admin))
        .typed(routes!(transfer_group))
        .typed(routes!(set_announcement))
        .typed(routes!(read_announcement))
        .typed(routes!(announcement_readers))
        .typed(routes!(archive_group))
        .typed(routes!(dissolve_group))
        .typed(routes!(inactive_members))
        .typed(routes!(events_after))
        .typed(routes!(message_history, send_message))
        .typed(routes!(message_context))
        .typed(routes!(search_messages))
        .typed(routes!(mark_read))
        .typed(routes!(pinned_messages))
        .typed(routes!(list_robots, create_robot))
        .typed(routes!(delete_robot))
        .typed(routes!(recall_message))
        .typed(routes!(message_receipts))
        .typed(routes!(pin_message, unpin_message))
        .typed(routes!(forward_messages))
        .typed(routes!(my_favourites, add_favourite))
        .typed(routes!(remove_favourite))
        .typed(routes!(upload_media))
        .typed(routes!(download_media))
        .typed(routes!(department_group))
        .typed(routes!(member_policy))
        .typed(routes!(chat_policy, set_chat_policy))
        .merge(super::quick_replies::routes())
        .merge(super::attention_http::routes())
}

fn conv_id(s: &str) -> AppResult<ConvId> {
    s.parse::<i64>()
        .map(ConvId)
        .map_err(|_| ErrorKind::ConversationNotFound.into())
}

/// Answers message.rs and the search still build as JSON values, read into their documented types
/// so each one is held to its contract.
fn checked<T: DeserializeOwned>(v: Value) -> AppResult<Json<T>> {
    serde_json::from_value(v)
        .map(Json)
        .map_err(AppError::internal)
}

#[utoipa::path(
    get,
    path = "/realtime",
    tag = "chat",
    summary = "Real-time WebSocket (docs/api/realtime.md)",
    responses((status = 101, description = "Switching Protocols: the socket speaks the frames of docs/api/realtime.md"))
)]
async fn realtime_socket(
    state: State<AppState>,
    session: AnySession,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> AppResult<Response> {
    crate::realtime::socket::upgrade(state, session, headers, ws).await
}

#[derive(Serialize, ToSchema)]
struct ConversationList {
    /// Pinned first, then by last activity.
    items: Vec<ConversationView>,
}

#[utoipa::path(
    get,
    path = "/chat/conversations",
    tag = "chat",
    summary = "My conversations",
    responses((status = 200, body = ConversationList))
)]
async fn list_conversations(
    State(app): State<AppState>,
    Authed(actor): Authed,
) -> AppResult<Json<ConversationList>> {
    let items = conversation::list_for(&app, &actor).await?;
    Ok(Json(ConversationList { items }))
}

#[utoipa::path(
    get,
    path = "/chat/conversations/{id}",
    tag = "chat",
    summary = "One conversation",
    responses((status = 200, body = ConversationView))
)]
async fn one_conversation(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<Json<ConversationView>> {
    view(&app, &actor, conv_id(&id)?).await
}

async fn view(app: &AppState, actor: &Actor, conv: ConvId) -> AppResult<Json<ConversationView>> {
    Ok(Json(conversation::view_for(app, actor, conv).await?))
}

#[utoipa::path(
    post,
    path = "/chat/conversations",
    tag = "chat",
    summary = "Create a group",
    request_body = NewGroup,
    responses((status = 201, body = ConversationView))
)]
async fn create_group(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<NewGroup>,
) -> AppResult<(StatusCode, Json<ConversationView>)> {
    let c = conversation::create_group(&app, &actor, input).await?;
    Ok((StatusCode::CREATED, view(&app, &actor, c.id()).await?))
}

/// A member, by userid.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DirectInput {
    userid: String,
}

#[utoipa::path(
    post,
    path = "/chat/direct",
    tag = "chat",
    summary = "Open the one-to-one chat with a member",
    request_body = DirectInput,
    responses((status = 200, body = ConversationView))
)]
async fn open_direct(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<DirectInput>,
) -> AppResult<Json<ConversationView>> {
    let c = conversation::open_direct(&app, &actor, &input.userid).await?;
    view(&app, &actor, c.id()).await
}

#[utoipa::path(
    patch,
    path = "/chat/conversations/{id}",
    tag = "chat",
    summary = "Rename a group or change its settings",
    request_body = GroupPatch,
    responses((status = 200, body = ConversationView))
)]
async fn update_group(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Body(patch): Body<GroupPatch>,
) -> AppResult<Json<ConversationView>> {
    let c = conversation::update_group(&app, &actor, conv_id(&id)?, patch).await?;
    view(&app, &actor, c.id()).await
}

#[utoipa::path(
    patch,
    path = "/chat/conversations/{id}/me",
    tag = "chat",
    summary = "My mute, pin, unread mark and draft",
    request_body = MyPrefs,
    responses((status = 200, body = ConversationView))
)]
async fn set_prefs(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Body(p): Body<MyPrefs>,
) -> AppResult<Json<ConversationView>> {
    let conv = conv_id(&id)?;
    conversation::set_prefs(&app, &actor, conv, p).await?;
    view(&app, &actor, conv).await
}

#[utoipa::path(
    get,
    path = "/chat/conversations/{id}/members",
    tag = "chat",
    summary = "Members of a conversation",
    responses((status = 200, body = ConversationMemberList))
)]
async fn conversation_members(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<Json<ConversationMemberList>> {
    Ok(Json(
        conversation::members_view(&app, &actor, conv_id(&id)?).await?,
    ))
}

/// Members to add: by userid, and every member of the departments (with their subdepartments).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AddMembers {
    #[serde(default)]
    userids: Vec<String>,
    #[serde(default)]
    department_ids: Vec<i64>,
}

/// Who joined, and who waits for an administrator's approval (userids).
#[derive(Serialize, ToSchema)]
struct MembersAdded {
    added: Vec<String>,
    pending: Vec<String>,
}

#[utoipa::path(
    post,
    path = "/chat/conversations/{id}/members",
    tag = "chat",
    summary = "Add members (or ask, when approval is needed)",
    request_body = AddMembers,
    responses((status = 200, body = MembersAdded))
)]
async fn add_members(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Body(input): Body<AddMembers>,
) -> AppResult<Json<MembersAdded>> {
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
    Ok(Json(MembersAdded { added, pending }))
}

#[utoipa::path(
    delete,
    path = "/chat/conversations/{id}/members/{userid}",
    tag = "chat",
    summary = "Remove a member, or leave",
    responses((status = 204, description = "Done"))
)]
async fn remove_member(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path((id, userid)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    conversation::remove_member(&app, &actor, conv_id(&id)?, &userid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/chat/conversations/{id}/join-requests",
    tag = "chat",
    summary = "Invitations waiting for approval",
    responses((status = 200, body = JoinRequestList))
)]
async fn join_requests(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<Json<JoinRequestList>> {
    Ok(Json(
        conversation::join_requests(&app, &actor, conv_id(&id)?).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Decision {
    approve: bool,
}

#[utoipa::path(
    post,
    path = "/chat/conversations/{id}/join-requests/{rid}",
    tag = "chat",
    summary = "Approve or refuse an invitation",
    request_body = Decision,
    responses((status = 204, description = "Done"))
)]
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

#[utoipa::path(
    put,
    path = "/chat/conversations/{id}/admins/{userid}",
    tag = "chat",
    summary = "Make a group administrator",
    responses((status = 204, description = "Done"))
)]
async fn add_admin(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path((id, userid)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    conversation::set_admin(&app, &actor, conv_id(&id)?, &userid, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    delete,
    path = "/chat/conversations/{id}/admins/{userid}",
    tag = "chat",
    summary = "Remove a group administrator",
    responses((status = 204, description = "Done"))
)]
async fn remove_admin(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path((id, userid)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    conversation::set_admin(&app, &actor, conv_id(&id)?, &userid, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/chat/conversations/{id}/transfer",
    tag = "chat",
    summary = "Transfer group ownership",
    request_body = DirectInput,
    responses((status = 204, description = "Done"))
)]
async fn transfer_group(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Body(input): Body<DirectInput>,
) -> AppResult<StatusCode> {
    conversation::transfer(&app, &actor, conv_id(&id)?, &input.userid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AnnouncementInput {
    /// Empty: no announcement.
    text: String,
}

#[utoipa::path(
    put,
    path = "/chat/conversations/{id}/announcement",
    tag = "chat",
    summary = "Set the group announcement",
    request_body = AnnouncementInput,
    responses((status = 200, body = ConversationView))
)]
async fn set_announcement(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Body(input): Body<AnnouncementInput>,
) -> AppResult<Json<ConversationView>> {
    let c = conversation::set_announcement(&app, &actor, conv_id(&id)?, &input.text).await?;
    view(&app, &actor, c.id()).await
}

#[utoipa::path(
    post,
    path = "/chat/conversations/{id}/announcement/read",
    tag = "chat",
    summary = "Mark the announcement read",
    responses((status = 204, description = "Done"))
)]
async fn read_announcement(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    conversation::read_announcement(&app, &actor, conv_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/chat/conversations/{id}/announcement/readers",
    tag = "chat",
    summary = "Who has read the announcement",
    responses((status = 200, body = AnnouncementReaders))
)]
async fn announcement_readers(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<Json<AnnouncementReaders>> {
    Ok(Json(
        conversation::announcement_readers(&app, &actor, conv_id(&id)?).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/chat/conversations/{id}/archive",
    tag = "chat",
    summary = "Archive a group (read-only)",
    responses((status = 204, description = "Done"))
)]
async fn archive_group(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    conversation::close(&app, &actor, conv_id(&id)?, "archived").await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/chat/conversations/{id}/dissolve",
    tag = "chat",
    summary = "Dissolve a group",
    responses((status = 204, description = "Done"))
)]
async fn dissolve_group(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    conversation::close(&app, &actor, conv_id(&id)?, "dissolved").await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DaysQuery {
    /// 1–3650, default 30.
    days: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/chat/conversations/{id}/inactive",
    tag = "chat",
    summary = "Members inactive for N days",
    params(DaysQuery),
    responses((status = 200, body = InactiveMemberList))
)]
async fn inactive_members(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Query(q): Query<DaysQuery>,
) -> AppResult<Json<InactiveMemberList>> {
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

fn items(rows: &[EventRow]) -> Vec<EventView> {
    rows.iter().map(EventRow::view).collect()
}

/// Events of a conversation, in seq order.
#[derive(Serialize, ToSchema)]
struct EventList {
    items: Vec<EventView>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AfterQuery {
    /// Events after this seq (default 0).
    after: Option<i64>,
    /// 1–1000, default 200.
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
struct EventsAfter {
    items: Vec<EventView>,
    /// The conversation's last seq: more to fetch while it is beyond the last item.
    last_seq: i64,
}

#[utoipa::path(
    get,
    path = "/chat/conversations/{id}/events",
    tag = "chat",
    summary = "Events after a seq (catch-up)",
    params(AfterQuery),
    responses((status = 200, body = EventsAfter))
)]
async fn events_after(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Query(q): Query<AfterQuery>,
) -> AppResult<Json<EventsAfter>> {
    let conv = conv_id(&id)?;
    let floor = joined_seq(&app, &actor, conv).await?;
    let limit = q.limit.unwrap_or(200).clamp(1, 1000);
    let rows = stream::after(&app.db, conv, q.after.unwrap_or(0).max(floor), limit).await?;
    let c = conversation::find(&app.db, actor.corp, conv).await?;
    Ok(Json(EventsAfter {
        items: items(&rows),
        last_seq: c.last_seq,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct BeforeQuery {
    /// Events before this seq (default: the newest).
    before: Option<i64>,
    /// 1–200, default 50.
    limit: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/chat/conversations/{id}/messages",
    tag = "chat",
    summary = "History before a seq",
    params(BeforeQuery),
    responses((status = 200, body = EventList))
)]
async fn message_history(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Query(q): Query<BeforeQuery>,
) -> AppResult<Json<EventList>> {
    let conv = conv_id(&id)?;
    let floor = joined_seq(&app, &actor, conv).await?;
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let rows = stream::before(&app.db, conv, floor, q.before.unwrap_or(i64::MAX), limit).await?;
    Ok(Json(EventList {
        items: items(&rows),
    }))
}

#[utoipa::path(
    get,
    path = "/chat/conversations/{id}/context/{seq}",
    tag = "chat",
    summary = "Events around a seq",
    params(("seq" = i64, Path, description = "The event in the middle: 20 before it, it and 20 after")),
    responses((status = 200, body = EventList))
)]
async fn message_context(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path((id, seq)): Path<(String, i64)>,
) -> AppResult<Json<EventList>> {
    let conv = conv_id(&id)?;
    let floor = joined_seq(&app, &actor, conv).await?;
    let mut rows = stream::before(&app.db, conv, floor, seq, 20).await?;
    rows.extend(stream::after(&app.db, conv, (seq - 1).max(floor), 21).await?);
    Ok(Json(EventList {
        items: items(&rows),
    }))
}

/// The conversation a hit is in, named as the caller's list names it.
#[derive(Serialize, Deserialize, ToSchema)]
struct HitConversation {
    id: String,
    name: String,
    kind: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
struct SearchHit {
    event: EventView,
    conversation: HitConversation,
    /// Plain text around the first match, the query's words between literal `<mark>` tags.
    snippet: String,
}

/// One page of hits, newest first; for the next, pass the last hit's `event.id` as `before`.
#[derive(Serialize, Deserialize, ToSchema)]
struct SearchResults {
    items: Vec<SearchHit>,
    has_more: bool,
}

#[utoipa::path(
    get,
    path = "/chat/search",
    tag = "chat",
    summary = "Search messages in my conversations",
    params(super::search::SearchQuery),
    responses((status = 200, body = SearchResults))
)]
async fn search_messages(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Query(q): Query<super::search::SearchQuery>,
) -> AppResult<Json<SearchResults>> {
    checked(super::search::search(&app, &actor, q).await?)
}

#[utoipa::path(
    post,
    path = "/chat/conversations/{id}/messages",
    tag = "chat",
    summary = "Send a message",
    request_body = MessageInput,
    responses((status = 201, body = EventView))
)]
async fn send_message(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Body(input): Body<MessageInput>,
) -> AppResult<(StatusCode, Json<EventView>)> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    app.chat().send_limit.check(me.0)?;
    let row = message::send(&app, &actor, conv_id(&id)?, input).await?;
    Ok((StatusCode::CREATED, Json(row.view())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReadInput {
    seq: i64,
}

#[utoipa::path(
    post,
    path = "/chat/conversations/{id}/read",
    tag = "chat",
    summary = "Mark read up to a seq",
    request_body = ReadInput,
    responses((status = 204, description = "Done"))
)]
async fn mark_read(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Body(input): Body<ReadInput>,
) -> AppResult<StatusCode> {
    conversation::mark_read(&app, &actor, conv_id(&id)?, input.seq, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/chat/conversations/{id}/pins",
    tag = "chat",
    summary = "Pinned messages",
    responses((status = 200, body = EventList))
)]
async fn pinned_messages(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<Json<EventList>> {
    let rows = message::pins(&app, &actor, conv_id(&id)?).await?;
    Ok(Json(EventList {
        items: items(&rows),
    }))
}

#[derive(Serialize, ToSchema)]
struct RobotView {
    id: String,
    name: String,
    created_at: i64,
}

#[derive(Serialize, ToSchema)]
struct RobotList {
    items: Vec<RobotView>,
}

#[utoipa::path(
    get,
    path = "/chat/conversations/{id}/robots",
    tag = "chat",
    summary = "Robots of a group",
    responses((status = 200, body = RobotList))
)]
async fn list_robots(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<Json<RobotList>> {
    let rows = robots::list(&app, &actor, conv_id(&id)?).await?;
    let items = rows
        .into_iter()
        .map(|r| RobotView {
            id: r.id.to_string(),
            name: r.name,
            created_at: r.created_at,
        })
        .collect();
    Ok(Json(RobotList { items }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RobotInput {
    name: String,
}

/// A new robot; its key is shown this once.
#[derive(Serialize, ToSchema)]
struct CreatedRobot {
    id: String,
    name: String,
    key: String,
    webhook_url: String,
}

#[utoipa::path(
    post,
    path = "/chat/conversations/{id}/robots",
    tag = "chat",
    summary = "Add a robot (webhook key shown once)",
    request_body = RobotInput,
    responses((status = 201, body = CreatedRobot))
)]
async fn create_robot(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Body(input): Body<RobotInput>,
) -> AppResult<(StatusCode, Json<CreatedRobot>)> {
    let conv = conversation::find(&app.db, actor.corp, conv_id(&id)?).await?;
    let (row, key) = robots::create(&app, &actor, &conv, &input.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedRobot {
            id: row.id.to_string(),
            name: row.name,
            webhook_url: robots::webhook_url(&app, &key),
            key,
        }),
    ))
}

#[utoipa::path(
    delete,
    path = "/chat/robots/{id}",
    tag = "chat",
    summary = "Remove a robot",
    responses((status = 204, description = "Done"))
)]
async fn delete_robot(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let id: i64 = id.parse().map_err(|_| ErrorKind::NotFound)?;
    robots::delete(&app, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/chat/messages/{id}/recall",
    tag = "chat",
    summary = "Recall a message",
    responses((status = 204, description = "Done"))
)]
async fn recall_message(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    message::recall(&app, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A member in a receipt list.
#[derive(Serialize, Deserialize, ToSchema)]
struct Reader {
    userid: String,
    name: String,
    avatar: String,
}

/// Who has read a message: by name when receipts are `on`, as counts only when `aggregate` (also
/// for groups too large to list).
#[derive(Serialize, Deserialize, ToSchema)]
struct MessageReceipts {
    mode: ReceiptMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    read: Option<Vec<Reader>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unread: Option<Vec<Reader>>,
    read_count: i64,
    total: i64,
}

#[utoipa::path(
    get,
    path = "/chat/messages/{id}/receipts",
    tag = "chat",
    summary = "Who has read a message",
    responses((status = 200, body = MessageReceipts))
)]
async fn message_receipts(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<Json<MessageReceipts>> {
    checked(message::receipts(&app, &actor, &id).await?)
}

#[utoipa::path(
    put,
    path = "/chat/messages/{id}/pin",
    tag = "chat",
    summary = "Pin a message",
    responses((status = 204, description = "Done"))
)]
async fn pin_message(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    message::set_pinned(&app, &actor, &id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    delete,
    path = "/chat/messages/{id}/pin",
    tag = "chat",
    summary = "Unpin a message",
    responses((status = 204, description = "Done"))
)]
async fn unpin_message(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    message::set_pinned(&app, &actor, &id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
struct Forwarded {
    /// Messages sent.
    sent: usize,
}

#[utoipa::path(
    post,
    path = "/chat/forward",
    tag = "chat",
    summary = "Forward messages",
    request_body = ForwardInput,
    responses((status = 200, body = Forwarded))
)]
async fn forward_messages(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<ForwardInput>,
) -> AppResult<Json<Forwarded>> {
    // A forward is a send: it takes from the member's allowance like any message.
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    app.chat().send_limit.check(me.0)?;
    let sent = message::forward(&app, &actor, input).await?;
    Ok(Json(Forwarded { sent }))
}

/// A saved message, as it was when saved.
#[derive(Serialize, Deserialize, ToSchema)]
struct Favourite {
    id: String,
    /// A copy kept at saving time: older copies may lack fields added since.
    #[schema(value_type = EventView)]
    event: Value,
    at: i64,
}

#[derive(Serialize, Deserialize, ToSchema)]
struct FavouriteList {
    /// The newest first.
    items: Vec<Favourite>,
}

#[utoipa::path(
    get,
    path = "/chat/favourites",
    tag = "chat",
    summary = "My favourites",
    responses((status = 200, body = FavouriteList))
)]
async fn my_favourites(
    State(app): State<AppState>,
    Authed(actor): Authed,
) -> AppResult<Json<FavouriteList>> {
    checked(message::favourites(&app, &actor).await?)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct FavouriteInput {
    message_id: String,
}

#[derive(Serialize, ToSchema)]
struct FavouriteCreated {
    id: String,
}

#[utoipa::path(
    post,
    path = "/chat/favourites",
    tag = "chat",
    summary = "Save a message to favourites",
    request_body = FavouriteInput,
    responses((status = 201, body = FavouriteCreated))
)]
async fn add_favourite(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<FavouriteInput>,
) -> AppResult<(StatusCode, Json<FavouriteCreated>)> {
    let id = message::add_favourite(&app, &actor, &input.message_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(FavouriteCreated { id: id.to_string() }),
    ))
}

#[utoipa::path(
    delete,
    path = "/chat/favourites/{id}",
    tag = "chat",
    summary = "Remove a favourite",
    responses((status = 204, description = "Done"))
)]
async fn remove_favourite(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    message::remove_favourite(&app, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The upload form: one file.
#[derive(ToSchema)]
#[allow(dead_code)]
struct UploadForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// A stored image or file, ready to send as a message's `media_id`.
#[derive(Serialize, ToSchema)]
struct Uploaded {
    #[serde(flatten)]
    media: MediaCard,
    /// `image` or `file`.
    kind: String,
}

#[utoipa::path(
    post,
    path = "/chat/media",
    tag = "chat",
    summary = "Upload an image or file",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Uploaded))
)]
async fn upload_media(
    State(app): State<AppState>,
    Authed(actor): Authed,
    req: Request,
) -> AppResult<(StatusCode, Json<Uploaded>)> {
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
    Ok((
        StatusCode::CREATED,
        Json(Uploaded {
            media: m.card(),
            kind: m.kind,
        }),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ThumbQuery {
    /// `1` or `true`: the thumbnail of an image (a JPEG).
    thumb: Option<String>,
}

#[utoipa::path(
    get,
    path = "/chat/media/{id}",
    tag = "chat",
    summary = "Download an image or file",
    params(ThumbQuery),
    responses((status = 200, description = "The file under its original name; images inline", content((String = "image/*"), (String = "application/octet-stream"))))
)]
async fn download_media(
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DepartmentGroupInput {
    /// 1: the all-company group.
    department_id: i64,
}

/// The group of a department, as made.
#[derive(Serialize, ToSchema)]
struct DepartmentGroup {
    id: String,
    /// `department` or `company`.
    kind: String,
    name: String,
    chatid: String,
    member_count: i64,
}

#[utoipa::path(
    post,
    path = "/chat/department-groups",
    tag = "chat",
    summary = "Create the group of a department (1: all-company)",
    request_body = DepartmentGroupInput,
    responses((status = 201, body = DepartmentGroup))
)]
async fn department_group(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<DepartmentGroupInput>,
) -> AppResult<(StatusCode, Json<DepartmentGroup>)> {
    let c = conversation::create_department_group(&app, &actor, input.department_id).await?;
    // The administrator may be outside the department, so the answer is the group, not their view.
    Ok((
        StatusCode::CREATED,
        Json(DepartmentGroup {
            id: c.id.to_string(),
            kind: c.kind,
            name: c.name,
            chatid: c.chatid,
            member_count: c.member_count,
        }),
    ))
}

#[utoipa::path(
    get,
    path = "/chat/policy",
    tag = "chat",
    summary = "The messaging rules members follow (group naming, files)",
    responses((status = 200, body = MemberPolicy))
)]
async fn member_policy(
    State(app): State<AppState>,
    Authed(actor): Authed,
) -> AppResult<Json<MemberPolicy>> {
    Ok(Json(policy::get(&app.db, actor.corp).await?.for_members()))
}

#[utoipa::path(
    get,
    path = "/admin/chat/policy",
    tag = "admin",
    summary = "Messaging policy",
    responses((status = 200, body = Policy))
)]
async fn chat_policy(
    State(app): State<AppState>,
    Allowed { grant, .. }: Allowed<perm::SecurityManage>,
) -> AppResult<Json<Policy>> {
    Ok(Json(policy::get(&app.db, grant.corp()).await?))
}

#[utoipa::path(
    put,
    path = "/admin/chat/policy",
    tag = "admin",
    summary = "Change the messaging policy",
    request_body = Policy,
    responses((status = 200, body = Policy))
)]
async fn set_chat_policy(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::SecurityManage>,
    Body(mut p): Body<Policy>,
) -> AppResult<Json<Policy>> {
    p.validate()?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let before = policy::get(&mut tx, grant.corp()).await?;
    policy::save(&mut tx, grant.corp(), &p, now).await?;
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
