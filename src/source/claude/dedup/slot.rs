//! A kept response's slot (56 bytes: a backfill holds one per response) and what matching
//! compares.

use std::num::NonZeroU64;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::{Pos, Rank};
use crate::source::claude::parse::Entry;

pub(super) const SIDECHAIN: u8 = 1;
pub(super) const HAS_SPEED: u8 = 2;
/// A row of the slot is stored (`key`, `rev`): later winners supersede it.
pub(super) const STORED: u8 = 4;
/// The slot's line came from an earlier run: its position is in `seeded_pos`.
pub(super) const SEEDED: u8 = 8;

/// One kept response (56 bytes: a backfill holds one per response).
#[derive(Debug)]
pub(super) struct Slot {
    /// Where the response's first line is (read now, or recorded by an earlier run): markers
    /// carry it, so a later run brings the stored row in from there.
    pub(super) birth: Birth,
    /// The kept line's session (index in `Deduper::sessions`).
    pub(super) session: u32,
    /// The kept line's timestamp; while the slot is not pending, its stored row's too.
    pub(super) timestamp_ms: i64,
    /// Hash of the kept line's requestId: what later lines are compared with.
    pub(super) line_request_id: Option<NonZeroU64>,
    /// The stored row's key (with `STORED`).
    pub(super) key: RequestKey,
    /// Token total of the kept line (with the flags, its rank).
    pub(super) total: u64,
    /// The kept line's cost (ccusage compares it after the total), to 7 significant digits:
    /// lines of one response that tie on tokens differ in cost by model or fast mode (10% and
    /// more), or not at all. A double would make every slot 8 bytes larger.
    pub(super) cost: f32,
    /// Index of the pending row, or NOT_PENDING.
    pub(super) pending: u32,
    pub(super) flags: u8,
    /// The stored row's revision: its version is the kept line's rank's plus this. A u16 keeps
    /// the slot at 56 bytes; see [`super::revision`].
    pub(super) rev: u16,
}

pub(super) const NOT_PENDING: u32 = u32::MAX;

/// What matching needs of a line (or of a stored row).
pub(super) struct Probe {
    pub(super) request_hash: Option<NonZeroU64>,
    pub(super) session: u32,
    pub(super) timestamp_ms: i64,
    pub(super) sidechain: bool,
    pub(super) cost: f64,
}

impl Slot {
    /// The slot of a row an earlier run stored.
    pub(super) fn stored(
        probe: &Probe,
        rank: Rank,
        key: RequestKey,
        rev: u16,
        birth: Birth,
    ) -> Self {
        let mut flags = STORED | SEEDED;
        if !rank.non_sidechain {
            flags |= SIDECHAIN;
        }
        if rank.has_speed {
            flags |= HAS_SPEED;
        }
        Slot {
            birth,
            session: probe.session,
            timestamp_ms: probe.timestamp_ms,
            line_request_id: probe.request_hash,
            key,
            total: rank.total,
            cost: probe.cost as f32,
            pending: NOT_PENDING,
            flags,
            rev,
        }
    }

    /// The slot of a line read now, pending at `index`.
    pub(super) fn pending(
        entry: &Entry,
        rank: Rank,
        probe: &Probe,
        index: usize,
        birth: Birth,
    ) -> Self {
        let mut slot = Slot {
            birth,
            session: probe.session,
            timestamp_ms: 0,
            line_request_id: None,
            key: RequestKey::NONE,
            total: 0,
            cost: 0.0,
            pending: index as u32,
            flags: 0,
            rev: 0,
        };
        slot.keep(entry, rank, probe);
        slot
    }

    /// The stored row's version.
    pub(super) fn version(&self) -> u64 {
        self.rank().version() + u64::from(self.rev)
    }

    pub(super) fn rank(&self) -> Rank {
        Rank {
            non_sidechain: self.flags & SIDECHAIN == 0,
            total: self.total,
            has_speed: self.flags & HAS_SPEED != 0,
        }
    }

    pub(super) fn is(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// Keeps `entry`'s line: its rank, time and requestId, from now on (its session: see
    /// `Deduper::keep_session`).
    pub(super) fn keep(&mut self, entry: &Entry, rank: Rank, probe: &Probe) {
        self.total = rank.total;
        self.cost = probe.cost as f32;
        let request_hash = probe.request_hash;
        self.timestamp_ms = entry.timestamp_ms;
        self.line_request_id = request_hash;
        self.flags &= STORED;
        if !rank.non_sidechain {
            self.flags |= SIDECHAIN;
        }
        if rank.has_speed {
            self.flags |= HAS_SPEED;
        }
    }
}

/// A position in path order in 8 bytes (a line number above 2^32 reads as 2^32 - 1: it only
/// ever makes a stored row take part earlier).
#[derive(Debug, Clone, Copy)]
pub(super) struct Birth {
    file: u32,
    line: u32,
}

impl Birth {
    pub(super) fn of(pos: Pos) -> Self {
        Birth {
            file: pos.file,
            line: u32::try_from(pos.line).unwrap_or(u32::MAX),
        }
    }

    pub(super) fn pos(self) -> Pos {
        Pos {
            file: self.file,
            line: u64::from(self.line),
        }
    }
}

/// A requestId in the run's arena of them: 8 bytes in the slot and the text stored once,
/// instead of a 16-byte pointer to its own ~48-byte allocation.
#[derive(Debug, Clone, Copy)]
pub(super) struct RequestKey {
    pub(super) start: u32,
    pub(super) len: u32,
}

impl RequestKey {
    pub(super) const NONE: RequestKey = RequestKey { start: 0, len: 0 };

    pub(super) fn store(arena: &mut String, key: &str) -> Self {
        let start = u32::try_from(arena.len()).expect("request keys of one run under 4 GiB");
        arena.push_str(key);
        RequestKey {
            start,
            len: u32::try_from(key.len()).expect("a request key under 4 GiB"),
        }
    }

    pub(super) fn get(self, arena: &str) -> &str {
        let start = self.start as usize;
        &arena[start..start + self.len as usize]
    }
}

/// A hash that is never zero, so `Option` of it costs no extra space.
pub(super) fn request_hash(s: &str) -> NonZeroU64 {
    NonZeroU64::new(hash(s)).unwrap_or(NonZeroU64::MIN)
}

pub(super) fn hash(s: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(s.as_bytes())
}

pub(super) fn intern(
    all: &mut Vec<Arc<str>>,
    index: &mut FxHashMap<Arc<str>, u32>,
    s: &str,
) -> u32 {
    if let Some(&i) = index.get(s) {
        return i;
    }
    let i = u32::try_from(all.len()).expect("fewer than 2^32 sessions");
    let s: Arc<str> = Arc::from(s);
    all.push(s.clone());
    index.insert(s, i);
    i
}
