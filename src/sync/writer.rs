//! The batch writer: stores a run's rows in `usage_events`, one batch at a time in the
//! background while the next one is read. Like clickhouse-rs's `Inserter`, its state is private
//! and storing is explicit: `commit` hands over a batch (and the files it completes) and gives
//! back what the previous batch covered once ClickHouse acknowledged it; `end` waits for the
//! last. Nothing a batch covered is handed back before its insert succeeded, so no checkpoint
//! ever covers a row that is not stored.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::checkpoints::Done;
use crate::error::Result;
use crate::source::claude::collect::Batch;
use crate::source::claude::discover::TranscriptFile;
use crate::store::client::Sink;
use crate::usage::UsageRow;

/// What an acknowledged batch covered: its files' reads, its rollup buckets, its row count.
pub(super) struct Covered {
    pub(super) done: Vec<Done>,
    pub(super) buckets: BTreeSet<i64>,
    pub(super) rows: u64,
}

/// How a batch's rows become `usage_events` rows: the run's files, machine and cost mode.
#[derive(Clone)]
pub(super) struct RowShape {
    pub(super) files: Arc<Vec<TranscriptFile>>,
    pub(super) machine: Arc<str>,
    /// The account of the run's rows ('' unknown).
    pub(super) account: Arc<str>,
    pub(super) cost_mode: crate::price::CostMode,
}

impl RowShape {
    /// The batch's response rows, made as they are asked for.
    pub(super) fn responses<'a>(
        &'a self,
        batch: &'a Batch,
        range: std::ops::Range<usize>,
        ingested_at: i64,
    ) -> impl Iterator<Item = UsageRow<'a>> + 'a {
        batch.rows[range].iter().map(move |p| {
            p.row(
                &self.files,
                &batch.strings,
                &self.machine,
                &self.account,
                self.cost_mode,
                ingested_at,
            )
        })
    }

    /// The responses `range` of the batch, and with `hidden` its tombstones and markers (rows
    /// `FINAL` hides), made as they are sent.
    fn part<'a>(
        &'a self,
        batch: &'a Batch,
        range: std::ops::Range<usize>,
        hidden: bool,
        ingested_at: i64,
    ) -> impl Iterator<Item = UsageRow<'a>> + 'a {
        let (tombstones, markers) = if hidden {
            (&batch.hidden[..], &batch.seen[..])
        } else {
            (&[][..], &[][..])
        };
        let (machine, files) = (&*self.machine, &self.files[..]);
        let tombstones = tombstones.iter().map(move |h| h.row(machine, ingested_at));
        let markers = markers.iter().map(move |s| {
            crate::source::claude::collect::marker_row(s, files, machine, ingested_at)
        });
        self.responses(batch, range, ingested_at)
            .chain(tombstones)
            .chain(markers)
    }
}

type Insert<'a> = Pin<Box<dyn Future<Output = Result<u64>> + Send + 'a>>;

#[must_use = "a batch writer must be ended to know whether its last batch was stored"]
pub(super) struct BatchWriter<'a> {
    sink: &'a Sink,
    shape: RowShape,
    /// Rows per INSERT: a large batch is split evenly into inserts of at least this many.
    batch_rows: usize,
    in_flight: Option<(Insert<'a>, Covered)>,
}

impl<'a> BatchWriter<'a> {
    pub(super) fn new(sink: &'a Sink, shape: RowShape, batch_rows: usize) -> Self {
        BatchWriter {
            sink,
            shape,
            batch_rows,
            in_flight: None,
        }
    }

    pub(super) fn shape(&self) -> &RowShape {
        &self.shape
    }

    /// Waits for the batch in flight, then starts storing `batch`, which completes the reads
    /// in `done`; returns what the previous batch covered.
    pub(super) async fn commit(
        &mut self,
        batch: Batch,
        done: Vec<Done>,
    ) -> Result<Option<Covered>> {
        let previous = self.end_in_flight().await?;
        let covered = Covered {
            done,
            buckets: batch.buckets.clone(),
            rows: batch.len() as u64,
        };
        if batch.is_empty() {
            // Nothing to wait for: the reads are covered at once.
            return Ok(Some(merge(previous, covered)));
        }
        let (sink, shape) = (self.sink, self.shape.clone());
        let per_insert = insert_sizes(batch.len(), self.batch_rows);
        let insert = Box::pin(async move {
            let ingested_at = super::now_ms();
            let responses = batch.rows.len();
            let mut start = 0;
            // Tombstones and markers go with the last insert (a batch is split only when large).
            loop {
                let end = (start + per_insert).min(responses);
                let last = end == responses;
                let started = std::time::Instant::now();
                sink.insert_usage_with(|| shape.part(&batch, start..end, last, ingested_at))
                    .await?;
                tracing::debug!(
                    rows = end - start,
                    ms = started.elapsed().as_millis() as u64,
                    "inserted a batch"
                );
                if last {
                    return Ok(batch.len() as u64);
                }
                start = end;
            }
        });
        self.in_flight = Some((insert, covered));
        Ok(previous)
    }

    /// Resolves when the batch in flight is acknowledged (never, if none is): for a `select!`
    /// beside the reading.
    pub(super) async fn acknowledged(&mut self) -> Result<Covered> {
        match self.in_flight.as_mut() {
            Some((insert, _)) => {
                let stored = insert.await;
                let (_, covered) = self.in_flight.take().expect("in flight");
                stored.map(|_| covered)
            }
            None => std::future::pending().await,
        }
    }

    async fn end_in_flight(&mut self) -> Result<Option<Covered>> {
        match self.in_flight.take() {
            Some((insert, covered)) => {
                insert.await?;
                Ok(Some(covered))
            }
            None => Ok(None),
        }
    }

    /// Waits for the last batch; what it covered.
    pub(super) async fn end(mut self) -> Result<Option<Covered>> {
        self.end_in_flight().await
    }
}

fn merge(previous: Option<Covered>, mut next: Covered) -> Covered {
    if let Some(mut p) = previous {
        p.done.append(&mut next.done);
        p.buckets.append(&mut next.buckets);
        p.rows += next.rows;
        return p;
    }
    next
}

/// A batch split evenly into inserts of at least `batch_rows` rows (one, unless the batch is
/// large): no small remainder insert, which would only add a part for the server to merge.
fn insert_sizes(rows: usize, batch_rows: usize) -> usize {
    let inserts = (rows / batch_rows.max(1)).max(1);
    rows.div_ceil(inserts).max(1)
}

#[cfg(test)]
mod tests {
    use super::insert_sizes;

    #[test]
    fn a_batch_is_split_evenly_without_a_small_remainder() {
        assert_eq!(insert_sizes(10, 40_000), 10);
        assert_eq!(insert_sizes(50_000, 40_000), 50_000);
        assert_eq!(insert_sizes(80_001, 40_000), 40_001);
        assert_eq!(insert_sizes(0, 40_000), 1);
    }
}
