//! One incremental sync pass: discover → plan → collect → insert in batches → checkpoint.

use std::collections::BTreeSet;
use std::time::Instant;

use serde::Serialize;

use crate::collect::{Collector, FileRead, Job, ParallelScan, Stats};
use crate::config::Config;
use crate::discover::{self, TranscriptFile};
use crate::error::{Error, Result};
use crate::rollup::{RollupBuilder, bucket_of};
use crate::schema;
use crate::sink::{Sink, SyncRunRow};
use crate::state::{self, FileState, Plan, Reread, State};

#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub run_id: String,
    pub machine_name: String,
    pub database: String,
    pub status: &'static str,
    pub error: Option<String>,
    pub schema_applied: Vec<u32>,
    pub rows_inserted: u64,
    pub messages_new: u64,
    pub stats: Stats,
    pub warnings: Vec<String>,
    pub duration_ms: u64,
    pub transcript_dirs: Vec<String>,
}

/// Identifies the checkpoint set: the same files synced to another server or database, or under
/// another machine name, are new data there.
pub fn target_id(cfg: &Config) -> String {
    format!(
        "{} db={} machine={}",
        cfg.clickhouse.url, cfg.clickhouse.database, cfg.machine_name
    )
}

fn now_ms() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn new_run_id(machine: &str, started_ms: i64) -> String {
    let h = xxhash_rust::xxh3::xxh3_128(
        format!("{machine}\0{started_ms}\0{}", std::process::id()).as_bytes(),
    );
    let s = format!("{h:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &s[..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..]
    )
}

/// Files read in this pass whose rows are not yet acknowledged by ClickHouse.
struct Uncommitted {
    key: String,
    state: FileState,
}

struct Pass<'a> {
    cfg: &'a Config,
    sink: &'a Sink,
    files: std::sync::Arc<Vec<TranscriptFile>>,
    collector: Collector,
    state: State,
    state_path: std::path::PathBuf,
    uncommitted: Vec<Uncommitted>,
    /// Files planned that had a checkpoint (when all had, none is gone).
    checkpoints_found: u64,
    in_flight: Option<InFlight<'a>>,
    rows_inserted: u64,
    messages_new: u64,
    warnings: Vec<String>,
    /// The schema check, running while the first batch is read (a fresh database's migrations
    /// take a few hundred milliseconds), with whether the machine had rows although the state
    /// file is missing; awaited before anything touches the tables.
    schema: Option<tokio::task::JoinHandle<Result<SchemaCheck>>>,
    schema_applied: Vec<u32>,
    /// The schema check failed: the run is not recorded either (as when it ran first).
    schema_failed: bool,
    /// `usage_rollup` held no group of this machine when the run began (known when the schema
    /// was checked): the refresh then rewrites every group there is, and no group of the
    /// refreshed buckets can have disappeared, so the tombstone pass is skipped.
    rollup_was_empty: bool,
    /// A first backfill (neither table had a row of this machine as the run began, and no
    /// refresh is pending): the rollup is built here from the rows sent, unless a response is
    /// inserted twice (see `refresh_rollup`).
    rollup: Option<RollupBuilder>,
}

/// What the check at the start of a run found, besides the schema.
struct SchemaCheck {
    report: schema::ApplyReport,
    /// The machine had rows although the state file is missing.
    had_rows: bool,
    rollup_was_empty: bool,
    /// `usage_events` had no row of this machine (false when unknown).
    events_were_empty: bool,
}

/// An insert running while the scan goes on, and the checkpoints it will make safe.
struct InFlight<'a> {
    insert: std::pin::Pin<Box<dyn Future<Output = Result<u64>> + Send + 'a>>,
    files: Vec<Uncommitted>,
    /// The rollup buckets its rows fall in, refreshed once the run's inserts are done.
    buckets: BTreeSet<i64>,
}

/// A batch split evenly into inserts of at least `batch_rows` rows (one, unless the batch is
/// large): no small remainder insert, which would only add a part for the server to merge.
fn insert_sizes(rows: usize, batch_rows: usize) -> usize {
    let inserts = (rows / batch_rows.max(1)).max(1);
    rows.div_ceil(inserts).max(1)
}

impl<'a> Pass<'a> {
    /// Hands every pending row to a background insert (after the previous one is acknowledged),
    /// so reading goes on meanwhile; the files read so far are checkpointed once it succeeds.
    async fn start_insert(&mut self) -> Result<()> {
        self.finish_insert().await?;
        self.schema_ready().await?;
        // Sized for a batch and the file that overflows it: no doubling up to twice the memory.
        let next = Vec::with_capacity(self.cfg.batch_rows + self.cfg.batch_rows / 4);
        let batch = std::mem::replace(&mut self.collector.pending, next);
        // From here on, a better line for one of these responses supersedes it by key.
        self.collector.dedup.mark_inserted();
        self.messages_new += batch.len() as u64;
        let files = std::mem::take(&mut self.uncommitted);
        if batch.is_empty() {
            return self.acknowledged(0, files, BTreeSet::new());
        }
        let (sink, all_files) = (self.sink, self.files.clone());
        let strings = self.collector.symbols.snapshot();
        let machine = self.cfg.machine_name.clone();
        let mode = self.collector.cost_mode.to_string();
        if let Some(rollup) = self.rollup.as_mut() {
            for p in &batch {
                rollup.add(&p.row(&all_files, &strings, &machine, &mode, 0));
            }
            if rollup.len() > MAX_BUILT_GROUPS {
                tracing::debug!(groups = rollup.len(), "rollup left to the engine");
                self.rollup = None;
            }
        }
        let per_insert = insert_sizes(batch.len(), self.cfg.batch_rows);
        // The rollup's 15-minute buckets these rows fall in (a response keeps its timestamp
        // across versions, so these are all the buckets the batch can change).
        let buckets: BTreeSet<i64> = batch.iter().map(|p| bucket_of(p.timestamp_ms)).collect();
        let insert = Box::pin(async move {
            let ingested_at = now_ms();
            for chunk in batch.chunks(per_insert) {
                let started = std::time::Instant::now();
                sink.insert_usage_with(|| {
                    chunk
                        .iter()
                        .map(|p| p.row(&all_files, &strings, &machine, &mode, ingested_at))
                })
                .await?;
                tracing::debug!(
                    rows = chunk.len(),
                    ms = started.elapsed().as_millis() as u64,
                    "inserted a batch"
                );
            }
            Ok(batch.len() as u64)
        });
        self.in_flight = Some(InFlight {
            insert,
            files,
            buckets,
        });
        Ok(())
    }

    /// Waits for the schema check started with the run, if it is still going.
    async fn schema_ready(&mut self) -> Result<()> {
        let Some(task) = self.schema.take() else {
            return Ok(());
        };
        let SchemaCheck {
            report,
            had_rows,
            rollup_was_empty,
            events_were_empty,
        } = match task.await {
            Ok(Ok(done)) => done,
            Ok(Err(e)) => {
                self.schema_failed = true;
                return Err(e);
            }
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => return Err(Error::Config(format!("schema check did not finish: {e}"))),
        };
        self.state.schema_version = report.current;
        self.rollup_was_empty = rollup_was_empty;
        if rollup_was_empty && events_were_empty && self.state.pending_rollup.is_empty() {
            self.rollup = Some(RollupBuilder::new());
        }
        self.schema_applied = report.applied;
        if had_rows {
            self.warnings.push(format!(
                "no checkpoints in {} although machine {:?} already has rows in this database (state dir deleted or moved?); re-reading all transcripts (no duplicates: inserts are idempotent)",
                self.cfg.state_dir.display(),
                self.cfg.machine_name
            ));
        }
        Ok(())
    }

    /// Waits for the insert in flight, if any, then checkpoints the files it covered.
    async fn finish_insert(&mut self) -> Result<()> {
        match self.in_flight.take() {
            Some(f) => {
                let rows = f.insert.await?;
                self.acknowledged(rows, f.files, f.buckets)
            }
            None => Ok(()),
        }
    }

    fn acknowledged(
        &mut self,
        rows: u64,
        files: Vec<Uncommitted>,
        mut buckets: BTreeSet<i64>,
    ) -> Result<()> {
        self.rows_inserted += rows;
        self.state.pending_rollup.append(&mut buckets);
        if files.is_empty() {
            return Ok(());
        }
        for done in files {
            self.state.files.insert(done.key, done.state);
        }
        state::save(&self.state_path, &self.state)
    }

    /// Inserts everything pending and checkpoints what that covered.
    async fn flush(&mut self) -> Result<()> {
        self.start_insert().await?;
        self.finish_insert().await
    }

    /// Where to read `index` from, or None when it is unchanged since its checkpoint.
    fn plan(&mut self, index: usize) -> Result<Option<Job>> {
        let file = &self.files[index];
        let prev = self.state.files.get(file.path.to_string_lossy().as_ref());
        self.checkpoints_found += u64::from(prev.is_some());
        let plan = state::plan(file, prev, |start, len| {
            state::fingerprint_at(&file.path, start, len)
        })
        .map_err(|e| Error::io(&file.path, e))?;
        let Plan::Read {
            offset,
            line_no,
            reread,
        } = plan
        else {
            return Ok(None);
        };
        if let Some(why) = reread {
            self.collector.stats.files_reread += 1;
            let what = match why {
                Reread::Truncated => "is shorter than its checkpoint (truncated)",
                Reread::Replaced => "was replaced by a different file",
            };
            self.warnings.push(format!(
                "{} {what}; re-reading it from the start (rows already stored are not duplicated)",
                file.path.display()
            ));
        }
        // A re-read file starts over: its old tail keys belong to other content.
        let tail = match (reread, prev) {
            (None, Some(p)) => p.tail.clone(),
            _ => Vec::new(),
        };
        self.collector.stats.files_changed += 1;
        Ok(Some(Job {
            file: index,
            offset,
            line_no,
            tail,
        }))
    }

    fn checkpoint_for(&self, index: usize, read: FileRead) -> Result<Uncommitted> {
        let file = &self.files[index];
        let fingerprint_len = read.offset.min(state::FINGERPRINT_BYTES);
        let fingerprint = state::fingerprint(&file.path, fingerprint_len)
            .map_err(|e| Error::io(&file.path, e))?;
        let end_fingerprint = match read.offset.checked_sub(state::FINGERPRINT_BYTES) {
            Some(start) if start > 0 => Some(
                state::fingerprint_at(&file.path, start, state::FINGERPRINT_BYTES)
                    .map_err(|e| Error::io(&file.path, e))?,
            ),
            _ => None,
        };
        Ok(Uncommitted {
            key: file.path.to_string_lossy().into_owned(),
            state: FileState {
                dev: file.dev,
                ino: file.ino,
                size: file.size,
                mtime_ns: file.mtime_ns,
                offset: read.offset,
                line_no: read.line_no,
                fingerprint,
                fingerprint_len,
                end_fingerprint,
                tail: read.tail,
            },
        })
    }
}

/// One pass. On error nothing unacknowledged is checkpointed; the error is also recorded in
/// `sync_runs` when the server can still be reached.
pub async fn sync_once(cfg: &Config) -> Result<RunReport> {
    sync_once_with(cfg, &SyncOptions::default()).await
}

#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Show a progress bar (on a terminal) when a pass has much to read.
    pub progress: bool,
}

/// How long a folder must be unchanged before its listing is kept for the next walk: longer than
/// a tick of any file system's clock, so a change right after the listing moves its times.
const LISTING_SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

/// Files to read before a progress bar is worth showing (a backfill, not an hourly run).
const PROGRESS_MIN_FILES: usize = 50;

fn progress_bar(files: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(files as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} files · {msg}",
        )
        .expect("valid template"),
    );
    bar
}

/// [`sync_once`] with options.
pub async fn sync_once_with(cfg: &Config, opts: &SyncOptions) -> Result<RunReport> {
    let started = Instant::now();
    let started_ms = now_ms();
    let run_id = new_run_id(&cfg.machine_name, started_ms);
    let sink = Sink::new(&cfg.clickhouse)?;
    // The walk (one stat per transcript) and reading the checkpoints overlap.
    let walker = {
        let dirs = cfg.claude_dirs.clone();
        let cache_path = discover::listing_cache_path(&cfg.state_dir, &dirs);
        std::thread::spawn(move || {
            let previous = discover::load_listing_cache(&cache_path);
            let (found, changed) = discover::discover_cached(&dirs, previous, LISTING_SETTLE);
            if let Some(cache) = changed
                && let Err(e) = discover::save_listing_cache(&cache_path, &cache)
            {
                tracing::warn!("cannot save {}: {e}", cache_path.display());
            }
            found
        })
    };
    let target = target_id(cfg);
    let state_path = state::state_path(&cfg.state_dir, &target);
    let (state, state_warning) = state::load(&state_path, &target);
    // The schema is checked once per target, then remembered with the checkpoints: an hourly run
    // with nothing new costs one request (its sync_runs row). A missing table resets it.
    let schema_checked = state.schema_version != schema::latest_version();
    // A missing state file is a first run, unless this machine already has rows: then the state
    // dir was lost, and the user should know why everything is read again. Asked once the
    // schema is there (a lost state dir also means an unchecked schema).
    let ask_lost_state = state_warning.is_none() && !state::exists(&state_path);
    let schema_task = schema_checked.then(|| {
        let (sink, machine) = (sink.clone(), cfg.machine_name.clone());
        tokio::spawn(async move {
            let report = schema::apply(&sink).await?;
            // Best effort, each answer on the safe side when a check fails: usage_rollup "has
            // groups" (the tombstone pass is kept), usage_events "has rows" for building the
            // rollup here but not for the lost-state warning (no warning).
            let rollup_was_empty = !machine_has_rows(&sink, "usage_rollup", &machine)
                .await
                .unwrap_or(true);
            let events = if ask_lost_state || rollup_was_empty {
                Some(machine_has_rows(&sink, "usage_events", &machine).await)
            } else {
                None
            };
            Ok(SchemaCheck {
                report,
                had_rows: ask_lost_state && matches!(events, Some(Ok(true))),
                rollup_was_empty,
                events_were_empty: matches!(events, Some(Ok(false))),
            })
        })
    });

    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        files = state.files.len(),
        "checkpoints loaded"
    );
    let mut found = walker
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        files = found.files.len(),
        dirs_listed = found.dirs_listed,
        dirs_reused = found.dirs_reused,
        "transcripts found"
    );
    if cfg.privacy.hashes_paths() {
        let mut paths = crate::privacy::PathCache::default();
        for f in &mut found.files {
            f.project = paths.get(&cfg.privacy, &f.project);
            f.source = paths.get(&cfg.privacy, &f.source);
        }
    }
    let mut pass = Pass {
        cfg,
        sink: &sink,
        files: std::sync::Arc::new(found.files),
        collector: Collector {
            privacy: cfg.privacy.clone(),
            ..Collector::new(cfg.cost_mode)
        },
        state,
        state_path,
        uncommitted: Vec::new(),
        checkpoints_found: 0,
        in_flight: None,
        rows_inserted: 0,
        messages_new: 0,
        warnings: state_warning.into_iter().collect(),
        schema: schema_task,
        schema_applied: Vec::new(),
        schema_failed: false,
        rollup_was_empty: false,
        rollup: None,
    };
    for (dir, err) in &found.unreadable {
        pass.warnings.push(format!(
            "cannot list {}: {err}; fix its permissions",
            dir.display()
        ));
    }
    pass.collector.stats.files_scanned = pass.files.len() as u64;

    let bar = (opts.progress && pass.files.len() >= PROGRESS_MIN_FILES)
        .then(|| progress_bar(pass.files.len()));
    let mut result = run_files(&mut pass, bar.as_ref()).await;
    // Also when nothing was inserted: the rollup refresh and the run's record need the tables.
    if result.is_ok() {
        result = pass.schema_ready().await;
    }
    if result.is_ok() {
        result = refresh_rollup(&mut pass).await;
    }
    if pass.schema_failed {
        // As when the check ran first: nothing reached the database, so no run is recorded.
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        return Err(result.expect_err("the schema check failed"));
    }
    if let Err(Error::ClickHouse { message, .. }) = &result {
        // The database or a table disappeared since the schema was last seen: check it next run.
        if matches!(crate::error::exception_code(message), Some(60 | 81)) {
            pass.state.schema_version = 0;
            let _ = state::save(&pass.state_path, &pass.state);
        }
    } else if result.is_ok() && (schema_checked || pass.state.outdated) {
        // Remember the checked schema (or convert older checkpoints) even when no file had
        // anything new.
        result = state::save(&pass.state_path, &pass.state);
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let stats = pass.collector.stats.clone();
    if stats.odd_timestamps > 0 {
        pass.warnings.push(format!(
            "{} response(s) dated before 2023 or in the future: counted as ccusage does (check the clock of the machine that wrote them)",
            stats.odd_timestamps
        ));
    }
    let status = match (&result, stats.files_failed) {
        (Err(_), _) => "failed",
        (Ok(()), 0) => "ok",
        (Ok(()), _) => "partial",
    };
    let error = result.as_ref().err().map(ToString::to_string);
    let duration_ms = started.elapsed().as_millis() as u64;
    let run = SyncRunRow {
        run_id: run_id.clone(),
        machine_name: cfg.machine_name.clone(),
        started_at: started_ms,
        finished_at: now_ms(),
        status: status.into(),
        error: error.clone().unwrap_or_default(),
        agent_version: crate::AGENT_VERSION.into(),
        files_scanned: stats.files_scanned as u32,
        files_changed: stats.files_changed as u32,
        bytes_read: stats.bytes_read,
        lines_read: stats.lines_read,
        messages_new: pass.messages_new,
        rows_inserted: pass.rows_inserted,
        lines_skipped: stats.lines_skipped,
        skipped_by_reason: stats
            .skipped_by_reason
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        unknown_models: stats.unknown_models.keys().cloned().collect(),
        duration_ms,
    };
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "recording the run"
    );
    let recorded = sink.record_run(&run).await;
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "run recorded");
    // Freeing the checkpoints and the file list (tens of thousands of allocations) takes
    // milliseconds nothing waits for.
    let leftovers = (
        std::mem::take(&mut pass.state),
        std::mem::take(&mut pass.files),
    );
    std::thread::spawn(move || drop(leftovers));
    result?;
    recorded?;
    Ok(RunReport {
        run_id,
        machine_name: cfg.machine_name.clone(),
        database: cfg.clickhouse.database.clone(),
        status,
        error,
        schema_applied: pass.schema_applied,
        rows_inserted: pass.rows_inserted,
        messages_new: pass.messages_new,
        stats,
        warnings: pass.warnings,
        duration_ms,
        transcript_dirs: cfg
            .claude_dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect(),
    })
}

/// Rollup groups a first backfill builds in the agent at most (~300 bytes each with their
/// contexts; a 2 GB tree has ~13,000): beyond, the engine refreshes them, so the builder never
/// holds more than ~6 MB.
const MAX_BUILT_GROUPS: usize = 20_000;

/// Buckets per refresh statement: a 2 GB backfill (~4,800 buckets) in one, each statement's
/// parameter under ~55 KB (URLs up to 64 KiB pass any HTTP front end; the server allows 1 MiB).
const REFRESH_BUCKETS: usize = 5000;

/// Recomputes the rollup for every bucket this run's (or a failed earlier run's) acknowledged
/// rows fall in, once per run; only then are the buckets forgotten.
async fn refresh_rollup(pass: &mut Pass<'_>) -> Result<()> {
    if pass.state.pending_rollup.is_empty() {
        return Ok(());
    }
    let buckets: Vec<i64> = pass.state.pending_rollup.iter().copied().collect();
    let started = Instant::now();
    // Built here only while each response was sent once: a response sent again (a better line
    // after its first row was inserted) replaces that row in the engine, which the groups
    // folded here cannot undo.
    let built = pass
        .rollup
        .take()
        .filter(|_| pass.collector.superseded == 0);
    let (version, rows) = pass
        .sink
        .rollup_version(&pass.cfg.machine_name, built.is_some())
        .await?;
    // Built here only if the machine's rows are exactly those sent (no other agent of this
    // machine name wrote any meanwhile).
    let built = built.filter(|_| rows == pass.rows_inserted);
    if let Some(rollup) = built {
        let machine = &pass.cfg.machine_name;
        pass.sink
            .insert_rollup(|| rollup.rows(machine, version))
            .await?;
        tracing::debug!(
            groups = rollup.len(),
            ms = started.elapsed().as_millis() as u64,
            "rollup built from the rows sent"
        );
    } else {
        // A long backfill is refreshed in slices of consecutive buckets: each statement has a
        // bounded parameter and reads a narrow time range.
        for slice in buckets.chunks(REFRESH_BUCKETS) {
            pass.sink
                .refresh_rollup(&pass.cfg.machine_name, slice, version)
                .await?;
        }
        tracing::debug!(
            buckets = buckets.len(),
            ms = started.elapsed().as_millis() as u64,
            "rollup refreshed"
        );
    }
    pass.state.pending_rollup.clear();
    state::save(&pass.state_path, &pass.state)
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

async fn run_files(pass: &mut Pass<'_>, bar: Option<&indicatif::ProgressBar>) -> Result<()> {
    let mut jobs = Vec::new();
    for index in 0..pass.files.len() {
        match pass.plan(index) {
            Ok(Some(job)) => jobs.push(job),
            Ok(None) => {}
            Err(e) => file_failed(pass, e),
        }
    }
    // Every checkpoint belongs to a file found (the usual case): none is gone.
    let none_gone = pass.checkpoints_found == pass.state.files.len() as u64;
    tracing::debug!(jobs = jobs.len(), "planned");
    if let Some(bar) = bar {
        bar.set_length(jobs.len() as u64);
    }
    let job_files: Vec<usize> = jobs.iter().map(|j| j.file).collect();
    let mut scanner = ParallelScan::start(
        pass.files.clone(),
        jobs,
        crate::collect::scan_threads(),
        pass.collector.max_line,
    );
    // Scanner threads read and parse; this task absorbs their results in order and drives the
    // insert in flight, whichever is ready first.
    enum Event {
        Acknowledged(Result<u64>),
        Scanned(Option<(usize, Result<crate::collect::FileScan>)>),
    }
    loop {
        let event = match pass.in_flight.as_mut() {
            Some(f) => tokio::select! {
                rows = &mut f.insert => Event::Acknowledged(rows),
                next = scanner.recv() => Event::Scanned(next),
            },
            None => Event::Scanned(scanner.recv().await),
        };
        let (job, result) = match event {
            Event::Acknowledged(rows) => {
                let f = pass.in_flight.take().expect("an insert was in flight");
                pass.acknowledged(rows?, f.files, f.buckets)?;
                continue;
            }
            Event::Scanned(None) => break,
            Event::Scanned(Some(next)) => next,
        };
        let index = job_files[job];
        match result {
            Ok(scan) => {
                let read = pass.collector.absorb(index, &pass.files[index], scan);
                match pass.checkpoint_for(index, read) {
                    Ok(done) => pass.uncommitted.push(done),
                    Err(e) => file_failed(pass, e),
                }
            }
            Err(e) => file_failed(pass, e),
        }
        if let Some(bar) = bar {
            bar.set_position(job as u64 + 1);
            let s = &pass.collector.stats;
            bar.set_message(format!(
                "{:.1} MiB read · {} messages",
                s.bytes_read as f64 / 1_048_576.0,
                s.entries - s.duplicates
            ));
        }
        if pass.collector.pending.len() >= pass.cfg.batch_rows {
            pass.start_insert().await?;
        }
    }
    pass.flush().await?;
    // Files Claude Code deleted: their rows stay in ClickHouse, their checkpoints go.
    if none_gone {
        return Ok(());
    }
    let present: std::collections::HashSet<std::borrow::Cow<str>> = pass
        .files
        .iter()
        .map(|f| f.path.to_string_lossy())
        .collect();
    let gone: Vec<&String> = pass
        .state
        .files
        .keys()
        .filter(|k| !present.contains(k.as_str()))
        .collect();
    if let Some(first) = gone.first() {
        let warning = format!(
            "{} transcript(s) gone since the last run (Claude Code's 30-day cleanup?), first {first}; their rows stay in ClickHouse",
            gone.len()
        );
        pass.warnings.push(warning);
        pass.state.files.retain(|k, _| present.contains(k.as_str()));
        state::save(&pass.state_path, &pass.state)?;
    }
    Ok(())
}

fn file_failed(pass: &mut Pass<'_>, err: Error) {
    pass.collector.stats.files_failed += 1;
    pass.warnings.push(format!(
        "skipped {err}; the file keeps its checkpoint and is retried next run (check it exists and is readable)"
    ));
}
