#!/usr/bin/env bash
# Installs what building ccsync (and, with --with-ccusage, testing and benchmarking it) needs on a
# fresh Debian/Ubuntu machine, idempotently:
#   - Rust >= Cargo.toml's rust-version (rustup's stable; rustup itself if missing) and a C compiler,
#   - tests only: the ClickHouse engine, chdb-core in ./.venv (+ lz4 for fast inserts),
#   - tests only: ccusage 20.0.24 in ./.tools (the reference our totals must equal),
#   - tests only: libfaketime (Debian package `faketime`: one test runs the agent with its clock set back).
# Usage: scripts/setup.sh [--with-ccusage]
set -euo pipefail
cd "$(dirname "$0")/.."

CHDB_VERSION=26.9.0
CCUSAGE_VERSION=20.0.24

. scripts/say.sh

apt_install() {
  if command -v apt-get >/dev/null 2>&1; then
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq && $sudo apt-get install -y -qq "$@" >/dev/null
  else
    echo "please install: $*" >&2; exit 1
  fi
}

# Rust: the version Cargo.toml asks for, from rustup (Debian's rustc is too old to build ccsync).
# The release the checks run on (newer ones may add lints); used when none is usable.
RUST_TESTED=1.95.0
RUST_MIN=$(sed -n 's/^rust-version *= *"\(.*\)"/\1/p' Cargo.toml)
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
rust_ok() {
  local v
  v=$(rustc --version 2>/dev/null | awk '{print $2}') && [ -n "$v" ] \
    && printf '%s\n%s\n' "$RUST_MIN" "$v" | sort -V -C && cargo --version >/dev/null 2>&1
}
if ! rust_ok; then
  found=$(rustc --version 2>/dev/null || echo "no usable rustc")
  if ! command -v rustup >/dev/null 2>&1; then
    say "installing rustup into ~/.cargo (found $found; ccsync needs Rust >= $RUST_MIN)"
    init=$(mktemp)
    curl --proto '=https' --tlsv1.2 -fsSL -o "$init" \
      "https://static.rust-lang.org/rustup/dist/$(uname -m)-unknown-linux-gnu/rustup-init"
    chmod +x "$init" && "$init" -y -q --no-modify-path --profile minimal --default-toolchain none
    rm -f "$init"
    . "$HOME/.cargo/env"
  fi
  say "installing Rust $RUST_TESTED with rustup (found $found; ccsync needs Rust >= $RUST_MIN)"
  rustup toolchain install "$RUST_TESTED" --profile minimal -c rustfmt -c clippy --no-self-update
  rustup default "$RUST_TESTED"
  if ! rust_ok; then
    echo "error: still no Rust >= $RUST_MIN after rustup ($(rustc --version 2>&1)). Install it from https://rustup.rs, then run this again." >&2
    exit 1
  fi
fi
if ! command -v cc >/dev/null 2>&1; then
  say "installing a C compiler (Debian package build-essential)"
  apt_install build-essential
fi
if ! command -v python3 >/dev/null 2>&1; then
  say "installing Python 3"
  apt_install python3 python3-venv python3-pip
fi
if ! command -v openssl >/dev/null 2>&1; then
  apt_install openssl
fi
if ! command -v curl >/dev/null 2>&1; then
  apt_install curl
fi
if [ "${1:-}" = "--with-ccusage" ] && ! command -v faketime >/dev/null 2>&1; then
  say "installing libfaketime (Debian package faketime, for the tests)"
  apt_install faketime
fi
if [ "${1:-}" = "--with-ccusage" ] && ! command -v tmux >/dev/null 2>&1; then
  say "installing tmux (the report tables are tested in a real terminal)"
  apt_install tmux
fi

# The tests' and benchmarks' engine (the quick start's local one lives outside the clone: see
# scripts/local-clickhouse.sh).
if [ "${1:-}" = "--with-ccusage" ] \
  && ! .venv/bin/python -c "import chdb, lz4; assert chdb.__version__ == '$CHDB_VERSION'" 2>/dev/null; then
  say "installing the ClickHouse engine for the tests (chdb-core $CHDB_VERSION: a ~180 MB download, ~570 MB installed) into .venv"
  if ! python3 -m venv .venv 2>/dev/null; then
    apt_install python3-venv
    python3 -m venv .venv
  fi
  .venv/bin/python -m pip install --disable-pip-version-check --progress-bar off --no-deps "chdb-core==$CHDB_VERSION" lz4
fi

if [ "${1:-}" = "--with-ccusage" ] && [ ! -x .tools/node_modules/.bin/ccusage ]; then
  say "installing ccusage $CCUSAGE_VERSION into .tools (reference for parity tests)"
  if ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
  fi
  mkdir -p .tools
  npm install --silent --no-audit --no-fund --prefix .tools "ccusage@$CCUSAGE_VERSION" >/dev/null
fi
