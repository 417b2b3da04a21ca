#!/usr/bin/env bash
# The benchmark of issue 5, in one command: generates a ~2 GiB transcript tree once (cached), then
# measures side by side, with several runs and medians, `cat` of all files (the floor), ccusage,
# `ccsync scan`, a full `ccsync --once` into a fresh local ClickHouse, a second one with nothing
# new, one after appending 1 MiB, the peak RSS with a single 200 MiB line, and every query of
# queries/ on 10M generated rows. Also checks that scan and the database equal ccusage's totals
# (fails loudly otherwise). Writes BENCHMARKS.md (wall, CPU, peak RSS, ratios to the targets,
# machine description).
#
# Usage: scripts/bench.sh [--quick]
#   --quick   small tree and few runs (about a minute): checks the harness, writes
#             $CCSYNC_BENCH_DIR/BENCHMARKS.quick.md instead of BENCHMARKS.md
# Environment (all optional):
#   CCSYNC_BENCH_DIR         cache of generated trees      (default: target/bench-data)
#   CCSYNC_BENCH_SIZE        size of the main tree         (default: 2G; K/M/G = powers of 1024)
#   CCSYNC_BENCH_RUNS        runs of the quick measures    (default: 10)
#   CCSYNC_BENCH_SLOW_RUNS   runs of the slow ones (ccusage, full sync) (default: 5)
#   CCSYNC_BENCH_QUERY_ROWS  rows for the query pack       (default: 10000000)
#   CCSYNC_BENCH_HUGE_MB     the single huge line, MiB     (default: 200)
#   CCSYNC_BENCH_OUT         report                        (default: BENCHMARKS.md)
#   CCSYNC_BENCH_BIN         measure this ccsync binary instead of building one
#   CCSYNC_BENCH_WAIT_QUIET  wait up to this many seconds for a quiet machine (load < 1) first
#   CCSYNC_BENCH_VERBOSE=1   print every run
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=""
case "${1:-}" in
  "") ;;
  --quick) QUICK=1 ;;
  -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
  *) echo "bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac

DIR="${CCSYNC_BENCH_DIR:-target/bench-data}"
if [ -n "$QUICK" ]; then
  SIZE="${CCSYNC_BENCH_SIZE:-100M}" RUNS="${CCSYNC_BENCH_RUNS:-2}" SLOW="${CCSYNC_BENCH_SLOW_RUNS:-1}"
  ROWS="${CCSYNC_BENCH_QUERY_ROWS:-1000000}" HUGE_MB="${CCSYNC_BENCH_HUGE_MB:-20}"
  OUT="${CCSYNC_BENCH_OUT:-$DIR/BENCHMARKS.quick.md}"
else
  SIZE="${CCSYNC_BENCH_SIZE:-2G}" RUNS="${CCSYNC_BENCH_RUNS:-10}" SLOW="${CCSYNC_BENCH_SLOW_RUNS:-5}"
  ROWS="${CCSYNC_BENCH_QUERY_ROWS:-10000000}" HUGE_MB="${CCSYNC_BENCH_HUGE_MB:-200}"
  OUT="${CCSYNC_BENCH_OUT:-BENCHMARKS.md}"
fi

say() { printf '==> %s\n' "$*" >&2; }

scripts/setup.sh --with-ccusage
if [ ! -x /usr/bin/time ]; then  # GNU time measures peak RSS
  say "installing GNU time"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq time >/dev/null
fi
if [ -n "${CCSYNC_BENCH_BIN:-}" ]; then
  BIN="$(realpath "$CCSYNC_BENCH_BIN")"
  [ -x "$BIN" ] || { echo "bench.sh: CCSYNC_BENCH_BIN=$CCSYNC_BENCH_BIN is not executable" >&2; exit 2; }
else
  say "building ccsync (release)"
  cargo build --release --locked --quiet
  BIN="$PWD/target/release/ccsync"
fi
# Measure a snapshot: other builds may replace target/release/ccsync during the run.
COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  COMMIT="$COMMIT + uncommitted changes"
fi
mkdir -p "$DIR"
cp "$BIN" "$DIR/ccsync.measured"
BIN="$(realpath "$DIR")/ccsync.measured"

# Generation parameters: ~13 KiB per message, ~45 messages per file (2 GiB: ~3,500 files,
# ~160k messages), three months of activity, a malformed line now and then.
GEN_ARGS=(--responses 60 --tool-result-bytes 11500 --malformed-every 5000 --seed 5
          --start 2026-01-01 --days 90)

# gen NAME ARGS...: generates $DIR/NAME unless it exists with the same parameters and generator.
gen() {
  local name="$1"; shift
  local stamp
  stamp="$(printf '%s\n' "$*" "$(cat src/generate/*.rs | sha256sum | cut -d' ' -f1)")"
  if [ -d "$DIR/$name/projects" ] && [ "$(cat "$DIR/$name.stamp" 2>/dev/null)" = "$stamp" ]; then
    return
  fi
  say "generating the $name tree ($*), cached in $DIR/$name"
  rm -rf "$DIR/$name" "$DIR/$name.tmp" "$DIR/$name.stamp" "$DIR/$name.append-restore.json"
  "$BIN" generate --out "$DIR/$name.tmp" "$@" >/dev/null
  mv "$DIR/$name.tmp" "$DIR/$name"
  printf '%s' "$stamp" >"$DIR/$name.stamp"
}
MAIN=main HUGE=huge
[ -n "$QUICK" ] && MAIN=main-quick HUGE=huge-quick
gen "$MAIN" --target-bytes "$SIZE" "${GEN_ARGS[@]}"
# The huge line plus 64 MiB (quick: 16 MiB) of ordinary sessions.
REST_MB=64; [ -n "$QUICK" ] && REST_MB=16
gen "$HUGE" --target-bytes "$((HUGE_MB + REST_MB))M" --huge-line-mb "$HUGE_MB" "${GEN_ARGS[@]}"

exec .venv/bin/python scripts/bench.py \
  --bin "$BIN" --tree "$DIR/$MAIN" --huge-tree "$DIR/$HUGE" --huge-mb "$HUGE_MB" \
  --gen-args "--target-bytes $SIZE ${GEN_ARGS[*]}" \
  --runs "$RUNS" --slow-runs "$SLOW" --query-rows "$ROWS" --out "$OUT" ${QUICK:+--quick} \
  --wait-quiet "${CCSYNC_BENCH_WAIT_QUIET:-0}" --commit "$COMMIT"
