//! ccusage's de-duplication, as a pure state machine over the entries of one run.
//!
//! Key: (message.id, requestId), global. Within one session, message.id alone decides when
//! either line is a sidechain. Lines without requestId collide only with the same message.id,
//! session and timestamp; lines without message.id never. On a collision the non-sidechain line
//! wins, then the larger token total; on a tie the first seen, unless only the later line has a
//! `speed` field. (Verified against ccusage 20.0.24: docs/ccusage-compat.md.)
//!
//! The same ranking is the `ReplacingMergeTree` version column, so rows that meet again in
//! ClickHouse (a later run, another copy of a transcript) resolve the same way.

use std::num::NonZeroU64;

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::parse::Entry;

/// Orders two lines of one response: higher wins (ccusage: the non-sidechain line, then the
/// larger token total, then the one with a `speed` field; on a full tie, the first in path order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rank {
    pub non_sidechain: bool,
    pub total: u64,
    pub has_speed: bool,
}

/// Low bits of `usage_events.version` below the rank: a newer row of the same key and rank (a
/// tombstone, a tie won by path order, a re-priced row) counts up here.
pub const REVISION_BITS: u32 = 6;
const TOTAL_BITS: u32 = 56;

impl Rank {
    pub fn of(entry: &Entry) -> Self {
        Rank {
            non_sidechain: !entry.is_sidechain,
            total: entry.usage.total(),
            has_speed: entry.has_speed,
        }
    }

    /// The table's `version` of a row of this rank at revision 0: the sidechain flag, then 56
    /// bits of tokens (capped), then the `speed` flag, above the revision bits.
    pub fn version(self) -> u64 {
        (u64::from(self.non_sidechain) << 63)
            | (self.total.min((1 << TOTAL_BITS) - 1) << (REVISION_BITS + 1))
            | (u64::from(self.has_speed) << REVISION_BITS)
    }

    /// The rank a stored `version` encodes (a total above 2^56 reads back capped).
    pub fn of_version(version: u64) -> Self {
        Rank {
            non_sidechain: version >> 63 == 1,
            total: (version >> (REVISION_BITS + 1)) & ((1 << TOTAL_BITS) - 1),
            has_speed: (version >> REVISION_BITS) & 1 == 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// A message not seen before in this run: append it.
    New,
    /// Replaces the pending (not yet inserted) row at `index`, under key `request_id`.
    Replace {
        index: usize,
        request_id: Option<Box<str>>,
    },
    /// Beats a row already inserted in this run: append it under the inserted row's key
    /// (`request_id`), so ClickHouse replaces that row instead of adding one.
    Supersede { request_id: Option<Box<str>> },
    /// Loses to a row already kept.
    Drop,
}

#[derive(Debug)]
struct Slot {
    /// Hash of the session (the sidechain rule applies within one).
    session: u64,
    timestamp_ms: i64,
    /// Hash of the requestId of the line currently kept: what later lines are compared with.
    line_request_id: Option<NonZeroU64>,
    /// requestId under which the kept row is (or will be) stored, in `Deduper::request_ids`.
    request_id: RequestKey,
    /// Token total of the kept line (with `sidechain`, its rank).
    total: u64,
    /// Index of the pending row, or NOT_PENDING once inserted.
    pending: u32,
    has_speed: bool,
    sidechain: bool,
    /// A row under this key reached ClickHouse: later winners must keep the key.
    key_inserted: bool,
}

/// Packed (48 bytes): a backfill holds one slot per response.
const NOT_PENDING: u32 = u32::MAX;

/// A requestId in the run's arena of them: 8 bytes in the slot and the text stored once,
/// instead of a 16-byte pointer to its own ~48-byte allocation (~5 MB on a 160k-response
/// backfill). Only a replaced or superseded row needs it back as a string.
#[derive(Debug, Clone, Copy)]
struct RequestKey {
    start: u32,
    /// `u32::MAX`: the line had no requestId.
    len: u32,
}

impl RequestKey {
    const NONE: RequestKey = RequestKey {
        start: 0,
        len: u32::MAX,
    };

    fn store(arena: &mut String, request_id: Option<&str>) -> Self {
        let Some(r) = request_id else {
            return Self::NONE;
        };
        let start = u32::try_from(arena.len()).expect("requestIds of one run under 4 GiB");
        arena.push_str(r);
        RequestKey {
            start,
            len: u32::try_from(r.len()).expect("a requestId under 4 GiB"),
        }
    }

    fn get(self, arena: &str) -> Option<&str> {
        (self.len != u32::MAX).then(|| {
            let start = self.start as usize;
            &arena[start..start + self.len as usize]
        })
    }
}

impl Slot {
    fn rank(&self) -> Rank {
        Rank {
            non_sidechain: !self.sidechain,
            total: self.total,
            has_speed: self.has_speed,
        }
    }
}

/// A hash that is never zero, so `Option` of it costs no extra space.
fn request_hash(s: &str) -> NonZeroU64 {
    NonZeroU64::new(hash(s)).unwrap_or(NonZeroU64::MIN)
}

fn hash(s: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(s.as_bytes())
}

#[derive(Debug, Default)]
pub struct Deduper {
    /// A 64-bit hash of message.id → its slots in `slots`. The table holds only small indices,
    /// so growing it (which briefly needs old and new table) stays cheap on a large backfill.
    by_message: FxHashMap<u64, u32>,
    /// Almost every response has one slot: kept inline, no allocation per response.
    slots: Vec<SmallVec<[Slot; 1]>>,
    /// (index in `slots`, position in it) of the slots made pending since the last insert:
    /// marking them inserted costs the batch, not the run's every response.
    pending_slots: Vec<(u32, u32)>,
    /// The kept rows' requestIds, back to back (see `RequestKey`).
    request_ids: String,
}

impl Deduper {
    pub fn new() -> Self {
        Self::default()
    }

    /// Decides what to do with `entry`; `next_index` is where it would be appended.
    pub fn offer(&mut self, entry: &Entry, next_index: usize) -> Decision {
        let Some(message_id) = entry.message_id.as_deref() else {
            return Decision::New;
        };
        let rank = Rank::of(entry);
        let request_hash = entry.request_id.as_deref().map(request_hash);
        let session = hash(&entry.session_id);
        let next_slot = self.slots.len() as u32;
        let at = *self.by_message.entry(hash(message_id)).or_insert(next_slot);
        if at == next_slot {
            self.slots.push(SmallVec::new());
        }
        let slots = &mut self.slots[at as usize];
        let found = slots.iter().position(|s| {
            let same_session = s.session == session;
            match (s.line_request_id, request_hash) {
                _ if (s.sidechain || entry.is_sidechain) && same_session => true,
                (Some(a), Some(b)) => a == b,
                (None, None) => same_session && s.timestamp_ms == entry.timestamp_ms,
                _ => false,
            }
        });
        let Some(position) = found else {
            self.pending_slots.push((at, slots.len() as u32));
            slots.push(Slot {
                session,
                timestamp_ms: entry.timestamp_ms,
                has_speed: entry.has_speed,
                line_request_id: request_hash,
                request_id: RequestKey::store(&mut self.request_ids, entry.request_id.as_deref()),
                sidechain: entry.is_sidechain,
                total: rank.total,
                pending: next_index as u32,
                key_inserted: false,
            });
            return Decision::New;
        };
        let slot = &mut slots[position];
        let kept = slot.rank();
        let wins = rank > kept;
        if !wins {
            return Decision::Drop;
        }
        slot.total = rank.total;
        slot.has_speed = entry.has_speed;
        slot.timestamp_ms = entry.timestamp_ms;
        slot.sidechain = entry.is_sidechain;
        slot.line_request_id = request_hash;
        match Some(slot.pending).filter(|&p| p != NOT_PENDING) {
            Some(index) => {
                let index = index as usize;
                // Lines of one streamed response share their requestId: stored once.
                let request_id = entry.request_id.as_deref();
                if !slot.key_inserted && slot.request_id.get(&self.request_ids) != request_id {
                    slot.request_id = RequestKey::store(&mut self.request_ids, request_id);
                }
                Decision::Replace {
                    index,
                    request_id: slot.request_id.get(&self.request_ids).map(Into::into),
                }
            }
            None => {
                // Keep the inserted row's key; the new row takes its place in ClickHouse.
                slot.pending = next_index as u32;
                self.pending_slots.push((at, position as u32));
                Decision::Supersede {
                    request_id: slot.request_id.get(&self.request_ids).map(Into::into),
                }
            }
        }
    }

    /// All pending rows were inserted; later winners must supersede them by key.
    pub fn mark_inserted(&mut self) {
        for (at, position) in self.pending_slots.drain(..) {
            let slot = &mut self.slots[at as usize][position as usize];
            slot.pending = NOT_PENDING;
            slot.key_inserted = true;
        }
    }

    pub fn messages(&self) -> usize {
        self.slots.iter().map(|s| s.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_costs_one_small_slot() {
        // The dominant memory of a backfill: keep it from growing unnoticed.
        assert!(std::mem::size_of::<SmallVec<[Slot; 1]>>() <= 56);
    }

    #[test]
    fn request_ids_come_back_from_the_arena() {
        let mut arena = String::new();
        let a = RequestKey::store(&mut arena, Some("req_a"));
        let none = RequestKey::store(&mut arena, None);
        let empty = RequestKey::store(&mut arena, Some(""));
        let b = RequestKey::store(&mut arena, Some("req_ü"));
        assert_eq!(a.get(&arena), Some("req_a"));
        assert_eq!(none.get(&arena), None);
        assert_eq!(empty.get(&arena), Some(""), "empty is not missing");
        assert_eq!(b.get(&arena), Some("req_ü"));
    }
    use crate::parse::Usage;

    fn entry(msg: Option<&str>, req: Option<&str>, sidechain: bool, output: u64) -> Entry {
        Entry {
            has_speed: false,
            timestamp_ms: 0,
            message_id: msg.map(Into::into),
            request_id: req.map(Into::into),
            model: "m".into(),
            session_id: "s1".into(),
            cwd: "".into(),
            claude_version: "".into(),
            git_branch: "".into(),
            agent_id: "".into(),
            service_tier: "".into(),
            speed: "".into(),
            is_sidechain: sidechain,
            is_api_error: false,
            usage: Usage {
                output,
                ..Usage::default()
            },
            reported_cost_usd: None,
        }
    }

    #[test]
    fn streamed_lines_of_one_response_converge_to_the_largest() {
        let mut d = Deduper::new();
        assert_eq!(
            d.offer(&entry(Some("m1"), Some("r1"), false, 1), 0),
            Decision::New
        );
        assert_eq!(
            d.offer(&entry(Some("m1"), Some("r1"), false, 50), 1),
            Decision::Replace {
                index: 0,
                request_id: Some("r1".into())
            }
        );
        assert_eq!(
            d.offer(&entry(Some("m1"), Some("r1"), false, 50), 1),
            Decision::Drop
        );
        assert_eq!(
            d.offer(&entry(Some("m1"), Some("r1"), false, 10), 1),
            Decision::Drop
        );
        assert_eq!(d.messages(), 1);
    }

    #[test]
    fn different_request_ids_are_different_messages_unless_a_sidechain_is_involved() {
        let mut d = Deduper::new();
        assert_eq!(
            d.offer(&entry(Some("m1"), Some("r1"), false, 5), 0),
            Decision::New
        );
        assert_eq!(
            d.offer(&entry(Some("m1"), Some("r2"), false, 5), 1),
            Decision::New
        );
        let mut d = Deduper::new();
        assert_eq!(
            d.offer(&entry(Some("m1"), Some("r1"), true, 99), 0),
            Decision::New
        );
        // The non-sidechain copy wins even with fewer tokens.
        assert_eq!(
            d.offer(&entry(Some("m1"), Some("r2"), false, 1), 1),
            Decision::Replace {
                index: 0,
                request_id: Some("r2".into())
            }
        );
        // And a sidechain copy never beats it back.
        assert_eq!(
            d.offer(&entry(Some("m1"), Some("r3"), true, 500), 1),
            Decision::Drop
        );
    }

    #[test]
    fn sidechain_rule_applies_within_a_session_only() {
        let mut d = Deduper::new();
        let mut other = entry(Some("m1"), Some("r2"), false, 1);
        other.session_id = "s2".into();
        assert_eq!(
            d.offer(&entry(Some("m1"), Some("r1"), true, 9), 0),
            Decision::New
        );
        assert_eq!(d.offer(&other, 1), Decision::New);
    }

    #[test]
    fn lines_without_request_id_need_the_same_session_and_timestamp() {
        let mut d = Deduper::new();
        assert_eq!(
            d.offer(&entry(Some("m1"), None, false, 1), 0),
            Decision::New
        );
        assert_eq!(
            d.offer(&entry(Some("m1"), None, false, 1), 1),
            Decision::Drop
        );
        let mut later = entry(Some("m1"), None, false, 1);
        later.timestamp_ms = 300_000;
        assert_eq!(d.offer(&later, 1), Decision::New);
        assert_eq!(
            d.offer(&entry(Some("m1"), Some("r"), false, 1), 2),
            Decision::New
        );
    }

    #[test]
    fn a_tie_goes_to_the_line_with_a_speed_field() {
        let mut d = Deduper::new();
        assert_eq!(
            d.offer(&entry(Some("m1"), Some("r"), false, 5), 0),
            Decision::New
        );
        let mut with_speed = entry(Some("m1"), Some("r"), false, 5);
        with_speed.has_speed = true;
        assert!(matches!(
            d.offer(&with_speed, 1),
            Decision::Replace { index: 0, .. }
        ));
        assert_eq!(d.offer(&with_speed, 1), Decision::Drop);
    }

    #[test]
    fn lines_without_message_id_are_never_merged() {
        let mut d = Deduper::new();
        assert_eq!(d.offer(&entry(None, Some("r"), false, 5), 0), Decision::New);
        assert_eq!(d.offer(&entry(None, Some("r"), false, 5), 1), Decision::New);
    }

    #[test]
    fn winners_after_an_insert_supersede_under_the_inserted_key() {
        let mut d = Deduper::new();
        assert_eq!(
            d.offer(&entry(Some("m1"), Some("r1"), true, 5), 0),
            Decision::New
        );
        d.mark_inserted();
        assert_eq!(
            d.offer(&entry(Some("m1"), Some("r9"), false, 1), 0),
            Decision::Supersede {
                request_id: Some("r1".into())
            }
        );
        // The superseding row is pending again, and keeps the inserted key.
        assert_eq!(
            d.offer(&entry(Some("m1"), Some("r9"), false, 7), 1),
            Decision::Replace {
                index: 0,
                request_id: Some("r1".into())
            }
        );
    }

    #[test]
    fn every_insert_settles_the_rows_made_pending_since_the_last() {
        let mut d = Deduper::new();
        let offer = |d: &mut Deduper, req: &str, output: u64, index: usize| {
            d.offer(&entry(Some("m1"), Some(req), false, output), index)
        };
        // Two responses under one message.id: the second sits in the slot list's second place.
        assert_eq!(offer(&mut d, "r1", 1, 0), Decision::New);
        assert_eq!(offer(&mut d, "r2", 1, 1), Decision::New);
        d.mark_inserted();
        let supersede = Decision::Supersede {
            request_id: Some("r2".into()),
        };
        for output in [2, 3, 4] {
            // Each batch's winner was inserted with it: the next one supersedes, never replaces.
            assert_eq!(offer(&mut d, "r2", output, 0), supersede, "output {output}");
            d.mark_inserted();
        }
        assert_eq!(
            offer(&mut d, "r1", 5, 0),
            Decision::Supersede {
                request_id: Some("r1".into())
            }
        );
        assert_eq!(
            offer(&mut d, "r1", 6, 1),
            Decision::Replace {
                index: 0,
                request_id: Some("r1".into())
            }
        );
        assert_eq!(d.messages(), 2);
    }

    #[test]
    fn version_orders_like_rank() {
        let rank = |non_sidechain, total, has_speed| Rank {
            non_sidechain,
            total,
            has_speed,
        };
        let a = rank(false, u64::MAX, true).version();
        let b = rank(true, 0, false).version();
        let c = rank(true, 10, false).version();
        let d = rank(true, 10, true).version();
        assert!(a < b && b < c && c < d);
        assert_eq!(d & ((1 << REVISION_BITS) - 1), 0, "revision 0");
        for r in [rank(false, 5, true), rank(true, (1 << 56) - 1, false)] {
            assert_eq!(Rank::of_version(r.version() + 3), r);
        }
    }
}
