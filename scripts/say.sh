# Sourced by the set-up scripts: `say` prints a step on stderr, bold on a terminal only (no
# escape codes in a log or a pipe), and never with NO_COLOR set.
if [ -t 2 ] && [ -z "${NO_COLOR:-}" ]; then
  say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
else
  say() { printf '==> %s\n' "$*" >&2; }
fi
