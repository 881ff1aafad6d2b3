//! How much an uploaded file may make a parser read and hold: the decompressed size of an archive
//! (XLSX is a zip), the rows and the columns of a table. Every parser of uploaded files takes its
//! caps from here, so one setting bounds them all.
//!
//! Settings (environment, or the `[upload_limits]` table of the configuration file):
//! `QIXIE_UPLOAD_MAX_DECOMPRESSED_BYTES` (default 100 MiB), `QIXIE_UPLOAD_MAX_ROWS` (200,000),
//! `QIXIE_UPLOAD_MAX_COLUMNS` (200).
use std::io::{Read, Seek};

use serde::Deserialize;

use super::error::{AppError, ErrorKind, Hint};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UploadLimits {
    /// Bytes an archive may expand to, all entries together; also the most text a CSV may decode to.
    pub max_decompressed_bytes: u64,
    /// Data rows a table may hold (its header excluded).
    pub max_rows: usize,
    /// Columns a row may have.
    pub max_columns: usize,
}

/// Entries an archive may have: a workbook has a dozen; thousands only cost time to walk.
pub const MAX_ARCHIVE_ENTRIES: usize = 1000;

impl Default for UploadLimits {
    fn default() -> Self {
        UploadLimits {
            max_decompressed_bytes: 100 * 1024 * 1024,
            max_rows: 200_000,
            max_columns: 200,
        }
    }
}

/// Which cap a file went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    /// The decompressed content (or decoded text) is larger than this many bytes.
    DecompressedBytes(u64),
    Rows(usize),
    Columns(usize),
    /// The archive has more entries than this.
    Entries(usize),
}

impl std::fmt::Display for Exceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exceeded::DecompressedBytes(n) => write!(f, "decompressed content over {n} bytes"),
            Exceeded::Rows(n) => write!(f, "more than {n} data rows"),
            Exceeded::Columns(n) => write!(f, "more than {n} columns"),
            Exceeded::Entries(n) => write!(f, "more than {n} archive entries"),
        }
    }
}

impl Exceeded {
    /// The client's error: which limit, in words and as data.
    pub fn to_error(self) -> AppError {
        let (limit, max, zh, en) = match self {
            Exceeded::DecompressedBytes(n) => (
                "max_decompressed_bytes",
                n,
                format!("解压后的内容超过 {} 的上限", size_words(n)),
                format!(
                    "its decompressed content is over the {} limit",
                    size_words(n)
                ),
            ),
            Exceeded::Rows(n) => (
                "max_rows",
                n as u64,
                format!("数据行数超过 {n} 行的上限"),
                format!("it has more than the limit of {n} data rows"),
            ),
            Exceeded::Columns(n) => (
                "max_columns",
                n as u64,
                format!("列数超过 {n} 列的上限"),
                format!("it has more than the limit of {n} columns"),
            ),
            Exceeded::Entries(n) => (
                "max_archive_entries",
                n as u64,
                format!("压缩包内的文件数超过 {n} 个的上限"),
                format!("its archive has more than the limit of {n} entries"),
            ),
        };
        AppError::new(ErrorKind::UploadTooLarge).with_hint(Hint {
            zh,
            en,
            data: serde_json::json!({ "limit": limit, "max": max }),
        })
    }
}

/// `104857600` → `100 MiB`; sizes that are not whole MiB stay in bytes.
fn size_words(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else {
        format!("{n} bytes")
    }
}

/// Why a zip archive was not accepted.
#[derive(Debug)]
pub enum ArchiveError {
    Exceeded(Exceeded),
    Unreadable(String),
}

/// Walks a zip archive before any parser sees it: each entry's declared size, the sum of them, and
/// then the bytes each entry really inflates to (read and thrown away, never held), all against
/// `max_decompressed_bytes`. A parser that reads the archive afterwards cannot get more than that
/// out of it: inflating is deterministic.
pub fn check_zip<R: Read + Seek>(reader: R, limits: &UploadLimits) -> Result<(), ArchiveError> {
    let cap = limits.max_decompressed_bytes;
    let too_big = || ArchiveError::Exceeded(Exceeded::DecompressedBytes(cap));
    let mut archive =
        zip::ZipArchive::new(reader).map_err(|e| ArchiveError::Unreadable(e.to_string()))?;
    if archive.len() > MAX_ARCHIVE_ENTRIES {
        return Err(ArchiveError::Exceeded(Exceeded::Entries(
            MAX_ARCHIVE_ENTRIES,
        )));
    }
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| ArchiveError::Unreadable(e.to_string()))?;
        declared = declared.saturating_add(entry.size());
        if entry.size() > cap || declared > cap {
            return Err(too_big());
        }
    }
    // Declared sizes can lie: count what each entry really inflates to.
    let mut actual: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| ArchiveError::Unreadable(e.to_string()))?;
        loop {
            let n = match entry.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ArchiveError::Unreadable(e.to_string())),
            };
            actual = actual.saturating_add(n as u64);
            if actual > cap {
                return Err(too_big());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use super::*;

    fn zip_of(entries: &[(&str, &[u8], usize)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, chunk, times) in entries {
            w.start_file(*name, opts).unwrap();
            for _ in 0..*times {
                w.write_all(chunk).unwrap();
            }
        }
        w.finish().unwrap().into_inner()
    }

    fn limits(bytes: u64) -> UploadLimits {
        UploadLimits {
            max_decompressed_bytes: bytes,
            ..UploadLimits::default()
        }
    }

    #[test]
    fn zip_sizes_are_counted_per_entry_and_in_total() {
        let z = zip_of(&[("a", &[b'x'; 1000], 10), ("b", &[b'y'; 1000], 10)]);
        assert!(check_zip(Cursor::new(&z), &limits(20_000)).is_ok());
        // Each entry fits, the two together do not.
        assert!(matches!(
            check_zip(Cursor::new(&z), &limits(15_000)),
            Err(ArchiveError::Exceeded(Exceeded::DecompressedBytes(15_000)))
        ));
        // One entry alone is too big.
        assert!(matches!(
            check_zip(Cursor::new(&z), &limits(9_999)),
            Err(ArchiveError::Exceeded(Exceeded::DecompressedBytes(_)))
        ));
        assert!(matches!(
            check_zip(Cursor::new(b"PK\x03\x04 not a zip"), &limits(1000)),
            Err(ArchiveError::Unreadable(_))
        ));
    }

    #[test]
    fn a_lying_declared_size_is_caught_while_inflating() {
        let mut z = zip_of(&[("a", &[b'x'; 1000], 100)]);
        // Declare 10 bytes in the central directory (and the local header): the real 100,000 are
        // still counted as they inflate.
        let patch = |z: &mut Vec<u8>, sig: &[u8], offset: usize| {
            let at = z.windows(4).position(|w| w == sig).unwrap();
            z[at + offset..at + offset + 4].copy_from_slice(&10u32.to_le_bytes());
        };
        patch(&mut z, b"PK\x01\x02", 24);
        patch(&mut z, b"PK\x03\x04", 22);
        let got = check_zip(Cursor::new(&z), &limits(50_000));
        assert!(
            matches!(
                got,
                Err(ArchiveError::Exceeded(Exceeded::DecompressedBytes(_)))
                    | Err(ArchiveError::Unreadable(_))
            ),
            "{got:?}"
        );
    }

    #[test]
    fn the_error_names_the_limit() {
        let e = Exceeded::DecompressedBytes(100 * 1024 * 1024).to_error();
        assert_eq!(e.kind, ErrorKind::UploadTooLarge);
        let hint = e.hint.unwrap();
        assert!(hint.zh.contains("100 MiB"), "{}", hint.zh);
        assert!(hint.en.contains("100 MiB"), "{}", hint.en);
        assert_eq!(hint.data["limit"], "max_decompressed_bytes");
        let e = Exceeded::Columns(200).to_error();
        assert!(e.hint.unwrap().en.contains("200 columns"));
    }
}
