//! Forked and sub-agent sessions: their rollout starts with a copy of the parent's usage
//! history, which ccusage 20.0.24 does not count again.
//!
//! A file is a fork when its first line is a `session_meta` naming a parent
//! (`payload.forked_from_id`, else `payload.source.subagent.thread_spawn.parent_thread_id`).
//! Its leading requests are compared, in order, with the parent's requests up to the fork
//! instant (the child's first timestamp); each equal one is skipped. If the very first one
//! differs (the parent's log is not among the files, or Codex rewrote the copy), the leading
//! burst is skipped instead: when the file's first two `token_count`s are at most 1 s apart,
//! every request within 1 s of the previous skipped one. The first request that is neither
//! ends the replay for good.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::line::{self, RawUsage, Record};

/// What the first line says about the session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SessionMeta {
    /// `payload.id`: how forks name this session.
    pub id: Option<String>,
    /// The parent a fork or sub-agent replays.
    pub parent_id: Option<String>,
    /// The first line's timestamp: parent requests after it were not replayed.
    pub forked_at_ms: Option<i64>,
    /// Where the session ran, the Codex version that wrote it and its git branch (stored with
    /// its requests; never any conversation text).
    pub cwd: Option<String>,
    pub cli_version: Option<String>,
    pub git_branch: Option<String>,
}

impl SessionMeta {
    /// Read from a file's first line (anything else than a `session_meta` names nothing).
    pub(crate) fn of_first_line(line: &[u8]) -> SessionMeta {
        let Ok(value) = serde_json::from_slice::<Value>(line) else {
            return SessionMeta::default();
        };
        let payload = (value.get("type").and_then(Value::as_str) == Some("session_meta"))
            .then(|| value.get("payload"))
            .flatten();
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        let parent = payload.and_then(|p| {
            p.get("forked_from_id")
                .and_then(Value::as_str)
                .or_else(|| {
                    p.pointer("/source/subagent/thread_spawn/parent_thread_id")
                        .and_then(Value::as_str)
                })
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
        });
        SessionMeta {
            id: text(payload.and_then(|p| p.get("id"))),
            parent_id: parent,
            forked_at_ms: value.get("timestamp").and_then(stamp_ms),
            cwd: text(payload.and_then(|p| p.get("cwd"))),
            cli_version: text(payload.and_then(|p| p.get("cli_version"))),
            git_branch: text(payload.and_then(|p| p.pointer("/git/branch"))),
        }
    }
}

fn stamp_ms(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => crate::time::parse_timestamp_ms(s.trim()),
        Value::Number(n) => {
            let n = n.as_u64()?;
            let ms = if n > 10_000_000_000 {
                n
            } else {
                n.checked_mul(1000)?
            };
            i64::try_from(ms).ok()
        }
        _ => None,
    }
}

/// Where a file is in its replayed history: part of its checkpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Replay {
    /// `index` requests matched the parent's so far.
    Matching { index: usize },
    /// Inside the leading burst; the last request skipped was at `previous_ms`.
    SkippingBurst { previous_ms: i64 },
    /// The session's own requests: all counted.
    #[default]
    Done,
}

/// What to do with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Count,
    Skip,
    /// Only the file's next `token_count` can tell (a resumable read at the end of the file).
    Undecided,
}

/// The start of a leading burst, from the file's first `token_count`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Burst {
    StartsAt(i64),
    None,
    /// The file holds fewer than two `token_count`s yet.
    NotYet,
}

impl Replay {
    pub(crate) fn start(meta: &SessionMeta) -> Replay {
        match meta.parent_id {
            Some(_) => Replay::Matching { index: 0 },
            None => Replay::Done,
        }
    }

    /// The verdict on the next request (`usage` at `ms`), given the parent's replayable prefix
    /// and a probe of the file's head. Leaves the state unchanged when undecided.
    pub(crate) fn judge(
        &mut self,
        usage: &RawUsage,
        ms: Option<i64>,
        prefix: &[RawUsage],
        burst: impl FnOnce() -> Burst,
    ) -> Verdict {
        if let Replay::Matching { index } = *self {
            if prefix.get(index) == Some(usage) {
                *self = Replay::Matching { index: index + 1 };
                return Verdict::Skip;
            }
            *self = match (index, burst_if_first(index, burst)) {
                (0, Burst::StartsAt(start)) => Replay::SkippingBurst { previous_ms: start },
                (0, Burst::NotYet) => return Verdict::Undecided,
                _ => Replay::Done,
            };
        }
        if let Replay::SkippingBurst { previous_ms } = *self {
            match ms {
                Some(ms) if (0..=BURST_GAP_MS).contains(&(ms - previous_ms)) => {
                    *self = Replay::SkippingBurst { previous_ms: ms };
                    return Verdict::Skip;
                }
                _ => *self = Replay::Done,
            }
        }
        Verdict::Count
    }
}

fn burst_if_first(index: usize, burst: impl FnOnce() -> Burst) -> Burst {
    if index == 0 { burst() } else { Burst::None }
}

/// The longest pause inside a replayed burst (Codex writes the copy in one go).
const BURST_GAP_MS: i64 = 1_000;

/// The burst at the head of `lines` (a file's lines in order); `complete`: no more lines will
/// come (else two `token_count`s are needed to decide).
pub(crate) fn burst_in<'a>(lines: impl Iterator<Item = &'a [u8]>, complete: bool) -> Burst {
    let mut first = None;
    for l in lines.filter(|l| line::may_matter(l)) {
        let Some(Record::TokenCount {
            stamp, total, last, ..
        }) = line::parse(l)
        else {
            continue;
        };
        let Some(ms) = stamp.and_then(|s| s.ms) else {
            continue;
        };
        if total.is_none() && last.is_none() {
            continue;
        }
        match first {
            None => first = Some(ms),
            Some(start) => {
                return if (0..=BURST_GAP_MS).contains(&(ms - start)) {
                    Burst::StartsAt(start)
                } else {
                    Burst::None
                };
            }
        }
    }
    if complete { Burst::None } else { Burst::NotYet }
}

#[cfg(test)]
#[path = "replay_tests.rs"]
mod tests;
