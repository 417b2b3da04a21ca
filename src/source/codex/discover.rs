//! Which rollouts ccusage 20.0.24 reads, in its order, and the service tier config.toml sets.
//!
//! - Homes: `CODEX_HOME`, a comma-separated list (entries trimmed, empty ones dropped; set but
//!   empty: no home at all), else `~/.codex`.
//! - In each home, `sessions/` then `archived_sessions/`; a home with neither is read itself.
//!   A folder listed twice is read once.
//! - Every `*.jsonl` below them (any depth, hidden folders too), sorted by path. A file of
//!   `archived_sessions/` at the same relative path as one of `sessions/` in the same home is
//!   the same session archived: only the `sessions/` copy is read. (Archived copies elsewhere,
//!   and the same rollout in two homes, are read; the usage de-duplication counts them once.)

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::error::CodexError;

/// One rollout to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rollout {
    pub path: PathBuf,
    /// The path below `sessions/` (or `archived_sessions/`, or the home) without `.jsonl`:
    /// ccusage's session id.
    pub session_id: String,
    /// Its place in ccusage's reading order: the home's index in `CODEX_HOME`, and whether it
    /// is in `archived_sessions/` (read after `sessions/`).
    pub home: usize,
    pub archived: bool,
}

/// The homes `CODEX_HOME` names (`codex_home`: its value, if set), else `~/.codex`.
pub(crate) fn homes(codex_home: Option<&str>, home_dir: Option<&Path>) -> Vec<PathBuf> {
    match codex_home {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .collect(),
        None => home_dir.map(|h| h.join(".codex")).into_iter().collect(),
    }
}

/// Every rollout under `homes`, in the order ccusage reads them.
#[cfg(test)]
pub(crate) fn rollouts(homes: &[PathBuf]) -> Vec<Rollout> {
    find(homes).0
}

/// Every rollout under `homes`, in the order ccusage reads them, and the folders below them
/// that could not be listed (ccusage skips them silently; ccsync names them).
pub(crate) fn find(homes: &[PathBuf]) -> (Vec<Rollout>, Vec<CodexError>) {
    let mut unlistable = Vec::new();
    let mut seen_dirs = HashSet::new();
    let mut seen_relative = HashSet::new();
    let mut out = Vec::new();
    for (home_index, home) in homes.iter().enumerate() {
        // A home that is not there holds no rollouts (as in ccusage), and is no error: most
        // machines have no Codex at all. One that cannot be looked at is named below.
        if matches!(home.try_exists(), Ok(false)) {
            continue;
        }
        let dirs: Vec<PathBuf> = ["sessions", "archived_sessions"]
            .iter()
            .map(|d| home.join(d))
            .filter(|d| d.is_dir())
            .collect();
        let dirs = if dirs.is_empty() {
            vec![home.clone()]
        } else {
            dirs
        };
        for dir in dirs.into_iter().filter(|d| seen_dirs.insert(d.clone())) {
            let mut files = Vec::new();
            walk(&dir, &mut files, &mut unlistable);
            files.sort();
            for path in files {
                let relative = path.strip_prefix(&dir).unwrap_or(&path).to_path_buf();
                if seen_relative.insert((home_index, relative.clone())) {
                    out.push(Rollout {
                        session_id: session_id(&relative),
                        home: home_index,
                        archived: dir.ends_with("archived_sessions"),
                        path,
                    });
                }
            }
        }
    }
    (out, unlistable)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, unlistable: &mut Vec<CodexError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(source) => {
            unlistable.push(CodexError::Folder {
                path: dir.to_path_buf(),
                source,
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, out, unlistable),
            Ok(t) if t.is_file() && path.extension().is_some_and(|e| e == "jsonl") => {
                out.push(path)
            }
            _ => {}
        }
    }
}

fn session_id(relative: &Path) -> String {
    let id = relative
        .with_extension("")
        .components()
        .filter_map(|c| c.as_os_str().to_str())
        .collect::<Vec<_>>()
        .join("/");
    if id.is_empty() { "unknown".into() } else { id }
}

/// Whether a home's `config.toml` asks for the fast tier (`service_tier = "fast"` or
/// `"priority"` on any line, comments dropped, as ccusage reads it): the tier of requests
/// whose session recorded none.
pub(crate) fn config_asks_fast(homes: &[PathBuf]) -> bool {
    homes.iter().any(|home| {
        std::fs::read_to_string(home.join("config.toml"))
            .is_ok_and(|text| text.lines().any(line_asks_fast))
    })
}

fn line_asks_fast(line: &str) -> bool {
    let setting = line.split('#').next().unwrap_or_default().trim();
    let Some((key, value)) = setting.split_once('=') else {
        return false;
    };
    key.trim() == "service_tier"
        && matches!(value.trim().trim_matches(['"', '\'']), "fast" | "priority")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codex_home_is_a_trimmed_comma_separated_list() {
        let h = |v: Option<&str>| homes(v, Some(Path::new("/u")));
        assert_eq!(h(Some(" /a , /b,,")), [PathBuf::from("/a"), "/b".into()]);
        assert_eq!(h(Some("")), Vec::<PathBuf>::new());
        assert_eq!(h(None), [PathBuf::from("/u/.codex")]);
    }

    #[test]
    fn archived_copies_at_the_same_place_are_read_once_and_sessions_wins() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("h");
        for f in [
            "sessions/2026/01/05/a.jsonl",
            "archived_sessions/2026/01/05/a.jsonl",
            "archived_sessions/b.jsonl",
            "sessions/.hidden/c.jsonl",
            "sessions/d.JSONL",
            "top.jsonl",
        ] {
            let p = home.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        let found = rollouts(&[home.clone(), home.clone()]);
        let ids: Vec<_> = found.iter().map(|r| r.session_id.as_str()).collect();
        assert_eq!(ids, [".hidden/c", "2026/01/05/a", "b"]);
        assert!(found[1].path.starts_with(home.join("sessions")));
        // A home without sessions/ is read itself.
        let bare = dir.path().join("bare");
        std::fs::create_dir_all(bare.join("x")).unwrap();
        std::fs::write(bare.join("x/r.jsonl"), "").unwrap();
        assert_eq!(rollouts(&[bare])[0].session_id, "x/r");
    }

    #[test]
    fn a_home_that_is_not_there_is_empty_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (found, unlistable) = find(&[dir.path().join("no-codex")]);
        assert!(found.is_empty() && unlistable.is_empty(), "{unlistable:?}");
        // A file where a folder should be cannot be listed: named.
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let (_, unlistable) = find(&[file]);
        assert_eq!(unlistable.len(), 1);
    }

    #[test]
    fn config_toml_fast_is_read_like_ccusage() {
        assert!(line_asks_fast(r#"service_tier = "fast""#));
        assert!(line_asks_fast("service_tier='priority' # note"));
        assert!(!line_asks_fast(r#"# service_tier = "fast""#));
        assert!(!line_asks_fast(r#"service_tier_x = "fast""#));
        assert!(!line_asks_fast(r#"service_tier = "flex""#));
    }
}
