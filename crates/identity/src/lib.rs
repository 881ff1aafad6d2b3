//! Identity: passwords, sign-in with throttling, sessions, and who the caller is.
pub mod credentials;
pub mod http;
pub mod login;
pub mod session;

use std::sync::Arc;

use qixie_kernel::AppState;
use qixie_kernel::config::Config;
use qixie_kernel::db::sql;
use qixie_kernel::http::extract::Authentication;
use qixie_kernel::http::openapi::ApiRoutes;
use qixie_kernel::jobs::{self, JobRegistry};
use qixie_kernel::module::{Module, StartFuture};
use qixie_kernel::state::Runtimes;
use qixie_org::accounts::Accounts;

pub struct Identity;

impl Module for Identity {
    fn name(&self) -> &'static str {
        "identity"
    }
    /// Signs in every module's requests, and gives the organisation passwords and session ends.
    fn install(&self, _: &Config, runtimes: &mut Runtimes) {
        runtimes.insert(Authentication(Box::new(session::SessionAuthenticator)));
        runtimes.insert(Accounts(Box::new(credentials::IdentityAccounts)));
    }
    fn routes(&self) -> ApiRoutes {
        http::routes()
    }
    fn jobs(&self, r: &mut JobRegistry) {
        register_jobs(r);
    }
    fn start<'a>(&'a self, app: &'a AppState, runs_jobs: bool) -> StartFuture<'a> {
        Box::pin(async move {
            if runs_jobs {
                schedule_next(app, app.now()).await?;
            }
            Ok(())
        })
    }
}

const CLEANUP_JOB: &str = "identity.cleanup";

fn register_jobs(r: &mut JobRegistry) {
    r.register(
        CLEANUP_JOB,
        Arc::new(|app: AppState, _job| {
            Box::pin(async move {
                let now = app.now();
                // Expired sessions lose their sockets too.
                let mut tx = app.db.begin().await?;
                let expired: Vec<(i64, i64)> = tx.all(sql("DELETE FROM sessions WHERE expires_at < $1 RETURNING id, member_id").bind(now)).await?;
                let mut by_member: std::collections::HashMap<i64, Vec<i64>> = Default::default();
                for (id, member) in expired {
                    by_member.entry(member).or_default().push(id);
                }
                for (member, ids) in by_member {
                    session::emit_ended(&mut tx, &app, qixie_kernel::ids::MemberId(member), ids);
                }
                tx.commit().await?;
                app.db.exec(sql("DELETE FROM login_throttle WHERE locked_until < $1 AND last_failure_at < $2").bind(now).bind(now - 24 * 3600 * 1000)).await?;
                schedule_next(&app, now + 3600 * 1000).await?;
                Ok(())
            })
        }),
    );
}

async fn schedule_next(app: &AppState, at: i64) -> anyhow::Result<()> {
    let mut tx = app.db.begin().await?;
    // One cleanup per hour across all nodes: the hour is the dedup key.
    let key = format!("{CLEANUP_JOB}:{}", at / (3600 * 1000));
    jobs::enqueue(
        &mut tx,
        app.now(),
        None,
        CLEANUP_JOB,
        &serde_json::json!({}),
        at,
        Some(&key),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await?;
    Ok(())
}
