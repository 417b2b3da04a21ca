//! The schema check at the start of a run, in the background while the first files are read
//! (a fresh database's migrations take a few hundred milliseconds), and beside it whether this
//! machine has rows. Anything that touches the tables waits for the check. The check runs when the
//! checkpoints do not remember the schema as current (a first run, a lost state dir, an
//! upgrade), so an hourly run with nothing new costs no request for it.

use crate::error::{Error, Result};
use crate::store::client::Sink;
use crate::store::schema::{self, ApplyReport};

/// Whether the machine has rows: what a run without checkpoints must know before it decides
/// about its first line (look rows up? build the rollup here?). None: unknown.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Rows {
    /// `usage_events` holds a row of this machine.
    pub(super) events: Option<bool>,
    /// `usage_rollup` holds a group of this machine.
    pub(super) rollup: Option<bool>,
}

pub(super) struct SchemaGate {
    task: Option<tokio::task::JoinHandle<Result<ApplyReport>>>,
    applied: Vec<u32>,
    /// Asked beside the migrations, not after them: a fresh database answers at once (no
    /// table, no rows), and the run goes on reading meanwhile.
    rows: Option<tokio::task::JoinHandle<Rows>>,
    rows_known: Rows,
    checked: bool,
    /// The check failed: nothing reached the database, so the run is not recorded either.
    failed: bool,
}

impl SchemaGate {
    /// Starts the check unless `seen` (the checkpoints remember the schema as current); asks
    /// whether the machine has rows when `ask_rows` (no usable checkpoints).
    pub(super) fn start(sink: &Sink, machine: &str, seen: bool, ask_rows: bool) -> Self {
        let task = (!seen).then(|| {
            let sink = sink.clone();
            tokio::spawn(async move { schema::apply(&sink).await })
        });
        let rows = ask_rows.then(|| {
            let (sink, machine) = (sink.clone(), machine.to_string());
            tokio::spawn(async move {
                Rows {
                    events: machine_has_rows(&sink, "usage_events", &machine, "").await,
                    rollup: machine_has_rows(&sink, "usage_rollup", &machine, "").await,
                }
            })
        });
        SchemaGate {
            task,
            applied: Vec::new(),
            rows,
            rows_known: Rows::default(),
            checked: !seen,
            failed: false,
        }
    }

    /// Whether the check ran this run (then the checkpoints remember its result).
    pub(super) fn checked(&self) -> bool {
        self.checked
    }

    pub(super) fn failed(&self) -> bool {
        self.failed
    }

    /// Waits for the check, if one is running.
    pub(super) async fn ready(&mut self) -> Result<()> {
        let Some(task) = self.task.take() else {
            return Ok(());
        };
        match task.await {
            Ok(Ok(report)) => {
                self.applied = report.applied;
                Ok(())
            }
            Ok(Err(e)) => {
                self.failed = true;
                Err(e)
            }
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(Error::Config(format!("schema check did not finish: {e}"))),
        }
    }

    /// Whether the machine has rows (unknown when not asked).
    pub(super) async fn rows(&mut self) -> Rows {
        if let Some(task) = self.rows.take() {
            self.rows_known = task.await.unwrap_or_default();
        }
        self.rows_known
    }

    /// Migrations this run applied.
    pub(super) fn applied(&self) -> Vec<u32> {
        self.applied.clone()
    }
}

/// Whether `table` holds a row of `machine` (of `source`; '' any): no when the table (or the
/// database) does not exist yet; None when that cannot be told, which errs on the safe side
/// (look rows up, refresh the rollup in the engine).
pub(super) async fn machine_has_rows(
    sink: &Sink,
    table: &str,
    machine: &str,
    source: &str,
) -> Option<bool> {
    // Without a source, no word of the column: a database from before it (schema 4) is still
    // being upgraded while this is asked.
    let any = "SELECT 1 FROM {t:Identifier} WHERE machine_name = {m:String} LIMIT 1";
    let of_source = "SELECT 1 FROM {t:Identifier} WHERE machine_name = {m:String} \
                     AND source = {s:String} LIMIT 1";
    let mut query = sink
        .client()
        .query(if source.is_empty() { any } else { of_source })
        .param("t", table)
        .param("m", machine);
    if !source.is_empty() {
        query = query.param("s", source);
    }
    let query = query.fetch_optional::<u8>();
    match sink.timed(&format!("read {table}"), query).await {
        Ok(row) => Some(row.is_some()),
        Err(e) if e.is_missing_table() => Some(false),
        Err(_) => None,
    }
}
