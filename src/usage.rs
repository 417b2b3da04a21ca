//! The usage vocabulary every layer shares, below all of them: which agent a row is of
//! ([`Agent`], the `source` column) and the `usage_events` row ([`UsageRow`]) that each agent's
//! responses become (`source`, `sync`) and that `store` writes. Types only, no I/O.

use serde::Serialize;

/// The coding agents ccsync reads, by ccusage's names (`--agent`, the `source` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Agent {
    Claude,
    Codex,
}

impl Agent {
    /// Its name in the `source` column (ccusage's).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Agent::Claude => crate::CLAUDE_SOURCE,
            Agent::Codex => crate::CODEX_SOURCE,
        }
    }

    /// The agent of a `source` column value (an unknown one read as Claude's: the only source
    /// before the column existed).
    pub(crate) fn from_source(name: &str) -> Agent {
        if name == crate::CODEX_SOURCE {
            Agent::Codex
        } else {
            Agent::Claude
        }
    }
}

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
