//! `ccsync install` and `uninstall`: the systemd user units and the env file.

use std::process::ExitCode;

use anyhow::Context;

use crate::config::{Config, Host};

use super::{InstallArgs, UninstallArgs};

pub(super) fn install(cfg: &Config, args: &InstallArgs) -> anyhow::Result<ExitCode> {
    use crate::install;
    let host = Host::current();
    let home = host.home.clone().context("HOME is not set")?;
    let bin = std::env::current_exe().context("cannot find the ccsync binary's path")?;
    if args.print {
        println!(
            "# ~/.config/systemd/user/ccsync.service\n{}",
            install::service_unit(&bin, &home)
        );
        println!("# ~/.config/systemd/user/ccsync.timer\n{}", install::TIMER);
        // The launchd agent only where it applies.
        if cfg!(target_os = "macos") {
            println!(
                "# ~/Library/LaunchAgents/com.github.ccsync.plist\n{}",
                install::LAUNCHD_PLIST
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let paths = install::Paths::for_home(&home, host.xdg_config_home.as_deref());
    let out = install::install(&paths, cfg, &bin, &home, args.enable)?;
    for f in &out.written {
        println!("wrote    {}", f.display());
    }
    for f in &out.kept {
        println!(
            "kept     {} (its settings are those in effect)",
            f.display()
        );
    }
    for f in &out.backed_up {
        println!("saved    {} (the settings it replaced)", f.display());
    }
    for cmd in &out.ran {
        println!("ran      {cmd}");
    }
    if !args.enable {
        println!("\nTo start the hourly sync:");
        for cmd in install::ENABLE_COMMANDS {
            println!("  {}", cmd.join(" "));
        }
    }
    println!(
        "\nOn a machine nobody stays logged into, let user timers run anyway:\n  loginctl enable-linger {}",
        std::env::var("USER").unwrap_or_else(|_| "$USER".into())
    );
    println!("Check it with: ccsync doctor   ·   systemctl --user list-timers ccsync.timer");
    Ok(ExitCode::SUCCESS)
}

pub(super) fn uninstall(args: &UninstallArgs) -> anyhow::Result<ExitCode> {
    let host = Host::current();
    let home = host.home.context("HOME is not set")?;
    let paths = crate::install::Paths::for_home(&home, host.xdg_config_home.as_deref());
    let data = (host.xdg_data_home.clone()).unwrap_or_else(|| home.join(".local/share"));
    let pidfile = data.join("ccsync/engine/clickhouse.pid");
    let out = crate::install::uninstall(&paths, &pidfile, !args.no_systemctl, args.purge)?;
    for cmd in &out.ran {
        println!("ran      {cmd}");
    }
    if let Some(why) = &out.systemd_unavailable {
        println!("skipped  systemctl: no systemd user manager here ({why}); nothing to stop");
    }
    for f in &out.removed {
        println!("removed  {}", f.display());
    }
    if let Some(pid) = out.stopped_engine {
        println!("stopped  the local ClickHouse running in the background (pid {pid})");
    }
    if out.removed.contains(&paths.local_clickhouse()) || out.stopped_engine.is_some() {
        println!("kept     the local ClickHouse's data (under ~/.local/share/ccsync)");
    }
    if out.removed.is_empty() {
        println!("nothing to remove: ccsync units are not installed");
    }
    if !args.purge && paths.env_file.exists() {
        println!("kept     {} (--purge deletes it)", paths.env_file.display());
    }
    Ok(ExitCode::SUCCESS)
}
