//! A real server on port 0 with a fresh database per test, on SQLite or PostgreSQL.
use std::sync::Arc;

use qixie::startup::{Application, Options};
use qixie_kernel::AppState;
use qixie_kernel::clock::ManualClock;
use qixie_kernel::config::Config;
use qixie_kernel::password::Hasher;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

pub fn pg_base() -> String {
    std::env::var("QIXIE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A service the test needs is not there: a failure under `CI=true` (where `.ci/run` provides every
/// service), a note on a developer's machine.
pub fn missing(what: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{what}; under CI every service must be there"
    );
    eprintln!("skipped: {what}");
}

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub corp_id: String,
    pg_db: Option<String>,
    _dir: tempfile::TempDir,
}

/// Runs a test body on both engines: `both!(name, |app| async move { ... })`. Snapshots taken in
/// the body redact volatile values (`volatile`), so one inline snapshot holds for both engines.
#[macro_export]
macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::spawn($crate::helpers::Engine::Sqlite).await;
                $crate::helpers::volatile().bind_async(($body)(&app)).await;
                app.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::helpers::TestApp::spawn($crate::helpers::Engine::Postgres).await;
                $crate::helpers::volatile().bind_async(($body)(&app)).await;
                app.finish().await;
            }
        }
    };
}

/// Snapshot settings for response bodies (ADR 0009: whole bodies pinned with inline snapshots).
/// Pin a body with `insta::assert_json_snapshot!(body, @r#"..."#)`; inside `both!` these
/// redactions apply already, elsewhere bind them: `volatile().bind(|| ...)`. Redacted, wherever
/// they appear:
/// - times (`at`, `created_at`, `last_seen_at`, `rotated_at`, `secret_rotated_at`) → `[time]`;
///   a null stays null, so "never" remains visible;
/// - credentials (`csrf_token`, `token`, `secret`, generated `initial_password`) → `[secret]`;
/// - the enterprise's random `corp_id` / `default_corp_id` → `[corp_id]`;
/// - string `id`s (sessions, audit entries: 64-bit ids made from the clock and the process) →
///   `[id]`. Numeric ids (departments, tags, agentids) are small per-enterprise counters, the same
///   on both engines, and stay.
pub fn volatile() -> insta::Settings {
    use insta::internals::Content;
    fn unless_null(label: &'static str) -> insta::internals::Redaction {
        insta::dynamic_redaction(move |v, _| match v {
            Content::None | Content::Unit => v,
            _ => Content::from(label),
        })
    }
    let mut s = insta::Settings::clone_current();
    for key in [
        "at",
        "created_at",
        "last_seen_at",
        "rotated_at",
        "secret_rotated_at",
    ] {
        s.add_redaction(&format!(".**.{key}"), unless_null("[time]"));
    }
    for key in ["csrf_token", "token", "secret", "initial_password"] {
        s.add_redaction(&format!(".**.{key}"), unless_null("[secret]"));
    }
    for key in ["corp_id", "default_corp_id"] {
        s.add_redaction(&format!(".**.{key}"), unless_null("[corp_id]"));
    }
    s.add_redaction(
        ".**.id",
        insta::dynamic_redaction(|v, _| match v {
            Content::String(_) => Content::from("[id]"),
            other => other,
        }),
    );
    s
}

pub const ADMIN: &str = "boss";
pub const ADMIN_PW: &str = "Qixie2026";

impl TestApp {
    pub async fn spawn(engine: Engine) -> TestApp {
        Self::spawn_with(engine, |_| {}).await
    }

    /// A server whose configuration `tune` adjusts first (limits, for instance).
    pub async fn spawn_with(engine: Engine, tune: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, pg_db) = match engine {
            Engine::Sqlite => (
                format!("sqlite://{}", dir.path().join("t.db").display()),
                None,
            ),
            Engine::Postgres => {
                let name = format!(
                    "qixie_t_{}",
                    qixie_kernel::ids::random_token(6)
                        .to_lowercase()
                        .replace(['-', '_'], "x")
                );
                let admin = qixie_kernel::db::Database::connect(&format!("{}/postgres", pg_base()))
                    .await
                    .expect("postgres reachable");
                admin
                    .exec_unmanaged(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create database");
                admin.close().await;
                (format!("{}/{name}", pg_base()), Some(name))
            }
        };
        let mut config = Config {
            data_dir: dir.path().to_path_buf(),
            listen: "127.0.0.1:0".into(),
            database_url: url,
            // Callback receivers in tests listen on loopback.
            outbound_allow: vec!["127.0.0.0/8".parse().expect("network")],
            ..Config::default()
        };
        tune(&mut config);
        let clock = ManualClock::new(1_790_000_000_000);
        let options = Options {
            clock: clock.clone(),
            hasher: Hasher::fast_for_tests(),
            run_jobs: true,
        };
        let app = Application::build(config, options)
            .await
            .expect("application builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        let state = app.state.clone();
        tokio::spawn(app.run_until_stopped());
        let mut t = TestApp {
            base,
            state,
            clock,
            corp_id: String::new(),
            pg_db,
            _dir: dir,
        };
        let c = t.anon();
        let (s, body) = c.call(Method::POST, "/api/v1/setup", Some(json!({
            "corp_name": "测试集团", "industry": "it", "size": "100-499", "admin_name": "老板", "admin_account": ADMIN, "admin_password": ADMIN_PW
        }))).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        t.corp_id = body["corp_id"].as_str().unwrap_or_default().to_owned();
        t
    }

    pub async fn finish(self) {
        self.state.db.close().await;
        if let Some(name) = self.pg_db
            && let Ok(admin) =
                qixie_kernel::db::Database::connect(&format!("{}/postgres", pg_base())).await
        {
            let _ = admin
                .exec_unmanaged(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
            admin.close().await;
        }
    }

    pub fn anon(&self) -> Client {
        Client::new(&self.base)
    }

    /// A browser-like client signed in as `account`.
    pub async fn login(&self, account: &str, password: &str) -> Client {
        self.login_to(&self.corp_id, account, password).await
    }

    pub async fn login_to(&self, corp_id: &str, account: &str, password: &str) -> Client {
        let mut c = Client::new(&self.base);
        let (s, body) = c.call(Method::POST, "/api/v1/auth/login", Some(json!({"corp_id": corp_id, "account": account, "password": password, "device": "test"}))).await;
        assert_eq!(s, StatusCode::OK, "login {account}: {body}");
        c.csrf = body["csrf_token"].as_str().map(str::to_owned);
        c
    }

    /// A second enterprise in the same installation, with its own super administrator.
    pub async fn second_corp(&self, admin_account: &str) -> String {
        let input = qixie_admin::corp::NewEnterprise {
            corp_name: "别家公司".into(),
            industry: String::new(),
            size: String::new(),
            admin_name: String::new(),
            admin_account: admin_account.into(),
            admin_password: ADMIN_PW.into(),
        };
        qixie_admin::corp::create_enterprise(&self.state, input)
            .await
            .expect("second enterprise")
            .corpid
    }

    pub async fn admin(&self) -> Client {
        self.login(ADMIN, ADMIN_PW).await
    }

    /// Creates a member through the API with a known initial password, then signs them in and
    /// completes the forced change to `password`.
    pub async fn member_with_password(
        &self,
        admin: &Client,
        userid: &str,
        departments: &[i64],
        password: &str,
    ) -> Client {
        let (s, b) = admin.call(Method::POST, "/api/v1/admin/members", Some(json!({"userid": userid, "name": userid, "department_ids": departments, "initial_password": "Initial123"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let c = self.login(userid, "Initial123").await;
        let (s, b) = c
            .call(
                Method::POST,
                "/api/v1/me/password",
                Some(json!({"old_password": "Initial123", "new_password": password})),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
        c
    }
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: Option<String>,
    pub bearer: Option<String>,
    pub lang: Option<&'static str>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client");
        Client {
            http,
            base: base.to_owned(),
            csrf: None,
            bearer: None,
            lang: None,
        }
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if method != Method::GET
            && let Some(t) = &self.csrf
        {
            r = r.header("x-csrf-token", t);
        }
        if let Some(b) = &self.bearer {
            r = r.bearer_auth(b);
        }
        if let Some(l) = self.lang {
            r = r.header("accept-language", l);
        }
        r
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut r = self.request(method, path);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.expect("request sent");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }

    pub async fn upload(
        &self,
        path: &str,
        filename: &str,
        bytes: Vec<u8>,
        fields: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned()),
        );
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        let res = self
            .request(Method::POST, path)
            .multipart(form)
            .send()
            .await
            .expect("upload sent");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

/// The error code of an error body.
pub fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

/// Creates a department and returns its id.
pub async fn dept(c: &Client, name: &str, parent: i64) -> i64 {
    let (s, b) = c
        .post(
            "/api/v1/admin/departments",
            json!({"name": name, "parent_id": parent}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["department"]["id"].as_i64().expect("id")
}

impl TestApp {
    /// The internal id of the test enterprise (the one storage keys use).
    pub async fn corp_id_number(&self) -> i64 {
        let (id,): (i64,) = self
            .state
            .db
            .one(
                qixie_kernel::db::sql("SELECT id FROM corps WHERE corpid = $1")
                    .bind(self.corp_id.as_str()),
            )
            .await
            .expect("corp");
        id
    }
}

// ---- the WeCom API (/cgi-bin) ----

/// An EncodingAESKey for callbacks (wechatpy's test key).
pub const AES_KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";

/// The access token of a new app of the test enterprise, made by its administrator with `body`
/// (name, scopes, visible range).
pub async fn app_token(app: &TestApp, body: Value) -> String {
    let (s, b) = app.admin().await.post("/api/v1/admin/apps", body).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let url = format!(
        "{}/cgi-bin/gettoken?corpid={}&corpsecret={}",
        app.base,
        app.corp_id,
        b["secret"].as_str().unwrap()
    );
    let t: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    t["access_token"].as_str().unwrap().to_owned()
}

/// The access token of a new app that reads and writes contacts.
pub async fn contacts_token(app: &TestApp) -> String {
    app_token(
        app,
        json!({"name": "HR", "scopes": ["contacts.read", "contacts.write"]}),
    )
    .await
}

/// `POST /cgi-bin/{path}` with a JSON body; WeCom's answer.
pub async fn cgi_post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{}/cgi-bin/{path}?access_token={token}", app.base))
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `GET /cgi-bin/{path_and_query}` (the query already started: `user/get?userid=x`).
pub async fn cgi_get(app: &TestApp, token: &str, path_and_query: &str) -> Value {
    reqwest::get(format!(
        "{}/cgi-bin/{path_and_query}&access_token={token}",
        app.base
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap()
}

/// Uploads a file through `media/upload`; its media_id.
pub async fn cgi_upload(app: &TestApp, token: &str, name: &str, bytes: &[u8]) -> String {
    let form = reqwest::multipart::Form::new().part(
        "media",
        reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
    );
    let r: Value = reqwest::Client::new()
        .post(format!(
            "{}/cgi-bin/media/upload?access_token={token}&type=file",
            app.base
        ))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["errcode"], json!(0), "{r}");
    r["media_id"].as_str().unwrap().to_owned()
}
