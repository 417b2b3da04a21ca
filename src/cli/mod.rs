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
use std::sync::atomic::{AtomicU8, Ordering};

pub use args::*;
pub use settings::*;

use crate::config::Config;

pub fn main() -> ExitCode {
    quiet_on_closed_output();
    if let Err(e) = load_env_files() {
        return usage_error(e);
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
        Err(e) => return usage_error(e),
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
            failing_with(1);
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

/// The exit code when stderr's reader is gone: 0 as for stdout, unless the command is failing
/// (set just before its error is printed), so `ccsync query nope 2>&1 | …` still exits 2.
static STDERR_GONE_EXIT: AtomicU8 = AtomicU8::new(0);

/// The command ends with `code` (not 0): so it does if stderr's reader goes away while it says
/// why.
pub(crate) fn failing_with(code: u8) {
    STDERR_GONE_EXIT.store(code, Ordering::Relaxed);
}

/// A usage mistake: its message on stderr and exit 2 (like clap's), also when nobody reads
/// stderr any more.
pub(crate) fn usage_error(message: impl std::fmt::Display) -> ExitCode {
    failing_with(2);
    eprintln!("ccsync: {message}");
    ExitCode::from(2)
}

/// A reader that goes away (`ccsync … | head`) ends the command quietly with 0, as `head`
/// expects. Rust's print macros panic on a closed stdout or stderr: for those panics the hook
/// exits instead (what was synced is checkpointed before anything is printed; a run ended
/// mid-way is one killed, which loses nothing); any other panic is reported as usual.
fn quiet_on_closed_output() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("Broken pipe") {
            if message.starts_with("failed printing to stdout") {
                std::process::exit(0);
            }
            if message.starts_with("failed printing to stderr") {
                std::process::exit(i32::from(STDERR_GONE_EXIT.load(Ordering::Relaxed)));
            }
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
