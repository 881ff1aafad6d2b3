//! WeCom messaging: `message/send` and `message/recall`, `appchat/*`, and the group robot webhook
//! (`webhook/send`, `webhook/upload_media`). Translation only: the chat module decides.
use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::contacts::Params;
use super::{AppCaller, loose, ok, ok_empty};
use qixie_chat::ChatState;
use qixie_chat::conversation::{self, GroupPatch, NewGroup};
use qixie_chat::media::UploadedBy;
use qixie_chat::notice::{self, Notice};
use qixie_chat::{message, robots};
use qixie_kernel::AppState;
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::http::extract::Body;
use qixie_kernel::ids::CorpId;
use qixie_org::audience::Selection;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/message/send", post(send))
        .route("/message/recall", post(recall))
        .route("/appchat/create", post(appchat_create))
        .route("/appchat/get", get(appchat_get))
        .route("/appchat/update", post(appchat_update))
        .route("/appchat/send", post(appchat_send))
        .route("/webhook/send", post(webhook_send))
        .route("/webhook/upload_media", post(webhook_upload))
}

/// Reads the `<msgtype>` object of a WeCom message body into a notice. Image and file `media_id`s
/// name temporary media (media/upload) for apps and robot uploads (webhook/upload_media) for robots,
/// so each caller passes how to resolve them.
async fn notice_from(
    app: &AppState,
    corp: CorpId,
    body: &Value,
    temp_media: bool,
) -> AppResult<Notice> {
    let msgtype = body["msgtype"].as_str().unwrap_or_default();
    let part = &body[msgtype];
    let text = |k: &str| part[k].as_str().unwrap_or_default().to_owned();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(match msgtype {
        "text" => Notice::Text {
            content: text("content"),
            mentioned: strings(&part["mentioned_list"]),
            mentioned_mobiles: strings(&part["mentioned_mobile_list"]),
        },
        "markdown" | "markdown_v2" => Notice::Markdown {
            content: text("content"),
        },
        "image" if !temp_media => {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(text("base64").trim())
                .map_err(|_| AppError::field("image.base64", FieldReason::Invalid))?;
            if raw.is_empty() || raw.len() > 2 * 1024 * 1024 {
                return Err(AppError::field("image.base64", FieldReason::Size));
            }
            let md5 = format!("{:x}", md5::compute(&raw));
            if !md5.eq_ignore_ascii_case(text("md5").trim()) {
                return Err(AppError::field("image.md5", FieldReason::Mismatch));
            }
            Notice::Image { bytes: raw }
        }
        "image" | "file" if temp_media => {
            let (row, bytes) = super::media::load(app, corp, &text("media_id")).await?;
            if msgtype == "image" {
                Notice::Image { bytes }
            } else {
                let m =
                    qixie_chat::media::store(app, corp, UploadedBy::System, &row.filename, bytes)
                        .await?;
                Notice::File { media_id: m.id }
            }
        }
        "file" | "voice" => Notice::File {
            media_id: text("media_id"),
        },
        "news" => {
            let articles = part["articles"].as_array().cloned().unwrap_or_default();
            if articles.is_empty() || articles.len() > 8 {
                return Err(AppError::field("news.articles", FieldReason::Count));
            }
            let title = articles[0]["title"].as_str().unwrap_or_default().to_owned();
            Notice::Card {
                msg_type: "news",
                content: json!({ "articles": articles }),
                plain: format!("[图文] {title}"),
            }
        }
        "textcard" => {
            if text("title").is_empty() {
                return Err(AppError::field("textcard.title", FieldReason::Required));
            }
            Notice::Card {
                msg_type: "textcard",
                plain: format!("[卡片] {}", text("title")),
                content: json!({ "title": text("title"), "description": text("description"), "url": text("url"), "btntxt": text("btntxt") }),
            }
        }
        "template_card" => {
            let kind = part["card_type"].as_str().unwrap_or_default();
            if !matches!(
                kind,
                "text_notice"
                    | "news_notice"
                    | "button_interaction"
                    | "vote_interaction"
                    | "multiple_interaction"
            ) {
                return Err(AppError::field(
                    "template_card.card_type",
                    FieldReason::Invalid,
                ));
            }
            let title = part["main_title"]["title"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            Notice::Card {
                msg_type: "template_card",
                content: part.clone(),
                plain: format!("[卡片] {title}"),
            }
        }
        _ => return Err(AppError::field("msgtype", FieldReason::Invalid)),
    })
}

#[derive(Deserialize)]
struct SendBody {
    #[serde(default, deserialize_with = "loose::string")]
    touser: Option<String>,
    #[serde(default, deserialize_with = "loose::string")]
    toparty: Option<String>,
    #[serde(default, deserialize_with = "loose::string")]
    totag: Option<String>,
    #[serde(default, deserialize_with = "loose::int")]
    agentid: Option<i64>,
}

fn split(s: &Option<String>) -> Vec<String> {
    s.as_deref()
        .unwrap_or_default()
        .split('|')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn ints(v: Vec<String>) -> Vec<i64> {
    v.iter().filter_map(|x| x.parse().ok()).collect()
}

async fn send(
    State(app): State<AppState>,
    caller: AppCaller,
    Body(raw): Body<Value>,
) -> AppResult<Response> {
    let b: SendBody =
        serde_json::from_value(raw.clone()).map_err(|_| AppError::new(ErrorKind::BadRequest))?;
    if b.agentid.is_some_and(|a| a != caller.app.agentid) {
        return Err(ErrorKind::AppNotFound.into());
    }
    let users = split(&b.touser);
    let everyone = users.iter().any(|u| u == "@all");
    let sel = Selection {
        userids: users.into_iter().filter(|u| u != "@all").collect(),
        departments: ints(split(&b.toparty)),
        tags: ints(split(&b.totag)),
        everyone,
    };
    if !sel.everyone && sel.userids.is_empty() && sel.departments.is_empty() && sel.tags.is_empty()
    {
        return Err(AppError::new(ErrorKind::AllRecipientsInvalid));
    }
    let n = notice_from(&app, caller.actor.corp, &raw, true).await?;
    let d = notice::send_from_app(&app, &caller.actor, &caller.app, &sel, n).await?;
    let join = |v: Vec<String>| v.join("|");
    Ok(ok(json!({
        "invaliduser": join(d.invalid_users),
        "invalidparty": join(d.invalid_departments.iter().map(i64::to_string).collect()),
        "invalidtag": join(d.invalid_tags.iter().map(i64::to_string).collect()),
        "unlicenseduser": "",
        "msgid": d.msgid,
        "response_code": "",
    })))
}

#[derive(Deserialize)]
struct RecallBody {
    #[serde(default, deserialize_with = "loose::string")]
    msgid: Option<String>,
}

async fn recall(
    State(app): State<AppState>,
    caller: AppCaller,
    Body(b): Body<RecallBody>,
) -> AppResult<Response> {
    let msgid = b
        .msgid
        .filter(|m| !m.is_empty())
        .ok_or_else(|| AppError::field("msgid", FieldReason::Required))?;
    notice::recall_from_app(&app, &caller.actor, &caller.app, &msgid).await?;
    Ok(ok_empty())
}

fn require_message_scope(caller: &AppCaller) -> AppResult<()> {
    notice::require_message_scope(&caller.app)
}

#[derive(Deserialize)]
struct CreateChat {
    #[serde(default)]
    name: String,
    #[serde(default, deserialize_with = "loose::string")]
    owner: Option<String>,
    #[serde(default, deserialize_with = "loose::string_list")]
    userlist: Option<Vec<String>>,
    #[serde(default, deserialize_with = "loose::string")]
    chatid: Option<String>,
}

async fn appchat_create(
    State(app): State<AppState>,
    caller: AppCaller,
    Body(b): Body<CreateChat>,
) -> AppResult<Response> {
    require_message_scope(&caller)?;
    let users = b.userlist.unwrap_or_default();
    if users.len() < 2 || users.len() > 2000 {
        return Err(AppError::field("userlist", FieldReason::Count));
    }
    // Only members inside the app's visible range join; the others are reported back.
    let invalid = outside_range(&app, &caller, &users).await?;
    let users: Vec<String> = users.into_iter().filter(|u| !invalid.contains(u)).collect();
    if users.len() < 2 {
        return Err(AppError::field("userlist", FieldReason::Count)
            .with_kind(ErrorKind::AllRecipientsInvalid));
    }
    let owner = b
        .owner
        .filter(|o| !o.is_empty())
        .or_else(|| users.first().cloned());
    if owner.as_ref().is_some_and(|o| invalid.contains(o)) {
        return Err(
            AppError::field("owner", FieldReason::OutOfRange).with_kind(ErrorKind::MemberNotFound)
        );
    }
    let c = conversation::create_group(
        &app,
        &caller.actor,
        NewGroup {
            name: if b.name.trim().is_empty() {
                "群聊".into()
            } else {
                b.name
            },
            group_type: String::new(),
            userids: users,
            department_ids: Vec::new(),
            owner,
            chatid: b.chatid,
        },
    )
    .await?;
    Ok(ok(
        json!({ "chatid": c.chatid, "invaliduser": invalid.join("|") }),
    ))
}

/// Which of `userids` lie outside the app's visible range (or do not exist).
async fn outside_range(
    app: &AppState,
    caller: &AppCaller,
    userids: &[String],
) -> AppResult<Vec<String>> {
    let sel = Selection {
        userids: userids.to_vec(),
        ..Selection::default()
    };
    Ok(qixie_apps::reach(&app.db, &caller.app, &sel)
        .await?
        .invalid_users)
}

async fn chat_of(
    app: &AppState,
    caller: &AppCaller,
    chatid: &str,
) -> AppResult<conversation::ConvRow> {
    let c = conversation::find_by_chatid(&app.db, caller.actor.corp, chatid).await?;
    // An app sees and manages the groups it created.
    if c.app_id != Some(caller.app.id) || c.kind != "group" {
        return Err(ErrorKind::ConversationNotFound.into());
    }
    Ok(c)
}

async fn appchat_get(
    State(app): State<AppState>,
    caller: AppCaller,
    p: Params,
) -> AppResult<Response> {
    require_message_scope(&caller)?;
    let c = chat_of(&app, &caller, p.require_text("chatid")?).await?;
    let ids = conversation::member_ids(&app.db, c.id()).await?;
    let cards = qixie_org::member::cards(&app.db, caller.actor.corp, &ids).await?;
    let userlist: Vec<String> = ids
        .iter()
        .filter_map(|i| cards.get(i))
        .map(|c| c.userid.clone())
        .collect();
    let owner = c
        .owner_id
        .and_then(|o| cards.get(&o))
        .map(|c| c.userid.clone())
        .unwrap_or_default();
    Ok(ok(
        json!({ "chat_info": { "chatid": c.chatid, "name": c.name, "owner": owner, "userlist": userlist } }),
    ))
}

#[derive(Deserialize)]
struct UpdateChat {
    #[serde(default, deserialize_with = "loose::string")]
    chatid: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "loose::string")]
    owner: Option<String>,
    #[serde(default, deserialize_with = "loose::string_list")]
    add_user_list: Option<Vec<String>>,
    #[serde(default, deserialize_with = "loose::string_list")]
    del_user_list: Option<Vec<String>>,
}

async fn appchat_update(
    State(app): State<AppState>,
    caller: AppCaller,
    Body(b): Body<UpdateChat>,
) -> AppResult<Response> {
    require_message_scope(&caller)?;
    let chatid = b
        .chatid
        .ok_or_else(|| AppError::field("chatid", FieldReason::Required))?;
    let c = chat_of(&app, &caller, &chatid).await?;
    // Everyone the change would bring in must be inside the app's visible range; checked before
    // anything changes.
    let mut joining = b.add_user_list.clone().unwrap_or_default();
    joining.extend(b.owner.clone().filter(|o| !o.is_empty()));
    if !joining.is_empty() && !outside_range(&app, &caller, &joining).await?.is_empty() {
        return Err(AppError::field("add_user_list", FieldReason::OutOfRange)
            .with_kind(ErrorKind::AllRecipientsInvalid));
    }
    if let Some(name) = b.name.filter(|n| !n.trim().is_empty()) {
        conversation::update_group(
            &app,
            &caller.actor,
            c.id(),
            GroupPatch {
                name: Some(name),
                ..GroupPatch::default()
            },
        )
        .await?;
    }
    if let Some(add) = b.add_user_list.filter(|a| !a.is_empty()) {
        conversation::add_members(
            &app,
            &caller.actor,
            c.id(),
            Selection {
                userids: add,
                ..Selection::default()
            },
        )
        .await?;
    }
    if let Some(owner) = b.owner.filter(|o| !o.is_empty()) {
        conversation::transfer(&app, &caller.actor, c.id(), &owner).await?;
    }
    for u in b.del_user_list.unwrap_or_default() {
        conversation::remove_member(&app, &caller.actor, c.id(), &u).await?;
    }
    Ok(ok_empty())
}

async fn appchat_send(
    State(app): State<AppState>,
    caller: AppCaller,
    Body(raw): Body<Value>,
) -> AppResult<Response> {
    require_message_scope(&caller)?;
    let chatid = raw["chatid"]
        .as_str()
        .ok_or_else(|| AppError::field("chatid", FieldReason::Required))?;
    let c = chat_of(&app, &caller, chatid).await?;
    let n = notice_from(&app, caller.actor.corp, &raw, true).await?;
    let n = match n {
        Notice::Image { bytes } => {
            let m = qixie_chat::media::store(
                &app,
                caller.actor.corp,
                UploadedBy::System,
                "image.png",
                bytes,
            )
            .await?;
            Notice::StoredImage { media_id: m.id }
        }
        other => other,
    };
    let roster = app
        .chat()
        .roster
        .get_in(&app.db, caller.actor.corp, c.id())
        .await?;
    let sender = conversation::sender_of(&caller.actor);
    let ev = notice::event(&app, caller.actor.corp, &roster, sender, n).await?;
    message::post(&app, caller.actor.corp, c.id(), ev).await?;
    Ok(ok_empty())
}

async fn webhook_send(
    State(app): State<AppState>,
    p: Params,
    Body(raw): Body<Value>,
) -> AppResult<Response> {
    let robot = robots::by_key(&app, p.text("key").unwrap_or_default()).await?;
    let n = notice_from(&app, CorpId(robot.corp_id), &raw, false).await?;
    robots::post(&app, &robot, n).await?;
    Ok(ok_empty())
}

async fn webhook_upload(
    State(app): State<AppState>,
    p: Params,
    req: Request,
) -> AppResult<Response> {
    let robot = robots::by_key(&app, p.text("key").unwrap_or_default()).await?;
    let kind = p.text("type").unwrap_or("file");
    if !matches!(kind, "file" | "voice") {
        return Err(AppError::field("type", FieldReason::Invalid));
    }
    let (name, _, bytes) = qixie_kernel::http::files::read_file_field(req, &app, "media").await?;
    let m = qixie_chat::media::store(
        &app,
        CorpId(robot.corp_id),
        UploadedBy::Robot(robot.id),
        &name,
        bytes,
    )
    .await?;
    Ok(ok(
        json!({ "type": kind, "media_id": m.id, "created_at": (app.now() / 1000).to_string() }),
    ))
}
