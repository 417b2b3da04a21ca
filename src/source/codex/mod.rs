//! Codex CLI usage, counted and priced exactly as `ccusage codex daily --offline` (20.0.24)
//! does; what that is, verified against its binary: docs/ccusage-compat.md, "Codex".
//!
//! Table of contents, one job per file, in pipeline order:
//! - [`discover`]: which rollouts (`$CODEX_HOME/{sessions,archived_sessions}/**/*.jsonl`) and
//!   config.toml's service tier.
//! - [`reader`]: incremental reading of one file from a serialisable [`reader::Checkpoint`].
//! - [`line`]: one line → the fields the rules read (never any conversation text).
//! - [`usage`]: the counting rules (cumulative vs per-request counters, doubled events, model,
//!   tier).
//! - [`replay`]: forked / sub-agent sessions replaying their parent's history.
//! - [`rows`]: the neutral row of one counted request ([`rows::CodexRow`]).
//! - [`dedup`]: the same request in several files counts once.
//! - [`prices`] (a stop-gap OpenAI price table) and [`cost`] (how Codex requests are billed).
//! - [`daily`] → [`json`] / [`table`]: the daily report, in ccusage's JSON or for a human.
//! - [`scan`]: the whole report of the files as they are now.

mod cost;
mod daily;
mod dedup;
mod discover;
mod error;
mod json;
mod line;
mod prices;
mod reader;
mod replay;
mod rows;
mod scan;
mod table;
mod usage;

use std::path::PathBuf;

use crate::report::{DateRange, Zone};

/// `ccsync scan --agent codex`: the rollouts of `CODEX_HOME` (else `~/.codex`) by day in
/// `zone`, as ccusage's JSON (`json`) or a table. Problems go to stderr.
pub(crate) fn run_scan(json: bool, zone: Zone, range: DateRange) {
    let codex_home = std::env::var("CODEX_HOME").ok();
    let home_dir = std::env::var_os("HOME").map(PathBuf::from);
    let homes = discover::homes(codex_home.as_deref(), home_dir.as_deref());
    let out = scan::scan(&homes, daily::Daily::new(zone, range));
    table::warn(&out);
    if json {
        println!("{}", json::daily(&out.report));
    } else {
        table::print(&out);
    }
}

/// The models the stop-gap price table knows (for the parity test of its prices).
pub fn priced_models() -> Vec<&'static str> {
    prices::models().collect()
}
