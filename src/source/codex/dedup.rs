//! Requests logged in several files (a rollout and its archived copy elsewhere, a fork's copy
//! of its parent with the original timestamps, the same home listed twice) count once, as in
//! ccusage 20.0.24: two requests with the same instant (to the millisecond), model and token
//! counts are one. The first met, in reading order, is kept. In its session report the same
//! request in two sessions counts in each (the key includes the session there).
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

/// The requests seen in one run: keyed by session too when `per_session`.
pub(crate) struct Seen {
    per_session: bool,
    keys: HashSet<(String, Key)>,
}

impl Seen {
    pub(crate) fn new(per_session: bool) -> Seen {
        Seen {
            per_session,
            keys: HashSet::new(),
        }
    }

    /// Whether `row` is new (and now seen).
    pub(crate) fn first(&mut self, row: &CodexRow) -> bool {
        let session = if self.per_session {
            row.session_id.clone()
        } else {
            String::new()
        };
        self.keys.insert((session, key(row)))
    }
}
