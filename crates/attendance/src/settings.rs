//! The enterprise's attendance settings: how precisely clock-in positions are kept and for how long,
//! and how many make-up clock-ins (补卡) a member may ask for in a month.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use qixie_kernel::db::{Conn, Tx, sql};
use qixie_kernel::error::{AppError, AppResult, FieldReason, Validator};
use qixie_kernel::ids::CorpId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// As measured, until the retention ends; then rounded.
    Exact,
    /// Rounded to about 1 km from the start.
    Rounded,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub location_precision: Precision,
    /// Days an exact position is kept before it is rounded to about 1 km.
    pub location_retention_days: i64,
    /// Make-up clock-in requests (补卡) a member may submit in a month.
    pub punch_correction_monthly_limit: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            location_precision: Precision::Exact,
            location_retention_days: 90,
            punch_correction_monthly_limit: 3,
        }
    }
}

impl Settings {
    pub fn check(&self) -> AppResult<()> {
        let mut v = Validator::default();
        v.check(
            (1..=3650).contains(&self.location_retention_days),
            "location_retention_days",
            FieldReason::Range,
        );
        v.check(
            (0..=31).contains(&self.punch_correction_monthly_limit),
            "punch_correction_monthly_limit",
            FieldReason::Range,
        );
        v.finish()
    }
}

pub async fn get(db: impl Into<Conn<'_>>, corp: CorpId) -> AppResult<Settings> {
    let row: Option<(String,)> = db
        .into()
        .opt(sql("SELECT body FROM attendance_settings WHERE corp_id = $1").bind(corp))
        .await?;
    Ok(row
        .and_then(|(b,)| serde_json::from_str(&b).ok())
        .unwrap_or_default())
}

pub async fn put(tx: &mut Tx, corp: CorpId, s: &Settings, now: i64) -> AppResult<()> {
    s.check()?;
    let body = serde_json::to_string(s).map_err(AppError::internal)?;
    tx.exec(
        sql("INSERT INTO attendance_settings (corp_id, body, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (corp_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at")
            .bind(corp)
            .bind(body)
            .bind(now),
    )
    .await?;
    Ok(())
}
