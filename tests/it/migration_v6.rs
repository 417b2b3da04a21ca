//! Schema 6 applied to a database written by the release before it (schema 5): every row and
//! column kept, the rows stored before it read `agent_type` as '' (its DEFAULT), and the next
//! sync goes on from them: new rows of a subagent carry its type, the old ones keep ''.
//!
//! `tests/data/v5/` was written by that release (commit eac285a, see its README): its tables as
//! JSONEachRow, source files under `/tmp/v5fix/claude`. Its tree holds subagent `84c46e7c`
//! with a meta file (`Explore`) and subagent `5e0a91d2` without one.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common::*;
use crate::cross_run::assert_database_is_ccusages;
use crate::migration::{applied_versions, copy_tree, database_of_release, every_version};
use crate::report::{ours_db, ours_local};
use crate::report_subagents::parts as subagent_parts;

const FIXTURE_ROOT: &str = "/tmp/v5fix/claude";
const MACHINE: &str = "laptop-v5";
/// The account the release synced the fixture under (`CCSYNC_ACCOUNT`).
const ACCOUNT: &str = "acct-laptop-v5";
const TYPED: &str = "84c46e7c";
const UNTYPED: &str = "5e0a91d2";
const TYPED_DIR: &str = "-home-dev-notebooks/36b78148-65e5-49fc-be40-3be83237ad97";
const UNTYPED_DIR: &str = "-home-dev-api/a822b7ad-8685-4453-90b0-07bc20d86604";

/// Schema 5's columns of usage_events, as they must survive.
const SCHEMA_5_ROWS: &str = "SELECT * EXCEPT agent_type FROM usage_events FINAL ORDER BY ALL";

async fn database_of_schema_5(test: &str) -> Env {
    database_of_release(test, MACHINE, 5, ("v5", FIXTURE_ROOT), Env::claude_dir).await
}

async fn table(env: &Env, sql: &str) -> ccsync::store::query::Table {
    fetch_sql(&env.client(), sql, ACROSS_PARTITIONS).await
}

/// Each visible row's (message_id, request_id) → agent_type.
async fn agent_types(client: &clickhouse::Client) -> BTreeMap<(String, String), String> {
    let rows: Vec<(String, String, String)> = client
        .query(
            "SELECT message_id, request_id, toString(agent_type) FROM usage_events FINAL \
             WHERE NOT is_deleted ORDER BY ALL",
        )
        .fetch_all()
        .await
        .unwrap();
    rows.into_iter().map(|(m, r, t)| ((m, r), t)).collect()
}

/// The type `report session --subagents --json` shows for `agent`.
fn type_shown(report: &str, agent: &str) -> Value {
    let found: Vec<Value> = (subagent_parts(report).into_iter())
        .flat_map(|(_, parts)| parts)
        .filter(|(id, _, _)| id == agent)
        .map(|(_, kind, _)| kind)
        .collect();
    assert_eq!(found.len(), 1, "{agent} in {report}");
    found[0].clone()
}

#[tokio::test]
async fn a_database_of_schema_5_is_upgraded_in_place_with_nothing_lost() {
    let env = database_of_schema_5("upgrade_v5").await;
    let before = table(&env, "SELECT * FROM usage_events FINAL ORDER BY ALL").await;
    let rollup_before = table(&env, "SELECT * FROM usage_rollup FINAL ORDER BY ALL").await;
    let runs_before = table(&env, "SELECT * FROM sync_runs ORDER BY ALL").await;
    let accounts_before = table(&env, "SELECT * FROM machine_accounts ORDER BY ALL").await;
    assert!(before.rows.len() > 50, "{} rows", before.rows.len());
    assert_eq!((runs_before.rows.len(), accounts_before.rows.len()), (2, 1));
    let subagent_rows: u64 = env
        .client()
        .query("SELECT count() FROM usage_events WHERE agent_id IN (?, ?)")
        .bind(TYPED)
        .bind(UNTYPED)
        .fetch_one()
        .await
        .unwrap();
    assert!(subagent_rows >= 3, "the fixture has subagent rows");

    // What an agent of this release says at a schema-5 database: the command to run.
    let out = env.command(&["doctor", "--json"]).output().unwrap();
    let checks: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema = (checks.as_array().unwrap().iter())
        .find(|c| c["name"] == "schema current")
        .unwrap();
    assert_eq!(schema["ok"], false, "{schema}");
    let text = schema.to_string();
    assert!(
        text.contains(&format!(
            "database is at version 5, this agent needs {}",
            every_version().last().unwrap()
        )) && text.contains("ccsync schema apply"),
        "{text}"
    );

    let (status, out, err) = env.ccsync(&["schema", "apply"]);
    assert!(status.success(), "schema apply: {out}\n{err}");
    assert_eq!(applied_versions(&env).await, every_version());
    assert!(every_version().contains(&6));
    assert_same_rows(
        "schema 5's columns after the upgrade (actual) vs before (expected)",
        &table(&env, SCHEMA_5_ROWS).await,
        &before,
    );
    for (what, sql, was) in [
        (
            "usage_rollup",
            "SELECT * FROM usage_rollup FINAL ORDER BY ALL",
            &rollup_before,
        ),
        (
            "sync_runs",
            "SELECT * FROM sync_runs ORDER BY ALL",
            &runs_before,
        ),
        (
            "machine_accounts",
            "SELECT * FROM machine_accounts ORDER BY ALL",
            &accounts_before,
        ),
    ] {
        assert_same_rows(
            &format!("{what} after the upgrade (actual) vs before (expected)"),
            &table(&env, sql).await,
            was,
        );
    }
    // The new column, right after agent_id, empty on every stored row (hidden ones included).
    let columns: Vec<String> = env
        .client()
        .query(
            "SELECT name FROM system.columns WHERE database = currentDatabase() \
             AND table = 'usage_events' ORDER BY position",
        )
        .fetch_all()
        .await
        .unwrap();
    let at = columns.iter().position(|c| c == "agent_id").unwrap();
    assert_eq!(columns[at + 1], "agent_type", "{columns:?}");
    let (typed, rows): (u64, u64) = env
        .client()
        .query("SELECT countIf(agent_type != ''), count() FROM usage_events")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!((typed, rows as usize), (0, before.rows.len()));
    // So the database's report names the subagents without their types until new rows come.
    let dirs = [repo().join("tests/data/v5/claude")];
    let dirs: Vec<&std::path::Path> = dirs.iter().map(|d| d.as_path()).collect();
    let args = ["-z", "UTC", "--subagents"];
    let db = ours_db(&env, "session", &args);
    let local = ours_local(&dirs, "session", &args);
    assert_eq!(type_shown(&db, TYPED), Value::Null, "{db}");
    assert_eq!(type_shown(&local, TYPED), "Explore", "{local}");

    let (status, _, err) = env.ccsync(&["schema", "apply"]);
    assert!(status.success(), "applying it again changes nothing: {err}");
    assert_eq!(applied_versions(&env).await, every_version());
}

/// The fixture's tree where the machine has it, grown after the upgrade: one more response of
/// the typed subagent, and the untyped one's meta file (appearing after its first rows were
/// synced) with a new response of it.
fn grow_the_tree(env: &Env) {
    copy_tree(&repo().join("tests/data/v5/claude"), &env.claude_dir());
    let sub = |msg: &str, ts: &str, agent: &str, session: &str| {
        line(msg, ts)
            .model("claude-haiku-4-5-20251001")
            .tokens(4, 66, 900, 0, 8000)
            .session(session)
            .sidechain()
            .agent(agent)
            .json()
    };
    env.append(
        &format!("{TYPED_DIR}/subagents/agent-{TYPED}.jsonl"),
        sub(
            "msg_v6_typed",
            "2026-11-21T17:05:00.000Z",
            TYPED,
            "36b78148-65e5-49fc-be40-3be83237ad97",
        )
        .as_bytes(),
    );
    env.write(
        &format!("{UNTYPED_DIR}/subagents/agent-{UNTYPED}.meta.json"),
        br#"{"agentType":"Plan","description":"words never stored"}"#,
    );
    env.append(
        &format!("{UNTYPED_DIR}/subagents/agent-{UNTYPED}.jsonl"),
        sub(
            "msg_v6_late_meta",
            "2026-11-23T07:12:00.000Z",
            UNTYPED,
            "a822b7ad-8685-4453-90b0-07bc20d86604",
        )
        .as_bytes(),
    );
}

#[tokio::test]
async fn after_the_upgrade_a_sync_goes_on_from_the_old_rows_and_types_the_new_ones() {
    let env = database_of_schema_5("upgrade_v5_sync").await;
    let client = env.client();
    let old: std::collections::BTreeSet<(String, String)> = client
        .query("SELECT message_id, request_id FROM usage_events FINAL WHERE NOT is_deleted")
        .fetch_all()
        .await
        .unwrap()
        .into_iter()
        .collect();
    grow_the_tree(&env);
    // An agent with DDL rights (as in the quick start) applies schema 6 (and what came after)
    // itself.
    let mut cfg = env.config();
    cfg.account_override = Some(ACCOUNT.into());
    let report = ccsync::sync::sync_once(&cfg).await.unwrap();
    assert_eq!(report.status, "ok", "{report:?}");
    assert_eq!(report.schema_applied, (6..=7).collect::<Vec<u32>>());
    assert_eq!(report.messages_new, 2, "{report:?}");

    assert_database_is_ccusages(
        &client,
        &[&env.claude_dir()],
        "after the upgrade and a sync",
    )
    .await;

    // The old rows are not rewritten: '' whatever their meta file says now; the new rows
    // carry their subagent's type, read when they were synced.
    let now = agent_types(&client).await;
    for key in &old {
        assert_eq!(now.get(key).map(String::as_str), Some(""), "{key:?}");
    }
    let new_row = |msg: &str| {
        let key = (msg.to_string(), format!("req_{msg}"));
        now.get(&key)
            .cloned()
            .unwrap_or_else(|| panic!("no {key:?}"))
    };
    assert_eq!(new_row("msg_v6_typed"), "Explore");
    assert_eq!(new_row("msg_v6_late_meta"), "Plan");
    assert_eq!(now.len(), old.len() + 2);

    // A fresh run of the same tree: the same rows, column by column, but the type of the old
    // rows of subagents with a meta file (README, known limits).
    let mut fresh = Env::new("upgrade_v5_fresh");
    fresh.machine = MACHINE.into();
    let mut fresh_cfg = fresh.config_for(MACHINE, &env.claude_dir());
    fresh_cfg.account_override = Some(ACCOUNT.into());
    let fresh_report = ccsync::sync::sync_once(&fresh_cfg).await.unwrap();
    assert_eq!(fresh_report.status, "ok", "{fresh_report:?}");
    let without_type = EVENTS_SQL.replace("EXCEPT (", "EXCEPT (agent_type, ");
    assert_same_rows(
        "usage_events FINAL after the upgrade and a sync (actual) vs a fresh run (expected), \
         but agent_type",
        &fetch_sql(&client, &without_type, PER_PARTITION).await,
        &fetch_sql(&fresh.client(), &without_type, PER_PARTITION).await,
    );
    let fresh_types = agent_types(&fresh.client()).await;
    assert_eq!(fresh_types.len(), now.len());
    let mut limited = 0;
    for (key, kind) in &fresh_types {
        let expected = if old.contains(key) { "" } else { kind };
        assert_eq!(now[key], expected, "{key:?}");
        limited += usize::from(old.contains(key) && !kind.is_empty());
    }
    assert!(
        limited >= 3,
        "the fixture's old subagent rows are typed by a fresh run"
    );

    // The database's report names each subagent's type again (from its new rows), as --local.
    let dirs = [env.claude_dir()];
    let dirs: Vec<&std::path::Path> = dirs.iter().map(|d| d.as_path()).collect();
    let args = ["-z", "UTC", "--subagents"];
    let db = ours_db(&env, "session", &args);
    let local = ours_local(&dirs, "session", &args);
    assert_eq!(type_shown(&db, TYPED), "Explore", "{db}");
    assert_eq!(type_shown(&db, UNTYPED), "Plan", "{db}");
    assert_eq!(subagent_parts(&db), subagent_parts(&local), "{db}\n{local}");
    assert!(!db.contains("never stored") && !db.contains("notebook cells"));
    let _ = client
        .query(&format!("DROP DATABASE IF EXISTS `{}`", fresh.database))
        .execute()
        .await;
}
