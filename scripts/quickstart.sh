#!/usr/bin/env bash
# One command from a fresh checkout to usage in ClickHouse:
#   1. installs what is missing (scripts/setup.sh) and builds ccsync,
#   2. uses CLICKHOUSE_URL (environment or .env) if set, or a ClickHouse already answering on
#      localhost:8123, and otherwise starts a local one (the ClickHouse engine from chdb-core,
#      data in ~/.local/share/ccsync/clickhouse, listening on 127.0.0.1:8123 only),
#   3. runs one real sync of this machine's Claude Code transcripts (or, on a machine without
#      Claude Code, of generated demo transcripts, and says so),
#   4. shows what landed, per machine and day.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
# A toolchain rustup installed just now is on PATH through this file.
if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
echo "==> building ccsync (release)" >&2
cargo build --release --locked --quiet
BIN="$PWD/target/release/ccsync"

if [ -f .env ]; then set -a; . ./.env; set +a; fi
DATABASE="${CLICKHOUSE_DATABASE:-ccsync}"

if [ -z "${CLICKHOUSE_URL:-}" ]; then
  # The agent's own default: a later `ccsync --once` without settings continues these
  # checkpoints (they are kept per URL) instead of reading every transcript again.
  CLICKHOUSE_URL="http://localhost:8123"
  if [ "$(curl -fsS "$CLICKHOUSE_URL/ping" 2>/dev/null)" = "Ok." ]; then
    echo "==> using the ClickHouse already answering at $CLICKHOUSE_URL" >&2
  else
    DATA="${CCSYNC_LOCAL_CLICKHOUSE_DIR:-$HOME/.local/share/ccsync/clickhouse}"
    mkdir -p "$DATA"
    echo "==> no ClickHouse configured: starting a local one on $CLICKHOUSE_URL (data: $DATA)" >&2
    nohup .venv/bin/python scripts/chdb_server.py --host 127.0.0.1 --port 8123 --data-dir "$DATA" \
      >"$DATA/server.log" 2>&1 &
    echo $! >"$DATA/server.pid"
    for _ in $(seq 1 120); do
      [ "$(curl -fsS "$CLICKHOUSE_URL/ping" 2>/dev/null)" = "Ok." ] && break
      sleep 0.5
    done
    [ "$(curl -fsS "$CLICKHOUSE_URL/ping" 2>/dev/null)" = "Ok." ] || {
      echo "the local ClickHouse did not start; see $DATA/server.log" >&2; exit 1; }
    echo "    (stop it with: kill \$(cat $DATA/server.pid))" >&2
  fi
  export CLICKHOUSE_URL
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
if [ -z "$found" ]; then
  DEMO="${TMPDIR:-/tmp}/ccsync-demo/claude"
  echo "==> no Claude Code transcripts on this machine (looked in ${DIRS[*]})." >&2
  echo "    Demonstrating on generated ones in $DEMO, as machine 'demo-$(hostname)'." >&2
  rm -rf "$DEMO"
  "$BIN" generate --out "$DEMO" --sessions 30 >&2
  export CLAUDE_CONFIG_DIR="$DEMO"
  export MACHINE_NAME="${MACHINE_NAME:-demo-$(hostname)}"
  export CCSYNC_STATE_DIR="${TMPDIR:-/tmp}/ccsync-demo/state"
fi

echo "==> ccsync --once" >&2
"$BIN" --once

echo "==> usage in ClickHouse ($CLICKHOUSE_URL, database $DATABASE), last 14 days with activity" >&2
AUTH=(-H "X-ClickHouse-User: ${CLICKHOUSE_USER:-default}")
[ -n "${CLICKHOUSE_PASSWORD:-}" ] && AUTH+=(-H "X-ClickHouse-Key: $CLICKHOUSE_PASSWORD")
curl -fsS "${AUTH[@]}" "$CLICKHOUSE_URL/?database=$DATABASE" --data-binary @- <<'SQL'
SELECT machine_name AS machine, toDate(timestamp) AS day, count() AS messages,
       sum(input_tokens + output_tokens + cache_creation_input_tokens + cache_read_input_tokens) AS tokens,
       round(sum(cost_usd), 2) AS cost_usd
FROM usage_events FINAL
GROUP BY machine, day
ORDER BY day DESC, machine
LIMIT 14
FORMAT PrettyCompactMonoBlock
SQL
