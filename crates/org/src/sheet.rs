//! Member spreadsheets: reading an import file (CSV or XLSX), checking its rows, and writing
//! the member export. Pure functions over bytes in memory: no database, no file system.
//!
//! Import takes what HR systems and WeCom's own template produce: UTF-8 or GBK CSV, or the first
//! worksheet of an XLSX, with Chinese or English headers. Validation knows nothing about the
//! database; it only reports per-row problems with stable `field` / `reason` keys, so the caller
//! can add its own checks (existing userids, unknown leaders, ...) in the same vocabulary.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Cursor;

use calamine::{DataRef, Reader, SheetType, Xlsx};
use rust_xlsxwriter::{Format, Workbook};
use serde::Serialize;

use super::fields;
use qixie_kernel::error::{AppError, ErrorKind, FieldReason};
use qixie_kernel::upload_limits::{self, ArchiveError, Exceeded, UploadLimits};

/// How many leading non-empty rows may be looked at to find the header. Some templates put a
/// title or filling instructions above it.
const HEADER_SEARCH_ROWS: usize = 10;

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// OLE compound file: legacy `.xls`, and also how Excel wraps password-protected workbooks.
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("the file cannot be read: {0}")]
    Unreadable(String),
    /// Holds the field keys of which at least one column is needed (`"name"`, `"userid"`).
    #[error("the header has none of the required columns: {}", .0.join(", "))]
    MissingColumns(Vec<String>),
    /// Over one of the upload limits (rows, columns, decompressed size).
    #[error("the file is over a limit: {0}")]
    TooLarge(Exceeded),
}

impl SheetError {
    /// The client's error: a file over a limit says which; any other is "cannot be read".
    pub fn to_app_error(&self) -> AppError {
        match self {
            SheetError::TooLarge(x) => x.to_error(),
            _ => AppError::new(ErrorKind::ImportFileInvalid),
        }
    }
}

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

/// Reads a whole import file: XLSX when it looks like one (zip magic or `.xlsx` name), CSV
/// otherwise. [`import_rows`] gives the same rows one at a time.
pub fn parse_import(
    filename: &str,
    bytes: &[u8],
    limits: &UploadLimits,
) -> Result<Vec<SheetRow>, SheetError> {
    import_rows(filename, bytes, limits)?.collect()
}

/// The non-empty rows of a file as (row number, cleaned cells), for tables that are not member
/// sheets (WeCom's department file).
pub fn read_table(
    filename: &str,
    bytes: &[u8],
    limits: &UploadLimits,
) -> Result<Vec<(usize, Vec<String>)>, SheetError> {
    open_raw(filename, bytes, limits)?
        .map(|r| r.map(|r| (r.row, r.cells)))
        .collect()
}

/// The data rows of an import file, read as they are asked for: a CSV is never held as rows, only
/// as its text. The header has been found already; a later problem (a row over the limits, broken
/// quoting) comes as an `Err` item, after which the iterator ends.
pub fn import_rows<'a>(
    filename: &str,
    bytes: &'a [u8],
    limits: &UploadLimits,
) -> Result<SheetRows<'a>, SheetError> {
    let mut raw = open_raw(filename, bytes, limits)?;
    // The header is the first non-empty row, unless a title or instructions row sits above it:
    // then the first row naming a name or userid column within the first few rows.
    let mut header = None;
    for _ in 0..HEADER_SEARCH_ROWS {
        let Some(r) = raw.next() else { break };
        let r = r?;
        let is_header = r
            .cells
            .iter()
            .filter_map(|h| Field::from_header(h))
            .any(|f| f == Field::Name || f == Field::Userid);
        if is_header {
            header = Some(r);
            break;
        }
    }
    let Some(header) = header else {
        return Err(SheetError::MissingColumns(vec![
            "name".into(),
            "userid".into(),
        ]));
    };
    let mut columns: Vec<(usize, Field)> = Vec::new();
    for (i, h) in header.cells.iter().enumerate() {
        // The first column for a field wins; a repeated header is ignored.
        if let Some(f) = Field::from_header(h).filter(|f| !columns.iter().any(|(_, g)| g == f)) {
            columns.push((i, f));
        }
    }
    Ok(SheetRows {
        raw,
        columns,
        failed: false,
    })
}

fn open_raw<'a>(
    filename: &str,
    bytes: &'a [u8],
    limits: &UploadLimits,
) -> Result<RawRows<'a>, SheetError> {
    if bytes.starts_with(ZIP_MAGIC) || filename.to_lowercase().ends_with(".xlsx") {
        Ok(RawRows::Buffered(read_xlsx(bytes, limits)?.into_iter()))
    } else if bytes.starts_with(OLE_MAGIC) {
        // Parsing this as CSV would only yield garbage; say what to do instead.
        Err(SheetError::Unreadable(
            "legacy .xls and password-protected workbooks are not supported; save as .xlsx or CSV"
                .into(),
        ))
    } else {
        Ok(RawRows::Csv(Box::new(CsvRows::new(bytes, limits)?)))
    }
}

/// A non-empty row before header mapping: its row number and its cleaned cells by column.
struct RawRow {
    row: usize,
    cells: Vec<String>,
}

/// The non-empty rows of a file, in order.
enum RawRows<'a> {
    Csv(Box<CsvRows<'a>>),
    Buffered(std::vec::IntoIter<RawRow>),
}

impl Iterator for RawRows<'_> {
    type Item = Result<RawRow, SheetError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            RawRows::Csv(c) => c.next(),
            RawRows::Buffered(rows) => rows.next().map(Ok),
        }
    }
}

/// The data rows of a member sheet, see [`import_rows`].
pub struct SheetRows<'a> {
    raw: RawRows<'a>,
    columns: Vec<(usize, Field)>,
    failed: bool,
}

impl Iterator for SheetRows<'_> {
    type Item = Result<SheetRow, SheetError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        for r in self.raw.by_ref() {
            let r = match r {
                Ok(r) => r,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            };
            let mut cells = r.cells;
            let cells: HashMap<Field, String> = self
                .columns
                .iter()
                .map(|&(i, f)| (f, cells.get_mut(i).map(std::mem::take).unwrap_or_default()))
                .collect();
            // A row with text only in unrecognised columns (remarks, status) has nothing to import.
            if cells.values().all(String::is_empty) {
                continue;
            }
            return Some(Ok(SheetRow { row: r.row, cells }));
        }
        None
    }
}

/// Trims a cell and undoes `neutralise`, so an exported `'+8613800138000` comes back as
/// `+8613800138000`. An apostrophe before anything else is data and stays.
fn clean_cell(raw: &str) -> String {
    let t = raw.trim();
    match t.strip_prefix('\'') {
        Some(rest) if starts_dangerous(rest.trim_start_matches('\'')) => rest.trim().to_string(),
        _ => t.to_string(),
    }
}

/// A CSV file's non-empty rows, parsed one record at a time from its decoded text.
struct CsvRows<'a> {
    reader: csv::Reader<Cursor<Cow<'a, [u8]>>>,
    record: csv::StringRecord,
    limits: UploadLimits,
    /// Bytes of the text looked at for line breaks so far, and the breaks found there.
    scanned: usize,
    breaks_before: usize,
    /// Breaks inside quoted cells of earlier records.
    embedded_breaks: usize,
    last_row: usize,
    rows: usize,
    failed: bool,
}

impl<'a> CsvRows<'a> {
    fn new(bytes: &'a [u8], limits: &UploadLimits) -> Result<CsvRows<'a>, SheetError> {
        let text = decode_text(bytes, limits)?;
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(Cursor::new(match text {
                Cow::Borrowed(t) => Cow::Borrowed(t.as_bytes()),
                Cow::Owned(t) => Cow::Owned(t.into_bytes()),
            }));
        Ok(CsvRows {
            reader,
            record: csv::StringRecord::new(),
            limits: *limits,
            scanned: 0,
            breaks_before: 0,
            embedded_breaks: 0,
            last_row: 0,
            rows: 0,
            failed: false,
        })
    }

    fn read(&mut self) -> Result<Option<RawRow>, SheetError> {
        // Row numbers are worked out from byte offsets: the reader's own line count goes wrong
        // after blank lines, which it skips. Excel shows a quoted multi-line cell in one row, so
        // breaks inside earlier records are subtracted to get the row people see.
        loop {
            match self.reader.read_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => return Ok(None),
                Err(e) => return Err(SheetError::Unreadable(e.to_string())),
            }
            let text_bytes = self.reader.get_ref().get_ref();
            // The reported offset may point at the blank lines before the record: skip them.
            let mut start = self
                .record
                .position()
                .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
            while text_bytes
                .get(start)
                .is_some_and(|b| matches!(b, b'\r' | b'\n'))
            {
                start += 1;
            }
            if let Some(skipped) = text_bytes.get(self.scanned..start) {
                self.breaks_before += line_breaks(skipped);
                self.scanned = start;
            }
            let row = (self.breaks_before.saturating_sub(self.embedded_breaks) + 1)
                .max(self.last_row + 1);
            self.last_row = row;
            self.embedded_breaks += self
                .record
                .iter()
                .map(|f| line_breaks(f.as_bytes()))
                .sum::<usize>();

            // Empty cells at the end of a line (a spreadsheet's trailing commas) are no columns.
            let width = self
                .record
                .iter()
                .enumerate()
                .filter(|(_, f)| !f.trim().is_empty())
                .last()
                .map_or(0, |(i, _)| i + 1);
            if width == 0 {
                continue;
            }
            if width > self.limits.max_columns {
                return Err(SheetError::TooLarge(Exceeded::Columns(
                    self.limits.max_columns,
                )));
            }
            let cells: Vec<String> = self.record.iter().take(width).map(clean_cell).collect();
            if cells.iter().all(String::is_empty) {
                continue;
            }
            self.rows += 1;
            // The header is one of the rows.
            if self.rows > self.limits.max_rows.saturating_add(1) {
                return Err(SheetError::TooLarge(Exceeded::Rows(self.limits.max_rows)));
            }
            return Ok(Some(RawRow { row, cells }));
        }
    }
}

impl Iterator for CsvRows<'_> {
    type Item = Result<RawRow, SheetError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let r = self.read();
        self.failed = r.is_err();
        r.transpose()
    }
}

/// Line breaks in `s`: CRLF, LF and a lone CR each count once, as spreadsheet programs see them.
fn line_breaks(s: &[u8]) -> usize {
    s.iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\r' || (b == b'\n' && (i == 0 || s.get(i - 1) != Some(&b'\r'))))
        .count()
}

/// UTF-8 (BOM or not) when valid, otherwise GB18030 (a superset of GBK, what Excel on a Chinese
/// Windows saves). A UTF-16 BOM is honoured too. The text may not be longer than the decompressed
/// limit (UTF-16 and GBK grow when decoded).
fn decode_text<'a>(bytes: &'a [u8], limits: &UploadLimits) -> Result<Cow<'a, str>, SheetError> {
    let text = if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) =
            encoding.decode_without_bom_handling(bytes.get(bom_len..).unwrap_or_default());
        if had_errors {
            return Err(SheetError::Unreadable(format!(
                "invalid {} text",
                encoding.name()
            )));
        }
        text
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        // Plain UTF-8, the usual case, is read where it lies: no copy of the file.
        Cow::Borrowed(text)
    } else {
        let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
        if had_errors {
            return Err(SheetError::Unreadable(
                "the text is neither UTF-8 nor GBK".into(),
            ));
        }
        text
    };
    if text.len() as u64 > limits.max_decompressed_bytes {
        return Err(SheetError::TooLarge(Exceeded::DecompressedBytes(
            limits.max_decompressed_bytes,
        )));
    }
    // NUL never appears in a text CSV; it means some binary file was uploaded.
    if text.contains('\0') {
        return Err(SheetError::Unreadable("not a CSV text file".into()));
    }
    Ok(text)
}

fn read_xlsx(bytes: &[u8], limits: &UploadLimits) -> Result<Vec<RawRow>, SheetError> {
    // What the archive inflates to is checked before calamine opens it: calamine would inflate a
    // zip bomb's sheet (or its shared strings) without bound.
    upload_limits::check_zip(Cursor::new(bytes), limits).map_err(|e| match e {
        ArchiveError::Exceeded(x) => SheetError::TooLarge(x),
        ArchiveError::Unreadable(s) => SheetError::Unreadable(s),
    })?;
    let unreadable = |e: calamine::XlsxError| SheetError::Unreadable(e.to_string());
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let first = workbook
        .sheets_metadata()
        .iter()
        .find(|s| s.typ == SheetType::WorkSheet)
        .map(|s| s.name.clone())
        .ok_or_else(|| SheetError::Unreadable("the workbook has no worksheet".into()))?;

    // Cells are streamed rather than loaded as a range: a range spans from the first to the
    // last used cell, so two far-apart cells would make it allocate the whole grid.
    let mut cells_reader = workbook
        .worksheet_cells_reader(&first)
        .map_err(unreadable)?;
    let mut by_row: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
    while let Some(cell) = cells_reader.next_cell().map_err(unreadable)? {
        let (row, col) = cell.get_position();
        let text = clean_cell(&cell_text(cell.get_value()));
        if text.is_empty() {
            continue;
        }
        if col as usize >= limits.max_columns {
            return Err(SheetError::TooLarge(Exceeded::Columns(limits.max_columns)));
        }
        by_row.entry(row).or_default().push((col, text));
        // The header is one of the rows.
        if by_row.len() > limits.max_rows.saturating_add(1) {
            return Err(SheetError::TooLarge(Exceeded::Rows(limits.max_rows)));
        }
    }

    Ok(by_row
        .into_iter()
        .map(|(row, cells)| {
            let width = cells
                .iter()
                .map(|(c, _)| *c as usize + 1)
                .max()
                .unwrap_or(0);
            let mut line = vec![String::new(); width];
            for (col, text) in cells {
                if let Some(slot) = line.get_mut(col as usize) {
                    *slot = text;
                }
            }
            RawRow {
                row: row as usize + 1,
                cells: line,
            }
        })
        .collect())
}

fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        // Dates are not member fields; the serial number at least keeps the cell visible.
        DataRef::DateTime(d) => number_text(d.as_f64()),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::Error(e) => e.to_string(),
    }
}

/// Excel stores a typed-in mobile or employee number as a float: 13800138000 must not come out
/// as "13800138000.0" or "1.38e10".
fn number_text(f: f64) -> String {
    // Below 2^53 every integer is exact in an f64, so the conversion loses nothing.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if f.fract() == 0.0 && f.abs() < EXACT {
        (f as i64).to_string()
    } else {
        // Rust's float Display never uses an exponent.
        f.to_string()
    }
}

/// A problem with one cell of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub row: usize,
    /// Stable snake_case field key, see `Field::key`.
    pub field: String,
    /// Why, from the closed table: required, too_long, format, duplicate_in_file, …
    pub reason: FieldReason,
}

/// A row that passed every check, normalised and ready for the database layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportRecord {
    pub row: usize,
    pub name: String,
    pub userid: String,
    pub employee_no: Option<String>,
    /// Mainland numbers as 11 digits, others as `+<digits>`.
    pub mobile: Option<String>,
    /// Lower-cased.
    pub email: Option<String>,
    /// Each department as its path of names from the top; the first is the main department.
    pub department_paths: Vec<Vec<String>>,
    pub position: String,
    /// "0" unknown, "1" male, "2" female.
    pub gender: String,
    /// A userid.
    pub leader: Option<String>,
    pub tags: Vec<String>,
    pub alias: String,
    pub telephone: String,
}

const REQUIRED: FieldReason = FieldReason::Required;
const TOO_LONG: FieldReason = FieldReason::TooLong;
const FORMAT: FieldReason = FieldReason::Format;
const DUPLICATE_IN_FILE: FieldReason = FieldReason::DuplicateInFile;

/// Limits in characters, as WeCom applies them.
const EMPLOYEE_NO_MAX: usize = 64;
const DEPARTMENT_NAME_MAX: usize = 64;
const POSITION_MAX: usize = 128;
const TAG_MAX: usize = 32;
const ALIAS_MAX: usize = 64;
const TELEPHONE_MAX: usize = 32;

/// Checks every row on its own and against the rows above it (in-file duplicates). A row with
/// any error yields no record; all of its errors are reported.
pub fn validate_rows(rows: Vec<SheetRow>) -> (Vec<ImportRecord>, Vec<RowError>) {
    let mut v = RowValidator::default();
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for r in rows {
        match v.check(r) {
            Ok(rec) => records.push(rec),
            Err(mut e) => errors.append(&mut e),
        }
    }
    (records, errors)
}

/// Checks rows one at a time, remembering what it has seen for the in-file duplicate checks.
#[derive(Default)]
pub struct RowValidator {
    // Values seen so far. Every well-formed value is remembered, even from a rejected row:
    // the file is ambiguous either way, and the later row is the one to point at.
    seen_userids: HashSet<String>,
    seen_mobiles: HashSet<String>,
    seen_emails: HashSet<String>,
}

impl RowValidator {
    /// The row as a record, or all of its errors.
    pub fn check(&mut self, r: SheetRow) -> Result<ImportRecord, Vec<RowError>> {
        let (seen_userids, seen_mobiles, seen_emails) = (
            &mut self.seen_userids,
            &mut self.seen_mobiles,
            &mut self.seen_emails,
        );
        {
            let mut row_errors = Vec::new();
            let mut fail = |field: Field, reason: FieldReason| {
                row_errors.push(RowError {
                    row: r.row,
                    field: field.key().to_string(),
                    reason,
                });
            };

            let name = r.get(Field::Name);
            if let Err(reason) = fields::person_name(name) {
                fail(Field::Name, reason);
            }

            let userid = r.get(Field::Userid);
            if let Err(reason) = fields::userid(userid) {
                fail(Field::Userid, reason);
            } else if !seen_userids.insert(userid.to_ascii_lowercase()) {
                // WeCom treats userids case-insensitively when checking uniqueness.
                fail(Field::Userid, DUPLICATE_IN_FILE);
            }

            let employee_no = optional(r.get(Field::EmployeeNo));
            if employee_no.is_some_and(|e| e.chars().count() > EMPLOYEE_NO_MAX) {
                fail(Field::EmployeeNo, TOO_LONG);
            }

            let mobile = match fields::mobile(r.get(Field::Mobile)) {
                Err(reason) => {
                    fail(Field::Mobile, reason);
                    None
                }
                Ok(m) => {
                    if m.as_ref().is_some_and(|m| !seen_mobiles.insert(m.clone())) {
                        fail(Field::Mobile, DUPLICATE_IN_FILE);
                    }
                    m
                }
            };

            let email = match fields::email(r.get(Field::Email)) {
                Err(reason) => {
                    fail(Field::Email, reason);
                    None
                }
                Ok(e) => {
                    if e.as_ref().is_some_and(|e| !seen_emails.insert(e.clone())) {
                        fail(Field::Email, DUPLICATE_IN_FILE);
                    }
                    e
                }
            };

            let department_paths = match parse_departments(r.get(Field::Departments)) {
                Ok(paths) => paths,
                Err(reason) => {
                    fail(Field::Departments, reason);
                    Vec::new()
                }
            };

            let position = r.get(Field::Position);
            if position.chars().count() > POSITION_MAX {
                fail(Field::Position, TOO_LONG);
            }

            let gender = fields::gender(r.get(Field::Gender))
                .map_err(|reason| fail(Field::Gender, reason))
                .ok();

            let leader = optional(r.get(Field::Leader));
            if leader.is_some_and(|l| fields::userid(l).is_err()) {
                fail(Field::Leader, FORMAT);
            }

            let tags = split_list(r.get(Field::Tags));
            if tags.iter().any(|t| t.chars().count() > TAG_MAX) {
                fail(Field::Tags, TOO_LONG);
            }

            let alias = r.get(Field::Alias);
            if alias.chars().count() > ALIAS_MAX {
                fail(Field::Alias, TOO_LONG);
            }
            let telephone = r.get(Field::Telephone);
            if telephone.chars().count() > TELEPHONE_MAX {
                fail(Field::Telephone, TOO_LONG);
            }

            if !row_errors.is_empty() {
                return Err(row_errors);
            }
            Ok(ImportRecord {
                row: r.row,
                name: name.to_string(),
                userid: userid.to_string(),
                employee_no: employee_no.map(str::to_string),
                mobile,
                email,
                department_paths,
                position: position.to_string(),
                gender: gender.unwrap_or_else(|| "0".into()),
                leader: leader.map(str::to_string),
                tags,
                alias: alias.to_string(),
                telephone: telephone.to_string(),
            })
        }
    }
}

fn optional(cell: &str) -> Option<&str> {
    (!cell.is_empty()).then_some(cell)
}

/// `总公司/研发部;总公司/产品部` → two paths. Empty entries (a trailing `;`) are skipped and
/// repeats dropped; an empty level inside a path (`总公司//研发部`) is a format error.
fn parse_departments(raw: &str) -> Result<Vec<Vec<String>>, FieldReason> {
    let mut paths: Vec<Vec<String>> = Vec::new();
    let mut too_long = false;
    for entry in raw
        .split([';', '；', ',', '，'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let path: Vec<String> = entry
            .split(['/', '／'])
            .map(|c| c.trim().to_string())
            .collect();
        if path.iter().any(String::is_empty) {
            return Err(FORMAT);
        }
        too_long |= path.iter().any(|c| c.chars().count() > DEPARTMENT_NAME_MAX);
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    if too_long {
        Err(TOO_LONG)
    } else if paths.is_empty() {
        Err(REQUIRED)
    } else {
        Ok(paths)
    }
}

/// Tags: `;`, `；`, `,` or `，` separated, trimmed, empty ones and repeats dropped.
fn split_list(raw: &str) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    for item in raw
        .split([';', '；', ',', '，'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if !items.iter().any(|t| t == item) {
            items.push(item.to_string());
        }
    }
    items
}

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

fn starts_dangerous(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Formula-injection defence for exported cells: a value starting with `=`, `+`, `-`, `@`, tab
/// or carriage return gets a leading `'`, so a spreadsheet shows it as text instead of running
/// it. This also catches international mobiles like `+8613800138000`; that is expected, and the
/// import strips the apostrophe again. A value that already starts with apostrophes before such
/// a character gets one more, so the import's stripping gives back exactly the original.
pub fn neutralise(cell: &str) -> String {
    let guarded = cell.starts_with('\'') && starts_dangerous(cell.trim_start_matches('\''));
    if starts_dangerous(cell) || guarded {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn row(r: usize, cells: &[(Field, &str)]) -> SheetRow {
        SheetRow {
            row: r,
            cells: cells.iter().map(|(f, v)| (*f, (*v).to_string())).collect(),
        }
    }

    /// A row that passes every check, with `overrides` applied.
    fn valid(r: usize, userid: &str, overrides: &[(Field, &str)]) -> SheetRow {
        let mut s = row(
            r,
            &[
                (Field::Name, "张三"),
                (Field::Userid, userid),
                (Field::Departments, "总公司"),
            ],
        );
        for (f, v) in overrides {
            s.cells.insert(*f, (*v).to_string());
        }
        s
    }

    fn errors_of(rows: Vec<SheetRow>) -> Vec<(usize, String, String)> {
        validate_rows(rows)
            .1
            .into_iter()
            .map(|e| (e.row, e.field, e.reason.code().to_owned()))
            .collect()
    }

    fn one_error(overrides: &[(Field, &str)]) -> Vec<(String, String)> {
        errors_of(vec![valid(2, "zhangsan", overrides)])
            .into_iter()
            .map(|(_, f, r)| (f, r))
            .collect()
    }

    fn err(field: &str, reason: &str) -> Vec<(String, String)> {
        vec![(field.to_string(), reason.to_string())]
    }

    fn parse(filename: &str, bytes: &[u8]) -> Result<Vec<SheetRow>, SheetError> {
        parse_import(filename, bytes, &UploadLimits::default())
    }

    fn record(overrides: &[(Field, &str)]) -> ImportRecord {
        let (records, errors) = validate_rows(vec![valid(2, "zhangsan", overrides)]);
        assert_eq!(errors, vec![]);
        records.into_iter().next().unwrap()
    }

    const CHINESE_CSV: &str = "姓名,帐号,手机,邮箱,部门,性别\r\n张三,zhangsan,13800138000,ZS@Example.com,总公司/研发部,男\r\n李四,lisi,,,\"总公司/产品部;总公司/研发部\",女\r\n";

    #[test]
    fn utf8_csv() {
        let rows = parse("members.csv", CHINESE_CSV.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row, 2);
        assert_eq!(rows[0].get(Field::Name), "张三");
        assert_eq!(rows[0].get(Field::Userid), "zhangsan");
        assert_eq!(rows[0].get(Field::Mobile), "13800138000");
        assert_eq!(rows[0].get(Field::Gender), "男");
        assert_eq!(rows[1].row, 3);
        assert_eq!(
            rows[1].get(Field::Departments),
            "总公司/产品部;总公司/研发部"
        );
        assert_eq!(rows[1].get(Field::Mobile), "");
        // No such column in the file.
        assert!(!rows[0].cells.contains_key(&Field::Tags));
    }

    #[test]
    fn utf8_bom_csv() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(CHINESE_CSV.as_bytes());
        let rows = parse("members.csv", &bytes).unwrap();
        // The BOM must not stick to the first header.
        assert_eq!(rows[0].get(Field::Name), "张三");
        assert_eq!(rows.len(), 2);
    }

    #[test]
    fn gbk_csv() {
        let (bytes, _, had_errors) = encoding_rs::GBK.encode(CHINESE_CSV);
        assert!(!had_errors);
        assert!(
            std::str::from_utf8(&bytes).is_err(),
            "the test file must really be GBK"
        );
        let rows = parse("导出.csv", &bytes).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get(Field::Name), "张三");
        assert_eq!(rows[1].get(Field::Name), "李四");
        assert_eq!(rows[0].get(Field::Departments), "总公司/研发部");
    }

    #[test]
    fn csv_lf_quotes_blank_lines_and_row_numbers() {
        let text = "\n姓名,帐号,部门,职务\n\n  王五 , wangwu ,总公司,\"经理, 华东\"\n,,,\n赵六,zhaoliu,总公司,\"两行\n职务\"\n钱七,qianqi,总公司,x\n";
        let rows = parse("m.csv", text.as_bytes()).unwrap();
        let summary: Vec<(usize, &str, &str)> = rows
            .iter()
            .map(|r| (r.row, r.get(Field::Name), r.get(Field::Position)))
            .collect();
        assert_eq!(
            summary,
            vec![
                (4, "王五", "经理, 华东"),
                (6, "赵六", "两行\n职务"),
                (7, "钱七", "x")
            ],
        );
        assert_eq!(rows[0].get(Field::Userid), "wangwu");

        let crlf = "姓名,帐号\r\n\r\n甲,a\r\n\"多\r\n行\",b\r\n\r\n乙,c";
        let rows = parse("m.csv", crlf.as_bytes()).unwrap();
        let summary: Vec<(usize, &str)> =
            rows.iter().map(|r| (r.row, r.get(Field::Userid))).collect();
        assert_eq!(summary, vec![(3, "a"), (4, "b"), (6, "c")]);
        assert_eq!(rows[1].get(Field::Name), "多\r\n行");
    }

    #[test]
    fn xlsx_with_numeric_cells() {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        // A title row above the header, as some templates have.
        sheet.write_string(0, 0, "成员导入模板").unwrap();
        for (col, h) in (0u16..).zip(["姓名", "账号", "手机", "工号", "部门", "备注"]) {
            sheet.write_string(1, col, h).unwrap();
        }
        sheet.write_string(2, 0, " 张三 ").unwrap();
        sheet.write_string(2, 1, "zhangsan").unwrap();
        sheet.write_number(2, 2, 13800138000.0).unwrap();
        sheet.write_number(2, 3, 1001.0).unwrap();
        sheet.write_string(2, 4, "总公司/研发部").unwrap();
        // Row 4 is empty; row 5 has only a remark, nothing to import.
        sheet.write_string(4, 5, "备注而已").unwrap();
        sheet.write_string(5, 0, "李四").unwrap();
        sheet.write_string(5, 1, "lisi").unwrap();
        sheet.write_number(5, 3, 12.5).unwrap();
        let bytes = workbook.save_to_buffer().unwrap();

        // Detected by magic, whatever the name says.
        let rows = parse("upload", &bytes).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row, 3);
        assert_eq!(rows[0].get(Field::Name), "张三");
        assert_eq!(rows[0].get(Field::Mobile), "13800138000");
        assert_eq!(rows[0].get(Field::EmployeeNo), "1001");
        assert_eq!(rows[1].row, 6);
        assert_eq!(rows[1].get(Field::EmployeeNo), "12.5");
        assert_eq!(rows[1].get(Field::Mobile), "");
        let (records, errors) = validate_rows(rows);
        assert_eq!(records[0].mobile.as_deref(), Some("13800138000"));
        assert_eq!(
            errors,
            vec![RowError {
                row: 6,
                field: "departments".into(),
                reason: FieldReason::Required
            }]
        );
    }

    #[test]
    fn number_text_never_shows_fraction_or_exponent() {
        assert_eq!(number_text(13800138000.0), "13800138000");
        assert_eq!(number_text(8613800138000.0), "8613800138000");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(number_text(0.25), "0.25");
        assert_eq!(number_text(1e20), "100000000000000000000");
    }

    #[test]
    fn header_aliases() {
        let cases: &[(&str, Field)] = &[
            ("姓名", Field::Name),
            (" Name ", Field::Name),
            ("*姓名", Field::Name),
            ("帐号", Field::Userid),
            ("账号", Field::Userid),
            ("UserID", Field::Userid),
            ("userid", Field::Userid),
            ("成员ID", Field::Userid),
            ("Account", Field::Userid),
            ("工号", Field::EmployeeNo),
            ("员工编号", Field::EmployeeNo),
            ("employee_no", Field::EmployeeNo),
            ("Employee No", Field::EmployeeNo),
            ("手机", Field::Mobile),
            ("手机号", Field::Mobile),
            ("手机号码", Field::Mobile),
            ("手机（选填）", Field::Mobile),
            ("MOBILE", Field::Mobile),
            ("邮箱", Field::Email),
            ("电子邮箱", Field::Email),
            ("企业邮箱", Field::Email),
            ("Email", Field::Email),
            ("部门", Field::Departments),
            ("所在部门", Field::Departments),
            ("department", Field::Departments),
            ("Departments", Field::Departments),
            ("部门(多个用;分隔)", Field::Departments),
            ("职务", Field::Position),
            ("职位", Field::Position),
            ("position", Field::Position),
            ("性别", Field::Gender),
            ("gender", Field::Gender),
            ("直属上级", Field::Leader),
            ("上级", Field::Leader),
            ("leader", Field::Leader),
            ("标签", Field::Tags),
            ("tags", Field::Tags),
            ("别名", Field::Alias),
            ("alias", Field::Alias),
            ("座机", Field::Telephone),
            ("电话", Field::Telephone),
            ("telephone", Field::Telephone),
        ];
        for (header, field) in cases {
            assert_eq!(Field::from_header(header), Some(*field), "{header}");
        }
        for unknown in ["状态", "备注", "", "(姓名)", "nickname"] {
            assert_eq!(Field::from_header(unknown), None, "{unknown}");
        }

        // Mixed headers in one file; unknown columns are ignored and the first duplicate wins.
        let text = "Name,ACCOUNT,备注,Mobile,mobile,所在部门\nA,a1,x,13800138000,13900139000,D\n";
        let rows = parse("m.csv", text.as_bytes()).unwrap();
        assert_eq!(rows[0].cells.len(), 4);
        assert_eq!(rows[0].get(Field::Userid), "a1");
        assert_eq!(rows[0].get(Field::Mobile), "13800138000");
        assert_eq!(rows[0].get(Field::Departments), "D");
    }

    #[test]
    fn missing_columns() {
        let missing = Err(SheetError::MissingColumns(vec![
            "name".into(),
            "userid".into(),
        ]));
        assert_eq!(
            parse("m.csv", "手机,部门\n13800138000,总公司\n".as_bytes()),
            missing
        );
        assert_eq!(parse("m.csv", b""), missing);
        assert_eq!(parse("m.csv", b"\r\n,,\r\n"), missing);
        // Either one is enough to read the file; validation then reports the other per row.
        let rows = parse("m.csv", "姓名,部门\n张三,总公司\n".as_bytes()).unwrap();
        assert_eq!(
            errors_of(rows),
            vec![(2, "userid".into(), "required".into())]
        );
        // A header-only file is fine and empty.
        assert_eq!(parse("m.csv", "帐号\n".as_bytes()), Ok(vec![]));
    }

    #[test]
    fn unreadable_files() {
        let broken_zip = b"PK\x03\x04this is not really a workbook";
        assert!(matches!(
            parse("m.csv", broken_zip),
            Err(SheetError::Unreadable(_))
        ));
        assert!(matches!(
            parse("m.xlsx", "姓名\n张三\n".as_bytes()),
            Err(SheetError::Unreadable(_))
        ));
        let mut ole = OLE_MAGIC.to_vec();
        ole.extend_from_slice(&[0; 64]);
        assert!(matches!(
            parse("m.xls", &ole),
            Err(SheetError::Unreadable(_))
        ));
        assert!(matches!(
            parse("m.csv", b"name\x00\x01\x02"),
            Err(SheetError::Unreadable(_))
        ));
    }

    fn limits(rows: usize, columns: usize, bytes: u64) -> UploadLimits {
        UploadLimits {
            max_rows: rows,
            max_columns: columns,
            max_decompressed_bytes: bytes,
        }
    }

    #[test]
    fn too_many_rows() {
        let limits = limits(50, 200, 1 << 20);
        let mut text = String::from("姓名,帐号\n");
        for i in 0..50 {
            text.push_str(&format!("n,u{i}\n"));
        }
        assert_eq!(
            parse_import("m.csv", text.as_bytes(), &limits).map(|r| r.len()),
            Ok(50)
        );
        text.push_str("n,last\n");
        assert_eq!(
            parse_import("m.csv", text.as_bytes(), &limits),
            Err(SheetError::TooLarge(Exceeded::Rows(50)))
        );
        // Streaming stops at the row over the limit, with the error as the last item.
        let items: Vec<_> = import_rows("m.csv", text.as_bytes(), &limits)
            .unwrap()
            .collect();
        assert_eq!(items.len(), 51);
        assert!(items[49].is_ok());
        assert_eq!(items[50], Err(SheetError::TooLarge(Exceeded::Rows(50))));
    }

    #[test]
    fn too_many_columns() {
        let limits = limits(100, 5, 1 << 20);
        // Trailing empty cells are no columns.
        let ok = "姓名,帐号,,,,,,,,,\n张三,zs,,,,,,,,,,,,,,\n";
        assert_eq!(
            parse_import("m.csv", ok.as_bytes(), &limits).map(|r| r.len()),
            Ok(1)
        );
        let wide = "姓名,帐号\n张三,zs,,,,x\n";
        assert_eq!(
            parse_import("m.csv", wide.as_bytes(), &limits),
            Err(SheetError::TooLarge(Exceeded::Columns(5)))
        );
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "姓名").unwrap();
        sheet.write_string(1, 5, "far").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        assert_eq!(
            parse_import("m.xlsx", &bytes, &limits),
            Err(SheetError::TooLarge(Exceeded::Columns(5)))
        );
        assert_eq!(
            read_table("m.xlsx", &bytes, &limits).map(|t| t.len()),
            Err(SheetError::TooLarge(Exceeded::Columns(5)))
        );
    }

    #[test]
    fn decompressed_size_is_capped() {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "姓名").unwrap();
        for r in 1..2000 {
            sheet.write_string(r, 0, "张三张三张三张三").unwrap();
        }
        let bytes = workbook.save_to_buffer().unwrap();
        assert!(parse_import("m.xlsx", &bytes, &limits(10_000, 200, 1 << 20)).is_ok());
        assert_eq!(
            parse_import("m.xlsx", &bytes, &limits(10_000, 200, 20_000)),
            Err(SheetError::TooLarge(Exceeded::DecompressedBytes(20_000)))
        );
        // A CSV's decoded text counts too.
        assert_eq!(
            parse_import("m.csv", "姓名\n张三\n".as_bytes(), &limits(10, 10, 8)),
            Err(SheetError::TooLarge(Exceeded::DecompressedBytes(8)))
        );
    }

    /// Fuzz target: any bytes as a CSV upload. Never panics, and what comes back keeps to the
    /// limits, in row order. Longer runs: see docs/security.md ("Upload parsers").
    #[test]
    fn fuzz_csv_reader() {
        let limits = limits(50, 20, 64 * 1024);
        bolero::check!(name = "sheet_csv")
            .with_test_time(std::time::Duration::from_secs(2))
            .for_each(|input: &[u8]| {
                if let Ok(rows) = parse_import("m.csv", input, &limits) {
                    assert!(rows.len() <= 50);
                    assert!(rows.windows(2).all(|w| w[0].row < w[1].row));
                    let _ = validate_rows(rows);
                }
                if let Ok(table) = read_table("m.csv", input, &limits) {
                    assert!(table.len() <= 51);
                    assert!(table.iter().all(|(_, cells)| cells.len() <= 20));
                }
            });
    }

    /// Generated cells (row, column, text) and byte changes (offset, xor mask).
    type CellsAndDamage = (Vec<(u8, u8, String)>, Vec<(u16, u8)>);

    /// Fuzz target: workbooks built from generated cells, read back whole and then with some of
    /// their bytes changed (zip structure, sizes, XML). Never panics; an intact workbook reads.
    #[test]
    fn fuzz_xlsx_reader() {
        let limits = limits(50, 20, 1 << 20);
        bolero::check!(name = "sheet_xlsx")
            .with_type::<CellsAndDamage>()
            .with_test_time(std::time::Duration::from_secs(3))
            .for_each(|(cells, damage): &CellsAndDamage| {
                let mut workbook = Workbook::new();
                let sheet = workbook.add_worksheet();
                let _ = sheet.write_string(0, 0, "姓名");
                for (r, c, text) in cells.iter().take(100) {
                    let _ = sheet.write_string(1 + u32::from(*r % 40), u16::from(*c % 20), text);
                }
                let Ok(mut bytes) = workbook.save_to_buffer() else {
                    return;
                };
                assert!(read_table("m.xlsx", &bytes, &limits).is_ok());
                let _ = parse_import("m.xlsx", &bytes, &limits);
                let len = bytes.len();
                for (at, x) in damage.iter().take(16) {
                    if let Some(b) = bytes.get_mut(usize::from(*at) % len) {
                        *b ^= *x;
                    }
                }
                let _ = parse_import("m.xlsx", &bytes, &limits);
                let _ = read_table("m.xlsx", &bytes, &limits);
            });
    }

    #[test]
    fn name_rules() {
        assert_eq!(one_error(&[(Field::Name, "")]), err("name", "required"));
        assert_eq!(
            one_error(&[(Field::Name, &"名".repeat(65))]),
            err("name", "too_long")
        );
        assert_eq!(
            record(&[(Field::Name, &"名".repeat(64))])
                .name
                .chars()
                .count(),
            64
        );
    }

    #[test]
    fn userid_rules() {
        assert_eq!(one_error(&[(Field::Userid, "")]), err("userid", "required"));
        for bad in ["_abc", ".abc", "-abc", "@abc", "ab c", "张三", "a#b"] {
            assert_eq!(
                one_error(&[(Field::Userid, bad)]),
                err("userid", "format"),
                "{bad}"
            );
        }
        assert_eq!(
            one_error(&[(Field::Userid, &"a".repeat(65))]),
            err("userid", "too_long")
        );
        for good in ["a", "Zhang.San_01-x@corp", "9lives", &"a".repeat(64)] {
            assert_eq!(record(&[(Field::Userid, good)]).userid, good);
        }
        // No userid column at all.
        let no_column = row(2, &[(Field::Name, "张三"), (Field::Departments, "总公司")]);
        assert_eq!(
            errors_of(vec![no_column]),
            vec![(2, "userid".into(), "required".into())]
        );
    }

    #[test]
    fn mobile_rules() {
        let normalised = |m: &str| record(&[(Field::Mobile, m)]).mobile;
        assert_eq!(normalised("13800138000").as_deref(), Some("13800138000"));
        assert_eq!(
            normalised("+86 138-0013-8000").as_deref(),
            Some("13800138000")
        );
        assert_eq!(normalised("+8613800138000").as_deref(), Some("13800138000"));
        assert_eq!(
            normalised("0086 13800138000").as_deref(),
            Some("13800138000")
        );
        assert_eq!(
            normalised("１３８００１３８０００").as_deref(),
            Some("13800138000")
        );
        assert_eq!(
            normalised("+1 415-555-0100").as_deref(),
            Some("+14155550100")
        );
        assert_eq!(
            normalised("+852 9123 4567").as_deref(),
            Some("+85291234567")
        );
        assert_eq!(normalised("").as_deref(), None);
        for bad in [
            "12800138000",
            "1380013800",
            "138001380001",
            "+86 12345678",
            "+12345",
            "+1234567890123456",
            "+0123456789",
            "138-0013-800a",
            "+",
            "tel:13800138000",
        ] {
            assert_eq!(
                one_error(&[(Field::Mobile, bad)]),
                err("mobile", "format"),
                "{bad}"
            );
        }
    }

    #[test]
    fn email_rules() {
        assert_eq!(
            record(&[(Field::Email, "Zhang.San@Example.COM")])
                .email
                .as_deref(),
            Some("zhang.san@example.com")
        );
        assert_eq!(record(&[(Field::Email, "")]).email, None);
        let long = format!("{}@example.com", "a".repeat(117));
        assert_eq!(long.len(), 129);
        for bad in [
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@@b.com",
            "a@b@c.com",
            "a b@c.com",
            "a@.com",
            "a@b.",
            "a@b..com",
            &long,
        ] {
            assert_eq!(
                one_error(&[(Field::Email, bad)]),
                err("email", "format"),
                "{bad}"
            );
        }
    }

    #[test]
    fn department_rules() {
        let paths = |d: &str| record(&[(Field::Departments, d)]).department_paths;
        let p = |parts: &[&str]| parts.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert_eq!(paths("总公司 / 研发部"), vec![p(&["总公司", "研发部"])]);
        assert_eq!(
            paths("总公司/研发部;总公司／产品部；分公司,总公司/研发部,"),
            vec![
                p(&["总公司", "研发部"]),
                p(&["总公司", "产品部"]),
                p(&["分公司"])
            ],
        );
        assert_eq!(
            one_error(&[(Field::Departments, "")]),
            err("departments", "required")
        );
        assert_eq!(
            one_error(&[(Field::Departments, ";")]),
            err("departments", "required")
        );
        for bad in ["总公司//研发部", "/总公司", "总公司/", "总公司/ /研发部"] {
            assert_eq!(
                one_error(&[(Field::Departments, bad)]),
                err("departments", "format"),
                "{bad}"
            );
        }
        let long = format!("总公司/{}", "部".repeat(65));
        assert_eq!(
            one_error(&[(Field::Departments, &long)]),
            err("departments", "too_long")
        );
        assert_eq!(
            paths(&format!("总公司/{}", "部".repeat(64)))[0][1]
                .chars()
                .count(),
            64
        );
    }

    #[test]
    fn gender_rules() {
        for (input, expected) in [
            ("男", "1"),
            ("male", "1"),
            ("Male", "1"),
            ("M", "1"),
            ("m", "1"),
            ("1", "1"),
            ("女", "2"),
            ("female", "2"),
            ("F", "2"),
            ("2", "2"),
            ("", "0"),
            ("未知", "0"),
            ("0", "0"),
        ] {
            assert_eq!(
                record(&[(Field::Gender, input)]).gender,
                expected,
                "{input}"
            );
        }
        for bad in ["3", "man", "男性", "x"] {
            assert_eq!(
                one_error(&[(Field::Gender, bad)]),
                err("gender", "format"),
                "{bad}"
            );
        }
    }

    #[test]
    fn tag_leader_and_other_rules() {
        assert_eq!(
            record(&[(Field::Tags, " 骨干 ;新人；骨干, ,核心")]).tags,
            vec!["骨干", "新人", "核心"]
        );
        assert_eq!(record(&[(Field::Tags, "")]).tags, Vec::<String>::new());
        assert_eq!(record(&[(Field::Tags, &"标".repeat(32))]).tags.len(), 1);
        assert_eq!(
            one_error(&[(Field::Tags, &format!("ok;{}", "标".repeat(33)))]),
            err("tags", "too_long")
        );

        assert_eq!(
            record(&[(Field::EmployeeNo, "E001")])
                .employee_no
                .as_deref(),
            Some("E001")
        );
        assert_eq!(record(&[(Field::EmployeeNo, "")]).employee_no, None);
        assert_eq!(
            one_error(&[(Field::EmployeeNo, &"1".repeat(65))]),
            err("employee_no", "too_long")
        );

        assert_eq!(
            record(&[(Field::Leader, "boss")]).leader.as_deref(),
            Some("boss")
        );
        assert_eq!(record(&[(Field::Leader, "")]).leader, None);
        assert_eq!(
            one_error(&[(Field::Leader, "老板")]),
            err("leader", "format")
        );

        assert_eq!(
            one_error(&[(Field::Position, &"职".repeat(129))]),
            err("position", "too_long")
        );
        assert_eq!(
            one_error(&[(Field::Alias, &"别".repeat(65))]),
            err("alias", "too_long")
        );
        assert_eq!(
            one_error(&[(Field::Telephone, &"1".repeat(33))]),
            err("telephone", "too_long")
        );

        let full = record(&[
            (Field::Position, "工程师"),
            (Field::Alias, "小张"),
            (Field::Telephone, "010-12345678"),
        ]);
        assert_eq!(
            (
                full.position.as_str(),
                full.alias.as_str(),
                full.telephone.as_str()
            ),
            ("工程师", "小张", "010-12345678")
        );
        assert_eq!(full.row, 2);
    }

    #[test]
    fn several_errors_in_one_row_are_all_reported() {
        let bad = row(
            7,
            &[
                (Field::Name, ""),
                (Field::Userid, "-x"),
                (Field::Mobile, "123"),
                (Field::Email, "nope"),
                (Field::Gender, "?"),
            ],
        );
        let (records, errors) = validate_rows(vec![bad, valid(8, "ok", &[])]);
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].row, 8);
        let got: Vec<(usize, &str, &str)> = errors
            .iter()
            .map(|e| (e.row, e.field.as_str(), e.reason.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (7, "name", "required"),
                (7, "userid", "format"),
                (7, "mobile", "format"),
                (7, "email", "format"),
                (7, "departments", "required"),
                (7, "gender", "format"),
            ],
        );
    }

    #[test]
    fn duplicates_in_file() {
        let rows = vec![
            valid(
                2,
                "zhangsan",
                &[(Field::Mobile, "13800138000"), (Field::Email, "a@x.com")],
            ),
            valid(3, "lisi", &[(Field::Mobile, "+86 138 0013 8000")]),
            valid(4, "ZhangSan", &[(Field::Email, "A@X.com")]),
            valid(5, "wangwu", &[(Field::Mobile, "13900139000")]),
        ];
        let (records, errors) = validate_rows(rows);
        assert_eq!(
            records.iter().map(|r| r.row).collect::<Vec<_>>(),
            vec![2, 5]
        );
        let got: Vec<(usize, &str, &str)> = errors
            .iter()
            .map(|e| (e.row, e.field.as_str(), e.reason.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (3, "mobile", "duplicate_in_file"),
                (4, "userid", "duplicate_in_file"),
                (4, "email", "duplicate_in_file")
            ],
        );

        // A value from a row rejected for something else still counts as taken.
        let rows = vec![valid(2, "a", &[(Field::Gender, "?")]), valid(3, "a", &[])];
        assert_eq!(
            errors_of(rows),
            vec![
                (2, "gender".into(), "format".into()),
                (3, "userid".into(), "duplicate_in_file".into())
            ],
        );
    }

    #[test]
    fn neutralise_each_dangerous_prefix() {
        for (input, expected) in [
            ("=1+1", "'=1+1"),
            ("+8613800138000", "'+8613800138000"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'=x", "''=x"),
            ("normal", "normal"),
            ("'quoted", "'quoted"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(neutralise(input), expected, "{input:?}");
            // And the import side gives the value back.
            assert_eq!(clean_cell(&neutralise(input)), input.trim(), "{input:?}");
        }
    }

    fn dangerous_row() -> ExportRow {
        ExportRow {
            name: "=HYPERLINK(\"http://x\")".into(),
            userid: "u1".into(),
            employee_no: "-1".into(),
            mobile: "+8613800138000".into(),
            email: "@evil.com".into(),
            departments: "\tdept".into(),
            position: "\rpos".into(),
            ..ExportRow::default()
        }
    }

    #[test]
    fn export_csv_is_bom_chinese_header_and_neutralised() {
        let bytes = export_csv(&[dangerous_row()]);
        let text = std::str::from_utf8(&bytes).unwrap();
        let mut lines = text.split("\r\n");
        assert_eq!(
            lines.next(),
            Some("\u{feff}姓名,帐号,工号,手机,邮箱,部门,职务,性别,直属上级,标签,状态")
        );
        assert_eq!(
            lines.next(),
            Some(
                "\"'=HYPERLINK(\"\"http://x\"\")\",u1,'-1,'+8613800138000,'@evil.com,'\tdept,\"'\rpos\",,,,"
            ),
        );
        assert_eq!(lines.next(), Some(""));
        assert_eq!(lines.next(), None);
    }

    #[test]
    fn export_xlsx_is_neutralised_strings() {
        let bytes = export_xlsx(&[dangerous_row()]).unwrap();
        let mut workbook = Xlsx::new(Cursor::new(bytes)).unwrap();
        assert_eq!(workbook.sheet_names(), vec!["成员".to_string()]);
        let range = workbook.worksheet_range("成员").unwrap();
        let header: Vec<String> = range
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(header, EXPORT_HEADER);
        let cells = range.rows().nth(1).unwrap();
        let expected = [
            "'=HYPERLINK(\"http://x\")",
            "u1",
            "'-1",
            "'+8613800138000",
            "'@evil.com",
            "'\tdept",
            "'\rpos",
        ];
        for (cell, want) in cells.iter().zip(expected) {
            assert_eq!(*cell, calamine::Data::String(want.to_string()));
        }
    }

    fn sample_members() -> Vec<ExportRow> {
        vec![
            ExportRow {
                name: "张三".into(),
                userid: "zhangsan".into(),
                employee_no: "001".into(),
                mobile: "13800138000".into(),
                email: "zs@example.com".into(),
                departments: "总公司/研发部;总公司/产品部".into(),
                position: "工程师, 高级".into(),
                gender: "男".into(),
                leader: "boss".into(),
                tags: "骨干;新人".into(),
                status: "已激活".into(),
            },
            ExportRow {
                name: "John \"JJ\" Smith".into(),
                userid: "john.smith".into(),
                mobile: "+14155550100".into(),
                departments: "总公司".into(),
                gender: "".into(),
                status: "已禁用".into(),
                ..ExportRow::default()
            },
            ExportRow {
                name: "-减号开头".into(),
                userid: "minus".into(),
                mobile: "+8613900139000".into(),
                departments: "总公司/=部门".into(),
                gender: "女".into(),
                ..ExportRow::default()
            },
        ]
    }

    fn assert_round_trip(rows: Vec<SheetRow>) {
        let members = sample_members();
        assert_eq!(rows.len(), members.len());
        for (i, (got, want)) in rows.iter().zip(&members).enumerate() {
            assert_eq!(got.row, i + 2);
            assert_eq!(got.get(Field::Name), want.name);
            assert_eq!(got.get(Field::Userid), want.userid);
            assert_eq!(got.get(Field::EmployeeNo), want.employee_no);
            assert_eq!(got.get(Field::Mobile), want.mobile);
            assert_eq!(got.get(Field::Email), want.email);
            assert_eq!(got.get(Field::Departments), want.departments);
            assert_eq!(got.get(Field::Position), want.position);
            assert_eq!(got.get(Field::Gender), want.gender);
            assert_eq!(got.get(Field::Leader), want.leader);
            assert_eq!(got.get(Field::Tags), want.tags);
        }
        let (records, errors) = validate_rows(rows);
        assert_eq!(errors, vec![]);
        assert_eq!(records[0].department_paths.len(), 2);
        assert_eq!(records[0].gender, "1");
        assert_eq!(records[1].mobile.as_deref(), Some("+14155550100"));
        assert_eq!(records[2].mobile.as_deref(), Some("13900139000"));
        assert_eq!(records[2].gender, "2");
    }

    #[test]
    fn csv_round_trip() {
        let bytes = export_csv(&sample_members());
        assert_round_trip(parse("export.csv", &bytes).unwrap());
    }

    #[test]
    fn xlsx_round_trip() {
        let bytes = export_xlsx(&sample_members()).unwrap();
        assert_round_trip(parse("export.xlsx", &bytes).unwrap());
    }
}
