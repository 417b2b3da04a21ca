//! What a store needs to keep Codex usage incrementally: the rollouts in reading order, one
//! resumable read of a file from its checkpoint, and the neutral rows it counts. Reading a file
//! in any number of pieces gives the rows one read of the whole file gives (see [`reader`]).

use std::path::PathBuf;

use super::discover::{self, Rollout};
use super::error::{BadLine, CodexError};
use super::reader::{self, Checkpoint, Mode};
use super::rows::CodexRow;
use super::scan::{self, ParentIndex};

/// The rollouts under `homes`, as ccusage reads them, and whether config.toml asks for the
/// fast tier (the tier of requests whose session recorded none).
pub(crate) struct Rollouts {
    pub files: Vec<Rollout>,
    pub default_fast: bool,
    /// Folders that could not be listed.
    pub unlistable: Vec<CodexError>,
}

impl Rollouts {
    pub(crate) fn find(homes: &[PathBuf]) -> Rollouts {
        let (files, unlistable) = discover::find(homes);
        Rollouts {
            files,
            default_fast: discover::config_asks_fast(homes),
            unlistable,
        }
    }
}

/// What one resumable read of a rollout found.
pub(crate) struct NewRows {
    pub rows: Vec<CodexRow>,
    pub bad: Vec<BadLine>,
    /// Where the next read starts (complete lines only).
    pub checkpoint: Checkpoint,
    /// Something was left for a later read (an unfinished line, an undecided fork).
    pub held_back: bool,
}

/// Reads `rollout` on from `from`, holding back an unfinished last line; `settled`: nobody
/// has written the file for a while, so a fork's first request is decided with what is there.
pub(crate) fn read_new(
    rollout: &Rollout,
    from: &Checkpoint,
    parents: &ParentIndex<'_>,
    default_fast: bool,
    settled: bool,
) -> Result<NewRows, CodexError> {
    let mode = if settled {
        Mode::Settled
    } else {
        Mode::Resumable
    };
    let batch = reader::read(&rollout.path, from, mode, Some(parents))?;
    let (checkpoint, held_back) = (batch.checkpoint.clone(), batch.held_back);
    let mut bad = Vec::new();
    let rows = scan::rows(rollout, batch, default_fast, &mut bad);
    Ok(NewRows {
        rows,
        bad,
        checkpoint,
        held_back,
    })
}
