//! A whole report of the rollouts as they are now (`ccsync scan --agent codex`, `ccsync report
//! … --local --agent codex`): every file read once from its start, forks matched against their
//! parents, requests de-duplicated across files (per session for the session report), then
//! summed into the report.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::dedup::Seen;
use super::discover::{self, Rollout};
use super::error::{BadLine, BadReason, CodexError};
use super::group::CodexReport;
use super::line::RawUsage;
use super::reader::{self, Batch, Checkpoint, Mode, Parents};
use super::replay::SessionMeta;
use super::report::Report;
use super::rows::CodexRow;

/// What a scan found: the report, and what was read.
pub(crate) struct ScanOutput {
    pub report: CodexReport,
    pub read: ReadAll,
}

/// What reading every rollout found besides its rows.
pub(crate) struct ReadAll {
    pub files: usize,
    /// Requests counted (after de-duplication), on every day.
    pub requests: usize,
    pub bad_lines: Vec<BadLine>,
    pub failed: Vec<CodexError>,
}

/// Scans the rollouts of `homes` (see [`discover`]) into `report`.
pub(crate) fn scan(homes: &[PathBuf], mut report: Report) -> ScanOutput {
    let read = read_all(homes, report.per_session(), |row| report.add(row));
    ScanOutput {
        report: report.finish(),
        read,
    }
}

/// Reads every rollout of `homes` once from its start, forks matched against their parents,
/// and hands each request counted (once across files, or once per session with
/// `per_session`, in ccusage's reading order) to `each`.
pub(crate) fn read_all(
    homes: &[PathBuf],
    per_session: bool,
    mut each: impl FnMut(&CodexRow),
) -> ReadAll {
    let (rollouts, unlistable) = discover::find(homes);
    let default_fast = discover::config_asks_fast(homes);
    let parents = ParentIndex::new(&rollouts);
    let mut seen = Seen::new(per_session);
    let (mut requests, mut bad_lines, mut failed) = (0, Vec::new(), unlistable);
    for rollout in &rollouts {
        let checkpoint = Checkpoint::default();
        match reader::read(&rollout.path, &checkpoint, Mode::Final, Some(&parents)) {
            Ok(batch) => {
                for row in rows(rollout, batch, default_fast, &mut bad_lines) {
                    if seen.first(&row) {
                        requests += 1;
                        each(&row);
                    }
                }
            }
            Err(e) => failed.push(e),
        }
    }
    ReadAll {
        files: rollouts.len(),
        requests,
        bad_lines,
        failed,
    }
}

/// The rows of one read of `rollout`; requests whose timestamp ccusage rejects go to `bad`.
pub(crate) fn rows(
    rollout: &Rollout,
    batch: Batch,
    default_fast: bool,
    bad: &mut Vec<BadLine>,
) -> Vec<CodexRow> {
    bad.extend(batch.bad);
    let mut rows = Vec::with_capacity(batch.counted.len());
    for c in batch.counted {
        match c.event.stamp.ms {
            Some(ms) => rows.push(CodexRow::new(
                &c.event,
                ms,
                &rollout.session_id,
                default_fast,
                rollout.path.clone(),
                c.line,
            )),
            None => bad.push(BadLine {
                path: rollout.path.clone(),
                line: c.line,
                reason: BadReason::BadTimestamp,
            }),
        }
    }
    rows
}

/// Forks' parents among the scanned files: the first file whose `session_meta` has the id.
pub(crate) struct ParentIndex<'a> {
    rollouts: &'a [Rollout],
    /// Built on the first fork met (a first-line read of every file).
    by_id: OnceCell<HashMap<String, PathBuf>>,
}

impl<'a> ParentIndex<'a> {
    pub(crate) fn new(rollouts: &'a [Rollout]) -> Self {
        ParentIndex {
            rollouts,
            by_id: OnceCell::new(),
        }
    }

    fn index(&self) -> &HashMap<String, PathBuf> {
        self.by_id.get_or_init(|| {
            let mut by_id = HashMap::new();
            for r in self.rollouts {
                if let Some(id) =
                    first_line(&r.path).and_then(|l| SessionMeta::of_first_line(&l).id)
                {
                    by_id.entry(id).or_insert_with(|| r.path.clone());
                }
            }
            by_id
        })
    }
}

impl Parents for ParentIndex<'_> {
    fn prefix(&self, child: &Path, meta: &SessionMeta) -> Vec<RawUsage> {
        let Some(parent) = (meta.parent_id.as_ref())
            .and_then(|id| self.index().get(id))
            .filter(|p| p.as_path() != child)
        else {
            return Vec::new();
        };
        // The parent as ccusage reads it for this: all its requests, no replay skipped.
        let Ok(batch) = reader::read(parent, &Checkpoint::default(), Mode::Final, None) else {
            return Vec::new();
        };
        let after_fork =
            |ms: Option<i64>| matches!((ms, meta.forked_at_ms), (Some(t), Some(f)) if t > f);
        (batch.counted.iter())
            .take_while(|c| !after_fork(c.event.stamp.ms))
            .map(|c| c.event.usage)
            .collect()
    }
}

fn first_line(path: &Path) -> Option<Vec<u8>> {
    let file = std::fs::File::open(path).ok()?;
    let mut line = Vec::new();
    std::io::BufReader::new(file)
        .read_until(b'\n', &mut line)
        .ok()?;
    Some(line)
}
