//! Submitting an application: the form checked against the template's current version, the flow
//! resolved into a route for this applicant and these values, the instance written with its first
//! turns — or nothing written and every bad value named.
use std::collections::BTreeMap;

use serde::Deserialize;
use utoipa::ToSchema;

use qixie_kernel::AppState;
use qixie_kernel::authz::Actor;
use qixie_kernel::db::{Tx, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldError, FieldReason};
use qixie_kernel::ids::{CorpId, MemberId, new_id};
use qixie_kernel::time::Zone;
use qixie_org::people::{self, Person};

use super::progress::{Progress, Status};
use super::{Entry, Loaded};
use crate::directory::{ApplicantContext, OrgDirectory};
use crate::flow::resolve::{ResolveError, resolve};
use crate::flow::{Applicant, Route};
use crate::form::FormValues;
use crate::form::validate::{summary, validate_values};
use crate::template::{self, TemplateRow, Version};

/// An application as submitted.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitInput {
    pub template_id: String,
    /// Values by field id (see the form's field kinds for each shape).
    #[schema(value_type = Object)]
    pub values: FormValues,
    /// The department to file under: one of the applicant's; their main department when absent.
    #[serde(default)]
    pub department_id: Option<i64>,
    /// Approvers the applicant chose, by node id (for nodes whose approvers are chosen).
    #[serde(default)]
    pub chosen: BTreeMap<String, Vec<String>>,
    /// Up to 3 summary lines (≤ 40 characters each); made from the form when absent.
    #[serde(default)]
    pub summary: Option<Vec<String>>,
}

/// What a submission resolved to, before anything is written.
pub struct Prepared {
    pub template: TemplateRow,
    pub version: Version,
    pub person: Person,
    pub department: i64,
    pub values: FormValues,
    pub route: Route,
    pub summary: Vec<String>,
}

/// The enterprise's zone.
pub async fn corp_zone(app: &AppState, corp: CorpId) -> AppResult<Zone> {
    let profile = qixie_org::enterprise::profile(&app.db, corp).await?;
    Ok(Zone::first_of(
        &profile.time_zone,
        qixie_kernel::time::DEFAULT_ZONE,
    ))
}

/// Checks an application without writing it: who may submit, the values, the route. Errors name
/// each bad value (`values.<id>`), chosen approver (`chosen.<node id>`) and the department.
pub async fn prepare(
    app: &AppState,
    corp: CorpId,
    member: i64,
    template: TemplateRow,
    version: Version,
    input: &SubmitInput,
) -> AppResult<Prepared> {
    prepare_with(app, corp, member, template, version, input, None).await
}

/// `prepare`, with the route given by the caller instead of resolved from the flow (WeCom's
/// `applyevent` with `use_template_approver` 0 names the approvers itself).
pub async fn prepare_with(
    app: &AppState,
    corp: CorpId,
    member: i64,
    template: TemplateRow,
    version: Version,
    input: &SubmitInput,
    given: Option<Route>,
) -> AppResult<Prepared> {
    let person = people::person(&app.db, corp, MemberId(member))
        .await?
        .ok_or(ErrorKind::MemberNotFound)?;
    if !template.enabled || template.deleted {
        return Err(ErrorKind::TemplateNotFound.into());
    }
    let submitters = template.submitters();
    let paths = template::submitter_paths(app, corp, &[&submitters]).await?;
    if !submitters.admits(&person, &paths) {
        return Err(ErrorKind::TemplateNotAllowed.into());
    }
    let department = input.department_id.unwrap_or(person.main_department);
    let Some((_, department_path)) = person.departments.iter().find(|(d, _)| *d == department)
    else {
        return Err(AppError::field(
            "department_id",
            FieldReason::NotInDepartments,
        ));
    };
    let zone = corp_zone(app, corp).await?;
    let ctx = ApplicantContext {
        app,
        corp,
        member,
        zone,
    };
    let mut errors: Vec<FieldError> = Vec::new();
    let values = match validate_values(&version.fields, &input.values, &ctx).await {
        Ok(v) => v,
        // A lookup that failed is a server error, not the applicant's.
        Err(list)
            if list
                .iter()
                .any(|(_, r)| *r == FieldReason::Error(ErrorKind::Internal)) =>
        {
            return Err(crate::form::validate::into_app_error(list));
        }
        Err(list) => {
            errors.extend(
                list.into_iter()
                    .map(|(field, reason)| FieldError { field, reason }),
            );
            FormValues::new()
        }
    };
    let mut chosen = BTreeMap::new();
    for (node, userids) in &input.chosen {
        let ids = people::ids_of(&app.db, corp, userids).await?;
        if ids.iter().any(Option::is_none) || userids.len() > 20 {
            errors.push(FieldError {
                field: format!("chosen.{node}"),
                reason: if userids.len() > 20 {
                    FieldReason::TooMany
                } else {
                    FieldReason::NotFound
                },
            });
            continue;
        }
        chosen.insert(node.clone(), ids.into_iter().flatten().collect());
    }
    if let Some(lines) = &input.summary
        && (lines.len() > 3 || lines.iter().any(|l| l.chars().count() > 40))
    {
        errors.push(FieldError {
            field: "summary".into(),
            reason: FieldReason::TooLong,
        });
    }
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    crate::followers::check(app, corp, template.builtin.as_deref(), member, &values).await?;
    let applicant = Applicant {
        member,
        userid: person.userid.clone(),
        department,
        department_path: department_path.clone(),
        tags: person.tags.clone(),
    };
    let dir = OrgDirectory::new(app, corp);
    let resolved = match given {
        Some(route) => Ok(route),
        None => {
            resolve(
                &version.flow,
                &version.fields,
                &values,
                &applicant,
                &chosen,
                &dir,
            )
            .await
        }
    };
    let route = match resolved {
        Ok(r) => r,
        Err(ResolveError::Nobody { .. }) => return Err(ErrorKind::NobodyToApprove.into()),
        Err(ResolveError::ChoiceMissing { node_id }) => {
            return Err(AppError::field(
                &format!("chosen.{node_id}"),
                FieldReason::Required,
            ));
        }
        Err(ResolveError::Directory(e)) => return Err(e),
    };
    let summary = match &input.summary {
        Some(lines) if !lines.is_empty() => lines.clone(),
        _ => summary(&version.fields, &values),
    };
    Ok(Prepared {
        template,
        version,
        person,
        department,
        values,
        route,
        summary,
    })
}

/// Submits an application for the signed-in member (or, through WeCom's API, for `creator` on an
/// app's behalf); returns its sp_no.
pub async fn submit(
    app: &AppState,
    actor: &Actor,
    member: i64,
    input: SubmitInput,
    via_app: Option<i64>,
) -> AppResult<String> {
    submit_with(app, actor, member, input, via_app, None).await
}

/// `submit`, with the route given by the caller (see `prepare_with`).
pub async fn submit_with(
    app: &AppState,
    actor: &Actor,
    member: i64,
    input: SubmitInput,
    via_app: Option<i64>,
    given: Option<Route>,
) -> AppResult<String> {
    let corp = actor.corp;
    crate::builtin::ensure(app, corp).await?;
    let row = template::find(&app.db, corp, &input.template_id).await?;
    let version = template::version(&app.db, row.id, row.version).await?;
    let p = prepare_with(app, corp, member, row, version, &input, given).await?;
    let now = app.now();
    let zone = corp_zone(app, corp).await?;
    let mut tx = app.db.begin().await?;
    let sp_no = next_sp_no(&mut tx, corp, &zone, now).await?;
    let mut progress = Progress::new(p.route, p.version.flow.rules.consecutive_approver);
    let outcome = progress.start(now);
    let mut timeline = vec![Entry {
        at: now,
        actor: Some(member),
        action: "submit".into(),
        comment: String::new(),
        to: Vec::new(),
        files: Vec::new(),
        step: None,
    }];
    super::effects::record_outcome(&mut timeline, &progress, &outcome, now);
    let status = outcome.finished.unwrap_or(Status::Pending);
    let id = new_id(now);
    let l = Loaded {
        row: super::InstanceRow {
            id,
            corp_id: corp.0,
            sp_no: sp_no.clone(),
            template_pk: p.template.id,
            version: p.version.version,
            applicant_id: member,
            department_id: p.department,
            status: status.code(),
            step: progress.current as i64,
            summary: String::new(),
            form_values: String::new(),
            route: String::new(),
            timeline: String::new(),
            app_id: via_app,
            submitted_at: now,
            finished_at: outcome.finished.map(|_| now),
            updated_at: now,
        },
        progress,
        timeline,
        values: p.values,
        summary: p.summary,
    };
    tx.exec(
        sql("INSERT INTO approval_instances (id, corp_id, sp_no, template_pk, version, applicant_id, department_id, status, step, summary, form_values, route, timeline, app_id, submitted_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, 0, '', '', '', '', $8, $9, $9)")
        .bind(id)
        .bind(corp)
        .bind(&sp_no)
        .bind(p.template.id)
        .bind(p.version.version)
        .bind(member)
        .bind(p.department)
        .bind(via_app)
        .bind(now),
    )
    .await?;
    super::save(&mut tx, &l, &BTreeMap::new(), now).await?;
    super::effects::after_change(&mut tx, app, &l, &p.template, &outcome, 1).await?;
    tx.commit().await?;
    Ok(sp_no)
}

/// The next sp_no: the day in the enterprise's zone and that day's counter, "202612070001".
async fn next_sp_no(tx: &mut Tx, corp: CorpId, zone: &Zone, now: i64) -> AppResult<String> {
    let local = zone.local(now);
    let date = jiff::civil::Date::new(1970, 1, 1)
        .map_err(AppError::internal)?
        .checked_add(jiff::Span::new().days(local.day))
        .map_err(AppError::internal)?;
    let day = format!("{:04}{:02}{:02}", date.year(), date.month(), date.day());
    let n = tx
        .next_value(corp.0, &format!("approval_sp_no_{day}"), 1)
        .await?;
    Ok(format!("{day}{n:04}"))
}

/// Resubmission after a return: new values, the route resolved again on the instance's version.
pub async fn prepare_again(
    app: &AppState,
    corp: CorpId,
    l: &Loaded,
    input: &SubmitInput,
) -> AppResult<Prepared> {
    let row = template::find_by_pk(&app.db, l.row.template_pk).await?;
    let version = template::version(&app.db, row.id, l.row.version).await?;
    // A template switched off since still lets a returned application be put right.
    let mut row = row;
    row.enabled = true;
    row.deleted = false;
    prepare(app, corp, l.row.applicant_id, row, version, input).await
}
