"""Spherical harmonics: orthonormality on the sphere, agreement with gsplat's basis, colour clamp."""

import math

import pytest
import torch

from backend.splat.gaussians import SH_C0, rgb_to_sh_dc, sh_dc_to_rgb
from backend.splat.sh import eval_sh_basis, sh_to_rgb


def fibonacci_sphere(n):
    i = torch.arange(n, dtype=torch.float64) + 0.5
    z = 1 - 2 * i / n
    phi = math.pi * (3 - math.sqrt(5)) * i
    r = torch.sqrt(1 - z * z)
    return torch.stack([r * torch.cos(phi), r * torch.sin(phi), z], -1)


@pytest.mark.parametrize("degree", [0, 1, 2, 3])
def test_basis_is_orthonormal_on_the_sphere(degree):
    d = fibonacci_sphere(20000)
    Y = eval_sh_basis(degree, d)  # [n, K]
    gram = Y.T @ Y * (4 * math.pi / len(d))
    torch.testing.assert_close(gram, torch.eye((degree + 1) ** 2, dtype=torch.float64), atol=2e-3, rtol=0)


def test_basis_matches_gsplat_reference():
    from gsplat.cuda._torch_impl import _eval_sh_bases_fast

    d = torch.nn.functional.normalize(torch.randn(1000, 3, dtype=torch.float64), dim=-1)
    torch.testing.assert_close(eval_sh_basis(3, d), _eval_sh_bases_fast(16, d))


def test_dc_round_trip_and_clamp():
    rgb = torch.tensor([[0.0, 0.5, 1.0]])
    assert SH_C0 == pytest.approx(0.28209479177387814)
    torch.testing.assert_close(sh_dc_to_rgb(rgb_to_sh_dc(rgb)), rgb)
    sh = torch.zeros(1, 16, 3)
    sh[:, 0] = rgb_to_sh_dc(rgb)
    torch.testing.assert_close(sh_to_rgb(sh, torch.tensor([[0.0, 1.0, 0.0]])), rgb)
    sh[:, 0] = -10.0
    assert (sh_to_rgb(sh, torch.tensor([[0.0, 1.0, 0.0]])) == 0).all()


def test_view_dependence_uses_direction_not_length():
    sh = torch.randn(5, 9, 3)
    d = torch.randn(5, 3)
    torch.testing.assert_close(sh_to_rgb(sh, d), sh_to_rgb(sh, 7.5 * d))
    assert not torch.allclose(sh_to_rgb(sh, d), sh_to_rgb(sh, -d))


def test_bad_degree_is_refused():
    with pytest.raises(ValueError, match="degree"):
        eval_sh_basis(4, torch.zeros(1, 3))
    with pytest.raises(ValueError, match="needs 16 coefficients"):
        sh_to_rgb(torch.zeros(2, 9, 3), torch.ones(2, 3), degree=3)
