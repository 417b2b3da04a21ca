//! Keeping `usage_rollup` exact once the run's rows are stored: the 15-minute buckets the run's
//! rows and tombstones fall in (and any an earlier run still owes) are recomputed from
//! `usage_events FINAL` by the engine (`schema/maintenance/rollup_refresh.sql`), once per run,
//! under a version the server gives (never this machine's clock). Buckets are owed in the
//! checkpoints until then, so a failed refresh is repaired by the next run: the rollup may be
//! late, never wrong.
//!
//! A machine's first backfill (no row of it in either table) builds the groups in the agent
//! from the rows it sends instead (`crate::store::rollup`), which spares the engine re-reading them
//! all; it is used only if every row of the machine in `usage_events` is one this run sent
//! (counted in the same query that gives the version) and no response was sent twice.

use super::checkpoints::Checkpoints;
use super::writer::RowShape;
use crate::error::Result;
use crate::source::claude::collect::Batch;
use crate::store::client::Sink;
use crate::store::rollup::RollupBuilder;

/// Rollup groups a first backfill builds in the agent at most (~300 bytes each with their
/// contexts; a 2 GB tree has ~13,000): beyond, the engine refreshes them, so the builder never
/// holds more than ~6 MB.
const MAX_BUILT_GROUPS: usize = 20_000;

/// Buckets per refresh statement: a 2 GB backfill (~4,800 buckets) in one, each statement's
/// parameter under ~75 KB (URLs up to 64 KiB pass most HTTP front ends; the server allows 1 MiB).
const REFRESH_BUCKETS: usize = 5000;

#[derive(Default)]
pub(super) struct RollupMaintenance {
    /// The groups of the rows sent, while building here.
    built: Option<RollupBuilder>,
    /// Rows the builder saw.
    sent: u64,
}

impl RollupMaintenance {
    /// Builds the groups here from now on (a first backfill, before any row is sent).
    pub(super) fn build_here(&mut self) {
        self.built = Some(RollupBuilder::new());
    }

    /// Folds a batch about to be sent into the groups built here, if still building.
    pub(super) fn add(&mut self, shape: &RowShape, batch: &Batch) {
        let Some(builder) = self.built.as_mut() else {
            return;
        };
        // Responses only: tombstones and markers are hidden by FINAL, as from the refresh.
        for row in shape.responses(batch, 0..batch.rows.len(), 0) {
            builder.add(&row);
        }
        // All rows: they are what the engine counts when the built groups are checked.
        self.sent += batch.len() as u64;
        if builder.len() > MAX_BUILT_GROUPS {
            tracing::debug!(groups = builder.len(), "rollup left to the engine");
            self.built = None;
        }
    }

    /// Brings the owed buckets up to date. `superseded`: responses of this run whose first
    /// row was replaced (the groups built here would count them twice).
    pub(super) async fn refresh(
        self,
        sink: &Sink,
        machine: &str,
        checkpoints: &mut Checkpoints,
        superseded: u64,
    ) -> Result<()> {
        let owed = checkpoints.rollup_owed();
        if owed.is_empty() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let built = self.built.filter(|_| superseded == 0);
        let (version, rows) = sink
            .rollup_version(machine, crate::CLAUDE_SOURCE, built.is_some())
            .await?;
        match built.filter(|_| rows == self.sent) {
            Some(built) => {
                sink.insert_rollup(|| built.rows(machine, version)).await?;
                tracing::debug!(
                    groups = built.len(),
                    ms = started.elapsed().as_millis() as u64,
                    "rollup built from the rows sent"
                );
            }
            None => {
                refresh_in_slices(sink, machine, crate::CLAUDE_SOURCE, &owed, version).await?;
                tracing::debug!(
                    buckets = owed.len(),
                    ms = started.elapsed().as_millis() as u64,
                    "rollup refreshed"
                );
            }
        }
        checkpoints.rollup_refreshed()
    }
}

/// Recomputes `owed` buckets of `machine`'s `source` rows under `version`. A long backfill in
/// slices of consecutive buckets: each statement has a bounded parameter and reads a narrow
/// time range.
pub(super) async fn refresh_in_slices(
    sink: &Sink,
    machine: &str,
    source: &str,
    owed: &[i64],
    version: u64,
) -> Result<()> {
    for slice in owed.chunks(REFRESH_BUCKETS) {
        sink.refresh_rollup(machine, source, slice, version).await?;
    }
    Ok(())
}
