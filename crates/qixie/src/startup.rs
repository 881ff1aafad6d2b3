//! Building the application: storage, migrations, state, router, background work. Tests start it on
//! port 0.
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::modules::MODULES;
use qixie_kernel::AppState;
use qixie_kernel::clock::{SharedClock, SystemClock};
use qixie_kernel::config::Config;
use qixie_kernel::db::Database;
use qixie_kernel::jobs::{self, JobRegistry};
use qixie_kernel::password::Hasher;
use qixie_kernel::state::{Parts, Runtimes};

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
    let mut migrations = vec![qixie_kernel::migrate::KERNEL];
    migrations.extend(MODULES.iter().map(|m| m.migrations()));
    qixie_kernel::migrate::run(&db, &migrations).await?;
    let mut runtimes = Runtimes::default();
    let mut listeners = Vec::new();
    for m in MODULES {
        m.install(&config, &mut runtimes);
        m.listeners(&mut listeners);
    }
    AppState::new(Parts {
        db,
        clock: options.clock.clone(),
        hasher: options.hasher.clone(),
        config,
        runtimes,
        listeners,
    })
}

pub fn job_registry() -> JobRegistry {
    let mut r = JobRegistry::default();
    jobs::register_storage_jobs(&mut r);
    for m in MODULES {
        m.jobs(&mut r);
    }
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
        let state = open_state(config, &options).await?;
        for m in MODULES {
            m.start(&state, options.run_jobs)
                .await
                .map_err(|e| anyhow::anyhow!("starting {}: {e:#}", m.name()))?;
        }
        if options.run_jobs {
            tokio::spawn(jobs::run_scheduler(
                state.clone(),
                Arc::new(job_registry()),
                state.jobs.clone(),
            ));
            jobs::schedule_periodic(&state, jobs::OPTIMIZE_JOB, 3600 * 1000, state.now()).await?;
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
