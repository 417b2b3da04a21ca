//! The neutral row: one counted Codex request, everything a store or report needs and nothing
//! of the conversation. Built from the rules' [`Event`] plus where it was read.

use std::path::PathBuf;

use super::cost;
use super::line::RawUsage;
use super::usage::{Event, Tier};

/// One request, as ccusage 20.0.24 counts and prices it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CodexRow {
    /// Unix milliseconds.
    pub timestamp_ms: i64,
    /// The timestamp as written when that is not ccusage's form of `timestamp_ms` (a session's
    /// `lastActivity` shows it); `None` for what Codex writes, and for stored rows.
    pub written_time: Option<Box<str>>,
    /// The rollout's path below `sessions/` without `.jsonl` (ccusage's session id).
    pub session_id: String,
    pub model: String,
    /// The log named no model (`gpt-5` assumed) or `codex-auto-review` (dated guess).
    pub is_fallback_model: bool,
    /// Input tokens neither read from nor written to the cache.
    pub input: u64,
    pub cached_input: u64,
    pub cache_write: u64,
    /// Includes `reasoning`.
    pub output: u64,
    pub reasoning: u64,
    /// As logged (or input + output where the log has none).
    pub total: u64,
    /// Billed at the fast / priority tier.
    pub fast: bool,
    pub cost_usd: f64,
    /// The model has no price: `cost_usd` is 0.
    pub unpriced: bool,
    pub file: PathBuf,
    /// 1-based line of the `token_count` event.
    pub line: u64,
}

impl CodexRow {
    /// `event` (whose timestamp parsed to `timestamp_ms`); `default_fast`: config.toml's tier.
    pub(crate) fn new(
        event: &Event,
        timestamp_ms: i64,
        session_id: &str,
        default_fast: bool,
        file: PathBuf,
        line: u64,
    ) -> CodexRow {
        let u = &event.usage;
        let fast = match event.tier {
            Some(tier) => tier == Tier::Fast,
            None => default_fast,
        };
        let cost = cost::of_request(&event.model, u, fast);
        CodexRow {
            timestamp_ms,
            written_time: event.stamp.written.clone(),
            session_id: session_id.to_owned(),
            model: event.model.clone(),
            is_fallback_model: event.is_fallback_model,
            input: u.input - u.cached - u.cache_write,
            cached_input: u.cached,
            cache_write: u.cache_write,
            output: u.output,
            reasoning: u.reasoning,
            total: u.total,
            fast,
            cost_usd: cost.unwrap_or(0.0),
            unpriced: cost.is_none(),
            file,
            line,
        }
    }

    /// The tokens as logged (input with its cached and written parts).
    pub(crate) fn usage(&self) -> RawUsage {
        RawUsage {
            input: self.input + self.cached_input + self.cache_write,
            cached: self.cached_input,
            cache_write: self.cache_write,
            output: self.output,
            reasoning: self.reasoning,
            total: self.total,
        }
    }
}
