//! Messages from systems: what robots and apps send (WeCom's text, markdown, image, file, news,
//! textcard and template_card), turned into conversation events.
use serde_json::{Value, json};

use super::markdown::Flavour;
use super::message;
use super::roster::Roster;
use super::stream::{NewEvent, Sender};
use crate::ChatState;
use qixie_kernel::AppState;
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::ids::CorpId;

/// A message from a system (robot or app), already decoded from WeCom's JSON.
#[derive(Clone)]
pub enum Notice {
    Text {
        content: String,
        mentioned: Vec<String>,
        mentioned_mobiles: Vec<String>,
    },
    Markdown {
        content: String,
    },
    Image {
        bytes: Vec<u8>,
    },
    /// An image already stored (sent to many recipients, stored once).
    StoredImage {
        media_id: String,
    },
    File {
        media_id: String,
    },
    /// news and template_card: shown as cards, content kept as sent.
    Card {
        msg_type: &'static str,
        content: Value,
        plain: String,
    },
}

/// The event a notice becomes in a conversation.
pub async fn event(
    app: &AppState,
    corp: CorpId,
    roster: &Roster,
    sender: Sender,
    notice: Notice,
) -> AppResult<NewEvent> {
    Ok(match notice {
        Notice::Text {
            content,
            mentioned,
            mentioned_mobiles,
        } => {
            let mut names = mentioned;
            for mobile in mentioned_mobiles {
                if mobile == "@all" {
                    names.push("@all".into());
                } else if let Ok(m) =
                    qixie_org::member::find_by_mobile(&app.db, corp, &mobile).await
                {
                    names.push(m.userid);
                }
            }
            text_event(
                app,
                corp,
                roster,
                sender,
                "text",
                &content,
                Flavour::Text,
                &names,
            )
            .await?
        }
        Notice::Markdown { content } => {
            text_event(
                app,
                corp,
                roster,
                sender,
                "markdown",
                &content,
                Flavour::RobotMarkdown,
                &[],
            )
            .await?
        }
        Notice::Image { bytes } => {
            let m = super::media::store(
                app,
                corp,
                super::media::UploadedBy::System,
                "image.png",
                bytes,
            )
            .await?;
            if m.kind != "image" {
                return Err(AppError::field("image.base64", FieldReason::NotAnImage));
            }
            let mut e = message::message(sender, "image", m.content());
            e.plain = "[图片]".into();
            e
        }
        Notice::StoredImage { media_id } => {
            let m = super::media::find(&app.db, corp, &media_id).await?;
            let mut e = message::message(sender, "image", m.content());
            e.plain = "[图片]".into();
            e
        }
        Notice::File { media_id } => {
            let m = super::media::find(&app.db, corp, &media_id).await?;
            let mut e = message::message(sender, "file", m.content());
            e.plain = format!("[文件] {}", m.name);
            e
        }
        Notice::Card {
            msg_type,
            content,
            plain,
        } => {
            let mut e = message::message(sender, msg_type, content);
            e.plain = plain;
            e
        }
    })
}

#[allow(clippy::too_many_arguments)]
async fn text_event(
    app: &AppState,
    corp: CorpId,
    roster: &Roster,
    sender: Sender,
    msg_type: &str,
    content: &str,
    flavour: Flavour,
    mentions: &[String],
) -> AppResult<NewEvent> {
    if content.trim().is_empty() {
        return Err(AppError::new(ErrorKind::EmptyMessage));
    }
    let limit = if msg_type == "text" { 2048 } else { 4096 };
    if content.len() > limit {
        return Err(AppError::new(ErrorKind::MessageTooLong));
    }
    let (html, plain, mentions, all, has_link) =
        message::render_text(app, corp, roster, content, flavour, mentions).await?;
    let mut e = message::message(sender, msg_type, json!({ "text": content }));
    e.html = html;
    e.plain = plain;
    e.mentions = mentions;
    e.mention_all = all;
    e.has_link = has_link;
    Ok(e)
}

/// Apps send messages and manage their group chats only with the `message` scope.
pub fn require_message_scope(app_row: &qixie_apps::AppRow) -> AppResult<()> {
    if qixie_kernel::ser::split_list(&app_row.scopes)
        .iter()
        .any(|s| s == "message")
    {
        Ok(())
    } else {
        Err(ErrorKind::ApiForbidden.into())
    }
}

/// Keeps an image notice's bytes as chat media, so every copy of the notice shows the one stored file.
pub async fn store_image(app: &AppState, corp: CorpId, notice: Notice) -> AppResult<Notice> {
    let Notice::Image { bytes } = notice else {
        return Ok(notice);
    };
    let m = super::media::store(
        app,
        corp,
        super::media::UploadedBy::System,
        "image.png",
        bytes,
    )
    .await?;
    if m.kind != "image" {
        return Err(AppError::field("image.media_id", FieldReason::NotAnImage));
    }
    Ok(Notice::StoredImage { media_id: m.id })
}

/// What `message/send` reports back.
#[derive(Debug, Default)]
pub struct Delivered {
    pub msgid: String,
    pub invalid_users: Vec<String>,
    pub invalid_departments: Vec<i64>,
    pub invalid_tags: Vec<i64>,
}

/// An app sends a notice to members (users, departments with their sub-departments, tags or
/// everyone, within the app's visible range); each receives it in the app's conversation. Needs the
/// app's `message` scope.
pub async fn send_from_app(
    app: &AppState,
    actor: &qixie_kernel::authz::Actor,
    app_row: &qixie_apps::AppRow,
    sel: &qixie_org::audience::Selection,
    notice: Notice,
) -> AppResult<Delivered> {
    require_message_scope(app_row)?;
    let corp = actor.corp;
    let aud = qixie_apps::reach(&app.db, app_row, sel).await?;
    if aud.members.is_empty() {
        return Err(ErrorKind::AllRecipientsInvalid.into());
    }
    let ids: Vec<i64> = aud.members.iter().map(|(m, _, _)| *m).collect();
    let msgid = send_to_members(app, corp, app_row, &ids, notice).await?;
    Ok(Delivered {
        msgid,
        invalid_users: aud.invalid_users,
        invalid_departments: aud.invalid_departments,
        invalid_tags: aud.invalid_tags,
    })
}

/// Sends a notice from an app to each of `members` in their conversation with the app (a built-in
/// app's notices, or an app's `message/send` once its range is applied); returns the msgid that
/// names every copy.
pub async fn send_to_members(
    app: &AppState,
    corp: CorpId,
    app_row: &qixie_apps::AppRow,
    members: &[i64],
    notice: Notice,
) -> AppResult<String> {
    let msgid = format!(
        "msg{}",
        qixie_kernel::ids::random_token(12).replace(['-', '_'], "x")
    );
    let sender = Sender::App {
        id: app_row.id,
        agentid: app_row.agentid,
        name: app_row.name.clone(),
    };
    // Stored once, shown to everyone.
    let notice = store_image(app, corp, notice).await?;
    let mut sends = Vec::new();
    for member in members {
        let conv =
            super::conversation::app_conversation(app, corp, app_row.id, &app_row.name, *member)
                .await?;
        let roster = app.chat().roster.get_in(&app.db, corp, conv).await?;
        let mut ev = event(app, corp, &roster, sender.clone(), notice.clone()).await?;
        ev.client_id = Some(msgid.clone());
        sends.push((conv, ev));
    }
    // All recipients' copies go to the group commit together.
    let results = futures_util::future::join_all(
        sends
            .into_iter()
            .map(|(conv, ev)| message::post(app, corp, conv, ev)),
    )
    .await;
    for r in results {
        r?;
    }
    Ok(msgid)
}

/// Recalls every copy of an app message (`message/recall`), within 24 hours.
pub async fn recall_from_app(
    app: &AppState,
    actor: &qixie_kernel::authz::Actor,
    app_row: &qixie_apps::AppRow,
    msgid: &str,
) -> AppResult<()> {
    let rows: Vec<super::stream::EventRow> = app
        .db
        .all(
            qixie_kernel::db::sql(format!(
                "SELECT {} FROM chat_events WHERE corp_id = $1 AND sender_kind = 'app' AND sender_id = $2 AND client_id = $3 AND kind = 'message'",
                super::stream::EVENT_COLS
            ))
            .bind(actor.corp)
            .bind(app_row.id)
            .bind(msgid),
        )
        .await?;
    let first = rows.first().ok_or(ErrorKind::MessageNotFound)?;
    if app.now() - first.created_at > message::RECALL_WINDOW_MS {
        return Err(ErrorKind::RecallExpired.into());
    }
    let sender = Sender::App {
        id: app_row.id,
        agentid: app_row.agentid,
        name: app_row.name.clone(),
    };
    message::recall_rows(app, actor.corp, &rows, sender).await
}
