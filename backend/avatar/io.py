"""Avatar files: one torch file with everything needed to drive and render the avatar, written atomically.

Content (``torch.save`` of plain containers, loadable with ``weights_only=True``)::

    format "synthheads-avatar", version, config (AvatarConfig dict), prior_config (PriorConfig dict),
    head_model_fingerprint, weights (the prior's state dict), identity (tensors of IDENTITY_KEYS),
    provenance (prior checkpoint, inputs, inversion summary, creation time)

:func:`load_avatar` turns every problem (missing, truncated, not an avatar, another version, weights that do
not fit) into a one-line :class:`~synthetic.errors.UserInputError` naming the file (exit code 2 on the CLI).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from backend.prior.checkpoint import load_versioned
from backend.prior.config import PriorConfig
from backend.prior.model import SynShotPrior
from synthetic.atomic import write_atomic
from synthetic.errors import UserInputError

from .model import IDENTITY_KEYS, Avatar, AvatarConfig

FORMAT = "synthheads-avatar"
VERSION = 1


def save_avatar(avatar: Avatar, path: str | Path, provenance: dict[str, Any] | None = None) -> Path:
    """Write ``avatar`` to ``path`` (atomic); ``provenance`` is stored as given plus a creation time."""
    payload = {
        "format": FORMAT, "version": VERSION, "config": avatar.config_dict(),
        "prior_config": avatar.prior.cfg.to_dict(), "head_model_fingerprint": avatar.head_model.fingerprint(),
        "weights": {k: v.detach().cpu() for k, v in avatar.prior.state_dict().items()},
        "identity": {k: getattr(avatar, k).detach().cpu() for k in IDENTITY_KEYS},
        "provenance": {**(provenance or {}), "created": time.strftime("%Y-%m-%d %H:%M:%S")},
    }  # fmt: skip
    return write_atomic(path, lambda tmp: torch.save(payload, tmp))


def read_avatar_file(path: str | Path) -> dict[str, Any]:
    """The checked content of an avatar file; ``UserInputError`` naming the file otherwise."""
    p = Path(path)
    data = load_versioned(p, FORMAT, VERSION, "avatar file")
    for key in ("config", "prior_config", "weights", "identity"):
        if key not in data:
            raise UserInputError(f"{p}: avatar file lacks {key!r}")
    return data


def load_avatar(path: str | Path, device: str | torch.device = "cpu", head_model=None) -> Avatar:
    """The avatar stored at ``path``, in eval mode on ``device``.

    Raises:
        UserInputError: missing, corrupt or wrong-version file, another head model, or weights that do not fit.
    """
    from synthetic.head import HeadModel

    data = read_avatar_file(path)
    head_model = head_model or HeadModel.load()
    if data.get("head_model_fingerprint") is not None and not head_model.matches(data["head_model_fingerprint"]):
        raise UserInputError(head_model.mismatch(data["head_model_fingerprint"], str(path), "made", "invert it again"))
    try:
        prior_cfg = PriorConfig.from_dict(data["prior_config"], where=f"{path}: prior_config")
        cfg = AvatarConfig(**data["config"])
    except TypeError as exc:
        raise UserInputError(f"{path}: bad avatar config ({exc})") from None
    prior = SynShotPrior(prior_cfg, head_model)
    try:
        prior.load_state_dict(data["weights"])
    except RuntimeError as exc:
        raise UserInputError(f"{path}: weights do not match the prior config ({str(exc)[:200]})") from None
    if cfg.grid_map_size != prior_cfg.data.map_size:
        prior.rebuild_parts(head_model, cfg.grid_map_size)
    avatar = Avatar(prior, data["identity"], cfg, head_model)
    return avatar.to(device).eval()
