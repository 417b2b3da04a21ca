//! The read → parse → dedup → price stages for a set of files, without any network: shared by
//! `scan` (everything, in memory) and `sync` (incremental, flushed in batches).

use std::collections::{BTreeMap, VecDeque};
use std::io::{Seek, SeekFrom};
use std::sync::Arc;

use serde::Serialize;

use crate::dedup::{Decision, Deduper, Rank};
use crate::discover::TranscriptFile;
use crate::error::{Error, Result};
use crate::parse::{Entry, LineParser, Parsed, SkipReason};
use crate::price::{self, CostMode};
use crate::read::LineReader;
use crate::sink::UsageRow;
use crate::state::{TAIL_KEYS, TailKey};

/// Lines longer than this are reduced to their skeleton instead of being held whole.
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;
/// How many skipped lines are named (file:line) in the summary.
const SKIP_EXAMPLES: usize = 5;

/// A string many rows share (model, session, folder...), stored once per run in [`Symbols`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sym(u32);

/// The run's shared strings. A pending row holds 4-byte [`Sym`]s instead of 16-byte `Arc`s:
/// at a batch of 40,000 rows (plus one in flight) that is ~10 MB less.
#[derive(Debug, Default)]
pub struct Symbols {
    index: rustc_hash::FxHashMap<Arc<str>, u32>,
    strings: Vec<Arc<str>>,
    /// The string last interned for each field: the rows of one file share their strings'
    /// allocations, so most lookups are a pointer comparison (the clone keeps it unique).
    last: [Option<(Arc<str>, Sym)>; STRING_FIELDS],
}

const STRING_FIELDS: usize = 8;

impl Symbols {
    fn intern(&mut self, field: usize, s: &Arc<str>) -> Sym {
        if let Some((last, sym)) = &self.last[field]
            && Arc::ptr_eq(last, s)
        {
            return *sym;
        }
        let sym = match self.index.get(s) {
            Some(&i) => Sym(i),
            None => {
                let i = u32::try_from(self.strings.len()).expect("fewer than 2^32 strings");
                self.strings.push(s.clone());
                self.index.insert(s.clone(), i);
                Sym(i)
            }
        };
        self.last[field] = Some((s.clone(), sym));
        sym
    }

    /// The strings interned so far, for rows handed to an insert while more are interned.
    pub fn snapshot(&self) -> Arc<[Arc<str>]> {
        self.strings.as_slice().into()
    }

    pub fn get(&self, sym: Sym) -> &str {
        &self.strings[sym.0 as usize]
    }
}

/// One de-duplicated, priced response waiting to be inserted. Compact (a batch holds tens of
/// thousands): shared strings as [`Sym`]s, both ids in one allocation.
#[derive(Debug, Clone)]
pub struct Pending {
    pub timestamp_ms: i64,
    /// message.id followed by the row's request key.
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
    /// Index into the run's file list.
    pub file: u32,
    pub line_no: u64,
    pub cost_usd: f64,
}

impl Pending {
    /// `entry` after de-duplication (its session and request key filled in).
    fn new(entry: &Entry, symbols: &mut Symbols, file: usize) -> Self {
        let message_id = entry.message_id.as_deref().unwrap_or("");
        let request_id = entry.request_id.as_deref().unwrap_or("");
        let mut ids = String::with_capacity(message_id.len() + request_id.len());
        ids.push_str(message_id);
        ids.push_str(request_id);
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
            file: u32::try_from(file).expect("fewer than 2^32 files"),
            line_no: 0,
            cost_usd: 0.0,
        }
    }

    pub fn message_id(&self) -> &str {
        &self.ids[..self.message_id_len as usize]
    }

    pub fn request_id(&self) -> &str {
        &self.ids[self.message_id_len as usize..]
    }

    pub fn model<'s>(&self, symbols: &'s Symbols) -> &'s str {
        symbols.get(self.strings[0])
    }

    pub fn rank(&self) -> Rank {
        Rank {
            non_sidechain: !self.is_sidechain,
            total: self.usage.total(),
            has_speed: self.has_speed,
        }
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
        let s = |i: usize| &*strings[self.strings[i].0 as usize];
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
            version: self.rank().version(),
            is_deleted: 0,
            ingested_at,
            agent_version: crate::AGENT_VERSION,
        }
    }
}

/// Counters for one run, printed in the summary and stored in `sync_runs`.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Stats {
    pub files_scanned: u64,
    pub files_changed: u64,
    pub files_reread: u64,
    pub files_failed: u64,
    pub bytes_read: u64,
    pub lines_read: u64,
    pub entries: u64,
    pub duplicates: u64,
    pub lines_skipped: u64,
    pub skipped_by_reason: BTreeMap<&'static str, u64>,
    /// A few skipped lines as `path:line: reason`, so a user can look at them.
    pub skipped_examples: Vec<String>,
    pub unknown_models: BTreeMap<String, u64>,
    /// Responses dated before 2023 or more than a day ahead: counted (as ccusage does), but
    /// worth a look (a wrong clock, a hand-edited transcript).
    pub odd_timestamps: u64,
}

impl Stats {
    /// Adds a file's counters (from a scanner thread) to the run's.
    pub fn merge(&mut self, other: Stats) {
        self.files_scanned += other.files_scanned;
        self.files_changed += other.files_changed;
        self.files_reread += other.files_reread;
        self.files_failed += other.files_failed;
        self.bytes_read += other.bytes_read;
        self.lines_read += other.lines_read;
        self.entries += other.entries;
        self.duplicates += other.duplicates;
        self.lines_skipped += other.lines_skipped;
        for (k, v) in other.skipped_by_reason {
            *self.skipped_by_reason.entry(k).or_default() += v;
        }
        for e in other.skipped_examples {
            if self.skipped_examples.len() < SKIP_EXAMPLES {
                self.skipped_examples.push(e);
            }
        }
        for (k, v) in other.unknown_models {
            *self.unknown_models.entry(k).or_default() += v;
        }
    }

    fn skip(&mut self, file: &TranscriptFile, line_no: u64, reason: SkipReason) {
        self.lines_skipped += 1;
        *self.skipped_by_reason.entry(reason.as_str()).or_default() += 1;
        if self.skipped_examples.len() < SKIP_EXAMPLES {
            self.skipped_examples.push(format!(
                "{}:{line_no}: {}",
                file.path.display(),
                reason.describe()
            ));
        }
    }
}

/// Where a file's read ended, to become its checkpoint once the rows are stored.
#[derive(Debug, Clone)]
pub struct FileRead {
    pub offset: u64,
    pub line_no: u64,
    pub tail: Vec<TailKey>,
}

pub struct Collector {
    pub cost_mode: CostMode,
    pub privacy: crate::privacy::Privacy,
    pub paths: crate::privacy::PathCache,
    pub dedup: Deduper,
    pub symbols: Symbols,
    pub pending: Vec<Pending>,
    pub stats: Stats,
    pub max_line: usize,
    /// Responses whose row was inserted, then beaten by a later line (sent again by key).
    pub superseded: u64,
}

impl Collector {
    pub fn new(cost_mode: CostMode) -> Self {
        Collector {
            cost_mode,
            privacy: crate::privacy::Privacy::default(),
            paths: crate::privacy::PathCache::default(),
            dedup: Deduper::new(),
            symbols: Symbols::default(),
            pending: Vec::new(),
            stats: Stats::default(),
            max_line: MAX_LINE_BYTES,
            superseded: 0,
        }
    }

    /// The sequential half of reading a file: de-duplication and pricing, in file order.
    pub fn absorb(&mut self, index: usize, file: &TranscriptFile, scan: FileScan) -> FileRead {
        self.stats.merge(scan.stats);
        for s in scan.entries {
            self.offer(index, file, s.entry, s.line_no, s.line_offset);
        }
        scan.read
    }

    fn offer(
        &mut self,
        index: usize,
        file: &TranscriptFile,
        mut entry: Entry,
        line_no: u64,
        line_offset: u64,
    ) {
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
        let decision = self.dedup.offer(&entry, self.pending.len());
        let key = match &decision {
            Decision::Drop => {
                self.stats.duplicates += 1;
                return;
            }
            Decision::New => None,
            Decision::Replace { request_id, .. } => {
                self.stats.duplicates += 1;
                Some(request_id.clone())
            }
            Decision::Supersede { request_id } => {
                self.stats.duplicates += 1;
                self.superseded += 1;
                Some(request_id.clone())
            }
        };
        if let Some(request_id) = key {
            entry.request_id = request_id;
        }
        if entry.request_id.is_none() {
            entry.request_id = Some(synthetic_request_key(&entry, file, line_offset).into());
        }
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
        let pending = Pending {
            line_no,
            cost_usd: cost.usd,
            unknown_model: cost.unknown_model,
            ..Pending::new(&entry, &mut self.symbols, index)
        };
        match decision {
            Decision::Replace { index, .. } => self.pending[index] = pending,
            _ => self.pending.push(pending),
        }
    }
}

/// A usage entry as found in a file, before de-duplication.
#[derive(Debug)]
pub struct Scanned {
    pub entry: Entry,
    pub line_no: u64,
    pub line_offset: u64,
}

/// The parallel half of reading a file: its new entries, counters and where the read ended.
#[derive(Debug)]
pub struct FileScan {
    pub entries: Vec<Scanned>,
    pub stats: Stats,
    pub read: FileRead,
}

/// Reads and parses the complete lines of `file` from `offset`. Pure with respect to the run:
/// no de-duplication or pricing, so files can be scanned on several threads.
pub fn scan_file(
    file: &TranscriptFile,
    offset: u64,
    line_no: u64,
    prev_tail: &[TailKey],
    max_line: usize,
    buffer: &mut Vec<u8>,
) -> Result<FileScan> {
    let mut f = std::fs::File::open(&file.path).map_err(|e| Error::io(&file.path, e))?;
    f.seek(SeekFrom::Start(offset))
        .map_err(|e| Error::io(&file.path, e))?;
    let mut reader = LineReader::with_buffer(f, offset, line_no, max_line, std::mem::take(buffer));
    let mut parser = LineParser::new();
    // The last responses of the file, as indices into `entries` (keys are built once, at the end).
    let mut tail_at: smallvec::SmallVec<[usize; TAIL_KEYS + 1]> = smallvec::SmallVec::new();
    let mut stats = Stats::default();
    let mut entries = Vec::new();
    let mut at_end = false;
    loop {
        let line = match reader.next_line() {
            Ok(Some(line)) => line,
            Ok(None) if at_end => break,
            Ok(None) => {
                at_end = true;
                match reader.take_final_line(is_complete_json) {
                    Some(line) => line,
                    None => break,
                }
            }
            Err(e) => return Err(Error::io(&file.path, e)),
        };
        stats.lines_read += 1;
        let (line_no, line_offset) = (line.line_no, line.offset);
        let parsed = if line.too_large {
            Parsed::Skipped(SkipReason::TooLarge)
        } else {
            parser.parse(line.bytes)
        };
        match parsed {
            Parsed::Entries(found) => {
                for mut entry in found {
                    pin_timestamp(&mut entry, prev_tail);
                    remember(&mut tail_at, &entries, &entry, entries.len());
                    entries.push(Scanned {
                        entry,
                        line_no,
                        line_offset,
                    });
                }
            }
            Parsed::Ignored => {}
            Parsed::Skipped(reason) => stats.skip(file, line_no, reason),
        }
    }
    stats.bytes_read += reader.offset() - offset;
    let mut tail: VecDeque<TailKey> = tail_at
        .iter()
        .map(|&i| tail_key(&entries[i].entry).expect("only entries with a message.id"))
        .collect();
    // Keep older tail keys while this read saw fewer responses than we remember.
    for key in prev_tail.iter().rev() {
        if tail.len() >= TAIL_KEYS {
            break;
        }
        if !tail.iter().any(|t| same_key(t, key)) {
            tail.push_front(key.clone());
        }
    }
    let read = FileRead {
        offset: reader.offset(),
        line_no: reader.line_no(),
        tail: tail.into(),
    };
    *buffer = reader.into_buffer();
    Ok(FileScan {
        entries,
        stats,
        read,
    })
}

/// One file to scan: its index in the run's file list and where to start.
#[derive(Debug, Clone)]
pub struct Job {
    pub file: usize,
    pub offset: u64,
    pub line_no: u64,
    pub tail: Vec<TailKey>,
}

impl Job {
    /// Reads file `file` from its first line, with no earlier responses to continue.
    pub fn whole_file(file: usize) -> Self {
        Job {
            file,
            offset: 0,
            line_no: 0,
            tail: Vec::new(),
        }
    }
}

/// Scans `jobs` on `threads` worker threads; results arrive in job order through `recv`.
/// Workers run a bounded amount ahead of the consumer, so memory stays bounded.
pub struct ParallelScan {
    rx: flume::Receiver<(usize, Result<FileScan>)>,
    early: std::collections::BTreeMap<usize, Result<FileScan>>,
    next: usize,
    total: usize,
    ahead: Arc<(std::sync::Mutex<Ahead>, std::sync::Condvar)>,
    /// Bytes each job reads (its share of [`AHEAD_BYTES`]).
    costs: Arc<Vec<u64>>,
}

/// Jobs taken by workers but not yet consumed, and the next job to take.
struct Ahead {
    next_job: usize,
    files: usize,
    bytes: u64,
    /// The consumer is gone (e.g. an insert failed): workers stop instead of waiting forever
    /// (in the daemon, a run's blocked threads would pile up).
    closed: bool,
}

/// How far workers may run ahead of the consumer (which must take results in order). In
/// files and in bytes to read: a large file must not leave the other cores idle behind it,
/// and what is held stays bounded (scanned rows are at most ~1/4 of the bytes read, ~1/50 in
/// real transcripts).
const AHEAD_FILES: usize = 64;
const AHEAD_BYTES: u64 = 64 << 20;

impl ParallelScan {
    pub fn start(
        files: Arc<Vec<TranscriptFile>>,
        jobs: Vec<Job>,
        threads: usize,
        max_line: usize,
    ) -> Self {
        let total = jobs.len();
        let costs: Arc<Vec<u64>> = Arc::new(
            jobs.iter()
                .map(|j| files[j.file].size.saturating_sub(j.offset))
                .collect(),
        );
        let jobs = Arc::new(jobs);
        let ahead = Arc::new((
            std::sync::Mutex::new(Ahead {
                next_job: 0,
                files: 0,
                bytes: 0,
                closed: false,
            }),
            std::sync::Condvar::new(),
        ));
        let (tx, rx) = flume::unbounded();
        // No jobs (the hourly run with nothing new): no threads; the channel just closes.
        for _ in 0..threads.max(1).min(total) {
            let (files, jobs, costs, ahead, tx) = (
                files.clone(),
                jobs.clone(),
                costs.clone(),
                ahead.clone(),
                tx.clone(),
            );
            std::thread::spawn(move || {
                let mut buffer = Vec::new();
                loop {
                    let i = {
                        let (lock, cv) = &*ahead;
                        let mut a = lock.lock().unwrap_or_else(|e| e.into_inner());
                        while let Some(&cost) = costs.get(a.next_job) {
                            if a.closed {
                                return;
                            }
                            // Anything fits when nothing is ahead: one huge file still runs.
                            if a.files == 0
                                || (a.files < AHEAD_FILES && a.bytes + cost <= AHEAD_BYTES)
                            {
                                a.files += 1;
                                a.bytes += cost;
                                break;
                            }
                            a = cv.wait(a).unwrap_or_else(|e| e.into_inner());
                        }
                        a.next_job += 1;
                        a.next_job - 1
                    };
                    let Some(job) = jobs.get(i) else { break };
                    let file = &files[job.file];
                    let result = scan_file(
                        file,
                        job.offset,
                        job.line_no,
                        &job.tail,
                        max_line,
                        &mut buffer,
                    );
                    if tx.send((i, result)).is_err() {
                        break; // the consumer is gone (e.g. an insert failed)
                    }
                }
            });
        }
        ParallelScan {
            rx,
            early: Default::default(),
            next: 0,
            total,
            ahead,
            costs,
        }
    }

    /// The next job's result, in order; None when all are done. Blocks the thread.
    pub fn recv_blocking(&mut self) -> Option<(usize, Result<FileScan>)> {
        loop {
            if let Some(next) = self.take_next() {
                return next;
            }
            let (i, r) = self.rx.recv().ok()?;
            self.early.insert(i, r);
        }
    }

    /// [`Self::recv_blocking`] for async callers. Cancel-safe: a result that arrives is kept.
    pub async fn recv(&mut self) -> Option<(usize, Result<FileScan>)> {
        loop {
            if let Some(next) = self.take_next() {
                return next;
            }
            let (i, r) = self.rx.recv_async().await.ok()?;
            self.early.insert(i, r);
        }
    }

    /// Some(None) when all jobs are done, Some(result) when the next one is ready.
    #[allow(clippy::option_option)]
    fn take_next(&mut self) -> Option<Option<(usize, Result<FileScan>)>> {
        if self.next >= self.total {
            return Some(None);
        }
        let result = self.early.remove(&self.next)?;
        let (lock, cv) = &*self.ahead;
        {
            let mut a = lock.lock().unwrap_or_else(|e| e.into_inner());
            a.files -= 1;
            a.bytes -= self.costs[self.next];
        }
        // Several workers may be waiting, for different amounts.
        cv.notify_all();
        self.next += 1;
        Some(Some((self.next - 1, result)))
    }
}

impl Drop for ParallelScan {
    fn drop(&mut self) {
        let (lock, cv) = &*self.ahead;
        lock.lock().unwrap_or_else(|e| e.into_inner()).closed = true;
        cv.notify_all();
    }
}

/// Scanner threads for a run: the machine's cores (the consumer's work is light).
pub fn scan_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8)
}

/// 2023-01-01 (before Claude Code) to a day from now.
fn plausible_time(ms: i64) -> bool {
    const START_2023_MS: i64 = 1_672_531_200_000;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(i64::MAX, |d| d.as_millis() as i64);
    (START_2023_MS..=now.saturating_add(86_400_000)).contains(&ms)
}

/// A last line without its newline is taken only if it is a whole JSON document.
fn is_complete_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
}

/// The row key for lines without requestId, chosen so that exactly the lines ccusage treats as
/// one response share it (and re-reads of a line land on the same row).
fn synthetic_request_key(entry: &Entry, file: &TranscriptFile, line_offset: u64) -> String {
    match entry.message_id {
        // Same message.id, session and timestamp: one response.
        Some(_) => format!("~{}@{}", entry.session_id, entry.timestamp_ms),
        // No message.id: every line counts on its own.
        None => {
            let line = xxhash_rust::xxh3::xxh3_64(
                format!("{}\0{line_offset}\0{}", file.source, entry.model).as_bytes(),
            );
            format!("~line:{line:016x}")
        }
    }
}

fn same_key(t: &TailKey, other: &TailKey) -> bool {
    t.message_id == other.message_id && t.request_id == other.request_id
}

/// A response that was still streaming at the last checkpoint keeps the timestamp its row got
/// then, so the completed row lands in the same partition and replaces it.
fn pin_timestamp(entry: &mut Entry, prev_tail: &[TailKey]) {
    let (Some(m), r) = (entry.message_id.as_deref(), entry.request_id.as_deref()) else {
        return;
    };
    if let Some(t) = prev_tail
        .iter()
        .find(|t| t.message_id == m && t.request_id == r.unwrap_or(""))
    {
        entry.timestamp_ms = t.timestamp_ms;
    }
}

fn tail_key(entry: &Entry) -> Option<TailKey> {
    Some(TailKey {
        message_id: entry.message_id.as_deref()?.to_string(),
        request_id: entry.request_id.as_deref().unwrap_or("").to_string(),
        timestamp_ms: entry.timestamp_ms,
    })
}

/// Notes that `entry`, about to become `entries[index]`, is the file's latest response.
fn remember(
    tail: &mut smallvec::SmallVec<[usize; TAIL_KEYS + 1]>,
    entries: &[Scanned],
    entry: &Entry,
    index: usize,
) {
    let Some(m) = entry.message_id.as_deref() else {
        return;
    };
    let r = entry.request_id.as_deref().unwrap_or("");
    tail.retain(|i| {
        let e = &entries[*i].entry;
        !(e.message_id.as_deref() == Some(m) && e.request_id.as_deref().unwrap_or("") == r)
    });
    tail.push(index);
    if tail.len() > TAIL_KEYS {
        tail.remove(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropping_the_scan_stops_its_workers() {
        let dir = tempfile::tempdir().unwrap();
        // Far more files than the workers may run ahead of a consumer that stops after one.
        let files: Vec<TranscriptFile> = (0..4 * AHEAD_FILES)
            .map(|i| {
                let path = dir.path().join(format!("s{i}.jsonl"));
                std::fs::write(&path, "{}\n").unwrap();
                TranscriptFile {
                    source: Arc::from(path.to_string_lossy().as_ref()),
                    path,
                    project: Arc::from("p"),
                    session_id: Arc::from(format!("s{i}").as_str()),
                    size: 3,
                    mtime_ns: 0,
                    dev: 0,
                    ino: i as u64,
                }
            })
            .collect();
        let jobs = (0..files.len()).map(Job::whole_file).collect();
        let mut scan = ParallelScan::start(Arc::new(files), jobs, 2, 1 << 20);
        assert!(matches!(scan.recv_blocking(), Some((0, Ok(_)))));
        let shared = scan.ahead.clone();
        drop(scan);
        // Each worker holds the shared state until it returns.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while Arc::strong_count(&shared) > 1 {
            assert!(
                std::time::Instant::now() < deadline,
                "workers still running after the scan was dropped"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    #[test]
    fn no_jobs_start_no_workers() {
        let mut scan = ParallelScan::start(Arc::new(Vec::new()), Vec::new(), 4, 1 << 20);
        // Workers would each hold a clone of the shared state.
        assert_eq!(Arc::strong_count(&scan.ahead), 1);
        assert!(scan.recv_blocking().is_none());
    }

    fn entry_with(model: &str, session: &str, message_id: Option<&str>) -> Entry {
        Entry {
            timestamp_ms: 1_767_225_600_123,
            message_id: message_id.map(Into::into),
            request_id: Some("req_1".into()),
            model: model.into(),
            session_id: session.into(),
            cwd: "/home/me/app".into(),
            claude_version: "2.1.20".into(),
            git_branch: "main".into(),
            agent_id: "a1".into(),
            service_tier: "standard".into(),
            speed: "fast".into(),
            is_sidechain: true,
            is_api_error: false,
            has_speed: true,
            usage: crate::parse::Usage {
                input: 1,
                output: 2,
                cache_creation: 7,
                cache_creation_5m: 3,
                cache_creation_1h: 4,
                cache_read: 5,
                web_search_requests: 6,
            },
            reported_cost_usd: Some(0.25),
        }
    }

    #[test]
    fn a_pending_row_is_compact_and_stores_what_the_entry_says() {
        // Two of these per batch row are held (one batch in flight): keep them from growing.
        assert!(std::mem::size_of::<Pending>() <= 160);
        let mut symbols = Symbols::default();
        let e = entry_with("claude-opus-4-6", "s1", Some("msg_1"));
        let p = Pending::new(&e, &mut symbols, 3);
        let file = TranscriptFile {
            path: "/p/s1.jsonl".into(),
            source: "/p/s1.jsonl".into(),
            project: "-p".into(),
            session_id: "s1".into(),
            size: 0,
            mtime_ns: 0,
            dev: 0,
            ino: 0,
        };
        let files = vec![file.clone(), file.clone(), file.clone(), file];
        let strings = symbols.snapshot();
        let r = p.row(&files, &strings, "m", "auto", 9);
        assert_eq!(
            (r.message_id, r.request_id, r.timestamp),
            ("msg_1", "req_1", e.timestamp_ms)
        );
        assert_eq!(
            [r.model, r.session_id, r.cwd, r.claude_version],
            ["claude-opus-4-6", "s1", "/home/me/app", "2.1.20"]
        );
        assert_eq!(
            [r.git_branch, r.agent_id, r.service_tier, r.speed],
            ["main", "a1", "standard", "fast"]
        );
        assert_eq!((r.is_sidechain, r.reported_cost_usd), (true, Some(0.25)));
        assert_eq!(
            [
                r.input_tokens,
                r.output_tokens,
                r.cache_creation_input_tokens
            ],
            [1, 2, 7]
        );
        assert_eq!(
            [
                r.cache_creation_5m_input_tokens,
                r.cache_creation_1h_input_tokens
            ],
            [3, 4]
        );
        assert_eq!((r.cache_read_input_tokens, r.web_search_requests), (5, 6));
        assert_eq!(r.version, Rank::of(&e).version());
        assert!(p.is_fast);
        // No message.id: stored empty, the request key intact.
        let p = Pending::new(&entry_with("m", "s1", None), &mut symbols, 0);
        assert_eq!((p.message_id(), p.request_id()), ("", "req_1"));
    }

    #[test]
    fn symbols_are_per_content_not_per_allocation() {
        let mut symbols = Symbols::default();
        let a1: Arc<str> = "opus".into();
        let a = symbols.intern(0, &a1);
        // Same content, another allocation (another file's parser): the same symbol.
        assert_eq!(symbols.intern(0, &Arc::from("opus")), a);
        let b = symbols.intern(0, &Arc::from("sonnet"));
        assert_ne!(a, b);
        assert_eq!((symbols.get(a), symbols.get(b)), ("opus", "sonnet"));
        // The per-field shortcut compares allocations it keeps alive, never a reused address.
        drop(a1);
        for i in 0..100 {
            // Same length: a freed allocation is likely reused for the next one.
            let text = if i % 2 == 0 { "haiku" } else { "opus!" };
            let s: Arc<str> = text.into();
            let sym = symbols.intern(0, &s);
            drop(s);
            assert_eq!(symbols.get(sym), text);
        }
        let sym = symbols.intern(1, &Arc::from("opus"));
        assert_eq!(sym, a);
    }
}
