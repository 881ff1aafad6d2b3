//! The enterprise itself: its record, profile and security policy.
use serde::{Deserialize, Serialize};
use serde_json::json;

use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, Grant, perm};
use qixie_kernel::db::{Database, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason, Validator};
use qixie_kernel::ids::{CorpId, MemberId};

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow)]
pub struct SecurityPolicy {
    pub password_min_length: i64,
    pub password_rotation_days: i64,
    pub login_max_failures: i64,
    pub login_lock_minutes: i64,
}

impl SecurityPolicy {
    /// The password rules: minimum length (at least 8), letters and digits, not the account.
    pub fn check_password(&self, account: &str, password: &str) -> AppResult<()> {
        let long_enough = password.chars().count() >= self.password_min_length.max(8) as usize
            && password.len() <= 128;
        let letters = password.chars().any(|c| c.is_alphabetic());
        let digits = password.chars().any(|c| c.is_ascii_digit());
        let acct = account.trim().to_lowercase();
        let not_account = acct.is_empty() || !password.to_lowercase().contains(&acct);
        if long_enough && letters && digits && not_account {
            Ok(())
        } else {
            Err(AppError::new(ErrorKind::WeakPassword))
        }
    }
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        SecurityPolicy {
            password_min_length: 8,
            password_rotation_days: 0,
            login_max_failures: 10,
            login_lock_minutes: 30,
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CorpRow {
    pub id: CorpId,
    pub corpid: String,
    pub name: String,
    pub industry: String,
    pub size: String,
    pub creator_member_id: Option<i64>,
    pub time_zone: String,
}

const COLS: &str = "id, corpid, name, industry, size, creator_member_id, time_zone";

pub async fn find_by_corpid(db: &Database, corpid: &str) -> AppResult<Option<CorpRow>> {
    Ok(db
        .opt(sql(format!("SELECT {COLS} FROM corps WHERE corpid = $1")).bind(corpid))
        .await?)
}

pub async fn get(db: &Database, corp: CorpId) -> AppResult<CorpRow> {
    db.opt(sql(format!("SELECT {COLS} FROM corps WHERE id = $1")).bind(corp))
        .await?
        .ok_or_else(|| ErrorKind::NotFound.into())
}

/// The enterprise to sign in to when the installation hosts exactly one.
pub async fn default_corp(db: &Database) -> AppResult<Option<CorpRow>> {
    let rows: Vec<CorpRow> = db
        .all(sql(format!("SELECT {COLS} FROM corps ORDER BY id LIMIT 2")))
        .await?;
    Ok(if rows.len() == 1 {
        rows.into_iter().next()
    } else {
        None
    })
}

pub async fn count(db: &Database) -> AppResult<i64> {
    Ok(db.one::<(i64,)>(sql("SELECT COUNT(*) FROM corps")).await?.0)
}

pub async fn security(db: &Database, corp: CorpId) -> AppResult<SecurityPolicy> {
    Ok(db
        .opt(sql("SELECT password_min_length, password_rotation_days, login_max_failures, login_lock_minutes FROM corps WHERE id = $1").bind(corp))
        .await?
        .unwrap_or_default())
}

pub async fn creator(db: &Database, corp: CorpId) -> AppResult<Option<MemberId>> {
    Ok(get(db, corp).await?.creator_member_id.map(MemberId))
}

#[derive(Debug, Serialize)]
pub struct Profile {
    pub corp_id: String,
    pub name: String,
    pub industry: String,
    pub size: String,
    /// IANA name of the enterprise's clock (working hours, dates, schedules).
    pub time_zone: String,
}

pub async fn profile(db: &Database, corp: CorpId) -> AppResult<Profile> {
    let c = get(db, corp).await?;
    Ok(Profile {
        corp_id: c.corpid,
        name: c.name,
        industry: c.industry,
        size: c.size,
        time_zone: c.time_zone,
    })
}

pub async fn update_security(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::SecurityManage>,
    p: SecurityPolicy,
) -> AppResult<SecurityPolicy> {
    let mut v = Validator::default();
    v.check(
        (8..=64).contains(&p.password_min_length),
        "password_min_length",
        FieldReason::Range,
    )
    .check(
        (0..=3650).contains(&p.password_rotation_days),
        "password_rotation_days",
        FieldReason::Range,
    )
    .check(
        (3..=100).contains(&p.login_max_failures),
        "login_max_failures",
        FieldReason::Range,
    )
    .check(
        (1..=10_080).contains(&p.login_lock_minutes),
        "login_lock_minutes",
        FieldReason::Range,
    );
    v.finish()?;
    let corp = grant.corp();
    let before = security(&app.db, corp).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    // The rotation period decides whether signed-in members must change their password.
    app.access.forget_all_after_commit(&mut tx);
    tx.exec(
        sql("UPDATE corps SET password_min_length = $1, password_rotation_days = $2, login_max_failures = $3, login_lock_minutes = $4 WHERE id = $5")
            .bind(p.password_min_length)
            .bind(p.password_rotation_days)
            .bind(p.login_max_failures)
            .bind(p.login_lock_minutes)
            .bind(corp),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "security.update",
            target: "security".into(),
            before: serde_json::to_value(before).ok(),
            after: serde_json::to_value(&p).ok(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(p)
}

#[derive(Debug, Deserialize)]
pub struct ProfilePatch {
    pub name: Option<String>,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub time_zone: Option<String>,
}

pub async fn update_profile(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::SecurityManage>,
    p: ProfilePatch,
) -> AppResult<Profile> {
    let corp = grant.corp();
    let before = get(&app.db, corp).await?;
    let name = p.name.unwrap_or(before.name.clone());
    crate::valid_name(&name, 64).map_err(|r| AppError::field("name", r))?;
    let industry = p.industry.unwrap_or(before.industry.clone());
    let size = p.size.unwrap_or(before.size.clone());
    let time_zone = p
        .time_zone
        .map(|z| z.trim().to_owned())
        .unwrap_or(before.time_zone.clone());
    if !qixie_kernel::time::is_known(&time_zone) {
        return Err(AppError::field("time_zone", FieldReason::Unknown));
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    tx.exec(
        sql("UPDATE corps SET name = $1, industry = $2, size = $3, time_zone = $4 WHERE id = $5")
            .bind(name.trim())
            .bind(&industry)
            .bind(&size)
            .bind(&time_zone)
            .bind(corp),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "corp.update",
            target: format!("corp:{}", before.corpid),
            before: Some(
                json!({"name": before.name, "industry": before.industry, "size": before.size, "time_zone": before.time_zone}),
            ),
            after: Some(
                json!({"name": name, "industry": industry, "size": size, "time_zone": time_zone}),
            ),
        },
    )
    .await?;
    tx.emit(app, qixie_kernel::events::DomainEvent::CorpUpdated { corp });
    tx.commit().await?;
    profile(&app.db, corp).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rules() {
        let p = SecurityPolicy::default();
        assert!(p.check_password("zhangsan", "Abcdef12").is_ok());
        assert!(p.check_password("zhangsan", "Abc12").is_err(), "too short");
        assert!(
            p.check_password("zhangsan", "abcdefgh").is_err(),
            "no digit"
        );
        assert!(
            p.check_password("zhangsan", "12345678").is_err(),
            "no letter"
        );
        assert!(
            p.check_password("zhangsan", "Zhangsan123").is_err(),
            "contains account"
        );
        let strict = SecurityPolicy {
            password_min_length: 12,
            ..SecurityPolicy::default()
        };
        assert!(strict.check_password("u", "Abcdef123").is_err());
    }
}
