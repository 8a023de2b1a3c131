"""Prior checkpoints: one torch file that carries its full config, written atomically.

Content (``torch.save`` of plain containers, loadable with ``weights_only=True``)::

    format "synthheads-prior", version, config (dict), head_model_fingerprint, step,
    model (state dict), optimizer, scheduler, scaler (state dicts or None), rng (torch CPU/CUDA states)

:func:`load_checkpoint` turns every problem (missing, truncated, not a prior checkpoint, another version)
into a one-line :class:`~synthetic.errors.UserInputError`, i.e. exit code 2 on the command line.
"""

from __future__ import annotations

import io
import lzma
from pathlib import Path
from typing import Any

import torch

from synthetic.atomic import write_atomic
from synthetic.errors import UserInputError

from .config import PriorConfig

XZ_MAGIC = b"\xfd7zXZ\x00"
"""Files starting with this are xz-compressed torch files (:func:`export_prior` with ``bits``)."""
FORMAT = "synthheads-prior"
VERSION = 1
LAST = "last.pt"


def checkpoint_dir(run: str | Path) -> Path:
    return Path(run) / "checkpoints"


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> Path:
    """Write ``state`` (see the module docstring; format and version are added) atomically to ``path``."""
    payload = {"format": FORMAT, "version": VERSION, **state}
    return write_atomic(path, lambda tmp: torch.save(payload, tmp))


def rng_state() -> dict[str, Any]:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def resolve_checkpoint(path: str | Path) -> Path:
    """A run folder (its ``checkpoints/last.pt``) or a checkpoint file."""
    p = Path(path)
    if p.is_dir():
        p = checkpoint_dir(p) / LAST
    if not p.is_file():
        raise UserInputError(f"{p}: no prior checkpoint there (expected a run folder or a .pt file)")
    return p


def load_versioned(p: Path, fmt: str, version: int, what: str,
                   map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """``torch.load`` (``weights_only``) of a dict stamped with ``format`` and ``version``; one-line
    ``UserInputError`` naming the file for a missing, unreadable, foreign or other-version file."""
    if not p.is_file():
        raise UserInputError(f"{p}: no such {what}")
    try:
        with p.open("rb") as fh:
            compressed = fh.read(len(XZ_MAGIC)) == XZ_MAGIC
        source = io.BytesIO(lzma.decompress(p.read_bytes())) if compressed else p
        data = torch.load(source, map_location=map_location, weights_only=True)
    except Exception as exc:  # truncated zip, not a torch file, unpickling refused ...
        reason = str(exc).split(". ")[0][:120]  # torch's first sentence; the rest is advice for torch developers
        raise UserInputError(f"{p}: not a readable {what} ({type(exc).__name__}: {reason})") from None
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise UserInputError(f"{p}: not a SynthHeads {what}")
    if data.get("version") != version:
        raise UserInputError(f"{p}: {what} version {data.get('version')}, this code reads {version}")
    return data


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read and check a checkpoint (a run folder or a file); ``UserInputError`` naming the file otherwise."""
    p = resolve_checkpoint(path)
    data = load_versioned(p, FORMAT, VERSION, "prior checkpoint", map_location)
    for key in ("config", "model", "step"):
        if key not in data:
            raise UserInputError(f"{p}: checkpoint lacks {key!r}")
    from .quantise import dequantise_weights

    data["model"] = dequantise_weights(data["model"])
    data["path"] = str(p)
    return data


def load_prior(path: str | Path, device: str | torch.device = "cpu", head_model=None):
    """The trained prior of a run folder or checkpoint: ``(model in eval mode, config, checkpoint dict)``."""
    from synthetic.head import HeadModel

    from .model import SynShotPrior

    ckpt = load_checkpoint(path)
    cfg = PriorConfig.from_dict(ckpt["config"], where=f"{ckpt['path']}: config")
    head_model = head_model or HeadModel.load()
    trained_on = ckpt.get("head_model_fingerprint")
    if trained_on is not None and not (head_model.matches(trained_on) or head_model.supersedes(trained_on)):
        raise UserInputError(f"{ckpt['path']}: trained with another head model than this checkout's")
    model = SynShotPrior(cfg, head_model)
    try:
        model.load_state_dict(ckpt["model"])
    except RuntimeError as exc:
        raise UserInputError(f"{ckpt['path']}: weights do not match the config ({str(exc)[:200]})") from None
    return model.to(device).eval(), cfg, ckpt


def export_prior(path: str | Path, out: str | Path, half: bool = True, bits: int | None = None) -> Path:
    """Write the inference part of a checkpoint (config, fingerprint, step, split, weights) to ``out``: no
    optimizer, scheduler or RNG state, and with ``half`` the model's parameters in float16 (buffers stay float32:
    VQ usage counters and the like can exceed float16's range). With ``bits`` the large weight tensors are further
    quantised per row (:mod:`backend.prior.quantise`) and the file is xz-compressed. :func:`load_prior` reads
    every form like a checkpoint (``load_state_dict`` casts back to float32). ``--resume`` cannot continue from
    it."""
    from synthetic.head import HeadModel

    model, _cfg, ckpt = load_prior(path, "cpu", HeadModel.load())
    params = {name for name, _ in model.named_parameters()}
    weights = {k: (v.half() if half and k in params and v.is_floating_point() else v.clone())
               for k, v in ckpt["model"].items()}
    payload = {k: ckpt[k] for k in ("config", "head_model_fingerprint", "step", "split", "init_from") if k in ckpt}
    dtype = "float16" if half else "float32"
    if bits:
        from .quantise import quantise_weights

        weights, dtype = quantise_weights(weights, bits), f"{bits}-bit per row (small tensors and codebooks {dtype})"
    payload.update(model=weights, exported={"from": str(ckpt["path"]), "dtype": dtype})
    if not bits:
        return save_checkpoint(out, payload)

    def write(tmp: Path) -> None:
        buf = io.BytesIO()
        torch.save({"format": FORMAT, "version": VERSION, **payload}, buf)
        tmp.write_bytes(lzma.compress(buf.getvalue(), preset=9))

    return write_atomic(out, write)
