//! `ccsync query` as a user runs it: listing, parameters, formats and mistakes.

use crate::common::*;
use crate::queries::fixture;

fn run(env: &Env, args: &[&str]) -> (Option<i32>, String, String) {
    let out = env.command(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn list_describes_every_query_without_a_server() {
    let env = Env::new("qcli_list");
    let (code, stdout, stderr) = {
        let out = env
            .command(&["query", "--list"])
            .env("CLICKHOUSE_URL", "http://127.0.0.1:9")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(code, Some(0), "{stderr}");
    for q in ccsync::store::query::pack() {
        assert!(stdout.contains(&q.name), "{}", q.name);
    }
    assert!(stdout.contains("Tokens by kind, cost"), "{stdout}");
    // Piped, the listing still wraps to a readable width.
    assert!(stdout.lines().all(|l| l.chars().count() <= 120), "{stdout}");
    let (code, stdout, _) = run(&env, &["query", "--list", "--format", "json"]);
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let daily = v
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "daily_by_machine")
        .unwrap();
    let param = |name: &str| {
        daily["params"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no parameter {name}: {daily}"))
            .clone()
    };
    // Every day ClickHouse can store (issue 15, case 7).
    assert_eq!(param("since")["type"], "Date32");
    assert_eq!(param("since")["default"], "0000-01-01");
    assert_eq!(param("until")["type"], "Date32");
    assert_eq!(param("until")["default"], "9999-12-31");
    // Every source (agent) unless one is named.
    assert_eq!(param("source")["type"], "String");
    assert_eq!(param("source")["default"], "");
    // --sql prints the file for clickhouse-client.
    let (code, stdout, _) = run(&env, &["query", "global_daily", "--sql"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        stdout,
        std::fs::read_to_string(repo().join("queries/global_daily.sql")).unwrap()
    );
}

#[tokio::test]
async fn a_query_runs_with_parameters_in_every_format() {
    let env = fixture("qcli_run").await;
    let args = [
        "query",
        "daily_by_machine",
        "--param",
        "machine=beta",
        "-p",
        "since=2026-01-07",
    ];
    let with = |format: &str| {
        let mut a = args.to_vec();
        a.extend(["--format", format]);
        let (code, stdout, stderr) = run(&env, &a);
        assert_eq!(code, Some(0), "{format}: {stderr}");
        stdout
    };
    // Piped without COLUMNS: one table, never reflowed; thousands separators, dollars with
    // cents, numbers (and their headers) right-aligned, text left-aligned.
    assert_eq!(
        with("table"),
        "\
┌────────────┬──────────────┬──────────┬──────────────┬───────────────┬───────────────────────┬───────────────────┬──────────┐
│ day        ┆ machine_name ┆ messages ┆ input_tokens ┆ output_tokens ┆ cache_creation_tokens ┆ cache_read_tokens ┆ cost_usd │
╞════════════╪══════════════╪══════════╪══════════════╪═══════════════╪═══════════════════════╪═══════════════════╪══════════╡
│ 2026-01-07 ┆ beta         ┆        6 ┆        2,125 ┆         1,310 ┆                 2,000 ┆           260,000 ┆    $1.20 │
└────────────┴──────────────┴──────────┴──────────────┴───────────────┴───────────────────────┴───────────────────┴──────────┘
"
    );

    // JSON, CSV and TSV keep raw values at full precision.
    let json: serde_json::Value = serde_json::from_str(&with("json")).unwrap();
    assert_eq!(
        json,
        serde_json::json!([{
            "day": "2026-01-07", "machine_name": "beta", "messages": 6, "input_tokens": 2125,
            "output_tokens": 1310, "cache_creation_tokens": 2000, "cache_read_tokens": 260000,
            "cost_usd": 1.1958
        }])
    );
    assert_eq!(
        with("csv"),
        "\"day\",\"machine_name\",\"messages\",\"input_tokens\",\"output_tokens\",\"cache_creation_tokens\",\"cache_read_tokens\",\"cost_usd\"\n\
         \"2026-01-07\",\"beta\",6,2125,1310,2000,260000,1.1958\n"
    );
    assert_eq!(
        with("tsv"),
        "day\tmachine_name\tmessages\tinput_tokens\toutput_tokens\tcache_creation_tokens\tcache_read_tokens\tcost_usd\n\
         2026-01-07\tbeta\t6\t2125\t1310\t2000\t260000\t1.1958\n"
    );
    // A value that needs escaping is bound server-side, not pasted: no rows, no error.
    let (code, stdout, stderr) = run(
        &env,
        &[
            "query",
            "daily_by_machine",
            "-p",
            "machine=x' OR '1'='1",
            "-f",
            "json",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "[]\n");
    // The fixture is all claude: another source has nothing, claude has everything.
    for (source, rows) in [("codex", 0), ("claude", 7), ("", 7)] {
        let p = format!("source={source}");
        let (code, stdout, stderr) =
            run(&env, &["query", "daily_by_source", "-p", &p, "-f", "json"]);
        assert_eq!(code, Some(0), "{stderr}");
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(v.as_array().unwrap().len(), rows, "{source}: {stdout}");
    }
    // Nullable parameters: empty means NULL (now).
    let (code, stdout, _) = run(&env, &["query", "overview", "-p", "as_of=", "-f", "json"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("\"cost_total_usd\": 27.4458"), "{stdout}");
    // as_of to the millisecond (ISO 8601 as in transcripts), days before 1970.
    let (code, stdout, stderr) = run(
        &env,
        &[
            "query",
            "freshness",
            "-p",
            "machine=beta",
            "-p",
            "as_of=2026-01-07T09:09:59.999Z",
            "-f",
            "json",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("\"last_event_at\": \"2026-01-07 09:00:00.000\""),
        "{stdout}"
    );
    let (code, stdout, stderr) = run(
        &env,
        &[
            "query",
            "daily_by_machine",
            "-p",
            "until=1969-12-31",
            "-f",
            "json",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "[]\n");
}

/// A result wider than the width it must fit (the terminal's, or `COLUMNS`) is printed as one
/// `column ┆ value` block per row instead of wrapping through its digits; piped without
/// `COLUMNS` it is never reflowed.
#[tokio::test]
async fn wide_results_become_one_block_per_row_where_a_width_is_given() {
    let env = fixture("qcli_wide").await;
    let overview = |columns: Option<&str>| {
        let mut cmd = env.command(&["query", "overview", "-p", "as_of=2026-01-20 10:00:00"]);
        if let Some(c) = columns {
            cmd.env("COLUMNS", c);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let piped = overview(None);
    assert!(piped.starts_with('┌'), "{piped}");
    assert_eq!(piped.lines().count(), 5, "{piped}");
    assert!(piped.lines().all(|l| l.chars().count() > 200), "{piped}");

    // Numbers right-aligned with each other, text left-aligned.
    let narrow = overview(Some("80"));
    assert_eq!(
        narrow,
        "\
─[ row 1 of 1 ]────────────────────────────────
 today               ┆ 2026-01-20
 cost_today_usd      ┆  $10.00
 cost_this_week_usd  ┆  $10.00
 cost_this_month_usd ┆  $27.45
 cost_total_usd      ┆  $27.45
 messages_today      ┆       1
 messages_total      ┆      21
 total_tokens        ┆ 272,635
 machines            ┆       3
 machines_active_7d  ┆       1
 projects            ┆       5
 sessions            ┆       7
 first_event         ┆ 2026-01-05 09:10:00.000
 last_event          ┆ 2026-01-20 08:00:00.000
"
    );
    // A width wide enough keeps the table.
    assert_eq!(overview(Some("1000")), piped);

    // JSON is not formatted: full precision, raw numbers.
    let (code, json, _) = run(
        &env,
        &[
            "query",
            "overview",
            "-p",
            "as_of=2026-01-20 10:00:00",
            "-f",
            "json",
        ],
    );
    assert_eq!(code, Some(0));
    assert!(json.contains("\"cost_total_usd\": 27.4458"), "{json}");
}

/// budget_status without a limit: no `0` limit and no bare fraction in the table; JSON has
/// NULL limits and full precision.
#[tokio::test]
async fn budget_status_shows_periods_without_a_limit_as_having_none() {
    let env = fixture("qcli_budget").await;
    let args = [
        "query",
        "budget_status",
        "-p",
        "as_of=2026-01-07 12:00:00",
        "-p",
        "daily_limit=1",
    ];
    let (code, table, stderr) = run(&env, &args);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        table,
        "\
┌────────┬──────────────┬────────────┬───────────┬───────────┬───────────────┬──────────┬─────────────┬───────────────┬──────────┐
│ period ┆ period_start ┆ period_end ┆ limit_usd ┆ spent_usd ┆ remaining_usd ┆ used_pct ┆ elapsed_pct ┆ projected_usd ┆ status   │
╞════════╪══════════════╪════════════╪═══════════╪═══════════╪═══════════════╪══════════╪═════════════╪═══════════════╪══════════╡
│ day    ┆ 2026-01-07   ┆ 2026-01-08 ┆     $1.00 ┆     $1.20 ┆        -$0.20 ┆  119.58% ┆      50.00% ┆         $2.39 ┆ over     │
│ week   ┆ 2026-01-05   ┆ 2026-01-12 ┆         — ┆    $11.70 ┆             — ┆        — ┆      35.71% ┆        $32.75 ┆ no limit │
│ month  ┆ 2026-01-01   ┆ 2026-02-01 ┆         — ┆    $11.70 ┆             — ┆        — ┆      20.97% ┆        $55.78 ┆ no limit │
└────────┴──────────────┴────────────┴───────────┴───────────┴───────────────┴──────────┴─────────────┴───────────────┴──────────┘
"
    );
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let (code, json, _) = run(&env, &json_args);
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let limits: Vec<Option<f64>> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["limit_usd"].as_f64())
        .collect();
    assert_eq!(limits, [Some(1.0), None, None], "{json}");
    assert!(v[1]["limit_usd"].is_null(), "{json}");
    assert_eq!(v[1]["spent_usd"], serde_json::json!(11.6958), "{json}");
    assert_eq!(v[1]["projected_usd"], serde_json::json!(32.7483), "{json}");
    assert!(v[0].get("elapsed").is_none(), "{json}");
    // CSV: NULL as ClickHouse writes it.
    let mut csv_args = args.to_vec();
    csv_args.extend(["--format", "csv"]);
    let (_, csv, _) = run(&env, &csv_args);
    assert!(
        csv.contains(
            "\"week\",\"2026-01-05\",\"2026-01-12\",\\N,11.6958,\\N,\\N,35.71,32.7483,\"no limit\""
        ),
        "{csv}"
    );
}

#[tokio::test]
async fn mistakes_are_explained_with_what_is_accepted() {
    let env = Env::new("qcli_errors");
    let (code, stdout, stderr) = run(&env, &["query", "daily_by_machin"]);
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("unknown query \"daily_by_machin\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("Did you mean \"daily_by_machine\""),
        "{stderr}"
    );
    assert!(stderr.contains("billing_blocks, budget_status"), "{stderr}");

    let (code, _, stderr) = run(&env, &["query", "billing_blocks", "-p", "machines=a"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("query billing_blocks has no parameter \"machines\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("all_machines Bool (default false)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("as_of Nullable(DateTime64(3, 'UTC')) (default NULL)"),
        "{stderr}"
    );

    let (code, _, stderr) = run(
        &env,
        &["query", "daily_by_machine", "-p", "since=last week"],
    );
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains(
            "parameter since of query daily_by_machine: expected a date YYYY-MM-DD, got \"last week\""
        ),
        "{stderr}"
    );
    let (code, _, stderr) = run(&env, &["query", "project_costs", "-p", "limit=-1"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("expected a whole number from 1 to 4294967295, got \"-1\""),
        "{stderr}"
    );
    let (code, _, stderr) = run(&env, &["query", "project_costs", "-p", "limit"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("--param expects NAME=VALUE, got \"limit\""),
        "{stderr}"
    );
    let (code, _, stderr) = run(&env, &["query", "project_costs", "--format", "xml"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("table, json, csv, tsv"), "{stderr}");
    // A server error is an error too (exit 1), with the server's explanation.
    let (code, _, stderr) = {
        let out = env
            .command(&["query", "overview"])
            .env("CLICKHOUSE_DATABASE", "no_such_db_here")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(code, Some(1));
    assert!(stderr.contains("query overview"), "{stderr}");
}

/// `ccsync … | head`: the reader closes the pipe before the output is written; the command
/// ends quietly with 0, as `head` expects (no panic, no "Broken pipe" error).
#[tokio::test]
async fn a_reader_that_goes_away_ends_the_command_quietly() {
    let env = fixture("qcli_pipe").await;
    // For scan: a transcript folder (without usage) where the env's config points.
    std::fs::create_dir_all(env.projects()).unwrap();
    for args in [
        &["query", "daily_by_machine"][..],
        &["query", "daily_by_machine", "--format", "json"],
        &["query", "--list"],
        &["scan"],
        &["scan", "--json"],
        &["status"],
    ] {
        let mut child = env
            .command(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // closed before anything is written
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}

/// The same with stderr's reader gone (`ccsync … 2>&1 | …` closed early): a command that fails
/// still exits with its own code, without a panic (101).
#[test]
fn a_failing_command_whose_stderr_reader_went_away_keeps_its_exit_code() {
    let env = Env::new("qcli_stderr_gone");
    for (args, code) in [
        (&["query", "no_such_query"][..], 2),
        (&["report", "daily", "--since", "2026-13-01"], 2),
        (&["status"], 1),
    ] {
        let mut child = env
            .command(args)
            .env("CLICKHOUSE_URL", "http://127.0.0.1:9")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stderr.take()); // closed before anything is written
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "{args:?}");
    }
}

#[test]
fn an_unknown_time_zone_is_a_usage_error_before_any_request() {
    let env = Env::new("qcli_tz");
    let out = env
        .command(&["query", "daily_by_machine", "-p", "tz=Mars/Olympus"])
        .env("CLICKHOUSE_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("\"Mars/Olympus\" is not a time zone"),
        "{stderr}"
    );
    assert!(!stderr.contains("schema apply"), "{stderr}");
    // A zone of the database passes the check (and only then meets the closed port).
    let out = env
        .command(&["query", "daily_by_machine", "-p", "tz=Asia/Kolkata"])
        .env("CLICKHOUSE_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("is not a time zone"), "{stderr}");
}

/// Runs `args` against a closed port and checks it stops before any request: exit 2, nothing
/// on stdout, each of `expect` in the message, no server hint.
fn refused(test: &str, args: &[&str], expect: &[&str]) {
    let env = Env::new(test);
    let out = env
        .command(args)
        .env("CLICKHOUSE_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?}");
    for e in expect {
        assert!(stderr.contains(e), "{args:?}: {e:?} not in {stderr}");
    }
    assert!(!stderr.contains("schema apply"), "{stderr}");
}

/// `baseline_days=0` used to pass the type check and meet a ClickHouse exception (exit 1, with
/// a hint to run `ccsync schema apply`); a factor of 0 flagged every day, a negative limit meant
/// none. Each parameter's range is in its `-- params:` header, listed with it.
#[test]
fn a_number_outside_its_range_is_a_usage_error_naming_the_range() {
    refused(
        "qcli_range_days",
        &["query", "daily_anomalies", "-p", "baseline_days=0"],
        &[
            "parameter baseline_days of query daily_anomalies",
            "expected a whole number from 1 to 36500, got \"0\"",
            "baseline_days UInt32 (default 14; >= 1, <= 36500)",
        ],
    );
    refused(
        "qcli_range_factor",
        &["query", "daily_anomalies", "-p", "factor=0"],
        &[
            "parameter factor",
            "expected a finite number > 0, got \"0\"",
        ],
    );
    refused(
        "qcli_range_limit",
        &["query", "budget_status", "-p", "daily_limit=-5"],
        &[
            "parameter daily_limit",
            "expected a finite number >= 0, got \"-5\"",
        ],
    );
    // The range is listed with the parameter.
    let env = Env::new("qcli_range_list");
    let (code, stdout, _) = run(&env, &["query", "--list", "--format", "json"]);
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let anomalies = v
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "daily_anomalies")
        .unwrap();
    let range = |name: &str| {
        anomalies["params"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()["range"]
            .clone()
    };
    assert_eq!(range("baseline_days"), ">= 1, <= 36500");
    assert_eq!(range("factor"), "> 0");
    assert_eq!(range("tz"), serde_json::Value::Null);
}

/// A float parameter is a finite number within its range; the message says which.
#[test]
fn a_nan_float_is_a_usage_error_naming_the_range() {
    refused(
        "qcli_range_nan",
        &["query", "budget_status", "-p", "daily_limit=nan"],
        &[
            "parameter daily_limit of query budget_status",
            "expected a finite number >= 0, got \"nan\"",
        ],
    );
}

/// `since` after `until` selected no day and answered "no rows" with exit 0; it is a usage
/// error, as `report`'s `--since` after `--until`.
#[test]
fn since_after_until_is_a_usage_error() {
    refused(
        "qcli_since_until",
        &[
            "query",
            "daily_by_machine",
            "-p",
            "since=2026-12-01",
            "-p",
            "until=2026-11-01",
        ],
        &[
            "query daily_by_machine",
            "since 2026-12-01 is later than until 2026-11-01",
        ],
    );
}

/// `source` names an agent as ccusage does (or is empty): a typo used to select nothing.
#[test]
fn an_unknown_source_is_a_usage_error_listing_the_agents() {
    refused(
        "qcli_source",
        &["query", "model_usage", "-p", "source=claudee"],
        &[
            "parameter source of query model_usage",
            "\"claudee\" is not a source (did you mean \"claude\"?)",
            "expected one of claude, codex",
        ],
    );
}
