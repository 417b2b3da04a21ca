//! OpenAI prices for Codex, **a stop-gap table**: to be replaced by the shared data-driven price
//! table (`src/price/`, LiteLLM-shaped JSON) behind the same [`price_of`].
//!
//! Every value is ccusage 20.0.24's, taken from what its binary embeds (raw-deflate blobs in
//! `.tools/node_modules/@ccusage/ccusage-linux-x64/bin/ccusage`):
//! - input / output / cache read: its LiteLLM snapshot (`gpt-5.3-codex-spark`: its models.dev
//!   snapshot, the only one that names it);
//! - long context (a request whose input, cached included, is above 272,000 tokens bills all of
//!   it at these rates): the `tiers` of its models.dev snapshot;
//! - fast multiplier: its `fast-multiplier-overrides.json` (gpt-5.3-codex, 5.4: 2; 5.5: 2.5;
//!   5.6 family, 6-astra: 2; everything else 1, i.e. fast costs the same);
//! - cache write: LiteLLM's `cache_creation_input_token_cost` where given, else what ccusage
//!   bills (1.25 × input, but 1 × input for gpt-5.1-codex, gpt-5.2 and gpt-5.2-codex).
//!
//! Each row was checked by running ccusage on one request per price bucket
//! (docs/ccusage-compat.md, "Codex", Prices) and is re-checked by
//! `tests/it/parity_codex.rs::every_table_price_is_ccusages`.
//!
//! Not here (ccusage prices them, ccsync reports them unpriced for now): o3, o4-mini,
//! gpt-4.x, gpt-oss-*, and every key of the snapshots a name only fuzzily matches outside
//! this table.

/// USD per token. `cache_read: None`: ccusage bills cached input at the input rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rates {
    pub input: f64,
    pub cache_read: Option<f64>,
    pub cache_write: f64,
    pub output: f64,
}

impl Rates {
    pub(crate) fn cache_read(&self) -> f64 {
        self.cache_read.unwrap_or(self.input)
    }
}

/// One model's prices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct OpenAiPrice {
    pub base: Rates,
    /// Rates of long-context requests (input above [`LONG_CONTEXT_TOKENS`]); `None`: as `base`.
    pub long: Option<Rates>,
    /// Fast / priority service tier: the whole cost times this.
    pub fast_multiplier: f64,
}

/// Requests with more input tokens than this (cached ones included) are long-context.
pub(crate) const LONG_CONTEXT_TOKENS: u64 = 272_000;

/// models.dev's per-million prices become per-token ones by this division (as in ccusage).
const M: f64 = 1e6;

const fn rates(input: f64, cache_read: f64, output: f64, cache_write: f64) -> Rates {
    Rates {
        input,
        cache_read: Some(cache_read),
        cache_write,
        output,
    }
}

/// A model without a cache-read price (the pro models): cached input costs the input rate.
const fn uncached(input: f64, output: f64, cache_write: f64) -> Rates {
    Rates {
        input,
        cache_read: None,
        cache_write,
        output,
    }
}

const fn flat(base: Rates) -> OpenAiPrice {
    OpenAiPrice {
        base,
        long: None,
        fast_multiplier: 1.0,
    }
}

const fn tiered(base: Rates, long: Rates, fast_multiplier: f64) -> OpenAiPrice {
    OpenAiPrice {
        base,
        long: Some(long),
        fast_multiplier,
    }
}

/// (model, price). Per-token values are written as the snapshots write them (`1.75e-06`), so
/// the arithmetic is ccusage's to the bit.
const TABLE: &[(&str, OpenAiPrice)] = &[
    (
        "gpt-5",
        flat(rates(1.25e-06, 1.25e-07, 1e-05, 1.25 * 1.25e-06)),
    ),
    (
        "gpt-5-codex",
        flat(rates(1.25e-06, 1.25e-07, 1e-05, 1.25 * 1.25e-06)),
    ),
    (
        "gpt-5-mini",
        flat(rates(2.5e-07, 2.5e-08, 2e-06, 1.25 * 2.5e-07)),
    ),
    ("gpt-5-nano", flat(rates(5e-08, 5e-09, 4e-07, 1.25 * 5e-08))),
    (
        "gpt-5-pro",
        flat(uncached(1.5e-05, 0.00012, 1.25 * 1.5e-05)),
    ),
    (
        "gpt-5.1",
        flat(rates(1.25e-06, 1.25e-07, 1e-05, 1.25 * 1.25e-06)),
    ),
    (
        "gpt-5.1-codex",
        flat(rates(1.25e-06, 1.25e-07, 1e-05, 1.25e-06)),
    ),
    (
        "gpt-5.1-codex-max",
        flat(rates(1.25e-06, 1.25e-07, 1e-05, 1.25 * 1.25e-06)),
    ),
    (
        "gpt-5.1-codex-mini",
        flat(rates(2.5e-07, 2.5e-08, 2e-06, 1.25 * 2.5e-07)),
    ),
    (
        "gpt-5.2",
        flat(rates(1.75e-06, 1.75e-07, 1.4e-05, 1.75e-06)),
    ),
    (
        "gpt-5.2-codex",
        flat(rates(1.75e-06, 1.75e-07, 1.4e-05, 1.75e-06)),
    ),
    (
        "gpt-5.2-pro",
        flat(uncached(2.1e-05, 0.000168, 1.25 * 2.1e-05)),
    ),
    (
        "gpt-5.3-codex",
        OpenAiPrice {
            fast_multiplier: 2.0,
            ..flat(rates(1.75e-06, 1.75e-07, 1.4e-05, 1.25 * 1.75e-06))
        },
    ),
    (
        "gpt-5.3-codex-spark",
        flat(rates(1.75 / M, 0.175 / M, 14.0 / M, 1.25 * (1.75 / M))),
    ),
    (
        "gpt-5.4",
        tiered(
            rates(2.5e-06, 2.5e-07, 1.5e-05, 1.25 * 2.5e-06),
            rates(5.0 / M, 0.5 / M, 22.5 / M, 1.25 * 2.5e-06),
            2.0,
        ),
    ),
    (
        "gpt-5.4-mini",
        flat(rates(7.5e-07, 7.5e-08, 4.5e-06, 1.25 * 7.5e-07)),
    ),
    (
        "gpt-5.4-nano",
        flat(rates(2e-07, 2e-08, 1.25e-06, 1.25 * 2e-07)),
    ),
    (
        "gpt-5.4-pro",
        tiered(
            uncached(3e-05, 0.00018, 1.25 * 3e-05),
            uncached(60.0 / M, 270.0 / M, 1.25 * 3e-05),
            1.0,
        ),
    ),
    (
        "gpt-5.5",
        tiered(
            rates(5e-06, 5e-07, 3e-05, 1.25 * 5e-06),
            rates(10.0 / M, 1.0 / M, 45.0 / M, 1.25 * 5e-06),
            2.5,
        ),
    ),
    (
        "gpt-5.5-pro",
        tiered(
            uncached(3e-05, 0.00018, 1.25 * 3e-05),
            uncached(60.0 / M, 270.0 / M, 1.25 * 3e-05),
            1.0,
        ),
    ),
    (
        "gpt-5.6",
        tiered(
            rates(4e-06, 4e-07, 2e-05, 5e-06),
            rates(8.0 / M, 0.8 / M, 30.0 / M, 10.0 / M),
            2.0,
        ),
    ),
    (
        "gpt-5.6-luna",
        tiered(
            rates(2e-07, 2e-08, 1.2e-06, 2.5e-07),
            rates(0.4 / M, 0.04 / M, 1.8 / M, 0.5 / M),
            2.0,
        ),
    ),
    (
        "gpt-5.6-sol",
        tiered(
            rates(4e-06, 4e-07, 2e-05, 5e-06),
            rates(8.0 / M, 0.8 / M, 30.0 / M, 10.0 / M),
            2.0,
        ),
    ),
    (
        "gpt-5.6-terra",
        tiered(
            rates(2e-06, 2e-07, 1.2e-05, 2.5e-06),
            rates(4.0 / M, 0.4 / M, 18.0 / M, 5.0 / M),
            2.0,
        ),
    ),
    (
        "gpt-6-astra",
        tiered(
            rates(1e-05, 1e-06, 5e-05, 1.25e-05),
            rates(20.0 / M, 2.0 / M, 75.0 / M, 25.0 / M),
            2.0,
        ),
    ),
];

/// Every model of the table, for tests that check it against ccusage.
pub(crate) fn models() -> impl Iterator<Item = &'static str> {
    TABLE.iter().map(|(name, _)| *name)
}

/// The price ccusage uses for `model`: the exact key, else the longest key of the table the name
/// contains (or is contained in) between non-alphanumeric boundaries, as ccusage's lookup does
/// (`gpt-5.3-codex-high` → `gpt-5.3-codex`; `gpt-5.1` never matches `gpt-5.1x` nor `gpt-5.10`).
pub(crate) fn price_of(model: &str) -> Option<OpenAiPrice> {
    if model.is_empty() {
        return None;
    }
    if let Some((_, price)) = TABLE.iter().find(|(key, _)| *key == model) {
        return Some(*price);
    }
    TABLE
        .iter()
        .filter(|(key, _)| contains_key(model, key) || contains_key(key, model))
        .max_by(|(a, _), (b, _)| a.len().cmp(&b.len()).then_with(|| b.cmp(a)))
        .map(|(_, price)| *price)
}

/// `key` inside `value`, not glued to letters or digits, and not followed by `-N`/`.N` (another
/// version) when it ends in a digit — a following 8-digit date is fine.
fn contains_key(value: &str, key: &str) -> bool {
    value.match_indices(key).any(|(at, _)| {
        let before = at == 0 || !value.as_bytes()[at - 1].is_ascii_alphanumeric();
        before && suffix_allows(key, &value[at + key.len()..])
    })
}

fn suffix_allows(key: &str, suffix: &str) -> bool {
    let Some(&next) = suffix.as_bytes().first() else {
        return true;
    };
    if next.is_ascii_alphanumeric() {
        return false;
    }
    if !key.as_bytes().last().is_some_and(u8::is_ascii_digit) || !matches!(next, b'-' | b'.') {
        return true;
    }
    let rest = &suffix.as_bytes()[1..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    digits == 0 || (digits == 8 && rest.get(8).is_none_or(|b| !b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_like_ccusage() {
        let input = |m: &str| price_of(m).map(|p| p.base.input);
        assert_eq!(input("gpt-5.3-codex"), Some(1.75e-06));
        // Effort suffixes and provider prefixes keep the model's price.
        assert_eq!(input("gpt-5.3-codex-high"), Some(1.75e-06));
        assert_eq!(input("openai/gpt-5.4"), Some(2.5e-06));
        assert_eq!(input("gpt-5-codex-mini"), Some(1.25e-06));
        // A key ending in a digit does not match another version.
        assert_eq!(input("gpt-5.10"), None);
        // A date suffix is not another version (dated keys of the snapshots are not in the table).
        assert_eq!(input("gpt-5-20250807"), Some(1.25e-06));
        assert_eq!(input("gpt-9-mystery"), None);
        assert_eq!(input(""), None);
    }

    #[test]
    fn long_context_and_fast_are_only_where_ccusage_has_them() {
        let p = price_of("gpt-5.5").unwrap();
        assert_eq!(p.fast_multiplier, 2.5);
        assert_eq!(p.long.unwrap().input, 10.0 / M);
        let spark = price_of("gpt-5.3-codex-spark").unwrap();
        assert_eq!((spark.fast_multiplier, spark.long), (1.0, None));
        assert_eq!(price_of("gpt-5-pro").unwrap().base.cache_read(), 1.5e-05);
    }
}
