//! XLSX import files: the first worksheet, read after the archive is checked against the limits.
use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{DataRef, Reader, SheetType, Xlsx};

use qixie_kernel::upload_limits::{self, ArchiveError, Exceeded, UploadLimits};

use super::SheetError;
use super::cells::clean_cell;
use super::columns::RawRow;

pub(super) fn read_xlsx(bytes: &[u8], limits: &UploadLimits) -> Result<Vec<RawRow>, SheetError> {
    // calamine panics on some damaged workbooks (an index out of range in its cell reader, found by
    // the fuzz test); a damaged upload is a file we cannot read, not a failed request.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_cells(bytes, limits)))
        .unwrap_or_else(|_| Err(SheetError::Unreadable("the workbook is damaged".into())))
}

fn read_cells(bytes: &[u8], limits: &UploadLimits) -> Result<Vec<RawRow>, SheetError> {
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
pub(super) fn number_text(f: f64) -> String {
    // Below 2^53 every integer is exact in an f64, so the conversion loses nothing.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if f.fract() == 0.0 && f.abs() < EXACT {
        (f as i64).to_string()
    } else {
        // Rust's float Display never uses an exponent.
        f.to_string()
    }
}
