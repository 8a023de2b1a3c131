"""Few-shot inversion evaluation on held-out synthetic identities: prior inversion vs. a from-scratch baseline.

For each identity, K and seed: the K input frames are picked by progressive farthest-point sampling in
expression space (:func:`select_frames`; with K above the identity's frame count they come round again), each seen
by its own input camera in the order of :func:`input_camera_order`
(seed 0 starts from the most frontal camera, other seeds from the next most frontal ones, each then spreading
out), and the seed replaces the inversion config's (the order the optimisation visits the views).
Both methods fit the same K views with the same step budget (stage 1 + stage 2 of the inversion = the
baseline's steps) and the same Gaussian count, then are scored (PSNR, SSIM, LPIPS-Alex, white background):

- novel views: the input frames from every other camera of the identity;
- novel expressions: ``novel_frames`` frames not among the inputs (evenly spaced), from the input cameras.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from backend.avatar import Avatar
from backend.metrics import get_lpips, psnr, ssim
from backend.photos import PreparedView, prepare_synthetic
from backend.prior.model import SynShotPrior
from synthetic.dataset.reader import Dataset
from synthetic.errors import UserInputError

from .baseline import GaussianBaseline
from .config import InvertConfig
from .invert import invert
from .optimise import PhotoLoss, render_all, render_targets, run_stage, set_trainable
from .select import select_frames
from .targets import Targets, targets_from_views

def dataset_views(ident, pairs: list[tuple[int, str]]) -> list[PreparedView]:
    """PreparedViews (image, camera, expression, pose) of ``(frame, camera)`` pairs of a dataset identity."""
    cams, out = ident.cameras, []
    for f, c in pairs:
        fr, i = ident.frame(f), cams.index(c)
        out.append(PreparedView(f"{ident.path.name}/frame_{f:04d}/{c}", ident.image(f, c), cams.K[i], cams.w2c[i],
                                fr.expression, fr.pose))
    return out


def input_camera_order(ident, seed: int = 0) -> list[str]:
    """Camera names in the order inputs use them: first the cameras of the front half (within 90 degrees of straight
    ahead; the head model looks along -Y) by farthest-point sampling of their directions (each next camera the one
    farthest from those chosen: the widest spread, as a user photographing someone would do), then the rest by
    angle. Seed 0 starts from the most frontal camera, seed ``s`` from the ``s``-th next most frontal (cycling), so
    seeds give other input sets."""
    cams = ident.cameras
    w2c = np.asarray(cams.w2c, dtype=np.float64)
    centres = -np.einsum("nji,nj->ni", w2c[:, :3, :3], w2c[:, :3, 3])  # R^T t
    dirs = centres / np.linalg.norm(centres, axis=1, keepdims=True).clip(1e-9)
    cos = -dirs[:, 1]
    by_angle = list(np.argsort(-cos, kind="stable"))
    front = [i for i in by_angle if cos[i] > 0] or by_angle[:1]
    order = [front[int(seed) % len(front)]]
    while len(order) < len(front):
        rest = [i for i in front if i not in order]
        nearest = [max(float(dirs[i] @ dirs[j]) for j in order) for i in rest]  # cos to the closest chosen
        order.append(rest[int(np.argmin(nearest))])
    return [cams.names[i] for i in order + [i for i in by_angle if i not in order]]


def split_views(ident, k: int, novel_frames: int, seed: int = 0) -> dict[str, list[tuple[int, str]]]:
    """Input, novel-view and novel-expression ``(frame, camera)`` pairs of one identity (module docstring). With
    more inputs than frames the frames come round again, each time from the next camera, so ``k`` inputs are ``k``
    cameras; ``k`` must leave a camera for the novel views (:class:`UserInputError` otherwise)."""
    names = list(ident.cameras.names)
    if int(k) >= len(names):
        raise UserInputError(f"K={k}: {ident.path.name} has {len(names)} cameras; K must leave at least one out for "
                             "the novel views (render the identities with more cameras)")
    order = input_camera_order(ident, seed)
    expressions = np.stack([ident.frame(f).expression for f in range(ident.n_frames)])
    distinct = select_frames(expressions, k)
    frames = [distinct[j % len(distinct)] for j in range(int(k))]
    inputs = [(f, order[j]) for j, f in enumerate(frames)]
    used = sorted({c for _, c in inputs}, key=names.index)
    others = [c for c in names if c not in used]
    rest = [f for f in range(ident.n_frames) if f not in distinct]
    pick = [rest[int(round(i))] for i in np.linspace(0, len(rest) - 1, min(novel_frames, len(rest)))] if rest else []
    return {"inputs": inputs, "novel_views": [(f, c) for f in distinct for c in others],
            "novel_expressions": [(f, c) for f in pick for c in used]}


@torch.no_grad()
def score(pred: torch.Tensor, gt: torch.Tensor, lpips) -> dict[str, float]:
    return {"psnr": float(psnr(pred, gt).mean()), "ssim": float(ssim(pred, gt).mean()),
            "lpips": float(lpips(pred, gt).mean()), "images": int(len(gt))}


def fit_baseline(avatar: Avatar, targets: Targets, steps: int, cfg: InvertConfig) -> tuple[GaussianBaseline, dict]:
    """Optimise the from-scratch baseline on the targets for ``steps`` steps (same loss and stopping)."""
    bl = GaussianBaseline(avatar)
    set_trainable(avatar, [])

    def forward(sub: Targets):
        return render_targets(bl.posed(sub.expression, sub.pose), sub, cfg.background), targets.images.new_zeros(())

    summary = run_stage("baseline", bl.param_groups(), forward, targets, steps, 1e-3, cfg,
                        PhotoLoss(cfg, targets.images.device))
    return bl, summary


def evaluate_identity(prior: SynShotPrior, head_model, root, identity: int, k: int, cfg: InvertConfig,
                      novel_frames: int = 3, baseline: bool = True, progress=None, seed: int = 0) -> dict:
    """Invert (and fit the baseline) on K views of one identity and score both on held-out views/frames."""
    ident = Dataset(root).identity(int(identity))
    split = split_views(ident, k, novel_frames, seed)
    cfg = dataclasses.replace(cfg, seed=int(seed))  # the optimisation's view order
    prepared = prepare_synthetic(root, identity, split["inputs"], head_model)
    result = invert(prior, prepared, cfg, head_model, progress, f"id_{identity:05d}")
    w, h = result.targets.size
    lp = get_lpips("alex", result.targets.images.device)
    sets = {n: targets_from_views(dataset_views(ident, split[n]), w, h, cfg.background).to(result.avatar.device)
            for n in ("novel_views", "novel_expressions") if split[n]}

    def avatar_fwd(sub):
        return render_targets(result.avatar.posed(sub.expression, sub.pose), sub, cfg.background), None

    row = {"identity": int(identity), "k": int(k), "seed": int(seed),
           "inputs": [f"{f}:{c}" for f, c in split["inputs"]],
           "steps": result.summary["stage1"]["steps"] + result.summary["stage2"]["steps"],
           "seconds": result.summary["stage1"]["seconds"] + result.summary["stage2"]["seconds"],
           "prior": {n: score(render_all(avatar_fwd, t), t.images, lp) for n, t in sets.items()},
           "renders": {"prior": {n: render_all(avatar_fwd, t) for n, t in sets.items()},
                       "gt": {n: t.images for n, t in sets.items()}}}
    row["prior"]["inputs"] = score(result.after, result.targets.images, lp)
    row["prior"]["inputs"]["csim"] = (result.summary["identity"]["csim_after"] or {}).get("csim")
    if baseline:
        budget = sum(cfg.steps(len(result.targets)))
        bl, s = fit_baseline(result.avatar, result.targets, budget, cfg)

        def bl_fwd(sub):
            return render_targets(bl.posed(sub.expression, sub.pose), sub, cfg.background), None

        row["baseline"] = {n: score(render_all(bl_fwd, t), t.images, lp) for n, t in sets.items()}
        row["baseline"]["inputs"] = score(render_all(bl_fwd, result.targets), result.targets.images, lp)
        row["baseline_steps"], row["baseline_seconds"] = s["steps"], s["seconds"]
        row["renders"]["baseline"] = {n: render_all(bl_fwd, t) for n, t in sets.items()}
    return row


@torch.no_grad()
def score_avatar(avatar: Avatar, root, identity: int, inputs: list[tuple[int, str]], size: tuple[int, int],
                 background: float = 1.0) -> dict[str, dict[str, float]]:
    """Score an inverted avatar on its dataset identity: ``novel_views`` (the input frames from every camera
    that was not an input) and ``novel_expressions`` (every other frame from the input cameras).

    Args:
        avatar: the avatar (``invert`` on ``inputs`` of this identity).
        root, identity: the dataset and identity index.
        inputs: the ``(frame, camera)`` pairs the avatar was inverted from.
        size: (width, height) of the comparison renders in px.
    """
    ident = Dataset(root).identity(int(identity))
    names = list(ident.cameras.names)
    used = sorted({c for _, c in inputs}, key=names.index)
    frames = sorted({f for f, _ in inputs})
    pairs = {"novel_views": [(f, c) for f in frames for c in names if c not in used],
             "novel_expressions": [(f, c) for f in range(ident.n_frames) if f not in frames for c in used]}
    lp = get_lpips("alex", avatar.device)
    out = {}
    for name, split in pairs.items():
        if split:
            t = targets_from_views(dataset_views(ident, split), *size, background).to(avatar.device)
            pred = render_all(lambda sub: (render_targets(avatar.posed(sub.expression, sub.pose), sub, background),
                                           None), t)  # fmt: skip
            out[name] = score(pred, t.images, lp)
    return out


def parse_ks(text: str) -> list[int]:
    try:
        ks = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        ks = []
    if not ks or min(ks) < 1:
        raise UserInputError(f"--k {text!r}: expected a comma list of positive integers, e.g. 1,2,3,5,8,13")
    return ks
