//! Attendance and leave (打卡、考勤、假期): rules for groups of people, clock-in with a geofence that
//! is right in China, the enterprise's holidays, each member's day results, leave balances fed by
//! approvals, and WeCom's checkin and vacation shapes (docs/attendance.md, docs/api/attendance.md).
pub mod date;
pub mod geo;
pub mod holidays;
pub mod http;
pub mod leave;

use qixie_kernel::config::Config;
use qixie_kernel::http::openapi::ApiRoutes;
use qixie_kernel::jobs::JobRegistry;
use qixie_kernel::migrate::{Migration, Script};
use qixie_kernel::state::Runtimes;

pub struct Attendance;

impl qixie_kernel::module::Module for Attendance {
    fn name(&self) -> &'static str {
        "attendance"
    }
    fn install(&self, _: &Config, runtimes: &mut Runtimes) {
        if let Some(f) = runtimes.get_mut::<qixie_approvals::followers::Followers>() {
            leave::follower::install(f);
        }
    }
    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }
    fn routes(&self) -> ApiRoutes {
        http::routes()
    }
    fn jobs(&self, r: &mut JobRegistry) {
        leave::follower::register_jobs(r);
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
