//! One sync per state dir at a time. An advisory `flock` on `<state dir>/sync.lock`: the kernel
//! drops it when the holder exits or is killed, so a stale lock can never block forever.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Held for the duration of a pass; released on drop (or process death).
#[derive(Debug)]
pub struct SyncLock {
    _file: File,
    pub path: PathBuf,
}

pub fn lock_path(state_dir: &Path) -> PathBuf {
    state_dir.join("sync.lock")
}

/// Takes the lock. With `wait`, blocks until the other run finishes; otherwise returns
/// `Error::Locked` (with the holder's pid when known) at once.
pub fn acquire(state_dir: &Path, wait: bool) -> Result<SyncLock> {
    std::fs::create_dir_all(state_dir).map_err(|e| Error::io(state_dir, e))?;
    let path = lock_path(state_dir);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    if wait {
        file.lock().map_err(|e| Error::io(&path, e))?;
    } else if let Err(e) = file.try_lock() {
        return match e {
            std::fs::TryLockError::WouldBlock => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                Err(Error::Locked {
                    state_dir: state_dir.to_path_buf(),
                    holder: holder.trim().to_string(),
                })
            }
            std::fs::TryLockError::Error(e) => Err(Error::io(&path, e)),
        };
    }
    // Who holds it, for the message a second run prints.
    let _ = file.set_len(0);
    let _ = file.seek(SeekFrom::Start(0));
    let _ = write!(file, "pid {}", std::process::id());
    Ok(SyncLock { _file: file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), false).unwrap();
        match acquire(dir.path(), false) {
            Err(Error::Locked { holder, .. }) => {
                assert_eq!(holder, format!("pid {}", std::process::id()))
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        drop(first);
        acquire(dir.path(), false).unwrap();
    }
}
