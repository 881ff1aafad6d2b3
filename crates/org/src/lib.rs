//! Enterprise organisation (企业与通讯录): the enterprise, departments, members, tags, administrators
//! and their scopes, the directory, import and export, and offboarding hand-over.
use qixie_kernel::error::FieldReason;
pub mod accounts;
pub mod audience;
pub mod department;
pub mod department_tree;
pub mod enterprise;
pub mod fields;
pub mod founding;
pub mod grants;
pub mod http;
pub mod import;
pub mod member;
pub mod offboarding;
pub mod people;
pub mod pinyin_key;
pub mod roles;
pub mod scope;
pub mod sheet;
pub mod tag;
pub mod terms;
pub mod tree_cache;

pub use department::Department;
pub use member::{Member, MemberStatus};

use std::sync::Arc;

use qixie_kernel::config::Config;
use qixie_kernel::http::openapi::ApiRoutes;
use qixie_kernel::migrate::{Migration, Script};
use qixie_kernel::module::Module;
use qixie_kernel::state::Runtimes;

pub struct Org;

impl Module for Org {
    fn name(&self) -> &'static str {
        "org"
    }
    /// The department tree cache, and the offboarding registry with the organisation's own
    /// hand-overs; modules above add theirs.
    fn install(&self, _: &Config, runtimes: &mut Runtimes) {
        let mut handovers = offboarding::OffboardingRegistry::default();
        handovers.register(Arc::new(offboarding::DirectReports));
        handovers.register(Arc::new(offboarding::DepartmentLeadership));
        runtimes.insert(handovers);
        runtimes.insert(tree_cache::TreeCache::default());
    }
    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }
    fn routes(&self) -> ApiRoutes {
        http::routes()
    }
}

/// Checks a display name: not empty, not too long, none of the characters WeCom forbids.
pub fn valid_name(name: &str, max: usize) -> Result<(), FieldReason> {
    let n = name.trim();
    if n.is_empty() {
        return Err(FieldReason::Required);
    }
    if n.chars().count() > max {
        return Err(FieldReason::TooLong);
    }
    if n.chars()
        .any(|c| matches!(c, '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control())
    {
        return Err(FieldReason::Format);
    }
    Ok(())
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 8,
        name: "directory",
        script: Script::PerEngine {
            sqlite: include_str!("../migrations/0008_directory.sqlite.sql"),
            postgres: include_str!("../migrations/0008_directory.postgres.sql"),
        },
        backfill: Some(|tx| Box::pin(terms::backfill(tx))),
    },
    Migration {
        version: 11,
        name: "time_zones",
        script: Script::Both(include_str!("../migrations/0011_time_zones.sql")),
        backfill: None,
    },
    Migration {
        version: 12,
        name: "cascades",
        script: Script::PerEngine {
            sqlite: include_str!("../migrations/0012_cascades.sqlite.sql"),
            postgres: include_str!("../migrations/0012_cascades.postgres.sql"),
        },
        backfill: None,
    },
];
