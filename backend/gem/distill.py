"""GEM distillation: sample expressions, ask the teacher for canonical Gaussians, PCA per modality.

Example::

    teacher = MeshTeacher(HeadModel.load(), 4096)
    result = distill(teacher, DistillConfig(components=30), head=HeadModel.load())
    result.model          # GemModel, ready for write_gem
    result.train_coefficients["position"]   # [T, 30]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from synthetic.errors import UserInputError
from synthetic.formats.gem import MODALITIES, GemModel

from .decode import TorchGem
from .pca import build_gem, encode_raw, explained_variance, project
from .teacher import Teacher

GAUSSIAN_KEYS = ("means", "quats", "scales", "opacities", "sh")
"""The teacher outputs a GEM uses (an avatar adds regulariser terms)."""


@dataclass
class DistillConfig:
    """How a GEM is distilled from a teacher."""

    components: int | dict[str, int] = 30
    """Principal components per modality (the paper uses 10, 30 or 50), or ``{modality: k}``; capped at
    training frames - 1."""
    n_train: int = 120
    """Training expressions: the neutral (all zeros), then sampled codes and dataset trajectory frames."""
    n_heldout: int = 16
    """Held-out expressions for evaluation (sampled with another seed, never seen by the PCA)."""
    activity: float = 0.12
    """``HeadModel.sample_expression`` activity: chance of each expression component being on."""
    seed: int = 0
    """Seeds the expression sampler."""
    batch: int = 16
    """Expressions per teacher call."""
    trajectories: list[str] = field(default_factory=list)
    """Dataset identity folders whose frames' expressions join the training set (``frame_*/frame.json``)."""


@dataclass
class DistillResult:
    """What :func:`distill` hands on to refinement and the CLI."""

    model: GemModel
    train_expressions: np.ndarray
    """``[T, E]`` training expression codes (row 0 = neutral)."""
    heldout_expressions: np.ndarray
    """``[H, E]`` held-out codes."""
    train_coefficients: dict[str, Tensor]
    """``{modality: [T, k]}`` coefficients of the training frames (projections)."""
    train_canonical: dict[str, Tensor]
    """Teacher canonical Gaussians ``[T, N, ...]`` of the training expressions."""
    heldout_canonical: dict[str, Tensor] | None
    """Teacher canonical Gaussians ``[H, N, ...]`` of the held-out expressions (None when H = 0)."""
    stats: dict = field(default_factory=dict)

    @property
    def neutral_quats(self) -> Tensor:
        """``[N, 4]`` quaternions of the neutral frame (the sign reference of the rotation modality)."""
        return self.train_canonical["quats"][0]


def trajectory_expressions(identity_dir: str | Path, n_expression: int) -> np.ndarray:
    """``[F, E]`` expression codes of every frame of a dataset identity folder, in frame order."""
    from synthetic.dataset.files import read_json

    folder = Path(identity_dir)
    frames = sorted(folder.glob("frame_*/frame.json"))
    if not frames:
        raise UserInputError(f"{folder}: no frame_*/frame.json files (not a dataset identity folder)")
    codes = []
    for f in frames:
        e = np.asarray(read_json(f).get("expression", []), dtype=np.float64)
        if e.shape != (n_expression,):
            raise UserInputError(f"{f}: expression has shape {e.shape}, the teacher takes ({n_expression},)")
        codes.append(e)
    return np.stack(codes)


def sample_expressions(head, cfg: DistillConfig, n_expression: int) -> tuple[np.ndarray, np.ndarray]:
    """``(train [T, E], heldout [H, E])``: neutral first, dataset trajectories, then sampled codes."""
    rng = np.random.default_rng(cfg.seed)
    parts = [np.zeros((1, n_expression))]
    for folder in cfg.trajectories:
        parts.append(trajectory_expressions(folder, n_expression))
    have = sum(len(p) for p in parts)
    if cfg.n_train > have:
        parts.append(head.sample_expression(rng, cfg.n_train - have, cfg.activity))
    train = np.concatenate(parts)[: max(cfg.n_train, 2)]
    heldout = head.sample_expression(np.random.default_rng(cfg.seed + 7919), cfg.n_heldout, cfg.activity)
    return train, heldout


def teacher_canonical(teacher: Teacher, expressions: np.ndarray, batch: int = 16, progress=None,
                      stage: str = "teacher") -> dict[str, Tensor]:  # fmt: skip
    """Canonical Gaussians ``[T, N, ...]`` of ``T`` expression codes, asked in batches (no gradients)."""
    chunks = []
    total = len(expressions)
    with torch.no_grad():
        for i in range(0, total, batch):
            e = torch.as_tensor(expressions[i : i + batch], dtype=torch.float32)
            out = teacher.canonical(e)
            chunks.append({k: out[k].detach().float().cpu() for k in GAUSSIAN_KEYS})
            if progress is not None:
                progress.update(stage, min(i + batch, total), total)
    return {k: torch.cat([c[k] for c in chunks]) for k in chunks[0]}


def distill(teacher: Teacher, cfg: DistillConfig, head, progress=None) -> DistillResult:
    """Sample expressions, query the teacher, PCA per modality with colour fixed from the neutral frame.

    Args:
        teacher: a :class:`~backend.gem.teacher.Teacher` (an avatar or the mesh teacher).
        cfg: see :class:`DistillConfig`.
        head: ``synthetic.head.HeadModel`` (the expression sampler).
        progress: optional ``synthetic.progress.Progress``.
    """
    n_expr = int(teacher.n_expression)
    train, heldout = sample_expressions(head, cfg, n_expr)
    canon = teacher_canonical(teacher, train, cfg.batch, progress, "teacher train")
    meta = {"created_by": "backend.gem.distill", "distill": asdict(cfg), "n_train": len(train)}
    model, train_coeffs = build_gem(canon, cfg.components, meta)
    raw_train = encode_raw(canon)
    stats = {"explained_variance": {m: explained_variance(model.modality(m).std, raw_train[m]) for m in MODALITIES}}
    held = teacher_canonical(teacher, heldout, cfg.batch, progress, "teacher held-out") if len(heldout) else None
    stats["n_gaussians"] = model.n_gaussians
    stats["components"] = model.component_counts
    return DistillResult(model, train, heldout, train_coeffs, canon, held, stats)


def project_frames(gem: TorchGem, canon: dict[str, Tensor], neutral_quats: Tensor) -> dict[str, Tensor]:
    """Coefficients ``{modality: [T, k]}`` of canonical Gaussians ``[T, N, ...]`` on the GEM's (current) bases:
    the least-squares fit of each modality's raw values (what a GEM can best do without images)."""
    raw = encode_raw(canon, neutral_quats)
    with torch.no_grad():
        return {m: project(raw[m].to(gem.mean(m).device), gem.mean(m).double(), gem.basis(m).double()).float()
                for m in MODALITIES}
