//! The rows a report reads: this machine's files (`--local`) or the database's rows the options
//! select; and which agent's report it is.

use super::args::{ReportArgs, ReportKind};
use crate::config::Config;
use crate::report::{DateRange, Rows, Zone};
use crate::store::report::RowFilter;

/// What the reader of the rows needs besides the report's options.
pub(super) struct Read {
    pub rows: Rows,
    /// A line on what was read, printed under a local table.
    pub summary: Option<String>,
}

/// The rows the database options select.
pub(super) async fn read_db(
    cfg: &Config,
    kind: &ReportKind,
    range: DateRange,
    zone: &Zone,
) -> anyhow::Result<Read> {
    let filter = row_filter(cfg, kind, range, zone);
    let sink = crate::store::client::Sink::new(&cfg.clickhouse)?;
    Ok(Read {
        rows: crate::store::report::read_rows(&sink, &filter).await?,
        summary: None,
    })
}

/// Which database rows a report reads, from its options.
pub(super) fn row_filter(
    cfg: &Config,
    kind: &ReportKind,
    range: DateRange,
    zone: &Zone,
) -> RowFilter {
    let a = kind.common();
    RowFilter {
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
    }
}

/// The account to read: `--account` (hashed like the stored ones under a privacy key; `all`:
/// none), else for `blocks` without `--machine` this machine's account, if known.
fn account_filter(cfg: &Config, a: &ReportArgs, kind: &ReportKind) -> Option<String> {
    match a.account.as_deref() {
        Some("all") => None,
        Some(account) => Some(cfg.privacy.path(account)),
        None if matches!(kind, ReportKind::Blocks(_)) && a.machines.is_empty() => {
            let mine = cfg.account().ok().flatten().map(|mine| mine.id);
            if mine.is_none() {
                // Limits apply per account: say that these blocks mix every account's usage.
                eprintln!(
                    "note: this machine's Claude account is unknown (no oauthAccount in \
                     .claude.json, CCSYNC_ACCOUNT unset): the blocks cover every account; \
                     choose one with --account"
                );
            }
            mine
        }
        None => None,
    }
}

/// The one agent a report is about (`--agent`; blocks and `--subagents`: Claude's), or
/// `None` for every agent's usage in ccusage's all-agent shape.
pub(super) fn agent_of(kind: &ReportKind) -> Option<crate::usage::Agent> {
    let claude_only = match kind {
        ReportKind::Blocks(_) => true,
        ReportKind::Session(s) => s.subagents,
        _ => false,
    };
    let agent = kind.common().agent;
    agent.or(claude_only.then_some(crate::usage::Agent::Claude))
}

/// This machine's Claude Code transcripts, and with `agent` `None` its Codex rollouts too.
pub(super) async fn read_local(
    cfg: &Config,
    agent: Option<crate::usage::Agent>,
) -> anyhow::Result<Read> {
    let dirs = cfg.claude_dirs.clone();
    let homes = (agent.is_none()).then(|| cfg.codex_homes.clone());
    let (mode, machine) = (cfg.cost_mode, cfg.machine_name.clone());
    let (local, codex) = tokio::task::spawn_blocking(move || -> crate::Result<_> {
        let claude = crate::source::claude::scan::check_dirs(&dirs);
        let mut local = crate::source::claude::scan::read_rows(&dirs, mode, &machine);
        let codex = homes.map(|homes| {
            let codex = crate::source::codex::read_report_rows(&homes, &machine, &mut local.rows);
            crate::source::codex::warn_unread(&codex);
            codex
        });
        // No Claude Code folder: an error, unless every agent's report has Codex's rollouts.
        match (claude, &codex) {
            (Err(_), Some(c)) if c.files > 0 => {}
            (claude, _) => claude?,
        }
        Ok((local, codex))
    })
    .await??;
    let mut summary = format!("Claude Code: {}", local.summary());
    if let Some(c) = codex.filter(|c| c.files > 0) {
        let n = |x: usize| crate::table::grouped(x as i128);
        summary += &format!(
            "; Codex: {} rollouts, {} requests",
            n(c.files),
            n(c.requests)
        );
    }
    Ok(Read {
        summary: Some(summary),
        rows: local.rows,
    })
}
