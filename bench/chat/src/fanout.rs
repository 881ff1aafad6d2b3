//! Phase 1, fan-out latency: one member sends into the big group while `online` other members are
//! connected; every receiver notes when each event frame arrived, and the latency of a delivery is
//! that moment minus the moment the sender wrote its `send` (the same process clock).
//!
//! Two series on the same connections: a paced one (a fixed rate: the figure), then one after another
//! with a small window of outstanding sends (how many deliveries per second the design reaches).
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use bench_common::stats::{Samples, ms};
use futures_util::StreamExt;
use futures_util::stream::{SplitSink, SplitStream};
use serde_json::json;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use crate::follower::{self, Ctl, Followed, Follower};
use crate::report::{Met, Report};
use crate::setup::World;
use crate::ws::{self, CONNECT_CONCURRENCY, Holding, Ws};

pub struct Options {
    pub online: usize,
    pub messages: usize,
    /// Messages per second in the paced series.
    pub rate: f64,
    /// Outstanding sends in the back-to-back series (1: each send waits for the previous ack).
    pub window: usize,
}

/// An `ack` or `nack` for one of the sender's refs.
struct Ack {
    r: u64,
    at: Instant,
    seq: Result<u64, String>,
}

fn spawn_ack_reader(
    mut stream: SplitStream<Ws>,
) -> (mpsc::UnboundedReceiver<Ack>, JoinHandle<Result<()>>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let h = tokio::spawn(async move {
        while let Some((at, v)) = ws::recv(&mut stream).await? {
            let seq = match ws::kind(&v) {
                "ack" => Ok(v["event"]["seq"].as_u64().unwrap_or(0)),
                "nack" => Err(v["error"].to_string()),
                _ => continue,
            };
            let r = ws::ref_of(&v["ref"]).context("an ack without a ref this tool sent")?;
            if tx.send(Ack { r, at, seq }).is_err() {
                break;
            }
        }
        Ok(())
    });
    (rx, h)
}

async fn next_ack(acks: &mut mpsc::UnboundedReceiver<Ack>, wait: Duration) -> Result<Ack> {
    tokio::time::timeout(wait, acks.recv())
        .await
        .map_err(|_| anyhow!("no ack within {wait:?}"))?
        .ok_or_else(|| anyhow!("the sender's connection closed"))
}

enum Pace {
    Rate(f64),
    Window(usize),
}

/// Sends refs `first..first + n` into `conv`; returns when every one is acknowledged.
async fn series(
    sink: &mut SplitSink<Ws, Message>,
    acks: &mut mpsc::UnboundedReceiver<Ack>,
    conv: &str,
    first: u64,
    n: usize,
    pace: Pace,
    sent: &mut HashMap<u64, Instant>,
    got: &mut Vec<Ack>,
) -> Result<()> {
    let op = |r: u64| {
        json!({"op": "send", "ref": r.to_string(), "conv": conv,
               "msg": {"type": "text", "text": format!("扇出测试消息 {r}：大家好，这是一条用于测量送达延迟的消息。")}})
    };
    let wait = Duration::from_secs(60);
    let start = tokio::time::Instant::now();
    let mut acked = 0;
    match pace {
        Pace::Rate(rate) => {
            let every = Duration::from_secs_f64(1.0 / rate.max(0.001));
            for i in 0..n as u64 {
                tokio::time::sleep_until(start + every * i as u32).await;
                sent.insert(first + i, Instant::now());
                ws::send(sink, &op(first + i)).await?;
                while let Ok(a) = acks.try_recv() {
                    got.push(a);
                    acked += 1;
                }
            }
        }
        Pace::Window(w) => {
            let mut next = 0;
            while next < n || acked < n {
                while next < n && next - acked < w.max(1) {
                    let r = first + next as u64;
                    sent.insert(r, Instant::now());
                    ws::send(sink, &op(r)).await?;
                    next += 1;
                }
                got.push(next_ack(acks, wait).await?);
                acked += 1;
            }
        }
    }
    while acked < n {
        got.push(next_ack(acks, wait).await?);
        acked += 1;
    }
    Ok(())
}

pub async fn run(
    port: u16,
    server_pid: u32,
    world: &World,
    o: &Options,
    report: &mut Report,
) -> Result<u64> {
    let g = world.group;
    let gid = world.convs.id(g).to_owned();
    let base = world.last_seq[g as usize];
    let group = &world.conv_members[g as usize];
    let online = o.online.min(group.len().saturating_sub(1));
    let n = o.messages;
    eprintln!(
        "fan-out: connecting {online} members of the {}-member group ...",
        group.len()
    );
    let (ctl_tx, ctl_rx) = watch::channel(Ctl::Running);
    let connecting = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let (ready_tx, mut ready_rx) = mpsc::channel(online.max(1));
    let started = Instant::now();
    let receivers: Vec<JoinHandle<Result<Followed>>> = (0..online)
        .map(|r| {
            let f = Follower {
                port,
                token: world.members[group[1 + r]].token.clone(),
                n: r,
                convs: world.convs.clone(),
                holding: Holding::new(vec![(g, base)]),
                record: 2 * n,
            };
            tokio::spawn(f.run(ctl_rx.clone(), ready_tx.clone(), connecting.clone()))
        })
        .collect();
    drop(ready_tx);
    if let Err(e) = follower::wait_ready(&mut ready_rx, online, "fan-out").await {
        let _ = ctl_tx.send(Ctl::Stop);
        return Err(e);
    }
    eprintln!(
        "  {online} receivers connected and resumed in {}",
        ms(started.elapsed())
    );

    // The sender: the group's creator, on a connection of its own.
    let mut sender = ws::connect(port, &world.members[group[0]].token, online).await?;
    ws::hello(&mut sender).await?;
    let mut h = Holding::new(vec![(g, base)]);
    ws::resume(&mut sender, &world.convs, &mut h, Duration::from_secs(60)).await?;
    let (mut sink, stream) = sender.split();
    let (mut acks, reader) = spawn_ack_reader(stream);
    let mut sent = HashMap::new();
    let mut got = Vec::new();
    eprintln!("  paced series: {n} messages at {}/s ...", o.rate);
    let cpu = crate::cpu::Cpu::start(server_pid);
    series(
        &mut sink,
        &mut acks,
        &gid,
        0,
        n,
        Pace::Rate(o.rate),
        &mut sent,
        &mut got,
    )
    .await?;
    let cpu_paced = cpu.finish();
    // Let the paced series drain before the back-to-back one starts.
    tokio::time::sleep(Duration::from_millis(500)).await;
    eprintln!(
        "  back-to-back series: {n} messages, window {} ...",
        o.window
    );
    let cpu = crate::cpu::Cpu::start(server_pid);
    series(
        &mut sink,
        &mut acks,
        &gid,
        n as u64,
        n,
        Pace::Window(o.window),
        &mut sent,
        &mut got,
    )
    .await?;
    let cpu_burst = cpu.finish();
    let nacks: Vec<&Ack> = got.iter().filter(|a| a.seq.is_err()).collect();
    if let Some(a) = nacks.first() {
        bail!(
            "{} of {} sends were refused, the first: {:?}",
            nacks.len(),
            got.len(),
            a.seq
        );
    }
    // seq → (series, send time); acks may interleave with other events' seqs only if something else
    // wrote into the group, which nothing here does.
    let mut by_seq: HashMap<u64, (usize, Instant)> = HashMap::new();
    let mut ack_lat = [Samples::default(), Samples::default()];
    let mut final_seq = base;
    for a in &got {
        let seq = a.seq.clone().unwrap_or(0);
        let series = usize::from(a.r >= n as u64);
        let at = sent.get(&a.r).copied().unwrap_or(a.at);
        by_seq.insert(seq, (series, at));
        ack_lat[series].push(a.at.saturating_duration_since(at));
        final_seq = final_seq.max(seq);
    }
    if final_seq != base + 2 * n as u64 || by_seq.len() != 2 * n {
        report.notes.push(format!(
            "Fan-out: the {} acks carried seqs up to {final_seq} from {}, not exactly {}..={}: another event was written into the group meanwhile.",
            got.len(),
            base + 1,
            base + 1,
            base + 2 * n as u64
        ));
    }
    let mut finals = world.last_seq.clone();
    finals[g as usize] = final_seq;
    let _ = ctl_tx.send(Ctl::Final(Arc::new(finals)));
    let results = follower::collect(receivers, &ctl_tx, Duration::from_secs(30)).await;
    drop(sink);
    reader.abort();

    let mut lat = [Samples::default(), Samples::default()];
    let mut first_send = [None::<Instant>; 2];
    let mut last_recv = [None::<Instant>; 2];
    for (r, t) in &sent {
        let s = usize::from(*r >= n as u64);
        first_send[s] = Some(first_send[s].map_or(*t, |f: Instant| f.min(*t)));
    }
    let (mut missing, mut dups, mut gaps, mut resyncs, mut failed) = (0u64, 0u64, 0u64, 0u64, 0);
    let mut first_error = None;
    for r in results {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                failed += 1;
                first_error.get_or_insert(format!("{e:#}"));
                continue;
            }
        };
        dups += r.holding.duplicates;
        gaps += r.holding.gaps;
        resyncs += r.resyncs;
        missing += (final_seq - base).saturating_sub(r.deliveries.len() as u64);
        for (seq, at) in r.deliveries {
            if let Some((s, sent_at)) = by_seq.get(&seq) {
                lat[*s].push(at.saturating_duration_since(*sent_at));
                last_recv[*s] = Some(last_recv[*s].map_or(at, |l: Instant| l.max(at)));
            }
        }
    }
    if failed > 0 {
        report.fail(format!(
            "fan-out: {failed} of {online} receivers lost their connection before the end ({})",
            first_error.unwrap_or_default()
        ));
    }
    if dups + gaps + missing + resyncs > 0 {
        report.fail(format!(
            "fan-out: {dups} duplicate deliveries, {gaps} gaps, {missing} events missing at the end, {resyncs} resync frames over {online} receivers"
        ));
    }
    let cpus = [cpu_paced, cpu_burst];
    for s in [0, 1] {
        let l = &lat[s];
        let span = match (first_send[s], last_recv[s]) {
            (Some(a), Some(b)) => b.saturating_duration_since(a),
            _ => Duration::ZERO,
        };
        let per_s = l.len() as f64 / span.as_secs_f64().max(1e-9);
        let detail = format!(
            "{} deliveries of {} expected ({online} receivers × {n}); p90 {}, max {}; {:.0} deliveries/s; ack p50 / p99 {}; {}",
            l.len(),
            online * n,
            ms(l.pct(90.0)),
            ms(l.max()),
            per_s,
            ack_lat[s].p50_p99(),
            cpus[s]
        );
        if s == 0 {
            let met = l.pct(50.0) < Duration::from_millis(30)
                && l.pct(99.0) < Duration::from_millis(100)
                && l.len() == online * n;
            report.row(
                &format!(
                    "Fan-out {}-member group, {online} online, {} msg/s: p50 / p99",
                    group.len(),
                    o.rate
                ),
                "p50 < 30 ms, p99 < 100 ms",
                l.p50_p99(),
                if met { Met::Yes } else { Met::No },
                detail,
            );
        } else {
            report.row(
                &format!("Fan-out back-to-back (window {}): deliveries/s", o.window),
                "-",
                format!("{per_s:.0}/s"),
                Met::Info,
                format!("latency p50 / p99 {}; {detail}", l.p50_p99()),
            );
        }
    }
    Ok(final_seq)
}
