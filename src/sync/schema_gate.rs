//! The schema check at the start of a run, in the background while the first files are read
//! (a fresh database's migrations take a few hundred milliseconds), and what it learns about
//! this machine's rows. Anything that touches the tables waits for it. The check runs when the
//! checkpoints do not remember the schema as current (a first run, a lost state dir, an
//! upgrade), so an hourly run with nothing new costs no request for it.

use crate::error::{Error, Result};
use crate::schema::{self, ApplyReport};
use crate::sink::Sink;

/// What the check found.
#[derive(Debug, Clone, Default)]
pub(super) struct Found {
    pub(super) report: ApplyReport,
    /// Whether `usage_events` held a row of this machine (None: not asked, or unknown).
    pub(super) events: Option<bool>,
    /// Whether `usage_rollup` held a group of this machine (None: not asked, or unknown).
    pub(super) rollup: Option<bool>,
}

pub(super) struct SchemaGate {
    task: Option<tokio::task::JoinHandle<Result<Found>>>,
    found: Option<Found>,
    /// The check failed: nothing reached the database, so the run is not recorded either.
    failed: bool,
}

impl SchemaGate {
    /// Starts the check unless `seen` (the checkpoints remember the schema as current); asks
    /// whether the machine has rows when `ask_rows` (no usable checkpoints).
    pub(super) fn start(sink: &Sink, machine: &str, seen: bool, ask_rows: bool) -> Self {
        let task = (!seen).then(|| {
            let (sink, machine) = (sink.clone(), machine.to_string());
            tokio::spawn(async move {
                let report = schema::apply(&sink).await?;
                // Best effort: a failed question is "unknown", which errs on the safe side
                // (look rows up, refresh in the engine).
                let (events, rollup) = if ask_rows {
                    let events = machine_has_rows(&sink, "usage_events", &machine).await;
                    let rollup = machine_has_rows(&sink, "usage_rollup", &machine).await;
                    (events.ok(), rollup.ok())
                } else {
                    (None, None)
                };
                Ok(Found {
                    report,
                    events,
                    rollup,
                })
            })
        });
        SchemaGate {
            task,
            found: None,
            failed: false,
        }
    }

    /// Whether the check ran this run (then the checkpoints remember its result).
    pub(super) fn checked(&self) -> bool {
        self.task.is_some() || self.found.is_some()
    }

    /// Whether `ready` would answer at once.
    pub(super) fn finished(&self) -> bool {
        self.task.as_ref().is_none_or(|t| t.is_finished())
    }

    pub(super) fn failed(&self) -> bool {
        self.failed
    }

    /// Waits for the check, if one is running; what it found (nothing when it did not run).
    pub(super) async fn ready(&mut self) -> Result<Option<&Found>> {
        if let Some(task) = self.task.take() {
            let found = match task.await {
                Ok(Ok(found)) => found,
                Ok(Err(e)) => {
                    self.failed = true;
                    return Err(e);
                }
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => return Err(Error::Config(format!("schema check did not finish: {e}"))),
            };
            self.found = Some(found);
        }
        Ok(self.found.as_ref())
    }

    /// Migrations this run applied.
    pub(super) fn applied(&self) -> Vec<u32> {
        self.found
            .as_ref()
            .map(|f| f.report.applied.clone())
            .unwrap_or_default()
    }
}

/// Whether `table` holds a row of `machine`.
async fn machine_has_rows(sink: &Sink, table: &str, machine: &str) -> Result<bool> {
    let query = sink
        .client()
        .query("SELECT 1 FROM {t:Identifier} WHERE machine_name = {m:String} LIMIT 1")
        .param("t", table)
        .param("m", machine)
        .fetch_optional::<u8>();
    Ok(sink.timed(&format!("read {table}"), query).await?.is_some())
}
