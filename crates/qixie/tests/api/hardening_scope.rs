//! The rank rule and scope confinement: a scoped administrator never manages someone at or above
//! their own rank, and stays inside their departments for tags, leaders, successors and the audit
//! log; apps never manage administrators and reach only their visible range.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::*;

/// The scoped administrator's rights, over 华东.
const HR: [&str; 4] = [
    "contacts.manage",
    "contacts.import",
    "roles.manage",
    "audit.read",
];

/// 华东 and 华南 under the root; "hr" administers 华东 with `HR`.
struct Org {
    boss: Client,
    hr: Client,
    east: i64,
    south: i64,
}

async fn org(app: &TestApp) -> Org {
    let boss = app.admin().await;
    let east = dept(&boss, "华东", 1).await;
    let south = dept(&boss, "华南", 1).await;
    let hr = app
        .member_with_password(&boss, "hr", &[east], "Scoped2026h")
        .await;
    make_admin(&boss, "hr", &HR, east).await;
    Org {
        boss,
        hr,
        east,
        south,
    }
}

async fn make_admin(boss: &Client, userid: &str, perms: &[&str], dept: i64) {
    let (s, b) = boss
        .call(
            Method::PUT,
            &format!("/api/v1/admin/admins/{userid}"),
            Some(json!({"permissions": perms, "scope": {"all": false, "department_ids": [dept]}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

async fn add_member(boss: &Client, userid: &str, departments: &[i64]) {
    let (s, b) = boss
        .post(
            "/api/v1/admin/members",
            json!({"userid": userid, "name": userid, "department_ids": departments, "initial_password": "Initial2026"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

/// Every change an administrator can make to a member, as (method, path, body).
fn changes(userid: &str, successor: &str) -> Vec<(Method, String, Option<Value>)> {
    let m = |p: &str| format!("/api/v1/admin/members/{userid}{p}");
    vec![
        (
            Method::PATCH,
            m(""),
            Some(json!({"position": "taken over"})),
        ),
        (
            Method::POST,
            m("/reset-password"),
            Some(json!({"password": "Hijacked2026"})),
        ),
        (Method::POST, m("/freeze"), Some(json!({}))),
        (Method::POST, m("/signout-all"), Some(json!({}))),
        (Method::POST, m("/unlock"), Some(json!({}))),
        (
            Method::POST,
            m("/offboard"),
            Some(json!({"successor_userid": successor})),
        ),
        (Method::DELETE, m(""), None),
        (
            Method::PUT,
            format!("/api/v1/admin/admins/{userid}"),
            Some(
                json!({"permissions": ["audit.read"], "scope": {"all": false, "department_ids": []}}),
            ),
        ),
        (
            Method::DELETE,
            format!("/api/v1/admin/admins/{userid}"),
            None,
        ),
    ]
}

both!(
    scoped_admin_cannot_manage_a_super_admin_in_their_subtree,
    async |app: &TestApp| {
        let o = org(app).await;
        // A second super administrator who happens to sit in 华东.
        add_member(&o.boss, "chief", &[o.east]).await;
        let (s, b) = o
            .boss
            .call(
                Method::PUT,
                "/api/v1/admin/admins/chief",
                Some(json!({"is_super": true, "scope": {"all": true}})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        add_member(&o.boss, "heir", &[o.east]).await;
        for (method, path, body) in changes("chief", "heir") {
            let (s, b) = o.hr.call(method.clone(), &path, body).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}: {b}");
            assert_eq!(code(&b), "target_outranks_you", "{method} {path}: {b}");
        }
        // Nothing changed: the super administrator signs in with the old password, still super.
        let chief = app.login("chief", "Initial2026").await;
        let (s, me) = chief.get("/api/v1/me").await;
        assert_eq!(s, StatusCode::OK, "{me}");
        let (_, admins) = o.boss.get("/api/v1/admin/admins").await;
        let row = admins["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["userid"] == "chief")
            .cloned()
            .unwrap_or_default();
        assert_eq!(row["is_super"], json!(true), "{admins}");
        let (_, m) = o.boss.get("/api/v1/admin/members/chief").await;
        assert_ne!(m["member"]["position"], json!("taken over"), "{m}");
        // Looking is not managing: the member's card is still visible to the scoped administrator.
        let (s, _) = o.hr.get("/api/v1/admin/members/chief").await;
        assert_eq!(s, StatusCode::OK);
    }
);

both!(
    scoped_admin_cannot_manage_a_peer_but_manages_a_lesser_admin,
    async |app: &TestApp| {
        let o = org(app).await;
        add_member(&o.boss, "peer", &[o.east]).await;
        make_admin(&o.boss, "peer", &HR, o.east).await;
        add_member(&o.boss, "wider", &[o.east]).await;
        make_admin(&o.boss, "wider", &["contacts.manage"], 1).await;
        add_member(&o.boss, "clerk", &[o.east]).await;
        make_admin(&o.boss, "clerk", &["audit.read"], o.east).await;
        for target in ["peer", "wider"] {
            let (s, b) =
                o.hr.patch(
                    &format!("/api/v1/admin/members/{target}"),
                    json!({"position": "x"}),
                )
                .await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{target}: {b}");
            assert_eq!(code(&b), "target_outranks_you");
        }
        let (s, b) =
            o.hr.patch("/api/v1/admin/members/clerk", json!({"position": "审计"}))
                .await;
        assert_eq!(s, StatusCode::OK, "a lesser administrator is managed: {b}");
        // Administering oneself is not managing someone above oneself.
        let (s, b) =
            o.hr.patch("/api/v1/admin/members/hr", json!({"position": "人事"}))
                .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        // An import cannot change an administrator the importer does not outrank.
        let csv = "姓名,帐号,部门,职务\npeer,peer,华东,改\n"
            .as_bytes()
            .to_vec();
        let (s, b) =
            o.hr.upload("/api/v1/admin/members/import", "m.csv", csv, &[])
                .await;
        assert!(
            s.is_success() || s == StatusCode::UNPROCESSABLE_ENTITY,
            "{s} {b}"
        );
        assert!(b.to_string().contains("outranks_you"), "{b}");
        let (_, m) = o.boss.get("/api/v1/admin/members/peer").await;
        assert_ne!(m["member"]["position"], json!("改"), "{m}");
    }
);

both!(
    scoped_admin_is_confined_for_tags_leaders_successors_and_audit,
    async |app: &TestApp| {
        let o = org(app).await;
        add_member(&o.boss, "e1", &[o.east]).await;
        add_member(&o.boss, "s1", &[o.south]).await;
        // A tag with one member on each side.
        let (_, t) = o
            .boss
            .post("/api/v1/admin/tags", json!({"name": "骨干"}))
            .await;
        let tag = t["tag"]["id"].as_i64().unwrap();
        let (s, b) = o
            .boss
            .post(
                &format!("/api/v1/admin/tags/{tag}/members"),
                json!({"userids": ["e1", "s1"], "department_ids": [o.south]}),
            )
            .await;
        assert!(s.is_success(), "{b}");
        let (s, b) = o.hr.get(&format!("/api/v1/admin/tags/{tag}/members")).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let shown: Vec<&str> = b["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["userid"].as_str().unwrap())
            .collect();
        assert_eq!(shown, vec!["e1"], "{b}");
        assert_eq!(b["department_ids"], json!([]), "{b}");
        // Renaming or deleting the tag would change it for people outside the scope.
        let (s, b) =
            o.hr.patch(
                &format!("/api/v1/admin/tags/{tag}"),
                json!({"name": "改名"}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
        let (s, b) = o.hr.delete(&format!("/api/v1/admin/tags/{tag}")).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
        let (_, b) = o
            .boss
            .get(&format!("/api/v1/admin/tags/{tag}/members"))
            .await;
        assert_eq!(b["items"].as_array().unwrap().len(), 2, "{b}");

        // A leader or successor outside the scope cannot be named.
        let (s, b) =
            o.hr.patch("/api/v1/admin/members/e1", json!({"leader_userid": "s1"}))
                .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
        let (s, b) = o
            .hr
            .post(
                "/api/v1/admin/members",
                json!({"userid": "e2", "name": "e2", "department_ids": [o.east], "leader_userid": "s1"}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
        let (s, b) =
            o.hr.post(
                "/api/v1/admin/members/e1/offboard",
                json!({"successor_userid": "s1"}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
        let (_, m) = o.boss.get("/api/v1/admin/members/e1").await;
        assert_eq!(m["member"]["status"], json!("not_activated"), "{m}");
        // Inside the scope both work.
        let (s, b) =
            o.hr.patch("/api/v1/admin/members/e1", json!({"leader_userid": "hr"}))
                .await;
        assert_eq!(s, StatusCode::OK, "{b}");

        // The audit log: the scoped reader sees entries by or about 华东 people, none about 华南.
        let (s, b) = o
            .boss
            .patch("/api/v1/admin/members/s1", json!({"position": "南"}))
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (s, log) = o.hr.get("/api/v1/admin/audit?limit=500").await;
        assert_eq!(s, StatusCode::OK, "{log}");
        let targets: Vec<String> = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["target"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert!(targets.iter().any(|t| t == "member:e1"), "{targets:?}");
        assert!(!targets.iter().any(|t| t == "member:s1"), "{targets:?}");
        assert!(
            !targets
                .iter()
                .any(|t| t == &format!("department:{}", o.south)),
            "{targets:?}"
        );
        assert_eq!(log["total"].as_i64().unwrap() as usize, targets.len());
        let (_, all) = o.boss.get("/api/v1/admin/audit?limit=500").await;
        assert!(all.to_string().contains("member:s1"), "{all}");
        let (s, csv) = o.hr.get("/api/v1/admin/audit/export").await;
        assert_eq!(s, StatusCode::OK);
        assert!(csv.to_string().contains("member:e1"), "{csv}");
        assert!(!csv.to_string().contains("member:s1"), "{csv}");
    }
);

both!(apps_never_manage_administrators, async |app: &TestApp| {
    let o = org(app).await;
    let token = app_token(
        app,
        json!({"name": "HR 系统", "scopes": ["contacts.read", "contacts.write"]}),
    )
    .await;
    for target in [ADMIN, "hr"] {
        let r = cgi_post(
            app,
            &token,
            "user/update",
            json!({"userid": target, "position": "app"}),
        )
        .await;
        assert_eq!(r["errcode"], json!(60011), "update {target}: {r}");
        let r: Value = reqwest::get(format!(
            "{}/cgi-bin/user/delete?access_token={token}&userid={target}",
            app.base
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        // The creator is refused as such first (301005), any other administrator by the rank rule.
        let expected = if target == ADMIN { 301005 } else { 60011 };
        assert_eq!(r["errcode"], json!(expected), "delete {target}: {r}");
        let r = cgi_post(
            app,
            &token,
            "user/batchdelete",
            json!({"useridlist": [target]}),
        )
        .await;
        assert_eq!(r["errcode"], json!(60011), "batchdelete {target}: {r}");
    }
    // An ordinary member is still the app's to change.
    add_member(&o.boss, "e1", &[o.east]).await;
    let r = cgi_post(
        app,
        &token,
        "user/update",
        json!({"userid": "e1", "position": "app"}),
    )
    .await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    let (_, m) = o.boss.get("/api/v1/admin/members/hr").await;
    assert_ne!(m["member"]["position"], json!("app"), "{m}");
    let (s, _) = o.hr.get("/api/v1/me").await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the administrator still exists and is signed in"
    );
});

both!(
    app_messages_and_groups_reach_only_the_visible_range,
    async |app: &TestApp| {
        let o = org(app).await;
        add_member(&o.boss, "e1", &[o.east]).await;
        add_member(&o.boss, "e2", &[o.east]).await;
        let s1 = app
            .member_with_password(&o.boss, "s1", &[o.south], "Outside2026")
            .await;
        add_member(&o.boss, "s2", &[o.south]).await;
        let token = app_token(app,
            json!({"name": "华东助手", "scopes": ["message"], "visible_department_ids": [o.east], "visible_userids": ["s2"]}),
        )
        .await;
        let r = cgi_post(
            app,
            &token,
            "message/send",
            json!({"touser": "e1|s1|s2", "msgtype": "text", "text": {"content": "hi"}}),
        )
        .await;
        assert_eq!(r["errcode"], json!(0), "{r}");
        assert_eq!(r["invaliduser"], json!("s1"), "{r}");
        let r = cgi_post(
            app,
            &token,
            "message/send",
            json!({"toparty": o.south.to_string(), "msgtype": "text", "text": {"content": "hi"}}),
        )
        .await;
        // 华南 is outside the range except for s2, named one by one.
        assert_eq!(r["errcode"], json!(0), "{r}");
        let r = cgi_post(
            app,
            &token,
            "appchat/create",
            json!({"name": "g", "owner": "e1", "userlist": ["e1", "e2", "s1"]}),
        )
        .await;
        assert_eq!(r["errcode"], json!(0), "{r}");
        assert_eq!(r["invaliduser"], json!("s1"), "{r}");
        let chatid = r["chatid"].as_str().unwrap().to_owned();
        let r: Value = reqwest::get(format!(
            "{}/cgi-bin/appchat/get?access_token={token}&chatid={chatid}",
            app.base
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        let members = r["chat_info"]["userlist"].to_string();
        assert!(!members.contains("s1"), "{r}");
        let r = cgi_post(
            app,
            &token,
            "appchat/update",
            json!({"chatid": chatid, "add_user_list": ["s1"]}),
        )
        .await;
        assert_ne!(r["errcode"], json!(0), "{r}");
        let r = cgi_post(
            app,
            &token,
            "appchat/create",
            json!({"name": "g", "userlist": ["s1", "e1"]}),
        )
        .await;
        assert_ne!(r["errcode"], json!(0), "one member left is no group: {r}");
        // s1 received nothing from the app.
        let (s, convs) = s1.get("/api/v1/chat/conversations").await;
        assert_eq!(s, StatusCode::OK, "{convs}");
        assert!(!convs.to_string().contains("华东助手"), "{convs}");
    }
);
