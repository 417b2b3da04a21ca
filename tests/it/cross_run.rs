//! Issue 15, one test per numbered case: what the hourly timer leaves in the database (a sync per
//! run over a tree that changes between runs) must be what one fresh run of the final tree gives
//! (a new database, a new state dir), and what ccusage counts on it.
//!
//! Oracles: a fresh run (`FreshRun`), `ccusage claude daily --json --offline --timezone UTC`
//! (`ccusage_days`), and for the rollup also the aggregation of `usage_events FINAL` it stands for.
//! Readers (`ccsync query`, Grafana) read with FINAL per partition, so that is what is compared
//! unless a test says otherwise.

use std::path::{Path, PathBuf};

use ccsync::sync::sync_once;

use crate::common::*;

async fn sync(env: &Env) {
    let report = sync_once(&env.config())
        .await
        .unwrap_or_else(|e| panic!("sync failed: {e:#}"));
    assert_eq!(report.status, "ok", "sync status: {report:?}");
}

/// What a comparison with a fresh run of the tree covers.
#[derive(Clone, Copy)]
struct Compared {
    events: bool,
    rollup: bool,
    daily_by_machine: bool,
}

const EVENTS_ROLLUP_QUERY: Compared = Compared {
    events: true,
    rollup: true,
    daily_by_machine: true,
};

/// `env`'s database equals a fresh run of its tree in what `compared` names.
async fn assert_equals_fresh_run(env: &Env, compared: Compared) {
    let fresh = FreshRun::of_env(env).await;
    let client = env.client();
    if compared.events {
        assert_same_rows(
            "usage_events FINAL per partition (actual) vs a fresh run (expected)",
            &events(&client).await,
            &events(&fresh.client).await,
        );
    }
    if compared.rollup {
        assert_same_rows(
            "usage_rollup FINAL (actual) vs a fresh run (expected)",
            &rollup(&client).await,
            &rollup(&fresh.client).await,
        );
    }
    if compared.daily_by_machine {
        assert_same_rows(
            "ccsync query daily_by_machine (actual) vs a fresh run's (expected)",
            &daily_by_machine(&client).await,
            &daily_by_machine(&fresh.client).await,
        );
    }
    fresh.drop_database().await;
}

pub(crate) async fn events(client: &clickhouse::Client) -> ccsync::store::query::Table {
    fetch_sql(client, EVENTS_SQL, PER_PARTITION).await
}

pub(crate) async fn rollup(client: &clickhouse::Client) -> ccsync::store::query::Table {
    fetch_sql(client, ROLLUP_SQL, PER_PARTITION).await
}

async fn daily_by_machine(client: &clickhouse::Client) -> ccsync::store::query::Table {
    pack_query(client, "daily_by_machine", &[]).await
}

/// The rollup's sums per machine, day, session and model equal those of `usage_events FINAL`.
pub(crate) async fn assert_rollup_sums_match_events(client: &clickhouse::Client, when: &str) {
    let rollup = fetch_sql(client, ROLLUP_SUMS_SQL, PER_PARTITION).await;
    let events = fetch_sql(client, EVENT_SUMS_SQL, ACROSS_PARTITIONS).await;
    assert_same_rows(
        &format!(
            "{when}: usage_rollup FINAL (actual) against an aggregation of usage_events FINAL (expected)"
        ),
        &rollup,
        &events,
    );
}

/// The database's days (`usage_events FINAL`, per partition and across them) are ccusage's on
/// `dirs`, and its rollup adds up to its rows.
pub(crate) async fn assert_database_is_ccusages(
    client: &clickhouse::Client,
    dirs: &[&std::path::Path],
    when: &str,
) {
    let ccusage = ccusage_days(dirs);
    for settings in [PER_PARTITION, ACROSS_PARTITIONS] {
        assert_days_are_ccusages(&event_days(client, settings).await, &ccusage, when);
    }
    assert_rollup_sums_match_events(client, when).await;
}

#[track_caller]
pub(crate) fn assert_days_are_ccusages(ours: &[Day], ccusage: &[Day], what: &str) {
    if let Some(d) = days_diff(ours, ccusage) {
        panic!("{what}: {d}");
    }
}

// 1. ---------------------------------------------------------------------------------------------

/// Run 1 writes a row of the 10:00 bucket; run 2's only new row is at 10:14:59.500, so the
/// refresh of that bucket is all that can bring it into the rollup.
#[tokio::test]
async fn a_response_in_the_last_second_of_a_bucket_stays_in_the_rollup() {
    let env = Env::new("cr_bucket_end");
    env.write(
        "-p/s1.jsonl",
        &lines(&[line("m1", "2026-01-05T10:05:00.000Z")]),
    );
    sync(&env).await;
    env.append(
        "-p/s1.jsonl",
        &lines(&[line("m2", "2026-01-05T10:14:59.500Z")]),
    );
    sync(&env).await;

    assert_equals_fresh_run(
        &env,
        Compared {
            events: false,
            rollup: true,
            daily_by_machine: true,
        },
    )
    .await;
}

// 2. ---------------------------------------------------------------------------------------------

/// The main line (run 1) and, in the next run, its sidechain copy in the session's subagent file
/// (same message.id, another requestId): ccusage's sidechain rule makes them one response,
/// and keeps the main line even though the copy is larger.
#[tokio::test]
async fn a_sidechain_copy_synced_after_its_main_line_counts_once() {
    let env = Env::new("cr_side_after");
    let ts = "2026-01-05T10:00:00.000Z";
    env.write(
        "-p/s1.jsonl",
        &lines(&[line("msg_1", ts).req(Some("req_main"))]),
    );
    sync(&env).await;
    env.write(
        "-p/s1/subagents/agent-a1.jsonl",
        &lines(&[line("msg_1", "2026-01-05T10:00:00.300Z")
            .req(Some("req_side"))
            .sidechain()
            .agent("a1")
            .tokens(10, 900, 1000, 0, 5000)]),
    );
    sync(&env).await;

    assert_days_are_ccusages(
        &event_days(&env.client(), PER_PARTITION).await,
        &ccusage_days(&[&env.claude_dir()]),
        "usage_events FINAL after the sidechain copy arrived in a later run",
    );
    assert_equals_fresh_run(
        &env,
        Compared {
            rollup: false,
            ..EVENTS_ROLLUP_QUERY
        },
    )
    .await;
}

/// The subagent file is synced first; the parent's `agent_progress` line for the same response
/// (no requestId, smaller usage: written while the subagent was still streaming) arrives in the
/// next run. ccusage: one response (sidechain rule within the session), the larger line kept.
#[tokio::test]
async fn a_progress_line_without_request_id_after_its_subagent_file_counts_once() {
    let env = Env::new("cr_progress_after");
    let ts = "2026-01-05T10:00:00.000Z";
    env.write("-p/s1.jsonl", &lines(&[line("msg_main", ts)]));
    let sub = line("msg_sub", "2026-01-05T10:01:00.000Z")
        .req(Some("req_sub"))
        .sidechain()
        .agent("a1")
        .tokens(10, 500, 1000, 0, 5000);
    env.write("-p/s1/subagents/agent-a1.jsonl", &lines(&[sub]));
    sync(&env).await;
    let partial = line("msg_sub", "2026-01-05T10:01:00.000Z")
        .req(None)
        .sidechain()
        .tokens(10, 200, 1000, 0, 5000);
    env.append(
        "-p/s1.jsonl",
        progress_line("s1", "2026-01-05T10:01:00.500Z", "a1", &partial).as_bytes(),
    );
    sync(&env).await;

    assert_days_are_ccusages(
        &event_days(&env.client(), PER_PARTITION).await,
        &ccusage_days(&[&env.claude_dir()]),
        "usage_events FINAL after the progress line arrived in a later run",
    );
    assert_equals_fresh_run(
        &env,
        Compared {
            rollup: false,
            ..EVENTS_ROLLUP_QUERY
        },
    )
    .await;
}

// 3. ---------------------------------------------------------------------------------------------

/// A resumed session (another file, a later run) holds a larger line of a response synced
/// earlier, 15 minutes later: the response moves to the later bucket and must leave the old one.
#[tokio::test]
async fn a_better_line_in_another_file_and_bucket_moves_the_response_in_the_rollup() {
    let env = Env::new("cr_better_bucket");
    env.write(
        "-p/s1.jsonl",
        &lines(&[line("m1", "2026-01-05T10:05:00.000Z").tokens(10, 20, 1000, 0, 5000)]),
    );
    sync(&env).await;
    env.write(
        "-p/s2.jsonl",
        &lines(&[line("m1", "2026-01-05T10:20:00.000Z")
            .session("s2")
            .tokens(10, 400, 1000, 0, 5000)]),
    );
    sync(&env).await;

    assert_rollup_sums_match_events(&env.client(), "after the better line's run").await;
    assert_equals_fresh_run(
        &env,
        Compared {
            events: false,
            ..EVENTS_ROLLUP_QUERY
        },
    )
    .await;
}

/// The same across a month boundary: the two lines' rows fall in two monthly partitions, and
/// FINAL per partition (what every reader uses) must still show the response once, on ccusage's
/// day.
#[tokio::test]
async fn a_better_line_across_a_month_boundary_shows_once_with_final_per_partition() {
    let env = Env::new("cr_better_month");
    env.write(
        "-p/s1.jsonl",
        // Not in the last second of a bucket (that is case 1).
        &lines(&[line("m1", "2026-01-31T23:58:30.000Z").tokens(10, 20, 1000, 0, 5000)]),
    );
    sync(&env).await;
    env.write(
        "-p/s2.jsonl",
        &lines(&[line("m1", "2026-02-01T00:00:00.100Z")
            .session("s2")
            .tokens(10, 400, 1000, 0, 5000)]),
    );
    sync(&env).await;

    assert_days_are_ccusages(
        &event_days(&env.client(), PER_PARTITION).await,
        &ccusage_days(&[&env.claude_dir()]),
        "usage_events FINAL per partition after the better line's run",
    );
    assert_equals_fresh_run(&env, EVENTS_ROLLUP_QUERY).await;
}

/// Found by an audit, three runs of one response at equal totals: a cheap line with `speed`,
/// then a costlier one without (it wins on cost, ccusage's rule 3, so its version lies above
/// the first one's), then an equal-cost one with `speed` (it wins by rule 4). A rank read back
/// from the second row's version claimed `speed` and kept it.
#[tokio::test]
async fn a_line_that_won_on_cost_still_loses_a_later_tie_to_a_line_with_speed() {
    let env = Env::new("cr_cost_then_speed");
    let base = |ts: &str| line("m1", ts).tokens(1000, 100, 0, 0, 0);
    env.write(
        "-p/s1.jsonl",
        &lines(&[base("2026-01-31T12:00:00.000Z").model("claude-haiku-4-5-20251001")]),
    );
    sync(&env).await;
    env.append(
        "-p/s1.jsonl",
        &lines(&[base("2026-02-01T12:00:00.000Z")
            .model("claude-opus-4-1-20250805")
            .no_speed()]),
    );
    sync(&env).await;
    env.write(
        "-p/s2.jsonl",
        &lines(&[base("2026-03-01T12:00:00.000Z")
            .model("claude-opus-4-1-20250805")
            .session("s2")]),
    );
    sync(&env).await;

    assert_database_is_ccusages(&env.client(), &[&env.claude_dir()], "after the third run").await;
    assert_equals_fresh_run(&env, EVENTS_ROLLUP_QUERY).await;
}

// 4. ---------------------------------------------------------------------------------------------

/// One response streamed across midnight, a sync between its first and its last line: ccusage
/// keeps the last (larger) line, so the response is on the later day.
#[tokio::test]
async fn a_response_streamed_across_midnight_with_a_sync_between_is_dated_on_the_later_day() {
    let env = Env::new("cr_midnight");
    env.write(
        "-p/s1.jsonl",
        // Not in the last second of a bucket (that is case 1).
        &lines(&[line("m1", "2026-01-05T23:59:58.500Z").tokens(10, 3, 1000, 0, 5000)]),
    );
    sync(&env).await;
    env.append(
        "-p/s1.jsonl",
        &lines(&[line("m1", "2026-01-06T00:00:00.300Z").tokens(10, 400, 1000, 0, 5000)]),
    );
    sync(&env).await;

    assert_days_are_ccusages(
        &event_days(&env.client(), PER_PARTITION).await,
        &ccusage_days(&[&env.claude_dir()]),
        "usage_events FINAL after the stream's last line was synced in a second run",
    );
    assert_equals_fresh_run(
        &env,
        Compared {
            rollup: false,
            ..EVENTS_ROLLUP_QUERY
        },
    )
    .await;
}

// 5. ---------------------------------------------------------------------------------------------

const FAKETIME_MISSING: &str = "this test runs ccsync under libfaketime, which is not installed: \
     run scripts/setup.sh, or `apt-get install faketime` (Debian/Ubuntu package `faketime`)";

/// Run 1 at the real time; run 2, by the binary with its clock three days behind (an NTP step,
/// a VM restore), completes a response and adds one in the same bucket. The rollup must show
/// run 2's lines.
#[tokio::test]
async fn a_clock_set_back_between_runs_does_not_stop_the_rollup_following_the_data() {
    let probe = std::process::Command::new("faketime")
        .args(["-f", "-3d", "true"])
        .status();
    assert!(
        probe.as_ref().is_ok_and(|s| s.success()),
        "{FAKETIME_MISSING} ({probe:?})"
    );
    let env = Env::new("cr_clock_back");
    env.write(
        "-p/s1.jsonl",
        &lines(&[line("m1", "2026-01-05T10:00:00.000Z").tokens(10, 3, 1000, 0, 5000)]),
    );
    sync(&env).await;
    env.append(
        "-p/s1.jsonl",
        // The completed line with the first one's timestamp: only the clock is at stake here.
        &lines(&[
            line("m1", "2026-01-05T10:00:00.000Z").tokens(10, 400, 1000, 0, 5000),
            line("m2", "2026-01-05T10:03:00.000Z"),
        ]),
    );
    // -m: the thread-safe variant; the monotonic clock is left alone (timers, timeouts).
    let out = env
        .command_via(&["faketime", "-m", "-f", "-3d"], &["--once"])
        .env("DONT_FAKE_MONOTONIC", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ccsync --once under faketime failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The harness itself: the second run really saw a clock three days behind.
    let behind: Vec<i64> = env
        .client()
        .query(
            "SELECT dateDiff('hour', started_at, now64(3)) FROM sync_runs \
             ORDER BY started_at",
        )
        .fetch_all()
        .await
        .unwrap();
    assert!(
        behind.len() == 2 && behind.iter().any(|h| (70..=74).contains(h)),
        "faketime did not set the second run's clock back 3 days (hours behind per run: {behind:?})"
    );

    assert_rollup_sums_match_events(&env.client(), "after the run with the clock set back").await;
    assert_equals_fresh_run(
        &env,
        Compared {
            events: false,
            rollup: true,
            daily_by_machine: false,
        },
    )
    .await;
}

/// The server's clock behind the rollup's versions (its clock stepped back after a refresh: the
/// local engine runs on the agent's machine): the refresh versions above the machine's highest
/// (rollup_version.sql), so run 2's completed line still shows in the rollup.
#[tokio::test]
async fn a_server_clock_behind_the_rollups_versions_does_not_stop_the_refresh() {
    let env = Env::new("cr_server_clock_back");
    env.write(
        "-p/s1.jsonl",
        &lines(&[line("m1", "2026-01-05T10:00:00.000Z").tokens(10, 3, 1000, 0, 5000)]),
    );
    sync(&env).await;
    // Run 1's refresh as if the server's clock had been three days ahead then.
    let ahead = 3 * 86_400 * 1_000_000u64;
    env.client()
        .query(&format!(
            "INSERT INTO usage_rollup SELECT * REPLACE (version + {ahead} AS version) \
             FROM usage_rollup FINAL"
        ))
        .execute()
        .await
        .unwrap();
    env.append(
        "-p/s1.jsonl",
        &lines(&[line("m1", "2026-01-05T10:00:00.000Z").tokens(10, 400, 1000, 0, 5000)]),
    );
    sync(&env).await;
    let newest: u64 = env
        .client()
        .query("SELECT max(version) FROM usage_rollup")
        .fetch_one()
        .await
        .unwrap();
    let now_micros = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros(),
    )
    .unwrap();
    assert!(
        newest > now_micros + ahead / 2,
        "the refresh's version {newest}"
    );
    assert_rollup_sums_match_events(&env.client(), "after the refresh behind the versions").await;
    assert_equals_fresh_run(&env, EVENTS_ROLLUP_QUERY).await;
}

// 6. ---------------------------------------------------------------------------------------------

/// `n` responses `from..from+n` of session `session`, spread over 12 days and many buckets;
/// `out` sets the output tokens.
fn many(session: &str, from: usize, n: usize, out: u64) -> Vec<u8> {
    let ls: Vec<Line> = (from..from + n)
        .map(|i| {
            let ts = format!(
                "2026-01-{:02}T{:02}:{:02}:00.000Z",
                1 + i % 12,
                (i * 7) % 24,
                (i * 13) % 60
            );
            line(&format!("m{i}"), &ts).session(session).tokens(
                10 + i as u64 % 7,
                out,
                1000,
                0,
                5000,
            )
        })
        .collect();
    lines(&ls)
}

/// Two installs of one machine name (two state dirs: a reinstall beside the old one, two users'
/// homes) sync at the same moment, with overlapping responses (B holds a resumed copy of A's
/// later half, completed: larger, so which line wins is never a tie).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_state_dirs_of_one_machine_syncing_at_once_equal_a_fresh_run_of_both_trees() {
    let env = Env::new("cr_two_states");
    let a = env.dir.path().join("claude-a");
    let b = env.dir.path().join("claude-b");
    let write = |root: &Path, rel: &str, content: &[u8]| {
        let p = root.join("projects").join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    };
    write(&a, "-p/sa.jsonl", &many("sa", 0, 120, 100));
    let mut resumed = many("sb", 60, 60, 300);
    resumed.extend(many("sb", 120, 60, 100));
    write(&b, "-p/sb.jsonl", &resumed);

    let mut cfg_a = env.config_for(&env.machine, &a);
    cfg_a.state_dir = env.dir.path().join("state-old-install");
    let mut cfg_b = env.config_for(&env.machine, &b);
    cfg_b.state_dir = env.dir.path().join("state-new-install");
    let (ra, rb) = tokio::join!(sync_once(&cfg_a), sync_once(&cfg_b));
    ra.unwrap_or_else(|e| panic!("sync of state dir A: {e:#}"));
    rb.unwrap_or_else(|e| panic!("sync of state dir B: {e:#}"));

    let fresh = FreshRun::of(&env, &env.machine, &[a.clone(), b.clone()]).await;
    assert_same_rows(
        "usage_events FINAL (actual) vs a fresh run of both trees (expected)",
        &events(&env.client()).await,
        &events(&fresh.client).await,
    );
    assert_rollup_sums_match_events(&env.client(), "after the two concurrent runs").await;
    assert_same_rows(
        "usage_rollup FINAL (actual) vs a fresh run of both trees (expected)",
        &rollup(&env.client()).await,
        &rollup(&fresh.client).await,
    );
}

// 7. ---------------------------------------------------------------------------------------------

/// Lines dated 1969 and 2200 (ccusage accepts any year): the rollup and the query put them on
/// their own day, as ccusage and `usage_events` do.
#[tokio::test]
async fn timestamps_before_1970_and_after_2106_keep_their_day_in_the_rollup_and_the_query() {
    let env = Env::new("cr_far_years");
    env.write(
        "-p/s1.jsonl",
        &lines(&[
            line("m1", "1969-07-20T20:17:40.000Z"),
            line("m2", "2026-01-05T10:00:00.000Z"),
            line("m3", "2200-01-01T00:00:00.000Z"),
        ]),
    );
    sync(&env).await;
    let ccusage = ccusage_days(&[&env.claude_dir()]);
    // The oracle and usage_events agree already (toDate32): what follows is the rollup's.
    assert_days_are_ccusages(
        &event_days(&env.client(), PER_PARTITION).await,
        &ccusage,
        "usage_events FINAL",
    );

    assert_rollup_sums_match_events(&env.client(), "after one run").await;
    // The widest range a Date32 holds, so that the query's own default range is not the issue.
    let query = pack_query(
        &env.client(),
        "daily_by_machine",
        &[("since", "1900-01-01"), ("until", "2299-12-31")],
    )
    .await;
    let shown: Vec<(String, u64, u64)> = (0..query.rows.len())
        .map(|r| {
            (
                query.get(r, "day").as_str().unwrap().to_string(),
                query.get(r, "input_tokens").as_u64().unwrap(),
                query.get(r, "output_tokens").as_u64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, u64, u64)> = ccusage
        .iter()
        .map(|d| (d.date.clone(), d.input, d.output))
        .collect();
    assert_eq!(
        shown, expected,
        "ccsync query daily_by_machine since=1900-01-01 until=2299-12-31: (day, input, output) \
         (left) vs ccusage (right)"
    );
}

// 8. ---------------------------------------------------------------------------------------------

/// Lines without message.id, each with its own uuid, on days 5, 6, 7.
fn id_less(session: &str) -> Vec<Line> {
    (0..3)
        .map(|i| {
            line("unused", &format!("2026-01-0{}T10:00:00.000Z", 5 + i))
                .no_message_id()
                .req(None)
                .session(session)
                .tokens(10, 100 * (i + 1), 1000, 0, 5000)
        })
        .collect()
}

/// A copy of `env`'s tree as it is now (an oracle for ccusage once the tree changed).
fn snapshot_tree(env: &Env, name: &str) -> PathBuf {
    let to = env.dir.path().join(name);
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(env.claude_dir())
        .arg(&to)
        .status()
        .unwrap();
    assert!(status.success());
    to
}

/// The project folder renamed between runs (the same file, now under another project): history
/// stays, nothing is counted twice.
#[tokio::test]
async fn lines_without_message_id_moved_to_another_project_are_not_counted_twice() {
    let env = Env::new("cr_noid_moved");
    let mut ls = id_less("s1");
    ls.push(line("m1", "2026-01-05T11:00:00.000Z"));
    env.write("-p/s1.jsonl", &lines(&ls));
    sync(&env).await;
    std::fs::create_dir_all(env.projects().join("-q")).unwrap();
    std::fs::rename(
        env.projects().join("-p/s1.jsonl"),
        env.projects().join("-q/s1.jsonl"),
    )
    .unwrap();
    sync(&env).await;

    assert_days_are_ccusages(
        &event_days(&env.client(), PER_PARTITION).await,
        &ccusage_days(&[&env.claude_dir()]),
        "usage_events FINAL after the transcript moved to another project",
    );
    assert_equals_fresh_run(
        &env,
        Compared {
            events: false,
            rollup: false,
            daily_by_machine: true,
        },
    )
    .await;
}

/// The first line deleted from a synced file (the file rewritten shorter, so re-read): the later
/// lines must not take the rows of others. Every line ever synced is still counted once: what
/// ccusage counts on the tree as it was before the deletion.
#[tokio::test]
async fn deleting_earlier_lines_without_message_id_keeps_every_synced_line_once() {
    let env = Env::new("cr_noid_deleted");
    let ls = id_less("s1");
    env.write("-p/s1.jsonl", &lines(&ls));
    sync(&env).await;
    let before = snapshot_tree(&env, "claude-before");
    env.write("-p/s1.jsonl", &lines(&ls[1..]));
    sync(&env).await;

    assert_days_are_ccusages(
        &event_days(&env.client(), PER_PARTITION).await,
        &ccusage_days(&[&before]),
        "usage_events FINAL after the first line was deleted (expected: every line synced, once)",
    );
    let fresh_before = FreshRun::of(&env, &env.machine, &[before]).await;
    assert_same_rows(
        "ccsync query daily_by_machine (actual) vs a fresh run of the tree before the deletion (expected)",
        &daily_by_machine(&env.client()).await,
        &daily_by_machine(&fresh_before.client).await,
    );
}

/// Genuine copies still count as often as ccusage counts them: a verbatim duplicate line (the
/// same uuid) in one file, and then, in a later run, the whole file copied to another project.
#[tokio::test]
async fn genuine_copies_of_lines_without_message_id_count_as_often_as_ccusage_counts_them() {
    let env = Env::new("cr_noid_copies");
    let ls = id_less("s1");
    let mut content = lines(&ls);
    content.extend(lines(&ls[..1]));
    env.write("-p/s1.jsonl", &content);
    sync(&env).await;
    env.write("-q/s1.jsonl", &content);
    sync(&env).await;

    assert_days_are_ccusages(
        &event_days(&env.client(), PER_PARTITION).await,
        &ccusage_days(&[&env.claude_dir()]),
        "usage_events FINAL after the copy's run",
    );
    assert_equals_fresh_run(
        &env,
        Compared {
            events: true,
            rollup: false,
            daily_by_machine: false,
        },
    )
    .await;
}

// 9. ---------------------------------------------------------------------------------------------

/// A project folder and a transcript whose names are not valid UTF-8 (Linux allows any bytes but
/// `/` and NUL). ccusage 20.0.24 reads both (checked: each file's responses are in its daily
/// totals), so they must be synced.
#[tokio::test]
async fn transcripts_under_names_that_are_not_utf8_are_synced() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let env = Env::new("cr_non_utf8");
    let write = |rel: &[u8], content: &[u8]| {
        let p = env.projects().join(OsStr::from_bytes(rel));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    };
    write(
        b"-p/ok.jsonl",
        &lines(&[line("m1", "2026-01-05T10:00:00.000Z").session("ok")]),
    );
    write(
        b"-p/caf\xe9.jsonl",
        &lines(&[line("m2", "2026-01-06T10:00:00.000Z").session("cafe")]),
    );
    write(
        b"-home-\xff\xfe/s2.jsonl",
        &lines(&[line("m3", "2026-01-07T10:00:00.000Z").session("s2")]),
    );
    sync(&env).await;

    assert_days_are_ccusages(
        &event_days(&env.client(), PER_PARTITION).await,
        &ccusage_days(&[&env.claude_dir()]),
        "usage_events FINAL after syncing a tree with non-UTF-8 names",
    );
}

// 10. --------------------------------------------------------------------------------------------

/// The delays a failed `ccsync --once` logged (`retrying in …`), in order.
fn logged_retry_delays(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.split_once("retrying in ").map(|(_, rest)| rest))
        .map(|rest| rest.split(':').next().unwrap_or(rest).trim().to_string())
        .collect()
}

/// Two agents retrying against the same dead server must not retry in lockstep: the jitter of
/// their backoff differs between processes.
#[tokio::test]
async fn retry_delays_are_jittered_differently_in_each_process() {
    let env = Env::new("cr_jitter");
    env.write(
        "-p/s1.jsonl",
        &lines(&[line("m1", "2026-01-05T10:00:00.000Z")]),
    );
    // A port nothing listens on: bound, then closed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let run = || {
        let out = env
            .command(&["--once"])
            .env("CLICKHOUSE_URL", format!("http://127.0.0.1:{port}"))
            .env("CCSYNC_RETRIES", "2")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success(),
            "ccsync --once against a closed port succeeded?\n{stderr}"
        );
        let delays = logged_retry_delays(&stderr);
        // Nothing listens there: a quick retry or two (see the sink's budget), not more.
        assert!(
            (1..=2).contains(&delays.len()),
            "expected one or two retries logged as `retrying in …`, got:\n{stderr}"
        );
        delays
    };
    let first = run();
    let second = run();
    assert_ne!(
        first, second,
        "two processes retried after exactly the same delays (the jitter is not seeded per process)"
    );
}

// Found by the convergence property, not one of the ten: a single run already differs. --

/// ccusage's sidechain rule remembers every (message.id, session) it has seen, also from a line
/// that was merged into a response kept from another session. Here a resumed session
/// (`0d3b5e`, first in path order) holds the kept copy of a response, the original session's
/// equal line is merged into it, and that session's sidechain copy (another requestId) then
/// merges too: ccusage 20.0.24 counts the response once (the resumed copy's day).
#[tokio::test]
async fn a_sidechain_copy_merges_with_a_response_its_session_saw_even_if_kept_from_another() {
    let env = Env::new("cr_side_seen");
    let first = line("msg_1", "2026-01-05T10:00:00.000Z").session("4f0c2a");
    env.write(
        "-p/0d3b5e.jsonl",
        &lines(&[line("msg_1", "2026-01-06T01:00:00.000Z").session("0d3b5e")]),
    );
    env.write("-p/4f0c2a.jsonl", &lines(&[first]));
    env.write(
        "-p/4f0c2a/subagents/agent-c.jsonl",
        &lines(&[line("msg_1", "2026-01-07T10:00:00.000Z")
            .session("4f0c2a")
            .req(Some("req_side"))
            .sidechain()
            .agent("c")
            .tokens(10, 900, 1000, 0, 5000)]),
    );
    sync(&env).await;

    assert_days_are_ccusages(
        &event_days(&env.client(), PER_PARTITION).await,
        &ccusage_days(&[&env.claude_dir()]),
        "usage_events FINAL after one run",
    );
}

/// Found by the convergence property: a subagent's response (session s4) is kept by the main
/// line of another session (sa, the same requestId); in a later run the parent's progress line
/// for it, without requestId, in s4, merges by the sidechain rule because s4 saw the response:
/// the session is remembered across runs (a hidden marker row), not only within one.
#[tokio::test]
async fn a_session_that_saw_a_response_before_another_won_still_merges_it_in_a_later_run() {
    let env = Env::new("cr_seen_marker");
    let tokens = |l: Line, out| l.tokens(3, out, 1000, 0, 4000);
    env.write(
        "-p/s4/subagents/agent-a0.jsonl",
        &lines(&[tokens(line("m0", "2026-01-05T10:00:00.000Z"), 60)
            .session("s4")
            .sidechain()]),
    );
    env.write(
        "-p/sa.jsonl",
        &lines(&[tokens(line("m0", "2026-01-06T01:00:00.000Z"), 60)
            .session("sa")
            .no_speed()]),
    );
    sync(&env).await;
    let inner = tokens(line("m0", "2026-01-05T10:00:00.000Z"), 20)
        .session("s4")
        .sidechain()
        .req(None);
    env.write(
        "-p/s4.jsonl",
        progress_line("s4", "2026-01-05T10:00:01.000Z", "a0", &inner).as_bytes(),
    );
    sync(&env).await;
    assert_days_are_ccusages(
        &event_days(&env.client(), PER_PARTITION).await,
        &ccusage_days(&[&env.claude_dir()]),
        "usage_events FINAL after the progress line's run",
    );
    assert_equals_fresh_run(&env, EVENTS_ROLLUP_QUERY).await;
}

/// Found by the convergence property: a response whose first line is in session `a` is kept by
/// a better line of session `b` (same key); in a later run a sidechain copy of it in `a`, which
/// sorts between the two, must meet the stored row (as it met the first line in one run), not
/// count on its own: the stored row takes part from where the response began.
#[tokio::test]
async fn a_stored_row_takes_part_from_where_its_response_began() {
    let env = Env::new("cr_birth");
    let tokens = |l: Line, out| l.tokens(3, out, 1000, 0, 4000);
    env.write(
        "-p/a.jsonl",
        &lines(&[tokens(line("m0", "2026-01-05T10:00:00.000Z"), 60).session("a")]),
    );
    env.write(
        "-p/b.jsonl",
        &lines(&[tokens(line("m0", "2026-01-05T10:00:00.000Z"), 110).session("b")]),
    );
    sync(&env).await;
    let copy = tokens(line("m0", "2026-01-05T10:00:00.100Z"), 55)
        .session("a")
        .sidechain()
        .req(Some("req_side"));
    env.append("-p/a.jsonl", &lines(&[copy]));
    sync(&env).await;
    assert_days_are_ccusages(
        &event_days(&env.client(), PER_PARTITION).await,
        &ccusage_days(&[&env.claude_dir()]),
        "usage_events FINAL after the sidechain copy's run",
    );
    assert_equals_fresh_run(&env, EVENTS_ROLLUP_QUERY).await;
}
