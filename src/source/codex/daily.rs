//! Rows → days, as `ccusage codex daily` sums them: per day in the report's zone, within
//! `--since`/`--until`, per model ([`super::group`]). Months are made of these days
//! ([`super::monthly`]).

use std::collections::BTreeMap;

use jiff::civil::Date;

use super::group::{CodexReport, Kind, Models};
use super::rows::CodexRow;
use crate::report::{DateRange, Zone};

/// The aggregation of one report.
pub(crate) struct Daily {
    zone: Zone,
    range: DateRange,
    days: BTreeMap<Date, Models>,
}

impl Daily {
    pub(crate) fn new(zone: Zone, range: DateRange) -> Daily {
        Daily {
            zone,
            range,
            days: BTreeMap::new(),
        }
    }

    pub(crate) fn add(&mut self, row: &CodexRow) {
        let day = self.zone.day_of(row.timestamp_ms);
        if self.range.contains(day) {
            self.days.entry(day).or_default().add(row);
        }
    }

    /// The days, oldest first (ccusage's order, whatever `--order` says).
    pub(crate) fn finish(self) -> CodexReport {
        let days = (self.days.into_iter())
            .map(|(date, models)| models.finish(date.to_string()))
            .collect();
        CodexReport::new(Kind::Daily, self.zone.name().to_owned(), days)
    }
}
