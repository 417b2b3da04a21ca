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
use crate::state::Fingerprint;

const MAGIC: &[u8; 8] = b"ccsyncCX";
/// 2: each mark fingerprints what was read (format 1 had none: its marks are kept, unchecked).
const FORMAT: u32 = 2;

/// A rollout as last read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct FileMark {
    pub size: u64,
    pub mtime_ns: i64,
    pub checkpoint: Checkpoint,
    /// The read left something for later (an unfinished line, an undecided fork): read the
    /// file again even if it did not change.
    pub held_back: bool,
    /// What was read, to tell a file written on from one replaced at its path (by a longer
    /// one: a shorter one shows by its size).
    pub read: Option<Fingerprint>,
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

/// Format 1, read once and upgraded.
mod v1 {
    use super::*;

    #[derive(Deserialize)]
    pub(super) struct FileMark {
        size: u64,
        mtime_ns: i64,
        checkpoint: Checkpoint,
        held_back: bool,
    }

    #[derive(Deserialize)]
    pub(super) struct Saved {
        pub(super) target: String,
        files: BTreeMap<Vec<u8>, FileMark>,
        pending_rollup: BTreeSet<i64>,
    }

    impl From<Saved> for super::Saved {
        fn from(v1: Saved) -> Self {
            let files = (v1.files.into_iter())
                .map(|(k, m)| {
                    let mark = super::FileMark {
                        size: m.size,
                        mtime_ns: m.mtime_ns,
                        checkpoint: m.checkpoint,
                        held_back: m.held_back,
                        read: None,
                    };
                    (k, mark)
                })
                .collect();
            super::Saved {
                target: v1.target,
                files,
                pending_rollup: v1.pending_rollup,
            }
        }
    }
}

pub(super) struct CodexCheckpoints {
    saved: Saved,
    path: PathBuf,
    /// No checkpoint file was found (a first run, or a state dir deleted or moved).
    missing: bool,
}

fn key(path: &Path) -> Vec<u8> {
    crate::state::key(path).to_vec()
}

/// The checkpoints in `bytes` (of file `path`) if they are `target`'s; a warning when they
/// cannot be used (then every rollout is read again: safe, see [`CodexCheckpoints::load`]).
fn decode(bytes: &[u8], target: &str, path: &Path) -> (Saved, Option<String>) {
    let read_again = |why: String| {
        let warning = format!("{} {why}: every rollout is read again", path.display());
        (Saved::default(), Some(warning))
    };
    let saved = match sealed::unseal::<Saved>(MAGIC, FORMAT, bytes) {
        Ok(saved) => saved,
        Err(Decode::Format(1)) => match sealed::unseal::<v1::Saved>(MAGIC, 1, bytes) {
            Ok(old) => old.into(),
            Err(_) => return read_again("is damaged".into()),
        },
        Err(Decode::Format(n)) => return read_again(format!("has format {n}")),
        Err(Decode::Corrupt(why)) => return read_again(format!("is damaged ({why})")),
    };
    // Another target's checkpoints (the state dir of another database): none of them applies.
    if saved.target == target {
        (saved, None)
    } else {
        (Saved::default(), None)
    }
}

impl CodexCheckpoints {
    /// The checkpoints of `target`; a warning when they were unreadable (then every rollout is
    /// read again: safe, a stored request is stored again under the same key and version).
    pub(super) fn load(state_dir: &Path, target: &str) -> (Self, Option<String>) {
        let path =
            crate::state::target_path(state_dir, "codex-checkpoints", target).with_extension("bin");
        let (saved, warning, missing) = match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Saved::default(), None, true),
            Err(e) => {
                let warning = format!("cannot read {}: {e}", path.display());
                (Saved::default(), Some(warning), false)
            }
            Ok(bytes) => {
                let (saved, warning) = decode(&bytes, target, &path);
                (saved, warning, false)
            }
        };
        let saved = Saved {
            target: target.to_owned(),
            ..saved
        };
        (
            CodexCheckpoints {
                saved,
                path,
                missing,
            },
            warning,
        )
    }

    /// Whether no checkpoint file was found.
    pub(super) fn missing(&self) -> bool {
        self.missing
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct MarkV1 {
        size: u64,
        mtime_ns: i64,
        checkpoint: Checkpoint,
        held_back: bool,
    }

    #[derive(Serialize)]
    struct SavedV1 {
        target: String,
        files: BTreeMap<Vec<u8>, MarkV1>,
        pending_rollup: BTreeSet<i64>,
    }

    #[test]
    fn format_1_marks_are_kept_unchecked_and_format_2_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let (fresh, _) = CodexCheckpoints::load(dir.path(), "t");
        assert!(fresh.missing());
        let checkpoint = Checkpoint {
            offset: 120,
            lines: 3,
            ..Checkpoint::default()
        };
        let v1 = SavedV1 {
            target: "t".into(),
            files: BTreeMap::from([(
                b"/a.jsonl".to_vec(),
                MarkV1 {
                    size: 120,
                    mtime_ns: 7,
                    checkpoint: checkpoint.clone(),
                    held_back: false,
                },
            )]),
            pending_rollup: BTreeSet::from([900]),
        };
        std::fs::write(&fresh.path, sealed::seal(MAGIC, 1, &v1)).unwrap();
        let (mut loaded, warning) = CodexCheckpoints::load(dir.path(), "t");
        assert_eq!(warning, None);
        assert!(!loaded.missing());
        let mark = loaded.get(Path::new("/a.jsonl")).unwrap();
        assert_eq!((mark.size, mark.read), (120, None));
        assert_eq!(mark.checkpoint, checkpoint);
        assert_eq!(loaded.rollup_owed(), [900]);
        // Saved as format 2, with a fingerprint, and read back as such.
        let file = dir.path().join("a.jsonl");
        std::fs::write(&file, vec![b'x'; 5000]).unwrap();
        let read = Fingerprint::of(&file, 4500).unwrap();
        assert_eq!(Fingerprint::of(&file, 4500).unwrap(), read);
        let mark = FileMark {
            read: Some(read),
            ..mark.clone()
        };
        loaded.set(Path::new("/a.jsonl"), mark.clone());
        loaded.save().unwrap();
        let (again, warning) = CodexCheckpoints::load(dir.path(), "t");
        assert_eq!(warning, None);
        assert_eq!(again.get(Path::new("/a.jsonl")), Some(&mark));
        // Another file at the path, as long: its head differs.
        std::fs::write(&file, vec![b'y'; 5000]).unwrap();
        assert_ne!(Fingerprint::of(&file, 4500).unwrap(), read);
    }
}
