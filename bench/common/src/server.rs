//! Running the real `qixie` binary: `qixie init`, then `qixie serve` on a free loopback port, with
//! a clean environment (only the variables set here), its log in the data directory.
use std::fs::OpenOptions;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

pub struct Installation {
    pub qixie: PathBuf,
    pub data_dir: PathBuf,
    /// PostgreSQL URL; SQLite in the data directory when None.
    pub database_url: Option<String>,
    /// QIXIE_MAX_UPLOAD_BYTES when the import file needs more than the default 20 MiB.
    pub max_upload_bytes: Option<usize>,
    /// QIXIE_FAST_HASH=1: cheap password hashing, for tools that sign thousands of members in and
    /// do not measure sign-in itself. Tools that time sign-ins leave it off.
    pub fast_hash: bool,
    /// Further QIXIE_* settings (a load tool lifts the per-member limits meant for people).
    pub env: Vec<(String, String)>,
}

impl Installation {
    fn command(&self) -> Command {
        let mut c = Command::new(&self.qixie);
        // The server refuses unknown QIXIE_* variables, and an inherited QIXIE_FAST_HASH would make
        // sign-in figures meaningless: start from none of them, and set it only when asked.
        for (k, _) in std::env::vars() {
            if k.starts_with("QIXIE_") {
                c.env_remove(k);
            }
        }
        c.env("QIXIE_DATA_DIR", &self.data_dir)
            .env("QIXIE_LOG", "warn")
            .env("NO_COLOR", "1");
        if let Some(url) = &self.database_url {
            c.env("QIXIE_DATABASE_URL", url);
        }
        if let Some(n) = self.max_upload_bytes {
            c.env("QIXIE_MAX_UPLOAD_BYTES", n.to_string());
        }
        if self.fast_hash {
            c.env("QIXIE_FAST_HASH", "1");
        }
        c.envs(self.env.iter().cloned());
        c
    }

    /// `qixie init`; returns the new enterprise's corp_id.
    pub fn init(&self, corp_name: &str, account: &str, password: &str) -> Result<String> {
        let out = self
            .command()
            .args([
                "init",
                "--corp-name",
                corp_name,
                "--admin-account",
                account,
                "--admin-password",
                password,
            ])
            .output()
            .with_context(|| format!("cannot run {}", self.qixie.display()))?;
        if !out.status.success() {
            bail!(
                "qixie init failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let line = String::from_utf8_lossy(&out.stdout);
        let v: serde_json::Value = serde_json::from_str(line.trim())
            .with_context(|| format!("qixie init printed something unexpected: {line}"))?;
        v["corp_id"]
            .as_str()
            .map(str::to_owned)
            .context("qixie init printed no corp_id")
    }

    /// Starts `qixie serve` and returns at once; see `Server::wait_ready`.
    pub fn serve(&self, label: &str) -> Result<Server> {
        let port = free_port()?;
        let log_path = self.data_dir.join(format!("server-{label}.log"));
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("cannot open {}", log_path.display()))?;
        let mut c = self.command();
        c.arg("serve")
            .env("QIXIE_LISTEN", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let spawned_at = Instant::now();
        let child = c
            .spawn()
            .with_context(|| format!("cannot start {}", self.qixie.display()))?;
        Ok(Server {
            pid: child.id(),
            child: Some(child),
            port,
            base: format!("http://127.0.0.1:{port}"),
            spawned_at,
            log_path,
        })
    }
}

/// A port the kernel just handed out; it is released before the server binds it (a small race no
/// other process on a quiet loopback is likely to win).
fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(l.local_addr()?.port())
}

pub struct Server {
    child: Option<Child>,
    pub pid: u32,
    /// The loopback port it listens on; `base` is `http://127.0.0.1:{port}`.
    pub port: u16,
    pub base: String,
    spawned_at: Instant,
    log_path: PathBuf,
}

/// Resident and peak resident memory of a process, in KiB, from /proc.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    pub rss_kib: u64,
    pub peak_kib: u64,
}

impl Memory {
    pub fn rss_mib(&self) -> String {
        format!("{:.1} MiB", self.rss_kib as f64 / 1024.0)
    }
    pub fn peak_mib(&self) -> String {
        format!("{:.1} MiB", self.peak_kib as f64 / 1024.0)
    }
}

impl Server {
    /// Polls /readyz until it answers 200; returns the time since the process was spawned.
    pub async fn wait_ready(&mut self, limit: Duration) -> Result<Duration> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .pool_max_idle_per_host(0)
            .build()?;
        let url = format!("{}/readyz", self.base);
        loop {
            if let Ok(r) = http.get(&url).send().await
                && r.status().is_success()
            {
                return Ok(self.spawned_at.elapsed());
            }
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!(
                    "qixie serve exited ({status}) before it was ready:\n{}",
                    self.log_tail()
                );
            }
            if self.spawned_at.elapsed() > limit {
                bail!(
                    "qixie serve was not ready after {limit:?}:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    pub fn memory(&self) -> Result<Memory> {
        read_memory(self.pid)
    }

    /// Asks the server to stop (SIGINT, which it handles gracefully), killing it if it has not
    /// gone within `grace`.
    pub fn stop(&mut self, grace: Duration) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let _ = Command::new("kill")
            .args(["-INT", &self.pid.to_string()])
            .status();
        let until = Instant::now() + grace;
        while Instant::now() < until {
            if child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill().context("cannot kill qixie serve")?;
        child.wait()?;
        Ok(())
    }

    /// Kills the server at once (SIGKILL), as a crash would: nothing is flushed or shut down.
    pub fn kill(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().context("cannot kill qixie serve")?;
            child.wait()?;
        }
        Ok(())
    }

    /// The number of ERROR lines in the server log so far, and the last one.
    pub fn errors(&self) -> (usize, Option<String>) {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let errors: Vec<&str> = text.lines().filter(|l| l.contains("ERROR")).collect();
        let last = errors.last().map(|l| strip_ansi(l).trim().to_owned());
        (errors.len(), last)
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    pub fn log_tail(&self) -> String {
        tail(&self.log_path, 20)
    }

    /// The last ERROR line of the server log, for reporting an internal error.
    pub fn last_error(&self) -> Option<String> {
        let text = std::fs::read_to_string(&self.log_path).ok()?;
        text.lines()
            .rev()
            .find(|l| l.contains("ERROR"))
            .map(|l| strip_ansi(l).trim().to_owned())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Never leave a server behind, whatever went wrong.
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// VmRSS and VmHWM of this process (the benchmark tool itself).
pub fn own_memory() -> Result<Memory> {
    read_memory(std::process::id())
}

pub fn read_memory(pid: u32) -> Result<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status"))?;
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    Ok(Memory {
        rss_kib: field("VmRSS:"),
        peak_kib: field("VmHWM:"),
    })
}

/// Removes terminal colour sequences (ESC [ … m).
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
