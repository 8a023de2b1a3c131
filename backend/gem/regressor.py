"""Image -> GEM coefficients: mediapipe landmarks, a PCA layer and a small MLP (GEM section 3.4, with landmarks
in place of EMOCA features, which are not installable here).

Features of an image: its 478 face-mesh landmarks (``backend.photos.detect_face``; x, y in pixels, z in
mediapipe's relative units) similarity-normalised (centred, scaled to unit RMS radius in x-y, turned in the
image plane onto the neutral frame's landmarks by 2D Procrustes), minus the neutral frame's normalised
landmarks (relative features, as GEM's ``r = f - f_neutral``), projected on their first 50 principal components
(``kappa = (r - R_mean) R^T``). The MLP has 3 hidden layers of 256 units with ReLU; the output is
``k = 3 sigma_k tanh(MLP(kappa))``, so every coefficient stays within 3 standard deviations.

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


def normalise_landmarks(lm: np.ndarray) -> np.ndarray:
    """``[478, 3]`` landmarks centred and scaled so the x-y RMS radius is 1 (z scaled alike)."""
    lm = np.asarray(lm, dtype=np.float64)
    if lm.shape != (N_LANDMARKS, 3):
        raise ValueError(f"landmarks must be [{N_LANDMARKS}, 3], got {list(lm.shape)}")
    c = lm - lm.mean(0)
    return c / max(float(np.sqrt((c[:, :2] ** 2).sum(1).mean())), 1e-9)


def landmark_features(lm: np.ndarray, neutral: np.ndarray) -> np.ndarray:
    """Relative features ``[478*3]``: normalised ``lm`` turned in the image plane onto ``neutral`` (already
    normalised), minus ``neutral``."""
    a = normalise_landmarks(lm)
    u, _, vt = np.linalg.svd(a[:, :2].T @ neutral[:, :2])
    d = np.sign(np.linalg.det(u @ vt))
    rot = u @ np.diag([1.0, d]) @ vt
    a[:, :2] = a[:, :2] @ rot
    return (a - neutral).reshape(-1)


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

    def predict_landmarks(self, landmarks: np.ndarray) -> np.ndarray:
        """Coefficients ``[B, K]`` for landmark sets ``[B, 478, 3]``."""
        neutral = self.neutral.numpy()
        f = np.stack([landmark_features(lm, neutral) for lm in np.asarray(landmarks).reshape(-1, N_LANDMARKS, 3)])
        with torch.no_grad():
            return self(torch.as_tensor(f)).numpy()

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
    weight_decay: float = 1e-5
    seed: int = 0


def train_regressor(landmarks: np.ndarray, neutral: np.ndarray, targets: np.ndarray, sigma: np.ndarray,
                    cfg: RegressorConfig | None = None, progress=None) -> tuple[Regressor, dict]:  # fmt: skip
    """Fit the regressor on landmark sets ``[T, 478, 3]`` with known flat coefficients ``targets`` ``[T, K]``.

    Args:
        landmarks: detected landmarks of renders with known coefficients.
        neutral: ``[478, 3]`` landmarks of the neutral render (the relative-feature reference).
        targets: the coefficients the renders were made with.
        sigma: ``[K]`` per-coefficient standard deviations of the GEM (the output bound is ``3 sigma``).

    Returns:
        ``(regressor, stats)`` with the final training loss (mean squared error in sigma units).
    """
    cfg = cfg or RegressorConfig()
    torch.manual_seed(cfg.seed)
    ref = normalise_landmarks(neutral)
    feats = np.stack([landmark_features(lm, ref) for lm in landmarks])
    mean = feats.mean(0)
    _, s, vt = np.linalg.svd(feats - mean, full_matrices=False)
    p = min(cfg.components, len(vt))
    basis = vt[:p] / np.maximum(s[:p, None] / np.sqrt(max(len(feats) - 1, 1)), 1e-9)  # whitened PCA layer
    sig = np.maximum(np.asarray(sigma, dtype=np.float64), 1e-8)
    reg = Regressor(ref, mean, basis, sig, cfg.hidden, cfg.layers)
    x = torch.as_tensor(feats, dtype=torch.float32)
    y = torch.as_tensor(np.asarray(targets) / sig, dtype=torch.float32)
    opt = torch.optim.Adam(reg.mlp.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    loss = torch.tensor(0.0)
    for step in range(cfg.steps):
        loss = ((reg(x) / reg.sigma - y) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if progress is not None and (step + 1) % 50 == 0:
            progress.update("regressor", step + 1, cfg.steps, loss=float(loss.detach()))
    return reg.eval(), {"train_mse_sigma": float(loss.detach()), "n_train": len(feats), "pca": p}


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
    try:
        reg = Regressor(a["neutral"], a["pca_mean"], a["pca_basis"], a["sigma"], a["layer0_weight"].shape[0], n - 1)
        for i, lin in enumerate(reg.linear_layers()):
            lin.weight.data.copy_(torch.as_tensor(a[f"layer{i}_weight"]))
            lin.bias.data.copy_(torch.as_tensor(a[f"layer{i}_bias"]))
    except (KeyError, RuntimeError, IndexError) as exc:
        raise UserInputError(f"{path}: regressor arrays are inconsistent ({exc})") from None
    return reg.eval()
