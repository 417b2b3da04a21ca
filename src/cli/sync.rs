//! `ccsync sync` (and bare `ccsync`): one pass with `--once`, else a daemon ticking every
//! `--interval`; the run's summary for people, JSON or nothing.

use std::process::ExitCode;
use std::time::Duration;

use crate::config::Config;
use crate::sync::RunReport;

use super::SyncArgs;

pub(super) async fn once(cfg: &Config, args: &SyncArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let _lock = match acquire_lock(cfg, args.wait).await? {
        Some(lock) => lock,
        None => return Ok(ExitCode::SUCCESS),
    };
    let opts = crate::sync::SyncOptions {
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr()) && !quiet,
    };
    let report = match crate::sync::sync_once_with(cfg, &opts).await {
        Ok(report) => report,
        Err(e) => {
            if args.json {
                // A script reading the summary learns of the failure there too.
                let failed = serde_json::json!({
                    "machine_name": cfg.machine_name,
                    "database": cfg.clickhouse.database,
                    "status": "failed",
                    "error": crate::error::redact_urls(&format!("{e:#}")),
                });
                println!("{failed:#}");
            }
            return Err(e.into());
        }
    };
    let summary = Summary::of(args.json, quiet, false);
    let partial = report.status == "partial";
    if partial {
        super::failing_with(EXIT_PARTIAL);
        if summary == Summary::None {
            // Quiet is errors only, and a partial run has some: what could not be read.
            eprintln!(
                "ccsync: sync partial for machine {:?}:",
                report.machine_name
            );
            for warning in report.warnings.iter().take(20) {
                eprintln!("  {warning}");
            }
        }
    }
    print_report(&report, summary);
    Ok(if partial {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}

pub(super) async fn daemon(cfg: &Config, args: &SyncArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let interval = args.interval.unwrap_or(Duration::from_secs(3600));
    run_daemon(cfg, interval, Summary::of(args.json, quiet, true), quiet).await;
    Ok(ExitCode::SUCCESS)
}

/// The state dir's lock, or None (after saying so) when another sync holds it: that run will
/// sync everything there is, so this one has nothing to add and exits successfully.
async fn acquire_lock(cfg: &Config, wait: bool) -> anyhow::Result<Option<crate::lock::SyncLock>> {
    let state_dir = cfg.state_dir.clone();
    match tokio::task::spawn_blocking(move || crate::lock::acquire(&state_dir, wait)).await? {
        Ok(lock) => Ok(Some(lock)),
        Err(e @ crate::Error::Locked { .. }) => {
            eprintln!("ccsync: {e}; exiting (use --wait to wait for it)");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// The daemon: the one-shot pass inside an interval loop. Missed ticks are skipped, a signal
/// stops it; a pass cut short checkpoints only what ClickHouse acknowledged.
async fn run_daemon(cfg: &Config, interval: Duration, summary: Summary, quiet: bool) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    if !quiet {
        // Bare `ccsync` lands here: say what it does and how to do one pass instead.
        eprintln!(
            "ccsync: syncing every {} until stopped (Ctrl-C or SIGTERM); `ccsync --once` syncs once",
            humantime::format_duration(interval)
        );
    }
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = ticker.tick() => {}
        }
        let _lock = match acquire_lock(cfg, false).await {
            Ok(Some(lock)) => lock,
            Ok(None) => continue,
            Err(e) => {
                eprintln!("ccsync: {e:#}");
                continue;
            }
        };
        tokio::select! {
            _ = &mut shutdown => break,
            result = crate::sync::sync_once(cfg) => match result {
                Ok(report) => print_report(&report, summary),
                Err(e) => eprintln!("ccsync: sync failed (retrying next interval): {e}"),
            },
        }
    }
    if !quiet {
        eprintln!("ccsync: stopped");
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("install SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// A run that read and stored nothing and has nothing to say.
fn nothing_new(report: &RunReport) -> bool {
    report.status == "ok"
        && report.stats.files_changed == 0
        && report.rows_inserted == 0
        && report.warnings.is_empty()
        && report.codex.as_ref().is_none_or(|c| c.nothing_new())
}

/// `sync --once` read some files or folders but not all (the rest is synced): see the README's
/// exit codes.
const EXIT_PARTIAL: u8 = 4;

/// How a run's summary is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Summary {
    /// The report as JSON (asked for: also with `-q`).
    Json,
    /// A daemon's report as one line of JSON per tick (JSON Lines).
    JsonLine,
    Full,
    /// A daemon's tick: one line when nothing was new.
    Tick,
    /// `-q`: errors only.
    None,
}

impl Summary {
    fn of(json: bool, quiet: bool, daemon: bool) -> Self {
        match (json, quiet, daemon) {
            (true, _, true) => Summary::JsonLine,
            (true, _, false) => Summary::Json,
            (false, true, _) => Summary::None,
            (false, false, true) => Summary::Tick,
            (false, false, false) => Summary::Full,
        }
    }
}

fn print_report(report: &RunReport, summary: Summary) {
    match summary {
        Summary::None => return,
        Summary::Json | Summary::JsonLine => {
            let encoded = if summary == Summary::Json {
                serde_json::to_string_pretty(report)
            } else {
                serde_json::to_string(report)
            };
            match encoded {
                Ok(s) => println!("{s}"),
                Err(e) => eprintln!("ccsync: cannot encode the report: {e}"),
            }
            return;
        }
        Summary::Tick if nothing_new(report) => {
            let codex = report.codex.as_ref().map_or(0, |c| c.files_scanned);
            println!(
                "ccsync: nothing new for machine {:?} ({} files checked)",
                report.machine_name,
                report.stats.files_scanned + codex
            );
            return;
        }
        Summary::Tick | Summary::Full => {}
    }
    println!(
        "ccsync: sync {} for machine {:?} into database {}",
        report.status, report.machine_name, report.database
    );
    if report.claude {
        print_claude(report);
    }
    if let Some(codex) = &report.codex {
        print_codex(codex);
    }
    for w in &report.warnings {
        println!("  warning   {w}");
    }
    if !report.schema_applied.is_empty() {
        println!("  schema    applied migrations {:?}", report.schema_applied);
    }
    println!("  duration  {:.2} s", report.duration_ms as f64 / 1000.0);
}

/// Claude Code's part of a run's summary.
fn print_claude(report: &RunReport) {
    let s = &report.stats;
    if s.files_scanned == 0 {
        println!(
            "  no Claude Code transcripts found in {} (set CLAUDE_CONFIG_DIR)",
            report.transcript_dirs.join(", ")
        );
    }
    println!(
        "  files     {} scanned, {} changed, {} re-read, {} failed",
        s.files_scanned, s.files_changed, s.files_reread, s.files_failed
    );
    println!(
        "  read      {} in {} lines",
        crate::table::bytes(s.bytes_read),
        s.lines_read
    );
    println!(
        "  messages  {} new ({} usage lines, {} duplicates merged)",
        report.messages_new, s.entries, s.duplicates
    );
    println!("  inserted  {} rows", report.rows_inserted);
    println!("  skipped   {}", s.skipped_summary());
    for example in &s.skipped_examples {
        println!("            {example}");
    }
    if !s.unknown_models.is_empty() {
        let models: Vec<String> = s
            .unknown_models
            .iter()
            .map(|(m, n)| format!("{m} ({n})"))
            .collect();
        println!(
            "  unpriced  {} (cost 0; upgrade ccsync for new prices)",
            models.join(", ")
        );
    }
}

/// Codex CLI's part of a run's summary.
fn print_codex(c: &crate::sync::CodexRun) {
    println!(
        "  codex     {} rollouts scanned, {} changed, {} failed ({})",
        c.files_scanned,
        c.files_changed,
        c.files_failed,
        c.homes.join(", ")
    );
    println!(
        "            {} read in {} lines; {} requests new; {} rows inserted",
        crate::table::bytes(c.bytes_read),
        c.lines_read,
        c.requests_new,
        c.rows_inserted
    );
    if !c.lines_skipped.is_empty() {
        let skipped: Vec<String> = (c.lines_skipped.iter())
            .map(|(why, n)| format!("{n} {why}"))
            .collect();
        println!("            skipped {}", skipped.join(", "));
    }
    if !c.unpriced_models.is_empty() {
        let models: Vec<String> = (c.unpriced_models.iter())
            .map(|(m, n)| format!("{m} ({n})"))
            .collect();
        println!("            unpriced {} (cost 0)", models.join(", "));
    }
    for w in &c.warnings {
        println!("  warning   {w}");
    }
}
