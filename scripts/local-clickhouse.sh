#!/usr/bin/env bash
# The local ClickHouse for one person's ccsync: 127.0.0.1 only, user `default` without a password.
#
#   scripts/local-clickhouse.sh detect    which engine `install` would use, and why
#   scripts/local-clickhouse.sh install   set it up, install it as the systemd user service
#                                         ccsync-clickhouse.service (or, without systemd, start it
#                                         in the background) and wait until it answers
#   scripts/local-clickhouse.sh start|stop|status
#   scripts/local-clickhouse.sh remove    stop it and remove the service (`ccsync uninstall` does
#                                         too); the data stays
#
# The engine: a real `clickhouse` (or `clickhouse-server`) on PATH when it is new enough for
# ccsync's schema (>= CLICKHOUSE_MIN; Debian's 18.16 is not), with its config and data under
# $XDG_DATA_HOME/ccsync/clickhouse-server; else the ClickHouse engine of chDB (one query at a
# time, fine for one person) in its own Python environment under $XDG_DATA_HOME/ccsync/engine,
# data in $XDG_DATA_HOME/ccsync/clickhouse. Nothing refers back to this checkout, so moving or
# deleting the clone keeps the service working.
#
# Settings: CCSYNC_LOCAL_CLICKHOUSE_PORT (default 8123; install keeps it for the other commands),
# CCSYNC_LOCAL_CLICKHOUSE_DIR (chDB data).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)

CLICKHOUSE_MIN=24.8
CHDB_VERSION=26.9.0
SHARE=${XDG_DATA_HOME:-$HOME/.local/share}/ccsync
ENGINE=$SHARE/engine
# The port chosen at install is kept, so start/stop/status find the engine without the variable.
PORT=${CCSYNC_LOCAL_CLICKHOUSE_PORT:-$(cat "$ENGINE/port" 2>/dev/null || echo 8123)}
LAUNCHER=$ENGINE/run-clickhouse
SERVER_DIR=$SHARE/clickhouse-server
CHDB_DATA=${CCSYNC_LOCAL_CLICKHOUSE_DIR:-$SHARE/clickhouse}
UNIT=ccsync-clickhouse.service
UNIT_FILE=${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user/$UNIT
PIDFILE=$ENGINE/clickhouse.pid
LOG=$ENGINE/clickhouse.log
URL=http://127.0.0.1:$PORT

. "$REPO/scripts/say.sh"
die() { echo "error: $*" >&2; exit 1; }

# "A.B[.C…]" >= "X.Y"?
version_ge() { printf '%s\n%s\n' "$2" "$1" | sort -V -C; }

# Prints "clickhouse PATH VERSION" or "chdb REASON".
detect() {
  local bin path out v
  for bin in clickhouse clickhouse-server; do
    path=$(command -v "$bin" 2>/dev/null) || continue
    out=$("$path" --version 2>/dev/null) || continue
    v=$(grep -oE '[0-9]+\.[0-9]+(\.[0-9]+)*' <<<"$out" | head -n1)
    if [ -n "$v" ] && version_ge "$v" "$CLICKHOUSE_MIN"; then
      echo "clickhouse $path $v"
      return
    fi
    echo "chdb $path is ClickHouse ${v:-of unknown version}; ccsync needs >= $CLICKHOUSE_MIN"
    return
  done
  echo "chdb no clickhouse binary on PATH"
}

ping_ok() { [ "$(curl -fsS --max-time 2 "$URL/ping" 2>/dev/null)" = "Ok." ]; }

systemd_here() { systemctl --user show-environment >/dev/null 2>&1; }

# Config and users for a real server: HTTP on loopback only, no native/MySQL/interserver ports.
write_server_config() {
  mkdir -p "$SERVER_DIR"/{data,tmp,user_files,access,log}
  cat >"$SERVER_DIR/config.xml" <<XML
<clickhouse>
    <logger>
        <level>warning</level>
        <log>$SERVER_DIR/log/clickhouse-server.log</log>
        <errorlog>$SERVER_DIR/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>3</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$PORT</http_port>
    <path>$SERVER_DIR/data/</path>
    <tmp_path>$SERVER_DIR/tmp/</tmp_path>
    <user_files_path>$SERVER_DIR/user_files/</user_files_path>
    <user_directories>
        <users_xml><path>users.xml</path></users_xml>
        <local_directory><path>$SERVER_DIR/access/</path></local_directory>
    </user_directories>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mark_cache_size>268435456</mark_cache_size>
</clickhouse>
XML
  cat >"$SERVER_DIR/users.xml" <<'XML'
<clickhouse>
    <profiles><default/></profiles>
    <quotas><default/></quotas>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
            <access_management>1</access_management>
        </default>
    </users>
</clickhouse>
XML
}

# chDB in a Python environment of its own (the clone's .venv may move or be deleted).
install_chdb() {
  mkdir -p "$ENGINE" "$CHDB_DATA"
  if ! "$ENGINE/venv/bin/python" -c "import chdb, lz4; assert chdb.__version__ == '$CHDB_VERSION'" 2>/dev/null; then
    say "installing the ClickHouse engine (chdb-core $CHDB_VERSION: a ~180 MB download, ~570 MB installed) into $ENGINE/venv"
    if ! python3 -m venv "$ENGINE/venv" >/dev/null 2>&1; then
      # Debian ships venv's pip bootstrap separately.
      rm -rf "$ENGINE/venv"
      command -v apt-get >/dev/null 2>&1 \
        || die "python3 -m venv failed: install Python's venv module, then run this again"
      say "installing python3-venv (Debian package)"
      local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
      $sudo apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv "$ENGINE/venv"
    fi
    "$ENGINE/venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off \
      --no-deps "chdb-core==$CHDB_VERSION" lz4
  fi
  cp "$REPO/scripts/chdb_server.py" "$ENGINE/chdb_server.py"
}

write_launcher() {
  local engine path
  read -r engine path _ <<<"$(detect)"
  mkdir -p "$ENGINE"
  echo "$PORT" >"$ENGINE/port"
  if [ "$engine" = clickhouse ]; then
    write_server_config
    local run=(server); [ "$(basename "$path")" = clickhouse-server ] && run=()
    printf '#!/bin/sh\n# Written by ccsync scripts/local-clickhouse.sh: a real ClickHouse server.\nexec %q %s --config-file=%q\n' \
      "$path" "${run[*]:-}" "$SERVER_DIR/config.xml" >"$LAUNCHER"
  else
    install_chdb
    printf '#!/bin/sh\n# Written by ccsync scripts/local-clickhouse.sh: the ClickHouse engine of chDB.\nexec %q %q --host 127.0.0.1 --port %s --data-dir %q\n' \
      "$ENGINE/venv/bin/python" "$ENGINE/chdb_server.py" "$PORT" "$CHDB_DATA" >"$LAUNCHER"
  fi
  chmod 755 "$LAUNCHER"
}

write_unit() {
  mkdir -p "$(dirname "$UNIT_FILE")"
  local exec=$LAUNCHER
  case "$exec" in *" "*) exec="\"$exec\"" ;; esac
  sed "s|@LAUNCHER@|$exec|" "$REPO/deploy/systemd/$UNIT" >"$UNIT_FILE"
}

wait_ready() {
  for _ in $(seq 1 120); do ping_ok && return 0; sleep 0.5; done
  die "the local ClickHouse did not answer at $URL within 60 s; see $LOG (or journalctl --user -u $UNIT)"
}

start() {
  if ping_ok; then say "the local ClickHouse already answers at $URL"; return; fi
  [ -x "$LAUNCHER" ] || die "not installed yet: run scripts/local-clickhouse.sh install"
  if [ -f "$UNIT_FILE" ] && systemd_here; then
    systemctl --user daemon-reload
    systemctl --user enable --now "$UNIT"
    say "started $UNIT (systemd user service: it comes back after a reboot)"
  else
    nohup "$LAUNCHER" >>"$LOG" 2>&1 &
    echo $! >"$PIDFILE"
    say "no systemd user manager here: started in the background (pid $!, log $LOG);"
    say "after a reboot, start it again with: scripts/local-clickhouse.sh start"
  fi
  wait_ready
}

stop() {
  if [ -f "$UNIT_FILE" ] && systemd_here; then
    systemctl --user stop "$UNIT" || true
  fi
  if [ -f "$PIDFILE" ]; then
    kill "$(cat "$PIDFILE")" 2>/dev/null || true
    rm -f "$PIDFILE"
  fi
  say "stopped the local ClickHouse ($URL)"
}

status() {
  local engine rest
  read -r engine rest <<<"$(detect)"
  echo "engine:   $engine ($rest)"
  echo "launcher: $([ -x "$LAUNCHER" ] && echo "$LAUNCHER" || echo 'not installed')"
  echo "service:  $([ -f "$UNIT_FILE" ] && echo "$UNIT_FILE" || echo 'not installed')"
  if ping_ok; then echo "answers:  $URL"; else echo "answers:  no ($URL)"; return 3; fi
}

remove() {
  if [ -f "$UNIT_FILE" ] && systemd_here; then
    systemctl --user disable --now "$UNIT" || true
  fi
  stop
  rm -f "$UNIT_FILE" "$LAUNCHER"
  systemd_here && systemctl --user daemon-reload || true
  say "removed $UNIT; the data stays in $SHARE (delete it yourself if you want it gone)"
}

case "${1:-}" in
  detect) detect ;;
  install)
    if ping_ok && ! [ -x "$LAUNCHER" ]; then
      die "something else already answers at $URL: use it (CLICKHOUSE_URL=$URL) or pick another port with CCSYNC_LOCAL_CLICKHOUSE_PORT"
    fi
    read -r engine rest <<<"$(detect)"
    if [ "$engine" = clickhouse ]; then
      say "local ClickHouse: the real server ${rest#* } at ${rest%% *}, data in $SERVER_DIR"
    else
      say "local ClickHouse: the chDB engine ($rest), data in $CHDB_DATA"
    fi
    write_launcher
    write_unit
    start
    ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  remove) remove ;;
  *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
