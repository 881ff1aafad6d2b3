//! Opening an import file: CSV or XLSX by its bytes, the header found, the rows mapped to columns.
use std::collections::HashMap;

use qixie_kernel::upload_limits::UploadLimits;

use super::SheetError;
use super::columns::{Field, RawRow, SheetRow};
use super::csv::CsvRows;
use super::xlsx::read_xlsx;

/// How many leading non-empty rows may be looked at to find the header. Some templates put a
/// title or filling instructions above it.
const HEADER_SEARCH_ROWS: usize = 10;

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// OLE compound file: legacy `.xls`, and also how Excel wraps password-protected workbooks.
pub(super) const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

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
