//! The reading and storing half of a run: plan each file's read, read them on all cores, absorb
//! them in path order into the de-duplication (seeded from the database where earlier runs may
//! have stored the same responses), and hand full batches to the writer, checkpointing what it
//! acknowledges.

use std::sync::Arc;

use super::checkpoints::{self, Checkpoints, Done};
use super::lookup::Lookup;
use super::rollup::RollupMaintenance;
use super::schema_gate::SchemaGate;
use super::writer::{BatchWriter, Covered};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::source::claude::collect::{
    Collector, FileScan, Job, MAX_LINE_BYTES, ParallelScan, scan_threads,
};
use crate::source::claude::discover::TranscriptFile;
use crate::store::client::Sink;

/// Entries absorbed together after one lookup: an hourly run's new lines take one request.
const LOOKUP_ENTRIES: usize = 20_000;

pub(super) struct Pass<'a> {
    pub(super) cfg: &'a Config,
    pub(super) sink: &'a Sink,
    pub(super) files: Arc<Vec<TranscriptFile>>,
    pub(super) collector: Collector,
    pub(super) checkpoints: Checkpoints,
    pub(super) schema: SchemaGate,
    pub(super) rollup: RollupMaintenance,
    pub(super) warnings: Vec<String>,
    /// Rows of this run acknowledged, and rows handed to the writer.
    pub(super) rows_stored: u64,
    pub(super) messages_new: u64,
    /// The Claude account of the run's rows (None: unknown).
    pub(super) account: Option<crate::source::claude::account::Account>,
}

/// How the run treats rows earlier runs may have stored, decided once the schema check is in.
enum Earlier {
    Undecided,
    /// The machine has no rows: nothing to look up.
    None,
    /// Look each new message id up before deciding about it.
    LookUp(Lookup),
}

/// What is read but not yet in a batch.
struct Reading {
    /// Scans waiting to be absorbed after their lookup.
    scans: Vec<(usize, FileScan)>,
    entries: usize,
    /// Reads absorbed into pending rows, to checkpoint with their batch.
    done: Vec<Done>,
    earlier: Earlier,
}

impl Pass<'_> {
    /// Reads every file with something new and stores it; then forgets files that are gone.
    pub(super) async fn read_and_store(
        &mut self,
        mut writer: BatchWriter<'_>,
        bar: Option<&indicatif::ProgressBar>,
    ) -> Result<()> {
        let jobs = self.plan();
        if let Some(bar) = bar {
            bar.set_length(jobs.len() as u64);
        }
        let job_files: Vec<usize> = jobs.iter().map(|j| j.file).collect();
        let mut scanner =
            ParallelScan::start(self.files.clone(), jobs, scan_threads(), MAX_LINE_BYTES);
        let mut reading = Reading {
            scans: Vec::new(),
            entries: 0,
            done: Vec::new(),
            earlier: Earlier::Undecided,
        };
        loop {
            // Scanner threads read and parse; this task absorbs their results in order and
            // checkpoints what the writer acknowledges, whichever comes first.
            let next = tokio::select! {
                covered = writer.acknowledged() => {
                    self.acknowledged(covered?)?;
                    continue;
                }
                next = scanner.recv() => next,
            };
            let Some((job, result)) = next else { break };
            match result {
                Ok(scan) => {
                    reading.entries += scan.entries.len();
                    reading.scans.push((job_files[job], scan));
                }
                Err(e) => self.file_failed(e),
            }
            if let Some(bar) = bar {
                self.progress(bar, job);
            }
            if matches!(reading.earlier, Earlier::Undecided) {
                reading.earlier = self.decide_earlier().await;
            }
            // Scans wait for their lookup, up to a batch's worth.
            let enough = reading.entries >= LOOKUP_ENTRIES.min(self.cfg.batch_rows);
            if matches!(reading.earlier, Earlier::None) || enough {
                self.absorb(&mut reading).await?;
            }
            if self.collector.pending() >= self.cfg.batch_rows {
                self.commit(&mut writer, &mut reading.done).await?;
            }
        }
        self.absorb(&mut reading).await?;
        self.collector.finish();
        self.commit(&mut writer, &mut reading.done).await?;
        if let Some(covered) = writer.end().await? {
            self.acknowledged(covered)?;
        }
        if let Some(warning) = self.checkpoints.forget_gone(&self.files)? {
            self.warnings.push(warning);
        }
        Ok(())
    }

    /// The files to read, and where; warnings for files re-read from the start.
    fn plan(&mut self) -> Vec<Job> {
        let mut jobs = Vec::new();
        let files = self.files.clone();
        for (index, file) in files.iter().enumerate() {
            match self.checkpoints.plan(index, file) {
                Ok((job, warning)) => {
                    if let Some(w) = warning {
                        self.collector.stats_mut().files_reread += 1;
                        self.warnings.push(w);
                    }
                    if let Some(job) = job {
                        self.collector.stats_mut().files_changed += 1;
                        jobs.push(job);
                    }
                }
                Err(e) => self.file_failed(e),
            }
        }
        tracing::debug!(jobs = jobs.len(), "planned");
        jobs
    }

    /// Absorbs the waiting scans, after looking up what earlier runs stored for them.
    async fn absorb(&mut self, reading: &mut Reading) -> Result<()> {
        if reading.scans.is_empty() {
            return Ok(());
        }
        if let Earlier::LookUp(lookup) = &mut reading.earlier {
            // The tables must be there (and a failed schema check is the run's error).
            self.schema.ready().await?;
            let (mut ids, mut lines) = (Vec::new(), Vec::new());
            for (_, scan) in &reading.scans {
                self.collector.unknown(scan, &mut ids, &mut lines);
            }
            if !ids.is_empty() || !lines.is_empty() {
                let machine = &self.cfg.machine_name;
                lookup
                    .seed(self.sink, machine, &mut self.collector, ids, lines)
                    .await?;
            }
        }
        for (index, scan) in reading.scans.drain(..) {
            let file = &self.files[index];
            let read = self.collector.absorb(index, file, scan);
            match checkpoints::done(file, read) {
                Ok(done) => reading.done.push(done),
                Err(e) => self.file_failed(e),
            }
        }
        reading.entries = 0;
        Ok(())
    }

    /// Whether rows of earlier runs must be looked up (unless the machine surely has none),
    /// and on a first backfill whether the rollup is built here.
    async fn decide_earlier(&mut self) -> Earlier {
        let missing = self.checkpoints.missing();
        let owed = !self.checkpoints.rollup_owed().is_empty();
        let rows = self.schema.rows().await;
        let (events, rollup) = (rows.events, rows.rollup);
        if missing && events == Some(false) {
            if rollup == Some(false) && !owed {
                self.rollup.build_here();
            }
            return Earlier::None;
        }
        if missing {
            // Checkpoints lost while the machine has rows: every bucket read is recomputed,
            // among them any the lost checkpoints still owed.
            self.collector.refresh_every_bucket();
            if events == Some(true) {
                self.warnings.push(format!(
                    "no checkpoints in {} although machine {:?} already has rows in this database (state dir deleted or moved?); re-reading all transcripts (no duplicates: rows already stored are recognized)",
                    self.cfg.state_dir.display(),
                    self.cfg.machine_name
                ));
            }
        }
        Earlier::LookUp(Lookup::new(self.files.clone()))
    }

    /// Hands the pending rows to the writer with the reads they complete.
    async fn commit(&mut self, writer: &mut BatchWriter<'_>, done: &mut Vec<Done>) -> Result<()> {
        // The tables must exist before the first insert.
        self.schema.ready().await?;
        // Sized for a batch and the file that overflows it: no doubling up to twice the memory.
        let capacity = self.cfg.batch_rows + self.cfg.batch_rows / 4;
        let batch = self.collector.take_batch(capacity);
        self.rollup.add(writer.shape(), &batch);
        self.messages_new += batch.rows.len() as u64;
        if let Some(covered) = writer.commit(batch, std::mem::take(done)).await? {
            self.acknowledged(covered)?;
        }
        Ok(())
    }

    fn acknowledged(&mut self, covered: Covered) -> Result<()> {
        self.rows_stored += covered.rows;
        self.checkpoints.commit(covered.done, covered.buckets)
    }

    fn file_failed(&mut self, err: Error) {
        self.collector.stats_mut().files_failed += 1;
        self.warnings.push(format!(
            "skipped {err}; the file keeps its checkpoint and is retried next run (check it exists and is readable)"
        ));
    }

    fn progress(&self, bar: &indicatif::ProgressBar, job: usize) {
        bar.set_position(job as u64 + 1);
        let s = self.collector.stats();
        bar.set_message(format!(
            "{:.1} MiB read · {} messages",
            s.bytes_read as f64 / 1_048_576.0,
            s.entries - s.duplicates
        ));
    }
}
