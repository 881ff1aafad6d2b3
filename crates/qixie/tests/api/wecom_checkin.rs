//! WeCom's checkin calls (`/cgi-bin/checkin/*`) against the attendance module: rules as WeCom's
//! group objects (made, changed field by field, cleared and deleted by the app that made them
//! only), a member's rule, clock-in records with the ones that never came, day and month reports,
//! schedules both ways, clock-ins from devices and make-up clock-ins, the `attendance` scope and
//! the app's visible range.
use reqwest::StatusCode;
use serde_json::{Value, json};

use qixie_kernel::clock::Clock;

use crate::both;
use crate::helpers::*;

/// 2026-09-21 00:00 in Shanghai, a Monday; the test clock starts that evening at 22:13:20.
const MON: i64 = 1_789_920_000;
const TUE: i64 = MON + 86_400;
const WED: i64 = TUE + 86_400;
const HOUR: i64 = 3_600;

/// Moves the clock to `s` (Unix seconds).
fn set_clock(app: &TestApp, s: i64) {
    let now = app.clock.now_ms();
    app.clock.advance_ms(s * 1000 - now);
}

/// The token of an app with the `attendance` scope and `extra` settings.
async fn att_token(app: &TestApp, name: &str, extra: Value) -> String {
    let mut body = json!({"name": name, "scopes": ["attendance"]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app_token(app, body).await
}

/// The secret of a new app with the `attendance` scope.
async fn att_secret(app: &TestApp, name: &str) -> String {
    let (s, b) = app
        .admin()
        .await
        .post(
            "/api/v1/admin/apps",
            json!({"name": name, "scopes": ["attendance"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["secret"].as_str().unwrap().to_owned()
}

/// A token for the secret at the clock's time (tokens last two hours).
async fn token_of(app: &TestApp, secret: &str) -> String {
    let url = format!(
        "{}/cgi-bin/gettoken?corpid={}&corpsecret={secret}",
        app.base, app.corp_id
    );
    let t: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    t["access_token"].as_str().unwrap().to_owned()
}

async fn member(boss: &Client, userid: &str, name: &str, department: i64) {
    let (s, b) = boss
        .post(
            "/api/v1/admin/members",
            json!({"userid": userid, "name": name, "department_ids": [department]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

/// The administrators' rule: the whole enterprise, 09:00–18:00 on weekdays with an hour's
/// lunch, within 500 m of the office (entered on a Chinese map), `excluded` left out.
async fn office_rule(boss: &Client, excluded: &[&str]) -> Value {
    let (s, b) = boss
        .post(
            "/api/v1/attendance/rules",
            json!({"name": "总部考勤", "kind": "fixed", "workdays": [1, 2, 3, 4, 5],
                "targets": {"department_ids": [1], "excluded_userids": excluded},
                "sections": [{"on": "09:00", "off": "18:00", "rest": {"from": "12:00", "to": "13:00"}}],
                "places": [{"name": "总部", "latitude": 31.2304, "longitude": 121.4737, "coord_system": "gcj02", "radius_m": 500}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b
}

/// `POST /cgi-bin/{path}` without a body, as wechatpy sends `getcorpcheckinoption`.
async fn cgi_post_empty(app: &TestApp, token: &str, path: &str) -> Value {
    reqwest::Client::new()
        .post(format!("{}/cgi-bin/{path}?access_token={token}", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn errmsg(r: &Value) -> &str {
    r["errmsg"].as_str().unwrap_or_default()
}

/// Asserts a WeCom error: its errcode, and the field problem its errmsg names.
fn refused(r: &Value, errcode: i64, names: &str) {
    assert_eq!(r["errcode"], json!(errcode), "{r}");
    assert!(errmsg(r).contains(names), "{names} in {r}");
}

fn developers() -> Value {
    json!({"grouptype": 1, "groupname": "研发打卡",
        "checkindate": [{"workdays": [1, 2, 3, 4, 5], "checkintime": [{"work_sec": 34_200, "off_work_sec": 66_600,
            "remind_work_sec": 33_600, "rest_begin_time": 43_200, "rest_end_time": 46_800}],
            "noneed_offwork": false, "limit_aheadtime": 7_200_000, "flex_time": 600_000}],
        "loc_infos": [{"lat": 30_547_030, "lng": 104_062_890, "loc_title": "腾讯成都大厦", "loc_detail": "天府三街", "distance": 300}],
        "wifimac_infos": [{"wifiname": "Tencent-WiFi-1", "wifimac": "c0:7b:bc:37:f8:d3"}],
        "range": {"party_id": [], "partyid": [], "userid": ["zhang"], "tagid": []},
        "white_users": [], "sync_holidays": true, "need_photo": false, "option_out_range": 1})
}

/// The group named `name` among the enterprise's.
async fn group_named(app: &TestApp, token: &str, name: &str) -> Value {
    let r = cgi_post_empty(app, token, "checkin/getcorpcheckinoption").await;
    r["group"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"))
        .iter()
        .find(|g| g["groupname"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("{name} in {r}"))
}

both!(rules_as_wecom_groups, async |app: &TestApp| {
    let boss = app.admin().await;
    member(&boss, "zhang", "张三", 1).await;
    member(&boss, "li", "李四", 1).await;
    office_rule(&boss, &[]).await;
    let token = att_token(app, "考勤助手", json!({})).await;
    let r = cgi_post(
        app,
        &token,
        "checkin/add_checkin_option",
        json!({"effective_now": true, "group": developers()}),
    )
    .await;
    assert_eq!(r, json!({"errcode": 0, "errmsg": "ok"}));

    // Every rule as WeCom's group object; wechatpy sends no body.
    let r = cgi_post_empty(app, &token, "checkin/getcorpcheckinoption").await;
    insta::assert_json_snapshot!(r, @r#"
    {
      "errcode": 0,
      "errmsg": "ok",
      "group": [
        {
          "allow_apply_bk_cnt": 3,
          "allow_apply_bk_day_limit": -1,
          "allow_apply_offworkday": true,
          "allow_checkin_offworkday": true,
          "buka_limit_next_month": -1,
          "buka_remind": {
            "buka_remind_day": 0,
            "buka_remind_month": 0,
            "open_remind": false
          },
          "buka_restriction": 0,
          "checkin_method_type": 0,
          "checkindate": [
            {
              "allow_flex": false,
              "biweekly": {
                "enable_weekday_recurrence": false,
                "even_workdays": [],
                "odd_workdays": []
              },
              "checkintime": [
                {
                  "allow_rest": true,
                  "earliest_off_work_sec": 32400,
                  "earliest_work_sec": 25200,
                  "latest_off_work_sec": 86400,
                  "latest_work_sec": 46800,
                  "no_need_checkoff": false,
                  "no_need_checkon": false,
                  "off_work_sec": 64800,
                  "remind_off_work_sec": 0,
                  "remind_work_sec": 0,
                  "rest_begin_time": 43200,
                  "rest_end_time": 46800,
                  "rest_times": [],
                  "time_id": 1,
                  "work_sec": 32400
                }
              ],
              "flex_off_duty_time": 0,
              "flex_on_duty_time": 0,
              "flex_time": 0,
              "late_rule": {
                "allow_offwork_after_time": false,
                "timerules": []
              },
              "limit_aheadtime": 7200000,
              "max_allow_arrive_early": 0,
              "max_allow_arrive_late": 0,
              "noneed_offwork": false,
              "workdays": [
                1,
                2,
                3,
                4,
                5
              ]
            }
          ],
          "create_time": 1790000000,
          "create_userid": "boss",
          "groupid": 1,
          "groupname": "总部考勤",
          "grouptype": 1,
          "loc_infos": [
            {
              "distance": 500,
              "lat": 31230400,
              "lng": 121473700,
              "loc_detail": "",
              "loc_title": "总部"
            }
          ],
          "need_photo": false,
          "note_can_use_local_pic": false,
          "offwork_interval_time": 0,
          "open_face_live_detect": false,
          "open_sp_checkin": false,
          "option_out_range": 1,
          "ot_info": {
            "allow_ot_nonworkingday": true,
            "allow_ot_workingday": true,
            "otcheckinfo": {
              "ot_nonworkingday_restinfo": {
                "type": 0
              },
              "ot_nonworkingday_spanday_time": 0,
              "ot_nonworkingday_time_max": 0,
              "ot_nonworkingday_time_min": 0,
              "ot_workingday_restinfo": {
                "type": 0
              },
              "ot_workingday_time_max": 0,
              "ot_workingday_time_min": 0,
              "ot_workingday_time_start": 0
            },
            "type": 2,
            "uptime": 1790000000
          },
          "range": {
            "party_id": [
              "1"
            ],
            "partyid": [
              1
            ],
            "tagid": [],
            "userid": []
          },
          "reporterinfo": {
            "reporters": [],
            "updatetime": 1790000000
          },
          "schedulelist": [],
          "span_day_time": 0,
          "spe_offdays": [],
          "spe_workdays": [],
          "standard_work_duration": 28800,
          "sync_holidays": true,
          "sync_out_checkin": false,
          "type": 0,
          "update_time": 1790000000,
          "update_userid": "boss",
          "use_face_detect": false,
          "white_users": [],
          "wifimac_infos": []
        },
        {
          "allow_apply_bk_cnt": 3,
          "allow_apply_bk_day_limit": -1,
          "allow_apply_offworkday": true,
          "allow_checkin_offworkday": true,
          "buka_limit_next_month": -1,
          "buka_remind": {
            "buka_remind_day": 0,
            "buka_remind_month": 0,
            "open_remind": false
          },
          "buka_restriction": 0,
          "checkin_method_type": 0,
          "checkindate": [
            {
              "allow_flex": false,
              "biweekly": {
                "enable_weekday_recurrence": false,
                "even_workdays": [],
                "odd_workdays": []
              },
              "checkintime": [
                {
                  "allow_rest": true,
                  "earliest_off_work_sec": 34200,
                  "earliest_work_sec": 27000,
                  "latest_off_work_sec": 88200,
                  "latest_work_sec": 48600,
                  "no_need_checkoff": false,
                  "no_need_checkon": false,
                  "off_work_sec": 66600,
                  "remind_off_work_sec": 0,
                  "remind_work_sec": 33600,
                  "rest_begin_time": 43200,
                  "rest_end_time": 46800,
                  "rest_times": [],
                  "time_id": 1,
                  "work_sec": 34200
                }
              ],
              "flex_off_duty_time": 0,
              "flex_on_duty_time": 0,
              "flex_time": 600000,
              "late_rule": {
                "allow_offwork_after_time": false,
                "timerules": []
              },
              "limit_aheadtime": 7200000,
              "max_allow_arrive_early": 0,
              "max_allow_arrive_late": 0,
              "noneed_offwork": false,
              "workdays": [
                1,
                2,
                3,
                4,
                5
              ]
            }
          ],
          "create_time": 1790000000,
          "create_userid": "",
          "groupid": 2,
          "groupname": "研发打卡",
          "grouptype": 1,
          "loc_infos": [
            {
              "distance": 300,
              "lat": 30547030,
              "lng": 104062890,
              "loc_detail": "",
              "loc_title": "腾讯成都大厦"
            }
          ],
          "need_photo": false,
          "note_can_use_local_pic": false,
          "offwork_interval_time": 0,
          "open_face_live_detect": false,
          "open_sp_checkin": false,
          "option_out_range": 1,
          "ot_info": {
            "allow_ot_nonworkingday": true,
            "allow_ot_workingday": true,
            "otcheckinfo": {
              "ot_nonworkingday_restinfo": {
                "type": 0
              },
              "ot_nonworkingday_spanday_time": 0,
              "ot_nonworkingday_time_max": 0,
              "ot_nonworkingday_time_min": 0,
              "ot_workingday_restinfo": {
                "type": 0
              },
              "ot_workingday_time_max": 0,
              "ot_workingday_time_min": 0,
              "ot_workingday_time_start": 0
            },
            "type": 2,
            "uptime": 1790000000
          },
          "range": {
            "party_id": [],
            "partyid": [],
            "tagid": [],
            "userid": [
              "zhang"
            ]
          },
          "reporterinfo": {
            "reporters": [],
            "updatetime": 1790000000
          },
          "schedulelist": [],
          "span_day_time": 0,
          "spe_offdays": [],
          "spe_workdays": [],
          "standard_work_duration": 28800,
          "sync_holidays": true,
          "sync_out_checkin": false,
          "type": 0,
          "update_time": 1790000000,
          "update_userid": "",
          "use_face_detect": false,
          "white_users": [],
          "wifimac_infos": []
        }
      ]
    }
    "#);

    // The rule is the attendance module's, in its own units.
    let (s, list) = boss.get("/api/v1/attendance/rules").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let made = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "研发打卡")
        .unwrap();
    assert_eq!(
        made["sections"],
        json!([{"on": "09:30", "off": "18:30", "rest": {"from": "12:00", "to": "13:00"}}])
    );
    assert_eq!(
        (
            &made["flex_minutes"],
            &made["early_limit_minutes"],
            &made["remind_on_minutes"],
            &made["off_required"]
        ),
        (&json!(10), &json!(120), &json!(10), &json!(true))
    );
    assert_eq!(
        made["places"],
        json!([{"name": "腾讯成都大厦", "latitude": 30.54703, "longitude": 104.06289, "coord_system": "gcj02", "radius_m": 300}])
    );
    assert_eq!(
        made["targets"],
        json!({"department_ids": [], "userids": ["zhang"], "tag_ids": [], "excluded_userids": []})
    );

    // An update changes what it gives: a new name, new hours (the array replaced whole, so the
    // flexible start it leaves out is gone); the places sent empty stay.
    let groupid = group_named(app, &token, "研发打卡").await["groupid"].clone();
    let r = cgi_post(
        app,
        &token,
        "checkin/update_checkin_option",
        json!({"effective_now": false, "group": {"groupid": groupid, "groupname": "研发打卡（新）", "loc_infos": [],
            "checkindate": [{"workdays": [1, 2, 3, 4, 5, 6], "checkintime": [{"work_sec": 32_400, "off_work_sec": 64_800}]}]}}),
    )
    .await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    let r = cgi_post(
        app,
        &token,
        "checkin/getcheckinoption",
        json!({"datetime": TUE, "useridlist": ["zhang", "li"]}),
    )
    .await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    let info = r["info"].as_array().unwrap();
    assert_eq!(
        info.iter()
            .map(|i| (i["userid"].clone(), i["group"]["groupname"].clone()))
            .collect::<Vec<_>>(),
        vec![
            (json!("zhang"), json!("研发打卡（新）")),
            (json!("li"), json!("总部考勤"))
        ]
    );
    let g = &info[0]["group"];
    assert_eq!(g["checkindate"][0]["workdays"], json!([1, 2, 3, 4, 5, 6]));
    assert_eq!(g["checkindate"][0]["flex_time"], json!(0));
    assert_eq!(
        g["checkindate"][0]["checkintime"][0]["work_sec"],
        json!(32_400)
    );
    assert_eq!(g["loc_infos"][0]["loc_title"], json!("腾讯成都大厦"));
    assert_eq!(g["range"]["userid"], json!(["zhang"]));

    // Clearing: special days and Wi-Fi are not kept (nothing to clear); the places may not all go.
    let r = cgi_post(
        app,
        &token,
        "checkin/clear_checkin_option_array_field",
        json!({"groupid": groupid, "clear_field": [1, 2, 3], "effective_now": true}),
    )
    .await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    let r = cgi_post(
        app,
        &token,
        "checkin/clear_checkin_option_array_field",
        json!({"groupid": groupid, "clear_field": [4]}),
    )
    .await;
    refused(&r, 301075, "clear_field: invalid");
    let r = cgi_post(
        app,
        &token,
        "checkin/clear_checkin_option_array_field",
        json!({"groupid": groupid, "clear_field": [7]}),
    )
    .await;
    refused(&r, 301075, "clear_field.0: unknown");

    // Only the app that made a rule changes it: not another app, not on an administrator's rule.
    let other = att_token(app, "别的应用", json!({})).await;
    let office = group_named(app, &token, "总部考勤").await["groupid"].clone();
    for (t, id) in [(&other, &groupid), (&token, &office)] {
        let r = cgi_post(
            app,
            t,
            "checkin/update_checkin_option",
            json!({"group": {"groupid": id, "groupname": "改名"}}),
        )
        .await;
        assert_eq!(r["errcode"], json!(60011), "{r}");
        let r = cgi_post(app, t, "checkin/del_checkin_option", json!({"groupid": id})).await;
        assert_eq!(r["errcode"], json!(60011), "{r}");
        let r = cgi_post(
            app,
            t,
            "checkin/clear_checkin_option_array_field",
            json!({"groupid": id, "clear_field": [3]}),
        )
        .await;
        assert_eq!(r["errcode"], json!(60011), "{r}");
    }
    assert_eq!(
        group_named(app, &token, "总部考勤").await["groupname"],
        json!("总部考勤")
    );

    // Mistakes name WeCom's field.
    let add = async |group: Value| {
        cgi_post(
            app,
            &token,
            "checkin/add_checkin_option",
            json!({"group": group}),
        )
        .await
    };
    let r = cgi_post(
        app,
        &token,
        "checkin/add_checkin_option",
        json!({"groupid": 1, "grouptype": 1, "groupname": "外层"}),
    )
    .await;
    refused(&r, 301075, "group: required");
    let mut g = developers();
    g["groupname"] = json!("两段");
    g["checkindate"][0]["checkintime"] = json!([{"work_sec": 32_400, "off_work_sec": 43_200}, {"work_sec": 39_600, "off_work_sec": 64_800}]);
    refused(
        &add(g).await,
        301075,
        "group.checkindate.0.checkintime.1.work_sec: overlap",
    );
    let mut g = developers();
    g["groupname"] = json!("研发打卡（新）");
    refused(&add(g).await, 301075, "group.groupname");
    let mut g = developers();
    g["groupname"] = json!("幽灵");
    g["range"]["userid"] = json!(["ghost"]);
    refused(&add(g).await, 301075, "group.range.userid.0: not_found");
    let mut g = developers();
    g["groupname"] = json!("太近");
    g["loc_infos"][0]["distance"] = json!(5);
    refused(&add(g).await, 301075, "group.loc_infos.0.distance: range");
    let mut g = developers();
    g.as_object_mut().unwrap().remove("grouptype");
    refused(&add(g).await, 301075, "group.grouptype: required");
    let r = cgi_post(
        app,
        &token,
        "checkin/update_checkin_option",
        json!({"group": {"groupid": 999, "groupname": "无"}}),
    )
    .await;
    refused(&r, 301075, "group.groupid: not_found");
    let r = cgi_post(
        app,
        &token,
        "checkin/update_checkin_option",
        json!({"group": {"groupname": "无"}}),
    )
    .await;
    refused(&r, 301075, "group.groupid: required");

    // A member's rule: 1–100 known members inside the app's range.
    let option = async |body: Value| cgi_post(app, &token, "checkin/getcheckinoption", body).await;
    refused(
        &option(json!({"datetime": TUE, "useridlist": []})).await,
        301023,
        "useridlist: count",
    );
    let many: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    refused(
        &option(json!({"datetime": TUE, "useridlist": many})).await,
        301023,
        "useridlist: count",
    );
    refused(
        &option(json!({"datetime": TUE, "useridlist": ["li", "ghost"]})).await,
        301021,
        "useridlist.1: not_found",
    );
    refused(
        &option(json!({"useridlist": ["li"]})).await,
        301075,
        "datetime: required",
    );

    // Deleted by the app that made it.
    let r = cgi_post(
        app,
        &token,
        "checkin/del_checkin_option",
        json!({"groupid": groupid, "effective_now": true}),
    )
    .await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    let r = cgi_post_empty(app, &token, "checkin/getcorpcheckinoption").await;
    let names: Vec<&Value> = r["group"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| &g["groupname"])
        .collect();
    assert_eq!(names, vec!["总部考勤"]);
});

/// `checkin/getcheckindata` from `start` to `end` for `users`, of `kind`.
async fn data(
    app: &TestApp,
    token: &str,
    kind: i64,
    start: i64,
    end: i64,
    users: &[&str],
) -> Value {
    let r = cgi_post(
        app,
        token,
        "checkin/getcheckindata",
        json!({"opencheckindatatype": kind, "starttime": start, "endtime": end, "useridlist": users}),
    )
    .await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    r
}

both!(clock_ins_days_and_months, async |app: &TestApp| {
    let boss = app.admin().await;
    let zhang = app
        .member_with_password(&boss, "zhang", &[1], "Clock2026x")
        .await;
    member(&boss, "li", "李四", 1).await;
    member(&boss, "zhao", "赵六", 1).await;
    office_rule(&boss, &[]).await;
    let secret = att_secret(app, "考勤机对接").await;

    // Tuesday: zhang clocks in at the office five minutes late, and goes out to a customer.
    set_clock(app, TUE + 9 * HOUR + 300);
    let at_office = json!({"latitude": 31.2304, "longitude": 121.4737, "coord_system": "gcj02", "accuracy_m": 10});
    let (s, b) = zhang.post("/api/v1/attendance/clock-ins", at_office).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    set_clock(app, TUE + 14 * HOUR);
    let (s, b) = zhang
        .post(
            "/api/v1/attendance/clock-ins",
            json!({"latitude": 31.3, "longitude": 121.4737, "coord_system": "gcj02", "accuracy_m": 10, "field": true, "note": "拜访客户"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // The front desk's terminal hands over zhang's and li's clock-outs.
    set_clock(app, TUE + 18 * HOUR + 600);
    let token = token_of(app, &secret).await;
    let r = cgi_post(
        app,
        &token,
        "checkin/add_checkin_record",
        json!({"records": [
            {"userid": "zhang", "checkin_time": TUE + 18 * HOUR + 570, "location_title": "总部前台", "location_detail": "一楼",
             "lat": 31_230_400, "lng": 121_473_700, "wifiname": "Office", "wifimac": "a2:8b:7f:c0:27:4b",
             "device_type": 1, "device_detail": "前台考勤机", "notes": "", "mediaids": []},
            {"userid": "li", "checkin_time": TUE + 18 * HOUR + 5, "location_title": "总部前台", "location_detail": "一楼",
             "device_type": 1, "device_detail": "前台考勤机"}]}),
    )
    .await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    // Sent again, nothing doubles.
    let again = cgi_post(
        app,
        &token,
        "checkin/add_checkin_record",
        json!({"records": [{"userid": "li", "checkin_time": TUE + 18 * HOUR + 5, "device_detail": "前台考勤机"}]}),
    )
    .await;
    assert_eq!(again["errcode"], json!(0), "{again}");
    // Wednesday morning: li's forgotten clock-in is made up.
    set_clock(app, WED + 10 * HOUR);
    let token = token_of(app, &secret).await;
    let r = cgi_post(
        app,
        &token,
        "checkin/punch_correction",
        json!({"userid": "li", "schedule_date_time": TUE, "schedule_checkin_time": 9 * HOUR,
               "checkin_time": TUE + 9 * HOUR, "remark": "忘记打卡"}),
    )
    .await;
    assert_eq!(r["errcode"], json!(0), "{r}");

    // Tuesday's records: as each counts now, zhao's that never came listed as 未打卡.
    let all = data(app, &token, 3, TUE, WED, &["zhang", "li", "zhao"]).await;
    insta::assert_json_snapshot!(all, @r#"
    {
      "checkindata": [
        {
          "checkin_time": 1790039100,
          "checkin_type": "上班打卡",
          "deviceid": "",
          "exception_type": "时间异常",
          "groupid": 1,
          "groupname": "总部考勤",
          "lat": 31230400,
          "lng": 121473700,
          "location_detail": "",
          "location_title": "总部",
          "mediaids": [],
          "notes": "",
          "sch_checkin_time": 1790038800,
          "schedule_id": 0,
          "timeline_id": 1,
          "userid": "zhang",
          "wifimac": "",
          "wifiname": ""
        },
        {
          "checkin_time": 1790056800,
          "checkin_type": "外出打卡",
          "deviceid": "",
          "exception_type": "",
          "groupid": 1,
          "groupname": "总部考勤",
          "lat": 31300000,
          "lng": 121473700,
          "location_detail": "",
          "location_title": "",
          "mediaids": [],
          "notes": "拜访客户",
          "sch_checkin_time": 0,
          "schedule_id": 0,
          "timeline_id": 0,
          "userid": "zhang",
          "wifimac": "",
          "wifiname": ""
        },
        {
          "checkin_time": 1790071770,
          "checkin_type": "下班打卡",
          "deviceid": "前台考勤机",
          "exception_type": "",
          "groupid": 1,
          "groupname": "总部考勤",
          "lat": 31230400,
          "lng": 121473700,
          "location_detail": "",
          "location_title": "总部前台",
          "mediaids": [],
          "notes": "",
          "sch_checkin_time": 1790071200,
          "schedule_id": 0,
          "timeline_id": 1,
          "userid": "zhang",
          "wifimac": "",
          "wifiname": "Office"
        },
        {
          "checkin_time": 1790038800,
          "checkin_type": "上班打卡",
          "deviceid": "",
          "exception_type": "",
          "groupid": 1,
          "groupname": "总部考勤",
          "lat": 0,
          "lng": 0,
          "location_detail": "",
          "location_title": "",
          "mediaids": [],
          "notes": "忘记打卡",
          "sch_checkin_time": 1790038800,
          "schedule_id": 0,
          "timeline_id": 1,
          "userid": "li",
          "wifimac": "",
          "wifiname": ""
        },
        {
          "checkin_time": 1790071205,
          "checkin_type": "下班打卡",
          "deviceid": "前台考勤机",
          "exception_type": "",
          "groupid": 1,
          "groupname": "总部考勤",
          "lat": 0,
          "lng": 0,
          "location_detail": "",
          "location_title": "总部前台",
          "mediaids": [],
          "notes": "",
          "sch_checkin_time": 1790071200,
          "schedule_id": 0,
          "timeline_id": 1,
          "userid": "li",
          "wifimac": "",
          "wifiname": ""
        },
        {
          "checkin_time": 1790038800,
          "checkin_type": "上班打卡",
          "deviceid": "",
          "exception_type": "未打卡",
          "groupid": 1,
          "groupname": "总部考勤",
          "lat": 0,
          "lng": 0,
          "location_detail": "",
          "location_title": "",
          "mediaids": [],
          "notes": "",
          "sch_checkin_time": 1790038800,
          "schedule_id": 0,
          "timeline_id": 1,
          "userid": "zhao",
          "wifimac": "",
          "wifiname": ""
        },
        {
          "checkin_time": 1790071200,
          "checkin_type": "下班打卡",
          "deviceid": "",
          "exception_type": "未打卡",
          "groupid": 1,
          "groupname": "总部考勤",
          "lat": 0,
          "lng": 0,
          "location_detail": "",
          "location_title": "",
          "mediaids": [],
          "notes": "",
          "sch_checkin_time": 1790071200,
          "schedule_id": 0,
          "timeline_id": 1,
          "userid": "zhao",
          "wifimac": "",
          "wifiname": ""
        }
      ],
      "errcode": 0,
      "errmsg": "ok"
    }
    "#);
    let outside = data(app, &token, 2, TUE, WED, &["zhang", "li", "zhao"]).await;
    let types: Vec<&Value> = outside["checkindata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["checkin_type"])
        .collect();
    assert_eq!(types, vec!["外出打卡"]);
    let regular = data(app, &token, 1, TUE, WED, &["zhang", "li", "zhao"]).await;
    assert_eq!(
        regular["checkindata"].as_array().unwrap().len() + 1,
        all["checkindata"].as_array().unwrap().len()
    );

    // The day report: Tuesday, and Wednesday still open (WeCom's clients ask for start + 1 day).
    let r = cgi_post(
        app,
        &token,
        "checkin/getcheckin_daydata",
        json!({"starttime": TUE, "endtime": WED, "useridlist": ["zhang", "li", "zhao"]}),
    )
    .await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    insta::assert_json_snapshot!(r, @r#"
    {
      "datas": [
        {
          "base_info": {
            "acctid": "zhang",
            "date": 1790006400,
            "day_type": 0,
            "departs_name": "测试集团",
            "name": "zhang",
            "name_ex": "",
            "record_type": 1,
            "rule_info": {
              "checkintime": [
                {
                  "off_work_sec": 64800,
                  "work_sec": 32400
                }
              ],
              "groupid": 1,
              "groupname": "总部考勤",
              "scheduleid": 0,
              "schedulename": ""
            }
          },
          "exception_infos": [
            {
              "count": 1,
              "duration": 300,
              "exception": 1
            }
          ],
          "holiday_infos": [],
          "ot_info": {
            "exception_duration": [],
            "holiday_over_as_money": 0,
            "holiday_over_as_vacation": 0,
            "ot_duration": 0,
            "ot_status": 0,
            "restday_over_as_money": 0,
            "restday_over_as_vacation": 0,
            "workday_over_as_money": 0,
            "workday_over_as_vacation": 0
          },
          "sp_items": [
            {
              "count": 1,
              "duration": 0,
              "name": "外勤次数",
              "time_type": 0,
              "type": 100,
              "vacation_id": 0
            }
          ],
          "summary_info": {
            "checkin_count": 3,
            "earliest_time": 32700,
            "lastest_time": 65370,
            "regular_work_sec": 28500,
            "standard_work_sec": 28800
          }
        },
        {
          "base_info": {
            "acctid": "zhang",
            "date": 1790092800,
            "day_type": 0,
            "departs_name": "测试集团",
            "name": "zhang",
            "name_ex": "",
            "record_type": 1,
            "rule_info": {
              "checkintime": [
                {
                  "off_work_sec": 64800,
                  "work_sec": 32400
                }
              ],
              "groupid": 1,
              "groupname": "总部考勤",
              "scheduleid": 0,
              "schedulename": ""
            }
          },
          "exception_infos": [],
          "holiday_infos": [],
          "ot_info": {
            "exception_duration": [],
            "holiday_over_as_money": 0,
            "holiday_over_as_vacation": 0,
            "ot_duration": 0,
            "ot_status": 0,
            "restday_over_as_money": 0,
            "restday_over_as_vacation": 0,
            "workday_over_as_money": 0,
            "workday_over_as_vacation": 0
          },
          "sp_items": [
            {
              "count": 0,
              "duration": 0,
              "name": "外勤次数",
              "time_type": 0,
              "type": 100,
              "vacation_id": 0
            }
          ],
          "summary_info": {
            "checkin_count": 0,
            "earliest_time": 0,
            "lastest_time": 0,
            "regular_work_sec": 0,
            "standard_work_sec": 28800
          }
        },
        {
          "base_info": {
            "acctid": "li",
            "date": 1790006400,
            "day_type": 0,
            "departs_name": "测试集团",
            "name": "李四",
            "name_ex": "",
            "record_type": 1,
            "rule_info": {
              "checkintime": [
                {
                  "off_work_sec": 64800,
                  "work_sec": 32400
                }
              ],
              "groupid": 1,
              "groupname": "总部考勤",
              "scheduleid": 0,
              "schedulename": ""
            }
          },
          "exception_infos": [],
          "holiday_infos": [],
          "ot_info": {
            "exception_duration": [],
            "holiday_over_as_money": 0,
            "holiday_over_as_vacation": 0,
            "ot_duration": 0,
            "ot_status": 0,
            "restday_over_as_money": 0,
            "restday_over_as_vacation": 0,
            "workday_over_as_money": 0,
            "workday_over_as_vacation": 0
          },
          "sp_items": [
            {
              "count": 1,
              "duration": 0,
              "name": "补卡次数",
              "time_type": 0,
              "type": 2,
              "vacation_id": 0
            },
            {
              "count": 0,
              "duration": 0,
              "name": "外勤次数",
              "time_type": 0,
              "type": 100,
              "vacation_id": 0
            }
          ],
          "summary_info": {
            "checkin_count": 2,
            "earliest_time": 32400,
            "lastest_time": 64805,
            "regular_work_sec": 28800,
            "standard_work_sec": 28800
          }
        },
        {
          "base_info": {
            "acctid": "li",
            "date": 1790092800,
            "day_type": 0,
            "departs_name": "测试集团",
            "name": "李四",
            "name_ex": "",
            "record_type": 1,
            "rule_info": {
              "checkintime": [
                {
                  "off_work_sec": 64800,
                  "work_sec": 32400
                }
              ],
              "groupid": 1,
              "groupname": "总部考勤",
              "scheduleid": 0,
              "schedulename": ""
            }
          },
          "exception_infos": [],
          "holiday_infos": [],
          "ot_info": {
            "exception_duration": [],
            "holiday_over_as_money": 0,
            "holiday_over_as_vacation": 0,
            "ot_duration": 0,
            "ot_status": 0,
            "restday_over_as_money": 0,
            "restday_over_as_vacation": 0,
            "workday_over_as_money": 0,
            "workday_over_as_vacation": 0
          },
          "sp_items": [
            {
              "count": 0,
              "duration": 0,
              "name": "外勤次数",
              "time_type": 0,
              "type": 100,
              "vacation_id": 0
            }
          ],
          "summary_info": {
            "checkin_count": 0,
            "earliest_time": 0,
            "lastest_time": 0,
            "regular_work_sec": 0,
            "standard_work_sec": 28800
          }
        },
        {
          "base_info": {
            "acctid": "zhao",
            "date": 1790006400,
            "day_type": 0,
            "departs_name": "测试集团",
            "name": "赵六",
            "name_ex": "",
            "record_type": 1,
            "rule_info": {
              "checkintime": [
                {
                  "off_work_sec": 64800,
                  "work_sec": 32400
                }
              ],
              "groupid": 1,
              "groupname": "总部考勤",
              "scheduleid": 0,
              "schedulename": ""
            }
          },
          "exception_infos": [
            {
              "count": 1,
              "duration": 28800,
              "exception": 4
            }
          ],
          "holiday_infos": [],
          "ot_info": {
            "exception_duration": [],
            "holiday_over_as_money": 0,
            "holiday_over_as_vacation": 0,
            "ot_duration": 0,
            "ot_status": 0,
            "restday_over_as_money": 0,
            "restday_over_as_vacation": 0,
            "workday_over_as_money": 0,
            "workday_over_as_vacation": 0
          },
          "sp_items": [
            {
              "count": 0,
              "duration": 0,
              "name": "外勤次数",
              "time_type": 0,
              "type": 100,
              "vacation_id": 0
            }
          ],
          "summary_info": {
            "checkin_count": 0,
            "earliest_time": 0,
            "lastest_time": 0,
            "regular_work_sec": 0,
            "standard_work_sec": 28800
          }
        },
        {
          "base_info": {
            "acctid": "zhao",
            "date": 1790092800,
            "day_type": 0,
            "departs_name": "测试集团",
            "name": "赵六",
            "name_ex": "",
            "record_type": 1,
            "rule_info": {
              "checkintime": [
                {
                  "off_work_sec": 64800,
                  "work_sec": 32400
                }
              ],
              "groupid": 1,
              "groupname": "总部考勤",
              "scheduleid": 0,
              "schedulename": ""
            }
          },
          "exception_infos": [],
          "holiday_infos": [],
          "ot_info": {
            "exception_duration": [],
            "holiday_over_as_money": 0,
            "holiday_over_as_vacation": 0,
            "ot_duration": 0,
            "ot_status": 0,
            "restday_over_as_money": 0,
            "restday_over_as_vacation": 0,
            "workday_over_as_money": 0,
            "workday_over_as_vacation": 0
          },
          "sp_items": [
            {
              "count": 0,
              "duration": 0,
              "name": "外勤次数",
              "time_type": 0,
              "type": 100,
              "vacation_id": 0
            }
          ],
          "summary_info": {
            "checkin_count": 0,
            "earliest_time": 0,
            "lastest_time": 0,
            "regular_work_sec": 0,
            "standard_work_sec": 28800
          }
        }
      ],
      "errcode": 0,
      "errmsg": "ok"
    }
    "#);
    // The month report over the same days.
    let r = cgi_post(
        app,
        &token,
        "checkin/getcheckin_monthdata",
        json!({"starttime": TUE, "endtime": WED, "useridlist": ["zhang", "li", "zhao"]}),
    )
    .await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    insta::assert_json_snapshot!(r, @r#"
    {
      "datas": [
        {
          "base_info": {
            "acctid": "zhang",
            "departs_name": "测试集团",
            "name": "zhang",
            "name_ex": "",
            "record_type": 1,
            "rule_info": {
              "groupid": 1,
              "groupname": "总部考勤"
            }
          },
          "exception_infos": [
            {
              "count": 1,
              "duration": 300,
              "exception": 1
            }
          ],
          "overwork_info": {
            "holidays_over_as_money": 0,
            "holidays_over_as_vacation": 0,
            "holidays_over_sec": 0,
            "restdays_over_as_money": 0,
            "restdays_over_as_vacation": 0,
            "restdays_over_sec": 0,
            "workday_over_sec": 0,
            "workdays_over_as_money": 0,
            "workdays_over_as_vacation": 0
          },
          "sp_items": [
            {
              "count": 1,
              "duration": 0,
              "name": "外勤次数",
              "time_type": 0,
              "type": 100,
              "vacation_id": 0
            }
          ],
          "summary_info": {
            "except_days": 1,
            "regular_days": 0,
            "regular_work_sec": 28500,
            "rest_days": 0,
            "standard_work_sec": 28800,
            "work_days": 1
          }
        },
        {
          "base_info": {
            "acctid": "li",
            "departs_name": "测试集团",
            "name": "李四",
            "name_ex": "",
            "record_type": 1,
            "rule_info": {
              "groupid": 1,
              "groupname": "总部考勤"
            }
          },
          "exception_infos": [],
          "overwork_info": {
            "holidays_over_as_money": 0,
            "holidays_over_as_vacation": 0,
            "holidays_over_sec": 0,
            "restdays_over_as_money": 0,
            "restdays_over_as_vacation": 0,
            "restdays_over_sec": 0,
            "workday_over_sec": 0,
            "workdays_over_as_money": 0,
            "workdays_over_as_vacation": 0
          },
          "sp_items": [
            {
              "count": 1,
              "duration": 0,
              "name": "补卡次数",
              "time_type": 0,
              "type": 2,
              "vacation_id": 0
            },
            {
              "count": 0,
              "duration": 0,
              "name": "外勤次数",
              "time_type": 0,
              "type": 100,
              "vacation_id": 0
            }
          ],
          "summary_info": {
            "except_days": 0,
            "regular_days": 1,
            "regular_work_sec": 28800,
            "rest_days": 0,
            "standard_work_sec": 28800,
            "work_days": 1
          }
        },
        {
          "base_info": {
            "acctid": "zhao",
            "departs_name": "测试集团",
            "name": "赵六",
            "name_ex": "",
            "record_type": 1,
            "rule_info": {
              "groupid": 1,
              "groupname": "总部考勤"
            }
          },
          "exception_infos": [
            {
              "count": 1,
              "duration": 28800,
              "exception": 4
            }
          ],
          "overwork_info": {
            "holidays_over_as_money": 0,
            "holidays_over_as_vacation": 0,
            "holidays_over_sec": 0,
            "restdays_over_as_money": 0,
            "restdays_over_as_vacation": 0,
            "restdays_over_sec": 0,
            "workday_over_sec": 0,
            "workdays_over_as_money": 0,
            "workdays_over_as_vacation": 0
          },
          "sp_items": [
            {
              "count": 0,
              "duration": 0,
              "name": "外勤次数",
              "time_type": 0,
              "type": 100,
              "vacation_id": 0
            }
          ],
          "summary_info": {
            "except_days": 1,
            "regular_days": 0,
            "regular_work_sec": 0,
            "rest_days": 0,
            "standard_work_sec": 28800,
            "work_days": 1
          }
        }
      ],
      "errcode": 0,
      "errmsg": "ok"
    }
    "#);

    // The member sees the same day in Qixie: the device's and the make-up clock-ins count.
    let (s, month) = zhang.get("/api/v1/attendance/me/month?month=2026-09").await;
    assert_eq!(s, StatusCode::OK, "{month}");
    let tuesday = month["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == "2026-09-22")
        .unwrap();
    assert_eq!(
        (
            &tuesday["status"],
            &tuesday["late_minutes"],
            &tuesday["work_minutes"]
        ),
        (&json!("late"), &json!(5), &json!(475))
    );
    let (s, mine) = zhang
        .get("/api/v1/attendance/me/clock-ins?from=2026-09-22&to=2026-09-22")
        .await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    let sources: Vec<(&Value, &Value)> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (&c["source"], &c["kind"]))
        .collect();
    assert_eq!(
        sources,
        vec![
            (&json!("device"), &json!("off")),
            (&json!("web"), &json!("off")),
            (&json!("web"), &json!("on"))
        ]
    );

    // Limits: the kind, the span, the member list.
    let r = cgi_post(
        app,
        &token,
        "checkin/getcheckindata",
        json!({"opencheckindatatype": 4, "starttime": TUE, "endtime": WED, "useridlist": ["li"]}),
    )
    .await;
    refused(&r, 301075, "opencheckindatatype: unknown");
    for (start, end) in [
        (TUE, TUE),
        (WED, TUE),
        (TUE - 30 * 86_400, TUE + 1),
        (0, TUE),
    ] {
        let r = cgi_post(
            app,
            &token,
            "checkin/getcheckindata",
            json!({"opencheckindatatype": 3, "starttime": start, "endtime": end, "useridlist": ["li"]}),
        )
        .await;
        assert_eq!(r["errcode"], json!(301024), "{start} {end}: {r}");
    }
    let r = cgi_post(
        app,
        &token,
        "checkin/getcheckin_daydata",
        json!({"starttime": TUE - 32 * 86_400, "endtime": TUE, "useridlist": ["li"]}),
    )
    .await;
    assert_eq!(r["errcode"], json!(301024), "{r}");
    let r = cgi_post(
        app,
        &token,
        "checkin/getcheckin_monthdata",
        json!({"starttime": TUE, "endtime": WED, "useridlist": []}),
    )
    .await;
    assert_eq!(r["errcode"], json!(301023), "{r}");
    let r = cgi_post(
        app,
        &token,
        "checkin/getcheckin_daydata",
        json!({"starttime": TUE, "endtime": WED, "useridlist": ["ghost"]}),
    )
    .await;
    refused(&r, 301021, "useridlist.0: not_found");
});

both!(devices_and_make_up_clock_ins, async |app: &TestApp| {
    let boss = app.admin().await;
    member(&boss, "li", "李四", 1).await;
    member(&boss, "qian", "钱七", 1).await;
    office_rule(&boss, &["qian"]).await;
    set_clock(app, WED + 10 * HOUR);
    let token = att_token(app, "考勤机对接", json!({})).await;
    let record = |extra: Value| {
        let mut r =
            json!({"userid": "li", "checkin_time": TUE + 9 * HOUR, "device_detail": "前台考勤机"});
        for (k, v) in extra.as_object().unwrap() {
            r[k] = v.clone();
        }
        json!({"records": [r]})
    };
    let add = async |body: Value| cgi_post(app, &token, "checkin/add_checkin_record", body).await;

    // A photo uploaded with media/upload becomes li's own file.
    let photo = cgi_upload(
        app,
        &token,
        "face.jpg",
        b"\xff\xd8\xff\xe0 not much of a photo",
    )
    .await;
    let r = add(record(json!({"mediaids": [photo]}))).await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    let r = data(app, &token, 3, TUE, WED, &["li"]).await;
    let first = &r["checkindata"][0];
    assert_eq!(
        (
            &first["checkin_type"],
            &first["deviceid"],
            &first["exception_type"]
        ),
        (&json!("上班打卡"), &json!("前台考勤机"), &json!(""))
    );
    let media = first["mediaids"].as_array().unwrap();
    assert_eq!(media.len(), 1);
    assert_ne!(media[0], json!(photo));

    // 1–200 records, each dated and placed sensibly, for members with a rule.
    refused(&add(json!({"records": []})).await, 301075, "records: count");
    let many: Vec<Value> = (0..201)
        .map(|i| json!({"userid": "li", "checkin_time": TUE + i}))
        .collect();
    refused(
        &add(json!({"records": many})).await,
        301075,
        "records: count",
    );
    refused(
        &add(record(json!({"checkin_time": WED + 11 * HOUR}))).await,
        301075,
        "records.0.checkin_time: range",
    );
    refused(
        &add(record(json!({"lat": 31_230_400}))).await,
        301075,
        "records.0.lng: required",
    );
    refused(
        &add(record(json!({"userid": "qian"}))).await,
        301021,
        "records.0.userid",
    );
    refused(
        &add(record(json!({"userid": "ghost"}))).await,
        301021,
        "records.0.userid: not_found",
    );
    refused(
        &add(record(json!({"mediaids": ["nosuchmedia"]}))).await,
        40007,
        "records.0.mediaids.0: not_found",
    );
    refused(
        &add(record(json!({"notes": "长".repeat(201)}))).await,
        301075,
        "records.0.notes: too_long",
    );

    // Make-up clock-ins: for a day not in the future, at a time near it, for a section it has.
    let correct = async |extra: Value| {
        let mut b = json!({"userid": "li", "schedule_date_time": TUE, "schedule_checkin_time": 18 * HOUR,
            "checkin_time": TUE + 18 * HOUR, "remark": "忘记打卡"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        cgi_post(app, &token, "checkin/punch_correction", b).await
    };
    refused(
        &correct(
            json!({"schedule_date_time": WED + 86_400, "checkin_time": WED + 86_400 + 9 * HOUR}),
        )
        .await,
        301075,
        "schedule_date_time: range",
    );
    refused(
        &correct(json!({"checkin_time": TUE - 13 * HOUR})).await,
        301075,
        "checkin_time: range",
    );
    refused(
        &correct(json!({"schedule_checkin_time": 10 * HOUR})).await,
        301075,
        "schedule_checkin_time: not_found",
    );
    refused(
        &correct(json!({"remark": "长".repeat(200)})).await,
        301075,
        "remark: too_long",
    );
    refused(&correct(json!({"userid": "qian"})).await, 301021, "userid");
    let r = correct(json!({})).await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    let r = data(app, &token, 3, TUE, WED, &["li"]).await;
    let kinds: Vec<(&Value, &Value, &Value)> = r["checkindata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (&c["checkin_type"], &c["sch_checkin_time"], &c["notes"]))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (&json!("上班打卡"), &json!(TUE + 9 * HOUR), &json!("")),
            (
                &json!("下班打卡"),
                &json!(TUE + 18 * HOUR),
                &json!("忘记打卡")
            )
        ]
    );
});

both!(schedules_both_ways, async |app: &TestApp| {
    let boss = app.admin().await;
    member(&boss, "zhang", "张三", 1).await;
    member(&boss, "li", "李四", 1).await;
    office_rule(&boss, &[]).await;
    let token = att_token(app, "排班助手", json!({})).await;
    let r = cgi_post(
        app,
        &token,
        "checkin/add_checkin_option",
        json!({"group": {"grouptype": 2, "groupname": "门店排班", "range": {"userid": ["zhang"]},
            "schedulelist": [
                {"schedule_name": "早班", "time_section": [{"work_sec": 25_200, "off_work_sec": 54_000}], "limit_aheadtime": 3_600_000},
                {"schedule_name": "夜班", "time_section": [{"work_sec": 79_200, "off_work_sec": 108_000}], "limit_aheadtime": 3_600_000}]}}),
    )
    .await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    let g = group_named(app, &token, "门店排班").await;
    let groupid = g["groupid"].clone();
    let ids: Vec<&Value> = g["schedulelist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["schedule_id"])
        .collect();
    assert_eq!(ids, vec![1, 2]);
    let set = async |body: Value| cgi_post(app, &token, "checkin/setcheckinschedulist", body).await;
    let r = set(json!({"groupid": groupid, "yearmonth": 202609, "items": [
        {"userid": "zhang", "day": 22, "schedule_id": 1},
        {"userid": "zhang", "day": 23, "schedule_id": 2},
        {"userid": "zhang", "day": 30, "schedule_id": 0}]}))
    .await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    let r = set(
        json!({"groupid": groupid, "yearmonth": 202610, "items": [{"userid": "zhang", "day": 1, "schedule_id": 1}]}),
    )
    .await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    // From 2026-09-22 to 2026-10-01: one entry per month; li follows no scheduled rule.
    let r = cgi_post(
        app,
        &token,
        "checkin/getcheckinschedulist",
        json!({"starttime": TUE, "endtime": TUE + 9 * 86_400, "useridlist": ["zhang", "li"]}),
    )
    .await;
    insta::assert_json_snapshot!(r, @r#"
    {
      "errcode": 0,
      "errmsg": "ok",
      "schedule_list": [
        {
          "groupid": 2,
          "groupname": "门店排班",
          "schedule": {
            "scheduleList": [
              {
                "day": 22,
                "schedule_info": {
                  "schedule_id": 1,
                  "schedule_name": "早班",
                  "time_section": [
                    {
                      "allow_rest": false,
                      "earliest_off_work_sec": 25200,
                      "earliest_work_sec": 21600,
                      "id": 1,
                      "latest_off_work_sec": 75600,
                      "latest_work_sec": 39600,
                      "no_need_checkoff": false,
                      "no_need_checkon": false,
                      "off_work_sec": 54000,
                      "remind_off_work_sec": 0,
                      "remind_work_sec": 0,
                      "rest_begin_time": 0,
                      "rest_end_time": 0,
                      "rest_times": [],
                      "work_sec": 25200
                    }
                  ]
                }
              },
              {
                "day": 23,
                "schedule_info": {
                  "schedule_id": 2,
                  "schedule_name": "夜班",
                  "time_section": [
                    {
                      "allow_rest": false,
                      "earliest_off_work_sec": 79200,
                      "earliest_work_sec": 75600,
                      "id": 1,
                      "latest_off_work_sec": 129600,
                      "latest_work_sec": 93600,
                      "no_need_checkoff": false,
                      "no_need_checkon": false,
                      "off_work_sec": 108000,
                      "remind_off_work_sec": 0,
                      "remind_work_sec": 0,
                      "rest_begin_time": 0,
                      "rest_end_time": 0,
                      "rest_times": [],
                      "work_sec": 79200
                    }
                  ]
                }
              },
              {
                "day": 30,
                "schedule_info": {
                  "schedule_id": 0,
                  "schedule_name": "休息",
                  "time_section": []
                }
              }
            ]
          },
          "userid": "zhang",
          "yearmonth": 202609
        },
        {
          "groupid": 2,
          "groupname": "门店排班",
          "schedule": {
            "scheduleList": [
              {
                "day": 1,
                "schedule_info": {
                  "schedule_id": 1,
                  "schedule_name": "早班",
                  "time_section": [
                    {
                      "allow_rest": false,
                      "earliest_off_work_sec": 25200,
                      "earliest_work_sec": 21600,
                      "id": 1,
                      "latest_off_work_sec": 75600,
                      "latest_work_sec": 39600,
                      "no_need_checkoff": false,
                      "no_need_checkon": false,
                      "off_work_sec": 54000,
                      "remind_off_work_sec": 0,
                      "remind_work_sec": 0,
                      "rest_begin_time": 0,
                      "rest_end_time": 0,
                      "rest_times": [],
                      "work_sec": 25200
                    }
                  ]
                }
              }
            ]
          },
          "userid": "zhang",
          "yearmonth": 202610
        }
      ]
    }
    "#);
    // The shift counts: Tuesday is an early shift in zhang's month.
    let (s, grid) = boss
        .get(&format!(
            "/api/v1/attendance/rules/{}/schedule?month=2026-09",
            group_rule_id(&boss, "门店排班").await
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{grid}");
    assert_eq!(
        grid["members"][0]["days"],
        json!({"2026-09-22": 1, "2026-09-23": 2, "2026-09-30": 0})
    );

    // Mistakes.
    let item = |userid: &str, day: i64, shift: i64| json!({"groupid": groupid, "yearmonth": 202609, "items": [{"userid": userid, "day": day, "schedule_id": shift}]});
    refused(
        &set(item("zhang", 24, 9)).await,
        301075,
        "items.0.schedule_id: not_found",
    );
    refused(
        &set(item("zhang", 31, 1)).await,
        301075,
        "items.0.day: invalid",
    );
    refused(
        &set(item("li", 24, 1)).await,
        301075,
        "items.0.userid: not_found",
    );
    refused(&set(item("ghost", 24, 1)).await, 301021, "items.0.userid");
    let mut b = item("zhang", 24, 1);
    b["yearmonth"] = json!(202613);
    refused(&set(b).await, 301075, "yearmonth: invalid");
    let office = group_named(app, &token, "总部考勤").await["groupid"].clone();
    let mut b = item("zhang", 24, 1);
    b["groupid"] = office;
    refused(&set(b).await, 301075, "groupid: unsupported");
    let r = cgi_post(
        app,
        &token,
        "checkin/getcheckinschedulist",
        json!({"starttime": TUE, "endtime": TUE + 32 * 86_400, "useridlist": ["zhang"]}),
    )
    .await;
    assert_eq!(r["errcode"], json!(301024), "{r}");
});

/// The native id of the rule named `name`.
async fn group_rule_id(boss: &Client, name: &str) -> String {
    let (_, list) = boss.get("/api/v1/attendance/rules").await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

both!(
    the_attendance_scope_and_the_visible_range,
    async |app: &TestApp| {
        let boss = app.admin().await;
        let sales = dept(&boss, "销售部", 1).await;
        member(&boss, "zhang", "张三", 1).await;
        member(&boss, "wang", "王五", sales).await;
        office_rule(&boss, &[]).await;
        set_clock(app, WED + 10 * HOUR);
        let token = att_token(app, "考勤助手", json!({})).await;
        let office = group_named(app, &token, "总部考勤").await["groupid"].clone();

        // Without the scope, every call is refused with 60011.
        let plain = app_token(app, json!({"name": "通讯录", "scopes": ["contacts.read"]})).await;
        let users = json!(["zhang"]);
        let calls = [
            ("checkin/add_checkin_option", json!({"group": developers()})),
            (
                "checkin/update_checkin_option",
                json!({"group": {"groupid": office, "groupname": "x"}}),
            ),
            ("checkin/del_checkin_option", json!({"groupid": office})),
            (
                "checkin/clear_checkin_option_array_field",
                json!({"groupid": office, "clear_field": [3]}),
            ),
            ("checkin/getcorpcheckinoption", json!({})),
            (
                "checkin/getcheckinoption",
                json!({"datetime": TUE, "useridlist": users}),
            ),
            (
                "checkin/getcheckindata",
                json!({"opencheckindatatype": 3, "starttime": TUE, "endtime": WED, "useridlist": users}),
            ),
            (
                "checkin/getcheckin_daydata",
                json!({"starttime": TUE, "endtime": WED, "useridlist": users}),
            ),
            (
                "checkin/getcheckin_monthdata",
                json!({"starttime": TUE, "endtime": WED, "useridlist": users}),
            ),
            (
                "checkin/getcheckinschedulist",
                json!({"starttime": TUE, "endtime": WED, "useridlist": users}),
            ),
            (
                "checkin/setcheckinschedulist",
                json!({"groupid": office, "yearmonth": 202609, "items": [{"userid": "zhang", "day": 22, "schedule_id": 0}]}),
            ),
            (
                "checkin/punch_correction",
                json!({"userid": "zhang", "schedule_date_time": TUE, "checkin_time": TUE + 9 * HOUR}),
            ),
            (
                "checkin/add_checkin_record",
                json!({"records": [{"userid": "zhang", "checkin_time": TUE + 9 * HOUR}]}),
            ),
        ];
        for (path, body) in &calls {
            let r = cgi_post(app, &plain, path, body.clone()).await;
            assert_eq!(r["errcode"], json!(60011), "{path}: {r}");
        }

        // An app visible to the sales department reaches wang, and not zhang: 301021.
        let sales_app =
            att_token(app, "销售考勤", json!({"visible_department_ids": [sales]})).await;
        for (path, body) in &calls[5..] {
            let r = cgi_post(app, &sales_app, path, body.clone()).await;
            assert_eq!(r["errcode"], json!(301021), "{path}: {r}");
            assert!(errmsg(&r).contains("out_of_scope"), "{path}: {r}");
        }
        // Tuesday's clock-in and clock-out never came.
        let r = data(app, &sales_app, 3, TUE, WED, &["wang"]).await;
        let missed: Vec<(&Value, &Value)> = r["checkindata"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (&c["checkin_type"], &c["exception_type"]))
            .collect();
        assert_eq!(
            missed,
            vec![
                (&json!("上班打卡"), &json!("未打卡")),
                (&json!("下班打卡"), &json!("未打卡"))
            ]
        );
        // Its rules cover only what it sees.
        let mut g = developers();
        g["range"] = json!({"partyid": [1]});
        refused(
            &cgi_post(
                app,
                &sales_app,
                "checkin/add_checkin_option",
                json!({"group": g}),
            )
            .await,
            301075,
            "group.range: out_of_scope",
        );
        let mut g = developers();
        g["range"] = json!({"party_id": [sales.to_string()]});
        let r = cgi_post(
            app,
            &sales_app,
            "checkin/add_checkin_option",
            json!({"group": g}),
        )
        .await;
        assert_eq!(r["errcode"], json!(0), "{r}");
        let r = cgi_post(
            app,
            &sales_app,
            "checkin/getcheckinoption",
            json!({"datetime": WED, "useridlist": ["wang"]}),
        )
        .await;
        assert_eq!(
            r["info"][0]["group"]["range"],
            json!({"partyid": [sales], "party_id": [sales.to_string()], "userid": [], "tagid": []})
        );
    }
);
