//! A demo enterprise so a visitor sees a living company: a group with two subsidiaries, eight
//! departments, about sixty members with leaders, positions and tags. Demo members can sign in with
//! the password `Demo2026!` and are asked to change it.
use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, perm};
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::CorpId;
use qixie_org::{department, member, tag};

pub const DEMO_PASSWORD: &str = "Demo2026!";

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "霞",
    "平", "刚", "桂英", "建华", "晓东", "子涵",
];

/// (department name, parent index in this list or None for the root, positions)
const DEPARTMENTS: &[(&str, Option<usize>, &[&str])] = &[
    ("集团总部", None, &["总裁", "总裁助理", "行政专员"]),
    ("华东子公司", None, &["总经理", "运营经理"]),
    ("华南子公司", None, &["总经理", "运营经理"]),
    (
        "人力资源部",
        Some(0),
        &["人力资源总监", "招聘专员", "薪酬专员"],
    ),
    ("财务部", Some(0), &["财务总监", "会计", "出纳"]),
    (
        "研发中心",
        Some(1),
        &["技术总监", "后端工程师", "前端工程师", "测试工程师"],
    ),
    ("销售部", Some(1), &["销售总监", "客户经理", "销售代表"]),
    ("客服部", Some(2), &["客服主管", "客服专员"]),
    ("市场部", Some(2), &["市场总监", "市场专员", "设计师"]),
];

pub async fn load(app: &AppState, corp: CorpId) -> AppResult<usize> {
    let actor = Actor::system(corp);
    let grant = actor.require::<perm::ContactsManage>()?;
    let mut ids = Vec::new();
    for (name, parent, _) in DEPARTMENTS {
        let parent_id = parent.map(|p| ids[p]).unwrap_or(department::ROOT);
        let d = department::create(
            app,
            &actor,
            &grant,
            department::NewDepartment {
                name: (*name).into(),
                parent_id,
                ..Default::default()
            },
        )
        .await?;
        ids.push(d.id);
    }
    let tags = ["骨干", "新员工", "党员", "远程办公"];
    let mut tag_ids = Vec::new();
    for t in tags {
        tag_ids.push(tag::create(app, &actor, &grant, t, None).await?.id);
    }
    let password_hash = app.hasher.hash(DEMO_PASSWORD).await?;
    let mut people = Vec::new();
    let mut n = 0usize;
    let mut seq = 0usize;
    for (di, (_, _, positions)) in DEPARTMENTS.iter().enumerate() {
        let size = if di < 3 { 4 } else { 8 };
        let mut leader: Option<String> = None;
        for i in 0..size {
            seq += 1;
            let name = format!(
                "{}{}",
                SURNAMES[(seq * 7) % SURNAMES.len()],
                GIVEN[(seq * 5 + di) % GIVEN.len()]
            );
            let userid = format!("demo{seq:03}");
            let position = positions[if i == 0 {
                0
            } else {
                1 + (i % (positions.len() - 1).max(1))
            }
            .min(positions.len() - 1)];
            let mut t = Vec::new();
            if i == 0 {
                t.push(tag_ids[0]);
            }
            if seq.is_multiple_of(9) {
                t.push(tag_ids[1]);
            }
            if seq.is_multiple_of(11) {
                t.push(tag_ids[3]);
            }
            let input = member::MemberInput {
                userid: Some(userid.clone()),
                name: Some(name),
                mobile: Some(format!("138{:08}", 10_000_000 + seq * 7919)),
                email: Some(format!("{userid}@demo.qixie.local")),
                position: Some(position.into()),
                employee_no: Some(format!("E{:05}", 10_000 + seq)),
                gender: Some(if seq.is_multiple_of(2) { "2" } else { "1" }.into()),
                department_ids: Some(vec![ids[di]]),
                leader_userid: leader.clone(),
                tag_ids: Some(t),
                ..Default::default()
            };
            let (m, _) = member::create(app, &actor, &grant, input, false).await?;
            people.push((m.id, m.userid.clone(), m.name.clone()));
            qixie_identity::credentials::set_with_db(app, corp, m.id, &password_hash).await?;
            if i == 0 {
                department::update(
                    app,
                    &actor,
                    &grant,
                    ids[di],
                    department::DepartmentPatch {
                        leader_userids: Some(vec![userid.clone()]),
                        ..Default::default()
                    },
                )
                .await?;
                leader = Some(userid);
            }
            n += 1;
        }
    }
    approvals(app, corp, &people).await?;
    let ids: Vec<i64> = people.iter().map(|(id, _, _)| id.0).collect();
    qixie_attendance::demo::load(app, corp, &ids).await?;
    Ok(n)
}

/// Applications in every state, from the built-in templates: waiting at a leader, half-way through
/// a branch, approved, rejected, returned for editing.
async fn approvals(
    app: &AppState,
    corp: CorpId,
    people: &[(qixie_kernel::ids::MemberId, String, String)],
) -> AppResult<()> {
    use qixie_approvals::instance::act::{Action, DecisionInput, act};
    use qixie_approvals::instance::submit::{SubmitInput, submit};
    use serde_json::json;
    let person = |userid: &str| -> AppResult<Actor> {
        let (id, u, name) = people
            .iter()
            .find(|(_, u, _)| u == userid)
            .ok_or(qixie_kernel::error::ErrorKind::MemberNotFound)?;
        Ok(Actor::member(
            corp,
            *id,
            u.clone(),
            name.clone(),
            false,
            vec![],
            qixie_kernel::authz::Scope::All,
        ))
    };
    qixie_approvals::builtin::ensure(app, corp).await?;
    let templates = qixie_approvals::template::list(app, corp).await?;
    let template = |key: &str| {
        templates
            .iter()
            .find(|t| t.builtin.as_deref() == Some(key))
            .map(|t| t.template_id.clone())
            .unwrap_or_default()
    };
    // (applicant, template, values, then who decides what: (userid, approve?, back to applicant?))
    type Decision = (&'static str, bool, bool);
    let cases: Vec<(&str, &str, serde_json::Value, Vec<Decision>)> = vec![
        (
            "demo031",
            "leave",
            json!({"leave_type": "annual", "period": {"start": "2026-12-21 am", "end": "2026-12-23 pm"}, "reason": "年底回老家探亲"}),
            vec![],
        ),
        (
            "demo032",
            "reimbursement",
            json!({"reason": "上海客户拜访差旅", "details": [{"category": "travel", "amount": "8600"}, {"category": "meal", "amount": "3400"}], "total": "12000"}),
            vec![("demo029", true, false)],
        ),
        (
            "demo033",
            "business_trip",
            json!({"destination": "北京", "period": {"start": "2026-12-15 am", "end": "2026-12-17 pm"}, "transport": "train", "budget": "5000", "reason": "参加行业展会"}),
            vec![("demo029", true, false)],
        ),
        (
            "demo034",
            "purchase",
            json!({"reason": "新员工笔记本电脑", "items": [{"name": "笔记本电脑", "quantity": 2, "price": "8999"}], "total": "17998"}),
            vec![("demo029", false, false)],
        ),
        (
            "demo035",
            "overtime",
            json!({"period": {"start": "2026-12-05 18:00", "end": "2026-12-05 21:30"}, "compensation": "leave", "reason": "版本发布"}),
            vec![("demo029", false, true)],
        ),
        (
            "demo036",
            "supplies",
            json!({"items": [{"name": "A4 打印纸", "quantity": 5}], "reason": "部门日常办公"}),
            vec![],
        ),
    ];
    for (applicant, key, values, decisions) in cases {
        let who = person(applicant)?;
        let sp_no = submit(
            app,
            &who,
            who.member_id().map(|m| m.0).unwrap_or_default(),
            SubmitInput {
                template_id: template(key),
                values: serde_json::from_value(values).unwrap_or_default(),
                department_id: None,
                chosen: Default::default(),
                summary: None,
            },
            None,
        )
        .await?;
        for (userid, approve, back) in decisions {
            let decider = person(userid)?;
            let input = DecisionInput {
                comment: if approve {
                    "同意".into()
                } else {
                    "请补充说明".into()
                },
                file_ids: vec![],
                to: back.then(|| "applicant".into()),
            };
            let action = if approve {
                Action::Approve(input)
            } else {
                Action::Reject(input)
            };
            act(app, &decider, &sp_no, action).await?;
        }
    }
    Ok(())
}
