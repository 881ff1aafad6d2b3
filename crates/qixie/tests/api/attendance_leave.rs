//! Leave (假期) through the native API and WeCom's vacation calls, on both engines: the built-in
//! types, balances granted on first read by the national rule, the leave form's preview, a leave
//! beyond the balance refused at submission, approval taking it from the balance and marking the
//! days, withdrawal and rejection releasing what was held, comp time from overtime, carry-over and
//! expiry, administrators' adjustments (audited) within their scope, and other enterprises kept out.
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::*;
use qixie_kernel::db::sql;

/// 总部 → 研发部 (mgr leads it) with emp; 市场部 with sales; both follow a 09:00–18:00 rule. The
/// clock starts on Monday 2026-09-21.
struct Org {
    admin: Client,
    mgr: Client,
    emp: Client,
    rd: i64,
    market: i64,
}

async fn org(app: &TestApp) -> Org {
    let admin = app.admin().await;
    let rd = dept(&admin, "研发部", 1).await;
    let market = dept(&admin, "市场部", 1).await;
    let mgr = app
        .member_with_password(&admin, "mgr", &[rd], "Leave2026m")
        .await;
    let emp = app
        .member_with_password(&admin, "emp", &[rd], "Leave2026e")
        .await;
    let (s, b) = admin
        .post(
            "/api/v1/admin/members",
            json!({"userid": "sales", "name": "销售", "department_ids": [market]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = admin
        .patch(
            &format!("/api/v1/admin/departments/{rd}"),
            json!({"leader_userids": ["mgr"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = admin
        .patch("/api/v1/admin/members/emp", json!({"leader_userid": "mgr"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Both departments work Monday to Friday, 09:00–18:00 with an hour for lunch: 8 hours a day.
    // The administrator, in the root department, follows no rule.
    let (s, b) = admin
        .post(
            "/api/v1/attendance/rules",
            json!({"name": "总部考勤", "kind": "fixed", "targets": {"department_ids": [rd, market]},
                   "workdays": [1, 2, 3, 4, 5],
                   "sections": [{"on": "09:00", "off": "18:00", "rest": {"from": "12:00", "to": "13:00"}}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    Org {
        admin,
        mgr,
        emp,
        rd,
        market,
    }
}

/// Sets a member's dates (joined, started work).
async fn dates(admin: &Client, userid: &str, joined: &str, started: &str) -> Value {
    let (s, b) = admin
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/attendance/balances/{userid}/dates"),
            Some(json!({"joined_on": joined, "work_started_on": started})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

/// (granted, used, left, pending) of one type in a balance list.
fn of(balances: &Value, key: &str) -> (Value, Value, Value, Value) {
    let b = balances
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["leave_type"] == json!(key))
        .unwrap_or_else(|| panic!("no {key} in {balances}"));
    (
        b["granted"].clone(),
        b["used"].clone(),
        b["left"].clone(),
        b["pending"].clone(),
    )
}

async fn mine(c: &Client, key: &str) -> (Value, Value, Value, Value) {
    let (s, b) = c.get("/api/v1/attendance/me/balances").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    of(&b["items"], key)
}

/// The built-in template's id.
async fn builtin(c: &Client, key: &str) -> String {
    let (_, b) = c.get("/api/v1/approvals/templates").await;
    b["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["builtin"] == json!(key))
        .unwrap()["template_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn ask(c: &Client, template: &str, values: Value) -> (StatusCode, Value) {
    c.post(
        "/api/v1/approvals",
        json!({"template_id": template, "values": values}),
    )
    .await
}

async fn leave(c: &Client, key: &str, start: &str, end: &str) -> String {
    let t = builtin(c, "leave").await;
    let (s, b) = ask(
        c,
        &t,
        json!({"leave_type": key, "period": {"start": start, "end": end}, "reason": "家中有事"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["sp_no"].as_str().unwrap().to_owned()
}

/// Runs the leave and overtime jobs queued so far (the server's scheduler may take one first),
/// until none is left; a failed job fails the test with its error.
async fn settle(app: &TestApp) {
    let registry = qixie::startup::job_registry();
    for _ in 0..200 {
        while qixie_kernel::jobs::run_due(&app.state, &registry, "test-node", app.state.now())
            .await
            .unwrap()
        {}
        let open: Vec<(String, Option<String>)> = app
            .state
            .db
            .all(sql("SELECT status, last_error FROM jobs WHERE kind IN ('attendance.leave', 'attendance.overtime') AND status <> 'done'"))
            .await
            .unwrap();
        if open.is_empty() {
            return;
        }
        if let Some((_, Some(e))) = open.iter().find(|(_, e)| e.is_some()) {
            panic!("a leave job failed: {e}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("leave jobs did not finish");
}

async fn decide(c: &Client, sp_no: &str, action: &str) {
    let (s, b) = c
        .post(&format!("/api/v1/approvals/{sp_no}/{action}"), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

/// The days an application marks in attendance: (day, kind, leave_type, minutes).
async fn marked(app: &TestApp, sp_no: &str) -> Vec<(i64, String, String, i64)> {
    app.state
        .db
        .all(
            sql("SELECT day, kind, leave_type, minutes FROM attendance_approved WHERE sp_no = $1 ORDER BY day")
                .bind(sp_no),
        )
        .await
        .unwrap()
}

/// (cause, delta, balance_after, sp_no set) of the ledger, oldest first.
fn entries(page: &Value) -> Vec<(String, Value, Value, bool)> {
    let mut out: Vec<(String, Value, Value, bool)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["cause"].as_str().unwrap().to_owned(),
                e["delta"].clone(),
                e["balance_after"].clone(),
                e["sp_no"] != json!(""),
            )
        })
        .collect();
    out.reverse();
    out
}

both!(
    types_and_balances_granted_on_first_read,
    async |app: &TestApp| {
        let o = org(app).await;
        let (s, b) = o.admin.get("/api/v1/attendance/leave-types").await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let keys: Vec<(&str, &str, &str, &str)> = b["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["key"].as_str().unwrap(),
                    t["name"].as_str().unwrap(),
                    t["unit"].as_str().unwrap(),
                    t["quota_rule"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            keys,
            vec![
                ("annual", "年假", "day", "annual_by_service"),
                ("personal", "事假", "half_day", "none"),
                ("sick", "病假", "half_day", "none"),
                ("compensatory", "调休假", "hour", "manual"),
                ("marriage", "婚假", "day", "manual"),
                ("maternity", "产假", "day", "manual"),
                ("paternity", "陪产假", "day", "manual"),
                ("bereavement", "丧假", "day", "manual"),
            ]
        );
        insta::assert_json_snapshot!(b["items"][3], @r#"
        {
          "builtin": true,
          "carry_over_max": 0.0,
          "carry_over_months": 3,
          "day_hours": 8.0,
          "enabled": true,
          "expiry_months": 6,
          "is_comp": true,
          "key": "compensatory",
          "name": "调休假",
          "quota_rule": "manual",
          "sort": 4,
          "unit": "hour",
          "vacation_id": 4,
          "yearly_quota": null
        }
        "#);
        // Until an administrator sets them, a member joined and started work the day they were added.
        let (s, d) = o.admin.get("/api/v1/attendance/balances/emp/dates").await;
        assert_eq!(s, StatusCode::OK, "{d}");
        insta::assert_json_snapshot!(d, @r#"
        {
          "joined_on": "2026-09-21",
          "set": false,
          "userid": "emp",
          "work_started_on": "2026-09-21"
        }
        "#);
        // Under a year of work: no annual leave yet. Types without a balance show none.
        let (s, b) = o.emp.get("/api/v1/attendance/me/balances").await;
        assert_eq!(s, StatusCode::OK, "{b}");
        insta::assert_json_snapshot!(&b["items"].as_array().unwrap()[0..2], @r#"
        [
          {
            "expires_on": null,
            "granted": 0.0,
            "leave_type": "annual",
            "left": 0.0,
            "name": "年假",
            "pending": 0.0,
            "quota_rule": "annual_by_service",
            "unit": "day",
            "used": 0.0
          },
          {
            "expires_on": null,
            "granted": null,
            "leave_type": "personal",
            "left": null,
            "name": "事假",
            "pending": 0.0,
            "quota_rule": "none",
            "unit": "half_day",
            "used": 0.0
          }
        ]
        "#);
        // 14 years of work, joined in 2020: 10 days for 2026, granted again from the new dates.
        let d = dates(&o.admin, "emp", "2020-03-01", "2012-07-01").await;
        assert_eq!(d["set"], json!(true));
        assert_eq!(
            mine(&o.emp, "annual").await,
            (json!(10.0), json!(0.0), json!(10.0), json!(0.0))
        );
        // A member first read after setting the dates is granted from them at once; one who joined
        // on 2026-07-01 with 5 years of work elsewhere gets 184/365 × 5 days, rounded down.
        dates(&o.admin, "mgr", "2026-07-01", "2021-01-01").await;
        assert_eq!(
            mine(&o.mgr, "annual").await,
            (json!(2.0), json!(0.0), json!(2.0), json!(0.0))
        );
        // Reading again grants nothing more.
        assert_eq!(mine(&o.mgr, "annual").await.2, json!(2.0));
        let (s, l) = o.emp.get("/api/v1/attendance/me/ledger").await;
        assert_eq!(s, StatusCode::OK, "{l}");
        insta::assert_json_snapshot!(l, @r#"
        {
          "items": [
            {
              "actor": null,
              "at": "[time]",
              "balance_after": 10.0,
              "cause": "grant",
              "delta": 10.0,
              "id": "[id]",
              "leave_type": "annual",
              "name": "年假",
              "note": "日期变更，2026年度额度（参加工作 2012-07-01，入职 2020-03-01）",
              "sp_no": "",
              "unit": "day"
            }
          ],
          "next": null
        }
        "#);
        let (_, l) = o
            .mgr
            .get("/api/v1/attendance/me/ledger?leave_type=annual")
            .await;
        assert_eq!(
            entries(&l),
            vec![("grant".into(), json!(2.0), json!(2.0), false)]
        );
        // The dates are checked and audited.
        let (s, e) = o
            .admin
            .call(
                reqwest::Method::PUT,
                "/api/v1/attendance/balances/emp/dates",
                Some(json!({"joined_on": "2020-02-30", "work_started_on": "2021-01-01"})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e["error"]["fields"], json!({"joined_on": "format"}));
        let (_, e) = o
            .admin
            .call(
                reqwest::Method::PUT,
                "/api/v1/attendance/balances/emp/dates",
                Some(json!({"joined_on": "2020-01-01", "work_started_on": "2021-01-01"})),
            )
            .await;
        assert_eq!(e["error"]["fields"], json!({"work_started_on": "range"}));
        let (_, a) = o
            .admin
            .get("/api/v1/admin/audit?kind=attendance.leave.dates")
            .await;
        assert_eq!(a["total"], json!(2));
    }
);

both!(
    a_leave_beyond_the_balance_is_refused_at_submission,
    async |app: &TestApp| {
        let o = org(app).await;
        // 6 years of work: 5 days.
        dates(&o.admin, "emp", "2020-01-01", "2020-01-01").await;
        let preview = |from: &'static str, to: &'static str, key: &'static str| {
            let emp = &o.emp;
            async move {
                let (s, b) = emp
                    .post(
                        "/api/v1/attendance/me/leave-preview",
                        json!({"leave_type": key, "from": from, "to": to}),
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{b}");
                b
            }
        };
        // Monday to Friday: five working days.
        insta::assert_json_snapshot!(preview("2026-11-02 am", "2026-11-06 pm", "annual").await, @r#"
        {
          "duration": 5.0,
          "enough": true,
          "left": 5.0,
          "pending": 0.0,
          "unit": "day"
        }
        "#);
        // Friday afternoon to the next Monday afternoon: the weekend is not leave.
        assert_eq!(
            preview("2026-11-06 pm", "2026-11-09 pm", "annual").await["duration"],
            json!(2.0)
        );
        assert_eq!(
            preview("2026-11-06 pm", "2026-11-09 pm", "personal").await["duration"],
            json!(1.5)
        );
        assert_eq!(
            preview("2026-11-07 am", "2026-11-08 pm", "sick").await["duration"],
            json!(0.0)
        );
        // Across the National Day holidays (1–7 October) and the Saturday worked in their place:
        // three days, then two, then the Saturday. A member without a rule counts the standard week
        // with the same calendar.
        assert_eq!(
            preview("2026-09-28 am", "2026-10-10 pm", "personal").await["duration"],
            json!(6.0)
        );
        let (s, b) = o
            .admin
            .post(
                "/api/v1/attendance/me/leave-preview",
                json!({"leave_type": "personal", "from": "2026-09-28 am", "to": "2026-10-10 pm"}),
            )
            .await;
        assert_eq!((s, &b["duration"]), (StatusCode::OK, &json!(6.0)), "{b}");
        let (_, b) = o
            .admin
            .post(
                "/api/v1/attendance/me/leave-preview",
                json!({"leave_type": "compensatory", "from": "2026-11-02 10:30", "to": "2026-11-02 14:00"}),
            )
            .await;
        assert_eq!(b["duration"], json!(2.5), "{b}");
        // Six days are more than five.
        let over = preview("2026-11-02 am", "2026-11-09 pm", "annual").await;
        assert_eq!(
            (&over["duration"], &over["enough"]),
            (&json!(6.0), &json!(false))
        );
        let (s, e) = o
            .emp
            .post(
                "/api/v1/attendance/me/leave-preview",
                json!({"leave_type": "holiday", "from": "2026-11-02 noon", "to": "2026-11-02 am"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            e["error"]["fields"],
            json!({"leave_type": "unknown", "from": "format"})
        );
        let (_, e) = o
            .emp
            .post(
                "/api/v1/attendance/me/leave-preview",
                json!({"leave_type": "annual", "from": "2026-11-02 pm", "to": "2026-11-02 am"}),
            )
            .await;
        assert_eq!(e["error"]["fields"], json!({"to": "before_start"}));
        // Submitting six days is refused on the period, with the balance in the message.
        let t = builtin(&o.emp, "leave").await;
        let (s, e) = ask(
            &o.emp,
            &t,
            json!({"leave_type": "annual", "period": {"start": "2026-11-02 am", "end": "2026-11-09 pm"}, "reason": "旅行"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        insta::assert_json_snapshot!(e, @r#"
        {
          "error": {
            "code": "validation_failed",
            "details": {
              "duration": 6.0,
              "leave_type": "annual",
              "left": 5.0,
              "pending": 0.0,
              "unit": "day"
            },
            "fields": {
              "values.period": "insufficient_balance"
            },
            "key": "error.validation_failed",
            "message": "填写的内容有误，请检查标出的字段：年假剩余 5天，本次请假 6天"
          }
        }
        "#);
        // Nothing was written.
        let (_, mine_box) = o.emp.get("/api/v1/approvals?box=mine").await;
        assert_eq!(mine_box["total"], json!(0));
        // Marriage leave is granted by hand: none yet, so any is too much; sick leave has no balance.
        let (s, e) = ask(
            &o.emp,
            &t,
            json!({"leave_type": "marriage", "period": {"start": "2026-11-02 am", "end": "2026-11-02 pm"}, "reason": "结婚"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(
            e["error"]["fields"],
            json!({"values.period": "insufficient_balance"})
        );
        leave(&o.emp, "sick", "2026-11-02 am", "2026-11-13 pm").await;
        // A weekend has no working time to take off.
        let (s, e) = ask(
            &o.emp,
            &t,
            json!({"leave_type": "personal", "period": {"start": "2026-11-07 am", "end": "2026-11-08 pm"}, "reason": "周末"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"], json!({"values.period": "range"}));
        // Three days pending hold three: two more are refused, showing what is held.
        let held = leave(&o.emp, "annual", "2026-11-02 am", "2026-11-04 pm").await;
        settle(app).await;
        assert_eq!(
            mine(&o.emp, "annual").await,
            (json!(5.0), json!(0.0), json!(5.0), json!(3.0))
        );
        let (s, e) = ask(
            &o.emp,
            &t,
            json!({"leave_type": "annual", "period": {"start": "2026-11-09 am", "end": "2026-11-11 pm"}, "reason": "再休"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(
            e["error"]["message"],
            json!("填写的内容有误，请检查标出的字段：年假剩余 5天，审批中 3天，本次请假 3天")
        );
        assert_eq!(
            e["error"]["details"],
            json!({"leave_type": "annual", "unit": "day", "left": 5.0, "pending": 3.0, "duration": 3.0})
        );
        // Withdrawn, it holds nothing.
        decide(&o.emp, &held, "withdraw").await;
        settle(app).await;
        assert_eq!(mine(&o.emp, "annual").await.3, json!(0.0));
        leave(&o.emp, "annual", "2026-11-09 am", "2026-11-11 pm").await;
    }
);

both!(
    approval_deducts_and_marks_the_days_then_restores,
    async |app: &TestApp| {
        let o = org(app).await;
        dates(&o.admin, "emp", "2020-01-01", "2020-01-01").await;
        // Monday and Tuesday: two days.
        let sp = leave(&o.emp, "annual", "2026-11-02 am", "2026-11-03 pm").await;
        settle(app).await;
        assert_eq!(
            mine(&o.emp, "annual").await,
            (json!(5.0), json!(0.0), json!(5.0), json!(2.0))
        );
        assert_eq!(marked(app, &sp).await, vec![]);
        decide(&o.mgr, &sp, "approve").await;
        settle(app).await;
        assert_eq!(
            mine(&o.emp, "annual").await,
            (json!(5.0), json!(2.0), json!(3.0), json!(0.0))
        );
        assert_eq!(
            marked(app, &sp).await,
            vec![
                (20261102, "leave".into(), "annual".into(), 480),
                (20261103, "leave".into(), "annual".into(), 480),
            ]
        );
        let (_, l) = o.emp.get("/api/v1/attendance/me/ledger").await;
        insta::assert_json_snapshot!(l["items"][0], @r#"
        {
          "actor": null,
          "at": "[time]",
          "balance_after": 3.0,
          "cause": "approval",
          "delta": -2.0,
          "id": "[id]",
          "leave_type": "annual",
          "name": "年假",
          "note": "",
          "sp_no": "202609210001",
          "unit": "day"
        }
        "#);
        // The job again (a retry, a second node) changes nothing.
        let corp = CorpNumber::of(app).await;
        qixie_attendance::leave::follower::follow(&app.state, corp, "leave", &sp)
            .await
            .unwrap();
        assert_eq!(mine(&o.emp, "annual").await.2, json!(3.0));
        assert_eq!(marked(app, &sp).await.len(), 2);
        // Should an approved leave be called off (no route does this yet), the balance and the
        // days come back.
        app.state
            .db
            .exec(sql("UPDATE approval_instances SET status = 4 WHERE sp_no = $1").bind(&sp))
            .await
            .unwrap();
        qixie_attendance::leave::follower::follow(&app.state, corp, "leave", &sp)
            .await
            .unwrap();
        assert_eq!(
            mine(&o.emp, "annual").await,
            (json!(5.0), json!(0.0), json!(5.0), json!(0.0))
        );
        assert_eq!(marked(app, &sp).await, vec![]);
        let (_, l) = o.emp.get("/api/v1/attendance/me/ledger").await;
        assert_eq!(
            entries(&l),
            vec![
                ("grant".into(), json!(5.0), json!(5.0), false),
                ("approval".into(), json!(-2.0), json!(3.0), true),
                ("restore".into(), json!(2.0), json!(5.0), true),
            ]
        );
        // A rejected one never took anything.
        let sp = leave(&o.emp, "personal", "2026-11-04 pm", "2026-11-04 pm").await;
        decide(&o.mgr, &sp, "reject").await;
        settle(app).await;
        assert_eq!(
            mine(&o.emp, "personal").await,
            (json!(null), json!(0.0), json!(null), json!(0.0))
        );
        // Personal leave has no balance but its use is counted.
        let sp = leave(&o.emp, "personal", "2026-11-05 pm", "2026-11-05 pm").await;
        decide(&o.mgr, &sp, "approve").await;
        settle(app).await;
        assert_eq!(
            mine(&o.emp, "personal").await,
            (json!(null), json!(0.5), json!(null), json!(0.0))
        );
        assert_eq!(
            marked(app, &sp).await,
            vec![(20261105, "leave".into(), "personal".into(), 300)]
        );
        // Today (Monday 2026-09-21) on sick leave: the day shows as leave in attendance.
        let sp = leave(&o.emp, "sick", "2026-09-21 am", "2026-09-21 pm").await;
        decide(&o.mgr, &sp, "approve").await;
        settle(app).await;
        let (s, m) = o.emp.get("/api/v1/attendance/me/month?month=2026-09").await;
        assert_eq!(s, StatusCode::OK, "{m}");
        let day = &m["days"][20];
        assert_eq!(
            (&day["date"], &day["status"], &day["leave"]),
            (
                &json!("2026-09-21"),
                &json!("leave"),
                &json!([{"leave_type": "sick", "minutes": 480}])
            )
        );
    }
);

/// The enterprise's number, for calling domain functions.
struct CorpNumber;

impl CorpNumber {
    async fn of(app: &TestApp) -> qixie_kernel::ids::CorpId {
        qixie_kernel::ids::CorpId(app.corp_id_number().await)
    }
}

both!(
    overtime_earns_comp_time_that_expires,
    async |app: &TestApp| {
        let o = org(app).await;
        let t = builtin(&o.emp, "overtime").await;
        // Saturday 09:00–13:30 taken as time off: 4.5 hours of comp time for six months.
        let (s, b) = ask(
            &o.emp,
            &t,
            json!({"period": {"start": "2026-11-07 09:00", "end": "2026-11-07 13:30"}, "compensation": "leave", "reason": "上线"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let ot = b["sp_no"].as_str().unwrap().to_owned();
        settle(app).await;
        assert_eq!(mine(&o.emp, "compensatory").await.2, json!(0.0));
        decide(&o.mgr, &ot, "approve").await;
        settle(app).await;
        let (_, b) = o.emp.get("/api/v1/attendance/me/balances").await;
        let comp = b["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["leave_type"] == json!("compensatory"))
            .unwrap()
            .clone();
        insta::assert_json_snapshot!(comp, @r#"
        {
          "expires_on": "2027-05-07",
          "granted": 4.5,
          "leave_type": "compensatory",
          "left": 4.5,
          "name": "调休假",
          "pending": 0.0,
          "quota_rule": "manual",
          "unit": "hour",
          "used": 0.0
        }
        "#);
        assert_eq!(
            marked(app, &ot).await,
            vec![(20261107, "overtime".into(), "".into(), 270)]
        );
        // Paid overtime marks the days and earns no time off; 17:00–20:00 on a weekday is two
        // hours beyond 18:00.
        let (_, b) = ask(
            &o.emp,
            &t,
            json!({"period": {"start": "2026-11-10 17:00", "end": "2026-11-10 20:00"}, "compensation": "pay", "reason": "值班"}),
        )
        .await;
        let paid = b["sp_no"].as_str().unwrap().to_owned();
        decide(&o.mgr, &paid, "approve").await;
        settle(app).await;
        assert_eq!(
            marked(app, &paid).await,
            vec![(20261110, "overtime".into(), "".into(), 120)]
        );
        assert_eq!(mine(&o.emp, "compensatory").await.2, json!(4.5));
        // Monday morning off: three working hours of comp time.
        let sp = leave(&o.emp, "compensatory", "2026-11-09 am", "2026-11-09 am").await;
        decide(&o.mgr, &sp, "approve").await;
        settle(app).await;
        assert_eq!(
            mine(&o.emp, "compensatory").await,
            (json!(4.5), json!(3.0), json!(1.5), json!(0.0))
        );
        // After six months what is left expires; the ledger says so.
        app.clock.advance_ms(19_914_400_000);
        let emp = app.login("emp", "Leave2026e").await;
        assert_eq!(
            mine(&emp, "compensatory").await,
            (json!(0.0), json!(0.0), json!(0.0), json!(0.0))
        );
        let (_, l) = emp
            .get("/api/v1/attendance/me/ledger?leave_type=compensatory")
            .await;
        assert_eq!(
            entries(&l),
            vec![
                ("overtime".into(), json!(4.5), json!(4.5), true),
                ("approval".into(), json!(-3.0), json!(1.5), true),
                ("expire".into(), json!(-1.5), json!(0.0), false),
            ]
        );
    }
);

both!(
    annual_leave_carries_over_then_expires,
    async |app: &TestApp| {
        let o = org(app).await;
        dates(&o.admin, "emp", "2015-01-01", "2015-01-01").await;
        // Up to 5 days carry into the first three months of the next year.
        let (_, types) = o.admin.get("/api/v1/attendance/leave-types").await;
        let mut annual = types["items"][0].clone();
        for k in ["key", "is_comp", "builtin", "vacation_id"] {
            annual.as_object_mut().unwrap().remove(k);
        }
        annual["carry_over_max"] = json!(5);
        let (s, b) = o
            .admin
            .call(
                reqwest::Method::PUT,
                "/api/v1/attendance/leave-types/annual",
                Some(annual.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["carry_over_max"], json!(5.0));
        // Its day length is what balances mean: fixed once there are some.
        assert_eq!(mine(&o.emp, "annual").await.2, json!(10.0));
        annual["day_hours"] = json!(7.5);
        let (s, e) = o
            .admin
            .call(
                reqwest::Method::PUT,
                "/api/v1/attendance/leave-types/annual",
                Some(annual),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e["error"]["fields"], json!({"day_hours": "in_use"}));
        let sp = leave(&o.emp, "annual", "2026-11-02 am", "2026-11-03 pm").await;
        decide(&o.mgr, &sp, "approve").await;
        settle(app).await;
        assert_eq!(mine(&o.emp, "annual").await.2, json!(8.0));
        // 2027-01-05: 8 days left of 2026 end, 5 carry over until 31 March, 10 are granted.
        app.clock.advance_ms(9_114_400_000);
        let emp = app.login("emp", "Leave2026e").await;
        let (_, b) = emp.get("/api/v1/attendance/me/balances").await;
        insta::assert_json_snapshot!(b["items"][0], @r#"
        {
          "expires_on": "2027-03-31",
          "granted": 15.0,
          "leave_type": "annual",
          "left": 15.0,
          "name": "年假",
          "pending": 0.0,
          "quota_rule": "annual_by_service",
          "unit": "day",
          "used": 0.0
        }
        "#);
        // 2027-04-02: the carried days are gone.
        app.clock.advance_ms(16_631_200_000 - 9_114_400_000);
        let emp = app.login("emp", "Leave2026e").await;
        assert_eq!(
            mine(&emp, "annual").await,
            (json!(10.0), json!(0.0), json!(10.0), json!(0.0))
        );
        let (_, l) = emp.get("/api/v1/attendance/me/ledger").await;
        insta::assert_json_snapshot!(l, @r#"
        {
          "items": [
            {
              "actor": null,
              "at": "[time]",
              "balance_after": 10.0,
              "cause": "expire",
              "delta": -5.0,
              "id": "[id]",
              "leave_type": "annual",
              "name": "年假",
              "note": "2026年度结转额度到期",
              "sp_no": "",
              "unit": "day"
            },
            {
              "actor": null,
              "at": "[time]",
              "balance_after": 15.0,
              "cause": "grant",
              "delta": 10.0,
              "id": "[id]",
              "leave_type": "annual",
              "name": "年假",
              "note": "2027年度额度（参加工作 2015-01-01，入职 2015-01-01）",
              "sp_no": "",
              "unit": "day"
            },
            {
              "actor": null,
              "at": "[time]",
              "balance_after": 5.0,
              "cause": "carry_over",
              "delta": 5.0,
              "id": "[id]",
              "leave_type": "annual",
              "name": "年假",
              "note": "2026年度结转，有效期至 2027-03-31",
              "sp_no": "",
              "unit": "day"
            },
            {
              "actor": null,
              "at": "[time]",
              "balance_after": 0.0,
              "cause": "expire",
              "delta": -8.0,
              "id": "[id]",
              "leave_type": "annual",
              "name": "年假",
              "note": "2026年度额度到期",
              "sp_no": "",
              "unit": "day"
            },
            {
              "actor": null,
              "at": "[time]",
              "balance_after": 8.0,
              "cause": "approval",
              "delta": -2.0,
              "id": "[id]",
              "leave_type": "annual",
              "name": "年假",
              "note": "",
              "sp_no": "202609210001",
              "unit": "day"
            },
            {
              "actor": null,
              "at": "[time]",
              "balance_after": 10.0,
              "cause": "grant",
              "delta": 10.0,
              "id": "[id]",
              "leave_type": "annual",
              "name": "年假",
              "note": "2026年度额度（参加工作 2015-01-01，入职 2015-01-01）",
              "sp_no": "",
              "unit": "day"
            }
          ],
          "next": null
        }
        "#);
    }
);

both!(
    adjustments_are_checked_audited_and_scoped,
    async |app: &TestApp| {
        let o = org(app).await;
        let adjust = |body: Value| {
            let admin = &o.admin;
            async move { admin.post("/api/v1/attendance/balances/adjust", body).await }
        };
        let (s, b) = adjust(
            json!({"userid": "emp", "leave_type": "marriage", "delta": 3, "reason": "婚假额度"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        insta::assert_json_snapshot!(b, @r#"
        {
          "balance": {
            "expires_on": null,
            "granted": 3.0,
            "leave_type": "marriage",
            "left": 3.0,
            "name": "婚假",
            "pending": 0.0,
            "quota_rule": "manual",
            "unit": "day",
            "used": 0.0
          },
          "entry": {
            "actor": {
              "agentid": null,
              "kind": "member",
              "name": "老板",
              "userid": "boss"
            },
            "at": "[time]",
            "balance_after": 3.0,
            "cause": "adjust",
            "delta": 3.0,
            "id": "[id]",
            "leave_type": "marriage",
            "name": "婚假",
            "note": "婚假额度",
            "sp_no": "",
            "unit": "day"
          }
        }
        "#);
        // Bad input is named and changes nothing.
        for (body, fields) in [
            (
                json!({"userid": "emp", "leave_type": "marriage", "delta": 0.25, "reason": "x"}),
                json!({"delta": "format"}),
            ),
            (
                json!({"userid": "emp", "leave_type": "marriage", "delta": 0, "reason": " "}),
                json!({"delta": "range", "reason": "required"}),
            ),
            (
                json!({"userid": "emp", "leave_type": "sick", "delta": 1, "reason": "x"}),
                json!({"leave_type": "unsupported"}),
            ),
            (
                json!({"userid": "emp", "leave_type": "nap", "delta": 1, "reason": "x"}),
                json!({"leave_type": "unknown"}),
            ),
            (
                json!({"userid": "ghost", "leave_type": "marriage", "delta": 1, "reason": "x"}),
                json!({"userid": "not_found"}),
            ),
            (
                json!({"userid": "emp", "leave_type": "marriage", "delta": -4, "reason": "x"}),
                json!({"delta": "insufficient_balance"}),
            ),
        ] {
            let (s, e) = adjust(body.clone()).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
            assert_eq!(e["error"]["fields"], fields, "{body}");
        }
        let (_, l) = o.admin.get("/api/v1/attendance/balances/emp/ledger").await;
        assert_eq!(l["items"].as_array().unwrap().len(), 1);
        let (s, b) = adjust(
            json!({"userid": "emp", "leave_type": "marriage", "delta": -1, "reason": "多给了"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["balance"]["left"], json!(2.0));
        let (_, a) = o
            .admin
            .get("/api/v1/admin/audit?kind=attendance.leave.adjust")
            .await;
        assert_eq!(a["total"], json!(2));
        insta::assert_json_snapshot!(a["items"][0]["after"], @r#"
        {
          "delta": -1.0,
          "leave_type": "marriage",
          "left": 2.0,
          "reason": "多给了"
        }
        "#);
        // A scoped administrator of attendance over 研发部 reaches its members only.
        let hr = app
            .member_with_password(&o.admin, "hr", &[o.rd], "Leave2026h")
            .await;
        let (s, b) = o
            .admin
            .call(
                reqwest::Method::PUT,
                "/api/v1/admin/admins/hr",
                Some(json!({"permissions": ["attendance.manage"], "scope": {"all": false, "department_ids": [o.rd]}})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (s, b) = hr.get("/api/v1/attendance/balances").await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let mut users: Vec<&str> = b["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["userid"].as_str().unwrap())
            .collect();
        users.sort();
        assert_eq!(users, vec!["emp", "hr", "mgr"]);
        let (s, _) = hr.get("/api/v1/attendance/balances/emp/ledger").await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = hr.get("/api/v1/attendance/balances/sales/ledger").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = hr
            .get(&format!(
                "/api/v1/attendance/balances?department_id={}",
                o.market
            ))
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = hr.get("/api/v1/attendance/balances?userid=sales").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = hr
            .post(
                "/api/v1/attendance/balances/adjust",
                json!({"userid": "sales", "leave_type": "marriage", "delta": 1, "reason": "x"}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // A member reads only their own.
        let (s, _) = o.emp.get("/api/v1/attendance/balances/emp/ledger").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // Another enterprise's administrator finds nobody here.
        let other = app.second_corp("fboss").await;
        let fboss = app.login_to(&other, "fboss", ADMIN_PW).await;
        let (s, _) = fboss.get("/api/v1/attendance/balances/emp/ledger").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, e) = fboss
            .post(
                "/api/v1/attendance/balances/adjust",
                json!({"userid": "emp", "leave_type": "marriage", "delta": 1, "reason": "x"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e["error"]["fields"], json!({"userid": "not_found"}));
        let (_, b) = fboss.get("/api/v1/attendance/balances").await;
        assert_eq!(b["total"], json!(1));
        assert_eq!(mine(&o.emp, "marriage").await.2, json!(2.0));
    }
);

both!(custom_leave_types, async |app: &TestApp| {
    let o = org(app).await;
    let body = json!({"key": "home_visit", "name": "探亲假", "unit": "day", "quota_rule": "yearly_fixed", "yearly_quota": 20});
    let (s, b) = o
        .admin
        .post("/api/v1/attendance/leave-types", body.clone())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    insta::assert_json_snapshot!(b, @r#"
    {
      "builtin": false,
      "carry_over_max": 0.0,
      "carry_over_months": 3,
      "day_hours": 8.0,
      "enabled": true,
      "expiry_months": 0,
      "is_comp": false,
      "key": "home_visit",
      "name": "探亲假",
      "quota_rule": "yearly_fixed",
      "sort": 9,
      "unit": "day",
      "vacation_id": 9,
      "yearly_quota": 20.0
    }
    "#);
    let (s, e) = o.admin.post("/api/v1/attendance/leave-types", body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["fields"], json!({"key": "taken"}));
    let (_, e) = o
        .admin
        .post(
            "/api/v1/attendance/leave-types",
            json!({"key": "annual2", "name": "年假", "unit": "day", "quota_rule": "none"}),
        )
        .await;
    assert_eq!(e["error"]["fields"], json!({"name": "taken"}));
    let (_, e) = o
        .admin
        .post(
            "/api/v1/attendance/leave-types",
            json!({"key": "Bad Key", "name": "x", "unit": "day", "quota_rule": "none"}),
        )
        .await;
    assert_eq!(e["error"]["fields"], json!({"key": "format"}));
    // Granted yearly, in full, on first read.
    assert_eq!(
        mine(&o.emp, "home_visit").await,
        (json!(20.0), json!(0.0), json!(20.0), json!(0.0))
    );
    // Switched off, it is no longer offered nor counted.
    let (s, b) = o
        .admin
        .call(
            reqwest::Method::PUT,
            "/api/v1/attendance/leave-types/home_visit",
            Some(json!({"name": "探亲假", "unit": "day", "quota_rule": "yearly_fixed", "yearly_quota": 20, "enabled": false})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, b) = o.emp.get("/api/v1/attendance/me/balances").await;
    assert!(
        b["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["leave_type"] != json!("home_visit"))
    );
    let (s, _) = o
        .admin
        .call(
            reqwest::Method::PUT,
            "/api/v1/attendance/leave-types/nope",
            Some(json!({"name": "无", "unit": "day", "quota_rule": "none"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = o.emp.get("/api/v1/attendance/leave-types").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, a) = o
        .admin
        .get("/api/v1/admin/audit?kind=attendance.leave_type")
        .await;
    assert_eq!(a["total"], json!(2));
});

both!(wecom_vacation_calls, async |app: &TestApp| {
    let o = org(app).await;
    dates(&o.admin, "emp", "2020-01-01", "2020-01-01").await;
    let token = app_token(
        app,
        json!({"name": "假勤", "scopes": ["attendance"], "visible_department_ids": [o.rd]}),
    )
    .await;
    let conf = cgi_get(app, &token, "oa/vacation/getcorpconf?x=1").await;
    assert_eq!(conf["errcode"], json!(0), "{conf}");
    insta::assert_json_snapshot!(conf["lists"][0], @r#"
    {
      "duration_type": 1,
      "enter_comp_time_limit": 0,
      "expire_rule": {
        "date": {
          "day": 31,
          "month": 12
        },
        "duration": 0,
        "extern_duration": {
          "day": 0,
          "month": 0
        },
        "extern_duration_enable": false,
        "type": 1
      },
      "id": 1,
      "is_newovertime": 0,
      "name": "年假",
      "perday_duration": 86400,
      "quota_attr": {
        "at_entry_date": false,
        "auto_reset_month_day": 0,
        "autoreset_duration": 0,
        "autoreset_time": 1767196800,
        "quota_rule_type": 1,
        "quota_rules": {
          "based_on_actual_work_time": true,
          "list": [
            {
              "begin": 0,
              "end": 1,
              "quota": 0
            },
            {
              "begin": 1,
              "end": 10,
              "quota": 432000
            },
            {
              "begin": 10,
              "end": 20,
              "quota": 864000
            },
            {
              "begin": 20,
              "end": 0,
              "quota": 1296000
            }
          ]
        },
        "type": 1
      },
      "time_attr": 0
    }
    "#);
    assert_eq!(conf["lists"][3]["is_newovertime"], json!(1));
    assert_eq!(conf["lists"][3]["time_attr"], json!(1));
    let q = cgi_post(
        app,
        &token,
        "oa/vacation/getuservacationquota",
        json!({"userid": "emp"}),
    )
    .await;
    assert_eq!(q["errcode"], json!(0), "{q}");
    insta::assert_json_snapshot!(q["lists"][0], @r#"
    {
      "assignduration": 432000,
      "id": 1,
      "leftduration": 432000,
      "real_assignduration": 432000,
      "usedduration": 0,
      "vacationname": "年假"
    }
    "#);
    // 2.5 days of annual leave and 7.5 hours of comp time; the difference is an adjustment.
    let set = |body: Value| {
        let token = token.clone();
        async move { cgi_post(app, &token, "oa/vacation/setoneuserquota", body).await }
    };
    let r = set(json!({"userid": "emp", "vacation_id": 1, "leftduration": 216000, "time_attr": 0, "remarks": "年中校正"})).await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    let r =
        set(json!({"userid": "emp", "vacation_id": "4", "leftduration": "27000", "time_attr": 1}))
            .await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    assert_eq!(mine(&o.emp, "annual").await.2, json!(2.5));
    assert_eq!(mine(&o.emp, "compensatory").await.2, json!(7.5));
    let (_, l) = o
        .emp
        .get("/api/v1/attendance/me/ledger?leave_type=annual")
        .await;
    assert_eq!(l["items"][0]["note"], json!("年中校正"));
    assert_eq!(l["items"][0]["actor"]["kind"], json!("app"));
    assert_eq!(l["items"][0]["delta"], json!(-2.5));
    // WeCom's error codes.
    for (body, code) in [
        (
            json!({"userid": "emp", "vacation_id": 1, "leftduration": 216000, "time_attr": 1}),
            301063,
        ),
        (
            json!({"userid": "emp", "vacation_id": 1, "leftduration": 1000, "time_attr": 0}),
            301063,
        ),
        (
            json!({"userid": "emp", "vacation_id": 4, "leftduration": 100, "time_attr": 1}),
            301063,
        ),
        (
            json!({"userid": "emp", "vacation_id": 1, "leftduration": 86_400_000 + 8640, "time_attr": 0}),
            301063,
        ),
        (
            json!({"userid": "emp", "vacation_id": 99, "leftduration": 0, "time_attr": 0}),
            301063,
        ),
        (
            json!({"userid": "emp", "vacation_id": 2, "leftduration": 0, "time_attr": 0}),
            301063,
        ),
        (
            json!({"userid": "nobody", "vacation_id": 1, "leftduration": 0, "time_attr": 0}),
            301063,
        ),
        (
            json!({"userid": "sales", "vacation_id": 1, "leftduration": 0, "time_attr": 0}),
            301098,
        ),
    ] {
        let r = set(body.clone()).await;
        assert_eq!(r["errcode"], json!(code), "{body}: {r}");
    }
    let r = cgi_post(
        app,
        &token,
        "oa/vacation/getuservacationquota",
        json!({"userid": "sales"}),
    )
    .await;
    assert_eq!(r["errcode"], json!(301098), "{r}");
    assert_eq!(mine(&o.emp, "annual").await.2, json!(2.5));
    // Without the attendance scope: 301062.
    let other = app_token(app, json!({"name": "通讯录", "scopes": ["contacts.read"]})).await;
    let r = cgi_get(app, &other, "oa/vacation/getcorpconf?x=1").await;
    assert_eq!(r["errcode"], json!(301062), "{r}");
    let r = cgi_post(
        app,
        &other,
        "oa/vacation/setoneuserquota",
        json!({"userid": "emp", "vacation_id": 1, "leftduration": 0, "time_attr": 0}),
    )
    .await;
    assert_eq!(r["errcode"], json!(301062), "{r}");
    let (_, a) = o
        .admin
        .get("/api/v1/admin/audit?kind=attendance.leave.adjust")
        .await;
    assert_eq!(a["total"], json!(2));
});
