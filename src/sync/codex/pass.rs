//! Reading the changed rollouts and storing their rows in batches. A batch's files are
//! checkpointed only once ClickHouse acknowledged its rows; a batch is stored again whole after
//! a failure (same keys and versions: nothing doubles).

use std::collections::{BTreeSet, HashMap};

use super::checkpoints::{CodexCheckpoints, FileMark};
use super::report::CodexRun;
use super::rows::{self, RowContext};
use crate::config::Config;
use crate::error::Result;
use crate::source::codex::{
    BadReason, Checkpoint, CodexRow, NewRows, ParentIndex, Rollout, Rollouts, SessionMeta,
};
use crate::store::client::Sink;
use crate::time::bucket_of;

/// How long a rollout must be left unwritten before a fork's first request is decided with the
/// lines there are: Codex writes a fork's replayed history in one go, well within this.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(60);

pub(super) struct Pass<'a> {
    cfg: &'a Config,
    pub(super) checkpoints: CodexCheckpoints,
    /// config.toml asks for the fast tier.
    default_fast: bool,
    /// A rollout last modified before this (Unix ns) has settled (see [`SETTLE`]).
    settled_before_ns: i64,
    pub(super) run: CodexRun,
    /// The highest rank each request was met with in this run (copies ranked lower are not
    /// sent again).
    seen: HashMap<String, u64>,
}

/// One file's part of a batch: its new read and what its rows are stored with.
struct FileRead {
    path: std::path::PathBuf,
    mark: FileMark,
    rank: u64,
    meta: Option<SessionMeta>,
    cwd: String,
    file: String,
    git_branch: String,
}

/// Rows read and not yet stored, with the files they complete.
#[derive(Default)]
struct Batch {
    files: Vec<FileRead>,
    /// Each row with its key and the index of its file in `files`.
    rows: Vec<(CodexRow, String, usize)>,
    buckets: BTreeSet<i64>,
}

impl<'a> Pass<'a> {
    /// A pass over `rollouts`, whose unlistable folders it reports.
    pub(super) fn new(
        cfg: &'a Config,
        checkpoints: CodexCheckpoints,
        rollouts: &mut Rollouts,
    ) -> Self {
        let unlistable = std::mem::take(&mut rollouts.unlistable);
        let run = CodexRun {
            files_failed: unlistable.len() as u64,
            warnings: unlistable.iter().map(ToString::to_string).collect(),
            homes: (cfg.codex_homes.iter())
                .map(|h| h.display().to_string())
                .collect(),
            files_scanned: rollouts.files.len() as u64,
            ..CodexRun::default()
        };
        let now_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i64);
        Pass {
            cfg,
            checkpoints,
            default_fast: rollouts.default_fast,
            settled_before_ns: now_ns.saturating_sub(SETTLE.as_nanos() as i64),
            run,
            seen: HashMap::new(),
        }
    }

    /// Reads every changed rollout of `files` and stores its new rows.
    pub(super) async fn read_and_store(&mut self, sink: &Sink, files: &[Rollout]) -> Result<()> {
        let mut batch = Batch::default();
        self.read_files(sink, files, &mut batch).await?;
        self.store(sink, batch).await
    }

    async fn read_files(
        &mut self,
        sink: &Sink,
        files: &[Rollout],
        batch: &mut Batch,
    ) -> Result<()> {
        let parents = ParentIndex::new(files);
        let default_fast = self.default_fast;
        for rollout in files {
            let Some((size, mtime_ns)) = FileMark::stat(&rollout.path) else {
                self.run.files_failed += 1;
                self.run.warnings.push(format!(
                    "{}: cannot be read (gone or not permitted); it is skipped",
                    rollout.path.display()
                ));
                continue;
            };
            let previous = self.checkpoints.get(&rollout.path);
            let unchanged = previous.is_some_and(|m| m.size == size && m.mtime_ns == mtime_ns);
            if unchanged && !previous.is_some_and(|m| m.held_back) {
                continue;
            }
            self.run.files_changed += u64::from(!unchanged);
            let replaced = previous
                .filter(|_| !unchanged)
                .and_then(|mark| replaced(&rollout.path, mark));
            let from = match previous {
                Some(mark) if replaced.is_none() => mark.checkpoint.clone(),
                _ => Checkpoint::default(),
            };
            self.run.warnings.extend(replaced);
            let settled = mtime_ns <= self.settled_before_ns;
            let read =
                crate::source::codex::read_new(rollout, &from, &parents, default_fast, settled);
            match read {
                Ok(new) => self.add(batch, rollout, &from, new, (size, mtime_ns)),
                Err(e) => {
                    self.run.files_failed += 1;
                    self.run.warnings.push(e.to_string());
                }
            }
            if batch.rows.len() >= self.cfg.batch_rows {
                self.store(sink, std::mem::take(batch)).await?;
            }
        }
        Ok(())
    }

    /// Adds one read of `rollout` to the batch.
    fn add(
        &mut self,
        batch: &mut Batch,
        rollout: &Rollout,
        from: &crate::source::codex::Checkpoint,
        new: NewRows,
        (size, mtime_ns): (u64, i64),
    ) {
        let start = if new.checkpoint.offset < from.offset {
            0
        } else {
            from.offset
        };
        self.run.bytes_read += new.checkpoint.offset - start;
        self.run.lines_read += new
            .checkpoint
            .lines
            .saturating_sub(from.lines.min(new.checkpoint.lines));
        for bad in &new.bad {
            let reason = match bad.reason {
                BadReason::NotJson => "not_json",
                BadReason::BadTimestamp => "bad_timestamp",
            };
            *self.run.lines_skipped.entry(reason).or_default() += 1;
            if self.run.warnings.len() < 20 {
                self.run.warnings.push(bad.to_string());
            }
        }
        let rank = rows::read_order_rank(rollout);
        let index = batch.files.len();
        for row in new.rows {
            let id = rows::message_id(&row);
            match self.seen.get(&id) {
                Some(&kept) if kept >= rank => continue,
                _ => {}
            }
            self.seen.insert(id.clone(), rank);
            if row.unpriced {
                *self
                    .run
                    .unpriced_models
                    .entry(row.model.clone())
                    .or_default() += 1;
            }
            self.run.requests_new += 1;
            batch.buckets.insert(bucket_of(row.timestamp_ms));
            batch.rows.push((row, id, index));
        }
        let privacy = &self.cfg.privacy;
        let meta = new.checkpoint.meta.clone();
        let text = |f: fn(&SessionMeta) -> &Option<String>| {
            meta.as_ref().and_then(|m| f(m).clone()).unwrap_or_default()
        };
        let git_branch = if privacy.drop_git_branch {
            String::new()
        } else {
            text(|m| &m.git_branch)
        };
        batch.files.push(FileRead {
            path: rollout.path.clone(),
            cwd: privacy.path(&text(|m| &m.cwd)),
            file: privacy.path(&rollout.path.to_string_lossy()),
            git_branch,
            rank,
            mark: FileMark {
                size,
                mtime_ns,
                read: crate::state::Fingerprint::of(&rollout.path, new.checkpoint.offset).ok(),
                checkpoint: new.checkpoint,
                held_back: new.held_back,
            },
            meta,
        });
    }

    /// Stores the batch's rows, then checkpoints its files and owes its buckets.
    async fn store(&mut self, sink: &Sink, batch: Batch) -> Result<()> {
        if batch.files.is_empty() {
            return Ok(());
        }
        let ingested_at = super::super::now_ms();
        let contexts: Vec<RowContext<'_>> = (batch.files.iter())
            .map(|f| RowContext {
                machine: &self.cfg.machine_name,
                rank: f.rank,
                meta: f.meta.as_ref(),
                cwd: &f.cwd,
                file: &f.file,
                git_branch: &f.git_branch,
                ingested_at,
            })
            .collect();
        sink.insert_usage_with(|| {
            (batch.rows.iter()).map(|(row, id, file)| rows::usage_row(row, id, &contexts[*file]))
        })
        .await?;
        self.run.rows_inserted += batch.rows.len() as u64;
        self.checkpoints.owe(&batch.buckets);
        for f in batch.files {
            self.checkpoints.set(&f.path, f.mark);
        }
        self.checkpoints.save()
    }
}

/// Whether the rollout at `path` is no longer the one `mark` read (replaced at its path by
/// another file, as long or longer: a shorter one the reader sees by its size): the warning
/// saying it is read again from its start.
fn replaced(path: &std::path::Path, mark: &FileMark) -> Option<String> {
    let read = mark.read?;
    // Unreadable now: the read fails and says why.
    let now = crate::state::Fingerprint::of(path, mark.checkpoint.offset).ok()?;
    if now == read {
        return None;
    }
    Some(format!(
        "{}: replaced by another file since it was read; read again from its start",
        path.display()
    ))
}
