//! One model's rates and what a Claude Code response costs at them.

/// Token counts of one response, split into the buckets that are priced
/// differently.
///
/// Mapping from a transcript's `message.usage`, as ccusage does it: when a
/// `cache_creation` object is present, `cache_creation_5m` /
/// `cache_creation_1h` are its `ephemeral_5m_input_tokens` /
/// `ephemeral_1h_input_tokens` (and `cache_creation_input_tokens` is not
/// priced); without it, all of `cache_creation_input_tokens` is 5-minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TokenCounts {
    pub input: u64,
    pub output: u64,
    pub cache_creation_5m: u64,
    pub cache_creation_1h: u64,
    pub cache_read: u64,
}

impl TokenCounts {
    /// All tokens of the response: ccusage's `totalTokens` contribution, and
    /// the size it compares to keep the larger of two duplicate lines.
    #[must_use]
    pub const fn total(&self) -> u64 {
        self.input
            .saturating_add(self.output)
            .saturating_add(self.cache_creation_5m)
            .saturating_add(self.cache_creation_1h)
            .saturating_add(self.cache_read)
    }
}

/// Prices of one model, USD per token, as a price file's entry gives them
/// (missing cache prices already defaulted: write 1.25 ×, read 0.1 × input).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelPrice {
    pub input: f64,
    pub output: f64,
    /// 5-minute cache writes. 1-hour writes cost `2 * input`.
    pub cache_write: f64,
    pub cache_read: f64,
    /// Whether the entry lists its cache-read price (`cache_read` is not the
    /// 0.1 × input default): ccusage's Codex report bills cached input at the
    /// input rate otherwise.
    pub cache_read_listed: bool,
    /// Higher rates; where one is `None` that bucket keeps its base rate.
    pub input_above_200k: Option<f64>,
    pub output_above_200k: Option<f64>,
    pub cache_write_above_200k: Option<f64>,
    pub cache_read_above_200k: Option<f64>,
    /// `None` (LiteLLM's `*_above_200k_tokens`): each bucket on its own bills
    /// its first 200,000 tokens at the base rate and the rest at the higher
    /// rate. `Some(n)` (models.dev's context tiers): once the input, cache
    /// write and cache read tokens together exceed `n`, every token of the
    /// response is billed at the higher rates.
    pub whole_request_threshold: Option<u64>,
    /// Multiplies the whole cost of a response with `usage.speed == "fast"`
    /// (and of Codex usage on the fast/priority service tier).
    pub fast_multiplier: f64,
}

/// Tokens per bucket billed at the base rate before the higher tier starts.
pub const TIER_THRESHOLD: u64 = 200_000;

impl ModelPrice {
    /// The cost of one response in USD, with ccusage's order of operations.
    #[must_use]
    pub fn cost(&self, tokens: &TokenCounts, fast: bool) -> f64 {
        let cost = match self.whole_request_threshold {
            Some(threshold) => self.whole_request_cost(tokens, threshold),
            None => self.per_bucket_cost(tokens),
        };
        if fast {
            cost * self.fast_multiplier
        } else {
            cost
        }
    }

    /// 1-hour cache writes: twice the input rate, above the tier too.
    fn cache_1h(&self) -> (f64, Option<f64>) {
        (
            self.input * 2.0,
            self.input_above_200k.map(|rate| rate * 2.0),
        )
    }

    fn per_bucket_cost(&self, tokens: &TokenCounts) -> f64 {
        let (cache_1h, cache_1h_above) = self.cache_1h();
        tiered(tokens.input, self.input, self.input_above_200k)
            + tiered(tokens.output, self.output, self.output_above_200k)
            + tiered(
                tokens.cache_creation_5m,
                self.cache_write,
                self.cache_write_above_200k,
            )
            + tiered(tokens.cache_creation_1h, cache_1h, cache_1h_above)
            + tiered(
                tokens.cache_read,
                self.cache_read,
                self.cache_read_above_200k,
            )
    }

    fn whole_request_cost(&self, tokens: &TokenCounts, threshold: u64) -> f64 {
        let context = tokens
            .input
            .saturating_add(tokens.cache_read)
            .saturating_add(tokens.cache_creation_5m)
            .saturating_add(tokens.cache_creation_1h);
        let long = context > threshold;
        let rate = |base: f64, above: Option<f64>| match above {
            Some(above) if long => above,
            _ => base,
        };
        let (cache_1h, cache_1h_above) = self.cache_1h();
        tokens.input as f64 * rate(self.input, self.input_above_200k)
            + tokens.output as f64 * rate(self.output, self.output_above_200k)
            + tokens.cache_creation_5m as f64 * rate(self.cache_write, self.cache_write_above_200k)
            + tokens.cache_creation_1h as f64 * rate(cache_1h, cache_1h_above)
            + tokens.cache_read as f64 * rate(self.cache_read, self.cache_read_above_200k)
    }
}

fn tiered(tokens: u64, base: f64, above: Option<f64>) -> f64 {
    match above {
        _ if tokens == 0 => 0.0,
        Some(above) if tokens > TIER_THRESHOLD => {
            TIER_THRESHOLD as f64 * base + (tokens - TIER_THRESHOLD) as f64 * above
        }
        _ => tokens as f64 * base,
    }
}
