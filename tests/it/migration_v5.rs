//! Schema 5 applied to a database written by the release before it (schema 4): every row and
//! column kept, the rows stored before it get their `cost_source` and 0 reasoning tokens from
//! their DEFAULTs, and the next sync goes on from them.
//!
//! `tests/data/v4/` was written by that release (commit 3c1f8c8, see its README): its tables as
//! JSONEachRow, source files under `/tmp/v4fix/claude`.

use crate::common::*;
use crate::cross_run::{assert_database_is_ccusages, events};
use crate::migration::{applied_versions, copy_tree, database_of_release, every_version};

const FIXTURE_ROOT: &str = "/tmp/v4fix/claude";

/// Schema 4's columns of usage_events, as they must survive.
const SCHEMA_4_ROWS: &str = "SELECT * EXCEPT (reasoning_output_tokens, cost_source, account, \
    agent_type) FROM usage_events FINAL ORDER BY ALL";

async fn database_of_schema_4(test: &str) -> Env {
    let fixture = ("v4", FIXTURE_ROOT);
    database_of_release(test, "laptop-v4", 4, fixture, Env::claude_dir).await
}

#[tokio::test]
async fn a_database_of_schema_4_is_upgraded_in_place_with_nothing_lost() {
    let env = database_of_schema_4("upgrade_v4").await;
    let client = env.client();
    let before = fetch_sql(
        &client,
        "SELECT * FROM usage_events FINAL ORDER BY ALL",
        ACROSS_PARTITIONS,
    )
    .await;
    let rollup_before = fetch_sql(
        &client,
        "SELECT * FROM usage_rollup FINAL ORDER BY ALL",
        ACROSS_PARTITIONS,
    )
    .await;
    assert!(before.rows.len() > 40, "{} rows", before.rows.len());

    let (status, out, err) = env.ccsync(&["schema", "apply"]);
    assert!(status.success(), "schema apply: {out}\n{err}");
    assert_eq!(applied_versions(&env).await, every_version());
    assert_same_rows(
        "schema 4's columns after the upgrade (actual) vs before (expected)",
        &fetch_sql(&client, SCHEMA_4_ROWS, ACROSS_PARTITIONS).await,
        &before,
    );
    assert_same_rows(
        "schema 4's rollup columns after the upgrade (actual) vs before (expected)",
        &fetch_sql(
            &client,
            "SELECT * EXCEPT reasoning_output_tokens FROM usage_rollup FINAL ORDER BY ALL",
            ACROSS_PARTITIONS,
        )
        .await,
        &rollup_before,
    );
    // The stored rows read the new columns through their defaults.
    let sources: Vec<(String, String, u64)> = client
        .query(
            "SELECT cost_source, groupArray(message_id)[1], sum(reasoning_output_tokens) \
             FROM usage_events FINAL WHERE NOT is_deleted GROUP BY cost_source ORDER BY cost_source",
        )
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(sources.len(), 2, "{sources:?}");
    assert_eq!(sources[0].0, "calculated");
    assert_eq!(
        (&*sources[1].0, &*sources[1].1),
        ("logged", "msg_logged_cost")
    );
    assert!(sources.iter().all(|s| s.2 == 0), "{sources:?}");
    let (accounts, recorded): (u64, u64) = client
        .query("SELECT assumeNotNull((SELECT countIf(account != '') FROM usage_events)), assumeNotNull((SELECT count() FROM machine_accounts))")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(
        (accounts, recorded),
        (0, 0),
        "old rows have no account until one is recorded"
    );
    let (status, _, err) = env.ccsync(&["schema", "apply"]);
    assert!(status.success(), "applying it again changes nothing: {err}");
    assert_eq!(applied_versions(&env).await, every_version());
}

#[tokio::test]
async fn after_the_upgrade_a_sync_goes_on_from_the_old_rows_exactly() {
    let env = database_of_schema_4("upgrade_v4_sync").await;
    let client = env.client();
    let (status, out, err) = env.ccsync(&["schema", "apply"]);
    assert!(status.success(), "schema apply: {out}\n{err}");
    // The machine's transcripts, where they were, read again by the new agent.
    copy_tree(&repo().join("tests/data/v4/claude"), &env.claude_dir());
    let report = ccsync::sync::sync_once(&env.config()).await.unwrap();
    assert_eq!(report.status, "ok", "{report:?}");
    assert_database_is_ccusages(
        &client,
        &[&env.claude_dir()],
        "after the upgrade and a sync",
    )
    .await;
    let logged: String = client
        .query("SELECT cost_source FROM usage_events FINAL WHERE message_id = 'msg_logged_cost'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(logged, "logged", "a rewrite keeps a logged cost logged");
    let fresh = FreshRun::of_env(&env).await;
    assert_same_rows(
        "usage_events FINAL after the upgrade and a sync (actual) vs a fresh run (expected)",
        &events(&client).await,
        &events(&fresh.client).await,
    );
    fresh.drop_database().await;
}
