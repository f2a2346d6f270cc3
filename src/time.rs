//! The scenario's clock: its tick (a unit and a multiple, such as a month or
//! two hours), ISO 8601 dates at that precision, durations, and the mapping
//! of both to whole ticks since the start. Calendar arithmetic (proleptic
//! Gregorian, any year chrono can hold) is chrono's.

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, Timelike};
use std::fmt;

/// Longest timeline, in ticks (19 years of minutes, or 1100 years of hours).
pub const MAX_TICKS: i64 = 10_000_000;
/// Days in an average Gregorian month: how a month counts against a fixed tick.
pub const DAYS_PER_MONTH: f64 = 365.2425 / 12.0;

/// A unit of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unit {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl Unit {
    /// Reads a unit word: `day`, `days`, `d`, `2h`'s `h`, `month`, `mo`, ...
    pub fn parse(word: &str) -> Option<Unit> {
        Some(match word.trim().to_ascii_lowercase().as_str() {
            "min" | "mins" | "minute" | "minutes" => Unit::Minute,
            "h" | "hr" | "hrs" | "hour" | "hours" => Unit::Hour,
            "d" | "day" | "days" => Unit::Day,
            "w" | "wk" | "week" | "weeks" => Unit::Week,
            "mo" | "month" | "months" => Unit::Month,
            "y" | "yr" | "year" | "years" => Unit::Year,
            _ => return None,
        })
    }

    /// Seconds in one unit, for the units of fixed length.
    fn seconds(self) -> Option<i64> {
        match self {
            Unit::Minute => Some(60),
            Unit::Hour => Some(3600),
            Unit::Day => Some(86_400),
            Unit::Week => Some(604_800),
            Unit::Month | Unit::Year => None,
        }
    }

    /// Calendar months in one unit, for months and years.
    fn months(self) -> Option<i64> {
        match self {
            Unit::Month => Some(1),
            Unit::Year => Some(12),
            _ => None,
        }
    }

    /// The finest date a tick of this unit can name.
    pub fn precision(self) -> Precision {
        match self {
            Unit::Minute => Precision::Minute,
            Unit::Hour => Precision::Hour,
            Unit::Day | Unit::Week => Precision::Day,
            Unit::Month => Precision::Month,
            Unit::Year => Precision::Year,
        }
    }

    /// Length in seconds, months and years counted at their average.
    fn average_seconds(self) -> f64 {
        match self.seconds() {
            Some(s) => s as f64,
            None => self.months().unwrap_or(1) as f64 * DAYS_PER_MONTH * 86_400.0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Unit::Minute => "minute",
            Unit::Hour => "hour",
            Unit::Day => "day",
            Unit::Week => "week",
            Unit::Month => "month",
            Unit::Year => "year",
        }
    }
}

/// A whole number of units: a tick length, a delay, a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration {
    pub count: i64,
    pub unit: Unit,
}

impl Duration {
    pub const MONTH: Duration = Duration {
        count: 1,
        unit: Unit::Month,
    };

    /// Reads `7d`, `7 days`, `2h`, `1 month`, `month` (one), `36 hours`.
    pub fn parse(text: &str) -> Option<Duration> {
        let t = text.trim();
        let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let (count, unit) = t.split_at(digits);
        let count = if count.is_empty() { 1 } else { count.parse().ok()? };
        Some(Duration {
            count,
            unit: Unit::parse(unit)?,
        })
    }

    fn months(self) -> Option<i64> {
        self.unit.months().map(|m| m * self.count)
    }

    fn seconds(self) -> Option<i64> {
        self.unit.seconds().map(|s| s * self.count)
    }
}

impl Duration {
    /// What one step of this length is called: "month", "day", "2-hour step".
    pub fn step_name(self) -> String {
        if self.count == 1 {
            self.unit.name().to_string()
        } else {
            format!("{}-{} step", self.count, self.unit.name())
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = if self.count == 1 { "" } else { "s" };
        write!(f, "{} {}{s}", self.count, self.unit.name())
    }
}

/// How fine a written date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Precision {
    Year,
    Month,
    Day,
    Hour,
    Minute,
}

/// A date as written, with its precision: `1962`, `1962-10`, `1962-10-27`,
/// `1962-10-27T10`, `1962-10-27T10:30`. A leading `-` gives years before 1
/// (astronomical numbering: `-0489` is 490 BC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilDate {
    /// The first instant the date names.
    pub at: NaiveDateTime,
    pub precision: Precision,
}

impl CivilDate {
    pub fn parse(text: &str) -> Option<CivilDate> {
        let (neg, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (date, time) = match body.split_once('T') {
            Some((d, t)) => (d, Some(t)),
            None => (body, None),
        };
        let parts: Vec<&str> = date.split('-').collect();
        let number = |s: &str, len: usize| -> Option<u32> {
            (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        let year = i32::try_from(number(parts.first()?, 4)?).ok()?;
        let year = if neg { -year } else { year };
        let month = parts.get(1).map_or(Some(1), |m| number(m, 2))?;
        let day = parts.get(2).map_or(Some(1), |d| number(d, 2))?;
        if parts.len() > 3 || (time.is_some() && parts.len() < 3) {
            return None;
        }
        let (hour, minute, time_precision) = match time {
            None => (0, 0, None),
            Some(t) => match t.split_once(':') {
                Some((h, m)) => (number(h, 2)?, number(m, 2)?, Some(Precision::Minute)),
                None => (number(t, 2)?, 0, Some(Precision::Hour)),
            },
        };
        let precision = time_precision.unwrap_or(match parts.len() {
            1 => Precision::Year,
            2 => Precision::Month,
            _ => Precision::Day,
        });
        let at = NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(hour, minute, 0)?;
        Some(CivilDate { at, precision })
    }

    /// The first instant after the period the date names (for a horizon:
    /// `1953-12` runs to the end of December).
    fn end(self) -> Option<NaiveDateTime> {
        match self.precision {
            Precision::Year => self.at.checked_add_months(Months::new(12)),
            Precision::Month => self.at.checked_add_months(Months::new(1)),
            Precision::Day => self.at.checked_add_signed(chrono::Duration::days(1)),
            Precision::Hour => self.at.checked_add_signed(chrono::Duration::hours(1)),
            Precision::Minute => self.at.checked_add_signed(chrono::Duration::minutes(1)),
        }
    }
}

/// Why a date or duration does not fit the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeError {
    pub message: String,
    pub expected: String,
}

fn fail(message: impl Into<String>, expected: impl Into<String>) -> TimeError {
    TimeError {
        message: message.into(),
        expected: expected.into(),
    }
}

/// The scenario's clock: tick 0 is the first instant of `start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    pub tick: Duration,
    pub start: NaiveDateTime,
    /// The last tick simulated (the horizon's period is included whole).
    pub last: u32,
}

impl Clock {
    /// A clock from `start` to `horizon` in ticks of `tick`.
    pub fn new(tick: Duration, start: CivilDate, horizon: CivilDate) -> Result<Clock, (bool, TimeError)> {
        if tick.count < 1 || tick.count > 1000 {
            return Err((false, fail("tick length out of range", "a tick of 1 to 1000 units")));
        }
        let mut clock = Clock {
            tick,
            start: start.at,
            last: 0,
        };
        clock.fits(start).map_err(|e| (false, e))?;
        let end = horizon
            .end()
            .ok_or_else(|| (true, fail("the horizon is out of range", "a date chrono can hold")))?;
        if horizon.at < start.at {
            return Err((
                true,
                fail(
                    "the horizon is before the start",
                    format!("a date on or after {}", clock.format(0)),
                ),
            ));
        }
        let ticks = clock.ticks_until(end);
        if ticks > MAX_TICKS {
            return Err((
                true,
                fail(
                    "the timeline is too long",
                    format!("at most {MAX_TICKS} ticks of {} after the start", clock.tick),
                ),
            ));
        }
        clock.last = (ticks - 1).max(0) as u32;
        Ok(clock)
    }

    /// The usual clock of format-1 scenarios: whole months.
    pub fn months(start: CivilDate, horizon: CivilDate) -> Result<Clock, (bool, TimeError)> {
        Clock::new(Duration::MONTH, start, horizon)
    }

    /// Whole ticks from the start to `to`, rounded up (a tick that has begun counts).
    fn ticks_until(&self, to: NaiveDateTime) -> i64 {
        match (self.tick.months(), self.tick.seconds()) {
            (Some(m), _) => {
                let months = month_index(to) - month_index(self.start);
                let partial = to > add_months(self.start, months).unwrap_or(to);
                ceil_div(months + i64::from(partial), m)
            }
            (None, Some(s)) => ceil_div((to - self.start).num_seconds(), s),
            (None, None) => 0,
        }
    }

    /// Checks that a date is no finer than a tick and falls on one.
    fn fits(&self, d: CivilDate) -> Result<i64, TimeError> {
        let finest = self.tick.unit.precision();
        // A date names its first instant: `T10:00` is a whole hour,
        // `1962-10-01` a whole month, `1950-01` a whole year.
        let aligned = if d.at.minute() != 0 {
            Precision::Minute
        } else if d.at.hour() != 0 {
            Precision::Hour
        } else if d.at.day() != 1 {
            Precision::Day
        } else if d.at.month() != 1 {
            Precision::Month
        } else {
            Precision::Year
        };
        if aligned.min(d.precision) > finest {
            return Err(fail(
                format!("this date is finer than the scenario's tick ({})", self.tick),
                format!("a date at the tick's precision, such as \"{}\"", self.format(0)),
            ));
        }
        let exact = match (self.tick.months(), self.tick.seconds()) {
            (Some(m), _) => {
                let months = month_index(d.at) - month_index(self.start);
                (months.rem_euclid(m) == 0).then_some(months / m)
            }
            (None, Some(s)) => {
                let secs = (d.at - self.start).num_seconds();
                (secs.rem_euclid(s) == 0).then_some(secs / s)
            }
            (None, None) => None,
        };
        exact.ok_or_else(|| {
            fail(
                format!("this date falls between two ticks of {}", self.tick),
                format!("a date a whole number of ticks after {}", self.format(0)),
            )
        })
    }

    /// The tick of a date (negative before the start).
    pub fn tick_of(&self, d: CivilDate) -> Result<i64, TimeError> {
        self.fits(d)
    }

    /// Parses a date and gives its tick, which must lie within the timeline.
    pub fn tick_in_timeline(&self, text: &str) -> Result<u32, TimeError> {
        let d = CivilDate::parse(text).ok_or_else(|| self.malformed())?;
        let t = self.tick_of(d)?;
        if t < 0 || t > i64::from(self.last) {
            return Err(fail(
                "date outside the scenario's timeline",
                format!("a date from {} to {}", self.format(0), self.format(self.last)),
            ));
        }
        Ok(t as u32)
    }

    /// The error for text that is not a date; the example is the start.
    /// Parses a date and gives the last tick of the period it names (to the
    /// end of that day for `1962-10-28`), within the timeline.
    pub fn last_tick_in_timeline(&self, text: &str) -> Result<u32, TimeError> {
        let first = self.tick_in_timeline(text)?;
        let d = CivilDate::parse(text).ok_or_else(|| self.malformed())?;
        let end = d.end().map_or(i64::from(self.last), |e| self.ticks_until(e) - 1);
        Ok((end.clamp(i64::from(first), i64::from(self.last))) as u32)
    }

    pub fn malformed(&self) -> TimeError {
        fail("malformed date", format!("a date such as \"{}\"", self.format(0)))
    }

    /// The first instant of tick `t`.
    pub fn instant(&self, t: i64) -> NaiveDateTime {
        match (self.tick.months(), self.tick.seconds()) {
            (Some(m), _) => add_months(self.start, t * m).unwrap_or(self.start),
            (None, Some(s)) => self.start + chrono::Duration::seconds(t * s),
            (None, None) => self.start,
        }
    }

    /// Tick `t` as a date at the tick's precision.
    pub fn format(&self, t: u32) -> String {
        format_instant(self.instant(i64::from(t)), self.tick.unit.precision())
    }

    /// How many ticks one `unit` lasts (months at their average length
    /// against a tick of fixed length, and the other way round).
    pub fn ticks_per(&self, unit: Unit) -> f64 {
        match (unit.months(), self.tick.months()) {
            (Some(u), Some(t)) => u as f64 / t as f64,
            _ => unit.average_seconds() / (self.tick.unit.average_seconds() * self.tick.count as f64),
        }
    }

    /// The tick `d` after tick `t`, by the calendar (a month after 31 January
    /// is the last day of February), rounded up to a whole tick.
    pub fn after(&self, t: u32, d: Duration) -> i64 {
        let from = self.instant(i64::from(t));
        let to = match (d.months(), d.seconds()) {
            (Some(m), _) => add_months(from, m),
            (None, Some(s)) => from.checked_add_signed(chrono::Duration::seconds(s)),
            (None, None) => None,
        };
        match to {
            Some(to) => self.ticks_until(to),
            None => i64::MAX,
        }
    }

    /// A duration as a whole number of ticks, if it is one whatever the date.
    pub fn whole_ticks(&self, d: Duration) -> Option<u32> {
        let n = match (d.months(), self.tick.months(), d.seconds(), self.tick.seconds()) {
            (Some(a), Some(b), _, _) if a % b == 0 => a / b,
            (_, _, Some(a), Some(b)) if a % b == 0 => a / b,
            _ => return None,
        };
        u32::try_from(n).ok()
    }

    /// "month", "2 hours", "day": what one tick is, for outputs.
    pub fn tick_name(&self) -> String {
        if self.tick.count == 1 {
            self.tick.unit.name().to_string()
        } else {
            self.tick.to_string()
        }
    }
}

fn ceil_div(a: i64, b: i64) -> i64 {
    a.div_euclid(b) + i64::from(a.rem_euclid(b) != 0)
}

fn month_index(d: NaiveDateTime) -> i64 {
    i64::from(d.year()) * 12 + i64::from(d.month0())
}

fn add_months(d: NaiveDateTime, months: i64) -> Option<NaiveDateTime> {
    let n = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
    if months >= 0 {
        d.checked_add_months(n)
    } else {
        d.checked_sub_months(n)
    }
}

fn format_instant(d: NaiveDateTime, p: Precision) -> String {
    let year = if d.year() < 0 {
        format!("-{:04}", -d.year())
    } else {
        format!("{:04}", d.year())
    };
    match p {
        Precision::Year => year,
        Precision::Month => format!("{year}-{:02}", d.month()),
        Precision::Day => format!("{year}-{:02}-{:02}", d.month(), d.day()),
        Precision::Hour | Precision::Minute => {
            format!(
                "{year}-{:02}-{:02}T{:02}:{:02}",
                d.month(),
                d.day(),
                d.hour(),
                d.minute()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> CivilDate {
        CivilDate::parse(s).unwrap_or_else(|| panic!("{s}"))
    }

    fn clock(tick: &str, start: &str, horizon: &str) -> Clock {
        Clock::new(Duration::parse(tick).unwrap(), date(start), date(horizon)).unwrap()
    }

    #[test]
    fn dates_parse_at_every_precision_and_reject_nonsense() {
        assert_eq!(date("1962").precision, Precision::Year);
        assert_eq!(date("1962-10").precision, Precision::Month);
        assert_eq!(date("1962-10-27").precision, Precision::Day);
        assert_eq!(date("1962-10-27T10").precision, Precision::Hour);
        assert_eq!(date("1962-10-27T10:30").precision, Precision::Minute);
        assert_eq!(date("-0489-09").at.year(), -489);
        for bad in [
            "1950-13",
            "1950-00",
            "1950-6",
            "50-06",
            "1950/06",
            "1950-02-30",
            "1950-06-01T25",
            "1950-06T10",
            "",
            "1950-06-01-02",
        ] {
            assert_eq!(CivilDate::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_month_clock_counts_months_and_includes_the_horizon_month() {
        let c = clock("month", "1949-01", "1953-12");
        assert_eq!(c.last, 59);
        assert_eq!(c.tick_of(date("1950-06")), Ok(17));
        assert_eq!(c.format(17), "1950-06");
        let e = c.tick_of(date("1950-06-25")).unwrap_err();
        assert!(e.message.contains("finer than the scenario's tick"), "{e:?}");
    }

    #[test]
    fn a_two_hour_clock_spans_a_prelude_and_a_crisis() {
        let c = clock("2h", "1962-05", "1962-11-20");
        // May 1 to November 20 inclusive: 204 days of 12 ticks.
        assert_eq!(c.last, 204 * 12 - 1);
        assert_eq!(c.tick_of(date("1962-10-16T10:00")), Ok((168 * 12 + 5) as i64));
        assert_eq!(c.format(168 * 12 + 5), "1962-10-16T10:00");
        assert!(
            c.tick_of(date("1962-10-16T11:00"))
                .unwrap_err()
                .message
                .contains("between two ticks")
        );
        // A month is a calendar month from the date it starts.
        assert_eq!(c.after(0, Duration::MONTH), 31 * 12);
        assert_eq!(c.whole_ticks(Duration::parse("1 day").unwrap()), Some(12));
        assert_eq!(c.whole_ticks(Duration::parse("3h").unwrap()), None);
        assert_eq!(c.whole_ticks(Duration::MONTH), None);
        assert!((c.ticks_per(Unit::Day) - 12.0).abs() < 1e-12);
    }

    #[test]
    fn calendar_arithmetic_clamps_to_month_ends() {
        let c = clock("day", "2001-01-31", "2001-12-31");
        assert_eq!(c.format(c.after(0, Duration::MONTH) as u32), "2001-02-28");
        let y = clock("year", "1900", "1999");
        assert_eq!(y.last, 99);
        assert_eq!(y.tick_of(date("1950")), Ok(50));
        assert!(y.tick_of(date("1950-06")).is_err());
        // A date at the start of a year names the year.
        assert_eq!(y.tick_of(date("1950-01-01")), Ok(50));
        let d = clock("day", "2000-01-01", "2000-12-31");
        assert_eq!(d.last_tick_in_timeline("2000-02"), Ok(59));
        assert_eq!(d.last_tick_in_timeline("2000-02-03"), Ok(33));
    }

    #[test]
    fn durations_read_as_people_write_them() {
        for (text, count, unit) in [
            ("7d", 7, Unit::Day),
            ("7 days", 7, Unit::Day),
            ("2h", 2, Unit::Hour),
            ("1 month", 1, Unit::Month),
            ("month", 1, Unit::Month),
            ("3 weeks", 3, Unit::Week),
        ] {
            assert_eq!(Duration::parse(text), Some(Duration { count, unit }), "{text}");
        }
        for bad in ["", "7", "d7", "1.5d", "7 fortnights", "-2h"] {
            assert_eq!(Duration::parse(bad), None, "{bad}");
        }
        assert_eq!(Duration::parse("2h").unwrap().to_string(), "2 hours");
    }
}
