//! The rows of a Codex report (days, months or sessions) as ccusage sums them: per row and per
//! model (sorted by name) tokens added up; each model's cost computed from its row's token sums
//! (see [`super::cost`]), a row's cost the sum of its models', the total the sum of the rows'.
//! Every report kind is built from these pieces, whatever fed the rows (files or database).

use std::collections::{BTreeMap, BTreeSet};

use super::cost::{self, Bucket};
use super::rows::CodexRow;

/// ccusage's Codex reports (it has no weekly or blocks report for Codex).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Daily,
    Monthly,
    Session,
}

/// Token sums. `input` excludes cached and written-to-cache tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Sums {
    pub input: u64,
    pub cached: u64,
    pub cache_write: u64,
    pub output: u64,
    pub reasoning: u64,
    pub total: u64,
}

impl Sums {
    pub(crate) fn add(&mut self, o: &Sums) {
        self.input = self.input.saturating_add(o.input);
        self.cached = self.cached.saturating_add(o.cached);
        self.cache_write = self.cache_write.saturating_add(o.cache_write);
        self.output = self.output.saturating_add(o.output);
        self.reasoning = self.reasoning.saturating_add(o.reasoning);
        self.total = self.total.saturating_add(o.total);
    }

    fn of(row: &CodexRow) -> Sums {
        Sums {
            input: row.input,
            cached: row.cached_input,
            cache_write: row.cache_write,
            output: row.output,
            reasoning: row.reasoning,
            total: row.total,
        }
    }
}

/// One model's share of a report row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ModelUsage {
    pub name: String,
    pub sums: Sums,
    pub is_fallback: bool,
    /// Used with tokens and no price (its cost counted as 0).
    pub missing_pricing: bool,
    /// The requests' tokens as priced (all, and those on the fast tier): a month is priced
    /// from its days' buckets, as ccusage prices it from its requests' sums.
    pub all: Bucket,
    pub fast: Bucket,
}

/// One row of a report: a day, a month or a session.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Group {
    /// `YYYY-MM-DD`, `YYYY-MM` (in the report's zone) or the session id.
    pub label: String,
    pub sums: Sums,
    pub cost_usd: f64,
    /// Sorted by name.
    pub models: Vec<ModelUsage>,
    /// Sessions only: ccusage's `lastActivity` (see `super::session`).
    pub last_activity: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CodexReport {
    pub kind: Kind,
    pub zone: String,
    /// In ccusage's order: by label.
    pub groups: Vec<Group>,
    pub totals: Sums,
    pub cost_usd: f64,
    /// Models of the reported rows without a price, sorted.
    pub unpriced_models: Vec<String>,
}

impl CodexReport {
    /// The report of `groups` (in order), with its totals.
    pub(crate) fn new(kind: Kind, zone: String, groups: Vec<Group>) -> CodexReport {
        let mut report = CodexReport {
            kind,
            zone,
            groups: Vec::new(),
            totals: Sums::default(),
            cost_usd: 0.0,
            unpriced_models: Vec::new(),
        };
        let mut unpriced = BTreeSet::new();
        for g in &groups {
            let missing = g.models.iter().filter(|m| m.missing_pricing);
            unpriced.extend(missing.map(|m| m.name.clone()));
            report.totals.add(&g.sums);
            report.cost_usd += g.cost_usd;
        }
        report.groups = groups;
        report.unpriced_models = unpriced.into_iter().collect();
        report
    }
}

#[derive(Default)]
struct Acc {
    sums: Sums,
    is_fallback: bool,
    all: Bucket,
    fast: Bucket,
}

/// The models of one report row as its requests are added.
#[derive(Default)]
pub(crate) struct Models(BTreeMap<String, Acc>);

impl Models {
    pub(crate) fn add(&mut self, row: &CodexRow) {
        let acc = self.0.entry(row.model.clone()).or_default();
        acc.sums.add(&Sums::of(row));
        acc.is_fallback |= row.is_fallback_model;
        let request = Bucket::request(&row.model, &row.usage());
        acc.all.add(&request);
        if row.fast {
            acc.fast.add(&request);
        }
    }

    /// Adds a model's usage of another row (a day to its month).
    pub(crate) fn merge(&mut self, m: &ModelUsage) {
        let acc = self.0.entry(m.name.clone()).or_default();
        acc.sums.add(&m.sums);
        acc.is_fallback |= m.is_fallback;
        acc.all.add(&m.all);
        acc.fast.add(&m.fast);
    }

    /// The row `label`, priced.
    pub(crate) fn finish(self, label: String) -> Group {
        let mut out = Group {
            label,
            sums: Sums::default(),
            cost_usd: 0.0,
            models: Vec::with_capacity(self.0.len()),
            last_activity: None,
        };
        for (name, acc) in self.0 {
            let price = cost::cost(&name, &acc.all, &acc.fast);
            out.cost_usd += price.unwrap_or(0.0);
            out.sums.add(&acc.sums);
            out.models.push(ModelUsage {
                missing_pricing: price.is_none() && has_tokens(&acc.sums),
                name,
                sums: acc.sums,
                is_fallback: acc.is_fallback,
                all: acc.all,
                fast: acc.fast,
            });
        }
        out
    }
}

/// ccusage: a model is unpriced when it has tokens (its total, or input + output if larger).
fn has_tokens(s: &Sums) -> bool {
    let logged_input = s
        .input
        .saturating_add(s.cached)
        .saturating_add(s.cache_write);
    s.total.max(logged_input.saturating_add(s.output)) > 0
}
