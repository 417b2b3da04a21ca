//! The account of a run's rows, and `machine_accounts`: the agent records the account signed in
//! on its machine each time it differs from the one it recorded last (kept in the state dir),
//! so an unchanged account costs nothing.

use std::path::PathBuf;

use crate::config::Config;
use crate::error::Result;
use crate::source::claude::account::Account;
use crate::store::client::Sink;

/// The run's account, and a warning when Claude Code's `.claude.json` could not be read.
pub(super) fn of_run(cfg: &Config) -> (Option<Account>, Option<String>) {
    match cfg.account() {
        Ok(account) => (account, None),
        Err(why) => (None, Some(format!("the Claude account is unknown: {why}"))),
    }
}

fn recorded_path(cfg: &Config) -> PathBuf {
    crate::state::target_path(&cfg.state_dir, "account", &super::target_id(cfg))
}

/// Records `account` for this machine unless it is the one recorded last.
pub(super) async fn record(cfg: &Config, sink: &Sink, account: &Account) -> Result<()> {
    let path = recorded_path(cfg);
    let line = format!("{}\n{}\n", account.id, account.email);
    if std::fs::read_to_string(&path).is_ok_and(|old| old == line) {
        return Ok(());
    }
    let (machine, now) = (&cfg.machine_name, super::now_ms());
    sink.record_account(
        machine,
        crate::CLAUDE_SOURCE,
        &account.id,
        &account.email,
        now,
    )
    .await?;
    if let Err(e) = crate::sealed::write_atomically(&path, line.as_bytes(), false) {
        // Recorded again next run: harmless (readers take the first time seen).
        tracing::warn!("cannot save {}: {e}", path.display());
    }
    Ok(())
}
