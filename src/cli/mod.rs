//! The command line. `main.rs` only calls [`main`], which loads the env files, parses the
//! arguments, resolves the configuration and runs one command; a reader that goes away ends it
//! quietly. One file per command:
//!
//! - `args.rs`: what each command takes; `settings.rs`: the settings and their resolution;
//! - `sync.rs` (`sync`, bare `ccsync`), `status.rs`, `doctor.rs`, `install.rs` (`install`,
//!   `uninstall`), `schema.rs` (`schema apply`), `scan.rs`, `report/` (options, reading, rendering; `codex.rs`: `--agent codex`), `generate.rs`, `query.rs`, `prices.rs`.

mod args;
mod doctor;
mod generate;
mod install;
mod prices;
mod query;
mod report;
mod scan;
mod schema;
mod settings;
mod status;
mod sync;

use std::process::ExitCode;

pub use args::*;
pub use settings::*;

use crate::config::Config;

pub fn main() -> ExitCode {
    quiet_on_closed_stdout();
    if let Err(e) = load_env_files() {
        eprintln!("ccsync: {e}");
        return ExitCode::from(2);
    }
    let Cli {
        command,
        sync,
        global,
    } = Cli::parse_checked();
    global.init_logging();
    let env = sync.settings.clone();
    let command = command.unwrap_or(Command::Sync(sync));
    let cfg = match command.settings(env).resolve() {
        Ok(cfg) => cfg,
        Err(e) if matches!(command, Command::Doctor(_)) => {
            println!("✗ configuration valid: {e}\n    fix: see .env.example for every setting");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("ccsync: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(file) = &cfg.pricing_file {
        // Nothing has been priced yet: the table is built with the file on first use.
        crate::price::use_pricing_file(file);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ccsync: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let syncs = matches!(command, Command::Sync(_));
    let result = runtime.block_on(run(command, cfg, global.quiet));
    // Nothing is left to wait for (the lock is released, the output written).
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(e) if reader_went_away(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ccsync: error: {e:#}");
            if syncs && failed_in_transit(&e) {
                // Only a sync has checkpoints to worry about.
                eprintln!("  nothing unacknowledged was checkpointed: the next run catches up");
            }
            ExitCode::FAILURE
        }
    }
}

/// Whether a ClickHouse request failed on the way (timeout, overload, network), as opposed to
/// a refusal: then a sync's user wants to know that nothing was lost.
fn failed_in_transit(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<crate::error::Error>()
            .is_some_and(|e| e.is_retryable() || e.is_unreachable())
    })
}

/// A reader that goes away (`ccsync … | head`) ends the command quietly with 0, as `head`
/// expects. Rust's print macros panic on a closed stdout: for that one panic the hook exits
/// instead (what was synced is checkpointed before anything is printed); any other panic is
/// reported as usual.
fn quiet_on_closed_stdout() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        report(info);
    }));
}

/// Whether a command failed only because its output's reader closed the pipe.
fn reader_went_away(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

async fn run(command: Command, cfg: Config, quiet: bool) -> anyhow::Result<ExitCode> {
    match command {
        Command::Sync(args) if args.once => sync::once(&cfg, &args, quiet).await,
        Command::Sync(args) => sync::daemon(&cfg, &args, quiet).await,
        Command::Schema(SchemaCommand::Apply(_)) => schema::apply(&cfg).await,
        Command::Install(args) => install::install(&cfg, &args),
        Command::Status(args) => status::run(&cfg, &args).await,
        Command::Doctor(args) => doctor::run(&cfg, &args).await,
        Command::Uninstall(args) => install::uninstall(&args),
        Command::Generate(args) => generate::run(&args),
        Command::Query(args) => query::run(&cfg, args.query).await,
        Command::Prices(args) => prices::run(&args),
        Command::Scan(args) => scan::run(&cfg, args).await,
        Command::Report(r) => report::run(&cfg, r.kind).await,
    }
}
