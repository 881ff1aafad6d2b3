//! What the benchmark tools under `bench/` share: running the real `qixie` binary on a fresh data
//! directory (`server`), a signed-in HTTP client (`client`), latency percentiles (`stats`), and a
//! few facts about the machine for the notes under each table.
pub mod client;
pub mod server;
pub mod stats;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};

/// The binary as given, or relative to the workspace root when run from elsewhere.
pub fn locate_binary(given: &Path) -> Result<PathBuf> {
    let candidates = [
        given.to_path_buf(),
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(given),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .map(|p| p.canonicalize().unwrap_or_else(|_| p.clone()))
        .with_context(|| {
            format!(
                "no qixie binary at {}: build it with `cargo build --release -p qixie` or pass --qixie",
                given.display()
            )
        })
}

/// A fresh directory under the system temporary directory, named after the tool, this process and
/// the time.
pub fn fresh_data_dir(tool: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "qixie-{tool}-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// The one-minute load average from /proc/loadavg, as text ("?" where unavailable).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// Today's date (UTC) as YYYY-MM-DD, from the days since 1970 (Howard Hinnant's civil-from-days).
pub fn today_utc() -> String {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_date_shape() {
        let d = today_utc();
        assert_eq!(d.len(), 10);
        assert!(d.starts_with("20"));
    }
}
