"""Training and evaluating a prior as library calls that write a run folder and return what they did.

``python -m backend train-prior`` and ``eval-prior`` are thin shells over :func:`train_prior` and
:func:`evaluate_prior`; the main job calls them directly.

Example::

    run = train_prior("data/", "runs/prior", config="tiny", steps=100)
    held_out = evaluate_prior(run.run_dir, "data/", identities="held-out")
    held_out.metrics["psnr"], held_out.image
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthetic.errors import UserInputError

RUN_FILES = ("config.json", "log.csv", "eval.csv", "summary.json", "checkpoints", "previews")
"""What a run folder holds (``--overwrite`` removes these and nothing else)."""


@dataclass
class TrainedPrior:
    """What :func:`train_prior` did."""

    run_dir: Path
    """The run folder: ``config.json`` (the resolved config), ``log.csv``, ``eval.csv``, ``summary.json``,
    ``previews/``, ``checkpoints/last.pt``."""
    summary: dict[str, Any]
    """The trainer's summary (``summary.json``): step times, Gaussians, ``first_eval`` / ``last_eval`` metrics."""
    main_process: bool = True
    """False on the non-zero ranks of a DDP run (they write nothing and report nothing)."""
    start_step: int = 0
    """The step training started from (> 0 when resumed)."""
    details: dict[str, Any] = field(default_factory=dict)
    """Gaussians, training samples, device and world size, for a log line."""


@dataclass
class PriorEvaluation:
    """What :func:`evaluate_prior` measured and wrote."""

    metrics: dict[str, Any]
    """``l1``, ``psnr``, ``ssim``, ``lpips`` means and ``images``, ``identities``, ``frames``, ``cameras``, ``split``,
    ``step``, ``checkpoint``, ``data`` (the content of :attr:`json`)."""
    json: Path
    """``eval_<split>.json``."""
    image: Path
    """``eval_<split>.png``: rendered rows above ground-truth rows."""


def train_prior(data: str | Path, out: str | Path, config: str | Path = "tiny", overrides: list[str] | None = None,
                steps: int | None = None, resume: bool = False, overwrite: bool = False, device: str = "auto",
                threads: int | None = None, progress=None, time_limit_s: float | None = None,
                init: str | Path | None = None) -> TrainedPrior:
    """Train the SynShot prior on a rendered dataset into the run folder ``out``.

    Args:
        data: dataset root (``python -m synthetic render`` output).
        out: run folder.
        config: preset name (``tiny``, ``small``, ``paper``) or a JSON config file; a resumed run uses its own.
        overrides: ``section.key=value`` settings (:func:`synthetic.overrides.apply_overrides`); not when resuming.
        steps: ``optim.steps`` (also when resuming).
        resume: continue from ``out/checkpoints/last.pt``.
        overwrite: start over in an existing run folder (its :data:`RUN_FILES` are removed first).
        device: ``auto``, ``cpu`` or ``cuda``.
        threads: torch CPU threads (:func:`backend.devices.set_threads`).
        time_limit_s: stop at the first step past this many seconds of training (final eval and checkpoint
            included; the learning-rate milestones become fractions of the run, see :class:`Trainer`).
        init: start from this prior's weights (a run folder, checkpoint or exported file such as
            ``models/reference_prior.pt``) instead of a random initialisation; not with ``resume``.

    Raises:
        UserInputError: contradictory options, an existing run without ``resume``/``overwrite``, a bad config.
    """
    import torch

    from backend.devices import set_threads
    from backend.prior.config import load_config
    from backend.prior.trainer import Trainer

    set_threads(threads)
    out = Path(out)
    if resume and overwrite:
        raise UserInputError("--resume and --overwrite exclude each other")
    if resume and overrides:
        raise UserInputError("--set cannot change a resumed run (its checkpoint carries the config); use --steps")
    if (out / "config.json").exists() and not (resume or overwrite):
        raise UserInputError(f"{out}: already a run folder; pass --resume to continue or --overwrite to start over")
    if overwrite and out.is_dir():
        for name in RUN_FILES:
            p = out / name
            shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
    cfg = load_config(config, overrides)
    trainer = Trainer(cfg, data, out, device, resume=resume, progress=progress, steps=steps, time_limit_s=time_limit_s,
                      init=init)
    details = {"n_gaussians": trainer.model.n_gaussians, "train_samples": len(trainer.train_set),
               "device": str(trainer.device), "world": trainer.dist.world}  # fmt: skip
    start = int(trainer.step)
    if trainer.dist.main and progress is not None:
        progress.message(f"train-prior: {details['n_gaussians']} Gaussians, {details['train_samples']} training "
                         f"samples, device {details['device']}, world {details['world']}, from step {start}")
    summary = trainer.fit()
    if trainer.dist.world > 1:
        torch.distributed.destroy_process_group()
    return TrainedPrior(out, summary, trainer.dist.main, start, details)


def evaluate_prior(prior: str | Path, data: str | Path, identities: str = "held-out", cameras: str = "config",
                   frames: int | None = None, out: str | Path | None = None, device: str = "auto",
                   threads: int | None = None, progress=None) -> PriorEvaluation:
    """L1, PSNR, SSIM and LPIPS of a trained prior on a split of a dataset; writes ``eval_<split>.json`` and
    ``eval_<split>.png`` into ``out`` (default: :func:`default_eval_folder`).

    Args:
        prior: run folder or checkpoint file.
        data: dataset root.
        identities: ``held-out`` (every complete identity of ``data`` the run did not train on: its recorded
            held-out split, and more when the dataset has more identities), ``train`` or ``all``.
        cameras: ``config`` (the run's eval cameras), ``all``, or a comma list of camera names.
        frames: evenly spaced frames per identity (default all).
    """
    from backend.devices import resolve_device, set_threads
    from backend.prior.checkpoint import load_prior
    from backend.prior.data import PriorDataset
    from backend.prior.evaluate import comparison_image, evaluate
    from synthetic.atomic import write_json_atomic
    from synthetic.dataset.files import write_png
    from synthetic.head import HeadModel

    set_threads(threads)
    prior, data = Path(prior), Path(data)
    device = resolve_device(device)
    head = HeadModel.load()
    model, cfg, ckpt = load_prior(prior, device, head)
    split = ckpt.get("split") or {}
    known = {"train": split.get("train"), "held-out": split.get("held-out")}
    if split.get("train"):  # never trained on: the recorded held-out ones and any this dataset has beyond the run's
        from synthetic.dataset import Dataset as DiskDataset

        complete = DiskDataset(data).identities
        known["held-out"] = sorted(set(complete) - set(split["train"])) or known["held-out"]
        known["all"] = sorted(set(split["train"]) | set(known["held-out"]))
    ids = known.get(identities)  # the run's own split when it recorded one
    dataset = PriorDataset(data, cfg.data, identities, head, cfg.train.seed, False, ids or None)
    names = {"config": cfg.data.eval_cameras, "all": None}.get(cameras)
    if cameras not in ("config", "all"):
        names = [c.strip() for c in cameras.split(",") if c.strip()]
    res = evaluate(model, dataset, device, names, frames, keep=3, progress=progress)
    renders = res.pop("renders")
    folder = Path(out) if out is not None else default_eval_folder(prior)
    res.update(split=identities, step=int(ckpt["step"]), checkpoint=ckpt["path"], data=str(data))
    path = write_json_atomic(folder / f"eval_{identities}.json", res)
    image = write_png(folder / f"eval_{identities}.png", comparison_image(renders))
    return PriorEvaluation(res, path, image)


def default_eval_folder(prior: Path) -> Path:
    """Where ``eval-prior`` writes when given no ``--out``: a run folder itself (also for a checkpoint inside its
    ``checkpoints/``); for an exported prior file (e.g. ``models/reference_prior.pt``), never beside it but
    ``./<file stem>_eval/`` in the working directory."""
    if prior.is_dir():
        return prior
    run = prior.parent.parent
    if prior.parent.name == "checkpoints" and (run / "config.json").is_file():
        return run
    return Path.cwd() / f"{prior.stem}_eval"


def held_out_identities(prior: str | Path) -> list[int]:
    """The identities a prior run never trained on (its checkpoint's recorded split)."""
    from backend.prior.checkpoint import load_checkpoint

    ckpt = load_checkpoint(prior)
    held = (ckpt.get("split") or {}).get("held-out")
    if not held:
        raise UserInputError(f"{ckpt.get('path', prior)}: the checkpoint records no held-out split")
    return [int(i) for i in held]
