"""Image -> GEM coefficients: mediapipe landmarks, a PCA layer and a small MLP (GEM section 3.4, with landmarks
in place of EMOCA features, which are not installable here).

Features of an image: its 478 face-mesh landmarks (``backend.photos.detect_face``; x, y in pixels, z in
mediapipe's crop-relative units) normalised (centred; x-y scaled to unit RMS radius; z, which mediapipe gives
relative to its face crop and so already free of the image scale, multiplied by :data:`Z_GAIN` to come out in
about the same units), turned and scaled onto the neutral frame's normalised landmarks by a 3D similarity
Procrustes fit (so small head turns, not only in-plane ones, are largely removed), minus the neutral frame's
normalised landmarks (relative features, as GEM's ``r = f - f_neutral``), projected on their first 50 principal
components (``kappa = (r - R_mean) R^T``, one overall scale so that ``kappa`` has unit RMS; not whitened, so
low-variance landmark noise stays small). The MLP has 3 hidden layers of 256 units with ReLU; the output is
``k = 3 sigma_k tanh(MLP(kappa))``, so every coefficient stays within 3 standard deviations.

Training holds out a validation part of the renders and keeps the weights of the best validation loss (the
landmark signal of an expression is small next to detector noise, and the MLP overfits a few hundred renders).

The regressor is saved as a plain numpy ``.npz`` (no pickle): ``format``, ``version``, ``neutral`` [478, 3],
``pca_mean`` [F], ``pca_basis`` [P, F], ``sigma`` [K], ``layer{i}_weight`` / ``layer{i}_bias``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor, nn

from synthetic.atomic import write_atomic
from synthetic.errors import UserInputError

FORMAT_NAME = "synthheads-gem-regressor"
FORMAT_VERSION = 1
N_LANDMARKS = 478
Z_GAIN = 9.0
"""mediapipe z (relative to its face crop, about 3 face-box sides wide) to x-y RMS-radius units: about the crop
side over the RMS radius of the landmarks."""


def normalise_landmarks(lm: np.ndarray) -> np.ndarray:
    """``[478, 3]`` landmarks centred, x-y scaled so their RMS radius is 1, z times :data:`Z_GAIN`."""
    lm = np.asarray(lm, dtype=np.float64)
    if lm.shape != (N_LANDMARKS, 3):
        raise ValueError(f"landmarks must be [{N_LANDMARKS}, 3], got {list(lm.shape)}")
    c = lm - lm.mean(0)
    c[:, :2] /= max(float(np.sqrt((c[:, :2] ** 2).sum(1).mean())), 1e-9)
    c[:, 2] *= Z_GAIN
    return c


def landmark_features(lm: np.ndarray, neutral: np.ndarray) -> np.ndarray:
    """Relative features ``[478*3]``: normalised ``lm`` turned and scaled onto ``neutral`` (already normalised)
    by a 3D similarity fit, minus ``neutral``."""
    a = normalise_landmarks(lm)
    u, _, vt = np.linalg.svd(a.T @ neutral)
    d = np.sign(np.linalg.det(u @ vt))
    b = a @ (u @ np.diag([1.0, 1.0, d]) @ vt)
    scale = float((b * neutral).sum() / max(float((b * b).sum()), 1e-12))
    return (scale * b - neutral).reshape(-1)


class Regressor(nn.Module):
    """PCA layer + MLP + ``3 sigma tanh`` head. Build with :func:`train_regressor` or :func:`load_regressor`."""

    def __init__(self, neutral: np.ndarray, pca_mean: np.ndarray, pca_basis: np.ndarray, sigma: np.ndarray,
                 hidden: int = 256, layers: int = 3) -> None:  # fmt: skip
        super().__init__()
        self.register_buffer("neutral", torch.as_tensor(neutral, dtype=torch.float64))
        self.register_buffer("pca_mean", torch.as_tensor(pca_mean, dtype=torch.float32))
        self.register_buffer("pca_basis", torch.as_tensor(pca_basis, dtype=torch.float32))
        self.register_buffer("sigma", torch.as_tensor(sigma, dtype=torch.float32))
        dims = [pca_basis.shape[0]] + [hidden] * layers + [len(sigma)]
        mods: list[nn.Module] = []
        for i in range(len(dims) - 1):
            mods.append(nn.Linear(dims[i], dims[i + 1]))
            if i < len(dims) - 2:
                mods.append(nn.ReLU())
        self.mlp = nn.Sequential(*mods)

    def kappa(self, features: Float[Tensor, "B F"]) -> Float[Tensor, "B P"]:
        return (features.float() - self.pca_mean) @ self.pca_basis.T

    def forward(self, features: Float[Tensor, "B F"]) -> Float[Tensor, "B K"]:
        """Flat GEM coefficients ``[B, K]``, each within ``3 sigma``."""
        return 3.0 * self.sigma * torch.tanh(self.mlp(self.kappa(features)))

    def features(self, landmarks: np.ndarray, driver_neutral: np.ndarray | None = None) -> np.ndarray:
        """Relative features ``[B, 478*3]`` of landmark sets ``[B, 478, 3]`` (or one ``[478, 3]``).

        Without ``driver_neutral`` they are relative to the GEM's own neutral (right for renders of this GEM, or
        a driver whose face shape is taken to be the GEM's). With a driver's neutral landmarks ``[478, 3]`` they
        are the driver's change from its neutral, ``f(lm) - f(driver_neutral)`` (both aligned on the GEM's
        neutral), so the driver's identity cancels and the driver's neutral maps to the GEM's neutral (k = 0).
        """
        ref = self.neutral.numpy()
        lms = np.asarray(landmarks, dtype=np.float64).reshape(-1, N_LANDMARKS, 3)
        f = np.stack([landmark_features(lm, ref) for lm in lms])
        if driver_neutral is not None:
            f = f - landmark_features(driver_neutral, ref)[None]
        return f

    def predict_landmarks(self, landmarks: np.ndarray, driver_neutral: np.ndarray | None = None) -> np.ndarray:
        """Coefficients ``[B, K]`` for landmark sets ``[B, 478, 3]`` (see :meth:`features` for ``driver_neutral``)."""
        with torch.no_grad():
            return self(torch.as_tensor(self.features(landmarks, driver_neutral))).numpy()

    def linear_layers(self) -> list[nn.Linear]:
        return [m for m in self.mlp if isinstance(m, nn.Linear)]


@dataclass
class RegressorConfig:
    """Regressor training settings."""

    components: int = 50
    """Principal components of the relative landmark features (GEM: 50)."""
    hidden: int = 256
    """Units per hidden layer (GEM: 256)."""
    layers: int = 3
    """Hidden layers (GEM: 3)."""
    steps: int = 2000
    """Adam steps (full batch)."""
    lr: float = 1e-3
    weight_decay: float = 1e-4
    val_fraction: float = 0.15
    """Part of the samples held out to pick the best step (0: none, the last step is kept)."""
    eval_every: int = 20
    """Steps between validation checks."""
    weighting: str = "variance"
    """Loss weight of each coefficient (errors in sigma units): ``"sigma"`` all alike; ``"variance"``
    ``sigma_k^2`` over the mean ``sigma^2`` of its modality, i.e. the squared error of the decoded Gaussian
    parameters, modality by modality (the leading, visible components count most; the many small ones that
    landmarks cannot see count little). Needs ``groups`` in :func:`train_regressor`."""
    seed: int = 0


def loss_weights(sigma: np.ndarray, groups: list[int] | None, weighting: str) -> np.ndarray:
    """``[K]`` weights of the squared sigma-unit errors (:attr:`RegressorConfig.weighting`); mean 1."""
    sig = np.asarray(sigma, dtype=np.float64)
    if weighting == "sigma" or not groups:
        return np.ones_like(sig)
    if weighting != "variance":
        raise ValueError(f"weighting must be 'sigma' or 'variance', got {weighting!r}")
    if sum(groups) != len(sig):
        raise ValueError(f"groups {groups} do not add up to {len(sig)} coefficients")
    w = np.concatenate([s**2 / max(float((s**2).mean()), 1e-30) for s in np.split(sig, np.cumsum(groups)[:-1])])
    return w / w.mean()


def train_regressor(landmarks: np.ndarray, neutral: np.ndarray, targets: np.ndarray, sigma: np.ndarray,
                    cfg: RegressorConfig | None = None, progress=None,
                    groups: list[int] | None = None) -> tuple[Regressor, dict]:  # fmt: skip
    """Fit the regressor on landmark sets ``[T, 478, 3]`` with known flat coefficients ``targets`` ``[T, K]``.

    The loss is the mean squared coefficient error in units of sigma, weighted (``cfg.weighting``). A random
    ``cfg.val_fraction`` of the samples is held out; the weights of the best validation loss are kept.

    Args:
        landmarks: detected landmarks of renders with known coefficients.
        neutral: ``[478, 3]`` landmarks of the neutral render (the relative-feature reference).
        targets: the coefficients the renders were made with.
        sigma: ``[K]`` per-coefficient standard deviations of the GEM (the output bound is ``3 sigma``).
        groups: coefficients per modality (``TorchGem.counts`` values) for ``cfg.weighting == "variance"``;
            without them every coefficient weighs alike.

    Returns:
        ``(regressor, stats)``: ``train_mse_sigma`` and ``val_mse_sigma`` (at the kept step), ``best_step``,
        ``val_mse_zero_sigma`` (what predicting zeros scores on the validation part), ``n_train``, ``n_val``, ``pca``.
    """
    cfg = cfg or RegressorConfig()
    torch.manual_seed(cfg.seed)
    landmarks = np.asarray(landmarks, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    if len(landmarks) != len(targets) or len(landmarks) < 2:
        raise ValueError(f"need matching landmark sets and targets (>= 2), got {len(landmarks)} and {len(targets)}")
    ref = normalise_landmarks(neutral)
    feats = np.stack([landmark_features(lm, ref) for lm in landmarks])
    n_val = int(round(cfg.val_fraction * len(feats))) if len(feats) >= 10 else 0
    order = np.random.default_rng(cfg.seed).permutation(len(feats))
    val, tr = order[:n_val], order[n_val:]
    mean = feats[tr].mean(0)
    _, s, vt = np.linalg.svd(feats[tr] - mean, full_matrices=False)
    p = min(cfg.components, len(vt))
    rms = float(np.sqrt((s[:p] ** 2).sum() / p / max(len(tr) - 1, 1)))
    basis = vt[:p] / max(rms, 1e-12)  # kappa has unit RMS over its components; relative variances kept
    sig = np.maximum(np.asarray(sigma, dtype=np.float64), 1e-8)
    reg = Regressor(ref, mean, basis, sig, cfg.hidden, cfg.layers)
    x = torch.as_tensor(feats, dtype=torch.float32)
    y = torch.as_tensor(targets / sig, dtype=torch.float32)
    xt, yt = x[torch.as_tensor(tr)], y[torch.as_tensor(tr)]
    xv, yv = x[torch.as_tensor(val, dtype=torch.long)], y[torch.as_tensor(val, dtype=torch.long)]
    w = torch.as_tensor(loss_weights(sig, groups, cfg.weighting), dtype=torch.float32)
    opt = torch.optim.Adam(reg.mlp.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    best = (float("inf"), 0, {k: v.clone() for k, v in reg.mlp.state_dict().items()})
    loss = torch.tensor(0.0)
    for step in range(1, cfg.steps + 1):
        loss = (w * (reg(xt) / reg.sigma - yt) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if n_val and (step % cfg.eval_every == 0 or step == cfg.steps):
            with torch.no_grad():
                v = float((w * (reg(xv) / reg.sigma - yv) ** 2).mean())
            if v < best[0]:
                best = (v, step, {k: t.clone() for k, t in reg.mlp.state_dict().items()})
        if progress is not None and step % 50 == 0:
            progress.update("regressor", step, cfg.steps, loss=float(loss.detach()))
    if n_val:
        reg.mlp.load_state_dict(best[2])
    reg.eval()
    with torch.no_grad():
        train_mse = float((w * (reg(xt) / reg.sigma - yt) ** 2).mean())
    stats = {"train_mse_sigma": train_mse, "val_mse_sigma": best[0] if n_val else None,
             "val_mse_zero_sigma": float((w * yv**2).mean()) if n_val else None, "weighting": cfg.weighting,
             "best_step": best[1] if n_val else cfg.steps, "n_train": len(tr), "n_val": n_val, "pca": p}  # fmt: skip
    return reg, stats


def save_regressor(path: str | Path, reg: Regressor) -> Path:
    """Write the regressor as a numpy ``.npz`` (module docstring), atomically."""
    arrays = {"format": np.array(FORMAT_NAME), "version": np.array(FORMAT_VERSION),
              "neutral": reg.neutral.numpy(), "pca_mean": reg.pca_mean.numpy(), "pca_basis": reg.pca_basis.numpy(),
              "sigma": reg.sigma.numpy()}  # fmt: skip
    for i, lin in enumerate(reg.linear_layers()):
        arrays[f"layer{i}_weight"] = lin.weight.detach().numpy()
        arrays[f"layer{i}_bias"] = lin.bias.detach().numpy()

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)

    return write_atomic(path, write)


def load_regressor(path: str | Path) -> Regressor:
    """Read a regressor ``.npz``; :class:`UserInputError` names the file when it is missing or corrupt."""
    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"{path}: no such regressor file")
    try:
        with np.load(path, allow_pickle=False) as npz:
            a = {k: npz[k] for k in npz.files}
    except Exception as exc:  # zip, zlib, pickle and value errors alike: a corrupt file
        raise UserInputError(f"{path}: not a readable regressor .npz ({type(exc).__name__}: {exc})") from None
    if str(a.get("format", "")) != FORMAT_NAME or int(a.get("version", -1)) != FORMAT_VERSION:
        raise UserInputError(f"{path}: not a SynthHeads GEM regressor (format {FORMAT_NAME} v{FORMAT_VERSION})")
    n = sum(1 for k in a if k.endswith("_weight"))
    if a.get("neutral", np.zeros(0)).shape != (N_LANDMARKS, 3) or n < 2:
        raise UserInputError(f"{path}: regressor arrays are incomplete (neutral landmarks or layers missing)")
    try:
        reg = Regressor(a["neutral"], a["pca_mean"], a["pca_basis"], a["sigma"], a["layer0_weight"].shape[0], n - 1)
        for i, lin in enumerate(reg.linear_layers()):
            lin.weight.data.copy_(torch.as_tensor(a[f"layer{i}_weight"]))
            lin.bias.data.copy_(torch.as_tensor(a[f"layer{i}_bias"]))
    except (KeyError, RuntimeError, IndexError) as exc:
        raise UserInputError(f"{path}: regressor arrays are inconsistent ({exc})") from None
    return reg.eval()
