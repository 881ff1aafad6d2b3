use super::*;
use crate::flow::{LimitAction, TimeLimit};

fn step(id: &str, kind: StepKind, mode: ApprovalMode, members: &[i64]) -> Step {
    Step {
        node_id: id.into(),
        name: id.into(),
        kind,
        mode,
        members: members.to_vec(),
        passes: None,
        time_limit: None,
    }
}

fn approve(id: &str, mode: ApprovalMode, members: &[i64]) -> Step {
    step(id, StepKind::Approve, mode, members)
}

fn progress(steps: Vec<Step>) -> Progress {
    Progress::new(
        Route {
            steps,
            branches: vec![],
        },
        Consecutive::ApproveOnce,
    )
}

fn states(p: &Progress, idx: usize) -> Vec<(i64, PersonState)> {
    p.steps[idx]
        .people
        .iter()
        .map(|x| (x.member, x.state))
        .collect()
}

#[test]
fn an_any_one_step_is_decided_by_the_first_approver_and_the_other_hears_already_decided() {
    let mut p = progress(vec![
        approve("a", ApprovalMode::Any, &[1, 2]),
        approve("b", ApprovalMode::Any, &[3]),
    ]);
    let out = p.start(10);
    assert_eq!(out.now_pending, vec![1, 2]);
    let out = p.approve(2, "ok", 20).unwrap();
    assert_eq!(out.now_pending, vec![3]);
    assert_eq!(
        states(&p, 0),
        vec![(1, PersonState::Closed), (2, PersonState::Approved)]
    );
    assert_eq!(p.approve(1, "", 21), Err(Refusal::AlreadyDecided));
    assert_eq!(p.approve(9, "", 21), Err(Refusal::NotYours));
    let out = p.approve(3, "", 30).unwrap();
    assert_eq!(out.finished, Some(Status::Approved));
}

#[test]
fn an_all_step_waits_for_everyone_and_a_sequential_step_goes_in_order() {
    let mut p = progress(vec![
        approve("all", ApprovalMode::All, &[1, 2]),
        approve("seq", ApprovalMode::Sequential, &[3, 4]),
    ]);
    p.start(0);
    assert_eq!(p.approve(1, "", 1).unwrap(), Outcome::default());
    assert_eq!(p.current, 0);
    let out = p.approve(2, "", 2).unwrap();
    assert_eq!(out.now_pending, vec![3]);
    assert_eq!(
        states(&p, 1),
        vec![(3, PersonState::Pending), (4, PersonState::Waiting)]
    );
    assert_eq!(p.approve(4, "", 3), Err(Refusal::AlreadyDecided));
    let out = p.approve(3, "", 3).unwrap();
    assert_eq!(out.now_pending, vec![4]);
    assert_eq!(
        p.approve(4, "", 4).unwrap().finished,
        Some(Status::Approved)
    );
}

#[test]
fn someone_who_approved_the_step_before_approves_the_next_once() {
    let mut p = progress(vec![
        approve("a", ApprovalMode::Any, &[1]),
        approve("b", ApprovalMode::Any, &[1, 2]),
        approve("c", ApprovalMode::Any, &[3]),
    ]);
    p.start(0);
    let out = p.approve(1, "", 5).unwrap();
    // Step b passes through 1's earlier approval; 3 is next.
    assert_eq!(out.now_pending, vec![3]);
    assert!(p.steps[1].people[0].auto);
    assert_eq!(p.steps[1].status, StepStatus::Approved);
}

#[test]
fn copies_and_empty_steps_pass_on_the_way_and_an_empty_route_is_approved_at_once() {
    let mut p = progress(vec![
        step("cc", StepKind::Cc, ApprovalMode::Any, &[7, 8]),
        approve("empty", ApprovalMode::Any, &[]),
        approve("a", ApprovalMode::Any, &[1]),
    ]);
    let out = p.start(0);
    assert_eq!(out.now_copied, vec![7, 8]);
    assert_eq!(out.passed, vec![p.steps[1].key]);
    assert_eq!(out.now_pending, vec![1]);
    assert_eq!(p.steps[1].step.passes, Some(PassReason::Empty));
    let mut q = progress(vec![]);
    assert_eq!(q.start(0).finished, Some(Status::Approved));
}

#[test]
fn a_rejection_ends_returns_or_goes_back_to_an_earlier_step() {
    let mut p = progress(vec![
        approve("a", ApprovalMode::Any, &[1]),
        approve("b", ApprovalMode::Any, &[2]),
    ]);
    p.start(0);
    p.approve(1, "", 1).unwrap();
    assert_eq!(
        p.reject(2, "no", None, 2).unwrap().finished,
        Some(Status::Rejected)
    );

    let mut p = progress(vec![
        approve("a", ApprovalMode::Any, &[1]),
        approve("b", ApprovalMode::Any, &[2]),
    ]);
    p.start(0);
    p.approve(1, "", 1).unwrap();
    assert_eq!(
        p.reject(2, "", Some(BackTo::Applicant), 2)
            .unwrap()
            .finished,
        Some(Status::Returned)
    );

    let mut p = progress(vec![
        approve("a", ApprovalMode::Any, &[1]),
        approve("b", ApprovalMode::Any, &[2]),
    ]);
    p.start(0);
    p.approve(1, "", 1).unwrap();
    assert_eq!(
        p.reject(2, "", Some(BackTo::Node("b".into())), 2),
        Err(Refusal::Invalid)
    );
    let out = p
        .reject(2, "again", Some(BackTo::Node("a".into())), 3)
        .unwrap();
    assert_eq!(out.now_pending, vec![1]);
    assert_eq!(p.current, 0);
    assert_eq!(states(&p, 1), vec![(2, PersonState::Waiting)]);
}

#[test]
fn transfer_and_added_approvers_take_their_place() {
    let mut p = progress(vec![
        approve("a", ApprovalMode::Any, &[1]),
        approve("b", ApprovalMode::Any, &[2]),
    ]);
    p.start(0);
    assert_eq!(p.transfer(1, 1, "", 1), Err(Refusal::Invalid));
    assert_eq!(p.transfer(1, 5, "", 1).unwrap().now_pending, vec![5]);
    assert_eq!(
        states(&p, 0),
        vec![(1, PersonState::Transferred), (5, PersonState::Pending)]
    );
    // Before: 6 decides first, then 5 again.
    let out = p.add_approvers(5, &[6], true, "", 2).unwrap();
    assert_eq!(out.now_pending, vec![6]);
    assert_eq!(p.steps.len(), 3);
    let out = p.approve(6, "", 3).unwrap();
    assert_eq!(out.now_pending, vec![5]);
    // After: 5's approval counts and 7 decides next.
    let out = p.add_approvers(5, &[7], false, "", 4).unwrap();
    assert_eq!(out.now_pending, vec![7]);
    p.approve(7, "", 5).unwrap();
    assert_eq!(p.current_step().unwrap().step.node_id, "b");
    let keys: Vec<i64> = p.steps.iter().map(|s| s.key).collect();
    let mut unique = keys.clone();
    unique.dedup();
    assert_eq!(keys.len(), unique.len());
}

#[test]
fn a_time_limit_approves_rejects_or_escalates() {
    let limited = |members: &[i64]| {
        let mut s = approve("a", ApprovalMode::All, members);
        s.time_limit = Some(TimeLimit {
            hours: 1,
            remind_at: vec![50],
            action: LimitAction::Escalate,
        });
        s
    };
    let mut p = progress(vec![
        limited(&[1, 2]),
        approve("b", ApprovalMode::Any, &[3]),
    ]);
    p.start(0);
    let out = p.time_out(LimitAction::Escalate, &[(1, 9)], 10);
    assert_eq!(out.now_pending, vec![9]);
    assert_eq!(
        states(&p, 0),
        vec![
            (1, PersonState::Transferred),
            (9, PersonState::Pending),
            (2, PersonState::Pending)
        ]
    );
    let out = p.time_out(LimitAction::Approve, &[], 20);
    assert_eq!(out.now_pending, vec![3]);
    assert_eq!(
        p.time_out(LimitAction::Reject, &[], 30).finished,
        Some(Status::Rejected)
    );
}

#[test]
fn task_rows_follow_the_people_reached() {
    let mut p = progress(vec![
        approve("a", ApprovalMode::Sequential, &[1, 2]),
        step("cc", StepKind::Cc, ApprovalMode::Any, &[4]),
    ]);
    p.start(100);
    let t = p.tasks();
    assert_eq!(t.len(), 1, "only the first of a sequential step is reached");
    let k = p.steps[0].key;
    assert_eq!(
        t[&(k, 1)],
        Task {
            kind: 1,
            state: 0,
            since: 100,
            acted_at: None
        }
    );
    p.approve(1, "", 110).unwrap();
    p.approve(2, "", 120).unwrap();
    let t = p.tasks();
    assert_eq!(t[&(k, 1)].state, 1);
    assert_eq!(
        t[&(k, 2)],
        Task {
            kind: 1,
            state: 1,
            since: 110,
            acted_at: Some(120)
        }
    );
    assert_eq!(t[&(p.steps[1].key, 4)].kind, 2);
}
