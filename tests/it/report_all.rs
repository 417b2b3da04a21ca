//! Without `--agent`, `ccsync report daily|weekly|monthly|session --json` prints what ccusage's
//! all-agent reports (`ccusage daily|weekly|monthly|session --json --offline`) print: every
//! agent's usage, Claude Code's and Codex's on the same days, in that shape (`agent`,
//! `period`, `metadata`). With `--local` and from the database after a sync, in several
//! zones and ranges. Tokens exact, costs within 0.01%.

use std::path::{Path, PathBuf};

use ccsync::sync::sync_once;

use crate::common::*;
use crate::migration::copy_tree;
use crate::parity::{ccusage, edge_case_tree};
use crate::report::{assert_same, run, without_progress_lines};

/// Claude Code's edge cases (January and February 2026) and Codex rollouts: real ones
/// (February 2026) and crafted ones (January 2026, one home billing the fast tier), so that
/// some days have both agents.
struct Trees {
    claude: Vec<PathBuf>,
    codex: Vec<PathBuf>,
}

impl Trees {
    fn new(root: &Path, with_progress_lines: bool) -> Trees {
        let (a, b) = edge_case_tree(root);
        if !with_progress_lines {
            without_progress_lines(&[&a, &b]);
        }
        let codex = ["real", "crafted/a", "crafted/fast"].map(|h| {
            let home = root.join("codex").join(h);
            std::fs::create_dir_all(&home).unwrap();
            copy_tree(&repo().join("tests/data/codex").join(h), &home);
            home
        });
        Trees {
            claude: vec![a, b],
            codex: codex.to_vec(),
        }
    }

    fn codex_home(&self) -> String {
        let homes: Vec<String> = self.codex.iter().map(|h| h.display().to_string()).collect();
        homes.join(",")
    }

    fn claude(&self) -> Vec<&Path> {
        self.claude.iter().map(PathBuf::as_path).collect()
    }

    /// `ccusage REPORT --json --offline ARGS` over both agents' files.
    fn theirs(&self, report: &str, args: &[&str]) -> String {
        let base = [report, "--json", "--offline"];
        let home = self.codex_home();
        let codex = [("CODEX_HOME", home.as_str())];
        let out = run(
            &ccusage(),
            &[&base[..], args].concat(),
            &self.claude(),
            &codex,
        );
        stdout_of(out, &format!("ccusage {report} {args:?}"))
    }

    /// `ccsync report REPORT --local --json ARGS` over the same files.
    fn ours_local(&self, report: &str, args: &[&str]) -> String {
        let base = ["report", report, "--local", "--json"];
        let home = self.codex_home();
        let codex = [("CODEX_HOME", home.as_str())];
        let bin = Path::new(env!("CARGO_BIN_EXE_ccsync"));
        let out = run(bin, &[&base[..], args].concat(), &self.claude(), &codex);
        stdout_of(out, &format!("report {report} --local {args:?}"))
    }
}

/// The ranges each report is compared in (beyond the zone): the whole record, a range inside
/// January (Claude Code only), from a day with both agents on, and one ending on a day with
/// usage (the all-agent session report's `--until` rule).
const RANGES: [&[&str]; 4] = [
    &[],
    &["--since", "20260106", "--until", "2026-01-31"],
    &["--since", "20260105"],
    &["--until", "20260201"],
];

fn check(trees: &Trees, report: &str, zones: &[&str], ours: impl Fn(&str, &[&str]) -> String) {
    for zone in zones {
        for range in RANGES {
            let args = [&["-z", zone][..], range].concat();
            let what = format!("{report} (every agent) {args:?}");
            assert_same(&ours(report, &args), &trees.theirs(report, &args), &what);
        }
    }
}

const ZONES: [&str; 3] = ["UTC", "America/Los_Angeles", "Asia/Kathmandu"];

#[test]
fn all_agent_periods_from_local_files_are_ccusages() {
    let dir = tempfile::tempdir().unwrap();
    let trees = Trees::new(dir.path(), true);
    for report in ["daily", "weekly", "monthly"] {
        check(&trees, report, &ZONES, |r, a| trees.ours_local(r, a));
    }
}

/// ccusage's session reports ignore the responses nested in progress lines (counted by its
/// daily ones, and by ccsync's every report: docs/ccusage-compat.md, §9): compared without.
#[test]
fn all_agent_sessions_from_local_files_are_ccusages() {
    let dir = tempfile::tempdir().unwrap();
    let trees = Trees::new(dir.path(), false);
    check(&trees, "session", &ZONES, |r, a| trees.ours_local(r, a));
}

#[test]
fn a_day_of_both_agents_lists_both() {
    let dir = tempfile::tempdir().unwrap();
    let trees = Trees::new(dir.path(), true);
    let out = trees.ours_local("daily", &["-z", "UTC"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let both = (v["daily"].as_array().unwrap().iter())
        .filter(|d| d["metadata"]["agents"] == serde_json::json!(["claude", "codex"]))
        .count();
    assert!(both > 0, "no day lists both agents:\n{out}");
}

#[tokio::test]
async fn all_agent_reports_from_the_database_are_ccusages_after_a_sync() {
    for with_progress_lines in [true, false] {
        let env = Env::new(&format!("report_all_db_{with_progress_lines}"));
        let trees = Trees::new(&env.dir.path().join("trees"), with_progress_lines);
        let mut cfg = env.config();
        cfg.claude_dirs = trees.claude.clone();
        cfg.codex_homes = trees.codex.clone();
        sync_once(&cfg).await.unwrap();
        let ours = |report: &str, args: &[&str]| {
            let base = ["report", report, "--json"];
            let out = env.command(&[&base[..], args].concat()).output().unwrap();
            stdout_of(out, &format!("report {report} {args:?}"))
        };
        let reports: &[&str] = if with_progress_lines {
            &["daily", "weekly", "monthly"]
        } else {
            &["session"]
        };
        for report in reports {
            check(&trees, report, &ZONES[..2], ours);
        }
    }
}

/// A machine with Codex and no Claude Code gets its report; one with neither, the error that
/// names the folders tried (with `--agent claude`, no Claude Code folder is an error anyway).
#[test]
fn codex_alone_is_reported_and_no_agent_at_all_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let trees = Trees::new(dir.path(), true);
    let missing = dir.path().join("no-claude");
    let bin = Path::new(env!("CARGO_BIN_EXE_ccsync"));
    let home = trees.codex_home();
    let args = ["report", "monthly", "--local", "--json", "-z", "UTC"];
    let out = run(bin, &args, &[&missing], &[("CODEX_HOME", home.as_str())]);
    let v: serde_json::Value = serde_json::from_str(&stdout_of(out, "codex alone")).unwrap();
    let agents: Vec<&serde_json::Value> = (v["monthly"].as_array().unwrap().iter())
        .map(|m| &m["metadata"]["agents"])
        .collect();
    assert!(!agents.is_empty(), "{v}");
    assert!(
        agents.iter().all(|a| *a == &serde_json::json!(["codex"])),
        "{v}"
    );
    for (extra, what) in [
        (&[][..], "no agent"),
        (&["--agent", "claude"][..], "--agent claude"),
    ] {
        let none = dir.path().join("no-codex").display().to_string();
        let args = [&args[..], extra].concat();
        let out = run(bin, &args, &[&missing], &[("CODEX_HOME", none.as_str())]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {err}");
        assert!(
            err.contains("no-claude"),
            "{what}: the folder tried is named: {err}"
        );
    }
}
