//! Accounts: a sync stores the Claude account signed in on its machine (only the
//! `oauthAccount` block of `.claude.json` is read) on every row and, once per change, in
//! `machine_accounts`; reports filter and group by account, and `blocks` covers this machine's
//! account across all its machines by default, as ccusage's blocks over those machines' files.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;
use crate::report::{assert_same, theirs};

fn generated(root: &Path, name: &str, seed: u64) -> PathBuf {
    let dir = root.join(name);
    let opts = ccsync::generate::GenOptions {
        sessions: 4,
        tool_result_bytes: 100,
        seed,
        days: 6,
        ..Default::default()
    };
    ccsync::generate::generate(&dir, &opts).unwrap();
    dir
}

async fn sync_as(env: &Env, machine: &str, tree: &Path, account: Option<&str>) {
    let mut cfg = env.config_for(machine, tree);
    cfg.account_override = account.map(str::to_owned);
    let report = ccsync::sync::sync_once(&cfg).await.unwrap();
    assert_eq!(report.status, "ok", "{report:?}");
}

/// `ccsync report REPORT --json ARGS` from `env`'s database, as a machine signed in to
/// `account` (None: no account known).
fn report_as(env: &Env, account: Option<&str>, report: &str, args: &[&str]) -> String {
    let base = ["report", report, "--json", "--agent", "claude", "-z", "UTC"];
    let mut cmd = env.command(&[&base[..], args].concat());
    if let Some(a) = account {
        cmd.env("CCSYNC_ACCOUNT", a);
    }
    stdout_of(cmd.output().unwrap(), &format!("report {report} {args:?}"))
}

#[tokio::test]
async fn the_signed_in_account_is_stored_on_rows_and_recorded_once() {
    let env = Env::new("accounts_signed_in");
    let tree = generated(env.dir.path(), "claude", 1);
    // Claude Code's file: the account, and much else that must never be read into the database.
    std::fs::write(
        env.dir.path().join(".claude.json"),
        r#"{"numStartups":9,"projects":{"/x":{"history":[{"display":"SECRET PROMPT"}]}},
            "oauthAccount":{"accountUuid":"acct-uuid-1","emailAddress":"me@example.com",
            "organizationUuid":"org-1","displayName":"Me"},"primaryApiKey":"sk-SECRET"}"#,
    )
    .unwrap();
    for _ in 0..2 {
        let out = env
            .command(&["--once"])
            .env("CLAUDE_CONFIG_DIR", &tree)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let client = env.client();
    let accounts: Vec<(String, u64)> = client
        .query("SELECT account, count() FROM usage_events WHERE NOT is_deleted AND request_id NOT LIKE '~%' GROUP BY account")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    assert_eq!(accounts[0].0, "acct-uuid-1");
    let recorded: Vec<(String, String)> = client
        .query("SELECT account, email FROM machine_accounts")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(
        recorded,
        [("acct-uuid-1".into(), "me@example.com".into())],
        "recorded once, not per run"
    );
    let leaked: u64 = client
        .query("SELECT count() FROM usage_events WHERE position(toString(tuple(*)), 'SECRET') > 0")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(leaked, 0, "nothing else of .claude.json is stored");
    // `--by account` names it by its e-mail, and the account as stored.
    let by = report_as(&env, None, "monthly", &["--by", "account"]);
    let v: Value = serde_json::from_str(&by).unwrap();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["me@example.com (acct-uui)"], "{by}");
}

#[tokio::test]
async fn blocks_cover_this_machines_account_across_its_machines() {
    let env = Env::new("accounts_blocks");
    let root = env.dir.path();
    let (home, work, other) = (
        generated(root, "home", 3),
        generated(root, "work", 4),
        generated(root, "other", 5),
    );
    sync_as(&env, "laptop", &home, Some("me@example.com")).await;
    sync_as(&env, "desktop", &work, Some("me@example.com")).await;
    sync_as(&env, "colleague", &other, Some("you@example.com")).await;

    // This machine's account, every machine of it: ccusage's blocks over those machines' files.
    let mine = report_as(&env, Some("me@example.com"), "blocks", &[]);
    assert_same(
        &mine,
        &theirs(&[&home, &work], "blocks", &["-z", "UTC"]),
        "blocks of me@example.com",
    );
    // Another account by name; every account with `all`; daily filtered the same way.
    for (args, dirs) in [
        (&["--account", "you@example.com"][..], vec![other.as_path()]),
        (&["--account", "all"][..], vec![&home, &work, &other]),
    ] {
        assert_same(
            &report_as(&env, Some("me@example.com"), "blocks", args),
            &theirs(&dirs, "blocks", &["-z", "UTC"]),
            &format!("blocks {args:?}"),
        );
    }
    assert_same(
        &report_as(&env, None, "daily", &["--account", "you@example.com"]),
        &theirs(&[&other], "daily", &["-z", "UTC"]),
        "daily of one account",
    );
    // `--by account`: one report per account.
    let by = report_as(&env, None, "monthly", &["--by", "account"]);
    let v: Value = serde_json::from_str(&by).unwrap();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["me@example.com", "you@example.com"], "{by}");
}

/// Two people's machines syncing one shared `~/.claude`: each account's report has all of it
/// (the copy kept across machines is chosen among that account's machines), a report of both
/// counts it once.
#[tokio::test]
async fn a_tree_synced_by_two_accounts_machines_counts_in_each_accounts_report() {
    let env = Env::new("accounts_shared_tree");
    let shared = generated(env.dir.path(), "shared", 6);
    // "desk" sorts first: the copy a report of every account keeps.
    sync_as(&env, "laptop", &shared, Some("alice@example.com")).await;
    sync_as(&env, "desk", &shared, Some("bob@example.com")).await;
    let ccusage = |report: &str| theirs(&[&shared], report, &["-z", "UTC"]);
    for who in ["alice@example.com", "bob@example.com"] {
        assert_same(
            &report_as(&env, Some(who), "blocks", &[]),
            &ccusage("blocks"),
            &format!("blocks of {who}"),
        );
        assert_same(
            &report_as(&env, None, "session", &["--account", who]),
            &ccusage("session"),
            &format!("sessions of {who}"),
        );
    }
    assert_same(
        &report_as(&env, None, "daily", &["--account", "all"]),
        &ccusage("daily"),
        "daily of both accounts",
    );
}

#[tokio::test]
async fn rows_stored_before_accounts_belong_to_the_first_account_recorded_for_their_machine() {
    let env = Env::new("accounts_old_rows");
    let tree = generated(env.dir.path(), "claude", 6);
    // Synced while no account was known (as by an older release), then by one that knows it.
    sync_as(&env, "laptop", &tree, None).await;
    let client = env.client();
    let unknown: u64 = client
        .query("SELECT countIf(account != '') FROM usage_events")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(unknown, 0);
    sync_as(&env, "laptop", &tree, Some("me@example.com")).await;
    assert_same(
        &report_as(&env, None, "daily", &["--account", "me@example.com"]),
        &theirs(&[&tree], "daily", &["-z", "UTC"]),
        "the old rows are the account's",
    );
}

#[tokio::test]
async fn under_a_privacy_key_accounts_are_stored_hashed_and_still_selectable_by_name() {
    let env = Env::new("accounts_private");
    let tree = generated(env.dir.path(), "claude", 7);
    let mut cfg = env.config_for("laptop", &tree);
    cfg.account_override = Some("me@example.com".into());
    cfg.privacy = ccsync::privacy::Privacy::new(Some("fleet key"), false);
    ccsync::sync::sync_once(&cfg).await.unwrap();
    let client = env.client();
    let stored: Vec<String> = client
        .query("SELECT DISTINCT account FROM machine_accounts UNION DISTINCT SELECT DISTINCT account FROM usage_events WHERE account != ''")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(
        stored[0].starts_with("h:") && !stored[0].contains("example"),
        "{stored:?}"
    );
    let out = env
        .command(&[
            "report",
            "daily",
            "--json",
            "--agent",
            "claude",
            "-z",
            "UTC",
            "--account",
            "me@example.com",
        ])
        .env("CCSYNC_PATH_HASH_KEY", "fleet key")
        .output()
        .unwrap();
    // Totals only: under a privacy key file paths are hashed, so rows are listed in another
    // order than ccusage's (a documented limit of hashed paths), but they are all there.
    let totals = |s: &str| serde_json::from_str::<Value>(s).unwrap()["totals"].to_string();
    assert_same(
        &totals(&stdout_of(out, "report daily --account")),
        &totals(&theirs(&[&tree], "daily", &["-z", "UTC"])),
        "the hashed account selected by its name",
    );
}

#[tokio::test]
async fn the_active_block_says_which_machines_feed_it() {
    let env = Env::new("accounts_active");
    let laptop = crate::report::now_tree(&env.dir.path().join("laptop"));
    let desktop = env.dir.path().join("desktop/claude");
    let at = (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(10))
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let project = desktop.join("projects/-home-me-desk");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join("d.jsonl"), line("desk-1", &at).json()).unwrap();
    sync_as(&env, "laptop", &laptop, Some("me@example.com")).await;
    sync_as(&env, "desktop", &desktop, Some("me@example.com")).await;
    let out = env
        .command(&["report", "blocks", "--active", "-z", "UTC"])
        .env("CCSYNC_ACCOUNT", "me@example.com")
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    let table = stdout_of(out, "report blocks --active");
    assert!(table.contains("ACTIVE"), "{table}");
    assert!(table.contains("fed by laptop, desktop"), "{table}");
}
