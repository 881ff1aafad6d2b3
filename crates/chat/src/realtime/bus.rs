//! Scale-out: with QIXIE_NATS_URL every node publishes what it delivers to NATS, and delivers what
//! other nodes publish to its own sockets. NATS only wakes nodes; a lost publication costs latency,
//! never an event, because clients catch up from the database.
//!
//! NATS may be away (at start or later) without stopping the node: publishing never waits for it.
//! When the connection comes back the node publishes again the last event of each conversation it
//! announced while away (or just before: those may have been lost in flight), which lets the other
//! nodes' sockets fill the hole from the database, and it asks its own clients to reconnect and resume,
//! since it cannot know what it missed from the others.
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::ChatState;
use crate::fanout::{self, Delivery};
use qixie_kernel::AppState;
use qixie_kernel::events::DomainEvent;
use qixie_kernel::state::Relay;

/// Publications waiting for the NATS client; beyond that they are dropped (and replayed if NATS was away).
const QUEUE: usize = 16_384;
/// Publications this recent are published again after a reconnection: they may have been written to
/// a connection that was already dead.
const REPLAY_WINDOW: Duration = Duration::from_secs(5);
/// While NATS is away: conversations and other frames remembered for the replay, at most.
const MAX_CONVS: usize = 100_000;
const MAX_OTHERS: usize = 10_000;
/// Sockets asked to resume per step after a reconnection, and the pause between steps, so clients do
/// not all come back in the same instant.
const RESYNC_STEP: usize = 1_000;
const RESYNC_PAUSE: Duration = Duration::from_millis(200);

/// A domain event announced on one node (`Relay`), for the listeners of every other node.
#[derive(Debug, Serialize, Deserialize)]
struct Relayed {
    node: String,
    event: DomainEvent,
}

/// What travels on `<prefix>.chat`: deliveries, and relayed events (told apart by their fields).
#[derive(Deserialize)]
#[serde(untagged)]
enum Publication {
    Event(Relayed),
    Delivery(Delivery),
}

pub struct Bus {
    /// This node, so it skips what it published itself.
    node: Arc<str>,
    client: async_nats::Client,
    subject: String,
    queue: mpsc::Sender<Bytes>,
    recent: Arc<Mutex<Recent>>,
    /// Connection events, handed to the listening task.
    events: Mutex<Option<mpsc::UnboundedReceiver<async_nats::Event>>>,
}

/// What this node published lately, for the replay after NATS was away.
struct Recent {
    up: bool,
    /// When the connection was lost; set at start until the first connection.
    down_since: Option<Instant>,
    /// Per conversation, the last event of its stream announced, and when.
    last_event: HashMap<i64, (Instant, Bytes)>,
    /// Frames outside the streams (reads, receipts, conversation changes), oldest first.
    others: VecDeque<(Instant, Bytes)>,
}

impl Recent {
    fn remember(&mut self, conv: i64, seq: i64, bytes: &Bytes, now: Instant) {
        if seq > 0 {
            if self.up || self.last_event.len() < MAX_CONVS || self.last_event.contains_key(&conv) {
                self.last_event.insert(conv, (now, bytes.clone()));
            }
        } else {
            if self.others.len() >= MAX_OTHERS {
                if !self.up {
                    return;
                }
                self.others.pop_front();
            }
            self.others.push_back((now, bytes.clone()));
        }
    }

    /// Forgets what is too old to need a replay (only while connected).
    fn prune(&mut self, now: Instant) {
        if !self.up {
            return;
        }
        self.last_event
            .retain(|_, (at, _)| now.duration_since(*at) < REPLAY_WINDOW);
        while self
            .others
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) >= REPLAY_WINDOW)
        {
            self.others.pop_front();
        }
    }

    /// Marks the connection up; returns what to publish again, oldest first.
    fn reconnected(&mut self) -> Vec<Bytes> {
        self.up = true;
        let Some(since) = self.down_since.take() else {
            return Vec::new();
        };
        let from = since.checked_sub(REPLAY_WINDOW).unwrap_or(since);
        let mut out: Vec<(Instant, Bytes)> = self
            .last_event
            .values()
            .chain(self.others.iter())
            .filter(|(at, _)| *at >= from)
            .cloned()
            .collect();
        out.sort_by_key(|(at, _)| *at);
        out.into_iter().map(|(_, b)| b).collect()
    }
}

/// `<prefix>.chat`, checked: a NATS subject of plain tokens.
pub fn subject(prefix: &str) -> anyhow::Result<String> {
    let ok = !prefix.is_empty()
        && prefix.split('.').all(|t| {
            !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    if !ok {
        anyhow::bail!(
            "QIXIE_NATS_PREFIX must be dot-separated tokens of letters, digits, '-' and '_': {prefix:?}"
        );
    }
    Ok(format!("{prefix}.chat"))
}

impl Bus {
    /// Starts connecting; returns at once even when NATS is not reachable (it keeps trying).
    pub async fn connect(url: &str, prefix: &str, node: Arc<str>) -> anyhow::Result<Bus> {
        let subject = subject(prefix)?;
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let client = async_nats::ConnectOptions::new()
            .name("qixie")
            .retry_on_initial_connect()
            .event_callback(move |e| {
                let tx = events_tx.clone();
                async move {
                    let _ = tx.send(e);
                }
            })
            .connect(url)
            .await
            .map_err(|e| anyhow::anyhow!("cannot use NATS at {url}: {e}"))?;
        // NATS normally answers at once: waiting a moment for it means clients that arrive as the
        // node starts are not asked to resume again when it does.
        let deadline = Instant::now() + Duration::from_secs(2);
        while client.connection_state() != async_nats::connection::State::Connected
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if client.connection_state() != async_nats::connection::State::Connected {
            tracing::warn!(
                "NATS at {url} is not reachable; serving this node's clients only until it is"
            );
        }
        let (queue, mut rx) = mpsc::channel::<Bytes>(QUEUE);
        let recent = Arc::new(Mutex::new(Recent {
            up: false,
            down_since: Some(Instant::now()),
            last_event: HashMap::new(),
            others: VecDeque::new(),
        }));
        // The only task that waits on the NATS client: while NATS is away it waits here, and the
        // queue in front of it fills up instead of anyone's send.
        let (c, s) = (client.clone(), subject.clone());
        tokio::spawn(async move {
            while let Some(bytes) = rx.recv().await {
                if let Err(e) = c.publish(s.clone(), bytes).await {
                    tracing::warn!(error = %e, "NATS publish failed; other nodes' clients will catch up on resume");
                }
            }
        });
        let r = recent.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                if let Ok(mut m) = r.lock() {
                    m.prune(Instant::now());
                }
            }
        });
        Ok(Bus {
            node,
            client,
            subject,
            queue,
            recent,
            events: Mutex::new(Some(events_rx)),
        })
    }

    /// Hands a delivery to NATS without waiting: the writer must not stall when NATS does.
    pub fn publish(&self, d: &Delivery) {
        match serde_json::to_vec(d) {
            Ok(b) => self.enqueue(d.conv, d.seq, Bytes::from(b)),
            Err(e) => tracing::error!(error = %e, "cannot encode a delivery"),
        }
    }

    fn enqueue(&self, conv: i64, seq: i64, bytes: Bytes) {
        let up = match self.recent.lock() {
            Ok(mut m) => {
                m.remember(conv, seq, &bytes, Instant::now());
                m.up
            }
            Err(_) => true,
        };
        if up && self.queue.try_send(bytes).is_err() {
            tracing::warn!("NATS is not keeping up; a delivery to other nodes was dropped");
        }
    }

    /// Delivers other nodes' publications to this node's sockets, and handles the connection coming
    /// and going, for the life of the process.
    pub async fn listen(&self, app: AppState) -> anyhow::Result<()> {
        let mut sub = self
            .client
            .subscribe(self.subject.clone())
            .await
            .map_err(|e| anyhow::anyhow!("cannot subscribe to NATS: {e}"))?;
        let a = app.clone();
        tokio::spawn(async move {
            while let Some(msg) = sub.next().await {
                match serde_json::from_slice::<Publication>(&msg.payload) {
                    Ok(Publication::Delivery(d)) if d.node != *a.node_id => {
                        fanout::deliver_local(&a, &d).await
                    }
                    Ok(Publication::Event(e)) if e.node != *a.node_id => a.hear(&e.event),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "ignored a malformed delivery from NATS"),
                }
            }
            tracing::warn!("NATS subscription ended");
        });
        let events = self.events.lock().ok().and_then(|mut e| e.take());
        if let Some(mut events) = events {
            let (recent, queue) = (self.recent.clone(), self.queue.clone());
            tokio::spawn(async move {
                while let Some(e) = events.recv().await {
                    match e {
                        async_nats::Event::Disconnected => {
                            if let Ok(mut m) = recent.lock()
                                && m.up
                            {
                                m.up = false;
                                m.down_since = Some(Instant::now());
                            }
                            tracing::warn!(
                                "lost NATS; delivering to this node's sockets only until it is back"
                            );
                        }
                        async_nats::Event::Connected => {
                            let replay = recent
                                .lock()
                                .map(|mut m| m.reconnected())
                                .unwrap_or_default();
                            tracing::info!(replayed = replay.len(), "connected to NATS");
                            for b in replay {
                                let _ = queue.send(b).await;
                            }
                            caught_up(&app).await;
                        }
                        _ => {}
                    }
                }
            });
        }
        Ok(())
    }
}

/// After NATS was away this node may have missed other nodes' events, membership changes included:
/// it forgets the cached rosters and asks its clients to reconnect and resume, a step at a time.
async fn caught_up(app: &AppState) {
    app.chat().roster.forget_all();
    let conns = app.chat().hub.connections();
    if conns.is_empty() {
        return;
    }
    tracing::info!(
        sockets = conns.len(),
        "asking this node's clients to resume after NATS was away"
    );
    for (i, chunk) in conns.chunks(RESYNC_STEP).enumerate() {
        if i > 0 {
            tokio::time::sleep(RESYNC_PAUSE).await;
        }
        app.chat().hub.resync(chunk, "bus");
    }
}

impl Relay for Bus {
    fn relay(&self, event: &DomainEvent) {
        let r = Relayed {
            node: self.node.to_string(),
            event: event.clone(),
        };
        match serde_json::to_vec(&r) {
            // Outside the streams: replayed like reads and receipts if NATS was away.
            Ok(b) => self.enqueue(0, 0, Bytes::from(b)),
            Err(e) => tracing::error!(error = %e, "cannot encode an event for the other nodes"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qixie_kernel::ids::MemberId;

    #[test]
    fn prefixes_make_plain_subjects() {
        assert_eq!(subject("qixie").unwrap(), "qixie.chat");
        assert_eq!(
            subject("qixie-test-ab_1.x").unwrap(),
            "qixie-test-ab_1.x.chat"
        );
        for bad in ["", "a b", "a.*", ">", "a..b", ".a"] {
            assert!(subject(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_replay_is_the_last_event_per_conversation_and_the_other_frames() {
        let t0 = Instant::now();
        let mut r = Recent {
            up: true,
            down_since: None,
            last_event: HashMap::new(),
            others: VecDeque::new(),
        };
        let b = |s: &str| Bytes::from(s.to_owned());
        r.remember(1, 1, &b("c1s1"), t0);
        // Long ago by the time NATS goes away: not replayed.
        r.prune(t0 + Duration::from_secs(60));
        assert!(r.last_event.is_empty());
        let down = t0 + Duration::from_secs(60);
        r.up = false;
        r.down_since = Some(down);
        r.remember(1, 2, &b("c1s2"), down);
        r.remember(1, 3, &b("c1s3"), down + Duration::from_millis(1));
        r.remember(2, 0, &b("read"), down + Duration::from_millis(2));
        r.remember(2, 7, &b("c2s7"), down + Duration::from_millis(3));
        // Nothing is pruned while away.
        r.prune(down + Duration::from_secs(600));
        assert_eq!(r.reconnected(), vec![b("c1s3"), b("read"), b("c2s7")]);
        assert!(r.up);
        // A second Connected without a loss in between replays nothing.
        assert!(r.reconnected().is_empty());
    }

    #[test]
    fn relayed_events_and_deliveries_are_told_apart() {
        let ended = serde_json::to_vec(&Relayed {
            node: "n1".into(),
            event: DomainEvent::SessionsEnded {
                member: MemberId(7),
                sessions: vec![1, 2],
            },
        })
        .unwrap();
        assert!(matches!(
            serde_json::from_slice::<Publication>(&ended).unwrap(),
            Publication::Event(Relayed {
                event: DomainEvent::SessionsEnded {
                    member: MemberId(7),
                    ..
                },
                ..
            })
        ));
        let d = Delivery {
            node: "n1".into(),
            audience: fanout::Audience::Conversation,
            conv: 3,
            seq: 4,
            text: "{}".into(),
            forget: false,
            except: None,
            attention: false,
        };
        let bytes = serde_json::to_vec(&d).unwrap();
        assert!(matches!(
            serde_json::from_slice::<Publication>(&bytes).unwrap(),
            Publication::Delivery(Delivery { seq: 4, .. })
        ));
    }
}
