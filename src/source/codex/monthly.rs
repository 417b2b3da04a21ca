//! Days → months, as `ccusage codex monthly` makes them: the reported days (zone and
//! `--since`/`--until` already applied) grouped by their `YYYY-MM`, each model's tokens summed
//! and priced from the month's sums (not the sum of the days' costs: ccusage prices each
//! period from its requests, so a month's cost can differ from its days' in the last bit).

use std::collections::BTreeMap;

use super::group::{CodexReport, Kind, Models};

pub(crate) fn monthly(days: CodexReport) -> CodexReport {
    let mut months: BTreeMap<String, Models> = BTreeMap::new();
    for day in &days.groups {
        let models = months.entry(month_of(&day.label).to_owned()).or_default();
        for m in &day.models {
            models.merge(m);
        }
    }
    let months = (months.into_iter())
        .map(|(month, models)| models.finish(month))
        .collect();
    CodexReport::new(Kind::Monthly, days.zone, months)
}

/// `2026-01-05` → `2026-01` (also for years jiff writes with a sign and six digits).
fn month_of(date: &str) -> &str {
    date.rsplit_once('-').map_or(date, |(month, _)| month)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::report::{DateRange, Zone};
    use crate::source::codex::CodexRow;
    use crate::source::codex::daily::Daily;

    fn row(timestamp_ms: i64, model: &str, input: u64, fast: bool) -> CodexRow {
        CodexRow {
            timestamp_ms,
            written_time: None,
            session_id: "s".into(),
            model: model.into(),
            is_fallback_model: model == "gpt-5",
            input,
            cached_input: 0,
            cache_write: 0,
            output: 10,
            reasoning: 0,
            total: input + 10,
            fast,
            cost_usd: 0.0,
            unpriced: false,
            file: PathBuf::new(),
            line: 1,
        }
    }

    #[test]
    fn months_add_up_their_days_per_model_and_are_priced_from_the_sums() {
        const DAY: i64 = 86_400_000;
        // 2026-01-30, 2026-01-31, 2026-02-01 (UTC).
        let jan30 = 1_769_731_200_000;
        let mut daily = Daily::new(Zone::utc(), DateRange::default());
        for r in [
            row(jan30, "gpt-5.4", 300_000, false),
            row(jan30 + DAY, "gpt-5.4", 100, true),
            row(jan30 + DAY, "gpt-5", 50, false),
            row(jan30 + 2 * DAY, "gpt-5.4", 7, false),
        ] {
            daily.add(&r);
        }
        let days = daily.finish();
        let months = monthly(days.clone());
        let labels: Vec<&str> = months.groups.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(labels, ["2026-01", "2026-02"]);
        let jan = &months.groups[0];
        let names: Vec<&str> = jan.models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["gpt-5", "gpt-5.4"]);
        assert!(jan.models[0].is_fallback && !jan.models[1].is_fallback);
        assert_eq!(jan.sums.input, 300_150);
        // The long request stays long and the fast one fast: the same cost as the days'.
        let days_cost = days.groups[0].cost_usd + days.groups[1].cost_usd;
        assert!((jan.cost_usd - days_cost).abs() < 1e-12, "{jan:?}");
        assert_eq!(months.totals, days.totals);
    }
}
