//! Pure rules of leave amounts: the statutory annual leave (《职工带薪年休假条例》 and
//! 《企业职工带薪年休假实施办法》), units, and the lot arithmetic a balance is made of.
use jiff::civil::Date;

/// How a type's amounts are counted and shown. Amounts are stored in minutes; a day is the type's
/// day length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Day,
    /// Days taken by halves (shown in days).
    HalfDay,
    Hour,
}

impl Unit {
    pub fn parse(s: &str) -> Option<Unit> {
        match s {
            "day" => Some(Unit::Day),
            "half_day" => Some(Unit::HalfDay),
            "hour" => Some(Unit::Hour),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Unit::Day => "day",
            Unit::HalfDay => "half_day",
            Unit::Hour => "hour",
        }
    }
    /// Minutes in one shown unit: a day of the type, or an hour.
    pub fn minutes(self, day_minutes: i64) -> i64 {
        match self {
            Unit::Day | Unit::HalfDay => day_minutes,
            Unit::Hour => 60,
        }
    }
    /// WeCom's time_attr: 0 by day, 1 by hour.
    pub fn time_attr(self) -> i64 {
        match self {
            Unit::Day | Unit::HalfDay => 0,
            Unit::Hour => 1,
        }
    }
}

/// An amount in minutes as shown: in the unit, to one decimal.
pub fn shown(minutes: i64, unit: Unit, day_minutes: i64) -> f64 {
    let per = unit.minutes(day_minutes).max(1) as f64;
    (minutes as f64 / per * 10.0).round() / 10.0
}

/// A shown amount (at most one decimal) in minutes; None for more decimals or a value too large.
pub fn minutes_of(value: f64, unit: Unit, day_minutes: i64) -> Option<i64> {
    let tenths = value * 10.0;
    if !tenths.is_finite() || (tenths - tenths.round()).abs() > 1e-6 || tenths.abs() > 1e9 {
        return None;
    }
    Some((tenths.round() as i64 * unit.minutes(day_minutes) + 5 * tenths.signum() as i64) / 10)
}

/// Days of annual leave a year of work entitles to: under 1 full year none, then 5, from 10 years
/// 10, from 20 years 15 (条例 第三条).
pub fn annual_days_for_years(years: i64) -> i64 {
    match years {
        ..1 => 0,
        1..10 => 5,
        10..20 => 10,
        _ => 15,
    }
}

/// Whole years from `from` to `on` (an anniversary completes a year).
pub fn full_years(from: Date, on: Date) -> i64 {
    if on < from {
        return 0;
    }
    let years = i64::from(on.year()) - i64::from(from.year());
    match anniversary_in(from, on.year()) {
        Ok(a) if a > on => years - 1,
        _ => years,
    }
}

/// The annual leave of `year`, in days, for a member who started work on `work_started` and joined
/// the enterprise on `joined`. The entitlement of each day of the year is that of the cumulative
/// years of work completed by that day; the days of the year before joining earn nothing. The
/// year's leave is the sum over its days of entitlement ÷ 365, fractions of a day dropped
/// (实施办法 第五条: "当年度在本单位剩余日历天数 ÷ 365 × 全年应当享受的年休假天数"). So a member who joins
/// mid-year, or completes their first year (or their 10th, 20th) mid-year, gets the pro-rated share
/// of each part; a whole year at one entitlement gives exactly it (a leap year's extra day does not
/// add a day).
pub fn annual_days(year: i16, joined: Date, work_started: Date) -> i64 {
    let Ok(first) = Date::new(year, 1, 1) else {
        return 0;
    };
    let Ok(last) = Date::new(year, 12, 31) else {
        return 0;
    };
    if joined > last {
        return 0;
    }
    let start = joined.max(first);
    // At most one anniversary of starting work falls in a year: the entitlement changes there.
    let mut segments: Vec<(Date, Date)> = vec![(start, last)];
    if let Ok(anniversary) = anniversary_in(work_started, year)
        && anniversary > start
        && anniversary <= last
    {
        let before = anniversary.yesterday().unwrap_or(anniversary);
        segments = vec![(start, before), (anniversary, last)];
    }
    let mut day_units = 0; // Σ days × entitlement
    for (a, b) in segments {
        let days = i64::from(a.until(b).map(|s| s.get_days()).unwrap_or(0)) + 1;
        day_units += days * annual_days_for_years(full_years(work_started, a));
    }
    let full = annual_days_for_years(full_years(work_started, last));
    (day_units / 365).min(full)
}

/// The anniversary of `d` in `year` (28 February for 29 February in a common year).
fn anniversary_in(d: Date, year: i16) -> Result<Date, jiff::Error> {
    Date::new(year, d.month(), d.day()).or_else(|_| Date::new(year, d.month(), 28))
}

/// The last day of the month `months` after January of `year` begins, counting January as 1:
/// (2027, 3) is 2027-03-31. Months beyond December run into the next years.
pub fn end_of_month(year: i16, months: i64) -> Option<Date> {
    let m = months.max(1) - 1;
    let y = i64::from(year) + m / 12;
    let month = (m % 12 + 1) as i8;
    Date::new(i16::try_from(y).ok()?, month, 1)
        .ok()
        .map(|d| d.last_of_month())
}

/// `months` after `day` (the same day of the month, or the month's last day).
pub fn months_after(day: Date, months: i64) -> Option<Date> {
    day.checked_add(jiff::Span::new().months(months)).ok()
}

/// A lot of a balance as the arithmetic needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Lot {
    pub id: i64,
    pub amount: i64,
    pub used: i64,
    /// 0: no end.
    pub expires_on: i64,
}

impl Lot {
    pub fn left(&self) -> i64 {
        self.amount - self.used
    }
}

/// How `amount` is taken from open lots: the soonest to end first (those without an end last),
/// each up to what it has left. The remainder (more than the lots hold) is returned apart.
pub fn take(lots: &[Lot], amount: i64) -> (Vec<(i64, i64)>, i64) {
    let mut order: Vec<&Lot> = lots.iter().filter(|l| l.left() > 0).collect();
    order.sort_by_key(|l| (l.expires_on == 0, l.expires_on, l.id));
    let mut need = amount;
    let mut out = Vec::new();
    for l in order {
        if need <= 0 {
            break;
        }
        let t = l.left().min(need);
        out.push((l.id, t));
        need -= t;
    }
    (out, need.max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn annual_leave_follows_the_national_rule() {
        // (year, joined, started work, days)
        let table = [
            // A whole year at one entitlement.
            (2026, "2015-03-01", "2015-03-01", 10),
            (2026, "2020-01-01", "2010-06-01", 10), // 15 years of work at the start of 2026
            (2026, "2020-01-01", "2000-06-01", 15),
            (2026, "2024-01-01", "2023-01-01", 5),
            // Under a year of work all year: none.
            (2026, "2026-01-01", "2026-01-01", 0),
            // Joined this year with 5 years of work elsewhere: (remaining days ÷ 365) × 5.
            (2026, "2026-07-01", "2021-01-01", 2), // 184/365×5 = 2.52
            (2026, "2026-03-15", "2014-05-01", 8), // 292/365×10, the 12th year begins on 1 May
            (2026, "2026-12-31", "2000-01-01", 0), // 1/365×15 = 0.04
            (2026, "2026-10-01", "2005-01-01", 3), // 92/365×15 = 3.78
            // First year of work completed mid-year: the rest of the year at 5 days.
            (2026, "2025-07-01", "2025-07-01", 2), // 184/365×5
            // Crossing 10 years on 1 July: 181 days at 5, 184 at 10 → (905 + 1840) / 365 = 7.5.
            (2026, "2016-07-01", "2016-07-01", 7),
            // Crossing 20 years on 1 April: 90 at 10, 275 at 15 → (900 + 4125) / 365 = 13.8.
            (2026, "2010-01-01", "2006-04-01", 13),
            // A leap year at one entitlement still gives the whole entitlement, not one more.
            (2028, "2015-01-01", "2015-01-01", 10),
            // Joining after the year: nothing.
            (2026, "2027-01-04", "2000-01-01", 0),
            // Work started on 29 February: the anniversary in a common year is 28 February.
            (2025, "2024-03-01", "2024-02-29", 4), // 58 days at 0, 307 at 5 → 4.2
        ];
        for (year, joined, started, days) in table {
            assert_eq!(
                annual_days(year, d(joined), d(started)),
                days,
                "{year} joined {joined} started {started}"
            );
        }
    }

    #[test]
    fn entitlement_steps_at_one_ten_and_twenty_years() {
        let steps: Vec<i64> = [0, 1, 9, 10, 19, 20, 40]
            .iter()
            .map(|y| annual_days_for_years(*y))
            .collect();
        assert_eq!(steps, vec![0, 5, 5, 10, 10, 15, 15]);
        assert_eq!(full_years(d("2016-07-01"), d("2026-06-30")), 9);
        assert_eq!(full_years(d("2016-07-01"), d("2026-07-01")), 10);
        assert_eq!(full_years(d("2026-07-01"), d("2026-01-01")), 0);
    }

    #[test]
    fn amounts_convert_between_units_and_minutes() {
        assert_eq!(minutes_of(2.5, Unit::Day, 480), Some(1200));
        assert_eq!(minutes_of(0.1, Unit::Day, 480), Some(48));
        assert_eq!(minutes_of(-1.5, Unit::Hour, 480), Some(-90));
        assert_eq!(minutes_of(1.25, Unit::Day, 480), None);
        assert_eq!(minutes_of(f64::NAN, Unit::Day, 480), None);
        assert_eq!(shown(1200, Unit::Day, 480), 2.5);
        assert_eq!(shown(1200, Unit::HalfDay, 480), 2.5);
        assert_eq!(shown(90, Unit::Hour, 480), 1.5);
        assert_eq!(shown(100, Unit::Day, 450), 0.2);
        assert_eq!(Unit::Hour.time_attr(), 1);
    }

    #[test]
    fn lots_are_taken_soonest_ending_first() {
        let lots = vec![
            Lot {
                id: 1,
                amount: 480,
                used: 0,
                expires_on: 0,
            },
            Lot {
                id: 2,
                amount: 960,
                used: 480,
                expires_on: 20261231,
            },
            Lot {
                id: 3,
                amount: 240,
                used: 0,
                expires_on: 20270331,
            },
            Lot {
                id: 4,
                amount: 100,
                used: 100,
                expires_on: 20260101,
            },
        ];
        assert_eq!(take(&lots, 600), (vec![(2, 480), (3, 120)], 0));
        assert_eq!(take(&lots, 1300), (vec![(2, 480), (3, 240), (1, 480)], 100));
        assert_eq!(take(&lots, 0), (vec![], 0));
    }

    #[test]
    fn carry_over_and_comp_time_end_on_the_right_day() {
        assert_eq!(end_of_month(2027, 3), Some(d("2027-03-31")));
        assert_eq!(end_of_month(2028, 2), Some(d("2028-02-29")));
        assert_eq!(end_of_month(2027, 14), Some(d("2028-02-29")));
        assert_eq!(months_after(d("2026-08-31"), 6), Some(d("2027-02-28")));
    }
}
