//! The directory's department tree (`GET /directory/departments`: every department with leaders
//! and member counts, 537 KiB of JSON for 5,000 departments) is built once per enterprise and kept,
//! encoded, until the next change to departments, leaders or memberships. Writers call
//! `invalidate_after_commit` in their transaction: the entry is dropped when the change commits, and
//! a tree being built from data read before that moment is not kept. Entries also age out after
//! `MAX_AGE`, which bounds what another node's changes can leave stale here.
//!
//! The cache is a runtime org installs (`app.runtime::<TreeCache>()`): each server state has its
//! own, so two states in one process (tests, a second node) never share trees.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

use qixie_kernel::AppState;
use qixie_kernel::db::Tx;
use qixie_kernel::ids::CorpId;

const MAX_AGE: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Corp {
    generation: u64,
    tree: Option<(u64, Instant, Bytes)>,
}

/// The trees by enterprise. Cloning shares the cache (the outbox keeps a clone until commit).
#[derive(Clone, Default)]
pub struct TreeCache {
    corps: Arc<Mutex<HashMap<i64, Corp>>>,
}

impl TreeCache {
    pub fn of(app: &AppState) -> &TreeCache {
        app.runtime::<TreeCache>()
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<i64, Corp>) -> R) -> R {
        let mut g = self.corps.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut g)
    }

    /// The cached tree of `corp`, or the generation a tree built now must carry to be kept.
    pub fn get(&self, corp: CorpId) -> Result<Bytes, u64> {
        self.with(|m| {
            let c = m.entry(corp.0).or_default();
            match &c.tree {
                Some((g, at, b)) if *g == c.generation && at.elapsed() < MAX_AGE => Ok(b.clone()),
                _ => Err(c.generation),
            }
        })
    }

    /// Keeps a tree built from data read after `get` answered `generation`, unless something
    /// changed since.
    pub fn put(&self, corp: CorpId, generation: u64, tree: Bytes) {
        self.with(|m| {
            let c = m.entry(corp.0).or_default();
            if c.generation == generation {
                c.tree = Some((generation, Instant::now(), tree));
            }
        })
    }

    pub fn invalidate(&self, corp: CorpId) {
        self.with(|m| {
            let c = m.entry(corp.0).or_default();
            c.generation += 1;
            c.tree = None;
        })
    }

    /// Drops the tree now and again when `tx` commits.
    pub fn invalidate_after_commit(&self, tx: &mut Tx, corp: CorpId) {
        self.invalidate(corp);
        let me = self.clone();
        tx.after_commit(move || me.invalidate(corp));
    }
}
