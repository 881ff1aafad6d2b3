//! Directory search terms (`member_terms`). Each member has the strings a search may begin with:
//! the name and its pinyin initials and full pinyin from each character on (so 张三 is found by 张,
//! 三, zs, zhangsan, san and their beginnings), the account (and what follows a `.`, `_`, `-` or
//! `@` in it), the email, the mobile and the employee
//! number; the mobile and the employee number also reversed behind a `\u{1}` mark, so that their
//! endings (the last digits of a mobile) are prefixes too. A search is then two B-tree ranges over
//! `(corp_id, term)` on both engines instead of a substring scan of every member.
//!
//! The terms are written in the same transaction as the member (`replace`, `insert_many`) and deleted
//! with it (`ON DELETE CASCADE`).
use std::collections::BTreeSet;

use super::pinyin_key;
use qixie_kernel::db::{Arg, Dialect, Sql, Tx, sql};

/// Marks a reversed term (mobile and employee number endings).
const REVERSED: char = '\u{1}';
/// Above every character, so `term < q || TOP` holds for every term that starts with `q`.
const TOP: char = '\u{10FFFF}';
/// Suffixes taken from one string at most (names are short; this bounds odd long ones).
const MAX_SUFFIXES: usize = 16;

/// The fields of a member that search reads.
pub struct Searchable<'a> {
    pub name: &'a str,
    pub userid: &'a str,
    pub mobile: Option<&'a str>,
    pub email: Option<&'a str>,
    pub employee_no: Option<&'a str>,
}

/// The suffixes of `parts` joined, from each part on, of at least `min_parts` parts.
fn suffixes(parts: &[String], min_parts: usize, out: &mut BTreeSet<String>) {
    for i in 0..parts.len().saturating_sub(min_parts - 1).min(MAX_SUFFIXES) {
        let s: String = parts[i..].concat();
        let s = s.trim_start();
        if !s.is_empty() {
            out.insert(s.to_owned());
        }
    }
}

fn reversed(s: &str) -> String {
    std::iter::once(REVERSED).chain(s.chars().rev()).collect()
}

/// Every term of a member, without duplicates.
pub fn terms_of(m: &Searchable<'_>) -> Vec<String> {
    let mut out = BTreeSet::new();
    let name: Vec<String> = m
        .name
        .to_lowercase()
        .chars()
        .map(|c| c.to_string())
        .collect();
    suffixes(&name, 1, &mut out);
    let syl = pinyin_key::syllables(m.name);
    let initials: Vec<String> = syl.iter().map(|(i, _)| i.clone()).collect();
    let full: Vec<String> = syl.into_iter().map(|(_, p)| p).collect();
    // A lone initial is a prefix of the full pinyin of the same syllable, which is a term already.
    suffixes(&initials, 2, &mut out);
    suffixes(&full, 1, &mut out);
    let userid = m.userid.to_lowercase();
    for (i, c) in userid.char_indices() {
        if matches!(c, '.' | '_' | '-' | '@') && i + 1 < userid.len() {
            out.insert(userid[i + 1..].to_owned());
        }
    }
    out.insert(userid);
    if let Some(mobile) = m.mobile.filter(|s| !s.is_empty()) {
        out.insert(mobile.to_owned());
        out.insert(reversed(mobile));
    }
    // The whole address: its local part is a prefix. (Not the domain, which most members share.)
    if let Some(email) = m.email.filter(|s| !s.is_empty()) {
        out.insert(email.to_lowercase());
    }
    if let Some(no) = m.employee_no.filter(|s| !s.is_empty()) {
        let no = no.to_lowercase();
        out.insert(reversed(&no));
        out.insert(no);
    }
    out.into_iter().filter(|t| !t.is_empty()).collect()
}

/// The search text as terms compare: trimmed and lower-cased; None when nothing is left.
pub fn normalize(q: &str) -> Option<String> {
    Some(q.trim().to_lowercase()).filter(|s| !s.is_empty() && !s.starts_with(REVERSED))
}

/// Adds "member `alias` has a term starting with `q`, or a reversed term ending with it" to a
/// WHERE clause; `$1` must be the enterprise id. The matching ids are computed once and probed
/// through the primary key (`Dialect::in_select`).
pub fn filter(q: Sql, alias: &str, text: &str, dialect: Dialect) -> Sql {
    let rev = reversed(text);
    let (open, close) = dialect.in_select();
    q.push(&format!(
        " AND {alias}.id{open}SELECT t.member_id FROM member_terms t WHERE t.corp_id = $1"
    ))
    .push_bind(" AND t.term >= {}", text)
    .push_bind(" AND t.term < {}", format!("{text}{TOP}"))
    .push(" UNION SELECT t.member_id FROM member_terms t WHERE t.corp_id = $1")
    .push_bind(" AND t.term >= {}", rev.clone())
    .push_bind(&format!(" AND t.term < {{}}{close}"), format!("{rev}{TOP}"))
}

/// Inserts the terms of many members: (member id, terms), a statement's worth at a time.
pub async fn insert_many(
    tx: &mut Tx,
    corp: i64,
    members: &[(i64, Vec<String>)],
) -> Result<(), sqlx::Error> {
    let per = tx.dialect().rows_per_statement(3);
    let mut rows: Vec<Vec<Arg>> = Vec::with_capacity(per);
    for (id, terms) in members {
        for t in terms {
            rows.push(vec![Arg::from(corp), Arg::from(*id), Arg::from(t.as_str())]);
            if rows.len() == per {
                flush(tx, &mut rows).await?;
            }
        }
    }
    flush(tx, &mut rows).await
}

async fn flush(tx: &mut Tx, rows: &mut Vec<Vec<Arg>>) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    tx.exec(
        sql("INSERT INTO member_terms (corp_id, member_id, term) VALUES ")
            .push_rows(rows.drain(..)),
    )
    .await?;
    Ok(())
}

/// How many members of enterprise `corp` a search for `text` finds, from the terms alone (every
/// term belongs to an existing member of its enterprise).
pub fn count(corp: i64, text: &str) -> Sql {
    let rev = reversed(text);
    sql("SELECT COUNT(*) FROM (SELECT t.member_id FROM member_terms t WHERE t.corp_id = $1")
        .bind(corp)
        .push_bind(" AND t.term >= {}", text)
        .push_bind(" AND t.term < {}", format!("{text}{TOP}"))
        .push(" UNION SELECT t.member_id FROM member_terms t WHERE t.corp_id = $1")
        .push_bind(" AND t.term >= {}", rev.clone())
        .push_bind(" AND t.term < {}) x", format!("{rev}{TOP}"))
}

/// Replaces one member's terms.
pub async fn replace(
    tx: &mut Tx,
    corp: i64,
    member: i64,
    m: &Searchable<'_>,
) -> Result<(), sqlx::Error> {
    tx.exec(sql("DELETE FROM member_terms WHERE member_id = $1").bind(member))
        .await?;
    insert_many(tx, corp, &[(member, terms_of(m))]).await
}

#[derive(sqlx::FromRow)]
struct MemberText {
    id: i64,
    corp_id: i64,
    name: String,
    userid: String,
    mobile: Option<String>,
    email: Option<String>,
    employee_no: Option<String>,
}

/// Fills `member_terms` for every existing member (run once, by the migration that adds it).
pub async fn backfill(tx: &mut Tx) -> anyhow::Result<()> {
    let mut after = i64::MIN;
    loop {
        let page: Vec<MemberText> = tx
            .all(
                sql("SELECT id, corp_id, name, userid, mobile, email, employee_no FROM members WHERE id > $1 ORDER BY id LIMIT 5000")
                    .bind(after),
            )
            .await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.id;
        let mut by_corp: std::collections::BTreeMap<i64, Vec<(i64, Vec<String>)>> =
            Default::default();
        for m in &page {
            by_corp.entry(m.corp_id).or_default().push((
                m.id,
                terms_of(&Searchable {
                    name: &m.name,
                    userid: &m.userid,
                    mobile: m.mobile.as_deref(),
                    email: m.email.as_deref(),
                    employee_no: m.employee_no.as_deref(),
                }),
            ));
        }
        for (corp, members) in by_corp {
            insert_many(tx, corp, &members).await?;
        }
    }
    tx.analyze(&["member_terms"]).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_cover_every_query_kind() {
        let t = terms_of(&Searchable {
            name: "张三丰",
            userid: "zhang.sanfeng",
            mobile: Some("13800138000"),
            email: Some("ZSF@Example.com"),
            employee_no: Some("E0042"),
        });
        for want in [
            "张三丰",
            "三丰",
            "丰",
            "zsf",
            "sf",
            "zhangsanfeng",
            "sanfeng",
            "feng",
            "zhang.sanfeng",
            "sanfeng",
            "13800138000",
            "\u{1}00083100831",
            "zsf@example.com",
            "e0042",
            "\u{1}2400e",
        ] {
            assert!(t.iter().any(|x| x == want), "{want} in {t:?}");
        }
    }

    #[test]
    fn queries_are_trimmed_and_lower_cased() {
        assert_eq!(normalize("  ZS "), Some("zs".into()));
        assert_eq!(normalize("   "), None);
    }
}
