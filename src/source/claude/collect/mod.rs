//! The read → parse → dedup → price stages for a set of files, without any network: shared by
//! `scan` (everything, in memory) and `sync` (incremental, stored in batches).
//!
//! - [`scan`]: the parallel half: files read and parsed on several threads, in order.
//! - [`Collector`]: the sequential half: each file's entries in path order, de-duplicated by
//!   [`crate::source::claude::dedup`] (seeded with the rows earlier runs stored), priced, and held as compact
//!   pending rows until a [`Batch`] is taken to be stored.

mod rows;
mod scan;
mod stats;
pub mod symbols;

use std::collections::BTreeSet;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::price::{self, CostMode};
use crate::source::claude::agent_meta::AgentTypes;
use crate::source::claude::dedup::{Decision, Deduper, Pos, Seen, StoredRow};
use crate::source::claude::discover::TranscriptFile;
use crate::source::claude::parse::Entry;
use crate::time::bucket_of;

pub use rows::{Hidden, Pending, marker_row};
pub use scan::{FileRead, FileScan, Job, ParallelScan, Scanned, Unkeyed, scan_file, scan_threads};
pub use stats::Stats;
pub use symbols::{AGENT_ID, AGENT_TYPE, STRING_FIELDS, Sym, Symbols};

/// Lines longer than this are reduced to their skeleton instead of being held whole.
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// Rows taken to be stored together: the responses, the tombstones they make and the markers
/// of sessions responses were seen in, with the 15-minute buckets the responses and tombstones
/// fall in (what the rollup must recompute).
#[derive(Debug)]
pub struct Batch {
    pub rows: Vec<Pending>,
    pub hidden: Vec<Hidden>,
    pub seen: Vec<Seen>,
    pub strings: Arc<[Arc<str>]>,
    pub buckets: BTreeSet<i64>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Rows sent to `usage_events` (responses, tombstones and markers).
    pub fn len(&self) -> usize {
        self.rows.len() + self.hidden.len() + self.seen.len()
    }
}

/// The de-duplication and pricing of a run's entries, in file order. See the module doc.
pub struct Collector {
    cost_mode: CostMode,
    privacy: crate::privacy::Privacy,
    paths: crate::privacy::PathCache,
    dedup: Deduper,
    symbols: Symbols,
    pending: Vec<Pending>,
    stats: Stats,
    /// Responses whose stored row was beaten by a later line of this run or an earlier one.
    superseded: u64,
    /// Repeats of lines without message.id already stored, by line identity: a read from a
    /// checkpoint numbers its repeats on from there.
    stored_repeats: FxHashMap<u64, u32>,
    /// The buckets of every entry read, not only of the rows stored (after lost checkpoints:
    /// the rollup buckets the lost state still owed are among them).
    every_bucket: Option<BTreeSet<i64>>,
    /// The subagents' meta files read so far (each once per run).
    agent_types: AgentTypes,
    /// The subagent type of each (file index, isSidechain, agentId) a row was kept for.
    agent_type_of: FxHashMap<(u32, bool, Sym), Arc<str>>,
    /// The type of rows without one.
    no_type: Arc<str>,
}

impl Collector {
    pub fn new(cost_mode: CostMode, privacy: crate::privacy::Privacy) -> Self {
        Collector {
            cost_mode,
            privacy,
            paths: crate::privacy::PathCache::default(),
            dedup: Deduper::new(),
            symbols: Symbols::default(),
            pending: Vec::new(),
            stats: Stats::default(),
            superseded: 0,
            stored_repeats: FxHashMap::default(),
            every_bucket: None,
            agent_types: AgentTypes::default(),
            agent_type_of: FxHashMap::default(),
            no_type: Arc::from(""),
        }
    }

    /// From now on every entry's bucket is part of the next batch's buckets.
    pub fn refresh_every_bucket(&mut self) {
        self.every_bucket.get_or_insert_with(BTreeSet::new);
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    pub fn stats_mut(&mut self) -> &mut Stats {
        &mut self.stats
    }

    pub fn into_stats(self) -> Stats {
        self.stats
    }

    pub fn superseded(&self) -> u64 {
        self.superseded
    }

    /// Rows waiting for the next batch.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// What must be looked up in the database before `scan` is absorbed: its message ids not
    /// seen in this run, and (for a read from a checkpoint) the identities of its lines
    /// without message.id whose stored repeats are not known yet.
    pub fn unknown(&self, scan: &FileScan, message_ids: &mut Vec<Box<str>>, lines: &mut Vec<u64>) {
        for s in &scan.entries {
            match (&s.entry.message_id, s.unkeyed) {
                (Some(m), _) if !self.dedup.knows(m) => message_ids.push(m.clone()),
                (None, Some(u))
                    if !scan.from_start && !self.stored_repeats.contains_key(&u.base) =>
                {
                    lines.push(u.base)
                }
                _ => {}
            }
        }
    }

    /// The rows earlier runs stored for `message_id`.
    pub fn seed(&mut self, message_id: &str, rows: &[StoredRow<'_>]) {
        self.dedup.seed(message_id, rows);
    }

    /// How many repeats of the line identity `base` are stored.
    pub fn seed_repeats(&mut self, base: u64, stored: u32) {
        self.stored_repeats.insert(base, stored);
    }

    /// The sequential half of reading a file: de-duplication and pricing, in file order.
    pub fn absorb(&mut self, index: usize, file: &TranscriptFile, scan: FileScan) -> FileRead {
        self.stats.merge(scan.stats);
        for s in scan.entries {
            self.offer(index, file, s, scan.from_start);
        }
        scan.read
    }

    fn offer(&mut self, index: usize, file: &TranscriptFile, s: Scanned, from_start: bool) {
        let Scanned {
            mut entry,
            line_no,
            unkeyed,
        } = s;
        self.stats.entries += 1;
        if !plausible_time(entry.timestamp_ms) {
            self.stats.odd_timestamps += 1;
        }
        if entry.session_id.is_empty() {
            entry.session_id = file.session_id.clone();
        }
        entry.cwd = self.paths.get(&self.privacy, &entry.cwd);
        if self.privacy.drop_git_branch {
            entry.git_branch = Arc::from("");
        }
        if let Some(buckets) = &mut self.every_bucket {
            buckets.insert(bucket_of(entry.timestamp_ms));
        }
        let pos = Pos {
            file: u32::try_from(index).expect("fewer than 2^32 files"),
            line: line_no,
        };
        // ccusage compares costs when totals tie: every line is priced before it is decided on.
        let cost = self.cost_of(&entry);
        let decision = self.dedup.offer(&entry, cost.usd, pos, self.pending.len());
        self.cancel_beaten();
        let slot = match decision {
            Decision::Drop => {
                self.stats.duplicates += 1;
                return;
            }
            Decision::Unkeyed => None,
            Decision::New(slot) => Some(slot),
            Decision::Replace { index } => {
                self.stats.duplicates += 1;
                self.pending[index].slot
            }
            Decision::Supersede(slot) => {
                self.stats.duplicates += 1;
                self.superseded += 1;
                Some(slot)
            }
        };
        if cost.unknown_model {
            *self
                .stats
                .unknown_models
                .entry(entry.model.to_string())
                .or_default() += 1;
        }
        let key = self.key_of(&entry, unkeyed, from_start);
        let agent_type = self.agent_type(index, file, &entry);
        let mut pending = Pending::new(&entry, &key, &agent_type, &mut self.symbols, index);
        (pending.cost_usd, pending.unknown_model) = (cost.usd, cost.unknown_model);
        (pending.line_no, pending.slot) = (line_no, slot);
        match decision {
            Decision::Replace { index } => self.pending[index] = pending,
            _ => self.pending.push(pending),
        }
    }

    /// The type of the subagent a kept `entry` of file `index` belongs to, `""` for the main
    /// thread or where Claude Code recorded none: [`AgentTypes::subagent`] (the one rule, for
    /// the rows a sync stores and those a local report reads), asked once per file and agent.
    fn agent_type(&mut self, index: usize, file: &TranscriptFile, entry: &Entry) -> Arc<str> {
        let agent = self.symbols.intern(AGENT_ID, &entry.agent_id);
        let key = (index as u32, entry.is_sidechain, agent);
        if let Some(kind) = self.agent_type_of.get(&key) {
            return kind.clone();
        }
        let kind = (self.agent_types)
            .subagent(entry.is_sidechain, &entry.agent_id, &file.path)
            .and_then(|s| s.kind)
            .unwrap_or_else(|| self.no_type.clone());
        self.agent_type_of.insert(key, kind.clone());
        kind
    }

    /// Marks the pending rows stored rows of earlier runs beat when they took part.
    fn cancel_beaten(&mut self) {
        for index in self.dedup.take_cancelled() {
            self.pending[index].cancelled = true;
            self.stats.duplicates += 1;
        }
    }

    /// Everything was read: the stored rows no line of this run came after take part now.
    pub fn finish(&mut self) {
        self.dedup.finish();
        self.cancel_beaten();
    }

    /// The row key of a kept entry: its requestId; for a line without one, the message.id's
    /// session and time (what ccusage merges such lines by); for a line without message.id,
    /// its identity in its file (see [`Unkeyed`]).
    fn key_of<'e>(
        &self,
        entry: &'e Entry,
        unkeyed: Option<Unkeyed>,
        from_start: bool,
    ) -> std::borrow::Cow<'e, str> {
        if let Some(u) = unkeyed {
            let stored = if from_start {
                0
            } else {
                self.stored_repeats.get(&u.base).copied().unwrap_or(0)
            };
            return match stored + u.repeat {
                0 => format!("~l:{:016x}", u.base),
                n => format!("~l:{:016x}.{n}", u.base),
            }
            .into();
        }
        match &entry.request_id {
            Some(r) => (&**r).into(),
            None => format!("~{}@{}", entry.session_id, entry.timestamp_ms).into(),
        }
    }

    /// The cost of `entry` in the run's cost mode.
    fn cost_of(&self, entry: &Entry) -> price::Cost {
        let tokens = price::TokenCounts {
            input: entry.usage.input,
            output: entry.usage.output,
            cache_creation_5m: entry.usage.cache_creation_5m,
            cache_creation_1h: entry.usage.cache_creation_1h,
            cache_read: entry.usage.cache_read,
        };
        price::message_cost(
            self.cost_mode,
            entry.reported_cost_usd,
            &entry.model,
            &tokens,
            entry.is_fast(),
        )
    }

    /// Where the response of `row` (a row of a batch this collector gave) began in path order:
    /// the place ccusage's reports list it at (a line without message.id is its own response).
    pub fn began_at(&self, row: &Pending) -> Pos {
        match row.slot {
            Some(slot) => self.dedup.began_at(slot),
            None => Pos {
                file: row.file,
                line: row.line_no,
            },
        }
    }

    /// Takes the pending rows to be stored: settles each one's version and the tombstones of
    /// the stored rows they replace. `capacity`: rows the next batch is expected to hold.
    pub fn take_batch(&mut self, capacity: usize) -> Batch {
        if self.dedup.has_deferred() {
            for p in &self.pending {
                if let Some(slot) = p.slot {
                    self.dedup.before_settle(slot, p.request_id());
                }
            }
            self.cancel_beaten();
        }
        let mut rows = std::mem::replace(&mut self.pending, Vec::with_capacity(capacity));
        rows.retain(|p| !p.cancelled);
        let mut buckets = self
            .every_bucket
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        let mut hidden = Vec::new();
        for p in &mut rows {
            buckets.insert(bucket_of(p.timestamp_ms));
            let Some(slot) = p.slot else { continue };
            let settled = self.dedup.settle(slot, p.request_id(), p.timestamp_ms);
            p.rev = crate::source::claude::dedup::revision(settled.version, p.rank());
            if let Some(tombstone) = settled.tombstone {
                buckets.insert(bucket_of(tombstone.timestamp_ms));
                hidden.push(Hidden {
                    message_id: p.message_id().into(),
                    tombstone,
                });
            }
        }
        for (message_id, tombstone) in self.dedup.take_repairs() {
            buckets.insert(bucket_of(tombstone.timestamp_ms));
            hidden.push(Hidden {
                message_id,
                tombstone,
            });
        }
        Batch {
            rows,
            hidden,
            seen: self.dedup.take_seen(),
            strings: self.symbols.snapshot(),
            buckets,
        }
    }
}

/// 2023-01-01 (before Claude Code) to a day from now.
fn plausible_time(ms: i64) -> bool {
    const START_2023_MS: i64 = 1_672_531_200_000;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(i64::MAX, |d| d.as_millis() as i64);
    (START_2023_MS..=now.saturating_add(86_400_000)).contains(&ms)
}

#[cfg(test)]
mod tests;
