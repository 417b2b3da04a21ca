//! Rows → days, as `ccusage codex daily` sums them: per day (in the report's zone, within
//! `--since`/`--until`) and per model (sorted by name), tokens added up; costs computed from each
//! model's day sums (see [`super::cost`]), a day's cost the sum of its models', the total the
//! sum of the days'.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;

use super::cost::{self, Bucket};
use super::rows::CodexRow;
use crate::report::{DateRange, Zone};

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
    fn add(&mut self, o: &Sums) {
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

/// One model's share of a day.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ModelDay {
    pub name: String,
    pub sums: Sums,
    pub is_fallback: bool,
    /// Used with tokens and no price (its cost counted as 0).
    pub missing_pricing: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Day {
    /// `YYYY-MM-DD` in the report's zone.
    pub date: String,
    pub sums: Sums,
    pub cost_usd: f64,
    /// Sorted by name.
    pub models: Vec<ModelDay>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CodexReport {
    pub zone: String,
    pub days: Vec<Day>,
    pub totals: Sums,
    pub cost_usd: f64,
    /// Models of the reported days without a price, sorted.
    pub unpriced_models: Vec<String>,
}

#[derive(Default)]
struct Acc {
    sums: Sums,
    is_fallback: bool,
    all: Bucket,
    fast: Bucket,
}

/// The aggregation of one report.
pub(crate) struct Daily {
    zone: Zone,
    range: DateRange,
    days: BTreeMap<Date, BTreeMap<String, Acc>>,
}

impl Daily {
    pub(crate) fn new(zone: Zone, range: DateRange) -> Daily {
        Daily {
            zone,
            range,
            days: BTreeMap::new(),
        }
    }

    pub(crate) fn add(&mut self, row: &CodexRow) {
        let day = self.zone.day_of(row.timestamp_ms);
        if !self.range.contains(day) {
            return;
        }
        let models = self.days.entry(day).or_default();
        let acc = models.entry(row.model.clone()).or_default();
        acc.sums.add(&Sums::of(row));
        acc.is_fallback |= row.is_fallback_model;
        let usage = row.usage();
        let request = Bucket::request(&row.model, &usage);
        acc.all.add(&request);
        if row.fast {
            acc.fast.add(&request);
        }
    }

    pub(crate) fn finish(self) -> CodexReport {
        let mut report = CodexReport {
            zone: self.zone.name().to_owned(),
            days: Vec::with_capacity(self.days.len()),
            totals: Sums::default(),
            cost_usd: 0.0,
            unpriced_models: Vec::new(),
        };
        let mut unpriced = BTreeSet::new();
        for (date, models) in self.days {
            let day = day(date, models);
            unpriced.extend(
                (day.models.iter())
                    .filter(|m| m.missing_pricing)
                    .map(|m| m.name.clone()),
            );
            report.totals.add(&day.sums);
            report.cost_usd += day.cost_usd;
            report.days.push(day);
        }
        report.unpriced_models = unpriced.into_iter().collect();
        report
    }
}

fn day(date: Date, models: BTreeMap<String, Acc>) -> Day {
    let mut out = Day {
        date: date.to_string(),
        sums: Sums::default(),
        cost_usd: 0.0,
        models: Vec::with_capacity(models.len()),
    };
    for (name, acc) in models {
        let price = cost::cost(&name, &acc.all, &acc.fast);
        out.cost_usd += price.unwrap_or(0.0);
        out.sums.add(&acc.sums);
        let s = &acc.sums;
        // ccusage: unpriced when it has tokens (its total, or input + output if larger).
        let logged_input = s
            .input
            .saturating_add(s.cached)
            .saturating_add(s.cache_write);
        let tokens = (s.total).max(logged_input.saturating_add(s.output));
        out.models.push(ModelDay {
            missing_pricing: price.is_none() && tokens > 0,
            name,
            sums: acc.sums,
            is_fallback: acc.is_fallback,
        });
    }
    out
}
