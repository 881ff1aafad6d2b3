//! The check before publishing: the problems a designer lists for a flow over its form — errors
//! block publishing, warnings inform. The directory is asked in bulk: every named member in one
//! call, every named department's path in one, and, when a node depends on the organization's
//! leaders, every department's heads once and one leader chain per department that has heads.
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use qixie_kernel::error::AppResult;
use qixie_kernel::i18n::Lang;
use serde::Serialize;
use utoipa::ToSchema;

use super::resolve::{ResolveError, path_contains, resolve};
use super::{
    Applicant, ApproverNode, ApproverSource, Branch, BranchNode, Condition, Directory, Flow, Node,
    Route, WhenEmpty,
};
use crate::form::{Field, FieldKind, FormValues};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Blocks publishing.
    Error,
    /// Shown, publishing goes on.
    Warning,
}

/// One thing the check found, with where it is.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Problem {
    pub severity: Severity,
    /// `duplicate_node_id`, `empty_name`, `unknown_field`, `field_kind`, `unknown_option`,
    /// `unreachable_branch`, `no_default_branch`, `no_approvers`, `unknown_member`, `unknown_tag`,
    /// `unknown_department`, `leader_loop`, `time_limit`, `empty_flow` (a warning),
    /// `overlapping_branches` (a warning), `nobody_for_department` (a warning, an error on a node
    /// that refuses submissions when empty).
    pub code: &'static str,
    /// The node, or the branch node a branch belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_id: Option<String>,
    /// The branch's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The form field a condition names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<i64>,
    /// For people, in the requested language.
    pub message: String,
}

impl Problem {
    fn new(severity: Severity, code: &'static str, lang: Lang, zh: String, en: String) -> Problem {
        Problem {
            severity,
            code,
            node_id: None,
            branch: None,
            field: None,
            department_id: None,
            message: match lang {
                Lang::Zh => zh,
                Lang::En => en,
            },
        }
    }
    fn error(code: &'static str, lang: Lang, zh: String, en: String) -> Problem {
        Problem::new(Severity::Error, code, lang, zh, en)
    }
    fn warning(code: &'static str, lang: Lang, zh: String, en: String) -> Problem {
        Problem::new(Severity::Warning, code, lang, zh, en)
    }
    fn node(mut self, id: &str) -> Problem {
        self.node_id = Some(id.to_owned());
        self
    }
    fn branch(mut self, name: &str) -> Problem {
        self.branch = Some(name.to_owned());
        self
    }
    /// The branch, when the problem is in one (names checked in a branch's conditions).
    fn in_branch(mut self, name: Option<&str>) -> Problem {
        self.branch = name.map(str::to_owned);
        self
    }
    fn field(mut self, id: &str) -> Problem {
        self.field = Some(id.to_owned());
        self
    }
    fn department(mut self, id: i64) -> Problem {
        self.department_id = Some(id);
        self
    }
}

/// The problems of a flow over its form, in tree order (each node's, then its branches'), the
/// flow's own last. Only the directory's failures are errors of this function.
pub async fn check<D: Directory>(
    flow: &Flow,
    fields: &[Field],
    dir: &D,
    lang: Lang,
) -> AppResult<Vec<Problem>> {
    let mut wants = Wants::default();
    wants.collect(&flow.nodes);
    let org = Org::fetch(&wants, dir).await?;
    let mut checker = Checker {
        fields,
        lang,
        org: &org,
        ids: HashSet::new(),
        problems: Vec::new(),
        approvers: 0,
        nobody: HashMap::new(),
    };
    checker.nodes(&flow.nodes);
    if checker.approvers == 0 {
        checker.problems.push(Problem::warning(
            "empty_flow",
            lang,
            "流程中没有审批节点，提交后将直接通过".into(),
            "The flow has no approver node: applications are approved as soon as they are submitted"
                .into(),
        ));
    }
    Ok(checker.problems)
}

/// Simulation: the route an applicant's form would take (or why it would be refused), with the
/// flow's problems beside it. The directory's failures are the only errors.
pub async fn simulate<D: Directory>(
    flow: &Flow,
    fields: &[Field],
    values: &FormValues,
    applicant: &Applicant,
    chosen: &BTreeMap<String, Vec<i64>>,
    dir: &D,
    lang: Lang,
) -> AppResult<(Result<Route, ResolveError>, Vec<Problem>)> {
    let problems = check(flow, fields, dir, lang).await?;
    let route = match resolve(flow, fields, values, applicant, chosen, dir).await {
        Err(ResolveError::Directory(e)) => return Err(e),
        other => other,
    };
    Ok((route, problems))
}

/// What the flow names, to ask the directory about at once.
#[derive(Default)]
struct Wants {
    userids: Vec<String>,
    tags: Vec<i64>,
    departments: Vec<i64>,
    /// The highest leader level of any node.
    levels: u8,
    /// Some approver node depends only on the applicant's place in the organization.
    by_place: bool,
}

impl Wants {
    fn userid(&mut self, u: &str) {
        if !self.userids.iter().any(|x| x == u) {
            self.userids.push(u.to_owned());
        }
    }
    fn tag(&mut self, t: i64) {
        if !self.tags.contains(&t) {
            self.tags.push(t);
        }
    }
    fn department(&mut self, d: i64) {
        if !self.departments.contains(&d) {
            self.departments.push(d);
        }
    }
    fn sources(&mut self, sources: &[ApproverSource]) {
        for s in sources {
            match s {
                ApproverSource::Members { userids } => userids.iter().for_each(|u| self.userid(u)),
                ApproverSource::Leader { level } => self.levels = self.levels.max(*level),
                ApproverSource::DepartmentHead {
                    department_id: Some(d),
                } => self.department(*d),
                ApproverSource::Tag { tag_id } => self.tag(*tag_id),
                _ => {}
            }
        }
    }
    fn collect(&mut self, nodes: &[Node]) {
        for node in nodes {
            match node {
                Node::Approver(n) => {
                    self.sources(&n.approvers);
                    self.by_place |= by_place(n);
                }
                Node::Cc(n) => self.sources(&n.recipients),
                Node::Branch(b) => {
                    for branch in &b.branches {
                        for c in &branch.conditions {
                            match c {
                                Condition::Member { userids, .. }
                                | Condition::Applicant { userids } => {
                                    userids.iter().for_each(|u| self.userid(u))
                                }
                                Condition::Department { department_ids, .. }
                                | Condition::ApplicantDepartment { department_ids } => {
                                    department_ids.iter().for_each(|d| self.department(*d))
                                }
                                Condition::ApplicantTag { tag_ids } => {
                                    tag_ids.iter().for_each(|t| self.tag(*t))
                                }
                                Condition::Range { .. } | Condition::Choice { .. } => {}
                            }
                        }
                        self.collect(&branch.nodes);
                    }
                }
            }
        }
    }
}

/// An approver node whose people come only from the applicant's leaders and department heads.
fn by_place(n: &ApproverNode) -> bool {
    !n.approvers.is_empty()
        && n.approvers.iter().all(|s| {
            matches!(
                s,
                ApproverSource::Leader { .. }
                    | ApproverSource::DepartmentHead {
                        department_id: None
                    }
            )
        })
}

/// One department, as the nodes that depend on the applicant's place see it: for a member of it
/// who has no leader of their own.
struct Place {
    id: i64,
    /// The department has heads of its own.
    heads: bool,
    /// How many leader levels reach someone (level 1 to `levels`).
    levels: u8,
}

/// What the directory said.
#[derive(Default)]
struct Org {
    known_userids: HashSet<String>,
    known_tags: HashSet<i64>,
    paths: HashMap<i64, String>,
    /// Every department in the directory's order, when a node needs them.
    places: Vec<Place>,
    /// The departments (in order) whose leader chain returns to someone already on it: the
    /// department, the level (1-based) and who.
    loops: Vec<(i64, u8, i64)>,
}

impl Org {
    async fn fetch<D: Directory>(wants: &Wants, dir: &D) -> AppResult<Org> {
        let mut org = Org::default();
        if !wants.userids.is_empty() {
            let ids = dir.members(&wants.userids).await?;
            for (u, id) in wants.userids.iter().zip(ids) {
                if id.is_some() {
                    org.known_userids.insert(u.clone());
                }
            }
        }
        for t in &wants.tags {
            if dir.tag_exists(*t).await? {
                org.known_tags.insert(*t);
            }
        }
        if !wants.departments.is_empty() {
            let paths = dir.department_paths(&wants.departments).await?;
            for (d, path) in wants.departments.iter().zip(paths) {
                if let Some(path) = path {
                    org.paths.insert(*d, path);
                }
            }
        }
        if !wants.by_place && wants.levels < 2 {
            return Ok(org);
        }
        let all = dir.all_departments().await?;
        let mut heads: HashMap<i64, Vec<i64>> = HashMap::new();
        for (d, _) in &all {
            let h = dir.department_heads(*d).await?;
            if !h.is_empty() {
                heads.insert(*d, h);
            }
        }
        // The chain from each department with heads: its heads, then (for more levels) the
        // leaders of its first head. (levels reached, first level that loops).
        let mut chains: HashMap<i64, (u8, Option<(u8, i64)>)> = HashMap::new();
        let mut with_heads: Vec<(&i64, &Vec<i64>)> = heads.iter().collect();
        with_heads.sort_unstable_by_key(|(d, _)| **d);
        for (e, first) in with_heads {
            let mut levels = vec![first.clone()];
            if wants.levels >= 2
                && let Some(h) = first.first()
            {
                levels.extend(dir.leaders(*h, *e, wants.levels - 1).await?);
            }
            let reached = levels.iter().take_while(|l| !l.is_empty()).count();
            let mut seen = HashSet::new();
            let mut loops_at = None;
            for (i, level) in levels.iter().enumerate() {
                if let Some(m) = level.iter().find(|m| seen.contains(*m)) {
                    loops_at = Some((u8::try_from(i + 1).unwrap_or(u8::MAX), *m));
                    break;
                }
                seen.extend(level.iter().copied());
            }
            chains.insert(*e, (u8::try_from(reached).unwrap_or(u8::MAX), loops_at));
        }
        for (d, path) in &all {
            // The nearest department with heads: itself, else up its path.
            let on_path: Vec<i64> = path.split('/').filter_map(|p| p.parse().ok()).collect();
            let chain = std::iter::once(*d)
                .chain(on_path.into_iter().rev())
                .find_map(|a| chains.get(&a));
            let (levels, loops_at) = chain.copied().unwrap_or((0, None));
            if let Some((level, member)) = loops_at {
                org.loops.push((*d, level, member));
            }
            org.places.push(Place {
                id: *d,
                heads: heads.contains_key(d),
                levels,
            });
        }
        Ok(org)
    }

    /// Whether `a` is `b` or above or below it.
    fn related(&self, a: i64, b: i64) -> bool {
        a == b
            || self.paths.get(&b).is_some_and(|p| path_contains(p, a))
            || self.paths.get(&a).is_some_and(|p| path_contains(p, b))
    }

    /// The first department where a member without a leader of their own reaches nobody through
    /// leader levels `lowest` and up (none: no leader source) or, when `heads`, the department's
    /// own heads.
    fn first_nobody(&self, lowest: Option<u8>, heads: bool) -> Option<i64> {
        self.places
            .iter()
            .find(|p| !(lowest.is_some_and(|l| l <= p.levels) || (heads && p.heads)))
            .map(|p| p.id)
    }
}

/// A cut of the number line: just below `x`, or just above it when `above`.
#[derive(Debug, Clone, Copy)]
struct Cut {
    x: f64,
    above: bool,
}

impl Cut {
    const BOTTOM: Cut = Cut {
        x: f64::NEG_INFINITY,
        above: false,
    };
    const TOP: Cut = Cut {
        x: f64::INFINITY,
        above: false,
    };
    fn at(x: f64, above: bool) -> Cut {
        // -0 and 0 are one number.
        Cut { x: x + 0.0, above }
    }
    fn order(self, other: Cut) -> Ordering {
        self.x
            .total_cmp(&other.x)
            .then(self.above.cmp(&other.above))
    }
    fn max(self, other: Cut) -> Cut {
        if self.order(other) == Ordering::Less {
            other
        } else {
            self
        }
    }
    fn min(self, other: Cut) -> Cut {
        if self.order(other) == Ordering::Greater {
            other
        } else {
            self
        }
    }
}

/// The numbers between two cuts.
#[derive(Debug, Clone, Copy)]
struct Interval {
    lo: Cut,
    hi: Cut,
}

impl Interval {
    fn new(min: Option<f64>, min_exclusive: bool, max: Option<f64>, max_exclusive: bool) -> Self {
        Interval {
            lo: min.map_or(Cut::BOTTOM, |m| Cut::at(m, min_exclusive)),
            hi: max.map_or(Cut::TOP, |m| Cut::at(m, !max_exclusive)),
        }
    }
    /// A number or money field's own bounds.
    fn domain(field: &Field) -> Interval {
        Interval::new(field.min, false, field.max, false)
    }
    fn is_empty(self) -> bool {
        self.lo.order(self.hi) != Ordering::Less
    }
    fn meet(self, other: Interval) -> Interval {
        Interval {
            lo: self.lo.max(other.lo),
            hi: self.hi.min(other.hi),
        }
    }
    /// Whether these intervals together hold every number of `self`.
    fn covered_by(self, others: &[Interval]) -> bool {
        if self.is_empty() {
            return true;
        }
        let mut cur = self.lo;
        loop {
            let reach = others
                .iter()
                .filter(|i| {
                    !i.is_empty() && i.lo.order(cur) != Ordering::Greater && i.hi.order(cur).is_gt()
                })
                .map(|i| i.hi)
                .reduce(Cut::max);
            let Some(hi) = reach else { return false };
            if hi.order(self.hi) != Ordering::Less {
                return true;
            }
            cur = hi;
        }
    }
}

/// What a branch's conditions together allow, as far as the check can tell exactly.
enum Shape<'a> {
    /// No conditions: every form.
    Always,
    /// Conditions that no form meets.
    Never,
    /// Conditions on one number or money field only: values in this interval (within the field's
    /// bounds).
    Numeric(&'a Field, Interval),
    /// Conditions on one choice field only: values holding one of these keys (of its options).
    Keys(&'a Field, BTreeSet<&'a str>),
    /// Anything else.
    Other,
}

struct Checker<'a> {
    fields: &'a [Field],
    lang: Lang,
    org: &'a Org,
    ids: HashSet<&'a str>,
    problems: Vec<Problem>,
    approvers: usize,
    /// `Org::first_nobody` by its arguments: nodes often share them.
    nobody: HashMap<(Option<u8>, bool), Option<i64>>,
}

impl<'a> Checker<'a> {
    fn push(&mut self, p: Problem) {
        self.problems.push(p);
    }

    fn field(&self, id: &str) -> Option<&'a Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    fn nodes(&mut self, nodes: &'a [Node]) {
        for node in nodes {
            let id = match node {
                Node::Approver(n) => &n.id,
                Node::Cc(n) => &n.id,
                Node::Branch(b) => &b.id,
            };
            if !self.ids.insert(id.as_str()) {
                let p = Problem::error(
                    "duplicate_node_id",
                    self.lang,
                    format!("节点 ID「{id}」重复，每个节点的 ID 须唯一"),
                    format!("Node id \"{id}\" is used more than once; every node needs its own"),
                )
                .node(id);
                self.push(p);
            }
            match node {
                Node::Approver(n) => self.approver(n),
                Node::Cc(n) => {
                    self.name(&n.id, &n.name);
                    if n.recipients.is_empty() {
                        let p = Problem::error(
                            "no_approvers",
                            self.lang,
                            format!("抄送节点「{}」没有设置抄送人", n.name),
                            format!("CC node \"{}\" has no recipients", n.name),
                        )
                        .node(&n.id);
                        self.push(p);
                    }
                    self.sources(&n.id, &n.recipients);
                    self.leader_loops(&n.id, &n.recipients);
                }
                Node::Branch(b) => self.branch_node(b),
            }
        }
    }

    fn name(&mut self, id: &str, name: &str) {
        if name.trim().is_empty() {
            let p = Problem::error(
                "empty_name",
                self.lang,
                format!("节点 {id} 没有名称"),
                format!("Node {id} has no name"),
            )
            .node(id);
            self.push(p);
        }
    }

    fn approver(&mut self, n: &'a ApproverNode) {
        self.approvers += 1;
        self.name(&n.id, &n.name);
        if n.approvers.is_empty() {
            let p = Problem::error(
                "no_approvers",
                self.lang,
                format!("审批节点「{}」没有设置审批人", n.name),
                format!("Approver node \"{}\" has no approvers", n.name),
            )
            .node(&n.id);
            self.push(p);
        }
        self.sources(&n.id, &n.approvers);
        if let Some(limit) = &n.time_limit {
            let hours_ok = (1..=720).contains(&limit.hours);
            let remind_ok = limit.remind_at.iter().all(|r| (1..=100).contains(r));
            if !hours_ok || !remind_ok {
                let p = Problem::error(
                    "time_limit",
                    self.lang,
                    format!(
                        "节点「{}」的时限须为 1–720 小时，提醒须在时限的 1%–100% 之间",
                        n.name
                    ),
                    format!(
                        "Node \"{}\": the time limit must be 1–720 hours and reminders 1–100% of it",
                        n.name
                    ),
                )
                .node(&n.id);
                self.push(p);
            }
        }
        self.leader_loops(&n.id, &n.approvers);
        if by_place(n) {
            self.nobody_for_department(n);
        }
    }

    fn sources(&mut self, node_id: &str, sources: &[ApproverSource]) {
        for s in sources {
            match s {
                ApproverSource::Members { userids } => self.userids(node_id, None, userids),
                ApproverSource::Tag { tag_id } => self.tags(node_id, None, &[*tag_id]),
                ApproverSource::DepartmentHead {
                    department_id: Some(d),
                } => self.departments(node_id, None, &[*d]),
                _ => {}
            }
        }
    }

    fn userids(&mut self, node_id: &str, branch: Option<&str>, userids: &[String]) {
        for u in userids {
            if !self.org.known_userids.contains(u) {
                let p = Problem::error(
                    "unknown_member",
                    self.lang,
                    format!("成员「{u}」不存在或已离职"),
                    format!("Member \"{u}\" does not exist or has left"),
                )
                .node(node_id)
                .in_branch(branch);
                self.push(p);
            }
        }
    }

    fn tags(&mut self, node_id: &str, branch: Option<&str>, tags: &[i64]) {
        for t in tags {
            if !self.org.known_tags.contains(t) {
                let p = Problem::error(
                    "unknown_tag",
                    self.lang,
                    format!("标签 {t} 不存在"),
                    format!("Tag {t} does not exist"),
                )
                .node(node_id)
                .in_branch(branch);
                self.push(p);
            }
        }
    }

    fn departments(&mut self, node_id: &str, branch: Option<&str>, ids: &[i64]) {
        for d in ids {
            if !self.org.paths.contains_key(d) {
                let p = Problem::error(
                    "unknown_department",
                    self.lang,
                    format!("部门 {d} 不存在"),
                    format!("Department {d} does not exist"),
                )
                .node(node_id)
                .department(*d)
                .in_branch(branch);
                self.push(p);
            }
        }
    }

    /// A leader level that returns to someone already on the chain, for the first department
    /// where it happens.
    fn leader_loops(&mut self, node_id: &str, sources: &[ApproverSource]) {
        let Some(top) = sources
            .iter()
            .filter_map(|s| match s {
                ApproverSource::Leader { level } => Some(*level),
                _ => None,
            })
            .max()
        else {
            return;
        };
        let found = self.org.loops.iter().find(|(_, level, _)| *level <= top);
        if let Some(&(d, level, member)) = found {
            let p = Problem::error(
                "leader_loop",
                self.lang,
                format!("部门 {d} 的上级关系出现循环：第 {level} 级上级（成员 ID {member}）已在前面的级别中出现"),
                format!("The leaders of department {d} go round in a loop: the level {level} leader (member id {member}) already appears at a lower level"),
            )
            .node(node_id)
            .department(d);
            self.push(p);
        }
    }

    /// An approver node of leaders and department heads only that reaches nobody for a member of
    /// some department (one without a leader of their own).
    fn nobody_for_department(&mut self, n: &ApproverNode) {
        let lowest = n
            .approvers
            .iter()
            .filter_map(|s| match s {
                ApproverSource::Leader { level } if *level > 0 => Some(*level),
                _ => None,
            })
            .min();
        let heads = n.approvers.iter().any(|s| {
            matches!(
                s,
                ApproverSource::DepartmentHead {
                    department_id: None
                }
            )
        });
        let org = self.org;
        let found = *self
            .nobody
            .entry((lowest, heads))
            .or_insert_with(|| org.first_nobody(lowest, heads));
        let Some(d) = found else {
            return;
        };
        let (zh, en) = (
            format!("部门 {d} 的成员提交时，节点「{}」找不到审批人", n.name),
            format!(
                "Node \"{}\" finds no approver for a member of department {d}",
                n.name
            ),
        );
        let p = if n.when_empty == WhenEmpty::Refuse {
            Problem::error(
                "nobody_for_department",
                self.lang,
                format!("{zh}，且该节点设置为无审批人时不允许提交"),
                format!("{en}, and the node refuses submissions then"),
            )
        } else {
            Problem::warning("nobody_for_department", self.lang, zh, en)
        };
        self.push(p.node(&n.id).department(d));
    }

    fn branch_node(&mut self, b: &'a BranchNode) {
        let mut shapes = Vec::with_capacity(b.branches.len());
        for (i, branch) in b.branches.iter().enumerate() {
            if branch.name.trim().is_empty() {
                let p = Problem::error(
                    "empty_name",
                    self.lang,
                    format!("条件分支 {} 的第 {} 个分支没有名称", b.id, i + 1),
                    format!("Branch {} of {} has no name", i + 1, b.id),
                )
                .node(&b.id)
                .branch(&branch.name);
                self.push(p);
            }
            self.conditions(&b.id, branch);
            shapes.push(self.shape(branch));
        }
        let reachable = self.reachability(b, &shapes);
        self.default_branch(b, &shapes);
        self.overlaps(b, &shapes, &reachable);
        for branch in &b.branches {
            self.nodes(&branch.nodes);
        }
    }

    /// Fields, kinds, options and named people, tags and departments of a branch's conditions.
    fn conditions(&mut self, node_id: &str, branch: &Branch) {
        for c in &branch.conditions {
            let (field, kinds, what): (&str, &[FieldKind], (&str, &str)) = match c {
                Condition::Range { field, .. } => (
                    field,
                    &[FieldKind::Number, FieldKind::Money, FieldKind::DateRange],
                    ("数值范围", "range"),
                ),
                Condition::Choice { field, .. } => (
                    field,
                    &[FieldKind::SingleChoice, FieldKind::MultiChoice],
                    ("选项", "choice"),
                ),
                Condition::Member { field, userids } => {
                    self.userids(node_id, Some(&branch.name), userids);
                    (field, &[FieldKind::Member], ("成员", "member"))
                }
                Condition::Department {
                    field,
                    department_ids,
                } => {
                    self.departments(node_id, Some(&branch.name), department_ids);
                    (field, &[FieldKind::Department], ("部门", "department"))
                }
                Condition::ApplicantDepartment { department_ids } => {
                    self.departments(node_id, Some(&branch.name), department_ids);
                    continue;
                }
                Condition::ApplicantTag { tag_ids } => {
                    self.tags(node_id, Some(&branch.name), tag_ids);
                    continue;
                }
                Condition::Applicant { userids } => {
                    self.userids(node_id, Some(&branch.name), userids);
                    continue;
                }
            };
            let Some(f) = self.field(field) else {
                let p = Problem::error(
                    "unknown_field",
                    self.lang,
                    format!(
                        "分支「{}」的条件引用的字段「{field}」不在表单中",
                        branch.name
                    ),
                    format!(
                        "Branch \"{}\" names field \"{field}\", which is not in the form",
                        branch.name
                    ),
                )
                .node(node_id)
                .branch(&branch.name)
                .field(field);
                self.push(p);
                continue;
            };
            if !kinds.contains(&f.kind) {
                let p = Problem::error(
                    "field_kind",
                    self.lang,
                    format!("字段「{}」不能用于{}条件", f.title, what.0),
                    format!(
                        "Field \"{}\" cannot be used in a {} condition",
                        f.title, what.1
                    ),
                )
                .node(node_id)
                .branch(&branch.name)
                .field(field);
                self.push(p);
                continue;
            }
            if let Condition::Choice { keys, .. } = c {
                for k in keys {
                    if !f.options.iter().any(|o| o.key == *k) {
                        let p = Problem::error(
                            "unknown_option",
                            self.lang,
                            format!("字段「{}」没有选项「{k}」", f.title),
                            format!("Field \"{}\" has no option \"{k}\"", f.title),
                        )
                        .node(node_id)
                        .branch(&branch.name)
                        .field(field);
                        self.push(p);
                    }
                }
            }
        }
    }

    /// What a branch allows. Conditions with errors of their own (an unknown field, a wrong kind)
    /// make it `Other`, so that they are not reported twice.
    fn shape(&self, branch: &'a Branch) -> Shape<'a> {
        if branch.conditions.is_empty() {
            return Shape::Always;
        }
        let mut shape: Option<Shape<'a>> = None;
        let mut other = false;
        for c in &branch.conditions {
            let this = match c {
                Condition::Range {
                    field,
                    min,
                    min_exclusive,
                    max,
                    max_exclusive,
                } => match self.field(field) {
                    Some(f)
                        if matches!(
                            f.kind,
                            FieldKind::Number | FieldKind::Money | FieldKind::DateRange
                        ) =>
                    {
                        let i = Interval::new(*min, *min_exclusive, *max, *max_exclusive)
                            .meet(Interval::domain(f));
                        if i.is_empty() {
                            return Shape::Never;
                        }
                        Shape::Numeric(f, i)
                    }
                    _ => Shape::Other,
                },
                Condition::Choice { field, keys } => match self.field(field) {
                    Some(f)
                        if matches!(f.kind, FieldKind::SingleChoice | FieldKind::MultiChoice) =>
                    {
                        let known: BTreeSet<&str> = f
                            .options
                            .iter()
                            .map(|o| o.key.as_str())
                            .filter(|k| keys.iter().any(|want| want == k))
                            .collect();
                        if known.is_empty() {
                            return Shape::Never;
                        }
                        Shape::Keys(f, known)
                    }
                    _ => Shape::Other,
                },
                Condition::Member { userids: list, .. }
                | Condition::Applicant { userids: list } => {
                    if list.is_empty() {
                        return Shape::Never;
                    }
                    Shape::Other
                }
                Condition::Department {
                    department_ids: list,
                    ..
                }
                | Condition::ApplicantDepartment {
                    department_ids: list,
                } => {
                    if list.is_empty() {
                        return Shape::Never;
                    }
                    Shape::Other
                }
                Condition::ApplicantTag { tag_ids } => {
                    if tag_ids.is_empty() {
                        return Shape::Never;
                    }
                    Shape::Other
                }
            };
            shape = match (shape, this) {
                (None, this) => Some(this),
                (Some(Shape::Numeric(f, a)), Shape::Numeric(g, b)) if f.id == g.id => {
                    let i = a.meet(b);
                    if i.is_empty() {
                        return Shape::Never;
                    }
                    Some(Shape::Numeric(f, i))
                }
                (Some(Shape::Keys(f, a)), Shape::Keys(g, b))
                    if f.id == g.id && f.kind == FieldKind::SingleChoice =>
                {
                    let both: BTreeSet<&str> = a.intersection(&b).copied().collect();
                    if both.is_empty() {
                        return Shape::Never;
                    }
                    Some(Shape::Keys(f, both))
                }
                _ => {
                    other = true;
                    Some(Shape::Other)
                }
            };
        }
        match shape {
            Some(s) if !other => s,
            _ => Shape::Other,
        }
    }

    /// Unreachable branches: after one without conditions, with conditions that never hold, or
    /// whose every value earlier branches on the same field take. Returns which are reachable.
    fn reachability(&mut self, b: &BranchNode, shapes: &[Shape<'a>]) -> Vec<bool> {
        let mut reachable = vec![true; shapes.len()];
        for (i, shape) in shapes.iter().enumerate() {
            let branch = &b.branches[i];
            let after = shapes[..i].iter().position(|s| matches!(s, Shape::Always));
            let why = if let Some(j) = after {
                let other = &b.branches[j].name;
                Some((
                    format!(
                        "分支「{}」在无条件的分支「{other}」之后，永远不会走到",
                        branch.name
                    ),
                    format!(
                        "Branch \"{}\" comes after \"{other}\", which has no conditions, and is never reached",
                        branch.name
                    ),
                ))
            } else {
                match shape {
                    Shape::Never => Some((
                        format!("分支「{}」的条件不可能同时满足", branch.name),
                        format!(
                            "The conditions of branch \"{}\" can never hold",
                            branch.name
                        ),
                    )),
                    Shape::Numeric(f, values) => {
                        let earlier: Vec<Interval> = shapes[..i]
                            .iter()
                            .filter_map(|s| match s {
                                Shape::Numeric(g, j) if g.id == f.id => Some(*j),
                                _ => None,
                            })
                            .collect();
                        (!earlier.is_empty() && values.covered_by(&earlier))
                            .then(|| taken(branch, f))
                    }
                    Shape::Keys(f, keys) => {
                        let mut earlier: BTreeSet<&str> = BTreeSet::new();
                        let mut any = false;
                        for s in &shapes[..i] {
                            if let Shape::Keys(g, k) = s
                                && g.id == f.id
                            {
                                any = true;
                                earlier.extend(k.iter().copied());
                            }
                        }
                        (any && keys.is_subset(&earlier)).then(|| taken(branch, f))
                    }
                    Shape::Always | Shape::Other => None,
                }
            };
            if let Some((zh, en)) = why {
                reachable[i] = false;
                let p = Problem::error("unreachable_branch", self.lang, zh, en)
                    .node(&b.id)
                    .branch(&branch.name);
                self.push(p);
            }
        }
        reachable
    }

    /// A branch node without a default branch whose branches leave some form without a branch.
    fn default_branch(&mut self, b: &BranchNode, shapes: &[Shape<'a>]) {
        if shapes.iter().any(|s| matches!(s, Shape::Always)) {
            return;
        }
        // A field whose values the branches' ranges or keys cover entirely.
        let mut numeric: Vec<(&Field, Vec<Interval>)> = Vec::new();
        let mut keys: Vec<(&Field, BTreeSet<&str>)> = Vec::new();
        for s in shapes {
            match s {
                Shape::Numeric(f, i) => match numeric.iter_mut().find(|(g, _)| g.id == f.id) {
                    Some((_, list)) => list.push(*i),
                    None => numeric.push((*f, vec![*i])),
                },
                Shape::Keys(f, k) => match keys.iter_mut().find(|(g, _)| g.id == f.id) {
                    Some((_, set)) => set.extend(k.iter().copied()),
                    None => keys.push((*f, k.clone())),
                },
                _ => {}
            }
        }
        let covering = numeric
            .iter()
            .filter(|(f, list)| Interval::domain(f).covered_by(list))
            .map(|(f, _)| *f)
            .chain(
                keys.iter()
                    .filter(|(f, set)| {
                        !f.options.is_empty()
                            && f.options.iter().all(|o| set.contains(o.key.as_str()))
                    })
                    .map(|(f, _)| *f),
            )
            .collect::<Vec<_>>();
        if covering.iter().any(|f| f.required) {
            return;
        }
        let (zh, en) = match covering.first() {
            Some(f) => (
                format!(
                    "条件分支 {} 没有默认分支：字段「{}」可以不填，不填时没有分支可走",
                    b.id, f.title
                ),
                format!(
                    "Branch node {} has no default branch: field \"{}\" may be left empty, and an empty value reaches no branch",
                    b.id, f.title
                ),
            ),
            None => (
                format!(
                    "条件分支 {} 没有默认分支，有的表单不满足任何分支的条件；请在最后加一个无条件的分支",
                    b.id
                ),
                format!(
                    "Branch node {} has no default branch and some forms meet no branch's conditions; add a last branch without conditions",
                    b.id
                ),
            ),
        };
        let mut p = Problem::error("no_default_branch", self.lang, zh, en).node(&b.id);
        if let Some(last) = b.branches.last() {
            p = p.branch(&last.name);
        }
        self.push(p);
    }

    /// Conditioned branches that can both hold (the first wins): one warning per later branch,
    /// naming the first earlier one it meets.
    fn overlaps(&mut self, b: &BranchNode, shapes: &[Shape<'a>], reachable: &[bool]) {
        let conditioned =
            |i: usize| reachable[i] && !matches!(shapes[i], Shape::Always | Shape::Never);
        for j in 0..b.branches.len() {
            if !conditioned(j) {
                continue;
            }
            let Some(i) =
                (0..j).find(|i| conditioned(*i) && !self.disjoint(&b.branches[*i], &b.branches[j]))
            else {
                continue;
            };
            let (first, later) = (&b.branches[i].name, &b.branches[j].name);
            let p = Problem::warning(
                "overlapping_branches",
                self.lang,
                format!("分支「{later}」与前面的分支「{first}」的条件可能同时满足，此时走「{first}」"),
                format!("Branches \"{first}\" and \"{later}\" can both hold; the first, \"{first}\", is taken then"),
            )
            .node(&b.id)
            .branch(later);
            self.push(p);
        }
    }

    /// Whether no form meets both branches: some condition of one excludes some condition of the
    /// other (the same number field in ranges that do not meet, the same single-valued field or
    /// the applicant in lists that share nothing).
    fn disjoint(&self, a: &Branch, b: &Branch) -> bool {
        a.conditions
            .iter()
            .any(|x| b.conditions.iter().any(|y| self.exclusive(x, y)))
    }

    fn exclusive(&self, x: &Condition, y: &Condition) -> bool {
        let single = |field: &str, kind: FieldKind| {
            self.field(field)
                .is_some_and(|f| f.kind == kind && !f.multiple)
        };
        let unrelated = |a: &[i64], b: &[i64]| {
            a.iter()
                .all(|p| b.iter().all(|q| !self.org.related(*p, *q)))
        };
        match (x, y) {
            (
                Condition::Range {
                    field: f,
                    min: a0,
                    min_exclusive: a1,
                    max: a2,
                    max_exclusive: a3,
                },
                Condition::Range {
                    field: g,
                    min: b0,
                    min_exclusive: b1,
                    max: b2,
                    max_exclusive: b3,
                },
            ) if f == g => {
                let a = Interval::new(*a0, *a1, *a2, *a3);
                let b = Interval::new(*b0, *b1, *b2, *b3);
                let both = a.meet(b);
                match self.field(f) {
                    Some(field) => both.meet(Interval::domain(field)).is_empty(),
                    None => both.is_empty(),
                }
            }
            (Condition::Choice { field: f, keys: a }, Condition::Choice { field: g, keys: b })
                if f == g && single(f, FieldKind::SingleChoice) =>
            {
                !a.iter().any(|k| b.contains(k))
            }
            (
                Condition::Member {
                    field: f,
                    userids: a,
                },
                Condition::Member {
                    field: g,
                    userids: b,
                },
            ) if f == g && single(f, FieldKind::Member) => !a.iter().any(|u| b.contains(u)),
            (
                Condition::Department {
                    field: f,
                    department_ids: a,
                },
                Condition::Department {
                    field: g,
                    department_ids: b,
                },
            ) if f == g && single(f, FieldKind::Department) => unrelated(a, b),
            (
                Condition::ApplicantDepartment { department_ids: a },
                Condition::ApplicantDepartment { department_ids: b },
            ) => unrelated(a, b),
            (Condition::Applicant { userids: a }, Condition::Applicant { userids: b }) => {
                !a.iter().any(|u| b.contains(u))
            }
            _ => false,
        }
    }
}

/// The words for a branch whose values earlier branches on field `f` already take.
fn taken(branch: &Branch, f: &Field) -> (String, String) {
    (
        format!(
            "分支「{}」能匹配的「{}」的值都已被前面的分支占用，永远不会走到",
            branch.name, f.title
        ),
        format!(
            "Every value of \"{}\" that branch \"{}\" matches is taken by earlier branches; it is never reached",
            f.title, branch.name
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use serde_json::json;

    use super::super::resolve::testdir::*;
    use super::*;
    use crate::flow::{ApproverSource as Src, FlowRules, PassReason, StepKind, TimeLimit};

    type Row<'a> = (
        &'static str,
        Severity,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<i64>,
    );

    fn rows(problems: &[Problem]) -> Vec<Row<'_>> {
        problems
            .iter()
            .map(|p| {
                (
                    p.code,
                    p.severity,
                    p.node_id.as_deref(),
                    p.branch.as_deref(),
                    p.field.as_deref(),
                    p.department_id,
                )
            })
            .collect()
    }

    fn flow(nodes: Vec<Node>) -> Flow {
        Flow {
            nodes,
            rules: FlowRules::default(),
        }
    }

    async fn problems(f: &Flow, dir: &TestDir) -> Vec<Problem> {
        check(f, &form(), dir, Lang::Zh).await.unwrap()
    }

    /// A branch node of one conditioned branch and a default one.
    fn one(id: &str, cond: Condition) -> Node {
        branch(
            id,
            vec![
                when("条件", vec![cond], vec![]),
                when("其他", vec![], vec![]),
            ],
        )
    }

    fn choice(field: &str, keys: &[&str]) -> Condition {
        Condition::Choice {
            field: field.into(),
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
        }
    }

    const E: Severity = Severity::Error;
    const W: Severity = Severity::Warning;

    #[tokio::test]
    async fn a_sound_flow_has_no_problems() {
        let dir = company();
        let f = flow(vec![
            node(approver("n1", vec![Src::Leader { level: 1 }])),
            branch(
                "b1",
                vec![
                    when(
                        "大额",
                        vec![range("amount", Some((10000.0, true)), None)],
                        vec![node(approver("gm", vec![members(&["ceo"])]))],
                    ),
                    when(
                        "技术",
                        vec![Condition::ApplicantDepartment {
                            department_ids: vec![3],
                        }],
                        vec![],
                    ),
                    when("其他", vec![], vec![]),
                ],
            ),
            cc("c1", vec![Src::Tag { tag_id: 10 }]),
        ]);
        let found = problems(&f, &dir).await;
        // 技术 overlaps 大额 (a large amount from 技术 takes 大额): the only remark.
        assert_eq!(
            rows(&found),
            vec![(
                "overlapping_branches",
                W,
                Some("b1"),
                Some("技术"),
                None,
                None
            )]
        );
        assert_eq!(
            found[0].message,
            "分支「技术」与前面的分支「大额」的条件可能同时满足，此时走「大额」"
        );
        // members, one tag, the paths of named departments, every department and their heads.
        assert_eq!(dir.calls(), 1 + 1 + 1 + 1 + 5);
    }

    #[tokio::test]
    async fn node_ids_names_people_and_time_limits() {
        let dir = company();
        let mut n1 = approver("n1", vec![]);
        n1.name = " ".into();
        n1.time_limit = Some(TimeLimit {
            hours: 0,
            remind_at: vec![],
            action: Default::default(),
        });
        let limit = |hours: u32, remind_at: Vec<u8>| {
            let mut n = approver(
                &format!("t{hours}_{}", remind_at.len()),
                vec![members(&["ceo"])],
            );
            n.time_limit = Some(TimeLimit {
                hours,
                remind_at,
                action: Default::default(),
            });
            node(n)
        };
        let f = flow(vec![
            node(n1),
            cc("n1", vec![]),
            branch(
                "b1",
                vec![
                    when(
                        "",
                        vec![Condition::Applicant {
                            userids: vec!["carol".into()],
                        }],
                        vec![node(approver("b1", vec![members(&["ceo"])]))],
                    ),
                    when("其他", vec![], vec![]),
                ],
            ),
            limit(720, vec![1, 100]),
            limit(721, vec![]),
            limit(24, vec![0]),
            limit(48, vec![50, 101]),
        ]);
        assert_eq!(
            rows(&problems(&f, &dir).await),
            vec![
                ("empty_name", E, Some("n1"), None, None, None),
                ("no_approvers", E, Some("n1"), None, None, None),
                ("time_limit", E, Some("n1"), None, None, None),
                ("duplicate_node_id", E, Some("n1"), None, None, None),
                ("no_approvers", E, Some("n1"), None, None, None),
                ("empty_name", E, Some("b1"), Some(""), None, None),
                ("duplicate_node_id", E, Some("b1"), None, None, None),
                ("time_limit", E, Some("t721_0"), None, None, None),
                ("time_limit", E, Some("t24_1"), None, None, None),
                ("time_limit", E, Some("t48_2"), None, None, None),
            ]
        );
    }

    #[tokio::test]
    async fn a_flow_without_approvers_is_a_warning() {
        let dir = company();
        let found = check(
            &flow(vec![cc("c1", vec![members(&["ceo"])])]),
            &form(),
            &dir,
            Lang::En,
        )
        .await
        .unwrap();
        assert_eq!(
            found,
            vec![Problem {
                severity: W,
                code: "empty_flow",
                node_id: None,
                branch: None,
                field: None,
                department_id: None,
                message: "The flow has no approver node: applications are approved as soon as they are submitted".into(),
            }]
        );
        assert_eq!(
            serde_json::to_value(&found[0]).unwrap(),
            json!({
                "severity": "warning",
                "code": "empty_flow",
                "message": "The flow has no approver node: applications are approved as soon as they are submitted"
            })
        );
    }

    #[tokio::test]
    async fn conditions_and_sources_name_what_exists() {
        let dir = company();
        let f = flow(vec![
            node(approver(
                "n1",
                vec![
                    members(&["ceo", "ghost3"]),
                    Src::Tag { tag_id: 98 },
                    Src::DepartmentHead {
                        department_id: Some(79),
                    },
                    Src::DepartmentHead {
                        department_id: Some(2),
                    },
                ],
            )),
            one("b1", range("nope", Some((1.0, false)), None)),
            one("b2", range("note", Some((1.0, false)), None)),
            one("b3", choice("type", &["trip", "cruise"])),
            one("b4", choice("amount", &["trip"])),
            one(
                "b5",
                Condition::Member {
                    field: "reviewer".into(),
                    userids: vec!["ghost".into(), "bob".into()],
                },
            ),
            one(
                "b6",
                Condition::ApplicantTag {
                    tag_ids: vec![99, 10],
                },
            ),
            one(
                "b7",
                Condition::Department {
                    field: "dept".into(),
                    department_ids: vec![77],
                },
            ),
            one(
                "b8",
                Condition::ApplicantDepartment {
                    department_ids: vec![78],
                },
            ),
            one(
                "b9",
                Condition::Applicant {
                    userids: vec!["ghost2".into()],
                },
            ),
            one(
                "b10",
                Condition::Member {
                    field: "dept".into(),
                    userids: vec!["bob".into()],
                },
            ),
        ]);
        let found = problems(&f, &dir).await;
        assert_eq!(
            rows(&found),
            vec![
                ("unknown_member", E, Some("n1"), None, None, None),
                ("unknown_tag", E, Some("n1"), None, None, None),
                ("unknown_department", E, Some("n1"), None, None, Some(79)),
                (
                    "unknown_field",
                    E,
                    Some("b1"),
                    Some("条件"),
                    Some("nope"),
                    None
                ),
                (
                    "field_kind",
                    E,
                    Some("b2"),
                    Some("条件"),
                    Some("note"),
                    None
                ),
                (
                    "unknown_option",
                    E,
                    Some("b3"),
                    Some("条件"),
                    Some("type"),
                    None
                ),
                (
                    "field_kind",
                    E,
                    Some("b4"),
                    Some("条件"),
                    Some("amount"),
                    None
                ),
                ("unknown_member", E, Some("b5"), Some("条件"), None, None),
                ("unknown_tag", E, Some("b6"), Some("条件"), None, None),
                (
                    "unknown_department",
                    E,
                    Some("b7"),
                    Some("条件"),
                    None,
                    Some(77)
                ),
                (
                    "unknown_department",
                    E,
                    Some("b8"),
                    Some("条件"),
                    None,
                    Some(78)
                ),
                ("unknown_member", E, Some("b9"), Some("条件"), None, None),
                (
                    "field_kind",
                    E,
                    Some("b10"),
                    Some("条件"),
                    Some("dept"),
                    None
                ),
            ]
        );
        assert_eq!(found[0].message, "成员「ghost3」不存在或已离职");
        assert_eq!(found[5].message, "字段「type」没有选项「cruise」");
        assert_eq!(found[6].message, "字段「amount」不能用于选项条件");
        // One call for the members, one per tag (98, 99, 10), one for the departments' paths.
        assert_eq!(dir.calls(), 1 + 3 + 1);
    }

    #[tokio::test]
    async fn unreachable_branches() {
        let dir = company();
        let f = flow(vec![
            branch(
                "b1",
                vec![
                    when("全部", vec![], vec![]),
                    when(
                        "之后",
                        vec![range("amount", Some((5.0, true)), None)],
                        vec![],
                    ),
                ],
            ),
            one(
                "b2",
                range("amount", Some((10.0, false)), Some((5.0, false))),
            ),
            one("b3", range("amount", Some((5.0, true)), Some((5.0, false)))),
            // The amount is at least 0 (the field's own bound).
            one("b4", range("amount", None, Some((0.0, true)))),
            branch(
                "b5",
                vec![
                    when(
                        "超过1000",
                        vec![range("amount", Some((1000.0, true)), None)],
                        vec![],
                    ),
                    when(
                        "超过5000",
                        vec![range("amount", Some((5000.0, true)), None)],
                        vec![],
                    ),
                    when("其他", vec![], vec![]),
                ],
            ),
            branch(
                "b6",
                vec![
                    when(
                        "0-100",
                        vec![range("amount", None, Some((100.0, false)))],
                        vec![],
                    ),
                    when(
                        "100-200",
                        vec![range("amount", Some((100.0, true)), Some((200.0, true)))],
                        vec![],
                    ),
                    when(
                        "50-150",
                        vec![range("amount", Some((50.0, false)), Some((150.0, false)))],
                        vec![],
                    ),
                    when(
                        "200",
                        vec![range("amount", Some((200.0, false)), Some((200.0, false)))],
                        vec![],
                    ),
                    when("其他", vec![], vec![]),
                ],
            ),
            branch(
                "b7",
                vec![
                    when(
                        "出差采购",
                        vec![choice("type", &["trip", "purchase"])],
                        vec![],
                    ),
                    when("出差", vec![choice("type", &["trip"])], vec![]),
                    when("其他", vec![], vec![]),
                ],
            ),
            branch(
                "b8",
                vec![
                    when("ab", vec![choice("items", &["a", "b"])], vec![]),
                    when("b", vec![choice("items", &["b"])], vec![]),
                    when("c", vec![choice("items", &["c"])], vec![]),
                    when("其他", vec![], vec![]),
                ],
            ),
            branch(
                "b9",
                vec![
                    when(
                        "矛盾",
                        vec![
                            range("amount", Some((100.0, true)), None),
                            range("amount", None, Some((50.0, true))),
                        ],
                        vec![],
                    ),
                    when(
                        "两个选项",
                        vec![choice("type", &["trip"]), choice("type", &["purchase"])],
                        vec![],
                    ),
                    when(
                        "无人",
                        vec![Condition::Applicant { userids: vec![] }],
                        vec![],
                    ),
                    when("未知选项", vec![choice("type", &["cruise"])], vec![]),
                    when("其他", vec![], vec![]),
                ],
            ),
            node(approver("n1", vec![members(&["ceo"])])),
        ]);
        let found = problems(&f, &dir).await;
        assert_eq!(
            rows(&found),
            vec![
                (
                    "unreachable_branch",
                    E,
                    Some("b1"),
                    Some("之后"),
                    None,
                    None
                ),
                (
                    "unreachable_branch",
                    E,
                    Some("b2"),
                    Some("条件"),
                    None,
                    None
                ),
                (
                    "unreachable_branch",
                    E,
                    Some("b3"),
                    Some("条件"),
                    None,
                    None
                ),
                (
                    "unreachable_branch",
                    E,
                    Some("b4"),
                    Some("条件"),
                    None,
                    None
                ),
                (
                    "unreachable_branch",
                    E,
                    Some("b5"),
                    Some("超过5000"),
                    None,
                    None
                ),
                (
                    "unreachable_branch",
                    E,
                    Some("b6"),
                    Some("50-150"),
                    None,
                    None
                ),
                (
                    "unreachable_branch",
                    E,
                    Some("b7"),
                    Some("出差"),
                    None,
                    None
                ),
                ("unreachable_branch", E, Some("b8"), Some("b"), None, None),
                // [a, c] meets both "ab" and "c".
                ("overlapping_branches", W, Some("b8"), Some("c"), None, None),
                (
                    "unknown_option",
                    E,
                    Some("b9"),
                    Some("未知选项"),
                    Some("type"),
                    None
                ),
                (
                    "unreachable_branch",
                    E,
                    Some("b9"),
                    Some("矛盾"),
                    None,
                    None
                ),
                (
                    "unreachable_branch",
                    E,
                    Some("b9"),
                    Some("两个选项"),
                    None,
                    None
                ),
                (
                    "unreachable_branch",
                    E,
                    Some("b9"),
                    Some("无人"),
                    None,
                    None
                ),
                (
                    "unreachable_branch",
                    E,
                    Some("b9"),
                    Some("未知选项"),
                    None,
                    None
                ),
            ]
        );
        assert_eq!(
            found[0].message,
            "分支「之后」在无条件的分支「全部」之后，永远不会走到"
        );
        assert_eq!(
            found[4].message,
            "分支「超过5000」能匹配的「amount」的值都已被前面的分支占用，永远不会走到"
        );
    }

    #[tokio::test]
    async fn a_branch_node_without_a_default_branch() {
        let dir = company();
        let mut fields = form();
        for f in &mut fields {
            if f.id == "days" {
                f.required = false;
            }
        }
        let f = flow(vec![
            branch(
                "b1",
                vec![when(
                    "大额",
                    vec![range("amount", Some((1000.0, true)), None)],
                    vec![],
                )],
            ),
            branch(
                "b2",
                vec![
                    when(
                        "小额",
                        vec![range("amount", None, Some((1000.0, false)))],
                        vec![],
                    ),
                    when(
                        "大额",
                        vec![range("amount", Some((1000.0, true)), None)],
                        vec![],
                    ),
                ],
            ),
            branch(
                "b3",
                vec![
                    when("短", vec![range("days", None, Some((3.0, true)))], vec![]),
                    when("长", vec![range("days", Some((3.0, false)), None)], vec![]),
                ],
            ),
            branch(
                "b4",
                vec![
                    when("出差", vec![choice("type", &["trip"])], vec![]),
                    when(
                        "其他类型",
                        vec![choice("type", &["purchase", "other"])],
                        vec![],
                    ),
                ],
            ),
            branch(
                "b5",
                vec![
                    when("出差", vec![choice("type", &["trip"])], vec![]),
                    when("采购", vec![choice("type", &["purchase"])], vec![]),
                ],
            ),
            branch("b6", vec![]),
            branch(
                "b7",
                vec![
                    when(
                        "财务",
                        vec![Condition::ApplicantDepartment {
                            department_ids: vec![2],
                        }],
                        vec![],
                    ),
                    when(
                        "技术",
                        vec![Condition::ApplicantDepartment {
                            department_ids: vec![3],
                        }],
                        vec![],
                    ),
                ],
            ),
            node(approver("n1", vec![members(&["ceo"])])),
        ]);
        let found = check(&f, &fields, &dir, Lang::En).await.unwrap();
        assert_eq!(
            rows(&found),
            vec![
                ("no_default_branch", E, Some("b1"), Some("大额"), None, None),
                ("no_default_branch", E, Some("b3"), Some("长"), None, None),
                ("no_default_branch", E, Some("b5"), Some("采购"), None, None),
                ("no_default_branch", E, Some("b6"), None, None, None),
                ("no_default_branch", E, Some("b7"), Some("技术"), None, None),
            ]
        );
        assert_eq!(
            found[1].message,
            "Branch node b3 has no default branch: field \"days\" may be left empty, and an empty value reaches no branch"
        );
        assert_eq!(
            found[0].message,
            "Branch node b1 has no default branch and some forms meet no branch's conditions; add a last branch without conditions"
        );
    }

    #[tokio::test]
    async fn overlapping_branches() {
        let dir = company();
        let two = |id: &str, a: Condition, b: Condition| {
            branch(
                id,
                vec![
                    when("甲", vec![a], vec![]),
                    when("乙", vec![b], vec![]),
                    when("其他", vec![], vec![]),
                ],
            )
        };
        let dept = |ids: &[i64]| Condition::ApplicantDepartment {
            department_ids: ids.to_vec(),
        };
        let reviewer = |u: &str| Condition::Member {
            field: "reviewer".into(),
            userids: vec![u.into()],
        };
        let field_dept = |ids: &[i64]| Condition::Department {
            field: "dept".into(),
            department_ids: ids.to_vec(),
        };
        let f = flow(vec![
            two(
                "b1",
                range("amount", Some((1000.0, true)), None),
                range("amount", None, Some((5000.0, true))),
            ),
            two(
                "b2",
                range("amount", None, Some((1000.0, false))),
                range("amount", Some((1000.0, true)), None),
            ),
            two("b3", dept(&[5]), dept(&[3])),
            two("b4", dept(&[2]), dept(&[3])),
            two("b5", reviewer("alice"), reviewer("bob")),
            two(
                "b6",
                Condition::Applicant {
                    userids: vec!["carol".into()],
                },
                Condition::ApplicantTag { tag_ids: vec![10] },
            ),
            two("b7", field_dept(&[4]), field_dept(&[2, 5])),
            two("b8", field_dept(&[4]), field_dept(&[1])),
            two("b9", choice("type", &["trip"]), choice("type", &["other"])),
            two(
                "b10",
                Condition::Applicant {
                    userids: vec!["carol".into()],
                },
                Condition::Applicant {
                    userids: vec!["dave".into()],
                },
            ),
            node(approver("n1", vec![members(&["ceo"])])),
        ]);
        let found = problems(&f, &dir).await;
        assert_eq!(
            rows(&found),
            vec![
                (
                    "overlapping_branches",
                    W,
                    Some("b1"),
                    Some("乙"),
                    None,
                    None
                ),
                (
                    "overlapping_branches",
                    W,
                    Some("b3"),
                    Some("乙"),
                    None,
                    None
                ),
                (
                    "overlapping_branches",
                    W,
                    Some("b6"),
                    Some("乙"),
                    None,
                    None
                ),
                (
                    "overlapping_branches",
                    W,
                    Some("b8"),
                    Some("乙"),
                    None,
                    None
                ),
            ]
        );
    }

    /// `company()` and 研发中心 (6) under 总部, headed by lead6 (20), whose leader is x (21),
    /// whose leader is lead6 again.
    fn looping() -> TestDir {
        let mut dir = company();
        dir.department(6, Some(1), &[20]);
        dir.member(20, "lead6", 6, Some(21))
            .member(21, "x", 2, Some(20));
        dir
    }

    #[tokio::test]
    async fn leader_loops_and_nodes_that_reach_nobody() {
        let dir = looping();
        let mut heads = approver(
            "h",
            vec![Src::DepartmentHead {
                department_id: None,
            }],
        );
        heads.when_empty = WhenEmpty::Refuse;
        let f = flow(vec![
            node(approver("l1", vec![Src::Leader { level: 1 }])),
            node(approver("l2", vec![Src::Leader { level: 2 }])),
            node(approver("l3", vec![Src::Leader { level: 3 }])),
            node(approver(
                "mixed",
                vec![Src::Leader { level: 3 }, members(&["ceo"])],
            )),
            node(heads),
            node(approver(
                "either",
                vec![
                    Src::DepartmentHead {
                        department_id: None,
                    },
                    Src::Leader { level: 1 },
                ],
            )),
        ]);
        let found = check(&f, &form(), &dir, Lang::En).await.unwrap();
        assert_eq!(
            rows(&found),
            vec![
                // 总部's members have the ceo, and nobody above.
                ("nobody_for_department", W, Some("l2"), None, None, Some(1)),
                ("leader_loop", E, Some("l3"), None, None, Some(6)),
                ("nobody_for_department", W, Some("l3"), None, None, Some(1)),
                ("leader_loop", E, Some("mixed"), None, None, Some(6)),
                // 后端 has no heads of its own.
                ("nobody_for_department", E, Some("h"), None, None, Some(4)),
            ]
        );
        assert_eq!(
            found[1].message,
            "The leaders of department 6 go round in a loop: the level 3 leader (member id 20) already appears at a lower level"
        );
        assert_eq!(
            found[4].message,
            "Node \"审批h\" finds no approver for a member of department 4, and the node refuses submissions then"
        );
        // members; every department; each one's heads; one chain per department with heads.
        assert_eq!(dir.calls(), 1 + 1 + 6 + 5);
    }

    #[tokio::test]
    async fn simulate_gives_the_route_and_the_problems() {
        let dir = company();
        let f = flow(vec![
            branch(
                "b1",
                vec![when(
                    "大额",
                    vec![range("amount", Some((10000.0, true)), None)],
                    vec![node(approver("gm", vec![members(&["ceo"])]))],
                )],
            ),
            cc("c1", vec![members(&["cfo"])]),
        ]);
        let values: FormValues = serde_json::from_value(json!({"amount": "12000.00"})).unwrap();
        let (route, found) = simulate(
            &f,
            &form(),
            &values,
            &dir.applicant("carol"),
            &BTreeMap::new(),
            &dir,
            Lang::Zh,
        )
        .await
        .unwrap();
        let route = route.unwrap();
        assert_eq!(
            route
                .steps
                .iter()
                .map(|s| (s.node_id.as_str(), s.kind, s.members.clone(), s.passes))
                .collect::<Vec<_>>(),
            vec![
                ("gm", StepKind::Approve, vec![1], None::<PassReason>),
                ("c1", StepKind::Cc, vec![2], None)
            ]
        );
        assert_eq!(
            rows(&found),
            vec![("no_default_branch", E, Some("b1"), Some("大额"), None, None)]
        );

        let mut refuse = approver("r", vec![members(&["ghost"])]);
        refuse.when_empty = WhenEmpty::Refuse;
        let (route, found) = simulate(
            &flow(vec![node(refuse)]),
            &form(),
            &FormValues::new(),
            &dir.applicant("carol"),
            &BTreeMap::new(),
            &dir,
            Lang::Zh,
        )
        .await
        .unwrap();
        assert!(matches!(route, Err(ResolveError::Nobody { ref node_id, .. }) if node_id == "r"));
        assert_eq!(
            rows(&found),
            vec![("unknown_member", E, Some("r"), None, None, None)]
        );
    }

    /// 30 nodes and 10 branch nodes over 5,000 departments: the figure is measured by the
    /// benchmark; this shows the order of magnitude.
    #[tokio::test]
    async fn a_large_flow_is_checked_quickly() {
        let mut dir = TestDir::new();
        dir.department(1, None, &[1]);
        dir.member(1, "ceo", 1, None);
        for d in 2..=5_000i64 {
            let parent = if d <= 50 { 1 } else { d % 49 + 2 };
            let heads: &[i64] = if d % 3 == 0 { &[] } else { &[d] };
            dir.department(d, Some(parent), heads);
            dir.member(d, &format!("u{d}"), d, None);
        }
        let mut nodes = Vec::new();
        for i in 0..10i64 {
            nodes.push(node(approver(
                &format!("a{i}"),
                vec![Src::Leader {
                    level: u8::try_from(i % 3 + 1).unwrap(),
                }],
            )));
            nodes.push(branch(
                &format!("b{i}"),
                vec![
                    when(
                        "大额",
                        vec![range("amount", Some(((i * 1000) as f64, true)), None)],
                        vec![node(approver(
                            &format!("in{i}"),
                            vec![members(&[&format!("u{}", i + 2)])],
                        ))],
                    ),
                    when(
                        "其他",
                        vec![],
                        vec![cc(&format!("c{i}"), vec![members(&["ceo"])])],
                    ),
                ],
            ));
        }
        let f = flow(nodes);
        let start = Instant::now();
        let found = problems(&f, &dir).await;
        println!(
            "check: {:?} for 30 nodes, 10 branch nodes, 5,000 departments (in-memory directory)",
            start.elapsed()
        );
        // Leader{2} and {3} reach nobody from 总部 (the ceo has no leader): a warning each.
        let nobody: Vec<&str> = found
            .iter()
            .filter(|p| p.code == "nobody_for_department")
            .filter_map(|p| p.node_id.as_deref())
            .collect();
        assert_eq!(nobody, vec!["a1", "a2", "a4", "a5", "a7", "a8"]);
        assert_eq!(found.len(), 6);
    }
}
