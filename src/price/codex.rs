//! OpenAI usage as ccusage's Codex report prices it, which differs from a Claude response:
//! cached input without a listed cache-read price costs the full input rate (not 0.1 ×), and
//! the higher tier applies to whole requests whose input exceeds the model's long-context
//! threshold (272,000 tokens for GPT-5.4 and later, from models.dev; else 200,000).
//! Splitting usage into short and long requests is the reader's job, per request; this prices
//! the sums.

use super::rates::{ModelPrice, TIER_THRESHOLD};
use super::table::{self, PriceTable};

/// Sums of OpenAI token counts. `input` includes the cached and cache-write tokens, as Codex
/// logs them; the `long_*` fields are the part of each from long-context requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CodexTokens {
    pub input: u64,
    pub cached: u64,
    pub cache_write: u64,
    pub output: u64,
    pub long_input: u64,
    pub long_cached: u64,
    pub long_cache_write: u64,
    pub long_output: u64,
}

impl CodexTokens {
    /// One request's tokens, long-context if its input exceeds `threshold`
    /// ([`codex_long_context_threshold`] of its model).
    #[must_use]
    pub fn request(input: u64, cached: u64, cache_write: u64, output: u64, threshold: u64) -> Self {
        let short = CodexTokens {
            input,
            cached,
            cache_write,
            output,
            ..Default::default()
        };
        if input > threshold {
            CodexTokens {
                long_input: input,
                long_cached: cached,
                long_cache_write: cache_write,
                long_output: output,
                ..short
            }
        } else {
            short
        }
    }
}

impl ModelPrice {
    /// The cost of Codex usage at the standard tier, with ccusage's order of operations.
    #[must_use]
    pub fn codex_cost(&self, t: &CodexTokens) -> f64 {
        let cache_read = if self.cache_read_listed {
            self.cache_read
        } else {
            self.input
        };
        let long_input_rate = self.input_above_200k.unwrap_or(self.input);
        let long_cache_read = if self.cache_read_listed {
            self.cache_read_above_200k.unwrap_or(cache_read)
        } else {
            long_input_rate
        };
        let long_cache_write = self.cache_write_above_200k.unwrap_or(self.cache_write);
        let long_output_rate = self.output_above_200k.unwrap_or(self.output);
        // Each long part is at most its bucket, and the long cached and cache-write tokens at
        // most the long input.
        let long_input = t.long_input.min(t.input);
        let long_cached = t.long_cached.min(t.cached).min(long_input);
        let long_written = t
            .long_cache_write
            .min(t.cache_write)
            .min(long_input.saturating_sub(long_cached));
        let long_output = t.long_output.min(t.output);
        let short_cached = t.cached.saturating_sub(long_cached);
        let short_written = t.cache_write.saturating_sub(long_written);
        let short_plain = t
            .input
            .saturating_sub(long_input)
            .saturating_sub(short_cached.saturating_add(short_written));
        let long_plain = long_input.saturating_sub(long_cached.saturating_add(long_written));
        short_plain as f64 * self.input
            + short_cached as f64 * cache_read
            + short_written as f64 * self.cache_write
            + (t.output - long_output) as f64 * self.output
            + long_plain as f64 * long_input_rate
            + long_cached as f64 * long_cache_read
            + long_written as f64 * long_cache_write
            + long_output as f64 * long_output_rate
    }
}

/// The cost of `model`'s Codex usage `tokens`, of which `fast` ran on the fast/priority
/// service tier (billed at the model's fast multiplier); `None` for an unknown model.
#[must_use]
pub fn codex_cost(model: &str, tokens: &CodexTokens, fast: &CodexTokens) -> Option<f64> {
    let price = super::lookup(model)?;
    let standard = price.codex_cost(tokens);
    Some(if *fast == CodexTokens::default() {
        standard
    } else {
        standard + price.codex_cost(fast) * (price.fast_multiplier - 1.0)
    })
}

/// The input size above which a request of `model` is long-context: the threshold of the
/// fallback (models.dev) entry named by the model without its date suffix (or by its alias),
/// else 200,000. Looked up by name, as ccusage does, not through the entry that prices it.
#[must_use]
pub fn codex_long_context_threshold(model: &str) -> u64 {
    long_context_threshold(table::global(), model)
}

pub(crate) fn long_context_threshold(table: &PriceTable, model: &str) -> u64 {
    let base = without_date(model);
    let alias = table.aliases.get(base).map_or(base, String::as_str);
    table
        .fallback
        .get(alias)
        .or_else(|| table.fallback.get(base))
        .and_then(|entry| entry.price.whole_request_threshold)
        .unwrap_or(TIER_THRESHOLD)
}

/// The name without a trailing `-YYYY-MM-DD` or `-YYYYMMDD`.
fn without_date(model: &str) -> &str {
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let dashed = model.len() > 11
        && model.is_char_boundary(model.len() - 11)
        && model[model.len() - 11..]
            .split('-')
            .skip(1)
            .map(str::len)
            .eq([4, 2, 2])
        && model[model.len() - 10..].split('-').all(digits);
    if dashed {
        return &model[..model.len() - 11];
    }
    let compact = model.len() > 9
        && model.is_char_boundary(model.len() - 9)
        && model[model.len() - 9..].starts_with('-')
        && digits(&model[model.len() - 8..]);
    if compact {
        return &model[..model.len() - 9];
    }
    model
}
