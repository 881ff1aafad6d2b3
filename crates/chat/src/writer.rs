//! Group commit for messages. Sends queue here; one task takes everything that is waiting, writes it
//! in one transaction (one `synchronous=FULL` commit on SQLite for the whole batch), and only then
//! acknowledges each send and announces the events, in commit order. Announcing is a second task fed
//! in commit order, so the writer starts the next batch while the last one is being fanned out (the
//! database and the sockets work side by side). Membership and the
//! conversation's state are checked inside that transaction, and so are retried sends: a member's
//! message with a `client_id` already stored in the conversation is answered with the stored event
//! (a unique index makes this hold across batches and nodes too).
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Mutex;

use tokio::sync::{mpsc, oneshot};

use super::fanout;
use super::search;
use super::stream::{self, EventRow, NewEvent};
use qixie_kernel::AppState;
use qixie_kernel::db::{Tx, is_unique_violation, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind};
use qixie_kernel::ids::{ConvId, CorpId};

/// Sends waiting at most; a full queue makes senders wait (back-pressure), never drops them.
const QUEUE: usize = 16_384;
/// Messages in one transaction at most.
const BATCH: usize = 1_000;
/// Committed batches waiting to be announced at most: a writer that gets that far ahead of the
/// sockets waits for them.
const ANNOUNCE_QUEUE: usize = 4;

pub struct Outgoing {
    pub corp: CorpId,
    pub conv: ConvId,
    pub event: NewEvent,
}

struct Job {
    out: Outgoing,
    reply: oneshot::Sender<AppResult<EventRow>>,
}

/// A queued message: its row once committed.
pub struct Queued {
    answer: oneshot::Receiver<AppResult<EventRow>>,
}

impl Queued {
    pub async fn committed(self) -> AppResult<EventRow> {
        self.answer
            .await
            .map_err(|_| AppError::internal(anyhow::anyhow!("message writer dropped a send")))?
    }
}

/// What follows each batch once its messages are announced (deciding whom they alert): given by the
/// module, so the writer knows nothing of it. It must not wait; the next batch is waiting.
pub type AfterBatch = fn(&AppState, Vec<EventRow>);

pub struct Writer {
    tx: mpsc::Sender<Job>,
    rx: Mutex<Option<mpsc::Receiver<Job>>>,
    after_batch: AfterBatch,
}

impl Writer {
    pub fn new(after_batch: AfterBatch) -> Writer {
        let (tx, rx) = mpsc::channel(QUEUE);
        Writer {
            tx,
            rx: Mutex::new(Some(rx)),
            after_batch,
        }
    }

    /// Queues a message and waits until it is committed (or refused).
    pub async fn submit(&self, app: &AppState, out: Outgoing) -> AppResult<EventRow> {
        self.enqueue(app, out).await?.committed().await
    }

    /// Queues a message without waiting for its commit: messages queued one after another by one
    /// caller are written in that order (their seqs follow it within a conversation).
    pub async fn enqueue(&self, app: &AppState, out: Outgoing) -> AppResult<Queued> {
        self.start(app);
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job { out, reply })
            .await
            .map_err(|_| AppError::internal(anyhow::anyhow!("message writer stopped")))?;
        Ok(Queued { answer })
    }

    /// Starts the writing task on first use (the command line never sends, so never starts it).
    fn start(&self, app: &AppState) {
        let rx = self.rx.lock().ok().and_then(|mut r| r.take());
        if let Some(rx) = rx {
            tokio::spawn(run(app.clone(), rx, self.after_batch));
        }
    }
}

async fn run(app: AppState, mut rx: mpsc::Receiver<Job>, after_batch: AfterBatch) {
    let (committed_tx, committed_rx) = mpsc::channel(ANNOUNCE_QUEUE);
    tokio::spawn(announce(app.clone(), committed_rx, after_batch));
    let mut jobs = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut jobs, BATCH).await > 0 {
        let committed = commit_batch(&app, std::mem::take(&mut jobs)).await;
        if !committed.is_empty() && committed_tx.send(committed).await.is_err() {
            tracing::error!("the message announcer stopped");
        }
    }
}

/// Announces committed batches in commit order, then hands them to what follows (`AfterBatch`).
async fn announce(app: AppState, mut rx: mpsc::Receiver<Vec<EventRow>>, after_batch: AfterBatch) {
    while let Some(committed) = rx.recv().await {
        // Rows are in seq order per conversation, which is all that ordering promises.
        fanout::events(&app, &committed, false).await;
        after_batch(&app, committed);
    }
}

/// Writes a batch and answers each send; returns the rows that are new (not retried sends).
async fn commit_batch(app: &AppState, jobs: Vec<Job>) -> Vec<EventRow> {
    let now = app.now();
    let mut result = write(app, &jobs, now).await;
    // A retried send raced its first attempt, committed meanwhile by another node: the unique index
    // refused the batch; written again, it finds that message.
    for _ in 0..3 {
        match &result {
            Err(e) if is_retried_send(e) => result = write(app, &jobs, now).await,
            _ => break,
        }
    }
    match result {
        Ok((outcomes, fresh)) => {
            let mut committed: Vec<EventRow> = Vec::new();
            for ((job, outcome), new) in jobs.into_iter().zip(outcomes).zip(fresh) {
                if new && let Ok(row) = &outcome {
                    committed.push(row.clone());
                }
                let _ = job.reply.send(outcome);
            }
            committed
        }
        Err(e) => {
            tracing::error!(error = %e, count = jobs.len(), "a batch of messages failed to commit");
            for job in jobs {
                let _ = job.reply.send(Err(ErrorKind::Internal.into()));
            }
            Vec::new()
        }
    }
}

fn is_retried_send(e: &AppError) -> bool {
    e.cause
        .as_ref()
        .and_then(|c| c.downcast_ref::<sqlx::Error>())
        .is_some_and(|s| is_unique_violation(s, "chat_events", "client_id"))
}

/// A member's send with a client_id: (conversation, sender, client_id).
type Key<'a> = (i64, i64, &'a str);

fn key(job: &Job) -> Option<Key<'_>> {
    let e = &job.out.event;
    Some((
        job.out.conv.0,
        e.sender.member_id()?,
        e.client_id.as_deref()?,
    ))
}

/// Messages already stored under the keys of this batch.
async fn stored(tx: &mut Tx, jobs: &[Job]) -> AppResult<HashMap<(i64, i64, String), EventRow>> {
    let mut ids: Vec<&str> = jobs.iter().filter_map(key).map(|(_, _, c)| c).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<EventRow> = tx
            .all(
                sql(format!(
                    "SELECT {} FROM chat_events WHERE sender_kind = 'member' AND client_id IS NOT NULL AND client_id IN ",
                    stream::EVENT_COLS
                ))
                .push_in(chunk.iter().map(|c| (*c).to_owned())),
            )
            .await?;
        for r in rows {
            if let (Some(sender), Some(c)) = (r.sender_id, r.client_id.clone()) {
                out.insert((r.conversation_id, sender, c), r);
            }
        }
    }
    Ok(out)
}

/// Per job either its row or why it was refused, and whether the row is new (not a retried send).
type Written = (Vec<AppResult<EventRow>>, Vec<bool>);

/// Writes what can be written.
async fn write(app: &AppState, jobs: &[Job], now: i64) -> AppResult<Written> {
    let mut outcomes: Vec<Option<AppResult<EventRow>>> = jobs.iter().map(|_| None).collect();
    let mut fresh = vec![false; jobs.len()];
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
    let earlier = stored(&mut tx, jobs).await?;
    // A send repeated within the batch gets what its first copy gets.
    let mut first_of: HashMap<Key, usize> = HashMap::new();
    let mut repeats: Vec<(usize, usize)> = Vec::new();
    let mut rows: Vec<(usize, EventRow)> = Vec::new();
    for conv in order {
        let mut idx = Vec::new();
        for i in &by_conv[&conv] {
            let Some(k) = key(&jobs[*i]) else {
                idx.push(*i);
                continue;
            };
            if let Some(row) = earlier.get(&(k.0, k.1, k.2.to_owned())) {
                outcomes[*i] = Some(Ok(row.clone()));
                continue;
            }
            match first_of.entry(k) {
                Entry::Occupied(first) => repeats.push((*i, *first.get())),
                Entry::Vacant(v) => {
                    v.insert(*i);
                    idx.push(*i);
                }
            }
        }
        let idx = &idx;
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
    search::mark_pending(app, &mut tx, &plain).await?;
    tx.commit().await?;
    for (i, r) in rows {
        outcomes[i] = Some(Ok(r));
        fresh[i] = true;
    }
    for (i, first) in repeats {
        outcomes[i] = match &outcomes[first] {
            Some(Ok(r)) => Some(Ok(r.clone())),
            Some(Err(e)) => Some(Err(e.kind.into())),
            None => None,
        };
    }
    let outcomes = outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(ErrorKind::Internal.into())))
        .collect();
    Ok((outcomes, fresh))
}
