//! Resolution: a flow, the form's values and the applicant give the route — the branches taken, and
//! each approver and CC step with its people. Pure apart from the directory, which is asked once per
//! kind of fact (every named member in one call, the leader chain in one call, each named
//! department's heads, each tag, each administrators' list once).
use std::collections::{BTreeMap, HashMap, HashSet};

use qixie_kernel::error::AppError;
use serde_json::Value;

use crate::form::validate::number_of;

use super::{
    Applicant, ApprovalMode, ApproverSource, BranchTaken, Condition, Directory, Flow, Node,
    PassReason, Route, SelfApproval, Step, StepKind, WhenEmpty,
};
use crate::form::{Field, FieldKind, FormValues};

/// Why a flow gives no route for this applicant and form.
#[derive(Debug)]
pub enum ResolveError {
    /// A reached node resolved to nobody and its rule is `WhenEmpty::Refuse`.
    Nobody {
        node_id: String,
        name: String,
    },
    /// A reached node's approvers are chosen by the applicant and none were given.
    ChoiceMissing {
        node_id: String,
    },
    Directory(AppError),
}

impl From<AppError> for ResolveError {
    fn from(e: AppError) -> Self {
        ResolveError::Directory(e)
    }
}

impl std::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResolveError::Nobody { node_id, name } => {
                write!(f, "node {node_id} ({name}) has nobody to approve")
            }
            ResolveError::ChoiceMissing { node_id } => {
                write!(f, "node {node_id} needs approvers chosen by the applicant")
            }
            ResolveError::Directory(e) => write!(f, "directory: {e}"),
        }
    }
}

/// The route this applicant's form takes through the flow. `chosen` holds, by node id, the members
/// the applicant picked for nodes with `Chosen` sources (approver and CC nodes alike; their number
/// is the caller's to check against `choices`).
pub async fn resolve<D: Directory>(
    flow: &Flow,
    fields: &[Field],
    values: &FormValues,
    applicant: &Applicant,
    chosen: &BTreeMap<String, Vec<i64>>,
    dir: &D,
) -> Result<Route, ResolveError> {
    // The paths of the departments in the values that department conditions look at.
    let mut wanted = Vec::new();
    department_values(&flow.nodes, fields, values, &mut wanted);
    let mut paths = HashMap::new();
    if !wanted.is_empty() {
        let found = dir.department_paths(&wanted).await?;
        for (id, path) in wanted.iter().zip(found) {
            if let Some(path) = path {
                paths.insert(*id, path);
            }
        }
    }

    let mut route = Route::default();
    let mut reached = Vec::new();
    walk(
        &flow.nodes,
        fields,
        values,
        applicant,
        &paths,
        &mut reached,
        &mut route.branches,
    );

    let people = People::fetch(&reached, applicant, dir).await?;
    let self_skip = flow.rules.applicant_is_approver == SelfApproval::Skip;
    let mut super_admins: Option<Vec<i64>> = people.admins.get(&None).cloned();

    for node in reached {
        match node {
            Node::Approver(n) => {
                let mut members = people.union(&n.id, &n.approvers, applicant, chosen)?;
                let mut passes = None;
                if members.is_empty() {
                    match n.when_empty {
                        WhenEmpty::Skip => passes = Some(PassReason::Empty),
                        WhenEmpty::Refuse => {
                            return Err(ResolveError::Nobody {
                                node_id: n.id.clone(),
                                name: n.name.clone(),
                            });
                        }
                        WhenEmpty::Admins => {
                            if super_admins.is_none() {
                                super_admins = Some(dir.admins(None).await?);
                            }
                            members = dedup(super_admins.iter().flatten().copied());
                            if members.is_empty() {
                                passes = Some(PassReason::Empty);
                            }
                        }
                    }
                }
                if self_skip && !members.is_empty() {
                    members.retain(|m| *m != applicant.member);
                    if members.is_empty() {
                        passes = Some(PassReason::Applicant);
                    }
                }
                route.steps.push(Step {
                    node_id: n.id.clone(),
                    name: n.name.clone(),
                    kind: StepKind::Approve,
                    mode: n.mode,
                    members,
                    passes,
                    time_limit: n.time_limit.clone(),
                });
            }
            Node::Cc(n) => {
                let members = people.union(&n.id, &n.recipients, applicant, chosen)?;
                if !members.is_empty() {
                    route.steps.push(Step {
                        node_id: n.id.clone(),
                        name: n.name.clone(),
                        kind: StepKind::Cc,
                        mode: ApprovalMode::default(),
                        members,
                        passes: None,
                        time_limit: None,
                    });
                }
            }
            Node::Branch(_) => {}
        }
    }
    Ok(route)
}

/// Which nodes (in tree order) the applicant chooses approvers for: (node id, name, multiple).
/// Every approver and CC node with a `Chosen` source is listed, in every branch; `multiple` when
/// any of its `Chosen` sources allows several.
pub fn choices(flow: &Flow) -> Vec<(String, String, bool)> {
    fn visit(nodes: &[Node], out: &mut Vec<(String, String, bool)>) {
        for node in nodes {
            let (id, name, sources) = match node {
                Node::Approver(n) => (&n.id, &n.name, &n.approvers),
                Node::Cc(n) => (&n.id, &n.name, &n.recipients),
                Node::Branch(b) => {
                    for branch in &b.branches {
                        visit(&branch.nodes, out);
                    }
                    continue;
                }
            };
            let mut chosen = None;
            for s in sources {
                if let ApproverSource::Chosen { multiple } = s {
                    chosen = Some(chosen.unwrap_or(false) || *multiple);
                }
            }
            if let Some(multiple) = chosen {
                out.push((id.clone(), name.clone(), multiple));
            }
        }
    }
    let mut out = Vec::new();
    visit(&flow.nodes, &mut out);
    out
}

/// Whether a branch's conditions hold (used by resolve; public for tests and the check). A condition
/// on a field the form lacks, or of a kind it does not apply to, does not hold; nor does one on an
/// empty value. `paths` are the materialised paths of the departments in department values.
pub fn holds(
    cond: &Condition,
    fields: &[Field],
    values: &FormValues,
    applicant: &Applicant,
    paths: &HashMap<i64, String>,
) -> bool {
    fn value<'v>(
        fields: &[Field],
        values: &'v FormValues,
        field: &str,
        kinds: &[FieldKind],
    ) -> Option<&'v Value> {
        let f = fields.iter().find(|f| f.id == field)?;
        if !kinds.contains(&f.kind) {
            return None;
        }
        values.get(field)
    }
    let value_of = |field: &str, kinds: &[FieldKind]| value(fields, values, field, kinds);
    match cond {
        Condition::Range {
            field,
            min,
            min_exclusive,
            max,
            max_exclusive,
        } => {
            // A date range compares by its duration.
            let kinds = [FieldKind::Number, FieldKind::Money, FieldKind::DateRange];
            let Some(x) =
                value_of(field, &kinds).and_then(|v| number_of(v.get("duration").unwrap_or(v)))
            else {
                return false;
            };
            let above = match min {
                Some(m) if *min_exclusive => x > *m,
                Some(m) => x >= *m,
                None => true,
            };
            let below = match max {
                Some(m) if *max_exclusive => x < *m,
                Some(m) => x <= *m,
                None => true,
            };
            above && below
        }
        Condition::Choice { field, keys } => {
            value_of(field, &[FieldKind::SingleChoice, FieldKind::MultiChoice])
                .is_some_and(|v| strings(v).any(|k| keys.iter().any(|want| want == k)))
        }
        Condition::Member { field, userids } => value_of(field, &[FieldKind::Member])
            .is_some_and(|v| strings(v).any(|u| userids.iter().any(|want| want == u))),
        Condition::Department {
            field,
            department_ids,
        } => value_of(field, &[FieldKind::Department]).is_some_and(|v| {
            department_ids_of(v).any(|id| {
                department_ids.iter().any(|want| {
                    id == *want
                        || paths
                            .get(&id)
                            .is_some_and(|path| path_contains(path, *want))
                })
            })
        }),
        Condition::ApplicantDepartment { department_ids } => department_ids.iter().any(|want| {
            applicant.department == *want || path_contains(&applicant.department_path, *want)
        }),
        Condition::ApplicantTag { tag_ids } => applicant.tags.iter().any(|t| tag_ids.contains(t)),
        Condition::Applicant { userids } => userids.contains(&applicant.userid),
    }
}

/// Whether a materialised path ("/1/4/9/") passes through department `id`.
pub(crate) fn path_contains(path: &str, id: i64) -> bool {
    path.split('/')
        .any(|part| part.parse::<i64>().ok() == Some(id))
}

/// The strings of a single value (a string) or a multiple one (an array of strings).
fn strings(value: &Value) -> impl Iterator<Item = &str> {
    let (one, many) = match value {
        Value::String(s) => (Some(s.as_str()), None),
        Value::Array(items) => (None, Some(items.iter().filter_map(Value::as_str))),
        _ => (None, None),
    };
    one.into_iter().chain(many.into_iter().flatten())
}

/// The department ids of a department value: an array of ids (a single id is accepted too).
fn department_ids_of(value: &Value) -> impl Iterator<Item = i64> + '_ {
    let id = |v: &Value| match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    let (one, many) = match value {
        Value::Array(items) => (None, Some(items.iter().filter_map(id))),
        other => (id(other), None),
    };
    one.into_iter().chain(many.into_iter().flatten())
}

/// The department ids in the values of the fields that department conditions name.
fn department_values(nodes: &[Node], fields: &[Field], values: &FormValues, out: &mut Vec<i64>) {
    for node in nodes {
        let Node::Branch(b) = node else { continue };
        for branch in &b.branches {
            for cond in &branch.conditions {
                if let Condition::Department { field, .. } = cond
                    && fields
                        .iter()
                        .any(|f| f.id == *field && f.kind == FieldKind::Department)
                    && let Some(v) = values.get(field)
                {
                    for id in department_ids_of(v) {
                        if !out.contains(&id) {
                            out.push(id);
                        }
                    }
                }
            }
            department_values(&branch.nodes, fields, values, out);
        }
    }
}

/// The approver and CC nodes reached, in order, recording the branch taken at each branch node.
fn walk<'a>(
    nodes: &'a [Node],
    fields: &[Field],
    values: &FormValues,
    applicant: &Applicant,
    paths: &HashMap<i64, String>,
    reached: &mut Vec<&'a Node>,
    taken: &mut Vec<BranchTaken>,
) {
    for node in nodes {
        let Node::Branch(b) = node else {
            reached.push(node);
            continue;
        };
        let first = b.branches.iter().find(|branch| {
            branch
                .conditions
                .iter()
                .all(|c| holds(c, fields, values, applicant, paths))
        });
        if let Some(branch) = first {
            taken.push(BranchTaken {
                node_id: b.id.clone(),
                branch: branch.name.clone(),
            });
            walk(
                &branch.nodes,
                fields,
                values,
                applicant,
                paths,
                reached,
                taken,
            );
        }
    }
}

/// Ids in order of first appearance.
fn dedup(ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut seen = HashSet::new();
    ids.into_iter().filter(|id| seen.insert(*id)).collect()
}

/// What the reached nodes' sources need from the directory, fetched once.
struct People {
    members: HashMap<String, i64>,
    leaders: Vec<Vec<i64>>,
    heads: HashMap<i64, Vec<i64>>,
    tags: HashMap<i64, Vec<i64>>,
    admins: HashMap<Option<String>, Vec<i64>>,
}

impl People {
    async fn fetch<D: Directory>(
        reached: &[&Node],
        applicant: &Applicant,
        dir: &D,
    ) -> Result<People, ResolveError> {
        let mut userids: Vec<String> = Vec::new();
        let mut seen_userids = HashSet::new();
        let mut levels = 0u8;
        let mut departments = Vec::new();
        let mut tags = Vec::new();
        let mut perms: Vec<Option<String>> = Vec::new();
        for node in reached {
            let sources = match node {
                Node::Approver(n) => &n.approvers,
                Node::Cc(n) => &n.recipients,
                Node::Branch(_) => continue,
            };
            for s in sources {
                match s {
                    ApproverSource::Members { userids: named } => {
                        for u in named {
                            if seen_userids.insert(u.as_str()) {
                                userids.push(u.clone());
                            }
                        }
                    }
                    ApproverSource::Leader { level } => levels = levels.max(*level),
                    ApproverSource::DepartmentHead { department_id } => {
                        let d = department_id.unwrap_or(applicant.department);
                        if !departments.contains(&d) {
                            departments.push(d);
                        }
                    }
                    ApproverSource::Tag { tag_id } => {
                        if !tags.contains(tag_id) {
                            tags.push(*tag_id);
                        }
                    }
                    ApproverSource::Admins { permission } => {
                        if !perms.contains(permission) {
                            perms.push(permission.clone());
                        }
                    }
                    ApproverSource::Chosen { .. } | ApproverSource::Applicant => {}
                }
            }
        }
        let mut people = People {
            members: HashMap::new(),
            leaders: Vec::new(),
            heads: HashMap::new(),
            tags: HashMap::new(),
            admins: HashMap::new(),
        };
        if !userids.is_empty() {
            let ids = dir.members(&userids).await?;
            for (u, id) in userids.into_iter().zip(ids) {
                if let Some(id) = id {
                    people.members.insert(u, id);
                }
            }
        }
        if levels > 0 {
            people.leaders = dir
                .leaders(applicant.member, applicant.department, levels)
                .await?;
        }
        for d in departments {
            let heads = dir.department_heads(d).await?;
            people.heads.insert(d, heads);
        }
        for t in tags {
            let members = dir.tag_members(t).await?;
            people.tags.insert(t, members);
        }
        for p in perms {
            let admins = dir.admins(p.as_deref()).await?;
            people.admins.insert(p, admins);
        }
        Ok(people)
    }

    /// The union of a node's sources, in order, duplicates removed.
    fn union(
        &self,
        node_id: &str,
        sources: &[ApproverSource],
        applicant: &Applicant,
        chosen: &BTreeMap<String, Vec<i64>>,
    ) -> Result<Vec<i64>, ResolveError> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut add = |ids: &[i64]| {
            for id in ids {
                if seen.insert(*id) {
                    out.push(*id);
                }
            }
        };
        for s in sources {
            match s {
                ApproverSource::Members { userids } => {
                    for u in userids {
                        if let Some(id) = self.members.get(u) {
                            add(&[*id]);
                        }
                    }
                }
                ApproverSource::Leader { level } => {
                    if let Some(level) = usize::from(*level).checked_sub(1)
                        && let Some(ids) = self.leaders.get(level)
                    {
                        add(ids);
                    }
                }
                ApproverSource::DepartmentHead { department_id } => {
                    let d = department_id.unwrap_or(applicant.department);
                    if let Some(ids) = self.heads.get(&d) {
                        add(ids);
                    }
                }
                ApproverSource::Tag { tag_id } => {
                    if let Some(ids) = self.tags.get(tag_id) {
                        add(ids);
                    }
                }
                ApproverSource::Admins { permission } => {
                    if let Some(ids) = self.admins.get(permission) {
                        add(ids);
                    }
                }
                ApproverSource::Chosen { .. } => match chosen.get(node_id) {
                    Some(ids) if !ids.is_empty() => add(ids),
                    _ => {
                        return Err(ResolveError::ChoiceMissing {
                            node_id: node_id.to_owned(),
                        });
                    }
                },
                ApproverSource::Applicant => add(&[applicant.member]),
            }
        }
        Ok(out)
    }
}

/// A fixed, in-memory organization for the flow's tests.
#[cfg(test)]
pub(crate) mod testdir {
    use std::collections::HashMap;
    use std::future::{Future, ready};
    use std::sync::atomic::{AtomicUsize, Ordering};

    use qixie_kernel::error::AppResult;

    use crate::flow::{
        Applicant, ApprovalMode, ApproverNode, ApproverSource, Branch, BranchNode, CcNode,
        Condition, Directory, Node, WhenEmpty,
    };
    use crate::form::{ChoiceOption, Field, FieldKind};

    /// A required field titled by its id.
    pub(crate) fn field(id: &str, kind: FieldKind) -> Field {
        Field {
            id: id.into(),
            kind,
            title: id.into(),
            required: true,
            placeholder: String::new(),
            hint: String::new(),
            default: None,
            options: Vec::new(),
            multiple: false,
            min: None,
            max: None,
            currency: None,
            unit: None,
            columns: Vec::new(),
            text: String::new(),
            template_ids: Vec::new(),
        }
    }

    pub(crate) fn with_options(mut f: Field, keys: &[&str]) -> Field {
        f.options = keys
            .iter()
            .map(|k| ChoiceOption {
                key: (*k).into(),
                text: k.to_uppercase(),
            })
            .collect();
        f
    }

    /// amount (money, ≥ 0), days (number), type (single choice), items (multiple choice),
    /// reviewer (member), dept (department), note (text).
    pub(crate) fn form() -> Vec<Field> {
        let mut amount = field("amount", FieldKind::Money);
        amount.min = Some(0.0);
        vec![
            amount,
            field("days", FieldKind::Number),
            with_options(
                field("type", FieldKind::SingleChoice),
                &["trip", "purchase", "other"],
            ),
            with_options(field("items", FieldKind::MultiChoice), &["a", "b", "c"]),
            field("reviewer", FieldKind::Member),
            field("dept", FieldKind::Department),
            field("note", FieldKind::Text),
        ]
    }

    pub(crate) fn approver(id: &str, sources: Vec<ApproverSource>) -> ApproverNode {
        ApproverNode {
            id: id.into(),
            name: format!("审批{id}"),
            approvers: sources,
            mode: ApprovalMode::Any,
            when_empty: WhenEmpty::Skip,
            time_limit: None,
        }
    }

    pub(crate) fn node(a: ApproverNode) -> Node {
        Node::Approver(a)
    }

    pub(crate) fn cc(id: &str, sources: Vec<ApproverSource>) -> Node {
        Node::Cc(CcNode {
            id: id.into(),
            name: format!("抄送{id}"),
            recipients: sources,
        })
    }

    pub(crate) fn branch(id: &str, branches: Vec<Branch>) -> Node {
        Node::Branch(BranchNode {
            id: id.into(),
            branches,
        })
    }

    pub(crate) fn when(name: &str, conditions: Vec<Condition>, nodes: Vec<Node>) -> Branch {
        Branch {
            name: name.into(),
            conditions,
            nodes,
        }
    }

    /// `field` within the bounds: `(x, true)` is exclusive.
    pub(crate) fn range(
        field: &str,
        min: Option<(f64, bool)>,
        max: Option<(f64, bool)>,
    ) -> Condition {
        Condition::Range {
            field: field.into(),
            min: min.map(|m| m.0),
            min_exclusive: min.is_some_and(|m| m.1),
            max: max.map(|m| m.0),
            max_exclusive: max.is_some_and(|m| m.1),
        }
    }

    pub(crate) fn members(userids: &[&str]) -> ApproverSource {
        ApproverSource::Members {
            userids: userids.iter().map(|u| (*u).to_owned()).collect(),
        }
    }

    /// A small company:
    ///
    /// ```text
    /// 1 总部 (heads: ceo 1)
    /// ├── 2 财务 (heads: cfo 2)      dave 8
    /// └── 3 技术 (heads: cto 3)
    ///     ├── 4 后端 (no heads)      alice 4
    ///     └── 5 前端 (heads: fe 5)   bob 6 (leader: alice), carol 7
    /// ```
    /// Tags: 10 = [cfo, dave], 11 = []. Super administrators: [ceo]; `approvals.manage`: [cfo].
    pub(crate) fn company() -> TestDir {
        let mut d = TestDir::new();
        d.department(1, None, &[1])
            .department(2, Some(1), &[2])
            .department(3, Some(1), &[3])
            .department(4, Some(3), &[])
            .department(5, Some(3), &[5]);
        d.member(1, "ceo", 1, None)
            .member(2, "cfo", 2, None)
            .member(3, "cto", 3, None)
            .member(4, "alice", 4, None)
            .member(5, "fe", 5, None)
            .member(6, "bob", 5, Some(4))
            .member(7, "carol", 5, None)
            .member(8, "dave", 2, None);
        d.tag(10, &[2, 8]).tag(11, &[]);
        d.admins = vec![1];
        d.permission_admins
            .insert("approvals.manage".into(), vec![2]);
        d
    }

    pub(crate) struct Member {
        pub id: i64,
        pub department: i64,
        pub leader: Option<i64>,
        pub tags: Vec<i64>,
    }

    pub(crate) struct Department {
        pub path: String,
        pub heads: Vec<i64>,
    }

    /// Departments, members, tags and administrators, with a count of every call (to see that
    /// resolution asks in bulk).
    #[derive(Default)]
    pub(crate) struct TestDir {
        pub members: Vec<Member>,
        pub departments: Vec<(i64, Department)>,
        pub tags: HashMap<i64, Vec<i64>>,
        pub admins: Vec<i64>,
        pub permission_admins: HashMap<String, Vec<i64>>,
        pub calls: AtomicUsize,
        by_id: HashMap<i64, usize>,
        by_userid: HashMap<String, usize>,
        dept_index: HashMap<i64, usize>,
    }

    impl TestDir {
        pub fn new() -> TestDir {
            TestDir::default()
        }

        /// A department under `parent` (none: a root).
        pub fn department(&mut self, id: i64, parent: Option<i64>, heads: &[i64]) -> &mut Self {
            let path = match parent.and_then(|p| self.path(p)) {
                Some(p) => format!("{p}{id}/"),
                None => format!("/{id}/"),
            };
            self.dept_index.insert(id, self.departments.len());
            self.departments.push((
                id,
                Department {
                    path,
                    heads: heads.to_vec(),
                },
            ));
            self
        }

        pub fn member(
            &mut self,
            id: i64,
            userid: &str,
            department: i64,
            leader: Option<i64>,
        ) -> &mut Self {
            self.by_id.insert(id, self.members.len());
            self.by_userid.insert(userid.to_owned(), self.members.len());
            self.members.push(Member {
                id,
                department,
                leader,
                tags: Vec::new(),
            });
            self
        }

        pub fn tag(&mut self, tag: i64, members: &[i64]) -> &mut Self {
            self.tags.insert(tag, members.to_vec());
            for m in members {
                if let Some(i) = self.by_id.get(m) {
                    self.members[*i].tags.push(tag);
                }
            }
            self
        }

        pub fn path(&self, id: i64) -> Option<String> {
            self.dept_index
                .get(&id)
                .map(|i| self.departments[*i].1.path.clone())
        }

        pub fn heads(&self, id: i64) -> Vec<i64> {
            self.dept_index
                .get(&id)
                .map(|i| self.departments[*i].1.heads.clone())
                .unwrap_or_default()
        }

        /// The applicant `userid`, filing under their department.
        pub fn applicant(&self, userid: &str) -> Applicant {
            let m = self.by_userid.get(userid).map(|i| &self.members[*i]);
            let (member, department, tags) = m
                .map(|m| (m.id, m.department, m.tags.clone()))
                .unwrap_or((0, 0, Vec::new()));
            Applicant {
                member,
                userid: userid.to_owned(),
                department,
                department_path: self.path(department).unwrap_or_default(),
                tags,
            }
        }

        pub fn calls(&self) -> usize {
            self.calls.load(Ordering::Relaxed)
        }

        fn count(&self) {
            self.calls.fetch_add(1, Ordering::Relaxed);
        }

        /// One level: the member's own leader, else the heads of the department or the nearest
        /// ancestor with heads other than the member.
        fn level(&self, member: i64, department: i64) -> Vec<i64> {
            if let Some(m) = self.by_id.get(&member).map(|i| &self.members[*i])
                && let Some(l) = m.leader
                && l != member
            {
                return vec![l];
            }
            let Some(path) = self.path(department) else {
                return Vec::new();
            };
            let ids: Vec<i64> = path.split('/').filter_map(|p| p.parse().ok()).collect();
            for d in ids.iter().rev() {
                let heads: Vec<i64> = self
                    .heads(*d)
                    .into_iter()
                    .filter(|h| *h != member)
                    .collect();
                if !heads.is_empty() {
                    return heads;
                }
            }
            Vec::new()
        }
    }

    impl Directory for TestDir {
        /// Levels from the direct leader; each further level starts from the first leader found,
        /// in their own department.
        fn leaders(
            &self,
            member: i64,
            department: i64,
            levels: u8,
        ) -> impl Future<Output = AppResult<Vec<Vec<i64>>>> + Send {
            self.count();
            let mut out = Vec::new();
            let (mut m, mut d) = (member, department);
            for _ in 0..levels {
                let level = self.level(m, d);
                let Some(first) = level.first().copied() else {
                    break;
                };
                out.push(level);
                m = first;
                d = self
                    .by_id
                    .get(&first)
                    .map(|i| self.members[*i].department)
                    .unwrap_or(0);
            }
            ready(Ok(out))
        }
        fn department_heads(
            &self,
            department: i64,
        ) -> impl Future<Output = AppResult<Vec<i64>>> + Send {
            self.count();
            ready(Ok(self.heads(department)))
        }
        fn tag_members(&self, tag: i64) -> impl Future<Output = AppResult<Vec<i64>>> + Send {
            self.count();
            ready(Ok(self.tags.get(&tag).cloned().unwrap_or_default()))
        }
        fn admins(
            &self,
            permission: Option<&str>,
        ) -> impl Future<Output = AppResult<Vec<i64>>> + Send {
            self.count();
            let out = match permission {
                None => self.admins.clone(),
                Some(p) => self.permission_admins.get(p).cloned().unwrap_or_default(),
            };
            ready(Ok(out))
        }
        fn members(
            &self,
            userids: &[String],
        ) -> impl Future<Output = AppResult<Vec<Option<i64>>>> + Send {
            self.count();
            let out = userids
                .iter()
                .map(|u| self.by_userid.get(u).map(|i| self.members[*i].id))
                .collect();
            ready(Ok(out))
        }
        fn department_paths(
            &self,
            ids: &[i64],
        ) -> impl Future<Output = AppResult<Vec<Option<String>>>> + Send {
            self.count();
            ready(Ok(ids.iter().map(|id| self.path(*id)).collect()))
        }
        fn all_departments(&self) -> impl Future<Output = AppResult<Vec<(i64, String)>>> + Send {
            self.count();
            let out = self
                .departments
                .iter()
                .map(|(id, d)| (*id, d.path.clone()))
                .collect();
            ready(Ok(out))
        }
        fn tag_exists(&self, tag: i64) -> impl Future<Output = AppResult<bool>> + Send {
            self.count();
            ready(Ok(self.tags.contains_key(&tag)))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};
    use std::time::Instant;

    use serde_json::json;

    use super::testdir::*;
    use super::*;
    use crate::flow::{FlowRules, TimeLimit};

    fn values(v: Value) -> FormValues {
        serde_json::from_value(v).unwrap()
    }

    fn flow(nodes: Vec<Node>) -> Flow {
        Flow {
            nodes,
            rules: FlowRules::default(),
        }
    }

    fn approving_self(nodes: Vec<Node>) -> Flow {
        let mut f = flow(nodes);
        f.rules.applicant_is_approver = SelfApproval::Approve;
        f
    }

    async fn route(flow: &Flow, dir: &TestDir, who: &str, v: Value) -> Route {
        resolve(
            flow,
            &form(),
            &values(v),
            &dir.applicant(who),
            &BTreeMap::new(),
            dir,
        )
        .await
        .unwrap()
    }

    /// (node id, members, passes) of each step.
    fn people(route: &Route) -> Vec<(&str, Vec<i64>, Option<PassReason>)> {
        route
            .steps
            .iter()
            .map(|s| (s.node_id.as_str(), s.members.clone(), s.passes))
            .collect()
    }

    fn taken(route: &Route) -> Vec<(&str, &str)> {
        route
            .branches
            .iter()
            .map(|b| (b.node_id.as_str(), b.branch.as_str()))
            .collect()
    }

    #[tokio::test]
    async fn every_source_kind_in_order_without_duplicates_and_asked_in_bulk() {
        let dir = company();
        let mut n1 = approver(
            "n1",
            vec![
                members(&["cfo", "nobody", "ceo"]),
                ApproverSource::Leader { level: 1 },
                ApproverSource::DepartmentHead {
                    department_id: None,
                },
                ApproverSource::DepartmentHead {
                    department_id: Some(2),
                },
                ApproverSource::Tag { tag_id: 10 },
                ApproverSource::Admins { permission: None },
                ApproverSource::Admins {
                    permission: Some("approvals.manage".into()),
                },
                ApproverSource::Chosen { multiple: true },
                ApproverSource::Applicant,
            ],
        );
        n1.mode = ApprovalMode::All;
        n1.time_limit = Some(TimeLimit {
            hours: 24,
            remind_at: vec![50],
            action: crate::flow::LimitAction::Escalate,
        });
        let f = approving_self(vec![node(n1.clone())]);
        let chosen = BTreeMap::from([("n1".to_owned(), vec![6, 3, 6])]);
        let r = resolve(
            &f,
            &form(),
            &FormValues::new(),
            &dir.applicant("carol"),
            &chosen,
            &dir,
        )
        .await
        .unwrap();
        assert_eq!(
            r,
            Route {
                steps: vec![Step {
                    node_id: "n1".into(),
                    name: "审批n1".into(),
                    kind: StepKind::Approve,
                    mode: ApprovalMode::All,
                    // cfo, ceo; fe (leader and head of 5); dave (tag 10); bob and cto (chosen);
                    // carol herself.
                    members: vec![2, 1, 5, 8, 6, 3, 7],
                    passes: None,
                    time_limit: n1.time_limit.clone(),
                }],
                branches: vec![],
            }
        );
        // members, leaders, two department heads, one tag, two administrators' lists.
        assert_eq!(dir.calls(), 7);
    }

    #[tokio::test]
    async fn leaders_by_level_from_the_member_then_up_the_departments_skipping_self() {
        let dir = company();
        let f = flow(vec![
            node(approver("l1", vec![ApproverSource::Leader { level: 1 }])),
            node(approver("l2", vec![ApproverSource::Leader { level: 2 }])),
            node(approver("l3", vec![ApproverSource::Leader { level: 3 }])),
        ]);
        // bob's own leader is alice; alice's department has no heads, so 技术's cto; then the ceo.
        let r = route(&f, &dir, "bob", json!({})).await;
        assert_eq!(
            people(&r),
            vec![
                ("l1", vec![4], None),
                ("l2", vec![3], None),
                ("l3", vec![1], None)
            ]
        );
        assert_eq!(dir.calls(), 1, "one call for every level");
        // alice: 后端 has no heads, so 技术's, then the ceo, then nobody: the step passes.
        let r = route(&f, &dir, "alice", json!({})).await;
        assert_eq!(
            people(&r),
            vec![
                ("l1", vec![3], None),
                ("l2", vec![1], None),
                ("l3", vec![], Some(PassReason::Empty))
            ]
        );
        // fe heads 前端 but is not their own leader: 技术's cto, then the ceo.
        let r = route(&f, &dir, "fe", json!({})).await;
        assert_eq!(
            people(&r),
            vec![
                ("l1", vec![3], None),
                ("l2", vec![1], None),
                ("l3", vec![], Some(PassReason::Empty))
            ]
        );
        // A level of 0 reaches nobody.
        let zero = flow(vec![node(approver(
            "l0",
            vec![ApproverSource::Leader { level: 0 }],
        ))]);
        let r = route(&zero, &dir, "bob", json!({})).await;
        assert_eq!(people(&r), vec![("l0", vec![], Some(PassReason::Empty))]);
    }

    #[tokio::test]
    async fn an_empty_node_passes_goes_to_the_administrators_or_refuses() {
        let mut dir = company();
        let mut skip = approver("skip", vec![members(&["nobody"])]);
        skip.when_empty = WhenEmpty::Skip;
        let mut admins = approver("admins", vec![members(&["nobody"])]);
        admins.when_empty = WhenEmpty::Admins;
        let f = flow(vec![node(skip), node(admins.clone())]);
        let r = route(&f, &dir, "carol", json!({})).await;
        assert_eq!(
            people(&r),
            vec![
                ("skip", vec![], Some(PassReason::Empty)),
                ("admins", vec![1], None)
            ]
        );

        // Administrators asked for, but there are none: the step passes.
        dir.admins.clear();
        let r = route(&flow(vec![node(admins)]), &dir, "carol", json!({})).await;
        assert_eq!(
            people(&r),
            vec![("admins", vec![], Some(PassReason::Empty))]
        );

        let mut refuse = approver("refuse", vec![members(&["nobody"])]);
        refuse.when_empty = WhenEmpty::Refuse;
        let f = flow(vec![
            node(approver("n0", vec![members(&["cfo"])])),
            node(refuse),
        ]);
        let err = resolve(
            &f,
            &form(),
            &FormValues::new(),
            &dir.applicant("carol"),
            &BTreeMap::new(),
            &dir,
        )
        .await
        .unwrap_err();
        match err {
            ResolveError::Nobody { node_id, name } => {
                assert_eq!((node_id.as_str(), name.as_str()), ("refuse", "审批refuse"));
            }
            other => panic!("expected Nobody, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_applicant_as_approver_is_skipped_or_approves() {
        let dir = company();
        let nodes = vec![
            node(approver(
                "head",
                vec![ApproverSource::DepartmentHead {
                    department_id: None,
                }],
            )),
            node(approver("two", vec![members(&["fe", "cto"])])),
            cc("c1", vec![ApproverSource::Applicant]),
        ];
        // fe heads 前端: left out, their own approval counts.
        let r = route(&flow(nodes.clone()), &dir, "fe", json!({})).await;
        assert_eq!(
            people(&r),
            vec![
                ("head", vec![], Some(PassReason::Applicant)),
                ("two", vec![3], None),
                ("c1", vec![5], None)
            ]
        );
        let r = route(&approving_self(nodes), &dir, "fe", json!({})).await;
        assert_eq!(
            people(&r),
            vec![
                ("head", vec![5], None),
                ("two", vec![5, 3], None),
                ("c1", vec![5], None)
            ]
        );
        // Only the applicant among the administrators an empty node goes to.
        let mut admins = approver("admins", vec![]);
        admins.when_empty = WhenEmpty::Admins;
        let r = route(&flow(vec![node(admins)]), &dir, "ceo", json!({})).await;
        assert_eq!(
            people(&r),
            vec![("admins", vec![], Some(PassReason::Applicant))]
        );
    }

    #[tokio::test]
    async fn an_empty_cc_step_is_dropped() {
        let dir = company();
        let f = flow(vec![
            cc(
                "c0",
                vec![members(&["nobody"]), ApproverSource::Tag { tag_id: 11 }],
            ),
            cc("c1", vec![ApproverSource::Tag { tag_id: 10 }]),
        ]);
        let r = route(&f, &dir, "carol", json!({})).await;
        assert_eq!(r.steps.len(), 1);
        assert_eq!(r.steps[0].kind, StepKind::Cc);
        assert_eq!(people(&r), vec![("c1", vec![2, 8], None)]);
    }

    fn amount_flow() -> Flow {
        flow(vec![
            branch(
                "b1",
                vec![
                    when(
                        "大额",
                        vec![range("amount", Some((10000.0, true)), None)],
                        vec![
                            node(approver("gm", vec![members(&["ceo"])])),
                            branch(
                                "b2",
                                vec![
                                    when(
                                        "技术",
                                        vec![Condition::ApplicantDepartment {
                                            department_ids: vec![3],
                                        }],
                                        vec![cc("c_tech", vec![members(&["cto"])])],
                                    ),
                                    when("其他部门", vec![], vec![]),
                                ],
                            ),
                        ],
                    ),
                    when(
                        "中额",
                        vec![range("amount", Some((1000.0, true)), None)],
                        vec![node(approver("fin", vec![members(&["cfo"])]))],
                    ),
                    when("其他", vec![], vec![]),
                ],
            ),
            cc("c_end", vec![members(&["dave"])]),
        ])
    }

    #[tokio::test]
    async fn branches_in_order_then_what_follows() {
        let dir = company();
        let f = amount_flow();
        let r = route(&f, &dir, "carol", json!({"amount": "20000.00"})).await;
        assert_eq!(taken(&r), vec![("b1", "大额"), ("b2", "技术")]);
        assert_eq!(
            people(&r),
            vec![
                ("gm", vec![1], None),
                ("c_tech", vec![3], None),
                ("c_end", vec![8], None)
            ]
        );
        let r = route(&f, &dir, "dave", json!({"amount": "20000.00"})).await;
        assert_eq!(taken(&r), vec![("b1", "大额"), ("b2", "其他部门")]);
        // 10,000.00 is not over 10,000: the next branch.
        let r = route(&f, &dir, "carol", json!({"amount": "10000.00"})).await;
        assert_eq!(taken(&r), vec![("b1", "中额")]);
        assert_eq!(
            people(&r),
            vec![("fin", vec![2], None), ("c_end", vec![8], None)]
        );
        let r = route(&f, &dir, "carol", json!({"amount": "10000.01"})).await;
        assert_eq!(taken(&r), vec![("b1", "大额"), ("b2", "技术")]);
        // Money given as a number is read the same.
        let r = route(&f, &dir, "carol", json!({"amount": 5000})).await;
        assert_eq!(taken(&r), vec![("b1", "中额")]);
        let r = route(&f, &dir, "carol", json!({"amount": "100.00"})).await;
        assert_eq!(taken(&r), vec![("b1", "其他")]);
        assert_eq!(people(&r), vec![("c_end", vec![8], None)]);

        // No branch holds and there is no default: nothing from the branch node.
        let mut no_default = amount_flow();
        if let Node::Branch(b) = &mut no_default.nodes[0] {
            b.branches.pop();
        }
        let r = route(&no_default, &dir, "carol", json!({})).await;
        assert_eq!(taken(&r), vec![]);
        assert_eq!(people(&r), vec![("c_end", vec![8], None)]);
    }

    fn check(cond: Condition, v: Value, who: &str) -> bool {
        let dir = company();
        let paths: HashMap<i64, String> = dir
            .departments
            .iter()
            .map(|(id, d)| (*id, d.path.clone()))
            .collect();
        holds(&cond, &form(), &values(v), &dir.applicant(who), &paths)
    }

    #[test]
    fn ranges_with_inclusive_and_exclusive_bounds() {
        let at_least_3 = || range("days", Some((3.0, false)), None);
        let over_3 = || range("days", Some((3.0, true)), None);
        let at_most_5 = || range("days", None, Some((5.0, false)));
        let under_5 = || range("days", None, Some((5.0, true)));
        let cases = [
            (at_least_3(), 3.0, true),
            (at_least_3(), 2.5, false),
            (over_3(), 3.0, false),
            (over_3(), 3.5, true),
            (at_most_5(), 5.0, true),
            (at_most_5(), 5.5, false),
            (under_5(), 5.0, false),
            (under_5(), 4.99, true),
            (
                range("days", Some((3.0, true)), Some((5.0, true))),
                4.0,
                true,
            ),
            (
                range("days", Some((3.0, true)), Some((5.0, true))),
                5.0,
                false,
            ),
            (range("days", None, None), -1e9, true),
        ];
        for (cond, x, want) in cases {
            assert_eq!(
                check(cond.clone(), json!({"days": x}), "carol"),
                want,
                "{cond:?} at {x}"
            );
        }
        // An empty value, a value that is no number and a field of another kind do not match.
        assert!(!check(at_least_3(), json!({}), "carol"));
        assert!(!check(at_least_3(), json!({"days": "many"}), "carol"));
        assert!(!check(
            range("note", None, None),
            json!({"note": "5"}),
            "carol"
        ));
        assert!(!check(
            range("missing", None, None),
            json!({"missing": 5}),
            "carol"
        ));
    }

    #[test]
    fn money_as_decimal_strings() {
        let over = |x: f64| range("amount", Some((x, true)), None);
        let upto = |x: f64| range("amount", None, Some((x, false)));
        assert!(check(over(10000.0), json!({"amount": "10000.01"}), "carol"));
        assert!(!check(
            over(10000.0),
            json!({"amount": "10000.00"}),
            "carol"
        ));
        assert!(check(upto(0.1), json!({"amount": "0.10"}), "carol"));
        assert!(!check(upto(0.1), json!({"amount": "0.11"}), "carol"));
        assert!(check(over(10000.0), json!({"amount": 10000.5}), "carol"));
        assert!(!check(over(0.0), json!({"amount": "1,000.00"}), "carol"));
        assert!(!check(over(0.0), json!({"amount": "NaN"}), "carol"));
    }

    #[test]
    fn choices_members_departments_and_the_applicant() {
        let choice = |keys: &[&str], field: &str| Condition::Choice {
            field: field.into(),
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
        };
        assert!(check(
            choice(&["trip", "other"], "type"),
            json!({"type": "trip"}),
            "carol"
        ));
        assert!(!check(
            choice(&["purchase"], "type"),
            json!({"type": "trip"}),
            "carol"
        ));
        assert!(check(
            choice(&["c"], "items"),
            json!({"items": ["a", "c"]}),
            "carol"
        ));
        assert!(!check(
            choice(&["b"], "items"),
            json!({"items": ["a", "c"]}),
            "carol"
        ));
        assert!(!check(choice(&["trip"], "type"), json!({}), "carol"));
        // A choice condition on a text field does not hold.
        assert!(!check(
            choice(&["x"], "note"),
            json!({"note": "x"}),
            "carol"
        ));

        let member = |u: &[&str]| Condition::Member {
            field: "reviewer".into(),
            userids: u.iter().map(|x| (*x).to_owned()).collect(),
        };
        assert!(check(
            member(&["bob"]),
            json!({"reviewer": ["alice", "bob"]}),
            "carol"
        ));
        assert!(!check(
            member(&["cfo"]),
            json!({"reviewer": ["alice", "bob"]}),
            "carol"
        ));

        let dept = |ids: &[i64]| Condition::Department {
            field: "dept".into(),
            department_ids: ids.to_vec(),
        };
        // 后端 (4) is under 技术 (3) and 总部 (1), not under 财务 (2).
        assert!(check(dept(&[3]), json!({"dept": [4]}), "carol"));
        assert!(check(dept(&[1]), json!({"dept": [4]}), "carol"));
        assert!(check(dept(&[4]), json!({"dept": [4]}), "carol"));
        assert!(!check(dept(&[2]), json!({"dept": [4]}), "carol"));
        assert!(check(dept(&[2]), json!({"dept": [4, 2]}), "carol"));
        // 3 is not under 5.
        assert!(!check(dept(&[5]), json!({"dept": [3]}), "carol"));

        let applicant_dept = |ids: &[i64]| Condition::ApplicantDepartment {
            department_ids: ids.to_vec(),
        };
        assert!(check(applicant_dept(&[3]), json!({}), "carol"));
        assert!(check(applicant_dept(&[5]), json!({}), "carol"));
        assert!(!check(applicant_dept(&[2]), json!({}), "carol"));
        assert!(!check(applicant_dept(&[4]), json!({}), "carol"));

        let tag = |ids: &[i64]| Condition::ApplicantTag {
            tag_ids: ids.to_vec(),
        };
        assert!(check(tag(&[11, 10]), json!({}), "dave"));
        assert!(!check(tag(&[11]), json!({}), "dave"));
        assert!(!check(tag(&[10]), json!({}), "carol"));

        let who = |u: &[&str]| Condition::Applicant {
            userids: u.iter().map(|x| (*x).to_owned()).collect(),
        };
        assert!(check(who(&["dave", "carol"]), json!({}), "carol"));
        assert!(!check(who(&["dave"]), json!({}), "carol"));
    }

    #[tokio::test]
    async fn department_values_are_looked_up_once() {
        let dir = company();
        let f = flow(vec![
            branch(
                "b1",
                vec![
                    when(
                        "财务",
                        vec![Condition::Department {
                            field: "dept".into(),
                            department_ids: vec![2],
                        }],
                        vec![node(approver("n1", vec![members(&["cfo"])]))],
                    ),
                    when(
                        "技术",
                        vec![Condition::Department {
                            field: "dept".into(),
                            department_ids: vec![3],
                        }],
                        vec![node(approver("n2", vec![members(&["cto"])]))],
                    ),
                ],
            ),
            branch(
                "b2",
                vec![when(
                    "技术",
                    vec![Condition::Department {
                        field: "dept".into(),
                        department_ids: vec![3],
                    }],
                    vec![cc("c1", vec![members(&["cto"])])],
                )],
            ),
        ]);
        let r = route(&f, &dir, "carol", json!({"dept": [4, 5]})).await;
        assert_eq!(taken(&r), vec![("b1", "技术"), ("b2", "技术")]);
        assert_eq!(
            people(&r),
            vec![("n2", vec![3], None), ("c1", vec![3], None)]
        );
        // One for the paths, one for the members.
        assert_eq!(dir.calls(), 2);
    }

    #[tokio::test]
    async fn approvers_chosen_by_the_applicant() {
        let dir = company();
        let mut pick = approver("pick", vec![ApproverSource::Chosen { multiple: false }]);
        pick.name = "自选审批人".into();
        let f = flow(vec![
            node(pick),
            branch(
                "b1",
                vec![
                    when(
                        "大额",
                        vec![range("amount", Some((10000.0, true)), None)],
                        vec![node(approver(
                            "more",
                            vec![
                                ApproverSource::Chosen { multiple: false },
                                ApproverSource::Chosen { multiple: true },
                            ],
                        ))],
                    ),
                    when("其他", vec![], vec![]),
                ],
            ),
            cc("tell", vec![ApproverSource::Chosen { multiple: true }]),
        ]);
        assert_eq!(
            choices(&f),
            vec![
                ("pick".into(), "自选审批人".into(), false),
                ("more".into(), "审批more".into(), true),
                ("tell".into(), "抄送tell".into(), true)
            ]
        );
        let run = |chosen: BTreeMap<String, Vec<i64>>, amount: &str| {
            let f = f.clone();
            let applicant = dir.applicant("carol");
            let v = values(json!({ "amount": amount }));
            let dir = &dir;
            async move { resolve(&f, &form(), &v, &applicant, &chosen, dir).await }
        };
        let missing = run(BTreeMap::new(), "10").await.unwrap_err();
        assert!(
            matches!(missing, ResolveError::ChoiceMissing { ref node_id } if node_id == "pick")
        );
        let empty = run(
            BTreeMap::from([("pick".into(), vec![]), ("tell".into(), vec![8])]),
            "10",
        )
        .await
        .unwrap_err();
        assert!(matches!(empty, ResolveError::ChoiceMissing { ref node_id } if node_id == "pick"));
        // The node in the branch not taken needs no choice.
        let r = run(
            BTreeMap::from([("pick".into(), vec![3, 3]), ("tell".into(), vec![8, 2])]),
            "10",
        )
        .await
        .unwrap();
        assert_eq!(
            people(&r),
            vec![("pick", vec![3], None), ("tell", vec![8, 2], None)]
        );
        let missing = run(
            BTreeMap::from([("pick".into(), vec![3]), ("tell".into(), vec![8])]),
            "20000",
        )
        .await
        .unwrap_err();
        assert!(
            matches!(missing, ResolveError::ChoiceMissing { ref node_id } if node_id == "more")
        );
    }

    /// A flow of 30 approver and CC nodes and 10 branch nodes over 10,000 members in 111
    /// departments. The figure is measured by the benchmark; this shows the order of magnitude.
    #[tokio::test]
    async fn a_large_flow_resolves_quickly() {
        let mut dir = TestDir::new();
        dir.department(1, None, &[1]);
        for d in 2..=11 {
            dir.department(d, Some(1), &[d * 100]);
            for sub in 0..10 {
                dir.department(d * 10 + sub, Some(d), &[]);
            }
        }
        for m in 1..=10_000i64 {
            let department = match m {
                1 => 1,
                m if m % 100 == 0 && m <= 1100 => m / 100,
                m => (m % 10 + 2) * 10 + (m / 10) % 10,
            };
            dir.member(m, &format!("u{m}"), department, None);
        }
        dir.tag(7, &(1..=50).collect::<Vec<_>>());
        dir.admins = vec![1];
        let mut nodes = Vec::new();
        for i in 0..10i64 {
            nodes.push(node(approver(
                &format!("top{i}"),
                vec![
                    ApproverSource::Leader {
                        level: u8::try_from(i % 3 + 1).unwrap(),
                    },
                    members(&[&format!("u{}", i * 7 + 3), &format!("u{}", i * 11 + 5)]),
                ],
            )));
            nodes.push(branch(
                &format!("b{i}"),
                vec![
                    when(
                        "大额",
                        vec![
                            range("amount", Some(((i * 1000) as f64, true)), None),
                            Condition::ApplicantDepartment {
                                department_ids: vec![i % 10 + 2],
                            },
                        ],
                        vec![node(approver(
                            &format!("big{i}"),
                            vec![
                                ApproverSource::DepartmentHead {
                                    department_id: Some(i % 10 + 2),
                                },
                                ApproverSource::Tag { tag_id: 7 },
                            ],
                        ))],
                    ),
                    when(
                        "其他",
                        vec![],
                        vec![cc(
                            &format!("cc{i}"),
                            vec![members(&[&format!("u{}", i + 100)])],
                        )],
                    ),
                ],
            ));
        }
        let f = flow(nodes);
        let applicant = dir.applicant("u4321");
        let v = values(json!({"amount": "4500.00"}));
        let chosen = BTreeMap::new();
        let runs = 2_000u32;
        let start = Instant::now();
        let mut steps = 0;
        for _ in 0..runs {
            let r = resolve(&f, &form(), &v, &applicant, &chosen, &dir)
                .await
                .unwrap();
            steps = r.steps.len();
        }
        let each = start.elapsed() / runs;
        println!("resolve: {each:?} per route over 10,000 members (in-memory directory)");
        // u4321 files under department 3 + ... : (4321 % 10 + 2) * 10 + (432 % 10) = 32.
        assert_eq!(applicant.department, 32);
        // Ten top nodes; branch b1 only is taken as 大额 (applicant under 3, amount over 1000).
        assert_eq!(steps, 20);
        let r = resolve(&f, &form(), &v, &applicant, &chosen, &dir)
            .await
            .unwrap();
        assert_eq!(r.branches[1].branch, "大额");
        assert!(r.branches.iter().filter(|b| b.branch == "大额").count() == 1);
        assert!(each.as_millis() < 50, "{each:?} per resolve");
    }
}
