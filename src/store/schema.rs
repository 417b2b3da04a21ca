//! Versioned DDL from `schema/`, embedded at build time and applied in order.

use crate::error::{Error, Result};

pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

macro_rules! migration {
    ($version:expr, $file:literal) => {
        Migration {
            version: $version,
            name: $file,
            sql: include_str!(concat!("../../schema/", $file)),
        }
    };
}

/// Always applied first: the table that records the others.
pub const BOOTSTRAP: Migration = migration!(0, "000_schema_migrations.sql");

/// In order. A unit test checks this list against the files in `schema/`.
pub const MIGRATIONS: &[Migration] = &[
    migration!(1, "001_usage_events.sql"),
    migration!(2, "002_sync_runs.sql"),
    migration!(3, "003_usage_rollup.sql"),
    migration!(4, "004_exact_across_runs.sql"),
    migration!(5, "005_reasoning_cost_source_accounts.sql"),
    migration!(6, "006_agent_type.sql"),
    migration!(7, "007_sync_runs_by_source.sql"),
];

/// The latest schema in one step, for a database without tables (see the file).
pub const BASELINE: &str = include_str!("../../schema/baseline.sql");

/// Recomputes `usage_rollup` for one machine's 15-minute buckets, once per run.
/// Params: `machine`, `source`, `buckets` (Array(Int64), bucket starts in Unix ms), `version`.
pub const ROLLUP_REFRESH: &str = include_str!("../../schema/maintenance/rollup_refresh.sql");
/// Run right after [`ROLLUP_REFRESH`], same params: deletes the groups it did not rewrite.
pub const ROLLUP_TOMBSTONES: &str = include_str!("../../schema/maintenance/rollup_tombstones.sql");
/// The version of a machine's next rollup refresh, from the server (never the agent's clock).
pub const ROLLUP_VERSION: &str = include_str!("../../schema/maintenance/rollup_version.sql");
/// The stored rows of some responses of a machine, for the cross-run de-duplication.
pub const EVENTS_LOOKUP: &str = include_str!("../../schema/maintenance/events_lookup.sql");
/// A machine's account in `machine_accounts`.
pub const RECORD_ACCOUNT: &str = include_str!("../../schema/maintenance/record_account.sql");
/// One run's row in `sync_runs`.
pub const RECORD_RUN: &str = include_str!("../../schema/maintenance/record_run.sql");
/// How many repeats of some lines without message.id a machine stored.
pub const EVENTS_REPEATS: &str = include_str!("../../schema/maintenance/events_repeats.sql");

pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

impl Migration {
    pub fn checksum(&self) -> u64 {
        xxhash_rust::xxh3::xxh3_64(self.sql.as_bytes())
    }

    /// The file's statements: split at `;` ending a line, comments and blanks dropped.
    pub fn statements(&self) -> Vec<Statement> {
        guarded_statements(self.sql)
    }
}

/// A migration statement, and the condition it runs under: a `-- if: <query>` comment line
/// before it names a query returning 1 (run) or 0 (skip), so a migration of several steps that
/// cannot all be idempotent (a table rebuilt and exchanged) resumes where it stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    pub only_if: Option<String>,
}

fn guarded_statements(sql: &str) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut only_if = None;
    let mut chunk = String::new();
    for line in sql.lines() {
        if let Some(condition) = line.trim().strip_prefix("-- if:") {
            only_if = Some(condition.trim().to_string());
        }
        chunk.push_str(line);
        chunk.push('\n');
        if line.trim().ends_with(';') && !line.trim().starts_with("--") {
            out.extend(split_statements(&chunk).into_iter().map(|sql| Statement {
                sql,
                only_if: only_if.take(),
            }));
            chunk.clear();
        }
    }
    out.extend(split_statements(&chunk).into_iter().map(|sql| Statement {
        sql,
        only_if: only_if.take(),
    }));
    out
}

pub fn split_statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in sql.lines() {
        let code = line.trim();
        if code.is_empty() || code.starts_with("--") {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        if code.ends_with(';') {
            let stmt = current.trim().trim_end_matches(';').trim().to_string();
            if !stmt.is_empty() {
                out.push(stmt);
            }
            current.clear();
        }
    }
    let rest = current.trim();
    if !rest.is_empty() {
        out.push(rest.to_string());
    }
    out
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ApplyReport {
    pub applied: Vec<u32>,
    pub current: u32,
}

#[derive(clickhouse::Row, serde::Serialize)]
struct MigrationRow<'a> {
    version: u32,
    name: &'a str,
    checksum: u64,
    agent_version: &'a str,
}

/// Creates the database if needed and applies pending migrations. Safe to run concurrently from
/// several machines: every statement is idempotent. When the schema is already current it issues
/// one read and no DDL, so an agent with only INSERT/SELECT grants (deploy/clickhouse/) works.
pub async fn apply(sink: &crate::store::client::Sink) -> Result<ApplyReport> {
    let applied = applied_versions(sink).await?;
    let newest = check_not_newer(&applied)?;
    if newest == latest_version() {
        return Ok(ApplyReport {
            applied: Vec::new(),
            current: latest_version(),
        });
    }
    let denied = |e| explain_denied(e, newest);
    sink.create_database().await.map_err(denied)?;
    for stmt in BOOTSTRAP.statements() {
        sink.timed(
            "create schema_migrations",
            sink.client().query(&stmt.sql).execute(),
        )
        .await
        .map_err(denied)?;
    }
    lock(sink).await.map_err(denied)?;
    let result = apply_locked(sink).await;
    unlock(sink).await;
    result
}

/// The versions recorded in `schema_migrations`; none when it does not exist (or cannot be
/// read), an error only when the server cannot be reached.
async fn applied_versions(sink: &crate::store::client::Sink) -> Result<Vec<u32>> {
    let read = sink
        .with_retry("read schema_migrations", || {
            sink.timed(
                "read schema_migrations",
                sink.client()
                    .query("SELECT DISTINCT version FROM schema_migrations ORDER BY version")
                    .fetch_all::<u32>(),
            )
        })
        .await;
    match read {
        Ok(applied) => Ok(applied),
        // Down or slow: retried above, so a failure now is final (and not a reason for DDL,
        // which a read-only agent could not run anyway).
        Err(e) if e.is_retryable() || e.is_unreachable() => Err(e),
        // No database or table yet (or not readable): create what is missing.
        Err(_) => Ok(Vec::new()),
    }
}

/// The newest applied version, unless it is newer than this agent knows.
fn check_not_newer(applied: &[u32]) -> Result<u32> {
    let newest = applied.iter().copied().max().unwrap_or(0);
    if newest > latest_version() {
        return Err(Error::Config(format!(
            "database schema version {newest} is newer than this agent supports ({}); upgrade ccsync",
            latest_version()
        )));
    }
    Ok(newest)
}

/// Applies what is missing, under the lock: another runner may have applied it meanwhile.
async fn apply_locked(sink: &crate::store::client::Sink) -> Result<ApplyReport> {
    let applied = applied_versions(sink).await?;
    let newest = check_not_newer(&applied)?;
    let mut report = ApplyReport {
        applied: Vec::new(),
        current: newest,
    };
    let baseline = applied.is_empty() && !has_tables(sink).await?;
    if baseline {
        for sql in split_statements(BASELINE) {
            sink.timed("create the tables", sink.client().query(&sql).execute())
                .await
                .map_err(|e| explain_denied(e, newest))?;
        }
    }
    let missing: Vec<&Migration> = MIGRATIONS
        .iter()
        .filter(|m| !applied.contains(&m.version))
        .collect();
    if baseline {
        // The tables are there: every migration is recorded at once.
        record(sink, &missing).await?;
    }
    for m in missing.iter().filter(|_| !baseline) {
        let mut conditions = std::collections::HashMap::new();
        for stmt in m.statements() {
            run_statement(sink, m, &stmt, &mut conditions)
                .await
                .map_err(|e| explain_denied(e, newest))?;
        }
        // Each as it is done: an interrupted run resumes after the last one recorded.
        record(sink, &[m]).await?;
    }
    report.applied = missing.iter().map(|m| m.version).collect();
    report.current = report.current.max(latest_version());
    Ok(report)
}

/// Migrations run one runner at a time (two agents' first runs on a new database, or an
/// upgrade racing a sync): a table rebuild interleaved with another would undo it. The lock is
/// a table only one `CREATE` can make; one left by a runner that died is taken over once it is
/// older than the longest migration could take.
const LOCK_TABLE: &str = "schema_migrations_lock";
const LOCK_STALE_SECS: u64 = 30 * 60;

async fn lock(sink: &crate::store::client::Sink) -> Result<()> {
    let create = "CREATE TABLE {t:Identifier} (holder String) ENGINE = Null";
    loop {
        let made = sink
            .timed(
                "lock schema migrations",
                sink.client().query(create).param("t", LOCK_TABLE).execute(),
            )
            .await;
        match made {
            Ok(()) => return Ok(()),
            Err(Error::ClickHouse { message, .. })
                if crate::error::exception_code(&message) == Some(57) => {}
            Err(e) => return Err(e),
        }
        let age = sink
            .timed(
                "read the schema migrations lock",
                sink.client()
                    .query(
                        "SELECT dateDiff('second', metadata_modification_time, now()) \
                         FROM system.tables WHERE database = currentDatabase() AND name = {t:String}",
                    )
                    .param("t", LOCK_TABLE)
                    .fetch_optional::<i64>(),
            )
            .await?;
        if age.is_some_and(|a| a > LOCK_STALE_SECS as i64) {
            tracing::warn!("taking over a schema migration lock left {age:?} s ago");
            unlock(sink).await;
        } else {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    }
}

/// Best effort: a lock left behind is taken over once stale.
async fn unlock(sink: &crate::store::client::Sink) {
    let dropped = sink
        .timed(
            "unlock schema migrations",
            sink.client()
                .query("DROP TABLE IF EXISTS {t:Identifier}")
                .param("t", LOCK_TABLE)
                .execute(),
        )
        .await;
    if let Err(e) = dropped {
        tracing::warn!("cannot remove {LOCK_TABLE}: {e}");
    }
}

/// Records `done` in `schema_migrations`.
async fn record(sink: &crate::store::client::Sink, done: &[&Migration]) -> Result<()> {
    sink.timed("record migration", async {
        let mut insert = sink
            .client()
            .insert::<MigrationRow<'_>>("schema_migrations")
            .await?;
        for m in done {
            let row = MigrationRow {
                version: m.version,
                name: m.name,
                checksum: m.checksum(),
                agent_version: crate::AGENT_VERSION,
            };
            insert.write(&row).await?;
        }
        insert.end().await
    })
    .await
}

/// Whether the database holds any of ccsync's tables (a database without any gets the
/// baseline).
async fn has_tables(sink: &crate::store::client::Sink) -> Result<bool> {
    let sql = "SELECT count() FROM system.tables WHERE database = currentDatabase() \
               AND name IN ('usage_events', 'usage_rollup', 'sync_runs')";
    let found = sink
        .timed(
            "read system.tables",
            sink.client().query(sql).fetch_one::<u64>(),
        )
        .await?;
    Ok(found > 0)
}

/// Runs one statement of migration `m`, unless its `-- if:` condition says it is done. A
/// condition is asked once per migration (`conditions`): the statements it guards form one
/// step (build, copy, swap), which holds the migration lock, so the answer stands until the
/// step's last statement, and a migration interrupted half-way asks again when it resumes.
async fn run_statement(
    sink: &crate::store::client::Sink,
    m: &Migration,
    stmt: &Statement,
    conditions: &mut std::collections::HashMap<String, bool>,
) -> Result<()> {
    let context = format!("schema migration {}", m.name);
    if let Some(condition) = &stmt.only_if {
        let run = match conditions.get(condition) {
            Some(&run) => run,
            None => {
                // Any one-value query: its answer as 0 or 1 (scalar subqueries are Nullable).
                let ask = format!("SELECT toUInt8(ifNull(({condition}), 0) != 0)");
                let answer = sink
                    .timed(&context, sink.client().query(&ask).fetch_one::<u8>())
                    .await?;
                *conditions.entry(condition.clone()).or_insert(answer != 0)
            }
        };
        if !run {
            return Ok(());
        }
    }
    sink.timed(&context, sink.client().query(&stmt.sql).execute())
        .await
}

/// A migration refused for lack of rights: agents hold none for DDL, so say who must run what.
fn explain_denied(err: Error, current: u32) -> Error {
    let Error::ClickHouse { message, .. } = &err else {
        return err;
    };
    if crate::error::exception_code(message) != Some(497) {
        return err;
    }
    Error::Config(format!(
        "the database schema is at version {current} and this agent needs version {}, but this \
         user may not change the schema ({message}); as a user with DDL rights (e.g. the \
         server's administrator), run `ccsync schema apply` once with the same CLICKHOUSE_URL and \
         CLICKHOUSE_DATABASE, then sync again",
        latest_version()
    ))
}

/// The `.sql` files of a directory of the repository, sorted (for the embedding checks).
#[cfg(test)]
pub(crate) fn sql_files_in(dir: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_migration_refused_for_lack_of_rights_says_who_must_run_what() {
        let denied = Error::clickhouse(
            "schema migration 004_exact_across_runs.sql",
            &clickhouse::error::Error::BadResponse(
                "Code: 497. DB::Exception: laptop: Not enough privileges. (ACCESS_DENIED)".into(),
            ),
        );
        let explained = explain_denied(denied, 3).to_string();
        assert!(explained.contains("ccsync schema apply"), "{explained}");
        assert!(
            explained.contains("version 3")
                && explained.contains(&format!("version {}", latest_version())),
            "{explained}"
        );
        // Other failures are left as they are.
        let other = Error::Config("x".into());
        assert_eq!(
            explain_denied(other, 3).to_string(),
            Error::Config("x".into()).to_string()
        );
    }

    #[test]
    fn guarded_statements_keep_their_condition() {
        let sql = "-- note\n-- if: SELECT 1\nCREATE TABLE a (x UInt8);\nDROP TABLE b;\n";
        let stmts = guarded_statements(sql);
        assert_eq!(stmts.len(), 2);
        assert_eq!(
            (stmts[0].sql.as_str(), stmts[0].only_if.as_deref()),
            ("CREATE TABLE a (x UInt8)", Some("SELECT 1"))
        );
        assert_eq!(
            (stmts[1].sql.as_str(), stmts[1].only_if.as_deref()),
            ("DROP TABLE b", None)
        );
    }

    #[test]
    fn every_schema_file_is_embedded_in_order() {
        let mut files = sql_files_in("schema");
        files.retain(|f| f != "baseline.sql");
        let embedded: Vec<&str> = std::iter::once(BOOTSTRAP.name)
            .chain(MIGRATIONS.iter().map(|m| m.name))
            .collect();
        assert_eq!(files, embedded);
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1);
            assert!(m.name.starts_with(&format!("{:03}_", m.version)));
        }
    }

    #[test]
    fn statements_split_on_line_ending_semicolons() {
        let sql = "-- c\nCREATE TABLE a (x UInt8);\n\n-- d\nCREATE TABLE b\n(\n  y String -- ;x\n);\nSELECT 1";
        assert_eq!(
            split_statements(sql),
            vec![
                "CREATE TABLE a (x UInt8)",
                "CREATE TABLE b\n(\n  y String -- ;x\n)",
                "SELECT 1"
            ]
        );
    }
}
