//! Message search: Chinese and English words, the filters, who may find what, recall and archive,
//! messages from robots and forwards, opening a hit in its context, and indexing older messages.
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::chat::{PNG, group, people, say};
use crate::helpers::*;

async fn search(c: &Client, params: &[(&str, &str)]) -> (StatusCode, Value) {
    let res = c
        .request(Method::GET, "/api/v1/chat/search")
        .query(params)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The ids of the hits, newest first.
async fn hits(c: &Client, params: &[(&str, &str)]) -> Vec<String> {
    let (s, b) = search(c, params).await;
    assert_eq!(s, StatusCode::OK, "{params:?}: {b}");
    b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["event"]["id"].as_str().unwrap().to_owned())
        .collect()
}

fn id(ev: &Value) -> String {
    ev["id"].as_str().unwrap().to_owned()
}

async fn send(c: &Client, conv: &str, body: Value) -> Value {
    let (s, m) = c
        .post(&format!("/api/v1/chat/conversations/{conv}/messages"), body)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    m
}

async fn upload(c: &Client, name: &str, bytes: Vec<u8>) -> String {
    let (s, m) = c.upload("/api/v1/chat/media", name, bytes, &[]).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    m["media_id"].as_str().unwrap().to_owned()
}

both!(words_types_and_filters, async |app: &TestApp| {
    let p = people(app).await;
    let g = group(&p.zhang, "项目组", &["li"]).await;
    let review = say(&p.zhang, &g, "明天下午开项目评审会，大家准备一下").await;
    let report = say(&p.li, &g, "The Quarterly REPORT draft is ready").await;
    let link = send(
        &p.zhang,
        &g,
        json!({"type": "markdown", "text": "规范见 [接口文档](https://docs.example.com/api)"}),
    )
    .await;
    let pdf = upload(&p.li, "季度报告-Final.pdf", b"%PDF-1.4 x".to_vec()).await;
    let file = send(&p.li, &g, json!({"type": "file", "media_id": pdf})).await;
    let png = upload(&p.zhang, "pixel.png", PNG.to_vec()).await;
    let image = send(&p.zhang, &g, json!({"type": "image", "media_id": png})).await;

    // Chinese words inside a sentence, by a part and by the whole.
    for q in ["评审", "项目", "项目评审会", "明天 评审"] {
        assert_eq!(hits(&p.li, &[("q", q)]).await, vec![id(&review)], "{q}");
    }
    assert!(
        hits(&p.li, &[("q", "评审 报告")]).await.is_empty(),
        "all words"
    );
    // English: any case, the last word as a prefix.
    for q in ["report", "REPORT", "quarterly rep", "Draft"] {
        assert_eq!(hits(&p.zhang, &[("q", q)]).await, vec![id(&report)], "{q}");
    }
    assert!(hits(&p.zhang, &[("q", "rep quarterly")]).await.is_empty());
    // A file by its name, a link by its address.
    assert_eq!(hits(&p.zhang, &[("q", "季度报告")]).await, vec![id(&file)]);
    assert_eq!(hits(&p.zhang, &[("q", "final")]).await, vec![id(&file)]);
    assert_eq!(
        hits(&p.zhang, &[("q", "docs.example.com")]).await,
        vec![id(&link)]
    );
    assert_eq!(hits(&p.zhang, &[("q", "接口文档")]).await, vec![id(&link)]);
    // Types, with and without words.
    assert_eq!(hits(&p.zhang, &[("type", "file")]).await, vec![id(&file)]);
    assert_eq!(
        hits(&p.zhang, &[("type", "file"), ("q", "pdf")]).await,
        vec![id(&file)]
    );
    assert!(
        hits(&p.zhang, &[("type", "file"), ("q", "评审")])
            .await
            .is_empty()
    );
    assert_eq!(hits(&p.zhang, &[("type", "image")]).await, vec![id(&image)]);
    assert_eq!(hits(&p.zhang, &[("type", "link")]).await, vec![id(&link)]);

    // The answer: the event, its conversation, a snippet with the words marked.
    let (_, b) = search(&p.li, &[("q", "评审")]).await;
    crate::snap!(b, @r#"
    {
      "has_more": false,
      "items": [
        {
          "conversation": {
            "id": "[id]",
            "kind": "group",
            "name": "项目组"
          },
          "event": {
            "at": "[ms]",
            "client_id": null,
            "content": {
              "text": "明天下午开项目评审会，大家准备一下"
            },
            "conv": "[id]",
            "html": "明天下午开项目评审会，大家准备一下",
            "id": "[id]",
            "kind": "message",
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
            "seq": 2,
            "type": "text",
            "urgent": false
          },
          "snippet": "明天下午开项目<mark>评审</mark>会，大家准备一下"
        }
      ]
    }
    "#);
    let hit = &b["items"][0];
    assert_eq!(
        hit["conversation"],
        json!({"id": g, "name": "项目组", "kind": "group"})
    );
    assert_eq!(hit["event"]["seq"], review["seq"]);
    assert_eq!(hit["event"]["sender"]["userid"], "zhang");
    assert_eq!(
        hit["snippet"],
        "明天下午开项目<mark>评审</mark>会，大家准备一下"
    );
    assert_eq!(b["has_more"], false);
    let (_, b) = search(&p.li, &[("q", "rep")]).await;
    assert_eq!(
        b["items"][0]["snippet"],
        "The Quarterly <mark>REPORT</mark> draft is ready"
    );

    // Sender, conversation and time.
    let later = {
        app.clock.advance_ms(2 * 86_400_000);
        let other = group(&p.li, "另一个组", &["zhang"]).await;
        (say(&p.li, &other, "评审结论已发").await, other)
    };
    let (late, other) = later;
    assert_eq!(
        hits(&p.zhang, &[("q", "评审")]).await,
        vec![id(&late), id(&review)],
        "newest first"
    );
    assert_eq!(
        hits(&p.zhang, &[("q", "评审"), ("sender", "li")]).await,
        vec![id(&late)]
    );
    assert_eq!(
        hits(&p.zhang, &[("sender", "li")]).await,
        vec![id(&late), id(&file), id(&report)],
        "a sender alone"
    );
    assert!(
        hits(&p.zhang, &[("q", "评审"), ("sender", "nobody")])
            .await
            .is_empty()
    );
    assert_eq!(
        hits(&p.zhang, &[("q", "评审"), ("conv", &other)]).await,
        vec![id(&late)]
    );
    assert_eq!(
        hits(&p.zhang, &[("q", "评审"), ("conv", &g)]).await,
        vec![id(&review)]
    );
    let at = review["at"].as_i64().unwrap();
    let (from, to) = ((at - 1000).to_string(), (at + 86_400_000).to_string());
    assert_eq!(
        hits(&p.zhang, &[("q", "评审"), ("from", &from), ("to", &to)]).await,
        vec![id(&review)]
    );
    let since = (at + 1).to_string();
    assert_eq!(
        hits(&p.zhang, &[("q", "评审"), ("from", &since)]).await,
        vec![id(&late)]
    );

    // Pages: limit and the id of the last hit.
    let (_, b) = search(&p.zhang, &[("q", "评审"), ("limit", "1")]).await;
    crate::snap!(b, @r#"
    {
      "has_more": true,
      "items": [
        {
          "conversation": {
            "id": "[id]",
            "kind": "group",
            "name": "另一个组"
          },
          "event": {
            "at": "[ms]",
            "client_id": null,
            "content": {
              "text": "评审结论已发"
            },
            "conv": "[id]",
            "html": "评审结论已发",
            "id": "[id]",
            "kind": "message",
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
            "seq": 2,
            "type": "text",
            "urgent": false
          },
          "snippet": "<mark>评审</mark>结论已发"
        }
      ]
    }
    "#);
    assert_eq!(b["items"].as_array().unwrap().len(), 1);
    assert_eq!(b["has_more"], true);
    assert_eq!(
        hits(
            &p.zhang,
            &[("q", "评审"), ("limit", "1"), ("before", &id(&late))]
        )
        .await,
        vec![id(&review)]
    );

    // Bad input.
    let long = "字".repeat(101);
    let (s, b) = search(&p.zhang, &[("q", &long)]).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    assert_eq!(b["error"]["fields"]["q"], "too_long");
    crate::snap!(b, @r#"
    {
      "error": {
        "code": "validation_failed",
        "fields": {
          "q": "too_long"
        },
        "key": "error.validation_failed",
        "message": "填写的内容有误，请检查标出的字段"
      }
    }
    "#);
    let (s, b) = search(&p.zhang, &[("q", &"字".repeat(100))]).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = search(&p.zhang, &[("type", "video")]).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    let (s, b) = search(&p.zhang, &[("conv", "abc")]).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    // Nothing to look for is no hit, not every message.
    assert!(hits(&p.zhang, &[]).await.is_empty());
    assert!(hits(&p.zhang, &[("q", "，。！")]).await.is_empty());
    let _ = (&p.boss, &p.wang);
});

both!(only_what_the_member_may_read, async |app: &TestApp| {
    let p = people(app).await;
    let g = group(&p.zhang, "机密", &["li"]).await;
    let secret = say(&p.zhang, &g, "收购方案评审").await;
    let other = app.second_corp("fboss").await;
    let foreign = app.login_to(&other, "fboss", ADMIN_PW).await;
    // The other enterprise has its own message with the same word.
    let (s, b) = foreign
        .post(
            "/api/v1/admin/members",
            json!({"userid": "fz", "name": "fz", "department_ids": [1], "initial_password": "Initial123"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let fg = group(&foreign, "外部", &["fz"]).await;
    let theirs = say(&foreign, &fg, "外部评审").await;
    assert_eq!(hits(&p.li, &[("q", "评审")]).await, vec![id(&secret)]);
    assert!(
        hits(&p.wang, &[("q", "评审")]).await.is_empty(),
        "not a member"
    );
    assert!(
        hits(&p.wang, &[("q", "评审"), ("conv", &g)])
            .await
            .is_empty(),
        "not even naming the conversation"
    );
    assert_eq!(hits(&foreign, &[("q", "评审")]).await, vec![id(&theirs)]);
    assert!(hits(&foreign, &[("q", "收购")]).await.is_empty());
    assert!(
        hits(&p.boss, &[("q", "收购")]).await.is_empty(),
        "administrators read no one's chats"
    );

    // Joining later shows what came after joining, as the conversation itself does.
    let (s, b) = p
        .zhang
        .post(
            &format!("/api/v1/chat/conversations/{g}/members"),
            json!({"userids": ["wang"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let after = say(&p.zhang, &g, "新方案评审").await;
    assert_eq!(hits(&p.wang, &[("q", "评审")]).await, vec![id(&after)]);
    let (_, ev) = p
        .wang
        .get(&format!("/api/v1/chat/conversations/{g}/events?after=0"))
        .await;
    assert!(
        !ev["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == secret["id"])
    );

    // A recalled message is gone from search.
    let (s, _) = p
        .zhang
        .post(
            &format!("/api/v1/chat/messages/{}/recall", id(&after)),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(hits(&p.wang, &[("q", "评审")]).await.is_empty());
    assert_eq!(hits(&p.li, &[("q", "评审")]).await, vec![id(&secret)]);
    assert!(hits(&p.li, &[("q", "新方案")]).await.is_empty());

    // An archived group stays searchable.
    let (s, _) = p
        .zhang
        .post(
            &format!("/api/v1/chat/conversations/{g}/archive"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(hits(&p.li, &[("q", "收购")]).await, vec![id(&secret)]);

    // Leaving a group leaves its messages behind.
    let g2 = group(&p.zhang, "临时", &["li"]).await;
    let bye = say(&p.zhang, &g2, "临时讨论预算").await;
    assert_eq!(hits(&p.li, &[("q", "预算")]).await, vec![id(&bye)]);
    let (s, _) =
        p.li.delete(&format!("/api/v1/chat/conversations/{g2}/members/li"))
            .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(hits(&p.li, &[("q", "预算")]).await.is_empty());
});

both!(robots_forwards_and_context, async |app: &TestApp| {
    let p = people(app).await;
    let g = group(&p.zhang, "运维", &["li"]).await;
    let (s, r) =
        p.li.post(
            &format!("/api/v1/chat/conversations/{g}/robots"),
            json!({"name": "监控"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let hook = format!(
        "{}/cgi-bin/webhook/send?key={}",
        app.base,
        r["key"].as_str().unwrap()
    );
    let http = reqwest::Client::new();
    for body in [
        json!({"msgtype": "text", "text": {"content": "数据库连接池告警"}}),
        json!({"msgtype": "news", "news": {"articles": [{"title": "版本发布公告", "url": "https://release.example.com/v3"}]}}),
    ] {
        let a: Value = http
            .post(&hook)
            .body(body.to_string())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(a["errcode"], 0, "{a}");
    }
    let alarm = hits(&p.zhang, &[("q", "告警")]).await;
    assert_eq!(alarm.len(), 1);
    let news = hits(&p.zhang, &[("q", "发布公告")]).await;
    assert_eq!(news.len(), 1);
    assert_eq!(hits(&p.zhang, &[("type", "link")]).await, news);
    let (_, b) = search(&p.zhang, &[("q", "告警")]).await;
    assert_eq!(b["items"][0]["event"]["sender"]["kind"], "robot");

    // Forwarded copies are found where they landed; a merged record by its title.
    let d = group(&p.zhang, "转发目标", &["wang"]).await;
    let (s, b) = p
        .zhang
        .post(
            "/api/v1/chat/forward",
            json!({"message_ids": [alarm[0]], "to": [d], "mode": "each"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(hits(&p.zhang, &[("q", "告警")]).await.len(), 2);
    assert_eq!(hits(&p.wang, &[("q", "告警"), ("conv", &d)]).await.len(), 1);
    let (s, b) = p
        .zhang
        .post(
            "/api/v1/chat/forward",
            json!({"message_ids": [alarm[0], news[0]], "to": [d], "mode": "merged"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, b) = search(&p.wang, &[("q", "聊天记录")]).await;
    assert_eq!(b["items"][0]["event"]["type"], "chat_record");

    // A hit opens in its context: the messages around it.
    for i in 0..30 {
        say(&p.li, &g, &format!("第{i}条 记录 item{i}")).await;
    }
    let (_, b) = search(&p.zhang, &[("q", "item12")]).await;
    let hit = &b["items"][0];
    assert_eq!(hit["snippet"], "第12条 记录 <mark>item12</mark>");
    let seq = hit["event"]["seq"].as_i64().unwrap();
    let (s, ctx) = p
        .zhang
        .get(&format!(
            "/api/v1/chat/conversations/{}/context/{seq}",
            hit["conversation"]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{ctx}");
    let seqs: Vec<i64> = ctx["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert!(seqs.contains(&seq) && seqs.contains(&(seq - 5)) && seqs.contains(&(seq + 5)));
    let at = ctx["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["seq"] == seq)
        .unwrap();
    assert_eq!(at["id"], hit["event"]["id"]);
});

both!(
    older_messages_are_indexed_by_the_job,
    async |app: &TestApp| {
        let p = people(app).await;
        let g = group(&p.zhang, "历史", &["li"]).await;
        let old = say(&p.zhang, &g, "去年的合同归档").await;
        let pdf = upload(&p.li, "合同扫描件.pdf", b"%PDF-1.4 y".to_vec()).await;
        let file = send(&p.li, &g, json!({"type": "file", "media_id": pdf})).await;
        let gone = say(&p.zhang, &g, "撤回的合同").await;
        let (s, _) = p
            .zhang
            .post(
                &format!("/api/v1/chat/messages/{}/recall", id(&gone)),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(
            hits(&p.li, &[("q", "合同")]).await,
            vec![id(&file), id(&old)]
        );
        // As if stored before the index existed.
        let db = &app.state.db;
        if db.dialect() == qixie_kernel::db::Dialect::Sqlite {
            db.exec(qixie_kernel::db::sql("DELETE FROM chat_search_fts"))
                .await
                .unwrap();
        }
        db.exec(qixie_kernel::db::sql("DELETE FROM chat_search"))
            .await
            .unwrap();
        assert!(hits(&p.li, &[("q", "合同")]).await.is_empty());
        let mut tx = db.begin().await.unwrap();
        qixie_kernel::jobs::enqueue(
            &mut tx,
            app.state.now(),
            None,
            qixie_chat::search::BACKFILL_JOB,
            &json!({"after": 0}),
            app.state.now(),
            Some("again"),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        app.state.jobs.wake();
        let mut found = Vec::new();
        for _ in 0..100 {
            found = hits(&p.li, &[("q", "合同")]).await;
            if !found.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(found, vec![id(&file), id(&old)], "recalled stays out");
        assert_eq!(hits(&p.li, &[("type", "file")]).await, vec![id(&file)]);
        // Running again changes nothing.
        let (n, _) = qixie_chat::search::backfill_batch(&app.state, 0, 100)
            .await
            .unwrap();
        assert_eq!(n, 0);
        let _ = (&p.boss, &p.wang);
    }
);

both!(
    parts_of_chinese_words_are_found_and_indexing_is_durable,
    async |app: &TestApp| {
        let p = people(app).await;
        let g = group(&p.zhang, "周会", &["li"]).await;
        let wednesday = say(&p.zhang, &g, "下周三开会").await;
        let afternoon = say(&p.li, &g, "下午开会吧").await;
        say(&p.li, &g, "王小明请假了").await;
        // jieba cuts 下周三 as 下 | 周三 and 开会吧 differently from 开会: the character pairs find both.
        assert_eq!(hits(&p.li, &[("q", "下周")]).await, vec![id(&wednesday)]);
        assert_eq!(
            hits(&p.li, &[("q", "开会")]).await,
            vec![id(&afternoon), id(&wednesday)]
        );
        assert_eq!(hits(&p.zhang, &[("q", "小明")]).await.len(), 1);
        assert!(hits(&p.zhang, &[("q", "周四")]).await.is_empty());
        // The writer only records messages as pending; the indexer (or the next search) indexes them,
        // and nothing stays pending once a search has run.
        let (pending,): (i64,) = app
            .state
            .db
            .one(qixie_kernel::db::sql(
                "SELECT COUNT(*) FROM chat_search_pending",
            ))
            .await
            .unwrap();
        assert_eq!(pending, 0);
        // A message recalled before it was indexed never reaches the index.
        let secret = say(&p.zhang, &g, "临时密码是九九八八").await;
        let (s, b) = p
            .zhang
            .post(
                &format!("/api/v1/chat/messages/{}/recall", id(&secret)),
                json!({}),
            )
            .await;
        assert!(s.is_success(), "{b}");
        assert!(hits(&p.li, &[("q", "临时密码")]).await.is_empty());
    }
);
