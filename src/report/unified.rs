//! ccusage's all-agent reports: what `ccusage daily|weekly|monthly|session --json` prints when
//! no agent is named (every agent's usage, one row per period or session, `agent` naming
//! whose it is, `"all"` for periods). The arithmetic is the per-agent reports' own
//! ([`super::daily`], [`super::group`], [`super::sessions`]); the shape and these rules are
//! the all-agent reports' (docs/ccusage-compat.md, §9d):
//! - weeks start on Monday (these reports have no `--start-of-week`; ccsync's is honoured);
//! - a period's `modelsUsed` is sorted by name, its `metadata.agents` names its agents, its
//!   equal-cost breakdowns are in the order met over the whole period;
//! - a session's `period` is its id, its `metadata` its last activity (and a Codex session's
//!   reasoning tokens).

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Weekday;
use serde_json::{Value, json};

use super::aggregate::{Day, ModelBreakdown, Totals};
use super::json::{BreakdownJson, breakdown, pretty};
use super::period::{DateRange, Grouping, Zone, iso_ms};
use super::rows::{Row, Rows, Sym};
use super::session::Session;

/// The period of an all-agent report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Span {
    Day,
    Week,
    Month,
}

impl Span {
    /// Weeks start on `week_start`, else Monday.
    fn grouping(self, week_start: Option<Weekday>) -> Grouping {
        match self {
            Span::Day => Grouping::Day,
            Span::Week => Grouping::Week(week_start.unwrap_or(Weekday::Monday)),
            Span::Month => Grouping::Month,
        }
    }
}

/// `ccusage daily|weekly|monthly --json` of `rows` (every agent's), periods ascending
/// (beyond ccusage: `desc`, newest first; weeks starting on `week_start`).
pub(crate) fn periods(
    rows: &Rows,
    zone: &Zone,
    range: DateRange,
    span: Span,
    week_start: Option<Weekday>,
    desc: bool,
) -> String {
    let grouping = span.grouping(week_start);
    let mut report = super::group(super::daily(rows, zone.clone(), range), grouping);
    if desc {
        report.daily.reverse();
    }
    let met = met_by_period(rows, zone, range, grouping);
    let list: Vec<Value> = (report.daily.iter())
        .map(|d| period(d, met.get(&d.date), rows))
        .collect();
    let key = grouping.keys().1;
    let unpriced = report.unpriced_models.iter().map(String::as_str).collect();
    pretty(&json!({ key: list, "totals": totals(&report.totals, &unpriced) })) + "\n"
}

/// What a period's rows name: its agents, and its models in the order first met.
#[derive(Default)]
struct Met {
    agents: BTreeSet<&'static str>,
    models: Vec<Sym>,
}

/// The agents and models of each period (by its label).
fn met_by_period(
    rows: &Rows,
    zone: &Zone,
    range: DateRange,
    grouping: Grouping,
) -> BTreeMap<String, Met> {
    let mut met: BTreeMap<String, Met> = BTreeMap::new();
    let mut last: Option<(jiff::civil::Date, String)> = None;
    for r in rows.rows() {
        let day = zone.day_of(r.timestamp_ms);
        if !range.contains(day) {
            continue;
        }
        // Rows come in runs of one day: label a day once.
        let label = match &last {
            Some((d, label)) if *d == day => label.clone(),
            _ => grouping.label(day),
        };
        let m = met.entry(label.clone()).or_default();
        m.agents.insert(r.source.name());
        if let Some(model) = r.model.filter(|model| !m.models.contains(model)) {
            m.models.push(model);
        }
        last = Some((day, label));
    }
    met
}

/// A period: `modelsUsed` sorted by name; breakdowns costliest first, equal costs in the
/// order their models were first met in the period's rows (Claude Code's, then Codex's).
fn period(d: &Day, met: Option<&Met>, rows: &Rows) -> Value {
    let t = &d.totals;
    let mut models = d.models_used.clone();
    models.sort();
    let first_met = |name: &str| {
        let models = met.map_or(&[][..], |m| &m.models[..]);
        models.iter().position(|m| rows.name(*m) == name)
    };
    let breakdowns = ordered(&d.model_breakdowns, first_met);
    let agents: Vec<&str> = met.into_iter().flat_map(|m| &m.agents).copied().collect();
    json!({
        "agent": "all",
        "cacheCreationTokens": t.cache_creation_tokens,
        "cacheReadTokens": t.cache_read_tokens,
        "inputTokens": t.input_tokens,
        "metadata": { "agents": agents },
        "modelBreakdowns": breakdowns,
        "modelsUsed": models,
        "outputTokens": t.output_tokens,
        "period": d.date,
        "totalCost": t.total_cost,
        "totalTokens": t.total_tokens,
    })
}

/// `ccusage session --json` of `rows` (every agent's): sessions costliest first. A Codex
/// session counts its rows of the range's days (in `zone`); a Claude session is whole, listed
/// when its last activity, as UTC text, is within `--since`/`--until` compared as text: so a
/// session active on the `--until` day itself is not (ccusage 20.0.24's all-agent rule, unlike
/// `ccusage claude session`'s).
pub(crate) fn sessions(rows: &Rows, zone: &Zone, range: DateRange) -> String {
    let codex = crate::source::Agent::Codex;
    let counted = |r: &Row| r.source != codex || range.contains(zone.day_of(r.timestamp_ms));
    let report = super::session::sessions_of(rows, zone, counted, false);
    let (since, until) = range.bounds();
    let listed = |s: &&Session| {
        let last = iso_ms(s.last_ms);
        s.source == codex
            || (since.is_none_or(|d| *last >= *d.to_string())
                && until.is_none_or(|d| *last <= *d.to_string()))
    };
    let (mut sums, mut unpriced) = (Totals::default(), BTreeSet::new());
    let list: Vec<Value> = (report.sessions.iter().filter(listed))
        .inspect(|s| {
            sums.merge(&s.totals);
            let missing = s.model_breakdowns.iter().filter(|b| b.missing_pricing);
            unpriced.extend(missing.map(|b| b.model_name.as_str()));
        })
        .map(session)
        .collect();
    pretty(&json!({ "session": list, "totals": totals(&sums, &unpriced) })) + "\n"
}

fn session(s: &Session) -> Value {
    let t = &s.totals;
    let mut metadata = json!({ "lastActivity": iso_ms(s.last_ms) });
    if s.source == crate::source::Agent::Codex {
        metadata["reasoningOutputTokens"] = s.reasoning.into();
    }
    // A Claude session's models in the order met (as `ccusage claude session`); a Codex
    // session's by name (as `ccusage codex session`'s model map).
    let mut models = s.models_used.clone();
    let breakdowns = if s.source == crate::source::Agent::Codex {
        models.sort();
        ordered(&s.model_breakdowns, |name| name.to_string())
    } else {
        ordered(&s.model_breakdowns, |_| ())
    };
    json!({
        "agent": s.source.name(),
        "cacheCreationTokens": t.cache_creation_tokens,
        "cacheReadTokens": t.cache_read_tokens,
        "inputTokens": t.input_tokens,
        "metadata": metadata,
        "modelBreakdowns": breakdowns,
        "modelsUsed": models,
        "outputTokens": t.output_tokens,
        "period": s.session_id,
        "totalCost": t.total_cost,
        "totalTokens": t.total_tokens,
    })
}

/// The breakdowns costliest first, equal costs by `rank` of their model's name.
fn ordered<'a, K: Ord>(
    breakdowns: &'a [ModelBreakdown],
    rank: impl Fn(&str) -> K,
) -> Vec<BreakdownJson<'a>> {
    let mut sorted: Vec<&ModelBreakdown> = breakdowns.iter().collect();
    sorted.sort_by(|a, b| {
        let cost = |m: &ModelBreakdown| m.totals.total_cost;
        (cost(b).partial_cmp(&cost(a)))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| rank(&a.model_name).cmp(&rank(&b.model_name)))
    });
    sorted.into_iter().map(breakdown).collect()
}

/// The totals; `unpricedModels` (sorted) only when some model had no price, as in ccusage.
fn totals(t: &Totals, unpriced: &BTreeSet<&str>) -> Value {
    let mut v = json!({
        "cacheCreationTokens": t.cache_creation_tokens,
        "cacheReadTokens": t.cache_read_tokens,
        "inputTokens": t.input_tokens,
        "outputTokens": t.output_tokens,
        "totalCost": t.total_cost,
        "totalTokens": t.total_tokens,
    });
    if !unpriced.is_empty() {
        v["unpricedModels"] = json!(unpriced);
    }
    v
}
