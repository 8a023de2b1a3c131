"""Distilling a ``.gem`` file from an avatar as one library call: PCA per modality, photometric refinement, the
report sheet and JSON beside it. ``python -m backend distill-gem`` is a thin shell over :func:`make_gem`; the main
job calls it directly.

Example::

    run = make_gem("me.avatar.pt", "me.gem", GemConfig(distill=DistillConfig(components=30)))
    run.summary["psnr_after"]["heldout"], run.sheet
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from synthetic.errors import UserInputError
from synthetic.formats.gem import PRECISIONS

from .distill import DistillConfig
from .refine import RefineConfig


@dataclass
class GemConfig:
    """Everything :func:`make_gem` does, saved as ``config`` in the JSON beside the ``.gem``."""

    distill: DistillConfig = field(default_factory=DistillConfig)
    """Expressions sampled from the teacher and the PCA (components per modality, seeds, dataset trajectories)."""
    refine: RefineConfig = field(default_factory=RefineConfig)
    """Photometric refinement of means and bases against the teacher's renders (``steps = 0``: none)."""
    map_size: int = 0
    """Resample an avatar teacher to this UV map size (0: as trained)."""
    gaussians: int = 4096
    """Gaussian count of the head-model mesh teacher (``mesh`` / ``mesh:SEED``) when ``map_size`` is 0."""
    eval_frames: int = 8
    """Training frames scored in the PSNR report (held-out frames are all scored)."""
    threads: int = 1
    """Torch CPU threads."""
    precision: str = "uint8"
    """How the ``.gem`` stores its numbers (:data:`synthetic.formats.gem.PRECISIONS`): ``uint8`` (format version 3,
    the compact default: 8-bit bases, 16-bit means and colour; a third of GEM's megabytes per Gaussian, a few
    thousandths of a dB), ``float16`` (version 2: float16 bases) or ``float32`` (version 1, exact). Readers older
    than the version refuse the file with one line."""

    @staticmethod
    def load(choice: str | None = None, overrides: list[str] | None = None) -> GemConfig:
        """The defaults, then the preset ``choice`` (:data:`PRESETS`) or a JSON file, then ``--set`` ``overrides``
        (:func:`synthetic.overrides.resolve_config`)."""
        from synthetic.overrides import resolve_config

        return resolve_config(GemConfig(), PRESETS, choice, overrides)


PRESETS: dict[str, dict] = {
    "default": {},
    "quick": {"refine": {"steps": 60}},
    "gpu": {"refine": {"steps": 300}},
}
"""Named settings: ``default`` (200 refinement steps), ``quick`` (60: the main job on a CPU), ``gpu`` (300)."""


@dataclass
class GemRun:
    """What :func:`make_gem` wrote and measured."""

    gem: Path
    """The ``.gem`` file."""
    sheet: Path
    """``NAME.png``: teacher vs GEM on held-out expressions, then sweeps of position components 1..3."""
    report: Path
    """``NAME.json``: the :attr:`summary`."""
    summary: dict[str, Any]
    """Gaussians, component counts, size, PSNR before/after refinement (train, heldout), refinement statistics
    and whether it was kept, explained variance, and the resolved ``config``."""


def make_gem(avatar: str, out: str | Path, cfg: GemConfig | None = None, progress=None) -> GemRun:
    """Distil a Gaussian Eigen Model from ``avatar`` (an avatar file, or ``mesh`` / ``mesh:SEED`` for the head-model
    mesh teacher) into ``out`` (``.gem``), with ``NAME.png`` and ``NAME.json`` beside it.

    Refinement is kept only when it raises the training PSNR (on a near-exact PCA it only adds optimiser noise).
    """
    import torch

    from backend.gem.decode import TorchGem
    from backend.gem.distill import distill, project_frames
    from backend.gem.refine import evaluate_psnr, refine
    from backend.gem.sheet import distill_sheet
    from backend.gem.teacher import load_teacher
    from backend.gem.views import FRONTAL, rig_cameras
    from synthetic.atomic import write_json_atomic
    from synthetic.dataset.files import write_png
    from synthetic.formats.gem import write_gem
    from synthetic.head import HeadModel
    from synthetic.progress import Progress

    cfg = cfg or GemConfig()
    progress = progress or Progress("none")
    out = Path(out)
    torch.set_num_threads(max(1, cfg.threads))
    if out.suffix != ".gem":
        raise UserInputError(f"--out {out}: the output must end in .gem")
    comps = cfg.distill.components
    counts = list(comps.values()) if isinstance(comps, dict) else [comps]
    if max(counts) < 1 or cfg.distill.n_train < 2:
        raise UserInputError("--components must be >= 1 and --expressions >= 2")
    if cfg.precision not in PRECISIONS:
        raise UserInputError(f"precision must be one of {', '.join(PRECISIONS)}, not {cfg.precision!r}")
    rcfg = cfg.refine
    head = HeadModel.load()
    teacher = load_teacher(avatar, head, cfg.map_size or None, cfg.gaussians)
    res = distill(teacher, cfg.distill, head, progress)
    gem = TorchGem.from_model(res.model)
    cams = rig_cameras(rcfg.width, rcfg.height)
    eval_cams = rig_cameras(rcfg.width, rcfg.height, [*FRONTAL, 16, 24])
    train_frames = sorted(set(torch.linspace(0, len(res.train_expressions) - 1, cfg.eval_frames).long().tolist()))
    train_k = project_frames(gem, res.train_canonical, res.neutral_quats)

    def report() -> dict:
        psnr = {"train": evaluate_psnr(gem, train_k, res.train_canonical, eval_cams, train_frames)}
        if res.heldout_canonical is not None:
            held_k = project_frames(gem, res.heldout_canonical, res.neutral_quats)
            psnr["heldout"] = evaluate_psnr(gem, held_k, res.heldout_canonical, eval_cams)
        return psnr

    before = report()
    pca_state = {k: v.clone() for k, v in gem.state_dict().items()}
    pca_k = {m: k.clone() for m, k in train_k.items()}
    stats = refine(gem, res.train_canonical, train_k, cams, rcfg, progress)
    after = report() if rcfg.steps > 0 else before
    stats["kept"] = rcfg.steps > 0 and after["train"] >= before["train"]
    if rcfg.steps > 0 and not stats["kept"]:  # refinement only adds optimiser noise to a near-exact PCA
        gem.load_state_dict(pca_state)
        train_k.update(pca_k)
        progress.message(f"distill-gem: refinement lowered the training PSNR ({before['train']:.2f} -> "
                         f"{after['train']:.2f} dB); keeping the PCA bases")
        after = before
    progress.message(f"distill-gem: PSNR train {before['train']:.2f} -> {after['train']:.2f} dB, held-out "
                     f"{before.get('heldout', float('nan')):.2f} -> {after.get('heldout', float('nan')):.2f} dB")
    meta = dict(res.model.metadata, source_avatar=str(avatar), psnr=after.get("heldout", after["train"]),
                psnr_before_refine=before, psnr_after_refine=after, refine=asdict(rcfg), refine_stats=stats,
                expression_names=list(head.expression_names), explained_variance=res.stats["explained_variance"],
                created_by="python -m backend distill-gem")  # fmt: skip
    model = gem.to_model(meta, source=str(out))
    path = write_gem(out, model, precision=cfg.precision)
    sheet_cam = rig_cameras(128, 128, [FRONTAL[1]])
    held_flat = None
    if res.heldout_canonical is not None:
        held_flat = gem.flatten(project_frames(gem, res.heldout_canonical, res.neutral_quats))
    sheet = write_png(path.with_suffix(".png"), distill_sheet(gem, res.heldout_canonical, held_flat, sheet_cam))
    summary = {"gem": str(path), "sheet": str(sheet), "n_gaussians": model.n_gaussians,
               "components": model.component_counts, "size_mb": path.stat().st_size / 1e6,
               "psnr_before": before, "psnr_after": after, "refine": stats, "refinement_kept": stats.get("kept"),
               "explained_variance": res.stats["explained_variance"], "config": asdict(cfg)}  # fmt: skip
    report_path = write_json_atomic(path.with_suffix(".json"), summary)
    return GemRun(path, sheet, report_path, summary)
