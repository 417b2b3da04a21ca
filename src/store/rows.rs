//! The rows ccsync writes to `usage_events`, and the deterministic token of a batch of them.

use serde::Serialize;

/// A `usage_events` row, borrowing from the pipeline's pending entries.
#[derive(Debug, Clone, clickhouse::Row, Serialize)]
pub struct UsageRow<'a> {
    pub machine_name: &'a str,
    pub source: &'a str,
    /// The Claude account signed in when the row was synced ('' unknown; schema 005).
    pub account: &'a str,
    pub message_id: &'a str,
    pub request_id: &'a str,
    pub timestamp: i64,
    pub session_id: &'a str,
    pub project: &'a str,
    pub cwd: &'a str,
    pub git_branch: &'a str,
    pub claude_version: &'a str,
    pub model: &'a str,
    pub speed: &'a str,
    pub service_tier: &'a str,
    pub is_sidechain: bool,
    pub is_api_error: bool,
    pub agent_id: &'a str,
    /// The subagent's `agentType` from its meta file ('' main thread or unknown; schema 006).
    pub agent_type: &'a str,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Inside `output_tokens` (schema 005).
    pub reasoning_output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_creation_5m_input_tokens: u64,
    pub cache_creation_1h_input_tokens: u64,
    pub cache_read_input_tokens: u64,
    pub web_search_requests: u32,
    pub cost_usd: f64,
    pub reported_cost_usd: Option<f64>,
    pub cost_mode: &'a str,
    /// `logged`, `calculated` or `display` (schema 005).
    pub cost_source: &'a str,
    pub unknown_model: bool,
    pub source_file: &'a str,
    pub source_line: u64,
    pub version: u64,
    pub is_deleted: u8,
    pub ingested_at: i64,
    pub agent_version: &'a str,
}

/// Deterministic `insert_deduplication_token` of a batch: the same rows give the same token, so
/// a retried insert that did reach the server is dropped by it instead of applied twice.
pub fn batch_token(rows: &[UsageRow<'_>]) -> String {
    batch_token_of(rows.iter().cloned())
}

pub(super) fn batch_token_of<'r>(rows: impl Iterator<Item = UsageRow<'r>>) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut count = 0usize;
    for r in rows {
        count += 1;
        for part in [
            r.machine_name,
            r.source,
            r.message_id,
            r.request_id,
            r.source_file,
        ] {
            h.update(part.as_bytes());
            h.update(&[0]);
        }
        h.update(&r.version.to_le_bytes());
        h.update(&[r.is_deleted]);
        h.update(&r.timestamp.to_le_bytes());
        h.update(&r.cost_usd.to_bits().to_le_bytes());
    }
    format!("ccsync-{:032x}-{count}", h.digest128())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(message_id: &'a str, version: u64) -> UsageRow<'a> {
        UsageRow {
            machine_name: "m",
            source: "claude",
            account: "",
            message_id,
            request_id: "r",
            timestamp: 1,
            session_id: "s",
            project: "p",
            cwd: "c",
            git_branch: "",
            claude_version: "",
            model: "x",
            speed: "",
            service_tier: "",
            is_sidechain: false,
            is_api_error: false,
            agent_id: "",
            agent_type: "",
            input_tokens: 1,
            output_tokens: 1,
            reasoning_output_tokens: 0,
            cache_creation_input_tokens: 0,
            cache_creation_5m_input_tokens: 0,
            cache_creation_1h_input_tokens: 0,
            cache_read_input_tokens: 0,
            web_search_requests: 0,
            cost_usd: 0.5,
            reported_cost_usd: None,
            cost_mode: "auto",
            cost_source: "calculated",
            unknown_model: false,
            source_file: "/f",
            source_line: 1,
            version,
            is_deleted: 0,
            ingested_at: 123,
            agent_version: "0",
        }
    }

    #[test]
    fn batch_token_is_deterministic_and_content_sensitive() {
        let a = [row("m1", 1), row("m2", 1)];
        let mut b = a.clone();
        // Ingest time is not part of the identity of a batch.
        b[0].ingested_at = 999;
        assert_eq!(batch_token(&a), batch_token(&b));
        b[1].version = 2;
        assert_ne!(batch_token(&a), batch_token(&b));
        let swapped = [row("m2", 1), row("m1", 1)];
        assert_ne!(batch_token(&a), batch_token(&swapped));
    }
}
