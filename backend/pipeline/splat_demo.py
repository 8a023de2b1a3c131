"""Main-job stage: fit 3D Gaussians to a real photo with the differentiable rasterizer.

Gaussians start on a random grid on a plane 1 m in front of a camera and are optimised with Adam
(L1 + D-SSIM) to reproduce matplotlib's sample photo ``grace_hopper.jpg``. It exercises the whole
core (projection, SH colour, tiled compositing, gradients, metrics, PLY export) and shows a
person the result: target, initial and fitted images, and an oblique view of the fitted splats.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from synthetic.progress import Progress

from .stages import Stage


def load_sample_photo(size: int) -> np.ndarray:
    """matplotlib's ``grace_hopper.jpg`` centre-cropped to a square and resized: ``[size, size, 3]`` in [0, 1]."""
    from matplotlib import cbook
    from PIL import Image

    with cbook.get_sample_data("grace_hopper.jpg") as f:
        img = Image.open(f).convert("RGB")
    w, h = img.size
    s = min(w, h)
    img = img.crop(((w - s) // 2, 0, (w - s) // 2 + s, s)).resize((size, size), Image.LANCZOS)
    return np.asarray(img, dtype=np.float32) / 255.0


def save_png(path: Path, rgb: np.ndarray) -> None:
    from PIL import Image

    Image.fromarray((np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)).save(path)


def fit_gaussians_to_photo(
    target: torch.Tensor, n: int, steps: int, device: torch.device, progress: Progress, seed: int = 0
):
    """Optimise ``n`` Gaussians so that one camera sees ``target`` ``[H, W, 3]``.

    Returns ``(gaussians, camera, history)``; history rows hold step, loss and PSNR.
    """
    from backend.metrics import dssim, psnr
    from backend.splat import Cameras, GaussianSet, rasterize
    from backend.splat.gaussians import rgb_to_sh_dc

    H, W, _ = target.shape
    gen = torch.Generator().manual_seed(seed)
    cam = Cameras.look_at([[0.0, -1.0, 0.0]], [0.0, 0.0, 0.0], 40.0, W, H).to(device)
    half = float(np.tan(np.radians(20.0)))  # plane half-width seen at 1 m
    xy = (torch.rand(n, 2, generator=gen) * 2 - 1) * half
    means = torch.stack([xy[:, 0], 0.02 * torch.randn(n, generator=gen), xy[:, 1]], -1).to(device)
    spacing = 2 * half / np.sqrt(n)
    params = {
        "means": means,
        "log_scales": torch.full((n, 3), float(np.log(spacing * 0.7)), device=device),
        "quats": torch.randn(n, 4, generator=gen).to(device),
        "logit_opac": torch.full((n,), 1.0, device=device),
        "sh": rgb_to_sh_dc(torch.rand(n, 1, 3, generator=gen)).to(device),
    }
    for p in params.values():
        p.requires_grad_(True)
    lrs = {"means": 2e-3, "log_scales": 1e-2, "quats": 1e-2, "logit_opac": 5e-2, "sh": 2.5e-2}
    opt = torch.optim.Adam([{"params": [params[k]], "lr": lr} for k, lr in lrs.items()])
    tgt = target.to(device).permute(2, 0, 1)[None]

    def current() -> GaussianSet:
        return GaussianSet(params["means"], params["quats"], params["log_scales"].exp(),
                           torch.sigmoid(params["logit_opac"]), params["sh"])  # fmt: skip

    history = []
    for step in range(steps + 1):
        img = rasterize(current(), cam).rgb[0].permute(2, 0, 1)[None]
        loss = 0.8 * (img - tgt).abs().mean() + 0.2 * dssim(img, tgt).mean()
        if step % 10 == 0 or step == steps:
            history.append({"step": step, "loss": float(loss.detach()), "psnr_db": float(psnr(img.detach(), tgt)[0])})
        if step == steps:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
        progress.update("fit photo", step + 1, steps, loss=float(loss.detach()))
    return current().detach(), cam, history


def _run(folder: Path, progress: Progress, device: torch.device, size: int, n: int, steps: int) -> dict[str, Any]:
    from backend.io import write_ply
    from backend.metrics import get_lpips, psnr, ssim
    from backend.splat import Cameras, rasterize

    target = torch.from_numpy(load_sample_photo(size))
    save_png(folder / "target.png", target.numpy())
    g, cam, history = fit_gaussians_to_photo(target, n, steps, device, progress)
    with torch.no_grad():
        fitted = rasterize(g, cam).rgb[0].clamp(0, 1)
        save_png(folder / "fitted.png", fitted.cpu().numpy())
        oblique = Cameras.look_at([[0.55, -0.85, 0.25]], [0, 0, 0], 40.0, size, size).to(device)
        side = rasterize(g, oblique, background=torch.full((3,), 0.15, device=device)).rgb[0].clamp(0, 1)
        save_png(folder / "oblique.png", side.cpu().numpy())
        a = fitted.permute(2, 0, 1)[None]
        b = target.to(device).permute(2, 0, 1)[None]
        metrics = {
            "PSNR (dB)": float(psnr(a, b)[0]),
            "SSIM": float(ssim(a, b)[0]),
            "LPIPS (alex)": float(get_lpips("alex", device)(a, b)[0]),
        }
    write_ply(folder / "fitted.ply", g.to("cpu"))
    first = history[0]["psnr_db"]
    return {
        "facts": {"Gaussians": n, "steps": steps, "image": f"{size}x{size}", "PSNR at step 0": f"{first:.2f} dB",
                  "splats": "fitted.ply (3DGS layout)"},  # fmt: skip
        "tables": {"Fit quality": [dict(metrics)], "Loss history": history[:: max(1, len(history) // 8)]},
        "images": [f"{folder.name}/target.png", f"{folder.name}/fitted.png", f"{folder.name}/oblique.png"],
    }


def splat_demo_stage(device: torch.device, size: int = 128, n: int = 4000, steps: int = 300) -> Stage:
    return Stage(
        "01_splat_photo_fit",
        "Gaussian splatting core: 3D Gaussians fitted to a photo",
        lambda folder, progress: _run(folder, progress, device, size, n, steps),
    )
