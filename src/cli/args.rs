//! The command line: the commands, their own options and the setting groups each one takes
//! (`settings.rs`).

use std::path::PathBuf;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use super::settings::{
    ConnectionArgs, GlobalArgs, MachineArgs, PricingArgs, Settings, TranscriptArgs,
};

#[derive(Debug, Parser)]
#[command(
    name = "ccsync",
    version,
    about = "Sync coding-agent usage (Claude Code, Codex CLI) from every workstation into one ClickHouse",
    long_about = "Reads Claude Code transcripts (~/.claude/projects, ~/.config/claude/projects or \
                  CLAUDE_CONFIG_DIR), de-duplicates and prices every API response like ccusage, \
                  and inserts the usage (never message content) into ClickHouse, idempotently.\n\n\
                  Without a command, ccsync is `ccsync sync` and takes its options.\n\
                  Each command takes as flags the settings it uses (`ccsync COMMAND --help`); \
                  their variables apply to every command.\n\
                  Configuration: flags > environment > .env > ~/.config/ccsync/ccsync.env > defaults.\n\
                  The password is read only from CLICKHOUSE_PASSWORD or CLICKHOUSE_PASSWORD_FILE."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    // Bare `ccsync`: the options of `ccsync sync`. With a command they hold only the
    // environment (a flag before a command is refused, see `Cli::parse_checked`).
    #[command(flatten)]
    pub sync: SyncArgs,

    #[command(flatten)]
    pub global: GlobalArgs,
}

impl Cli {
    /// Parses the command line, exiting as clap does (2) on a usage error. An option of bare
    /// `ccsync` given before a command (`ccsync --batch-rows 5 query …`) is such an error: the
    /// command would not use it.
    pub fn parse_checked() -> Self {
        let mut cmd = Cli::command();
        let matches = cmd.get_matches_mut();
        let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.format(&mut cmd).exit());
        if let Some((name, _)) = matches.subcommand() {
            let before = cmd.get_arguments().find(|a| {
                !a.is_global_set()
                    && matches.value_source(a.get_id().as_str()) == Some(ValueSource::CommandLine)
            });
            if let Some(arg) = before {
                let message = format!(
                    "the argument '{arg}' cannot be used before the command '{name}': a command's \
                     options follow it (`ccsync {name} --help` lists them)"
                );
                cmd.error(ErrorKind::ArgumentConflict, message).exit();
            }
        }
        cli
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sync new usage to ClickHouse: one pass with --once, else every --interval until stopped.
    Sync(SyncArgs),
    /// Manage the database objects.
    #[command(subcommand)]
    Schema(SchemaCommand),
    /// Per-day totals of local transcripts, as `ccusage claude daily` (in -z TZ, default the system zone); no server.
    Scan(ScanArgs),
    /// ccusage's reports (daily, weekly, monthly, session, blocks) for every machine from the
    /// database, or for this one with --local; --json prints ccusage's JSON.
    Report(super::report::ReportCommand),
    /// Per machine: last successful sync, last event, rows, lag; flags machines that stopped syncing.
    Status(StatusArgs),
    /// Check configuration, transcripts, state dir, server, credentials, schema, clock and timer.
    Doctor(DoctorArgs),
    /// Install the hourly systemd user timer (and a 0600 env file with the current settings).
    Install(InstallArgs),
    /// Remove the systemd user units, the local ClickHouse's too (checkpoints and data are kept).
    Uninstall(UninstallArgs),
    /// Write synthetic Claude Code transcripts (for demos, tests and benchmarks).
    Generate(GenerateArgs),
    /// Run a query of the pack (queries/) against ClickHouse; --list shows them.
    Query(QueryCommand),
    /// The model prices in use; with MODEL, which entry prices it and why.
    Prices(super::prices::PricesArgs),
}

impl Command {
    /// The settings this command runs with: the groups it takes as flags (each also read from
    /// its variables), the others from `env`, the top level's groups, which clap fills from
    /// the environment alone when a command is given. So a setting is read from the
    /// environment and env files by every command, and given as a flag only where it is used.
    pub fn settings(&self, env: Settings) -> Settings {
        let mut s = env;
        match self {
            Command::Sync(a) => s = a.settings.clone(),
            Command::Install(a) => s = a.settings.clone(),
            Command::Scan(a) => {
                s.transcripts = a.transcripts.clone();
                s.pricing = a.pricing.clone();
            }
            Command::Report(r) => {
                let a = r.kind.common();
                s.transcripts = a.transcripts.clone();
                s.pricing = a.pricing.clone();
                s.connection = a.connection.clone();
            }
            Command::Doctor(a) => {
                s.connection = a.connection.clone();
                s.transcripts = a.transcripts.clone();
                s.machine = a.machine.clone();
            }
            Command::Status(StatusArgs { connection, .. })
            | Command::Query(QueryCommand { connection, .. })
            | Command::Schema(SchemaCommand::Apply(SchemaApplyArgs { connection })) => {
                s.connection = connection.clone();
            }
            Command::Prices(a) => s.pricing.file = a.file.clone(),
            Command::Uninstall(_) | Command::Generate(_) => {}
        }
        if !self.prices() {
            // A broken pricing file must not stop what never prices (`uninstall` above all).
            s.pricing.file.pricing_file = None;
        }
        s
    }

    /// Whether the command charges responses, so needs a valid pricing file (`install` writes
    /// it into the timer's settings and `doctor` checks it, so both read it too).
    fn prices(&self) -> bool {
        !matches!(
            self,
            Command::Status(_)
                | Command::Query(_)
                | Command::Schema(_)
                | Command::Uninstall(_)
                | Command::Generate(_)
        )
    }
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The expected sync interval: machines silent for more than twice this are flagged.
    #[arg(long, default_value = "1h", value_parser = parse_interval)]
    pub interval: Duration,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print the checks as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub transcripts: TranscriptArgs,
    #[command(flatten)]
    pub machine: MachineArgs,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Print the units (on macOS, the launchd plist too) instead of writing anything.
    #[arg(long)]
    pub print: bool,
    /// Also run `systemctl --user daemon-reload` and `enable --now ccsync.timer`.
    #[arg(long)]
    pub enable: bool,
    // The env file records every setting in effect: all of them are options.
    #[command(flatten)]
    pub settings: Settings,
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
    /// Sessions (transcript files) to write.
    #[arg(long, default_value_t = 20)]
    pub sessions: usize,
    /// API responses per session.
    #[arg(long, default_value_t = 40)]
    pub responses: usize,
    /// Average tool-result size in bytes (most of a real transcript's bytes).
    #[arg(long, default_value_t = 4000)]
    pub tool_result_bytes: usize,
    /// Insert a malformed line every N lines (0: none).
    #[arg(long, default_value_t = 0)]
    pub malformed_every: usize,
    /// Seed of the generator: the same seed writes the same transcripts.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// First day of activity (YYYY-MM-DD, UTC): the tree is then the same on every run. Default:
    /// the last --days days up to now, with no event after the moment it runs.
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

    /// With --once: if another sync holds the state dir, wait for it instead of exiting.
    #[arg(long)]
    pub wait: bool,

    /// Time between passes when running continuously.
    #[arg(long, default_value = "1h", value_parser = parse_interval)]
    pub interval: Option<Duration>,

    /// Print the run summary as JSON.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// Create or upgrade the database and tables (idempotent).
    Apply(SchemaApplyArgs),
}

#[derive(Debug, Args)]
pub struct SchemaApplyArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `query`: the pack's options (`src/store/query/`) and the connection.
#[derive(Debug, Args)]
pub struct QueryCommand {
    #[command(flatten)]
    pub query: super::query::QueryArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
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

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub transcripts: TranscriptArgs,
    #[command(flatten)]
    pub pricing: PricingArgs,
    /// JSON in the shape of `ccusage NAME daily --json`.
    #[arg(long)]
    pub json: bool,

    /// Whose logs to report, in ccusage's words: claude (Claude Code, the default) or codex
    /// (Codex CLI: $CODEX_HOME, comma-separated, else ~/.codex).
    #[arg(long, value_enum, default_value_t = crate::usage::Agent::Claude, value_name = "NAME")]
    pub agent: crate::usage::Agent,

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
