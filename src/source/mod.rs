//! Where usage comes from: one module per coding agent, each knowing where its agent's files
//! are, how to read them incrementally and how their records become neutral usage rows under
//! ccusage's rules for that agent.
//!
//! - [`claude`]: Claude Code's JSONL transcripts (`~/.claude/projects`, `CLAUDE_CONFIG_DIR`).
//! - [`codex`]: OpenAI Codex CLI's rollouts (`~/.codex/sessions`, `archived_sessions`,
//!   `CODEX_HOME`); its incremental read is what `sync` stores (`crate::sync`).
//!
//! Every agent answers [`Source`]: its name (ccusage's) and its daily report read from its files
//! alone. The reports' shapes differ per agent (ccusage prints other keys for Codex), so a
//! report prints itself ([`DailyReport`]). Each agent's sync pass lives beside the others in
//! `sync` (their readers and checkpoints differ too much to share one loop: Claude's decides
//! across runs against stored rows, Codex's keys make copies collapse in the table).

pub mod claude;
pub mod codex;

use std::path::PathBuf;

use crate::price::CostMode;
use crate::report::{DateRange, Zone};
use crate::usage::Agent;

/// One agent's local logs.
pub(crate) trait Source: Send {
    /// Its usage per day in `zone` within `range`, from all its files (no server): what
    /// `ccusage NAME daily` reports.
    fn daily(&self, zone: Zone, range: DateRange) -> crate::Result<Box<dyn DailyReport>>;
}

/// A daily report, as the agent's ccusage command prints it.
pub(crate) trait DailyReport: Send {
    /// `ccusage NAME daily --json --offline`, key for key.
    fn json(&self) -> String;
    /// The table for people (days in the report's zone, then what was read), on stdout.
    fn print_table(&self);
}

/// The source for `agent`: Claude Code's transcripts under `claude_dirs` priced by `cost_mode`,
/// or Codex's rollouts under `codex_homes` (as the run's configuration names them).
pub(crate) fn for_agent(
    agent: Agent,
    claude_dirs: &[PathBuf],
    cost_mode: CostMode,
    codex_homes: &[PathBuf],
) -> Box<dyn Source> {
    match agent {
        Agent::Claude => Box::new(claude::scan::Claude {
            dirs: claude_dirs.to_vec(),
            cost_mode,
        }),
        Agent::Codex => Box::new(codex::Codex::new(codex_homes.to_vec())),
    }
}
