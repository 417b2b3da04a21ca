//! ccsync: Claude Code usage from every workstation into one ClickHouse.
//!
//! The pipeline, one module per stage: [`discover`] → [`read`] (incremental) → [`parse`] →
//! [`dedup`] → [`price`] → [`sink`], driven by [`sync`] (and by [`scan`] without a server, whose
//! days `report` computes as ccusage does).

pub mod cli;
pub mod cli_prices;
pub mod collect;
pub mod config;
pub mod dedup;
pub mod discover;
pub mod error;
pub mod generate;
pub mod install;
pub mod lock;
pub mod ops;
pub mod parse;
pub mod price;
pub mod privacy;
pub mod query;
pub mod read;
pub(crate) mod report;
pub mod rollup;
pub mod scan;
pub mod schema;
pub mod sink;
pub mod state;
pub mod sync;
mod table;

pub use error::{Error, Result};

pub const AGENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The `source` column of Claude Code's rows: ccusage's name for the agent.
pub const CLAUDE_SOURCE: &str = "claude";
