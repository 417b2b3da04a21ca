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
//!
//! One job per file: [`rng`] (the seedable generator), [`corpus`] (distributions, names, text,
//! the accounting of what was written), [`lines`] (files, and lines without usage),
//! [`response`] (responses, compactions, API errors, subagents), [`session`] (whole sessions,
//! resumed ones, the huge line); here the options and the entry points.

use std::io;
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

mod corpus;
mod lines;
mod response;
mod rng;
mod session;

use corpus::{Corpus, Counter};
pub use rng::Rng;

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
mod tests;
