//! A template's flow: a tree of nodes that, for one applicant and one form, resolves to the route an
//! approval takes — the ordered steps and the people at each. Every published change is a new
//! version; an instance keeps the route resolved at submission.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The flow: its nodes in order, and the rules that apply to all of them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub rules: FlowRules,
}

/// One node of the tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Node {
    /// People who approve or reject (审批人).
    Approver(ApproverNode),
    /// People who are told (抄送人).
    Cc(CcNode),
    /// Condition branches (条件分支), the first whose conditions all hold is taken.
    Branch(BranchNode),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproverNode {
    /// Unique within the flow, stable across versions (time limits and statistics are per node).
    pub id: String,
    /// ≤ 40 characters, e.g. "直属上级审批".
    pub name: String,
    /// Who approves: the union of these, in order, duplicates removed.
    pub approvers: Vec<ApproverSource>,
    #[serde(default)]
    pub mode: ApprovalMode,
    /// When the approvers resolve to nobody.
    #[serde(default)]
    pub when_empty: WhenEmpty,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit: Option<TimeLimit>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CcNode {
    pub id: String,
    pub name: String,
    pub recipients: Vec<ApproverSource>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BranchNode {
    pub id: String,
    /// Evaluated in order; the last should have no conditions (the default branch).
    pub branches: Vec<Branch>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// ≤ 40 characters, e.g. "金额 > 10000".
    pub name: String,
    /// All must hold; none means "otherwise".
    #[serde(default)]
    pub conditions: Vec<Condition>,
    #[schema(no_recursion)]
    pub nodes: Vec<Node>,
}

/// Where a node's people come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ApproverSource {
    /// Named members.
    Members { userids: Vec<String> },
    /// The applicant's `level`-th leader (1 = direct): the member's leader (`leader_userid`), else
    /// the leaders of the department; each further level repeats this from the leader found.
    Leader {
        #[serde(default = "one")]
        level: u8,
    },
    /// The leaders (heads) of a department: the named one, or the applicant's.
    DepartmentHead {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        department_id: Option<i64>,
    },
    /// Members holding a tag.
    Tag { tag_id: i64 },
    /// The enterprise's administrators: super administrators, or those holding `permission`.
    Admins {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        permission: Option<String>,
    },
    /// Chosen by the applicant at submission (自选), one or several.
    Chosen {
        #[serde(default)]
        multiple: bool,
    },
    /// The applicant themself.
    Applicant,
}

fn one() -> u8 {
    1
}

/// How several approvers of one node decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalMode {
    /// One after another (依次审批).
    Sequential,
    /// Every one must approve (会签).
    All,
    /// The first to act decides (或签).
    #[default]
    Any,
}

/// What a node with nobody to approve does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WhenEmpty {
    /// Pass it (自动通过).
    #[default]
    Skip,
    /// Give it to the enterprise's super administrators.
    Admins,
    /// Refuse the submission with a clear message.
    Refuse,
}

/// A node's time limit, in working hours from the moment it is reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeLimit {
    /// 1–720.
    pub hours: u32,
    /// Reminders at these shares of the limit, in percent (e.g. [50, 100]).
    #[serde(default)]
    pub remind_at: Vec<u8>,
    /// What happens at the limit.
    #[serde(default)]
    pub action: LimitAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LimitAction {
    /// Only remind.
    #[default]
    None,
    Approve,
    Reject,
    /// Hand the node to the approver's leader.
    Escalate,
}

/// Rules for the whole flow.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowRules {
    #[serde(default)]
    pub applicant_is_approver: SelfApproval,
    #[serde(default)]
    pub consecutive_approver: Consecutive,
}

/// When the applicant is among a node's approvers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SelfApproval {
    /// The applicant's own approval counts as given (they are left out of the node).
    #[default]
    Skip,
    /// The applicant approves like anyone else.
    Approve,
}

/// When the same person approves on consecutive nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Consecutive {
    /// Their approval on the first node counts for the next (审批人去重).
    #[default]
    ApproveOnce,
    /// They approve on each node.
    Each,
}

/// A condition of a branch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// A number or money field within a range: `min` ≤ value (or < when `min_exclusive`) and
    /// value ≤ `max` (or <). An empty value does not match.
    Range {
        field: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        min_exclusive: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        max_exclusive: bool,
    },
    /// A choice field holds one of `keys` (a multiple choice: any of them).
    Choice { field: String, keys: Vec<String> },
    /// A member field holds one of `userids`.
    Member { field: String, userids: Vec<String> },
    /// A department field holds one of `department_ids` or a department under one.
    Department {
        field: String,
        department_ids: Vec<i64>,
    },
    /// The applicant's department (the one they file under) is one of these or under one.
    ApplicantDepartment { department_ids: Vec<i64> },
    /// The applicant holds one of these tags.
    ApplicantTag { tag_ids: Vec<i64> },
    /// The applicant is one of these members.
    Applicant { userids: Vec<String> },
}

pub mod check;
pub mod resolve;
pub mod text;

use std::future::Future;

use qixie_kernel::error::AppResult;

/// Who applies, as resolution needs them.
#[derive(Debug, Clone)]
pub struct Applicant {
    pub member: i64,
    pub userid: String,
    /// The department the application is filed under (the main one unless chosen).
    pub department: i64,
    /// Its materialised path, "/1/4/9/".
    pub department_path: String,
    pub tags: Vec<i64>,
}

/// What resolution and the check ask of the organization: implemented over the org module
/// (`crate::directory`) and, in tests, over fixed data. Unknown ids give empty answers, not errors.
pub trait Directory: Sync {
    /// The applicant's leaders, level by level from the direct one (index 0 = level 1), at most
    /// `levels` levels: at each level the member's own leader if set, else the leaders of the
    /// member's department, else of the nearest ancestor department that has leaders (a member is
    /// never their own leader: they are skipped). Stops early at the top.
    fn leaders(
        &self,
        member: i64,
        department: i64,
        levels: u8,
    ) -> impl Future<Output = AppResult<Vec<Vec<i64>>>> + Send;
    /// The leaders of a department (none when it has none).
    fn department_heads(&self, department: i64)
    -> impl Future<Output = AppResult<Vec<i64>>> + Send;
    /// Active members holding a tag.
    fn tag_members(&self, tag: i64) -> impl Future<Output = AppResult<Vec<i64>>> + Send;
    /// Super administrators (`None`) or administrators holding `permission`.
    fn admins(&self, permission: Option<&str>) -> impl Future<Output = AppResult<Vec<i64>>> + Send;
    /// Member ids of these userids, in the same order; `None` for unknown or departed ones.
    fn members(
        &self,
        userids: &[String],
    ) -> impl Future<Output = AppResult<Vec<Option<i64>>>> + Send;
    /// Materialised paths of departments, in the same order; `None` for unknown ones.
    fn department_paths(
        &self,
        ids: &[i64],
    ) -> impl Future<Output = AppResult<Vec<Option<String>>>> + Send;
    /// Every department as (id, path): the check asks who a node reaches in each.
    fn all_departments(&self) -> impl Future<Output = AppResult<Vec<(i64, String)>>> + Send;
    /// Whether a tag exists.
    fn tag_exists(&self, tag: i64) -> impl Future<Output = AppResult<bool>> + Send;
}

/// The route an instance takes: resolved once at submission and kept with the instance.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct Route {
    pub steps: Vec<Step>,
    /// The branch taken at each branch node reached, in order.
    #[serde(default)]
    pub branches: Vec<BranchTaken>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BranchTaken {
    pub node_id: String,
    pub branch: String,
}

/// One step of a route: an approver or CC node with its people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Step {
    pub node_id: String,
    pub name: String,
    pub kind: StepKind,
    pub mode: ApprovalMode,
    /// Member ids, in order, duplicates removed.
    pub members: Vec<i64>,
    /// Why the step needs no one (its approvers resolved to nobody and the node passes, or only the
    /// applicant was left and their approval counts): it is approved as soon as it is reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passes: Option<PassReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit: Option<TimeLimit>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Approve,
    Cc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PassReason {
    /// Nobody to approve and the node's rule is to pass.
    Empty,
    /// Only the applicant was there, and the flow counts their own approval.
    Applicant,
}
