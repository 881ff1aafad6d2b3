//! A client that follows conversations: connects, resumes from the seqs it holds, then takes live
//! events (optionally noting when each arrived) until it holds every conversation up to the final
//! seqs it is told, or is told to stop.
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use tokio::sync::{Semaphore, mpsc, watch};

use crate::ws::{self, Convs, Holding, Taken};

#[derive(Clone, Debug)]
pub enum Ctl {
    Running,
    /// Final seq of every conversation (by conversation index): done once they are held.
    Final(Arc<Vec<u64>>),
    Stop,
}

pub struct Followed {
    /// (seq, arrival) of each first delivery, when asked to record them.
    pub deliveries: Vec<(u64, Instant)>,
    pub holding: Holding,
    pub resyncs: u64,
}

pub struct Follower {
    pub port: u16,
    pub token: String,
    /// Connection number (chooses the source address).
    pub n: usize,
    pub convs: Arc<Convs>,
    pub holding: Holding,
    /// Capacity for recorded deliveries; 0 records nothing.
    pub record: usize,
}

impl Follower {
    /// Connects (one of `connecting`'s permits at a time), resumes, reports on `ready`, then follows.
    pub async fn run(
        self,
        mut ctl: watch::Receiver<Ctl>,
        ready: mpsc::Sender<Result<(), String>>,
        connecting: Arc<Semaphore>,
    ) -> Result<Followed> {
        let Follower {
            port,
            token,
            n,
            convs,
            mut holding,
            record,
        } = self;
        let setup = async {
            let _permit = connecting.acquire().await?;
            let mut ws = ws::connect(port, &token, n).await?;
            ws::hello(&mut ws).await?;
            ws::resume(&mut ws, &convs, &mut holding, Duration::from_secs(120)).await?;
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
        let mut out = Followed {
            deliveries: Vec::with_capacity(record),
            holding,
            resyncs: 0,
        };
        loop {
            match &*ctl.borrow_and_update() {
                Ctl::Stop => break,
                Ctl::Final(last) if out.holding.complete(last) => break,
                _ => {}
            }
            tokio::select! {
                f = ws::recv(&mut ws) => {
                    let Some((at, v)) = f? else {
                        bail!("the server closed the connection");
                    };
                    match ws::kind(&v) {
                        "event" => match out.holding.take(&convs, &v) {
                            Taken::InOrder(_, seq) if record > 0 => out.deliveries.push((seq, at)),
                            Taken::Gap if record > 0 => {
                                out.deliveries.push((v["seq"].as_u64().unwrap_or(0), at))
                            }
                            _ => {}
                        },
                        "resync" => out.resyncs += 1,
                        _ => {}
                    }
                }
                _ = ctl.changed() => {}
            }
        }
        let _ = ws.close(None).await;
        Ok(out)
    }
}

/// Waits until `count` followers have reported ready; the first failure ends the wait.
pub async fn wait_ready(
    ready: &mut mpsc::Receiver<Result<(), String>>,
    count: usize,
    what: &str,
) -> Result<()> {
    let mut n = 0;
    while n < count {
        match ready.recv().await {
            Some(Ok(())) => n += 1,
            Some(Err(e)) => bail!("{what}: a client could not connect and resume: {e}"),
            None => bail!("{what}: clients ended before connecting ({n} of {count} ready)"),
        }
    }
    Ok(())
}

/// Waits for the followers to finish (they were sent `Ctl::Final`); after `limit` tells the rest to
/// stop, so each still reports what it holds.
pub async fn collect(
    handles: Vec<tokio::task::JoinHandle<Result<Followed>>>,
    ctl: &watch::Sender<Ctl>,
    limit: Duration,
) -> Vec<Result<Followed>> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        let mut h = h;
        let r = tokio::select! {
            r = &mut h => r,
            _ = tokio::time::sleep_until(deadline) => {
                let _ = ctl.send(Ctl::Stop);
                h.await
            }
        };
        out.push(match r {
            Ok(r) => r,
            Err(e) => Err(anyhow::anyhow!("a client task failed: {e}")),
        });
    }
    out
}
