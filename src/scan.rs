//! `ccsync scan`: the whole local pipeline without a server, aggregated per UTC day the way
//! `ccusage daily --json` reports, so the two can be compared line by line.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::collect::{Collector, Job, MAX_LINE_BYTES, ParallelScan, Stats, scan_threads, symbols};
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
        // Saturating, as ccusage sums: hostile lines may carry counts near u64::MAX.
        self.input_tokens = self.input_tokens.saturating_add(e.input);
        self.output_tokens = self.output_tokens.saturating_add(e.output);
        self.cache_creation_tokens = self.cache_creation_tokens.saturating_add(e.cache_creation);
        self.cache_read_tokens = self.cache_read_tokens.saturating_add(e.cache_read);
        self.total_tokens = self.total_tokens.saturating_add(e.total());
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

/// One kept response, reduced to what the daily report needs.
struct Kept {
    day: i32,
    /// Index in `KeptRows::models`; [`HIDDEN`] for a row a tombstone hides.
    model: u32,
    /// input, output, cache creation, cache read.
    tokens: [u64; 4],
    cost: f64,
    version: u64,
}

/// The model of a row hidden by a tombstone (a flag of its own would make every row 8 bytes
/// larger).
const HIDDEN: u32 = u32::MAX;

impl Kept {
    fn hidden(&self) -> bool {
        self.model == HIDDEN
    }
}

/// Responses moved out of the collector, keyed like `usage_events` (message.id, request key)
/// and replaced by a higher version as that table's engine does; compact, so scan memory stays
/// small on large trees.
#[derive(Default)]
struct KeptRows {
    /// Key hash → index in `rows`: a table of small entries, cheap to grow.
    index: rustc_hash::FxHashMap<u64, u32>,
    rows: Vec<Kept>,
    models: Vec<String>,
    model_index: rustc_hash::FxHashMap<String, u32>,
    /// Model as written → its index for [standard, fast]: no string built per row.
    by_raw_model: rustc_hash::FxHashMap<Box<str>, [Option<u32>; 2]>,
}

impl KeptRows {
    /// Two spellings can share a display name (`x` in fast mode and `x-fast`): one index.
    fn model_for(&mut self, raw: &str, fast: usize) -> u32 {
        let name = price::display_model(raw, fast == 1);
        let i = match self.model_index.get(&name) {
            Some(&i) => i,
            None => {
                let i = self.models.len() as u32;
                self.models.push(name.clone());
                self.model_index.insert(name, i);
                i
            }
        };
        self.by_raw_model.entry(raw.into()).or_default()[fast] = Some(i);
        i
    }

    fn take(&mut self, collector: &mut Collector) {
        let batch = collector.take_batch(SCAN_BATCH);
        for p in &batch.rows {
            let fast = usize::from(p.is_fast);
            let raw = symbols::resolve(&batch.strings, p.model_sym());
            let model = match self.by_raw_model.get(raw).and_then(|m| m[fast]) {
                Some(i) => i,
                None => self.model_for(raw, fast),
            };
            let u = &p.usage;
            self.keep(
                key_of(p.message_id(), p.request_id()),
                Kept {
                    day: p.timestamp_ms.div_euclid(86_400_000) as i32,
                    model,
                    tokens: [u.input, u.output, u.cache_creation, u.cache_read],
                    cost: p.cost_usd,
                    version: p.version(),
                },
            );
        }
        // As the table's engine: a tombstone replaces its row like a newer version would.
        for h in &batch.hidden {
            let t = &h.tombstone;
            self.keep(
                key_of(&h.message_id, &t.request_id),
                Kept {
                    day: 0,
                    model: HIDDEN,
                    tokens: [0; 4],
                    cost: 0.0,
                    version: t.version,
                },
            );
        }
    }

    /// `kept` under `key`, if its version is not older than the row there.
    fn keep(&mut self, key: u64, kept: Kept) {
        let next = self.rows.len() as u32;
        let at = *self.index.entry(key).or_insert(next) as usize;
        if at == self.rows.len() {
            self.rows.push(kept);
        } else if kept.version >= self.rows[at].version {
            self.rows[at] = kept;
        }
    }
}

fn key_of(message_id: &str, request_id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(
        request_id.as_bytes(),
        xxhash_rust::xxh3::xxh3_64(message_id.as_bytes()),
    )
}

/// Rows pending in the collector before they are moved into the compact form.
const SCAN_BATCH: usize = 5_000;

pub fn scan(claude_dirs: &[std::path::PathBuf], cost_mode: CostMode) -> ScanReport {
    let found = discover::discover(claude_dirs);
    let mut collector = Collector::new(cost_mode, Default::default());
    collector.stats_mut().files_scanned = found.files.len() as u64;
    collector.stats_mut().files_changed = found.files.len() as u64;
    let files = std::sync::Arc::new(found.files);
    let jobs = (0..files.len()).map(Job::whole_file).collect();
    let mut kept = KeptRows::default();
    let mut scanner = ParallelScan::start(files.clone(), jobs, scan_threads(), MAX_LINE_BYTES);
    while let Some((index, result)) = scanner.recv_blocking() {
        match result {
            Ok(scan) => {
                collector.absorb(index, &files[index], scan);
            }
            Err(e) => {
                collector.stats_mut().files_failed += 1;
                tracing::warn!("skipped {e}");
            }
        }
        if collector.pending() >= SCAN_BATCH {
            kept.take(&mut collector);
        }
    }
    kept.take(&mut collector);
    let mut days: BTreeMap<i32, (Totals, BTreeMap<u32, ModelBreakdown>)> = BTreeMap::new();
    let mut totals = Totals::default();
    for k in kept.rows.iter().filter(|k| !k.hidden()) {
        let [input, output, cache_creation, cache_read] = k.tokens;
        let usage = crate::parse::Usage {
            input,
            output,
            cache_creation,
            cache_read,
            ..Default::default()
        };
        let (day, models) = days.entry(k.day).or_default();
        day.add(&usage, k.cost);
        totals.add(&usage, k.cost);
        let m = models.entry(k.model).or_insert_with(|| ModelBreakdown {
            model_name: kept.models[k.model as usize].clone(),
            input_tokens: 0,
            output_tokens: 0,
            cache_creation_tokens: 0,
            cache_read_tokens: 0,
            cost: 0.0,
        });
        m.input_tokens = m.input_tokens.saturating_add(input);
        m.output_tokens = m.output_tokens.saturating_add(output);
        m.cache_creation_tokens = m.cache_creation_tokens.saturating_add(cache_creation);
        m.cache_read_tokens = m.cache_read_tokens.saturating_add(cache_read);
        m.cost += k.cost;
    }
    let daily = days
        .into_iter()
        .map(|(day, (totals, models))| {
            let mut breakdowns: Vec<ModelBreakdown> = models.into_values().collect();
            breakdowns.sort_by(|a, b| a.model_name.cmp(&b.model_name));
            Day {
                date: utc_date(i64::from(day) * 86_400_000),
                totals,
                models_used: breakdowns.iter().map(|m| m.model_name.clone()).collect(),
                model_breakdowns: breakdowns,
            }
        })
        .collect();
    ScanReport {
        daily,
        totals,
        messages: kept.rows.iter().filter(|k| !k.hidden()).count(),
        stats: collector.into_stats(),
        files: files.len(),
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
