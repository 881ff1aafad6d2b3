//! The boxes people work from — waiting for me, done by me, my applications, copied to me — and the
//! administrators' list of every application in their scope. Each is a keyset-paged query on a
//! small index, with an exact total.
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, Grant, Scope, perm};
use qixie_kernel::db::{Sql, sql};
use qixie_kernel::error::{AppError, AppResult, FieldReason};
use qixie_kernel::ids::CorpId;

use crate::instance::member_of;
use crate::instance::progress::{Progress, Status};
use crate::instance::view::{PersonRef, people_refs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BoxKind {
    /// Waiting for me (待我处理).
    Todo,
    /// Done by me (我已处理).
    Done,
    /// My applications (我发起的).
    Mine,
    /// Copied to me (抄送我的).
    Cc,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BoxQuery {
    /// todo, done, mine or cc (administrators' list: ignored).
    #[serde(rename = "box")]
    #[param(rename = "box", inline)]
    pub kind: Option<BoxKind>,
    pub template_id: Option<String>,
    /// pending, approved, rejected, withdrawn, returned.
    pub status: Option<String>,
    /// The applicant's userid.
    pub applicant: Option<String>,
    /// Submitted at or after (ms).
    pub from: Option<i64>,
    /// Submitted before (ms).
    pub to: Option<i64>,
    /// Text in the summary or the values.
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

/// One line of a box.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Summary {
    pub sp_no: String,
    pub template_id: String,
    pub template_name: String,
    pub status: String,
    pub applicant: PersonRef,
    pub summary: Vec<String>,
    pub submitted_at: i64,
    pub finished_at: Option<i64>,
    /// The step it waits at, while pending.
    pub current_step: Option<String>,
    /// Since when it waits for the viewer (waiting box) or at its step.
    pub waiting_since: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page {
    pub items: Vec<Summary>,
    /// Exact, over every page.
    pub total: i64,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Counts {
    /// Applications waiting for the member.
    pub todo: i64,
    /// Applications copied to the member that they have not opened.
    pub cc_unread: i64,
}

#[derive(sqlx::FromRow)]
struct Line {
    sort_at: i64,
    id: i64,
    sp_no: String,
    template_id: String,
    template_name: String,
    status: i64,
    applicant_id: i64,
    summary: String,
    route: String,
    submitted_at: i64,
    finished_at: Option<i64>,
}

const LINE: &str = "i.id, i.sp_no, t.template_id, t.name AS template_name, i.status, i.applicant_id, i.summary, i.route, i.submitted_at, i.finished_at";

fn bad(field: &str) -> AppError {
    AppError::field(field, FieldReason::Invalid)
}

/// The filters every list shares, on `i` (instances) and `t` (templates).
async fn filters(app: &AppState, corp: CorpId, q: &BoxQuery, mut s: Sql) -> AppResult<Sql> {
    if let Some(t) = &q.template_id {
        s = s.push_bind(" AND t.template_id = {}", t.clone());
    }
    if let Some(st) = &q.status {
        let status = Status::from_name(st).ok_or_else(|| bad("status"))?;
        s = s.push_bind(" AND i.status = {}", status.code());
    }
    if let Some(u) = &q.applicant {
        let id = qixie_org::people::ids_of(&app.db, corp, std::slice::from_ref(u))
            .await?
            .pop()
            .flatten()
            .unwrap_or(-1);
        s = s.push_bind(" AND i.applicant_id = {}", id);
    }
    if let Some(f) = q.from {
        s = s.push_bind(" AND i.submitted_at >= {}", f);
    }
    if let Some(t) = q.to {
        s = s.push_bind(" AND i.submitted_at < {}", t);
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        if text.chars().count() > 50 {
            return Err(AppError::field("q", FieldReason::TooLong));
        }
        let escaped = text
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        s = s.push_bind(
            " AND i.search_text LIKE {} ESCAPE '\\'",
            format!("%{escaped}%"),
        );
    }
    Ok(s)
}

fn parse_cursor(c: &Option<String>) -> AppResult<Option<(i64, i64)>> {
    let Some(c) = c else { return Ok(None) };
    let (a, b) = c.split_once('.').ok_or_else(|| bad("cursor"))?;
    Ok(Some((
        a.parse().map_err(|_| bad("cursor"))?,
        b.parse().map_err(|_| bad("cursor"))?,
    )))
}

/// A member's box.
pub async fn list(app: &AppState, actor: &Actor, q: &BoxQuery) -> AppResult<Page> {
    let corp = actor.corp;
    let me = member_of(actor)?;
    let kind = q.kind.unwrap_or(BoxKind::Todo);
    // (FROM … WHERE … part, the sort column)
    let (from, sort) = match kind {
        BoxKind::Todo => (
            sql("FROM approval_tasks k JOIN approval_instances i ON i.id = k.instance_id JOIN approval_templates t ON t.id = i.template_pk WHERE k.member_id = ")
                .push_bind("{} AND k.state = 0", me),
            "k.since",
        ),
        BoxKind::Cc => (
            sql("FROM approval_tasks k JOIN approval_instances i ON i.id = k.instance_id JOIN approval_templates t ON t.id = i.template_pk WHERE k.member_id = ")
                .push_bind("{} AND k.kind = 2", me),
            "k.since",
        ),
        BoxKind::Done => (
            // Each decision of the member, newest first, on the decided-tasks index (a member who
            // decided one application twice, before and after a return, sees it twice).
            sql("FROM approval_tasks k JOIN approval_instances i ON i.id = k.instance_id JOIN approval_templates t ON t.id = i.template_pk WHERE k.member_id = ")
                .push_bind("{} AND k.kind = 1 AND k.state IN (1, 2, 3)", me),
            "k.acted_at",
        ),
        BoxKind::Mine => (
            sql("FROM approval_instances i JOIN approval_templates t ON t.id = i.template_pk WHERE i.applicant_id = ")
                .push_bind("{}", me),
            "i.submitted_at",
        ),
    };
    let from = filters(app, corp, q, from).await?;
    page(app, corp, from, sort, q).await
}

/// Every application filed under a department in the administrator's scope.
pub async fn list_all(
    app: &AppState,
    grant: &Grant<perm::ApprovalsManage>,
    q: &BoxQuery,
) -> AppResult<Page> {
    let corp = grant.corp();
    let from = sql("FROM approval_instances i JOIN approval_templates t ON t.id = i.template_pk WHERE i.corp_id = ")
        .push_bind("{}", corp);
    let from = in_scope(app, grant, from).await?;
    let from = filters(app, corp, q, from).await?;
    page(app, corp, from, "i.submitted_at", q).await
}

/// Limits `i` to departments the grant covers.
pub async fn in_scope(
    app: &AppState,
    grant: &Grant<perm::ApprovalsManage>,
    s: Sql,
) -> AppResult<Sql> {
    Ok(match grant.scope() {
        Scope::All => s,
        scope => {
            let ids: Vec<i64> = qixie_org::people::all_departments(&app.db, grant.corp())
                .await?
                .into_iter()
                .filter(|(_, path, _)| scope.covers_path(path))
                .map(|(id, _, _)| id)
                .collect();
            if ids.is_empty() {
                s.push(" AND 1 = 0")
            } else {
                s.push(" AND i.department_id IN ").push_in(ids)
            }
        }
    })
}

async fn page(
    app: &AppState,
    corp: CorpId,
    from: Sql,
    sort: &str,
    q: &BoxQuery,
) -> AppResult<Page> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::field("limit", FieldReason::OutOfRange));
    }
    let cursor = parse_cursor(&q.cursor)?;
    let (total,): (i64,) = app.db.one(from.clone().prepend("SELECT COUNT(*) ")).await?;
    let mut list = from.prepend(&format!("SELECT {sort} AS sort_at, {LINE} "));
    if let Some((at, id)) = cursor {
        list = list
            .push_bind(&format!(" AND ({sort} < {{}}"), at)
            .push_bind(&format!(" OR ({sort} = {{}}"), at)
            .push_bind(" AND i.id < {}))", id);
    }
    list = list
        .push(&format!(" ORDER BY {sort} DESC, i.id DESC LIMIT "))
        .push_bind("{}", limit + 1);
    let mut rows: Vec<Line> = app.db.all(list).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = more
        .then(|| rows.last().map(|r| format!("{}.{}", r.sort_at, r.id)))
        .flatten();
    let ids: Vec<i64> = rows.iter().map(|r| r.applicant_id).collect();
    let names = people_refs(app, corp, &ids).await?;
    let items = rows
        .into_iter()
        .map(|r| {
            let status = Status::from_code(r.status);
            let progress: Option<Progress> = serde_json::from_str(&r.route).ok();
            let current = progress
                .as_ref()
                .filter(|_| status == Status::Pending)
                .and_then(|p| p.current_step().cloned());
            Summary {
                sp_no: r.sp_no,
                template_id: r.template_id,
                template_name: r.template_name,
                status: status.name().into(),
                applicant: names.get(&r.applicant_id).cloned().unwrap_or_default(),
                summary: serde_json::from_str(&r.summary).unwrap_or_default(),
                submitted_at: r.submitted_at,
                finished_at: r.finished_at,
                current_step: current.as_ref().map(|s| s.step.name.clone()),
                waiting_since: current.and_then(|s| s.reached_at),
            }
        })
        .collect();
    Ok(Page {
        items,
        total,
        next_cursor,
    })
}

/// The badge counts of a member.
pub async fn counts(app: &AppState, actor: &Actor) -> AppResult<Counts> {
    let me = member_of(actor)?;
    let (todo,): (i64,) = app
        .db
        .one(sql("SELECT COUNT(*) FROM approval_tasks WHERE member_id = $1 AND state = 0").bind(me))
        .await?;
    let (cc_unread,): (i64,) = app
        .db
        .one(sql("SELECT COUNT(*) FROM approval_tasks WHERE member_id = $1 AND kind = 2 AND state = 5").bind(me))
        .await?;
    Ok(Counts { todo, cc_unread })
}

/// Marks what was copied to the member as read once they open it.
pub async fn mark_read(app: &AppState, actor: &Actor, sp_no: &str) -> AppResult<()> {
    let Some(me) = actor.member_id() else {
        return Ok(());
    };
    // A read first: opening an application is not a write unless there is something to mark.
    let unread: Option<(i64,)> = app
        .db
        .opt(
            sql("SELECT k.step FROM approval_tasks k JOIN approval_instances i ON i.id = k.instance_id \
                 WHERE k.member_id = $1 AND k.kind = 2 AND k.state = 5 AND i.corp_id = $2 AND i.sp_no = $3")
            .bind(me)
            .bind(actor.corp)
            .bind(sp_no),
        )
        .await?;
    if unread.is_none() {
        return Ok(());
    }
    app.db
        .exec(
            sql("UPDATE approval_tasks SET state = 6 WHERE member_id = $1 AND kind = 2 AND state = 5 \
                 AND instance_id IN (SELECT id FROM approval_instances WHERE corp_id = $2 AND sp_no = $3)")
            .bind(me)
            .bind(actor.corp)
            .bind(sp_no),
        )
        .await?;
    Ok(())
}
