"""The prior the project ships (``models/reference_prior.pt``, see ``models/README.md``): what ``invert``, the
add-on's Invert from Photos and the main job's inversions use when no prior is named."""

from __future__ import annotations

from pathlib import Path

from synthetic.errors import UserInputError

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_PRIOR = ROOT / "models" / "reference_prior.pt"
"""The ``reference`` preset trained on 40 synthetic identities, 6-bit weights (card: ``models/README.md``)."""
SHIPPED_SAMPLER = ROOT / "models" / "reference_sampler.pt"
"""The code sampler fitted to the shipped prior's identity codes (``sample-prior``; card: ``models/README.md``)."""


def shipped_prior() -> Path:
    """Path of the shipped prior; ``UserInputError`` (exit 2) when this checkout lacks it."""
    if not SHIPPED_PRIOR.is_file():
        raise UserInputError(f"no --prior given and the shipped prior {SHIPPED_PRIOR} is missing "
                             "(an incomplete checkout?); train one with python -m backend train-prior")
    return SHIPPED_PRIOR


def prior_or_shipped(prior: str | Path | None) -> Path:
    """``prior`` when given, else :func:`shipped_prior`."""
    return Path(prior) if prior is not None else shipped_prior()


def sampler_or_shipped(sampler: str | Path | None) -> Path:
    """``sampler`` when given, else the shipped code sampler; ``UserInputError`` (exit 2) when that is missing."""
    if sampler is not None:
        return Path(sampler)
    if not SHIPPED_SAMPLER.is_file():
        raise UserInputError(f"no --sampler given and the shipped sampler {SHIPPED_SAMPLER} is missing "
                             "(an incomplete checkout?); fit one with python -m backend train-sampler")
    return SHIPPED_SAMPLER
