use super::*;
use std::path::PathBuf;

/// The tree read as `scan` reads it, and its days in UTC.
fn scan(
    dir: &std::path::Path,
) -> (
    crate::source::claude::scan::LocalRows,
    crate::report::DailyReport,
) {
    let local = crate::source::claude::scan::read_rows(
        &[dir.to_path_buf()],
        crate::price::CostMode::Auto,
        "",
    );
    let daily = crate::report::daily(
        &local.rows,
        crate::report::Zone::utc(),
        crate::report::DateRange::ALL,
    );
    (local, daily)
}

#[test]
fn generated_tree_is_deterministic_and_parses() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let opts = GenOptions {
        sessions: 6,
        malformed_every: 50,
        ..GenOptions::default()
    };
    let (files, bytes) = generate(a.path(), &opts).unwrap();
    assert_eq!(generate(b.path(), &opts).unwrap(), (files, bytes));
    let (report, daily) = scan(a.path());
    assert!(report.messages > 100, "{}", report.messages);
    assert!(report.stats.lines_skipped > 0);
    assert!(
        report.stats.duplicates > 0,
        "streamed lines and resumed copies"
    );
    assert!(daily.totals.total_cost > 0.0);
    assert!(report.stats.unknown_models.is_empty());
}

#[test]
fn sized_tree_counts_every_response_once() {
    let dir = tempfile::tempdir().unwrap();
    let opts = GenOptions {
        target_bytes: Some(6 << 20),
        // Enough sessions that subagents, progress lines and resumed copies all occur.
        responses_per_session: 30,
        tool_result_bytes: 2000,
        seed: 7,
        ..GenOptions::default()
    };
    let r = generate_tree(dir.path(), &opts).unwrap();
    assert!(r.bytes >= 6 << 20 && r.bytes < 8 << 20, "{r:?}");
    let on_disk: u64 = walk(dir.path())
        .iter()
        .map(|p| p.metadata().unwrap().len())
        .sum();
    assert_eq!(on_disk, r.bytes);
    assert!(
        walk(dir.path())
            .iter()
            .any(|p| p.to_string_lossy().contains("/subagents/agent-")),
        "subagent files"
    );
    let (report, _) = scan(dir.path());
    assert_eq!(report.files, r.files);
    assert_eq!(report.messages as u64, r.messages, "one row per response");
    assert_eq!(report.stats.lines_read, r.lines);
    assert_eq!(report.stats.lines_skipped, 0);
    assert!(report.stats.unknown_models.is_empty());
}

#[test]
fn a_huge_line_keeps_its_usage() {
    let dir = tempfile::tempdir().unwrap();
    let opts = GenOptions {
        sessions: 1,
        responses_per_session: 3,
        huge_line_mb: 9, // above collect::MAX_LINE_BYTES: read as a skeleton
        ..GenOptions::default()
    };
    let r = generate_tree(dir.path(), &opts).unwrap();
    assert!(r.bytes > 9 << 20);
    let (report, daily) = scan(dir.path());
    assert_eq!(report.messages as u64, r.messages);
    assert_eq!(report.stats.lines_skipped, 0);
    assert!(daily.totals.output_tokens >= 65_000);
}

#[test]
fn sizes_parse_with_binary_units() {
    assert_eq!(parse_size("2G"), Ok(2 << 30));
    assert_eq!(parse_size("500M"), Ok(500 << 20));
    assert_eq!(parse_size("1.5k"), Ok(1536));
    assert_eq!(parse_size("1048576"), Ok(1 << 20));
    assert_eq!(parse_size("3 GiB"), Ok(3 << 30));
    assert!(parse_size("2X").is_err());
    assert!(parse_size("G").is_err());
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}
