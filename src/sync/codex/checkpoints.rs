//! Codex checkpoints: per rollout, what was seen of it (size, modification time) and where its
//! next read starts (the reader's whole state, see `source::codex::Checkpoint`), plus the
//! rollup buckets still owed. One sealed file per target, beside Claude Code's; saved only for
//! rows ClickHouse acknowledged.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sealed::{self, Decode};
use crate::source::codex::Checkpoint;

const MAGIC: &[u8; 8] = b"ccsyncCX";
const FORMAT: u32 = 1;

/// A rollout as last read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct FileMark {
    pub size: u64,
    pub mtime_ns: i64,
    pub checkpoint: Checkpoint,
    /// The read left something for later (an unfinished line, an undecided fork): read the
    /// file again even if it did not change.
    pub held_back: bool,
}

impl FileMark {
    /// The size and modification time of `path` now (None: it cannot be stat'ed).
    pub(super) fn stat(path: &Path) -> Option<(u64, i64)> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok()?;
        Some((meta.len(), meta.mtime() * 1_000_000_000 + meta.mtime_nsec()))
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Saved {
    target: String,
    files: BTreeMap<Vec<u8>, FileMark>,
    pending_rollup: BTreeSet<i64>,
}

pub(super) struct CodexCheckpoints {
    saved: Saved,
    path: PathBuf,
}

fn key(path: &Path) -> Vec<u8> {
    crate::state::key(path).to_vec()
}

impl CodexCheckpoints {
    /// The checkpoints of `target`; a warning when they were unreadable (then every rollout is
    /// read again: safe, a stored request is stored again under the same key and version).
    pub(super) fn load(state_dir: &Path, target: &str) -> (Self, Option<String>) {
        let path =
            crate::state::target_path(state_dir, "codex-checkpoints", target).with_extension("bin");
        let (saved, warning) = match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Saved::default(), None),
            Err(e) => (
                Saved::default(),
                Some(format!("cannot read {}: {e}", path.display())),
            ),
            Ok(bytes) => match sealed::unseal::<Saved>(MAGIC, FORMAT, &bytes) {
                Ok(saved) if saved.target == target => (saved, None),
                Ok(_) => (Saved::default(), None),
                Err(Decode::Format(n)) => (
                    Saved::default(),
                    Some(format!(
                        "{} has format {n}: every rollout is read again",
                        path.display()
                    )),
                ),
                Err(Decode::Corrupt(why)) => (
                    Saved::default(),
                    Some(format!(
                        "{} is damaged ({why}): every rollout is read again",
                        path.display()
                    )),
                ),
            },
        };
        let saved = Saved {
            target: target.to_owned(),
            ..saved
        };
        (CodexCheckpoints { saved, path }, warning)
    }

    /// The mark of `path`, if it was read before.
    pub(super) fn get(&self, path: &Path) -> Option<&FileMark> {
        self.saved.files.get(crate::state::key(path))
    }

    /// Records `path`'s read (call once its rows are stored).
    pub(super) fn set(&mut self, path: &Path, mark: FileMark) {
        self.saved.files.insert(key(path), mark);
    }

    /// Owes the rollup `buckets` (stored rows fall in them) until [`Self::rollup_refreshed`].
    pub(super) fn owe(&mut self, buckets: &BTreeSet<i64>) {
        self.saved.pending_rollup.extend(buckets);
    }

    pub(super) fn rollup_owed(&self) -> Vec<i64> {
        self.saved.pending_rollup.iter().copied().collect()
    }

    pub(super) fn rollup_refreshed(&mut self) {
        self.saved.pending_rollup.clear();
    }

    /// Writes the checkpoints atomically (and durably: they decide what is read again).
    pub(super) fn save(&self) -> Result<()> {
        let bytes = sealed::seal(MAGIC, FORMAT, &self.saved);
        sealed::write_atomically(&self.path, &bytes, true).map_err(|e| Error::State {
            path: self.path.clone(),
            message: format!("cannot save the Codex checkpoints: {e}"),
        })
    }
}
