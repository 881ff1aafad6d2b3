//! Where an instance stands: its route's steps with each person's state, and the rules that move it
//! on. Pure: an action changes a `Progress` and says what happened; storage writes the result and
//! derives the task rows from it (`tasks`).
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::flow::{ApprovalMode, Consecutive, LimitAction, PassReason, Route, Step, StepKind};

/// The instance's status (WeCom's `sp_status` for the first four).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Approved,
    Rejected,
    Withdrawn,
    /// Back with the applicant to edit and resubmit.
    Returned,
}

impl Status {
    pub fn code(self) -> i64 {
        match self {
            Status::Pending => 1,
            Status::Approved => 2,
            Status::Rejected => 3,
            Status::Withdrawn => 4,
            Status::Returned => 5,
        }
    }
    pub fn from_code(c: i64) -> Status {
        match c {
            2 => Status::Approved,
            3 => Status::Rejected,
            4 => Status::Withdrawn,
            5 => Status::Returned,
            _ => Status::Pending,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Withdrawn => "withdrawn",
            Status::Returned => "returned",
        }
    }
    pub fn from_name(s: &str) -> Option<Status> {
        Some(match s {
            "pending" => Status::Pending,
            "approved" => Status::Approved,
            "rejected" => Status::Rejected,
            "withdrawn" => Status::Withdrawn,
            "returned" => Status::Returned,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Not reached yet.
    Waiting,
    Pending,
    Approved,
    Rejected,
    /// Passed by rule (nobody to approve, only the applicant) or a CC step done.
    Passed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonState {
    /// Not their turn yet (a sequential step).
    Waiting,
    /// Their turn.
    Pending,
    Approved,
    Rejected,
    Transferred,
    /// The step ended without them (another approver of an any-one step decided, the application
    /// was withdrawn or returned).
    Closed,
    /// Copied (a CC step).
    Copied,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub member: i64,
    pub state: PersonState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acted_at: Option<i64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    /// Approved automatically: they had approved the step before (审批人去重).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepState {
    /// Unique within the instance and never reused, so task rows keep pointing at their step when
    /// steps are added.
    pub key: i64,
    #[serde(flatten)]
    pub step: Step,
    pub status: StepStatus,
    pub people: Vec<Person>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reached_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urged_at: Option<i64>,
}

/// The route with its state: what the instance row keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub steps: Vec<StepState>,
    pub consecutive: Consecutive,
    pub next_key: i64,
    /// The index of the current step, while pending.
    pub current: usize,
}

/// What an action did, for the timeline, events and notices.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    /// Steps passed by rule on the way (their keys), for the timeline.
    pub passed: Vec<i64>,
    /// People whose turn it now is (newly pending), and people newly copied.
    pub now_pending: Vec<i64>,
    pub now_copied: Vec<i64>,
    /// The instance finished with this status.
    pub finished: Option<Status>,
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The person was an approver of this step but it is no longer theirs to decide.
    AlreadyDecided,
    /// The person is not a current approver.
    NotYours,
    /// The instance is not pending.
    Closed,
    /// A target (earlier step, person) is not valid.
    Invalid,
}

/// A task row: one person at one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Task {
    pub kind: i64,
    pub state: i64,
    pub since: i64,
    pub acted_at: Option<i64>,
}

impl Progress {
    /// A fresh progress for a resolved route; nothing reached yet (call `start`).
    pub fn new(route: Route, consecutive: Consecutive) -> Progress {
        let mut p = Progress {
            steps: Vec::new(),
            consecutive,
            next_key: 1,
            current: 0,
        };
        for step in route.steps {
            p.push_step(step, p.steps.len());
        }
        p
    }

    fn push_step(&mut self, step: Step, at: usize) {
        let people = step
            .members
            .iter()
            .map(|m| Person {
                member: *m,
                state: PersonState::Waiting,
                since: None,
                acted_at: None,
                comment: String::new(),
                auto: false,
            })
            .collect();
        let key = self.next_key;
        self.next_key += 1;
        self.steps.insert(
            at,
            StepState {
                key,
                step,
                status: StepStatus::Waiting,
                people,
                reached_at: None,
                urged_at: None,
            },
        );
    }

    /// Reaches the first step (and passes what passes on the way).
    pub fn start(&mut self, now: i64) -> Outcome {
        let mut out = Outcome::default();
        self.reach(0, now, &mut out);
        out
    }

    pub fn current_step(&self) -> Option<&StepState> {
        self.steps.get(self.current)
    }

    /// Reaches step `idx`: CC steps copy and pass, steps that pass by rule pass, and the first step
    /// that needs people becomes current. Past the last step the instance is approved.
    fn reach(&mut self, mut idx: usize, now: i64, out: &mut Outcome) {
        loop {
            let previous_approvers = self.approvers_before(idx);
            let consecutive = self.consecutive;
            let Some(s) = self.steps.get_mut(idx) else {
                self.current = idx;
                out.finished = Some(Status::Approved);
                return;
            };
            s.reached_at = Some(now);
            s.urged_at = None;
            if s.step.kind == StepKind::Cc {
                for p in &mut s.people {
                    p.state = PersonState::Copied;
                    p.since = Some(now);
                    out.now_copied.push(p.member);
                }
                s.status = StepStatus::Passed;
                idx += 1;
                continue;
            }
            if s.step.passes.is_some() || s.people.is_empty() {
                if s.step.passes.is_none() {
                    s.step.passes = Some(PassReason::Empty);
                }
                s.status = StepStatus::Passed;
                out.passed.push(s.key);
                idx += 1;
                continue;
            }
            s.status = StepStatus::Pending;
            // Someone who approved the step just before approves this one too (审批人去重).
            if consecutive == Consecutive::ApproveOnce {
                for p in &mut s.people {
                    if previous_approvers.contains(&p.member) {
                        p.state = PersonState::Approved;
                        p.since = Some(now);
                        p.acted_at = Some(now);
                        p.auto = true;
                    }
                }
            }
            if let Some(status) = step_result(s) {
                close_rest(s, now);
                s.status = status;
                if status == StepStatus::Approved {
                    out.passed.push(s.key);
                    idx += 1;
                    continue;
                }
            }
            // Whose turn it is.
            match s.step.mode {
                ApprovalMode::Sequential => {
                    if let Some(p) = s
                        .people
                        .iter_mut()
                        .find(|p| p.state == PersonState::Waiting)
                    {
                        p.state = PersonState::Pending;
                        p.since = Some(now);
                        out.now_pending.push(p.member);
                    }
                }
                ApprovalMode::All | ApprovalMode::Any => {
                    for p in &mut s.people {
                        if p.state == PersonState::Waiting {
                            p.state = PersonState::Pending;
                            p.since = Some(now);
                            out.now_pending.push(p.member);
                        }
                    }
                }
            }
            self.current = idx;
            return;
        }
    }

    /// Who approved the nearest approval step before `idx` (passed steps are skipped over; CC
    /// steps too).
    fn approvers_before(&self, idx: usize) -> Vec<i64> {
        self.steps[..idx.min(self.steps.len())]
            .iter()
            .rev()
            .find(|s| s.step.kind == StepKind::Approve && s.status == StepStatus::Approved)
            .map(|s| {
                s.people
                    .iter()
                    .filter(|p| p.state == PersonState::Approved)
                    .map(|p| p.member)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Checks that `member` may decide the current step: their person index in it.
    pub fn turn_of(&self, member: i64) -> Result<usize, Refusal> {
        let s = self.steps.get(self.current).ok_or(Refusal::Closed)?;
        if let Some(i) = s
            .people
            .iter()
            .position(|p| p.member == member && p.state == PersonState::Pending)
        {
            return Ok(i);
        }
        let was_there = self.steps.iter().any(|s| {
            s.people
                .iter()
                .any(|p| p.member == member && s.step.kind == StepKind::Approve)
        });
        Err(if was_there {
            Refusal::AlreadyDecided
        } else {
            Refusal::NotYours
        })
    }

    /// `member` approves the current step.
    pub fn approve(&mut self, member: i64, comment: &str, now: i64) -> Result<Outcome, Refusal> {
        let i = self.turn_of(member)?;
        let mut out = Outcome::default();
        let idx = self.current;
        let s = &mut self.steps[idx];
        let p = &mut s.people[i];
        p.state = PersonState::Approved;
        p.acted_at = Some(now);
        p.comment = comment.to_owned();
        match step_result(s) {
            Some(StepStatus::Approved) => {
                close_rest(s, now);
                s.status = StepStatus::Approved;
                self.reach(idx + 1, now, &mut out);
            }
            _ => {
                if s.step.mode == ApprovalMode::Sequential
                    && let Some(next) = s
                        .people
                        .iter_mut()
                        .find(|p| p.state == PersonState::Waiting)
                {
                    next.state = PersonState::Pending;
                    next.since = Some(now);
                    out.now_pending.push(next.member);
                }
            }
        }
        Ok(out)
    }

    /// `member` rejects: the application ends rejected, unless `back_to` names where it goes
    /// instead (the applicant, or an earlier approval step by node id).
    pub fn reject(
        &mut self,
        member: i64,
        comment: &str,
        back_to: Option<BackTo>,
        now: i64,
    ) -> Result<Outcome, Refusal> {
        let i = self.turn_of(member)?;
        let mut out = Outcome::default();
        let idx = self.current;
        let target = match &back_to {
            Some(BackTo::Node(node)) => Some(
                self.steps[..idx]
                    .iter()
                    .position(|s| {
                        &s.step.node_id == node
                            && s.step.kind == StepKind::Approve
                            && s.status == StepStatus::Approved
                    })
                    .ok_or(Refusal::Invalid)?,
            ),
            _ => None,
        };
        let s = &mut self.steps[idx];
        let p = &mut s.people[i];
        p.state = PersonState::Rejected;
        p.acted_at = Some(now);
        p.comment = comment.to_owned();
        close_rest(s, now);
        s.status = StepStatus::Rejected;
        match (back_to, target) {
            (None, _) => out.finished = Some(Status::Rejected),
            (Some(BackTo::Applicant), _) => out.finished = Some(Status::Returned),
            (Some(BackTo::Node(_)), Some(t)) => {
                // The steps from the target on run again with their people.
                for s in &mut self.steps[t..] {
                    s.status = StepStatus::Waiting;
                    for p in &mut s.people {
                        if p.state != PersonState::Transferred {
                            p.state = PersonState::Waiting;
                            p.since = None;
                            p.acted_at = None;
                            p.comment.clear();
                            p.auto = false;
                        }
                    }
                    s.people.retain(|p| p.state != PersonState::Transferred);
                }
                self.reach(t, now, &mut out);
            }
            (Some(BackTo::Node(_)), None) => return Err(Refusal::Invalid),
        }
        Ok(out)
    }

    /// Ends every open turn (withdrawn, or returned to the applicant).
    pub fn close(&mut self, now: i64) {
        if let Some(s) = self.steps.get_mut(self.current) {
            close_rest(s, now);
        }
    }

    /// `member` hands their turn to `to`, who takes their place in the step.
    pub fn transfer(
        &mut self,
        member: i64,
        to: i64,
        comment: &str,
        now: i64,
    ) -> Result<Outcome, Refusal> {
        let i = self.turn_of(member)?;
        let s = &mut self.steps[self.current];
        if s.people.iter().any(|p| {
            p.member == to && matches!(p.state, PersonState::Pending | PersonState::Waiting)
        }) || to == member
        {
            return Err(Refusal::Invalid);
        }
        let p = &mut s.people[i];
        p.state = PersonState::Transferred;
        p.acted_at = Some(now);
        p.comment = comment.to_owned();
        s.people.insert(
            i + 1,
            Person {
                member: to,
                state: PersonState::Pending,
                since: Some(now),
                acted_at: None,
                comment: String::new(),
                auto: false,
            },
        );
        Ok(Outcome {
            now_pending: vec![to],
            ..Outcome::default()
        })
    }

    /// A departed approver's turn passes to `to` (a hand-over): as a transfer, or, when `to`
    /// already has a turn in the step, simply ends theirs.
    pub fn hand_over(&mut self, from: i64, to: i64, now: i64) -> Outcome {
        match self.transfer(from, to, "", now) {
            Ok(out) => out,
            Err(_) => {
                let mut out = Outcome::default();
                let idx = self.current;
                let Some(s) = self.steps.get_mut(idx) else {
                    return out;
                };
                if let Some(p) = s
                    .people
                    .iter_mut()
                    .find(|p| p.member == from && p.state == PersonState::Pending)
                {
                    p.state = PersonState::Transferred;
                    p.acted_at = Some(now);
                }
                if step_result(s) == Some(StepStatus::Approved) {
                    s.status = StepStatus::Approved;
                    self.reach(idx + 1, now, &mut out);
                }
                out
            }
        }
    }

    /// `member` adds approvers (加签): `before` puts a step of them ahead of the current one (they
    /// decide first, then the current step runs again); after puts it right after the current one,
    /// and counts as `member`'s approval.
    pub fn add_approvers(
        &mut self,
        member: i64,
        added: &[i64],
        before: bool,
        comment: &str,
        now: i64,
    ) -> Result<Outcome, Refusal> {
        self.turn_of(member)?;
        if added.is_empty() || added.contains(&member) {
            return Err(Refusal::Invalid);
        }
        let idx = self.current;
        let node = &self.steps[idx].step;
        let step = Step {
            node_id: node.node_id.clone(),
            name: node.name.clone(),
            kind: StepKind::Approve,
            mode: if added.len() > 1 {
                ApprovalMode::All
            } else {
                ApprovalMode::Any
            },
            members: added.to_vec(),
            passes: None,
            time_limit: node.time_limit.clone(),
        };
        if before {
            let mut out = Outcome::default();
            let s = &mut self.steps[idx];
            close_rest(s, now);
            s.status = StepStatus::Waiting;
            for p in &mut s.people {
                if p.state == PersonState::Closed {
                    p.state = PersonState::Waiting;
                    p.since = None;
                    p.acted_at = None;
                }
            }
            self.push_step(step, idx);
            self.reach(idx, now, &mut out);
            Ok(out)
        } else {
            self.push_step(step, idx + 1);
            self.approve(member, comment, now)
        }
    }

    /// What a step's time limit does when it runs out: approve or reject for the people still
    /// waiting, or hand each of them over to their leader (`leaders`: (member, leader)).
    pub fn time_out(&mut self, action: LimitAction, leaders: &[(i64, i64)], now: i64) -> Outcome {
        let mut out = Outcome::default();
        let idx = self.current;
        let Some(s) = self.steps.get_mut(idx) else {
            return out;
        };
        match action {
            LimitAction::Approve => {
                for p in &mut s.people {
                    if matches!(p.state, PersonState::Pending | PersonState::Waiting) {
                        p.state = PersonState::Approved;
                        p.since.get_or_insert(now);
                        p.acted_at = Some(now);
                        p.auto = true;
                    }
                }
                s.status = StepStatus::Approved;
                self.reach(idx + 1, now, &mut out);
            }
            LimitAction::Reject => {
                close_rest(s, now);
                s.status = StepStatus::Rejected;
                out.finished = Some(Status::Rejected);
            }
            LimitAction::Escalate => {
                for (m, leader) in leaders {
                    let already = s.people.iter().any(|p| {
                        p.member == *leader
                            && matches!(p.state, PersonState::Pending | PersonState::Waiting)
                    });
                    let Some(i) = s
                        .people
                        .iter()
                        .position(|p| p.member == *m && p.state == PersonState::Pending)
                    else {
                        continue;
                    };
                    if already {
                        continue;
                    }
                    s.people[i].state = PersonState::Transferred;
                    s.people[i].acted_at = Some(now);
                    s.people.insert(
                        i + 1,
                        Person {
                            member: *leader,
                            state: PersonState::Pending,
                            since: Some(now),
                            acted_at: None,
                            comment: String::new(),
                            auto: false,
                        },
                    );
                    out.now_pending.push(*leader);
                }
            }
            LimitAction::None => {}
        }
        out
    }

    /// The task rows this progress implies, by (step key, member).
    pub fn tasks(&self) -> BTreeMap<(i64, i64), Task> {
        let mut out = BTreeMap::new();
        for s in &self.steps {
            for p in &s.people {
                let Some(since) = p.since else { continue };
                let (kind, state) = match p.state {
                    PersonState::Waiting => continue,
                    PersonState::Pending => (1, 0),
                    PersonState::Approved => (1, 1),
                    PersonState::Rejected => (1, 2),
                    PersonState::Transferred => (1, 3),
                    PersonState::Closed => (1, 4),
                    PersonState::Copied => (2, 5),
                };
                out.insert(
                    (s.key, p.member),
                    Task {
                        kind,
                        state,
                        since,
                        acted_at: p.acted_at,
                    },
                );
            }
        }
        out
    }
}

/// Where a rejection sends the application instead of ending it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackTo {
    Applicant,
    Node(String),
}

/// Whether a step is decided by its people's states: approved when everyone needed approved (any
/// one, in an any-one step), rejected never here (a rejection is decided by `reject`).
fn step_result(s: &StepState) -> Option<StepStatus> {
    let live = s
        .people
        .iter()
        .filter(|p| p.state != PersonState::Transferred);
    let approved = |p: &&Person| p.state == PersonState::Approved;
    match s.step.mode {
        ApprovalMode::Any => live
            .clone()
            .any(|p| approved(&p))
            .then_some(StepStatus::Approved),
        ApprovalMode::All | ApprovalMode::Sequential => {
            let mut any = false;
            for p in live {
                if !approved(&p) {
                    return None;
                }
                any = true;
            }
            any.then_some(StepStatus::Approved)
        }
    }
}

/// Closes the turns still open in a step.
fn close_rest(s: &mut StepState, now: i64) {
    for p in &mut s.people {
        if p.state == PersonState::Pending {
            p.state = PersonState::Closed;
            p.acted_at = Some(now);
        }
    }
}

#[cfg(test)]
mod tests;
