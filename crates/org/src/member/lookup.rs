//! Lookups by id or userid that other modules (and org's own writers) make for work already
//! authorised elsewhere: a sender's card, the member a session belongs to, ids for userids inside a
//! write. They take the enterprise, not a `ReadScope`: what they return is not shown to a caller
//! as a directory read. Reads a caller asks for are in `read`.
use std::collections::{HashMap, HashSet};

use super::model::{Card, MEMBER_COLS, Member, MemberDept, MemberRow, MemberStatus, TagRef};
use crate::fields;
use qixie_kernel::db::{Database, Tx, sql};
use qixie_kernel::error::{AppResult, ErrorKind};
use qixie_kernel::ids::{CorpId, MemberId};

/// Fills in departments, tags and leader for a page of rows, with one query per kind.
pub async fn hydrate(db: &Database, corp: CorpId, rows: Vec<MemberRow>) -> AppResult<Vec<Member>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let depts: Vec<(i64, i64, String, bool, i64, String)> = db
        .all(
            sql("SELECT md.member_id, d.id, d.name, md.is_main, md.ord, d.path FROM member_departments md JOIN departments d ON d.corp_id = md.corp_id AND d.id = md.department_id \
                 WHERE md.corp_id = $1 AND md.member_id IN ")
            .bind(corp)
            .push_in(ids.iter().copied())
            .push(" ORDER BY md.is_main DESC, d.path"),
        )
        .await?;
    let tags: Vec<(i64, i64, String)> = db
        .all(sql("SELECT mt.member_id, t.id, t.name FROM member_tags mt JOIN tags t ON t.corp_id = mt.corp_id AND t.id = mt.tag_id WHERE mt.corp_id = $1 AND mt.member_id IN ").bind(corp).push_in(ids.iter().copied()).push(" ORDER BY t.name"))
        .await?;
    let leads: Vec<(i64, i64)> = db.all(sql("SELECT member_id, department_id FROM department_leaders WHERE corp_id = $1 AND member_id IN ").bind(corp).push_in(ids.iter().copied())).await?;
    let leader_ids: Vec<i64> = rows.iter().filter_map(|r| r.leader_id).collect();
    let leaders: HashMap<i64, (String, String)> = db
        .all::<(i64, String, String)>(
            sql("SELECT id, userid, name FROM members WHERE corp_id = $1 AND id IN ")
                .bind(corp)
                .push_in(leader_ids),
        )
        .await?
        .into_iter()
        .map(|(id, u, n)| (id, (u, n)))
        .collect();
    // Group each kind by member once: a page may hold thousands of members (export).
    let mut depts_of: HashMap<i64, Vec<(MemberDept, String)>> = HashMap::new();
    for (mid, id, name, is_main, order, path) in depts {
        depts_of.entry(mid).or_default().push((
            MemberDept {
                id,
                name,
                is_main,
                order,
            },
            path,
        ));
    }
    let mut tags_of: HashMap<i64, Vec<TagRef>> = HashMap::new();
    for (mid, id, name) in tags {
        tags_of.entry(mid).or_default().push(TagRef { id, name });
    }
    let mut leads_of: HashMap<i64, Vec<i64>> = HashMap::new();
    for (mid, d) in leads {
        leads_of.entry(mid).or_default().push(d);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let (departments, paths): (Vec<MemberDept>, Vec<String>) = depts_of
                .remove(&r.id)
                .unwrap_or_default()
                .into_iter()
                .unzip();
            let (leader_userid, leader_name) = r
                .leader_id
                .and_then(|l| leaders.get(&l).cloned())
                .unwrap_or_default();
            Member {
                id: MemberId(r.id),
                departments,
                paths,
                tags: tags_of.remove(&r.id).unwrap_or_default(),
                is_leader_in: leads_of.remove(&r.id).unwrap_or_default(),
                status: MemberStatus::parse(&r.status).unwrap_or(MemberStatus::Active),
                userid: r.userid,
                name: r.name,
                alias: r.alias,
                employee_no: r.employee_no.unwrap_or_default(),
                mobile: r.mobile.unwrap_or_default(),
                email: r.email.unwrap_or_default(),
                position: r.position,
                gender: r.gender,
                avatar: r.avatar,
                telephone: r.telephone,
                main_department: r.main_department,
                leader_userid,
                leader_name,
                pinyin_initials: r.pinyin_initials,
                created_at: r.created_at,
            }
        })
        .collect())
}

/// A member's stored row by userid.
pub async fn find_row(db: &Database, corp: CorpId, userid: &str) -> AppResult<MemberRow> {
    db.opt(
        sql(format!(
            "SELECT {MEMBER_COLS} FROM members m WHERE m.corp_id = $1 AND m.userid = $2"
        ))
        .bind(corp)
        .bind(userid),
    )
    .await?
    .ok_or_else(|| ErrorKind::MemberNotFound.into())
}

/// A member's stored row by id.
pub async fn find_row_by_id(db: &Database, corp: CorpId, id: MemberId) -> AppResult<MemberRow> {
    db.opt(
        sql(format!(
            "SELECT {MEMBER_COLS} FROM members m WHERE m.corp_id = $1 AND m.id = $2"
        ))
        .bind(corp)
        .bind(id),
    )
    .await?
    .ok_or_else(|| ErrorKind::MemberNotFound.into())
}

/// A member by id: the signed-in member's own record, or a writer reloading what it changed.
pub async fn get_by_id(db: &Database, corp: CorpId, id: MemberId) -> AppResult<Member> {
    let row = find_row_by_id(db, corp, id).await?;
    hydrate(db, corp, vec![row])
        .await?
        .pop()
        .ok_or_else(|| ErrorKind::MemberNotFound.into())
}

/// Every userid of the enterprise (a batch tells new members from existing ones).
pub async fn all_userids(db: &Database, corp: CorpId) -> AppResult<HashSet<String>> {
    let rows: Vec<(String,)> = db
        .all(sql("SELECT userid FROM members WHERE corp_id = $1").bind(corp))
        .await?;
    Ok(rows.into_iter().map(|(u,)| u).collect())
}

/// (id, userid) for the given userids that exist.
pub async fn resolve_userids(
    tx: &mut Tx,
    corp: CorpId,
    userids: &[String],
) -> AppResult<Vec<(i64, String)>> {
    Ok(tx
        .all(
            sql("SELECT id, userid FROM members WHERE corp_id = $1 AND userid IN ")
                .bind(corp)
                .push_in(userids.iter().cloned()),
        )
        .await?)
}

/// The member's own time zone ("" when they follow the enterprise's).
pub async fn time_zone(db: &Database, corp: CorpId, id: MemberId) -> AppResult<String> {
    let (z,): (String,) = db
        .one(
            sql("SELECT time_zone FROM members WHERE corp_id = $1 AND id = $2")
                .bind(corp)
                .bind(id),
        )
        .await?;
    Ok(z)
}

/// Cards of the given members of `corp`, by member id.
pub async fn cards(db: &Database, corp: CorpId, ids: &[i64]) -> AppResult<HashMap<i64, Card>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<Card> = db
            .all(
                sql("SELECT id, userid, name, avatar, position, status FROM members WHERE corp_id = $1 AND id IN ")
                    .bind(corp)
                    .push_in(chunk.iter().copied()),
            )
            .await?;
        out.extend(rows.into_iter().map(|c| (c.id, c)));
    }
    Ok(out)
}

/// The member with this mobile, for resolving a mention by number (a notice names people by
/// mobile). A caller looking a number up reads through `read::get_by_mobile`.
pub async fn find_by_mobile(db: &Database, corp: CorpId, mobile: &str) -> AppResult<MemberRow> {
    let m = fields::mobile(mobile)
        .ok()
        .flatten()
        .ok_or(ErrorKind::MemberNotFound)?;
    db.opt(
        sql(format!(
            "SELECT {MEMBER_COLS} FROM members m WHERE m.corp_id = $1 AND m.mobile = $2"
        ))
        .bind(corp)
        .bind(m),
    )
    .await?
    .ok_or_else(|| ErrorKind::MemberNotFound.into())
}

/// The id of the member with this userid, if there is one.
pub async fn id_of(db: &Database, corp: CorpId, userid: &str) -> AppResult<Option<MemberId>> {
    let row: Option<(i64,)> = db
        .opt(
            sql("SELECT id FROM members WHERE corp_id = $1 AND userid = $2")
                .bind(corp)
                .bind(userid),
        )
        .await?;
    Ok(row.map(|(id,)| MemberId(id)))
}

/// A member's card read inside `tx`, for a hand-over that names the member taking over.
pub async fn card_in(tx: &mut Tx, corp: CorpId, id: MemberId) -> AppResult<Option<Card>> {
    Ok(tx
        .opt(
            sql("SELECT id, userid, name, avatar, position, status FROM members WHERE corp_id = $1 AND id = $2")
                .bind(corp)
                .bind(id),
        )
        .await?)
}

/// (member id, the member's own time zone, their enterprise's) for the given members; each may be
/// "" (follow the enterprise's, or the server's).
pub async fn time_zones(db: &Database, ids: &[i64]) -> AppResult<Vec<(i64, String, String)>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        out.extend(
            db.all::<(i64, String, String)>(
                sql("SELECT m.id, m.time_zone, c.time_zone FROM members m JOIN corps c ON c.id = m.corp_id WHERE m.id IN ")
                    .push_in(chunk.iter().copied()),
            )
            .await?,
        );
    }
    Ok(out)
}
