//! `ccsync report daily|monthly|session --agent codex`: ccusage's Codex reports (`ccusage codex
//! daily|monthly|session --json --offline`), from this machine's rollouts (`--local`) or from the
//! database (every machine's Codex rows). Both feeds yield Codex rows; `crate::source::codex`
//! computes the report; this module prints it as ccusage's JSON or as a table.

use std::process::ExitCode;

use super::args::{Order, ReportKind};
use crate::config::Config;
use crate::report::{DateRange, Zone};
use crate::source::codex::{Codex, CodexReport, Kind, Report};

/// Runs a `--agent codex` report; `range` is `--since`/`--until`, already checked.
pub(super) async fn run(
    cfg: &Config,
    kind: &ReportKind,
    range: DateRange,
) -> anyhow::Result<ExitCode> {
    let a = kind.common();
    let codex_kind = match codex_kind(kind) {
        Ok(k) => k,
        Err(refusal) => return Ok(crate::cli::usage_error(refusal)),
    };
    let zone = a.timezone.clone().unwrap_or_else(Zone::system);
    let (mut report, summary) = if a.local {
        let codex = Codex::new(cfg.codex_homes.clone());
        let out =
            tokio::task::spawn_blocking(move || codex.report(codex_kind, zone, range)).await?;
        let summary = crate::source::codex::read_summary(&out);
        (out.report, Some(summary))
    } else {
        (read_db(cfg, kind, codex_kind, zone, range).await?, None)
    };
    if a.json {
        // ccusage's Codex reports list rows oldest first (sessions by id) whatever `--order`.
        println!("{}", crate::source::codex::report_json(&report));
        return Ok(ExitCode::SUCCESS);
    }
    if a.order == Order::Desc {
        report.groups.reverse();
    }
    print!("{}", crate::source::codex::report_table(&report));
    crate::source::codex::warn_unpriced(&report);
    if let Some(summary) = summary {
        println!("{summary}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The Codex report `kind` asks for, or why there is none (a usage mistake: exit 2).
fn codex_kind(kind: &ReportKind) -> Result<Kind, String> {
    let a = kind.common();
    if a.by.is_some() {
        return Err(
            "--by is not available with --agent codex; filter with --machine or \
                    --project instead"
                .into(),
        );
    }
    match kind {
        ReportKind::Daily(_) => Ok(Kind::Daily),
        ReportKind::Monthly(_) => Ok(Kind::Monthly),
        ReportKind::Session(s) if s.subagents => Err(
            "--subagents is for Claude Code sessions; Codex's sub-agents have sessions \
                 of their own"
                .into(),
        ),
        ReportKind::Session(_) => Ok(Kind::Session),
        // ccusage's words (`ccusage codex weekly`, `ccusage codex blocks`: exit 2).
        ReportKind::Weekly(_) => Err("the \"weekly\" report is not available for Codex usage \
                                       (as in ccusage); use daily, monthly or session"
            .into()),
        ReportKind::Blocks(_) => Err("the \"blocks\" report is only available for Claude \
                                       Code usage (as in ccusage); use daily, monthly or \
                                       session with --agent codex"
            .into()),
    }
}

/// The report of the Codex rows the database options select.
async fn read_db(
    cfg: &Config,
    options: &ReportKind,
    kind: Kind,
    zone: Zone,
    range: DateRange,
) -> anyhow::Result<CodexReport> {
    let filter = super::read::row_filter(cfg, options, range, &zone);
    let sink = crate::store::client::Sink::new(&cfg.clickhouse)?;
    let rows = crate::store::report_codex::read_codex_rows(&sink, &filter).await?;
    let mut report = Report::new(kind, zone, range);
    for row in &rows {
        report.add(row);
    }
    Ok(report.finish())
}
