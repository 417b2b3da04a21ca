//! Weekly and monthly reports: the daily report's days grouped into periods, as ccusage 20.0.24
//! builds them (from its days: a period lists its models in day order, each day's in the order
//! met, not in the order met over the whole period; docs/ccusage-compat.md, §9).

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::aggregate::{DailyReport, Day, ModelSums, Totals};
use super::period::Grouping;

/// A period being summed.
#[derive(Default)]
struct Parts {
    totals: Totals,
    models: ModelSums,
}

/// `daily`'s days (in the order given) grouped by `grouping` into periods (a [`Day`] each, its `date` the period's
/// label), in ascending order; totals and unpriced models are those of the days.
pub(crate) fn group(daily: DailyReport, grouping: Grouping) -> DailyReport {
    if grouping == Grouping::Day {
        return daily;
    }
    let mut names: Vec<String> = Vec::new();
    let mut index: FxHashMap<String, u32> = FxHashMap::default();
    let mut periods: BTreeMap<String, Parts> = BTreeMap::new();
    for day in &daily.daily {
        // A date the report wrote itself: it parses.
        let Ok(date) = day.date.parse::<jiff::civil::Date>() else {
            continue;
        };
        let parts = periods.entry(grouping.label(date)).or_default();
        parts.totals.merge(&day.totals);
        // The day's models in the order met, each with its breakdown.
        for model in &day.models_used {
            let id = *index.entry(model.clone()).or_insert_with(|| {
                names.push(model.clone());
                (names.len() - 1) as u32
            });
            if let Some(b) = day.model_breakdowns.iter().find(|b| &b.model_name == model) {
                parts.models.add(id, &b.totals, b.missing_pricing);
            }
        }
    }
    let name = |m: u32| names[m as usize].clone();
    let periods = periods
        .into_iter()
        .map(|(label, parts)| Day {
            date: label,
            totals: parts.totals,
            models_used: parts.models.names(name),
            model_breakdowns: parts.models.breakdowns(name),
        })
        .collect();
    DailyReport {
        daily: periods,
        ..daily
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::rows::Row;
    use crate::report::{DateRange, Rows, Tokens, Zone};
    use jiff::civil::Weekday;

    fn rows(lines: &[(&str, &str)]) -> Rows {
        let mut rows = Rows::default();
        let (s, p, m, a) = (rows.sym("s"), rows.sym("p"), rows.sym("m"), rows.sym("a"));
        for (ts, model) in lines {
            let model = Some(rows.sym(model));
            let ms = ts.parse::<jiff::Timestamp>().unwrap().as_millisecond();
            rows.push(Row {
                timestamp_ms: ms,
                last_ms: ms,
                model,
                session: s,
                project: p,
                machine: m,
                account: a,
                agent: None,
                agent_type: None,
                tokens: Tokens {
                    input: 10,
                    ..Tokens::default()
                },
                cost_usd: 1.0,
                unpriced: false,
                reasoning: 0,
                source: crate::usage::Agent::Claude,
            });
        }
        rows
    }

    #[test]
    fn weeks_and_months_list_models_in_day_order() {
        // Met in this order, but on days Tue, Mon, Sun (2026-01-06, 05, 04) and Sat (03).
        let rows = rows(&[
            ("2026-01-06T10:00:00Z", "haiku"),
            ("2026-01-05T10:00:00Z", "opus"),
            ("2026-01-04T10:00:00Z", "sonnet"),
            ("2026-01-03T10:00:00Z", "haiku"),
        ]);
        let daily = || crate::report::daily(&rows, Zone::utc(), DateRange::ALL);
        let weeks = group(daily(), Grouping::Week(Weekday::Sunday));
        let labels: Vec<_> = weeks.daily.iter().map(|w| w.date.as_str()).collect();
        assert_eq!(labels, ["2025-12-28", "2026-01-04"]);
        assert_eq!(weeks.daily[1].models_used, ["sonnet", "opus", "haiku"]);
        assert_eq!(weeks.daily[1].totals.total_cost, 3.0);
        let monday = group(daily(), Grouping::Week(Weekday::Monday));
        let labels: Vec<_> = monday.daily.iter().map(|w| w.date.as_str()).collect();
        assert_eq!(labels, ["2025-12-29", "2026-01-05"]);
        assert_eq!(monday.daily[0].models_used, ["haiku", "sonnet"]);
        let months = group(daily(), Grouping::Month);
        assert_eq!(months.daily.len(), 1);
        assert_eq!(months.daily[0].date, "2026-01");
        assert_eq!(months.daily[0].models_used, ["haiku", "sonnet", "opus"]);
        assert_eq!(months.daily[0].model_breakdowns[0].model_name, "haiku");
        assert_eq!(months.totals.total_cost, 4.0);
    }
}
