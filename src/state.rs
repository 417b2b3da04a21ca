//! Per-file checkpoints, written atomically and only after ClickHouse acknowledged the rows.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::discover::TranscriptFile;
use crate::error::{Error, Result};

const FORMAT: u32 = 1;
/// Bytes at the head of a file that identify it (a replaced file differs here).
pub const FINGERPRINT_BYTES: u64 = 4096;
/// Keys of the last responses of a file, with the timestamp their row got: a response still being
/// streamed at checkpoint time keeps its timestamp (and so its partition) when it completes.
/// Lines of one response are contiguous, so the last couple suffice.
pub const TAIL_KEYS: usize = 2;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub format: u32,
    /// Which server/database/machine these checkpoints are for (no credentials).
    pub target: String,
    /// Schema version last seen current on the target (0: check it).
    #[serde(default)]
    pub schema_version: u32,
    pub files: BTreeMap<String, FileState>,
    /// 15-minute buckets (Unix seconds) whose rows ClickHouse acknowledged but whose
    /// `usage_rollup` rows are not yet recomputed: saved with the checkpoints that covered them,
    /// so a failed refresh is retried next run.
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub pending_rollup: std::collections::BTreeSet<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime_ns: i64,
    /// Offset just past the last complete line that was synced.
    pub offset: u64,
    pub line_no: u64,
    pub fingerprint: u64,
    pub fingerprint_len: u64,
    /// xxh3 of the `FINGERPRINT_BYTES` just before `offset`, when they lie past the head: a file
    /// replaced by one with the same head but other lines after it differs here.
    #[serde(default)]
    pub end_fingerprint: Option<u64>,
    #[serde(default)]
    pub tail: Vec<TailKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TailKey {
    pub message_id: String,
    pub request_id: String,
    pub timestamp_ms: i64,
}

/// What to do with a file this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    Unchanged,
    /// Read from `offset`; `reread` says why an earlier checkpoint was discarded.
    Read {
        offset: u64,
        line_no: u64,
        reread: Option<Reread>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reread {
    Truncated,
    Replaced,
}

/// Decides from metadata alone where possible; `fp(start, len)` fingerprints a range of the file
/// only when it changed and we must tell an append from a replacement.
pub fn plan(
    file: &TranscriptFile,
    prev: Option<&FileState>,
    fp: impl Fn(u64, u64) -> std::io::Result<u64>,
) -> std::io::Result<Plan> {
    let Some(prev) = prev else {
        return Ok(Plan::Read {
            offset: 0,
            line_no: 0,
            reread: None,
        });
    };
    let same_inode = prev.dev == file.dev && prev.ino == file.ino;
    if same_inode && prev.size == file.size && prev.mtime_ns == file.mtime_ns {
        return Ok(Plan::Unchanged);
    }
    let from_start = |reread| Plan::Read {
        offset: 0,
        line_no: 0,
        reread: Some(reread),
    };
    if file.size < prev.offset {
        return Ok(from_start(Reread::Truncated));
    }
    if prev.fingerprint_len > 0 && fp(0, prev.fingerprint_len)? != prev.fingerprint {
        return Ok(from_start(Reread::Replaced));
    }
    if let Some(end) = prev.end_fingerprint
        && prev.offset > FINGERPRINT_BYTES
        && fp(prev.offset - FINGERPRINT_BYTES, FINGERPRINT_BYTES)? != end
    {
        return Ok(from_start(Reread::Replaced));
    }
    Ok(Plan::Read {
        offset: prev.offset,
        line_no: prev.line_no,
        reread: None,
    })
}

/// xxh3 of the first `len` bytes of a file.
pub fn fingerprint(path: &Path, len: u64) -> std::io::Result<u64> {
    fingerprint_at(path, 0, len)
}

/// xxh3 of `len` bytes of a file from `start`.
pub fn fingerprint_at(path: &Path, start: u64, len: u64) -> std::io::Result<u64> {
    use std::io::Seek;
    let mut f = std::fs::File::open(path)?;
    f.seek(std::io::SeekFrom::Start(start))?;
    let mut buf = Vec::with_capacity(len as usize);
    f.take(len).read_to_end(&mut buf)?;
    Ok(xxhash_rust::xxh3::xxh3_64(&buf))
}

/// Checkpoints live per target, so pointing the agent at another server or database starts a
/// full sync there instead of silently skipping what the old target already has.
pub fn state_path(state_dir: &Path, target: &str) -> PathBuf {
    let id = xxhash_rust::xxh3::xxh3_64(target.as_bytes());
    state_dir.join(format!("checkpoints-{id:016x}.json"))
}

/// Loads checkpoints. A missing file is a first run; an unreadable or corrupt one is reported and
/// replaced by an empty state, which means a full re-read (safe: inserts are idempotent).
pub fn load(path: &Path, target: &str) -> (State, Option<String>) {
    let empty = || State {
        format: FORMAT,
        target: target.to_string(),
        schema_version: 0,
        files: BTreeMap::new(),
        pending_rollup: Default::default(),
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (empty(), None),
        Err(e) => {
            let warning = format!(
                "cannot read checkpoints {}: {e}; re-reading all transcripts (no duplicates: inserts are idempotent)",
                path.display()
            );
            return (empty(), Some(warning));
        }
    };
    match serde_json::from_slice::<State>(&bytes) {
        Ok(state) if state.format == FORMAT => (state, None),
        Ok(state) => {
            let warning = format!(
                "checkpoints {} have format {} (expected {FORMAT}); re-reading all transcripts",
                path.display(),
                state.format
            );
            (empty(), Some(warning))
        }
        Err(e) => {
            let warning = format!(
                "checkpoints {} are corrupt ({e}); re-reading all transcripts (no duplicates: inserts are idempotent)",
                path.display()
            );
            (empty(), Some(warning))
        }
    }
}

/// Writes atomically: temp file, fsync, rename, fsync of the directory.
pub fn save(path: &Path, state: &State) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tmp = path.with_extension(format!("json.tmp.{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        // One buffer, one write: serde_json would issue a syscall per token on a bare File.
        let mut bytes = serde_json::to_vec(state)?;
        bytes.push(b'\n');
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::State {
            path: path.to_path_buf(),
            message: format!("cannot write checkpoints: {e}"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn file(size: u64, ino: u64) -> TranscriptFile {
        TranscriptFile {
            path: "/x".into(),
            source: Arc::from("/x"),
            project: Arc::from("p"),
            session_id: Arc::from("s"),
            size,
            mtime_ns: 5,
            dev: 1,
            ino,
        }
    }

    fn prev(size: u64, offset: u64) -> FileState {
        FileState {
            dev: 1,
            ino: 7,
            size,
            mtime_ns: 5,
            offset,
            line_no: 3,
            fingerprint: 42,
            fingerprint_len: 10,
            end_fingerprint: None,
            tail: vec![],
        }
    }

    #[test]
    fn plans_cover_new_unchanged_appended_truncated_replaced() {
        let never = |_, _| -> std::io::Result<u64> { panic!("no read expected") };
        assert_eq!(
            plan(&file(10, 7), None, never).unwrap(),
            Plan::Read {
                offset: 0,
                line_no: 0,
                reread: None
            }
        );
        assert_eq!(
            plan(&file(100, 7), Some(&prev(100, 90)), never).unwrap(),
            Plan::Unchanged
        );
        assert_eq!(
            plan(&file(150, 7), Some(&prev(100, 90)), |_, _| Ok(42)).unwrap(),
            Plan::Read {
                offset: 90,
                line_no: 3,
                reread: None
            }
        );
        assert_eq!(
            plan(&file(50, 7), Some(&prev(100, 90)), never).unwrap(),
            Plan::Read {
                offset: 0,
                line_no: 0,
                reread: Some(Reread::Truncated)
            }
        );
        assert_eq!(
            plan(&file(150, 8), Some(&prev(100, 90)), |_, _| Ok(43)).unwrap(),
            Plan::Read {
                offset: 0,
                line_no: 0,
                reread: Some(Reread::Replaced)
            }
        );
        // Copied elsewhere (new inode) but same content: continue where we were.
        assert_eq!(
            plan(&file(100, 8), Some(&prev(100, 90)), |_, _| Ok(42)).unwrap(),
            Plan::Read {
                offset: 90,
                line_no: 3,
                reread: None
            }
        );
        // Same head, other bytes before the checkpoint: replaced, not appended to.
        let mut long = prev(10_000, 9_000);
        long.end_fingerprint = Some(7);
        let head_only = |start: u64, _| Ok(if start == 0 { 42 } else { 8 });
        assert_eq!(
            plan(&file(12_000, 8), Some(&long), head_only).unwrap(),
            Plan::Read {
                offset: 0,
                line_no: 0,
                reread: Some(Reread::Replaced)
            }
        );
        let both = |start: u64, _| Ok(if start == 0 { 42 } else { 7 });
        assert_eq!(
            plan(&file(12_000, 7), Some(&long), both).unwrap(),
            Plan::Read {
                offset: 9_000,
                line_no: 3,
                reread: None
            }
        );
    }

    #[test]
    fn save_then_load_round_trips_and_corruption_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = state_path(dir.path(), "t");
        let mut state = State {
            format: FORMAT,
            target: "t".into(),
            schema_version: 2,
            files: BTreeMap::new(),
            pending_rollup: [1_767_225_600].into(),
        };
        state.files.insert("/a".into(), prev(1, 1));
        save(&path, &state).unwrap();
        let (loaded, warning) = load(&path, "t");
        assert!(warning.is_none());
        assert_eq!(loaded.files, state.files);
        assert_eq!(loaded.schema_version, 2);
        std::fs::write(&path, b"{garbage").unwrap();
        let (loaded, warning) = load(&path, "t");
        assert!(loaded.files.is_empty());
        assert!(warning.unwrap().contains("corrupt"));
    }
}
