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
