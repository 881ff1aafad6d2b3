use reqwest::StatusCode;
use serde_json::json;

use crate::both;
use crate::helpers::*;

both!(setup_once_then_sign_in, async |app: &TestApp| {
    let anon = app.anon();
    let (_, st) = anon.get("/api/v1/setup/status").await;
    assert_eq!(st["needs_setup"], json!(false));
    assert_eq!(st["default_corp_id"], json!(app.corp_id));
    insta::assert_json_snapshot!(st, @r#"
    {
      "default_corp_id": "[corp_id]",
      "needs_setup": false
    }
    "#);
    let (s, b) = anon
        .post(
            "/api/v1/setup",
            json!({"corp_name": "x", "admin_account": "y", "admin_password": "Abcdefg123"}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "setup_already_done"));
    insta::assert_json_snapshot!(b, @r#"
    {
      "error": {
        "code": "setup_already_done",
        "key": "error.setup_already_done",
        "message": "企业已创建，请直接登录"
      }
    }
    "#);
    let (s, b) = anon.get("/api/v1/me").await;
    assert_eq!((s, code(&b)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    insta::assert_json_snapshot!(b, @r#"
    {
      "error": {
        "code": "unauthenticated",
        "key": "error.unauthenticated",
        "message": "请先登录"
      }
    }
    "#);
    let c = app.admin().await;
    let (s, me) = c.get("/api/v1/me").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["is_super_admin"], json!(true));
    assert_eq!(me["user"]["status"], json!("active"));
    assert_eq!(me["corp"]["name"], json!("测试集团"));
    insta::assert_json_snapshot!(me, @r#"
    {
      "admin_scope": {
        "all": true,
        "department_ids": []
      },
      "corp": {
        "corp_id": "[corp_id]",
        "industry": "it",
        "name": "测试集团",
        "size": "100-499",
        "time_zone": "Asia/Shanghai"
      },
      "csrf_token": "[secret]",
      "is_super_admin": true,
      "must_change_password": false,
      "password_min_length": 8,
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
      "time_zone": "",
      "user": {
        "alias": "",
        "avatar": "",
        "created_at": "[time]",
        "departments": [
          {
            "id": 1,
            "is_main": true,
            "name": "测试集团",
            "order": 0
          }
        ],
        "email": "",
        "employee_no": "",
        "gender": "0",
        "is_leader_in": [],
        "leader_name": "",
        "leader_userid": "",
        "main_department": 1,
        "mobile": "",
        "name": "老板",
        "pinyin_initials": "lb",
        "position": "",
        "status": "active",
        "tags": [],
        "telephone": "",
        "userid": "boss"
      }
    }
    "#);
    // English on request.
    let mut en = app.anon();
    en.lang = Some("en-US,en;q=0.9");
    let (_, b) = en
        .post(
            "/api/v1/auth/login",
            json!({"account": ADMIN, "password": "wrong-pass1"}),
        )
        .await;
    assert_eq!(b["error"]["message"], json!("Wrong account or password"));
    insta::assert_json_snapshot!(b, @r#"
    {
      "error": {
        "code": "bad_credentials",
        "key": "error.bad_credentials",
        "message": "Wrong account or password"
      }
    }
    "#);
    // Bearer tokens for API clients.
    let (s, b) = anon
        .post(
            "/api/v1/auth/login",
            json!({"account": ADMIN, "password": ADMIN_PW, "client": "api"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(b["token"].is_string(), "{b}");
    insta::assert_json_snapshot!(b, @r#"
    {
      "csrf_token": "[secret]",
      "must_change_password": false,
      "token": "[secret]",
      "user": {
        "alias": "",
        "avatar": "",
        "created_at": "[time]",
        "departments": [
          {
            "id": 1,
            "is_main": true,
            "name": "测试集团",
            "order": 0
          }
        ],
        "email": "",
        "employee_no": "",
        "gender": "0",
        "is_leader_in": [],
        "leader_name": "",
        "leader_userid": "",
        "main_department": 1,
        "mobile": "",
        "name": "老板",
        "pinyin_initials": "lb",
        "position": "",
        "status": "active",
        "tags": [],
        "telephone": "",
        "userid": "boss"
      }
    }
    "#);
    let mut api = app.anon();
    api.bearer = b["token"].as_str().map(str::to_owned);
    let (s, _) = api
        .post("/api/v1/admin/tags", json!({"name": "via-bearer"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "bearer requests need no CSRF token");
});

both!(
    first_sign_in_forces_password_change,
    async |app: &TestApp| {
        let admin = app.admin().await;
        let (_, b) = admin
            .post(
                "/api/v1/admin/members",
                json!({"userid": "newbie", "name": "新人", "department_ids": [1]}),
            )
            .await;
        let initial = b["initial_password"].as_str().unwrap().to_owned();
        let mut c = app.anon();
        let (s, b) = c
            .post(
                "/api/v1/auth/login",
                json!({"account": "newbie", "password": initial}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b["must_change_password"], json!(true));
        insta::assert_json_snapshot!(b, @r#"
        {
          "csrf_token": "[secret]",
          "must_change_password": true,
          "token": null,
          "user": {
            "alias": "",
            "avatar": "",
            "created_at": "[time]",
            "departments": [
              {
                "id": 1,
                "is_main": true,
                "name": "测试集团",
                "order": 0
              }
            ],
            "email": "",
            "employee_no": "",
            "gender": "0",
            "is_leader_in": [],
            "leader_name": "",
            "leader_userid": "",
            "main_department": 1,
            "mobile": "",
            "name": "新人",
            "pinyin_initials": "xr",
            "position": "",
            "status": "not_activated",
            "tags": [],
            "telephone": "",
            "userid": "newbie"
          }
        }
        "#);
        c.csrf = b["csrf_token"].as_str().map(str::to_owned);
        let (s, b) = c.get("/api/v1/directory/members").await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::FORBIDDEN, "password_change_required")
        );
        let (s, me) = c.get("/api/v1/me").await;
        assert_eq!(
            (s, me["must_change_password"].as_bool()),
            (StatusCode::OK, Some(true))
        );
        for (bad, field_code) in [
            ("short1", "weak_password"),
            ("newbie12345", "weak_password"),
            ("abcdefghij", "weak_password"),
        ] {
            let (s, b) = c
                .post(
                    "/api/v1/me/password",
                    json!({"old_password": initial, "new_password": bad}),
                )
                .await;
            assert_eq!(
                (s, code(&b)),
                (StatusCode::UNPROCESSABLE_ENTITY, field_code),
                "{bad}"
            );
        }
        let (_, b) = c
            .post(
                "/api/v1/me/password",
                json!({"old_password": initial, "new_password": "short1"}),
            )
            .await;
        insta::assert_json_snapshot!(b, @r#"
        {
          "error": {
            "code": "weak_password",
            "fields": {
              "new_password": "weak_password"
            },
            "key": "error.weak_password",
            "message": "密码不符合安全策略：至少 8 位，包含字母和数字，不能包含账号"
          }
        }
        "#);
        let (s, b) = c
            .post(
                "/api/v1/me/password",
                json!({"old_password": "nope", "new_password": "Better2026"}),
            )
            .await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "wrong_old_password")
        );
        insta::assert_json_snapshot!(b, @r#"
        {
          "error": {
            "code": "wrong_old_password",
            "fields": {
              "old_password": "wrong"
            },
            "key": "error.wrong_old_password",
            "message": "原密码不正确"
          }
        }
        "#);
        let (s, b) = c
            .post(
                "/api/v1/me/password",
                json!({"old_password": initial, "new_password": initial}),
            )
            .await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "password_reused")
        );
        let (s, _) = c
            .post(
                "/api/v1/me/password",
                json!({"old_password": initial, "new_password": "Better2026"}),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, me) = c.get("/api/v1/me").await;
        assert_eq!(
            (
                s,
                me["user"]["status"].as_str(),
                me["must_change_password"].as_bool()
            ),
            (StatusCode::OK, Some("active"), Some(false))
        );
        let (s, _) = c.get("/api/v1/directory/members").await;
        assert_eq!(s, StatusCode::OK);
        // Profile completion.
        let (s, b) = c
            .patch(
                "/api/v1/me/profile",
                json!({"email": "newbie@corp.cn", "mobile": "13700000000"}),
            )
            .await;
        assert_eq!(
            (s, b["user"]["email"].as_str()),
            (StatusCode::OK, Some("newbie@corp.cn"))
        );
        insta::assert_json_snapshot!(b, @r#"
        {
          "user": {
            "alias": "",
            "avatar": "",
            "created_at": "[time]",
            "departments": [
              {
                "id": 1,
                "is_main": true,
                "name": "测试集团",
                "order": 0
              }
            ],
            "email": "newbie@corp.cn",
            "employee_no": "",
            "gender": "0",
            "is_leader_in": [],
            "leader_name": "",
            "leader_userid": "",
            "main_department": 1,
            "mobile": "13700000000",
            "name": "新人",
            "pinyin_initials": "xr",
            "position": "",
            "status": "active",
            "tags": [],
            "telephone": "",
            "userid": "newbie"
          }
        }
        "#);
        // Password rotation: after the period the change is forced again.
        let (s, b) = admin.call(reqwest::Method::PUT, "/api/v1/admin/settings/security", Some(json!({"password_min_length": 8, "password_rotation_days": 30, "login_max_failures": 10, "login_lock_minutes": 30}))).await;
        assert_eq!(s, StatusCode::OK);
        insta::assert_json_snapshot!(b, @r#"
        {
          "login_lock_minutes": 30,
          "login_max_failures": 10,
          "password_min_length": 8,
          "password_rotation_days": 30
        }
        "#);
        app.clock.advance_ms(31 * 24 * 3600 * 1000);
        let c2 = app.anon();
        let (_, b) = c2
            .post(
                "/api/v1/auth/login",
                json!({"account": "newbie", "password": "Better2026"}),
            )
            .await;
        assert_eq!(b["must_change_password"], json!(true));
    }
);

both!(sign_in_throttling_and_locks, async |app: &TestApp| {
    let admin = app.admin().await;
    admin.post("/api/v1/admin/members", json!({"userid": "victim", "name": "V", "department_ids": [1], "initial_password": "Secret2026"})).await;
    let anon = app.anon();
    let attempt = |account: &'static str, pw: &'static str| {
        let anon = &anon;
        async move {
            anon.post(
                "/api/v1/auth/login",
                json!({"account": account, "password": pw}),
            )
            .await
        }
    };
    for _ in 0..3 {
        let (s, b) = attempt("victim", "wrong").await;
        assert_eq!((s, code(&b)), (StatusCode::UNAUTHORIZED, "bad_credentials"));
        // An unknown account answers in exactly the same words.
        let (s2, b2) = attempt("ghost", "wrong").await;
        assert_eq!((s2, &b2["error"]), (s, &b["error"]));
    }
    // Growing delay after three failures, even with the right password.
    let res = anon
        .request(reqwest::Method::POST, "/api/v1/auth/login")
        .json(&json!({"account": "victim", "password": "Secret2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
    // Keep failing (waiting out each delay) until the account locks at ten.
    let mut last = (StatusCode::OK, serde_json::Value::Null);
    for _ in 3..10 {
        app.clock.advance_ms(120_000);
        last = attempt("victim", "wrong").await;
    }
    assert_eq!(
        (last.0, code(&last.1)),
        (StatusCode::LOCKED, "account_locked")
    );
    insta::assert_json_snapshot!(last.1, @r#"
    {
      "error": {
        "code": "account_locked",
        "key": "error.account_locked",
        "message": "登录失败次数过多，账号已临时锁定，请稍后再试或联系管理员解锁"
      }
    }
    "#);
    app.clock.advance_ms(120_000);
    let (s, b) = attempt("victim", "Secret2026").await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::LOCKED, "account_locked"),
        "locked even with the right password"
    );
    // The administrator lifts the lock.
    let (s, b) = admin
        .post("/api/v1/admin/members/victim/unlock", json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    insta::assert_json_snapshot!(b, @r#"
    {
      "member": {
        "alias": "",
        "avatar": "",
        "created_at": "[time]",
        "departments": [
          {
            "id": 1,
            "is_main": true,
            "name": "测试集团",
            "order": 0
          }
        ],
        "email": "",
        "employee_no": "",
        "gender": "0",
        "is_leader_in": [],
        "leader_name": "",
        "leader_userid": "",
        "main_department": 1,
        "mobile": "",
        "name": "V",
        "pinyin_initials": "v",
        "position": "",
        "status": "not_activated",
        "tags": [],
        "telephone": "",
        "userid": "victim"
      }
    }
    "#);
    let (s, _) = attempt("victim", "Secret2026").await;
    assert_eq!(s, StatusCode::OK);
    let (_, a) = admin.get("/api/v1/admin/audit?kind=auth.locked").await;
    assert_eq!(a["total"], json!(1));
    let (_, a) = admin
        .get("/api/v1/admin/audit?kind=auth.login_failed&target=victim")
        .await;
    assert!(a["total"].as_i64().unwrap() >= 10);
});

both!(sessions_csrf_freeze, async |app: &TestApp| {
    let admin = app.admin().await;
    let phone = app
        .member_with_password(&admin, "emp", &[1], "Phone2026")
        .await;
    // A minute later, so the newest session is listed first on either engine.
    app.clock.advance_ms(60_000);
    let desktop = app.login("emp", "Phone2026").await;
    let (_, list) = desktop.get("/api/v1/me/sessions").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    insta::assert_json_snapshot!(list, @r#"
    {
      "items": [
        {
          "created_at": "[time]",
          "current": true,
          "device": "test",
          "id": "[id]",
          "ip": "127.0.0.1",
          "kind": "browser",
          "last_seen_at": "[time]"
        },
        {
          "created_at": "[time]",
          "current": false,
          "device": "test",
          "id": "[id]",
          "ip": "127.0.0.1",
          "kind": "browser",
          "last_seen_at": "[time]"
        }
      ]
    }
    "#);
    let other = items.iter().find(|s| s["current"] == json!(false)).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // CSRF: a cookie-authenticated change without the header is refused.
    let mut forged = app.login("emp", "Phone2026").await;
    forged.csrf = None;
    let (s, b) = forged
        .patch("/api/v1/me/profile", json!({"alias": "x"}))
        .await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "csrf_failed"));
    insta::assert_json_snapshot!(b, @r#"
    {
      "error": {
        "code": "csrf_failed",
        "key": "error.csrf_failed",
        "message": "页面已过期，请刷新后重试"
      }
    }
    "#);
    // Sign the phone out from the desktop.
    let (s, _) = desktop
        .delete(&format!("/api/v1/me/sessions/{other}"))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = phone.get("/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // The administrator signs the member out everywhere, then freezes the account.
    let (s, b) = admin
        .post("/api/v1/admin/members/emp/signout-all", json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    insta::assert_json_snapshot!(b, @r#"
    {
      "member": {
        "alias": "",
        "avatar": "",
        "created_at": "[time]",
        "departments": [
          {
            "id": 1,
            "is_main": true,
            "name": "测试集团",
            "order": 0
          }
        ],
        "email": "",
        "employee_no": "",
        "gender": "0",
        "is_leader_in": [],
        "leader_name": "",
        "leader_userid": "",
        "main_department": 1,
        "mobile": "",
        "name": "emp",
        "pinyin_initials": "emp",
        "position": "",
        "status": "active",
        "tags": [],
        "telephone": "",
        "userid": "emp"
      },
      "sessions_ended": 2
    }
    "#);
    let (s, _) = desktop.get("/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, b) = admin
        .post("/api/v1/admin/members/emp/freeze", json!({}))
        .await;
    assert_eq!(
        (s, b["member"]["status"].as_str()),
        (StatusCode::OK, Some("frozen"))
    );
    let (s, b) = app
        .anon()
        .post(
            "/api/v1/auth/login",
            json!({"account": "emp", "password": "Phone2026"}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "account_frozen"));
    let (_, b) = admin
        .post("/api/v1/admin/members/emp/unfreeze", json!({}))
        .await;
    assert_eq!(b["member"]["status"], json!("active"));
    // Reset: a generated initial password, forced change at next sign-in.
    let (_, b) = admin
        .post("/api/v1/admin/members/emp/reset-password", json!({}))
        .await;
    let pw = b["initial_password"].as_str().unwrap().to_owned();
    insta::assert_json_snapshot!(b, @r#"
    {
      "initial_password": "[secret]"
    }
    "#);
    let (_, b) = app
        .anon()
        .post(
            "/api/v1/auth/login",
            json!({"account": "emp", "password": pw}),
        )
        .await;
    assert_eq!(b["must_change_password"], json!(true));
    // Logout ends the session.
    let (s, _) = admin.post("/api/v1/auth/logout", json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = admin.get("/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
});
