//! Year-month dates: the engine's clock ticks once a month.

use std::fmt;

/// A calendar month, counted as `year * 12 + (month - 1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(pub i32);

impl Month {
    pub fn new(year: i32, month: u32) -> Self {
        Month(year * 12 + month as i32 - 1)
    }

    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }

    pub fn month(self) -> u32 {
        self.0.rem_euclid(12) as u32 + 1
    }

    /// Months from `earlier` to `self`.
    pub fn since(self, earlier: Month) -> i32 {
        self.0 - earlier.0
    }

    pub fn plus(self, months: i32) -> Month {
        Month(self.0 + months)
    }

    /// Parses `YYYY-MM` (month 01 to 12, year 1 to 9999).
    pub fn parse(s: &str) -> Option<Month> {
        parse_year_month(s).map(|(y, m)| Month::new(y, m))
    }
}

/// Splits `YYYY-MM` into its parts, or `None` if it is not such a date.
pub fn parse_year_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    (y >= 1 && (1..=12).contains(&m)).then_some((y, m))
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_counts_months() {
        let m = Month::parse("1950-06").unwrap();
        assert_eq!(m.to_string(), "1950-06");
        assert_eq!(Month::parse("1953-07").unwrap().since(m), 37);
        assert_eq!(m.plus(7).to_string(), "1951-01");
    }

    #[test]
    fn rejects_malformed_dates() {
        for bad in ["1950-13", "1950-00", "1950-6", "50-06", "1950/06", "1950-06-01", ""] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }
}
