//! Automatic replies (自动回复): a member who is away, or outside working hours, answers a direct
//! message or an @mention of them with their prepared text, at most once per conversation and local
//! calendar day. The database enforces the once: a reply claims its (member, conversation, day) row
//! before it is sent. Replies never answer robots, apps or other automatic replies, so two members
//! with automatic replies cannot answer each other in a loop.
use serde_json::json;

use super::attention::Settings;
use super::markdown::{self, Flavour};
use super::message;
use super::roster::Roster;
use super::stream::Sender;
use qixie_kernel::AppState;
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::MemberId;

/// Sends `member`'s automatic reply to a message sent `at` into the conversation, unless one went
/// there that day already. Returns whether a reply was sent.
pub async fn reply(
    app: &AppState,
    roster: &Roster,
    member: i64,
    s: &Settings,
    at: i64,
) -> AppResult<bool> {
    let now = app.now();
    if roster.status != "active" || roster.kind == "app" {
        return Ok(false);
    }
    if roster.mute_all && !roster.role(member).is_some_and(|r| r.is_admin()) {
        return Ok(false);
    }
    let card = qixie_org::member::find_row_by_id(&app.db, roster.corp, MemberId(member)).await?;
    let claimed = app
        .db
        .exec(
            qixie_kernel::db::sql(
                "INSERT INTO chat_auto_replies (member_id, conversation_id, day, corp_id, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (member_id, conversation_id, day) DO NOTHING",
            )
            .bind(member)
            .bind(roster.id)
            .bind(s.local_date(at))
            .bind(roster.corp)
            .bind(now),
        )
        .await?;
    if claimed == 0 {
        return Ok(false);
    }
    let text = s.auto_reply_text.clone();
    let mut ev = message::message(
        Sender::Member {
            id: member,
            userid: card.userid,
            name: card.name,
        },
        "text",
        json!({ "text": text, "auto_reply": true }),
    );
    let no_names = |_: &str| None;
    let r = markdown::rendered(&text, Flavour::Text, &no_names, 2000);
    (ev.html, ev.plain, ev.has_link) = (r.html, r.plain, r.has_link);
    message::post(app, roster.corp, roster.id, ev).await?;
    Ok(true)
}
