//! Phase 4, reconnect storm: `clients` connections follow their conversations, note the last seq
//! they hold, and all disconnect; messages are sent into those conversations while they are away;
//! then all of them reconnect at the same moment and `resume`. The figure is the time until every
//! client holds exactly the expected events (each once, in order), connection retries included.
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bench_common::stats::{Samples, ms, secs};
use futures_util::StreamExt;
use serde_json::json;
use tokio::sync::{Semaphore, mpsc, watch};

use crate::follower::{self, Ctl, Follower};
use crate::report::{Met, Report};
use crate::setup::{Rest, World};
use crate::ws::{self, CONNECT_CONCURRENCY, Holding};

pub struct Options {
    pub clients: usize,
    /// Messages sent into each followed conversation while the clients are away.
    pub messages: usize,
    /// How far behind each client resumes when it first connects (its resume is checked too).
    pub behind: u64,
}

/// How long a client of the storm keeps trying before it counts as lost.
const GIVE_UP: Duration = Duration::from_secs(60);

struct Outcome {
    holding: Holding,
    /// When the last attempt's upgrade completed, its `resumed` arrived, and all was held.
    upgraded: Option<Instant>,
    resumed: Option<Instant>,
    done: Option<Instant>,
    attempts: u32,
    resyncs: u64,
    last_error: Option<String>,
}

/// One client of the storm: waits for the signal, then connects (retrying as a real client would),
/// resumes from what it holds, and reads until it holds every conversation up to `finals`.
async fn reconnect(
    port: u16,
    token: String,
    n: usize,
    convs: Arc<ws::Convs>,
    mut holding: Holding,
    finals: Arc<Vec<u64>>,
    mut go: watch::Receiver<bool>,
) -> Outcome {
    let mut out = Outcome {
        holding: Holding::default(),
        upgraded: None,
        resumed: None,
        done: None,
        attempts: 0,
        resyncs: 0,
        last_error: None,
    };
    while !*go.borrow_and_update() {
        if go.changed().await.is_err() {
            out.holding = holding;
            return out;
        }
    }
    let deadline = tokio::time::Instant::now() + GIVE_UP;
    let mut backoff = Duration::from_millis(100);
    while tokio::time::Instant::now() < deadline {
        out.attempts += 1;
        let (mut upgraded, mut resumed) = (None, None);
        let attempt = async {
            let mut ws = ws::connect(port, &token, n).await?;
            upgraded = Some(Instant::now());
            ws::hello(&mut ws).await?;
            ws::resume(&mut ws, &convs, &mut holding, GIVE_UP).await?;
            resumed = Some(Instant::now());
            while !holding.complete(&finals) {
                let Some((_, v)) = ws::recv(&mut ws).await? else {
                    bail!("closed before every event had arrived");
                };
                match ws::kind(&v) {
                    "event" => {
                        holding.take(&convs, &v);
                    }
                    "resync" => {
                        out.resyncs += 1;
                        bail!("resync");
                    }
                    _ => {}
                }
            }
            let done = Instant::now();
            let _ = ws.close(None).await;
            anyhow::Ok(done)
        };
        let result = tokio::time::timeout_at(deadline, attempt).await;
        out.upgraded = upgraded;
        out.resumed = resumed;
        match result {
            Ok(Ok(done)) => {
                out.done = Some(done);
                break;
            }
            Ok(Err(e)) => {
                out.last_error = Some(format!("{e:#}"));
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
            Err(_) => {
                out.last_error = Some(format!("not caught up after {GIVE_UP:?}"));
                break;
            }
        }
    }
    out.holding = holding;
    out
}

pub async fn run(
    port: u16,
    server_pid: u32,
    rest: &Rest,
    world: &mut World,
    o: &Options,
    report: &mut Report,
) -> Result<()> {
    let members = world.members.len();
    let clients = o.clients;
    eprintln!(
        "storm: {clients} clients over {} members connect and resume ...",
        members.min(clients)
    );

    // 1. Connect, resume from a little behind (checked), note what each holds, disconnect.
    let (ctl_tx, ctl_rx) = watch::channel(Ctl::Running);
    let (ready_tx, mut ready_rx) = mpsc::channel(1024);
    let connecting = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let mut handles = Vec::with_capacity(clients);
    for i in 0..clients {
        let m = i % members;
        let holding = Holding::new(
            world.member_convs[m]
                .iter()
                .map(|c| (*c, world.last_seq[*c as usize].saturating_sub(o.behind)))
                .collect(),
        );
        let f = Follower {
            port,
            token: world.members[m].token.clone(),
            n: i,
            convs: world.convs.clone(),
            holding,
            record: 0,
        };
        handles.push(tokio::spawn(f.run(
            ctl_rx.clone(),
            ready_tx.clone(),
            connecting.clone(),
        )));
    }
    drop(ready_tx);
    let _ = ctl_tx.send(Ctl::Final(Arc::new(world.last_seq.clone())));
    follower::wait_ready(&mut ready_rx, clients, "storm (first connection)").await?;
    let first = follower::collect(handles, &ctl_tx, Duration::from_secs(60)).await;
    let mut held = Vec::with_capacity(clients);
    let mut first_received = 0;
    for (i, r) in first.into_iter().enumerate() {
        let f = r.with_context(|| format!("storm client {i} before the storm"))?;
        let expected: u64 = f
            .holding
            .convs
            .iter()
            .map(|(c, _)| world.last_seq[*c as usize].min(o.behind))
            .sum();
        if f.holding.violations() > 0 || f.holding.received != expected {
            report.fail(format!(
                "storm: client {i}'s first resume brought {} events ({} duplicates, {} gaps), expected {expected}",
                f.holding.received, f.holding.duplicates, f.holding.gaps
            ));
        }
        first_received += f.holding.received;
        held.push(Holding::new(f.holding.convs.clone()));
    }
    eprintln!("  all {clients} resumed ({first_received} events) and disconnected");

    // 2. While they are away: messages into every conversation they follow (REST, by the creator).
    let followed: Vec<u32> = {
        let mut v: Vec<u32> = held
            .iter()
            .flat_map(|h| h.convs.iter().map(|(c, _)| *c))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let t = Instant::now();
    let posts = followed.iter().flat_map(|&c| (0..o.messages).map(move |k| (c, k))).map(|(c, k)| {
        let rest = rest.clone();
        let token = world.members[world.conv_members[c as usize][0]].token.clone();
        let path = format!("/api/v1/chat/conversations/{}/messages", world.convs.id(c));
        async move {
            let e = rest
                .post(
                    &path,
                    &token,
                    &json!({"type": "text", "text": format!("离线期间的消息 {k}"), "client_id": format!("s{c}-{k}")}),
                )
                .await?;
            anyhow::Ok((c, e["seq"].as_u64().unwrap_or(0)))
        }
    });
    let sent: Vec<Result<(u32, u64)>> = futures_util::stream::iter(posts)
        .buffer_unordered(64)
        .collect()
        .await;
    let mut finals = world.last_seq.clone();
    for r in sent {
        let (c, seq) = r.context("sending while the storm clients were away")?;
        finals[c as usize] = finals[c as usize].max(seq);
    }
    let expected: u64 = held
        .iter()
        .map(|h| {
            h.convs
                .iter()
                .map(|(c, s)| finals[*c as usize] - s)
                .sum::<u64>()
        })
        .sum();
    eprintln!(
        "  sent {} messages into {} conversations in {}; {expected} deliveries expected",
        followed.len() * o.messages,
        followed.len(),
        secs(t.elapsed())
    );

    // 3. All at once.
    let finals = Arc::new(finals);
    let (go_tx, go_rx) = watch::channel(false);
    let tasks: Vec<_> = held
        .into_iter()
        .enumerate()
        .map(|(i, h)| {
            let m = i % members;
            tokio::spawn(reconnect(
                port,
                world.members[m].token.clone(),
                i,
                world.convs.clone(),
                h,
                finals.clone(),
                go_rx.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let overflows_before = listen_overflows();
    let cpu = crate::cpu::Cpu::start(server_pid);
    let go = Instant::now();
    let _ = go_tx.send(true);
    let mut outcomes = Vec::with_capacity(clients);
    for t in tasks {
        outcomes.push(t.await.context("a storm client task failed")?);
    }
    let cpu = cpu.finish();
    let mut times = Samples::default();
    let (mut upgrades, mut resumes) = (Samples::default(), Samples::default());
    let (mut lost_clients, mut received, mut dups, mut gaps, mut retries, mut resyncs) =
        (0, 0, 0, 0, 0, 0);
    let mut last_done = go;
    let mut example = None;
    for (i, o) in outcomes.iter().enumerate() {
        received += o.holding.received;
        dups += o.holding.duplicates;
        gaps += o.holding.gaps;
        retries += o.attempts.saturating_sub(1) as u64;
        resyncs += o.resyncs;
        if let Some(u) = o.upgraded {
            upgrades.push(u - go);
        }
        if let Some(r) = o.resumed {
            resumes.push(r - go);
        }
        match o.done {
            Some(d) => {
                times.push(d - go);
                last_done = last_done.max(d);
            }
            None => {
                lost_clients += 1;
                example.get_or_insert_with(|| {
                    format!("client {i}: {}", o.last_error.clone().unwrap_or_default())
                });
            }
        }
    }
    if lost_clients > 0 || dups > 0 || gaps > 0 || received != expected {
        report.fail(format!(
            "storm: {lost_clients} of {clients} clients did not catch up ({}); {received} events received of {expected} expected, {dups} duplicates, {gaps} gaps",
            example.unwrap_or_else(|| "–".into())
        ));
    }
    let all = last_done - go;
    let met = lost_clients == 0 && all < Duration::from_secs(10);
    report.row(
        &format!("Reconnect storm: {clients} clients at once"),
        "all caught up < 10 s",
        if lost_clients == 0 { secs(all) } else { format!("{lost_clients} lost") },
        if met { Met::Yes } else { Met::No },
        format!(
            "{received} events received of {expected} expected ({} messages into each of {} conversations while away), {dups} duplicates, {gaps} gaps; per client p50 / p99 {}, max {} (upgraded {}, resumed {}); {retries} connection retries, {resyncs} resyncs{}; {cpu}",
            o.messages,
            followed.len(),
            times.p50_p99(),
            ms(times.max()),
            upgrades.p50_p99(),
            resumes.p50_p99(),
            listen_note(overflows_before)
        ),
    );
    world.last_seq = finals.to_vec();
    Ok(())
}

/// The kernel's count of connections dropped because a listen queue was full (TcpExt
/// ListenOverflows in /proc/net/netstat), machine-wide.
fn listen_overflows() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/net/netstat").ok()?;
    let mut lines = text.lines();
    while let (Some(names), Some(values)) = (lines.next(), lines.next()) {
        if !names.starts_with("TcpExt:") {
            continue;
        }
        let i = names
            .split_whitespace()
            .position(|n| n == "ListenOverflows")?;
        return values.split_whitespace().nth(i)?.parse().ok();
    }
    None
}

fn listen_note(before: Option<u64>) -> String {
    match (before, listen_overflows()) {
        (Some(b), Some(a)) if a > b => format!(
            "; the kernel dropped {} connection attempts on a full listen queue meanwhile (retried by TCP after 1 s)",
            a - b
        ),
        (Some(_), Some(_)) => "; no listen-queue overflow".into(),
        _ => String::new(),
    }
}
