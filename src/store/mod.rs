//! The database side: ClickHouse 24.8+ over HTTP(S).
//!
//! - [`client`]: the connection, timeouts and the one retry policy (jittered backoff for
//!   transient failures, none for permanent ones), and the inserts of usage rows;
//! - [`rows`]: the deterministic token of a batch of `usage_events` rows (the row itself is
//!   `crate::usage`'s: every agent's rows are made below the store);
//! - [`runs`]: the `sync_runs` row and its insert;
//! - [`schema`]: the versioned migrations in `schema/` (applied by `ccsync schema apply`) and the
//!   maintenance SQL the sync runs;
//! - [`rollup`]: `usage_rollup` rows and their refresh;
//! - [`query`]: the query pack in `queries/`: parameters checked and bound server-side;
//! - [`report`]: the neutral rows of `ccsync report`, read with the pack's `report_rows`;
//!   [`report_codex`]: the same rows of Codex as the Codex reports' rows.

pub mod client;
pub mod query;
pub(crate) mod report;
pub(crate) mod report_codex;
pub mod rollup;
pub mod rows;
pub mod runs;
pub mod schema;
