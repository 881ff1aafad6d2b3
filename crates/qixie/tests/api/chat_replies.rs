//! Quick replies (a member's own and the enterprise's) and the naming and file rules members read.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::*;

const MINE: &str = "/api/v1/chat/quick-replies";
const CORP: &str = "/api/v1/admin/chat/quick-replies";

async fn texts(c: &Client, path: &str) -> Vec<String> {
    let (s, b) = c.get(path).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["text"].as_str().unwrap().to_owned())
        .collect()
}

async fn add(c: &Client, path: &str, body: Value) -> Value {
    let (s, b) = c.post(path, body).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn members(app: &TestApp) -> (Client, Client, Client) {
    let boss = app.admin().await;
    let d = dept(&boss, "客服部", 1).await;
    let zhang = app
        .member_with_password(&boss, "zhang", &[d], "Secret2026a")
        .await;
    let li = app
        .member_with_password(&boss, "li", &[d], "Secret2026b")
        .await;
    (boss, zhang, li)
}

both!(
    my_quick_replies_validate_and_keep_order,
    async |app: &TestApp| {
        let (_boss, zhang, _li) = members(app).await;
        let (s, b) = zhang.get(MINE).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b["items"], json!([]));
        assert_eq!(
            b["limits"],
            json!({"count": 100, "title_chars": 30, "text_chars": 1000})
        );

        let a = add(
            &zhang,
            MINE,
            json!({"title": "  问候\n语 ", "text": "  您好，请问有什么可以帮您？\n"}),
        )
        .await;
        assert_eq!(a["title"], "问候 语");
        crate::snap!(a, @r#"
        {
          "editable": true,
          "id": "[id]",
          "position": 1,
          "scope": "personal",
          "text": "您好，请问有什么可以帮您？",
          "title": "问候 语",
          "updated_at": "[ms]"
        }
        "#);
        assert_eq!(a["text"], "您好，请问有什么可以帮您？");
        assert_eq!(
            (a["scope"].as_str(), a["editable"].as_bool()),
            (Some("personal"), Some(true))
        );
        let b = add(&zhang, MINE, json!({"text": "稍等，我查一下"})).await;
        assert_eq!(b["title"], "");
        let c = add(
            &zhang,
            MINE,
            json!({"title": "结束", "text": "感谢您的耐心"}),
        )
        .await;
        let order = vec![
            "您好，请问有什么可以帮您？".to_owned(),
            "稍等，我查一下".to_owned(),
            "感谢您的耐心".to_owned(),
        ];
        assert_eq!(texts(&zhang, MINE).await, order);

        // Refusals name the field and the limits, and change nothing.
        let refusals = [
            (json!({"text": "   "}), "text", "required"),
            (json!({"title": "x"}), "text", "required"),
            (json!({"text": "字".repeat(1001)}), "text", "too_long"),
            (
                json!({"title": "长".repeat(31), "text": "x"}),
                "title",
                "too_long",
            ),
        ];
        for (body, field, reason) in refusals {
            let (s, e) = zhang.post(MINE, body).await;
            if field == "title" {
                crate::snap!(e, @r#"
                {
                  "error": {
                    "code": "validation_failed",
                    "details": {
                      "max_text_chars": 1000,
                      "max_title_chars": 30
                    },
                    "fields": {
                      "title": "too_long"
                    },
                    "key": "error.validation_failed",
                    "message": "填写的内容有误，请检查标出的字段：标题最多 30 个字（可不填），内容 1–1000 个字"
                  }
                }
                "#);
            }
            assert_eq!(
                (s, code(&e)),
                (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
                "{e}"
            );
            assert_eq!(e["error"]["fields"][field], reason, "{e}");
            assert!(
                e["error"]["message"].as_str().unwrap().contains("1–1000"),
                "{e}"
            );
        }
        assert!(
            add(
                &zhang,
                MINE,
                json!({"title": "长".repeat(30), "text": "字".repeat(1000)})
            )
            .await["id"]
                .is_string()
        );
        let (s, _) = zhang
            .delete(&format!("{MINE}/{}", id(&texts_last(&zhang).await)))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        // The same text twice (after trimming) is refused.
        let (s, e) = zhang
            .post(
                MINE,
                json!({"title": "别的标题", "text": "稍等，我查一下  "}),
            )
            .await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::CONFLICT, "quick_reply_exists"),
            "{e}"
        );
        assert_eq!(e["error"]["fields"]["text"], "quick_reply_exists");
        crate::snap!(e, @r#"
        {
          "error": {
            "code": "quick_reply_exists",
            "fields": {
              "text": "quick_reply_exists"
            },
            "key": "error.quick_reply_exists",
            "message": "已有内容相同的快捷回复"
          }
        }
        "#);
        assert_eq!(texts(&zhang, MINE).await, order);

        // Changes: title and text; into another's text is refused; an empty patch keeps it.
        let (s, u) = zhang
            .patch(&format!("{MINE}/{}", id(&b)), json!({"title": "查询"}))
            .await;
        assert_eq!(s, StatusCode::OK, "{u}");
        assert_eq!(
            (u["title"].as_str(), u["text"].as_str()),
            (Some("查询"), Some("稍等，我查一下"))
        );
        let (s, e) = zhang
            .patch(
                &format!("{MINE}/{}", id(&b)),
                json!({"text": "感谢您的耐心"}),
            )
            .await;
        assert_eq!((s, code(&e)), (StatusCode::CONFLICT, "quick_reply_exists"));
        let (s, e) = zhang
            .patch(&format!("{MINE}/{}", id(&b)), json!({"text": ""}))
            .await;
        assert_eq!(
            (s, e["error"]["fields"]["text"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("required"))
        );
        let (s, u) = zhang
            .patch(
                &format!("{MINE}/{}", id(&b)),
                json!({"text": "稍等，我马上查一下"}),
            )
            .await;
        assert_eq!(
            (s, u["text"].as_str()),
            (StatusCode::OK, Some("稍等，我马上查一下"))
        );
        let (s, u) = zhang.patch(&format!("{MINE}/{}", id(&b)), json!({})).await;
        assert_eq!((s, u["title"].as_str()), (StatusCode::OK, Some("查询")));
        let (s, e) = zhang
            .patch(&format!("{MINE}/123"), json!({"title": "x"}))
            .await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::NOT_FOUND, "quick_reply_not_found")
        );

        // Reordering: those named first, the rest after in their order; bad lists change nothing.
        let (s, r) = zhang
            .call(
                Method::PUT,
                &format!("{MINE}/order"),
                Some(json!({"ids": [id(&c), id(&a)]})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        crate::snap!(r, @r#"
        {
          "items": [
            {
              "editable": true,
              "id": "[id]",
              "position": 1,
              "scope": "personal",
              "text": "感谢您的耐心",
              "title": "结束",
              "updated_at": "[ms]"
            },
            {
              "editable": true,
              "id": "[id]",
              "position": 2,
              "scope": "personal",
              "text": "您好，请问有什么可以帮您？",
              "title": "问候 语",
              "updated_at": "[ms]"
            },
            {
              "editable": true,
              "id": "[id]",
              "position": 3,
              "scope": "personal",
              "text": "稍等，我马上查一下",
              "title": "查询",
              "updated_at": "[ms]"
            }
          ],
          "limits": {
            "count": 100,
            "text_chars": 1000,
            "title_chars": 30
          }
        }
        "#);
        let now = vec![
            "感谢您的耐心".to_owned(),
            "您好，请问有什么可以帮您？".to_owned(),
            "稍等，我马上查一下".to_owned(),
        ];
        let listed: Vec<&str> = r["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["text"].as_str().unwrap())
            .collect();
        assert_eq!(listed, now);
        assert_eq!(texts(&zhang, MINE).await, now);
        for bad in [
            json!({"ids": [id(&a), id(&a)]}),
            json!({"ids": ["42"]}),
            json!({"ids": ["x"]}),
        ] {
            let (s, e) = zhang
                .call(Method::PUT, &format!("{MINE}/order"), Some(bad))
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
            assert!(e["error"]["fields"]["ids"].is_string(), "{e}");
        }
        assert_eq!(texts(&zhang, MINE).await, now);
        // A new one goes last, after a reorder too.
        add(&zhang, MINE, json!({"text": "再见"})).await;
        assert_eq!(texts(&zhang, MINE).await.last().unwrap(), "再见");

        // Deleting.
        let (s, _) = zhang.delete(&format!("{MINE}/{}", id(&a))).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, e) = zhang.delete(&format!("{MINE}/{}", id(&a))).await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::NOT_FOUND, "quick_reply_not_found")
        );
        assert_eq!(texts(&zhang, MINE).await.len(), 3);

        // At most 100 each.
        for i in 3..100 {
            add(&zhang, MINE, json!({"text": format!("第 {i} 条")})).await;
        }
        let (s, e) = zhang.post(MINE, json!({"text": "第 101 条"})).await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::CONFLICT, "quick_reply_limit"),
            "{e}"
        );
        assert!(
            e["error"]["message"].as_str().unwrap().contains("100"),
            "{e}"
        );
        assert_eq!(e["error"]["details"]["limit"], 100);
        crate::snap!(e, @r#"
        {
          "error": {
            "code": "quick_reply_limit",
            "details": {
              "limit": 100
            },
            "key": "error.quick_reply_limit",
            "message": "快捷回复数量已达上限：每人最多 100 条，请先删除不再使用的"
          }
        }
        "#);
        assert_eq!(texts(&zhang, MINE).await.len(), 100);
        // Personal changes are not administrative: nothing in the audit log.
        let (_, log) = app
            .admin()
            .await
            .get("/api/v1/admin/audit?kind=chat.quick_reply")
            .await;
        assert_eq!(log["total"], 0);
    }
);

async fn texts_last(c: &Client) -> Value {
    let (_, b) = c.get(MINE).await;
    b["items"].as_array().unwrap().last().unwrap().clone()
}

both!(
    enterprise_quick_replies_are_kept_by_administrators,
    async |app: &TestApp| {
        let (boss, zhang, li) = members(app).await;
        let mine = add(&zhang, MINE, json!({"text": "我的回复"})).await;
        let e1 = add(
            &boss,
            CORP,
            json!({"title": "公司介绍", "text": "企协是一家……"}),
        )
        .await;
        assert_eq!(
            (e1["scope"].as_str(), e1["editable"].as_bool()),
            (Some("enterprise"), Some(true))
        );
        let e2 = add(&boss, CORP, json!({"text": "工作时间：9:00–18:00"})).await;
        // The same text as a member's own is fine; twice in the enterprise's is not.
        add(&boss, CORP, json!({"text": "我的回复"})).await;
        let (s, e) = boss.post(CORP, json!({"text": "我的回复"})).await;
        assert_eq!((s, code(&e)), (StatusCode::CONFLICT, "quick_reply_exists"));
        let (s, b) = boss.get(CORP).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b["items"].as_array().unwrap().len(), 3);
        assert_eq!(b["limits"]["count"], 200);

        // Members see their own first, then the enterprise's, which they cannot change.
        let (_, list) = zhang.get(MINE).await;
        let items = list["items"].as_array().unwrap();
        crate::snap!(list, @r#"
        {
          "items": [
            {
              "editable": true,
              "id": "[id]",
              "position": 1,
              "scope": "personal",
              "text": "我的回复",
              "title": "",
              "updated_at": "[ms]"
            },
            {
              "editable": false,
              "id": "[id]",
              "position": 1,
              "scope": "enterprise",
              "text": "企协是一家……",
              "title": "公司介绍",
              "updated_at": "[ms]"
            },
            {
              "editable": false,
              "id": "[id]",
              "position": 2,
              "scope": "enterprise",
              "text": "工作时间：9:00–18:00",
              "title": "",
              "updated_at": "[ms]"
            },
            {
              "editable": false,
              "id": "[id]",
              "position": 3,
              "scope": "enterprise",
              "text": "我的回复",
              "title": "",
              "updated_at": "[ms]"
            }
          ],
          "limits": {
            "count": 100,
            "text_chars": 1000,
            "title_chars": 30
          }
        }
        "#);
        let shape: Vec<(&str, &str, bool)> = items
            .iter()
            .map(|i| {
                (
                    i["scope"].as_str().unwrap(),
                    i["text"].as_str().unwrap(),
                    i["editable"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                ("personal", "我的回复", true),
                ("enterprise", "企协是一家……", false),
                ("enterprise", "工作时间：9:00–18:00", false),
                ("enterprise", "我的回复", false),
            ]
        );
        assert_eq!(texts(&li, MINE).await.len(), 3);
        let (s, e) = zhang
            .patch(&format!("{MINE}/{}", id(&e1)), json!({"text": "改掉"}))
            .await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::FORBIDDEN, "quick_reply_read_only")
        );
        let (s, e) = zhang.delete(&format!("{MINE}/{}", id(&e1))).await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::FORBIDDEN, "quick_reply_read_only")
        );
        let (s, e) = zhang
            .call(
                Method::PUT,
                &format!("{MINE}/order"),
                Some(json!({"ids": [id(&e2), id(&mine)]})),
            )
            .await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::FORBIDDEN, "quick_reply_read_only")
        );
        // Nor reach the administrators' routes.
        for (m, path, body) in [
            (Method::GET, CORP.to_owned(), None),
            (
                Method::POST,
                CORP.to_owned(),
                Some(json!({"text": "偷偷加一条"})),
            ),
            (
                Method::PATCH,
                format!("{CORP}/{}", id(&e1)),
                Some(json!({"text": "改掉"})),
            ),
            (Method::DELETE, format!("{CORP}/{}", id(&e1)), None),
            (
                Method::PUT,
                format!("{CORP}/order"),
                Some(json!({"ids": [id(&e2)]})),
            ),
        ] {
            let (s, e) = zhang.call(m.clone(), &path, body).await;
            assert_eq!(
                (s, code(&e)),
                (StatusCode::FORBIDDEN, "forbidden"),
                "{m} {path}"
            );
        }
        // A member's own are theirs alone: not even the administrators' routes reach them.
        let (s, _) = li
            .patch(&format!("{MINE}/{}", id(&mine)), json!({"text": "x"}))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = li.delete(&format!("{MINE}/{}", id(&mine))).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = boss.delete(&format!("{CORP}/{}", id(&mine))).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(texts(&zhang, MINE).await[0], "我的回复");

        // Administrators change, reorder and delete; every change is in the audit log.
        let (s, u) = boss
            .patch(&format!("{CORP}/{}", id(&e2)), json!({"title": "作息"}))
            .await;
        assert_eq!((s, u["title"].as_str()), (StatusCode::OK, Some("作息")));
        let (s, _) = boss
            .call(
                Method::PUT,
                &format!("{CORP}/order"),
                Some(json!({"ids": [id(&e2)]})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(texts(&boss, CORP).await[0], "工作时间：9:00–18:00");
        assert_eq!(texts(&zhang, MINE).await[1], "工作时间：9:00–18:00");
        let (s, _) = boss.delete(&format!("{CORP}/{}", id(&e1))).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (_, log) = boss.get("/api/v1/admin/audit?kind=chat.quick_reply").await;
        let kinds: Vec<&str> = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        for k in [
            "chat.quick_reply.create",
            "chat.quick_reply.update",
            "chat.quick_reply.reorder",
            "chat.quick_reply.delete",
        ] {
            assert!(kinds.contains(&k), "{k} in {kinds:?}");
        }
        assert_eq!(
            kinds
                .iter()
                .filter(|k| **k == "chat.quick_reply.create")
                .count(),
            3
        );
        let (_, del) = boss
            .get("/api/v1/admin/audit?kind=chat.quick_reply.delete")
            .await;
        assert_eq!(
            del["items"][0]["target"],
            format!("quick_reply:{}", id(&e1))
        );
        assert_eq!(del["items"][0]["before"]["title"], "公司介绍");

        // Another enterprise neither sees nor touches them.
        let other = app.second_corp("fboss").await;
        let fboss = app.login_to(&other, "fboss", ADMIN_PW).await;
        assert_eq!(texts(&fboss, CORP).await, Vec::<String>::new());
        assert_eq!(texts(&fboss, MINE).await, Vec::<String>::new());
        for path in [
            format!("{CORP}/{}", id(&e2)),
            format!("{MINE}/{}", id(&e2)),
            format!("{MINE}/{}", id(&mine)),
        ] {
            let (s, e) = fboss.patch(&path, json!({"text": "占领"})).await;
            assert_eq!(
                (s, code(&e)),
                (StatusCode::NOT_FOUND, "quick_reply_not_found"),
                "{path}"
            );
            let (s, _) = fboss.delete(&path).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        }
        let (s, e) = fboss
            .call(
                Method::PUT,
                &format!("{CORP}/order"),
                Some(json!({"ids": [id(&e2)]})),
            )
            .await;
        assert_eq!(
            (s, e["error"]["fields"]["ids"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("not_found"))
        );
        // Its own enterprise list counts separately.
        add(&fboss, CORP, json!({"text": "工作时间：9:00–18:00"})).await;
        assert_eq!(texts(&zhang, MINE).await.len(), 3);

        // At most 200 for the enterprise.
        for i in 2..200 {
            add(&boss, CORP, json!({"text": format!("企业第 {i} 条")})).await;
        }
        let (s, e) = boss.post(CORP, json!({"text": "企业第 201 条"})).await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::CONFLICT, "quick_reply_limit"),
            "{e}"
        );
        assert!(
            e["error"]["message"].as_str().unwrap().contains("200"),
            "{e}"
        );
        assert_eq!(texts(&boss, CORP).await.len(), 200);
    }
);

both!(
    members_read_the_rules_they_must_follow,
    async |app: &TestApp| {
        let (boss, zhang, _li) = members(app).await;
        let (s, p) = zhang.get("/api/v1/chat/policy").await;
        assert_eq!(s, StatusCode::OK, "{p}");
        assert_eq!(
            p,
            json!({
                "naming": {
                    "enabled": false,
                    "pattern": "【部门】-【项目/事项】-【群类型】",
                    "group_types": ["项目群", "通知群", "讨论群"],
                    "example": "市场部-新品发布-项目群",
                },
                "files": {"max_bytes": 104857600, "denied_extensions": ["exe", "bat", "cmd", "scr"], "allowed_extensions": []},
            })
        );
        // The administrators' policy still needs the permission.
        let (s, _) = zhang.get("/api/v1/admin/chat/policy").await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        let policy = json!({
            "receipts": {"direct": "off", "group": "aggregate", "department": "off", "company": "off"},
            "naming": {"enabled": true, "pattern": "【部门】-【群类型】", "group_types": ["通知群", "项目群"]},
            "files": {"max_bytes": 1048576, "denied_extensions": ["zip"], "allowed_extensions": ["pdf", "docx"]}
        });
        let (s, b) = boss
            .call(Method::PUT, "/api/v1/admin/chat/policy", Some(policy))
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (_, p) = zhang.get("/api/v1/chat/policy").await;
        assert_eq!(p["naming"]["enabled"], true);
        assert_eq!(p["naming"]["pattern"], "【部门】-【群类型】");
        assert_eq!(p["naming"]["group_types"], json!(["通知群", "项目群"]));
        assert_eq!(p["naming"]["example"], "市场部-通知群");
        assert_eq!(
            p["files"],
            json!({"max_bytes": 1048576, "denied_extensions": ["zip"], "allowed_extensions": ["pdf", "docx"]})
        );
        // Only what members need: nothing of the receipt settings.
        assert!(p.get("receipts").is_none(), "{p}");
        assert_eq!(p.as_object().unwrap().len(), 2, "{p}");
        // The example it gives passes the server's own check.
        let (s, g) = zhang
            .post(
                "/api/v1/chat/conversations",
                json!({"name": p["naming"]["example"], "userids": ["li"]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{g}");

        // Each enterprise reads its own rules.
        let other = app.second_corp("fboss").await;
        let fboss = app.login_to(&other, "fboss", ADMIN_PW).await;
        let (_, fp) = fboss.get("/api/v1/chat/policy").await;
        assert_eq!(fp["naming"]["enabled"], false);
        // Signed-out callers get nothing.
        let (s, _) = app.anon().get("/api/v1/chat/policy").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
);
