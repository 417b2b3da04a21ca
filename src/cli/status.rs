//! `ccsync status`: per machine, the last sync, the last event, rows and lag; exit 3 when a
//! machine went stale.

use std::process::ExitCode;
use std::time::Duration;

use crate::config::Config;

use super::StatusArgs;

pub(super) async fn run(cfg: &Config, args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let report = crate::ops::status(cfg, args.interval).await?;
    let stale = report.machines.iter().any(|m| m.stale);
    if stale {
        super::failing_with(3);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_status(&report);
    }
    Ok(if stale {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_status(report: &crate::ops::StatusReport) {
    use crate::table::Kind;
    use serde_json::Value;
    if report.machines.is_empty() {
        println!("no machine has synced into this database yet (run `ccsync --once`)");
        return;
    }
    let now = report.now_ms;
    let when = |ms: i64| {
        if ms > 0 {
            crate::ops::ago((now - ms) / 1000)
        } else {
            "never".into()
        }
    };
    let columns = [
        ("Machine", Kind::Text),
        ("Last successful sync", Kind::Text),
        ("Last run", Kind::Text),
        ("Last event", Kind::Text),
        ("Rows", Kind::Integer),
        ("Cost 30d", Kind::Money),
        ("State", Kind::Text),
    ]
    .map(|(name, kind)| (name.to_string(), kind));
    let mut rows = Vec::new();
    for m in &report.machines {
        let s = &m.status;
        let flag = if m.never_synced() {
            "⚠ never synced"
        } else if m.stale {
            "⚠ stale"
        } else if s.last_status == "failed" {
            "⚠ last run failed"
        } else if s.last_status == "partial" {
            "⚠ last run partial"
        } else if s.rollup_pending > 0 {
            "⚠ reports behind"
        } else {
            "ok"
        };
        rows.push(vec![
            Value::from(s.machine_name.as_str()),
            Value::from(when(s.last_success_ms)),
            Value::from(format!("{} ({})", when(s.last_run_ms), s.last_status)),
            Value::from(when(s.last_event_ms)),
            Value::from(s.rows),
            Value::from(s.cost_usd_30d),
            Value::from(flag),
        ]);
    }
    print!(
        "{}",
        crate::table::render(&columns, &rows, crate::table::output_width())
    );
    for m in report.machines.iter().filter(|m| m.stale) {
        let name = &m.status.machine_name;
        if m.never_synced() {
            println!("warning: {name} has never synced successfully (check `ccsync doctor` there)");
            continue;
        }
        println!(
            "warning: {name} has not synced successfully for more than 2 × {} (check `ccsync doctor` there)",
            humantime::format_duration(Duration::from_secs(report.interval_secs))
        );
    }
    for m in &report.machines {
        let s = &m.status;
        match s.last_status.as_str() {
            "failed" => println!("last error on {}: {}", s.machine_name, s.last_error),
            "partial" => println!(
                "last run on {} was partial: some transcripts or folders could not be read (its warnings name them; run `ccsync --once` or `ccsync doctor` there)",
                s.machine_name
            ),
            _ => {}
        }
    }
    for m in report
        .machines
        .iter()
        .filter(|m| m.status.rollup_pending > 0)
    {
        println!(
            "note: on {}, {} 15-minute period(s) of usage_rollup (what reports and dashboards read) are not yet refreshed; its next successful run does it (usage_events is complete)",
            m.status.machine_name, m.status.rollup_pending
        );
    }
}
