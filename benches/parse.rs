//! Micro-benchmarks of the line parser (`cargo bench --bench parse`).
//!
//! Single lines as Claude Code writes them: streamed assistant lines (a tool call; a thinking
//! block), a user line with a large tool result (most of a transcript's bytes, rejected by the
//! prefilter), a subagent's `agent_progress` line (usage nested in `data.message`) and a
//! `bash_progress` line; then a whole generated transcript read and parsed from memory, next to
//! the newline scan alone (the floor of any line reader). Throughput is in bytes of input.

use std::hint::black_box;

use ccsync::generate::{GenOptions, generate_tree};
use ccsync::read::LineReader;
use ccsync::source::claude::parse::{LineParser, Parsed};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const HEAD: &str = r#""parentUuid":"6f1c2a9e-5b7d-4c1e-9a0f-2d3b4c5d6e7f","isSidechain":false,"userType":"external","cwd":"/home/dev/api","sessionId":"0b6e1f2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b","version":"2.1.31","gitBranch":"main""#;
const USAGE: &str = r#""usage":{"input_tokens":4,"cache_creation_input_tokens":1834,"cache_read_input_tokens":84211,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":1834},"output_tokens":312,"service_tier":"standard"}"#;
/// A code-like chunk of tool output, already escaped for a JSON string.
const CODE: &str = r#"    42→    let value = compute(&ctx, \"key\")?; // café → ok\n    43→        if self.buffer.is_empty() { return Err(\"empty\".into()); }\n"#;

fn assistant_tool_use() -> String {
    format!(
        r#"{{{HEAD},"message":{{"model":"claude-opus-4-6","id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[{{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"Bash","input":{{"command":"cargo test -p parser -- --nocapture","description":"Run the parser tests"}}}}],"stop_reason":"tool_use","stop_sequence":null,{USAGE}}},"requestId":"req_011CRz1xFmGd3hWqGqzbgaR2","type":"assistant","uuid":"9d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","timestamp":"2026-01-05T10:00:00.123Z"}}"#
    )
}

fn assistant_thinking() -> String {
    let thinking = CODE.repeat(12);
    let signature = "EqQBCkYIBxgCKkB".repeat(60);
    format!(
        r#"{{{HEAD},"message":{{"model":"claude-opus-4-6","id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[{{"type":"thinking","thinking":"{thinking}","signature":"{signature}"}}],"stop_reason":null,"stop_sequence":null,{USAGE}}},"requestId":"req_011CRz1xFmGd3hWqGqzbgaR2","type":"assistant","uuid":"9d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","timestamp":"2026-01-05T10:00:00.123Z"}}"#
    )
}

/// About 200 KB: the output in the message and again in `toolUseResult`.
fn user_tool_result() -> String {
    let output = CODE.repeat(100_000 / CODE.len());
    format!(
        r#"{{{HEAD},"type":"user","message":{{"role":"user","content":[{{"tool_use_id":"toolu_01A09q90qw90lq917835lq9","type":"tool_result","content":"{output}","is_error":false}}]}},"uuid":"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d","timestamp":"2026-01-05T10:00:03.456Z","toolUseResult":{{"stdout":"{output}","stderr":"","interrupted":false,"isImage":false}}}}"#
    )
}

fn agent_progress() -> String {
    format!(
        r#"{{{HEAD},"type":"progress","data":{{"message":{{"type":"assistant","timestamp":"2026-01-05T10:00:05.000Z","requestId":"req_011CRz1yAbCdEfGhIjKlMnOp","isSidechain":true,"message":{{"model":"claude-haiku-4-5-20251001","id":"msg_01Y2b3c4d5e6f7a8b9c0d1e2","type":"message","role":"assistant","content":[{{"type":"text","text":"Looking at the parser module first."}}],"stop_reason":"end_turn","stop_sequence":null,{USAGE}}},"uuid":"2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"}},"normalizedMessages":[],"type":"agent_progress","prompt":"","agentId":"a91f2c3e"}},"toolUseID":"agent_msg_01","parentToolUseID":"toolu_01Task","uuid":"3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f","timestamp":"2026-01-05T10:00:05.005Z"}}"#
    )
}

fn bash_progress() -> String {
    let output = CODE.repeat(30);
    format!(
        r#"{{{HEAD},"type":"progress","data":{{"type":"bash_progress","output":"{output}","elapsedTimeSeconds":6,"totalLines":60}},"toolUseID":"bash-progress-1","parentToolUseID":"toolu_01A09q90qw90lq917835lq9","uuid":"4d5e6f7a-8b9c-4d0e-8f1a-2b3c4d5e6f7a","timestamp":"2026-01-05T10:00:09.000Z"}}"#
    )
}

fn lines(c: &mut Criterion) {
    let cases = [
        ("assistant_tool_use", assistant_tool_use(), true),
        ("assistant_thinking", assistant_thinking(), true),
        ("user_tool_result_200k", user_tool_result(), false),
        ("agent_progress", agent_progress(), true),
        ("bash_progress", bash_progress(), false),
    ];
    let mut group = c.benchmark_group("parse_line");
    for (name, line, has_usage) in &cases {
        // The fixtures must mean what their names say.
        let parsed = LineParser::new().parse(line.as_bytes());
        match (&parsed, has_usage) {
            (Parsed::Entries(e), true) => assert_eq!(e.len(), 1, "{name}"),
            (Parsed::Ignored, false) => {}
            other => panic!("{name}: unexpected {other:?}"),
        }
        group.throughput(Throughput::Bytes(line.len() as u64));
        let mut parser = LineParser::new();
        group.bench_function(*name, |b| {
            b.iter(|| black_box(parser.parse(black_box(line.as_bytes()))))
        });
    }
    group.finish();
}

/// A generated transcript (several sessions, ~6 MiB) concatenated in memory.
fn transcript() -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let opts = GenOptions {
        target_bytes: Some(6 << 20),
        responses_per_session: 60,
        tool_result_bytes: 11_500,
        seed: 5,
        ..GenOptions::default()
    };
    generate_tree(dir.path(), &opts).expect("generate");
    let mut files = Vec::new();
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .iter()
        .flat_map(|p| std::fs::read(p).expect("read"))
        .collect()
}

fn whole_transcript(c: &mut Criterion) {
    let data = transcript();
    let mut group = c.benchmark_group("transcript");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("newline_scan", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', black_box(&data)).count())
    });
    group.bench_function("read_and_parse", |b| {
        b.iter(|| {
            let mut reader = LineReader::new(&data[..], 0, 0, 8 << 20);
            let mut parser = LineParser::new();
            let mut entries = 0usize;
            while let Some(line) = reader.next_line().expect("in-memory read") {
                if let Parsed::Entries(e) = parser.parse(line.bytes) {
                    entries += e.len();
                }
            }
            entries
        })
    });
    group.finish();
}

criterion_group!(benches, lines, whole_transcript);
criterion_main!(benches);
