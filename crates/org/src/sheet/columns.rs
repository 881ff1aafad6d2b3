//! The columns the importer understands, and rows before and after the header maps them.
use std::collections::HashMap;

/// A column the importer understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Name,
    Userid,
    EmployeeNo,
    Mobile,
    Email,
    Departments,
    Position,
    Gender,
    Leader,
    Tags,
    Alias,
    Telephone,
}

impl Field {
    pub const ALL: [Field; 12] = [
        Field::Name,
        Field::Userid,
        Field::EmployeeNo,
        Field::Mobile,
        Field::Email,
        Field::Departments,
        Field::Position,
        Field::Gender,
        Field::Leader,
        Field::Tags,
        Field::Alias,
        Field::Telephone,
    ];

    /// The stable snake_case key used in `RowError::field`.
    pub fn key(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Userid => "userid",
            Field::EmployeeNo => "employee_no",
            Field::Mobile => "mobile",
            Field::Email => "email",
            Field::Departments => "departments",
            Field::Position => "position",
            Field::Gender => "gender",
            Field::Leader => "leader",
            Field::Tags => "tags",
            Field::Alias => "alias",
            Field::Telephone => "telephone",
        }
    }

    /// Recognises a header cell. Case, spaces, `_` and `-` do not matter for English headers;
    /// decorations templates add, like `*姓名` or `手机（选填）`, are ignored.
    pub fn from_header(header: &str) -> Option<Field> {
        let mut h = header.trim();
        // "部门（多个用;分隔）" → "部门": keep what precedes a parenthesised note.
        if let Some(i) = h.find(['(', '（']).filter(|&i| i > 0) {
            h = &h[..i];
        }
        let h: String = h
            .trim()
            .trim_matches(['*', '＊'])
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect();
        let field = match h.as_str() {
            "姓名" | "name" => Field::Name,
            "帐号" | "账号" | "成员id" | "userid" | "account" => Field::Userid,
            "工号" | "员工编号" | "employeeno" => Field::EmployeeNo,
            "手机" | "手机号" | "手机号码" | "mobile" => Field::Mobile,
            "邮箱" | "电子邮箱" | "企业邮箱" | "email" => Field::Email,
            "部门" | "所在部门" | "department" | "departments" => Field::Departments,
            "职务" | "职位" | "position" => Field::Position,
            "性别" | "gender" => Field::Gender,
            "直属上级" | "上级" | "leader" => Field::Leader,
            "标签" | "tags" | "tag" => Field::Tags,
            "别名" | "alias" => Field::Alias,
            "座机" | "电话" | "telephone" => Field::Telephone,
            _ => return None,
        };
        Some(field)
    }
}

/// One data row of an import file, cells trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRow {
    /// 1-based spreadsheet row number, header included: the row a person sees in Excel.
    pub row: usize,
    /// An entry for every recognised column of the file (possibly empty).
    pub cells: HashMap<Field, String>,
}

impl SheetRow {
    /// The cell of `field`, or `""` when the file has no such column.
    pub fn get(&self, field: Field) -> &str {
        self.cells.get(&field).map(String::as_str).unwrap_or("")
    }
}

/// A non-empty row before header mapping: its row number and its cleaned cells by column.
pub(super) struct RawRow {
    pub(super) row: usize,
    pub(super) cells: Vec<String>,
}
