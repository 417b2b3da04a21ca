#!/usr/bin/env bash
# One command from a fresh checkout to usage in ClickHouse, and on to daily use:
#   1. installs the toolchain if needed (scripts/setup.sh) and builds ccsync,
#   2. uses CLICKHOUSE_URL (environment or .env) if set, or a ClickHouse already answering on
#      localhost:8123, and otherwise sets up a local one that survives a reboot
#      (scripts/local-clickhouse.sh: 127.0.0.1 only, data under ~/.local/share/ccsync),
#   3. installs the binary to ~/.local/bin and writes the connection it used to
#      ~/.config/ccsync/ccsync.env (kept if it exists), so plain `ccsync …` continues from here,
#   4. runs one real sync of this machine's Claude Code transcripts (or, on a machine without
#      Claude Code, of generated demo transcripts under ~/.local/share/ccsync/demo, as machine
#      demo-HOSTNAME; nothing about the demo becomes a default), and shows what landed.
# CCSYNC_QUICKSTART_BIN=PATH uses that ccsync binary instead of setting up and building one (the
# tests use it; so can a packager).
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/say.sh

BUILT="${CCSYNC_QUICKSTART_BIN:-}"
if [ -z "$BUILT" ]; then
  scripts/setup.sh
  # A toolchain rustup installed just now is on PATH through this file.
  if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
  say "building ccsync (release; a few minutes on 2 cores the first time)"
  cargo build --release --locked
  BUILT=target/release/ccsync
fi

BIN_DIR="$HOME/.local/bin"
mkdir -p "$BIN_DIR"
install -m 755 "$BUILT" "$BIN_DIR/ccsync.new" && mv -f "$BIN_DIR/ccsync.new" "$BIN_DIR/ccsync"
BIN="$BIN_DIR/ccsync"
say "installed $BIN"

if [ -f .env ]; then set -a; . ./.env; set +a; fi
CONFIG="$HOME/.config/ccsync/ccsync.env"
if [ -z "${CLICKHOUSE_URL:-}" ] && [ -f "$CONFIG" ]; then
  # A previous quick start (or `ccsync install`) chose the database: continue with it.
  CLICKHOUSE_URL=$(set -a; . "$CONFIG"; echo "${CLICKHOUSE_URL:-}")
  [ -n "$CLICKHOUSE_URL" ] && say "using CLICKHOUSE_URL from $CONFIG: $CLICKHOUSE_URL"
fi
if [ -z "${CLICKHOUSE_URL:-}" ]; then
  CLICKHOUSE_URL="http://localhost:${CCSYNC_LOCAL_CLICKHOUSE_PORT:-8123}"
  if [ "$(curl -fsS "$CLICKHOUSE_URL/ping" 2>/dev/null)" = "Ok." ]; then
    say "using the ClickHouse already answering at $CLICKHOUSE_URL"
  else
    say "no ClickHouse configured: setting up a local one (scripts/local-clickhouse.sh)"
    scripts/local-clickhouse.sh install
  fi
fi
export CLICKHOUSE_URL
DATABASE="${CLICKHOUSE_DATABASE:-ccsync}"

if [ ! -f "$CONFIG" ]; then
  # Only the connection: every other setting keeps its default for real use. 0600: a
  # password from .env may be in it.
  mkdir -p "$(dirname "$CONFIG")"
  (
    umask 077
    {
      echo "# Written by scripts/quickstart.sh: the ClickHouse ccsync syncs into. All settings: .env.example."
      echo "CLICKHOUSE_URL='$CLICKHOUSE_URL'"
      echo "CLICKHOUSE_DATABASE='$DATABASE'"
      [ -n "${CLICKHOUSE_USER:-}" ] && echo "CLICKHOUSE_USER='$CLICKHOUSE_USER'"
      [ -n "${CLICKHOUSE_PASSWORD_FILE:-}" ] && echo "CLICKHOUSE_PASSWORD_FILE='$CLICKHOUSE_PASSWORD_FILE'"
      case "${CLICKHOUSE_PASSWORD:-}" in
        "") ;;
        *"'"*) echo "# The password (in .env) holds a quote: set CLICKHOUSE_PASSWORD here yourself." ;;
        *) echo "CLICKHOUSE_PASSWORD='$CLICKHOUSE_PASSWORD'" ;;
      esac
    } >"$CONFIG"
  )
  say "wrote the connection to $CONFIG"
fi

# Transcript dirs, as Claude Code and ccusage resolve them.
IFS=',' read -r -a DIRS <<<"${CLAUDE_CONFIG_DIR:-${XDG_CONFIG_HOME:-$HOME/.config}/claude,$HOME/.claude}"
found=""
for d in "${DIRS[@]}"; do
  d="${d/#\~/$HOME}"
  if [ -d "$d" ] && [ -n "$(find "$d" -name '*.jsonl' -path '*projects*' -print -quit 2>/dev/null)" ]; then
    found=1
  fi
done
DEMO_ENV=()
SHOWN="$DATABASE"
if [ -z "$found" ]; then
  DEMO="${XDG_DATA_HOME:-$HOME/.local/share}/ccsync/demo"
  DEMO_MACHINE="demo-$(hostname)"
  DEMO_DATABASE="${DATABASE}_demo"
  say "no Claude Code transcripts on this machine (looked in ${DIRS[*]})."
  say "demonstrating on generated ones in $DEMO/claude, as machine '$DEMO_MACHINE', in database $DEMO_DATABASE"
  rm -rf "$DEMO/claude"
  "$BIN" generate --out "$DEMO/claude" --sessions 30 >&2
  # For these commands only: real use keeps the defaults (your transcripts, your hostname, and
  # a database with none of the demo's made-up usage in it).
  DEMO_ENV=(CLAUDE_CONFIG_DIR="$DEMO/claude" MACHINE_NAME="$DEMO_MACHINE" CCSYNC_STATE_DIR="$DEMO/state"
    CLICKHOUSE_DATABASE="$DEMO_DATABASE")
  SHOWN="$DEMO_DATABASE"
  say "ccsync schema apply (your own database, $DATABASE: empty until your first sync)"
  "$BIN" schema apply >&2
fi

say "ccsync --once"
env "${DEMO_ENV[@]}" "$BIN" --once

say "usage in ClickHouse ($CLICKHOUSE_URL, database $SHOWN), per machine and day"
env "${DEMO_ENV[@]}" "$BIN" query daily_by_machine -p since="$(date -u -d '13 days ago' +%F)"

cat >&2 <<EOF

Done. ccsync is installed at $BIN and finds its database through $CONFIG.
$(case ":$PATH:" in *":$BIN_DIR:"*) ;; *) echo "Add $BIN_DIR to PATH first (e.g. in ~/.profile: export PATH=\"\$HOME/.local/bin:\$PATH\")." ;; esac)
Next steps:
  ccsync report daily            ccusage's daily report for every machine (weekly, monthly, session, blocks)
  ccsync status                  per machine: last sync, rows, lag
  ccsync query --list            the query pack; e.g. ccsync query overview
  ccsync install --enable        sync every hour (systemd user timer)
  ccsync doctor                  check the whole set-up
EOF
if [ -n "$found" ]; then
  echo "  ccsync --once                  sync what is new now (the timer does it hourly)" >&2
else
  cat >&2 <<EOF
This machine has no Claude Code transcripts yet: once it has, \`ccsync --once\` syncs them into
$DATABASE under its own name. The demo's made-up usage is in a database of its own, $DEMO_DATABASE
(machine '$DEMO_MACHINE'), so your record starts clean; every command shows it with that database:
  CLICKHOUSE_DATABASE=$DEMO_DATABASE ccsync report daily
Remove it when done: DROP DATABASE $DEMO_DATABASE (e.g. curl "$CLICKHOUSE_URL" --data-binary 'DROP DATABASE $DEMO_DATABASE'), and $DEMO.
EOF
fi
if [ -x "${XDG_DATA_HOME:-$HOME/.local/share}/ccsync/engine/run-clickhouse" ]; then
  echo "The local ClickHouse: scripts/local-clickhouse.sh status|stop|start|remove (see README)." >&2
fi
