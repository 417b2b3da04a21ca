//! Time constructs the pack and the dashboards avoid, found in SQL.

/// Time constructs the pack and the dashboards avoid (see queries/README.md, "Time"), with why.
/// A DateTime ends in 1970 and 2106 and a Date in 1970 and 2149, and in ClickHouse 26.9 a strict
/// comparison of an indexed DateTime64 column with a DateTime skips parts by the wrong second;
/// the toStartOf* family (and dateTrunc on older servers) returns those types unless
/// `enable_extended_results_for_datetime_functions` is set, and rounds wrongly before 1970 when
/// it is.
const AVOIDED_TIME: &[(&str, &str)] = &[
    ("todatetime(", "a DateTime: use toDateTime64(x, 3, 'UTC')"),
    ("now()", "a DateTime: use now64(3)"),
    ("todate(", "a Date: use toDate32"),
    (":date}", "a Date parameter: use Date32"),
    (
        ":datetime",
        "a DateTime parameter: use DateTime64(3, 'UTC')",
    ),
    (
        "nullable(datetime(",
        "a DateTime parameter: use DateTime64(3, 'UTC')",
    ),
    (
        "tostartoffifteenminutes(",
        "use toStartOfInterval(x, INTERVAL 900000 MILLISECOND)",
    ),
    (
        "tostartofminute(",
        "use toStartOfInterval(x, INTERVAL 60000 MILLISECOND)",
    ),
    (
        "tostartofhour(",
        "use toStartOfInterval in milliseconds (UTC) or local-time arithmetic",
    ),
    ("tostartofday(", "use toDate32(x, tz)"),
    ("tomonday(", "use subtractDays(day, toDayOfWeek(day) - 1)"),
    (
        "tostartofweek(",
        "use subtractDays(day, toDayOfWeek(day) - 1)",
    ),
    (
        "tostartofmonth(",
        "use subtractDays(day, toDayOfMonth(day) - 1)",
    ),
    ("tostartofquarter(", "a Date"),
    ("tostartofyear(", "a Date"),
    (
        "datetrunc(",
        "a DateTime on older servers, wrong before 1970",
    ),
    (
        "date_trunc(",
        "a DateTime on older servers, wrong before 1970",
    ),
    (
        "$__timefilter(",
        "DateTime bounds in whole seconds: use $__timeFilter_ms",
    ),
    ("$__timeinterval(", "a DateTime: use $__timeInterval_ms"),
    ("$__datefilter(", "Date bounds: use $__timeFilter_ms"),
    (
        "$__datetimefilter(",
        "DateTime bounds: use $__timeFilter_ms",
    ),
    ("$__dt(", "DateTime bounds: use $__timeFilter_ms"),
];

/// The constructs of [`AVOIDED_TIME`] in `sql` (comments, after `--`, excluded), plus Grafana's
/// second-precision `$__fromTime`/`$__toTime` and any `toStartOfInterval` not in milliseconds
/// (it returns a DateTime for whole units): `(what was found, why it is avoided)`.
pub fn avoided_time_constructs(sql: &str) -> Vec<(String, &'static str)> {
    let code: String = sql
        .lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
        .to_lowercase();
    let mut found: Vec<(String, &'static str)> = AVOIDED_TIME
        .iter()
        .filter(|(pattern, _)| code.contains(pattern))
        .map(|(pattern, why)| (pattern.to_string(), *why))
        .collect();
    for macro_name in ["$__fromtime", "$__totime"] {
        if code
            .match_indices(macro_name)
            .any(|(at, m)| !code[at + m.len()..].starts_with("_ms"))
        {
            found.push((macro_name.into(), "seconds: use the _ms macro"));
        }
    }
    for (at, _) in code.match_indices("tostartofinterval(") {
        let call: String = code[at..].chars().take_while(|&c| c != ')').collect();
        if !call.contains("millisecond") {
            found.push((
                call,
                "a DateTime for whole units: use an INTERVAL in MILLISECOND",
            ));
        }
    }
    found
}
