//! `ccsync scan --agent codex --json` prints what `ccusage codex daily --json --offline`
//! (20.0.24) prints on the same rollouts: keys in the same order, days in the same zone, the
//! same `--since`/`--until` days, tokens exact, costs within 0.01%. On real logs and on crafted
//! trees (tests/data/codex), and for every price of ccsync's OpenAI table.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::repo;
use crate::parity::ccusage;

/// `program args` with `CODEX_HOME` = `homes`, in a clean environment whose `HOME` is empty.
pub(crate) fn run(program: &Path, args: &[&str], homes: &[PathBuf]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let joined: Vec<String> = homes.iter().map(|d| d.display().to_string()).collect();
    Command::new(program)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("CODEX_HOME", joined.join(","))
        .current_dir(home.path())
        .output()
        .unwrap()
}

pub(crate) fn ccusage_json(homes: &[PathBuf], args: &[&str]) -> String {
    let base = ["codex", "daily", "--json", "--offline"];
    crate::common::stdout_of(
        run(&ccusage(), &[&base[..], args].concat(), homes),
        "ccusage",
    )
}

fn scan_json(homes: &[PathBuf], args: &[&str]) -> String {
    let base = ["scan", "--agent", "codex", "--json"];
    let bin = Path::new(env!("CARGO_BIN_EXE_ccsync"));
    crate::common::stdout_of(run(bin, &[&base[..], args].concat(), homes), "ccsync scan")
}

fn assert_same(homes: &[PathBuf], args: &[&str]) {
    let (ours, theirs) = (scan_json(homes, args), ccusage_json(homes, args));
    let what = format!("CODEX_HOME={homes:?} {args:?}");
    assert_eq!(
        crate::common::json_keys(&ours),
        crate::common::json_keys(&theirs),
        "{what}: keys or their order differ"
    );
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap();
    if let Some(d) =
        crate::common::json_difference(&parse(&ours), &parse(&theirs), "", |at, _, _| {
            at.ends_with("costUSD")
        })
    {
        panic!("{what}: {d}\n--- ours:\n{ours}\n--- ccusage:\n{theirs}");
    }
}

fn data(name: &str) -> PathBuf {
    repo().join("tests/data/codex").join(name)
}

const ZONES: [&str; 3] = ["UTC", "America/Los_Angeles", "Asia/Kathmandu"];

fn check(homes: &[PathBuf], ranges: &[&[&str]]) {
    for zone in ZONES {
        for range in ranges {
            assert_same(homes, &[&["-z", zone][..], range].concat());
        }
    }
}

#[test]
fn real_rollouts_give_ccusages_days() {
    check(
        &[data("real")],
        &[&[], &["--since", "20260224"], &["--until", "2026-02-23"]],
    );
}

#[test]
fn crafted_rollouts_follow_every_rule_like_ccusage() {
    let homes = [data("crafted/a"), data("crafted/b")];
    check(
        &homes,
        &[
            &[],
            &["--since", "20260105", "--until", "20260105"],
            &["--since", "2026-01-06"],
        ],
    );
    // The zone matters here: midnight falls between requests.
    let days = |zone| {
        let v: Value = serde_json::from_str(&scan_json(&homes, &["-z", zone])).unwrap();
        v["daily"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["date"].clone())
            .collect::<Vec<_>>()
    };
    assert_ne!(days("UTC"), days("Asia/Kathmandu"));
    check(&[data("crafted/fast")], &[&[]]);
}

#[test]
fn no_codex_home_is_an_empty_report_as_in_ccusage() {
    let dir = tempfile::tempdir().unwrap();
    assert_same(&[dir.path().join("missing")], &["-z", "UTC"]);
}

/// The OpenAI models Codex sessions use (every model of ccsync's first Codex price table).
const CODEX_MODELS: &[&str] = &[
    "gpt-5",
    "gpt-5-codex",
    "gpt-5-mini",
    "gpt-5-nano",
    "gpt-5-pro",
    "gpt-5.1",
    "gpt-5.1-codex",
    "gpt-5.1-codex-max",
    "gpt-5.1-codex-mini",
    "gpt-5.2",
    "gpt-5.2-codex",
    "gpt-5.2-pro",
    "gpt-5.3-codex",
    "gpt-5.3-codex-spark",
    "gpt-5.4",
    "gpt-5.4-mini",
    "gpt-5.4-nano",
    "gpt-5.4-pro",
    "gpt-5.5",
    "gpt-5.5-pro",
    "gpt-5.6",
    "gpt-5.6-luna",
    "gpt-5.6-sol",
    "gpt-5.6-terra",
    "gpt-6-astra",
];

/// One day per model: normal, long-context, cached, written-to-cache and fast requests, so
/// each of its rates, from the shared price table, meets ccusage's.
#[test]
fn every_table_price_is_ccusages() {
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    let usage = |i: u64, c: u64, w: u64, o: u64| {
        format!(
            r#"{{"input_tokens":{i},"cached_input_tokens":{c},"cache_write_input_tokens":{w},"output_tokens":{o},"reasoning_output_tokens":0,"total_tokens":{}}}"#,
            i + o
        )
    };
    for (n, model) in CODEX_MODELS.iter().copied().enumerate() {
        let day = jiff::civil::date(2026, 1, 1) + jiff::Span::new().days(n as i64);
        let at = |t: &str| format!("{day}T{t}.000Z");
        let event = |t: &str, u: String| {
            format!(
                r#"{{"timestamp":"{}","type":"event_msg","payload":{{"type":"token_count","info":{{"last_token_usage":{u}}}}}}}"#,
                at(t)
            )
        };
        let lines = [
            format!(
                r#"{{"timestamp":"{}","type":"turn_context","payload":{{"model":"{model}"}}}}"#,
                at("00:00:00")
            ),
            event("01:00:00", usage(120_003, 40_001, 10_007, 3_001)),
            event("02:00:00", usage(900_017, 300_007, 100_003, 20_011)),
            format!(
                r#"{{"timestamp":"{}","type":"event_msg","payload":{{"type":"thread_settings_applied","thread_settings":{{"service_tier":"fast"}}}}}}"#,
                at("03:00:00")
            ),
            event("04:00:00", usage(50_021, 20_003, 0, 7_013)),
            event("05:00:00", usage(400_009, 100_001, 0, 9_001)),
        ];
        std::fs::write(
            sessions.join(format!("{n:02}.jsonl")),
            lines.join("\n") + "\n",
        )
        .unwrap();
    }
    assert_same(&[dir.path().to_path_buf()], &["-z", "UTC"]);
}
