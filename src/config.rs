//! Resolved configuration. Layering (defaults → config file → `.env` → environment → flags) happens
//! in `cli`; this module turns raw values into a validated `Config` without touching the network.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::price::CostMode;

/// A secret that never shows up in `Debug` output or logs.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"***\"" })
    }
}

#[derive(Debug, Clone)]
pub struct ClickHouseConfig {
    pub url: String,
    pub user: String,
    pub password: Secret,
    pub database: String,
    pub timeout: Duration,
    pub retries: usize,
    /// Extra PEM CA certificates to trust for https:// (private CAs, self-signed servers).
    pub ca_file: Option<PathBuf>,
    /// LZ4 on the wire (requests and responses).
    pub lz4: bool,
}

/// `CLICKHOUSE_COMPRESSION`: LZ4 pays across a network; on loopback it only costs CPU on both
/// ends of the connection (the 2 GiB benchmark backfill into the local engine: ~0.2 s less CPU
/// and ~0.1-0.3 s less wall time without it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Compression {
    /// LZ4, except for a loopback host (localhost, 127.0.0.0/8, ::1).
    #[default]
    Auto,
    Lz4,
    None,
}

impl Compression {
    fn lz4_for(self, url: &str) -> bool {
        match self {
            Compression::Lz4 => true,
            Compression::None => false,
            Compression::Auto => !is_loopback(url),
        }
    }
}

/// `host[:port]` of a URL without its scheme.
fn authority(rest: &str) -> &str {
    rest.split(['/', '?']).next().unwrap_or("")
}

/// Whether the URL's host is this machine (`url` is validated: http(s)://host[:port][/...]).
fn is_loopback(url: &str) -> bool {
    let authority = authority(url.split_once("://").map_or(url, |(_, rest)| rest));
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[derive(Debug, Clone)]
pub struct Config {
    pub clickhouse: ClickHouseConfig,
    pub machine_name: String,
    /// Directories that hold (or are) a Claude Code `projects/` folder.
    pub claude_dirs: Vec<PathBuf>,
    /// Codex CLI homes (`CODEX_HOME`, else `~/.codex`), as ccusage finds them.
    pub codex_homes: Vec<PathBuf>,
    /// Whose rows these are: CCSYNC_ACCOUNT, else the account signed in to Claude Code (read
    /// from these files by [`Config::account`]).
    pub account_override: Option<String>,
    pub account_files: Vec<PathBuf>,
    pub state_dir: PathBuf,
    pub cost_mode: CostMode,
    /// Rows per INSERT; checkpoints advance once a batch is acknowledged.
    pub batch_rows: usize,
    pub privacy: crate::privacy::Privacy,
    /// The passphrase `privacy` was derived from: `install` writes it to the env file, so the
    /// timer stores what the shell that installed it would.
    pub path_hash_key: Option<Secret>,
    /// `CCSYNC_PRICING_FILE`, read and checked (its path made absolute, for the env file).
    /// Prices are process-wide: `cli::main` puts it in use before anything is priced.
    pub pricing_file: Option<crate::price::PricingFile>,
}

/// Raw, unvalidated values as they come from the layered sources.
#[derive(Debug, Clone, Default)]
pub struct RawConfig {
    pub clickhouse_url: Option<String>,
    pub clickhouse_user: Option<String>,
    pub clickhouse_password: Option<Secret>,
    pub clickhouse_password_file: Option<PathBuf>,
    pub clickhouse_database: Option<String>,
    pub machine_name: Option<String>,
    pub claude_config_dir: Option<String>,
    pub codex_home: Option<String>,
    /// CCSYNC_ACCOUNT.
    pub account: Option<String>,
    pub state_dir: Option<PathBuf>,
    pub cost_mode: Option<CostMode>,
    pub batch_rows: Option<usize>,
    pub timeout_secs: Option<u64>,
    pub retries: Option<usize>,
    /// Passphrase for storing project paths and cwd as keyed hashes.
    pub path_hash_key: Option<Secret>,
    pub drop_git_branch: Option<bool>,
    pub ca_file: Option<PathBuf>,
    pub compression: Option<Compression>,
    pub pricing_file: Option<PathBuf>,
}

/// The environment a config is resolved against (home, XDG dirs, hostname), injectable for tests.
#[derive(Debug, Clone)]
pub struct Host {
    pub home: Option<PathBuf>,
    pub xdg_config_home: Option<PathBuf>,
    pub xdg_state_home: Option<PathBuf>,
    pub xdg_data_home: Option<PathBuf>,
    pub hostname: String,
}

impl Host {
    pub fn current() -> Self {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Host {
            home: var("HOME"),
            xdg_config_home: var("XDG_CONFIG_HOME"),
            xdg_state_home: var("XDG_STATE_HOME"),
            xdg_data_home: var("XDG_DATA_HOME"),
            hostname: gethostname::gethostname().to_string_lossy().into_owned(),
        }
    }
}

pub const DEFAULT_URL: &str = "http://localhost:8123";
pub const DEFAULT_DATABASE: &str = "ccsync";

impl Config {
    /// The Claude account of this machine's rows, as stored (a keyed hash under a privacy
    /// key): CCSYNC_ACCOUNT, else the one signed in to Claude Code; `Err` says why it is
    /// unknown when a `.claude.json` could not be read.
    pub fn account(
        &self,
    ) -> std::result::Result<Option<crate::source::claude::account::Account>, String> {
        let account = match &self.account_override {
            Some(label) => Some(crate::source::claude::account::Account {
                id: label.clone(),
                email: label.clone(),
            }),
            None => crate::source::claude::account::signed_in(&self.account_files)?,
        };
        Ok(account.map(|a| crate::source::claude::account::Account {
            id: self.privacy.path(&a.id),
            email: if a.email.is_empty() {
                a.email
            } else {
                self.privacy.path(&a.email)
            },
        }))
    }
}

impl RawConfig {
    /// Validates everything that can be checked offline.
    pub fn resolve(self, host: &Host) -> Result<Config> {
        let url = self.clickhouse_url.unwrap_or_else(|| DEFAULT_URL.into());
        validate_url(&url)?;
        let database = self
            .clickhouse_database
            .unwrap_or_else(|| DEFAULT_DATABASE.into());
        validate_identifier("CLICKHOUSE_DATABASE", &database)?;
        let password = match (self.clickhouse_password, self.clickhouse_password_file) {
            (Some(p), _) => p,
            (None, Some(path)) => read_password_file(&path)?,
            (None, None) => Secret::default(),
        };
        let machine_name = self
            .machine_name
            .map(|m| m.trim().to_string())
            .unwrap_or_else(|| host.hostname.clone());
        if machine_name.is_empty() || machine_name.len() > 255 {
            return Err(Error::Config(
                "MACHINE_NAME must be 1 to 255 characters (it defaults to the hostname)".into(),
            ));
        }
        let claude_dirs = match self.claude_config_dir.as_deref() {
            Some(list) if !list.trim().is_empty() => parse_dir_list(list, host),
            _ => default_claude_dirs(host),
        };
        let codex_homes =
            crate::source::codex::homes(self.codex_home.as_deref(), host.home.as_deref());
        let state_dir = match self.state_dir {
            Some(dir) => expand_tilde(&dir, host),
            None => default_state_dir(host)?,
        };
        let batch_rows = self.batch_rows.unwrap_or(40_000);
        if batch_rows == 0 {
            return Err(Error::Config("CCSYNC_BATCH_ROWS must be at least 1".into()));
        }
        Ok(Config {
            clickhouse: ClickHouseConfig {
                url: url.trim_end_matches('/').to_string(),
                user: self.clickhouse_user.unwrap_or_else(|| "default".into()),
                password,
                database,
                timeout: Duration::from_secs(self.timeout_secs.unwrap_or(30).max(1)),
                retries: self.retries.unwrap_or(5),
                ca_file: self.ca_file.map(|f| expand_tilde(&f, host)),
                lz4: self.compression.unwrap_or_default().lz4_for(&url),
            },
            machine_name,
            account_files: crate::source::claude::account::candidates(
                &claude_dirs,
                host.home.as_deref(),
            ),
            account_override: self
                .account
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty()),
            claude_dirs,
            codex_homes,
            state_dir,
            cost_mode: self.cost_mode.unwrap_or(CostMode::Auto),
            batch_rows,
            privacy: crate::privacy::Privacy::new(
                self.path_hash_key.as_ref().map(Secret::expose),
                self.drop_git_branch.unwrap_or(false),
            ),
            path_hash_key: self.path_hash_key,
            pricing_file: self
                .pricing_file
                .map(|file| read_pricing_file(&file, host))
                .transpose()?,
        })
    }
}

fn validate_url(url: &str) -> Result<()> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| {
            Error::Config(format!(
                "CLICKHOUSE_URL must start with http:// or https:// (got {:?})",
                crate::error::redact_urls(url)
            ))
        })?;
    let host = authority(rest);
    if host.is_empty() {
        return Err(Error::Config("CLICKHOUSE_URL has no host".into()));
    }
    if host.contains('@') {
        return Err(Error::Config(
            "CLICKHOUSE_URL must not contain credentials; use CLICKHOUSE_USER and CLICKHOUSE_PASSWORD"
                .into(),
        ));
    }
    Ok(())
}

/// Database names are interpolated nowhere (they are bound as `Identifier` parameters), but a
/// conservative shape catches typos such as a URL pasted into the wrong variable.
fn validate_identifier(what: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "{what} must be letters, digits and underscores, not starting with a digit (got {name:?})"
        )))
    }
}

fn read_pricing_file(path: &Path, host: &Host) -> Result<crate::price::PricingFile> {
    let path = expand_tilde(path, host);
    // Absolute, so that the env file `install` writes names it from any directory.
    let path = std::path::absolute(&path).unwrap_or(path);
    crate::price::PricingFile::read(&path).map_err(|e| Error::Config(e.to_string()))
}

fn read_password_file(path: &Path) -> Result<Secret> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::Config(format!(
            "cannot read CLICKHOUSE_PASSWORD_FILE {}: {e}",
            path.display()
        ))
    })?;
    Ok(Secret::new(text.trim_end_matches(['\n', '\r'])))
}

/// `CLAUDE_CONFIG_DIR` semantics shared with Claude Code and ccusage: comma-separated, `~` expanded.
pub fn parse_dir_list(list: &str, host: &Host) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let dir = expand_tilde(Path::new(part), host);
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    dirs
}

pub fn default_claude_dirs(host: &Host) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(xdg) = &host.xdg_config_home {
        dirs.push(xdg.join("claude"));
    } else if let Some(home) = &host.home {
        dirs.push(home.join(".config/claude"));
    }
    if let Some(home) = &host.home {
        dirs.push(home.join(".claude"));
    }
    dirs
}

fn default_state_dir(host: &Host) -> Result<PathBuf> {
    if let Some(xdg) = &host.xdg_state_home {
        return Ok(xdg.join("ccsync"));
    }
    host.home
        .as_ref()
        .map(|h| h.join(".local/state/ccsync"))
        .ok_or_else(|| {
            Error::Config("neither CCSYNC_STATE_DIR, XDG_STATE_HOME nor HOME is set".into())
        })
}

fn expand_tilde(path: &Path, host: &Host) -> PathBuf {
    match (path.strip_prefix("~"), &host.home) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lz4_is_off_only_for_a_loopback_server_unless_chosen() {
        let auto = |url: &str| Compression::Auto.lz4_for(url);
        for local in [
            "http://localhost:8123",
            "http://LOCALHOST",
            "https://127.0.0.1:8443/",
            "http://127.1.2.3:8123?x=1",
            "http://[::1]:8123",
        ] {
            assert!(!auto(local), "{local}");
            assert!(Compression::Lz4.lz4_for(local), "{local}");
        }
        for remote in [
            "http://ch.example.com:8123",
            "https://10.0.0.5",
            "http://[2001:db8::1]:8123",
            "http://localhost.example.com",
            "http://127.0.0.1.nip.io",
        ] {
            assert!(auto(remote), "{remote}");
            assert!(!Compression::None.lz4_for(remote), "{remote}");
        }
    }

    fn host() -> Host {
        Host {
            home: Some("/home/me".into()),
            xdg_config_home: None,
            xdg_state_home: None,
            xdg_data_home: None,
            hostname: "box1".into(),
        }
    }

    #[test]
    fn defaults_follow_claude_code_and_xdg() {
        let cfg = RawConfig::default().resolve(&host()).unwrap();
        assert_eq!(cfg.clickhouse.url, "http://localhost:8123");
        assert_eq!(cfg.clickhouse.user, "default");
        assert_eq!(cfg.clickhouse.database, "ccsync");
        assert_eq!(cfg.machine_name, "box1");
        assert_eq!(
            cfg.claude_dirs,
            vec![
                PathBuf::from("/home/me/.config/claude"),
                PathBuf::from("/home/me/.claude")
            ]
        );
        assert_eq!(cfg.state_dir, PathBuf::from("/home/me/.local/state/ccsync"));
    }

    #[test]
    fn claude_config_dir_is_a_comma_list_with_tilde() {
        let dirs = parse_dir_list(" ~/a, /b ,,~/a", &host());
        assert_eq!(dirs, vec![PathBuf::from("/home/me/a"), PathBuf::from("/b")]);
    }

    #[test]
    fn bad_values_are_rejected_before_any_network() {
        let bad = |raw: RawConfig| raw.resolve(&host()).unwrap_err().to_string();
        assert!(
            bad(RawConfig {
                clickhouse_url: Some("localhost:8123".into()),
                ..Default::default()
            })
            .contains("http://")
        );
        assert!(
            bad(RawConfig {
                clickhouse_url: Some("https://u:pw@h".into()),
                ..Default::default()
            })
            .contains("must not contain credentials")
        );
        assert!(
            bad(RawConfig {
                clickhouse_database: Some("x; DROP".into()),
                ..Default::default()
            })
            .contains("CLICKHOUSE_DATABASE")
        );
        assert!(
            bad(RawConfig {
                machine_name: Some("  ".into()),
                ..Default::default()
            })
            .contains("MACHINE_NAME")
        );
    }

    #[test]
    fn https_urls_are_accepted_and_password_is_redacted() {
        let cfg = RawConfig {
            clickhouse_url: Some("https://ch.example.com:8443/".into()),
            clickhouse_password: Some(Secret::new("hunter2")),
            ..Default::default()
        }
        .resolve(&host())
        .unwrap();
        assert_eq!(cfg.clickhouse.url, "https://ch.example.com:8443");
        assert!(!format!("{cfg:?}").contains("hunter2"));
    }

    #[test]
    fn password_file_is_read_without_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\n").unwrap();
        let cfg = RawConfig {
            clickhouse_password_file: Some(file),
            ..Default::default()
        }
        .resolve(&host())
        .unwrap();
        assert_eq!(cfg.clickhouse.password.expose(), "s3cret");
    }
}
