"""Prior training step time: forward + render + losses + backward + Adam step, per preset and device.

Uses a synthetic batch built from the head model (random identity and expression, neutral pose, random
texture and target images, cameras on a ring around the head framed like the dataset), so it needs no
rendered dataset; what the images show does not change the cost. Runs on CPU (with ``--threads``) and on
CUDA when present.

    python bench/bench_prior.py [--presets tiny small] [--threads 1] [--repeats 3] [--batch small=1]

On a 2-core CPU ``small`` is measured with ``--batch small=1`` (its global batch of 8 takes ~8x as long).
"""

from __future__ import annotations

import argparse
import math
import time

from bench_common import time_call, write_results


def synthetic_batch(cfg, head, batch_size: int, device):
    import numpy as np
    import torch

    from backend.prior.uv_raster import UVRasterizer
    from backend.splat import Cameras

    d = cfg.data
    rng = np.random.default_rng(0)
    gen = torch.Generator().manual_seed(0)
    rast = UVRasterizer.for_head_model(head, d.map_size)
    s = d.map_size
    samples = []
    for _ in range(batch_size):
        shape, expr = head.sample_shape(rng), head.sample_expression(rng, activity=0.3)
        verts = torch.as_tensor(head.shaped(shape) - head.template, dtype=torch.float32)
        exp = torch.as_tensor(head.shaped(shape, expr) - head.shaped(shape), dtype=torch.float32)
        angles = rng.uniform(0, 2 * math.pi, d.cameras_per_sample)
        eyes = np.stack([np.sin(angles), -np.cos(angles), np.full_like(angles, 0.1)], 1) * 1.05
        fov = math.degrees(2 * math.atan(0.5 * d.render_width / (370.6 * d.render_width / 192)))
        cams = Cameras.look_at(eyes, [0, 0, 0.0], fov, d.render_width, d.render_height)
        c = d.cameras_per_sample
        samples.append({
            "x_tex": torch.rand(3, s, s, generator=gen) * 2 - 1, "tex_mask": rast.mask.float()[None],
            "x_verts": rast(verts) / d.verts_scale_m, "x_exp": rast(exp) / d.exp_scale_m,
            "masks": torch.stack([rast.mask.float()] * 3), "expression": torch.as_tensor(expr, dtype=torch.float32),
            "pose": torch.zeros(head.n_joints, 3),
            "joints": torch.as_tensor(head.joints(shape, expr), dtype=torch.float32),
            "images": torch.rand(c, 3, d.render_height, d.render_width, generator=gen),
            "background": torch.ones(c, 3), "K": cams.K, "w2c": cams.w2c,
        })  # fmt: skip
    return {k: torch.stack([x[k] for x in samples]).to(device) for k in samples[0]}


def bench_preset(name: str, device, repeats: int, batch_size: int | None) -> dict:
    import torch

    from backend.prior.config import load_config
    from backend.prior.losses import PriorLoss
    from backend.prior.model import SynShotPrior, render
    from backend.prior.networks import count_parameters
    from synthetic.head import HeadModel

    cfg = load_config(name)
    head = HeadModel.load()
    per_process = batch_size or cfg.optim.batch_size
    model = SynShotPrior(cfg, head).to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=cfg.optim.lr)
    loss_fn = PriorLoss(cfg.loss, device)
    batch = synthetic_batch(cfg, head, per_process, device)
    amp = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(cfg.train.amp) if device.type == "cuda" else None
    d = cfg.data
    state = {"step": 1}

    def step():
        out = model(batch, step=state["step"], amp_dtype=amp)
        img = render(out, batch["K"], batch["w2c"], batch["background"], d.render_width, d.render_height)
        total, _ = loss_fn(out, batch, img, state["step"])
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()
        state["step"] += 1

    sync = torch.cuda.synchronize if device.type == "cuda" else None
    t0 = time.perf_counter()
    step()
    first = time.perf_counter() - t0
    seconds = time_call(step, repeats=repeats, warmup=1, sync=sync)
    return {"preset": name, "device": str(device), "threads": torch.get_num_threads(), "batch": per_process,
            "gaussians": model.n_gaussians, "params_M": count_parameters(model) / 1e6,
            "render": f"{d.render_width}x{d.render_height}x{d.cameras_per_sample}", "map": d.map_size,
            "first_step_s": first, "step_s": seconds}


def main() -> None:
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", nargs="+", default=["tiny", "small"])
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", nargs="*", default=[], metavar="PRESET=N",
                    help="per-process batch of a preset (default: the preset's optim.batch_size)")
    ap.add_argument("--devices", nargs="+", default=["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    ap.add_argument("--quick", action="store_true", help="smoke size: the tiny preset, one repeat")
    args = ap.parse_args()
    if args.quick:
        args.presets, args.repeats = ["tiny"], 1
    if args.threads:
        torch.set_num_threads(args.threads)
    batches = {k: int(v) for k, v in (item.split("=") for item in args.batch)}
    rows = []
    for dev in args.devices:
        for name in args.presets:
            rows.append(bench_preset(name, torch.device(dev), args.repeats, batches.get(name)))
            print(rows[-1], flush=True)
    cols = ["preset", "device", "threads", "batch", "gaussians", "params_M", "render", "map", "first_step_s", "step_s"]
    write_results("prior", rows, cols, notes="step = forward + render + losses (LPIPS included) + backward + Adam")


if __name__ == "__main__":
    main()
