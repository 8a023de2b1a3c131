"""The prior under bf16 autocast (what CUDA training uses) against float32, on the CPU.

CPU autocast runs the same ops in bfloat16 as CUDA autocast does (convolutions, matrix products), so the
precision bugs a first GPU run would show are caught here: code lookups must be float32, UV sample
coordinates must not be quantised, and the Gaussians must agree with float32 within bf16's precision.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from _prior_fixture import reduced_overrides

from backend.prior.config import load_config
from backend.prior.data import PriorDataset, collate
from backend.prior.model import SynShotPrior
from backend.prior.parts import sample_grid
from backend.prior.vq import VectorQuantizer

BF16 = dict(device_type="cpu", dtype=torch.bfloat16)


def test_code_lookup_is_float32_under_autocast():
    """Codes 5 cm apart in a unit-variance latent space: bf16 products (3 significant digits) swap some."""
    torch.manual_seed(0)
    vq = VectorQuantizer(64, 16, restart_every=0)
    z = torch.randn(4096, 16)
    with torch.no_grad():
        vq.codebook.copy_(z[:64] + 0.05 * torch.randn(64, 16))
    exact = torch.cdist(z.double(), vq.codebook.detach().double()).argmin(1)
    with torch.autocast(**BF16):
        inside = vq.lookup(z)
        inside_bf16_input = vq.lookup(z.bfloat16())
    assert torch.equal(vq.lookup(z), exact)
    assert torch.equal(inside, exact), f"{int((inside != exact).sum())} of {len(z)} codes differ under autocast"
    assert torch.equal(inside_bf16_input, vq.lookup(z.bfloat16().float()))


def test_uv_sampling_coordinates_are_not_quantised_by_autocast():
    """A 512-texel ramp sampled between texel centres: bf16 coordinates would be off by up to ~1/4 texel."""
    s = 512
    ramp = torch.linspace(0, 1, s).expand(1, 1, s, s).contiguous().bfloat16()  # bf16 maps, as under autocast
    u = torch.rand(64, 64, generator=torch.Generator().manual_seed(1)) * 1.8 - 0.9
    grid = torch.stack([u, torch.zeros_like(u)], -1)
    want = F.grid_sample(ramp.float(), grid[None], mode="bilinear", padding_mode="border", align_corners=False)
    with torch.autocast(**BF16):
        got = sample_grid(ramp, grid)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, want, atol=1e-6, rtol=0)


@pytest.fixture(scope="module")
def model_and_batch(prior_dataset, head_model):
    cfg = load_config("tiny", reduced_overrides())
    ds = PriorDataset(prior_dataset, cfg.data, "all", head_model, train=False)
    batch = collate([ds.sample(0, ["cam_00", "cam_05"]), ds.sample(len(ds) - 1, ["cam_09", "cam_20"])])
    torch.manual_seed(0)
    model = SynShotPrior(cfg, head_model)
    with torch.no_grad():  # a trained-looking model: the zero-initialised decoder heads get weights too
        for p in model.parameters():
            if p.ndim > 1 and float(p.abs().max()) == 0:
                p.normal_(0, 0.02)
    model.eval()
    return model, batch


def test_decoded_gaussians_under_bf16_autocast_match_float32(model_and_batch):
    """Same codes in, Gaussians out: the decoders, UV sampling and regressors under bf16 vs float32."""
    model, batch = model_and_batch
    with torch.no_grad():
        q_id, q_exp, _, _ = model.encode(batch)
        a = model.decode_gaussians(q_id, q_exp)
        b = model.decode_gaussians(q_id, q_exp, torch.bfloat16)
    for k in ("means", "quats", "scales", "opacities", "sh"):
        assert b[k].dtype == torch.float32 and torch.isfinite(b[k]).all(), k
    # stated tolerances: means within 0.5 mm (head ~0.2 m; bf16 keeps ~3 significant digits of the offsets),
    # scales within 5 % (exp of a bf16 log-scale offset), opacities within 0.01, colour (SH DC) within 0.03 (the
    # worst Gaussian: < 0.02 on the generator-5 template, 0.0216 on generator 6; DC values span about +-0.3)
    assert float((a["means"] - b["means"]).abs().max()) < 5e-4
    assert float(((a["scales"] - b["scales"]).abs() / a["scales"]).max()) < 0.05
    assert float((a["opacities"] - b["opacities"]).abs().max()) < 0.01
    assert float((a["sh"][:, :, 0] - b["sh"][:, :, 0]).abs().max()) < 0.03


def test_forward_and_backward_under_bf16_autocast(model_and_batch):
    """The whole step (encode, quantise, decode, pose) under autocast: float32 outputs, finite gradients
    pointing the same way as float32's (codes near a Voronoi border may flip, so no element-wise match)."""
    model, batch = model_and_batch
    grads = {}
    for name, amp in (("fp32", None), ("bf16", torch.bfloat16)):
        model.zero_grad(set_to_none=True)
        out = model(batch, amp_dtype=amp)
        assert out.means.dtype == torch.float32 and out.sh.dtype == torch.float32
        loss = out.means.square().sum() + out.sh.square().mean() + out.scales.sum() + out.vq_loss
        loss.backward()
        grads[name] = torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])
    assert torch.isfinite(grads["bf16"]).all()
    cos = float(F.cosine_similarity(grads["fp32"], grads["bf16"], dim=0))
    assert cos > 0.9, f"gradient direction differs under bf16 (cosine {cos:.4f})"
