//! WeCom's approval calls (`/cgi-bin/oa/*`) and the `sys_approval_change` callback, against the
//! approvals module: templates made and read through WeCom's shapes, applications submitted for a
//! member both ways, the list with its cursors, filters and time limit, the detail after decisions
//! taken through the native API, the `approval` scope and the visible range, and an app's callback:
//! its URL check when saved and the encrypted events it receives.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::directory::until;
use crate::helpers::*;

/// The members the tests use, in department 1, signed in: `li` (who approves), `zhang`, whose
/// leader is `li`; and `wang`, who is not signed in.
async fn people(app: &TestApp) -> (Client, Client, Client) {
    let boss = app.admin().await;
    let li = app
        .member_with_password(&boss, "li", &[1], "Approve2026")
        .await;
    let zhang = app
        .member_with_password(&boss, "zhang", &[1], "Apply2026x")
        .await;
    let (s, b) = boss
        .patch(
            "/api/v1/admin/members/zhang",
            json!({"name": "张三", "leader_userid": "li"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = boss
        .post(
            "/api/v1/admin/members",
            json!({"userid": "wang", "name": "王五", "department_ids": [1]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    (boss, li, zhang)
}

/// The token of an app with the `approval` scope and `extra` settings (a visible range, say).
async fn oa_token(app: &TestApp, name: &str, extra: Value) -> String {
    let mut body = json!({"name": name, "scopes": ["approval"]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app_token(app, body).await
}

fn texts(text: &str) -> Value {
    json!([{"text": text, "lang": "zh_CN"}])
}

fn control(kind: &str, id: &str, title: &str, require: i64, config: Value) -> Value {
    json!({"property": {"control": kind, "id": id, "title": texts(title), "placeholder": [], "require": require, "un_print": 0}, "config": config})
}

/// A form with every control the form supports.
fn every_control() -> Value {
    json!({"controls": [
        control("Text", "Text-1", "事由", 1, json!({})),
        control("Textarea", "Textarea-2", "说明", 0, json!({})),
        control("Number", "Number-3", "数量", 0, json!({})),
        control("Money", "Money-4", "金额", 1, json!({})),
        control("Date", "Date-5", "日期", 0, json!({"date": {"type": "day"}})),
        control("Date", "Date-6", "时间", 0, json!({"date": {"type": "hour"}})),
        control("DateRange", "DateRange-7", "时段", 0, json!({"date_range": {"type": "hour"}})),
        control("Selector", "Selector-8", "类别", 0, json!({"selector": {"type": "single", "options": [
            {"key": "office", "value": texts("办公")}, {"key": "it", "value": texts("电脑")}]}})),
        control("Selector", "Selector-9", "用途", 0, json!({"selector": {"type": "multi", "options": [
            {"key": "a", "value": texts("甲")}, {"key": "b", "value": texts("乙")}, {"key": "c", "value": texts("丙")}]}})),
        control("Contact", "Contact-10", "经办人", 0, json!({"contact": {"type": "single", "mode": "user"}})),
        control("Contact", "Contact-11", "部门", 0, json!({"contact": {"type": "multi", "mode": "department"}})),
        control("File", "File-12", "附件", 0, json!({"file": {"is_only_photo": 0}})),
        control("Table", "Table-13", "明细", 0, json!({"table": {"children": [
            control("Text", "Text-14", "物品", 0, json!({})),
            control("Money", "Money-15", "单价", 0, json!({})),
        ]}})),
        control("Tips", "Tips-16", "提示", 0, json!({"tips": {"tips_content": [{"text": {"sub_text": [
            {"type": 1, "content": {"plain_text": {"content": "请如实填写"}}}]}, "lang": "zh_CN"}]}})),
        control("RelatedApproval", "RelatedApproval-17", "关联审批", 0, json!({"related_approval": {"template_id": []}})),
    ]})
}

/// A template made through `oa/approval/create_template`; its id.
async fn create_template(app: &TestApp, token: &str, name: &str, content: Value) -> String {
    let r = cgi_post(
        app,
        token,
        "oa/approval/create_template",
        json!({"template_name": texts(name), "template_content": content}),
    )
    .await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    r["template_id"].as_str().unwrap().to_owned()
}

/// A simple form: one required text.
fn one_text() -> Value {
    json!({"controls": [control("Text", "Text-1", "事由", 1, json!({}))]})
}

fn text_data(text: &str) -> Value {
    json!({"contents": [{"control": "Text", "id": "Text-1", "value": {"text": text}}]})
}

async fn apply(app: &TestApp, token: &str, body: Value) -> Value {
    cgi_post(app, token, "oa/applyevent", body).await
}

/// Submits `text` on a one-text template as `creator` with the given approvers; the sp_no.
async fn submit_as(
    app: &TestApp,
    token: &str,
    template: &str,
    creator: &str,
    text: &str,
) -> String {
    let r = apply(
        app,
        token,
        json!({"creator_userid": creator, "template_id": template, "use_template_approver": 0,
               "approver": [{"attr": 1, "userid": ["li"]}], "apply_data": text_data(text)}),
    )
    .await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    r["sp_no"].as_str().unwrap().to_owned()
}

async fn detail(app: &TestApp, token: &str, sp_no: &str) -> Value {
    let r = cgi_post(app, token, "oa/getapprovaldetail", json!({"sp_no": sp_no})).await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    r["info"].clone()
}

/// The content of one control in a detail.
fn content<'a>(info: &'a Value, id: &str) -> &'a Value {
    info["apply_data"]["contents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {info}"))
}

both!(templates_through_wecoms_shapes, async |app: &TestApp| {
    let token = oa_token(app, "审批助手", json!({})).await;
    let template = create_template(app, &token, "采购申请", every_control()).await;
    assert!(template.starts_with("C4"), "{template}");
    let r = cgi_post(
        app,
        &token,
        "oa/gettemplatedetail",
        json!({"template_id": template}),
    )
    .await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    assert_eq!(r["template_names"], texts("采购申请"));
    let controls = r["template_content"]["controls"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = controls
        .iter()
        .map(|c| {
            (
                c["property"]["control"].as_str().unwrap(),
                c["property"]["id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("Text", "Text-1"),
            ("Textarea", "Textarea-2"),
            ("Number", "Number-3"),
            ("Money", "Money-4"),
            ("Date", "Date-5"),
            ("Date", "Date-6"),
            ("DateRange", "DateRange-7"),
            ("Selector", "Selector-8"),
            ("Selector", "Selector-9"),
            ("Contact", "Contact-10"),
            ("Contact", "Contact-11"),
            ("File", "File-12"),
            ("Table", "Table-13"),
            ("Tips", "Tips-16"),
            ("RelatedApproval", "RelatedApproval-17"),
        ]
    );
    assert_eq!(controls[0]["property"]["title"], texts("事由"));
    assert_eq!(controls[0]["property"]["require"], json!(1));
    assert_eq!(controls[5]["config"], json!({"date": {"type": "hour"}}));
    assert_eq!(
        controls[9]["config"],
        json!({"contact": {"type": "single", "mode": "user"}})
    );
    assert_eq!(
        controls[10]["config"],
        json!({"contact": {"type": "multi", "mode": "department"}})
    );
    assert_eq!(
        controls[8]["config"]["selector"]["options"][2],
        json!({"key": "c", "value": texts("丙")})
    );
    let children = controls[12]["config"]["table"]["children"]
        .as_array()
        .unwrap();
    assert_eq!(children.len(), 2);
    assert_eq!(children[1]["property"]["control"], json!("Money"));

    // The template is the approvals module's: administrators see it with its default flow.
    let boss = app.admin().await;
    let (s, t) = boss
        .get(&format!("/api/v1/admin/approvals/templates/{template}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["name"], json!("采购申请"));
    assert_eq!(
        t["flow"]["nodes"],
        json!([{"type": "approver", "id": "leader", "name": "直属上级", "approvers": [{"kind": "leader", "level": 1}], "mode": "any", "when_empty": "admins"}])
    );
    assert_eq!(t["version"], json!(1));

    // update_template: a new version with the new name and form, the same flow.
    let r = cgi_post(
        app,
        &token,
        "oa/approval/update_template",
        json!({"template_id": template, "template_name": texts("采购申请（新）"), "template_content": one_text()}),
    )
    .await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    let r = cgi_post(
        app,
        &token,
        "oa/gettemplatedetail",
        json!({"template_id": template}),
    )
    .await;
    assert_eq!(r["template_names"], texts("采购申请（新）"));
    assert_eq!(
        r["template_content"]["controls"].as_array().unwrap().len(),
        1
    );
    let (_, t) = boss
        .get(&format!("/api/v1/admin/approvals/templates/{template}"))
        .await;
    assert_eq!(
        (t["version"].clone(), t["flow"]["nodes"][0]["id"].clone()),
        (json!(2), json!("leader"))
    );

    // Only the app that made a template changes it, through the API.
    let other = oa_token(app, "别的应用", json!({})).await;
    let r = cgi_post(
        app,
        &other,
        "oa/approval/update_template",
        json!({"template_id": template, "template_name": texts("改名"), "template_content": one_text()}),
    )
    .await;
    assert_eq!(r["errcode"], json!(301088), "{r}");
    // Built-in templates are nobody's to change there either.
    let (_, list) = boss.get("/api/v1/admin/approvals/templates").await;
    let leave = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["builtin"] == "leave")
        .unwrap()["template_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = cgi_post(
        app,
        &token,
        "oa/approval/update_template",
        json!({"template_id": leave, "template_name": texts("请假"), "template_content": one_text()}),
    )
    .await;
    assert_eq!(r["errcode"], json!(301088), "{r}");
    // ... but everyone with the scope reads them.
    let r = cgi_post(
        app,
        &other,
        "oa/gettemplatedetail",
        json!({"template_id": leave}),
    )
    .await;
    assert_eq!(r["errcode"], json!(0), "{r}");

    // Mistakes name what is wrong.
    let r = cgi_post(
        app,
        &token,
        "oa/approval/create_template",
        json!({"template_name": texts("坏模板"), "template_content": {"controls": [control("Location", "Location-1", "地点", 0, json!({}))]}}),
    )
    .await;
    assert_eq!(r["errcode"], json!(40058), "{r}");
    assert!(
        r["errmsg"]
            .as_str()
            .unwrap()
            .contains("template_content.controls.0.property.control: unsupported"),
        "{r}"
    );
    let r = cgi_post(
        app,
        &token,
        "oa/approval/create_template",
        json!({"template_name": [], "template_content": one_text()}),
    )
    .await;
    assert!(
        r["errmsg"]
            .as_str()
            .unwrap()
            .contains("template_name: required"),
        "{r}"
    );
    // A name is unique among templates.
    let r = cgi_post(
        app,
        &token,
        "oa/approval/create_template",
        json!({"template_name": texts("采购申请（新）"), "template_content": one_text()}),
    )
    .await;
    assert_eq!(r["errcode"], json!(301025), "{r}");
    let r = cgi_post(
        app,
        &token,
        "oa/gettemplatedetail",
        json!({"template_id": "C4nosuchtemplate"}),
    )
    .await;
    assert_eq!(r["errcode"], json!(301025), "{r}");
});

both!(
    applications_both_ways_and_their_detail,
    async |app: &TestApp| {
        let (boss, li, zhang) = people(app).await;
        let token = oa_token(app, "审批助手", json!({})).await;
        let template = create_template(app, &token, "采购申请", every_control()).await;
        let media = cgi_upload(app, &token, "报价单.txt", "报价 100 元".as_bytes()).await;
        let day = 1_790_006_400; // 2026-09-22 00:00 in Shanghai
        let apply_data = json!({"contents": [
            {"control": "Text", "id": "Text-1", "title": texts("事由"), "value": {"text": "买电脑"}},
            {"control": "Textarea", "id": "Textarea-2", "value": {"text": "第一行\n第二行"}},
            {"control": "Number", "id": "Number-3", "value": {"new_number": "3"}},
            {"control": "Money", "id": "Money-4", "value": {"new_money": "12000.50"}},
            {"control": "Date", "id": "Date-5", "value": {"date": {"type": "day", "s_timestamp": day.to_string()}}},
            {"control": "Date", "id": "Date-6", "value": {"date": {"type": "hour", "s_timestamp": day + 9 * 3600 + 1800}}},
            {"control": "DateRange", "id": "DateRange-7", "value": {"date_range": {"type": "hour", "new_begin": day + 9 * 3600, "new_end": day + 11 * 3600}}},
            {"control": "Selector", "id": "Selector-8", "value": {"selector": {"type": "single", "options": [{"key": "it"}]}}},
            {"control": "Selector", "id": "Selector-9", "value": {"selector": {"type": "multi", "options": [{"key": "a"}, {"key": "c"}]}}},
            {"control": "Contact", "id": "Contact-10", "value": {"members": [{"userid": "wang"}]}},
            {"control": "Contact", "id": "Contact-11", "value": {"departments": [{"openapi_id": "1"}]}},
            {"control": "File", "id": "File-12", "value": {"files": [{"file_id": media}]}},
            {"control": "Table", "id": "Table-13", "value": {"children": [
                {"list": [{"control": "Text", "id": "Text-14", "value": {"text": "显示器"}}, {"control": "Money", "id": "Money-15", "value": {"new_money": "1500"}}]},
                {"list": [{"control": "Text", "id": "Text-14", "value": {"text": "键盘"}}, {"control": "Money", "id": "Money-15", "value": {"new_money": "200"}}]}]}},
        ]});

        // use_template_approver 1: the template's flow, zhang's direct leader li.
        let r = apply(
        app,
        &token,
        json!({"creator_userid": "zhang", "template_id": template, "use_template_approver": 1,
               "apply_data": apply_data, "summary_list": [{"summary_info": [{"text": "买电脑", "lang": "zh_CN"}]}]}),
    )
    .await;
        assert_eq!(r["errcode"], json!(0), "{r}");
        let first = r["sp_no"].as_str().unwrap().to_owned();
        // The clock reads 2026-09-21 22:13:20 in Shanghai.
        assert_eq!(first, "202609210001");
        let info = detail(app, &token, &first).await;
        assert_eq!(info["sp_no"], json!(first));
        assert_eq!(info["sp_name"], json!("采购申请"));
        assert_eq!(info["sp_status"], json!(1));
        assert_eq!(info["template_id"], json!(template));
        assert_eq!(info["apply_time"], json!(1_790_000_000));
        assert_eq!(info["applyer"], json!({"userid": "zhang", "partyid": "1"}));
        assert_eq!(
            info["sp_record"],
            json!([{"sp_status": 1, "approverattr": 1, "details": [
            {"approver": {"userid": "li"}, "speech": "", "sp_status": 1, "sptime": 0, "media_id": []}]}])
        );
        assert_eq!(info["notifyer"], json!([]));
        assert_eq!(info["comments"], json!([]));
        assert_eq!(content(&info, "Text-1")["value"]["text"], json!("买电脑"));
        assert_eq!(content(&info, "Text-1")["title"], texts("事由"));
        assert_eq!(
            content(&info, "Textarea-2")["value"]["text"],
            json!("第一行\n第二行")
        );
        assert_eq!(
            content(&info, "Number-3")["value"]["new_number"],
            json!("3")
        );
        assert_eq!(
            content(&info, "Money-4")["value"]["new_money"],
            json!("12000.50")
        );
        assert_eq!(
            content(&info, "Date-5")["value"]["date"]["s_timestamp"],
            json!(day.to_string())
        );
        assert_eq!(
            content(&info, "Date-6")["value"]["date"],
            json!({"type": "hour", "s_timestamp": (day + 9 * 3600 + 1800).to_string()})
        );
        let range = &content(&info, "DateRange-7")["value"]["date_range"];
        assert_eq!(
            (
                range["new_begin"].clone(),
                range["new_end"].clone(),
                range["new_duration"].clone()
            ),
            (json!(day + 9 * 3600), json!(day + 11 * 3600), json!(7200))
        );
        assert_eq!(
            content(&info, "Selector-8")["value"]["selector"]["options"][0]["key"],
            json!("it")
        );
        let keys: Vec<&Value> = content(&info, "Selector-9")["value"]["selector"]["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| &o["key"])
            .collect();
        assert_eq!(keys, vec!["a", "c"]);
        assert_eq!(
            content(&info, "Contact-10")["value"]["members"],
            json!([{"userid": "wang", "name": "王五"}])
        );
        assert_eq!(
            content(&info, "Contact-11")["value"]["departments"][0]["openapi_id"],
            json!("1")
        );
        let files = &content(&info, "File-12")["value"]["files"];
        assert_eq!(files[0]["file_name"], json!("报价单.txt"), "{files}");
        let rows = content(&info, "Table-13")["value"]["children"]
            .as_array()
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1]["list"][0]["value"]["text"], json!("键盘"));
        // Every value lists WeCom's empty arrays.
        assert_eq!(content(&info, "Text-1")["value"]["tips"], json!([]));

        // use_template_approver 0: the caller's approvers (会签 then 或签) and people copied.
        app.clock.advance_ms(60_000);
        let r = apply(
        app,
        &token,
        json!({"creator_userid": "zhang", "template_id": template, "use_template_approver": 0,
               "approver": [{"attr": 2, "userid": ["li", "boss"]}, {"attr": 1, "userid": ["wang"]}],
               "notifyer": ["wang"], "notify_type": 1,
               "apply_data": {"contents": [
                   {"control": "Text", "id": "Text-1", "value": {"text": "换键盘"}},
                   {"control": "Money", "id": "Money-4", "value": {"new_money": "99"}},
                   {"control": "RelatedApproval", "id": "RelatedApproval-17", "value": {"related_approval": [{"sp_no": first}]}}]}}),
    )
    .await;
        assert_eq!(r["errcode"], json!(0), "{r}");
        let second = r["sp_no"].as_str().unwrap().to_owned();
        assert_eq!(second, "202609210002");
        let info = detail(app, &token, &second).await;
        assert_eq!(info["notifyer"], json!([{"userid": "wang"}]));
        let attrs: Vec<(Value, Value)> = info["sp_record"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["approverattr"].clone(),
                    r["details"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|d| d["approver"]["userid"].clone())
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            attrs,
            vec![
                (json!(2), json!(["li", "boss"])),
                (json!(1), json!(["wang"]))
            ]
        );
        // The copy came first (notify_type 1); process_list shows it.
        let nodes: Vec<(Value, Value)> = info["process_list"]["node_list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| (n["node_type"].clone(), n["apv_rel"].clone()))
            .collect();
        assert_eq!(
            nodes,
            vec![
                (json!(2), json!(2)),
                (json!(1), json!(1)),
                (json!(1), json!(2))
            ]
        );
        assert_eq!(
            content(&info, "RelatedApproval-17")["value"]["related_approval"][0]["sp_no"],
            json!(first)
        );

        // Decisions taken in Qixie show in the detail: li approves the first with a word; on the
        // second li approves, boss comments and rejects.
        let (s, b) = li
            .post(
                &format!("/api/v1/approvals/{first}/approve"),
                json!({"comment": "同意购买"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let info = detail(app, &token, &first).await;
        assert_eq!(info["sp_status"], json!(2));
        assert_eq!(
            info["sp_record"][0],
            json!({"sp_status": 2, "approverattr": 1, "details": [
            {"approver": {"userid": "li"}, "speech": "同意购买", "sp_status": 2, "sptime": 1_790_000_060, "media_id": []}]})
        );
        app.clock.advance_ms(1_000);
        let (s, b) = li
            .post(&format!("/api/v1/approvals/{second}/approve"), json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        app.clock.advance_ms(1_000);
        let (s, b) = boss
            .post(
                &format!("/api/v1/approvals/{second}/comments"),
                json!({"content": "预算不够"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (s, b) = boss
            .post(
                &format!("/api/v1/approvals/{second}/reject"),
                json!({"comment": "下季度再买"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let info = detail(app, &token, &second).await;
        assert_eq!(info["sp_status"], json!(3));
        assert_eq!(
            info["sp_record"][0],
            json!({"sp_status": 3, "approverattr": 2, "details": [
            {"approver": {"userid": "li"}, "speech": "", "sp_status": 2, "sptime": 1_790_000_061, "media_id": []},
            {"approver": {"userid": "boss"}, "speech": "下季度再买", "sp_status": 3, "sptime": 1_790_000_062, "media_id": []}]})
        );
        // The later node was never reached.
        assert_eq!(info["sp_record"][1]["sp_status"], json!(1));
        assert_eq!(info["sp_record"][1]["details"][0]["sptime"], json!(0));
        let comments = info["comments"].as_array().unwrap();
        assert_eq!(comments.len(), 1);
        assert_eq!(comments[0]["commentUserInfo"], json!({"userid": "boss"}));
        assert_eq!(comments[0]["commentcontent"], json!("预算不够"));
        assert_eq!(comments[0]["commenttime"], json!(1_790_000_062));
        assert!(
            comments[0]["commentid"]
                .as_str()
                .unwrap()
                .starts_with("1790000062000")
        );

        // Withdrawn by its applicant, it is 4.
        let r = apply(
        app,
        &token,
        json!({"creator_userid": "zhang", "template_id": template, "use_template_approver": 1, "apply_data": apply_data}),
    )
    .await;
        let third = r["sp_no"].as_str().unwrap().to_owned();
        let (s, b) = zhang
            .post(&format!("/api/v1/approvals/{third}/withdraw"), json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(detail(app, &token, &third).await["sp_status"], json!(4));

        // Mistakes in an application name the value.
        let r = apply(
        app,
        &token,
        json!({"creator_userid": "zhang", "template_id": template, "use_template_approver": 1,
               "apply_data": {"contents": [{"control": "Text", "id": "Text-1", "value": {"text": "x"}}]}}),
    )
    .await;
        assert_eq!(r["errcode"], json!(40058), "{r}");
        assert!(
            r["errmsg"]
                .as_str()
                .unwrap()
                .contains("values.Money-4: required"),
            "{r}"
        );
        let r = apply(
            app,
            &token,
            json!({"creator_userid": "zhang", "template_id": template, "use_template_approver": 0,
               "approver": [{"attr": 1, "userid": ["nobody"]}], "apply_data": apply_data}),
        )
        .await;
        assert!(
            r["errmsg"]
                .as_str()
                .unwrap()
                .contains("approver.0.userid.0: not_found"),
            "{r}"
        );
        let r = apply(
        app,
        &token,
        json!({"creator_userid": "zhang", "template_id": template, "use_template_approver": 0, "apply_data": apply_data}),
    )
    .await;
        assert!(
            r["errmsg"].as_str().unwrap().contains("approver: required"),
            "{r}"
        );
        let r = apply(
        app,
        &token,
        json!({"creator_userid": "ghost", "template_id": template, "use_template_approver": 1, "apply_data": apply_data}),
    )
    .await;
        assert_eq!(r["errcode"], json!(60111), "{r}");
        let r = cgi_post(
            app,
            &token,
            "oa/getapprovaldetail",
            json!({"sp_no": 209901010001i64}),
        )
        .await;
        assert_eq!(r["errcode"], json!(301025), "{r}");
        // The sp_no may come as a number.
        let r = cgi_post(
            app,
            &token,
            "oa/getapprovaldetail",
            json!({"sp_no": first.parse::<i64>().unwrap()}),
        )
        .await;
        assert_eq!(r["info"]["sp_no"], json!(first), "{r}");
    }
);

/// The sp_no list of one `oa/getapprovalinfo` call.
fn sp_list(r: &Value) -> Vec<String> {
    r["sp_no_list"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

both!(the_list_pages_filters_and_limits, async |app: &TestApp| {
    let (boss, li, _) = people(app).await;
    let sales = dept(&boss, "销售部", 1).await;
    let (s, b) = boss
        .post(
            "/api/v1/admin/members",
            json!({"userid": "zhao", "name": "赵六", "department_ids": [sales]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let token = oa_token(app, "审批助手", json!({})).await;
    let a = create_template(app, &token, "差旅报销", one_text()).await;
    let b_tpl = create_template(app, &token, "用印", one_text()).await;
    let start = 1_790_000_000;
    let mut all = Vec::new();
    for (template, creator) in [
        (&a, "zhang"),
        (&b_tpl, "zhang"),
        (&a, "zhao"),
        (&a, "wang"),
        (&b_tpl, "zhao"),
    ] {
        all.push(submit_as(app, &token, template, creator, "事由").await);
        app.clock.advance_ms(1_000);
    }
    let (s, b) = li
        .post(&format!("/api/v1/approvals/{}/approve", all[0]), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = li
        .post(&format!("/api/v1/approvals/{}/reject", all[2]), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let info = async |body: Value| cgi_post(app, &token, "oa/getapprovalinfo", body).await;

    // Everything, oldest first, in one page; no cursor is given back.
    let r = info(json!({"starttime": start.to_string(), "endtime": (start + 3600).to_string(), "cursor": 0, "size": 100})).await;
    assert_eq!(r["errcode"], json!(0), "{r}");
    assert_eq!(sp_list(&r), all);
    assert!(
        r.get("next_cursor").is_none() && r.get("new_next_cursor").is_none(),
        "{r}"
    );

    // Pages of two by the integer cursor, and by the string one.
    let mut got = Vec::new();
    let mut cursor = json!(0);
    loop {
        let r =
            info(json!({"starttime": start, "endtime": start + 3600, "cursor": cursor, "size": 2}))
                .await;
        got.extend(sp_list(&r));
        match r.get("next_cursor") {
            Some(c) => cursor = c.clone(),
            None => break,
        }
    }
    assert_eq!(got, all);
    let mut got = Vec::new();
    let mut cursor = json!("");
    for _ in 0..10 {
        let r = info(
            json!({"starttime": start, "endtime": start + 3600, "new_cursor": cursor, "size": 2}),
        )
        .await;
        got.extend(sp_list(&r));
        match r.get("new_next_cursor") {
            Some(c) => cursor = c.clone(),
            None => break,
        }
    }
    assert_eq!(got, all);

    // Filters: keys together, repeated departments as alternatives; wechatpy's `filter` too.
    let r = info(
        json!({"starttime": start, "endtime": start + 3600, "cursor": 0,
        "filters": [{"key": "template_id", "value": a}, {"key": "creator", "value": "zhang"}]}),
    )
    .await;
    assert_eq!(sp_list(&r), vec![all[0].clone()]);
    let r = info(
        json!({"starttime": start, "endtime": start + 3600, "cursor": 0,
        "filter": [{"key": "department", "value": sales.to_string()}]}),
    )
    .await;
    assert_eq!(sp_list(&r), vec![all[2].clone(), all[4].clone()]);
    let r = info(
        json!({"starttime": start, "endtime": start + 3600, "cursor": 0,
        "filters": [{"key": "department", "value": "1"}, {"key": "department", "value": sales}]}),
    )
    .await;
    assert_eq!(sp_list(&r), all);
    let status = async |code: &str| {
        sp_list(
            &info(
                json!({"starttime": start, "endtime": start + 3600, "cursor": 0,
            "filters": [{"key": "sp_status", "value": code}]}),
            )
            .await,
        )
    };
    assert_eq!(
        status("1").await,
        vec![all[1].clone(), all[3].clone(), all[4].clone()]
    );
    assert_eq!(status("2").await, vec![all[0].clone()]);
    assert_eq!(status("3").await, vec![all[2].clone()]);
    assert_eq!(status("4").await, Vec::<String>::new());
    // The time range: inclusive seconds, at most 31 days, end after start.
    let r = info(json!({"starttime": start + 1, "endtime": start + 3, "cursor": 0})).await;
    assert_eq!(sp_list(&r), all[1..4].to_vec());
    let r =
        info(json!({"starttime": start, "endtime": start + 31 * 86_400 + 1, "cursor": 0})).await;
    assert_eq!(r["errcode"], json!(40058), "{r}");
    assert!(
        r["errmsg"]
            .as_str()
            .unwrap()
            .contains("endtime: out_of_range"),
        "{r}"
    );
    let r = info(json!({"starttime": start, "endtime": start + 31 * 86_400, "cursor": 0})).await;
    assert_eq!(sp_list(&r), all);
    let r = info(json!({"starttime": start, "endtime": start, "cursor": 0})).await;
    assert!(
        r["errmsg"]
            .as_str()
            .unwrap()
            .contains("endtime: before_start"),
        "{r}"
    );
    let r = info(json!({"starttime": start, "endtime": start + 10, "cursor": 0, "filters": [{"key": "colour", "value": "red"}]})).await;
    assert!(
        r["errmsg"]
            .as_str()
            .unwrap()
            .contains("filters.0.key: unknown"),
        "{r}"
    );
    // Approvals submitted in the same millisecond page one by one, in order, with either cursor.
    app.clock.advance_ms(10_000);
    let at = start + 15;
    let mut same = Vec::new();
    for _ in 0..3 {
        same.push(submit_as(app, &token, &a, "wang", "同一刻").await);
    }
    for by_key in [true, false] {
        let mut got = Vec::new();
        let mut body = json!({"starttime": at - 1, "endtime": at + 1, "size": 1, "cursor": 0});
        for _ in 0..5 {
            let r = info(body.clone()).await;
            got.extend(sp_list(&r));
            let next = if by_key {
                "new_next_cursor"
            } else {
                "next_cursor"
            };
            match r.get(next) {
                Some(c) => body[if by_key { "new_cursor" } else { "cursor" }] = c.clone(),
                None => break,
            }
        }
        assert_eq!(got, same, "by key: {by_key}");
    }
    // And with what came before them, two a page: every page boundary between or among them.
    let mut everything = all.clone();
    everything.extend(same.iter().cloned());
    for size in [2, 3] {
        let mut got = Vec::new();
        let mut cursor = json!(0);
        loop {
            let r = info(
                json!({"starttime": start, "endtime": at + 1, "cursor": cursor, "size": size}),
            )
            .await;
            got.extend(sp_list(&r));
            match r.get("next_cursor") {
                Some(c) => cursor = c.clone(),
                None => break,
            }
        }
        assert_eq!(got, everything, "size {size}");
    }
    // A filter pages the same way (it reads the rows it skips).
    let mut got = Vec::new();
    let mut cursor = json!(0);
    loop {
        let r = info(
            json!({"starttime": start, "endtime": at + 1, "cursor": cursor, "size": 2,
            "filters": [{"key": "department", "value": "1"}]}),
        )
        .await;
        got.extend(sp_list(&r));
        match r.get("next_cursor") {
            Some(c) => cursor = c.clone(),
            None => break,
        }
    }
    let mut in_one = vec![all[0].clone(), all[1].clone(), all[3].clone()];
    in_one.extend(same.iter().cloned());
    assert_eq!(got, in_one);
});

both!(
    the_approval_scope_and_the_visible_range,
    async |app: &TestApp| {
        let (boss, ..) = people(app).await;
        let sales = dept(&boss, "销售部", 1).await;
        let (s, b) = boss
        .post(
            "/api/v1/admin/members",
            json!({"userid": "zhao", "name": "赵六", "department_ids": [sales], "leader_userid": "li"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let token = oa_token(app, "审批助手", json!({})).await;
        let template = create_template(app, &token, "差旅报销", one_text()).await;
        let zhang_one = submit_as(app, &token, &template, "zhang", "一").await;
        // An app without the scope is refused: 301055, 301088 for templates.
        let plain = app_token(app, json!({"name": "通讯录", "scopes": ["contacts.read"]})).await;
        for (path, body) in [
            (
                "oa/applyevent",
                json!({"creator_userid": "zhang", "template_id": template, "use_template_approver": 1, "apply_data": text_data("x")}),
            ),
            (
                "oa/getapprovalinfo",
                json!({"starttime": 1_790_000_000, "endtime": 1_790_003_600, "cursor": 0}),
            ),
            ("oa/getapprovaldetail", json!({"sp_no": zhang_one})),
            ("oa/gettemplatedetail", json!({"template_id": template})),
        ] {
            let r = cgi_post(app, &plain, path, body).await;
            assert_eq!(r["errcode"], json!(301055), "{path}: {r}");
        }
        let r = cgi_post(
            app,
            &plain,
            "oa/approval/create_template",
            json!({"template_name": texts("无权"), "template_content": one_text()}),
        )
        .await;
        assert_eq!(r["errcode"], json!(301088), "{r}");

        // An app visible to the sales department submits only for its members, and reads only their
        // approvals and those it submitted.
        let sales_app = oa_token(app, "销售审批", json!({"visible_department_ids": [sales]})).await;
        let r = apply(
        app,
        &sales_app,
        json!({"creator_userid": "zhang", "template_id": template, "use_template_approver": 1, "apply_data": text_data("x")}),
    )
    .await;
        assert_eq!(r["errcode"], json!(301055), "{r}");
        let zhao_one = submit_as(app, &sales_app, &template, "zhao", "二").await;
        app.clock.advance_ms(1_000);
        let zhao_two = submit_as(app, &token, &template, "zhao", "三").await;
        let r = cgi_post(
            app,
            &sales_app,
            "oa/getapprovaldetail",
            json!({"sp_no": zhang_one}),
        )
        .await;
        assert_eq!(r["errcode"], json!(301025), "{r}");
        let r = cgi_post(
            app,
            &sales_app,
            "oa/getapprovaldetail",
            json!({"sp_no": zhao_two}),
        )
        .await;
        assert_eq!(r["errcode"], json!(0), "{r}");
        let r = cgi_post(
            app,
            &sales_app,
            "oa/getapprovalinfo",
            json!({"starttime": 1_790_000_000, "endtime": 1_790_003_600, "cursor": 0}),
        )
        .await;
        assert_eq!(sp_list(&r), vec![zhao_one.clone(), zhao_two.clone()]);
        // An app visible only to zhang by name reads what it submitted for him.
        let named = oa_token(app, "个人审批", json!({"visible_userids": ["zhang"]})).await;
        let mine = submit_as(app, &named, &template, "zhang", "四").await;
        let r = cgi_post(
            app,
            &named,
            "oa/getapprovalinfo",
            json!({"starttime": 1_790_000_000, "endtime": 1_790_003_600, "cursor": 0}),
        )
        .await;
        assert_eq!(sp_list(&r), vec![mine.clone()]);
        let r = cgi_post(app, &named, "oa/getapprovaldetail", json!({"sp_no": mine})).await;
        assert_eq!(r["errcode"], json!(0), "{r}");
        // The whole-enterprise app sees all of them.
        let r = cgi_post(
            app,
            &token,
            "oa/getapprovalinfo",
            json!({"starttime": 1_790_000_000, "endtime": 1_790_003_600, "cursor": 0}),
        )
        .await;
        assert_eq!(sp_list(&r), vec![zhang_one, zhao_one, zhao_two, mine]);
    }
);

/// What a receiver was sent: the query and the body of each push.
type Events = Arc<Mutex<Vec<(HashMap<String, String>, String)>>>;

/// A callback receiver on a loopback port: it answers WeCom's URL check as a receiver holding
/// `token` and `AES_KEY` does (or `echo_wrong`), and records the events posted to it.
struct Receiver {
    url: String,
    events: Events,
}

async fn receiver(corpid: &str, token: &str, echo_wrong: bool) -> Receiver {
    use axum::extract::{Query, State};
    type Shared = (Events, String, String, bool);
    let events: Events = Arc::default();
    let router = axum::Router::new()
        .route(
            "/cb",
            axum::routing::get(
                async |State((_, corpid, token, wrong)): State<Shared>,
                       Query(q): Query<HashMap<String, String>>| {
                    let crypt =
                        qixie_apps::crypto::MsgCrypt::new(&token, AES_KEY, &corpid).unwrap();
                    let echostr = &q["echostr"];
                    assert_eq!(
                        crypt.signature(&q["timestamp"], &q["nonce"], echostr),
                        q["msg_signature"]
                    );
                    let (plain, id) = crypt.decrypt(echostr).unwrap();
                    assert_eq!(id, corpid);
                    if wrong { "12345".to_owned() } else { plain }
                },
            )
            .post(
                async |State((events, ..)): State<Shared>,
                       Query(q): Query<HashMap<String, String>>,
                       body: String| {
                    events.lock().unwrap().push((q, body));
                    "success"
                },
            ),
        )
        .with_state((
            events.clone(),
            corpid.to_owned(),
            token.to_owned(),
            echo_wrong,
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cb", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    Receiver { url, events }
}

/// The event XML inside a push, its signature checked.
fn opened(event: &(HashMap<String, String>, String), token: &str, corpid: &str) -> String {
    let (q, body) = event;
    let encrypted = body
        .split("<Encrypt><![CDATA[")
        .nth(1)
        .and_then(|s| s.split("]]>").next())
        .unwrap();
    let crypt = qixie_apps::crypto::MsgCrypt::new(token, AES_KEY, corpid).unwrap();
    assert_eq!(
        crypt.signature(&q["timestamp"], &q["nonce"], encrypted),
        q["msg_signature"],
        "the signature checks out"
    );
    let (xml, id) = crypt.decrypt(encrypted).unwrap();
    assert_eq!(id, corpid);
    xml
}

/// The agentid of the app named `name`, from the admin list.
async fn agentid(boss: &Client, name: &str) -> i64 {
    let (_, list) = boss.get("/api/v1/admin/apps").await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap()["agentid"]
        .as_i64()
        .unwrap()
}

both!(
    callbacks_are_checked_and_hear_every_change,
    async |app: &TestApp| {
        let (boss, li, _) = people(app).await;
        let token = oa_token(app, "审批助手", json!({})).await;
        let id = agentid(&boss, "审批助手").await;
        let rx = receiver(&app.corp_id, "cbtoken", false).await;
        let path = format!("/api/v1/admin/apps/{id}");

        // Saving a callback runs WeCom's URL check; a receiver that echoes wrongly is refused, and so
        // are fields the API does not know.
        let bad = receiver(&app.corp_id, "cbtoken", true).await;
        let (s, b) = boss
        .patch(&path, json!({"callback": {"url": bad.url, "token": "cbtoken", "encoding_aes_key": AES_KEY}}))
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(
            b["error"]["fields"],
            json!({"callback.url": "wrong"}),
            "{b}"
        );
        let (s, b) = boss
        .patch(&path, json!({"callback": {"url": rx.url, "token": "cbtoken", "encoding_aes_key": "short"}}))
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(
            b["error"]["fields"],
            json!({"callback.encoding_aes_key": "format"}),
            "{b}"
        );
        let (s, b) = boss
        .patch(&path, json!({"callback": {"url": rx.url, "token": "cbtoken", "encoding_aes_key": AES_KEY, "colour": "red"}}))
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
        assert_eq!(
            b["error"]["fields"],
            json!({"callback.colour": "unknown_field"}),
            "{b}"
        );
        let (s, b) = boss.patch(&path, json!({"colour": "red"})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
        assert_eq!(
            b["error"]["fields"],
            json!({"colour": "unknown_field"}),
            "{b}"
        );
        let (s, b) = boss
        .patch(&path, json!({"callback": {"url": rx.url, "token": "cbtoken", "encoding_aes_key": AES_KEY}}))
        .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(
            b["app"]["callback"],
            json!({"url": rx.url, "token": "cbtoken"})
        );
        // The list shows the callback, never its key.
        let (_, list) = boss.get("/api/v1/admin/apps").await;
        let shown = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["agentid"] == id)
            .unwrap()
            .clone();
        assert_eq!(
            shown["callback"],
            json!({"url": rx.url, "token": "cbtoken"})
        );
        assert!(!list.to_string().contains(AES_KEY), "{list}");
        // Another change leaves the callback as it is.
        let (s, b) = boss.patch(&path, json!({"description": "审批对接"})).await;
        assert_eq!(
            (s, b["app"]["callback"]["url"].clone()),
            (StatusCode::OK, json!(rx.url))
        );
        // An app with a callback but without the scope hears nothing.
        let quiet = receiver(&app.corp_id, "cbtoken", false).await;
        let (s, b) = boss
        .post("/api/v1/admin/apps", json!({"name": "消息", "scopes": ["message"], "callback": {"url": quiet.url, "token": "cbtoken", "encoding_aes_key": AES_KEY}}))
        .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["app"]["callback"]["url"], json!(quiet.url));
        // A second app with the scope hears the same changes.
        let rx2 = receiver(&app.corp_id, "cbtoken2", false).await;
        let (s, b) = boss
        .post("/api/v1/admin/apps", json!({"name": "审批二", "scopes": ["approval"], "callback": {"url": rx2.url, "token": "cbtoken2", "encoding_aes_key": AES_KEY}}))
        .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");

        // Submitting, approving: each change is pushed, encrypted and signed.
        let template = create_template(app, &token, "差旅报销", one_text()).await;
        let sp_no = submit_as(app, &token, &template, "zhang", "打车").await;
        until(app, 1_000, async || !rx.events.lock().unwrap().is_empty()).await;
        let (s, b) = li
            .post(
                &format!("/api/v1/approvals/{sp_no}/approve"),
                json!({"comment": "可以"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        until(app, 1_000, async || rx.events.lock().unwrap().len() >= 2).await;
        let events = rx.events.lock().unwrap().clone();
        let first = opened(&events[0], "cbtoken", &app.corp_id);
        let corp = &app.corp_id;
        for part in [
        format!("<ToUserName><![CDATA[{corp}]]></ToUserName>"),
        "<FromUserName><![CDATA[sys]]></FromUserName>".to_owned(),
        "<MsgType><![CDATA[event]]></MsgType>".to_owned(),
        "<Event><![CDATA[sys_approval_change]]></Event>".to_owned(),
        format!("<AgentID>{id}</AgentID>"),
        format!("<SpNo>{sp_no}</SpNo>"),
        "<SpName><![CDATA[差旅报销]]></SpName>".to_owned(),
        "<SpStatus>1</SpStatus>".to_owned(),
        format!("<TemplateId><![CDATA[{template}]]></TemplateId>"),
        "<ApplyTime>1790000000</ApplyTime>".to_owned(),
        "<Applyer><UserId><![CDATA[zhang]]></UserId><Party><![CDATA[1]]></Party></Applyer>".to_owned(),
        "<SpRecord><SpStatus>1</SpStatus><ApproverAttr>1</ApproverAttr><Details><Approver><UserId><![CDATA[li]]></UserId></Approver><Speech><![CDATA[]]></Speech><SpStatus>1</SpStatus><SpTime>0</SpTime></Details></SpRecord>".to_owned(),
        "<Notifyer></Notifyer>".to_owned(),
        "<Comments></Comments>".to_owned(),
        "<StatuChangeEvent>1</StatuChangeEvent>".to_owned(),
    ] {
        assert!(first.contains(&part), "{part} in {first}");
    }
        let second = opened(&events[1], "cbtoken", &app.corp_id);
        for part in [
            "<SpStatus>2</SpStatus><ApproverAttr>1</ApproverAttr>",
            "<Speech><![CDATA[可以]]></Speech><SpStatus>2</SpStatus>",
            "<StatuChangeEvent>2</StatuChangeEvent>",
        ] {
            assert!(second.contains(part), "{part} in {second}");
        }
        assert!(
            second.contains("<ApprovalInfo><SpNo>") && second.contains("</ApprovalInfo></xml>")
        );
        // The envelope names the corp and the app.
        assert!(
        events[1].1.starts_with(&format!(
            "<xml><ToUserName><![CDATA[{corp}]]></ToUserName><AgentID><![CDATA[{id}]]></AgentID><Encrypt>"
        )),
        "{}",
        events[1].1
    );
        assert!(quiet.events.lock().unwrap().is_empty());

        until(app, 1_000, async || rx2.events.lock().unwrap().len() >= 2).await;
        let other = opened(&rx2.events.lock().unwrap()[1], "cbtoken2", &app.corp_id);
        assert!(
            other.contains("<StatuChangeEvent>2</StatuChangeEvent>"),
            "{other}"
        );

        // `null` removes the callback: the next change goes to the other app only. Both apps' jobs for
        // one change are queued together, so once the other app has it, none was queued for this one.
        let (s, b) = boss.patch(&path, json!({"callback": null})).await;
        assert_eq!(
            (s, b["app"]["callback"].clone()),
            (StatusCode::OK, Value::Null)
        );
        let again = submit_as(app, &token, &template, "zhang", "再来").await;
        until(app, 1_000, async || rx2.events.lock().unwrap().len() >= 3).await;
        let last = opened(&rx2.events.lock().unwrap()[2], "cbtoken2", &app.corp_id);
        assert!(last.contains(&format!("<SpNo>{again}</SpNo>")), "{last}");
        let (queued,): (i64,) = app
        .state
        .db
        .one(
            qixie_kernel::db::sql("SELECT COUNT(*) FROM jobs WHERE kind = 'wecom.approval_callback' AND payload LIKE $1")
                .bind(format!("%\"agentid\":{id},%")),
        )
        .await
        .unwrap();
        assert_eq!(queued, 2);
        assert_eq!(rx.events.lock().unwrap().len(), 2);
    }
);
