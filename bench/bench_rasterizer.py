"""Rasterizer benchmark: forward and forward+backward time for 1k..60k Gaussians at 128^2 and 512^2.

The scene is head-like: Gaussians tile a 10 cm sphere (an opaque surface, like an avatar) seen by
a camera 0.6 m away, so the image is mostly covered and early termination matters as it does for
real avatars. Runs on CPU, and on CUDA (gsplat) when present.

    python bench/bench_rasterizer.py [--sizes 1000 5000 20000 60000] [--resolutions 128 512]
"""

from __future__ import annotations

import argparse
import math

from bench_common import time_call, write_results


def head_like_scene(n: int, device, seed: int = 0):
    import torch

    from backend.splat import GaussianSet

    gen = torch.Generator().manual_seed(seed)
    i = torch.arange(n, dtype=torch.float32) + 0.5
    z = 1 - 2 * i / n
    phi = math.pi * (3 - math.sqrt(5)) * i
    r = torch.sqrt(1 - z * z)
    radius = 0.1
    means = radius * torch.stack([r * torch.cos(phi), r * torch.sin(phi), z], -1)
    spacing = math.sqrt(4 * math.pi * radius**2 / n)
    scales = torch.full((n, 3), 0.6 * spacing) * (0.7 + 0.6 * torch.rand(n, 3, generator=gen))
    g = GaussianSet(
        means=means,
        quats=torch.randn(n, 4, generator=gen),
        scales=scales,
        opacities=0.5 + 0.5 * torch.rand(n, generator=gen),
        sh=torch.randn(n, 16, 3, generator=gen) * 0.3,
    )
    return g.to(device)


def main() -> None:
    import torch

    from backend.splat import Cameras, rasterize

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000, 60000])
    ap.add_argument("--resolutions", type=int, nargs="+", default=[128, 512])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="smoke size: one small scene and resolution")
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.resolutions, args.repeats = [1000], [128], 1
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for device in devices:
        sync = torch.cuda.synchronize if device == "cuda" else None
        for res in args.resolutions:
            cams = Cameras.look_at([[0.0, -0.6, 0.05]], [0, 0, 0], 30.0, res, res).to(device)
            for n in args.sizes:
                g = head_like_scene(n, device)
                params = [g.means, g.quats, g.scales, g.opacities, g.sh]
                for p in params:
                    p.requires_grad_(True)

                def fwd(g=g, cams=cams, device=device):
                    with torch.no_grad():
                        rasterize(g, cams, background=torch.ones(3, device=device))

                def fwd_bwd(g=g, cams=cams, device=device):
                    out = rasterize(g, cams, background=torch.ones(3, device=device))
                    (out.rgb.mean() + out.alpha.mean()).backward()

                t_f = time_call(fwd, args.repeats, sync=sync)
                t_fb = time_call(fwd_bwd, args.repeats, sync=sync)
                with torch.no_grad():
                    cover = float(rasterize(g, cams).alpha.mean())
                rows.append(
                    {"device": device, "gaussians": n, "resolution": f"{res}x{res}", "forward_s": t_f,
                     "forward_backward_s": t_fb, "coverage": cover}
                )  # fmt: skip
                print(rows[-1], flush=True)
    target = [r for r in rows if r["device"] == "cpu" and r["gaussians"] == 20000 and r["resolution"] == "128x128"]
    notes = ""
    if target:
        t = target[0]["forward_backward_s"]
        verdict = "met" if t < 1 else "MISSED"
        notes = f"target: 20k Gaussians at 128x128 forward+backward under 1 s on CPU -> {t:.3f} s ({verdict})"
    write_results(
        "rasterizer", rows, ["device", "gaussians", "resolution", "forward_s", "forward_backward_s", "coverage"], notes
    )


if __name__ == "__main__":
    main()
