//! A query's result as a table of typed JSON values.

use std::fmt::Write as _;

use serde_json::Value;

use crate::table::Kind;

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
        let columns: Vec<(String, Kind)> = self
            .columns
            .iter()
            .map(|(name, ty)| (name.clone(), column_kind(name, ty)))
            .collect();
        crate::table::render(&columns, &self.rows, width)
    }
}

/// How a query result's column is shown, by its ClickHouse type and the pack's naming
/// conventions (`*_usd` dollars, `*_pct` percentages).
pub(super) fn column_kind(name: &str, clickhouse_type: &str) -> Kind {
    let t = base_type(clickhouse_type);
    if t.starts_with("UInt") || t.starts_with("Int") {
        Kind::Integer
    } else if t.starts_with("Float") || t.starts_with("Decimal") {
        if name.ends_with("_usd") {
            Kind::Money
        } else if name.ends_with("_pct") {
            Kind::Percent
        } else {
            Kind::Decimal
        }
    } else {
        Kind::Text
    }
}

/// A column type without its `Nullable(...)` and `LowCardinality(...)` wrappers.
fn base_type(ty: &str) -> &str {
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
