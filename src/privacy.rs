//! Optional privacy for shared databases: project paths and working directories stored as a keyed
//! hash instead of plain text, and git branches dropped.
//!
//! The key is a passphrase shared by a fleet (`CCSYNC_PATH_HASH_KEY`): the same path hashes the
//! same on every machine, so cross-machine project queries still work, while someone reading the
//! database without the key cannot recover or confirm a path.

use std::collections::HashMap;
use std::sync::Arc;

#[derive(Clone, Default)]
pub struct Privacy {
    key: Option<[u8; 32]>,
    pub drop_git_branch: bool,
}

impl std::fmt::Debug for Privacy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Privacy")
            .field("hash_paths", &self.key.is_some())
            .field("drop_git_branch", &self.drop_git_branch)
            .finish()
    }
}

impl Privacy {
    pub fn new(passphrase: Option<&str>, drop_git_branch: bool) -> Self {
        Privacy {
            key: passphrase
                .filter(|p| !p.is_empty())
                .map(|p| blake3::derive_key("ccsync 2026 path hashing", p.as_bytes())),
            drop_git_branch,
        }
    }

    pub fn hashes_paths(&self) -> bool {
        self.key.is_some()
    }

    /// `h:` and 32 hex digits of the keyed BLAKE3 hash; the input unchanged without a key.
    pub fn path(&self, path: &str) -> String {
        match &self.key {
            Some(key) if !path.is_empty() => {
                let hash = blake3::keyed_hash(key, path.as_bytes());
                format!("h:{}", &hash.to_hex()[..32])
            }
            _ => path.to_string(),
        }
    }
}

/// Hashes each distinct value once per run.
#[derive(Default)]
pub struct PathCache {
    cache: HashMap<Arc<str>, Arc<str>>,
}

impl PathCache {
    pub fn get(&mut self, privacy: &Privacy, value: &Arc<str>) -> Arc<str> {
        if !privacy.hashes_paths() {
            return value.clone();
        }
        self.cache
            .entry(value.clone())
            .or_insert_with(|| Arc::from(privacy.path(value)))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hashes_are_stable_per_key_and_hide_the_path() {
        let a = Privacy::new(Some("fleet secret"), false);
        let b = Privacy::new(Some("fleet secret"), false);
        let other = Privacy::new(Some("another fleet"), false);
        let h = a.path("/home/me/app");
        assert!(h.starts_with("h:") && h.len() == 34, "{h}");
        assert!(!h.contains("home"));
        assert_eq!(h, b.path("/home/me/app"));
        assert_ne!(h, other.path("/home/me/app"));
        assert_ne!(h, a.path("/home/me/app2"));
        assert_eq!(Privacy::new(None, false).path("/x"), "/x");
        assert_eq!(a.path(""), "");
        assert!(!format!("{a:?}").contains("fleet"));
    }
}
