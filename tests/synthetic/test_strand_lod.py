"""Strand level of detail (synthetic.strand_lod): the thinning factor follows the projected strand
width, thinning keeps the projected hair area, and the image scale is the rig's."""

import numpy as np
import pytest

from synthetic.assets.strands import Strands
from synthetic.rig import RigSettings, build_rig, project_points
from synthetic.strand_lod import lod_factor, pixels_per_metre, strand_lod, thin_strands


def _strands(n: int, seed: int = 0, name: str = "hair") -> Strands:
    rng = np.random.default_rng(seed)
    pts = np.cumsum(rng.normal(0, 0.004, (n, 12, 3)), axis=1).astype(np.float32)
    radius = np.broadcast_to(np.linspace(4e-5, 1e-5, 12, dtype=np.float32), (n, 12)).copy()
    normals = np.tile(np.float32([0, 0, 1]), (n, 1))
    return Strands(name, pts, radius, normals, rng.uniform(0.2, 0.9, n).astype(np.float32), {"style": "test"})


def _projected_area(s: Strands) -> float:
    """Sum over segments of length x diameter (m^2): what the strands cover, seen side on."""
    seg = np.linalg.norm(np.diff(s.points, axis=1), axis=2)
    diam = s.radius[:, :-1] + s.radius[:, 1:]
    return float((seg * diam).sum())


def test_pixels_per_metre_is_the_sharpest_cameras_scale_at_the_target():
    settings = RigSettings(width=256, height=256)
    rig = build_rig(settings)
    ppm = pixels_per_metre(rig, settings.target)
    # a 1 cm segment across the view of the camera nearest the target spans ppm * 0.01 pixels
    target = np.asarray(settings.target, dtype=np.float64)
    spans = []
    for cam in rig:
        right = cam.w2c[0, :3]  # camera x axis in world coordinates
        uv, _ = project_points(np.stack([target, target + 0.01 * right]), cam.K, cam.w2c)
        spans.append(np.linalg.norm(uv[1] - uv[0]))
    assert ppm * 0.01 == pytest.approx(max(spans), rel=0.01)


def test_factor_follows_the_projected_width():
    r = 4e-5  # the render hair's root radius (synthetic.assets.defaults.HAIR_ROOT_RADIUS)
    assert lod_factor(r, 0.25 / (2 * r)) == 1  # strands already 0.25 px wide stay whole
    assert lod_factor(r, 0.25 / (2 * r) / 4) == 4
    assert lod_factor(r, 0.25 / (2 * r) / 3.99) == 3  # rounded down: never wider than the target
    assert lod_factor(r, 1.0) == 16  # capped
    assert lod_factor(r, 1000.0, target_px=0) == 1
    ks = [lod_factor(r, ppm) for ppm in np.geomspace(100, 10000, 30)]
    assert all(a >= b for a, b in zip(ks, ks[1:])), "sharper images must never thin more"


def test_dataset_sizes_get_the_measured_factors():
    """256x256 gives k = 4 (the benchmark's choice), SynShot's 768x512 k = 2; brows and lashes stay whole."""
    groups = {"hair": _strands(8), "beard": _strands(8, name="beard"), "brows": _strands(8, name="brows")}
    for (w, h), k in (((256, 256), 4), ((768, 512), 2)):
        settings = RigSettings(width=w, height=h)
        lod = strand_lod(groups, pixels_per_metre(build_rig(settings), settings.target))
        assert lod == {"hair": k, "beard": k, "brows": 1}, (w, h, lod)


def test_thinning_keeps_the_projected_area_and_every_kth_strand():
    s = _strands(20000)
    for k in (2, 4, 8):
        t = thin_strands(s, k)
        assert t.count == len(range(0, s.count, k))
        np.testing.assert_array_equal(t.points, s.points[::k])
        np.testing.assert_allclose(t.radius, s.radius[::k] * k)
        np.testing.assert_array_equal(t.melanin, s.melanin[::k])
        assert t.params["lod_factor"] == k and t.params["style"] == "test"
        assert _projected_area(t) == pytest.approx(_projected_area(s), rel=0.03)
    assert thin_strands(s, 1) is s
    empty = Strands.empty("hair", 6, {})
    assert thin_strands(empty, 4) is empty
