"""Per-modality PCA of canonical Gaussians: the raw GEM encoding and the linear models.

Raw encoding of one frame of canonical Gaussians (what each modality's PCA sees, Gaussian-major flat):

- position: ``means`` ``[N*3]`` in metres;
- rotation: unit quaternions ``[N*4]`` w-x-y-z, each sign-aligned to the neutral frame's quaternion
  (``q`` and ``-q`` are one rotation; aligning keeps the data on one side so PCA sees small changes);
  decoding renormalises;
- scale: ``log(scales)`` ``[N*3]`` (log metres);
- opacity: ``logit(opacities)`` ``[N]`` (clamped to [1e-4, 1 - 1e-4] first).

Colour is not in the PCA: :func:`build_gem` fixes it from the neutral frame (batch element 0).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from synthetic.formats.gem import DIMS, MODALITIES, GemModality, GemModel

OPACITY_EPS = 1e-4


def encode_raw(
    canonical: Mapping[str, Tensor], neutral_quats: Float[Tensor, "N 4"] | None = None
) -> dict[str, Float[Tensor, "B F"]]:
    """Raw per-modality rows ``{modality: [B, N*D]}`` (float64) of canonical Gaussians ``[B, N, ...]``.

    Args:
        canonical: dict with ``means``, ``quats``, ``scales``, ``opacities`` (module docstring of ``teacher``).
        neutral_quats: ``[N, 4]`` reference for the quaternion sign; default the batch's first frame.
    """
    means = canonical["means"].double()
    b = means.shape[0]
    q = canonical["quats"].double()
    q = q / q.norm(dim=-1, keepdim=True).clamp(min=1e-12)
    ref = q[0] if neutral_quats is None else neutral_quats.double()
    q = torch.where(((q * ref).sum(-1, keepdim=True) < 0), -q, q)
    opacity = canonical["opacities"].double().clamp(OPACITY_EPS, 1 - OPACITY_EPS)
    return {
        "position": means.reshape(b, -1),
        "rotation": q.reshape(b, -1),
        "scale": canonical["scales"].double().clamp(min=1e-12).log().reshape(b, -1),
        "opacity": torch.logit(opacity).reshape(b, -1),
    }


def fit_pca(rows: Float[Tensor, "T F"], k: int) -> tuple[Tensor, Tensor, Tensor]:
    """PCA of ``T`` rows: ``(mean [F], basis [k', F] orthonormal rows, std [k'])`` with ``k' = min(k, T-1, F)``.

    ``std`` is the standard deviation of each coefficient over the rows (singular value / sqrt(T - 1)).
    With ``k' = T - 1`` (full rank) every row is reproduced exactly: ``row = mean + coeffs @ basis``.
    """
    rows = rows.double()
    t = rows.shape[0]
    mean = rows.mean(0)
    centred = rows - mean
    k = max(0, min(int(k), t - 1, rows.shape[1]))
    if k == 0:
        return mean, rows.new_zeros(0, rows.shape[1]), rows.new_zeros(0)
    # economy SVD through the T x T Gram matrix: T (frames) is small, F (N*D) is large
    gram = centred @ centred.T
    evals, evecs = torch.linalg.eigh(gram)
    order = torch.argsort(evals, descending=True)[:k]
    evals, evecs = evals[order].clamp(min=0), evecs[:, order]
    sing = evals.sqrt()
    basis = (evecs.T @ centred) / sing.clamp(min=1e-30)[:, None]
    basis, _ = _orthonormal_rows(basis)
    std = sing / max(t - 1, 1) ** 0.5
    return mean, basis, std


def _orthonormal_rows(basis: Float[Tensor, "K F"]) -> tuple[Tensor, Tensor]:
    """QR of ``basis.T``: ``(Q.T [K, F] orthonormal rows, R [K, K])`` with ``basis = R.T @ Q.T``; signs kept so
    that ``R`` has a positive diagonal (rows keep their direction)."""
    q, r = torch.linalg.qr(basis.T)
    sign = torch.sign(torch.diagonal(r))
    sign = torch.where(sign == 0, torch.ones_like(sign), sign)
    return (q * sign).T, r * sign[:, None]


def project(rows: Float[Tensor, "B F"], mean: Float[Tensor, " F"], basis: Float[Tensor, "K F"]) -> Tensor:
    """Least-squares coefficients ``[B, K]`` of rows in an orthonormal basis: ``(rows - mean) @ basis.T``."""
    return (rows.to(basis.dtype) - mean) @ basis.T


def component_counts(components: int | Mapping[str, int]) -> dict[str, int]:
    """``{modality: k}`` from one count for all modalities or a per-modality mapping."""
    if isinstance(components, Mapping):
        unknown = sorted(set(components) - set(MODALITIES))
        if unknown:
            raise ValueError(f"unknown modalities {unknown}; use {MODALITIES}")
        return {m: int(components.get(m, 0)) for m in MODALITIES}
    return {m: int(components) for m in MODALITIES}


def build_gem(
    canonical: Mapping[str, Tensor], components: int | Mapping[str, int], metadata: dict | None = None
) -> tuple[GemModel, dict[str, Tensor]]:
    """PCA per modality of canonical Gaussians of ``T`` training expressions (frame 0 = neutral).

    Args:
        canonical: ``[T, N, ...]`` canonical Gaussians (``teacher.canonical`` output); frame 0 gives the
            colour and the quaternion sign reference.
        components: components per modality (10, 30, 50 in the paper), capped at ``T - 1``.
        metadata: stored in the model.

    Returns:
        ``(model, coefficients)``: the :class:`GemModel` (float32 arrays) and the training frames'
        coefficients ``{modality: [T, k]}`` (float64).
    """
    counts = component_counts(components)
    raw = encode_raw(canonical)
    mods, coeffs = {}, {}
    for m in MODALITIES:
        mean, basis, std = fit_pca(raw[m], counts[m])
        coeffs[m] = project(raw[m], mean, basis)
        mods[m] = GemModality(*(t.float().cpu().numpy() for t in (mean, basis, std)))
    sh = canonical["sh"][0].detach().float().cpu().numpy()
    meta = dict(metadata or {})
    meta.setdefault("requested_components", counts)
    model = GemModel(**mods, colour_sh=sh, metadata=meta)
    assert all(mods[m].mean.size == model.n_gaussians * DIMS[m] for m in MODALITIES)
    return model, coeffs


def explained_variance(std: np.ndarray, rows: Float[Tensor, "T F"]) -> float:
    """Fraction of the rows' total variance the components with ``std`` explain."""
    total = float(rows.double().var(0, unbiased=True).sum())
    return float(np.sum(np.asarray(std, dtype=np.float64) ** 2) / total) if total > 0 else 1.0
