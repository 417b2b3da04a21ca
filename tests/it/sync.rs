use ccsync::sync::sync_once;

use crate::common::*;

const T1: &str = "2026-01-05T10:00:00.000Z";
const T2: &str = "2026-01-06T12:30:00.000Z";

async fn raw_count(env: &Env) -> u64 {
    env.client()
        .query("SELECT count() FROM usage_events")
        .fetch_one::<u64>()
        .await
        .unwrap()
}

#[tokio::test]
async fn second_sync_adds_nothing() {
    let env = Env::new("idem");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1), line("m2", T2)]));
    let first = sync_once(&env.config()).await.unwrap();
    assert_eq!(first.rows_inserted, 2);
    assert_eq!(first.status, "ok");
    let second = sync_once(&env.config()).await.unwrap();
    assert_eq!(second.rows_inserted, 0);
    assert_eq!(second.stats.files_changed, 0);
    assert_eq!(count_final(&env).await, 2);
    assert_eq!(raw_count(&env).await, 2, "nothing re-inserted");
}

/// The second run reuses the listings of folders unchanged for a while (it does not read them
/// again); a transcript appended to or added in one of them is still found.
#[tokio::test]
async fn folders_kept_from_an_earlier_walk_still_show_new_and_appended_transcripts() {
    let env = Env::new("listing");
    let agent = |id: &str| line(id, T1).sidechain().session("s1");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    env.write("-p/s1/subagents/agent-a.jsonl", &lines(&[agent("a1")]));
    // Older than the time a folder must stay unchanged before its listing is kept.
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    assert_eq!(sync_once(&env.config()).await.unwrap().messages_new, 2);
    let cache_path = ccsync::source::claude::discover::listing_cache_path(
        &env.state_dir(),
        &env.config().claude_dirs,
    );
    let cache =
        ccsync::source::claude::discover::load_listing_cache(&cache_path).expect("a listing cache");
    let subagents = env.projects().join("-p/s1/subagents");
    assert_eq!(
        cache.dirs[subagents.to_str().unwrap()].files,
        vec!["agent-a.jsonl".to_string()]
    );

    env.append(
        "-p/s1/subagents/agent-a.jsonl",
        agent("a2").json().as_bytes(),
    );
    env.write("-p/s1/subagents/agent-b.jsonl", &lines(&[agent("b1")]));
    env.append("-p/s1.jsonl", line("m2", T2).json().as_bytes());
    let report = sync_once(&env.config()).await.unwrap();
    assert_eq!((report.messages_new, report.stats.files_changed), (3, 3));
    assert_eq!(count_final(&env).await, 5);
}

#[tokio::test]
async fn appended_lines_add_only_new_messages_and_partial_lines_wait() {
    let env = Env::new("append");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    sync_once(&env.config()).await.unwrap();

    // m2 complete, m3 still being written (no newline yet).
    let m3 = line("m3", T2).json();
    let (m3_head, m3_rest) = m3.split_at(40);
    env.append("-p/s1.jsonl", line("m2", T2).json().as_bytes());
    env.append("-p/s1.jsonl", m3_head.as_bytes());
    let report = sync_once(&env.config()).await.unwrap();
    assert_eq!(report.rows_inserted, 1, "only m2 is complete");
    assert_eq!(
        report.stats.lines_skipped, 0,
        "a partial line is not malformed"
    );
    assert_eq!(count_final(&env).await, 2);

    env.append("-p/s1.jsonl", m3_rest.as_bytes());
    let report = sync_once(&env.config()).await.unwrap();
    assert_eq!(report.rows_inserted, 1, "m3 once complete");
    assert_eq!(count_final(&env).await, 3);
    assert_eq!(raw_count(&env).await, 3);
}

#[tokio::test]
async fn streamed_response_converges_to_largest_usage_across_runs() {
    let env = Env::new("converge");
    // Month boundary: the kept (later) line is in the next month; the row moves there, and the
    // first one is hidden in its own partition, whether FINAL merges across partitions or not.
    let early = line("m1", "2026-01-31T23:59:59.900Z").tokens(5, 1, 0, 0, 0);
    let late = line("m1", "2026-02-01T00:00:00.200Z").tokens(5, 384, 0, 0, 0);
    env.write("-p/s1.jsonl", &lines(&[early]));
    sync_once(&env.config()).await.unwrap();
    env.append("-p/s1.jsonl", late.json().as_bytes());
    sync_once(&env.config()).await.unwrap();
    for per_partition in [0, 1] {
        let rows: Vec<(u64, String)> = env
            .client()
            .query("SELECT output_tokens, _partition_id FROM usage_events FINAL")
            .with_setting(
                "do_not_merge_across_partitions_select_final",
                per_partition.to_string(),
            )
            .fetch_all()
            .await
            .unwrap();
        assert_eq!(rows, vec![(384, "202602".to_string())], "{per_partition}");
    }
    assert_eq!(
        raw_count(&env).await,
        3,
        "the first row, its tombstone, the kept row"
    );
}

#[tokio::test]
async fn copies_of_a_transcript_count_once() {
    let env = Env::new("copies");
    let content = lines(&[line("m1", T1), line("m2", T2)]);
    env.write("-p/s1.jsonl", &content);
    // A resumed session repeats earlier responses in a new file.
    let mut resumed = content.clone();
    resumed.extend(lines(&[line("m3", T2).session("s2")]));
    env.write("-p/s2.jsonl", &resumed);
    let report = sync_once(&env.config()).await.unwrap();
    assert_eq!(report.messages_new, 3);
    assert_eq!(count_final(&env).await, 3);
    // Re-reading everything after the state is lost changes nothing either.
    std::fs::remove_dir_all(env.state_dir()).unwrap();
    sync_once(&env.config()).await.unwrap();
    assert_eq!(count_final(&env).await, 3);
    let totals = day_totals(&env, &env.machine).await;
    assert_eq!(totals.iter().map(|d| d.output).sum::<u64>(), 300);
}

#[tokio::test]
async fn truncated_and_replaced_files_are_reread_safely() {
    let env = Env::new("replace");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1), line("m2", T1)]));
    sync_once(&env.config()).await.unwrap();
    // Replaced by a different, shorter file with the same name.
    env.write("-p/s1.jsonl", &lines(&[line("m9", T2)]));
    let report = sync_once(&env.config()).await.unwrap();
    assert_eq!(report.stats.files_reread, 1);
    assert!(
        report.warnings.iter().any(|w| w.contains("re-reading")),
        "{:?}",
        report.warnings
    );
    // History stays; the new message is added.
    assert_eq!(count_final(&env).await, 3);
    // Same length, different content: detected by the head fingerprint.
    let mut other = line("m8", T2).json().into_bytes();
    let original = line("m9", T2).json().into_bytes();
    other.resize(original.len(), b' ');
    other[original.len() - 1] = b'\n';
    env.write("-p/s1.jsonl", &other);
    sync_once(&env.config()).await.unwrap();
    assert_eq!(count_final(&env).await, 4);
}

#[tokio::test]
async fn two_machines_keep_separate_totals() {
    let env = Env::new("machines");
    let a_dir = env.dir.path().join("a");
    let b_dir = env.dir.path().join("b");
    let write = |dir: &std::path::Path, content: Vec<u8>| {
        let p = dir.join("projects/-p/s.jsonl");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    };
    write(&a_dir, lines(&[line("m1", T1).tokens(1, 2, 0, 0, 0)]));
    // Machine b has its own message and, by coincidence, the same transcript as a.
    write(
        &b_dir,
        lines(&[
            line("m1", T1).tokens(1, 2, 0, 0, 0),
            line("m2", T2).tokens(3, 4, 0, 0, 0),
        ]),
    );
    let (cfg_a, cfg_b) = (
        env.config_for("alpha", &a_dir),
        env.config_for("beta", &b_dir),
    );
    let (a, b) = tokio::join!(sync_once(&cfg_a), sync_once(&cfg_b));
    a.unwrap();
    b.unwrap();
    let a = day_totals(&env, "alpha").await;
    let b = day_totals(&env, "beta").await;
    assert_eq!(
        a.iter().map(|d| (d.input, d.output)).collect::<Vec<_>>(),
        vec![(1, 2)]
    );
    assert_eq!(
        b.iter().map(|d| (d.input, d.output)).collect::<Vec<_>>(),
        vec![(1, 2), (3, 4)]
    );
}

#[tokio::test]
async fn malformed_lines_are_counted_and_every_valid_line_kept() {
    let env = Env::new("malformed");
    let mut content = Vec::new();
    content.extend(line("m1", T1).json().as_bytes());
    content.extend(b"{\"type\":\"assistant\",\"message\":{\"usage\":{\"input_tokens\":1,\n");
    content.extend(line("m2", T1).json().as_bytes());
    // Invalid UTF-8 in a line that carries usage.
    content.extend(b"{\"timestamp\":\"2026-01-05T10:00:00.000Z\",\"message\":{\"usage\":{\"input_tokens\":1,\"output_tokens\":1}},\"x\":\"\xff\xfe\"}\n");
    content.extend(user_line(T1, 10_000).as_bytes());
    content.extend(b"garbage\n");
    content.extend(line("m3", T2).json().as_bytes());
    env.write("-p/s1.jsonl", &content);
    let report = sync_once(&env.config()).await.unwrap();
    assert_eq!(report.rows_inserted, 3);
    assert_eq!(report.stats.lines_skipped, 3);
    assert_eq!(report.stats.skipped_by_reason.get("invalid_json"), Some(&2));
    assert_eq!(report.stats.skipped_by_reason.get("invalid_utf8"), Some(&1));
    assert!(
        report.stats.skipped_examples[0].contains("s1.jsonl:2"),
        "{:?}",
        report.stats.skipped_examples
    );
    #[derive(Debug, PartialEq, clickhouse::Row, serde::Deserialize)]
    struct Skipped {
        lines_skipped: u64,
        skipped_by_reason: Vec<(String, u64)>,
    }
    let skipped: Vec<Skipped> = env
        .client()
        .query("SELECT lines_skipped, skipped_by_reason FROM sync_runs")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(
        skipped,
        vec![Skipped {
            lines_skipped: 3,
            skipped_by_reason: vec![("invalid_json".into(), 2), ("invalid_utf8".into(), 1)]
        }]
    );
}

#[tokio::test]
async fn every_run_is_recorded_in_sync_runs() {
    let env = Env::new("runs");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    sync_once(&env.config()).await.unwrap();
    sync_once(&env.config()).await.unwrap();
    let runs: Vec<(String, String, u64, u32)> = env
        .client()
        .query("SELECT machine_name, status, rows_inserted, files_scanned FROM sync_runs FINAL ORDER BY started_at")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(
        runs,
        vec![
            ("machine-a".into(), "ok".into(), 1, 1),
            ("machine-a".into(), "ok".into(), 0, 1)
        ]
    );
}

#[tokio::test]
async fn retried_batch_with_same_token_is_applied_once() {
    let env = Env::new("token");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    let cfg = env.config();
    sync_once(&cfg).await.unwrap();
    let sink = ccsync::store::client::Sink::new(&cfg.clickhouse).unwrap();
    let mut row: ccsync::usage::UsageRow = sample_row();
    row.machine_name = "m";
    // The same batch twice (a retry after a lost acknowledgement) and once more with new content.
    sink.insert_usage(&[row.clone()]).await.unwrap();
    sink.insert_usage(&[row.clone()]).await.unwrap();
    row.output_tokens = 7;
    row.version = 99;
    sink.insert_usage(&[row.clone()]).await.unwrap();
    let raw: u64 = env
        .client()
        .query("SELECT count() FROM usage_events WHERE machine_name = 'm'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(raw, 2, "the repeated batch must be dropped by its token");
}

fn sample_row() -> ccsync::usage::UsageRow<'static> {
    ccsync::usage::UsageRow {
        machine_name: "x",
        source: "claude",
        account: "",
        message_id: "msg",
        request_id: "req",
        timestamp: 1_767_607_200_000,
        session_id: "s",
        project: "p",
        cwd: "/c",
        git_branch: "main",
        claude_version: "2.1.0",
        model: "claude-sonnet-4-5",
        speed: "standard",
        service_tier: "standard",
        is_sidechain: false,
        is_api_error: false,
        agent_id: "",
        agent_type: "",
        input_tokens: 1,
        output_tokens: 2,
        reasoning_output_tokens: 0,
        cache_creation_input_tokens: 0,
        cache_creation_5m_input_tokens: 0,
        cache_creation_1h_input_tokens: 0,
        cache_read_input_tokens: 0,
        web_search_requests: 0,
        cost_usd: 0.1,
        reported_cost_usd: None,
        cost_mode: "auto",
        cost_source: "calculated",
        unknown_model: false,
        source_file: "/f",
        source_line: 1,
        version: 5,
        is_deleted: 0,
        ingested_at: 0,
        agent_version: "t",
    }
}

#[tokio::test]
async fn no_conversation_content_reaches_clickhouse() {
    let env = Env::new("privacy");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1), line("m2", T2)]));
    let mut user = user_line(T1, 10);
    user = user.replace("xxxxxxxxxx", "private words never stored");
    env.append("-p/s1.jsonl", user.as_bytes());
    sync_once(&env.config()).await.unwrap();
    let dump: Vec<String> = env
        .client()
        .query("SELECT toString(tuple(*)) FROM usage_events")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(dump.len(), 2);
    assert!(
        dump.iter().all(|r| !r.contains("private words")),
        "{dump:?}"
    );
}

#[tokio::test]
async fn unreachable_server_fails_without_moving_checkpoints() {
    let env = Env::new("down");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ccsync"))
        .args(["--once", "--retries", "1"])
        .env_clear()
        .env("HOME", env.dir.path())
        .env("CLICKHOUSE_URL", format!("http://127.0.0.1:{port}"))
        .env("CLAUDE_CONFIG_DIR", env.claude_dir())
        .env("CCSYNC_STATE_DIR", env.state_dir())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("CLICKHOUSE_URL"),
        "actionable message expected: {stderr}"
    );
    let checkpoints: Vec<_> = std::fs::read_dir(env.state_dir())
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        checkpoints
            .iter()
            .all(|n| !n.to_string_lossy().starts_with("checkpoints")),
        "no checkpoint may be written: {checkpoints:?}"
    );
}

#[tokio::test]
async fn wrong_password_fails_fast_and_never_prints_it() {
    let env = Env::new("auth");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    let s = server();
    let started = std::time::Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ccsync"))
        .args(["--once", "-vv"])
        .env_clear()
        .env("HOME", env.dir.path())
        .env("CLICKHOUSE_URL", &s.url)
        .env("CLICKHOUSE_USER", &s.user)
        .env("CLICKHOUSE_PASSWORD", "definitely-wrong-pw")
        .env("CLAUDE_CONFIG_DIR", env.claude_dir())
        .env("CCSYNC_STATE_DIR", env.state_dir())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        stderr.contains("516") && stderr.contains("CLICKHOUSE_PASSWORD"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("retrying"),
        "auth errors must not be retried: {stderr}"
    );
    assert!(!stderr.contains("definitely-wrong-pw") && !stdout.contains("definitely-wrong-pw"));
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[tokio::test]
async fn cli_once_prints_a_summary() {
    let env = Env::new("cli");
    env.write(
        "-p/s1.jsonl",
        &lines(&[line("m1", T1), line("m1", T1), line("m2", T2)]),
    );
    let (status, stdout, stderr) = env.ccsync(&["--once"]);
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("2 new (3 usage lines, 1 duplicates merged)"),
        "{stdout}"
    );
    assert!(stdout.contains("inserted  2 rows"), "{stdout}");
    assert!(stdout.contains("duration"), "{stdout}");
    let (status, stdout, _) = env.ccsync(&["sync", "--once", "--json"]);
    assert!(status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["rows_inserted"], 0);
    assert_eq!(v["status"], "ok");
}

/// `usage_rollup` after each run: what aggregating `usage_events FINAL` gives right now.
async fn assert_rollup_matches_events(env: &Env) -> Vec<(String, String, u64, u64)> {
    assert_rollup_matches_events_in(&env.client()).await
}

async fn assert_rollup_matches_events_in(
    client: &clickhouse::Client,
) -> Vec<(String, String, u64, u64)> {
    let query = |table: &str| {
        let (source, messages, output) = if table == "usage_rollup" {
            ("usage_rollup FINAL", "sum(messages)", "sum(output_tokens)")
        } else {
            ("usage_events FINAL", "count()", "sum(output_tokens)")
        };
        let bucket = if table == "usage_rollup" {
            "bucket"
        } else {
            "toStartOfInterval(timestamp, INTERVAL 900000 MILLISECOND)"
        };
        format!(
            "SELECT toString({bucket}) AS b, session_id, toUInt64({messages}), toUInt64({output}) \
             FROM {source} GROUP BY b, session_id ORDER BY b, session_id"
        )
    };
    let rollup: Vec<(String, String, u64, u64)> = client
        .query(&query("usage_rollup"))
        .fetch_all()
        .await
        .unwrap();
    let events: Vec<(String, String, u64, u64)> = client
        .query(&query("usage_events"))
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(rollup, events);
    rollup
}

#[tokio::test]
async fn the_rollup_follows_superseded_responses_moved_groups_and_state_loss() {
    let env = Env::new("rollup");
    env.write(
        "-p/s1.jsonl",
        &lines(&[
            line("m1", "2026-01-05T10:00:00.000Z").tokens(5, 1, 0, 0, 0),
            line("m2", "2026-01-05T10:40:00.000Z").sidechain(),
        ]),
    );
    sync_once(&env.config()).await.unwrap();
    let first = assert_rollup_matches_events(&env).await;
    assert_eq!(first.len(), 2);
    // m1 finishes streaming (same bucket, more output); a resumed session repeats m2 as a main
    // line, which outranks the sidechain copy: its group moves from session s1 to s2.
    env.append(
        "-p/s1.jsonl",
        line("m1", "2026-01-05T10:00:01.000Z")
            .tokens(5, 384, 0, 0, 0)
            .json()
            .as_bytes(),
    );
    env.write(
        "-p/s2.jsonl",
        &lines(&[
            line("m2", "2026-01-05T10:40:00.000Z").session("s2"),
            line("m3", "2026-01-05T11:05:00.000Z").session("s2"),
        ]),
    );
    sync_once(&env.config()).await.unwrap();
    let second = assert_rollup_matches_events(&env).await;
    let sessions: Vec<(&str, &str, u64)> = second
        .iter()
        .map(|(b, s, _, out)| (&b[11..16], s.as_str(), *out))
        .collect();
    assert_eq!(
        sessions,
        vec![
            ("10:00", "s1", 384),
            ("10:30", "s2", 100),
            ("11:00", "s2", 100)
        ]
    );
    // Everything read again: the same rollup.
    std::fs::remove_dir_all(env.state_dir()).unwrap();
    sync_once(&env.config()).await.unwrap();
    assert_eq!(assert_rollup_matches_events(&env).await, second);
}

/// The tombstone pass is skipped only when the machine had no rollup group as the run began
/// (a first backfill); after a lost state dir it runs, and a group that moved is deleted.
#[tokio::test]
async fn the_tombstone_pass_is_skipped_only_while_the_machine_has_no_rollup_groups() {
    let engine = LoggedEngine::start(&[]);
    let env = Env::new("tombstones");
    let cfg = engine.config(&env);
    let client = engine.client(&cfg.clickhouse.database);
    let tombstone_passes = || {
        engine
            .log()
            .lines()
            .filter(|l| l.contains("-- Tombstones:"))
            .count()
    };
    env.write(
        "-p/s1.jsonl",
        &lines(&[
            line("m1", "2026-01-05T10:00:00.000Z"),
            line("m2", "2026-01-05T10:40:00.000Z").sidechain(),
        ]),
    );
    sync_once(&cfg).await.unwrap();
    assert_eq!(assert_rollup_matches_events_in(&client).await.len(), 2);
    assert_eq!(
        tombstone_passes(),
        0,
        "a first backfill has no group to delete"
    );
    // State lost, and a resumed session repeats m2 as a main line: its group moves to s2, so
    // the (s1, 10:30) group must be deleted, which only the tombstone pass does.
    std::fs::remove_dir_all(env.state_dir()).unwrap();
    env.write(
        "-p/s2.jsonl",
        &lines(&[line("m2", "2026-01-05T10:40:00.000Z").session("s2")]),
    );
    sync_once(&cfg).await.unwrap();
    let groups = assert_rollup_matches_events_in(&client).await;
    let sessions: Vec<(&str, &str)> = groups
        .iter()
        .map(|(b, s, _, _)| (&b[11..16], s.as_str()))
        .collect();
    assert_eq!(sessions, vec![("10:00", "s1"), ("10:30", "s2")]);
    assert!(tombstone_passes() >= 1);
}

/// Every `usage_rollup` column of a group, floats apart (their sums may be added up in
/// another order).
#[derive(Debug, clickhouse::Row, serde::Deserialize)]
struct RollupGroup {
    exact: String,
    costs: Vec<f64>,
}

async fn rollup_snapshot(client: &clickhouse::Client) -> Vec<RollupGroup> {
    client
        .query(
            "SELECT toString((machine_name, bucket, project, session_id, git_branch, \
             claude_version, model, is_fast, unknown_model, cwd, agent_ids, arraySort(contexts), \
             messages, sidechain_messages, api_error_messages, input_tokens, output_tokens, \
             cache_creation_input_tokens, cache_creation_5m_input_tokens, \
             cache_creation_1h_input_tokens, cache_read_input_tokens, web_search_requests, \
             sidechain_tokens, min_ts, max_ts)) AS exact, \
             [cost_usd, sidechain_cost_usd, cost_without_cache_usd, input_cost_usd, \
             output_cost_usd, cache_write_cost_usd, cache_read_cost_usd] AS costs \
             FROM usage_rollup FINAL ORDER BY exact",
        )
        .with_setting("do_not_merge_across_partitions_select_final", "1")
        .fetch_all()
        .await
        .unwrap()
}

fn refresh_statements(engine: &LoggedEngine) -> usize {
    engine
        .log()
        .lines()
        .filter(|l| l.contains("-- Refresh:"))
        .count()
}

/// A first backfill builds the rollup in the agent; the engine's refresh of every bucket
/// (`rollup_refresh.sql` and the tombstone pass, the rollup's definition) must then change
/// nothing: the same groups, every column equal.
#[tokio::test]
async fn the_rollup_built_by_the_agent_equals_the_engines_refresh() {
    let engine = LoggedEngine::start(&[]);
    let env = Env::new("rollup_built");
    let mut cfg = engine.config(&env);
    cfg.batch_rows = 500; // several inserts, each folded into the groups
    ccsync::generate::generate_tree(
        &env.claude_dir(),
        &ccsync::generate::GenOptions {
            sessions: 12,
            responses_per_session: 60,
            tool_result_bytes: 200,
            malformed_every: 50,
            days: 3,
            ..Default::default()
        },
    )
    .unwrap();
    // Cwd ties and lengths, a fast-mode line and a sidechain with its agent, in one group.
    let mut odd = vec![
        line("x1", "2026-01-05T10:01:00.000Z"),
        line("x2", "2026-01-05T10:02:00.000Z").fast(),
        line("x3", "2026-01-05T10:03:00.000Z").sidechain(),
        line("x4", "2026-01-05T10:04:00.000Z"),
        line("x5", "2026-01-05T10:05:00.000Z"),
    ];
    odd[0].cwd = "/home/me/app/sub".into();
    odd[3].cwd = "/home/me/b".into();
    odd[4].cwd = "/home/me/a".into();
    env.write("-odd/s9.jsonl", &lines(&odd));
    let report = sync_once(&cfg).await.unwrap();
    assert!(report.messages_new > 500, "{}", report.messages_new);
    assert_eq!(refresh_statements(&engine), 0, "built by the agent");
    let client = engine.client(&cfg.clickhouse.database);
    let built = rollup_snapshot(&client).await;
    assert!(built.len() > 20, "{}", built.len());
    assert!(
        built.iter().any(|g| g.exact.contains("'/home/me/a'")),
        "the shortest, smallest cwd of the odd group"
    );

    let buckets: Vec<i64> = client
        .query("SELECT DISTINCT toUnixTimestamp64Milli(bucket) FROM usage_rollup ORDER BY 1")
        .fetch_all()
        .await
        .unwrap();
    let sink = ccsync::store::client::Sink::new(&cfg.clickhouse).unwrap();
    let (later, _) = sink
        .rollup_version(&cfg.machine_name, "claude", false)
        .await
        .unwrap();
    sink.refresh_rollup(&cfg.machine_name, "claude", &buckets, later)
        .await
        .unwrap();
    assert_eq!(refresh_statements(&engine), 1);
    let refreshed = rollup_snapshot(&client).await;
    assert_eq!(built.len(), refreshed.len());
    for (a, b) in built.iter().zip(&refreshed) {
        assert_eq!(a.exact, b.exact);
        for (x, y) in a.costs.iter().zip(&b.costs) {
            assert!(
                (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
                "{}: {:?} vs {:?}",
                a.exact,
                a.costs,
                b.costs
            );
        }
    }
    assert_rollup_matches_events_in(&client).await;
}

/// A response whose first row was already inserted when a better line came (a later file of
/// the same first backfill) is replaced in the engine, which groups folded in the agent cannot
/// undo: that run refreshes the rollup in the engine instead.
#[tokio::test]
async fn a_first_backfill_with_a_superseded_response_refreshes_in_the_engine() {
    let engine = LoggedEngine::start(&[]);
    let env = Env::new("rollup_superseded");
    let mut cfg = engine.config(&env);
    cfg.batch_rows = 1; // each file is inserted before the next one is read
    env.write(
        "-p/a.jsonl",
        &lines(&[line("m1", T1).tokens(5, 1, 0, 0, 0)]),
    );
    env.write(
        "-p/b.jsonl",
        &lines(&[line("m1", T1).tokens(5, 384, 0, 0, 0)]),
    );
    let report = sync_once(&cfg).await.unwrap();
    assert_eq!(report.rows_inserted, 2, "the better line is sent again");
    assert_eq!(refresh_statements(&engine), 1);
    let client = engine.client(&cfg.clickhouse.database);
    let groups = assert_rollup_matches_events_in(&client).await;
    assert_eq!(groups.len(), 1);
    assert_eq!((groups[0].2, groups[0].3), (1, 384));
}

#[tokio::test]
async fn a_failed_rollup_refresh_is_retried_by_the_next_run() {
    let env = Env::new("rollup_retry");
    // First run: the schema, nothing to read yet (an empty projects/ folder).
    std::fs::create_dir_all(env.projects()).unwrap();
    sync_once(&env.config()).await.unwrap();
    let client = env.client();
    let rename = |from: &str, to: &str| format!("RENAME TABLE {from} TO {to}");
    client
        .query(&rename("usage_rollup", "usage_rollup_away"))
        .execute()
        .await
        .unwrap();
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1), line("m2", T2)]));
    let err = sync_once(&env.config()).await.unwrap_err();
    assert!(err.to_string().contains("usage_rollup"), "{err}");
    // The rows are in and checkpointed; their buckets wait in the state file.
    assert_eq!(count_final(&env).await, 2);
    let state = std::fs::read_dir(env.state_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("checkpoints-"))
        .unwrap();
    let saved = ccsync::state::decode(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved.pending_rollup.len(), 2);
    // The lateness is visible: in the run's record, `ccsync status` and the freshness query.
    let pending: u32 = client
        .query("SELECT rollup_pending FROM sync_runs ORDER BY started_at DESC LIMIT 1")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(pending, 2);
    client
        .query(&rename("usage_rollup_away", "usage_rollup"))
        .execute()
        .await
        .unwrap();
    let (_, status, _) = env.ccsync(&["status"]);
    assert!(
        status.contains("2 15-minute period(s) of usage_rollup"),
        "{status}"
    );
    let (_, freshness, _) = env.ccsync(&["query", "freshness", "--format", "json"]);
    let freshness: serde_json::Value = serde_json::from_str(&freshness).unwrap();
    assert_eq!(freshness[0]["rollup_pending"], 2, "{freshness}");
    // Nothing new to read: the next run still refreshes what is pending, then forgets it.
    let report = sync_once(&env.config()).await.unwrap();
    assert_eq!(report.messages_new, 0);
    assert_eq!(assert_rollup_matches_events(&env).await.len(), 2);
    let saved = ccsync::state::decode(&std::fs::read(&state).unwrap()).unwrap();
    assert!(
        saved.pending_rollup.is_empty(),
        "{:?}",
        saved.pending_rollup
    );
    let (_, status, _) = env.ccsync(&["status"]);
    assert!(!status.contains("not yet refreshed"), "{status}");
}

#[tokio::test]
async fn a_long_backfill_refreshes_the_rollup_in_slices() {
    let env = Env::new("rollup_slices");
    // More 15-minute buckets than one refresh statement takes.
    let start = 1_767_225_600_000_i64; // 2026-01-01T00:00:00Z
    let many: Vec<Line> = (0..7000)
        .map(|i| {
            let ms = start + i * 900_000 + 60_000;
            let ts = ccsync::time::format_timestamp_ms(ms);
            line(&format!("m{i}"), &ts)
        })
        .collect();
    // A run with nothing to read first: the backfill is then not the machine's first run (its
    // schema is known), so the engine refreshes the rollup, in slices.
    std::fs::create_dir_all(env.projects()).unwrap();
    sync_once(&env.config()).await.unwrap();
    env.write("-p/s1.jsonl", &lines(&many));
    sync_once(&env.config()).await.unwrap();
    assert_eq!(assert_rollup_matches_events(&env).await.len(), 7000);
}

/// The local engine reads large typed RowBinary inserts through `file()`, LowCardinality
/// columns as plain strings (`typed_rowbinary_insert` in scripts/chdb_server.py): it must store
/// exactly what its plain `FROM INFILE` path stores. Two engines, the path forced either way.
#[tokio::test]
async fn the_local_engines_typed_insert_path_stores_what_its_plain_path_stores() {
    let models = [
        "claude-opus-4-6",
        "claude-sonnet-4-5-20250929",
        "claude-haiku-4-5-20251001",
    ];
    let all: Vec<Line> = (0..3000u64)
        .map(|i| {
            let l = line(&format!("msg_{i:05}_ü"), T1)
                .model(models[i as usize % 3])
                .tokens(i, 2 * i + 1, i % 7, i % 5, 0)
                .session(&format!("s{}", i % 13));
            if i % 4 == 0 { l.fast() } else { l }
        })
        .collect();
    let mut digests = Vec::new();
    for (min_bytes, path) in [("0", "[typed]"), ("1000000000000", "[infile]")] {
        let engine = LoggedEngine::start(&["--typed-insert-min-bytes", min_bytes]);
        let env = Env::new("typed_insert");
        env.write("-p/s1.jsonl", &lines(&all));
        let mut cfg = engine.config(&env);
        cfg.batch_rows = 1000;
        let report = sync_once(&cfg).await.unwrap();
        assert_eq!(report.rows_inserted, 3000);
        let digest: (u64, String, String) = engine
            .client(&cfg.clickhouse.database)
            .query(
                "SELECT count(), toTypeName(any(model)), hex(groupBitXor(cityHash64(message_id, \
                 request_id, timestamp, session_id, model, speed, service_tier, claude_version, \
                 cost_usd, cost_mode, version, input_tokens, output_tokens))) FROM usage_events FINAL",
            )
            .fetch_one()
            .await
            .unwrap();
        digests.push(digest);
        let logged = engine.log();
        let inserts: Vec<&str> = logged
            .lines()
            .filter(|l| l.contains("INSERT INTO `usage_events`"))
            .collect();
        assert_eq!(inserts.len(), 3, "{logged}");
        assert!(inserts.iter().all(|l| l.contains(path)), "{logged}");
    }
    assert_eq!(digests[0].0, 3000);
    assert_eq!(digests[0], digests[1]);
}

/// `CLICKHOUSE_COMPRESSION`: the LZ4 wire format (the default for a remote server) and plain
/// bodies (the default on loopback) store the same rows, over several compressed blocks.
#[tokio::test]
async fn lz4_and_plain_transfers_store_the_same_rows() {
    let mut digests = Vec::new();
    for lz4 in [true, false] {
        let env = Env::new(if lz4 { "wire_lz4" } else { "wire_plain" });
        let all: Vec<Line> = (0..3000u64)
            .map(|i| {
                line(&format!("msg_{i:05}_ü"), T1)
                    .tokens(i, 2 * i + 1, i % 7, i % 5, 0)
                    .session(&format!("s{}", i % 13))
            })
            .collect();
        env.write("-p/s1.jsonl", &lines(&all));
        let mut cfg = env.config();
        cfg.clickhouse.lz4 = lz4;
        let report = sync_once(&cfg).await.unwrap();
        assert_eq!(report.rows_inserted, 3000, "lz4={lz4}");
        let digest: (u64, u64, u64, String) = env
            .client()
            .query(
                "SELECT count(), sum(input_tokens), sum(output_tokens), \
                 hex(groupBitXor(cityHash64(message_id, session_id, cost_usd))) FROM usage_events FINAL",
            )
            .fetch_one()
            .await
            .unwrap();
        digests.push(digest);
    }
    assert_eq!(digests[0].0, 3000);
    assert_eq!(digests[0], digests[1]);
}
