//! Least privilege: the agent role can insert its rows and read what it needs, nothing else.
//! Checked statically always (roles.sql and the compose users.xml grant the same, minimal set),
//! and live against a real server given by CCSYNC_TEST_CLICKHOUSE_URL (chdb has no users).

use std::collections::BTreeSet;

use ccsync::sync::sync_once;

use crate::common::*;

type Grants = BTreeSet<(String, String)>;

/// (privilege, object) pairs of `GRANT a, b ON obj` statements, per grantee when given.
fn parse_grants(statements: &[String]) -> Grants {
    let mut out = Grants::new();
    for stmt in statements {
        let stmt = stmt.trim();
        let Some(rest) = stmt.strip_prefix("GRANT ") else {
            continue;
        };
        let (privs, rest) = rest.split_once(" ON ").expect("GRANT ... ON ...");
        let object = rest
            .split_whitespace()
            .next()
            .unwrap()
            .trim_end_matches(';');
        for p in privs.split(',') {
            out.insert((p.trim().to_string(), object.to_string()));
        }
    }
    out
}

fn roles_sql_grants(role: &str) -> Grants {
    let sql = std::fs::read_to_string(repo().join("deploy/clickhouse/roles.sql")).unwrap();
    let statements: Vec<String> = ccsync::store::schema::split_statements(&sql)
        .into_iter()
        .filter(|s| s.ends_with(&format!(" TO {role}")))
        .collect();
    parse_grants(&statements)
}

fn users_xml_grants(user: &str) -> Grants {
    let xml = std::fs::read_to_string(repo().join("deploy/clickhouse/users.d/ccsync.xml")).unwrap();
    let start = xml.find(&format!("<{user}>")).unwrap();
    let end = xml.find(&format!("</{user}>")).unwrap();
    let statements: Vec<String> = xml[start..end]
        .split("<query>")
        .skip(1)
        .map(|q| q.split("</query>").next().unwrap().to_string())
        .collect();
    parse_grants(&statements)
}

fn pairs(list: &[(&str, &str)]) -> Grants {
    list.iter()
        .map(|(p, o)| (p.to_string(), o.to_string()))
        .collect()
}

#[test]
fn agent_and_reader_grants_are_minimal_and_the_same_in_sql_and_xml() {
    let agent = pairs(&[
        ("INSERT", "ccsync.usage_events"),
        ("SELECT", "ccsync.usage_events"),
        ("INSERT", "ccsync.sync_runs"),
        ("SELECT", "ccsync.sync_runs"),
        ("INSERT", "ccsync.usage_rollup"),
        ("SELECT", "ccsync.usage_rollup"),
        ("INSERT", "ccsync.machine_accounts"),
        ("SELECT", "ccsync.machine_accounts"),
        ("SELECT", "ccsync.schema_migrations"),
    ]);
    assert_eq!(roles_sql_grants("ccsync_agent"), agent);
    assert_eq!(users_xml_grants("ccsync_agent"), agent);
    let reader = pairs(&[("SELECT", "ccsync.*")]);
    assert_eq!(roles_sql_grants("ccsync_reader"), reader);
    assert_eq!(users_xml_grants("ccsync_reader"), reader);
    // Every table granted exists in schema/, and the agent's inserts go to exactly these.
    let schema: String = [
        "001_usage_events.sql",
        "002_sync_runs.sql",
        "003_usage_rollup.sql",
        "005_reasoning_cost_source_accounts.sql",
        "000_schema_migrations.sql",
    ]
    .iter()
    .map(|f| std::fs::read_to_string(repo().join("schema").join(f)).unwrap())
    .collect();
    for (_, object) in &agent {
        let table = object.trim_start_matches("ccsync.");
        assert!(
            schema.contains(&format!("CREATE TABLE IF NOT EXISTS {table}")),
            "{table}"
        );
    }
    // What the sink runs: typed inserts, and the SQL of schema/maintenance/.
    // (All of src/store/ but the migrations, which an administrator applies.)
    let mut sink: String = files_under(&repo().join("src/store"), Some("rs"))
        .into_iter()
        .filter(|path| !path.ends_with("schema.rs"))
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect();
    for entry in std::fs::read_dir(repo().join("schema/maintenance")).unwrap() {
        let sql = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        // Statements only: comments may quote SQL that is not run.
        for line in sql.lines().filter(|l| !l.trim_start().starts_with("--")) {
            sink += line;
            sink.push('\n');
        }
    }
    let mut inserted: BTreeSet<&str> = sink
        .split(".insert::<")
        .skip(1)
        .map(|rest| rest.split('"').nth(1).unwrap())
        .collect();
    inserted.extend(
        sink.split("INSERT INTO ")
            .skip(1)
            .map(|rest| rest.split([' ', '(', '\n']).next().unwrap()),
    );
    assert_eq!(
        inserted,
        BTreeSet::from([
            "machine_accounts",
            "sync_runs",
            "usage_events",
            "usage_rollup"
        ])
    );
}

#[tokio::test]
async fn agent_role_can_sync_but_not_drop_alter_or_read_elsewhere() {
    let env = Env::new("privileges");
    let admin = env.client().with_database("default");
    if std::env::var("CCSYNC_TEST_CLICKHOUSE_URL").is_err() {
        // The embedded engine has no access control: prove that is still so, so this test gets
        // upgraded the day it does. The live check runs against a real server.
        let err = admin
            .query("CREATE ROLE IF NOT EXISTS ccsync_probe_role")
            .execute()
            .await
            .expect_err("chdb now supports roles: run the live check below against it");
        let code = ccsync::error::exception_code(&err.to_string());
        assert!(matches!(code, Some(497 | 514)), "{err}");
        eprintln!(
            "note: live privilege check needs a real server: set CCSYNC_TEST_CLICKHOUSE_URL \
             (static grant checks ran in agent_and_reader_grants_are_minimal_and_the_same_in_sql_and_xml)"
        );
        return;
    }
    // Schema as the administrator; then the roles for this test's database.
    let admin_cfg = env.config();
    ccsync::store::schema::apply(&ccsync::store::client::Sink::new(&admin_cfg.clickhouse).unwrap())
        .await
        .unwrap();
    let suffix = &env.database;
    let roles = std::fs::read_to_string(repo().join("deploy/clickhouse/roles.sql"))
        .unwrap()
        .replace("ccsync.", &format!("{suffix}."))
        .replace("ccsync_agent", &format!("{suffix}_agent"))
        .replace("ccsync_reader", &format!("{suffix}_reader"));
    for stmt in ccsync::store::schema::split_statements(&roles) {
        admin.query(&stmt).execute().await.unwrap();
    }
    let user = format!("{suffix}_u");
    admin
        .query(&format!(
            "CREATE USER {user} IDENTIFIED WITH sha256_password BY 'agent-pw-1' DEFAULT ROLE {suffix}_agent"
        ))
        .execute()
        .await
        .unwrap();
    admin
        .query(&format!("GRANT {suffix}_agent TO {user}"))
        .execute()
        .await
        .unwrap();
    admin
        .query(&format!("CREATE DATABASE {suffix}_other"))
        .execute()
        .await
        .unwrap();
    admin
        .query(&format!(
            "CREATE TABLE {suffix}_other.t (x UInt8) ENGINE = Memory"
        ))
        .execute()
        .await
        .unwrap();

    env.write(
        "-p/s1.jsonl",
        &lines(&[line("m1", "2026-01-05T10:00:00.000Z")]),
    );
    let mut cfg = env.config();
    cfg.clickhouse.user = user.clone();
    cfg.clickhouse.password = ccsync::config::Secret::new("agent-pw-1");
    let report = sync_once(&cfg).await.unwrap();
    assert_eq!(report.rows_inserted, 1);

    let agent = env.client().with_user(&user).with_password("agent-pw-1");
    for forbidden in [
        "DROP TABLE usage_events".to_string(),
        "ALTER TABLE usage_events DELETE WHERE 1".to_string(),
        "TRUNCATE TABLE sync_runs".to_string(),
        format!("SELECT * FROM {suffix}_other.t"),
        "CREATE TABLE evil (x UInt8) ENGINE = Memory".to_string(),
    ] {
        let err = agent
            .query(&forbidden)
            .execute()
            .await
            .expect_err(&forbidden);
        assert_eq!(
            ccsync::error::exception_code(&err.to_string()),
            Some(497),
            "{forbidden}: {err}"
        );
    }
    for cleanup in [
        format!("DROP USER {user}"),
        format!("DROP ROLE {suffix}_agent, {suffix}_reader"),
        format!("DROP DATABASE {suffix}_other"),
    ] {
        admin.query(&cleanup).execute().await.unwrap();
    }
}
