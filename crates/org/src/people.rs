//! Who is who for the modules that route work to people (an approval's approvers, a report's
//! readers): leaders up the tree, department heads, tag holders, administrators, and the membership
//! facts a rule is written against. Departed members are never returned as people to route to.
use std::collections::HashMap;

use qixie_kernel::db::{Database, sql};
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::{CorpId, MemberId};

/// What a routing rule needs to know about one member.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: i64,
    pub userid: String,
    pub name: String,
    pub status: String,
    pub leader_id: Option<i64>,
    pub main_department: i64,
    /// (department id, materialised path), the main department first.
    pub departments: Vec<(i64, String)>,
    pub tags: Vec<i64>,
}

/// A member with their departments and tags; `None` when there is no such member.
pub async fn person(db: &Database, corp: CorpId, id: MemberId) -> AppResult<Option<Person>> {
    let row: Option<(i64, String, String, String, Option<i64>, i64)> = db
        .opt(
            sql("SELECT id, userid, name, status, leader_id, main_department FROM members WHERE corp_id = $1 AND id = $2")
                .bind(corp)
                .bind(id),
        )
        .await?;
    let Some((id, userid, name, status, leader_id, main_department)) = row else {
        return Ok(None);
    };
    let mut departments: Vec<(i64, String)> = db
        .all(
            sql("SELECT d.id, d.path FROM member_departments md JOIN departments d ON d.corp_id = md.corp_id AND d.id = md.department_id \
                 WHERE md.member_id = $1 ORDER BY md.is_main DESC, md.ord, d.id")
            .bind(id),
        )
        .await?;
    departments.sort_by_key(|(d, _)| *d != main_department);
    let tags: Vec<(i64,)> = db
        .all(sql("SELECT tag_id FROM member_tags WHERE member_id = $1 ORDER BY tag_id").bind(id))
        .await?;
    Ok(Some(Person {
        id,
        userid,
        name,
        status,
        leader_id,
        main_department,
        departments,
        tags: tags.into_iter().map(|(t,)| t).collect(),
    }))
}

/// Every member who has not departed, with departments and tags, ordered by userid: three
/// queries whatever the enterprise's size (for rules written against the whole organisation).
pub async fn everyone(db: &Database, corp: CorpId) -> AppResult<Vec<Person>> {
    let rows: Vec<(i64, String, String, String, Option<i64>, i64)> = db
        .all(
            sql("SELECT id, userid, name, status, leader_id, main_department FROM members WHERE corp_id = $1 AND status <> 'departed' ORDER BY userid")
                .bind(corp),
        )
        .await?;
    let mut departments: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    let links: Vec<(i64, i64, String)> = db
        .all(
            sql("SELECT md.member_id, d.id, d.path FROM member_departments md JOIN departments d ON d.corp_id = md.corp_id AND d.id = md.department_id \
                 WHERE md.corp_id = $1 ORDER BY md.member_id, md.is_main DESC, md.ord, d.id")
            .bind(corp),
        )
        .await?;
    for (member, id, path) in links {
        departments.entry(member).or_default().push((id, path));
    }
    let mut tags: HashMap<i64, Vec<i64>> = HashMap::new();
    let links: Vec<(i64, i64)> = db
        .all(
            sql("SELECT member_id, tag_id FROM member_tags WHERE corp_id = $1 ORDER BY tag_id")
                .bind(corp),
        )
        .await?;
    for (member, tag) in links {
        tags.entry(member).or_default().push(tag);
    }
    Ok(rows
        .into_iter()
        .map(|(id, userid, name, status, leader_id, main_department)| {
            let mut departments = departments.remove(&id).unwrap_or_default();
            departments.sort_by_key(|(d, _)| *d != main_department);
            Person {
                id,
                userid,
                name,
                status,
                leader_id,
                main_department,
                departments,
                tags: tags.remove(&id).unwrap_or_default(),
            }
        })
        .collect())
}

/// Ids of these userids, in order: `None` for unknown and departed members.
pub async fn ids_of(
    db: &Database,
    corp: CorpId,
    userids: &[String],
) -> AppResult<Vec<Option<i64>>> {
    let mut found = HashMap::new();
    for chunk in userids.chunks(500) {
        let rows: Vec<(i64, String)> = db
            .all(
                sql("SELECT id, userid FROM members WHERE corp_id = $1 AND status <> 'departed' AND userid IN ")
                    .bind(corp)
                    .push_in(chunk.iter().cloned()),
            )
            .await?;
        found.extend(rows.into_iter().map(|(id, u)| (u, id)));
    }
    Ok(userids.iter().map(|u| found.get(u).copied()).collect())
}

/// The leaders of each department among `ids` (departments without leaders are absent); departed
/// leaders are left out.
pub async fn heads_of(
    db: &Database,
    corp: CorpId,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<i64>>> {
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, i64)> = db
            .all(
                sql("SELECT dl.department_id, dl.member_id FROM department_leaders dl JOIN members m ON m.id = dl.member_id \
                     WHERE dl.corp_id = $1 AND m.status <> 'departed' AND dl.department_id IN ")
                .bind(corp)
                .push_in(chunk.iter().copied())
                .push(" ORDER BY dl.department_id, dl.member_id"),
            )
            .await?;
        for (d, m) in rows {
            out.entry(d).or_default().push(m);
        }
    }
    Ok(out)
}

/// Paths of the departments `member` leads.
pub async fn departments_led_by(
    db: &Database,
    corp: CorpId,
    member: i64,
) -> AppResult<Vec<String>> {
    let rows: Vec<(String,)> = db
        .all(
            sql("SELECT d.path FROM department_leaders dl JOIN departments d ON d.corp_id = dl.corp_id AND d.id = dl.department_id \
                 WHERE dl.corp_id = $1 AND dl.member_id = $2 ORDER BY d.path")
            .bind(corp)
            .bind(member),
        )
        .await?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}

/// The ids in a materialised path, nearest first: "/1/4/9/" → [9, 4, 1].
fn ancestors(path: &str) -> Vec<i64> {
    path.split('/')
        .filter_map(|s| s.parse().ok())
        .rev()
        .collect()
}

/// `member`'s leaders level by level from the direct one, at most `levels` levels. At each level:
/// the member's own leader when set, else the leaders of the department (for the first level, the
/// one the work is filed under; above, the leader's main department), else of the nearest ancestor
/// department that has leaders — never the member themself. Each level continues from the first
/// leader found; the chain stops at the top or when it would return to someone already on it.
pub async fn leader_levels(
    db: &Database,
    corp: CorpId,
    member: i64,
    department: i64,
    levels: u8,
) -> AppResult<Vec<Vec<i64>>> {
    let mut out: Vec<Vec<i64>> = Vec::new();
    let mut seen = vec![member];
    let mut current = member;
    let mut dept = Some(department);
    for _ in 0..levels {
        let row: Option<(Option<i64>, i64)> = db
            .opt(
                sql(
                    "SELECT leader_id, main_department FROM members WHERE corp_id = $1 AND id = $2",
                )
                .bind(corp)
                .bind(current),
            )
            .await?;
        let Some((own_leader, main)) = row else { break };
        let mut level: Vec<i64> = Vec::new();
        if let Some(l) = own_leader.filter(|l| *l != current) {
            let active: Option<(i64,)> = db
                .opt(
                    sql("SELECT id FROM members WHERE corp_id = $1 AND id = $2 AND status <> 'departed'")
                        .bind(corp)
                        .bind(l),
                )
                .await?;
            if active.is_some() {
                level.push(l);
            }
        }
        if level.is_empty() {
            let d = dept.unwrap_or(main);
            let path: Option<(String,)> = db
                .opt(
                    sql("SELECT path FROM departments WHERE corp_id = $1 AND id = $2")
                        .bind(corp)
                        .bind(d),
                )
                .await?;
            let chain = path.map(|(p,)| ancestors(&p)).unwrap_or_default();
            let heads = heads_of(db, corp, &chain).await?;
            for d in chain {
                let found: Vec<i64> = heads
                    .get(&d)
                    .map(|v| v.iter().copied().filter(|m| *m != current).collect())
                    .unwrap_or_default();
                if !found.is_empty() {
                    level = found;
                    break;
                }
            }
        }
        let Some(&next) = level.first() else { break };
        if seen.contains(&next) {
            break;
        }
        seen.push(next);
        out.push(level);
        current = next;
        dept = None;
    }
    Ok(out)
}

/// Members holding a tag, directly or through a tagged department (its whole subtree); departed
/// members left out.
pub async fn tag_holders(db: &Database, corp: CorpId, tag: i64) -> AppResult<Vec<i64>> {
    let rows: Vec<(i64,)> = db
        .all(
            sql("SELECT m.id FROM members m WHERE m.corp_id = $1 AND m.status <> 'departed' AND (\
                 m.id IN (SELECT member_id FROM member_tags WHERE corp_id = $1 AND tag_id = $2) OR \
                 m.id IN (SELECT md.member_id FROM member_departments md JOIN departments d ON d.corp_id = md.corp_id AND d.id = md.department_id \
                          JOIN departments t ON t.corp_id = d.corp_id AND d.path LIKE t.path || '%' \
                          JOIN tag_departments td ON td.corp_id = t.corp_id AND td.department_id = t.id \
                          WHERE md.corp_id = $1 AND td.tag_id = $2)) ORDER BY m.id")
            .bind(corp)
            .bind(tag),
        )
        .await?;
    Ok(rows.into_iter().map(|(m,)| m).collect())
}

/// Whether the enterprise has this tag.
pub async fn tag_exists(db: &Database, corp: CorpId, tag: i64) -> AppResult<bool> {
    let row: Option<(i64,)> = db
        .opt(
            sql("SELECT id FROM tags WHERE corp_id = $1 AND id = $2")
                .bind(corp)
                .bind(tag),
        )
        .await?;
    Ok(row.is_some())
}

/// Super administrators (`None`), or administrators holding `permission` (super administrators
/// hold every permission); departed members left out.
pub async fn admins(db: &Database, corp: CorpId, permission: Option<&str>) -> AppResult<Vec<i64>> {
    let rows: Vec<(i64, bool, String)> = db
        .all(
            sql("SELECT r.member_id, r.is_super, r.permissions FROM admin_roles r JOIN members m ON m.id = r.member_id \
                 WHERE r.corp_id = $1 AND m.status <> 'departed' ORDER BY r.member_id")
            .bind(corp),
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, sup, perms)| {
            *sup || permission.is_some_and(|p| perms.split(',').any(|x| x == p))
        })
        .map(|(m, _, _)| m)
        .collect())
}

/// Materialised paths of departments, in order; `None` for unknown ones.
pub async fn department_paths(
    db: &Database,
    corp: CorpId,
    ids: &[i64],
) -> AppResult<Vec<Option<String>>> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, String)> = db
            .all(
                sql("SELECT id, path FROM departments WHERE corp_id = $1 AND id IN ")
                    .bind(corp)
                    .push_in(chunk.iter().copied()),
            )
            .await?;
        found.extend(rows);
    }
    Ok(ids.iter().map(|d| found.get(d).cloned()).collect())
}

/// Every department as (id, path, name), in tree order.
pub async fn all_departments(db: &Database, corp: CorpId) -> AppResult<Vec<(i64, String, String)>> {
    Ok(db
        .all(
            sql("SELECT id, path, name FROM departments WHERE corp_id = $1 ORDER BY path")
                .bind(corp),
        )
        .await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ancestors_are_nearest_first() {
        assert_eq!(super::ancestors("/1/4/9/"), vec![9, 4, 1]);
        assert_eq!(super::ancestors("/1/"), vec![1]);
    }
}
