//! Codex CLI's rollouts synced into ClickHouse (source `codex`): per day, `usage_events FINAL`
//! and `usage_rollup FINAL` equal `ccusage codex daily --json --offline` on the same files, after
//! one run or many over growing files; copies of a request in other files count once and keep
//! the copy ccusage keeps; a failed insert checkpoints nothing.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;
use crate::migration::copy_tree;

/// Per UTC day of the Codex rows: input (not cached), cache read, cache creation, output,
/// reasoning, total, cost.
type CodexDay = (String, u64, u64, u64, u64, u64, u64, f64);

pub(crate) const EVENT_DAYS: &str = "SELECT toString(toDate32(timestamp, 'UTC')) AS date, \
    sum(input_tokens), sum(cache_read_input_tokens), sum(cache_creation_input_tokens), \
    sum(output_tokens), sum(reasoning_output_tokens), \
    sum(input_tokens + cache_read_input_tokens + cache_creation_input_tokens + output_tokens), \
    sum(cost_usd) FROM usage_events FINAL WHERE source = 'codex' AND NOT is_deleted \
    GROUP BY date ORDER BY date";

const ROLLUP_DAYS: &str = "SELECT toString(toDate32(bucket, 'UTC')) AS date, \
    sum(input_tokens), sum(cache_read_input_tokens), sum(cache_creation_input_tokens), \
    sum(output_tokens), sum(reasoning_output_tokens), \
    sum(input_tokens + cache_read_input_tokens + cache_creation_input_tokens + output_tokens), \
    sum(cost_usd) FROM usage_rollup FINAL WHERE source = 'codex' GROUP BY date ORDER BY date";

pub(crate) async fn codex_days(client: &clickhouse::Client, sql: &str) -> Vec<CodexDay> {
    client
        .query(sql)
        .with_setting("do_not_merge_across_partitions_select_final", "1")
        .fetch_all()
        .await
        .unwrap()
}

/// `ccusage codex daily --json --offline -z UTC` on `homes`, as [`CodexDay`]s.
pub(crate) fn ccusage_codex_days(homes: &[PathBuf]) -> Vec<CodexDay> {
    let json = crate::parity_codex::ccusage_json(homes, &["-z", "UTC"]);
    let v: Value = serde_json::from_str(&json).unwrap();
    let n = |d: &Value, k: &str| d[k].as_u64().unwrap_or_else(|| panic!("{k} in {d}"));
    (v["daily"].as_array().unwrap().iter())
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_owned(),
                n(d, "inputTokens"),
                n(d, "cacheReadTokens"),
                n(d, "cacheCreationTokens"),
                n(d, "outputTokens"),
                n(d, "reasoningOutputTokens"),
                n(d, "totalTokens"),
                d["costUSD"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// Tokens exact, costs within 0.01%.
pub(crate) fn assert_same_codex_days(actual: &[CodexDay], expected: &[CodexDay], what: &str) {
    if let Some(d) = codex_days_diff(actual, expected) {
        panic!("{what}: {d}");
    }
}

/// What differs between two lists of days (tokens exact, costs within 0.01%), if anything.
pub(crate) fn codex_days_diff(actual: &[CodexDay], expected: &[CodexDay]) -> Option<String> {
    let tokens = |d: &CodexDay| (d.0.clone(), d.1, d.2, d.3, d.4, d.5, d.6);
    let (a, e): (Vec<_>, Vec<_>) = (
        actual.iter().map(tokens).collect(),
        expected.iter().map(tokens).collect(),
    );
    if a != e {
        return Some(format!(
            "days and tokens differ:\n  actual:  {a:?}\n  ccusage: {e:?}"
        ));
    }
    (actual.iter().zip(expected))
        .find(|(a, e)| (a.7 - e.7).abs() > e.7.abs() * 1e-4 + 1e-9)
        .map(|(a, e)| format!("cost of {} is {} (ccusage {})", a.0, a.7, e.7))
}

fn real_rollouts() -> PathBuf {
    repo().join("tests/data/codex/real")
}

/// An env whose Codex home holds a copy of the real rollouts, and no Claude Code folder.
fn env_with_real_rollouts(test: &str) -> Env {
    let env = Env::new(test);
    std::fs::create_dir_all(env.codex_home()).unwrap();
    copy_tree(&real_rollouts(), &env.codex_home());
    env
}

async fn sync_ok(env: &Env) -> ccsync::sync::RunReport {
    let report = ccsync::sync::sync_once(&env.config())
        .await
        .unwrap_or_else(|e| panic!("sync failed: {e:#}"));
    assert_eq!(report.status, "ok", "{report:?}");
    report
}

#[tokio::test]
async fn real_rollouts_synced_equal_ccusages_days_in_events_and_rollup() {
    let env = env_with_real_rollouts("codex_real");
    let report = sync_ok(&env).await;
    let codex = report.codex.as_ref().expect("a Codex run");
    assert!(
        !report.claude,
        "no Claude Code folder: only Codex is synced"
    );
    assert!(codex.requests_new > 100, "{codex:?}");
    let client = env.client();
    let expected = ccusage_codex_days(&[env.codex_home()]);
    assert!(expected.len() >= 2, "{expected:?}");
    assert_same_codex_days(&codex_days(&client, EVENT_DAYS).await, &expected, "events");
    assert_same_codex_days(&codex_days(&client, ROLLUP_DAYS).await, &expected, "rollup");
    // The pack's per-source days say the same (reasoning inside output, as ccusage).
    let t = pack_query(&client, "daily_by_source", &[("source", "codex")]).await;
    let col = |name: &str| t.columns.iter().position(|(c, _)| c == name).unwrap();
    let from_pack: Vec<(String, u64, u64, u64, u64)> = (t.rows.iter())
        .map(|r| {
            let n = |c: &str| r[col(c)].as_u64().unwrap();
            (
                r[col("day")].as_str().unwrap().to_owned(),
                n("input_tokens"),
                n("cache_read_tokens"),
                n("output_tokens"),
                n("reasoning_output_tokens"),
            )
        })
        .collect();
    let from_ccusage: Vec<(String, u64, u64, u64, u64)> = (expected.iter())
        .map(|d| (d.0.clone(), d.1, d.2, d.4, d.5))
        .collect();
    assert_eq!(from_pack, from_ccusage, "daily_by_source vs ccusage");
    let runs: Vec<(String, String)> = client
        .query("SELECT toString(source), status FROM sync_runs ORDER BY ALL")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(runs, [("codex".to_owned(), "ok".to_owned())]);

    let again = sync_ok(&env).await;
    let codex = again.codex.as_ref().unwrap();
    assert_eq!(
        (codex.files_changed, codex.rows_inserted),
        (0, 0),
        "{codex:?}"
    );
}

/// Every rollout cut into pieces at `cuts` (fractions of its length, mid-line too), synced
/// after each piece.
async fn sync_growing(env: &Env, source: &Path, cuts: &[f64]) {
    let files: Vec<PathBuf> = files_under(source, Some("jsonl"));
    for &cut in cuts.iter().chain(&[1.0]) {
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            let to = env.codex_home().join(file.strip_prefix(source).unwrap());
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            let end = ((bytes.len() as f64) * cut) as usize;
            std::fs::write(&to, &bytes[..end]).unwrap();
        }
        sync_ok(env).await;
    }
}

#[tokio::test]
async fn rollouts_synced_while_they_grow_equal_one_sync_of_the_whole() {
    let env = Env::new("codex_growing");
    sync_growing(&env, &real_rollouts(), &[0.13, 0.4, 0.41, 0.77]).await;
    let client = env.client();
    let expected = ccusage_codex_days(&[env.codex_home()]);
    assert_same_codex_days(&codex_days(&client, EVENT_DAYS).await, &expected, "events");
    assert_same_codex_days(&codex_days(&client, ROLLUP_DAYS).await, &expected, "rollup");
    let fresh = FreshRun::of_env(&env).await;
    assert_same_rows(
        "usage_events FINAL after growing syncs (actual) vs one sync (expected)",
        &crate::cross_run::events(&client).await,
        &crate::cross_run::events(&fresh.client).await,
    );
    fresh.drop_database().await;
}

#[tokio::test]
async fn a_copy_synced_first_gives_way_to_the_copy_ccusage_keeps() {
    let env = Env::new("codex_copies");
    let real = files_under(&real_rollouts(), Some("jsonl"));
    let original = &real[0];
    let name = original.file_name().unwrap();
    // The archived copy is synced first; the sessions/ one (read first by ccusage) arrives later.
    let archived = env.codex_home().join("archived_sessions").join(name);
    std::fs::create_dir_all(archived.parent().unwrap()).unwrap();
    std::fs::copy(original, &archived).unwrap();
    std::fs::create_dir_all(env.codex_home().join("sessions")).unwrap();
    sync_ok(&env).await;
    let client = env.client();
    let archived_days = codex_days(&client, EVENT_DAYS).await;
    let kept = original.strip_prefix(real_rollouts()).unwrap();
    let in_sessions = env.codex_home().join(kept);
    std::fs::create_dir_all(in_sessions.parent().unwrap()).unwrap();
    std::fs::copy(original, &in_sessions).unwrap();
    sync_ok(&env).await;
    assert_eq!(
        codex_days(&client, EVENT_DAYS).await,
        archived_days,
        "the copy counts once"
    );
    assert_same_codex_days(
        &codex_days(&client, ROLLUP_DAYS).await,
        &ccusage_codex_days(&[env.codex_home()]),
        "rollup",
    );
    let files: Vec<String> = client
        .query("SELECT DISTINCT source_file FROM usage_events FINAL WHERE source = 'codex'")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(
        files,
        [in_sessions.display().to_string()],
        "ccusage's copy is kept"
    );
    let fresh = FreshRun::of_env(&env).await;
    assert_same_rows(
        "usage_events FINAL (actual) vs one sync of both copies (expected)",
        &crate::cross_run::events(&client).await,
        &crate::cross_run::events(&fresh.client).await,
    );
    fresh.drop_database().await;
}

#[tokio::test]
async fn a_failed_insert_checkpoints_nothing_and_the_next_run_stores_everything() {
    let env = env_with_real_rollouts("codex_insert_fails");
    let mut cfg = env.config();
    // The schema is there, then the table refuses inserts: the run fails after reading.
    ccsync::sync::sync_once(&cfg).await.unwrap();
    let client = env.client();
    client
        .query("TRUNCATE TABLE usage_events")
        .execute()
        .await
        .unwrap();
    client
        .query("TRUNCATE TABLE usage_rollup")
        .execute()
        .await
        .unwrap();
    for f in std::fs::read_dir(env.state_dir()).unwrap() {
        let f = f.unwrap().path();
        if f.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("codex-")
        {
            std::fs::remove_file(f).unwrap();
        }
    }
    client
        .query("RENAME TABLE usage_events TO usage_events_away")
        .execute()
        .await
        .unwrap();
    cfg.clickhouse.retries = 0;
    let failed = ccsync::sync::sync_once(&cfg).await;
    assert!(failed.is_err(), "{failed:?}");
    let saved: Vec<PathBuf> = (std::fs::read_dir(env.state_dir()).unwrap())
        .map(|f| f.unwrap().path())
        .filter(|f| {
            f.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("codex-")
        })
        .collect();
    assert!(
        saved.is_empty(),
        "no checkpoint after a failed insert: {saved:?}"
    );
    client
        .query("RENAME TABLE usage_events_away TO usage_events")
        .execute()
        .await
        .unwrap();
    sync_ok(&env).await;
    assert_same_codex_days(
        &codex_days(&client, EVENT_DAYS).await,
        &ccusage_codex_days(&[env.codex_home()]),
        "events after the failed run and a good one",
    );
}

#[tokio::test]
async fn claude_and_codex_on_one_machine_are_two_sources_and_two_runs() {
    let env = env_with_real_rollouts("codex_and_claude");
    ccsync::generate::generate_tree(
        &env.claude_dir(),
        &ccsync::generate::GenOptions {
            sessions: 3,
            responses_per_session: 10,
            tool_result_bytes: 100,
            days: 2,
            ..Default::default()
        },
    )
    .unwrap();
    let report = sync_ok(&env).await;
    assert!(report.claude && report.codex.is_some(), "{report:?}");
    let client = env.client();
    let sources: Vec<(String, u64)> = client
        .query("SELECT toString(source), count() FROM sync_runs GROUP BY source ORDER BY source")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(sources, [("claude".into(), 1), ("codex".into(), 1)]);
    crate::cross_run::assert_days_are_ccusages(
        &event_days(&client, PER_PARTITION).await,
        &ccusage_days(&[&env.claude_dir()]),
        "claude beside codex",
    );
    assert_same_codex_days(
        &codex_days(&client, EVENT_DAYS).await,
        &ccusage_codex_days(&[env.codex_home()]),
        "codex beside claude",
    );
}

#[test]
fn without_claude_code_or_codex_the_run_fails_naming_both() {
    let env = Env::new("codex_neither");
    let (status, out, err) = env.ccsync(&["--once"]);
    assert!(!status.success(), "{out}");
    assert!(
        err.contains("CLAUDE_CONFIG_DIR") && err.contains("CODEX_HOME"),
        "{err}"
    );
}

#[tokio::test]
async fn unreadable_rollouts_and_folders_are_named_the_rest_synced_and_later_caught_up() {
    use std::os::unix::fs::PermissionsExt;
    let env = env_with_real_rollouts("codex_unreadable");
    let files = files_under(&env.codex_home(), Some("jsonl"));
    let mode = |p: &Path, m: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    };
    // One rollout unreadable, and a folder of another day that cannot be listed.
    let folder = env.codex_home().join("sessions/2026/03/01");
    std::fs::create_dir_all(&folder).unwrap();
    let hidden = folder.join(files[1].file_name().unwrap());
    std::fs::rename(&files[1], &hidden).unwrap();
    mode(&files[0], 0o000);
    mode(&folder, 0o000);
    let sync = || {
        let out = crate::faults::without_dac_override(env.command(&["sync", "--once", "--json"]))
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code(), report)
    };
    let (code, report) = sync();
    assert_eq!(
        code,
        Some(4),
        "a partial run has its own exit code: {report}"
    );
    assert_eq!(report["codex"]["status"], "partial", "{report}");
    let warnings = report["codex"]["warnings"].to_string();
    let name = files[0].file_name().unwrap().to_string_lossy();
    assert!(
        warnings.contains(&*name) && warnings.contains("Permission denied"),
        "{warnings}"
    );
    assert!(
        warnings.contains("cannot list") && warnings.contains("2026/03/01"),
        "{warnings}"
    );
    let client = env.client();
    let status: String = client
        .query("SELECT status FROM sync_runs WHERE source = 'codex'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(status, "partial");
    // Readable again: the next run catches up, and the days equal ccusage's.
    mode(&files[0], 0o644);
    mode(&folder, 0o755);
    let (code, report) = sync();
    assert_eq!(code, Some(0), "{report}");
    assert_same_codex_days(
        &codex_days(&client, EVENT_DAYS).await,
        &ccusage_codex_days(&[env.codex_home()]),
        "after the files became readable",
    );
}
