//! Approvals through the native API, on both engines: templates and versions, submitting with
//! checked values, the route through leaders and a money branch, every action and who may take it,
//! the boxes, concurrent decisions, and outsiders kept out.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::*;

/// 总部 (boss leads it) → 研发部 (mgr leads it) with emp and peer; emp's leader is mgr.
struct Org {
    admin: Client,
    boss: Client,
    mgr: Client,
    emp: Client,
    peer: Client,
    rd: i64,
}

async fn org(app: &TestApp) -> Org {
    let admin = app.admin().await;
    let rd = dept(&admin, "研发部", 1).await;
    let boss = app
        .member_with_password(&admin, "gm", &[1], "Approve2026b")
        .await;
    let mgr = app
        .member_with_password(&admin, "mgr", &[rd], "Approve2026m")
        .await;
    let emp = app
        .member_with_password(&admin, "emp", &[rd], "Approve2026e")
        .await;
    let peer = app
        .member_with_password(&admin, "peer", &[rd], "Approve2026p")
        .await;
    for (d, leader) in [(1, "gm"), (rd, "mgr")] {
        let (s, b) = admin
            .patch(
                &format!("/api/v1/admin/departments/{d}"),
                json!({"leader_userids": [leader]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let (s, b) = admin
        .patch("/api/v1/admin/members/emp", json!({"leader_userid": "mgr"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    Org {
        admin,
        boss,
        mgr,
        emp,
        peer,
        rd,
    }
}

/// Reimbursement: the direct leader, then the general manager (boss) when the amount is over 10,000.
fn reimbursement() -> Value {
    json!({
        "name": "费用报销",
        "group": "财务",
        "fields": [
            {"id": "reason", "kind": "text", "title": "事由", "required": true},
            {"id": "amount", "kind": "money", "title": "金额", "required": true, "min": 0},
            {"id": "kind", "kind": "single_choice", "title": "类型", "options": [{"key": "travel", "text": "差旅"}, {"key": "meal", "text": "餐费"}]}
        ],
        "flow": {"nodes": [
            {"type": "approver", "id": "leader", "name": "直属上级", "approvers": [{"kind": "leader", "level": 1}], "mode": "any"},
            {"type": "branch", "id": "big", "branches": [
                {"name": "超过一万", "conditions": [{"kind": "range", "field": "amount", "min": 10000, "min_exclusive": true}],
                 "nodes": [{"type": "approver", "id": "gm", "name": "总经理", "approvers": [{"kind": "members", "userids": ["gm"]}]}]},
                {"name": "其他", "nodes": []}
            ]},
            {"type": "cc", "id": "cc", "name": "抄送", "recipients": [{"kind": "members", "userids": ["peer"]}]}
        ]}
    })
}

async fn create_template(admin: &Client, body: Value) -> String {
    let (s, b) = admin.post("/api/v1/admin/approvals/templates", body).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["template_id"].as_str().unwrap().to_owned()
}

async fn submit(c: &Client, template_id: &str, values: Value) -> String {
    let (s, b) = c
        .post(
            "/api/v1/approvals",
            json!({"template_id": template_id, "values": values}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["sp_no"].as_str().unwrap().to_owned()
}

/// (node, status, [(userid, state)]) of each step.
type Steps = Vec<(String, String, Vec<(String, String)>)>;

fn step_people(d: &Value) -> Steps {
    d["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["node_id"].as_str().unwrap().to_owned(),
                s["status"].as_str().unwrap().to_owned(),
                s["people"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        (
                            p["userid"].as_str().unwrap().to_owned(),
                            p["state"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

fn actions(d: &Value) -> Vec<&str> {
    d["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect()
}

both!(
    builtin_templates_and_the_offered_list,
    async |app: &TestApp| {
        let o = org(app).await;
        let (s, b) = o.emp.get("/api/v1/approvals/templates").await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let mut builtins: Vec<&str> = b["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["builtin"].as_str())
            .collect();
        builtins.sort_unstable();
        assert_eq!(
            builtins,
            [
                "business_trip",
                "leave",
                "overtime",
                "punch_correction",
                "purchase",
                "reimbursement",
                "supplies"
            ]
        );
        // A template only 总部 may submit is not offered to 研发部.
        let mut t = reimbursement();
        t["submitters"] = json!({"department_ids": [], "userids": ["gm"], "tag_ids": []});
        let id = create_template(&o.admin, t).await;
        let (_, b) = o.emp.get("/api/v1/approvals/templates").await;
        assert!(
            !b["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["template_id"] == json!(id))
        );
        let (s, b) = o
            .emp
            .post(
                "/api/v1/approvals",
                json!({"template_id": id, "values": {"reason": "x", "amount": "1"}}),
            )
            .await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::FORBIDDEN, "template_not_allowed")
        );
        let (_, b) = o
            .boss
            .get(&format!("/api/v1/approvals/templates/{id}"))
            .await;
        assert_eq!(b["fields"].as_array().unwrap().len(), 3);
        assert_eq!(b["version"], json!(1));
        // The leave template works out of the box: a long leave also reaches the second leader.
        let (_, list) = o.emp.get("/api/v1/approvals/templates").await;
        let leave = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["builtin"] == json!("leave"))
            .unwrap()["template_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let sp = submit(
        &o.emp,
        &leave,
        json!({"leave_type": "personal", "period": {"start": "2026-12-14 am", "end": "2026-12-18 pm"}, "reason": "回家"}),
    )
    .await;
        let (_, d) = o.emp.get(&format!("/api/v1/approvals/{sp}")).await;
        let people: Vec<Vec<String>> = step_people(&d)
            .into_iter()
            .map(|(_, _, p)| p.into_iter().map(|(u, _)| u).collect())
            .collect();
        assert_eq!(people, vec![vec!["mgr".to_owned()], vec!["gm".to_owned()]]);
    }
);

both!(
    a_reimbursement_over_ten_thousand_reaches_the_general_manager,
    async |app: &TestApp| {
        let o = org(app).await;
        let id = create_template(&o.admin, reimbursement()).await;
        // Bad values: each named, nothing written.
        let (s, b) = o
        .emp
        .post("/api/v1/approvals", json!({"template_id": id, "values": {"amount": "12.345", "kind": "boat", "colour": "red"}}))
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let fields = b["error"]["fields"].as_object().unwrap();
        assert_eq!(fields["values.reason"], json!("required"));
        assert!(fields.contains_key("values.amount"), "{b}");
        assert_eq!(fields["values.kind"], json!("unknown"));
        assert_eq!(fields["values.colour"], json!("unknown_field"));
        let (_, boxes) = o.emp.get("/api/v1/approvals?box=mine").await;
        assert_eq!(boxes["total"], json!(0));

        // The route preview shows the branch before submitting.
        let (s, p) = o
            .emp
            .post(
                "/api/v1/approvals/preview",
                json!({"template_id": id, "values": {"reason": "出差", "amount": 12000}}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{p}");
        let nodes: Vec<&str> = p["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["node_id"].as_str().unwrap())
            .collect();
        assert_eq!(nodes, ["leader", "gm", "cc"]);

        let sp = submit(
            &o.emp,
            &id,
            json!({"reason": "出差北京", "amount": 12000, "kind": "travel"}),
        )
        .await;
        assert_eq!(sp.len(), 12, "{sp}");
        let (_, d) = o.emp.get(&format!("/api/v1/approvals/{sp}")).await;
        assert_eq!(d["status"], json!("pending"));
        assert_eq!(d["values"]["amount"], json!("12000.00"));
        assert_eq!(actions(&d), ["withdraw", "urge", "comment"]);
        assert_eq!(
            step_people(&d),
            vec![
                (
                    "leader".into(),
                    "pending".into(),
                    vec![("mgr".into(), "pending".into())]
                ),
                (
                    "gm".into(),
                    "waiting".into(),
                    vec![("gm".into(), "waiting".into())]
                ),
                (
                    "cc".into(),
                    "waiting".into(),
                    vec![("peer".into(), "waiting".into())]
                ),
            ]
        );
        // The leader's box and badge.
        let (_, todo) = o.mgr.get("/api/v1/approvals?box=todo").await;
        assert_eq!(todo["total"], json!(1));
        assert_eq!(todo["items"][0]["sp_no"], json!(sp));
        assert_eq!(todo["items"][0]["current_step"], json!("直属上级"));
        let (_, counts) = o.mgr.get("/api/v1/approvals/counts").await;
        assert_eq!(counts, json!({"todo": 1, "cc_unread": 0}));
        // Someone not on the route may neither see nor act.
        let (s, _) = o.peer.get(&format!("/api/v1/approvals/{sp}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // The general manager's turn has not come: the application is not theirs to see yet.
        let (s, _) = o
            .boss
            .post(&format!("/api/v1/approvals/{sp}/approve"), json!({}))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        let (s, d) = o
            .mgr
            .post(
                &format!("/api/v1/approvals/{sp}/approve"),
                json!({"comment": "同意"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        assert!(actions(&d).iter().all(|a| *a != "approve"));
        let (_, todo) = o.mgr.get("/api/v1/approvals?box=todo").await;
        assert_eq!(todo["total"], json!(0));
        let (_, done) = o.mgr.get("/api/v1/approvals?box=done").await;
        assert_eq!(done["total"], json!(1));
        let (_, d) = o.boss.get(&format!("/api/v1/approvals/{sp}")).await;
        assert!(actions(&d).contains(&"approve"));
        let (s, d) = o
            .boss
            .post(&format!("/api/v1/approvals/{sp}/approve"), json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        assert_eq!(d["status"], json!("approved"));
        assert!(d["finished_at"].is_i64());
        let timeline: Vec<&str> = d["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            timeline,
            ["submit", "approve", "approve", "cc", "finish_approved"]
        );
        // Copied at the end: in peer's CC box, unread until opened.
        let (_, counts) = o.peer.get("/api/v1/approvals/counts").await;
        assert_eq!(counts["cc_unread"], json!(1));
        let (s, _) = o.peer.get(&format!("/api/v1/approvals/{sp}")).await;
        assert_eq!(s, StatusCode::OK);
        let (_, counts) = o.peer.get("/api/v1/approvals/counts").await;
        assert_eq!(counts["cc_unread"], json!(0));
        // Deciding again is refused.
        let (s, b) = o
            .boss
            .post(&format!("/api/v1/approvals/{sp}/approve"), json!({}))
            .await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::CONFLICT, "approval_already_decided")
        );

        // A small one skips the branch.
        let sp2 = submit(&o.emp, &id, json!({"reason": "午餐", "amount": "88.5"})).await;
        let (_, d) = o
            .mgr
            .post(&format!("/api/v1/approvals/{sp2}/approve"), json!({}))
            .await;
        assert_eq!(d["status"], json!("approved"));
        let (_, mine) = o
            .emp
            .get("/api/v1/approvals?box=mine&status=approved")
            .await;
        assert_eq!(mine["total"], json!(2));
        let (_, found) = o.emp.get("/api/v1/approvals?box=mine&q=午餐").await;
        assert_eq!(found["total"], json!(1));
        assert_eq!(found["items"][0]["sp_no"], json!(sp2));
    }
);

both!(
    one_decision_counts_when_two_any_one_approvers_act_at_once,
    async |app: &TestApp| {
        let o = org(app).await;
        let id = create_template(
        &o.admin,
        json!({"name": "或签", "fields": [{"id": "t", "kind": "text", "title": "内容", "required": true}],
               "flow": {"nodes": [{"type": "approver", "id": "any", "name": "任一", "approvers": [{"kind": "members", "userids": ["gm", "mgr"]}], "mode": "any"}]}}),
    )
    .await;
        for round in 0..3 {
            let sp = submit(&o.emp, &id, json!({"t": format!("第{round}次")})).await;
            let path = format!("/api/v1/approvals/{sp}/approve");
            let (a, b) = tokio::join!(o.boss.post(&path, json!({})), o.mgr.post(&path, json!({})));
            let mut statuses = [a.0, b.0];
            statuses.sort();
            assert_eq!(
                statuses,
                [StatusCode::OK, StatusCode::CONFLICT],
                "{} {}",
                a.1,
                b.1
            );
            let loser = if a.0 == StatusCode::CONFLICT {
                &a.1
            } else {
                &b.1
            };
            assert_eq!(code(loser), "approval_already_decided");
            let (_, d) = o.emp.get(&format!("/api/v1/approvals/{sp}")).await;
            assert_eq!(d["status"], json!("approved"));
            let approvals = d["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["action"] == json!("approve"))
                .count();
            assert_eq!(approvals, 1);
        }
    }
);

both!(
    return_resubmit_withdraw_transfer_add_urge_and_comment,
    async |app: &TestApp| {
        let o = org(app).await;
        let id = create_template(&o.admin, reimbursement()).await;
        let sp = submit(&o.emp, &id, json!({"reason": "打车", "amount": 50})).await;
        let base = format!("/api/v1/approvals/{sp}");
        // Urge: once an hour.
        let (s, _) = o.emp.post(&format!("{base}/urge"), json!({})).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, b) = o.emp.post(&format!("{base}/urge"), json!({})).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::TOO_MANY_REQUESTS, "approval_urged_recently")
        );
        // Only the applicant urges or withdraws.
        let (s, _) = o.mgr.post(&format!("{base}/withdraw"), json!({})).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // Returned to the applicant, who edits and resubmits.
        let (s, d) = o
            .mgr
            .post(
                &format!("{base}/reject"),
                json!({"comment": "请补充说明", "to": "applicant"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        assert_eq!(d["status"], json!("returned"));
        let (_, d) = o.emp.get(&base).await;
        assert_eq!(actions(&d), ["withdraw", "resubmit", "comment"]);
        let (s, b) = o
            .emp
            .post(
                &format!("{base}/resubmit"),
                json!({"values": {"reason": "", "amount": 50}}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let (s, d) = o
            .emp
            .post(
                &format!("{base}/resubmit"),
                json!({"values": {"reason": "打车去客户处", "amount": 50}}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        assert_eq!(d["status"], json!("pending"));
        assert_eq!(d["values"]["reason"], json!("打车去客户处"));
        // Transfer to boss, who adds peer before himself.
        let (s, b) = o
            .mgr
            .post(&format!("{base}/transfer"), json!({"userid": "nobody"}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let (s, d) = o
            .mgr
            .post(
                &format!("{base}/transfer"),
                json!({"userid": "gm", "comment": "你来"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        let (s, _) = o.mgr.post(&format!("{base}/approve"), json!({})).await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (s, d) = o
            .boss
            .post(
                &format!("{base}/add-approver"),
                json!({"userids": ["peer"], "position": "before"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        let (s, _) = o.boss.post(&format!("{base}/approve"), json!({})).await;
        assert_eq!(s, StatusCode::CONFLICT, "peer decides first");
        let (s, _) = o.peer.post(&format!("{base}/approve"), json!({})).await;
        assert_eq!(s, StatusCode::OK);
        // Comments with a mention; anyone on the route may comment.
        let (s, d) = o
            .emp
            .post(&format!("{base}/comments"), json!({"content": "辛苦 @gm"}))
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        let last = d["timeline"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["action"], json!("comment"));
        assert_eq!(last["to"][0]["userid"], json!("gm"));
        let (s, d) = o
            .boss
            .post(&format!("{base}/approve"), json!({"comment": "好"}))
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        assert_eq!(d["status"], json!("approved"));
        let (s, _) = o.emp.post(&format!("{base}/withdraw"), json!({})).await;
        assert_eq!(s, StatusCode::CONFLICT);

        // Withdrawn while pending: the approver's turn closes.
        let sp = submit(&o.emp, &id, json!({"reason": "撤回", "amount": 1})).await;
        let (s, d) = o
            .emp
            .post(
                &format!("/api/v1/approvals/{sp}/withdraw"),
                json!({"comment": "不需要了"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        assert_eq!(d["status"], json!("withdrawn"));
        let (_, todo) = o.mgr.get("/api/v1/approvals?box=todo").await;
        assert_eq!(todo["total"], json!(0));
        let (s, _) = o
            .mgr
            .post(&format!("/api/v1/approvals/{sp}/approve"), json!({}))
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
    }
);

both!(
    a_changed_flow_is_a_new_version_and_running_ones_keep_theirs,
    async |app: &TestApp| {
        let o = org(app).await;
        let id = create_template(&o.admin, reimbursement()).await;
        let sp = submit(&o.emp, &id, json!({"reason": "v1", "amount": 20000})).await;
        let mut t = reimbursement();
        t["flow"]["nodes"][1]["branches"][0]["conditions"][0]["min"] = json!(50000);
        t["note"] = json!("提高总经理审批门槛");
        let (s, b) = o
            .admin
            .call(
                Method::PUT,
                &format!("/api/v1/admin/approvals/templates/{id}"),
                Some(t.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["version"], json!(2));
        // Saving the same again makes no version.
        let (_, b) = o
            .admin
            .call(
                Method::PUT,
                &format!("/api/v1/admin/approvals/templates/{id}"),
                Some(t),
            )
            .await;
        assert_eq!(b["version"], json!(2));
        let (_, v) = o
            .admin
            .get(&format!("/api/v1/admin/approvals/templates/{id}/versions"))
            .await;
        let notes: Vec<(i64, &str)> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| (x["version"].as_i64().unwrap(), x["note"].as_str().unwrap()))
            .collect();
        assert_eq!(notes, [(2, "提高总经理审批门槛"), (1, "")]);
        let (_, old) = o
            .admin
            .get(&format!(
                "/api/v1/admin/approvals/templates/{id}/versions/1"
            ))
            .await;
        assert_eq!(
            old["flow"]["nodes"][1]["branches"][0]["conditions"][0]["min"],
            json!(10000.0)
        );
        // The running instance still goes to the general manager; a new one of 20,000 does not.
        o.mgr
            .post(&format!("/api/v1/approvals/{sp}/approve"), json!({}))
            .await;
        let (_, d) = o.emp.get(&format!("/api/v1/approvals/{sp}")).await;
        assert_eq!(d["version"], json!(1));
        assert_eq!(d["status"], json!("pending"));
        let sp2 = submit(&o.emp, &id, json!({"reason": "v2", "amount": 20000})).await;
        let (_, d) = o
            .mgr
            .post(&format!("/api/v1/approvals/{sp2}/approve"), json!({}))
            .await;
        assert_eq!(d["version"], json!(2));
        assert_eq!(d["status"], json!("approved"));
        // A broken flow is not published.
        let mut bad = reimbursement();
        bad["flow"]["nodes"][1]["branches"][0]["conditions"][0]["field"] = json!("nonexistent");
        let (s, b) = o
            .admin
            .call(
                Method::PUT,
                &format!("/api/v1/admin/approvals/templates/{id}"),
                Some(bad.clone()),
            )
            .await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "flow_has_problems")
        );
        let (s, p) = o
            .admin
            .post(
                "/api/v1/admin/approvals/check",
                json!({"fields": bad["fields"], "flow": bad["flow"]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{p}");
        assert!(
            p["problems"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["code"] == json!("unknown_field")),
            "{p}"
        );
        // Simulate: emp at 60,000 reaches mgr then boss.
        let (s, r) = o
        .admin
        .post("/api/v1/admin/approvals/simulate", json!({"fields": reimbursement()["fields"], "flow": reimbursement()["flow"], "applicant": "emp", "values": {"reason": "x", "amount": 60000}}))
        .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        let people: Vec<&str> = r["steps"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| {
                s["people"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["userid"].as_str().unwrap())
            })
            .collect();
        assert_eq!(people, ["mgr", "gm", "peer"]);
        // The text form goes both ways.
        let (_, t) = o
            .admin
            .post(
                "/api/v1/admin/approvals/flow-text",
                json!({"flow": reimbursement()["flow"]}),
            )
            .await;
        let text = t["text"].as_str().unwrap().to_owned();
        let (s, back) = o
            .admin
            .post("/api/v1/admin/approvals/flow-text", json!({"text": text}))
            .await;
        assert_eq!(s, StatusCode::OK, "{back}");
        let (_, again) = o
            .admin
            .post(
                "/api/v1/admin/approvals/flow-text",
                json!({"flow": back["flow"]}),
            )
            .await;
        assert_eq!(again["text"], t["text"]);
        // Unknown members of a template request are refused by name.
        let (s, b) = o
            .admin
            .post(
                "/api/v1/admin/approvals/templates",
                json!({"name": "x", "fields": [], "flow": {"nodes": []}, "colour": 1}),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    }
);

both!(
    administrators_list_export_and_hand_over,
    async |app: &TestApp| {
        let o = org(app).await;
        let id = create_template(&o.admin, reimbursement()).await;
        let sp = submit(&o.emp, &id, json!({"reason": "报销", "amount": 100})).await;
        let (s, all) = o.admin.get("/api/v1/admin/approvals").await;
        assert_eq!(s, StatusCode::OK, "{all}");
        assert_eq!(all["total"], json!(1));
        let (s, _) = o.emp.get("/api/v1/admin/approvals").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let res = o
            .admin
            .request(
                Method::GET,
                &format!("/api/v1/admin/approvals/export?template_id={id}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let bytes = res.bytes().await.unwrap();
        assert_eq!(&bytes[..2], b"PK");
        // The administrator sees the application (in scope) without being on its route.
        let (s, _) = o.admin.get(&format!("/api/v1/approvals/{sp}")).await;
        assert_eq!(s, StatusCode::OK);
        // mgr's waiting step goes to boss.
        let (s, b) = o
            .admin
            .post(
                "/api/v1/admin/approvals/hand-over",
                json!({"from_userid": "mgr", "to_userid": "gm"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["moved"], json!(1));
        let (_, todo) = o.boss.get("/api/v1/approvals?box=todo").await;
        assert_eq!(todo["total"], json!(1));
        let (s, d) = o
            .boss
            .post(&format!("/api/v1/approvals/{sp}/approve"), json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        let (s, st) = o
            .admin
            .get(&format!("/api/v1/admin/approvals/stats?template_id={id}"))
            .await;
        assert_eq!(s, StatusCode::OK, "{st}");
        assert_eq!(st["templates"][0]["submitted"], json!(1));
        assert_eq!(st["templates"][0]["approved"], json!(1), "{st}");
        let _ = o.rd;
    }
);

both!(applications_keep_outsiders_out, async |app: &TestApp| {
    let o = org(app).await;
    let id = create_template(&o.admin, reimbursement()).await;
    let sp = submit(&o.emp, &id, json!({"reason": "保密", "amount": 10})).await;
    let other = app.second_corp("fboss").await;
    let fboss = app.login_to(&other, "fboss", ADMIN_PW).await;
    let routes = qixie::http::api_routes().docs();
    let mut checked = 0;
    for r in routes
        .iter()
        .filter(|r| r.path.as_str().starts_with("/approvals/{sp_no}"))
    {
        let m = Method::from_bytes(r.method.as_bytes()).unwrap();
        let path = format!(
            "/api/v1{}",
            r.path
                .as_str()
                .replace("{sp_no}", &sp)
                .replace("{file_id}", "f")
        );
        let body = (m != Method::GET).then(|| json!({}));
        for (who, c) in [("peer", &o.peer), ("foreign", &fboss)] {
            let (s, b) = c.call(m.clone(), &path, body.clone()).await;
            assert!(
                matches!(
                    s,
                    StatusCode::NOT_FOUND
                        | StatusCode::BAD_REQUEST
                        | StatusCode::UNPROCESSABLE_ENTITY
                        | StatusCode::FORBIDDEN
                ),
                "{who} {} {path}: {s} {b}",
                r.method.as_str()
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked}");
    // Nothing changed: still pending at the leader, no comment from outsiders.
    let (_, d) = o.emp.get(&format!("/api/v1/approvals/{sp}")).await;
    assert_eq!(d["status"], json!("pending"));
    assert_eq!(d["timeline"].as_array().unwrap().len(), 1);
    // The form of a template of A is not the other enterprise's.
    let (s, _) = fboss
        .get(&format!("/api/v1/approvals/templates/{id}"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = o
        .emp
        .get(&format!("/api/v1/approvals/templates/{id}"))
        .await;
    assert_eq!(s, StatusCode::OK);
});

both!(
    time_limits_remind_then_escalate_from_durable_jobs,
    async |app: &TestApp| {
        let o = org(app).await;
        let id = create_template(
        &o.admin,
        json!({"name": "限时审批", "fields": [{"id": "t", "kind": "text", "title": "内容", "required": true}],
               "flow": {"nodes": [{"type": "approver", "id": "leader", "name": "直属上级", "approvers": [{"kind": "leader"}],
                                   "time_limit": {"hours": 1, "remind_at": [50], "action": "escalate"}}]}}),
    )
    .await;
        let sp = submit(&o.emp, &id, json!({"t": "请尽快"})).await;
        let registry = qixie::startup::job_registry();
        // Runs what is due now (the server's own scheduler may take a job first; either way once),
        // until the timeline shows `action`.
        let until = |action: &'static str| {
            let registry = &registry;
            let sp = sp.clone();
            let emp = &o.emp;
            async move {
                for _ in 0..100 {
                    while qixie_kernel::jobs::run_due(
                        &app.state,
                        registry,
                        "test-node",
                        app.state.now(),
                    )
                    .await
                    .unwrap()
                    {}
                    let (_, d) = emp.get(&format!("/api/v1/approvals/{sp}")).await;
                    if d["timeline"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|e| e["action"] == json!(action))
                    {
                        return d;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                panic!("no {action} in the timeline");
            }
        };
        // Nothing before half the limit.
        app.clock.advance_ms(29 * 60 * 1000);
        while qixie_kernel::jobs::run_due(&app.state, &registry, "test-node", app.state.now())
            .await
            .unwrap()
        {}
        let (_, d) = o.emp.get(&format!("/api/v1/approvals/{sp}")).await;
        assert_eq!(d["timeline"].as_array().unwrap().len(), 1);
        app.clock.advance_ms(2 * 60 * 1000);
        let d = until("remind").await;
        assert_eq!(
            step_people(&d)[0].2,
            vec![("mgr".to_owned(), "pending".to_owned())]
        );
        // At the limit the turn goes up to mgr's leader, gm.
        app.clock.advance_ms(30 * 60 * 1000);
        let d = until("escalate").await;
        assert_eq!(
            step_people(&d)[0].2,
            vec![
                ("mgr".to_owned(), "transferred".to_owned()),
                ("gm".to_owned(), "pending".to_owned())
            ]
        );
        let (_, todo) = o.boss.get("/api/v1/approvals?box=todo").await;
        assert_eq!(todo["total"], json!(1));
        let (s, d) = o
            .boss
            .post(&format!("/api/v1/approvals/{sp}/approve"), json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        assert_eq!(d["status"], json!("approved"));
    }
);
