//! Attendance and leave (打卡、考勤、假期): rules for groups of people, clock-in with a geofence that
//! is right in China, the enterprise's holidays, each member's day results, leave balances fed by
//! approvals, and WeCom's checkin and vacation shapes (docs/attendance.md, docs/api/attendance.md).
pub mod admin;
pub mod clockin;
pub mod date;
pub mod days;
pub mod demo;
pub mod export;
pub mod external;
pub mod geo;
pub mod holidays;
pub mod holidays_http;
pub mod http;
pub mod jobs;
pub mod leave;
pub mod plan;
pub mod punch_follower;
pub mod result;
pub mod results;
pub mod rule;
pub mod schedule;
pub mod settings;
pub mod wecom_shape;

use qixie_kernel::config::Config;
use qixie_kernel::events::DomainEvent;
use qixie_kernel::http::openapi::ApiRoutes;
use qixie_kernel::jobs::JobRegistry;
use qixie_kernel::migrate::{Migration, Script};
use qixie_kernel::module::StartFuture;
use qixie_kernel::state::{Listener, Runtimes};

pub struct Attendance;

impl qixie_kernel::module::Module for Attendance {
    fn name(&self) -> &'static str {
        "attendance"
    }
    fn install(&self, _: &Config, runtimes: &mut Runtimes) {
        runtimes.insert(rule::store::RuleCache::default());
        if let Some(f) = runtimes.get_mut::<qixie_approvals::followers::Followers>() {
            leave::follower::install(f);
            f.register(std::sync::Arc::new(punch_follower::PunchFollower));
        }
    }
    /// On every node: a changed rule is read again.
    fn listeners(&self, listeners: &mut Vec<Listener>) {
        listeners.push(std::sync::Arc::new(|app, event| {
            if let DomainEvent::AttendanceRulesChanged { corp } = event {
                app.runtime::<rule::store::RuleCache>().forget(*corp);
            }
        }));
    }
    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }
    fn routes(&self) -> ApiRoutes {
        http::routes()
    }
    fn jobs(&self, r: &mut JobRegistry) {
        jobs::register(r);
        leave::follower::register_jobs(r);
        punch_follower::register(r);
    }
    /// Closing finished days every hour and reminders every five minutes, once across nodes.
    fn start<'a>(&'a self, app: &'a qixie_kernel::AppState, runs_jobs: bool) -> StartFuture<'a> {
        Box::pin(async move {
            if runs_jobs {
                jobs::start(app).await?;
            }
            Ok(())
        })
    }
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 15,
        name: "attendance",
        script: Script::Both(include_str!("../migrations/0015_attendance.sql")),
        backfill: None,
    },
    Migration {
        version: 16,
        name: "leave",
        script: Script::Both(include_str!("../migrations/0016_leave.sql")),
        backfill: None,
    },
];
