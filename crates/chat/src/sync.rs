//! Keeping department and all-company groups in step with the org tree: org changes queue a durable
//! job (coalesced per enterprise over a couple of seconds) that brings every department group's
//! members in line.
use std::sync::Arc;

use serde_json::json;

use qixie_kernel::AppState;
use qixie_kernel::events::DomainEvent;
use qixie_kernel::ids::CorpId;
use qixie_kernel::jobs::{self, JobRegistry};

pub const SYNC_JOB: &str = "chat.sync_department_groups";
/// Org changes within this window share one sync.
const COALESCE_MS: i64 = 2_000;

pub fn register_jobs(r: &mut JobRegistry) {
    r.register(
        SYNC_JOB,
        Arc::new(|app: AppState, job| {
            Box::pin(async move {
                let corp = CorpId(job.corp_id.unwrap_or_default());
                super::conversation::sync_department_groups(&app, corp)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))
            })
        }),
    );
}

/// Queues the sync for org changes made on this node, for the life of the process (caches are
/// the listeners' business: `Chat::listeners`).
pub fn spawn_listener(app: AppState) {
    let mut rx = app.events.subscribe();
    tokio::spawn(async move {
        loop {
            let event = rx.recv().await;
            let corp = match event {
                Ok(
                    DomainEvent::MemberCreated { corp, .. }
                    | DomainEvent::MemberUpdated { corp, .. }
                    | DomainEvent::MemberDeleted { corp, .. }
                    | DomainEvent::MemberDeparted { corp, .. }
                    | DomainEvent::DepartmentChanged { corp, .. },
                ) => corp,
                Ok(_) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            };
            if let Err(e) = queue(&app, corp).await {
                tracing::warn!(error = %e, "could not queue a department group sync");
            }
        }
    });
}

async fn queue(app: &AppState, corp: CorpId) -> anyhow::Result<()> {
    let now = app.now();
    let bucket = now / COALESCE_MS;
    let mut tx = app.db.begin().await?;
    jobs::enqueue(
        &mut tx,
        now,
        Some(corp),
        SYNC_JOB,
        &json!({}),
        (bucket + 1) * COALESCE_MS,
        Some(&format!("{SYNC_JOB}:{corp}:{bucket}")),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await?;
    app.jobs.wake();
    Ok(())
}
