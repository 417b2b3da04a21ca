//! What Codex requests cost, by the shared price table's Codex rules (`crate::price`, one
//! place for every formula): tokens summed per model (per day in a report), each request's in
//! the long-context part when its input, cached included, exceeds the model's threshold; then
//! priced, fast-tier requests adding `(multiplier − 1) ×` their own cost.

use super::line::RawUsage;
use crate::price::{CodexTokens, codex_cost, codex_long_context_threshold};

/// Token sums of some requests of one model, split by context length.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Bucket(CodexTokens);

impl Bucket {
    /// One request of `model`: in the long-context part when its input exceeds the model's
    /// threshold.
    pub(crate) fn request(model: &str, u: &RawUsage) -> Bucket {
        let threshold = codex_long_context_threshold(model);
        Bucket(CodexTokens::request(
            u.input,
            u.cached,
            u.cache_write,
            u.output,
            threshold,
        ))
    }

    /// Adds the requests of `other` (of the same model).
    pub(crate) fn add(&mut self, other: &Bucket) {
        let (t, o) = (&mut self.0, &other.0);
        for (sum, part) in [
            (&mut t.input, o.input),
            (&mut t.cached, o.cached),
            (&mut t.cache_write, o.cache_write),
            (&mut t.output, o.output),
            (&mut t.long_input, o.long_input),
            (&mut t.long_cached, o.long_cached),
            (&mut t.long_cache_write, o.long_cache_write),
            (&mut t.long_output, o.long_output),
        ] {
            *sum = sum.saturating_add(part);
        }
    }
}

/// The cost of `all` requests of `model` of which `fast` were on the fast tier; `None` when
/// the model has no price.
pub(crate) fn cost(model: &str, all: &Bucket, fast: &Bucket) -> Option<f64> {
    codex_cost(model, &all.0, &fast.0)
}

/// One request's cost.
pub(crate) fn of_request(model: &str, usage: &RawUsage, fast: bool) -> Option<f64> {
    let request = Bucket::request(model, usage);
    let none = Bucket::default();
    cost(model, &request, if fast { &request } else { &none })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input: u64, cached: u64, cache_write: u64, output: u64) -> RawUsage {
        RawUsage {
            input,
            cached,
            cache_write,
            output,
            reasoning: 0,
            total: input + output,
        }
    }

    #[test]
    fn long_context_bills_the_whole_request_at_the_long_rates() {
        let c = |u| of_request("gpt-5.4", &u, false).unwrap();
        // ccusage: 272,000 input → 0.68 (normal); 272,001 → 1.360005 (long).
        assert_eq!(c(usage(272_000, 0, 0, 0)), 0.68);
        assert!((c(usage(272_001, 0, 0, 0)) - 1.360005).abs() < 1e-12);
        // 300k input (200k cached) + 100k output → 2.85.
        assert!((c(usage(300_000, 200_000, 0, 100_000)) - 2.85).abs() < 1e-12);
    }

    #[test]
    fn cache_writes_leave_non_cached_input_and_fast_multiplies() {
        // ccusage: input 100 = 20 cached + 30 written + 50 → 0.000211875.
        let c = of_request("gpt-5", &usage(100, 20, 30, 10), false).unwrap();
        assert!((c - 0.000211875).abs() < 1e-15, "{c}");
        let fast = |model| of_request(model, &usage(1_000_000, 0, 0, 0), true).unwrap();
        assert_eq!(fast("gpt-5.3-codex"), 3.5);
        assert_eq!(fast("gpt-5.2"), 1.75);
    }
}
