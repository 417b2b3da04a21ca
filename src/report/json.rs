//! Reports in ccusage 20.0.24's JSON shapes (`ccusage claude daily --json`): the same keys in
//! the same (alphabetical) order, so the two outputs can be compared as text.

use serde::Serialize;

use serde_json::{Value, json};

use super::aggregate::{DailyReport, Day, ModelBreakdown, Totals};
use super::blocks::{Block, BlocksReport};
use super::period::{Grouping, iso_ms};
use super::session::{Session, SessionReport};
use super::subagents::AgentUsage;

// Fields are declared in alphabetical order of their JSON names: serde writes them in
// declaration order, and ccusage's keys are sorted.

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DailyJson<'a> {
    daily: Vec<DayJson<'a>>,
    totals: TotalsJson<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DayJson<'a> {
    cache_creation_tokens: u64,
    cache_read_tokens: u64,
    date: &'a str,
    input_tokens: u64,
    model_breakdowns: Vec<BreakdownJson<'a>>,
    models_used: &'a [String],
    output_tokens: u64,
    total_cost: f64,
    total_tokens: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BreakdownJson<'a> {
    cache_creation_tokens: u64,
    cache_read_tokens: u64,
    cost: f64,
    input_tokens: u64,
    /// Only on models that could not be priced, as in ccusage.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    missing_pricing: bool,
    model_name: &'a str,
    output_tokens: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TotalsJson<'a> {
    cache_creation_tokens: u64,
    cache_read_tokens: u64,
    input_tokens: u64,
    output_tokens: u64,
    total_cost: f64,
    total_tokens: u64,
    /// Absent, not empty, when every model was priced (as in ccusage).
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    unpriced_models: &'a [String],
}

fn day(d: &Day) -> DayJson<'_> {
    let t = &d.totals;
    DayJson {
        cache_creation_tokens: t.cache_creation_tokens,
        cache_read_tokens: t.cache_read_tokens,
        date: &d.date,
        input_tokens: t.input_tokens,
        model_breakdowns: d.model_breakdowns.iter().map(breakdown).collect(),
        models_used: &d.models_used,
        output_tokens: t.output_tokens,
        total_cost: t.total_cost,
        total_tokens: t.total_tokens,
    }
}

pub(super) fn breakdown(b: &ModelBreakdown) -> BreakdownJson<'_> {
    let t = &b.totals;
    BreakdownJson {
        cache_creation_tokens: t.cache_creation_tokens,
        cache_read_tokens: t.cache_read_tokens,
        cost: t.total_cost,
        input_tokens: t.input_tokens,
        missing_pricing: b.missing_pricing,
        model_name: &b.model_name,
        output_tokens: t.output_tokens,
    }
}

pub(super) fn totals<'a>(t: &Totals, unpriced_models: &'a [String]) -> TotalsJson<'a> {
    TotalsJson {
        cache_creation_tokens: t.cache_creation_tokens,
        cache_read_tokens: t.cache_read_tokens,
        input_tokens: t.input_tokens,
        output_tokens: t.output_tokens,
        total_cost: t.total_cost,
        total_tokens: t.total_tokens,
        unpriced_models,
    }
}

/// `report` as `ccusage claude daily --json` prints it (pretty, two-space indent).
pub(crate) fn daily(report: &DailyReport) -> String {
    let mut json = DailyJson {
        daily: report.daily.iter().map(day).collect(),
        totals: totals(&report.totals, &report.unpriced_models),
    };
    // ccusage's costs are Rust `f64` sums, which start at -0.0: the cost of no day is -0.0.
    // (A day or a breakdown always has a row: its sum is that of its costs.)
    if report.daily.is_empty() {
        json.totals.total_cost = -0.0;
    }
    serde_json::to_string_pretty(&json).expect("plain structs serialize")
}

// The other reports are built as `serde_json::Value`s: its maps keep keys sorted, as ccusage's.

pub(super) fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).expect("values serialize")
}

/// A weekly or monthly report as `ccusage claude weekly|monthly --json` prints it; a daily one
/// as [`daily`].
pub(crate) fn periods(report: &DailyReport, grouping: Grouping) -> String {
    if grouping == Grouping::Day {
        return daily(report);
    }
    let (label, list) = grouping.keys();
    let periods: Vec<Value> = (report.daily.iter())
        .map(|d| {
            let mut v = serde_json::to_value(day(d)).expect("plain structs serialize");
            if let Some(map) = v.as_object_mut() {
                map.remove("date");
                map.insert(label.into(), d.date.clone().into());
            }
            v
        })
        .collect();
    pretty(
        &json!({ list: periods, "totals": totals_value(report.daily.is_empty(), &report.totals, &report.unpriced_models) }),
    )
}

/// Totals; the cost of nothing is -0.0 (an empty `f64` sum in ccusage).
fn totals_value(empty: bool, t: &Totals, unpriced: &[String]) -> Value {
    let mut json = totals(t, unpriced);
    if empty {
        json.total_cost = -0.0;
    }
    serde_json::to_value(json).expect("plain structs serialize")
}

/// `ccusage claude session --json`.
pub(crate) fn sessions(report: &SessionReport) -> String {
    let sessions: Vec<Value> = (report.sessions.iter())
        .map(|s| session(s, report.by_agent))
        .collect();
    let totals = totals_value(
        report.sessions.is_empty(),
        &report.totals,
        &report.unpriced_models,
    );
    pretty(&json!({ "sessions": sessions, "totals": totals }))
}

fn session(s: &Session, by_agent: bool) -> Value {
    let t = &s.totals;
    let breakdowns: Vec<BreakdownJson<'_>> = s.model_breakdowns.iter().map(breakdown).collect();
    let mut v = json!({
        "cacheCreationTokens": t.cache_creation_tokens,
        "cacheReadTokens": t.cache_read_tokens,
        "firstActivity": iso_ms(s.first_ms),
        "inputTokens": t.input_tokens,
        "lastActivity": iso_ms(s.last_ms),
        "modelBreakdowns": breakdowns,
        "modelsUsed": s.models_used,
        "outputTokens": t.output_tokens,
        "projectPath": s.project_path,
        "sessionId": s.session_id,
        "totalCost": t.total_cost,
        "totalTokens": t.total_tokens,
    });
    // Beyond ccusage, only when asked (`--subagents`): its shape stays ccusage's otherwise.
    if let (true, Some(map)) = (by_agent, v.as_object_mut()) {
        let parts: Vec<Value> = s.subagents.iter().map(agent).collect();
        map.insert("subagents".into(), parts.into());
    }
    v
}

/// A session's part made by one agent (`agentId` `(main)` for the main thread).
fn agent(a: &AgentUsage) -> Value {
    let t = &a.totals;
    json!({
        "agentId": a.agent_id,
        "agentType": a.agent_type,
        "cacheCreationTokens": t.cache_creation_tokens,
        "cacheReadTokens": t.cache_read_tokens,
        "inputTokens": t.input_tokens,
        "modelsUsed": a.models_used,
        "outputTokens": t.output_tokens,
        "totalCost": t.total_cost,
        "totalTokens": t.total_tokens,
    })
}

/// `ccusage claude blocks --json`.
pub(crate) fn blocks(report: &BlocksReport) -> String {
    let blocks: Vec<Value> = report.blocks.iter().map(block).collect();
    pretty(&json!({ "blocks": blocks }))
}

/// A dollar amount as ccusage writes a block's: whole amounts as integers (`3`, `0`).
fn usd(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

fn block(b: &Block) -> Value {
    let id = if b.is_gap {
        format!("gap-{}", iso_ms(b.start_ms))
    } else {
        iso_ms(b.start_ms)
    };
    let mut v = json!({
        "actualEndTime": b.actual_end_ms.map(iso_ms),
        "burnRate": b.burn_rate.as_ref().map(|r| json!({
            "costPerHour": r.cost_per_hour,
            "tokensPerMinute": r.tokens_per_minute,
            "tokensPerMinuteForIndicator": r.tokens_per_minute_for_indicator,
        })),
        "costUSD": usd(b.cost_usd),
        "endTime": iso_ms(b.end_ms),
        "entries": b.entries,
        "id": id,
        "isActive": b.is_active,
        "isGap": b.is_gap,
        "models": b.models,
        "projection": b.projection.as_ref().map(|p| json!({
            "remainingMinutes": p.remaining_minutes,
            "totalCost": p.total_cost,
            "totalTokens": p.total_tokens,
        })),
        "startTime": iso_ms(b.start_ms),
        "tokenCounts": {
            "cacheCreationInputTokens": b.tokens.cache_creation,
            "cacheReadInputTokens": b.tokens.cache_read,
            "inputTokens": b.tokens.input,
            "outputTokens": b.tokens.output,
        },
        "totalTokens": b.total_tokens(),
    });
    if let (Some(l), Some(map)) = (&b.limit, v.as_object_mut()) {
        map.insert(
            "tokenLimitStatus".into(),
            json!({
                "limit": l.limit,
                "percentUsed": l.percent_used,
                "projectedUsage": l.projected_usage,
                "status": l.status,
            }),
        );
    }
    v
}

#[cfg(test)]
mod tests {
    use super::super::aggregate::{Daily, Tokens, UsageRow};
    use super::super::period::{DateRange, Zone};
    use super::*;

    #[test]
    fn an_empty_report_is_ccusages_to_the_byte() {
        let report = Daily::new(Zone::utc(), DateRange::ALL).finish();
        // Captured from `ccusage claude daily --json --offline -z UTC --since` a day past the
        // last one: an empty sum of costs is -0.0 there.
        let expected = r#"{
  "daily": [],
  "totals": {
    "cacheCreationTokens": 0,
    "cacheReadTokens": 0,
    "inputTokens": 0,
    "outputTokens": 0,
    "totalCost": -0.0,
    "totalTokens": 0
  }
}"#;
        assert_eq!(daily(&report), expected);
    }

    #[test]
    fn keys_are_ccusages_in_its_order() {
        let mut d = Daily::new(Zone::utc(), DateRange::ALL);
        let known = d.model("claude-sonnet-4-6");
        let unknown = d.model("claude-future-9");
        let row = |model, cost_usd, unpriced| UsageRow {
            timestamp_ms: 1_767_607_200_000, // 2026-01-05T10:00:00Z
            model: Some(model),
            tokens: Tokens {
                input: 1000,
                output: 100,
                ..Tokens::default()
            },
            cost_usd,
            unpriced,
        };
        d.add(&row(known, 0.0045000000000000005, false));
        d.add(&row(unknown, 0.0, true));
        let text = daily(&d.finish());
        // The day of ccusage's output for the same two lines (docs/ccusage-compat.md, §9).
        let expected_day = r#"    {
      "cacheCreationTokens": 0,
      "cacheReadTokens": 0,
      "date": "2026-01-05",
      "inputTokens": 2000,
      "modelBreakdowns": [
        {
          "cacheCreationTokens": 0,
          "cacheReadTokens": 0,
          "cost": 0.0045000000000000005,
          "inputTokens": 1000,
          "modelName": "claude-sonnet-4-6",
          "outputTokens": 100
        },
        {
          "cacheCreationTokens": 0,
          "cacheReadTokens": 0,
          "cost": 0.0,
          "inputTokens": 1000,
          "missingPricing": true,
          "modelName": "claude-future-9",
          "outputTokens": 100
        }
      ],
      "modelsUsed": [
        "claude-sonnet-4-6",
        "claude-future-9"
      ],
      "outputTokens": 200,
      "totalCost": 0.0045000000000000005,
      "totalTokens": 2200
    }"#;
        assert!(text.contains(expected_day), "{text}");
        assert!(
            text.ends_with(
                "\"totalTokens\": 2200,\n    \"unpricedModels\": [\n      \"claude-future-9\"\n    ]\n  }\n}"
            ),
            "{text}"
        );
    }
}
