//! Usage reports computed as ccusage 20.0.24 computes them: one implementation of each
//! report's arithmetic, fed neutral priced rows ([`Rows`]) by whoever read them: the local
//! parse (`--local`, `ccsync scan`) or the database (`queries/report_rows.sql`).
//!
//! - [`rows`]: the neutral rows (time, listed model, session, project, machine, tokens, cost).
//! - [`period`]: the time zone days are counted in, the day of a timestamp in it, the
//!   `--since`/`--until` range (both ends inclusive, compared in that zone), weeks and months.
//! - [`aggregate`]: rows → days with per-model breakdowns, the totals of the reported days and
//!   the models that could not be priced; which models are listed at all ([`listed_model`]).
//! - [`periods`]: days → weeks or months; [`session`]: rows → sessions; [`blocks`]: rows →
//!   5-hour billing blocks (active block, burn rate, projection, token limit).
//! - [`subagents`]: a session's parts by agent (main thread, each subagent; `--subagents`).
//! - [`json`]: ccusage's JSON shapes, keys and order included; [`table`]: the tables for people.
//! - [`unified`]: ccusage's all-agent reports (no agent named): the same arithmetic, their shape.
//!
//! What ccusage does, verified against its binary: docs/ccusage-compat.md, "Reports".

mod aggregate;
mod blocks;
mod json;
mod period;
mod periods;
pub(crate) mod rows;
mod session;
mod subagents;
pub(crate) mod table;
pub(crate) mod unified;

pub(crate) use aggregate::{DailyReport, Tokens, Totals, daily, listed_model};
pub(crate) use blocks::{BlockOptions, TokenLimit, blocks};
pub(crate) use json::sessions as sessions_json;
pub(crate) use json::{blocks as blocks_json, daily as daily_json, periods as periods_json};
pub(crate) use period::{DateRange, Grouping, Zone, iso_ms, parse_date};
pub(crate) use periods::group;
pub(crate) use rows::{Row, Rows};
pub(crate) use session::sessions;
