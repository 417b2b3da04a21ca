//! Codex CLI usage, counted, priced and reported exactly as `ccusage codex daily|monthly|session
//! --offline` (20.0.24) does; what that is, verified against its binary: docs/ccusage-compat.md,
//! "Codex".
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
//! - [`cost`]: what requests cost, by the shared price table's Codex rules (`crate::price`).
//! - [`group`]: a report's rows (days, months, sessions) with per-model sums and costs;
//!   [`daily`]: rows → days, [`monthly`]: days → months, [`session`]: rows → sessions;
//!   [`report`]: which of them a report kind is, for the files and the database alike.
//! - [`json`] / [`table`]: a report in ccusage's JSON or for a human.
//! - [`scan`]: the whole report of the files as they are now; [`report_rows`]: their requests as
//!   `ccsync report`'s neutral rows.
//! - [`incremental`]: what a store reads instead: new rows of each file from its checkpoint.

mod cost;
mod daily;
mod dedup;
mod discover;
mod error;
mod group;
mod incremental;
mod json;
mod line;
mod monthly;
mod reader;
mod replay;
mod report;
mod report_rows;
mod rows;
mod scan;
mod session;
mod table;
mod usage;

use std::path::PathBuf;

use crate::report::{DateRange, Zone};

/// Codex CLI's rollouts under `CODEX_HOME` (comma-separated), else `~/.codex`, as ccusage
/// finds them (a missing home is an empty report, as in ccusage).
pub(crate) struct Codex {
    homes: Vec<PathBuf>,
}

pub(crate) use dedup::key as duplicate_key;
pub(crate) use discover::{Rollout, homes};
pub(crate) use error::BadReason;
pub(crate) use group::{CodexReport, Kind};
pub(crate) use incremental::{NewRows, Rollouts, read_new};
pub(crate) use json::report as report_json;
pub(crate) use reader::Checkpoint;
pub(crate) use replay::SessionMeta;
pub(crate) use report::Report;
pub(crate) use report_rows::read_into as read_report_rows;
pub(crate) use rows::CodexRow;
pub(crate) use scan::{ParentIndex, ScanOutput};
pub(crate) use table::{
    render as report_table, summary as read_summary, warn as warn_unread, warn_unpriced,
};

impl Codex {
    pub(crate) fn new(homes: Vec<PathBuf>) -> Self {
        Codex { homes }
    }

    /// The `kind` report of the rollouts as they are now; unreadable files and lines are named
    /// on stderr.
    pub(crate) fn report(&self, kind: Kind, zone: Zone, range: DateRange) -> ScanOutput {
        let out = scan::scan(&self.homes, Report::new(kind, zone, range));
        table::warn(&out.read);
        out
    }
}

impl crate::source::Source for Codex {
    fn daily(
        &self,
        zone: Zone,
        range: DateRange,
    ) -> crate::Result<Box<dyn crate::source::DailyReport>> {
        Ok(Box::new(self.report(Kind::Daily, zone, range)))
    }
}

impl crate::source::DailyReport for scan::ScanOutput {
    fn json(&self) -> String {
        json::report(&self.report)
    }

    fn print_table(&self) {
        table::print(self);
    }
}
