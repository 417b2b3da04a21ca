//! Integration tests against a real ClickHouse engine (see `common::server`).

mod accounts;
mod cli;
mod common;
mod compose;
mod convergence;
mod convergence_codex;
mod cross_run;
mod faults;
mod grafana;
mod help;
mod migration;
mod migration_v5;
mod ops;
mod parity;
mod parity_codex;
mod parity_prices;
mod parity_report;
mod prices;
mod privileges;
mod queries;
mod query_cli;
mod report;
mod report_subagents;
mod setup_scripts;
mod sync;
mod sync_codex;
