#!/usr/bin/env bash
# One device call that makes the most of a short GPU lease (bench/README.md, "Device session"): the prepared
# GPU check first (its table and JSON), then the `reference` prior trained on the carried dataset for what is
# left of SECONDS, exported in float16. Everything lands in $OUT (at most 8 files come back):
#   gpu_check.json, gpu_check.log, train.log, reference_prior.pt, run.tar.gz (config, logs, evals, previews)
#
#   bench/device_prior.sh KIT SECONDS [CHECK_SECONDS] [--dry-run]
#
# KIT (see bench/README.md): KIT/wheels (as for gpu_check.sh), KIT/head_model.npz (this checkout's built head
# model: a rebuild there could differ in the last bit and change the fingerprint the dataset was rendered
# with), KIT/prior_data.tar.gz (bench/pack_prior_kit.py). --dry-run: CPU, toy sizes, a few steps (tested).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
dry=""; pos=()
for a in "$@"; do if [ "$a" = "--dry-run" ]; then dry="--dry-run"; else pos+=("$a"); fi; done
[ ${#pos[@]} -ge 2 ] || { echo "usage: bench/device_prior.sh KIT SECONDS [CHECK_SECONDS] [--dry-run]" >&2; exit 2; }
[ -d "${pos[0]}" ] || { echo "device_prior: kit ${pos[0]} is not a folder" >&2; exit 2; }
kit="$(cd "${pos[0]}" && pwd)"; total="${pos[1]}"; check="${pos[2]:-240}"
out="${OUT:?device_prior: set OUT to the folder that comes back}"
for f in "$kit/head_model.npz" "$kit/prior_data.tar.gz"; do
  [ -f "$f" ] || { echo "device_prior: $f missing (bench/README.md says how to make the kit)" >&2; exit 2; }
done
t0=$(date +%s)
if [ -n "${PYTHON:-}" ]; then py="$PYTHON"; elif [ -x .venv/bin/python ]; then py=.venv/bin/python; else py=python3; fi
source tools/env.sh
export PYTHONUNBUFFERED=1 SYNTHHEADS_HEAD_MODEL="$kit/head_model.npz"
work="$(mktemp -d)"
tar xzf "$kit/prior_data.tar.gz" -C "$work" || { echo "device_prior: cannot unpack the dataset" >&2; exit 2; }
data="$work/data"

# 1. the GPU check (its own budget; the section in flight may run past it)
PYTHON="$py" bench/gpu_check.sh --wheels "$kit/wheels" --data "$data" --out "$out/gpu_check.json" \
  --budget "$check" $dry > "$out/gpu_check.log" 2>&1
echo "device_prior: gpu_check exit $? after $(( $(date +%s) - t0 )) s"

# 2. the reference prior for what is left (60 s kept for the final eval, export and packing)
export PYTHONPATH="$root/.cache/gpu_check/site:$kit/wheels/site${PYTHONPATH:+:$PYTHONPATH}"
left=$(( total - ($(date +%s) - t0) - 60 ))
[ "$left" -ge 30 ] || left=30
sets=(--set data.num_workers=8)
if [ -n "$dry" ]; then
  left=20
  sets=(--set data.num_workers=0 --set data.map_size=32 --set "model.channels=[8,16]" --set model.feat_channels=8
        --set model.regressor_channels=8 --set data.render_width=48 --set data.render_height=48
        --set optim.batch_size=2 --set data.cameras_per_sample=2 --set train.eval_frames=1)
fi
echo "device_prior: training the reference prior for $left s"
"$py" -m backend train-prior --progress none --data "$data" --config reference --out "$work/run" \
  --time-limit "$left" "${sets[@]}" > "$out/train.log" 2>&1
echo "device_prior: train-prior exit $? after $(( $(date +%s) - t0 )) s"
"$py" -m backend export-prior --progress none --prior "$work/run" --out "$out/reference_prior.pt" >> "$out/train.log" 2>&1
echo "device_prior: export-prior exit $?"
tar czf "$out/run.tar.gz" -C "$work/run" --exclude checkpoints . 2>/dev/null
ls -la "$out"
echo "device_prior: done after $(( $(date +%s) - t0 )) s"
