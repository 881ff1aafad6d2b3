//! What attention keeps in memory on each node: members' settings, when each conversation last
//! alerted each member, and which holds and summaries are known to be stored.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::settings::{Settings, load};
use qixie_kernel::db::Database;
use qixie_kernel::error::AppResult;

/// One conversation alerts a member at most once in this long, unless it mentions them: a busy
/// group rings once, not once per message (the client still shows every message and the unread
/// count).
pub const COLLAPSE_MS: i64 = 3_000;
/// Cached entries kept before a cache starts over.
pub(super) const MAX_CACHED: usize = 200_000;

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
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
    /// (member, conversation) → ((settings version, summary time), first seq) of a hold known to be
    /// stored.
    pub(super) held: Mutex<HashMap<(i64, i64), (HoldKey, i64)>>,
    /// member → (settings version, summary time) of a summary job known to be queued.
    pub(super) scheduled: Mutex<HashMap<i64, (i64, i64)>>,
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

    /// Forgets every member's settings (their enterprise's clock changed).
    pub fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        lock(&self.settings).clear();
    }

    /// Forgets cached settings (they changed).
    pub fn forget(&self, ids: &[i64]) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let mut cache = lock(&self.settings);
        for id in ids {
            cache.remove(id);
        }
    }

    /// Of `members`, those `conv` has not alerted within `COLLAPSE_MS`; all of them count as
    /// alerted now. With `always`, every member is kept (mentions ring each time).
    pub(super) fn collapse(
        &self,
        conv: i64,
        members: Vec<i64>,
        now: i64,
        always: bool,
    ) -> Vec<i64> {
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
