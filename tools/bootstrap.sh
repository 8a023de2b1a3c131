#!/usr/bin/env bash
# Creates .venv when missing and installs the pinned dependencies (requirements.txt, then
# requirements-nodeps.txt with --no-deps). Then creates .venv-blender, Blender 5.3's Python:
# Python 3.13 (python3.13 on PATH, else under pyenv's versions/3.13.*; $PYTHON_BLENDER overrides)
# with requirements-blender.txt (bpy==5.3.0 and the numpy it brings). Each environment has its own
# stamp, so a rerun skips in well under a second when nothing changed. Exits non-zero with one
# clear line when the package registry cannot be reached. Without Python 3.13 it says so in one
# line and goes on (the Blender 5.3 tests are then skipped).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.synthheads-requirements.sha256"
py="${PYTHON:-python3}"

want=$( { "$py" -c 'import sys; print(sys.version)'; cat "$root/requirements.txt" "$root/requirements-nodeps.txt"; } | sha256sum | cut -d' ' -f1)
fail() { echo "setup: $*" >&2; exit 1; }

main_env() {
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  return 0
fi
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
}

# ----------------------------------------------------------------------------- Blender 5.3's Python
bvenv="$root/.venv-blender"
bstamp="$bvenv/.synthheads-requirements.sha256"
find_py313() {
  if [ -n "${PYTHON_BLENDER:-}" ]; then echo "$PYTHON_BLENDER"; return 0; fi
  if command -v python3.13 >/dev/null 2>&1 && python3.13 -c '' >/dev/null 2>&1; then command -v python3.13; return 0; fi
  local proot
  proot="$(pyenv root 2>/dev/null || true)"
  [ -n "$proot" ] || proot="$HOME/.pyenv"
  local cand
  for cand in $(ls -d "$proot"/versions/3.13.* 2>/dev/null | sort -V -r); do
    if [ -x "$cand/bin/python3.13" ]; then echo "$cand/bin/python3.13"; return 0; fi
  done
  return 1
}

blender_env() {
if [ -x "$bvenv/bin/python" ] && [ -f "$bstamp" ]; then
  local have
  have=$( { "$bvenv/bin/python" -c 'import sys; print(sys.version)'; cat "$root/requirements-blender.txt"; } | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$bstamp")" = "$have" ]; then
    return 0
  fi
fi
local py313
if ! py313="$(find_py313)"; then
  echo "setup: no Python 3.13 (python3.13 on PATH or pyenv's versions/3.13.*; or set PYTHON_BLENDER): skipping Blender 5.3's environment .venv-blender, its tests are skipped" >&2
  return 0
fi
local bwant
bwant=$( { "$py313" -c 'import sys; print(sys.version)'; cat "$root/requirements-blender.txt"; } | sha256sum | cut -d' ' -f1)
if [ ! -x "$bvenv/bin/python" ]; then
  echo "setup: creating Blender 5.3's Python environment in $bvenv ($py313)"
  "$py313" -m venv "$bvenv" || fail "could not create a virtual environment with $py313"
fi
rm -f "$bstamp"
echo "setup: installing into .venv-blender:"
grep -hvE '^\s*(#|$)' "$root/requirements-blender.txt" | sed 's/^/  /'
local log
log="$(mktemp)"
if ! "$bvenv/bin/python" -m pip install --disable-pip-version-check --progress-bar off \
    -r "$root/requirements-blender.txt" >"$log" 2>&1; then
  tail -n 15 "$log" >&2
  fail "pip failed installing requirements-blender.txt into .venv-blender: is the package registry reachable? (full log: $log)"
fi
rm -f "$log"
echo "$bwant" >"$bstamp"
echo "setup: .venv-blender done"
}

main_env
blender_env
