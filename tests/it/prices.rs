//! `ccsync prices [MODEL]` and `CCSYNC_PRICING_FILE`, with the built binary (no ClickHouse):
//! the table, one name's resolution and why, `--json`, a pricing file that adds and replaces
//! models (in `prices` and in what `scan` charges), and a malformed one refused with exit 2.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// The binary in a clean environment in `dir`, with `CCSYNC_PRICING_FILE=file` if given.
fn ccsync(dir: &Path, args: &[&str], file: Option<&Path>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ccsync"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("CLAUDE_CONFIG_DIR", dir.join("claude"))
        .current_dir(dir);
    if let Some(file) = file {
        cmd.env("CCSYNC_PRICING_FILE", file);
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json(run: &Run) -> Value {
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

#[test]
fn the_table_lists_every_model_and_serves_as_a_pricing_file() {
    let dir = tempfile::tempdir().unwrap();
    let run = ccsync(dir.path(), &["prices"], None);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let row = |key: &str| {
        run.stdout
            .lines()
            .find(|l| l.starts_with(&format!("│ {key} ")))
            .unwrap_or_else(|| panic!("no row for {key}:\n{}", run.stdout))
            .split('┆')
            .map(|cell| cell.trim_matches(['│', ' ']).to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        row("gpt-5")[1..6],
        ["LiteLLM", "1.25", "10", "1.5625", "0.125"]
    );
    assert_eq!(row("claude-opus-4-6")[7], "× 6");
    assert_eq!(row("claude-sonnet-4-5")[6], "bucket > 200,000");
    assert_eq!(row("claude-3-haiku")[1], "ccusage built-in");
    assert_eq!(row("gpt-5.3-codex-spark")[1], "models.dev");
    // --json: the table in the data file's shape, which reads back as a pricing file.
    let table = json(&ccsync(dir.path(), &["prices", "--json"], None));
    assert_eq!(table["gpt-5"]["input_cost_per_token"], 1.25e-06);
    assert_eq!(
        table["ccsync_aliases"]["gpt-5.3-spark"],
        "gpt-5.3-codex-spark"
    );
    assert_eq!(
        table["ccsync_fallback"]["gpt-5.3-codex-spark"]["ccsync_exact_only"],
        true
    );
    let file = dir.path().join("all.json");
    std::fs::write(
        &file,
        &ccsync(dir.path(), &["prices", "--json"], None).stdout,
    )
    .unwrap();
    let again = json(&ccsync(dir.path(), &["prices", "--json"], Some(&file)));
    assert_eq!(again["gpt-5"]["input_cost_per_token"], 1.25e-06);
    assert_eq!(again["gpt-5"]["ccsync_source"], "pricing-file");
    assert_eq!(
        again["claude-opus-4-6"]["provider_specific_entry"]["fast"],
        6.0
    );
}

#[test]
fn a_model_shows_its_entry_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let text = |model: &str| ccsync(dir.path(), &["prices", model], None).stdout;
    let opus = text("claude-opus-4-6[1m]");
    assert!(
        opus.starts_with("claude-opus-4-6[1m] → claude-opus-4-6 (LiteLLM)\n"),
        "{opus}"
    );
    assert!(
        opus.contains("the longest key found in the name at word boundaries"),
        "{opus}"
    );
    assert!(
        opus.contains("input 5, output 25, cache write 6.25 (1-hour: 10), cache read 0.5"),
        "{opus}"
    );
    assert!(opus.contains("× 6"), "{opus}");
    // Codex's threshold is said of OpenAI's models only.
    assert!(!opus.contains("Codex:"), "{opus}");
    assert!(text("gpt-5").contains("Codex: long-context requests above"));
    let bedrock = text("anthropic/claude-opus-4-6");
    assert!(
        bedrock.contains("provider prefix `anthropic/` stripped"),
        "{bedrock}"
    );
    let sonnet = text("claude-sonnet-4-5-20250929");
    assert!(
        sonnet.contains("tokens past 200,000 in a bucket: input 6, output 22.5"),
        "{sonnet}"
    );
    let resolved = |model: &str| json(&ccsync(dir.path(), &["prices", "--json", model], None));
    let aide = resolved("aide-gpt-5");
    assert_eq!(
        (&aide["key"], &aide["match"], &aide["table"]),
        (&"gpt-5".into(), &"key-in-name".into(), &"primary".into())
    );
    let spark = resolved("gpt-5.3-spark");
    assert_eq!(
        (&spark["alias"], &spark["table"]),
        (&"gpt-5.3-codex-spark".into(), &"fallback".into())
    );
    let long = resolved("gpt-5.4");
    assert_eq!(long["codex_long_context_threshold"], 272_000);
    assert_eq!(long["price"]["ccsync_whole_request_above_tokens"], 272_000);
    // Unknown: said so, exit 1; `<synthetic>` costs 0 and is no failure.
    let unknown = ccsync(dir.path(), &["prices", "claude-opus-4-0"], None);
    assert_eq!(unknown.code, Some(1));
    assert!(unknown.stdout.contains("not priced"), "{}", unknown.stdout);
    assert!(
        unknown.stdout.contains("CCSYNC_PRICING_FILE"),
        "{}",
        unknown.stdout
    );
    assert_eq!(
        ccsync(dir.path(), &["prices", "<synthetic>"], None).code,
        Some(0)
    );
    let unknown = ccsync(dir.path(), &["prices", "--json", "claude-opus-4-0"], None);
    assert_eq!(unknown.code, Some(1));
    let unknown: Value = serde_json::from_str(&unknown.stdout).unwrap();
    assert_eq!(unknown["priced"], false);
}

#[test]
fn a_pricing_file_adds_and_replaces_models_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prices.json");
    std::fs::write(
        &file,
        r#"{
  "acme-coder-2": {"input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06},
  "claude-sonnet-4-5": {"input_cost_per_token": 1e-06, "output_cost_per_token": 5e-06}
}"#,
    )
    .unwrap();
    let acme = json(&ccsync(
        dir.path(),
        &["prices", "--json", "acme-coder-2-beta"],
        Some(&file),
    ));
    assert_eq!(
        (&acme["key"], &acme["price"]["ccsync_source"]),
        (&"acme-coder-2".into(), &"pricing-file".into())
    );
    assert_eq!(acme["price"]["cache_creation_input_token_cost"], 2.5e-06);
    let sonnet = json(&ccsync(
        dir.path(),
        &["prices", "--json", "claude-sonnet-4-5"],
        Some(&file),
    ));
    assert_eq!(sonnet["price"]["input_cost_per_token"], 1e-06);
    // The flag does the same.
    let flag = ccsync(
        dir.path(),
        &["prices", "acme-coder-2", "--pricing-file", "prices.json"],
        None,
    );
    assert_eq!(flag.code, Some(0), "{}", flag.stderr);
    // What scan charges: 1M input + 1M output of each model.
    let project = dir.path().join("claude/projects/-p");
    std::fs::create_dir_all(&project).unwrap();
    let line = |id: &str, model: &str| {
        format!(
            r#"{{"type":"assistant","timestamp":"2026-01-05T10:00:00.000Z","requestId":"r{id}","message":{{"id":"m{id}","model":"{model}","usage":{{"input_tokens":1000000,"output_tokens":1000000}}}}}}"#
        )
    };
    std::fs::write(
        project.join("s.jsonl"),
        format!(
            "{}\n{}\n",
            line("1", "acme-coder-2"),
            line("2", "claude-sonnet-4-5")
        ),
    )
    .unwrap();
    let args = ["scan", "--json", "-z", "UTC", "--cost-mode", "calculate"];
    let with = json(&ccsync(dir.path(), &args, Some(&file)));
    assert_eq!(with["totals"]["totalCost"].as_f64().unwrap(), 10.0 + 6.0);
    // Built in: acme unknown, Sonnet 4.5 above 200k per bucket (200k × 3 + 800k × 6, 200k × 15
    // + 800k × 22.5).
    let without = json(&ccsync(dir.path(), &args, None));
    let cost = without["totals"]["totalCost"].as_f64().unwrap();
    assert!((cost - 26.4).abs() < 1e-9, "{cost}");
    assert_eq!(without["totals"]["unpricedModels"][0], "acme-coder-2");
}

#[test]
fn a_malformed_pricing_file_stops_every_command_that_prices_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prices.json");
    std::fs::write(
        &file,
        "{\n  \"acme\": {\n    \"input_cost_per_token\": \"2e-6\",\n    \"output_cost_per_token\": 8e-06\n  }\n}\n",
    )
    .unwrap();
    for args in [
        &["prices"][..],
        &["scan", "--json"],
        &["report", "daily", "--local", "--json"],
        &["--once"],
    ] {
        let run = ccsync(dir.path(), args, Some(&file));
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        let place = format!(
            "{}, line 3, column 29 (at [\"acme\"].input_cost_per_token)",
            file.display()
        );
        assert!(run.stderr.contains(&place), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("expected a number (USD per token"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("fix: correct that value"),
            "{}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
    }
    // What never prices is not stopped: above all, the timer can still be uninstalled.
    for args in [&["uninstall"][..], &["query", "--list"]] {
        let run = ccsync(dir.path(), args, Some(&file));
        assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("pricing file"), "{}", run.stderr);
    }
    let missing = ccsync(dir.path(), &["prices"], Some(&dir.path().join("nope.json")));
    assert_eq!(missing.code, Some(2));
    assert!(
        missing.stderr.contains("cannot read the pricing file"),
        "{}",
        missing.stderr
    );
    // doctor reports it as the configuration check.
    let doctor = ccsync(dir.path(), &["doctor"], Some(&file));
    assert_eq!(doctor.code, Some(1), "{}", doctor.stderr);
    assert!(
        doctor.stdout.contains("✗ configuration valid"),
        "{}",
        doctor.stdout
    );
}
