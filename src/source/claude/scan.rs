//! `ccsync scan`: the whole local pipeline without a server. Every response is de-duplicated
//! and priced as a sync would store it, then reported by [`crate::report`] (days in a time
//! zone, `ccusage claude daily`'s numbers and JSON), so the two can be compared line by line.

use crate::price::CostMode;
use crate::report::rows::Sym;
use crate::report::{DailyReport, Row, Rows, Tokens, listed_model};
use crate::source::claude::collect::{
    Collector, Job, MAX_LINE_BYTES, ParallelScan, Pending, Stats, scan_threads, symbols,
};
use crate::source::claude::discover::{self, TranscriptFile};

pub(crate) struct ScanReport {
    pub report: DailyReport,
    pub local: LocalRows,
}

/// One kept response, reduced to what a report needs.
struct Kept {
    timestamp_ms: i64,
    /// Where the response began in path order (file index above the line): ccusage lists it
    /// there, whichever of its lines is kept.
    began: u64,
    /// The kept line's file (its project and session).
    file: u32,
    model: Model,
    /// Index in `KeptRows::agents`; [`MAIN`] for the main thread.
    agent: u32,
    tokens: Tokens,
    cost: f64,
    version: u64,
}

/// The agent of a main thread's row.
const MAIN: u32 = u32::MAX;

/// A kept response's listed model and whether it could be priced, in 4 bytes (a flag of its
/// own would make every row larger): below the top bit, the model's index in
/// `KeptRows::models` or [`Model::UNLISTED`]; the top bit set where the cost had to be
/// calculated and the model has no price. [`Model::HIDDEN`]: hidden by a tombstone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Model(u32);

impl Model {
    const UNPRICED: u32 = 1 << 31;
    /// The index of a row ccusage lists under no model (`<synthetic>`, none).
    const UNLISTED: u32 = Self::UNPRICED - 2;
    const HIDDEN: Model = Model(Self::UNPRICED - 1);

    /// `index`: in `KeptRows::models`, or [`Model::UNLISTED`].
    fn new(index: u32, unpriced: bool) -> Model {
        debug_assert!(index <= Self::UNLISTED);
        Model(index | if unpriced { Self::UNPRICED } else { 0 })
    }

    /// The index in `KeptRows::models`; `None` for a row listed under no model.
    fn listed(self) -> Option<usize> {
        let i = self.0 & !Self::UNPRICED;
        (i != Self::UNLISTED).then_some(i as usize)
    }

    fn unpriced(self) -> bool {
        self.0 & Self::UNPRICED != 0
    }
}

fn began(pos: crate::source::claude::dedup::Pos) -> u64 {
    (u64::from(pos.file) << 32) | pos.line.min(u64::from(u32::MAX))
}

/// Responses moved out of the collector, keyed like `usage_events` (message.id, request key)
/// and replaced by a higher version as that table's engine does; compact, so scan memory stays
/// small on large trees.
#[derive(Default)]
struct KeptRows {
    /// Key hash → index in `rows`: a table of small entries, cheap to grow.
    index: rustc_hash::FxHashMap<u64, u32>,
    rows: Vec<Kept>,
    /// Listed model names (`<model>-fast` in fast mode).
    models: Vec<String>,
    model_index: rustc_hash::FxHashMap<String, u32>,
    /// Model as written → its index for [standard, fast]: no string built per row.
    by_raw_model: rustc_hash::FxHashMap<Box<str>, [Option<u32>; 2]>,
    /// Subagents: their id (see `crate::report::rows::subagent_of`) and type (`""`: none),
    /// as the collector decided them (`AgentTypes::subagent`).
    agents: Vec<(String, String)>,
    /// (id, type in the collector's strings) → index in `agents`.
    agent_index: rustc_hash::FxHashMap<(String, symbols::Sym), u32>,
}

impl KeptRows {
    /// Two spellings can share a listed name (`x` in fast mode and `x-fast`): one index.
    fn model_for(&mut self, raw: &str, fast: usize) -> u32 {
        let i = match listed_model(raw, fast == 1) {
            None => Model::UNLISTED,
            Some(name) => match self.model_index.get(&name) {
                Some(&i) => i,
                None => {
                    let i = u32::try_from(self.models.len())
                        .ok()
                        .filter(|&i| i < Model::UNLISTED)
                        .expect("fewer than 2^31 - 2 models");
                    self.models.push(name.clone());
                    self.model_index.insert(name, i);
                    i
                }
            },
        };
        self.by_raw_model.entry(raw.into()).or_default()[fast] = Some(i);
        i
    }

    /// The index of the subagent that made `p` ([`MAIN`] for the main thread), with the type
    /// the collector gave its row.
    fn agent_for(&mut self, p: &Pending, strings: &[std::sync::Arc<str>], path: &str) -> u32 {
        let id = symbols::resolve(strings, p.agent_sym());
        let Some(agent) = crate::report::rows::subagent_of(p.is_sidechain, id, path) else {
            return MAIN;
        };
        let key = (agent, p.agent_type_sym());
        if let Some(&i) = self.agent_index.get(&key) {
            return i;
        }
        let i = self.agents.len() as u32;
        let kind = symbols::resolve(strings, key.1).to_string();
        self.agents.push((key.0.clone(), kind));
        self.agent_index.insert(key, i);
        i
    }

    fn take(&mut self, collector: &mut Collector, files: &[TranscriptFile]) {
        let batch = collector.take_batch(SCAN_BATCH);
        for p in &batch.rows {
            let agent = self.agent_for(p, &batch.strings, &files[p.file as usize].source);
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
                    timestamp_ms: p.timestamp_ms,
                    began: began(collector.began_at(p)),
                    file: p.file,
                    model: Model::new(model, p.unknown_model),
                    agent,
                    tokens: Tokens {
                        input: u.input,
                        output: u.output,
                        cache_creation: u.cache_creation,
                        cache_read: u.cache_read,
                    },
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
                    timestamp_ms: 0,
                    began: u64::MAX,
                    file: 0,
                    model: Model::HIDDEN,
                    agent: MAIN,
                    tokens: Tokens::default(),
                    cost: 0.0,
                    version: t.version,
                },
            );
        }
    }

    /// `kept` under `key`, if its version is not older than the row there; the response keeps
    /// the earliest place it began at.
    fn keep(&mut self, key: u64, mut kept: Kept) {
        let next = self.rows.len() as u32;
        let at = *self.index.entry(key).or_insert(next) as usize;
        if at == self.rows.len() {
            self.rows.push(kept);
        } else if kept.version >= self.rows[at].version {
            kept.began = kept.began.min(self.rows[at].began);
            self.rows[at] = kept;
        }
    }

    /// The visible rows as neutral rows, in the order ccusage lists responses; read on
    /// `machine`. Their index is let go first; the new rows are allocated once, exactly.
    fn into_rows(self, files: &[TranscriptFile], machine: &str) -> Rows {
        let KeptRows {
            index,
            rows: kept,
            models,
            agents,
            ..
        } = self;
        drop(index);
        let mut order: Vec<u32> = (0..kept.len() as u32)
            .filter(|&i| kept[i as usize].model != Model::HIDDEN)
            .collect();
        // The index breaks ties as a stable sort would (an advisor entry stays after its
        // line's own), without a stable sort's scratch copy.
        order.sort_unstable_by_key(|&i| (kept[i as usize].began, i));
        let mut rows = Rows::default();
        rows.reserve_exact(order.len());
        let machine = rows.sym(machine);
        // Accounts are a database dimension (`--account`, `--by account`).
        let account = rows.sym("");
        let models: Vec<_> = models.iter().map(|m| rows.sym(m)).collect();
        let agent_syms: Vec<_> = (agents.iter())
            .map(|(id, kind)| (rows.sym(id), (!kind.is_empty()).then(|| rows.sym(kind))))
            .collect();
        // Each file's session and project, interned once.
        let mut by_file: Vec<Option<(Sym, Sym)>> = vec![None; files.len()];
        for i in order {
            let k = &kept[i as usize];
            let file = &files[k.file as usize];
            let (session, project) = *by_file[k.file as usize].get_or_insert_with(|| {
                let (project, session) = crate::report::rows::ccusage_session(&file.source)
                    .unwrap_or_else(|| (file.project.to_string(), file.session_id.to_string()));
                (rows.sym(&session), rows.sym(&project))
            });
            let agent = (k.agent != MAIN).then(|| agent_syms[k.agent as usize]);
            rows.push(Row {
                timestamp_ms: k.timestamp_ms,
                last_ms: k.timestamp_ms,
                model: k.model.listed().map(|m| models[m]),
                agent: agent.map(|a| a.0),
                agent_type: agent.and_then(|a| a.1),
                session,
                project,
                machine,
                account,
                tokens: k.tokens,
                cost_usd: k.cost,
                unpriced: k.model.unpriced(),
                reasoning: 0,
                source: crate::usage::Agent::Claude,
            });
        }
        rows
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

/// What a local read found: the rows and what was read.
pub(crate) struct LocalRows {
    pub rows: Rows,
    pub stats: Stats,
    pub files: usize,
    /// Responses kept, on every day.
    pub messages: usize,
}

impl LocalRows {
    /// What was read, as one line under a table.
    pub(crate) fn summary(&self) -> String {
        let s = &self.stats;
        format!(
            "{} files, {} in {} lines, {} messages, skipped {}",
            crate::table::grouped(self.files as i128),
            crate::table::bytes(s.bytes_read),
            crate::table::grouped(i128::from(s.lines_read)),
            crate::table::grouped(self.messages as i128),
            s.skipped_summary()
        )
    }
}

/// Every transcript under `claude_dirs` as neutral rows, read on `machine`.
pub(crate) fn read_rows(
    claude_dirs: &[std::path::PathBuf],
    cost_mode: CostMode,
    machine: &str,
) -> LocalRows {
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
            kept.take(&mut collector, &files);
        }
    }
    kept.take(&mut collector, &files);
    // What the read holds (most of all the collector's record of every response) is let go
    // before the rows are converted: the two are never held together.
    drop(scanner);
    let stats = collector.into_stats();
    let rows = kept.into_rows(&files, machine);
    LocalRows {
        messages: rows.len(),
        rows,
        stats,
        files: files.len(),
    }
}

/// As ccusage (and sync): no configured folder holding projects/ is a mistake.
pub(crate) fn check_dirs(dirs: &[std::path::PathBuf]) -> crate::Result<()> {
    if !discover::any_projects_dir(dirs) {
        return Err(discover::no_transcript_folders(dirs));
    }
    Ok(())
}

/// Claude Code's transcripts under the configured Claude config dirs.
pub(crate) struct Claude {
    pub dirs: Vec<std::path::PathBuf>,
    pub cost_mode: CostMode,
}

impl crate::source::Source for Claude {
    fn daily(
        &self,
        zone: crate::report::Zone,
        range: crate::report::DateRange,
    ) -> crate::Result<Box<dyn crate::source::DailyReport>> {
        check_dirs(&self.dirs)?;
        let local = read_rows(&self.dirs, self.cost_mode, "");
        Ok(Box::new(ScanReport {
            report: crate::report::daily(&local.rows, zone, range),
            local,
        }))
    }
}

impl crate::source::DailyReport for ScanReport {
    fn json(&self) -> String {
        crate::report::daily_json(&self.report)
    }

    fn print_table(&self) {
        let report = self;
        use crate::table::Kind;
        use serde_json::Value;
        if report.report.daily.is_empty() {
            // ccusage's words for a folder without usage (or none in the range).
            println!("No usage data found.");
            return;
        }
        // The days are those of the zone: the header names it.
        let date = format!("Date ({})", report.report.zone);
        let columns = [
            (date.as_str(), Kind::Text),
            ("Models", Kind::Text),
            ("Input", Kind::Integer),
            ("Output", Kind::Integer),
            ("Cache create", Kind::Integer),
            ("Cache read", Kind::Integer),
            ("Total tokens", Kind::Integer),
            ("Cost", Kind::Money),
        ]
        .map(|(name, kind)| (name.to_string(), kind));
        let row = |label: &str, models: String, t: &crate::report::Totals| {
            vec![
                Value::from(label),
                Value::from(models),
                Value::from(t.input_tokens),
                Value::from(t.output_tokens),
                Value::from(t.cache_creation_tokens),
                Value::from(t.cache_read_tokens),
                Value::from(t.total_tokens),
                Value::from(t.total_cost),
            ]
        };
        let mut rows: Vec<Vec<Value>> = report
            .report
            .daily
            .iter()
            .map(|day| row(&day.date, day.models_used.join("\n"), &day.totals))
            .collect();
        rows.push(row("Total", String::new(), &report.report.totals));
        print!(
            "{}",
            crate::table::render(&columns, &rows, crate::table::output_width())
        );
        println!("{}", report.local.summary());
    }
}

#[cfg(test)]
mod tests {
    use super::{Kept, Model};

    #[test]
    fn a_kept_response_is_compact() {
        // Held for every response of the tree until the read ends (tokens stay u64).
        assert!(size_of::<Kept>() <= 80, "{}", size_of::<Kept>());
    }

    #[test]
    fn a_model_keeps_its_index_and_its_price_flag_apart() {
        for unpriced in [false, true] {
            let m = Model::new(7, unpriced);
            assert_eq!((m.listed(), m.unpriced()), (Some(7), unpriced));
            let none = Model::new(Model::UNLISTED, unpriced);
            assert_eq!((none.listed(), none.unpriced()), (None, unpriced));
            assert_ne!(m, Model::HIDDEN);
            assert_ne!(none, Model::HIDDEN);
        }
        let last = Model::new(Model::UNLISTED - 1, true);
        assert_eq!(last.listed(), Some(Model::UNLISTED as usize - 1));
        assert_ne!(last, Model::HIDDEN);
    }
}
