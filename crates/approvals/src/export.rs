//! Applications as a workbook: one row per application, the common columns, then one column per
//! form field of the template (its current version's titles; values of older versions go under the
//! same field ids).
use rust_xlsxwriter::{Format, Workbook};
use serde_json::Value;

use qixie_kernel::AppState;
use qixie_kernel::authz::{Grant, perm};
use qixie_kernel::db::sql;
use qixie_kernel::error::{AppError, AppResult, FieldReason};

use crate::boxes::{BoxQuery, in_scope};
use crate::form::{Field, FieldKind, FormValues};
use crate::instance::progress::Status;
use crate::instance::view::people_refs;
use crate::template;

/// At most this many applications in one file.
const MAX_ROWS: i64 = 10_000;

#[derive(sqlx::FromRow)]
struct Row {
    sp_no: String,
    status: i64,
    applicant_id: i64,
    department_id: i64,
    summary: String,
    form_values: String,
    submitted_at: i64,
    finished_at: Option<i64>,
}

/// A value as a cell's text.
fn text(field: &Field, v: &Value) -> String {
    match (field.kind, v) {
        (_, Value::String(s)) => match field.kind {
            FieldKind::SingleChoice => field
                .options
                .iter()
                .find(|o| &o.key == s)
                .map(|o| o.text.clone())
                .unwrap_or_else(|| s.clone()),
            _ => s.clone(),
        },
        (FieldKind::MultiChoice, Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(|k| {
                field
                    .options
                    .iter()
                    .find(|o| o.key == k)
                    .map(|o| o.text.as_str())
                    .unwrap_or(k)
            })
            .collect::<Vec<_>>()
            .join("、"),
        (FieldKind::Attachment | FieldKind::Image, Value::Array(a)) => a
            .iter()
            .map(|f| {
                f["name"]
                    .as_str()
                    .or(f["file_id"].as_str())
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .join("、"),
        (FieldKind::Table, Value::Array(rows)) => rows
            .iter()
            .map(|r| {
                field
                    .columns
                    .iter()
                    .map(|c| text(c, &r[&c.id]))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("；"),
        (FieldKind::DateRange, Value::Object(o)) => format!(
            "{} ~ {} ({})",
            o.get("start").and_then(Value::as_str).unwrap_or_default(),
            o.get("end").and_then(Value::as_str).unwrap_or_default(),
            o.get("duration").map(Value::to_string).unwrap_or_default()
        ),
        (_, Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| x.to_string())
            })
            .collect::<Vec<_>>()
            .join("、"),
        (_, Value::Null) => String::new(),
        (_, other) => other.to_string(),
    }
}

fn time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// The workbook of one template's applications in the administrator's scope.
pub async fn xlsx(
    app: &AppState,
    grant: &Grant<perm::ApprovalsManage>,
    q: &BoxQuery,
) -> AppResult<Vec<u8>> {
    let corp = grant.corp();
    let Some(template_id) = &q.template_id else {
        return Err(AppError::field("template_id", FieldReason::Required));
    };
    let t = template::find(&app.db, corp, template_id).await?;
    let v = template::version(&app.db, t.id, t.version).await?;
    let mut s = sql("FROM approval_instances i WHERE i.corp_id = ")
        .push_bind("{}", corp)
        .push_bind(" AND i.template_pk = {}", t.id);
    s = in_scope(app, grant, s).await?;
    if let Some(f) = q.from {
        s = s.push_bind(" AND i.submitted_at >= {}", f);
    }
    if let Some(to) = q.to {
        s = s.push_bind(" AND i.submitted_at < {}", to);
    }
    if let Some(st) = &q.status {
        let status =
            Status::from_name(st).ok_or_else(|| AppError::field("status", FieldReason::Invalid))?;
        s = s.push_bind(" AND i.status = {}", status.code());
    }
    let rows: Vec<Row> = app
        .db
        .all(
            s.prepend("SELECT i.sp_no, i.status, i.applicant_id, i.department_id, i.summary, i.form_values, i.submitted_at, i.finished_at ")
                .push_bind(" ORDER BY i.submitted_at DESC LIMIT {}", MAX_ROWS),
        )
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.applicant_id).collect();
    let names = people_refs(app, corp, &ids).await?;
    let depts: std::collections::HashMap<i64, String> =
        qixie_org::people::all_departments(&app.db, corp)
            .await?
            .into_iter()
            .map(|(id, _, name)| (id, name))
            .collect();
    let fields: Vec<&Field> = v
        .fields
        .iter()
        .filter(|f| f.kind != FieldKind::Description)
        .collect();
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = wb.add_worksheet();
    let mut header: Vec<String> = [
        "审批编号",
        "状态",
        "申请人账号",
        "申请人",
        "部门",
        "提交时间",
        "完成时间",
        "摘要",
    ]
    .map(String::from)
    .to_vec();
    header.extend(fields.iter().map(|f| f.title.clone()));
    let map = |e: rust_xlsxwriter::XlsxError| AppError::internal(anyhow::anyhow!(e));
    for (col, h) in (0u16..).zip(&header) {
        sheet
            .write_string_with_format(0, col, h, &bold)
            .map_err(map)?;
    }
    for (row, r) in (1u32..).zip(&rows) {
        let values: FormValues = serde_json::from_str(&r.form_values).unwrap_or_default();
        let summary: Vec<String> = serde_json::from_str(&r.summary).unwrap_or_default();
        let who = names.get(&r.applicant_id);
        let mut cells = vec![
            r.sp_no.clone(),
            Status::from_code(r.status).name().to_owned(),
            who.map(|w| w.userid.clone()).unwrap_or_default(),
            who.map(|w| w.name.clone()).unwrap_or_default(),
            depts.get(&r.department_id).cloned().unwrap_or_default(),
            time(r.submitted_at),
            r.finished_at.map(time).unwrap_or_default(),
            summary.join("；"),
        ];
        cells.extend(
            fields
                .iter()
                .map(|f| values.get(&f.id).map(|v| text(f, v)).unwrap_or_default()),
        );
        for (col, c) in (0u16..).zip(cells) {
            if !c.is_empty() {
                // Cells are text; a leading formula character is defused as the member export does.
                sheet
                    .write_string(row, col, qixie_org::sheet::cells::neutralise(&c))
                    .map_err(map)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(map)?;
    wb.save_to_buffer().map_err(map)
}
