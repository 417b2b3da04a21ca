//! One incremental sync pass, as a sequence of steps (see [`sync_once_with`]):
//!
//! 1. walk the transcript folders while the [`checkpoints`] load, and check the schema in the
//!    background ([`schema_gate`]);
//! 2. read what is new, on all cores, and absorb it in path order ([`pass`]): rows earlier runs
//!    stored for the same responses are looked up first ([`lookup`]), so the one
//!    de-duplication rule (`crate::source::claude::dedup`) decides across runs as within one;
//! 3. store it in batches ([`writer`]), checkpointing each batch's files once acknowledged;
//! 4. bring the rollup up to date ([`rollup`]);
//! 5. record the run ([`report`]).
//!
//! On error nothing unacknowledged is checkpointed; the error is also recorded in `sync_runs`
//! when the server can still be reached.

mod account;
mod checkpoints;
mod codex;
mod lookup;
mod pass;
mod report;
mod rollup;
mod schema_gate;
mod writer;

use std::sync::Arc;
use std::time::Instant;

pub use codex::CodexRun;
pub use report::RunReport;

use checkpoints::Checkpoints;
use pass::Pass;
use schema_gate::SchemaGate;
use writer::{BatchWriter, RowShape};

use crate::config::Config;
use crate::error::Result;
use crate::source::claude::collect::Collector;
use crate::source::claude::discover::{self, Discovery};
use crate::store::client::Sink;
use crate::store::schema;

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

/// One pass with default options.
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

/// [`sync_once`] with options: Claude Code's transcripts, then Codex CLI's rollouts when a
/// Codex home exists (each source's run recorded on its own). Without Claude Code folders but
/// with Codex, only Codex is synced; with neither, the run fails naming what was tried.
pub async fn sync_once_with(cfg: &Config, opts: &SyncOptions) -> Result<RunReport> {
    let codex = codex::present(cfg);
    if codex && !discover::any_projects_dir(&cfg.claude_dirs) {
        return codex_only(cfg).await;
    }
    let mut report = claude_once(cfg, opts).await?;
    if codex {
        let sink = Sink::new(&cfg.clickhouse)?;
        let (run, result) = codex::sync(cfg, &sink).await;
        report.add_codex(run);
        result?;
    }
    Ok(report)
}

/// A machine with Codex CLI and no Claude Code folder.
async fn codex_only(cfg: &Config) -> Result<RunReport> {
    let started = Instant::now();
    let sink = Sink::new(&cfg.clickhouse)?;
    let mut schema = SchemaGate::start(&sink, &cfg.machine_name, false, false);
    schema.ready().await?;
    let (run, result) = codex::sync(cfg, &sink).await;
    result?;
    Ok(RunReport::codex_only(cfg, schema.applied(), run, started))
}

/// One pass over Claude Code's transcripts.
async fn claude_once(cfg: &Config, opts: &SyncOptions) -> Result<RunReport> {
    let started = Instant::now();
    let started_ms = now_ms();
    let sink = Sink::new(&cfg.clickhouse)?;
    // 1. The walk (one stat per transcript) overlaps loading the checkpoints and the schema check.
    let walker = walk_in_background(cfg);
    let (checkpoints, warning) = Checkpoints::load(&cfg.state_dir, &target_id(cfg));
    let seen = checkpoints.schema_seen(schema::latest_version());
    let schema = SchemaGate::start(&sink, &cfg.machine_name, seen, checkpoints.missing());
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        files = checkpoints.len(),
        "checkpoints loaded"
    );
    let found = walker
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    // As ccusage: no configured folder holding projects/ is a mistake, not an empty run.
    let no_folders = found
        .projects_dirs
        .is_empty()
        .then(|| discover::no_transcript_folders(&cfg.claude_dirs));
    let mut pass = new_pass(cfg, &sink, found, checkpoints, schema, warning);
    let (account, unknown) = account::of_run(cfg);
    pass.warnings.extend(unknown);
    pass.account = account;
    // 2-3. Read and store.
    let mut result = match no_folders {
        // Nothing to read: the run is recorded as failed (`status` flags it), once the tables
        // are there.
        Some(err) => pass.schema.ready().await.and(Err(err)),
        None => read_all(&mut pass, &sink, opts).await,
    };
    // 4. Also when nothing was read: owed buckets and the run's record need the tables.
    if result.is_ok() {
        result = pass.schema.ready().await;
    }
    if let (Ok(()), Some(account)) = (&result, &pass.account) {
        result = account::record(cfg, &sink, account).await;
    }
    if result.is_ok() {
        let rollup = std::mem::take(&mut pass.rollup);
        let superseded = pass.collector.superseded();
        result = rollup
            .refresh(&sink, &cfg.machine_name, &mut pass.checkpoints, superseded)
            .await;
    }
    if pass.schema.failed() {
        // As when the check ran first: nothing reached the database, so no run is recorded.
        return Err(result.expect_err("the schema check failed"));
    }
    result = settle_checkpoints(&mut pass, result);
    // 5. Record the run.
    finish(pass, result, started, started_ms).await
}

/// Reads every file with something new and stores it, with a progress bar on a long backfill.
async fn read_all(pass: &mut Pass<'_>, sink: &Sink, opts: &SyncOptions) -> Result<()> {
    let bar = (opts.progress && pass.files.len() >= PROGRESS_MIN_FILES)
        .then(|| progress_bar(pass.files.len()));
    let shape = RowShape {
        files: pass.files.clone(),
        machine: Arc::from(pass.cfg.machine_name.as_str()),
        account: Arc::from(pass.account.as_ref().map_or("", |a| a.id.as_str())),
        cost_mode: pass.cfg.cost_mode,
    };
    let writer = BatchWriter::new(sink, shape, pass.cfg.batch_rows);
    let result = pass.read_and_store(writer, bar.as_ref()).await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    result
}

fn walk_in_background(cfg: &Config) -> std::thread::JoinHandle<Discovery> {
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
}

fn new_pass<'a>(
    cfg: &'a Config,
    sink: &'a Sink,
    mut found: Discovery,
    checkpoints: Checkpoints,
    schema: SchemaGate,
    warning: Option<String>,
) -> Pass<'a> {
    tracing::debug!(
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
    let mut warnings: Vec<String> = warning.into_iter().collect();
    for (dir, err) in &found.unreadable {
        warnings.push(format!(
            "cannot list {}: {err}; fix its permissions",
            dir.display()
        ));
    }
    let mut collector = Collector::new(cfg.cost_mode, cfg.privacy.clone());
    collector.stats_mut().files_scanned = found.files.len() as u64;
    Pass {
        cfg,
        sink,
        files: Arc::new(found.files),
        collector,
        checkpoints,
        schema,
        rollup: Default::default(),
        warnings,
        rows_stored: 0,
        messages_new: 0,
        account: None,
    }
}

/// Saves what the run learned even when no file had anything new (a checked schema, checkpoints
/// of an older format); after a missing table, forgets the schema so the next run checks it.
fn settle_checkpoints(pass: &mut Pass<'_>, result: Result<()>) -> Result<()> {
    match &result {
        Err(e) if e.is_missing_table() => {
            pass.checkpoints.forget_schema();
            result
        }
        Err(_) => result,
        Ok(()) => {
            if pass.schema.checked() {
                pass.checkpoints.set_schema(schema::latest_version());
            }
            pass.checkpoints.save_if_outdated(pass.schema.checked())
        }
    }
}

/// Records the run in `sync_runs` and says how it went.
async fn finish(
    mut pass: Pass<'_>,
    result: Result<()>,
    started: Instant,
    started_ms: i64,
) -> Result<RunReport> {
    let stats = pass.collector.stats().clone();
    if let Some(w) = report::odd_timestamps(&stats) {
        pass.warnings.push(w);
    }
    let outcome = report::Outcome {
        cfg: pass.cfg,
        run_id: new_run_id(&pass.cfg.machine_name, started_ms),
        started_ms,
        duration_ms: started.elapsed().as_millis() as u64,
        result: &result,
        stats,
        rows_inserted: pass.rows_stored,
        messages_new: pass.messages_new,
        rollup_pending: pass.checkpoints.rollup_owed().len() as u64,
    };
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "recording the run"
    );
    let recorded = pass.sink.record_run(&outcome.row()).await;
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "run recorded");
    let (schema_applied, warnings) = (pass.schema.applied(), std::mem::take(&mut pass.warnings));
    // Freeing the checkpoints and the file list (tens of thousands of allocations) takes
    // milliseconds nothing waits for.
    let leftovers = (pass.checkpoints.into_state(), pass.files, pass.collector);
    std::thread::spawn(move || drop(leftovers));
    let report = outcome.report(schema_applied, warnings);
    result?;
    recorded?;
    Ok(report)
}
