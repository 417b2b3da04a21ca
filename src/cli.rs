//! Command line: clap definitions, configuration layering and human/JSON output.
//! `main.rs` only calls [`main`]. The arguments are in `cli/args.rs`, the settings and their
//! resolution in `cli/settings.rs`.

mod args;
mod settings;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

pub use args::*;
pub use settings::*;

use crate::config::{Config, Host};
use crate::sync::RunReport;

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub transcripts: TranscriptArgs,
    #[command(flatten)]
    pub pricing: PricingArgs,
    /// JSON in the shape of `ccusage claude daily --json`.
    #[arg(long)]
    pub json: bool,

    /// Count days in this time zone (an IANA name, or `local`); default: the system's (TZ,
    /// else /etc/localtime), as ccusage.
    #[arg(short = 'z', long, value_name = "TZ", value_parser = crate::report::Zone::parse)]
    pub(crate) timezone: Option<crate::report::Zone>,

    /// First day to report, in that zone (YYYYMMDD or YYYY-MM-DD).
    #[arg(short, long, value_name = "DATE", value_parser = crate::report::parse_date)]
    pub(crate) since: Option<jiff::civil::Date>,

    /// Last day to report, inclusive (YYYYMMDD or YYYY-MM-DD).
    #[arg(short, long, value_name = "DATE", value_parser = crate::report::parse_date)]
    pub(crate) until: Option<jiff::civil::Date>,
}

pub fn main() -> ExitCode {
    quiet_on_closed_stdout();
    if let Err(e) = load_env_files() {
        eprintln!("ccsync: {e}");
        return ExitCode::from(2);
    }
    let Cli {
        command,
        sync,
        global,
    } = Cli::parse_checked();
    global.init_logging();
    let env = sync.settings.clone();
    let command = command.unwrap_or(Command::Sync(sync));
    let cfg = match command.settings(env).resolve() {
        Ok(cfg) => cfg,
        Err(e) if matches!(command, Command::Doctor(_)) => {
            println!("✗ configuration valid: {e}\n    fix: see .env.example for every setting");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("ccsync: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(file) = &cfg.pricing_file {
        // Nothing has been priced yet: the table is built with the file on first use.
        crate::price::use_pricing_file(file);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ccsync: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let syncs = matches!(command, Command::Sync(_));
    let result = runtime.block_on(run(command, cfg, global.quiet));
    // Nothing is left to wait for (the lock is released, the output written).
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(e) if reader_went_away(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ccsync: error: {e:#}");
            if syncs && failed_in_transit(&e) {
                // Only a sync has checkpoints to worry about.
                eprintln!("  nothing unacknowledged was checkpointed: the next run catches up");
            }
            ExitCode::FAILURE
        }
    }
}

/// Whether a ClickHouse request failed on the way (timeout, overload, network), as opposed to
/// a refusal: then a sync's user wants to know that nothing was lost.
fn failed_in_transit(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<crate::error::Error>()
            .is_some_and(|e| e.is_retryable() || e.is_unreachable())
    })
}

/// A reader that goes away (`ccsync … | head`) ends the command quietly with 0, as `head`
/// expects. Rust's print macros panic on a closed stdout: for that one panic the hook exits
/// instead (what was synced is checkpointed before anything is printed); any other panic is
/// reported as usual.
fn quiet_on_closed_stdout() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        report(info);
    }));
}

/// Whether a command failed only because its output's reader closed the pipe.
fn reader_went_away(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

async fn run(command: Command, cfg: Config, quiet: bool) -> anyhow::Result<ExitCode> {
    match command {
        Command::Sync(args) if args.once => {
            let _lock = match acquire_lock(&cfg, args.wait).await? {
                Some(lock) => lock,
                None => return Ok(ExitCode::SUCCESS),
            };
            let opts = crate::sync::SyncOptions {
                progress: std::io::IsTerminal::is_terminal(&std::io::stderr()) && !quiet,
            };
            let report = crate::sync::sync_once_with(&cfg, &opts).await?;
            let summary = Summary::of(args.json, quiet, false);
            print_report(&report, summary);
            Ok(if report.status == "partial" {
                ExitCode::from(EXIT_PARTIAL)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Sync(args) => {
            let interval = args.interval.unwrap_or(Duration::from_secs(3600));
            daemon(&cfg, interval, Summary::of(args.json, quiet, true)).await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema(SchemaCommand::Apply(_)) => {
            let sink = crate::sink::Sink::new(&cfg.clickhouse)?;
            let version = sink.ping().await?;
            let report = crate::schema::apply(&sink).await?;
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
        Command::Install(args) => install(&cfg, &args),
        Command::Status(args) => {
            let report = crate::ops::status(&cfg, args.interval).await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_status(&report);
            }
            let stale = report.machines.iter().any(|m| m.stale);
            Ok(if stale {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Doctor(args) => {
            let checks = crate::ops::doctor(&cfg).await;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&checks)?);
            } else {
                for c in &checks {
                    println!("{} {}: {}", if c.ok { "✓" } else { "✗" }, c.name, c.detail);
                    if let Some(fix) = &c.fix {
                        println!("    fix: {fix}");
                    }
                }
            }
            let failed = checks.iter().filter(|c| !c.ok).count();
            if !args.json {
                println!(
                    "{}",
                    if failed == 0 {
                        "all checks passed".to_string()
                    } else {
                        format!("{failed} check(s) failed")
                    }
                );
            }
            Ok(if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Uninstall(args) => {
            let host = Host::current();
            let home = host.home.context("HOME is not set")?;
            let paths = crate::install::Paths::for_home(&home, host.xdg_config_home.as_deref());
            let out = crate::install::uninstall(&paths, !args.no_systemctl, args.purge)?;
            for cmd in &out.ran {
                println!("ran      {cmd}");
            }
            if let Some(why) = &out.systemd_unavailable {
                println!(
                    "skipped  systemctl: no systemd user manager here ({why}); nothing to stop"
                );
            }
            for f in &out.removed {
                println!("removed  {}", f.display());
            }
            if out.removed.contains(&paths.local_clickhouse()) {
                println!("kept     the local ClickHouse's data (under ~/.local/share/ccsync)");
            }
            if out.removed.is_empty() {
                println!("nothing to remove: ccsync units are not installed");
            }
            if !args.purge && paths.env_file.exists() {
                println!("kept     {} (--purge deletes it)", paths.env_file.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate(args) => {
            let opts = crate::generate::GenOptions {
                sessions: args.sessions,
                responses_per_session: args.responses,
                tool_result_bytes: args.tool_result_bytes,
                malformed_every: args.malformed_every,
                seed: args.seed,
                start_day: match &args.start {
                    Some(date) => crate::parse::parse_timestamp_ms(&format!("{date}T00:00:00Z"))
                        .ok_or_else(|| anyhow::anyhow!("--start must be YYYY-MM-DD, got {date:?}"))?
                        .div_euclid(86_400_000),
                    None => {
                        let now = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)?
                            .as_secs() as i64;
                        now.div_euclid(86_400) - (args.days.max(1) - 1)
                    }
                },
                days: args.days.max(1),
                target_bytes: args.target_bytes,
                huge_line_mb: args.huge_line_mb,
                // Without an explicit start, the demo's days end now, not hours ahead of it.
                not_after_ms: args
                    .start
                    .is_none()
                    .then(|| jiff::Timestamp::now().as_millisecond()),
            };
            let (files, bytes) = crate::generate::generate(&args.out, &opts)?;
            println!(
                "wrote {files} transcript files ({}) under {}",
                fmt_bytes(bytes),
                args.out.join("projects").display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Query(args) => crate::query::run(&cfg, args.query).await,
        Command::Prices(args) => crate::cli_prices::run(&args),
        Command::Scan(args) => {
            // Usage mistakes exit 2 (like clap's), before anything is read.
            let range = match crate::report::DateRange::new(args.since, args.until) {
                Ok(range) => range,
                Err(e) => {
                    eprintln!("ccsync: {e}");
                    return Ok(ExitCode::from(2));
                }
            };
            // As ccusage (and sync): no configured folder holding projects/ is a mistake.
            if !cfg
                .claude_dirs
                .iter()
                .any(|d| crate::discover::projects_dir(d).is_some())
            {
                return Err(crate::sync::no_transcript_folders(&cfg).into());
            }
            let zone = args.timezone.unwrap_or_else(crate::report::Zone::system);
            let daily = crate::report::Daily::new(zone, range);
            let (dirs, mode) = (cfg.claude_dirs.clone(), cfg.cost_mode);
            let scanned =
                tokio::task::spawn_blocking(move || crate::scan::scan(&dirs, mode, daily)).await?;
            if args.json {
                println!("{}", crate::report::daily_json(&scanned.report));
            } else {
                print_scan(&scanned);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn install(cfg: &Config, args: &InstallArgs) -> anyhow::Result<ExitCode> {
    use crate::install;
    let host = Host::current();
    let home = host.home.clone().context("HOME is not set")?;
    let bin = std::env::current_exe().context("cannot find the ccsync binary's path")?;
    if args.print {
        println!(
            "# ~/.config/systemd/user/ccsync.service\n{}",
            install::service_unit(&bin, &home)
        );
        println!("# ~/.config/systemd/user/ccsync.timer\n{}", install::TIMER);
        // The launchd agent only where it applies.
        if cfg!(target_os = "macos") {
            println!(
                "# ~/Library/LaunchAgents/com.github.ccsync.plist\n{}",
                install::LAUNCHD_PLIST
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let paths = install::Paths::for_home(&home, host.xdg_config_home.as_deref());
    let out = install::install(&paths, cfg, &bin, &home, args.enable)?;
    for f in &out.written {
        println!("wrote    {}", f.display());
    }
    for f in &out.kept {
        println!(
            "kept     {} (already there; edit it to change settings)",
            f.display()
        );
    }
    for cmd in &out.ran {
        println!("ran      {cmd}");
    }
    if !args.enable {
        println!("\nTo start the hourly sync:");
        for cmd in install::ENABLE_COMMANDS {
            println!("  {}", cmd.join(" "));
        }
    }
    println!(
        "\nOn a machine nobody stays logged into, let user timers run anyway:\n  loginctl enable-linger {}",
        std::env::var("USER").unwrap_or_else(|_| "$USER".into())
    );
    println!("Check it with: ccsync doctor   ·   systemctl --user list-timers ccsync.timer");
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
async fn daemon(cfg: &Config, interval: Duration, summary: Summary) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    if summary != Summary::None {
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
    eprintln!("ccsync: stopped");
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
}

fn fmt_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

fn skipped_line(stats: &crate::collect::Stats) -> String {
    if stats.lines_skipped == 0 {
        return "0 lines".into();
    }
    let reasons: Vec<String> = stats
        .skipped_by_reason
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    format!("{} lines ({})", stats.lines_skipped, reasons.join(", "))
}

/// `sync --once` read some files or folders but not all (the rest is synced): see the README's
/// exit codes.
const EXIT_PARTIAL: u8 = 4;

/// How a run's summary is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Summary {
    /// The report as JSON (asked for: also with `-q`).
    Json,
    Full,
    /// A daemon's tick: one line when nothing was new.
    Tick,
    /// `-q`: errors only.
    None,
}

impl Summary {
    fn of(json: bool, quiet: bool, daemon: bool) -> Self {
        match (json, quiet, daemon) {
            (true, _, _) => Summary::Json,
            (false, true, _) => Summary::None,
            (false, false, true) => Summary::Tick,
            (false, false, false) => Summary::Full,
        }
    }
}

fn print_report(report: &RunReport, summary: Summary) {
    match summary {
        Summary::None => return,
        Summary::Json => {
            match serde_json::to_string_pretty(report) {
                Ok(s) => println!("{s}"),
                Err(e) => eprintln!("ccsync: cannot encode the report: {e}"),
            }
            return;
        }
        Summary::Tick if nothing_new(report) => {
            println!(
                "ccsync: nothing new for machine {:?} ({} files checked)",
                report.machine_name, report.stats.files_scanned
            );
            return;
        }
        Summary::Tick | Summary::Full => {}
    }
    let s = &report.stats;
    println!(
        "ccsync: sync {} for machine {:?} into database {}",
        report.status, report.machine_name, report.database
    );
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
        fmt_bytes(s.bytes_read),
        s.lines_read
    );
    println!(
        "  messages  {} new ({} usage lines, {} duplicates merged)",
        report.messages_new, s.entries, s.duplicates
    );
    println!("  inserted  {} rows", report.rows_inserted);
    println!("  skipped   {}", skipped_line(s));
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
    for w in &report.warnings {
        println!("  warning   {w}");
    }
    if !report.schema_applied.is_empty() {
        println!("  schema    applied migrations {:?}", report.schema_applied);
    }
    println!("  duration  {:.2} s", report.duration_ms as f64 / 1000.0);
}

fn print_status(report: &crate::ops::StatusReport) {
    use crate::table::Kind;
    use serde_json::Value;
    if report.machines.is_empty() {
        println!("no machine has synced into this database yet (run `ccsync --once`)");
        return;
    }
    let now = report.now_ms;
    let when = |ms: i64| {
        if ms > 0 {
            crate::ops::ago((now - ms) / 1000)
        } else {
            "never".into()
        }
    };
    let columns = [
        ("Machine", Kind::Text),
        ("Last successful sync", Kind::Text),
        ("Last run", Kind::Text),
        ("Last event", Kind::Text),
        ("Rows", Kind::Integer),
        ("Cost 30d", Kind::Money),
        ("State", Kind::Text),
    ]
    .map(|(name, kind)| (name.to_string(), kind));
    let mut rows = Vec::new();
    for m in &report.machines {
        let s = &m.status;
        let flag = if m.stale {
            "⚠ stale"
        } else if s.last_status == "failed" {
            "⚠ last run failed"
        } else if s.last_status == "partial" {
            "⚠ last run partial"
        } else if s.rollup_pending > 0 {
            "⚠ reports behind"
        } else {
            "ok"
        };
        rows.push(vec![
            Value::from(s.machine_name.as_str()),
            Value::from(when(s.last_success_ms)),
            Value::from(format!("{} ({})", when(s.last_run_ms), s.last_status)),
            Value::from(when(s.last_event_ms)),
            Value::from(s.rows),
            Value::from(s.cost_usd_30d),
            Value::from(flag),
        ]);
    }
    print!(
        "{}",
        crate::table::render(&columns, &rows, crate::table::output_width())
    );
    for m in report.machines.iter().filter(|m| m.stale) {
        println!(
            "warning: {} has not synced successfully for more than 2 × {} (check `ccsync doctor` there)",
            m.status.machine_name,
            humantime::format_duration(Duration::from_secs(report.interval_secs))
        );
    }
    for m in &report.machines {
        let s = &m.status;
        match s.last_status.as_str() {
            "failed" => println!("last error on {}: {}", s.machine_name, s.last_error),
            "partial" => println!(
                "last run on {} was partial: some transcripts or folders could not be read (its warnings name them; run `ccsync --once` or `ccsync doctor` there)",
                s.machine_name
            ),
            _ => {}
        }
    }
    for m in report
        .machines
        .iter()
        .filter(|m| m.status.rollup_pending > 0)
    {
        println!(
            "note: on {}, {} 15-minute period(s) of usage_rollup (what reports and dashboards read) are not yet refreshed; its next successful run does it (usage_events is complete)",
            m.status.machine_name, m.status.rollup_pending
        );
    }
}

fn print_scan(report: &crate::scan::ScanReport) {
    use crate::table::Kind;
    use serde_json::Value;
    if report.report.daily.is_empty() {
        // ccusage's words for a folder without usage (or none in the range).
        println!("No usage data found.");
        return;
    }
    // The days are those of the zone: the header names it.
    let date = format!("Date ({})", report.report.zone);
    let columns = [
        (date.as_str(), Kind::Text),
        ("Models", Kind::Text),
        ("Input", Kind::Integer),
        ("Output", Kind::Integer),
        ("Cache create", Kind::Integer),
        ("Cache read", Kind::Integer),
        ("Total tokens", Kind::Integer),
        ("Cost", Kind::Money),
    ]
    .map(|(name, kind)| (name.to_string(), kind));
    let row = |label: &str, models: String, t: &crate::report::Totals| {
        vec![
            Value::from(label),
            Value::from(models),
            Value::from(t.input_tokens),
            Value::from(t.output_tokens),
            Value::from(t.cache_creation_tokens),
            Value::from(t.cache_read_tokens),
            Value::from(t.total_tokens),
            Value::from(t.total_cost),
        ]
    };
    let mut rows: Vec<Vec<Value>> = report
        .report
        .daily
        .iter()
        .map(|day| row(&day.date, day.models_used.join("\n"), &day.totals))
        .collect();
    rows.push(row("Total", String::new(), &report.report.totals));
    print!(
        "{}",
        crate::table::render(&columns, &rows, crate::table::output_width())
    );
    let s = &report.stats;
    println!(
        "{} files, {} in {} lines, {} messages, skipped {}",
        crate::table::grouped(report.files as i128),
        fmt_bytes(s.bytes_read),
        crate::table::grouped(i128::from(s.lines_read)),
        crate::table::grouped(report.messages as i128),
        skipped_line(s)
    );
}
