"""The autoregressive identity-code sampler: causal, learns structure a per-position histogram cannot, samples
what it learnt, and its file refuses another prior's codes with one clear line."""

from __future__ import annotations

import math

import pytest
import torch

from backend.prior.code_sampler import CodeSampler, SamplerConfig
from backend.prior.sampler_training import (SamplerTraining, load_sampler, position_unigram_nll, save_sampler,
                                            token_agreement, train_sampler)
from synthetic.errors import UserInputError

torch.set_num_threads(1)


def two_people() -> torch.Tensor:
    """Two 4x4 code grids over 8 codes that agree on the first token's histogram position by position only in
    pairs: token 0 decides the whole grid, so a per-position histogram cannot know the rest, a causal model can."""
    a = torch.arange(16).reshape(4, 4) % 8
    b = (7 - torch.arange(16).reshape(4, 4)) % 8
    return torch.stack([a, b])


def test_sampler_is_causal():
    torch.manual_seed(0)
    model = CodeSampler(SamplerConfig(8, 4, 4, dim=16, layers=2, heads=2, dropout=0.0)).eval()
    x = two_people()[:1]
    y = x.clone()
    y[0, 2, 1] = (y[0, 2, 1] + 3) % 8  # token 9 changes
    la, lb = model.logits(x), model.logits(y)
    assert torch.allclose(la[:, :10], lb[:, :10], atol=1e-6)  # logits up to and including token 9 cannot see it
    assert not torch.allclose(la[:, 10:], lb[:, 10:], atol=1e-4)


def test_sampler_learns_what_a_histogram_cannot_and_samples_it():
    data = two_people()
    cfg = SamplerConfig(8, 4, 4, dim=32, layers=2, heads=2, dropout=0.0)
    model, history = train_sampler(data, data, cfg, SamplerTraining(steps=300, batch_size=4, lr=3e-3, eval_every=50))
    baseline = position_unigram_nll(data, data, 8)  # ~ln 2 per token at best: every position has two values
    assert history[-1]["val_nll"] < 0.1 < baseline - 0.4, (history[-1], baseline)
    samples = model.sample(8, temperature=1.0, generator=torch.Generator().manual_seed(1))
    nearest, share = token_agreement(samples, data)
    assert samples.shape == (8, 4, 4) and (share > 0.99).all(), share
    assert set(nearest.tolist()) == {0, 1}  # both people come out
    again = model.sample(8, temperature=1.0, generator=torch.Generator().manual_seed(1))
    assert torch.equal(samples, again)
    with pytest.raises(ValueError, match="temperature"):
        model.sample(1, temperature=0.0)


def test_token_agreement_and_unigram_baseline():
    bank = two_people()
    probe = bank.clone()
    probe[1, 0, :2] = (probe[1, 0, :2] + 1) % 8
    nearest, share = token_agreement(probe, bank)
    assert nearest.tolist() == [0, 1] and share.tolist() == [1.0, 14 / 16]
    uniform = torch.randint(0, 8, (64, 4, 4), generator=torch.Generator().manual_seed(0))
    assert abs(position_unigram_nll(uniform, uniform, 8) - math.log(8)) < 0.25


class _FakePrior(torch.nn.Module):
    def __init__(self, seed: int):
        super().__init__()
        from backend.prior.vq import VectorQuantizer

        torch.manual_seed(seed)
        self.vq_id = VectorQuantizer(8, 4)


def test_sampler_file_roundtrip_and_wrong_prior(tmp_path):
    from backend.prior.sampler_training import codebook_fingerprint

    model = CodeSampler(SamplerConfig(8, 4, 4, dim=16, layers=1, heads=2)).eval()
    prior = _FakePrior(0)
    path = save_sampler(tmp_path / "s.pt", model, codebook_fingerprint(prior), two_people(), {"val_nll": 1.0})
    loaded, data = load_sampler(path, prior)
    x = two_people()
    assert torch.allclose(loaded.logits(x), model.logits(x), atol=2e-2)  # float16 weights
    assert torch.equal(data["train_codes"], two_people()) and data["summary"]["val_nll"] == 1.0
    with pytest.raises(UserInputError, match="another prior's codes"):
        load_sampler(path, _FakePrior(1))
    (tmp_path / "bad.pt").write_bytes(b"\x00" * 100)
    with pytest.raises(UserInputError, match="not a readable code sampler"):
        load_sampler(tmp_path / "bad.pt")
    with pytest.raises(UserInputError, match="no such code sampler"):
        load_sampler(tmp_path / "missing.pt")


def test_latent_gaussian_samples_the_spread_it_saw_and_round_trips(tmp_path):
    from backend.prior.latent_gaussian import LatentGaussian
    from backend.prior.sampler_training import codebook_fingerprint

    gen = torch.Generator().manual_seed(0)
    mean, b = torch.randn(4, 2, 2, generator=gen), torch.randn(2, 4, 2, 2, generator=gen)
    coef = torch.randn(50, 2, generator=gen) * torch.tensor([3.0, 0.5])
    latents = mean + torch.einsum("nr,rdhw->ndhw", coef, b)  # rank 2 around mean
    prior = _FakePrior(0)
    codebook = prior.vq_id.codebook.detach()
    g = LatentGaussian.fit(latents, codebook)
    assert len(g.scales) == 2  # the data's rank, no noise components
    z = g.mean + (torch.randn(4000, 2, generator=gen) * g.scales) @ g.basis
    spread = (z - g.mean).std(0).norm() / (latents.flatten(1) - latents.flatten(1).mean(0)).std(0).norm()
    assert abs(float(spread) - 1.0) < 0.1
    idx = g.sample(6, generator=torch.Generator().manual_seed(1))
    assert idx.shape == (6, 2, 2) and idx.max() < 8
    assert torch.equal(idx, g.sample(6, generator=torch.Generator().manual_seed(1)))
    path = save_sampler(tmp_path / "g.pt", g, codebook_fingerprint(prior), idx, {"kind": "latent-gaussian"})
    loaded, data = load_sampler(path, prior)
    assert data["kind"] == "latent-gaussian" and torch.equal(
        loaded.sample(6, generator=torch.Generator().manual_seed(1)), idx)
