//! Whole-body snapshots (ADR 0009): what differs between runs and engines is redacted by the name of
//! its field, so a snapshot pins everything else. Ids made from the clock and random bits, times and
//! secrets become placeholders; a null stays null, so a snapshot still shows what is absent.
use insta::internals::{Content, Redaction};

/// Fields that carry generated ids, anywhere in a body.
const IDS: &[&str] = &["id", "conv", "media_id", "target_id", "chatid"];
/// Fields that carry times (Unix ms).
const TIMES: &[&str] = &[
    "at",
    "created_at",
    "updated_at",
    "last_activity_at",
    "last_active_at",
    "requested_at",
    "last_sent_at",
    "next_at",
    "read_at",
    "since",
    "next_start",
    "until",
];

fn unless_null(label: &'static str) -> Redaction {
    insta::dynamic_redaction(move |value, _| match value {
        Content::None | Content::Unit => value,
        _ => Content::from(label),
    })
}

/// Runs `check` (an `assert_json_snapshot!`) with the shared redactions.
pub fn redacted(check: impl FnOnce()) {
    let mut settings = insta::Settings::clone_current();
    for key in IDS {
        settings.add_redaction(&format!(".**.{key}"), unless_null("[id]"));
    }
    for key in TIMES {
        settings.add_redaction(&format!(".**.{key}"), unless_null("[ms]"));
    }
    settings.bind(check);
}

/// Asserts a whole JSON body against an inline snapshot, with the shared redactions:
/// `snap!(body, @"…")`, or `snap!(body, {".key" => "[key]"}, @"…")` with more.
#[macro_export]
macro_rules! snap {
    ($value:expr, $($rest:tt)+) => {
        $crate::snapshots::redacted(|| insta::assert_json_snapshot!($value, $($rest)+))
    };
}
