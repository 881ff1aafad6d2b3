//! After a commit: who hears about it. A delivery names its audience (a conversation's members or
//! some members) and carries the frame; this node delivers it to its own sockets and, with NATS, every
//! other node does the same for theirs. The database stays the source of truth: a node that misses a
//! delivery still serves the event to any client that resumes.
//!
//! A change announces from its transaction's outbox (the `*_after_commit` functions): what it
//! queues goes out once the transaction commits, in the order queued, before `commit` returns; a
//! rolled-back change announces nothing.
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::stream::{EventRow, event_frame};
use crate::ChatState;
use crate::realtime::hub::Frame;
use qixie_kernel::AppState;
use qixie_kernel::db::Tx;
use qixie_kernel::ids::ConvId;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Audience {
    Conversation,
    Members { ids: Vec<i64> },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    /// The node that published it (it has already delivered locally).
    pub node: String,
    pub audience: Audience,
    pub conv: i64,
    /// The event's seq, or 0 for frames outside the stream (reads, receipts, conversation changes).
    pub seq: i64,
    pub text: String,
    /// The conversation's membership or settings changed: forget the cached roster first.
    pub forget: bool,
    /// The socket (on the origin node) that caused it and already knows.
    pub except: Option<u64>,
    /// The audience's attention settings changed: forget the cached ones first.
    #[serde(default)]
    pub attention: bool,
}

/// Delivers to this node's sockets and tells the other nodes.
pub async fn publish(app: &AppState, d: Delivery) {
    deliver_local(app, &d).await;
    if let Some(bus) = app.chat().bus.get() {
        bus.publish(&d);
    }
}

/// Delivers to this node's sockets.
pub async fn deliver_local(app: &AppState, d: &Delivery) {
    let conv = ConvId(d.conv);
    if d.forget {
        app.chat().roster.forget(conv);
    }
    if d.attention
        && let Audience::Members { ids } = &d.audience
    {
        app.chat().attention.forget(ids);
    }
    let frame = Arc::new(Frame {
        conv: d.conv,
        seq: d.seq,
        text: Arc::from(d.text.as_str()),
    });
    let except = if d.node == *app.node_id {
        d.except
    } else {
        None
    };
    match &d.audience {
        Audience::Members { ids } => {
            app.chat().hub.send(ids, frame, except);
        }
        Audience::Conversation => match app.chat().roster.get(&app.db, conv).await {
            Ok(r) => {
                app.chat().hub.send(&r.members, frame, except);
            }
            Err(e) => {
                tracing::warn!(conv = d.conv, error = %e, "cannot fan out: roster unavailable")
            }
        },
    }
}

/// Announces committed events of one conversation, in seq order.
pub async fn events(app: &AppState, rows: &[EventRow], forget: bool) {
    for (i, r) in rows.iter().enumerate() {
        publish(
            app,
            Delivery {
                node: app.node_id.to_string(),
                audience: Audience::Conversation,
                conv: r.conversation_id,
                seq: r.seq,
                text: event_frame(&r.view()),
                forget: forget && i == 0,
                except: None,
                attention: false,
            },
        )
        .await;
    }
}

/// [`events`] once `tx` commits.
pub fn events_after_commit(tx: &mut Tx, app: &AppState, rows: Vec<EventRow>, forget: bool) {
    if rows.is_empty() {
        return;
    }
    let app = app.clone();
    tx.after_commit_await(async move { events(&app, &rows, forget).await });
}

/// Tells members that their view of a conversation changed (`added`, `updated`, `removed`).
pub async fn conversation_changed(app: &AppState, conv: ConvId, members: Vec<i64>, change: &str) {
    if members.is_empty() {
        return;
    }
    publish(
        app,
        Delivery {
            node: app.node_id.to_string(),
            audience: Audience::Members { ids: members },
            conv: conv.0,
            seq: 0,
            text: json!({ "t": "conv", "conv": conv.0.to_string(), "change": change }).to_string(),
            forget: true,
            except: None,
            attention: false,
        },
    )
    .await;
}

/// [`conversation_changed`] once `tx` commits.
pub fn conversation_changed_after_commit(
    tx: &mut Tx,
    app: &AppState,
    conv: ConvId,
    members: Vec<i64>,
    change: &'static str,
) {
    if members.is_empty() {
        return;
    }
    let app = app.clone();
    tx.after_commit_await(async move { conversation_changed(&app, conv, members, change).await });
}

/// Sends a frame outside any stream (notifications, summaries) to some members' sockets.
pub async fn to_members(app: &AppState, conv: i64, members: Vec<i64>, text: String) {
    if members.is_empty() {
        return;
    }
    publish(
        app,
        Delivery {
            node: app.node_id.to_string(),
            audience: Audience::Members { ids: members },
            conv,
            seq: 0,
            text,
            forget: false,
            except: None,
            attention: false,
        },
    )
    .await;
}

/// [`to_members`] once `tx` commits.
pub fn to_members_after_commit(
    tx: &mut Tx,
    app: &AppState,
    conv: i64,
    members: Vec<i64>,
    text: String,
) {
    if members.is_empty() {
        return;
    }
    let app = app.clone();
    tx.after_commit_await(async move { to_members(&app, conv, members, text).await });
}

/// Sends one member's own read position to their other sockets.
pub async fn own_read(app: &AppState, conv: ConvId, member: i64, seq: i64, except: Option<u64>) {
    publish(
        app,
        Delivery {
            node: app.node_id.to_string(),
            audience: Audience::Members { ids: vec![member] },
            conv: conv.0,
            seq: 0,
            text: json!({ "t": "read", "conv": conv.0.to_string(), "seq": seq }).to_string(),
            forget: false,
            except,
            attention: false,
        },
    )
    .await;
}

/// Tells a conversation's members that `userid` has read up to `seq`.
pub async fn receipt(app: &AppState, conv: ConvId, userid: &str, seq: i64) {
    publish(
        app,
        Delivery {
            node: app.node_id.to_string(),
            audience: Audience::Conversation,
            conv: conv.0,
            seq: 0,
            text:
                json!({ "t": "receipt", "conv": conv.0.to_string(), "userid": userid, "seq": seq })
                    .to_string(),
            forget: false,
            except: None,
            attention: false,
        },
    )
    .await;
}
