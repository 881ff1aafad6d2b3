//! Attendance through the native API, on both engines: rules checked and stored, clocking in inside
//! and outside the area (a place entered on a Chinese map, an office network), duplicates, field
//! work and its review, the day's result written with the clock-in, schedules, results lists,
//! corrections, the payroll workbook, settings, and outsiders kept out.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use qixie_attendance::geo::{CoordSystem, to_wgs84};

use crate::both;
use crate::helpers::*;

/// 2026-09-21 00:00 in Shanghai, a Monday; the test clock starts that evening at 22:13:20.
const MONDAY: i64 = 1_789_920_000_000;
/// People's Square, Shanghai, as AMap shows it (GCJ-02).
const OFFICE: (f64, f64) = (31.230_416, 121.473_701);

/// Moves the clock to `hh:mm` on the day `day` days after Monday 2026-09-21.
fn set_time(app: &TestApp, day: i64, hh: i64, mm: i64) {
    use qixie_kernel::clock::Clock;
    let target = MONDAY + day * 86_400_000 + (hh * 60 + mm) * 60_000;
    let now = app.clock.now_ms();
    assert!(target >= now, "the test clock only moves forward");
    app.clock.advance_ms(target - now);
}

struct Org {
    admin: Client,
    emp: Client,
    mgr: Client,
    outsider: Client,
    rd: i64,
    sales: i64,
}

/// 研发部 with emp (whose leader is mgr) and mgr; sales has the outsider, who follows no rule.
async fn org(app: &TestApp) -> Org {
    let admin = app.admin().await;
    let rd = dept(&admin, "研发部", 1).await;
    let sales = dept(&admin, "销售部", 1).await;
    let mgr = app
        .member_with_password(&admin, "mgr", &[rd], "Attend2026m")
        .await;
    let emp = app
        .member_with_password(&admin, "emp", &[rd], "Attend2026e")
        .await;
    let outsider = app
        .member_with_password(&admin, "sam", &[sales], "Attend2026s")
        .await;
    let (s, b) = admin
        .patch("/api/v1/admin/members/emp", json!({"leader_userid": "mgr"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    Org {
        admin,
        emp,
        mgr,
        outsider,
        rd,
        sales,
    }
}

fn office_rule(rd: i64) -> Value {
    json!({
        "name": "研发考勤",
        "kind": "fixed",
        "targets": {"department_ids": [rd]},
        "workdays": [1, 2, 3, 4, 5],
        "sections": [{"on": "09:00", "off": "18:00", "rest": {"from": "12:00", "to": "13:00"}}],
        "grace_minutes": 5,
        "places": [{"name": "人民广场", "latitude": OFFICE.0, "longitude": OFFICE.1, "coord_system": "gcj02", "radius_m": 500}],
        "networks": [{"name": "总部网络", "cidr": "203.0.113.0/24"}]
    })
}

async fn create_rule(admin: &Client, body: Value) -> String {
    let (s, b) = admin.post("/api/v1/attendance/rules", body).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().unwrap().to_owned()
}

/// Where the phone is when standing at the office (it reports WGS-84).
fn at_office() -> Value {
    let (lat, lng) = to_wgs84(CoordSystem::Gcj02, OFFICE.0, OFFICE.1);
    json!({"latitude": lat, "longitude": lng, "accuracy_m": 20, "coord_system": "wgs84"})
}

/// About 2 km north of the office.
fn far_away() -> Value {
    let (lat, lng) = to_wgs84(CoordSystem::Gcj02, OFFICE.0 + 0.018, OFFICE.1);
    json!({"latitude": lat, "longitude": lng, "accuracy_m": 20, "coord_system": "wgs84"})
}

fn with(mut v: Value, extra: Value) -> Value {
    if let (Value::Object(a), Value::Object(b)) = (&mut v, extra) {
        a.extend(b);
    }
    v
}

both!(rules_are_checked_and_stored, async |app: &TestApp| {
    let o = org(app).await;
    let id = create_rule(&o.admin, office_rule(o.rd)).await;
    let (s, rule) = o.admin.get(&format!("/api/v1/attendance/rules/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{rule}");
    assert_eq!(rule["group_id"], 1);
    assert_eq!(rule["targets"]["department_ids"], json!([o.rd]));
    assert_eq!(rule["sections"][0]["on"], "09:00");
    assert_eq!(rule["places"][0]["coord_system"], "gcj02");
    // Every broken rule is named by its field, and nothing is stored.
    let (s, b) = o
        .admin
        .post(
            "/api/v1/attendance/rules",
            json!({"name": "坏规则", "kind": "fixed", "workdays": [1],
                "targets": {"userids": ["nobody"]},
                "sections": [{"on": "09:00", "off": "12:00"}, {"on": "11:00", "off": "18:00"}],
                "places": [{"name": "巴黎", "latitude": 48.85, "longitude": 2.35, "coord_system": "gcj02", "radius_m": 0}],
                "networks": [{"name": "n", "cidr": "10.0.0.0/33"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    insta::assert_json_snapshot!(b["error"]["fields"], @r#"
    {
      "networks.0.cidr": "format",
      "places.0.latitude": "outside_china",
      "places.0.radius_m": "range",
      "sections.1.on": "overlap",
      "targets.userids.0": "not_found"
    }
    "#);
    // A schedule naming no shift, a shift crossing midnight.
    let (s, b) = o
        .admin
        .post(
            "/api/v1/attendance/rules",
            json!({"name": "排班", "kind": "scheduled", "shifts": []}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["fields"]["shifts"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("required"))
    );
    let (s, b) = o
        .admin
        .post("/api/v1/attendance/rules", office_rule(o.rd))
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::CONFLICT, "attendance_rule_name_exists")
    );
    let (_, list) = o.admin.get("/api/v1/attendance/rules").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // Replace, then delete.
    let mut changed = office_rule(o.rd);
    changed["grace_minutes"] = json!(10);
    let (s, b) = o
        .admin
        .call(
            Method::PUT,
            &format!("/api/v1/attendance/rules/{id}"),
            Some(changed),
        )
        .await;
    assert_eq!((s, b["grace_minutes"].clone()), (StatusCode::OK, json!(10)));
    let (s, _) = o
        .admin
        .delete(&format!("/api/v1/attendance/rules/{id}"))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = o.admin.get(&format!("/api/v1/attendance/rules/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The changes are audited.
    let (_, log) = o
        .admin
        .get("/api/v1/admin/audit?kind=attendance.rule.create")
        .await;
    assert!(log.to_string().contains("研发考勤"), "{log}");
});

both!(
    clocking_in_inside_and_outside_the_area,
    async |app: &TestApp| {
        let o = org(app).await;
        create_rule(&o.admin, office_rule(o.rd)).await;
        // Tuesday 08:55 at the office: on time, within 500 m.
        set_time(app, 1, 8, 55);
        let (s, on) = o
            .emp
            .post("/api/v1/attendance/clock-ins", at_office())
            .await;
        assert_eq!(s, StatusCode::CREATED, "{on}");
        assert_eq!(
            (
                on["kind"].as_str(),
                on["status"].as_str(),
                on["within_area"].as_bool(),
                on["place"].as_str()
            ),
            (Some("on"), Some("normal"), Some(true), Some("人民广场"))
        );
        assert!(on["distance_m"].as_i64().unwrap() < 5, "{on}");
        assert_eq!(on["date"], "2026-09-22");
        // A double tap in the same second is the same clock-in.
        let (s, again) = o
            .emp
            .post("/api/v1/attendance/clock-ins", at_office())
            .await;
        assert_eq!((s, again["id"].clone()), (StatusCode::OK, on["id"].clone()));
        // 2 km away: refused with the distance, field work offered.
        set_time(app, 1, 12, 30);
        let (s, b) = o.emp.post("/api/v1/attendance/clock-ins", far_away()).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "outside_area")
        );
        let d = b["error"]["details"]["distance_m"].as_i64().unwrap();
        assert!((1900..2100).contains(&d), "{b}");
        assert_eq!(b["error"]["details"]["field_allowed"], true);
        // A fix coarser than the radius is asked again rather than refused.
        let coarse = with(far_away(), json!({"accuracy_m": 3000}));
        let (s, b) = o.emp.post("/api/v1/attendance/clock-ins", coarse).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "location_inaccurate")
        );
        // Field work needs a note.
        let (s, b) = o
            .emp
            .post(
                "/api/v1/attendance/clock-ins",
                with(far_away(), json!({"field": true})),
            )
            .await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "field_note_required")
        );
        // A device clock an hour off is refused.
        let (s, b) = o
            .emp
            .post(
                "/api/v1/attendance/clock-ins",
                with(at_office(), json!({"client_time": MONDAY})),
            )
            .await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "clock_skew")
        );
        // Bad values are named and nothing is stored.
        let (s, b) = o
            .emp
            .post(
                "/api/v1/attendance/clock-ins",
                json!({"latitude": 95, "longitude": 121, "coord_system": "wgs84"}),
            )
            .await;
        assert_eq!(
            (s, b["error"]["fields"]["latitude"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("range"))
        );
        // Leaving at 17:30: early by 30 minutes; the day says so at once.
        set_time(app, 1, 17, 30);
        let (s, off) = o
            .emp
            .post("/api/v1/attendance/clock-ins", at_office())
            .await;
        assert_eq!(s, StatusCode::CREATED, "{off}");
        assert_eq!(
            (
                off["kind"].as_str(),
                off["status"].as_str(),
                off["minutes"].as_i64(),
                off["day_status"].as_str()
            ),
            (Some("off"), Some("early"), Some(30), Some("early"))
        );
        let (_, today) = o.emp.get("/api/v1/attendance/me/today").await;
        assert_eq!(today["rule"]["name"], "研发考勤");
        assert_eq!(today["clock_ins"].as_array().unwrap().len(), 2);
        assert_eq!(today["sections"][0]["off_clock"]["status"], "early");
        // What was stored about the member is theirs to see: the position, exactly, with its accuracy.
        let (_, mine) = o.emp.get("/api/v1/attendance/me/clock-ins").await;
        let first = &mine["items"][1];
        assert_eq!(
            (first["precision"].as_str(), first["accuracy_m"].as_i64()),
            (Some("exact"), Some(20))
        );
        assert!(first["latitude"].as_f64().unwrap() > 31.0);
        // The member who follows no rule is told so.
        let (s, b) = o
            .outsider
            .post("/api/v1/attendance/clock-ins", at_office())
            .await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "no_attendance_rule")
        );
        // The month: Tuesday early; Monday (before the rule) absent; today pending.
        let (_, month) = o.emp.get("/api/v1/attendance/me/month?month=2026-09").await;
        let day = |d: &str| {
            month["days"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["date"] == d)
                .unwrap()
                .clone()
        };
        assert_eq!(day("2026-09-22")["status"], "early");
        assert_eq!(day("2026-09-22")["early_minutes"], 30);
        assert_eq!(day("2026-09-19")["status"], "rest");
        // 中秋节 (25–27 September) is a holiday from the State Council's notice.
        assert_eq!(day("2026-09-26")["status"], "holiday");
        assert_eq!(month["summary"]["early_count"], 1);
    }
);

both!(
    an_office_network_needs_no_position,
    async |app: &TestApp| {
        let o = org(app).await;
        let mut rule = office_rule(o.rd);
        rule["networks"] =
            json!([{"name": "本机", "cidr": "127.0.0.0/8"}, {"name": "本机6", "cidr": "::1/128"}]);
        create_rule(&o.admin, rule).await;
        set_time(app, 1, 9, 7);
        let (s, b) = o
            .emp
            .post(
                "/api/v1/attendance/clock-ins",
                json!({"coord_system": "wgs84"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(
            (
                b["status"].as_str(),
                b["minutes"].as_i64(),
                b["within_area"].as_bool(),
                b["distance_m"].clone()
            ),
            (Some("late"), Some(7), Some(true), Value::Null)
        );
        assert!(b["place"].as_str().unwrap().starts_with("本机"), "{b}");
    }
);

both!(field_work_is_reviewed, async |app: &TestApp| {
    let o = org(app).await;
    create_rule(&o.admin, office_rule(o.rd)).await;
    set_time(app, 1, 8, 50);
    let (s, f) = o
        .emp
        .post(
            "/api/v1/attendance/clock-ins",
            with(far_away(), json!({"field": true, "note": "拜访客户"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    assert_eq!(
        (f["field"].as_bool(), f["status"].as_str()),
        (Some(true), Some("field"))
    );
    let (_, list) = o.admin.get("/api/v1/attendance/field-reviews").await;
    assert_eq!(list["items"][0]["userid"], "emp");
    assert_eq!(list["items"][0]["note"], "拜访客户");
    assert_eq!(list["items"][0]["review"], "pending");
    // The member cannot review; the administrator refuses it and the day no longer counts it.
    let id = f["id"].as_str().unwrap();
    let (s, _) = o
        .emp
        .post(
            &format!("/api/v1/attendance/clock-ins/{id}/review"),
            json!({"accept": true}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = o
        .admin
        .post(
            &format!("/api/v1/attendance/clock-ins/{id}/review"),
            json!({"accept": false, "note": "未见客户"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (_, pending) = o.admin.get("/api/v1/attendance/field-reviews").await;
    assert_eq!(pending["items"].as_array().unwrap().len(), 0);
    let (_, today) = o.emp.get("/api/v1/attendance/me/today").await;
    assert_eq!(today["sections"][0]["on_clock"], Value::Null);
});

both!(
    results_corrections_and_the_payroll_sheet,
    async |app: &TestApp| {
        let o = org(app).await;
        create_rule(&o.admin, office_rule(o.rd)).await;
        set_time(app, 1, 9, 20);
        o.emp
            .post("/api/v1/attendance/clock-ins", at_office())
            .await;
        set_time(app, 1, 18, 1);
        o.emp
            .post("/api/v1/attendance/clock-ins", at_office())
            .await;
        o.mgr
            .post("/api/v1/attendance/clock-ins", at_office())
            .await;
        // Wednesday: Tuesday is over.
        set_time(app, 2, 10, 0);
        let (s, daily) = o
            .admin
            .get("/api/v1/attendance/results/daily?date=2026-09-22")
            .await;
        assert_eq!(s, StatusCode::OK, "{daily}");
        let row = |u: &str| {
            daily["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["member"]["userid"] == u)
                .unwrap()
                .clone()
        };
        assert_eq!(
            (
                row("emp")["status"].as_str(),
                row("emp")["late_minutes"].as_i64()
            ),
            (Some("late"), Some(20))
        );
        assert_eq!(row("mgr")["status"], "missing");
        assert_eq!(daily["counts"]["late"], 1);
        // Only the rule's members are listed; a status filter narrows it.
        assert!(
            daily["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["member"]["userid"] != "sam")
        );
        let (_, late) = o
            .admin
            .get("/api/v1/attendance/results/daily?date=2026-09-22&status=late")
            .await;
        assert_eq!(late["items"].as_array().unwrap().len(), 1);
        let (s, b) = o
            .admin
            .get("/api/v1/attendance/results/daily?date=2026-09-22&status=sleepy")
            .await;
        assert_eq!(
            (s, b["error"]["fields"]["status"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("unknown"))
        );
        // A correction with a reason: the day shows it, the audit log keeps it.
        let (s, b) = o
            .admin
            .post(
                "/api/v1/attendance/results/emp/2026-09-22/correction",
                json!({"status": "normal", "reason": "地铁故障，有证明"}),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
        let (s, b) = o
            .admin
            .post(
                "/api/v1/attendance/results/emp/2026-09-22/correction",
                json!({"status": "normal", "reason": ""}),
            )
            .await;
        assert_eq!(
            (s, b["error"]["fields"]["reason"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("required"))
        );
        let (_, month) = o
            .admin
            .get("/api/v1/attendance/results/emp/month?month=2026-09")
            .await;
        let tue = month["days"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["date"] == "2026-09-22")
            .unwrap();
        assert_eq!(
            (tue["status"].as_str(), tue["corrected"].as_bool()),
            (Some("normal"), Some(true))
        );
        assert_eq!(tue["correction_reason"], "地铁故障，有证明");
        let (_, log) = o
            .admin
            .get("/api/v1/admin/audit?kind=attendance.day.correct")
            .await;
        assert!(log.to_string().contains("emp 2026-09-22"), "{log}");
        // The month summed per member; the payroll workbook.
        let (_, monthly) = o
            .admin
            .get("/api/v1/attendance/results/monthly?month=2026-09")
            .await;
        let emp = monthly["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["member"]["userid"] == "emp")
            .unwrap();
        assert_eq!(emp["late_minutes"], 20);
        assert_eq!(emp["rule"], "研发考勤");
        let res = o
        .admin
        .request(Method::GET, "/api/v1/attendance/export/monthly?month=2026-09&columns=due_days,late_minutes,leave")
        .send()
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let bytes = res.bytes().await.unwrap();
        assert!(bytes.starts_with(b"PK"), "an XLSX is a zip");
        let (s, b) = o
            .admin
            .get("/api/v1/attendance/export/monthly?columns=salary")
            .await;
        assert_eq!(
            (s, b["error"]["fields"]["columns"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("unknown"))
        );
        let res = o
            .admin
            .request(
                Method::GET,
                "/api/v1/attendance/export/daily?from=2026-09-21&to=2026-09-23",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        // The leader reads their people.
        let (_, team) = o
            .mgr
            .get("/api/v1/attendance/team/month?month=2026-09")
            .await;
        let people: Vec<&str> = team["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["member"]["userid"].as_str().unwrap())
            .collect();
        assert_eq!(people, vec!["emp"]);
        let (_, none) = o
            .outsider
            .get("/api/v1/attendance/team/month?month=2026-09")
            .await;
        assert_eq!(none["items"], json!([]));
    }
);

both!(schedules_of_shifts, async |app: &TestApp| {
    let o = org(app).await;
    let id = create_rule(
        &o.admin,
        json!({"name": "倒班", "kind": "scheduled", "targets": {"department_ids": [o.rd]},
            "shifts": [{"id": 1, "name": "早班", "sections": [{"on": "06:00", "off": "14:00"}]},
                       {"id": 2, "name": "夜班", "sections": [{"on": "22:00", "off": "06:00"}]}]}),
    )
    .await;
    let (s, b) = o
        .admin
        .call(
            Method::PUT,
            &format!("/api/v1/attendance/rules/{id}/schedule"),
            Some(
                json!({"items": [{"userid": "emp", "date": "2026-09-22", "shift_id": 9},
                                  {"userid": "sam", "date": "2026-09-22", "shift_id": 1}]}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["fields"]["items.0.shift_id"], "not_found");
    assert_eq!(b["error"]["fields"]["items.1.userid"], "not_found");
    let (s, b) = o
        .admin
        .call(
            Method::PUT,
            &format!("/api/v1/attendance/rules/{id}/schedule"),
            Some(
                json!({"items": [{"userid": "emp", "date": "2026-09-22", "shift_id": 2},
                                  {"userid": "mgr", "date": "2026-09-22", "shift_id": 1}]}),
            ),
        )
        .await;
    assert_eq!((s, b["changed"].clone()), (StatusCode::OK, json!(2)), "{b}");
    let (_, grid) = o
        .admin
        .get(&format!(
            "/api/v1/attendance/rules/{id}/schedule?month=2026-09"
        ))
        .await;
    let emp = grid["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["userid"] == "emp")
        .unwrap();
    assert_eq!(emp["days"]["2026-09-22"], 2);
    // The night shift: clock in at 21:55, out at 06:02 the next morning; both count for Tuesday.
    set_time(app, 1, 21, 55);
    let (_, on) = o.emp.post("/api/v1/attendance/clock-ins", json!({})).await;
    assert_eq!(
        (
            on["kind"].as_str(),
            on["status"].as_str(),
            on["date"].as_str()
        ),
        (Some("on"), Some("normal"), Some("2026-09-22")),
        "{on}"
    );
    set_time(app, 2, 6, 2);
    let (_, off) = o.emp.post("/api/v1/attendance/clock-ins", json!({})).await;
    assert_eq!(
        (
            off["kind"].as_str(),
            off["status"].as_str(),
            off["date"].as_str()
        ),
        (Some("off"), Some("normal"), Some("2026-09-22")),
        "{off}"
    );
    // The grid as a workbook, and back.
    let res = o
        .admin
        .request(
            Method::GET,
            &format!("/api/v1/attendance/rules/{id}/schedule/export?month=2026-09"),
        )
        .send()
        .await
        .unwrap();
    let book = res.bytes().await.unwrap().to_vec();
    let (s, b) = o
        .admin
        .upload(
            &format!("/api/v1/attendance/rules/{id}/schedule/import"),
            "schedule.xlsx",
            book,
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, grid) = o
        .admin
        .get(&format!(
            "/api/v1/attendance/rules/{id}/schedule?month=2026-09"
        ))
        .await;
    let emp = grid["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["userid"] == "emp")
        .unwrap();
    assert_eq!(
        (
            emp["days"]["2026-09-22"].clone(),
            emp["days"]["2026-09-23"].clone()
        ),
        (json!(2), json!(0))
    );
});

both!(settings_round_positions, async |app: &TestApp| {
    let o = org(app).await;
    create_rule(&o.admin, office_rule(o.rd)).await;
    let (_, s0) = o.admin.get("/api/v1/attendance/settings").await;
    insta::assert_json_snapshot!(s0, @r#"
    {
      "location_precision": "exact",
      "location_retention_days": 90,
      "punch_correction_monthly_limit": 3
    }
    "#);
    let (s, b) = o
        .admin
        .call(Method::PUT, "/api/v1/attendance/settings", Some(json!({"location_precision": "rounded", "location_retention_days": 0, "punch_correction_monthly_limit": 3})))
        .await;
    assert_eq!(
        (s, b["error"]["fields"]["location_retention_days"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("range"))
    );
    let (s, _) = o
        .admin
        .call(Method::PUT, "/api/v1/attendance/settings", Some(json!({"location_precision": "rounded", "location_retention_days": 30, "punch_correction_monthly_limit": 2})))
        .await;
    assert_eq!(s, StatusCode::OK);
    set_time(app, 1, 8, 59);
    o.emp
        .post("/api/v1/attendance/clock-ins", at_office())
        .await;
    let (_, mine) = o.emp.get("/api/v1/attendance/me/clock-ins").await;
    let lat = mine["items"][0]["latitude"].as_f64().unwrap();
    assert_eq!(mine["items"][0]["precision"], "rounded");
    assert!(((lat * 100.0).round() / 100.0 - lat).abs() < 1e-9, "{lat}");
});

both!(rules_keep_outsiders_out, async |app: &TestApp| {
    let o = org(app).await;
    let id = create_rule(&o.admin, office_rule(o.rd)).await;
    // A member: no rules, no reviews.
    for (m, p) in [
        (Method::GET, format!("/api/v1/attendance/rules/{id}")),
        (Method::DELETE, format!("/api/v1/attendance/rules/{id}")),
        (
            Method::GET,
            format!("/api/v1/attendance/rules/{id}/schedule"),
        ),
        (Method::GET, "/api/v1/attendance/rules".to_owned()),
    ] {
        let (s, _) = o.emp.call(m, &p, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
    }
    // Another enterprise's administrator does not see the rule.
    let other = app.second_corp("boss2").await;
    let boss2 = app.login_to(&other, "boss2", ADMIN_PW).await;
    let (s, _) = boss2.get(&format!("/api/v1/attendance/rules/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = boss2
        .delete(&format!("/api/v1/attendance/rules/{id}"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = boss2.get("/api/v1/attendance/rules").await;
    assert_eq!(list["items"], json!([]));
    // An administrator scoped to 销售部 may not change a rule covering 研发部, nor write one there.
    let sales = o.sales;
    let (s, b) = o
        .admin
        .call(Method::PUT, "/api/v1/admin/admins/sam", Some(json!({"permissions": ["attendance.manage"], "scope": {"all": false, "department_ids": [sales]}})))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let sam = app.login("sam", "Attend2026s").await;
    let (s, _) = sam.delete(&format!("/api/v1/attendance/rules/{id}")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let mut theirs = office_rule(o.rd);
    theirs["name"] = json!("销售考勤");
    let (s, b) = sam.post("/api/v1/attendance/rules", theirs.clone()).await;
    assert_eq!(
        (s, b["error"]["fields"]["targets"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("out_of_scope"))
    );
    theirs["targets"] = json!({"department_ids": [sales]});
    let (s, b) = sam.post("/api/v1/attendance/rules", theirs).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // Their results list shows their scope only.
    let (_, daily) = sam.get("/api/v1/attendance/results/daily").await;
    assert!(
        daily["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["member"]["userid"] == "sam"),
        "{daily}"
    );
    let (s, _) = sam.get("/api/v1/attendance/results/emp/month").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Reviews of clock-ins outside the scope are not theirs.
    set_time(app, 1, 8, 50);
    let (_, f) = o
        .emp
        .post(
            "/api/v1/attendance/clock-ins",
            with(far_away(), json!({"field": true, "note": "外出"})),
        )
        .await;
    let fid = f["id"].as_str().unwrap();
    let (s, _) = sam
        .post(
            &format!("/api/v1/attendance/clock-ins/{fid}/review"),
            json!({"accept": true}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = boss2
        .post(
            &format!("/api/v1/attendance/clock-ins/{fid}/review"),
            json!({"accept": true}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
});

both!(closing_days_and_reminders, async |app: &TestApp| {
    let o = org(app).await;
    let mut rule = office_rule(o.rd);
    rule["remind_on_minutes"] = json!(10);
    create_rule(&o.admin, rule).await;
    let corp = qixie_kernel::ids::CorpId(app.corp_id_number().await);
    // Tuesday 08:52: mgr has clocked in, emp has not; emp alone is reminded, by the 打卡 app.
    set_time(app, 1, 8, 45);
    o.mgr
        .post("/api/v1/attendance/clock-ins", at_office())
        .await;
    set_time(app, 1, 8, 52);
    qixie_attendance::jobs::remind_all(&app.state, MONDAY + 86_400_000 + (8 * 60 + 52) * 60_000)
        .await
        .unwrap();
    let (_, convs) = o.emp.get("/api/v1/chat/conversations").await;
    assert!(convs.to_string().contains("打卡提醒"), "{convs}");
    let (_, convs) = o.mgr.get("/api/v1/chat/conversations").await;
    assert!(!convs.to_string().contains("打卡提醒"), "{convs}");
    // Wednesday 14:00: Tuesday is closed for everyone with the rule, stored for the lists.
    set_time(app, 2, 14, 0);
    let written = qixie_attendance::jobs::close_corp(&app.state, corp)
        .await
        .unwrap();
    assert_eq!(written, 2, "emp and mgr, one day each");
    assert_eq!(
        qixie_attendance::jobs::close_corp(&app.state, corp)
            .await
            .unwrap(),
        0,
        "once"
    );
    let (_, daily) = o
        .admin
        .get("/api/v1/attendance/results/daily?date=2026-09-22")
        .await;
    let status = |u: &str| {
        daily["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["member"]["userid"] == u)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(
        (status("emp"), status("mgr")),
        (json!("absent"), json!("missing"))
    );
});

both!(
    statutory_holidays_apply_before_anyone_opens_the_calendar,
    async |app: &TestApp| {
        let o = org(app).await;
        create_rule(&o.admin, office_rule(o.rd)).await;
        set_time(app, 20, 10, 0);
        // Three weeks on, the sessions have lapsed.
        let emp = app.login("emp", "Attend2026e").await;
        let admin = app.admin().await;
        let (_, month) = emp.get("/api/v1/attendance/me/month?month=2026-10").await;
        let day = |d: &str| {
            month["days"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["date"] == d)
                .unwrap()
                .clone()
        };
        // 国庆节 on a Thursday is a holiday; Saturday 10 October is a 调休 working day.
        assert_eq!(
            (
                day("2026-10-01")["status"].clone(),
                day("2026-10-01")["holiday"].clone()
            ),
            (json!("holiday"), json!("国庆节"))
        );
        assert_eq!(day("2026-10-10")["due"], true);
        // A company day off set by an administrator counts too, and the closed days follow it.
        let (s, b) = admin
            .call(
                Method::PUT,
                "/api/v1/attendance/holidays/2026-10-09",
                Some(json!({"kind": "holiday", "name": "司庆", "origin": "company"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (s, month) = emp.get("/api/v1/attendance/me/month?month=2026-10").await;
        assert_eq!(s, StatusCode::OK, "{month}");
        let day = |d: &str| {
            month["days"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["date"] == d)
                .unwrap()
                .clone()
        };
        assert_eq!(day("2026-10-09")["status"], "holiday");
    }
);

both!(
    make_up_clock_ins_through_approvals,
    async |app: &TestApp| {
        let o = org(app).await;
        create_rule(&o.admin, office_rule(o.rd)).await;
        let (s, b) = o
        .admin
        .call(Method::PUT, "/api/v1/attendance/settings", Some(json!({"location_precision": "exact", "location_retention_days": 90, "punch_correction_monthly_limit": 1})))
        .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        // Tuesday: emp arrived on time but forgot to clock out.
        set_time(app, 1, 8, 58);
        o.emp
            .post("/api/v1/attendance/clock-ins", at_office())
            .await;
        set_time(app, 2, 9, 30);
        let (_, list) = o.emp.get("/api/v1/approvals/templates").await;
        let t = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["builtin"] == "punch_correction")
            .unwrap()["template_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let values = |time: &str| json!({"template_id": t, "values": {"time": time, "kind": "off", "reason": "忘记打卡"}});
        // A moment to come is refused.
        let (s, b) = o
            .emp
            .post("/api/v1/approvals", values("2026-09-30 18:00"))
            .await;
        assert_eq!(
            (s, b["error"]["fields"]["values.time"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("range"))
        );
        let (s, b) = o
            .emp
            .post("/api/v1/approvals", values("2026-09-22 18:05"))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let sp = b["sp_no"].as_str().unwrap().to_owned();
        let (s, b) = o
            .mgr
            .post(&format!("/api/v1/approvals/{sp}/approve"), json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        // The approved clock-out is written by a durable job; the day becomes normal.
        let mut status = Value::Null;
        for _ in 0..100 {
            let (_, month) = o.emp.get("/api/v1/attendance/me/month?month=2026-09").await;
            status = month["days"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["date"] == "2026-09-22")
                .unwrap()["status"]
                .clone();
            if status == "normal" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(status, "normal");
        let (_, mine) = o
            .emp
            .get("/api/v1/attendance/me/clock-ins?from=2026-09-22&to=2026-09-22")
            .await;
        assert_eq!(mine["items"][0]["source"], "correction");
        // The month's limit (1) is used: the next request is refused at submission.
        let (s, b) = o
            .emp
            .post("/api/v1/approvals", values("2026-09-23 09:00"))
            .await;
        assert_eq!(
            (s, b["error"]["fields"]["values.time"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("too_many")),
            "{b}"
        );
        assert_eq!(b["error"]["details"]["limit"], 1);
    }
);
