//! Workbooks for payroll: the monthly sheet (one row per member, the columns the administrator
//! chose) and the daily detail (one row per member and day). Written row by row in constant
//! memory per row; names and numbers only, never formulas.
use std::collections::BTreeSet;

use jiff::civil::Date;
use rust_xlsxwriter::{Format, Workbook, Worksheet};

use qixie_kernel::AppState;
use qixie_kernel::authz::ReadScope;
use qixie_kernel::error::{AppError, AppResult, FieldReason};

use crate::date;
use crate::results::{self, MonthlyList};

/// The payroll columns, in sheet order, with their headers.
pub const COLUMNS: &[(&str, &str)] = &[
    ("due_days", "应出勤天数"),
    ("present_days", "出勤天数"),
    ("late_count", "迟到次数"),
    ("late_minutes", "迟到分钟"),
    ("early_count", "早退次数"),
    ("early_minutes", "早退分钟"),
    ("missing_count", "缺卡次数"),
    ("absent_days", "旷工天数"),
    ("leave", "请假（按类型）"),
    ("overtime_hours", "加班小时"),
    ("field_days", "外勤天数"),
];

/// Names of the built-in leave types, for the sheet's headers.
fn leave_name(key: &str) -> String {
    let name = match key {
        "annual" => "年假",
        "personal" => "事假",
        "sick" => "病假",
        "compensatory" => "调休",
        "marriage" => "婚假",
        "maternity" => "产假",
        "paternity" => "陪产假",
        "bereavement" => "丧假",
        other => other,
    };
    format!("{name}（天）")
}

/// The columns asked for (`a,b,c`), each known; all when absent.
pub fn columns(asked: Option<&str>) -> AppResult<Vec<&'static str>> {
    let Some(asked) = asked.filter(|a| !a.trim().is_empty()) else {
        return Ok(COLUMNS.iter().map(|(k, _)| *k).collect());
    };
    let mut out = Vec::new();
    for c in asked.split(',').map(str::trim) {
        // `leave_<type>` asks for the leave columns.
        let key = if c.starts_with("leave") { "leave" } else { c };
        match COLUMNS.iter().find(|(k, _)| *k == key) {
            Some((k, _)) if !out.contains(k) => out.push(*k),
            Some(_) => {}
            None => return Err(AppError::field("columns", FieldReason::Unknown)),
        }
    }
    Ok(out)
}

fn err(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::internal(e)
}

fn header(sheet: &mut Worksheet, titles: &[String]) -> AppResult<()> {
    let bold = Format::new().set_bold();
    for (i, t) in titles.iter().enumerate() {
        sheet
            .write_string_with_format(0, i as u16, t, &bold)
            .map_err(err)?;
    }
    sheet.set_freeze_panes(1, 2).map_err(err)?;
    Ok(())
}

/// The monthly sheet.
pub fn monthly_xlsx(list: &MonthlyList, columns: &[&str]) -> AppResult<Vec<u8>> {
    let leave_types: BTreeSet<&str> = list
        .items
        .iter()
        .flat_map(|r| r.leave.iter().map(|l| l.leave_type.as_str()))
        .collect();
    let mut titles = vec![
        "userid".to_owned(),
        "姓名".to_owned(),
        "考勤规则".to_owned(),
    ];
    for c in columns {
        if *c == "leave" {
            titles.extend(leave_types.iter().map(|t| leave_name(t)));
        } else if let Some((_, h)) = COLUMNS.iter().find(|(k, _)| k == c) {
            titles.push((*h).to_owned());
        }
    }
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(&list.month).map_err(err)?;
    header(sheet, &titles)?;
    for (r, row) in list.items.iter().enumerate() {
        let y = r as u32 + 1;
        sheet.write_string(y, 0, &row.member.userid).map_err(err)?;
        sheet.write_string(y, 1, &row.member.name).map_err(err)?;
        sheet
            .write_string(y, 2, row.rule.as_deref().unwrap_or(""))
            .map_err(err)?;
        let s = &row.summary;
        let mut x: u16 = 3;
        for c in columns {
            let values: Vec<f64> = match *c {
                "due_days" => vec![s.due_days as f64],
                "present_days" => vec![s.present_days as f64],
                "late_count" => vec![s.late_count as f64],
                "late_minutes" => vec![s.late_minutes as f64],
                "early_count" => vec![s.early_count as f64],
                "early_minutes" => vec![s.early_minutes as f64],
                "missing_count" => vec![s.missing_count as f64],
                "absent_days" => vec![s.absent_days as f64],
                "overtime_hours" => vec![s.overtime_hours],
                "field_days" => vec![s.field_days as f64],
                "leave" => leave_types
                    .iter()
                    .map(|t| {
                        let minutes: i64 = row
                            .leave
                            .iter()
                            .filter(|l| l.leave_type == *t)
                            .map(|l| l.minutes)
                            .sum();
                        // Days of 8 working hours, to one decimal.
                        (minutes as f64 / 48.0).round() / 10.0
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for v in values {
                sheet.write_number(y, x, v).map_err(err)?;
                x += 1;
            }
        }
    }
    book.save_to_buffer().map_err(err)
}

/// The daily detail: one row per member and day, from the stored results.
pub async fn daily_xlsx(
    app: &AppState,
    reads: &ReadScope,
    from: Date,
    to: Date,
    department_id: Option<i64>,
) -> AppResult<Vec<u8>> {
    let titles: Vec<String> = [
        "userid",
        "姓名",
        "日期",
        "状态",
        "迟到分钟",
        "早退分钟",
        "缺卡次数",
        "旷工",
        "外勤次数",
        "请假分钟",
        "加班分钟",
        "工作分钟",
        "首次打卡",
        "末次打卡",
        "更正原因",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let zone = crate::plan::corp_zone(app, reads.corp()).await?;
    let hm = |t: Option<i64>| {
        t.map(|t| {
            let l = zone.local(t);
            format!("{:02}:{:02}", l.minute / 60, l.minute % 60)
        })
        .unwrap_or_default()
    };
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    header(sheet, &titles)?;
    let mut y = 1;
    for day in date::days(from, to) {
        let list = results::daily(app, reads, day, department_id, None).await?;
        for row in list.items {
            let d = &row.day;
            sheet.write_string(y, 0, &row.member.userid).map_err(err)?;
            sheet.write_string(y, 1, &row.member.name).map_err(err)?;
            sheet.write_string(y, 2, &d.date).map_err(err)?;
            sheet
                .write_string(y, 3, status_name(&d.status))
                .map_err(err)?;
            let numbers = [
                d.late_minutes,
                d.early_minutes,
                d.missing_count,
                i64::from(d.absent),
                d.field_count,
                d.leave.iter().map(|l| l.minutes).sum(),
                d.overtime_minutes,
                d.work_minutes,
            ];
            for (i, n) in numbers.iter().enumerate() {
                sheet
                    .write_number(y, 4 + i as u16, *n as f64)
                    .map_err(err)?;
            }
            sheet.write_string(y, 12, hm(d.first_in)).map_err(err)?;
            sheet.write_string(y, 13, hm(d.last_out)).map_err(err)?;
            sheet
                .write_string(y, 14, d.correction_reason.as_deref().unwrap_or(""))
                .map_err(err)?;
            y += 1;
        }
    }
    book.save_to_buffer().map_err(err)
}

/// A day status in the sheet's words.
pub fn status_name(code: &str) -> &'static str {
    match code {
        "absent" => "旷工",
        "missing" => "缺卡",
        "late" => "迟到",
        "early" => "早退",
        "leave" => "请假",
        "field" => "外勤",
        "normal" => "正常",
        "pending" => "未结束",
        "rest" => "休息",
        "holiday" => "节假日",
        _ => "无规则",
    }
}
