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
    Ok(n)
}
