//! Scale-out: two real `qixie serve` processes on one PostgreSQL database, woken through NATS. A member
//! on one node hears a sender on the other, in order and exactly once, when the sender's node is killed
//! and restarted, and when NATS itself is away for a while. Each run uses its own NATS subjects.
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{ADMIN, ADMIN_PW, Client, missing, pg_base};

const NATS: &str = "127.0.0.1:4222";

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn reachable(addr: &str) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(addr)).await,
        Ok(Ok(_))
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        qixie_kernel::ids::random_token(6)
            .to_lowercase()
            .replace(['-', '_'], "x")
    )
}

/// A fresh PostgreSQL database, dropped when the test ends (even on failure).
struct PgDatabase {
    name: String,
}

impl PgDatabase {
    async fn create() -> PgDatabase {
        let name = unique("qixie_cluster_");
        let admin = qixie_kernel::db::Database::connect(&format!("{}/postgres", pg_base()))
            .await
            .expect("postgres reachable");
        admin
            .exec_unmanaged(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        admin.close().await;
        PgDatabase { name }
    }
    fn url(&self) -> String {
        format!("{}/{}", pg_base(), self.name)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Its own thread and runtime: this may run inside the test's runtime.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(admin) =
                    qixie_kernel::db::Database::connect(&format!("{}/postgres", pg_base())).await
                {
                    let _ = admin
                        .exec_unmanaged(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}

/// A NATS server of the test's own, to take away and bring back.
struct NatsServer {
    binary: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl NatsServer {
    fn find() -> Option<PathBuf> {
        let path = std::env::var("PATH").unwrap_or_default();
        path.split(':')
            .chain(["/usr/sbin", "/usr/local/bin", "/usr/bin"])
            .map(|d| PathBuf::from(d).join("nats-server"))
            .find(|p| p.is_file())
    }
    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
    async fn start(&mut self) {
        let child = Command::new(&self.binary)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !reachable(&format!("127.0.0.1:{}", self.port)).await {
            assert!(Instant::now() < deadline, "nats-server did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One `qixie serve` process.
struct Node {
    name: &'static str,
    port: u16,
    env: Vec<(String, String)>,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Node {
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
    async fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("server.log"))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_qixie"))
            .arg("serve")
            .env_clear()
            .envs(self.env.iter().cloned())
            .env("QIXIE_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("QIXIE_DATA_DIR", self.dir.path())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("qixie serve starts");
        self.child = Some(child);
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("node {} exited ({status}):\n{}", self.name, self.log());
            }
            if let Ok(r) = http.get(format!("{}/readyz", self.base())).send().await
                && r.status() == StatusCode::OK
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "node {} did not come up:\n{}",
                self.name,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    /// SIGKILL: no shutdown, no flush.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

struct Cluster {
    a: Node,
    b: Node,
    corp_id: String,
    _db: PgDatabase,
}

/// Creates the enterprise with `qixie init` and starts two nodes on one database.
async fn cluster(nats_url: &str) -> Cluster {
    let db = PgDatabase::create().await;
    // The server refuses QIXIE_* variables it does not know, so none come from the caller.
    let mut env: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| !k.starts_with("QIXIE_"))
        .collect();
    env.extend([
        ("QIXIE_DATABASE_URL".to_owned(), db.url()),
        ("QIXIE_FAST_HASH".to_owned(), "1".to_owned()),
        ("QIXIE_LOG".to_owned(), "warn,qixie=info".to_owned()),
        ("QIXIE_NATS_URL".to_owned(), nats_url.to_owned()),
        // Parallel runs on one NATS server do not hear each other.
        ("QIXIE_NATS_PREFIX".to_owned(), unique("qixie-test-")),
        // One member sends thousands of messages at once here, far above the per-member rate.
        ("QIXIE_SEND_RATE_PER_SECOND".to_owned(), "0".to_owned()),
    ]);
    let node = |name| Node {
        name,
        port: free_port(),
        env: env.clone(),
        dir: tempfile::tempdir().unwrap(),
        child: None,
    };
    let (mut a, mut b) = (node("A"), node("B"));
    let out = Command::new(env!("CARGO_BIN_EXE_qixie"))
        .args([
            "init",
            "--corp-name",
            "集群测试",
            "--admin-account",
            ADMIN,
            "--admin-password",
            ADMIN_PW,
        ])
        .env_clear()
        .envs(env.iter().cloned())
        .env("QIXIE_DATA_DIR", a.dir.path())
        .output()
        .expect("qixie init runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: Value = serde_json::from_str(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or_default(),
    )
    .unwrap();
    let corp_id = line["corp_id"].as_str().unwrap().to_owned();
    a.start().await;
    b.start().await;
    Cluster {
        a,
        b,
        corp_id,
        _db: db,
    }
}

/// A member signed in on `base` with an API token (bearer), created by the administrator.
async fn member(base: &str, corp_id: &str, admin: &Client, userid: &str) -> (Client, String) {
    let (s, b) = admin
        .post(
            "/api/v1/admin/members",
            json!({"userid": userid, "name": userid, "department_ids": [1], "initial_password": "Initial123"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let first = login(base, corp_id, userid, "Initial123").await;
    let (s, b) = first
        .post(
            "/api/v1/me/password",
            json!({"old_password": "Initial123", "new_password": "Cluster2026x"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (s, b) = Client::new(base)
        .post(
            "/api/v1/auth/login",
            json!({"corp_id": corp_id, "account": userid, "password": "Cluster2026x", "client": "api"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let token = b["token"].as_str().unwrap().to_owned();
    let mut c = Client::new(base);
    c.bearer = Some(token.clone());
    (c, token)
}

async fn login(base: &str, corp_id: &str, account: &str, password: &str) -> Client {
    let mut c = Client::new(base);
    let (s, b) = c
        .post(
            "/api/v1/auth/login",
            json!({"corp_id": corp_id, "account": account, "password": password, "device": "test"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    c.csrf = b["csrf_token"].as_str().map(str::to_owned);
    c
}

async fn connect(base: &str, token: &str) -> anyhow::Result<Ws> {
    let url = format!("{}/api/v1/realtime", base.replace("http://", "ws://"));
    let mut req = url.into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let (mut ws, _) = tokio::time::timeout(
        Duration::from_secs(5),
        tokio_tungstenite::connect_async(req),
    )
    .await??;
    let hello = next_frame(&mut ws).await?;
    anyhow::ensure!(hello["t"] == "hello", "first frame {hello}");
    Ok(ws)
}

async fn next_frame(ws: &mut Ws) -> anyhow::Result<Value> {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await?
            .ok_or_else(|| anyhow::anyhow!("closed"))??;
        match m {
            Message::Text(t) => return Ok(serde_json::from_str(t.as_str())?),
            Message::Close(_) => anyhow::bail!("closed"),
            _ => {}
        }
    }
}

/// What a following client has seen of one conversation.
#[derive(Default, Debug)]
struct Seen {
    held: i64,
    /// (seq, id, client_id) in arrival order.
    events: Vec<(i64, String, Option<String>)>,
    /// Anything out of order, repeated or skipped.
    faults: Vec<String>,
    connects: u32,
    resyncs: u32,
    /// Up to here events were fetched over REST (a resume with `more`); the socket may repeat them.
    fetched: i64,
}

impl Seen {
    fn take(&mut self, who: &str, seq: i64, id: &str, client_id: Option<&str>) {
        if seq <= self.held && seq <= self.fetched {
            return;
        }
        if seq != self.held + 1 {
            let fault = format!("{who}: seq {seq} while holding {}", self.held);
            self.faults.push(fault);
        }
        self.held = self.held.max(seq);
        self.events
            .push((seq, id.to_owned(), client_id.map(str::to_owned)));
    }
}

/// A client that follows one conversation on one node like the web client does: resume with what
/// it holds, take events in order, ping, and reconnect (to the same node) whenever the socket drops.
fn follow(
    who: &'static str,
    base: String,
    token: String,
    conv: String,
    held: i64,
    mut stop: watch::Receiver<bool>,
) -> Arc<Mutex<Seen>> {
    let seen = Arc::new(Mutex::new(Seen {
        held,
        ..Seen::default()
    }));
    let state = seen.clone();
    tokio::spawn(async move {
        loop {
            if *stop.borrow() {
                return;
            }
            let mut ws = match connect(&base, &token).await {
                Ok(ws) => ws,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            let held = {
                let mut s = state.lock().unwrap();
                s.connects += 1;
                s.held
            };
            let resume = json!({"op": "resume", "convs": {conv.clone(): held}});
            if ws
                .send(Message::Text(resume.to_string().into()))
                .await
                .is_err()
            {
                continue;
            }
            let mut ping = tokio::time::interval(Duration::from_secs(5));
            loop {
                tokio::select! {
                    _ = stop.changed() => return,
                    _ = ping.tick() => {
                        if ws.send(Message::Text(r#"{"op":"ping"}"#.into())).await.is_err() {
                            break;
                        }
                    }
                    m = ws.next() => {
                        let Some(Ok(m)) = m else { break };
                        let Message::Text(t) = m else { continue };
                        let f: Value = serde_json::from_str(t.as_str()).unwrap();
                        match f["t"].as_str() {
                            Some("event") if f["conv"] == conv.as_str() => {
                                state.lock().unwrap().take(
                                    who,
                                    f["seq"].as_i64().unwrap(),
                                    f["event"]["id"].as_str().unwrap(),
                                    f["event"]["client_id"].as_str(),
                                );
                            }
                            Some("resync") => state.lock().unwrap().resyncs += 1,
                            // Over 500 behind: the rest comes over REST (docs/api/realtime.md).
                            Some("resumed") if f["more"].as_array().is_some_and(|m| m.iter().any(|c| c == conv.as_str())) => {
                                catch_up(who, &base, &token, &conv, &state).await;
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
    });
    seen
}

/// Fetches everything after what the follower holds, as a client does after `resumed.more`.
async fn catch_up(who: &str, base: &str, token: &str, conv: &str, state: &Arc<Mutex<Seen>>) {
    let mut c = Client::new(base);
    c.bearer = Some(token.to_owned());
    let after = state.lock().unwrap().held;
    for e in stored(&c, conv, after).await {
        let mut s = state.lock().unwrap();
        let seq = e["seq"].as_i64().unwrap();
        s.take(who, seq, e["id"].as_str().unwrap(), e["client_id"].as_str());
        s.fetched = s.fetched.max(seq);
    }
}

/// Waits until a follower holds `seq`.
async fn until_held(seen: &Arc<Mutex<Seen>>, seq: i64, within: Duration, what: &str) {
    let deadline = Instant::now() + within;
    loop {
        let held = seen.lock().unwrap().held;
        if held >= seq {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: holds {held}, expected {seq}: {:?}",
            seen.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends over REST until the server answers 201, retrying with the same client_id (as a client does
/// after a timeout or a dropped connection). Returns the event.
async fn post_until_stored(
    base: &str,
    token: &str,
    conv: &str,
    text: &str,
    client_id: &str,
) -> Value {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let r = http
            .post(format!("{base}/api/v1/chat/conversations/{conv}/messages"))
            .bearer_auth(token)
            .json(&json!({"type": "text", "text": text, "client_id": client_id}))
            .send()
            .await;
        if let Ok(r) = r {
            let status = r.status();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            if status == StatusCode::CREATED {
                return body;
            }
            assert!(
                status.is_server_error(),
                "{client_id}: refused with {status}: {body}"
            );
        }
        assert!(Instant::now() < deadline, "{client_id} was never stored");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends `texts` over a socket to `base` one after another, each acknowledged before the next; when
/// the socket drops it reconnects and sends the unacknowledged one again with the same client_id.
/// Returns the acknowledged events.
async fn socket_sends(base: &str, token: &str, conv: &str, ids: Vec<String>) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut acked = Vec::new();
    let mut ws: Option<Ws> = None;
    let mut i = 0;
    while i < ids.len() {
        assert!(Instant::now() < deadline, "socket sends never finished");
        let Some(sock) = ws.as_mut() else {
            match connect(base, token).await {
                Ok(s) => ws = Some(s),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
            continue;
        };
        let reference = format!("ref-{i}-{}", acked.len());
        let op = json!({"op": "send", "ref": reference, "conv": conv, "msg": {"type": "text", "text": format!("套接字 {}", ids[i]), "client_id": ids[i]}});
        if sock
            .send(Message::Text(op.to_string().into()))
            .await
            .is_err()
        {
            ws = None;
            continue;
        }
        let ack = loop {
            match next_frame(sock).await {
                Ok(f) if f["t"] == "ack" && f["ref"] == reference.as_str() => break Some(f),
                Ok(f) if f["t"] == "nack" => panic!("{} refused: {f}", ids[i]),
                Ok(_) => {}
                Err(_) => break None,
            }
        };
        match ack {
            Some(f) => {
                acked.push(f["event"].clone());
                i += 1;
            }
            None => ws = None,
        }
    }
    acked
}

/// Every event of a conversation after `after`, from the database.
async fn stored(c: &Client, conv: &str, mut after: i64) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let (s, b) = c
            .get(&format!(
                "/api/v1/chat/conversations/{conv}/events?after={after}&limit=200"
            ))
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let items = b["items"].as_array().unwrap().clone();
        if items.is_empty() {
            return out;
        }
        after = items.last().unwrap()["seq"].as_i64().unwrap();
        out.extend(items);
    }
}

async fn last_seq(c: &Client, conv: &str) -> i64 {
    let (s, b) = c.get(&format!("/api/v1/chat/conversations/{conv}")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["last_seq"].as_i64().expect("last_seq")
}

/// What a follower received equals what was stored after the seq it started from: each once, in order.
fn assert_received_all(who: &str, seen: &Arc<Mutex<Seen>>, stored: &[Value]) {
    let s = seen.lock().unwrap();
    assert!(s.faults.is_empty(), "{who}: {:?}", s.faults);
    let got: Vec<(i64, &str)> = s
        .events
        .iter()
        .map(|(q, id, _)| (*q, id.as_str()))
        .collect();
    let want: Vec<(i64, &str)> = stored
        .iter()
        .map(|e| (e["seq"].as_i64().unwrap(), e["id"].as_str().unwrap()))
        .collect();
    assert_eq!(got, want, "{who} received other events than were stored");
}

/// Each client_id is stored once, and every acknowledgement names that stored event.
fn assert_one_each(stored: &[Value], acked: &[Value]) {
    let mut by_client: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    for e in stored {
        if let Some(c) = e["client_id"].as_str() {
            by_client
                .entry(c)
                .or_default()
                .push(e["id"].as_str().unwrap());
        }
    }
    for (c, ids) in &by_client {
        assert_eq!(ids.len(), 1, "client_id {c} stored {} times", ids.len());
    }
    for a in acked {
        let c = a["client_id"].as_str().expect("ack carries client_id");
        assert_eq!(
            by_client.get(c).map(|v| v[0]),
            a["id"].as_str(),
            "acknowledged {c} is not what was stored"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_deliver_to_each_other_and_lose_nothing_when_one_is_killed() {
    if !reachable(NATS).await {
        return missing(&format!(
            "NATS is not reachable at {NATS} (start nats-server to run this test)"
        ));
    }
    let mut cl = cluster(&format!("nats://{NATS}")).await;
    let (a, b) = (cl.a.base(), cl.b.base());
    let admin = login(&a, &cl.corp_id, ADMIN, ADMIN_PW).await;
    let (zhang_b, zt) = member(&b, &cl.corp_id, &admin, "zhang").await;
    let (li_a, lt) = member(&a, &cl.corp_id, &admin, "li").await;
    let (_, wt) = member(&b, &cl.corp_id, &admin, "wang").await;
    let (s, g) = zhang_b
        .post(
            "/api/v1/chat/conversations",
            json!({"name": "跨节点", "userids": ["li", "wang"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let conv = g["id"].as_str().unwrap().to_owned();
    let start = last_seq(&li_a, &conv).await;

    let (stop_tx, stop) = watch::channel(false);
    // li listens on A; wang on B (and will have to come back to B after it is killed).
    let li = follow(
        "li@A",
        a.clone(),
        lt.clone(),
        conv.clone(),
        start,
        stop.clone(),
    );
    let wang = follow(
        "wang@B",
        b.clone(),
        wt.clone(),
        conv.clone(),
        start,
        stop.clone(),
    );
    until_connected(&li).await;
    until_connected(&wang).await;

    // B's sender reaches A's member: over REST and over the socket; A's sender reaches B's.
    let mut acked = Vec::new();
    for i in 0..5 {
        acked.push(
            post_until_stored(&b, &zt, &conv, &format!("REST {i}"), &format!("rest-{i}")).await,
        );
    }
    acked.extend(
        socket_sends(
            &b,
            &zt,
            &conv,
            (0..5).map(|i| format!("sock-{i}")).collect(),
        )
        .await,
    );
    acked.push(post_until_stored(&a, &lt, &conv, "来自 A", "from-a").await);
    let last = acked
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .max()
        .unwrap();
    until_held(&li, last, Duration::from_secs(10), "li on A").await;
    until_held(&wang, last, Duration::from_secs(10), "wang on B").await;
    assert_eq!(li.lock().unwrap().connects, 1, "li stayed connected");

    // Messages keep flowing through B over REST and the socket; B is killed in the middle of it and
    // comes back. Senders retry what was not acknowledged with the same client_id.
    let rest = tokio::spawn({
        let (b, zt, conv) = (b.clone(), zt.clone(), conv.clone());
        async move {
            let mut out = Vec::new();
            for i in 0..40 {
                let id = format!("flow-rest-{i}");
                out.push(post_until_stored(&b, &zt, &conv, &format!("流 {i}"), &id).await);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            out
        }
    });
    let sock = tokio::spawn({
        let (b, zt, conv) = (b.clone(), zt.clone(), conv.clone());
        async move {
            socket_sends(
                &b,
                &zt,
                &conv,
                (0..40).map(|i| format!("flow-sock-{i}")).collect(),
            )
            .await
        }
    });
    // Some of it stored, then SIGKILL.
    until_held(
        &li,
        last + 10,
        Duration::from_secs(30),
        "li before the kill",
    )
    .await;
    cl.b.kill();
    tokio::time::sleep(Duration::from_millis(500)).await;
    cl.b.start().await;
    acked.extend(rest.await.unwrap());
    acked.extend(sock.await.unwrap());

    // Two nodes race the same retried send: one message.
    for k in 0..5 {
        let id = format!("race-{k}");
        let (x, y) = tokio::join!(
            post_until_stored(&a, &zt, &conv, "重试", &id),
            post_until_stored(&b, &zt, &conv, "重试", &id)
        );
        assert_eq!(x["id"], y["id"], "{id}: {x} / {y}");
        acked.push(x);
    }

    let end = last_seq(&li_a, &conv).await;
    until_held(&li, end, Duration::from_secs(20), "li on A at the end").await;
    until_held(
        &wang,
        end,
        Duration::from_secs(20),
        "wang back on B at the end",
    )
    .await;
    let _ = stop_tx.send(true);
    let events = stored(&li_a, &conv, start).await;
    assert_eq!(events.last().unwrap()["seq"].as_i64(), Some(end));
    assert!(
        events
            .iter()
            .zip(start + 1..)
            .all(|(e, s)| e["seq"].as_i64() == Some(s)),
        "stored seqs without holes"
    );
    assert_one_each(&events, &acked);
    assert_eq!(acked.len(), 11 + 80 + 5);
    assert_received_all("li on A", &li, &events);
    assert_received_all("wang on B", &wang, &events);
    assert_eq!(
        li.lock().unwrap().connects,
        1,
        "li on A never had to reconnect: gaps were filled live"
    );
    assert!(
        wang.lock().unwrap().connects >= 2,
        "wang reconnected to the restarted B"
    );
}

async fn until_connected(seen: &Arc<Mutex<Seen>>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.lock().unwrap().connects == 0 {
        assert!(Instant::now() < deadline, "follower never connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The resume has been answered once a ping round trip fits in; a short wait is enough here.
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_serve_without_nats_and_their_clients_catch_up_when_it_returns() {
    if !reachable(NATS).await {
        return missing(&format!(
            "NATS is not reachable at {NATS} (start nats-server to run this test)"
        ));
    }
    let Some(binary) = NatsServer::find() else {
        return missing("no nats-server binary to take away and bring back");
    };
    let mut nats = NatsServer {
        binary,
        port: free_port(),
        child: None,
    };
    // NATS is not there when the nodes start: they serve anyway.
    let cl = cluster(&nats.url()).await;
    let (a, b) = (cl.a.base(), cl.b.base());
    let admin = login(&a, &cl.corp_id, ADMIN, ADMIN_PW).await;
    let (zhang_b, zt) = member(&b, &cl.corp_id, &admin, "zhang").await;
    let (li_a, lt) = member(&a, &cl.corp_id, &admin, "li").await;
    let (s, g) = zhang_b
        .post(
            "/api/v1/chat/conversations",
            json!({"name": "无总线", "userids": ["li"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let conv = g["id"].as_str().unwrap().to_owned();
    let start = last_seq(&li_a, &conv).await;
    let (stop_tx, stop) = watch::channel(false);
    let li = follow(
        "li@A",
        a.clone(),
        lt.clone(),
        conv.clone(),
        start,
        stop.clone(),
    );
    until_connected(&li).await;
    let mut acked = Vec::new();
    for i in 0..5 {
        acked.push(
            post_until_stored(&b, &zt, &conv, &format!("无总线 {i}"), &format!("down-{i}")).await,
        );
    }
    // NATS arrives: A's member is brought up to date without sending anything.
    nats.start().await;
    let last = acked.last().unwrap()["seq"].as_i64().unwrap();
    until_held(&li, last, Duration::from_secs(30), "li after NATS arrived").await;
    // Live through the bus now.
    acked.push(post_until_stored(&b, &zt, &conv, "有总线", "up-0").await);
    until_held(&li, last + 1, Duration::from_secs(10), "li live").await;

    // NATS goes away during the run; B keeps accepting (more than the NATS client's own queue holds),
    // and A's member catches up once NATS is back.
    nats.kill();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let many: Vec<_> = (0..16)
        .map(|w| {
            let (b, zt, conv) = (b.clone(), zt.clone(), conv.clone());
            tokio::spawn(async move {
                let mut out = Vec::new();
                for i in 0..160 {
                    let id = format!("outage-{w}-{i}");
                    out.push(post_until_stored(&b, &zt, &conv, "断线期间", &id).await);
                }
                out
            })
        })
        .collect();
    for t in many {
        acked.extend(t.await.unwrap());
    }
    nats.start().await;
    let end = last_seq(&li_a, &conv).await;
    until_held(&li, end, Duration::from_secs(30), "li after NATS came back").await;
    let _ = stop_tx.send(true);
    let events = stored(&li_a, &conv, start).await;
    assert_one_each(&events, &acked);
    assert_eq!(acked.len(), 5 + 1 + 16 * 160);
    assert_received_all("li on A", &li, &events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ended_on_one_node_closes_its_sockets_on_the_other() {
    // A NATS server of the test's own when the binary is there, else the shared one.
    let mut own = NatsServer::find().map(|binary| NatsServer {
        binary,
        port: free_port(),
        child: None,
    });
    let url = match own.as_mut() {
        Some(n) => {
            n.start().await;
            n.url()
        }
        None if reachable(NATS).await => format!("nats://{NATS}"),
        None => {
            eprintln!("skipped: no nats-server binary and NATS is not reachable at {NATS}");
            return;
        }
    };
    let cl = cluster(&url).await;
    let (a, b) = (cl.a.base(), cl.b.base());
    let admin = login(&a, &cl.corp_id, ADMIN, ADMIN_PW).await;
    let (_, zt) = member(&a, &cl.corp_id, &admin, "zhang").await;
    // The same session on B, twice, and another session of zhang's on B that stays.
    let mut on_b = connect(&b, &zt).await.unwrap();
    let mut also_on_b = connect(&b, &zt).await.unwrap();
    let (s, other) = Client::new(&b)
        .post(
            "/api/v1/auth/login",
            json!({"corp_id": cl.corp_id, "account": "zhang", "password": "Cluster2026x", "client": "api"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{other}");
    let mut stays = connect(&b, other["token"].as_str().unwrap()).await.unwrap();
    // Signed out through A.
    let mut c = Client::new(&a);
    c.bearer = Some(zt.clone());
    let t0 = Instant::now();
    let (s, body) = c.post("/api/v1/auth/logout", json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    for ws in [&mut on_b, &mut also_on_b] {
        let deadline = t0 + Duration::from_secs(2);
        let code = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, ws.next()).await {
                Err(_) => panic!("the socket on B is still open 2 s after signing out on A"),
                Ok(Some(Ok(Message::Close(f)))) => break f.map(|f| u16::from(f.code)),
                Ok(Some(Ok(Message::Text(t)))) => panic!("a frame after signing out: {t}"),
                Ok(None | Some(Err(_))) => break None,
                Ok(Some(Ok(_))) => {}
            }
        };
        assert_eq!(code, Some(4401));
    }
    ws_ping(&mut stays).await;
}

/// The socket answers a ping.
async fn ws_ping(ws: &mut Ws) {
    ws.send(Message::Text(r#"{"op":"ping"}"#.into()))
        .await
        .unwrap();
    loop {
        let f = next_frame(ws)
            .await
            .expect("the other session's socket stays open");
        if f["t"] == "pong" {
            return;
        }
    }
}
