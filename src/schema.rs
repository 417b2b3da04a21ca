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
            sql: include_str!(concat!("../schema/", $file)),
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
];

/// Recomputes `usage_rollup` for one machine's 15-minute buckets; run after each insert batch.
/// Params: `machine`, `buckets` (Array(DateTime('UTC'))), `version`.
pub const ROLLUP_REFRESH: &str = include_str!("../schema/maintenance/rollup_refresh.sql");
/// Run right after [`ROLLUP_REFRESH`], same params: deletes the groups it did not rewrite.
pub const ROLLUP_TOMBSTONES: &str = include_str!("../schema/maintenance/rollup_tombstones.sql");

pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

impl Migration {
    pub fn checksum(&self) -> u64 {
        xxhash_rust::xxh3::xxh3_64(self.sql.as_bytes())
    }

    /// The file's statements: split at `;` ending a line, comments and blanks dropped.
    pub fn statements(&self) -> Vec<String> {
        split_statements(self.sql)
    }
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
pub async fn apply(sink: &crate::sink::Sink) -> Result<ApplyReport> {
    let client = sink.client();
    let read = sink
        .with_retry("read schema_migrations", || {
            sink.timed(
                "read schema_migrations",
                client
                    .query("SELECT DISTINCT version FROM schema_migrations ORDER BY version")
                    .fetch_all::<u32>(),
            )
        })
        .await;
    let applied: Vec<u32> = match read {
        Ok(applied) => applied,
        // Down or slow: retried above, so a failure now is final (and not a reason for DDL,
        // which a read-only agent could not run anyway).
        Err(e) if e.is_retryable() => return Err(e),
        // No database or table yet (or not readable): create what is missing, below.
        Err(_) => Vec::new(),
    };
    let newest = applied.iter().copied().max().unwrap_or(0);
    if newest > latest_version() {
        return Err(Error::Config(format!(
            "database schema version {newest} is newer than this agent supports ({}); upgrade ccsync",
            latest_version()
        )));
    }
    if newest == latest_version() {
        return Ok(ApplyReport {
            applied: Vec::new(),
            current: latest_version(),
        });
    }
    sink.create_database().await?;
    for stmt in BOOTSTRAP.statements() {
        sink.timed("create schema_migrations", client.query(&stmt).execute())
            .await?;
    }
    let mut report = ApplyReport {
        applied: Vec::new(),
        current: applied.iter().copied().max().unwrap_or(0),
    };
    for m in MIGRATIONS {
        if applied.contains(&m.version) {
            continue;
        }
        for stmt in m.statements() {
            sink.timed(
                &format!("schema migration {}", m.name),
                client.query(&stmt).execute(),
            )
            .await?;
        }
        let row = MigrationRow {
            version: m.version,
            name: m.name,
            checksum: m.checksum(),
            agent_version: crate::AGENT_VERSION,
        };
        sink.timed("record migration", async {
            let mut insert = client
                .insert::<MigrationRow<'_>>("schema_migrations")
                .await?;
            insert.write(&row).await?;
            insert.end().await
        })
        .await?;
        report.applied.push(m.version);
        report.current = report.current.max(m.version);
    }
    if report.current > latest_version() {
        return Err(Error::Config(format!(
            "database schema version {} is newer than this agent supports ({}); upgrade ccsync",
            report.current,
            latest_version()
        )));
    }
    Ok(report)
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
    fn every_schema_file_is_embedded_in_order() {
        let files = sql_files_in("schema");
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
