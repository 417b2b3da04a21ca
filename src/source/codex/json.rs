//! The report as `ccusage codex daily --json` prints it: keys sorted, two-space indent, whole
//! costs written as integers (`10`, `0`), `missingPricing` and `unpricedModels` only when true
//! or not empty.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use super::daily::{CodexReport, Day, ModelDay, Sums};

// Fields in alphabetical order of their JSON names: serde writes them in declaration order.

#[derive(Serialize)]
struct ReportJson<'a> {
    daily: Vec<DayJson<'a>>,
    totals: TotalsJson<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DayJson<'a> {
    cache_creation_tokens: u64,
    cache_read_tokens: u64,
    #[serde(rename = "costUSD", serialize_with = "json_float")]
    cost_usd: f64,
    date: &'a str,
    input_tokens: u64,
    models: BTreeMap<&'a str, ModelJson>,
    output_tokens: u64,
    reasoning_output_tokens: u64,
    total_tokens: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ModelJson {
    cache_creation_tokens: u64,
    cache_read_tokens: u64,
    input_tokens: u64,
    is_fallback: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    missing_pricing: bool,
    output_tokens: u64,
    reasoning_output_tokens: u64,
    total_tokens: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TotalsJson<'a> {
    cache_creation_tokens: u64,
    cache_read_tokens: u64,
    #[serde(rename = "costUSD", serialize_with = "json_float")]
    cost_usd: f64,
    input_tokens: u64,
    output_tokens: u64,
    reasoning_output_tokens: u64,
    total_tokens: u64,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    unpriced_models: &'a [String],
}

/// ccusage writes a whole number of dollars without a fraction (`10`, not `10.0`).
fn json_float<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if x.is_finite() && x.fract() == 0.0 && x.abs() < EXACT {
        s.serialize_i64(*x as i64)
    } else {
        s.serialize_f64(*x)
    }
}

fn day(d: &Day) -> DayJson<'_> {
    let s = &d.sums;
    DayJson {
        cache_creation_tokens: s.cache_write,
        cache_read_tokens: s.cached,
        cost_usd: d.cost_usd,
        date: &d.date,
        input_tokens: s.input,
        models: d
            .models
            .iter()
            .map(|m| (m.name.as_str(), model(m)))
            .collect(),
        output_tokens: s.output,
        reasoning_output_tokens: s.reasoning,
        total_tokens: s.total,
    }
}

fn model(m: &ModelDay) -> ModelJson {
    let s: &Sums = &m.sums;
    ModelJson {
        cache_creation_tokens: s.cache_write,
        cache_read_tokens: s.cached,
        input_tokens: s.input,
        is_fallback: m.is_fallback,
        missing_pricing: m.missing_pricing,
        output_tokens: s.output,
        reasoning_output_tokens: s.reasoning,
        total_tokens: s.total,
    }
}

/// `report` as `ccusage codex daily --json --offline` prints it.
pub(crate) fn daily(report: &CodexReport) -> String {
    let t = &report.totals;
    let json = ReportJson {
        daily: report.days.iter().map(day).collect(),
        totals: TotalsJson {
            cache_creation_tokens: t.cache_write,
            cache_read_tokens: t.cached,
            cost_usd: report.cost_usd,
            input_tokens: t.input,
            output_tokens: t.output,
            reasoning_output_tokens: t.reasoning,
            total_tokens: t.total,
            unpriced_models: &report.unpriced_models,
        },
    };
    serde_json::to_string_pretty(&json).expect("plain structs serialize")
}
