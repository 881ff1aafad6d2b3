//! The working time a leave is counted on. A member who follows an attendance rule has theirs
//! (`plan::working_time`). Enterprises often take leave through approvals before, or without, any
//! attendance rule: a member who follows none is counted on the standard week, Monday to Friday
//! 09:00–18:00 less an hour at noon, with the enterprise's holidays and 调休 working days.
use std::sync::{Arc, OnceLock};

use serde_json::json;

use qixie_kernel::AppState;
use qixie_kernel::error::{AppError, AppResult};
use qixie_kernel::ids::{CorpId, MemberId};

use crate::date;
use crate::plan::{self, WorkSpan};
use crate::rule::Rule;

const MINUTE_MS: i64 = 60_000;

/// The standard week as a rule.
fn standard_week() -> AppResult<Arc<Rule>> {
    static RULE: OnceLock<Result<Arc<Rule>, String>> = OnceLock::new();
    RULE.get_or_init(|| {
        let input = serde_json::from_value(json!({
            "name": "标准工时", "kind": "fixed", "workdays": [1, 2, 3, 4, 5],
            "sections": [{"on": "09:00", "off": "18:00", "rest": {"from": "12:00", "to": "13:00"}}],
            "follow_holidays": true
        }))
        .map_err(|e| e.to_string())?;
        Ok(Arc::new(Rule {
            id: "0".into(),
            group_id: 0,
            input,
            created_at: 0,
            updated_at: 0,
        }))
    })
    .clone()
    .map_err(|e| AppError::internal(anyhow::anyhow!("the standard week: {e}")))
}

/// For each day from `from_ms` to `to_ms`, the member's working time inside the span.
pub async fn working_time(
    app: &AppState,
    corp: CorpId,
    member: i64,
    from_ms: i64,
    to_ms: i64,
) -> AppResult<Vec<WorkSpan>> {
    // The shipped statutory calendar, seeded on first use.
    crate::holidays::ensure(app, corp).await?;
    let person = qixie_org::people::person(&app.db, corp, MemberId(member)).await?;
    let rule = match &person {
        Some(p) => crate::rule::store::rule_of(app, corp, p).await?,
        None => None,
    };
    if rule.is_some() {
        return plan::working_time(app, corp, member, from_ms, to_ms).await;
    }
    let zone = plan::corp_zone(app, corp).await?;
    let first = date::from_epoch_day(zone.local(from_ms).day);
    let last = date::from_epoch_day(zone.local((to_ms - 1).max(from_ms)).day);
    let plans = plan::load_for(
        app,
        &app.db,
        corp,
        member,
        Some(standard_week()?),
        first,
        last,
    )
    .await?;
    Ok(date::days(first, last)
        .map(|d| {
            let p = plans.day(d);
            WorkSpan {
                date: d,
                working: p.due(),
                minutes: p
                    .sections
                    .iter()
                    .map(|s| s.work_between(from_ms, to_ms))
                    .sum::<i64>()
                    / MINUTE_MS,
                day_minutes: p.standard_ms() / MINUTE_MS,
            }
        })
        .collect())
}
