//! Where usage comes from: one module per coding agent, each knowing where its agent's files
//! are, how to read them incrementally and how their records become neutral usage rows under
//! ccusage's rules for that agent.
//!
//! - [`claude`]: Claude Code's JSONL transcripts (`~/.claude/projects`, `CLAUDE_CONFIG_DIR`).
//! - [`codex`]: OpenAI Codex CLI's rollouts (`~/.codex/sessions`, `archived_sessions`,
//!   `CODEX_HOME`); read by `scan --agent codex` today, not yet synced.

pub mod claude;
pub mod codex;
