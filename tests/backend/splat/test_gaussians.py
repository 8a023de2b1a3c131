"""GaussianSet: validation messages, indexing, concatenation, device/dtype moves."""

import pytest
import torch
from conftest import random_gaussians

from backend.splat import GaussianSet


def test_validation_names_the_field():
    g = random_gaussians(4)
    with pytest.raises(ValueError, match=r"quats must have shape \[4, 4\]"):
        GaussianSet(g.means, g.quats[:, :3], g.scales, g.opacities, g.sh)
    with pytest.raises(ValueError, match="sh must have shape"):
        GaussianSet(g.means, g.quats, g.scales, g.opacities, g.sh[..., :2])
    with pytest.raises(ValueError, match="1, 4, 9, 16"):
        GaussianSet(g.means, g.quats, g.scales, g.opacities, torch.zeros(4, 5, 3))
    with pytest.raises(TypeError, match="opacities has dtype torch.float64"):
        GaussianSet(g.means, g.quats, g.scales, g.opacities.double(), g.sh)
    with pytest.raises(TypeError, match="must be a torch.Tensor"):
        GaussianSet(g.means, g.quats, g.scales, [1, 2, 3, 4], g.sh)


def test_indexing_and_concatenation():
    a = random_gaussians(10, sh_degree=1, seed=1)
    b = random_gaussians(5, sh_degree=3, seed=2)
    assert len(a[torch.arange(10) % 2 == 0]) == 5
    assert len(a[2:7]) == 5
    assert len(a[3]) == 1 and torch.equal(a[3].means[0], a.means[3])
    c = GaussianSet.cat([a, b])
    assert len(c) == 15 and c.sh_degree == 3
    torch.testing.assert_close(c.sh[:10, :4], a.sh)
    assert (c.sh[:10, 4:] == 0).all()
    torch.testing.assert_close(c.means[10:], b.means)


def test_moves_and_empty():
    g = random_gaussians(3).to(torch.float64)
    assert g.dtype == torch.float64 and g.sh.dtype == torch.float64
    assert len(GaussianSet.empty(2)) == 0 and GaussianSet.empty(2).sh_degree == 2
    with pytest.raises(ValueError, match="at least one"):
        GaussianSet.cat([])
