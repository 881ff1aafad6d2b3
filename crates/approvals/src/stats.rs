//! How long approvals take: per template, per step, per week and per approver — the count, average,
//! median and 90th percentile of the time to decide, and the share decided within the step's time
//! limit. Computed from the applications in the administrator's scope submitted in the range.
use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use utoipa::ToSchema;

use qixie_kernel::AppState;
use qixie_kernel::authz::{Grant, perm};
use qixie_kernel::db::sql;
use qixie_kernel::error::AppResult;

use crate::boxes::in_scope;
use crate::flow::StepKind;
use crate::instance::progress::{PersonState, Progress, Status};
use crate::instance::view::people_refs;

const WEEK_MS: i64 = 7 * 86_400_000;
/// 1970-01-05 was a Monday: weeks start on Mondays (UTC).
const MONDAY_MS: i64 = 4 * 86_400_000;

/// Times to decide, in milliseconds.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Durations {
    pub count: i64,
    pub average_ms: i64,
    pub median_ms: i64,
    pub p90_ms: i64,
    /// Of the decisions with a time limit, the share made within it (0–1); null without limits.
    pub within_limit: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateStats {
    pub template_id: String,
    pub name: String,
    pub submitted: i64,
    pub approved: i64,
    pub rejected: i64,
    pub pending: i64,
    /// From submission to the final decision.
    pub decide: Durations,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NodeStats {
    pub template_id: String,
    pub node_id: String,
    pub name: String,
    /// From the step being reached to each approver's decision.
    pub decide: Durations,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WeekStats {
    /// Monday 00:00 UTC of the week (ms).
    pub week: i64,
    pub submitted: i64,
    pub finished: i64,
    pub median_ms: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApproverStats {
    pub userid: String,
    pub name: String,
    pub decisions: i64,
    pub median_ms: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stats {
    pub templates: Vec<TemplateStats>,
    pub nodes: Vec<NodeStats>,
    pub weeks: Vec<WeekStats>,
    /// The ten approvers with the slowest median, at least three decisions each.
    pub slowest: Vec<ApproverStats>,
}

#[derive(Default)]
struct Sample {
    times: Vec<i64>,
    limited: i64,
    within: i64,
}

impl Sample {
    fn add(&mut self, ms: i64, limit_ms: Option<i64>) {
        self.times.push(ms.max(0));
        if let Some(l) = limit_ms {
            self.limited += 1;
            if ms <= l {
                self.within += 1;
            }
        }
    }
    fn durations(mut self) -> Durations {
        if self.times.is_empty() {
            return Durations::default();
        }
        self.times.sort_unstable();
        let n = self.times.len();
        let at = |q: f64| self.times[(((n - 1) as f64) * q).round() as usize];
        Durations {
            count: n as i64,
            average_ms: self.times.iter().sum::<i64>() / n as i64,
            median_ms: at(0.5),
            p90_ms: at(0.9),
            within_limit: (self.limited > 0).then(|| self.within as f64 / self.limited as f64),
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    template_id: String,
    name: String,
    status: i64,
    route: String,
    submitted_at: i64,
    finished_at: Option<i64>,
}

pub async fn compute(
    app: &AppState,
    grant: &Grant<perm::ApprovalsManage>,
    template_id: Option<&str>,
    from: i64,
    to: i64,
) -> AppResult<Stats> {
    let corp = grant.corp();
    let mut s = sql("FROM approval_instances i JOIN approval_templates t ON t.id = i.template_pk WHERE i.corp_id = ")
        .push_bind("{}", corp)
        .push_bind(" AND i.submitted_at >= {}", from)
        .push_bind(" AND i.submitted_at < {}", to);
    if let Some(t) = template_id {
        s = s.push_bind(" AND t.template_id = {}", t.to_owned());
    }
    s = in_scope(app, grant, s).await?;
    let rows: Vec<Row> = app
        .db
        .all(s.prepend(
            "SELECT t.template_id, t.name, i.status, i.route, i.submitted_at, i.finished_at ",
        ))
        .await?;
    let mut templates: BTreeMap<String, (String, [i64; 4], Sample)> = BTreeMap::new();
    let mut nodes: BTreeMap<(String, String), (String, Sample)> = BTreeMap::new();
    let mut weeks: BTreeMap<i64, (i64, i64, Sample)> = BTreeMap::new();
    let mut approvers: HashMap<i64, Sample> = HashMap::new();
    for r in rows {
        let status = Status::from_code(r.status);
        let t = templates
            .entry(r.template_id.clone())
            .or_insert_with(|| (r.name.clone(), [0; 4], Sample::default()));
        t.1[0] += 1;
        let week = (r.submitted_at - MONDAY_MS).div_euclid(WEEK_MS) * WEEK_MS + MONDAY_MS;
        let w = weeks.entry(week).or_default();
        w.0 += 1;
        match status {
            Status::Approved => t.1[1] += 1,
            Status::Rejected => t.1[2] += 1,
            Status::Pending | Status::Returned => t.1[3] += 1,
            Status::Withdrawn => {}
        }
        if let (Some(f), Status::Approved | Status::Rejected) = (r.finished_at, status) {
            t.2.add(f - r.submitted_at, None);
            w.1 += 1;
            w.2.add(f - r.submitted_at, None);
        }
        let Ok(progress) = serde_json::from_str::<Progress>(&r.route) else {
            continue;
        };
        for step in progress
            .steps
            .iter()
            .filter(|s| s.step.kind == StepKind::Approve)
        {
            let limit = step
                .step
                .time_limit
                .as_ref()
                .map(|l| i64::from(l.hours) * 3_600_000);
            for p in &step.people {
                if p.auto || !matches!(p.state, PersonState::Approved | PersonState::Rejected) {
                    continue;
                }
                let (Some(since), Some(at)) = (p.since, p.acted_at) else {
                    continue;
                };
                let n = nodes
                    .entry((r.template_id.clone(), step.step.node_id.clone()))
                    .or_insert_with(|| (step.step.name.clone(), Sample::default()));
                n.1.add(at - since, limit);
                approvers.entry(p.member).or_default().add(at - since, None);
            }
        }
    }
    let mut slow: Vec<(i64, Durations)> = approvers
        .into_iter()
        .map(|(m, s)| (m, s.durations()))
        .filter(|(_, d)| d.count >= 3)
        .collect();
    slow.sort_by_key(|(_, d)| std::cmp::Reverse(d.median_ms));
    slow.truncate(10);
    let names = people_refs(app, corp, &slow.iter().map(|(m, _)| *m).collect::<Vec<_>>()).await?;
    Ok(Stats {
        templates: templates
            .into_iter()
            .map(|(id, (name, c, s))| TemplateStats {
                template_id: id,
                name,
                submitted: c[0],
                approved: c[1],
                rejected: c[2],
                pending: c[3],
                decide: s.durations(),
            })
            .collect(),
        nodes: nodes
            .into_iter()
            .map(|((t, node), (name, s))| NodeStats {
                template_id: t,
                node_id: node,
                name,
                decide: s.durations(),
            })
            .collect(),
        weeks: weeks
            .into_iter()
            .map(|(week, (submitted, finished, s))| WeekStats {
                week,
                submitted,
                finished,
                median_ms: s.durations().median_ms,
            })
            .collect(),
        slowest: slow
            .into_iter()
            .map(|(m, d)| {
                let who = names.get(&m);
                ApproverStats {
                    userid: who.map(|w| w.userid.clone()).unwrap_or_default(),
                    name: who.map(|w| w.name.clone()).unwrap_or_default(),
                    decisions: d.count,
                    median_ms: d.median_ms,
                }
            })
            .collect(),
    })
}
