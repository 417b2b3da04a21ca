//! `ccsync doctor`: ✓/✗ checks of the whole set-up, each failed one with its fix.

use std::process::ExitCode;

use crate::config::Config;

use super::DoctorArgs;

pub(super) async fn run(cfg: &Config, args: &DoctorArgs) -> anyhow::Result<ExitCode> {
    let checks = crate::ops::doctor(cfg).await;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&checks)?);
    } else {
        for c in &checks {
            println!("{} {}: {}", if c.ok { "✓" } else { "✗" }, c.name, c.detail);
            if let Some(fix) = &c.fix {
                println!("    fix: {fix}");
            }
        }
    }
    let failed = checks.iter().filter(|c| !c.ok).count();
    if !args.json {
        println!(
            "{}",
            if failed == 0 {
                "all checks passed".to_string()
            } else {
                format!("{failed} check(s) failed")
            }
        );
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
