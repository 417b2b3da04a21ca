//! Usage reports computed as ccusage 20.0.24 computes them: one implementation of the
//! arithmetic, fed neutral priced rows ([`UsageRow`]) by whoever read them: the local parse
//! (`ccsync scan`) today, the database later.
//!
//! - [`period`]: the time zone days are counted in, the day of a timestamp in it, and the
//!   `--since`/`--until` range (both ends inclusive, compared in that zone).
//! - [`aggregate`]: rows → days with per-model breakdowns, the totals of the reported days and
//!   the models that could not be priced; which models are listed at all ([`listed_model`]).
//! - [`json`]: ccusage's JSON shape, keys and order included.
//!
//! What ccusage does, verified against its binary: docs/ccusage-compat.md, "Reports".

mod aggregate;
mod json;
mod period;

pub(crate) use aggregate::{Daily, DailyReport, Tokens, Totals, UsageRow, listed_model};
pub(crate) use json::daily as daily_json;
pub(crate) use period::{DateRange, Zone, parse_date};
