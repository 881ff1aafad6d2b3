//! Quick replies (快捷回复): text snippets a member inserts with "/" in the composer. Each member
//! keeps their own; administrators with `security.manage` keep the enterprise's, which every member
//! sees beside their own and cannot change. Routes: docs/api/chat.md.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use qixie_kernel::AppState;
use qixie_kernel::audit;
use qixie_kernel::authz::{Actor, Grant, perm};
use qixie_kernel::db::{Tx, is_unique_violation, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason, Hint, Validator};
use qixie_kernel::http::extract::Body;
use qixie_kernel::http::extract::{Allowed, Authed};
use qixie_kernel::http::openapi::{ApiRoutes, routes};
use qixie_kernel::ids::{CorpId, new_id, sha256_hex};

/// Longest title, in characters (the title is optional).
pub const MAX_TITLE_CHARS: usize = 30;
/// Longest text, in characters.
pub const MAX_TEXT_CHARS: usize = 1000;
/// How many snippets one member keeps.
pub const MAX_PERSONAL: i64 = 100;
/// How many snippets the enterprise keeps.
pub const MAX_ENTERPRISE: i64 = 200;

/// Whose snippets a call reads or changes. The enterprise's can only be named with a
/// `security.manage` grant; a member's only by that member.
#[derive(Debug, Clone, Copy)]
pub struct Owner {
    corp: CorpId,
    /// 0: the enterprise.
    member: i64,
}

impl Owner {
    /// The signed-in member's own snippets.
    pub fn me(actor: &Actor) -> AppResult<Owner> {
        let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
        Ok(Owner {
            corp: actor.corp,
            member: me.0,
        })
    }
    /// The enterprise's snippets.
    pub fn enterprise(g: &Grant<perm::SecurityManage>) -> Owner {
        Owner {
            corp: g.corp(),
            member: 0,
        }
    }
    fn is_enterprise(&self) -> bool {
        self.member == 0
    }
    fn limit(&self) -> i64 {
        if self.is_enterprise() {
            MAX_ENTERPRISE
        } else {
            MAX_PERSONAL
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Row {
    id: i64,
    member_id: i64,
    title: String,
    text: String,
    position: i64,
    updated_at: i64,
}

const COLS: &str = "id, member_id, title, text, position, updated_at";

/// One snippet as clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuickReply {
    pub id: String,
    /// `personal` or `enterprise`.
    pub scope: &'static str,
    pub title: String,
    pub text: String,
    pub position: i64,
    /// Whether the caller of this list may change it.
    pub editable: bool,
    pub updated_at: i64,
}

impl Row {
    fn view(&self, editable: bool) -> QuickReply {
        QuickReply {
            id: self.id.to_string(),
            scope: if self.member_id == 0 {
                "enterprise"
            } else {
                "personal"
            },
            title: self.title.clone(),
            text: self.text.clone(),
            position: self.position,
            editable,
            updated_at: self.updated_at,
        }
    }
    fn audit_view(&self) -> Value {
        json!({ "title": self.title, "text": self.text })
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuickReplyInput {
    pub title: Option<String>,
    pub text: Option<String>,
}

/// Every snippet's id, in the new order.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    pub ids: Vec<String>,
}

/// What the limits are, in both languages and as data, for a refusal.
fn limits_hint() -> Hint {
    Hint {
        zh: format!("标题最多 {MAX_TITLE_CHARS} 个字（可不填），内容 1–{MAX_TEXT_CHARS} 个字"),
        en: format!(
            "the title has at most {MAX_TITLE_CHARS} characters (optional), the text 1 to {MAX_TEXT_CHARS}"
        ),
        data: json!({ "max_title_chars": MAX_TITLE_CHARS, "max_text_chars": MAX_TEXT_CHARS }),
    }
}

/// A title on one line, spaces collapsed.
fn clean_title(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Trims and checks a title and a text (either may be absent on an update).
fn clean(
    title: Option<&str>,
    text: Option<&str>,
    text_required: bool,
) -> AppResult<(Option<String>, Option<String>)> {
    let title = title.map(clean_title);
    let text = text.map(|t| t.trim().to_owned());
    let mut v = Validator::default();
    if let Some(t) = &title {
        v.check(
            t.chars().count() <= MAX_TITLE_CHARS,
            "title",
            FieldReason::TooLong,
        );
    }
    match &text {
        Some(t) if t.is_empty() => v.push("text", FieldReason::Required),
        Some(t) => {
            v.check(
                t.chars().count() <= MAX_TEXT_CHARS,
                "text",
                FieldReason::TooLong,
            );
        }
        None if text_required => v.push("text", FieldReason::Required),
        None => {}
    }
    v.finish().map_err(|e| e.with_hint(limits_hint()))?;
    Ok((title, text))
}

fn parse_id(id: &str) -> AppResult<i64> {
    id.parse().map_err(|_| ErrorKind::QuickReplyNotFound.into())
}

async fn rows_of(tx: &mut Tx, owner: Owner) -> AppResult<Vec<Row>> {
    Ok(tx
        .all(
            sql(format!(
                "SELECT {COLS} FROM chat_quick_replies WHERE corp_id = $1 AND member_id = $2 ORDER BY position, id"
            ))
            .bind(owner.corp)
            .bind(owner.member),
        )
        .await?)
}

/// Serialises changes to one owner's snippets (PostgreSQL holds the counter's row until commit;
/// SQLite has one writer) and returns the next position.
async fn lock_owner(tx: &mut Tx, owner: Owner) -> AppResult<i64> {
    Ok(tx
        .next_value(
            owner.corp.0,
            &format!("quick_reply_position:{}", owner.member),
            1,
        )
        .await?)
}

/// The snippet `id` of `owner`. A member naming one of the enterprise's is told it is read-only.
async fn find_in(tx: &mut Tx, owner: Owner, id: &str) -> AppResult<Row> {
    let id = parse_id(id)?;
    let row: Option<Row> = tx
        .opt(
            sql(format!(
                "SELECT {COLS} FROM chat_quick_replies WHERE id = $1 AND corp_id = $2 AND (member_id = $3 OR member_id = 0)"
            ))
            .bind(id)
            .bind(owner.corp)
            .bind(owner.member),
        )
        .await?;
    match row {
        Some(r) if r.member_id == owner.member => Ok(r),
        Some(_) => Err(ErrorKind::QuickReplyReadOnly.into()),
        None => Err(ErrorKind::QuickReplyNotFound.into()),
    }
}

/// Refuses a text the owner already keeps (other than in `except`).
async fn check_unique(tx: &mut Tx, owner: Owner, hash: &str, except: i64) -> AppResult<()> {
    let dup: Option<(i64,)> = tx
        .opt(
            sql("SELECT id FROM chat_quick_replies WHERE corp_id = $1 AND member_id = $2 AND text_hash = $3 AND id <> $4")
                .bind(owner.corp)
                .bind(owner.member)
                .bind(hash)
                .bind(except),
        )
        .await?;
    if dup.is_some() {
        return Err(AppError::new(ErrorKind::QuickReplyExists).on_field("text"));
    }
    Ok(())
}

fn duplicate_or(e: sqlx::Error) -> AppError {
    if is_unique_violation(&e, "chat_quick_replies", "text_hash") {
        AppError::new(ErrorKind::QuickReplyExists).on_field("text")
    } else {
        e.into()
    }
}

async fn record(
    tx: &mut Tx,
    actor: &Actor,
    owner: Owner,
    now: i64,
    kind: &str,
    target: String,
    before: Option<Value>,
    after: Option<Value>,
) -> AppResult<()> {
    // The enterprise's snippets are administrative; a member's own are not audited.
    if !owner.is_enterprise() {
        return Ok(());
    }
    audit::record(
        tx,
        actor,
        now,
        audit::Entry {
            kind,
            target,
            before,
            after,
        },
    )
    .await
}

/// The owner's snippets in their order.
pub async fn list(app: &AppState, owner: Owner) -> AppResult<Vec<QuickReply>> {
    let rows: Vec<Row> = app
        .db
        .all(
            sql(format!(
                "SELECT {COLS} FROM chat_quick_replies WHERE corp_id = $1 AND member_id = $2 ORDER BY position, id"
            ))
            .bind(owner.corp)
            .bind(owner.member),
        )
        .await?;
    Ok(rows.iter().map(|r| r.view(true)).collect())
}

/// What a member picks from: their own snippets, then the enterprise's (read-only for them).
pub async fn for_member(app: &AppState, actor: &Actor) -> AppResult<Vec<QuickReply>> {
    let owner = Owner::me(actor)?;
    let rows: Vec<Row> = app
        .db
        .all(
            sql(format!(
                "SELECT {COLS} FROM chat_quick_replies WHERE corp_id = $1 AND (member_id = $2 OR member_id = 0) \
                 ORDER BY CASE WHEN member_id = 0 THEN 1 ELSE 0 END, position, id"
            ))
            .bind(owner.corp)
            .bind(owner.member),
        )
        .await?;
    Ok(rows.iter().map(|r| r.view(r.member_id != 0)).collect())
}

/// Adds a snippet at the end of the owner's list.
pub async fn create(
    app: &AppState,
    actor: &Actor,
    owner: Owner,
    input: QuickReplyInput,
) -> AppResult<QuickReply> {
    let (title, text) = clean(input.title.as_deref(), input.text.as_deref(), true)?;
    let title = title.unwrap_or_default();
    let text = text.unwrap_or_default();
    let hash = sha256_hex(&text);
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let position = lock_owner(&mut tx, owner).await?;
    let (count,): (i64,) = tx
        .one(
            sql("SELECT COUNT(*) FROM chat_quick_replies WHERE corp_id = $1 AND member_id = $2")
                .bind(owner.corp)
                .bind(owner.member),
        )
        .await?;
    if count >= owner.limit() {
        let limit = owner.limit();
        let (zh, en) = if owner.is_enterprise() {
            (
                format!("企业最多 {limit} 条，请先删除不再使用的"),
                format!("the enterprise keeps at most {limit}; delete some first"),
            )
        } else {
            (
                format!("每人最多 {limit} 条，请先删除不再使用的"),
                format!("each member keeps at most {limit}; delete some first"),
            )
        };
        return Err(AppError::new(ErrorKind::QuickReplyLimit).with_hint(Hint {
            zh,
            en,
            data: json!({ "limit": limit }),
        }));
    }
    check_unique(&mut tx, owner, &hash, 0).await?;
    let row = Row {
        id: new_id(now),
        member_id: owner.member,
        title,
        text,
        position,
        updated_at: now,
    };
    tx.exec(
        sql("INSERT INTO chat_quick_replies (id, corp_id, member_id, title, text, text_hash, position, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)")
            .bind(row.id)
            .bind(owner.corp)
            .bind(owner.member)
            .bind(&row.title)
            .bind(&row.text)
            .bind(&hash)
            .bind(row.position)
            .bind(now),
    )
    .await
    .map_err(duplicate_or)?;
    record(
        &mut tx,
        actor,
        owner,
        now,
        "chat.quick_reply.create",
        format!("quick_reply:{}", row.id),
        None,
        Some(row.audit_view()),
    )
    .await?;
    tx.commit().await?;
    Ok(row.view(true))
}

/// Changes the title and/or the text of one of the owner's snippets.
pub async fn update(
    app: &AppState,
    actor: &Actor,
    owner: Owner,
    id: &str,
    input: QuickReplyInput,
) -> AppResult<QuickReply> {
    let (title, text) = clean(input.title.as_deref(), input.text.as_deref(), false)?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    lock_owner(&mut tx, owner).await?;
    let before = find_in(&mut tx, owner, id).await?;
    let mut row = before.clone();
    if let Some(t) = title {
        row.title = t;
    }
    if let Some(t) = text {
        row.text = t;
    }
    if row.title == before.title && row.text == before.text {
        return Ok(before.view(true));
    }
    let hash = sha256_hex(&row.text);
    check_unique(&mut tx, owner, &hash, row.id).await?;
    row.updated_at = now;
    tx.exec(
        sql("UPDATE chat_quick_replies SET title = $1, text = $2, text_hash = $3, updated_at = $4 WHERE id = $5 AND corp_id = $6")
            .bind(&row.title)
            .bind(&row.text)
            .bind(&hash)
            .bind(now)
            .bind(row.id)
            .bind(owner.corp),
    )
    .await
    .map_err(duplicate_or)?;
    record(
        &mut tx,
        actor,
        owner,
        now,
        "chat.quick_reply.update",
        format!("quick_reply:{}", row.id),
        Some(before.audit_view()),
        Some(row.audit_view()),
    )
    .await?;
    tx.commit().await?;
    Ok(row.view(true))
}

pub async fn delete(app: &AppState, actor: &Actor, owner: Owner, id: &str) -> AppResult<()> {
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let row = find_in(&mut tx, owner, id).await?;
    tx.exec(
        sql("DELETE FROM chat_quick_replies WHERE id = $1 AND corp_id = $2 AND member_id = $3")
            .bind(row.id)
            .bind(owner.corp)
            .bind(owner.member),
    )
    .await?;
    record(
        &mut tx,
        actor,
        owner,
        now,
        "chat.quick_reply.delete",
        format!("quick_reply:{}", row.id),
        Some(row.audit_view()),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Puts the owner's snippets in the order of `ids`; snippets not named keep their order after
/// those named (one added meanwhile is not lost). Every id must be one of the owner's, once.
pub async fn reorder(
    app: &AppState,
    actor: &Actor,
    owner: Owner,
    ids: &[String],
) -> AppResult<Vec<QuickReply>> {
    let mut wanted = Vec::with_capacity(ids.len());
    for s in ids {
        let id: i64 = s
            .parse()
            .map_err(|_| AppError::field("ids", FieldReason::NotFound))?;
        if wanted.contains(&id) {
            return Err(AppError::field("ids", FieldReason::Duplicate));
        }
        wanted.push(id);
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    lock_owner(&mut tx, owner).await?;
    let rows = rows_of(&mut tx, owner).await?;
    if let Some(unknown) = wanted.iter().find(|w| !rows.iter().any(|r| r.id == **w)) {
        let shared: Option<(i64,)> = tx
            .opt(
                sql("SELECT id FROM chat_quick_replies WHERE id = $1 AND corp_id = $2 AND member_id = 0")
                    .bind(*unknown)
                    .bind(owner.corp),
            )
            .await?;
        return Err(if shared.is_some() {
            AppError::new(ErrorKind::QuickReplyReadOnly).on_field("ids")
        } else {
            AppError::field("ids", FieldReason::NotFound)
        });
    }
    let mut ordered: Vec<Row> = wanted
        .iter()
        .filter_map(|w| rows.iter().find(|r| r.id == *w).cloned())
        .collect();
    ordered.extend(rows.iter().filter(|r| !wanted.contains(&r.id)).cloned());
    let before: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
    for (i, r) in ordered.iter_mut().enumerate() {
        let position = i as i64 + 1;
        if r.position != position {
            tx.exec(
                sql("UPDATE chat_quick_replies SET position = $1 WHERE id = $2 AND corp_id = $3")
                    .bind(position)
                    .bind(r.id)
                    .bind(owner.corp),
            )
            .await?;
            r.position = position;
        }
    }
    let after: Vec<String> = ordered.iter().map(|r| r.id.to_string()).collect();
    if before != after {
        record(
            &mut tx,
            actor,
            owner,
            now,
            "chat.quick_reply.reorder",
            "quick_replies".into(),
            Some(json!(before)),
            Some(json!(after)),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ordered.iter().map(|r| r.view(true)).collect())
}

/// How many snippets the list may hold and how long each may be.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuickReplyLimits {
    pub count: i64,
    pub title_chars: usize,
    pub text_chars: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuickReplyList {
    pub items: Vec<QuickReply>,
    /// The limits of the list the caller may change (their own, or the enterprise's).
    pub limits: QuickReplyLimits,
}

fn list_reply(owner: Owner, items: Vec<QuickReply>) -> Json<QuickReplyList> {
    Json(QuickReplyList {
        items,
        limits: QuickReplyLimits {
            count: owner.limit(),
            title_chars: MAX_TITLE_CHARS,
            text_chars: MAX_TEXT_CHARS,
        },
    })
}

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .typed(routes!(my_quick_replies, create_my_quick_reply))
        .typed(routes!(reorder_my_quick_replies))
        .typed(routes!(update_my_quick_reply, delete_my_quick_reply))
        .typed(routes!(corp_quick_replies, create_corp_quick_reply))
        .typed(routes!(reorder_corp_quick_replies))
        .typed(routes!(update_corp_quick_reply, delete_corp_quick_reply))
}

#[utoipa::path(
    get,
    path = "/chat/quick-replies",
    tag = "chat",
    summary = "My quick replies and the enterprise's",
    responses((status = 200, body = QuickReplyList))
)]
async fn my_quick_replies(
    State(app): State<AppState>,
    Authed(actor): Authed,
) -> AppResult<Json<QuickReplyList>> {
    let owner = Owner::me(&actor)?;
    Ok(list_reply(owner, for_member(&app, &actor).await?))
}

#[utoipa::path(
    post,
    path = "/chat/quick-replies",
    tag = "chat",
    summary = "Add a quick reply of my own",
    request_body = QuickReplyInput,
    responses((status = 201, body = QuickReply))
)]
async fn create_my_quick_reply(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<QuickReplyInput>,
) -> AppResult<(StatusCode, Json<QuickReply>)> {
    let owner = Owner::me(&actor)?;
    Ok((
        StatusCode::CREATED,
        Json(create(&app, &actor, owner, input).await?),
    ))
}

#[utoipa::path(
    patch,
    path = "/chat/quick-replies/{id}",
    tag = "chat",
    summary = "Change a quick reply of my own",
    request_body = QuickReplyInput,
    responses((status = 200, body = QuickReply))
)]
async fn update_my_quick_reply(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Body(input): Body<QuickReplyInput>,
) -> AppResult<Json<QuickReply>> {
    let owner = Owner::me(&actor)?;
    Ok(Json(update(&app, &actor, owner, &id, input).await?))
}

#[utoipa::path(
    delete,
    path = "/chat/quick-replies/{id}",
    tag = "chat",
    summary = "Delete a quick reply of my own",
    responses((status = 204, description = "Done"))
)]
async fn delete_my_quick_reply(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let owner = Owner::me(&actor)?;
    delete(&app, &actor, owner, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    put,
    path = "/chat/quick-replies/order",
    tag = "chat",
    summary = "Reorder my quick replies",
    request_body = OrderInput,
    responses((status = 200, body = QuickReplyList))
)]
async fn reorder_my_quick_replies(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<OrderInput>,
) -> AppResult<Json<QuickReplyList>> {
    let owner = Owner::me(&actor)?;
    reorder(&app, &actor, owner, &input.ids).await?;
    Ok(list_reply(owner, for_member(&app, &actor).await?))
}

#[utoipa::path(
    get,
    path = "/admin/chat/quick-replies",
    tag = "admin",
    summary = "The enterprise's quick replies",
    responses((status = 200, body = QuickReplyList))
)]
async fn corp_quick_replies(
    State(app): State<AppState>,
    Allowed { grant, .. }: Allowed<perm::SecurityManage>,
) -> AppResult<Json<QuickReplyList>> {
    let owner = Owner::enterprise(&grant);
    Ok(list_reply(owner, list(&app, owner).await?))
}

#[utoipa::path(
    post,
    path = "/admin/chat/quick-replies",
    tag = "admin",
    summary = "Add an enterprise quick reply",
    request_body = QuickReplyInput,
    responses((status = 201, body = QuickReply))
)]
async fn create_corp_quick_reply(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::SecurityManage>,
    Body(input): Body<QuickReplyInput>,
) -> AppResult<(StatusCode, Json<QuickReply>)> {
    let owner = Owner::enterprise(&grant);
    Ok((
        StatusCode::CREATED,
        Json(create(&app, &actor, owner, input).await?),
    ))
}

#[utoipa::path(
    patch,
    path = "/admin/chat/quick-replies/{id}",
    tag = "admin",
    summary = "Change an enterprise quick reply",
    request_body = QuickReplyInput,
    responses((status = 200, body = QuickReply))
)]
async fn update_corp_quick_reply(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::SecurityManage>,
    Path(id): Path<String>,
    Body(input): Body<QuickReplyInput>,
) -> AppResult<Json<QuickReply>> {
    let owner = Owner::enterprise(&grant);
    Ok(Json(update(&app, &actor, owner, &id, input).await?))
}

#[utoipa::path(
    delete,
    path = "/admin/chat/quick-replies/{id}",
    tag = "admin",
    summary = "Delete an enterprise quick reply",
    responses((status = 204, description = "Done"))
)]
async fn delete_corp_quick_reply(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::SecurityManage>,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let owner = Owner::enterprise(&grant);
    delete(&app, &actor, owner, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    put,
    path = "/admin/chat/quick-replies/order",
    tag = "admin",
    summary = "Reorder the enterprise's quick replies",
    request_body = OrderInput,
    responses((status = 200, body = QuickReplyList))
)]
async fn reorder_corp_quick_replies(
    State(app): State<AppState>,
    Allowed { actor, grant, .. }: Allowed<perm::SecurityManage>,
    Body(input): Body<OrderInput>,
) -> AppResult<Json<QuickReplyList>> {
    let owner = Owner::enterprise(&grant);
    let items = reorder(&app, &actor, owner, &input.ids).await?;
    Ok(list_reply(owner, items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_texts_are_trimmed_and_bounded() {
        let (title, text) = clean(Some("  常用\n 回复 "), Some("  好的，收到\n"), true).unwrap();
        assert_eq!(title.as_deref(), Some("常用 回复"));
        assert_eq!(text.as_deref(), Some("好的，收到"));
        let long_title = "长".repeat(MAX_TITLE_CHARS + 1);
        let e = clean(Some(&long_title), Some("x"), true).unwrap_err();
        assert_eq!(e.fields[0].field, "title");
        assert_eq!(e.fields[0].reason, "too_long");
        assert!(e.hint.unwrap().zh.contains("30"));
        assert!(clean(Some(&"长".repeat(MAX_TITLE_CHARS)), Some("x"), true).is_ok());
        let e = clean(None, Some("   "), true).unwrap_err();
        assert_eq!(
            (e.fields[0].field.as_str(), e.fields[0].reason.as_str()),
            ("text", "required")
        );
        let e = clean(None, None, true).unwrap_err();
        assert_eq!(e.fields[0].reason, "required");
        assert!(clean(None, None, false).is_ok());
        assert!(clean(None, Some(&"字".repeat(MAX_TEXT_CHARS)), true).is_ok());
        let e = clean(None, Some(&"字".repeat(MAX_TEXT_CHARS + 1)), true).unwrap_err();
        assert_eq!(e.fields[0].reason, "too_long");
    }
}
