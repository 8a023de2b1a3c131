"""Main-job stages of the avatars: invert a prior (:func:`backend.invert.run.invert_to_file`) on three views of a
held-out synthetic identity and on the real photo ``skimage.data.astronaut()``, and render each avatar's orbit and
expression sweep (:func:`backend.avatar.frames.render_avatar`) as contact sheets.

The prior is the shipped one (``models/reference_prior.pt``, see ``models/README.md``) when the checkout has it:
the held-out identity is then one the shipped prior never saw, rendered here with ``--preset prior``. Without
it, the main job's own small prior (stage 04) and a held-out identity of its own dataset stand in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from backend.avatar.expressions import SWEEP, sweep_coefficients
from synthetic.dataset.files import read_png, write_png
from synthetic.progress import Progress

from .images import contact_sheet
from .prior_stage import PRIOR_FOLDER
from .stages import Stage

SYNTHETIC_VIEWS = "0:cam_02,0:cam_05,0:cam_08"
"""The three input views of the held-out identity (own prior): neutral frame, front-low centre and +-52 degrees at
eye level."""
SHIPPED_VIEWS = "0:cam_02,0:cam_01,0:cam_03"
"""The same for the shipped prior's data (the prior preset's cameras): neutral frame, front-low centre and +-34
degrees."""
ORBIT_FRAMES = 12


def sheet(folder: Path, frames: list[Path], name: str, columns: int) -> str:
    """Contact sheet of ``frames`` (PNG files) saved as ``folder/name``; returns its path relative to the report."""
    if not frames:
        raise RuntimeError(f"{folder / name}: no frames were rendered for it")
    write_png(folder / name, contact_sheet([read_png(p) / 255.0 for p in frames], columns, background=(1.0, 1.0, 1.0)))
    return f"{folder.name}/{name}"


def expression_sequence(path: Path) -> Path:
    """Write the expression sweep (:data:`backend.avatar.expressions.SWEEP`) as ``[T, E]`` coefficients (``.npy``)
    for ``render --expressions``."""
    from synthetic.head import HeadModel

    np.save(path, sweep_coefficients(HeadModel.load()))
    return path


def render_avatar_sheets(folder: Path, avatar: Path, label: str, device: torch.device) -> list[str]:
    """Orbit and expression-sweep contact sheets of ``avatar``."""
    from backend.avatar.frames import render_avatar

    orbit = render_avatar(avatar, folder / f"{label}_orbit", orbit=ORBIT_FRAMES, device=device.type)
    seq = expression_sequence(folder / "expressions.npy")
    expr = render_avatar(avatar, folder / f"{label}_expressions", expressions=seq, device=device.type)
    return [sheet(folder, orbit.frames, f"{label}_orbit.png", ORBIT_FRAMES // 2),
            sheet(folder, expr.frames, f"{label}_expressions.png", len(SWEEP))]  # fmt: skip


def inversion_facts(summary: dict[str, Any]) -> dict[str, Any]:
    """Headline numbers of an inversion (:attr:`backend.invert.run.AvatarRun.summary`)."""
    facts = {"Gaussians": summary.get("n_gaussians"),
             "input-view PSNR before -> after (dB)": f"{summary['psnr_inputs_before']:.2f} -> "
                                                     f"{summary['psnr_inputs_after']:.2f}",
             "Gaussians no input saw (kept near the pivot)": f"{100 * summary.get('unseen_fraction', 0):.0f} %",
             "identity loss": summary.get("identity_loss")}  # fmt: skip
    ident = summary.get("identity") or {}
    before, after = ident.get("csim_before") or {}, ident.get("csim_after") or {}
    if after.get("csim") is not None:
        facts["CSIM vs the inputs, before -> after (dlib; distance < 0.6 = same person)"] = (
            f"{before.get('csim', float('nan')):.3f} -> {after['csim']:.3f} (distance {after['distance']:.3f}, "
            f"faces in {after['faces']} of {after['views']} inputs)")
    for st in ("stage1", "stage2"):
        if st in summary:
            r = summary[st]
            early = ", stopped early" if r["stopped_early"] else ""
            facts[st] = f"{r['steps']}/{r['steps_budget']} steps in {r['seconds']:.0f} s{early}"
    return facts


def _novel_scores(avatar_path: Path, data: Path, identity: int, views: str, device: torch.device) -> list[dict]:
    from backend.avatar import load_avatar
    from backend.invert.evaluate import score_avatar
    from backend.invert.run import parse_views

    avatar = load_avatar(avatar_path, device)
    size = (avatar.prior.cfg.data.render_width, avatar.prior.cfg.data.render_height)
    scores = score_avatar(avatar, data, identity, parse_views(views), size)
    return [{"split": name.replace("_", " "), **row} for name, row in scores.items()]


def which_prior(folder: Path, prior_stage: str) -> tuple[Path, str, bool]:
    """The shipped prior when the checkout has it, else the main job's own; words for the report; whether shipped."""
    from backend.prior.shipped import SHIPPED_PRIOR

    if SHIPPED_PRIOR.is_file():
        from backend.prior.checkpoint import load_checkpoint

        n = len((load_checkpoint(SHIPPED_PRIOR).get("split") or {}).get("train") or [])
        return SHIPPED_PRIOR, f"shipped (models/reference_prior.pt, {n} training identities)", True
    return folder.parent / prior_stage / PRIOR_FOLDER, f"the main job's own ({prior_stage})", False


def render_held_out(folder: Path, prior: Path, progress: Progress) -> tuple[Path, int]:
    """Render the shipped prior's last held-out identity with the prior preset into ``folder/data`` (resumable,
    ~30 s on 2 cores; the shipped prior's data had seed 0, see models/README.md); returns the dataset root and
    the identity."""
    from backend.prior.checkpoint import load_checkpoint
    from synthetic.render_job import DatasetRequest, render_dataset, with_preset

    split = load_checkpoint(prior)["split"]
    identity = int(split["held-out"][-1])
    n = len(split["train"]) + len(split["held-out"])
    options = with_preset({f: None for f in DatasetRequest.__dataclass_fields__ if f not in ("identities", "out")},
                          "prior")
    options.update(identities=n, out=folder / "data", shard=f"{identity}/{n}", resume=True, overwrite=False,
                   seed=0, device="cpu")
    rendered = render_dataset(DatasetRequest(**options), progress)
    if rendered.failures:
        raise RuntimeError(f"rendering held-out identity {identity} failed; see {rendered.log}")
    return folder / "data", identity


def invert_synthetic_stage(device: torch.device, data_stage: str, prior_stage: str) -> Stage:
    """Invert a held-out synthetic identity from three views."""

    def run(folder: Path, progress: Progress) -> dict[str, Any]:
        from backend.invert.run import invert_to_file
        from backend.prior.run import held_out_identities

        prior, which, shipped = which_prior(folder, prior_stage)
        if shipped:
            data, identity = render_held_out(folder, prior, progress)
            views = SHIPPED_VIEWS
        else:
            data, identity, views = folder.parent / data_stage / "data", held_out_identities(prior)[0], SYNTHETIC_VIEWS
        avatar = invert_to_file(prior, folder / "synthetic.avatar.pt", data=data, identity=identity, views=views,
                                device=device.type)  # fmt: skip
        images = [f"{folder.name}/{avatar.preview.name}",
                  *render_avatar_sheets(folder, avatar.avatar, "synthetic", device)]  # fmt: skip
        scores = _novel_scores(avatar.avatar, data, identity, views, device)
        return {"facts": {"prior": which, "identity (held out of training)": identity, "input views": views,
                          **inversion_facts(avatar.summary)},
                "tables": {"Avatar vs ground truth on views and expressions it never saw": scores},
                "images": images}  # fmt: skip

    return Stage("05_invert_synthetic", "Few-shot inversion: three views of a held-out synthetic identity", run)


def invert_photo_stage(device: torch.device, prior_stage: str) -> Stage:
    """Invert the real photo ``skimage.data.astronaut()``."""

    def run(folder: Path, progress: Progress) -> dict[str, Any]:
        from skimage import data as skdata

        from backend.invert.run import invert_to_file

        photo = write_png(folder / "astronaut.png", skdata.astronaut())
        prior, which, _ = which_prior(folder, prior_stage)
        avatar = invert_to_file(prior, folder / "astronaut.avatar.pt", images=[photo], device=device.type)
        images = [f"{folder.name}/{photo.name}", f"{folder.name}/{avatar.preview.name}",
                  *render_avatar_sheets(folder, avatar.avatar, "astronaut", device)]  # fmt: skip
        return {"facts": {"photo": "skimage.data.astronaut()", "prior": which, **inversion_facts(avatar.summary)},
                "images": images}

    return Stage("06_invert_photo", "Single-photo inversion: skimage.data.astronaut()", run)
