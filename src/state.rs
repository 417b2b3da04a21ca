//! Per-file checkpoints, written atomically and only after ClickHouse acknowledged the rows.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sealed::{Decode, seal, unseal, write_atomically};
use crate::source::claude::discover::TranscriptFile;

/// Binary checkpoints (`MAGIC`, format, postcard payload, xxh3 of all before it). Format 1 was
/// JSON: an hourly run spent ~12 ms parsing 1.9 MB of it for 3,500 files; this is ~1 MB and
/// decodes in a few ms, and the checksum catches a damaged file a JSON parser might accept.
/// Format 3 keys files by their path's bytes (names need not be UTF-8), keeps rollup buckets in
/// Unix ms (any year) and no longer remembers a file's last responses (a response's row moves
/// with its kept line now); formats 1 and 2 are read and converted.
const FORMAT: u32 = 3;
const FORMAT_2: u32 = 2;
const LEGACY_JSON_FORMAT: u32 = 1;
const MAGIC: &[u8; 8] = b"ccsync\0c";
/// Bytes at the head of a file that identify it (a replaced file differs here).
pub const FINGERPRINT_BYTES: u64 = 4096;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// Which server/database/machine these checkpoints are for (no credentials).
    pub target: String,
    /// Schema version last seen current on the target (0: check it).
    pub schema_version: u32,
    /// By the bytes of the file's path.
    pub files: BTreeMap<Vec<u8>, FileState>,
    /// 15-minute buckets (start, Unix ms) whose rows ClickHouse acknowledged but whose
    /// `usage_rollup` rows are not yet recomputed: saved with the checkpoints that covered them,
    /// so a failed refresh is retried next run.
    pub pending_rollup: std::collections::BTreeSet<i64>,
    /// Read from an older format: the run saves it in this one even when nothing is new.
    #[serde(skip)]
    pub outdated: bool,
    /// Written by a release that stored some responses wrongly across runs (format 1 or 2):
    /// its file checkpoints are dropped, so every transcript is read once more and those rows
    /// are repaired (see `dedup`: stored rows are merged and re-dated as lines are).
    #[serde(skip)]
    pub reread_all: bool,
}

/// The key of `path` in [`State::files`].
pub fn key(path: &Path) -> &[u8] {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes()
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
    pub end_fingerprint: Option<u64>,
}

/// Formats 1 (JSON) and 2 (postcard): paths as text, buckets in seconds, each file's last
/// response keys.
mod legacy {
    use std::collections::{BTreeMap, BTreeSet};

    use serde::{Deserialize, Serialize};

    #[derive(Deserialize, Serialize)]
    pub struct State {
        pub target: String,
        #[serde(default)]
        pub schema_version: u32,
        pub files: BTreeMap<String, FileState>,
        #[serde(default)]
        pub pending_rollup: BTreeSet<u32>,
    }

    /// Read to be skipped (format 2 is not self-describing).
    #[derive(Deserialize, Serialize)]
    #[allow(dead_code)]
    pub struct FileState {
        pub dev: u64,
        pub ino: u64,
        pub size: u64,
        pub mtime_ns: i64,
        pub offset: u64,
        pub line_no: u64,
        pub fingerprint: u64,
        pub fingerprint_len: u64,
        #[serde(default)]
        pub end_fingerprint: Option<u64>,
        #[serde(default)]
        pub tail: Vec<TailKey>,
    }

    #[derive(Deserialize, Serialize)]
    #[allow(dead_code)]
    pub struct TailKey {
        pub message_id: String,
        pub request_id: String,
        pub timestamp_ms: i64,
    }

    impl From<State> for super::State {
        /// The target, schema and owed rollup buckets carry over; the file checkpoints do not
        /// (see `reread_all`).
        fn from(old: State) -> Self {
            super::State {
                target: old.target,
                schema_version: old.schema_version,
                files: Default::default(),
                pending_rollup: old
                    .pending_rollup
                    .into_iter()
                    .map(|seconds| i64::from(seconds) * 1000)
                    .collect(),
                outdated: true,
                reread_all: !old.files.is_empty(),
            }
        }
    }
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

/// What a read of a file's first `offset` bytes saw: xxh3 of its head (up to
/// [`FINGERPRINT_BYTES`]) and of the `FINGERPRINT_BYTES` just before `offset` where they lie past
/// the head. A file replaced by another, as long or longer, differs in one of them. Claude Code's
/// checkpoints keep its parts ([`FileState`]), Codex's the whole.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub head_len: u64,
    pub head: u64,
    pub end: Option<u64>,
}

impl Fingerprint {
    /// The fingerprint of `path`'s first `offset` bytes.
    pub fn of(path: &Path, offset: u64) -> std::io::Result<Self> {
        let head_len = offset.min(FINGERPRINT_BYTES);
        let end = offset.checked_sub(FINGERPRINT_BYTES).filter(|&at| at > 0);
        Ok(Fingerprint {
            head_len,
            head: fingerprint(path, head_len)?,
            end: end
                .map(|at| fingerprint_at(path, at, FINGERPRINT_BYTES))
                .transpose()?,
        })
    }
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
    target_path(state_dir, "checkpoints", target).with_extension("bin")
}

/// `<state_dir>/<name>-<hash of target>`: a file of the state dir kept per target, like the
/// checkpoints.
pub fn target_path(state_dir: &Path, name: &str, target: &str) -> PathBuf {
    let id = xxhash_rust::xxh3::xxh3_64(target.as_bytes());
    state_dir.join(format!("{name}-{id:016x}"))
}

/// Where earlier versions kept the same checkpoints as JSON (format 1): read when no binary
/// file is there, removed by the next save.
fn legacy_path(path: &Path) -> PathBuf {
    path.with_extension("json")
}

/// Whether checkpoints are on disk for this target (in either format).
pub fn exists(path: &Path) -> bool {
    path.exists() || legacy_path(path).exists()
}

/// Loads checkpoints. A missing file is a first run; an unreadable or corrupt one is reported and
/// replaced by an empty state, which means a full re-read (safe: inserts are idempotent).
pub fn load(path: &Path, target: &str) -> (State, Option<String>) {
    let empty = || State {
        target: target.to_string(),
        ..State::default()
    };
    let mut read_from = path.to_path_buf();
    let mut bytes = std::fs::read(path);
    if matches!(&bytes, Err(e) if e.kind() == std::io::ErrorKind::NotFound) {
        read_from = legacy_path(path);
        bytes = std::fs::read(&read_from);
    }
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (empty(), None),
        Err(e) => {
            let warning = format!(
                "cannot read checkpoints {}: {e}; re-reading all transcripts (no duplicates: inserts are idempotent)",
                read_from.display()
            );
            return (empty(), Some(warning));
        }
    };
    match decode(&bytes) {
        Ok(state) => (state, None),
        Err(Decode::Format(format)) => {
            let warning = format!(
                "checkpoints {} have format {format} (expected {FORMAT}); re-reading all transcripts",
                read_from.display()
            );
            (empty(), Some(warning))
        }
        Err(Decode::Corrupt(e)) => {
            let warning = format!(
                "checkpoints {} are corrupt ({e}); re-reading all transcripts (no duplicates: inserts are idempotent)",
                read_from.display()
            );
            (empty(), Some(warning))
        }
    }
}

/// Checkpoints from the bytes of a state file: this format, format 2, or the JSON of format 1.
pub fn decode(bytes: &[u8]) -> std::result::Result<State, Decode> {
    if bytes.first() == Some(&b'{') {
        return decode_legacy_json(bytes);
    }
    match unseal(MAGIC, FORMAT, bytes) {
        Err(Decode::Format(FORMAT_2)) => {
            unseal::<legacy::State>(MAGIC, FORMAT_2, bytes).map(State::from)
        }
        decoded => decoded,
    }
}

fn decode_legacy_json(bytes: &[u8]) -> std::result::Result<State, Decode> {
    #[derive(Deserialize)]
    struct Json {
        format: u32,
        #[serde(flatten)]
        state: legacy::State,
    }
    let json: Json = serde_json::from_slice(bytes).map_err(|e| Decode::Corrupt(e.to_string()))?;
    if json.format != LEGACY_JSON_FORMAT {
        return Err(Decode::Format(json.format));
    }
    Ok(json.state.into())
}

/// The bytes `save` writes.
pub fn encode(state: &State) -> Vec<u8> {
    seal(MAGIC, FORMAT, state)
}

/// Writes atomically and durably: temp file, fsync, rename, fsync of the directory.
pub fn save(path: &Path, state: &State) -> Result<()> {
    write_atomically(path, &encode(state), true).map_err(|e| Error::State {
        path: path.to_path_buf(),
        message: format!("cannot write checkpoints: {e}"),
    })?;
    // The new file is durable; the JSON it replaces would only be read if it were lost.
    match std::fs::remove_file(legacy_path(path)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => tracing::warn!(
            "cannot remove the old checkpoints {}: {e}",
            legacy_path(path).display()
        ),
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_files_keep_the_name_earlier_releases_gave_them() {
        let id = xxhash_rust::xxh3::xxh3_64(b"t");
        let dir = Path::new("/s");
        assert_eq!(
            state_path(dir, "t"),
            dir.join(format!("checkpoints-{id:016x}.bin"))
        );
        assert_eq!(
            target_path(dir, "account", "t"),
            dir.join(format!("account-{id:016x}"))
        );
    }
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

    fn sample() -> State {
        let mut state = State {
            target: "t".into(),
            schema_version: 2,
            files: BTreeMap::new(),
            pending_rollup: [-900_000, 1_767_225_600_000, 7_258_118_400_000].into(),
            outdated: false,
            reread_all: false,
        };
        let mut long = prev(10_000, 9_000);
        long.end_fingerprint = Some(u64::MAX);
        long.mtime_ns = -1;
        state.files.insert(b"/a".to_vec(), prev(1, 1));
        state.files.insert("/b/ü.jsonl".into(), long.clone());
        // A name that is not UTF-8 is a key of its own.
        state.files.insert(b"/b/\xff.jsonl".to_vec(), long);
        state
    }

    #[test]
    fn save_then_load_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = state_path(dir.path(), "t");
        assert!(!exists(&path));
        let (fresh, warning) = load(&path, "t");
        assert!(warning.is_none() && fresh.files.is_empty());
        let state = sample();
        save(&path, &state).unwrap();
        assert!(exists(&path));
        let (loaded, warning) = load(&path, "t");
        assert!(warning.is_none(), "{warning:?}");
        assert_eq!(loaded.files, state.files);
        assert_eq!(loaded.pending_rollup, state.pending_rollup);
        assert_eq!((loaded.target.as_str(), loaded.schema_version), ("t", 2));
    }

    #[test]
    fn damaged_or_foreign_checkpoints_are_reported_not_trusted() {
        let good = encode(&sample());
        let mut flipped = good.clone();
        // An offset digit changed: JSON would have parsed it; the checksum does not.
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x04;
        let mut future = good.clone();
        future[MAGIC.len()..crate::sealed::HEADER_BYTES].copy_from_slice(&4u32.to_le_bytes());
        let cases: [(&str, &[u8], &str); 6] = [
            ("bit flip", &flipped, "checksum"),
            ("cut in half", &good[..good.len() / 2], "checksum"),
            ("empty", b"", "not a checkpoint file"),
            ("garbage", b"\x00\xffnot state", "not a checkpoint file"),
            ("broken JSON", b"{garbage", "corrupt"),
            ("future format", &future, "format 4 (expected 3)"),
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = state_path(dir.path(), "t");
        for (what, bytes, expected) in cases {
            std::fs::write(&path, bytes).unwrap();
            let (loaded, warning) = load(&path, "t");
            assert!(loaded.files.is_empty(), "{what}");
            let warning = warning.unwrap_or_else(|| panic!("{what}: no warning"));
            assert!(warning.contains(expected), "{what}: {warning}");
            assert!(
                warning.contains(&path.display().to_string()),
                "{what}: {warning}"
            );
        }
    }

    #[test]
    fn json_checkpoints_of_format_1_are_read_then_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = state_path(dir.path(), "t");
        let legacy = legacy_path(&path);
        // As format 1 wrote it: pending_rollup left out when empty, end_fingerprint optional.
        std::fs::write(
            &legacy,
            br#"{"format":1,"target":"t","schema_version":3,"files":{"/a":{"dev":1,"ino":7,"size":100,"mtime_ns":5,"offset":90,"line_no":3,"fingerprint":42,"fingerprint_len":10,"tail":[{"message_id":"m","request_id":"r","timestamp_ms":9}]}}}"#,
        )
        .unwrap();
        assert!(exists(&path));
        let (state, warning) = load(&path, "t");
        assert!(warning.is_none(), "{warning:?}");
        assert_eq!(state.schema_version, 3);
        assert!(state.files.is_empty() && state.reread_all, "read once more");
        assert!(state.outdated);
        save(&path, &state).unwrap();
        assert!(!load(&path, "t").0.outdated);
        assert!(
            !legacy.exists(),
            "the JSON is removed once the binary file is durable"
        );
        assert_eq!(load(&path, "t").0.files, state.files);
        std::fs::write(&legacy, br#"{"format":7,"target":"t","files":{}}"#).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(load(&path, "t").1.unwrap().contains("format 7"));
    }

    #[test]
    fn checkpoints_of_format_2_are_read_then_replaced() {
        let old = legacy::State {
            target: "t".into(),
            schema_version: 3,
            files: [(
                "/a/ü.jsonl".to_string(),
                legacy::FileState {
                    dev: 1,
                    ino: 7,
                    size: 100,
                    mtime_ns: 5,
                    offset: 90,
                    line_no: 3,
                    fingerprint: 42,
                    fingerprint_len: 10,
                    end_fingerprint: Some(9),
                    tail: vec![legacy::TailKey {
                        message_id: "m".into(),
                        request_id: "r".into(),
                        timestamp_ms: 9,
                    }],
                },
            )]
            .into(),
            pending_rollup: [1_767_225_600].into(),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = state_path(dir.path(), "t");
        std::fs::write(&path, seal(MAGIC, FORMAT_2, &old)).unwrap();
        let (state, warning) = load(&path, "t");
        assert!(warning.is_none(), "{warning:?}");
        assert!(state.outdated);
        assert!(state.files.is_empty() && state.reread_all, "read once more");
        assert_eq!(state.schema_version, 3);
        assert_eq!(
            state.pending_rollup.into_iter().collect::<Vec<_>>(),
            [1_767_225_600_000],
            "seconds become ms"
        );
    }
}
