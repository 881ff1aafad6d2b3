//! Who is signed in, as the requests of the next few seconds may reuse it: identity stores what it
//! read for a session token here, and whatever ends a session or changes what it may do (roles,
//! freezing, department moves, the security policy) forgets the entries concerned, before its
//! transaction commits and again after, so a revoked session fails on its very next request. An
//! entry read from the database while such a change was under way is not kept. Only a single node
//! uses the cache; with several, each request reads the database.
use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::db::Tx;
use super::ids::MemberId;

pub const TTL: Duration = Duration::from_secs(5);
const MAX_ENTRIES: usize = 20_000;

type Entry = (Instant, i64, Arc<dyn Any + Send + Sync>);

#[derive(Clone, Default)]
pub struct AccessCache(Arc<Inner>);

#[derive(Default)]
struct Inner {
    entries: Mutex<HashMap<String, Entry>>,
    /// Bumped by every forget: an entry read before a forget is not stored after it.
    epoch: AtomicU64,
}

impl AccessCache {
    fn entries(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.0.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn epoch(&self) -> u64 {
        self.0.epoch.load(Ordering::SeqCst)
    }

    pub fn get<T: Any + Send + Sync>(&self, key: &str) -> Option<Arc<T>> {
        let e = self.entries();
        e.get(key)
            .filter(|(at, _, _)| at.elapsed() < TTL)
            .and_then(|(_, _, v)| v.clone().downcast::<T>().ok())
    }

    /// Keeps `value` for `member`'s session `key`, unless something was forgotten since `epoch`.
    pub fn put<T: Any + Send + Sync>(&self, key: String, epoch: u64, member: MemberId, value: T) {
        let mut e = self.entries();
        if self.epoch() != epoch {
            return;
        }
        if e.len() >= MAX_ENTRIES {
            e.retain(|_, (at, _, _)| at.elapsed() < TTL);
            if e.len() >= MAX_ENTRIES {
                e.clear();
            }
        }
        e.insert(key, (Instant::now(), member.0, Arc::new(value)));
    }

    fn forget(&self, pred: impl Fn(&str, i64) -> bool) {
        let mut e = self.entries();
        self.0.epoch.fetch_add(1, Ordering::SeqCst);
        e.retain(|k, (_, m, _)| !pred(k, *m));
    }

    pub fn forget_key(&self, key: &str) {
        self.forget(|k, _| k == key);
    }

    /// Drops the cached sessions of `member` now.
    pub fn forget_member(&self, member: MemberId) {
        self.forget(|_, m| m == member.0);
    }

    /// Drops the cached sessions of `member` now and when `tx` commits: for every change that ends
    /// a member's sessions or changes their status, password or rights.
    pub fn forget_member_after_commit(&self, tx: &mut Tx, member: MemberId) {
        self.forget_member(member);
        let me = self.clone();
        tx.after_commit(move || me.forget_member(member));
    }

    /// Drops every cached session now and when `tx` commits (policy changes, department moves).
    pub fn forget_all_after_commit(&self, tx: &mut Tx) {
        self.forget(|_, _| true);
        let me = self.clone();
        tx.after_commit(move || me.forget(|_, _| true));
    }
}
