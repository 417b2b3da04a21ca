//! The fault suite for Codex CLI's rollouts (issue 17): the faults of `faults.rs`, met by a
//! Codex sync. Whatever happens mid-sync, nothing is lost and nothing doubled.
//!
//! Every test runs the real binary against the real engine, with `CODEX_HOME` a tree of
//! rollouts (generated ones beside the real logs of tests/data/codex/real) and no Claude Code
//! folder. The oracle, after the faults and a last normal run: the machine's Codex rows under
//! FINAL equal those of one clean run of the same tree (row by row, every column that decides a
//! total), and `ccsync report daily --agent codex --json` for the machine prints what
//! `ccusage codex daily --json --offline -z UTC` prints on the tree. Where files lose lines (a
//! truncation, a replacement), what was synced stays, as for Claude Code: the oracle's tree then
//! holds the lost content beside the files, under other names. Figures go to
//! `target/fault-report.json` with those of `faults.rs`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ccsync::generate::Rng;

use crate::common::*;
use crate::convergence_codex::{stamp, usage};
use crate::faults::{
    Diff, Figures, INSERT_USAGE, KillPoint, Out, append, assert_no_diff, json_report, kill_at,
    logged, record, run, run_measuring_rss, run_ok, state_damages, state_dir,
};

// --- rollouts ----------------------------------------------------------------------------------

const MODELS: [&str; 4] = ["gpt-5-codex", "gpt-5.3-codex", "gpt-5", "gpt-5.4"];

/// One Codex session as it writes it: its lines so far and the state to write more.
struct Session {
    rel: String,
    id: String,
    model: &'static str,
    /// The cumulative total after the last request.
    total: [u64; 5],
    last_ms: i64,
    rng: Rng,
}

impl Session {
    /// A session `n` of `seed`, started at `start_ms`.
    fn new(n: u64, seed: u64, start_ms: i64) -> Self {
        let id = format!("0190{n:04x}-{seed:04x}-7000-8000-{:012x}", n * 7919 + seed);
        let civil = jiff::tz::TimeZone::UTC
            .to_datetime(jiff::Timestamp::from_millisecond(start_ms).unwrap());
        Session {
            rel: format!(
                "sessions/{}/rollout-{}-{id}.jsonl",
                civil.strftime("%Y/%m/%d"),
                civil.strftime("%Y-%m-%dT%H-%M-%S")
            ),
            model: MODELS[((n + seed) % MODELS.len() as u64) as usize],
            id,
            total: [0; 5],
            last_ms: start_ms,
            rng: Rng(seed.wrapping_mul(0x9E37_79B9) ^ n),
        }
    }

    /// Its first lines: `session_meta` and the `turn_context` that names the model.
    fn head(&self) -> String {
        format!(
            "{}\n{}\n",
            format_args!(
                r#"{{"timestamp":"{}","type":"session_meta","payload":{{"id":"{}","cwd":"/work/p{}","cli_version":"0.104.0","git":{{"branch":"main"}}}}}}"#,
                stamp(self.last_ms),
                self.id,
                self.id.len() % 3
            ),
            format_args!(
                r#"{{"timestamp":"{}","type":"turn_context","payload":{{"model":"{}"}}}}"#,
                stamp(self.last_ms),
                self.model
            )
        )
    }

    /// The next request: a message line, its `token_count` (written twice now and then, as
    /// Codex does), and `pad` bytes of padding inside the `token_count` line.
    fn request(&mut self, pad: usize) -> String {
        self.last_ms += 1000 + self.rng.below(600_000) as i64;
        let input = 500 + self.rng.below(40_000);
        let cached = self.rng.below(input);
        let output = 20 + self.rng.below(3_000);
        let last = [input, cached, output, output / 3, input + output];
        for (t, l) in self.total.iter_mut().zip(last) {
            *t += l;
        }
        let at = stamp(self.last_ms);
        let message = format!(
            r#"{{"timestamp":"{at}","type":"response_item","payload":{{"type":"message","role":"assistant","content":[{{"type":"output_text","text":"private words never stored {}"}}]}}}}"#,
            self.rng.below(1 << 30)
        );
        let count = format!(
            r#"{{"timestamp":"{at}","type":"event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{},"last_token_usage":{},"model_context_window":258400}},"rate_limits":{{"note":"{}"}}}}}}"#,
            usage(&self.total),
            usage(&last),
            "x".repeat(pad)
        );
        let doubled = self.rng.below(7) == 0;
        let mut out = format!("{message}\n{count}\n");
        if doubled {
            out += &format!("{count}\n");
        }
        out
    }

    /// The next request, its `token_count` written once (a line to cut: a copy of it would
    /// count).
    fn single(&mut self, pad: usize) -> String {
        let r = self.request(pad);
        let end = first_lines(r.as_bytes(), 2);
        r[..end].to_owned()
    }

    fn requests(&mut self, n: usize) -> String {
        (0..n).map(|_| self.request(0)).collect()
    }
}

/// Writes `sessions` generated sessions of `requests` requests each under `home` (sessions
/// start hours apart, over several days), and the real rollouts if `real`; their files' times
/// an hour back (settled rollouts, as most are). Returns the sessions, to write on.
fn write_home(home: &Path, sessions: u64, requests: usize, seed: u64, real: bool) -> Vec<Session> {
    let t0 = "2026-01-05T08:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    let out: Vec<Session> = (0..sessions)
        .map(|n| {
            let mut s = Session::new(n, seed, t0 + n as i64 * 7 * 3_600_000 + seed as i64);
            let text = s.head() + &s.requests(requests);
            write(&home.join(&s.rel), text.as_bytes());
            s
        })
        .collect();
    if real {
        crate::migration::copy_tree(&repo().join("tests/data/codex/real"), home);
    }
    settle(home);
    out
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Every file's modification time an hour back, as if last written then.
fn settle(home: &Path) {
    let past = std::time::SystemTime::now() - Duration::from_secs(3600);
    for file in files_under(home, None) {
        let f = std::fs::File::options().write(true).open(&file).unwrap();
        f.set_modified(past).unwrap();
    }
}

/// Replaces `path` by `bytes` the way an editor or a restore does: a new file renamed over it.
fn replace(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

// --- running ccsync ----------------------------------------------------------------------------

/// ccsync with `env`'s credentials and database, this URL, machine and Codex home (no Claude
/// Code folder); the state dir is per machine.
fn codex_cmd(env: &Env, url: &str, machine: &str, home: &Path, args: &[&str]) -> Command {
    let mut cmd = env.command(args);
    cmd.env("CLICKHOUSE_URL", url)
        .env("MACHINE_NAME", machine)
        .env("CODEX_HOME", home)
        .env("CCSYNC_STATE_DIR", state_dir(env, machine));
    cmd
}

/// A `sync --once --json` that succeeded: its report's Codex part.
fn sync_json(env: &Env, url: &str, machine: &str, home: &Path) -> serde_json::Value {
    let out = run_ok(codex_cmd(
        env,
        url,
        machine,
        home,
        &["sync", "--once", "--json"],
    ));
    let r = json_report(&out);
    assert_eq!(r["codex"]["status"], "ok", "{r}");
    r["codex"].clone()
}

/// The Codex checkpoint files of a state dir, byte for byte.
fn codex_state(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    (std::fs::read_dir(dir).into_iter().flatten().flatten())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("codex-checkpoints") && name.ends_with(".bin")
        })
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

// --- the oracle --------------------------------------------------------------------------------

/// A Codex row under FINAL, everything that decides totals (not where or when it was read).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, clickhouse::Row, serde::Deserialize)]
struct CodexFinal {
    message_id: String,
    timestamp: i64,
    model: String,
    input: u64,
    output: u64,
    cache_creation: u64,
    cache_read: u64,
    reasoning: u64,
    cost: String,
    speed: String,
}

async fn codex_rows(client: &clickhouse::Client, machine: &str) -> Vec<CodexFinal> {
    client
        .query(
            "SELECT message_id, toUnixTimestamp64Milli(timestamp) AS timestamp, \
             toString(model) AS model, input_tokens AS input, output_tokens AS output, \
             cache_creation_input_tokens AS cache_creation, cache_read_input_tokens AS cache_read, \
             reasoning_output_tokens AS reasoning, toString(cost_usd) AS cost, \
             toString(speed) AS speed \
             FROM usage_events FINAL \
             WHERE machine_name = {m:String} AND source = 'codex' AND NOT is_deleted \
             ORDER BY message_id, timestamp",
        )
        .param("m", machine)
        .fetch_all()
        .await
        .unwrap()
}

/// Rows of `got` against the clean run's: missing or different rows are lost, a key twice or a
/// key the clean run does not have is duplicated.
fn codex_diff(clean: &[CodexFinal], got: &[CodexFinal]) -> Diff {
    let clean_by_key: BTreeMap<&str, &CodexFinal> =
        clean.iter().map(|r| (r.message_id.as_str(), r)).collect();
    assert_eq!(
        clean_by_key.len(),
        clean.len(),
        "the clean run has a key twice"
    );
    let mut got_by_key: BTreeMap<&str, Vec<&CodexFinal>> = BTreeMap::new();
    for r in got {
        got_by_key.entry(&r.message_id).or_default().push(r);
    }
    let mut d = Diff {
        compared: clean.len() as u64,
        ..Diff::default()
    };
    for (k, want) in &clean_by_key {
        match got_by_key.get(k).map(Vec::as_slice) {
            None => {
                d.lost += 1;
                d.details.push(format!("lost {want:?}"));
            }
            Some(rows) if rows.contains(want) => {}
            Some(rows) => {
                d.lost += 1;
                d.details
                    .push(format!("differs {k}: want {want:?}, got {rows:?}"));
            }
        }
    }
    for (k, rows) in &got_by_key {
        let extra = rows.len() - usize::from(clean_by_key.contains_key(k));
        if extra > 0 {
            d.duplicated += extra as u64;
            d.details.push(format!("duplicated or unexpected {rows:?}"));
        }
    }
    d.details.truncate(20);
    d
}

/// `ccusage codex daily --json --offline -z UTC` on `home`.
fn ccusage_daily(home: &Path) -> String {
    crate::parity_codex::ccusage_json(&[home.to_path_buf()], &["-z", "UTC"])
}

/// `ccsync report daily --agent codex --json -z UTC` of `machine`'s rows in the database.
fn report_daily(env: &Env, machine: &str) -> String {
    let args = [
        "report",
        "daily",
        "--agent",
        "codex",
        "--json",
        "-z",
        "UTC",
        "--machine",
        machine,
    ];
    stdout_of(
        env.command(&args).output().unwrap(),
        "report daily --agent codex",
    )
}

/// What the database does not store (the crafted and real trees' fallback models show false).
const NOT_STORED: [&str; 1] = ["isFallback"];

/// The oracle: `machine`'s Codex rows are `clean`'s, row by row, and its daily report is
/// ccusage's (`ccusage`: its JSON on the tree). Returns the row comparison.
async fn assert_converged(
    env: &Env,
    machine: &str,
    clean: &[CodexFinal],
    ccusage: &str,
    what: &str,
) -> Diff {
    let d = codex_diff(clean, &codex_rows(&env.client(), machine).await);
    assert_no_diff(what, &d);
    crate::report_codex::assert_same_but(
        &report_daily(env, machine),
        ccusage,
        &NOT_STORED,
        &format!("{what}: report daily --agent codex vs ccusage codex daily"),
    );
    d
}

/// One clean run of `home` as `machine` (its own state dir, nothing there before): its rows.
async fn clean_run(env: &Env, machine: &str, home: &Path) -> Vec<CodexFinal> {
    assert!(codex_state(&state_dir(env, machine)).is_empty());
    let url = server().url.clone();
    run_ok(codex_cmd(env, &url, machine, home, &["--once"]));
    let rows = codex_rows(&env.client(), machine).await;
    assert!(!rows.is_empty(), "the clean run stored nothing");
    rows
}

// --- killed mid-sync ---------------------------------------------------------------------------

#[tokio::test]
async fn codex_killed_at_seeded_points_then_a_normal_run_equals_a_clean_run_and_ccusage() {
    const SEED: u64 = 0x1_5EED_0017;
    let env = Env::new("cx_kill");
    let home = env.dir.path().join("home");
    write_home(&home, 16, 30, 1, true);
    let proxy = FaultProxy::start(&server().url);
    let url = proxy.url();
    let batch = |mut cmd: Command| {
        // Many small batches (a batch closes after the file that fills it): many checkpoints.
        cmd.env("CCSYNC_BATCH_ROWS", "40");
        cmd
    };
    run_ok(env.command(&["schema", "apply"]));
    let started = Instant::now();
    run_ok(batch(codex_cmd(&env, &url, "clean", &home, &["--once"])));
    let clean_ms = started.elapsed().as_millis() as u64;
    let status = proxy.status();
    let inserts = logged(&status, INSERT_USAGE);
    assert!(inserts.len() >= 5, "want several batches: {inserts:?}");
    let log = status["log"].as_array().unwrap();
    let first_insert = log
        .iter()
        .position(|r| r["line"].as_str().unwrap().contains("usage_events"))
        .unwrap() as u64;
    let pre_sizes: Vec<u64> = log[..first_insert as usize]
        .iter()
        .map(|r| r["bytes"].as_u64().unwrap())
        .collect();
    let clean = codex_rows(&env.client(), "clean").await;
    assert!(clean.len() > 400, "{}", clean.len());
    let ccusage = ccusage_daily(&home);

    let mut rng = Rng(SEED);
    let points: Vec<KillPoint> = (0..16)
        .map(|i| {
            let k = 1 + rng.below(inserts.len() as u64);
            let size = inserts[k as usize - 1];
            match i {
                0..=6 => KillPoint::MidInsert {
                    k,
                    offset: 1 + rng.below(size - 1),
                },
                7..=9 => KillPoint::AckLost { k },
                10..=11 => {
                    let n = 1 + rng.below(first_insert);
                    KillPoint::MidRequest {
                        n,
                        offset: 1 + rng.below(pre_sizes[n as usize - 1] - 1),
                    }
                }
                12 => KillPoint::RunRecord,
                _ => KillPoint::After {
                    ms: 20 + rng.below(clean_ms * 3 / 4),
                },
            }
        })
        .collect();

    let mut figures = Figures::default();
    for (i, point) in points.iter().enumerate() {
        let machine = format!("killed-{i:02}");
        let sync = batch(codex_cmd(&env, &url, &machine, &home, &["--once"]));
        let killed = kill_at(&proxy, point, sync);
        if killed {
            figures.faults_injected += 1;
        }
        let stored = codex_rows(&env.client(), &machine).await.len();
        figures.notes.push(format!(
            "{machine}: {point:?}, {stored} of {} rows stored when killed{}",
            clean.len(),
            if killed { "" } else { " (run had finished)" }
        ));

        // The next normal run converges to the clean run, row for row, and to ccusage.
        proxy.cmd("reset");
        run_ok(batch(codex_cmd(&env, &url, &machine, &home, &["--once"])));
        let d = assert_converged(
            &env,
            &machine,
            &clean,
            &ccusage,
            &format!("{machine} after {point:?}"),
        )
        .await;
        figures.add(&d);
    }
    assert!(
        figures.faults_injected >= 12,
        "only {} of the points killed a running sync: {:#?}",
        figures.faults_injected,
        figures.notes
    );
    record("codex_killed_at_seeded_points", &figures);
}

// --- the server fails mid-insert ---------------------------------------------------------------

#[tokio::test]
async fn codex_server_failing_mid_insert_never_advances_a_checkpoint_past_unstored_rows() {
    let env = Env::new("cx_midinsert");
    let home = env.dir.path().join("home");
    // Generated rollouts only: no request in two files, so what a run reads is countable.
    write_home(&home, 10, 30, 2, false);
    let proxy = FaultProxy::start(&server().url);
    let url = proxy.url();
    let client = env.client();
    let fail_fast = |machine: &str| {
        let mut cmd = codex_cmd(
            &env,
            &url,
            machine,
            &home,
            &[
                "sync",
                "--once",
                "--json",
                "--retries",
                "0",
                "--timeout",
                "10",
            ],
        );
        cmd.env("CCSYNC_BATCH_ROWS", "40");
        cmd
    };
    let recover = |machine: &str| {
        let mut cmd = codex_cmd(&env, &url, machine, &home, &["sync", "--once", "--json"]);
        cmd.env("CCSYNC_BATCH_ROWS", "40");
        let r = json_report(&run_ok(cmd));
        assert_eq!(r["codex"]["status"], "ok", "{r}");
        r["codex"]["requests_new"].as_u64().unwrap()
    };
    run_ok(env.command(&["schema", "apply"]));
    let clean = clean_run(&env, "clean", &home).await;
    let ccusage = ccusage_daily(&home);
    let total = clean.len() as u64;
    let failed = |out: &Out, what: &str| {
        assert!(!out.ok, "{what}: the run must fail: {}", out.stdout);
        assert!(
            out.stderr.contains("insert into usage_events")
                && out.stderr.contains("CLICKHOUSE_URL"),
            "{what}: a clear message expected:\n{}",
            out.stderr
        );
    };
    let mut figures = Figures::default();

    // 1. The first insert cut half-way: nothing is checkpointed, the next run reads everything.
    proxy.cmd("reset");
    proxy.cmd(&format!("cut_req {INSERT_USAGE} 1 2000"));
    failed(&run(fail_fast("first")), "first insert cut");
    figures.faults_injected += 1;
    assert!(
        codex_state(&state_dir(&env, "first")).is_empty(),
        "a checkpoint was saved although no insert was acknowledged"
    );
    assert_eq!(codex_rows(&client, "first").await.len(), 0);
    proxy.cmd("reset");
    assert_eq!(recover("first"), total, "every row sent again");
    figures.add(&assert_converged(&env, "first", &clean, &ccusage, "first insert cut").await);

    // 2. The third insert cut: the two acknowledged batches are checkpointed, the rest is not.
    proxy.cmd("reset");
    proxy.cmd(&format!("cut_req {INSERT_USAGE} 3 2000"));
    failed(&run(fail_fast("third")), "third insert cut");
    figures.faults_injected += 1;
    let before = codex_state(&state_dir(&env, "third"));
    assert!(
        !before.is_empty(),
        "the acknowledged batches are checkpointed"
    );
    let stored = codex_rows(&client, "third").await.len() as u64;
    assert!(0 < stored && stored < total, "{stored} of {total}");
    // While the server is away, no run moves that checkpoint.
    for mode in ["down", "refuse"] {
        proxy.cmd("reset");
        proxy.cmd(&format!("mode {mode}"));
        let out = run(fail_fast("third"));
        figures.faults_injected += 1;
        assert!(
            !out.ok && out.stderr.contains("CLICKHOUSE_URL"),
            "{}",
            out.stderr
        );
        assert_eq!(
            codex_state(&state_dir(&env, "third")),
            before,
            "server {mode}: a checkpoint moved"
        );
    }
    proxy.cmd("mode pass");
    proxy.cmd("reset");
    // Exactly the rows not stored are read again: the checkpoint is past every stored batch
    // and before the failed one.
    assert_eq!(recover("third"), total - stored, "rows sent again");
    figures.add(&assert_converged(&env, "third", &clean, &ccusage, "third insert cut").await);

    // 3. The second insert applied, its acknowledgement lost: sent again, stored once.
    proxy.cmd("reset");
    proxy.cmd(&format!("hold_resp {INSERT_USAGE} 2"));
    let mut child = fail_fast("acklost")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(proxy.wait_held(&mut child), "never held");
    proxy.cmd("drop");
    proxy.cmd("release");
    let out = child.wait_with_output().unwrap();
    let out = Out {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    failed(&out, "acknowledgement lost");
    figures.faults_injected += 1;
    let stored = codex_rows(&client, "acklost").await.len() as u64;
    proxy.cmd("reset");
    let again = recover("acklost");
    assert!(
        again > total - stored && again < total,
        "the unacknowledged batch is sent again, the acknowledged ones not: {again} sent, \
         {stored} of {total} stored"
    );
    figures.add(&assert_converged(&env, "acklost", &clean, &ccusage, "ack lost").await);
    record("codex_server_failing_mid_insert", &figures);
}

// --- state lost or corrupt ---------------------------------------------------------------------

#[tokio::test]
async fn codex_lost_or_corrupt_state_means_a_full_rescan_with_no_doubles_and_a_warning() {
    let env = Env::new("cx_state");
    let home = env.dir.path().join("home");
    let mut sessions = write_home(&home, 6, 20, 3, true);
    let url = server().url.clone();
    let dir = state_dir(&env, "m");
    sync_json(&env, &url, "m", &home);
    let state_file = || {
        let name = codex_state(&dir)
            .into_keys()
            .next()
            .expect("a Codex state file");
        dir.join(name)
    };
    let good = std::fs::read(state_file()).unwrap();
    let mut other_format = b"ccsyncCX".to_vec();
    other_format.extend(99u32.to_le_bytes());
    other_format.extend(&good[12..]);
    let damages = state_damages(&dir, &state_file, &good, &other_format);
    let mut figures = Figures::default();
    // Checked once the rows are: a missing warning must not hide a double.
    let mut unwarned = Vec::new();
    for (i, (what, damage)) in damages.iter().enumerate() {
        let warning = match *what {
            "state dir deleted" => "already has rows",
            "another format" => "format 99",
            _ => "damaged",
        };
        // Something new each time, so a rescan also finds what it never stored.
        let s = &mut sessions[i];
        append(&home.join(&s.rel), s.requests(3).as_bytes());
        damage();
        figures.faults_injected += 1;
        let codex = sync_json(&env, &url, "m", &home);
        assert_eq!(
            codex["files_changed"], codex["files_scanned"],
            "{what}: a full rescan: {codex}"
        );
        let warnings = codex["warnings"].to_string();
        if !warnings.contains(warning) {
            unwarned.push(format!(
                "{what}: a warning containing {warning:?} expected, got {warnings}"
            ));
        }
        // And the state is whole again: the next run reads nothing.
        let codex = sync_json(&env, &url, "m", &home);
        assert_eq!(
            (
                codex["files_changed"].as_u64(),
                codex["requests_new"].as_u64()
            ),
            (Some(0), Some(0)),
            "{what}: {codex}"
        );
    }
    // No doubles: the rows are one clean run's, and ccusage's.
    let clean = clean_run(&env, "clean", &home).await;
    let d = assert_converged(
        &env,
        "m",
        &clean,
        &ccusage_daily(&home),
        "after the damages",
    )
    .await;
    let raw: u64 = env
        .client()
        .query("SELECT count() FROM usage_events FINAL WHERE machine_name = 'm'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(raw, clean.len() as u64, "one row per request under FINAL");
    figures.add(&d);
    record("codex_state_lost_or_corrupt", &figures);
    assert!(unwarned.is_empty(), "{}", unwarned.join("\n"));
}

// --- rollouts change under us ------------------------------------------------------------------

/// `bytes` cut after its `n`-th line.
fn first_lines(bytes: &[u8], n: usize) -> usize {
    let mut at = 0;
    for _ in 0..n {
        at += bytes[at..].iter().position(|&b| b == b'\n').unwrap() + 1;
    }
    at
}

#[tokio::test]
async fn codex_truncated_then_restored_or_written_on_keeps_history_without_doubles() {
    let env = Env::new("cx_truncate");
    let home = env.dir.path().join("home");
    let mut sessions = write_home(&home, 3, 20, 4, false);
    let url = server().url.clone();
    let client = env.client();
    let mut figures = Figures::default();
    let path = home.join(&sessions[0].rel);
    let full = std::fs::read(&path).unwrap();
    sync_json(&env, &url, "m", &home);
    let synced = codex_rows(&client, "m").await;
    let check = |rows: Vec<CodexFinal>, want: &[CodexFinal], what: &str| {
        let d = codex_diff(want, &rows);
        assert_no_diff(what, &d);
        d
    };

    // Truncated at a line boundary (a restore from an older backup), synced, then restored.
    let head = first_lines(&full, 15);
    std::fs::write(&path, &full[..head]).unwrap();
    let codex = sync_json(&env, &url, "m", &home);
    assert_eq!(codex["files_changed"], 1, "{codex}");
    figures.faults_injected += 1;
    figures.add(&check(codex_rows(&client, "m").await, &synced, "truncated"));
    append(&path, &full[head..]);
    sync_json(&env, &url, "m", &home);
    figures.add(&check(codex_rows(&client, "m").await, &synced, "restored"));

    // Truncated in the middle of a line, synced, then restored.
    let cut = full.len() - 40;
    std::fs::write(&path, &full[..cut]).unwrap();
    sync_json(&env, &url, "m", &home);
    figures.faults_injected += 1;
    figures.add(&check(
        codex_rows(&client, "m").await,
        &synced,
        "truncated mid-line",
    ));
    append(&path, &full[cut..]);
    sync_json(&env, &url, "m", &home);
    figures.add(&check(
        codex_rows(&client, "m").await,
        &synced,
        "restored after a cut",
    ));

    // Written on: the new requests once, the old ones still once.
    let more = sessions[0].requests(5);
    append(&path, more.as_bytes());
    let codex = sync_json(&env, &url, "m", &home);
    assert_eq!(
        codex["requests_new"], 5,
        "only the new requests are read: {codex}"
    );

    // Truncated at a line boundary and written on with other requests (shorter than before):
    // what was synced stays, as for Claude Code. The oracle's tree keeps the lost lines in a
    // file of their own (headed like the rollout, so the same model).
    let now = std::fs::read(&path).unwrap();
    let keep = first_lines(&now, 2 + 3 * 4);
    let mut other = Session::new(99, 4, sessions[0].last_ms);
    other.model = sessions[0].model;
    other.total = [0; 5];
    let written_on = other.requests(2);
    std::fs::write(&path, &now[..keep]).unwrap();
    append(&path, written_on.as_bytes());
    assert!(std::fs::metadata(&path).unwrap().len() < now.len() as u64);
    sync_json(&env, &url, "m", &home);
    figures.faults_injected += 1;

    let oracle = env.dir.path().join("oracle");
    crate::migration::copy_tree(&home, &oracle);
    let lost = [sessions[0].head().as_bytes(), &now[keep..]].concat();
    write(&oracle.join("sessions/lost/rollout-lost.jsonl"), &lost);
    let clean = clean_run(&env, "clean", &oracle).await;
    let d = assert_converged(
        &env,
        "m",
        &clean,
        &ccusage_daily(&oracle),
        "truncated, written on",
    )
    .await;
    figures.add(&d);
    record("codex_truncated", &figures);
}

#[tokio::test]
async fn codex_rollout_replaced_by_another_file_at_its_path_keeps_both_without_doubles() {
    let env = Env::new("cx_replace");
    let home = env.dir.path().join("home");
    let sessions = write_home(&home, 2, 20, 5, false);
    let url = server().url.clone();
    let path = home.join(&sessions[0].rel);
    let oracle = env.dir.path().join("oracle");
    crate::migration::copy_tree(&home, &oracle);
    sync_json(&env, &url, "m", &home);
    let mut figures = Figures::default();

    // Replaced (new inode) by another session's rollout, shorter than what was read of it.
    let first = std::fs::read(&path).unwrap();
    let mut shorter = Session::new(50, 5, sessions[0].last_ms + 86_400_000);
    let text = shorter.head() + &shorter.requests(4);
    assert!(text.len() < first.len());
    replace(&path, text.as_bytes());
    write(
        &oracle.join("sessions/replaced/rollout-1.jsonl"),
        text.as_bytes(),
    );
    sync_json(&env, &url, "m", &home);
    figures.faults_injected += 1;
    let clean = clean_run(&env, "clean-1", &oracle).await;
    let d = assert_converged(
        &env,
        "m",
        &clean,
        &ccusage_daily(&oracle),
        "replaced, shorter",
    )
    .await;
    figures.add(&d);

    // Replaced by another session's rollout, longer than what was read of the one before.
    let mut longer = Session::new(51, 5, sessions[0].last_ms + 2 * 86_400_000);
    let text = longer.head() + &longer.requests(30);
    assert!(text.len() > first.len());
    replace(&path, text.as_bytes());
    write(
        &oracle.join("sessions/replaced/rollout-2.jsonl"),
        text.as_bytes(),
    );
    let codex = sync_json(&env, &url, "m", &home);
    figures.faults_injected += 1;
    let clean = clean_run(&env, "clean-2", &oracle).await;
    let d = assert_converged(
        &env,
        "m",
        &clean,
        &ccusage_daily(&oracle),
        &format!("replaced, longer (codex run: {codex})"),
    )
    .await;
    figures.add(&d);
    record("codex_replaced", &figures);
}

// --- huge and unfinished lines -----------------------------------------------------------------

#[tokio::test]
async fn codex_huge_lines_and_lines_completed_in_a_later_run_are_counted_once() {
    let env = Env::new("cx_huge");
    let home = env.dir.path().join("home");
    let mut sessions = write_home(&home, 2, 3, 6, false);
    let url = server().url.clone();
    let client = env.client();
    let (a, b) = (home.join(&sessions[0].rel), home.join(&sessions[1].rel));
    // In a: a 48 MiB message line (a tool's output), then a request whose `token_count` line is
    // 16 MiB, then a request cut mid-line.
    let big = format!(
        r#"{{"timestamp":"{}","type":"response_item","payload":{{"type":"function_call_output","output":"{}"}}}}"#,
        stamp(sessions[0].last_ms),
        "0123456789abcdef\\\"quoted\\\" ".repeat((48 << 20) / 27)
    ) + "\n";
    append(&a, big.as_bytes());
    append(&a, sessions[0].single(16 << 20).as_bytes());
    let cut_line = sessions[0].single(0);
    let at = cut_line.len() - 30;
    append(&a, &cut_line.as_bytes()[..at]);
    // In b: a 24 MiB `token_count` line cut half-way.
    let huge_cut = sessions[1].single(24 << 20);
    let half = huge_cut.len() / 2;
    append(&b, &huge_cut.as_bytes()[..half]);
    assert!(std::fs::metadata(&a).unwrap().len() > 60 << 20);

    let report = env.dir.path().join("report.json");
    let (ok, peak) = run_measuring_rss(
        codex_cmd(&env, &url, "m", &home, &["sync", "--once", "--json"]),
        &report,
    );
    assert!(ok);
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["codex"]["status"], "ok", "{r}");
    // The cut lines wait: 3 + 1 requests in a, 3 in b.
    assert_eq!(codex_rows(&client, "m").await.len(), 7, "{}", r["codex"]);
    let d1 = codex_diff(
        &clean_run(&env, "clean-1", &home).await,
        &codex_rows(&client, "m").await,
    );
    assert_no_diff("with lines still being written", &d1);

    // Completed: each counted once, in a later run.
    append(&a, &cut_line.as_bytes()[at..]);
    append(&b, &huge_cut.as_bytes()[half..]);
    let codex = sync_json(&env, &url, "m", &home);
    assert_eq!(codex["requests_new"], 2, "{codex}");
    let clean = clean_run(&env, "clean-2", &home).await;
    assert_eq!(clean.len(), 9);
    let d = assert_converged(&env, "m", &clean, &ccusage_daily(&home), "lines completed").await;
    let mut figures = Figures {
        faults_injected: 4,
        ..Figures::default()
    };
    figures.add(&d1);
    figures.add(&d);
    figures.notes.push(format!(
        "peak RSS {} MiB reading a 48 MiB line and a 16 MiB token_count line",
        peak >> 20
    ));
    record("codex_huge_and_cut_lines", &figures);
}

// --- archived between runs ---------------------------------------------------------------------

#[tokio::test]
async fn codex_rollouts_moved_to_archived_sessions_between_runs_count_once() {
    let env = Env::new("cx_archive");
    let home = env.dir.path().join("home");
    let mut sessions = write_home(&home, 5, 20, 7, true);
    let url = server().url.clone();
    let client = env.client();
    // One rollout still being written: its last line cut.
    let open = home.join(&sessions[1].rel);
    let pending = sessions[1].single(0);
    let at = pending.len() / 2;
    append(&open, &pending.as_bytes()[..at]);
    sync_json(&env, &url, "m", &home);
    let before = codex_rows(&client, "m").await.len();

    // Codex archives two sessions: one flat in archived_sessions/, one in its dated folder;
    // the cut one is completed there.
    let moved = |s: &Session, flat: bool| {
        let from = home.join(&s.rel);
        let rel = s.rel.strip_prefix("sessions/").unwrap();
        let to = if flat {
            home.join("archived_sessions")
                .join(from.file_name().unwrap())
        } else {
            home.join("archived_sessions").join(rel)
        };
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::rename(&from, &to).unwrap();
        to
    };
    moved(&sessions[0], true);
    let archived = moved(&sessions[1], false);
    append(&archived, &pending.as_bytes()[at..]);
    let codex = sync_json(&env, &url, "m", &home);
    assert_eq!(codex["files_changed"], 2, "{codex}");
    assert_eq!(
        codex_rows(&client, "m").await.len(),
        before + 1,
        "the moved rollouts' requests once, the completed one once"
    );
    // And one more session written on and archived after a run.
    let s = &mut sessions[2];
    append(&home.join(&s.rel), s.requests(2).as_bytes());
    sync_json(&env, &url, "m", &home);
    moved(&sessions[2], true);
    sync_json(&env, &url, "m", &home);

    let clean = clean_run(&env, "clean", &home).await;
    let d = assert_converged(&env, "m", &clean, &ccusage_daily(&home), "after the moves").await;
    let mut figures = Figures {
        faults_injected: 3,
        ..Figures::default()
    };
    figures.add(&d);
    record("codex_moved_to_archived", &figures);
}
