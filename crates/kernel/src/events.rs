//! Domain events: what changed, announced once the change has committed (`Tx::emit`). Two kinds of
//! reader hear them: *listeners* (`Module::listeners`) run on every node, on the announcing task —
//! for what each node keeps (caches, sockets); *subscribers* of the `EventBus` run on the node where
//! the change happened — for work done once per change (queueing a job). With several nodes, the
//! relay (NATS) carries each event to the others' listeners; the database stays the source of truth.
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::ids::{CorpId, MemberId};

#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// An enterprise's attendance rules changed: caches of them must be read again.
    AttendanceRulesChanged {
        corp: CorpId,
    },
    /// An approval changed: `status` is WeCom's `sp_status` (1 pending, 2 approved, 3 rejected,
    /// 4 withdrawn), `change` WeCom's `StatuChangeEvent` (1 submitted, 2 approved, 3 rejected,
    /// 4 transferred, 5 urged, 6 withdrawn, 10 commented, 11 returned, 12 approver added).
    ApprovalChanged {
        corp: CorpId,
        sp_no: String,
        template_id: String,
        builtin: Option<String>,
        applicant: MemberId,
        status: i64,
        change: i64,
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
