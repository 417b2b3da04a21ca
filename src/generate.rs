//! Synthetic transcripts shaped like Claude Code's: for demos on machines without Claude Code,
//! and for tests and benchmarks. Deterministic for a given seed.
//!
//! What it writes: compact JSON lines; responses streamed as several lines sharing message.id and
//! requestId with growing output; user lines with large tool results (most of the bytes);
//! subagent files with sidechain lines; resumed sessions repeating earlier responses; and, when
//! asked, a sprinkle of malformed lines.

use std::io::Write;
use std::path::Path;

pub struct GenOptions {
    pub sessions: usize,
    pub responses_per_session: usize,
    /// Average size of a tool result, in bytes.
    pub tool_result_bytes: usize,
    /// One malformed line per this many lines (0 = none).
    pub malformed_every: usize,
    pub seed: u64,
    /// First day of activity, as days since 1970-01-01.
    pub start_day: i64,
    pub days: i64,
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
        }
    }
}

/// A small, fast, seedable generator (SplitMix64): no dependency, same stream everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const MODELS: [&str; 5] = [
    "claude-opus-4-6",
    "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5-20251001",
    "claude-sonnet-4-6",
    "claude-opus-4-1-20250805",
];
const PROJECTS: [&str; 6] = [
    "/home/dev/api",
    "/home/dev/web",
    "/home/dev/infra",
    "/home/dev/ml/pipeline",
    "/home/dev/docs",
    "/home/dev/cli",
];

fn timestamp(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = crate::scan::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

fn encode_project(cwd: &str) -> String {
    cwd.replace(['/', '.'], "-")
}

struct Response {
    line: String,
}

/// Writes a transcript tree under `dir/projects/` and returns (files, bytes) written.
pub fn generate(dir: &Path, opts: &GenOptions) -> std::io::Result<(usize, u64)> {
    let mut rng = Rng(opts.seed);
    let mut files = 0;
    let mut bytes = 0u64;
    let mut previous: Vec<Response> = Vec::new();
    let filler: String = "lorem ipsum dolor sit amet consectetur "
        .repeat(opts.tool_result_bytes.max(40) * 3 / 40 + 1);
    for s in 0..opts.sessions {
        let cwd = PROJECTS[rng.below(PROJECTS.len() as u64) as usize];
        let project = encode_project(cwd);
        let session = format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            rng.next() as u32,
            rng.below(0x10000),
            rng.below(0x1000),
            rng.below(0x1000),
            rng.next() & 0xFFFF_FFFF_FFFF
        );
        let session_dir = dir.join("projects").join(&project);
        std::fs::create_dir_all(&session_dir)?;
        let mut out = std::io::BufWriter::new(std::fs::File::create(
            session_dir.join(format!("{session}.jsonl")),
        )?);
        let mut sub: Option<std::io::BufWriter<std::fs::File>> = None;
        let mut t = (opts.start_day + rng.below(opts.days.max(1) as u64) as i64) * 86_400_000
            + (8 + rng.below(10) as i64) * 3_600_000;
        let model = MODELS[rng.below(MODELS.len() as u64) as usize];
        let mut line_count = 0usize;
        let mut write_line =
            |w: &mut dyn Write, line: &str, rng: &mut Rng| -> std::io::Result<u64> {
                line_count += 1;
                let mut n = 0;
                if opts.malformed_every > 0 && line_count.is_multiple_of(opts.malformed_every) {
                    let bad = match rng.below(3) {
                        0 => "{\"type\":\"assistant\",\"message\":{\"usage\":{\"input_tokens\":"
                            .to_string(),
                        1 => "not json at all".to_string(),
                        _ => "{\"type\":\"user\",\"timestamp\":42}".to_string(),
                    };
                    writeln!(w, "{bad}")?;
                    n += bad.len() as u64 + 1;
                }
                writeln!(w, "{line}")?;
                Ok(n + line.len() as u64 + 1)
            };
        // A resumed session starts by repeating some responses of the previous one.
        if s % 4 == 3 {
            for r in previous.iter().take(rng.below(8) as usize) {
                bytes += write_line(&mut out, &r.line, &mut rng)?;
            }
        }
        previous.clear();
        let mut cache_read = 0u64;
        for r in 0..opts.responses_per_session {
            t += 2_000 + rng.below(90_000) as i64;
            let tool_len =
                (rng.below(opts.tool_result_bytes as u64 * 2 + 1) as usize).min(filler.len());
            let user = format!(
                "{{\"parentUuid\":\"p{r}\",\"isSidechain\":false,\"userType\":\"external\",\"cwd\":\"{cwd}\",\"sessionId\":\"{session}\",\"version\":\"2.1.20\",\"gitBranch\":\"main\",\"type\":\"user\",\"message\":{{\"role\":\"user\",\"content\":[{{\"tool_use_id\":\"toolu_{r}\",\"type\":\"tool_result\",\"content\":\"{}\"}}]}},\"uuid\":\"u{r}\",\"timestamp\":\"{}\"}}",
                &filler[..tool_len],
                timestamp(t)
            );
            bytes += write_line(&mut out, &user, &mut rng)?;
            let sidechain = rng.below(6) == 0;
            let input = 1 + rng.below(50);
            let cache_write = rng.below(20_000);
            let (c5, c1) = if rng.below(2) == 0 {
                (cache_write, 0)
            } else {
                (0, cache_write)
            };
            cache_read += rng.below(30_000);
            let output = 20 + rng.below(2_000);
            let msg = format!("msg_01{:022x}", rng.next() as u128 * 7 + r as u128);
            let req = format!("req_011C{:020x}", rng.next());
            let parts = 1 + rng.below(3);
            let fast = model == "claude-opus-4-6" && rng.below(10) == 0;
            for k in 0..parts {
                t += 50 + rng.below(400) as i64;
                let out_k = if k + 1 == parts {
                    output
                } else {
                    1 + output * k / parts
                };
                let line = format!(
                    "{{\"parentUuid\":\"u{r}\",\"isSidechain\":{sidechain},\"userType\":\"external\",\"cwd\":\"{cwd}\",\"sessionId\":\"{session}\",\"version\":\"2.1.20\",\"gitBranch\":\"main\",\"message\":{{\"model\":\"{model}\",\"id\":\"{msg}\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[{{\"type\":\"text\",\"text\":\"working on step {r}.{k}\"}}],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{{\"input_tokens\":{input},\"cache_creation_input_tokens\":{cache_write},\"cache_read_input_tokens\":{cache_read},\"cache_creation\":{{\"ephemeral_5m_input_tokens\":{c5},\"ephemeral_1h_input_tokens\":{c1}}},\"output_tokens\":{out_k},\"service_tier\":\"standard\",\"speed\":\"{}\"}}}},\"requestId\":\"{req}\",\"type\":\"assistant\",\"uuid\":\"a{r}{k}\",\"timestamp\":\"{}\"}}",
                    if fast { "fast" } else { "standard" },
                    timestamp(t)
                );
                if sidechain {
                    let w = match &mut sub {
                        Some(w) => w,
                        None => {
                            let d = session_dir.join(&session).join("subagents");
                            std::fs::create_dir_all(&d)?;
                            files += 1;
                            sub.insert(std::io::BufWriter::new(std::fs::File::create(
                                d.join(format!("agent-{:08x}.jsonl", rng.next() as u32)),
                            )?))
                        }
                    };
                    bytes += write_line(w, &line, &mut rng)?;
                } else {
                    bytes += write_line(&mut out, &line, &mut rng)?;
                    if k + 1 == parts {
                        previous.push(Response { line });
                    }
                }
            }
        }
        out.flush()?;
        if let Some(mut w) = sub {
            w.flush()?;
        }
        files += 1;
    }
    Ok((files, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let report = crate::scan::scan(&[a.path().to_path_buf()], crate::price::CostMode::Auto);
        assert!(report.messages > 100, "{}", report.messages);
        assert!(report.stats.lines_skipped > 0);
        assert!(
            report.stats.duplicates > 0,
            "streamed lines and resumed copies"
        );
        assert!(report.totals.total_cost > 0.0);
        assert!(report.stats.unknown_models.is_empty());
    }
}
