//! Synthetic transcripts shaped like Claude Code's: for demos on machines without Claude Code,
//! and for tests and benchmarks. Deterministic for a given seed and options.
//!
//! What it writes, as compact JSON lines the way Claude Code 2.x does:
//! - sessions of very different lengths (most short, a few hundred responses long), each in
//!   `projects/<encoded cwd>/<session>.jsonl`;
//! - responses streamed as several lines (thinking, text, tool_use blocks) sharing message.id and
//!   requestId, with growing output tokens;
//! - user lines with tool results whose sizes are heavy-tailed (most lines small, most bytes in
//!   lines of tens to hundreds of KB, often doubled by `toolUseResult`), prompts, file-history
//!   snapshots, compaction boundaries, summaries, `bash_progress` lines: none carry usage;
//! - subagents (Task tool): their own `<session>/subagents/agent-<id>.jsonl` with sidechain lines,
//!   each response also mirrored into the parent as an `agent_progress` line;
//! - resumed sessions starting with copies of the previous session's first exchanges;
//! - the odd `<synthetic>` API-error line; on request, malformed lines and one huge line.
//!
//! With `target_bytes`, sessions are generated until the tree reaches that size. The benchmark's
//! `--responses 60 --tool-result-bytes 11500` give ~13 KB per message, ~45 messages per file and
//! ~70% of the bytes in tool results: 2 GiB is ~3,400 files and ~165k messages.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

pub struct GenOptions {
    /// Number of sessions (ignored when `target_bytes` is set).
    pub sessions: usize,
    /// Mean responses per session (lengths vary a lot around it).
    pub responses_per_session: usize,
    /// Mean size of a user line's tool output, in bytes (most of a real transcript's bytes).
    pub tool_result_bytes: usize,
    /// One malformed line per this many lines (0 = none).
    pub malformed_every: usize,
    pub seed: u64,
    /// First day of activity, as days since 1970-01-01.
    pub start_day: i64,
    pub days: i64,
    /// Keep adding sessions until this many bytes are written.
    pub target_bytes: Option<u64>,
    /// Also write one response line of this many MiB (a Write tool call with a huge file), in a
    /// session of its own; 0 = none.
    pub huge_line_mb: usize,
    /// No event at or after this instant (ms since the epoch): sessions that would run past it
    /// start earlier or end early, so a demo tree never holds the future. `None` keeps a tree
    /// a pure function of the other options (benchmarks).
    pub not_after_ms: Option<i64>,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            sessions: 20,
            responses_per_session: 40,
            tool_result_bytes: 4000,
            malformed_every: 0,
            seed: 1,
            start_day: 20_454, // 2026-01-01
            days: 14,
            target_bytes: None,
            huge_line_mb: 0,
            not_after_ms: None,
        }
    }
}

/// What [`generate_tree`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenReport {
    pub files: usize,
    pub bytes: u64,
    pub lines: u64,
    /// Distinct API responses (what a correct de-duplication counts).
    pub messages: u64,
}

/// Parses a byte size: a number with an optional unit K, M, G or T (powers of 1024; `KB`,
/// `MiB`... are accepted too), e.g. `2G`, `500M`, `1.5G`, `1048576`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("not a size: {s:?} (examples: 2G, 500M, 1048576)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(format!("unknown size unit in {s:?} (use K, M, G or T)")),
    };
    Ok((n * mult as f64) as u64)
}

/// A small, fast, seedable generator (SplitMix64): no dependency, same stream everywhere.
/// Also what the fault suite seeds its kill points with.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
    /// A value from a mixture of uniform classes `(probability, low, high)`, scaled so that the
    /// mixture's mean is `mean`.
    fn heavy_tailed(&mut self, classes: &[(f64, f64, f64)], mean: f64) -> f64 {
        let norm: f64 = classes.iter().map(|(p, lo, hi)| p * (lo + hi) / 2.0).sum();
        let mut u = self.unit();
        for &(p, lo, hi) in classes {
            if u < p {
                return (lo + (hi - lo) * self.unit()) * mean / norm;
            }
            u -= p;
        }
        let (_, lo, hi) = classes[classes.len() - 1];
        (lo + (hi - lo) * self.unit()) * mean / norm
    }
    fn uuid(&mut self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFF,
            0x8000 | (b >> 48) & 0x3FFF,
            b & 0xFFFF_FFFF_FFFF
        )
    }
}

/// Session lengths relative to the mean: many short sessions, a few very long ones.
const SESSION_LENGTHS: [(f64, f64, f64); 4] = [
    (0.45, 0.05, 0.4),
    (0.35, 0.4, 1.5),
    (0.15, 1.5, 3.5),
    (0.05, 3.5, 8.0),
];
/// Tool output sizes relative to the mean: 40% tiny, 1% several hundred KB; lines of 4× the mean
/// and more hold about half of all bytes.
const TOOL_OUTPUT_SIZES: [(f64, f64, f64); 5] = [
    (0.40, 0.01, 0.1),
    (0.35, 0.1, 0.6),
    (0.18, 0.6, 4.0),
    (0.06, 4.0, 15.0),
    (0.01, 15.0, 50.0),
];
/// A response calls the Task tool (a subagent of several responses) this often.
const SUBAGENT_CHANCE: f64 = 1.0 / 150.0;

const MODELS: [&str; 5] = [
    "claude-opus-4-6",
    "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5-20251001",
    "claude-sonnet-4-6",
    "claude-opus-4-1-20250805",
];
const SUBAGENT_MODELS: [&str; 3] = [
    "claude-haiku-4-5-20251001",
    "claude-sonnet-4-6",
    "claude-opus-4-6",
];
const PROJECTS: [&str; 12] = [
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
const VERSIONS: [&str; 4] = ["2.1.20", "2.1.31", "2.0.76", "2.1.9"];
const BRANCHES: [&str; 5] = ["main", "main", "feature/auth", "fix/flaky-tests", "dev"];
const WORDS: [&str; 24] = [
    "config", "request", "handler", "parser", "cache", "session", "token", "client", "server",
    "buffer", "router", "schema", "metrics", "worker", "queue", "index", "reader", "writer",
    "state", "event", "batch", "price", "model", "report",
];
const TOOLS: [&str; 14] = [
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

fn timestamp(ms: i64) -> String {
    crate::time::format_timestamp_ms(ms)
}

fn encode_project(cwd: &str) -> String {
    cwd.replace(['/', '.'], "-")
}

/// Text already escaped for a JSON string (code, logs, listings, some non-ASCII), cut only at
/// unit boundaries so any slice is valid inside quotes.
struct Corpus {
    text: String,
    starts: Vec<usize>,
    /// Base64-looking text for thinking signatures.
    b64: String,
}

impl Corpus {
    fn new(rng: &mut Rng, size: usize) -> Self {
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
    fn fill(&self, rng: &mut Rng, out: &mut String, n: usize) {
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
    fn stream(&self, w: &mut dyn Write, n: usize) -> io::Result<u64> {
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

    fn signature(&self, rng: &mut Rng, out: &mut String) {
        let len = rng.range(200, 1200) as usize;
        let a = rng.below((self.b64.len() - len) as u64) as usize;
        out.push_str(&self.b64[a..a + len]);
    }
}

/// Line and byte accounting for every file, and the malformed-line sprinkle.
struct Counter {
    bytes: u64,
    lines: u64,
    malformed_every: usize,
    bad: Rng,
}

impl Counter {
    fn write(&mut self, w: &mut dyn Write, line: &str) -> io::Result<()> {
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

/// The fields every conversation line of a session (or of one of its subagents) starts with.
#[derive(Clone)]
struct Thread {
    cwd: &'static str,
    session: String,
    version: &'static str,
    branch: &'static str,
    /// `Some(agent id)` in a subagent file.
    agent: Option<String>,
    model: &'static str,
    /// Context-window size the session compacts at.
    context: u64,
}

impl Thread {
    fn head(&self, out: &mut String, parent: &str) {
        use std::fmt::Write as _;
        let _ = write!(
            out,
            "{{\"parentUuid\":\"{parent}\",\"isSidechain\":{},\"userType\":\"external\",\"cwd\":\"{}\",\"sessionId\":\"{}\",\"version\":\"{}\",\"gitBranch\":\"{}\"",
            self.agent.is_some(),
            self.cwd,
            self.session,
            self.version,
            self.branch
        );
        if let Some(agent) = &self.agent {
            let _ = write!(out, ",\"agentId\":\"{agent}\"");
        }
    }
}

/// One exchange (user line + final response line), kept for resumed sessions to copy.
struct Exchange {
    user: String,
    response: String,
}

struct Gen<'a> {
    opts: &'a GenOptions,
    dir: &'a Path,
    rng: Rng,
    corpus: Corpus,
    out: Counter,
    files: usize,
    messages: u64,
    /// Reused line buffer.
    line: String,
}

/// What [`Gen::response`] wrote.
struct Response {
    /// uuid of its last line (the next line's parent).
    uuid: String,
    /// The tool it called: (tool_use id, name).
    tool: Option<(String, &'static str)>,
    /// Its last line, for resumed sessions to copy.
    last_line: String,
    request_id: String,
    /// Its last line's `message` object, for the parent's progress mirror.
    message: String,
}

/// The usage of one response, growing over its streamed lines.
struct Usage {
    input: u64,
    cache_5m: u64,
    cache_1h: u64,
    cache_read: u64,
    output: u64,
    web_search: u64,
    fast: bool,
}

impl Gen<'_> {
    fn create(&mut self, path: &Path) -> io::Result<BufWriter<File>> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        self.files += 1;
        Ok(BufWriter::with_capacity(256 * 1024, File::create(path)?))
    }

    fn emit(&mut self, w: &mut dyn Write) -> io::Result<()> {
        self.out.write(w, &self.line)
    }

    fn tool_output_len(&mut self, mean: usize) -> usize {
        self.rng
            .heavy_tailed(&TOOL_OUTPUT_SIZES, mean.max(1) as f64)
            .max(16.0) as usize
    }

    fn prompt(
        &mut self,
        w: &mut dyn Write,
        th: &Thread,
        parent: &str,
        t: i64,
    ) -> io::Result<String> {
        let uuid = self.rng.uuid();
        self.line.clear();
        th.head(&mut self.line, parent);
        self.line
            .push_str(",\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"");
        let n = self.rng.range(40, 1500) as usize;
        self.corpus.fill(&mut self.rng, &mut self.line, n);
        self.line.push_str(&format!(
            "\"}},\"uuid\":\"{uuid}\",\"timestamp\":\"{}\"}}",
            timestamp(t)
        ));
        self.emit(w)?;
        if th.agent.is_none() {
            // Claude Code snapshots tracked files at each prompt.
            self.line.clear();
            self.line.push_str(&format!(
                "{{\"type\":\"file-history-snapshot\",\"messageId\":\"{uuid}\",\"snapshot\":{{\"messageId\":\"{uuid}\",\"trackedFileBackups\":{{"
            ));
            for i in 0..self.rng.below(6) {
                if i > 0 {
                    self.line.push(',');
                }
                let f = self.rng.pick(&WORDS);
                self.line.push_str(&format!(
                    "\"src/{f}.rs\":{{\"backupFileName\":\"{:016x}@v{}\",\"version\":{},\"backupTime\":\"{}\"}}",
                    self.rng.next_u64(),
                    i + 1,
                    i + 1,
                    timestamp(t)
                ));
            }
            self.line.push_str(&format!(
                "}},\"timestamp\":\"{}\"}},\"isSnapshotUpdate\":false}}",
                timestamp(t)
            ));
            self.emit(w)?;
        }
        Ok(uuid)
    }

    /// A user line carrying a tool's output (the bulk of a transcript's bytes).
    fn tool_result(
        &mut self,
        w: &mut dyn Write,
        th: &Thread,
        parent: &str,
        tool: (&str, &str),
        t: i64,
        mean: usize,
    ) -> io::Result<String> {
        let (tool_id, tool_name) = tool;
        let uuid = self.rng.uuid();
        let size = self.tool_output_len(mean);
        // Claude Code often stores the output twice: in the message and in toolUseResult.
        let twice = size > 2000 && self.rng.chance(0.5);
        let part = if twice { size / 2 } else { size };
        let is_error = self.rng.chance(0.03);
        self.line.clear();
        th.head(&mut self.line, parent);
        self.line.push_str(&format!(
            ",\"type\":\"user\",\"message\":{{\"role\":\"user\",\"content\":[{{\"tool_use_id\":\"{tool_id}\",\"type\":\"tool_result\",\"content\":\""
        ));
        self.corpus.fill(&mut self.rng, &mut self.line, part);
        self.line.push_str(&format!(
            "\",\"is_error\":{is_error}}}]}},\"uuid\":\"{uuid}\",\"timestamp\":\"{}\"",
            timestamp(t)
        ));
        if twice {
            if tool_name == "Read" {
                self.line.push_str(&format!(
                    ",\"toolUseResult\":{{\"type\":\"text\",\"file\":{{\"filePath\":\"{}/src/{}.rs\",\"content\":\"",
                    th.cwd,
                    self.rng.pick(&WORDS)
                ));
                self.corpus.fill(&mut self.rng, &mut self.line, part);
                self.line.push_str(&format!(
                    "\",\"numLines\":{},\"startLine\":1,\"totalLines\":{}}}}}",
                    part / 40,
                    part / 40
                ));
            } else {
                self.line.push_str(",\"toolUseResult\":{\"stdout\":\"");
                self.corpus.fill(&mut self.rng, &mut self.line, part);
                self.line
                    .push_str("\",\"stderr\":\"\",\"interrupted\":false,\"isImage\":false}");
            }
        }
        self.line.push('}');
        self.emit(w)?;
        Ok(uuid)
    }

    /// Output a long-running Bash command streams while it runs: no usage in these lines.
    fn bash_progress(
        &mut self,
        w: &mut dyn Write,
        th: &Thread,
        parent: &str,
        tool_id: &str,
        t: i64,
    ) -> io::Result<()> {
        for i in 0..self.rng.range(1, 5) {
            self.line.clear();
            th.head(&mut self.line, parent);
            self.line.push_str(
                ",\"type\":\"progress\",\"data\":{\"type\":\"bash_progress\",\"output\":\"",
            );
            let n = self.rng.range(100, 4000) as usize;
            self.corpus.fill(&mut self.rng, &mut self.line, n);
            self.line.push_str(&format!(
                "\",\"elapsedTimeSeconds\":{},\"totalLines\":{}}},\"toolUseID\":\"bash-progress-{i}\",\"parentToolUseID\":\"{tool_id}\",\"uuid\":\"{}\",\"timestamp\":\"{}\"}}",
                i * 3 + 3,
                n / 60,
                self.rng.uuid(),
                timestamp(t + i as i64 * 3000)
            ));
            self.emit(w)?;
        }
        Ok(())
    }

    fn usage_json(u: &Usage, output: u64) -> String {
        let mut s = format!(
            "{{\"input_tokens\":{},\"cache_creation_input_tokens\":{},\"cache_read_input_tokens\":{},\"cache_creation\":{{\"ephemeral_5m_input_tokens\":{},\"ephemeral_1h_input_tokens\":{}}},\"output_tokens\":{output},",
            u.input,
            u.cache_5m + u.cache_1h,
            u.cache_read,
            u.cache_5m,
            u.cache_1h
        );
        if u.web_search > 0 {
            s.push_str(&format!(
                "\"server_tool_use\":{{\"web_search_requests\":{},\"web_fetch_requests\":0}},",
                u.web_search
            ));
        }
        s.push_str(&format!(
            "\"service_tier\":\"standard\",\"speed\":\"{}\"}}",
            if u.fast { "fast" } else { "standard" }
        ));
        s
    }

    /// One API response, streamed as one line per content block.
    fn response(
        &mut self,
        w: &mut dyn Write,
        th: &Thread,
        parent: &str,
        t: &mut i64,
        cache_read: &mut u64,
        force_tool: Option<&'static str>,
    ) -> io::Result<Response> {
        let msg = format!(
            "msg_01{:016x}{:06x}",
            self.rng.next_u64(),
            self.rng.below(1 << 24)
        );
        let req = format!(
            "req_011C{:016x}{:04x}",
            self.rng.next_u64(),
            self.rng.below(1 << 16)
        );
        let fresh = self.rng.range(500, 20_000);
        let (cache_5m, cache_1h) = if self.rng.chance(0.5) {
            (fresh, 0)
        } else {
            (0, fresh)
        };
        *cache_read += self.rng.range(1_000, 12_000);
        let u = Usage {
            input: self.rng.range(1, 60),
            cache_5m,
            cache_1h,
            cache_read: *cache_read,
            output: self.rng.range(20, 2_500),
            web_search: if self.rng.chance(0.01) { 1 } else { 0 },
            fast: th.model == "claude-opus-4-6" && self.rng.chance(0.1),
        };
        // Content blocks: [thinking] [text] [tool_use]; at least one.
        let thinking = self.rng.chance(0.3);
        let tool = match force_tool {
            Some(name) => Some(name),
            None if self.rng.chance(0.85) => Some(self.rng.pick(&TOOLS)),
            None => None,
        };
        let text = tool.is_none() || self.rng.chance(0.5);
        let blocks: Vec<u8> = [(thinking, 0u8), (text, 1), (tool.is_some(), 2)]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, b)| *b)
            .collect();
        let tool_id = format!(
            "toolu_01{:016x}{:06x}",
            self.rng.next_u64(),
            self.rng.below(1 << 24)
        );
        let mut parent = parent.to_string();
        let mut last_line = String::new();
        let mut message = String::new();
        for (k, block) in blocks.iter().enumerate() {
            *t += 50 + self.rng.below(1500) as i64;
            let parts = blocks.len() as u64;
            let output = if k as u64 + 1 == parts {
                u.output
            } else {
                1 + u.output * k as u64 / parts
            };
            let uuid = self.rng.uuid();
            message.clear();
            message.push_str(&format!(
                "{{\"model\":\"{}\",\"id\":\"{msg}\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[",
                th.model
            ));
            match block {
                0 => {
                    message.push_str("{\"type\":\"thinking\",\"thinking\":\"");
                    let n = self.rng.range(100, 1500) as usize;
                    self.corpus.fill(&mut self.rng, &mut message, n);
                    message.push_str("\",\"signature\":\"");
                    self.corpus.signature(&mut self.rng, &mut message);
                    message.push_str("\"}");
                }
                1 => {
                    message.push_str("{\"type\":\"text\",\"text\":\"");
                    let n = self.rng.range(50, 1000) as usize;
                    self.corpus.fill(&mut self.rng, &mut message, n);
                    message.push_str("\"}");
                }
                _ => {
                    let name = tool.unwrap_or("Bash");
                    message.push_str(&format!(
                        "{{\"type\":\"tool_use\",\"id\":\"{tool_id}\",\"name\":\"{name}\",\"input\":{{"
                    ));
                    match name {
                        "Write" => {
                            message.push_str(&format!(
                                "\"file_path\":\"{}/src/{}.rs\",\"content\":\"",
                                th.cwd,
                                self.rng.pick(&WORDS)
                            ));
                            let n = self.rng.range(1_000, 20_000) as usize;
                            self.corpus.fill(&mut self.rng, &mut message, n);
                            message.push('"');
                        }
                        "Edit" => {
                            message.push_str(&format!(
                                "\"file_path\":\"{}/src/{}.rs\",\"old_string\":\"",
                                th.cwd,
                                self.rng.pick(&WORDS)
                            ));
                            let n = self.rng.range(50, 1_500) as usize;
                            self.corpus.fill(&mut self.rng, &mut message, n);
                            message.push_str("\",\"new_string\":\"");
                            self.corpus.fill(&mut self.rng, &mut message, n);
                            message.push('"');
                        }
                        "Task" => {
                            message.push_str(&format!(
                                "\"description\":\"Investigate the {}\",\"prompt\":\"",
                                self.rng.pick(&WORDS)
                            ));
                            let n = self.rng.range(200, 2_000) as usize;
                            self.corpus.fill(&mut self.rng, &mut message, n);
                            message.push_str("\",\"subagent_type\":\"general-purpose\"");
                        }
                        _ => message.push_str(&format!(
                            "\"command\":\"cargo test -p {} -- --nocapture\",\"description\":\"Run the {} tests\"",
                            self.rng.pick(&WORDS),
                            self.rng.pick(&WORDS)
                        )),
                    }
                    message.push_str("}}");
                }
            }
            message.push_str(&format!(
                "],\"stop_reason\":{},\"stop_sequence\":null,\"usage\":{}}}",
                if k + 1 == blocks.len() {
                    if tool.is_some() {
                        "\"tool_use\""
                    } else {
                        "\"end_turn\""
                    }
                } else {
                    "null"
                },
                Self::usage_json(&u, output)
            ));
            self.line.clear();
            th.head(&mut self.line, &parent);
            self.line.push_str(&format!(
                ",\"message\":{message},\"requestId\":\"{req}\",\"type\":\"assistant\",\"uuid\":\"{uuid}\",\"timestamp\":\"{}\"}}",
                timestamp(*t)
            ));
            self.emit(w)?;
            parent = uuid;
            if k + 1 == blocks.len() {
                last_line = std::mem::take(&mut self.line);
            }
        }
        self.messages += 1;
        Ok(Response {
            uuid: parent,
            tool: tool.map(|name| (tool_id, name)),
            last_line,
            request_id: req,
            message,
        })
    }

    /// A compaction boundary: the context starts over.
    fn compact(
        &mut self,
        w: &mut dyn Write,
        th: &Thread,
        parent: &str,
        t: i64,
        pre: u64,
    ) -> io::Result<String> {
        let uuid = self.rng.uuid();
        self.line.clear();
        th.head(&mut self.line, parent);
        self.line.push_str(&format!(
            ",\"type\":\"system\",\"subtype\":\"compact_boundary\",\"content\":\"Conversation compacted\",\"isMeta\":false,\"timestamp\":\"{}\",\"uuid\":\"{uuid}\",\"level\":\"info\",\"compactMetadata\":{{\"trigger\":\"auto\",\"preTokens\":{pre}}}}}",
            timestamp(t)
        ));
        self.emit(w)?;
        Ok(uuid)
    }

    /// An API error placeholder: model `<synthetic>`, zero usage, no requestId.
    fn synthetic(
        &mut self,
        w: &mut dyn Write,
        th: &Thread,
        parent: &str,
        t: i64,
    ) -> io::Result<String> {
        let uuid = self.rng.uuid();
        let id = self.rng.uuid();
        self.line.clear();
        th.head(&mut self.line, parent);
        self.line.push_str(&format!(
            ",\"type\":\"assistant\",\"uuid\":\"{uuid}\",\"timestamp\":\"{}\",\"message\":{{\"id\":\"{id}\",\"model\":\"<synthetic>\",\"role\":\"assistant\",\"stop_reason\":\"stop_sequence\",\"stop_sequence\":\"\",\"type\":\"message\",\"usage\":{{\"input_tokens\":0,\"output_tokens\":0,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}},\"content\":[{{\"type\":\"text\",\"text\":\"API Error: 529 {{\\\"type\\\":\\\"error\\\",\\\"error\\\":{{\\\"type\\\":\\\"overloaded_error\\\",\\\"message\\\":\\\"Overloaded\\\"}}}}\"}}]}},\"isApiErrorMessage\":true}}",
            timestamp(t)
        ));
        self.emit(w)?;
        self.messages += 1;
        Ok(uuid)
    }

    /// A subagent run by the Task tool call `task_id`: its own file, each response also
    /// mirrored into the parent as an `agent_progress` line.
    fn subagent(
        &mut self,
        parent_w: &mut dyn Write,
        th: &Thread,
        session_dir: &Path,
        task_id: &str,
        t: &mut i64,
    ) -> io::Result<()> {
        let agent = format!("{:08x}", self.rng.next_u64() as u32);
        let sub = Thread {
            agent: Some(agent.clone()),
            model: self.rng.pick(&SUBAGENT_MODELS),
            ..th.clone()
        };
        let path = session_dir
            .join(&th.session)
            .join("subagents")
            .join(format!("agent-{agent}.jsonl"));
        let mut w = self.create(&path)?;
        let mut parent = self.prompt(&mut w, &sub, "", *t)?;
        let mut cache_read = self.rng.range(5_000, 15_000);
        for r in 0..self.rng.range(3, 20) {
            *t += 1_000 + self.rng.below(20_000) as i64;
            if r > 0 {
                let tool = (format!("toolu_01{:016x}", self.rng.next_u64()), "Read");
                parent = self.tool_result(
                    &mut w,
                    &sub,
                    &parent,
                    (&tool.0, tool.1),
                    *t,
                    self.opts.tool_result_bytes / 2,
                )?;
            }
            let resp = self.response(&mut w, &sub, &parent, t, &mut cache_read, None)?;
            parent = resp.uuid;
            // The parent's copy of this response (ccusage and ccsync count it once).
            let (req, message) = (resp.request_id, resp.message);
            let inner_uuid = self.rng.uuid();
            let outer_uuid = self.rng.uuid();
            self.line.clear();
            th.head(&mut self.line, task_id);
            self.line.push_str(&format!(
                ",\"type\":\"progress\",\"data\":{{\"message\":{{\"type\":\"assistant\",\"timestamp\":\"{}\",\"requestId\":\"{req}\",\"isSidechain\":true,\"message\":{message},\"uuid\":\"{inner_uuid}\"}},\"normalizedMessages\":[],\"type\":\"agent_progress\",\"prompt\":\"\",\"agentId\":\"{agent}\"}},\"toolUseID\":\"agent_msg_{:016x}\",\"parentToolUseID\":\"{task_id}\",\"uuid\":\"{outer_uuid}\",\"timestamp\":\"{}\"}}",
                timestamp(*t),
                self.rng.next_u64(),
                timestamp(*t + 5)
            ));
            self.out.write(parent_w, &self.line)?;
        }
        w.flush()
    }

    fn session(
        &mut self,
        s: usize,
        previous: &mut Option<(Thread, Vec<Exchange>)>,
    ) -> io::Result<()> {
        let resumed = s % 4 == 3 && previous.is_some();
        let model = self.rng.pick(&MODELS);
        let th = Thread {
            cwd: match (&previous, resumed) {
                (Some((p, _)), true) => p.cwd,
                _ => self.rng.pick(&PROJECTS),
            },
            session: self.rng.uuid(),
            version: self.rng.pick(&VERSIONS),
            branch: self.rng.pick(&BRANCHES),
            agent: None,
            model,
            // Some sessions use a 1M context (above-200k prices on Sonnet 4.5).
            context: if self.rng.chance(0.1) {
                800_000
            } else {
                160_000
            },
        };
        let session_dir = self.dir.join("projects").join(encode_project(th.cwd));
        let mut w = self.create(&session_dir.join(format!("{}.jsonl", th.session)))?;
        let mut t = (self.opts.start_day + self.rng.below(self.opts.days.max(1) as u64) as i64)
            * 86_400_000
            + (7 + self.rng.below(14) as i64) * 3_600_000
            + self.rng.below(3_600_000) as i64;
        if let Some(last) = self.last_start() {
            t = t.min(last - self.rng.below(3 * 3_600_000) as i64);
        }
        if resumed {
            let (prev, exchanges) = previous.as_ref().expect("checked");
            self.line = format!(
                "{{\"type\":\"summary\",\"summary\":\"Work on the {} of {}\",\"leafUuid\":\"{}\"}}",
                self.rng.pick(&WORDS),
                prev.cwd,
                self.rng.uuid()
            );
            self.emit(&mut w)?;
            let n = self.rng.below(8) as usize;
            for e in exchanges.iter().take(n) {
                self.out.write(&mut w, &e.user)?;
                self.out.write(&mut w, &e.response)?;
            }
        }
        let mut exchanges: Vec<Exchange> = Vec::new();
        let mut parent = self.prompt(&mut w, &th, "", t)?;
        let mut pending_tool: Option<(String, &'static str)> = None;
        let mut cache_read = self.rng.range(10_000, 30_000);
        let n = self
            .rng
            .heavy_tailed(&SESSION_LENGTHS, self.opts.responses_per_session as f64)
            .round()
            .max(1.0) as usize;
        for _ in 0..n {
            if self.last_start().is_some_and(|last| t > last) {
                break;
            }
            t += 2_000 + self.rng.below(90_000) as i64;
            let mut user_line = None;
            match pending_tool.take() {
                Some((id, name)) if !self.rng.chance(0.05) => {
                    if name == "Bash" && self.rng.chance(0.2) {
                        self.bash_progress(&mut w, &th, &parent, &id, t)?;
                        t += 15_000;
                    }
                    parent = self.tool_result(
                        &mut w,
                        &th,
                        &parent,
                        (&id, name),
                        t,
                        self.opts.tool_result_bytes,
                    )?;
                    if exchanges.len() < 8 {
                        user_line = Some(self.line.clone());
                    }
                }
                _ => parent = self.prompt(&mut w, &th, &parent, t)?,
            }
            if cache_read > th.context {
                parent = self.compact(&mut w, &th, &parent, t, cache_read)?;
                cache_read = self.rng.range(10_000, 30_000);
            }
            if self.rng.chance(0.003) {
                parent = self.synthetic(&mut w, &th, &parent, t)?;
                continue;
            }
            let task = self.rng.chance(SUBAGENT_CHANCE).then_some("Task");
            let resp = self.response(&mut w, &th, &parent, &mut t, &mut cache_read, task)?;
            parent = resp.uuid;
            if let Some(user) = user_line {
                exchanges.push(Exchange {
                    user,
                    response: resp.last_line,
                });
            }
            if let Some((id, "Task")) = &resp.tool {
                self.subagent(&mut w, &th, &session_dir, id, &mut t)?;
            }
            pending_tool = resp.tool;
        }
        w.flush()?;
        *previous = Some((th, exchanges));
        Ok(())
    }

    /// The latest time an exchange may begin when the tree must end before `not_after_ms`: one
    /// exchange (a response, a tool call, a subagent's run) takes well under this margin.
    fn last_start(&self) -> Option<i64> {
        const MARGIN_MS: i64 = 15 * 60_000;
        self.opts.not_after_ms.map(|end| end - MARGIN_MS)
    }

    /// A session whose one response writes a file of `mb` MiB: a single huge line with usage.
    fn huge_session(&mut self, mb: usize) -> io::Result<()> {
        let th = Thread {
            cwd: "/home/dev/data/etl",
            session: self.rng.uuid(),
            version: "2.1.20",
            branch: "main",
            agent: None,
            model: "claude-sonnet-4-5-20250929",
            context: 160_000,
        };
        let session_dir = self.dir.join("projects").join(encode_project(th.cwd));
        let mut w = self.create(&session_dir.join(format!("{}.jsonl", th.session)))?;
        let t = self.opts.start_day * 86_400_000 + 12 * 3_600_000;
        let parent = self.prompt(&mut w, &th, "", t)?;
        let u = Usage {
            input: 12,
            cache_5m: 4_000,
            cache_1h: 0,
            cache_read: 30_000,
            output: 65_000,
            web_search: 0,
            fast: false,
        };
        let mut head = String::new();
        th.head(&mut head, &parent);
        head.push_str(&format!(
            ",\"message\":{{\"model\":\"{}\",\"id\":\"msg_01huge{:016x}\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[{{\"type\":\"tool_use\",\"id\":\"toolu_01huge\",\"name\":\"Write\",\"input\":{{\"file_path\":\"{}/dump.sql\",\"content\":\"",
            th.model,
            self.rng.next_u64(),
            th.cwd
        ));
        let tail = format!(
            "\"}}}}],\"stop_reason\":\"tool_use\",\"stop_sequence\":null,\"usage\":{}}},\"requestId\":\"req_011Chuge{:016x}\",\"type\":\"assistant\",\"uuid\":\"{}\",\"timestamp\":\"{}\"}}\n",
            Self::usage_json(&u, u.output),
            self.rng.next_u64(),
            self.rng.uuid(),
            timestamp(t + 60_000)
        );
        w.write_all(head.as_bytes())?;
        let body = self.corpus.stream(&mut w, mb << 20)?;
        w.write_all(tail.as_bytes())?;
        self.out.bytes += head.len() as u64 + body + tail.len() as u64;
        self.out.lines += 1;
        self.messages += 1;
        w.flush()
    }
}

/// Writes a transcript tree under `dir/projects/` and returns (files, bytes) written.
pub fn generate(dir: &Path, opts: &GenOptions) -> io::Result<(usize, u64)> {
    let r = generate_tree(dir, opts)?;
    Ok((r.files, r.bytes))
}

/// Writes a transcript tree under `dir/projects/`.
pub fn generate_tree(dir: &Path, opts: &GenOptions) -> io::Result<GenReport> {
    let mut rng = Rng(opts.seed);
    let corpus = Corpus::new(&mut rng, 2 << 20);
    let mut g = Gen {
        opts,
        dir,
        rng,
        corpus,
        out: Counter {
            bytes: 0,
            lines: 0,
            malformed_every: opts.malformed_every,
            bad: Rng(opts.seed ^ 0x5EED),
        },
        files: 0,
        messages: 0,
        line: String::new(),
    };
    if opts.huge_line_mb > 0 {
        g.huge_session(opts.huge_line_mb)?;
    }
    let mut previous = None;
    let mut s = 0;
    loop {
        let more = match opts.target_bytes {
            Some(target) => g.out.bytes < target,
            None => s < opts.sessions,
        };
        if !more {
            break;
        }
        g.session(s, &mut previous)?;
        s += 1;
    }
    Ok(GenReport {
        files: g.files,
        bytes: g.out.bytes,
        lines: g.out.lines,
        messages: g.messages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The tree read as `scan` reads it, and its days in UTC.
    fn scan(
        dir: &std::path::Path,
    ) -> (
        crate::source::claude::scan::LocalRows,
        crate::report::DailyReport,
    ) {
        let local = crate::source::claude::scan::read_rows(
            &[dir.to_path_buf()],
            crate::price::CostMode::Auto,
            "",
        );
        let daily = crate::report::daily(
            &local.rows,
            crate::report::Zone::utc(),
            crate::report::DateRange::ALL,
        );
        (local, daily)
    }

    #[test]
    fn generated_tree_is_deterministic_and_parses() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let opts = GenOptions {
            sessions: 6,
            malformed_every: 50,
            ..GenOptions::default()
        };
        let (files, bytes) = generate(a.path(), &opts).unwrap();
        assert_eq!(generate(b.path(), &opts).unwrap(), (files, bytes));
        let (report, daily) = scan(a.path());
        assert!(report.messages > 100, "{}", report.messages);
        assert!(report.stats.lines_skipped > 0);
        assert!(
            report.stats.duplicates > 0,
            "streamed lines and resumed copies"
        );
        assert!(daily.totals.total_cost > 0.0);
        assert!(report.stats.unknown_models.is_empty());
    }

    #[test]
    fn sized_tree_counts_every_response_once() {
        let dir = tempfile::tempdir().unwrap();
        let opts = GenOptions {
            target_bytes: Some(6 << 20),
            // Enough sessions that subagents, progress lines and resumed copies all occur.
            responses_per_session: 30,
            tool_result_bytes: 2000,
            seed: 7,
            ..GenOptions::default()
        };
        let r = generate_tree(dir.path(), &opts).unwrap();
        assert!(r.bytes >= 6 << 20 && r.bytes < 8 << 20, "{r:?}");
        let on_disk: u64 = walk(dir.path())
            .iter()
            .map(|p| p.metadata().unwrap().len())
            .sum();
        assert_eq!(on_disk, r.bytes);
        assert!(
            walk(dir.path())
                .iter()
                .any(|p| p.to_string_lossy().contains("/subagents/agent-")),
            "subagent files"
        );
        let (report, _) = scan(dir.path());
        assert_eq!(report.files, r.files);
        assert_eq!(report.messages as u64, r.messages, "one row per response");
        assert_eq!(report.stats.lines_read, r.lines);
        assert_eq!(report.stats.lines_skipped, 0);
        assert!(report.stats.unknown_models.is_empty());
    }

    #[test]
    fn a_huge_line_keeps_its_usage() {
        let dir = tempfile::tempdir().unwrap();
        let opts = GenOptions {
            sessions: 1,
            responses_per_session: 3,
            huge_line_mb: 9, // above collect::MAX_LINE_BYTES: read as a skeleton
            ..GenOptions::default()
        };
        let r = generate_tree(dir.path(), &opts).unwrap();
        assert!(r.bytes > 9 << 20);
        let (report, daily) = scan(dir.path());
        assert_eq!(report.messages as u64, r.messages);
        assert_eq!(report.stats.lines_skipped, 0);
        assert!(daily.totals.output_tokens >= 65_000);
    }

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("500M"), Ok(500 << 20));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("3 GiB"), Ok(3 << 30));
        assert!(parse_size("2X").is_err());
        assert!(parse_size("G").is_err());
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p);
                }
            }
        }
        out
    }
}
