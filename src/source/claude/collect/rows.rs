//! The rows a run stores: pending responses (compact, until their batch is sent), the
//! tombstones of rows they replace and the markers of sessions responses were seen in, each as
//! a `usage_events` row.

use std::sync::Arc;

use super::symbols::{self, AGENT_ID, AGENT_TYPE, STRING_FIELDS, Sym, Symbols};
use crate::source::claude::dedup::{Rank, Seen, SlotRef, Tombstone};
use crate::source::claude::discover::TranscriptFile;
use crate::source::claude::parse::Entry;
use crate::usage::UsageRow;

/// One de-duplicated, priced response waiting to be stored. Compact (a batch holds tens of
/// thousands): shared strings as [`Sym`]s, both ids in one allocation.
#[derive(Debug, Clone)]
pub struct Pending {
    pub timestamp_ms: i64,
    /// message.id followed by the row's key (its requestId, or a synthetic key).
    ids: Box<str>,
    message_id_len: u32,
    /// model, session_id, cwd, claude_version, git_branch, agent_id, service_tier, speed,
    /// agent_type.
    strings: [Sym; STRING_FIELDS],
    pub usage: crate::source::claude::parse::Usage,
    /// `costUSD` as the line logged it; NaN where it logged none (JSON has no NaN): an
    /// `Option` would make every pending row 8 bytes larger. See [`Self::reported_cost_usd`].
    logged_cost: f64,
    pub is_sidechain: bool,
    pub is_api_error: bool,
    pub is_fast: bool,
    pub has_speed: bool,
    pub unknown_model: bool,
    /// The row's revision above its rank (see `dedup`), known once the batch is taken.
    pub(super) rev: u16,
    /// Its response's slot in the de-duplication (none for a line without message.id).
    pub(super) slot: Option<SlotRef>,
    /// A stored row of an earlier run beat it after it was kept: not to be stored.
    pub(super) cancelled: bool,
    /// Index into the run's file list.
    pub file: u32,
    pub line_no: u64,
    pub cost_usd: f64,
}

impl Pending {
    /// `entry` stored under `key`, with the strings it shares interned; `agent_type`: its
    /// subagent's type (`""` for none: see `Collector::agent_type`).
    pub(super) fn new(
        entry: &Entry,
        key: &str,
        agent_type: &Arc<str>,
        symbols: &mut Symbols,
        file: usize,
    ) -> Self {
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
            agent_type,
        ];
        Pending {
            timestamp_ms: entry.timestamp_ms,
            ids: ids.into_boxed_str(),
            message_id_len: u32::try_from(message_id.len()).expect("a line is under 4 GiB"),
            strings: std::array::from_fn(|i| symbols.intern(i, strings[i])),
            usage: entry.usage,
            logged_cost: entry.reported_cost_usd.unwrap_or(f64::NAN),
            is_sidechain: entry.is_sidechain,
            is_api_error: entry.is_api_error,
            is_fast: entry.is_fast(),
            has_speed: entry.has_speed,
            unknown_model: false,
            rev: 0,
            slot: None,
            cancelled: false,
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

    /// Its line's `agentId` (a progress line's `data.agentId`).
    pub fn agent_sym(&self) -> Sym {
        self.strings[AGENT_ID]
    }

    /// Its subagent's type (`""`: the main thread, or no type known).
    pub fn agent_type_sym(&self) -> Sym {
        self.strings[AGENT_TYPE]
    }

    /// `costUSD` as the line logged it, if it did.
    pub fn reported_cost_usd(&self) -> Option<f64> {
        (!self.logged_cost.is_nan()).then_some(self.logged_cost)
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
        account: &'a str,
        cost_mode: crate::price::CostMode,
        ingested_at: i64,
    ) -> UsageRow<'a> {
        let f = &files[self.file as usize];
        let s = |i: usize| symbols::resolve(strings, self.strings[i]);
        UsageRow {
            machine_name,
            source: crate::CLAUDE_SOURCE,
            account,
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
            agent_id: s(AGENT_ID),
            agent_type: s(AGENT_TYPE),
            input_tokens: self.usage.input,
            output_tokens: self.usage.output,
            reasoning_output_tokens: 0,
            cache_creation_input_tokens: self.usage.cache_creation,
            cache_creation_5m_input_tokens: self.usage.cache_creation_5m,
            cache_creation_1h_input_tokens: self.usage.cache_creation_1h,
            cache_read_input_tokens: self.usage.cache_read,
            web_search_requests: self.usage.web_search_requests,
            cost_usd: self.cost_usd,
            reported_cost_usd: self.reported_cost_usd(),
            cost_mode: cost_mode.as_str(),
            cost_source: crate::price::CostSource::of(cost_mode, self.reported_cost_usd()).as_str(),
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
/// all markers share a partition; it names the line that showed the session, where later runs
/// let it take part.
pub fn marker_row<'a>(
    seen: &'a Seen,
    files: &'a [TranscriptFile],
    machine_name: &'a str,
    ingested_at: i64,
) -> UsageRow<'a> {
    let mut row = hidden_row(
        machine_name,
        &seen.message_id,
        &seen.key,
        0,
        &seen.session_id,
        seen.version,
        ingested_at,
    );
    if let Some(file) = files.get(seen.pos.file as usize) {
        (row.source_file, row.source_line) = (&file.source, seen.pos.line);
    }
    row
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
    UsageRow {
        machine_name,
        source: crate::CLAUDE_SOURCE,
        account: "",
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
        agent_type: "",
        input_tokens: 0,
        output_tokens: 0,
        reasoning_output_tokens: 0,
        cache_creation_input_tokens: 0,
        cache_creation_5m_input_tokens: 0,
        cache_creation_1h_input_tokens: 0,
        cache_read_input_tokens: 0,
        web_search_requests: 0,
        cost_usd: 0.0,
        reported_cost_usd: None,
        cost_mode: "",
        cost_source: "",
        unknown_model: false,
        source_file: "",
        source_line: 0,
        version,
        is_deleted: 1,
        ingested_at,
        agent_version: crate::AGENT_VERSION,
    }
}
