//! A time of day as the API writes it, `"HH:MM"` (00:00–23:59).
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ToSchema)]
#[schema(value_type = String, example = "09:00")]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    /// A time written in the code (`hours` < 24, `minutes` < 60).
    pub const fn hm(hours: u16, minutes: u16) -> TimeOfDay {
        TimeOfDay((hours % 24) * 60 + minutes % 60)
    }
    pub fn new(minutes: i64) -> Option<TimeOfDay> {
        (0..1440)
            .contains(&minutes)
            .then_some(TimeOfDay(minutes as u16))
    }
    /// Minutes after midnight.
    pub fn minutes(self) -> i64 {
        i64::from(self.0)
    }
    pub fn parse(s: &str) -> Option<TimeOfDay> {
        let (h, m) = s.split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
        if h > 23 || m > 59 {
            return None;
        }
        TimeOfDay::new(h * 60 + m)
    }
}

impl std::fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TimeOfDay::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("expected HH:MM, got {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::TimeOfDay;

    #[test]
    fn times_read_and_write_as_hh_mm() {
        assert_eq!(TimeOfDay::parse("09:05").map(TimeOfDay::minutes), Some(545));
        assert_eq!(
            TimeOfDay::parse("23:59").map(|t| t.to_string()),
            Some("23:59".into())
        );
        for bad in ["24:00", "9:00", "09:60", "0900", ""] {
            assert_eq!(TimeOfDay::parse(bad), None, "{bad}");
        }
    }
}
