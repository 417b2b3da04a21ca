//! `ccsync report daily|monthly|session --agent codex --json` prints what `ccusage codex
//! daily|monthly|session --json --offline` (20.0.24) prints on the same rollouts: with `--local`
//! and from the database after a sync, on real and crafted rollouts, in several zones, with
//! `--since`/`--until` and `--order desc` (which ccusage's Codex reports ignore). Keys and their
//! order exact, tokens exact, costs within 0.01%. `weekly` and `blocks` are refused, as there.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::*;
use crate::migration::copy_tree;
use crate::parity::ccusage;
use crate::parity_codex::run;

const KINDS: [&str; 3] = ["daily", "monthly", "session"];

/// What the database does not store, so cannot show as ccusage does (docs/ccusage-compat.md,
/// "Codex", "From the database"): whether a model was a guess (`isFallback`). The crafted
/// homes have such models; the database shows `false`.
const NOT_STORED: [&str; 1] = ["isFallback"];

fn theirs(homes: &[PathBuf], kind: &str, args: &[&str]) -> String {
    let base = ["codex", kind, "--json", "--offline"];
    let out = run(&ccusage(), &[&base[..], args].concat(), homes);
    stdout_of(out, &format!("ccusage codex {kind} {args:?}"))
}

fn ours_local(homes: &[PathBuf], kind: &str, args: &[&str]) -> String {
    let base = ["report", kind, "--agent", "codex", "--local", "--json"];
    let bin = Path::new(env!("CARGO_BIN_EXE_ccsync"));
    let out = run(bin, &[&base[..], args].concat(), homes);
    stdout_of(out, &format!("report {kind} --local {args:?}"))
}

fn ours_db(env: &Env, kind: &str, args: &[&str]) -> String {
    let base = ["report", kind, "--agent", "codex", "--json"];
    let out = env.command(&[&base[..], args].concat()).output().unwrap();
    stdout_of(out, &format!("report {kind} from the database {args:?}"))
}

/// `ours` is `theirs` but for the values of the keys `unknown` (keys and order still exact).
pub(crate) fn assert_same_but(ours: &str, theirs: &str, unknown: &[&str], what: &str) {
    assert_eq!(json_keys(ours), json_keys(theirs), "{what}: keys or order");
    let parse = |s: &str| {
        let mut v: Value = serde_json::from_str(s).unwrap();
        blank(&mut v, unknown);
        v
    };
    if let Some(d) = json_difference(&parse(ours), &parse(theirs), "", is_cost) {
        panic!("{what}: {d}\n--- ours:\n{ours}\n--- ccusage:\n{theirs}");
    }
}

/// Costs are compared within 0.01% (sums of floats in another order), the rest exactly.
fn is_cost(at: &str, _: &serde_json::Number, _: &serde_json::Number) -> bool {
    at.ends_with("costUSD")
}

fn blank(v: &mut Value, keys: &[&str]) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if keys.contains(&k.as_str()) {
                    *child = Value::Null;
                } else {
                    blank(child, keys);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|c| blank(c, keys)),
        _ => {}
    }
}

fn data(name: &str) -> PathBuf {
    repo().join("tests/data/codex").join(name)
}

/// The option sets every report is compared with (beyond the zone); ccusage's Codex reports
/// accept `--order` and list oldest first (sessions by id) either way.
const VARIANTS: [&[&str]; 4] = [
    &[],
    &["--order", "desc"],
    &["--since", "20260105", "--until", "2026-02-23"],
    &["--since", "2026-01-06"],
];

/// Every report of `kinds`, zone and variant of `homes`, by `ours` against ccusage.
fn check_kinds(
    kinds: &[&str],
    homes: &[PathBuf],
    zones: &[&str],
    unknown: &[&str],
    ours: impl Fn(&str, &[&str]) -> String,
) {
    for &kind in kinds {
        for zone in zones {
            for v in VARIANTS {
                let args = [&["-z", zone][..], v].concat();
                let what = format!("{kind} {args:?} on {homes:?}");
                assert_same_but(
                    &ours(kind, &args),
                    &theirs(homes, kind, &args),
                    unknown,
                    &what,
                );
            }
        }
    }
}

fn check(
    homes: &[PathBuf],
    zones: &[&str],
    unknown: &[&str],
    ours: impl Fn(&str, &[&str]) -> String,
) {
    check_kinds(&KINDS, homes, zones, unknown, ours);
}

const ZONES: [&str; 3] = ["UTC", "America/Los_Angeles", "Asia/Kathmandu"];

fn crafted() -> Vec<PathBuf> {
    vec![data("crafted/a"), data("crafted/b")]
}

#[test]
fn local_reports_are_ccusages_on_real_and_crafted_rollouts() {
    for homes in [vec![data("real")], crafted(), vec![data("crafted/fast")]] {
        check(&homes, &ZONES, &[], |kind, args| {
            ours_local(&homes, kind, args)
        });
    }
    // The session report is not the daily one regrouped: the real logs' longest session runs
    // past midnight, and `--since` keeps only its requests of the days in the range.
    let real = [data("real")];
    let sessions = |args: &[&str]| -> Value {
        serde_json::from_str(&ours_local(&real, "session", args)).unwrap()
    };
    let (all, since) = (
        sessions(&["-z", "UTC"]),
        sessions(&["-z", "UTC", "-s", "20260224"]),
    );
    assert_eq!(since["sessions"].as_array().unwrap().len(), 1, "{since}");
    let tokens = |v: &Value| v["totals"]["totalTokens"].as_u64().unwrap();
    assert!(tokens(&since) < tokens(&all), "{since}");
}

/// Rollouts written for two rules of ccusage's session report: a request logged alike in two
/// sessions counts in each (once in the daily report), and `lastActivity` is the greatest
/// timestamp as written, compared as text (`…23:30:00+02:00`, 21:30Z, beats `…22:00:00.000Z`;
/// a number shows as an instant).
fn session_rules_home(root: &Path) -> PathBuf {
    let home = root.join("codex-rules");
    let dir = home.join("sessions/2026/01/07");
    std::fs::create_dir_all(&dir).unwrap();
    let line = |v: Value| v.to_string() + "\n";
    let meta = |id: &str| {
        let at = "2026-01-07T11:00:00.000Z";
        line(json!({"timestamp": at, "type": "session_meta", "payload": {"id": id, "cwd": "/w"}}))
            + &line(json!({"timestamp": at, "type": "turn_context",
                           "payload": {"cwd": "/w", "model": "gpt-5.3-codex"}}))
    };
    let request = |stamp: Value, input: u64| {
        let usage = json!({"input_tokens": input, "cached_input_tokens": 0, "output_tokens": 10,
                           "reasoning_output_tokens": 0, "total_tokens": input + 10});
        line(json!({"timestamp": stamp, "type": "event_msg",
                    "payload": {"type": "token_count", "info": {"last_token_usage": usage}}}))
    };
    let shared = request(json!("2026-01-07T12:00:00.000Z"), 100);
    let files = [
        (
            "a",
            vec![
                shared.clone(),
                request(json!("2026-01-07T23:30:00+02:00"), 200),
                request(json!("2026-01-07T22:00:00.000Z"), 300),
            ],
        ),
        (
            "b",
            vec![shared, request(json!(" 2026-01-07T21:00:00Z "), 400)],
        ),
        (
            "c",
            vec![
                request(json!(1_767_830_400), 500),
                request(json!("2026-01-07T20:00:00.000Z"), 600),
            ],
        ),
    ];
    for (name, lines) in files {
        std::fs::write(
            dir.join(format!("{name}.jsonl")),
            meta(name) + &lines.concat(),
        )
        .unwrap();
    }
    home
}

#[test]
fn local_sessions_follow_ccusages_copies_and_last_activity_rules() {
    let dir = tempfile::tempdir().unwrap();
    let homes = [session_rules_home(dir.path())];
    check(&homes, &["UTC", "Asia/Kathmandu"], &[], |kind, args| {
        ours_local(&homes, kind, args)
    });
    // What the check above holds: the shared request twice in sessions, once in days.
    let total = |kind: &str| -> u64 {
        let v: Value = serde_json::from_str(&ours_local(&homes, kind, &["-z", "UTC"])).unwrap();
        v["totals"]["inputTokens"].as_u64().unwrap()
    };
    assert_eq!(total("session"), total("daily") + 100);
}

/// Copies of `homes` in `env`'s folder (their files' times well in the past: settled rollouts),
/// synced as `machine` into `env`'s database.
async fn sync_copies(env: &Env, machine: &str, homes: &[PathBuf]) -> Vec<PathBuf> {
    let copies: Vec<PathBuf> = (homes.iter())
        .map(|h| {
            let to = env.dir.path().join(machine).join(h.file_name().unwrap());
            std::fs::create_dir_all(&to).unwrap();
            copy_tree(h, &to);
            to
        })
        .collect();
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for file in copies.iter().flat_map(|c| files_under(c, None)) {
        let f = std::fs::File::options().write(true).open(&file).unwrap();
        f.set_modified(past).unwrap();
    }
    let mut cfg = env.config_for(machine, &env.claude_dir());
    cfg.codex_homes = copies.clone();
    let report = ccsync::sync::sync_once(&cfg)
        .await
        .unwrap_or_else(|e| panic!("sync of {machine} failed: {e:#}"));
    assert_eq!(report.status, "ok", "{report:?}");
    copies
}

#[tokio::test]
async fn database_reports_are_ccusages_after_a_sync() {
    let env = Env::new("report_codex_db");
    // Three machines, one tree each: `--machine` selects one tree.
    let trees = [
        ("real", vec![data("real")]),
        ("crafted", crafted()),
        ("fast", vec![data("crafted/fast")]),
    ];
    for (machine, homes) in &trees {
        let copies = sync_copies(&env, machine, homes).await;
        check(
            &copies,
            &["UTC", "Asia/Kathmandu"],
            &NOT_STORED,
            |kind, args| ours_db(&env, kind, &[args, &["--machine", machine]].concat()),
        );
    }
    // Every machine but `fast` (ccusage applies a config.toml's tier to every home read with
    // it): one report of the trees, as ccusage reads them together.
    let all: Vec<PathBuf> = [vec![data("real")], crafted()].concat();
    for kind in KINDS {
        let args = ["-z", "UTC"];
        let what = format!("{kind} of two machines");
        let ours = ours_db(
            &env,
            kind,
            &[&args[..], &["--machine", "real", "--machine", "crafted"]].concat(),
        );
        assert_same_but(&ours, &theirs(&all, kind, &args), &NOT_STORED, &what);
    }
    // The one field left out above does differ: the crafted trees have guessed models.
    let local = ours_local(&crafted(), "session", &["-z", "UTC"]);
    let db = ours_db(&env, "session", &["-z", "UTC", "--machine", "crafted"]);
    assert!(local.contains("\"isFallback\": true") && !db.contains("\"isFallback\": true"));

    // Timestamps with offsets, spaces and numbers go through the database: days and months
    // exact. Sessions are not (documented): the database keeps one row per request, so a
    // request logged in two sessions counts once there, in the session ccusage reads first.
    let dir = tempfile::tempdir().unwrap();
    let rules = sync_copies(&env, "rules", &[session_rules_home(dir.path())]).await;
    let on_rules =
        |kind: &str, args: &[&str]| ours_db(&env, kind, &[args, &["--machine", "rules"]].concat());
    check_kinds(&["daily", "monthly"], &rules, &["UTC"], &[], on_rules);
    let input = |text: String| -> u64 {
        let v: Value = serde_json::from_str(&text).unwrap();
        v["totals"]["inputTokens"].as_u64().unwrap()
    };
    let utc = ["-z", "UTC"];
    assert_eq!(
        input(on_rules("session", &utc)),
        input(theirs(&rules, "session", &utc)) - 100
    );
}

#[test]
fn weekly_blocks_and_by_are_refused_for_codex_as_ccusage_refuses_them() {
    let homes = [data("real")];
    let bin = Path::new(env!("CARGO_BIN_EXE_ccsync"));
    for kind in ["weekly", "blocks"] {
        let theirs = run(&ccusage(), &["codex", kind, "--json", "--offline"], &homes);
        let ours = run(
            bin,
            &["report", kind, "--agent", "codex", "--local", "--json"],
            &homes,
        );
        assert_eq!(theirs.status.code(), Some(2), "ccusage codex {kind}");
        assert_eq!(ours.status.code(), Some(2), "report {kind} --agent codex");
        assert!(ours.stdout.is_empty());
        let says = String::from_utf8_lossy(&ours.stderr);
        assert!(says.contains(&format!("\"{kind}\" report is")), "{says}");
    }
    let by = run(
        bin,
        &["report", "daily", "--agent", "codex", "--by", "model"],
        &homes,
    );
    assert_eq!(by.status.code(), Some(2));
    // The daily report of `scan` is still the same report.
    let scan = run(
        bin,
        &["scan", "--agent", "codex", "--json", "-z", "UTC"],
        &homes,
    );
    assert_eq!(
        stdout_of(scan, "scan"),
        ours_local(&homes, "daily", &["-z", "UTC"])
    );
}

#[test]
fn tables_list_every_row_and_order_desc_reverses_them() {
    let homes = crafted();
    let bin = Path::new(env!("CARGO_BIN_EXE_ccsync"));
    let table = |kind: &str, order: &str| {
        let args = [
            "report", kind, "--agent", "codex", "--local", "-z", "UTC", "-o", order,
        ];
        stdout_of(run(bin, &args, &homes), kind)
    };
    let at = |text: &str, label: &str| {
        text.find(label)
            .unwrap_or_else(|| panic!("{label}:\n{text}"))
    };
    let months = (table("monthly", "asc"), table("monthly", "desc"));
    assert!(
        at(&months.0, "2026-01") < at(&months.0, "2026-03"),
        "{}",
        months.0
    );
    assert!(
        at(&months.1, "2026-03") < at(&months.1, "2026-01"),
        "{}",
        months.1
    );
    let sessions = table("session", "asc");
    for label in [
        "2026/01/05",
        "2026/01/06",
        "…000000000004",
        "Total",
        "6 rollout files",
    ] {
        at(&sessions, label);
    }
}
