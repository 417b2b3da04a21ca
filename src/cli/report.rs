//! `ccsync report daily|weekly|monthly|session|blocks`: ccusage's reports, from this machine's
//! transcripts (`--local`) or from the database (every machine's rows). Reading (the local
//! parse or `queries/report_rows.sql`) yields neutral rows; `crate::report` computes the
//! report; this module prints it as ccusage's JSON or as a table.

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use super::settings::{ConnectionArgs, PricingArgs, TranscriptArgs};
use crate::config::Config;
use crate::report::rows::SplitBy;
use crate::report::unified::Span;
use crate::report::{BlockOptions, DateRange, Grouping, Rows, TokenLimit, Zone, table::Layout};
use crate::store::report::RowFilter;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  ccsync report daily --local\n  \
    ccsync report weekly --start-of-week monday -z Europe/Paris\n  \
    ccsync report session --machine laptop --machine desk --json\n  \
    ccsync report session --subagents --since 20260101\n  \
    ccsync report blocks --active --token-limit max")]
pub struct ReportCommand {
    #[command(subcommand)]
    pub kind: ReportKind,
}

#[derive(Debug, Subcommand)]
pub enum ReportKind {
    /// Usage per day (`ccusage claude daily`).
    Daily(ReportArgs),
    /// Usage per week (`ccusage claude weekly`).
    Weekly(WeeklyArgs),
    /// Usage per calendar month (`ccusage claude monthly`).
    Monthly(ReportArgs),
    /// Usage per transcript session, costliest first (`ccusage claude session`); with
    /// `--subagents`, each split by the agent that made it.
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
    /// Read this machine's transcripts (CLAUDE_CONFIG_DIR, else ~/.config/claude and
    /// ~/.claude) instead of the database: no server needed.
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
    pub agent: Option<crate::source::Agent>,

    /// Database: only this machine's rows (repeatable); default: every machine, a response
    /// synced from two machines counted once.
    #[arg(long = "machine", value_name = "NAME", conflicts_with = "local")]
    pub machines: Vec<String>,

    /// Database: only this project (the encoded folder name, e.g. -home-me-app).
    #[arg(long, value_name = "PROJECT", conflicts_with = "local")]
    pub project: Option<String>,

    /// Database: only this Claude account's rows (as `ccsync report … --by account` lists
    /// them, or its e-mail). `blocks` defaults to this machine's account, across all its
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
    /// Beyond ccusage: under each session, a row for its main thread, `(main)`, and one per
    /// subagent: its agent id and, where Claude Code recorded it (`agent-<id>.meta.json`
    /// beside the subagent's transcript), its type (`Explore`, `general-purpose`, …); never a
    /// description or prompt. Their tokens and costs add up to the session's. `--json` adds
    /// a `subagents` array to each session (`agentId`, `agentType`, tokens, `totalCost`,
    /// `modelsUsed`); without this flag the JSON is exactly ccusage's. From the database the
    /// type is not known (the id is).
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
    fn weekday(self) -> jiff::civil::Weekday {
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

/// What the reader of the rows needs besides the report's options.
struct Read {
    rows: Rows,
    /// A line on what was read, printed under a local table.
    summary: Option<String>,
}

pub(super) async fn run(cfg: &Config, kind: ReportKind) -> anyhow::Result<ExitCode> {
    let a = kind.common();
    // Usage mistakes exit 2 (like clap's), before anything is read.
    let range = match DateRange::new(a.since, a.until) {
        Ok(range) => range,
        Err(e) => {
            eprintln!("ccsync: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    if a.agent == Some(crate::source::Agent::Codex) {
        // Codex's reports have their own shape (ccusage codex …): src/cli/report_codex.rs.
        return super::report_codex::run(cfg, &kind, range).await;
    }
    let zone = a.timezone.clone().unwrap_or_else(Zone::system);
    let read = if a.local {
        read_local(cfg, agent_of(&kind)).await?
    } else {
        read_db(cfg, &kind, range, &zone).await?
    };
    let layout = Layout::new(crate::table::output_width(), a.compact, a.breakdown);
    let Some(by) = a.by else {
        let mut out = render(&kind, &read.rows, &zone, range, layout);
        // Too wide for the terminal (one block per row): the compact table first, as ccusage.
        if !layout.compact && out.starts_with("─[ row") {
            let compact = Layout {
                compact: true,
                ..layout
            };
            out = render(&kind, &read.rows, &zone, range, compact);
        }
        let summary = (!a.json).then_some(read.summary.as_deref()).flatten();
        return write_out(&out, summary);
    };
    let by = match by {
        By::Machine => SplitBy::Machine,
        By::Project => SplitBy::Project,
        By::Model => SplitBy::Model,
        By::Account => SplitBy::Account,
    };
    let groups = read.rows.split_by(by);
    let out = if a.json {
        let reports: serde_json::Map<String, serde_json::Value> = (groups.iter())
            .map(|(key, rows)| {
                let text = render(&kind, rows, &zone, range, layout);
                let v = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
                (key.clone(), v)
            })
            .collect();
        serde_json::to_string_pretty(&reports)? + "\n"
    } else {
        let mut out = String::new();
        for (key, rows) in &groups {
            out += &format!("{by:?}: {key}\n").to_lowercase_first();
            out += &render(&kind, rows, &zone, range, layout);
            out.push('\n');
        }
        out
    };
    write_out(&out, None)
}

trait LowercaseFirst {
    fn to_lowercase_first(&self) -> String;
}

impl LowercaseFirst for String {
    /// `Machine: x` → `machine: x`.
    fn to_lowercase_first(&self) -> String {
        let mut c = self.chars();
        c.next()
            .map(|f| f.to_lowercase().chain(c).collect())
            .unwrap_or_default()
    }
}

/// The rows the database options select.
async fn read_db(
    cfg: &Config,
    kind: &ReportKind,
    range: DateRange,
    zone: &Zone,
) -> anyhow::Result<Read> {
    let a = kind.common();
    let filter = RowFilter {
        source: agent_of(kind).map(|ag| ag.name().to_string()),
        machines: a.machines.clone(),
        project: a.project.clone(),
        account: account_filter(cfg, a, kind),
        // Blocks are built from every row (their range selects blocks by start), and so are
        // the all-agent report's Claude sessions (selected by their last activity).
        range: if matches!(kind, ReportKind::Blocks(_))
            || (matches!(kind, ReportKind::Session(_)) && agent_of(kind).is_none())
        {
            DateRange::default()
        } else {
            range
        },
        // Blocks need every response's time; the others sum a file's responses per day.
        sum_by_day_in: match kind {
            ReportKind::Blocks(_) => None,
            _ => zone.iana_name().map(str::to_string),
        },
    };
    let sink = crate::store::client::Sink::new(&cfg.clickhouse)?;
    Ok(Read {
        rows: crate::store::report::read_rows(&sink, &filter).await?,
        summary: None,
    })
}

/// The account to read: `--account` (hashed like the stored ones under a privacy key; `all`:
/// none), else for `blocks` without `--machine` this machine's account, if known.
fn account_filter(cfg: &Config, a: &ReportArgs, kind: &ReportKind) -> Option<String> {
    match a.account.as_deref() {
        Some("all") => None,
        Some(account) => Some(cfg.privacy.path(account)),
        None if matches!(kind, ReportKind::Blocks(_)) && a.machines.is_empty() => {
            cfg.account().ok().flatten().map(|mine| mine.id)
        }
        None => None,
    }
}

/// The one agent a report is about (`--agent`; blocks and `--subagents`: Claude's), or
/// `None` for every agent's usage in ccusage's all-agent shape.
fn agent_of(kind: &ReportKind) -> Option<crate::source::Agent> {
    let claude_only = match kind {
        ReportKind::Blocks(_) => true,
        ReportKind::Session(s) => s.subagents,
        _ => false,
    };
    let agent = kind.common().agent;
    agent.or(claude_only.then_some(crate::source::Agent::Claude))
}

/// This machine's Claude Code transcripts, and with `agent` `None` its Codex rollouts too.
async fn read_local(cfg: &Config, agent: Option<crate::source::Agent>) -> anyhow::Result<Read> {
    let dirs = cfg.claude_dirs.clone();
    let homes = (agent.is_none()).then(|| cfg.codex_homes.clone());
    let (mode, machine) = (cfg.cost_mode, cfg.machine_name.clone());
    let local = tokio::task::spawn_blocking(move || -> crate::Result<_> {
        crate::source::claude::scan::check_dirs(&dirs)?;
        let mut local = crate::source::claude::scan::read_rows(&dirs, mode, &machine);
        if let Some(homes) = homes {
            let codex = crate::source::codex::read_report_rows(&homes, &machine, &mut local.rows);
            crate::source::codex::warn_unread(&codex);
        }
        Ok(local)
    })
    .await??;
    Ok(Read {
        summary: Some(local.summary()),
        rows: local.rows,
    })
}

/// The report of `rows` as JSON (`--json`) or as a table.
fn render(kind: &ReportKind, rows: &Rows, zone: &Zone, range: DateRange, layout: Layout) -> String {
    let a = kind.common();
    let desc = a.order == Order::Desc;
    let none = || "No usage data found.\n".to_string();
    match kind {
        ReportKind::Blocks(b) => {
            let opts = BlockOptions {
                zone: zone.clone(),
                range,
                length_ms: (b.session_length * 3_600_000.0).round() as i64,
                now_ms: jiff::Timestamp::now().as_millisecond(),
                active_only: b.active,
                recent: b.recent,
                token_limit: b.token_limit,
            };
            let mut report = crate::report::blocks(rows, &opts);
            if desc {
                report.blocks.reverse();
            }
            match (a.json, report.blocks.is_empty()) {
                (true, _) => crate::report::blocks_json(&report) + "\n",
                (false, true) => none(),
                (false, false) => crate::report::table::blocks(&report, zone, layout),
            }
        }
        ReportKind::Session(_) if a.json && agent_of(kind).is_none() => {
            crate::report::unified::sessions(rows, zone, range)
        }
        ReportKind::Session(s) => {
            let report = crate::report::sessions(rows, zone, range, s.subagents);
            match (a.json, report.sessions.is_empty()) {
                (true, _) => crate::report::sessions_json(&report) + "\n",
                (false, true) => none(),
                (false, false) => crate::report::table::sessions(&report, zone, layout),
            }
        }
        _ if a.json && agent_of(kind).is_none() => {
            let span = match kind {
                ReportKind::Weekly(_) => Span::Week,
                ReportKind::Monthly(_) => Span::Month,
                _ => Span::Day,
            };
            let start = match kind {
                ReportKind::Weekly(w) => w.start_of_week.map(WeekStart::weekday),
                _ => None,
            };
            crate::report::unified::periods(rows, zone, range, span, start, desc)
        }
        _ => {
            let grouping = match kind {
                ReportKind::Weekly(w) => {
                    // ccusage's default: Sunday for one agent's weeks, Monday for all agents'.
                    let default = match agent_of(kind) {
                        Some(_) => WeekStart::Sunday,
                        None => WeekStart::Monday,
                    };
                    Grouping::Week(w.start_of_week.unwrap_or(default).weekday())
                }
                ReportKind::Monthly(_) => Grouping::Month,
                _ => Grouping::Day,
            };
            let mut daily = crate::report::daily(rows, zone.clone(), range);
            // Periods are made of the days in the order given (ccusage: a week's models in
            // descending day order with `--order desc`).
            if desc {
                daily.daily.reverse();
            }
            let mut report = crate::report::group(daily, grouping);
            if desc && grouping != Grouping::Day {
                report.daily.reverse();
            }
            match (a.json, report.daily.is_empty()) {
                (true, _) => crate::report::periods_json(&report, grouping) + "\n",
                (false, true) => none(),
                (false, false) => crate::report::table::periods(&report, grouping, layout),
            }
        }
    }
}

/// Writes `out` (and `summary`) to stdout; a reader that went away ends the command quietly.
fn write_out(out: &str, summary: Option<&str>) -> anyhow::Result<ExitCode> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    if let Some(s) = summary {
        writeln!(stdout, "{s}")?;
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}
