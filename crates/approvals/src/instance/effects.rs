//! What follows every change of an application, inside its transaction: the timeline lines for
//! steps passed on the way, the domain event, the time limits of newly reached steps, and the
//! notices sent once it commits.
use qixie_kernel::AppState;
use qixie_kernel::db::Tx;
use qixie_kernel::error::AppResult;

use super::progress::{Outcome, Progress, Status};
use super::{Entry, Loaded, announce};
use crate::template::TemplateRow;

/// Writes what reaching new steps did into the timeline: steps passed by rule, people copied.
pub fn record_outcome(timeline: &mut Vec<Entry>, progress: &Progress, outcome: &Outcome, now: i64) {
    for key in &outcome.passed {
        if let Some(s) = progress.steps.iter().find(|s| s.key == *key)
            && s.people.iter().all(|p| !p.auto)
        {
            timeline.push(Entry {
                at: now,
                actor: None,
                action: "pass".into(),
                comment: String::new(),
                to: Vec::new(),
                files: Vec::new(),
                step: Some(*key),
            });
        }
    }
    if !outcome.now_copied.is_empty() {
        timeline.push(Entry {
            at: now,
            actor: None,
            action: "cc".into(),
            comment: String::new(),
            to: outcome.now_copied.clone(),
            files: Vec::new(),
            step: None,
        });
    }
    if let Some(status) = outcome.finished {
        let action = match status {
            Status::Approved => "finish_approved",
            Status::Rejected => "finish_rejected",
            _ => return,
        };
        timeline.push(Entry {
            at: now,
            actor: None,
            action: action.into(),
            comment: String::new(),
            to: Vec::new(),
            files: Vec::new(),
            step: None,
        });
    }
}

/// What follows every change inside its transaction: the domain event, the time limits of newly
/// reached steps, and the notices sent once it commits.
pub async fn after_change(
    tx: &mut Tx,
    app: &AppState,
    l: &Loaded,
    template: &TemplateRow,
    outcome: &Outcome,
    change: i64,
) -> AppResult<()> {
    announce(
        tx,
        app,
        l,
        &template.template_id,
        template.builtin.as_deref(),
        change,
    );
    crate::followers::queue(
        tx,
        app,
        qixie_kernel::ids::CorpId(l.row.corp_id),
        template.builtin.as_deref(),
        &crate::followers::Change {
            sp_no: l.row.sp_no.clone(),
            status: l.status().code(),
            change,
        },
    )
    .await?;
    crate::limits::schedule(tx, app, l, outcome).await?;
    crate::notify::queue(tx, app, l, template, outcome, change);
    Ok(())
}
