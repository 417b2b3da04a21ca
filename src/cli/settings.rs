//! The settings as flags, grouped by what uses them, and their one resolution into a [`Config`].
//!
//! [`GlobalArgs`] (output and logging, the env file) apply to every command. The other groups
//! are flattened into exactly the commands whose code reads them: [`ConnectionArgs`] where
//! ClickHouse is queried, [`TranscriptArgs`] and [`PricingArgs`] where transcripts are read and
//! priced, [`MachineArgs`] where this machine's name and checkpoints matter, [`StoreArgs`] where
//! rows are stored. Every flag also reads its environment variable (`env = …`, shown by
//! `--help`), and the environment and env files apply to every command: see
//! [`super::Command::settings`].

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::config::{Compression, Config, Host, RawConfig, Secret};
use crate::price::CostMode;

// Help headings. Set on each option, not on its group (`next_help_heading`), so that they do
// not carry over to the options a command declares after a group.
const GLOBAL: &str = "Global options";
const CLICKHOUSE: &str = "ClickHouse";
const TRANSCRIPTS: &str = "Transcripts";
const SYNC: &str = "Sync";

/// Options of every command: output, logging and the env file.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Load environment variables from this file instead of ./.env (variables already set win;
    /// ~/.config/ccsync/ccsync.env is read after it).
    #[arg(long, help_heading = GLOBAL, global = true, value_name = "PATH")]
    pub env_file: Option<PathBuf>,

    /// More log output (-v debug, -vv trace). RUST_LOG overrides.
    #[arg(short, long, help_heading = GLOBAL, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only errors.
    #[arg(short, long, help_heading = GLOBAL, global = true)]
    pub quiet: bool,

    /// Log lines on stderr as plain text or as JSON objects.
    #[arg(
        long,
        help_heading = GLOBAL,
        global = true,
        value_enum,
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// How to reach ClickHouse: every command that sends it a request.
#[derive(Debug, Clone, Default, Args)]
pub struct ConnectionArgs {
    /// ClickHouse HTTP(S) endpoint, without credentials [default: http://localhost:8123].
    #[arg(
        long,
        help_heading = CLICKHOUSE,
        env = "CLICKHOUSE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub clickhouse_url: Option<String>,

    /// ClickHouse user [default: default]. Its password comes only from CLICKHOUSE_PASSWORD or
    /// CLICKHOUSE_PASSWORD_FILE, never from a flag.
    #[arg(
        long,
        help_heading = CLICKHOUSE,
        env = "CLICKHOUSE_USER",
        hide_env_values = true,
        value_name = "USER"
    )]
    pub clickhouse_user: Option<String>,

    /// PEM file with CA certificates to trust for https:// (besides the public roots).
    #[arg(
        long,
        help_heading = CLICKHOUSE,
        env = "CLICKHOUSE_CA_FILE",
        hide_env_values = true,
        value_name = "PATH"
    )]
    pub clickhouse_ca_file: Option<PathBuf>,

    /// LZ4 on the wire: auto (LZ4 unless the server is on this machine), lz4, none [default: auto].
    #[arg(
        long,
        help_heading = CLICKHOUSE,
        env = "CLICKHOUSE_COMPRESSION",
        hide_env_values = true,
        value_name = "MODE"
    )]
    pub clickhouse_compression: Option<Compression>,

    /// Database holding ccsync's tables (created by sync and schema apply) [default: ccsync].
    #[arg(
        long,
        help_heading = CLICKHOUSE,
        env = "CLICKHOUSE_DATABASE",
        hide_env_values = true,
        value_name = "NAME"
    )]
    pub clickhouse_database: Option<String>,

    /// Seconds before a ClickHouse request is abandoned (and retried) [default: 30].
    #[arg(
        long,
        help_heading = CLICKHOUSE,
        env = "CCSYNC_TIMEOUT",
        hide_env_values = true,
        value_name = "SECS"
    )]
    pub timeout: Option<u64>,

    /// Retries of a transient ClickHouse failure before giving up [default: 5].
    #[arg(
        long,
        help_heading = CLICKHOUSE,
        env = "CCSYNC_RETRIES",
        hide_env_values = true,
        value_name = "N"
    )]
    pub retries: Option<usize>,
}

/// Where the transcripts are: every command that reads them.
#[derive(Debug, Clone, Default, Args)]
pub struct TranscriptArgs {
    /// Comma-separated Claude config dirs holding projects/, as in Claude Code
    /// [default: ~/.config/claude,~/.claude].
    #[arg(
        long,
        help_heading = TRANSCRIPTS,
        env = "CLAUDE_CONFIG_DIR",
        hide_env_values = true,
        value_name = "DIRS"
    )]
    pub claude_config_dir: Option<String>,
    /// Comma-separated Codex CLI homes holding sessions/ and archived_sessions/, as in Codex
    /// and ccusage [default: ~/.codex].
    #[arg(
        long,
        help_heading = TRANSCRIPTS,
        env = "CODEX_HOME",
        hide_env_values = true,
        value_name = "DIRS"
    )]
    pub codex_home: Option<String>,
}

/// How responses are priced: every command that prices them.
#[derive(Debug, Clone, Default, Args)]
pub struct PricingArgs {
    /// Cost of a response: auto (the transcript's costUSD when present, else calculated),
    /// calculate (always from tokens), display (costUSD, else 0) [default: auto].
    #[arg(
        long,
        help_heading = TRANSCRIPTS,
        env = "CCSYNC_COST_MODE",
        hide_env_values = true,
        value_name = "MODE"
    )]
    pub cost_mode: Option<CostMode>,

    #[command(flatten)]
    pub file: PricingFileArgs,
}

/// Extra or corrected model prices: every command that prices, and `prices`.
#[derive(Debug, Clone, Default, Args)]
pub struct PricingFileArgs {
    /// JSON file of model prices in LiteLLM's model_prices_and_context_window.json shape (USD
    /// per token): its models are added to, or replace, the built-in ones [default: none].
    #[arg(
        long,
        help_heading = TRANSCRIPTS,
        env = "CCSYNC_PRICING_FILE",
        hide_env_values = true,
        value_name = "PATH"
    )]
    pub pricing_file: Option<PathBuf>,
}

/// This machine: the name its rows carry and where its checkpoints are.
#[derive(Debug, Clone, Default, Args)]
pub struct MachineArgs {
    /// Name stored with every row [default: the hostname].
    #[arg(
        long,
        help_heading = SYNC,
        env = "MACHINE_NAME",
        hide_env_values = true,
        value_name = "NAME"
    )]
    pub machine_name: Option<String>,

    /// Where checkpoints are kept [default: $XDG_STATE_HOME/ccsync or ~/.local/state/ccsync].
    #[arg(
        long,
        help_heading = SYNC,
        env = "CCSYNC_STATE_DIR",
        hide_env_values = true,
        value_name = "DIR"
    )]
    pub state_dir: Option<PathBuf>,

    /// The Claude account this machine's rows belong to [default: the one signed in, from
    /// Claude Code's .claude.json]; any label (an e-mail) when that file does not say.
    #[arg(
        long,
        help_heading = SYNC,
        env = "CCSYNC_ACCOUNT",
        hide_env_values = true,
        value_name = "ACCOUNT"
    )]
    pub machine_account: Option<String>,
}

/// What a sync stores, and in batches of what size.
#[derive(Debug, Clone, Default, Args)]
pub struct StoreArgs {
    /// Rows per INSERT; checkpoints advance after each acknowledged batch [default: 40000].
    #[arg(
        long,
        help_heading = SYNC,
        env = "CCSYNC_BATCH_ROWS",
        hide_env_values = true,
        value_name = "N"
    )]
    pub batch_rows: Option<usize>,

    /// Store no git branch names (the flag alone means true) [default: false].
    #[arg(
        long,
        help_heading = SYNC,
        env = "CCSYNC_DROP_GIT_BRANCH",
        hide_env_values = true,
        value_name = "BOOL",
        num_args = 0..=1,
        default_missing_value = "true"
    )]
    pub drop_git_branch: Option<bool>,
}

/// Every group of settings: what `sync` and `install` take, and what the top level holds
/// (bare `ccsync` is `ccsync sync`).
#[derive(Debug, Clone, Default, Args)]
pub struct Settings {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub transcripts: TranscriptArgs,
    #[command(flatten)]
    pub pricing: PricingArgs,
    #[command(flatten)]
    pub machine: MachineArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

impl Settings {
    /// The one way from settings to a validated [`Config`]; the secrets, which are never
    /// flags, come from the environment here.
    pub fn resolve(&self) -> crate::error::Result<Config> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let Settings {
            connection: ch,
            transcripts,
            pricing,
            machine,
            store,
        } = self;
        RawConfig {
            clickhouse_url: ch.clickhouse_url.clone(),
            clickhouse_user: ch.clickhouse_user.clone(),
            clickhouse_password: env("CLICKHOUSE_PASSWORD").map(Secret::new),
            clickhouse_password_file: env("CLICKHOUSE_PASSWORD_FILE").map(PathBuf::from),
            clickhouse_database: ch.clickhouse_database.clone(),
            machine_name: machine.machine_name.clone(),
            account: machine.machine_account.clone(),
            claude_config_dir: transcripts.claude_config_dir.clone(),
            codex_home: transcripts.codex_home.clone(),
            state_dir: machine.state_dir.clone(),
            cost_mode: pricing.cost_mode,
            pricing_file: pricing.file.pricing_file.clone(),
            batch_rows: store.batch_rows,
            timeout_secs: ch.timeout,
            retries: ch.retries,
            path_hash_key: env("CCSYNC_PATH_HASH_KEY").map(Secret::new),
            drop_git_branch: store.drop_git_branch,
            ca_file: ch.clickhouse_ca_file.clone(),
            compression: ch.clickhouse_compression,
        }
        .resolve(&Host::current())
    }
}

/// Loads `.env`-style files before clap reads the environment: `--env-file` (or ./.env), then
/// ~/.config/ccsync/ccsync.env. Neither overrides variables already set.
pub(super) fn load_env_files() -> Result<(), String> {
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
    pub(super) fn init_logging(&self) {
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
