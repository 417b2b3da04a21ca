//! What the lines are made of: the distributions, names and text they draw from, and the
//! accounting of what was written.

use std::io::{self, Write};

use super::Rng;

/// Session lengths relative to the mean: many short sessions, a few very long ones.
pub(super) const SESSION_LENGTHS: [(f64, f64, f64); 4] = [
    (0.45, 0.05, 0.4),
    (0.35, 0.4, 1.5),
    (0.15, 1.5, 3.5),
    (0.05, 3.5, 8.0),
];
/// Tool output sizes relative to the mean: 40% tiny, 1% several hundred KB; lines of 4× the mean
/// and more hold about half of all bytes.
pub(super) const TOOL_OUTPUT_SIZES: [(f64, f64, f64); 5] = [
    (0.40, 0.01, 0.1),
    (0.35, 0.1, 0.6),
    (0.18, 0.6, 4.0),
    (0.06, 4.0, 15.0),
    (0.01, 15.0, 50.0),
];
/// A response calls the Task tool (a subagent of several responses) this often.
pub(super) const SUBAGENT_CHANCE: f64 = 1.0 / 150.0;

pub(super) const MODELS: [&str; 5] = [
    "claude-opus-4-6",
    "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5-20251001",
    "claude-sonnet-4-6",
    "claude-opus-4-1-20250805",
];
pub(super) const SUBAGENT_MODELS: [&str; 3] = [
    "claude-haiku-4-5-20251001",
    "claude-sonnet-4-6",
    "claude-opus-4-6",
];
pub(super) const PROJECTS: [&str; 12] = [
    "/home/dev/api",
    "/home/dev/web",
    "/home/dev/infra",
    "/home/dev/ml/pipeline",
    "/home/dev/docs",
    "/home/dev/cli",
    "/home/dev/api/.worktrees/auth",
    "/home/dev/mobile",
    "/home/dev/data/etl",
    "/home/dev/site.io",
    "/home/dev/notebooks",
    "/home/dev/platform/billing",
];
pub(super) const VERSIONS: [&str; 4] = ["2.1.20", "2.1.31", "2.0.76", "2.1.9"];
pub(super) const BRANCHES: [&str; 5] = ["main", "main", "feature/auth", "fix/flaky-tests", "dev"];
pub(super) const WORDS: [&str; 24] = [
    "config", "request", "handler", "parser", "cache", "session", "token", "client", "server",
    "buffer", "router", "schema", "metrics", "worker", "queue", "index", "reader", "writer",
    "state", "event", "batch", "price", "model", "report",
];
pub(super) const TOOLS: [&str; 14] = [
    "Bash",
    "Bash",
    "Bash",
    "Read",
    "Read",
    "Read",
    "Read",
    "Edit",
    "Edit",
    "Grep",
    "Grep",
    "Glob",
    "Write",
    "TodoWrite",
];

pub(super) fn timestamp(ms: i64) -> String {
    crate::time::format_timestamp_ms(ms)
}

pub(super) fn encode_project(cwd: &str) -> String {
    cwd.replace(['/', '.'], "-")
}

/// Text already escaped for a JSON string (code, logs, listings, some non-ASCII), cut only at
/// unit boundaries so any slice is valid inside quotes.
pub(super) struct Corpus {
    text: String,
    starts: Vec<usize>,
    /// Base64-looking text for thinking signatures.
    b64: String,
}

impl Corpus {
    pub(super) fn new(rng: &mut Rng, size: usize) -> Self {
        let mut text = String::with_capacity(size + 256);
        let mut starts = Vec::new();
        let mut n = 1;
        while text.len() < size {
            starts.push(text.len());
            let w = rng.pick(&WORDS);
            let v = rng.pick(&WORDS);
            let k = rng.below(10_000);
            let unit = match rng.below(12) {
                0 => format!("{n:>6}\u{2192}    let {w}_{k} = {v}::new(&ctx, \\\"{w}\\\")?;\\n"),
                1 => {
                    format!("{n:>6}\u{2192}pub fn {w}_{v}(input: &str) -> Result<{v}, Error> {{\\n")
                }
                2 => format!("{n:>6}\u{2192}        // {w}: keep the {v} bounded (see #{k})\\n"),
                3 => format!(
                    "2026-01-05T10:{:02}:{:02}.{:03}Z INFO  {w} id={:016x} path=/api/{v} status=200 latency_ms={k}\\n",
                    k % 60,
                    k % 59,
                    k % 1000,
                    rng.next_u64()
                ),
                4 => format!(
                    "{{\\\"name\\\": \\\"{w}\\\", \\\"count\\\": {k}, \\\"tags\\\": [\\\"{v}\\\", \\\"x\\\"], \\\"ok\\\": true}}\\n"
                ),
                5 => format!("test {w}::tests::{v}_{k} ... ok\\n"),
                6 => format!(
                    "src/{w}/{v}.rs:{k}:    if self.{w}.is_empty() {{ return Err(\\\"{v}\\\".into()); }}\\n"
                ),
                7 => format!("\\tat {w}.{v}.Handler.run({v}.java:{k})\\n"),
                8 => format!(
                    "error[E0308]: mismatched types \u{2192} expected `{w}`, found `{v}` (caf\u{e9}, na\u{ef}ve \u{2713})\\n"
                ),
                9 => format!("-rw-r--r-- 1 dev dev {k:>8} Jan  5 10:00 {w}_{v}.json\\n"),
                10 => format!("+    assert_eq!({w}.{v}(), {k}); // \u{2714} {w} \u{1F680}\\n"),
                _ => format!("The {w} keeps every {v} it reads; {k} of them were checked. "),
            };
            text.push_str(&unit);
            n += 1;
        }
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let b64 = (0..16_384)
            .map(|_| alphabet[rng.below(64) as usize] as char)
            .collect();
        Corpus { text, starts, b64 }
    }

    /// Appends about `n` bytes (a whole number of units, at least one).
    pub(super) fn fill(&self, rng: &mut Rng, out: &mut String, n: usize) {
        let mut remaining = n.max(1);
        while remaining > 0 {
            let a = self.starts[rng.below(self.starts.len() as u64) as usize];
            let want = a + remaining;
            let j = self.starts.partition_point(|&s| s < want);
            let end = self.starts.get(j).copied().unwrap_or(self.text.len());
            out.push_str(&self.text[a..end]);
            remaining = remaining.saturating_sub(end - a);
        }
    }

    /// Writes about `n` bytes straight to `w` (for lines too big to build in memory).
    pub(super) fn stream(&self, w: &mut dyn Write, n: usize) -> io::Result<u64> {
        let mut written = 0u64;
        while (written as usize) < n {
            let left = n - written as usize;
            let end = if left >= self.text.len() {
                self.text.len()
            } else {
                let j = self.starts.partition_point(|&s| s < left);
                self.starts.get(j).copied().unwrap_or(self.text.len())
            };
            w.write_all(&self.text.as_bytes()[..end])?;
            written += end as u64;
        }
        Ok(written)
    }

    pub(super) fn signature(&self, rng: &mut Rng, out: &mut String) {
        let len = rng.range(200, 1200) as usize;
        let a = rng.below((self.b64.len() - len) as u64) as usize;
        out.push_str(&self.b64[a..a + len]);
    }
}

/// Line and byte accounting for every file, and the malformed-line sprinkle.
pub(super) struct Counter {
    pub(super) bytes: u64,
    pub(super) lines: u64,
    pub(super) malformed_every: usize,
    pub(super) bad: Rng,
}

impl Counter {
    pub(super) fn write(&mut self, w: &mut dyn Write, line: &str) -> io::Result<()> {
        self.lines += 1;
        if self.malformed_every > 0 && self.lines.is_multiple_of(self.malformed_every as u64) {
            let bad = match self.bad.below(3) {
                0 => "{\"type\":\"assistant\",\"message\":{\"usage\":{\"input_tokens\":",
                1 => "not json at all",
                _ => "{\"type\":\"user\",\"timestamp\":42}",
            };
            w.write_all(bad.as_bytes())?;
            w.write_all(b"\n")?;
            self.bytes += bad.len() as u64 + 1;
            self.lines += 1;
        }
        w.write_all(line.as_bytes())?;
        w.write_all(b"\n")?;
        self.bytes += line.len() as u64 + 1;
        Ok(())
    }
}
