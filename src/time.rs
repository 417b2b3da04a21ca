//! Time helpers shared by every source: the strict timestamp parser of the hot path, the
//! one formatter of timestamps as agents write them, and the rollup's 15-minute buckets (which
//! the sources note as they collect rows and the store fills). Reports and zones use `jiff`.

/// Parses the timestamps coding agents write to Unix milliseconds, as strictly as ccusage:
/// `YYYY-MM-DDTHH:MM:SS`, an optional 3-digit fraction, then `Z` or `±HH:MM`. Hand-written
/// because it runs once per usage line (millions in a backfill); a test holds it to `jiff`.
pub fn parse_timestamp_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b.get(r)?.iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let (ms, zone) = match b[19] {
        b'.' => (num(20..23)?, 23),
        _ => (0, 19),
    };
    let offset_min = match &b[zone..] {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (oh, om) = (num(zone + 1..zone + 3)?, num(zone + 4..zone + 6)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let m = oh * 60 + om;
            if *sign == b'+' { m } else { -m }
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59
    {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some(((days * 24 + h) * 60 + mi - offset_min) * 60_000 + sec * 1000 + ms)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Length of a `usage_rollup` bucket: every time zone offset in use is a multiple of it.
pub const BUCKET_MS: i64 = 900_000;

/// Start of the 15-minute UTC bucket of `ms` (the rollup's, `crate::store::rollup`), in Unix ms,
/// floored also before 1970: `toStartOfInterval(timestamp, INTERVAL 900000 MILLISECOND)`.
pub fn bucket_of(ms: i64) -> i64 {
    ms.div_euclid(BUCKET_MS) * BUCKET_MS
}

/// `ms` (Unix milliseconds, UTC) as Claude Code writes timestamps: `2026-01-05T10:00:00.000Z`.
pub fn format_timestamp_ms(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        Err(_) => format!("(out of range: {ms} ms)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_fifteen_utc_minutes_in_any_year() {
        const T: i64 = 1_767_607_200_000; // 2026-01-05T10:00:00Z, a bucket start
        assert_eq!(bucket_of(T), T);
        assert_eq!(bucket_of(T + 899_999), T);
        assert_eq!(bucket_of(T + 900_000), T + 900_000);
        assert_eq!(bucket_of(-1), -900_000, "before 1970: floored, not clamped");
        // 2200-01-01T00:14:59.999Z, past DateTime's 2106.
        assert_eq!(bucket_of(7_258_119_299_999), 7_258_118_400_000);
    }

    #[test]
    fn parse_and_format_agree_with_jiff() {
        for ms in [
            0,
            -1,
            1_709_251_199_999,
            -2_208_988_800_000,
            4_102_444_800_123,
            7_258_118_400_000,
        ] {
            let text = format_timestamp_ms(ms);
            assert_eq!(parse_timestamp_ms(&text), Some(ms), "{text}");
            let via_jiff: jiff::Timestamp = text.parse().unwrap();
            assert_eq!(via_jiff.as_millisecond(), ms);
        }
        for days in (-800_000..800_000_i64).step_by(997) {
            let date = jiff::civil::date(1970, 1, 1)
                .checked_add(jiff::Span::new().days(days))
                .unwrap();
            let (y, m, d) = (date.year(), date.month(), date.day());
            assert_eq!(
                days_from_civil(i64::from(y), i64::from(m), i64::from(d)),
                days
            );
        }
    }
}
