//! The enterprise calendar through the native API, on both engines: the shipped statutory years,
//! edits, deletes and imports (audited, checked, one enterprise each), and who may change it.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::*;

async fn year(c: &Client, year: i64) -> Value {
    let (s, b) = c
        .get(&format!("/api/v1/attendance/holidays?year={year}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

async fn put_day(c: &Client, date: &str, body: Value) -> (StatusCode, Value) {
    c.call(
        Method::PUT,
        &format!("/api/v1/attendance/holidays/{date}"),
        Some(body),
    )
    .await
}

fn item<'a>(y: &'a Value, date: &str) -> Option<&'a Value> {
    y["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["date"] == date)
}

/// The year's days by kind and origin, and the dates in order.
fn summary(y: &Value) -> Value {
    let items = y["items"].as_array().unwrap();
    let count = |kind: &str, origin: &str| {
        items
            .iter()
            .filter(|i| i["kind"] == kind && i["origin"] == origin)
            .count()
    };
    let dates: Vec<&str> = items.iter().map(|i| i["date"].as_str().unwrap()).collect();
    let mut sorted = dates.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(dates, sorted, "items sorted by date, each date once");
    json!({
        "year": y["year"], "source": y["source"], "count": items.len(),
        "statutory_holidays": count("holiday", "statutory"),
        "statutory_workdays": count("workday", "statutory"),
        "company": count("holiday", "company") + count("workday", "company"),
    })
}

async fn member(app: &TestApp, boss: &Client, userid: &str, dept: i64) -> Client {
    app.member_with_password(boss, userid, &[dept], "Holiday2026x")
        .await
}

async fn make_admin(boss: &Client, userid: &str, scope: Value) {
    let (s, b) = boss
        .call(
            Method::PUT,
            &format!("/api/v1/admin/admins/{userid}"),
            Some(json!({"permissions": ["attendance.manage"], "scope": scope})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

both!(the_2026_calendar_as_shipped, async |app: &TestApp| {
    let boss = app.admin().await;
    let emp = member(app, &boss, "emp", 1).await;
    // Any member reads it; the enterprise's first read seeds the shipped years.
    let y = year(&emp, 2026).await;
    insta::assert_json_snapshot!(summary(&y), @r#"
    {
      "company": 0,
      "count": 39,
      "source": "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号，2025-11-04）",
      "statutory_holidays": 33,
      "statutory_workdays": 6,
      "year": 2026
    }
    "#);
    let pick: Vec<&Value> = [
        "2026-01-01",
        "2026-01-04",
        "2026-02-14",
        "2026-02-15",
        "2026-02-23",
        "2026-09-20",
        "2026-10-07",
        "2026-10-10",
    ]
    .iter()
    .map(|d| item(&y, d).unwrap())
    .collect();
    insta::assert_json_snapshot!(pick, @r#"
    [
      {
        "date": "2026-01-01",
        "kind": "holiday",
        "name": "元旦",
        "origin": "statutory"
      },
      {
        "date": "2026-01-04",
        "kind": "workday",
        "name": "元旦调休上班",
        "origin": "statutory"
      },
      {
        "date": "2026-02-14",
        "kind": "workday",
        "name": "春节调休上班",
        "origin": "statutory"
      },
      {
        "date": "2026-02-15",
        "kind": "holiday",
        "name": "春节",
        "origin": "statutory"
      },
      {
        "date": "2026-02-23",
        "kind": "holiday",
        "name": "春节",
        "origin": "statutory"
      },
      {
        "date": "2026-09-20",
        "kind": "workday",
        "name": "国庆节调休上班",
        "origin": "statutory"
      },
      {
        "date": "2026-10-07",
        "kind": "holiday",
        "name": "国庆节",
        "origin": "statutory"
      },
      {
        "date": "2026-10-10",
        "kind": "workday",
        "name": "国庆节调休上班",
        "origin": "statutory"
      }
    ]
    "#);
    // The 调休 working days, all on weekends.
    let workdays: Vec<(&str, &str)> = y["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "workday")
        .map(|i| (i["date"].as_str().unwrap(), i["name"].as_str().unwrap()))
        .collect();
    insta::assert_json_snapshot!(workdays, @r#"
    [
      [
        "2026-01-04",
        "元旦调休上班"
      ],
      [
        "2026-02-14",
        "春节调休上班"
      ],
      [
        "2026-02-28",
        "春节调休上班"
      ],
      [
        "2026-05-09",
        "劳动节调休上班"
      ],
      [
        "2026-09-20",
        "国庆节调休上班"
      ],
      [
        "2026-10-10",
        "国庆节调休上班"
      ]
    ]
    "#);
    // Days the notice does not name are not in the calendar.
    assert!(item(&y, "2026-10-08").is_none());
    assert!(item(&y, "2026-12-08").is_none());

    insta::assert_json_snapshot!(summary(&year(&emp, 2025).await), @r#"
    {
      "company": 0,
      "count": 33,
      "source": "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号，2024-11-12）",
      "statutory_holidays": 28,
      "statutory_workdays": 5,
      "year": 2025
    }
    "#);
    // A year without a notice: nothing, and no source.
    insta::assert_json_snapshot!(year(&emp, 2027).await, @r#"
    {
      "items": [],
      "source": "",
      "year": 2027
    }
    "#);
    // Without a year: the current one on the enterprise's calendar (the test clock is in 2026).
    let (s, b) = emp.get("/api/v1/attendance/holidays").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b, y);

    for (q, reason) in [("1999", "range"), ("2101", "range"), ("abc", "format")] {
        let (s, b) = emp
            .get(&format!("/api/v1/attendance/holidays?year={q}"))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {b}");
        assert_eq!(b["error"]["fields"], json!({"year": reason}), "{q}");
    }
});

both!(
    edits_and_deletes_are_audited_and_stay,
    async |app: &TestApp| {
        let boss = app.admin().await;
        let before = year(&boss, 2026).await;

        // A company holiday.
        let (s, b) = put_day(
            &boss,
            "2026-12-24",
            json!({"kind": "holiday", "name": " 平安夜 ", "origin": "company"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        insta::assert_json_snapshot!(b, @r#"
        {
          "date": "2026-12-24",
          "kind": "holiday",
          "name": "平安夜",
          "origin": "company"
        }
        "#);
        // A statutory day changed: the enterprise keeps 10-08 off as well, and renames 10-07.
        let (s, b) = put_day(
            &boss,
            "2026-10-08",
            json!({"kind": "holiday", "name": "国庆节", "origin": "company"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (s, b) = put_day(
            &boss,
            "2026-10-07",
            json!({"kind": "holiday", "name": "国庆节（补）", "origin": "statutory"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        // A 调休 working day removed.
        let (s, b) = boss.delete("/api/v1/attendance/holidays/2026-10-10").await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b}");

        let after = year(&boss, 2026).await;
        insta::assert_json_snapshot!(summary(&after), @r#"
        {
          "company": 2,
          "count": 40,
          "source": "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号，2025-11-04）",
          "statutory_holidays": 33,
          "statutory_workdays": 5,
          "year": 2026
        }
        "#);
        assert_eq!(item(&after, "2026-10-07").unwrap()["name"], "国庆节（补）");
        assert_eq!(item(&after, "2026-10-08").unwrap()["origin"], "company");
        assert!(item(&after, "2026-10-10").is_none());
        assert_eq!(
            after["items"].as_array().unwrap().len(),
            before["items"].as_array().unwrap().len() + 1
        );
        // Reading again (which seeds missing years) does not bring the deleted day back.
        let again = year(&boss, 2026).await;
        assert_eq!(again, after);
        let emp = member(app, &boss, "emp", 1).await;
        assert_eq!(year(&emp, 2026).await, after);
        // Deleting a day the calendar does not have.
        let (s, b) = boss.delete("/api/v1/attendance/holidays/2026-10-10").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{b}");

        let (_, a) = boss
            .get("/api/v1/admin/audit?kind=attendance_holiday.")
            .await;
        let entries: Vec<Value> = a["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                json!({"kind": e["kind"], "target": e["target"], "actor": e["actor_id"],
               "before": e["before"], "after": e["after"]})
            })
            .collect();
        insta::assert_json_snapshot!(entries, @r#"
        [
          {
            "actor": "boss",
            "after": null,
            "before": {
              "kind": "workday",
              "name": "国庆节调休上班",
              "origin": "statutory"
            },
            "kind": "attendance_holiday.delete",
            "target": "2026-10-10"
          },
          {
            "actor": "boss",
            "after": {
              "kind": "holiday",
              "name": "国庆节（补）",
              "origin": "statutory"
            },
            "before": {
              "kind": "holiday",
              "name": "国庆节",
              "origin": "statutory"
            },
            "kind": "attendance_holiday.set",
            "target": "2026-10-07"
          },
          {
            "actor": "boss",
            "after": {
              "kind": "holiday",
              "name": "国庆节",
              "origin": "company"
            },
            "before": null,
            "kind": "attendance_holiday.set",
            "target": "2026-10-08"
          },
          {
            "actor": "boss",
            "after": {
              "kind": "holiday",
              "name": "平安夜",
              "origin": "company"
            },
            "before": null,
            "kind": "attendance_holiday.set",
            "target": "2026-12-24"
          }
        ]
        "#);
    }
);

both!(
    bad_input_names_the_field_and_changes_nothing,
    async |app: &TestApp| {
        let boss = app.admin().await;
        let before = year(&boss, 2026).await;
        let day = json!({"kind": "holiday", "name": "年会", "origin": "company"});
        let cases = [
            ("2026-13-01", day.clone(), json!({"date": "format"})),
            ("20261201", day.clone(), json!({"date": "format"})),
            ("1999-12-01", day.clone(), json!({"date": "range"})),
            (
                "2026-12-01",
                json!({"kind": "holiday", "name": "  ", "origin": "company"}),
                json!({"name": "required"}),
            ),
            (
                "2026-12-01",
                json!({"kind": "holiday", "name": "长".repeat(41), "origin": "company"}),
                json!({"name": "too_long"}),
            ),
            (
                "2026-12-01",
                json!({"kind": "rest", "name": "年会", "origin": "company"}),
                json!({"kind": "invalid"}),
            ),
            (
                "2026-12-01",
                json!({"kind": "holiday", "name": "年会", "origin": "state"}),
                json!({"origin": "invalid"}),
            ),
        ];
        for (date, body, fields) in cases {
            let (s, b) = put_day(&boss, date, body.clone()).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{date} {body}: {b}");
            assert_eq!(b["error"]["fields"], fields, "{date} {body}");
        }
        let (s, b) = boss.delete("/api/v1/attendance/holidays/2026-02-30").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(b["error"]["fields"], json!({"date": "format"}));

        let notice = |items: Value| json!({"year": 2026, "source": "通知", "items": items});
        let ok = |d: &str| json!({"date": d, "kind": "holiday", "name": "节"});
        let many: Vec<Value> = (1..=101)
            .map(|i| ok(&format!("2026-{:02}-{:02}", i / 28 + 1, i % 28 + 1)))
            .collect();
        let imports = [
            (
                notice(json!([
                    ok("2026-01-01"),
                    ok("2026-01-02"),
                    ok("2026-01-03"),
                    ok("2027-01-01")
                ])),
                json!({"items.3.date": "range"}),
            ),
            (
                notice(json!([ok("2026-01-01"), ok("2026-1-2"), ok("2026-01-01")])),
                json!({"items.1.date": "format", "items.2.date": "duplicate"}),
            ),
            (
                notice(json!([{"date": "2026-01-01", "kind": "holiday", "name": "长".repeat(41)}])),
                json!({"items.0.name": "too_long"}),
            ),
            (
                notice(json!([{"date": "2026-01-01", "kind": "off", "name": "元旦"}])),
                json!({"items[0].kind": "invalid"}),
            ),
            (notice(json!([])), json!({"items": "too_few"})),
            (notice(Value::Array(many)), json!({"items": "too_many"})),
            (
                json!({"year": 1999, "source": "", "items": [ok("1999-01-01")]}),
                json!({"year": "range", "source": "required"}),
            ),
        ];
        for (body, fields) in imports {
            let (s, b) = boss
                .post("/api/v1/attendance/holidays/import", body.clone())
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {b}");
            assert_eq!(b["error"]["fields"], fields, "{body}");
        }
        assert_eq!(year(&boss, 2026).await, before);
        let (_, a) = boss
            .get("/api/v1/admin/audit?kind=attendance_holiday.")
            .await;
        assert_eq!(a["items"], json!([]));
    }
);

both!(
    an_import_replaces_the_statutory_days,
    async |app: &TestApp| {
        let boss = app.admin().await;
        // A company day on a date the notice names, and one it does not.
        for (date, name) in [("2026-10-02", "公司活动日"), ("2026-12-24", "平安夜")] {
            let (s, b) = put_day(
                &boss,
                date,
                json!({"kind": "holiday", "name": name, "origin": "company"}),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{b}");
        }
        let source = "国务院办公厅关于2026年部分节假日安排的通知（更正）";
        let (s, b) = boss
            .post(
                "/api/v1/attendance/holidays/import",
                json!({"year": 2026, "source": source, "items": [
                    {"date": "2026-01-01", "kind": "holiday", "name": "元旦"},
                    {"date": "2026-10-01", "kind": "holiday", "name": "国庆节"},
                    {"date": "2026-10-02", "kind": "holiday", "name": "国庆节"},
                    {"date": "2026-10-11", "kind": "workday", "name": "国庆节调休上班"}
                ]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        insta::assert_json_snapshot!(b, @r#"
        {
          "items": [
            {
              "date": "2026-01-01",
              "kind": "holiday",
              "name": "元旦",
              "origin": "statutory"
            },
            {
              "date": "2026-10-01",
              "kind": "holiday",
              "name": "国庆节",
              "origin": "statutory"
            },
            {
              "date": "2026-10-02",
              "kind": "holiday",
              "name": "公司活动日",
              "origin": "company"
            },
            {
              "date": "2026-10-11",
              "kind": "workday",
              "name": "国庆节调休上班",
              "origin": "statutory"
            },
            {
              "date": "2026-12-24",
              "kind": "holiday",
              "name": "平安夜",
              "origin": "company"
            }
          ],
          "source": "国务院办公厅关于2026年部分节假日安排的通知（更正）",
          "year": 2026
        }
        "#);
        assert_eq!(year(&boss, 2026).await, b);
        // Another year is untouched.
        assert_eq!(summary(&year(&boss, 2025).await)["count"], 33);
        // An imported year that was never shipped is kept like a shipped one.
        let (s, b) = boss
            .post(
                "/api/v1/attendance/holidays/import",
                json!({"year": 2027, "source": "2027 年通知", "items": [
                    {"date": "2027-01-01", "kind": "holiday", "name": "元旦"}
                ]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(year(&boss, 2027).await["source"], "2027 年通知");

        let (_, a) = boss
            .get("/api/v1/admin/audit?kind=attendance_holiday.import")
            .await;
        let entries: Vec<Value> = a["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let before_days = e["before"]["days"].as_object().unwrap().len();
                json!({"target": e["target"], "before_source": e["before"]["source"],
                       "before_days": before_days, "after": e["after"]})
            })
            .collect();
        insta::assert_json_snapshot!(entries, @r#"
        [
          {
            "after": {
              "days": {
                "2027-01-01": "holiday 元旦"
              },
              "source": "2027 年通知"
            },
            "before_days": 0,
            "before_source": null,
            "target": "2027"
          },
          {
            "after": {
              "days": {
                "2026-01-01": "holiday 元旦",
                "2026-10-01": "holiday 国庆节",
                "2026-10-11": "workday 国庆节调休上班"
              },
              "source": "国务院办公厅关于2026年部分节假日安排的通知（更正）"
            },
            "before_days": 38,
            "before_source": "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号，2025-11-04）",
            "target": "2026"
          }
        ]
        "#);
    }
);

both!(
    only_administrators_of_the_whole_enterprise_edit,
    async |app: &TestApp| {
        let boss = app.admin().await;
        let east = dept(&boss, "华东", 1).await;
        let emp = member(app, &boss, "emp", east).await;
        let hr = member(app, &boss, "hr", east).await;
        make_admin(&boss, "hr", json!({"all": false, "department_ids": [east]})).await;
        let ops = member(app, &boss, "ops", 1).await;
        make_admin(&boss, "ops", json!({"all": true})).await;
        let before = year(&boss, 2026).await;

        let day = json!({"kind": "holiday", "name": "年会", "origin": "company"});
        let notice = json!({"year": 2026, "source": "通知", "items": [
            {"date": "2026-01-01", "kind": "holiday", "name": "元旦"}
        ]});
        for (who, c, want) in [
            ("member", &emp, "forbidden"),
            ("scoped administrator", &hr, "out_of_scope"),
        ] {
            let (s, b) = put_day(c, "2026-12-31", day.clone()).await;
            assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, want), "{who}: {b}");
            let (s, b) = c.delete("/api/v1/attendance/holidays/2026-10-01").await;
            assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, want), "{who}: {b}");
            let (s, b) = c
                .post("/api/v1/attendance/holidays/import", notice.clone())
                .await;
            assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, want), "{who}: {b}");
            // Both still read it.
            assert_eq!(year(c, 2026).await, before, "{who}");
        }
        // Refused before the input is looked at.
        let (s, b) = put_day(&hr, "not-a-date", day.clone()).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::FORBIDDEN, "out_of_scope"),
            "{b}"
        );

        // An administrator of attendance over the whole enterprise (not a super administrator) may.
        let (s, b) = put_day(&ops, "2026-12-31", day.clone()).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (s, b) = ops.delete("/api/v1/attendance/holidays/2026-10-01").await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
        let (_, a) = boss
            .get("/api/v1/admin/audit?kind=attendance_holiday.")
            .await;
        let who: Vec<(&str, &str)> = a["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["kind"].as_str().unwrap(), e["actor_id"].as_str().unwrap()))
            .collect();
        assert_eq!(
            who,
            [
                ("attendance_holiday.delete", "ops"),
                ("attendance_holiday.set", "ops")
            ]
        );
    }
);

both!(
    each_enterprise_has_its_own_calendar,
    async |app: &TestApp| {
        let boss = app.admin().await;
        let other = app.second_corp("fboss").await;
        let fboss = app.login_to(&other, "fboss", ADMIN_PW).await;
        let (s, b) = put_day(
            &boss,
            "2026-12-24",
            json!({"kind": "holiday", "name": "平安夜", "origin": "company"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (s, b) = boss.delete("/api/v1/attendance/holidays/2026-10-01").await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b}");

        // The other enterprise has the shipped calendar, without A's changes.
        let theirs = year(&fboss, 2026).await;
        assert_eq!(summary(&theirs)["count"], 39);
        assert!(item(&theirs, "2026-12-24").is_none());
        assert_eq!(item(&theirs, "2026-10-01").unwrap()["name"], "国庆节");
        // Its changes stay its own.
        let (s, b) = fboss
            .post(
                "/api/v1/attendance/holidays/import",
                json!({"year": 2026, "source": "别家", "items": [
                    {"date": "2026-01-01", "kind": "holiday", "name": "元旦"}
                ]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (s, b) = fboss.delete("/api/v1/attendance/holidays/2026-12-24").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
        let ours = year(&boss, 2026).await;
        assert_eq!(ours["source"], theirs["source"]);
        assert_eq!(summary(&ours)["count"], 39);
        assert_eq!(item(&ours, "2026-12-24").unwrap()["origin"], "company");
        // A's audit log has only A's entries.
        let (_, a) = boss
            .get("/api/v1/admin/audit?kind=attendance_holiday.")
            .await;
        assert_eq!(a["items"].as_array().unwrap().len(), 2);
    }
);
