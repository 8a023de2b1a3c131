#!/usr/bin/env bash
# SynthHeads entry point.
#   ./run.sh main   set up (first time only), then run the main job on its embedded defaults
#   ./run.sh test   set up (first time only), then run the test suite
# Extra arguments are passed on (to the main job, or to pytest).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
source tools/env.sh
cmd="${1:-}"; shift || true
case "$cmd" in
  main) tools/bootstrap.sh; exec .venv/bin/python -m backend main "$@" ;;
  test) tools/bootstrap.sh; exec .venv/bin/python -m pytest "$@" ;;
  *) echo "usage: ./run.sh main|test [args...]" >&2; exit 2 ;;
esac
