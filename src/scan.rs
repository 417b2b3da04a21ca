//! `ccsync scan`: the whole local pipeline without a server, aggregated per UTC day the way
//! `ccusage daily --json` reports, so the two can be compared line by line.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::collect::{Collector, Job, ParallelScan, Stats, scan_threads};
use crate::discover;
use crate::price::{self, CostMode};

#[derive(Debug, Default, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_tokens: u64,
    pub cache_read_tokens: u64,
    pub total_tokens: u64,
    pub total_cost: f64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelBreakdown {
    pub model_name: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_tokens: u64,
    pub cache_read_tokens: u64,
    pub cost: f64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Day {
    pub date: String,
    #[serde(flatten)]
    pub totals: Totals,
    pub models_used: Vec<String>,
    pub model_breakdowns: Vec<ModelBreakdown>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    pub daily: Vec<Day>,
    pub totals: Totals,
    #[serde(skip)]
    pub stats: Stats,
    #[serde(skip)]
    pub files: usize,
    #[serde(skip)]
    pub messages: usize,
}

impl Totals {
    fn add(&mut self, e: &crate::parse::Usage, cost: f64) {
        self.input_tokens += e.input;
        self.output_tokens += e.output;
        self.cache_creation_tokens += e.cache_creation;
        self.cache_read_tokens += e.cache_read;
        self.total_tokens += e.input + e.output + e.cache_creation + e.cache_read;
        self.total_cost += cost;
    }
}

/// `YYYY-MM-DD` of a Unix millisecond timestamp, in UTC.
pub fn utc_date(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Inverse of `parse::days_from_civil` (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

pub fn scan(claude_dirs: &[std::path::PathBuf], cost_mode: CostMode) -> ScanReport {
    let found = discover::discover(claude_dirs);
    let mut collector = Collector::new(cost_mode);
    collector.stats.files_scanned = found.files.len() as u64;
    collector.stats.files_changed = found.files.len() as u64;
    let files = std::sync::Arc::new(found.files);
    let jobs = (0..files.len())
        .map(|file| Job {
            file,
            offset: 0,
            line_no: 0,
            tail: Vec::new(),
        })
        .collect();
    let mut scanner = ParallelScan::start(files.clone(), jobs, scan_threads(), collector.max_line);
    while let Some((index, result)) = scanner.recv() {
        match result {
            Ok(scan) => {
                collector.absorb(index, &files[index], scan);
            }
            Err(e) => {
                collector.stats.files_failed += 1;
                tracing::warn!("skipped {e}");
            }
        }
    }
    let mut days: BTreeMap<String, (Totals, BTreeMap<String, ModelBreakdown>)> = BTreeMap::new();
    let mut totals = Totals::default();
    for p in &collector.pending {
        let e = &p.entry;
        let (day, models) = days.entry(utc_date(e.timestamp_ms)).or_default();
        day.add(&e.usage, p.cost_usd);
        totals.add(&e.usage, p.cost_usd);
        let name = price::display_model(&e.model, e.is_fast());
        let m = models
            .entry(name.clone())
            .or_insert_with(|| ModelBreakdown {
                model_name: name,
                input_tokens: 0,
                output_tokens: 0,
                cache_creation_tokens: 0,
                cache_read_tokens: 0,
                cost: 0.0,
            });
        m.input_tokens += e.usage.input;
        m.output_tokens += e.usage.output;
        m.cache_creation_tokens += e.usage.cache_creation;
        m.cache_read_tokens += e.usage.cache_read;
        m.cost += p.cost_usd;
    }
    let daily = days
        .into_iter()
        .map(|(date, (totals, models))| Day {
            date,
            totals,
            models_used: models.keys().cloned().collect(),
            model_breakdowns: models.into_values().collect(),
        })
        .collect();
    ScanReport {
        daily,
        totals,
        stats: collector.stats,
        files: files.len(),
        messages: collector.pending.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_with_civil_days() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(1_709_251_199_999), "2024-02-29");
        assert_eq!(utc_date(1_709_251_200_000), "2024-03-01");
        assert_eq!(utc_date(-1), "1969-12-31");
        for days in [-800_000, -1, 0, 59, 10_956, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(crate::parse::days_from_civil(y, m, d), days);
        }
    }
}
