//! Who is in a conversation and with which role, cached per node: every message is checked against
//! it before it is queued and fanned out to it after commit. A change to a conversation forgets its
//! entry here and on every other node (through the fan-out), so the next use reads the database.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use qixie_kernel::db::{Database, sql};
use qixie_kernel::error::{AppResult, ErrorKind};
use qixie_kernel::ids::{ConvId, CorpId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Owner,
    Admin,
    Member,
}

impl Role {
    pub fn parse(s: &str) -> Role {
        match s {
            "owner" => Role::Owner,
            "admin" => Role::Admin,
            _ => Role::Member,
        }
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
    pub fn is_admin(&self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// The facts about a conversation that sending and fan-out need.
#[derive(Debug)]
pub struct Roster {
    pub id: ConvId,
    pub corp: CorpId,
    pub kind: String,
    pub status: String,
    pub mute_all: bool,
    pub at_all_admins_only: bool,
    /// Sorted member ids.
    pub members: Vec<i64>,
    /// Owner and administrators; everyone else is a plain member.
    pub admins: HashMap<i64, Role>,
    /// Sorted ids of members who muted the conversation (it does not alert them).
    pub muted: Vec<i64>,
}

impl Roster {
    pub fn contains(&self, member: i64) -> bool {
        self.members.binary_search(&member).is_ok()
    }
    pub fn role(&self, member: i64) -> Option<Role> {
        if !self.contains(member) {
            return None;
        }
        Some(self.admins.get(&member).cloned().unwrap_or(Role::Member))
    }
    pub fn is_group(&self) -> bool {
        matches!(self.kind.as_str(), "group" | "department" | "company")
    }
    pub fn is_muted(&self, member: i64) -> bool {
        self.muted.binary_search(&member).is_ok()
    }
}

#[derive(sqlx::FromRow)]
struct Head {
    corp_id: i64,
    kind: String,
    status: String,
    mute_all: bool,
    at_all_admins_only: bool,
}

async fn load(db: &Database, conv: ConvId) -> AppResult<Roster> {
    let head: Head = db
        .opt(
            sql("SELECT corp_id, kind, status, mute_all, at_all_admins_only FROM chat_conversations WHERE id = $1")
                .bind(conv),
        )
        .await?
        .ok_or(ErrorKind::ConversationNotFound)?;
    let rows: Vec<(i64, String, bool)> = db
        .all(
            sql("SELECT member_id, role, muted FROM chat_members WHERE conversation_id = $1 ORDER BY member_id")
                .bind(conv),
        )
        .await?;
    let admins = rows
        .iter()
        .filter(|(_, r, _)| r != "member")
        .map(|(m, r, _)| (*m, Role::parse(r)))
        .collect();
    let muted = rows
        .iter()
        .filter(|(_, _, m)| *m)
        .map(|(id, _, _)| *id)
        .collect();
    Ok(Roster {
        id: conv,
        corp: CorpId(head.corp_id),
        kind: head.kind,
        status: head.status,
        mute_all: head.mute_all,
        at_all_admins_only: head.at_all_admins_only,
        members: rows.into_iter().map(|(m, _, _)| m).collect(),
        admins,
        muted,
    })
}

/// Entries kept before the cache starts over (an entry of a 2,000-member group is about 16 KiB).
const MAX_ENTRIES: usize = 20_000;

#[derive(Default)]
pub struct RosterCache {
    entries: Mutex<HashMap<i64, Arc<Roster>>>,
    /// Bumped by every `forget`, so a load that raced with a change is not cached.
    generation: AtomicU64,
}

impl RosterCache {
    pub async fn get(&self, db: &Database, conv: ConvId) -> AppResult<Arc<Roster>> {
        if let Some(r) = self
            .entries
            .lock()
            .ok()
            .and_then(|m| m.get(&conv.0).cloned())
        {
            return Ok(r);
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let r = Arc::new(load(db, conv).await?);
        if let Ok(mut m) = self.entries.lock()
            && self.generation.load(Ordering::SeqCst) == generation
        {
            if m.len() >= MAX_ENTRIES {
                m.clear();
            }
            m.insert(conv.0, r.clone());
        }
        Ok(r)
    }

    /// The conversation for `corp`, or not found (another enterprise's ids do not exist here).
    pub async fn get_in(
        &self,
        db: &Database,
        corp: CorpId,
        conv: ConvId,
    ) -> AppResult<Arc<Roster>> {
        let r = self.get(db, conv).await?;
        if r.corp != corp {
            return Err(ErrorKind::ConversationNotFound.into());
        }
        Ok(r)
    }

    /// Forgets every entry (after this node may have missed changes, e.g. while NATS was away).
    pub fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut m) = self.entries.lock() {
            m.clear();
        }
    }

    pub fn forget(&self, conv: ConvId) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut m) = self.entries.lock() {
            m.remove(&conv.0);
        }
    }
}
