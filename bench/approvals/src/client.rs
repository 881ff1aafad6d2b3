//! Member calls with a bearer token over one shared connection pool, timed until the whole body
//! has arrived; the realtime socket of a member.
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

pub const INITIAL_PW: &str = "Start2026pw";
pub const MEMBER_PW: &str = "Appr#2026pw";

#[derive(Clone)]
pub struct Rest {
    http: reqwest::Client,
    pub base: String,
}

impl Rest {
    pub fn new(base: &str) -> Result<Rest> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .pool_max_idle_per_host(256)
            .tcp_nodelay(true)
            .build()
            .context("cannot build an HTTP client")?;
        Ok(Rest {
            http,
            base: base.to_owned(),
        })
    }

    /// Any call, timed; the status is returned rather than judged.
    pub async fn timed(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<(Duration, StatusCode, Value)> {
        let mut r = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(b);
        }
        let started = Instant::now();
        let res = r.send().await.with_context(|| format!("{method} {path}"))?;
        let status = res.status();
        let bytes = res
            .bytes()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let took = started.elapsed();
        let v = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Ok((took, status, v))
    }

    /// A call that must answer 2xx; its JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Value> {
        let (_, status, v) = self.timed(method.clone(), path, token, body).await?;
        if !status.is_success() {
            bail!("{method} {path}: {status}: {v}");
        }
        Ok(v)
    }

    /// A GET that must answer 2xx, timed.
    pub async fn get(&self, path: &str, token: &str) -> Result<(Duration, Value)> {
        let (took, status, v) = self.timed(Method::GET, path, Some(token), None).await?;
        if !status.is_success() {
            bail!("GET {path}: {status}: {v}");
        }
        Ok((took, v))
    }
}

/// Initial password (by the administrator), first sign-in as an API client, password change;
/// returns the bearer token.
pub async fn activate(
    admin: &bench_common::client::Api,
    rest: &Rest,
    corp_id: &str,
    userid: &str,
) -> Result<String> {
    admin
        .call(
            Method::POST,
            &format!("/api/v1/admin/members/{userid}/reset-password"),
            Some(json!({"password": INITIAL_PW})),
        )
        .await?;
    let login = rest
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(
                &json!({"corp_id": corp_id, "account": userid, "password": INITIAL_PW,
                         "client": "api", "device": "bench-approvals"}),
            ),
        )
        .await?;
    let token = login["token"]
        .as_str()
        .with_context(|| format!("no token in the sign-in answer for {userid}: {login}"))?
        .to_owned();
    if login["must_change_password"].as_bool() != Some(false) {
        rest.call(
            Method::POST,
            "/api/v1/me/password",
            Some(&token),
            Some(&json!({"old_password": INITIAL_PW, "new_password": MEMBER_PW})),
        )
        .await?;
    }
    Ok(token)
}

/// A member's realtime socket: a task reads every text frame and hands it on with the moment it
/// arrived (taken before anything else is done with it).
pub struct Socket {
    pub frames: tokio::sync::mpsc::UnboundedReceiver<(Instant, String)>,
    task: tokio::task::JoinHandle<()>,
    _sink: futures_util::stream::SplitSink<tokio_tungstenite::WebSocketStream<TcpStream>, Message>,
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn connect(port: u16, token: &str) -> Result<Socket> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream.set_nodelay(true)?;
    let mut req = format!("ws://127.0.0.1:{port}/api/v1/realtime").into_client_request()?;
    req.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}"))?,
    );
    let (ws, _) = tokio_tungstenite::client_async(req, stream)
        .await
        .map_err(|e| anyhow!("WebSocket upgrade: {e}"))?;
    let (mut sink, mut stream) = ws.split();
    let (tx, frames) = tokio::sync::mpsc::unbounded_channel();
    // Pings are answered by the library as the stream is read.
    let task = tokio::spawn(async move {
        while let Some(Ok(m)) = stream.next().await {
            if let Message::Text(t) = m {
                let at = Instant::now();
                if tx.send((at, t.as_str().to_owned())).is_err() {
                    break;
                }
            }
        }
    });
    // The server greets first (`hello`), and forwards live events once the client has said what it
    // holds: nothing, here.
    let mut frames = frames;
    let first = tokio::time::timeout(Duration::from_secs(10), frames.recv())
        .await
        .map_err(|_| anyhow!("no hello within 10 s"))?
        .ok_or_else(|| anyhow!("the socket closed before hello"))?;
    if !first.1.contains("\"hello\"") {
        bail!("the first frame was not hello: {}", first.1);
    }
    sink.send(Message::text(
        json!({"op": "resume", "convs": {}}).to_string(),
    ))
    .await
    .map_err(|e| anyhow!("sending resume: {e}"))?;
    loop {
        let f = tokio::time::timeout(Duration::from_secs(10), frames.recv())
            .await
            .map_err(|_| anyhow!("no resumed within 10 s"))?
            .ok_or_else(|| anyhow!("the socket closed before resumed"))?;
        if f.1.contains("\"resumed\"") {
            break;
        }
    }
    Ok(Socket {
        frames,
        task,
        _sink: sink,
    })
}
