//! Founding an enterprise: its record, its root department and its creator as super administrator,
//! written together. It composes the enterprise, department, member and role records, so it sits
//! above all of them.
use crate::{department, grants, member};
use qixie_kernel::authz::{Actor, perm};
use qixie_kernel::db::{Tx, sql};
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::{CorpId, MemberId, new_id};

/// Writes a new enterprise in `tx`: its record, its root department and its creator as super
/// administrator. The caller validated the input and sets the creator's password in the same
/// transaction.
pub async fn insert(
    tx: &mut Tx,
    corp_name: &str,
    industry: &str,
    size: &str,
    creator: &member::MemberInput,
    now: i64,
) -> AppResult<(CorpId, String, MemberId)> {
    let corp = CorpId(new_id(now));
    let corpid = format!(
        "ww{}",
        &qixie_kernel::ids::sha256_hex(&qixie_kernel::ids::random_token(16))[..16]
    );
    tx.exec(
        sql("INSERT INTO corps (id, corpid, name, industry, size, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(corp)
            .bind(&corpid)
            .bind(corp_name)
            .bind(industry)
            .bind(size)
            .bind(now),
    )
    .await?;
    department::create_root(tx, corp, corp_name, now).await?;
    let grant = Actor::system(corp).require::<perm::ContactsManage>()?;
    let mid = member::insert_new(tx, &grant, creator, member::MemberStatus::Active, now).await?;
    tx.exec(
        sql("UPDATE corps SET creator_member_id = $1 WHERE id = $2")
            .bind(mid)
            .bind(corp),
    )
    .await?;
    grants::set_super(tx, corp, mid, now).await?;
    Ok((corp, corpid, mid))
}
