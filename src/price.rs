//! Offline model pricing that reproduces ccusage 20.0.24 (`--offline`) to the
//! last bit for every Claude model name it can price.
//!
//! Pure and I/O-free. The tables are ccusage's embedded pricing restricted to
//! keys containing `claude`: its LiteLLM snapshot plus its built-in entries
//! (`PRIMARY`) and its models.dev snapshot (`FALLBACK`), consulted only
//! when the primary table has no match, exactly as ccusage does.
//!
//! Canonical prices, USD per million tokens (input / output / 5-minute cache
//! write / cache read; "above 200k" = the rate for every token of a bucket past
//! its first 200,000):
//!
//! | model                                   | base                   | above 200k           | fast |
//! |-----------------------------------------|------------------------|----------------------|------|
//! | claude-opus-4(-20250514), 4-1(-20250805)| 15 / 75 / 18.75 / 1.50 | —                    | ×1   |
//! | claude-opus-4-5(-20251101)              | 5 / 25 / 6.25 / 0.50   | —                    | ×1   |
//! | claude-opus-4-6, claude-opus-4-7        | 5 / 25 / 6.25 / 0.50   | —                    | ×6   |
//! | claude-opus-4-8, claude-opus-5          | 5 / 25 / 6.25 / 0.50   | —                    | ×2   |
//! | claude-sonnet-4(-20250514), 4-5(-20250929) | 3 / 15 / 3.75 / 0.30 | 6 / 22.5 / 7.5 / 0.60 | ×1 |
//! | claude-sonnet-4-6                       | 3 / 15 / 3.75 / 0.30   | —                    | ×1   |
//! | claude-sonnet-5                         | 2 / 10 / 2.5 / 0.20    | —                    | ×1   |
//! | claude-haiku-4-5(-20251001)             | 1 / 5 / 1.25 / 0.10    | —                    | ×1   |
//! | claude-3-7-sonnet-20250219, claude-3-5-sonnet-20241022 | 3 / 15 / 3.75 / 0.30 | — | ×1 |
//! | claude-3-5-haiku(-20241022)             | 0.80 / 4 / 1 / 0.08    | —                    | ×1   |
//! | claude-3-opus(-20240229)                | 15 / 75 / 18.75 / 1.50 | —                    | ×1   |
//! | claude-3-haiku(-20240307)               | 0.25 / 1.25 / 0.30 / 0.03 | —                 | ×1   |
//! | claude-fable-5, claude-mythos-5 / -preview | 10 / 50 / 12.5 / 1.00 | —                   | ×1   |
//! | claude-fable-5-1, claude-mythos-5-1     | 10 / 50 / 12.5 / 0.25  | —                    | ×1   |
//!
//! 1-hour cache writes cost 2 × the input rate (2 × the above-200k input rate
//! past 200k). Bedrock/Vertex spellings (`us.anthropic.…-v1:0`,
//! `claude-…@20250514`, `claude-…@eu`, …) carry their own, sometimes regional,
//! prices. Any other spelling is resolved like ccusage: exact key first, then
//! the longest key that contains, or is contained in, the name at
//! non-alphanumeric boundaries (`.`/`@` read as `-`; a key ending in a digit
//! never matches before `-<digits>` unless those are an 8-digit date), so
//! `claude-opus-4-6[1m]` prices as `claude-opus-4-6`, but `claude-opus-4-0` is
//! unknown.
//!
//! Not covered: non-Claude models (GLM, Kimi, GPT, … which ccusage also
//! prices), user pricing overrides and `CCUSAGE_MODEL_ALIASES`.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, OnceLock, PoisonError};

/// How a message's cost is derived, as ccusage's `--mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CostMode {
    /// `costUSD` from the line when present, else calculated from tokens.
    #[default]
    Auto,
    /// Always calculated from tokens.
    Calculate,
    /// `costUSD` from the line, else 0.
    Display,
}

impl CostMode {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            CostMode::Auto => "auto",
            CostMode::Calculate => "calculate",
            CostMode::Display => "display",
        }
    }
}

impl fmt::Display for CostMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a cost mode name other than `auto`, `calculate` or `display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseCostModeError(String);

impl fmt::Display for ParseCostModeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid cost mode {:?} (expected auto, calculate or display)",
            self.0
        )
    }
}

impl std::error::Error for ParseCostModeError {}

impl FromStr for CostMode {
    type Err = ParseCostModeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(CostMode::Auto),
            "calculate" => Ok(CostMode::Calculate),
            "display" => Ok(CostMode::Display),
            other => Err(ParseCostModeError(other.to_owned())),
        }
    }
}

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

/// Prices of one model, USD per token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelPrice {
    pub input: f64,
    pub output: f64,
    /// 5-minute cache writes. 1-hour writes cost `2 * input`.
    pub cache_write: f64,
    pub cache_read: f64,
    /// Higher rates; where one is `None` that bucket keeps its base rate.
    pub input_above_200k: Option<f64>,
    pub output_above_200k: Option<f64>,
    pub cache_write_above_200k: Option<f64>,
    pub cache_read_above_200k: Option<f64>,
    /// `None` (all LiteLLM-sourced prices): each bucket on its own bills its
    /// first 200,000 tokens at the base rate and the rest at the higher rate.
    /// `Some(n)` (some models.dev-sourced spellings): once the input, cache
    /// write and cache read tokens together exceed `n`, every token of the
    /// response is billed at the higher rates.
    pub whole_request_threshold: Option<u64>,
    /// Multiplies the whole cost of a response with `usage.speed == "fast"`.
    pub fast_multiplier: f64,
}

/// Tokens per bucket billed at the base rate before the higher tier starts.
pub const TIER_THRESHOLD: u64 = 200_000;

impl ModelPrice {
    /// The cost of one response in USD, with ccusage's order of operations.
    #[must_use]
    pub fn cost(&self, tokens: &TokenCounts, fast: bool) -> f64 {
        let cache_1h = self.input * 2.0;
        let cache_1h_above = self.input_above_200k.map(|rate| rate * 2.0);
        let cost = match self.whole_request_threshold {
            Some(threshold) => {
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
                tokens.input as f64 * rate(self.input, self.input_above_200k)
                    + tokens.output as f64 * rate(self.output, self.output_above_200k)
                    + tokens.cache_creation_5m as f64
                        * rate(self.cache_write, self.cache_write_above_200k)
                    + tokens.cache_creation_1h as f64 * rate(cache_1h, cache_1h_above)
                    + tokens.cache_read as f64 * rate(self.cache_read, self.cache_read_above_200k)
            }
            None => {
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
        };
        if fast {
            cost * self.fast_multiplier
        } else {
            cost
        }
    }

    const fn above(
        self,
        input: Option<f64>,
        output: Option<f64>,
        cache_write: Option<f64>,
        cache_read: Option<f64>,
    ) -> Self {
        ModelPrice {
            input_above_200k: input,
            output_above_200k: output,
            cache_write_above_200k: cache_write,
            cache_read_above_200k: cache_read,
            ..self
        }
    }

    const fn whole(
        self,
        threshold: u64,
        input: Option<f64>,
        output: Option<f64>,
        cache_write: Option<f64>,
        cache_read: Option<f64>,
    ) -> Self {
        ModelPrice {
            whole_request_threshold: Some(threshold),
            ..self.above(input, output, cache_write, cache_read)
        }
    }

    const fn fast(self, multiplier: f64) -> Self {
        ModelPrice {
            fast_multiplier: multiplier,
            ..self
        }
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

/// The cost of one message and whether its model could not be priced.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Cost {
    pub usd: f64,
    /// The cost had to be calculated, the message has tokens, and the model is
    /// unknown (so `usd` is 0): ccusage's "missing pricing" condition.
    pub unknown_model: bool,
}

/// The model name of API-error placeholder lines; costs 0.
pub const SYNTHETIC_MODEL: &str = "<synthetic>";

/// Prices of `model` as ccusage resolves them offline, or `None` if it has
/// none (`<synthetic>` included).
#[must_use]
pub fn lookup(model: &str) -> Option<&'static ModelPrice> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<&'static ModelPrice>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(&hit) = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(model)
    {
        return hit;
    }
    let found = resolve(model);
    cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(model.to_owned(), found);
    found
}

/// Cost in USD of one response calculated from its tokens; `None` for an
/// unknown model, `Some(0.0)` for `<synthetic>` and for a line without a model
/// (ccusage prices neither, nor calls them unpriced; an empty name would
/// otherwise "contain" every key of the table).
#[must_use]
pub fn calculate_cost(model: &str, tokens: &TokenCounts, fast: bool) -> Option<f64> {
    if model == SYNTHETIC_MODEL || model.is_empty() {
        return Some(0.0);
    }
    lookup(model).map(|price| price.cost(tokens, fast))
}

/// Cost of one message under `mode`; `reported_cost_usd` is the line's
/// `costUSD`.
#[must_use]
pub fn message_cost(
    mode: CostMode,
    reported_cost_usd: Option<f64>,
    model: &str,
    tokens: &TokenCounts,
    fast: bool,
) -> Cost {
    match (mode, reported_cost_usd) {
        (CostMode::Display, reported) => Cost {
            usd: reported.unwrap_or(0.0),
            unknown_model: false,
        },
        (CostMode::Auto, Some(reported)) => Cost {
            usd: reported,
            unknown_model: false,
        },
        (CostMode::Auto | CostMode::Calculate, _) => match calculate_cost(model, tokens, fast) {
            Some(usd) => Cost {
                usd,
                unknown_model: false,
            },
            None => Cost {
                usd: 0.0,
                unknown_model: *tokens != TokenCounts::default(),
            },
        },
    }
}

/// The model name ccusage reports (`modelsUsed`, `modelBreakdowns`): `<model>-fast`
/// for fast responses, else the name unchanged. (ccusage leaves
/// `<synthetic>` messages out of `modelsUsed` and `modelBreakdowns`.)
#[must_use]
pub fn display_model(model: &str, fast: bool) -> String {
    if fast {
        format!("{model}-fast")
    } else {
        model.to_owned()
    }
}

fn resolve(model: &str) -> Option<&'static ModelPrice> {
    if model == SYNTHETIC_MODEL || model.is_empty() {
        return None;
    }
    // The primary table may not fuzzy-match a name that is a spelling of an
    // exact-only fallback entry (such as `claude-opus-4-8-fast`).
    let primary = exact(PRIMARY, model).or_else(|| {
        (!exact_only_spelling(model))
            .then(|| fuzzy(PRIMARY.iter().map(|(key, price)| (*key, price)), model))
            .flatten()
    });
    primary.or_else(|| {
        FALLBACK
            .iter()
            .find(|(key, ..)| *key == model)
            .or_else(|| exact_only_named_by(model))
            .map(|(_, price, _)| price)
            .or_else(|| {
                (!exact_only_spelling(model))
                    .then(|| {
                        let candidates = FALLBACK
                            .iter()
                            .filter(|(_, _, exact_only)| !exact_only)
                            .map(|(key, price, _)| (*key, price));
                        fuzzy(candidates, model)
                    })
                    .flatten()
            })
    })
}

fn exact(table: &'static [(&'static str, ModelPrice)], model: &str) -> Option<&'static ModelPrice> {
    table
        .iter()
        .find(|(key, _)| *key == model)
        .map(|(_, price)| price)
}

/// `.` and `@` are read as `-` when comparing spellings.
fn normalized(value: &str) -> String {
    value.replace(['.', '@'], "-")
}

/// Whether `model` is any spelling of an exact-only fallback entry.
fn exact_only_spelling(model: &str) -> bool {
    let normal = normalized(model);
    FALLBACK
        .iter()
        .any(|(key, _, exact_only)| *exact_only && (*key == model || normalized(key) == normal))
}

/// The one exact-only fallback entry `model` spells with other separators.
fn exact_only_named_by(model: &str) -> Option<&'static (&'static str, ModelPrice, bool)> {
    let normal = normalized(model);
    let mut named = FALLBACK
        .iter()
        .filter(|(key, _, exact_only)| *exact_only && normalized(key) == normal);
    let first = named.next()?;
    named.next().is_none().then_some(first)
}

/// The longest key that matches `model` (ties: the lexicographically smallest).
fn fuzzy(
    candidates: impl Iterator<Item = (&'static str, &'static ModelPrice)>,
    model: &str,
) -> Option<&'static ModelPrice> {
    let normal_model = normalized(model);
    candidates
        .filter(|(key, _)| {
            contains_key(model, key)
                || contains_key(key, model)
                || contains_key(&normal_model, &normalized(key))
                || contains_key(&normalized(key), &normal_model)
        })
        .max_by(|(left, _), (right, _)| left.len().cmp(&right.len()).then_with(|| right.cmp(left)))
        .map(|(_, price)| price)
}

/// Whether `key` occurs in `value` between non-alphanumeric boundaries, and
/// not directly followed by a `-N`/`.N` version (an 8-digit date is fine) when
/// it ends in a digit.
fn contains_key(value: &str, key: &str) -> bool {
    value.match_indices(key).any(|(index, _)| {
        let before_ok = index == 0 || !value.as_bytes()[index - 1].is_ascii_alphanumeric();
        before_ok && suffix_allows(key, &value[index + key.len()..])
    })
}

fn suffix_allows(key: &str, suffix: &str) -> bool {
    let Some(&separator) = suffix.as_bytes().first() else {
        return true;
    };
    if separator.is_ascii_alphanumeric() {
        return false;
    }
    if !key.as_bytes().last().is_some_and(u8::is_ascii_digit) || !matches!(separator, b'-' | b'.') {
        return true;
    }
    let rest = &suffix.as_bytes()[1..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    // A following version number means a different model; a date does not.
    digits == 0 || (digits == 8 && rest.get(8).is_none_or(|b| !b.is_ascii_alphanumeric()))
}

const fn p(input: f64, output: f64, cache_write: f64, cache_read: f64) -> ModelPrice {
    ModelPrice {
        input,
        output,
        cache_write,
        cache_read,
        input_above_200k: None,
        output_above_200k: None,
        cache_write_above_200k: None,
        cache_read_above_200k: None,
        whole_request_threshold: None,
        fast_multiplier: 1.0,
    }
}

/// ccusage's LiteLLM snapshot and built-in entries whose key contains `claude`.
#[rustfmt::skip]
static PRIMARY: &[(&str, ModelPrice)] = &[
    ("anthropic.claude-3-5-haiku-20241022-v1:0", p(8e-07, 4e-06, 1e-06, 8e-08)),
    ("anthropic.claude-3-5-sonnet-20240620-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).above(Some(6e-06), Some(3e-05), Some(7.5e-06), Some(6e-07))),
    ("anthropic.claude-3-5-sonnet-20241022-v2:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).above(Some(6e-06), Some(3e-05), Some(7.5e-06), Some(6e-07))),
    ("anthropic.claude-3-7-sonnet-20240620-v1:0", p(3.6e-06, 1.8e-05, 4.5e-06, 3.6e-07)),
    ("anthropic.claude-3-7-sonnet-20250219-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07)),
    ("anthropic.claude-3-haiku-20240307-v1:0", p(2.5e-07, 1.25e-06, 3.125e-07, 2.5e-08)),
    ("anthropic.claude-3-opus-20240229-v1:0", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06)),
    ("anthropic.claude-3-sonnet-20240229-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07)),
    ("anthropic.claude-fable-5", p(1e-05, 5e-05, 1.25e-05, 1e-06)),
    ("anthropic.claude-fable-5-1", p(1e-05, 5e-05, 1.25e-05, 2.5e-07)),
    ("anthropic.claude-haiku-4-5-20251001-v1:0", p(1e-06, 5e-06, 1.25e-06, 1e-07)),
    ("anthropic.claude-haiku-4-5@20251001", p(1e-06, 5e-06, 1.25e-06, 1e-07)),
    ("anthropic.claude-instant-v1", p(8e-07, 2.4e-06, 1e-06, 8e-08)),
    ("anthropic.claude-mythos-preview", p(0.0, 0.0, 0.0, 0.0)),
    ("anthropic.claude-opus-4-1-20250805-v1:0", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06)),
    ("anthropic.claude-opus-4-20250514-v1:0", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06)),
    ("anthropic.claude-opus-4-5-20251101-v1:0", p(5e-06, 2.5e-05, 6.25e-06, 5e-07)),
    ("anthropic.claude-opus-4-6-v1", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0)),
    ("anthropic.claude-opus-4-7", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0)),
    ("anthropic.claude-opus-4-8", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(2.0)),
    ("anthropic.claude-opus-5", p(5e-06, 2.5e-05, 6.25e-06, 5e-07)),
    ("anthropic.claude-sonnet-4-20250514-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).above(Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07))),
    ("anthropic.claude-sonnet-4-5-20250929-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).above(Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07))),
    ("anthropic.claude-sonnet-4-6", p(3e-06, 1.5e-05, 3.75e-06, 3e-07)),
    ("anthropic.claude-sonnet-5", p(2e-06, 1e-05, 2.5e-06, 2e-07)),
    ("anthropic.claude-v1", p(8e-06, 2.4e-05, 9.999999999999999e-06, 8e-07)),
    ("anthropic.claude-v2:1", p(8e-06, 2.4e-05, 9.999999999999999e-06, 8e-07)),
    ("au.anthropic.claude-haiku-4-5-20251001-v1:0", p(1.1e-06, 5.5e-06, 1.375e-06, 1.1e-07)),
    ("au.anthropic.claude-opus-4-6-v1", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(6.0)),
    ("au.anthropic.claude-opus-4-7", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(6.0)),
    ("au.anthropic.claude-opus-4-8", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(2.0)),
    ("au.anthropic.claude-opus-5", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07)),
    ("au.anthropic.claude-sonnet-4-5-20250929-v1:0", p(3.3e-06, 1.65e-05, 4.125e-06, 3.3e-07).above(Some(6.6e-06), Some(2.475e-05), Some(8.25e-06), Some(6.6e-07))),
    ("au.anthropic.claude-sonnet-4-6", p(3.3e-06, 1.65e-05, 4.125e-06, 3.3e-07)),
    ("au.anthropic.claude-sonnet-5", p(2.2e-06, 1.1e-05, 2.75e-06, 2.2e-07)),
    ("claude-3-5-haiku", p(8e-07, 4e-06, 1e-06, 8e-08)),
    ("claude-3-5-haiku-20241022", p(8e-07, 4e-06, 1e-06, 8e-08)),
    ("claude-3-7-sonnet-20250219", p(3e-06, 1.5e-05, 3.75e-06, 3e-07)),
    ("claude-3-haiku", p(2.5e-07, 1.25e-06, 3e-07, 3e-08)),
    ("claude-3-haiku-20240307", p(2.5e-07, 1.25e-06, 3e-07, 3e-08)),
    ("claude-3-opus", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06)),
    ("claude-3-opus-20240229", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06)),
    ("claude-3-sonnet", p(3e-06, 1.5e-05, 3.75e-06, 3e-07)),
    ("claude-4-opus-20250514", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06)),
    ("claude-4-sonnet-20250514", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).above(Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07))),
    ("claude-fable-5", p(1e-05, 5e-05, 1.25e-05, 1e-06)),
    ("claude-fable-5-1", p(1e-05, 5e-05, 1.25e-05, 2.5e-07)),
    ("claude-haiku-4-5", p(1e-06, 5e-06, 1.25e-06, 1e-07)),
    ("claude-haiku-4-5-20251001", p(1e-06, 5e-06, 1.25e-06, 1e-07)),
    ("claude-mythos-5", p(1e-05, 5e-05, 1.25e-05, 1e-06)),
    ("claude-mythos-5-1", p(1e-05, 5e-05, 1.25e-05, 2.5e-07)),
    ("claude-mythos-preview", p(1e-05, 5e-05, 1.25e-05, 1e-06)),
    ("claude-opus-4", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06)),
    ("claude-opus-4-1", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06)),
    ("claude-opus-4-1-20250805", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06)),
    ("claude-opus-4-20250514", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06)),
    ("claude-opus-4-5", p(5e-06, 2.5e-05, 6.25e-06, 5e-07)),
    ("claude-opus-4-5-20251101", p(5e-06, 2.5e-05, 6.25e-06, 5e-07)),
    ("claude-opus-4-6", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0)),
    ("claude-opus-4-6-20260205", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0)),
    ("claude-opus-4-7", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0)),
    ("claude-opus-4-7-20260416", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0)),
    ("claude-opus-4-8", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(2.0)),
    ("claude-opus-5", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(2.0)),
    ("claude-sonnet-4", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).above(Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07))),
    ("claude-sonnet-4-20250514", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).above(Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07))),
    ("claude-sonnet-4-5", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).above(Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07))),
    ("claude-sonnet-4-5-20250929", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).above(Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07))),
    ("claude-sonnet-4-5-20250929-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).above(Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07))),
    ("claude-sonnet-4-6", p(3e-06, 1.5e-05, 3.75e-06, 3e-07)),
    ("claude-sonnet-5", p(2e-06, 1e-05, 2.5e-06, 2e-07)),
    ("eu.anthropic.claude-3-5-haiku-20241022-v1:0", p(8e-07, 4e-06, 1e-06, 8e-08)),
    ("eu.anthropic.claude-3-5-sonnet-20240620-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07)),
    ("eu.anthropic.claude-3-5-sonnet-20241022-v2:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07)),
    ("eu.anthropic.claude-3-7-sonnet-20250219-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07)),
    ("eu.anthropic.claude-3-haiku-20240307-v1:0", p(2.5e-07, 1.25e-06, 3.125e-07, 2.5e-08)),
    ("eu.anthropic.claude-3-opus-20240229-v1:0", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06)),
    ("eu.anthropic.claude-3-sonnet-20240229-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07)),
    ("eu.anthropic.claude-fable-5", p(1.1e-05, 5.5e-05, 1.375e-05, 1.1e-06)),
    ("eu.anthropic.claude-fable-5-1", p(1.1e-05, 5.5e-05, 1.375e-05, 2.75e-07)),
    ("eu.anthropic.claude-haiku-4-5-20251001-v1:0", p(1.1e-06, 5.5e-06, 1.375e-06, 1.1e-07)),
    ("eu.anthropic.claude-opus-4-1-20250805-v1:0", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06)),
    ("eu.anthropic.claude-opus-4-20250514-v1:0", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06)),
    ("eu.anthropic.claude-opus-4-5-20251101-v1:0", p(5e-06, 2.5e-05, 6.25e-06, 5e-07)),
    ("eu.anthropic.claude-opus-4-6-v1", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(6.0)),
    ("eu.anthropic.claude-opus-4-7", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(6.0)),
    ("eu.anthropic.claude-opus-4-8", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(2.0)),
    ("eu.anthropic.claude-opus-5", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07)),
    ("eu.anthropic.claude-sonnet-4-20250514-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).above(Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07))),
    ("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", p(3.3e-06, 1.65e-05, 4.125e-06, 3.3e-07).above(Some(6.6e-06), Some(2.475e-05), Some(8.25e-06), Some(6.6e-07))),
    ("eu.anthropic.claude-sonnet-4-6", p(3.3e-06, 1.65e-05, 4.125e-06, 3.3e-07)),
    ("eu.anthropic.claude-sonnet-5", p(2.2e-06, 1.1e-05, 2.75e-06, 2.2e-07)),
    ("global.anthropic.claude-fable-5", p(1e-05, 5e-05, 1.25e-05, 1e-06)),
    ("global.anthropic.claude-fable-5-1", p(1e-05, 5e-05, 1.25e-05, 2.5e-07)),
    ("global.anthropic.claude-haiku-4-5-20251001-v1:0", p(1e-06, 5e-06, 1.25e-06, 1e-07)),
    ("global.anthropic.claude-opus-4-5-20251101-v1:0", p(5e-06, 2.5e-05, 6.25e-06, 5e-07)),
    ("global.anthropic.claude-opus-4-6-v1", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0)),
    ("global.anthropic.claude-opus-4-7", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0)),
    ("global.anthropic.claude-opus-4-8", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(2.0)),
    ("global.anthropic.claude-opus-5", p(5e-06, 2.5e-05, 6.25e-06, 5e-07)),
    ("global.anthropic.claude-sonnet-4-20250514-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).above(Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07))),
    ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).above(Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07))),
    ("global.anthropic.claude-sonnet-4-6", p(3e-06, 1.5e-05, 3.75e-06, 3e-07)),
    ("global.anthropic.claude-sonnet-5", p(2e-06, 1e-05, 2.5e-06, 2e-07)),
    ("jp.anthropic.claude-haiku-4-5-20251001-v1:0", p(1.1e-06, 5.5e-06, 1.375e-06, 1.1e-07)),
    ("jp.anthropic.claude-opus-4-7", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(6.0)),
    ("jp.anthropic.claude-opus-4-8", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(2.0)),
    ("jp.anthropic.claude-opus-5", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07)),
    ("jp.anthropic.claude-sonnet-4-5-20250929-v1:0", p(3.3e-06, 1.65e-05, 4.125e-06, 3.3e-07).above(Some(6.6e-06), Some(2.475e-05), Some(8.25e-06), Some(6.6e-07))),
    ("jp.anthropic.claude-sonnet-4-6", p(3.3e-06, 1.65e-05, 4.125e-06, 3.3e-07)),
    ("jp.anthropic.claude-sonnet-5", p(2.2e-06, 1.1e-05, 2.75e-06, 2.2e-07)),
    ("us.anthropic.claude-3-5-haiku-20241022-v1:0", p(8e-07, 4e-06, 1e-06, 8e-08)),
    ("us.anthropic.claude-3-5-sonnet-20240620-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07)),
    ("us.anthropic.claude-3-5-sonnet-20241022-v2:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07)),
    ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07)),
    ("us.anthropic.claude-3-haiku-20240307-v1:0", p(2.5e-07, 1.25e-06, 3.125e-07, 2.5e-08)),
    ("us.anthropic.claude-3-opus-20240229-v1:0", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06)),
    ("us.anthropic.claude-3-sonnet-20240229-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07)),
    ("us.anthropic.claude-fable-5", p(1.1e-05, 5.5e-05, 1.375e-05, 1.1e-06)),
    ("us.anthropic.claude-fable-5-1", p(1.1e-05, 5.5e-05, 1.375e-05, 2.75e-07)),
    ("us.anthropic.claude-haiku-4-5-20251001-v1:0", p(1.1e-06, 5.5e-06, 1.375e-06, 1.1e-07)),
    ("us.anthropic.claude-opus-4-1-20250805-v1:0", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06)),
    ("us.anthropic.claude-opus-4-20250514-v1:0", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06)),
    ("us.anthropic.claude-opus-4-5-20251101-v1:0", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07)),
    ("us.anthropic.claude-opus-4-6-v1", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(6.0)),
    ("us.anthropic.claude-opus-4-7", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(6.0)),
    ("us.anthropic.claude-opus-4-8", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(2.0)),
    ("us.anthropic.claude-opus-5", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07)),
    ("us.anthropic.claude-sonnet-4-20250514-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).above(Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07))),
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", p(3.3e-06, 1.65e-05, 4.125e-06, 3.3e-07).above(Some(6.6e-06), Some(2.475e-05), Some(8.25e-06), Some(6.6e-07))),
    ("us.anthropic.claude-sonnet-4-6", p(3.3e-06, 1.65e-05, 4.125e-06, 3.3e-07)),
    ("us.anthropic.claude-sonnet-5", p(2.2e-06, 1.1e-05, 2.75e-06, 2.2e-07)),
];

/// ccusage's models.dev snapshot entries whose key contains `claude`: (key, price, `exact_only`).
/// Exact-only entries answer only to their own name (or a `.`/`@`/`-` respelling of it).
#[rustfmt::skip]
static FALLBACK: &[(&str, ModelPrice, bool)] = &[
    ("Gemma-4-31B-Claude-4.6-Opus-Reasoning-Distilled", p(3.06e-07, 3.06e-07, 3.8250000000000004e-07, 3.0599999999999996e-08), false),
    ("anthropic--claude-3-haiku", p(2.5e-07, 1.25e-06, 3e-07, 3e-08), false),
    ("anthropic--claude-3-opus", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06), false),
    ("anthropic--claude-3-sonnet", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic--claude-3.5-sonnet", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic--claude-3.7-sonnet", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic--claude-4-opus", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06), false),
    ("anthropic--claude-4-sonnet", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic--claude-4.5-haiku", p(1e-06, 5e-06, 1.25e-06, 1.0000000000000001e-07), false),
    ("anthropic--claude-4.5-opus", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("anthropic--claude-4.5-sonnet", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic--claude-4.6-opus", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("anthropic--claude-4.6-sonnet", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic--claude-4.7-opus", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("anthropic--claude-4.8-opus", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("anthropic-claude-3-opus", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06), false),
    ("anthropic-claude-3.5-haiku", p(8.000000000000001e-07, 4e-06, 1e-06, 8e-08), false),
    ("anthropic-claude-3.5-sonnet", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic-claude-3.7-sonnet", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic-claude-4.1-opus", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06), false),
    ("anthropic-claude-4.5-haiku", p(1e-06, 5e-06, 1.25e-06, 1e-06), false),
    ("anthropic-claude-4.5-sonnet", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).whole(200_000, Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07)), false),
    ("anthropic-claude-4.6-sonnet", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).whole(200_000, Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07)), false),
    ("anthropic-claude-5-sonnet", p(2e-06, 1e-05, 2.5e-06, 2.0000000000000002e-07), false),
    ("anthropic-claude-haiku-4.5", p(1e-06, 5e-06, 1.25e-06, 1.0000000000000001e-07), false),
    ("anthropic-claude-opus-4", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06), false),
    ("anthropic-claude-opus-4.5", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("anthropic-claude-opus-4.6", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).whole(200_000, Some(1e-05), Some(3.75e-05), Some(1.25e-05), Some(1e-06)).fast(6.0), false),
    ("anthropic-claude-sonnet-4", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).whole(200_000, Some(6e-06), Some(2.25e-05), Some(3.75e-06), Some(3e-07)), false),
    ("anthropic.claude-fable-5", p(1e-05, 5e-05, 1.25e-05, 1e-06), false),
    ("anthropic.claude-fable-5-1", p(1e-05, 5e-05, 1.25e-05, 2.5e-07), false),
    ("anthropic.claude-haiku-4-5-20251001-v1:0", p(1e-06, 5e-06, 1.25e-06, 1.0000000000000001e-07), false),
    ("anthropic.claude-opus-4-1-20250805-v1:0", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06), false),
    ("anthropic.claude-opus-4-5-20251101-v1:0", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("anthropic.claude-opus-4-6-v1", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(6.0), false),
    ("anthropic.claude-opus-4-7", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0), false),
    ("anthropic.claude-opus-4-8", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(2.0), false),
    ("anthropic.claude-opus-5", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("anthropic.claude-sonnet-4-5-20250929-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic.claude-sonnet-4-6", p(3.2999999999999997e-06, 1.65e-05, 4.125e-06, 3.3e-07), false),
    ("anthropic.claude-sonnet-5", p(2e-06, 1e-05, 2.5e-06, 2.0000000000000002e-07), false),
    ("anthropic/claude-3-7-sonnet-20250219", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic/claude-3-haiku", p(2.5e-07, 1.25e-06, 3e-07, 3e-08), false),
    ("anthropic/claude-3.5-haiku", p(8.000000000000001e-07, 4e-06, 1e-06, 8e-08), false),
    ("anthropic/claude-3.7-sonnet", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic/claude-fable-5", p(1e-05, 5e-05, 1.25e-05, 1e-06), false),
    ("anthropic/claude-fable-5.1", p(1e-05, 5e-05, 1.25e-05, 2.5e-07), false),
    ("anthropic/claude-fable-latest", p(1e-05, 5e-05, 1.25e-05, 2.5e-07), true),
    ("anthropic/claude-haiku-3", p(2.1e-07, 1.1e-06, 2.6e-07, 2.1000000000000003e-08), false),
    ("anthropic/claude-haiku-3.5", p(6.800000000000001e-07, 3.4e-06, 8.5e-07, 6.8e-08), false),
    ("anthropic/claude-haiku-4-5-20251001", p(1e-06, 5e-06, 1.25e-06, 1.0000000000000001e-07), false),
    ("anthropic/claude-haiku-4.5", p(1e-06, 5e-06, 1.25e-06, 1.0000000000000001e-07), false),
    ("anthropic/claude-haiku-4.5:thinking", p(1e-06, 5e-06, 1.2499999999999999e-06, 1.0000000000000001e-07), false),
    ("anthropic/claude-haiku-latest", p(1e-06, 5e-06, 1.2499999999999999e-06, 1.0000000000000001e-07), true),
    ("anthropic/claude-opus-4", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06), false),
    ("anthropic/claude-opus-4-1-20250805", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06), false),
    ("anthropic/claude-opus-4-20250514", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06), false),
    ("anthropic/claude-opus-4-5-20251101", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("anthropic/claude-opus-4.1", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06), false),
    ("anthropic/claude-opus-4.1:thinking", p(1.5e-05, 7.5e-05, 1.8750000000000002e-05, 1.5e-06), false),
    ("anthropic/claude-opus-4.1:thinking:1024", p(1.5e-05, 7.5e-05, 1.8750000000000002e-05, 1.5e-06), false),
    ("anthropic/claude-opus-4.1:thinking:32768", p(1.5e-05, 7.5e-05, 1.8750000000000002e-05, 1.5e-06), false),
    ("anthropic/claude-opus-4.1:thinking:8192", p(1.5e-05, 7.5e-05, 1.8750000000000002e-05, 1.5e-06), false),
    ("anthropic/claude-opus-4.5", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("anthropic/claude-opus-4.5:thinking", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("anthropic/claude-opus-4.6", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).whole(200_000, Some(1e-05), Some(3.75e-05), Some(1.25e-05), Some(1e-06)).fast(6.0), false),
    ("anthropic/claude-opus-4.6:thinking", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0), false),
    ("anthropic/claude-opus-4.6:thinking:low", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0), false),
    ("anthropic/claude-opus-4.6:thinking:max", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0), false),
    ("anthropic/claude-opus-4.6:thinking:medium", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0), false),
    ("anthropic/claude-opus-4.7", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).whole(200_000, Some(1e-05), Some(3.75e-05), Some(1.25e-05), Some(1e-06)).fast(6.0), false),
    ("anthropic/claude-opus-4.7:thinking", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0), false),
    ("anthropic/claude-opus-4.8", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(2.0), false),
    ("anthropic/claude-opus-4.8-fast", p(1e-05, 5e-05, 1.25e-05, 1e-06).fast(2.0), false),
    ("anthropic/claude-opus-4.8:thinking", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(2.0), false),
    ("anthropic/claude-opus-4:thinking", p(1.5e-05, 7.5e-05, 1.8750000000000002e-05, 1.5e-06), false),
    ("anthropic/claude-opus-4:thinking:1024", p(1.5e-05, 7.5e-05, 1.8750000000000002e-05, 1.5e-06), false),
    ("anthropic/claude-opus-4:thinking:32768", p(1.5e-05, 7.5e-05, 1.8750000000000002e-05, 1.5e-06), false),
    ("anthropic/claude-opus-4:thinking:8192", p(1.5e-05, 7.5e-05, 1.8750000000000002e-05, 1.5e-06), false),
    ("anthropic/claude-opus-5", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("anthropic/claude-opus-5-fast", p(1e-05, 5e-05, 1.25e-05, 1e-06), false),
    ("anthropic/claude-opus-latest", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), true),
    ("anthropic/claude-sonnet-3.5", p(2.6e-06, 1.3e-05, 3.2000000000000003e-06, 2.6e-07), false),
    ("anthropic/claude-sonnet-3.5-june", p(2.6e-06, 1.3e-05, 3.2000000000000003e-06, 2.6e-07), false),
    ("anthropic/claude-sonnet-3.7", p(2.6e-06, 1.3e-05, 3.2000000000000003e-06, 2.6e-07), false),
    ("anthropic/claude-sonnet-4", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).whole(200_000, Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07)), false),
    ("anthropic/claude-sonnet-4-20250514", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic/claude-sonnet-4-5-20250929", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic/claude-sonnet-4.5", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).whole(200_000, Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07)), false),
    ("anthropic/claude-sonnet-4.5:thinking", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic/claude-sonnet-4.6", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).whole(200_000, Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07)), false),
    ("anthropic/claude-sonnet-4.6:thinking", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic/claude-sonnet-4:thinking", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic/claude-sonnet-4:thinking:1024", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic/claude-sonnet-4:thinking:32768", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic/claude-sonnet-4:thinking:64000", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic/claude-sonnet-4:thinking:8192", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("anthropic/claude-sonnet-5", p(2e-06, 1e-05, 2.5e-06, 2.0000000000000002e-07), false),
    ("anthropic/claude-sonnet-5:thinking", p(2e-06, 1e-05, 2.5e-06, 2.0000000000000002e-07), false),
    ("anthropic/claude-sonnet-latest", p(2e-06, 1e-05, 2.5e-06, 2.0000000000000002e-07), true),
    ("apac.anthropic.claude-sonnet-4-20250514-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("au.anthropic.claude-haiku-4-5-20251001-v1:0", p(1.1e-06, 5.5e-06, 1.375e-06, 1.1e-07), false),
    ("au.anthropic.claude-opus-4-6-v1", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(6.0), false),
    ("au.anthropic.claude-opus-4-7", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(6.0), false),
    ("au.anthropic.claude-opus-4-8", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(2.0), false),
    ("au.anthropic.claude-opus-5", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07), false),
    ("au.anthropic.claude-sonnet-4-5-20250929-v1:0", p(3.2999999999999997e-06, 1.65e-05, 4.125e-06, 3.3e-07), false),
    ("au.anthropic.claude-sonnet-4-6", p(3.2999999999999997e-06, 1.65e-05, 4.125e-06, 3.3e-07), false),
    ("au.anthropic.claude-sonnet-5", p(2.2e-06, 1.1e-05, 2.75e-06, 2.2e-07), false),
    ("aws-bedrock/claude-fable-5", p(1e-05, 5e-05, 1.25e-05, 1e-06), false),
    ("aws-bedrock/claude-fable-5-1", p(1e-05, 5e-05, 1.25e-05, 2.5e-07), false),
    ("aws-bedrock/claude-haiku-4-5", p(1e-06, 5e-06, 1.25e-06, 1.0000000000000001e-07), false),
    ("aws-bedrock/claude-haiku-4-5-20251001", p(1e-06, 5e-06, 1.25e-06, 1.0000000000000001e-07), false),
    ("aws-bedrock/claude-opus-4-1-20250805", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06), false),
    ("aws-bedrock/claude-opus-4-5-20251101", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("aws-bedrock/claude-opus-4-6", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0), false),
    ("aws-bedrock/claude-opus-4-7", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0), false),
    ("aws-bedrock/claude-opus-4-8", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(2.0), false),
    ("aws-bedrock/claude-opus-5", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("aws-bedrock/claude-sonnet-4-5", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("aws-bedrock/claude-sonnet-4-5-20250929", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("aws-bedrock/claude-sonnet-4-6", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("aws-bedrock/claude-sonnet-5", p(2e-06, 1e-05, 2.5e-06, 2.0000000000000002e-07), false),
    ("azure-anthropic/claude-fable-5", p(1e-05, 5e-05, 1.25e-05, 1e-06), false),
    ("azure-anthropic/claude-opus-4-6", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0), false),
    ("azure-anthropic/claude-opus-4-7", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0), false),
    ("azure-anthropic/claude-opus-4-8", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(2.0), false),
    ("azure-anthropic/claude-opus-5", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("azure-anthropic/claude-sonnet-5", p(2e-06, 1e-05, 2.5e-06, 2.0000000000000002e-07), false),
    ("claude-3-7-sonnet-20250219", p(3e-06, 1.5e-05, 3.75e-06, 3.0000000000000004e-07), false),
    ("claude-3-7-sonnet-latest", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("claude-3-haiku-20240307", p(2.5e-07, 1.25e-06, 3e-07, 3e-08), false),
    ("claude-3.5-haiku", p(8e-07, 4e-06, 1e-06, 8e-08), false),
    ("claude-3.5-sonnet-v2", p(3e-06, 1.5e-05, 3.75e-06, 3.0000000000000004e-07), false),
    ("claude-3.7-sonnet", p(3e-06, 1.5e-05, 3.75e-06, 3.0000000000000004e-07), false),
    ("claude-4-5-sonnet", p(2.9889999999999997e-06, 1.4945e-05, 4.078000000000001e-06, 3.2600000000000003e-07), false),
    ("claude-4-6-sonnet", p(3.196e-06, 1.594e-05, 3.999e-06, 3.2e-07), false),
    ("claude-4.5-haiku", p(1e-06, 5e-06, 1.25e-06, 1e-07), false),
    ("claude-4.5-opus", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("claude-fable-5", p(1e-05, 5e-05, 1.25e-05, 1e-06), false),
    ("claude-fable-5-1", p(1e-05, 5e-05, 1.25e-05, 2.5e-07), true),
    ("claude-fable-5-1@default", p(1e-05, 5e-05, 1.25e-05, 2.5e-07), true),
    ("claude-fable-5.1@eu", p(1.1e-05, 5.5e-05, 1.375e-05, 2.75e-07), true),
    ("claude-fable-5@default", p(1e-05, 5e-05, 1.25e-05, 1e-06), true),
    ("claude-fable-5@eu", p(1.1e-05, 5.5e-05, 1.375e-05, 1.1e-06), true),
    ("claude-haiku-4-5", p(1e-06, 5e-06, 1.25e-06, 1.0000000000000001e-07), false),
    ("claude-haiku-4-5-20251001", p(1e-06, 5e-06, 1.25e-06, 1.0000000000000001e-07), true),
    ("claude-haiku-4-5@eu", p(1.1e-06, 5.5e-06, 1.375e-06, 1.1e-07), true),
    ("claude-mythos-5", p(1e-05, 5e-05, 1.25e-05, 1e-06), false),
    ("claude-opus-4", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06), false),
    ("claude-opus-4-1", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06), false),
    ("claude-opus-4-1-20250805-thinking", p(1.5e-05, 7.5e-05, 1.8750000000000002e-05, 1.5e-06), true),
    ("claude-opus-4-1@20250805", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06), true),
    ("claude-opus-4-5", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("claude-opus-4-5-20251101", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), true),
    ("claude-opus-4-5@eu", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07), true),
    ("claude-opus-4-6", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0), false),
    ("claude-opus-4-6-think", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).whole(200_000, Some(1e-05), Some(3.75e-05), Some(1.25e-05), Some(1e-06)).fast(6.0), true),
    ("claude-opus-4-6@default", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).whole(200_000, Some(1e-05), Some(3.75e-05), Some(1.25e-05), Some(1e-06)).fast(6.0), true),
    ("claude-opus-4-6@eu", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(6.0), true),
    ("claude-opus-4-7", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0), false),
    ("claude-opus-4-7-think", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).whole(200_000, Some(1e-05), Some(3.75e-05), Some(1.25e-05), Some(1e-06)).fast(6.0), true),
    ("claude-opus-4-7-thinking", p(5e-06, 2.5e-05, 6.25e-06, 5.000000000000001e-07).fast(6.0), true),
    ("claude-opus-4-7@default", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).whole(200_000, Some(1e-05), Some(3.75e-05), Some(1.25e-05), Some(1e-06)).fast(6.0), true),
    ("claude-opus-4-7@eu", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(6.0), true),
    ("claude-opus-4-8", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(2.0), false),
    ("claude-opus-4-8-fast", p(1.2e-05, 6e-05, 1.5e-05, 1.2e-06).fast(2.0), true),
    ("claude-opus-4-8-think", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(2.0), true),
    ("claude-opus-4-8@default", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).whole(200_000, Some(1e-05), Some(3.75e-05), Some(1.25e-05), Some(1e-06)).fast(2.0), true),
    ("claude-opus-4-8@eu", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(2.0), true),
    ("claude-opus-4@20250514", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06), false),
    ("claude-opus-5", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("claude-opus-5-fast", p(1e-05, 5e-05, 1.25e-05, 1e-06), true),
    ("claude-opus-5-thinking", p(5e-06, 2.5e-05, 6.25e-06, 5.000000000000001e-07), true),
    ("claude-opus-5@default", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), true),
    ("claude-opus-5@eu", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07), true),
    ("claude-opus4-5", p(5.313e-06, 2.6568e-05, 6.645e-06, 5.31e-07), false),
    ("claude-opus4-6", p(5.313e-06, 2.6561e-05, 6.645e-06, 5.31e-07), false),
    ("claude-opus4-7", p(5.437000000000001e-06, 2.7186e-05, 6.7969999999999995e-06, 5.44e-07), false),
    ("claude-opus4-8", p(5.437000000000001e-06, 2.7186e-05, 6.7969999999999995e-06, 5.44e-07), false),
    ("claude-sonnet-4", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).whole(200_000, Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07)), false),
    ("claude-sonnet-4-5", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("claude-sonnet-4-5-20250929", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), true),
    ("claude-sonnet-4-5-20250929-thinking", p(3e-06, 1.5e-05, 3.75e-06, 3.0000000000000004e-07), true),
    ("claude-sonnet-4-5@eu", p(3.2999999999999997e-06, 1.65e-05, 4.125e-06, 3e-07).whole(200_000, Some(6.5999999999999995e-06), Some(2.475e-05), Some(8.25e-06), Some(6e-07)), true),
    ("claude-sonnet-4-6", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("claude-sonnet-4-6-think", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).whole(200_000, Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07)), true),
    ("claude-sonnet-4-6-thinking", p(3e-06, 1.5e-05, 3.75e-06, 3.0000000000000004e-07), true),
    ("claude-sonnet-4-6@default", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).whole(200_000, Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07)), true),
    ("claude-sonnet-4-6@eu", p(3.2999999999999997e-06, 1.65e-05, 4.125e-06, 3e-07), true),
    ("claude-sonnet-4@20250514", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("claude-sonnet-4@eu", p(3e-06, 1.5e-05, 3.75e-06, 3e-07).whole(200_000, Some(6e-06), Some(2.25e-05), Some(7.5e-06), Some(6e-07)), false),
    ("claude-sonnet-5", p(2e-06, 1e-05, 2.5e-06, 2.0000000000000002e-07), false),
    ("claude-sonnet-5@default", p(2e-06, 1e-05, 2.5e-06, 2.0000000000000002e-07), true),
    ("claude-sonnet-5@eu", p(2.2e-06, 1.1e-05, 2.75e-06, 2.2e-07), true),
    ("databricks-claude-haiku-4-5", p(1e-06, 5e-06, 1.25e-06, 1.0000000000000001e-07), false),
    ("databricks-claude-opus-4-1", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06), false),
    ("databricks-claude-opus-4-5", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("databricks-claude-opus-4-6", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0), false),
    ("databricks-claude-opus-4-7", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0), false),
    ("databricks-claude-sonnet-4", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("databricks-claude-sonnet-4-5", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("databricks-claude-sonnet-4-6", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("eu.anthropic.claude-fable-5", p(1.1e-05, 5.5e-05, 1.375e-05, 1.1e-06), false),
    ("eu.anthropic.claude-haiku-4-5-20251001-v1:0", p(1.1e-06, 5.5e-06, 1.375e-06, 1.1e-07), false),
    ("eu.anthropic.claude-opus-4-5-20251101-v1:0", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07), false),
    ("eu.anthropic.claude-opus-4-6-v1", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(6.0), false),
    ("eu.anthropic.claude-opus-4-7", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(6.0), false),
    ("eu.anthropic.claude-opus-4-8", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(2.0), false),
    ("eu.anthropic.claude-opus-5", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07), false),
    ("eu.anthropic.claude-sonnet-4-20250514-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", p(3.2999999999999997e-06, 1.65e-05, 4.125e-06, 3.3e-07), false),
    ("eu.anthropic.claude-sonnet-4-6", p(3.2999999999999997e-06, 1.65e-05, 4.125e-06, 3.3e-07), false),
    ("eu.anthropic.claude-sonnet-5", p(2.2e-06, 1.1e-05, 2.75e-06, 2.2e-07), false),
    ("global.anthropic.claude-fable-5", p(1e-05, 5e-05, 1.25e-05, 1e-06), false),
    ("global.anthropic.claude-fable-5-1", p(1e-05, 5e-05, 1.25e-05, 2.5e-07), false),
    ("global.anthropic.claude-haiku-4-5-20251001-v1:0", p(1e-06, 5e-06, 1.25e-06, 1.0000000000000001e-07), false),
    ("global.anthropic.claude-opus-4-5-20251101-v1:0", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("global.anthropic.claude-opus-4-6-v1", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0), false),
    ("global.anthropic.claude-opus-4-7", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0), false),
    ("global.anthropic.claude-opus-4-8", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(2.0), false),
    ("global.anthropic.claude-opus-5", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("global.anthropic.claude-sonnet-4-20250514-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("global.anthropic.claude-sonnet-4-6", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("global.anthropic.claude-sonnet-5", p(2e-06, 1e-05, 2.5e-06, 2.0000000000000002e-07), false),
    ("jp.anthropic.claude-haiku-4-5-20251001-v1:0", p(1.1e-06, 5.5e-06, 1.375e-06, 1.1e-07), false),
    ("jp.anthropic.claude-opus-4-7", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(6.0), false),
    ("jp.anthropic.claude-opus-4-8", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(2.0), false),
    ("jp.anthropic.claude-opus-5", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07), false),
    ("jp.anthropic.claude-sonnet-4-5-20250929-v1:0", p(3.2999999999999997e-06, 1.65e-05, 4.125e-06, 3.3e-07), false),
    ("jp.anthropic.claude-sonnet-4-6", p(3.2999999999999997e-06, 1.65e-05, 4.125e-06, 3.3e-07), false),
    ("jp.anthropic.claude-sonnet-5", p(2.2e-06, 1.1e-05, 2.75e-06, 2.2e-07), false),
    ("stealth/claude-opus-4.6", p(4e-06, 2e-05, 5e-06, 4.0000000000000003e-07).fast(6.0), false),
    ("stealth/claude-opus-4.7", p(4e-06, 2e-05, 5e-06, 4.0000000000000003e-07).fast(6.0), false),
    ("stealth/claude-opus-4.8", p(4e-06, 2e-05, 5e-06, 4.0000000000000003e-07).fast(2.0), false),
    ("stealth/claude-sonnet-4.6", p(2.4e-06, 1.2e-05, 3e-06, 2.4e-07), false),
    ("us.anthropic.claude-fable-5", p(1.1e-05, 5.5e-05, 1.375e-05, 1.1e-06), false),
    ("us.anthropic.claude-fable-5-1", p(1.1e-05, 5.5e-05, 1.375e-05, 2.75e-07), false),
    ("us.anthropic.claude-haiku-4-5-20251001-v1:0", p(1.1e-06, 5.5e-06, 1.375e-06, 1.1e-07), false),
    ("us.anthropic.claude-opus-4-1-20250805-v1:0", p(1.5e-05, 7.5e-05, 1.875e-05, 1.5e-06), false),
    ("us.anthropic.claude-opus-4-5-20251101-v1:0", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07), false),
    ("us.anthropic.claude-opus-4-6-v1", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(6.0), false),
    ("us.anthropic.claude-opus-4-7", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(6.0), false),
    ("us.anthropic.claude-opus-4-8", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07).fast(2.0), false),
    ("us.anthropic.claude-opus-5", p(5.5e-06, 2.75e-05, 6.875e-06, 5.5e-07), false),
    ("us.anthropic.claude-sonnet-4-20250514-v1:0", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", p(3.2999999999999997e-06, 1.65e-05, 4.125e-06, 3.3e-07), false),
    ("us.anthropic.claude-sonnet-4-6", p(3.2999999999999997e-06, 1.65e-05, 4.125e-06, 3.3e-07), false),
    ("us.anthropic.claude-sonnet-5", p(2.2e-06, 1.1e-05, 2.75e-06, 2.2e-07), false),
    ("vertex-anthropic/claude-haiku-4-5", p(1e-06, 5e-06, 1.2499999999999999e-06, 1.0000000000000001e-07), false),
    ("vertex-anthropic/claude-opus-4-5-20251101", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), false),
    ("vertex-anthropic/claude-opus-4-6", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0), false),
    ("vertex-anthropic/claude-opus-4-7", p(5e-06, 2.5e-05, 6.25e-06, 5e-07).fast(6.0), false),
    ("vertex-anthropic/claude-sonnet-4-5", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("vertex-anthropic/claude-sonnet-4-6", p(3e-06, 1.5e-05, 3.75e-06, 3e-07), false),
    ("vertex-anthropic/claude-sonnet-5", p(2e-06, 1e-05, 2.5e-06, 2.0000000000000002e-07), false),
    ("~anthropic/claude-fable-latest", p(1e-05, 5e-05, 1.25e-05, 2.5e-07), true),
    ("~anthropic/claude-haiku-latest", p(1e-06, 5e-06, 1.25e-06, 1.0000000000000001e-07), true),
    ("~anthropic/claude-opus-latest", p(5e-06, 2.5e-05, 6.25e-06, 5e-07), true),
    ("~anthropic/claude-sonnet-latest", p(2e-06, 1e-05, 2.5e-06, 2.0000000000000002e-07), true),
];

#[cfg(test)]
mod tests {
    use super::*;

    // Every expected value below is worked out by hand from the per-million
    // prices in the module docs and was checked against ccusage 20.0.24
    // (`claude daily|session --json --offline --mode calculate`).

    fn tokens(input: u64, output: u64, c5m: u64, c1h: u64, read: u64) -> TokenCounts {
        TokenCounts {
            input,
            output,
            cache_creation_5m: c5m,
            cache_creation_1h: c1h,
            cache_read: read,
        }
    }

    fn cost(model: &str, t: TokenCounts, fast: bool) -> f64 {
        calculate_cost(model, &t, fast).unwrap_or_else(|| panic!("{model} should be priced"))
    }

    #[track_caller]
    fn assert_usd(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() <= 1e-12 * expected.abs().max(1.0),
            "got {actual}, expected {expected}"
        );
    }

    #[test]
    fn cost_mode_names_round_trip() {
        for mode in [CostMode::Auto, CostMode::Calculate, CostMode::Display] {
            assert_eq!(mode.to_string().parse::<CostMode>(), Ok(mode));
        }
        assert_eq!("calculate".parse(), Ok(CostMode::Calculate));
        assert!("Auto".parse::<CostMode>().is_err());
        assert_eq!(CostMode::default(), CostMode::Auto);
    }

    #[test]
    fn every_bucket_at_its_own_rate() {
        // Opus 4.6 (5 / 25 / 6.25 / 0.50, no tier): 250k×5 + 1k×25 + 10k×6.25
        // + 300k×(2×5) + 500k×0.5 = 4,587,500 µ$.
        assert_usd(
            cost(
                "claude-opus-4-6",
                tokens(250_000, 1_000, 10_000, 300_000, 500_000),
                false,
            ),
            4.5875,
        );
        // Claude 3.5 Haiku (0.80 / 4 / 1 / 0.08): 10×0.8 + 20×4 + 5000×1 + 30×0.08.
        assert_usd(
            cost(
                "claude-3-5-haiku-20241022",
                tokens(10, 20, 5_000, 0, 30),
                false,
            ),
            0.0050904,
        );
        // Haiku 4.5: 1 + 5 + 1.25 + 2×1 + 0.1 per million each.
        let million = 1_000_000;
        assert_usd(
            cost(
                "claude-haiku-4-5",
                tokens(million, million, million, million, million),
                false,
            ),
            9.35,
        );
    }

    #[test]
    fn one_hour_cache_writes_cost_twice_the_input_rate() {
        // Sonnet 4.6: 1M × 2 × 3.
        assert_usd(
            cost("claude-sonnet-4-6", tokens(0, 0, 0, 1_000_000, 0), false),
            6.0,
        );
        // Sonnet 4 tiers the 1h bucket too: 200k × 2×3 + 100k × 2×6.
        assert_usd(
            cost(
                "claude-sonnet-4-20250514",
                tokens(0, 0, 0, 300_000, 0),
                false,
            ),
            2.4,
        );
    }

    #[test]
    fn above_200k_is_per_bucket() {
        // Sonnet 4.5: input 200k×3 + 100k×6; output 200k×15 + 50k×22.5;
        // 5m 200k×3.75 + 10k×7.5; 1h 200k×6 + 20k×12; read 200k×0.3 + 200k×0.6.
        assert_usd(
            cost(
                "claude-sonnet-4-5-20250929",
                tokens(300_000, 250_000, 210_000, 220_000, 400_000),
                false,
            ),
            7.77,
        );
        // The boundary: exactly 200k stays at base, one more token is at 6.
        let s45 = "claude-sonnet-4-5-20250929";
        assert_usd(cost(s45, tokens(200_000, 0, 0, 0, 0), false), 0.6);
        assert_usd(cost(s45, tokens(200_001, 0, 0, 0, 0), false), 0.600006);
        // Buckets are not summed: 150k input + 150k read stay at base.
        assert_usd(cost(s45, tokens(150_000, 0, 0, 0, 150_000), false), 0.495);
        // Models without a tier never switch.
        assert_usd(
            cost("claude-sonnet-4-6", tokens(300_000, 0, 0, 0, 0), false),
            0.9,
        );
        assert_usd(
            cost(
                "claude-3-5-sonnet-20241022",
                tokens(300_000, 0, 0, 0, 0),
                false,
            ),
            0.9,
        );
        assert_usd(
            cost(
                "claude-3-7-sonnet-20250219",
                tokens(300_000, 0, 0, 0, 0),
                false,
            ),
            0.9,
        );
    }

    #[test]
    fn whole_request_tier_for_models_dev_spellings() {
        // `claude-opus-4-6@default` (models.dev): 5 / 25 / 6.25 / 0.5, and
        // 10 / 37.5 / 12.5 / 1 for all tokens once input + cache > 200k.
        let model = "claude-opus-4-6@default";
        assert_usd(
            cost(model, tokens(100_000, 1_000, 0, 0, 100_000), false),
            0.575,
        );
        assert_usd(
            cost(model, tokens(100_000, 1_000, 0, 0, 100_001), false),
            1.137501,
        );
    }

    #[test]
    fn fast_multiplies_the_whole_cost() {
        // Opus 4.6: (1k×5 + 2k×25 + 3k×10 + 4k×0.5) × 6.
        assert_usd(
            cost(
                "claude-opus-4-6",
                tokens(1_000, 2_000, 0, 3_000, 4_000),
                true,
            ),
            0.522,
        );
        // 1k in + 1k out = 0.03 at 5/25; 0.09 at 15/75.
        assert_usd(
            cost("claude-opus-4-7", tokens(1_000, 1_000, 0, 0, 0), true),
            0.18,
        );
        assert_usd(
            cost("claude-opus-4-8", tokens(1_000, 1_000, 0, 0, 0), true),
            0.06,
        );
        assert_usd(
            cost("claude-opus-5", tokens(1_000, 1_000, 0, 0, 0), true),
            0.06,
        );
        assert_usd(
            cost(
                "claude-opus-4-5-20251101",
                tokens(1_000, 1_000, 0, 0, 0),
                true,
            ),
            0.03,
        );
        assert_usd(
            cost(
                "claude-opus-4-1-20250805",
                tokens(1_000, 1_000, 0, 0, 0),
                true,
            ),
            0.09,
        );
        assert_usd(
            cost("claude-sonnet-4-5", tokens(1_000, 100, 0, 0, 0), true),
            0.0045,
        );
        assert_usd(
            cost("claude-opus-4-6", tokens(1_000, 1_000, 0, 0, 0), false),
            0.03,
        );
    }

    #[test]
    fn name_forms() {
        let t = tokens(1_000, 1_000, 0, 0, 0);
        // Dated and undated names share prices.
        assert_usd(cost("claude-opus-4-20250514", t, false), 0.09);
        assert_usd(cost("claude-3-opus-20240229", t, false), 0.09);
        assert_usd(
            cost(
                "claude-sonnet-4-20250514",
                tokens(1_000_000, 0, 0, 0, 0),
                false,
            ),
            5.4,
        );
        // Suffixes and prefixes resolve to the model they contain.
        assert_usd(cost("claude-opus-4-6[1m]", t, true), 0.18);
        assert_usd(cost("anthropic/claude-opus-4-6", t, true), 0.18);
        assert_usd(cost("claude-opus-4.6", t, false), 0.03);
        // Bedrock regional ids have their own prices: 200k×3.3 + 800k×6.6.
        assert_usd(
            cost(
                "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                tokens(1_000_000, 0, 0, 0, 0),
                false,
            ),
            5.94,
        );
        // Claude 3 Haiku: 0.25 + 1.25 + 0.30 + 0.03.
        let m = 1_000_000;
        assert_usd(
            cost("claude-3-haiku-20240307", tokens(m, m, m, 0, m), false),
            1.83,
        );
        assert_usd(cost("claude-sonnet-5", tokens(m, 0, 0, 0, 0), false), 2.0);
        assert_usd(cost("claude-fable-5", tokens(m, m, 0, 0, 0), false), 60.0);
        assert_usd(cost("claude-fable-5-1", tokens(0, 0, 0, 0, m), false), 0.25);
        // A different version number is a different (unknown) model; so is case.
        assert_eq!(calculate_cost("claude-opus-4-0", &t, false), None);
        assert_eq!(calculate_cost("claude-sonnet-4-0", &t, false), None);
        assert_eq!(calculate_cost("CLAUDE-OPUS-4-6", &t, false), None);
        assert_eq!(calculate_cost("gpt-4", &t, false), None);
    }

    #[test]
    fn lookup_returns_table_prices() {
        let p = lookup("claude-sonnet-4-5-20250929").expect("known");
        assert_eq!(
            (p.input, p.output, p.cache_write, p.cache_read),
            (3e-6, 15e-6, 3.75e-6, 0.3e-6)
        );
        assert_eq!(p.input_above_200k, Some(6e-6));
        assert_eq!(p.whole_request_threshold, None);
        assert_eq!(
            lookup("claude-opus-4-6").map(|p| p.fast_multiplier),
            Some(6.0)
        );
        assert!(lookup(SYNTHETIC_MODEL).is_none());
        // Cached answers are the same.
        assert_eq!(lookup("claude-opus-4-6[1m]"), lookup("claude-opus-4-6[1m]"));
    }

    #[test]
    fn synthetic_and_unknown_models() {
        let t = tokens(1_000, 100, 0, 0, 0);
        assert_eq!(calculate_cost(SYNTHETIC_MODEL, &t, false), Some(0.0));
        let unknown = message_cost(CostMode::Calculate, None, "claude-opus-4-0", &t, false);
        assert_eq!(
            unknown,
            Cost {
                usd: 0.0,
                unknown_model: true
            }
        );
        let empty = message_cost(
            CostMode::Auto,
            None,
            "claude-opus-4-0",
            &TokenCounts::default(),
            false,
        );
        assert_eq!(
            empty,
            Cost {
                usd: 0.0,
                unknown_model: false
            }
        );
        let synthetic = message_cost(CostMode::Auto, None, SYNTHETIC_MODEL, &t, false);
        assert_eq!(
            synthetic,
            Cost {
                usd: 0.0,
                unknown_model: false
            }
        );
        // A line without a model: tokens, no cost, no unknown model (as ccusage).
        assert!(lookup("").is_none());
        assert_eq!(
            message_cost(CostMode::Calculate, None, "", &t, false),
            Cost {
                usd: 0.0,
                unknown_model: false
            }
        );
    }

    #[test]
    fn cost_modes() {
        // Haiku 4.5, 100 in + 100 out = 0.0006 calculated; the line says 0.123.
        let t = tokens(100, 100, 0, 0, 0);
        let model = "claude-haiku-4-5-20251001";
        let usd = |mode, reported| message_cost(mode, reported, model, &t, false).usd;
        assert_usd(usd(CostMode::Auto, Some(0.123)), 0.123);
        assert_usd(usd(CostMode::Auto, None), 0.0006);
        assert_usd(usd(CostMode::Calculate, Some(0.123)), 0.0006);
        assert_usd(usd(CostMode::Display, Some(0.123)), 0.123);
        assert_usd(usd(CostMode::Display, None), 0.0);
        // costUSD is taken as is, even for fast or unknown models.
        let fast = message_cost(CostMode::Auto, Some(0.5), "claude-opus-4-7", &t, true);
        assert_eq!(
            fast,
            Cost {
                usd: 0.5,
                unknown_model: false
            }
        );
        let unknown = message_cost(CostMode::Display, None, "nope", &t, false);
        assert_eq!(
            unknown,
            Cost {
                usd: 0.0,
                unknown_model: false
            }
        );
    }

    #[test]
    fn day_totals_match_ccusage_in_every_mode() {
        // One crafted day; ccusage reports 13.0651904 / 13.5075904 / 0.623.
        let lines: [(&str, TokenCounts, bool, Option<f64>); 8] = [
            (
                "claude-opus-4-6",
                tokens(250_000, 1_000, 10_000, 300_000, 500_000),
                false,
                None,
            ),
            (
                "claude-sonnet-4-5-20250929",
                tokens(300_000, 250_000, 210_000, 220_000, 400_000),
                false,
                None,
            ),
            (
                "claude-opus-4-6",
                tokens(1_000, 2_000, 0, 3_000, 4_000),
                true,
                None,
            ),
            (
                "claude-haiku-4-5-20251001",
                tokens(100, 100, 0, 0, 0),
                false,
                Some(0.123),
            ),
            (
                "claude-3-5-haiku-20241022",
                tokens(10, 20, 5_000, 0, 30),
                false,
                None,
            ),
            (SYNTHETIC_MODEL, TokenCounts::default(), false, None),
            ("claude-opus-4-0", tokens(1_000, 0, 0, 0, 0), false, None),
            (
                "claude-opus-4-7",
                tokens(1_000, 1_000, 0, 0, 0),
                true,
                Some(0.5),
            ),
        ];
        let total = |mode| -> f64 {
            lines
                .iter()
                .map(|(model, t, fast, reported)| {
                    message_cost(mode, *reported, model, t, *fast).usd
                })
                .sum()
        };
        assert_usd(total(CostMode::Calculate), 13.0651904);
        assert_usd(total(CostMode::Auto), 13.5075904);
        assert_usd(total(CostMode::Display), 0.623);
    }

    #[test]
    fn total_counts_every_bucket() {
        assert_eq!(tokens(1, 2, 3, 4, 5).total(), 15);
        assert_eq!(tokens(u64::MAX, 1, 0, 0, 0).total(), u64::MAX);
    }

    #[test]
    fn display_names() {
        assert_eq!(
            display_model("claude-opus-4-6", true),
            "claude-opus-4-6-fast"
        );
        assert_eq!(display_model("claude-opus-4-6", false), "claude-opus-4-6");
        // ccusage appends blindly.
        assert_eq!(
            display_model("claude-opus-4-6-fast", true),
            "claude-opus-4-6-fast-fast"
        );
    }

    #[test]
    fn version_boundaries() {
        assert!(contains_key("claude-opus-4-6[1m]", "claude-opus-4-6"));
        assert!(contains_key("claude-opus-4-6-20260205", "claude-opus-4-6"));
        assert!(!contains_key("claude-opus-4-60", "claude-opus-4-6"));
        assert!(!contains_key("claude-opus-4-6-1", "claude-opus-4-6"));
        assert!(!contains_key("xclaude-opus-4-6", "claude-opus-4-6"));
        assert!(contains_key("claude-opus-4-6-v1", "claude-opus-4-6"));
    }
}
