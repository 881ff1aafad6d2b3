//! Messaging (消息): conversations and their event streams, messages with receipts and recall, group
//! rules, robots and app messages, and delivery to connected clients (see docs/api/chat.md and
//! docs/api/realtime.md).
pub mod attention;
pub mod attention_http;
pub mod auto_reply;
pub mod conversation;
pub mod fanout;
pub mod http;
pub mod markdown;
pub mod media;
pub mod message;
pub mod notice;
pub mod policy;
pub mod quick_replies;
pub mod robots;
pub mod roster;
pub mod search;
pub mod send_limit;
pub mod stream;
pub mod sync;
pub mod urgent;
pub mod writer;

use std::sync::Arc;

use crate::realtime::bus::Bus;
use crate::realtime::hub::Hub;

/// The parts of messaging that live for the whole process.
#[derive(Default)]
pub struct ChatRuntime {
    /// How fast each member may send (see `send_limit`).
    pub send_limit: send_limit::SendLimit,
    pub hub: Hub,
    pub roster: roster::RosterCache,
    pub writer: writer::Writer,
    pub robot_limits: robots::RateLimits,
    pub attention: attention::AttentionRuntime,
    /// Set when several nodes share the database (QIXIE_NATS_URL).
    pub bus: Option<Arc<Bus>>,
}

impl ChatRuntime {
    pub fn new(config: &crate::config::Config) -> ChatRuntime {
        ChatRuntime {
            send_limit: send_limit::SendLimit::new(
                config.send_rate_per_second,
                config.send_rate_burst,
            ),
            ..ChatRuntime::default()
        }
    }
}

pub fn register_jobs(r: &mut crate::kernel::jobs::JobRegistry) {
    sync::register_jobs(r);
    search::register_jobs(r);
    attention::register_jobs(r);
    urgent::register_jobs(r);
}

pub fn register_handovers(r: &mut crate::modules::org::offboarding::OffboardingRegistry) {
    r.register(Arc::new(conversation::GroupOwnership));
}
