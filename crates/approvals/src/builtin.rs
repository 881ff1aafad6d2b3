//! The templates every enterprise starts with (editable like any other): leave, reimbursement,
//! business trip, purchase, supplies requisition, overtime and make-up clock-in. Their flows use
//! only the organisation's own structure (leaders), so they work before anyone configures them.
use serde_json::{Value, json};

use qixie_kernel::AppState;
use qixie_kernel::db::sql;
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::CorpId;

use crate::template::{TemplateInput, insert};

/// The direct leader approves; when they resolve to nobody, the super administrators do.
fn leader_node(id: &str, level: u8) -> Value {
    json!({"type": "approver", "id": id, "name": if level == 1 { "直属上级" } else { "上级领导" },
           "approvers": [{"kind": "leader", "level": level}], "mode": "any", "when_empty": "admins"})
}

fn template(
    name: &str,
    group: &str,
    icon: &str,
    description: &str,
    fields: Value,
    nodes: Value,
) -> TemplateInput {
    let v = json!({"name": name, "group": group, "icon": icon, "description": description,
                   "fields": fields, "flow": {"nodes": nodes}});
    // The definitions below are fixed and checked by a test; a mistake is a bug found there.
    serde_json::from_value(v).unwrap_or_else(|e| panic!("built-in template {name}: {e}"))
}

/// (builtin key, template) for each built-in template.
pub fn templates() -> Vec<(&'static str, TemplateInput)> {
    vec![
        (
            "leave",
            template(
                "请假",
                "人事",
                "leave",
                "请假申请，审批通过后计入考勤",
                json!([
                    {"id": "leave_type", "kind": "single_choice", "title": "请假类型", "required": true,
                     "options": [{"key": "annual", "text": "年假"}, {"key": "personal", "text": "事假"},
                                 {"key": "sick", "text": "病假"}, {"key": "compensatory", "text": "调休"},
                                 {"key": "marriage", "text": "婚假"}, {"key": "maternity", "text": "产假"},
                                 {"key": "paternity", "text": "陪产假"}, {"key": "bereavement", "text": "丧假"}]},
                    {"id": "period", "kind": "date_range", "title": "请假时间", "required": true, "unit": "half_day"},
                    {"id": "reason", "kind": "textarea", "title": "请假事由", "required": true, "placeholder": "请输入请假事由"},
                    {"id": "attachments", "kind": "image", "title": "图片", "hint": "病假请附上病历或诊断证明"}
                ]),
                json!([
                    leader_node("leader", 1),
                    {"type": "branch", "id": "long_leave", "branches": [
                        {"name": "超过 3 天", "conditions": [{"kind": "range", "field": "period", "min": 3, "min_exclusive": true}],
                         "nodes": [leader_node("second_leader", 2)]},
                        {"name": "其他", "nodes": []}
                    ]}
                ]),
            ),
        ),
        (
            "reimbursement",
            template(
                "报销",
                "财务",
                "reimbursement",
                "费用报销，按明细填写，金额自动合计",
                json!([
                    {"id": "reason", "kind": "text", "title": "报销事由", "required": true},
                    {"id": "details", "kind": "table", "title": "费用明细", "required": true, "columns": [
                        {"id": "category", "kind": "single_choice", "title": "费用类型", "required": true,
                         "options": [{"key": "travel", "text": "差旅费"}, {"key": "transport", "text": "交通费"},
                                     {"key": "meal", "text": "餐费"}, {"key": "office", "text": "办公用品"},
                                     {"key": "other", "text": "其他"}]},
                        {"id": "amount", "kind": "money", "title": "金额", "required": true, "min": 0},
                        {"id": "note", "kind": "text", "title": "说明"}
                    ]},
                    {"id": "total", "kind": "money", "title": "报销总额", "required": true, "min": 0},
                    {"id": "invoices", "kind": "attachment", "title": "发票"}
                ]),
                json!([
                    leader_node("leader", 1),
                    {"type": "branch", "id": "large_amount", "branches": [
                        {"name": "总额超过 10000", "conditions": [{"kind": "range", "field": "total", "min": 10000, "min_exclusive": true}],
                         "nodes": [leader_node("second_leader", 2)]},
                        {"name": "其他", "nodes": []}
                    ]},
                    {"type": "approver", "id": "finance", "name": "财务审批",
                     "approvers": [{"kind": "admins", "permission": "approvals.manage"}], "mode": "any", "when_empty": "skip"}
                ]),
            ),
        ),
        (
            "business_trip",
            template(
                "出差",
                "行政",
                "business_trip",
                "出差申请",
                json!([
                    {"id": "destination", "kind": "text", "title": "出差地点", "required": true},
                    {"id": "period", "kind": "date_range", "title": "出差时间", "required": true, "unit": "half_day"},
                    {"id": "transport", "kind": "single_choice", "title": "交通工具",
                     "options": [{"key": "train", "text": "火车"}, {"key": "plane", "text": "飞机"},
                                 {"key": "car", "text": "汽车"}, {"key": "other", "text": "其他"}]},
                    {"id": "budget", "kind": "money", "title": "预算", "min": 0},
                    {"id": "reason", "kind": "textarea", "title": "出差事由", "required": true}
                ]),
                json!([leader_node("leader", 1)]),
            ),
        ),
        (
            "purchase",
            template(
                "采购",
                "行政",
                "purchase",
                "物品或服务采购",
                json!([
                    {"id": "reason", "kind": "text", "title": "采购事由", "required": true},
                    {"id": "items", "kind": "table", "title": "采购明细", "required": true, "columns": [
                        {"id": "name", "kind": "text", "title": "名称", "required": true},
                        {"id": "quantity", "kind": "number", "title": "数量", "required": true, "min": 1},
                        {"id": "price", "kind": "money", "title": "单价", "required": true, "min": 0}
                    ]},
                    {"id": "total", "kind": "money", "title": "总价", "required": true, "min": 0},
                    {"id": "expected", "kind": "date", "title": "期望交付日期"}
                ]),
                json!([
                    leader_node("leader", 1),
                    {"type": "approver", "id": "finance", "name": "财务审批",
                     "approvers": [{"kind": "admins", "permission": "approvals.manage"}], "mode": "any", "when_empty": "skip"}
                ]),
            ),
        ),
        (
            "supplies",
            template(
                "物品领用",
                "行政",
                "supplies",
                "办公用品等物品领用",
                json!([
                    {"id": "items", "kind": "table", "title": "领用明细", "required": true, "columns": [
                        {"id": "name", "kind": "text", "title": "物品名称", "required": true},
                        {"id": "quantity", "kind": "number", "title": "数量", "required": true, "min": 1}
                    ]},
                    {"id": "reason", "kind": "text", "title": "领用用途"}
                ]),
                json!([leader_node("leader", 1)]),
            ),
        ),
        (
            "overtime",
            template(
                "加班",
                "人事",
                "overtime",
                "加班申请，审批通过后计入考勤",
                json!([
                    {"id": "period", "kind": "date_range", "title": "加班时间", "required": true, "unit": "hour"},
                    {"id": "compensation", "kind": "single_choice", "title": "加班补偿", "required": true,
                     "options": [{"key": "leave", "text": "调休"}, {"key": "pay", "text": "加班费"}]},
                    {"id": "reason", "kind": "textarea", "title": "加班原因", "required": true}
                ]),
                json!([leader_node("leader", 1)]),
            ),
        ),
        (
            "punch_correction",
            template(
                "补卡",
                "人事",
                "punch_correction",
                "忘记打卡或打卡异常时申请补卡",
                json!([
                    {"id": "time", "kind": "date_time", "title": "补卡时间", "required": true},
                    {"id": "kind", "kind": "single_choice", "title": "补卡类型", "required": true,
                     "options": [{"key": "on", "text": "上班"}, {"key": "off", "text": "下班"}]},
                    {"id": "reason", "kind": "textarea", "title": "补卡理由", "required": true}
                ]),
                json!([leader_node("leader", 1)]),
            ),
        ),
    ]
}

/// The keys, in the order the API documents them.
pub const KEYS: &[&str] = &[
    "leave",
    "reimbursement",
    "business_trip",
    "purchase",
    "supplies",
    "overtime",
    "punch_correction",
];

/// Adds the built-in templates to an enterprise that has never had them (deleted ones stay as
/// rows, so this is once; a counter makes nodes racing here add them once).
pub async fn ensure(app: &AppState, corp: CorpId) -> AppResult<()> {
    let had: Option<(i64,)> = app
        .db
        .opt(
            sql("SELECT id FROM approval_templates WHERE corp_id = $1 AND builtin IS NOT NULL LIMIT 1")
                .bind(corp),
        )
        .await?;
    if had.is_some() {
        return Ok(());
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    if tx.next_value(corp.0, "approval_builtins", 1).await? != 1 {
        return Ok(());
    }
    for (key, input) in templates() {
        insert(&mut tx, corp, &input, Some(key), None, None, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::form::validate::check_fields;

    #[test]
    fn every_builtin_template_is_a_valid_form_with_a_flow() {
        let all = super::templates();
        let keys: Vec<&str> = all.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, super::KEYS);
        for (key, t) in all {
            assert_eq!(check_fields(&t.fields), vec![], "{key}");
            assert!(!t.flow.nodes.is_empty(), "{key}");
        }
    }
}
