//! The query pack: `queries/*.sql`, embedded at build time (the files stay the source), their
//! headers (`-- name:`, `-- description:`, `-- params:`), parameter validation and execution
//! with server-side parameters (`{name:Type}`, never pasted into the SQL). `ccsync query`
//! (`cli/query.rs`) prints the results.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use serde_json::Value;

/// One embedded file of `queries/`.
pub struct PackFile {
    pub file: &'static str,
    pub sql: &'static str,
}

macro_rules! pack_files {
    ($($name:literal),* $(,)?) => {
        &[$(PackFile {
            file: concat!($name, ".sql"),
            sql: include_str!(concat!("../../queries/", $name, ".sql")),
        }),*]
    };
}

/// Every file of `queries/`, sorted. A unit test checks this list against the directory.
pub const FILES: &[PackFile] = pack_files![
    "api_errors",
    "billing_blocks",
    "budget_status",
    "cache_efficiency",
    "claude_versions",
    "context_size",
    "cost_by_token_kind",
    "cross_machine_duplicates",
    "cumulative_cost",
    "daily_anomalies",
    "daily_by_machine",
    "daily_by_model",
    "daily_by_source",
    "fast_mode_usage",
    "freshness",
    "git_branches",
    "global_daily",
    "hourly_by_machine",
    "hourly_heatmap",
    "machine_comparison",
    "machine_ranking",
    "model_by_machine",
    "model_usage",
    "monthly_by_machine",
    "overview",
    "project_costs",
    "project_daily",
    "projects_across_machines",
    "report_rows",
    "session_stats",
    "sessions",
    "sidechain_usage",
    "sync_health",
    "sync_history",
    "unknown_models",
    "weekly_by_machine",
];

/// A parameter's ClickHouse type, as far as the pack uses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamType {
    String,
    Date,
    /// Days 0000-01-01 to 9999-12-31 (the range of ClickHouse 26.9; older servers clamp to
    /// 1900-2299).
    Date32,
    /// `DateTime` or `DateTime('Zone')`.
    DateTime,
    /// `DateTime64(3)` or `DateTime64(3, 'Zone')`: milliseconds, any year.
    DateTime64,
    Bool,
    UInt(u8),
    Int(u8),
    Float,
    Nullable(Box<ParamType>),
}

impl ParamType {
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if let Some(inner) = t
            .strip_prefix("Nullable(")
            .and_then(|r| r.strip_suffix(')'))
        {
            return Ok(ParamType::Nullable(Box::new(ParamType::parse(inner)?)));
        }
        if t == "DateTime" || (t.starts_with("DateTime('") && t.ends_with("')")) {
            return Ok(ParamType::DateTime);
        }
        if t == "DateTime64(3)" || (t.starts_with("DateTime64(3, '") && t.ends_with("')")) {
            return Ok(ParamType::DateTime64);
        }
        let bits = |s: &str| s.parse::<u8>().ok().filter(|b| [8, 16, 32, 64].contains(b));
        Ok(match t {
            "String" => ParamType::String,
            "Date" => ParamType::Date,
            "Date32" => ParamType::Date32,
            "Bool" => ParamType::Bool,
            "Float32" | "Float64" => ParamType::Float,
            _ => match (t.strip_prefix("UInt"), t.strip_prefix("Int")) {
                (Some(b), _) if bits(b).is_some() => ParamType::UInt(bits(b).unwrap_or(64)),
                (_, Some(b)) if bits(b).is_some() => ParamType::Int(bits(b).unwrap_or(64)),
                _ => return Err(format!("unsupported parameter type {t:?}")),
            },
        })
    }

    /// What a value must look like, for error messages.
    pub fn expected(&self) -> String {
        match self {
            ParamType::String => "any text".into(),
            ParamType::Date | ParamType::Date32 => "a date YYYY-MM-DD".into(),
            ParamType::DateTime => "a UTC time YYYY-MM-DD HH:MM:SS (or YYYY-MM-DD)".into(),
            ParamType::DateTime64 => "a UTC time YYYY-MM-DD HH:MM:SS[.mmm] (or YYYY-MM-DD)".into(),
            ParamType::Bool => "true or false (1 or 0)".into(),
            ParamType::UInt(bits) => {
                format!("a whole number from 0 to {}", u64::MAX >> (64 - bits))
            }
            ParamType::Int(bits) => format!(
                "a whole number from {} to {}",
                i64::MIN >> (64 - bits),
                i64::MAX >> (64 - bits)
            ),
            ParamType::Float => "a number such as 12.5".into(),
            ParamType::Nullable(inner) => format!("{}, or empty for none", inner.expected()),
        }
    }

    /// Checks a command-line value; returns what to send (`None`: NULL).
    pub fn check(&self, raw: &str) -> Result<Option<String>, String> {
        let bad = || Err(format!("expected {}, got {raw:?}", self.expected()));
        let v = raw.trim();
        match self {
            ParamType::String => Ok(Some(raw.to_string())),
            ParamType::Nullable(inner) => {
                if v.is_empty() || v.eq_ignore_ascii_case("null") {
                    Ok(None)
                } else {
                    inner
                        .check(raw)
                        .map_err(|_| format!("expected {}, got {raw:?}", self.expected()))
                }
            }
            ParamType::Date | ParamType::Date32 => match parse_date(v) {
                Some(_) => Ok(Some(v.to_string())),
                None => bad(),
            },
            ParamType::DateTime | ParamType::DateTime64 => {
                let (date, time) = match v.split_once([' ', 'T']) {
                    Some((d, t)) => (d, t.strip_suffix('Z').unwrap_or(t)),
                    None => (v, "00:00:00"),
                };
                // Milliseconds only where the type keeps them.
                let (whole, fraction) = match time.split_once('.') {
                    Some((w, f)) if *self == ParamType::DateTime64 => (w, Some(f)),
                    _ => (time, None),
                };
                let fraction_ok = fraction.is_none_or(|f| {
                    (1..=3).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit())
                });
                match (parse_date(date), parse_time(whole), fraction_ok) {
                    (Some(_), Some(_), true) => Ok(Some(format!("{date} {time}"))),
                    _ => bad(),
                }
            }
            ParamType::Bool => match v.to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(Some("true".into())),
                "false" | "0" => Ok(Some("false".into())),
                _ => bad(),
            },
            ParamType::UInt(bits) => match v.parse::<u64>() {
                Ok(n) if n <= u64::MAX >> (64 - bits) => Ok(Some(n.to_string())),
                _ => bad(),
            },
            ParamType::Int(bits) => match v.parse::<i64>() {
                Ok(n) if n >= i64::MIN >> (64 - bits) && n <= i64::MAX >> (64 - bits) => {
                    Ok(Some(n.to_string()))
                }
                _ => bad(),
            },
            ParamType::Float => match v.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Some(v.to_string())),
                _ => bad(),
            },
        }
    }
}

fn parse_date(s: &str) -> Option<(i64, i64, i64)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    (1..=days).contains(&d).then_some((y, m, d))
}

fn parse_time(s: &str) -> Option<()> {
    let b = s.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u8>().ok();
    (num(0..2)? < 24 && num(3..5)? < 60 && num(6..8)? < 60).then_some(())
}

/// A declared parameter of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    /// As written in the SQL, e.g. `Nullable(DateTime64(3, 'UTC'))`.
    pub type_name: String,
    pub ty: ParamType,
    /// `None`: NULL.
    pub default: Option<String>,
    pub doc: String,
}

impl Param {
    /// `name Type (default '...'): doc`, for listings and errors.
    pub fn describe(&self) -> String {
        let quoted = matches!(
            self.ty,
            ParamType::String
                | ParamType::Date
                | ParamType::Date32
                | ParamType::DateTime
                | ParamType::DateTime64
        );
        let default = match &self.default {
            None => "NULL".to_string(),
            Some(d) if quoted => format!("'{d}'"),
            Some(d) => d.clone(),
        };
        let doc = if self.doc.is_empty() {
            String::new()
        } else {
            format!(": {}", self.doc)
        };
        format!("{} {} (default {default}){doc}", self.name, self.type_name)
    }
}

/// One query of the pack.
#[derive(Debug, Clone)]
pub struct Query {
    pub name: String,
    pub description: String,
    pub params: Vec<Param>,
    pub file: &'static str,
    pub sql: &'static str,
}

/// Reads a file's header: `-- name:`, `-- description:`, and any number of `-- params:` lines.
/// Other leading comments are notes; the header ends at the first line that is not a comment.
pub fn parse_query(file: &'static str, sql: &'static str) -> Result<Query, String> {
    let (mut name, mut description, mut params) = (None, None, Vec::new());
    for line in sql.lines() {
        let Some(comment) = line.trim_start().strip_prefix("--") else {
            if line.trim().is_empty() {
                continue;
            }
            break;
        };
        let comment = comment.trim();
        if let Some(v) = comment.strip_prefix("name:") {
            name = Some(v.trim().to_string());
        } else if let Some(v) = comment.strip_prefix("description:") {
            description = Some(v.trim().to_string());
        } else if let Some(v) = comment.strip_prefix("params:") {
            params.extend(parse_params(v).map_err(|e| format!("{file}: params: {e}"))?);
        }
    }
    let name = name.ok_or_else(|| format!("{file}: no `-- name:` line"))?;
    let description = description.ok_or_else(|| format!("{file}: no `-- description:` line"))?;
    Ok(Query {
        name,
        description,
        params,
        file,
        sql,
    })
}

/// `name Type default (doc), ...`: types may hold parentheses, quotes and commas
/// (`Nullable(DateTime('UTC'))`), defaults are `'quoted'` or bare (`0`, `true`, `NULL`).
pub fn parse_params(list: &str) -> Result<Vec<Param>, String> {
    let chars: Vec<char> = list.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        if i >= chars.len() {
            break;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
            i += 1;
        }
        let name: String = chars[start..i].iter().collect();
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(format!(
                "expected a parameter name at {:?}",
                rest(&chars, start)
            ));
        }
        skip_ws(&mut i);
        // The type: up to whitespace outside parentheses and quotes.
        let (start, mut depth, mut quoted) = (i, 0i32, false);
        while i < chars.len() {
            match chars[i] {
                '\'' => quoted = !quoted,
                '(' if !quoted => depth += 1,
                ')' if !quoted => depth -= 1,
                c if c.is_whitespace() && depth == 0 && !quoted => break,
                _ => {}
            }
            i += 1;
        }
        let type_name: String = chars[start..i].iter().collect();
        let ty = ParamType::parse(&type_name).map_err(|e| format!("{name}: {e}"))?;
        skip_ws(&mut i);
        let default = if chars.get(i) == Some(&'\'') {
            i += 1;
            let mut s = String::new();
            loop {
                match chars.get(i) {
                    None => return Err(format!("{name}: unterminated default")),
                    Some('\\') => {
                        s.extend(chars.get(i + 1));
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        s.push(c);
                        i += 1;
                    }
                }
            }
            Some(s)
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && !matches!(chars[i], ',' | '(') {
                i += 1;
            }
            let bare: String = chars[start..i].iter().collect();
            match bare.as_str() {
                "" => return Err(format!("{name}: no default value")),
                "NULL" => None,
                _ => Some(bare),
            }
        };
        skip_ws(&mut i);
        let mut doc = String::new();
        if chars.get(i) == Some(&'(') {
            let (start, mut depth) = (i + 1, 0);
            while i < chars.len() {
                match chars[i] {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            if i >= chars.len() {
                return Err(format!("{name}: unbalanced parentheses in its description"));
            }
            doc = chars[start..i]
                .iter()
                .collect::<String>()
                .trim()
                .to_string();
            i += 1;
        }
        let param = Param {
            name,
            type_name,
            ty,
            default,
            doc,
        };
        if let Some(d) = &param.default {
            param
                .ty
                .check(d)
                .map_err(|e| format!("{}: bad default: {e}", param.name))?;
        } else if !matches!(param.ty, ParamType::Nullable(_)) {
            return Err(format!(
                "{}: NULL default for a non-Nullable type",
                param.name
            ));
        }
        out.push(param);
        skip_ws(&mut i);
        match chars.get(i) {
            None => break,
            Some(',') => i += 1,
            Some(_) => return Err(format!("expected `,` at {:?}", rest(&chars, i))),
        }
    }
    Ok(out)
}

fn rest(chars: &[char], from: usize) -> String {
    chars[from.min(chars.len())..].iter().take(30).collect()
}

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

/// The parsed pack. The headers are checked by unit tests, so a failure here is a build bug.
pub fn pack() -> &'static [Query] {
    static PACK: OnceLock<Vec<Query>> = OnceLock::new();
    PACK.get_or_init(|| {
        FILES
            .iter()
            .map(|f| parse_query(f.file, f.sql).unwrap_or_else(|e| panic!("query pack: {e}")))
            .collect()
    })
}

/// A usage error: what was wrong, and what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn find(name: &str) -> Result<&'static Query, UsageError> {
    let pack = pack();
    if let Some(q) = pack.iter().find(|q| q.name == name) {
        return Ok(q);
    }
    let mut names: Vec<&str> = pack.iter().map(|q| q.name.as_str()).collect();
    names.sort_unstable();
    let hint = closest(name, &names)
        .map(|n| format!(" Did you mean {n:?}?"))
        .unwrap_or_default();
    Err(UsageError(format!(
        "unknown query {name:?}.{hint} Available queries:\n  {}\n(`ccsync query --list` describes them)",
        names.join(", ")
    )))
}

/// The nearest name by edit distance, if it is plausibly a typo.
fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let distance = |a: &str, b: &str| {
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut cur = vec![i + 1];
            for (j, cb) in b.iter().enumerate() {
                cur.push(
                    (prev[j] + usize::from(ca != *cb))
                        .min(prev[j + 1] + 1)
                        .min(cur[j] + 1),
                );
            }
            prev = cur;
        }
        prev[b.len()]
    };
    candidates
        .iter()
        .map(|c| (distance(word, c), *c))
        .filter(|(d, c)| *d <= 3.max(c.len() / 3))
        .min()
        .map(|(_, c)| c)
}

/// Values to send for every declared parameter (`None`: NULL), from `NAME=VALUE` strings;
/// the ones not given take their default.
pub fn bind(query: &Query, given: &[String]) -> Result<Vec<(String, Option<String>)>, UsageError> {
    let accepted = || {
        if query.params.is_empty() {
            "It takes no parameters.".to_string()
        } else {
            let lines: Vec<String> = query
                .params
                .iter()
                .map(|p| format!("  {}", p.describe()))
                .collect();
            format!("Accepted parameters:\n{}", lines.join("\n"))
        }
    };
    let mut values: BTreeMap<&str, Option<String>> = BTreeMap::new();
    for arg in given {
        let Some((name, raw)) = arg.split_once('=') else {
            return Err(UsageError(format!(
                "--param expects NAME=VALUE, got {arg:?}. {}",
                accepted()
            )));
        };
        let name = name.trim();
        let Some(param) = query.params.iter().find(|p| p.name == name) else {
            return Err(UsageError(format!(
                "query {} has no parameter {name:?}. {}",
                query.name,
                accepted()
            )));
        };
        let value = param
            .ty
            .check(raw)
            .and_then(|v| {
                if name == "tz" {
                    check_time_zone(v)
                } else {
                    Ok(v)
                }
            })
            .map_err(|e| {
                UsageError(format!(
                    "parameter {name} of query {}: {e}. {}",
                    query.name,
                    accepted()
                ))
            })?;
        if values.insert(param.name.as_str(), value).is_some() {
            return Err(UsageError(format!("parameter {name} is given twice")));
        }
    }
    Ok(query
        .params
        .iter()
        .map(|p| {
            let value = match values.remove(p.name.as_str()) {
                Some(v) => v,
                None => p
                    .default
                    .as_ref()
                    .and_then(|d| p.ty.check(d).ok().flatten()),
            };
            (p.name.clone(), value)
        })
        .collect())
}

/// `tz` parameters name a time zone of the tz database (`UTC`, `Europe/Berlin`), checked here
/// rather than by ClickHouse, whose error would read like a server problem.
fn check_time_zone(value: Option<String>) -> Result<Option<String>, String> {
    match &value {
        Some(tz) if jiff::tz::TimeZone::get(tz).is_err() => Err(format!(
            "{tz:?} is not a time zone of the tz database (e.g. UTC, Europe/Berlin, America/New_York)"
        )),
        _ => Ok(value),
    }
}

/// `FINAL` per partition, in parallel, instead of merging across partitions: exact because a row
/// superseded by one in another partition gets a tombstone in its own (schema/004), and several
/// times faster on large tables.
pub const FINAL_SETTING: (&str, &str) = ("do_not_merge_across_partitions_select_final", "1");

/// Runs a query with its parameters bound server-side; returns the body in `format`.
pub async fn fetch_bytes(
    client: &clickhouse::Client,
    query: &Query,
    values: &[(String, Option<String>)],
    format: &str,
) -> clickhouse::error::Result<Vec<u8>> {
    // Raw: a `?` in the SQL is text, not a client-side placeholder.
    let mut q = client
        .query_raw(query.sql)
        .with_setting(FINAL_SETTING.0, FINAL_SETTING.1);
    for (name, value) in values {
        q = match value {
            Some(v) => q.param(name, v.as_str()),
            None => q.param(name, None::<&str>),
        };
    }
    Ok(q.fetch_bytes(format)?.collect().await?.to_vec())
}

/// A result with its column names and types; values are JSON, 64-bit integers as numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<(String, String)>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    /// From ClickHouse's `JSONCompact` output.
    pub fn from_json_compact(body: &[u8]) -> Result<Table, String> {
        let v: Value = serde_json::from_slice(body).map_err(|e| format!("bad JSONCompact: {e}"))?;
        let columns: Vec<(String, String)> = v["meta"]
            .as_array()
            .ok_or("JSONCompact without meta")?
            .iter()
            .map(|m| {
                (
                    m["name"].as_str().unwrap_or_default().to_string(),
                    m["type"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let rows = v["data"]
            .as_array()
            .ok_or("JSONCompact without data")?
            .iter()
            .map(|row| {
                let cells = row.as_array().cloned().unwrap_or_default();
                cells
                    .into_iter()
                    .zip(&columns)
                    .map(|(cell, (_, ty))| normalize(cell, ty))
                    .collect()
            })
            .collect();
        Ok(Table { columns, rows })
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|(n, _)| n == name)
    }

    /// The cell of `row` in column `name` (Null if there is no such column).
    pub fn get(&self, row: usize, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        match (self.column(name), self.rows.get(row)) {
            (Some(c), Some(r)) => &r[c],
            _ => &NULL,
        }
    }

    /// JSON: an array with one object per row, keys in column order.
    pub fn to_json(&self) -> String {
        let mut out = String::from("[");
        for (i, row) in self.rows.iter().enumerate() {
            out.push_str(if i == 0 { "\n  {" } else { ",\n  {" });
            for (j, ((name, _), cell)) in self.columns.iter().zip(row).enumerate() {
                if j > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{}: {cell}", Value::from(name.as_str()));
            }
            out.push('}');
        }
        out.push_str(if self.rows.is_empty() { "]\n" } else { "\n]\n" });
        out
    }

    /// A table for a terminal no wider than `width` (see `src/table.rs`): values formatted by
    /// their column's type and name (`1,234`, `$1.20`, `57.48%`), numbers right-aligned.
    pub fn to_text(&self, width: Option<usize>) -> String {
        let columns: Vec<(String, crate::table::Kind)> = self
            .columns
            .iter()
            .map(|(name, ty)| (name.clone(), crate::table::Kind::of(name, ty)))
            .collect();
        crate::table::render(&columns, &self.rows, width)
    }
}

/// A column type without its `Nullable(...)` and `LowCardinality(...)` wrappers.
pub(crate) fn base_type(ty: &str) -> &str {
    let mut t = ty.trim();
    for wrapper in ["Nullable(", "LowCardinality("] {
        if let Some(inner) = t.strip_prefix(wrapper).and_then(|r| r.strip_suffix(')')) {
            t = inner;
        }
    }
    if let Some(inner) = t
        .strip_prefix("Nullable(")
        .and_then(|r| r.strip_suffix(')'))
    {
        t = inner;
    }
    t
}

/// JSON formats quote 64-bit and wider integers by default; scripts want numbers.
fn normalize(cell: Value, ty: &str) -> Value {
    let t = base_type(ty);
    match cell {
        Value::String(s) if t.starts_with("UInt") || t.starts_with("Int") => {
            if let Ok(n) = s.parse::<u64>() {
                Value::from(n)
            } else if let Ok(n) = s.parse::<i64>() {
                Value::from(n)
            } else {
                Value::String(s)
            }
        }
        Value::Array(items) => {
            let inner = t
                .strip_prefix("Array(")
                .and_then(|r| r.strip_suffix(')'))
                .unwrap_or("");
            Value::Array(items.into_iter().map(|v| normalize(v, inner)).collect())
        }
        Value::Object(map) => {
            // Map(K, V): the value type follows the first top-level comma.
            let inner = t
                .strip_prefix("Map(")
                .and_then(|r| r.strip_suffix(')'))
                .map(|r| split_top_level(r).1)
                .unwrap_or("");
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, normalize(v, inner)))
                    .collect(),
            )
        }
        other => other,
    }
}

fn split_top_level(s: &str) -> (&str, &str) {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => return (s[..i].trim(), s[i + 1..].trim()),
            _ => {}
        }
    }
    (s, "")
}

/// Runs a query into a [`Table`].
pub async fn fetch_table(
    client: &clickhouse::Client,
    query: &Query,
    values: &[(String, Option<String>)],
) -> anyhow::Result<Table> {
    let body = fetch_bytes(client, query, values, "JSONCompact").await?;
    Table::from_json_compact(&body).map_err(anyhow::Error::msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The code of `sql` without its comments (no `--` occurs inside the pack's string
    /// literals).
    fn without_comments(sql: &str) -> String {
        sql.lines()
            .map(|l| l.split("--").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn every_query_file_is_embedded() {
        let files = crate::store::schema::sql_files_in("queries");
        let embedded: Vec<&str> = FILES.iter().map(|f| f.file).collect();
        assert_eq!(files, embedded);
    }

    #[test]
    fn headers_parse_and_match_the_sql() {
        let pack = pack();
        assert!(pack.len() >= 30, "{} queries", pack.len());
        for q in pack {
            assert_eq!(format!("{}.sql", q.name), q.file);
            assert!(!q.description.is_empty(), "{}", q.name);
            // Every `{name:Type}` in the SQL is declared with that type, and every declared
            // parameter is used.
            let mut used = BTreeMap::new();
            let code = without_comments(q.sql);
            let mut rest = code.as_str();
            while let Some(start) = rest.find('{') {
                let after = &rest[start + 1..];
                let end = after.find('}').expect("unclosed {");
                if let Some((name, ty)) = after[..end].split_once(':') {
                    let prev = used.insert(name.trim().to_string(), ty.trim().to_string());
                    if let Some(prev) = prev {
                        assert_eq!(prev, ty.trim(), "{}: {name} used with two types", q.name);
                    }
                }
                rest = &after[end..];
            }
            let declared: BTreeMap<String, String> = q
                .params
                .iter()
                .map(|p| (p.name.clone(), p.type_name.clone()))
                .collect();
            assert_eq!(used, declared, "{}", q.name);
            // One statement per file, so clickhouse-client --queries-file runs it as is.
            assert!(!code.contains(';'), "{}: no statement separators", q.name);
        }
        for required in [
            "daily_by_machine",
            "weekly_by_machine",
            "monthly_by_machine",
            "machine_ranking",
            "model_by_machine",
            "projects_across_machines",
            "project_costs",
            "sessions",
            "billing_blocks",
            "cache_efficiency",
            "hourly_heatmap",
            "freshness",
            "daily_anomalies",
            "budget_status",
            "global_daily",
        ] {
            assert!(find(required).is_ok(), "{required}");
        }
    }

    #[test]
    fn no_query_uses_a_time_construct_that_clamps_or_bounds_by_the_second() {
        for q in pack() {
            assert_eq!(avoided_time_constructs(q.sql), vec![], "{}", q.name);
        }
        let found = avoided_time_constructs(
            "SELECT toDate(ts), toStartOfInterval(ts, INTERVAL 1 HOUR) -- toMonday(x)\n\
             WHERE $__timeFilter(ts) AND ts < $__toTime AND ts >= $__fromTime_ms",
        );
        let what: Vec<&str> = found.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(
            what,
            [
                "todate(",
                "$__timefilter(",
                "$__totime",
                "tostartofinterval(ts, interval 1 hour"
            ]
        );
    }

    #[test]
    fn common_parameters_mean_the_same_everywhere() {
        for q in pack() {
            for p in &q.params {
                let expect = match p.name.as_str() {
                    "machine" => Some(("String", Some(""))),
                    "source" => Some(("String", Some(""))),
                    // Every day a DateTime64 can hold; `as_of` to the millisecond, any year.
                    "since" => Some(("Date32", Some("0000-01-01"))),
                    "until" => Some(("Date32", Some("9999-12-31"))),
                    "tz" => Some(("String", Some("UTC"))),
                    "as_of" => Some(("Nullable(DateTime64(3, 'UTC'))", None)),
                    _ => None,
                };
                if let Some((ty, default)) = expect {
                    assert_eq!(
                        (p.type_name.as_str(), p.default.as_deref()),
                        (ty, default),
                        "{}.{}",
                        q.name,
                        p.name
                    );
                }
            }
        }
    }

    /// Every query that reads the usage or run tables takes `source` (the agent, as ccusage names
    /// it) and applies it at each read, subqueries included, so totals stay consistent.
    #[test]
    fn every_read_of_a_table_filters_by_source() {
        const FILTER: &str = "({source:String} = '' OR source = {source:String})";
        for q in pack() {
            let code = without_comments(q.sql);
            let words: Vec<&str> = code.split_whitespace().collect();
            let reads = words
                .windows(2)
                .filter(|w| {
                    w[0] == "FROM"
                        && ["usage_events", "usage_rollup", "sync_runs"]
                            .iter()
                            .any(|t| {
                                w[1].strip_prefix(t).is_some_and(|rest| {
                                    !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_')
                                })
                            })
                })
                .count();
            assert!(reads > 0, "{}: reads no table", q.name);
            assert!(
                q.params.iter().any(|p| p.name == "source"),
                "{}: no source parameter",
                q.name
            );
            assert!(
                code.matches(FILTER).count() >= reads,
                "{}: {reads} reads, {} source filters",
                q.name,
                code.matches(FILTER).count()
            );
        }
    }

    #[test]
    fn param_lists_with_nested_types_quotes_and_notes() {
        let ps = parse_params(
            "machine String '' (empty = all machines, says (this)), as_of Nullable(DateTime('UTC')) NULL (NULL = now), \
             n UInt32 10, x Float64 1.5, b Bool false, q String 'it\\'s, ok'",
        )
        .unwrap();
        let shape: Vec<(&str, &str, Option<&str>, &str)> = ps
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.type_name.as_str(),
                    p.default.as_deref(),
                    p.doc.as_str(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (
                    "machine",
                    "String",
                    Some(""),
                    "empty = all machines, says (this)"
                ),
                ("as_of", "Nullable(DateTime('UTC'))", None, "NULL = now"),
                ("n", "UInt32", Some("10"), ""),
                ("x", "Float64", Some("1.5"), ""),
                ("b", "Bool", Some("false"), ""),
                ("q", "String", Some("it's, ok"), ""),
            ]
        );
        assert!(
            parse_params("d Date 'soon'")
                .unwrap_err()
                .contains("bad default")
        );
        assert!(
            parse_params("d Decimal(9, 2) 1")
                .unwrap_err()
                .contains("unsupported")
        );
        assert!(parse_params("d Date NULL").is_err());
        assert!(parse_params("a String 'x' b String 'y'").is_err());
    }

    #[test]
    fn values_are_checked_against_their_types() {
        let ok = |t: &str, v: &str| ParamType::parse(t).unwrap().check(v);
        assert_eq!(ok("Date", "2026-02-28"), Ok(Some("2026-02-28".into())));
        assert!(ok("Date", "2026-02-29").is_err());
        assert!(ok("Date", "2024-02-29").is_ok());
        assert!(ok("Date", "yesterday").unwrap_err().contains("YYYY-MM-DD"));
        assert_eq!(ok("UInt8", "255"), Ok(Some("255".into())));
        assert!(ok("UInt8", "256").is_err());
        assert!(ok("UInt32", "-1").is_err());
        assert!(ok("Int32", "-5").is_ok());
        assert!(ok("Float64", "1e3").is_ok());
        assert!(ok("Float64", "NaN").is_err());
        assert_eq!(ok("Bool", "TRUE"), Ok(Some("true".into())));
        assert!(ok("Bool", "yes").is_err());
        let dt = "Nullable(DateTime('UTC'))";
        assert_eq!(ok(dt, ""), Ok(None));
        assert_eq!(ok(dt, "null"), Ok(None));
        assert_eq!(
            ok(dt, "2026-01-05T10:00:00Z"),
            Ok(Some("2026-01-05 10:00:00".into()))
        );
        assert_eq!(ok(dt, "2026-01-05"), Ok(Some("2026-01-05 00:00:00".into())));
        assert!(
            ok(dt, "2026-01-05 25:00:00")
                .unwrap_err()
                .contains("or empty")
        );
        assert_eq!(ok("String", " spaced "), Ok(Some(" spaced ".into())));
        assert_eq!(ok("Date32", "0000-01-01"), Ok(Some("0000-01-01".into())));
        assert_eq!(ok("Date32", "9999-12-31"), Ok(Some("9999-12-31".into())));
        assert!(ok("Date32", "10000-01-01").is_err());
        let dt64 = "Nullable(DateTime64(3, 'UTC'))";
        assert_eq!(ok(dt64, ""), Ok(None));
        assert_eq!(
            ok(dt64, "1969-07-20T20:17:40.5Z"),
            Ok(Some("1969-07-20 20:17:40.5".into()))
        );
        assert_eq!(
            ok(dt64, "2200-01-01 10:14:59.999"),
            Ok(Some("2200-01-01 10:14:59.999".into()))
        );
        assert_eq!(
            ok(dt64, "0001-01-01"),
            Ok(Some("0001-01-01 00:00:00".into()))
        );
        for bad in [
            "2026-01-05 10:00:00.",
            "2026-01-05 10:00:00.1234",
            "2026-01-05 10:00:00.x",
        ] {
            assert!(ok(dt64, bad).is_err(), "{bad}");
        }
        // DateTime has no fraction.
        assert!(ok(dt, "2026-01-05 10:00:00.500").is_err());
    }

    #[test]
    fn binding_fills_defaults_and_explains_mistakes() {
        let q = find("daily_by_machine").unwrap();
        let bound = bind(q, &["tz=Europe/Paris".into()]).unwrap();
        assert_eq!(
            bound,
            vec![
                ("machine".into(), Some("".into())),
                ("source".into(), Some("".into())),
                ("since".into(), Some("0000-01-01".into())),
                ("until".into(), Some("9999-12-31".into())),
                ("tz".into(), Some("Europe/Paris".into())),
            ]
        );
        let err = bind(q, &["mahcine=x".into()]).unwrap_err().0;
        assert!(err.contains("no parameter \"mahcine\""), "{err}");
        assert!(err.contains("since Date32 (default '0000-01-01')"), "{err}");
        let err = bind(q, &["since=2026-13-01".into()]).unwrap_err().0;
        assert!(err.contains("expected a date YYYY-MM-DD"), "{err}");
        assert!(
            bind(q, &["since".into()])
                .unwrap_err()
                .0
                .contains("NAME=VALUE")
        );
        assert!(
            bind(q, &["tz=UTC".into(), "tz=UTC".into()])
                .unwrap_err()
                .0
                .contains("twice")
        );
        let err = find("dayly_by_machine").unwrap_err().0;
        assert!(err.contains("Did you mean \"daily_by_machine\""), "{err}");
        assert!(err.contains("global_daily"), "{err}");
    }

    #[test]
    fn results_render_as_json_and_text() {
        let body = br#"{"meta":[{"name":"day","type":"Date"},{"name":"n","type":"UInt64"},
            {"name":"cost","type":"Float64"},{"name":"models","type":"Array(LowCardinality(String))"},
            {"name":"by","type":"Map(String, UInt64)"},{"name":"x","type":"Nullable(Float64)"}],
            "data":[["2026-01-05","18446744073709551615",1.5,["a","b"],{"k":"2"},null]],"rows":1}"#;
        let t = Table::from_json_compact(body).unwrap();
        assert_eq!(t.get(0, "n"), &Value::from(u64::MAX));
        assert_eq!(t.get(0, "by")["k"], Value::from(2));
        assert_eq!(
            t.to_json(),
            "[\n  {\"day\": \"2026-01-05\", \"n\": 18446744073709551615, \"cost\": 1.5, \
             \"models\": [\"a\",\"b\"], \"by\": {\"k\":2}, \"x\": null}\n]\n"
        );
        let text = t.to_text(None);
        assert!(text.contains("a, b") && text.contains("k: 2"), "{text}");
        // Formatted by the column's type: separators, decimals, NULL.
        assert!(text.contains("18,446,744,073,709,551,615"), "{text}");
        assert!(text.contains("1.5 ") && text.contains("—"), "{text}");
        let empty = Table {
            columns: vec![("a".into(), "UInt8".into())],
            rows: vec![],
        };
        assert_eq!(empty.to_json(), "[]\n");
    }
}
