//! How a run ends: its summary for the user and its row in `sync_runs`.

use serde::Serialize;

use crate::config::Config;
use crate::error::Result;
use crate::source::claude::collect::Stats;
use crate::store::runs::SyncRunRow;

#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub run_id: String,
    pub machine_name: String,
    pub database: String,
    pub status: &'static str,
    pub error: Option<String>,
    pub schema_applied: Vec<u32>,
    pub rows_inserted: u64,
    pub messages_new: u64,
    /// Rollup buckets left for the next run (the rollup is late until then, never wrong).
    pub rollup_pending: u64,
    pub stats: Stats,
    pub warnings: Vec<String>,
    pub duration_ms: u64,
    pub transcript_dirs: Vec<String>,
    /// Whether Claude Code's transcripts were synced (the fields above are its run's).
    pub claude: bool,
    /// Codex CLI's run, when a Codex home exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codex: Option<super::codex::CodexRun>,
}

impl RunReport {
    /// Adds Codex's run: the report is as good as the worse of the two.
    pub(super) fn add_codex(&mut self, run: super::codex::CodexRun) {
        self.duration_ms += run.duration_ms;
        if self.status == "ok" && run.status != "ok" {
            self.status = run.status;
        }
        self.codex = Some(run);
    }

    /// The report of a run that synced Codex only.
    pub(super) fn codex_only(
        cfg: &Config,
        schema_applied: Vec<u32>,
        run: super::codex::CodexRun,
        started: std::time::Instant,
    ) -> RunReport {
        RunReport {
            run_id: run.run_id.clone(),
            machine_name: cfg.machine_name.clone(),
            database: cfg.clickhouse.database.clone(),
            status: run.status,
            error: run.error.clone(),
            schema_applied,
            rows_inserted: run.rows_inserted,
            messages_new: run.requests_new,
            rollup_pending: run.rollup_pending,
            stats: Stats::default(),
            warnings: Vec::new(),
            duration_ms: started.elapsed().as_millis() as u64,
            transcript_dirs: Vec::new(),
            claude: false,
            codex: Some(run),
        }
    }
}

/// What a run did, as recorded and reported.
pub(super) struct Outcome<'a> {
    pub(super) cfg: &'a Config,
    pub(super) run_id: String,
    pub(super) started_ms: i64,
    pub(super) duration_ms: u64,
    pub(super) result: &'a Result<()>,
    pub(super) stats: Stats,
    pub(super) rows_inserted: u64,
    pub(super) messages_new: u64,
    pub(super) rollup_pending: u64,
}

impl Outcome<'_> {
    pub(super) fn status(&self) -> &'static str {
        status_of(self.result, self.stats.files_failed)
    }

    pub(super) fn error(&self) -> Option<String> {
        self.result.as_ref().err().map(ToString::to_string)
    }

    /// The run's `sync_runs` row.
    pub(super) fn row(&self) -> SyncRunRow {
        let s = &self.stats;
        SyncRunRow {
            run_id: self.run_id.clone(),
            machine_name: self.cfg.machine_name.clone(),
            source: crate::CLAUDE_SOURCE,
            started_at: self.started_ms,
            finished_at: super::now_ms(),
            status: self.status().into(),
            error: self.error().unwrap_or_default(),
            agent_version: crate::AGENT_VERSION.into(),
            files_scanned: s.files_scanned as u32,
            files_changed: s.files_changed as u32,
            bytes_read: s.bytes_read,
            lines_read: s.lines_read,
            messages_new: self.messages_new,
            rows_inserted: self.rows_inserted,
            lines_skipped: s.lines_skipped,
            skipped_by_reason: s
                .skipped_by_reason
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            unknown_models: s.unknown_models.keys().cloned().collect(),
            duration_ms: self.duration_ms,
            rollup_pending: u32::try_from(self.rollup_pending).unwrap_or(u32::MAX),
        }
    }

    /// The summary of a run that reached its end.
    pub(super) fn report(self, schema_applied: Vec<u32>, warnings: Vec<String>) -> RunReport {
        RunReport {
            run_id: self.run_id.clone(),
            machine_name: self.cfg.machine_name.clone(),
            database: self.cfg.clickhouse.database.clone(),
            status: self.status(),
            error: self.error(),
            schema_applied,
            rows_inserted: self.rows_inserted,
            messages_new: self.messages_new,
            rollup_pending: self.rollup_pending,
            stats: self.stats,
            warnings,
            duration_ms: self.duration_ms,
            transcript_dirs: self
                .cfg
                .claude_dirs
                .iter()
                .map(|d| d.display().to_string())
                .collect(),
            claude: true,
            codex: None,
        }
    }
}

/// A run's status: `failed` (it ended in an error), `partial` (some files or folders could not
/// be read; the rest is stored) or `ok`. Every source's runs say it the same way.
pub(super) fn status_of(result: &Result<()>, files_failed: u64) -> &'static str {
    match (result, files_failed) {
        (Err(_), _) => "failed",
        (Ok(()), 0) => "ok",
        (Ok(()), _) => "partial",
    }
}

/// A warning about responses dated oddly, if any.
pub(super) fn odd_timestamps(stats: &Stats) -> Option<String> {
    (stats.odd_timestamps > 0).then(|| {
        format!(
            "{} response(s) dated before 2023 or in the future: counted as ccusage does (check the clock of the machine that wrote them)",
            stats.odd_timestamps
        )
    })
}
