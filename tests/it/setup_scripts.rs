//! The set-up scripts as a new user meets them: the toolchain check (`scripts/setup.sh`) and
//! the local ClickHouse (`scripts/local-clickhouse.sh`, `ccsync uninstall`). Neither systemd
//! nor a real ClickHouse server runs here, so `rustc`, `rustup`, `clickhouse` and `systemctl`
//! are stand-ins on PATH that report what the real ones would and record their arguments;
//! the chDB engine the quick start falls back to is the real one.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{Env, line, lines, python, repo};

const T1: &str = "2026-01-05T10:00:00.000Z";

/// A directory of stand-in programs, first on PATH.
struct FakeBin {
    dir: PathBuf,
}

impl FakeBin {
    fn new(home: &Path) -> Self {
        let dir = home.join("fake-bin");
        std::fs::create_dir_all(&dir).unwrap();
        FakeBin { dir }
    }

    fn add(&self, name: &str, script: &str) {
        let path = self.dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{script}")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// The stand-in's recorded calls, one line each.
    fn calls(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("{name}.calls"))).unwrap_or_default()
    }

    /// PATH with the stand-ins first and no user toolchain (~/.cargo/bin) after them.
    fn path(&self) -> String {
        format!("{}:/usr/local/bin:/usr/bin:/bin", self.dir.display())
    }
}

fn recorder(name: &str) -> String {
    format!("echo \"$*\" >> \"$(dirname \"$0\")/{name}.calls\"\n")
}

fn script(home: &Path, fake: &FakeBin, name: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg(repo().join("scripts").join(name))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", fake.path())
        .env("NO_COLOR", "1");
    cmd
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn setup_stops_with_the_fix_when_rust_is_too_old_and_rustup_cannot_help() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeBin::new(home.path());
    fake.add("rustc", "echo 'rustc 1.63.0 (4b91a6ea7 2022-08-08)'\n");
    fake.add("cargo", "echo 'cargo 1.63.0'\n");
    // rustup installs nothing: rustc stays 1.63.
    fake.add("rustup", &recorder("rustup"));
    let out = script(home.path(), &fake, "setup.sh", &[])
        .output()
        .unwrap();
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("found rustc 1.63.0"), "{said}");
    assert!(said.contains("needs Rust >= 1.89"), "{said}");
    assert!(said.contains("https://rustup.rs"), "{said}");
    let calls = fake.calls("rustup");
    assert!(calls.contains("toolchain install 1.95.0"), "{calls}");
    assert!(
        !said.contains("Compiling"),
        "stopped before building: {said}"
    );
}

#[test]
fn setup_leaves_a_new_enough_rust_alone() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeBin::new(home.path());
    fake.add("rustc", "echo 'rustc 1.95.0 (29483883e 2025-08-04)'\n");
    fake.add("cargo", "echo 'cargo 1.95.0'\n");
    fake.add("rustup", &recorder("rustup"));
    let out = script(home.path(), &fake, "setup.sh", &[])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(fake.calls("rustup"), "", "rustup was not needed");
}

#[test]
fn detect_uses_a_clickhouse_on_path_only_when_new_enough() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeBin::new(home.path());
    let detect = || {
        let out = script(home.path(), &fake, "local-clickhouse.sh", &["detect"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(detect(), "chdb no clickhouse binary on PATH");
    // Debian's package: far too old for the schema.
    fake.add(
        "clickhouse-server",
        "echo 'ClickHouse server version 18.16.1.'\n",
    );
    let said = detect();
    assert!(said.starts_with("chdb "), "{said}");
    assert!(
        said.contains("18.16.1") && said.contains(">= 24.8"),
        "{said}"
    );
    fake.add(
        "clickhouse",
        "echo 'ClickHouse local version 25.3.2.1 (official build).'\n",
    );
    let bin = fake.dir.join("clickhouse");
    assert_eq!(detect(), format!("clickhouse {} 25.3.2.1", bin.display()));
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn answers(port: u16) -> bool {
    let url = format!("http://127.0.0.1:{port}/ping");
    Command::new("curl")
        .args(["-fsS", "--max-time", "2", &url])
        .output()
        .is_ok_and(|o| o.stdout == b"Ok.\n" || o.stdout == b"Ok.")
}

/// A `systemctl` whose user manager runs a unit's ExecStart when it is enabled with `--now`
/// and stops it when disabled or stopped (what systemd does, for one simple service).
const FAKE_SYSTEMCTL: &str = r#"echo "$*" >> "$(dirname "$0")/systemctl.calls"
units="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"
pidfile="$(dirname "$0")/unit.pid"
case "$*" in
  "--user enable --now "*) exec_start=$(sed -n 's/^ExecStart=//p' "$units/$4")
    nohup $exec_start >/dev/null 2>&1 & echo $! > "$pidfile" ;;
  "--user disable --now "*|"--user stop "*) [ -f "$pidfile" ] && kill $(cat "$pidfile") && rm -f "$pidfile" ;;
esac
exit 0
"#;

/// A real server on PATH: the launcher runs `clickhouse server --config-file=…`, the config
/// listens on loopback only at the chosen port, systemd runs it, and `ccsync uninstall` stops
/// and removes the service but keeps the data.
#[test]
fn a_new_enough_clickhouse_runs_as_a_user_service_until_uninstall() {
    let env = Env::new("local_server");
    let home = env.dir.path();
    let fake = FakeBin::new(home);
    fake.add("systemctl", FAKE_SYSTEMCTL);
    // The stand-in server answers /ping on the port its config names.
    let serve = "import http.server as h, re, sys\n\
        port = int(re.search(r'<http_port>(\\d+)</http_port>', open(sys.argv[1]).read()).group(1))\n\
        class P(h.BaseHTTPRequestHandler):\n    def do_GET(self):\n        self.send_response(200); self.end_headers(); self.wfile.write(b'Ok.\\n')\n\
        h.HTTPServer(('127.0.0.1', port), P).serve_forever()\n";
    std::fs::write(fake.dir.join("serve.py"), serve).unwrap();
    fake.add(
        "clickhouse",
        &format!(
            "{}case \"$1\" in --version) echo 'ClickHouse local version 25.3.2.1 (official build).';;\n\
             server) exec python3 \"$(dirname \"$0\")/serve.py\" \"${{2#--config-file=}}\";; esac\n",
            recorder("clickhouse")
        ),
    );
    let port = free_port();
    let out = script(home, &fake, "local-clickhouse.sh", &["install"])
        .env("CCSYNC_LOCAL_CLICKHOUSE_PORT", port.to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(answers(port), "{}", text(&out));

    let server_dir = home.join(".local/share/ccsync/clickhouse-server");
    let config = std::fs::read_to_string(server_dir.join("config.xml")).unwrap();
    assert!(config.contains(&format!("<http_port>{port}</http_port>")));
    assert_eq!(config.matches("<listen_host>").count(), 1, "{config}");
    assert!(config.contains("<listen_host>127.0.0.1</listen_host>"));
    assert!(!config.contains("<tcp_port>"), "HTTP only: {config}");
    assert!(config.contains(&format!("<path>{}/data/</path>", server_dir.display())));
    let users = std::fs::read_to_string(server_dir.join("users.xml")).unwrap();
    assert!(
        users.contains("<ip>127.0.0.1</ip>") && !users.contains("::/0"),
        "{users}"
    );
    let clickhouse_calls = fake.calls("clickhouse");
    let expected = format!("server --config-file={}/config.xml", server_dir.display());
    assert!(clickhouse_calls.contains(&expected), "{clickhouse_calls}");

    let unit_file = home.join(".config/systemd/user/ccsync-clickhouse.service");
    let unit = std::fs::read_to_string(&unit_file).unwrap();
    let launcher = home.join(".local/share/ccsync/engine/run-clickhouse");
    assert!(
        unit.contains(&format!("ExecStart={}\n", launcher.display())),
        "{unit}"
    );
    assert!(unit.contains("WantedBy=default.target"), "{unit}");
    assert!(
        !std::fs::read_to_string(&launcher)
            .unwrap()
            .contains(&repo().display().to_string())
    );
    let calls = fake.calls("systemctl");
    assert!(
        calls.contains("--user enable --now ccsync-clickhouse.service"),
        "{calls}"
    );

    let out = env
        .command(&["uninstall"])
        .env("PATH", fake.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let calls = fake.calls("systemctl");
    assert!(
        calls.contains("--user disable --now ccsync-clickhouse.service"),
        "{calls}"
    );
    assert!(!unit_file.exists());
    assert!(!answers(port), "stopped");
    assert!(
        server_dir.join("config.xml").exists(),
        "data and config stay"
    );
    assert!(
        text(&out).contains("kept     the local ClickHouse's data"),
        "{}",
        text(&out)
    );
}

/// Without a usable server and without systemd: the chDB engine runs in the background from
/// files outside the clone, ccsync syncs into it, and `stop`/`start` bring it down and back.
#[test]
fn without_systemd_the_chdb_engine_starts_in_the_background_and_restarts() {
    let env = Env::new("local_chdb");
    let home = env.dir.path();
    let fake = FakeBin::new(home);
    fake.add(
        "systemctl",
        &format!(
            "{}echo 'Failed to connect to bus: No medium found' >&2\nexit 1\n",
            recorder("systemctl")
        ),
    );
    // The engine's own environment, already set up (a real install runs pip here).
    let engine = home.join(".local/share/ccsync/engine");
    std::fs::create_dir_all(&engine).unwrap();
    let prefix = Command::new(python())
        .args(["-c", "import sys; print(sys.prefix)"])
        .output()
        .unwrap();
    let venv = PathBuf::from(String::from_utf8(prefix.stdout).unwrap().trim());
    std::os::unix::fs::symlink(&venv, engine.join("venv")).unwrap();
    let port = free_port();
    let run = |args: &[&str]| {
        let out = script(home, &fake, "local-clickhouse.sh", args)
            .env("CCSYNC_LOCAL_CLICKHOUSE_PORT", port.to_string())
            .output()
            .unwrap();
        (out.status.code(), text(&out))
    };
    let (code, said) = run(&["install"]);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("after a reboot, start it again"), "{said}");
    assert!(
        engine.join("chdb_server.py").exists(),
        "a copy outside the clone"
    );
    let launcher = std::fs::read_to_string(engine.join("run-clickhouse")).unwrap();
    assert!(
        !launcher.contains(&repo().display().to_string()),
        "{launcher}"
    );
    assert!(launcher.contains("--host 127.0.0.1"), "{launcher}");

    env.write("-p/s1.jsonl", &lines(&[line("m1", T1)]));
    let url = format!("http://127.0.0.1:{port}");
    let sync = env
        .command(&["--once"])
        .env("CLICKHOUSE_URL", &url)
        .env("CLICKHOUSE_USER", "default")
        .env("CLICKHOUSE_PASSWORD", "")
        .output()
        .unwrap();
    assert!(sync.status.success(), "{}", text(&sync));

    // The port chosen at install is kept: no variable needed afterwards.
    let status = script(home, &fake, "local-clickhouse.sh", &["status"])
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    assert_eq!(run(&["stop"]).0, Some(0));
    assert!(!answers(port));
    assert_eq!(
        run(&["status"]).0,
        Some(3),
        "status says it does not answer"
    );
    let (code, said) = run(&["start"]);
    assert_eq!(code, Some(0), "{said}");
    let status = env
        .command(&["status", "--json"])
        .env("CLICKHOUSE_URL", &url)
        .env("CLICKHOUSE_USER", "default")
        .env("CLICKHOUSE_PASSWORD", "")
        .output()
        .unwrap();
    assert!(
        text(&status).contains("\"rows\": 1"),
        "kept across a restart: {}",
        text(&status)
    );
    let (code, said) = run(&["remove"]);
    assert_eq!(code, Some(0), "{said}");
    assert!(!answers(port));
}

/// The quick start leaves ccsync ready to go on with: the binary in ~/.local/bin, the
/// connection in ~/.config/ccsync/ccsync.env (0600), the demo under the user's data dir and
/// its settings used for the demo run only. (The build is skipped: CCSYNC_QUICKSTART_BIN.)
#[test]
fn the_quick_start_leaves_ccsync_ready_to_continue() {
    use std::os::unix::fs::PermissionsExt as _;
    let env = Env::new("quickstart");
    let home = env.dir.path();
    let s = crate::common::server();
    let out = Command::new("bash")
        .arg(repo().join("scripts/quickstart.sh"))
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .env("CCSYNC_QUICKSTART_BIN", env!("CARGO_BIN_EXE_ccsync"))
        .env("CLICKHOUSE_URL", &s.url)
        .env("CLICKHOUSE_USER", &s.user)
        .env("CLICKHOUSE_PASSWORD", &s.password)
        .env("CLICKHOUSE_DATABASE", &env.database)
        .output()
        .unwrap();
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    let bin = home.join(".local/bin/ccsync");
    assert!(bin.is_file(), "{said}");
    let config = home.join(".config/ccsync/ccsync.env");
    let mode = std::fs::metadata(&config).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let written: std::collections::HashMap<String, String> = dotenvy::from_path_iter(&config)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(written.get("CLICKHOUSE_URL"), Some(&s.url));
    assert_eq!(written.get("CLICKHOUSE_DATABASE"), Some(&env.database));
    assert!(
        !written.contains_key("MACHINE_NAME"),
        "the demo's name is no default"
    );
    assert!(
        !written.contains_key("CLAUDE_CONFIG_DIR"),
        "nor its transcripts"
    );
    let demo = home.join(".local/share/ccsync/demo");
    assert!(demo.join("claude/projects").is_dir(), "{said}");
    assert!(
        demo.join("state").is_dir(),
        "the demo keeps its own checkpoints"
    );
    assert!(said.contains("ccsync status"), "says how to go on: {said}");

    // Later, anywhere, with nothing but HOME: the same database, ready and empty (the demo's
    // made-up usage is in a database of its own, which the quick start names).
    let later_in = |database: Option<&str>, args: &[&str]| {
        let mut cmd = Command::new(&bin);
        cmd.args(args)
            .current_dir(home)
            .env_clear()
            .env("HOME", home)
            .env("PATH", std::env::var("PATH").unwrap_or_default());
        if let Some(database) = database {
            cmd.env("CLICKHOUSE_DATABASE", database);
        }
        cmd.output().unwrap()
    };
    let later = |args: &[&str]| later_in(None, args);
    let machines_in = |database: Option<&str>| {
        let status = later_in(database, &["status", "--json"]);
        let status_text = text(&status);
        let report: serde_json::Value = serde_json::from_slice(&status.stdout).expect(&status_text);
        report["machines"].as_array().unwrap().clone()
    };
    assert_eq!(machines_in(None), [] as [serde_json::Value; 0], "{said}");
    let demo_database = format!("{}_demo", env.database);
    assert!(
        said.contains(&format!("CLICKHOUSE_DATABASE={demo_database}")),
        "{said}"
    );
    let machines = machines_in(Some(&demo_database));
    assert_eq!(machines.len(), 1, "{machines:?}");
    assert!(
        machines[0]["machine_name"]
            .as_str()
            .unwrap()
            .starts_with("demo-")
    );
    assert!(machines[0]["rows"].as_u64().unwrap() > 0, "{machines:?}");
    // Real use: this HOME has no Claude Code, which is said, not synced as the demo.
    let once = later(&["--once"]);
    assert_eq!(once.status.code(), Some(1), "{}", text(&once));
    assert!(text(&once).contains(&format!("{}/.claude/projects", home.display())));
    let dropped = Command::new("curl")
        .args([
            "-fsS",
            "--user",
            &format!("{}:{}", s.user, s.password),
            &s.url,
        ])
        .args([
            "--data-binary",
            &format!("DROP DATABASE IF EXISTS `{demo_database}`"),
        ])
        .status()
        .unwrap();
    assert!(dropped.success());
}
