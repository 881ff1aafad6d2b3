//! Sessions and sockets under pressure: whatever ends a session closes its sockets within 2 seconds
//! (and they hear nothing more), sockets are limited per session and per member, sends are rate
//! limited per member on the socket and over REST, and one socket's sends are stored and delivered in
//! the order sent.
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::both;
use crate::helpers::*;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The close code of a socket whose session ended.
const SESSION_ENDED: u16 = 4401;

/// Runs a body on both engines, on a server whose configuration `$tune` adjusts.
macro_rules! both_with {
    ($name:ident, $tune:expr, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = TestApp::spawn_with(Engine::Sqlite, $tune).await;
                ($body)(&app).await;
                app.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = TestApp::spawn_with(Engine::Postgres, $tune).await;
                ($body)(&app).await;
                app.finish().await;
            }
        }
    };
}

/// A new session of `account` for an API client; returns its bearer token.
async fn api_token(app: &TestApp, account: &str, password: &str) -> String {
    let (s, b) = app
        .anon()
        .post(
            "/api/v1/auth/login",
            json!({"corp_id": app.corp_id, "account": account, "password": password, "client": "api"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["token"].as_str().unwrap().to_owned()
}

fn bearer(app: &TestApp, token: &str) -> Client {
    let mut c = app.anon();
    c.bearer = Some(token.to_owned());
    c
}

async fn try_connect(app: &TestApp, token: &str) -> Result<Ws, tungstenite::Error> {
    let url = format!("{}/api/v1/realtime", app.base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    let hello = next_text(&mut ws).await;
    assert_eq!(hello["t"], "hello", "{hello}");
    Ok(ws)
}

async fn connect(app: &TestApp, token: &str) -> Ws {
    try_connect(app, token).await.expect("socket opens")
}

/// The HTTP status (and body) of a refused upgrade.
fn refusal(r: Result<Ws, tungstenite::Error>) -> (u16, String) {
    match r {
        Err(tungstenite::Error::Http(res)) => (
            res.status().as_u16(),
            String::from_utf8_lossy(res.body().as_deref().unwrap_or_default()).into_owned(),
        ),
        Err(e) => panic!("refused otherwise: {e}"),
        Ok(_) => panic!("the upgrade was accepted"),
    }
}

async fn next_text(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame in time")
            .expect("socket open")
            .expect("frame");
        if let Message::Text(t) = m {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

/// The next frame of type `t`, skipping others.
async fn next_of(ws: &mut Ws, t: &str) -> Value {
    loop {
        let v = next_text(ws).await;
        if v["t"] == t {
            return v;
        }
    }
}

async fn send_op(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// Reads until the socket closes, no later than `deadline`: the close code, and the text frames
/// received before it.
async fn closed_by(ws: &mut Ws, deadline: Instant) -> (Option<u16>, Vec<Value>) {
    let mut texts = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Err(_) => panic!("the socket is still open; it received {texts:?}"),
            Ok(None | Some(Err(_))) => return (None, texts),
            Ok(Some(Ok(Message::Close(f)))) => return (f.map(|f| u16::from(f.code)), texts),
            Ok(Some(Ok(Message::Text(t)))) => {
                texts.push(serde_json::from_str::<Value>(t.as_str()).unwrap())
            }
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// zhang with two API sessions (`a` and `b`), li, and a group of the three with the administrator.
struct Scene {
    boss: Client,
    a: String,
    b: String,
    conv: String,
}

async fn scene(app: &TestApp) -> Scene {
    let boss = app.admin().await;
    let d = dept(&boss, "研发部", 1).await;
    app.member_with_password(&boss, "zhang", &[d], "Secret2026a")
        .await;
    app.member_with_password(&boss, "li", &[d], "Secret2026b")
        .await;
    let a = api_token(app, "zhang", "Secret2026a").await;
    let b = api_token(app, "zhang", "Secret2026a").await;
    let (s, g) = boss
        .post(
            "/api/v1/chat/conversations",
            json!({"name": "加固", "userids": ["zhang", "li"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    Scene {
        boss,
        a,
        b,
        conv: g["id"].as_str().unwrap().to_owned(),
    }
}

/// After a trigger at `t0`: a message goes to the group; each socket in `ended` closes within 2 s of
/// the trigger with the session-ended code, having received nothing (not that message either), and
/// its token no longer opens a socket; the `survivor`, if any, still hears the message.
async fn check_ended(
    app: &TestApp,
    s: &Scene,
    t0: Instant,
    ended: Vec<(Ws, &str)>,
    survivor: Option<Ws>,
) {
    let (st, b) = s
        .boss
        .post(
            &format!("/api/v1/chat/conversations/{}/messages", s.conv),
            json!({"type": "text", "text": "结束之后"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    for (mut ws, token) in ended {
        let (code, texts) = closed_by(&mut ws, t0 + Duration::from_secs(2)).await;
        assert_eq!(code, Some(SESSION_ENDED), "received {texts:?}");
        assert!(
            texts.is_empty(),
            "frames after the session ended: {texts:?}"
        );
        let after = tokio::time::timeout(Duration::from_millis(300), ws.next()).await;
        assert!(
            matches!(after, Ok(None | Some(Err(_)))),
            "something after the close: {after:?}"
        );
        let (status, _) = refusal(try_connect(app, token).await);
        assert_eq!(status, 401);
    }
    if let Some(mut ws) = survivor {
        let e = next_of(&mut ws, "event").await;
        assert_eq!(e["event"]["content"]["text"], "结束之后", "{e}");
    }
}

both!(
    signing_out_closes_that_sessions_sockets,
    async |app: &TestApp| {
        let s = scene(app).await;
        let (b1, b2, a) = (
            connect(app, &s.b).await,
            connect(app, &s.b).await,
            connect(app, &s.a).await,
        );
        let t0 = Instant::now();
        let (st, body) = bearer(app, &s.b)
            .post("/api/v1/auth/logout", json!({}))
            .await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
        check_ended(app, &s, t0, vec![(b1, &s.b), (b2, &s.b)], Some(a)).await;
    }
);

both!(
    a_password_change_closes_the_other_sessions_sockets,
    async |app: &TestApp| {
        let s = scene(app).await;
        let (b, a) = (connect(app, &s.b).await, connect(app, &s.a).await);
        let t0 = Instant::now();
        let (st, body) = bearer(app, &s.a)
            .post(
                "/api/v1/me/password",
                json!({"old_password": "Secret2026a", "new_password": "Secret2026c"}),
            )
            .await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
        check_ended(app, &s, t0, vec![(b, &s.b)], Some(a)).await;
    }
);

both!(
    a_password_reset_closes_every_socket_of_the_member,
    async |app: &TestApp| {
        let s = scene(app).await;
        let (a, b) = (connect(app, &s.a).await, connect(app, &s.b).await);
        let t0 = Instant::now();
        let (st, body) = s
            .boss
            .post("/api/v1/admin/members/zhang/reset-password", json!({}))
            .await;
        assert_eq!(st, StatusCode::OK, "{body}");
        check_ended(app, &s, t0, vec![(a, &s.a), (b, &s.b)], None).await;
    }
);

both!(
    removing_a_session_from_the_list_closes_its_sockets,
    async |app: &TestApp| {
        let s = scene(app).await;
        let (b, a) = (connect(app, &s.b).await, connect(app, &s.a).await);
        let (st, list) = bearer(app, &s.b).get("/api/v1/me/sessions").await;
        assert_eq!(st, StatusCode::OK, "{list}");
        let id = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["current"] == true)
            .expect("the current session is listed")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let t0 = Instant::now();
        let (st, body) = bearer(app, &s.a)
            .delete(&format!("/api/v1/me/sessions/{id}"))
            .await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
        check_ended(app, &s, t0, vec![(b, &s.b)], Some(a)).await;
    }
);

both!(
    freezing_closes_every_socket_of_the_member,
    async |app: &TestApp| {
        let s = scene(app).await;
        let (a, b) = (connect(app, &s.a).await, connect(app, &s.b).await);
        let t0 = Instant::now();
        let (st, body) = s
            .boss
            .post("/api/v1/admin/members/zhang/freeze", json!({}))
            .await;
        assert_eq!(st, StatusCode::OK, "{body}");
        check_ended(app, &s, t0, vec![(a, &s.a), (b, &s.b)], None).await;
    }
);

both!(
    offboarding_closes_every_socket_of_the_member,
    async |app: &TestApp| {
        let s = scene(app).await;
        let (a, b) = (connect(app, &s.a).await, connect(app, &s.b).await);
        let t0 = Instant::now();
        let (st, body) = s
            .boss
            .post(
                "/api/v1/admin/members/zhang/offboard",
                json!({"successor_userid": "li"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{body}");
        check_ended(app, &s, t0, vec![(a, &s.a), (b, &s.b)], None).await;
    }
);

both!(
    deleting_a_member_closes_their_sockets,
    async |app: &TestApp| {
        let s = scene(app).await;
        // wang belongs to no conversation (members who do cannot be deleted today).
        app.member_with_password(&s.boss, "wang", &[1], "Secret2026w")
            .await;
        let (a, b) = (
            api_token(app, "wang", "Secret2026w").await,
            api_token(app, "wang", "Secret2026w").await,
        );
        let (wa, wb) = (connect(app, &a).await, connect(app, &b).await);
        let t0 = Instant::now();
        let (st, body) = s.boss.delete("/api/v1/admin/members/wang").await;
        assert!(st.is_success(), "{st}: {body}");
        check_ended(app, &s, t0, vec![(wa, &a), (wb, &b)], None).await;
    }
);

both!(
    an_expired_session_loses_its_sockets,
    async |app: &TestApp| {
        let s = scene(app).await;
        let mut ws = connect(app, &s.a).await;
        // A week and an hour without a request: the hourly cleanup finds the session expired.
        app.clock.advance_ms(169 * 3600 * 1000);
        let t0 = Instant::now();
        app.state.jobs.wake();
        let (code, _) = closed_by(&mut ws, t0 + Duration::from_secs(5)).await;
        assert_eq!(code, Some(SESSION_ENDED));
        let (status, _) = refusal(try_connect(app, &s.a).await);
        assert_eq!(status, 401);
    }
);

both_with!(
    sockets_are_limited_per_session_and_per_member,
    |c: &mut qixie_kernel::config::Config| {
        c.ws_max_per_session = 2;
        c.ws_max_per_member = 3;
    },
    async |app: &TestApp| {
        let s = scene(app).await;
        let c = api_token(app, "zhang", "Secret2026a").await;
        let a1 = connect(app, &s.a).await;
        let _a2 = connect(app, &s.a).await;
        // A third socket on one session.
        let (status, body) = refusal(try_connect(app, &s.a).await);
        assert_eq!(status, 429, "{body}");
        assert!(body.contains("too_many_connections"), "{body}");
        // The member's third on another session is allowed, the fourth is not.
        let _b1 = connect(app, &s.b).await;
        let (status, body) = refusal(try_connect(app, &c).await);
        assert_eq!(status, 429, "{body}");
        assert!(body.contains("too_many_connections"), "{body}");
        // Other members are counted apart.
        let li = api_token(app, "li", "Secret2026b").await;
        let _l = connect(app, &li).await;
        // Closing one makes room.
        drop(a1);
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match try_connect(app, &c).await {
                Ok(_) => break,
                Err(e) => {
                    assert!(Instant::now() < deadline, "no room after a close: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
);

fn slow_sends(c: &mut qixie_kernel::config::Config) {
    c.send_rate_per_second = 1;
    c.send_rate_burst = 5;
}

/// zhang's messages stored in the group after `after`.
async fn zhangs_stored(app: &TestApp, s: &Scene, after: i64) -> Vec<Value> {
    let (st, b) = s
        .boss
        .get(&format!(
            "/api/v1/chat/conversations/{}/events?after={after}&limit=1000",
            s.conv
        ))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let _ = app;
    b["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "message" && e["sender"]["userid"] == "zhang")
        .cloned()
        .collect()
}

async fn last_seq(s: &Scene) -> i64 {
    let (st, b) = s
        .boss
        .get(&format!("/api/v1/chat/conversations/{}", s.conv))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b["last_seq"].as_i64().unwrap()
}

both_with!(
    rest_sends_over_the_rate_get_429,
    slow_sends,
    async |app: &TestApp| {
        let s = scene(app).await;
        let start = last_seq(&s).await;
        let zhang = bearer(app, &s.a);
        let path = format!("/api/v1/chat/conversations/{}/messages", s.conv);
        let mut created = 0;
        let mut refused = Vec::new();
        for i in 0..10 {
            let r = zhang
                .request(reqwest::Method::POST, &path)
                .json(&json!({"type": "text", "text": format!("第 {i} 条")}))
                .send()
                .await
                .unwrap();
            let status = r.status();
            let retry_after = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            let body: Value = r.json().await.unwrap();
            match status {
                StatusCode::CREATED => {
                    assert!(refused.is_empty() || i >= 5, "{body}");
                    created += 1;
                }
                StatusCode::TOO_MANY_REQUESTS => {
                    assert_eq!(code(&body), "send_rate_limited", "{body}");
                    assert!(body["error"]["details"]["retry_after_ms"].as_u64().unwrap() > 0);
                    assert!(retry_after.is_some_and(|s| s >= 1), "Retry-After missing");
                    refused.push(i);
                }
                other => panic!("{other}: {body}"),
            }
        }
        // The burst passes whole; beyond it sends are refused, and only what was accepted is stored.
        assert!(created >= 5, "{created}");
        assert!(!refused.is_empty(), "nothing was refused");
        assert!(refused[0] >= 5, "{refused:?}");
        assert_eq!(zhangs_stored(app, &s, start).await.len(), created);
        // The limit is per member.
        let li = api_token(app, "li", "Secret2026b").await;
        let (st, b) = bearer(app, &li)
            .post(&path, json!({"type": "text", "text": "我不受影响"}))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
    }
);

both_with!(
    socket_sends_over_the_rate_are_refused_in_order,
    slow_sends,
    async |app: &TestApp| {
        let s = scene(app).await;
        let start = last_seq(&s).await;
        let mut ws = connect(app, &s.a).await;
        for i in 0..10 {
            send_op(&mut ws, json!({"op": "send", "ref": format!("r{i}"), "conv": s.conv, "msg": {"type": "text", "text": format!("第 {i} 条"), "client_id": format!("c{i}")}})).await;
        }
        let mut answers = Vec::new();
        while answers.len() < 10 {
            let f = next_text(&mut ws).await;
            if f["t"] == "ack" || f["t"] == "nack" {
                answers.push(f);
            }
        }
        let refs: Vec<&str> = answers.iter().map(|f| f["ref"].as_str().unwrap()).collect();
        let want: Vec<String> = (0..10).map(|i| format!("r{i}")).collect();
        assert_eq!(refs, want, "answers out of order");
        let acked = answers.iter().filter(|f| f["t"] == "ack").count();
        assert!(answers[..5].iter().all(|f| f["t"] == "ack"), "{answers:?}");
        let nack = answers
            .iter()
            .find(|f| f["t"] == "nack")
            .expect("a send over the rate is refused");
        assert_eq!(nack["error"]["code"], "send_rate_limited", "{nack}");
        assert!(nack["error"]["details"]["retry_after_ms"].as_u64().unwrap() > 0);
        assert_eq!(zhangs_stored(app, &s, start).await.len(), acked);
        // The socket stays usable.
        send_op(&mut ws, json!({"op": "ping"})).await;
        next_of(&mut ws, "pong").await;
    }
);

both_with!(
    one_sockets_rapid_sends_are_stored_and_delivered_in_order,
    |c: &mut qixie_kernel::config::Config| {
        c.send_rate_per_second = 1_000_000;
        c.send_rate_burst = 1_000_000;
    },
    async |app: &TestApp| {
        const N: usize = 400;
        let s = scene(app).await;
        let start = last_seq(&s).await;
        let li_token = api_token(app, "li", "Secret2026b").await;
        let mut li = connect(app, &li_token).await;
        let mut ws = connect(app, &s.a).await;
        for i in 0..N {
            send_op(&mut ws, json!({"op": "send", "ref": format!("r{i}"), "conv": s.conv, "msg": {"type": "text", "text": format!("第 {i} 条"), "client_id": format!("c{i}")}})).await;
        }
        // Acknowledged in the order sent, with increasing seqs.
        let mut last = start;
        let mut acked = 0;
        while acked < N {
            let f = next_text(&mut ws).await;
            match f["t"].as_str() {
                Some("ack") => {
                    assert_eq!(f["ref"], format!("r{acked}"), "{f}");
                    assert_eq!(f["event"]["client_id"], format!("c{acked}"), "{f}");
                    let seq = f["event"]["seq"].as_i64().unwrap();
                    assert!(seq > last, "ack of r{acked} has seq {seq} after {last}");
                    last = seq;
                    acked += 1;
                }
                Some("nack") => panic!("refused: {f}"),
                _ => {}
            }
        }
        // Delivered to another member in the order sent.
        let mut heard = Vec::new();
        while heard.len() < N {
            let f = next_of(&mut li, "event").await;
            if let Some(c) = f["event"]["client_id"].as_str() {
                heard.push(c.to_owned());
            }
        }
        let want: Vec<String> = (0..N).map(|i| format!("c{i}")).collect();
        assert_eq!(heard, want, "delivered out of order");
        // Stored in the order sent.
        let stored: Vec<String> = zhangs_stored(app, &s, start)
            .await
            .iter()
            .map(|e| e["client_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(stored, want, "stored out of order");
    }
);
