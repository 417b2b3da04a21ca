//! The usage rules: a session's records, in file order, → the requests ccusage 20.0.24 counts,
//! each with its tokens, model and service tier. Verified facts: docs/ccusage-compat.md, "Codex".
//!
//! - `total_token_usage` is cumulative per session, `last_token_usage` one request. Codex writes
//!   every `token_count` twice; the copy repeats the cumulative total, so a total equal to the
//!   previous one counts nothing. Otherwise `last_token_usage` is the request; without it, the
//!   growth of the total (per field, floored at 0). A request of all-zero tokens is dropped.
//! - A `token_count` without a timestamp is ignored entirely (it does not move the total).
//! - Model: the event's own, else the last `turn_context`'s (an event's own model also becomes
//!   the current one), else `gpt-5` marked as a fallback; `codex-auto-review` is the model
//!   OpenAI had released by the event's date, also marked as a fallback.
//! - Tier: the last `thread_settings_applied` of the file (`fast`/`priority` or
//!   `standard`/`default`; another name clears it), else config.toml's (decided by the caller).

use serde::{Deserialize, Serialize};

use super::line::{RawUsage, Record, Stamp, TierChange};

/// The service tier recorded in a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Tier {
    Fast,
    Standard,
}

/// The state the rules carry from line to line of one file: part of its checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Counters {
    /// The last `total_token_usage` seen.
    pub previous_total: Option<RawUsage>,
    pub model: Option<String>,
    pub model_is_fallback: bool,
    pub tier: Option<Tier>,
}

/// One counted request, before fork replay and cross-file de-duplication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Event {
    pub stamp: Stamp,
    /// `cached` ≤ `input` and `cache_write` ≤ `input − cached`, as ccusage clamps them.
    pub usage: RawUsage,
    pub model: String,
    pub is_fallback_model: bool,
    /// The tier recorded when the request was made (`None`: config.toml decides).
    pub tier: Option<Tier>,
}

/// ccusage's model for sessions that never name one.
pub(crate) const FALLBACK_MODEL: &str = "gpt-5";

/// `codex-auto-review` → the newest model released by then (ccusage's embedded list).
const AUTO_REVIEW: &str = "codex-auto-review";
const AUTO_REVIEW_RELEASES: [(&str, &str); 7] = [
    ("2026-07-30", "gpt-5.6-luna"),
    ("2026-03-05", "gpt-5.4"),
    ("2026-02-05", "gpt-5.3-codex"),
    ("2025-12-11", "gpt-5.2-codex"),
    ("2025-11-13", "gpt-5.1-codex"),
    ("2025-09-15", "gpt-5-codex"),
    ("2025-08-07", "gpt-5"),
];

impl Counters {
    /// Applies one record; the request it counts, if any.
    pub(crate) fn apply(&mut self, record: Record) -> Option<Event> {
        match record {
            Record::TurnContext { model: Some(model) } => {
                self.model = Some(model);
                self.model_is_fallback = false;
                None
            }
            Record::Settings(change) => {
                match change {
                    TierChange::Fast => self.tier = Some(Tier::Fast),
                    TierChange::Standard => self.tier = Some(Tier::Standard),
                    TierChange::Unrecorded => self.tier = None,
                    TierChange::Keep => {}
                }
                None
            }
            Record::TokenCount {
                stamp: Some(stamp),
                total,
                last,
                model,
            } => self.token_count(stamp, total, last, model),
            _ => None,
        }
    }

    fn token_count(
        &mut self,
        stamp: Stamp,
        total: Option<RawUsage>,
        last: Option<RawUsage>,
        model: Option<String>,
    ) -> Option<Event> {
        let usage = match total {
            // The duplicate Codex writes of every token_count: nothing new.
            Some(total) if self.previous_total == Some(total) => None,
            Some(total) => last.or_else(|| Some(growth(&total, self.previous_total.as_ref()))),
            None => last,
        };
        if total.is_some() {
            self.previous_total = total;
        }
        let usage = clamped(usage?);
        let zero = RawUsage {
            total: usage.total,
            ..RawUsage::default()
        };
        if usage == zero {
            return None;
        }
        let (model, is_fallback_model) = self.model_for(model, stamp.written_date.as_deref());
        Some(Event {
            stamp,
            usage,
            model,
            is_fallback_model,
            tier: self.tier,
        })
    }

    fn model_for(&mut self, named: Option<String>, date: Option<&str>) -> (String, bool) {
        let (model, fallback) = match named {
            Some(model) => {
                self.model = Some(model.clone());
                self.model_is_fallback = false;
                (model, false)
            }
            None => match &self.model {
                Some(model) => (model.clone(), self.model_is_fallback),
                None => {
                    self.model = Some(FALLBACK_MODEL.to_owned());
                    self.model_is_fallback = true;
                    (FALLBACK_MODEL.to_owned(), true)
                }
            },
        };
        if model == AUTO_REVIEW {
            return (auto_review_model(date).to_owned(), true);
        }
        (model, fallback)
    }
}

fn growth(total: &RawUsage, previous: Option<&RawUsage>) -> RawUsage {
    let p = previous.copied().unwrap_or_default();
    RawUsage {
        input: total.input.saturating_sub(p.input),
        cached: total.cached.saturating_sub(p.cached),
        cache_write: total.cache_write.saturating_sub(p.cache_write),
        output: total.output.saturating_sub(p.output),
        reasoning: total.reasoning.saturating_sub(p.reasoning),
        total: total.total.saturating_sub(p.total),
    }
}

fn clamped(u: RawUsage) -> RawUsage {
    let cached = u.cached.min(u.input);
    RawUsage {
        cached,
        cache_write: u.cache_write.min(u.input - cached),
        ..u
    }
}

/// The model `codex-auto-review` stood for on `date` (`YYYY-MM-DD` as written); `gpt-5` for a
/// date that is not a real one.
fn auto_review_model(date: Option<&str>) -> &'static str {
    let Some(date) = date.filter(|d| crate::report::parse_date(d).is_ok()) else {
        return FALLBACK_MODEL;
    };
    AUTO_REVIEW_RELEASES
        .iter()
        .find(|(released, _)| date >= *released)
        .map_or(FALLBACK_MODEL, |(_, model)| model)
}

#[cfg(test)]
#[path = "usage_tests.rs"]
mod tests;
