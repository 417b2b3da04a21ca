//! Rows → per-day totals with per-model breakdowns, grand totals and unpriced models, summed
//! the way ccusage 20.0.24 sums them (docs/ccusage-compat.md, "Reports").

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use rustc_hash::FxHashMap;

use super::period::{DateRange, Zone};
use super::rows::{Rows, Sym};
use crate::price;

/// Token counts of one row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tokens {
    pub input: u64,
    pub output: u64,
    pub cache_creation: u64,
    pub cache_read: u64,
}

impl Tokens {
    pub(crate) fn total(&self) -> u64 {
        self.input
            .saturating_add(self.output)
            .saturating_add(self.cache_creation)
            .saturating_add(self.cache_read)
    }
}

/// A model name interned by [`Daily::model`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ModelId(u32);

/// One priced response, whatever it was read from (the local parse, or the database).
#[derive(Debug, Clone, Copy)]
pub(crate) struct UsageRow {
    pub timestamp_ms: i64,
    /// `None` where ccusage lists no model (see [`listed_model`]): the row counts in its day's
    /// totals only.
    pub model: Option<ModelId>,
    pub tokens: Tokens,
    pub cost_usd: f64,
    /// The cost had to be calculated and the model has no price (`price::Cost::unknown_model`).
    pub unpriced: bool,
}

/// The name ccusage lists a response under (`<model>-fast` in fast mode), or `None` where it
/// lists none: `<synthetic>` (failed calls, also in fast mode) and lines without a model. Such
/// rows are in no `modelsUsed`, breakdown or `unpricedModels`, so breakdowns need not add up
/// to their day.
pub(crate) fn listed_model(raw: &str, fast: bool) -> Option<String> {
    (raw != price::SYNTHETIC_MODEL && !raw.is_empty()).then(|| price::display_model(raw, fast))
}

/// Sums of tokens and cost.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Totals {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_tokens: u64,
    pub cache_read_tokens: u64,
    pub total_tokens: u64,
    pub total_cost: f64,
}

impl Totals {
    /// Saturating, as ccusage sums: hostile lines may carry counts near u64::MAX.
    pub(super) fn add(&mut self, t: &Tokens, cost: f64) {
        self.input_tokens = self.input_tokens.saturating_add(t.input);
        self.output_tokens = self.output_tokens.saturating_add(t.output);
        self.cache_creation_tokens = self.cache_creation_tokens.saturating_add(t.cache_creation);
        self.cache_read_tokens = self.cache_read_tokens.saturating_add(t.cache_read);
        self.total_tokens = self.total_tokens.saturating_add(t.total());
        self.total_cost += cost;
    }

    pub(super) fn merge(&mut self, o: &Totals) {
        let t = Tokens {
            input: o.input_tokens,
            output: o.output_tokens,
            cache_creation: o.cache_creation_tokens,
            cache_read: o.cache_read_tokens,
        };
        let total_tokens = self.total_tokens.saturating_add(o.total_tokens);
        self.add(&t, o.total_cost);
        self.total_tokens = total_tokens;
    }
}

/// One model's share of a day (`missing_pricing`: some of it could not be priced).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ModelBreakdown {
    pub model_name: String,
    pub totals: Totals,
    pub missing_pricing: bool,
}

/// One day of the report.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Day {
    /// `YYYY-MM-DD` in the report's zone.
    pub date: String,
    pub totals: Totals,
    /// In the order ccusage first met each model that day.
    pub models_used: Vec<String>,
    /// Costliest first; equal costs in `models_used` order.
    pub model_breakdowns: Vec<ModelBreakdown>,
}

/// A daily report: days in ascending order, then the totals of those days.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DailyReport {
    /// The name of the zone days are counted in.
    pub zone: String,
    pub daily: Vec<Day>,
    pub totals: Totals,
    /// Listed models of the reported days with a cost that could not be calculated, sorted.
    pub unpriced_models: Vec<String>,
}

/// A day being summed; its models in the order they were first met.
#[derive(Default)]
struct DayParts {
    totals: Totals,
    models: ModelSums,
}

/// Per-model sums of a day, period or session, keyed by a model's number, in the order the
/// models were first met (a handful each: a scan beats a map).
#[derive(Default)]
pub(super) struct ModelSums(Vec<(u32, Totals, bool)>);

impl ModelSums {
    pub(super) fn add(&mut self, model: u32, totals: &Totals, unpriced: bool) {
        let at = match self.0.iter().position(|(m, ..)| *m == model) {
            Some(at) => at,
            None => {
                self.0.push((model, Totals::default(), false));
                self.0.len() - 1
            }
        };
        let (_, sums, missing) = &mut self.0[at];
        sums.merge(totals);
        *missing |= unpriced;
    }

    /// The models' names in the order they were met.
    pub(super) fn names(&self, name: impl Fn(u32) -> String) -> Vec<String> {
        self.0.iter().map(|(m, ..)| name(*m)).collect()
    }

    /// The breakdowns, costliest first; equal costs (unpriced models; 0.0 and -0.0 alike)
    /// keep the order the models were met in (a stable sort).
    pub(super) fn breakdowns(&self, name: impl Fn(u32) -> String) -> Vec<ModelBreakdown> {
        let mut breakdowns: Vec<ModelBreakdown> = (self.0.iter())
            .map(|(m, t, missing)| ModelBreakdown {
                model_name: name(*m),
                totals: t.clone(),
                missing_pricing: *missing,
            })
            .collect();
        breakdowns.sort_by(costliest_first);
        breakdowns
    }
}

/// Breakdowns costliest first; equal costs (and NaN) compare equal, so a stable sort keeps
/// their order.
pub(super) fn costliest_first(a: &ModelBreakdown, b: &ModelBreakdown) -> std::cmp::Ordering {
    (b.totals.total_cost)
        .partial_cmp(&a.totals.total_cost)
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// The totals of one row.
pub(super) fn row_totals(tokens: &Tokens, cost: f64) -> Totals {
    let mut t = Totals::default();
    t.add(tokens, cost);
    t
}

/// The daily aggregation. Rows must come in ccusage's order (each response where its first
/// line is: files by bytewise path, lines in order): that order decides `modelsUsed` and
/// the order of breakdowns of equal cost, and the order costs are summed in.
pub(crate) struct Daily {
    zone: Zone,
    range: DateRange,
    names: Vec<String>,
    index: FxHashMap<String, u32>,
    days: BTreeMap<Date, DayParts>,
}

impl Daily {
    pub(crate) fn new(zone: Zone, range: DateRange) -> Self {
        Daily {
            zone,
            range,
            names: Vec::new(),
            index: FxHashMap::default(),
            days: BTreeMap::new(),
        }
    }

    /// The id rows of the model named `name` (as listed: see [`listed_model`]) carry.
    pub(crate) fn model(&mut self, name: &str) -> ModelId {
        if let Some(&i) = self.index.get(name) {
            return ModelId(i);
        }
        let i = u32::try_from(self.names.len()).expect("fewer than 2^32 models");
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        ModelId(i)
    }

    pub(crate) fn add(&mut self, row: &UsageRow) {
        let day = self.zone.day_of(row.timestamp_ms);
        if !self.range.contains(day) {
            return;
        }
        let parts = self.days.entry(day).or_default();
        parts.totals.add(&row.tokens, row.cost_usd);
        if let Some(ModelId(model)) = row.model {
            let t = row_totals(&row.tokens, row.cost_usd);
            parts.models.add(model, &t, row.unpriced);
        }
    }

    pub(crate) fn finish(self) -> DailyReport {
        let mut totals = Totals::default();
        let mut unpriced = BTreeSet::new();
        let mut daily = Vec::with_capacity(self.days.len());
        for (date, parts) in self.days {
            // Days in ascending order: the totals' cost is summed in that order, as ccusage's.
            totals.merge(&parts.totals);
            let name = |m: u32| self.names[m as usize].clone();
            let breakdowns = parts.models.breakdowns(name);
            unpriced.extend(
                breakdowns
                    .iter()
                    .filter(|b| b.missing_pricing)
                    .map(|b| b.model_name.clone()),
            );
            daily.push(Day {
                date: date.to_string(),
                totals: parts.totals,
                models_used: parts.models.names(name),
                model_breakdowns: breakdowns,
            });
        }
        DailyReport {
            zone: self.zone.name().to_string(),
            daily,
            totals,
            unpriced_models: unpriced.into_iter().collect(),
        }
    }
}

/// The daily report of `rows` (in ccusage's order) in `zone` within `range`.
pub(crate) fn daily(rows: &Rows, zone: Zone, range: DateRange) -> DailyReport {
    let mut daily = Daily::new(zone, range);
    let mut ids: FxHashMap<Sym, ModelId> = FxHashMap::default();
    for r in rows.rows() {
        let model = r
            .model
            .map(|m| *ids.entry(m).or_insert_with(|| daily.model(rows.name(m))));
        daily.add(&UsageRow {
            timestamp_ms: r.timestamp_ms,
            model,
            tokens: r.tokens,
            cost_usd: r.cost_usd,
            unpriced: r.unpriced,
        });
    }
    daily.finish()
}

#[cfg(test)]
#[path = "aggregate_tests.rs"]
mod tests;
