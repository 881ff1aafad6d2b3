//! Attention: whether a new message alerts each recipient now, and what waits until they work again.
//!
//! After a batch of messages commits, each recipient (not the sender) is either alerted with a
//! `notify` frame, or the alert is held because they rest (outside working hours, do-not-disturb),
//! or nothing happens (a muted conversation that does not mention them, a "not urgent" message).
//! What was held is summarised in a `digest` frame when their next working period starts, by a
//! durable job. The decision reads only memory: each member's settings are cached per node and
//! forgotten on every node when they change; mute state comes with the cached roster.
//! Protocol: docs/api/realtime.md; settings routes: docs/api/chat.md.
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::fanout::{self, Audience, Delivery};
use super::stream::EventRow;
use crate::ChatState;
use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, ActorKind, Grant, Scope, perm};
use qixie_kernel::db::{Database, sql};
use qixie_kernel::error::{AppResult, ErrorKind, Validator};
use qixie_kernel::ids::{ConvId, CorpId, MemberId};
use qixie_kernel::jobs::{self, JobRegistry};
use qixie_kernel::time::Zone;
use qixie_org::audience::{self, Selection};

/// One conversation alerts a member at most once in this long, unless it mentions them: a busy
/// group rings once, not once per message (the client still shows every message and the unread
/// count).
pub const COLLAPSE_MS: i64 = 3_000;
pub const DIGEST_JOB: &str = "chat.attention.digest";
pub const MAX_AUTO_REPLY_CHARS: usize = 500;
/// Cached entries kept before a cache starts over.
const MAX_CACHED: usize = 200_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoReplyMode {
    Off,
    /// Always, while it is on.
    Away,
    /// Outside working hours.
    AfterHours,
}

impl AutoReplyMode {
    fn as_str(self) -> &'static str {
        match self {
            AutoReplyMode::Off => "off",
            AutoReplyMode::Away => "away",
            AutoReplyMode::AfterHours => "after_hours",
        }
    }
    fn parse(s: &str) -> AutoReplyMode {
        match s {
            "away" => AutoReplyMode::Away,
            "after_hours" => AutoReplyMode::AfterHours,
            _ => AutoReplyMode::Off,
        }
    }
}

/// One member's attention settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Bits: Monday 1, Tuesday 2, … Sunday 64.
    pub work_days: i64,
    /// Minutes after local midnight, start < end.
    pub work_start: i64,
    pub work_end: i64,
    pub dnd: bool,
    /// Do-not-disturb ends then; `None`: until turned off.
    pub dnd_until: Option<i64>,
    pub auto_reply: AutoReplyMode,
    pub auto_reply_text: String,
    /// When the settings last changed (0: never).
    pub version: i64,
    /// Working hours are read on this clock: the member's own zone, else their enterprise's.
    pub zone: Zone,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            work_days: 0b001_1111,
            work_start: 9 * 60,
            work_end: 18 * 60,
            dnd: false,
            dnd_until: None,
            auto_reply: AutoReplyMode::Off,
            auto_reply_text: String::new(),
            version: 0,
            zone: Zone::default(),
        }
    }
}

impl Settings {
    fn is_work_day(&self, weekday: i64) -> bool {
        self.work_days & (1 << weekday) != 0
    }
    pub fn in_working_hours(&self, t: i64) -> bool {
        let l = self.zone.local(t);
        self.is_work_day(l.weekday) && self.work_start <= l.minute && l.minute < self.work_end
    }
    /// The member's calendar date at `t` as yyyymmdd.
    pub fn local_date(&self, t: i64) -> i64 {
        self.zone.date(t)
    }
    pub fn dnd_active(&self, t: i64) -> bool {
        self.dnd && self.dnd_until.is_none_or(|u| t < u)
    }
    /// Whether alerts are held back from the member at `t`.
    pub fn quiet(&self, t: i64) -> bool {
        self.dnd_active(t) || !self.in_working_hours(t)
    }
    /// The first moment at or after `t` inside working hours.
    fn next_working(&self, t: i64) -> Option<i64> {
        if self.in_working_hours(t) {
            return Some(t);
        }
        let day = self.zone.local(t).day;
        // Local day numbers count from Thursday 1970-01-01.
        (0..=7)
            .map(|k| day + k)
            .filter(|d| self.is_work_day((d + 3).rem_euclid(7)))
            .map(|d| self.zone.at(d, self.work_start))
            .find(|start| *start >= t)
    }
    /// When alerts resume, counted from `t`: `t` itself when they are not held; `None` while
    /// do-not-disturb is on without an end.
    pub fn next_start(&self, t: i64) -> Option<i64> {
        if self.dnd_active(t) {
            return self.dnd_until.and_then(|u| self.next_working(u));
        }
        self.next_working(t)
    }
    pub fn auto_reply_active(&self, t: i64) -> bool {
        !self.auto_reply_text.is_empty()
            && match self.auto_reply {
                AutoReplyMode::Off => false,
                AutoReplyMode::Away => true,
                AutoReplyMode::AfterHours => !self.in_working_hours(t),
            }
    }

    fn days(&self) -> Vec<i64> {
        (0..7)
            .filter(|d| self.is_work_day(*d))
            .map(|d| d + 1)
            .collect()
    }

    /// Working hours and do-not-disturb: what an administrator may see.
    pub fn quiet_hours_view(&self, now: i64) -> Value {
        let quiet = self.quiet(now);
        json!({
            "time_zone": self.zone.name(),
            "working_hours": { "days": self.days(), "start": hhmm(self.work_start), "end": hhmm(self.work_end) },
            "dnd": { "on": self.dnd_active(now), "until": self.dnd_until.filter(|_| self.dnd_active(now)) },
            "quiet_now": quiet,
            "next_start": if quiet { self.next_start(now) } else { None },
        })
    }

    /// Everything, for the member themselves.
    pub fn view(&self, now: i64) -> Value {
        let mut v = self.quiet_hours_view(now);
        v["auto_reply"] = json!({ "mode": self.auto_reply.as_str(), "text": self.auto_reply_text, "active": self.auto_reply_active(now) });
        v
    }
}

fn hhmm(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn parse_hhmm(s: &str) -> Option<i64> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    member_id: i64,
    work_days: i64,
    work_start: i64,
    work_end: i64,
    dnd: bool,
    dnd_until: Option<i64>,
    auto_reply: String,
    auto_reply_text: String,
    updated_at: i64,
}

impl SettingsRow {
    fn settings(self, zone: Zone) -> Settings {
        Settings {
            work_days: self.work_days,
            work_start: self.work_start,
            work_end: self.work_end,
            dnd: self.dnd,
            dnd_until: self.dnd_until,
            auto_reply: AutoReplyMode::parse(&self.auto_reply),
            auto_reply_text: self.auto_reply_text,
            version: self.updated_at,
            zone,
        }
    }
}

const SETTINGS_COLS: &str = "member_id, work_days, work_start, work_end, dnd, dnd_until, auto_reply, auto_reply_text, updated_at";

/// Settings of `ids` that exist, each on its member's clock (their own zone, else the enterprise's).
async fn load(db: &Database, ids: &[i64]) -> AppResult<HashMap<i64, Settings>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let zones: Vec<(i64, String, String)> = db
            .all(
                sql("SELECT m.id, m.time_zone, c.time_zone FROM members m JOIN corps c ON c.id = m.corp_id WHERE m.id IN ")
                    .push_in(chunk.iter().copied()),
            )
            .await?;
        let mut rows: HashMap<i64, SettingsRow> = db
            .all::<SettingsRow>(
                sql(format!(
                    "SELECT {SETTINGS_COLS} FROM chat_attention WHERE member_id IN "
                ))
                .push_in(chunk.iter().copied()),
            )
            .await?
            .into_iter()
            .map(|r| (r.member_id, r))
            .collect();
        for (id, own, corp) in zones {
            let zone = Zone::first_of(&own, &corp);
            let s = match rows.remove(&id) {
                Some(r) => r.settings(zone),
                None => Settings {
                    zone,
                    ..Settings::default()
                },
            };
            out.insert(id, s);
        }
    }
    Ok(out)
}

/// One member's settings, read from the database.
pub async fn load_one(db: &Database, member: i64) -> AppResult<Settings> {
    Ok(load(db, &[member])
        .await?
        .remove(&member)
        .unwrap_or_default())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// (settings version, summary time): a stored hold stays right while neither changes.
type HoldKey = (i64, i64);

/// What attention keeps in memory on each node.
pub struct AttentionRuntime {
    settings: Mutex<HashMap<i64, Arc<Settings>>>,
    /// Bumped by every `forget`, so a load that raced with a change is not cached.
    generation: AtomicU64,
    default: Arc<Settings>,
    /// (member, conversation) → when it last alerted them.
    recent: Mutex<HashMap<(i64, i64), i64>>,
    /// (member, conversation) → (settings version, summary time) of a hold known to be stored.
    /// (member, conversation) → ((settings version, summary time), first seq) of a hold known to be
    /// stored.
    held: Mutex<HashMap<(i64, i64), (HoldKey, i64)>>,
    /// member → (settings version, summary time) of a summary job known to be queued.
    scheduled: Mutex<HashMap<i64, (i64, i64)>>,
}

impl Default for AttentionRuntime {
    fn default() -> Self {
        AttentionRuntime {
            settings: Mutex::default(),
            generation: AtomicU64::new(0),
            default: Arc::new(Settings::default()),
            recent: Mutex::default(),
            held: Mutex::default(),
            scheduled: Mutex::default(),
        }
    }
}

impl AttentionRuntime {
    /// Settings of `ids`, in the same order; one query for all that are not cached.
    pub async fn settings(&self, db: &Database, ids: &[i64]) -> AppResult<Vec<Arc<Settings>>> {
        let mut out: Vec<Option<Arc<Settings>>> = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        {
            let cache = lock(&self.settings);
            for id in ids {
                let hit = cache.get(id).cloned();
                if hit.is_none() {
                    missing.push(*id);
                }
                out.push(hit);
            }
        }
        if !missing.is_empty() {
            let generation = self.generation.load(Ordering::SeqCst);
            let mut loaded = load(db, &missing).await?;
            let fresh: HashMap<i64, Arc<Settings>> = missing
                .iter()
                .map(|id| {
                    let s = loaded
                        .remove(id)
                        .map(Arc::new)
                        .unwrap_or_else(|| self.default.clone());
                    (*id, s)
                })
                .collect();
            {
                let mut cache = lock(&self.settings);
                if self.generation.load(Ordering::SeqCst) == generation {
                    if cache.len() + fresh.len() > MAX_CACHED {
                        cache.clear();
                    }
                    cache.extend(fresh.iter().map(|(k, v)| (*k, v.clone())));
                }
            }
            for (slot, id) in out.iter_mut().zip(ids) {
                if slot.is_none() {
                    *slot = fresh.get(id).cloned();
                }
            }
        }
        Ok(out
            .into_iter()
            .map(|s| s.unwrap_or_else(|| self.default.clone()))
            .collect())
    }

    /// Forgets cached settings (they changed).
    /// Forgets every member's settings (their enterprise's clock changed).
    pub fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        lock(&self.settings).clear();
    }

    pub fn forget(&self, ids: &[i64]) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let mut cache = lock(&self.settings);
        for id in ids {
            cache.remove(id);
        }
    }

    /// Of `members`, those `conv` has not alerted within `COLLAPSE_MS`; all of them count as
    /// alerted now. With `always`, every member is kept (mentions ring each time).
    fn collapse(&self, conv: i64, members: Vec<i64>, now: i64, always: bool) -> Vec<i64> {
        let mut recent = lock(&self.recent);
        if recent.len() > MAX_CACHED {
            recent.retain(|_, at| now - *at < COLLAPSE_MS);
        }
        members
            .into_iter()
            .filter(|m| {
                let last = recent.insert((*m, conv), now);
                always || last.is_none_or(|at| now - at >= COLLAPSE_MS || at > now)
            })
            .collect()
    }
}

/// The `notify` frame for a message: `kind` is `message` or `urgent`.
pub fn notify_frame(
    r: &EventRow,
    kind: &str,
    mention: Option<&str>,
    attempt: Option<i64>,
) -> String {
    let mut f = json!({
        "t": "notify", "kind": kind, "conv": r.conversation_id.to_string(), "seq": r.seq,
        "id": r.id.to_string(), "at": r.created_at,
        "sender": { "kind": r.sender_kind, "userid": r.sender_ref, "name": r.sender_name },
        "text": if r.recalled_at.is_some() { String::new() } else { r.excerpt(100) },
        "mention": mention,
    });
    if let Some(a) = attempt {
        f["attempt"] = json!(a);
    }
    f.to_string()
}

/// Whether a message is an automatic reply (they never trigger one).
pub fn is_auto_reply(r: &EventRow) -> bool {
    r.msg_type == "text"
        && r.content.contains("auto_reply")
        && serde_json::from_str::<Value>(&r.content).is_ok_and(|c| c["auto_reply"] == json!(true))
}

struct Hold {
    member: i64,
    corp: i64,
    conv: i64,
    seq: i64,
    at: i64,
    key: (i64, i64),
    summary_at: Option<i64>,
}

/// After a commit: decides, per recipient, whether each message alerts, is held or is silent, and
/// which automatic replies it calls for. Runs beside the writer, never holding it up.
pub fn after_commit(app: &AppState, rows: Vec<EventRow>) {
    let rows: Vec<EventRow> = rows.into_iter().filter(EventRow::is_message).collect();
    if rows.is_empty() {
        return;
    }
    let app = app.clone();
    tokio::spawn(async move {
        if let Err(e) = on_messages(&app, &rows).await {
            tracing::warn!(error = %e, "could not decide who new messages alert");
        }
    });
}

async fn on_messages(app: &AppState, rows: &[EventRow]) -> AppResult<()> {
    let rt = &app.chat().attention;
    let mut holds = Vec::new();
    let mut replies = Vec::new();
    for r in rows {
        // Decided for the moment the message was sent, however late this runs.
        let now = r.created_at;
        let conv = ConvId(r.conversation_id);
        let roster = match app.chat().roster.get(&app.db, conv).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(conv = conv.0, error = %e, "cannot decide alerts: roster unavailable");
                continue;
            }
        };
        let sender = if r.sender_kind == "member" {
            r.sender_id
        } else {
            None
        };
        let recipients: Vec<i64> = roster
            .members
            .iter()
            .copied()
            .filter(|m| Some(*m) != sender)
            .collect();
        if recipients.is_empty() {
            continue;
        }
        let named = mentioned_ids(app, roster.corp, r).await?;
        let settings = rt.settings(&app.db, &recipients).await?;
        // Urgent messages alert through urgent.rs; "not urgent" ones never alert.
        let alerts = !r.urgent && !r.not_urgent;
        let (mut plain, mut me, mut all) = (Vec::new(), Vec::new(), Vec::new());
        // Pairs already held for the same settings and period need nothing more (no await below
        // while the lock is held).
        {
            let known = lock(&rt.held);
            // Most members share the default settings: decide once per distinct settings.
            let mut memo: Option<(*const Settings, bool, Option<i64>)> = None;
            for (m, s) in recipients.iter().zip(&settings) {
                let named_me = named.contains(m);
                if sender.is_some()
                    && (roster.kind == "direct" || named_me)
                    && s.auto_reply_active(now)
                    && !is_auto_reply(r)
                {
                    replies.push((*m, s.clone()));
                }
                if !alerts {
                    continue;
                }
                let mentioned = named_me || r.mention_all;
                if !mentioned && roster.is_muted(*m) {
                    continue;
                }
                let (quiet, summary_at) = match memo {
                    Some((p, q, at)) if std::ptr::eq(p, Arc::as_ptr(s)) => (q, at),
                    _ => {
                        let q = s.quiet(now);
                        let at = if q { s.next_start(now) } else { None };
                        memo = Some((Arc::as_ptr(s), q, at));
                        (q, at)
                    }
                };
                if quiet {
                    let key = (s.version, summary_at.unwrap_or(i64::MAX));
                    if known
                        .get(&(*m, r.conversation_id))
                        .is_some_and(|(k, first)| *k == key && *first <= r.seq)
                    {
                        continue;
                    }
                    holds.push(Hold {
                        member: *m,
                        corp: roster.corp.0,
                        conv: r.conversation_id,
                        seq: r.seq,
                        at: r.created_at,
                        key,
                        summary_at,
                    });
                    continue;
                }
                match (named_me, r.mention_all) {
                    (true, _) => me.push(*m),
                    (false, true) => all.push(*m),
                    (false, false) => plain.push(*m),
                }
            }
        }
        let conv_id = r.conversation_id;
        for (ids, mention) in [(plain, None), (me, Some("me")), (all, Some("all"))] {
            if ids.is_empty() {
                continue;
            }
            let ids = rt.collapse(conv_id, ids, now, mention.is_some());
            if !ids.is_empty() {
                let frame = notify_frame(r, "message", mention, None);
                fanout::to_members(app, conv_id, ids, frame).await;
            }
        }
        for (member, s) in replies.drain(..) {
            let app = app.clone();
            let roster = roster.clone();
            tokio::spawn(async move {
                if let Err(e) = super::auto_reply::reply(&app, &roster, member, &s, now).await {
                    tracing::warn!(error = %e, member, "could not send an automatic reply");
                }
            });
        }
    }
    hold(app, holds, app.now()).await
}

/// Member ids named in a message's mentions (userids).
async fn mentioned_ids(app: &AppState, corp: CorpId, r: &EventRow) -> AppResult<HashSet<i64>> {
    if r.mentions.is_empty() {
        return Ok(HashSet::new());
    }
    let userids: Vec<String> = r.mentions.split(',').map(str::to_owned).collect();
    let found = audience::resolve(
        &app.db,
        corp,
        &Selection {
            userids,
            ..Selection::default()
        },
        &Scope::All,
    )
    .await?;
    Ok(found.members.iter().map(|(id, _, _)| *id).collect())
}

/// Stores held alerts (once per member and conversation until the summary) and queues each
/// member's summary for when their next working period starts.
async fn hold(app: &AppState, holds: Vec<Hold>, now: i64) -> AppResult<()> {
    if holds.is_empty() {
        return Ok(());
    }
    let rt = &app.chat().attention;
    let fresh: Vec<Hold> = {
        let known = lock(&rt.held);
        let mut seen = HashSet::new();
        holds
            .into_iter()
            // Batches commit in order but their holds may arrive out of order: one with an earlier
            // seq than the stored first seq still goes through, to lower it.
            .filter(|h| {
                known
                    .get(&(h.member, h.conv))
                    .is_none_or(|(key, first)| *key != h.key || h.seq < *first)
            })
            .filter(|h| seen.insert((h.member, h.conv)))
            .collect()
    };
    if fresh.is_empty() {
        return Ok(());
    }
    let summaries: Vec<(i64, i64, i64, (i64, i64))> = {
        let known = lock(&rt.scheduled);
        let mut seen = HashSet::new();
        fresh
            .iter()
            .filter_map(|h| h.summary_at.map(|at| (h.member, h.corp, at, h.key)))
            .filter(|(m, _, _, key)| known.get(m) != Some(key))
            .filter(|(m, _, _, _)| seen.insert(*m))
            .collect()
    };
    let mut tx = app.db.begin().await?;
    for chunk in fresh.chunks(100) {
        let mut q = sql(
            "INSERT INTO chat_attention_held (member_id, conversation_id, corp_id, first_seq, first_at) VALUES ",
        );
        for (i, h) in chunk.iter().enumerate() {
            if i > 0 {
                q = q.push(", ");
            }
            q = q
                .push_bind("({}", h.member)
                .push_bind(", {}", h.conv)
                .push_bind(", {}", h.corp)
                .push_bind(", {}", h.seq)
                .push_bind(", {})", h.at);
        }
        tx.exec(q.push(
            " ON CONFLICT (member_id, conversation_id) DO UPDATE SET first_seq = excluded.first_seq, first_at = excluded.first_at \
             WHERE excluded.first_seq < chat_attention_held.first_seq",
        ))
        .await?;
    }
    let queued: Vec<jobs::NewJob> = summaries
        .iter()
        .map(|(member, corp, at, _)| jobs::NewJob {
            corp: Some(CorpId(*corp)),
            kind: DIGEST_JOB,
            payload: json!({ "member": member }),
            run_at: *at,
            dedup_key: Some(format!("{DIGEST_JOB}:{member}:{at}")),
        })
        .collect();
    jobs::enqueue_many(&mut tx, now, &queued).await?;
    tx.commit().await?;
    {
        let mut known = lock(&rt.held);
        if known.len() > MAX_CACHED {
            known.clear();
        }
        for h in &fresh {
            let e = known.entry((h.member, h.conv)).or_insert((h.key, h.seq));
            *e = (h.key, if e.0 == h.key { e.1.min(h.seq) } else { h.seq });
        }
    }
    let mut known = lock(&rt.scheduled);
    if known.len() > MAX_CACHED {
        known.clear();
    }
    known.extend(summaries.iter().map(|(m, _, _, key)| (*m, *key)));
    Ok(())
}

pub fn register_jobs(r: &mut JobRegistry) {
    r.register(
        DIGEST_JOB,
        Arc::new(|app: AppState, job| {
            Box::pin(async move {
                let member = job
                    .payload_i64("member")
                    .ok_or_else(|| anyhow::anyhow!("summary job without a member"))?;
                summarise(&app, CorpId(job.corp_id.unwrap_or_default()), member)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))
            })
        }),
    );
}

/// Queues a member's summary for `at` (now or later).
async fn schedule(app: &AppState, corp: CorpId, member: i64, at: i64) -> AppResult<()> {
    let now = app.now();
    let mut tx = app.db.begin().await?;
    jobs::enqueue(
        &mut tx,
        now,
        Some(corp),
        DIGEST_JOB,
        &json!({ "member": member }),
        at,
        Some(&format!("{DIGEST_JOB}:{member}:{at}")),
    )
    .await?;
    tx.commit().await?;
    if at <= now {
        app.jobs.wake();
    }
    Ok(())
}

/// The summary job: if the member works now, summarises what was held and sends it; if they rest
/// again (their settings changed), waits for the next working period.
async fn summarise(app: &AppState, corp: CorpId, member: i64) -> AppResult<()> {
    let now = app.now();
    let s = load_one(&app.db, member).await?;
    if s.quiet(now) {
        if let Some(at) = s.next_start(now) {
            schedule(app, corp, member, at).await?;
        }
        return Ok(());
    }
    let held: Vec<(i64, i64)> = app
        .db
        .all(
            sql("SELECT conversation_id, first_at FROM chat_attention_held WHERE member_id = $1")
                .bind(member),
        )
        .await?;
    if held.is_empty() {
        return Ok(());
    }
    let userid = match qixie_org::member::find_row_by_id(&app.db, corp, MemberId(member)).await {
        Ok(m) => m.userid,
        Err(e) if e.kind == ErrorKind::MemberNotFound => String::new(),
        Err(e) => return Err(e),
    };
    let counts: Vec<(i64, i64, i64)> = app
        .db
        .all(
            sql("SELECT h.conversation_id, COUNT(*), SUM(CASE WHEN e.mention_all OR (',' || e.mentions || ',') LIKE $2 THEN 1 ELSE 0 END) \
                 FROM chat_attention_held h \
                 JOIN chat_members cm ON cm.conversation_id = h.conversation_id AND cm.member_id = h.member_id \
                 JOIN chat_events e ON e.conversation_id = h.conversation_id AND e.seq >= h.first_seq AND e.seq > cm.read_seq \
                 WHERE h.member_id = $1 AND e.kind = 'message' AND e.recalled_at IS NULL AND NOT e.not_urgent AND NOT e.urgent \
                 AND (e.sender_kind <> 'member' OR e.sender_id IS NULL OR e.sender_id <> $1) \
                 AND (NOT cm.muted OR e.mention_all OR (',' || e.mentions || ',') LIKE $2) \
                 GROUP BY h.conversation_id")
                .bind(member)
                .bind(format!("%,{userid},%")),
        )
        .await?;
    let mut items: Vec<(i64, i64, i64)> = counts.into_iter().filter(|c| c.1 > 0).collect();
    items.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let total: i64 = items.iter().map(|c| c.1).sum();
    let digest = json!({
        "at": now,
        "since": held.iter().map(|h| h.1).min(),
        "total": total,
        "conversations": items.len(),
        "mentions": items.iter().map(|c| c.2).sum::<i64>(),
        "items": items.iter().map(|(c, n, m)| json!({ "conv": c.to_string(), "count": n, "mentions": m })).collect::<Vec<_>>(),
    });
    let mut tx = app.db.begin().await?;
    tx.exec(sql("DELETE FROM chat_attention_held WHERE member_id = $1").bind(member))
        .await?;
    if total > 0 {
        tx.exec(
            sql("INSERT INTO chat_attention_digests (member_id, corp_id, digest, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (member_id) DO UPDATE SET corp_id = excluded.corp_id, digest = excluded.digest, created_at = excluded.created_at")
                .bind(member)
                .bind(corp)
                .bind(digest.to_string())
                .bind(now),
        )
        .await?;
    }
    tx.commit().await?;
    lock(&app.chat().attention.held).retain(|(m, _), _| *m != member);
    lock(&app.chat().attention.scheduled).remove(&member);
    if total > 0 {
        fanout::to_members(app, 0, vec![member], digest_frame(&digest)).await;
    }
    Ok(())
}

pub fn digest_frame(digest: &Value) -> String {
    let mut f = digest.clone();
    f["t"] = json!("digest");
    f.to_string()
}

/// The summary waiting for a member, if any.
pub async fn pending_digest(db: &Database, member: i64) -> AppResult<Option<Value>> {
    let row: Option<(String,)> = db
        .opt(sql("SELECT digest FROM chat_attention_digests WHERE member_id = $1").bind(member))
        .await?;
    Ok(row.and_then(|(d,)| serde_json::from_str(&d).ok()))
}

pub async fn dismiss_digest(db: &Database, member: i64) -> AppResult<()> {
    db.exec(sql("DELETE FROM chat_attention_digests WHERE member_id = $1").bind(member))
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingHoursInput {
    pub days: Vec<i64>,
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DndInput {
    pub on: bool,
    pub until: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoReplyInput {
    pub mode: AutoReplyMode,
    pub text: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    pub working_hours: Option<WorkingHoursInput>,
    pub dnd: Option<DndInput>,
    pub auto_reply: Option<AutoReplyInput>,
}

fn member_of(actor: &Actor) -> AppResult<(MemberId, String)> {
    match &actor.kind {
        ActorKind::Member { id, userid, .. } => Ok((*id, userid.clone())),
        _ => Err(ErrorKind::Forbidden.into()),
    }
}

/// The caller's own settings.
pub async fn mine(app: &AppState, actor: &Actor) -> AppResult<Value> {
    let (me, _) = member_of(actor)?;
    Ok(load_one(&app.db, me.0).await?.view(app.now()))
}

/// Changes the caller's own settings (only the parts given). Nobody else can.
pub async fn update(app: &AppState, actor: &Actor, input: SettingsInput) -> AppResult<Value> {
    let (me, userid) = member_of(actor)?;
    let now = app.now();
    let before = load_one(&app.db, me.0).await?;
    let mut s = before.clone();
    let mut v = Validator::default();
    if let Some(w) = &input.working_hours {
        let mut bits = 0;
        for d in &w.days {
            if (1..=7).contains(d) {
                bits |= 1 << (d - 1);
            } else {
                v.push("working_hours.days", "invalid");
            }
        }
        v.check(bits != 0, "working_hours.days", "required");
        let start = parse_hhmm(&w.start);
        let end = parse_hhmm(&w.end);
        v.check(
            start.is_some_and(|s| s < 24 * 60),
            "working_hours.start",
            "format",
        );
        v.check(end.is_some(), "working_hours.end", "format");
        if let (Some(a), Some(b)) = (start, end) {
            v.check(a < b, "working_hours.end", "before_start");
            s.work_start = a;
            s.work_end = b;
        }
        s.work_days = bits;
    }
    if let Some(d) = &input.dnd {
        if d.on {
            v.check(d.until.is_none_or(|u| u > now), "dnd.until", "in_the_past");
            s.dnd = true;
            s.dnd_until = d.until;
        } else {
            s.dnd = false;
            s.dnd_until = None;
        }
    }
    if let Some(a) = &input.auto_reply {
        let text = a.text.as_deref().map(str::trim).unwrap_or_default();
        v.check(
            text.chars().count() <= MAX_AUTO_REPLY_CHARS,
            "auto_reply.text",
            "too_long",
        );
        s.auto_reply = a.mode;
        if a.text.is_some() {
            s.auto_reply_text = text.to_owned();
        }
        v.check(
            a.mode == AutoReplyMode::Off || !s.auto_reply_text.is_empty(),
            "auto_reply.text",
            "required",
        );
    }
    v.finish()?;
    s.version = now.max(before.version + 1);
    let mut tx = app.db.begin().await?;
    tx.exec(
        sql("INSERT INTO chat_attention (member_id, corp_id, work_days, work_start, work_end, dnd, dnd_until, auto_reply, auto_reply_text, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (member_id) DO UPDATE SET work_days = excluded.work_days, work_start = excluded.work_start, work_end = excluded.work_end, \
             dnd = excluded.dnd, dnd_until = excluded.dnd_until, auto_reply = excluded.auto_reply, auto_reply_text = excluded.auto_reply_text, updated_at = excluded.updated_at")
            .bind(me)
            .bind(actor.corp)
            .bind(s.work_days)
            .bind(s.work_start)
            .bind(s.work_end)
            .bind(s.dnd)
            .bind(s.dnd_until)
            .bind(s.auto_reply.as_str())
            .bind(s.auto_reply_text.clone())
            .bind(s.version),
    )
    .await?;
    qixie_kernel::audit::record(
        &mut tx,
        actor,
        now,
        qixie_kernel::audit::Entry {
            kind: "chat.attention",
            target: format!("member:{userid}"),
            before: Some(audit_view(&before)),
            after: Some(audit_view(&s)),
        },
    )
    .await?;
    let (held,): (i64,) = tx
        .one(sql("SELECT COUNT(*) FROM chat_attention_held WHERE member_id = $1").bind(me))
        .await?;
    tx.commit().await?;
    // What was held waits for the new start of work (or goes out now).
    if held > 0
        && let Some(at) = s.next_start(now)
    {
        schedule(app, actor.corp, me.0, at).await?;
    }
    app.chat().attention.forget(&[me.0]);
    fanout::publish(
        app,
        Delivery {
            node: app.node_id.to_string(),
            audience: Audience::Members { ids: vec![me.0] },
            conv: 0,
            seq: 0,
            text: json!({ "t": "attention" }).to_string(),
            forget: false,
            except: None,
            attention: true,
        },
    )
    .await;
    Ok(s.view(now))
}

/// What the audit log keeps of a change: the quiet hours and whether an automatic reply is on (not
/// its words).
fn audit_view(s: &Settings) -> Value {
    json!({
        "working_hours": { "days": s.days(), "start": hhmm(s.work_start), "end": hhmm(s.work_end) },
        "dnd": { "on": s.dnd, "until": s.dnd_until },
        "auto_reply": s.auto_reply.as_str(),
    })
}

/// A managed member's quiet hours, for an administrator (read only: no route changes them).
pub async fn quiet_hours_of(
    app: &AppState,
    grant: &Grant<perm::ContactsManage>,
    userid: &str,
) -> AppResult<Value> {
    let m = qixie_org::member::get_in_scope(&app.db, grant, userid).await?;
    let mut v = load_one(&app.db, m.id.0).await?.quiet_hours_view(app.now());
    v["userid"] = json!(m.userid);
    v["name"] = json!(m.name);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    // 2026-09-21 is a Monday; 00:00 there is 2026-09-20T16:00Z.
    const MONDAY: i64 = 1_789_920_000_000;

    #[test]
    fn working_hours_and_next_start() {
        let s = Settings::default();
        assert!(!s.in_working_hours(MONDAY + 8 * HOUR));
        assert!(s.in_working_hours(MONDAY + 9 * HOUR));
        assert!(!s.in_working_hours(MONDAY + 18 * HOUR));
        assert_eq!(s.next_start(MONDAY + 2 * HOUR), Some(MONDAY + 9 * HOUR));
        assert_eq!(s.next_start(MONDAY + 10 * HOUR), Some(MONDAY + 10 * HOUR));
        // Friday evening → Monday morning.
        let friday = MONDAY + 4 * DAY;
        assert_eq!(
            s.next_start(friday + 19 * HOUR),
            Some(MONDAY + 7 * DAY + 9 * HOUR)
        );
        let dnd = Settings {
            dnd: true,
            dnd_until: Some(MONDAY + 20 * HOUR),
            ..Settings::default()
        };
        assert!(dnd.quiet(MONDAY + 10 * HOUR));
        assert_eq!(
            dnd.next_start(MONDAY + 10 * HOUR),
            Some(MONDAY + DAY + 9 * HOUR)
        );
        let forever = Settings {
            dnd: true,
            ..Settings::default()
        };
        assert_eq!(forever.next_start(MONDAY + 10 * HOUR), None);
    }

    #[test]
    fn working_hours_follow_the_zone() {
        // 09:00 Monday in Shanghai is 03:00 in Berlin (summer time): not yet working there.
        let berlin = Settings {
            zone: Zone::named("Europe/Berlin").unwrap(),
            ..Settings::default()
        };
        assert!(!berlin.in_working_hours(MONDAY + 9 * HOUR));
        assert!(berlin.in_working_hours(MONDAY + 15 * HOUR));
        // Berlin's 09:00 that Monday is 07:00 UTC, 15:00 in Shanghai.
        assert_eq!(
            berlin.next_start(MONDAY + 9 * HOUR),
            Some(MONDAY + 15 * HOUR)
        );
        assert_eq!(berlin.local_date(MONDAY + 2 * HOUR), 20_260_920);
    }

    #[test]
    fn times_parse() {
        assert_eq!(parse_hhmm("09:00"), Some(540));
        assert_eq!(parse_hhmm("24:00"), Some(1440));
        assert_eq!(parse_hhmm("24:01"), None);
        assert_eq!(parse_hhmm("9:5"), None);
        assert_eq!(hhmm(1080), "18:00");
    }
}
