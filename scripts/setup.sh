#!/usr/bin/env bash
# Installs what ccsync's tests and quickstart need on a fresh Debian/Ubuntu machine, idempotently:
#   - a Rust toolchain (rustup's cargo; Debian's if rustup is unavailable),
#   - the ClickHouse engine for tests/quickstart: chdb-core in ./.venv (+ lz4 for fast inserts),
#   - ccusage 20.0.24 in ./.tools (the reference our totals must equal; tests only),
#   - libfaketime (Debian package `faketime`; tests only: one runs the agent with its clock set back).
# Usage: scripts/setup.sh [--with-ccusage]   (--with-ccusage: also what only the tests need)
set -euo pipefail
cd "$(dirname "$0")/.."

CHDB_VERSION=26.9.0
CCUSAGE_VERSION=20.0.24

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

apt_install() {
  if command -v apt-get >/dev/null 2>&1; then
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq && $sudo apt-get install -y -qq "$@" >/dev/null
  else
    echo "please install: $*" >&2; exit 1
  fi
}

if ! command -v cargo >/dev/null 2>&1; then
  say "installing Rust (Debian packages)"
  apt_install cargo rustc
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

if ! .venv/bin/python -c "import chdb, lz4; assert chdb.__version__ == '$CHDB_VERSION'" 2>/dev/null; then
  say "installing the ClickHouse engine (chdb-core $CHDB_VERSION) into .venv"
  if ! python3 -m venv .venv 2>/dev/null; then
    apt_install python3-venv
    python3 -m venv .venv
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps "chdb-core==$CHDB_VERSION"
  .venv/bin/python -m pip install -q --disable-pip-version-check lz4
fi

if [ "${1:-}" = "--with-ccusage" ] && [ ! -x .tools/node_modules/.bin/ccusage ]; then
  say "installing ccusage $CCUSAGE_VERSION into .tools (reference for parity tests)"
  if ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
  fi
  mkdir -p .tools
  npm install --silent --no-audit --no-fund --prefix .tools "ccusage@$CCUSAGE_VERSION" >/dev/null
fi
