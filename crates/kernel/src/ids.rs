//! Typed identifiers. Each is an `i64` in storage and in JSON, and a distinct type in code, so a
//! member id cannot be passed where a department id belongs.
use rand::Rng;

macro_rules! typed_id {
    ($($name:ident),*) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, sqlx::Type)]
        #[sqlx(transparent)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl From<$name> for crate::db::Arg {
            fn from(v: $name) -> Self { crate::db::Arg::I64(Some(v.0)) }
        }
        impl From<Option<$name>> for crate::db::Arg {
            fn from(v: Option<$name>) -> Self { crate::db::Arg::I64(v.map(|x| x.0)) }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{}", self.0) }
        }
    )*};
}

typed_id!(
    CorpId, MemberId, DeptId, TagId, AppId, AuditId, JobId, ConvId, EventId
);

/// A new unique 63-bit id: 41 bits of milliseconds since 2024, 12 bits naming this process (random
/// at start, so nodes differ), 10 bits of sequence. Ids from one process strictly increase even when
/// many are made in the same millisecond (an import passes one `now` for every row): past 1,024 in a
/// millisecond the sequence borrows from the next one.
pub fn new_id(now_ms: i64) -> i64 {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicI64, Ordering};
    const EPOCH_2024_MS: i64 = 1_704_067_200_000;
    static LAST: AtomicI64 = AtomicI64::new(0);
    static NODE: OnceLock<i64> = OnceLock::new();
    let node = *NODE.get_or_init(|| rand::rng().random_range(0..(1 << 12)));
    let ms = (now_ms - EPOCH_2024_MS).max(0) & ((1 << 41) - 1);
    // The counter holds ms << 10 | sequence.
    let floor = ms << 10;
    let counter = match LAST.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |prev| {
        Some(floor.max(prev + 1))
    }) {
        Ok(prev) | Err(prev) => floor.max(prev + 1),
    };
    ((counter >> 10) << 22) | (node << 10) | (counter & 1023)
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

#[cfg(test)]
mod tests {
    #[test]
    fn ids_made_in_one_millisecond_are_unique_and_increasing() {
        let now = 1_790_000_000_000;
        let ids: Vec<i64> = (0..100_000).map(|_| super::new_id(now)).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert!(ids.iter().all(|i| *i > 0));
        // Later times still give larger ids.
        assert!(super::new_id(now + 10_000_000) > *ids.last().unwrap());
    }
}
