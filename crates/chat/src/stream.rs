//! A conversation's event stream: rows numbered by `seq` without holes, how they are appended inside
//! a transaction, read back for catch-up and history, and shown to clients.
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use qixie_kernel::db::{Arg, Database, Tx, sql};
use qixie_kernel::error::{AppResult, ErrorKind};
use qixie_kernel::ids::{ConvId, CorpId, new_id};
use qixie_kernel::ser::split_list;

/// Who an event comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    Member {
        id: i64,
        userid: String,
        name: String,
    },
    Robot {
        id: i64,
        name: String,
    },
    App {
        id: i64,
        agentid: i64,
        name: String,
    },
    System,
}

impl Sender {
    fn columns(&self) -> (&'static str, Option<i64>, String, String) {
        match self {
            Sender::Member { id, userid, name } => {
                ("member", Some(*id), userid.clone(), name.clone())
            }
            Sender::Robot { id, name } => ("robot", Some(*id), id.to_string(), name.clone()),
            Sender::App { id, agentid, name } => {
                ("app", Some(*id), agentid.to_string(), name.clone())
            }
            Sender::System => ("system", None, String::new(), String::new()),
        }
    }
    pub fn member_id(&self) -> Option<i64> {
        match self {
            Sender::Member { id, .. } => Some(*id),
            _ => None,
        }
    }
}

/// An event ready to be stored; `seq` and `id` are given when it is appended.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: &'static str,
    pub sender: Sender,
    pub msg_type: String,
    pub content: Value,
    pub html: String,
    pub plain: String,
    pub mentions: Vec<String>,
    pub mention_all: bool,
    pub quote: Option<Value>,
    pub has_link: bool,
    pub urgent: bool,
    pub not_urgent: bool,
    pub client_id: Option<String>,
}

impl NewEvent {
    /// A line such as "张三 加入了群聊": clients render `code` with `params` in their language.
    pub fn system(code: &str, params: Value, by: Sender) -> NewEvent {
        NewEvent {
            kind: "system",
            sender: by,
            msg_type: String::new(),
            content: json!({ "code": code, "params": params }),
            html: String::new(),
            plain: String::new(),
            mentions: Vec::new(),
            mention_all: false,
            quote: None,
            has_link: false,
            urgent: false,
            not_urgent: false,
            client_id: None,
        }
    }
}

pub const EVENT_COLS: &str = "conversation_id, seq, id, corp_id, kind, sender_kind, sender_id, sender_ref, sender_name, msg_type, content, html, plain, mentions, mention_all, quote, has_link, urgent, not_urgent, client_id, recalled_at, recalled_by, pinned_at, created_at";

/// `EVENT_COLS` of the table named `alias` in a join.
pub fn event_cols(alias: &str) -> String {
    EVENT_COLS
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub conversation_id: i64,
    pub seq: i64,
    pub id: i64,
    pub corp_id: i64,
    pub kind: String,
    pub sender_kind: String,
    pub sender_id: Option<i64>,
    pub sender_ref: String,
    pub sender_name: String,
    pub msg_type: String,
    pub content: String,
    pub html: String,
    pub plain: String,
    pub mentions: String,
    pub mention_all: bool,
    pub quote: Option<String>,
    pub has_link: bool,
    pub urgent: bool,
    pub not_urgent: bool,
    pub client_id: Option<String>,
    pub recalled_at: Option<i64>,
    pub recalled_by: Option<i64>,
    pub pinned_at: Option<i64>,
    pub created_at: i64,
}

/// Who an event comes from, as clients see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventSender {
    /// `member`, `robot`, `app` or `system`.
    pub kind: String,
    /// A member's userid, a robot's id, an app's agentid.
    pub userid: String,
    pub name: String,
    /// The member was deleted from the enterprise; `name` is the name they sent under.
    pub departed: bool,
}

/// An event as clients see it (docs/api/chat.md). Read back as well as written: search answers are
/// checked against it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventView {
    pub id: String,
    pub conv: String,
    pub seq: i64,
    pub at: i64,
    /// `message`, `recall` or `system`.
    pub kind: String,
    pub sender: EventSender,
    #[serde(rename = "type")]
    pub msg_type: String,
    /// Depends on `kind` and `type` (docs/api/chat.md); `{}` once recalled.
    #[schema(value_type = Object)]
    pub content: Value,
    pub html: String,
    pub mentions: Vec<String>,
    pub mention_all: bool,
    /// The quoted message: `{id, seq, sender_name, excerpt}`.
    #[schema(value_type = Option<Object>)]
    pub quote: Option<Value>,
    pub recalled: bool,
    pub pinned: bool,
    pub urgent: bool,
    pub not_urgent: bool,
    pub client_id: Option<String>,
}

impl EventRow {
    pub fn view(&self) -> EventView {
        let recalled = self.recalled_at.is_some();
        EventView {
            id: self.id.to_string(),
            conv: self.conversation_id.to_string(),
            seq: self.seq,
            at: self.created_at,
            kind: self.kind.clone(),
            // A member sender without an id was deleted from the enterprise: shown under their name,
            // marked as departed.
            sender: EventSender {
                kind: self.sender_kind.clone(),
                userid: self.sender_ref.clone(),
                name: self.sender_name.clone(),
                departed: self.sender_kind == "member" && self.sender_id.is_none(),
            },
            msg_type: self.msg_type.clone(),
            // A recalled message keeps its place in the stream but not its content.
            content: if recalled {
                json!({})
            } else {
                serde_json::from_str(&self.content).unwrap_or(Value::Null)
            },
            html: if recalled {
                String::new()
            } else {
                self.html.clone()
            },
            mentions: split_list(&self.mentions),
            mention_all: self.mention_all,
            quote: if recalled {
                None
            } else {
                self.quote
                    .as_deref()
                    .and_then(|q| serde_json::from_str(q).ok())
            },
            recalled,
            pinned: self.pinned_at.is_some(),
            urgent: self.urgent,
            not_urgent: self.not_urgent,
            client_id: self.client_id.clone(),
        }
    }
    pub fn is_message(&self) -> bool {
        self.kind == "message"
    }
    /// A short line for previews and quotes.
    pub fn excerpt(&self, max_chars: usize) -> String {
        let text: String = self.plain.chars().take(max_chars).collect();
        if self.plain.chars().count() > max_chars {
            format!("{text}…")
        } else {
            text
        }
    }
}

/// The JSON frame announcing an event on the real-time socket.
pub fn event_frame(view: &EventView) -> String {
    json!({ "t": "event", "conv": view.conv, "seq": view.seq, "event": view }).to_string()
}

/// Appends lines (system events, recalls) to one conversation inside `tx`: advances its counter and
/// inserts the rows with the seqs that follow. Fails with `ConversationClosed` when the conversation
/// is not active (unless `allow_closed`, for the event that closes it). Messages are stored by the
/// writer (writer.rs), which also queues them for the search index.
pub async fn append(
    tx: &mut Tx,
    corp: CorpId,
    conv: ConvId,
    events: Vec<NewEvent>,
    now: i64,
    allow_closed: bool,
) -> AppResult<Vec<EventRow>> {
    debug_assert!(
        events.iter().all(|e| e.kind != "message"),
        "messages go through the writer"
    );
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let n = events.len() as i64;
    let mut q = sql("UPDATE chat_conversations SET last_seq = last_seq + ").push_bind("{}", n);
    // System lines (joins, renames) do not move a conversation up the list; messages do.
    if events.iter().any(|e| e.kind != "system") {
        q = q.push_bind(", last_activity_at = {}", now);
    }
    q = q
        .push_bind(" WHERE id = {}", conv)
        .push_bind(" AND corp_id = {}", corp);
    if !allow_closed {
        q = q.push(" AND status = 'active'");
    }
    let last: Option<(i64,)> = tx.opt(q.push(" RETURNING last_seq")).await?;
    let (last,) = last.ok_or(ErrorKind::ConversationClosed)?;
    let first = last - n + 1;
    let rows: Vec<EventRow> = events
        .into_iter()
        .enumerate()
        .map(|(i, e)| to_row(corp, conv, first + i as i64, now, e))
        .collect();
    insert_rows(tx, &rows).await?;
    Ok(rows)
}

pub fn to_row(corp: CorpId, conv: ConvId, seq: i64, now: i64, e: NewEvent) -> EventRow {
    let (sender_kind, sender_id, sender_ref, sender_name) = e.sender.columns();
    EventRow {
        conversation_id: conv.0,
        seq,
        id: new_id(now),
        corp_id: corp.0,
        kind: e.kind.to_owned(),
        sender_kind: sender_kind.to_owned(),
        sender_id,
        sender_ref,
        sender_name,
        msg_type: e.msg_type,
        content: e.content.to_string(),
        html: e.html,
        plain: e.plain,
        mentions: e.mentions.join(","),
        mention_all: e.mention_all,
        quote: e.quote.map(|q| q.to_string()),
        has_link: e.has_link,
        urgent: e.urgent,
        not_urgent: e.not_urgent,
        client_id: e.client_id,
        recalled_at: None,
        recalled_by: None,
        pinned_at: None,
        created_at: now,
    }
}

/// Inserts rows with multi-row statements (a group commit inserts hundreds at once). Every event is
/// stored through here. (SQLite resolves each parameter's name by walking a list, so statements are
/// kept near 500 parameters: 400-row statements once spent three quarters of the writer's time there.)
pub async fn insert_rows(tx: &mut Tx, rows: &[EventRow]) -> AppResult<()> {
    tx.insert_many(
        "INSERT INTO chat_events (conversation_id, seq, id, corp_id, kind, sender_kind, sender_id, sender_ref, sender_name, msg_type, content, html, plain, mentions, mention_all, quote, has_link, urgent, not_urgent, client_id, created_at) VALUES",
        "",
        rows.iter().map(values).collect(),
    )
    .await?;
    Ok(())
}

fn values(r: &EventRow) -> Vec<Arg> {
    vec![
        r.conversation_id.into(),
        r.seq.into(),
        r.id.into(),
        r.corp_id.into(),
        r.kind.clone().into(),
        r.sender_kind.clone().into(),
        r.sender_id.into(),
        r.sender_ref.clone().into(),
        r.sender_name.clone().into(),
        r.msg_type.clone().into(),
        r.content.clone().into(),
        r.html.clone().into(),
        r.plain.clone().into(),
        r.mentions.clone().into(),
        r.mention_all.into(),
        r.quote.clone().into(),
        r.has_link.into(),
        r.urgent.into(),
        r.not_urgent.into(),
        r.client_id.clone().into(),
        r.created_at.into(),
    ]
}

/// Events after `after` (and after `floor`, what the member may see), ascending, at most `limit`.
pub async fn after(
    db: &Database,
    conv: ConvId,
    after: i64,
    limit: i64,
) -> AppResult<Vec<EventRow>> {
    Ok(db
        .all(
            sql(format!(
                "SELECT {EVENT_COLS} FROM chat_events WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
            ))
            .bind(conv)
            .bind(after)
            .bind(limit),
        )
        .await?)
}

/// Events with `floor < seq < before`, the newest `limit` of them, ascending.
pub async fn before(
    db: &Database,
    conv: ConvId,
    floor: i64,
    before: i64,
    limit: i64,
) -> AppResult<Vec<EventRow>> {
    let mut rows: Vec<EventRow> = db
        .all(
            sql(format!(
                "SELECT {EVENT_COLS} FROM chat_events WHERE conversation_id = $1 AND seq > $2 AND seq < $3 ORDER BY seq DESC LIMIT $4"
            ))
            .bind(conv)
            .bind(floor)
            .bind(before)
            .bind(limit),
        )
        .await?;
    rows.reverse();
    Ok(rows)
}

pub async fn by_id(db: &Database, corp: CorpId, id: i64) -> AppResult<EventRow> {
    db.opt(
        sql(format!(
            "SELECT {EVENT_COLS} FROM chat_events WHERE id = $1 AND corp_id = $2"
        ))
        .bind(id)
        .bind(corp),
    )
    .await?
    .ok_or_else(|| ErrorKind::MessageNotFound.into())
}
