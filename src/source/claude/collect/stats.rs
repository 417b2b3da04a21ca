//! A run's counters, printed in the summary and stored in `sync_runs`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::source::claude::discover::TranscriptFile;
use crate::source::claude::parse::SkipReason;

/// How many skipped lines are named (file:line) in the summary.
const SKIP_EXAMPLES: usize = 5;

#[derive(Debug, Default, Clone, Serialize)]
pub struct Stats {
    pub files_scanned: u64,
    pub files_changed: u64,
    pub files_reread: u64,
    pub files_failed: u64,
    pub bytes_read: u64,
    pub lines_read: u64,
    pub entries: u64,
    pub duplicates: u64,
    pub lines_skipped: u64,
    pub skipped_by_reason: BTreeMap<&'static str, u64>,
    /// A few skipped lines as `path:line: reason`, so a user can look at them.
    pub skipped_examples: Vec<String>,
    pub unknown_models: BTreeMap<String, u64>,
    /// Responses dated before 2023 or more than a day ahead: counted (as ccusage does), but
    /// worth a look (a wrong clock, a hand-edited transcript).
    pub odd_timestamps: u64,
}

impl Stats {
    /// The skipped lines for a summary: `0 lines`, or the count and its reasons.
    pub fn skipped_summary(&self) -> String {
        if self.lines_skipped == 0 {
            return "0 lines".into();
        }
        let reasons: Vec<String> = self
            .skipped_by_reason
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        format!("{} lines ({})", self.lines_skipped, reasons.join(", "))
    }

    /// Adds a file's counters (from a scanner thread) to the run's.
    pub fn merge(&mut self, other: Stats) {
        self.files_scanned += other.files_scanned;
        self.files_changed += other.files_changed;
        self.files_reread += other.files_reread;
        self.files_failed += other.files_failed;
        self.bytes_read += other.bytes_read;
        self.lines_read += other.lines_read;
        self.entries += other.entries;
        self.duplicates += other.duplicates;
        self.lines_skipped += other.lines_skipped;
        for (k, v) in other.skipped_by_reason {
            *self.skipped_by_reason.entry(k).or_default() += v;
        }
        for e in other.skipped_examples {
            if self.skipped_examples.len() < SKIP_EXAMPLES {
                self.skipped_examples.push(e);
            }
        }
        for (k, v) in other.unknown_models {
            *self.unknown_models.entry(k).or_default() += v;
        }
    }

    pub(super) fn skip(&mut self, file: &TranscriptFile, line_no: u64, reason: SkipReason) {
        self.lines_skipped += 1;
        *self.skipped_by_reason.entry(reason.as_str()).or_default() += 1;
        if self.skipped_examples.len() < SKIP_EXAMPLES {
            self.skipped_examples.push(format!(
                "{}:{line_no}: {}",
                file.path.display(),
                reason.describe()
            ));
        }
    }
}
