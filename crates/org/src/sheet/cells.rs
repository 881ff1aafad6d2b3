//! A cell's text both ways: guarded against formulas on export, unguarded again on import.

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

/// Trims a cell and undoes `neutralise`, so an exported `'+8613800138000` comes back as
/// `+8613800138000`. An apostrophe before anything else is data and stays.
pub(super) fn clean_cell(raw: &str) -> String {
    let t = raw.trim();
    match t.strip_prefix('\'') {
        Some(rest) if starts_dangerous(rest.trim_start_matches('\'')) => rest.trim().to_string(),
        _ => t.to_string(),
    }
}
