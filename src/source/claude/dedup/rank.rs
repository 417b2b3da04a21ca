//! How two lines of one response compare, and how that is stored as `usage_events.version`.

use crate::source::claude::parse::Entry;

/// What orders two lines of one response apart from their cost (see [`Rank::order`]), and what
/// `usage_events.version` encodes.
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

    /// The rank a marker's `version` encodes (a total above 2^56 reads back capped). Not a
    /// row's: its version can lie above its rank's revisions (see `dedup::revision`).
    pub fn of_version(version: u64) -> Self {
        Rank {
            non_sidechain: version >> 63 == 1,
            total: (version >> (REVISION_BITS + 1)) & ((1 << TOTAL_BITS) - 1),
            has_speed: (version >> REVISION_BITS) & 1 == 1,
        }
    }

    /// ccusage's order of two lines of one response, `self` costing `cost`: the non-sidechain
    /// line, then the larger token total, then the higher cost (in the run's cost mode), then
    /// the one with a `speed` field. On `Equal`, the first in path order is kept.
    pub fn order(self, cost: f64, other: Rank, other_cost: f64) -> std::cmp::Ordering {
        (self.non_sidechain, self.total)
            .cmp(&(other.non_sidechain, other.total))
            .then(
                cost.partial_cmp(&other_cost)
                    .unwrap_or(std::cmp::Ordering::Equal),
            )
            .then(self.has_speed.cmp(&other.has_speed))
    }

    /// The rank as stored: a total above 2^56 compares as 2^56 - 1, in a run as across runs.
    pub(super) fn capped(self) -> Self {
        Rank {
            total: self.total.min((1 << TOTAL_BITS) - 1),
            ..self
        }
    }
}
