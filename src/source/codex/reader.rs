//! Incremental reading of one rollout: from a [`Checkpoint`] (byte offset plus the state the
//! usage rules carry), read only the new bytes and return the requests they count and the next
//! checkpoint. Reading a file in any number of pieces gives the same requests as one read.
//!
//! - A last line without its newline may still be being written: a [`Mode::Resumable`] read
//!   does not consume it; a [`Mode::Final`] read (a report of files as they are) reads it, as
//!   ccusage does.
//! - A fork whose first request cannot be decided before the file's next `token_count` is
//!   written (see [`super::replay`]) is likewise not consumed by a resumable read; a
//!   [`Mode::Settled`] read (of a file nobody has written for a while) decides it with the file
//!   as it is, as ccusage does.
//! - Bad lines are counted and reported with their line number, never fatal.

use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::error::{BadLine, BadReason, CodexError};
use super::line::{self, RawUsage};
use super::replay::{self, Burst, Replay, SessionMeta, Verdict};
use super::usage::{Counters, Event};

/// Where a file was read up to, and the state needed to go on: serialisable, stored per file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    /// Bytes consumed (whole lines only).
    pub offset: u64,
    /// Lines consumed.
    pub lines: u64,
    pub counters: Counters,
    /// From the first line, once it is complete.
    pub meta: Option<SessionMeta>,
    pub replay: Replay,
    /// Unparseable lines met so far (all reads). Requests with a rejected timestamp are counted
    /// where rows are made ([`super::scan::rows`]).
    pub bad_lines: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The file may still grow: hold back what its next bytes could change.
    Resumable,
    /// The file has not been written for a while: an unfinished last line is still held back,
    /// but a fork's first request is decided with the lines there are.
    Settled,
    /// Read the file as it is now, to its last byte (a report). Its checkpoint may end inside an
    /// unfinished line: resume only from resumable reads.
    Final,
}

/// The requests a forked file's parent made up to the fork, in order (empty: parent unknown).
pub(crate) trait Parents {
    fn prefix(&self, child: &Path, meta: &SessionMeta) -> Vec<RawUsage>;
}

/// One request counted by the rules (before de-duplication), at its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Counted {
    pub line: u64,
    pub event: Event,
}

/// What one read found.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub counted: Vec<Counted>,
    pub bad: Vec<BadLine>,
    pub checkpoint: Checkpoint,
    /// Whether a resumable read left bytes for the next one.
    pub held_back: bool,
}

/// Reads `path` on from `from`. `parents`: `None` reads the file as a parent is read (no replay
/// is skipped), else forks are looked up there.
pub(crate) fn read(
    path: &Path,
    from: &Checkpoint,
    mode: Mode,
    parents: Option<&dyn Parents>,
) -> Result<Batch, CodexError> {
    let io = |source| CodexError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    // A file shorter than what was read was replaced: read it again from the start.
    let start = if len < from.offset {
        Checkpoint::default()
    } else {
        from.clone()
    };
    file.seek(SeekFrom::Start(start.offset)).map_err(io)?;
    let mut session = Session {
        path,
        mode,
        parents,
        prefix: None,
        batch: Batch {
            checkpoint: start,
            ..Batch::default()
        },
    };
    session
        .read_lines(BufReader::with_capacity(128 * 1024, file))
        .map_err(io)?;
    Ok(session.batch)
}

struct Session<'a> {
    path: &'a Path,
    mode: Mode,
    parents: Option<&'a dyn Parents>,
    /// The parent's prefix, looked up once per read when first needed.
    prefix: Option<Vec<RawUsage>>,
    batch: Batch,
}

impl Session<'_> {
    fn read_lines(&mut self, mut reader: impl BufRead) -> std::io::Result<()> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = reader.read_until(b'\n', &mut buf)?;
            if n == 0 {
                return Ok(());
            }
            let complete = buf.ends_with(b"\n");
            if (!complete && self.mode != Mode::Final) || !self.take(trim_newline(&buf)) {
                self.batch.held_back = true;
                return Ok(());
            }
            let cp = &mut self.batch.checkpoint;
            cp.offset += n as u64;
            cp.lines += 1;
        }
    }

    /// Applies one line; `false`: it must be left for a later read (not consumed).
    fn take(&mut self, line: &[u8]) -> bool {
        let number = self.batch.checkpoint.lines + 1;
        if number == 1 {
            let meta = SessionMeta::of_first_line(line);
            let cp = &mut self.batch.checkpoint;
            cp.replay = match self.parents {
                Some(_) => Replay::start(&meta),
                None => Replay::Done,
            };
            cp.meta = Some(meta);
        }
        if !line::may_matter(line) {
            return true;
        }
        let Some(record) = line::parse(line) else {
            self.bad(number, BadReason::NotJson);
            return true;
        };
        let undecidable = matches!(self.batch.checkpoint.replay, Replay::Matching { index: 0 });
        let before = undecidable.then(|| self.batch.checkpoint.counters.clone());
        let Some(event) = self.batch.checkpoint.counters.apply(record) else {
            return true;
        };
        match self.verdict(&event) {
            Verdict::Count => self.batch.counted.push(Counted {
                line: number,
                event,
            }),
            Verdict::Skip => {}
            Verdict::Undecided => {
                // Not consumed: the rules' state goes back to before this line.
                self.batch.checkpoint.counters = before.unwrap_or_default();
                return false;
            }
        }
        true
    }

    fn verdict(&mut self, event: &Event) -> Verdict {
        if self.batch.checkpoint.replay == Replay::Done {
            return Verdict::Count;
        }
        let prefix = self.prefix.get_or_insert_with(|| {
            let meta = self.batch.checkpoint.meta.clone().unwrap_or_default();
            (self.parents).map_or_else(Vec::new, |p| p.prefix(self.path, &meta))
        });
        let (path, mode) = (self.path, self.mode);
        let cp = &mut self.batch.checkpoint;
        cp.replay.judge(&event.usage, event.stamp.ms, prefix, || {
            head_burst(path, mode)
        })
    }

    fn bad(&mut self, line: u64, reason: BadReason) {
        self.batch.checkpoint.bad_lines += 1;
        self.batch.bad.push(BadLine {
            path: self.path.to_path_buf(),
            line,
            reason,
        });
    }
}

fn trim_newline(buf: &[u8]) -> &[u8] {
    buf.strip_suffix(b"\n").unwrap_or(buf)
}

/// The burst at the head of the file as it is now (a resumable read ignores an unfinished last
/// line, as it would ignore it anyway).
fn head_burst(path: &Path, mode: Mode) -> Burst {
    let Ok(bytes) = std::fs::read(path) else {
        return Burst::None;
    };
    let whole = match mode {
        Mode::Final => &bytes[..],
        Mode::Resumable | Mode::Settled => {
            &bytes[..bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)]
        }
    };
    let lines = whole.split(|&b| b == b'\n').filter(|l| !l.is_empty());
    replay::burst_in(lines, mode != Mode::Resumable)
}

#[cfg(test)]
#[path = "reader_tests.rs"]
mod tests;
