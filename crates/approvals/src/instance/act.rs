//! What people do to an application once it is submitted: approve, reject (or return), withdraw,
//! resubmit, transfer, add approvers, urge, comment. Each is one transaction over the locked
//! instance; a second decision on a step already decided is refused with "already decided".
use serde::Deserialize;
use utoipa::ToSchema;

use qixie_kernel::AppState;
use qixie_kernel::authz::Actor;
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::ids::CorpId;
use qixie_org::people;

use super::effects::{after_change, record_outcome};
use super::progress::{BackTo, Outcome, Progress, Refusal, Status};
use super::submit::{SubmitInput, prepare_again};
use super::{Entry, Loaded, load, member_of, save};
use crate::template;

/// An approver's decision.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// ≤ 2,000 characters.
    #[serde(default)]
    pub comment: String,
    /// Uploaded images or files (`POST /chat/media`), at most 9.
    #[serde(default)]
    pub file_ids: Vec<String>,
    /// Rejections only: "applicant" returns it for editing, a node id returns it to that earlier
    /// step; absent, the application is rejected.
    #[serde(default)]
    pub to: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    /// 1–2,000 characters; `@userid` mentions tell those people.
    pub content: String,
    #[serde(default)]
    pub file_ids: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferInput {
    pub userid: String,
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddApproverInput {
    /// 1–10 members.
    pub userids: Vec<String>,
    /// "before": they decide first, then you again; "after": they decide after you, and this counts
    /// as your approval.
    pub position: Position,
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    Before,
    After,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawInput {
    #[serde(default)]
    pub comment: String,
}

/// One action on an instance.
pub enum Action {
    Approve(DecisionInput),
    Reject(DecisionInput),
    Withdraw(WithdrawInput),
    Resubmit(SubmitInput),
    Transfer(TransferInput),
    AddApprover(AddApproverInput),
    Urge,
    Comment(CommentInput),
}

const URGE_EVERY_MS: i64 = 3600 * 1000;

fn refused(r: Refusal) -> AppError {
    match r {
        Refusal::AlreadyDecided => ErrorKind::ApprovalAlreadyDecided.into(),
        Refusal::NotYours => ErrorKind::ApprovalNotYours.into(),
        Refusal::Closed => ErrorKind::ApprovalClosed.into(),
        Refusal::Invalid => AppError::field("to", FieldReason::Invalid),
    }
}

fn check_text(comment: &str, files: &[String]) -> AppResult<()> {
    if comment.chars().count() > 2000 {
        return Err(AppError::field("comment", FieldReason::TooLong));
    }
    if files.len() > 9 {
        return Err(AppError::field("file_ids", FieldReason::TooMany));
    }
    Ok(())
}

/// Files a member attaches to a decision or comment: each must be one they may read.
async fn check_files(app: &AppState, corp: CorpId, member: i64, files: &[String]) -> AppResult<()> {
    for (i, f) in files.iter().enumerate() {
        if qixie_chat::media::readable(app, corp, member, f)
            .await
            .is_err()
        {
            return Err(AppError::field(
                &format!("file_ids.{i}"),
                FieldReason::NotFound,
            ));
        }
    }
    Ok(())
}

/// One member, by userid, who is not departed.
async fn one_member(app: &AppState, corp: CorpId, userid: &str, field: &str) -> AppResult<i64> {
    people::ids_of(&app.db, corp, &[userid.to_owned()])
        .await?
        .pop()
        .flatten()
        .ok_or_else(|| AppError::field(field, FieldReason::NotFound))
}

/// Runs `action` for `actor` on `sp_no`; the caller reads the result back.
pub async fn act(app: &AppState, actor: &Actor, sp_no: &str, action: Action) -> AppResult<()> {
    let corp = actor.corp;
    let me = member_of(actor)?;
    // Someone the application does not name learns nothing of it, whatever they send.
    let seen = load(&app.db, corp, sp_no).await?;
    if !super::may_view(app, actor, &seen.row).await? {
        return Err(ErrorKind::ApprovalNotFound.into());
    }
    // Inputs are checked before the transaction; what depends on the instance, inside it.
    let mut prepared = None;
    let mut named: Vec<i64> = Vec::new();
    match &action {
        Action::Approve(d) | Action::Reject(d) => {
            check_text(&d.comment, &d.file_ids)?;
            check_files(app, corp, me, &d.file_ids).await?;
        }
        Action::Comment(c) => {
            if c.content.trim().is_empty() {
                return Err(AppError::field("content", FieldReason::Required));
            }
            check_text(&c.content, &c.file_ids)?;
            check_files(app, corp, me, &c.file_ids).await?;
            named = mentions(app, corp, &c.content).await?;
        }
        Action::Transfer(t) => {
            check_text(&t.comment, &[])?;
            named = vec![one_member(app, corp, &t.userid, "userid").await?];
        }
        Action::AddApprover(a) => {
            check_text(&a.comment, &[])?;
            if a.userids.is_empty() || a.userids.len() > 10 {
                return Err(AppError::field("userids", FieldReason::Count));
            }
            let ids = people::ids_of(&app.db, corp, &a.userids).await?;
            if let Some(i) = ids.iter().position(Option::is_none) {
                return Err(AppError::field(
                    &format!("userids.{i}"),
                    FieldReason::NotFound,
                ));
            }
            named = ids.into_iter().flatten().collect();
            named.dedup();
        }
        Action::Resubmit(input) => {
            if seen.row.applicant_id != me {
                return Err(ErrorKind::ApprovalNotYours.into());
            }
            if seen.status() != Status::Returned {
                return Err(ErrorKind::ApprovalClosed.into());
            }
            prepared = Some(prepare_again(app, corp, &seen, input).await?);
        }
        Action::Withdraw(w) => check_text(&w.comment, &[])?,
        Action::Urge => {}
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let mut l = load(&mut tx, corp, sp_no).await?;
    let template = template::find_by_pk(&mut tx, l.row.template_pk).await?;
    let before = l.progress.tasks();
    let status = l.status();
    let pending = status == Status::Pending;
    let entry =
        |action: &str, comment: &str, to: Vec<i64>, files: Vec<String>, step: Option<i64>| Entry {
            at: now,
            actor: Some(me),
            action: action.into(),
            comment: comment.into(),
            to,
            files,
            step,
        };
    let step_key = l.progress.current_step().map(|s| s.key);
    let (outcome, change) = match action {
        Action::Approve(d) => {
            if !pending {
                return Err(closed_or_decided(&l, me));
            }
            let out = l.progress.approve(me, &d.comment, now).map_err(refused)?;
            l.timeline
                .push(entry("approve", &d.comment, vec![], d.file_ids, step_key));
            (out, 2)
        }
        Action::Reject(d) => {
            if !pending {
                return Err(closed_or_decided(&l, me));
            }
            let back = match d.to.as_deref() {
                None | Some("") => None,
                Some("applicant") => Some(BackTo::Applicant),
                Some(node) => Some(BackTo::Node(node.to_owned())),
            };
            let returned = back.is_some();
            let out = l
                .progress
                .reject(me, &d.comment, back, now)
                .map_err(refused)?;
            let action = if returned { "return" } else { "reject" };
            l.timeline
                .push(entry(action, &d.comment, vec![], d.file_ids, step_key));
            (out, if returned { 11 } else { 3 })
        }
        Action::Withdraw(w) => {
            if l.row.applicant_id != me {
                return Err(ErrorKind::ApprovalNotYours.into());
            }
            if !matches!(status, Status::Pending | Status::Returned) {
                return Err(ErrorKind::ApprovalClosed.into());
            }
            l.progress.close(now);
            l.timeline
                .push(entry("withdraw", &w.comment, vec![], vec![], None));
            (
                Outcome {
                    finished: Some(Status::Withdrawn),
                    ..Outcome::default()
                },
                6,
            )
        }
        Action::Resubmit(_) => {
            if status != Status::Returned || l.row.applicant_id != me {
                return Err(ErrorKind::ApprovalClosed.into());
            }
            let Some(p) = prepared else {
                return Err(ErrorKind::Internal.into());
            };
            // The steps start over; the earlier turns stay in the timeline and the done boxes.
            let next_key = l.progress.next_key;
            let mut progress = Progress::new(p.route, p.version.flow.rules.consecutive_approver);
            for s in &mut progress.steps {
                s.key += next_key - 1;
            }
            progress.next_key += next_key - 1;
            l.progress = progress;
            l.values = p.values;
            l.summary = p.summary;
            l.row.department_id = p.department;
            l.row.status = Status::Pending.code();
            let out = l.progress.start(now);
            l.timeline.push(entry("resubmit", "", vec![], vec![], None));
            (out, 1)
        }
        Action::Transfer(t) => {
            if !pending {
                return Err(closed_or_decided(&l, me));
            }
            let out = l
                .progress
                .transfer(me, named[0], &t.comment, now)
                .map_err(|r| match r {
                    Refusal::Invalid => AppError::field("userid", FieldReason::Invalid),
                    r => refused(r),
                })?;
            l.timeline.push(entry(
                "transfer",
                &t.comment,
                named.clone(),
                vec![],
                step_key,
            ));
            (out, 4)
        }
        Action::AddApprover(a) => {
            if !pending {
                return Err(closed_or_decided(&l, me));
            }
            let out = l
                .progress
                .add_approvers(me, &named, a.position == Position::Before, &a.comment, now)
                .map_err(|r| match r {
                    Refusal::Invalid => AppError::field("userids", FieldReason::Invalid),
                    r => refused(r),
                })?;
            l.timeline.push(entry(
                "add_approver",
                &a.comment,
                named.clone(),
                vec![],
                step_key,
            ));
            (
                out,
                if a.position == Position::Before {
                    12
                } else {
                    13
                },
            )
        }
        Action::Urge => {
            if l.row.applicant_id != me {
                return Err(ErrorKind::ApprovalNotYours.into());
            }
            if !pending {
                return Err(ErrorKind::ApprovalClosed.into());
            }
            let idx = l.progress.current;
            let s = &mut l.progress.steps[idx];
            if s.urged_at.is_some_and(|t| now - t < URGE_EVERY_MS) {
                return Err(ErrorKind::ApprovalUrgedRecently.into());
            }
            s.urged_at = Some(now);
            let waiting: Vec<i64> = s
                .people
                .iter()
                .filter(|p| p.state == super::progress::PersonState::Pending)
                .map(|p| p.member)
                .collect();
            l.timeline
                .push(entry("urge", "", waiting.clone(), vec![], step_key));
            (
                Outcome {
                    now_pending: waiting,
                    ..Outcome::default()
                },
                5,
            )
        }
        Action::Comment(c) => {
            l.timeline.push(entry(
                "comment",
                &c.content,
                named.clone(),
                c.file_ids,
                None,
            ));
            (Outcome::default(), 10)
        }
    };
    if let Some(s) = outcome.finished {
        l.row.status = s.code();
        if s != Status::Returned {
            l.row.finished_at = Some(now);
        }
    }
    record_outcome(&mut l.timeline, &l.progress, &outcome, now);
    save(&mut tx, &l, &before, now).await?;
    after_change(&mut tx, app, &l, &template, &outcome, change).await?;
    tx.commit().await?;
    Ok(())
}

/// Why an action on a finished application is refused: someone who had a turn there hears that it
/// was decided; anyone else that it is closed.
fn closed_or_decided(l: &Loaded, me: i64) -> AppError {
    let had_a_turn = l.progress.steps.iter().any(|s| {
        s.step.kind == crate::flow::StepKind::Approve && s.people.iter().any(|p| p.member == me)
    });
    if had_a_turn {
        ErrorKind::ApprovalAlreadyDecided.into()
    } else {
        ErrorKind::ApprovalNotYours.into()
    }
}

/// Members mentioned as `@userid` in a comment (unknown names are plain text).
async fn mentions(app: &AppState, corp: CorpId, text: &str) -> AppResult<Vec<i64>> {
    let names: Vec<String> = text
        .split('@')
        .skip(1)
        .filter_map(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .take(20)
        .collect();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<i64> = people::ids_of(&app.db, corp, &names)
        .await?
        .into_iter()
        .flatten()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}
