//! The human table of `ccsync scan --agent codex`: ccusage's columns, through
//! [`crate::table::render`], then what was read and what was skipped.

use serde_json::Value;

use super::daily::Sums;
use super::error::{BadLine, CodexError};
use super::scan::ScanOutput;
use crate::table::Kind;

/// How many bad lines are listed one by one (the rest are counted).
const LISTED_BAD_LINES: usize = 10;

pub(crate) fn print(out: &ScanOutput) {
    let report = &out.report;
    if report.days.is_empty() {
        // ccusage's words.
        println!("No Codex usage data found.");
    } else {
        let date = format!("Date ({})", report.zone);
        let columns = [
            (date.as_str(), Kind::Text),
            ("Models", Kind::Text),
            ("Input", Kind::Integer),
            ("Output", Kind::Integer),
            ("Reasoning", Kind::Integer),
            ("Cache Create", Kind::Integer),
            ("Cache Read", Kind::Integer),
            ("Total Tokens", Kind::Integer),
            ("Cost", Kind::Money),
        ]
        .map(|(name, kind)| (name.to_string(), kind));
        let mut rows: Vec<Vec<Value>> = (report.days.iter())
            .map(|d| {
                let models: Vec<&str> = d.models.iter().map(|m| m.name.as_str()).collect();
                row(&d.date, models.join("\n"), &d.sums, d.cost_usd)
            })
            .collect();
        rows.push(row("Total", String::new(), &report.totals, report.cost_usd));
        let width = crate::table::output_width();
        print!("{}", crate::table::render(&columns, &rows, width));
        if !report.unpriced_models.is_empty() {
            eprintln!(
                "warning: no price for {} (their cost counts as 0, as in ccusage --offline)",
                report.unpriced_models.join(", ")
            );
        }
    }
    println!(
        "{} rollout files, {} requests, {} bad lines skipped",
        crate::table::grouped(out.files as i128),
        crate::table::grouped(out.requests as i128),
        crate::table::grouped(out.bad_lines.len() as i128),
    );
}

fn row(label: &str, models: String, s: &Sums, cost: f64) -> Vec<Value> {
    vec![
        Value::from(label),
        Value::from(models),
        Value::from(s.input),
        Value::from(s.output),
        Value::from(s.reasoning),
        Value::from(s.cache_write),
        Value::from(s.cached),
        Value::from(s.total),
        Value::from(cost),
    ]
}

/// Problems on stderr, so that stdout stays what ccusage prints: each unreadable file, and the
/// first bad lines with their place.
pub(crate) fn warn(failed: &[CodexError], bad_lines: &[BadLine]) {
    for e in failed {
        eprintln!("warning: {e}");
    }
    for bad in bad_lines.iter().take(LISTED_BAD_LINES) {
        eprintln!("warning: {bad}");
    }
    if bad_lines.len() > LISTED_BAD_LINES {
        eprintln!(
            "warning: … and {} more bad lines",
            bad_lines.len() - LISTED_BAD_LINES
        );
    }
}
