//! Each command takes as flags the settings it uses, and only those; every setting is still read
//! from the environment and env files.

use crate::common::*;

/// A setting group, as (flag, variable).
type Group = &'static [(&'static str, &'static str)];

const CONNECTION: Group = &[
    ("--clickhouse-url", "CLICKHOUSE_URL"),
    ("--clickhouse-user", "CLICKHOUSE_USER"),
    ("--clickhouse-ca-file", "CLICKHOUSE_CA_FILE"),
    ("--clickhouse-compression", "CLICKHOUSE_COMPRESSION"),
    ("--clickhouse-database", "CLICKHOUSE_DATABASE"),
    ("--timeout", "CCSYNC_TIMEOUT"),
    ("--retries", "CCSYNC_RETRIES"),
];
const TRANSCRIPTS: Group = &[
    ("--claude-config-dir", "CLAUDE_CONFIG_DIR"),
    ("--codex-home", "CODEX_HOME"),
];
const PRICING: Group = &[("--cost-mode", "CCSYNC_COST_MODE")];
const PRICING_FILE: Group = &[("--pricing-file", "CCSYNC_PRICING_FILE")];
const MACHINE: Group = &[
    ("--machine-name", "MACHINE_NAME"),
    ("--state-dir", "CCSYNC_STATE_DIR"),
    ("--machine-account", "CCSYNC_ACCOUNT"),
];
const STORE: Group = &[
    ("--batch-rows", "CCSYNC_BATCH_ROWS"),
    ("--drop-git-branch", "CCSYNC_DROP_GIT_BRANCH"),
];
const ALL: &[Group] = &[
    CONNECTION,
    TRANSCRIPTS,
    PRICING,
    PRICING_FILE,
    MACHINE,
    STORE,
];

fn run(env: &Env, args: &[&str]) -> (Option<i32>, String, String) {
    let out = env.command(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn each_commands_help_lists_the_settings_it_uses_and_no_others() {
    let env = Env::new("help_lists");
    let cases: &[(&[&str], &[Group])] = &[
        (&[], ALL),
        (&["sync"], ALL),
        (&["install"], ALL),
        (&["doctor"], &[CONNECTION, TRANSCRIPTS, MACHINE]),
        (&["status"], &[CONNECTION]),
        (&["query"], &[CONNECTION]),
        (&["schema", "apply"], &[CONNECTION]),
        (&["scan"], &[TRANSCRIPTS, PRICING, PRICING_FILE]),
        (
            &["report", "daily"],
            &[CONNECTION, TRANSCRIPTS, PRICING, PRICING_FILE],
        ),
        (
            &["report", "weekly"],
            &[CONNECTION, TRANSCRIPTS, PRICING, PRICING_FILE],
        ),
        (
            &["report", "monthly"],
            &[CONNECTION, TRANSCRIPTS, PRICING, PRICING_FILE],
        ),
        (
            &["report", "session"],
            &[CONNECTION, TRANSCRIPTS, PRICING, PRICING_FILE],
        ),
        (
            &["report", "blocks"],
            &[CONNECTION, TRANSCRIPTS, PRICING, PRICING_FILE],
        ),
        (&["prices"], &[PRICING_FILE]),
        (&["schema"], &[]),
        (&["uninstall"], &[]),
        (&["generate"], &[]),
    ];
    for (command, groups) in cases {
        let args: Vec<&str> = command.iter().copied().chain(["--help"]).collect();
        let (code, help, stderr) = run(&env, &args);
        assert_eq!(code, Some(0), "{command:?}: {stderr}");
        for group in ALL {
            let expected = groups.contains(group);
            for (flag, var) in *group {
                assert_eq!(help.contains(flag), expected, "{command:?} {flag}:\n{help}");
                // Where a setting is a flag, its help names its variable.
                let shown = help.contains(&format!("[env: {var}]"));
                assert_eq!(shown, expected, "{command:?} {var}:\n{help}");
            }
        }
        for global in ["--env-file", "--verbose", "--quiet", "--log-format"] {
            assert!(help.contains(global), "{command:?} {global}:\n{help}");
        }
    }
}

/// Every option of a report is explained in its help, ccusage's and ccsync's own.
#[test]
fn each_reports_help_explains_its_options() {
    let env = Env::new("help_report");
    let common = [
        "--local",
        "--json",
        "--since",
        "--until",
        "--timezone",
        "--breakdown",
        "--order",
        "--compact",
        "--agent",
        "--machine",
        "--project",
        "--by",
    ];
    for (report, own) in [
        ("daily", &[][..]),
        ("weekly", &["--start-of-week"][..]),
        ("monthly", &[]),
        ("session", &["--subagents"][..]),
        (
            "blocks",
            &["--active", "--recent", "--token-limit", "--session-length"],
        ),
    ] {
        let (code, help, stderr) = run(&env, &["report", report, "--help"]);
        assert_eq!(code, Some(0), "{report}: {stderr}");
        for flag in common.iter().chain(own) {
            // The flag, then a sentence about it on the same line or the next.
            let at = help
                .find(&format!("{flag} "))
                .or_else(|| help.find(&format!("{flag}\n")))
                .unwrap_or_else(|| panic!("{report} {flag}:\n{help}"));
            let text: String = help[at..].lines().take(2).collect();
            assert!(
                text.split_whitespace().count() > 4,
                "{report} {flag}: {text}"
            );
        }
    }
}

#[test]
fn a_setting_is_a_usage_error_where_it_means_nothing() {
    let env = Env::new("help_refused");
    std::fs::create_dir_all(env.projects()).unwrap();
    let out = env.dir.path().join("gen").display().to_string();
    let after: &[&[&str]] = &[
        &["query", "daily_by_machine", "--batch-rows", "5"],
        &["query", "daily_by_machine", "--machine-name", "m"],
        &["generate", "--out", &out, "--clickhouse-url", "http://h:1"],
        &["scan", "--machine-name", "m"],
        &["scan", "--clickhouse-url", "http://h:1"],
        &["status", "--cost-mode", "calculate"],
        &["status", "--pricing-file", "p.json"],
        &["prices", "--cost-mode", "calculate"],
        &["schema", "apply", "--state-dir", "/tmp/x"],
        &["doctor", "--batch-rows", "5"],
        &["uninstall", "--clickhouse-database", "x"],
    ];
    for args in after {
        let (code, _, stderr) = run(&env, args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("unexpected argument"), "{args:?}: {stderr}");
    }
    // Bare `ccsync`'s options, given before a command, would be ignored by it: refused too.
    let before: &[&[&str]] = &[
        &["--batch-rows", "5", "query", "daily_by_machine"],
        &["--clickhouse-url", "http://h:1", "status"],
        &["--once", "sync"],
    ];
    for args in before {
        let (code, _, stderr) = run(&env, args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cannot be used before the command"),
            "{args:?}: {stderr}"
        );
    }
    assert!(!env.dir.path().join("gen").exists());
    // The global options go anywhere.
    for args in [&["-q", "scan", "--json"][..], &["scan", "--json", "-q"]] {
        let (code, stdout, stderr) = run(&env, args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(stdout.contains("\"daily\""), "{args:?}: {stdout}");
    }
}

/// Bare `ccsync` takes the sync options; `query` and `status` take the connection as flags or
/// from the environment and env files; `doctor` checks settings it has no flags for.
#[tokio::test]
async fn settings_reach_each_command_as_flags_or_variables() {
    let env = Env::new("help_flags");
    env.write(
        "-p/s1.jsonl",
        &lines(&[line("m1", "2026-01-05T10:00:00.000Z")]),
    );
    let (code, stdout, stderr) = run(
        &env,
        &[
            "--once",
            "--json",
            "--machine-name",
            "top-flag",
            "--batch-rows",
            "1",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("\"machine_name\": \"top-flag\""),
        "{stdout}"
    );

    // Flags beat a wrong environment.
    let url = server().url.clone();
    let out = env
        .command(&["query", "daily_by_machine", "--format", "json"])
        .args([
            "--clickhouse-url",
            &url,
            "--clickhouse-database",
            &env.database,
        ])
        .env("CLICKHOUSE_URL", "http://127.0.0.1:9")
        .env("CLICKHOUSE_DATABASE", "elsewhere")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("top-flag"), "{stdout}");

    // Without a flag, .env gives what the environment does not.
    std::fs::write(
        env.dir.path().join(".env"),
        format!("CLICKHOUSE_DATABASE={}\n", env.database),
    )
    .unwrap();
    for args in [
        &["query", "daily_by_machine", "-f", "json"][..],
        &["status", "--json"],
    ] {
        let out = env
            .command(args)
            .env_remove("CLICKHOUSE_DATABASE")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("top-flag"), "{args:?}: {stdout}");
    }

    // doctor checks the whole configuration the timer would run with.
    let out = env
        .command(&["doctor"])
        .env("CCSYNC_BATCH_ROWS", "0")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("✗ configuration valid"), "{stdout}");
    assert!(stdout.contains("CCSYNC_BATCH_ROWS"), "{stdout}");
}

/// `install` records settings given as flags, as it records those of the environment.
#[test]
fn install_writes_settings_given_as_flags() {
    let env = Env::new("help_install");
    let (code, _, stderr) = run(
        &env,
        &[
            "install",
            "--machine-name",
            "flagged",
            "--batch-rows",
            "7",
            "--drop-git-branch",
            "--cost-mode",
            "display",
            "--retries",
            "3",
            "--machine-account",
            "me@example.com",
            "--codex-home",
            "/opt/codex",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let file = env.dir.path().join(".config/ccsync/ccsync.env");
    let written: std::collections::HashMap<String, String> = dotenvy::from_path_iter(&file)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (name, value) in [
        ("MACHINE_NAME", "flagged"),
        ("CCSYNC_BATCH_ROWS", "7"),
        ("CCSYNC_DROP_GIT_BRANCH", "true"),
        ("CCSYNC_COST_MODE", "display"),
        ("CCSYNC_RETRIES", "3"),
        ("CCSYNC_ACCOUNT", "me@example.com"),
        ("CODEX_HOME", "/opt/codex"),
        ("CLICKHOUSE_DATABASE", env.database.as_str()),
    ] {
        assert_eq!(written.get(name).map(String::as_str), Some(value), "{name}");
    }
}
