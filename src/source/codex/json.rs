//! A report as `ccusage codex daily|monthly|session --json` prints it: keys sorted, two-space
//! indent, whole costs written as integers (`10`, `0`), `missingPricing` and `unpricedModels`
//! only when true or not empty. A row's label is `date`, `month`, or for a session `sessionId`
//! with `directory` and `sessionFile` (the id split at its last `/`) and `lastActivity`.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use super::group::{CodexReport, Group, Kind, ModelUsage, Sums};

// Fields in alphabetical order of their JSON names: serde writes them in declaration order.
// Each report has one of the lists and its rows one kind of label (the others are skipped).

#[derive(Serialize)]
struct ReportJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    daily: Option<Vec<RowJson<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    monthly: Option<Vec<RowJson<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sessions: Option<Vec<RowJson<'a>>>,
    totals: TotalsJson<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RowJson<'a> {
    cache_creation_tokens: u64,
    cache_read_tokens: u64,
    #[serde(rename = "costUSD", serialize_with = "json_float")]
    cost_usd: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    directory: Option<&'a str>,
    input_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_activity: Option<&'a str>,
    models: BTreeMap<&'a str, ModelJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    month: Option<&'a str>,
    output_tokens: u64,
    reasoning_output_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_id: Option<&'a str>,
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

fn row(kind: Kind, g: &Group) -> RowJson<'_> {
    let s = &g.sums;
    let label = g.label.as_str();
    let is = |k: Kind| (kind == k).then_some(label);
    // A session id without `/` is its own file, in no directory.
    let (directory, file) = label.rsplit_once('/').unwrap_or(("", label));
    RowJson {
        cache_creation_tokens: s.cache_write,
        cache_read_tokens: s.cached,
        cost_usd: g.cost_usd,
        date: is(Kind::Daily),
        directory: is(Kind::Session).map(|_| directory),
        input_tokens: s.input,
        last_activity: g.last_activity.as_deref(),
        models: (g.models.iter())
            .map(|m| (m.name.as_str(), model(m)))
            .collect(),
        month: is(Kind::Monthly),
        output_tokens: s.output,
        reasoning_output_tokens: s.reasoning,
        session_file: is(Kind::Session).map(|_| file),
        session_id: is(Kind::Session),
        total_tokens: s.total,
    }
}

fn model(m: &ModelUsage) -> ModelJson {
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

/// `report` as `ccusage codex daily|monthly|session --json --offline` prints it.
pub(crate) fn report(report: &CodexReport) -> String {
    let t = &report.totals;
    let rows = || Some(report.groups.iter().map(|g| row(report.kind, g)).collect());
    let is = |k: Kind| report.kind == k;
    let json = ReportJson {
        daily: if is(Kind::Daily) { rows() } else { None },
        monthly: if is(Kind::Monthly) { rows() } else { None },
        sessions: if is(Kind::Session) { rows() } else { None },
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
