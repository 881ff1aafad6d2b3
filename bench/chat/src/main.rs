//! Chat load tool for Qixie: real WebSocket clients (`/api/v1/realtime`) against the release `qixie`
//! binary on a fresh data directory, measuring fan-out latency in a big group, accepted messages per
//! second, memory per idle connection and a reconnect storm, and checking throughout that every
//! client gets every event exactly once, in order, and that every acknowledged message is stored.
//!
//! Prints one table; exits 0 when every check held (a missed target is a measurement, not a failure),
//! 1 on a correctness failure, 2 when it could not run. See bench/README.md.
mod cpu;
mod fanout;
mod follower;
mod idle;
mod report;
mod setup;
mod storm;
mod throughput;
mod ws;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bench_common::server::{Installation, Server};
use bench_common::stats::{ms, secs};
use bench_common::{fresh_data_dir, load_average, locate_binary, today_utc};

use report::{Met, Report};
use setup::{ADMIN, ADMIN_PW, CORP_NAME, Rest, Sizes, World};

const USAGE: &str = "\
bench-chat: drives real WebSocket clients against the qixie binary and measures chat fan-out latency,
accepted messages per second, memory per idle connection and a reconnect storm.

Options:
  --qixie PATH            the qixie binary (default: target/release/qixie)
  --database-url URL      run on this PostgreSQL database (must be empty); SQLite when absent
  --quick                 small sizes for a quick run (each option below can still be given)
  --group-members N       members of the big group (default 2000; quick 200)
  --online N              of them connected during the fan-out (default 1000; quick 100)
  --messages N            messages per fan-out series (default 200; quick 50)
  --fanout-rate R         messages per second in the paced fan-out series (default 20)
  --fanout-window W       outstanding sends in the back-to-back series (default 1)
  --convs N               conversations in the throughput and storm phases (default 200; quick 20)
  --conv-members N        members of each (default 20; quick 10)
  --duration S            seconds of each throughput run (default 10; quick 3)
  --window W              outstanding sends per throughput sender (default 32)
  --no-crash              end the throughput run normally instead of killing the server (SIGKILL)
  --no-online-run         skip the second throughput run with all members online
  --idle N                idle connections (default 20000; quick 2000)
  --idle-no-resume        idle clients stop after hello instead of resuming their conversations
  --storm N               clients in the reconnect storm (default 5000; quick 500)
  --storm-messages N      messages into each conversation while they are away (default 20; quick 10)
  --only LIST             run only these phases: fanout,throughput,idle,storm
  --keep                  keep the data directory (SQLite database, server logs) afterwards
  -h, --help              this text";

struct Args {
    qixie: PathBuf,
    database_url: Option<String>,
    quick: bool,
    group_members: usize,
    online: usize,
    messages: usize,
    fanout_rate: f64,
    fanout_window: usize,
    convs: usize,
    conv_members: usize,
    duration: u64,
    window: usize,
    crash: bool,
    online_run: bool,
    idle: usize,
    idle_resume: bool,
    storm: usize,
    storm_messages: usize,
    phases: Vec<String>,
    keep: bool,
}

const PHASES: [&str; 4] = ["fanout", "throughput", "idle", "storm"];

fn parse_args() -> Result<Option<Args>> {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let quick = raw.iter().any(|a| a == "--quick");
    let pick = |full: usize, small: usize| if quick { small } else { full };
    let mut a = Args {
        qixie: PathBuf::from("target/release/qixie"),
        database_url: None,
        quick,
        group_members: pick(2000, 200),
        online: pick(1000, 100),
        messages: pick(200, 50),
        fanout_rate: 20.0,
        fanout_window: 1,
        convs: pick(200, 20),
        conv_members: pick(20, 10),
        duration: pick(10, 3) as u64,
        window: 32,
        crash: true,
        online_run: true,
        idle: pick(20_000, 2000),
        idle_resume: true,
        storm: pick(5000, 500),
        storm_messages: pick(20, 10),
        phases: PHASES.iter().map(|s| s.to_string()).collect(),
        keep: false,
    };
    let mut it = raw.into_iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        let mut value = || -> Result<String> {
            inline
                .clone()
                .or_else(|| it.next())
                .with_context(|| format!("{flag} needs a value"))
        };
        let number = |v: String| -> Result<usize> {
            v.replace(['_', ','], "")
                .parse()
                .with_context(|| format!("{flag} takes a number, not {v:?}"))
        };
        match flag.as_str() {
            "--qixie" => a.qixie = PathBuf::from(value()?),
            "--database-url" => a.database_url = Some(value()?),
            "--quick" => {}
            "--group-members" => a.group_members = number(value()?)?.max(2),
            "--online" => a.online = number(value()?)?.max(1),
            "--messages" => a.messages = number(value()?)?.max(1),
            "--fanout-rate" => {
                let v = value()?;
                a.fanout_rate = v
                    .parse()
                    .with_context(|| format!("--fanout-rate takes a number, not {v:?}"))?;
            }
            "--fanout-window" => a.fanout_window = number(value()?)?.max(1),
            "--convs" => a.convs = number(value()?)?.max(1),
            "--conv-members" => a.conv_members = number(value()?)?.max(2),
            "--duration" => a.duration = number(value()?)?.max(1) as u64,
            "--window" => a.window = number(value()?)?.max(1),
            "--no-crash" => a.crash = false,
            "--no-online-run" => a.online_run = false,
            "--idle" => a.idle = number(value()?)?.max(1),
            "--idle-no-resume" => a.idle_resume = false,
            "--storm" => a.storm = number(value()?)?.max(1),
            "--storm-messages" => a.storm_messages = number(value()?)?.max(1),
            "--only" => {
                let v = value()?;
                a.phases = v.split(',').map(|s| s.trim().to_owned()).collect();
                if let Some(p) = a.phases.iter().find(|p| !PHASES.contains(&p.as_str())) {
                    bail!("unknown phase {p:?}; phases: {}", PHASES.join(","));
                }
            }
            "--keep" => a.keep = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => bail!("unknown option {other}\n\n{USAGE}"),
        }
    }
    if a.online >= a.group_members {
        a.online = a.group_members - 1;
    }
    Ok(Some(a))
}

impl Args {
    fn runs(&self, phase: &str) -> bool {
        self.phases.iter().any(|p| p == phase)
    }
    fn engine(&self) -> &'static str {
        if self.database_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => return std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-chat: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    let mut report = Report::default();
    let outcome = run(&args, &mut report).await;
    let title = format!(
        "Qixie chat benchmark, {} UTC, {}, {} cores: group {} ({} online), {} conversations × {}, {} idle, storm {}{}",
        today_utc(),
        args.engine(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        args.group_members,
        args.online,
        args.convs,
        args.conv_members,
        args.idle,
        args.storm,
        if args.quick { " (--quick)" } else { "" }
    );
    if let Err(e) = &outcome {
        report.error("run", e);
    }
    report.print(&title, args.engine());
    if !report.failures.is_empty() {
        std::process::ExitCode::from(1)
    } else if !report.errors.is_empty() {
        std::process::ExitCode::from(2)
    } else {
        std::process::ExitCode::SUCCESS
    }
}

async fn run(args: &Args, report: &mut Report) -> Result<()> {
    let qixie = locate_binary(&args.qixie)?;
    let need = args.idle.max(args.storm).max(args.online) as u64 + 10_000;
    let (soft, hard) = raise_nofile(need);
    report.notes.push(format!(
        "Open files: RLIMIT_NOFILE raised to {soft} (hard {hard}) for the tool and, inherited, the server; client sockets spread over {} source addresses 127.0.0.2–{}; ephemeral ports {}.",
        ws::SOURCES,
        ws::source_address(ws::SOURCES - 1),
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join("–"))
            .unwrap_or_else(|_| "?".into())
    ));
    if soft < need {
        report.notes.push(format!(
            "RLIMIT_NOFILE could not be raised above {soft} (the hard limit; raising it needs CAP_SYS_RESOURCE, which this process lacks even as root), below the {need} this run would like; the idle phase is capped to fit."
        ));
    }
    let data_dir = fresh_data_dir("bench-chat")?;
    eprintln!("data directory: {}", data_dir.display());
    let result = run_in(args, qixie, data_dir.clone(), soft, report).await;
    if args.keep || result.is_err() {
        eprintln!("kept {}", data_dir.display());
    } else if let Err(e) = std::fs::remove_dir_all(&data_dir) {
        eprintln!("cannot remove {}: {e}", data_dir.display());
    }
    result
}

async fn run_in(
    args: &Args,
    qixie: PathBuf,
    data_dir: PathBuf,
    nofile: u64,
    report: &mut Report,
) -> Result<()> {
    let load_at_start = load_average();
    let install = Installation {
        qixie,
        data_dir,
        database_url: args.database_url.clone(),
        max_upload_bytes: None,
        fast_hash: true,
        // Senders here pipeline as fast as the server acknowledges, and members hold many sockets:
        // far beyond the per-member limits meant for people, which would cap the figures instead.
        env: vec![
            ("QIXIE_SEND_RATE_PER_SECOND".into(), "0".into()),
            ("QIXIE_WS_MAX_PER_SESSION".into(), "1000000".into()),
            ("QIXIE_WS_MAX_PER_MEMBER".into(), "1000000".into()),
        ],
    };
    report.notes.push(
        "The server ran with QIXIE_FAST_HASH=1 (cheap password hashing) so that thousands of members sign in quickly; no figure here times a sign-in.".into(),
    );
    report.notes.push(
        "The per-member send rate limit and socket limits were lifted (QIXIE_SEND_RATE_PER_SECOND=0, QIXIE_WS_MAX_PER_SESSION and QIXIE_WS_MAX_PER_MEMBER=1000000): the tool's senders and clients are far more than a person's.".into(),
    );
    let mut srv = install.serve("main")?;
    srv.wait_ready(Duration::from_secs(60)).await?;
    let rest = Rest::new(&srv.base)?;
    let status = rest
        .call(reqwest::Method::GET, "/api/v1/setup/status", None, None)
        .await?;
    if status["needs_setup"].as_bool() != Some(true) {
        bail!("the database already holds an enterprise; give a freshly created one");
    }
    // `qixie init` beside the running server: the same database, the same environment.
    let corp_id = install.init(CORP_NAME, ADMIN, ADMIN_PW)?;
    let t = Instant::now();
    let sizes = Sizes {
        group_members: if args.runs("fanout") {
            args.group_members
        } else {
            2
        },
        convs: args.convs,
        conv_members: args.conv_members,
    };
    let mut world = setup::build(&srv.base, &corp_id, &sizes).await?;
    world.refresh_last_seq(&rest).await?;
    report.notes.push(format!(
        "Set-up (not a figure): {} distinct members imported in one CSV, each given an initial password, signed in (`client: \"api\"`) and made to change it; a group of {} and {} conversations of {} created by members; {}.",
        world.members.len(),
        sizes.group_members,
        args.convs,
        args.conv_members,
        secs(t.elapsed())
    ));
    let mut port = srv.port;
    let mut rest = rest;

    if args.runs("fanout") {
        let o = fanout::Options {
            online: args.online,
            messages: args.messages,
            rate: args.fanout_rate,
            window: args.fanout_window,
        };
        match fanout::run(port, srv.pid, &world, &o, report).await {
            Ok(final_seq) => world.last_seq[world.group as usize] = final_seq,
            Err(e) => report.error("fan-out", &e),
        }
    }

    if args.runs("throughput") {
        match throughput_phase(args, &install, &mut srv, &mut world, report).await {
            Ok(()) => {}
            Err(e) => report.error("throughput", &e),
        }
        port = srv.port;
        rest = Rest::new(&srv.base)?;
        world.refresh_last_seq(&rest).await?;
    }

    if args.runs("idle") {
        // A fresh process, so memory freed by the earlier phases' connections (which the allocator
        // keeps and would hand to the new ones) does not hide part of the cost.
        srv.stop(Duration::from_secs(20))?;
        srv = install.serve("idle")?;
        srv.wait_ready(Duration::from_secs(120)).await?;
        port = srv.port;
        rest = Rest::new(&srv.base)?;
        if let Err(e) = idle::run(&srv, &world, args.idle, args.idle_resume, nofile, report).await {
            report.error("idle", &e);
        }
    }

    if args.runs("storm") {
        let o = storm::Options {
            clients: args.storm,
            messages: args.storm_messages,
            behind: 3,
        };
        if let Err(e) = storm::run(port, srv.pid, &rest, &mut world, &o, report).await {
            report.error("storm", &e);
        }
    }

    let mem = srv.memory()?;
    let (errors, last_error) = srv.errors();
    srv.stop(Duration::from_secs(20))?;
    report.notes.push(format!(
        "Server at the end: VmRSS {}, peak {}; {errors} ERROR lines in its log{}.",
        mem.rss_mib(),
        mem.peak_mib(),
        last_error.map_or(String::new(), |l| format!(", the last: {l}"))
    ));
    report.notes.push(format!(
        "Load average (1 min) when the run started: {load_at_start}; when it ended: {}. Server and load generator share the machine.",
        load_average()
    ));
    Ok(())
}

/// Run A: senders only, ended by SIGKILL of the server (unless --no-crash), a restart, and the check
/// that every acknowledged message survived. Run B: the same with every member online.
async fn throughput_phase(
    args: &Args,
    install: &Installation,
    srv: &mut Server,
    world: &mut World,
    report: &mut Report,
) -> Result<()> {
    let duration = Duration::from_secs(args.duration);
    let killing = Arc::new(AtomicBool::new(false));
    eprintln!(
        "throughput: {} senders, window {}, {} ...",
        world.small.len(),
        args.window,
        secs(duration)
    );
    let crash = args.crash;
    let run = {
        let killing = killing.clone();
        let srv = &mut *srv;
        throughput::run_once(
            'a',
            srv.port,
            srv.pid,
            world,
            args.window,
            duration,
            false,
            killing.clone(),
            async move || {
                if crash {
                    killing.store(true, Ordering::Relaxed);
                    srv.kill()?;
                }
                Ok(())
            },
        )
        .await?
    };
    if crash {
        *srv = install.serve("after-crash")?;
        let up = srv.wait_ready(Duration::from_secs(120)).await?;
        eprintln!(
            "  server killed at the end of the run and restarted in {}",
            ms(up)
        );
    }
    let rest = Rest::new(&srv.base)?;
    let (v, last) = throughput::verify(&rest, world, &run).await?;
    world.last_seq = last;
    check_verified(report, "throughput", &v, &run);
    let sqlite = args.database_url.is_none();
    let rate = run.rate();
    report.row(
        &format!(
            "Accepted messages/s, {} conversations × {} (others offline)",
            args.convs, args.conv_members
        ),
        if sqlite { "≥ 5,000/s" } else { "(≥ 5,000/s on SQLite)" },
        format!("{rate:.0}/s"),
        if !sqlite {
            Met::Info
        } else if rate >= 5000.0 {
            Met::Yes
        } else {
            Met::No
        },
        format!(
            "{}; window {} per sender; verified {}: {} acked messages all stored at their seq, seqs gap-free in {} conversations ({} events read in {}){}",
            throughput::describe(&run),
            args.window,
            if crash { "after SIGKILL of the server at the end of the run and a restart" } else { "after the run" },
            v.acked_found,
            v.convs,
            v.events,
            secs(v.took),
            if crash { format!("; {} more stored that were in flight at the kill (never acked)", v.stored_unacked) } else { String::new() }
        ),
    );

    if args.online_run {
        eprintln!("throughput with every member online ...");
        let run = throughput::run_once(
            'b',
            srv.port,
            srv.pid,
            world,
            args.window,
            duration,
            true,
            Arc::new(AtomicBool::new(false)),
            async || Ok(()),
        )
        .await?;
        let (v, last) = throughput::verify(&rest, world, &run).await?;
        check_verified(report, "throughput (online)", &v, &run);
        let (mut dups, mut gaps, mut behind, mut failed, mut received) = (0, 0, 0, 0, 0u64);
        let mut first_error = None;
        for r in &run.receivers {
            match r {
                Ok(f) => {
                    dups += f.holding.duplicates;
                    gaps += f.holding.gaps;
                    received += f.holding.received;
                    behind += f
                        .holding
                        .convs
                        .iter()
                        .map(|(c, s)| last[*c as usize].saturating_sub(*s))
                        .sum::<u64>();
                }
                Err(e) => {
                    failed += 1;
                    first_error.get_or_insert(format!("{e:#}"));
                }
            }
        }
        if dups + gaps + behind + failed > 0 {
            report.fail(format!(
                "throughput (online): {dups} duplicate deliveries, {gaps} gaps, {behind} events never delivered, {failed} receivers failed ({})",
                first_error.unwrap_or_default()
            ));
        }
        world.last_seq = last;
        report.row(
            "  … with the other members online",
            "-",
            format!("{:.0}/s", run.rate()),
            Met::Info,
            format!(
                "{}; {} receivers got {received} events ({:.0} deliveries/s over the run), each once and in order",
                throughput::describe(&run),
                run.receiver_count,
                received as f64 / duration.as_secs_f64()
            ),
        );
    }
    Ok(())
}

fn check_verified(
    report: &mut Report,
    what: &str,
    v: &throughput::Verified,
    run: &throughput::RunResult,
) {
    if v.acked_missing > 0 {
        report.fail(format!(
            "{what}: {} of {} acknowledged messages not found as acknowledged; first: {}",
            v.acked_missing,
            run.acked(),
            v.examples.join("; ")
        ));
    }
    if !v.seq_problems.is_empty() {
        report.fail(format!(
            "{what}: stored seqs not gap-free: {}",
            v.seq_problems.join("; ")
        ));
    }
    if v.duplicates > 0 {
        report.fail(format!(
            "{what}: {} client_ids stored more than once",
            v.duplicates
        ));
    }
    if !run.nacks().is_empty() {
        report.notes.push(format!(
            "{what}: {} sends were refused (nack), the first: {}",
            run.nacks().len(),
            run.nacks()[0]
        ));
    }
}

/// Raises RLIMIT_NOFILE to at least `want` (hard limit too, which needs privilege; otherwise the
/// soft limit goes up to the hard one). Returns the (soft, hard) now in force.
fn raise_nofile(want: u64) -> (u64, u64) {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) != 0 {
            return (0, 0);
        }
        let target = want.max(r.rlim_cur);
        if target > r.rlim_max {
            let up = libc::rlimit {
                rlim_cur: target,
                rlim_max: target,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &up) == 0 {
                return (target, target);
            }
        }
        let soft = libc::rlimit {
            rlim_cur: r.rlim_max.min(target.max(r.rlim_cur)),
            rlim_max: r.rlim_max,
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &soft) == 0 {
            return (soft.rlim_cur, soft.rlim_max);
        }
        (r.rlim_cur, r.rlim_max)
    }
}
