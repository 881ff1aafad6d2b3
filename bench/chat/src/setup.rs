//! The enterprise under test, built through the real API: one CSV import of the members, an initial
//! password for each (administrator reset), each member's first sign-in (`client: "api"`, bearer
//! token) and password change, then the conversations, created by members.
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bench_common::client::Api;
use bench_common::stats::secs;
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};

use crate::ws::Convs;

pub const CORP_NAME: &str = "聊天基准";
pub const ADMIN: &str = "admin";
pub const ADMIN_PW: &str = "Bench2026x";
const INITIAL_PW: &str = "Start2026pw";
const MEMBER_PW: &str = "Chat#2026pw";
/// Concurrent requests while setting up.
pub const SETUP_CONCURRENCY: usize = 16;

/// Member-authenticated JSON calls (bearer token), many at once over one connection pool.
#[derive(Clone)]
pub struct Rest {
    http: reqwest::Client,
    pub base: String,
}

impl Rest {
    pub fn new(base: &str) -> Result<Rest> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .pool_max_idle_per_host(64)
            .build()
            .context("cannot build an HTTP client")?;
        Ok(Rest {
            http,
            base: base.to_owned(),
        })
    }

    /// A call that must answer 2xx; its JSON body (Null when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Value> {
        let mut r = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(b);
        }
        let res = r.send().await.with_context(|| format!("{method} {path}"))?;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("{method} {path}: {status}: {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: &str) -> Result<Value> {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Result<Value> {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }
}

pub struct Member {
    pub token: String,
}

/// What the phases share: members with their tokens, the conversations with their members and
/// current last seq (kept up to date by the phases), and which conversations each member is in.
pub struct World {
    pub members: Vec<Member>,
    pub convs: Arc<Convs>,
    /// Member indexes of each conversation, the creator first.
    pub conv_members: Vec<Vec<usize>>,
    pub last_seq: Vec<u64>,
    /// Conversation indexes of each member.
    pub member_convs: Vec<Vec<u32>>,
    /// The big group, and the small conversations of the throughput and storm phases.
    pub group: u32,
    pub small: Vec<u32>,
}

pub struct Sizes {
    pub group_members: usize,
    pub convs: usize,
    pub conv_members: usize,
}

pub fn userid(i: usize) -> String {
    format!("chat{i:05}")
}

/// The import file: members `chat00000` …, in departments of 100 under 聊天基准/压测中心.
fn members_csv(n: usize) -> Vec<u8> {
    let mut out = String::with_capacity(n * 64 + 64);
    out.push_str("姓名,帐号,手机,部门\n");
    for i in 0..n {
        // Unique mobiles: 139 followed by eight digits.
        let _ = writeln!(
            out,
            "压测成员{i},{},139{:08},{CORP_NAME}/压测中心/第{}组",
            userid(i),
            (i as u64 * 7_919 + 10_000_000) % 100_000_000,
            i / 100 + 1
        );
    }
    out.into_bytes()
}

/// `qixie init` has run; builds everything else through the HTTP API.
pub async fn build(base: &str, corp_id: &str, sizes: &Sizes) -> Result<World> {
    let n = sizes
        .group_members
        .max(sizes.convs * sizes.conv_members)
        .max(2);
    let mut admin = Api::new(base)?;
    admin.login(corp_id, ADMIN, ADMIN_PW).await?;

    let t = Instant::now();
    let csv = members_csv(n);
    let (took, status, r) = admin
        .upload(
            "/api/v1/admin/members/import",
            "members.csv",
            csv,
            &[("mode", "all_or_nothing")],
            Duration::from_secs(600),
        )
        .await
        .context("member import")?;
    if !status.is_success() || r["created"].as_u64() != Some(n as u64) {
        bail!("importing {n} members answered {status}: {r}");
    }
    eprintln!("imported {n} members in {}", secs(took));

    // Initial password, first sign-in, password change: what each new member's first day looks like.
    let rest = Rest::new(base)?;
    let done = Arc::new(AtomicUsize::new(0));
    let admin = Arc::new(admin);
    let results: Vec<Result<(usize, String)>> = futures_util::stream::iter(0..n)
        .map(|i| {
            let (admin, rest, done) = (admin.clone(), rest.clone(), done.clone());
            let corp_id = corp_id.to_owned();
            async move {
                let token = activate(&admin, &rest, &corp_id, &userid(i)).await?;
                let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                if k % 500 == 0 || k == n {
                    eprintln!("  members signed in: {k}/{n}");
                }
                Ok((i, token))
            }
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .collect()
        .await;
    let mut tokens = vec![String::new(); n];
    for r in results {
        let (i, token) = r?;
        tokens[i] = token;
    }
    let members: Vec<Member> = tokens.into_iter().map(|token| Member { token }).collect();
    eprintln!(
        "{n} members imported, given passwords and signed in in {}",
        secs(t.elapsed())
    );

    // The conversations: the big group first, then the small ones.
    let t = Instant::now();
    let mut specs: Vec<(String, Vec<usize>)> = vec![(
        "压测-扇出大群-项目群".into(),
        (0..sizes.group_members).collect(),
    )];
    for k in 0..sizes.convs {
        let first = k * sizes.conv_members;
        specs.push((
            format!("压测-吞吐{k}-项目群"),
            (first..first + sizes.conv_members).collect(),
        ));
    }
    let total = specs.len();
    let created: Vec<Result<(usize, String, u64)>> =
        futures_util::stream::iter(specs.iter().enumerate())
            .map(|(i, (name, who))| {
                let rest = rest.clone();
                let creator = members[who[0]].token.clone();
                let userids: Vec<String> = who[1..].iter().map(|m| userid(*m)).collect();
                let name = name.clone();
                let expected = who.len();
                async move {
                    let c = rest
                        .post(
                            "/api/v1/chat/conversations",
                            &creator,
                            &json!({"name": name, "group_type": "项目群", "userids": userids}),
                        )
                        .await
                        .with_context(|| format!("creating conversation {name}"))?;
                    let id = c["id"]
                        .as_str()
                        .with_context(|| format!("no id in the created conversation: {c}"))?
                        .to_owned();
                    let count = c["member_count"].as_u64().unwrap_or(0) as usize;
                    if count != expected {
                        bail!("conversation {name} has {count} members, expected {expected}");
                    }
                    Ok((i, id, c["last_seq"].as_u64().unwrap_or(0)))
                }
            })
            .buffer_unordered(8)
            .collect()
            .await;
    let mut ids = vec![(String::new(), 0u64); total];
    for r in created {
        let (i, id, last) = r?;
        ids[i] = (id, last);
    }
    let mut convs = Convs::default();
    let mut last_seq = Vec::with_capacity(total);
    let mut member_convs = vec![Vec::new(); n];
    let mut conv_members = Vec::with_capacity(total);
    for ((id, last), (_, who)) in ids.into_iter().zip(specs) {
        let c = convs.add(id);
        last_seq.push(last);
        for m in &who {
            member_convs[*m].push(c);
        }
        conv_members.push(who);
    }
    eprintln!(
        "created a group of {} and {} conversations of {} in {}",
        sizes.group_members,
        sizes.convs,
        sizes.conv_members,
        secs(t.elapsed())
    );
    Ok(World {
        members,
        convs: Arc::new(convs),
        conv_members,
        last_seq,
        member_convs,
        group: 0,
        small: (1..total as u32).collect(),
    })
}

/// Initial password (by the administrator), first sign-in, password change; returns the token of
/// that first session, which stays valid after the change.
async fn activate(admin: &Api, rest: &Rest, corp_id: &str, userid: &str) -> Result<String> {
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
                         "client": "api", "device": "bench-chat"}),
            ),
        )
        .await?;
    let token = login["token"]
        .as_str()
        .with_context(|| format!("no token in the sign-in answer for {userid}: {login}"))?
        .to_owned();
    if login["must_change_password"].as_bool() != Some(false) {
        rest.post(
            "/api/v1/me/password",
            &token,
            &json!({"old_password": INITIAL_PW, "new_password": MEMBER_PW}),
        )
        .await?;
    }
    Ok(token)
}

impl World {
    /// Reads the current last seq of each conversation from the server (as its creator sees it).
    pub async fn refresh_last_seq(&mut self, rest: &Rest) -> Result<()> {
        let calls = (0..self.convs.ids.len()).map(|c| {
            let path = format!("/api/v1/chat/conversations/{}", self.convs.ids[c]);
            let token = self.members[self.conv_members[c][0]].token.clone();
            let rest = rest.clone();
            async move {
                let v = rest.get(&path, &token).await?;
                anyhow::Ok((c, v["last_seq"].as_u64().unwrap_or(0)))
            }
        });
        let got: Vec<Result<(usize, u64)>> = futures_util::stream::iter(calls)
            .buffer_unordered(SETUP_CONCURRENCY)
            .collect()
            .await;
        for r in got {
            let (c, s) = r?;
            self.last_seq[c] = s;
        }
        Ok(())
    }
}
