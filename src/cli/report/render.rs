//! A report of the rows as ccusage's JSON (`--json`) or as a table.

use super::args::{Order, ReportKind, WeekStart};
use super::read::agent_of;
use crate::report::{BlockOptions, DateRange, Grouping, Rows, Zone, table::Layout};

/// The report of `rows` as JSON (`--json`) or as a table.
pub(super) fn render(
    kind: &ReportKind,
    rows: &Rows,
    zone: &Zone,
    range: DateRange,
    layout: Layout,
) -> String {
    let a = kind.common();
    let desc = a.order == Order::Desc;
    let none = || "No usage data found.\n".to_string();
    match kind {
        ReportKind::Blocks(b) => {
            let opts = BlockOptions {
                zone: zone.clone(),
                range,
                length_ms: (b.session_length * 3_600_000.0).round() as i64,
                now_ms: jiff::Timestamp::now().as_millisecond(),
                active_only: b.active,
                recent: b.recent,
                token_limit: b.token_limit,
            };
            let mut report = crate::report::blocks(rows, &opts);
            if desc {
                report.blocks.reverse();
            }
            match (a.json, report.blocks.is_empty()) {
                (true, _) => crate::report::blocks_json(&report) + "\n",
                (false, true) => none(),
                (false, false) => crate::report::table::blocks(&report, zone, layout),
            }
        }
        ReportKind::Session(_) if a.json && agent_of(kind).is_none() => {
            crate::report::unified::sessions(rows, zone, range)
        }
        ReportKind::Session(s) => {
            let report = crate::report::sessions(rows, zone, range, s.subagents);
            match (a.json, report.sessions.is_empty()) {
                (true, _) => crate::report::sessions_json(&report) + "\n",
                (false, true) => none(),
                (false, false) => crate::report::table::sessions(&report, zone, layout),
            }
        }
        _ => {
            let grouping = grouping(kind);
            if a.json && agent_of(kind).is_none() {
                return crate::report::unified::periods(rows, zone, range, grouping, desc);
            }
            let mut daily = crate::report::daily(rows, zone.clone(), range);
            // Periods are made of the days in the order given (ccusage: a week's models in
            // descending day order with `--order desc`).
            if desc {
                daily.daily.reverse();
            }
            let mut report = crate::report::group(daily, grouping);
            if desc && grouping != Grouping::Day {
                report.daily.reverse();
            }
            match (a.json, report.daily.is_empty()) {
                (true, _) => crate::report::periods_json(&report, grouping) + "\n",
                (false, true) => none(),
                (false, false) => crate::report::table::periods(&report, grouping, layout),
            }
        }
    }
}

/// The periods of a daily, weekly or monthly report; weeks start on `--start-of-week`, else
/// on ccusage's day: Sunday for one agent's weeks, Monday for all agents'.
fn grouping(kind: &ReportKind) -> Grouping {
    match kind {
        ReportKind::Weekly(w) => {
            let default = match agent_of(kind) {
                Some(_) => WeekStart::Sunday,
                None => WeekStart::Monday,
            };
            Grouping::Week(w.start_of_week.unwrap_or(default).weekday())
        }
        ReportKind::Monthly(_) => Grouping::Month,
        _ => Grouping::Day,
    }
}
