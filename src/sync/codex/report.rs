//! How a Codex pass ends: its summary for the user and its row in `sync_runs`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::Config;
use crate::error::Result;
use crate::store::runs::SyncRunRow;

/// What a Codex pass did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CodexRun {
    pub run_id: String,
    /// `ok`, `partial` (some rollouts could not be read; the rest is stored) or `failed`.
    pub status: &'static str,
    pub error: Option<String>,
    pub homes: Vec<String>,
    pub files_scanned: u64,
    pub files_changed: u64,
    pub files_failed: u64,
    pub bytes_read: u64,
    pub lines_read: u64,
    /// Requests counted in the new lines (copies in several files once).
    pub requests_new: u64,
    pub rows_inserted: u64,
    /// Lines skipped, by reason (`not_json`, `bad_timestamp`).
    pub lines_skipped: BTreeMap<&'static str, u64>,
    /// Models without a price (their requests cost 0), with their request counts.
    pub unpriced_models: BTreeMap<String, u64>,
    pub rollup_pending: u64,
    pub warnings: Vec<String>,
    pub duration_ms: u64,
}

impl CodexRun {
    pub(super) fn set_outcome(&mut self, result: &Result<()>) {
        self.status = super::super::report::status_of(result, self.files_failed);
        self.error = result.as_ref().err().map(ToString::to_string);
    }

    /// Nothing was read, stored or said.
    pub fn nothing_new(&self) -> bool {
        self.status == "ok"
            && self.files_changed == 0
            && self.rows_inserted == 0
            && self.warnings.is_empty()
    }

    pub(super) fn row(&self, cfg: &Config, started_ms: i64) -> SyncRunRow {
        SyncRunRow {
            run_id: self.run_id.clone(),
            machine_name: cfg.machine_name.clone(),
            source: crate::CODEX_SOURCE,
            started_at: started_ms,
            finished_at: super::super::now_ms(),
            status: self.status.into(),
            error: self.error.clone().unwrap_or_default(),
            agent_version: crate::AGENT_VERSION.into(),
            files_scanned: u32::try_from(self.files_scanned).unwrap_or(u32::MAX),
            files_changed: u32::try_from(self.files_changed).unwrap_or(u32::MAX),
            bytes_read: self.bytes_read,
            lines_read: self.lines_read,
            messages_new: self.requests_new,
            rows_inserted: self.rows_inserted,
            lines_skipped: self.lines_skipped.values().sum(),
            skipped_by_reason: (self.lines_skipped.iter())
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect(),
            unknown_models: self.unpriced_models.keys().cloned().collect(),
            duration_ms: self.duration_ms,
            rollup_pending: u32::try_from(self.rollup_pending).unwrap_or(u32::MAX),
        }
    }
}
