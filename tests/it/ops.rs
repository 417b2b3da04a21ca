//! Running on every workstation: locking, status, doctor, install, secrets.

use std::time::{Duration, Instant};

use crate::common::*;

const T1: &str = "2026-01-05T10:00:00.000Z";

#[tokio::test]
async fn a_second_sync_on_the_same_state_dir_exits_cleanly_or_waits() {
    let env = Env::new("lock");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    // Another process holds the lock (this test process).
    let held = ccsync::lock::acquire(&env.state_dir(), false).unwrap();
    let (status, stdout, stderr) = env.ccsync(&["--once"]);
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("already syncing"), "{stderr}");
    assert!(stdout.is_empty(), "no sync ran: {stdout}");

    // --wait blocks until the holder lets go, then syncs.
    let started = Instant::now();
    let waiter = env
        .command(&["--once", "--wait"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    drop(held);
    let out = waiter.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(
        started.elapsed() >= Duration::from_millis(1000),
        "it must have waited"
    );
    assert_eq!(count_final(&env).await, 1);
}

#[tokio::test]
async fn a_killed_holder_never_blocks_the_next_run() {
    let env = Env::new("stale");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    std::fs::create_dir_all(env.state_dir()).unwrap();
    // A real second process holding the same flock, then killed with SIGKILL.
    let lock = ccsync::lock::lock_path(&env.state_dir());
    let mut holder = std::process::Command::new("python3")
        .args([
            "-c",
            "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(60)",
        ])
        .arg(&lock)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while ccsync::lock::acquire(&env.state_dir(), false).is_ok() {
        assert!(Instant::now() < deadline, "flock never took the lock");
        std::thread::sleep(Duration::from_millis(50));
    }
    holder.kill().unwrap();
    holder.wait().unwrap();
    let (status, stdout, stderr) = env.ccsync(&["--once"]);
    assert!(status.success(), "{stderr}");
    assert!(stdout.contains("inserted  1 rows"), "{stdout}");
}

#[test]
fn install_writes_valid_units_and_a_private_env_file_then_uninstall_removes_them() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new("install");
    let home = env.dir.path();
    let out = env
        .command(&["install"])
        .env("CLICKHOUSE_PASSWORD", "pw-in-env-file")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("systemctl --user enable --now ccsync.timer"),
        "{stdout}"
    );
    assert!(stdout.contains("loginctl enable-linger"), "{stdout}");
    assert!(
        !stdout.contains("pw-in-env-file"),
        "the password is never printed"
    );
    let units = home.join(".config/systemd/user");
    let service = std::fs::read_to_string(units.join("ccsync.service")).unwrap();
    assert!(service.contains(&format!(
        "ExecStart={} --once",
        env!("CARGO_BIN_EXE_ccsync")
    )));
    let env_file = home.join(".config/ccsync/ccsync.env");
    let mode = std::fs::metadata(&env_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let contents = std::fs::read_to_string(&env_file).unwrap();
    assert!(
        contents.contains("CLICKHOUSE_PASSWORD=pw-in-env-file"),
        "{contents}"
    );
    assert!(contents.contains("MACHINE_NAME=machine-a"));

    // systemd's own verifier, when this machine has it (system mode: no user manager needed).
    if let Ok(v) = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(units.join("ccsync.service"))
        .arg(units.join("ccsync.timer"))
        .output()
    {
        assert!(
            v.status.success() && v.stderr.is_empty(),
            "systemd-analyze verify: {}",
            String::from_utf8_lossy(&v.stderr)
        );
    }

    // Installed again with the same settings: the file stays as it is.
    let install_again = |extra: &[(&str, &str)]| {
        let mut cmd = env.command(&["install"]);
        cmd.env("CLICKHOUSE_PASSWORD", "pw-in-env-file");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let first = std::fs::read_to_string(&env_file).unwrap();
    let stdout = install_again(&[]);
    assert!(stdout.contains("kept"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&env_file).unwrap(), first);
    // A setting edited into the file stays in effect (the file is read first); one set in the
    // shell since (the privacy key) is added; the previous file is saved beside it.
    assert!(first.contains("CCSYNC_DROP_GIT_BRANCH=false"), "{first}");
    let edited = first.replace(
        "CCSYNC_DROP_GIT_BRANCH=false",
        "CCSYNC_DROP_GIT_BRANCH=true",
    );
    std::fs::write(&env_file, &edited).unwrap();
    std::fs::set_permissions(&env_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let stdout = install_again(&[("CCSYNC_PATH_HASH_KEY", "k-set-since")]);
    let now = std::fs::read_to_string(&env_file).unwrap();
    assert!(now.contains("CCSYNC_DROP_GIT_BRANCH=true"), "{now}");
    assert!(now.contains("CCSYNC_PATH_HASH_KEY=k-set-since"), "{now}");
    let mode = std::fs::metadata(&env_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "it holds secrets");
    let backup = env_file.with_extension("env.bak");
    assert_eq!(
        std::fs::read_to_string(&backup).unwrap(),
        edited,
        "{stdout}"
    );
    assert!(stdout.contains(&backup.display().to_string()), "{stdout}");

    let (status, stdout, _) = env.ccsync(&["uninstall", "--no-systemctl"]);
    assert!(status.success());
    assert!(!units.join("ccsync.service").exists() && !units.join("ccsync.timer").exists());
    assert!(env_file.exists(), "{stdout}");
    let (status, _, _) = env.ccsync(&["uninstall", "--no-systemctl", "--purge"]);
    assert!(status.success());
    assert!(!env_file.exists());
}

#[tokio::test]
async fn status_reports_freshness_and_flags_machines_that_stopped_syncing() {
    let env = Env::new("status");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1), line("m2", T1)]));
    let (status, _, stderr) = env.ccsync(&["--once"]);
    assert!(status.success(), "{stderr}");
    // A machine whose last successful run was 3 hours ago, and which has failed since.
    let cfg = env.config();
    let sink = ccsync::store::client::Sink::new(&cfg.clickhouse).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let run = |at: i64, status: &str, error: &str| ccsync::store::runs::SyncRunRow {
        run_id: format!("r{at}"),
        machine_name: "old-laptop".into(),
        source: "claude",
        started_at: at,
        finished_at: at + 1000,
        status: status.into(),
        error: error.into(),
        agent_version: "0".into(),
        files_scanned: 1,
        files_changed: 0,
        bytes_read: 0,
        lines_read: 0,
        messages_new: 0,
        rows_inserted: 0,
        lines_skipped: 0,
        skipped_by_reason: vec![],
        unknown_models: vec![],
        duration_ms: 1000,
        rollup_pending: 0,
    };
    sink.record_run(&run(now - 3 * 3_600_000, "ok", ""))
        .await
        .unwrap();
    sink.record_run(&run(now - 600_000, "failed", "connection refused"))
        .await
        .unwrap();

    let (status, stdout, _) = env.ccsync(&["status", "--json"]);
    assert_eq!(
        status.code(),
        Some(3),
        "a stale machine makes status exit 3"
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let machines = v["machines"].as_array().unwrap();
    assert_eq!(machines.len(), 2);
    let fresh = &machines[0];
    assert_eq!(fresh["machine_name"], "machine-a");
    assert_eq!(fresh["rows"], 2);
    assert_eq!(fresh["stale"], false);
    assert!(fresh["lag_secs"].as_i64().unwrap() < 120);
    assert_eq!(fresh["last_event_ms"], 1_767_607_200_000i64);
    let old = &machines[1];
    assert_eq!(old["machine_name"], "old-laptop");
    assert_eq!(old["stale"], true);
    assert_eq!(old["last_status"], "failed");
    assert!((old["lag_secs"].as_i64().unwrap() - 3 * 3600).abs() < 120);

    let (_, table, _) = env.ccsync(&["status"]);
    assert!(
        table.contains("old-laptop") && table.contains("stale"),
        "{table}"
    );
    assert!(
        table.contains("last error on old-laptop: connection refused"),
        "{table}"
    );
    // Through the program's one table renderer: dollars, numbers right-aligned.
    assert!(table.contains("┆ Rows ┆ Cost 30d ┆"), "{table}");
    assert!(table.contains("┆    0 ┆    $0.00 ┆"), "{table}");
    // With a 4h interval nobody is stale.
    let (status, _, _) = env.ccsync(&["status", "--interval", "4h"]);
    assert!(status.success());
}

fn doctor(env: &Env, extra: &[(&str, &str)]) -> (i32, Vec<(String, bool, String)>) {
    let mut cmd = env.command(&["doctor", "--json"]);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let checks = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["ok"].as_bool().unwrap(),
                c["fix"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    (out.status.code().unwrap(), checks)
}

fn check<'a>(checks: &'a [(String, bool, String)], name: &str) -> &'a (String, bool, String) {
    checks
        .iter()
        .find(|c| c.0 == name)
        .unwrap_or_else(|| panic!("no check {name}: {checks:?}"))
}

#[tokio::test]
async fn doctor_checks_each_part_and_says_how_to_fix_it() {
    let env = Env::new("doctor");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    // Before any sync: the database has no schema yet.
    let (code, checks) = doctor(&env, &[]);
    assert_eq!(code, 1);
    for name in [
        "configuration valid",
        "transcripts found",
        "state dir writable",
        "server reachable",
        "credentials accepted",
        "clock skew",
    ] {
        assert!(check(&checks, name).1, "{name}: {checks:?}");
    }
    assert!(!check(&checks, "schema current").1);
    assert!(check(&checks, "schema current").2.contains("schema apply"));
    assert!(
        !check(&checks, "timer installed").1,
        "no timer in this HOME"
    );
    assert!(
        check(&checks, "timer installed")
            .2
            .contains("ccsync install")
    );

    let (status, _, _) = env.ccsync(&["schema", "apply"]);
    assert!(status.success());
    let (_, checks) = doctor(&env, &[]);
    assert!(check(&checks, "schema current").1);

    let (_, checks) = doctor(&env, &[("CLICKHOUSE_PASSWORD", "wrong")]);
    assert!(check(&checks, "server reachable").1);
    assert!(!check(&checks, "credentials accepted").1);
    assert!(
        check(&checks, "credentials accepted")
            .2
            .contains("CLICKHOUSE_PASSWORD")
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_, checks) = doctor(
        &env,
        &[
            ("CLICKHOUSE_URL", &format!("http://127.0.0.1:{port}")),
            ("CLAUDE_CONFIG_DIR", "/nonexistent"),
        ],
    );
    assert!(!check(&checks, "server reachable").1);
    assert!(!check(&checks, "transcripts found").1);
    assert!(
        check(&checks, "transcripts found")
            .2
            .contains("CLAUDE_CONFIG_DIR")
    );

    // Even a broken configuration gets a diagnosis rather than a bare error.
    let out = env
        .command(&["doctor"])
        .env("CLICKHOUSE_URL", "nope")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("✗ configuration valid"));
}

#[tokio::test]
async fn the_password_never_appears_in_output_at_any_verbosity() {
    let env = Env::new("secrets");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    // The test engine runs with a password; a real server given by URL may not have one, and
    // then the wrong-password run below still checks that nothing is echoed.
    let secret = &server().password;
    let runs: [(&[&str], Option<&str>); 7] = [
        (&["--once", "-q"], None),
        (&["--once"], None),
        (&["--once", "-v"], None),
        (&["--once", "-vv", "--log-format", "json"], None),
        (&["--once", "--json"], Some("trace")),
        (&["doctor", "-vv"], None),
        (&["status", "-vv"], Some("trace")),
    ];
    for (args, rust_log) in runs {
        let mut cmd = env.command(args);
        if let Some(level) = rust_log {
            cmd.env("RUST_LOG", level);
        }
        let out = cmd.output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            secret.is_empty() || !all.contains(secret.as_str()),
            "{args:?} leaked the password:\n{all}"
        );
        if rust_log == Some("trace") {
            assert!(!all.is_empty(), "trace logging should print something");
        }
    }
    // A wrong password is not echoed either.
    let out = env
        .command(&["--once", "-vv"])
        .env("CLICKHOUSE_PASSWORD", "wrong-but-secret-42")
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let all = String::from_utf8_lossy(&out.stderr);
    assert!(!all.contains("wrong-but-secret-42"), "{all}");
}

#[tokio::test]
async fn privacy_mode_stores_keyed_path_hashes_and_no_branches() {
    let env = Env::new("privacy_paths");
    env.write(
        "-home-me-secret-project/s1.jsonl",
        &lines(&[line("m1", T1)]),
    );
    let out = env
        .command(&["--once", "--drop-git-branch"])
        .env("CCSYNC_PATH_HASH_KEY", "fleet passphrase")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<(String, String, String, String)> = env
        .client()
        .query("SELECT project, cwd, git_branch, source_file FROM usage_events FINAL")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let (project, cwd, branch, source) = &rows[0];
    for value in [project, cwd, source] {
        assert!(value.starts_with("h:") && value.len() == 34, "{value}");
        assert!(
            !value.contains("secret") && !value.contains("home"),
            "{value}"
        );
    }
    assert_eq!(branch, "");
    // The same key on another machine gives the same project hash.
    let expected = ccsync::privacy::Privacy::new(Some("fleet passphrase"), false)
        .path("-home-me-secret-project");
    assert_eq!(project, &expected);
    let expected =
        ccsync::privacy::Privacy::new(Some("fleet passphrase"), false).path("/home/me/app");
    assert_eq!(cwd, &expected);
}

/// A private CA and a server certificate for 127.0.0.1 / localhost, made with openssl(1).
fn make_ca_and_server_cert(dir: &std::path::Path) {
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl(1) is needed for the TLS test (scripts/setup.sh installs it)");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write(
        dir.join("ext.cnf"),
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=ccsync test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
}

#[tokio::test]
async fn https_works_with_a_custom_ca_and_untrusted_certificates_fail_fast() {
    let env = Env::new("tls");
    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    let certs = env.dir.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    make_ca_and_server_cert(&certs);
    let (mut child, url) = spawn_chdb_server(&[
        "--tls-cert",
        certs.join("server.pem").to_str().unwrap(),
        "--tls-key",
        certs.join("server.key").to_str().unwrap(),
    ]);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let run = |ca: Option<&std::path::Path>| {
        let mut cmd = env.command(&["--once", "--retries", "3"]);
        cmd.env("CLICKHOUSE_URL", &url)
            .env("CLICKHOUSE_PASSWORD", "test-secret");
        if let Some(ca) = ca {
            cmd.env("CLICKHOUSE_CA_FILE", ca);
        }
        let started = Instant::now();
        let out = cmd.output().unwrap();
        (out, started.elapsed())
    };
    // Not trusted without the CA: a clear, immediate failure (no retries).
    let (out, took) = run(None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("CLICKHOUSE_CA_FILE"), "{stderr}");
    assert!(!stderr.contains("retrying"), "{stderr}");
    assert!(took < Duration::from_secs(10));
    // Trusted with it.
    let (out, _) = run(Some(&certs.join("ca.pem")));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("inserted  1 rows"));
    // A CA file that is not PEM is refused before any network.
    let (out, _) = run(Some(&certs.join("ext.cnf")));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no PEM certificate"));
    child.kill().unwrap();
    let _ = child.wait();
}

/// `install` writes every setting in effect: a key or a choice made in the shell that installed
/// the timer holds for the timer too (the privacy key above all).
#[test]
fn install_writes_every_documented_setting_in_effect() {
    let env = Env::new("install_all");
    let home = env.dir.path();
    let ca = env.dir.path().join("ca.pem");
    std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").unwrap();
    let claude = format!("{}/c1,{}/c2", home.display(), home.display());
    let state = home.join("my state").display().to_string();
    let ca = ca.display().to_string();
    let prices = env.dir.path().join("prices.json");
    std::fs::write(
        &prices,
        r#"{"m": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06}}"#,
    )
    .unwrap();
    let prices = prices.display().to_string();
    let given: Vec<(&str, &str)> = vec![
        ("CLICKHOUSE_URL", "https://ch.example.com:8443"),
        ("CLICKHOUSE_USER", "agent_x"),
        // Quotes, a dollar and a backslash: written so both dotenv and systemd read it as is.
        ("CLICKHOUSE_PASSWORD", r#"it's p$w "x" \y!"#),
        ("CLICKHOUSE_DATABASE", "usage_db"),
        ("CLICKHOUSE_CA_FILE", &ca),
        ("CLICKHOUSE_COMPRESSION", "none"),
        ("MACHINE_NAME", "laptop-7"),
        ("CLAUDE_CONFIG_DIR", &claude),
        ("CCSYNC_STATE_DIR", &state),
        ("CCSYNC_COST_MODE", "calculate"),
        ("CCSYNC_PRICING_FILE", &prices),
        ("CCSYNC_BATCH_ROWS", "1234"),
        ("CCSYNC_TIMEOUT", "17"),
        ("CCSYNC_RETRIES", "2"),
        ("CCSYNC_PATH_HASH_KEY", "fleet secret"),
        ("CCSYNC_DROP_GIT_BRANCH", "true"),
        ("CODEX_HOME", "/opt/codex,/srv/codex"),
        ("CCSYNC_ACCOUNT", "me@example.com"),
    ];
    // Every variable .env.example documents is set above (but the log level; the password
    // file: its password is what is written).
    let example = std::fs::read_to_string(repo().join(".env.example")).unwrap();
    for line in example.lines() {
        let line = line.trim_start_matches('#').trim();
        let Some((name, _)) = line.split_once('=') else {
            continue;
        };
        if name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            && !["RUST_LOG", "CLICKHOUSE_PASSWORD_FILE"].contains(&name)
        {
            assert!(given.iter().any(|(n, _)| *n == name), "test {name} too");
        }
    }
    let mut cmd = env.command(&["install"]);
    for (name, value) in &given {
        cmd.env(name, value);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = home.join(".config/ccsync/ccsync.env");
    let written: std::collections::HashMap<String, String> = dotenvy::from_path_iter(&file)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (name, value) in &given {
        assert_eq!(
            written.get(*name).map(String::as_str),
            Some(*value),
            "{name}"
        );
    }
}

/// Where no systemd user manager runs (a stand-in `systemctl` that answers as systemctl does
/// then), `uninstall` still removes the units, says once that nothing was running, and shows
/// none of systemctl's complaints.
#[test]
fn uninstall_without_a_user_manager_says_so_once() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new("uninstall_nobus");
    let bin = env.dir.path().join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let systemctl = bin.join("systemctl");
    std::fs::write(
        &systemctl,
        "#!/bin/sh\necho \"$@\" >> \"$(dirname \"$0\")/calls\"\necho 'Failed to connect to bus: No medium found' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&systemctl, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    // `install --enable` writes the units, then says what to do instead of systemd.
    let out = env
        .command(&["install", "--enable"])
        .env("PATH", &path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no systemd user manager here"), "{stderr}");
    assert!(stderr.contains("`ccsync sync`"), "{stderr}");
    assert_eq!(stderr.matches("Failed to connect").count(), 1, "{stderr}");
    std::fs::remove_file(bin.join("calls")).unwrap();
    // The local ClickHouse the quick start started in the background (a stand-in named like
    // its launcher): `uninstall` stops it too.
    let launcher = bin.join("run-clickhouse");
    std::fs::copy("/bin/sleep", &launcher).unwrap();
    let mut engine = std::process::Command::new(&launcher)
        .arg("60")
        .spawn()
        .unwrap();
    let engine_dir = env.dir.path().join(".local/share/ccsync/engine");
    std::fs::create_dir_all(&engine_dir).unwrap();
    std::fs::write(engine_dir.join("clickhouse.pid"), engine.id().to_string()).unwrap();
    let out = env
        .command(&["uninstall"])
        .env("PATH", path)
        .output()
        .unwrap();
    let stopped = (0..50).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        engine.try_wait().unwrap().is_some()
    });
    if !stopped {
        let _ = engine.kill();
    }
    assert!(stopped, "the background engine still runs");
    assert!(!engine_dir.join("clickhouse.pid").exists());
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}{stderr}");
    assert_eq!(
        stdout.matches("no systemd user manager here").count(),
        1,
        "{stdout}"
    );
    assert!(!stderr.contains("Failed to connect"), "{stderr}");
    assert!(stdout.contains("removed"), "{stdout}");
    let calls = std::fs::read_to_string(bin.join("calls")).unwrap();
    assert_eq!(calls.lines().count(), 1, "asked systemd once: {calls}");
    assert!(
        !env.dir
            .path()
            .join(".config/systemd/user/ccsync.timer")
            .exists()
    );
}

#[test]
fn install_print_shows_the_units_of_this_system_only() {
    let env = Env::new("install_print");
    let (status, stdout, stderr) = env.ccsync(&["install", "--print"]);
    assert!(status.success(), "{stderr}");
    assert!(stdout.contains("[Timer]"), "{stdout}");
    assert_eq!(
        stdout.contains("<plist"),
        cfg!(target_os = "macos"),
        "{stdout}"
    );
}
