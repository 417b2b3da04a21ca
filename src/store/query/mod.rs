//! The query pack: `queries/*.sql`, embedded at build time (the files stay the source), their
//! headers (`-- name:`, `-- description:`, `-- params:`), parameter validation and execution
//! with server-side parameters (`{name:Type}`, never pasted into the SQL). `ccsync query`
//! (`cli/query.rs`) prints the results.
//!
//! Here the embedded files, their parsed headers and running a query; [`params`] (parameter
//! types, the `-- params:` grammar with its ranges, binding and checking `NAME=VALUE`),
//! [`lint`] (time constructs the pack avoids), [`table`] (results as typed JSON rows).

use std::sync::OnceLock;

/// One embedded file of `queries/`.
pub struct PackFile {
    pub file: &'static str,
    pub sql: &'static str,
}

macro_rules! pack_files {
    ($($name:literal),* $(,)?) => {
        &[$(PackFile {
            file: concat!($name, ".sql"),
            sql: include_str!(concat!("../../../queries/", $name, ".sql")),
        }),*]
    };
}

/// Every file of `queries/`, sorted. A unit test checks this list against the directory.
pub const FILES: &[PackFile] = pack_files![
    "api_errors",
    "billing_blocks",
    "budget_status",
    "cache_efficiency",
    "claude_versions",
    "context_size",
    "cost_by_token_kind",
    "cross_machine_duplicates",
    "cumulative_cost",
    "daily_anomalies",
    "daily_by_machine",
    "daily_by_model",
    "daily_by_source",
    "fast_mode_usage",
    "freshness",
    "git_branches",
    "global_daily",
    "hourly_by_machine",
    "hourly_heatmap",
    "machine_comparison",
    "machine_ranking",
    "model_by_machine",
    "model_usage",
    "monthly_by_machine",
    "overview",
    "project_costs",
    "project_daily",
    "projects_across_machines",
    "report_rows",
    "session_stats",
    "sessions",
    "sidechain_usage",
    "sync_health",
    "sync_history",
    "unknown_models",
    "weekly_by_machine",
];

mod lint;
mod params;
mod table;

pub use lint::avoided_time_constructs;
pub use params::{Param, ParamType, Range, bind, parse_params};
pub use table::Table;

/// One query of the pack.
#[derive(Debug, Clone)]
pub struct Query {
    pub name: String,
    pub description: String,
    pub params: Vec<Param>,
    pub file: &'static str,
    pub sql: &'static str,
}

/// Reads a file's header: `-- name:`, `-- description:`, and any number of `-- params:` lines.
/// Other leading comments are notes; the header ends at the first line that is not a comment.
pub fn parse_query(file: &'static str, sql: &'static str) -> Result<Query, String> {
    let (mut name, mut description, mut params) = (None, None, Vec::new());
    for line in sql.lines() {
        let Some(comment) = line.trim_start().strip_prefix("--") else {
            if line.trim().is_empty() {
                continue;
            }
            break;
        };
        let comment = comment.trim();
        if let Some(v) = comment.strip_prefix("name:") {
            name = Some(v.trim().to_string());
        } else if let Some(v) = comment.strip_prefix("description:") {
            description = Some(v.trim().to_string());
        } else if let Some(v) = comment.strip_prefix("params:") {
            params.extend(parse_params(v).map_err(|e| format!("{file}: params: {e}"))?);
        }
    }
    let name = name.ok_or_else(|| format!("{file}: no `-- name:` line"))?;
    let description = description.ok_or_else(|| format!("{file}: no `-- description:` line"))?;
    Ok(Query {
        name,
        description,
        params,
        file,
        sql,
    })
}

/// The parsed pack. The headers are checked by unit tests, so a failure here is a build bug.
pub fn pack() -> &'static [Query] {
    static PACK: OnceLock<Vec<Query>> = OnceLock::new();
    PACK.get_or_init(|| {
        FILES
            .iter()
            .map(|f| parse_query(f.file, f.sql).unwrap_or_else(|e| panic!("query pack: {e}")))
            .collect()
    })
}

/// A usage error: what was wrong, and what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn find(name: &str) -> Result<&'static Query, UsageError> {
    let pack = pack();
    if let Some(q) = pack.iter().find(|q| q.name == name) {
        return Ok(q);
    }
    let mut names: Vec<&str> = pack.iter().map(|q| q.name.as_str()).collect();
    names.sort_unstable();
    let hint = closest(name, &names)
        .map(|n| format!(" Did you mean {n:?}?"))
        .unwrap_or_default();
    Err(UsageError(format!(
        "unknown query {name:?}.{hint} Available queries:\n  {}\n(`ccsync query --list` describes them)",
        names.join(", ")
    )))
}

/// The nearest name by edit distance, if it is plausibly a typo.
fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let distance = |a: &str, b: &str| {
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut cur = vec![i + 1];
            for (j, cb) in b.iter().enumerate() {
                cur.push(
                    (prev[j] + usize::from(ca != *cb))
                        .min(prev[j + 1] + 1)
                        .min(cur[j] + 1),
                );
            }
            prev = cur;
        }
        prev[b.len()]
    };
    candidates
        .iter()
        .map(|c| (distance(word, c), *c))
        .filter(|(d, c)| *d <= 3.max(c.len() / 3))
        .min()
        .map(|(_, c)| c)
}

/// `FINAL` per partition, in parallel, instead of merging across partitions: exact because a row
/// superseded by one in another partition gets a tombstone in its own (schema/004), and several
/// times faster on large tables.
pub const FINAL_SETTING: (&str, &str) = ("do_not_merge_across_partitions_select_final", "1");

/// Runs a query with its parameters bound server-side; returns the body in `format`.
pub async fn fetch_bytes(
    client: &clickhouse::Client,
    query: &Query,
    values: &[(String, Option<String>)],
    format: &str,
) -> clickhouse::error::Result<Vec<u8>> {
    // Raw: a `?` in the SQL is text, not a client-side placeholder.
    let mut q = client
        .query_raw(query.sql)
        .with_setting(FINAL_SETTING.0, FINAL_SETTING.1);
    for (name, value) in values {
        q = match value {
            Some(v) => q.param(name, v.as_str()),
            None => q.param(name, None::<&str>),
        };
    }
    Ok(q.fetch_bytes(format)?.collect().await?.to_vec())
}

/// Runs a query into a [`Table`].
pub async fn fetch_table(
    client: &clickhouse::Client,
    query: &Query,
    values: &[(String, Option<String>)],
) -> anyhow::Result<Table> {
    let body = fetch_bytes(client, query, values, "JSONCompact").await?;
    Table::from_json_compact(&body).map_err(anyhow::Error::msg)
}

#[cfg(test)]
mod tests;
