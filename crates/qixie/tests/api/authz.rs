//! The authorization matrix: every native route × every role × {own object, object in scope, object
//! out of scope, another enterprise's object} → allowed or denied. A new route without an entry here
//! fails the test.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::*;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    Super,
    Scoped,
    Employee,
    /// The super administrator of another enterprise.
    Foreign,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Obj {
    None,
    Own,
    InScope,
    OutOfScope,
    OtherCorp,
    /// A member inside the scoped administrator's scope who is an administrator of the same rank:
    /// visible to them, never theirs to change (the rank rule).
    PeerAdmin,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Need {
    Public,
    Session,
    Permission,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// No object: corp-level or self.
    Plain,
    Member,
    /// Member routes that would end the caller's own session: "own" is not exercised.
    MemberNotOwn,
    Department,
    /// Corp-wide objects (tags, apps): scope does not apply, enterprise does.
    CorpObject,
    /// Settings of the whole enterprise (the holiday calendar): only an administrator whose scope
    /// is the whole enterprise changes them.
    Enterprise,
    /// A member's records kept by another module (leave balances and dates): the scope decides;
    /// the rank rule protects an administrator's account and rights, not these.
    MemberData,
}

fn classify(method: &str, path: &str) -> (Need, Kind) {
    use Kind::*;
    use Need::*;
    match (method, path) {
        ("GET", "/setup/status") | ("POST", "/setup") | ("POST", "/auth/login") => (Public, Plain),
        ("POST", "/auth/logout")
        | ("GET", "/me")
        | ("POST", "/me/password")
        | ("PATCH", "/me/profile")
        | ("GET", "/me/sessions")
        | ("DELETE", "/me/sessions/{id}") => (Session, Plain),
        ("GET", "/directory/departments") | ("GET", "/directory/members") => (Session, Plain),
        ("GET", "/directory/members/{userid}") => (Session, Member),
        ("GET", "/admin/members/{userid}")
        | ("GET", "/admin/members/{userid}/attention")
        | ("PATCH", "/admin/members/{userid}")
        | ("POST", "/admin/members/{userid}/unlock") => (Permission, Member),
        ("DELETE", "/admin/members/{userid}")
        | ("POST", "/admin/members/{userid}/freeze")
        | ("POST", "/admin/members/{userid}/unfreeze")
        | ("POST", "/admin/members/{userid}/offboard")
        | ("POST", "/admin/members/{userid}/reset-password")
        | ("POST", "/admin/members/{userid}/signout-all")
        | ("PUT", "/admin/admins/{userid}")
        | ("DELETE", "/admin/admins/{userid}") => (Permission, MemberNotOwn),
        ("POST", "/admin/departments")
        | ("PATCH", "/admin/departments/{id}")
        | ("DELETE", "/admin/departments/{id}") => (Permission, Department),
        ("POST", "/admin/members") => (Permission, Department),
        ("PATCH", "/admin/tags/{id}")
        | ("DELETE", "/admin/tags/{id}")
        | ("GET", "/admin/tags/{id}/members")
        | ("POST", "/admin/tags/{id}/members")
        | ("DELETE", "/admin/tags/{id}/members") => (Permission, CorpObject),
        ("PATCH", "/admin/chat/quick-replies/{id}")
        | ("DELETE", "/admin/chat/quick-replies/{id}") => (Permission, CorpObject),
        ("PATCH", "/admin/apps/{agentid}")
        | ("DELETE", "/admin/apps/{agentid}")
        | ("POST", "/admin/apps/{agentid}/rotate-secret") => (Permission, CorpObject),
        // Templates are the enterprise's: scope does not apply, enterprise does.
        (_, p) if p.starts_with("/admin/approvals/templates/{template_id}") => {
            (Permission, CorpObject)
        }
        ("GET", "/attendance/me/balances")
        | ("GET", "/attendance/me/ledger")
        | ("POST", "/attendance/me/leave-preview") => (Session, Plain),
        ("GET", "/attendance/leave-types")
        | ("POST", "/attendance/leave-types")
        | ("GET", "/attendance/balances")
        | ("POST", "/attendance/balances/adjust") => (Permission, Plain),
        ("PUT", "/attendance/leave-types/{key}") => (Permission, CorpObject),
        ("GET", "/attendance/balances/{userid}/ledger")
        | ("GET", "/attendance/balances/{userid}/dates")
        | ("PUT", "/attendance/balances/{userid}/dates") => (Permission, MemberData),
        ("GET", "/approvals/templates")
        | ("GET", "/approvals")
        | ("POST", "/approvals")
        | ("GET", "/approvals/counts")
        | ("POST", "/approvals/preview") => (Session, Plain),
        // The holiday calendar: every member reads it; only administrators of the whole enterprise
        // change it.
        ("GET", "/attendance/holidays") => (Session, Plain),
        ("PUT", "/attendance/holidays/{date}")
        | ("DELETE", "/attendance/holidays/{date}")
        | ("POST", "/attendance/holidays/import") => (Permission, Enterprise),
        // Attendance: the member's own day and clock-ins, a leader's team (their people only).
        (_, p) if p.starts_with("/attendance/me/") => (Session, Plain),
        ("POST", "/attendance/clock-ins") | ("GET", "/attendance/team/month") => (Session, Plain),
        ("GET", "/attendance/results/{userid}/month")
        | ("POST", "/attendance/results/{userid}/{date}/correction") => (Permission, Member),
        (_, p) if p.starts_with("/attendance/") && !p.contains('{') => (Permission, Plain),
        (_, p) if p.starts_with("/admin/") && !p.contains('{') => (Permission, Plain),
        _ => panic!("route {method} {path} has no entry in the authorization matrix"),
    }
}

/// What the gate should say.
fn expected(need: Need, kind: Kind, role: Role, obj: Obj, method: &str) -> bool {
    if obj == Obj::PeerAdmin && kind == Kind::MemberData {
        return matches!(role, Role::Super | Role::Scoped);
    }
    if obj == Obj::PeerAdmin {
        return match role {
            Role::Super => true,
            Role::Scoped => method == "GET",
            Role::Employee => need == Need::Session,
            Role::Foreign => false,
        };
    }
    // The foreign actor is super administrator of the other enterprise: its own objects there are
    // allowed, enterprise A's are not.
    if role == Role::Foreign && need != Need::Public {
        return matches!(kind, Kind::Plain | Kind::Enterprise)
            || matches!(obj, Obj::Own | Obj::OtherCorp);
    }
    match need {
        Need::Public => true,
        Need::Session => obj != Obj::OtherCorp,
        Need::Permission => match role {
            Role::Employee | Role::Foreign => false,
            Role::Super => obj != Obj::OtherCorp,
            Role::Scoped => match kind {
                Kind::Plain | Kind::CorpObject => obj != Obj::OtherCorp,
                Kind::Enterprise => false,
                _ => matches!(obj, Obj::None | Obj::Own | Obj::InScope),
            },
        },
    }
}

struct Fixture {
    east: i64,
    south: i64,
    /// A department id that exists only in the other enterprise.
    foreign_dept: i64,
    foreign_tag: i64,
    foreign_agentid: i64,
    other_corp: String,
    home_corp: String,
    seq: std::sync::atomic::AtomicUsize,
}

impl Fixture {
    fn next(&self, prefix: &str) -> String {
        format!(
            "{prefix}{}",
            self.seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        )
    }
}

fn own_userid(role: Role) -> &'static str {
    match role {
        Role::Super => ADMIN,
        Role::Scoped => "hr",
        Role::Employee => "emp",
        Role::Foreign => "fboss",
    }
}

/// A fresh member of enterprise A for the object class (created by A's super administrator).
async fn member_obj(
    boss: &Client,
    fboss: &Client,
    f: &Fixture,
    role: Role,
    obj: Obj,
    admin_too: bool,
) -> Option<String> {
    let (creator, dept) = match obj {
        Obj::Own => return Some(own_userid(role).into()),
        Obj::InScope => (boss, f.east),
        Obj::OutOfScope => (boss, f.south),
        // The foreign actor may change its own enterprise's members, so it gets a fresh one each time.
        Obj::OtherCorp if role == Role::Foreign => (fboss, 1),
        Obj::OtherCorp => return Some("foreign_member".into()),
        Obj::PeerAdmin => {
            let u = f.next("peer");
            let (s, b) = boss.post("/api/v1/admin/members", json!({"userid": u, "name": u, "department_ids": [f.east], "initial_password": "Matrix2026"})).await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
            let (s, b) = boss.call(Method::PUT, &format!("/api/v1/admin/admins/{u}"), Some(json!({"permissions": HR_PERMISSIONS, "scope": {"all": false, "department_ids": [f.east]}}))).await;
            assert_eq!(s, StatusCode::OK, "{b}");
            return Some(u);
        }
        Obj::None => return None,
    };
    let boss = creator;
    let f_east = if dept == 1 { 1 } else { f.east };
    let u = f.next("m");
    let (s, b) = boss.post("/api/v1/admin/members", json!({"userid": u, "name": u, "department_ids": [dept], "initial_password": "Matrix2026"})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    if admin_too {
        let (s, b) = boss.call(Method::PUT, &format!("/api/v1/admin/admins/{u}"), Some(json!({"permissions": ["audit.read"], "scope": {"all": false, "department_ids": [f_east]}}))).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    Some(u)
}

#[allow(clippy::too_many_arguments)]
async fn request_for(
    app: &TestApp,
    boss: &Client,
    fboss: &Client,
    f: &Fixture,
    role: Role,
    method: &str,
    path: &str,
    kind: Kind,
    obj: Obj,
) -> Option<(Method, String, Option<Value>)> {
    let m = Method::from_bytes(method.as_bytes()).unwrap();
    let body = |v: Value| Some(v);
    let p = path.to_owned();
    Some(match kind {
        Kind::Plain => {
            let b = match (method, path) {
                ("POST", "/setup") => body(
                    json!({"corp_name": "x", "admin_account": "y", "admin_password": "Abcdefg123"}),
                ),
                ("POST", "/auth/login") => {
                    let (account, password, corp_id) = credentials(role, f);
                    body(json!({"corp_id": corp_id, "account": account, "password": password}))
                }
                ("POST", "/me/password") => {
                    body(json!({"old_password": "not-it", "new_password": "Whatever2026"}))
                }
                ("PATCH", "/me/profile") => body(json!({"alias": "a"})),
                ("POST", "/admin/tags") => body(json!({"name": f.next("tag")})),
                ("POST", "/admin/apps") => body(json!({"name": f.next("app"), "scopes": []})),
                ("PUT", "/admin/settings/security") => body(
                    json!({"password_min_length": 8, "password_rotation_days": 0, "login_max_failures": 100, "login_lock_minutes": 30}),
                ),
                ("PATCH", "/admin/corp") => body(json!({"industry": "it"})),
                ("POST", "/admin/chat/quick-replies") => body(json!({"text": f.next("snippet")})),
                ("POST", "/attendance/me/leave-preview") => body(
                    json!({"leave_type": "annual", "from": "2026-11-02 am", "to": "2026-11-02 pm"}),
                ),
                ("POST", "/attendance/leave-types") => body(
                    json!({"key": f.next("lt"), "name": f.next("假"), "unit": "day", "quota_rule": "none"}),
                ),
                ("POST", "/attendance/balances/adjust") => body(
                    json!({"userid": own_userid(role), "leave_type": "marriage", "delta": 1, "reason": "matrix"}),
                ),
                ("PUT", "/admin/chat/quick-replies/order") => body(json!({"ids": []})),
                ("POST", "/admin/members/import") => return Some((m, "IMPORT".into(), None)),
                ("POST", "/auth/logout") => return Some((m, "LOGOUT".into(), None)),
                ("DELETE", "/me/sessions/{id}") => return Some((m, "OWN_SESSION".into(), None)),
                ("POST", "/admin/contacts-sync/rotate-secret") => body(json!({})),
                ("PUT", "/admin/chat/policy") => body(json!({
                    "receipts": {"direct": "on", "group": "on", "department": "aggregate", "company": "off"},
                    "naming": {"enabled": false, "pattern": "【部门】-【群类型】", "group_types": ["项目群"]},
                    "files": {"max_bytes": 1048576, "denied_extensions": [], "allowed_extensions": []}
                })),
                _ => None,
            };
            (m, p, b)
        }
        Kind::Member | Kind::MemberNotOwn | Kind::MemberData => {
            if kind == Kind::MemberNotOwn && obj == Obj::Own {
                return None;
            }
            let is_admin_delete = method == "DELETE" && path.starts_with("/admin/admins/");
            let u = member_obj(boss, fboss, f, role, obj, is_admin_delete).await?;
            let b = match (method, path) {
                ("POST", "/attendance/results/{userid}/{date}/correction") => {
                    body(json!({"status": "normal", "reason": "matrix"}))
                }
                ("PATCH", _) => body(json!({"position": "matrix"})),
                ("PUT", "/attendance/balances/{userid}/dates") => {
                    body(json!({"joined_on": "2020-01-01", "work_started_on": "2015-01-01"}))
                }
                ("POST", "/admin/members/{userid}/offboard") => {
                    body(json!({"successor_userid": own_userid(role)}))
                }
                ("PUT", _) => body(
                    json!({"permissions": ["contacts.manage"], "scope": {"all": false, "department_ids": [if role == Role::Foreign { 1 } else { f.east }]}}),
                ),
                ("POST", _) => body(json!({})),
                _ => None,
            };
            (
                m,
                p.replace("{userid}", &u).replace("{date}", "2026-09-21"),
                b,
            )
        }
        Kind::Department => {
            let parent = match obj {
                Obj::InScope | Obj::Own => f.east,
                Obj::OutOfScope => f.south,
                Obj::OtherCorp => f.foreign_dept,
                Obj::None | Obj::PeerAdmin => return None,
            };
            if obj == Obj::Own {
                return None;
            }
            match (method, path) {
                ("POST", "/admin/departments") => (
                    m,
                    p,
                    body(json!({"name": f.next("d"), "parent_id": parent})),
                ),
                ("POST", "/admin/members") => (
                    m,
                    p,
                    body(json!({"userid": f.next("n"), "name": "n", "department_ids": [parent]})),
                ),
                _ => {
                    let id = match obj {
                        Obj::OtherCorp if role == Role::Foreign => {
                            dept(fboss, &f.next("d"), 1).await
                        }
                        Obj::OtherCorp => f.foreign_dept,
                        _ => dept(boss, &f.next("d"), parent).await,
                    };
                    let b = if method == "PATCH" {
                        body(json!({"name": f.next("r")}))
                    } else {
                        None
                    };
                    (m, p.replace("{id}", &id.to_string()), b)
                }
            }
        }
        Kind::Enterprise => {
            // Each role acts on its own enterprise's calendar.
            let owner = if role == Role::Foreign { fboss } else { boss };
            match method {
                "PUT" => (
                    m,
                    p.replace("{date}", "2030-12-24"),
                    body(json!({"kind": "holiday", "name": "矩阵", "origin": "company"})),
                ),
                "DELETE" => {
                    let (s, b) = owner
                        .call(
                            Method::PUT,
                            "/api/v1/attendance/holidays/2030-06-01",
                            Some(json!({"kind": "holiday", "name": "矩阵", "origin": "company"})),
                        )
                        .await;
                    assert_eq!(s, StatusCode::OK, "{b}");
                    (m, p.replace("{date}", "2030-06-01"), None)
                }
                _ => (
                    m,
                    p,
                    body(json!({"year": 2030, "source": "矩阵", "items": [
                        {"date": "2030-01-01", "kind": "holiday", "name": "元旦"}
                    ]})),
                ),
            }
        }
        Kind::CorpObject => {
            if !matches!(obj, Obj::InScope | Obj::OtherCorp) {
                return None;
            }
            let _ = app;
            if path.starts_with("/admin/chat/quick-replies/") {
                // Snippet ids are unique across enterprises: the other enterprise's are made by its own administrator.
                let owner = if obj == Obj::OtherCorp { fboss } else { boss };
                let (s, b) = owner
                    .post(
                        "/api/v1/admin/chat/quick-replies",
                        json!({"text": f.next("snippet")}),
                    )
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{b}");
                let b2 = if method == "PATCH" {
                    body(json!({"title": f.next("t")}))
                } else {
                    None
                };
                return Some((m, p.replace("{id}", b["id"].as_str().unwrap()), b2));
            }
            if path.contains("{template_id}") {
                let owner = if obj == Obj::OtherCorp { fboss } else { boss };
                let template = json!({"name": f.next("审批"), "fields": [{"id": "reason", "kind": "text", "title": "事由"}],
                    "flow": {"nodes": [{"type": "approver", "id": "a", "name": "上级", "approvers": [{"kind": "leader"}]}]}});
                let (s, b) = owner
                    .post("/api/v1/admin/approvals/templates", template.clone())
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{b}");
                let id = b["template_id"].as_str().unwrap().to_owned();
                let b2 = (method == "PUT").then_some(template);
                return Some((
                    m,
                    p.replace("{template_id}", &id).replace("{version}", "1"),
                    b2,
                ));
            }
            if path.contains("{key}") {
                // Leave type keys are per enterprise: the other one's is a key only it has.
                let owner = if obj == Obj::OtherCorp { fboss } else { boss };
                let key = f.next("lt");
                let (s, b) = owner
                    .post(
                        "/api/v1/attendance/leave-types",
                        json!({"key": key, "name": f.next("假"), "unit": "day", "quota_rule": "none"}),
                    )
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{b}");
                let b2 = json!({"name": f.next("改"), "unit": "hour", "quota_rule": "manual"});
                return Some((m, p.replace("{key}", &key), Some(b2)));
            }
            if path.contains("{agentid}") {
                let id = if obj == Obj::OtherCorp && role != Role::Foreign {
                    f.foreign_agentid
                } else {
                    let owner = if obj == Obj::OtherCorp { fboss } else { boss };
                    let (_, b) = owner
                        .post(
                            "/api/v1/admin/apps",
                            json!({"name": f.next("a"), "scopes": []}),
                        )
                        .await;
                    b["app"]["agentid"].as_i64().unwrap()
                };
                let b = if method == "PATCH" {
                    body(json!({"description": "d"}))
                } else {
                    None
                };
                (
                    m,
                    p.replace("{agentid}", &id.to_string()),
                    b.or(Some(json!({}))),
                )
            } else {
                let id = if obj == Obj::OtherCorp && role != Role::Foreign {
                    f.foreign_tag
                } else {
                    let owner = if obj == Obj::OtherCorp { fboss } else { boss };
                    let (_, b) = owner
                        .post("/api/v1/admin/tags", json!({"name": f.next("t")}))
                        .await;
                    b["tag"]["id"].as_i64().unwrap()
                };
                let b = match method {
                    "PATCH" => body(json!({"name": f.next("tn")})),
                    "POST" | "DELETE" if path.ends_with("/members") => body(json!({"userids": []})),
                    _ => None,
                };
                (m, p.replace("{id}", &id.to_string()), b)
            }
        }
    })
}

/// Denied: not signed in, forbidden, or the object is invisible (not found, also as a field that
/// names an object, such as a parent department of another enterprise).
fn allowed(status: StatusCode, body: &Value) -> bool {
    let invisible_field = body["error"]["fields"]
        .as_object()
        .is_some_and(|f| f.values().any(|v| v == "not_found"));
    !matches!(
        status,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ) && !invisible_field
}

/// The scoped administrator's rights: every permission, over 华东.
const HR_PERMISSIONS: [&str; 8] = [
    "contacts.manage",
    "contacts.import",
    "roles.manage",
    "apps.manage",
    "audit.read",
    "security.manage",
    "approvals.manage",
    "attendance.manage",
];

both!(authorization_matrix, async |app: &TestApp| {
    let boss = app.admin().await;
    let east = dept(&boss, "华东", 1).await;
    let south = dept(&boss, "华南", 1).await;
    let hr = app
        .member_with_password(&boss, "hr", &[east], "Matrix2026h")
        .await;
    let all: Vec<&str> = HR_PERMISSIONS.to_vec();
    let (s, b) = boss
        .call(
            Method::PUT,
            "/api/v1/admin/admins/hr",
            Some(json!({"permissions": all, "scope": {"all": false, "department_ids": [east]}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let emp = app
        .member_with_password(&boss, "emp", &[east], "Matrix2026e")
        .await;
    // The other enterprise: more departments and tags than A, and an app, so its ids do not exist in A.
    let other_corp = app.second_corp("fboss").await;
    let fboss = app.login_to(&other_corp, "fboss", ADMIN_PW).await;
    let mut foreign_dept = 0;
    for i in 0..30 {
        foreign_dept = dept(&fboss, &format!("外{i}"), 1).await;
    }
    let mut foreign_tag = 0;
    for i in 0..30 {
        foreign_tag = fboss
            .post("/api/v1/admin/tags", json!({"name": format!("外{i}")}))
            .await
            .1["tag"]["id"]
            .as_i64()
            .unwrap();
    }
    let foreign_agentid = 1_000_002 + 40;
    for i in 0..=40 {
        fboss
            .post(
                "/api/v1/admin/apps",
                json!({"name": format!("外{i}"), "scopes": []}),
            )
            .await;
    }
    fboss
        .post(
            "/api/v1/admin/members",
            json!({"userid": "foreign_member", "name": "外人", "department_ids": [1]}),
        )
        .await;
    let f = Fixture {
        east,
        south,
        foreign_dept,
        foreign_tag,
        foreign_agentid,
        other_corp: other_corp.clone(),
        home_corp: app.corp_id.clone(),
        seq: Default::default(),
    };
    let roles = [
        (Role::Super, &boss),
        (Role::Scoped, &hr),
        (Role::Employee, &emp),
        (Role::Foreign, &fboss),
    ];
    let routes = qixie::http::api_routes().docs();
    let mut failures = Vec::new();
    let mut checked = 0;
    for r in &routes {
        // Conversations are not scoped by department: membership is the right, and
        // chat::chat_routes_keep_outsiders_out checks every chat route against outsiders.
        if r.path.as_str().starts_with("/chat/") || r.path.as_str() == "/realtime" {
            continue;
        }
        // An application is seen by those it names (applicant, approvers, copied) and by
        // administrators of approvals: approvals::applications_keep_outsiders_out checks every
        // application and form route against outsiders, in the enterprise and outside it.
        let p = r.path.as_str();
        if p.starts_with("/approvals/{sp_no}") || p == "/approvals/templates/{template_id}" {
            continue;
        }
        // Attendance rules and clock-ins are the enterprise's, written within the administrator's
        // scope: attendance::rules_keep_outsiders_out checks these routes.
        if p.starts_with("/attendance/rules/{id}") || p == "/attendance/clock-ins/{id}/review" {
            continue;
        }
        let (need, kind) = classify(r.method.as_str(), r.path.as_str());
        let objs: &[Obj] = match kind {
            Kind::Plain | Kind::Enterprise => &[Obj::None],
            Kind::Member | Kind::MemberNotOwn | Kind::MemberData => &[
                Obj::Own,
                Obj::InScope,
                Obj::OutOfScope,
                Obj::OtherCorp,
                Obj::PeerAdmin,
            ],
            _ => &[Obj::Own, Obj::InScope, Obj::OutOfScope, Obj::OtherCorp],
        };
        for (role, client) in roles {
            for &obj in objs {
                // Department, tag and app ids are per enterprise, so A's ids would name the foreign actor's
                // own objects: the cross-enterprise case for those is A's actors on ids only B has.
                if role == Role::Foreign
                    && matches!(kind, Kind::Department | Kind::CorpObject)
                    && matches!(obj, Obj::InScope | Obj::OutOfScope)
                {
                    continue;
                }
                let Some((m, path, body)) = request_for(
                    app,
                    &boss,
                    &fboss,
                    &f,
                    role,
                    r.method.as_str(),
                    r.path.as_str(),
                    kind,
                    obj,
                )
                .await
                else {
                    continue;
                };
                let (status, answer) = match path.as_str() {
                    "IMPORT" => {
                        client
                            .upload(
                                "/api/v1/admin/members/import",
                                "m.csv",
                                "姓名,帐号,部门\n甲,jia1,华东\n".as_bytes().to_vec(),
                                &[("dry_run", "true")],
                            )
                            .await
                    }
                    // Signing in from the role's own client would replace its session cookie.
                    _ if r.path.as_str() == "/auth/login" => {
                        app.anon().call(m.clone(), "/api/v1/auth/login", body).await
                    }
                    "LOGOUT" => {
                        let (acct, pw, corp) = credentials(role, &f);
                        app.login_to(&corp, acct, pw)
                            .await
                            .post("/api/v1/auth/logout", json!({}))
                            .await
                    }
                    "OWN_SESSION" => {
                        let (acct, pw, corp) = credentials(role, &f);
                        let _second = app.login_to(&corp, acct, pw).await;
                        let (_, list) = client.get("/api/v1/me/sessions").await;
                        let id = list["items"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .find(|s| s["current"] == json!(false))
                            .unwrap()["id"]
                            .as_str()
                            .unwrap()
                            .to_owned();
                        client.delete(&format!("/api/v1/me/sessions/{id}")).await
                    }
                    _ => {
                        client
                            .call(m.clone(), &format!("/api/v1{path}"), body)
                            .await
                    }
                };
                let want = expected(need, kind, role, obj, r.method.as_str());
                checked += 1;
                if allowed(status, &answer) != want {
                    failures.push(format!(
                        "{role:?} {} {} on {obj:?}: got {status}, expected {}",
                        r.method.as_str(),
                        r.path.as_str(),
                        if want { "allow" } else { "deny" }
                    ));
                }
            }
        }
    }
    assert!(checked > 150, "the matrix ran {checked} checks");
    assert!(
        failures.is_empty(),
        "authorization matrix mismatches:\n{}",
        failures.join("\n")
    );
});

fn credentials(role: Role, f: &Fixture) -> (&'static str, &'static str, String) {
    match role {
        Role::Super => (ADMIN, ADMIN_PW, f.home_corp.clone()),
        Role::Scoped => ("hr", "Matrix2026h", f.home_corp.clone()),
        Role::Employee => ("emp", "Matrix2026e", f.home_corp.clone()),
        Role::Foreign => ("fboss", ADMIN_PW, f.other_corp.clone()),
    }
}
