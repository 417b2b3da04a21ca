//! `ccsync install` / `uninstall`: the systemd user units from `deploy/systemd/` (embedded), and
//! the 0600 environment file they read.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::error::{Error, Result};

pub const SERVICE: &str = include_str!("../deploy/systemd/ccsync.service");
pub const TIMER: &str = include_str!("../deploy/systemd/ccsync.timer");
pub const LAUNCHD_PLIST: &str = include_str!("../deploy/launchd/com.github.ccsync.plist");
const TEMPLATE_BIN: &str = "%h/.local/bin/ccsync";

pub const ENABLE_COMMANDS: [&[&str]; 2] = [
    &["systemctl", "--user", "daemon-reload"],
    &["systemctl", "--user", "enable", "--now", "ccsync.timer"],
];
pub const DISABLE_COMMANDS: [&[&str]; 2] = [
    &["systemctl", "--user", "disable", "--now", "ccsync.timer"],
    &["systemctl", "--user", "daemon-reload"],
];

pub struct Paths {
    pub unit_dir: PathBuf,
    pub env_file: PathBuf,
}

impl Paths {
    pub fn for_home(home: &Path, xdg_config_home: Option<&Path>) -> Self {
        let config = xdg_config_home.map_or_else(|| home.join(".config"), Path::to_path_buf);
        Paths {
            unit_dir: config.join("systemd/user"),
            env_file: home.join(".config/ccsync/ccsync.env"),
        }
    }
    pub fn service(&self) -> PathBuf {
        self.unit_dir.join("ccsync.service")
    }
    pub fn timer(&self) -> PathBuf {
        self.unit_dir.join("ccsync.timer")
    }
    /// The local ClickHouse's service, when the quick start set one up
    /// (scripts/local-clickhouse.sh).
    pub fn local_clickhouse(&self) -> PathBuf {
        self.unit_dir.join(LOCAL_CLICKHOUSE_UNIT)
    }
}

pub const LOCAL_CLICKHOUSE_UNIT: &str = "ccsync-clickhouse.service";

/// The service unit with `ExecStart` pointing at `bin` (`%h/...` when under the home dir).
pub fn service_unit(bin: &Path, home: &Path) -> String {
    let exec = match bin.strip_prefix(home) {
        Ok(rel) => format!("%h/{}", rel.display()),
        Err(_) => bin.display().to_string(),
    };
    let exec = if exec.contains(' ') {
        format!("\"{exec}\"")
    } else {
        exec
    };
    SERVICE.replace(TEMPLATE_BIN, &exec)
}

/// The environment file for a new install: every setting in effect, the secrets (password,
/// path hash key) only if configured now (the file is created 0600). Variables the file does
/// not set fall back to their defaults, so writing them all keeps the timer's run equal to the
/// shell's that installed it.
pub fn env_file_contents(cfg: &Config) -> String {
    let mut out = String::from(
        "# ccsync configuration, read by `ccsync` itself and by ccsync.service. Mode 0600: it may\n\
         # hold a password. All settings: .env.example in the ccsync repository.\n",
    );
    let ch = &cfg.clickhouse;
    let mut set = |name: &str, value: &str| out += &format!("{name}={}\n", quoted(value));
    set("CLICKHOUSE_URL", &ch.url);
    set("CLICKHOUSE_USER", &ch.user);
    set("CLICKHOUSE_DATABASE", &ch.database);
    if !ch.password.is_empty() {
        set("CLICKHOUSE_PASSWORD", ch.password.expose());
    }
    if let Some(ca) = &ch.ca_file {
        set("CLICKHOUSE_CA_FILE", &ca.to_string_lossy());
    }
    set(
        "CLICKHOUSE_COMPRESSION",
        if ch.lz4 { "lz4" } else { "none" },
    );
    set("CCSYNC_TIMEOUT", &ch.timeout.as_secs().to_string());
    set("CCSYNC_RETRIES", &ch.retries.to_string());
    set("MACHINE_NAME", &cfg.machine_name);
    let dirs: Vec<String> = cfg
        .claude_dirs
        .iter()
        .map(|d| d.to_string_lossy().into_owned())
        .collect();
    set("CLAUDE_CONFIG_DIR", &dirs.join(","));
    let homes: Vec<String> = (cfg.codex_homes.iter())
        .map(|d| d.to_string_lossy().into_owned())
        .collect();
    set("CODEX_HOME", &homes.join(","));
    set("CCSYNC_STATE_DIR", &cfg.state_dir.to_string_lossy());
    if let Some(account) = &cfg.account_override {
        set("CCSYNC_ACCOUNT", account);
    }
    set("CCSYNC_COST_MODE", cfg.cost_mode.as_str());
    if let Some(file) = &cfg.pricing_file {
        set("CCSYNC_PRICING_FILE", &file.path().to_string_lossy());
    }
    set("CCSYNC_BATCH_ROWS", &cfg.batch_rows.to_string());
    if let Some(key) = cfg.path_hash_key.as_ref().filter(|k| !k.is_empty()) {
        set("CCSYNC_PATH_HASH_KEY", key.expose());
    }
    let drop_branch = cfg.privacy.drop_git_branch;
    set(
        "CCSYNC_DROP_GIT_BRANCH",
        if drop_branch { "true" } else { "false" },
    );
    if ch.password.is_empty() {
        out += "# CLICKHOUSE_PASSWORD=\n# CLICKHOUSE_PASSWORD_FILE=\n";
    }
    out
}

/// A value as both dotenv parsers and systemd's EnvironmentFile read it literally: single
/// quotes (nothing expanded), or, for a value holding one itself, double quotes with the three
/// characters both parsers unescape there (`\\`, `"`, `$`) escaped.
fn quoted(value: &str) -> String {
    let plain = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.,:/@+".contains(c));
    if plain {
        value.to_string()
    } else if !value.contains('\'') {
        format!("'{value}'")
    } else {
        let mut out = String::with_capacity(value.len() + 4);
        out.push('"');
        for c in value.chars() {
            if matches!(c, '\\' | '"' | '$') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        out
    }
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub written: Vec<PathBuf>,
    pub kept: Vec<PathBuf>,
    /// An env file whose settings changed: where its previous contents were saved.
    pub backed_up: Vec<PathBuf>,
    pub removed: Vec<PathBuf>,
    pub ran: Vec<String>,
    /// Why systemd was left alone (no user manager here): said once.
    pub systemd_unavailable: Option<String>,
    /// The local ClickHouse the quick start started in the background (no systemd): its pid,
    /// stopped.
    pub stopped_engine: Option<u32>,
}

fn write_file(path: &Path, contents: &str, mode: u32, replace: bool) -> Result<bool> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).mode(mode);
    if replace {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    match opts.open(path) {
        Ok(mut f) => {
            f.write_all(contents.as_bytes())
                .map_err(|e| Error::io(path, e))?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(Error::io(path, e)),
    }
}

fn write_env_file(path: &Path, contents: &str, outcome: &mut Outcome) -> Result<()> {
    let old = match std::fs::read_to_string(path) {
        Ok(old) => Some(old),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(path, e)),
    };
    if old.as_deref() == Some(contents) {
        outcome.kept.push(path.to_path_buf());
        return Ok(());
    }
    if let Some(old) = old {
        let backup = path.with_extension("env.bak");
        write_file(&backup, &old, 0o600, true)?;
        outcome.backed_up.push(backup);
    }
    write_file(path, contents, 0o600, true)?;
    // It may hold secrets, whatever mode an older file had.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io(path, e))?;
    outcome.written.push(path.to_path_buf());
    Ok(())
}

fn run_all(commands: &[&[&str]], outcome: &mut Outcome) -> Result<()> {
    const WITHOUT_SYSTEMD: &str = "the units are written, but nothing here runs them: without \
        systemd, keep `ccsync sync` running (it syncs every hour in the foreground) under your \
        own supervisor, or run `ccsync --once` from cron";
    for cmd in commands {
        let line = cmd.join(" ");
        let out = std::process::Command::new(cmd[0])
            .args(&cmd[1..])
            .output()
            .map_err(|e| {
                Error::Config(format!(
                    "cannot run `{line}` ({e}): no systemd here? {WITHOUT_SYSTEMD}"
                ))
            })?;
        if !out.status.success() {
            let (first, no_manager) = complaint(&out.stderr);
            let why = if no_manager {
                format!("no systemd user manager here ({first}); {WITHOUT_SYSTEMD}")
            } else {
                first
            };
            return Err(Error::Config(format!("`{line}` failed: {why}")));
        }
        outcome.ran.push(line);
    }
    Ok(())
}

/// Writes the units (replacing older ones) and the env file with every setting in effect: they
/// include the file's own (it is read first), so an existing file is only rewritten where a
/// setting changed (`CCSYNC_PATH_HASH_KEY` set since, say), its previous contents kept beside it.
pub fn install(
    paths: &Paths,
    cfg: &Config,
    bin: &Path,
    home: &Path,
    enable: bool,
) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    write_file(&paths.service(), &service_unit(bin, home), 0o644, true)?;
    outcome.written.push(paths.service());
    write_file(&paths.timer(), TIMER, 0o644, true)?;
    outcome.written.push(paths.timer());
    write_env_file(&paths.env_file, &env_file_contents(cfg), &mut outcome)?;
    if enable {
        run_all(&ENABLE_COMMANDS, &mut outcome)?;
    }
    Ok(outcome)
}

/// Stops and removes the units (the local ClickHouse's too, if the quick start installed it, or
/// started it in the background: `engine_pidfile`); the env file only with `purge`. Checkpoints
/// and data in ClickHouse are left alone.
pub fn uninstall(
    paths: &Paths,
    engine_pidfile: &Path,
    disable: bool,
    purge: bool,
) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    let local_clickhouse = paths.local_clickhouse().exists();
    if disable {
        // Best effort: the timer may never have been enabled.
        stop_quietly(&DISABLE_COMMANDS[..1], &mut outcome);
        if local_clickhouse && outcome.systemd_unavailable.is_none() {
            let stop: &[&str] = &[
                "systemctl",
                "--user",
                "disable",
                "--now",
                LOCAL_CLICKHOUSE_UNIT,
            ];
            stop_quietly(&[stop], &mut outcome);
        }
    }
    let mut files = vec![paths.timer(), paths.service(), paths.local_clickhouse()];
    if purge {
        files.push(paths.env_file.clone());
    }
    for f in files {
        match std::fs::remove_file(&f) {
            Ok(()) => outcome.removed.push(f),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&f, e)),
        }
    }
    if disable && outcome.systemd_unavailable.is_none() {
        stop_quietly(&DISABLE_COMMANDS[1..], &mut outcome);
    }
    if disable {
        outcome.stopped_engine = stop_background_engine(engine_pidfile);
    }
    Ok(outcome)
}

/// Stops the local ClickHouse started in the background (scripts/local-clickhouse.sh, where no
/// systemd runs it), if its pid file names a process of it that still runs.
fn stop_background_engine(pidfile: &Path) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(pidfile).ok()?.trim().parse().ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let ours = [&b"run-clickhouse"[..], b"chdb_server", b"clickhouse"]
        .iter()
        .any(|name| memchr::memmem::find(&cmdline, name).is_some());
    let _ = std::fs::remove_file(pidfile);
    let process = rustix::process::Pid::from_raw(i32::try_from(pid).ok()?)?;
    let stopped =
        ours && rustix::process::kill_process(process, rustix::process::Signal::TERM).is_ok();
    stopped.then_some(pid)
}

/// Runs systemctl for a removal, its complaints captured: where no user manager runs (a
/// container, ssh without a session bus) there is nothing to stop, which is said once.
fn stop_quietly(commands: &[&[&str]], outcome: &mut Outcome) {
    for cmd in commands {
        let line = cmd.join(" ");
        match std::process::Command::new(cmd[0]).args(&cmd[1..]).output() {
            Ok(out) if out.status.success() => outcome.ran.push(line),
            Ok(out) => {
                let (first, no_manager) = complaint(&out.stderr);
                if no_manager {
                    outcome.systemd_unavailable = Some(first);
                    return;
                }
                // The timer was not enabled: nothing to stop.
            }
            Err(e) => {
                outcome.systemd_unavailable = Some(format!("cannot run {}: {e}", cmd[0]));
                return;
            }
        }
    }
}

/// The first line systemctl wrote to stderr, and whether it says that no user manager runs
/// here (a container, ssh without a session bus: "Failed to connect to bus").
fn complaint(stderr: &[u8]) -> (String, bool) {
    let said = String::from_utf8_lossy(stderr);
    let first = said.lines().next().unwrap_or("").trim().to_string();
    let no_manager = first.contains("bus") || first.contains("systemd");
    (first, no_manager)
}

/// Key → value of a unit file (`Key=Value` lines of all sections), for checks without systemd.
pub fn unit_keys(unit: &str) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in unit.lines().map(str::trim) {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
        } else if let Some((k, v)) = line.split_once('=') {
            out.push((section.clone(), k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(unit: &str, section: &str, key: &str, value: &str) -> bool {
        unit_keys(unit)
            .iter()
            .any(|(s, k, v)| s == section && k == key && v == value)
    }

    #[test]
    fn units_have_the_keys_the_schedule_depends_on() {
        assert!(has(SERVICE, "Service", "Type", "oneshot"));
        assert!(has(
            SERVICE,
            "Service",
            "ExecStart",
            "%h/.local/bin/ccsync --once"
        ));
        assert!(has(
            SERVICE,
            "Service",
            "EnvironmentFile",
            "-%h/.config/ccsync/ccsync.env"
        ));
        assert!(has(TIMER, "Timer", "OnCalendar", "hourly"));
        assert!(has(TIMER, "Timer", "Persistent", "true"));
        assert!(has(TIMER, "Timer", "RandomizedDelaySec", "15min"));
        assert!(has(TIMER, "Install", "WantedBy", "timers.target"));
        assert!(TIMER.contains("loginctl enable-linger"));
        assert!(LAUNCHD_PLIST.contains("<string>--once</string>"));
    }

    #[test]
    fn exec_start_points_at_the_installed_binary() {
        let home = Path::new("/home/me");
        let unit = service_unit(Path::new("/home/me/bin/ccsync"), home);
        assert!(has(&unit, "Service", "ExecStart", "%h/bin/ccsync --once"));
        let unit = service_unit(Path::new("/opt/cc sync/ccsync"), home);
        assert!(has(
            &unit,
            "Service",
            "ExecStart",
            "\"/opt/cc sync/ccsync\" --once"
        ));
    }
}
