//! Attention: which messages alert whom and when (working hours, do-not-disturb, mute, mentions,
//! "not urgent"), the summary when the working day starts, urgent messages notified again until
//! read, automatic replies, quiet hours seen (not changed) by administrators, and the "mentioned
//! me" flag of a conversation.
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use qixie_kernel::clock::Clock;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::both;
use crate::helpers::*;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// Midnight (Asia/Shanghai) of Monday 2026-09-21; the test clock starts that evening at 22:13.
const MONDAY: i64 = 1_789_920_000_000;

/// Moves the test clock forward to `day` days after Monday, `h:m` local time.
fn at(app: &TestApp, day: i64, h: i64, m: i64) {
    let target = MONDAY + day * DAY + h * HOUR + m * MIN;
    let now = app.clock.now_ms();
    assert!(target >= now, "the clock only moves forward");
    app.clock.advance_ms(target - now);
}

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

async fn connect(app: &TestApp, account: &str, password: &str) -> Ws {
    let token = api_token(app, account, password).await;
    let url = format!("{}/api/v1/realtime", app.base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    next(&mut ws, "hello").await;
    ws
}

/// The next frame of type `t`, skipping others.
async fn next(ws: &mut Ws, t: &str) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap_or_else(|_| panic!("no {t} frame in time"))
            .unwrap()
            .unwrap();
        if let Message::Text(text) = m {
            let v: Value = serde_json::from_str(text.as_str()).unwrap();
            if v["t"] == t {
                return v;
            }
        }
    }
}

/// Every frame that arrives within `ms`.
async fn frames_for(ws: &mut Ws, ms: u64) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    let mut out = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => out.push(serde_json::from_str(t.as_str()).unwrap()),
            Ok(Some(Ok(_))) => {}
            _ => return out,
        }
    }
}

fn notifies(frames: &[Value]) -> Vec<&Value> {
    frames.iter().filter(|f| f["t"] == "notify").collect()
}

struct People {
    boss: Client,
    zhang: Client,
    li: Client,
    wang: Client,
}

const ZHANG_PW: &str = "Secret2026a";
const LI_PW: &str = "Secret2026b";
const WANG_PW: &str = "Secret2026c";

async fn people(app: &TestApp) -> People {
    let boss = app.admin().await;
    let d = dept(&boss, "研发部", 1).await;
    let zhang = app
        .member_with_password(&boss, "zhang", &[d], ZHANG_PW)
        .await;
    let li = app.member_with_password(&boss, "li", &[d], LI_PW).await;
    let wang = app.member_with_password(&boss, "wang", &[1], WANG_PW).await;
    People {
        boss,
        zhang,
        li,
        wang,
    }
}

async fn group(c: &Client, name: &str, userids: &[&str]) -> String {
    let (s, g) = c
        .post(
            "/api/v1/chat/conversations",
            json!({"name": name, "userids": userids}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    g["id"].as_str().unwrap().to_owned()
}

async fn direct(c: &Client, userid: &str) -> String {
    let (s, d) = c
        .post("/api/v1/chat/direct", json!({"userid": userid}))
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    d["id"].as_str().unwrap().to_owned()
}

async fn send(c: &Client, conv: &str, body: Value) -> Value {
    let (s, m) = c
        .post(&format!("/api/v1/chat/conversations/{conv}/messages"), body)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    m
}

async fn say(c: &Client, conv: &str, text: &str) -> Value {
    send(c, conv, json!({"type": "text", "text": text})).await
}

async fn settings(c: &Client, body: Value) -> (StatusCode, Value) {
    c.call(Method::PUT, "/api/v1/chat/attention", Some(body))
        .await
}

/// The automatic replies in a conversation, as `c` reads it.
async fn auto_replies(c: &Client, conv: &str) -> Vec<Value> {
    let (s, h) = c
        .get(&format!("/api/v1/chat/conversations/{conv}/messages"))
        .await;
    assert_eq!(s, StatusCode::OK, "{h}");
    h["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["content"]["auto_reply"] == json!(true))
        .cloned()
        .collect()
}

/// Waits until `c` sees `n` automatic replies in `conv`.
async fn wait_auto_replies(c: &Client, conv: &str, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let found = auto_replies(c, conv).await;
        if found.len() >= n {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {n} automatic replies in time");
}

both!(
    alerts_follow_working_hours_and_do_not_disturb,
    async |app: &TestApp| {
        let p = people(app).await;
        let dm = direct(&p.zhang, "li").await;
        let mut li = connect(app, "li", LI_PW).await;
        // Monday 22:13, after working hours: the message arrives, silently.
        let (_, mine) = p.li.get("/api/v1/chat/attention").await;
        assert_eq!(mine["quiet_now"], true, "{mine}");
        crate::snap!(mine, @r#"
        {
          "auto_reply": {
            "active": false,
            "mode": "off",
            "text": ""
          },
          "dnd": {
            "on": false,
            "until": null
          },
          "next_start": "[ms]",
          "quiet_now": true,
          "time_zone": "Asia/Shanghai",
          "working_hours": {
            "days": [
              1,
              2,
              3,
              4,
              5
            ],
            "end": "18:00",
            "start": "09:00"
          }
        }
        "#);
        assert_eq!(mine["next_start"], MONDAY + DAY + 9 * HOUR);
        assert_eq!(mine["time_zone"], "Asia/Shanghai");
        assert_eq!(mine["working_hours"]["days"], json!([1, 2, 3, 4, 5]));
        let m = say(&p.zhang, &dm, "晚上好").await;
        let e = next(&mut li, "event").await;
        assert_eq!(e["seq"], m["seq"]);
        // "Not urgent, read when convenient": never alerts, is not summarised, and says so.
        let nu = send(
            &p.zhang,
            &dm,
            json!({"type": "text", "text": "有空看看", "not_urgent": true}),
        )
        .await;
        assert_eq!(nu["not_urgent"], true);
        let quiet = frames_for(&mut li, 800).await;
        assert!(notifies(&quiet).is_empty(), "{quiet:?}");
        assert!(
            quiet
                .iter()
                .any(|f| f["t"] == "event" && f["event"]["not_urgent"] == true)
        );

        // Tuesday 09:00: the working day starts and the summary comes.
        at(app, 1, 9, 0);
        let d = next(&mut li, "digest").await;
        assert_eq!(d["total"], 1, "{d}");
        assert_eq!(d["conversations"], 1);
        assert_eq!(d["items"][0]["conv"], dm.as_str());
        assert_eq!(d["items"][0]["count"], 1);
        assert_eq!(d["items"][0]["mentions"], 0);
        let (_, pending) = p.li.get("/api/v1/chat/attention/digest").await;
        crate::snap!(pending, @r#"
        {
          "digest": {
            "at": "[ms]",
            "conversations": 1,
            "items": [
              {
                "conv": "[id]",
                "count": 1,
                "mentions": 0
              }
            ],
            "mentions": 0,
            "since": "[ms]",
            "total": 1
          }
        }
        "#);

        // Inside working hours a message alerts, with what it says.
        at(app, 1, 10, 0);
        say(&p.zhang, &dm, "早").await;
        let n = next(&mut li, "notify").await;
        assert_eq!(n["kind"], "message");
        assert_eq!(n["conv"], dm.as_str());
        assert_eq!(n["text"], "早");
        assert_eq!(n["sender"]["userid"], "zhang");
        assert_eq!(n["mention"], Value::Null);
        // …unless it is not urgent.
        app.clock.advance_ms(5_000);
        send(
            &p.zhang,
            &dm,
            json!({"type": "text", "text": "不急", "not_urgent": true}),
        )
        .await;
        let f = frames_for(&mut li, 800).await;
        assert!(notifies(&f).is_empty(), "{f:?}");
        // The sender hears nothing about their own messages.
        let mut zhang = connect(app, "zhang", ZHANG_PW).await;
        app.clock.advance_ms(5_000);
        say(&p.zhang, &dm, "自己发的").await;
        let f = frames_for(&mut zhang, 800).await;
        assert!(notifies(&f).is_empty(), "{f:?}");
        next(&mut li, "notify").await;

        // Do-not-disturb holds alerts back in working hours too; the other devices hear of the change.
        let (s, v) = settings(&p.li, json!({"dnd": {"on": true}})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["dnd"]["on"], true);
        crate::snap!(v, @r#"
        {
          "auto_reply": {
            "active": false,
            "mode": "off",
            "text": ""
          },
          "dnd": {
            "on": true,
            "until": null
          },
          "next_start": null,
          "quiet_now": true,
          "time_zone": "Asia/Shanghai",
          "working_hours": {
            "days": [
              1,
              2,
              3,
              4,
              5
            ],
            "end": "18:00",
            "start": "09:00"
          }
        }
        "#);
        assert_eq!(v["quiet_now"], true);
        assert_eq!(v["next_start"], Value::Null);
        next(&mut li, "attention").await;
        app.clock.advance_ms(5_000);
        say(&p.zhang, &dm, "在吗").await;
        let f = frames_for(&mut li, 800).await;
        assert!(notifies(&f).is_empty(), "{f:?}");
        // Turning it off brings the summary of what was held at once.
        let (s, v) = settings(&p.li, json!({"dnd": {"on": false}})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["quiet_now"], false);
        let d = next(&mut li, "digest").await;
        assert_eq!(d["total"], 1, "{d}");

        // Do-not-disturb until a time: alerts resume then.
        let until = app.clock.now_ms() + 30 * MIN;
        let (s, v) = settings(&p.li, json!({"dnd": {"on": true, "until": until}})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["next_start"], until);
        assert_eq!(v["dnd"]["until"], until);
        let (s, v) = settings(
            &p.li,
            json!({"dnd": {"on": true, "until": app.clock.now_ms() - 1}}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["fields"]["dnd.until"], "in_the_past", "{v}");
        crate::snap!(v, @r#"
        {
          "error": {
            "code": "validation_failed",
            "fields": {
              "dnd.until": "in_the_past"
            },
            "key": "error.validation_failed",
            "message": "填写的内容有误，请检查标出的字段"
          }
        }
        "#);
        app.clock.advance_ms(31 * MIN);
        say(&p.zhang, &dm, "开完会了吗").await;
        let n = next(&mut li, "notify").await;
        assert_eq!(n["text"], "开完会了吗");
        let _ = (&p.boss, &p.wang);
    }
);

both!(
    mute_silences_a_group_except_mentions,
    async |app: &TestApp| {
        let p = people(app).await;
        at(app, 1, 10, 0);
        let g = group(&p.zhang, "周会", &["li", "wang"]).await;
        let (s, _) =
            p.li.patch(
                &format!("/api/v1/chat/conversations/{g}/me"),
                json!({"muted": true}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let mut li = connect(app, "li", LI_PW).await;
        let mut wang = connect(app, "wang", WANG_PW).await;
        say(&p.zhang, &g, "普通消息").await;
        let n = next(&mut wang, "notify").await;
        assert_eq!(
            (n["text"].as_str(), &n["mention"]),
            (Some("普通消息"), &Value::Null)
        );
        let f = frames_for(&mut li, 800).await;
        assert!(f.iter().any(|f| f["t"] == "event"), "{f:?}");
        assert!(notifies(&f).is_empty(), "muted: {f:?}");

        // An @mention of me, or @all, still alerts in a muted group.
        app.clock.advance_ms(4_000);
        say(&p.zhang, &g, "@{li} 请看一下").await;
        let n = next(&mut li, "notify").await;
        assert_eq!(n["mention"], "me");
        app.clock.advance_ms(4_000);
        say(&p.zhang, &g, "@{all} 三点开会").await;
        let n = next(&mut li, "notify").await;
        assert_eq!(n["mention"], "all");
        // wang, who has not muted it, heard every one.
        let n = next(&mut wang, "notify").await;
        assert_eq!(n["text"], "@li 请看一下", "{n}");
        let n = next(&mut wang, "notify").await;
        assert_eq!(n["mention"], "all", "{n}");

        // A busy conversation rings once in a few seconds; mentions ring each time.
        app.clock.advance_ms(4_000);
        say(&p.zhang, &g, "一").await;
        say(&p.zhang, &g, "二").await;
        say(&p.zhang, &g, "@{wang} 三").await;
        let f = frames_for(&mut wang, 1_000).await;
        let plain = notifies(&f)
            .iter()
            .filter(|n| n["mention"].is_null())
            .count();
        let named = notifies(&f).iter().filter(|n| n["mention"] == "me").count();
        assert_eq!((plain, named), (1, 1), "{f:?}");
        let _ = &p.boss;
    }
);

both!(
    summary_waits_for_an_offline_member,
    async |app: &TestApp| {
        let p = people(app).await;
        let dm = direct(&p.zhang, "li").await;
        let g = group(&p.wang, "发布", &["li", "zhang"]).await;
        // Monday night, li is offline.
        say(&p.zhang, &dm, "一").await;
        say(&p.zhang, &dm, "二").await;
        say(&p.wang, &g, "@{li} 明早看").await;
        say(&p.li, &g, "我自己说的").await;
        let (_, d) = p.li.get("/api/v1/chat/attention/digest").await;
        assert_eq!(d["digest"], Value::Null);
        // Tuesday 09:00: the summary is made and waits.
        at(app, 1, 9, 0);
        let mut digest = Value::Null;
        for _ in 0..100 {
            let (s, d) = p.li.get("/api/v1/chat/attention/digest").await;
            assert_eq!(s, StatusCode::OK);
            if !d["digest"].is_null() {
                digest = d["digest"].clone();
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(digest["total"], 3, "{digest}");
        assert_eq!(digest["conversations"], 2);
        assert_eq!(digest["mentions"], 1);
        assert_eq!(digest["items"][0]["conv"], dm.as_str());
        assert_eq!(digest["items"][0]["count"], 2);
        assert_eq!(digest["items"][1]["conv"], g.as_str());
        assert_eq!(digest["items"][1]["mentions"], 1);
        assert!(digest["since"].as_i64().unwrap() < MONDAY + DAY);
        // Connecting brings it.
        let mut li = connect(app, "li", LI_PW).await;
        let f = next(&mut li, "digest").await;
        assert_eq!(f["total"], 3);
        // Dismissed, it is gone everywhere.
        let (s, _) = p.li.delete("/api/v1/chat/attention/digest").await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (_, d) = p.li.get("/api/v1/chat/attention/digest").await;
        assert_eq!(d["digest"], Value::Null);
        let mut again = connect(app, "li", LI_PW).await;
        again
            .send(Message::Text(
                json!({"op": "resume", "convs": {}}).to_string().into(),
            ))
            .await
            .unwrap();
        let mut before_resumed = Vec::new();
        loop {
            let f = frames_for(&mut again, 3_000).await;
            assert!(!f.is_empty(), "no resumed frame");
            let done = f.iter().any(|x| x["t"] == "resumed");
            before_resumed.extend(f);
            if done {
                break;
            }
        }
        assert!(
            !before_resumed.iter().any(|f| f["t"] == "digest"),
            "{before_resumed:?}"
        );
        let _ = &p.boss;
    }
);

both!(
    urgent_messages_notify_again_until_read,
    async |app: &TestApp| {
        let p = people(app).await;
        let g = group(&p.zhang, "值班", &["li", "wang"]).await;
        // li rests in every way: after hours, do-not-disturb, and the group muted.
        let (s, _) = settings(&p.li, json!({"dnd": {"on": true}})).await;
        assert_eq!(s, StatusCode::OK);
        p.li.patch(
            &format!("/api/v1/chat/conversations/{g}/me"),
            json!({"muted": true}),
        )
        .await;
        let mut li = connect(app, "li", LI_PW).await;
        let mut wang = connect(app, "wang", WANG_PW).await;
        let m = say(&p.zhang, &g, "服务器宕机").await;
        let id = m["id"].as_str().unwrap().to_owned();
        let seq = m["seq"].as_i64().unwrap();
        let f = frames_for(&mut li, 600).await;
        assert!(notifies(&f).is_empty(), "{f:?}");
        let requested = app.clock.now_ms();
        let url = format!("/api/v1/chat/messages/{id}/urgent");
        // Only its sender may make it urgent or see the list.
        let (s, _) = p.li.post(&url, json!({})).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, r) = p.zhang.post(&url, json!({})).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        crate::snap!(r, {".notified" => insta::sorted_redaction()}, @r#"
        {
          "notified": [
            "li",
            "wang"
          ],
          "skipped": []
        }
        "#);
        let mut notified: Vec<&str> = r["notified"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u.as_str().unwrap())
            .collect();
        notified.sort();
        assert_eq!(notified, ["li", "wang"]);
        // At once, whatever quiet hours, do-not-disturb and mute say.
        let n = next(&mut li, "notify").await;
        assert_eq!(
            (n["kind"].as_str(), n["attempt"].as_i64(), n["id"].as_str()),
            (Some("urgent"), Some(1), Some(id.as_str()))
        );
        let f = {
            let mut f = Vec::new();
            loop {
                let x = next_any(&mut wang).await;
                let stop = x["t"] == "notify";
                f.push(x);
                if stop {
                    break f;
                }
            }
        };
        assert!(
            f.iter()
                .any(|x| x["t"] == "event" && x["event"]["content"]["code"] == "urgent"),
            "everyone sees it was made urgent: {f:?}"
        );
        assert_eq!(f.last().unwrap()["attempt"], 1);
        let (_, h) = p
            .wang
            .get(&format!("/api/v1/chat/conversations/{g}/messages"))
            .await;
        let msg = h["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id.as_str())
            .unwrap()
            .clone();
        assert_eq!(msg["urgent"], true);
        // Not twice over for the same people.
        let (s, b) = p.zhang.post(&url, json!({})).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::TOO_MANY_REQUESTS, "urgent_pending")
        );
        // The request is in the audit log.
        let (_, a) = p.boss.get("/api/v1/admin/audit?kind=chat.urgent").await;
        assert_eq!(a["total"], 1, "{a}");
        let recipients = a["items"][0]["after"]["recipients"].to_string();
        assert!(
            recipients.contains("li") && recipients.contains("wang"),
            "{a}"
        );

        // Five minutes on, both again.
        app.clock.advance_ms(5 * MIN);
        assert_eq!(next(&mut li, "notify").await["attempt"], 2);
        assert_eq!(next(&mut wang, "notify").await["attempt"], 2);
        // li reads it: that stops li's, not wang's.
        let (s, _) =
            p.li.post(
                &format!("/api/v1/chat/conversations/{g}/read"),
                json!({"seq": seq}),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        app.clock.advance_ms(10 * MIN);
        assert_eq!(next(&mut wang, "notify").await["attempt"], 3);
        let f = frames_for(&mut li, 1_500).await;
        assert!(notifies(&f).is_empty(), "{f:?}");
        let (s, list) = p.zhang.get(&url).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        crate::snap!(list, @r#"
        {
          "items": [
            {
              "last_sent_at": "[ms]",
              "member": {
                "avatar": "",
                "name": "li",
                "userid": "li"
              },
              "next_at": null,
              "read": true,
              "read_at": "[ms]",
              "requested_at": "[ms]",
              "sent": 2
            },
            {
              "last_sent_at": "[ms]",
              "member": {
                "avatar": "",
                "name": "wang",
                "userid": "wang"
              },
              "next_at": "[ms]",
              "read": false,
              "read_at": null,
              "requested_at": "[ms]",
              "sent": 3
            }
          ],
          "log": [
            {
              "at": "[ms]",
              "attempt": 1,
              "userid": "li"
            },
            {
              "at": "[ms]",
              "attempt": 1,
              "userid": "wang"
            },
            {
              "at": "[ms]",
              "attempt": 2,
              "userid": "li"
            },
            {
              "at": "[ms]",
              "attempt": 2,
              "userid": "wang"
            },
            {
              "at": "[ms]",
              "attempt": 3,
              "userid": "wang"
            }
          ],
          "schedule_minutes": [
            0,
            5,
            15,
            30,
            60,
            120,
            180,
            240,
            300,
            360,
            420,
            480
          ]
        }
        "#);
        let item = |u: &str| {
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["member"]["userid"] == u)
                .unwrap()
                .clone()
        };
        let (li_item, wang_item) = (item("li"), item("wang"));
        assert_eq!(
            (li_item["read"].as_bool(), li_item["sent"].as_i64()),
            (Some(true), Some(2))
        );
        assert_eq!(li_item["next_at"], Value::Null);
        assert_eq!(
            (wang_item["read"].as_bool(), wang_item["sent"].as_i64()),
            (Some(false), Some(3))
        );
        assert_eq!(wang_item["next_at"], requested + 30 * MIN);
        assert_eq!(list["log"].as_array().unwrap().len(), 5, "{list}");
        let (s, _) = p.li.get(&url).await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // Steps missed while nothing ran are not sent in a burst; the schedule ends after 8 hours.
        app.clock.advance_ms(8 * HOUR);
        assert_eq!(next(&mut wang, "notify").await["attempt"], 4);
        let f = frames_for(&mut wang, 1_500).await;
        assert!(notifies(&f).is_empty(), "{f:?}");
        let (_, list) = p.zhang.get(&url).await;
        let w = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["member"]["userid"] == "wang")
            .unwrap()
            .clone();
        assert_eq!((w["sent"].as_i64(), &w["next_at"]), (Some(4), &Value::Null));
        // Once the reminders ended, the sender may ask again.
        let (s, r) = p.zhang.post(&url, json!({"userids": ["wang"]})).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["notified"], json!(["wang"]));
        assert_eq!(next(&mut wang, "notify").await["attempt"], 1);
        // Nobody left who has not read it.
        let (s, b) = p.zhang.post(&url, json!({"userids": ["li"]})).await;
        assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "urgent_nobody"));
        crate::snap!(b, @r#"
        {
          "error": {
            "code": "urgent_nobody",
            "key": "error.urgent_nobody",
            "message": "接收人都已读这条消息，无需加急"
          }
        }
        "#);

        // Urgent when sending: at once too.
        let dm = direct(&p.zhang, "li").await;
        let u = send(
            &p.zhang,
            &dm,
            json!({"type": "text", "text": "速回电话", "urgent": true}),
        )
        .await;
        assert_eq!(u["urgent"], true);
        let n = next(&mut li, "notify").await;
        assert_eq!(
            (n["kind"].as_str(), n["text"].as_str()),
            (Some("urgent"), Some("速回电话"))
        );
        let (_, a) = p.boss.get("/api/v1/admin/audit?kind=chat.urgent").await;
        assert_eq!(a["total"], 3, "{a}");
    }
);

async fn next_any(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame in time")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = m {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

both!(
    auto_reply_once_per_conversation_per_day_without_loops,
    async |app: &TestApp| {
        let p = people(app).await;
        let long = "长".repeat(501);
        let (s, b) = settings(&p.li, json!({"auto_reply": {"mode": "away", "text": long}})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(b["error"]["fields"]["auto_reply.text"], "too_long");
        let (s, b) = settings(&p.li, json!({"auto_reply": {"mode": "away"}})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let (s, v) = settings(
            &p.li,
            json!({"auto_reply": {"mode": "away", "text": "我在休假，急事请找王五"}}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["auto_reply"]["active"], true);
        // zhang has one too: the two must not answer each other.
        let (s, _) = settings(
            &p.zhang,
            json!({"auto_reply": {"mode": "away", "text": "张三外出"}}),
        )
        .await;
        assert_eq!(s, StatusCode::OK);

        let dm = direct(&p.zhang, "li").await;
        say(&p.zhang, &dm, "在吗").await;
        let r = wait_auto_replies(&p.zhang, &dm, 1).await;
        assert_eq!(r[0]["sender"]["userid"], "li");
        assert_eq!(r[0]["content"]["text"], "我在休假，急事请找王五");
        assert_eq!(r[0]["type"], "text");
        say(&p.zhang, &dm, "还在吗").await;
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        let r = auto_replies(&p.zhang, &dm).await;
        assert_eq!(r.len(), 1, "once a day, and no reply to a reply: {r:?}");

        // The next day, once again.
        app.clock.advance_ms(DAY);
        say(&p.zhang, &dm, "第二天了").await;
        let r = wait_auto_replies(&p.zhang, &dm, 2).await;
        assert_eq!(r[1]["sender"]["userid"], "li");
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(auto_replies(&p.zhang, &dm).await.len(), 2);

        // In a group only an @mention of the member calls for it, not @all.
        let g = group(&p.wang, "发布群", &["li", "zhang"]).await;
        say(&p.wang, &g, "@{all} 周五发布").await;
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        assert!(auto_replies(&p.wang, &g).await.is_empty());
        say(&p.wang, &g, "@{li} 请确认").await;
        let r = wait_auto_replies(&p.wang, &g, 1).await;
        assert_eq!(r[0]["sender"]["userid"], "li");
        say(&p.wang, &g, "@{li} 再确认一下").await;
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(auto_replies(&p.wang, &g).await.len(), 1);

        // Robots get no automatic reply.
        let g2 = group(&p.wang, "告警群", &["li"]).await;
        let (s, r) = p
            .wang
            .post(
                &format!("/api/v1/chat/conversations/{g2}/robots"),
                json!({"name": "监控"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let hook = format!(
            "{}/cgi-bin/webhook/send?key={}",
            app.base,
            r["key"].as_str().unwrap()
        );
        let sent: Value = reqwest::Client::new()
        .post(&hook)
        .body(json!({"msgtype": "text", "text": {"content": "CPU 告警", "mentioned_list": ["li"]}}).to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert_eq!(sent["errcode"], 0, "{sent}");
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        assert!(auto_replies(&p.wang, &g2).await.is_empty());

        // "After hours" answers only outside working hours (Wednesday 10:00 and 19:00).
        let (s, _) = settings(&p.li, json!({"auto_reply": {"mode": "after_hours"}})).await;
        assert_eq!(s, StatusCode::OK);
        let (_, v) = p.li.get("/api/v1/chat/attention").await;
        assert_eq!(
            v["auto_reply"]["text"], "我在休假，急事请找王五",
            "the text is kept"
        );
        let dm2 = direct(&p.wang, "li").await;
        at(app, 2, 10, 0);
        say(&p.wang, &dm2, "上班时间").await;
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        assert!(auto_replies(&p.wang, &dm2).await.is_empty());
        at(app, 2, 19, 0);
        say(&p.wang, &dm2, "下班了吗").await;
        wait_auto_replies(&p.wang, &dm2, 1).await;
        // Off is off.
        let (s, _) = settings(&p.li, json!({"auto_reply": {"mode": "off"}})).await;
        assert_eq!(s, StatusCode::OK);
        let dm3 = direct(&p.boss, "li").await;
        say(&p.boss, &dm3, "你好").await;
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert!(auto_replies(&p.boss, &dm3).await.is_empty());
    }
);

both!(
    admins_see_quiet_hours_but_cannot_change_them,
    async |app: &TestApp| {
        let boss = app.admin().await;
        let east = dept(&boss, "华东", 1).await;
        let south = dept(&boss, "华南", 1).await;
        let li = app.member_with_password(&boss, "li", &[east], LI_PW).await;
        let hr = app
            .member_with_password(&boss, "hr", &[south], "Secret2026h")
            .await;
        let (s, b) = boss
        .call(
            Method::PUT,
            "/api/v1/admin/admins/hr",
            Some(json!({"permissions": ["contacts.manage"], "scope": {"all": false, "department_ids": [south]}})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{b}");

        // Only the member sets them, and only valid ones.
        for bad in [
            json!({"working_hours": {"days": [1], "start": "18:00", "end": "09:00"}}),
            json!({"working_hours": {"days": [], "start": "09:00", "end": "18:00"}}),
            json!({"working_hours": {"days": [8], "start": "09:00", "end": "18:00"}}),
            json!({"working_hours": {"days": [1], "start": "9am", "end": "18:00"}}),
            json!({"volume": 3}),
        ] {
            let (s, b) = settings(&li, bad.clone()).await;
            assert!(
                matches!(
                    s,
                    StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST
                ),
                "{bad}: {s} {b}"
            );
        }
        let (s, v) = settings(
            &li,
            json!({"working_hours": {"days": [1, 2, 3, 4, 5, 6], "start": "08:30", "end": "17:30"},
               "auto_reply": {"mode": "away", "text": "私人安排"}}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");

        // An administrator who manages li sees them, but not the automatic reply's words.
        let (s, q) = boss.get("/api/v1/admin/members/li/attention").await;
        assert_eq!(s, StatusCode::OK, "{q}");
        crate::snap!(q, @r#"
        {
          "dnd": {
            "on": false,
            "until": null
          },
          "name": "li",
          "next_start": "[ms]",
          "quiet_now": true,
          "time_zone": "Asia/Shanghai",
          "userid": "li",
          "working_hours": {
            "days": [
              1,
              2,
              3,
              4,
              5,
              6
            ],
            "end": "17:30",
            "start": "08:30"
          }
        }
        "#);
        assert_eq!(q["working_hours"]["days"], json!([1, 2, 3, 4, 5, 6]));
        assert_eq!(q["working_hours"]["start"], "08:30");
        assert_eq!(q["working_hours"]["end"], "17:30");
        assert_eq!(q["time_zone"], "Asia/Shanghai");
        assert_eq!(q["userid"], "li");
        assert!(!q.to_string().contains("私人安排"), "{q}");
        // …and no route changes them.
        for m in [Method::PUT, Method::PATCH, Method::POST, Method::DELETE] {
            let (s, _) = boss
                .call(
                    m.clone(),
                    "/api/v1/admin/members/li/attention",
                    Some(json!({"working_hours": {"days": [7], "start": "00:00", "end": "01:00"}})),
                )
                .await;
            assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{m}");
        }
        let (s, _) = settings(
            &boss,
            json!({"working_hours": {"days": [7], "start": "00:00", "end": "01:00"}}),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let (_, mine) = li.get("/api/v1/chat/attention").await;
        assert_eq!(
            mine["working_hours"]["start"], "08:30",
            "boss changed only their own"
        );
        assert_eq!(mine["auto_reply"]["text"], "私人安排");

        // Outside the administrator's scope, an employee, another enterprise: no.
        let (s, b) = hr.get("/api/v1/admin/members/li/attention").await;
        assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "out_of_scope"));
        let (s, _) = li.get("/api/v1/admin/members/li/attention").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let other = app.second_corp("fboss").await;
        let foreign = app.login_to(&other, "fboss", ADMIN_PW).await;
        let (s, _) = foreign.get("/api/v1/admin/members/li/attention").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, theirs) = foreign.get("/api/v1/chat/attention").await;
        assert_eq!(theirs["working_hours"]["start"], "09:00");

        // Each change is in the audit log, without the reply's words.
        let (_, a) = boss.get("/api/v1/admin/audit?kind=chat.attention").await;
        let entries = a["items"].as_array().unwrap();
        let li_entry = entries
            .iter()
            .find(|e| e["target"] == "member:li")
            .expect("li's change is audited");
        assert_eq!(li_entry["after"]["working_hours"]["start"], "08:30");
        assert_eq!(li_entry["after"]["auto_reply"], "away");
        assert!(!a.to_string().contains("私人安排"));
    }
);

both!(
    conversations_say_when_i_was_mentioned,
    async |app: &TestApp| {
        let p = people(app).await;
        let g = group(&p.zhang, "讨论", &["li", "wang"]).await;
        let flag = async |c: &Client| -> (bool, i64) {
            let (_, v) = c.get(&format!("/api/v1/chat/conversations/{g}")).await;
            (
                v["mentioned"].as_bool().unwrap(),
                v["unread"].as_i64().unwrap(),
            )
        };
        say(&p.zhang, &g, "大家好").await;
        assert_eq!(flag(&p.li).await, (false, 1));
        let m = say(&p.zhang, &g, "@{li} 看一下").await;
        let last = say(&p.zhang, &g, "后面的消息").await;
        // Not only when the mention is the last message.
        assert_eq!(flag(&p.li).await, (true, 3));
        assert_eq!(flag(&p.wang).await, (false, 3));
        let (_, v) = p.li.get(&format!("/api/v1/chat/conversations/{g}")).await;
        assert_eq!(v["mentioned_all"], false);
        let (_, list) = p.li.get("/api/v1/chat/conversations").await;
        let item = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == g.as_str())
            .unwrap()
            .clone();
        assert_eq!(item["mentioned"], true);
        // Read past it: gone.
        p.li.post(
            &format!("/api/v1/chat/conversations/{g}/read"),
            json!({"seq": last["seq"]}),
        )
        .await;
        assert_eq!(flag(&p.li).await, (false, 0));
        // @all mentions everyone.
        let all = say(&p.zhang, &g, "@{all} 开会").await;
        assert!(flag(&p.li).await.0);
        assert!(flag(&p.wang).await.0);
        let (_, v) = p.wang.get(&format!("/api/v1/chat/conversations/{g}")).await;
        assert_eq!(v["mentioned_all"], true, "only @all for wang");
        let (_, v) = p.li.get(&format!("/api/v1/chat/conversations/{g}")).await;
        assert_eq!(v["mentioned_all"], true);
        // A recalled mention no longer counts.
        let (s, _) = p
            .zhang
            .post(
                &format!(
                    "/api/v1/chat/messages/{}/recall",
                    all["id"].as_str().unwrap()
                ),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert!(!flag(&p.li).await.0);
        let _ = (&m, &p.boss);
    }
);

both!(
    working_hours_follow_the_member_or_enterprise_time_zone,
    async |app: &TestApp| {
        let p = people(app).await;
        at(app, 0, 22, 30);
        // Monday 22:30 in Shanghai: after hours for everyone on the enterprise's clock.
        let (_, li) = p.li.get("/api/v1/chat/attention").await;
        assert_eq!(
            (li["quiet_now"].clone(), li["time_zone"].clone()),
            (json!(true), json!("Asia/Shanghai"))
        );
        // li works from New York, where it is Monday 10:30.
        let (s, b) =
            p.li.patch(
                "/api/v1/me/profile",
                json!({"time_zone": "America/New_York"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (_, li) = p.li.get("/api/v1/chat/attention").await;
        assert_eq!(li["time_zone"], "America/New_York", "{li}");
        assert_eq!(li["quiet_now"], false, "{li}");
        let (_, me) = p.li.get("/api/v1/me").await;
        assert_eq!(me["time_zone"], "America/New_York");
        // An unknown zone changes nothing.
        let (s, b) =
            p.li.patch("/api/v1/me/profile", json!({"time_zone": "Mars/Olympus"}))
                .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(b["error"]["fields"]["time_zone"], "unknown");
        // The enterprise moves to London (15:30 there): zhang follows it, li keeps New York.
        let (s, b) = p
            .boss
            .patch("/api/v1/admin/corp", json!({"time_zone": "Europe/London"}))
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["time_zone"], "Europe/London", "{b}");
        let (_, zhang) = p.zhang.get("/api/v1/chat/attention").await;
        assert_eq!(
            (zhang["quiet_now"].clone(), zhang["time_zone"].clone()),
            (json!(false), json!("Europe/London"))
        );
        let (_, li) = p.li.get("/api/v1/chat/attention").await;
        assert_eq!(li["time_zone"], "America/New_York");
        let (s, b) = p
            .boss
            .patch("/api/v1/admin/corp", json!({"time_zone": "UTC+8"}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        // Back to the enterprise's clock.
        let (s, _) =
            p.li.patch("/api/v1/me/profile", json!({"time_zone": ""}))
                .await;
        assert_eq!(s, StatusCode::OK);
        let (_, li) = p.li.get("/api/v1/chat/attention").await;
        assert_eq!(li["time_zone"], "Europe/London");
    }
);
