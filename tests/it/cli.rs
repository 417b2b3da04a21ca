//! The binary as a user runs it: configuration layering, daemon mode, scan without a server.

use std::time::{Duration, Instant};

use crate::common::*;

const T1: &str = "2026-01-05T10:00:00.000Z";

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

#[tokio::test]
async fn flags_beat_environment_which_beats_dotenv() {
    let env = Env::new("layers");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    std::fs::write(
        env.dir.path().join(".env"),
        "MACHINE_NAME=from-dotenv\nCCSYNC_COST_MODE=display\n",
    )
    .unwrap();
    let run = |cmd: &mut std::process::Command| {
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        json(&String::from_utf8_lossy(&out.stdout))
    };
    // .env fills what the environment does not set.
    let v = run(env
        .command(&["sync", "--once", "--json"])
        .env_remove("MACHINE_NAME"));
    assert_eq!(v["machine_name"], "from-dotenv");
    // The environment beats .env.
    let v = run(&mut env.command(&["sync", "--once", "--json"]));
    assert_eq!(v["machine_name"], "machine-a");
    // A flag beats both.
    let v = run(&mut env.command(&["sync", "--once", "--json", "--machine-name", "from-flag"]));
    assert_eq!(v["machine_name"], "from-flag");
    // --env-file replaces ./.env.
    let other = env.dir.path().join("other.env");
    std::fs::write(&other, "MACHINE_NAME=from-env-file\n").unwrap();
    let v = run(env
        .command(&[
            "sync",
            "--once",
            "--json",
            "--env-file",
            other.to_str().unwrap(),
        ])
        .env_remove("MACHINE_NAME"));
    assert_eq!(v["machine_name"], "from-env-file");
    // display mode came from ./.env (no costUSD in these lines: cost 0); --env-file replaced
    // ./.env, so that run calculated the cost.
    let costs: Vec<(String, f64)> = env
        .client()
        .query("SELECT machine_name, sum(cost_usd) FROM usage_events FINAL GROUP BY machine_name ORDER BY machine_name")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(costs.len(), 4);
    for (machine, cost) in &costs {
        assert_eq!(*cost > 0.0, machine == "from-env-file", "{costs:?}");
    }
}

#[tokio::test]
async fn invalid_configuration_is_reported_before_any_network() {
    let env = Env::new("badcfg");
    let (status, _, stderr) = {
        let out = env
            .command(&["--once"])
            .env("CLICKHOUSE_URL", "localhost:8123")
            .output()
            .unwrap();
        (
            out.status,
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(status.code(), Some(2));
    assert!(
        stderr.contains("CLICKHOUSE_URL must start with http:// or https://"),
        "{stderr}"
    );
}

/// Runs `ccsync sync --interval <interval>` until `runs` runs are recorded, then stops it
/// with SIGTERM; its output.
async fn run_daemon(env: &Env, interval: &str, runs: u64) -> std::process::Output {
    run_daemon_with(env, &["--interval", interval], runs).await
}

async fn run_daemon_with(env: &Env, args: &[&str], runs: u64) -> std::process::Output {
    let child = env
        .command(&[&["sync"][..], args].concat())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let recorded: Result<u64, _> = env
            .client()
            .query("SELECT count() FROM sync_runs")
            .fetch_one()
            .await;
        if recorded.is_ok_and(|n| n >= runs) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the daemon did not run {runs} times"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn daemon_syncs_then_stops_cleanly_on_sigterm() {
    let env = Env::new("daemon");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    let out = run_daemon(&env, "1h", 1).await;
    assert!(out.status.success(), "exit after SIGTERM: {:?}", out.status);
    assert!(String::from_utf8_lossy(&out.stderr).contains("stopped"));
    assert_eq!(count_final(&env).await, 1);
}

#[test]
fn scan_needs_no_server_and_prints_ccusage_shaped_json() {
    let env = Env::new("scan");
    env.write(
        "-p/s1.jsonl",
        &lines(&[line("m1", T1), line("m1", T1), line("m2", T1)]),
    );
    let out = env
        .command(&["scan", "--json", "-z", "UTC"])
        .env("CLICKHOUSE_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert!(out.status.success());
    let v = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(v["daily"][0]["date"], "2026-01-05");
    assert_eq!(v["totals"]["outputTokens"], 200);
    assert_eq!(v["daily"][0]["modelsUsed"][0], "claude-sonnet-4-5-20250929");
}

/// scan's human table: thousands separators, dollars with cents, numbers right-aligned; one
/// block per row where `COLUMNS` is narrower than the table.
#[test]
fn scan_prints_a_table_with_separators_and_dollars() {
    let env = Env::new("scan_table");
    env.write(
        "-p/s1.jsonl",
        &lines(&[
            line("m1", T1)
                .tokens(1000, 234_567, 0, 0, 1_000_000)
                .cost_usd(1234.5678),
            line("m2", T1).tokens(5, 6, 0, 0, 7).cost_usd(0.004),
        ]),
    );
    let scan = |columns: Option<&str>| {
        let mut cmd = env.command(&["scan", "-z", "UTC"]);
        cmd.env("CLICKHOUSE_URL", "http://127.0.0.1:9");
        if let Some(c) = columns {
            cmd.env("COLUMNS", c);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let table = scan(None);
    assert!(
        table.contains(
            "│ 2026-01-05 ┆ claude-sonnet-4-5-20250929 ┆ 1,005 ┆ 234,573 ┆            0 ┆  1,000,007 ┆    1,235,585 ┆ $1,234.57 │"
        ),
        "{table}"
    );
    assert!(
        table.contains("│ Total      ┆                            ┆ 1,005 ┆"),
        "{table}"
    );
    assert!(table.contains("2 messages"), "{table}");
    let narrow = scan(Some("60"));
    assert!(narrow.starts_with("─[ row 1 of 2 ]"), "{narrow}");
    assert!(narrow.contains(" Cost         ┆ $1,234.57\n"), "{narrow}");
    assert!(narrow.lines().all(|l| l.chars().count() <= 60), "{narrow}");
}

#[test]
fn env_example_documents_every_variable() {
    let example = std::fs::read_to_string(repo().join(".env.example")).unwrap();
    let cli: String = files_under(&repo().join("src/cli"), Some("rs"))
        .iter()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect();
    let mut names: Vec<&str> = cli
        .split("env = \"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    names.extend([
        "CLICKHOUSE_PASSWORD",
        "CLICKHOUSE_PASSWORD_FILE",
        "CCSYNC_PATH_HASH_KEY",
    ]);
    assert!(names.len() >= 12, "{names:?}");
    for name in names {
        assert!(
            example.contains(&format!("{name}=")),
            ".env.example lacks {name}"
        );
    }
}

#[test]
fn an_interval_under_a_second_is_a_usage_error_not_a_panic() {
    let env = Env::new("interval0");
    for args in [
        &["sync", "--interval", "0"][..],
        &["sync", "--interval", "500ms"],
        &["status", "--interval", "0s"],
    ] {
        let out = env.command(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("give at least 1s"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn once_json_works_without_the_sync_subcommand() {
    let env = Env::new("once_json");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    let (status, stdout, stderr) = env.ccsync(&["--once", "--json"]);
    assert!(status.success(), "{stderr}");
    let report = json(&stdout);
    assert_eq!(report["status"], "ok", "{stdout}");
    assert_eq!(report["rows_inserted"], 1, "{stdout}");
}

#[tokio::test]
async fn logs_to_a_pipe_carry_no_colour_codes() {
    let env = Env::new("no_ansi");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    let (status, _, stderr) = env.ccsync(&["-v", "--once"]);
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("DEBUG"), "debug logs expected: {stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "escape codes in a pipe: {stderr:?}"
    );
}

/// As ccusage: no configured folder holding `projects/` is a broken set-up, not an empty run.
#[tokio::test]
async fn no_transcript_folder_fails_the_run_and_status_shows_it() {
    let env = Env::new("no_folders");
    let missing = env.dir.path().join("nowhere");
    let out = env
        .command(&["--once"])
        .env("CLAUDE_CONFIG_DIR", &missing)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let tried = missing.join("projects");
    assert!(
        stderr.contains(&format!("tried: {}", tried.display())),
        "{stderr}"
    );
    assert!(stderr.contains("CLAUDE_CONFIG_DIR"), "{stderr}");
    assert!(!stderr.contains("sync ok"), "{stderr}");

    let (_, stdout, stderr) = env.ccsync(&["status", "--json"]);
    let report = json(&stdout);
    let machine = &report["machines"][0];
    assert_eq!(machine["last_status"], "failed", "{stdout} {stderr}");
    assert!(
        machine["last_error"]
            .as_str()
            .unwrap()
            .contains("no Claude Code transcript folder"),
        "{stdout}"
    );
    assert_eq!(machine["stale"], true, "{stdout}");
    // The table says what is wrong: never synced (its only run failed just now), not "stale
    // for more than two hours".
    let (status, stdout, _) = env.ccsync(&["status"]);
    assert_eq!(status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("⚠ never synced"), "{stdout}");
    assert!(stdout.contains("has never synced successfully"), "{stdout}");
    assert!(!stdout.contains("for more than"), "{stdout}");
    // With --json the failure is in the summary too.
    let out = env
        .command(&["--once", "--json"])
        .env("CLAUDE_CONFIG_DIR", &missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let summary = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(summary["status"], "failed", "{summary}");
    assert!(
        summary["error"].as_str().unwrap().contains("tried: "),
        "{summary}"
    );
}

/// A database nothing has synced into (or a misspelled name): said so, not a raw exception
/// with advice about the server's version.
#[test]
fn a_database_without_ccsync_tables_is_named_as_such() {
    let env = Env::new("no_such_db");
    for args in [&["status"][..], &["query", "overview"]] {
        let out = env
            .command(args)
            .env("CLICKHOUSE_DATABASE", "never_created_here")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("has no ccsync tables"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("server version"), "{args:?}: {stderr}");
    }
}

/// A closed port: a quick retry or two, then one error that names the URL (never the
/// password) with one hint; a read-only command says nothing about checkpoints.
#[tokio::test]
async fn a_refused_connection_fails_fast_naming_the_url_once() {
    let env = Env::new("refused");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    for args in [&["--once"][..], &["status"], &["query", "daily_by_machine"]] {
        let out = env
            .command(args)
            .env("CLICKHOUSE_URL", &url)
            .env("CLICKHOUSE_PASSWORD", "s3cret-pw")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert_eq!(
            stderr.matches(url.as_str()).count(),
            1,
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.matches("hint:").count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains("Connection refused"), "{args:?}: {stderr}");
        assert!(
            stderr.matches("retrying in").count() <= 2,
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("s3cret-pw"), "{args:?}: {stderr}");
        if args[0] != "--once" {
            assert!(!stderr.contains("checkpoint"), "{args:?}: {stderr}");
        }
    }
}

/// A server that never answers: after the timeout, a sync says that nothing unacknowledged
/// was checkpointed; read-only commands have no checkpoints and do not mention them.
#[tokio::test]
async fn only_a_sync_talks_about_checkpoints_after_a_timeout() {
    let env = Env::new("silent_server");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    // The kernel accepts connections into the backlog; nobody ever answers them.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    for args in [&["--once"][..], &["status"], &["query", "daily_by_machine"]] {
        let out = env
            .command(args)
            .env("CLICKHOUSE_URL", &url)
            .env("CCSYNC_TIMEOUT", "1")
            .env("CCSYNC_RETRIES", "0")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("timeout"), "{args:?}: {stderr}");
        assert_eq!(
            stderr.contains("checkpointed"),
            args[0] == "--once",
            "{args:?}: {stderr}"
        );
    }
}

/// Quiet means errors only: a successful `-q --once` prints nothing at all.
#[tokio::test]
async fn quiet_once_prints_nothing_on_success() {
    let env = Env::new("quiet_once");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    let (status, stdout, stderr) = env.ccsync(&["-q", "--once"]);
    assert!(status.success(), "{stderr}");
    assert_eq!((stdout.as_str(), stderr.as_str()), ("", ""));
    assert_eq!(count_final(&env).await, 1, "and it did sync");
}

/// A daemon says what it does when it starts, prints the first pass's summary, and a tick with
/// nothing new is one line.
#[tokio::test]
async fn a_daemon_tick_with_nothing_new_is_one_line() {
    let env = Env::new("daemon_idle");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    let out = run_daemon(&env, "1s", 3).await;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        stderr.contains("syncing every 1s until stopped"),
        "{stderr}"
    );
    let idle: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("ccsync: nothing new for machine"))
        .collect();
    assert!(idle.len() >= 2, "{stdout}");
    // The first pass synced the line: one full summary, the rest one line each.
    assert_eq!(stdout.matches("  inserted ").count(), 1, "{stdout}");
    assert_eq!(
        stdout.lines().count(),
        stdout
            .lines()
            .take_while(|l| !l.starts_with("ccsync: nothing new"))
            .count()
            + idle.len(),
        "{stdout}"
    );
}

/// With `--json`, a tick is one line of JSON (JSON Lines); with `-q` too, nothing else is said.
#[tokio::test]
async fn a_daemon_with_json_prints_one_line_of_json_per_tick() {
    let env = Env::new("daemon_json");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    let out = run_daemon_with(&env, &["--interval", "1s", "--json", "-q"], 3).await;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    let ticks: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}\n{stdout}")))
        .collect();
    assert!(ticks.len() >= 2, "{stdout}");
    assert!(ticks.iter().all(|t| t["status"] == "ok"), "{stdout}");
    assert_eq!(ticks[0]["messages_new"], 1, "{stdout}");
    assert!(stderr.trim().is_empty(), "quiet: {stderr}");
}

/// `generate` without `--start` writes the last days up to now and nothing after it, so every
/// query's "now" agrees with the data; with `--start` the tree is the same on every run.
#[test]
fn generated_demo_data_ends_before_now() {
    let env = Env::new("generate_now");
    let out_dir = env.dir.path().join("demo");
    let (status, _, stderr) = env.ccsync(&[
        "generate",
        "--out",
        out_dir.to_str().unwrap(),
        "--sessions",
        "300",
    ]);
    assert!(status.success(), "{stderr}");
    let now = jiff::Timestamp::now();
    let mut stamps = Vec::new();
    for entry in files_under(&out_dir, None) {
        let text = std::fs::read_to_string(&entry).unwrap();
        for part in text.split("\"timestamp\":\"").skip(1) {
            let stamp: jiff::Timestamp = part.split('"').next().unwrap().parse().unwrap();
            stamps.push(stamp);
        }
    }
    let latest = stamps.iter().max().expect("some events");
    assert!(*latest < now, "latest event {latest} is after now {now}");
    assert!(
        now.duration_since(*latest) < jiff::SignedDuration::from_hours(24),
        "the demo reaches today: latest {latest}, now {now}"
    );
    let again = |name: &str| {
        let dir = env.dir.path().join(name);
        let args = [
            "generate",
            "--out",
            dir.to_str().unwrap(),
            "--start",
            "2026-01-01",
        ];
        assert!(env.ccsync(&args).0.success());
        files_under(&dir, None)
            .iter()
            .map(|f| std::fs::read(f).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(again("a"), again("b"));
}

/// As ccusage: `scan` without any transcript folder fails naming the folders tried (exit 1);
/// a folder without usage is "No usage data found." (exit 0).
#[test]
fn scan_without_a_transcript_folder_fails_and_an_empty_one_says_so() {
    let env = Env::new("scan_folders");
    let out = env
        .command(&["scan", "-z", "UTC"])
        .env("CLAUDE_CONFIG_DIR", env.dir.path().join("nowhere"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("nowhere/projects"), "{stderr}");
    std::fs::create_dir_all(env.projects()).unwrap();
    let out = env.command(&["scan", "-z", "UTC"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "No usage data found.\n"
    );
}
