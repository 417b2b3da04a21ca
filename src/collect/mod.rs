//! The read → parse → dedup → price stages for a set of files, without any network: shared by
//! `scan` (everything, in memory) and `sync` (incremental, stored in batches).
//!
//! - [`scan`]: the parallel half: files read and parsed on several threads, in order.
//! - [`Collector`]: the sequential half: each file's entries in path order, de-duplicated by
//!   [`crate::dedup`] (seeded with the rows earlier runs stored), priced, and held as compact
//!   pending rows until a [`Batch`] is taken to be stored.

mod scan;
mod stats;
pub mod symbols;

use std::collections::BTreeSet;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::dedup::{Decision, Deduper, Pos, Rank, Seen, SlotRef, StoredRow, Tombstone};
use crate::discover::TranscriptFile;
use crate::parse::Entry;
use crate::price::{self, CostMode};
use crate::rollup::bucket_of;
use crate::sink::UsageRow;

pub use scan::{FileRead, FileScan, Job, ParallelScan, Scanned, Unkeyed, scan_file, scan_threads};
pub use stats::Stats;
pub use symbols::{STRING_FIELDS, Sym, Symbols};

/// Lines longer than this are reduced to their skeleton instead of being held whole.
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// One de-duplicated, priced response waiting to be stored. Compact (a batch holds tens of
/// thousands): shared strings as [`Sym`]s, both ids in one allocation.
#[derive(Debug, Clone)]
pub struct Pending {
    pub timestamp_ms: i64,
    /// message.id followed by the row's key (its requestId, or a synthetic key).
    ids: Box<str>,
    message_id_len: u32,
    /// model, session_id, cwd, claude_version, git_branch, agent_id, service_tier, speed.
    strings: [Sym; STRING_FIELDS],
    pub usage: crate::parse::Usage,
    pub reported_cost_usd: Option<f64>,
    pub is_sidechain: bool,
    pub is_api_error: bool,
    pub is_fast: bool,
    pub has_speed: bool,
    pub unknown_model: bool,
    /// The row's revision above its rank (see `dedup`), known once the batch is taken.
    rev: u8,
    /// Its response's slot in the de-duplication (none for a line without message.id).
    slot: Option<SlotRef>,
    /// Index into the run's file list.
    pub file: u32,
    pub line_no: u64,
    pub cost_usd: f64,
}

impl Pending {
    /// `entry` stored under `key`, with the strings it shares interned.
    fn new(entry: &Entry, key: &str, symbols: &mut Symbols, file: usize) -> Self {
        let message_id = entry.message_id.as_deref().unwrap_or("");
        let mut ids = String::with_capacity(message_id.len() + key.len());
        ids.push_str(message_id);
        ids.push_str(key);
        let strings = [
            &entry.model,
            &entry.session_id,
            &entry.cwd,
            &entry.claude_version,
            &entry.git_branch,
            &entry.agent_id,
            &entry.service_tier,
            &entry.speed,
        ];
        Pending {
            timestamp_ms: entry.timestamp_ms,
            ids: ids.into_boxed_str(),
            message_id_len: u32::try_from(message_id.len()).expect("a line is under 4 GiB"),
            strings: std::array::from_fn(|i| symbols.intern(i, strings[i])),
            usage: entry.usage,
            reported_cost_usd: entry.reported_cost_usd,
            is_sidechain: entry.is_sidechain,
            is_api_error: entry.is_api_error,
            is_fast: entry.is_fast(),
            has_speed: entry.has_speed,
            unknown_model: false,
            rev: 0,
            slot: None,
            file: u32::try_from(file).expect("fewer than 2^32 files"),
            line_no: 0,
            cost_usd: 0.0,
        }
    }

    pub fn message_id(&self) -> &str {
        &self.ids[..self.message_id_len as usize]
    }

    /// The row's key: `request_id` in `usage_events`.
    pub fn request_id(&self) -> &str {
        &self.ids[self.message_id_len as usize..]
    }

    pub fn model_sym(&self) -> Sym {
        self.strings[0]
    }

    pub fn rank(&self) -> Rank {
        Rank {
            non_sidechain: !self.is_sidechain,
            total: self.usage.total(),
            has_speed: self.has_speed,
        }
    }

    /// The `version` the row is stored under.
    pub fn version(&self) -> u64 {
        self.rank().version() + u64::from(self.rev)
    }

    /// The row as stored; `strings` is a [`Symbols::snapshot`] taken after this row was made.
    pub fn row<'a>(
        &'a self,
        files: &'a [TranscriptFile],
        strings: &'a [Arc<str>],
        machine_name: &'a str,
        cost_mode: &'a str,
        ingested_at: i64,
    ) -> UsageRow<'a> {
        let f = &files[self.file as usize];
        let s = |i: usize| symbols::resolve(strings, self.strings[i]);
        UsageRow {
            machine_name,
            source: crate::CLAUDE_SOURCE,
            message_id: self.message_id(),
            request_id: self.request_id(),
            timestamp: self.timestamp_ms,
            session_id: s(1),
            project: &f.project,
            cwd: s(2),
            git_branch: s(4),
            claude_version: s(3),
            model: s(0),
            speed: s(7),
            service_tier: s(6),
            is_sidechain: self.is_sidechain,
            is_api_error: self.is_api_error,
            agent_id: s(5),
            input_tokens: self.usage.input,
            output_tokens: self.usage.output,
            cache_creation_input_tokens: self.usage.cache_creation,
            cache_creation_5m_input_tokens: self.usage.cache_creation_5m,
            cache_creation_1h_input_tokens: self.usage.cache_creation_1h,
            cache_read_input_tokens: self.usage.cache_read,
            web_search_requests: self.usage.web_search_requests,
            cost_usd: self.cost_usd,
            reported_cost_usd: self.reported_cost_usd,
            cost_mode,
            unknown_model: self.unknown_model,
            source_file: &f.source,
            source_line: self.line_no,
            version: self.version(),
            is_deleted: 0,
            ingested_at,
            agent_version: crate::AGENT_VERSION,
        }
    }
}

/// A tombstone with the message id of the row it hides.
#[derive(Debug, Clone)]
pub struct Hidden {
    pub message_id: Box<str>,
    pub tombstone: Tombstone,
}

impl Hidden {
    /// The tombstone row: the hidden row's key and time, `is_deleted`, nothing else.
    pub fn row<'a>(&'a self, machine_name: &'a str, ingested_at: i64) -> UsageRow<'a> {
        let t = &self.tombstone;
        hidden_row(
            machine_name,
            &self.message_id,
            &t.request_id,
            t.timestamp_ms,
            "",
            t.version,
            ingested_at,
        )
    }
}

/// A marker's row (see `dedup`): hidden from the start, version 0, dated at the epoch so that
/// all markers share a partition.
pub fn marker_row<'a>(seen: &'a Seen, machine_name: &'a str, ingested_at: i64) -> UsageRow<'a> {
    hidden_row(
        machine_name,
        &seen.message_id,
        &seen.key,
        0,
        &seen.session_id,
        0,
        ingested_at,
    )
}

/// A row that only carries a key (and a session): `is_deleted`, no tokens, no cost.
fn hidden_row<'a>(
    machine_name: &'a str,
    message_id: &'a str,
    request_id: &'a str,
    timestamp: i64,
    session_id: &'a str,
    version: u64,
    ingested_at: i64,
) -> UsageRow<'a> {
    {
        UsageRow {
            machine_name,
            source: crate::CLAUDE_SOURCE,
            message_id,
            request_id,
            timestamp,
            session_id,
            project: "",
            cwd: "",
            git_branch: "",
            claude_version: "",
            model: "",
            speed: "",
            service_tier: "",
            is_sidechain: false,
            is_api_error: false,
            agent_id: "",
            input_tokens: 0,
            output_tokens: 0,
            cache_creation_input_tokens: 0,
            cache_creation_5m_input_tokens: 0,
            cache_creation_1h_input_tokens: 0,
            cache_read_input_tokens: 0,
            web_search_requests: 0,
            cost_usd: 0.0,
            reported_cost_usd: None,
            cost_mode: "",
            unknown_model: false,
            source_file: "",
            source_line: 0,
            version,
            is_deleted: 1,
            ingested_at,
            agent_version: crate::AGENT_VERSION,
        }
    }
}

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
        let decision = self.dedup.offer(&entry, pos, self.pending.len());
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
        let key = self.key_of(&entry, unkeyed, from_start);
        let pending = Pending {
            line_no,
            slot,
            ..self.priced(&entry, &key, index)
        };
        match decision {
            Decision::Replace { index } => self.pending[index] = pending,
            _ => self.pending.push(pending),
        }
    }

    /// The row key of a kept entry: its requestId; for a line without one, the message.id's
    /// session and time (what ccusage merges such lines by); for a line without message.id,
    /// its identity in its file (see [`Unkeyed`]).
    fn key_of(&self, entry: &Entry, unkeyed: Option<Unkeyed>, from_start: bool) -> String {
        if let Some(u) = unkeyed {
            let stored = if from_start {
                0
            } else {
                self.stored_repeats.get(&u.base).copied().unwrap_or(0)
            };
            return match stored + u.repeat {
                0 => format!("~l:{:016x}", u.base),
                n => format!("~l:{:016x}.{n}", u.base),
            };
        }
        match &entry.request_id {
            Some(r) => r.to_string(),
            None => format!("~{}@{}", entry.session_id, entry.timestamp_ms),
        }
    }

    fn priced(&mut self, entry: &Entry, key: &str, index: usize) -> Pending {
        let tokens = price::TokenCounts {
            input: entry.usage.input,
            output: entry.usage.output,
            cache_creation_5m: entry.usage.cache_creation_5m,
            cache_creation_1h: entry.usage.cache_creation_1h,
            cache_read: entry.usage.cache_read,
        };
        let cost = price::message_cost(
            self.cost_mode,
            entry.reported_cost_usd,
            &entry.model,
            &tokens,
            entry.is_fast(),
        );
        if cost.unknown_model {
            *self
                .stats
                .unknown_models
                .entry(entry.model.to_string())
                .or_default() += 1;
        }
        Pending {
            cost_usd: cost.usd,
            unknown_model: cost.unknown_model,
            ..Pending::new(entry, key, &mut self.symbols, index)
        }
    }

    /// Takes the pending rows to be stored: settles each one's version and the tombstones of
    /// the stored rows they replace. `capacity`: rows the next batch is expected to hold.
    pub fn take_batch(&mut self, capacity: usize) -> Batch {
        let mut rows = std::mem::replace(&mut self.pending, Vec::with_capacity(capacity));
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
            p.rev = u8::try_from(settled.version - p.rank().version()).unwrap_or(u8::MAX);
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
