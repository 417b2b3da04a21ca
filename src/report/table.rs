//! The reports as tables for people (`crate::table` lays them out): the zone in the first
//! column's header, thousands separators, dollars, a cost bar per row, and fewer columns when
//! the terminal is narrow or `--compact` is given (as ccusage does).

use serde_json::Value;

use super::aggregate::{DailyReport, Totals};
use super::blocks::BlocksReport;
use super::period::{Grouping, Zone};
use super::session::SessionReport;
use super::subagents::AgentUsage;
use crate::table::Kind;

/// How a table is laid out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    pub width: Option<usize>,
    /// Forced by `--compact`, or chosen for a terminal narrower than [`COMPACT_BELOW`].
    pub compact: bool,
    /// A row per model under each period or session (`--breakdown`).
    pub breakdown: bool,
}

/// Terminals narrower than this get the compact table, as in ccusage.
pub(crate) const COMPACT_BELOW: usize = 100;

impl Layout {
    pub(crate) fn new(width: Option<usize>, compact: bool, breakdown: bool) -> Layout {
        let compact = compact || width.is_some_and(|w| w < COMPACT_BELOW);
        Layout {
            width,
            compact,
            breakdown,
        }
    }
}

/// Eight eighths per cell: a bar of `value / max` over `cells` cells.
pub(crate) fn bar(value: f64, max: f64, cells: usize) -> String {
    if !(value > 0.0 && max > 0.0) {
        return String::new();
    }
    let eighths = ((value / max).min(1.0) * (cells * 8) as f64).round() as usize;
    let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8];
    let mut s = "█".repeat(eighths / 8) + partial;
    if s.is_empty() {
        s.push('▏'); // something spent, if little
    }
    s
}

const BAR_CELLS: usize = 12;

/// The table, its last column (the cost bar) left out where the table would not fit the width
/// with it (a narrow terminal keeps a table, as ccusage's compact one, rather than a block of
/// lines per row).
fn fit(mut columns: Vec<(String, Kind)>, mut rows: Vec<Vec<Value>>, layout: Layout) -> String {
    if !crate::table::fits(&columns, &rows, layout.width) {
        columns.pop();
        for row in &mut rows {
            row.pop();
        }
    }
    crate::table::render(&columns, &rows, layout.width)
}

fn token_columns(layout: Layout) -> Vec<(&'static str, Kind)> {
    let mut c = vec![("Input", Kind::Integer), ("Output", Kind::Integer)];
    if !layout.compact {
        c.push(("Cache create", Kind::Integer));
        c.push(("Cache read", Kind::Integer));
        c.push(("Total tokens", Kind::Integer));
    }
    c.push(("Cost", Kind::Money));
    c
}

fn token_cells(t: &Totals, layout: Layout) -> Vec<Value> {
    let mut c = vec![Value::from(t.input_tokens), Value::from(t.output_tokens)];
    if !layout.compact {
        c.push(t.cache_creation_tokens.into());
        c.push(t.cache_read_tokens.into());
        c.push(t.total_tokens.into());
    }
    c.push(t.total_cost.into());
    c
}

fn columns(first: Vec<(String, Kind)>, layout: Layout) -> Vec<(String, Kind)> {
    let mut c = first;
    c.extend(
        token_columns(layout)
            .into_iter()
            .map(|(n, k)| (n.to_string(), k)),
    );
    c.push((String::new(), Kind::Text));
    c
}

/// A daily, weekly or monthly report.
pub(crate) fn periods(report: &DailyReport, grouping: Grouping, layout: Layout) -> String {
    let label = match grouping {
        Grouping::Day => "Date",
        Grouping::Week(_) => "Week",
        Grouping::Month => "Month",
    };
    let head = vec![
        (format!("{label} ({})", report.zone), Kind::Text),
        ("Models".to_string(), Kind::Text),
    ];
    let max = (report.daily.iter()).fold(0.0_f64, |m, d| m.max(d.totals.total_cost));
    let mut rows = Vec::new();
    for d in &report.daily {
        let models = d.models_used.join("\n");
        let mut row = vec![Value::from(d.date.clone()), Value::from(models)];
        row.extend(token_cells(&d.totals, layout));
        row.push(bar(d.totals.total_cost, max, BAR_CELLS).into());
        rows.push(row);
        if layout.breakdown {
            for b in &d.model_breakdowns {
                let mut row = vec![Value::from(""), Value::from(format!("└ {}", b.model_name))];
                row.extend(token_cells(&b.totals, layout));
                row.push("".into());
                rows.push(row);
            }
        }
    }
    let mut total = vec![Value::from("Total"), Value::from("")];
    total.extend(token_cells(&report.totals, layout));
    total.push("".into());
    rows.push(total);
    fit(columns(head, layout), rows, layout)
}

/// The session report (last activity in the report's zone).
pub(crate) fn sessions(report: &SessionReport, zone: &Zone, layout: Layout) -> String {
    let mut head = vec![
        ("Session".to_string(), Kind::Text),
        ("Project".to_string(), Kind::Text),
    ];
    if !layout.compact {
        head.push(("Models".to_string(), Kind::Text));
    }
    head.push((format!("Last activity ({})", report.zone), Kind::Text));
    let max = (report.sessions.iter()).fold(0.0_f64, |m, s| m.max(s.totals.total_cost));
    let mut rows = Vec::new();
    for s in &report.sessions {
        let mut row = vec![
            Value::from(s.session_id.clone()),
            s.project_path.clone().into(),
        ];
        if !layout.compact {
            row.push(s.models_used.join("\n").into());
        }
        row.push(zone.minute_of(s.last_ms).into());
        row.extend(token_cells(&s.totals, layout));
        row.push(bar(s.totals.total_cost, max, BAR_CELLS).into());
        rows.push(row);
        if layout.breakdown {
            for b in &s.model_breakdowns {
                let mut row = vec![Value::from(""), format!("└ {}", b.model_name).into()];
                row.extend((2..head.len()).map(|_| Value::from("")));
                row.extend(token_cells(&b.totals, layout));
                row.push("".into());
                rows.push(row);
            }
        }
        rows.extend(s.subagents.iter().map(|a| agent_row(a, head.len(), layout)));
    }
    let mut total = vec![Value::from("Total")];
    total.extend((1..head.len()).map(|_| Value::from("")));
    total.extend(token_cells(&report.totals, layout));
    total.push("".into());
    rows.push(total);
    fit(columns(head, layout), rows, layout)
}

/// A session's part made by one agent: `└ <id>` (and its type) under the session, its models
/// in the models column.
fn agent_row(a: &AgentUsage, head: usize, layout: Layout) -> Vec<Value> {
    let name = match &a.agent_type {
        Some(kind) => format!("└ {} ({kind})", a.agent_id),
        None => format!("└ {}", a.agent_id),
    };
    let mut row = vec![Value::from(name), "".into()];
    if !layout.compact {
        row.push(a.models_used.join("\n").into());
    }
    row.extend((row.len()..head).map(|_| Value::from("")));
    row.extend(token_cells(&a.totals, layout));
    row.push("".into());
    row
}

/// The blocks report: start in the zone, status, models, tokens, cost, and for the active
/// block its projection.
pub(crate) fn blocks(report: &BlocksReport, zone: &Zone, layout: Layout) -> String {
    let columns: Vec<(String, Kind)> = [
        (format!("Block start ({})", report.zone), Kind::Text),
        ("Status".into(), Kind::Text),
        ("Models".into(), Kind::Text),
        ("Tokens".into(), Kind::Integer),
        ("Cost".into(), Kind::Money),
        (String::new(), Kind::Text),
    ]
    .into();
    let max = (report.blocks.iter()).fold(0.0_f64, |m, b| m.max(b.cost_usd));
    let mut rows = Vec::new();
    for b in &report.blocks {
        let status = if b.is_gap {
            "gap".to_string()
        } else if b.is_active {
            let left = b
                .projection
                .as_ref()
                .map(|p| p.remaining_minutes)
                .unwrap_or(0);
            format!("ACTIVE, {}h{:02}m left", left / 60, left % 60)
        } else {
            format!("{} responses", crate::table::grouped(b.entries as i128))
        };
        let sep = if layout.compact { ", " } else { "\n" };
        rows.push(vec![
            zone.minute_of(b.start_ms).into(),
            status.into(),
            b.models.join(sep).into(),
            b.total_tokens().into(),
            b.cost_usd.into(),
            bar(b.cost_usd, max, BAR_CELLS).into(),
        ]);
        if let Some(p) = &b.projection {
            let mut status = "projected at end".to_string();
            if let Some(l) = &b.limit {
                let pct = l.percent_used.map_or("—".into(), |p| format!("{p:.1}%"));
                status = format!("projected: {pct} of {} ({})", l.limit, l.status);
            }
            rows.push(vec![
                "".into(),
                status.into(),
                "".into(),
                p.total_tokens.into(),
                p.total_cost.into(),
                "".into(),
            ]);
        }
        if b.is_active {
            // Limits apply per account, across machines: say which ones feed the window.
            rows.push(vec![
                "".into(),
                format!("fed by {}", b.machines.join(", ")).into(),
                "".into(),
                "".into(),
                "".into(),
                "".into(),
            ]);
        }
    }
    fit(columns, rows, layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_grow_with_the_value_in_eighths() {
        assert_eq!(bar(0.0, 10.0, 4), "");
        assert_eq!(bar(10.0, 10.0, 4), "████");
        assert_eq!(bar(5.0, 10.0, 4), "██");
        assert_eq!(bar(1.0, 16.0, 2), "▏");
        assert_eq!(bar(0.0001, 10.0, 4), "▏");
        assert_eq!(bar(f64::NAN, 10.0, 4), "");
        assert_eq!(bar(20.0, 10.0, 4), "████");
    }
}
