//! What people see of an instance: the whole of it (`Detail`) and its line in a box (`Summary`),
//! with names for ids and the actions the viewer may take.
use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use qixie_kernel::AppState;
use qixie_kernel::authz::Actor;
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::CorpId;

use super::progress::{PersonState, Status};
use super::{Loaded, load, may_view};
use crate::flow::{ApprovalMode, PassReason, StepKind};
use crate::form::Field;
use crate::template;
use qixie_kernel::error::ErrorKind;

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct PersonRef {
    pub userid: String,
    pub name: String,
    pub avatar: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepartmentRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StepPerson {
    pub userid: String,
    pub name: String,
    pub avatar: String,
    /// waiting, pending, approved, rejected, transferred, closed, copied.
    pub state: String,
    pub acted_at: Option<i64>,
    pub comment: String,
    /// Approved for them because they had approved the step before.
    pub auto: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StepView {
    pub node_id: String,
    pub name: String,
    pub kind: StepKind,
    pub mode: ApprovalMode,
    /// waiting, pending, approved, rejected, passed.
    pub status: String,
    pub passes: Option<PassReason>,
    pub people: Vec<StepPerson>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FileRef {
    pub file_id: String,
    pub name: String,
    pub size: i64,
    pub image: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub at: i64,
    /// None for what the system did.
    pub actor: Option<PersonRef>,
    /// submit, approve, reject, return, withdraw, resubmit, transfer, add_approver, urge, comment,
    /// pass, cc, remind, escalate, timeout_approve, timeout_reject, finish_approved,
    /// finish_rejected.
    pub action: String,
    pub comment: String,
    pub to: Vec<PersonRef>,
    pub files: Vec<FileRef>,
    /// The step's name, when it happened at one.
    pub step: Option<String>,
}

/// An application as its viewer sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Detail {
    pub sp_no: String,
    pub template_id: String,
    pub template_name: String,
    pub version: i64,
    /// pending, approved, rejected, withdrawn, returned.
    pub status: String,
    pub applicant: PersonRef,
    pub department: DepartmentRef,
    pub submitted_at: i64,
    pub finished_at: Option<i64>,
    pub summary: Vec<String>,
    pub fields: Vec<Field>,
    #[schema(value_type = Object)]
    pub values: Value,
    pub steps: Vec<StepView>,
    pub timeline: Vec<TimelineEntry>,
    /// What the viewer may do now: approve, reject, transfer, add_approver, withdraw, resubmit,
    /// urge, comment.
    pub actions: Vec<String>,
}

fn state_name(s: PersonState) -> &'static str {
    match s {
        PersonState::Waiting => "waiting",
        PersonState::Pending => "pending",
        PersonState::Approved => "approved",
        PersonState::Rejected => "rejected",
        PersonState::Transferred => "transferred",
        PersonState::Closed => "closed",
        PersonState::Copied => "copied",
    }
}

/// Names and avatars of members, by id (unknown ones as their id).
pub async fn people_refs(
    app: &AppState,
    corp: CorpId,
    ids: &[i64],
) -> AppResult<HashMap<i64, PersonRef>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let cards = qixie_org::member::lookup::cards(&app.db, corp, &ids).await?;
    Ok(ids
        .into_iter()
        .map(|id| {
            let r = match cards.get(&id) {
                Some(c) => PersonRef {
                    userid: c.userid.clone(),
                    name: c.name.clone(),
                    avatar: c.avatar.clone(),
                },
                None => PersonRef {
                    userid: id.to_string(),
                    name: String::new(),
                    avatar: String::new(),
                },
            };
            (id, r)
        })
        .collect())
}

/// The whole of an application, for a viewer who may see it (others get 404).
pub async fn detail(app: &AppState, actor: &Actor, sp_no: &str) -> AppResult<Detail> {
    let corp = actor.corp;
    let l = load(&app.db, corp, sp_no).await?;
    if !may_view(app, actor, &l.row).await? {
        return Err(ErrorKind::ApprovalNotFound.into());
    }
    build(app, actor, &l).await
}

pub async fn build(app: &AppState, actor: &Actor, l: &Loaded) -> AppResult<Detail> {
    let corp = actor.corp;
    let t = template::find_by_pk(&app.db, l.row.template_pk).await?;
    let v = template::version(&app.db, t.id, l.row.version).await?;
    let mut ids = vec![l.row.applicant_id];
    for s in &l.progress.steps {
        ids.extend(s.people.iter().map(|p| p.member));
    }
    for e in &l.timeline {
        ids.extend(e.actor);
        ids.extend(e.to.iter().copied());
    }
    let names = people_refs(app, corp, &ids).await?;
    let name_of = |id: &i64| names.get(id).cloned();
    let dept_name = qixie_org::department::find(&app.db, corp, l.row.department_id)
        .await
        .map(|d| d.name)
        .unwrap_or_default();
    let steps = l
        .progress
        .steps
        .iter()
        .map(|s| StepView {
            node_id: s.step.node_id.clone(),
            name: s.step.name.clone(),
            kind: s.step.kind,
            mode: s.step.mode,
            status: format!("{:?}", s.status).to_lowercase(),
            passes: s.step.passes,
            people: s
                .people
                .iter()
                .map(|p| {
                    let r = name_of(&p.member);
                    StepPerson {
                        userid: r.as_ref().map(|r| r.userid.clone()).unwrap_or_default(),
                        name: r.as_ref().map(|r| r.name.clone()).unwrap_or_default(),
                        avatar: r.map(|r| r.avatar).unwrap_or_default(),
                        state: state_name(p.state).into(),
                        acted_at: p.acted_at,
                        comment: p.comment.clone(),
                        auto: p.auto,
                    }
                })
                .collect(),
        })
        .collect();
    let mut timeline = Vec::with_capacity(l.timeline.len());
    for e in &l.timeline {
        let mut files = Vec::new();
        for f in &e.files {
            if let Ok(m) = qixie_chat::media::find(&app.db, corp, f).await {
                files.push(FileRef {
                    file_id: m.id,
                    name: m.name,
                    size: m.size,
                    image: m.kind == "image",
                });
            }
        }
        timeline.push(TimelineEntry {
            at: e.at,
            actor: e.actor.as_ref().and_then(name_of),
            action: e.action.clone(),
            comment: e.comment.clone(),
            to: e.to.iter().filter_map(name_of).collect(),
            files,
            step: e.step.and_then(|k| {
                l.progress
                    .steps
                    .iter()
                    .find(|s| s.key == k)
                    .map(|s| s.step.name.clone())
            }),
        });
    }
    let applicant = name_of(&l.row.applicant_id).unwrap_or_default();
    Ok(Detail {
        sp_no: l.row.sp_no.clone(),
        template_id: t.template_id,
        template_name: t.name,
        version: l.row.version,
        status: l.status().name().into(),
        applicant,
        department: DepartmentRef {
            id: l.row.department_id,
            name: dept_name,
        },
        submitted_at: l.row.submitted_at,
        finished_at: l.row.finished_at,
        summary: l.summary.clone(),
        fields: v.fields,
        values: serde_json::to_value(&l.values).unwrap_or_default(),
        steps,
        timeline,
        actions: actions(actor, l),
    })
}

/// What the viewer may do now.
fn actions(actor: &Actor, l: &Loaded) -> Vec<String> {
    let me = actor.member_id().map(|m| m.0);
    let mut out = Vec::new();
    let status = l.status();
    if let Some(me) = me {
        if status == Status::Pending && l.progress.turn_of(me).is_ok() {
            out.extend(["approve", "reject", "transfer", "add_approver"].map(String::from));
        }
        if me == l.row.applicant_id {
            if matches!(status, Status::Pending | Status::Returned) {
                out.push("withdraw".into());
            }
            if status == Status::Returned {
                out.push("resubmit".into());
            }
            if status == Status::Pending {
                out.push("urge".into());
            }
        }
        out.push("comment".into());
    }
    out
}
