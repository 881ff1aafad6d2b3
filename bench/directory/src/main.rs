//! Directory benchmark for Qixie: builds a large synthetic enterprise, imports it through the real
//! HTTP endpoint, and measures what the people using it would feel: paging a big subtree, searching
//! the directory, signing in while others browse, starting the server, and its memory.
//!
//! It spawns the release `qixie` binary on a fresh data directory and a free loopback port, drives it
//! with reqwest, prints one table and exits 0. See bench/README.md for the commands and
//! docs/benchmarks.md for recorded figures.
mod synth;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use reqwest::Method;
use serde_json::json;

use bench_common::client::Api;
use bench_common::server::{Installation, Server};
use bench_common::stats::{Samples, ms, secs};
use bench_common::{fresh_data_dir, load_average, locate_binary, today_utc};
use synth::{CORP_NAME, Directory, Level, Rng};

const ADMIN: &str = "admin";
const ADMIN_PW: &str = "Bench2026x";
/// Initial password of the sign-in burst accounts.
const BURST_PW: &str = "Burst#2026pw";
/// The server's default upload limit; bigger import files need QIXIE_MAX_UPLOAD_BYTES.
const DEFAULT_UPLOAD_LIMIT: usize = 20 * 1024 * 1024;

const USAGE: &str = "\
bench-directory: measures Qixie on a large directory (import, subtree listing, search, sign-in burst,
startup, memory) against the real qixie binary.

Options:
  --qixie PATH           the qixie binary (default: target/release/qixie)
  --members N            members to import (default 100000)
  --departments M        departments including the root (default 5000)
  --database-url URL     run on this PostgreSQL database (must be empty); SQLite when absent
  --requests R           timed requests per latency figure (default 300)
  --logins L             concurrent sign-ins in the burst (default 200)
  --keep                 keep the data directory (SQLite database, server logs) afterwards
  -h, --help             this text";

struct Args {
    qixie: PathBuf,
    members: usize,
    departments: usize,
    database_url: Option<String>,
    requests: usize,
    logins: usize,
    keep: bool,
}

fn parse_args() -> Result<Option<Args>> {
    let mut a = Args {
        qixie: PathBuf::from("target/release/qixie"),
        members: 100_000,
        departments: 5_000,
        database_url: None,
        requests: 300,
        logins: 200,
        keep: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        let mut value = || -> Result<String> {
            inline
                .clone()
                .or_else(|| it.next())
                .with_context(|| format!("{flag} needs a value"))
        };
        let number = |v: String| -> Result<usize> {
            v.replace('_', "")
                .parse()
                .with_context(|| format!("{flag} takes a number, not {v:?}"))
        };
        match flag.as_str() {
            "--qixie" => a.qixie = PathBuf::from(value()?),
            "--members" => a.members = number(value()?)?,
            "--departments" => a.departments = number(value()?)?,
            "--database-url" => a.database_url = Some(value()?),
            "--requests" => a.requests = number(value()?)?.max(1),
            "--logins" => a.logins = number(value()?)?.max(1),
            "--keep" => a.keep = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => bail!("unknown option {other}\n\n{USAGE}"),
        }
    }
    Ok(Some(a))
}

/// One line of the result table.
struct Row {
    figure: String,
    target: &'static str,
    measured: String,
    detail: String,
}

#[derive(Default)]
struct Report {
    rows: Vec<Row>,
    notes: Vec<String>,
}

impl Report {
    fn row(&mut self, figure: &str, target: &'static str, measured: String, detail: String) {
        // Printed as soon as measured, so a long run shows progress.
        eprintln!("  {figure}: {measured}  ({detail})");
        self.rows.push(Row {
            figure: figure.to_owned(),
            target,
            measured,
            detail,
        });
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => return std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-directory: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    match run(&args).await {
        Ok(report) => {
            print_report(&args, &report);
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench-directory: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> Result<Report> {
    let qixie = locate_binary(&args.qixie)?;
    let data_dir = fresh_data_dir("bench")?;
    eprintln!("data directory: {}", data_dir.display());
    let result = run_in(args, qixie, data_dir.clone()).await;
    if args.keep || result.is_err() {
        eprintln!("kept {}", data_dir.display());
    } else if let Err(e) = std::fs::remove_dir_all(&data_dir) {
        eprintln!("cannot remove {}: {e}", data_dir.display());
    }
    result
}

async fn run_in(args: &Args, qixie: PathBuf, data_dir: PathBuf) -> Result<Report> {
    let mut report = Report::default();
    let load_at_start = load_average();
    if let Some(url) = &args.database_url {
        ensure_empty_database(url).await?;
    }

    // The enterprise and its import file.
    let t = Instant::now();
    let dir = synth::generate(args.members, args.departments)?;
    let csv = dir.to_csv();
    eprintln!(
        "generated {} members in {} departments, {:.1} MiB of CSV, in {}",
        dir.members.len(),
        dir.depts.len() + 1,
        csv.len() as f64 / 1048576.0,
        secs(t.elapsed())
    );
    let max_upload_bytes = (csv.len() + 64 * 1024 > DEFAULT_UPLOAD_LIMIT).then(|| {
        let mib = (csv.len() * 2).div_ceil(1024 * 1024);
        report.notes.push(format!(
            "The import file ({:.1} MiB) exceeds the default 20 MiB upload limit: the server ran with QIXIE_MAX_UPLOAD_BYTES={}.",
            csv.len() as f64 / 1048576.0,
            mib * 1024 * 1024
        ));
        mib * 1024 * 1024
    });
    let install = Installation {
        qixie,
        data_dir,
        database_url: args.database_url.clone(),
        max_upload_bytes,
        fast_hash: false,
        env: Vec::new(),
    };
    let corp_id = install.init(CORP_NAME, ADMIN, ADMIN_PW)?;

    // First server: import and set-up.
    let mut srv = install.serve("import")?;
    srv.wait_ready(Duration::from_secs(60)).await?;
    let mut admin = Api::new(&srv.base)?;
    admin.login(&corp_id, ADMIN, ADMIN_PW).await?;
    bench_import(&mut report, &admin, &srv, &dir, csv).await?;
    report.notes.push(format!(
        "Peak resident memory of the server during the import: {}.",
        srv.memory()?.peak_mib()
    ));
    let ids = department_ids(&admin, &dir).await?;
    setup_leaders_and_accounts(&admin, &dir, &ids, args.logins, &mut report).await?;
    srv.stop(Duration::from_secs(20))?;

    // Second server on the existing database: startup, memory, then the workload.
    let mut srv = install.serve("main")?;
    let startup = srv.wait_ready(Duration::from_secs(120)).await?;
    report.row(
        "Startup: spawn until /readyz 200",
        "< 1 s",
        ms(startup),
        format!(
            "qixie serve on the existing {}-member database",
            dir.members.len()
        ),
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    let idle = srv.memory()?;
    report.row(
        "Idle RSS after startup (+5 s)",
        "< 60 MB",
        idle.rss_mib(),
        format!(
            "VmRSS of qixie serve; {:.1} MB",
            idle.rss_kib as f64 * 1.024 / 1000.0
        ),
    );

    let mut admin = Api::new(&srv.base)?;
    admin.login(&corp_id, ADMIN, ADMIN_PW).await?;
    bench_subtree(&mut report, &admin, &dir, &ids, args.requests).await?;
    let queries = search_queries(&dir, args.requests);
    bench_search(&mut report, &admin, &queries).await?;
    // Memory is sampled between phases too: reads grow the database page caches, sign-ins the
    // password hasher's allocations, and the two are fixed differently.
    let after_reads = srv.memory()?;
    bench_signin_burst(&mut report, &srv, &admin, &corp_id, &queries, args.logins).await?;

    let after = srv.memory()?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let settled = srv.memory()?;
    report.row(
        "RSS after the workload",
        "-",
        after.rss_mib(),
        format!(
            "{} after the listing and search phases, before the sign-in burst; {} after 5 s more idle; peak {}",
            after_reads.rss_mib(),
            settled.rss_mib(),
            settled.peak_mib()
        ),
    );
    srv.stop(Duration::from_secs(20))?;
    // Other work on the machine moves every figure; say how busy it was.
    report.notes.push(format!(
        "Load average (1 min) when the run started: {load_at_start}; when it ended: {}.",
        load_average()
    ));
    if let Some(url) = &args.database_url {
        report
            .notes
            .push(format!("The PostgreSQL database {url} was left in place."));
    }
    Ok(report)
}

/// Refuses a PostgreSQL database that already holds an enterprise: the figures would be wrong.
async fn ensure_empty_database(url: &str) -> Result<()> {
    let db = qixie_kernel::db::Database::connect(url)
        .await
        .with_context(|| format!("cannot connect to {url}"))?;
    let existing = db
        .one::<(i64,)>(qixie_kernel::db::sql("SELECT COUNT(*) FROM corps"))
        .await;
    db.close().await;
    if let Ok((n,)) = existing
        && n > 0
    {
        bail!("{url} already holds {n} enterprise(s); give a freshly created database");
    }
    Ok(())
}

/// Rows per file when the single upload fails and the directory is loaded in several instead.
const FALLBACK_ROWS: usize = 500;
const IMPORT_PATH: &str = "/api/v1/admin/members/import";

/// Figure 1: the whole directory in one CSV upload. Should the server fail it, the failure is the
/// figure, and the directory is then loaded in smaller files so the other figures can be measured.
async fn bench_import(
    report: &mut Report,
    admin: &Api,
    srv: &Server,
    dir: &Directory,
    csv: Vec<u8>,
) -> Result<()> {
    let size = csv.len();
    let figure = format!(
        "Import {} members / {} departments",
        dir.members.len(),
        dir.depts.len() + 1
    );
    eprintln!("importing ...");
    let (took, status, r) = admin
        .upload(
            IMPORT_PATH,
            "members.csv",
            csv,
            &[("mode", "valid_rows")],
            Duration::from_secs(3600),
        )
        .await
        .context("import")?;
    if status.is_success() {
        let created = applied_cleanly(&r, dir.members.len())?;
        report.row(
            &figure,
            "-",
            secs(took),
            format!(
                "one {:.1} MiB CSV upload; {:.0} rows/s; {} departments created",
                size as f64 / 1048576.0,
                created as f64 / took.as_secs_f64(),
                r["departments_created"]
            ),
        );
        return Ok(());
    }
    let code = r["error"]["code"].as_str().unwrap_or("?").to_owned();
    report.row(
        &figure,
        "-",
        "FAILED".into(),
        format!(
            "one {:.1} MiB CSV upload answered {status} ({code}) after {}; server log: {}",
            size as f64 / 1048576.0,
            secs(took),
            srv.last_error().unwrap_or_else(|| "nothing".into())
        ),
    );
    report.notes.push(format!(
        "The single-file import failed, so the directory was loaded in files of {FALLBACK_ROWS} rows \
         (each retried after a server error) to measure the other figures; that time is not the figure asked for."
    ));
    let chunks = dir.to_csv_chunks(FALLBACK_ROWS);
    let files = chunks.len();
    let started = Instant::now();
    let (mut retries, mut created) = (0, 0);
    for (i, chunk) in chunks.into_iter().enumerate() {
        let rows = (dir.members.len() - i * FALLBACK_ROWS).min(FALLBACK_ROWS);
        for attempt in 1.. {
            let (_, status, r) = admin
                .upload(
                    IMPORT_PATH,
                    &format!("members-{i}.csv"),
                    chunk.clone(),
                    &[("mode", "valid_rows")],
                    Duration::from_secs(600),
                )
                .await?;
            if status.is_success() {
                created += applied_cleanly(&r, rows)?;
                break;
            }
            // A failed import rolls back as a whole, so trying the same file again is safe.
            if !status.is_server_error() || attempt == 5 {
                bail!("file {i} of the fallback import: {status}: {r}");
            }
            retries += 1;
        }
    }
    report.row(
        &format!("  fallback: {files} files of {FALLBACK_ROWS} rows"),
        "-",
        secs(started.elapsed()),
        format!("{created} members created; {retries} files retried after a server error"),
    );
    Ok(())
}

/// The number of members an import report says it created, when every row was applied.
fn applied_cleanly(r: &serde_json::Value, rows: usize) -> Result<usize> {
    let created = r["created"].as_u64().unwrap_or(0) as usize;
    let invalid = r["invalid"].as_u64().unwrap_or(0);
    if created != rows || invalid > 0 || r["applied"] != json!(true) {
        let first: Vec<String> = r["errors"]
            .as_array()
            .map(|e| e.iter().take(5).map(|x| x.to_string()).collect())
            .unwrap_or_default();
        bail!(
            "the import did not apply cleanly: created {created} of {rows}, {invalid} invalid rows; first errors: {}",
            first.join(", ")
        );
    }
    Ok(created)
}

/// Department id of every generated department, looked up by path in the directory's flat list.
async fn department_ids(admin: &Api, dir: &Directory) -> Result<Vec<i64>> {
    let list = admin.get("/api/v1/directory/departments").await?;
    let items = list["items"].as_array().context("no departments")?;
    let by_parent_name: HashMap<(i64, &str), i64> = items
        .iter()
        .filter_map(|d| {
            Some((
                (d["parent_id"].as_i64()?, d["name"].as_str()?),
                d["id"].as_i64()?,
            ))
        })
        .collect();
    if items.len() != dir.depts.len() + 1 {
        bail!(
            "the server lists {} departments, expected {}",
            items.len(),
            dir.depts.len() + 1
        );
    }
    dir.depts
        .iter()
        .map(|d| {
            let mut id = 1;
            for name in &d.path {
                id = *by_parent_name
                    .get(&(id, name.as_str()))
                    .with_context(|| format!("department {} not found", d.path.join("/")))?;
            }
            Ok(id)
        })
        .collect()
}

/// Department leaders for subsidiaries and departments (teams have a head through 直属上级 only),
/// and the accounts of the sign-in burst, each with an initial password (real argon2 hashing).
async fn setup_leaders_and_accounts(
    admin: &Api,
    dir: &Directory,
    ids: &[i64],
    logins: usize,
    report: &mut Report,
) -> Result<()> {
    let t = Instant::now();
    let mut n = 0;
    for (d, id) in dir.depts.iter().zip(ids) {
        if d.level != Level::Team {
            let leader = &dir.members[d.head].userid;
            admin
                .call(
                    Method::PATCH,
                    &format!("/api/v1/admin/departments/{id}"),
                    Some(json!({"leader_userids": [leader]})),
                )
                .await?;
            n += 1;
        }
    }
    let leaders_took = t.elapsed();
    let t = Instant::now();
    let mut rng = Rng::new(0xB0_2026);
    let total_weight = synth::surname_weight_total();
    for i in 0..logins {
        let (name, _, _) = synth::person_name(&mut rng, total_weight);
        admin
            .call(
                Method::POST,
                "/api/v1/admin/members",
                Some(json!({"userid": burst_userid(i), "name": name, "department_ids": [1], "initial_password": BURST_PW})),
            )
            .await
            .with_context(|| format!("creating {}", burst_userid(i)))?;
    }
    report.notes.push(format!(
        "Set-up (not timed as a figure): {n} department leaders set in {}; {logins} sign-in accounts created with initial passwords in {}.",
        secs(leaders_took),
        secs(t.elapsed())
    ));
    Ok(())
}

fn burst_userid(i: usize) -> String {
    format!("burst{:04}", i + 1)
}

/// Figure 2: paging the largest subsidiary's subtree as an administrator.
async fn bench_subtree(
    report: &mut Report,
    admin: &Api,
    dir: &Directory,
    ids: &[i64],
    requests: usize,
) -> Result<()> {
    let sub = ids[0];
    let expected = dir.largest_subsidiary_members as u64;
    let mut rng = Rng::new(0x11_57);
    // The first page, and four fixed random pages further in.
    let mut offsets = vec![0u64];
    let pages = (expected / 50).max(1);
    offsets.extend((0..4).map(|_| (rng.next_u64() % pages) * 50));
    let query = |offset: u64| {
        vec![
            ("department_id", sub.to_string()),
            ("recursive", "true".to_owned()),
            ("limit", "50".to_owned()),
            ("offset", offset.to_string()),
        ]
    };
    let path = "/api/v1/admin/members";
    for o in &offsets {
        admin.timed_get(path, &query(*o)).await?; // warm-up
    }
    let (mut all, mut first) = (Samples::default(), Samples::default());
    let mut total = 0;
    for i in 0..requests {
        let o = offsets[i % offsets.len()];
        let (took, v) = admin.timed_get(path, &query(o)).await?;
        total = v["total"].as_u64().unwrap_or(0);
        if v["items"].as_array().map_or(0, Vec::len) == 0 {
            bail!("GET {path} offset {o} returned no members");
        }
        all.push(took);
        if o == 0 {
            first.push(took);
        }
    }
    if total != expected {
        report.notes.push(format!(
            "The subtree listing reported total {total}, the generator put {expected} members there."
        ));
    }
    report.row(
        &format!("Subtree list p50 / p99 ({total} members)"),
        "-",
        all.p50_p99(),
        format!(
            "{} requests, limit 50, offsets {:?}; first page {}",
            all.len(),
            offsets,
            first.p50_p99()
        ),
    );
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum QueryKind {
    Initials,
    ChineseName,
    UseridPrefix,
    MobileFragment,
}

const KINDS: [QueryKind; 4] = [
    QueryKind::Initials,
    QueryKind::ChineseName,
    QueryKind::UseridPrefix,
    QueryKind::MobileFragment,
];

/// `n` search queries in rotation over the four kinds, each taken from a random member.
fn search_queries(dir: &Directory, n: usize) -> Vec<(QueryKind, String)> {
    let mut rng = Rng::new(0x5EA_2C4);
    (0..n)
        .map(|i| {
            let p = &dir.members[rng.below(dir.members.len())];
            let kind = KINDS[i % KINDS.len()];
            let q = match kind {
                // Two or three letters: 王伟 → "ww", 李晓明 → "lxm".
                QueryKind::Initials => p.initials.clone(),
                QueryKind::ChineseName => p.name.clone(),
                // The userid without its last two digits: "zhangwei123" → "zhangwei1".
                QueryKind::UseridPrefix => {
                    let keep = p.userid.len().saturating_sub(2).max(1);
                    p.userid[..keep].to_owned()
                }
                // The last four to seven digits, as someone reading a number would type them.
                QueryKind::MobileFragment => {
                    let len = 4 + rng.below(4);
                    p.mobile[p.mobile.len() - len..].to_owned()
                }
            };
            (kind, q)
        })
        .collect()
}

/// Figure 3: directory search as a member would use it.
async fn bench_search(
    report: &mut Report,
    api: &Api,
    queries: &[(QueryKind, String)],
) -> Result<()> {
    let path = "/api/v1/directory/members";
    for (_, q) in queries.iter().take(8) {
        api.timed_get(path, &[("q", q.clone())]).await?; // warm-up
    }
    let mut all = Samples::default();
    // Per kind: latencies, and how many queries found nothing / fit in the first page of 50.
    let mut by_kind: HashMap<&'static str, (Samples, usize, usize)> = HashMap::new();
    let mut hits = 0u64;
    for (kind, q) in queries {
        let (took, v) = api.timed_get(path, &[("q", q.clone())]).await?;
        let total = v["total"].as_u64().unwrap_or(0);
        hits += total;
        all.push(took);
        let k = by_kind.entry(kind_name(*kind)).or_default();
        k.0.push(took);
        k.1 += usize::from(total == 0);
        k.2 += usize::from(total <= 50);
    }
    let per_kind: Vec<String> = KINDS
        .iter()
        .map(|k| {
            let (s, none, one_page) = by_kind.get(kind_name(*k)).cloned().unwrap_or_default();
            format!(
                "{} {} ({} of {} within one page, {} empty)",
                kind_name(*k),
                s.p50_p99(),
                one_page,
                s.len(),
                none
            )
        })
        .collect();
    report.row(
        "Member search p50 / p99",
        "p99 < 20 ms",
        all.p50_p99(),
        format!(
            "{} queries, default page (50); {}; mean hits {:.0}",
            all.len(),
            per_kind.join("; "),
            hits as f64 / queries.len().max(1) as f64,
        ),
    );
    Ok(())
}

fn kind_name(k: QueryKind) -> &'static str {
    match k {
        QueryKind::Initials => "initials",
        QueryKind::ChineseName => "name",
        QueryKind::UseridPrefix => "userid",
        QueryKind::MobileFragment => "mobile",
    }
}

/// What the browsing member does during the burst, in a loop: the department tree, a search, and
/// the liveness probe.
#[derive(Default, Clone)]
struct Probe {
    departments: Samples,
    search: Samples,
    healthz: Samples,
    /// Size of the department list as JSON (re-encoded compactly, as the server sends it).
    departments_bytes: usize,
}

async fn probe_round(api: &Api, q: &str, into: &mut Probe) -> Result<()> {
    let (t, list) = api.timed_get("/api/v1/directory/departments", &[]).await?;
    into.departments.push(t);
    if into.departments_bytes == 0 {
        into.departments_bytes = serde_json::to_vec(&list).map_or(0, |b| b.len());
    }
    let (t, _) = api
        .timed_get("/api/v1/directory/members", &[("q", q.to_owned())])
        .await?;
    into.search.push(t);
    let started = Instant::now();
    let r = api
        .get_raw("/healthz")
        .await
        .context("GET /healthz during the burst")?;
    if !r.is_success() {
        bail!("GET /healthz: {r}");
    }
    into.healthz.push(started.elapsed());
    Ok(())
}

/// Figure 4: many people signing in at once (real argon2) while a signed-in member browses.
async fn bench_signin_burst(
    report: &mut Report,
    srv: &Server,
    admin: &Api,
    corp_id: &str,
    queries: &[(QueryKind, String)],
    logins: usize,
) -> Result<()> {
    // The same browsing without a burst, for comparison.
    let mut baseline = Probe::default();
    for i in 0..30 {
        probe_round(admin, &queries[i % queries.len()].1, &mut baseline).await?;
    }

    let stop = Arc::new(AtomicBool::new(false));
    let browser = {
        let stop = stop.clone();
        let api = Api::new(&srv.base)?;
        let mut api = api;
        api.login(corp_id, ADMIN, ADMIN_PW).await?;
        let qs: Vec<String> = queries.iter().map(|q| q.1.clone()).collect();
        tokio::spawn(async move {
            let mut p = Probe::default();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                probe_round(&api, &qs[i % qs.len()], &mut p).await?;
                i += 1;
            }
            anyhow::Ok(p)
        })
    };
    // Let the browser get going before the crowd arrives.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()?;
    let url = format!("{}/api/v1/auth/login", srv.base);
    let started = Instant::now();
    let tasks: Vec<_> = (0..logins)
        .map(|i| {
            let http = http.clone();
            let url = url.clone();
            let body = json!({"corp_id": corp_id, "account": burst_userid(i), "password": BURST_PW, "client": "api", "device": "bench"});
            tokio::spawn(async move {
                let t = Instant::now();
                let r = http.post(&url).json(&body).send().await;
                let status = match r {
                    Ok(r) => {
                        let s = r.status();
                        let _ = r.bytes().await;
                        s.as_u16()
                    }
                    Err(_) => 0,
                };
                (status, t.elapsed())
            })
        })
        .collect();
    let mut login_times = Samples::default();
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for t in tasks {
        let (status, took) = t.await.context("a sign-in task failed")?;
        *statuses.entry(status).or_default() += 1;
        login_times.push(took);
    }
    let burst = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let during = browser
        .await
        .context("the browsing task failed")?
        .context("browsing during the burst")?;

    let ok = statuses.get(&200).copied().unwrap_or(0);
    let mut status_text: Vec<String> = statuses.iter().map(|(s, n)| format!("{n}×{s}")).collect();
    status_text.sort();
    report.row(
        &format!("Sign-in burst: {logins} concurrent logins"),
        "-",
        secs(burst),
        format!(
            "{} answered 200 ({}); each login p50 / p99 {}; {:.1} logins/s",
            ok,
            status_text.join(", "),
            login_times.p50_p99(),
            logins as f64 / burst.as_secs_f64()
        ),
    );
    report.row(
        "  during burst: GET /directory/departments",
        "p99 < 50 ms",
        during.departments.p50_p99(),
        format!(
            "{} requests; without a burst {}; {} KiB of JSON",
            during.departments.len(),
            baseline.departments.p50_p99(),
            baseline.departments_bytes / 1024
        ),
    );
    report.row(
        "  during burst: directory search",
        "p99 < 50 ms",
        during.search.p50_p99(),
        format!(
            "{} requests; without a burst {}",
            during.search.len(),
            baseline.search.p50_p99()
        ),
    );
    report.row(
        "  during burst: GET /healthz",
        "p99 < 50 ms",
        during.healthz.p50_p99(),
        format!(
            "{} requests; max {}; without a burst {}",
            during.healthz.len(),
            ms(during.healthz.max()),
            baseline.healthz.p50_p99()
        ),
    );
    if ok != logins {
        report.notes.push(format!(
            "Only {ok} of {logins} sign-ins answered 200: {}.",
            status_text.join(", ")
        ));
    }
    Ok(())
}

fn print_report(args: &Args, report: &Report) {
    let engine = if args.database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!(
        "Qixie directory benchmark, {} UTC: {} members, {} departments, {engine}, {cores} cores",
        today_utc(),
        args.members,
        args.departments
    );
    println!();
    let headers = ["figure", "target", "measured", "detail"];
    let cells: Vec<[&str; 4]> = report
        .rows
        .iter()
        .map(|r| {
            [
                r.figure.as_str(),
                r.target,
                r.measured.as_str(),
                r.detail.as_str(),
            ]
        })
        .collect();
    let width = |i: usize| {
        cells
            .iter()
            .map(|c| c[i].chars().count())
            .chain([headers[i].len()])
            .max()
            .unwrap_or(0)
    };
    let w = [width(0), width(1), width(2)];
    let line = |c: [&str; 4]| {
        println!(
            "| {:<w0$} | {:<w1$} | {:>w2$} | {} |",
            c[0],
            c[1],
            c[2],
            c[3],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2]
        );
    };
    line(headers);
    println!(
        "|{}|{}|{}|---|",
        "-".repeat(w[0] + 2),
        "-".repeat(w[1] + 2),
        "-".repeat(w[2] + 2)
    );
    for c in cells {
        line(c);
    }
    if !report.notes.is_empty() {
        println!();
        for n in &report.notes {
            println!("- {n}");
        }
    }
}
