//! Stored passwords and their history.
use qixie_kernel::AppState;
use qixie_kernel::db::{Database, Tx, sql};
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::{CorpId, MemberId};
use qixie_org::accounts::{AccountsFuture, AccountsProvider};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credential {
    pub password_hash: String,
    pub must_change_password: bool,
    pub password_changed_at: i64,
}

pub async fn get(db: &Database, member: MemberId) -> AppResult<Option<Credential>> {
    Ok(db.opt(sql("SELECT password_hash, must_change_password, password_changed_at FROM credentials WHERE member_id = $1").bind(member)).await?)
}

pub async fn must_change(db: &Database, member: MemberId) -> AppResult<Option<bool>> {
    Ok(get(db, member).await?.map(|c| c.must_change_password))
}

/// Sets a password and keeps the last five for the reuse check.
pub async fn set(
    tx: &mut Tx,
    app: &AppState,
    corp: CorpId,
    member: MemberId,
    hash: &str,
    must_change: bool,
    now: i64,
) -> AppResult<()> {
    app.access.forget_member_after_commit(tx, member);
    tx.exec(
        sql("INSERT INTO credentials (member_id, corp_id, password_hash, must_change_password, password_changed_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (member_id) DO UPDATE SET password_hash = $3, must_change_password = $4, password_changed_at = $5")
        .bind(member)
        .bind(corp)
        .bind(hash)
        .bind(must_change)
        .bind(now),
    )
    .await?;
    tx.exec(
        sql("INSERT INTO password_history (member_id, hash, created_at) VALUES ($1, $2, $3)")
            .bind(member)
            .bind(hash)
            .bind(now),
    )
    .await?;
    tx.exec(
        sql("DELETE FROM password_history WHERE member_id = $1 AND created_at NOT IN (SELECT created_at FROM password_history WHERE member_id = $1 ORDER BY created_at DESC LIMIT 5)")
            .bind(member),
    )
    .await?;
    Ok(())
}

pub async fn history(db: &Database, member: MemberId) -> AppResult<Vec<String>> {
    Ok(db.all::<(String,)>(sql("SELECT hash FROM password_history WHERE member_id = $1 ORDER BY created_at DESC LIMIT 5").bind(member)).await?.into_iter().map(|(h,)| h).collect())
}

/// Gives a member an initial password they must change (demo data).
pub async fn set_with_db(
    app: &qixie_kernel::AppState,
    corp: CorpId,
    member: MemberId,
    hash: &str,
) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    set(&mut tx, app, corp, member, hash, true, app.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// The organisation's view of passwords and sessions (`org::accounts`).
pub struct IdentityAccounts;

impl AccountsProvider for IdentityAccounts {
    fn set_password<'a>(
        &'a self,
        tx: &'a mut Tx,
        app: &'a AppState,
        corp: CorpId,
        member: MemberId,
        hash: &'a str,
        must_change: bool,
    ) -> AccountsFuture<'a, ()> {
        Box::pin(async move { set(tx, app, corp, member, hash, must_change, app.now()).await })
    }
    fn must_change_password<'a>(
        &'a self,
        app: &'a AppState,
        member: MemberId,
    ) -> AccountsFuture<'a, Option<bool>> {
        Box::pin(must_change(&app.db, member))
    }
    fn end_sessions<'a>(
        &'a self,
        tx: &'a mut Tx,
        app: &'a AppState,
        member: MemberId,
    ) -> AccountsFuture<'a, u64> {
        Box::pin(super::session::revoke_all(tx, app, member))
    }
}
