//! The human tables of the Codex reports (`ccsync scan --agent codex`, `ccsync report …
//! --agent codex`): ccusage's columns, through [`crate::table::render`]; a local read adds what
//! was read and what was skipped.

use serde_json::Value;

use super::group::{CodexReport, Kind, Sums};
use super::scan::{ReadAll, ScanOutput};
use crate::table::Kind as Column;

/// How many bad lines are listed one by one (the rest are counted).
const LISTED_BAD_LINES: usize = 10;

/// `ccsync scan`'s table: the days, then what was read.
pub(crate) fn print(out: &ScanOutput) {
    print!("{}", render(&out.report));
    warn_unpriced(&out.report);
    println!("{}", summary(out));
}

/// The report's table, its rows in the report's order; ccusage's words when it is empty.
pub(crate) fn render(report: &CodexReport) -> String {
    if report.groups.is_empty() {
        return "No Codex usage data found.\n".to_string();
    }
    let first = match report.kind {
        Kind::Daily => vec![(format!("Date ({})", report.zone), Column::Text)],
        Kind::Monthly => vec![(format!("Month ({})", report.zone), Column::Text)],
        // The activity as ccusage's JSON has it (an instant as written).
        Kind::Session => vec![
            ("Session".to_string(), Column::Text),
            ("Last Activity".to_string(), Column::Text),
        ],
    };
    let columns: Vec<(String, Column)> = first
        .into_iter()
        .chain(
            [
                ("Models", Column::Text),
                ("Input", Column::Integer),
                ("Output", Column::Integer),
                ("Reasoning", Column::Integer),
                ("Cache Create", Column::Integer),
                ("Cache Read", Column::Integer),
                ("Total Tokens", Column::Integer),
                ("Cost", Column::Money),
            ]
            .map(|(name, kind)| (name.to_string(), kind)),
        )
        .collect();
    let mut rows: Vec<Vec<Value>> = (report.groups.iter())
        .map(|g| {
            let mut labels = vec![Value::from(label(report.kind, &g.label))];
            if report.kind == Kind::Session {
                labels.push(Value::from(g.last_activity.as_deref().unwrap_or("")));
            }
            let models: Vec<&str> = g.models.iter().map(|m| m.name.as_str()).collect();
            row(labels, models.join("\n"), &g.sums, g.cost_usd)
        })
        .collect();
    let mut total = vec![Value::from("Total")];
    if report.kind == Kind::Session {
        total.push(Value::from(""));
    }
    rows.push(row(total, String::new(), &report.totals, report.cost_usd));
    crate::table::render(&columns, &rows, crate::table::output_width())
}

/// A row's label for a person: a session as its folder and the end of its file name (a
/// rollout's name ends with its uuid), so that the table fits a terminal.
fn label(kind: Kind, label: &str) -> String {
    const SHOWN: usize = 12;
    if kind != Kind::Session {
        return label.to_owned();
    }
    let (folder, file) = label.rsplit_once('/').unwrap_or(("", label));
    let chars = file.chars().count();
    let end: String = if chars > SHOWN {
        let tail: String = file.chars().skip(chars - SHOWN).collect();
        format!("…{tail}")
    } else {
        file.to_owned()
    };
    if folder.is_empty() {
        end
    } else {
        format!("{folder}\n{end}")
    }
}

/// Models without a price, on stderr (stdout stays the table).
pub(crate) fn warn_unpriced(report: &CodexReport) {
    if !report.unpriced_models.is_empty() {
        eprintln!(
            "warning: no price for {} (their cost counts as 0, as in ccusage --offline)",
            report.unpriced_models.join(", ")
        );
    }
}

/// What a local read read.
pub(crate) fn summary(out: &ScanOutput) -> String {
    let read = &out.read;
    format!(
        "{} rollout files, {} requests, {} bad lines skipped",
        crate::table::grouped(read.files as i128),
        crate::table::grouped(read.requests as i128),
        crate::table::grouped(read.bad_lines.len() as i128),
    )
}

fn row(mut labels: Vec<Value>, models: String, s: &Sums, cost: f64) -> Vec<Value> {
    labels.extend([
        Value::from(models),
        Value::from(s.input),
        Value::from(s.output),
        Value::from(s.reasoning),
        Value::from(s.cache_write),
        Value::from(s.cached),
        Value::from(s.total),
        Value::from(cost),
    ]);
    labels
}

/// Problems on stderr, so that stdout stays what ccusage prints: each unreadable file, and the
/// first bad lines with their place.
pub(crate) fn warn(read: &ReadAll) {
    for e in &read.failed {
        eprintln!("warning: {e}");
    }
    for bad in read.bad_lines.iter().take(LISTED_BAD_LINES) {
        eprintln!("warning: {bad}");
    }
    if read.bad_lines.len() > LISTED_BAD_LINES {
        eprintln!(
            "warning: … and {} more bad lines",
            read.bad_lines.len() - LISTED_BAD_LINES
        );
    }
}
