//! Serde helpers shared by the API types.
use serde::Serializer;

/// 64-bit ids go to JavaScript as strings, which cannot hold them as numbers.
pub fn id_as_string<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_string())
}

/// A column holding JSON text, emitted as JSON.
pub fn json_text<S: Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    match v.as_deref().map(serde_json::from_str::<serde_json::Value>) {
        Some(Ok(j)) => j.serialize(s),
        _ => s.serialize_none(),
    }
}

/// Comma-separated text to a list.
pub fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

pub fn split_ids(s: &str) -> Vec<i64> {
    s.split(',').filter_map(|x| x.trim().parse().ok()).collect()
}

pub fn join_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}
