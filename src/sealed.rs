//! Sealed files: small binary files ccsync keeps for itself (checkpoints, the listing cache),
//! written atomically and read back only when whole and of the expected format.
//!
//! Layout: an 8-byte magic, a little-endian `u32` format number, the postcard encoding of the
//! value, then an xxh3-64 of everything before it.

use std::io::Write as _;
use std::path::Path;

use serde::Serialize;

pub(crate) const HEADER_BYTES: usize = 8 + 4;
const CHECKSUM_BYTES: usize = 8;

/// Why checkpoint bytes were not usable.
#[derive(Debug)]
pub enum Decode {
    /// Written by another version of the format.
    Format(u32),
    Corrupt(String),
}

/// `magic`, `format`, the postcard encoding of `value`, then an xxh3 of all that.
pub fn seal<T: Serialize>(magic: &[u8; 8], format: u32, value: &T) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(64 * 1024);
    bytes.extend_from_slice(magic);
    bytes.extend_from_slice(&format.to_le_bytes());
    let mut bytes = postcard::to_extend(value, bytes).expect("a Vec grows as needed");
    let checksum = xxhash_rust::xxh3::xxh3_64(&bytes);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    bytes
}

/// The value `seal` wrote, if the bytes are whole and of this format.
pub fn unseal<T: serde::de::DeserializeOwned>(
    magic: &[u8; 8],
    format: u32,
    bytes: &[u8],
) -> std::result::Result<T, Decode> {
    if bytes.len() < HEADER_BYTES + CHECKSUM_BYTES || !bytes.starts_with(magic) {
        return Err(Decode::Corrupt("not a checkpoint file".into()));
    }
    let (covered, checksum) = bytes.split_at(bytes.len() - CHECKSUM_BYTES);
    let found = u32::from_le_bytes(covered[magic.len()..HEADER_BYTES].try_into().expect("4"));
    if found != format {
        return Err(Decode::Format(found));
    }
    if xxhash_rust::xxh3::xxh3_64(covered).to_le_bytes() != checksum {
        return Err(Decode::Corrupt("checksum mismatch".into()));
    }
    postcard::from_bytes(&covered[HEADER_BYTES..]).map_err(|e| Decode::Corrupt(e.to_string()))
}

/// Replaces `path` with `bytes` atomically (temp file, rename); `durable` also fsyncs the file
/// and its folder, so the new content survives a power loss.
pub fn write_atomically(path: &Path, bytes: &[u8], durable: bool) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        if durable {
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        if durable {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
