//! `sync_runs`: one row per run of a machine, what `status` and the run-history queries read.

use serde::Serialize;

use crate::error::Result;
use crate::store::client::Sink;

/// A `sync_runs` row.
#[derive(Debug, Clone, clickhouse::Row, Serialize)]
pub struct SyncRunRow {
    pub run_id: String,
    pub machine_name: String,
    /// The agent whose files the run read (ccusage's name).
    pub source: &'static str,
    pub started_at: i64,
    pub finished_at: i64,
    pub status: String,
    pub error: String,
    pub agent_version: String,
    pub files_scanned: u32,
    pub files_changed: u32,
    pub bytes_read: u64,
    pub lines_read: u64,
    pub messages_new: u64,
    pub rows_inserted: u64,
    pub lines_skipped: u64,
    pub skipped_by_reason: Vec<(String, u64)>,
    pub unknown_models: Vec<String>,
    pub duration_ms: u64,
    /// Rollup buckets the run left to the next one.
    pub rollup_pending: u32,
}

impl Sink {
    /// One request (no schema round trip): the hourly run with nothing new stays cheap. Every
    /// value is a server-side parameter.
    pub async fn record_run(&self, run: &SyncRunRow) -> Result<()> {
        let (reasons, counts): (Vec<&str>, Vec<u64>) = run
            .skipped_by_reason
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .unzip();
        self.with_retry("insert into sync_runs", || {
            self.timed(
                "insert into sync_runs",
                self.client()
                    .query(crate::store::schema::RECORD_RUN)
                    .param("run_id", &run.run_id)
                    .param("machine_name", &run.machine_name)
                    .param("source", run.source)
                    .param("started_at", run.started_at)
                    .param("finished_at", run.finished_at)
                    .param("status", &run.status)
                    .param("error", &run.error)
                    .param("agent_version", &run.agent_version)
                    .param("files_scanned", run.files_scanned)
                    .param("files_changed", run.files_changed)
                    .param("bytes_read", run.bytes_read)
                    .param("lines_read", run.lines_read)
                    .param("messages_new", run.messages_new)
                    .param("rows_inserted", run.rows_inserted)
                    .param("lines_skipped", run.lines_skipped)
                    .param("reasons", &reasons)
                    .param("counts", &counts)
                    .param("unknown_models", &run.unknown_models)
                    .param("duration_ms", run.duration_ms)
                    .param("rollup_pending", run.rollup_pending)
                    .with_setting("insert_deduplication_token", run.run_id.as_str())
                    .execute(),
            )
        })
        .await
    }
}

impl Sink {
    /// Records that `machine` has `account` (e-mail `email`) signed in for `source`, now.
    pub async fn record_account(
        &self,
        machine: &str,
        source: &str,
        account: &str,
        email: &str,
        at_ms: i64,
    ) -> Result<()> {
        let token = format!("ccsync-account-{machine}-{source}-{account}-{at_ms}");
        self.with_retry("insert into machine_accounts", || {
            self.timed(
                "insert into machine_accounts",
                self.client()
                    .query(crate::store::schema::RECORD_ACCOUNT)
                    .param("machine_name", machine)
                    .param("source", source)
                    .param("account", account)
                    .param("email", email)
                    .param("recorded_at", at_ms)
                    .with_setting("insert_deduplication_token", token.as_str())
                    .execute(),
            )
        })
        .await
    }
}
