//! Codex's rows of `ccsync report` from the database: `queries/report_rows.sql` with source
//! `codex` → the rows the Codex reports are made of ([`CodexRow`], as a scan of the rollouts
//! yields them), so that one implementation (`crate::source::codex`) computes every report.
//!
//! Stored Codex rows keep ccusage's token split (src/sync/codex/rows.rs): input without its
//! cached and written parts, cached as cache reads, written as cache creation, output with
//! reasoning inside. What the rows do not keep is documented in docs/ccusage-compat.md
//! ("Codex", "From the database").

use std::path::PathBuf;

use super::report::{DbRow, RowFilter, fetch};
use crate::source::codex::CodexRow;

/// The Codex rows `filter` selects (its source set to Codex's), one per request: Codex prices
/// a request's tokens by its own context length, so its reports cannot start from sums.
pub(crate) async fn read_codex_rows(
    sink: &crate::store::client::Sink,
    filter: &RowFilter,
) -> anyhow::Result<Vec<CodexRow>> {
    let filter = RowFilter {
        source: Some(crate::CODEX_SOURCE.to_owned()),
        sum_by_day_in: None,
        ..filter.clone()
    };
    Ok(fetch(sink, &filter)
        .await?
        .into_iter()
        .map(codex_row)
        .collect())
}

fn codex_row(r: DbRow) -> CodexRow {
    // Not stored: the logged total (Codex logs input + output, cached and written inside
    // input: this sum), whether the model was a guess, the timestamp's spelling.
    let total = (r.input_tokens)
        .saturating_add(r.cache_read_tokens)
        .saturating_add(r.cache_creation_tokens)
        .saturating_add(r.output_tokens);
    CodexRow {
        timestamp_ms: r.timestamp_ms,
        written_time: None,
        session_id: r.session_id,
        model: r.model,
        is_fallback_model: false,
        input: r.input_tokens,
        cached_input: r.cache_read_tokens,
        cache_write: r.cache_creation_tokens,
        output: r.output_tokens,
        reasoning: r.reasoning_tokens,
        total,
        fast: r.fast,
        cost_usd: r.cost_usd,
        unpriced: r.unknown_model,
        file: PathBuf::from(r.source_file),
        // Not read: no report needs it.
        line: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_row_is_the_request_it_was_made_of() {
        let stored = DbRow {
            timestamp_ms: 1_767_600_000_000,
            last_ms: 1_767_600_000_000,
            model: "gpt-5.4".into(),
            fast: true,
            session_id: "2026/01/05/rollout-x".into(),
            project: "/w".into(),
            source_file: "/h/sessions/2026/01/05/rollout-x.jsonl".into(),
            machine: "m".into(),
            input_tokens: 50,
            output_tokens: 10,
            cache_creation_tokens: 30,
            cache_read_tokens: 20,
            cost_usd: 0.5,
            unknown_model: false,
            account: String::new(),
            agent_id: String::new(),
            is_sidechain: false,
            source: "codex".into(),
            reasoning_tokens: 4,
            agent_type: String::new(),
            account_email: String::new(),
        };
        let row = codex_row(stored);
        // As logged: input 100 (20 cached, 30 written), output 10, total 110.
        let u = row.usage();
        assert_eq!((u.input, u.cached, u.cache_write), (100, 20, 30));
        assert_eq!((u.output, u.reasoning, u.total), (10, 4, 110));
        assert!(row.fast && !row.is_fallback_model);
        assert_eq!(row.session_id, "2026/01/05/rollout-x");
    }
}
