//! A Codex request as a `usage_events` row (source `codex`).
//!
//! - The key: ccusage counts requests with the same instant, model and token counts once,
//!   wherever they are logged, so the row's `message_id` is a hash of exactly that
//!   (`cx:<32 hex>`) and `request_id` is empty. Copies in other files, runs or homes collapse
//!   into one row in the table (ReplacingMergeTree), as in ccusage.
//! - The version: which copy is kept. ccusage keeps the first in its reading order (homes in
//!   `CODEX_HOME` order, `sessions/` before `archived_sessions/`, paths sorted); the version
//!   ranks a file by that order, from data alone ([`read_order_rank`]), so every run keeps the
//!   copy one run over all the files keeps, whatever order the files were synced in.
//! - Columns: `project` and `cwd` are the session's working directory (hashed like Claude's
//!   under a privacy key), `claude_version` the Codex version that wrote it, `speed` `fast` for
//!   requests billed at the fast/priority tier. Token columns keep ccusage's split: input
//!   without its cached and written parts, cached input as cache reads, written as cache
//!   creation, output with reasoning inside (and reasoning on its own).

use std::path::Path;

use crate::source::codex::{CodexRow, Rollout, SessionMeta};
use crate::usage::UsageRow;

/// Bits below the file's rank: a later rewrite of the same row (kept for re-pricing).
const REVISION_BITS: u32 = 6;

/// The row's key: a hash of what makes two requests the same one for ccusage (its duplicate
/// key: the instant, the model, every count).
pub(super) fn message_id(row: &CodexRow) -> String {
    let key = crate::source::codex::duplicate_key(row);
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&key.timestamp_ms.to_le_bytes());
    h.update(key.model.as_bytes());
    h.update(&[0]);
    for n in key.tokens {
        h.update(&n.to_le_bytes());
    }
    format!("cx:{:032x}", h.digest128())
}

/// A rank of `rollout` that is higher the earlier ccusage reads it: 3 bits of home (the first
/// eight homes apart), 1 bit `sessions/` over `archived_sessions/`, then the file name as Codex
/// writes it (`rollout-YYYY-MM-DDTHH-MM-SS-<uuid>.jsonl`: paths sort by that instant, then by
/// the uuid): 34 bits of the instant and 20 of the uuid, both inverted. A file named otherwise
/// ranks below every Codex-named one of its folder, by a hash of its name (not its path's
/// order: a documented limit).
pub(super) fn read_order_rank(rollout: &Rollout) -> u64 {
    let home = 7 - rollout.home.min(7) as u64;
    let folder = u64::from(!rollout.archived);
    let (instant, uuid) = match name_parts(&rollout.path) {
        Some((secs, uuid)) => (
            (1 << 34) - 1 - secs.min((1 << 34) - 1),
            (1 << 20) - 1 - uuid,
        ),
        None => (0, hashed_name(&rollout.path)),
    };
    (home << 61) | (folder << 60) | (instant << 26) | (uuid << REVISION_BITS)
}

/// Seconds since the epoch of the name's civil stamp (read as UTC: only the order matters) and
/// 20 bits of the uuid that order files of the same second: of a v7 uuid (Codex's), the low
/// bits of its millisecond (its top bits are the same second's); of another, its first bits.
fn name_parts(path: &Path) -> Option<(u64, u64)> {
    let name = path.file_name()?.to_str()?;
    let rest = name.strip_prefix("rollout-")?.strip_suffix(".jsonl")?;
    let (stamp, uuid) = (rest.get(..19)?, rest.get(20..)?);
    let civil = jiff::civil::DateTime::strptime("%Y-%m-%dT%H-%M-%S", stamp).ok()?;
    let secs = jiff::tz::TimeZone::UTC
        .to_timestamp(civil)
        .ok()?
        .as_second();
    let hex: String = uuid.chars().filter(|&c| c != '-').collect();
    let digits = match hex.get(12..13) {
        Some("7") => hex.get(7..12)?,
        _ => hex.get(..5)?,
    };
    let uuid = u64::from_str_radix(digits, 16).ok()?;
    Some((u64::try_from(secs).ok()?, uuid))
}

fn hashed_name(path: &Path) -> u64 {
    let name = path
        .file_name()
        .map(|n| n.as_encoded_bytes())
        .unwrap_or_default();
    xxhash_rust::xxh3::xxh3_64(name) >> 44
}

/// What a row needs besides the request: where it was read and who stores it.
pub(super) struct RowContext<'a> {
    pub machine: &'a str,
    pub rank: u64,
    pub meta: Option<&'a SessionMeta>,
    /// The session's cwd and the file's path as stored (hashed under a privacy key).
    pub cwd: &'a str,
    pub file: &'a str,
    pub git_branch: &'a str,
    pub ingested_at: i64,
}

/// `row` as stored, keyed by `message_id`.
pub(super) fn usage_row<'a>(
    row: &'a CodexRow,
    message_id: &'a str,
    cx: &RowContext<'a>,
) -> UsageRow<'a> {
    UsageRow {
        machine_name: cx.machine,
        source: crate::CODEX_SOURCE,
        account: "",
        message_id,
        request_id: "",
        timestamp: row.timestamp_ms,
        session_id: &row.session_id,
        project: cx.cwd,
        cwd: cx.cwd,
        git_branch: cx.git_branch,
        claude_version: cx.meta.and_then(|m| m.cli_version.as_deref()).unwrap_or(""),
        model: &row.model,
        speed: if row.fast { "fast" } else { "" },
        service_tier: if row.fast { "priority" } else { "" },
        is_sidechain: false,
        is_api_error: false,
        agent_id: "",
        agent_type: "",
        input_tokens: row.input,
        output_tokens: row.output,
        reasoning_output_tokens: row.reasoning,
        cache_creation_input_tokens: row.cache_write,
        cache_creation_5m_input_tokens: 0,
        cache_creation_1h_input_tokens: 0,
        cache_read_input_tokens: row.cached_input,
        web_search_requests: 0,
        cost_usd: row.cost_usd,
        reported_cost_usd: None,
        cost_mode: crate::price::CostMode::Calculate.as_str(),
        cost_source: crate::price::CostSource::Calculated.as_str(),
        unknown_model: row.unpriced,
        source_file: cx.file,
        source_line: row.line,
        version: cx.rank,
        is_deleted: 0,
        ingested_at: cx.ingested_at,
        agent_version: crate::AGENT_VERSION,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn rollout(path: &str, home: usize, archived: bool) -> Rollout {
        Rollout {
            path: PathBuf::from(path),
            session_id: String::new(),
            home,
            archived,
        }
    }

    fn named(day: &str, rest: &str) -> String {
        format!("/a/sessions/{day}/rollout-{rest}.jsonl")
    }

    #[test]
    fn ranks_follow_ccusages_reading_order() {
        // In reading order: first home's sessions (by name; a name Codex does not write last in
        // its folder), its archive, then the next home.
        let order = [
            // Two v7 uuids of the same second, then two of another kind.
            rollout(
                &named(
                    "2026/01/05",
                    "2026-01-05T07-59-00-019b8d2e-7a10-7000-8000-0000",
                ),
                0,
                false,
            ),
            rollout(
                &named(
                    "2026/01/05",
                    "2026-01-05T07-59-00-019b8d2e-7b02-7000-8000-0000",
                ),
                0,
                false,
            ),
            rollout(
                &named(
                    "2026/01/05",
                    "2026-01-05T07-59-01-0000000a-0000-4000-8000-0000",
                ),
                0,
                false,
            ),
            rollout(
                &named(
                    "2026/01/05",
                    "2026-01-05T07-59-01-0000100b-0000-4000-8000-0000",
                ),
                0,
                false,
            ),
            rollout(
                "/a/sessions/2026/01/06/rollout-2026-01-06T00-00-00-00000001-0000.jsonl",
                0,
                false,
            ),
            rollout("/a/sessions/2026/01/06/notes.jsonl", 0, false),
            rollout(
                "/a/archived_sessions/rollout-2025-12-01T00-00-00-00000001-0000.jsonl",
                0,
                true,
            ),
            rollout(
                "/b/sessions/2025/01/01/rollout-2025-01-01T00-00-00-00000001-0000.jsonl",
                1,
                false,
            ),
        ];
        let ranks: Vec<u64> = order.iter().map(read_order_rank).collect();
        for pair in ranks.windows(2) {
            assert!(pair[0] > pair[1], "{ranks:x?}");
        }
        assert!(ranks.iter().all(|r| r & ((1 << REVISION_BITS) - 1) == 0));
    }

    #[test]
    fn the_key_is_the_instant_the_model_and_every_count() {
        let row = CodexRow {
            timestamp_ms: 1,
            written_time: None,
            session_id: "s".into(),
            model: "gpt-5".into(),
            is_fallback_model: false,
            input: 10,
            cached_input: 2,
            cache_write: 0,
            output: 5,
            reasoning: 1,
            total: 17,
            fast: false,
            cost_usd: 0.1,
            unpriced: false,
            file: PathBuf::from("/f"),
            line: 3,
        };
        let elsewhere = CodexRow {
            session_id: "other".into(),
            file: PathBuf::from("/g"),
            line: 9,
            fast: true,
            ..row.clone()
        };
        assert_eq!(message_id(&row), message_id(&elsewhere));
        for changed in [
            CodexRow {
                timestamp_ms: 2,
                ..row.clone()
            },
            CodexRow {
                model: "gpt-5-codex".into(),
                ..row.clone()
            },
            CodexRow {
                reasoning: 2,
                ..row.clone()
            },
            CodexRow {
                total: 18,
                ..row.clone()
            },
        ] {
            assert_ne!(message_id(&row), message_id(&changed));
        }
    }
}
