//! The parallel half of reading: files read and parsed on several threads, in order, with no
//! de-duplication or pricing (that is the [`super::Collector`]'s, in file order).

use std::collections::HashMap;
use std::io::{Seek, SeekFrom};
use std::sync::Arc;

use super::Stats;
use crate::error::{Error, Result};
use crate::read::LineReader;
use crate::source::claude::discover::TranscriptFile;
use crate::source::claude::parse::{Entry, LineParser, Parsed, SkipReason};

/// A usage entry as found in a file, before de-duplication.
#[derive(Debug)]
pub struct Scanned {
    pub entry: Entry,
    pub line_no: u64,
    /// For an entry without message.id, its identity in the file (see [`Unkeyed`]).
    pub unkeyed: Option<Unkeyed>,
}

/// A line without message.id has no id of its own, and ccusage counts every copy of it. Its
/// identity: a hash of its bytes and of its file's inode (a moved file keeps both, a copy gets
/// another inode), then which repeat of those bytes in the file it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unkeyed {
    pub base: u64,
    /// 0 for the first such line of this read (a read from a checkpoint counts on from the
    /// repeats already stored: see `Collector::seed_repeats`).
    pub repeat: u32,
}

/// The parallel half of reading a file: its new entries, counters and where the read ended.
#[derive(Debug)]
pub struct FileScan {
    pub entries: Vec<Scanned>,
    pub stats: Stats,
    pub read: FileRead,
    /// Read from its first line (not from a checkpoint).
    pub from_start: bool,
}

/// Where a file's read ended, to become its checkpoint once the rows are stored.
#[derive(Debug, Clone, Copy)]
pub struct FileRead {
    pub offset: u64,
    pub line_no: u64,
}

/// Reads and parses the complete lines of `file` from `offset`. Pure with respect to the run:
/// no de-duplication or pricing, so files can be scanned on several threads.
pub fn scan_file(
    file: &TranscriptFile,
    offset: u64,
    line_no: u64,
    max_line: usize,
    buffer: &mut Vec<u8>,
) -> Result<FileScan> {
    let mut f = std::fs::File::open(&file.path).map_err(|e| Error::io(&file.path, e))?;
    f.seek(SeekFrom::Start(offset))
        .map_err(|e| Error::io(&file.path, e))?;
    let mut reader = LineReader::with_buffer(f, offset, line_no, max_line, std::mem::take(buffer));
    let mut parser = LineParser::new();
    let mut stats = Stats::default();
    let mut entries = Vec::new();
    let mut repeats: HashMap<u64, u32> = HashMap::new();
    let mut at_end = false;
    loop {
        let line = match reader.next_line() {
            Ok(Some(line)) => line,
            Ok(None) if at_end => break,
            Ok(None) => {
                at_end = true;
                match reader.take_final_line(is_complete_json) {
                    Some(line) => line,
                    None => break,
                }
            }
            Err(e) => return Err(Error::io(&file.path, e)),
        };
        stats.lines_read += 1;
        let line_no = line.line_no;
        let parsed = if line.too_large {
            Parsed::Skipped(SkipReason::TooLarge)
        } else {
            parser.parse(line.bytes)
        };
        match parsed {
            Parsed::Entries(found) => {
                for (i, entry) in found.into_iter().enumerate() {
                    let unkeyed = entry.message_id.is_none().then(|| {
                        let seed = file.ino ^ ((i as u64) << 48);
                        let base = xxhash_rust::xxh3::xxh3_64_with_seed(line.bytes, seed);
                        let repeat = repeats.entry(base).or_default();
                        *repeat += 1;
                        Unkeyed {
                            base,
                            repeat: *repeat - 1,
                        }
                    });
                    entries.push(Scanned {
                        entry,
                        line_no,
                        unkeyed,
                    });
                }
            }
            Parsed::Ignored => {}
            Parsed::Skipped(reason) => stats.skip(file, line_no, reason),
        }
    }
    stats.bytes_read += reader.offset() - offset;
    let read = FileRead {
        offset: reader.offset(),
        line_no: reader.line_no(),
    };
    *buffer = reader.into_buffer();
    Ok(FileScan {
        entries,
        stats,
        read,
        from_start: offset == 0,
    })
}

/// One file to scan: its index in the run's file list and where to start.
#[derive(Debug, Clone)]
pub struct Job {
    pub file: usize,
    pub offset: u64,
    pub line_no: u64,
}

impl Job {
    /// Reads file `file` from its first line.
    pub fn whole_file(file: usize) -> Self {
        Job {
            file,
            offset: 0,
            line_no: 0,
        }
    }
}

/// Scans `jobs` on `threads` worker threads; results arrive in job order through `recv`.
/// Workers run a bounded amount ahead of the consumer, so memory stays bounded.
pub struct ParallelScan {
    rx: flume::Receiver<(usize, Result<FileScan>)>,
    early: std::collections::BTreeMap<usize, Result<FileScan>>,
    next: usize,
    total: usize,
    ahead: Arc<(std::sync::Mutex<Ahead>, std::sync::Condvar)>,
    /// Bytes each job reads (its share of [`AHEAD_BYTES`]).
    costs: Arc<Vec<u64>>,
}

/// Jobs taken by workers but not yet consumed, and the next job to take.
struct Ahead {
    next_job: usize,
    files: usize,
    bytes: u64,
    /// The consumer is gone (e.g. an insert failed): workers stop instead of waiting forever
    /// (in the daemon, a run's blocked threads would pile up).
    closed: bool,
}

/// How far workers may run ahead of the consumer (which must take results in order). In
/// files and in bytes to read: a large file must not leave the other cores idle behind it,
/// and what is held stays bounded (scanned rows are at most ~1/4 of the bytes read, ~1/50 in
/// real transcripts).
const AHEAD_FILES: usize = 64;
const AHEAD_BYTES: u64 = 64 << 20;

impl ParallelScan {
    pub fn start(
        files: Arc<Vec<TranscriptFile>>,
        jobs: Vec<Job>,
        threads: usize,
        max_line: usize,
    ) -> Self {
        let total = jobs.len();
        let costs: Arc<Vec<u64>> = Arc::new(
            jobs.iter()
                .map(|j| files[j.file].size.saturating_sub(j.offset))
                .collect(),
        );
        let jobs = Arc::new(jobs);
        let ahead = Arc::new((
            std::sync::Mutex::new(Ahead {
                next_job: 0,
                files: 0,
                bytes: 0,
                closed: false,
            }),
            std::sync::Condvar::new(),
        ));
        let (tx, rx) = flume::unbounded();
        // No jobs (the hourly run with nothing new): no threads; the channel just closes.
        for _ in 0..threads.max(1).min(total) {
            let (files, jobs, costs, ahead, tx) = (
                files.clone(),
                jobs.clone(),
                costs.clone(),
                ahead.clone(),
                tx.clone(),
            );
            std::thread::spawn(move || {
                let mut buffer = Vec::new();
                loop {
                    let i = {
                        let (lock, cv) = &*ahead;
                        let mut a = lock.lock().unwrap_or_else(|e| e.into_inner());
                        while let Some(&cost) = costs.get(a.next_job) {
                            if a.closed {
                                return;
                            }
                            // Anything fits when nothing is ahead: one huge file still runs.
                            if a.files == 0
                                || (a.files < AHEAD_FILES && a.bytes + cost <= AHEAD_BYTES)
                            {
                                a.files += 1;
                                a.bytes += cost;
                                break;
                            }
                            a = cv.wait(a).unwrap_or_else(|e| e.into_inner());
                        }
                        a.next_job += 1;
                        a.next_job - 1
                    };
                    let Some(job) = jobs.get(i) else { break };
                    let file = &files[job.file];
                    let result = scan_file(file, job.offset, job.line_no, max_line, &mut buffer);
                    if tx.send((i, result)).is_err() {
                        break; // the consumer is gone (e.g. an insert failed)
                    }
                }
            });
        }
        ParallelScan {
            rx,
            early: Default::default(),
            next: 0,
            total,
            ahead,
            costs,
        }
    }

    /// The next job's result, in order; None when all are done. Blocks the thread.
    pub fn recv_blocking(&mut self) -> Option<(usize, Result<FileScan>)> {
        loop {
            if let Some(next) = self.take_next() {
                return next;
            }
            let (i, r) = self.rx.recv().ok()?;
            self.early.insert(i, r);
        }
    }

    /// [`Self::recv_blocking`] for async callers. Cancel-safe: a result that arrives is kept.
    pub async fn recv(&mut self) -> Option<(usize, Result<FileScan>)> {
        loop {
            if let Some(next) = self.take_next() {
                return next;
            }
            let (i, r) = self.rx.recv_async().await.ok()?;
            self.early.insert(i, r);
        }
    }

    /// Some(None) when all jobs are done, Some(result) when the next one is ready.
    #[allow(clippy::option_option)]
    fn take_next(&mut self) -> Option<Option<(usize, Result<FileScan>)>> {
        if self.next >= self.total {
            return Some(None);
        }
        let result = self.early.remove(&self.next)?;
        let (lock, cv) = &*self.ahead;
        {
            let mut a = lock.lock().unwrap_or_else(|e| e.into_inner());
            a.files -= 1;
            a.bytes -= self.costs[self.next];
        }
        // Several workers may be waiting, for different amounts.
        cv.notify_all();
        self.next += 1;
        Some(Some((self.next - 1, result)))
    }
}

impl Drop for ParallelScan {
    fn drop(&mut self) {
        let (lock, cv) = &*self.ahead;
        lock.lock().unwrap_or_else(|e| e.into_inner()).closed = true;
        cv.notify_all();
    }
}

/// Scanner threads for a run: the machine's cores (the consumer's work is light).
pub fn scan_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8)
}

/// A last line without its newline is taken only if it is a whole JSON document.
fn is_complete_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropping_the_scan_stops_its_workers() {
        let dir = tempfile::tempdir().unwrap();
        // Far more files than the workers may run ahead of a consumer that stops after one.
        let files: Vec<TranscriptFile> = (0..4 * AHEAD_FILES)
            .map(|i| {
                let path = dir.path().join(format!("s{i}.jsonl"));
                std::fs::write(&path, "{}\n").unwrap();
                TranscriptFile {
                    source: Arc::from(path.to_string_lossy().as_ref()),
                    path,
                    project: Arc::from("p"),
                    session_id: Arc::from(format!("s{i}").as_str()),
                    size: 3,
                    mtime_ns: 0,
                    dev: 0,
                    ino: i as u64,
                }
            })
            .collect();
        let jobs = (0..files.len()).map(Job::whole_file).collect();
        let mut scan = ParallelScan::start(Arc::new(files), jobs, 2, 1 << 20);
        assert!(matches!(scan.recv_blocking(), Some((0, Ok(_)))));
        let shared = scan.ahead.clone();
        drop(scan);
        // Each worker holds the shared state until it returns.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while Arc::strong_count(&shared) > 1 {
            assert!(
                std::time::Instant::now() < deadline,
                "workers still running after the scan was dropped"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    #[test]
    fn no_jobs_start_no_workers() {
        let mut scan = ParallelScan::start(Arc::new(Vec::new()), Vec::new(), 4, 1 << 20);
        // Workers would each hold a clone of the shared state.
        assert_eq!(Arc::strong_count(&scan.ahead), 1);
        assert!(scan.recv_blocking().is_none());
    }

    #[test]
    fn lines_without_message_id_are_told_apart_by_bytes_inode_and_repeat() {
        let dir = tempfile::tempdir().unwrap();
        let line = |n: u32| {
            format!(
                "{{\"type\":\"assistant\",\"timestamp\":\"2026-01-05T10:00:0{n}.000Z\",\"message\":{{\"model\":\"m\",\"usage\":{{\"input_tokens\":1,\"output_tokens\":1}}}}}}\n"
            )
        };
        let text = [line(1), line(2), line(1)].concat();
        let path = dir.path().join("s.jsonl");
        std::fs::write(&path, &text).unwrap();
        let file = |ino| TranscriptFile {
            source: Arc::from("s"),
            path: path.clone(),
            project: Arc::from("p"),
            session_id: Arc::from("s"),
            size: text.len() as u64,
            mtime_ns: 0,
            dev: 0,
            ino,
        };
        let ids = |ino| -> Vec<Unkeyed> {
            let scan = scan_file(&file(ino), 0, 0, 1 << 20, &mut Vec::new()).unwrap();
            scan.entries.iter().map(|s| s.unkeyed.unwrap()).collect()
        };
        let a = ids(7);
        assert_eq!(a[0].base, a[2].base, "the same bytes");
        assert_ne!(a[0].base, a[1].base);
        assert_eq!([a[0].repeat, a[1].repeat, a[2].repeat], [0, 0, 1]);
        assert_eq!(ids(7), a, "a moved file keeps its inode");
        assert_ne!(ids(8)[0].base, a[0].base, "a copy does not");
    }
}
