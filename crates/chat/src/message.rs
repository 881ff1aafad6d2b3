//! Messages: what a member, robot or app may send and how it is checked and rendered; recall, pins,
//! forwarding, read receipts and favourites.
use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::conversation::{self, sender_of};
use super::fanout;
use super::markdown::{self, Flavour};
use super::policy::{self, ReceiptMode};
use super::roster::Roster;
use super::stream::{self, EventRow, NewEvent, Sender};
use super::writer::Outgoing;
use crate::ChatState;
use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, Scope};
use qixie_kernel::db::sql;
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::ids::{ConvId, CorpId, new_id};
use qixie_org::audience::{self, Selection};

/// Longest text a person may send, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// Recalling your own message is possible for this long.
pub const RECALL_WINDOW_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    #[serde(rename = "type")]
    pub msg_type: String,
    pub text: Option<String>,
    pub media_id: Option<String>,
    /// userids, or "@all".
    pub mentions: Option<Vec<String>>,
    pub quote_id: Option<String>,
    pub urgent: Option<bool>,
    pub not_urgent: Option<bool>,
    pub client_id: Option<String>,
}

/// `@{userid}` tokens written by the composer.
fn mention_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("@{") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find('}') {
            let u = &rest[..end];
            if !u.is_empty() && u.len() <= 64 && !u.contains(char::is_whitespace) {
                out.push(u.to_owned());
            }
            rest = &rest[end + 1..];
        } else {
            break;
        }
    }
    out
}

/// Renders text and mentions: the people named who are in the conversation, and whether @all.
pub async fn render_text(
    app: &AppState,
    corp: CorpId,
    roster: &Roster,
    text: &str,
    flavour: Flavour,
    extra_mentions: &[String],
) -> AppResult<(String, String, Vec<String>, bool, bool)> {
    let mut wanted = mention_tokens(text);
    if flavour == Flavour::RobotMarkdown {
        wanted.extend(robot_mentions(text));
    }
    wanted.extend(extra_mentions.iter().cloned());
    let all = wanted.iter().any(|u| u == "all" || u == "@all");
    wanted.retain(|u| u != "all" && u != "@all");
    wanted.sort();
    wanted.dedup();
    let found = if wanted.is_empty() {
        Vec::new()
    } else {
        audience::resolve(
            &app.db,
            corp,
            &Selection {
                userids: wanted,
                ..Selection::default()
            },
            &Scope::All,
        )
        .await?
        .members
    };
    let names: HashMap<String, String> = found
        .iter()
        .filter(|(id, _, _)| roster.contains(*id))
        .map(|(_, u, n)| (u.clone(), n.clone()))
        .collect();
    let name_of = |u: &str| names.get(u).cloned();
    let r = markdown::rendered(text, flavour, &name_of, 2000);
    let mut mentions: Vec<String> = names.into_keys().collect();
    mentions.sort();
    Ok((r.html, r.plain, mentions, all, r.has_link))
}

/// `<@userid>` in robot markdown.
fn robot_mentions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("<@") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find('>') {
            out.push(rest[..end].to_owned());
            rest = &rest[end + 1..];
        } else {
            break;
        }
    }
    out
}

/// A member sends a message to a conversation they belong to.
pub async fn send(
    app: &AppState,
    actor: &Actor,
    conv: ConvId,
    input: MessageInput,
) -> AppResult<EventRow> {
    queue(app, actor, conv, input)
        .await?
        .committed(app, actor)
        .await
}

/// A message checked and queued for the writer, not yet committed.
pub struct Queued(super::writer::Queued);

impl Queued {
    /// Waits for the commit; then an urgent message starts notifying.
    pub async fn committed(self, app: &AppState, actor: &Actor) -> AppResult<EventRow> {
        let row = self.0.committed().await?;
        if row.urgent {
            // Urgent messages notify everyone at once and again until read, and are logged.
            super::urgent::on_send(app, actor, &row).await?;
        }
        Ok(row)
    }
}

/// Checks a message and queues it for the writer without waiting for the commit. Messages one caller
/// queues one after another are stored in that order (a socket's sends keep their order this way
/// while several are in flight).
pub async fn queue(
    app: &AppState,
    actor: &Actor,
    conv: ConvId,
    input: MessageInput,
) -> AppResult<Queued> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let corp = actor.corp;
    let roster = app.chat().roster.get_in(&app.db, corp, conv).await?;
    let role = roster.role(me.0).ok_or(ErrorKind::NotConversationMember)?;
    if roster.status != "active" {
        return Err(ErrorKind::ConversationClosed.into());
    }
    if roster.kind == "app" {
        // An app's conversation carries its notices; members do not write into it.
        return Err(ErrorKind::Forbidden.into());
    }
    if roster.mute_all && !role.is_admin() {
        return Err(ErrorKind::MutedAll.into());
    }
    if let Some(c) = &input.client_id
        && (c.is_empty() || c.len() > 64)
    {
        return Err(AppError::field("client_id", FieldReason::Format));
    }
    let sender = sender_of(actor);
    let mut ev = match input.msg_type.as_str() {
        "text" | "markdown" => {
            let text = input.text.as_deref().unwrap_or_default();
            if text.trim().is_empty() {
                return Err(AppError::new(ErrorKind::EmptyMessage).on_field("text"));
            }
            if text.chars().count() > MAX_TEXT_CHARS {
                return Err(AppError::new(ErrorKind::MessageTooLong).on_field("text"));
            }
            let flavour = if input.msg_type == "text" {
                Flavour::Text
            } else {
                Flavour::Markdown
            };
            let extra = input.mentions.clone().unwrap_or_default();
            let (html, plain, mentions, all, has_link) =
                render_text(app, corp, &roster, text, flavour, &extra).await?;
            let all = all && roster.is_group();
            if all && roster.at_all_admins_only && !role.is_admin() {
                return Err(ErrorKind::AtAllForbidden.into());
            }
            let mut e = message(sender, &input.msg_type, json!({ "text": text }));
            e.html = html;
            e.plain = plain;
            e.mentions = mentions;
            e.mention_all = all;
            e.has_link = has_link;
            e
        }
        "image" | "file" => {
            let id = input
                .media_id
                .as_deref()
                .ok_or_else(|| AppError::field("media_id", FieldReason::Required))?;
            // Only media the sender can already read: naming another conversation's file id must not
            // hand that file to this conversation.
            let m = super::media::readable(app, corp, me.0, id)
                .await
                .map_err(|e| e.on_field("media_id"))?;
            if input.msg_type == "image" && m.kind != "image" {
                return Err(AppError::field("media_id", FieldReason::NotAnImage));
            }
            let plain = if input.msg_type == "image" {
                "[图片]".to_owned()
            } else {
                format!("[文件] {}", m.name)
            };
            let mut e = message(sender, &input.msg_type, m.content());
            e.plain = plain;
            e
        }
        _ => return Err(AppError::field("type", FieldReason::Unsupported)),
    };
    if let Some(q) = &input.quote_id {
        let qid: i64 = q
            .parse()
            .map_err(|_| AppError::field("quote_id", FieldReason::Format))?;
        let quoted = stream::by_id(&app.db, corp, qid)
            .await
            .map_err(|e| e.on_field("quote_id"))?;
        let joined = conversation::membership(&app.db, conv, me)
            .await?
            .map(|m| m.joined_seq)
            .unwrap_or(i64::MAX);
        if quoted.conversation_id != conv.0
            || !quoted.is_message()
            || quoted.recalled_at.is_some()
            || quoted.seq <= joined
        {
            return Err(AppError::field("quote_id", FieldReason::NotQuotable));
        }
        ev.quote = Some(json!({
            "id": quoted.id.to_string(), "seq": quoted.seq,
            "sender_name": quoted.sender_name, "excerpt": quoted.excerpt(80),
        }));
    }
    ev.urgent = input.urgent.unwrap_or(false);
    ev.not_urgent = input.not_urgent.unwrap_or(false) && !ev.urgent;
    ev.client_id = input.client_id;
    let queued = app
        .chat()
        .writer
        .enqueue(
            app,
            Outgoing {
                corp,
                conv,
                event: ev,
            },
        )
        .await?;
    Ok(Queued(queued))
}

/// A message event from `sender` with `content`; text, html and flags are filled in by the caller.
pub fn message(sender: Sender, msg_type: &str, content: Value) -> NewEvent {
    NewEvent {
        kind: "message",
        sender,
        msg_type: msg_type.to_owned(),
        content,
        html: String::new(),
        plain: String::new(),
        mentions: Vec::new(),
        mention_all: false,
        quote: None,
        has_link: false,
        urgent: false,
        not_urgent: false,
        client_id: None,
    }
}

/// Posts an already-rendered event (robots, apps, forwards) through the group commit.
pub async fn post(
    app: &AppState,
    corp: CorpId,
    conv: ConvId,
    event: NewEvent,
) -> AppResult<EventRow> {
    app.chat()
        .writer
        .submit(app, Outgoing { corp, conv, event })
        .await
}

/// The message with `id`, if the caller may see it: a member of its conversation since before it.
async fn visible(
    app: &AppState,
    actor: &Actor,
    id: &str,
) -> AppResult<(EventRow, std::sync::Arc<Roster>)> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let id: i64 = id.parse().map_err(|_| ErrorKind::MessageNotFound)?;
    let ev = stream::by_id(&app.db, actor.corp, id).await?;
    let conv = ConvId(ev.conversation_id);
    let roster = app.chat().roster.get_in(&app.db, actor.corp, conv).await?;
    let m = conversation::membership(&app.db, conv, me)
        .await?
        .ok_or(ErrorKind::MessageNotFound)?;
    if ev.seq <= m.joined_seq {
        return Err(ErrorKind::MessageNotFound.into());
    }
    Ok((ev, roster))
}

/// Recalls a message: your own within 24 hours; group owners and administrators any message. The
/// stream keeps a "recalled" line in its place.
pub async fn recall(app: &AppState, actor: &Actor, id: &str) -> AppResult<()> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let (ev, roster) = visible(app, actor, id).await?;
    if !ev.is_message() || ev.recalled_at.is_some() {
        return Err(ErrorKind::MessageNotFound.into());
    }
    let own = ev.sender_kind == "member" && ev.sender_id == Some(me.0);
    let admin = roster.is_group() && roster.role(me.0).is_some_and(|r| r.is_admin());
    if !own && !admin {
        return Err(ErrorKind::RecallForbidden.into());
    }
    if own && !admin && app.now() - ev.created_at > RECALL_WINDOW_MS {
        return Err(ErrorKind::RecallExpired.into());
    }
    recall_rows(app, actor.corp, &[ev], sender_of(actor)).await
}

/// Marks events recalled and appends the "recalled" lines, one transaction per conversation.
pub async fn recall_rows(
    app: &AppState,
    corp: CorpId,
    evs: &[EventRow],
    by: Sender,
) -> AppResult<()> {
    let now = app.now();
    let by_json = match &by {
        Sender::Member { userid, name, .. } => json!({ "userid": userid, "name": name }),
        Sender::App { name, .. } | Sender::Robot { name, .. } => json!({ "name": name }),
        Sender::System => json!({}),
    };
    for ev in evs {
        let mut tx = app.db.begin().await?;
        let n = tx
            .exec(
                sql("UPDATE chat_events SET recalled_at = $1, recalled_by = $2 WHERE conversation_id = $3 AND seq = $4 AND recalled_at IS NULL")
                    .bind(now)
                    .bind(by.member_id())
                    .bind(ev.conversation_id)
                    .bind(ev.seq),
            )
            .await?;
        if n == 0 {
            continue;
        }
        super::search::forget(&mut tx, &[ev.id]).await?;
        let mut line = NewEvent::system("recalled", json!({}), by.clone());
        line.kind = "recall";
        line.content = json!({ "target_id": ev.id.to_string(), "target_seq": ev.seq, "by": by_json, "sender_name": ev.sender_name });
        // A recall still lands in an archived group: the sender may take back what they said.
        let rows = stream::append(
            &mut tx,
            corp,
            ConvId(ev.conversation_id),
            vec![line],
            now,
            true,
        )
        .await?;
        fanout::events_after_commit(&mut tx, app, rows, false);
        tx.commit().await?;
    }
    Ok(())
}

/// Who has read a message and who has not, as the enterprise's attention policy allows. Only its
/// sender asks.
pub async fn receipts(app: &AppState, actor: &Actor, id: &str) -> AppResult<Value> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let (ev, roster) = visible(app, actor, id).await?;
    if !(ev.sender_kind == "member" && ev.sender_id == Some(me.0)) {
        return Err(ErrorKind::Forbidden.into());
    }
    let pol = policy::get(&app.db, actor.corp).await?;
    let mut mode = pol.receipts_for(&roster.kind);
    if mode == ReceiptMode::Off {
        return Err(ErrorKind::ReceiptsOff.into());
    }
    if roster.members.len() > conversation::RECEIPT_LIST_LIMIT {
        mode = ReceiptMode::Aggregate;
    }
    let rows: Vec<(i64, i64)> = app
        .db
        .all(
            sql("SELECT member_id, read_seq FROM chat_members WHERE conversation_id = $1 AND member_id <> $2 AND joined_seq < $3")
                .bind(ev.conversation_id)
                .bind(me)
                .bind(ev.seq),
        )
        .await?;
    let read_count = rows.iter().filter(|(_, r)| *r >= ev.seq).count();
    if mode == ReceiptMode::Aggregate {
        return Ok(json!({ "mode": "aggregate", "read_count": read_count, "total": rows.len() }));
    }
    let ids: Vec<i64> = rows.iter().map(|(m, _)| *m).collect();
    let cards = qixie_org::member::cards(&app.db, actor.corp, &ids).await?;
    let list = |read: bool| -> Vec<Value> {
        rows.iter()
            .filter(|(_, r)| (*r >= ev.seq) == read)
            .filter_map(|(m, _)| cards.get(m))
            .map(|c| json!({ "userid": c.userid, "name": c.name, "avatar": c.avatar }))
            .collect()
    };
    Ok(
        json!({ "mode": "on", "read": list(true), "unread": list(false), "read_count": read_count, "total": rows.len() }),
    )
}

/// Pins or unpins a message in a group (any member; the line says who).
pub async fn set_pinned(app: &AppState, actor: &Actor, id: &str, pinned: bool) -> AppResult<()> {
    let (ev, roster) = visible(app, actor, id).await?;
    if !roster.is_group() {
        return Err(ErrorKind::NotInGroupKind.into());
    }
    if !ev.is_message() || ev.recalled_at.is_some() {
        return Err(ErrorKind::MessageNotFound.into());
    }
    if roster.status != "active" {
        return Err(ErrorKind::ConversationClosed.into());
    }
    let now = app.now();
    let by = sender_of(actor);
    let mut tx = app.db.begin().await?;
    let n = tx
        .exec(
            sql(if pinned {
                "UPDATE chat_events SET pinned_at = $1 WHERE conversation_id = $2 AND seq = $3 AND pinned_at IS NULL"
            } else {
                "UPDATE chat_events SET pinned_at = NULL WHERE conversation_id = $2 AND seq = $3 AND pinned_at IS NOT NULL AND $1 > 0"
            })
            .bind(now)
            .bind(ev.conversation_id)
            .bind(ev.seq),
        )
        .await?;
    if n == 0 {
        return Ok(());
    }
    let rows = stream::append(
        &mut tx,
        actor.corp,
        ConvId(ev.conversation_id),
        vec![NewEvent::system(
            if pinned { "pinned" } else { "unpinned" },
            json!({ "by": { "userid": actor.audit_identity().1, "name": actor.audit_identity().2 }, "target_id": ev.id.to_string(), "target_seq": ev.seq, "excerpt": ev.excerpt(40) }),
            by,
        )],
        now,
        false,
    )
    .await?;
    fanout::events_after_commit(&mut tx, app, rows, false);
    tx.commit().await?;
    Ok(())
}

pub async fn pins(app: &AppState, actor: &Actor, conv: ConvId) -> AppResult<Vec<EventRow>> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let m = conversation::membership(&app.db, conv, me)
        .await?
        .ok_or(ErrorKind::NotConversationMember)?;
    Ok(app
        .db
        .all(
            sql(format!(
                "SELECT {} FROM chat_events WHERE conversation_id = $1 AND corp_id = $2 AND pinned_at IS NOT NULL AND recalled_at IS NULL AND seq > $3 ORDER BY pinned_at DESC LIMIT 50",
                stream::EVENT_COLS
            ))
            .bind(conv)
            .bind(actor.corp)
            .bind(m.joined_seq),
        )
        .await?)
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardInput {
    pub message_ids: Vec<String>,
    pub to: Vec<String>,
    #[serde(default = "each")]
    pub mode: String,
}

fn each() -> String {
    "each".into()
}

/// Forwards messages the caller can see into conversations they belong to: one by one, or merged
/// into one chat-record card. Groups that forbid it keep their messages inside.
pub async fn forward(app: &AppState, actor: &Actor, input: ForwardInput) -> AppResult<usize> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    if input.message_ids.is_empty() || input.message_ids.len() > 100 {
        return Err(AppError::field("message_ids", FieldReason::Count));
    }
    if input.to.is_empty() || input.to.len() > 20 {
        return Err(AppError::field("to", FieldReason::Count));
    }
    if !matches!(input.mode.as_str(), "each" | "merged") {
        return Err(AppError::field("mode", FieldReason::Invalid));
    }
    let mut sources = Vec::new();
    for id in &input.message_ids {
        let (ev, roster) = visible(app, actor, id).await?;
        if !ev.is_message() || ev.recalled_at.is_some() {
            return Err(AppError::new(ErrorKind::MessageNotFound).on_field("message_ids"));
        }
        sources.push((ev, roster));
    }
    sources.sort_by_key(|(e, _)| (e.created_at, e.seq));
    let mut targets = Vec::new();
    for t in &input.to {
        let conv = ConvId(
            t.parse()
                .map_err(|_| AppError::field("to", FieldReason::Format))?,
        );
        let roster = app.chat().roster.get_in(&app.db, actor.corp, conv).await?;
        let role = roster.role(me.0).ok_or(ErrorKind::NotConversationMember)?;
        if roster.status != "active" {
            return Err(ErrorKind::ConversationClosed.into());
        }
        if roster.mute_all && !role.is_admin() {
            return Err(ErrorKind::MutedAll.into());
        }
        for (ev, src) in &sources {
            if ev.conversation_id != conv.0 && src.is_group() {
                let c = conversation::find(&app.db, actor.corp, ConvId(ev.conversation_id)).await?;
                if c.no_forward_out {
                    return Err(ErrorKind::ForwardForbidden.into());
                }
            }
        }
        targets.push(conv);
    }
    let sender = sender_of(actor);
    let mut events = Vec::new();
    if input.mode == "each" {
        for (ev, _) in &sources {
            let mut e = message(
                sender.clone(),
                &ev.msg_type,
                serde_json::from_str(&ev.content).unwrap_or(Value::Null),
            );
            e.html = ev.html.clone();
            e.plain = ev.plain.clone();
            e.has_link = ev.has_link;
            events.push(e);
        }
    } else {
        let names: Vec<String> = {
            let mut n: Vec<String> = sources.iter().map(|(e, _)| e.sender_name.clone()).collect();
            n.dedup();
            n.truncate(2);
            n
        };
        let title = format!("{}的聊天记录", names.join("和"));
        let items: Vec<Value> = sources
            .iter()
            .map(|(e, _)| json!({ "sender_name": e.sender_name, "at": e.created_at, "type": e.msg_type, "excerpt": e.excerpt(200) }))
            .collect();
        let mut e = message(
            sender.clone(),
            "chat_record",
            json!({ "title": title, "items": items }),
        );
        e.plain = format!("[聊天记录] {title}");
        events.push(e);
    }
    let mut sent = 0;
    for conv in targets {
        for e in &events {
            post(app, actor.corp, conv, e.clone()).await?;
            sent += 1;
        }
    }
    Ok(sent)
}

/// Favourites keep a copy of the message as it was.
pub async fn add_favourite(app: &AppState, actor: &Actor, id: &str) -> AppResult<i64> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let (ev, _) = visible(app, actor, id).await?;
    if !ev.is_message() || ev.recalled_at.is_some() {
        return Err(ErrorKind::MessageNotFound.into());
    }
    let now = app.now();
    let fid = new_id(now);
    let snapshot = serde_json::to_string(&ev.view()).map_err(AppError::internal)?;
    app.db
        .exec(
            sql("INSERT INTO chat_favourites (id, corp_id, member_id, event_id, snapshot, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (member_id, event_id) DO NOTHING")
                .bind(fid)
                .bind(actor.corp)
                .bind(me)
                .bind(ev.id)
                .bind(snapshot)
                .bind(now),
        )
        .await?;
    Ok(fid)
}

pub async fn favourites(app: &AppState, actor: &Actor) -> AppResult<Value> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let rows: Vec<(i64, String, i64)> = app
        .db
        .all(
            sql("SELECT id, snapshot, created_at FROM chat_favourites WHERE member_id = $1 AND corp_id = $2 ORDER BY created_at DESC LIMIT 500")
                .bind(me)
                .bind(actor.corp),
        )
        .await?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|(id, s, at)| json!({ "id": id.to_string(), "event": serde_json::from_str::<Value>(&s).unwrap_or(Value::Null), "at": at }))
        .collect();
    Ok(json!({ "items": items }))
}

pub async fn remove_favourite(app: &AppState, actor: &Actor, id: &str) -> AppResult<()> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let id: i64 = id.parse().map_err(|_| ErrorKind::NotFound)?;
    let n = app
        .db
        .exec(
            sql("DELETE FROM chat_favourites WHERE id = $1 AND member_id = $2")
                .bind(id)
                .bind(me),
        )
        .await?;
    if n == 0 {
        return Err(ErrorKind::NotFound.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn mention_tokens_are_found_and_bounded() {
        assert_eq!(
            super::mention_tokens("hi @{zhangsan} and @{li si} @{all} @{"),
            vec!["zhangsan".to_owned(), "all".to_owned()]
        );
        assert_eq!(
            super::robot_mentions("<@wang> x <@all>"),
            vec!["wang", "all"]
        );
    }
}
