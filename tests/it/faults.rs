//! The fault suite (issue 6): whatever happens mid-sync, nothing is lost and nothing doubled.
//!
//! Every test runs the real binary against the real engine. Faults are injected from outside:
//! SIGKILL of the process, `scripts/fault_proxy.py` between ccsync and ClickHouse (holds, cuts,
//! delays, refusals at chosen points), a second engine process killed and restarted on the same
//! data, and changes to the transcript tree while a sync runs. Outcomes are compared row by row
//! with a clean single run, and the figures go to `target/fault-report.json`.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::common::*;

pub(crate) const INSERT_USAGE: &str = "INSERT,usage_events";
pub(crate) const INSERT_RUN: &str = "INSERT,sync_runs";

// --- figures -----------------------------------------------------------------------------------

/// What one fault test contributes to `target/fault-report.json`.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Figures {
    pub(crate) faults_injected: u64,
    pub(crate) rows_compared: u64,
    pub(crate) rows_lost: u64,
    pub(crate) rows_duplicated: u64,
    pub(crate) checkpoints_checked: u64,
    pub(crate) notes: Vec<String>,
}

impl Figures {
    pub(crate) fn add(&mut self, d: &Diff) {
        self.rows_compared += d.compared;
        self.rows_lost += d.lost;
        self.rows_duplicated += d.duplicated;
    }
}

fn report_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("fault-report")
}

/// Writes this test's figures and re-sums all of this run's into `target/fault-report.json`.
pub(crate) fn record(test: &str, figures: &Figures) {
    static LOCK: Mutex<bool> = Mutex::new(false);
    let mut started = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = report_dir();
    if !*started {
        // Figures of an earlier run are not this run's.
        let _ = std::fs::remove_dir_all(&dir);
        *started = true;
    }
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("{test}.json")),
        serde_json::to_vec_pretty(figures).unwrap(),
    )
    .unwrap();
    let mut tests = BTreeMap::new();
    let mut total = Figures::default();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(name) = name.strip_suffix(".json") else {
            continue;
        };
        let f: Figures = serde_json::from_slice(&std::fs::read(entry.path()).unwrap()).unwrap();
        total.faults_injected += f.faults_injected;
        total.rows_compared += f.rows_compared;
        total.rows_lost += f.rows_lost;
        total.rows_duplicated += f.rows_duplicated;
        total.checkpoints_checked += f.checkpoints_checked;
        tests.insert(name.to_string(), f);
    }
    let report = serde_json::json!({
        "tests": tests.len(),
        "faults_injected": total.faults_injected,
        "rows_compared": total.rows_compared,
        "rows_lost": total.rows_lost,
        "rows_duplicated": total.rows_duplicated,
        "checkpoints_checked": total.checkpoints_checked,
        "by_test": tests,
    });
    std::fs::write(
        dir.parent().unwrap().join("fault-report.json"),
        serde_json::to_vec_pretty(&report).unwrap(),
    )
    .unwrap();
    eprintln!(
        "fault report {test}: {}",
        serde_json::to_string(figures).unwrap()
    );
}

// --- row comparison ----------------------------------------------------------------------------

/// A row under FINAL, everything that decides totals (not where or when it was read).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, clickhouse::Row, serde::Deserialize)]
struct FinalRow {
    message_id: String,
    request_id: String,
    timestamp: i64,
    model: String,
    input: u64,
    output: u64,
    cache_creation: u64,
    cache_5m: u64,
    cache_1h: u64,
    cache_read: u64,
    cost: String,
    sidechain: bool,
}

async fn final_rows(client: &clickhouse::Client, machine: &str) -> Vec<FinalRow> {
    client
        .query(
            "SELECT message_id, request_id, toUnixTimestamp64Milli(timestamp) AS timestamp, \
             toString(model) AS model, input_tokens AS input, output_tokens AS output, \
             cache_creation_input_tokens AS cache_creation, \
             cache_creation_5m_input_tokens AS cache_5m, cache_creation_1h_input_tokens AS cache_1h, \
             cache_read_input_tokens AS cache_read, toString(cost_usd) AS cost, \
             is_sidechain AS sidechain \
             FROM usage_events FINAL WHERE machine_name = {m:String} \
             ORDER BY message_id, request_id, timestamp",
        )
        .param("m", machine)
        .fetch_all()
        .await
        .unwrap()
}

#[derive(Debug, Default)]
pub(crate) struct Diff {
    pub(crate) compared: u64,
    pub(crate) lost: u64,
    pub(crate) duplicated: u64,
    pub(crate) details: Vec<String>,
}

/// Rows of `got` against the clean run's: missing or different rows are lost, extra rows (a key
/// twice, e.g. in two partitions, or a key the clean run does not have) are duplicated.
fn diff(clean: &[FinalRow], got: &[FinalRow]) -> Diff {
    let key = |r: &FinalRow| (r.message_id.clone(), r.request_id.clone());
    let clean_by_key: BTreeMap<_, _> = clean.iter().map(|r| (key(r), r)).collect();
    assert_eq!(
        clean_by_key.len(),
        clean.len(),
        "the clean run has duplicate keys"
    );
    let mut got_by_key: BTreeMap<_, Vec<&FinalRow>> = BTreeMap::new();
    for r in got {
        got_by_key.entry(key(r)).or_default().push(r);
    }
    let mut d = Diff {
        compared: clean.len() as u64,
        ..Diff::default()
    };
    for (k, want) in &clean_by_key {
        match got_by_key.get(k).map(Vec::as_slice) {
            None => {
                d.lost += 1;
                d.details.push(format!("lost {k:?}"));
            }
            Some([one]) if *one == *want => {}
            Some(rows) if rows.contains(want) => {}
            Some(rows) => {
                d.lost += 1;
                d.details
                    .push(format!("differs {k:?}: want {want:?}, got {rows:?}"));
            }
        }
    }
    for (k, rows) in &got_by_key {
        let extra = if clean_by_key.contains_key(k) {
            rows.len() - 1
        } else {
            rows.len()
        };
        if extra > 0 {
            d.duplicated += extra as u64;
            d.details.push(format!("duplicated {k:?}: {rows:?}"));
        }
    }
    d.details.truncate(20);
    d
}

pub(crate) fn assert_no_diff(what: &str, d: &Diff) {
    assert!(
        d.lost == 0 && d.duplicated == 0,
        "{what}: {} rows lost, {} duplicated of {}:\n{}",
        d.lost,
        d.duplicated,
        d.compared,
        d.details.join("\n")
    );
}

/// Per-day totals under FINAL: tokens and counts exactly, cost to float rounding (sums of the
/// same rows in another order).
async fn assert_same_totals(env: &Env, machine: &str, reference: &str) {
    let (got, want) = (
        day_totals(env, machine).await,
        day_totals(env, reference).await,
    );
    assert_eq!(got.len(), want.len(), "{got:?}\n{want:?}");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(
            (
                &g.date,
                g.input,
                g.output,
                g.cache_creation,
                g.cache_read,
                g.messages
            ),
            (
                &w.date,
                w.input,
                w.output,
                w.cache_creation,
                w.cache_read,
                w.messages
            ),
            "{machine} vs {reference}"
        );
        assert!(
            (g.cost - w.cost).abs() <= 1e-9 * w.cost.abs().max(1.0),
            "{g:?} vs {w:?}"
        );
    }
}

// --- checkpoints -------------------------------------------------------------------------------

/// (path, offset) of every checkpoint in a state dir.
fn checkpoints(state_dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir(state_dir) else {
        return out;
    };
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("checkpoints-") && name.ends_with(".bin")) {
            continue;
        }
        let state = ccsync::state::decode(&std::fs::read(entry.path()).unwrap()).unwrap();
        for (path, f) in state.files {
            out.push((PathBuf::from(std::ffi::OsString::from_vec(path)), f.offset));
        }
    }
    out.sort();
    out
}

/// No checkpoint points past data that did not reach ClickHouse: every response in the lines a
/// checkpoint covers has a row (raw table, any version). Returns how many responses it checked.
async fn assert_checkpoints_covered(
    client: &clickhouse::Client,
    machine: &str,
    state_dir: &Path,
) -> u64 {
    let stored: BTreeSet<String> = client
        .query("SELECT DISTINCT message_id FROM usage_events WHERE machine_name = {m:String}")
        .param("m", machine)
        .fetch_all::<String>()
        .await
        .unwrap()
        .into_iter()
        .collect();
    let mut checked = 0;
    for (path, offset) in checkpoints(state_dir) {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        assert!(
            offset as usize <= bytes.len(),
            "{}: checkpoint {offset} past the end ({})",
            path.display(),
            bytes.len()
        );
        let mut parser = ccsync::source::claude::parse::LineParser::new();
        for line in bytes[..offset as usize].split(|b| *b == b'\n') {
            let ccsync::source::claude::parse::Parsed::Entries(entries) = parser.parse(line) else {
                continue;
            };
            for e in entries {
                let Some(id) = e.message_id else { continue };
                checked += 1;
                assert!(
                    stored.contains(&*id),
                    "{}: the checkpoint (offset {offset}) covers {id}, which is not in ClickHouse",
                    path.display()
                );
            }
        }
    }
    checked
}

// --- running ccsync ----------------------------------------------------------------------------

/// ccsync with `env`'s credentials and database, but this URL, machine and transcript tree; the
/// state dir is per machine.
fn ccsync_cmd(env: &Env, url: &str, machine: &str, tree: &Path, args: &[&str]) -> Command {
    let mut cmd = env.command(args);
    cmd.env("CLICKHOUSE_URL", url)
        .env("MACHINE_NAME", machine)
        .env("CLAUDE_CONFIG_DIR", tree)
        .env("CCSYNC_STATE_DIR", state_dir(env, machine));
    cmd
}

pub(crate) fn state_dir(env: &Env, machine: &str) -> PathBuf {
    env.dir.path().join(format!("state-{machine}"))
}

pub(crate) struct Out {
    pub(crate) ok: bool,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

pub(crate) fn run(mut cmd: Command) -> Out {
    let out = cmd.output().unwrap();
    Out {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub(crate) fn run_ok(cmd: Command) -> Out {
    let out = run(cmd);
    assert!(out.ok, "ccsync failed:\n{}\n{}", out.stdout, out.stderr);
    out
}

pub(crate) fn json_report(out: &Out) -> serde_json::Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr))
}

/// A generated transcript tree (deterministic for the seed).
fn generate(dir: &Path, sessions: u32, seed: u64, extra: &[&str]) -> PathBuf {
    let out = Command::new(env!("CARGO_BIN_EXE_ccsync"))
        .args(["generate", "--out"])
        .arg(dir)
        .args(["--sessions", &sessions.to_string()])
        .args(["--seed", &seed.to_string()])
        .args(["--start", "2026-01-28", "--days", "8"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.to_path_buf()
}

/// The kill points are seeded (SplitMix64, shared with the generator), so a failure replays.
use ccsync::generate::Rng;

pub(crate) fn kill(child: &mut Child) {
    // SIGKILL: no destructor, no flush, no signal handler runs.
    let _ = child.kill();
    let _ = child.wait();
}

/// Requests in the proxy's log whose line contains every term, with their sizes in bytes.
pub(crate) fn logged(status: &serde_json::Value, terms: &str) -> Vec<u64> {
    status["log"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            let line = r["line"].as_str().unwrap();
            terms.split(',').all(|t| line.contains(t))
        })
        .map(|r| r["bytes"].as_u64().unwrap())
        .collect()
}

// --- killed mid-sync ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub(crate) enum KillPoint {
    /// The k-th insert into usage_events has sent `offset` bytes.
    MidInsert { k: u64, offset: u64 },
    /// The k-th insert reached the server, its acknowledgement did not reach ccsync.
    AckLost { k: u64 },
    /// The n-th request of the run (before any insert) has sent `offset` bytes.
    MidRequest { n: u64, offset: u64 },
    /// Every batch is acknowledged and checkpointed; the run's record is in flight.
    RunRecord,
    /// At a moment of the run (reading, parsing, checkpointing...).
    After { ms: u64 },
}

/// Runs `sync` through `proxy` and kills it with SIGKILL at `point`; whether it was still
/// running then (a run that had finished was not interrupted).
pub(crate) fn kill_at(proxy: &FaultProxy, point: &KillPoint, mut sync: Command) -> bool {
    proxy.cmd("reset");
    match point {
        KillPoint::MidInsert { k, offset } => {
            proxy.cmd(&format!("hold_req {INSERT_USAGE} {k} {offset}"));
        }
        KillPoint::AckLost { k } => {
            proxy.cmd(&format!("hold_resp {INSERT_USAGE} {k}"));
        }
        KillPoint::MidRequest { n, offset } => {
            proxy.cmd(&format!("hold_req * {n} {offset}"));
        }
        KillPoint::RunRecord => {
            proxy.cmd(&format!("hold_resp {INSERT_RUN} 1"));
        }
        KillPoint::After { .. } => {}
    }
    let mut child = sync
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let killed = match point {
        KillPoint::After { ms } => {
            std::thread::sleep(Duration::from_millis(*ms));
            child.try_wait().unwrap().is_none()
        }
        _ => proxy.wait_held(&mut child),
    };
    kill(&mut child);
    proxy.cmd("release");
    proxy.cmd("drop");
    killed
}

#[tokio::test]
async fn killed_at_seeded_points_then_a_normal_run_equals_a_clean_run() {
    const SEED: u64 = 0x1_5EED_0006;
    let env = Env::new("kill");
    let tree = generate(&env.dir.path().join("tree"), 8, 3, &[]);
    let proxy = FaultProxy::start(&server().url);
    let url = proxy.url();
    let client = env.client();
    let batch = |mut cmd: Command| {
        // Many small batches: many checkpoints, many points in between.
        cmd.env("CCSYNC_BATCH_ROWS", "40");
        cmd
    };
    // The schema first, so the clean run's requests are those of every later run.
    run_ok(env.command(&["schema", "apply"]));
    let started = Instant::now();
    run_ok(batch(ccsync_cmd(&env, &url, "clean", &tree, &["--once"])));
    let clean_ms = started.elapsed().as_millis() as u64;
    let status = proxy.status();
    let inserts = logged(&status, INSERT_USAGE);
    assert!(inserts.len() >= 5, "want several batches: {inserts:?}");
    let first_insert = status["log"]
        .as_array()
        .unwrap()
        .iter()
        .position(|r| r["line"].as_str().unwrap().contains("usage_events"))
        .unwrap() as u64;
    let pre_sizes: Vec<u64> = status["log"].as_array().unwrap()[..first_insert as usize]
        .iter()
        .map(|r| r["bytes"].as_u64().unwrap())
        .collect();
    let clean = final_rows(&client, "clean").await;
    assert!(clean.len() > 200, "{}", clean.len());

    let mut rng = Rng(SEED);
    let mut points = Vec::new();
    // 20 points that stop a running sync for sure (held by the proxy), 6 at moments in time.
    for i in 0..26 {
        let k = 1 + rng.below(inserts.len() as u64);
        let size = inserts[k as usize - 1];
        points.push(match i {
            0..=11 => KillPoint::MidInsert {
                k,
                offset: 1 + rng.below(size - 1),
            },
            12..=16 => KillPoint::AckLost { k },
            17..=18 => {
                let n = 1 + rng.below(first_insert);
                KillPoint::MidRequest {
                    n,
                    offset: 1 + rng.below(pre_sizes[n as usize - 1] - 1),
                }
            }
            19 => KillPoint::RunRecord,
            _ => KillPoint::After {
                ms: 20 + rng.below(clean_ms * 3 / 4),
            },
        });
    }

    let mut figures = Figures::default();
    for (i, point) in points.iter().enumerate() {
        let machine = format!("killed-{i:02}");
        let sync = batch(ccsync_cmd(&env, &url, &machine, &tree, &["--once"]));
        let killed = kill_at(&proxy, point, sync);
        if killed {
            figures.faults_injected += 1;
        }
        let state = state_dir(&env, &machine);
        figures.checkpoints_checked += assert_checkpoints_covered(&client, &machine, &state).await;
        figures.notes.push(format!(
            "{machine}: {point:?}, {} files checkpointed when killed{}",
            checkpoints(&state).len(),
            if killed { "" } else { " (run had finished)" }
        ));

        // The next normal run converges to the clean run, row for row.
        proxy.cmd("reset");
        run_ok(batch(ccsync_cmd(&env, &url, &machine, &tree, &["--once"])));
        let d = diff(&clean, &final_rows(&client, &machine).await);
        assert_no_diff(&format!("{machine} after {point:?}"), &d);
        figures.add(&d);
        assert_same_totals(&env, &machine, "clean").await;
    }
    assert!(
        figures.faults_injected >= 20,
        "only {} of the points killed a running sync: {:#?}",
        figures.faults_injected,
        figures.notes
    );
    record("killed_at_seeded_points", &figures);
}

// --- server gone, killed, slow -----------------------------------------------------------------

/// The state dir's files, byte for byte: what "no checkpoint moved" compares.
pub(crate) fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("checkpoints"))
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn server_gone_for_the_whole_run_fails_clearly_and_moves_no_checkpoint() {
    let env = Env::new("gone");
    let tree = generate(&env.dir.path().join("tree"), 3, 11, &[]);
    let extra = env.dir.path().join("tree/projects/-later/s.jsonl");
    let proxy = FaultProxy::start(&server().url);
    let url = proxy.url();
    let client = env.client();
    run_ok(ccsync_cmd(&env, &url, "m", &tree, &["--once"]));
    // New data arrives while the server is away.
    std::fs::create_dir_all(extra.parent().unwrap()).unwrap();
    std::fs::write(&extra, lines(&[line("late1", "2026-02-01T10:00:00.000Z")])).unwrap();
    let before = snapshot(&state_dir(&env, "m"));
    assert!(!before.is_empty());
    let mut figures = Figures::default();
    for (mode, expect) in [("down", "Connection refused"), ("refuse", "CLICKHOUSE_URL")] {
        proxy.cmd(&format!("mode {mode}"));
        let out = run(ccsync_cmd(
            &env,
            &url,
            "m",
            &tree,
            &["--once", "--retries", "1", "--timeout", "5"],
        ));
        figures.faults_injected += 1;
        assert!(!out.ok, "{}", out.stdout);
        assert!(
            out.stderr.contains("CLICKHOUSE_URL") && out.stderr.contains(expect),
            "server {mode}: an actionable message expected:\n{}",
            out.stderr
        );
        assert_eq!(
            snapshot(&state_dir(&env, "m")),
            before,
            "server {mode}: a checkpoint moved"
        );
    }
    // Back: the next run catches up exactly.
    proxy.cmd("mode pass");
    run_ok(ccsync_cmd(&env, &url, "m", &tree, &["--once"]));
    run_ok(ccsync_cmd(&env, &url, "clean", &tree, &["--once"]));
    let d = diff(
        &final_rows(&client, "clean").await,
        &final_rows(&client, "m").await,
    );
    assert_no_diff("after the server came back", &d);
    figures.add(&d);
    record("server_gone", &figures);
}

fn engine_client(url: &str, database: &str) -> clickhouse::Client {
    clickhouse::Client::default()
        .with_url(url)
        .with_user("default")
        .with_password("test-secret")
        .with_database(database)
}

#[tokio::test]
async fn server_killed_mid_insert_and_restarted_converges_exactly() {
    let env = Env::new("restart");
    let tree = generate(&env.dir.path().join("tree"), 6, 5, &[]);
    let data = env.dir.path().join("engine");
    let (mut engine, engine_url) = spawn_chdb_server_in(&data, &[]);
    let proxy = FaultProxy::start(&engine_url);
    let url = proxy.url();
    let mut figures = Figures::default();
    let sync = |machine: &str| {
        let mut cmd = ccsync_cmd(
            &env,
            &url,
            machine,
            &tree,
            &["--once", "--retries", "2", "--timeout", "10"],
        );
        cmd.env("CCSYNC_BATCH_ROWS", "40");
        cmd
    };
    run_ok(sync("clean"));
    for (round, rule) in [
        // The engine dies while the body of the 2nd batch is half sent...
        format!("hold_req {INSERT_USAGE} 2 3000"),
        // ...and, after a restart, once the 3rd batch is in but not yet acknowledged.
        format!("hold_resp {INSERT_USAGE} 3"),
    ]
    .iter()
    .enumerate()
    {
        proxy.cmd("reset");
        proxy.cmd(rule);
        let mut child = sync("m")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        assert!(proxy.wait_held(&mut child), "round {round}: never held");
        kill(&mut engine);
        figures.faults_injected += 1;
        proxy.cmd("release");
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "round {round}: the run must fail");
        // The insert in flight, or the lookup of the next batch's responses beside it (from
        // the second round on, when the machine has rows), is the request that fails first.
        let names_request = ["insert into usage_events", "look up stored responses"]
            .iter()
            .any(|what| stderr.contains(what));
        assert!(
            names_request && stderr.contains("CLICKHOUSE_URL"),
            "round {round}: a clear message expected:\n{stderr}"
        );
        // The same data dir, a new process (and port) behind the same URL.
        let (restarted, new_url) = spawn_chdb_server_in(&data, &[]);
        engine = restarted;
        proxy.cmd(&format!(
            "upstream {}",
            new_url.trim_start_matches("http://")
        ));
        let client = engine_client(&new_url, &env.database);
        figures.checkpoints_checked +=
            assert_checkpoints_covered(&client, "m", &state_dir(&env, "m")).await;
    }
    proxy.cmd("reset");
    run_ok(sync("m"));
    let client = engine_client(&format!("http://127.0.0.1:{}", proxy.port), &env.database);
    let d = diff(
        &final_rows(&client, "clean").await,
        &final_rows(&client, "m").await,
    );
    assert_no_diff("after the restarts", &d);
    figures.add(&d);
    kill(&mut engine);
    record("server_killed_and_restarted", &figures);
}

#[tokio::test]
async fn slow_server_is_retried_within_bounds_then_fails_clearly() {
    let env = Env::new("slow");
    let tree = generate(&env.dir.path().join("tree"), 3, 13, &[]);
    let proxy = FaultProxy::start(&server().url);
    let url = proxy.url();
    let client = env.client();
    let slow = ["--once", "--timeout", "1", "--retries", "2"];
    let mut figures = Figures::default();
    run_ok(env.command(&["schema", "apply"]));

    // Every answer 3 s late, past the 1 s timeout: 1 try + 2 retries, then a clear failure.
    proxy.cmd("delay * 3");
    let out = run(ccsync_cmd(&env, &url, "m", &tree, &slow));
    figures.faults_injected += 1;
    assert!(!out.ok);
    assert!(
        out.stderr.contains("timeout") && out.stderr.contains("CCSYNC_TIMEOUT"),
        "a clear message expected:\n{}",
        out.stderr
    );
    assert_eq!(out.stderr.matches("retrying").count(), 2, "{}", out.stderr);
    // A run without checkpoints also asks, once each and beside the schema check, whether the
    // machine has rows in usage_events and usage_rollup: not retried.
    assert_eq!(
        proxy.status()["requests"],
        3 + 2,
        "1 try + 2 retries of the schema read, and the two questions"
    );
    assert!(snapshot(&state_dir(&env, "m")).is_empty());

    // Only inserts slow: they do reach the server (3 times), the run still fails and
    // checkpoints nothing; the retried batches carry one token, so they are stored once.
    proxy.cmd("reset");
    proxy.cmd(&format!("delay {INSERT_USAGE} 3"));
    let out = run(ccsync_cmd(&env, &url, "m", &tree, &slow));
    figures.faults_injected += 1;
    assert!(!out.ok);
    assert!(
        out.stderr.contains("insert into usage_events"),
        "{}",
        out.stderr
    );
    assert_eq!(logged(&proxy.status(), INSERT_USAGE).len(), 3);
    assert!(snapshot(&state_dir(&env, "m")).is_empty());

    // Slow but within the timeout: fine, and exact.
    proxy.cmd("reset");
    proxy.cmd("delay * 0.3");
    run_ok(ccsync_cmd(
        &env,
        &url,
        "m",
        &tree,
        &["--once", "--timeout", "10", "--retries", "0"],
    ));
    proxy.cmd("reset");
    run_ok(ccsync_cmd(&env, &url, "clean", &tree, &["--once"]));
    let d = diff(
        &final_rows(&client, "clean").await,
        &final_rows(&client, "m").await,
    );
    assert_no_diff("after the slow runs", &d);
    figures.add(&d);
    let raw: u64 = client
        .query("SELECT count() FROM usage_events WHERE machine_name = 'm'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(
        raw, d.compared,
        "timed-out inserts that did land were deduplicated by their token"
    );
    record("slow_server", &figures);
}

// --- state lost or corrupt ---------------------------------------------------------------------

/// A damage done to a machine's state, by name.
pub(crate) type Damage<'a> = (&'static str, Box<dyn Fn() + 'a>);

/// The ways a state dir `dir` is lost or its checkpoint file (`state_file()`, whose intact bytes
/// are `good`) damaged: garbage, cut in half, emptied, replaced by `other_format` (another
/// release's format), the whole dir deleted.
pub(crate) fn state_damages<'a>(
    dir: &'a Path,
    state_file: &'a dyn Fn() -> PathBuf,
    good: &'a [u8],
    other_format: &'a [u8],
) -> [Damage<'a>; 5] {
    let write = move |bytes: &[u8]| std::fs::write(state_file(), bytes).unwrap();
    [
        (
            "garbage",
            Box::new(move || write(b"\x00\xffnot a checkpoint")),
        ),
        (
            "cut in half",
            Box::new(move || write(&good[..good.len() / 2])),
        ),
        ("empty", Box::new(move || write(b""))),
        ("another format", Box::new(move || write(other_format))),
        (
            "state dir deleted",
            Box::new(move || std::fs::remove_dir_all(dir).unwrap()),
        ),
    ]
}

#[tokio::test]
async fn lost_or_corrupt_state_means_a_full_rescan_with_exact_totals_and_a_warning() {
    let env = Env::new("state");
    let tree = generate(&env.dir.path().join("tree"), 4, 17, &[]);
    let client = env.client();
    let url = server().url.clone();
    let json = ["sync", "--once", "--json"];
    run_ok(ccsync_cmd(&env, &url, "clean", &tree, &["--once"]));
    let clean = final_rows(&client, "clean").await;
    run_ok(ccsync_cmd(&env, &url, "m", &tree, &["--once"]));
    let dir = state_dir(&env, "m");
    let state_file = || {
        std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().contains("checkpoints-"))
            .unwrap()
    };
    let good = std::fs::read(state_file()).unwrap();
    let other_format = br#"{"format":99,"target":"x","files":{}}"#;
    let damages = state_damages(&dir, &state_file, &good, other_format);
    let mut figures = Figures::default();
    for (what, damage) in &damages {
        let warning = match *what {
            "state dir deleted" => "no checkpoints",
            "another format" => "format 99",
            _ => "corrupt",
        };
        damage();
        figures.faults_injected += 1;
        let out = run_ok(ccsync_cmd(&env, &url, "m", &tree, &json));
        let report = json_report(&out);
        let warnings = report["warnings"].to_string();
        assert!(
            warnings.contains(warning) && warnings.contains("re-reading all transcripts"),
            "{what}: a warning expected, got {warnings}"
        );
        assert_eq!(
            report["stats"]["files_changed"], report["stats"]["files_scanned"],
            "{what}: a full rescan"
        );
        let d = diff(&clean, &final_rows(&client, "m").await);
        assert_no_diff(what, &d);
        figures.add(&d);
        // And the state is whole again: the next run reads nothing.
        let out = run_ok(ccsync_cmd(&env, &url, "m", &tree, &json));
        assert_eq!(json_report(&out)["stats"]["files_changed"], 0, "{what}");
    }
    record("state_lost_or_corrupt", &figures);
}

// --- transcripts change under us ---------------------------------------------------------------

const T1: &str = "2026-01-05T10:00:00.000Z";
const T2: &str = "2026-01-06T12:30:00.000Z";

fn msgs(prefix: &str, n: usize) -> Vec<u8> {
    let ls: Vec<Line> = (0..n)
        .map(|i| line(&format!("{prefix}{i}"), if i % 2 == 0 { T1 } else { T2 }))
        .collect();
    lines(&ls)
}

/// Message ids under FINAL for a machine, with how many rows each has.
async fn ids(client: &clickhouse::Client, machine: &str) -> BTreeMap<String, u64> {
    client
        .query(
            "SELECT message_id, count() FROM usage_events FINAL WHERE machine_name = {m:String} \
             GROUP BY message_id",
        )
        .param("m", machine)
        .fetch_all::<(String, u64)>()
        .await
        .unwrap()
        .into_iter()
        .collect()
}

/// Every expected id exactly once, nothing else.
fn assert_exactly(got: &BTreeMap<String, u64>, want: &[String]) -> Diff {
    let mut d = Diff {
        compared: want.len() as u64,
        ..Diff::default()
    };
    for id in want {
        match got.get(id) {
            None => {
                d.lost += 1;
                d.details.push(format!("lost {id}"));
            }
            Some(n) if *n > 1 => {
                d.duplicated += n - 1;
                d.details.push(format!("{id} {n} times"));
            }
            Some(_) => {}
        }
    }
    for id in got.keys().filter(|k| !want.contains(k)) {
        d.duplicated += 1;
        d.details.push(format!("unexpected {id}"));
    }
    d
}

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

#[tokio::test]
async fn lines_appended_during_a_sync_are_synced_once() {
    let env = Env::new("appendrun");
    let tree = generate(&env.dir.path().join("tree"), 4, 19, &[]);
    let proxy = FaultProxy::start(&server().url);
    let url = proxy.url();
    let client = env.client();
    let files: Vec<PathBuf> = files_under(&tree.join("projects"), Some("jsonl"));
    // Held at its first insert, the run has read (some of) the files; Claude Code writes on.
    proxy.cmd(&format!("hold_req {INSERT_USAGE} 1 1"));
    let mut cmd = ccsync_cmd(&env, &url, "m", &tree, &["--once"]);
    cmd.env("CCSYNC_BATCH_ROWS", "40");
    let mut child = cmd.stdout(Stdio::null()).spawn().unwrap();
    assert!(proxy.wait_held(&mut child));
    let partial = line("appended-partial", T2).json();
    let (head, rest) = partial.split_at(50);
    for (i, f) in files.iter().enumerate() {
        let mut more = line(&format!("appended-{i}"), T2).json();
        if i == 0 {
            more.push_str(head); // still being written
        }
        append(f, more.as_bytes());
    }
    proxy.cmd("release");
    assert!(child.wait().unwrap().success());
    append(&files[0], rest.as_bytes());
    proxy.cmd("reset");
    run_ok(ccsync_cmd(&env, &url, "m", &tree, &["--once"]));
    run_ok(ccsync_cmd(&env, &url, "clean", &tree, &["--once"]));
    let d = diff(
        &final_rows(&client, "clean").await,
        &final_rows(&client, "m").await,
    );
    assert_no_diff("appended during a sync", &d);
    let mut figures = Figures {
        faults_injected: files.len() as u64 + 1,
        ..Figures::default()
    };
    figures.add(&d);
    record("appended_during_a_sync", &figures);
}

pub(crate) fn append(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

#[tokio::test]
async fn truncated_replaced_and_deleted_transcripts_keep_history_without_duplicates() {
    let env = Env::new("mutate");
    let client = env.client();
    let url = server().url.clone();
    let tree = env.claude_dir();
    let sync = || {
        json_report(&run_ok(ccsync_cmd(
            &env,
            &url,
            "m",
            &tree,
            &["sync", "--once", "--json"],
        )))
    };
    let mut figures = Figures::default();
    let mut want: Vec<String> = Vec::new();
    let mut check = |got: BTreeMap<String, u64>, want: &[String], what: &str| {
        let d = assert_exactly(&got, want);
        assert_no_diff(what, &d);
        figures.add(&d);
        figures.faults_injected += 1;
    };

    // Truncated at a line boundary, then written on.
    let a = env.write("-p/a.jsonl", &msgs("a", 10));
    want.extend(names("a", 10));
    sync();
    let keep: usize = msgs("a", 4).len();
    std::fs::write(&a, &std::fs::read(&a).unwrap()[..keep]).unwrap();
    append(&a, &msgs("a2-", 2));
    want.extend(names("a2-", 2));
    let r = sync();
    assert!(r["warnings"].to_string().contains("truncated"), "{r}");
    check(
        ids(&client, "m").await,
        &want,
        "truncated at a line boundary",
    );

    // Truncated in the middle of a line: the broken tail waits, nothing is duplicated.
    let bytes = std::fs::read(&a).unwrap();
    std::fs::write(&a, &bytes[..bytes.len() - 40]).unwrap();
    let r = sync();
    assert!(r["warnings"].to_string().contains("truncated"), "{r}");
    check(ids(&client, "m").await, &want, "truncated mid-line");

    // Replaced (new inode) by a file with the same first 4 KiB and different lines after it.
    let head = user_line(T1, 6000);
    let mut b1 = head.clone().into_bytes();
    b1.extend(msgs("b", 3));
    let b = env.write("-p/b.jsonl", &b1);
    want.extend(names("b", 3));
    sync();
    let mut b2 = head.into_bytes();
    b2.extend(msgs("c", 6));
    let tmp = env.projects().join("-p/b.jsonl.tmp");
    std::fs::write(&tmp, &b2).unwrap();
    std::fs::rename(&tmp, &b).unwrap();
    want.extend(names("c", 6));
    let r = sync();
    assert!(r["warnings"].to_string().contains("replaced"), "{r}");
    check(ids(&client, "m").await, &want, "replaced, same head");

    // Replaced by an entirely different, shorter file.
    env.write("-p/b.jsonl", &msgs("d", 1));
    want.extend(names("d", 1));
    sync();
    check(ids(&client, "m").await, &want, "replaced, different");

    // Deleted by Claude Code's cleanup: history stays, the checkpoint goes, a warning says so.
    std::fs::remove_file(&b).unwrap();
    let r = sync();
    assert!(
        r["warnings"]
            .to_string()
            .contains("gone since the last run"),
        "{r}"
    );
    assert_eq!(r["status"], "ok");
    check(ids(&client, "m").await, &want, "deleted");
    assert!(
        checkpoints(&state_dir(&env, "m"))
            .iter()
            .all(|(p, _)| !p.ends_with("b.jsonl"))
    );
    record("truncated_replaced_deleted", &figures);
}

/// ccsync as a process that file permissions apply to. Tests run as root in CI, where mode 000
/// stops nobody: there the binary runs under setpriv(1) without CAP_DAC_OVERRIDE and
/// CAP_DAC_READ_SEARCH, so root obeys permission bits like any user.
pub(crate) fn without_dac_override(cmd: Command) -> Command {
    if unsafe { libc::geteuid() } != 0 {
        return cmd;
    }
    let mut wrapped = Command::new("setpriv");
    wrapped
        .args(["--bounding-set", "-dac_override,-dac_read_search", "--"])
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .env_clear()
        .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))));
    if let Some(dir) = cmd.get_current_dir() {
        wrapped.current_dir(dir);
    }
    wrapped
}

#[tokio::test]
async fn unreadable_transcripts_are_reported_and_the_rest_is_synced() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new("unreadable");
    let client = env.client();
    let url = server().url.clone();
    let tree = env.claude_dir();
    env.write("-p/a.jsonl", &msgs("a", 3));
    let b = env.write("-p/b.jsonl", &msgs("b", 2));
    let c = env.write("-q/c.jsonl", &msgs("c", 2));
    let mode =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    mode(&b, 0o000);
    mode(c.parent().unwrap(), 0o000);
    // The precondition, checked rather than assumed: the file is unreadable for the child.
    let mut probe = Command::new("cat");
    probe.arg(&b);
    let probe = without_dac_override(probe).output().unwrap();
    assert!(
        !probe.status.success(),
        "b.jsonl must be unreadable for the test to mean anything"
    );

    let out = without_dac_override(ccsync_cmd(
        &env,
        &url,
        "m",
        &tree,
        &["sync", "--once", "--json"],
    ))
    .output()
    .unwrap();
    // A partial run has its own exit code (the README's table), not 0.
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let out = Out {
        ok: false,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    let r = json_report(&out);
    assert_eq!(r["status"], "partial", "{r}");
    let status = run(ccsync_cmd(&env, &url, "m", &tree, &["status"]));
    assert!(
        status.stdout.contains("⚠ last run partial") && status.stdout.contains("was partial"),
        "status must flag the partial run:\n{}",
        status.stdout
    );
    let warnings = r["warnings"].to_string();
    assert!(
        warnings.contains("b.jsonl") && warnings.contains("Permission denied"),
        "{warnings}"
    );
    assert!(
        warnings.contains("cannot list") && warnings.contains("-q"),
        "{warnings}"
    );
    let mut figures = Figures {
        faults_injected: 2,
        ..Figures::default()
    };
    let d = assert_exactly(&ids(&client, "m").await, &names("a", 3));
    assert_no_diff("the readable rest", &d);
    // Quiet is errors only: a partial run still names what it could not read.
    let quiet = without_dac_override(ccsync_cmd(&env, &url, "m", &tree, &["--once", "-q"]))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&quiet.stderr);
    assert_eq!(quiet.status.code(), Some(4), "{said}");
    assert!(quiet.stdout.is_empty());
    assert!(
        said.contains("b.jsonl") && said.contains("partial"),
        "{said}"
    );
    // doctor fails its transcripts check, naming them.
    let doctor = without_dac_override(ccsync_cmd(&env, &url, "m", &tree, &["doctor"]))
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&doctor.stdout);
    assert_eq!(doctor.status.code(), Some(1), "{report}");
    assert!(report.contains("✗ transcripts found"), "{report}");
    assert!(
        report.contains("b.jsonl") && report.contains("-q"),
        "{report}"
    );

    // Readable again: the next run catches up, exactly.
    mode(&b, 0o644);
    mode(c.parent().unwrap(), 0o755);
    let r = json_report(&run_ok(ccsync_cmd(
        &env,
        &url,
        "m",
        &tree,
        &["sync", "--once", "--json"],
    )));
    assert_eq!(r["status"], "ok");
    let want: Vec<String> = [names("a", 3), names("b", 2), names("c", 2)].concat();
    let d = assert_exactly(&ids(&client, "m").await, &want);
    assert_no_diff("after permissions are fixed", &d);
    figures.add(&d);
    record("unreadable", &figures);
}

// --- hostile and broken input ------------------------------------------------------------------

#[tokio::test]
async fn ten_thousand_malformed_lines_are_counted_by_reason_and_every_valid_row_kept() {
    let env = Env::new("malformed10k");
    let valid_line =
        |i: usize| line(&format!("v{i}"), if i.is_multiple_of(2) { T1 } else { T2 }).json();
    // Five reasons, 2,000 lines each, between 2,500 valid responses.
    let bad = |i: usize| -> Vec<u8> {
        let good = line(&format!("bad{i}"), T1).json();
        match i % 5 {
            0 => good.as_bytes()[..good.len() / 2].to_vec(), // cut short: invalid_json
            1 => {
                // A byte that is never UTF-8, inside the text.
                let mut v = good.into_bytes();
                let at = v.windows(7).position(|w| w == b"private").unwrap();
                v[at] = 0xff;
                v
            }
            2 => good
                .replacen("\"input_tokens\":10", "\"input_tokens\":-10", 1)
                .into_bytes(),
            3 => good
                .replacen(&format!("\"timestamp\":\"{T1}\","), "", 1)
                .into_bytes(),
            _ => good.replacen(T1, "yesterday", 1).into_bytes(),
        }
        .into_iter()
        .chain(if i.is_multiple_of(5) {
            b"\n".to_vec()
        } else {
            Vec::new()
        })
        .collect()
    };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let (mut valid, mut broken) = (0, 0);
    for i in 0..12_500 {
        let out = if i % 2 == 0 { &mut a } else { &mut b };
        if i % 5 == 4 {
            out.extend(valid_line(valid).as_bytes());
            valid += 1;
        } else {
            out.extend(bad(broken));
            broken += 1;
        }
    }
    assert_eq!((valid, broken), (2_500, 10_000));
    env.write("-p/a.jsonl", &a);
    env.write("-p/b.jsonl", &b);
    let out = run_ok(env.command(&["sync", "--once", "--json"]));
    let r = json_report(&out);
    assert_eq!(r["rows_inserted"], 2_500, "{}", r["stats"]);
    assert_eq!(r["stats"]["lines_skipped"], 10_000);
    for reason in [
        "invalid_json",
        "invalid_utf8",
        "invalid_fields",
        "missing_timestamp",
        "invalid_timestamp",
    ] {
        assert_eq!(
            r["stats"]["skipped_by_reason"][reason], 2_000,
            "{reason}: {}",
            r["stats"]
        );
    }
    let d = assert_exactly(&ids(&env.client(), &env.machine).await, &names("v", 2_500));
    assert_no_diff("valid rows among malformed ones", &d);
    let totals = day_totals(&env, &env.machine).await;
    assert_eq!(totals.iter().map(|t| t.input).sum::<u64>(), 25_000);
    assert_eq!(totals.iter().map(|t| t.output).sum::<u64>(), 250_000);
    let mut figures = Figures {
        faults_injected: 10_000,
        ..Figures::default()
    };
    figures.add(&d);
    record("malformed_lines", &figures);
}

/// Runs `cmd` and returns whether it succeeded and its peak resident set size in bytes. It is
/// started from a small Python process that waits for it (`RUSAGE_CHILDREN`): Linux counts the
/// resident pages of the process a program is forked and exec'd from in its peak RSS, and this
/// test binary, with other tests running in it, can hold far more than ccsync ever does.
pub(crate) fn run_measuring_rss(cmd: Command, stdout: &Path) -> (bool, u64) {
    const WAIT: &str = "import resource, subprocess, sys\n\
        code = subprocess.run(sys.argv[2:]).returncode\n\
        open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n\
        sys.exit(code)";
    let peak_file = stdout.with_extension("maxrss");
    let mut wrapped = Command::new(crate::common::python());
    wrapped
        .args(["-c", WAIT])
        .arg(&peak_file)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .env_clear()
        .stdout(std::fs::File::create(stdout).unwrap())
        .stderr(Stdio::inherit());
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            wrapped.env(key, value);
        }
    }
    if let Some(dir) = cmd.get_current_dir() {
        wrapped.current_dir(dir);
    }
    let status = wrapped.status().unwrap();
    // ru_maxrss is in KiB on Linux.
    let kib: u64 = std::fs::read_to_string(&peak_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (status.success(), kib * 1024)
}

#[tokio::test]
async fn a_200_mb_line_is_read_in_bounded_memory_and_its_usage_kept() {
    let env = Env::new("hugeline");
    let path = env.write("-p/huge.jsonl", &lines(&[line("before", T1)]));
    {
        use std::io::Write;
        // One response whose content is 200 MB (a Write tool call with a huge file), streamed to
        // disk; then a 12 MB line that is all structure, which no skeleton can shrink.
        let mut w = std::io::BufWriter::new(
            std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap(),
        );
        let mut huge = line("huge", T2);
        huge.text = "\u{0}".into();
        let json = huge.json();
        let (head, tail) = json.split_once("\\u0000").unwrap();
        w.write_all(head.as_bytes()).unwrap();
        let chunk = "0123456789abcdef\\\"quoted\\\" ".repeat(4096);
        let mut written = 0;
        while written < 200 << 20 {
            w.write_all(chunk.as_bytes()).unwrap();
            written += chunk.len();
        }
        w.write_all(tail.as_bytes()).unwrap();
        let mut wide = line("wide", T2);
        wide.text = "\u{0}".into();
        let json = wide.json();
        let (head, tail) = json.split_once("\"\\u0000\"").unwrap();
        w.write_all(head.as_bytes()).unwrap();
        w.write_all(b"[").unwrap();
        w.write_all(&b"1,".repeat(6 << 20)).unwrap();
        w.write_all(b"1]").unwrap();
        w.write_all(tail.as_bytes()).unwrap();
        w.write_all(line("after", T2).json().as_bytes()).unwrap();
    }
    assert!(std::fs::metadata(&path).unwrap().len() > 210 << 20);
    let report = env.dir.path().join("report.json");
    let (ok, peak) = run_measuring_rss(env.command(&["sync", "--once", "--json"]), &report);
    assert!(ok);
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        r["stats"]["skipped_by_reason"]["too_large"], 1,
        "{}",
        r["stats"]
    );
    let want = ["after", "before", "huge"].map(String::from);
    let d = assert_exactly(&ids(&env.client(), &env.machine).await, &want);
    assert_no_diff("around a 200 MB line", &d);
    // A memory bound, not a timing one: 8 MiB line buffer + 8 MiB skeleton + the binary.
    assert!(
        peak < 100 << 20,
        "peak RSS {} MiB for a 200 MB line",
        peak >> 20
    );
    let mut figures = Figures {
        faults_injected: 2,
        ..Figures::default()
    };
    figures.add(&d);
    figures
        .notes
        .push(format!("peak RSS {} MiB reading a 200 MB line", peak >> 20));
    record("huge_line", &figures);
}

/// Per-day (date, input, output, cache creation, cache read) from ccusage.
fn ccusage_days(tree: &Path) -> Vec<(String, u64, u64, u64, u64)> {
    crate::parity::ccusage_daily(&[tree], "auto")
        .into_iter()
        .map(|d| (d.date, d.input, d.output, d.cache_creation, d.cache_read))
        .collect()
}

/// The same from ClickHouse under FINAL, with ccusage's saturating sums and the day from the
/// stored timestamp's text (Date cannot hold year 1 or 9999).
async fn stored_days(
    client: &clickhouse::Client,
    machine: &str,
) -> Vec<(String, u64, u64, u64, u64)> {
    client
        .query(
            "SELECT substring(toString(timestamp), 1, 10) AS day, \
             toUInt64(least(sum(toUInt128(input_tokens)), 18446744073709551615)), \
             toUInt64(least(sum(toUInt128(output_tokens)), 18446744073709551615)), \
             toUInt64(least(sum(toUInt128(cache_creation_input_tokens)), 18446744073709551615)), \
             toUInt64(least(sum(toUInt128(cache_read_input_tokens)), 18446744073709551615)) \
             FROM usage_events FINAL WHERE machine_name = {m:String} GROUP BY day ORDER BY day",
        )
        .param("m", machine)
        .fetch_all()
        .await
        .unwrap()
}

#[tokio::test]
async fn hostile_lines_give_the_same_totals_as_ccusage() {
    let env = Env::new("hostile");
    let base = |mid: &str, ts: &str, usage_extra: &str, extra: &str, content: &str| {
        format!(
            "{{\"type\":\"assistant\",\"timestamp\":\"{ts}\",\"sessionId\":\"s1\",\"version\":\"2.1.20\",\"requestId\":\"r{mid}\"{extra},\"message\":{{\"id\":\"{mid}\",\"model\":\"claude-sonnet-4-6\",\"content\":{content},\"usage\":{{\"input_tokens\":100,\"output_tokens\":10{usage_extra}}}}}}}\n"
        )
    };
    let l = |mid: &str, usage_extra: &str, extra: &str| base(mid, T1, usage_extra, extra, "\"hi\"");
    let adv = r#"{"type":"advisor_message","model":"claude-opus-4-6","input_tokens":1000,"output_tokens":10}"#;
    let cases: Vec<String> = vec![
        // Deeply nested content: counted.
        base(
            "nest200",
            T1,
            "",
            "",
            &format!("{}{}", "[".repeat(200), "]".repeat(200)),
        ),
        base(
            "nest100k",
            T1,
            "",
            "",
            &format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        ),
        base(
            "nestobj",
            T1,
            "",
            "",
            &format!("{}1{}", "{\"a\":".repeat(300), "}".repeat(300)),
        ),
        // Numbers out of range and negative: in token fields the line is skipped, in fields
        // ccusage does not read it is not.
        l(
            "tok_over",
            ",\"cache_read_input_tokens\":18446744073709551616",
            "",
        ),
        l("tok_neg", ",\"cache_read_input_tokens\":-5", ""),
        l("tok_float", ",\"cache_read_input_tokens\":1.5", ""),
        l(
            "tok_max",
            ",\"cache_read_input_tokens\":18446744073709551615",
            "",
        ),
        l(
            "cache_neg",
            ",\"cache_creation\":{\"ephemeral_5m_input_tokens\":-1}",
            "",
        ),
        l(
            "search_over",
            ",\"server_tool_use\":{\"web_search_requests\":4294967296}",
            "",
        ),
        l(
            "search_neg",
            ",\"server_tool_use\":{\"web_search_requests\":-1}",
            "",
        ),
        l("tool_use_num", ",\"server_tool_use\":5", ""),
        l("tier_num", ",\"service_tier\":5", ""),
        l("cost_inf", "", ",\"costUSD\":1e400"),
        l("cost_huge", "", ",\"costUSD\":1e300"),
        l("cwd_num", "", ",\"cwd\":5"),
        l("branch_obj", "", ",\"gitBranch\":{\"x\":[1]}"),
        l("agent_num", "", ",\"agentId\":7"),
        l("data_num", "", ",\"data\":5"),
        l("data_bad", "", ",\"data\":{\"message\":{\"timestamp\":5}}"),
        // Advisor iterations: one bad item drops the advisors, never the line.
        l("adv_ok", &format!(",\"iterations\":[{adv}]"), ""),
        l(
            "adv_bad",
            &format!(
                ",\"iterations\":[{adv},{{\"type\":\"advisor_message\",\"model\":\"claude-opus-4-6\",\"input_tokens\":-5,\"output_tokens\":1}}]"
            ),
            "",
        ),
        l("adv_obj", ",\"iterations\":{\"x\":1}", ""),
        l(
            "adv_null_model",
            &format!(
                ",\"iterations\":[{adv},{{\"type\":\"advisor_message\",\"model\":null,\"input_tokens\":1,\"output_tokens\":1}}]"
            ),
            "",
        ),
        // Timestamps far in the future or before 2023: counted on their day.
        base("ts_year1", "0001-01-01T00:00:00.000Z", "", "", "1"),
        base("ts_1970", "1970-01-01T00:00:00.000Z", "", "", "1"),
        base("ts_2022", "2022-12-31T23:59:59.999Z", "", "", "1"),
        base("ts_2300", "2300-01-01T00:00:00.000Z", "", "", "1"),
        base("ts_9999", "9999-12-31T23:59:59.999Z", "", "", "1"),
        // Unknown models: tokens counted, cost 0.
        base("unknown", T2, "", "", "1").replace("claude-sonnet-4-6", "claude-opus-9-9-preview"),
        base("unknown2", T2, "", "", "1").replace("claude-sonnet-4-6", "gpt-unknown"),
        // Invalid UTF-8 inside a usage line: skipped, like ccusage.
        String::from_utf8_lossy(&l("utf8", "", "").into_bytes()).replace("\"hi\"", "\"h\u{fffd}\""),
    ];
    let mut tree = String::new();
    for c in &cases {
        tree.push_str(c);
    }
    let mut bytes = tree.into_bytes();
    // Raw invalid UTF-8 (the replacement above is valid UTF-8).
    bytes.extend(
        l("utf8raw", "", "")
            .replace("\"hi\"", "\"h\u{1}\"")
            .into_bytes()
            .into_iter()
            .map(|b| if b == 1 { 0xfe } else { b }),
    );
    env.write("-p/hostile.jsonl", &bytes);
    // Duplicate ids with conflicting usage, within a file and across files: the larger wins.
    let dup = |out: u64| line("dup", T2).tokens(5, out, 0, 0, 0);
    env.write("-p/dup-a.jsonl", &lines(&[dup(50), dup(400), dup(7)]));
    env.write("-p/dup-b.jsonl", &lines(&[dup(900), dup(1)]));

    let out = run_ok(env.command(&["sync", "--once", "--json"]));
    let r = json_report(&out);
    let warnings = r["warnings"].to_string();
    assert!(
        warnings.contains("5 response(s) dated before 2023 or in the future"),
        "{warnings}"
    );
    let unknown = r["stats"]["unknown_models"].to_string();
    assert!(
        unknown.contains("claude-opus-9-9-preview") && unknown.contains("gpt-unknown"),
        "{unknown}"
    );
    let client = env.client();
    let ours = stored_days(&client, &env.machine).await;
    let theirs = ccusage_days(&env.claude_dir());
    assert_eq!(ours, theirs, "ClickHouse vs ccusage, per day");
    let dup_out: u64 = client
        .query("SELECT output_tokens FROM usage_events FINAL WHERE message_id = 'dup'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(dup_out, 900);
    let unpriced: f64 = client
        .query("SELECT sum(cost_usd) FROM usage_events FINAL WHERE unknown_model")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(unpriced, 0.0);
    let rows: u64 = ours.len() as u64;
    let mut figures = Figures {
        faults_injected: cases.len() as u64 + 1 + 5,
        rows_compared: count_final(&env).await,
        ..Figures::default()
    };
    figures
        .notes
        .push(format!("{rows} days compared with ccusage"));
    record("hostile_lines", &figures);
}

#[tokio::test]
async fn conflicting_duplicates_across_runs_converge_to_ccusages_pick() {
    let env = Env::new("dupruns");
    let client = env.client();
    let dup = |out: u64| line("dup", T1).tokens(5, out, 0, 0, 0);
    let side = |out: u64| line("side", T1).tokens(5, out, 0, 0, 0);
    // Run by run, copies with other usage turn up in new files, bigger and smaller.
    let steps: [(&str, Vec<Line>); 4] = [
        ("-p/1.jsonl", vec![dup(300), side(900).sidechain()]),
        ("-p/2.jsonl", vec![dup(50)]),
        ("-p/3.jsonl", vec![dup(700), side(100)]),
        ("-p/4.jsonl", vec![dup(10), side(5000).sidechain()]),
    ];
    let mut figures = Figures::default();
    for (file, ls) in steps {
        env.write(file, &lines(&ls));
        run_ok(env.command(&["--once"]));
        figures.faults_injected += 1;
        let ours = stored_days(&client, &env.machine).await;
        assert_eq!(ours, ccusage_days(&env.claude_dir()), "after {file}");
    }
    let rows: Vec<(String, u64)> = client
        .query("SELECT message_id, output_tokens FROM usage_events FINAL ORDER BY message_id")
        .fetch_all()
        .await
        .unwrap();
    // The biggest copy; the non-sidechain one even though smaller.
    assert_eq!(rows, vec![("dup".into(), 700), ("side".into(), 100)]);
    figures.rows_compared = 2;
    record("conflicting_duplicates", &figures);
}

// --- concurrency -------------------------------------------------------------------------------

#[tokio::test]
async fn two_agents_on_one_state_dir_one_syncs_the_other_exits_cleanly() {
    let env = Env::new("twoagents");
    let tree = generate(&env.dir.path().join("tree"), 3, 23, &[]);
    let proxy = FaultProxy::start(&server().url);
    let url = proxy.url();
    // The first agent is held mid-sync, so the second surely starts while it runs.
    proxy.cmd(&format!("hold_req {INSERT_USAGE} 1 1"));
    let mut first = ccsync_cmd(&env, &url, "m", &tree, &["--once"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    assert!(proxy.wait_held(&mut first));
    let second = run(ccsync_cmd(&env, &url, "m", &tree, &["--once"]));
    assert!(
        second.ok,
        "the second agent exits cleanly: {}",
        second.stderr
    );
    assert!(
        second.stderr.contains("already syncing"),
        "{}",
        second.stderr
    );
    assert!(
        second.stdout.is_empty(),
        "it synced nothing: {}",
        second.stdout
    );
    // One that waits starts after the first, and finds nothing left to do.
    let waiter = ccsync_cmd(
        &env,
        &url,
        "m",
        &tree,
        &["sync", "--once", "--wait", "--json"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    proxy.cmd("release");
    assert!(first.wait().unwrap().success());
    let waited = waiter.wait_with_output().unwrap();
    assert!(waited.status.success());
    let r: serde_json::Value = serde_json::from_slice(&waited.stdout).unwrap();
    assert_eq!(r["rows_inserted"], 0, "{r}");
    proxy.cmd("reset");
    run_ok(ccsync_cmd(&env, &url, "clean", &tree, &["--once"]));
    let client = env.client();
    let d = diff(
        &final_rows(&client, "clean").await,
        &final_rows(&client, "m").await,
    );
    assert_no_diff("two agents", &d);
    let mut figures = Figures {
        faults_injected: 2,
        ..Figures::default()
    };
    figures.add(&d);
    record("two_agents_one_state_dir", &figures);
}

#[tokio::test]
async fn machines_inserting_concurrently_into_one_database_keep_exact_totals() {
    let env = Env::new("concurrent");
    let url = server().url.clone();
    let client = env.client();
    let machines = ["alpha", "beta", "gamma"];
    let trees: Vec<PathBuf> = machines
        .iter()
        .enumerate()
        .map(|(i, m)| {
            generate(
                &env.dir.path().join(format!("tree-{m}")),
                4,
                40 + i as u64,
                &[],
            )
        })
        .collect();
    run_ok(env.command(&["schema", "apply"]));
    // All at once, in small batches so their inserts interleave.
    let children: Vec<Child> = machines
        .iter()
        .zip(&trees)
        .map(|(m, tree)| {
            let mut cmd = ccsync_cmd(&env, &url, m, tree, &["--once"]);
            cmd.env("CCSYNC_BATCH_ROWS", "30")
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let mut figures = Figures {
        faults_injected: machines.len() as u64,
        ..Figures::default()
    };
    for (m, tree) in machines.iter().zip(&trees) {
        let clean = format!("clean-{m}");
        run_ok(ccsync_cmd(&env, &url, &clean, tree, &["--once"]));
        let d = diff(
            &final_rows(&client, &clean).await,
            &final_rows(&client, m).await,
        );
        assert_no_diff(m, &d);
        figures.add(&d);
    }
    record("concurrent_machines", &figures);
}
