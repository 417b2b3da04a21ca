//! `ccsync report daily|weekly|monthly|session|blocks`: ccusage's reports, from this machine's
//! files (`--local`) or from the database (every machine's rows).
//!
//! - [`args`]: the options, with ccusage's names, meanings and defaults.
//! - [`read`]: the neutral rows the options select (the local parse, or
//!   `queries/report_rows.sql`), and which agent's report it is.
//! - [`render`]: `crate::report` computes the report; it is printed as ccusage's JSON (one
//!   agent's shape, or the all-agent one) or as a table.
//! - [`codex`]: `--agent codex`, whose reports have Codex's own shape.

mod args;
mod codex;
mod read;
mod render;

use std::process::ExitCode;

pub use args::{By, ReportCommand, ReportKind};

use crate::config::Config;
use crate::report::rows::SplitBy;
use crate::report::{DateRange, Zone, table::Layout};
use read::{agent_of, read_db, read_local};
use render::render;

pub(super) async fn run(cfg: &Config, kind: ReportKind) -> anyhow::Result<ExitCode> {
    let a = kind.common();
    // Usage mistakes exit 2 (like clap's), before anything is read.
    let range = match DateRange::new(a.since, a.until) {
        Ok(range) => range,
        Err(e) => return Ok(super::usage_error(e)),
    };
    if a.agent == Some(crate::usage::Agent::Codex) {
        // Codex's reports have their own shape (ccusage codex …): codex.rs.
        return codex::run(cfg, &kind, range).await;
    }
    let zone = a.timezone.clone().unwrap_or_else(Zone::system);
    let read = if a.local {
        read_local(cfg, agent_of(&kind)).await?
    } else {
        read_db(cfg, &kind, range, &zone).await?
    };
    let layout = Layout::new(crate::table::output_width(), a.compact, a.breakdown);
    let Some(by) = a.by else {
        let mut out = render(&kind, &read.rows, &zone, range, layout);
        // Too wide for the terminal (one block per row): the compact table first, as ccusage.
        if !layout.compact && out.starts_with("─[ row") {
            let compact = Layout {
                compact: true,
                ..layout
            };
            out = render(&kind, &read.rows, &zone, range, compact);
        }
        let summary = (!a.json).then_some(read.summary.as_deref()).flatten();
        return write_out(&out, summary);
    };
    let by = match by {
        By::Machine => SplitBy::Machine,
        By::Project => SplitBy::Project,
        By::Model => SplitBy::Model,
        By::Account => SplitBy::Account,
    };
    let groups = read.rows.split_by(by);
    let out = if a.json {
        let reports: serde_json::Map<String, serde_json::Value> = (groups.iter())
            .map(|(key, rows)| {
                let text = render(&kind, rows, &zone, range, layout);
                let v = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
                (key.clone(), v)
            })
            .collect();
        serde_json::to_string_pretty(&reports)? + "\n"
    } else {
        let mut out = String::new();
        for (key, rows) in &groups {
            out += &format!("{by:?}: {key}\n").to_lowercase_first();
            out += &render(&kind, rows, &zone, range, layout);
            out.push('\n');
        }
        out
    };
    write_out(&out, None)
}

trait LowercaseFirst {
    fn to_lowercase_first(&self) -> String;
}

impl LowercaseFirst for String {
    /// `Machine: x` → `machine: x`.
    fn to_lowercase_first(&self) -> String {
        let mut c = self.chars();
        c.next()
            .map(|f| f.to_lowercase().chain(c).collect())
            .unwrap_or_default()
    }
}

/// Writes `out` (and `summary`) to stdout; a reader that went away ends the command quietly.
fn write_out(out: &str, summary: Option<&str>) -> anyhow::Result<ExitCode> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    if let Some(s) = summary {
        writeln!(stdout, "{s}")?;
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}
