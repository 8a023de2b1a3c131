"""The CPU rasterizer against closed forms, a naive per-pixel oracle, finite differences and,
when a GPU is present, gsplat."""

import math

import pytest
import torch
from conftest import random_gaussians
from naive_compositor import naive_composite

from backend.splat import Cameras, GaussianSet, RasterOptions, rasterize
from backend.splat._projection import _project_gaussians, covariances_3d
from backend.splat._torch_impl import _rasterize_to_pixels
from backend.splat.gaussians import rgb_to_sh_dc


def single_gaussian(z=2.0, scale=0.05, opacity=0.8, rgb=(0.9, 0.2, 0.1), dtype=torch.float32):
    return GaussianSet(
        means=torch.tensor([[0.0, z, 0.0]], dtype=dtype),
        quats=torch.tensor([[1.0, 0.0, 0.0, 0.0]], dtype=dtype),
        scales=torch.full((1, 3), scale, dtype=dtype),
        opacities=torch.tensor([opacity], dtype=dtype),
        sh=rgb_to_sh_dc(torch.tensor([[rgb]], dtype=dtype)),
    )


def test_single_gaussian_matches_closed_form():
    W, H = 64, 48
    cams = Cameras.look_at([[0.0, 0.0, 0.0]], target=[0.0, 1.0, 0.0], fov_x_deg=30.0, width=W, height=H)
    g = single_gaussian(z=2.0, scale=0.05, opacity=0.8)
    out = rasterize(g, cams)
    f = float(cams.K[0, 0, 0])
    var = (f * 0.05 / 2.0) ** 2 + 0.3  # projected variance (px^2) plus the low-pass
    ys, xs = torch.meshgrid(torch.arange(H) + 0.5, torch.arange(W) + 0.5, indexing="ij")
    d2 = (xs - W / 2) ** 2 + (ys - H / 2) ** 2
    alpha = torch.clamp(0.8 * torch.exp(-0.5 * d2 / var), max=0.999)
    alpha = torch.where(alpha >= 1 / 255, alpha, torch.zeros_like(alpha))
    torch.testing.assert_close(out.alpha[0, ..., 0], alpha, atol=1e-5, rtol=1e-4)
    expected_rgb = alpha[..., None] * torch.tensor([0.9, 0.2, 0.1])
    torch.testing.assert_close(out.rgb[0], expected_rgb, atol=1e-5, rtol=1e-4)
    # expected depth is the Gaussian's z wherever it contributes
    covered = alpha > 0
    # depth = sum(w z) / sum(w) in float32: a few ulps of 2.0 where alpha is tiny
    torch.testing.assert_close(out.depth[0, ..., 0][covered], torch.full_like(alpha[covered], 2.0),
                               atol=5e-5, rtol=1e-5)
    assert out.alpha[0, H // 2, W // 2, 0] == pytest.approx(0.8 * math.exp(-0.5 * 0.5 / var), rel=1e-4)


@pytest.mark.parametrize("sh_degree", [0, 3])
@pytest.mark.parametrize("chunk,tile", [(128, 16), (3, 8)])
def test_matches_naive_per_pixel_oracle(front_camera, sh_degree, chunk, tile):
    g = random_gaussians(60, sh_degree=sh_degree, seed=1, spread=0.35)
    g.opacities[:10] = 0.99  # make some pixels terminate early
    cams = front_camera
    covars = covariances_3d(g.quats, g.scales)
    means2d, conics, depths, radii = _project_gaussians(g.means, covars, cams.w2c, cams.K, cams.width, cams.height)
    colors = torch.rand(1, len(g), 3, generator=torch.Generator().manual_seed(3))
    feats = torch.cat([colors, depths[..., None]], -1)
    accum, alpha = _rasterize_to_pixels(
        means2d, conics, feats, g.opacities[None], radii, depths, cams.width, cams.height, tile, chunk
    )
    ref_accum, ref_alpha = naive_composite(
        means2d[0], conics[0], feats[0], g.opacities, depths[0], radii[0], cams.width, cams.height
    )
    assert ref_alpha.max() > 0.99, "the scene should contain opaque pixels (early termination)"
    torch.testing.assert_close(alpha[0].double(), ref_alpha, atol=2e-5, rtol=1e-4)
    torch.testing.assert_close(accum[0].double(), ref_accum, atol=2e-5, rtol=1e-4)


def test_tile_and_chunk_size_do_not_change_the_image(front_camera):
    g = random_gaussians(300, sh_degree=1, seed=2)
    a = rasterize(g, front_camera, options=RasterOptions(tile_size=16, chunk=128))
    b = rasterize(g, front_camera, options=RasterOptions(tile_size=8, chunk=5))
    torch.testing.assert_close(a.rgb, b.rgb, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(a.alpha, b.alpha, atol=1e-5, rtol=1e-5)


def test_behind_camera_and_off_screen_are_culled(front_camera):
    g = single_gaussian()
    # camera at y=-2 looks along +y; place one Gaussian behind it, one far to the side
    behind = GaussianSet(torch.tensor([[0.0, -3.0, 0.0]]), g.quats, g.scales, g.opacities, g.sh)
    aside = GaussianSet(torch.tensor([[5.0, 0.0, 0.0]]), g.quats, g.scales, g.opacities, g.sh)
    for h in (behind, aside):
        out = rasterize(h, front_camera)
        assert (out.radii == 0).all()
        assert out.alpha.abs().max() == 0
        assert torch.isfinite(out.rgb).all() and torch.isfinite(out.depth).all()
    # gradients stay finite (zero) for culled Gaussians
    h = behind.clone()
    h.means.requires_grad_(True)
    rasterize(h, front_camera).rgb.sum().backward()
    assert torch.isfinite(h.means.grad).all()


def test_empty_set_gives_background(front_camera):
    out = rasterize(GaussianSet.empty(sh_degree=2), front_camera, background=torch.tensor([0.1, 0.2, 0.3]))
    assert out.rgb.shape == (1, 48, 64, 3)
    torch.testing.assert_close(out.rgb[0, 5, 7], torch.tensor([0.1, 0.2, 0.3]))
    assert out.alpha.abs().max() == 0


def test_batched_cameras_equal_single_renders():
    g = random_gaussians(200, sh_degree=2, seed=4)
    eyes = [[0.0, -2.0, 0.0], [1.5, -1.5, 0.3], [-1.8, -0.5, 0.8]]
    cams = Cameras.look_at(eyes, target=[0.0, 0.0, 0.0], fov_x_deg=40.0, width=40, height=32)
    bg = torch.tensor([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [0.5, 0.2, 0.1]])
    batch = rasterize(g, cams, background=bg)
    for i in range(3):
        one = rasterize(g, cams[i], background=bg[i])
        torch.testing.assert_close(batch.rgb[i], one.rgb[0], atol=1e-6, rtol=1e-6)
        torch.testing.assert_close(batch.depth[i], one.depth[0], atol=1e-6, rtol=1e-6)
    # different views really differ (the cameras are not ignored)
    assert (batch.alpha[0] - batch.alpha[1]).abs().max() > 0.1


def test_background_blends_with_transmittance(front_camera):
    g = random_gaussians(100, seed=5)
    black = rasterize(g, front_camera)
    white = rasterize(g, front_camera, background=torch.ones(3))
    torch.testing.assert_close(white.rgb, black.rgb + (1 - black.alpha), atol=1e-6, rtol=1e-6)


def test_custom_feature_channels(front_camera):
    g = random_gaussians(50, seed=6)
    feats = torch.ones(len(g), 5)
    out = rasterize(g, front_camera, colors=feats)
    assert out.rgb.shape[-1] == 5
    torch.testing.assert_close(out.rgb[..., :1], out.alpha, atol=1e-6, rtol=1e-6)


def _finite_difference_check(fn, x, eps=1e-6, n_probe=6, seed=0):
    """Compare autograd with central differences along a few random directions (float64)."""
    x = x.detach().clone().requires_grad_(True)
    y = fn(x)
    (grad,) = torch.autograd.grad(y, x)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(n_probe):
        v = torch.randn(x.shape, generator=gen, dtype=x.dtype)
        with torch.no_grad():
            fd = (fn(x + eps * v) - fn(x - eps * v)) / (2 * eps)
        assert float((grad * v).sum()) == pytest.approx(float(fd), rel=2e-4, abs=1e-7)


@pytest.mark.parametrize("field", ["means", "quats", "scales", "opacities", "sh"])
def test_gradients_match_finite_differences(field):
    g0 = random_gaussians(12, sh_degree=3, seed=7, spread=0.2, dtype=torch.float64)
    g0.scales.mul_(2.0)
    g0.opacities.clamp_(max=0.6)  # stay away from the 0.999 clamp and early termination
    cams = Cameras.look_at([[0.3, -1.6, 0.2], [-1.0, -1.2, 0.5]], [0, 0, 0], 40.0, 24, 20, dtype=torch.float64)
    weights = torch.rand(2, 20, 24, 3, generator=torch.Generator().manual_seed(8), dtype=torch.float64)

    def loss(x):
        g = g0.clone()
        setattr(g, field, x)
        out = rasterize(g, cams, background=torch.tensor([0.2, 0.3, 0.4], dtype=torch.float64))
        return (out.rgb * weights).sum() + 0.3 * out.alpha.sum() + 0.1 * (out.depth * out.alpha).sum()

    _finite_difference_check(loss, getattr(g0, field))


def test_projection_matches_gsplat_reference():
    from gsplat.cuda._torch_impl import _fully_fused_projection

    g = random_gaussians(500, seed=9, spread=1.0)
    cams = Cameras.look_at([[0.0, -2.0, 0.0], [1.0, 1.5, 0.5]], [0, 0, 0], 50.0, 80, 60)
    covars = covariances_3d(g.quats, g.scales)
    means2d, conics, depths, radii = _project_gaussians(g.means, covars, cams.w2c, cams.K, 80, 60)
    r_radii, r_means2d, r_depths, r_conics, _ = _fully_fused_projection(g.means, covars, cams.w2c, cams.K, 80, 60)
    torch.testing.assert_close(radii, r_radii)
    ok = (radii > 0).all(-1)
    torch.testing.assert_close(means2d[ok], r_means2d[ok], atol=1e-4, rtol=1e-5)
    torch.testing.assert_close(conics[ok], r_conics[ok], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(depths, r_depths)


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device to run gsplat")


@cuda
@pytest.mark.cuda
@pytest.mark.parametrize("sh_degree", [0, 3])
def test_cpu_reference_matches_gsplat_on_random_scenes(sh_degree):
    g = random_gaussians(3000, sh_degree=sh_degree, seed=10, spread=0.5).to("cuda")
    eyes = [[0.0, -2.0, 0.0], [1.5, -1.0, 0.8]]
    cams = Cameras.look_at(eyes, [0, 0, 0], 45.0, 160, 120).to("cuda")
    bg = torch.tensor([0.3, 0.6, 0.9], device="cuda")
    fast = rasterize(g, cams, background=bg)
    ref = rasterize(g, cams, background=bg, options=RasterOptions(force_reference=True))
    torch.testing.assert_close(fast.rgb, ref.rgb, atol=2e-3, rtol=1e-3)
    torch.testing.assert_close(fast.alpha, ref.alpha, atol=2e-3, rtol=1e-3)
    for t in (g.means, g.opacities, g.sh):
        t.requires_grad_(True)
    gf = torch.autograd.grad(rasterize(g, cams, background=bg).rgb.sum(), [g.means, g.opacities, g.sh])
    opts = RasterOptions(force_reference=True)
    gr = torch.autograd.grad(rasterize(g, cams, background=bg, options=opts).rgb.sum(), [g.means, g.opacities, g.sh])
    for a, b in zip(gf, gr):
        torch.testing.assert_close(a, b, atol=5e-3, rtol=5e-2)
