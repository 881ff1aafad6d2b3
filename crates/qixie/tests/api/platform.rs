use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::json;

use crate::both;
use crate::helpers::*;

/// Every documented operation is routed, and nothing else answers under /api/v1.
#[tokio::test]
async fn openapi_documents_every_route() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let c = app.admin().await;
    let (s, spec) = c.get("/api/v1/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    let paths = spec["paths"].as_object().unwrap();
    let mut seen = HashSet::new();
    for (path, ops) in paths {
        for (method, _) in ops.as_object().unwrap() {
            seen.insert((method.to_uppercase(), path.clone()));
            let concrete = path
                .replace("{userid}", "nobody")
                .replace("{id}", "987654")
                .replace("{agentid}", "987654");
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (status, body) = c.call(m, &concrete, Some(json!({}))).await;
            assert_ne!(
                code(&body),
                "no_such_route",
                "{method} {path} is documented but not routed"
            );
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        }
    }
    let docs = qixie::http::api_routes().docs();
    assert_eq!(seen.len(), docs.len(), "one document entry per route");
    let (s, b) = c.get("/api/v1/no/such/thing").await;
    assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "no_such_route"));
    app.finish().await;
}

/// The two engines end up with the same tables and columns.
#[tokio::test]
async fn schema_parity_between_engines() {
    let a = TestApp::spawn(Engine::Sqlite).await;
    let b = TestApp::spawn(Engine::Postgres).await;
    let sa = qixie_kernel::migrate::describe(&a.state.db).await.unwrap();
    let sb = qixie_kernel::migrate::describe(&b.state.db).await.unwrap();
    assert!(sa.len() > 100, "{} columns", sa.len());
    let norm = |v: Vec<(String, String, String)>| {
        v.into_iter()
            .map(|(t, c, ty)| (t, c, ty.replace("integer", "bigint")))
            .collect::<Vec<_>>()
    };
    assert_eq!(norm(sa), norm(sb));
    a.finish().await;
    b.finish().await;
}

both!(probes_metrics_and_bad_bodies, async |app: &TestApp| {
    let c = app.admin().await;
    assert_eq!(c.get("/healthz").await.0, StatusCode::OK);
    assert_eq!(c.get("/readyz").await.0, StatusCode::OK);
    let metrics = c
        .request(reqwest::Method::GET, "/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"qixie_http_requests_total{method="GET",route="/healthz",class="2xx"}"#)
    );
    let res = c
        .request(reqwest::Method::POST, "/api/v1/admin/tags")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let (s, b) = c
        .post(
            "/api/v1/admin/departments",
            json!({"name": "x", "parent_id": "abc"}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["fields"]["parent_id"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
    insta::assert_json_snapshot!(b, @r#"
    {
      "error": {
        "code": "validation_failed",
        "fields": {
          "parent_id": "invalid"
        },
        "key": "error.validation_failed",
        "message": "填写的内容有误，请检查标出的字段"
      }
    }
    "#);
    assert!(
        !b.to_string().contains("invalid type"),
        "no internal parser text: {b}"
    );
});

both!(jobs_run_once_across_claimers, async |app: &TestApp| {
    use qixie_kernel::jobs;
    let db = &app.state.db;
    // Due in the future of the app's (stopped) clock, so only the claimers below see them.
    let now = app.state.now() + 500_000;
    let mut tx = db.begin().await.unwrap();
    for i in 0..20 {
        jobs::enqueue(
            &mut tx,
            now,
            None,
            "test.noop",
            &json!({"i": i}),
            now - 1,
            Some(&format!("k{i}")),
        )
        .await
        .unwrap();
    }
    // The same key twice queues once.
    jobs::enqueue(
        &mut tx,
        now,
        None,
        "test.noop",
        &json!({}),
        now - 1,
        Some("k0"),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // Four claimers race: every job is claimed exactly once.
    let mut handles = Vec::new();
    for n in 0..4 {
        let db = db.clone();
        handles.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(j) = jobs::claim(&db, &format!("node{n}"), now + 1)
                .await
                .unwrap()
            {
                if j.kind == "test.noop" {
                    got.push(j.id);
                }
                jobs::finish(&db, &j, &format!("node{n}"), &Ok(()), now + 1)
                    .await
                    .unwrap();
            }
            got
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    let unique: HashSet<i64> = all.iter().copied().collect();
    assert_eq!((all.len(), unique.len()), (20, 20));
});

both!(concurrent_writes_do_not_fail, async |app: &TestApp| {
    let c = std::sync::Arc::new(app.admin().await);
    let mut handles = Vec::new();
    for i in 0..40 {
        let c = c.clone();
        handles.push(tokio::spawn(async move {
            c.post("/api/v1/admin/tags", json!({"name": format!("并发{i}")}))
                .await
                .0
        }));
    }
    for h in handles {
        assert_eq!(h.await.unwrap(), StatusCode::CREATED);
    }
    let (_, tags) = c.get("/api/v1/admin/tags").await;
    assert_eq!(tags["items"].as_array().unwrap().len(), 40);
});

both!(audit_log_is_append_only, async |app: &TestApp| {
    let db = &app.state.db;
    let (n,): (i64,) = db
        .one(qixie_kernel::db::sql("SELECT COUNT(*) FROM audit_log"))
        .await
        .unwrap();
    assert!(n > 0, "set-up wrote an entry");
    assert!(
        db.exec(qixie_kernel::db::sql("UPDATE audit_log SET kind = 'x'"))
            .await
            .is_err()
    );
    assert!(
        db.exec(qixie_kernel::db::sql("DELETE FROM audit_log"))
            .await
            .is_err()
    );
    let (after,): (i64,) = db
        .one(qixie_kernel::db::sql("SELECT COUNT(*) FROM audit_log"))
        .await
        .unwrap();
    assert_eq!(after, n);
});

// The outbox: what a transaction emits is announced only once it commits, in the order emitted,
// and never when it rolls back.
both!(announcements_follow_the_commit, |app: &TestApp| {
    let state = app.state.clone();
    async move {
        use qixie_kernel::events::DomainEvent;
        use qixie_kernel::ids::{CorpId, MemberId};
        let mut heard = state.events.subscribe();
        let ended = |member: i64| DomainEvent::SessionsEnded {
            member: MemberId(member),
            sessions: vec![],
        };
        let mut tx = state.db.begin().await.unwrap();
        tx.emit(&state, ended(1));
        drop(tx);
        let mut tx = state.db.begin().await.unwrap();
        tx.emit(&state, ended(2));
        tx.emit(&state, DomainEvent::CorpUpdated { corp: CorpId(9) });
        assert!(
            heard.try_recv().is_err(),
            "nothing is announced before the commit"
        );
        tx.commit().await.unwrap();
        let first = heard.try_recv().unwrap();
        assert!(
            matches!(
                first,
                DomainEvent::SessionsEnded {
                    member: MemberId(2),
                    ..
                }
            ),
            "the rolled-back event never comes, the committed ones come in order: {first:?}"
        );
        assert!(matches!(
            heard.try_recv().unwrap(),
            DomainEvent::CorpUpdated { corp: CorpId(9) }
        ));
        assert!(heard.try_recv().is_err());
    }
});

/// The document parses as OpenAPI, every `$ref` resolves, and every operation is typed: it has its
/// success schema (and PATCH/PUT their request schema).
#[test]
fn openapi_document_is_complete() {
    let spec = qixie::http::api_routes().openapi();
    let problems = qixie_kernel::http::openapi::check_document(&spec);
    assert!(problems.is_empty(), "{problems:#?}");
    for shared in [
        "ErrorBody",
        "ErrorCode",
        "FieldReason",
        "Member",
        "Department",
        "Me",
        "AppView",
        "AuditRow",
        "ConversationView",
        "EventView",
    ] {
        assert!(
            spec["components"]["schemas"][shared].is_object(),
            "{shared} is published"
        );
    }
}

// A field the native API does not know is refused by name instead of silently ignored.
both!(unknown_fields_are_refused_by_name, async |app: &TestApp| {
    let c = app.admin().await;
    let d = dept(&c, "研发部", 1).await;
    let (s, b) = c
        .patch(
            &format!("/api/v1/admin/departments/{d}"),
            json!({"name": "研发中心", "colour": "red"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b["error"]["code"], "bad_request");
    assert_eq!(b["error"]["fields"], json!({"colour": "unknown_field"}));
    insta::assert_json_snapshot!(b, @r#"
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
    let (_, tree) = c.get("/api/v1/admin/departments").await;
    assert!(
        !tree.to_string().contains("研发中心"),
        "nothing was changed: {tree}"
    );
    let (s, b) = c
        .post(
            "/api/v1/admin/members",
            json!({"userid": "zhangsan", "name": "张三", "department_ids": [d], "nickname": "三"}),
        )
        .await;
    assert_eq!(
        (s, &b["error"]["fields"]),
        (
            StatusCode::BAD_REQUEST,
            &json!({"nickname": "unknown_field"})
        )
    );
});

// The same for the identity, administration and apps routes: a misspelt field changes nothing.
both!(
    unknown_fields_are_refused_on_every_module,
    async |app: &TestApp| {
        let c = app.admin().await;
        let (s, b) = c
            .post("/api/v1/admin/apps", json!({"name": "HR", "scopes": []}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let agentid = b["app"]["agentid"].as_i64().unwrap();
        let (s, b) = c
            .patch(
                &format!("/api/v1/admin/apps/{agentid}"),
                json!({"name": "人事", "colour": "red"}),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
        assert_eq!(b["error"]["fields"], json!({"colour": "unknown_field"}));
        insta::assert_json_snapshot!(b, @r#"
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
        let (_, list) = c.get("/api/v1/admin/apps").await;
        assert_eq!(
            list["items"][0]["name"], "HR",
            "nothing was changed: {list}"
        );
        let (s, b) = c
            .call(
                reqwest::Method::PUT,
                "/api/v1/admin/admins/boss",
                Some(json!({"is_super": true, "scope": {"all": true, "departments": [1]}})),
            )
            .await;
        assert_eq!(
            (s, &b["error"]["fields"]),
            (
                StatusCode::BAD_REQUEST,
                &json!({"scope.departments": "unknown_field"})
            )
        );
        let (s, b) = c
            .patch("/api/v1/admin/corp", json!({"timezone": "UTC"}))
            .await;
        assert_eq!(
            (s, &b["error"]["fields"]),
            (
                StatusCode::BAD_REQUEST,
                &json!({"timezone": "unknown_field"})
            )
        );
        let (s, b) = app
            .anon()
            .post(
                "/api/v1/auth/login",
                json!({"account": ADMIN, "password": ADMIN_PW, "remember": true}),
            )
            .await;
        assert_eq!(
            (s, &b["error"]["fields"]),
            (
                StatusCode::BAD_REQUEST,
                &json!({"remember": "unknown_field"})
            )
        );
    }
);
