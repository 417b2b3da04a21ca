//! Schema 4 applied to a database written by the release before it (0.1, schema 3): nothing
//! lost, the rollup rebuilt, and the rows that release stored wrongly across runs repaired by
//! the next sync.
//!
//! `tests/data/v3/` was written by that release (commit 27bab79, `ccsync --once` four times over
//! `claude/`, a `generate` tree plus a response streamed across a month boundary with a sync in
//! between and a sidechain copy of it synced later): its `usage_events`, `usage_rollup` and
//! `sync_runs` as JSONEachRow, source files under `/tmp/v3fix/claude`.

use std::path::{Path, PathBuf};

use crate::common::*;
use crate::cross_run::{assert_days_are_ccusages, assert_rollup_sums_match_events};

const FIXTURE_ROOT: &str = "/tmp/v3fix/claude";
const FIXTURE_MACHINE: &str = "old-laptop";

/// An env whose machine is the fixture's.
fn env_of_release_0_1(test: &str) -> Env {
    let mut env = Env::new(test);
    env.machine = FIXTURE_MACHINE.into();
    std::fs::create_dir_all(env.claude_dir()).unwrap();
    env
}

/// A database at schema 3 holding the fixture's rows, its source files moved to `tree` (the
/// same machine, its transcripts where they were).
async fn database_of_release_0_1(env: &Env, tree: &Path) {
    database_at_schema(env, 3).await;
    load_fixture(env, "v3", FIXTURE_ROOT, tree).await;
}

/// A database as the release at schema `version` made it: migrations 1 to `version` (their
/// guarded steps as the runner takes them), no rows.
pub(crate) async fn database_at_schema(env: &Env, version: usize) {
    let admin = env.client().with_database("default");
    admin
        .query(&format!("CREATE DATABASE `{}`", env.database))
        .execute()
        .await
        .unwrap();
    let client = env.client();
    let migrations = std::iter::once(&ccsync::store::schema::BOOTSTRAP)
        .chain(&ccsync::store::schema::MIGRATIONS[..version]);
    for m in migrations {
        for stmt in m.statements() {
            if let Some(condition) = &stmt.only_if {
                let sql = format!("SELECT toUInt8(ifNull(({condition}), 0))");
                let holds: u8 = client.query(&sql).fetch_one().await.unwrap();
                if holds == 0 {
                    continue;
                }
            }
            client.query(&stmt.sql).execute().await.unwrap();
        }
        if m.version > 0 {
            client
                .query("INSERT INTO schema_migrations (version, name, checksum, agent_version) VALUES (?, ?, ?, '0.1.0')")
                .bind(m.version)
                .bind(m.name)
                .bind(m.checksum())
                .execute()
                .await
                .unwrap();
        }
    }
}

/// A database at schema `version` holding what the release of `tests/data/<fixture>` stored as
/// `machine`, its files (recorded under `root`) moved to `tree(env)`, which holds them.
pub(crate) async fn database_of_release(
    test: &str,
    machine: &str,
    version: usize,
    (fixture, root): (&str, &str),
    tree: fn(&Env) -> PathBuf,
) -> Env {
    let mut env = Env::new(test);
    env.machine = machine.into();
    std::fs::create_dir_all(env.claude_dir()).unwrap();
    database_at_schema(&env, version).await;
    load_fixture(&env, fixture, root, &tree(&env)).await;
    env
}

/// The rows of fixture `tests/data/<name>`, their source files moved from `root` to `tree`
/// (`machine_accounts` too where the fixture has it: schema 5 on).
pub(crate) async fn load_fixture(env: &Env, name: &str, root: &str, tree: &Path) {
    let client = env.client();
    let data = repo().join("tests/data").join(name);
    for table in [
        "usage_events",
        "usage_rollup",
        "sync_runs",
        "machine_accounts",
    ] {
        if table == "machine_accounts" && !data.join(format!("{table}.jsonl")).exists() {
            continue;
        }
        let mut body = String::new();
        for line in std::fs::read_to_string(data.join(format!("{table}.jsonl")))
            .unwrap()
            .lines()
        {
            let mut row: serde_json::Value = serde_json::from_str(line).unwrap();
            if let Some(file) = row.get("source_file").and_then(|f| f.as_str()) {
                let moved = file.replace(root, &tree.to_string_lossy());
                row["source_file"] = moved.into();
            }
            body += &row.to_string();
            body.push('\n');
        }
        let sql = format!("INSERT INTO {table} FORMAT JSONEachRow\n{body}");
        client.query_raw(&sql).execute().await.unwrap();
    }
}

pub(crate) fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The old rows as they must survive: every column of schema 3, and the version re-encoded.
const OLD_ROWS_SQL: &str = "SELECT machine_name, message_id, request_id, timestamp, session_id, \
    project, cwd, git_branch, claude_version, model, speed, service_tier, is_sidechain, \
    is_api_error, agent_id, input_tokens, output_tokens, cache_creation_input_tokens, \
    cache_creation_5m_input_tokens, cache_creation_1h_input_tokens, cache_read_input_tokens, \
    web_search_requests, cost_usd, reported_cost_usd, cost_mode, unknown_model, source_file, \
    source_line, ingested_at, agent_version FROM usage_events FINAL ORDER BY ALL";

/// Every migration's version, 1 to the latest.
pub(crate) fn every_version() -> Vec<u32> {
    (1..=ccsync::store::schema::latest_version()).collect()
}

pub(crate) async fn applied_versions(env: &Env) -> Vec<u32> {
    env.client()
        .query("SELECT DISTINCT version FROM schema_migrations ORDER BY version")
        .fetch_all()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_database_of_the_previous_release_is_upgraded_in_place_and_repaired_by_the_next_sync() {
    let env = env_of_release_0_1("upgrade_v3");
    database_of_release_0_1(&env, &env.claude_dir()).await;
    let client = env.client();
    let before = fetch_sql(&client, OLD_ROWS_SQL, ACROSS_PARTITIONS).await;
    let old_versions: Vec<(String, String, u64, bool, String)> = client
        .query("SELECT message_id, request_id, version, is_sidechain, speed FROM usage_events FINAL ORDER BY message_id, request_id")
        .fetch_all()
        .await
        .unwrap();
    let runs_before: u64 = client
        .query("SELECT count() FROM sync_runs")
        .fetch_one()
        .await
        .unwrap();
    assert!(before.rows.len() > 50, "{} rows", before.rows.len());

    // An agent meets the older schema: an administrator's `schema apply` upgrades it.
    let (status, out, err) = env.ccsync(&["schema", "apply"]);
    assert!(status.success(), "schema apply: {out}\n{err}");
    assert_eq!(applied_versions(&env).await, every_version());

    // Nothing lost: every row, every column of schema 3; each version re-encoded, rank kept.
    let after = fetch_sql(&client, OLD_ROWS_SQL, ACROSS_PARTITIONS).await;
    assert_same_rows(
        "schema 3's columns after the upgrade (actual) vs before (expected)",
        &after,
        &before,
    );
    let new_versions: Vec<(String, String, u64, String, u8)> = client
        .query("SELECT message_id, request_id, version, toString(source), is_deleted FROM usage_events FINAL ORDER BY message_id, request_id")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(new_versions.len(), old_versions.len());
    for ((m, r, old, sidechain, speed), (m2, r2, new, source, deleted)) in
        old_versions.iter().zip(&new_versions)
    {
        assert_eq!((m, r), (m2, r2));
        let rank = ccsync::source::claude::dedup::Rank {
            non_sidechain: !sidechain,
            total: old & ((1 << 56) - 1),
            has_speed: !speed.is_empty(),
        };
        assert_eq!(*new, rank.version(), "{m} {r}: version {old} of schema 3");
        assert_eq!((source.as_str(), *deleted), ("claude", 0));
    }
    let runs_after: u64 = client
        .query("SELECT count() FROM sync_runs WHERE source = 'claude' AND rollup_pending = 0")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(runs_after, runs_before);
    assert_rollup_sums_match_events(&client, "after the upgrade").await;
    let (status, _, err) = env.ccsync(&["schema", "apply"]);
    assert!(
        status.success() && applied_versions(&env).await == every_version(),
        "{err}"
    );

    // The transcripts are read again (as after an upgrade of the agent): the sidechain copy the
    // old release counted twice and the response it dated by its first line are repaired.
    copy_tree(&repo().join("tests/data/v3/claude"), &env.claude_dir());
    let ccusage = ccusage_days(&[&env.claude_dir()]);
    assert!(
        days_diff(&event_days(&client, PER_PARTITION).await, &ccusage).is_some(),
        "the fixture holds the old release's mistakes"
    );
    let report = ccsync::sync::sync_once(&env.config()).await.unwrap();
    assert_eq!(report.status, "ok", "{report:?}");
    assert_days_are_ccusages(
        &event_days(&client, PER_PARTITION).await,
        &ccusage,
        "after the upgrade and a sync",
    );
    assert_days_are_ccusages(
        &event_days(&client, ACROSS_PARTITIONS).await,
        &ccusage,
        "FINAL across partitions",
    );
    assert_rollup_sums_match_events(&client, "after the upgrade and a sync").await;
    let fresh = FreshRun::of_env(&env).await;
    // Every column but `agent_id`: rows 0.1 stored keep its empty agent id for responses of
    // progress lines (read from `data.agentId` since), as a re-read line of the same rank does
    // not rewrite its row (README, known limits).
    let without_agent = |client| async move {
        let sql = EVENTS_SQL.replace("EXCEPT (", "EXCEPT (agent_id, ");
        fetch_sql(client, &sql, PER_PARTITION).await
    };
    assert_same_rows(
        "usage_events FINAL after the upgrade and a sync (actual) vs a fresh run (expected)",
        &without_agent(&client).await,
        &without_agent(&fresh.client).await,
    );
    fresh.drop_database().await;
}

#[tokio::test]
async fn an_interrupted_upgrade_resumes_where_it_stopped() {
    let env = env_of_release_0_1("upgrade_resume");
    database_of_release_0_1(&env, &env.claude_dir()).await;
    let client = env.client();
    let before = fetch_sql(&client, OLD_ROWS_SQL, ACROSS_PARTITIONS).await;
    // The first steps of migration 4 ran (the new table made, part of the copy done), then the
    // runner died.
    let steps = ccsync::store::schema::MIGRATIONS[3].statements();
    client.query(&steps[0].sql).execute().await.unwrap();
    client
        .query_raw(&format!("{} LIMIT 10", steps[1].sql))
        .execute()
        .await
        .unwrap();
    let (status, out, err) = env.ccsync(&["schema", "apply"]);
    assert!(status.success(), "schema apply: {out}\n{err}");
    assert_eq!(applied_versions(&env).await, every_version());
    let after = fetch_sql(&client, OLD_ROWS_SQL, ACROSS_PARTITIONS).await;
    assert_same_rows(
        "after a resumed upgrade (actual) vs before (expected)",
        &after,
        &before,
    );
    let leftovers: u64 = client
        .query("SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE '%\\_v4'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(leftovers, 0, "the copies are gone");
}

/// What the tables are: columns (name, position, type, default) and engine (keys, partition).
async fn shape(env: &Env) -> (ccsync::store::query::Table, ccsync::store::query::Table) {
    let client = env.client();
    let columns = fetch_sql(
        &client,
        "SELECT table, name, position, type, default_kind, default_expression FROM system.columns \
         WHERE database = currentDatabase() ORDER BY table, position",
        &[],
    )
    .await;
    let tables = fetch_sql(
        &client,
        "SELECT name, engine, partition_key, sorting_key, primary_key FROM system.tables \
         WHERE database = currentDatabase() ORDER BY name",
        &[],
    )
    .await;
    (columns, tables)
}

/// A new database gets the latest schema in one step (`schema/baseline.sql`): the same tables,
/// column by column, as a database taken through every migration.
#[tokio::test]
async fn the_baseline_builds_what_the_migrations_build() {
    let fresh = Env::new("baseline_fresh");
    let (status, out, err) = fresh.ccsync(&["schema", "apply"]);
    assert!(status.success(), "{out}\n{err}");
    let migrated = Env::new("baseline_migrated");
    database_at_schema(&migrated, 3).await;
    let (status, out, err) = migrated.ccsync(&["schema", "apply"]);
    assert!(status.success(), "{out}\n{err}");
    assert_eq!(
        applied_versions(&fresh).await,
        applied_versions(&migrated).await
    );
    let (columns, tables) = shape(&fresh).await;
    let (columns_m, tables_m) = shape(&migrated).await;
    assert!(columns.rows.len() > 80, "{} columns", columns.rows.len());
    assert_same_rows(
        "columns: baseline (actual) vs migrations (expected)",
        &columns,
        &columns_m,
    );
    assert_same_rows(
        "tables: baseline (actual) vs migrations (expected)",
        &tables,
        &tables_m,
    );
}
