//! `ccsync generate`: synthetic transcripts for the demo and the benchmarks.

use std::process::ExitCode;

use super::GenerateArgs;

pub(super) fn run(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    // One "now" for the days covered and the moment no event may pass.
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let opts = crate::generate::GenOptions {
        sessions: args.sessions,
        responses_per_session: args.responses,
        tool_result_bytes: args.tool_result_bytes,
        malformed_every: args.malformed_every,
        seed: args.seed,
        start_day: match &args.start {
            Some(date) => crate::time::parse_timestamp_ms(&format!("{date}T00:00:00Z"))
                .ok_or_else(|| anyhow::anyhow!("--start must be YYYY-MM-DD, got {date:?}"))?
                .div_euclid(86_400_000),
            None => now_ms.div_euclid(86_400_000) - (args.days.max(1) - 1),
        },
        days: args.days.max(1),
        target_bytes: args.target_bytes,
        huge_line_mb: args.huge_line_mb,
        // Without an explicit start, the demo's days end now, not hours ahead of it.
        not_after_ms: args.start.is_none().then_some(now_ms),
    };
    let (files, bytes) = crate::generate::generate(&args.out, &opts)?;
    println!(
        "wrote {files} transcript files ({}) under {}",
        crate::table::bytes(bytes),
        args.out.join("projects").display()
    );
    Ok(ExitCode::SUCCESS)
}
