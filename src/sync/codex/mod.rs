//! Codex CLI's rollouts into `usage_events` (source `codex`): one incremental pass.
//!
//! 1. find the rollouts in ccusage's reading order and load their checkpoints
//!    ([`checkpoints`]);
//! 2. read what is new in each changed rollout ([`pass`]), as rows keyed and ranked so that a
//!    request logged in several files is one row, the copy ccusage keeps ([`rows`]);
//! 3. store them in batches, checkpointing each batch's files once ClickHouse acknowledged it;
//! 4. refresh the rollup buckets they fall in (owed in the checkpoints until done: the rollup
//!    may be late, never wrong);
//! 5. record the run in `sync_runs` under source `codex` ([`report`]).

mod checkpoints;
mod pass;
mod report;
mod rows;

use std::time::Instant;

pub use report::CodexRun;

use checkpoints::CodexCheckpoints;

use crate::config::Config;
use crate::error::Result;
use crate::source::codex::Rollouts;
use crate::store::client::Sink;

/// Whether any configured Codex home exists (a machine without Codex pays one stat per home).
pub(super) fn present(cfg: &Config) -> bool {
    cfg.codex_homes.iter().any(|home| home.is_dir())
}

/// Syncs the Codex rollouts of `cfg` into `sink` (whose schema is current) and records the run;
/// the run's summary, and its error if it failed.
pub(super) async fn sync(cfg: &Config, sink: &Sink) -> (CodexRun, Result<()>) {
    let started = Instant::now();
    let started_ms = super::now_ms();
    let (checkpoints, warning) = CodexCheckpoints::load(&cfg.state_dir, &super::target_id(cfg));
    let mut rollouts = Rollouts::find(&cfg.codex_homes);
    // A hint only: unknown counts as no.
    let lost = checkpoints.missing()
        && super::schema_gate::machine_has_rows(
            sink,
            "usage_events",
            &cfg.machine_name,
            crate::CODEX_SOURCE,
        )
        .await
            == Some(true);
    let mut pass = pass::Pass::new(cfg, checkpoints, &mut rollouts);
    pass.run.warnings.extend(warning);
    if lost {
        pass.run.warnings.push(format!(
            "no Codex checkpoints in {} although machine {:?} already has rows from Codex in this \
             database (state dir deleted or moved?); re-reading all rollouts (no duplicates: \
             rows already stored are recognized)",
            cfg.state_dir.display(),
            cfg.machine_name
        ));
    }
    let mut result = pass.read_and_store(sink, &rollouts.files).await;
    if result.is_ok() {
        result = refresh_rollup(sink, &cfg.machine_name, &mut pass.checkpoints).await;
    }
    let owed = pass.checkpoints.rollup_owed().len() as u64;
    let mut run = pass.run;
    run.rollup_pending = owed;
    run.duration_ms = started.elapsed().as_millis() as u64;
    run.run_id = super::new_run_id(&format!("{} codex", cfg.machine_name), started_ms);
    run.set_outcome(&result);
    let recorded = sink.record_run(&run.row(cfg, started_ms)).await;
    (run, result.and(recorded))
}

/// Recomputes the owed buckets of `machine`'s Codex rows from `usage_events FINAL`.
async fn refresh_rollup(
    sink: &Sink,
    machine: &str,
    checkpoints: &mut CodexCheckpoints,
) -> Result<()> {
    let owed = checkpoints.rollup_owed();
    if owed.is_empty() {
        return Ok(());
    }
    let (version, _) = sink
        .rollup_version(machine, crate::CODEX_SOURCE, false)
        .await?;
    super::rollup::refresh_in_slices(sink, machine, crate::CODEX_SOURCE, &owed, version).await?;
    checkpoints.rollup_refreshed();
    checkpoints.save()
}
