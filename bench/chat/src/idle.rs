//! Phase 3, idle memory: the server's resident memory before and after `clients` connections have
//! connected, resumed their conversations and gone quiet (a `ping` every heartbeat, as the protocol
//! asks), divided by the number of connections.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use bench_common::server::{Server, own_memory};
use bench_common::stats::secs;
use serde_json::json;
use tokio::sync::{Semaphore, mpsc, watch};

use crate::report::{Met, Report};
use crate::setup::World;
use crate::ws::{self, CONNECT_CONCURRENCY, Holding};

#[allow(clippy::too_many_arguments)]
async fn idle_client(
    port: u16,
    token: String,
    n: usize,
    convs: Arc<ws::Convs>,
    mut holding: Holding,
    resume: bool,
    heartbeat: Duration,
    mut stop: watch::Receiver<bool>,
    ready: mpsc::Sender<Result<(), String>>,
    connecting: Arc<Semaphore>,
    dropped: Arc<AtomicU64>,
) {
    let setup = async {
        let _permit = connecting.acquire().await?;
        let mut ws = ws::connect(port, &token, n).await?;
        ws::hello(&mut ws).await?;
        if resume {
            ws::resume(&mut ws, &convs, &mut holding, Duration::from_secs(120)).await?;
        }
        anyhow::Ok(ws)
    };
    let mut ws = match setup.await {
        Ok(ws) => ws,
        Err(e) => {
            let _ = ready.send(Err(format!("{e:#}"))).await;
            return;
        }
    };
    let _ = ready.send(Ok(())).await;
    drop(ready);
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
    let ping = json!({"op": "ping"});
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            f = ws::recv(&mut ws) => match f {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => {
                    dropped.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            },
            _ = beat.tick() => {
                if ws::send(&mut ws, &ping).await.is_err() {
                    dropped.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        }
    }
    let _ = ws.close(None).await;
}

/// Resident memory of the server once it stops moving: sampled every second until two samples in a
/// row differ by less than 0.5 % (or 30 s have passed).
async fn settled_rss(srv: &Server) -> Result<u64> {
    let mut prev = srv.memory()?.rss_kib;
    let mut calm = 0;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = srv.memory()?.rss_kib;
        if now.abs_diff(prev) * 200 < prev.max(1) {
            calm += 1;
            if calm >= 2 {
                return Ok(now);
            }
        } else {
            calm = 0;
        }
        prev = now;
    }
    Ok(prev)
}

/// Open descriptors of a process.
fn open_fds(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count() as u64)
}

pub async fn run(
    srv: &Server,
    world: &World,
    requested: usize,
    resume: bool,
    nofile: u64,
    report: &mut Report,
) -> Result<()> {
    let port = srv.port;
    // Both processes need a descriptor per connection, and each has its own besides; keep a margin.
    let spare = open_fds(srv.pid).max(open_fds(std::process::id())) + 64;
    let fit = nofile.saturating_sub(spare) as usize;
    let clients = requested.min(fit).max(1);
    if clients < requested {
        report.notes.push(format!(
            "Idle phase: {clients} connections instead of {requested}: the open-file limit is {nofile} per process and cannot be raised here, and the server needs one descriptor per connection plus {} of its own (the tool likewise); the figure is per connection either way.",
            open_fds(srv.pid)
        ));
    }
    let before = settled_rss(srv).await?;
    let own_before = own_memory()?.rss_kib;
    let members = world.members.len();
    eprintln!(
        "idle: server at {:.1} MiB; connecting {clients} clients over {} members ...",
        before as f64 / 1024.0,
        members.min(clients)
    );
    let (stop_tx, stop_rx) = watch::channel(false);
    let (ready_tx, mut ready_rx) = mpsc::channel(1024);
    let connecting = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let dropped = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    // The protocol's heartbeat (25 s): idle clients still ping, or the server would close them.
    let heartbeat = Duration::from_secs(25);
    let tasks: Vec<_> = (0..clients)
        .map(|i| {
            let m = i % members;
            let holding = Holding::new(
                world.member_convs[m]
                    .iter()
                    .map(|c| (*c, world.last_seq[*c as usize]))
                    .collect(),
            );
            tokio::spawn(idle_client(
                port,
                world.members[m].token.clone(),
                i,
                world.convs.clone(),
                holding,
                resume,
                heartbeat,
                stop_rx.clone(),
                ready_tx.clone(),
                connecting.clone(),
                dropped.clone(),
            ))
        })
        .collect();
    drop(ready_tx);
    let mut ready = 0;
    let mut failed: Option<String> = None;
    while ready < clients {
        match ready_rx.recv().await {
            Some(Ok(())) => {
                ready += 1;
                if ready % 2000 == 0 {
                    eprintln!(
                        "  {ready}/{clients} connected ({})",
                        secs(started.elapsed())
                    );
                }
            }
            Some(Err(e)) => {
                failed = Some(e);
                break;
            }
            None => break,
        }
    }
    let connect_time = started.elapsed();
    let result = if let Some(e) = failed {
        Err(anyhow::anyhow!(
            "only {ready} of {clients} idle clients connected; a failure: {e}"
        ))
    } else if ready < clients {
        Err(anyhow::anyhow!(
            "only {ready} of {clients} idle clients connected"
        ))
    } else {
        Ok(())
    };
    let measured = async {
        result?;
        let after = settled_rss(srv).await?;
        let own = own_memory()?.rss_kib;
        let lost = dropped.load(Ordering::Relaxed);
        if lost > 0 {
            bail!("{lost} idle connections were closed by the server");
        }
        anyhow::Ok((after, own))
    }
    .await;
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    let (after, own) = measured?;
    let per = (after.saturating_sub(before)) as f64 / clients as f64;
    report.row(
        &format!("Idle: server memory per connection ({clients} clients)"),
        "< 20 KiB",
        format!("{per:.1} KiB"),
        if per < 20.0 { Met::Yes } else { Met::No },
        format!(
            "server VmRSS {:.1} → {:.1} MiB once settled (a server restarted for this phase); each client {} and pings every 25 s; {} distinct members ({:.1} connections each); all connected in {} ({:.0}/s, {} at a time); the tool itself {:.1} → {:.1} MiB ({:.1} KiB per client)",
            before as f64 / 1024.0,
            after as f64 / 1024.0,
            if resume {
                "resumed its 1–2 conversations"
            } else {
                "only received hello (no resume, --idle-no-resume)"
            },
            members.min(clients),
            clients as f64 / members.min(clients).max(1) as f64,
            secs(connect_time),
            clients as f64 / connect_time.as_secs_f64(),
            CONNECT_CONCURRENCY,
            own_before as f64 / 1024.0,
            own as f64 / 1024.0,
            own.saturating_sub(own_before) as f64 / clients as f64
        ),
    );
    Ok(())
}
