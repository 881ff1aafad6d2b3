//! Whom a new message alerts: after each batch of messages commits, every recipient is alerted,
//! held for their summary, or left alone, and automatic replies are sent.
use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Value, json};

use super::digest::DIGEST_JOB;
use super::frames::notify_frame;
use super::runtime::{MAX_CACHED, lock};
use super::settings::Settings;
use crate::ChatState;
use crate::fanout;
use crate::stream::EventRow;
use qixie_kernel::AppState;
use qixie_kernel::authz::Scope;
use qixie_kernel::db::sql;
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::{ConvId, CorpId};
use qixie_kernel::jobs;
use qixie_org::audience::{self, Selection};

/// Whether a message is an automatic reply (they never trigger one).
pub fn is_auto_reply(r: &EventRow) -> bool {
    r.msg_type == "text"
        && r.content.contains("auto_reply")
        && serde_json::from_str::<Value>(&r.content).is_ok_and(|c| c["auto_reply"] == json!(true))
}

struct Hold {
    member: i64,
    corp: i64,
    conv: i64,
    seq: i64,
    at: i64,
    key: (i64, i64),
    summary_at: Option<i64>,
}

/// After a commit: decides, per recipient, whether each message alerts, is held or is silent, and
/// which automatic replies it calls for. Runs beside the writer, never holding it up.
pub fn after_commit(app: &AppState, rows: Vec<EventRow>) {
    let rows: Vec<EventRow> = rows.into_iter().filter(EventRow::is_message).collect();
    if rows.is_empty() {
        return;
    }
    let app = app.clone();
    tokio::spawn(async move {
        if let Err(e) = on_messages(&app, &rows).await {
            tracing::warn!(error = %e, "could not decide who new messages alert");
        }
    });
}

async fn on_messages(app: &AppState, rows: &[EventRow]) -> AppResult<()> {
    let rt = &app.chat().attention;
    let mut holds = Vec::new();
    let mut replies = Vec::new();
    for r in rows {
        // Decided for the moment the message was sent, however late this runs.
        let now = r.created_at;
        let conv = ConvId(r.conversation_id);
        let roster = match app.chat().roster.get(&app.db, conv).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(conv = conv.0, error = %e, "cannot decide alerts: roster unavailable");
                continue;
            }
        };
        let sender = if r.sender_kind == "member" {
            r.sender_id
        } else {
            None
        };
        let recipients: Vec<i64> = roster
            .members
            .iter()
            .copied()
            .filter(|m| Some(*m) != sender)
            .collect();
        if recipients.is_empty() {
            continue;
        }
        let named = mentioned_ids(app, roster.corp, r).await?;
        let settings = rt.settings(&app.db, &recipients).await?;
        // Urgent messages alert through urgent.rs; "not urgent" ones never alert.
        let alerts = !r.urgent && !r.not_urgent;
        let (mut plain, mut me, mut all) = (Vec::new(), Vec::new(), Vec::new());
        // Pairs already held for the same settings and period need nothing more (no await below
        // while the lock is held).
        {
            let known = lock(&rt.held);
            // Most members share the default settings: decide once per distinct settings.
            let mut memo: Option<(*const Settings, bool, Option<i64>)> = None;
            for (m, s) in recipients.iter().zip(&settings) {
                let named_me = named.contains(m);
                if sender.is_some()
                    && (roster.kind == "direct" || named_me)
                    && s.auto_reply_active(now)
                    && !is_auto_reply(r)
                {
                    replies.push((*m, s.clone()));
                }
                if !alerts {
                    continue;
                }
                let mentioned = named_me || r.mention_all;
                if !mentioned && roster.is_muted(*m) {
                    continue;
                }
                let (quiet, summary_at) = match memo {
                    Some((p, q, at)) if std::ptr::eq(p, Arc::as_ptr(s)) => (q, at),
                    _ => {
                        let q = s.quiet(now);
                        let at = if q { s.next_start(now) } else { None };
                        memo = Some((Arc::as_ptr(s), q, at));
                        (q, at)
                    }
                };
                if quiet {
                    let key = (s.version, summary_at.unwrap_or(i64::MAX));
                    if known
                        .get(&(*m, r.conversation_id))
                        .is_some_and(|(k, first)| *k == key && *first <= r.seq)
                    {
                        continue;
                    }
                    holds.push(Hold {
                        member: *m,
                        corp: roster.corp.0,
                        conv: r.conversation_id,
                        seq: r.seq,
                        at: r.created_at,
                        key,
                        summary_at,
                    });
                    continue;
                }
                match (named_me, r.mention_all) {
                    (true, _) => me.push(*m),
                    (false, true) => all.push(*m),
                    (false, false) => plain.push(*m),
                }
            }
        }
        let conv_id = r.conversation_id;
        for (ids, mention) in [(plain, None), (me, Some("me")), (all, Some("all"))] {
            if ids.is_empty() {
                continue;
            }
            let ids = rt.collapse(conv_id, ids, now, mention.is_some());
            if !ids.is_empty() {
                let frame = notify_frame(r, "message", mention, None);
                fanout::to_members(app, conv_id, ids, frame).await;
            }
        }
        for (member, s) in replies.drain(..) {
            let app = app.clone();
            let roster = roster.clone();
            tokio::spawn(async move {
                if let Err(e) = crate::auto_reply::reply(&app, &roster, member, &s, now).await {
                    tracing::warn!(error = %e, member, "could not send an automatic reply");
                }
            });
        }
    }
    hold(app, holds, app.now()).await
}

/// Member ids named in a message's mentions (userids).
async fn mentioned_ids(app: &AppState, corp: CorpId, r: &EventRow) -> AppResult<HashSet<i64>> {
    if r.mentions.is_empty() {
        return Ok(HashSet::new());
    }
    let userids: Vec<String> = r.mentions.split(',').map(str::to_owned).collect();
    let found = audience::resolve(
        &app.db,
        corp,
        &Selection {
            userids,
            ..Selection::default()
        },
        &Scope::All,
    )
    .await?;
    Ok(found.members.iter().map(|(id, _, _)| *id).collect())
}

/// Stores held alerts (once per member and conversation until the summary) and queues each
/// member's summary for when their next working period starts.
async fn hold(app: &AppState, holds: Vec<Hold>, now: i64) -> AppResult<()> {
    if holds.is_empty() {
        return Ok(());
    }
    let rt = &app.chat().attention;
    let fresh: Vec<Hold> = {
        let known = lock(&rt.held);
        let mut seen = HashSet::new();
        holds
            .into_iter()
            // Batches commit in order but their holds may arrive out of order: one with an earlier
            // seq than the stored first seq still goes through, to lower it.
            .filter(|h| {
                known
                    .get(&(h.member, h.conv))
                    .is_none_or(|(key, first)| *key != h.key || h.seq < *first)
            })
            .filter(|h| seen.insert((h.member, h.conv)))
            .collect()
    };
    if fresh.is_empty() {
        return Ok(());
    }
    let summaries: Vec<(i64, i64, i64, (i64, i64))> = {
        let known = lock(&rt.scheduled);
        let mut seen = HashSet::new();
        fresh
            .iter()
            .filter_map(|h| h.summary_at.map(|at| (h.member, h.corp, at, h.key)))
            .filter(|(m, _, _, key)| known.get(m) != Some(key))
            .filter(|(m, _, _, _)| seen.insert(*m))
            .collect()
    };
    let mut tx = app.db.begin().await?;
    for chunk in fresh.chunks(100) {
        let mut q = sql(
            "INSERT INTO chat_attention_held (member_id, conversation_id, corp_id, first_seq, first_at) VALUES ",
        );
        for (i, h) in chunk.iter().enumerate() {
            if i > 0 {
                q = q.push(", ");
            }
            q = q
                .push_bind("({}", h.member)
                .push_bind(", {}", h.conv)
                .push_bind(", {}", h.corp)
                .push_bind(", {}", h.seq)
                .push_bind(", {})", h.at);
        }
        tx.exec(q.push(
            " ON CONFLICT (member_id, conversation_id) DO UPDATE SET first_seq = excluded.first_seq, first_at = excluded.first_at \
             WHERE excluded.first_seq < chat_attention_held.first_seq",
        ))
        .await?;
    }
    let queued: Vec<jobs::NewJob> = summaries
        .iter()
        .map(|(member, corp, at, _)| jobs::NewJob {
            corp: Some(CorpId(*corp)),
            kind: DIGEST_JOB,
            payload: json!({ "member": member }),
            run_at: *at,
            dedup_key: Some(format!("{DIGEST_JOB}:{member}:{at}")),
        })
        .collect();
    jobs::enqueue_many(&mut tx, now, &queued).await?;
    tx.commit().await?;
    {
        let mut known = lock(&rt.held);
        if known.len() > MAX_CACHED {
            known.clear();
        }
        for h in &fresh {
            let e = known.entry((h.member, h.conv)).or_insert((h.key, h.seq));
            *e = (h.key, if e.0 == h.key { e.1.min(h.seq) } else { h.seq });
        }
    }
    let mut known = lock(&rt.scheduled);
    if known.len() > MAX_CACHED {
        known.clear();
    }
    known.extend(summaries.iter().map(|(m, _, _, key)| (*m, *key)));
    Ok(())
}
