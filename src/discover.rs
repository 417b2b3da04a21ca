//! Finds transcript files: `projects/<project>/<session>.jsonl` and
//! `projects/<project>/<session>/subagents/agent-<id>.jsonl` under every configured root.

use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;

use rustix::fs as rfs;
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

/// Walks all roots, the project folders spread over a few threads (an hourly run with nothing
/// new is mostly this walk: one `stat` per transcript). Files reachable twice (two roots,
/// symlinks, hard links) are listed once.
pub fn discover(claude_dirs: &[PathBuf]) -> Discovery {
    let mut out = Discovery::default();
    let mut top = Listing::default();
    // Project folders to walk, with the index of the root they belong to.
    let mut dirs: Vec<(usize, PathBuf)> = Vec::new();
    for dir in claude_dirs {
        let Some(projects) = projects_dir(dir) else {
            out.missing_dirs.push(dir.clone());
            continue;
        };
        if out.projects_dirs.contains(&projects) {
            continue;
        }
        let root = out.projects_dirs.len();
        list(root, &projects, &projects, &mut top, Some(&mut dirs));
        out.projects_dirs.push(projects);
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4)
        .min(dirs.len().div_ceil(8).max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let walk_some = || {
        let mut part = Listing::default();
        while let Some((root, dir)) =
            dirs.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
        {
            list(*root, &out.projects_dirs[*root], dir, &mut part, None);
        }
        part
    };
    let parts: Vec<Listing> = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads).map(|_| s.spawn(walk_some)).collect();
        let mine = walk_some();
        helpers
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .chain([mine])
            .collect()
    });
    for part in parts {
        top.files.extend(part.files);
        top.unreadable.extend(part.unreadable);
    }
    // The first root (then the first path) keeps a file reachable twice.
    top.files.sort_by(|a, b| {
        (a.0, a.1.path.as_os_str().as_bytes()).cmp(&(b.0, b.1.path.as_os_str().as_bytes()))
    });
    let mut seen = std::collections::HashSet::with_capacity(top.files.len());
    out.files = top
        .files
        .into_iter()
        .filter(|(_, f)| seen.insert((f.dev, f.ino)))
        .map(|(_, f)| f)
        .collect();
    // ccusage processes files in bytewise path order; ties in de-duplication depend on it.
    out.files.sort_by(|a, b| {
        a.path
            .as_os_str()
            .as_bytes()
            .cmp(b.path.as_os_str().as_bytes())
    });
    top.unreadable.sort();
    out.unreadable = top.unreadable;
    out
}

/// What one walker found: files with the index of their root, and folders it could not list.
#[derive(Default)]
struct Listing {
    files: Vec<(usize, TranscriptFile)>,
    unreadable: Vec<(PathBuf, String)>,
}

/// Lists `dir` under `root`: transcripts go to `out`; subfolders are walked, or, with `defer`,
/// handed back to be walked later (by any thread).
fn list(
    root_index: usize,
    root: &Path,
    dir: &Path,
    out: &mut Listing,
    defer: Option<&mut Vec<(usize, PathBuf)>>,
) {
    // The roots themselves may be links (followed); nothing below them is.
    match rfs::open(dir, DIR_FLAGS, rfs::Mode::empty()) {
        Ok(fd) => list_open(root_index, root, dir, fd, out, defer),
        Err(e) => out
            .unreadable
            .push((dir.to_path_buf(), io::Error::from(e).to_string())),
    }
}

const DIR_FLAGS: rfs::OFlags = rfs::OFlags::RDONLY
    .union(rfs::OFlags::DIRECTORY)
    .union(rfs::OFlags::CLOEXEC);

/// Lists the open folder `fd` (at `dir`). Sub-folders are opened and names stat'ed relative to
/// it: an hourly run with nothing new is mostly these calls, one per folder and per file.
fn list_open(
    root_index: usize,
    root: &Path,
    dir: &Path,
    fd: OwnedFd,
    out: &mut Listing,
    mut defer: Option<&mut Vec<(usize, PathBuf)>>,
) {
    let Ok(mut entries) = rfs::Dir::new(fd) else {
        return;
    };
    while let Some(entry) = entries.read() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                out.unreadable
                    .push((dir.to_path_buf(), io::Error::from(e).to_string()));
                return;
            }
        };
        let name = entry.file_name();
        let bytes = name.to_bytes();
        if bytes == b"." || bytes == b".." {
            continue;
        }
        let Ok(at) = entries.fd() else {
            return;
        };
        // The type comes from the listing; a file system that does not say gets an lstat.
        let kind = match entry.file_type() {
            rfs::FileType::Unknown => match rfs::statat(at, name, rfs::AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => rfs::FileType::from_raw_mode(st.st_mode),
                Err(_) => continue,
            },
            kind => kind,
        };
        let path = dir.join(std::ffi::OsStr::from_bytes(bytes));
        if kind == rfs::FileType::Directory {
            match defer.as_deref_mut() {
                Some(later) => later.push((root_index, path)),
                None => match rfs::openat(
                    at,
                    name,
                    DIR_FLAGS | rfs::OFlags::NOFOLLOW,
                    rfs::Mode::empty(),
                ) {
                    Ok(child) => list_open(root_index, root, &path, child, out, None),
                    Err(e) => out.unreadable.push((path, io::Error::from(e).to_string())),
                },
            }
            continue;
        }
        if kind != rfs::FileType::RegularFile {
            continue;
        }
        let Ok(rel) = path.strip_prefix(root) else {
            continue;
        };
        let Some((project, session)) = classify(rel) else {
            continue;
        };
        // Only transcripts are stat'ed.
        let Ok(st) = rfs::statat(at, name, rfs::AtFlags::SYMLINK_NOFOLLOW) else {
            continue;
        };
        out.files.push((
            root_index,
            TranscriptFile {
                source: Arc::from(path.to_string_lossy().as_ref()),
                path,
                project: Arc::from(project),
                session_id: Arc::from(session),
                size: st.st_size as u64,
                mtime_ns: st.st_mtime * 1_000_000_000 + st.st_mtime_nsec as i64,
                dev: st.st_dev,
                ino: st.st_ino,
            },
        ));
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
    fn a_parallel_walk_finds_every_file_in_path_order() {
        let tmp = tempfile::tempdir().unwrap();
        let projects = tmp.path().join("projects");
        let mut expected = Vec::new();
        for p in 0..40 {
            let proj = projects.join(format!("-p{p}"));
            std::fs::create_dir_all(proj.join("s/subagents")).unwrap();
            for f in ["s.jsonl", "t.jsonl", "s/subagents/agent-a.jsonl"] {
                std::fs::write(proj.join(f), "{}\n").unwrap();
                expected.push(proj.join(f));
            }
        }
        // A hard link is the same file: listed once, under the first path.
        std::fs::hard_link(projects.join("-p0/s.jsonl"), projects.join("-p9/u.jsonl")).unwrap();
        expected.sort_by(|a, b| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
        let found = discover(&[tmp.path().to_path_buf()]);
        let paths: Vec<PathBuf> = found.files.iter().map(|f| f.path.clone()).collect();
        assert_eq!(paths, expected);
        // The identity checkpoints compare across runs and versions: as the standard library
        // reports it.
        use std::os::unix::fs::MetadataExt;
        for f in &found.files {
            let m = std::fs::symlink_metadata(&f.path).unwrap();
            let std_mtime = m.mtime() * 1_000_000_000 + m.mtime_nsec();
            assert_eq!(
                (f.dev, f.ino, f.size, f.mtime_ns),
                (m.dev(), m.ino(), m.len(), std_mtime)
            );
        }
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

    #[test]
    fn links_inside_projects_are_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let projects = tmp.path().join("projects");
        std::fs::create_dir_all(projects.join("-p/s1/subagents")).unwrap();
        std::fs::write(projects.join("-p/s1/subagents/agent-a.jsonl"), "{}\n").unwrap();
        std::os::unix::fs::symlink(projects.join("-p"), projects.join("-q")).unwrap();
        std::os::unix::fs::symlink(
            projects.join("-p/s1/subagents/agent-a.jsonl"),
            projects.join("-p/linked.jsonl"),
        )
        .unwrap();
        let found = discover(&[tmp.path().to_path_buf()]);
        let paths: Vec<PathBuf> = found.files.iter().map(|f| f.path.clone()).collect();
        assert_eq!(paths, vec![projects.join("-p/s1/subagents/agent-a.jsonl")]);
        assert!(found.unreadable.is_empty(), "{:?}", found.unreadable);
    }
}
