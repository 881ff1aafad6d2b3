//! Upload parsers under hostile files (zip bombs, too many rows or columns), the guarded outbound
//! client on batch job callbacks, and `qixie init` on a data directory that already has an
//! enterprise.
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::*;

/// The process's peak resident memory (VmHWM) in MiB: the server runs inside the test process.
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024
}

/// An XLSX whose one worksheet is a single inline-string cell of `mib` MiB of the same letter: a
/// few hundred KiB of zip that inflates to hundreds of MiB.
fn zip_bomb_xlsx(mib: usize) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .large_file(true);
    let small = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
    ];
    for (name, text) in small {
        w.start_file(name, opts).unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
    w.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>"#).unwrap();
    let chunk = vec![b'A'; 1024 * 1024];
    for _ in 0..mib {
        w.write_all(&chunk).unwrap();
    }
    w.write_all(b"</t></is></c></row></sheetData></worksheet>")
        .unwrap();
    w.finish().unwrap().into_inner()
}

both!(zip_bomb_xlsx_is_refused, async |app: &TestApp| {
    let bomb = zip_bomb_xlsx(300);
    assert!(bomb.len() < 2 * 1024 * 1024, "{} bytes", bomb.len());
    let mut c = app.admin().await;
    c.lang = Some("en");
    let (s, b) = c
        .upload(
            "/api/v1/admin/members/import",
            "bomb.xlsx",
            bomb.clone(),
            &[],
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::PAYLOAD_TOO_LARGE, "upload_too_large"),
        "{b}"
    );
    assert_eq!(
        b["error"]["details"]["limit"],
        json!("max_decompressed_bytes")
    );
    assert_eq!(b["error"]["details"]["max"], json!(100 * 1024 * 1024));
    let msg = b["error"]["message"].as_str().unwrap();
    assert!(msg.contains("100 MiB"), "{msg}");
    c.lang = Some("zh-CN");
    let (_, b) = c
        .upload("/api/v1/admin/members/import", "bomb.xlsx", bomb, &[])
        .await;
    let msg = b["error"]["message"].as_str().unwrap();
    assert!(msg.contains("解压") && msg.contains("100 MiB"), "{msg}");
    // Refused from the archive's sizes, without inflating it into memory.
    let peak = peak_rss_mib();
    assert!(peak < 300, "peak RSS {peak} MiB");
    // Nothing was imported.
    let (_, list) = c.get("/api/v1/admin/members?limit=5").await;
    assert_eq!(list["total"], json!(1), "{list}");
});

both!(
    csv_with_too_many_columns_is_refused,
    async |app: &TestApp| {
        let mut c = app.admin().await;
        c.lang = Some("en");
        let mut csv = String::from("姓名,帐号,部门\n");
        csv.push_str("张三,zs,总公司");
        csv.push_str(&",x".repeat(250));
        csv.push('\n');
        let (s, b) = c
            .upload(
                "/api/v1/admin/members/import",
                "wide.csv",
                csv.into_bytes(),
                &[],
            )
            .await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::PAYLOAD_TOO_LARGE, "upload_too_large"),
            "{b}"
        );
        assert_eq!(b["error"]["details"]["limit"], json!("max_columns"));
        let msg = b["error"]["message"].as_str().unwrap();
        assert!(msg.contains("200 columns"), "{msg}");
        // Trailing empty cells, as spreadsheets save them, are not columns.
        let csv = format!(
            "姓名,帐号,部门{}\n张三,zs,总公司{}\n",
            ",".repeat(300),
            ",".repeat(300)
        );
        let (s, b) = c
            .upload(
                "/api/v1/admin/members/import",
                "ok.csv",
                csv.into_bytes(),
                &[],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["created"], json!(1), "{b}");
    }
);

/// Runs `body` on a server with a configuration of its own, on both engines.
macro_rules! both_with {
    ($name:ident, $tweak:expr, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = TestApp::spawn_with(Engine::Sqlite, $tweak).await;
                ($body)(&app).await;
                app.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = TestApp::spawn_with(Engine::Postgres, $tweak).await;
                ($body)(&app).await;
                app.finish().await;
            }
        }
    };
}

both_with!(
    csv_with_too_many_rows_is_refused,
    |c: &mut qixie_kernel::config::Config| c.upload_limits.max_rows = 5,
    async |app: &TestApp| {
        let mut c = app.admin().await;
        c.lang = Some("en");
        let rows = |n: usize| {
            let mut csv = String::from("姓名,帐号,部门\n");
            for i in 0..n {
                csv.push_str(&format!("成员{i},m{i},总公司\n"));
            }
            csv.into_bytes()
        };
        let (s, b) = c
            .upload("/api/v1/admin/members/import", "six.csv", rows(6), &[])
            .await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::PAYLOAD_TOO_LARGE, "upload_too_large"),
            "{b}"
        );
        assert_eq!(
            b["error"]["details"],
            json!({"limit": "max_rows", "max": 5})
        );
        assert!(
            b["error"]["message"]
                .as_str()
                .unwrap()
                .contains("5 data rows"),
            "{b}"
        );
        let (_, list) = c.get("/api/v1/admin/members?limit=5").await;
        assert_eq!(list["total"], json!(1), "nothing imported: {list}");
        let (s, b) = c
            .upload("/api/v1/admin/members/import", "five.csv", rows(5), &[])
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["created"], json!(5), "{b}");
    }
);

// A streamed import reads the file twice; both passes see the same rows, leaders further down the
// file included, across chunk boundaries.
both!(large_import_links_later_leaders, async |app: &TestApp| {
    let c = app.admin().await;
    let n = 4500;
    let mut csv = String::from("姓名,帐号,部门,直属上级\n");
    for i in 0..n {
        // Each member's leader is the next row; the last one has none.
        let leader = if i + 1 < n {
            format!("u{}", i + 1)
        } else {
            String::new()
        };
        csv.push_str(&format!("成员{i},u{i},总公司/部门{},{leader}\n", i % 7));
    }
    let (s, b) = c
        .upload(
            "/api/v1/admin/members/import",
            "big.csv",
            csv.into_bytes(),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["created"].as_i64(), b["invalid"].as_i64()),
        (Some(n as i64), Some(0)),
        "{b}"
    );
    for i in [0, 1999, 2000, 4498] {
        let (s, m) = c.get(&format!("/api/v1/admin/members/u{i}")).await;
        assert_eq!(s, StatusCode::OK, "{m}");
        assert_eq!(
            m["member"]["leader_userid"],
            json!(format!("u{}", i + 1)),
            "u{i}: {m}"
        );
    }
});

// ---- Outbound requests: batch job callbacks ----

/// A callback receiver on loopback that counts what it is sent.
async fn receiver() -> (String, Arc<Mutex<usize>>) {
    let got: Arc<Mutex<usize>> = Arc::default();
    let router = axum::Router::new()
        .route(
            "/cb",
            axum::routing::post(
                async |axum::extract::State(got): axum::extract::State<Arc<Mutex<usize>>>| {
                    *got.lock().unwrap() += 1;
                    "success"
                },
            ),
        )
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cb", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, got)
}

/// Submits a `batch/syncuser` job with a callback to `url`, and waits for it to finish.
async fn batch_job_with_callback(app: &TestApp, url: &str) -> Value {
    let token = contacts_token(app).await;
    let csv = "姓名,帐号,所在部门\n张三,cb1,1\n";
    let media = cgi_upload(app, &token, "m.csv", csv.as_bytes()).await;
    let body = json!({"media_id": media, "callback": {"url": url, "token": "cbtoken", "encodingaeskey": AES_KEY}});
    let r = cgi_post(app, &token, "batch/syncuser", body).await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    let jobid = r["jobid"].as_str().unwrap().to_owned();
    for _ in 0..200 {
        let r: Value = reqwest::get(format!(
            "{}/cgi-bin/batch/getresult?jobid={jobid}&access_token={token}",
            app.base
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        if r["status"] == 3 {
            return r;
        }
        app.clock.advance_ms(1_000);
        app.state.jobs.wake();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the batch job did not finish");
}

/// Lets the job runner try the callback (and its retries) for a while.
async fn let_jobs_run(app: &TestApp) {
    for _ in 0..30 {
        app.clock.advance_ms(60_000);
        app.state.jobs.wake();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

both_with!(
    callback_to_loopback_is_not_sent_without_allow,
    |c: &mut qixie_kernel::config::Config| c.outbound_allow.clear(),
    async |app: &TestApp| {
        let (url, got) = receiver().await;
        let r = batch_job_with_callback(app, &url).await;
        // The job itself completes and reports.
        assert_eq!(
            (r["total"].as_i64(), r["result"][0]["errcode"].as_i64()),
            (Some(1), Some(0)),
            "{r}"
        );
        let_jobs_run(app).await;
        assert_eq!(
            *got.lock().unwrap(),
            0,
            "nothing reached the loopback receiver"
        );
        // Named by a host name that resolves to loopback: refused after resolving.
        let by_name = url.replace("127.0.0.1", "localhost");
        batch_job_with_callback(app, &by_name).await;
        let_jobs_run(app).await;
        assert_eq!(*got.lock().unwrap(), 0);
        // And the refusal is final: the delivery job is not left retrying.
        let jobs: Vec<(String, i64)> = app
            .state
            .db
            .all(qixie_kernel::db::sql(
                "SELECT status, attempts FROM jobs WHERE kind = 'wecom.batch_callback'",
            ))
            .await
            .unwrap();
        assert_eq!(jobs, vec![("done".to_owned(), 1), ("done".to_owned(), 1)]);
    }
);

both_with!(
    callback_to_loopback_is_sent_with_allow,
    |c: &mut qixie_kernel::config::Config| {
        c.outbound_allow = qixie_kernel::config::parse_networks("127.0.0.1/32").unwrap()
    },
    async |app: &TestApp| {
        let (url, got) = receiver().await;
        batch_job_with_callback(app, &url).await;
        for _ in 0..100 {
            if *got.lock().unwrap() > 0 {
                break;
            }
            app.clock.advance_ms(1_000);
            app.state.jobs.wake();
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(*got.lock().unwrap(), 1);
    }
);

// ---- qixie init ----

both!(
    init_refuses_a_second_enterprise_without_the_flag,
    async |app: &TestApp| {
        let input = || qixie_admin::corp::NewEnterprise {
            corp_name: "第二家".into(),
            industry: String::new(),
            size: String::new(),
            admin_name: String::new(),
            admin_account: "admin2".into(),
            admin_password: ADMIN_PW.into(),
        };
        let err = qixie::cli::init_enterprise(&app.state, input(), false)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("--force-new-enterprise"), "{err}");
        assert_eq!(
            qixie_org::enterprise::count(&app.state.db).await.unwrap(),
            1
        );
        let corp = qixie::cli::init_enterprise(&app.state, input(), true)
            .await
            .unwrap();
        assert_eq!(corp.name, "第二家");
        assert_eq!(
            qixie_org::enterprise::count(&app.state.db).await.unwrap(),
            2
        );
    }
);
