//! `ccsync schema apply`: the migrations of `schema/`, by an administrator.

use std::process::ExitCode;

use crate::config::Config;

pub(super) async fn apply(cfg: &Config) -> anyhow::Result<ExitCode> {
    let sink = crate::store::client::Sink::new(&cfg.clickhouse)?;
    let version = sink.ping().await?;
    let report = crate::store::schema::apply(&sink).await?;
    println!(
        "schema of database {} on ClickHouse {version}: version {}{}",
        cfg.clickhouse.database,
        report.current,
        if report.applied.is_empty() {
            " (already current)".to_string()
        } else {
            format!(" (applied {:?})", report.applied)
        }
    );
    Ok(ExitCode::SUCCESS)
}
