//! What can go wrong reading Codex rollouts, each naming the file (and line) and what to do.

use std::path::PathBuf;

/// A rollout that could not be read at all.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CodexError {
    #[error("{}: {source} (check that the file is readable by this user; it is skipped)", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot list {}: {source} (fix its permissions; the rollouts in it are skipped)", path.display())]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A line that was skipped, with why. Never fatal: the rest of the file is read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {reason}", path.display())]
pub(crate) struct BadLine {
    pub path: PathBuf,
    /// 1-based.
    pub line: u64,
    pub reason: BadReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BadReason {
    #[error(
        "not a JSON object of a Codex rollout line (a truncated or corrupted write?); skipped, as ccusage skips it"
    )]
    NotJson,
    #[error(
        "token_count with a timestamp that is not YYYY-MM-DDTHH:MM:SS[.mmm](Z|±HH:MM); skipped (ccusage stops the whole report with \"Invalid Codex timestamp\" here: fix or remove the line to compare)"
    )]
    BadTimestamp,
}
