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
    for q in ccsync::query::pack() {
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
    // Every day ClickHouse can store (issue 15, case 7).
    assert_eq!(daily["params"][1]["name"], "since");
    assert_eq!(daily["params"][1]["type"], "Date32");
    assert_eq!(daily["params"][1]["default"], "0000-01-01");
    assert_eq!(daily["params"][2]["name"], "until");
    assert_eq!(daily["params"][2]["type"], "Date32");
    assert_eq!(daily["params"][2]["default"], "9999-12-31");
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
    let table = with("table");
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[1].contains("day") && lines[1].contains("cost_usd"),
        "{table}"
    );
    assert!(
        lines[3].contains("2026-01-07") && lines[3].contains("beta"),
        "{table}"
    );
    assert!(
        lines[3].contains("260000") && lines[3].contains("1.1958"),
        "{table}"
    );
    assert_eq!(lines.len(), 5, "header, one row, borders: {table}");

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
        stderr.contains("expected a whole number from 0 to 4294967295"),
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
