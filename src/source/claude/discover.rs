//! Finds transcript files: `projects/<project>/<session>.jsonl` and
//! `projects/<project>/<session>/subagents/agent-<id>.jsonl` under every configured root.

use std::borrow::Cow;
use std::ffi::CStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustc_hash::FxHashMap as HashMap;
use rustix::fs as rfs;
use serde::{Deserialize, Serialize};

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
    /// Folders listed, and folders whose cached listing was reused.
    pub dirs_listed: usize,
    pub dirs_reused: usize,
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
/// Names need not be UTF-8 (ccusage reads such files too): what is not is stored with U+FFFD.
pub fn classify(rel: &Path) -> Option<(Cow<'_, str>, Cow<'_, str>)> {
    let rel = rel.as_os_str().as_bytes();
    let (folders, name) = match rel.iter().rposition(|&b| b == b'/') {
        Some(at) => (&rel[..at], &rel[at + 1..]),
        None => (&b""[..], rel),
    };
    let stem = name.strip_suffix(b".jsonl").filter(|s| !s.is_empty())?;
    let project = match rel.iter().position(|&b| b == b'/') {
        Some(at) => &rel[..at],
        None => b"",
    };
    // `<project>/…/<session>/subagents/<file>`: a folder above the session is required.
    let session = folders
        .strip_suffix(b"/subagents")
        .and_then(|f| f.iter().rposition(|&b| b == b'/').map(|at| &f[at + 1..]))
        .unwrap_or(stem);
    Some((
        String::from_utf8_lossy(project),
        String::from_utf8_lossy(session),
    ))
}

/// `path` relative to `root`, if it lies below it (a byte comparison: the walk builds every
/// path by joining names to its root).
fn below_root<'p>(root: &Path, path: &'p Path) -> Option<&'p Path> {
    let rest = path
        .as_os_str()
        .as_bytes()
        .strip_prefix(root.as_os_str().as_bytes())?;
    let rest = if root.as_os_str().as_bytes().ends_with(b"/") {
        rest
    } else {
        rest.strip_prefix(b"/")?
    };
    (!rest.is_empty()).then(|| Path::new(std::ffi::OsStr::from_bytes(rest)))
}

/// Walks all roots, listing every folder (a cold walk: `scan`, `doctor`).
pub fn discover(claude_dirs: &[PathBuf]) -> Discovery {
    walk(claude_dirs, None).0
}

/// Walks all roots, skipping the listing of folders unchanged since `previous` recorded them.
/// Returns the listings to keep for the next walk when they changed.
pub fn discover_cached(
    claude_dirs: &[PathBuf],
    previous: Option<ListingCache>,
    settle: Duration,
) -> (Discovery, Option<ListingCache>) {
    walk(claude_dirs, Some((previous.unwrap_or_default(), settle)))
}

/// A cache older than this is set aside once and every folder listed again: a safety net for a
/// file system that keeps a folder's times although its entries changed.
const CACHE_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// File systems known to update a folder's mtime and ctime whenever an entry is created,
/// removed or renamed in it (`statfs` magic numbers): only their folders are cached. Network
/// and FUSE file systems are listed every time.
const CACHEABLE_FS: [u64; 8] = [
    0xEF53,      // ext2/3/4
    0x5846_5342, // xfs
    0x9123_683E, // btrfs
    0x0102_1994, // tmpfs
    0xF2F5_2010, // f2fs
    0x2FC1_2FC1, // zfs
    0xCA45_1A4E, // bcachefs
    0x794C_7630, // overlayfs (a change in a merged folder happens in its upper folder)
];

/// Folder listings kept between runs. A folder whose identity, mtime and ctime are those it had
/// when it was listed holds the same entries, so it is not listed again (opening and reading a
/// folder costs ~4 system calls, a `stat` one). Appending to a file changes neither time of its
/// folder, so every transcript is still `stat`ed.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct ListingCache {
    /// When every folder was last listed (Unix ms).
    pub full_walk_ms: i64,
    /// Folder path → what it held.
    pub dirs: HashMap<String, Listed>,
}

/// One folder as it was listed: the sub-folders and transcripts in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    pub dev: u64,
    pub ino: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub dirs: Vec<String>,
    pub files: Vec<String>,
}

impl Listed {
    fn describes(&self, st: &rfs::Stat) -> bool {
        (self.dev, self.ino, self.mtime_ns, self.ctime_ns)
            == (st.st_dev, st.st_ino, mtime_ns(st), ctime_ns(st))
    }
}

fn mtime_ns(st: &rfs::Stat) -> i64 {
    st.st_mtime * 1_000_000_000 + st.st_mtime_nsec as i64
}

fn ctime_ns(st: &rfs::Stat) -> i64 {
    st.st_ctime * 1_000_000_000 + st.st_ctime_nsec as i64
}

const LISTING_MAGIC: &[u8; 8] = b"ccsync\0l";
const LISTING_FORMAT: u32 = 1;

/// Where the listings of these transcript folders are kept.
pub fn listing_cache_path(state_dir: &Path, claude_dirs: &[PathBuf]) -> PathBuf {
    let mut roots = Vec::new();
    for dir in claude_dirs {
        roots.extend_from_slice(dir.as_os_str().as_bytes());
        roots.push(0);
    }
    let id = xxhash_rust::xxh3::xxh3_64(&roots);
    state_dir.join(format!("listing-{id:016x}.bin"))
}

/// The cache at `path`; a missing or damaged one is no cache (every folder is listed).
pub fn load_listing_cache(path: &Path) -> Option<ListingCache> {
    let bytes = std::fs::read(path).ok()?;
    crate::sealed::unseal(LISTING_MAGIC, LISTING_FORMAT, &bytes)
        .inspect_err(|e| tracing::debug!(?e, "listing cache {} not used", path.display()))
        .ok()
}

/// Saved without fsync: a cache lost or left behind by a crash is only a slower walk, since
/// every entry is checked against its folder's times.
pub fn save_listing_cache(path: &Path, cache: &ListingCache) -> io::Result<()> {
    let bytes = crate::sealed::seal(LISTING_MAGIC, LISTING_FORMAT, cache);
    crate::sealed::write_atomically(path, &bytes, false)
}

/// The walk's shared, read-only setup.
struct Walker<'a> {
    roots: &'a [PathBuf],
    /// Each root opened as a path (not listed): what is below it is looked up from there.
    root_fds: Vec<Option<OwnedFd>>,
    /// Per root: the device of its folders recorded (and reused) in the listing cache; None
    /// when the root's file system is not one whose folder times can be trusted.
    cached_dev: Vec<Option<u64>>,
    previous: Option<&'a ListingCache>,
    /// Folders whose ctime is older are recorded; a younger one may still change within the
    /// same tick of the file system's clock, unseen.
    settled_before_ns: i64,
}

fn now_ns() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_nanos()).unwrap_or(i64::MAX)
}

/// `cached`: None for a cold walk that records nothing, else the previous listings (possibly
/// empty) and how long a folder must be unchanged before it is recorded.
fn walk(
    claude_dirs: &[PathBuf],
    cached: Option<(ListingCache, Duration)>,
) -> (Discovery, Option<ListingCache>) {
    let (cache, settle) = cached.unzip();
    let started_ns = now_ns();
    let mut out = Discovery::default();
    let mut top = Listing::default();
    // Project folders to walk, with the index of the root they belong to.
    let mut dirs: Vec<(usize, PathBuf)> = Vec::new();
    let mut roots = Vec::new();
    for dir in claude_dirs {
        let Some(projects) = projects_dir(dir) else {
            out.missing_dirs.push(dir.clone());
            continue;
        };
        if !roots.contains(&projects) {
            roots.push(projects);
        }
    }
    let recording = cache.is_some();
    let root_fds: Vec<Option<OwnedFd>> = roots
        .iter()
        .map(|root| rfs::open(root, DIR_FLAGS | rfs::OFlags::PATH, rfs::Mode::empty()).ok())
        .collect();
    let cached_dev = roots
        .iter()
        .zip(&root_fds)
        .map(|(root, fd)| {
            let trusted = recording
                && rfs::statfs(root).is_ok_and(|fs| CACHEABLE_FS.contains(&(fs.f_type as u64)));
            trusted
                .then(|| fd.as_ref().and_then(|fd| rfs::fstat(fd).ok()))
                .flatten()
                .map(|st| st.st_dev)
        })
        .collect();
    let full_walk_due = cache.as_ref().is_none_or(|c| {
        let age_ms = started_ns / 1_000_000 - c.full_walk_ms;
        !(0..CACHE_MAX_AGE.as_millis() as i64).contains(&age_ms)
    });
    let walker = Walker {
        roots: &roots,
        root_fds,
        cached_dev,
        previous: cache.as_ref().filter(|_| !full_walk_due),
        settled_before_ns: started_ns.saturating_sub(settle.unwrap_or_default().as_nanos() as i64),
    };
    for (root, projects) in roots.iter().enumerate() {
        // The roots themselves may be links (followed) and are always listed.
        match rfs::open(projects, DIR_FLAGS, rfs::Mode::empty()) {
            Ok(fd) => walker.list(root, projects.clone(), fd, None, &mut top, Some(&mut dirs)),
            Err(e) => top
                .unreadable
                .push((projects.clone(), io::Error::from(e).to_string())),
        }
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
            walker.visit(*root, dir.clone(), None, &mut part);
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
    let mut reused: Vec<&str> = Vec::new();
    let mut recorded = Vec::new();
    for part in parts {
        top.files.extend(part.files);
        top.unreadable.extend(part.unreadable);
        reused.extend(part.reused);
        recorded.extend(part.recorded);
        top.dirs_listed += part.dirs_listed;
    }
    out.dirs_listed = top.dirs_listed;
    out.dirs_reused = reused.len();
    let next_cache = cache.as_ref().and_then(|previous| {
        let full_walk_ms = if full_walk_due {
            started_ns / 1_000_000
        } else {
            previous.full_walk_ms
        };
        next_listing_cache(previous, &reused, recorded, full_walk_ms)
    });
    out.files = in_path_order_once(top.files, roots.len() > 1);
    top.unreadable.sort();
    out.unreadable = top.unreadable;
    out.projects_dirs = roots;
    (out, next_cache)
}

/// The listings to keep after a walk that reused `reused` (keys of `previous`) and recorded
/// `recorded`; None when they are those of `previous`.
fn next_listing_cache(
    previous: &ListingCache,
    reused: &[&str],
    recorded: Vec<(String, Listed)>,
    full_walk_ms: i64,
) -> Option<ListingCache> {
    if recorded.is_empty()
        && reused.len() == previous.dirs.len()
        && full_walk_ms == previous.full_walk_ms
    {
        return None;
    }
    let mut dirs: HashMap<String, Listed> =
        HashMap::with_capacity_and_hasher(reused.len() + recorded.len(), Default::default());
    for key in reused {
        dirs.insert((*key).to_string(), previous.dirs[*key].clone());
    }
    dirs.extend(recorded);
    Some(ListingCache { full_walk_ms, dirs })
}

/// Files (with the index of their root) in bytewise path order, as ccusage processes them (ties
/// in de-duplication depend on it); a file reachable twice is kept under the first root, then
/// the first path.
fn in_path_order_once(
    mut files: Vec<(usize, TranscriptFile)>,
    several_roots: bool,
) -> Vec<TranscriptFile> {
    files.sort_unstable_by(|a, b| {
        (a.0, a.1.path.as_os_str().as_bytes()).cmp(&(b.0, b.1.path.as_os_str().as_bytes()))
    });
    let mut seen = rustc_hash::FxHashSet::default();
    seen.reserve(files.len());
    let mut once: Vec<TranscriptFile> = files
        .into_iter()
        .filter(|(_, f)| seen.insert((f.dev, f.ino)))
        .map(|(_, f)| f)
        .collect();
    // With one root they are in that order already.
    if several_roots {
        once.sort_unstable_by(|a, b| {
            a.path
                .as_os_str()
                .as_bytes()
                .cmp(b.path.as_os_str().as_bytes())
        });
    }
    once
}

/// What one walker found: files with the index of their root, folders it could not list, and
/// the listings it reused or recorded.
#[derive(Default)]
struct Listing<'a> {
    files: Vec<(usize, TranscriptFile)>,
    unreadable: Vec<(PathBuf, String)>,
    reused: Vec<&'a str>,
    recorded: Vec<(String, Listed)>,
    dirs_listed: usize,
    last_project: Option<Arc<str>>,
    last_session: Option<Arc<str>>,
}

/// `value` as the Arc in `last` when equal, else as a new one kept there.
fn shared(last: &mut Option<Arc<str>>, value: &str) -> Arc<str> {
    match last {
        Some(arc) if **arc == *value => arc.clone(),
        _ => last.insert(Arc::from(value)).clone(),
    }
}

const DIR_FLAGS: rfs::OFlags = rfs::OFlags::RDONLY
    .union(rfs::OFlags::DIRECTORY)
    .union(rfs::OFlags::CLOEXEC);

const NOFOLLOW: rfs::AtFlags = rfs::AtFlags::SYMLINK_NOFOLLOW;

impl<'a> Walker<'a> {
    /// `path`, below root `root`, relative to the root's open folder (a shorter lookup than the
    /// whole path), or as it is.
    fn below<'p>(&self, root: usize, path: &'p Path) -> (BorrowedFd<'_>, &'p Path) {
        match (&self.root_fds[root], below_root(&self.roots[root], path)) {
            (Some(fd), Some(rel)) => (fd.as_fd(), rel),
            _ => (rfs::CWD, path),
        }
    }

    /// `lstat` of `path` (below root `root`): as `name` in its open folder `parent` when the
    /// walk has it open, else from the root.
    fn lstat(
        &self,
        root: usize,
        path: &Path,
        parent: Option<(BorrowedFd<'_>, &CStr)>,
    ) -> rustix::io::Result<rfs::Stat> {
        match parent {
            Some((at, name)) => rfs::statat(at, name, NOFOLLOW),
            None => {
                let (at, rel) = self.below(root, path);
                rfs::statat(at, rel, NOFOLLOW)
            }
        }
    }

    /// Opens the folder `dir` (below root `root`) for listing, found as `lstat` finds it; a link
    /// is not followed.
    fn open_dir(
        &self,
        root: usize,
        dir: &Path,
        parent: Option<(BorrowedFd<'_>, &CStr)>,
    ) -> rustix::io::Result<OwnedFd> {
        let flags = DIR_FLAGS | rfs::OFlags::NOFOLLOW;
        match parent {
            Some((at, name)) => rfs::openat(at, name, flags, rfs::Mode::empty()),
            None => {
                let (at, rel) = self.below(root, dir);
                rfs::openat(at, rel, flags, rfs::Mode::empty())
            }
        }
    }

    /// A folder below a root, named `name` in the open folder `parent` or else by its path:
    /// reused from the cache when unchanged, listed otherwise. Links are not followed.
    fn visit(
        &self,
        root: usize,
        dir: PathBuf,
        parent: Option<(BorrowedFd<'_>, &CStr)>,
        out: &mut Listing<'a>,
    ) {
        let st = match self.cached_dev[root] {
            Some(root_dev) => {
                // Before the listing: a change while listing then shows next time.
                match self.lstat(root, &dir, parent) {
                    // Another file system mounted below the root is listed every time.
                    Ok(st)
                        if rfs::FileType::from_raw_mode(st.st_mode) == rfs::FileType::Directory =>
                    {
                        (st.st_dev == root_dev).then_some(st)
                    }
                    Ok(_) => return,
                    Err(e) => {
                        out.unreadable.push((dir, io::Error::from(e).to_string()));
                        return;
                    }
                }
            }
            None => None,
        };
        if let (Some(st), Some(previous)) = (&st, self.previous)
            && let Some((key, listed)) = dir.to_str().and_then(|k| previous.dirs.get_key_value(k))
            && listed.describes(st)
        {
            out.reused.push(key);
            for name in &listed.files {
                self.add_file(root, dir.join(name), None, out);
            }
            for name in &listed.dirs {
                self.visit(root, dir.join(name), None, out);
            }
            return;
        }
        match self.open_dir(root, &dir, parent) {
            Ok(fd) => self.list(root, dir, fd, st, out, None),
            Err(e) => out.unreadable.push((dir, io::Error::from(e).to_string())),
        }
    }

    /// Lists the open folder `fd` (at `dir`, `stat`ed as `st` before it was opened). Sub-folders
    /// are visited, or, with `defer`, handed back to be walked later (by any thread).
    fn list(
        &self,
        root: usize,
        dir: PathBuf,
        fd: OwnedFd,
        st: Option<rfs::Stat>,
        out: &mut Listing<'a>,
        mut defer: Option<&mut Vec<(usize, PathBuf)>>,
    ) {
        out.dirs_listed += 1;
        let Ok(mut entries) = rfs::Dir::new(fd) else {
            return;
        };
        // Recorded once settled, so no later change can leave its times as they were.
        let mut record = st
            .filter(|st| ctime_ns(st) < self.settled_before_ns)
            .filter(|_| dir.to_str().is_some())
            .map(|st| Listed {
                dev: st.st_dev,
                ino: st.st_ino,
                mtime_ns: mtime_ns(&st),
                ctime_ns: ctime_ns(&st),
                dirs: Vec::new(),
                files: Vec::new(),
            });
        while let Some(entry) = entries.read() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    out.unreadable.push((dir, io::Error::from(e).to_string()));
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
                rfs::FileType::Unknown => match rfs::statat(at, name, NOFOLLOW) {
                    Ok(st) => rfs::FileType::from_raw_mode(st.st_mode),
                    Err(_) => continue,
                },
                kind => kind,
            };
            let path = dir.join(std::ffi::OsStr::from_bytes(bytes));
            // Listings are kept as text: a folder holding a name that is not UTF-8 is listed
            // again every time instead of being kept without it.
            if name.to_str().is_err() {
                record = None;
            }
            if kind == rfs::FileType::Directory {
                if let (Some(listed), Ok(name)) = (record.as_mut(), name.to_str()) {
                    listed.dirs.push(name.to_string());
                }
                match defer.as_deref_mut() {
                    Some(later) => later.push((root, path)),
                    None => self.visit(root, path, Some((at, name)), out),
                }
            } else if kind == rfs::FileType::RegularFile
                && self.add_file(root, path, Some((at, name)), out)
                && let (Some(listed), Ok(name)) = (record.as_mut(), name.to_str())
            {
                listed.files.push(name.to_string());
            }
        }
        if let Some(listed) = record {
            out.recorded
                .push((dir.to_string_lossy().into_owned(), listed));
        }
    }

    /// Adds `path` if it is a transcript (a regular file, not a link); true if it was added.
    fn add_file(
        &self,
        root: usize,
        path: PathBuf,
        at: Option<(BorrowedFd<'_>, &CStr)>,
        out: &mut Listing<'a>,
    ) -> bool {
        let Some(rel) = below_root(&self.roots[root], &path) else {
            return false;
        };
        let Some((project, session)) = classify(rel) else {
            return false;
        };
        // Only transcripts are stat'ed.
        let Ok(st) = self.lstat(root, &path, at) else {
            return false;
        };
        if rfs::FileType::from_raw_mode(st.st_mode) != rfs::FileType::RegularFile {
            return false;
        }
        // Files of a folder share their project and often their session.
        let project = shared(&mut out.last_project, &project);
        let session_id = shared(&mut out.last_session, &session);
        out.files.push((
            root,
            TranscriptFile {
                source: Arc::from(path.to_string_lossy().as_ref()),
                path,
                project,
                session_id,
                size: st.st_size as u64,
                mtime_ns: mtime_ns(&st),
                dev: st.st_dev,
                ino: st.st_ino,
            },
        ));
        true
    }
}

/// Whether any configured Claude config dir holds (or is) a `projects/` folder.
pub fn any_projects_dir(dirs: &[PathBuf]) -> bool {
    dirs.iter().any(|d| projects_dir(d).is_some())
}

/// The error for configured Claude config dirs none of which holds `projects/`: `sync` and
/// `scan` refuse then, as ccusage does.
pub fn no_transcript_folders(dirs: &[PathBuf]) -> crate::Error {
    let tried: Vec<String> = dirs
        .iter()
        .map(|d| d.join("projects").display().to_string())
        .collect();
    crate::Error::NoTranscriptFolders {
        tried: if tried.is_empty() {
            "(no folder configured)".into()
        } else {
            tried.join(", ")
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classified(rel: &[u8]) -> Option<(String, String)> {
        classify(Path::new(std::ffi::OsStr::from_bytes(rel)))
            .map(|(p, s)| (p.into_owned(), s.into_owned()))
    }

    fn pair(project: &str, session: &str) -> Option<(String, String)> {
        Some((project.into(), session.into()))
    }

    #[test]
    fn classifies_sessions_and_subagents() {
        assert_eq!(
            classified(b"-home-me-app/abc.jsonl"),
            pair("-home-me-app", "abc")
        );
        assert_eq!(
            classified(b"-home-me-app/abc/subagents/agent-1.jsonl"),
            pair("-home-me-app", "abc")
        );
        assert_eq!(
            classified(b"-p/a/b/subagents/agent-2.jsonl"),
            pair("-p", "b")
        );
        // No folder above `<session>/subagents`: the stem names the session.
        assert_eq!(
            classified(b"-p/subagents/agent-3.jsonl"),
            pair("-p", "agent-3")
        );
        assert_eq!(classified(b"-home-me-app/abc.json"), None);
        assert_eq!(classified(b"-home-me-app/abc.JSONL"), None);
        assert_eq!(classified(b"top.jsonl"), pair("", "top"));
        assert_eq!(classified(b"-p/d1/d2/deep.jsonl"), pair("-p", "deep"));
        // Names that are not UTF-8 are transcripts too.
        assert_eq!(
            classified(b"-q\xff/s\xe9.jsonl"),
            pair("-q\u{fffd}", "s\u{fffd}")
        );
    }

    #[test]
    fn a_folder_holding_a_name_that_is_not_utf8_is_listed_every_time() {
        let tmp = tempfile::tempdir().unwrap();
        let projects = tmp.path().join("projects");
        let odd = projects.join(std::ffi::OsStr::from_bytes(b"-p\xff"));
        std::fs::create_dir_all(&odd).unwrap();
        std::fs::write(
            odd.join(std::ffi::OsStr::from_bytes(b"s\xe9.jsonl")),
            "{}\n",
        )
        .unwrap();
        std::fs::write(projects.join("top.jsonl"), "{}\n").unwrap();
        let roots = [tmp.path().to_path_buf()];
        // Settled at once: every folder could be kept.
        let (first, cache) = discover_cached(&roots, None, Duration::ZERO);
        assert_eq!(first.files.len(), 2);
        std::thread::sleep(Duration::from_millis(20));
        let (second, _) = discover_cached(&roots, cache, Duration::ZERO);
        assert_eq!(second.files.len(), 2, "the non-UTF-8 file is still found");
        assert!(second.dirs_listed >= 1, "{second:?}");
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

    /// What a walk found, comparable with another walk's.
    fn seen(d: &Discovery) -> Vec<(PathBuf, u64, i64, u64, String, String)> {
        d.files
            .iter()
            .map(|f| {
                let (p, s) = (f.project.to_string(), f.session_id.to_string());
                (f.path.clone(), f.size, f.mtime_ns, f.ino, p, s)
            })
            .collect()
    }

    /// A walk with the cache, checked against a cold walk of the same tree.
    fn cached_walk(roots: &[PathBuf], cache: ListingCache) -> (Discovery, ListingCache) {
        let (found, next) = discover_cached(roots, Some(cache.clone()), Duration::ZERO);
        assert_eq!(seen(&found), seen(&discover(roots)));
        (found, next.unwrap_or(cache))
    }

    /// Past the coarse tick of the file system's clock, so the next change moves folder times.
    fn tick() {
        std::thread::sleep(Duration::from_millis(30));
    }

    #[test]
    fn unchanged_folders_are_not_listed_again_and_every_change_is_seen() {
        let tmp = tempfile::tempdir().unwrap();
        let projects = tmp.path().join("projects");
        for p in ["-a", "-b"] {
            for s in ["s1", "s2"] {
                std::fs::create_dir_all(projects.join(p).join(s).join("subagents")).unwrap();
                std::fs::write(projects.join(p).join(format!("{s}.jsonl")), "{}\n").unwrap();
                std::fs::write(
                    projects.join(p).join(s).join("subagents/agent-1.jsonl"),
                    "{}\n",
                )
                .unwrap();
            }
        }
        let roots = [tmp.path().to_path_buf()];
        // Root, 2 projects, 4 sessions, 4 subagents folders.
        tick();
        let (first, cache) = cached_walk(&roots, ListingCache::default());
        assert_eq!(
            (first.files.len(), first.dirs_listed, first.dirs_reused),
            (8, 11, 0)
        );
        assert_eq!(cache.dirs.len(), 10, "every folder below the root is kept");

        let (again, next) = discover_cached(&roots, Some(cache.clone()), Duration::ZERO);
        assert_eq!((again.dirs_listed, again.dirs_reused), (1, 10));
        assert!(next.is_none(), "nothing changed, nothing to save");
        assert_eq!(seen(&again), seen(&first));

        tick();
        // Appended to (its folder keeps its times), a new subagent, a file removed, a project
        // added, a session folder replaced by a new one of the same name.
        std::fs::write(projects.join("-a/s1.jsonl"), "{}\n{}\n").unwrap();
        std::fs::write(projects.join("-a/s1/subagents/agent-2.jsonl"), "{}\n").unwrap();
        std::fs::remove_file(projects.join("-b/s2.jsonl")).unwrap();
        std::fs::create_dir_all(projects.join("-c")).unwrap();
        std::fs::write(projects.join("-c/s9.jsonl"), "{}\n").unwrap();
        std::fs::remove_dir_all(projects.join("-b/s1")).unwrap();
        std::fs::create_dir_all(projects.join("-b/s1/subagents")).unwrap();
        std::fs::write(projects.join("-b/s1/subagents/agent-7.jsonl"), "{}\n").unwrap();
        tick();
        let (changed, cache) = cached_walk(&roots, cache);
        let names: Vec<String> = changed
            .files
            .iter()
            .map(|f| {
                f.path
                    .strip_prefix(&projects)
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect();
        assert!(names.contains(&"-a/s1/subagents/agent-2.jsonl".to_string()));
        assert!(names.contains(&"-c/s9.jsonl".to_string()));
        assert!(names.contains(&"-b/s1/subagents/agent-7.jsonl".to_string()));
        assert!(!names.contains(&"-b/s2.jsonl".to_string()));
        assert!(!names.contains(&"-b/s1/subagents/agent-1.jsonl".to_string()));
        let appended = changed
            .files
            .iter()
            .find(|f| f.path.ends_with("-a/s1.jsonl"));
        assert_eq!(appended.unwrap().size, 6);
        // Listed: the root, -a/s1/subagents, -b, -b/s1 and its subagents, -c. Reused: -a (an
        // append or a change further down leaves its times), -a/s1, -a/s2 and its subagents,
        // -b/s2 and its subagents.
        assert_eq!((changed.dirs_listed, changed.dirs_reused), (6, 6));

        // A folder's mtime set back (as a restore from backup does) still moves its ctime.
        tick();
        let subagents = projects.join("-a/s2/subagents");
        let before = std::fs::metadata(&subagents).unwrap().modified().unwrap();
        std::fs::write(subagents.join("agent-3.jsonl"), "{}\n").unwrap();
        std::fs::File::open(&subagents)
            .unwrap()
            .set_modified(before)
            .unwrap();
        assert_eq!(
            std::fs::metadata(&subagents).unwrap().modified().unwrap(),
            before
        );
        tick();
        let (restored, _) = cached_walk(&roots, cache);
        assert!(
            restored
                .files
                .iter()
                .any(|f| f.path.ends_with("agent-3.jsonl"))
        );
    }

    #[test]
    fn young_folders_are_not_kept_and_an_old_cache_is_set_aside() {
        let tmp = tempfile::tempdir().unwrap();
        let session = tmp.path().join("projects/-p/s1/subagents");
        std::fs::create_dir_all(&session).unwrap();
        std::fs::write(session.join("agent-1.jsonl"), "{}\n").unwrap();
        let roots = [tmp.path().to_path_buf()];
        // Changed within the last hour: it could still change within a tick, unseen.
        let (_, young) = discover_cached(&roots, None, Duration::from_secs(3600));
        assert!(young.unwrap().dirs.is_empty());

        tick();
        let (_, cache) = discover_cached(&roots, None, Duration::ZERO);
        let mut cache = cache.unwrap();
        assert_eq!(cache.dirs.len(), 3);
        cache.full_walk_ms -= CACHE_MAX_AGE.as_millis() as i64 + 1;
        let (found, renewed) = discover_cached(&roots, Some(cache.clone()), Duration::ZERO);
        assert_eq!((found.dirs_reused, found.files.len()), (0, 1));
        let renewed = renewed.expect("a full walk renews the cache");
        assert!(renewed.full_walk_ms > cache.full_walk_ms + CACHE_MAX_AGE.as_millis() as i64);
        assert_eq!(renewed.dirs.len(), 3);
    }

    #[test]
    fn the_listing_cache_round_trips_and_a_damaged_one_is_ignored() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("projects/-p")).unwrap();
        std::fs::write(tmp.path().join("projects/-p/s.jsonl"), "{}\n").unwrap();
        let roots = [tmp.path().to_path_buf()];
        tick();
        let (_, cache) = discover_cached(&roots, None, Duration::ZERO);
        let cache = cache.unwrap();
        let path = listing_cache_path(&tmp.path().join("state"), &roots);
        save_listing_cache(&path, &cache).unwrap();
        let loaded = load_listing_cache(&path).unwrap();
        assert_eq!(loaded.dirs, cache.dirs);
        assert_eq!(loaded.full_walk_ms, cache.full_walk_ms);
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(load_listing_cache(&path).is_none());
        assert!(load_listing_cache(&tmp.path().join("missing")).is_none());
        // Another set of roots has its own cache.
        assert_ne!(
            path,
            listing_cache_path(&tmp.path().join("state"), &[tmp.path().join("x")])
        );
    }
}
