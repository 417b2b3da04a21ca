//! Every table printed for a human: query results (`ccsync query`), `ccsync status`, `ccsync scan`
//! and the query listing. One place decides how a value looks and how a table fits the screen;
//! `--format json/csv/tsv` and `--json` never come here, so they keep raw values at full precision.
//!
//! **Values**, by the column's [`Kind`]: from its ClickHouse type and name for query results
//! (`store::query`'s `Table::to_text` decides), given by the caller for `status` and `scan`.
//! - integers (`UInt*`, `Int*`): thousands separators, `1,234,567`, `-1,234`;
//! - money: a float column named `*_usd`, the pack's convention for dollars (`cost_usd`,
//!   `spent_usd`, `cost_per_hour_usd`, ...): `$1,234.57`, `-$0.20`, always 2 decimals (an exact
//!   tie such as `0.125` rounds away from zero, as ccusage's `toFixed(2)`);
//! - percentages: a float column named `*_pct`, the pack's convention for shares of a whole
//!   (0–100; the pack returns no bare 0–1 fractions): `57.48%`;
//! - other floats: separators and, per column, as many decimals as its values need, at most 2,
//!   so every value of a column has the same number of decimals and the points line up;
//! - NULL: `—` (an empty string stays empty); arrays `a, b`; maps `k: v`; text as it is.
//!
//! Numbers (and their headers) are right-aligned, text is left-aligned.
//!
//! **Width**: [`render`] takes the width to fit explicitly; [`output_width`] gives the one to use
//! for stdout: the terminal's width on a terminal (`COLUMNS` if it cannot be read), otherwise
//! `COLUMNS` if set, otherwise none: piped output is never reflowed, so scripts see stable
//! lines. A table wider than its width is printed as one `column ┆ value` block per row (like
//! psql's `\x auto`) instead of being wrapped through its digits.

use std::io::IsTerminal as _;

use comfy_table::{
    CellAlignment, ColumnConstraint, ContentArrangement, ContentLineStyle, Table as Grid,
    TableStyle, Width, presets::UTF8_FULL_CONDENSED,
};
use serde_json::Value;

/// How a column's values are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Integer,
    /// A float with up to 2 decimals, the same number in the whole column.
    Decimal,
    /// Dollars with 2 decimals.
    Money,
    /// A percentage (0–100) with up to 2 decimals and `%`.
    Percent,
    /// A number the caller wrote out (all its digits, say): right-aligned as given.
    Figure,
}

impl Kind {
    fn is_number(self) -> bool {
        self != Kind::Text
    }
}

/// The width to fit tables printed on stdout to (see the module's documentation).
pub(crate) fn output_width() -> Option<usize> {
    let terminal = std::io::stdout().is_terminal();
    // comfy-table reads the terminal's size only when stdout is one.
    let size = Grid::new().width().map(usize::from);
    width_for(terminal, size, std::env::var("COLUMNS").ok().as_deref())
}

fn width_for(terminal: bool, size: Option<usize>, columns: Option<&str>) -> Option<usize> {
    let columns = columns
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0);
    if terminal {
        size.filter(|&s| s > 0).or(columns)
    } else {
        columns
    }
}

/// Whether `rows` under `columns` fit `width` as a table (`None`: any width fits).
pub(crate) fn fits(columns: &[(String, Kind)], rows: &[Vec<Value>], width: Option<usize>) -> bool {
    width.is_none_or(|w| natural_width(&horizontal(columns, &texts(columns, rows))) <= w)
}

/// `rows` under `columns` as a table no wider than `width` (`None`: as wide as it takes).
pub(crate) fn render(
    columns: &[(String, Kind)],
    rows: &[Vec<Value>],
    width: Option<usize>,
) -> String {
    let cells = texts(columns, rows);
    let grid = horizontal(columns, &cells);
    let natural = natural_width(&grid);
    match width {
        Some(width) if natural > width && !rows.is_empty() => vertical(columns, &cells, width),
        _ => format!("{grid}\n"),
    }
}

/// Every cell's text, formatted by its column's kind.
fn texts(columns: &[(String, Kind)], rows: &[Vec<Value>]) -> Vec<Vec<String>> {
    let decimals: Vec<usize> = (0..columns.len())
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c).and_then(float_of))
                .map(decimals_needed)
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|row| {
            columns
                .iter()
                .zip(&decimals)
                .enumerate()
                .map(|(c, ((_, kind), &d))| cell(row.get(c).unwrap_or(&Value::Null), *kind, d))
                .collect()
        })
        .collect()
}

fn horizontal(columns: &[(String, Kind)], cells: &[Vec<String>]) -> Grid {
    let mut grid = Grid::new();
    grid.load_style(UTF8_FULL_CONDENSED)
        .set_header(columns.iter().map(|(name, _)| name.as_str()))
        .add_rows(cells.iter().cloned());
    for (i, (_, kind)) in columns.iter().enumerate() {
        if kind.is_number()
            && let Some(column) = grid.column_mut(i)
        {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    grid
}

/// The printed width of a [`UTF8_FULL_CONDENSED`] grid: contents, one space each side, borders.
fn natural_width(grid: &Grid) -> usize {
    let contents = grid.column_max_content_widths();
    contents.iter().map(|&w| usize::from(w) + 3).sum::<usize>() + 1
}

/// One block per row: a `─[ row 2 of 3 ]──` line, then `column ┆ value` lines; values longer
/// than the width left to them wrap.
fn vertical(columns: &[(String, Kind)], cells: &[Vec<String>], width: usize) -> String {
    const LINES: TableStyle =
        TableStyle::new().content_lines(ContentLineStyle::none().junction('┆'));
    let records = records(columns, cells);
    let mut measure = Grid::new();
    measure.add_rows(records.iter().flatten().cloned());
    let natural = measure.column_max_content_widths();
    let name_width = natural.first().copied().map_or(0, usize::from);
    let value_width = natural.get(1).copied().map_or(0, usize::from);
    // ` name ┆ value `: 5 columns besides the contents; a value gets at least 12.
    let value_width = value_width.min(width.saturating_sub(name_width + 5).max(12));
    let exactly = |w: usize| ColumnConstraint::Absolute(Width::Fixed(clamp(w)));
    let mut out = String::new();
    for (i, record) in records.into_iter().enumerate() {
        out += &title(i, cells.len(), name_width + value_width + 5);
        let mut block = Grid::new();
        block
            .load_style(LINES)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(clamp(name_width + value_width + 5))
            .set_constraints([exactly(name_width), exactly(value_width)])
            .add_rows(record);
        for line in block.lines() {
            out += line.trim_end();
            out.push('\n');
        }
    }
    out
}

/// `[column, value]` pairs of every row. Numbers are right-aligned with each other (to the
/// widest number, not to the longest text), text is left-aligned.
fn records(columns: &[(String, Kind)], cells: &[Vec<String>]) -> Vec<Vec<[String; 2]>> {
    let is_number = |c: usize| columns.get(c).is_some_and(|(_, kind)| kind.is_number());
    // Number texts are ASCII, `$`, `%` and `—`: one column per char.
    let number_width = cells
        .iter()
        .flat_map(|row| row.iter().enumerate().filter(|(c, _)| is_number(*c)))
        .map(|(_, v)| v.chars().count())
        .max()
        .unwrap_or(0);
    cells
        .iter()
        .map(|row| {
            let pairs = columns.iter().zip(row).enumerate();
            pairs
                .map(|(c, ((name, _), v))| {
                    let value = if is_number(c) {
                        format!("{v:>number_width$}")
                    } else {
                        v.clone()
                    };
                    [name.clone(), value]
                })
                .collect()
        })
        .collect()
}

fn clamp(width: usize) -> u16 {
    u16::try_from(width).unwrap_or(u16::MAX)
}

/// `─[ row 2 of 3 ]─────`, as wide as the block under it.
fn title(i: usize, n: usize, width: usize) -> String {
    let label = format!("─[ row {} of {n} ]", i + 1);
    let fill = width.saturating_sub(label.chars().count());
    format!("{label}{}\n", "─".repeat(fill))
}

/// A listing of prose (`ccsync query --list`): wrapped to `width`, each column of `caps`
/// (index, width) at most that wide.
pub(crate) fn wrapped(
    header: &[&str],
    rows: Vec<Vec<String>>,
    width: usize,
    caps: &[(usize, usize)],
) -> String {
    let mut grid = Grid::new();
    grid.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(clamp(width))
        .set_header(header.to_vec())
        .add_rows(rows);
    for &(index, cap) in caps {
        if let Some(column) = grid.column_mut(index) {
            column.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(clamp(cap))));
        }
    }
    format!("{grid}\n")
}

/// The text of one value in a column of `kind`; floats with `decimals` (see [`texts`]).
fn cell(value: &Value, kind: Kind, decimals: usize) -> String {
    if kind == Kind::Integer
        && let Some(text) = integer(value)
    {
        return text;
    }
    match (kind, float_of(value)) {
        (Kind::Text | Kind::Figure, _) | (_, None) => plain(value),
        (Kind::Money, Some(x)) => {
            let amount = fixed(x, 2);
            match amount.strip_prefix('-') {
                Some(positive) => format!("-${positive}"),
                None => format!("${amount}"),
            }
        }
        (Kind::Percent, Some(x)) => format!("{}%", fixed(x, decimals)),
        (Kind::Integer | Kind::Decimal, Some(x)) => fixed(x, decimals),
    }
}

/// A whole number grouped, also one ClickHouse quoted (64 bits and wider).
fn integer(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or(n.as_u64().map(i128::from))
            .map(grouped),
        Value::String(s) => {
            let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
            let whole = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
            whole.then(|| format!("{sign}{}", group_digits(digits)))
        }
        _ => None,
    }
}

/// A number, also one ClickHouse quoted (wide integers, decimals).
fn float_of(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        _ => None,
    }
}

/// Text, arrays and maps; integers inside them grouped.
fn plain(value: &Value) -> String {
    match value {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}: {}", plain(v)))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Number(n) => integer(value).unwrap_or_else(|| n.to_string()),
        Value::Bool(b) => b.to_string(),
    }
}

/// Decimals of the shortest exact text of `x`, at most 2.
fn decimals_needed(x: f64) -> usize {
    // Rust prints floats without an exponent.
    let text = x.to_string();
    text.split_once('.').map_or(0, |(_, f)| f.len()).min(2)
}

/// `x` rounded to `decimals`, its whole part grouped; no sign on a value that rounds to zero.
/// An exact tie rounds away from zero, as JavaScript's `toFixed` (ccusage's rounding) does;
/// Rust's formatting would round it to even (`0.125` to `0.12`).
fn fixed(x: f64, decimals: usize) -> String {
    const MORE: usize = 30;
    let exact = format!("{:.*}", decimals + MORE, x.abs());
    let tie = exact
        .get(exact.len() - MORE..)
        .is_some_and(|rest| rest.starts_with('5') && rest.bytes().skip(1).all(|b| b == b'0'));
    let magnitude = if tie {
        x.abs() + 0.1_f64.powi(i32::try_from(decimals).unwrap_or(i32::MAX) + 2)
    } else {
        x.abs()
    };
    let text = format!("{magnitude:.decimals$}");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let zero = text.bytes().all(|b| b == b'0' || b == b'.');
    let sign = if x < 0.0 && !zero { "-" } else { "" };
    let point = if fraction.is_empty() { "" } else { "." };
    format!("{sign}{}{point}{fraction}", group_digits(whole))
}

/// An integer with thousands separators.
pub(crate) fn grouped(n: i128) -> String {
    let digits = group_digits(&n.unsigned_abs().to_string());
    if n < 0 { format!("-{digits}") } else { digits }
}

fn group_digits(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A byte count for people: `512 B`, `7.7 MiB`.
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests;
