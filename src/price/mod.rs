//! Model prices as data: ccusage 20.0.24's offline (`--offline`) prices for every Claude and
//! OpenAI model, to the last bit, and its rules for finding a model's entry.
//!
//! The table is `prices.json`, in LiteLLM's `model_prices_and_context_window.json` shape
//! (USD per token): ccusage's LiteLLM snapshot and built-in entries at the top level, its
//! models.dev snapshot under `ccsync_fallback` (consulted only when the top level has no
//! match), its aliases under `ccsync_aliases`. `prices.md` says where each number comes from,
//! what the extra fields mean and how to regenerate the file (`snapshot.py`). It is compiled in
//! and parsed once; `CCSYNC_PRICING_FILE` (same shape) adds or replaces entries at start-up.
//!
//! Pure and I/O-free but for reading that file. Files:
//! - `mode.rs`: [`CostMode`], ccusage's `--mode`;
//! - `rates.rs`: [`ModelPrice`] and [`TokenCounts`], a Claude Code response's cost (each bucket
//!   at its rate; 1-hour cache writes at 2 × input; LiteLLM's above-200k rates per bucket,
//!   models.dev's tiers per request; fast mode × the model's multiplier);
//! - `cost.rs`: [`message_cost`] in a cost mode, and [`Cost`]'s [`CostSource`];
//! - `codex.rs`: OpenAI usage as ccusage's Codex report prices it;
//! - `resolve.rs`: which entry prices a model name, and why (exact key, alias, longest key at
//!   word boundaries, fallback);
//! - `table.rs`: the table, with the pricing file ([`PricingFile`]) over it;
//! - `file.rs`: reading a file of that shape.

mod codex;
mod cost;
mod file;
mod mode;
mod rates;
mod resolve;
mod table;

#[cfg(test)]
mod tests;

pub use codex::{CodexTokens, codex_cost, codex_long_context_threshold};
pub use cost::{
    Cost, CostSource, SYNTHETIC_MODEL, calculate_cost, display_model, lookup, message_cost,
};
pub use mode::{CostMode, ParseCostModeError};
pub use rates::{ModelPrice, TIER_THRESHOLD, TokenCounts};
pub use table::{PricingFile, PricingFileError, use_pricing_file};

pub(crate) use file::{Entry, Origin};
pub(crate) use resolve::{How, Resolution};
pub(crate) use table::{PriceTable, global as table};
