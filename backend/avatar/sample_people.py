"""New people from the generative prior: sample identity codes, decode them into avatar files, and show them
(``python -m backend sample-prior`` and the main job are shells over :func:`sample_people`).

Writes into ``out``: ``person_00.avatar.pt`` ... (drivable like inverted avatars), ``people.png`` (each person from
the front, three-quarter and side), ``swap_grid.png`` (rows: people, columns: the expression sweep
:data:`backend.avatar.expressions.SWEEP`: identity and expression codes swapped freely, SynShot/GPHM's
disentanglement figure) and ``samples.json`` (per person: the training identity whose code shares the most tokens
and that share; 1.0 would be a copy).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from synthetic.errors import UserInputError
from synthetic.progress import Progress

from .expressions import SWEEP, sweep_coefficients

VIEWS = (("front", 0.0), ("three-quarter", 35.0), ("side", 90.0))
"""(label, azimuth in degrees) of every person's views in ``people.png``."""
SWAP_ROWS = 6
"""People shown in the swap grid (the first ones sampled)."""


@dataclass
class SampledPeople:
    """What :func:`sample_people` wrote."""

    avatars: list[Path]
    people_sheet: Path
    swap_grid: Path
    table: list[dict[str, Any]]
    """Per person: file, nearest training identity, token agreement with it."""
    summary: dict[str, Any]


def _label(image: np.ndarray, text: str) -> np.ndarray:
    """``image`` (uint8 ``[H, W, 3]``) with ``text`` written in its top-left corner."""
    from PIL import Image, ImageDraw

    img = Image.fromarray(image)
    ImageDraw.Draw(img).text((4, 3), text, fill=(40, 40, 40))
    return np.asarray(img)


def _tile(images: list[np.ndarray], columns: int) -> np.ndarray:
    h, w = images[0].shape[:2]
    rows = -(-len(images) // columns)
    out = np.full((rows * h, columns * w, 3), 255, np.uint8)
    for k, img in enumerate(images):
        r, c = divmod(k, columns)
        out[r * h : (r + 1) * h, c * w : (c + 1) * w] = img
    return out


@torch.no_grad()
def _render(avatar, expressions: np.ndarray, azimuths: np.ndarray, size: int) -> list[np.ndarray]:
    """One uint8 image per (expression, azimuth) pair, white background."""
    from backend.splat import Cameras

    from .frames import view_eyes

    dev = avatar.device
    centre = avatar.canonical(torch.zeros(1, avatar.n_expression, device=dev))["means"][0].mean(0).cpu().numpy()
    cams = Cameras.look_at(view_eyes(centre, azimuths, 0.75, lift=0.1), centre, 30.0, size, size).to(dev)
    images = []
    for i in range(len(azimuths)):
        e = torch.as_tensor(expressions[i : i + 1], device=dev)
        img = avatar.render(e, None, cams.K[i : i + 1][None], cams.w2c[i : i + 1][None], size, size)
        images.append((img[0, 0].clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255 + 0.5).astype(np.uint8))
    return images


def sample_people(n: int, out: str | Path, prior: str | Path | None = None, sampler: str | Path | None = None,
                  temperature: float = 1.0, top_k: int | None = None, seed: int = 0, size: int = 128,
                  device: str = "auto", progress: Progress | None = None) -> SampledPeople:
    """Sample ``n`` people (see the module docstring); ``prior``/``sampler`` default to the shipped ones.

    Args:
        temperature: > 0; lower stays closer to the people the sampler saw, higher mixes more (and breaks sooner).
        top_k: keep only the k most likely codes at every token (None: all).
        seed: the same seed, files and settings give the same people on one device.
        size: edge of every picture tile (px).
    """
    from backend.devices import resolve_device
    from backend.prior.checkpoint import load_prior
    from backend.prior.sampler_training import load_sampler, token_agreement
    from backend.prior.shipped import prior_or_shipped, sampler_or_shipped
    from synthetic.atomic import write_atomic, write_json_atomic
    from synthetic.head import HeadModel

    from .from_code import avatar_from_indices
    from .io import save_avatar

    if not 1 <= n <= 256:
        raise UserInputError(f"--n must be between 1 and 256, got {n}")
    if temperature <= 0:
        raise UserInputError(f"--temperature must be > 0, got {temperature}")
    if not 32 <= size <= 1024:
        raise UserInputError(f"--size must be between 32 and 1024 pixels, got {size}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserInputError(f"--out {out}: exists and is not a folder")
    progress = progress or Progress("none")
    dev = resolve_device(device)
    head_model = HeadModel.load()
    prior_path, sampler_path = prior_or_shipped(prior), sampler_or_shipped(sampler)
    model, _cfg, _ckpt = load_prior(prior_path, dev, head_model)
    code_sampler, sampler_file = load_sampler(sampler_path, model, dev)
    out.mkdir(parents=True, exist_ok=True)

    progress.message(f"sample-prior: drawing {n} identity codes ({sampler_file['kind']} sampler)")
    codes = code_sampler.sample(n, temperature, top_k, torch.Generator().manual_seed(seed)).cpu()
    nearest, share = token_agreement(codes, sampler_file["train_codes"])
    train_ids = sampler_file["summary"].get("train_identities") or list(range(len(sampler_file["train_codes"])))
    neutral = np.zeros((len(VIEWS), head_model.n_expression), np.float32)
    sweep = sweep_coefficients(head_model)
    azimuths = np.array([az for _, az in VIEWS])
    avatars, people_tiles, swap_tiles, table = [], [], [], []
    for i in progress.track(range(n), stage="decode"):
        avatar = avatar_from_indices(model, codes[i], head_model, name=f"sampled person {i} (seed {seed})")
        path = save_avatar(avatar, out / f"person_{i:02d}.avatar.pt", provenance={
            "sampled": {"prior": str(prior_path), "sampler": str(sampler_path), "seed": seed, "index": i,
                        "temperature": temperature, "top_k": top_k}})  # fmt: skip
        avatars.append(path)
        views = _render(avatar, neutral, azimuths, size)
        people_tiles += [_label(img, f"#{i} {label}" if k == 0 else label) for k, (img, (label, _)) in
                         enumerate(zip(views, VIEWS))]  # fmt: skip
        if i < SWAP_ROWS:
            row = _render(avatar, sweep, np.zeros(len(sweep)), size)
            swap_tiles += [_label(img, f"#{i} {label}" if k == 0 else label)
                           for k, (img, (label, _)) in enumerate(zip(row, SWEEP))]
        table.append({"person": path.name, "nearest training identity": int(train_ids[int(nearest[i])]),
                      "tokens shared with it": round(float(share[i]), 3)})
    people_cols = len(VIEWS) * (2 if n > 1 else 1)
    people_sheet = out / "people.png"
    swap_grid = out / "swap_grid.png"
    from PIL import Image

    write_atomic(people_sheet, lambda p: Image.fromarray(_tile(people_tiles, people_cols)).save(p))
    write_atomic(swap_grid, lambda p: Image.fromarray(_tile(swap_tiles, len(SWEEP))).save(p))
    summary = {"n": n, "seed": seed, "temperature": temperature, "top_k": top_k, "prior": str(prior_path),
               "sampler": str(sampler_path), "tokens shared with the nearest training identity (mean)":
               round(float(share.mean()), 3), "the same for held-out real identities (reference)":
               sampler_file["summary"].get("val_agreement_mean"), "people": table}  # fmt: skip
    write_json_atomic(out / "samples.json", summary)
    return SampledPeople(avatars, people_sheet, swap_grid, table, summary)
