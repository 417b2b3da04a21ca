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

/// One de-duplicated, priced response waiting to be inserted.
#[derive(Debug, Clone)]
pub struct Pending {
    pub entry: Entry,
    /// Index into the run's file list.
    pub file: usize,
    pub line_no: u64,
    pub cost_usd: f64,
    pub unknown_model: bool,
}

impl Pending {
    pub fn row<'a>(
        &'a self,
        files: &'a [TranscriptFile],
        machine_name: &'a str,
        cost_mode: &'a str,
        ingested_at: i64,
    ) -> UsageRow<'a> {
        let e = &self.entry;
        let f = &files[self.file];
        UsageRow {
            machine_name,
            message_id: e.message_id.as_deref().unwrap_or(""),
            request_id: e.request_id.as_deref().unwrap_or(""),
            timestamp: e.timestamp_ms,
            session_id: if e.session_id.is_empty() {
                &f.session_id
            } else {
                &e.session_id
            },
            project: &f.project,
            cwd: &e.cwd,
            git_branch: &e.git_branch,
            claude_version: &e.claude_version,
            model: &e.model,
            speed: &e.speed,
            service_tier: &e.service_tier,
            is_sidechain: e.is_sidechain,
            is_api_error: e.is_api_error,
            agent_id: &e.agent_id,
            input_tokens: e.usage.input,
            output_tokens: e.usage.output,
            cache_creation_input_tokens: e.usage.cache_creation,
            cache_creation_5m_input_tokens: e.usage.cache_creation_5m,
            cache_creation_1h_input_tokens: e.usage.cache_creation_1h,
            cache_read_input_tokens: e.usage.cache_read,
            web_search_requests: e.usage.web_search_requests,
            cost_usd: self.cost_usd,
            reported_cost_usd: e.reported_cost_usd,
            cost_mode,
            unknown_model: self.unknown_model,
            source_file: &f.source,
            source_line: self.line_no,
            version: Rank::of(e).version(),
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
}

impl Stats {
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
    pub pending: Vec<Pending>,
    pub stats: Stats,
    pub max_line: usize,
}

impl Collector {
    pub fn new(cost_mode: CostMode) -> Self {
        Collector {
            cost_mode,
            privacy: crate::privacy::Privacy::default(),
            paths: crate::privacy::PathCache::default(),
            dedup: Deduper::new(),
            pending: Vec::new(),
            stats: Stats::default(),
            max_line: MAX_LINE_BYTES,
        }
    }

    /// Reads the complete lines of `file` from `offset`, adding its responses to `pending`.
    pub fn read_file(
        &mut self,
        index: usize,
        file: &TranscriptFile,
        offset: u64,
        line_no: u64,
        prev_tail: &[TailKey],
    ) -> Result<FileRead> {
        let mut f = std::fs::File::open(&file.path).map_err(|e| Error::io(&file.path, e))?;
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io(&file.path, e))?;
        let mut reader = LineReader::new(f, offset, line_no, self.max_line);
        let mut parser = LineParser::new();
        let mut tail: VecDeque<TailKey> = VecDeque::new();
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
            self.stats.lines_read += 1;
            let (line_no, line_offset) = (line.line_no, line.offset);
            let parsed = if line.too_large {
                Parsed::Skipped(SkipReason::TooLarge)
            } else {
                parser.parse(line.bytes)
            };
            match parsed {
                Parsed::Entries(entries) => {
                    for mut entry in entries {
                        pin_timestamp(&mut entry, prev_tail);
                        remember(&mut tail, &entry);
                        self.offer(index, file, entry, line_no, line_offset);
                    }
                }
                Parsed::Ignored => {}
                Parsed::Skipped(reason) => self.stats.skip(file, line_no, reason),
            }
        }
        self.stats.bytes_read += reader.offset() - offset;
        // Keep older tail keys while this read saw fewer responses than we remember.
        for key in prev_tail.iter().rev() {
            if tail.len() >= TAIL_KEYS {
                break;
            }
            if !tail.iter().any(|t| same_key(t, key)) {
                tail.push_front(key.clone());
            }
        }
        Ok(FileRead {
            offset: reader.offset(),
            line_no: reader.line_no(),
            tail: tail.into(),
        })
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
            Decision::Replace { request_id, .. } | Decision::Supersede { request_id } => {
                self.stats.duplicates += 1;
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
            entry,
            file: index,
            line_no,
            cost_usd: cost.usd,
            unknown_model: cost.unknown_model,
        };
        match decision {
            Decision::Replace { index, .. } => self.pending[index] = pending,
            _ => self.pending.push(pending),
        }
    }
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

fn remember(tail: &mut VecDeque<TailKey>, entry: &Entry) {
    let Some(m) = entry.message_id.as_deref() else {
        return;
    };
    let key = TailKey {
        message_id: m.to_string(),
        request_id: entry.request_id.as_deref().unwrap_or("").to_string(),
        timestamp_ms: entry.timestamp_ms,
    };
    if let Some(pos) = tail.iter().position(|t| same_key(t, &key)) {
        tail.remove(pos);
    }
    tail.push_back(key);
    if tail.len() > TAIL_KEYS {
        tail.pop_front();
    }
}
