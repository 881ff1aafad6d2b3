//! Approvals benchmark for Qixie: an enterprise of 10,000 members imported through the real API, a
//! three-step 报销 template, a million finished and 50,000 pending applications written straight
//! into the database in the server's own shape, then, against the release `qixie` binary: submit +
//! approve pairs per second and flushes per action, rows and bytes per finished application, the
//! boxes, statistics over a year, the hand-off to the next approver's socket, and WeCom's OA calls.
mod bulk;
mod client;
mod disk;
mod org;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use bench_common::client::Api;
use bench_common::server::Installation;
use bench_common::stats::{Samples, ms, secs};
use futures_util::StreamExt;
use qixie_kernel::db::{Database, Dialect, sql};
use reqwest::Method;
use serde_json::{Value, json};

use client::Rest;
use org::Org;

const ADMIN: &str = "admin";
const ADMIN_PW: &str = "Bench2026x";

const USAGE: &str = "\
bench-approvals: measures Qixie's approvals (pairs per second, flushes, storage, boxes, statistics,
hand-off, WeCom OA) against the release qixie binary.

Options:
  --qixie PATH          the server binary (default target/release/qixie)
  --database-url URL    PostgreSQL (an empty database); SQLite in the data directory when absent
  --members N           members to import (10000)
  --instances N         finished applications written before the figures (1000000)
  --pending N           pending applications written (50000), of which --heavy wait for one person
  --heavy N             pending applications waiting for finance (5000)
  --clients N           concurrent submit+approve clients (16)
  --duration S          seconds of each load run (10)
  --requests N          timed requests per latency figure (200)
  --storage N           applications taken through all three steps over HTTP for the storage figures (100)
  --quick               a one-minute size: 2000 members, 20000 finished, 2000 pending (500 heavy),
                        5 s runs, 100 requests, 40 for storage (later options still apply)
  --keep                keep the data directory
";

struct Args {
    qixie: PathBuf,
    database_url: Option<String>,
    members: usize,
    instances: usize,
    pending: usize,
    heavy: usize,
    clients: usize,
    duration: u64,
    requests: usize,
    storage: usize,
    keep: bool,
    quick: bool,
}

fn parse_args() -> Result<Args> {
    let mut a = Args {
        qixie: PathBuf::from("target/release/qixie"),
        database_url: None,
        members: 10_000,
        instances: 1_000_000,
        pending: 50_000,
        heavy: 5_000,
        clients: 16,
        duration: 10,
        requests: 200,
        storage: 100,
        keep: false,
        quick: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--qixie" => a.qixie = PathBuf::from(value()?),
            "--database-url" => a.database_url = Some(value()?),
            "--members" => a.members = value()?.parse()?,
            "--instances" => a.instances = value()?.parse()?,
            "--pending" => a.pending = value()?.parse()?,
            "--heavy" => a.heavy = value()?.parse()?,
            "--clients" => a.clients = value()?.parse()?,
            "--duration" => a.duration = value()?.parse()?,
            "--requests" => a.requests = value()?.parse()?,
            "--storage" => a.storage = value()?.parse()?,
            "--keep" => a.keep = true,
            "--quick" => {
                a.quick = true;
                a.members = 2_000;
                a.instances = 20_000;
                a.pending = 2_000;
                a.heavy = 500;
                a.duration = 5;
                a.requests = 100;
                a.storage = 40;
            }
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown option {other}\n\n{USAGE}"),
        }
    }
    a.heavy = a.heavy.min(a.pending);
    a.clients = a.clients.max(1);
    Ok(a)
}

/// One line of the table.
struct Figure {
    name: String,
    target: String,
    measured: String,
    met: Option<bool>,
    detail: String,
}

struct Report {
    figures: Vec<Figure>,
    notes: Vec<String>,
}

impl Report {
    fn add(
        &mut self,
        name: &str,
        target: &str,
        measured: String,
        met: Option<bool>,
        detail: String,
    ) {
        eprintln!("  {name}: {measured} ({detail})");
        self.figures.push(Figure {
            name: name.into(),
            target: target.into(),
            measured,
            met,
            detail,
        });
    }
    fn print(&self, engine: &str) {
        println!("| figure | target | measured | met? | detail |");
        println!("|---|---|---|---|---|");
        for f in &self.figures {
            let met = match f.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "–",
            };
            println!(
                "| {} | {} | {} | {met} | {} |",
                f.name, f.target, f.measured, f.detail
            );
        }
        println!();
        println!("Engine: {engine}.");
        for n in &self.notes {
            println!("- {n}");
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let qixie = bench_common::locate_binary(&args.qixie)?;
    let data_dir = bench_common::fresh_data_dir("approvals")?;
    let engine = if args.database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let mut report = Report {
        figures: Vec::new(),
        notes: Vec::new(),
    };
    let load_start = bench_common::load_average();
    let result = run(&args, &qixie, &data_dir, &mut report).await;
    report.notes.push(format!(
        "Load average (1 min) at start {load_start}, at end {}; 2 cores shared with the load client and other work on the machine.",
        bench_common::load_average()
    ));
    if let Err(e) = &result {
        report.notes.push(format!("The run stopped early: {e:#}"));
    }
    report.print(engine);
    if args.keep {
        eprintln!("data directory kept: {}", data_dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&data_dir);
    }
    if result.is_err() {
        std::process::exit(2);
    }
    Ok(())
}

/// Who takes part, by member index, with their tokens.
struct People {
    /// (applicant, team head) per load client.
    pairs: Vec<(String, String)>,
    /// The storage and sample applicant, their team head and department head, finance.
    sample: [usize; 3],
    sample_tokens: [String; 4],
    /// The hand-off applicant's tokens: applicant, team head, department head.
    handoff: [String; 3],
}

async fn run(
    args: &Args,
    qixie: &std::path::Path,
    data_dir: &std::path::Path,
    report: &mut Report,
) -> Result<()> {
    let install = Installation {
        qixie: qixie.to_path_buf(),
        data_dir: data_dir.to_path_buf(),
        database_url: args.database_url.clone(),
        max_upload_bytes: None,
        fast_hash: true,
        env: Vec::new(),
    };
    report.notes.push("The server ran with QIXIE_FAST_HASH=1 (cheap password hashing) so the few dozen members the tool signs in do so quickly; no figure times a sign-in.".into());
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("qixie.db").display()));

    // The disk first, while nothing else of ours runs.
    let device = disk::Device::of(data_dir)?;
    let fsyncs = disk::fsync_rate(data_dir, Duration::from_secs(2))?;
    report.add(
        "disk flush rate",
        "–",
        format!("{fsyncs:.0} fsync/s"),
        None,
        format!(
            "4 KiB write + fdatasync in a loop for 2 s in the data directory (device {})",
            if device.name.is_empty() {
                "?"
            } else {
                &device.name
            }
        ),
    );

    let mut srv = install.serve("setup")?;
    srv.wait_ready(Duration::from_secs(60)).await?;
    let corp_id = install.init(org::CORP_NAME, ADMIN, ADMIN_PW)?;
    let mut admin = Api::new(&srv.base)?;
    admin.login(&corp_id, ADMIN, ADMIN_PW).await?;

    // The organisation.
    let org = Org::generate(args.members);
    let t = Instant::now();
    let (took, status, r) = admin
        .upload(
            "/api/v1/admin/members/import",
            "members.csv",
            org.to_csv(),
            &[("mode", "all_or_nothing")],
            Duration::from_secs(600),
        )
        .await
        .context("member import")?;
    if !status.is_success() || r["created"].as_u64() != Some(org.members.len() as u64) {
        bail!(
            "importing {} members answered {status}: {r}",
            org.members.len()
        );
    }
    eprintln!("imported {} members in {}", org.members.len(), secs(took));

    // The template: the built-in 报销, given the benchmark's form and flow.
    let list = admin.get("/api/v1/admin/approvals/templates").await?;
    let template_id = list["items"]
        .as_array()
        .and_then(|a| a.iter().find(|t| t["name"] == org::TEMPLATE_NAME))
        .and_then(|t| t["template_id"].as_str())
        .map(str::to_owned)
        .with_context(|| format!("no {} template in {list}", org::TEMPLATE_NAME))?;
    admin
        .call(
            Method::PUT,
            &format!("/api/v1/admin/approvals/templates/{template_id}"),
            Some(org::template_input()),
        )
        .await
        .context("updating the 报销 template")?;

    // The members who act: load clients (applicant and team head, distinct teams), the sample
    // applicant and their approvers, the hand-off applicant and theirs.
    let rest = Rest::new(&srv.base)?;
    let teams = org.team_heads.len();
    let mut wanted: Vec<usize> = Vec::new();
    let mut pair_idx = Vec::new();
    for k in 0..args.clients {
        let t = (k * teams / args.clients) % teams;
        let a = org.member_of_team(t, 0).context("a team without members")?;
        pair_idx.push((a, org.leader(a)));
        wanted.extend([a, org.leader(a)]);
    }
    let sample_applicant = org
        .member_of_team(teams / 2 + 1, 1)
        .context("a team without members")?;
    let sample = [
        sample_applicant,
        org.leader(sample_applicant),
        org.leader(org.leader(sample_applicant)),
    ];
    let finance = 1;
    let handoff_applicant = org
        .member_of_team(teams / 2 + 3, 1)
        .context("a team without members")?;
    let handoff = [
        handoff_applicant,
        org.leader(handoff_applicant),
        org.leader(org.leader(handoff_applicant)),
    ];
    wanted.extend(sample);
    wanted.push(finance);
    wanted.extend(handoff);
    wanted.sort_unstable();
    wanted.dedup();
    let admin = Arc::new(admin);
    let mut tokens: HashMap<usize, String> = futures_util::stream::iter(wanted.clone())
        .map(|i| {
            let (admin, rest, corp_id) = (admin.clone(), rest.clone(), corp_id.clone());
            let userid = org.userid(i).to_owned();
            async move {
                client::activate(&admin, &rest, &corp_id, &userid)
                    .await
                    .map(|t| (i, t))
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    let tok = |i: usize| tokens.get(&i).cloned().unwrap_or_default();
    let people = People {
        pairs: pair_idx.iter().map(|&(a, h)| (tok(a), tok(h))).collect(),
        sample,
        sample_tokens: [tok(sample[0]), tok(sample[1]), tok(sample[2]), tok(finance)],
        handoff: [tok(handoff[0]), tok(handoff[1]), tok(handoff[2])],
    };
    eprintln!(
        "set up (import, template, {} members signed in) in {}",
        wanted.len(),
        secs(t.elapsed())
    );

    // Storage: applications taken through all three steps over HTTP, the database measured
    // before and after each kind of action.
    let db = Database::connect(&url).await?;
    let samples = storage(args, &db, &rest, &template_id, &people, report).await?;

    // Volume, with the server stopped.
    srv.stop(Duration::from_secs(20))?;
    let ids = member_ids(&db, &org).await?;
    let id_of = |i: usize| ids[i].0;
    let s_fin = bulk::sample(
        &db,
        &samples[0],
        id_of(sample[0]),
        id_of(sample[1]),
        id_of(sample[2]),
    )
    .await?;
    let s_first = bulk::sample(
        &db,
        &samples[1],
        id_of(sample[0]),
        id_of(sample[1]),
        id_of(sample[2]),
    )
    .await?;
    let s_last = bulk::sample(
        &db,
        &samples[2],
        id_of(sample[0]),
        id_of(sample[1]),
        id_of(sample[2]),
    )
    .await?;
    eprintln!(
        "writing {} finished and {} pending applications ...",
        args.instances, args.pending
    );
    let written = bulk::write(
        &db,
        &bulk::Plan {
            org: &org,
            ids: &ids,
            finished: &s_fin,
            pending_first: &s_first,
            pending_last: &s_last,
            instances: args.instances,
            pending: args.pending,
            heavy: args.heavy,
        },
    )
    .await?;
    report.notes.push(format!(
        "Volume: {} applications ({} finished over the past year, {} pending over the past 30 days, {} of them waiting for finance {}) and {} task rows written straight into the database with the server stopped in {} ({:.0} applications/s), each a copy of one the server wrote through the API with the applicant (a random member who heads nothing), the two leaders, the department, sp_no, id and every time replaced; the form values and summary are the sample's. Only approval_instances and approval_tasks were written: the cards, audit lines and notifications the server would have written for them are not there.",
        written.instances,
        args.instances,
        args.pending,
        args.heavy,
        org::FINANCE,
        written.tasks,
        secs(written.took),
        written.instances as f64 / written.took.as_secs_f64().max(0.001),
    ));
    db.close().await;

    let t = Instant::now();
    let mut srv = install.serve("figures")?;
    let ready = srv.wait_ready(Duration::from_secs(300)).await?;
    report.notes.push(format!(
        "The server restarted on the loaded database and answered /readyz after {}; the figures below were measured on it ({} since the restart when the first began).",
        secs(ready),
        secs(t.elapsed())
    ));
    let rest = Rest::new(&srv.base)?;
    let mut admin = Api::new(&srv.base)?;
    admin.login(&corp_id, ADMIN, ADMIN_PW).await?;
    let busiest = written.busiest_applicant.0;
    if let std::collections::hash_map::Entry::Vacant(e) = tokens.entry(busiest) {
        e.insert(client::activate(&admin, &rest, &corp_id, org.userid(busiest)).await?);
    }

    pairs(args, srv.pid, &rest, &template_id, &people, &device, report).await?;
    boxes(args, &rest, &org, &tokens, &people, &written, report).await?;
    stats(args, &admin, &template_id, report).await?;
    handoff_figure(args, &rest, srv.port, &template_id, &people, report).await?;
    wecom(args, &admin, &rest, &corp_id, report).await?;

    let (errors, last) = srv.errors();
    if errors > 0 {
        report.notes.push(format!(
            "The server logged {errors} ERROR lines; the last: {}",
            last.unwrap_or_default()
        ));
    }
    srv.stop(Duration::from_secs(20))?;
    Ok(())
}

/// Member id and main department by member index.
async fn member_ids(db: &Database, org: &Org) -> Result<Vec<(i64, i64)>> {
    let rows: Vec<(String, i64, i64)> = db
        .all(sql("SELECT userid, id, main_department FROM members"))
        .await?;
    let by: HashMap<String, (i64, i64)> = rows.into_iter().map(|(u, i, d)| (u, (i, d))).collect();
    org.members
        .iter()
        .map(|(u, _, _)| {
            by.get(u)
                .copied()
                .with_context(|| format!("{u} is not in the database"))
        })
        .collect()
}

/// Bytes used by every table and index, and rows in every table.
async fn footprint(db: &Database) -> Result<(i64, HashMap<String, i64>)> {
    let (bytes, tables): (i64, Vec<(String,)>) = match db.dialect() {
        Dialect::Sqlite => {
            let (b,): (i64,) = db
                .one(sql("SELECT ((SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count())) * (SELECT page_size FROM pragma_page_size())"))
                .await?;
            let t = db
                .all(sql("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%'"))
                .await?;
            (b, t)
        }
        Dialect::Postgres => {
            let (b,): (i64,) = db
                .one(sql("SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::BIGINT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'"))
                .await?;
            let t = db
                .all(sql(
                    "SELECT tablename::TEXT FROM pg_tables WHERE schemaname = current_schema()",
                ))
                .await?;
            (b, t)
        }
    };
    let mut rows = HashMap::new();
    for (t,) in tables {
        let (n,): (i64,) = db.one(sql(format!("SELECT COUNT(*) FROM \"{t}\""))).await?;
        rows.insert(t, n);
    }
    Ok((bytes, rows))
}

/// PostgreSQL: rows inserted, updated and deleted so far (the statistics collector's counters).
async fn pg_tuples(db: &Database) -> Result<Option<i64>> {
    if db.dialect() != Dialect::Postgres {
        return Ok(None);
    }
    // Backends report their counters when idle, at most once a second, or after 10 s of idling.
    tokio::time::sleep(Duration::from_secs(11)).await;
    let (n,): (i64,) = db
        .one(sql("SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0)::BIGINT FROM pg_stat_user_tables"))
        .await?;
    Ok(Some(n))
}

fn delta(before: &HashMap<String, i64>, after: &HashMap<String, i64>) -> (i64, String) {
    let mut parts: Vec<(String, i64)> = after
        .iter()
        .map(|(t, n)| (t.clone(), n - before.get(t).copied().unwrap_or(0)))
        .filter(|(_, d)| *d != 0)
        .collect();
    parts.sort();
    let total = parts.iter().map(|(_, d)| d).sum();
    let text = parts
        .iter()
        .map(|(t, d)| format!("{t} {d:+}"))
        .collect::<Vec<_>>()
        .join(", ");
    (total, text)
}

/// Takes `args.storage` applications through submit and three approvals; returns the sp_nos of a
/// finished one, one waiting at the first step and one waiting at the last.
async fn storage(
    args: &Args,
    db: &Database,
    rest: &Rest,
    template_id: &str,
    p: &People,
    report: &mut Report,
) -> Result<[String; 3]> {
    let n = args.storage.max(1);
    let [applicant, head, dept_head, finance] = &p.sample_tokens;
    let (bytes0, rows0) = footprint(db).await?;
    let tup0 = pg_tuples(db).await?;
    let mut sp_nos = Vec::with_capacity(n);
    for k in 0..n {
        let v = rest
            .call(
                Method::POST,
                "/api/v1/approvals",
                Some(applicant),
                Some(&json!({"template_id": template_id, "values": org::values(k)})),
            )
            .await?;
        sp_nos.push(v["sp_no"].as_str().context("no sp_no")?.to_owned());
    }
    let mut marks = vec![(footprint(db).await?, pg_tuples(db).await?)];
    for approver in [head, dept_head, finance] {
        for sp in &sp_nos {
            let d = rest
                .call(
                    Method::POST,
                    &format!("/api/v1/approvals/{sp}/approve"),
                    Some(approver),
                    Some(&json!({})),
                )
                .await?;
            let _ = d;
        }
        marks.push((footprint(db).await?, pg_tuples(db).await?));
    }
    let finished = marks.last().map(|m| &m.0).context("no marks")?;
    let per = |b: i64| b as f64 / n as f64;
    let (rows_all, rows_text) = delta(&rows0, &finished.1);
    let bytes = per(finished.0 - bytes0);
    report.add(
        "bytes per finished three-step application",
        "≤ 8 KB",
        format!("{:.1} KB", bytes / 1000.0),
        Some(bytes <= 8000.0),
        format!(
            "database growth over {n} applications (ten-field form, submit + 3 approvals over HTTP) / {n}: {}; rows added per application {:.1} ({rows_text})",
            match db.dialect() {
                Dialect::Sqlite => "(page_count − freelist_count) × page_size, every table and index",
                Dialect::Postgres => "pg_total_relation_size of every table (indexes and TOAST included)",
            },
            per(rows_all),
        ),
    );
    let names = [
        "submit",
        "approve (step 1)",
        "approve (step 2)",
        "approve (step 3, finishes)",
    ];
    let mut prev = (&rows0, tup0);
    for (i, name) in names.iter().enumerate() {
        let ((_, rows), tup) = &marks[i];
        let (added, text) = delta(prev.0, rows);
        let written = match (tup, prev.1) {
            (Some(a), Some(b)) => format!(
                "{:.1} rows written (inserted + updated + deleted, pg_stat_user_tables)",
                (a - b) as f64 / n as f64
            ),
            _ => "updates not counted on SQLite".into(),
        };
        let is_approval = i > 0;
        let met = match (tup, prev.1) {
            (Some(a), Some(b)) if is_approval => Some((a - b) as f64 / n as f64 <= 8.0),
            _ => None,
        };
        report.add(
            &format!("rows per {name}"),
            if is_approval {
                "≤ 8 rows, one commit"
            } else {
                "one commit"
            },
            format!("{:.1} rows added", added as f64 / n as f64),
            met,
            format!("{written}; {text}"),
        );
        prev = (rows, *tup);
    }
    // Samples for the volume: a finished one, one at the first step, one at the last.
    let first = rest
        .call(
            Method::POST,
            "/api/v1/approvals",
            Some(applicant),
            Some(&json!({"template_id": template_id, "values": org::values(n + 1)})),
        )
        .await?;
    let last = rest
        .call(
            Method::POST,
            "/api/v1/approvals",
            Some(applicant),
            Some(&json!({"template_id": template_id, "values": org::values(n + 2)})),
        )
        .await?;
    let last_sp = last["sp_no"].as_str().context("no sp_no")?.to_owned();
    for approver in [head, dept_head] {
        rest.call(
            Method::POST,
            &format!("/api/v1/approvals/{last_sp}/approve"),
            Some(approver),
            Some(&json!({})),
        )
        .await?;
    }
    Ok([
        sp_nos.last().cloned().unwrap_or_default(),
        first["sp_no"].as_str().context("no sp_no")?.to_owned(),
        last_sp,
    ])
}

#[derive(Default)]
struct Run {
    pairs: u64,
    failed: u64,
    submit: Vec<Duration>,
    approve: Vec<Duration>,
    first_error: Option<String>,
}

/// `clients` loops of submit then approve; `pace` spaces each client's pairs (None: back to back).
async fn pair_run(
    rest: &Rest,
    template_id: &str,
    p: &People,
    duration: Duration,
    pace: Option<Duration>,
) -> Result<Run> {
    let counter = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = p
        .pairs
        .iter()
        .cloned()
        .map(|(applicant, head)| {
            let rest = rest.clone();
            let template_id = template_id.to_owned();
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut run = Run::default();
                let mut k = 0u32;
                while started.elapsed() < duration {
                    if let Some(pace) = pace {
                        let due = started + pace * k;
                        tokio::time::sleep_until(due.into()).await;
                        if started.elapsed() >= duration {
                            break;
                        }
                    }
                    k += 1;
                    let n = counter.fetch_add(1, Ordering::Relaxed) as usize;
                    let body = json!({"template_id": template_id, "values": org::values(n)});
                    let (took, status, v) = rest
                        .timed(
                            Method::POST,
                            "/api/v1/approvals",
                            Some(&applicant),
                            Some(&body),
                        )
                        .await?;
                    run.submit.push(took);
                    let Some(sp) = v["sp_no"].as_str().filter(|_| status.is_success()) else {
                        run.failed += 1;
                        run.first_error
                            .get_or_insert(format!("submit: {status}: {v}"));
                        continue;
                    };
                    let (took, status, v) = rest
                        .timed(
                            Method::POST,
                            &format!("/api/v1/approvals/{sp}/approve"),
                            Some(&head),
                            Some(&json!({})),
                        )
                        .await?;
                    run.approve.push(took);
                    if status.is_success() {
                        run.pairs += 1;
                    } else {
                        run.failed += 1;
                        run.first_error
                            .get_or_insert(format!("approve: {status}: {v}"));
                    }
                }
                anyhow::Ok(run)
            })
        })
        .collect();
    let mut all = Run::default();
    for t in tasks {
        let r = t.await??;
        all.pairs += r.pairs;
        all.failed += r.failed;
        all.submit.extend(r.submit);
        all.approve.extend(r.approve);
        if all.first_error.is_none() {
            all.first_error = r.first_error;
        }
    }
    Ok(all)
}

fn samples<'a>(v: impl IntoIterator<Item = &'a Duration>) -> Samples {
    let mut s = Samples::default();
    for d in v {
        s.push(*d);
    }
    s
}

/// CPU seconds (user + system) a process has used, from /proc/<pid>/stat (clock ticks of 1/100 s).
fn cpu_seconds(pid: u32) -> f64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    let rest = text.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

/// The CPU the server and this tool used over a stretch, in cores.
struct Cpu {
    server: u32,
    at: Instant,
    server_s: f64,
    own_s: f64,
}

impl Cpu {
    fn start(server: u32) -> Cpu {
        Cpu {
            server,
            at: Instant::now(),
            server_s: cpu_seconds(server),
            own_s: cpu_seconds(std::process::id()),
        }
    }
    fn note(&self) -> String {
        let wall = self.at.elapsed().as_secs_f64().max(0.001);
        format!(
            "server {:.2} cores, load client {:.2} cores (of 2)",
            (cpu_seconds(self.server) - self.server_s) / wall,
            (cpu_seconds(std::process::id()) - self.own_s) / wall
        )
    }
}

async fn pairs(
    args: &Args,
    server: u32,
    rest: &Rest,
    template_id: &str,
    p: &People,
    device: &disk::Device,
    report: &mut Report,
) -> Result<()> {
    let duration = Duration::from_secs(args.duration);
    eprintln!(
        "pairs: {} clients for {} s ...",
        p.pairs.len(),
        args.duration
    );
    // A short warm-up, not counted.
    pair_run(rest, template_id, p, Duration::from_secs(1), None).await?;
    let f0 = device.flushes();
    let t = Instant::now();
    let cpu = Cpu::start(server);
    let run = pair_run(rest, template_id, p, duration, None).await?;
    let took = t.elapsed();
    let cpu_back_to_back = cpu.note();
    let f1 = device.flushes();
    let rate = run.pairs as f64 / took.as_secs_f64();
    let (sqlite_target, pg_target) = (2000.0, 1000.0);
    let target = if args.database_url.is_some() {
        pg_target
    } else {
        sqlite_target
    };
    report.add(
        "submit + approve pairs/s",
        if args.database_url.is_some() { "≥ 1,000" } else { "≥ 2,000" },
        format!("{rate:.0} pairs/s"),
        Some(rate >= target),
        format!(
            "{} clients, each submit then approve as the team head, back to back for {}; {} pairs acknowledged (2xx), {} failed{}; submit p50/p99 {}, approve p50/p99 {}; {}",
            p.pairs.len(),
            secs(took),
            run.pairs,
            run.failed,
            run.first_error.as_deref().map(|e| format!(" (first: {e})")).unwrap_or_default(),
            samples(&run.submit).p50_p99(),
            samples(&run.approve).p50_p99(),
            cpu_back_to_back
        ),
    );
    match (f0, f1) {
        (Some(a), Some(b)) => {
            let actions = (run.pairs * 2 + run.failed).max(1);
            report.add(
                "flushes per action",
                "–",
                format!("{:.2}", (b - a) as f64 / actions as f64),
                None,
                format!(
                    "flush requests the block device {} completed during the run (/proc/diskstats, machine-wide for that device: other processes' flushes count too) / {actions} actions ({:.0} flushes/s)",
                    device.name,
                    (b - a) as f64 / took.as_secs_f64()
                ),
            );
        }
        _ => report.add(
            "flushes per action",
            "–",
            "not measured".into(),
            None,
            "the block device's flush counter is not in /proc/diskstats".into(),
        ),
    }

    // Half that rate, paced.
    let half = (rate / 2.0).max(1.0);
    let per_client = half / p.pairs.len() as f64;
    let pace = Duration::from_secs_f64(1.0 / per_client);
    eprintln!("pairs at half the rate ({half:.0} pairs/s) ...");
    let t = Instant::now();
    let cpu = Cpu::start(server);
    let run = pair_run(rest, template_id, p, duration, Some(pace)).await?;
    let cpu_half = cpu.note();
    let took = t.elapsed();
    let all = samples(run.submit.iter().chain(&run.approve));
    let p99 = all.pct(99.0);
    report.add(
        "request p99 at half the rate",
        "< 15 ms",
        ms(p99),
        Some(p99 < Duration::from_millis(15)),
        format!(
            "{:.0} pairs/s offered, {:.0} achieved over {}; {} requests, p50 {}; submit p50/p99 {}, approve p50/p99 {}; {} failed; {}; each client paced (a late request is sent at once, latency from its own send)",
            half,
            run.pairs as f64 / took.as_secs_f64(),
            secs(took),
            all.len(),
            ms(all.pct(50.0)),
            samples(&run.submit).p50_p99(),
            samples(&run.approve).p50_p99(),
            run.failed,
            cpu_half
        ),
    );
    Ok(())
}

/// Up to `n` sequential timed GETs after a short warm-up, for at most a minute (at least three);
/// the last answer.
async fn timed_gets(rest: &Rest, path: &str, token: &str, n: usize) -> Result<(Samples, Value)> {
    for _ in 0..3 {
        let (took, _) = rest.get(path, token).await?;
        if took > Duration::from_secs(1) {
            break;
        }
    }
    let mut s = Samples::default();
    let mut last = Value::Null;
    let started = Instant::now();
    while s.len() < n && (s.len() < 3 || started.elapsed() < Duration::from_secs(60)) {
        let (took, v) = rest.get(path, token).await?;
        s.push(took);
        last = v;
    }
    Ok((s, last))
}

async fn boxes(
    args: &Args,
    rest: &Rest,
    org: &Org,
    tokens: &HashMap<usize, String>,
    p: &People,
    written: &bulk::Written,
    report: &mut Report,
) -> Result<()> {
    eprintln!("boxes ...");
    let tok = |i: usize| tokens.get(&i).cloned().unwrap_or_default();
    let head = p.sample[1];
    let cases: [(&str, &str, usize, &str, Duration); 5] = [
        (
            "todo, first page + count (few waiting)",
            "todo",
            head,
            "≤ 5 ms",
            Duration::from_millis(5),
        ),
        (
            "todo, first page + count (the most waiting)",
            "todo",
            1,
            "≤ 10 ms",
            Duration::from_millis(10),
        ),
        (
            "done, first page + count (heaviest approver)",
            "done",
            1,
            "≤ 20 ms",
            Duration::from_millis(20),
        ),
        (
            "done, first page + count (a team head)",
            "done",
            head,
            "≤ 20 ms",
            Duration::from_millis(20),
        ),
        (
            "mine, first page + count",
            "mine",
            written.busiest_applicant.0,
            "≤ 20 ms",
            Duration::from_millis(20),
        ),
    ];
    for (name, kind, who, target, limit) in cases {
        let token = tok(who);
        if token.is_empty() {
            // The busiest applicant was not signed in before the volume was written.
            continue;
        }
        let (s, v) = timed_gets(
            rest,
            &format!("/api/v1/approvals?box={kind}&limit=20"),
            &token,
            args.requests,
        )
        .await?;
        let p99 = s.pct(99.0);
        report.add(
            &format!("box {name}"),
            target,
            format!("{} p99", ms(p99)),
            Some(p99 <= limit),
            format!(
                "{} of {} ({}), total {}, {} items on the page; {} requests, p50 {}",
                org.userid(who),
                kind,
                match who {
                    1 => "finance: last step of every application",
                    w if w == head => "a team head",
                    _ => "the applicant with the most applications",
                },
                v["total"],
                v["items"].as_array().map_or(0, Vec::len),
                s.len(),
                ms(s.pct(50.0)),
            ),
        );
    }
    Ok(())
}

async fn stats(args: &Args, admin: &Api, template_id: &str, report: &mut Report) -> Result<()> {
    eprintln!("statistics ...");
    let to = now_ms();
    let from = to - 365 * 86_400_000;
    let q = [
        ("template_id", template_id.to_owned()),
        ("from", from.to_string()),
        ("to", to.to_string()),
    ];
    // One warm-up request.
    admin.timed_get("/api/v1/admin/approvals/stats", &q).await?;
    let mut s = Samples::default();
    let started = Instant::now();
    let mut last = Value::Null;
    // At most the requested count, and no longer than a minute.
    while s.len() < args.requests.min(50) && started.elapsed() < Duration::from_secs(60) {
        let (took, v) = admin.timed_get("/api/v1/admin/approvals/stats", &q).await?;
        s.push(took);
        last = v;
    }
    let p99 = s.pct(99.0);
    let counted = last["templates"]
        .as_array()
        .and_then(|a| a.first())
        .map(|t| t.to_string())
        .unwrap_or_default();
    let counted: String = counted.chars().take(160).collect();
    report.add(
        "statistics, one template over a year",
        "≤ 100 ms",
        format!("{} p99", ms(p99)),
        Some(p99 <= Duration::from_millis(100)),
        format!(
            "GET /admin/approvals/stats as the administrator, {} requests, p50 {}; computed from the rows on each request; first template line: {counted}",
            s.len(),
            ms(s.pct(50.0))
        ),
    );
    Ok(())
}

async fn handoff_figure(
    args: &Args,
    rest: &Rest,
    port: u16,
    template_id: &str,
    p: &People,
    report: &mut Report,
) -> Result<()> {
    eprintln!("hand-off ...");
    let [applicant, head, next] = &p.handoff;
    let mut socket = client::connect(port, next).await?;
    let mut s = Samples::default();
    let mut from_send = Samples::default();
    let mut early = 0;
    let mut missed = 0;
    let n = args.requests.min(200);
    for k in 0..n + 3 {
        let v = rest
            .call(
                Method::POST,
                "/api/v1/approvals",
                Some(applicant),
                Some(&json!({"template_id": template_id, "values": org::values(k)})),
            )
            .await?;
        let sp = v["sp_no"].as_str().context("no sp_no")?.to_owned();
        // Nothing earlier counts.
        while socket.frames.try_recv().is_ok() {}
        let sent = Instant::now();
        rest.call(
            Method::POST,
            &format!("/api/v1/approvals/{sp}/approve"),
            Some(head),
            Some(&json!({})),
        )
        .await?;
        let answered = Instant::now();
        let deadline = answered + Duration::from_secs(2);
        let mut arrived = None;
        while let Ok(Some((at, text))) =
            tokio::time::timeout_at(deadline.into(), socket.frames.recv()).await
        {
            if text.contains("\"event\"") && text.contains(&sp) {
                arrived = Some(at);
                break;
            }
        }
        if k < 3 {
            continue;
        }
        if let Some(at) = arrived {
            from_send.push(at - sent);
        }
        match arrived {
            Some(at) if at < answered => {
                early += 1;
                s.push(Duration::ZERO);
            }
            Some(at) => s.push(at - answered),
            None => missed += 1,
        }
    }
    // The card is pushed once the approval commits, which can be before its HTTP answer has been
    // read: the figure is taken from the moment the approve request was sent (an upper bound of
    // the hand-off, the approval's own time included); from the answer it is given beside it.
    let p99 = from_send.pct(99.0);
    report.add(
        "hand-off to the next approver's socket",
        "≤ 50 ms p99",
        if from_send.is_empty() { "not measured".into() } else { format!("{} p99", ms(p99)) },
        if from_send.is_empty() { None } else { Some(p99 <= Duration::from_millis(50) && missed == 0) },
        format!(
            "{n} approvals by the team head, one at a time, the department head's socket open; time from sending the approve request to the `event` frame naming the sp_no (the card): p50 {}, max {}; from the approve answer: p99 {} ({early} of {} arrived before the answer was read, counted as 0); {missed} not within 2 s",
            ms(from_send.pct(50.0)),
            ms(from_send.max()),
            ms(s.pct(99.0)),
            s.len()
        ),
    );
    Ok(())
}

async fn wecom(
    args: &Args,
    admin: &Api,
    rest: &Rest,
    corp_id: &str,
    report: &mut Report,
) -> Result<()> {
    eprintln!("WeCom OA ...");
    let app = admin
        .call(
            Method::POST,
            "/api/v1/admin/apps",
            Some(json!({"name": "审批基准应用", "scopes": ["approval"]})),
        )
        .await;
    let secret = match app {
        Ok(v) => v["secret"].as_str().map(str::to_owned),
        Err(e) => {
            for (name, target) in [
                ("oa/getapprovalinfo p99", "≤ 20 ms"),
                ("oa/getapprovaldetail p99", "≤ 10 ms"),
            ] {
                report.add(
                    name,
                    target,
                    "not measured".into(),
                    None,
                    format!("no app with the `approval` scope could be created: {e:#}"),
                );
            }
            return Ok(());
        }
    };
    let secret = secret.context("no secret in the new app")?;
    let tok = rest
        .call(
            Method::GET,
            &format!("/cgi-bin/gettoken?corpid={corp_id}&corpsecret={secret}"),
            None,
            None,
        )
        .await?;
    let token = tok["access_token"]
        .as_str()
        .context("no access_token")?
        .to_owned();
    // The 31 days before today: the most one call may span.
    let end = now_ms() / 1000 - 86_400;
    let start = end - 30 * 86_400;
    let info_path = format!("/cgi-bin/oa/getapprovalinfo?access_token={token}");
    let body = json!({"starttime": start.to_string(), "endtime": end.to_string(), "new_cursor": "", "size": 100});
    let mut s = Samples::default();
    let mut sp_nos: Vec<String> = Vec::new();
    let mut last = Value::Null;
    for k in 0..args.requests + 3 {
        let (took, status, v) = rest
            .timed(Method::POST, &info_path, None, Some(&body))
            .await?;
        if !status.is_success() || v["errcode"].as_i64() != Some(0) {
            bail!("oa/getapprovalinfo: {status}: {v}");
        }
        if k >= 3 {
            s.push(took);
        }
        if sp_nos.is_empty() {
            sp_nos = v["sp_no_list"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
        }
        last = v;
    }
    let p99 = s.pct(99.0);
    report.add(
        "oa/getapprovalinfo p99",
        "≤ 20 ms",
        ms(p99),
        Some(p99 <= Duration::from_millis(20)),
        format!(
            "first page (size 100) of the 31 days before today, {} requests, p50 {}; {} sp_nos on the page, new_next_cursor {}",
            s.len(),
            ms(s.pct(50.0)),
            sp_nos.len(),
            if last["new_next_cursor"].is_null() { "absent" } else { "present" }
        ),
    );
    if sp_nos.is_empty() {
        report.add(
            "oa/getapprovaldetail p99",
            "≤ 10 ms",
            "not measured".into(),
            None,
            "no sp_no to ask about".into(),
        );
        return Ok(());
    }
    let path = format!("/cgi-bin/oa/getapprovaldetail?access_token={token}");
    let mut s = Samples::default();
    for k in 0..args.requests + 3 {
        let sp = &sp_nos[k % sp_nos.len()];
        let (took, status, v) = rest
            .timed(Method::POST, &path, None, Some(&json!({"sp_no": sp})))
            .await?;
        if !status.is_success() || v["errcode"].as_i64() != Some(0) {
            bail!("oa/getapprovaldetail {sp}: {status}: {v}");
        }
        if k >= 3 {
            s.push(took);
        }
    }
    let p99 = s.pct(99.0);
    report.add(
        "oa/getapprovaldetail p99",
        "≤ 10 ms",
        ms(p99),
        Some(p99 <= Duration::from_millis(10)),
        format!(
            "{} requests over {} sp_nos from the list, p50 {}",
            s.len(),
            sp_nos.len(),
            ms(s.pct(50.0))
        ),
    );
    Ok(())
}
