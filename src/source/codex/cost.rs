//! What requests cost, as ccusage 20.0.24 bills Codex: tokens summed per model (per day in a
//! report) into two buckets, normal and long-context (requests whose input, cached included,
//! is above 272,000 tokens: all their tokens at the long rates), then
//! `non-cached input × input + cached × cache read + cache writes × cache write + output ×
//! output` in each; fast-tier requests add `(multiplier − 1) ×` their own cost.

use super::line::RawUsage;
use super::prices::{LONG_CONTEXT_TOKENS, OpenAiPrice, Rates};

/// Token sums of some requests, split by context length.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Bucket {
    pub normal: Part,
    pub long: Part,
}

/// `input` includes `cached` and `cache_write`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Part {
    pub input: u64,
    pub cached: u64,
    pub cache_write: u64,
    pub output: u64,
}

impl Bucket {
    /// Adds one request.
    pub(crate) fn add(&mut self, u: &RawUsage) {
        let part = if u.input > LONG_CONTEXT_TOKENS {
            &mut self.long
        } else {
            &mut self.normal
        };
        part.input = part.input.saturating_add(u.input);
        part.cached = part.cached.saturating_add(u.cached);
        part.cache_write = part.cache_write.saturating_add(u.cache_write);
        part.output = part.output.saturating_add(u.output);
    }

    /// USD at `price` (standard tier).
    pub(crate) fn cost(&self, price: &OpenAiPrice) -> f64 {
        self.normal.cost(&price.base) + self.long.cost(price.long.as_ref().unwrap_or(&price.base))
    }
}

impl Part {
    fn cost(&self, r: &Rates) -> f64 {
        let non_cached = self
            .input
            .saturating_sub(self.cached)
            .saturating_sub(self.cache_write);
        // In this order the sums are ccusage's to the last bit on every crafted case and all but
        // one day of the real fixture (1 ulp off there: its exact order is not known).
        non_cached as f64 * r.input
            + self.cached as f64 * r.cache_read()
            + self.cache_write as f64 * r.cache_write
            + self.output as f64 * r.output
    }
}

/// The cost of `all` requests of a model of which `fast` were on the fast tier.
pub(crate) fn cost(price: &OpenAiPrice, all: &Bucket, fast: &Bucket) -> f64 {
    let standard = all.cost(price);
    if price.fast_multiplier == 1.0 || *fast == Bucket::default() {
        return standard;
    }
    standard + fast.cost(price) * (price.fast_multiplier - 1.0)
}

/// One request's cost.
pub(crate) fn of_request(price: &OpenAiPrice, usage: &RawUsage, fast: bool) -> f64 {
    let mut bucket = Bucket::default();
    bucket.add(usage);
    let none = Bucket::default();
    cost(price, &bucket, if fast { &bucket } else { &none })
}

#[cfg(test)]
mod tests {
    use super::super::prices::price_of;
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
        let p = price_of("gpt-5.4").unwrap();
        // ccusage: 272,000 input → 0.68 (normal); 272,001 → 1.360005 (long).
        assert_eq!(of_request(&p, &usage(272_000, 0, 0, 0), false), 0.68);
        assert!((of_request(&p, &usage(272_001, 0, 0, 0), false) - 1.360005).abs() < 1e-12);
        // 300k input (200k cached) + 100k output → 2.85.
        assert!((of_request(&p, &usage(300_000, 200_000, 0, 100_000), false) - 2.85).abs() < 1e-12);
    }

    #[test]
    fn cache_writes_leave_non_cached_input_and_fast_multiplies() {
        let p = price_of("gpt-5").unwrap();
        // ccusage: input 100 = 20 cached + 30 written + 50 → 0.000211875.
        let c = of_request(&p, &usage(100, 20, 30, 10), false);
        assert!((c - 0.000211875).abs() < 1e-15, "{c}");
        let p = price_of("gpt-5.3-codex").unwrap();
        assert_eq!(of_request(&p, &usage(1_000_000, 0, 0, 0), true), 3.5);
        let p = price_of("gpt-5.2").unwrap();
        assert_eq!(of_request(&p, &usage(1_000_000, 0, 0, 0), true), 1.75);
    }
}
