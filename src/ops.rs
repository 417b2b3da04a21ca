//! `ccsync status` and `ccsync doctor`: what is going on, and what to fix.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::config::Config;
use crate::store::client::Sink;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Per-machine freshness, from `sync_runs` and `usage_events`.
#[derive(Debug, Clone, Serialize, clickhouse::Row, serde::Deserialize)]
pub struct MachineStatus {
    pub machine_name: String,
    /// Unix ms of the last successful (ok or partial) run; 0 = never.
    pub last_success_ms: i64,
    pub last_run_ms: i64,
    pub last_status: String,
    pub last_error: String,
    pub runs: u64,
    /// Rollup buckets the last run left to the next one: reports read the rollup, which lags
    /// `usage_events` there until a run refreshes them.
    pub rollup_pending: u32,
    pub last_event_ms: i64,
    pub rows: u64,
    pub cost_usd_30d: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub now_ms: i64,
    pub interval_secs: u64,
    pub machines: Vec<MachineView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MachineView {
    #[serde(flatten)]
    pub status: MachineStatus,
    /// Seconds since the last successful sync.
    pub lag_secs: Option<i64>,
    /// No successful sync for more than two intervals.
    pub stale: bool,
}

impl MachineView {
    /// Stale because no run of it ever succeeded.
    pub fn never_synced(&self) -> bool {
        self.stale && self.status.last_success_ms <= 0
    }
}

const STATUS_SQL: &str = "
SELECT
    machine_name,
    toUnixTimestamp64Milli(r.last_success) AS last_success_ms,
    toUnixTimestamp64Milli(r.last_run) AS last_run_ms,
    r.last_status, r.last_error, r.runs, r.rollup_pending,
    toUnixTimestamp64Milli(e.last_event) AS last_event_ms,
    e.rows, e.cost_usd_30d
FROM
(
    SELECT machine_name,
        maxIf(finished_at, status IN ('ok', 'partial')) AS last_success,
        max(finished_at) AS last_run,
        argMax(status, finished_at) AS last_status,
        argMax(error, finished_at) AS last_error,
        count() AS runs,
        argMax(rollup_pending, finished_at) AS rollup_pending
    FROM sync_runs FINAL
    GROUP BY machine_name
) AS r
FULL OUTER JOIN
(
    SELECT machine_name, max(timestamp) AS last_event, count() AS rows,
        sumIf(cost_usd, timestamp >= now64(3) - INTERVAL 30 DAY) AS cost_usd_30d
    FROM usage_events FINAL
    GROUP BY machine_name
) AS e USING (machine_name)
ORDER BY machine_name
SETTINGS join_use_nulls = 0";

pub async fn status(cfg: &Config, interval: Duration) -> crate::Result<StatusReport> {
    let sink = Sink::new(&cfg.clickhouse)?;
    let machines: Vec<MachineStatus> = sink
        .timed("read status", sink.client().query(STATUS_SQL).fetch_all())
        .await?;
    let now = now_ms();
    let machines = machines
        .into_iter()
        .map(|m| {
            let lag_secs = (m.last_success_ms > 0).then(|| (now - m.last_success_ms) / 1000);
            let stale = lag_secs.is_none_or(|lag| lag > 2 * interval.as_secs() as i64);
            MachineView {
                status: m,
                lag_secs,
                stale,
            }
        })
        .collect();
    Ok(StatusReport {
        now_ms: now,
        interval_secs: interval.as_secs(),
        machines,
    })
}

/// "3m ago", "2h ago", "5d ago".
pub fn ago(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        0..=59 => format!("{secs}s ago"),
        60..=3599 => format!("{}m ago", secs / 60),
        3600..=172_799 => format!("{}h {}m ago", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d ago", secs / 86_400),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
    pub fix: Option<String>,
}

impl Check {
    fn pass(name: &'static str, detail: impl Into<String>) -> Self {
        Check {
            name,
            ok: true,
            detail: detail.into(),
            fix: None,
        }
    }
    fn fail(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Check {
            name,
            ok: false,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

fn state_dir_check(dir: &Path) -> Check {
    let probe = dir.join(".doctor-probe");
    let result = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&probe, b"ok"))
        .and_then(|()| std::fs::remove_file(&probe));
    match result {
        Ok(()) => Check::pass("state dir writable", dir.display().to_string()),
        Err(e) => Check::fail(
            "state dir writable",
            format!("{}: {e}", dir.display()),
            "set CCSYNC_STATE_DIR to a writable directory, or fix the permissions",
        ),
    }
}

fn transcripts_check(cfg: &Config) -> Check {
    let found = crate::source::claude::discover::discover(&cfg.claude_dirs);
    let bytes: u64 = found.files.iter().map(|f| f.size).sum();
    let dirs: Vec<String> = found
        .projects_dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    if found.files.is_empty() {
        return Check::fail(
            "transcripts found",
            format!(
                "no *.jsonl under {}",
                cfg.claude_dirs
                    .iter()
                    .map(|d| d.join("projects").display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "set CLAUDE_CONFIG_DIR to the directory holding Claude Code's projects/ (e.g. ~/.claude)",
        );
    }
    let mut detail = format!(
        "{} files, {:.1} MiB in {}",
        found.files.len(),
        bytes as f64 / 1_048_576.0,
        dirs.join(", ")
    );
    // What a sync could not read: it would say so and exit 4 (partial) on every run.
    let mut unreadable: Vec<String> = (found.unreadable.iter())
        .map(|(dir, err)| format!("cannot list {}: {err}", dir.display()))
        .collect();
    unreadable.extend(found.files.iter().filter_map(|f| {
        std::fs::File::open(&f.path)
            .err()
            .map(|e| format!("cannot read {}: {e}", f.path.display()))
    }));
    if unreadable.is_empty() {
        return Check::pass("transcripts found", detail);
    }
    let count = unreadable.len();
    unreadable.truncate(5);
    detail += &format!("; {count} unreadable: {}", unreadable.join("; "));
    Check::fail(
        "transcripts found",
        detail,
        "give your user read access to them (e.g. chmod -R u+rX on the folder): a sync skips them and ends partial (exit 4)",
    )
}

fn timer_check(home: Option<&Path>) -> Check {
    let Some(home) = home else {
        return Check::fail("timer installed", "HOME is not set", "set HOME");
    };
    let paths = crate::install::Paths::for_home(home, None);
    if !paths.timer().exists() || !paths.service().exists() {
        return Check::fail(
            "timer installed",
            format!("no {}", paths.timer().display()),
            "ccsync install --enable (or run `ccsync sync` as a daemon)",
        );
    }
    let enabled = std::process::Command::new("systemctl")
        .args(["--user", "is-enabled", "ccsync.timer"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match enabled {
        Ok(state) if state == "enabled" => Check::pass("timer installed", "ccsync.timer enabled"),
        Ok(state) => Check::fail(
            "timer installed",
            format!(
                "ccsync.timer is installed but {}",
                if state.is_empty() {
                    "not enabled"
                } else {
                    &state
                }
            ),
            "systemctl --user daemon-reload && systemctl --user enable --now ccsync.timer",
        ),
        Err(e) => Check::fail(
            "timer installed",
            format!("units installed, but systemctl is unavailable ({e})"),
            "run `ccsync sync` as a daemon, or use deploy/launchd on macOS",
        ),
    }
}

/// Runs every check; never fails itself (each failure is a ✗ with its fix).
pub async fn doctor(cfg: &Config) -> Vec<Check> {
    let mut checks = vec![Check::pass(
        "configuration valid",
        format!(
            "{} database {} as user {}, machine {:?}",
            crate::error::redact_urls(&cfg.clickhouse.url),
            cfg.clickhouse.database,
            cfg.clickhouse.user,
            cfg.machine_name
        ),
    )];
    checks.push(transcripts_check(cfg));
    checks.push(state_dir_check(&cfg.state_dir));

    let mut quick = cfg.clickhouse.clone();
    quick.retries = 0;
    quick.timeout = quick.timeout.min(Duration::from_secs(10));
    let sink = match Sink::new(&quick) {
        Ok(sink) => sink,
        Err(e) => {
            checks.push(Check::fail(
                "server reachable",
                e.to_string(),
                "fix CLICKHOUSE_CA_FILE (a PEM file with the CA that signed the server's certificate)",
            ));
            return checks;
        }
    };
    let before = now_ms();
    let server = sink
        .timed(
            "connect",
            sink.admin()
                .query("SELECT version(), toUnixTimestamp64Milli(now64(3))")
                .fetch_one::<(String, i64)>(),
        )
        .await;
    let after = now_ms();
    match server {
        Err(e) => {
            let auth = matches!(
                e,
                crate::Error::ClickHouse {
                    kind: crate::error::ServerErrorKind::Auth,
                    ..
                }
            );
            if auth {
                checks.push(Check::pass("server reachable", cfg.clickhouse.url.clone()));
                checks.push(Check::fail(
                    "credentials accepted",
                    e.to_string(),
                    "check CLICKHOUSE_USER and CLICKHOUSE_PASSWORD / CLICKHOUSE_PASSWORD_FILE",
                ));
            } else {
                checks.push(Check::fail(
                    "server reachable",
                    e.to_string(),
                    "start ClickHouse (docker compose up -d, or scripts/quickstart.sh) or fix CLICKHOUSE_URL",
                ));
            }
        }
        Ok((version, server_ms)) => {
            checks.push(Check::pass(
                "server reachable",
                format!(
                    "ClickHouse {version} at {}",
                    crate::error::redact_urls(&cfg.clickhouse.url)
                ),
            ));
            checks.push(Check::pass(
                "credentials accepted",
                cfg.clickhouse.user.clone(),
            ));
            let skew_ms = server_ms - (before + after) / 2;
            let uncertainty = (after - before) / 2;
            checks.push(if skew_ms.abs() <= 5_000 + uncertainty {
                Check::pass("clock skew", format!("{skew_ms:+} ms versus the server"))
            } else {
                Check::fail(
                    "clock skew",
                    format!("{:+.1} s versus the server", skew_ms as f64 / 1000.0),
                    "enable time sync (timedatectl set-ntp true): freshness and lag depend on it",
                )
            });
            checks.push(schema_check(&sink).await);
        }
    }
    checks.push(timer_check(crate::config::Host::current().home.as_deref()));
    checks
}

async fn schema_check(sink: &Sink) -> Check {
    let latest = crate::store::schema::latest_version();
    let version = sink
        .timed(
            "read schema version",
            sink.client()
                .query("SELECT max(version) FROM schema_migrations")
                .fetch_one::<u32>(),
        )
        .await;
    match version {
        Ok(v) if v == latest => Check::pass("schema current", format!("version {v}")),
        Ok(v) if v > latest => Check::fail(
            "schema current",
            format!("database is at version {v}, this agent knows {latest}"),
            "upgrade ccsync on this machine",
        ),
        Ok(v) => Check::fail(
            "schema current",
            format!("database is at version {v}, this agent needs {latest}"),
            "ccsync schema apply (or just run a sync)",
        ),
        Err(e) => Check::fail(
            "schema current",
            format!("no schema in database {}: {e}", sink.database()),
            "ccsync schema apply (or just run a sync)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ago_is_readable() {
        assert_eq!(ago(5), "5s ago");
        assert_eq!(ago(125), "2m ago");
        assert_eq!(ago(3 * 3600 + 120), "3h 2m ago");
        assert_eq!(ago(3 * 86_400), "3d ago");
        assert_eq!(ago(-4), "0s ago");
    }

    #[test]
    fn state_dir_check_reports_unwritable_dirs() {
        assert!(state_dir_check(&tempfile::tempdir().unwrap().path().join("s")).ok);
        let file = tempfile::NamedTempFile::new().unwrap();
        let c = state_dir_check(&file.path().join("sub"));
        assert!(!c.ok && c.fix.is_some());
    }
}
