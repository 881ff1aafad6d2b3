//! One client's WebSocket (protocol: docs/api/realtime.md). The socket task owns what it has sent:
//! per conversation the last seq, so events go out in order and exactly once even when nodes announce
//! them out of order (a hole is filled from the database first).
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::ChatState;
use crate::realtime::hub::{self, Kill, Refused, Stop};
use crate::{conversation, message, stream};
use qixie_identity::session::AnySession;
use qixie_kernel::AppState;
use qixie_kernel::authz::Actor;
use qixie_kernel::error::{AppError, AppResult, ErrorKind};
use qixie_kernel::http::error::ErrorInfo;
use qixie_kernel::ids::{ConvId, MemberId};

pub const HEARTBEAT_MS: u64 = 25_000;
/// Events sent per conversation in answer to `resume`; the rest comes over REST.
const RESUME_LIMIT: i64 = 500;
/// How long a new socket waits for the client's first message (its `resume`) before it forwards
/// live events: sent before the client has said what it holds, an event would look like a gap and
/// the resume would start after it. Events wait in the socket's queue meanwhile; a client that sends
/// nothing gets them after this.
const RESUME_GRACE: Duration = Duration::from_secs(1);
/// Sends one socket may have in flight (they commit together in the group commit).
const IN_FLIGHT: usize = 64;
/// Close code after which the client should not reconnect: its session has ended (sign in again).
pub const CLOSE_SESSION_ENDED: u16 = 4401;
/// Close code when the session or member already has as many sockets as allowed.
pub const CLOSE_TOO_MANY: u16 = 4429;

pub async fn upgrade(
    State(app): State<AppState>,
    AnySession(session): AnySession,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> AppResult<Response> {
    // Browsers send Origin; it must be this server (or a configured origin). Other clients send none.
    qixie_kernel::http::extract::check_same_origin(&app.config, &headers)?;
    if session.must_change_password {
        return Err(ErrorKind::PasswordChangeRequired.into());
    }
    let member = session.actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let session_id = session.row.id;
    // A cheap refusal before the upgrade; `run` decides under the hub's lock.
    if app.chat().hub.is_full(
        member.0,
        session_id,
        super::hub::Limits::from_config(&app.config),
    ) {
        return Err(ErrorKind::TooManyConnections.into());
    }
    let actor = session.actor;
    Ok(ws
        // Small buffers: an idle client should cost kilobytes.
        .read_buffer_size(1024)
        .write_buffer_size(0)
        .max_message_size(256 * 1024)
        .on_upgrade(move |socket| run(app, actor, session_id, socket)))
}

#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Op {
    Resume {
        #[serde(default)]
        convs: HashMap<String, i64>,
    },
    Send {
        #[serde(rename = "ref")]
        reference: String,
        conv: String,
        msg: message::MessageInput,
    },
    Read {
        conv: String,
        seq: i64,
    },
    Ping,
}

struct Conn {
    app: AppState,
    actor: Arc<Actor>,
    member: MemberId,
    /// Per conversation, the last seq this socket has sent.
    sent: HashMap<i64, i64>,
    /// Acks and nacks come back through the socket's own queue (as frames outside the streams).
    replies: mpsc::Sender<Arc<hub::Frame>>,
    kill: Arc<Kill>,
    /// Sends queued for the writer, in the order received, waiting for their commit; the task that
    /// answers them is started on the first send (most connections only listen).
    sends: Option<mpsc::Sender<Pending>>,
}

/// A send on its way: its `ref` and either its place in the writer's queue or why it was refused.
type Pending = (String, AppResult<message::Queued>);

/// Sends the pending summary of held alerts, if there is one; `Err` when the socket is gone.
async fn send_pending_digest(
    app: &AppState,
    member: i64,
    socket: &mut WebSocket,
) -> Result<(), ()> {
    match crate::attention::pending_digest(&app.db, member).await {
        Ok(Some(d)) => socket
            .send(text(crate::attention::digest_frame(&d)))
            .await
            .map_err(|_| ()),
        _ => Ok(()),
    }
}

/// Everything an idle connection keeps lives in this task, so its state is kept small: the paths that
/// read the database or parse requests are boxed and exist only while they run.
async fn run(app: AppState, actor: Actor, session: i64, mut socket: WebSocket) {
    let Some(member) = actor.member_id() else {
        return;
    };
    let mut reg = match app.chat().hub.register(
        member.0,
        session,
        super::hub::Limits::from_config(&app.config),
    ) {
        Ok(reg) => reg,
        Err(why) => {
            let (code, reason) = match why {
                Refused::SessionEnded => (CLOSE_SESSION_ENDED, "session_ended"),
                Refused::TooMany => (CLOSE_TOO_MANY, "too_many_connections"),
            };
            let _ = socket.send(close(code, reason)).await;
            return;
        }
    };
    app.metrics.ws_connected();
    let hello =
        json!({ "t": "hello", "member": actor.audit_identity().1, "heartbeat_ms": HEARTBEAT_MS })
            .to_string();
    let mut conn = Conn {
        app,
        actor: Arc::new(actor),
        member,
        sent: HashMap::new(),
        replies: reg.tx.clone(),
        kill: reg.kill.clone(),
        sends: None,
    };
    if socket.send(text(hello)).await.is_err() {
        conn.leave(reg.id);
        return;
    }
    // A summary of what arrived while the member rested waits until they dismiss it.
    // Boxed: it runs once, and an idle connection should not carry its state.
    if Box::pin(send_pending_digest(&conn.app, member.0, &mut socket))
        .await
        .is_err()
    {
        conn.leave(reg.id);
        return;
    }
    // Boxed: it runs once, and an idle connection should not carry its state.
    let first = Box::pin(tokio::time::timeout(RESUME_GRACE, socket.recv())).await;
    let open = match first {
        Ok(Some(Ok(Message::Text(t)))) => {
            // Anything but a resume: what waited goes out first, in the order it came.
            let resume = matches!(
                serde_json::from_str::<Op>(t.as_str()),
                Ok(Op::Resume { .. })
            );
            let mut open = true;
            while !resume
                && open
                && let Ok(frame) = reg.rx.try_recv()
            {
                open = if frame.conv == hub::CLOSE {
                    let _ = socket.send(text(frame.text.to_string())).await;
                    false
                } else {
                    conn.deliver(&mut socket, frame.conv, frame.seq, &frame.text)
                        .await
                        .is_ok()
                };
            }
            open && Box::pin(conn.handle(&mut socket, t.as_str(), reg.id))
                .await
                .is_ok()
        }
        Ok(Some(Ok(Message::Close(_))) | None | Some(Err(_))) => false,
        Ok(Some(Ok(_))) | Err(_) => true,
    };
    if !open {
        conn.leave(reg.id);
        return;
    }
    let mut heartbeat = tokio::time::interval(Duration::from_millis(HEARTBEAT_MS));
    let mut last_heard = Instant::now();
    loop {
        // Checked before every frame: nothing goes out once the socket must stop.
        if let Some(why) = reg.kill.reason() {
            stop(&mut socket, why).await;
            break;
        }
        tokio::select! {
            why = reg.kill.wait() => {
                stop(&mut socket, why).await;
                break;
            }
            frame = reg.rx.recv() => {
                let Some(frame) = frame else { break };
                if let Some(why) = reg.kill.reason() {
                    stop(&mut socket, why).await;
                    break;
                }
                if frame.conv == hub::CLOSE {
                    let _ = socket.send(text(frame.text.to_string())).await;
                    break;
                }
                if conn.deliver(&mut socket, frame.conv, frame.seq, &frame.text).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => {
                last_heard = Instant::now();
                match incoming {
                    Some(Ok(Message::Text(t))) => {
                        let handled = Box::pin(conn.handle(&mut socket, t.as_str(), reg.id));
                        if handled.await.is_err() {
                            break;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                }
            }
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > Duration::from_millis(3 * HEARTBEAT_MS) {
                    break;
                }
            }
        }
    }
    conn.leave(reg.id);
}

/// The last words of a socket that must stop.
async fn stop(socket: &mut WebSocket, why: Stop) {
    let last = match why {
        Stop::Slow => text(json!({ "t": "resync", "reason": "slow" }).to_string()),
        Stop::SessionEnded => close(CLOSE_SESSION_ENDED, "session_ended"),
    };
    let _ = socket.send(last).await;
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }))
}

fn text(s: String) -> Message {
    Message::Text(Utf8Bytes::from(s))
}

fn error_frame(e: &AppError, actor: &Actor) -> Value {
    let info = ErrorInfo {
        kind: e.kind,
        fields: e.fields.clone(),
        hint: e.hint.clone(),
    };
    if e.kind == ErrorKind::Internal
        && let Some(c) = &e.cause
    {
        tracing::error!(error = %format!("{c:#}"), "real-time request failed");
    }
    qixie_kernel::http::error::api_error_body(&info, actor.lang)["error"].clone()
}

impl Conn {
    /// The socket is gone: out of the hub and the figures.
    fn leave(&self, socket_id: u64) {
        self.app.chat().hub.unregister(self.member.0, socket_id);
        self.app.metrics.ws_disconnected();
    }

    /// Sends a frame; events of a conversation only in seq order and never twice.
    async fn deliver(
        &mut self,
        socket: &mut WebSocket,
        conv: i64,
        seq: i64,
        frame: &str,
    ) -> Result<(), axum::Error> {
        if seq == 0 {
            return socket.send(text(frame.to_owned())).await;
        }
        match self.sent.get(&conv).copied() {
            Some(last) if seq <= last => return Ok(()),
            // Boxed, like every path that reads the database: the socket task's own state is what
            // each idle connection costs.
            Some(last) if seq > last + 1 => {
                Box::pin(self.fill_hole(socket, conv, last, seq)).await?
            }
            _ => {}
        }
        self.sent.insert(conv, seq);
        socket.send(text(frame.to_owned())).await
    }

    /// A hole before `seq`: another node's events not announced yet. The database has them.
    async fn fill_hole(
        &self,
        socket: &mut WebSocket,
        conv: i64,
        last: i64,
        seq: i64,
    ) -> Result<(), axum::Error> {
        if let Ok(rows) = stream::after(&self.app.db, ConvId(conv), last, seq - 1 - last).await {
            for r in rows.iter().filter(|r| r.seq < seq) {
                socket.send(text(stream::event_frame(&r.view()))).await?;
            }
        }
        Ok(())
    }

    async fn handle(
        &mut self,
        socket: &mut WebSocket,
        raw: &str,
        socket_id: u64,
    ) -> Result<(), axum::Error> {
        let op: Op = match serde_json::from_str(raw) {
            Ok(op) => op,
            Err(_) => {
                let e = AppError::new(ErrorKind::BadRequest);
                let f = json!({ "t": "error", "error": error_frame(&e, &self.actor) });
                return socket.send(text(f.to_string())).await;
            }
        };
        match op {
            Op::Ping => socket.send(text(r#"{"t":"pong"}"#.to_owned())).await,
            Op::Resume { convs } => Box::pin(self.resume(socket, convs)).await,
            Op::Read { conv, seq } => {
                if let Ok(c) = conv.parse::<i64>() {
                    let _ = Box::pin(conversation::mark_read(
                        &self.app,
                        &self.actor,
                        ConvId(c),
                        seq,
                        Some(socket_id),
                    ))
                    .await;
                }
                Ok(())
            }
            Op::Send {
                reference,
                conv,
                msg,
            } => {
                // Checked and queued for the writer here, one after another, so the sends of one
                // socket are stored in the order received; their commits are awaited beside the
                // socket loop (a client may pipeline up to IN_FLIGHT), and answered in that order.
                let queued = match self.app.chat().send_limit.check(self.member.0) {
                    Err(e) => Err(e),
                    Ok(()) => match conv.parse::<i64>() {
                        Ok(c) => {
                            Box::pin(message::queue(&self.app, &self.actor, ConvId(c), msg)).await
                        }
                        Err(_) => Err(AppError::new(ErrorKind::ConversationNotFound)),
                    },
                };
                if self.sends.is_none() {
                    let (tx, rx) = mpsc::channel(IN_FLIGHT);
                    tokio::spawn(answer_sends(
                        self.app.clone(),
                        self.actor.clone(),
                        rx,
                        self.replies.clone(),
                        self.kill.clone(),
                    ));
                    self.sends = Some(tx);
                }
                let Some(sends) = &self.sends else {
                    return Ok(());
                };
                // A full channel makes this socket wait: at most IN_FLIGHT sends in flight. Closed:
                // the answering task stopped because the socket's queue is full; the loop ends.
                if sends.send((reference, queued)).await.is_err() {
                    return Err(axum::Error::new(std::io::Error::other("socket too slow")));
                }
                Ok(())
            }
        }
    }

    /// Sends what came after the client's seqs, for the conversations it belongs to.
    async fn resume(
        &mut self,
        socket: &mut WebSocket,
        convs: HashMap<String, i64>,
    ) -> Result<(), axum::Error> {
        let wanted: Vec<(i64, i64)> = convs
            .iter()
            .filter_map(|(k, v)| k.parse::<i64>().ok().map(|c| (c, (*v).max(0))))
            .take(5_000)
            .collect();
        let joined = joined_seqs(&self.app, self.member, &wanted)
            .await
            .unwrap_or_default();
        let mut more = Vec::new();
        let mut positions = serde_json::Map::new();
        for (conv, after) in wanted {
            let Some(joined) = joined.get(&conv) else {
                // Not (or no longer) a member: the client should drop it.
                let f = json!({ "t": "conv", "conv": conv.to_string(), "change": "removed" });
                socket.send(text(f.to_string())).await?;
                continue;
            };
            let from = after
                .max(*joined)
                .max(self.sent.get(&conv).copied().unwrap_or(0));
            let rows = stream::after(&self.app.db, ConvId(conv), from, RESUME_LIMIT + 1)
                .await
                .unwrap_or_default();
            if rows.len() as i64 > RESUME_LIMIT {
                more.push(conv.to_string());
            }
            let mut last = from;
            for r in rows.iter().take(RESUME_LIMIT as usize) {
                socket.send(text(stream::event_frame(&r.view()))).await?;
                last = r.seq;
            }
            self.sent.insert(conv, last);
            positions.insert(conv.to_string(), json!(last));
        }
        let f = json!({ "t": "resumed", "convs": positions, "more": more });
        socket.send(text(f.to_string())).await
    }
}

/// Answers one socket's sends in the order they were queued: `ack` once committed, `nack` if refused.
async fn answer_sends(
    app: AppState,
    actor: Arc<Actor>,
    mut rx: mpsc::Receiver<Pending>,
    replies: mpsc::Sender<Arc<hub::Frame>>,
    kill: Arc<Kill>,
) {
    while let Some((reference, queued)) = rx.recv().await {
        let outcome = match queued {
            Ok(q) => q.committed(&app, &actor).await,
            Err(e) => Err(e),
        };
        let frame = match outcome {
            Ok(row) => json!({ "t": "ack", "ref": reference, "event": row.view() }),
            Err(e) => json!({ "t": "nack", "ref": reference, "error": error_frame(&e, &actor) }),
        };
        let reply = Arc::new(hub::Frame {
            conv: 0,
            seq: 0,
            text: Arc::from(frame.to_string().as_str()),
        });
        match replies.try_send(reply) {
            Ok(()) => {}
            // The socket is not reading its queue: it is too slow, like any other whose queue fills.
            Err(mpsc::error::TrySendError::Full(_)) => {
                kill.stop(Stop::Slow);
                return;
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return,
        }
    }
}

async fn joined_seqs(
    app: &AppState,
    member: MemberId,
    convs: &[(i64, i64)],
) -> AppResult<HashMap<i64, i64>> {
    let mut out = HashMap::new();
    for chunk in convs.chunks(500) {
        let rows: Vec<(i64, i64)> = app
            .db
            .all(
                qixie_kernel::db::sql("SELECT conversation_id, joined_seq FROM chat_members WHERE member_id = $1 AND conversation_id IN ")
                    .bind(member)
                    .push_in(chunk.iter().map(|(c, _)| *c)),
            )
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    fn future_size<A, B, C, D, F: std::future::Future>(_: fn(A, B, C, D) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    /// The socket task is what every idle connection keeps (it was 5.9 KB before the database
    /// paths were boxed; 2.1 KB in a debug build after).
    #[test]
    fn the_socket_task_stays_small() {
        let n = future_size(super::run);
        assert!(n < 3 * 1024, "the socket task takes {n} bytes");
    }
}
