//! ccusage's de-duplication, in one run and across runs: which line of a response is kept, under
//! which key and version it is stored, and which stored row it replaces. This is the one place
//! the rule lives; the sync feeds it the lines it reads and, for message ids already stored by
//! earlier runs, the stored rows (`seed`), so any sequence of runs keeps what one run over the
//! final files keeps.
//!
//! Matching (verified against ccusage 20.0.24, docs/ccusage-compat.md), first by key: the kept
//! line's (message.id, requestId), global; a line without requestId only with a kept line
//! without one of the same session and timestamp. Failing that, the sidechain rule: message.id
//! alone decides when either line is a sidechain and the response was seen in the line's
//! session (by any line merged into it, kept or not). Lines without message.id never match.
//! The kept line is the highest in [`Rank::order`]: the non-sidechain one, then the larger
//! token total, then the higher cost, then the one with a `speed` field; on a full tie, the
//! first in path order (files by bytewise path, lines in order). The sessions a response was seen in besides its kept line's are
//! stored as hidden marker rows (key `~seen:<session>`, `is_deleted`), so a later run applies
//! the sidechain rule as one run would; markers only add, so two runs writing them at once
//! cannot undo each other. A marker also records where the response began (its stored row
//! takes part from there in a later run) and the rank of the line that showed the session
//! (`through_ghost`).
//!
//! Storage: a kept line is stored under its own key (message.id, requestId or a synthetic key)
//! at its own time, as a fresh run would store it. When a later line beats a row already
//! stored under another key or at another time, that row gets a tombstone (same key and time,
//! `is_deleted`, a higher version) so that `FINAL` hides it in its own partition. Versions are
//! the rank above [`REVISION_BITS`]; a row written again under a key that already holds one of
//! equal rank (a tombstone, a tie won by path order) takes the next revision, and a line that
//! won on cost over one with `speed` a version above the loser's ([`revision`]). So a stored
//! row's rank comes from its columns (`events_lookup.sql`); only a marker's is its version.

mod rank;
mod slot;

use std::sync::Arc;

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

pub use rank::{REVISION_BITS, Rank};
use slot::{
    Birth, NOT_PENDING, Probe, RequestKey, SEEDED, SIDECHAIN, STORED, Slot, hash, intern,
    request_hash,
};

use crate::source::claude::parse::Entry;

/// Where a line is in ccusage's order: its file's index in the run's path-ordered list, then
/// its line number. Lines read in one run come in this order; rows stored by earlier runs carry
/// theirs (see [`StoredRow`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub file: u32,
    pub line: u64,
}

/// A response's slot: its message group and its place in it (8 bytes, and `Option` of it too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SlotRef {
    /// The group's index + 1.
    group: std::num::NonZeroU32,
    position: u32,
}

impl SlotRef {
    fn new(group: u32, position: u32) -> Self {
        SlotRef {
            group: std::num::NonZeroU32::new(group + 1).expect("fewer than 2^32 - 1 messages"),
            position,
        }
    }

    fn group(self) -> u32 {
        self.group.get() - 1
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A line without message.id: never de-duplicated, stored on its own.
    Unkeyed,
    /// A response not seen before: append it as the pending row of `SlotRef`.
    New(SlotRef),
    /// Beats the pending (not yet stored) row at `index`: take its place.
    Replace { index: usize },
    /// Beats a stored row: append it as the slot's new pending row; storing it settles what
    /// becomes of the old one (see [`Deduper::settle`]).
    Supersede(SlotRef),
    /// Loses to the row kept.
    Drop,
}

/// A row stored by an earlier run (the latest version of its key), as the lookup returns it.
#[derive(Debug, Clone)]
pub struct StoredRow<'a> {
    pub request_id: &'a str,
    pub version: u64,
    /// Its line's rank, from its columns (a marker's is its version, see [`Seen::version`]).
    pub rank: Rank,
    pub is_deleted: bool,
    pub timestamp_ms: i64,
    pub session_id: &'a str,
    /// Its cost (ccusage compares it after the token total).
    pub cost_usd: f64,
    /// None when its file is gone: it counts as first (what was synced stays).
    pub pos: Option<Pos>,
}

/// Keys of marker rows start with this; the marker's session is its `session_id`.
pub const SEEN_KEY_PREFIX: &str = "~seen:";

/// A response seen in a session other than its kept line's: stored as a hidden marker row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seen {
    pub message_id: Box<str>,
    pub session_id: Arc<str>,
    /// The marker row's key: [`SEEN_KEY_PREFIX`] and the session.
    pub key: Box<str>,
    /// Where the session joined the response (the first line in it; for the session the
    /// response began in, its first line): a later run brings the stored row in from the
    /// first of them, in the session it began in, and each other session where it joined.
    pub pos: Pos,
    /// The rank of the first line seen in the session (its version): a later run lets it
    /// link the stored row with an earlier line of that session, as that line did in one run.
    pub version: u64,
}

/// What an earlier run stored for a message id, waiting for its place in path order.
#[derive(Debug)]
enum Seed {
    Row(StoredSeed),
    Seen {
        session: u32,
    },
    /// The stored row's own session joins its slot here, at its kept line: the response began
    /// earlier, in another session (the one marker at its first line).
    Join {
        session: u32,
    },
}

/// A group's message id and its seeds waiting to take part, the first in path order last.
type Deferred = (Box<str>, Vec<(Pos, Seed)>);

/// A line an earlier run saw in a session besides the kept line's (a marker's): the session
/// and the line's rank.
type Ghost = (u32, Rank);

#[derive(Debug)]
struct StoredSeed {
    request_id: Box<str>,
    version: u64,
    rank: Rank,
    timestamp_ms: i64,
    session: u32,
    cost: f64,
    /// Its own line's place in path order (ties), not where it takes part.
    pos: Pos,
    /// The session it takes part in until its own line's place, if the response began in
    /// another one.
    began_in: Option<u32>,
}

/// What storing a pending row means: its version, and the tombstone its predecessor needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub version: u64,
    pub tombstone: Option<Tombstone>,
}

/// Hides a stored row: written under its key and time with `is_deleted` and `version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tombstone {
    pub request_id: Box<str>,
    pub timestamp_ms: i64,
    pub version: u64,
}

/// Stored keys of lines without requestId start with this (`~<session>@<ms>`); real requestIds
/// (`req_…`) never do.
pub const SYNTHETIC_KEY_PREFIX: char = '~';

/// The stored row a pending row supersedes, until the pending row is stored.
#[derive(Debug, Clone, Copy)]
struct Superseded {
    timestamp_ms: i64,
    version: u64,
}

#[derive(Debug, Default)]
pub struct Deduper {
    /// A 64-bit hash of message.id → its slots in `slots`. The table holds only small indices,
    /// so growing it (which briefly needs old and new table) stays cheap on a large backfill.
    by_message: FxHashMap<u64, u32>,
    /// Almost every response has one slot: kept inline, no allocation per response.
    slots: Vec<SmallVec<[Slot; 1]>>,
    /// The stored rows' keys, back to back (see `RequestKey`).
    keys: String,
    /// Rows of slots that are pending again, beaten after they were stored (rare).
    superseded: FxHashMap<SlotRef, Superseded>,
    /// Positions of lines seeded from earlier runs (only those can come later in path order
    /// than a line read now).
    seeded_pos: FxHashMap<SlotRef, Pos>,
    /// (group, key hash) → the highest version written under a key no slot holds any more (a
    /// tombstoned or superseded row): a row stored there again must be newer.
    floors: FxHashMap<(u32, u64), u64>,
    /// The run's sessions, interned: a slot holds a 4-byte index.
    sessions: Vec<Arc<str>>,
    session_index: FxHashMap<Arc<str>, u32>,
    /// Sessions a response was seen in besides its kept line's (rare: resumed sessions, replays).
    merged: FxHashMap<SlotRef, SmallVec<[u32; 2]>>,
    /// Sessions newly merged since the last batch (with where the response's first line is and
    /// the rank of the line that showed the session), to be stored as markers.
    seen: Vec<(Box<str>, u32, Pos, u64)>,
    /// Stored rows and markers of earlier runs waiting for their place in path order: group →
    /// (message id, seeds, last in path order first).
    deferred: FxHashMap<u32, Deferred>,
    /// Sessions markers say responses of a group were seen in: slots made later get them too.
    marked: FxHashMap<u32, SmallVec<[u32; 2]>>,
    /// Every marker of a group, read with its stored rows (see `through_ghost`).
    ghosts: FxHashMap<u32, SmallVec<[Ghost; 2]>>,
    /// The slot a stored row that began in another session took part in (see `Seed::Join`).
    joining: FxHashMap<u32, SlotRef>,
    /// Pending rows a stored row beat (see `take_cancelled`).
    cancelled: Vec<usize>,
    /// Tombstones of stored rows merged into others when seeded, for the next batch.
    repairs: Vec<(Box<str>, Tombstone)>,
    /// The session last interned, for `session_of`'s shortcut (kept alive: never a reused
    /// address).
    last_session: Option<(Arc<str>, u32)>,
}

impl Deduper {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether stored rows of earlier runs still wait for their place in path order.
    pub fn has_deferred(&self) -> bool {
        !self.deferred.is_empty()
    }

    /// Whether lines or stored rows with this message.id were seen in this run.
    pub fn knows(&self, message_id: &str) -> bool {
        self.by_message.contains_key(&hash(message_id))
    }

    fn group(&mut self, message_id: &str) -> u32 {
        let next = self.slots.len() as u32;
        let at = *self.by_message.entry(hash(message_id)).or_insert(next);
        if at == next {
            self.slots.push(SmallVec::new());
        }
        at
    }

    /// Adds the rows earlier runs stored for `message_id` (each key's latest version) and the
    /// sessions it was seen in (markers). Each takes part in the de-duplication at its place in
    /// path order, as its line would in one run over all the files: before the first line of
    /// this run that comes after it (or when the run ends). Stored rows that one run would have
    /// merged (two installs of one machine writing at once, an older release) are merged then
    /// as lines are: the loser gets a tombstone.
    pub fn seed(&mut self, message_id: &str, rows: &[StoredRow<'_>]) {
        let group = self.group(message_id);
        let mut deferred = Vec::with_capacity(rows.len());
        let mut first_marker: Option<Pos> = None;
        let mut markers: Vec<(Pos, u32)> = Vec::new();
        for row in rows {
            let session = intern(&mut self.sessions, &mut self.session_index, row.session_id);
            // A row whose file is gone comes first: nothing read now comes before it.
            let pos = row.pos.unwrap_or(Pos { file: 0, line: 0 });
            let seed = if row.request_id.starts_with(SEEN_KEY_PREFIX) {
                first_marker = Some(first_marker.map_or(pos, |m| m.min(pos)));
                markers.push((pos, session));
                let ghost = (session, Rank::of_version(row.version));
                self.ghosts.entry(group).or_default().push(ghost);
                Seed::Seen { session }
            } else if row.is_deleted {
                let floor = self
                    .floors
                    .entry((group, hash(row.request_id)))
                    .or_default();
                *floor = (*floor).max(row.version);
                continue;
            } else {
                Seed::Row(StoredSeed {
                    request_id: row.request_id.into(),
                    version: row.version,
                    rank: row.rank.capped(),
                    timestamp_ms: row.timestamp_ms,
                    session,
                    cost: row.cost_usd,
                    pos,
                    began_in: None,
                })
            };
            deferred.push((pos, seed));
        }
        if let Some(first) = first_marker
            && let Some(join) = Self::began_elsewhere(&mut deferred, &markers, first)
        {
            deferred.push(join);
        }
        // The response existed in one run from its first line on, which its markers record
        // (a marker only exists where it was seen in two sessions): its row takes part from
        // there, then the markers (sessions merge into the row's slot).
        if let Some(first) = first_marker {
            for (at, seed) in &mut deferred {
                if matches!(seed, Seed::Row(_)) {
                    *at = (*at).min(first);
                }
            }
        }
        deferred.sort_by_key(|(pos, seed)| (*pos, !matches!(seed, Seed::Row(_))));
        deferred.reverse(); // popped from the back, first in path order first
        if !deferred.is_empty() {
            self.deferred.insert(group, (message_id.into(), deferred));
        }
    }

    /// A response's markers record where each session joined it, the first at its first line.
    /// When its one stored row's line came later and exactly one session was there at the
    /// start, the row takes part in that session from the first line on, as the response did
    /// in one run, and its own session joins at its own line.
    fn began_elsewhere(
        deferred: &mut [(Pos, Seed)],
        markers: &[(Pos, u32)],
        first: Pos,
    ) -> Option<(Pos, Seed)> {
        let mut rows = deferred
            .iter_mut()
            .filter(|(_, s)| matches!(s, Seed::Row(_)));
        let (Some((_, Seed::Row(row))), None) = (rows.next(), rows.next()) else {
            return None;
        };
        let at_first: SmallVec<[u32; 2]> = markers
            .iter()
            .filter(|(pos, _)| *pos == first)
            .map(|&(_, s)| s)
            .collect();
        if row.pos > first
            && at_first.len() == 1
            && at_first[0] != row.session
            && !row.request_id.starts_with(SYNTHETIC_KEY_PREFIX)
        {
            row.began_in = Some(at_first[0]);
            return Some((
                row.pos,
                Seed::Join {
                    session: row.session,
                },
            ));
        }
        None
    }

    /// Brings in the seeds of `group` that come before `pos` in path order (or at it: a stored
    /// line read again meets its own row).
    fn activate(&mut self, group: u32, pos: Pos) {
        if self.deferred.is_empty() {
            return;
        }
        while let Some((message_id, seeds)) = self.deferred.get_mut(&group) {
            let Some((at, _)) = seeds.last() else { break };
            if *at > pos {
                break;
            }
            let (at, seed) = seeds.pop().expect("a seed");
            let message_id = message_id.clone();
            if seeds.is_empty() {
                self.deferred.remove(&group);
            }
            match seed {
                Seed::Row(row) => self.seed_row(group, &message_id, &row, at),
                Seed::Join { session } => {
                    if let Some(slot) = self.joining.remove(&group) {
                        self.merge_session(slot, session);
                    }
                }
                // The sessions a response was seen in, for every response of the id.
                Seed::Seen { session } => {
                    self.marked.entry(group).or_default().push(session);
                    for position in 0..self.slots[group as usize].len() {
                        self.merge_session(SlotRef::new(group, position as u32), session);
                    }
                }
            }
        }
    }

    /// The run read everything: the seeds no line came after take part now.
    pub fn finish(&mut self) {
        let groups: Vec<u32> = self.deferred.keys().copied().collect();
        for group in groups {
            self.activate(
                group,
                Pos {
                    file: u32::MAX,
                    line: u64::MAX,
                },
            );
        }
    }

    /// A pending row of `slot` is about to be stored under `key`: a stored row under the same
    /// key that comes later in path order takes part now, as storing the row would replace it
    /// (it may beat the row, which is then cancelled; or lose, and get its tombstone).
    pub fn before_settle(&mut self, slot: SlotRef, key: &str) {
        let group = slot.group();
        let Some((_, seeds)) = self.deferred.get(&group) else {
            return;
        };
        let same_key = seeds.iter().find_map(|(pos, seed)| match seed {
            Seed::Row(row) if &*row.request_id == key => Some(*pos),
            _ => None,
        });
        if let Some(pos) = same_key {
            self.activate(group, pos);
        }
    }

    /// Pending rows a stored row beat when it took part (indices): not to be stored.
    pub fn take_cancelled(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.cancelled)
    }

    fn seed_row(&mut self, group: u32, message_id: &str, row: &StoredSeed, pos: Pos) {
        let rank = row.rank;
        let probe = Probe {
            request_hash: (!row.request_id.starts_with(SYNTHETIC_KEY_PREFIX))
                .then(|| request_hash(&row.request_id)),
            session: row.began_in.unwrap_or(row.session),
            timestamp_ms: row.timestamp_ms,
            sidechain: !rank.non_sidechain,
            cost: row.cost,
        };
        let rev = revision(row.version, rank);
        let found = self
            .matching(group, &probe)
            .filter(|&p| {
                row.began_in
                    .is_none_or(|began| self.began_line_joins(group, p, began, &probe))
            })
            .or_else(|| self.through_ghost(group, &probe));
        let Some(position) = found else {
            let slot = SlotRef::new(group, self.slots[group as usize].len() as u32);
            let key = RequestKey::store(&mut self.keys, &row.request_id);
            let birth = Birth::of(pos);
            self.slots[group as usize].push(Slot::stored(&probe, rank, key, rev, birth));
            self.seeded_pos.insert(slot, row.pos);
            self.inherit_marks(slot);
            if row.began_in.is_some() {
                self.joining.insert(group, slot);
            }
            return;
        };
        let at = SlotRef::new(group, position);
        if row.began_in.is_some() {
            self.joining.insert(group, at);
        }
        let slot = &self.slots[group as usize][position as usize];
        // Whatever the slot holds came before this row in path order (or is its own line).
        let wins = rank.order(
            f64::from(probe.cost as f32),
            slot.rank(),
            f64::from(slot.cost),
        ) == std::cmp::Ordering::Greater;
        let birth = slot.birth;
        if !wins {
            self.hide(
                message_id,
                group,
                &row.request_id,
                row.timestamp_ms,
                row.version,
            );
            self.seen_in(message_id, at, probe.session, rank, pos);
            return;
        }
        // The stored row takes the slot: what the slot held is not kept.
        if slot.pending != NOT_PENDING {
            self.cancelled.push(slot.pending as usize);
            if let Some(old) = self.superseded.remove(&at) {
                let key: Box<str> = slot.key.get(&self.keys).into();
                self.hide(message_id, group, &key, old.timestamp_ms, old.version);
            }
        } else {
            let key: Box<str> = slot.key.get(&self.keys).into();
            let version = slot.version();
            let timestamp_ms = slot.timestamp_ms;
            self.hide(message_id, group, &key, timestamp_ms, version);
        }
        self.kept_in(message_id, at, probe.session);
        let key = RequestKey::store(&mut self.keys, &row.request_id);
        self.slots[group as usize][position as usize] = Slot {
            session: probe.session,
            ..Slot::stored(&probe, rank, key, rev, birth)
        };
        self.seeded_pos.insert(at, row.pos);
    }

    /// Whether a stored row taking part from its response's first line, in the session `began`
    /// that line was in, joins the slot at `position`: by its key, or by the sidechain rule
    /// when that first line (its marker's rank) would have beaten the slot's line, as in one
    /// run (see `through_ghost`).
    fn began_line_joins(&self, group: u32, position: u32, began: u32, probe: &Probe) -> bool {
        let slot = &self.slots[group as usize][position as usize];
        if slot.line_request_id.is_some() && slot.line_request_id == probe.request_hash {
            return true;
        }
        self.ghosts.get(&group).is_some_and(|ghosts| {
            ghosts.iter().any(|&(session, rank)| {
                session == began && rank.order(0.0, slot.rank(), 0.0) == std::cmp::Ordering::Greater
            })
        })
    }

    /// The slot a stored row joins through a line an earlier run saw in another session (a
    /// marker): in one run that line came between, matched the slot's line by the sidechain
    /// rule and beat it, then lost to the stored row's line. Markers keep the session and the
    /// rank of that line, not its key, so the link is taken when the rule and the rank allow it.
    fn through_ghost(&self, group: u32, probe: &Probe) -> Option<u32> {
        let ghosts = self.ghosts.get(&group)?;
        let slots = &self.slots[group as usize];
        slots
            .iter()
            .enumerate()
            .position(|(i, s)| {
                ghosts.iter().any(|&(session, rank)| {
                    session != probe.session
                        && (s.is(SIDECHAIN) || !rank.non_sidechain)
                        && (s.session == session
                            || self
                                .merged
                                .get(&SlotRef::new(group, i as u32))
                                .is_some_and(|m| m.contains(&session)))
                        && rank.order(0.0, s.rank(), 0.0) == std::cmp::Ordering::Greater
                })
            })
            .map(|p| p as u32)
    }

    /// Hides the stored row under `key` at `timestamp_ms` (version `version`) with the next batch.
    fn hide(&mut self, message_id: &str, group: u32, key: &str, timestamp_ms: i64, version: u64) {
        let tombstone = version.saturating_add(1);
        let floor = self.floors.entry((group, hash(key))).or_default();
        *floor = (*floor).max(tombstone);
        self.repairs.push((
            message_id.into(),
            Tombstone {
                request_id: key.into(),
                timestamp_ms,
                version: tombstone,
            },
        ));
    }

    /// Decides what to do with `entry` (costing `cost` in the run's cost mode), found at `pos`;
    /// `next_index` is where a new pending row would be appended.
    pub fn offer(&mut self, entry: &Entry, cost: f64, pos: Pos, next_index: usize) -> Decision {
        let Some(message_id) = entry.message_id.as_deref() else {
            return Decision::Unkeyed;
        };
        let rank = Rank::of(entry).capped();
        let probe = Probe {
            request_hash: entry.request_id.as_deref().map(request_hash),
            session: self.session_of(&entry.session_id),
            timestamp_ms: entry.timestamp_ms,
            sidechain: entry.is_sidechain,
            cost,
        };
        let group = self.group(message_id);
        self.activate(group, pos);
        let Some(position) = self.matching(group, &probe) else {
            let slots = &mut self.slots[group as usize];
            slots.push(Slot::pending(
                entry,
                rank,
                &probe,
                next_index,
                Birth::of(pos),
            ));
            let slot = SlotRef::new(group, slots.len() as u32 - 1);
            self.inherit_marks(slot);
            return Decision::New(slot);
        };
        let at = SlotRef::new(group, position);
        if !self.beats(at, entry, rank, &probe, pos) {
            // Merged all the same: the response was seen in this line's session.
            self.seen_in(message_id, at, probe.session, rank, pos);
            return Decision::Drop;
        }
        if !self.seeded_pos.is_empty() {
            self.seeded_pos.remove(&at);
        }
        let slot = &self.slots[group as usize][position as usize];
        let stored = (slot.pending == NOT_PENDING).then(|| Superseded {
            timestamp_ms: slot.timestamp_ms,
            version: slot.version(),
        });
        self.kept_in(message_id, at, probe.session);
        let slot = &mut self.slots[group as usize][position as usize];
        slot.flags &= !SEEDED;
        slot.keep(entry, rank, &probe);
        let Some(stored) = stored else {
            return Decision::Replace {
                index: slot.pending as usize,
            };
        };
        slot.pending = next_index as u32;
        self.superseded.insert(at, stored);
        Decision::Supersede(at)
    }

    /// Whether a line at `pos` beats the kept line of `at`. Lines of this run come after the
    /// kept line in path order, unless it came from an earlier run: then its position decides a
    /// tie. Its own line read again at another time than stored (an older release kept a
    /// streamed response's first time) is stored anew.
    fn beats(&self, at: SlotRef, entry: &Entry, rank: Rank, probe: &Probe, pos: Pos) -> bool {
        let slot = &self.slots[at.group() as usize][at.position as usize];
        let stored_pos = slot.is(SEEDED).then(|| self.seeded_pos.get(&at)).flatten();
        let earlier = stored_pos.is_some_and(|p| pos < *p);
        let restated = stored_pos == Some(&pos) && entry.timestamp_ms != slot.timestamp_ms;
        match rank.order(
            f64::from(probe.cost as f32),
            slot.rank(),
            f64::from(slot.cost),
        ) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Equal => earlier || restated,
            std::cmp::Ordering::Less => false,
        }
    }

    /// The slot of `group` a line (or a stored row) belongs to: first by key, then by the
    /// sidechain rule.
    fn matching(&self, group: u32, probe: &Probe) -> Option<u32> {
        let session = probe.session;
        let slots = &self.slots[group as usize];
        let by_key = slots
            .iter()
            .position(|s| match (s.line_request_id, probe.request_hash) {
                (Some(a), Some(b)) => a == b,
                (None, None) => s.session == session && s.timestamp_ms == probe.timestamp_ms,
                _ => false,
            });
        let found = by_key.or_else(|| {
            slots.iter().enumerate().position(|(i, s)| {
                (s.is(SIDECHAIN) || probe.sidechain)
                    && (s.session == session
                        || self
                            .merged
                            .get(&SlotRef::new(group, i as u32))
                            .is_some_and(|m| m.contains(&session)))
            })
        });
        found.map(|p| p as u32)
    }

    /// The index of a line's session: lines of one file share their session's allocation, so
    /// most lines are a pointer comparison.
    fn session_of(&mut self, session: &Arc<str>) -> u32 {
        if let Some((last, i)) = &self.last_session
            && Arc::ptr_eq(last, session)
        {
            return *i;
        }
        let i = intern(&mut self.sessions, &mut self.session_index, session);
        self.last_session = Some((session.clone(), i));
        i
    }

    /// A new response of a group markers were read for was seen in their sessions too.
    fn inherit_marks(&mut self, at: SlotRef) {
        if self.marked.is_empty() {
            return;
        }
        let Some(sessions) = self.marked.get(&at.group()).cloned() else {
            return;
        };
        for session in sessions {
            self.merge_session(at, session);
        }
    }

    /// Notes that the response of `at` was seen in `session`; true if that is new.
    fn merge_session(&mut self, at: SlotRef, session: u32) -> bool {
        let slot = &self.slots[at.group() as usize][at.position as usize];
        if slot.session == session {
            return false;
        }
        let merged = self.merged.entry(at).or_default();
        if merged.contains(&session) {
            return false;
        }
        merged.push(session);
        true
    }

    /// A line of `rank` in `session` merged into `at`: a marker when the session is new to the
    /// response (with where the response began and the line's rank).
    fn seen_in(&mut self, message_id: &str, at: SlotRef, session: u32, rank: Rank, pos: Pos) {
        let first_other = self.merged.get(&at).is_none_or(|m| m.is_empty());
        if self.merge_session(at, session) {
            let slot = &self.slots[at.group() as usize][at.position as usize];
            if first_other {
                // The kept line's session was the only one so far: the response began in it.
                let began = (
                    message_id.into(),
                    slot.session,
                    slot.birth.pos(),
                    slot.rank().version(),
                );
                self.seen.push(began);
            }
            self.seen
                .push((message_id.into(), session, pos, rank.version()));
        }
    }

    /// `at` is about to keep a line of `session` (its kept line not yet replaced): the old kept
    /// line's session becomes a marker when that is new, with that line's rank.
    fn kept_in(&mut self, message_id: &str, at: SlotRef, session: u32) {
        if let Some(old) = self.keep_session(at, session) {
            let slot = &self.slots[at.group() as usize][at.position as usize];
            let marker = (
                message_id.into(),
                old,
                slot.birth.pos(),
                slot.rank().version(),
            );
            self.seen.push(marker);
        }
    }

    /// The kept line of `at` is now one of `session`; the old kept line's session stays one the
    /// response was seen in (returned when that is new).
    fn keep_session(&mut self, at: SlotRef, session: u32) -> Option<u32> {
        let slot = &mut self.slots[at.group() as usize][at.position as usize];
        if slot.session == session {
            return None;
        }
        let old = std::mem::replace(&mut slot.session, session);
        let merged = self.merged.entry(at).or_default();
        merged.retain(|s| *s != session);
        (!merged.contains(&old)).then(|| {
            merged.push(old);
            old
        })
    }

    /// Tombstones of stored rows that seeding merged into others (message id, tombstone).
    pub fn take_repairs(&mut self) -> Vec<(Box<str>, Tombstone)> {
        std::mem::take(&mut self.repairs)
    }

    /// The sessions newly known to have seen a response, since the last call: each becomes a
    /// marker row (written again when a later run finds it again: markers are idempotent).
    pub fn take_seen(&mut self) -> Vec<Seen> {
        let mut seen: Vec<Seen> = self
            .seen
            .drain(..)
            .map(|(message_id, s, pos, version)| {
                let session_id = self.sessions[s as usize].clone();
                Seen {
                    message_id,
                    key: format!("{SEEN_KEY_PREFIX}{session_id}").into(),
                    session_id,
                    pos,
                    version,
                }
            })
            .collect();
        seen.sort_unstable();
        seen.dedup();
        seen
    }

    /// The pending row of `slot` (key `key`, time `timestamp_ms`) is being stored: its version,
    /// and the tombstone of the row it supersedes if that one lies under another key or at
    /// another time. From now on later winners supersede this row.
    pub fn settle(&mut self, slot: SlotRef, key: &str, timestamp_ms: i64) -> Settled {
        let group = slot.group();
        let mut tombstone = None;
        // Both maps are empty on a first backfill without repeats: no hashing then.
        let superseded = (!self.superseded.is_empty())
            .then(|| self.superseded.remove(&slot))
            .flatten();
        if let Some(old) = superseded {
            let s = &self.slots[group as usize][slot.position as usize];
            let old_key = s.key.get(&self.keys);
            let mut floor = old.version;
            if old_key != key || old.timestamp_ms != timestamp_ms {
                floor += 1;
                tombstone = Some(Tombstone {
                    request_id: old_key.into(),
                    timestamp_ms: old.timestamp_ms,
                    version: floor,
                });
            }
            let f = self.floors.entry((group, hash(old_key))).or_default();
            *f = (*f).max(floor);
        }
        let s = &mut self.slots[group as usize][slot.position as usize];
        let base = s.rank().version();
        let floor = (!self.floors.is_empty())
            .then(|| self.floors.get(&(group, hash(key))).copied())
            .flatten();
        let version = match floor {
            Some(floor) if floor >= base => floor.saturating_add(1),
            _ => base,
        };
        s.rev = revision(version, s.rank());
        if !s.is(STORED) || s.key.get(&self.keys) != key {
            s.key = RequestKey::store(&mut self.keys, key);
        }
        s.flags |= STORED;
        s.pending = NOT_PENDING;
        Settled { version, tombstone }
    }

    /// Where the response of `slot` began: its first line's place in path order (a stored
    /// row's, when it came from an earlier run). ccusage lists a response there, whichever of
    /// its lines is kept.
    pub fn began_at(&self, slot: SlotRef) -> Pos {
        self.slots[slot.group() as usize][slot.position as usize]
            .birth
            .pos()
    }

    /// Responses kept so far (slots).
    pub fn messages(&self) -> usize {
        self.slots.iter().map(|s| s.len()).sum()
    }
}

/// How far `version` lies above `rank`'s own: the revision bits, and more where a line won on
/// cost over a higher-ranked one (without `speed` over one with it), whose version it must
/// exceed (by 2^REVISION_BITS and its revision). Each revision is a line better than the last
/// or a tie won back, so 65,535 (about a thousand such cost wins for one key) is never reached.
pub fn revision(version: u64, rank: Rank) -> u16 {
    u16::try_from(version.saturating_sub(rank.version())).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests;
