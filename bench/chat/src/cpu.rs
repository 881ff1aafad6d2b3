//! CPU time of the server and of this tool over a stretch of a run, from /proc/<pid>/stat, to say
//! which side of the shared machine a figure was waiting for.
use std::time::Instant;

pub struct Cpu {
    server: u32,
    started: Instant,
    server_at: f64,
    own_at: f64,
}

/// User plus system CPU seconds of a process so far (0 when it cannot be read).
fn seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // The command name may hold spaces; the fields after its closing parenthesis are fixed.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After ')': state is field 3 of the man page, utime 14 and stime 15.
    let ticks = |i: usize| {
        f.get(i - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    (ticks(14) + ticks(15)) / hz
}

impl Cpu {
    pub fn start(server: u32) -> Cpu {
        Cpu {
            server,
            started: Instant::now(),
            server_at: seconds(server),
            own_at: seconds(std::process::id()),
        }
    }

    /// "CPU: server 1.62 cores, tool 0.31 cores" over the time since `start`.
    pub fn finish(&self) -> String {
        let wall = self.started.elapsed().as_secs_f64().max(1e-9);
        let server = (seconds(self.server) - self.server_at) / wall;
        let own = (seconds(std::process::id()) - self.own_at) / wall;
        format!("CPU meanwhile: server {server:.2} cores, tool {own:.2} cores (of 2)")
    }
}
