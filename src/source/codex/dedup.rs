//! Requests logged in several files (a rollout and its archived copy elsewhere, a fork's copy
//! of its parent with the original timestamps, the same home listed twice) count once, as in
//! ccusage 20.0.24: two requests with the same instant (to the millisecond), model and token
//! counts are one. The first met, in reading order, is kept.
//!
//! A store keeps rows keyed by [`key`] to get the same effect across runs.

use std::collections::HashSet;

use super::rows::CodexRow;

/// What makes two requests the same one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub timestamp_ms: i64,
    pub model: String,
    pub tokens: [u64; 6],
}

pub(crate) fn key(row: &CodexRow) -> Key {
    Key {
        timestamp_ms: row.timestamp_ms,
        model: row.model.clone(),
        tokens: [
            row.input,
            row.cached_input,
            row.cache_write,
            row.output,
            row.reasoning,
            row.total,
        ],
    }
}

/// The requests seen in one run.
#[derive(Default)]
pub(crate) struct Seen(HashSet<Key>);

impl Seen {
    /// Whether `row` is new (and now seen).
    pub(crate) fn first(&mut self, row: &CodexRow) -> bool {
        self.0.insert(key(row))
    }
}
