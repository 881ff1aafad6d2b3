//! The enterprise under test: a chairman, two people in finance, 20 departments each with a head,
//! and teams of about 20 whose first member heads the team. Every member's direct leader (直属上级)
//! is set in the import file: member → team head → department head → chairman, so the template's
//! "leader" and "second leader" nodes resolve through the real directory.
use std::fmt::Write as _;

use serde_json::{Value, json};

pub const CORP_NAME: &str = "审批基准";
pub const DEPARTMENTS: usize = 20;
/// The last approver of every application (the heavy "done by me" and the 5,000 waiting).
pub const FINANCE: &str = "cw0001";
/// The second step of small amounts.
pub const CASHIER: &str = "cw0002";
pub const TEMPLATE_NAME: &str = "报销";
/// Above this total the second step is the department head; otherwise the cashier.
pub const LARGE_AMOUNT: u32 = 5000;

pub struct Org {
    /// userid, department path below the corp, leader index.
    pub members: Vec<(String, String, Option<usize>)>,
    pub dept_heads: Vec<usize>,
    pub team_heads: Vec<usize>,
    /// The team of each member (None for the chairman, finance and department heads).
    pub team_of: Vec<Option<usize>>,
    /// Members who head nothing: the applicants.
    pub regular: Vec<usize>,
}

impl Org {
    pub fn generate(n: usize) -> Org {
        let mut members: Vec<(String, String, Option<usize>)> = Vec::with_capacity(n);
        let mut team_of = Vec::with_capacity(n);
        members.push(("u00000".into(), String::new(), None));
        members.push((FINANCE.into(), "财务部".into(), Some(0)));
        members.push((CASHIER.into(), "财务部".into(), Some(0)));
        team_of.extend([None, None, None]);
        let mut dept_heads = Vec::new();
        for d in 0..DEPARTMENTS {
            dept_heads.push(members.len());
            members.push((
                format!("u{:05}", members.len()),
                format!("部门{:02}", d + 1),
                Some(0),
            ));
            team_of.push(None);
        }
        let rest = n.saturating_sub(members.len()).max(DEPARTMENTS * 2);
        let teams_per_dept = (rest / (DEPARTMENTS * 20)).max(1);
        let teams = teams_per_dept * DEPARTMENTS;
        let team_dept = |t: usize| t % DEPARTMENTS;
        let mut team_heads = Vec::with_capacity(teams);
        let mut regular = Vec::new();
        for k in 0..rest {
            let t = k % teams;
            let d = team_dept(t);
            let i = members.len();
            let path = format!("部门{:02}/组{:03}", d + 1, t / DEPARTMENTS + 1);
            let leader = if k < teams {
                team_heads.push(i);
                dept_heads[d]
            } else {
                regular.push(i);
                team_heads[t]
            };
            members.push((format!("u{i:05}"), path, Some(leader)));
            team_of.push(Some(t));
        }
        Org {
            members,
            dept_heads,
            team_heads,
            team_of,
            regular,
        }
    }

    pub fn userid(&self, i: usize) -> &str {
        &self.members[i].0
    }

    pub fn leader(&self, i: usize) -> usize {
        self.members[i].2.unwrap_or(0)
    }

    /// A regular member of team `t`, the `k`-th.
    pub fn member_of_team(&self, t: usize, k: usize) -> Option<usize> {
        self.regular
            .iter()
            .copied()
            .filter(|&i| self.team_of[i] == Some(t))
            .nth(k)
    }

    /// The import file: UTF-8 CSV with the headers HR exports use; leaders come before their
    /// reports.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut out = String::with_capacity(self.members.len() * 80);
        out.push_str("姓名,帐号,手机,部门,职务,直属上级\n");
        for (i, (userid, path, leader)) in self.members.iter().enumerate() {
            let dept = if path.is_empty() {
                CORP_NAME.to_owned()
            } else {
                format!("{CORP_NAME}/{path}")
            };
            let leader = leader.map(|l| self.members[l].0.as_str()).unwrap_or("");
            let position = if self.team_heads.contains(&i) || self.dept_heads.contains(&i) {
                "负责人"
            } else {
                "职员"
            };
            let _ = writeln!(
                out,
                "员工{i:05},{userid},139{i:08},{dept},{position},{leader}"
            );
        }
        out.into_bytes()
    }
}

/// The 报销 template: ten fields, three approval steps, the second chosen by a money branch.
pub fn template_input() -> Value {
    json!({
        "name": TEMPLATE_NAME, "group": "财务", "icon": "reimbursement",
        "description": "费用报销（基准）", "note": "基准：十个字段、三级审批",
        "fields": [
            {"id": "reason", "kind": "text", "title": "报销事由", "required": true},
            {"id": "category", "kind": "single_choice", "title": "费用类型", "required": true,
             "options": [{"key": "travel", "text": "差旅费"}, {"key": "meal", "text": "餐费"}, {"key": "other", "text": "其他"}]},
            {"id": "total", "kind": "money", "title": "报销总额", "required": true, "min": 0},
            {"id": "spent_on", "kind": "date", "title": "发生日期"},
            {"id": "project", "kind": "text", "title": "所属项目"},
            {"id": "payee", "kind": "text", "title": "收款人"},
            {"id": "bank", "kind": "text", "title": "开户行"},
            {"id": "account_no", "kind": "text", "title": "收款账号"},
            {"id": "invoice_no", "kind": "text", "title": "发票号"},
            {"id": "remark", "kind": "textarea", "title": "备注"}
        ],
        "flow": {"nodes": [
            {"type": "approver", "id": "leader", "name": "直属上级",
             "approvers": [{"kind": "leader", "level": 1}], "mode": "any", "when_empty": "admins"},
            {"type": "branch", "id": "large_amount", "branches": [
                {"name": format!("总额超过 {LARGE_AMOUNT}"),
                 "conditions": [{"kind": "range", "field": "total", "min": LARGE_AMOUNT, "min_exclusive": true}],
                 "nodes": [{"type": "approver", "id": "second_leader", "name": "部门负责人",
                            "approvers": [{"kind": "leader", "level": 2}], "mode": "any", "when_empty": "admins"}]},
                {"name": "其他", "nodes": [{"type": "approver", "id": "cashier", "name": "出纳复核",
                            "approvers": [{"kind": "members", "userids": [CASHIER]}], "mode": "any"}]}
            ]},
            {"type": "approver", "id": "finance", "name": "财务审批",
             "approvers": [{"kind": "members", "userids": [FINANCE]}], "mode": "any"}
        ]}
    })
}

/// A filled-in form (a large amount: leader, department head, finance).
pub fn values(n: usize) -> Value {
    json!({
        "reason": format!("北京出差报销 第{n}次"),
        "category": "travel",
        "total": "12800.50",
        "spent_on": "2026-12-01",
        "project": "企协二期",
        "payee": "张伟",
        "bank": "招商银行北京分行",
        "account_no": "6225880112345678",
        "invoice_no": format!("INV-20261201-{n:06}"),
        "remark": "往返机票及四晚住宿，发票已贴好"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_of_ten_thousand() {
        let o = Org::generate(10_000);
        assert_eq!(o.members.len(), 10_000);
        assert_eq!(o.dept_heads.len(), DEPARTMENTS);
        assert_eq!(o.team_heads.len(), 480);
        assert_eq!(o.regular.len(), 10_000 - 3 - DEPARTMENTS - 480);
        // Leaders come first and chains run member → team head → department head → chairman.
        assert!(
            o.members
                .iter()
                .enumerate()
                .all(|(i, m)| m.2.is_none_or(|l| l < i))
        );
        let m = o.regular[0];
        let t = o.leader(m);
        assert!(o.team_heads.contains(&t));
        assert!(o.dept_heads.contains(&o.leader(t)));
        assert_eq!(o.leader(o.leader(t)), 0);
        let csv = o.to_csv();
        assert_eq!(csv.iter().filter(|b| **b == b'\n').count(), 10_001);
    }
}
