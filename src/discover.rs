//! Finds transcript files: `projects/<project>/<session>.jsonl` and
//! `projects/<project>/<session>/subagents/agent-<id>.jsonl` under every configured root.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A transcript file as seen on disk at discovery time.
#[derive(Debug, Clone)]
pub struct TranscriptFile {
    pub path: PathBuf,
    /// Shared, because every row of the file carries these.
    pub source: Arc<str>,
    pub project: Arc<str>,
    pub session_id: Arc<str>,
    pub size: u64,
    pub mtime_ns: i64,
    pub dev: u64,
    pub ino: u64,
}

/// Where each configured directory's `projects/` folder is (if any).
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    pub files: Vec<TranscriptFile>,
    pub projects_dirs: Vec<PathBuf>,
    pub missing_dirs: Vec<PathBuf>,
    /// Directories we could not list (permissions), reported as warnings.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Resolves a configured dir to its `projects/` folder: the dir may hold `projects/` or be it.
pub fn projects_dir(dir: &Path) -> Option<PathBuf> {
    let nested = dir.join("projects");
    if nested.is_dir() {
        return Some(nested);
    }
    (dir.file_name().is_some_and(|n| n == "projects") && dir.is_dir()).then(|| dir.to_path_buf())
}

/// Project and session of a file, from its path relative to `projects/`: every `*.jsonl` at any
/// depth counts (as in ccusage). The project is the top folder (empty for a file directly in
/// `projects/`); the session is the file stem, or the `<session>` folder of `subagents/` files.
pub fn classify(rel: &Path) -> Option<(String, String)> {
    let name = rel.file_name()?.to_str()?;
    let stem = name.strip_suffix(".jsonl").filter(|s| !s.is_empty())?;
    let parts: Vec<&str> = rel.iter().map(|p| p.to_str()).collect::<Option<_>>()?;
    let project = if parts.len() > 1 { parts[0] } else { "" };
    let session = match parts.as_slice() {
        [.., session, "subagents", _] if parts.len() > 3 => session,
        _ => stem,
    };
    Some((project.to_string(), session.to_string()))
}

/// Walks all roots. Files reachable twice (two roots, symlinks) are listed once.
pub fn discover(claude_dirs: &[PathBuf]) -> Discovery {
    let mut out = Discovery::default();
    let mut seen = std::collections::HashSet::new();
    for dir in claude_dirs {
        let Some(projects) = projects_dir(dir) else {
            out.missing_dirs.push(dir.clone());
            continue;
        };
        if out.projects_dirs.contains(&projects) {
            continue;
        }
        walk(&projects, &projects, &mut out, &mut seen);
        out.projects_dirs.push(projects);
    }
    // ccusage processes files in bytewise path order; ties in de-duplication depend on it.
    out.files.sort_by(|a, b| {
        a.path
            .as_os_str()
            .as_bytes()
            .cmp(b.path.as_os_str().as_bytes())
    });
    out
}

fn walk(
    root: &Path,
    dir: &Path,
    out: &mut Discovery,
    seen: &mut std::collections::HashSet<(u64, u64)>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            out.unreadable.push((dir.to_path_buf(), e.to_string()));
            return;
        }
    };
    for entry in entries.flatten() {
        // The entry's type comes from the directory listing (no syscall); links inside
        // projects/ are not followed (as in ccusage), the roots themselves may be links.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            walk(root, &path, out, seen);
            continue;
        }
        if !kind.is_file() {
            continue;
        }
        let Ok(rel) = path.strip_prefix(root) else {
            continue;
        };
        let Some((project, session)) = classify(rel) else {
            continue;
        };
        // Only transcripts are stat'ed: an hourly run over thousands of files is mostly this.
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        // A file reachable through two roots counts once.
        if !seen.insert((meta.dev(), meta.ino())) {
            continue;
        }
        out.files.push(TranscriptFile {
            source: Arc::from(path.to_string_lossy().as_ref()),
            path,
            project: Arc::from(project),
            session_id: Arc::from(session),
            size: meta.len(),
            mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
            dev: meta.dev(),
            ino: meta.ino(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_sessions_and_subagents() {
        assert_eq!(
            classify(Path::new("-home-me-app/abc.jsonl")),
            Some(("-home-me-app".into(), "abc".into()))
        );
        assert_eq!(
            classify(Path::new("-home-me-app/abc/subagents/agent-1.jsonl")),
            Some(("-home-me-app".into(), "abc".into()))
        );
        assert_eq!(classify(Path::new("-home-me-app/abc.json")), None);
        assert_eq!(classify(Path::new("-home-me-app/abc.JSONL")), None);
        assert_eq!(
            classify(Path::new("top.jsonl")),
            Some(("".into(), "top".into()))
        );
        assert_eq!(
            classify(Path::new("-p/d1/d2/deep.jsonl")),
            Some(("-p".into(), "deep".into()))
        );
    }

    #[test]
    fn finds_files_once_across_overlapping_roots() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("claude");
        let proj = root.join("projects/-p");
        std::fs::create_dir_all(proj.join("s1/subagents")).unwrap();
        std::fs::write(proj.join("s1.jsonl"), "{}\n").unwrap();
        std::fs::write(proj.join("s1/subagents/agent-a.jsonl"), "{}\n").unwrap();
        std::fs::write(proj.join("notes.txt"), "x").unwrap();
        // The same tree named twice: as the root and as its projects/ folder.
        let found = discover(&[root.clone(), root.join("projects"), tmp.path().join("nope")]);
        assert_eq!(found.files.len(), 2, "{:?}", found.files);
        assert!(found.files.iter().all(|f| &*f.session_id == "s1"));
        assert_eq!(found.missing_dirs, vec![tmp.path().join("nope")]);
    }
}
