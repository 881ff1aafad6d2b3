//! Building the application: storage, migrations, state, router, background work. Tests start it on
//! port 0.
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::config::Config;
use crate::kernel::blob::BlobStore;
use crate::kernel::clock::{SharedClock, SystemClock};
use crate::kernel::db::Database;
use crate::kernel::events::EventBus;
use crate::kernel::jobs::{self, JobRegistry, JobSignal};
use crate::kernel::password::Hasher;
use crate::modules::org::offboarding::OffboardingRegistry;

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
    pub metrics: Arc<crate::http::metrics::Metrics>,
    pub offboarding: Arc<OffboardingRegistry>,
    pub chat: Arc<crate::modules::chat::ChatRuntime>,
    /// The client for requests to addresses users and apps choose (callbacks).
    pub outbound: crate::kernel::outbound::Outbound,
}

impl AppState {
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}

pub struct Options {
    pub clock: SharedClock,
    pub hasher: Hasher,
    pub run_jobs: bool,
}

impl Default for Options {
    fn default() -> Self {
        let fast = std::env::var("QIXIE_FAST_HASH").is_ok_and(|v| v == "1");
        Options {
            clock: Arc::new(SystemClock),
            hasher: if fast {
                Hasher::fast_for_tests()
            } else {
                Hasher::new(1)
            },
            run_jobs: true,
        }
    }
}

/// Opens storage and runs migrations: shared by the server and the command line.
pub async fn open_state(config: Config, options: &Options) -> anyhow::Result<AppState> {
    std::fs::create_dir_all(&config.data_dir)?;
    let db = Database::connect(&config.database_url()).await?;
    crate::kernel::migrate::run(&db).await?;
    let mut offboarding = OffboardingRegistry::default();
    crate::modules::org::register_handovers(&mut offboarding);
    crate::modules::chat::register_handovers(&mut offboarding);
    Ok(AppState {
        db,
        clock: options.clock.clone(),
        events: EventBus::default(),
        hasher: options.hasher.clone(),
        blobs: BlobStore::local(config.data_dir.join("blobs")),
        jobs: JobSignal::default(),
        node_id: crate::kernel::ids::random_token(6).into(),
        outbound: crate::kernel::outbound::Outbound::new(&config.outbound_allow),
        metrics: Arc::default(),
        offboarding: Arc::new(offboarding),
        chat: Arc::new(crate::modules::chat::ChatRuntime::new(&config)),
        config: Arc::new(config),
    })
}

pub fn job_registry() -> JobRegistry {
    let mut r = JobRegistry::default();
    crate::kernel::jobs::register_storage_jobs(&mut r);
    crate::wecom::batch::register_jobs(&mut r);
    crate::wecom::media::register_jobs(&mut r);
    crate::modules::identity::register_jobs(&mut r);
    crate::modules::chat::register_jobs(&mut r);
    r
}

pub struct Application {
    listener: TcpListener,
    pub state: AppState,
}

/// Binds with a deep accept queue: thousands of clients reconnecting at once should wait in it, not
/// be dropped by the kernel and retried seconds later (the default backlog is 128).
async fn listen(addr: &str) -> std::io::Result<TcpListener> {
    let mut last = None;
    for a in tokio::net::lookup_host(addr).await? {
        let socket = if a.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        match socket.bind(a).and_then(|()| socket.listen(4096)) {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no address to listen on")))
}

impl Application {
    pub async fn build(config: Config, options: Options) -> anyhow::Result<Application> {
        let listener = listen(&config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
        let mut state = open_state(config, &options).await?;
        if !state.config.nats_url.is_empty() {
            let bus = Arc::new(
                crate::realtime::bus::Bus::connect(
                    &state.config.nats_url,
                    &state.config.nats_prefix,
                )
                .await?,
            );
            state.chat = Arc::new(crate::modules::chat::ChatRuntime {
                bus: Some(bus.clone()),
                ..crate::modules::chat::ChatRuntime::new(&state.config)
            });
            bus.listen(state.clone()).await?;
            tracing::info!("scale-out: delivering through NATS");
        }
        crate::modules::chat::sync::spawn_listener(state.clone());
        if options.run_jobs {
            tokio::spawn(jobs::run_scheduler(
                state.clone(),
                Arc::new(job_registry()),
                state.jobs.clone(),
            ));
            crate::modules::identity::schedule_housekeeping(&state).await?;
            crate::modules::chat::search::schedule_backfill(&state).await?;
            crate::modules::chat::search::spawn_indexer(state.clone());
            let now = state.now();
            jobs::schedule_periodic(&state, jobs::OPTIMIZE_JOB, 3600 * 1000, now).await?;
            jobs::schedule_periodic(&state, crate::wecom::media::PURGE_JOB, 3600 * 1000, now)
                .await?;
        }
        Ok(Application { listener, state })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let router = crate::http::router(self.state.clone());
        tracing::info!(addr = %self.listener.local_addr()?, "qixie is listening");
        // Small frames (acks, events) go out at once instead of waiting for the peer's delayed ACK.
        let listener = axum::serve::ListenerExt::tap_io(self.listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        self.state.db.close().await;
        Ok(())
    }
}
