//! Approvals (审批): templates with a form and a flow, instances that follow the flow's route, the
//! boxes people work from, notices in chat, time limits, statistics, and the events other modules
//! and apps hear (docs/approvals.md, docs/api/approvals.md).
pub mod boxes;
pub mod builtin;
pub mod directory;
pub mod export;
pub mod flow;
pub mod followers;
pub mod form;
pub mod handover;
pub mod http;
pub mod instance;
pub mod limit_job;
pub mod limits;
pub mod notify;
pub mod stats;
pub mod template;
pub mod wecom_api;

use qixie_kernel::config::Config;
use qixie_kernel::http::openapi::ApiRoutes;
use qixie_kernel::jobs::JobRegistry;
use qixie_kernel::migrate::{Migration, Script};
use qixie_kernel::state::Runtimes;
use qixie_org::offboarding::OffboardingRegistry;

pub struct Approvals;

impl qixie_kernel::module::Module for Approvals {
    fn name(&self) -> &'static str {
        "approvals"
    }
    /// A departed approver's waiting steps go to their successor; modules above register their
    /// followers of built-in templates in `Followers`.
    fn install(&self, _: &Config, runtimes: &mut Runtimes) {
        runtimes.insert(followers::Followers::default());
        if let Some(handovers) = runtimes.get_mut::<OffboardingRegistry>() {
            handovers.register(handover::handover());
        }
    }
    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }
    fn routes(&self) -> ApiRoutes {
        http::routes()
    }
    fn jobs(&self, r: &mut JobRegistry) {
        limit_job::register(r);
    }
}

const MIGRATIONS: &[Migration] = &[Migration {
    version: 13,
    name: "approvals",
    script: Script::Both(include_str!("../migrations/0013_approvals.sql")),
    backfill: None,
}];
