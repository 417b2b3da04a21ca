//! The run's checkpoints: where each file's read starts, what a file's read covered once
//! ClickHouse acknowledged its rows, and the rollup buckets still owed. Saved atomically, and
//! only for acknowledged rows.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::source::claude::collect::{FileRead, Job};
use crate::source::claude::discover::TranscriptFile;
use crate::state::{self, FileState, Plan, Reread, State};

/// A file's read, to be checkpointed once its rows are acknowledged.
pub(super) struct Done {
    key: Vec<u8>,
    state: FileState,
}

pub(super) struct Checkpoints {
    state: State,
    path: PathBuf,
    /// No usable checkpoints were on disk (a first run, or a lost or damaged state dir).
    missing: bool,
    /// Checkpoints that belonged to a file planned this run (when all did, none is gone).
    matched: u64,
}

impl Checkpoints {
    /// Loads the checkpoints of `target`; a warning if they were unreadable or damaged, or
    /// written by a release whose rows are to be repaired.
    pub(super) fn load(state_dir: &std::path::Path, target: &str) -> (Self, Option<String>) {
        let path = state::state_path(state_dir, target);
        let (state, mut warning) = state::load(&path, target);
        let missing = warning.is_some() || !state::exists(&path);
        if state.reread_all {
            warning = Some(format!(
                "checkpoints {} were written by an earlier ccsync: every transcript is read once more, so that responses it stored twice or dated by their first line are repaired (nothing is counted twice)",
                path.display()
            ));
        }
        let checkpoints = Checkpoints {
            state,
            path,
            missing,
            matched: 0,
        };
        (checkpoints, warning)
    }

    pub(super) fn missing(&self) -> bool {
        self.missing
    }

    /// Files that have a checkpoint.
    pub(super) fn len(&self) -> usize {
        self.state.files.len()
    }

    /// Whether the schema was seen current on the target by an earlier run.
    pub(super) fn schema_seen(&self, version: u32) -> bool {
        self.state.schema_version == version
    }

    pub(super) fn set_schema(&mut self, version: u32) {
        self.state.schema_version = version;
    }

    /// Rollup buckets owed by earlier runs or by this one so far.
    pub(super) fn rollup_owed(&self) -> Vec<i64> {
        self.state.pending_rollup.iter().copied().collect()
    }

    /// Where to read `file` (`index` in the run's list), or None when it is unchanged since
    /// its checkpoint; a warning when an earlier checkpoint no longer fits the file.
    pub(super) fn plan(
        &mut self,
        index: usize,
        file: &TranscriptFile,
    ) -> Result<(Option<Job>, Option<String>)> {
        let prev = self.state.files.get(state::key(&file.path));
        self.matched += u64::from(prev.is_some());
        let plan = state::plan(file, prev, |start, len| {
            state::fingerprint_at(&file.path, start, len)
        })
        .map_err(|e| Error::io(&file.path, e))?;
        let Plan::Read {
            offset,
            line_no,
            reread,
        } = plan
        else {
            return Ok((None, None));
        };
        let warning = reread.map(|why| {
            let what = match why {
                Reread::Truncated => "is shorter than its checkpoint (truncated)",
                Reread::Replaced => "was replaced by a different file",
            };
            format!(
                "{} {what}; re-reading it from the start (rows already stored are not duplicated)",
                file.path.display()
            )
        });
        let job = Job {
            file: index,
            offset,
            line_no,
        };
        Ok((Some(job), warning))
    }

    /// Checkpoints `done` and owes the rollup `buckets`, once their rows are acknowledged.
    pub(super) fn commit(&mut self, done: Vec<Done>, mut buckets: BTreeSet<i64>) -> Result<()> {
        let owed_before = self.state.pending_rollup.len();
        self.state.pending_rollup.append(&mut buckets);
        if done.is_empty() && self.state.pending_rollup.len() == owed_before {
            return Ok(());
        }
        for d in done {
            self.state.files.insert(d.key, d.state);
        }
        self.save()
    }

    /// The rollup caught up with every acknowledged row.
    pub(super) fn rollup_refreshed(&mut self) -> Result<()> {
        self.state.pending_rollup.clear();
        self.save()
    }

    /// Forgets the checkpoints of files no longer found (Claude Code's 30-day cleanup): their
    /// rows stay in ClickHouse. A warning says how many.
    pub(super) fn forget_gone(&mut self, files: &[TranscriptFile]) -> Result<Option<String>> {
        if self.matched == self.state.files.len() as u64 {
            return Ok(None);
        }
        let present: std::collections::HashSet<&[u8]> =
            files.iter().map(|f| state::key(&f.path)).collect();
        let gone: Vec<&Vec<u8>> = self
            .state
            .files
            .keys()
            .filter(|k| !present.contains(k.as_slice()))
            .collect();
        let Some(first) = gone.first() else {
            return Ok(None);
        };
        let warning = format!(
            "{} transcript(s) gone since the last run (Claude Code's 30-day cleanup?), first {}; their rows stay in ClickHouse",
            gone.len(),
            String::from_utf8_lossy(first)
        );
        self.state
            .files
            .retain(|k, _| present.contains(k.as_slice()));
        self.save()?;
        Ok(Some(warning))
    }

    /// Saves even when nothing changed (a checked schema, checkpoints of an older format).
    pub(super) fn save_if_outdated(&mut self, schema_checked: bool) -> Result<()> {
        if schema_checked || self.state.outdated {
            return self.save();
        }
        Ok(())
    }

    /// The database or a table disappeared since the schema was last seen: check it next run.
    pub(super) fn forget_schema(&mut self) {
        self.state.schema_version = 0;
        let _ = self.save();
    }

    fn save(&mut self) -> Result<()> {
        state::save(&self.path, &self.state)?;
        self.state.outdated = false;
        Ok(())
    }

    /// The loaded state, to be freed off the run's path.
    pub(super) fn into_state(self) -> State {
        self.state
    }
}

/// What `read` of `file` becomes once its rows are acknowledged.
pub(super) fn done(file: &TranscriptFile, read: FileRead) -> Result<Done> {
    let seen =
        state::Fingerprint::of(&file.path, read.offset).map_err(|e| Error::io(&file.path, e))?;
    Ok(Done {
        key: state::key(&file.path).to_vec(),
        state: FileState {
            dev: file.dev,
            ino: file.ino,
            size: file.size,
            mtime_ns: file.mtime_ns,
            offset: read.offset,
            line_no: read.line_no,
            fingerprint: seen.head,
            fingerprint_len: seen.head_len,
            end_fingerprint: seen.end,
        },
    })
}
