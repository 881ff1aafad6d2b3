//! Urgent messages (加急). The sender of a message marks it urgent for chosen recipients (by
//! default everyone who has not read it), when sending or later. Each of them is notified at once
//! and again on a schedule until they read it — whatever their working hours, do-not-disturb or mute
//! say — twelve times at most. Every request goes to the audit log, every notification to
//! `chat_urgent_log`, and the sender can list who was notified when and who has read it. A recipient
//! already being notified about a message is not notified twice over.
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::attention::notify_frame;
use super::conversation::{self, sender_of};
use super::fanout;
use super::stream::{self, EventRow, NewEvent};
use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, Scope};
use qixie_kernel::db::sql;
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::ids::{ConvId, CorpId, new_id};
use qixie_kernel::jobs::{self, JobRegistry};
use qixie_org::audience::{self, Selection};

pub const URGENT_JOB: &str = "chat.urgent";
const MINUTE: i64 = 60_000;
/// When each notification goes out, in minutes after the request: at once, after 5, 15, 30 and 60
/// minutes, then every hour; twelve in all.
pub const SCHEDULE_MINUTES: [i64; 12] = [0, 5, 15, 30, 60, 120, 180, 240, 300, 360, 420, 480];
/// Recipients named in one request at most.
const MAX_RECIPIENTS: usize = 2_000;

/// When the next notification of a request made at `requested_at` is due, counted from `now`: the
/// first step of the schedule after it (steps missed while no node ran are skipped, not sent in a
/// burst); `None` after the last.
fn next_due(requested_at: i64, now: i64) -> Option<i64> {
    SCHEDULE_MINUTES
        .iter()
        .map(|m| requested_at + m * MINUTE)
        .find(|t| *t > now)
}

#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UrgentInput {
    /// userids; absent: everyone who has not read it.
    pub userids: Option<Vec<String>>,
}

/// The message `id` if the caller sent it and can still see it.
async fn own_message(app: &AppState, actor: &Actor, id: &str) -> AppResult<EventRow> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let id: i64 = id.parse().map_err(|_| ErrorKind::MessageNotFound)?;
    let ev = stream::by_id(&app.db, actor.corp, id).await?;
    let m = conversation::membership(&app.db, ConvId(ev.conversation_id), me)
        .await?
        .ok_or(ErrorKind::MessageNotFound)?;
    if ev.seq <= m.joined_seq || !ev.is_message() || ev.recalled_at.is_some() {
        return Err(ErrorKind::MessageNotFound.into());
    }
    if !(ev.sender_kind == "member" && ev.sender_id == Some(me.0)) {
        return Err(ErrorKind::Forbidden.into());
    }
    Ok(ev)
}

/// Who a request notified (userids), and who was skipped because they are already being notified.
#[derive(Debug, Serialize, ToSchema)]
pub struct UrgentStarted {
    pub notified: Vec<String>,
    pub skipped: Vec<String>,
}

/// `POST /chat/messages/{id}/urgent`.
pub async fn request(
    app: &AppState,
    actor: &Actor,
    id: &str,
    input: UrgentInput,
) -> AppResult<UrgentStarted> {
    let ev = own_message(app, actor, id).await?;
    start(app, actor, &ev, input.userids, true).await
}

/// A message sent with `urgent: true`: everyone else in the conversation.
pub async fn on_send(app: &AppState, actor: &Actor, row: &EventRow) -> AppResult<()> {
    match start(app, actor, row, None, false).await {
        Err(e) if matches!(e.kind, ErrorKind::UrgentNobody | ErrorKind::UrgentPending) => Ok(()),
        other => other.map(|_| ()),
    }
}

async fn start(
    app: &AppState,
    actor: &Actor,
    ev: &EventRow,
    userids: Option<Vec<String>>,
    announce: bool,
) -> AppResult<UrgentStarted> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let corp = actor.corp;
    let conv = ConvId(ev.conversation_id);
    let now = app.now();
    // Who was there when it was sent and has not read it.
    let rows: Vec<(i64, i64)> = app
        .db
        .all(
            sql("SELECT member_id, read_seq FROM chat_members WHERE conversation_id = $1 AND member_id <> $2 AND joined_seq < $3")
                .bind(conv)
                .bind(me)
                .bind(ev.seq),
        )
        .await?;
    let mut chosen: Vec<i64> = rows
        .iter()
        .filter(|(_, read)| *read < ev.seq)
        .map(|(m, _)| *m)
        .collect();
    if let Some(list) = userids {
        if list.is_empty() || list.len() > MAX_RECIPIENTS {
            return Err(AppError::field("userids", FieldReason::Count));
        }
        let named = audience::resolve(
            &app.db,
            corp,
            &Selection {
                userids: list,
                ..Selection::default()
            },
            &Scope::All,
        )
        .await?;
        let named: HashSet<i64> = named.members.iter().map(|(id, _, _)| *id).collect();
        chosen.retain(|m| named.contains(m));
    }
    if chosen.is_empty() {
        return Err(ErrorKind::UrgentNobody.into());
    }
    let active: Vec<(i64,)> = app
        .db
        .all(
            sql("SELECT member_id FROM chat_urgent WHERE event_id = $1 AND next_at IS NOT NULL")
                .bind(ev.id),
        )
        .await?;
    let active: HashSet<i64> = active.into_iter().map(|(m,)| m).collect();
    let (skipped, targets): (Vec<i64>, Vec<i64>) =
        chosen.into_iter().partition(|m| active.contains(m));
    if targets.is_empty() {
        return Err(ErrorKind::UrgentPending.into());
    }
    let mut people: Vec<i64> = targets.iter().chain(&skipped).copied().collect();
    people.sort_unstable();
    let cards = qixie_org::member::cards(&app.db, corp, &people).await?;
    let userid_of = |m: &i64| cards.get(m).map(|c| c.userid.clone()).unwrap_or_default();
    let next_at = next_due(now, now);
    let mut tx = app.db.begin().await?;
    for chunk in targets.chunks(100) {
        let mut q = sql(
            "INSERT INTO chat_urgent (event_id, member_id, corp_id, conversation_id, seq, sender_id, requested_at, sent, last_sent_at, next_at, read_at) VALUES ",
        );
        for (i, m) in chunk.iter().enumerate() {
            if i > 0 {
                q = q.push(", ");
            }
            q = q
                .push_bind("({}", ev.id)
                .push_bind(", {}", *m)
                .push_bind(", {}", corp)
                .push_bind(", {}", conv)
                .push_bind(", {}", ev.seq)
                .push_bind(", {}", me)
                .push_bind(", {}, 1", now)
                .push_bind(", {}", now)
                .push_bind(", {}, NULL)", next_at);
        }
        tx.exec(q.push(
            " ON CONFLICT (event_id, member_id) DO UPDATE SET requested_at = excluded.requested_at, sent = 1, \
             last_sent_at = excluded.last_sent_at, next_at = excluded.next_at, read_at = NULL",
        ))
        .await?;
    }
    log(
        &mut tx,
        corp,
        ev.id,
        &targets.iter().map(|m| (*m, 1)).collect::<Vec<_>>(),
        now,
    )
    .await?;
    let mut lines = Vec::new();
    if announce {
        tx.exec(
            sql("UPDATE chat_events SET urgent = TRUE WHERE conversation_id = $1 AND seq = $2")
                .bind(conv)
                .bind(ev.seq),
        )
        .await?;
        let (_, by_userid, by_name) = actor.audit_identity();
        lines = stream::append(
            &mut tx,
            corp,
            conv,
            vec![NewEvent::system(
                "urgent",
                json!({ "by": { "userid": by_userid, "name": by_name }, "target_id": ev.id.to_string(), "target_seq": ev.seq, "excerpt": ev.excerpt(40), "count": targets.len() }),
                sender_of(actor),
            )],
            now,
            false,
        )
        .await?;
    }
    qixie_kernel::audit::record(
        &mut tx,
        actor,
        now,
        qixie_kernel::audit::Entry {
            kind: "chat.urgent",
            target: format!("conversation:{}", conv.0),
            before: None,
            after: Some(json!({
                "message": ev.id.to_string(), "seq": ev.seq,
                "recipients": targets.iter().map(userid_of).collect::<Vec<_>>(),
            })),
        },
    )
    .await?;
    if let Some(at) = next_at {
        queue(&mut tx, now, corp, ev.id, at).await?;
    }
    fanout::events_after_commit(&mut tx, app, lines, false);
    fanout::to_members_after_commit(
        &mut tx,
        app,
        conv.0,
        targets.clone(),
        notify_frame(ev, "urgent", None, Some(1)),
    );
    tx.commit().await?;
    Ok(UrgentStarted {
        notified: targets.iter().map(userid_of).collect(),
        skipped: skipped.iter().map(userid_of).collect(),
    })
}

async fn log(
    tx: &mut qixie_kernel::db::Tx,
    corp: CorpId,
    event: i64,
    sent: &[(i64, i64)],
    now: i64,
) -> AppResult<()> {
    for chunk in sent.chunks(100) {
        let mut q = sql(
            "INSERT INTO chat_urgent_log (id, corp_id, event_id, member_id, attempt, at) VALUES ",
        );
        for (i, (m, attempt)) in chunk.iter().enumerate() {
            if i > 0 {
                q = q.push(", ");
            }
            q = q
                .push_bind("({}", new_id(now))
                .push_bind(", {}", corp)
                .push_bind(", {}", event)
                .push_bind(", {}", *m)
                .push_bind(", {}", *attempt)
                .push_bind(", {})", now);
        }
        tx.exec(q).await?;
    }
    Ok(())
}

async fn queue(
    tx: &mut qixie_kernel::db::Tx,
    now: i64,
    corp: CorpId,
    event: i64,
    at: i64,
) -> AppResult<()> {
    jobs::enqueue(
        tx,
        now,
        Some(corp),
        URGENT_JOB,
        &json!({ "event": event }),
        at,
        Some(&format!("{URGENT_JOB}:{event}:{at}")),
    )
    .await?;
    Ok(())
}

pub fn register_jobs(r: &mut JobRegistry) {
    r.register(
        URGENT_JOB,
        Arc::new(|app: AppState, job| {
            Box::pin(async move {
                let event = job
                    .payload_i64("event")
                    .ok_or_else(|| anyhow::anyhow!("urgent job without an event"))?;
                renotify(&app, CorpId(job.corp_id.unwrap_or_default()), event)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))
            })
        }),
    );
}

/// The scheduled run: notifies again everyone due who has still not read the message; those who
/// read it, left, or had the last notification are done.
async fn renotify(app: &AppState, corp: CorpId, event: i64) -> AppResult<()> {
    let now = app.now();
    let due: Vec<(i64, i64, i64)> = app
        .db
        .all(
            sql("SELECT member_id, sent, requested_at FROM chat_urgent WHERE event_id = $1 AND corp_id = $2 AND next_at IS NOT NULL AND next_at <= $3")
                .bind(event)
                .bind(corp)
                .bind(now),
        )
        .await?;
    let ev = match stream::by_id(&app.db, corp, event).await {
        Ok(ev) => Some(ev),
        Err(e) if e.kind == ErrorKind::MessageNotFound => None,
        Err(e) => return Err(e),
    };
    let reads: HashMap<i64, i64> = match &ev {
        Some(ev) if !due.is_empty() => app
            .db
            .all::<(i64, i64)>(
                sql("SELECT member_id, read_seq FROM chat_members WHERE conversation_id = $1 AND member_id IN ")
                    .bind(ev.conversation_id)
                    .push_in(due.iter().map(|d| d.0)),
            )
            .await?
            .into_iter()
            .collect(),
        _ => HashMap::new(),
    };
    let mut done_read = Vec::new();
    let mut done_other = Vec::new();
    // (requested_at, sent) → members notified again now.
    let mut again: BTreeMap<(i64, i64), Vec<i64>> = BTreeMap::new();
    for (m, sent, requested_at) in &due {
        match (&ev, reads.get(m)) {
            (Some(ev), Some(read)) if ev.recalled_at.is_none() => {
                if *read >= ev.seq {
                    done_read.push(*m);
                } else {
                    again.entry((*requested_at, *sent)).or_default().push(*m);
                }
            }
            _ => done_other.push(*m),
        }
    }
    let mut tx = app.db.begin().await?;
    if !done_read.is_empty() {
        tx.exec(
            sql("UPDATE chat_urgent SET next_at = NULL, read_at = $1 WHERE event_id = $2 AND member_id IN ")
                .bind(now)
                .bind(event)
                .push_in(done_read.iter().copied()),
        )
        .await?;
    }
    if !done_other.is_empty() {
        tx.exec(
            sql("UPDATE chat_urgent SET next_at = NULL WHERE event_id = $1 AND member_id IN ")
                .bind(event)
                .push_in(done_other.iter().copied()),
        )
        .await?;
    }
    let mut sent_now: Vec<(i64, i64)> = Vec::new();
    for ((requested_at, sent), members) in &again {
        for chunk in members.chunks(500) {
            tx.exec(
                sql("UPDATE chat_urgent SET sent = $1, last_sent_at = $2, next_at = $3 WHERE event_id = $4 AND member_id IN ")
                    .bind(sent + 1)
                    .bind(now)
                    .bind(next_due(*requested_at, now))
                    .bind(event)
                    .push_in(chunk.iter().copied()),
            )
            .await?;
        }
        sent_now.extend(members.iter().map(|m| (*m, sent + 1)));
    }
    log(&mut tx, corp, event, &sent_now, now).await?;
    let (next,): (Option<i64>,) = tx
        .one(
            sql("SELECT MIN(next_at) FROM chat_urgent WHERE event_id = $1 AND next_at IS NOT NULL")
                .bind(event),
        )
        .await?;
    if let Some(at) = next {
        queue(&mut tx, now, corp, event, at.max(now)).await?;
    }
    if let Some(ev) = &ev {
        let mut by_attempt: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for (m, attempt) in sent_now {
            by_attempt.entry(attempt).or_default().push(m);
        }
        for (attempt, members) in by_attempt {
            fanout::to_members_after_commit(
                &mut tx,
                app,
                ev.conversation_id,
                members,
                notify_frame(ev, "urgent", None, Some(attempt)),
            );
        }
    }
    tx.commit().await?;
    if next.is_some_and(|at| at <= now) {
        app.jobs.wake();
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct UrgentRow {
    member_id: i64,
    requested_at: i64,
    sent: i64,
    last_sent_at: Option<i64>,
    next_at: Option<i64>,
    read_at: Option<i64>,
}

/// A recipient of an urgent message; a member since deleted has neither userid nor name nor picture.
#[derive(Debug, Serialize, ToSchema)]
pub struct UrgentRecipient {
    pub userid: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
}

/// How one recipient was notified.
#[derive(Debug, Serialize, ToSchema)]
pub struct UrgentDelivery {
    pub member: UrgentRecipient,
    pub requested_at: i64,
    /// Notifications sent so far.
    pub sent: i64,
    pub last_sent_at: Option<i64>,
    /// The next notification; absent once read or after the last.
    pub next_at: Option<i64>,
    pub read: bool,
    pub read_at: Option<i64>,
}

/// One notification sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct UrgentLogEntry {
    pub userid: String,
    /// 1 for the first.
    pub attempt: i64,
    pub at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UrgentDeliveries {
    pub items: Vec<UrgentDelivery>,
    pub log: Vec<UrgentLogEntry>,
    /// When notifications go out, in minutes after the request.
    pub schedule_minutes: Vec<i64>,
}

/// `GET /chat/messages/{id}/urgent`: for the sender, who was notified, how often and when, and who
/// has read it.
pub async fn deliveries(app: &AppState, actor: &Actor, id: &str) -> AppResult<UrgentDeliveries> {
    let ev = own_message(app, actor, id).await?;
    let rows: Vec<UrgentRow> = app
        .db
        .all(
            sql("SELECT member_id, requested_at, sent, last_sent_at, next_at, read_at FROM chat_urgent WHERE event_id = $1 ORDER BY member_id")
                .bind(ev.id),
        )
        .await?;
    let log: Vec<(i64, i64, i64)> = app
        .db
        .all(
            sql("SELECT member_id, attempt, at FROM chat_urgent_log WHERE event_id = $1 ORDER BY at, member_id LIMIT 5000")
                .bind(ev.id),
        )
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.member_id).collect();
    let reads: HashMap<i64, i64> = if ids.is_empty() {
        HashMap::new()
    } else {
        app.db
            .all::<(i64, i64)>(
                sql("SELECT member_id, read_seq FROM chat_members WHERE conversation_id = $1 AND member_id IN ")
                    .bind(ev.conversation_id)
                    .push_in(ids.iter().copied()),
            )
            .await?
            .into_iter()
            .collect()
    };
    let cards = qixie_org::member::cards(&app.db, actor.corp, &ids).await?;
    let who = |m: &i64| match cards.get(m) {
        Some(c) => UrgentRecipient {
            userid: c.userid.clone(),
            name: c.name.clone(),
            avatar: Some(c.avatar.clone()),
        },
        None => UrgentRecipient {
            userid: String::new(),
            name: String::new(),
            avatar: None,
        },
    };
    let items = rows
        .iter()
        .map(|r| {
            let read = reads.get(&r.member_id).is_some_and(|s| *s >= ev.seq);
            UrgentDelivery {
                member: who(&r.member_id),
                requested_at: r.requested_at,
                sent: r.sent,
                last_sent_at: r.last_sent_at,
                next_at: if read { None } else { r.next_at },
                read,
                read_at: r.read_at,
            }
        })
        .collect();
    let log = log
        .iter()
        .map(|(m, attempt, at)| UrgentLogEntry {
            userid: who(m).userid,
            attempt: *attempt,
            at: *at,
        })
        .collect();
    Ok(UrgentDeliveries {
        items,
        log,
        schedule_minutes: SCHEDULE_MINUTES.to_vec(),
    })
}
