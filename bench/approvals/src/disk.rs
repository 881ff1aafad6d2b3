//! The disk beside the figures: how many flushes per second it completes (a write + fdatasync loop
//! in the data directory), and the flush requests the block device completed during a run
//! (`/proc/diskstats`, machine-wide for that device).
use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// fdatasync calls completed per second for 4 KiB appends to a file in `dir`, over `for_`.
pub fn fsync_rate(dir: &Path, for_: Duration) -> Result<f64> {
    let path = dir.join("fsync-probe");
    let mut f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    let block = [0x5au8; 4096];
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < for_ {
        f.write_all(&block)?;
        f.sync_data()?;
        n += 1;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    drop(f);
    let _ = std::fs::remove_file(&path);
    Ok(rate)
}

/// The /proc/diskstats line of the device holding `dir` (its whole disk when `dir` is on a
/// partition whose own line has no flush counters).
pub struct Device {
    major: u64,
    minor: u64,
    pub name: String,
}

impl Device {
    pub fn of(dir: &Path) -> Result<Device> {
        let dev = std::fs::metadata(dir)?.dev();
        let (major, minor) = (
            ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff),
            ((dev >> 12) & 0xffff_ff00) | (dev & 0xff),
        );
        let text = std::fs::read_to_string("/proc/diskstats")?;
        let name = text
            .lines()
            .find_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() > 3 && f[0] == major.to_string() && f[1] == minor.to_string())
                    .then(|| f[2].to_owned())
            })
            .unwrap_or_default();
        Ok(Device { major, minor, name })
    }

    /// Flush requests completed so far (the 16th field after the name; kernels from 5.5).
    pub fn flushes(&self) -> Option<u64> {
        let text = std::fs::read_to_string("/proc/diskstats").ok()?;
        text.lines().find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() >= 20 && f[0] == self.major.to_string() && f[1] == self.minor.to_string() {
                f[18].parse().ok()
            } else {
                None
            }
        })
    }
}
