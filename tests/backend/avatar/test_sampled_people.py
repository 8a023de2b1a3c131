"""Avatars from sampled identity codes: the shape fit recovers a known shape, the avatar decodes the code it was
given and round-trips through its file, and ``sample-prior`` writes drivable avatars and non-blank pictures (or one
clear line and exit 2)."""

from __future__ import annotations

import json

import numpy as np
import torch

from backend.avatar import Avatar, load_avatar
from backend.avatar.from_code import avatar_from_indices, fit_shape
from backend.avatar.io import save_avatar
from backend.cli import main as backend_main
from backend.prior.checkpoint import save_checkpoint
from backend.prior.code_sampler import CodeSampler, SamplerConfig
from backend.prior.inputs import UVInputs
from backend.prior.sampler_training import codebook_fingerprint, save_sampler
from synthetic.dataset.files import read_png
from tests.backend.avatar.avatar_fixture import flat_prepared, tiny_prior


def test_fit_shape_recovers_a_known_shape(head_model, prior):
    inputs = UVInputs(head_model, prior.cfg.data)
    shape = np.zeros(head_model.n_shape)
    shape[:8] = np.random.default_rng(0).normal(0, 1.0, 8)
    offsets = inputs.rast(torch.as_tensor(head_model.shaped(shape) - head_model.template, dtype=torch.float32))
    fitted = fit_shape(inputs, offsets, inputs.valid)
    assert np.abs(fitted - shape).max() < 0.05, np.abs(fitted - shape).max()


def test_avatar_from_indices_decodes_that_code(head_model, prior, tmp_path):
    encoded = Avatar.from_prior(prior, flat_prepared(head_model, (0.7, 0.5, 0.4)), head_model)
    indices = prior.identity_indices(encoded.x_tex, encoded.x_verts, encoded.masks)[0]
    avatar = avatar_from_indices(prior, indices, head_model, name="sampled")
    assert torch.allclose(avatar.q_id, encoded.q_id, atol=1e-5)  # the same code as the encoded person's
    assert avatar.shape.shape == encoded.shape.shape and torch.isfinite(avatar.shape).all()
    g = avatar.canonical(torch.zeros(1, avatar.n_expression))
    assert g["means"].shape == (1, avatar.n_gaussians, 3) and torch.isfinite(g["means"]).all()
    back = load_avatar(save_avatar(avatar, tmp_path / "a.avatar.pt"), head_model=head_model)
    assert torch.allclose(back.q_id, avatar.q_id)


def _prior_and_sampler(tmp_path, head_model, seed: int = 0):
    prior = tiny_prior(head_model, seed)
    prior_file = save_checkpoint(tmp_path / f"prior{seed}.pt", {"config": prior.cfg.to_dict(), "step": 0,
                                 "head_model_fingerprint": head_model.fingerprint(), "model": prior.state_dict()})
    grid = prior.cfg.data.map_size // 2  # two encoder levels
    torch.manual_seed(seed)
    sampler = CodeSampler(SamplerConfig(prior.vq_id.size, grid, grid, dim=16, layers=1, heads=2)).eval()
    codes = torch.randint(0, prior.vq_id.size, (3, grid, grid))
    sampler_file = save_sampler(tmp_path / f"sampler{seed}.pt", sampler, codebook_fingerprint(prior), codes,
                                {"train_identities": [5, 6, 7], "val_agreement_mean": 0.1})
    return prior_file, sampler_file


def test_sample_prior_writes_avatars_and_pictures(head_model, tmp_path, capsys):
    prior_file, sampler_file = _prior_and_sampler(tmp_path, head_model)
    out = tmp_path / "people"
    code = backend_main(["sample-prior", "--progress", "none", "--n", "2", "--out", str(out), "--prior",
                         str(prior_file), "--sampler", str(sampler_file), "--size", "48", "--device", "cpu"])
    assert code == 0, capsys.readouterr().err
    avatars = sorted(out.glob("person_*.avatar.pt"))
    assert [p.name for p in avatars] == ["person_00.avatar.pt", "person_01.avatar.pt"]
    a = load_avatar(avatars[1], head_model=head_model)
    assert a.n_gaussians > 100
    people, swap = read_png(out / "people.png"), read_png(out / "swap_grid.png")
    assert people.shape[:2] == (48, 48 * 6) and swap.shape[:2] == (2 * 48, 6 * 48)
    for img in (people, swap):
        assert img[..., :3].std() > 5 and (img[..., :3] < 200).mean() > 0.05  # a head, not a blank sheet
    summary = json.loads((out / "samples.json").read_text())
    assert len(summary["people"]) == 2 and summary["people"][0]["nearest training identity"] in (5, 6, 7)


def test_sample_prior_bad_input_is_one_line(head_model, tmp_path, capsys):
    prior_file, sampler = _prior_and_sampler(tmp_path, head_model, 0)
    _, other_sampler = _prior_and_sampler(tmp_path, head_model, 1)
    cases = [(["--n", "0", "--sampler", str(sampler)], "--n must be between 1 and 256"),
             (["--sampler", str(other_sampler)], "another prior's codes"),
             (["--sampler", str(tmp_path / "none.pt")], "no such code sampler"),
             (["--temperature", "0", "--sampler", str(sampler)], "--temperature must be > 0")]  # fmt: skip
    for extra, words in cases:
        code = backend_main(["sample-prior", "--progress", "none", "--out", str(tmp_path / "o"), "--prior",
                             str(prior_file), "--device", "cpu", *extra])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and words in err[0], (extra, err)
    assert not (tmp_path / "o" / "person_00.avatar.pt").exists()
