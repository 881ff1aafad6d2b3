//! The application state every handler, job and listener receives. The kernel's own parts are
//! fields; a module keeps what it needs at run time (caches, registries, socket hubs) in a runtime
//! it installs at start, reached through `AppState::runtime`.
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::access::AccessCache;
use super::blob::BlobStore;
use super::clock::SharedClock;
use super::config::Config;
use super::db::{Database, Tx};
use super::events::{DomainEvent, EventBus};
use super::http::metrics::Metrics;
use super::jobs::JobSignal;
use super::outbound::Outbound;
use super::password::Hasher;

/// Everything a request handler or job may use. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub clock: SharedClock,
    pub events: EventBus,
    pub hasher: Hasher,
    pub blobs: BlobStore,
    pub jobs: JobSignal,
    pub node_id: Arc<str>,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    /// The client for requests to addresses users and apps choose (callbacks).
    pub outbound: Outbound,
    /// Who is signed in, cached briefly; modules that change rights forget entries.
    pub access: AccessCache,
    runtimes: Arc<Runtimes>,
    listeners: Arc<[Listener]>,
    relay: Arc<OnceLock<Arc<dyn Relay>>>,
}

/// Carries announced events to the other nodes, which hand them to their listeners (`hear`).
pub trait Relay: Send + Sync {
    fn relay(&self, event: &DomainEvent);
}

/// Reacts to an announced event, on every node, on the announcing (or relaying) task: for what each
/// node keeps and must change at once (caches, sockets of ended sessions), not for slow work.
pub type Listener = Arc<dyn Fn(&AppState, &DomainEvent) + Send + Sync>;

/// The modules' run-time parts, one value per type.
#[derive(Default)]
pub struct Runtimes(HashMap<TypeId, Arc<dyn Any + Send + Sync>>);

impl Runtimes {
    pub fn insert<T: Any + Send + Sync>(&mut self, value: T) {
        self.0.insert(TypeId::of::<T>(), Arc::new(value));
    }
    pub fn get_mut<T: Any + Send + Sync>(&mut self) -> Option<&mut T> {
        self.0
            .get_mut(&TypeId::of::<T>())
            .and_then(Arc::get_mut)
            .and_then(|r| r.downcast_mut::<T>())
    }
    fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.0
            .get(&TypeId::of::<T>())
            .and_then(|r| r.downcast_ref::<T>())
    }
}

/// The parts `AppState::new` does not make itself.
pub struct Parts {
    pub db: Database,
    pub clock: SharedClock,
    pub hasher: Hasher,
    pub config: Config,
    pub runtimes: Runtimes,
    pub listeners: Vec<Listener>,
}

impl AppState {
    /// Fails when the file store the configuration names cannot be set up.
    pub fn new(p: Parts) -> anyhow::Result<AppState> {
        Ok(AppState {
            db: p.db,
            clock: p.clock,
            events: EventBus::default(),
            hasher: p.hasher,
            blobs: BlobStore::open(&p.config.blob_s3, &p.config.data_dir)?,
            jobs: JobSignal::default(),
            node_id: super::ids::random_token(6).into(),
            outbound: Outbound::new(&p.config.outbound_allow),
            metrics: Arc::default(),
            access: AccessCache::default(),
            runtimes: Arc::new(p.runtimes),
            listeners: p.listeners.into(),
            relay: Arc::default(),
            config: Arc::new(p.config),
        })
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Whether several nodes share the database (through NATS).
    pub fn clustered(&self) -> bool {
        !self.config.nats_url.is_empty()
    }

    /// The runtime of type `T`, installed by its module at start.
    pub fn runtime<T: Any + Send + Sync>(&self) -> &T {
        match self.runtimes.get::<T>() {
            Some(r) => r,
            // Only a module list that leaves out the module owning `T` gets here.
            None => panic!("runtime {} is not installed", std::any::type_name::<T>()),
        }
    }

    /// Tells this node's listeners, the other nodes' listeners (through the relay) and this node's
    /// subscribers that `event` happened. Only once the change is committed: `Tx::emit` calls it.
    pub fn announce(&self, event: DomainEvent) {
        self.hear(&event);
        if let Some(relay) = self.relay.get() {
            relay.relay(&event);
        }
        self.events.publish(event);
    }

    /// An event announced on another node: this node's listeners react to it.
    pub fn hear(&self, event: &DomainEvent) {
        for l in self.listeners.iter() {
            l(self, event);
        }
    }

    /// Sets the relay to the other nodes (once, at start, when several nodes share the database).
    pub fn set_relay(&self, relay: Arc<dyn Relay>) {
        let _ = self.relay.set(relay);
    }
}

impl Tx {
    /// Announces `event` (`AppState::announce`) once the transaction has committed: a change and
    /// its announcement are written together, and a rolled-back change is never announced.
    pub fn emit(&mut self, app: &AppState, event: DomainEvent) {
        let app = app.clone();
        self.after_commit(move || app.announce(event));
    }
}
