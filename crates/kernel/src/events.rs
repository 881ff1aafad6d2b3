//! Domain events, published after the change commits. In one process a broadcast channel; across
//! nodes the database stays the source of truth and a bus only wakes others.
use serde::Serialize;
use tokio::sync::broadcast;

use super::ids::{CorpId, MemberId};

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DomainEvent {
    MemberCreated {
        corp: CorpId,
        member: MemberId,
        userid: String,
    },
    MemberUpdated {
        corp: CorpId,
        member: MemberId,
        userid: String,
    },
    MemberDeleted {
        corp: CorpId,
        userid: String,
    },
    MemberDeparted {
        corp: CorpId,
        member: MemberId,
        successor: MemberId,
    },
    DepartmentChanged {
        corp: CorpId,
        department: i64,
    },
    SessionsRevoked {
        corp: CorpId,
        member: MemberId,
    },
    /// These sessions of `member` ended (sign-out, password change or reset, removal, freezing,
    /// departure, expiry): their sockets must close, on every node.
    SessionsEnded {
        member: MemberId,
        sessions: Vec<i64>,
    },
    /// The enterprise's profile changed (name, time zone, …).
    CorpUpdated {
        corp: CorpId,
    },
}

#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<DomainEvent>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus {
            tx: broadcast::channel(4096).0,
        }
    }
}

impl EventBus {
    pub fn publish(&self, e: DomainEvent) {
        // No subscriber is fine: events are notifications, the data is already committed.
        let _ = self.tx.send(e);
    }
    pub fn subscribe(&self) -> broadcast::Receiver<DomainEvent> {
        self.tx.subscribe()
    }
}
