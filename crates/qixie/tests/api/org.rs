use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::*;

both!(department_tree, async |app: &TestApp| {
    let c = app.admin().await;
    let east = dept(&c, "华东子公司", 1).await;
    let rd = dept(&c, "研发部", east).await;
    let team = dept(&c, "后端组", rd).await;
    let south = dept(&c, "华南子公司", 1).await;
    // Same name under the same parent is refused.
    let (s, b) = c
        .post(
            "/api/v1/admin/departments",
            json!({"name": "研发部", "parent_id": east}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "department_exists"));
    insta::assert_json_snapshot!(b, @r#"
    {
      "error": {
        "code": "department_exists",
        "key": "error.department_exists",
        "message": "同一上级部门下已有同名部门"
      }
    }
    "#);
    // Moving a department into its own subtree is refused with a clear message.
    let (s, b) = c
        .patch(
            &format!("/api/v1/admin/departments/{rd}"),
            json!({"parent_id": team}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::CONFLICT, "department_move_cycle")
    );
    assert!(b["error"]["message"].as_str().unwrap().contains("下级部门"));
    insta::assert_json_snapshot!(b, @r#"
    {
      "error": {
        "code": "department_move_cycle",
        "key": "error.department_move_cycle",
        "message": "不能把部门移动到它自己或它的下级部门中"
      }
    }
    "#);
    // Move the R&D subtree to the south subsidiary: its child moves along.
    let (s, b) = c
        .patch(
            &format!("/api/v1/admin/departments/{rd}"),
            json!({"parent_id": south, "name": "研发中心", "order": 5}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["department"]["parent_id"], json!(south));
    insta::assert_json_snapshot!(b, @r#"
    {
      "department": {
        "id": 3,
        "leader_userids": [],
        "member_count": 0,
        "name": "研发中心",
        "name_en": "",
        "order": 5,
        "parent_id": 5
      }
    }
    "#);
    let member = c
        .post(
            "/api/v1/admin/members",
            json!({"userid": "zhangsan", "name": "张三", "department_ids": [team]}),
        )
        .await;
    assert_eq!(member.0, StatusCode::CREATED, "{}", member.1);
    let (_, list) = c
        .get(&format!(
            "/api/v1/admin/members?department_id={south}&recursive=true"
        ))
        .await;
    assert_eq!(
        list["total"],
        json!(1),
        "the moved subtree's member is under the new parent: {list}"
    );
    let (_, list) = c
        .get(&format!(
            "/api/v1/admin/members?department_id={east}&recursive=true"
        ))
        .await;
    assert_eq!(list["total"], json!(0));
    // Tree order: parent before children.
    let (_, tree) = c.get("/api/v1/directory/departments").await;
    let ids: Vec<i64> = tree["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    let pos = |id| ids.iter().position(|x| *x == id).unwrap();
    assert!(pos(south) < pos(rd) && pos(rd) < pos(team), "{ids:?}");
    insta::assert_json_snapshot!(tree, @r#"
    {
      "items": [
        {
          "id": 1,
          "leader_userids": [],
          "member_count": 1,
          "name": "测试集团",
          "name_en": "",
          "order": 0,
          "parent_id": 0
        },
        {
          "id": 2,
          "leader_userids": [],
          "member_count": 0,
          "name": "华东子公司",
          "name_en": "",
          "order": 1,
          "parent_id": 1
        },
        {
          "id": 5,
          "leader_userids": [],
          "member_count": 0,
          "name": "华南子公司",
          "name_en": "",
          "order": 2,
          "parent_id": 1
        },
        {
          "id": 3,
          "leader_userids": [],
          "member_count": 0,
          "name": "研发中心",
          "name_en": "",
          "order": 5,
          "parent_id": 5
        },
        {
          "id": 4,
          "leader_userids": [],
          "member_count": 1,
          "name": "后端组",
          "name_en": "",
          "order": 1,
          "parent_id": 3
        }
      ]
    }
    "#);
    // Delete: refused while not empty, root never.
    let (s, b) = c.delete(&format!("/api/v1/admin/departments/{rd}")).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::CONFLICT, "department_has_children")
    );
    let (s, b) = c.delete(&format!("/api/v1/admin/departments/{team}")).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::CONFLICT, "department_not_empty")
    );
    let (s, b) = c.delete("/api/v1/admin/departments/1").await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "root_department"));
    let (s, _) = c.delete(&format!("/api/v1/admin/departments/{east}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // Leaders.
    let (s, b) = c
        .patch(
            &format!("/api/v1/admin/departments/{team}"),
            json!({"leader_userids": ["zhangsan"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["department"]["leader_userids"], json!(["zhangsan"]));
    let (_, m) = c.get("/api/v1/directory/members/zhangsan").await;
    assert_eq!(m["member"]["is_leader_in"], json!([team]));
    insta::assert_json_snapshot!(m, @r#"
    {
      "member": {
        "alias": "",
        "avatar": "",
        "created_at": "[time]",
        "departments": [
          {
            "id": 4,
            "is_main": true,
            "name": "后端组",
            "order": 0
          }
        ],
        "email": "",
        "employee_no": "",
        "gender": "0",
        "is_leader_in": [
          4
        ],
        "leader_name": "",
        "leader_userid": "",
        "main_department": 4,
        "mobile": "",
        "name": "张三",
        "pinyin_initials": "zs",
        "position": "",
        "status": "not_activated",
        "tags": [],
        "telephone": "",
        "userid": "zhangsan"
      }
    }
    "#);
});

both!(members_validate_and_search, async |app: &TestApp| {
    let c = app.admin().await;
    let d = dept(&c, "销售部", 1).await;
    let (s, b) = c.post("/api/v1/admin/members", json!({"userid": "zhangsan", "name": "张三", "department_ids": [d], "mobile": "+86 138-0013-8000", "email": "ZS@Example.com", "gender": "男"})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let generated = b["initial_password"].as_str().unwrap();
    assert!(
        generated.len() >= 8,
        "a generated initial password is shown once"
    );
    assert_eq!(b["member"]["mobile"], json!("13800138000"));
    assert_eq!(b["member"]["email"], json!("zs@example.com"));
    assert_eq!(b["member"]["status"], json!("not_activated"));
    insta::assert_json_snapshot!(b, @r#"
    {
      "initial_password": "[secret]",
      "member": {
        "alias": "",
        "avatar": "",
        "created_at": "[time]",
        "departments": [
          {
            "id": 2,
            "is_main": true,
            "name": "销售部",
            "order": 0
          }
        ],
        "email": "zs@example.com",
        "employee_no": "",
        "gender": "1",
        "is_leader_in": [],
        "leader_name": "",
        "leader_userid": "",
        "main_department": 2,
        "mobile": "13800138000",
        "name": "张三",
        "pinyin_initials": "zs",
        "position": "",
        "status": "not_activated",
        "tags": [],
        "telephone": "",
        "userid": "zhangsan"
      }
    }
    "#);
    // Bad input: clear field errors and nothing written.
    let (s, b) = c
        .post(
            "/api/v1/admin/members",
            json!({"userid": "-bad", "name": "", "department_ids": [d], "mobile": "123"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        b["error"]["fields"],
        json!({"userid": "format", "name": "required", "mobile": "format"})
    );
    insta::assert_json_snapshot!(b, @r#"
    {
      "error": {
        "code": "validation_failed",
        "fields": {
          "mobile": "format",
          "name": "required",
          "userid": "format"
        },
        "key": "error.validation_failed",
        "message": "填写的内容有误，请检查标出的字段"
      }
    }
    "#);
    let (s, b) = c
        .post(
            "/api/v1/admin/members",
            json!({"userid": "zhangsan", "name": "张三二", "department_ids": [d]}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "userid_exists"));
    insta::assert_json_snapshot!(b, @r#"
    {
      "error": {
        "code": "userid_exists",
        "key": "error.userid_exists",
        "message": "账号已存在"
      }
    }
    "#);
    let (s, b) = c.post("/api/v1/admin/members", json!({"userid": "lisi", "name": "李四", "department_ids": [d], "mobile": "13800138000"})).await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "mobile_exists"));
    let (s, b) = c
        .post(
            "/api/v1/admin/members",
            json!({"userid": "lisi", "name": "李四", "department_ids": [999]}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["fields"]["department_ids"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_found"))
    );
    let (_, all) = c.get("/api/v1/directory/members").await;
    assert_eq!(
        all["total"],
        json!(2),
        "only the admin and zhangsan exist: {all}"
    );
    let (s, _) = c.post("/api/v1/admin/members", json!({"userid": "lisi", "name": "李四", "department_ids": [d], "leader_userid": "zhangsan"})).await;
    assert_eq!(s, StatusCode::CREATED);
    // Search by pinyin initials, full pinyin, account and mobile.
    for (q, who) in [
        ("zs", "zhangsan"),
        ("zhangsan", "zhangsan"),
        ("ls", "lisi"),
        ("138001", "zhangsan"),
        ("李", "lisi"),
    ] {
        let (_, r) = c
            .get(&format!("/api/v1/directory/members?q={}", urlencode(q)))
            .await;
        let ids: Vec<&str> = r["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["userid"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![who], "search {q}");
    }
    let (_, m) = c.get("/api/v1/directory/members/lisi").await;
    assert_eq!(m["member"]["leader_userid"], json!("zhangsan"));
    assert_eq!(m["member"]["leader_name"], json!("张三"));
    insta::assert_json_snapshot!(m, @r#"
    {
      "member": {
        "alias": "",
        "avatar": "",
        "created_at": "[time]",
        "departments": [
          {
            "id": 2,
            "is_main": true,
            "name": "销售部",
            "order": 0
          }
        ],
        "email": "",
        "employee_no": "",
        "gender": "0",
        "is_leader_in": [],
        "leader_name": "张三",
        "leader_userid": "zhangsan",
        "main_department": 2,
        "mobile": "",
        "name": "李四",
        "pinyin_initials": "ls",
        "position": "",
        "status": "not_activated",
        "tags": [],
        "telephone": "",
        "userid": "lisi"
      }
    }
    "#);
    // Update and delete.
    let (s, b) = c
        .patch(
            "/api/v1/admin/members/lisi",
            json!({"position": "销售经理", "mobile": ""}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["member"]["position"], json!("销售经理"));
    insta::assert_json_snapshot!(b, @r#"
    {
      "member": {
        "alias": "",
        "avatar": "",
        "created_at": "[time]",
        "departments": [
          {
            "id": 2,
            "is_main": true,
            "name": "销售部",
            "order": 0
          }
        ],
        "email": "",
        "employee_no": "",
        "gender": "0",
        "is_leader_in": [],
        "leader_name": "张三",
        "leader_userid": "zhangsan",
        "main_department": 2,
        "mobile": "",
        "name": "李四",
        "pinyin_initials": "ls",
        "position": "销售经理",
        "status": "not_activated",
        "tags": [],
        "telephone": "",
        "userid": "lisi"
      }
    }
    "#);
    let (s, _) = c.delete("/api/v1/admin/members/lisi").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = c.get("/api/v1/directory/members/lisi").await;
    assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "member_not_found"));
    let (s, b) = c.delete(&format!("/api/v1/admin/members/{ADMIN}")).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::CONFLICT, "cannot_delete_creator")
    );
});

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

const CSV: &str = "姓名,帐号,手机,邮箱,部门,职务,性别,直属上级,标签\n\
王小明,wangxm,13900000001,wxm@corp.cn,测试集团/华东/研发部,工程师,男,lihua,骨干\n\
李华,lihua,13900000002,,华东/研发部,经理,女,,\n\
坏行,,1390000,bad-email,华东,,未知性别,,\n\
赵六,zhaoliu,13900000004,,华东;华南,专员,,,骨干;新员工\n";

both!(import_with_report_and_export, async |app: &TestApp| {
    let c = app.admin().await;
    // Dry run: the per-row report and nothing written.
    let (s, r) = c
        .upload(
            "/api/v1/admin/members/import",
            "members.csv",
            CSV.as_bytes().to_vec(),
            &[("mode", "valid_rows"), ("dry_run", "true")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (
            r["total"].as_i64(),
            r["valid"].as_i64(),
            r["invalid"].as_i64(),
            r["applied"].as_bool()
        ),
        (Some(4), Some(3), Some(1), Some(false))
    );
    let errors: Vec<(i64, &str, &str)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["field"].as_str().unwrap(),
                e["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(errors.contains(&(4, "userid", "required")), "{errors:?}");
    assert!(errors.contains(&(4, "mobile", "format")), "{errors:?}");
    assert!(errors.iter().all(|e| e.0 == 4));
    let (_, all) = c.get("/api/v1/directory/members").await;
    assert_eq!(all["total"], json!(1));
    let (_, depts) = c.get("/api/v1/directory/departments").await;
    assert_eq!(
        depts["items"].as_array().unwrap().len(),
        1,
        "a dry run creates no departments"
    );
    // All or nothing: one bad row, nothing applied.
    let (s, r) = c
        .upload(
            "/api/v1/admin/members/import",
            "members.csv",
            CSV.as_bytes().to_vec(),
            &[("mode", "all_or_nothing")],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["applied"], json!(false));
    let (_, all) = c.get("/api/v1/directory/members").await;
    assert_eq!(all["total"], json!(1));
    // Apply the valid rows, from GBK bytes.
    let (gbk, _, _) = encoding_rs::GBK.encode(CSV);
    let (s, r) = c
        .upload(
            "/api/v1/admin/members/import",
            "members.csv",
            gbk.to_vec(),
            &[("mode", "valid_rows")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (r["applied"].as_bool(), r["created"].as_i64()),
        (Some(true), Some(3))
    );
    let (_, m) = c.get("/api/v1/directory/members/wangxm").await;
    assert_eq!(
        m["member"]["leader_userid"],
        json!("lihua"),
        "a leader later in the file is linked"
    );
    assert_eq!(m["member"]["departments"][0]["name"], json!("研发部"));
    let (_, z) = c.get("/api/v1/directory/members/zhaoliu").await;
    assert_eq!(z["member"]["departments"].as_array().unwrap().len(), 2);
    assert_eq!(z["member"]["tags"].as_array().unwrap().len(), 2);
    // Importing again updates instead of duplicating, and keeps what the file does not carry.
    c.patch(
        "/api/v1/admin/members/wangxm",
        json!({"avatar": "https://img.example/a.png"}),
    )
    .await;
    let (_, r) = c
        .upload(
            "/api/v1/admin/members/import",
            "members.csv",
            CSV.as_bytes().to_vec(),
            &[],
        )
        .await;
    assert_eq!(
        (r["created"].as_i64(), r["updated"].as_i64()),
        (Some(0), Some(3))
    );
    let (_, m) = c.get("/api/v1/directory/members/wangxm").await;
    assert_eq!(m["member"]["avatar"], json!("https://img.example/a.png"));
    // Export: CSV with dangerous cells neutralised, and XLSX.
    c.patch(
        "/api/v1/admin/members/lihua",
        json!({"position": "=HYPERLINK(\"x\")"}),
    )
    .await;
    let res = c
        .request(
            reqwest::Method::GET,
            "/api/v1/admin/members/export?format=csv",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    assert!(text.contains("'=HYPERLINK"), "{text}");
    assert!(text.contains("王小明") && text.contains("测试集团/华东/研发部"));
    let res = c
        .request(
            reqwest::Method::GET,
            "/api/v1/admin/members/export?format=xlsx",
        )
        .send()
        .await
        .unwrap();
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"));
    let rows = qixie_org::sheet::parse_import("x.xlsx", &bytes, &Default::default()).unwrap();
    assert_eq!(rows.len(), 4);
    // A file that is not a spreadsheet.
    let (s, b) = c
        .upload(
            "/api/v1/admin/members/import",
            "x.csv",
            b"\x00\x01garbage".to_vec(),
            &[],
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "import_file_invalid")
    );
});

both!(tags_and_offboarding, async |app: &TestApp| {
    let c = app.admin().await;
    let d = dept(&c, "客服部", 1).await;
    for (u, leader) in [
        ("lead", None),
        ("r1", Some("lead")),
        ("r2", Some("lead")),
        ("succ", None),
    ] {
        let (s, b) = c.post("/api/v1/admin/members", json!({"userid": u, "name": u, "department_ids": [d], "leader_userid": leader, "initial_password": "Start1234"})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    c.patch(
        &format!("/api/v1/admin/departments/{d}"),
        json!({"leader_userids": ["lead"]}),
    )
    .await;
    let (s, t) = c.post("/api/v1/admin/tags", json!({"name": "骨干"})).await;
    assert_eq!(s, StatusCode::CREATED);
    insta::assert_json_snapshot!(t, @r#"
    {
      "tag": {
        "id": 1,
        "member_count": 0,
        "name": "骨干"
      }
    }
    "#);
    let tid = t["tag"]["id"].as_i64().unwrap();
    let (s, b) = c.post("/api/v1/admin/tags", json!({"name": "骨干"})).await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "tag_exists"));
    let (_, b) = c
        .post(
            &format!("/api/v1/admin/tags/{tid}/members"),
            json!({"userids": ["lead", "nobody"]}),
        )
        .await;
    assert_eq!(b["invalid_userids"], json!(["nobody"]));
    assert_eq!(b["tag"]["member_count"], json!(1));
    insta::assert_json_snapshot!(b, @r#"
    {
      "invalid_department_ids": [],
      "invalid_userids": [
        "nobody"
      ],
      "tag": {
        "id": 1,
        "member_count": 1,
        "name": "骨干"
      }
    }
    "#);
    let (_, tm) = c.get(&format!("/api/v1/admin/tags/{tid}/members")).await;
    assert_eq!(tm["items"][0]["userid"], json!("lead"));
    insta::assert_json_snapshot!(tm, @r#"
    {
      "department_ids": [],
      "items": [
        {
          "alias": "",
          "avatar": "",
          "created_at": "[time]",
          "departments": [
            {
              "id": 2,
              "is_main": true,
              "name": "客服部",
              "order": 0
            }
          ],
          "email": "",
          "employee_no": "",
          "gender": "0",
          "is_leader_in": [
            2
          ],
          "leader_name": "",
          "leader_userid": "",
          "main_department": 2,
          "mobile": "",
          "name": "lead",
          "pinyin_initials": "lead",
          "position": "",
          "status": "not_activated",
          "tags": [
            {
              "id": 1,
              "name": "骨干"
            }
          ],
          "telephone": "",
          "userid": "lead"
        }
      ]
    }
    "#);
    // The leader signs in, then departs: sessions end, reports and leadership move to the successor.
    let lead = app.login("lead", "Start1234").await;
    let (s, b) = c
        .post(
            "/api/v1/admin/members/lead/offboard",
            json!({"successor_userid": "lead"}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "successor_invalid")
    );
    insta::assert_json_snapshot!(b, @r#"
    {
      "error": {
        "code": "successor_invalid",
        "key": "error.successor_invalid",
        "message": "交接人必须是本企业的在职成员，且不能是离职者本人"
      }
    }
    "#);
    let (s, b) = c
        .post(
            "/api/v1/admin/members/lead/offboard",
            json!({"successor_userid": "succ"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["member"]["status"], json!("departed"));
    let handed: Value = b["handovers"].clone();
    assert!(
        handed
            .as_array()
            .unwrap()
            .contains(&json!({"module": "direct_reports", "count": 2})),
        "{handed}"
    );
    assert!(
        handed
            .as_array()
            .unwrap()
            .contains(&json!({"module": "department_leaders", "count": 1})),
        "{handed}"
    );
    let (s, _) = lead.get("/api/v1/me").await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "the departed member's session has ended"
    );
    let (s, b) = app
        .anon()
        .post(
            "/api/v1/auth/login",
            json!({"account": "lead", "password": "Start1234"}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::UNAUTHORIZED, "bad_credentials"));
    let (_, r1) = c.get("/api/v1/directory/members/r1").await;
    assert_eq!(r1["member"]["leader_userid"], json!("succ"));
    insta::assert_json_snapshot!(r1, @r#"
    {
      "member": {
        "alias": "",
        "avatar": "",
        "created_at": "[time]",
        "departments": [
          {
            "id": 2,
            "is_main": true,
            "name": "客服部",
            "order": 0
          }
        ],
        "email": "",
        "employee_no": "",
        "gender": "0",
        "is_leader_in": [],
        "leader_name": "succ",
        "leader_userid": "succ",
        "main_department": 2,
        "mobile": "",
        "name": "r1",
        "pinyin_initials": "r1",
        "position": "",
        "status": "not_activated",
        "tags": [],
        "telephone": "",
        "userid": "r1"
      }
    }
    "#);
    let (_, dd) = c.get("/api/v1/directory/departments").await;
    let cs = dd["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == json!(d))
        .unwrap()
        .clone();
    assert_eq!(cs["leader_userids"], json!(["succ"]));
    // The record stays.
    let (s, m) = c.get("/api/v1/admin/members/lead").await;
    assert_eq!(
        (s, m["member"]["status"].as_str()),
        (StatusCode::OK, Some("departed"))
    );
    let (_, audit) = c.get("/api/v1/admin/audit?kind=member.offboard").await;
    assert_eq!(audit["total"], json!(1));
});

// Replacing the tree is one transaction with a savepoint per row: a row that fails after writing
// (a move whose new name clashes) is undone alone, and its announcement with it.
both!(
    tree_replacement_undoes_a_failed_row_alone,
    async |app: &TestApp| {
        use qixie_kernel::authz::{Actor, perm};
        use qixie_org::department_tree::{TreeRow, replace};
        let c = app.admin().await;
        let a = dept(&c, "甲部", 1).await;
        let b = dept(&c, "乙部", 1).await;
        let x = dept(&c, "同名", b).await;
        let a_child = dept(&c, "甲部下属", a).await;
        let actor = Actor::system(qixie_kernel::ids::CorpId(app.corp_id_number().await));
        let grant = actor.require::<perm::ContactsManage>().unwrap();
        let row = |id: i64, parent: i64, name: &str| TreeRow {
            id,
            parent,
            name: name.into(),
            order: None,
        };
        let mut heard = app.state.events.subscribe();
        let rows = [
            // Moves 甲部 (and its child's path) under 乙部, then clashes with 同名 there.
            row(a, b, "同名"),
            row(b, 1, "乙部改"),
            row(x, b, "同名"),
            row(a_child, a, "甲部下属"),
        ];
        let out = replace(&app.state, &actor, &grant, &rows, &Default::default())
            .await
            .unwrap();
        assert!(
            out[0].moved && out[0].renamed && out[0].error.is_some(),
            "{:?}",
            out[0]
        );
        assert!(out[1].renamed && out[1].error.is_none(), "{:?}", out[1]);
        assert!(out[2].error.is_none() && out[3].error.is_none());
        let (_, tree) = c.get("/api/v1/directory/departments").await;
        let find = |id: i64| {
            tree["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["id"] == json!(id))
                .cloned()
                .unwrap()
        };
        assert_eq!(find(a)["name"], json!("甲部"));
        assert_eq!(find(a)["parent_id"], json!(1), "the failed move is undone");
        assert_eq!(find(a_child)["parent_id"], json!(a));
        assert_eq!(find(b)["name"], json!("乙部改"));
        let mut announced = Vec::new();
        while let Ok(e) = heard.try_recv() {
            if let qixie_kernel::events::DomainEvent::DepartmentChanged { department, .. } = e {
                announced.push(department);
            }
        }
        assert_eq!(announced, vec![b], "only the applied row is announced");
    }
);

both!(
    deleting_a_department_or_tag_takes_their_links,
    async |app: &TestApp| {
        let c = app.admin().await;
        let keep = dept(&c, "留下部", 1).await;
        let gone = dept(&c, "撤销部", 1).await;
        let (s, b) = c.post("/api/v1/admin/members", json!({"userid": "m1", "name": "成员", "department_ids": [keep], "initial_password": "Start1234"})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let (_, t) = c
            .post("/api/v1/admin/tags", json!({"name": "项目组"}))
            .await;
        let tid = t["tag"]["id"].as_i64().unwrap();
        let (s, b) = c
            .post(
                &format!("/api/v1/admin/tags/{tid}/members"),
                json!({"userids": ["m1"], "department_ids": [keep, gone]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let links = async |table: &str| -> i64 {
            let (n,): (i64,) = app
                .state
                .db
                .one(qixie_kernel::db::sql(format!(
                    "SELECT COUNT(*) FROM {table}"
                )))
                .await
                .unwrap();
            n
        };
        assert_eq!(
            (links("tag_departments").await, links("member_tags").await),
            (2, 1)
        );
        // The department leaves the tag with it.
        let (s, b) = c.delete(&format!("/api/v1/admin/departments/{gone}")).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
        let (_, tm) = c.get(&format!("/api/v1/admin/tags/{tid}/members")).await;
        assert_eq!(tm["department_ids"], json!([keep]));
        assert_eq!(links("tag_departments").await, 1);
        // The tag takes its members and departments.
        let (s, b) = c.delete(&format!("/api/v1/admin/tags/{tid}")).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
        assert_eq!(
            (links("tag_departments").await, links("member_tags").await),
            (0, 0)
        );
        let (_, m) = c.get("/api/v1/admin/members/m1").await;
        assert_eq!(m["member"]["tags"], json!([]));
    }
);
