//! `ccsync scan`: an agent's daily report from this machine's files, no server.

use std::process::ExitCode;

use crate::config::Config;

use super::ScanArgs;

pub(super) async fn run(cfg: &Config, args: ScanArgs) -> anyhow::Result<ExitCode> {
    // Usage mistakes exit 2 (like clap's), before anything is read.
    let range = match crate::report::DateRange::new(args.since, args.until) {
        Ok(range) => range,
        Err(e) => return Ok(super::usage_error(e)),
    };
    let zone = args.timezone.unwrap_or_else(crate::report::Zone::system);
    let source = crate::source::for_agent(
        args.agent,
        &cfg.claude_dirs,
        cfg.cost_mode,
        &cfg.codex_homes,
    );
    let report = tokio::task::spawn_blocking(move || source.daily(zone, range)).await??;
    if args.json {
        println!("{}", report.json());
    } else {
        report.print_table();
    }
    Ok(ExitCode::SUCCESS)
}
