//! The frames attention sends to a member's sockets.
use serde_json::json;

use crate::stream::EventRow;

/// The `notify` frame for a message: `kind` is `message` or `urgent`.
pub fn notify_frame(
    r: &EventRow,
    kind: &str,
    mention: Option<&str>,
    attempt: Option<i64>,
) -> String {
    let mut f = json!({
        "t": "notify", "kind": kind, "conv": r.conversation_id.to_string(), "seq": r.seq,
        "id": r.id.to_string(), "at": r.created_at,
        "sender": { "kind": r.sender_kind, "userid": r.sender_ref, "name": r.sender_name },
        "text": if r.recalled_at.is_some() { String::new() } else { r.excerpt(100) },
        "mention": mention,
    });
    if let Some(a) = attempt {
        f["attempt"] = json!(a);
    }
    f.to_string()
}
