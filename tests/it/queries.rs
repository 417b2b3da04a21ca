//! The query pack in `queries/` runs against real data with server-side parameters.

use std::path::Path;

use ccsync::store::query::{self, Table};
use ccsync::sync::sync_once;
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn daily_by_machine_splits_days_and_machines() {
    let env = Env::new("q_daily");
    let a = env.dir.path().join("a");
    let b = env.dir.path().join("b");
    for (dir, lines_) in [
        (
            &a,
            lines(&[
                line("a1", "2026-01-05T10:00:00.000Z"),
                line("a2", "2026-01-06T23:30:00.000Z"),
            ]),
        ),
        (
            &b,
            lines(&[line("b1", "2026-01-05T12:00:00.000Z").tokens(1, 2, 3, 4, 5)]),
        ),
    ] {
        let p = dir.join("projects/-p/s.jsonl");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, lines_).unwrap();
    }
    sync_once(&env.config_for("alpha", &a)).await.unwrap();
    sync_once(&env.config_for("beta", &b)).await.unwrap();
    let sql = std::fs::read_to_string(repo().join("queries/daily_by_machine.sql")).unwrap();
    let run = |machine: &'static str, tz: &'static str| {
        let sql = sql.clone();
        let client = env.client();
        async move {
            client
                .query(&sql)
                .param("machine", machine)
                .param("source", "")
                .param("since", "2026-01-01")
                .param("until", "2026-12-31")
                .param("tz", tz)
                .fetch_all::<(i32, String, u64, u64, u64, u64, u64, f64)>()
                .await
                .unwrap()
        }
    };
    let all = run("", "UTC").await;
    let shape: Vec<(String, u64, u64, u64)> =
        all.iter().map(|r| (r.1.clone(), r.2, r.3, r.4)).collect();
    assert_eq!(
        shape,
        vec![
            ("alpha".into(), 1, 10, 100),
            ("beta".into(), 1, 1, 2),
            ("alpha".into(), 1, 10, 100)
        ]
    );
    let beta = run("beta", "UTC").await;
    assert_eq!(beta.len(), 1);
    assert_eq!(
        (beta[0].5, beta[0].6),
        (7, 5),
        "5m+1h cache writes, cache reads"
    );
    // In UTC+2 alpha's 23:30 message moves to the next day.
    let shifted = run("alpha", "Europe/Athens").await;
    assert_eq!(shifted.len(), 2);
    assert_eq!(
        shifted[1].0 - shifted[0].0,
        2,
        "days 2026-01-05 and 2026-01-07"
    );
}

// ---------------------------------------------------------------------------------------------
// The whole pack against one fixture with known content.
//
// Machines (all times UTC):
// - alpha: -home-me-app (sessions sA1, sA2) and -home-me-lib (sA3). sA1 = a1..a4 on 2026-01-05
//   (cost 1, 1, 2 [opus-4-6], 1; a4 at 23:30 is 2026-01-06 in Athens), sA2 = a5 (0.5) and the
//   subagent line a6 (0.25) on 2026-01-12, branch feature-x; sA3 = a7 (10.0, 1000 in/2000 out)
//   on 2026-01-20.
// - beta: -home-me-app (sB1): the 5-hour block sequence b1..b6 on 2026-01-06 (10:30, 15:00:00.000,
//   15:00:00.001, 19:59:59.999, 20:30, 20:45; cost 1 each, b6 0.5); -home-me-api (sB2) on
//   2026-01-07: cache lines b7/b8 (priced: 0.00678, 0.00903), a <synthetic> failed call b9, an
//   unknown model b10, an opus-4-6 fast call b11 (0.18) and a 251k-token context b12 (1.0).
// - gamma: a byte copy of alpha's sA1.jsonl (the same transcripts synced from two machines), g1
//   in -home-me-web on 2026-01-08 (3.0) and g2 in -Users-me-api (cwd /Users/me/api) on
//   2026-01-09 (2.0).
// - delta: only failed sync runs.
// Unless set, a line has 100 input and 200 output tokens and its cost is given as costUSD.
// ---------------------------------------------------------------------------------------------

pub const OPUS: &str = "claude-opus-4-6";

fn ev(msg: &str, ts: &str, cost: f64) -> Line {
    line(msg, ts).tokens(100, 200, 0, 0, 0).cost_usd(cost)
}

/// Writes a transcript with the given session, cwd, git branch and Claude Code version.
fn transcript(
    root: &Path,
    project: &str,
    session: &str,
    cwd: &str,
    branch: &str,
    version: &str,
    ls: Vec<Line>,
) {
    let body: String = ls
        .into_iter()
        .map(|mut l| {
            l.session = session.into();
            l.cwd = cwd.into();
            l.json()
                .replace(
                    "\"gitBranch\":\"main\"",
                    &format!("\"gitBranch\":\"{branch}\""),
                )
                .replace(
                    "\"version\":\"2.1.20\"",
                    &format!("\"version\":\"{version}\""),
                )
        })
        .collect();
    let path = root
        .join("projects")
        .join(project)
        .join(format!("{session}.jsonl"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, body).unwrap();
}

/// Builds the fixture (see above) in a fresh database, through the real sync pipeline; the
/// sync_runs rows are then replaced by crafted ones with known times.
pub async fn fixture(test: &str) -> Env {
    let env = Env::new(test);
    let (a, b, g) = (
        env.dir.path().join("a"),
        env.dir.path().join("b"),
        env.dir.path().join("g"),
    );
    let app = "/home/me/app";
    transcript(
        &a,
        "-home-me-app",
        "sA1",
        app,
        "main",
        "2.1.20",
        vec![
            ev("a1", "2026-01-05T09:10:00.000Z", 1.0),
            ev("a2", "2026-01-05T11:00:00.000Z", 1.0),
            ev("a3", "2026-01-05T14:20:00.000Z", 2.0).model(OPUS),
            ev("a4", "2026-01-05T23:30:00.000Z", 1.0),
        ],
    );
    transcript(
        &a,
        "-home-me-app",
        "sA2",
        app,
        "feature-x",
        "2.1.30",
        vec![
            ev("a5", "2026-01-12T10:00:00.000Z", 0.5),
            ev("a6", "2026-01-12T10:30:00.000Z", 0.25).sidechain(),
        ],
    );
    transcript(
        &a,
        "-home-me-lib",
        "sA3",
        "/home/me/lib",
        "main",
        "2.1.30",
        vec![ev("a7", "2026-01-20T08:00:00.000Z", 10.0).tokens(1000, 2000, 0, 0, 0)],
    );
    transcript(
        &b,
        "-home-me-app",
        "sB1",
        app,
        "main",
        "2.1.20",
        vec![
            ev("b1", "2026-01-06T10:30:00.000Z", 1.0),
            ev("b2", "2026-01-06T15:00:00.000Z", 1.0),
            ev("b3", "2026-01-06T15:00:00.001Z", 1.0),
            ev("b4", "2026-01-06T19:59:59.999Z", 1.0),
            ev("b5", "2026-01-06T20:30:00.000Z", 1.0),
            ev("b6", "2026-01-06T20:45:00.000Z", 0.5),
        ],
    );
    transcript(
        &b,
        "-home-me-api",
        "sB2",
        "/home/me/api",
        "main",
        "2.1.20",
        vec![
            line("b7", "2026-01-07T09:00:00.000Z").tokens(10, 100, 1000, 0, 5000),
            line("b8", "2026-01-07T09:10:00.000Z").tokens(10, 100, 0, 1000, 5000),
            line("b9", "2026-01-07T09:20:00.000Z")
                .model("<synthetic>")
                .tokens(5, 0, 0, 0, 0),
            line("b10", "2026-01-07T09:30:00.000Z")
                .model("mystery-model-1")
                .tokens(100, 100, 0, 0, 0),
            line("b11", "2026-01-07T09:40:00.000Z")
                .model(OPUS)
                .fast()
                .tokens(1000, 1000, 0, 0, 0),
            ev("b12", "2026-01-07T09:50:00.000Z", 1.0).tokens(1000, 10, 0, 0, 250_000),
        ],
    );
    let copy = g.join("projects/-home-me-app/sA1.jsonl");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(a.join("projects/-home-me-app/sA1.jsonl"), copy).unwrap();
    transcript(
        &g,
        "-home-me-web",
        "sG1",
        "/home/me/web",
        "main",
        "2.1.20",
        vec![ev("g1", "2026-01-08T12:00:00.000Z", 3.0)],
    );
    transcript(
        &g,
        "-Users-me-api",
        "sG2",
        "/Users/me/api",
        "main",
        "2.1.20",
        vec![ev("g2", "2026-01-09T12:00:00.000Z", 2.0)],
    );
    for (machine, dir) in [("alpha", &a), ("beta", &b), ("gamma", &g)] {
        let report = sync_once(&env.config_for(machine, dir)).await.unwrap();
        assert_eq!(report.stats.lines_skipped, 0, "{machine}");
    }
    let client = env.client();
    client
        .query("TRUNCATE TABLE sync_runs")
        .execute()
        .await
        .unwrap();
    client
        .query(
            "INSERT INTO sync_runs (run_id, machine_name, started_at, finished_at, status, error, \
             rows_inserted, lines_skipped, skipped_by_reason, unknown_models, duration_ms) VALUES \
             ('r1', 'alpha', '2026-01-20 07:59:59', '2026-01-20 08:00:00', 'failed', 'connection refused', 0, 0, {}, [], 1000), \
             ('r2', 'alpha', '2026-01-20 08:59:55', '2026-01-20 09:00:00', 'ok', '', 7, 2, {'invalid_json': 2}, [], 5000), \
             ('r3', 'beta', '2026-01-07 09:59:58', '2026-01-07 10:00:00', 'ok', '', 12, 0, {}, ['mystery-model-1'], 2000), \
             ('r4', 'gamma', '2026-01-19 11:59:57', '2026-01-19 12:00:00', 'ok', '', 6, 1, {'missing_timestamp': 1}, [], 3000), \
             ('r5', 'gamma', '2026-01-20 09:30:00', '2026-01-20 09:30:00.500', 'failed', 'authentication failed', 0, 0, {}, [], 500), \
             ('r6', 'delta', '2026-01-20 07:00:00', '2026-01-20 07:00:01', 'failed', 'no transcripts', 0, 0, {}, [], 1000)",
        )
        .execute()
        .await
        .unwrap();
    env
}

// ---------------------------------------------------------------------------------------------
// Two sources. `fixture` is all `claude` (the only source the agent syncs today); the same rows
// plus Codex's (`source = 'codex'`: transcripts synced through the real pipeline into a staging
// database, then copied with their source relabelled):
// - alpha, -home-me-app (session cA1): x1 2026-01-05T12:00Z (cost 0.5), x2 2026-01-12T10:05Z
//   (1.5, in the bucket of claude's a5, which is exactly on the hour: billing_blocks reads that
//   bucket row by row);
// - beta, -home-me-api (cB1): x3 2026-01-06T08:00Z (0.25: it would open a 5-hour block before
//   claude's first one of that day if blocks mixed sources), x4 2026-01-07T09:05Z (2.0, in the
//   bucket of claude's b7);
// - gamma, -home-me-web (cG1): a1 2026-01-05T09:10Z (0.75): the message and request id of
//   claude's a1 (stored on alpha and gamma), a different response as it is another source's;
// - sync runs: alpha ok at 2026-01-20 08:30, beta failed at 2026-01-19 10:00, gamma ok at
//   2026-01-18 12:00.
// All gpt-5-codex, 100 input and 200 output tokens each, cost given as costUSD.
// ---------------------------------------------------------------------------------------------

pub const CODEX_MODEL: &str = "gpt-5-codex";

/// The three databases of the two-source tests: the same rows, by source.
pub struct TwoSources {
    /// `fixture`: every row `claude`.
    pub claude: Env,
    /// Codex's rows alone.
    pub codex: Env,
    /// Both: `claude`'s rows and `codex`'s, copied verbatim.
    pub both: Env,
}

/// A database with the schema and nothing else.
async fn empty_database(test: &str) -> Env {
    let env = Env::new(test);
    let cfg = env.config();
    ccsync::store::schema::apply(&ccsync::store::client::Sink::new(&cfg.clickhouse).unwrap())
        .await
        .unwrap();
    env
}

/// Copies every row of the usage and run tables of `from` into `to` (no FINAL: superseded rows
/// and tombstones too, so `FINAL` reads the same), with `source` set to `source` if given.
async fn copy_rows(from: &Env, to: &Env, source: Option<&str>) {
    for table in ["usage_events", "usage_rollup", "sync_runs"] {
        let select = match source {
            Some(s) => format!("SELECT * REPLACE ('{s}' AS source)"),
            None => "SELECT *".to_string(),
        };
        to.client()
            .query(&format!(
                "INSERT INTO {table} {select} FROM `{}`.{table}",
                from.database
            ))
            .execute()
            .await
            .unwrap();
    }
}

pub async fn two_sources(test: &str) -> TwoSources {
    let claude = fixture(&format!("{test}_claude")).await;
    // Codex's transcripts, synced as the pipeline syncs them (rows labelled `claude`).
    let staging = Env::new(&format!("{test}_staging"));
    let x = |msg: &str, ts: &str, cost: f64| ev(msg, ts, cost).model(CODEX_MODEL);
    for (machine, project, session, cwd, ls) in [
        (
            "alpha",
            "-home-me-app",
            "cA1",
            "/home/me/app",
            vec![
                x("x1", "2026-01-05T12:00:00.000Z", 0.5),
                x("x2", "2026-01-12T10:05:00.000Z", 1.5),
            ],
        ),
        (
            "beta",
            "-home-me-api",
            "cB1",
            "/home/me/api",
            vec![
                x("x3", "2026-01-06T08:00:00.000Z", 0.25),
                x("x4", "2026-01-07T09:05:00.000Z", 2.0),
            ],
        ),
        (
            "gamma",
            "-home-me-web",
            "cG1",
            "/home/me/web",
            vec![x("a1", "2026-01-05T09:10:00.000Z", 0.75)],
        ),
    ] {
        let dir = staging.dir.path().join(machine);
        transcript(&dir, project, session, cwd, "main", "0.40.0", ls);
        let report = sync_once(&staging.config_for(machine, &dir)).await.unwrap();
        assert_eq!(report.stats.lines_skipped, 0, "{machine}");
    }
    staging
        .client()
        .query("TRUNCATE TABLE sync_runs")
        .execute()
        .await
        .unwrap();
    staging
        .client()
        .query(
            "INSERT INTO sync_runs (run_id, machine_name, started_at, finished_at, status, error, \
             rows_inserted, lines_skipped, skipped_by_reason, unknown_models, duration_ms) VALUES \
             ('x1', 'alpha', '2026-01-20 08:30:00', '2026-01-20 08:30:01', 'ok', '', 2, 0, {}, [], 1000), \
             ('x2', 'beta', '2026-01-19 10:00:00', '2026-01-19 10:00:02', 'failed', 'sessions unreadable', 0, 0, {}, [], 2000), \
             ('x3', 'gamma', '2026-01-18 12:00:00', '2026-01-18 12:00:04', 'ok', '', 1, 3, {'invalid_json': 3}, [], 4000)",
        )
        .execute()
        .await
        .unwrap();
    let codex = empty_database(&format!("{test}_codex")).await;
    copy_rows(&staging, &codex, Some("codex")).await;
    let both = empty_database(&format!("{test}_both")).await;
    copy_rows(&claude, &both, None).await;
    copy_rows(&codex, &both, None).await;
    staging
        .client()
        .query(&format!("DROP DATABASE `{}`", staging.database))
        .execute()
        .await
        .unwrap();
    TwoSources {
        claude,
        codex,
        both,
    }
}

/// Runs queries of the pack through the runner's own binding and execution, and records which
/// ran so each group proves it covered its list.
pub struct Pack<'a> {
    pub env: &'a Env,
    expected: &'static [&'static str],
    ran: std::cell::RefCell<std::collections::BTreeSet<&'static str>>,
}

impl<'a> Pack<'a> {
    pub fn new(env: &'a Env, expected: &'static [&'static str]) -> Self {
        Pack {
            env,
            expected,
            ran: Default::default(),
        }
    }

    pub async fn run(&self, name: &'static str, params: &[(&str, &str)]) -> Table {
        assert!(self.expected.contains(&name), "{name} is not in this group");
        self.ran.borrow_mut().insert(name);
        let q = query::find(name).unwrap();
        let given: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let values = query::bind(q, &given).unwrap();
        query::fetch_table(&self.env.client(), q, &values)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:#}"))
    }

    pub fn done(self) {
        let ran: Vec<&str> = self.ran.into_inner().into_iter().collect();
        let mut expected = self.expected.to_vec();
        expected.sort_unstable();
        assert_eq!(ran, expected, "every query of the group ran");
    }
}

/// The named columns of every row.
pub fn pick(t: &Table, cols: &[&str]) -> Value {
    for c in cols {
        assert!(t.column(c).is_some(), "no column {c} in {:?}", t.columns);
    }
    Value::Array(
        (0..t.rows.len())
            .map(|r| Value::Array(cols.iter().map(|c| t.get(r, c).clone()).collect()))
            .collect(),
    )
}

/// Equal, numbers within 1e-9 (relative): the SQL rounds, floats may differ in the last bit.
#[track_caller]
pub fn assert_same(actual: &Value, expected: &Value) {
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
            }
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
            }
            _ => a == b,
        }
    }
    assert!(
        same(actual, expected),
        "\n actual: {actual}\nexpected: {expected}"
    );
}

pub const SONNET: &str = "claude-sonnet-4-5-20250929";

const TIME_SERIES: &[&str] = &[
    "daily_by_machine",
    "daily_by_source",
    "weekly_by_machine",
    "monthly_by_machine",
    "global_daily",
    "daily_by_model",
    "hourly_by_machine",
    "cumulative_cost",
    "overview",
    "hourly_heatmap",
];
const MACHINES: &[&str] = &[
    "machine_ranking",
    "machine_comparison",
    "model_by_machine",
    "model_usage",
    "fast_mode_usage",
    "sidechain_usage",
    "api_errors",
    "unknown_models",
    "claude_versions",
    "cross_machine_duplicates",
];
const PROJECTS: &[&str] = &[
    // The rows of `ccsync report` (its parity with ccusage: tests/it/report.rs).
    "report_rows",
    "projects_across_machines",
    "project_costs",
    "project_daily",
    "git_branches",
    "sessions",
    "session_stats",
];
const BLOCKS: &[&str] = &["billing_blocks"];
const COSTS: &[&str] = &[
    "cache_efficiency",
    "cost_by_token_kind",
    "context_size",
    "daily_anomalies",
    "budget_status",
];
const SYNC: &[&str] = &["freshness", "sync_history", "sync_health"];

#[test]
fn the_groups_below_cover_every_query_of_the_pack() {
    let mut covered: Vec<&str> = [TIME_SERIES, MACHINES, PROJECTS, BLOCKS, COSTS, SYNC].concat();
    covered.sort_unstable();
    let mut pack: Vec<&str> = query::pack().iter().map(|q| q.name.as_str()).collect();
    pack.sort_unstable();
    assert_eq!(covered, pack);
}

#[tokio::test]
async fn time_series_queries_split_days_weeks_months_and_count_duplicates_once_globally() {
    let env = fixture("q_time").await;
    let p = Pack::new(&env, TIME_SERIES);

    let t = p.run("daily_by_machine", &[]).await;
    let cols = [
        "day",
        "machine_name",
        "messages",
        "input_tokens",
        "output_tokens",
        "cache_creation_tokens",
        "cache_read_tokens",
        "cost_usd",
    ];
    assert_same(
        &pick(&t, &cols),
        &json!([
            ["2026-01-05", "alpha", 4, 400, 800, 0, 0, 5.0],
            ["2026-01-05", "gamma", 4, 400, 800, 0, 0, 5.0],
            ["2026-01-06", "beta", 6, 600, 1200, 0, 0, 5.5],
            // b7..b12: input 10+10+5+100+1000+1000, output 100+100+0+100+1000+10, cache writes
            // 1000 (5m) + 1000 (1h), reads 5000+5000+250000; cost 0.00678+0.00903+0+0+0.18+1.
            ["2026-01-07", "beta", 6, 2125, 1310, 2000, 260000, 1.1958],
            ["2026-01-08", "gamma", 1, 100, 200, 0, 0, 3.0],
            ["2026-01-09", "gamma", 1, 100, 200, 0, 0, 2.0],
            ["2026-01-12", "alpha", 2, 200, 400, 0, 0, 0.75],
            ["2026-01-20", "alpha", 1, 1000, 2000, 0, 0, 10.0],
        ]),
    );
    // Athens is UTC+2: a4 (23:30 UTC) belongs to the 6th there.
    let t = p
        .run(
            "daily_by_machine",
            &[("machine", "alpha"), ("tz", "Europe/Athens")],
        )
        .await;
    assert_same(
        &pick(&t, &["day", "messages", "cost_usd"]),
        &json!([
            ["2026-01-05", 3, 4.0],
            ["2026-01-06", 1, 1.0],
            ["2026-01-12", 2, 0.75],
            ["2026-01-20", 1, 10.0],
        ]),
    );
    let t = p
        .run(
            "daily_by_machine",
            &[("since", "2026-01-06"), ("until", "2026-01-08")],
        )
        .await;
    assert_same(
        &pick(&t, &["day", "machine_name"]),
        &json!([
            ["2026-01-06", "beta"],
            ["2026-01-07", "beta"],
            ["2026-01-08", "gamma"],
        ]),
    );

    // One source here: each day's machines added up (gamma's copy of sA1 counted on gamma too).
    let t = p.run("daily_by_source", &[("tz", "Europe/Athens")]).await;
    assert_same(
        &pick(
            &t,
            &[
                "day",
                "source",
                "machines",
                "messages",
                "cache_read_tokens",
                "cost_usd",
            ],
        ),
        &json!([
            ["2026-01-05", "claude", 2, 6, 0, 8.0],
            ["2026-01-06", "claude", 3, 8, 0, 7.5],
            ["2026-01-07", "claude", 1, 6, 260000, 1.1958],
            ["2026-01-08", "claude", 1, 1, 0, 3.0],
            ["2026-01-09", "claude", 1, 1, 0, 2.0],
            ["2026-01-12", "claude", 1, 2, 0, 0.75],
            ["2026-01-20", "claude", 1, 1, 0, 10.0],
        ]),
    );

    let t = p.run("weekly_by_machine", &[]).await;
    assert_same(
        &pick(
            &t,
            &[
                "week",
                "machine_name",
                "active_days",
                "messages",
                "total_tokens",
                "cost_usd",
            ],
        ),
        &json!([
            ["2026-01-05", "alpha", 1, 4, 1200, 5.0],
            // 1800 on the 6th + 6110 + 6110 + 5 + 200 + 2000 + 251010 on the 7th.
            ["2026-01-05", "beta", 2, 12, 267235, 6.6958],
            ["2026-01-05", "gamma", 3, 6, 1800, 10.0],
            ["2026-01-12", "alpha", 1, 2, 600, 0.75],
            ["2026-01-19", "alpha", 1, 1, 3000, 10.0],
        ]),
    );
    let t = p
        .run("monthly_by_machine", &[("tz", "Europe/Athens")])
        .await;
    assert_same(
        &pick(
            &t,
            &[
                "month",
                "machine_name",
                "active_days",
                "messages",
                "cost_usd",
            ],
        ),
        &json!([
            ["2026-01-01", "alpha", 4, 7, 15.75],
            ["2026-01-01", "beta", 2, 12, 6.6958],
            ["2026-01-01", "gamma", 4, 6, 10.0],
        ]),
    );

    // gamma's copy of alpha's sA1.jsonl: same (message_id, request_id), counted once.
    let t = p.run("global_daily", &[]).await;
    assert_same(
        &pick(
            &t,
            &[
                "day",
                "machines",
                "messages",
                "duplicates",
                "total_tokens",
                "cost_usd",
            ],
        ),
        &json!([
            ["2026-01-05", 2, 4, 4, 1200, 5.0],
            ["2026-01-06", 1, 6, 0, 1800, 5.5],
            ["2026-01-07", 1, 6, 0, 265435, 1.1958],
            ["2026-01-08", 1, 1, 0, 300, 3.0],
            ["2026-01-09", 1, 1, 0, 300, 2.0],
            ["2026-01-12", 1, 2, 0, 600, 0.75],
            ["2026-01-20", 1, 1, 0, 3000, 10.0],
        ]),
    );

    let t = p.run("daily_by_model", &[]).await;
    assert_same(
        &pick(
            &t,
            &["day", "model_name", "machines", "messages", "cost_usd"],
        ),
        &json!([
            ["2026-01-05", SONNET, 2, 6, 6.0],
            ["2026-01-05", OPUS, 2, 2, 4.0],
            ["2026-01-06", SONNET, 1, 6, 5.5],
            ["2026-01-07", SONNET, 1, 3, 1.0158],
            ["2026-01-07", "claude-opus-4-6-fast", 1, 1, 0.18],
            ["2026-01-07", "mystery-model-1", 1, 1, 0.0],
            ["2026-01-08", SONNET, 1, 1, 3.0],
            ["2026-01-09", SONNET, 1, 1, 2.0],
            ["2026-01-12", SONNET, 1, 2, 0.75],
            ["2026-01-20", SONNET, 1, 1, 10.0],
        ]),
    );

    let t = p.run("hourly_by_machine", &[("machine", "beta")]).await;
    assert_same(
        &pick(&t, &["hour", "messages", "cost_usd"]),
        &json!([
            ["2026-01-06 10:00:00", 1, 1.0],
            ["2026-01-06 15:00:00", 2, 2.0],
            ["2026-01-06 19:00:00", 1, 1.0],
            ["2026-01-06 20:00:00", 2, 1.5],
            ["2026-01-07 09:00:00", 6, 1.1958],
        ]),
    );
    // A half-hour zone (UTC+5:30) moves messages across hour and day boundaries.
    let t = p
        .run(
            "hourly_by_machine",
            &[("machine", "alpha"), ("tz", "Asia/Kolkata")],
        )
        .await;
    assert_same(
        &pick(&t, &["hour", "messages"]),
        &json!([
            ["2026-01-05 14:00:00", 1],
            ["2026-01-05 16:00:00", 1],
            ["2026-01-05 19:00:00", 1],
            ["2026-01-06 05:00:00", 1],
            ["2026-01-12 15:00:00", 1],
            ["2026-01-12 16:00:00", 1],
            ["2026-01-20 13:00:00", 1],
        ]),
    );

    let t = p.run("cumulative_cost", &[]).await;
    assert_same(
        &pick(
            &t,
            &["day", "machine_name", "cost_usd", "cumulative_cost_usd"],
        ),
        &json!([
            ["2026-01-05", "alpha", 5.0, 5.0],
            ["2026-01-05", "gamma", 5.0, 5.0],
            ["2026-01-06", "beta", 5.5, 5.5],
            ["2026-01-07", "beta", 1.1958, 6.6958],
            ["2026-01-08", "gamma", 3.0, 8.0],
            ["2026-01-09", "gamma", 2.0, 10.0],
            ["2026-01-12", "alpha", 0.75, 5.75],
            ["2026-01-20", "alpha", 10.0, 15.75],
        ]),
    );

    let cols = [
        "today",
        "cost_today_usd",
        "cost_this_week_usd",
        "cost_this_month_usd",
        "cost_total_usd",
        "messages_today",
        "messages_total",
        "total_tokens",
        "machines",
        "machines_active_7d",
        "projects",
        "sessions",
    ];
    let t = p.run("overview", &[("as_of", "2026-01-20 10:00:00")]).await;
    // 32.44581 per machine minus gamma's 5.0 copy; 25 rows minus 4 copies; 4800 + 267235 + 600.
    assert_same(
        &pick(&t, &cols),
        &json!([[
            "2026-01-20",
            10.0,
            10.0,
            27.4458,
            27.4458,
            1,
            21,
            272635,
            3,
            1,
            5,
            7
        ]]),
    );
    let t = p.run("overview", &[("as_of", "2026-01-07 12:00:00")]).await;
    assert_same(
        &pick(&t, &cols),
        &json!([[
            "2026-01-07",
            1.1958,
            11.6958,
            11.6958,
            11.6958,
            6,
            16,
            267235 + 1200,
            3,
            3,
            // -home-me-app and -home-me-api; sessions sA1, sB1, sB2.
            2,
            3
        ]]),
    );
    let t = p
        .run(
            "overview",
            &[("as_of", "2026-01-20 10:00:00"), ("machine", "gamma")],
        )
        .await;
    assert_same(
        &pick(&t, &["cost_total_usd", "messages_total", "machines"]),
        &json!([[10.0, 6, 1]]),
    );

    let t = p.run("hourly_heatmap", &[]).await;
    assert_same(
        &pick(
            &t,
            &["weekday", "weekday_name", "hour", "messages", "cost_usd"],
        ),
        &json!([
            [1, "Monday", 9, 2, 2.0],
            [1, "Monday", 10, 2, 0.75],
            [1, "Monday", 11, 2, 2.0],
            [1, "Monday", 14, 2, 4.0],
            [1, "Monday", 23, 2, 2.0],
            [2, "Tuesday", 8, 1, 10.0],
            [2, "Tuesday", 10, 1, 1.0],
            [2, "Tuesday", 15, 2, 2.0],
            [2, "Tuesday", 19, 1, 1.0],
            [2, "Tuesday", 20, 2, 1.5],
            [3, "Wednesday", 9, 6, 1.1958],
            [4, "Thursday", 12, 1, 3.0],
            [5, "Friday", 12, 1, 2.0],
        ]),
    );
    p.done();
}

#[tokio::test]
async fn machine_queries_rank_compare_and_break_down_models() {
    let env = fixture("q_machines").await;
    let p = Pack::new(&env, MACHINES);

    // Shares of 32.44581; tokens per dollar 4800/15.75, 1800/10, 267235/6.69581.
    let t = p.run("machine_ranking", &[]).await;
    assert_same(
        &pick(
            &t,
            &[
                "rank",
                "machine_name",
                "cost_usd",
                "share_of_cost_pct",
                "total_tokens",
                "tokens_per_dollar",
                "messages",
                "active_days",
                "cost_per_active_day_usd",
            ],
        ),
        &json!([
            [1, "alpha", 15.75, 48.54, 4800, 305, 7, 3, 5.25],
            [2, "gamma", 10.0, 30.82, 1800, 180, 6, 3, 3.3333],
            [3, "beta", 6.6958, 20.64, 267235, 39911, 12, 2, 3.3479],
        ]),
    );
    let t = p
        .run(
            "machine_ranking",
            &[("since", "2026-01-06"), ("until", "2026-01-06")],
        )
        .await;
    assert_same(
        &pick(&t, &["machine_name", "share_of_cost_pct"]),
        &json!([["beta", 100.0]]),
    );

    // beta's cache hit rate: 260000 / (2725 + 2000 + 260000); fast share 0.18 / 6.69581.
    let t = p.run("machine_comparison", &[]).await;
    assert_same(
        &pick(
            &t,
            &[
                "machine_name",
                "active_days",
                "messages_per_active_day",
                "tokens_per_message",
                "cache_hit_rate_pct",
                "subagent_cost_pct",
                "fast_mode_cost_pct",
                "sessions",
                "cost_per_session_usd",
                "top_model",
                "top_project",
            ],
        ),
        &json!([
            [
                "alpha",
                3,
                2.3,
                686,
                0.0,
                1.59,
                0.0,
                3,
                5.25,
                SONNET,
                "-home-me-lib"
            ],
            [
                "gamma",
                3,
                2.0,
                300,
                0.0,
                0.0,
                0.0,
                3,
                3.3333,
                SONNET,
                "-home-me-app"
            ],
            [
                "beta",
                2,
                6.0,
                22270,
                98.22,
                0.0,
                2.69,
                2,
                3.3479,
                SONNET,
                "-home-me-app"
            ],
        ]),
    );

    let t = p.run("model_by_machine", &[("machine", "beta")]).await;
    assert_same(
        &pick(
            &t,
            &[
                "machine_name",
                "model_name",
                "messages",
                "input_tokens",
                "cache_read_tokens",
                "cost_usd",
                "share_of_machine_cost_pct",
            ],
        ),
        &json!([
            ["beta", SONNET, 9, 1620, 260000, 6.5158, 97.31],
            ["beta", "claude-opus-4-6-fast", 1, 1000, 0, 0.18, 2.69],
            ["beta", "mystery-model-1", 1, 100, 0, 0.0, 0.0],
        ]),
    );
    let t = p.run("model_by_machine", &[("machine", "alpha")]).await;
    assert_same(
        &pick(
            &t,
            &[
                "model_name",
                "messages",
                "cost_usd",
                "share_of_machine_cost_pct",
            ],
        ),
        &json!([[SONNET, 6, 13.75, 87.3], [OPUS, 1, 2.0, 12.7],]),
    );

    let t = p.run("model_usage", &[]).await;
    assert_same(
        &pick(
            &t,
            &[
                "model_name",
                "machines",
                "messages",
                "cost_usd",
                "share_of_cost_pct",
            ],
        ),
        &json!([
            [SONNET, ["alpha", "beta", "gamma"], 20, 28.2658, 87.12],
            [OPUS, ["alpha", "gamma"], 2, 4.0, 12.33],
            ["claude-opus-4-6-fast", ["beta"], 1, 0.18, 0.55],
            ["mystery-model-1", ["beta"], 1, 0.0, 0.0],
        ]),
    );

    let t = p.run("fast_mode_usage", &[]).await;
    assert_same(
        &pick(
            &t,
            &[
                "machine_name",
                "model",
                "fast_messages",
                "fast_cost_usd",
                "standard_messages",
                "fast_share_pct",
            ],
        ),
        &json!([["beta", OPUS, 1, 0.18, 0, 100.0],]),
    );

    let t = p.run("sidechain_usage", &[]).await;
    assert_same(
        &pick(
            &t,
            &[
                "machine_name",
                "main_messages",
                "main_cost_usd",
                "subagent_messages",
                "subagent_cost_usd",
                "subagent_tokens",
                "subagent_share_pct",
            ],
        ),
        &json!([
            ["alpha", 6, 15.5, 1, 0.25, 300, 1.59],
            ["beta", 12, 6.6958, 0, 0.0, 0, 0.0],
            ["gamma", 6, 10.0, 0, 0.0, 0, 0.0],
        ]),
    );

    let t = p.run("api_errors", &[]).await;
    assert_same(
        &pick(
            &t,
            &[
                "day",
                "machine_name",
                "messages",
                "synthetic_messages",
                "api_error_messages",
                "failed_pct",
            ],
        ),
        &json!([["2026-01-07", "beta", 6, 1, 0, 16.67],]),
    );

    let t = p.run("unknown_models", &[]).await;
    assert_same(
        &pick(
            &t,
            &[
                "model",
                "machines",
                "messages",
                "input_tokens",
                "output_tokens",
                "first_seen",
            ],
        ),
        &json!([[
            "mystery-model-1",
            ["beta"],
            1,
            100,
            100,
            "2026-01-07 09:30:00.000"
        ],]),
    );

    let t = p.run("claude_versions", &[]).await;
    assert_same(
        &pick(
            &t,
            &[
                "machine_name",
                "claude_version",
                "messages",
                "first_seen",
                "is_latest",
            ],
        ),
        &json!([
            ["alpha", "2.1.20", 4, "2026-01-05 09:10:00.000", 0],
            ["alpha", "2.1.30", 3, "2026-01-12 10:00:00.000", 1],
            ["beta", "2.1.20", 12, "2026-01-06 10:30:00.000", 1],
            ["gamma", "2.1.20", 6, "2026-01-05 09:10:00.000", 1],
        ]),
    );

    let t = p.run("cross_machine_duplicates", &[]).await;
    assert_same(
        &pick(
            &t,
            &[
                "machines",
                "responses",
                "extra_copies",
                "double_counted_cost_usd",
                "projects",
                "first_day",
                "last_day",
            ],
        ),
        &json!([[
            "alpha, gamma",
            4,
            4,
            5.0,
            ["-home-me-app"],
            "2026-01-05",
            "2026-01-05"
        ],]),
    );
    p.done();
}

#[tokio::test]
async fn a_project_worked_on_from_several_machines_and_sessions() {
    let env = fixture("q_projects").await;
    let p = Pack::new(&env, PROJECTS);

    // -home-me-app: alpha 5.75, beta 5.5, gamma 5.0 of 16.25.
    let t = p.run("projects_across_machines", &[]).await;
    let cols = [
        "project",
        "machines",
        "machine_name",
        "cwd",
        "messages",
        "sessions",
        "total_tokens",
        "cost_usd",
        "share_of_project_cost_pct",
    ];
    assert_same(
        &pick(&t, &cols),
        &json!([
            [
                "-home-me-app",
                3,
                "alpha",
                "/home/me/app",
                6,
                2,
                1800,
                5.75,
                35.38
            ],
            [
                "-home-me-app",
                3,
                "beta",
                "/home/me/app",
                6,
                1,
                1800,
                5.5,
                33.85
            ],
            [
                "-home-me-app",
                3,
                "gamma",
                "/home/me/app",
                4,
                1,
                1200,
                5.0,
                30.77
            ],
        ]),
    );
    // By folder name, /home/me/api (beta) and /Users/me/api (gamma) are one project too.
    let t = p
        .run("projects_across_machines", &[("by_name", "true")])
        .await;
    assert_same(
        &pick(
            &t,
            &[
                "project",
                "machines",
                "machine_name",
                "cwd",
                "cost_usd",
                "share_of_project_cost_pct",
            ],
        ),
        &json!([
            ["app", 3, "alpha", "/home/me/app", 5.75, 35.38],
            ["app", 3, "beta", "/home/me/app", 5.5, 33.85],
            ["app", 3, "gamma", "/home/me/app", 5.0, 30.77],
            ["api", 2, "gamma", "/Users/me/api", 2.0, 62.58],
            ["api", 2, "beta", "/home/me/api", 1.1958, 37.42],
        ]),
    );
    // On the 6th only beta worked on it: no longer a cross-machine project.
    let t = p
        .run(
            "projects_across_machines",
            &[("since", "2026-01-06"), ("until", "2026-01-06")],
        )
        .await;
    assert!(t.rows.is_empty());

    let t = p.run("project_costs", &[]).await;
    assert_same(
        &pick(
            &t,
            &[
                "project",
                "cwd",
                "machines",
                "sessions",
                "messages",
                "cost_usd",
                "share_of_cost_pct",
            ],
        ),
        &json!([
            [
                "-home-me-app",
                "/home/me/app",
                ["alpha", "beta", "gamma"],
                4,
                16,
                16.25,
                50.08
            ],
            ["-home-me-lib", "/home/me/lib", ["alpha"], 1, 1, 10.0, 30.82],
            ["-home-me-web", "/home/me/web", ["gamma"], 1, 1, 3.0, 9.25],
            ["-Users-me-api", "/Users/me/api", ["gamma"], 1, 1, 2.0, 6.16],
            ["-home-me-api", "/home/me/api", ["beta"], 1, 6, 1.1958, 3.69],
        ]),
    );
    let t = p
        .run("project_costs", &[("limit", "2"), ("machine", "alpha")])
        .await;
    assert_same(
        &pick(&t, &["project", "cost_usd", "share_of_cost_pct"]),
        &json!([["-home-me-lib", 10.0, 63.49], ["-home-me-app", 5.75, 36.51],]),
    );

    let t = p.run("project_daily", &[("project", "-home-me-app")]).await;
    assert_same(
        &pick(&t, &["day", "project", "machines", "messages", "cost_usd"]),
        &json!([
            ["2026-01-05", "-home-me-app", 2, 8, 10.0],
            ["2026-01-06", "-home-me-app", 1, 6, 5.5],
            ["2026-01-12", "-home-me-app", 1, 2, 0.75],
        ]),
    );

    let t = p.run("git_branches", &[]).await;
    assert_same(
        &pick(
            &t,
            &[
                "project",
                "git_branch",
                "machines",
                "sessions",
                "messages",
                "cost_usd",
            ],
        ),
        &json!([
            [
                "-home-me-app",
                "main",
                ["alpha", "beta", "gamma"],
                3,
                14,
                15.5
            ],
            ["-home-me-lib", "main", ["alpha"], 1, 1, 10.0],
            ["-home-me-web", "main", ["gamma"], 1, 1, 3.0],
            ["-Users-me-api", "main", ["gamma"], 1, 1, 2.0],
            ["-home-me-api", "main", ["beta"], 1, 6, 1.1958],
            ["-home-me-app", "feature-x", ["alpha"], 1, 2, 0.75],
        ]),
    );

    // sA1: 09:10 to 23:30 = 860 minutes.
    let t = p.run("sessions", &[("machine", "alpha")]).await;
    assert_same(
        &pick(
            &t,
            &[
                "session_id",
                "project",
                "first_activity",
                "last_activity",
                "duration_minutes",
                "models",
                "messages",
                "subagent_messages",
                "total_tokens",
                "cost_usd",
            ],
        ),
        &json!([
            [
                "sA3",
                "-home-me-lib",
                "2026-01-20 08:00:00.000",
                "2026-01-20 08:00:00.000",
                0.0,
                [SONNET],
                1,
                0,
                3000,
                10.0
            ],
            [
                "sA2",
                "-home-me-app",
                "2026-01-12 10:00:00.000",
                "2026-01-12 10:30:00.000",
                30.0,
                [SONNET],
                2,
                1,
                600,
                0.75
            ],
            [
                "sA1",
                "-home-me-app",
                "2026-01-05 09:10:00.000",
                "2026-01-05 23:30:00.000",
                860.0,
                [OPUS, SONNET],
                4,
                0,
                1200,
                5.0
            ],
        ]),
    );
    let t = p
        .run(
            "sessions",
            &[
                ("limit", "1"),
                ("tz", "Asia/Tokyo"),
                ("project", "-home-me-app"),
                ("machine", "gamma"),
            ],
        )
        .await;
    assert_same(
        &pick(&t, &["session_id", "first_activity"]),
        &json!([["sA1", "2026-01-05 18:10:00.000"]]),
    );

    // quantileExact picks the value at floor(level * n) of the sorted durations and costs:
    // alpha 0, 30, 860 min and 0.75, 5, 10; beta 50, 615 min and 1.19581, 5.5; gamma 0, 0, 860.
    let t = p.run("session_stats", &[]).await;
    assert_same(
        &pick(
            &t,
            &[
                "machine_name",
                "sessions",
                "median_minutes",
                "p90_minutes",
                "avg_messages",
                "median_cost_usd",
                "p90_cost_usd",
                "longest_minutes",
                "max_cost_usd",
                "most_expensive_session",
                "cost_usd",
            ],
        ),
        &json!([
            [
                "alpha", 3, 30.0, 860.0, 2.3, 5.0, 10.0, 860.0, 10.0, "sA3", 15.75
            ],
            [
                "beta", 2, 615.0, 615.0, 6.0, 5.5, 5.5, 615.0, 5.5, "sB1", 6.6958
            ],
            [
                "gamma", 3, 0.0, 860.0, 2.0, 3.0, 5.0, 860.0, 5.0, "sA1", 10.0
            ],
        ]),
    );
    // report_rows: with responses=1, alpha's responses one row each, as many and costing as
    // much as the sessions say; by default their sums per file, day and model: fewer rows, the
    // same cost. Every machine's rows are more.
    let rows = p
        .run("report_rows", &[("machines", "alpha"), ("responses", "1")])
        .await;
    let sessions = p.run("sessions", &[("machine", "alpha")]).await;
    let sum = |t: &Table, col: &str| -> f64 {
        (0..t.rows.len())
            .map(|r| t.get(r, col).as_f64().unwrap())
            .sum()
    };
    assert_eq!(rows.rows.len() as f64, sum(&sessions, "messages"));
    assert!((sum(&rows, "cost_usd") - sum(&sessions, "cost_usd")).abs() < 1e-3);
    assert!((0..rows.rows.len()).all(|r| rows.get(r, "machine") == "alpha"));
    let sums = p.run("report_rows", &[("machines", "alpha")]).await;
    assert!(
        sums.rows.len() < rows.rows.len(),
        "{} groups",
        sums.rows.len()
    );
    assert!((sum(&sums, "cost_usd") - sum(&sessions, "cost_usd")).abs() < 1e-3);
    let all = p.run("report_rows", &[]).await;
    assert!(all.rows.len() > rows.rows.len());
    p.done();
}

#[tokio::test]
async fn billing_blocks_follow_ccusage_five_hour_rule_per_machine_and_across_machines() {
    let env = fixture("q_blocks").await;
    let p = Pack::new(&env, BLOCKS);
    let cols = [
        "block_start",
        "block_end",
        "first_activity",
        "last_activity",
        "messages",
        "cost_usd",
        "is_active",
        "active_minutes",
        "tokens_per_minute",
        "cost_per_hour_usd",
        "remaining_minutes",
        "projected_tokens",
        "projected_cost_usd",
    ];
    // At 21:00 on the 6th, beta's blocks: b1 opens 10:00-15:00 and b2 at exactly 15:00:00.000
    // is still in it (not more than 5 h after the start); b3 1 ms later opens 15:00-20:00,
    // which b4 at 19:59:59.999 closes; b5 opens 20:00-01:00, active: burn rate over b5..b6
    // (15 min): 600 tokens -> 40/min, $1.5 -> $6/h, 240 min left -> 600 + 40*240 tokens and
    // 1.5 + 6*4 dollars. Later messages (the 7th) are after as_of and ignored.
    let t = p
        .run(
            "billing_blocks",
            &[("machine", "beta"), ("as_of", "2026-01-06 21:00:00")],
        )
        .await;
    assert_same(
        &pick(&t, &cols),
        &json!([
            [
                "2026-01-06 10:00:00.000",
                "2026-01-06 15:00:00.000",
                "2026-01-06 10:30:00.000",
                "2026-01-06 15:00:00.000",
                2,
                2.0,
                0,
                270.0,
                2.2,
                0.4444,
                null,
                null,
                null
            ],
            [
                "2026-01-06 15:00:00.000",
                "2026-01-06 20:00:00.000",
                "2026-01-06 15:00:00.001",
                "2026-01-06 19:59:59.999",
                2,
                2.0,
                0,
                300.0,
                2.0,
                0.4,
                null,
                null,
                null
            ],
            [
                "2026-01-06 20:00:00.000",
                "2026-01-07 01:00:00.000",
                "2026-01-06 20:30:00.000",
                "2026-01-06 20:45:00.000",
                2,
                1.5,
                1,
                15.0,
                40.0,
                6.0,
                240.0,
                10200,
                25.5
            ],
        ]),
    );
    assert_same(
        &pick(&t, &["machine_name", "machines"]),
        &json!([["beta", ["beta"]], ["beta", ["beta"]], ["beta", ["beta"]]]),
    );
    // Times shown in tz; the blocks themselves stay on UTC hours, as in ccusage.
    let t = p
        .run(
            "billing_blocks",
            &[
                ("machine", "beta"),
                ("as_of", "2026-01-06 21:00:00"),
                ("tz", "Asia/Kolkata"),
            ],
        )
        .await;
    assert_same(
        &pick(&t, &["block_start"]),
        &json!([
            ["2026-01-06 15:30:00.000"],
            ["2026-01-06 20:30:00.000"],
            ["2026-01-07 01:30:00.000"]
        ]),
    );

    // Per machine over everything: alpha 5 blocks, beta 4, gamma 5 (its copy of sA1 included).
    let t = p
        .run("billing_blocks", &[("as_of", "2026-01-20 10:00:00")])
        .await;
    let per_machine: Vec<String> = t
        .rows
        .iter()
        .enumerate()
        .map(|(i, _)| t.get(i, "machine_name").as_str().unwrap().to_string())
        .collect();
    assert_eq!(per_machine.iter().filter(|m| *m == "alpha").count(), 5);
    assert_eq!(per_machine.iter().filter(|m| *m == "beta").count(), 4);
    assert_eq!(per_machine.iter().filter(|m| *m == "gamma").count(), 5);

    // Across machines: one sequence, gamma's copies counted once; at 10:00 on the 20th the
    // 08:00 block (one message, so no burn rate) is the active one.
    let t = p
        .run(
            "billing_blocks",
            &[("all_machines", "true"), ("as_of", "2026-01-20 10:00:00")],
        )
        .await;
    assert_same(
        &pick(
            &t,
            &[
                "machine_name",
                "block_start",
                "machines",
                "messages",
                "cost_usd",
                "is_active",
                "projected_cost_usd",
            ],
        ),
        &json!([
            [
                "(all machines)",
                "2026-01-05 09:00:00.000",
                ["alpha", "gamma"],
                2,
                2.0,
                0,
                null
            ],
            [
                "(all machines)",
                "2026-01-05 14:00:00.000",
                ["alpha", "gamma"],
                1,
                2.0,
                0,
                null
            ],
            [
                "(all machines)",
                "2026-01-05 23:00:00.000",
                ["alpha", "gamma"],
                1,
                1.0,
                0,
                null
            ],
            [
                "(all machines)",
                "2026-01-06 10:00:00.000",
                ["beta"],
                2,
                2.0,
                0,
                null
            ],
            [
                "(all machines)",
                "2026-01-06 15:00:00.000",
                ["beta"],
                2,
                2.0,
                0,
                null
            ],
            [
                "(all machines)",
                "2026-01-06 20:00:00.000",
                ["beta"],
                2,
                1.5,
                0,
                null
            ],
            [
                "(all machines)",
                "2026-01-07 09:00:00.000",
                ["beta"],
                6,
                1.1958,
                0,
                null
            ],
            [
                "(all machines)",
                "2026-01-08 12:00:00.000",
                ["gamma"],
                1,
                3.0,
                0,
                null
            ],
            [
                "(all machines)",
                "2026-01-09 12:00:00.000",
                ["gamma"],
                1,
                2.0,
                0,
                null
            ],
            [
                "(all machines)",
                "2026-01-12 10:00:00.000",
                ["alpha"],
                2,
                0.75,
                0,
                null
            ],
            [
                "(all machines)",
                "2026-01-20 08:00:00.000",
                ["alpha"],
                1,
                10.0,
                1,
                null
            ],
        ]),
    );
    // since/until select blocks by their start day.
    let t = p
        .run(
            "billing_blocks",
            &[
                ("all_machines", "true"),
                ("since", "2026-01-07"),
                ("until", "2026-01-08"),
            ],
        )
        .await;
    assert_same(
        &pick(&t, &["block_start", "models"]),
        &json!([
            [
                "2026-01-07 09:00:00.000",
                ["claude-opus-4-6-fast", SONNET, "mystery-model-1"]
            ],
            ["2026-01-08 12:00:00.000", [SONNET]],
        ]),
    );
    p.done();
}

#[tokio::test]
async fn cost_queries_price_caching_context_anomalies_and_budgets() {
    let env = fixture("q_costs").await;
    let p = Pack::new(&env, COSTS);

    // Without caching b7 and b8 would cost 3e-6 * (10 + 5*100 + 1000 + 5000) each; b12 (costUSD
    // 1.0, implied input price 1/26050) 251050/26050; b1..b6 have no cache: 5.5.
    // 5.5 + 2 * 0.01953 + 9.6372361 = 15.1762961; savings 15.1762961 - 6.51581 = 8.6604861.
    let t = p.run("cache_efficiency", &[("machine", "beta")]).await;
    assert_same(
        &pick(
            &t,
            &[
                "model_name",
                "messages",
                "input_tokens",
                "cache_write_tokens",
                "cache_read_tokens",
                "cache_hit_rate_pct",
                "cost_usd",
                "cost_without_cache_usd",
                "savings_usd",
                "savings_pct",
            ],
        ),
        &json!([
            [
                SONNET, 9, 1620, 2000, 260000, 98.63, 6.5158, 15.1763, 8.6605, 57.07
            ],
            [
                "claude-opus-4-6-fast",
                1,
                1000,
                0,
                0,
                0.0,
                0.18,
                0.18,
                0.0,
                0.0
            ],
            ["mystery-model-1", 1, 100, 0, 0, 0.0, 0.0, 0.0, 0.0, null],
        ]),
    );

    // beta: b1..b6 split 100:1000 of 5.5; b7/b8 at 3e-6; b11 at 3e-5; b12 at 1/26050.
    let t = p.run("cost_by_token_kind", &[("machine", "beta")]).await;
    assert_same(
        &pick(
            &t,
            &[
                "machine_name",
                "input_usd",
                "output_usd",
                "cache_write_usd",
                "cache_read_usd",
                "cost_usd",
                "input_pct",
                "output_pct",
                "cache_write_pct",
                "cache_read_pct",
            ],
        ),
        &json!([[
            "beta", 0.5684, 5.1549, 0.0098, 0.9627, 6.6958, 8.49, 76.99, 0.15, 14.38
        ],]),
    );
    let t = p.run("cost_by_token_kind", &[("machine", "alpha")]).await;
    assert_same(
        &pick(&t, &["input_usd", "output_usd", "input_pct"]),
        &json!([[1.4318, 14.3182, 9.09]]),
    );

    let t = p.run("context_size", &[("machine", "beta")]).await;
    assert_same(
        &pick(
            &t,
            &[
                "model_name",
                "messages",
                "avg_context_tokens",
                "median_context_tokens",
                "p95_context_tokens",
                "max_context_tokens",
                "messages_above_threshold",
                "above_threshold_pct",
            ],
        ),
        &json!([
            // 6 x 100, 2 x 6010, 251000
            [SONNET, 9, 29291.0, 100, 251000, 251000, 1, 11.11],
            ["claude-opus-4-6-fast", 1, 1000.0, 1000, 1000, 1000, 0, 0.0],
            ["mystery-model-1", 1, 100.0, 100, 100, 100, 0, 0.0],
        ]),
    );
    let t = p
        .run(
            "context_size",
            &[("machine", "beta"), ("threshold", "5000")],
        )
        .await;
    assert_same(
        &pick(&t, &["messages_above_threshold"]),
        &json!([[3], [0], [0]]),
    );

    // Baselines over 14 days: alpha 0.75/14 before the 20th. Beta's 7th (5.5/14) and gamma's
    // 8th and 9th (5/14, 8/14) would pass the factor, but those machines began days before:
    // no verdict without a week of history.
    let t = p.run("daily_anomalies", &[]).await;
    assert_same(
        &pick(
            &t,
            &[
                "machine_name",
                "day",
                "cost_usd",
                "baseline_usd",
                "times_baseline",
                "baseline_active_days",
            ],
        ),
        &json!([["alpha", "2026-01-20", 10.0, 0.0536, 186.67, 1]]),
    );
    // A shorter baseline asks for only as much history: over 1 day, beta's 7th is judged
    // against its first day (5.5 on the 6th).
    let t = p
        .run(
            "daily_anomalies",
            &[
                ("machine", "beta"),
                ("baseline_days", "1"),
                ("factor", "0.1"),
            ],
        )
        .await;
    assert_same(
        &pick(&t, &["day", "baseline_usd", "times_baseline"]),
        &json!([["2026-01-07", 5.5, 0.22]]),
    );
    // Over 7 days alpha's 20th has no baseline at all, and the 12th (0.75 vs 5/7) shows up.
    let t = p
        .run(
            "daily_anomalies",
            &[
                ("machine", "alpha"),
                ("baseline_days", "7"),
                ("factor", "1"),
                ("min_cost", "0.5"),
            ],
        )
        .await;
    assert_same(
        &pick(&t, &["day", "baseline_usd", "times_baseline"]),
        &json!([["2026-01-12", 0.7143, 1.05], ["2026-01-20", 0.0, null],]),
    );

    // At noon on Wednesday the 7th: day 1.19581 of 1 (half the day gone), week from Monday
    // 5 + 5.5 + 1.19581 (alpha and gamma's copy once) over 2.5/7 of it, month over 6.5/31.
    let t = p
        .run(
            "budget_status",
            &[
                ("as_of", "2026-01-07 12:00:00"),
                ("daily_limit", "1"),
                ("weekly_limit", "20"),
                ("monthly_limit", "30"),
            ],
        )
        .await;
    assert_same(
        &pick(
            &t,
            &[
                "period",
                "period_start",
                "period_end",
                "limit_usd",
                "spent_usd",
                "remaining_usd",
                "used_pct",
                "elapsed_pct",
                "projected_usd",
                "status",
            ],
        ),
        &json!([
            [
                "day",
                "2026-01-07",
                "2026-01-08",
                1.0,
                1.1958,
                -0.1958,
                119.58,
                50.0,
                2.3916,
                "over"
            ],
            [
                "week",
                "2026-01-05",
                "2026-01-12",
                20.0,
                11.6958,
                8.3042,
                58.48,
                35.71,
                32.7483,
                "projected over"
            ],
            [
                "month",
                "2026-01-01",
                "2026-02-01",
                30.0,
                11.6958,
                18.3042,
                38.99,
                20.97,
                55.78,
                "projected over"
            ],
        ]),
    );
    let t = p
        .run(
            "budget_status",
            &[
                ("as_of", "2026-01-20 10:00:00"),
                ("machine", "gamma"),
                ("monthly_limit", "100"),
            ],
        )
        .await;
    // No limit given: NULL, not 0 (and nothing remains or is used of it).
    assert_same(
        &pick(
            &t,
            &[
                "period",
                "limit_usd",
                "spent_usd",
                "remaining_usd",
                "used_pct",
                "status",
            ],
        ),
        &json!([
            ["day", null, 0.0, null, null, "no limit"],
            ["week", null, 0.0, null, null, "no limit"],
            ["month", 100.0, 10.0, 90.0, 10.0, "ok"],
        ]),
    );
    p.done();
}

#[tokio::test]
async fn sync_queries_show_freshness_history_and_health() {
    let env = fixture("q_sync").await;
    let p = Pack::new(&env, SYNC);

    let t = p
        .run("freshness", &[("as_of", "2026-01-20 10:00:00")])
        .await;
    assert_same(
        &pick(
            &t,
            &[
                "machine_name",
                "status",
                "last_sync",
                "hours_since_sync",
                "last_run_status",
                "last_error",
                "last_event_at",
                "hours_since_event",
                "skipped_lines_last_sync",
                "skipped_lines_total",
                "runs",
                "failed_runs",
            ],
        ),
        &json!([
            [
                "alpha",
                "ok",
                "2026-01-20 09:00:00.000",
                1.0,
                "ok",
                "",
                "2026-01-20 08:00:00.000",
                2.0,
                2,
                2,
                2,
                1
            ],
            // 13 days and 10 minutes since its last event.
            [
                "beta",
                "stale",
                "2026-01-07 10:00:00.000",
                312.0,
                "ok",
                "",
                "2026-01-07 09:50:00.000",
                312.17,
                0,
                0,
                1,
                0
            ],
            [
                "delta",
                "never synced",
                null,
                null,
                "failed",
                "no transcripts",
                null,
                null,
                0,
                0,
                1,
                1
            ],
            [
                "gamma",
                "failing",
                "2026-01-19 12:00:00.000",
                22.0,
                "failed",
                "authentication failed",
                "2026-01-09 12:00:00.000",
                262.0,
                1,
                1,
                2,
                1
            ],
        ]),
    );
    let t = p
        .run(
            "freshness",
            &[
                ("as_of", "2026-01-20 10:00:00"),
                ("stale_hours", "12"),
                ("machine", "gamma"),
            ],
        )
        .await;
    assert_same(
        &pick(&t, &["machine_name", "status"]),
        &json!([["gamma", "stale"]]),
    );

    let t = p.run("sync_history", &[("limit", "3")]).await;
    assert_same(
        &pick(
            &t,
            &[
                "started",
                "machine_name",
                "status",
                "duration_s",
                "rows_inserted",
                "lines_skipped",
                "skipped_by_reason",
                "error",
            ],
        ),
        &json!([
            ["2026-01-20 09:30:00.000", "gamma", "failed", 0.5, 0, 0, {}, "authentication failed"],
            ["2026-01-20 08:59:55.000", "alpha", "ok", 5.0, 7, 2, {"invalid_json": 2}, ""],
            ["2026-01-20 07:59:59.000", "alpha", "failed", 1.0, 0, 0, {}, "connection refused"],
        ]),
    );
    let t = p.run("sync_history", &[("machine", "beta")]).await;
    assert_same(
        &pick(&t, &["machine_name", "unknown_models"]),
        &json!([["beta", ["mystery-model-1"]]]),
    );

    let t = p.run("sync_health", &[]).await;
    assert_same(
        &pick(
            &t,
            &[
                "machine_name",
                "runs",
                "ok_runs",
                "partial_runs",
                "failed_runs",
                "failure_pct",
                "avg_duration_s",
                "max_duration_s",
                "rows_inserted",
                "lines_skipped",
                "skipped_by_reason",
                "unknown_models",
            ],
        ),
        &json!([
            ["alpha", 2, 1, 0, 1, 50.0, 3.0, 5.0, 7, 2, {"invalid_json": 2}, []],
            ["beta", 1, 1, 0, 0, 0.0, 2.0, 2.0, 12, 0, {}, ["mystery-model-1"]],
            ["delta", 1, 0, 0, 1, 100.0, 1.0, 1.0, 0, 0, {}, []],
            ["gamma", 2, 1, 0, 1, 50.0, 1.75, 3.0, 6, 1, {"missing_timestamp": 1}, []],
        ]),
    );
    let t = p.run("sync_health", &[("since", "2026-01-20")]).await;
    assert_same(
        &pick(&t, &["machine_name", "runs", "failed_runs"]),
        &json!([["alpha", 2, 1], ["delta", 1, 1], ["gamma", 1, 1]]),
    );
    p.done();
}

/// Each query's parameter sets in the two-source tests: the defaults with `as_of` fixed after
/// the fixture's last row, and the variants that change what is grouped.
fn source_runs() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    let mut runs = Vec::new();
    for q in query::pack() {
        let mut base = Vec::new();
        if q.params.iter().any(|p| p.name == "as_of") {
            base.push(("as_of", "2026-01-20 10:00:00"));
        }
        runs.push((q.name.as_str(), base.clone()));
        for (name, extra) in [
            ("billing_blocks", ("all_machines", "true")),
            ("billing_blocks", ("machine", "beta")),
            ("projects_across_machines", ("by_name", "true")),
            ("daily_by_machine", ("tz", "Pacific/Kiritimati")),
        ] {
            if q.name == name {
                let mut params = base.clone();
                params.push(extra);
                runs.push((name, params));
            }
        }
    }
    runs
}

/// Columns whose sum over a query's rows is the sum of the sources' sums (each row of each
/// source counted once, whatever rows the sources share).
const ADDITIVE: &[&str] = &[
    "messages",
    "input_tokens",
    "output_tokens",
    "cache_creation_tokens",
    "cache_read_tokens",
    "total_tokens",
    "cost_usd",
    "messages_total",
    "total_tokens",
    "cost_total_usd",
    "spent_usd",
    "responses",
    "extra_copies",
    "double_counted_cost_usd",
    "runs",
    "failed_runs",
    "rows_inserted",
    "lines_skipped",
];

/// Queries that keep rows by a condition on their totals (a machine-day against its baseline, a
/// project on two or more machines, a day with a failed call): with both sources a row may
/// carry the other source's messages or appear only then, so their sums are not the sources'.
const KEEPS_ROWS_BY_THE_MIX: &[&str] =
    &["daily_anomalies", "projects_across_machines", "api_errors"];

fn column_sum(t: &Table, col: &str) -> f64 {
    (0..t.rows.len())
        .map(|r| t.get(r, col).as_f64().unwrap_or(0.0))
        .sum()
}

/// Issue: "The query pack and the dashboards can filter and group by source." Every query of
/// the pack, over claude's and codex's rows together: `source=claude` answers exactly what the
/// claude rows alone answer, `source=codex` what codex's alone answer, and the default (every
/// source) adds them up: the same sums, and where a query has a `source` column, exactly the
/// rows of the two.
#[tokio::test]
async fn every_query_filters_by_source_and_without_one_adds_the_sources_up() {
    let db = two_sources("q_sources").await;
    let (claude, codex, both) = (db.claude.client(), db.codex.client(), db.both.client());
    let mut checked_sums = 0;
    for (name, params) in source_runs() {
        let with = |source: &'static str| {
            let mut p = params.clone();
            p.push(("source", source));
            p
        };
        let (claude_params, codex_params) = (with("claude"), with("codex"));
        let (only_claude, only_codex, claude_of_both, codex_of_both, all_of_both) = tokio::join!(
            pack_query(&claude, name, &params),
            pack_query(&codex, name, &params),
            pack_query(&both, name, &claude_params),
            pack_query(&both, name, &codex_params),
            pack_query(&both, name, &params),
        );
        let what = format!("{name} {params:?}");
        assert_same_rows(
            &format!("{what}, source=claude"),
            &claude_of_both,
            &only_claude,
        );
        assert_same_rows(
            &format!("{what}, source=codex"),
            &codex_of_both,
            &only_codex,
        );
        assert!(
            !only_claude.rows.is_empty() || name == "cross_machine_duplicates",
            "{what}: no claude rows"
        );
        // An explicit empty source is the default.
        assert_same_rows(
            &format!("{what}, source=''"),
            &pack_query(&both, name, &with("")).await,
            &all_of_both,
        );
        if all_of_both.column("source").is_some() {
            // Grouped by source: the rows of each, side by side.
            let union = Table {
                columns: only_claude.columns.clone(),
                rows: [only_claude.rows.clone(), only_codex.rows.clone()].concat(),
            };
            assert_same_rows(&format!("{what}: every source"), &all_of_both, &union);
        }
        if KEEPS_ROWS_BY_THE_MIX.contains(&name) {
            continue;
        }
        for col in ADDITIVE {
            if all_of_both.column(col).is_none() {
                continue;
            }
            let (all, parts) = (
                column_sum(&all_of_both, col),
                column_sum(&only_claude, col) + column_sum(&only_codex, col),
            );
            // Values rounded per row (to 4 decimals) may round the other way once summed.
            let slack = 1e-4 * (all_of_both.rows.len() + only_claude.rows.len()) as f64;
            assert!(
                (all - parts).abs() <= slack + 1e-9 * all.abs(),
                "{what}: {col} over every source {all}, claude + codex {parts}"
            );
            checked_sums += 1;
        }
    }
    assert!(checked_sums >= 60, "{checked_sums}");
    // The sources really differ (or the checks above prove nothing).
    let t = pack_query(&both, "overview", &[("as_of", "2026-01-20 10:00:00")]).await;
    // 27.4458 (claude, gamma's copy of alpha's sA1 counted once) + 5.0 (codex: its a1 on gamma
    // is its own response, not one of claude's copies).
    assert_same(
        &pick(&t, &["cost_total_usd", "messages_total", "machines"]),
        &json!([[32.4458, 26, 3]]),
    );
    let t = pack_query(&both, "cross_machine_duplicates", &[]).await;
    assert_same(
        &pick(&t, &["machines", "responses", "extra_copies"]),
        &json!([["alpha, gamma", 4, 4]]),
    );
}

/// `daily_by_source`: days (in tz) by source, over the selected machines.
#[tokio::test]
async fn daily_by_source_splits_each_day_by_source() {
    let db = two_sources("q_by_source").await;
    let both = db.both.client();
    let cols = [
        "day",
        "source",
        "machines",
        "messages",
        "input_tokens",
        "output_tokens",
        "cache_creation_tokens",
        "cache_read_tokens",
        "cost_usd",
    ];
    let t = pack_query(&both, "daily_by_source", &[]).await;
    assert_same(
        &pick(&t, &cols),
        &json!([
            // alpha and gamma's copy of sA1; codex's x1 (alpha) and a1 (gamma).
            ["2026-01-05", "claude", 2, 8, 800, 1600, 0, 0, 10.0],
            ["2026-01-05", "codex", 2, 2, 200, 400, 0, 0, 1.25],
            ["2026-01-06", "claude", 1, 6, 600, 1200, 0, 0, 5.5],
            ["2026-01-06", "codex", 1, 1, 100, 200, 0, 0, 0.25],
            [
                "2026-01-07",
                "claude",
                1,
                6,
                2125,
                1310,
                2000,
                260000,
                1.1958
            ],
            ["2026-01-07", "codex", 1, 1, 100, 200, 0, 0, 2.0],
            ["2026-01-08", "claude", 1, 1, 100, 200, 0, 0, 3.0],
            ["2026-01-09", "claude", 1, 1, 100, 200, 0, 0, 2.0],
            ["2026-01-12", "claude", 1, 2, 200, 400, 0, 0, 0.75],
            ["2026-01-12", "codex", 1, 1, 100, 200, 0, 0, 1.5],
            ["2026-01-20", "claude", 1, 1, 1000, 2000, 0, 0, 10.0],
        ]),
    );
    // UTC+14: x1 (12:00 UTC) is on the 6th there, x2 (10:05 UTC) on the 13th.
    let t = pack_query(
        &both,
        "daily_by_source",
        &[
            ("machine", "alpha"),
            ("source", "codex"),
            ("tz", "Pacific/Kiritimati"),
        ],
    )
    .await;
    assert_same(
        &pick(&t, &["day", "source", "messages", "cost_usd"]),
        &json!([
            ["2026-01-06", "codex", 1, 0.5],
            ["2026-01-13", "codex", 1, 1.5]
        ]),
    );
    let t = pack_query(
        &both,
        "daily_by_source",
        &[("since", "2026-01-07"), ("until", "2026-01-08")],
    )
    .await;
    assert_same(
        &pick(&t, &["day", "source", "messages", "cost_usd"]),
        &json!([
            ["2026-01-07", "claude", 6, 1.1958],
            ["2026-01-07", "codex", 1, 2.0],
            ["2026-01-08", "claude", 1, 3.0],
        ]),
    );
    // The same days as daily_by_machine, split the other way.
    let by_machine = pack_query(&both, "daily_by_machine", &[]).await;
    let by_source = pack_query(&both, "daily_by_source", &[]).await;
    for col in ["messages", "cost_usd"] {
        let (a, b) = (column_sum(&by_machine, col), column_sum(&by_source, col));
        assert!((a - b).abs() < 1e-3, "{col}: {a} by machine, {b} by source");
    }
    // Per source, blocks never mix: codex's x3 at 08:00 on the 6th is a block of its own and
    // claude's beta blocks start at 10:00 as without it.
    let t = pack_query(
        &both,
        "billing_blocks",
        &[
            ("machine", "beta"),
            ("as_of", "2026-01-06 21:00:00"),
            ("until", "2026-01-06"),
        ],
    )
    .await;
    assert_same(
        &pick(
            &t,
            &[
                "machine_name",
                "source",
                "block_start",
                "messages",
                "cost_usd",
            ],
        ),
        &json!([
            ["beta", "codex", "2026-01-06 08:00:00.000", 1, 0.25],
            ["beta", "claude", "2026-01-06 10:00:00.000", 2, 2.0],
            ["beta", "claude", "2026-01-06 15:00:00.000", 2, 2.0],
            ["beta", "claude", "2026-01-06 20:00:00.000", 2, 1.5],
        ]),
    );
    // freshness per machine and source: codex on beta only failed.
    let t = pack_query(&both, "freshness", &[("as_of", "2026-01-20 10:00:00")]).await;
    assert_same(
        &pick(&t, &["machine_name", "source", "status", "last_event_at"]),
        &json!([
            ["alpha", "claude", "ok", "2026-01-20 08:00:00.000"],
            ["alpha", "codex", "ok", "2026-01-12 10:05:00.000"],
            ["beta", "claude", "stale", "2026-01-07 09:50:00.000"],
            ["beta", "codex", "never synced", "2026-01-07 09:05:00.000"],
            ["delta", "claude", "never synced", null],
            ["gamma", "claude", "failing", "2026-01-09 12:00:00.000"],
            ["gamma", "codex", "stale", "2026-01-05 09:10:00.000"],
        ]),
    );
}

// ---------------------------------------------------------------------------------------------
// Issue 15, case 1: rows in the last millisecond before a time bound.
//
// In ClickHouse 26.9 a strict comparison of an indexed DateTime64 column with a DateTime value
// (`ts < toDateTime(…)`, `ts > …`, `toDateTime(…) + INTERVAL …`, `now()`, a DateTime parameter)
// skips a part whose rows all lie in the second before (after) the bound: the partition's
// min-max index and the primary key compare whole seconds. The pack bounds its reads of single
// responses by 15-minute buckets, and a sync run whose new rows all sit in the last second of a
// bucket writes exactly such a part. Every row below is in a part of its own (one sync run
// each, merges stopped):
// - alpha sE1: e1 2026-01-05T10:00:00.000Z (on the hour: billing_blocks reads its bucket row by
//   row), then e2 10:14:59.500Z appended and synced by a second run;
// - alpha sE2: e3 2026-01-05T23:59:59.999Z, the day's last millisecond; gamma syncs a copy of
//   sE2 (one response on two machines: cross-machine queries read its buckets row by row).
// Costs 1, 2 and 4.
// ---------------------------------------------------------------------------------------------

pub const E1_MS: i64 = 1_767_607_200_000;
pub const E3_MS: i64 = 1_767_657_599_999;

pub async fn edge_fixture(test: &str) -> Env {
    let env = Env::new(test);
    let (a, g) = (env.dir.path().join("a"), env.dir.path().join("g"));
    let alpha = env.config_for("alpha", &a);
    ccsync::store::schema::apply(&ccsync::store::client::Sink::new(&alpha.clickhouse).unwrap())
        .await
        .unwrap();
    let client = env.client();
    client
        .query("SYSTEM STOP MERGES usage_events")
        .execute()
        .await
        .unwrap();
    let app = "/home/me/app";
    let e1 = || ev("e1", "2026-01-05T10:00:00.000Z", 1.0);
    transcript(&a, "-home-me-app", "sE1", app, "main", "2.1.20", vec![e1()]);
    sync_once(&alpha).await.unwrap();
    // The same first line, then e2: an append, read by the next run alone.
    let e2 = ev("e2", "2026-01-05T10:14:59.500Z", 2.0);
    transcript(
        &a,
        "-home-me-app",
        "sE1",
        app,
        "main",
        "2.1.20",
        vec![e1(), e2],
    );
    sync_once(&alpha).await.unwrap();
    let e3 = vec![ev("e3", "2026-01-05T23:59:59.999Z", 4.0)];
    transcript(&a, "-home-me-app", "sE2", app, "main", "2.1.20", e3);
    sync_once(&alpha).await.unwrap();
    let copy = g.join("projects/-home-me-app/sE2.jsonl");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(a.join("projects/-home-me-app/sE2.jsonl"), copy).unwrap();
    sync_once(&env.config_for("gamma", &g)).await.unwrap();
    // The premise: each row alone in its part.
    let parts = client
        .query(
            "SELECT toString(machine_name), toUnixTimestamp64Milli(min(timestamp)), count() \
             FROM usage_events GROUP BY _part, machine_name ORDER BY 2, 1",
        )
        .fetch_all::<(String, i64, u64)>()
        .await
        .unwrap();
    assert_eq!(
        parts,
        [
            ("alpha".to_string(), E1_MS, 1),
            ("alpha".into(), E1_MS + 899_500, 1),
            ("alpha".into(), E3_MS, 1),
            ("gamma".into(), E3_MS, 1),
        ]
    );
    env
}

const EDGES: &[&str] = &[
    "daily_by_machine",
    "global_daily",
    "overview",
    "cross_machine_duplicates",
    "billing_blocks",
    "freshness",
];

#[tokio::test]
async fn rows_in_the_last_millisecond_before_a_bound_are_counted() {
    let env = edge_fixture("q_edges").await;
    let p = Pack::new(&env, EDGES);

    // From the rollup: never affected, the reference.
    let t = p.run("daily_by_machine", &[]).await;
    assert_same(
        &pick(&t, &["day", "machine_name", "messages", "cost_usd"]),
        &json!([
            ["2026-01-05", "alpha", 3, 7.0],
            ["2026-01-05", "gamma", 1, 4.0]
        ]),
    );
    // e3's buckets are dirty (a copy on gamma): read from usage_events up to the end of the last
    // dirty bucket, 2026-01-06 00:00:00, where both one-row parts start at 23:59:59.999.
    let t = p.run("global_daily", &[]).await;
    assert_same(
        &pick(
            &t,
            &["day", "machines", "messages", "duplicates", "cost_usd"],
        ),
        &json!([["2026-01-05", 2, 3, 1, 7.0]]),
    );
    let t = p.run("overview", &[("as_of", "2026-01-06 00:00:00")]).await;
    assert_same(
        &pick(
            &t,
            &["cost_total_usd", "messages_total", "machines", "last_event"],
        ),
        &json!([[7.0, 3, 2, "2026-01-05 23:59:59.999"]]),
    );
    let t = p.run("cross_machine_duplicates", &[]).await;
    assert_same(
        &pick(
            &t,
            &[
                "machines",
                "responses",
                "extra_copies",
                "double_counted_cost_usd",
                "first_day",
            ],
        ),
        &json!([["alpha, gamma", 1, 1, 4.0, "2026-01-05"]]),
    );
    // e1 is exactly on the hour, so its bucket (10:00-10:15) is read from usage_events, where
    // e2's part starts at 10:14:59.500.
    let cols = [
        "machine_name",
        "block_start",
        "last_activity",
        "machines",
        "messages",
        "cost_usd",
        "is_active",
    ];
    let t = p
        .run(
            "billing_blocks",
            &[("machine", "alpha"), ("as_of", "2026-01-06 12:00:00")],
        )
        .await;
    assert_same(
        &pick(&t, &cols),
        &json!([
            [
                "alpha",
                "2026-01-05 10:00:00.000",
                "2026-01-05 10:14:59.500",
                ["alpha"],
                2,
                3.0,
                0
            ],
            [
                "alpha",
                "2026-01-05 23:00:00.000",
                "2026-01-05 23:59:59.999",
                ["alpha"],
                1,
                4.0,
                0
            ],
        ]),
    );
    let t = p
        .run(
            "billing_blocks",
            &[("all_machines", "true"), ("as_of", "2026-01-06 12:00:00")],
        )
        .await;
    assert_same(
        &pick(&t, &cols),
        &json!([
            [
                "(all machines)",
                "2026-01-05 10:00:00.000",
                "2026-01-05 10:14:59.500",
                ["alpha"],
                2,
                3.0,
                0
            ],
            [
                "(all machines)",
                "2026-01-05 23:00:00.000",
                "2026-01-05 23:59:59.999",
                ["alpha", "gamma"],
                1,
                4.0,
                0
            ],
        ]),
    );
    // as_of to the millisecond: e2 is in only once as_of has passed it.
    for (as_of, messages, last) in [
        ("2026-01-05 10:14:59.750", 2, "2026-01-05 10:14:59.500"),
        ("2026-01-05 10:14:59.250", 1, "2026-01-05 10:00:00.000"),
    ] {
        let t = p
            .run("billing_blocks", &[("machine", "alpha"), ("as_of", as_of)])
            .await;
        assert_same(
            &pick(
                &t,
                &["block_start", "last_activity", "messages", "is_active"],
            ),
            &json!([["2026-01-05 10:00:00.000", last, messages, 1]]),
        );
        let t = p
            .run("freshness", &[("machine", "alpha"), ("as_of", as_of)])
            .await;
        assert_same(
            &pick(&t, &["machine_name", "last_event_at"]),
            &json!([["alpha", last]]),
        );
    }
    p.done();
}

// ---------------------------------------------------------------------------------------------
// Issue 15, case 7: timestamps outside 1970-2106. Claude Code never writes them, but a
// transcript can hold any year from 1 to 9999 and ccusage counts it on the day of its text; so
// does every query: days are Date32, weeks, months and hours are computed without the
// functions that clamp to 1970-2106 (Date, DateTime), `since`/`until` default to the whole
// Date32 range and `as_of` is a DateTime64.
// - alpha sY1: y1 1969-07-20T20:17:40.000Z (cost 1), y2 1969-07-20T23:59:59.500Z (2, the last
//   half second of a day before 1970);
// - alpha sY2: y3 2200-01-01T03:00:00.000Z (4; 2199-12-31 in New York), y4 2200-01-01T10:00Z
//   (8); gamma syncs a copy of sY2 (a response on two machines, so de-duplicated across them);
// - alpha sY3: y5 0001-01-01T00:00:00.000Z (16), y6 9999-12-31T23:59:59.999Z (32).
// ---------------------------------------------------------------------------------------------

pub async fn far_years_fixture(test: &str) -> Env {
    let env = Env::new(test);
    let (a, g) = (env.dir.path().join("a"), env.dir.path().join("g"));
    let app = "/home/me/app";
    for (session, ls) in [
        (
            "sY1",
            vec![
                ev("y1", "1969-07-20T20:17:40.000Z", 1.0),
                ev("y2", "1969-07-20T23:59:59.500Z", 2.0),
            ],
        ),
        (
            "sY2",
            vec![
                ev("y3", "2200-01-01T03:00:00.000Z", 4.0),
                ev("y4", "2200-01-01T10:00:00.000Z", 8.0),
            ],
        ),
        (
            "sY3",
            vec![
                ev("y5", "0001-01-01T00:00:00.000Z", 16.0),
                ev("y6", "9999-12-31T23:59:59.999Z", 32.0),
            ],
        ),
    ] {
        transcript(&a, "-home-me-app", session, app, "main", "2.1.20", ls);
    }
    let copy = g.join("projects/-home-me-app/sY2.jsonl");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(a.join("projects/-home-me-app/sY2.jsonl"), copy).unwrap();
    for (machine, dir) in [("alpha", &a), ("gamma", &g)] {
        let report = sync_once(&env.config_for(machine, dir)).await.unwrap();
        assert_eq!(report.stats.lines_skipped, 0, "{machine}");
    }
    env
}

const FAR: &[&str] = &[
    "daily_by_machine",
    "weekly_by_machine",
    "monthly_by_machine",
    "hourly_by_machine",
    "hourly_heatmap",
    "global_daily",
    "cumulative_cost",
    "overview",
    "budget_status",
    "machine_ranking",
    "sessions",
    "billing_blocks",
    "freshness",
];

#[tokio::test]
async fn days_hours_weeks_and_months_are_right_outside_1970_2106() {
    let env = far_years_fixture("q_far").await;
    let p = Pack::new(&env, FAR);
    let day_cols = ["day", "machine_name", "messages", "cost_usd"];

    let t = p.run("daily_by_machine", &[]).await;
    assert_same(
        &pick(&t, &day_cols),
        &json!([
            ["0001-01-01", "alpha", 1, 16.0],
            ["1969-07-20", "alpha", 2, 3.0],
            ["2200-01-01", "alpha", 2, 12.0],
            ["2200-01-01", "gamma", 2, 12.0],
            ["9999-12-31", "alpha", 1, 32.0],
        ]),
    );
    // New York: y3 (03:00 UTC) is on the 31st there; year 1 is left out (year 0 in New York).
    let t = p
        .run(
            "daily_by_machine",
            &[
                ("machine", "alpha"),
                ("tz", "America/New_York"),
                ("since", "1900-01-01"),
            ],
        )
        .await;
    assert_same(
        &pick(&t, &day_cols),
        &json!([
            ["1969-07-20", "alpha", 2, 3.0],
            ["2199-12-31", "alpha", 1, 4.0],
            ["2200-01-01", "alpha", 1, 8.0],
            ["9999-12-31", "alpha", 1, 32.0],
        ]),
    );
    for (since, until, days) in [
        ("1969-07-20", "1969-07-20", json!(["1969-07-20"])),
        (
            "1969-07-21",
            "2200-01-01",
            json!(["2200-01-01", "2200-01-01"]),
        ),
        ("2200-01-02", "9999-12-31", json!(["9999-12-31"])),
    ] {
        let t = p
            .run("daily_by_machine", &[("since", since), ("until", until)])
            .await;
        let got: Vec<Value> = (0..t.rows.len()).map(|r| t.get(r, "day").clone()).collect();
        assert_same(&Value::Array(got), &days);
    }

    let t = p.run("weekly_by_machine", &[]).await;
    assert_same(
        &pick(
            &t,
            &[
                "week",
                "machine_name",
                "active_days",
                "messages",
                "cost_usd",
            ],
        ),
        &json!([
            ["0001-01-01", "alpha", 1, 1, 16.0],
            ["1969-07-14", "alpha", 1, 2, 3.0],
            ["2199-12-30", "alpha", 1, 2, 12.0],
            ["2199-12-30", "gamma", 1, 2, 12.0],
            ["9999-12-27", "alpha", 1, 1, 32.0],
        ]),
    );
    let t = p.run("monthly_by_machine", &[("machine", "alpha")]).await;
    assert_same(
        &pick(&t, &["month", "active_days", "messages", "cost_usd"]),
        &json!([
            ["0001-01-01", 1, 1, 16.0],
            ["1969-07-01", 1, 2, 3.0],
            ["2200-01-01", 1, 2, 12.0],
            ["9999-12-01", 1, 1, 32.0],
        ]),
    );
    let t = p.run("hourly_by_machine", &[("machine", "alpha")]).await;
    assert_same(
        &pick(&t, &["hour", "messages", "cost_usd"]),
        &json!([
            ["0001-01-01 00:00:00", 1, 16.0],
            ["1969-07-20 20:00:00", 1, 1.0],
            ["1969-07-20 23:00:00", 1, 2.0],
            ["2200-01-01 03:00:00", 1, 4.0],
            ["2200-01-01 10:00:00", 1, 8.0],
            ["9999-12-31 23:00:00", 1, 32.0],
        ]),
    );
    // UTC+5:30: local hours start at :30 UTC.
    let t = p
        .run(
            "hourly_by_machine",
            &[
                ("machine", "alpha"),
                ("tz", "Asia/Kolkata"),
                ("since", "1900-01-01"),
                ("until", "2299-12-31"),
            ],
        )
        .await;
    assert_same(
        &pick(&t, &["hour", "messages"]),
        &json!([
            ["1969-07-21 01:00:00", 1],
            ["1969-07-21 05:00:00", 1],
            ["2200-01-01 08:00:00", 1],
            ["2200-01-01 15:00:00", 1],
        ]),
    );
    let t = p.run("hourly_heatmap", &[("machine", "alpha")]).await;
    assert_same(
        &pick(
            &t,
            &["weekday", "weekday_name", "hour", "messages", "cost_usd"],
        ),
        &json!([
            [1, "Monday", 0, 1, 16.0],
            [3, "Wednesday", 3, 1, 4.0],
            [3, "Wednesday", 10, 1, 8.0],
            [5, "Friday", 23, 1, 32.0],
            [7, "Sunday", 20, 1, 1.0],
            [7, "Sunday", 23, 1, 2.0],
        ]),
    );

    // gamma's copy of sY2 counts once.
    let t = p.run("global_daily", &[]).await;
    assert_same(
        &pick(
            &t,
            &["day", "machines", "messages", "duplicates", "cost_usd"],
        ),
        &json!([
            ["0001-01-01", 1, 1, 0, 16.0],
            ["1969-07-20", 1, 2, 0, 3.0],
            ["2200-01-01", 2, 2, 2, 12.0],
            ["9999-12-31", 1, 1, 0, 32.0],
        ]),
    );
    let t = p.run("cumulative_cost", &[("machine", "alpha")]).await;
    assert_same(
        &pick(&t, &["day", "cost_usd", "cumulative_cost_usd"]),
        &json!([
            ["0001-01-01", 16.0, 16.0],
            ["1969-07-20", 3.0, 19.0],
            ["2200-01-01", 12.0, 31.0],
            ["9999-12-31", 32.0, 63.0],
        ]),
    );
    // Noon on Wednesday 2200-01-01: the week began on Monday 2199-12-30.
    let t = p.run("overview", &[("as_of", "2200-01-01 12:00:00")]).await;
    assert_same(
        &pick(
            &t,
            &[
                "today",
                "cost_today_usd",
                "cost_this_week_usd",
                "cost_this_month_usd",
                "cost_total_usd",
                "messages_today",
                "messages_total",
                "machines",
                "machines_active_7d",
                "sessions",
                "first_event",
                "last_event",
            ],
        ),
        &json!([[
            "2200-01-01",
            12.0,
            12.0,
            12.0,
            31.0,
            2,
            5,
            2,
            2,
            3,
            "0001-01-01 00:00:00.000",
            "2200-01-01 10:00:00.000"
        ]]),
    );
    let t = p
        .run(
            "budget_status",
            &[("as_of", "2200-01-01 12:00:00"), ("daily_limit", "10")],
        )
        .await;
    assert_same(
        &pick(
            &t,
            &[
                "period",
                "period_start",
                "period_end",
                "spent_usd",
                "elapsed_pct",
                "status",
            ],
        ),
        &json!([
            ["day", "2200-01-01", "2200-01-02", 12.0, 50.0, "over"],
            ["week", "2199-12-30", "2200-01-06", 12.0, 35.71, "no limit"],
            ["month", "2200-01-01", "2200-02-01", 12.0, 1.61, "no limit"],
        ]),
    );
    let t = p.run("machine_ranking", &[]).await;
    assert_same(
        &pick(
            &t,
            &[
                "machine_name",
                "active_days",
                "first_day",
                "last_day",
                "cost_usd",
            ],
        ),
        &json!([
            ["alpha", 4, "0001-01-01", "9999-12-31", 63.0],
            ["gamma", 1, "2200-01-01", "2200-01-01", 12.0],
        ]),
    );
    let t = p.run("sessions", &[("machine", "alpha")]).await;
    assert_same(
        &pick(
            &t,
            &[
                "session_id",
                "first_activity",
                "last_activity",
                "duration_minutes",
                "messages",
                "cost_usd",
            ],
        ),
        &json!([
            [
                "sY3",
                "0001-01-01 00:00:00.000",
                "9999-12-31 23:59:59.999",
                5258964960.0,
                2,
                48.0
            ],
            [
                "sY2",
                "2200-01-01 03:00:00.000",
                "2200-01-01 10:00:00.000",
                420.0,
                2,
                12.0
            ],
            [
                "sY1",
                "1969-07-20 20:17:40.000",
                "1969-07-20 23:59:59.500",
                222.3,
                2,
                3.0
            ],
        ]),
    );

    // Blocks start on UTC hours in any year; y6 is after as_of.
    let cols = [
        "machine_name",
        "block_start",
        "block_end",
        "machines",
        "messages",
        "cost_usd",
    ];
    let t = p
        .run(
            "billing_blocks",
            &[("machine", "alpha"), ("as_of", "2300-01-01 00:00:00")],
        )
        .await;
    assert_same(
        &pick(&t, &cols),
        &json!([
            [
                "alpha",
                "0001-01-01 00:00:00.000",
                "0001-01-01 05:00:00.000",
                ["alpha"],
                1,
                16.0
            ],
            [
                "alpha",
                "1969-07-20 20:00:00.000",
                "1969-07-21 01:00:00.000",
                ["alpha"],
                2,
                3.0
            ],
            [
                "alpha",
                "2200-01-01 03:00:00.000",
                "2200-01-01 08:00:00.000",
                ["alpha"],
                1,
                4.0
            ],
            [
                "alpha",
                "2200-01-01 10:00:00.000",
                "2200-01-01 15:00:00.000",
                ["alpha"],
                1,
                8.0
            ],
        ]),
    );
    let t = p
        .run(
            "billing_blocks",
            &[("all_machines", "true"), ("as_of", "2300-01-01 00:00:00")],
        )
        .await;
    let all = "(all machines)";
    assert_same(
        &pick(&t, &cols),
        &json!([
            [
                all,
                "0001-01-01 00:00:00.000",
                "0001-01-01 05:00:00.000",
                ["alpha"],
                1,
                16.0
            ],
            [
                all,
                "1969-07-20 20:00:00.000",
                "1969-07-21 01:00:00.000",
                ["alpha"],
                2,
                3.0
            ],
            [
                all,
                "2200-01-01 03:00:00.000",
                "2200-01-01 08:00:00.000",
                ["alpha", "gamma"],
                1,
                4.0
            ],
            [
                all,
                "2200-01-01 10:00:00.000",
                "2200-01-01 15:00:00.000",
                ["alpha", "gamma"],
                1,
                8.0
            ],
        ]),
    );
    // An as_of before 1970: y1's block is active, y2 is still to come.
    let t = p
        .run(
            "billing_blocks",
            &[("machine", "alpha"), ("as_of", "1969-07-20 21:00:00")],
        )
        .await;
    assert_same(
        &pick(
            &t,
            &["block_start", "messages", "is_active", "remaining_minutes"],
        ),
        &json!([
            ["0001-01-01 00:00:00.000", 1, 0, null],
            ["1969-07-20 20:00:00.000", 1, 1, 240.0],
        ]),
    );
    for (as_of, last) in [
        ("1969-07-20 21:00:00", "1969-07-20 20:17:40.000"),
        ("2200-01-01 12:00:00", "2200-01-01 10:00:00.000"),
    ] {
        let t = p
            .run("freshness", &[("machine", "alpha"), ("as_of", as_of)])
            .await;
        assert_same(
            &pick(&t, &["machine_name", "last_event_at", "hours_since_event"]),
            &json!([[
                "alpha",
                last,
                if as_of.starts_with("1969") { 0.71 } else { 2.0 }
            ]]),
        );
    }
    p.done();
}

/// Every query of the pack with its defaults (and an `as_of` after the fixture's last usable
/// moment): no day, week, month or hour clamped to the edges of Date or DateTime, and the same
/// answer whatever `enable_extended_results_for_datetime_functions` (a user profile may set it:
/// it changes what toStartOfHour, toMonday, toStartOfMonth return outside 1970-2149).
#[tokio::test]
async fn no_query_clamps_dates_and_none_depends_on_extended_datetime_results() {
    let env = far_years_fixture("q_far_all").await;
    let extended = env
        .client()
        .with_setting("enable_extended_results_for_datetime_functions", "1");
    for q in query::pack() {
        let given: Vec<String> = q
            .params
            .iter()
            .filter(|p| p.name == "as_of")
            .map(|_| "as_of=2300-01-01 00:00:00".to_string())
            .collect();
        let values = query::bind(q, &given).unwrap();
        let plain = query::fetch_table(&env.client(), q, &values)
            .await
            .unwrap_or_else(|e| panic!("{}: {e:#}", q.name));
        let ext = query::fetch_table(&extended, q, &values)
            .await
            .unwrap_or_else(|e| panic!("{} (extended results): {e:#}", q.name));
        assert_eq!(plain, ext, "{}: differs with extended results", q.name);
        let text = serde_json::to_string(&plain.rows).unwrap();
        for clamp in [
            "1970-01-01",
            "2106-02-07",
            "2149-06-06",
            "1900-01-01",
            "2299-12-31",
        ] {
            assert!(!text.contains(clamp), "{}: {clamp} in {text}", q.name);
        }
    }
}
