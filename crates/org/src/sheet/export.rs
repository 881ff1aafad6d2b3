//! The member export: CSV (UTF-8 with a BOM) and XLSX, every cell guarded against formulas.
use rust_xlsxwriter::{Format, Workbook};

use super::cells::neutralise;

/// One member as the export writes it; the caller has already turned ids into names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportRow {
    pub name: String,
    pub userid: String,
    pub employee_no: String,
    pub mobile: String,
    pub email: String,
    /// Already joined, e.g. "总公司/研发部;总公司/产品部".
    pub departments: String,
    pub position: String,
    /// "男", "女" or "".
    pub gender: String,
    pub leader: String,
    pub tags: String,
    pub status: String,
}

impl ExportRow {
    fn cells(&self) -> [&str; 11] {
        [
            &self.name,
            &self.userid,
            &self.employee_no,
            &self.mobile,
            &self.email,
            &self.departments,
            &self.position,
            &self.gender,
            &self.leader,
            &self.tags,
            &self.status,
        ]
    }
}

/// The export header; every name but 状态 is also an import header, so exports re-import.
pub const EXPORT_HEADER: [&str; 11] = [
    "姓名",
    "帐号",
    "工号",
    "手机",
    "邮箱",
    "部门",
    "职务",
    "性别",
    "直属上级",
    "标签",
    "状态",
];

/// UTF-8 with a BOM, which is what makes Excel open it as UTF-8 rather than the ANSI code page.
pub fn export_csv(rows: &[ExportRow]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    write_csv_line(&mut out, EXPORT_HEADER.iter().map(|h| (*h).to_string()));
    for row in rows {
        write_csv_line(&mut out, row.cells().iter().map(|c| neutralise(c)));
    }
    out.into_bytes()
}

/// RFC 4180 with CRLF line ends; fields are quoted only when they have to be.
fn write_csv_line(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if cell.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    out.push_str("\r\n");
}

/// Sheet 成员 with a bold, frozen header. Every cell is a string, so numbers like mobiles keep
/// their exact digits.
pub fn export_xlsx(rows: &[ExportRow]) -> anyhow::Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name("成员")?;

    let mut widths = EXPORT_HEADER.map(display_width);
    for (col, header) in (0u16..).zip(EXPORT_HEADER) {
        sheet.write_string_with_format(0, col, header, &bold)?;
    }
    for (row, member) in (1u32..).zip(rows) {
        for ((col, value), width) in (0u16..).zip(member.cells()).zip(widths.iter_mut()) {
            if value.is_empty() {
                continue;
            }
            let value = neutralise(value);
            *width = (*width).max(display_width(&value));
            sheet.write_string(row, col, value)?;
        }
    }
    // Fit the content, within bounds: long department paths should not make a column huge.
    for (col, width) in (0u16..).zip(widths) {
        sheet.set_column_width(col, width.clamp(8, 50) as f64 + 2.0)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(workbook.save_to_buffer()?)
}

/// Width in Excel character units, roughly: CJK and other wide characters take two.
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}
