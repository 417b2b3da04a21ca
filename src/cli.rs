//! Command line: clap definitions, configuration layering and human/JSON output.
//! `main.rs` only calls [`main`].

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{Config, Host, RawConfig, Secret};
use crate::price::CostMode;
use crate::sync::RunReport;

#[derive(Debug, Parser)]
#[command(
    name = "ccsync",
    version,
    about = "Sync Claude Code usage from every workstation into one ClickHouse",
    long_about = "Reads Claude Code transcripts (~/.claude/projects, ~/.config/claude/projects or \
                  CLAUDE_CONFIG_DIR), de-duplicates and prices every API response like ccusage, \
                  and inserts the usage (never message content) into ClickHouse, idempotently.\n\n\
                  Configuration: flags > environment > .env > ~/.config/ccsync/ccsync.env > defaults.\n\
                  The password is read only from CLICKHOUSE_PASSWORD or CLICKHOUSE_PASSWORD_FILE."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Same as `ccsync sync --once`: one incremental pass, then exit.
    #[arg(long)]
    pub once: bool,

    /// With --once: wait for a concurrent sync to finish instead of exiting.
    #[arg(long)]
    pub wait: bool,

    /// Print the run summary as JSON (as `ccsync sync --json`).
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Load environment variables from this file (instead of ./.env).
    #[arg(long, global = true, value_name = "PATH")]
    pub env_file: Option<PathBuf>,

    /// ClickHouse HTTP(S) endpoint.
    #[arg(long, global = true, env = "CLICKHOUSE_URL", value_name = "URL")]
    pub clickhouse_url: Option<String>,

    #[arg(long, global = true, env = "CLICKHOUSE_USER", value_name = "USER")]
    pub clickhouse_user: Option<String>,

    /// PEM file with CA certificates to trust for https:// (besides the public roots).
    #[arg(long, global = true, env = "CLICKHOUSE_CA_FILE", value_name = "PATH")]
    pub clickhouse_ca_file: Option<PathBuf>,

    /// LZ4 on the wire: auto (LZ4 unless the server is on this machine), lz4, none.
    #[arg(
        long,
        global = true,
        env = "CLICKHOUSE_COMPRESSION",
        value_name = "MODE"
    )]
    pub clickhouse_compression: Option<crate::config::Compression>,

    #[arg(long, global = true, env = "CLICKHOUSE_DATABASE", value_name = "NAME")]
    pub clickhouse_database: Option<String>,

    /// Name stored with every row (default: the hostname).
    #[arg(long, global = true, env = "MACHINE_NAME", value_name = "NAME")]
    pub machine_name: Option<String>,

    /// Comma-separated Claude config dirs holding projects/ (default: ~/.config/claude,~/.claude).
    #[arg(long, global = true, env = "CLAUDE_CONFIG_DIR", value_name = "DIRS")]
    pub claude_config_dir: Option<String>,

    /// Where checkpoints are kept (default: $XDG_STATE_HOME/ccsync or ~/.local/state/ccsync).
    #[arg(long, global = true, env = "CCSYNC_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    /// auto: costUSD from the transcript when present, else calculated; calculate; display.
    #[arg(long, global = true, env = "CCSYNC_COST_MODE", value_name = "MODE")]
    pub cost_mode: Option<CostMode>,

    /// Rows per INSERT.
    #[arg(long, global = true, env = "CCSYNC_BATCH_ROWS", value_name = "N")]
    pub batch_rows: Option<usize>,

    /// Seconds before a ClickHouse request is abandoned (and retried).
    #[arg(long, global = true, env = "CCSYNC_TIMEOUT", value_name = "SECS")]
    pub timeout: Option<u64>,

    /// Store no git branch names.
    #[arg(long, global = true, env = "CCSYNC_DROP_GIT_BRANCH", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub drop_git_branch: Option<bool>,

    /// Retries of a transient ClickHouse failure before giving up.
    #[arg(long, global = true, env = "CCSYNC_RETRIES", value_name = "N")]
    pub retries: Option<usize>,

    /// More log output (-v debug, -vv trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sync new usage to ClickHouse: one pass with --once, else every --interval until stopped.
    Sync(SyncArgs),
    /// Manage the database objects.
    #[command(subcommand)]
    Schema(SchemaCommand),
    /// Parse local transcripts and print per-day totals in a time zone (like `ccusage daily`); no server.
    Scan(ScanArgs),
    /// Per machine: last successful sync, last event, rows, lag; flags machines that stopped syncing.
    Status(StatusArgs),
    /// Check configuration, transcripts, state dir, server, credentials, schema, clock and timer.
    Doctor(DoctorArgs),
    /// Install the hourly systemd user timer (and a 0600 env file with the current settings).
    Install(InstallArgs),
    /// Remove the systemd user units (checkpoints and ClickHouse data are kept).
    Uninstall(UninstallArgs),
    /// Write synthetic Claude Code transcripts (for demos, tests and benchmarks).
    Generate(GenerateArgs),
    /// Run a query of the pack (queries/) against ClickHouse; --list shows them.
    Query(crate::query::QueryArgs),
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The expected sync interval: machines silent for more than twice this are flagged.
    #[arg(long, default_value = "1h", value_parser = parse_interval)]
    pub interval: Duration,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Print the units (and the macOS launchd plist) instead of writing anything.
    #[arg(long)]
    pub print: bool,
    /// Also run `systemctl --user daemon-reload` and `enable --now ccsync.timer`.
    #[arg(long)]
    pub enable: bool,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Also delete ~/.config/ccsync/ccsync.env.
    #[arg(long)]
    pub purge: bool,
    /// Do not call systemctl (just remove the files).
    #[arg(long)]
    pub no_systemctl: bool,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Directory to create; transcripts go to DIR/projects/. Use it as CLAUDE_CONFIG_DIR.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 20)]
    pub sessions: usize,
    #[arg(long, default_value_t = 40)]
    pub responses: usize,
    /// Average tool-result size in bytes (most of a real transcript's bytes).
    #[arg(long, default_value_t = 4000)]
    pub tool_result_bytes: usize,
    /// Insert a malformed line every N lines (0: none).
    #[arg(long, default_value_t = 0)]
    pub malformed_every: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// First day of activity (YYYY-MM-DD, UTC); default: 13 days ago.
    #[arg(long, value_name = "DATE")]
    pub start: Option<String>,
    /// Days of activity.
    #[arg(long, default_value_t = 14)]
    pub days: i64,
    /// Keep adding sessions until the tree has this size (e.g. 2G; K/M/G are powers of 1024);
    /// --sessions is then ignored.
    #[arg(long, value_name = "SIZE", value_parser = crate::generate::parse_size)]
    pub target_bytes: Option<u64>,
    /// Also write one response line of this many MiB (a huge Write tool call).
    #[arg(long, value_name = "MIB", default_value_t = 0)]
    pub huge_line_mb: usize,
}

#[derive(Debug, Args, Default)]
pub struct SyncArgs {
    /// One pass, then exit (what the hourly timer runs).
    #[arg(long)]
    pub once: bool,

    /// If another sync holds the state dir, wait for it instead of exiting.
    #[arg(long)]
    pub wait: bool,

    /// Time between passes when running continuously.
    #[arg(long, default_value = "1h", value_parser = parse_interval)]
    pub interval: Option<Duration>,

    /// Print the run summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// Create or upgrade the database and tables (idempotent).
    Apply,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
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

/// Loads `.env`-style files before clap reads the environment: `--env-file` (or ./.env), then
/// ~/.config/ccsync/ccsync.env. Neither overrides variables already set.
fn load_env_files() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let explicit = args.iter().enumerate().find_map(|(i, a)| {
        a.strip_prefix("--env-file=").map(String::from).or_else(|| {
            (a == "--env-file")
                .then(|| args.get(i + 1).cloned())
                .flatten()
        })
    });
    match explicit {
        Some(path) => {
            dotenvy::from_path(&path).map_err(|e| format!("cannot load --env-file {path}: {e}"))?
        }
        None => match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(format!("cannot load .env: {e}")),
        },
    }
    if let Some(home) = std::env::var_os("HOME") {
        let file = PathBuf::from(home).join(".config/ccsync/ccsync.env");
        if file.is_file() {
            dotenvy::from_path(&file)
                .map_err(|e| format!("cannot load {}: {e}", file.display()))?;
        }
    }
    Ok(())
}

impl GlobalArgs {
    pub fn resolve(&self) -> crate::error::Result<Config> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        RawConfig {
            clickhouse_url: self.clickhouse_url.clone(),
            clickhouse_user: self.clickhouse_user.clone(),
            clickhouse_password: env("CLICKHOUSE_PASSWORD").map(Secret::new),
            clickhouse_password_file: env("CLICKHOUSE_PASSWORD_FILE").map(PathBuf::from),
            clickhouse_database: self.clickhouse_database.clone(),
            machine_name: self.machine_name.clone(),
            claude_config_dir: self.claude_config_dir.clone(),
            state_dir: self.state_dir.clone(),
            cost_mode: self.cost_mode,
            batch_rows: self.batch_rows,
            timeout_secs: self.timeout,
            retries: self.retries,
            path_hash_key: env("CCSYNC_PATH_HASH_KEY").map(Secret::new),
            drop_git_branch: self.drop_git_branch,
            ca_file: self.clickhouse_ca_file.clone(),
            compression: self.clickhouse_compression,
        }
        .resolve(&Host::current())
    }

    fn init_logging(&self) {
        use tracing_subscriber::EnvFilter;
        let level = match (self.quiet, self.verbose) {
            (true, _) => "error",
            (false, 0) => "warn",
            (false, 1) => "debug",
            (false, _) => "trace",
        };
        let filter = EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new(format!("ccsync={level},warn")));
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(colour_on_stderr())
            .with_target(false);
        match self.log_format {
            LogFormat::Json => builder.json().init(),
            LogFormat::Text => builder.without_time().init(),
        }
    }
}

/// Colours only on a terminal (a journal or a log file gets plain text), and never with
/// `NO_COLOR` set (no-color.org).
fn colour_on_stderr() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// An interval of at least one second (`0` would make the daemon spin and panics the timer).
fn parse_interval(s: &str) -> Result<Duration, String> {
    let interval = humantime::parse_duration(s).map_err(|e| e.to_string())?;
    if interval < Duration::from_secs(1) {
        return Err(format!(
            "{s:?} is too short: give at least 1s (e.g. 30m, 1h)"
        ));
    }
    Ok(interval)
}

pub fn main() -> ExitCode {
    quiet_on_closed_stdout();
    if let Err(e) = load_env_files() {
        eprintln!("ccsync: {e}");
        return ExitCode::from(2);
    }
    let cli = Cli::parse();
    cli.global.init_logging();
    let cfg = match cli.global.resolve() {
        Ok(cfg) => cfg,
        Err(e) if matches!(cli.command, Some(Command::Doctor(_))) => {
            println!("✗ configuration valid: {e}\n    fix: see .env.example for every setting");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("ccsync: {e}");
            return ExitCode::from(2);
        }
    };
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
    let command = cli.command.unwrap_or(Command::Sync(SyncArgs {
        once: cli.once,
        wait: cli.wait,
        interval: Some(Duration::from_secs(3600)),
        json: cli.json,
    }));
    let result = runtime.block_on(run(command, cfg, cli.global.quiet));
    // Nothing is left to wait for (the lock is released, the output written).
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(e) if reader_went_away(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ccsync: error: {e:#}");
            ExitCode::FAILURE
        }
    }
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
        Command::Schema(SchemaCommand::Apply) => {
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
                        now.div_euclid(86_400) - 13
                    }
                },
                days: args.days.max(1),
                target_bytes: args.target_bytes,
                huge_line_mb: args.huge_line_mb,
            };
            let (files, bytes) = crate::generate::generate(&args.out, &opts)?;
            println!(
                "wrote {files} transcript files ({}) under {}",
                fmt_bytes(bytes),
                args.out.join("projects").display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Query(args) => crate::query::run(&cfg, args).await,
        Command::Scan(args) => {
            // Usage mistakes exit 2 (like clap's), before anything is read.
            let range = match crate::report::DateRange::new(args.since, args.until) {
                Ok(range) => range,
                Err(e) => {
                    eprintln!("ccsync: {e}");
                    return Ok(ExitCode::from(2));
                }
            };
            let zone = args.timezone.unwrap_or_else(crate::report::Zone::system);
            let daily = crate::report::Daily::new(zone, range);
            let (dirs, mode) = (cfg.claude_dirs.clone(), cfg.cost_mode);
            let scanned =
                tokio::task::spawn_blocking(move || crate::scan::scan(&dirs, mode, daily)).await?;
            if args.json {
                println!("{}", crate::report::daily_json(&scanned.report));
            } else {
                print_scan(&scanned, &cfg);
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
    use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
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
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_header(vec![
        "Machine",
        "Last successful sync",
        "Last run",
        "Last event",
        "Rows",
        "Cost 30d (USD)",
        "",
    ]);
    for m in &report.machines {
        let s = &m.status;
        let flag = if m.stale {
            "⚠ stale".to_string()
        } else if s.last_status == "failed" {
            "⚠ last run failed".to_string()
        } else if s.last_status == "partial" {
            "⚠ last run partial".to_string()
        } else if s.rollup_pending > 0 {
            "⚠ reports behind".to_string()
        } else {
            "ok".to_string()
        };
        table.add_row(vec![
            s.machine_name.clone(),
            when(s.last_success_ms),
            format!("{} ({})", when(s.last_run_ms), s.last_status),
            when(s.last_event_ms),
            s.rows.to_string(),
            format!("{:.2}", s.cost_usd_30d),
            flag,
        ]);
    }
    println!("{table}");
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

fn print_scan(report: &crate::scan::ScanReport, cfg: &Config) {
    use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
    if report.files == 0 {
        println!(
            "no Claude Code transcripts found in {} (set CLAUDE_CONFIG_DIR)",
            cfg.claude_dirs
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return;
    }
    let mut table = Table::new();
    // The days are those of the zone: the header names it.
    let date = format!("Date ({})", report.report.zone);
    table.load_style(UTF8_FULL_CONDENSED).set_header(vec![
        date.as_str(),
        "Models",
        "Input",
        "Output",
        "Cache create",
        "Cache read",
        "Total tokens",
        "Cost (USD)",
    ]);
    let row = |label: String, models: String, t: &crate::report::Totals| {
        vec![
            label,
            models,
            t.input_tokens.to_string(),
            t.output_tokens.to_string(),
            t.cache_creation_tokens.to_string(),
            t.cache_read_tokens.to_string(),
            t.total_tokens.to_string(),
            format!("{:.2}", t.total_cost),
        ]
    };
    for day in &report.report.daily {
        table.add_row(row(
            day.date.clone(),
            day.models_used.join("\n"),
            &day.totals,
        ));
    }
    table.add_row(row("Total".into(), String::new(), &report.report.totals));
    println!("{table}");
    let s = &report.stats;
    println!(
        "{} files, {} in {} lines, {} messages, skipped {}",
        report.files,
        fmt_bytes(s.bytes_read),
        s.lines_read,
        report.messages,
        skipped_line(s)
    );
}
