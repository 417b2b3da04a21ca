//! `ccsync scan --json` prints what `ccusage claude daily --json --offline` prints on the same
//! tree: the same keys in the same order, the same days in the same time zone (`-z`, else the
//! system's), the same `--since`/`--until` days, models and breakdowns in the same order,
//! `unpricedModels` alike; tokens exact, costs within 0.01%. And it refuses what ccusage refuses.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::*;
use crate::parity::{ccusage, edge_case_tree, generated_tree};

/// `program args` over the transcript folders `dirs`, in a clean environment (`TZ` only if
/// given), from an empty directory that is also `HOME` (no `.env`, no config of the user).
fn run(program: &Path, args: &[&str], dirs: &[&Path], tz: Option<&str>) -> Output {
    let home = tempfile::tempdir().unwrap();
    let joined: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("CLAUDE_CONFIG_DIR", joined.join(","))
        .current_dir(home.path());
    if let Some(tz) = tz {
        cmd.env("TZ", tz);
    }
    cmd.output().unwrap()
}

/// `ccusage claude daily --json --offline ARGS` (`--mode` as `mode`).
fn ccusage_json(dirs: &[&Path], mode: &str, args: &[&str], tz: Option<&str>) -> String {
    let base = ["claude", "daily", "--json", "--offline", "--mode", mode];
    let out = run(&ccusage(), &[&base[..], args].concat(), dirs, tz);
    crate::common::stdout_of(out, &format!("ccusage {args:?}"))
}

/// `ccsync scan --json ARGS` (`--cost-mode` as `mode`).
fn scan_json(dirs: &[&Path], mode: &str, args: &[&str], tz: Option<&str>) -> String {
    let base = ["scan", "--json", "--cost-mode", mode];
    let bin = Path::new(env!("CARGO_BIN_EXE_ccsync"));
    crate::common::stdout_of(run(bin, &[&base[..], args].concat(), dirs, tz), "scan")
}

fn assert_same_report(ours: &str, theirs: &str, what: &str) {
    assert_eq!(
        crate::common::json_keys(ours),
        crate::common::json_keys(theirs),
        "{what}: keys or their order differ"
    );
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap();
    if let Some(d) = crate::common::json_difference(&parse(ours), &parse(theirs), "", |_, a, b| {
        a.is_f64() || b.is_f64()
    }) {
        panic!("{what}: {d}\n--- ours:\n{ours}\n--- ccusage:\n{theirs}");
    }
}

fn dates(report: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(report).unwrap();
    (v["daily"].as_array().unwrap().iter())
        .map(|d| d["date"].as_str().unwrap().to_string())
        .collect()
}

/// Compares scan with ccusage for every zone and range given, in `mode`.
fn check(dirs: &[&Path], mode: &str, zones: &[&str], ranges: &[&[&str]]) {
    for zone in zones {
        for range in ranges {
            let args = [&["-z", zone][..], range].concat();
            let what = format!("{dirs:?} --mode {mode} {args:?}");
            let ours = scan_json(dirs, mode, &args, None);
            assert_same_report(&ours, &ccusage_json(dirs, mode, &args, None), &what);
        }
    }
}

const ZONES: [&str; 3] = ["UTC", "America/Los_Angeles", "Pacific/Kiritimati"];

#[test]
fn scan_json_is_ccusages_daily_json_on_edge_cases_in_any_zone() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = edge_case_tree(dir.path());
    let dirs = [a.as_path(), b.as_path()];
    for mode in ["auto", "calculate"] {
        check(&dirs, mode, &ZONES, &[&[], &["--since", "20260106"]]);
    }
    // The zone matters on this tree: days move.
    let utc = scan_json(&dirs, "auto", &["-z", "UTC"], None);
    let la = scan_json(&dirs, "auto", &["-z", "America/Los_Angeles"], None);
    assert_ne!(dates(&utc), dates(&la));
}

#[test]
fn scan_json_follows_since_and_until_in_the_zone_on_generated_trees() {
    let dir = tempfile::tempdir().unwrap();
    let hand = generated_tree(dir.path(), 42); // March 2026, every model, sidechains, copies
    check(
        &[&hand],
        "auto",
        &ZONES,
        &[
            &[],
            &["--since", "20260310", "--until", "2026-03-12"],
            &["--since", "2026-03-28"],
            &["--until", "20260301"],
        ],
    );
    // The generator's trees: subagents, progress lines, resumed sessions, `<synthetic>` lines.
    let generated = dir.path().join("generated");
    let opts = ccsync::generate::GenOptions {
        sessions: 16,
        tool_result_bytes: 200,
        seed: 5,
        ..Default::default()
    };
    ccsync::generate::generate(&generated, &opts).unwrap();
    let ranges: [&[&str]; 4] = [
        &[],
        &["--since", "2026-01-05", "--until", "20260105"],
        &["--until", "2026-01-03"],
        &["--since", "20270101"], // nothing: totals of no day
    ];
    check(&[&generated], "auto", &ZONES, &ranges);
    check(
        &[&generated],
        "calculate",
        &["Asia/Kathmandu"],
        &ranges[..2],
    );
}

/// Responses around midnight in Los Angeles (UTC-8 in January: 08:00 UTC) and on Kiritimati
/// (UTC+14: 10:00 UTC the day before), streamed responses whose kept line is on the other side of
/// midnight, unlisted and unpriced models on both sides, in two sessions.
fn midnight_tree(root: &Path) -> PathBuf {
    let dir = root.join("claude-midnight");
    let p = dir.join("projects/-home-me-app");
    let at = |ts: &str| format!("2026-01-0{ts}Z");
    let mut a = String::new();
    a += &line("kiri-before", &at("5T09:59:59.999"))
        .model("claude-opus-4-6")
        .json();
    a += &line("kiri-after", &at("5T10:00:00.000"))
        .model("claude-haiku-4-5")
        .json();
    a += &line("unknown-1", &at("5T09:00:00.000"))
        .model("claude-future-9")
        .json();
    // Streamed across Los Angeles' midnight: the larger, kept line after it ...
    a += &line("late", &at("6T07:59:59.999"))
        .tokens(5, 10, 0, 0, 0)
        .json();
    a += &line("late", &at("6T08:00:00.000"))
        .tokens(5, 300, 0, 0, 0)
        .json();
    // ... and before it.
    let early = |ts, out| {
        line("early", &at(ts))
            .model("claude-sonnet-4-6")
            .tokens(7, out, 0, 0, 0)
    };
    a += &early("6T07:59:30.000", 500).json();
    a += &early("6T08:00:30.000", 20).json();
    a += &line("failed", &at("6T08:00:00.000"))
        .model("<synthetic>")
        .tokens(5, 0, 0, 0, 0)
        .json();
    a += &line("unknown-2", &at("6T09:00:00.000"))
        .model("claude-zz-unknown")
        .json();
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(p.join("sess-a.jsonl"), a).unwrap();
    let mut b = String::new();
    // Los Angeles' evening of the 4th.
    b += &line("la-eve", &at("5T07:00:00.000"))
        .model("claude-haiku-4-5")
        .session("sess-b")
        .json();
    b += &line("b-1", &at("5T23:30:00.000"))
        .model("claude-opus-4-6")
        .session("sess-b")
        .json();
    b += &line("b-2", &at("6T08:00:00.000"))
        .model("claude-opus-4-6")
        .fast()
        .session("sess-b")
        .json();
    b += &line("b-3", &at("6T10:00:00.000"))
        .model("claude-haiku-4-5")
        .session("sess-b")
        .json();
    std::fs::write(p.join("sess-b.jsonl"), b).unwrap();
    dir
}

#[test]
fn days_and_ranges_shift_with_the_zone_across_midnight() {
    let dir = tempfile::tempdir().unwrap();
    let tree = midnight_tree(dir.path());
    let days: [&[&str]; 5] = [
        &[],
        &["--since", "20260105", "--until", "20260105"],
        &["--since", "2026-01-06", "--until", "2026-01-06"],
        &["--since", "20260106"],
        &["--until", "2026-01-05"],
    ];
    for mode in ["auto", "calculate"] {
        check(&[&tree], mode, &ZONES, &days);
    }
    // Sanity: the same responses fall on other days in each zone.
    let on = |zone| dates(&scan_json(&[&tree], "auto", &["-z", zone], None));
    assert_eq!(on("UTC"), ["2026-01-05", "2026-01-06"]);
    assert_eq!(
        on("America/Los_Angeles"),
        ["2026-01-04", "2026-01-05", "2026-01-06"]
    );
    assert_eq!(
        on("Pacific/Kiritimati"),
        ["2026-01-05", "2026-01-06", "2026-01-07"]
    );
}

#[test]
fn without_a_zone_scan_counts_days_in_the_system_zone_as_ccusage() {
    let dir = tempfile::tempdir().unwrap();
    let tree = midnight_tree(dir.path());
    let dirs = [tree.as_path()];
    for tz in ["Pacific/Kiritimati", "America/Los_Angeles"] {
        let ours = scan_json(&dirs, "auto", &[], Some(tz));
        let what = format!("TZ={tz}, no -z");
        assert_same_report(&ours, &ccusage_json(&dirs, "auto", &[], Some(tz)), &what);
        assert_same_report(
            &ours,
            &ccusage_json(&dirs, "auto", &["-z", tz], None),
            &what,
        );
        assert_eq!(ours, scan_json(&dirs, "auto", &["-z", "local"], Some(tz)));
        assert_ne!(ours, scan_json(&dirs, "auto", &["-z", "UTC"], Some(tz)));
        // The human table says which zone its days are in.
        let table = run(
            Path::new(env!("CARGO_BIN_EXE_ccsync")),
            &["scan"],
            &dirs,
            Some(tz),
        );
        let table = crate::common::stdout_of(table, "scan");
        assert!(table.contains(&format!("Date ({tz})")), "{table}");
    }
}

#[test]
fn bad_dates_zones_and_ranges_are_usage_errors_naming_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let tree = midnight_tree(dir.path());
    let dates = "YYYYMMDD or YYYY-MM-DD";
    for (args, named, form) in [
        (&["--since", "2026-1-6"][..], "'2026-1-6'", dates),
        (&["--until", "20260230"], "'20260230'", dates),
        (&["--since", "yesterday"], "'yesterday'", dates),
        (&["-u", "2026/01/06"], "'2026/01/06'", dates),
        (
            &["-z", "Mars/Olympus"],
            "'Mars/Olympus'",
            "IANA time zone name",
        ),
        (&["--timezone", "+05:00"], "'+05:00'", "IANA time zone name"),
        (
            &["-s", "20260106", "-u", "2026-01-05"],
            "2026-01-06",
            "later than --until",
        ),
    ] {
        let out = run(
            Path::new(env!("CARGO_BIN_EXE_ccsync")),
            &[&["scan", "--json"], args].concat(),
            &[&tree],
            None,
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(named) && stderr.contains(form),
            "{args:?}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
        // ccusage refuses them too.
        let theirs = run(
            &ccusage(),
            &[&["claude", "daily", "--json", "--offline"], args].concat(),
            &[&tree],
            None,
        );
        assert_eq!(theirs.status.code(), Some(2), "ccusage {args:?}");
    }
}

/// ccusage lists a response where its first line is, whichever line is kept. Here the kept
/// line (a main-chain copy under another requestId, merged by the sidechain rule) comes after
/// more responses than `scan` holds in one batch, so it is stored as a new row.
#[test]
fn a_response_is_listed_where_it_began_even_when_kept_from_a_later_batch() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("claude/projects/-p");
    std::fs::create_dir_all(&p).unwrap();
    let ts = "2026-01-05T10:00:00.000Z";
    let first = line("m", ts).req(Some("req_side")).sidechain();
    let mut a = first.model("claude-haiku-4-5").tokens(1, 1, 0, 0, 0).json();
    for i in 0..5_001 {
        a += &line(&format!("filler-{i}"), ts)
            .model("claude-opus-4-6")
            .json();
    }
    std::fs::write(p.join("a.jsonl"), a).unwrap();
    let kept = line("m", ts)
        .req(Some("req_main"))
        .model("claude-sonnet-4-6");
    std::fs::write(p.join("b.jsonl"), kept.json()).unwrap();
    let dirs = [dir.path().join("claude")];
    let dirs = [dirs[0].as_path()];
    let ours = scan_json(&dirs, "auto", &["-z", "UTC"], None);
    assert_same_report(
        &ours,
        &ccusage_json(&dirs, "auto", &["-z", "UTC"], None),
        "batches",
    );
    let v: Value = serde_json::from_str(&ours).unwrap();
    assert_eq!(
        v["daily"][0]["modelsUsed"],
        serde_json::json!(["claude-sonnet-4-6", "claude-opus-4-6"])
    );
}
