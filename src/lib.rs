//! ccsync: coding agents' usage from every workstation into one ClickHouse.
//!
//! The pipeline: [`source`] (one module per agent: its files, its lines, ccusage's rules for it)
//! → [`read`] (incremental, shared) → [`price`] → [`store`] (everything that talks to
//! ClickHouse), driven by [`sync`]; `report` computes ccusage's reports from neutral rows (each
//! agent's local files, or the database's rows); [`cli`] holds one file per command.
//!
//! The modules form layers, each importing only from layers below it (no import cycle;
//! `tests/it/layout.rs` checks it):
//! 1. shared, importing no other module but [`error`]: [`error`], [`time`], [`usage`] (the
//!    agents and the `usage_events` row), [`sealed`] files, [`privacy`], [`read`], [`price`],
//!    tables (`table`), [`lock`];
//! 2. `report`: the reports' arithmetic on neutral rows; [`generate`]: synthetic transcripts;
//! 3. [`source`]: each agent's files, counting rules and local reports;
//! 4. [`config`] (the settings; the signed-in account and Codex homes from `source`) and
//!    [`state`] (checkpoints);
//! 5. [`store`] (ClickHouse), [`install`] (the systemd timer);
//! 6. [`sync`] (a run: sources into the store) and [`ops`] (status, doctor);
//! 7. [`cli`].

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
pub mod usage;

pub use error::{Error, Result};

pub const AGENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The `source` column of Claude Code's rows: ccusage's name for the agent.
pub const CLAUDE_SOURCE: &str = "claude";

/// The `source` column of Codex CLI's rows.
pub const CODEX_SOURCE: &str = "codex";
