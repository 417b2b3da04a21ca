//! The deterministic token of a batch of `usage_events` rows ([`UsageRow`], `crate::usage`'s).

use crate::usage::UsageRow;

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
