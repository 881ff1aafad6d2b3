//! Attention: whether a new message alerts each recipient now, and what waits until they work again.
//!
//! After a batch of messages commits, each recipient (not the sender) is either alerted with a
//! `notify` frame, or the alert is held because they rest (outside working hours, do-not-disturb),
//! or nothing happens (a muted conversation that does not mention them, a "not urgent" message).
//! What was held is summarised in a `digest` frame when their next working period starts, by a
//! durable job. The decision reads only memory: each member's settings are cached per node and
//! forgotten on every node when they change; mute state comes with the cached roster.
//! Protocol: docs/api/realtime.md; settings routes: docs/api/chat.md.
mod alerts;
mod digest;
mod frames;
mod mine;
mod runtime;
mod settings;

pub use alerts::{after_commit, is_auto_reply};
pub use digest::{
    DIGEST_JOB, Digest, DigestItem, digest_frame, dismiss_digest, pending_digest, register_jobs,
};
pub use frames::notify_frame;
pub use mine::{
    AutoReplyInput, DndInput, MAX_AUTO_REPLY_CHARS, MemberQuietHours, SettingsInput,
    WorkingHoursInput, mine, quiet_hours_of, update,
};
pub use runtime::{AttentionRuntime, COLLAPSE_MS};
pub use settings::{
    AttentionSettings, AutoReply, AutoReplyMode, Dnd, QuietHours, Settings, WorkingHours, load_one,
};
