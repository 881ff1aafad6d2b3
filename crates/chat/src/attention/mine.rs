//! A member's own attention settings, which only they change, and their quiet hours as an
//! administrator may see them.
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::digest::schedule;
use super::settings::{
    AttentionSettings, AutoReplyMode, QuietHours, Settings, hhmm, load_one, parse_hhmm,
};
use crate::ChatState;
use crate::fanout::{self, Audience, Delivery};
use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, ActorKind, Grant, perm};
use qixie_kernel::db::sql;
use qixie_kernel::error::{AppResult, ErrorKind, FieldReason, Validator};
use qixie_kernel::ids::MemberId;

pub const MAX_AUTO_REPLY_CHARS: usize = 500;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingHoursInput {
    pub days: Vec<i64>,
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DndInput {
    pub on: bool,
    pub until: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoReplyInput {
    pub mode: AutoReplyMode,
    pub text: Option<String>,
}

/// The parts of the settings to change; those left out stay.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    pub working_hours: Option<WorkingHoursInput>,
    pub dnd: Option<DndInput>,
    pub auto_reply: Option<AutoReplyInput>,
}

fn member_of(actor: &Actor) -> AppResult<(MemberId, String)> {
    match &actor.kind {
        ActorKind::Member { id, userid, .. } => Ok((*id, userid.clone())),
        _ => Err(ErrorKind::Forbidden.into()),
    }
}

/// The caller's own settings.
pub async fn mine(app: &AppState, actor: &Actor) -> AppResult<AttentionSettings> {
    let (me, _) = member_of(actor)?;
    Ok(load_one(&app.db, me.0).await?.view(app.now()))
}

/// Changes the caller's own settings (only the parts given). Nobody else can.
pub async fn update(
    app: &AppState,
    actor: &Actor,
    input: SettingsInput,
) -> AppResult<AttentionSettings> {
    let (me, userid) = member_of(actor)?;
    let now = app.now();
    let before = load_one(&app.db, me.0).await?;
    let mut s = before.clone();
    let mut v = Validator::default();
    if let Some(w) = &input.working_hours {
        let mut bits = 0;
        for d in &w.days {
            if (1..=7).contains(d) {
                bits |= 1 << (d - 1);
            } else {
                v.push("working_hours.days", FieldReason::Invalid);
            }
        }
        v.check(bits != 0, "working_hours.days", FieldReason::Required);
        let start = parse_hhmm(&w.start);
        let end = parse_hhmm(&w.end);
        v.check(
            start.is_some_and(|s| s < 24 * 60),
            "working_hours.start",
            FieldReason::Format,
        );
        v.check(end.is_some(), "working_hours.end", FieldReason::Format);
        if let (Some(a), Some(b)) = (start, end) {
            v.check(a < b, "working_hours.end", FieldReason::BeforeStart);
            s.work_start = a;
            s.work_end = b;
        }
        s.work_days = bits;
    }
    if let Some(d) = &input.dnd {
        if d.on {
            v.check(
                d.until.is_none_or(|u| u > now),
                "dnd.until",
                FieldReason::InThePast,
            );
            s.dnd = true;
            s.dnd_until = d.until;
        } else {
            s.dnd = false;
            s.dnd_until = None;
        }
    }
    if let Some(a) = &input.auto_reply {
        let text = a.text.as_deref().map(str::trim).unwrap_or_default();
        v.check(
            text.chars().count() <= MAX_AUTO_REPLY_CHARS,
            "auto_reply.text",
            FieldReason::TooLong,
        );
        s.auto_reply = a.mode;
        if a.text.is_some() {
            s.auto_reply_text = text.to_owned();
        }
        v.check(
            a.mode == AutoReplyMode::Off || !s.auto_reply_text.is_empty(),
            "auto_reply.text",
            FieldReason::Required,
        );
    }
    v.finish()?;
    s.version = now.max(before.version + 1);
    let mut tx = app.db.begin().await?;
    tx.exec(
        sql("INSERT INTO chat_attention (member_id, corp_id, work_days, work_start, work_end, dnd, dnd_until, auto_reply, auto_reply_text, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (member_id) DO UPDATE SET work_days = excluded.work_days, work_start = excluded.work_start, work_end = excluded.work_end, \
             dnd = excluded.dnd, dnd_until = excluded.dnd_until, auto_reply = excluded.auto_reply, auto_reply_text = excluded.auto_reply_text, updated_at = excluded.updated_at")
            .bind(me)
            .bind(actor.corp)
            .bind(s.work_days)
            .bind(s.work_start)
            .bind(s.work_end)
            .bind(s.dnd)
            .bind(s.dnd_until)
            .bind(s.auto_reply.as_str())
            .bind(s.auto_reply_text.clone())
            .bind(s.version),
    )
    .await?;
    qixie_kernel::audit::record(
        &mut tx,
        actor,
        now,
        qixie_kernel::audit::Entry {
            kind: "chat.attention",
            target: format!("member:{userid}"),
            before: Some(audit_view(&before)),
            after: Some(audit_view(&s)),
        },
    )
    .await?;
    let (held,): (i64,) = tx
        .one(sql("SELECT COUNT(*) FROM chat_attention_held WHERE member_id = $1").bind(me))
        .await?;
    tx.commit().await?;
    // What was held waits for the new start of work (or goes out now).
    if held > 0
        && let Some(at) = s.next_start(now)
    {
        schedule(app, actor.corp, me.0, at).await?;
    }
    app.chat().attention.forget(&[me.0]);
    fanout::publish(
        app,
        Delivery {
            node: app.node_id.to_string(),
            audience: Audience::Members { ids: vec![me.0] },
            conv: 0,
            seq: 0,
            text: json!({ "t": "attention" }).to_string(),
            forget: false,
            except: None,
            attention: true,
        },
    )
    .await;
    Ok(s.view(now))
}

/// What the audit log keeps of a change: the quiet hours and whether an automatic reply is on (not
/// its words).
fn audit_view(s: &Settings) -> Value {
    json!({
        "working_hours": { "days": s.days(), "start": hhmm(s.work_start), "end": hhmm(s.work_end) },
        "dnd": { "on": s.dnd, "until": s.dnd_until },
        "auto_reply": s.auto_reply.as_str(),
    })
}

/// A managed member's quiet hours, as an administrator sees them.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberQuietHours {
    pub userid: String,
    pub name: String,
    #[serde(flatten)]
    pub quiet_hours: QuietHours,
}

/// A managed member's quiet hours, for an administrator (read only: no route changes them).
pub async fn quiet_hours_of(
    app: &AppState,
    grant: &Grant<perm::ContactsManage>,
    userid: &str,
) -> AppResult<MemberQuietHours> {
    let m = qixie_org::member::get_in_scope(&app.db, grant, userid).await?;
    Ok(MemberQuietHours {
        quiet_hours: load_one(&app.db, m.id.0).await?.quiet_hours_view(app.now()),
        userid: m.userid,
        name: m.name,
    })
}
