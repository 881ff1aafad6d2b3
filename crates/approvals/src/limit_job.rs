//! The time-limit job: at a reminder's share it reminds whoever still has the turn; at the limit it
//! approves, rejects or escalates to their leaders, as the step says (`limits` queues it).
use serde_json::json;

use qixie_kernel::AppState;
use qixie_kernel::authz::Actor;
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::CorpId;
use qixie_kernel::jobs::{Job, JobRegistry};

use crate::flow::LimitAction;
use crate::instance::progress::{PersonState, Status, StepStatus};
use crate::instance::{self, Entry};
use crate::limits::LIMIT_JOB;

pub fn register(r: &mut JobRegistry) {
    r.register(
        LIMIT_JOB,
        std::sync::Arc::new(|app: AppState, job: Job| {
            Box::pin(async move { run(&app, &job).await.map_err(|e| anyhow::anyhow!("{e}")) })
        }),
    );
}

async fn run(app: &AppState, job: &Job) -> AppResult<()> {
    let Some(corp) = job.corp_id.map(CorpId) else {
        return Ok(());
    };
    let payload: serde_json::Value =
        serde_json::from_str(&job.payload).map_err(qixie_kernel::error::AppError::internal)?;
    let sp_no = payload["sp_no"].as_str().unwrap_or_default().to_owned();
    let step = payload["step"].as_i64().unwrap_or_default();
    let pct = payload["pct"].as_i64().unwrap_or_default();
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let mut l = match instance::load(&mut tx, corp, &sp_no).await {
        Ok(l) => l,
        Err(_) => return Ok(()),
    };
    let current = l.progress.current_step().cloned();
    let Some(s) = current.filter(|s| s.key == step && s.status == StepStatus::Pending) else {
        return Ok(());
    };
    if l.status() != Status::Pending {
        return Ok(());
    }
    let template = crate::template::find_by_pk(&mut tx, l.row.template_pk).await?;
    let before = l.progress.tasks();
    let waiting: Vec<i64> = s
        .people
        .iter()
        .filter(|p| p.state == PersonState::Pending)
        .map(|p| p.member)
        .collect();
    let action = s
        .step
        .time_limit
        .as_ref()
        .map(|t| t.action)
        .unwrap_or_default();
    let entry = |action: &str, to: Vec<i64>| Entry {
        at: now,
        actor: None,
        action: action.into(),
        comment: String::new(),
        to,
        files: Vec::new(),
        step: Some(step),
    };
    let (outcome, change) = if pct < 100 || action == LimitAction::None {
        l.timeline.push(entry("remind", waiting.clone()));
        (
            crate::instance::progress::Outcome {
                now_pending: waiting,
                ..Default::default()
            },
            5,
        )
    } else {
        let mut leaders = Vec::new();
        if action == LimitAction::Escalate {
            for m in &waiting {
                let dept =
                    qixie_org::people::person(&app.db, corp, qixie_kernel::ids::MemberId(*m))
                        .await?
                        .map(|p| p.main_department)
                        .unwrap_or(1);
                let levels = qixie_org::people::leader_levels(&app.db, corp, *m, dept, 1).await?;
                if let Some(l) = levels.first().and_then(|v| v.first()) {
                    leaders.push((*m, *l));
                }
            }
        }
        let out = l.progress.time_out(action, &leaders, now);
        let name = match action {
            LimitAction::Approve => "timeout_approve",
            LimitAction::Reject => "timeout_reject",
            _ => "escalate",
        };
        l.timeline
            .push(entry(name, leaders.iter().map(|(_, l)| *l).collect()));
        (out, if action == LimitAction::Reject { 3 } else { 2 })
    };
    if let Some(st) = outcome.finished {
        l.row.status = st.code();
        l.row.finished_at = Some(now);
    }
    crate::instance::effects::record_outcome(&mut l.timeline, &l.progress, &outcome, now);
    instance::save(&mut tx, &l, &before, now).await?;
    crate::instance::effects::after_change(&mut tx, app, &l, &template, &outcome, change).await?;
    qixie_kernel::audit::record(
        &mut tx,
        &Actor::system(corp),
        now,
        qixie_kernel::audit::Entry {
            kind: "approval.time_limit",
            target: sp_no,
            before: None,
            after: Some(
                json!({"step": step, "share": pct, "action": format!("{action:?}").to_lowercase()}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
