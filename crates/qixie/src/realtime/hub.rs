//! The connection index of this node: member → open sockets, each with a bounded queue. Senders never
//! wait on a socket: a full queue means a slow client, which is told to resync and dropped, so it can
//! never hold up anyone else.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use tokio::sync::{Notify, mpsc};

/// Frames a socket may have queued before it counts as slow.
pub const QUEUE: usize = 1024;
/// The `conv` of a frame after which the socket closes (the client reconnects and resumes).
pub const CLOSE: i64 = i64::MIN;

/// One frame for a socket. `conv` and `seq` are set for events of a conversation's stream, so the
/// socket can keep each conversation in order and free of duplicates.
#[derive(Debug)]
pub struct Frame {
    pub conv: i64,
    pub seq: i64,
    pub text: Arc<str>,
}

struct Conn {
    id: u64,
    tx: mpsc::Sender<Arc<Frame>>,
    kill: Arc<Notify>,
}

/// What a socket task holds: its queue (and a sender into it, for its own replies) and the signal
/// that it has been dropped as too slow.
pub struct Registration {
    pub id: u64,
    pub rx: mpsc::Receiver<Arc<Frame>>,
    pub tx: mpsc::Sender<Arc<Frame>>,
    pub kill: Arc<Notify>,
}

#[derive(Default)]
pub struct Hub {
    conns: RwLock<HashMap<i64, Vec<Conn>>>,
    next: AtomicU64,
}

impl Hub {
    pub fn register(&self, member: i64) -> Registration {
        let (tx, rx) = mpsc::channel(QUEUE);
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let kill = Arc::new(Notify::new());
        let conn = Conn {
            id,
            tx: tx.clone(),
            kill: kill.clone(),
        };
        if let Ok(mut m) = self.conns.write() {
            m.entry(member).or_default().push(conn);
        }
        Registration { id, rx, tx, kill }
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
            c.kill.notify_one();
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

    /// Closes every socket of a member (signed out everywhere, frozen, departed).
    pub fn disconnect_member(&self, member: i64) {
        let gone = self.conns.write().ok().and_then(|mut m| m.remove(&member));
        for c in gone.unwrap_or_default() {
            c.kill.notify_one();
        }
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
        let mut a = hub.register(7);
        let mut b = hub.register(7);
        let mut other = hub.register(8);
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
        let slow = hub.register(1);
        let mut fast = hub.register(2);
        for s in 0..(QUEUE as i64 + 10) {
            hub.send(&[1, 2], frame(s), None);
            fast.rx.recv().await.unwrap();
        }
        // The slow one was told to go and is no longer indexed.
        tokio::time::timeout(std::time::Duration::from_secs(1), slow.kill.notified())
            .await
            .unwrap();
        assert!(!hub.is_online(1));
        assert!(hub.is_online(2));
    }

    #[tokio::test]
    async fn resync_queues_a_closing_frame_after_what_is_waiting() {
        let hub = Hub::default();
        let mut a = hub.register(1);
        let mut b = hub.register(2);
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
}
