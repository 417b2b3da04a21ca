//! Totals must equal ccusage's (`ccusage claude daily --json --offline --timezone UTC`) on the same
//! tree: tokens to the token, cost within 0.01%. Checked for `scan` and for the database (whose
//! days are UTC days); `parity_report` compares `scan`'s whole JSON in other zones too.

use std::path::{Path, PathBuf};

use ccsync::price::CostMode;
use ccsync::sync::sync_once;

use crate::common::*;

/// The ccusage binary the parity checks compare with (also used by the fault suite).
pub(crate) fn ccusage() -> PathBuf {
    if let Ok(p) = std::env::var("CCSYNC_CCUSAGE") {
        return p.into();
    }
    let local = repo().join(".tools/node_modules/.bin/ccusage");
    if local.exists() {
        return local;
    }
    panic!(
        "ccusage is needed for the parity tests: run `scripts/test.sh` (installs ccusage@20.0.24 \
         into .tools/), or `npm install --prefix .tools ccusage@20.0.24`, or set CCSYNC_CCUSAGE"
    )
}

#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Day {
    pub date: String,
    pub input: u64,
    pub output: u64,
    pub cache_creation: u64,
    pub cache_read: u64,
    pub cost: f64,
}

/// `ccusage claude daily --json --offline --timezone UTC --mode MODE` over `dirs`.
pub(crate) fn ccusage_daily(dirs: &[&Path], mode: &str) -> Vec<Day> {
    let joined: Vec<String> = dirs
        .iter()
        .map(|d| d.to_string_lossy().into_owned())
        .collect();
    let out = std::process::Command::new(ccusage())
        .args([
            "claude",
            "daily",
            "--json",
            "--offline",
            "--timezone",
            "UTC",
            "--mode",
            mode,
        ])
        .env("CLAUDE_CONFIG_DIR", joined.join(","))
        .output()
        .expect("run ccusage");
    assert!(
        out.status.success(),
        "ccusage failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    days_of_json(&serde_json::from_slice(&out.stdout).expect("ccusage JSON"))
}

/// The days of a report in `ccusage claude daily --json`'s shape.
fn days_of_json(v: &serde_json::Value) -> Vec<Day> {
    v["daily"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| Day {
            date: d["date"].as_str().unwrap().to_string(),
            input: d["inputTokens"].as_u64().unwrap(),
            output: d["outputTokens"].as_u64().unwrap(),
            cache_creation: d["cacheCreationTokens"].as_u64().unwrap(),
            cache_read: d["cacheReadTokens"].as_u64().unwrap(),
            cost: d["totalCost"].as_f64().unwrap(),
        })
        .collect()
}

fn assert_same(ours: &[Day], theirs: &[Day], what: &str) {
    let strip = |d: &[Day]| -> Vec<Day> {
        d.iter()
            .map(|d| Day {
                cost: 0.0,
                ..d.clone()
            })
            .collect()
    };
    assert_eq!(
        strip(ours),
        strip(theirs),
        "{what}: token totals differ from ccusage"
    );
    for (a, b) in ours.iter().zip(theirs) {
        let tolerance = b.cost.abs() * 1e-4 + 1e-9;
        assert!(
            (a.cost - b.cost).abs() <= tolerance,
            "{what}: cost on {} is {} but ccusage says {}",
            a.date,
            a.cost,
            b.cost
        );
    }
}

/// `ccsync scan --json -z UTC` over `dirs`, as days.
fn scan_daily(dirs: &[PathBuf], mode: CostMode) -> Vec<Day> {
    let joined: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ccsync"))
        .args(["scan", "--json", "-z", "UTC", "--cost-mode", mode.as_str()])
        .env_clear()
        .env("HOME", home.path())
        .env("CLAUDE_CONFIG_DIR", joined.join(","))
        .current_dir(home.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    days_of_json(&serde_json::from_slice(&out.stdout).expect("scan JSON"))
}

async fn db_daily(env: &Env, machine: &str) -> Vec<Day> {
    day_totals(env, machine)
        .await
        .into_iter()
        .map(|d| Day {
            date: d.date,
            input: d.input,
            output: d.output,
            cache_creation: d.cache_creation,
            cache_read: d.cache_read,
            cost: d.cost,
        })
        .collect()
}

fn write(path: &Path, content: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// A hand-made tree with every case ccusage has a rule for.
pub(crate) fn edge_case_tree(root: &Path) -> (PathBuf, PathBuf) {
    let a = root.join("claude-a");
    let b = root.join("claude-b");
    let p = a.join("projects/-home-me-app");
    let day1 = "2026-01-05T10:00:00.000Z";
    let day2 = "2026-01-06T23:59:59.999Z";
    let day3 = "2026-02-01T00:00:00.000Z";

    let mut s1 = String::new();
    // A streamed response: three lines, output growing.
    for out in [1, 50, 384] {
        s1 += &line("stream", day1)
            .tokens(6, out, 100, 11352, 22076)
            .model("claude-opus-4-6")
            .json();
    }
    s1 += &user_line(day1, 50_000);
    s1 += "{\"type\":\"summary\",\"summary\":\"a title\",\"leafUuid\":\"x\"}\n";
    s1 += &line("sonnet45", day1)
        .model("claude-sonnet-4-5-20250929")
        .json();
    // Above the 200k tier in every bucket.
    s1 += &line("big", day2)
        .model("claude-sonnet-4-20250514")
        .tokens(250_000, 210_000, 300_000, 0, 400_000)
        .json();
    s1 += &line("haiku", day2)
        .model("claude-haiku-4-5-20251001")
        .tokens(1000, 200, 0, 5000, 0)
        .json();
    s1 += &line("fast", day2).model("claude-opus-4-6").fast().json();
    // Old line: costUSD, no 5m/1h split.
    let mut old = line("old", day1)
        .model("claude-sonnet-4-20250514")
        .cost_usd(0.123)
        .json();
    old = old.replace(
        ",\"cache_creation\":{\"ephemeral_5m_input_tokens\":1000,\"ephemeral_1h_input_tokens\":0}",
        "",
    );
    s1 += &old;
    // Same message id, different request ids: two messages.
    s1 += &line("twice", day2).req(Some("req_a")).json();
    s1 += &line("twice", day2).req(Some("req_b")).json();
    // No message id: never de-duplicated.
    s1 += &line("x", day2)
        .req(None)
        .json()
        .replace("\"id\":\"x\",", "");
    s1 += &line("x", day2)
        .req(None)
        .json()
        .replace("\"id\":\"x\",", "");
    // No requestId.
    s1 += &line("noreq", day3).req(None).json();
    s1 += &line("noreq", day3).req(None).json();
    // Unknown model and a failed call.
    s1 += &line("unknown", day3).model("claude-future-9").json();
    s1 += &line("synthetic", day3)
        .model("<synthetic>")
        .tokens(0, 0, 0, 0, 0)
        .json();
    s1 += "{\"type\":\"assistant\",\"message\":{\"usage\":{\"input_tokens\":1,\n";
    s1 += &line("after-bad", day3).json();
    // Claude Code 2.1: a subagent response nested in a progress line; the first also sits in
    // the subagent file (de-duplicated), the second only here.
    let progress = |id: &str, out: u64| {
        format!(
            "{{\"type\":\"progress\",\"sessionId\":\"sess-1\",\"timestamp\":\"{day1}\",\"data\":{{\"type\":\"agent_progress\",\"message\":{{\"type\":\"assistant\",\"timestamp\":\"{day2}\",\"requestId\":\"req_{id}\",\"isSidechain\":true,\"message\":{{\"id\":\"{id}\",\"model\":\"claude-haiku-4-5-20251001\",\"usage\":{{\"input_tokens\":7,\"output_tokens\":{out}}}}}}}}}}}\n"
        )
    };
    s1 += &progress("agent1", 200);
    s1 += &progress("agent2", 70);
    // Lines ccusage rejects: a null id anywhere, a malformed version, an unknown speed.
    s1 += &line("nullid", day2)
        .json()
        .replace("\"content\":[{", "\"content\":[{\"id\":null,");
    s1 += &line("badversion", day2)
        .json()
        .replace("\"version\":\"2.1.20\"", "\"version\":\"abc\"");
    s1 += &line("turbo", day2)
        .json()
        .replace("\"speed\":\"standard\"", "\"speed\":\"turbo\"");
    // Not a usage line for ccusage: a space after the colon.
    s1 += &line("spaced", day2)
        .json()
        .replace("\"usage\":{", "\"usage\": {");
    // An advisor call inside a response is billed on its own.
    s1 += &line("advised", day2).json().replace(
        "\"speed\":\"standard\"",
        "\"speed\":\"standard\",\"iterations\":[{\"type\":\"advisor_message\",\"model\":\"claude-opus-4-6\",\"input_tokens\":500,\"output_tokens\":50}]",
    );
    // Offsets move the UTC day.
    s1 += &line("offset", "2026-01-05T23:30:00.000-02:00").json();
    // Still being written: no newline.
    let partial = line("partial", day3).json();
    s1 += partial.trim_end();
    write(&p.join("sess-1.jsonl"), s1.as_bytes());

    // Sidechain copies: the subagent file and a sidechain copy of a main-chain response.
    let mut sub = String::new();
    sub += &line("agent1", day2).sidechain().session("sess-1").json();
    sub += &line("agent1", day2)
        .sidechain()
        .session("sess-1")
        .tokens(10, 500, 0, 0, 0)
        .json();
    sub += &line("sonnet45", day1)
        .sidechain()
        .req(Some("req_other"))
        .tokens(99, 999, 0, 0, 0)
        .json();
    write(&p.join("sess-1/subagents/agent-a1.jsonl"), sub.as_bytes());

    // A resumed session repeating responses, in a second root.
    let mut s2 = String::new();
    s2 += &line("stream", day1)
        .tokens(6, 384, 100, 11352, 22076)
        .model("claude-opus-4-6")
        .session("sess-2")
        .json();
    s2 += &line("haiku", day2)
        .model("claude-haiku-4-5-20251001")
        .tokens(1000, 200, 0, 5000, 0)
        .json();
    s2 += &line("new-in-2", day3)
        .model("claude-opus-4-1-20250805")
        .session("sess-2")
        .json();
    write(&b.join("projects/-home-me-lib/sess-2.jsonl"), s2.as_bytes());
    // Any *.jsonl under projects/ counts, at any depth.
    write(
        &b.join("projects/top.jsonl"),
        line("top", day3).session("top").json().as_bytes(),
    );
    write(
        &b.join("projects/-p/d1/d2/deep.jsonl"),
        line("deep", day3).json().as_bytes(),
    );
    write(
        &b.join("projects/-p/notes.jsonl.bak"),
        line("bak", day3).json().as_bytes(),
    );
    (a, b)
}

/// A seeded tree of many sessions with streamed lines, resumed copies and sidechains.
pub(crate) fn generated_tree(root: &Path, seed: u64) -> PathBuf {
    let dir = root.join("claude-gen");
    let models = [
        "claude-opus-4-6",
        "claude-sonnet-4-5-20250929",
        "claude-sonnet-4-20250514",
        "claude-haiku-4-5-20251001",
        "claude-opus-4-1-20250805",
        "claude-3-5-haiku-20241022",
    ];
    let mut rng = seed;
    let mut next = |n: u64| {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (rng >> 33) % n
    };
    let mut previous: Vec<String> = Vec::new();
    for s in 0..24 {
        let mut content = String::new();
        for m in 0..(20 + next(60)) {
            let day = 1 + next(28);
            let ts = format!(
                "2026-03-{day:02}T{:02}:{:02}:00.{:03}Z",
                next(24),
                next(60),
                next(1000)
            );
            let id = format!("g{s}_{m}");
            let model = models[next(models.len() as u64) as usize];
            let mut l = line(&id, &ts)
                .model(model)
                .session(&format!("gen-{s}"))
                .tokens(
                    next(5000),
                    next(3000),
                    next(40_000),
                    next(3) * next(20_000),
                    next(300_000),
                );
            if next(10) == 0 {
                l = l.fast();
            }
            if next(8) == 0 {
                l = l.sidechain();
            }
            let streamed = 1 + next(3);
            for k in 0..streamed {
                let mut part = line(&id, &ts);
                part = part.model(model).session(&format!("gen-{s}"));
                part = part.tokens(
                    l.input,
                    l.output * (k + 1) / streamed,
                    l.cache_5m,
                    l.cache_1h,
                    l.cache_read,
                );
                part.sidechain = l.sidechain;
                part.speed = l.speed;
                content += &part.json();
            }
            if next(6) == 0 {
                content += &user_line(&ts, next(20_000) as usize);
            }
        }
        // Resumed sessions copy some earlier responses.
        if let Some(prev) = previous.last() {
            for l in prev.lines().take(next(10) as usize) {
                content.push_str(l);
                content.push('\n');
            }
        }
        write(
            &dir.join(format!("projects/-proj-{}/gen-{s}.jsonl", s % 5)),
            content.as_bytes(),
        );
        previous.push(content);
    }
    dir
}

#[tokio::test]
async fn scan_and_database_match_ccusage_on_edge_cases() {
    let env = Env::new("parity_edges");
    let (a, b) = edge_case_tree(env.dir.path());
    for (mode_name, mode) in [("calculate", CostMode::Calculate), ("auto", CostMode::Auto)] {
        let theirs = ccusage_daily(&[&a, &b], mode_name);
        assert!(
            theirs.len() >= 3,
            "fixture should span several days: {theirs:?}"
        );
        let ours = scan_daily(&[a.clone(), b.clone()], mode);
        assert_same(&ours, &theirs, &format!("scan --cost-mode {mode_name}"));
    }
    let theirs = ccusage_daily(&[&a, &b], "auto");
    let mut cfg = env.config();
    cfg.claude_dirs = vec![a.clone(), b.clone()];
    let report = sync_once(&cfg).await.unwrap();
    assert_eq!(report.stats.skipped_by_reason.get("invalid_json"), Some(&1));
    assert_eq!(
        report.stats.skipped_by_reason.get("invalid_fields"),
        Some(&3)
    );
    assert_same(
        &db_daily(&env, &env.machine).await,
        &theirs,
        "database (FINAL)",
    );
}

#[tokio::test]
async fn scan_and_database_match_ccusage_on_a_generated_tree() {
    let env = Env::new("parity_gen");
    let dir = generated_tree(env.dir.path(), 42);
    let theirs = ccusage_daily(&[&dir], "auto");
    assert!(theirs.len() > 20);
    assert_same(
        &scan_daily(std::slice::from_ref(&dir), CostMode::Auto),
        &theirs,
        "scan",
    );
    let mut cfg = env.config();
    cfg.claude_dirs = vec![dir];
    // Small batches: de-duplication must also hold across inserts.
    cfg.batch_rows = 50;
    sync_once(&cfg).await.unwrap();
    assert_same(
        &db_daily(&env, &env.machine).await,
        &theirs,
        "database (FINAL)",
    );
}
