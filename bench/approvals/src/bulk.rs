//! Volume written straight into the database with the server stopped: each generated instance is a
//! copy of one the server itself wrote through the API (its row and task rows), with the applicant,
//! the two leaders, the department filed under, the sp_no, the id and every time in the JSON
//! replaced. Multi-row inserts, a few thousand instances per transaction.
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use qixie_kernel::db::{Arg, Database, sql};
use serde_json::Value;

use crate::org::Org;

/// A sample instance, as the server wrote it.
pub struct Sample {
    pub row: Row,
    pub tasks: Vec<(i64, i64, i64, i64, i64, Option<i64>)>,
    /// Member ids the copies replace: applicant, team head, department head.
    pub applicant: i64,
    pub team_head: i64,
    pub dept_head: i64,
}

/// The instance row's columns a copy keeps or shifts.
pub struct Row {
    id: i64,
    corp_id: i64,
    template_pk: i64,
    version: i64,
    status: i64,
    step: i64,
    submitted_at: i64,
    finished_at: Option<i64>,
    updated_at: i64,
    summary: String,
    form_values: String,
    route: String,
    timeline: String,
    search_text: String,
}

pub async fn sample(
    db: &Database,
    sp_no: &str,
    applicant: i64,
    team_head: i64,
    dept_head: i64,
) -> Result<Sample> {
    let (id, corp_id, template_pk, version, status, step, submitted_at, finished_at, updated_at): (i64, i64, i64, i64, i64, i64, i64, Option<i64>, i64) = db
        .one(sql("SELECT id, corp_id, template_pk, version, status, step, submitted_at, finished_at, updated_at FROM approval_instances WHERE sp_no = $1").bind(sp_no))
        .await
        .with_context(|| format!("reading sample {sp_no}"))?;
    let (summary, form_values, route, timeline, search_text): (String, String, String, String, String) = db
        .one(sql("SELECT summary, form_values, route, timeline, search_text FROM approval_instances WHERE id = $1").bind(id))
        .await?;
    let row = Row {
        id,
        corp_id,
        template_pk,
        version,
        status,
        step,
        submitted_at,
        finished_at,
        updated_at,
        summary,
        form_values,
        route,
        timeline,
        search_text,
    };
    let tasks = db
        .all(
            sql("SELECT instance_id, step, member_id, kind, state, since, acted_at FROM approval_tasks WHERE instance_id = $1 ORDER BY step, member_id")
                .bind(row.id),
        )
        .await?
        .into_iter()
        .map(|t: (i64, i64, i64, i64, i64, i64, Option<i64>)| (t.1, t.2, t.3, t.4, t.5, t.6))
        .collect();
    for id in [applicant, team_head, dept_head] {
        // Ids are replaced wherever they occur in the JSON: they must not look like anything else.
        if id < 1_000_000_000_000_000 {
            bail!("member id {id} is too small to be replaced safely in the instance's JSON");
        }
    }
    Ok(Sample {
        row,
        tasks,
        applicant,
        team_head,
        dept_head,
    })
}

/// What one copy changes.
struct Copy {
    id: i64,
    sp_no: String,
    applicant: i64,
    team_head: i64,
    dept_head: i64,
    department: i64,
    submitted_at: i64,
}

/// Rewrites member ids and times anywhere in a JSON document.
fn rewrite(v: &mut Value, ids: &HashMap<i64, i64>, lo: i64, hi: i64, shift: i64) {
    match v {
        Value::Number(n) => {
            if let Some(x) = n.as_i64() {
                if let Some(y) = ids.get(&x) {
                    *v = Value::from(*y);
                } else if (lo..=hi).contains(&x) {
                    *v = Value::from(x + shift);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite(x, ids, lo, hi, shift)),
        Value::Object(o) => o.values_mut().for_each(|x| rewrite(x, ids, lo, hi, shift)),
        _ => {}
    }
}

impl Sample {
    fn window(&self) -> (i64, i64) {
        let end = self.row.updated_at.max(self.row.finished_at.unwrap_or(0));
        (self.row.submitted_at - 3_600_000, end + 3_600_000)
    }

    fn copy(&self, c: &Copy) -> Result<(Vec<Arg>, Vec<Vec<Arg>>)> {
        let ids: HashMap<i64, i64> = [
            (self.applicant, c.applicant),
            (self.team_head, c.team_head),
            (self.dept_head, c.dept_head),
        ]
        .into_iter()
        .collect();
        let (lo, hi) = self.window();
        let shift = c.submitted_at - self.row.submitted_at;
        let json = |text: &str| -> Result<String> {
            let mut v: Value = serde_json::from_str(text)?;
            rewrite(&mut v, &ids, lo, hi, shift);
            Ok(v.to_string())
        };
        let r = &self.row;
        let row: Vec<Arg> = vec![
            c.id.into(),
            r.corp_id.into(),
            c.sp_no.clone().into(),
            r.template_pk.into(),
            r.version.into(),
            c.applicant.into(),
            c.department.into(),
            r.status.into(),
            r.step.into(),
            (&r.summary).into(),
            (&r.form_values).into(),
            json(&r.route)?.into(),
            json(&r.timeline)?.into(),
            (&r.search_text).into(),
            (r.submitted_at + shift).into(),
            r.finished_at.map(|f| f + shift).into(),
            (r.updated_at + shift).into(),
        ];
        let map = |m: i64| ids.get(&m).copied().unwrap_or(m);
        let tasks = self
            .tasks
            .iter()
            .map(|t| {
                vec![
                    c.id.into(),
                    t.0.into(),
                    map(t.1).into(),
                    t.2.into(),
                    t.3.into(),
                    (t.4 + shift).into(),
                    t.5.map(|a| a + shift).into(),
                ]
            })
            .collect();
        Ok((row, tasks))
    }
}

/// A small deterministic generator (xorshift), so the same sizes give the same data.
pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// The day of `ms` in UTC+8 (the enterprise's default zone), as YYYYMMDD.
pub fn day_of(ms: i64) -> String {
    let days = (ms + 8 * 3_600_000).div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}")
}

pub struct Plan<'a> {
    pub org: &'a Org,
    /// Member id and main department by member index.
    pub ids: &'a [(i64, i64)],
    pub finished: &'a Sample,
    pub pending_first: &'a Sample,
    pub pending_last: &'a Sample,
    pub instances: usize,
    pub pending: usize,
    /// Of `pending`, how many wait for finance (the last step).
    pub heavy: usize,
}

pub struct Written {
    pub took: Duration,
    pub instances: usize,
    pub tasks: usize,
    /// The applicant with the most applications (member index) and how many.
    pub busiest_applicant: (usize, usize),
}

const EPOCH_2024_MS: i64 = 1_704_067_200_000;
const DAY: i64 = 86_400_000;
const PER_TX: usize = 2_000;

pub async fn write(db: &Database, plan: &Plan<'_>) -> Result<Written> {
    let started = Instant::now();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    // Yesterday's end in UTC+8: nothing generated shares a day (and an sp_no counter) with today.
    let today_start = (now + 8 * 3_600_000).div_euclid(DAY) * DAY - 8 * 3_600_000;
    let mut rng = Rng::new(0x5EED_A990);
    let mut counters: HashMap<String, u64> = HashMap::new();
    let mut per_applicant: HashMap<usize, usize> = HashMap::new();
    let total = plan.instances + plan.pending;
    let mut rows = Vec::with_capacity(PER_TX);
    let mut tasks = Vec::with_capacity(PER_TX * 4);
    let mut written_tasks = 0;
    for i in 0..total {
        let (sample, span_days) = if i < plan.instances {
            (plan.finished, 365)
        } else if i < plan.instances + plan.heavy {
            (plan.pending_last, 30)
        } else {
            (plan.pending_first, 30)
        };
        let who = plan.org.regular[rng.below(plan.org.regular.len())];
        *per_applicant.entry(who).or_default() += 1;
        let head = plan.org.leader(who);
        let dept_head = plan.org.leader(head);
        // Submitted during working hours of a past day.
        let day = 1 + rng.below(span_days) as i64;
        let submitted_at = today_start - day * DAY + 3_600_000 + rng.below(9 * 3_600_000) as i64;
        let date = day_of(submitted_at);
        let n = counters.entry(date.clone()).or_default();
        *n += 1;
        let c = Copy {
            id: ((submitted_at - EPOCH_2024_MS) << 22) | (i as i64 & 0x3F_FFFF),
            sp_no: format!("{date}{n:04}"),
            applicant: plan.ids[who].0,
            team_head: plan.ids[head].0,
            dept_head: plan.ids[dept_head].0,
            department: plan.ids[who].1,
            submitted_at,
        };
        let (row, t) = sample.copy(&c)?;
        rows.push(row);
        tasks.extend(t);
        if rows.len() == PER_TX || i + 1 == total {
            written_tasks += tasks.len();
            let mut tx = db.begin().await?;
            tx.widen_cache(256 * 1024).await?;
            tx.insert_many(
                "INSERT INTO approval_instances (id, corp_id, sp_no, template_pk, version, applicant_id, department_id, status, step, summary, form_values, route, timeline, search_text, submitted_at, finished_at, updated_at) VALUES",
                "",
                std::mem::take(&mut rows),
            )
            .await?;
            tx.insert_many(
                "INSERT INTO approval_tasks (instance_id, step, member_id, kind, state, since, acted_at) VALUES",
                "",
                std::mem::take(&mut tasks),
            )
            .await?;
            tx.commit().await?;
            if (i + 1) % 100_000 < PER_TX || i + 1 == total {
                eprintln!(
                    "  written {}/{total} instances in {:.0} s",
                    i + 1,
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    db.reset_writer_cache().await?;
    db.after_bulk_load(&["approval_instances", "approval_tasks"])
        .await?;
    let busiest = per_applicant
        .into_iter()
        .max_by_key(|&(w, n)| (n, std::cmp::Reverse(w)))
        .unwrap_or((0, 0));
    Ok(Written {
        took: started.elapsed(),
        instances: total,
        tasks: written_tasks,
        busiest_applicant: busiest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_in_utc_plus_8() {
        // 2026-12-07 16:00 UTC is 2026-12-08 00:00 in UTC+8.
        assert_eq!(day_of(1_796_659_200_000), "20261208");
        assert_eq!(day_of(1_796_659_199_999), "20261207");
    }

    #[test]
    fn rewrite_ids_and_times() {
        let mut v = serde_json::json!({"steps": [{"members": [1_000_000_000_000_000_001i64], "since": 5000,
            "people": [{"member": 1_000_000_000_000_000_001i64, "acted_at": 6000}]}], "next_key": 3});
        let ids = [(1_000_000_000_000_000_001i64, 7i64)].into_iter().collect();
        rewrite(&mut v, &ids, 4000, 7000, 100);
        assert_eq!(
            v,
            serde_json::json!({"steps": [{"members": [7], "since": 5100,
            "people": [{"member": 7, "acted_at": 6100}]}], "next_key": 3})
        );
    }
}
