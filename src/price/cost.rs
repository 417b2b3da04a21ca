//! The cost of one Claude Code response: the hot path (one call per response, millions in a
//! backfill), so a model name is resolved once per process and cached.

use std::sync::{Mutex, OnceLock, PoisonError};

use rustc_hash::FxHashMap;

use super::mode::CostMode;
use super::rates::{ModelPrice, TokenCounts};
use super::table;

/// The model name of API-error placeholder lines; costs 0.
pub const SYNTHETIC_MODEL: &str = "<synthetic>";

/// Where a message's cost comes from, so that re-pricing later can leave a logged cost alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CostSource {
    /// The agent logged it (`costUSD`), in auto or display mode.
    Logged,
    /// Calculated from the tokens and the price table (also the 0 of `<synthetic>`, of a line
    /// without a model and of an unknown model).
    #[default]
    Calculated,
    /// Display mode and nothing logged: 0 by ccusage's rule, neither logged nor calculated.
    Display,
}

impl CostSource {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            CostSource::Logged => "logged",
            CostSource::Calculated => "calculated",
            CostSource::Display => "display",
        }
    }

    /// Where the cost of a message with `reported` (its `costUSD`) comes from in `mode`: the
    /// rule [`message_cost`] applies, and schema 005's default for rows stored before it.
    #[must_use]
    pub const fn of(mode: CostMode, reported: Option<f64>) -> CostSource {
        match (mode, reported) {
            (CostMode::Display | CostMode::Auto, Some(_)) => CostSource::Logged,
            (CostMode::Display, None) => CostSource::Display,
            (CostMode::Auto | CostMode::Calculate, _) => CostSource::Calculated,
        }
    }
}

/// The cost of one message, whether its model could not be priced, and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Cost {
    pub usd: f64,
    /// The cost had to be calculated, the message has tokens, and the model is
    /// unknown (so `usd` is 0): ccusage's "missing pricing" condition.
    pub unknown_model: bool,
    pub source: CostSource,
}

/// Prices of `model` as ccusage resolves them offline (with the pricing file, if one is in
/// use), or `None` if it has none (`<synthetic>` included).
#[must_use]
pub fn lookup(model: &str) -> Option<&'static ModelPrice> {
    type Cache = Mutex<FxHashMap<String, Option<&'static ModelPrice>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(&hit) = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(model)
    {
        return hit;
    }
    let found = table::global()
        .resolve(model)
        .map(|resolution| &resolution.entry.price);
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
    let source = CostSource::of(mode, reported_cost_usd);
    let cost = |usd, unknown_model| Cost {
        usd,
        unknown_model,
        source,
    };
    match (source, reported_cost_usd) {
        (CostSource::Logged, Some(reported)) => cost(reported, false),
        (CostSource::Logged | CostSource::Display, _) => cost(0.0, false),
        (CostSource::Calculated, _) => match calculate_cost(model, tokens, fast) {
            Some(usd) => cost(usd, false),
            None => cost(0.0, *tokens != TokenCounts::default()),
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
