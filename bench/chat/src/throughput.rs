//! Phase 2, throughput: one sender connection per small conversation pipelines `send` ops (a window
//! of outstanding refs) for a fixed time; accepted messages are the `ack`s, which the server sends
//! only after the commit. Afterwards every acknowledged message is looked up in the conversation's
//! stored events (`GET …/events?after=`), which must also be free of holes.
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use bench_common::stats::{Samples, secs};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use crate::follower::{self, Ctl, Followed, Follower};
use crate::setup::{Rest, SETUP_CONCURRENCY, World};
use crate::ws::{self, CONNECT_CONCURRENCY, Holding};

/// How long senders wait for the acks still outstanding when the time is up.
const DRAIN: Duration = Duration::from_secs(20);

/// One acknowledged message: ref number, seq and event id from the ack, ack latency.
pub struct Acked {
    pub n: u64,
    pub seq: u64,
    pub id: String,
}

pub struct SenderOut {
    pub conv: u32,
    pub sent: u64,
    pub acked: Vec<Acked>,
    pub in_window: u64,
    pub latency: Vec<Duration>,
    pub nacks: Vec<String>,
    /// Sends never answered (in flight when the server was killed, or not answered in time).
    pub unanswered: u64,
    /// Why the connection ended early, if it did.
    pub ended: Option<String>,
}

/// The client_id of message `n` of run `run` in conversation `c`: unique across runs.
pub fn client_id(run: char, c: u32, n: u64) -> String {
    format!("{run}{c}-{n}")
}

fn op(run: char, conv: &str, c: u32, n: u64) -> Value {
    json!({"op": "send", "ref": n.to_string(), "conv": conv,
           "msg": {"type": "text", "client_id": client_id(run, c, n),
                   "text": format!("吞吐测试 {c}-{n}：今天下午三点在三楼会议室开项目周会，请准时参加。")}})
}

#[allow(clippy::too_many_arguments)]
async fn sender(
    run: char,
    port: u16,
    token: String,
    conn: usize,
    world_convs: Arc<ws::Convs>,
    c: u32,
    base: u64,
    window: usize,
    mut go: watch::Receiver<Option<tokio::time::Instant>>,
    ready: mpsc::Sender<Result<(), String>>,
    connecting: Arc<Semaphore>,
) -> Result<SenderOut> {
    let conv = world_convs.id(c).to_owned();
    let setup = async {
        let _permit = connecting.acquire().await?;
        let mut ws = ws::connect(port, &token, conn).await?;
        ws::hello(&mut ws).await?;
        let mut h = Holding::new(vec![(c, base)]);
        ws::resume(&mut ws, &world_convs, &mut h, Duration::from_secs(120)).await?;
        anyhow::Ok(ws)
    };
    let mut ws = match setup.await {
        Ok(ws) => ws,
        Err(e) => {
            let _ = ready.send(Err(format!("{e:#}"))).await;
            return Err(e);
        }
    };
    let _ = ready.send(Ok(())).await;
    drop(ready);
    let end = loop {
        if let Some(end) = *go.borrow_and_update() {
            break end;
        }
        go.changed()
            .await
            .map_err(|_| anyhow!("the run was abandoned"))?;
    };
    let mut out = SenderOut {
        conv: c,
        sent: 0,
        acked: Vec::with_capacity(4096),
        in_window: 0,
        latency: Vec::with_capacity(4096),
        nacks: Vec::new(),
        unanswered: 0,
        ended: None,
    };
    let mut outstanding: HashMap<u64, Instant> = HashMap::with_capacity(window * 2);
    let mut next = 0u64;
    loop {
        let now = tokio::time::Instant::now();
        if now < end {
            let mut fed = false;
            while outstanding.len() < window {
                let msg = Message::text(op(run, &conv, c, next).to_string());
                if let Err(e) = ws.feed(msg).await {
                    out.ended = Some(format!("writing: {e}"));
                    break;
                }
                outstanding.insert(next, Instant::now());
                next += 1;
                out.sent += 1;
                fed = true;
            }
            if out.ended.is_some() {
                break;
            }
            if fed && let Err(e) = ws.flush().await {
                out.ended = Some(format!("writing: {e}"));
                break;
            }
        } else if outstanding.is_empty() {
            break;
        }
        let deadline = if now < end { end } else { end + DRAIN };
        let f = match tokio::time::timeout_at(deadline, ws::recv(&mut ws)).await {
            Err(_) if now < end => continue,
            Err(_) => break,
            Ok(Err(e)) => {
                out.ended = Some(format!("{e:#}"));
                break;
            }
            Ok(Ok(None)) => {
                out.ended = Some("the server closed the connection".into());
                break;
            }
            Ok(Ok(Some(f))) => f,
        };
        let (at, v) = f;
        let kind = ws::kind(&v);
        if kind != "ack" && kind != "nack" {
            continue;
        }
        let Some(n) = ws::ref_of(&v["ref"]) else {
            bail!("an {kind} with a ref this tool never sent: {v}");
        };
        let Some(sent_at) = outstanding.remove(&n) else {
            bail!("a second {kind} for ref {n}: {v}");
        };
        if kind == "nack" {
            out.nacks.push(v["error"].to_string());
            continue;
        }
        out.latency.push(at.saturating_duration_since(sent_at));
        if tokio::time::Instant::from_std(at) <= end {
            out.in_window += 1;
        }
        out.acked.push(Acked {
            n,
            seq: v["event"]["seq"].as_u64().unwrap_or(0),
            id: v["event"]["id"].as_str().unwrap_or("").to_owned(),
        });
    }
    out.unanswered = outstanding.len() as u64;
    let _ = ws.close(None).await;
    Ok(out)
}

pub struct RunResult {
    /// CPU use of the server and the tool during the timed window.
    pub cpu: String,
    /// The letter that starts this run's client_ids.
    pub run: char,
    pub senders: Vec<SenderOut>,
    pub duration: Duration,
    /// Receivers' holdings (online run only).
    pub receivers: Vec<Result<Followed>>,
    pub receiver_count: usize,
}

impl RunResult {
    pub fn acked_in_window(&self) -> u64 {
        self.senders.iter().map(|s| s.in_window).sum()
    }
    pub fn rate(&self) -> f64 {
        self.acked_in_window() as f64 / self.duration.as_secs_f64()
    }
    pub fn latency(&self) -> Samples {
        let mut s = Samples::default();
        for o in &self.senders {
            for d in &o.latency {
                s.push(*d);
            }
        }
        s
    }
    pub fn sent(&self) -> u64 {
        self.senders.iter().map(|s| s.sent).sum()
    }
    pub fn acked(&self) -> u64 {
        self.senders.iter().map(|s| s.acked.len() as u64).sum()
    }
    pub fn nacks(&self) -> Vec<&String> {
        self.senders.iter().flat_map(|s| s.nacks.iter()).collect()
    }
    pub fn unanswered(&self) -> u64 {
        self.senders.iter().map(|s| s.unanswered).sum()
    }
    /// The highest acked seq of each conversation (others as in `last_seq`).
    pub fn finals(&self, last_seq: &[u64]) -> Vec<u64> {
        let mut f = last_seq.to_vec();
        for s in &self.senders {
            for a in &s.acked {
                let slot = &mut f[s.conv as usize];
                *slot = (*slot).max(a.seq);
            }
        }
        f
    }
}

/// One timed run. With `online`, the other members of every conversation are connected and
/// following; `at_end` runs the moment the time is up (the crash test kills the server there).
pub async fn run_once(
    run: char,
    port: u16,
    server_pid: u32,
    world: &World,
    window: usize,
    duration: Duration,
    online: bool,
    killing: Arc<AtomicBool>,
    at_end: impl AsyncFnOnce() -> Result<()>,
) -> Result<RunResult> {
    let connecting = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let (ready_tx, mut ready_rx) = mpsc::channel(world.small.len() + 1);
    let (ctl_tx, ctl_rx) = watch::channel(Ctl::Running);
    let mut receivers: Vec<JoinHandle<Result<Followed>>> = Vec::new();
    if online {
        let (rtx, mut rrx) = mpsc::channel(1024);
        for &c in &world.small {
            for (k, m) in world.conv_members[c as usize].iter().enumerate().skip(1) {
                let f = Follower {
                    port,
                    token: world.members[*m].token.clone(),
                    n: receivers.len() + k,
                    convs: world.convs.clone(),
                    holding: Holding::new(vec![(c, world.last_seq[c as usize])]),
                    record: 0,
                };
                receivers.push(tokio::spawn(f.run(
                    ctl_rx.clone(),
                    rtx.clone(),
                    connecting.clone(),
                )));
            }
        }
        drop(rtx);
        let count = receivers.len();
        if let Err(e) = follower::wait_ready(&mut rrx, count, "throughput receivers").await {
            let _ = ctl_tx.send(Ctl::Stop);
            return Err(e);
        }
        eprintln!("  {count} receivers connected");
    }
    let (go_tx, go_rx) = watch::channel(None);
    let senders: Vec<JoinHandle<Result<SenderOut>>> = world
        .small
        .iter()
        .enumerate()
        .map(|(k, &c)| {
            let token = world.members[world.conv_members[c as usize][0]]
                .token
                .clone();
            tokio::spawn(sender(
                run,
                port,
                token,
                100_000 + k,
                world.convs.clone(),
                c,
                world.last_seq[c as usize],
                window,
                go_rx.clone(),
                ready_tx.clone(),
                connecting.clone(),
            ))
        })
        .collect();
    drop(ready_tx);
    follower::wait_ready(&mut ready_rx, world.small.len(), "throughput senders").await?;
    let start = tokio::time::Instant::now();
    let end = start + duration;
    let cpu = crate::cpu::Cpu::start(server_pid);
    let _ = go_tx.send(Some(end));
    tokio::time::sleep_until(end).await;
    let cpu = cpu.finish();
    at_end().await?;
    let mut outs = Vec::with_capacity(senders.len());
    for h in senders {
        match h.await {
            Ok(Ok(o)) => outs.push(o),
            Ok(Err(e)) => bail!("a sender failed: {e:#}"),
            Err(e) => bail!("a sender task failed: {e}"),
        }
    }
    if !killing.load(Ordering::Relaxed)
        && let Some(e) = outs.iter().find_map(|o| o.ended.clone())
    {
        bail!("a sender's connection ended during the run: {e}");
    }
    let mut result = RunResult {
        cpu,
        run,
        senders: outs,
        duration,
        receivers: Vec::new(),
        receiver_count: receivers.len(),
    };
    if online {
        let finals = result.finals(&world.last_seq);
        let _ = ctl_tx.send(Ctl::Final(Arc::new(finals)));
        result.receivers = follower::collect(receivers, &ctl_tx, Duration::from_secs(30)).await;
    }
    Ok(result)
}

/// What the stored events of the small conversations say about a run's acks.
#[derive(Default)]
pub struct Verified {
    pub convs: usize,
    pub events: u64,
    /// Acked messages found at their seq with their id and client_id.
    pub acked_found: u64,
    /// Acked messages missing or different: a broken promise (and the first few, described).
    pub acked_missing: u64,
    pub examples: Vec<String>,
    /// Holes or repeats in the stored seqs.
    pub seq_problems: Vec<String>,
    /// Messages of this run stored although never acked (in flight when the server was killed).
    pub stored_unacked: u64,
    /// A client_id of this run stored twice (each is sent once).
    pub duplicates: u64,
    pub took: Duration,
}

/// Reads every small conversation's events from seq 1 and checks them against the acks.
pub async fn verify(rest: &Rest, world: &World, run: &RunResult) -> Result<(Verified, Vec<u64>)> {
    let started = Instant::now();
    let by_conv: HashMap<u32, &SenderOut> = run.senders.iter().map(|s| (s.conv, s)).collect();
    let jobs = world.small.iter().map(|&c| {
        let rest = rest.clone();
        let token = world.members[world.conv_members[c as usize][0]]
            .token
            .clone();
        let id = world.convs.id(c).to_owned();
        async move { anyhow::Ok((c, read_all(&rest, &token, &id).await?)) }
    });
    // Each conversation is checked as it arrives, so only a few are held at once.
    let mut stored = futures_util::stream::iter(jobs).buffer_unordered(SETUP_CONCURRENCY);
    let mut v = Verified::default();
    let mut last = world.last_seq.clone();
    while let Some(r) = stored.next().await {
        let (c, items) = r?;
        v.convs += 1;
        v.events += items.len() as u64;
        let mut at_seq: HashMap<u64, &Value> = HashMap::with_capacity(items.len());
        let mut expect = 1;
        let mut ids: HashMap<&str, u32> = HashMap::new();
        for e in &items {
            let seq = e["seq"].as_u64().unwrap_or(0);
            if seq != expect && v.seq_problems.len() < 10 {
                v.seq_problems.push(format!(
                    "conversation {}: seq {seq} where {expect} was expected",
                    world.convs.id(c)
                ));
            }
            expect = seq + 1;
            at_seq.insert(seq, e);
            if let Some(cid) = e["client_id"].as_str() {
                *ids.entry(cid).or_default() += 1;
            }
        }
        last[c as usize] = last[c as usize].max(expect - 1);
        let own = format!("{}{c}-", run.run);
        v.duplicates += ids
            .iter()
            .filter(|(k, n)| **n > 1 && k.starts_with(&own))
            .count() as u64;
        let Some(s) = by_conv.get(&c) else { continue };
        let mut acked_ids = std::collections::HashSet::with_capacity(s.acked.len());
        for a in &s.acked {
            let cid = client_id(run.run, c, a.n);
            let ok = at_seq.get(&a.seq).is_some_and(|e| {
                e["client_id"].as_str() == Some(cid.as_str())
                    && (a.id.is_empty() || e["id"].as_str() == Some(a.id.as_str()))
            });
            if ok {
                v.acked_found += 1;
                acked_ids.insert(cid);
                continue;
            }
            v.acked_missing += 1;
            if v.examples.len() < 10 {
                v.examples.push(format!(
                    "conversation {}: ack for ref {} said seq {} id {}, stored there: {}",
                    world.convs.id(c),
                    a.n,
                    a.seq,
                    a.id,
                    at_seq.get(&a.seq).map_or("nothing".into(), |e| format!(
                        "client_id {} id {}",
                        e["client_id"], e["id"]
                    ))
                ));
            }
            acked_ids.insert(cid);
        }
        let prefix = format!("{}{c}-", run.run);
        v.stored_unacked += ids
            .keys()
            .filter(|k| k.starts_with(&prefix) && !acked_ids.contains(**k))
            .count() as u64;
    }
    v.took = started.elapsed();
    Ok((v, last))
}

/// All events of a conversation, 200 a page.
async fn read_all(rest: &Rest, token: &str, id: &str) -> Result<Vec<Value>> {
    let mut out: Vec<Value> = Vec::new();
    let mut after = 0;
    loop {
        let page = rest
            .get(
                &format!("/api/v1/chat/conversations/{id}/events?after={after}&limit=200"),
                token,
            )
            .await?;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            break;
        }
        after = items
            .last()
            .and_then(|e| e["seq"].as_u64())
            .unwrap_or(after + 1);
        out.extend(items);
        if page["last_seq"].as_u64().is_some_and(|l| after >= l) {
            break;
        }
    }
    Ok(out)
}

pub fn describe(run: &RunResult) -> String {
    let lat = run.latency();
    format!(
        "{} acks in {} ({} sent, {} acked in all, {} refused, {} unanswered); ack latency p50 / p99 {}, max {}; {}",
        run.acked_in_window(),
        secs(run.duration),
        run.sent(),
        run.acked(),
        run.nacks().len(),
        run.unanswered(),
        lat.p50_p99(),
        bench_common::stats::ms(lat.max()),
        run.cpu
    )
}
