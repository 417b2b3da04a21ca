//! Where a usage row falls in a report: its day in the report's time zone, and whether that day
//! is inside the `--since`/`--until` range. Dates are `jiff` civil dates; no date arithmetic of
//! our own.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// The time zone days are counted in, with the name a human table shows.
#[derive(Debug, Clone)]
pub(crate) struct Zone {
    tz: TimeZone,
    name: String,
}

/// What `-z` accepts, for error messages.
const ZONE_FORM: &str = "an IANA time zone name (e.g. UTC, America/New_York, Asia/Tokyo; any \
                         case) or `local` for the system zone";

impl Zone {
    #[cfg(test)]
    pub(crate) fn utc() -> Zone {
        Zone {
            tz: TimeZone::UTC,
            name: "UTC".into(),
        }
    }

    /// The system zone (`TZ`, else `/etc/localtime`): ccusage's default. A zone that cannot be
    /// found behaves as UTC, as in ccusage.
    pub(crate) fn system() -> Zone {
        let tz = TimeZone::system();
        // A POSIX `TZ` rule (`PST8PDT,M3.2.0,M11.1.0`) has no IANA name: show the rule.
        let name = match tz.iana_name() {
            Some(name) => name.to_string(),
            None => std::env::var("TZ")
                .ok()
                .filter(|tz| !tz.is_empty())
                .unwrap_or_else(|| "local".into()),
        };
        Zone { tz, name }
    }

    /// A `-z` value as ccusage reads it: a name of the tz database in any case (`utc`,
    /// `america/los_angeles`), or exactly `local`. Offsets (`+05:00`) are refused, as there.
    pub(crate) fn parse(s: &str) -> Result<Zone, String> {
        if s == "local" {
            return Ok(Zone::system());
        }
        match TimeZone::get(s) {
            // The canonical spelling, not the one typed.
            Ok(tz) => Ok(Zone {
                name: tz.iana_name().unwrap_or(s).to_string(),
                tz,
            }),
            Err(_) => Err(format!("expected {ZONE_FORM}")),
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Its name in the tz database, if it has one (a POSIX `TZ` rule has none).
    pub(crate) fn iana_name(&self) -> Option<&str> {
        self.tz.iana_name()
    }

    /// A Unix millisecond timestamp as a local time to the minute (`2026-01-05 14:30`), for
    /// tables.
    pub(crate) fn minute_of(&self, timestamp_ms: i64) -> String {
        match Timestamp::from_millisecond(timestamp_ms) {
            Ok(ts) => self
                .tz
                .to_datetime(ts)
                .strftime("%Y-%m-%d %H:%M")
                .to_string(),
            Err(_) => timestamp_ms.to_string(),
        }
    }

    /// The civil date of a Unix millisecond timestamp in this zone. Parsed timestamps are
    /// years 1..=9999, well inside jiff's range; anything beyond is clamped, not a panic.
    pub(crate) fn day_of(&self, timestamp_ms: i64) -> Date {
        let ts = Timestamp::from_millisecond(timestamp_ms).unwrap_or(if timestamp_ms < 0 {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        });
        self.tz.to_datetime(ts).date()
    }
}

/// A Unix millisecond timestamp as ccusage writes one: UTC, three fraction digits, `Z`
/// (`2026-01-05T10:00:00.000Z`), whatever zone the line was written in.
pub(crate) fn iso_ms(timestamp_ms: i64) -> String {
    match Timestamp::from_millisecond(timestamp_ms) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        Err(_) => timestamp_ms.to_string(),
    }
}

/// How days are grouped into the periods of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grouping {
    Day,
    /// Weeks starting on this day (ccusage's `--start-of-week`, default Sunday).
    Week(jiff::civil::Weekday),
    Month,
}

impl Grouping {
    /// The label of the period `day` falls in: the day, the week's first day
    /// (`YYYY-MM-DD`), or the month (`YYYY-MM`).
    pub(crate) fn label(self, day: Date) -> String {
        match self {
            Grouping::Day => day.to_string(),
            Grouping::Week(start) => {
                let back = day.weekday().since(start);
                // Only the first days of year -9999 have no week start: keep the day.
                day.checked_sub(jiff::Span::new().days(back))
                    .unwrap_or(day)
                    .to_string()
            }
            Grouping::Month => day.strftime("%Y-%m").to_string(),
        }
    }

    /// The JSON key of a period's label and of the list of periods (`date`/`daily`, …).
    pub(crate) fn keys(self) -> (&'static str, &'static str) {
        match self {
            Grouping::Day => ("date", "daily"),
            Grouping::Week(_) => ("week", "weekly"),
            Grouping::Month => ("month", "monthly"),
        }
    }
}

/// What `--since`/`--until` accept, for error messages.
const DATE_FORM: &str = "YYYYMMDD or YYYY-MM-DD, a real date (e.g. 20260105)";

/// A `--since`/`--until` value: `YYYYMMDD` or `YYYY-MM-DD` with exactly these digits, a date
/// that exists (ccusage refuses `20260230` and `2026-1-5` alike).
pub(crate) fn parse_date(s: &str) -> Result<Date, String> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let (y, m, d) = match b.len() {
        8 if digits(0..8) => (&s[0..4], &s[4..6], &s[6..8]),
        10 if digits(0..4) && digits(5..7) && digits(8..10) && b[4] == b'-' && b[7] == b'-' => {
            (&s[0..4], &s[5..7], &s[8..10])
        }
        _ => return Err(format!("expected {DATE_FORM}")),
    };
    // Four or two ASCII digits always fit.
    let n = |x: &str| x.parse::<i16>().expect("ascii digits");
    Date::new(n(y), n(m) as i8, n(d) as i8)
        .map_err(|_| format!("no such day in the calendar; expected {DATE_FORM}"))
}

/// The days a report covers: both ends inclusive, compared with each row's day in the
/// report's zone (as ccusage compares them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DateRange {
    since: Option<Date>,
    until: Option<Date>,
}

impl DateRange {
    #[cfg(test)]
    pub(crate) const ALL: DateRange = DateRange {
        since: None,
        until: None,
    };

    /// A range that ends before it starts is a mistake, refused as ccusage refuses it (rather
    /// than an empty report that looks like no usage).
    pub(crate) fn new(since: Option<Date>, until: Option<Date>) -> Result<DateRange, String> {
        match (since, until) {
            (Some(s), Some(u)) if s > u => Err(format!(
                "--since {s} is later than --until {u}: nothing could be reported"
            )),
            _ => Ok(DateRange { since, until }),
        }
    }

    /// The range widened by a day on each side, as UTC days: it holds every response whose day
    /// in any zone is in this range (offsets stay within a day).
    pub(crate) fn utc_bounds(&self) -> (Option<Date>, Option<Date>) {
        let widen = |d: Date, days: i64| d.checked_add(jiff::Span::new().days(days)).ok();
        (
            self.since.and_then(|d| widen(d, -1)),
            self.until.and_then(|d| widen(d, 1)),
        )
    }

    /// `--since` and `--until`.
    pub(crate) fn bounds(&self) -> (Option<Date>, Option<Date>) {
        (self.since, self.until)
    }

    pub(crate) fn contains(&self, day: Date) -> bool {
        self.since.is_none_or(|s| day >= s) && self.until.is_none_or(|u| day <= u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn dates_are_read_in_both_of_ccusages_forms_and_nothing_else() {
        assert_eq!(parse_date("20260105"), Ok(date(2026, 1, 5)));
        assert_eq!(parse_date("2026-01-05"), Ok(date(2026, 1, 5)));
        assert_eq!(parse_date("20240229"), Ok(date(2024, 2, 29)));
        assert_eq!(parse_date("00010101"), Ok(date(1, 1, 1)));
        for bad in [
            "",
            "2026-1-5",
            "202601",
            "2026010",
            "202601050",
            "20261305",
            "20260230",
            "20250229",
            "20260100",
            "2026/01/05",
            "2026-01-05T00:00",
            " 20260105",
            "20260105 ",
            "2026-0105",
            "+2026-01-05",
            "2026-01-5a",
            "２０２６０１０５",
            "foo",
        ] {
            let e = parse_date(bad).expect_err(bad);
            assert!(e.contains("YYYYMMDD or YYYY-MM-DD"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn a_range_is_inclusive_and_may_be_open_on_either_side() {
        let d = |day| date(2026, 1, day);
        let r = DateRange::new(Some(d(5)), Some(d(6))).unwrap();
        assert!(!r.contains(d(4)) && r.contains(d(5)) && r.contains(d(6)) && !r.contains(d(7)));
        let since = DateRange::new(Some(d(5)), None).unwrap();
        assert!(!since.contains(d(4)) && since.contains(date(9999, 12, 31)));
        let until = DateRange::new(None, Some(d(5))).unwrap();
        assert!(until.contains(date(1, 1, 1)) && !until.contains(d(6)));
        assert!(DateRange::ALL.contains(d(1)));
        assert!(
            DateRange::new(Some(d(5)), Some(d(5)))
                .unwrap()
                .contains(d(5))
        );
        let e = DateRange::new(Some(d(6)), Some(d(5))).unwrap_err();
        assert!(e.contains("2026-01-06") && e.contains("2026-01-05"), "{e}");
    }

    #[test]
    fn zones_are_named_as_in_the_tz_database_in_any_case() {
        assert_eq!(Zone::parse("utc").unwrap().name(), "UTC");
        assert_eq!(
            Zone::parse("america/los_angeles").unwrap().name(),
            "America/Los_Angeles"
        );
        for bad in ["", "Mars/Olympus", "+05:00", "Z", "LOCAL", "America/"] {
            let e = Zone::parse(bad).expect_err(bad);
            assert!(e.contains("IANA time zone name"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn a_day_is_the_civil_date_in_the_zone() {
        let ms = |s: &str| s.parse::<Timestamp>().unwrap().as_millisecond();
        let day = |zone: &str, ts: &str| Zone::parse(zone).unwrap().day_of(ms(ts));
        // Kiritimati is UTC+14: its midnight is 10:00 UTC the day before.
        assert_eq!(
            day("Pacific/Kiritimati", "2026-01-05T09:59:59.999Z"),
            date(2026, 1, 5)
        );
        assert_eq!(
            day("Pacific/Kiritimati", "2026-01-05T10:00:00Z"),
            date(2026, 1, 6)
        );
        // Los Angeles: UTC-8 in winter, UTC-7 in summer (DST).
        assert_eq!(
            day("America/Los_Angeles", "2026-01-05T07:59:59.999Z"),
            date(2026, 1, 4)
        );
        assert_eq!(
            day("America/Los_Angeles", "2026-01-05T08:00:00Z"),
            date(2026, 1, 5)
        );
        assert_eq!(
            day("America/Los_Angeles", "2026-07-05T06:59:59.999Z"),
            date(2026, 7, 4)
        );
        assert_eq!(
            day("America/Los_Angeles", "2026-07-05T07:00:00Z"),
            date(2026, 7, 5)
        );
        assert_eq!(day("UTC", "2026-01-05T23:59:59.999Z"), date(2026, 1, 5));
        assert_eq!(Zone::utc().day_of(-1), date(1969, 12, 31));
        assert_eq!(
            Zone::utc().day_of(ms("0001-01-01T00:00:00Z")),
            date(1, 1, 1)
        );
        // Out of any timestamp's range: clamped, no panic.
        assert_eq!(Zone::utc().day_of(i64::MAX).year(), 9999);
        assert_eq!(Zone::utc().day_of(i64::MIN).year(), -9999);
    }
}
