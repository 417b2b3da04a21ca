//! ccsync: coding agents' usage from every workstation into one ClickHouse.
//!
//! The pipeline: [`source`] (one module per agent: its files, its lines, ccusage's rules for it)
//! → [`read`] (incremental, shared) → [`price`] → [`store`] (everything that talks to
//! ClickHouse), driven by [`sync`]; [`report`] computes ccusage's reports from neutral rows
//! (today for `scan`, without a server). Shared helpers: [`sealed`] files, [`time`], tables.

pub mod cli;
pub mod config;
pub mod error;
pub mod generate;
pub mod install;
pub mod lock;
pub mod ops;
pub mod price;
pub mod privacy;
pub mod read;
pub(crate) mod report;
pub mod sealed;
pub mod source;
pub mod state;
pub mod store;
pub mod sync;
mod table;
pub mod time;

pub use error::{Error, Result};

pub const AGENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The `source` column of Claude Code's rows: ccusage's name for the agent.
pub const CLAUDE_SOURCE: &str = "claude";

/// The `source` column of Codex CLI's rows.
pub const CODEX_SOURCE: &str = "codex";
