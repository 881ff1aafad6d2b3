//! Messaging (消息): conversations and their event streams, messages with receipts and recall, group
//! rules, robots and app messages, and delivery to connected clients (see docs/api/chat.md and
//! docs/api/realtime.md).
pub mod attention;
pub mod attention_http;
pub mod auto_reply;
pub mod conversation;
pub mod fanout;
pub mod http;
pub mod markdown;
pub mod media;
pub mod message;
pub mod notice;
pub mod people;
pub mod policy;
pub mod quick_replies;
pub mod realtime;
pub mod robots;
pub mod roster;
pub mod search;
pub mod send_limit;
pub mod stream;
pub mod sync;
pub mod urgent;
pub mod writer;

use std::sync::{Arc, OnceLock};

use qixie_kernel::AppState;
use qixie_kernel::config::Config;
use qixie_kernel::events::DomainEvent;
use qixie_kernel::http::openapi::ApiRoutes;
use qixie_kernel::jobs::JobRegistry;
use qixie_kernel::migrate::{Migration, Script};
use qixie_kernel::module::{Module, StartFuture};
use qixie_kernel::state::{Listener, Runtimes};
use qixie_org::offboarding::OffboardingRegistry;
use realtime::bus::Bus;
use realtime::hub::Hub;

pub struct Chat;

impl Module for Chat {
    fn name(&self) -> &'static str {
        "chat"
    }
    fn install(&self, config: &Config, runtimes: &mut Runtimes) {
        runtimes.insert(ChatRuntime::new(config));
        if let Some(handovers) = runtimes.get_mut::<OffboardingRegistry>() {
            handovers.register(Arc::new(conversation::GroupOwnership));
        }
    }
    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }
    fn routes(&self) -> ApiRoutes {
        http::routes()
    }
    fn jobs(&self, r: &mut JobRegistry) {
        sync::register_jobs(r);
        search::register_jobs(r);
        attention::register_jobs(r);
        urgent::register_jobs(r);
    }
    /// On every node: ended sessions lose their sockets at once, and cached rosters and attention
    /// settings follow the organisation.
    fn listeners(&self, listeners: &mut Vec<Listener>) {
        listeners.push(Arc::new(
            |app: &AppState, event: &DomainEvent| match event {
                DomainEvent::SessionsEnded { member, sessions } => {
                    realtime::end_sessions(app, member.0, sessions)
                }
                // A deleted member has left every conversation: rosters cached here may list them.
                DomainEvent::MemberDeleted { .. } => app.chat().roster.forget_all(),
                // Working hours are read on the member's or the enterprise's clock, which may have
                // changed.
                DomainEvent::MemberUpdated { member, .. } => {
                    app.chat().attention.forget(&[member.0])
                }
                DomainEvent::CorpUpdated { .. } => app.chat().attention.forget_all(),
                _ => {}
            },
        ));
    }
    fn start<'a>(&'a self, app: &'a AppState, runs_jobs: bool) -> StartFuture<'a> {
        Box::pin(async move {
            if app.clustered() {
                let bus = Arc::new(
                    Bus::connect(
                        &app.config.nats_url,
                        &app.config.nats_prefix,
                        app.node_id.clone(),
                    )
                    .await?,
                );
                let _ = app.chat().bus.set(bus.clone());
                app.set_relay(bus.clone());
                bus.listen(app.clone()).await?;
                tracing::info!("scale-out: delivering through NATS");
            }
            sync::spawn_listener(app.clone());
            if runs_jobs {
                search::schedule_backfill(app).await?;
                search::spawn_indexer(app.clone());
            }
            Ok(())
        })
    }
}

/// Messaging's run-time parts, from any handler or job.
pub trait ChatState {
    fn chat(&self) -> &ChatRuntime;
}

impl ChatState for AppState {
    fn chat(&self) -> &ChatRuntime {
        self.runtime::<ChatRuntime>()
    }
}

/// The parts of messaging that live for the whole process.
pub struct ChatRuntime {
    /// How fast each member may send (see `send_limit`).
    pub send_limit: send_limit::SendLimit,
    pub hub: Hub,
    pub roster: roster::RosterCache,
    pub writer: writer::Writer,
    pub robot_limits: robots::RateLimits,
    pub attention: attention::AttentionRuntime,
    pub indexing: search::Indexing,
    /// Set at start when several nodes share the database (QIXIE_NATS_URL).
    pub bus: OnceLock<Arc<Bus>>,
}

impl ChatRuntime {
    pub fn new(config: &qixie_kernel::config::Config) -> ChatRuntime {
        ChatRuntime {
            send_limit: send_limit::SendLimit::new(
                config.send_rate_per_second,
                config.send_rate_burst,
            ),
            hub: Hub::default(),
            roster: roster::RosterCache::default(),
            writer: writer::Writer::new(attention::after_commit),
            robot_limits: robots::RateLimits::default(),
            attention: attention::AttentionRuntime::default(),
            indexing: search::Indexing::default(),
            bus: OnceLock::new(),
        }
    }
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 3,
        name: "chat",
        script: Script::Both(include_str!("../migrations/0003_chat.sql")),
        backfill: None,
    },
    Migration {
        version: 4,
        name: "chat_search",
        script: Script::PerEngine {
            sqlite: include_str!("../migrations/0004_chat_search.sqlite.sql"),
            postgres: include_str!("../migrations/0004_chat_search.postgres.sql"),
        },
        backfill: None,
    },
    Migration {
        version: 5,
        name: "chat_attention",
        script: Script::Both(include_str!("../migrations/0005_chat_attention.sql")),
        backfill: None,
    },
    Migration {
        version: 6,
        name: "quick_replies",
        script: Script::Both(include_str!("../migrations/0006_quick_replies.sql")),
        backfill: None,
    },
    Migration {
        version: 7,
        name: "chat_client_ids",
        script: Script::Both(include_str!("../migrations/0007_chat_client_ids.sql")),
        backfill: None,
    },
    Migration {
        version: 9,
        name: "chat_search_pending",
        script: Script::PerEngine {
            sqlite: include_str!("../migrations/0009_chat_search_pending.sqlite.sql"),
            postgres: include_str!("../migrations/0009_chat_search_pending.postgres.sql"),
        },
        backfill: None,
    },
    Migration {
        version: 10,
        name: "chat_media_robot",
        script: Script::Both(include_str!("../migrations/0010_chat_media_robot.sql")),
        backfill: None,
    },
];
