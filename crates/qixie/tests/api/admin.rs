use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both;
use crate::helpers::*;

both!(scoped_administrators, async |app: &TestApp| {
    let boss = app.admin().await;
    let east = dept(&boss, "华东子公司", 1).await;
    let east_rd = dept(&boss, "研发部", east).await;
    let south = dept(&boss, "华南子公司", 1).await;
    boss.post(
        "/api/v1/admin/members",
        json!({"userid": "e1", "name": "东一", "department_ids": [east_rd]}),
    )
    .await;
    boss.post(
        "/api/v1/admin/members",
        json!({"userid": "s1", "name": "南一", "department_ids": [south]}),
    )
    .await;
    let hr = app
        .member_with_password(&boss, "hr_east", &[east], "HrEast2026")
        .await;
    let (s, b) = boss.call(Method::PUT, "/api/v1/admin/admins/hr_east", Some(json!({"permissions": ["contacts.manage", "roles.manage"], "scope": {"all": false, "department_ids": [east]}}))).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    insta::assert_json_snapshot!(b, @r#"
    {
      "admin": {
        "is_super": false,
        "name": "hr_east",
        "permissions": [
          "contacts.manage",
          "roles.manage"
        ],
        "scope": {
          "all": false,
          "department_ids": [
            2
          ]
        },
        "userid": "hr_east"
      }
    }
    "#);
    let (_, me) = hr.get("/api/v1/me").await;
    assert_eq!(
        me["admin_scope"],
        json!({"all": false, "department_ids": [east]})
    );
    // Sees and manages only the subsidiary.
    let (_, list) = hr.get("/api/v1/admin/members").await;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["userid"].as_str().unwrap())
        .collect();
    assert_eq!(list["total"], json!(2), "{ids:?}");
    assert!(ids.contains(&"e1") && !ids.contains(&"s1"));
    let (_, depts) = hr.get("/api/v1/admin/departments").await;
    let ids: Vec<i64> = depts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![east, east_rd]);
    let (s, b) = hr.get("/api/v1/admin/members/s1").await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "out_of_scope"));
    insta::assert_json_snapshot!(b, @r#"
    {
      "error": {
        "code": "out_of_scope",
        "key": "error.out_of_scope",
        "message": "该对象不在你的管理范围内"
      }
    }
    "#);
    let (s, b) = hr
        .post(
            "/api/v1/admin/members",
            json!({"userid": "x", "name": "x", "department_ids": [south]}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "out_of_scope"),
        "{b}"
    );
    let (s, b) = hr
        .patch(
            &format!("/api/v1/admin/departments/{east_rd}"),
            json!({"parent_id": south}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "out_of_scope"),
        "moving out of scope is refused"
    );
    let (s, _) = hr
        .post(
            "/api/v1/admin/members",
            json!({"userid": "e2", "name": "东二", "department_ids": [east_rd]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // Cannot hand out more than it holds.
    let (s, _) = hr.call(Method::PUT, "/api/v1/admin/admins/e1", Some(json!({"permissions": ["apps.manage"], "scope": {"all": false, "department_ids": [east]}}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = hr
        .call(
            Method::PUT,
            "/api/v1/admin/admins/e1",
            Some(json!({"permissions": ["contacts.manage"], "scope": {"all": true}})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = hr
        .call(
            Method::PUT,
            "/api/v1/admin/admins/e1",
            Some(json!({"permissions": [], "is_super": true, "scope": {"all": true}})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = hr.call(Method::PUT, "/api/v1/admin/admins/e1", Some(json!({"permissions": ["contacts.manage"], "scope": {"all": false, "department_ids": [east_rd]}}))).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Other administration areas stay closed.
    let (s, b) = hr.get("/api/v1/admin/apps").await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "forbidden"));
    insta::assert_json_snapshot!(b, @r#"
    {
      "error": {
        "code": "forbidden",
        "key": "error.forbidden",
        "message": "没有权限执行此操作"
      }
    }
    "#);
    let (s, _) = hr.get("/api/v1/admin/audit").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Never fewer than one super administrator.
    let (s, b) = boss.delete(&format!("/api/v1/admin/admins/{ADMIN}")).await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "last_super_admin"));
    insta::assert_json_snapshot!(b, @r#"
    {
      "error": {
        "code": "last_super_admin",
        "key": "error.last_super_admin",
        "message": "企业至少需要保留一名超级管理员"
      }
    }
    "#);
    let (s, b) = boss
        .call(
            Method::PUT,
            &format!("/api/v1/admin/admins/{ADMIN}"),
            Some(json!({"permissions": ["audit.read"], "scope": {"all": true}})),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "last_super_admin"));
    let (_, admins) = boss.get("/api/v1/admin/admins").await;
    assert_eq!(admins["items"].as_array().unwrap().len(), 3);
    assert!(admins["permissions_catalogue"].as_array().unwrap().len() >= 6);
    insta::assert_json_snapshot!(admins, @r#"
    {
      "items": [
        {
          "is_super": true,
          "name": "老板",
          "permissions": [
            "contacts.manage",
            "contacts.import",
            "roles.manage",
            "apps.manage",
            "audit.read",
            "security.manage",
            "approvals.manage",
            "attendance.manage"
          ],
          "scope": {
            "all": true,
            "department_ids": []
          },
          "userid": "boss"
        },
        {
          "is_super": false,
          "name": "东一",
          "permissions": [
            "contacts.manage"
          ],
          "scope": {
            "all": false,
            "department_ids": [
              3
            ]
          },
          "userid": "e1"
        },
        {
          "is_super": false,
          "name": "hr_east",
          "permissions": [
            "contacts.manage",
            "roles.manage"
          ],
          "scope": {
            "all": false,
            "department_ids": [
              2
            ]
          },
          "userid": "hr_east"
        }
      ],
      "permissions_catalogue": [
        {
          "code": "contacts.manage",
          "label": "管理通讯录（部门、成员、标签）"
        },
        {
          "code": "contacts.import",
          "label": "批量导入成员"
        },
        {
          "code": "roles.manage",
          "label": "管理管理员与权限"
        },
        {
          "code": "apps.manage",
          "label": "管理应用与密钥"
        },
        {
          "code": "audit.read",
          "label": "查看操作日志"
        },
        {
          "code": "security.manage",
          "label": "管理安全设置与企业信息"
        },
        {
          "code": "approvals.manage",
          "label": "管理审批模板、流程与审批数据"
        },
        {
          "code": "attendance.manage",
          "label": "管理考勤规则、假期与考勤数据"
        }
      ]
    }
    "#);
    let (_, a) = boss.get("/api/v1/admin/audit?kind=role.assign").await;
    assert_eq!(a["total"], json!(2));
});

both!(apps_and_secrets, async |app: &TestApp| {
    let boss = app.admin().await;
    let (s, b) = boss
        .post(
            "/api/v1/admin/apps",
            json!({"name": "HR 同步", "scopes": ["contacts.read", "contacts.write"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    insta::assert_json_snapshot!(b, @r#"
    {
      "app": {
        "agentid": 1000002,
        "callback": null,
        "created_at": "[time]",
        "description": "",
        "logo": "",
        "name": "HR 同步",
        "scopes": [
          "contacts.read",
          "contacts.write"
        ],
        "secret_rotated_at": "[time]",
        "visible_department_ids": [],
        "visible_userids": []
      },
      "secret": "[secret]"
    }
    "#);
    let agentid = b["app"]["agentid"].as_i64().unwrap();
    assert_eq!(agentid, 1_000_002);
    let secret = b["secret"].as_str().unwrap().to_owned();
    let (_, list) = boss.get("/api/v1/admin/apps").await;
    assert!(
        !list.to_string().contains(&secret),
        "the secret is shown once only"
    );
    insta::assert_json_snapshot!(list, @r#"
    {
      "contacts_sync": {
        "configured": false,
        "rotated_at": null
      },
      "items": [
        {
          "agentid": 1000002,
          "callback": null,
          "created_at": "[time]",
          "description": "",
          "logo": "",
          "name": "HR 同步",
          "scopes": [
            "contacts.read",
            "contacts.write"
          ],
          "secret_rotated_at": "[time]",
          "visible_department_ids": [],
          "visible_userids": []
        }
      ]
    }
    "#);
    let token = |secret: String| async move {
        let url = format!(
            "{}/cgi-bin/gettoken?corpid={}&corpsecret={}",
            app.base, app.corp_id, secret
        );
        reqwest::get(url)
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()
    };
    let t = token(secret.clone()).await;
    assert_eq!(
        (t["errcode"].as_i64(), t["expires_in"].as_i64()),
        (Some(0), Some(7200)),
        "{t}"
    );
    let (_, b) = boss
        .post(
            &format!("/api/v1/admin/apps/{agentid}/rotate-secret"),
            json!({}),
        )
        .await;
    let new_secret = b["secret"].as_str().unwrap().to_owned();
    insta::assert_json_snapshot!(b, @r#"
    {
      "secret": "[secret]"
    }
    "#);
    assert_eq!(
        token(secret).await["errcode"],
        json!(40001),
        "the old secret stops working"
    );
    assert_eq!(token(new_secret).await["errcode"], json!(0));
    let (s, b) = boss
        .post(
            "/api/v1/admin/apps",
            json!({"name": "x", "scopes": ["everything"]}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["fields"]["scopes"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown"))
    );
    insta::assert_json_snapshot!(b, @r#"
    {
      "error": {
        "code": "validation_failed",
        "fields": {
          "scopes": "unknown"
        },
        "key": "error.validation_failed",
        "message": "填写的内容有误，请检查标出的字段"
      }
    }
    "#);
    let (s, b) = boss
        .post("/api/v1/admin/contacts-sync/rotate-secret", json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        token(b["secret"].as_str().unwrap().to_owned()).await["errcode"],
        json!(0)
    );
    let (_, a) = boss.get("/api/v1/admin/audit?kind=app.").await;
    assert_eq!(a["total"], json!(3));
    assert!(
        !a.to_string().contains(b["secret"].as_str().unwrap()),
        "no secret in the audit log"
    );
    let (s, b) = boss
        .patch(
            &format!("/api/v1/admin/apps/{agentid}"),
            json!({"name": "人事同步", "visible_department_ids": [1]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    insta::assert_json_snapshot!(b, @r#"
    {
      "app": {
        "agentid": 1000002,
        "callback": null,
        "created_at": "[time]",
        "description": "",
        "logo": "",
        "name": "人事同步",
        "scopes": [
          "contacts.read",
          "contacts.write"
        ],
        "secret_rotated_at": "[time]",
        "visible_department_ids": [
          1
        ],
        "visible_userids": []
      }
    }
    "#);
    let (s, _) = boss.delete(&format!("/api/v1/admin/apps/{agentid}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
});

both!(audit_log_search_and_export, async |app: &TestApp| {
    let boss = app.admin().await;
    let d = dept(&boss, "行政部", 1).await;
    boss.patch(
        &format!("/api/v1/admin/departments/{d}"),
        json!({"name": "行政中心"}),
    )
    .await;
    let (_, a) = boss.get("/api/v1/admin/audit?kind=department.update").await;
    insta::assert_json_snapshot!(a, @r#"
    {
      "items": [
        {
          "actor_id": "boss",
          "actor_kind": "member",
          "actor_name": "老板",
          "after": {
            "id": 2,
            "name": "行政中心",
            "name_en": "",
            "order": 1,
            "parent_id": 1
          },
          "at": "[time]",
          "before": {
            "id": 2,
            "name": "行政部",
            "name_en": "",
            "order": 1,
            "parent_id": 1
          },
          "id": "[id]",
          "ip": "127.0.0.1",
          "kind": "department.update",
          "target": "department:2"
        }
      ],
      "total": 1
    }
    "#);
    let e = &a["items"][0];
    assert_eq!(
        (e["actor_id"].as_str(), e["target"].as_str()),
        (Some(ADMIN), Some(format!("department:{d}").as_str()))
    );
    assert_eq!(
        (e["before"]["name"].as_str(), e["after"]["name"].as_str()),
        (Some("行政部"), Some("行政中心"))
    );
    assert_eq!(e["ip"], json!("127.0.0.1"));
    let (_, a) = boss
        .get(&format!(
            "/api/v1/admin/audit?actor={ADMIN}&kind=auth.login"
        ))
        .await;
    assert!(a["total"].as_i64().unwrap() >= 1);
    let (_, a) = boss.get("/api/v1/admin/audit?from=0&to=1").await;
    assert_eq!(a["total"], json!(0));
    let res = boss
        .request(Method::GET, "/api/v1/admin/audit/export")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    assert!(text.contains("department.update") && text.contains("行政中心"));
});

both!(enterprises_are_isolated, async |app: &TestApp| {
    let other = app.second_corp("otherboss").await;
    let b = app.login_to(&other, "otherboss", ADMIN_PW).await;
    let a = app.admin().await;
    a.post(
        "/api/v1/admin/members",
        json!({"userid": "mine", "name": "我的", "department_ids": [1]}),
    )
    .await;
    let (s, _) = b.get("/api/v1/directory/members/mine").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = b.get("/api/v1/directory/members").await;
    assert_eq!(
        list["total"],
        json!(1),
        "only its own administrator: {list}"
    );
    let (s, _) = b
        .patch("/api/v1/admin/members/mine", json!({"name": "偷改"}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The same account name may exist in both enterprises; sign-in picks the enterprise.
    let (s, _) = b
        .post(
            "/api/v1/admin/members",
            json!({"userid": "mine", "name": "别家的", "department_ids": [1]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, m) = a.get("/api/v1/directory/members/mine").await;
    assert_eq!(m["member"]["name"], json!("我的"));
    // With two enterprises, sign-in needs the enterprise id.
    let (s, _) = app
        .anon()
        .post(
            "/api/v1/auth/login",
            json!({"account": ADMIN, "password": ADMIN_PW}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
});
