//! `ccsync report session --subagents`: each session split into its main thread and its
//! subagents (id, and type from `agent-<id>.meta.json`), adding up to the session; the same
//! breakdown with `--local` and from the database; without the flag, ccusage's JSON unchanged.

use std::path::{Path, PathBuf};

use ccsync::sync::sync_once;
use serde_json::Value;

use crate::common::*;
use crate::report::{assert_same, ours_db, ours_local, theirs};

const PROJECT: &str = "projects/-home-me-app";

/// Two sessions: `s-one` with main-thread responses, a subagent response also carried by a
/// progress line of the parent, and two subagents (`a1` Explore, `b2` general-purpose, each
/// with a meta file holding a description that must never show); `s-two` with a main thread
/// and a subagent without a meta file.
fn tree(root: &Path) -> PathBuf {
    let dir = root.join("claude-subagents");
    let p = dir.join(PROJECT);
    let write = |rel: &str, text: &str| {
        let path = p.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    let main = |id: &str, ts: &str, out| {
        line(id, ts)
            .model("claude-opus-4-6")
            .tokens(10, out, 100, 1000, 0)
    };
    let sub = |id: &str, ts: &str, agent: &str, model: &str, out| {
        line(id, ts)
            .model(model)
            .tokens(5, out, 50, 500, 0)
            .sidechain()
            .agent(agent)
    };
    let a1_first = sub(
        "a1-1",
        "2026-01-05T10:01:00.000Z",
        "a1",
        "claude-haiku-4-5",
        40,
    );
    let s_one = [
        main("m1", "2026-01-05T10:00:00.000Z", 100).json(),
        progress_line("s-one", "2026-01-05T10:01:00.500Z", "a1", &a1_first),
        main("m2", "2026-01-05T10:05:00.000Z", 200).json(),
    ];
    write("s-one.jsonl", &s_one.concat());
    let a1_second = sub(
        "a1-2",
        "2026-01-05T10:02:00.000Z",
        "a1",
        "claude-haiku-4-5",
        60,
    );
    write(
        "s-one/subagents/agent-a1.jsonl",
        &(a1_first.json() + &a1_second.json()),
    );
    let b2 = [
        sub(
            "b2-1",
            "2026-01-05T10:03:00.000Z",
            "b2",
            "claude-sonnet-4-6",
            300,
        ),
        sub(
            "b2-2",
            "2026-01-06T09:00:00.000Z",
            "b2",
            "claude-sonnet-4-6",
            30,
        ),
    ];
    write(
        "s-one/subagents/agent-b2.jsonl",
        &String::from_utf8(lines(&b2)).unwrap(),
    );
    let meta = |kind: &str| {
        format!(
            r#"{{"agentType":"{kind}","description":"SECRET task words","toolUseId":"toolu_1","spawnDepth":1}}"#
        )
    };
    write("s-one/subagents/agent-a1.meta.json", &meta("Explore"));
    write(
        "s-one/subagents/agent-b2.meta.json",
        &meta("general-purpose"),
    );
    let s_two = [main("t1", "2026-01-07T08:00:00.000Z", 50)];
    write("s-two.jsonl", &String::from_utf8(lines(&s_two)).unwrap());
    let c3 = [sub(
        "c3-1",
        "2026-01-07T08:01:00.000Z",
        "c3",
        "claude-haiku-4-5",
        5,
    )];
    write(
        "s-two/subagents/agent-c3.jsonl",
        &String::from_utf8(lines(&c3)).unwrap(),
    );
    dir
}

/// Per session: its parts as (agentId, agentType, output tokens).
pub(crate) type Breakdown = Vec<(String, Vec<(String, Value, u64)>)>;

const TOKEN_KEYS: [&str; 5] = [
    "inputTokens",
    "outputTokens",
    "cacheCreationTokens",
    "cacheReadTokens",
    "totalTokens",
];

/// Each session's parts: `(agentId, agentType)`, and their sums equal to the session's.
pub(crate) fn parts(report: &str) -> Breakdown {
    let v: Value = serde_json::from_str(report).unwrap();
    let mut out = Vec::new();
    for s in v["sessions"].as_array().unwrap() {
        let subagents = s["subagents"].as_array().expect("a subagents array");
        for key in TOKEN_KEYS {
            let sum: u64 = subagents.iter().map(|a| a[key].as_u64().unwrap()).sum();
            assert_eq!(sum, s[key].as_u64().unwrap(), "{key} of {s}");
        }
        let cost: f64 = subagents
            .iter()
            .map(|a| a["totalCost"].as_f64().unwrap())
            .sum();
        let total = s["totalCost"].as_f64().unwrap();
        assert!((cost - total).abs() <= total * 1e-9, "{cost} vs {total}");
        let list = (subagents.iter())
            .map(|a| {
                let id = a["agentId"].as_str().unwrap().to_string();
                (
                    id,
                    a["agentType"].clone(),
                    a["outputTokens"].as_u64().unwrap(),
                )
            })
            .collect();
        out.push((s["sessionId"].as_str().unwrap().to_string(), list));
    }
    out
}

fn expected() -> Breakdown {
    let p = |id: &str, kind: Value, out| (id.to_string(), kind, out);
    vec![
        (
            "s-one".into(),
            vec![
                p("(main)", Value::Null, 300),
                p("b2", "general-purpose".into(), 330),
                p("a1", "Explore".into(), 100),
            ],
        ),
        (
            "s-two".into(),
            vec![p("(main)", Value::Null, 50), p("c3", Value::Null, 5)],
        ),
    ]
}

#[test]
fn report_session_subagents_local_add_up_and_name_their_types() {
    let root = tempfile::tempdir().unwrap();
    let dir = tree(root.path());
    let dirs = [dir.as_path()];
    // Without the flag: ccusage's JSON, to the key.
    let plain = ours_local(&dirs, "session", &["-z", "UTC"]);
    assert_same(&plain, &theirs(&dirs, "session", &["-z", "UTC"]), "session");
    assert!(!plain.contains("subagents"), "{plain}");
    let split = ours_local(&dirs, "session", &["-z", "UTC", "--subagents"]);
    assert_eq!(parts(&split), expected(), "{split}");
    assert!(!split.contains("SECRET"), "{split}");
    // The keys of a part, in order.
    let v: Value = serde_json::from_str(&split).unwrap();
    let keys: Vec<&String> = v["sessions"][0]["subagents"][1]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    let want = [
        "agentId",
        "agentType",
        "cacheCreationTokens",
        "cacheReadTokens",
        "inputTokens",
        "modelsUsed",
        "outputTokens",
        "totalCost",
        "totalTokens",
    ];
    assert_eq!(keys, want);
    assert_eq!(
        v["sessions"][0]["subagents"][1]["modelsUsed"][0],
        "claude-sonnet-4-6"
    );
    // The range cuts parts as it cuts sessions.
    let day = ours_local(
        &dirs,
        "session",
        &[
            "-z",
            "UTC",
            "--subagents",
            "--since",
            "20260106",
            "--until",
            "20260106",
        ],
    );
    let only_b2 = &parts(&day)[0].1;
    assert_eq!(
        only_b2,
        &[("b2".to_string(), Value::from("general-purpose"), 30)],
        "{day}"
    );
}

#[test]
fn report_session_subagents_table_lists_each_part_under_its_session() {
    let root = tempfile::tempdir().unwrap();
    let dir = tree(root.path());
    let bin = Path::new(env!("CARGO_BIN_EXE_ccsync"));
    let out = std::process::Command::new(bin)
        .args(["report", "session", "--local", "--subagents", "-z", "UTC"])
        .env("CLAUDE_CONFIG_DIR", &dir)
        .env("HOME", root.path())
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    let text = stdout_of(out, "report session --subagents");
    let at = |s: &str| {
        text.find(s)
            .unwrap_or_else(|| panic!("no {s:?} in\n{text}"))
    };
    assert!(at("s-one") < at("└ (main)"));
    assert!(at("└ (main)") < at("└ b2 (general-purpose)"));
    assert!(at("└ b2 (general-purpose)") < at("└ a1 (Explore)"));
    assert!(at("└ a1 (Explore)") < at("s-two"));
    assert!(at("s-two") < at("└ c3"));
    assert!(!text.contains("SECRET"), "{text}");
}

#[tokio::test]
async fn report_session_subagents_from_the_database_match_the_local_breakdown() {
    let env = Env::new("report_subagents");
    let dir = tree(env.dir.path());
    let mut cfg = env.config();
    cfg.claude_dirs = vec![dir.clone()];
    sync_once(&cfg).await.unwrap();
    let dirs = [dir.as_path()];
    let plain = ours_db(&env, "session", &["-z", "UTC"]);
    assert_same(
        &plain,
        &theirs(&dirs, "session", &["-z", "UTC"]),
        "session from the database",
    );
    let split = ours_db(&env, "session", &["-z", "UTC", "--subagents"]);
    // The same parts, numbers and types: the type is stored with each subagent's rows
    // (`usage_events.agent_type`, docs/ccusage-compat.md §9c), never its description.
    assert_eq!(parts(&split), expected(), "{split}");
    assert!(!split.contains("SECRET"), "{split}");
    let local = ours_local(&dirs, "session", &["-z", "UTC", "--subagents"]);
    let (db, here): (Value, Value) = (
        serde_json::from_str(&split).unwrap(),
        serde_json::from_str(&local).unwrap(),
    );
    if let Some(d) = json_difference(&db, &here, "", |_, a, b| a.is_f64() || b.is_f64()) {
        panic!("database and local differ: {d}\n{split}\n{local}");
    }
    // What was stored: each subagent's rows typed (a1's copy in the parent's progress line is
    // the same response as its own file's), the main thread's not; no description anywhere.
    let stored: Vec<(String, String, u64)> = env
        .client()
        .query(
            "SELECT agent_id, toString(agent_type), count() FROM usage_events FINAL \
             WHERE NOT is_deleted GROUP BY ALL ORDER BY ALL",
        )
        .fetch_all()
        .await
        .unwrap();
    let row = |id: &str, kind: &str, n| (id.to_string(), kind.to_string(), n);
    assert_eq!(
        stored,
        [
            row("", "", 3),
            row("a1", "Explore", 2),
            row("b2", "general-purpose", 2),
            row("c3", "", 1),
        ]
    );
    let secrets: u64 = env
        .client()
        .query("SELECT count() FROM usage_events WHERE position(toString(tuple(*)), 'SECRET') > 0")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(secrets, 0);
}
