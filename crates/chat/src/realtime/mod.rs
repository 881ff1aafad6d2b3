//! Real-time delivery: the index of this node's sockets (`hub`), the socket protocol (`socket`) and
//! the bus that wakes other nodes (`bus`). What is delivered is decided by the chat module.
pub mod bus;
pub mod hub;
pub mod socket;

use crate::ChatState;
use qixie_kernel::AppState;

/// The one path by which ended sessions lose their sockets: sign-out, a password change (the other
/// sessions) or reset, removing a session from the list, freezing and departure all end sessions in
/// `identity::session`, which announces it once the change is committed; chat's listener calls this
/// on every node (the event reaches the others through the relay), for that node's sockets.
pub fn end_sessions(app: &AppState, member: i64, sessions: &[i64]) {
    if sessions.is_empty() {
        return;
    }
    let closed = app.chat().hub.end_sessions(member, sessions);
    if closed > 0 {
        tracing::info!(
            member,
            sockets = closed,
            "closed the sockets of ended sessions"
        );
    }
}
