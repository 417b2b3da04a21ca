//! Schema 7 applied to a database written by the release before it (schema 6): `sync_runs`
//! rebuilt with `source` in its sorting key, every row and column of every table kept, run again
//! a no-op, resumed when interrupted, and the next sync goes on from the migrated database (its
//! runs recorded, Claude Code's and Codex's).
//!
//! `tests/data/v6/` was written by that release (commit 1dcaf62, see its README): its tables as
//! JSONEachRow, source files under `/tmp/v6fix/claude` and `/tmp/v6fix/codex`; `sync_runs` holds
//! two runs of each source.

use serde_json::Value;

use crate::common::*;
use crate::cross_run::assert_rollup_sums_match_events;
use crate::migration::{applied_versions, copy_tree, database_of_release, every_version};

/// The fixture's tree: `claude/` and `codex/` under it, as `Env` has them under its dir.
const FIXTURE_ROOT: &str = "/tmp/v6fix";
const MACHINE: &str = "laptop-v6";
/// The account the release synced the fixture under (`CCSYNC_ACCOUNT`).
const ACCOUNT: &str = "acct-laptop-v6";
const TABLES: [&str; 4] = [
    "usage_events",
    "usage_rollup",
    "sync_runs",
    "machine_accounts",
];
const OLD_KEY: &str = "machine_name, started_at, run_id";
const NEW_KEY: &str = "machine_name, source, started_at, run_id";

async fn database_of_schema_6(test: &str) -> Env {
    // The fixture's root holds both agents' files (claude/, codex/): the env's dir.
    let dir = |env: &Env| env.dir.path().to_path_buf();
    database_of_release(test, MACHINE, 6, ("v6", FIXTURE_ROOT), dir).await
}

/// Every stored row of every table (merged or not: no FINAL), every column.
async fn every_row(env: &Env) -> Vec<ccsync::store::query::Table> {
    let mut out = Vec::new();
    for table in TABLES {
        let sql = format!("SELECT * FROM {table} ORDER BY ALL");
        out.push(fetch_sql(&env.client(), &sql, ACROSS_PARTITIONS).await);
    }
    out
}

#[track_caller]
fn assert_same_tables(
    what: &str,
    actual: &[ccsync::store::query::Table],
    expected: &[ccsync::store::query::Table],
) {
    for ((table, a), e) in TABLES.iter().zip(actual).zip(expected) {
        assert_same_rows(&format!("{table} {what}"), a, e);
    }
}

/// The columns of `sync_runs`: name, position, type, default.
async fn run_columns(env: &Env) -> ccsync::store::query::Table {
    fetch_sql(
        &env.client(),
        "SELECT name, position, type, default_kind, default_expression FROM system.columns \
         WHERE database = currentDatabase() AND table = 'sync_runs' ORDER BY position",
        &[],
    )
    .await
}

/// `sync_runs`'s engine, partition key and sorting key.
async fn run_keys(env: &Env) -> (String, String, String) {
    env.client()
        .query(
            "SELECT engine, partition_key, sorting_key FROM system.tables \
             WHERE database = currentDatabase() AND name = 'sync_runs'",
        )
        .fetch_one()
        .await
        .unwrap()
}

/// Tables a rebuild left behind.
async fn leftovers(env: &Env) -> Vec<String> {
    env.client()
        .query(
            "SELECT name FROM system.tables WHERE database = currentDatabase() \
             AND name LIKE '%\\_v7' ORDER BY name",
        )
        .fetch_all()
        .await
        .unwrap()
}

/// (source, run count) of `sync_runs FINAL`.
async fn runs_by_source(env: &Env) -> Vec<(String, u64)> {
    env.client()
        .query("SELECT toString(source) AS s, count() FROM sync_runs FINAL GROUP BY s ORDER BY s")
        .fetch_all()
        .await
        .unwrap()
}

fn engine_and_key(key: &str) -> (String, String, String) {
    (
        "ReplacingMergeTree".into(),
        "toYYYYMM(started_at)".into(),
        key.into(),
    )
}

#[tokio::test]
async fn a_database_of_schema_6_gets_sync_runs_sorted_by_source_with_nothing_lost() {
    let env = database_of_schema_6("upgrade_v6").await;
    let before = every_row(&env).await;
    let columns_before = run_columns(&env).await;
    assert!(before[0].rows.len() > 30, "{} rows", before[0].rows.len());
    assert_eq!(
        runs_by_source(&env).await,
        vec![("claude".into(), 2), ("codex".into(), 2)],
        "the fixture's runs"
    );
    assert_eq!(run_keys(&env).await, engine_and_key(OLD_KEY));

    // What an agent of this release says at a schema-6 database: the command to run.
    let out = env.command(&["doctor", "--json"]).output().unwrap();
    let checks: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema = (checks.as_array().unwrap().iter())
        .find(|c| c["name"] == "schema current")
        .unwrap();
    assert_eq!(schema["ok"], false, "{schema}");
    let text = schema.to_string();
    assert!(
        text.contains("database is at version 6, this agent needs 7")
            && text.contains("ccsync schema apply"),
        "{text}"
    );

    let (status, out, err) = env.ccsync(&["schema", "apply"]);
    assert!(status.success(), "schema apply: {out}\n{err}");
    assert!(out.contains("applied [7]"), "{out}");
    assert_eq!(applied_versions(&env).await, every_version());
    assert_eq!(every_version().last(), Some(&7));
    assert_same_tables(
        "after the upgrade (actual) vs before (expected)",
        &every_row(&env).await,
        &before,
    );
    assert_same_rows(
        "sync_runs's columns after the upgrade (actual) vs before (expected)",
        &run_columns(&env).await,
        &columns_before,
    );
    assert_eq!(run_keys(&env).await, engine_and_key(NEW_KEY));
    assert_eq!(
        leftovers(&env).await,
        Vec::<String>::new(),
        "the copy is gone"
    );

    let (status, out, err) = env.ccsync(&["schema", "apply"]);
    assert!(
        status.success() && out.contains("already current"),
        "applying it again changes nothing: {out}\n{err}"
    );
    assert_eq!(applied_versions(&env).await, every_version());
    assert_same_tables(
        "after applying it twice (actual) vs before (expected)",
        &every_row(&env).await,
        &before,
    );
    assert_eq!(run_keys(&env).await, engine_and_key(NEW_KEY));
}

#[tokio::test]
async fn an_upgrade_to_schema_7_interrupted_during_the_copy_resumes() {
    let env = database_of_schema_6("upgrade_v6_resume").await;
    let client = env.client();
    let before = every_row(&env).await;
    // The copy made, part of the rows in it, then the runner died.
    let steps = ccsync::store::schema::MIGRATIONS[6].statements();
    assert!(
        steps[0]
            .sql
            .starts_with("CREATE TABLE IF NOT EXISTS sync_runs_v7")
    );
    assert!(steps[2].sql.starts_with("INSERT INTO sync_runs_v7"));
    client.query(&steps[0].sql).execute().await.unwrap();
    client
        .query_raw(&format!("{} LIMIT 1", steps[2].sql))
        .execute()
        .await
        .unwrap();
    let (status, out, err) = env.ccsync(&["schema", "apply"]);
    assert!(status.success(), "schema apply: {out}\n{err}");
    assert_eq!(applied_versions(&env).await, every_version());
    assert_same_tables(
        "after a resumed upgrade (actual) vs before (expected)",
        &every_row(&env).await,
        &before,
    );
    assert_eq!(run_keys(&env).await, engine_and_key(NEW_KEY));
    assert_eq!(
        leftovers(&env).await,
        Vec::<String>::new(),
        "the copy is gone"
    );
}

#[tokio::test]
async fn an_upgrade_to_schema_7_interrupted_after_the_swap_resumes_and_keeps_a_late_run() {
    let env = database_of_schema_6("upgrade_v6_swapped").await;
    let client = env.client();
    // Every step up to the swap ran (the old table is now `sync_runs_v7`), then the runner died;
    // an agent of the previous release had recorded a run into the old table after the copy.
    let steps = ccsync::store::schema::MIGRATIONS[6].statements();
    let swap = (steps.iter())
        .position(|s| s.sql.starts_with("EXCHANGE TABLES"))
        .unwrap();
    let late = "INSERT INTO {t:Identifier} (run_id, machine_name, source, started_at, \
                finished_at, status, agent_version, messages_new) \
                VALUES ('late-run', 'laptop-v6', 'codex', '2026-12-07 08:00:00.000', \
                '2026-12-07 08:00:01.000', 'ok', '0.1.0', 3)";
    for step in &steps[..swap] {
        client.query(&step.sql).execute().await.unwrap();
    }
    client
        .query(late)
        .param("t", "sync_runs")
        .execute()
        .await
        .unwrap();
    client.query(&steps[swap].sql).execute().await.unwrap();
    assert_eq!(run_keys(&env).await, engine_and_key(NEW_KEY));
    let before = every_row(&env).await;
    let (status, out, err) = env.ccsync(&["schema", "apply"]);
    assert!(status.success(), "schema apply: {out}\n{err}");
    assert_eq!(applied_versions(&env).await, every_version());
    let after = every_row(&env).await;
    assert_same_tables(
        "but sync_runs, after a resumed upgrade (actual) vs before (expected)",
        &[&after[..2], &after[3..]].concat(),
        &[&before[..2], &before[3..]].concat(),
    );
    assert_same_rows(
        "sync_runs but the late run after a resumed upgrade (actual) vs before (expected)",
        &fetch_sql(
            &client,
            "SELECT * FROM sync_runs WHERE run_id != 'late-run' ORDER BY ALL",
            ACROSS_PARTITIONS,
        )
        .await,
        &before[2],
    );
    assert_eq!(
        after[2].rows.len(),
        before[2].rows.len() + 1,
        "the late run is carried over"
    );
    let late_runs: u64 = client
        .query("SELECT count() FROM sync_runs WHERE run_id = 'late-run' AND source = 'codex'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(late_runs, 1);
    assert_eq!(run_keys(&env).await, engine_and_key(NEW_KEY));
    assert_eq!(
        leftovers(&env).await,
        Vec::<String>::new(),
        "the old table is gone"
    );
}

#[tokio::test]
async fn after_the_upgrade_a_sync_goes_on_and_records_its_runs() {
    let env = database_of_schema_6("upgrade_v6_sync").await;
    let client = env.client();
    let runs_before = fetch_sql(
        &client,
        "SELECT * FROM sync_runs ORDER BY ALL",
        ACROSS_PARTITIONS,
    )
    .await;
    // The machine's transcripts and rollouts, where they were, and one response more.
    copy_tree(&repo().join("tests/data/v6/claude"), &env.claude_dir());
    std::fs::create_dir_all(env.codex_home()).unwrap();
    copy_tree(&repo().join("tests/data/v6/codex"), &env.codex_home());
    env.append(
        "-home-dev-api/f24469de-5755-4562-9c04-66fb630dd3bf.jsonl",
        line("msg_v7_after", "2026-12-04T11:00:00.000Z")
            .session("f24469de-5755-4562-9c04-66fb630dd3bf")
            .json()
            .as_bytes(),
    );
    // An agent with DDL rights (as in the quick start) applies schema 7 itself.
    let mut cfg = env.config();
    cfg.account_override = Some(ACCOUNT.into());
    let report = ccsync::sync::sync_once(&cfg).await.unwrap();
    assert_eq!(report.status, "ok", "{report:?}");
    assert_eq!(report.schema_applied, vec![7]);
    assert_eq!(report.messages_new, 1, "{report:?}");
    let codex = report.codex.clone().expect("a Codex run");
    assert_eq!(codex.status, "ok", "{codex:?}");
    assert_eq!(run_keys(&env).await, engine_and_key(NEW_KEY));

    // Its runs recorded beside the old ones, one per source; the old ones as they were.
    assert_eq!(
        runs_by_source(&env).await,
        vec![("claude".into(), 3), ("codex".into(), 3)]
    );
    let new_runs: Vec<(String, String)> = client
        .query(
            "SELECT run_id, toString(source) FROM sync_runs FINAL \
             WHERE run_id IN (?, ?) ORDER BY source",
        )
        .bind(&report.run_id)
        .bind(&codex.run_id)
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(
        new_runs,
        vec![
            (report.run_id.clone(), "claude".into()),
            (codex.run_id.clone(), "codex".into())
        ]
    );
    let old_runs = fetch_sql(
        &client,
        &format!(
            "SELECT * FROM sync_runs WHERE run_id NOT IN ('{}', '{}') ORDER BY ALL",
            report.run_id, codex.run_id
        ),
        ACROSS_PARTITIONS,
    )
    .await;
    assert_same_rows(
        "the old runs after the upgrade and a sync (actual) vs before (expected)",
        &old_runs,
        &runs_before,
    );
    // What reads the runs sees both sources' (the pack's sync_health).
    let (status, out, err) = env.ccsync(&[
        "query",
        "sync_health",
        "-p",
        &format!("machine={MACHINE}"),
        "-f",
        "json",
    ]);
    assert!(status.success(), "{out}\n{err}");
    let health: Value = serde_json::from_str(&out).unwrap();
    let per_source: Vec<(String, u64)> = (health.as_array().unwrap().iter())
        .map(|r| {
            let runs = &r["runs"];
            let runs = runs
                .as_u64()
                .or_else(|| runs.as_str().and_then(|s| s.parse().ok()))
                .unwrap_or_else(|| panic!("{r}"));
            (r["source"].as_str().unwrap().to_string(), runs)
        })
        .collect();
    assert_eq!(
        per_source,
        vec![("claude".into(), 3), ("codex".into(), 3)],
        "{out}"
    );

    // The rows go on exactly: as a fresh run of the same tree would store them.
    assert_rollup_sums_match_events(&client, "after the upgrade and a sync").await;
    let mut fresh = Env::new("upgrade_v6_fresh");
    fresh.machine = MACHINE.into();
    let mut fresh_cfg = fresh.config_for(MACHINE, &env.claude_dir());
    fresh_cfg.codex_homes = cfg.codex_homes.clone();
    fresh_cfg.account_override = Some(ACCOUNT.into());
    let fresh_report = ccsync::sync::sync_once(&fresh_cfg).await.unwrap();
    assert_eq!(fresh_report.status, "ok", "{fresh_report:?}");
    assert_same_rows(
        "usage_events FINAL after the upgrade and a sync (actual) vs a fresh run (expected)",
        &fetch_sql(&client, EVENTS_SQL, PER_PARTITION).await,
        &fetch_sql(&fresh.client(), EVENTS_SQL, PER_PARTITION).await,
    );
    let sources: Vec<(String, u64)> = client
        .query(
            "SELECT toString(source) AS s, count() FROM usage_events FINAL \
             WHERE NOT is_deleted GROUP BY s ORDER BY s",
        )
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(sources.len(), 2, "both sources' rows: {sources:?}");
    let _ = client
        .query(&format!("DROP DATABASE IF EXISTS `{}`", fresh.database))
        .execute()
        .await;
}
