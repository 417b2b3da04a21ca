//! Parameters: their types, the `-- params:` grammar, and binding `NAME=VALUE` strings.

use std::collections::BTreeMap;

use super::{Query, UsageError};

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
        self.expected_in(None)
    }

    /// What a value must look like within `range` (numbers only), for error messages.
    pub fn expected_in(&self, range: Option<&Range>) -> String {
        if let Some(range) = range {
            match self {
                ParamType::UInt(_) | ParamType::Int(_) => {
                    let (lo, hi) = range.whole(self.whole_bounds().unwrap_or_default());
                    return format!("a whole number from {lo} to {hi}");
                }
                ParamType::Float => return format!("a finite number {}", range.phrase()),
                ParamType::Nullable(inner) => {
                    return format!("{}, or empty for none", inner.expected_in(Some(range)));
                }
                _ => {}
            }
        }
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
            ParamType::Float => "a finite number such as 12.5".into(),
            ParamType::Nullable(inner) => format!("{}, or empty for none", inner.expected()),
        }
    }

    /// The smallest and largest value of an integer type.
    fn whole_bounds(&self) -> Option<(i128, i128)> {
        match self {
            ParamType::UInt(bits) => Some((0, i128::from(u64::MAX >> (64 - bits)))),
            ParamType::Int(bits) => Some((
                i128::from(i64::MIN >> (64 - bits)),
                i128::from(i64::MAX >> (64 - bits)),
            )),
            _ => None,
        }
    }

    /// Whether a range can apply: a number, or a Nullable number.
    fn is_numeric(&self) -> bool {
        match self {
            ParamType::UInt(_) | ParamType::Int(_) | ParamType::Float => true,
            ParamType::Nullable(inner) => inner.is_numeric(),
            _ => false,
        }
    }

    /// Checks a command-line value of this type and, if given, within `range`; returns what to
    /// send (`None`: NULL).
    pub fn check_in(&self, raw: &str, range: Option<&Range>) -> Result<Option<String>, String> {
        let value = self.check(raw);
        let Some(range) = range else { return value };
        match value {
            Ok(Some(v)) if range.contains(v.parse().unwrap_or(f64::NAN)) => Ok(Some(v)),
            Ok(None) => Ok(None),
            _ => Err(format!(
                "expected {}, got {raw:?}",
                self.expected_in(Some(range))
            )),
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

/// The values a numeric parameter can mean, declared after its default: `(>= 1)`, `(> 0)`,
/// `(>= 1, <= 36500)`. A value outside is a usage error, before any request, rather than a
/// server exception or a silently empty (or silently unlimited) answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    /// The lower bound and whether it is allowed (`>=`) or not (`>`).
    pub low: Option<(f64, bool)>,
    /// The upper bound and whether it is allowed (`<=`) or not (`<`).
    pub high: Option<(f64, bool)>,
}

impl Range {
    /// The inside of `(...)`: one or two comparisons, separated by a comma.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut range = Range {
            low: None,
            high: None,
        };
        for part in text.split(',') {
            let part = part.trim();
            let (op, number) = [">=", "<=", ">", "<"]
                .iter()
                .find_map(|op| part.strip_prefix(op).map(|n| (*op, n.trim())))
                .ok_or_else(|| format!("expected >=, >, <= or < and a number, got {part:?}"))?;
            let value = number
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("expected a number after {op}, got {number:?}"))?;
            let bound = Some((value, op.ends_with('=')));
            let slot = if op.starts_with('>') {
                &mut range.low
            } else {
                &mut range.high
            };
            if slot.is_some() {
                return Err(format!("two bounds on the same side in {text:?}"));
            }
            *slot = bound;
        }
        if let (Some((lo, lo_in)), Some((hi, hi_in))) = (range.low, range.high)
            && (lo > hi || (lo == hi && !(lo_in && hi_in)))
        {
            return Err(format!("no value satisfies {text:?}"));
        }
        Ok(range)
    }

    pub fn contains(&self, x: f64) -> bool {
        let above = |(b, inclusive): (f64, bool)| x > b || (inclusive && x == b);
        let below = |(b, inclusive): (f64, bool)| x < b || (inclusive && x == b);
        !x.is_nan() && self.low.is_none_or(above) && self.high.is_none_or(below)
    }

    /// The smallest and largest whole number inside, within a type's `(min, max)`.
    fn whole(&self, (min, max): (i128, i128)) -> (i128, i128) {
        // Bounds are small numbers (checked finite), so the casts are exact enough.
        let lo = self.low.map_or(min, |(b, inclusive)| {
            let c = b.ceil() as i128;
            if !inclusive && c as f64 == b {
                c + 1
            } else {
                c
            }
        });
        let hi = self.high.map_or(max, |(b, inclusive)| {
            let f = b.floor() as i128;
            if !inclusive && f as f64 == b {
                f - 1
            } else {
                f
            }
        });
        (lo.max(min), hi.min(max))
    }

    /// `> 0`, `>= 0`, `from 0 to 100`, `>= 0 and < 1`.
    fn phrase(&self) -> String {
        match (self.low, self.high) {
            (Some((lo, true)), Some((hi, true))) => format!("from {lo} to {hi}"),
            _ => self.to_string().replace(", ", " and "),
        }
    }
}

/// As written in a header: `>= 1, <= 36500`.
impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let low = self
            .low
            .map(|(b, inclusive)| format!("{} {b}", if inclusive { ">=" } else { ">" }));
        let high = self
            .high
            .map(|(b, inclusive)| format!("{} {b}", if inclusive { "<=" } else { "<" }));
        let parts: Vec<String> = low.into_iter().chain(high).collect();
        f.write_str(&parts.join(", "))
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
    /// The values it can mean, where its type allows more (numbers only).
    pub range: Option<Range>,
    pub doc: String,
}

impl Param {
    /// Checks a command-line value against the type and the range; returns what to send
    /// (`None`: NULL).
    pub fn check(&self, raw: &str) -> Result<Option<String>, String> {
        self.ty.check_in(raw, self.range.as_ref())
    }

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
        let range = self
            .range
            .as_ref()
            .map(|r| format!("; {r}"))
            .unwrap_or_default();
        format!(
            "{} {} (default {default}{range}){doc}",
            self.name, self.type_name
        )
    }
}

/// `name Type default (range) (doc), ...`: types may hold parentheses, quotes and commas
/// (`Nullable(DateTime('UTC'))`), defaults are `'quoted'` or bare (`0`, `true`, `NULL`); a
/// number's optional range is a parenthesized group starting with a comparison (`(>= 1)`,
/// `(> 0)`, `(>= 1, <= 36500)`, see [`Range`]), the optional doc any other one.
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
        let mut range = None;
        let opens_range = chars.get(i) == Some(&'(')
            && chars[i + 1..]
                .iter()
                .find(|c| !c.is_whitespace())
                .is_some_and(|c| matches!(c, '<' | '>'));
        if opens_range {
            let start = i + 1;
            let end = chars[start..]
                .iter()
                .position(|&c| c == ')')
                .map(|n| start + n)
                .ok_or_else(|| format!("{name}: unclosed range"))?;
            if !ty.is_numeric() {
                return Err(format!("{name}: a range applies to numbers only"));
            }
            let text: String = chars[start..end].iter().collect();
            range = Some(Range::parse(&text).map_err(|e| format!("{name}: range: {e}"))?);
            i = end + 1;
            skip_ws(&mut i);
        }
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
            range,
            doc,
        };
        if let Some(d) = &param.default {
            param
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
            .check(raw)
            .and_then(|v| match name {
                "tz" => check_time_zone(v),
                "source" => check_source(v),
                _ => Ok(v),
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
    let bound: Vec<(String, Option<String>)> = query
        .params
        .iter()
        .map(|p| {
            let value = match values.remove(p.name.as_str()) {
                Some(v) => v,
                None => p.default.as_ref().and_then(|d| p.check(d).ok().flatten()),
            };
            (p.name.clone(), value)
        })
        .collect();
    check_since_until(&bound).map_err(|e| UsageError(format!("query {}: {e}", query.name)))?;
    Ok(bound)
}

/// `since` after `until` selects no day: a mistake (as `report`'s `--since` after `--until`),
/// not an empty answer.
fn check_since_until(bound: &[(String, Option<String>)]) -> Result<(), String> {
    let day = |name: &str| {
        bound
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
            .and_then(|v| Some((v, parse_date(v)?)))
    };
    match (day("since"), day("until")) {
        (Some((since, s)), Some((until, u))) if s > u => Err(format!(
            "since {since} is later than until {until}: no day could match"
        )),
        _ => Ok(()),
    }
}

/// `source` parameters name an agent as ccusage does (`claude`, `codex`), or are empty for
/// every agent: another name would select nothing, silently.
fn check_source(value: Option<String>) -> Result<Option<String>, String> {
    use clap::ValueEnum;
    let names: Vec<&str> = crate::usage::Agent::value_variants()
        .iter()
        .map(|a| a.name())
        .collect();
    match &value {
        Some(s) if !s.is_empty() && !names.contains(&s.as_str()) => {
            let hint = super::closest(s, &names)
                .map(|n| format!(" (did you mean {n:?}?)"))
                .unwrap_or_default();
            Err(format!(
                "{s:?} is not a source{hint}: expected one of {} (the agent, as ccusage names \
                 it), or empty for every agent",
                names.join(", ")
            ))
        }
        _ => Ok(value),
    }
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
