import pytest
import torch

from backend.splat import Cameras, GaussianSet


def random_gaussians(n, sh_degree=0, seed=0, spread=0.3, dtype=torch.float32):
    gen = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.rand(*s, generator=gen, dtype=dtype)  # noqa: E731
    k = (sh_degree + 1) ** 2
    return GaussianSet(
        means=(r(n, 3) - 0.5) * 2 * spread,
        quats=torch.randn(n, 4, generator=gen, dtype=dtype),
        scales=r(n, 3) * 0.04 + 0.01,
        opacities=r(n) * 0.9 + 0.05,
        sh=(r(n, k, 3) - 0.5) * 2.0,
    )


@pytest.fixture
def front_camera():
    return Cameras.look_at([[0.0, -2.0, 0.0]], target=[0.0, 0.0, 0.0], fov_x_deg=35.0, width=64, height=48)
