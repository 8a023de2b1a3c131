"""The shipped prior (models/reference_prior.pt): it loads against this checkout's head model, records its split,
has its card, and is what invert uses without --prior; a checkout without it gets one clear line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from backend.cli import main as backend_main
from backend.prior import shipped
from backend.prior.checkpoint import load_checkpoint, load_prior, save_checkpoint
from backend.prior.run import held_out_identities
from synthetic.errors import UserInputError
from synthetic.head.storage import SUPERSEDED_TEMPLATES

ROOT = Path(__file__).resolve().parents[3]


def test_shipped_prior_loads_with_this_head_model(head_model):
    model, cfg, ckpt = load_prior(shipped.shipped_prior(), "cpu", head_model)
    assert cfg.name == "reference" and "-bit per row" in ckpt["exported"]["dtype"]
    assert len(ckpt["split"]["train"]) >= 100 and held_out_identities(shipped.SHIPPED_PRIOR) == list(range(115, 128))
    assert shipped.SHIPPED_PRIOR.stat().st_size <= 5e6  # the repository's limit for a tracked file
    weights = [p for p in model.parameters()]
    assert all(torch.isfinite(p).all() for p in weights) and sum(p.numel() for p in weights) > 5e6
    card = (ROOT / "models" / "README.md").read_text()
    assert "reference_prior.pt" in card and "held-out" in card and "--preset prior" in card


def test_a_prior_of_an_unknown_head_model_is_refused_and_of_a_superseded_template_loads(head_model, tmp_path):
    ckpt = load_checkpoint(shipped.shipped_prior())
    recorded = ckpt["head_model_fingerprint"]
    assert head_model.matches(recorded) or head_model.supersedes(recorded)
    state = {k: v for k, v in ckpt.items() if k not in ("format", "version", "path")}
    other = save_checkpoint(tmp_path / "other.pt", {**state, "head_model_fingerprint": "0" * 64})
    with pytest.raises(UserInputError, match="trained with another head model"):
        load_prior(other, "cpu", head_model)
    superseded = next(iter(SUPERSEDED_TEMPLATES))
    assert head_model.supersedes(superseded) and not head_model.matches(superseded)
    assert not head_model.supersedes("0" * 64) and not head_model.supersedes(head_model.fingerprint())
    older = save_checkpoint(tmp_path / "older.pt", {**state, "head_model_fingerprint": superseded})
    assert load_prior(older, "cpu", head_model)[1].name == "reference"


def test_missing_shipped_prior_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(shipped, "SHIPPED_PRIOR", tmp_path / "models" / "reference_prior.pt")
    photo = tmp_path / "a.png"
    photo.write_bytes(b"not read")
    code = backend_main(["invert", "--progress", "none", "--images", str(photo), "--out", str(tmp_path / "a.pt")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "no --prior given and the shipped prior" in err[0]
    assert shipped.prior_or_shipped("x/y") == Path("x/y")
    with pytest.raises(Exception, match="is missing"):
        shipped.prior_or_shipped(None)


def test_main_job_renders_a_held_out_identity_of_the_shipped_prior(tmp_path):
    """The main job's synthetic inversion renders the shipped prior's last held-out person with its preset."""
    from backend.pipeline.avatar_stages import render_held_out, which_prior
    from synthetic.dataset import Dataset, identity_seed
    from synthetic.progress import Progress

    prior, words, is_shipped = which_prior(tmp_path / "05_invert_synthetic", "04_prior")
    assert prior == shipped.SHIPPED_PRIOR and "shipped" in words and is_shipped
    data, identity = render_held_out(tmp_path, prior, Progress("none"))
    ds = Dataset(data)
    assert identity == 127 and ds.identities == [127]
    ident = ds.identity(127)
    assert ident.seed == identity_seed(0, 127) and ident.n_frames == 6
    assert ident.images(0).shape[:3] == (10, 96, 96)


def test_shipped_sampler_fits_the_shipped_prior_and_draws_distinct_people(head_model):
    from backend.prior.sampler_training import load_sampler, token_agreement

    model, _cfg, _ckpt = load_prior(shipped.shipped_prior(), "cpu", head_model)
    sampler, data = load_sampler(shipped.sampler_or_shipped(None), model)  # checks the codebook fingerprint
    assert data["kind"] == "latent-gaussian" and shipped.SHIPPED_SAMPLER.stat().st_size < 5e6
    assert not set(data["summary"]["train_identities"]) & set(held_out_identities(shipped.SHIPPED_PRIOR))
    codes = sampler.sample(4, generator=torch.Generator().manual_seed(0))
    assert codes.shape == (4, 16, 16) and len({tuple(c.flatten().tolist()) for c in codes}) == 4
    _, share = token_agreement(codes, data["train_codes"])
    assert (share < 0.9).all()  # new code grids, not copies of a training person's
    card = (ROOT / "models" / "README.md").read_text()
    assert "reference_sampler.pt" in card and "train-sampler" in card
