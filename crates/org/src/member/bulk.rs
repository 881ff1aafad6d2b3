//! Everything the importer needs to write rows: shared insert/update with the same checks, and
//! multi-row statements for new members.
use super::model::{Member, MemberStatus};
use super::write::{Record, insert_row, map_unique, update_row};
use crate::department;
use crate::pinyin_key;
use crate::terms::{self, Searchable};
use qixie_kernel::authz::{Grant, Perm};
use qixie_kernel::db::{Arg, Tx, sql};
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::CorpId;

pub struct ImportRow {
    pub userid: String,
    pub name: String,
    pub alias: String,
    pub employee_no: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub position: String,
    pub gender: String,
    pub telephone: String,
    pub department_ids: Vec<i64>,
    pub leader_userid: Option<String>,
    pub tag_ids: Vec<i64>,
}

fn to_record(r: &ImportRow, existing: Option<&Member>) -> Record {
    Record {
        userid: r.userid.clone(),
        name: r.name.clone(),
        alias: r.alias.clone(),
        employee_no: r.employee_no.clone(),
        mobile: r.mobile.clone(),
        email: r.email.clone(),
        position: r.position.clone(),
        gender: r.gender.clone(),
        avatar: existing.map(|m| m.avatar.clone()).unwrap_or_default(),
        telephone: r.telephone.clone(),
        department_ids: r.department_ids.clone(),
        main_department: r
            .department_ids
            .first()
            .copied()
            .unwrap_or(department::ROOT),
        department_orders: vec![],
        leader_userid: r.leader_userid.clone(),
        tag_ids: r.tag_ids.clone(),
    }
}

/// A new member from an import row, its id chosen and its leader resolved by the importer.
pub struct NewImported {
    pub id: i64,
    pub row: ImportRow,
    pub leader_id: Option<i64>,
}

/// Inserts new members from an import with multi-row statements. The importer has already
/// resolved (and scope-checked) their departments and tags and checked mobile and email for
/// conflicts, so nothing is looked up again here.
pub async fn insert_many(
    tx: &mut Tx,
    corp: CorpId,
    rows: &[NewImported],
    now: i64,
) -> AppResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let dialect = tx.dialect();
    for chunk in rows.chunks(dialect.rows_per_statement(20)) {
        let values = chunk.iter().map(|n| {
            let r = &n.row;
            let (ini, full) = pinyin_key::pinyin_of(&r.name);
            vec![
                Arg::from(n.id),
                Arg::from(corp.0),
                Arg::from(&r.userid),
                Arg::from(&r.name),
                Arg::from(&r.alias),
                Arg::from(&r.employee_no),
                Arg::from(&r.mobile),
                Arg::from(&r.email),
                Arg::from(&r.position),
                Arg::from(&r.gender),
                Arg::from(""),
                Arg::from(&r.telephone),
                Arg::from(MemberStatus::NotActivated.as_str()),
                Arg::from(n.leader_id),
                Arg::from(
                    r.department_ids
                        .first()
                        .copied()
                        .unwrap_or(department::ROOT),
                ),
                Arg::from(pinyin_key::search_key(
                    &r.name,
                    &r.userid,
                    r.mobile.as_deref(),
                    r.email.as_deref(),
                    r.employee_no.as_deref(),
                )),
                Arg::from(ini),
                Arg::from(full),
                Arg::from(now),
                Arg::from(now),
            ]
        });
        tx.exec(
            sql("INSERT INTO members (id, corp_id, userid, name, alias, employee_no, mobile, email, position, gender, avatar, telephone, status, leader_id, main_department, \
                 search_key, pinyin_initials, sort_key, created_at, updated_at) VALUES ")
            .push_rows(values),
        )
        .await
        .map_err(map_unique)?;
    }
    let links: Vec<Vec<Arg>> = rows
        .iter()
        .flat_map(|n| {
            let main = n.row.department_ids.first().copied();
            n.row.department_ids.iter().map(move |d| {
                vec![
                    Arg::from(corp.0),
                    Arg::from(n.id),
                    Arg::from(*d),
                    Arg::from(Some(*d) == main),
                    Arg::from(0i64),
                ]
            })
        })
        .collect();
    for chunk in links.chunks(dialect.rows_per_statement(5)) {
        tx.exec(
            sql("INSERT INTO member_departments (corp_id, member_id, department_id, is_main, ord) VALUES ")
                .push_rows(chunk.iter().cloned()),
        )
        .await?;
    }
    let tags: Vec<Vec<Arg>> = rows
        .iter()
        .flat_map(|n| {
            let mut ids = n.row.tag_ids.clone();
            ids.sort_unstable();
            ids.dedup();
            ids.into_iter()
                .map(move |t| vec![Arg::from(corp.0), Arg::from(t), Arg::from(n.id)])
        })
        .collect();
    for chunk in tags.chunks(dialect.rows_per_statement(3)) {
        tx.exec(
            sql("INSERT INTO member_tags (corp_id, tag_id, member_id) VALUES ")
                .push_rows(chunk.iter().cloned()),
        )
        .await?;
    }
    for chunk in rows.chunks(1000) {
        let terms: Vec<(i64, Vec<String>)> = chunk
            .iter()
            .map(|n| {
                let r = &n.row;
                (
                    n.id,
                    terms::terms_of(&Searchable {
                        name: &r.name,
                        userid: &r.userid,
                        mobile: r.mobile.as_deref(),
                        email: r.email.as_deref(),
                        employee_no: r.employee_no.as_deref(),
                    }),
                )
            })
            .collect();
        terms::insert_many(tx, corp.0, &terms).await?;
    }
    Ok(())
}

/// Sets `leader_id` of many members in one statement per chunk: (member id, leader id).
pub async fn set_leaders(tx: &mut Tx, corp: CorpId, pairs: &[(i64, i64)]) -> AppResult<()> {
    for chunk in pairs.chunks(tx.dialect().rows_per_statement(2)) {
        tx.exec(
            sql("UPDATE members SET leader_id = v.leader FROM (SELECT column1 AS id, column2 AS leader FROM (VALUES ")
                .push_rows(chunk.iter().map(|(m, l)| vec![Arg::from(*m), Arg::from(*l)]))
                .push_bind(") AS x) AS v WHERE members.id = v.id AND members.corp_id = {}", corp),
        )
        .await?;
    }
    Ok(())
}

/// Inserts (existing = None) or updates a member from an import row; returns the member id.
pub async fn upsert<P: Perm>(
    tx: &mut Tx,
    grant: &Grant<P>,
    r: &ImportRow,
    existing: Option<i64>,
    now: i64,
) -> AppResult<i64> {
    let mut rec = to_record(r, None);
    match existing {
        Some(id) => {
            // Import files carry no avatar: keep the one the member has.
            let (avatar,): (String,) = tx
                .one(sql("SELECT avatar FROM members WHERE id = $1").bind(id))
                .await?;
            rec.avatar = avatar;
            update_row(tx, grant, id, &rec, now).await?;
            Ok(id)
        }
        None => insert_row(tx, grant, &rec, MemberStatus::NotActivated, now).await,
    }
}
