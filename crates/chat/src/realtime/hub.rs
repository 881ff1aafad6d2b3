//! The connection index of this node: member → open sockets, each with a bounded queue and the session
//! it was opened with. Senders never wait on a socket: a full queue means a slow client, which is told
//! to resync and dropped, so it can never hold up anyone else. A session that ends closes its sockets.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc};

/// Frames a socket may have queued before it counts as slow.
pub const QUEUE: usize = 1024;
/// The `conv` of a frame after which the socket closes (the client reconnects and resumes).
pub const CLOSE: i64 = i64::MIN;
/// How long an ended session is remembered, so a socket of it that registers a moment after (it
/// authenticated just before the session ended) is refused too.
const ENDED_MEMORY: Duration = Duration::from_secs(60);

/// One frame for a socket. `conv` and `seq` are set for events of a conversation's stream, so the
/// socket can keep each conversation in order and free of duplicates.
#[derive(Debug)]
pub struct Frame {
    pub conv: i64,
    pub seq: i64,
    pub text: Arc<str>,
}

/// Why a socket must stop at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Its queue was full: it is told to resync.
    Slow,
    /// Its session ended (sign-out, password change or reset, freeze, departure).
    SessionEnded,
}

/// The signal that a socket must stop, and why. The reason is set before the wake-up, and a socket
/// checks it before each frame it sends, so nothing goes out after it.
#[derive(Default)]
pub struct Kill {
    notify: Notify,
    reason: AtomicU8,
}

impl Kill {
    pub fn stop(&self, why: Stop) {
        let code = match why {
            Stop::Slow => 1,
            Stop::SessionEnded => 2,
        };
        // A session's end wins over slowness.
        self.reason.fetch_max(code, Ordering::SeqCst);
        self.notify.notify_one();
    }

    /// Whether (and why) the socket must stop.
    pub fn reason(&self) -> Option<Stop> {
        match self.reason.load(Ordering::SeqCst) {
            0 => None,
            1 => Some(Stop::Slow),
            _ => Some(Stop::SessionEnded),
        }
    }

    /// Waits until the socket must stop.
    pub async fn wait(&self) -> Stop {
        loop {
            if let Some(r) = self.reason() {
                return r;
            }
            self.notify.notified().await;
        }
    }
}

struct Conn {
    id: u64,
    session: i64,
    tx: mpsc::Sender<Arc<Frame>>,
    kill: Arc<Kill>,
}

/// What a socket task holds: its queue (and a sender into it, for its own replies) and the signal
/// that it must stop.
pub struct Registration {
    pub id: u64,
    pub rx: mpsc::Receiver<Arc<Frame>>,
    pub tx: mpsc::Sender<Arc<Frame>>,
    pub kill: Arc<Kill>,
}

/// How many sockets may be open at once on this node.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_session: usize,
    pub per_member: usize,
}

impl Limits {
    /// The configured limits, at least one of each.
    pub fn from_config(config: &qixie_kernel::config::Config) -> Limits {
        Limits {
            per_session: config.ws_max_per_session.max(1),
            per_member: config.ws_max_per_member.max(1),
        }
    }
}

/// Why a socket was not registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Its session has ended.
    SessionEnded,
    /// The session or the member has as many sockets as allowed.
    TooMany,
}

#[derive(Default)]
pub struct Hub {
    conns: RwLock<HashMap<i64, Vec<Conn>>>,
    next: AtomicU64,
    /// Sessions ended lately, with when.
    ended: Mutex<Ended>,
}

#[derive(Default)]
struct Ended {
    at: HashMap<i64, Instant>,
    /// The size at which old entries are swept next (so many ends in a row stay linear).
    sweep_at: usize,
}

impl Hub {
    /// Indexes a socket of `member` opened with `session`, unless that session has ended or it would
    /// pass a limit (checked under the same lock as the insertion, so concurrent upgrades cannot pass
    /// it together).
    pub fn register(
        &self,
        member: i64,
        session: i64,
        limits: Limits,
    ) -> Result<Registration, Refused> {
        if self.has_ended(session) {
            return Err(Refused::SessionEnded);
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let kill = Arc::new(Kill::default());
        let conn = Conn {
            id,
            session,
            tx: tx.clone(),
            kill: kill.clone(),
        };
        if let Ok(mut m) = self.conns.write() {
            let v = m.entry(member).or_default();
            if v.len() >= limits.per_member
                || v.iter().filter(|c| c.session == session).count() >= limits.per_session
            {
                if v.is_empty() {
                    m.remove(&member);
                }
                return Err(Refused::TooMany);
            }
            v.push(conn);
        }
        // The session may have ended between the check above and the insertion.
        if self.has_ended(session) {
            self.unregister(member, id);
            return Err(Refused::SessionEnded);
        }
        Ok(Registration { id, rx, tx, kill })
    }

    /// Whether one more socket of `session` would pass a limit (a cheap check before the upgrade;
    /// `register` decides).
    pub fn is_full(&self, member: i64, session: i64, limits: Limits) -> bool {
        self.conns
            .read()
            .ok()
            .and_then(|m| {
                m.get(&member).map(|v| {
                    v.len() >= limits.per_member
                        || v.iter().filter(|c| c.session == session).count() >= limits.per_session
                })
            })
            .unwrap_or(false)
    }

    pub fn unregister(&self, member: i64, id: u64) {
        if let Ok(mut m) = self.conns.write()
            && let Some(v) = m.get_mut(&member)
        {
            v.retain(|c| c.id != id);
            if v.is_empty() {
                m.remove(&member);
            }
        }
    }

    /// Queues `frame` on every socket of every member in `members`, except the socket `except`.
    /// Returns how many sockets it reached.
    pub fn send(&self, members: &[i64], frame: Arc<Frame>, except: Option<u64>) -> usize {
        let mut slow = Vec::new();
        let mut reached = 0;
        if let Ok(m) = self.conns.read() {
            for member in members {
                let Some(conns) = m.get(member) else { continue };
                for c in conns {
                    if Some(c.id) == except {
                        continue;
                    }
                    match c.tx.try_send(frame.clone()) {
                        Ok(()) => reached += 1,
                        Err(mpsc::error::TrySendError::Full(_)) => slow.push((*member, c.id)),
                        Err(mpsc::error::TrySendError::Closed(_)) => {}
                    }
                }
            }
        }
        for (member, id) in slow {
            self.drop_slow(member, id);
        }
        reached
    }

    fn drop_slow(&self, member: i64, id: u64) {
        if let Ok(mut m) = self.conns.write()
            && let Some(v) = m.get_mut(&member)
            && let Some(pos) = v.iter().position(|c| c.id == id)
        {
            let c = v.remove(pos);
            if v.is_empty() {
                m.remove(&member);
            }
            c.kill.stop(Stop::Slow);
            tracing::info!(member, conn = id, "dropped a slow real-time connection");
        }
    }

    /// Every socket of this node, as (member, socket).
    pub fn connections(&self) -> Vec<(i64, u64)> {
        self.conns
            .read()
            .map(|m| {
                m.iter()
                    .flat_map(|(member, v)| v.iter().map(|c| (*member, c.id)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Asks these sockets to reconnect and resume: a `resync` frame after what they have queued,
    /// then the socket closes.
    pub fn resync(&self, conns: &[(i64, u64)], reason: &str) {
        let frame = Arc::new(Frame {
            conv: CLOSE,
            seq: 0,
            text: Arc::from(
                serde_json::json!({ "t": "resync", "reason": reason })
                    .to_string()
                    .as_str(),
            ),
        });
        let mut slow = Vec::new();
        if let Ok(m) = self.conns.read() {
            for (member, id) in conns {
                let Some(c) = m.get(member).and_then(|v| v.iter().find(|c| c.id == *id)) else {
                    continue;
                };
                if let Err(mpsc::error::TrySendError::Full(_)) = c.tx.try_send(frame.clone()) {
                    slow.push((*member, *id));
                }
            }
        }
        for (member, id) in slow {
            self.drop_slow(member, id);
        }
    }

    /// Closes the sockets of `member` opened with any of `sessions`, which have ended, and refuses
    /// sockets of them that register later. Returns how many it closed.
    pub fn end_sessions(&self, member: i64, sessions: &[i64]) -> usize {
        if sessions.is_empty() {
            return 0;
        }
        if let Ok(mut e) = self.ended.lock() {
            let now = Instant::now();
            if e.at.len() >= e.sweep_at {
                e.at.retain(|_, at| now.duration_since(*at) < ENDED_MEMORY);
                e.sweep_at = (2 * e.at.len()).max(1_024);
            }
            for s in sessions {
                e.at.insert(*s, now);
            }
        }
        let mut gone = Vec::new();
        if let Ok(mut m) = self.conns.write()
            && let Some(v) = m.get_mut(&member)
        {
            let (ended, kept): (Vec<Conn>, Vec<Conn>) =
                v.drain(..).partition(|c| sessions.contains(&c.session));
            *v = kept;
            if v.is_empty() {
                m.remove(&member);
            }
            gone = ended;
        }
        for c in &gone {
            c.kill.stop(Stop::SessionEnded);
        }
        gone.len()
    }

    fn has_ended(&self, session: i64) -> bool {
        self.ended.lock().is_ok_and(|e| {
            e.at.get(&session)
                .is_some_and(|at| at.elapsed() < ENDED_MEMORY)
        })
    }

    /// How many sockets `member` has open on this node.
    pub fn member_connections(&self, member: i64) -> usize {
        self.conns
            .read()
            .map(|m| m.get(&member).map_or(0, Vec::len))
            .unwrap_or(0)
    }

    /// Whether the member has a socket on this node.
    pub fn is_online(&self, member: i64) -> bool {
        self.conns
            .read()
            .map(|m| m.contains_key(&member))
            .unwrap_or(false)
    }

    pub fn connection_count(&self) -> usize {
        self.conns
            .read()
            .map(|m| m.values().map(Vec::len).sum())
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOMY: Limits = Limits {
        per_session: 100,
        per_member: 100,
    };

    /// A socket of `member` on a session of its own.
    fn reg(hub: &Hub, member: i64) -> Registration {
        let session = member * 1_000 + hub.member_connections(member) as i64;
        hub.register(member, session, ROOMY).unwrap()
    }

    fn frame(seq: i64) -> Arc<Frame> {
        Arc::new(Frame {
            conv: 1,
            seq,
            text: Arc::from("{}"),
        })
    }

    #[tokio::test]
    async fn frames_reach_every_socket_of_a_member_but_the_excepted_one() {
        let hub = Hub::default();
        let mut a = reg(&hub, 7);
        let mut b = reg(&hub, 7);
        let mut other = reg(&hub, 8);
        assert_eq!(hub.send(&[7], frame(1), Some(b.id)), 1);
        assert_eq!(a.rx.recv().await.unwrap().seq, 1);
        assert!(b.rx.try_recv().is_err());
        assert!(other.rx.try_recv().is_err());
        hub.unregister(7, a.id);
        assert_eq!(hub.send(&[7, 8], frame(2), None), 2);
        assert_eq!(hub.connection_count(), 2);
    }

    #[tokio::test]
    async fn a_slow_socket_is_dropped_without_blocking_the_sender() {
        let hub = Hub::default();
        let slow = reg(&hub, 1);
        let mut fast = reg(&hub, 2);
        for s in 0..(QUEUE as i64 + 10) {
            hub.send(&[1, 2], frame(s), None);
            fast.rx.recv().await.unwrap();
        }
        // The slow one was told to go and is no longer indexed.
        let why = tokio::time::timeout(std::time::Duration::from_secs(1), slow.kill.wait())
            .await
            .unwrap();
        assert_eq!(why, Stop::Slow);
        assert!(!hub.is_online(1));
        assert!(hub.is_online(2));
    }

    #[tokio::test]
    async fn resync_queues_a_closing_frame_after_what_is_waiting() {
        let hub = Hub::default();
        let mut a = reg(&hub, 1);
        let mut b = reg(&hub, 2);
        hub.send(&[1, 2], frame(1), None);
        let conns = hub.connections();
        assert_eq!(conns.len(), 2);
        hub.resync(&[(1, a.id)], "bus");
        assert_eq!(a.rx.recv().await.unwrap().seq, 1);
        let last = a.rx.recv().await.unwrap();
        assert_eq!(last.conv, CLOSE);
        assert!(last.text.contains("\"resync\""));
        assert_eq!(b.rx.recv().await.unwrap().seq, 1);
        assert!(b.rx.try_recv().is_err());
    }

    #[tokio::test]
    async fn an_ended_session_closes_its_sockets_only_and_stays_refused() {
        let hub = Hub::default();
        let a1 = hub.register(1, 10, ROOMY).unwrap();
        let a2 = hub.register(1, 10, ROOMY).unwrap();
        let b = hub.register(1, 11, ROOMY).unwrap();
        assert_eq!(hub.end_sessions(1, &[10]), 2);
        for r in [&a1, &a2] {
            let why = tokio::time::timeout(Duration::from_secs(1), r.kill.wait())
                .await
                .unwrap();
            assert_eq!(why, Stop::SessionEnded);
        }
        assert_eq!(b.kill.reason(), None);
        assert_eq!(hub.member_connections(1), 1);
        // A socket that authenticated just before the end and registers after it.
        assert_eq!(
            hub.register(1, 10, ROOMY).err(),
            Some(Refused::SessionEnded)
        );
        // An end wins over slowness.
        hub.end_sessions(1, &[11]);
        assert_eq!(b.kill.reason(), Some(Stop::SessionEnded));
        assert!(!hub.is_online(1));
    }

    #[tokio::test]
    async fn sockets_are_limited_per_session_and_per_member() {
        let hub = Hub::default();
        let limits = Limits {
            per_session: 2,
            per_member: 3,
        };
        let _a = hub.register(1, 10, limits).unwrap();
        let _b = hub.register(1, 10, limits).unwrap();
        assert!(hub.is_full(1, 10, limits));
        assert_eq!(hub.register(1, 10, limits).err(), Some(Refused::TooMany));
        assert!(!hub.is_full(1, 11, limits));
        let c = hub.register(1, 11, limits).unwrap();
        assert_eq!(hub.register(1, 12, limits).err(), Some(Refused::TooMany));
        // Another member is counted apart.
        assert!(hub.register(2, 20, limits).is_ok());
        hub.unregister(1, c.id);
        assert!(hub.register(1, 12, limits).is_ok());
    }
}
