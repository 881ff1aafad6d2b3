//! Calendar days as the module stores and speaks them: `yyyymmdd` integers in the tables,
//! `"YYYY-MM-DD"` in the API, months as `"YYYY-MM"`. A day is always a date on the enterprise's
//! calendar (its zone), never a UTC midnight.
use jiff::civil::Date;

/// The stored form of a day: 2026-12-08 is 20261208.
pub fn key(d: Date) -> i64 {
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

/// The day a stored key names; None for a key that is not a date.
pub fn from_key(key: i64) -> Option<Date> {
    let year = i16::try_from(key / 10_000).ok()?;
    let month = i8::try_from(key / 100 % 100).ok()?;
    let day = i8::try_from(key % 100).ok()?;
    Date::new(year, month, day).ok()
}

/// `"YYYY-MM-DD"`; None for anything else (including impossible dates).
pub fn parse(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year: i16 = s[..4].parse().ok()?;
    let month: i8 = s[5..7].parse().ok()?;
    let day: i8 = s[8..].parse().ok()?;
    Date::new(year, month, day).ok()
}

pub fn format(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// The first and last day of `"YYYY-MM"`; None for anything else.
pub fn parse_month(s: &str) -> Option<(Date, Date)> {
    let b = s.as_bytes();
    if b.len() != 7 || b[4] != b'-' {
        return None;
    }
    let year: i16 = s[..4].parse().ok()?;
    let month: i8 = s[5..].parse().ok()?;
    let first = Date::new(year, month, 1).ok()?;
    Some((first, first.last_of_month()))
}

pub fn format_month(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// Every day from `from` to `to`, both included.
pub fn days(from: Date, to: Date) -> impl Iterator<Item = Date> {
    let mut next = Some(from);
    std::iter::from_fn(move || {
        let d = next.filter(|d| *d <= to)?;
        next = d.tomorrow().ok();
        Some(d)
    })
}

/// Days since 1970-01-01 on the calendar, as `kernel::time::Zone` counts them.
pub fn epoch_day(d: Date) -> i64 {
    Date::constant(1970, 1, 1)
        .until(d)
        .map(|span| i64::from(span.get_days()))
        .unwrap_or_default()
}

/// The day `epoch_day` counts.
pub fn from_epoch_day(n: i64) -> Date {
    Date::constant(1970, 1, 1)
        .checked_add(jiff::Span::new().days(n))
        .unwrap_or(Date::constant(1970, 1, 1))
}

/// ISO weekday: 1 Monday … 7 Sunday.
pub fn weekday(d: Date) -> u8 {
    d.weekday().to_monday_one_offset() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_through_keys_and_text() {
        let d = Date::constant(2026, 12, 8);
        assert_eq!(key(d), 20261208);
        assert_eq!(from_key(20261208), Some(d));
        assert_eq!(from_key(20260230), None);
        assert_eq!(parse("2026-12-08"), Some(d));
        assert_eq!(parse("2026-02-30"), None);
        assert_eq!(parse("2026-1-8"), None);
        assert_eq!(format(d), "2026-12-08");
        assert_eq!(
            parse_month("2026-02"),
            Some((Date::constant(2026, 2, 1), Date::constant(2026, 2, 28)))
        );
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(weekday(d), 2);
        assert_eq!(from_epoch_day(epoch_day(d)), d);
        assert_eq!(epoch_day(Date::constant(1970, 1, 2)), 1);
        assert_eq!(
            days(Date::constant(2026, 12, 30), Date::constant(2027, 1, 2)).count(),
            4
        );
    }
}
