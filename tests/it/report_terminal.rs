//! The report tables in a real terminal (tmux): they fit its width, whatever it is. On a wide
//! terminal, every column and the cost bar; on a narrow one, ccusage's compact columns as a table
//! (the bar left out where it would not fit), never lines wider than the screen; the zone in the
//! header, thousands separators and dollars either way.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::parity::edge_case_tree;

const TMUX_MISSING: &str = "this test runs ccsync in a real terminal (tmux), which is not \
     installed: run scripts/setup.sh --with-ccusage, or `apt-get install tmux`";

/// A tmux server of its own (its socket named after the test), killed when dropped.
struct Terminal {
    socket: String,
}

impl Terminal {
    /// `ccsync ARGS` in a `width` × 60 terminal over the transcripts in `dirs`; the screen once
    /// the command has finished.
    fn run(name: &str, width: u16, dirs: &[&Path], args: &[&str]) -> String {
        let term = Terminal {
            socket: format!("ccsync-{name}-{}", std::process::id()),
        };
        let home = tempfile::tempdir().unwrap();
        let joined: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        let bin = env!("CARGO_BIN_EXE_ccsync");
        // The command, then a marker: the screen is read once the marker shows.
        let script = format!(
            "env -i PATH=/usr/bin:/bin HOME={home} TERM=xterm-256color CLAUDE_CONFIG_DIR={dirs} \
             CODEX_HOME={home}/none {bin} {args}; echo __DONE__; sleep 60",
            home = home.path().display(),
            dirs = joined.join(","),
            args = args.join(" "),
        );
        let size = width.to_string();
        let started = term.tmux(&[
            "new-session",
            "-d",
            "-x",
            &size,
            "-y",
            "60",
            "-s",
            "t",
            &script,
        ]);
        assert!(started.status.success(), "tmux: {started:?}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = term.tmux(&["capture-pane", "-p", "-J", "-t", "t", "-S", "-"]);
            let text = String::from_utf8_lossy(&screen.stdout).to_string();
            if let Some(done) = text.find("__DONE__") {
                return text[..done].to_string();
            }
            assert!(Instant::now() < deadline, "no end of output:\n{text}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{TMUX_MISSING} ({e})"))
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// The widest line of the table or of its blocks of lines (`capture-pane -J` joins the lines
/// the terminal wrapped, so a line wider than the screen shows as one); prose under it (what
/// was read, warnings) may wrap.
fn widest_line(screen: &str) -> usize {
    let table = (screen.lines()).filter(|l| l.starts_with(['┌', '│', '╞', '├', '└', '─', ' ']));
    table.map(|l| l.chars().count()).max().unwrap_or(0)
}

fn tree() -> (tempfile::TempDir, Vec<std::path::PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = edge_case_tree(dir.path());
    (dir, vec![a, b])
}

#[test]
fn a_wide_terminal_shows_every_column_and_the_cost_bar() {
    let (_dir, dirs) = tree();
    let dirs: Vec<&Path> = dirs.iter().map(|d| d.as_path()).collect();
    let args = [
        "report", "daily", "--local", "--agent", "claude", "-z", "UTC",
    ];
    let screen = Terminal::run("wide", 160, &dirs, &args);
    assert!(
        widest_line(&screen) <= 160,
        "wider than the terminal:\n{screen}"
    );
    for expected in [
        "Date (UTC)",
        "Cache create",
        "Cache read",
        "Total tokens",
        "Total",
        "█",
    ] {
        assert!(screen.contains(expected), "no {expected:?}:\n{screen}");
    }
    assert!(
        screen.contains(",") && screen.contains('$'),
        "no separators or dollars:\n{screen}"
    );
    assert!(
        !screen.contains("─[ row"),
        "one block per row on a wide terminal:\n{screen}"
    );
}

#[test]
fn a_narrow_terminal_gets_the_compact_table_within_its_width() {
    let (_dir, dirs) = tree();
    let dirs: Vec<&Path> = dirs.iter().map(|d| d.as_path()).collect();
    for report in ["daily", "weekly", "monthly", "session"] {
        let args = [
            "report", report, "--local", "--agent", "claude", "-z", "UTC",
        ];
        let screen = Terminal::run(&format!("narrow-{report}"), 80, &dirs, &args);
        assert!(
            widest_line(&screen) <= 80,
            "{report}: wider than 80 columns:\n{screen}"
        );
        assert!(
            !screen.contains("Cache read"),
            "{report}: not compact:\n{screen}"
        );
        assert!(screen.contains('$'), "{report}: no dollars:\n{screen}");
        // Sessions' ids and projects are long: a block of lines per session is fine there.
        if report != "session" {
            assert!(screen.contains("│ Total"), "{report}: no table:\n{screen}");
        }
    }
}
