//! Messaging: groups and their rules, messages, receipts, recall, files, robots, the real-time socket
//! with resume, and that no chat route lets an outsider in.
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::both;
use crate::helpers::*;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

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

async fn connect(app: &TestApp, token: &str, origin: Option<&str>) -> Result<Ws, String> {
    let url = format!("{}/api/v1/realtime", app.base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    if let Some(o) = origin {
        req.headers_mut().insert("origin", o.parse().unwrap());
    }
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .map_err(|e| e.to_string())?;
    let hello = next(&mut ws, "hello").await;
    assert!(hello["heartbeat_ms"].as_u64().unwrap() > 0);
    Ok(ws)
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

/// Frames until one of type `until`, in order.
async fn frames_until(ws: &mut Ws, until: &str) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("frame in time")
            .unwrap()
            .unwrap();
        if let Message::Text(text) = m {
            let v: Value = serde_json::from_str(text.as_str()).unwrap();
            let done = v["t"] == until;
            out.push(v);
            if done {
                return out;
            }
        }
    }
}

async fn send_op(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

pub(crate) struct People {
    pub(crate) boss: Client,
    pub(crate) zhang: Client,
    pub(crate) li: Client,
    pub(crate) wang: Client,
}

pub(crate) async fn people(app: &TestApp) -> People {
    let boss = app.admin().await;
    let d = dept(&boss, "研发部", 1).await;
    let zhang = app
        .member_with_password(&boss, "zhang", &[d], "Secret2026a")
        .await;
    let li = app
        .member_with_password(&boss, "li", &[d], "Secret2026b")
        .await;
    let wang = app
        .member_with_password(&boss, "wang", &[1], "Secret2026c")
        .await;
    People {
        boss,
        zhang,
        li,
        wang,
    }
}

pub(crate) async fn group(c: &Client, name: &str, userids: &[&str]) -> String {
    let (s, g) = c
        .post(
            "/api/v1/chat/conversations",
            json!({"name": name, "userids": userids}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    g["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn say(c: &Client, conv: &str, text: &str) -> Value {
    let (s, m) = c
        .post(
            &format!("/api/v1/chat/conversations/{conv}/messages"),
            json!({"type": "text", "text": text}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    m
}

both!(groups_follow_their_rules, async |app: &TestApp| {
    let p = people(app).await;
    let g = group(&p.zhang, "研发周会", &["li"]).await;
    let (_, v) = p
        .zhang
        .get(&format!("/api/v1/chat/conversations/{g}"))
        .await;
    assert_eq!(v["my_role"], "owner");
    assert_eq!(v["member_count"], 2);

    // The naming policy refuses a name that does not follow it, saying what would.
    let (s, pol) = p.boss.get("/api/v1/admin/chat/policy").await;
    assert_eq!(s, StatusCode::OK);
    let mut pol = pol.clone();
    pol["naming"]["enabled"] = json!(true);
    let (s, b) = p
        .boss
        .call(Method::PUT, "/api/v1/admin/chat/policy", Some(pol.clone()))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = p
        .zhang
        .post(
            "/api/v1/chat/conversations",
            json!({"name": "随便聊聊", "userids": ["li"]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&b), "naming_policy");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("【部门】-【项目/事项】-【群类型】"),
        "{b}"
    );
    assert_eq!(b["error"]["details"]["example"], "市场部-新品发布-项目群");
    group(&p.zhang, "研发部-发布-项目群", &["li"]).await;
    // Employees cannot change the policy.
    let (s, _) =
        p.li.call(Method::PUT, "/api/v1/admin/chat/policy", Some(pol))
            .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Only owner and administrators rename by default; @all likewise; mute-all silences members.
    let (s, b) =
        p.li.patch(
            &format!("/api/v1/chat/conversations/{g}"),
            json!({"name": "x"}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "group_admin_only"));
    let (s, b) =
        p.li.post(
            &format!("/api/v1/chat/conversations/{g}/messages"),
            json!({"type": "text", "text": "@{all} 开会"}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "at_all_forbidden"));
    let (s, _) = p
        .zhang
        .patch(
            &format!("/api/v1/chat/conversations/{g}"),
            json!({"settings": {"mute_all": true}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) =
        p.li.post(
            &format!("/api/v1/chat/conversations/{g}/messages"),
            json!({"type": "text", "text": "hi"}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "muted_all"));
    say(&p.zhang, &g, "管理员仍可发言").await;
    p.zhang
        .patch(
            &format!("/api/v1/chat/conversations/{g}"),
            json!({"settings": {"mute_all": false}}),
        )
        .await;

    // Outsiders see nothing and cannot write.
    let (s, _) = p
        .wang
        .get(&format!("/api/v1/chat/conversations/{g}/events?after=0"))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = p
        .wang
        .post(
            &format!("/api/v1/chat/conversations/{g}/messages"),
            json!({"type": "text", "text": "hi"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The owner cannot leave before handing over; then can.
    let (s, b) = p
        .zhang
        .delete(&format!("/api/v1/chat/conversations/{g}/members/zhang"))
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "owner_must_transfer"));
    let (s, _) = p
        .zhang
        .post(
            &format!("/api/v1/chat/conversations/{g}/transfer"),
            json!({"userid": "li"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = p
        .zhang
        .delete(&format!("/api/v1/chat/conversations/{g}/members/zhang"))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = p
        .zhang
        .get(&format!("/api/v1/chat/conversations/{g}"))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Archived groups are read-only.
    let (s, _) =
        p.li.post(
            &format!("/api/v1/chat/conversations/{g}/archive"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) =
        p.li.post(
            &format!("/api/v1/chat/conversations/{g}/messages"),
            json!({"type": "text", "text": "hi"}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "conversation_closed"));

    // The stream has no holes.
    let (_, ev) =
        p.li.get(&format!("/api/v1/chat/conversations/{g}/events?after=0"))
            .await;
    let seqs: Vec<i64> = ev["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
    assert_eq!(ev["last_seq"].as_i64().unwrap(), seqs.len() as i64);
});

both!(messages_receipts_and_recall, async |app: &TestApp| {
    let p = people(app).await;
    let g = group(&p.zhang, "评审", &["li", "wang"]).await;
    let m = say(&p.zhang, &g, "你好 @{li} <script>alert(1)</script> **粗**").await;
    let html = m["html"].as_str().unwrap();
    assert!(html.contains("data-userid=\"li\""), "{html}");
    assert!(!html.contains("<script"), "{html}");
    assert_eq!(m["mentions"], json!(["li"]));
    let seq = m["seq"].as_i64().unwrap();
    let mid = m["id"].as_str().unwrap().to_owned();

    let (_, list) = p.li.get("/api/v1/chat/conversations").await;
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == g.as_str())
        .unwrap()
        .clone();
    assert_eq!(item["unread"], 1);
    assert_eq!(item["mentioned"], true);

    // Receipts: only the sender asks; reading moves li from unread to read.
    let (s, r) = p
        .zhang
        .get(&format!("/api/v1/chat/messages/{mid}/receipts"))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["read"], json!([]));
    assert_eq!(r["unread"].as_array().unwrap().len(), 2);
    let (s, _) =
        p.li.get(&format!("/api/v1/chat/messages/{mid}/receipts"))
            .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) =
        p.li.post(
            &format!("/api/v1/chat/conversations/{g}/read"),
            json!({"seq": seq}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, r) = p
        .zhang
        .get(&format!("/api/v1/chat/messages/{mid}/receipts"))
        .await;
    assert_eq!(r["read"][0]["userid"], "li");
    assert_eq!(r["read_count"], 1);
    let (_, list) = p.li.get("/api/v1/chat/conversations").await;
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == g.as_str())
        .unwrap()
        .clone();
    assert_eq!(item["unread"], 0);

    // The attention policy can make receipts aggregate or turn them off.
    let (_, mut pol) = p.boss.get("/api/v1/admin/chat/policy").await;
    pol["receipts"]["group"] = json!("aggregate");
    p.boss
        .call(Method::PUT, "/api/v1/admin/chat/policy", Some(pol.clone()))
        .await;
    let (_, r) = p
        .zhang
        .get(&format!("/api/v1/chat/messages/{mid}/receipts"))
        .await;
    assert_eq!(r, json!({"mode": "aggregate", "read_count": 1, "total": 2}));
    pol["receipts"]["group"] = json!("off");
    p.boss
        .call(Method::PUT, "/api/v1/admin/chat/policy", Some(pol))
        .await;
    let (s, b) = p
        .zhang
        .get(&format!("/api/v1/chat/messages/{mid}/receipts"))
        .await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "receipts_off"));

    // Recall: own within 24 h; the owner any; others never; a line stays in the stream.
    let mine = say(&p.li, &g, "说错了").await;
    let (s, b) = p
        .wang
        .post(
            &format!(
                "/api/v1/chat/messages/{}/recall",
                mine["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "recall_forbidden"));
    let (s, _) =
        p.li.post(
            &format!(
                "/api/v1/chat/messages/{}/recall",
                mine["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let old = say(&p.wang, &g, "昨天的话").await;
    app.clock.advance_ms(25 * 3600 * 1000);
    let (s, b) = p
        .wang
        .post(
            &format!(
                "/api/v1/chat/messages/{}/recall",
                old["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "recall_expired"));
    let (s, _) = p
        .zhang
        .post(
            &format!(
                "/api/v1/chat/messages/{}/recall",
                old["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, ev) = p
        .zhang
        .get(&format!("/api/v1/chat/conversations/{g}/events?after=0"))
        .await;
    let items = ev["items"].as_array().unwrap();
    let recalled = items.iter().find(|e| e["id"] == mine["id"]).unwrap();
    assert_eq!(recalled["recalled"], true);
    assert_eq!(recalled["content"], json!({}));
    assert_eq!(items.iter().filter(|e| e["kind"] == "recall").count(), 2);

    // Quote-reply, forward (merged) and favourites.
    let (s, q) =
        p.li.post(
            &format!("/api/v1/chat/conversations/{g}/messages"),
            json!({"type": "text", "text": "收到", "quote_id": mid}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{q}");
    assert_eq!(q["quote"]["seq"], seq);
    let (s, d) =
        p.li.post("/api/v1/chat/direct", json!({"userid": "zhang"}))
            .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let (_, d2) = p
        .zhang
        .post("/api/v1/chat/direct", json!({"userid": "li"}))
        .await;
    assert_eq!(d["id"], d2["id"]);
    let (s, f) =
        p.li.post(
            "/api/v1/chat/forward",
            json!({"message_ids": [mid, q["id"]], "to": [d["id"]], "mode": "merged"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{f}");
    let (_, dm) = p
        .zhang
        .get(&format!(
            "/api/v1/chat/conversations/{}/messages",
            d["id"].as_str().unwrap()
        ))
        .await;
    let last = dm["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["type"], "chat_record");
    assert_eq!(last["content"]["items"].as_array().unwrap().len(), 2);
    let (s, _) =
        p.li.post("/api/v1/chat/favourites", json!({"message_id": mid}))
            .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, favs) = p.li.get("/api/v1/chat/favourites").await;
    assert_eq!(favs["items"][0]["event"]["id"], mid.as_str());
    // Groups that forbid forwarding keep their messages in.
    p.zhang
        .patch(
            &format!("/api/v1/chat/conversations/{g}"),
            json!({"settings": {"no_forward_out": true}}),
        )
        .await;
    let (s, b) =
        p.li.post(
            "/api/v1/chat/forward",
            json!({"message_ids": [mid], "to": [d["id"]]}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "forward_forbidden"));
});

/// A 1×1 PNG.
pub(crate) const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

both!(files_and_images_follow_the_policy, async |app: &TestApp| {
    let p = people(app).await;
    let g = group(&p.zhang, "资料", &["li"]).await;
    let (s, img) = p
        .zhang
        .upload("/api/v1/chat/media", "pixel.png", PNG.to_vec(), &[])
        .await;
    assert_eq!(s, StatusCode::CREATED, "{img}");
    assert_eq!(img["kind"], "image");
    assert_eq!(
        (img["width"].as_i64(), img["height"].as_i64()),
        (Some(1), Some(1))
    );
    let (s, doc) = p
        .zhang
        .upload(
            "/api/v1/chat/media",
            "季度报告.pdf",
            b"%PDF-1.4 report".to_vec(),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(doc["kind"], "file");
    let (s, b) = p
        .zhang
        .upload("/api/v1/chat/media", "setup.exe", b"MZ".to_vec(), &[])
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "file_type_refused")
    );
    let media = doc["media_id"].as_str().unwrap();
    // Nobody else can fetch it before it is sent where they can see it.
    let res =
        p.li.request(Method::GET, &format!("/api/v1/chat/media/{media}"))
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (s, m) = p
        .zhang
        .post(
            &format!("/api/v1/chat/conversations/{g}/messages"),
            json!({"type": "file", "media_id": media}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let res =
        p.li.request(Method::GET, &format!("/api/v1/chat/media/{media}"))
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cd = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cd.contains("filename*=UTF-8''%E5%AD%A3"), "{cd}");
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"%PDF-1.4 report");
    let (s, _) = p
        .zhang
        .post(
            &format!("/api/v1/chat/conversations/{g}/messages"),
            json!({"type": "image", "media_id": img["media_id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let res =
        p.li.request(
            Method::GET,
            &format!(
                "/api/v1/chat/media/{}?thumb=1",
                img["media_id"].as_str().unwrap()
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let _ = &p.wang;
});

both!(
    realtime_delivers_in_order_and_resumes_without_loss,
    async |app: &TestApp| {
        let p = people(app).await;
        let g = group(&p.zhang, "实时", &["li"]).await;
        let zt = api_token(app, "zhang", "Secret2026a").await;
        let lt = api_token(app, "li", "Secret2026b").await;
        // A foreign page cannot open a socket with the member's credentials.
        assert!(
            connect(app, &lt, Some("http://evil.example"))
                .await
                .is_err()
        );
        let mut zws = connect(app, &zt, None).await.unwrap();
        let mut phone = connect(app, &lt, None).await.unwrap();
        let mut desktop = connect(app, &lt, Some(&app.base)).await.unwrap();

        send_op(&mut zws, json!({"op": "send", "ref": "r1", "conv": g, "msg": {"type": "text", "text": "第一条"}})).await;
        let ack = next(&mut zws, "ack").await;
        assert_eq!(ack["ref"], "r1");
        let seq1 = ack["event"]["seq"].as_i64().unwrap();
        // Acknowledged means stored.
        let (_, ev) =
            p.li.get(&format!(
                "/api/v1/chat/conversations/{g}/events?after={}",
                seq1 - 1
            ))
            .await;
        assert_eq!(ev["items"][0]["id"], ack["event"]["id"]);
        let e = next(&mut phone, "event").await;
        assert_eq!(
            (e["conv"].as_str(), e["seq"].as_i64()),
            (Some(g.as_str()), Some(seq1))
        );
        let e = next(&mut desktop, "event").await;
        assert_eq!(e["seq"].as_i64(), Some(seq1));

        // Read on the phone: the desktop hears it.
        send_op(&mut phone, json!({"op": "read", "conv": g, "seq": seq1})).await;
        let r = next(&mut desktop, "read").await;
        assert_eq!(r["seq"].as_i64(), Some(seq1));
        let rc = next(&mut zws, "receipt").await;
        assert_eq!(rc["userid"], "li");

        // A refused send is a nack and stores nothing.
        send_op(
            &mut zws,
            json!({"op": "send", "ref": "r2", "conv": g, "msg": {"type": "text", "text": "   "}}),
        )
        .await;
        let nack = next(&mut zws, "nack").await;
        assert_eq!(nack["error"]["code"], "empty_message");

        // The phone goes away; messages arrive meanwhile; on resume it gets each exactly once, in order.
        phone.close(None).await.unwrap();
        drop(phone);
        for i in 0..5 {
            say(&p.zhang, &g, &format!("离线消息 {i}")).await;
        }
        let mut phone = connect(app, &lt, None).await.unwrap();
        send_op(
            &mut phone,
            json!({"op": "resume", "convs": {g.clone(): seq1}}),
        )
        .await;
        let frames = frames_until(&mut phone, "resumed").await;
        let seqs: Vec<i64> = frames
            .iter()
            .filter(|f| f["t"] == "event")
            .map(|f| f["seq"].as_i64().unwrap())
            .collect();
        assert_eq!(seqs, ((seq1 + 1)..=(seq1 + 5)).collect::<Vec<_>>());
        let last = frames.last().unwrap();
        assert_eq!(last["convs"][g.as_str()].as_i64(), Some(seq1 + 5));
        // Live events continue after the resume, without repeats.
        say(&p.zhang, &g, "之后").await;
        let e = next(&mut phone, "event").await;
        assert_eq!(e["seq"].as_i64(), Some(seq1 + 6));

        // A member removed from the group stops receiving at once.
        let (s, _) = p
            .zhang
            .delete(&format!("/api/v1/chat/conversations/{g}/members/li"))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let c = next(&mut phone, "conv").await;
        assert_eq!(c["change"], "removed");
        say(&p.zhang, &g, "li 看不到").await;
        send_op(&mut phone, json!({"op": "ping"})).await;
        let frames = frames_until(&mut phone, "pong").await;
        assert!(
            frames
                .iter()
                .all(|f| f["t"] != "event" || f["event"]["content"]["text"] != "li 看不到"),
            "{frames:?}"
        );
        let _ = (&p.boss, &p.wang);
    }
);

both!(robots_post_through_the_webhook, async |app: &TestApp| {
    let p = people(app).await;
    let g = group(&p.zhang, "告警", &["li"]).await;
    let (s, r) =
        p.li.post(
            &format!("/api/v1/chat/conversations/{g}/robots"),
            json!({"name": "监控"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let url = r["webhook_url"].as_str().unwrap().to_owned();
    assert!(url.ends_with(&format!(
        "/cgi-bin/webhook/send?key={}",
        r["key"].as_str().unwrap()
    )));
    let hook = format!(
        "{}/cgi-bin/webhook/send?key={}",
        app.base,
        r["key"].as_str().unwrap()
    );
    let http = reqwest::Client::new();
    let post = |body: Value| {
        let http = http.clone();
        let hook = hook.clone();
        async move {
            http.post(&hook)
                .body(body.to_string())
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let a =
        post(json!({"msgtype": "text", "text": {"content": "CPU 告警", "mentioned_list": ["li"]}}))
            .await;
    assert_eq!(a["errcode"], 0, "{a}");
    let a = post(json!({"msgtype": "markdown", "markdown": {"content": "**磁盘** <font color=\"warning\">90%</font> <@zhang>"}})).await;
    assert_eq!(a["errcode"], 0, "{a}");
    let (_, ev) = p
        .zhang
        .get(&format!("/api/v1/chat/conversations/{g}/messages"))
        .await;
    let items = ev["items"].as_array().unwrap();
    let md = items.last().unwrap();
    assert_eq!(md["sender"]["kind"], "robot");
    assert_eq!(md["sender"]["name"], "监控");
    assert!(md["html"].as_str().unwrap().contains("md-warning"), "{md}");
    assert_eq!(md["mentions"], json!(["zhang"]));
    assert_eq!(items[items.len() - 2]["mentions"], json!(["li"]));
    // A bad key is 93000; past 20 a minute is 45009.
    let bad = http
        .post(format!("{}/cgi-bin/webhook/send?key=nope", app.base))
        .body("{}")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(bad["errcode"], 93000);
    for _ in 0..18 {
        assert_eq!(
            post(json!({"msgtype": "text", "text": {"content": "x"}})).await["errcode"],
            0
        );
    }
    assert_eq!(
        post(json!({"msgtype": "text", "text": {"content": "x"}})).await["errcode"],
        45009
    );
    let _ = (&p.boss, &p.wang);
});

// Every chat route, for someone outside the conversation: a member of the same enterprise and the
// administrator of another one. A new chat route without a case here fails.
both!(chat_routes_keep_outsiders_out, async |app: &TestApp| {
    let p = people(app).await;
    let g = group(&p.zhang, "机密", &["li"]).await;
    let m = say(&p.zhang, &g, "只给 li 看").await;
    let mid = m["id"].as_str().unwrap();
    let (_, q) =
        p.li.post(
            "/api/v1/chat/quick-replies",
            json!({"text": "li 的快捷回复"}),
        )
        .await;
    let snippet = q["id"].as_str().unwrap().to_owned();
    let other = app.second_corp("fboss").await;
    let foreign = app.login_to(&other, "fboss", ADMIN_PW).await;
    for r in qixie::http::api_routes().docs() {
        if !r.path.as_str().starts_with("/chat/") || !r.path.as_str().contains('{') {
            continue;
        }
        let path = r
            .path
            .replace(
                "{id}",
                if r.path.as_str().starts_with("/chat/messages/") {
                    mid
                } else {
                    &g
                },
            )
            .replace("{userid}", "li")
            .replace("{rid}", "1")
            .replace("{seq}", "1");
        let path = match r.path.as_str() {
            "/chat/robots/{id}" | "/chat/favourites/{id}" | "/chat/media/{id}" => {
                path.replace(&g, mid)
            }
            "/chat/quick-replies/{id}" => path.replace(&g, &snippet),
            _ => path,
        };
        let body = match (r.method.as_str(), r.path.as_str()) {
            ("GET" | "DELETE", _) => None,
            (_, p) if p.ends_with("/messages") => Some(json!({"type": "text", "text": "x"})),
            (_, p) if p.ends_with("/members") => Some(json!({"userids": ["wang"]})),
            (_, p) if p.ends_with("/read") => Some(json!({"seq": 1})),
            (_, p) if p.ends_with("/transfer") => Some(json!({"userid": "wang"})),
            (_, p) if p.ends_with("/announcement") => Some(json!({"text": "x"})),
            (_, p) if p.ends_with("/robots") => Some(json!({"name": "x"})),
            (_, p) if p.contains("/join-requests/") => Some(json!({"approve": true})),
            (_, p) if p.starts_with("/chat/quick-replies/") => Some(json!({"text": "x"})),
            ("PATCH", p) if p.ends_with("/me") => Some(json!({"muted": true})),
            ("PATCH", _) => Some(json!({"name": "x"})),
            _ => Some(json!({})),
        };
        for (who, client) in [("wang", &p.wang), ("foreign", &foreign)] {
            let (s, b) = client
                .call(
                    Method::from_bytes(r.method.as_bytes()).unwrap(),
                    &format!("/api/v1{path}"),
                    body.clone(),
                )
                .await;
            assert!(
                matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                "{who} {} {path}: {s} {b}",
                r.method.as_str()
            );
        }
    }
    // Nothing changed for the members.
    let (_, v) = p.li.get(&format!("/api/v1/chat/conversations/{g}")).await;
    assert_eq!(v["name"], "机密");
    assert_eq!(v["member_count"], 2);
    let (_, q) = p.li.get("/api/v1/chat/quick-replies").await;
    assert_eq!(q["items"][0]["text"], "li 的快捷回复");
    let _ = &p.boss;
});

both!(a_retried_send_is_stored_once, async |app: &TestApp| {
    let p = people(app).await;
    let g = group(&p.zhang, "重试", &["li"]).await;
    let other = group(&p.zhang, "别处", &["li"]).await;
    let lt = api_token(app, "li", "Secret2026b").await;
    let zt = api_token(app, "zhang", "Secret2026a").await;
    let mut li_ws = connect(app, &lt, None).await.unwrap();
    let path = format!("/api/v1/chat/conversations/{g}/messages");
    let body = json!({"type": "text", "text": "只一次", "client_id": "c-retry-1"});
    // Copies of one send at once (they share a group commit) and later ones: one message, and every
    // answer is that message.
    let first =
        futures_util::future::join_all((0..8).map(|_| p.zhang.post(&path, body.clone()))).await;
    let id = first[0].1["id"].clone();
    for (s, e) in &first {
        assert_eq!(*s, StatusCode::CREATED, "{e}");
        assert_eq!(e["id"], id);
        assert_eq!(e["client_id"], "c-retry-1");
    }
    let (s, again) = p.zhang.post(&path, body.clone()).await;
    assert_eq!(
        (s, &again["id"], &again["seq"]),
        (StatusCode::CREATED, &id, &first[0].1["seq"])
    );
    let mut zws = connect(app, &zt, None).await.unwrap();
    send_op(
        &mut zws,
        json!({"op": "send", "ref": "r9", "conv": g, "msg": body}),
    )
    .await;
    let ack = next(&mut zws, "ack").await;
    assert_eq!((&ack["ref"], &ack["event"]["id"]), (&json!("r9"), &id));
    // The same client_id from someone else, or in another conversation, is another message.
    let (s, li_msg) =
        p.li.post(
            &path,
            json!({"type": "text", "text": "我的", "client_id": "c-retry-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_ne!(li_msg["id"], id);
    let (s, elsewhere) = p
        .zhang
        .post(
            &format!("/api/v1/chat/conversations/{other}/messages"),
            json!({"type": "text", "text": "别处", "client_id": "c-retry-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_ne!(elsewhere["id"], id);
    // Stored once; li heard it once.
    let (_, evs) =
        p.li.get(&format!("/api/v1/chat/conversations/{g}/events?after=0"))
            .await;
    let copies = evs["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["client_id"] == "c-retry-1" && e["sender"]["userid"] == "zhang")
        .count();
    assert_eq!(copies, 1, "{evs}");
    send_op(&mut li_ws, json!({"op": "ping"})).await;
    let heard = frames_until(&mut li_ws, "pong").await;
    let heard: Vec<&Value> = heard
        .iter()
        .filter(|f| f["t"] == "event" && f["event"]["id"] == id)
        .collect();
    assert_eq!(heard.len(), 1, "{heard:?}");
    // A client_id is at most 64 characters.
    let (s, b) = p
        .zhang
        .post(
            &path,
            json!({"type": "text", "text": "x", "client_id": "x".repeat(65)}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["fields"]["client_id"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("format"))
    );
});

// A group change reaches the members once it is stored, in the order clients rely on (a member
// added hears of the conversation before its line; a renamed group's line comes before the refetch),
// and a refused change reaches nobody.
both!(
    group_changes_are_announced_once_stored,
    async |app: &TestApp| {
        let p = people(app).await;
        let g = group(&p.zhang, "周报", &["li"]).await;
        let lt = api_token(app, "li", "Secret2026b").await;
        let wt = api_token(app, "wang", "Secret2026c").await;
        let mut li_ws = connect(app, &lt, None).await.unwrap();
        let mut wang_ws = connect(app, &wt, None).await.unwrap();
        let path = format!("/api/v1/chat/conversations/{g}");
        let limit = |n: i64| json!({"settings": {"member_limit": n}});
        let (s, b) = p.zhang.patch(&path, limit(2)).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let c = next(&mut li_ws, "conv").await;
        assert_eq!(
            (c["conv"].as_str(), c["change"].as_str()),
            (Some(g.as_str()), Some("updated"))
        );

        // Refused once wang was written in: rolled back, and nobody hears of it.
        let add_wang = json!({"userids": ["wang"]});
        let (s, b) = p
            .zhang
            .post(&format!("{path}/members"), add_wang.clone())
            .await;
        assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "member_limit"));
        for ws in [&mut li_ws, &mut wang_ws] {
            send_op(ws, json!({"op": "ping"})).await;
            let heard = frames_until(ws, "pong").await;
            assert!(
                heard.iter().all(|f| f["t"] != "conv" && f["t"] != "event"),
                "{heard:?}"
            );
        }

        let (s, _) = p.zhang.patch(&path, limit(10)).await;
        assert_eq!(s, StatusCode::OK);
        next(&mut li_ws, "conv").await;
        let (s, b) = p.zhang.post(&format!("{path}/members"), add_wang).await;
        assert_eq!((s, &b["added"]), (StatusCode::OK, &json!(["wang"])));
        let heard = frames_until(&mut wang_ws, "event").await;
        assert_eq!(
            (heard[0]["t"].as_str(), heard[0]["change"].as_str()),
            (Some("conv"), Some("added")),
            "{heard:?}"
        );
        let joined = heard.last().unwrap();
        assert_eq!(joined["event"]["content"]["code"], "member_joined");
        let e = next(&mut li_ws, "event").await;
        assert_eq!(e["seq"], joined["seq"]);

        let (s, _) = p.zhang.patch(&path, json!({"name": "周报群"})).await;
        assert_eq!(s, StatusCode::OK);
        for ws in [&mut li_ws, &mut wang_ws] {
            let heard = frames_until(ws, "conv").await;
            let kinds: Vec<&str> = heard.iter().filter_map(|f| f["t"].as_str()).collect();
            assert_eq!(kinds, ["event", "conv"], "{heard:?}");
            assert_eq!(heard[0]["event"]["content"]["code"], "renamed");
        }
    }
);

// The answers of the main reads and writes, whole: a field added, renamed or reshaped shows here.
both!(chat_answers_keep_their_shape, async |app: &TestApp| {
    let p = people(app).await;
    let (s, g) = p
        .zhang
        .post(
            "/api/v1/chat/conversations",
            json!({"name": "发布评审", "group_type": "项目群", "userids": ["li"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    crate::snap!(g, @r#"
    {
      "announcement": null,
      "app": null,
      "avatar": "",
      "chatid": "[id]",
      "department_id": null,
      "draft": "",
      "group_type": "项目群",
      "id": "[id]",
      "joined_seq": 0,
      "kind": "group",
      "last_activity_at": "[ms]",
      "last_event": {
        "at": "[ms]",
        "client_id": null,
        "content": {
          "code": "created",
          "params": {
            "by": {
              "name": "zhang",
              "userid": "zhang"
            },
            "members": [
              {
                "name": "li",
                "userid": "li"
              }
            ],
            "name": "发布评审"
          }
        },
        "conv": "[id]",
        "html": "",
        "id": "[id]",
        "kind": "system",
        "mention_all": false,
        "mentions": [],
        "not_urgent": false,
        "pinned": false,
        "quote": null,
        "recalled": false,
        "sender": {
          "departed": false,
          "kind": "member",
          "name": "zhang",
          "userid": "zhang"
        },
        "seq": 1,
        "type": "",
        "urgent": false
      },
      "last_seq": 1,
      "marked_unread": false,
      "member_count": 2,
      "mentioned": false,
      "mentioned_all": false,
      "muted": false,
      "my_role": "owner",
      "name": "发布评审",
      "owner": {
        "avatar": "",
        "name": "zhang",
        "position": "",
        "userid": "zhang"
      },
      "peer": null,
      "pinned": false,
      "read_seq": 0,
      "receipts": "on",
      "settings": {
        "at_all_admins_only": true,
        "invite_needs_approval": false,
        "member_limit": 2000,
        "mute_all": false,
        "no_forward_out": false,
        "only_admins_rename": true
      },
      "status": "active",
      "unread": 0
    }
    "#);
    let gid = g["id"].as_str().unwrap().to_owned();
    let conv = format!("/api/v1/chat/conversations/{gid}");

    app.clock.advance_ms(1_000);
    let m = say(&p.zhang, &gid, "请 @{li} 看一下 **发布说明**").await;
    crate::snap!(m, @r#"
    {
      "at": "[ms]",
      "client_id": null,
      "content": {
        "text": "请 @{li} 看一下 **发布说明**"
      },
      "conv": "[id]",
      "html": "请 <span class=\"mention\" data-userid=\"li\">@li</span> 看一下 **发布说明**",
      "id": "[id]",
      "kind": "message",
      "mention_all": false,
      "mentions": [
        "li"
      ],
      "not_urgent": false,
      "pinned": false,
      "quote": null,
      "recalled": false,
      "sender": {
        "departed": false,
        "kind": "member",
        "name": "zhang",
        "userid": "zhang"
      },
      "seq": 2,
      "type": "text",
      "urgent": false
    }
    "#);
    let mid = m["id"].as_str().unwrap().to_owned();

    app.clock.advance_ms(1_000);
    let (s, direct) =
        p.li.post("/api/v1/chat/direct", json!({"userid": "wang"}))
            .await;
    assert_eq!(s, StatusCode::OK, "{direct}");
    crate::snap!(direct, @r#"
    {
      "announcement": null,
      "app": null,
      "avatar": "",
      "chatid": "[id]",
      "department_id": null,
      "draft": "",
      "group_type": "",
      "id": "[id]",
      "joined_seq": 0,
      "kind": "direct",
      "last_activity_at": "[ms]",
      "last_event": null,
      "last_seq": 0,
      "marked_unread": false,
      "member_count": 2,
      "mentioned": false,
      "mentioned_all": false,
      "muted": false,
      "my_role": "member",
      "name": "wang",
      "owner": null,
      "peer": {
        "avatar": "",
        "name": "wang",
        "position": "",
        "userid": "wang"
      },
      "pinned": false,
      "read_seq": 0,
      "receipts": "on",
      "settings": {
        "at_all_admins_only": true,
        "invite_needs_approval": false,
        "member_limit": 2000,
        "mute_all": false,
        "no_forward_out": false,
        "only_admins_rename": true
      },
      "status": "active",
      "unread": 0
    }
    "#);

    let (_, list) = p.li.get("/api/v1/chat/conversations").await;
    crate::snap!(list, @r#"
    {
      "items": [
        {
          "announcement": null,
          "app": null,
          "avatar": "",
          "chatid": "[id]",
          "department_id": null,
          "draft": "",
          "group_type": "",
          "id": "[id]",
          "joined_seq": 0,
          "kind": "direct",
          "last_activity_at": "[ms]",
          "last_event": null,
          "last_seq": 0,
          "marked_unread": false,
          "member_count": 2,
          "mentioned": false,
          "mentioned_all": false,
          "muted": false,
          "my_role": "member",
          "name": "wang",
          "owner": null,
          "peer": {
            "avatar": "",
            "name": "wang",
            "position": "",
            "userid": "wang"
          },
          "pinned": false,
          "read_seq": 0,
          "receipts": "on",
          "settings": {
            "at_all_admins_only": true,
            "invite_needs_approval": false,
            "member_limit": 2000,
            "mute_all": false,
            "no_forward_out": false,
            "only_admins_rename": true
          },
          "status": "active",
          "unread": 0
        },
        {
          "announcement": null,
          "app": null,
          "avatar": "",
          "chatid": "[id]",
          "department_id": null,
          "draft": "",
          "group_type": "项目群",
          "id": "[id]",
          "joined_seq": 0,
          "kind": "group",
          "last_activity_at": "[ms]",
          "last_event": {
            "at": "[ms]",
            "client_id": null,
            "content": {
              "text": "请 @{li} 看一下 **发布说明**"
            },
            "conv": "[id]",
            "html": "请 <span class=\"mention\" data-userid=\"li\">@li</span> 看一下 **发布说明**",
            "id": "[id]",
            "kind": "message",
            "mention_all": false,
            "mentions": [
              "li"
            ],
            "not_urgent": false,
            "pinned": false,
            "quote": null,
            "recalled": false,
            "sender": {
              "departed": false,
              "kind": "member",
              "name": "zhang",
              "userid": "zhang"
            },
            "seq": 2,
            "type": "text",
            "urgent": false
          },
          "last_seq": 2,
          "marked_unread": false,
          "member_count": 2,
          "mentioned": true,
          "mentioned_all": false,
          "muted": false,
          "my_role": "member",
          "name": "发布评审",
          "owner": {
            "avatar": "",
            "name": "zhang",
            "position": "",
            "userid": "zhang"
          },
          "peer": null,
          "pinned": false,
          "read_seq": 0,
          "receipts": "on",
          "settings": {
            "at_all_admins_only": true,
            "invite_needs_approval": false,
            "member_limit": 2000,
            "mute_all": false,
            "no_forward_out": false,
            "only_admins_rename": true
          },
          "status": "active",
          "unread": 1
        }
      ]
    }
    "#);

    let (_, history) = p.li.get(&format!("{conv}/messages?limit=10")).await;
    crate::snap!(history, @r#"
    {
      "items": [
        {
          "at": "[ms]",
          "client_id": null,
          "content": {
            "code": "created",
            "params": {
              "by": {
                "name": "zhang",
                "userid": "zhang"
              },
              "members": [
                {
                  "name": "li",
                  "userid": "li"
                }
              ],
              "name": "发布评审"
            }
          },
          "conv": "[id]",
          "html": "",
          "id": "[id]",
          "kind": "system",
          "mention_all": false,
          "mentions": [],
          "not_urgent": false,
          "pinned": false,
          "quote": null,
          "recalled": false,
          "sender": {
            "departed": false,
            "kind": "member",
            "name": "zhang",
            "userid": "zhang"
          },
          "seq": 1,
          "type": "",
          "urgent": false
        },
        {
          "at": "[ms]",
          "client_id": null,
          "content": {
            "text": "请 @{li} 看一下 **发布说明**"
          },
          "conv": "[id]",
          "html": "请 <span class=\"mention\" data-userid=\"li\">@li</span> 看一下 **发布说明**",
          "id": "[id]",
          "kind": "message",
          "mention_all": false,
          "mentions": [
            "li"
          ],
          "not_urgent": false,
          "pinned": false,
          "quote": null,
          "recalled": false,
          "sender": {
            "departed": false,
            "kind": "member",
            "name": "zhang",
            "userid": "zhang"
          },
          "seq": 2,
          "type": "text",
          "urgent": false
        }
      ]
    }
    "#);
    let (_, after) = p.li.get(&format!("{conv}/events?after=1")).await;
    crate::snap!(after, @r#"
    {
      "items": [
        {
          "at": "[ms]",
          "client_id": null,
          "content": {
            "text": "请 @{li} 看一下 **发布说明**"
          },
          "conv": "[id]",
          "html": "请 <span class=\"mention\" data-userid=\"li\">@li</span> 看一下 **发布说明**",
          "id": "[id]",
          "kind": "message",
          "mention_all": false,
          "mentions": [
            "li"
          ],
          "not_urgent": false,
          "pinned": false,
          "quote": null,
          "recalled": false,
          "sender": {
            "departed": false,
            "kind": "member",
            "name": "zhang",
            "userid": "zhang"
          },
          "seq": 2,
          "type": "text",
          "urgent": false
        }
      ],
      "last_seq": 2
    }
    "#);

    let (_, members) = p.zhang.get(&format!("{conv}/members")).await;
    crate::snap!(members, @r#"
    {
      "items": [
        {
          "avatar": "",
          "last_active_at": "[ms]",
          "name": "zhang",
          "position": "",
          "read_seq": 0,
          "role": "owner",
          "userid": "zhang"
        },
        {
          "avatar": "",
          "last_active_at": "[ms]",
          "name": "li",
          "position": "",
          "read_seq": 0,
          "role": "member",
          "userid": "li"
        }
      ]
    }
    "#);

    let (s, _) =
        p.li.post(&format!("{conv}/read"), json!({"seq": m["seq"]}))
            .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, receipts) = p
        .zhang
        .get(&format!("/api/v1/chat/messages/{mid}/receipts"))
        .await;
    crate::snap!(receipts, @r#"
    {
      "mode": "on",
      "read": [
        {
          "avatar": "",
          "name": "li",
          "userid": "li"
        }
      ],
      "read_count": 1,
      "total": 1,
      "unread": []
    }
    "#);

    let (s, _) =
        p.li.call(
            Method::PUT,
            &format!("/api/v1/chat/messages/{mid}/pin"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, pins) = p.zhang.get(&format!("{conv}/pins")).await;
    crate::snap!(pins, @r#"
    {
      "items": [
        {
          "at": "[ms]",
          "client_id": null,
          "content": {
            "text": "请 @{li} 看一下 **发布说明**"
          },
          "conv": "[id]",
          "html": "请 <span class=\"mention\" data-userid=\"li\">@li</span> 看一下 **发布说明**",
          "id": "[id]",
          "kind": "message",
          "mention_all": false,
          "mentions": [
            "li"
          ],
          "not_urgent": false,
          "pinned": true,
          "quote": null,
          "recalled": false,
          "sender": {
            "departed": false,
            "kind": "member",
            "name": "zhang",
            "userid": "zhang"
          },
          "seq": 2,
          "type": "text",
          "urgent": false
        }
      ]
    }
    "#);

    let (s, added) = p
        .zhang
        .post(&format!("{conv}/members"), json!({"userids": ["wang"]}))
        .await;
    assert_eq!(s, StatusCode::OK, "{added}");
    crate::snap!(added, @r#"
    {
      "added": [
        "wang"
      ],
      "pending": []
    }
    "#);

    let (s, announced) = p
        .zhang
        .call(
            Method::PUT,
            &format!("{conv}/announcement"),
            Some(json!({"text": "周五发布"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{announced}");
    crate::snap!(announced["announcement"], @r#"
    {
      "at": "[ms]",
      "by": {
        "avatar": "",
        "name": "zhang",
        "position": "",
        "userid": "zhang"
      },
      "read": true,
      "text": "周五发布"
    }
    "#);
    let (s, _) =
        p.li.post(&format!("{conv}/announcement/read"), json!({}))
            .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, readers) = p.zhang.get(&format!("{conv}/announcement/readers")).await;
    crate::snap!(readers, @r#"
    {
      "read": [
        {
          "name": "zhang",
          "userid": "zhang"
        },
        {
          "name": "li",
          "userid": "li"
        }
      ],
      "unread": [
        {
          "name": "wang",
          "userid": "wang"
        }
      ]
    }
    "#);

    let (s, fav) =
        p.li.post("/api/v1/chat/favourites", json!({"message_id": mid}))
            .await;
    assert_eq!(s, StatusCode::CREATED, "{fav}");
    crate::snap!(fav, @r#"
    {
      "id": "[id]"
    }
    "#);
    let (_, favs) = p.li.get("/api/v1/chat/favourites").await;
    crate::snap!(favs, @r#"
    {
      "items": [
        {
          "at": "[ms]",
          "event": {
            "at": "[ms]",
            "client_id": null,
            "content": {
              "text": "请 @{li} 看一下 **发布说明**"
            },
            "conv": "[id]",
            "html": "请 <span class=\"mention\" data-userid=\"li\">@li</span> 看一下 **发布说明**",
            "id": "[id]",
            "kind": "message",
            "mention_all": false,
            "mentions": [
              "li"
            ],
            "not_urgent": false,
            "pinned": true,
            "quote": null,
            "recalled": false,
            "sender": {
              "departed": false,
              "kind": "member",
              "name": "zhang",
              "userid": "zhang"
            },
            "seq": 2,
            "type": "text",
            "urgent": false
          },
          "id": "[id]"
        }
      ]
    }
    "#);

    let (s, forwarded) =
        p.li.post(
            "/api/v1/chat/forward",
            json!({"message_ids": [mid], "to": [direct["id"]], "mode": "merged"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{forwarded}");
    crate::snap!(forwarded, @r#"
    {
      "sent": 1
    }
    "#);

    let (s, robot) = p
        .zhang
        .post(&format!("{conv}/robots"), json!({"name": "构建"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{robot}");
    crate::snap!(robot, {".key" => "[key]", ".webhook_url" => "[url]"}, @r#"
    {
      "id": "[id]",
      "key": "[key]",
      "name": "构建",
      "webhook_url": "[url]"
    }
    "#);
    let (_, robots) = p.zhang.get(&format!("{conv}/robots")).await;
    crate::snap!(robots, @r#"
    {
      "items": [
        {
          "created_at": "[ms]",
          "id": "[id]",
          "name": "构建"
        }
      ]
    }
    "#);

    let (s, img) = p
        .zhang
        .upload("/api/v1/chat/media", "pixel.png", PNG.to_vec(), &[])
        .await;
    assert_eq!(s, StatusCode::CREATED, "{img}");
    crate::snap!(img, @r#"
    {
      "height": 1,
      "kind": "image",
      "media_id": "[id]",
      "mime": "image/png",
      "name": "pixel.png",
      "size": 70,
      "width": 1
    }
    "#);

    let (s, _) = p
        .zhang
        .post(&format!("/api/v1/chat/messages/{mid}/recall"), json!({}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, around) = p.li.get(&format!("{conv}/context/{}", m["seq"])).await;
    crate::snap!(around, @r#"
    {
      "items": [
        {
          "at": "[ms]",
          "client_id": null,
          "content": {
            "code": "created",
            "params": {
              "by": {
                "name": "zhang",
                "userid": "zhang"
              },
              "members": [
                {
                  "name": "li",
                  "userid": "li"
                }
              ],
              "name": "发布评审"
            }
          },
          "conv": "[id]",
          "html": "",
          "id": "[id]",
          "kind": "system",
          "mention_all": false,
          "mentions": [],
          "not_urgent": false,
          "pinned": false,
          "quote": null,
          "recalled": false,
          "sender": {
            "departed": false,
            "kind": "member",
            "name": "zhang",
            "userid": "zhang"
          },
          "seq": 1,
          "type": "",
          "urgent": false
        },
        {
          "at": "[ms]",
          "client_id": null,
          "content": {},
          "conv": "[id]",
          "html": "",
          "id": "[id]",
          "kind": "message",
          "mention_all": false,
          "mentions": [
            "li"
          ],
          "not_urgent": false,
          "pinned": true,
          "quote": null,
          "recalled": true,
          "sender": {
            "departed": false,
            "kind": "member",
            "name": "zhang",
            "userid": "zhang"
          },
          "seq": 2,
          "type": "text",
          "urgent": false
        },
        {
          "at": "[ms]",
          "client_id": null,
          "content": {
            "code": "pinned",
            "params": {
              "by": {
                "name": "li",
                "userid": "li"
              },
              "excerpt": "请 @li 看一下 **发布说明**",
              "target_id": "[id]",
              "target_seq": 2
            }
          },
          "conv": "[id]",
          "html": "",
          "id": "[id]",
          "kind": "system",
          "mention_all": false,
          "mentions": [],
          "not_urgent": false,
          "pinned": false,
          "quote": null,
          "recalled": false,
          "sender": {
            "departed": false,
            "kind": "member",
            "name": "li",
            "userid": "li"
          },
          "seq": 3,
          "type": "",
          "urgent": false
        },
        {
          "at": "[ms]",
          "client_id": null,
          "content": {
            "code": "member_joined",
            "params": {
              "by": {
                "name": "zhang",
                "userid": "zhang"
              },
              "members": [
                {
                  "name": "wang",
                  "userid": "wang"
                }
              ]
            }
          },
          "conv": "[id]",
          "html": "",
          "id": "[id]",
          "kind": "system",
          "mention_all": false,
          "mentions": [],
          "not_urgent": false,
          "pinned": false,
          "quote": null,
          "recalled": false,
          "sender": {
            "departed": false,
            "kind": "member",
            "name": "zhang",
            "userid": "zhang"
          },
          "seq": 4,
          "type": "",
          "urgent": false
        },
        {
          "at": "[ms]",
          "client_id": null,
          "content": {
            "code": "announcement",
            "params": {
              "by": {
                "name": "zhang",
                "userid": "zhang"
              },
              "text": "周五发布"
            }
          },
          "conv": "[id]",
          "html": "",
          "id": "[id]",
          "kind": "system",
          "mention_all": false,
          "mentions": [],
          "not_urgent": false,
          "pinned": false,
          "quote": null,
          "recalled": false,
          "sender": {
            "departed": false,
            "kind": "member",
            "name": "zhang",
            "userid": "zhang"
          },
          "seq": 5,
          "type": "",
          "urgent": false
        },
        {
          "at": "[ms]",
          "client_id": null,
          "content": {
            "code": "robot_added",
            "params": {
              "by": {
                "name": "zhang"
              },
              "robot": "构建"
            }
          },
          "conv": "[id]",
          "html": "",
          "id": "[id]",
          "kind": "system",
          "mention_all": false,
          "mentions": [],
          "not_urgent": false,
          "pinned": false,
          "quote": null,
          "recalled": false,
          "sender": {
            "departed": false,
            "kind": "member",
            "name": "zhang",
            "userid": "zhang"
          },
          "seq": 6,
          "type": "",
          "urgent": false
        },
        {
          "at": "[ms]",
          "client_id": null,
          "content": {
            "by": {
              "name": "zhang",
              "userid": "zhang"
            },
            "sender_name": "zhang",
            "target_id": "[id]",
            "target_seq": 2
          },
          "conv": "[id]",
          "html": "",
          "id": "[id]",
          "kind": "recall",
          "mention_all": false,
          "mentions": [],
          "not_urgent": false,
          "pinned": false,
          "quote": null,
          "recalled": false,
          "sender": {
            "departed": false,
            "kind": "member",
            "name": "zhang",
            "userid": "zhang"
          },
          "seq": 7,
          "type": "",
          "urgent": false
        }
      ]
    }
    "#);

    let (_, rules) = p.li.get("/api/v1/chat/policy").await;
    crate::snap!(rules, @r#"
    {
      "files": {
        "allowed_extensions": [],
        "denied_extensions": [
          "exe",
          "bat",
          "cmd",
          "scr"
        ],
        "max_bytes": 104857600
      },
      "naming": {
        "enabled": false,
        "example": "市场部-新品发布-项目群",
        "group_types": [
          "项目群",
          "通知群",
          "讨论群"
        ],
        "pattern": "【部门】-【项目/事项】-【群类型】"
      }
    }
    "#);
    let (_, policy) = p.boss.get("/api/v1/admin/chat/policy").await;
    crate::snap!(policy, @r#"
    {
      "files": {
        "allowed_extensions": [],
        "denied_extensions": [
          "exe",
          "bat",
          "cmd",
          "scr"
        ],
        "max_bytes": 104857600
      },
      "naming": {
        "enabled": false,
        "group_types": [
          "项目群",
          "通知群",
          "讨论群"
        ],
        "pattern": "【部门】-【项目/事项】-【群类型】"
      },
      "receipts": {
        "company": "off",
        "department": "aggregate",
        "direct": "on",
        "group": "on"
      }
    }
    "#);

    let (s, dg) = p
        .boss
        .post(
            "/api/v1/chat/department-groups",
            json!({"department_id": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{dg}");
    crate::snap!(dg, @r#"
    {
      "chatid": "[id]",
      "id": "[id]",
      "kind": "company",
      "member_count": 4,
      "name": "测试集团"
    }
    "#);

    // Error bodies.
    let (s, unknown) = p
        .zhang
        .post(
            &format!("{conv}/messages"),
            json!({"type": "text", "text": "x", "colour": "red"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    crate::snap!(unknown, @r#"
    {
      "error": {
        "code": "bad_request",
        "fields": {
          "colour": "unknown_field"
        },
        "key": "error.bad_request",
        "message": "请求格式不正确"
      }
    }
    "#);
    let (s, nameless) = p
        .zhang
        .post(
            "/api/v1/chat/conversations",
            json!({"name": " ", "userids": ["li"]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    crate::snap!(nameless, @r#"
    {
      "error": {
        "code": "validation_failed",
        "fields": {
          "name": "required"
        },
        "key": "error.validation_failed",
        "message": "填写的内容有误，请检查标出的字段"
      }
    }
    "#);
    let outsider = app
        .member_with_password(&p.boss, "zhao", &[1], "Secret2026d")
        .await;
    let (s, refused) = outsider.get(&format!("{conv}/messages")).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{refused}");
    crate::snap!(refused, @r#"
    {
      "error": {
        "code": "not_conversation_member",
        "key": "error.not_conversation_member",
        "message": "你不在这个会话中"
      }
    }
    "#);
    let (s, missing) = p.zhang.get("/api/v1/chat/conversations/not-a-number").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    crate::snap!(missing, @r#"
    {
      "error": {
        "code": "conversation_not_found",
        "key": "error.conversation_not_found",
        "message": "会话不存在"
      }
    }
    "#);
    let (s, not_admin) = p.zhang.get("/api/v1/admin/chat/policy").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    crate::snap!(not_admin, @r#"
    {
      "error": {
        "code": "forbidden",
        "key": "error.forbidden",
        "message": "没有权限执行此操作"
      }
    }
    "#);
});

// Offboarding hands the departing owner's groups over, and the members hear it at once.
both!(
    an_offboarded_owners_groups_are_announced,
    async |app: &TestApp| {
        let p = people(app).await;
        let g = group(&p.zhang, "交接测试", &["li"]).await;
        let lt = api_token(app, "li", "Secret2026b").await;
        let wt = api_token(app, "wang", "Secret2026c").await;
        let mut li = connect(app, &lt, None).await.unwrap();
        let mut wang = connect(app, &wt, None).await.unwrap();
        let (s, b) = p
            .boss
            .post(
                "/api/v1/admin/members/zhang/offboard",
                json!({"successor_userid": "wang"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let e = next(&mut li, "event").await;
        assert_eq!(e["conv"], g.as_str());
        assert!(e.to_string().contains("owner_changed"), "{e}");
        let c = next(&mut wang, "conv").await;
        assert_eq!(
            (c["conv"].as_str(), c["change"].as_str()),
            (Some(g.as_str()), Some("updated"))
        );
        let (_, v) = p.li.get(&format!("/api/v1/chat/conversations/{g}")).await;
        assert_eq!(v["owner"]["userid"], "wang", "{v}");
    }
);
