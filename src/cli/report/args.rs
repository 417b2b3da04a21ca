//! `ccsync report`'s options, with ccusage's names, meanings and defaults.

use clap::{Args, Subcommand, ValueEnum};

use crate::cli::settings::{ConnectionArgs, PricingArgs, TranscriptArgs};
use crate::report::{TokenLimit, Zone};

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  ccsync report daily --local\n  \
    ccsync report monthly --agent codex --json\n  \
    ccsync report weekly --agent claude --start-of-week monday -z Europe/Paris\n  \
    ccsync report session --machine laptop --machine desk --json\n  \
    ccsync report session --subagents --since 20260101\n  \
    ccsync report blocks --active --token-limit max")]
pub struct ReportCommand {
    #[command(subcommand)]
    pub kind: ReportKind,
}

#[derive(Debug, Subcommand)]
pub enum ReportKind {
    /// Usage per day, every agent's (`ccusage daily`; `--agent NAME`: `ccusage NAME daily`).
    Daily(ReportArgs),
    /// Usage per week (`ccusage weekly`, weeks from Monday; `--agent claude`: `ccusage claude
    /// weekly`, from Sunday).
    Weekly(WeeklyArgs),
    /// Usage per calendar month (`ccusage monthly`; `--agent NAME`: `ccusage NAME monthly`).
    Monthly(ReportArgs),
    /// Usage per session, costliest first (`ccusage session`; `--agent NAME`: `ccusage NAME
    /// session`); with `--subagents`, Claude Code's sessions split by the agent that made it.
    Session(SessionArgs),
    /// 5-hour billing blocks, the active one with its burn rate and projection
    /// (`ccusage claude blocks`).
    Blocks(BlocksArgs),
}

impl ReportKind {
    pub fn common(&self) -> &ReportArgs {
        match self {
            ReportKind::Daily(a) | ReportKind::Monthly(a) => a,
            ReportKind::Session(s) => &s.common,
            ReportKind::Weekly(w) => &w.common,
            ReportKind::Blocks(b) => &b.common,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Order {
    Asc,
    Desc,
}

/// A grouping column added to a database report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum By {
    Machine,
    Project,
    Model,
    Account,
}

/// The options every report takes, with ccusage's names, meanings and defaults.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Read this machine's files instead of the database, no server needed: Claude Code's
    /// transcripts (CLAUDE_CONFIG_DIR, else ~/.config/claude and ~/.claude) and Codex's rollouts
    /// (CODEX_HOME, else ~/.codex).
    #[arg(long)]
    pub local: bool,

    /// Print exactly what ccusage prints with `--json --offline`: `ccusage REPORT` (every
    /// agent's usage) without `--agent`, `ccusage NAME REPORT` with `--agent NAME` (keys,
    /// order, values).
    #[arg(short, long)]
    pub json: bool,

    /// First day to report, in the report's zone (YYYYMMDD or YYYY-MM-DD). Blocks: the first
    /// day a block may start on.
    #[arg(short, long, value_name = "DATE", value_parser = crate::report::parse_date)]
    pub(crate) since: Option<jiff::civil::Date>,

    /// Last day to report, inclusive (YYYYMMDD or YYYY-MM-DD).
    #[arg(short, long, value_name = "DATE", value_parser = crate::report::parse_date)]
    pub(crate) until: Option<jiff::civil::Date>,

    /// Count days in this time zone (an IANA name in any case, or `local`); default: the
    /// system's (TZ, else /etc/localtime), as ccusage. The table names it in its header.
    #[arg(short = 'z', long, value_name = "TZ", value_parser = crate::report::Zone::parse)]
    pub(crate) timezone: Option<Zone>,

    /// Table only: a row per model under each day, week, month or session (the JSON always
    /// has the breakdowns).
    #[arg(short, long)]
    pub breakdown: bool,

    /// asc: oldest first; desc: newest first (sessions are always costliest first, as in
    /// ccusage).
    #[arg(short, long, value_enum, default_value_t = Order::Asc)]
    pub order: Order,

    /// Table only: the narrow table (no cache columns) even on a wide terminal; it is used
    /// anyway below 100 columns.
    #[arg(long)]
    pub compact: bool,

    /// Only this agent's usage (claude, codex), in its ccusage report's shape (`ccusage NAME
    /// REPORT`); default: every agent's, as `ccusage REPORT` (blocks: Claude's, whose limits
    /// they are).
    #[arg(long, value_enum, value_name = "NAME")]
    pub agent: Option<crate::usage::Agent>,

    /// Database: only this machine's rows (repeatable); default: every machine, a response
    /// synced from two machines counted once.
    #[arg(
        long = "machine",
        value_name = "NAME",
        conflicts_with = "local",
        allow_hyphen_values = true
    )]
    pub machines: Vec<String>,

    /// Database: only this project (the encoded folder name, e.g. -home-me-app: a value
    /// starting with `-` is taken as the project's).
    #[arg(
        long,
        value_name = "PROJECT",
        conflicts_with = "local",
        allow_hyphen_values = true
    )]
    pub project: Option<String>,

    /// Database: only this Claude account's rows (its e-mail, or the account as stored: its
    /// uuid, whose start `--by account` shows). `blocks` defaults to this machine's account, across all its
    /// machines (limits apply per account); `--account all` for every account.
    #[arg(long, value_name = "ACCOUNT", conflicts_with = "local")]
    pub account: Option<String>,

    /// Database: one report per machine, project, model or account (`--json`: an object of
    /// reports keyed by its value).
    #[arg(long, value_enum, value_name = "COLUMN", conflicts_with = "local")]
    pub by: Option<By>,

    #[command(flatten)]
    pub transcripts: TranscriptArgs,
    #[command(flatten)]
    pub pricing: PricingArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct SessionArgs {
    #[command(flatten)]
    pub common: ReportArgs,
    /// Beyond ccusage, Claude Code's sessions only (the report is then `--agent claude`'s):
    /// under each session, a row for its main thread, `(main)`, and one per
    /// subagent: its agent id and, where Claude Code recorded it (`agent-<id>.meta.json`
    /// beside the subagent's transcript), its type (`Explore`, `general-purpose`, …); never a
    /// description or prompt. Their tokens and costs add up to the session's. `--json` adds
    /// a `subagents` array to each session (`agentId`, `agentType`, tokens, `totalCost`,
    /// `modelsUsed`); without this flag the JSON is exactly ccusage's. From the database the
    /// type is the one synced with the subagent's rows (none for rows synced before schema 6).
    #[arg(long)]
    pub subagents: bool,
}

#[derive(Debug, Args)]
pub struct WeeklyArgs {
    #[command(flatten)]
    pub common: ReportArgs,
    /// The day weeks start on (a week is labelled by its first day); default: Sunday with
    /// `--agent NAME` (as `ccusage NAME weekly`), Monday for every agent (as `ccusage weekly`).
    #[arg(short = 'w', long, value_enum)]
    pub start_of_week: Option<WeekStart>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WeekStart {
    Sunday,
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
}

impl WeekStart {
    pub(super) fn weekday(self) -> jiff::civil::Weekday {
        use jiff::civil::Weekday as W;
        match self {
            WeekStart::Sunday => W::Sunday,
            WeekStart::Monday => W::Monday,
            WeekStart::Tuesday => W::Tuesday,
            WeekStart::Wednesday => W::Wednesday,
            WeekStart::Thursday => W::Thursday,
            WeekStart::Friday => W::Friday,
            WeekStart::Saturday => W::Saturday,
        }
    }
}

#[derive(Debug, Args)]
pub struct BlocksArgs {
    #[command(flatten)]
    pub common: ReportArgs,
    /// Only the active block (its last response less than a block length ago), with its burn
    /// rate and projection.
    #[arg(short, long)]
    pub active: bool,
    /// Only blocks that started in the last 3 days (and the active one).
    #[arg(short, long)]
    pub recent: bool,
    /// Token limit for the active block's projection: a number of tokens, or `max` (the most
    /// any finished block used); adds `tokenLimitStatus` (ok, warning above 80%, exceeds
    /// above 100%).
    #[arg(short, long, value_name = "N|max", value_parser = parse_token_limit)]
    pub(crate) token_limit: Option<TokenLimit>,
    /// Block length in hours (Claude's usage windows are 5 hours).
    #[arg(short = 'n', long, value_name = "HOURS", default_value = "5", value_parser = parse_hours)]
    pub session_length: f64,
}

fn parse_token_limit(s: &str) -> Result<TokenLimit, String> {
    if s == "max" {
        return Ok(TokenLimit::Max);
    }
    s.parse::<u64>()
        .map(TokenLimit::Tokens)
        .map_err(|_| "expected a whole number of tokens (e.g. 500000) or `max`".to_string())
}

fn parse_hours(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        // A block of at least a millisecond and at most ~1000 years.
        Ok(h) if h.is_finite() && h * 3_600_000.0 >= 1.0 && h < 1.0e7 => Ok(h),
        _ => Err("expected a positive number of hours (e.g. 5, 1.5)".to_string()),
    }
}
