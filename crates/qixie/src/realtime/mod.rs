//! Real-time delivery: the index of this node's sockets (`hub`), the socket protocol (`socket`) and
//! the bus that wakes other nodes (`bus`). What is delivered is decided by the chat module.
pub mod bus;
pub mod hub;
pub mod socket;

use crate::AppState;
use crate::kernel::events::DomainEvent;

/// Closes the sockets of members whose sessions end (sign-out everywhere, freeze, departure).
pub fn spawn_session_watch(app: AppState) {
    let mut rx = app.events.subscribe();
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(
                    DomainEvent::SessionsRevoked { member, .. }
                    | DomainEvent::MemberDeparted { member, .. },
                ) => app.chat.hub.disconnect_member(member.0),
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}
