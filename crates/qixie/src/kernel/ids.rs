//! Typed identifiers. Each is an `i64` in storage and in JSON, and a distinct type in code, so a
//! member id cannot be passed where a department id belongs.
use rand::Rng;

macro_rules! typed_id {
    ($($name:ident),*) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, sqlx::Type)]
        #[sqlx(transparent)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl From<$name> for crate::kernel::db::Arg {
            fn from(v: $name) -> Self { crate::kernel::db::Arg::I64(Some(v.0)) }
        }
        impl From<Option<$name>> for crate::kernel::db::Arg {
            fn from(v: Option<$name>) -> Self { crate::kernel::db::Arg::I64(v.map(|x| x.0)) }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{}", self.0) }
        }
    )*};
}

typed_id!(CorpId, MemberId, DeptId, TagId, AppId, AuditId, JobId);

/// A new unique 63-bit id: milliseconds since 2024 in the high bits, randomness below, so ids sort
/// roughly by creation and never collide across nodes in practice.
pub fn new_id(now_ms: i64) -> i64 {
    const EPOCH_2024_MS: i64 = 1_704_067_200_000;
    let ms = (now_ms - EPOCH_2024_MS).max(0) & ((1 << 41) - 1);
    let low: i64 = rand::rng().random_range(0..(1 << 22));
    (ms << 22) | low
}

/// A random URL-safe token of `bytes` bytes of entropy.
pub fn random_token(bytes: usize) -> String {
    use base64::Engine;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// SHA-256 in hex: how tokens and app secrets are stored.
pub fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}
