//! CSV import files: decoded (UTF-8, UTF-16 or GBK) and parsed one record at a time.
use std::borrow::Cow;
use std::io::Cursor;

use qixie_kernel::upload_limits::{Exceeded, UploadLimits};

use super::SheetError;
use super::cells::clean_cell;
use super::columns::RawRow;

/// A CSV file's non-empty rows, parsed one record at a time from its decoded text.
pub(super) struct CsvRows<'a> {
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
    pub(super) fn new(bytes: &'a [u8], limits: &UploadLimits) -> Result<CsvRows<'a>, SheetError> {
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
