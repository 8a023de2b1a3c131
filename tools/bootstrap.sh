#!/usr/bin/env bash
# Creates .venv when missing and installs the pinned dependencies (requirements.txt, then
# requirements-nodeps.txt with --no-deps). Skips in well under a second when the stamp in
# .venv matches the requirement files and the interpreter. Exits non-zero with one clear
# line when the package registry cannot be reached.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.synthheads-requirements.sha256"
py="${PYTHON:-python3}"

want=$( { "$py" -c 'import sys; print(sys.version)'; cat "$root/requirements.txt" "$root/requirements-nodeps.txt"; } | sha256sum | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

fail() { echo "setup: $*" >&2; exit 1; }
if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating virtual environment in $venv"
  "$py" -m venv "$venv" || fail "could not create a virtual environment with $py (is python3-venv installed?)"
fi
rm -f "$stamp"
pipi() { "$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off "$@"; }
echo "setup: installing pinned dependencies:"
grep -hvE '^\s*(#|$)' "$root/requirements.txt" | sed 's/^/  /'
log="$(mktemp)"
if ! pipi -r "$root/requirements.txt" >"$log" 2>&1; then
  tail -n 15 "$log" >&2
  if grep -qiE 'connection|resolve|unreachable|timed out|No matching distribution' "$log"; then
    fail "could not fetch the pinned packages: is the package registry reachable? (full log: $log)"
  fi
  fail "pip failed installing requirements.txt (full log: $log)"
fi
echo "setup: installing without their declared dependencies:"
grep -hvE '^\s*(#|$)' "$root/requirements-nodeps.txt" | sed 's/^/  /'
if ! pipi --no-deps -r "$root/requirements-nodeps.txt" >"$log" 2>&1; then
  tail -n 15 "$log" >&2
  fail "pip failed installing requirements-nodeps.txt: is the package registry reachable? (full log: $log)"
fi
rm -f "$log"
echo "$want" >"$stamp"
echo "setup: done"
