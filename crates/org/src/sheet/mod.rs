//! Member spreadsheets: reading an import file (CSV or XLSX), checking its rows, and writing
//! the member export. Pure functions over bytes in memory: no database, no file system.
//!
//! Import takes what HR systems and WeCom's own template produce: UTF-8 or GBK CSV, or the first
//! worksheet of an XLSX, with Chinese or English headers. Validation knows nothing about the
//! database; it only reports per-row problems with stable `field` / `reason` keys, so the caller
//! can add its own checks (existing userids, unknown leaders, ...) in the same vocabulary.

pub mod cells;
mod columns;
mod csv;
mod export;
mod read;
#[cfg(test)]
mod tests;
mod validate;
mod xlsx;

pub use cells::neutralise;
pub use columns::{Field, SheetRow};
pub use export::{EXPORT_HEADER, ExportRow, export_csv, export_xlsx};
pub use read::{SheetRows, import_rows, parse_import, read_table};
pub use validate::{ImportRecord, RowError, RowValidator, validate_rows};

use qixie_kernel::error::{AppError, ErrorKind};
use qixie_kernel::upload_limits::Exceeded;

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
