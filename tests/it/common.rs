//! Test harness: a real ClickHouse engine (a server given by URL, or the chdb-backed front end
//! started once per test binary), a fresh database per test, and transcript builders.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use ccsync::config::{Config, Host, RawConfig, Secret};

pub struct Server {
    pub url: String,
    pub user: String,
    pub password: String,
}

static SERVER: OnceLock<Server> = OnceLock::new();

/// Every file under `dir` at any depth (with `ext`, only those with that extension), sorted.
pub fn files_under(dir: &Path, ext: Option<&str>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path, ext));
        } else if ext.is_none_or(|ext| path.extension().is_some_and(|e| e == ext)) {
            out.push(path);
        }
    }
    out.sort();
    out
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn python() -> String {
    if let Ok(p) = std::env::var("CCSYNC_TEST_PYTHON") {
        return p;
    }
    let venv = repo().join(".venv/bin/python");
    if venv.exists() {
        return venv.to_string_lossy().into_owned();
    }
    "python3".into()
}

const HOW_TO_FIX: &str = "Tests need a real ClickHouse engine. Either run `scripts/test.sh` (installs \
the engine: Python package chdb-core==26.9.0 in .venv), or `pip install --no-deps chdb-core==26.9.0 lz4`, \
or point CCSYNC_TEST_CLICKHOUSE_URL (with CCSYNC_TEST_CLICKHOUSE_USER/PASSWORD) at a ClickHouse server.";

/// The engine for this test binary, started on first use.
pub fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var("CCSYNC_TEST_CLICKHOUSE_URL") {
            return Server {
                url,
                user: std::env::var("CCSYNC_TEST_CLICKHOUSE_USER").unwrap_or("default".into()),
                password: std::env::var("CCSYNC_TEST_CLICKHOUSE_PASSWORD").unwrap_or_default(),
            };
        }
        start_chdb_server()
    })
}

fn start_chdb_server() -> Server {
    let (child, url) = spawn_chdb_server(&[]);
    // Lives as long as the test binary; --parent-pid makes it exit with us.
    std::mem::forget(child);
    Server {
        url,
        user: "default".into(),
        password: "test-secret".into(),
    }
}

/// Starts another engine process (password `test-secret`) with `extra` arguments; returns it and
/// the URL it printed. Kill the child when done.
pub fn spawn_chdb_server(extra: &[&str]) -> (std::process::Child, String) {
    spawn_chdb_server_in(&engine_data_dir(), extra)
}

fn engine_data_dir() -> PathBuf {
    tempfile::Builder::new()
        .prefix("ccsync-test-engine-")
        .tempdir()
        .expect("temp dir")
        .keep()
}

/// Like `spawn_chdb_server`, on the data in `data`: a server killed and started again on the
/// same dir has the same databases (on a new port).
pub fn spawn_chdb_server_in(data: &Path, extra: &[&str]) -> (std::process::Child, String) {
    spawn_chdb_server_with(data, extra, Stdio::inherit())
}

/// An engine of its own for one test (password `test-secret`), its request log (`--verbose`)
/// kept in a file; killed when dropped.
pub struct LoggedEngine {
    child: std::process::Child,
    pub url: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl LoggedEngine {
    pub fn start(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("engine.log");
        let file = std::fs::File::create(&log).expect("log file");
        let args: Vec<&str> = ["--verbose"].iter().chain(extra).copied().collect();
        let (child, url) = spawn_chdb_server_with(&engine_data_dir(), &args, Stdio::from(file));
        LoggedEngine {
            child,
            url,
            log,
            _dir: dir,
        }
    }

    /// `env`'s configuration, pointed at this engine.
    pub fn config(&self, env: &Env) -> Config {
        let mut cfg = env.config();
        cfg.clickhouse.url = self.url.clone();
        cfg.clickhouse.user = "default".into();
        cfg.clickhouse.password = Secret::new("test-secret");
        cfg
    }

    pub fn client(&self, database: &str) -> clickhouse::Client {
        clickhouse::Client::default()
            .with_url(&self.url)
            .with_user("default")
            .with_password("test-secret")
            .with_database(database)
    }

    /// The request log so far: one line per request.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).expect("engine log")
    }
}

impl Drop for LoggedEngine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_chdb_server_with(
    data: &Path,
    extra: &[&str],
    stderr: Stdio,
) -> (std::process::Child, String) {
    let script = repo().join("scripts/chdb_server.py");
    let mut child = Command::new(python())
        .arg(&script)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--password",
            "test-secret",
        ])
        .arg("--data-dir")
        .arg(data)
        .arg("--parent-pid")
        .arg(std::process::id().to_string())
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}\n{HOW_TO_FIX}", script.display()));
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok);
        let _ = tx.send(first);
        // Keep draining so the server never blocks on a full pipe.
        for _ in lines {}
    });
    match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(Some(line)) if line.starts_with("READY ") => {
            (child, line["READY ".len()..].trim().to_string())
        }
        other => {
            let _ = child.kill();
            let status = child.wait().ok();
            panic!(
                "the test ClickHouse engine did not start ({other:?}, exit {status:?}).\n{HOW_TO_FIX}"
            )
        }
    }
}

/// `scripts/fault_proxy.py` in front of a ClickHouse HTTP endpoint: delays, holds, cuts and
/// refusals at chosen points of the traffic, steered over its control port.
pub struct FaultProxy {
    child: std::process::Child,
    pub port: u16,
    control: u16,
}

impl FaultProxy {
    /// A proxy to `upstream_url` (`http://host:port`) on a free loopback port.
    pub fn start(upstream_url: &str) -> Self {
        let hostport = upstream_url
            .strip_prefix("http://")
            .unwrap_or_else(|| {
                panic!("the fault proxy needs a plain http upstream: {upstream_url}")
            })
            .trim_end_matches('/');
        let script = repo().join("scripts/fault_proxy.py");
        let mut child = Command::new(python())
            .arg(&script)
            .args(["--upstream", hostport, "--parent-pid"])
            .arg(std::process::id().to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", script.display()));
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let parts: Vec<&str> = first.split_whitespace().collect();
        assert_eq!(parts.first(), Some(&"READY"), "fault proxy: {first:?}");
        FaultProxy {
            child,
            port: parts[1].parse().unwrap(),
            control: parts[2].parse().unwrap(),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Sends one control command (see the script's doc); panics on an error reply.
    pub fn cmd(&self, line: &str) -> serde_json::Value {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.control)).unwrap();
        s.write_all(format!("{line}\n").as_bytes()).unwrap();
        let mut reply = String::new();
        BufReader::new(s).read_line(&mut reply).unwrap();
        let v: serde_json::Value = serde_json::from_str(&reply).unwrap();
        assert!(v.get("error").is_none(), "fault proxy {line:?}: {v}");
        v
    }

    pub fn status(&self) -> serde_json::Value {
        self.cmd("status")
    }

    /// Waits until a hold rule has stopped traffic (true) or `child` exited first (false).
    pub fn wait_held(&self, child: &mut std::process::Child) -> bool {
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            if self.status()["held"].as_u64().unwrap() > 0 {
                return true;
            }
            if child.try_wait().unwrap().is_some() {
                return false;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the hold point was never reached"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh database name per test.
pub fn fresh_db(test: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "t_{}_{}_{}_{}",
        test,
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos % 100_000
    )
}

/// A test's world: a transcript tree, a state dir and a database of its own.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub database: String,
    pub machine: String,
}

impl Env {
    pub fn new(test: &str) -> Self {
        Env {
            dir: tempfile::tempdir().unwrap(),
            database: fresh_db(test),
            machine: "machine-a".into(),
        }
    }

    pub fn claude_dir(&self) -> PathBuf {
        self.dir.path().join("claude")
    }

    /// This env's Codex home (absent until a test writes rollouts there).
    pub fn codex_home(&self) -> PathBuf {
        self.dir.path().join("codex")
    }

    pub fn projects(&self) -> PathBuf {
        self.claude_dir().join("projects")
    }

    /// The state dir of this env's own machine (see `config_for`).
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join(format!("state-{}", self.machine))
    }

    pub fn config(&self) -> Config {
        self.config_for(&self.machine, &self.claude_dir())
    }

    pub fn config_for(&self, machine: &str, claude_dir: &Path) -> Config {
        let s = server();
        RawConfig {
            clickhouse_url: Some(s.url.clone()),
            clickhouse_user: Some(s.user.clone()),
            clickhouse_password: Some(Secret::new(s.password.clone())),
            clickhouse_database: Some(self.database.clone()),
            machine_name: Some(machine.into()),
            claude_config_dir: Some(claude_dir.to_string_lossy().into_owned()),
            codex_home: Some(self.codex_home().to_string_lossy().into_owned()),
            state_dir: Some(self.dir.path().join(format!("state-{machine}"))),
            retries: Some(1),
            timeout_secs: Some(60),
            ..Default::default()
        }
        .resolve(&Host::current())
        .unwrap()
    }

    pub fn client(&self) -> clickhouse::Client {
        let s = server();
        clickhouse::Client::default()
            .with_url(&s.url)
            .with_user(&s.user)
            .with_password(&s.password)
            .with_database(&self.database)
    }

    /// Writes (or overwrites) a transcript file under projects/.
    pub fn write(&self, rel: &str, content: &[u8]) -> PathBuf {
        let path = self.projects().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        path
    }

    pub fn append(&self, rel: &str, content: &[u8]) {
        use std::io::Write;
        let path = self.projects().join(rel);
        let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        f.write_all(content).unwrap();
    }

    /// Runs the built binary with this env's configuration; returns (status, stdout, stderr).
    pub fn ccsync(&self, args: &[&str]) -> (std::process::ExitStatus, String, String) {
        let out = self.command(args).output().unwrap();
        (
            out.status,
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// The binary with this env's configuration in a clean environment, run in the env's dir.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_via(&[], args)
    }

    /// Like `command`, the binary run by a wrapper (`wrapper[0]`, with `wrapper[1..]` before
    /// the binary's path), e.g. `faketime -f -3d`.
    pub fn command_via(&self, wrapper: &[&str], args: &[&str]) -> Command {
        let s = server();
        let bin = env!("CARGO_BIN_EXE_ccsync");
        let mut cmd = match wrapper.split_first() {
            Some((program, pre)) => {
                let mut c = Command::new(program);
                c.args(pre).arg(bin);
                c
            }
            None => Command::new(bin),
        };
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("CLICKHOUSE_URL", &s.url)
            .env("CLICKHOUSE_USER", &s.user)
            .env("CLICKHOUSE_PASSWORD", &s.password)
            .env("CLICKHOUSE_DATABASE", &self.database)
            .env("MACHINE_NAME", &self.machine)
            .env("CLAUDE_CONFIG_DIR", self.claude_dir())
            .env("CODEX_HOME", self.codex_home())
            .env("CCSYNC_STATE_DIR", self.state_dir())
            .current_dir(self.dir.path());
        cmd
    }
}

/// Per-day token sums under FINAL for one machine, as (date, input, output, cache_create, cache_read, cost).
#[derive(Debug, Clone, PartialEq, clickhouse::Row, serde::Deserialize)]
pub struct DayTotals {
    pub date: String,
    pub input: u64,
    pub output: u64,
    pub cache_creation: u64,
    pub cache_read: u64,
    pub cost: f64,
    pub messages: u64,
}

pub async fn day_totals(env: &Env, machine: &str) -> Vec<DayTotals> {
    env.client()
        .query(
            "SELECT toString(toDate32(timestamp, 'UTC')) AS date, sum(input_tokens) AS input, \
             sum(output_tokens) AS output, sum(cache_creation_input_tokens) AS cache_creation, \
             sum(cache_read_input_tokens) AS cache_read, sum(cost_usd) AS cost, count() AS messages \
             FROM usage_events FINAL WHERE machine_name = {m:String} GROUP BY date ORDER BY date",
        )
        .param("m", machine)
        .fetch_all::<DayTotals>()
        .await
        .unwrap()
}

pub async fn count_final(env: &Env) -> u64 {
    env.client()
        .query("SELECT count() FROM usage_events FINAL")
        .fetch_one::<u64>()
        .await
        .unwrap()
}

/// Builds assistant lines the way Claude Code writes them (compact JSON, one per content block).
pub struct Line {
    pub msg: Option<String>,
    pub req: Option<String>,
    pub ts: String,
    pub model: String,
    pub input: u64,
    pub output: u64,
    pub cache_5m: u64,
    pub cache_1h: u64,
    pub cache_read: u64,
    pub sidechain: bool,
    pub speed: &'static str,
    pub cost_usd: Option<f64>,
    pub session: String,
    pub cwd: String,
    pub text: String,
    /// The line's own `uuid`. `None`: derived from the line's other fields, so distinct lines get
    /// distinct uuids (as in Claude Code) and a verbatim copy of a line keeps its uuid.
    pub uuid: Option<String>,
    /// `agentId`, written by Claude Code on subagent lines.
    pub agent_id: Option<String>,
}

pub fn line(msg: &str, ts: &str) -> Line {
    Line {
        msg: Some(msg.into()),
        req: Some(format!("req_{msg}")),
        ts: ts.into(),
        model: "claude-sonnet-4-5-20250929".into(),
        input: 10,
        output: 100,
        cache_5m: 1000,
        cache_1h: 0,
        cache_read: 5000,
        sidechain: false,
        speed: "standard",
        cost_usd: None,
        session: "s1".into(),
        cwd: "/home/me/app".into(),
        text: "private words never stored".into(),
        uuid: None,
        agent_id: None,
    }
}

impl Line {
    pub fn model(mut self, m: &str) -> Self {
        self.model = m.into();
        self
    }
    pub fn tokens(
        mut self,
        input: u64,
        output: u64,
        cache_5m: u64,
        cache_1h: u64,
        read: u64,
    ) -> Self {
        (
            self.input,
            self.output,
            self.cache_5m,
            self.cache_1h,
            self.cache_read,
        ) = (input, output, cache_5m, cache_1h, read);
        self
    }
    pub fn req(mut self, r: Option<&str>) -> Self {
        self.req = r.map(Into::into);
        self
    }
    pub fn sidechain(mut self) -> Self {
        self.sidechain = true;
        self
    }
    pub fn fast(mut self) -> Self {
        self.speed = "fast";
        self
    }
    pub fn session(mut self, s: &str) -> Self {
        self.session = s.into();
        self
    }
    pub fn cost_usd(mut self, c: f64) -> Self {
        self.cost_usd = Some(c);
        self
    }
    /// No `usage.speed` field (older Claude Code versions); it matters for ccusage's ties.
    pub fn no_speed(mut self) -> Self {
        self.speed = "";
        self
    }
    /// No `message.id` (such lines are never de-duplicated by ccusage).
    pub fn no_message_id(mut self) -> Self {
        self.msg = None;
        self
    }
    pub fn uuid(mut self, u: &str) -> Self {
        self.uuid = Some(u.into());
        self
    }
    pub fn agent(mut self, id: &str) -> Self {
        self.agent_id = Some(id.into());
        self
    }

    pub fn json(&self) -> String {
        let mut v = serde_json::json!({
            "parentUuid": "p",
            "isSidechain": self.sidechain,
            "userType": "external",
            "cwd": self.cwd,
            "sessionId": self.session,
            "version": "2.1.20",
            "gitBranch": "main",
            "type": "assistant",
            "timestamp": self.ts,
            "message": {
                "model": self.model,
                "type": "message",
                "role": "assistant",
                "content": [{"type": "text", "text": self.text}],
                "usage": {
                    "input_tokens": self.input,
                    "cache_creation_input_tokens": self.cache_5m + self.cache_1h,
                    "cache_read_input_tokens": self.cache_read,
                    "output_tokens": self.output,
                    "cache_creation": {
                        "ephemeral_5m_input_tokens": self.cache_5m,
                        "ephemeral_1h_input_tokens": self.cache_1h
                    },
                    "service_tier": "standard"
                }
            }
        });
        if !self.speed.is_empty() {
            v["message"]["usage"]["speed"] = self.speed.into();
        }
        if let Some(m) = &self.msg {
            v["message"]["id"] = m.clone().into();
        }
        if let Some(r) = &self.req {
            v["requestId"] = r.clone().into();
        }
        if let Some(c) = self.cost_usd {
            v["costUSD"] = c.into();
        }
        if let Some(a) = &self.agent_id {
            v["agentId"] = a.clone().into();
        }
        v["uuid"] = match &self.uuid {
            Some(u) => u.clone().into(),
            None => uuid_of(&serde_json::to_string(&v).unwrap()).into(),
        };
        let mut s = serde_json::to_string(&v).unwrap();
        s.push('\n');
        s
    }
}

/// A uuid-shaped name derived from `seed`: the same seed, the same uuid.
pub fn uuid_of(seed: &str) -> String {
    let h = blake3::hash(seed.as_bytes()).to_hex();
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// The parent's `progress` line (Claude Code 2.1) carrying a subagent's response `inner`, nested
/// as `data.message` (its own timestamp, requestId if any, isSidechain), written at `outer_ts`
/// into session `session`'s file.
pub fn progress_line(session: &str, outer_ts: &str, agent: &str, inner: &Line) -> String {
    let usage = serde_json::json!({
        "input_tokens": inner.input,
        "cache_creation_input_tokens": inner.cache_5m + inner.cache_1h,
        "cache_read_input_tokens": inner.cache_read,
        "output_tokens": inner.output,
        "cache_creation": {
            "ephemeral_5m_input_tokens": inner.cache_5m,
            "ephemeral_1h_input_tokens": inner.cache_1h
        },
        "service_tier": "standard"
    });
    let mut message = serde_json::json!({
        "type": "assistant",
        "timestamp": inner.ts,
        "isSidechain": inner.sidechain,
        "uuid": uuid_of(&format!("inner {}", inner.json())),
        "message": {
            "model": inner.model,
            "type": "message",
            "role": "assistant",
            "content": [{"type": "text", "text": inner.text}],
            "usage": usage
        }
    });
    if let Some(m) = &inner.msg {
        message["message"]["id"] = m.clone().into();
    }
    if let Some(r) = &inner.req {
        message["requestId"] = r.clone().into();
    }
    if !inner.speed.is_empty() {
        message["message"]["usage"]["speed"] = inner.speed.into();
    }
    let mut v = serde_json::json!({
        "parentUuid": "p",
        "isSidechain": false,
        "userType": "external",
        "cwd": inner.cwd,
        "sessionId": session,
        "version": "2.1.20",
        "gitBranch": "main",
        "type": "progress",
        "timestamp": outer_ts,
        "toolUseID": "toolu_1",
        "parentToolUseID": "toolu_1",
        "data": {"type": "agent_progress", "agentId": agent, "prompt": "", "message": message}
    });
    v["uuid"] = uuid_of(&serde_json::to_string(&v).unwrap()).into();
    let mut s = serde_json::to_string(&v).unwrap();
    s.push('\n');
    s
}

pub fn user_line(ts: &str, bytes: usize) -> String {
    let v = serde_json::json!({
        "type": "user", "timestamp": ts, "sessionId": "s1",
        "message": {"role": "user", "content": [{"type": "tool_result", "content": "x".repeat(bytes)}]}
    });
    let mut s = serde_json::to_string(&v).unwrap();
    s.push('\n');
    s
}

pub fn lines(ls: &[Line]) -> Vec<u8> {
    ls.iter().map(Line::json).collect::<String>().into_bytes()
}

// ---------------------------------------------------------------------------------------------
// Comparing databases: one synced run by run with one synced once (a "fresh run": a new database
// and a new state dir over the same tree), and both with ccusage.

use ccsync::store::query::Table;
use serde_json::Value;

/// `usage_events FINAL`, every column but those that differ between runs by design.
pub const EVENTS_SQL: &str = "SELECT * EXCEPT (version, ingested_at, agent_version) \
     FROM usage_events FINAL ORDER BY ALL";

/// `usage_rollup FINAL`, every column but `version`; arrays sorted (their order is the order
/// the rows were aggregated in).
pub const ROLLUP_SQL: &str = "SELECT * EXCEPT (version, contexts, agent_ids), \
     arraySort(contexts) AS contexts, arraySort(agent_ids) AS agent_ids \
     FROM usage_rollup FINAL ORDER BY ALL";

/// Sums of the rollup per machine, UTC day, session and model...
pub const ROLLUP_SUMS_SQL: &str = "SELECT machine_name, toString(toDate32(bucket, 'UTC')) AS day, \
     session_id, model, sum(messages) AS messages, sum(input_tokens) AS input, \
     sum(output_tokens) AS output, sum(cache_creation_input_tokens) AS cache_creation, \
     sum(cache_read_input_tokens) AS cache_read, sum(cost_usd) AS cost \
     FROM usage_rollup FINAL GROUP BY ALL ORDER BY ALL";

/// ...and the same sums aggregated from `usage_events FINAL`.
pub const EVENT_SUMS_SQL: &str = "SELECT machine_name, toString(toDate32(timestamp, 'UTC')) AS day, \
     session_id, model, count() AS messages, sum(input_tokens) AS input, \
     sum(output_tokens) AS output, sum(cache_creation_input_tokens) AS cache_creation, \
     sum(cache_read_input_tokens) AS cache_read, sum(cost_usd) AS cost \
     FROM usage_events FINAL GROUP BY ALL ORDER BY ALL";

/// ClickHouse settings of a query.
pub type Settings = &'static [(&'static str, &'static str)];

/// What readers use (the query runner, the Grafana datasource): FINAL per partition.
pub const PER_PARTITION: Settings = &[("do_not_merge_across_partitions_select_final", "1")];
/// FINAL merged across partitions.
pub const ACROSS_PARTITIONS: Settings = &[("do_not_merge_across_partitions_select_final", "0")];

/// Runs `sql` (no client-side placeholders) with `settings`, as a table of JSON cells.
pub async fn fetch_sql(client: &clickhouse::Client, sql: &str, settings: &[(&str, &str)]) -> Table {
    let mut q = client.query_raw(sql);
    for (k, v) in settings {
        q = q.with_setting(*k, *v);
    }
    let body = async { q.fetch_bytes("JSONCompact")?.collect().await }
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    Table::from_json_compact(&body).unwrap()
}

/// A query of the pack with `params` (NAME, VALUE), the others at their defaults, bound and run
/// as `ccsync query` does.
pub async fn pack_query(client: &clickhouse::Client, name: &str, params: &[(&str, &str)]) -> Table {
    let q = ccsync::store::query::find(name).unwrap();
    let given: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let values = ccsync::store::query::bind(q, &given).unwrap();
    ccsync::store::query::fetch_table(client, q, &values)
        .await
        .unwrap_or_else(|e| panic!("query {name}: {e:#}"))
}

/// Two cells equal; numbers of float columns up to the noise of float sums: relative 1e-9, or
/// one unit in the last digit of a rounded value (`round(x, 4)` may round a sum added up in
/// another order the other way).
pub fn same_cell(a: &Value, b: &Value, float_column: bool) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if float_column => {
            let (fx, fy) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            let decimals = |n: &serde_json::Number| {
                let s = n.to_string();
                if s.contains(['e', 'E']) {
                    return usize::MAX;
                }
                s.split_once('.').map_or(0, |(_, d)| d.len())
            };
            let d = decimals(x).max(decimals(y));
            let last_digit = if (1..=6).contains(&d) {
                10f64.powi(-(d as i32)) * (1.0 + 1e-6)
            } else {
                0.0
            };
            (fx - fy).abs() <= (1e-9 * fx.abs().max(fy.abs())).max(last_digit)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_cell(a, b, float_column))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_cell(v, w, float_column)))
        }
        _ => a == b,
    }
}

fn is_float_type(ty: &str) -> bool {
    ty.contains("Float") || ty.contains("Decimal")
}

fn same_row(a: &[Value], b: &[Value], columns: &[(String, String)]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .zip(columns)
            .all(|((x, y), (_, ty))| same_cell(x, y, is_float_type(ty)))
}

/// A row as `name=value` pairs.
pub fn show_row(row: &[Value], columns: &[(String, String)]) -> String {
    row.iter()
        .zip(columns)
        .map(|(v, (n, _))| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `None` if the tables hold the same rows (in any order, numbers as in `same_cell`), else what
/// differs: the rows only one side has (the first few of each).
pub fn table_diff(a: &Table, a_name: &str, b: &Table, b_name: &str) -> Option<String> {
    if a.columns != b.columns {
        return Some(format!(
            "columns differ:\n  {a_name}: {:?}\n  {b_name}: {:?}",
            a.columns, b.columns
        ));
    }
    let mut unmatched_b: Vec<bool> = vec![true; b.rows.len()];
    let mut only_a = Vec::new();
    for ra in &a.rows {
        match (0..b.rows.len()).find(|&j| unmatched_b[j] && same_row(ra, &b.rows[j], &a.columns)) {
            Some(j) => unmatched_b[j] = false,
            None => only_a.push(ra),
        }
    }
    let only_b: Vec<&Vec<Value>> = b
        .rows
        .iter()
        .zip(&unmatched_b)
        .filter(|(_, u)| **u)
        .map(|(r, _)| r)
        .collect();
    if only_a.is_empty() && only_b.is_empty() {
        return None;
    }
    let mut out = format!(
        "{} rows in {a_name}, {} in {b_name}; {} only in {a_name}, {} only in {b_name}",
        a.rows.len(),
        b.rows.len(),
        only_a.len(),
        only_b.len()
    );
    for (name, rows) in [(a_name, &only_a), (b_name, &only_b)] {
        for r in rows.iter().take(6) {
            out += &format!("\n  only in {name}: {}", show_row(r, &a.columns));
        }
        if rows.len() > 6 {
            out += &format!("\n  ... and {} more only in {name}", rows.len() - 6);
        }
    }
    Some(out)
}

/// Panics with `what` and the difference unless the tables hold the same rows.
#[track_caller]
pub fn assert_same_rows(what: &str, actual: &Table, expected: &Table) {
    if let Some(d) = table_diff(actual, "actual", expected, "expected") {
        panic!("{what}:\n{d}");
    }
}

/// A database synced once, from nothing, over a tree: what the run-by-run database must equal.
pub struct FreshRun {
    pub database: String,
    pub client: clickhouse::Client,
    _state: tempfile::TempDir,
}

impl FreshRun {
    /// One sync of `claude_dirs` as `machine` into a new database with a new state dir.
    pub async fn of(env: &Env, machine: &str, claude_dirs: &[PathBuf]) -> FreshRun {
        let state = tempfile::tempdir().unwrap();
        let mut cfg = env.config_for(machine, &claude_dirs[0]);
        cfg.claude_dirs = claude_dirs.to_vec();
        cfg.state_dir = state.path().to_path_buf();
        cfg.clickhouse.database = fresh_db("fresh");
        let report = ccsync::sync::sync_once(&cfg)
            .await
            .unwrap_or_else(|e| panic!("the fresh run failed: {e:#}"));
        assert_eq!(report.status, "ok", "the fresh run: {report:?}");
        let s = server();
        FreshRun {
            client: clickhouse::Client::default()
                .with_url(&s.url)
                .with_user(&s.user)
                .with_password(&s.password)
                .with_database(&cfg.clickhouse.database),
            database: cfg.clickhouse.database,
            _state: state,
        }
    }

    /// A fresh run of `env`'s own tree, as `env`'s machine.
    pub async fn of_env(env: &Env) -> FreshRun {
        FreshRun::of(env, &env.machine, &[env.claude_dir()]).await
    }

    pub async fn drop_database(self) {
        self.client
            .query(&format!("DROP DATABASE IF EXISTS `{}`", self.database))
            .execute()
            .await
            .unwrap();
    }
}

/// One UTC day's totals (as ccusage reports them).
pub(crate) use crate::parity::Day;

/// `ccusage claude daily --json --offline --timezone UTC` (cost mode auto, as ccsync's default).
pub fn ccusage_days(dirs: &[&Path]) -> Vec<Day> {
    crate::parity::ccusage_daily(dirs, "auto")
}

/// Per-UTC-day totals of Claude Code's rows in `usage_events FINAL` (days as `toDate32`, so
/// 1900-2299), with `settings`.
pub async fn event_days(client: &clickhouse::Client, settings: &[(&str, &str)]) -> Vec<Day> {
    let t = fetch_sql(
        client,
        "SELECT toString(toDate32(timestamp, 'UTC')) AS date, sum(input_tokens), \
         sum(output_tokens), sum(cache_creation_input_tokens), sum(cache_read_input_tokens), \
         sum(cost_usd) FROM usage_events FINAL WHERE source = 'claude' GROUP BY date ORDER BY date",
        settings,
    )
    .await;
    days_of(&t)
}

/// Per-day totals from a table whose columns are date, input, output, cache writes, cache
/// reads, cost (in that order).
pub fn days_of(t: &Table) -> Vec<Day> {
    t.rows
        .iter()
        .map(|r| Day {
            date: r[0].as_str().unwrap().to_string(),
            input: r[1].as_u64().unwrap(),
            output: r[2].as_u64().unwrap(),
            cache_creation: r[3].as_u64().unwrap(),
            cache_read: r[4].as_u64().unwrap(),
            cost: r[5].as_f64().unwrap(),
        })
        .collect()
}

/// `None` if the days are ccusage's (tokens exact, cost within 0.01%), else the differences.
pub fn days_diff(ours: &[Day], ccusage: &[Day]) -> Option<String> {
    let show = |d: &Day| {
        format!(
            "{} in={} out={} cache_write={} cache_read={} cost={}",
            d.date, d.input, d.output, d.cache_creation, d.cache_read, d.cost
        )
    };
    let same = |a: &Day, b: &Day| {
        (&a.date, a.input, a.output, a.cache_creation, a.cache_read)
            == (&b.date, b.input, b.output, b.cache_creation, b.cache_read)
            && (a.cost - b.cost).abs() <= b.cost.abs() * 1e-4 + 1e-9
    };
    if ours.len() == ccusage.len() && ours.iter().zip(ccusage).all(|(a, b)| same(a, b)) {
        return None;
    }
    let mut out = String::from("per-day totals differ from ccusage's");
    for d in ours.iter().filter(|d| !ccusage.iter().any(|c| same(d, c))) {
        out += &format!("\n  ours only:    {}", show(d));
    }
    for d in ccusage.iter().filter(|c| !ours.iter().any(|d| same(d, c))) {
        out += &format!("\n  ccusage only: {}", show(d));
    }
    Some(out)
}

/// The keys of a pretty-printed JSON text, in the order they are written (ccusage's reports
/// sort them; ours must write them in the same order).
pub fn json_keys(text: &str) -> Vec<&str> {
    (text.lines())
        .filter_map(|l| l.trim_start().strip_prefix('"')?.split_once("\": "))
        .map(|(key, _)| key)
        .collect()
}

/// Where our JSON report differs from ccusage's: numbers `approx(path, ours, theirs)` accepts
/// (costs) within 0.01%, everything else exactly, arrays in order.
pub fn json_difference(
    ours: &serde_json::Value,
    theirs: &serde_json::Value,
    at: &str,
    approx: fn(&str, &serde_json::Number, &serde_json::Number) -> bool,
) -> Option<String> {
    use serde_json::Value;
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) if a.len() == b.len() => {
            (a.iter()).find_map(|(k, v)| match b.get(k) {
                Some(w) => json_difference(v, w, &format!("{at}.{k}"), approx),
                None => Some(format!("{at}.{k}: ccusage has no such key")),
            })
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => (a.iter().zip(b).enumerate())
            .find_map(|(i, (v, w))| json_difference(v, w, &format!("{at}[{i}]"), approx)),
        (Value::Number(a), Value::Number(b)) if approx(at, a, b) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            ((a - b).abs() > b.abs() * 1e-4 + 1e-12).then(|| format!("{at}: {a} vs ccusage's {b}"))
        }
        _ => (ours != theirs).then(|| format!("{at}: {ours} vs ccusage's {theirs}")),
    }
}

/// The stdout of a command that must have succeeded (`what` names it if not).
pub fn stdout_of(out: std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
