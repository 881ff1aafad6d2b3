//! Group commit for messages. Sends queue here; one task takes everything that is waiting, writes it
//! in one transaction (one `synchronous=FULL` commit on SQLite for the whole batch), and only then
//! acknowledges each send and announces the events, in commit order. Membership and the
//! conversation's state are checked inside that transaction.
use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::{mpsc, oneshot};

use super::fanout;
use super::stream::{self, EventRow, NewEvent};
use crate::AppState;
use crate::kernel::db::sql;
use crate::kernel::error::{AppError, AppResult, ErrorKind};
use crate::kernel::ids::{ConvId, CorpId};

/// Sends waiting at most; a full queue makes senders wait (back-pressure), never drops them.
const QUEUE: usize = 16_384;
/// Messages in one transaction at most.
const BATCH: usize = 1_000;

pub struct Outgoing {
    pub corp: CorpId,
    pub conv: ConvId,
    pub event: NewEvent,
}

struct Job {
    out: Outgoing,
    reply: oneshot::Sender<AppResult<EventRow>>,
}

pub struct Writer {
    tx: mpsc::Sender<Job>,
    rx: Mutex<Option<mpsc::Receiver<Job>>>,
}

impl Default for Writer {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        Writer {
            tx,
            rx: Mutex::new(Some(rx)),
        }
    }
}

impl Writer {
    /// Queues a message and waits until it is committed (or refused).
    pub async fn submit(&self, app: &AppState, out: Outgoing) -> AppResult<EventRow> {
        self.start(app);
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job { out, reply })
            .await
            .map_err(|_| AppError::internal(anyhow::anyhow!("message writer stopped")))?;
        answer
            .await
            .map_err(|_| AppError::internal(anyhow::anyhow!("message writer dropped a send")))?
    }

    /// Starts the writing task on first use (the command line never sends, so never starts it).
    fn start(&self, app: &AppState) {
        let rx = self.rx.lock().ok().and_then(|mut r| r.take());
        if let Some(rx) = rx {
            tokio::spawn(run(app.clone(), rx));
        }
    }
}

async fn run(app: AppState, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut jobs, BATCH).await > 0 {
        commit_batch(&app, std::mem::take(&mut jobs)).await;
    }
}

async fn commit_batch(app: &AppState, jobs: Vec<Job>) {
    let now = app.now();
    match write(app, &jobs, now).await {
        Ok(outcomes) => {
            let mut committed: Vec<EventRow> = Vec::new();
            for (job, outcome) in jobs.into_iter().zip(outcomes) {
                if let Ok(row) = &outcome {
                    committed.push(row.clone());
                }
                let _ = job.reply.send(outcome);
            }
            // Rows are in seq order per conversation, which is all that ordering promises.
            fanout::events(app, &committed, false).await;
            super::attention::after_commit(app, committed);
        }
        Err(e) => {
            tracing::error!(error = %e, count = jobs.len(), "a batch of messages failed to commit");
            for job in jobs {
                let _ = job.reply.send(Err(ErrorKind::Internal.into()));
            }
        }
    }
}

/// Writes what can be written; per job either its row or why it was refused.
async fn write(app: &AppState, jobs: &[Job], now: i64) -> AppResult<Vec<AppResult<EventRow>>> {
    let mut outcomes: Vec<Option<AppResult<EventRow>>> = jobs.iter().map(|_| None).collect();
    // Conversations in order of first appearance, with their jobs in order.
    let mut order: Vec<ConvId> = Vec::new();
    let mut by_conv: HashMap<ConvId, Vec<usize>> = HashMap::new();
    for (i, j) in jobs.iter().enumerate() {
        by_conv
            .entry(j.out.conv)
            .or_insert_with(|| {
                order.push(j.out.conv);
                Vec::new()
            })
            .push(i);
    }
    let mut tx = app.db.begin().await?;
    let mut rows: Vec<(usize, EventRow)> = Vec::new();
    for conv in order {
        let idx = &by_conv[&conv];
        let senders: Vec<i64> = idx
            .iter()
            .filter_map(|i| jobs[*i].out.event.sender.member_id())
            .collect();
        let present: Vec<(i64,)> = if senders.is_empty() {
            Vec::new()
        } else {
            tx.all(
                sql("SELECT member_id FROM chat_members WHERE conversation_id = $1 AND member_id IN ")
                    .bind(conv)
                    .push_in(senders),
            )
            .await?
        };
        let mut accepted = Vec::new();
        for i in idx {
            match jobs[*i].out.event.sender.member_id() {
                Some(m) if !present.iter().any(|(p,)| *p == m) => {
                    outcomes[*i] = Some(Err(ErrorKind::NotConversationMember.into()));
                }
                _ => accepted.push(*i),
            }
        }
        if accepted.is_empty() {
            continue;
        }
        let corp = jobs[accepted[0]].out.corp;
        let last: Option<(i64,)> = tx
            .opt(
                sql("UPDATE chat_conversations SET last_seq = last_seq + $1, last_activity_at = $2 WHERE id = $3 AND corp_id = $4 AND status = 'active' RETURNING last_seq")
                    .bind(accepted.len() as i64)
                    .bind(now)
                    .bind(conv)
                    .bind(corp),
            )
            .await?;
        let Some((last,)) = last else {
            for i in accepted {
                outcomes[i] = Some(Err(ErrorKind::ConversationClosed.into()));
            }
            continue;
        };
        let first = last - accepted.len() as i64 + 1;
        for (k, i) in accepted.into_iter().enumerate() {
            let o = &jobs[i].out;
            rows.push((
                i,
                stream::to_row(o.corp, o.conv, first + k as i64, now, o.event.clone()),
            ));
        }
    }
    let plain: Vec<EventRow> = rows.iter().map(|(_, r)| r.clone()).collect();
    stream::insert_rows(&mut tx, &plain).await?;
    tx.commit().await?;
    for (i, r) in rows {
        outcomes[i] = Some(Ok(r));
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(ErrorKind::Internal.into())))
        .collect())
}
