//! The price data against ccusage 20.0.24 itself: every key of `src/price/prices.json` (both
//! tables) and names that need its lookup rules, priced by ccusage (`--offline`) and by ccsync,
//! as Claude Code responses (`claude daily --mode calculate`: every bucket, the tiers, fast
//! mode) and as Codex usage (`codex daily`, standard and `--speed fast`: cached input, cache
//! writes, long-context requests). One day per name and case, so each day is one price.

use std::collections::BTreeMap;
use std::path::Path;

use ccsync::price::{self, CodexTokens, TokenCounts};
use serde_json::{Value, json};

use crate::common::repo;
use crate::parity::ccusage;

/// Names that are no key, resolved by ccusage's rules (or unknown to it).
const NAMES: &[&str] = &[
    "claude-opus-4-6[1m]",
    "anthropic/claude-opus-4-6",
    "claude-opus-4.6",
    "claude-sonnet-4-5-20250929[1m]",
    "us.anthropic.claude-opus-4-6-v1:0",
    "claude-opus-5-fast",
    "claude-opus-5-eu",
    "claude-haiku-4-5-eu",
    "claude-opus-4-0",
    "claude-opus-9-9",
    "CLAUDE-OPUS-4-6",
    "aide-gpt-5",
    "gpt-5-codex-high",
    "o3",
    "o4-mini",
    "openai/gpt-5",
    "gpt-5.3-spark",
    "gpt-reserve",
    "gpt-5.6-2026-01-01",
    "codex-mini-latest",
    "gpt-9",
];

fn names() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("src/price/prices.json")).unwrap();
    let data: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    let mut names: Vec<String> = data
        .keys()
        .filter(|k| !k.starts_with("ccsync_"))
        .cloned()
        .collect();
    names.extend(data["ccsync_fallback"].as_object().unwrap().keys().cloned());
    names.extend(data["ccsync_aliases"].as_object().unwrap().keys().cloned());
    names.extend(NAMES.iter().map(|n| n.to_string()));
    names.sort();
    names.dedup();
    names
}

fn day(n: usize) -> String {
    let start = jiff::civil::date(2000, 1, 1);
    start
        .checked_add(jiff::Span::new().days(n as i64))
        .unwrap()
        .to_string()
}

/// ccusage's cost per day (its `totalCost` or `costUSD` field).
fn ccusage_costs(
    args: &[&str],
    var: &str,
    dir: &Path,
    field: &str,
    rows: &str,
) -> BTreeMap<String, f64> {
    let out = std::process::Command::new(ccusage())
        .args(args)
        .args(["--json", "--offline", "-z", "UTC"])
        .env(var, dir)
        .output()
        .expect("run ccusage");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report[rows]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_owned(),
                d[field].as_f64().unwrap(),
            )
        })
        .collect()
}

/// Differences as lines, or nothing; `ours` by day.
fn differences(ours: &[(String, String, f64)], theirs: &BTreeMap<String, f64>) -> Vec<String> {
    ours.iter()
        .filter_map(|(date, what, cost)| {
            let theirs = theirs.get(date).copied().unwrap_or(0.0);
            let close = (cost - theirs).abs() <= 1e-12 * theirs.abs().max(1e-9);
            (!close).then(|| format!("{what}: ccsync {cost:e}, ccusage {theirs:e}"))
        })
        .collect()
}

#[track_caller]
fn assert_none(differences: Vec<String>, what: &str) {
    assert!(
        differences.is_empty(),
        "{} {what} priced differently from ccusage, e.g.:\n{}",
        differences.len(),
        differences[..differences.len().min(30)].join("\n")
    );
}

const CLAUDE_CASES: [(&str, TokenCounts, bool); 3] = [
    ("standard", tokens(1_000, 2_000, 3_000, 4_000, 5_000), false),
    ("fast", tokens(1_000, 2_000, 3_000, 4_000, 5_000), true),
    (
        "long",
        tokens(250_000, 210_000, 205_000, 220_000, 300_000),
        false,
    ),
];

const fn tokens(input: u64, output: u64, c5m: u64, c1h: u64, read: u64) -> TokenCounts {
    TokenCounts {
        input,
        output,
        cache_creation_5m: c5m,
        cache_creation_1h: c1h,
        cache_read: read,
    }
}

#[test]
fn every_price_is_ccusages_for_claude_code_responses() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("projects/-p");
    std::fs::create_dir_all(&project).unwrap();
    let mut ours = Vec::new();
    for (i, name) in names().iter().enumerate() {
        let mut lines = String::new();
        for (c, (case, t, fast)) in CLAUDE_CASES.iter().enumerate() {
            let date = day(i * CLAUDE_CASES.len() + c);
            let mut usage = json!({
                "input_tokens": t.input, "output_tokens": t.output,
                "cache_creation_input_tokens": t.cache_creation_5m + t.cache_creation_1h,
                "cache_read_input_tokens": t.cache_read,
                "cache_creation": {"ephemeral_5m_input_tokens": t.cache_creation_5m,
                    "ephemeral_1h_input_tokens": t.cache_creation_1h},
            });
            if *fast {
                usage["speed"] = json!("fast");
            }
            let line = json!({"type": "assistant", "timestamp": format!("{date}T12:00:00.000Z"),
                "sessionId": "s", "requestId": format!("req_{i}_{c}"),
                "message": {"id": format!("msg_{i}_{c}"), "model": name, "usage": usage}});
            lines += &format!("{line}\n");
            let cost = price::calculate_cost(name, t, *fast).unwrap_or(0.0);
            ours.push((date, format!("{name} ({case})"), cost));
        }
        std::fs::write(project.join(format!("s{i}.jsonl")), lines).unwrap();
    }
    let args = ["claude", "daily", "--mode", "calculate"];
    let theirs = ccusage_costs(&args, "CLAUDE_CONFIG_DIR", dir.path(), "totalCost", "daily");
    assert_none(differences(&ours, &theirs), "Claude Code responses");
}

/// (case, input incl. cached and written, cached, cache writes, output).
const CODEX_CASES: [(&str, u64, u64, u64, u64); 2] = [
    ("short", 100_000, 40_000, 5_000, 10_000),
    ("long", 300_000, 100_000, 0, 10_000),
];

fn codex_line(date: &str, kind: &str, payload: Value) -> String {
    json!({"timestamp": format!("{date}T12:00:00.000Z"), "type": kind, "payload": payload})
        .to_string()
}

#[test]
fn every_price_is_ccusages_for_codex_usage() {
    let dir = tempfile::tempdir().unwrap();
    let (mut standard, mut fast) = (Vec::new(), Vec::new());
    for (i, name) in names().iter().enumerate() {
        for (c, (case, input, cached, written, output)) in CODEX_CASES.iter().enumerate() {
            let n = i * CODEX_CASES.len() + c;
            let date = day(n);
            let id = format!("00000000-0000-0000-0000-{n:012}");
            let usage = json!({"input_tokens": input, "cached_input_tokens": cached,
                "cache_write_input_tokens": written, "output_tokens": output,
                "reasoning_output_tokens": 0, "total_tokens": input + output});
            let lines = [
                codex_line(
                    &date,
                    "session_meta",
                    json!({"id": id, "cwd": "/x", "cli_version": "0.60.0"}),
                ),
                codex_line(&date, "turn_context", json!({"model": name, "cwd": "/x"})),
                codex_line(
                    &date,
                    "event_msg",
                    json!({"type": "token_count", "info":
                    {"total_token_usage": usage, "last_token_usage": usage, "model_context_window": 400_000}}),
                ),
            ];
            let folder = dir
                .path()
                .join(format!("sessions/{}", date.replace('-', "/")));
            std::fs::create_dir_all(&folder).unwrap();
            let file = folder.join(format!("rollout-{date}T12-00-00-{id}.jsonl"));
            std::fs::write(file, lines.join("\n") + "\n").unwrap();
            let threshold = price::codex_long_context_threshold(name);
            let t = CodexTokens::request(*input, *cached, *written, *output, threshold);
            let what = format!("{name} ({case})");
            let cost = |fast_part: &CodexTokens| price::codex_cost(name, &t, fast_part);
            let none = CodexTokens::default();
            standard.push((date.clone(), what.clone(), cost(&none).unwrap_or(0.0)));
            fast.push((date, what, cost(&t).unwrap_or(0.0)));
        }
    }
    for (speed, ours) in [("standard", standard), ("fast", fast)] {
        let args = ["codex", "daily", "--speed", speed];
        let theirs = ccusage_costs(&args, "CODEX_HOME", dir.path(), "costUSD", "daily");
        assert_none(
            differences(&ours, &theirs),
            &format!("Codex usage ({speed})"),
        );
    }
}
