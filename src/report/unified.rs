//! ccusage's all-agent reports: what `ccusage daily|weekly|monthly|session --json` prints when
//! no agent is named (every agent's usage, one row per period or session, `agent` naming
//! whose it is, `"all"` for periods). The arithmetic is the per-agent reports' own
//! ([`super::daily`], [`super::group`], [`super::sessions`]); the shape and these rules are
//! the all-agent reports' (docs/ccusage-compat.md, §9d):
//! - weeks start on Monday (these reports have no `--start-of-week`; the caller's grouping
//!   says, honouring ccsync's);
//! - a period's `modelsUsed` is sorted by name, its `metadata.agents` names its agents, its
//!   equal-cost breakdowns are in the order met over the whole period;
//! - a session's `period` is its id, its `metadata` its last activity (and a Codex session's
//!   reasoning tokens).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::aggregate::{Day, ModelBreakdown, Totals, costliest_first};
use super::json::{BreakdownJson, breakdown, pretty, totals as totals_json};
use super::period::{DateRange, Grouping, Zone, iso_ms};
use super::rows::{Row, Rows, Sym};
use super::session::Session;

/// `ccusage daily|weekly|monthly --json` of `rows` (every agent's) by `grouping` (its weeks
/// from Monday unless asked otherwise), periods ascending (beyond ccusage: `desc`, newest
/// first).
pub(crate) fn periods(
    rows: &Rows,
    zone: &Zone,
    range: DateRange,
    grouping: Grouping,
    desc: bool,
) -> String {
    let mut report = super::group(super::daily(rows, zone.clone(), range), grouping);
    if desc {
        report.daily.reverse();
    }
    let met = met_by_period(rows, zone, range, grouping);
    let list: Vec<Value> = (report.daily.iter())
        .map(|d| period(d, met.get(&d.date), rows))
        .collect();
    let key = grouping.keys().1;
    let totals = totals(&report.totals, &report.unpriced_models);
    pretty(&json!({ key: list, "totals": totals })) + "\n"
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
    // Rows come in runs of one day: a day's period is labelled and looked up once per run.
    let mut last: Option<(jiff::civil::Date, String)> = None;
    for r in rows.rows() {
        let day = zone.day_of(r.timestamp_ms);
        if !range.contains(day) {
            continue;
        }
        if last.as_ref().is_none_or(|(d, _)| *d != day) {
            let label = grouping.label(day);
            met.entry(label.clone()).or_default();
            last = Some((day, label));
        }
        let Some(m) = last.as_ref().and_then(|(_, label)| met.get_mut(label)) else {
            continue;
        };
        m.agents.insert(r.source.name());
        if let Some(model) = r.model.filter(|model| !m.models.contains(model)) {
            m.models.push(model);
        }
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
    let codex = crate::usage::Agent::Codex;
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
            unpriced.extend(missing.map(|b| b.model_name.clone()));
        })
        .map(session)
        .collect();
    let unpriced: Vec<String> = unpriced.into_iter().collect();
    pretty(&json!({ "session": list, "totals": totals(&sums, &unpriced) })) + "\n"
}

fn session(s: &Session) -> Value {
    let t = &s.totals;
    let mut metadata = json!({ "lastActivity": iso_ms(s.last_ms) });
    // A Claude session's models in the order met, its breakdowns as the session report orders
    // them (as `ccusage claude session`); a Codex session's by name (as `ccusage codex
    // session`'s model map).
    let mut models = s.models_used.clone();
    let breakdowns = if s.source == crate::usage::Agent::Codex {
        metadata["reasoningOutputTokens"] = s.reasoning.into();
        models.sort();
        ordered(&s.model_breakdowns, |name| name.to_string())
    } else {
        s.model_breakdowns.iter().map(breakdown).collect()
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
        costliest_first(a, b).then_with(|| rank(&a.model_name).cmp(&rank(&b.model_name)))
    });
    sorted.into_iter().map(breakdown).collect()
}

/// The totals; `unpricedModels` (sorted) only when some model had no price, and the cost of
/// nothing 0 (not the per-agent reports' -0.0), as in ccusage.
fn totals(t: &Totals, unpriced: &[String]) -> Value {
    serde_json::to_value(totals_json(t, unpriced)).expect("plain structs serialize")
}
