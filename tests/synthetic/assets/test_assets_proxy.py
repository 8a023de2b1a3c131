"""Hair proxy offsets from voxelised strands."""

import numpy as np
import pytest

from synthetic.assets import (AssetInputError, beard_weights, fit_offsets, grow_beard, grow_hair, sample_facial_hair,
                              sample_hair, sample_hair_colour, voxelize_strands)


def _hair(surface, style, n=1500, seed=1):
    rng = np.random.default_rng(seed)
    return grow_hair(surface, sample_hair(rng, "female", sample_hair_colour(rng, 2, 30), style), n, rng)


def _enclosed(surface, points, offsets, weights):
    """Share of strand points above the region (near a region vertex's normal line) under the proxy."""
    reg = np.flatnonzero(weights > 0.5)
    p = points.reshape(-1, 3)[::5].astype(float)
    v, n = surface.vertices[reg], surface.normals[reg]
    d2 = (p**2).sum(1)[:, None] + (v**2).sum(1)[None] - 2 * p @ v.T
    j = d2.argmin(1)
    rel = p - v[j]
    h = (rel * n[j]).sum(1)
    lateral = np.linalg.norm(rel - h[:, None] * n[j], axis=1)
    sel = (lateral < 0.006) & (h > 0)
    return np.mean(h[sel] <= offsets[reg][j[sel]] + 0.002), sel.sum()


@pytest.mark.parametrize("style", ["buzz", "medium", "curly", "ponytail"])
def test_proxy_encloses_hair(standin_surface, style):
    s = _hair(standin_surface, style)
    w = standin_surface.region("scalp")
    off = fit_offsets(standin_surface.vertices, standin_surface.faces, standin_surface.normals, w, s.points)
    assert off.shape == (len(w),) and (off >= 0).all()
    assert (off[w <= 0.01] == 0).all()
    assert np.median(off[w > 0.5]) > 0.002
    share, count = _enclosed(standin_surface, s.points, off, w)
    assert count > 100 and share > 0.9


def test_bald_and_empty_give_zero(standin_surface):
    s = _hair(standin_surface, "bald")
    w = standin_surface.region("scalp")
    off = fit_offsets(standin_surface.vertices, standin_surface.faces, standin_surface.normals, w, s.points)
    assert not off.any()


def test_beard_proxy(standin_surface):
    rng = np.random.default_rng(3)
    fh = sample_facial_hair(rng, "male", sample_hair_colour(rng, 4, 40), "full_beard")
    b = grow_beard(standin_surface, fh, rng, per_cm2=6.0)
    w = beard_weights(standin_surface, "full_beard")
    off = fit_offsets(standin_surface.vertices, standin_surface.faces, standin_surface.normals, w, b.points)
    assert (off >= 0).all() and (off[w <= 0.01] == 0).all() and off.max() > 0.005
    share, count = _enclosed(standin_surface, b.points, off, w)
    assert count > 50 and share > 0.85


def test_voxelize_and_bad_inputs(standin_surface):
    s = _hair(standin_surface, "short", n=300)
    occ = voxelize_strands(s.points, voxel=0.004)
    assert occ.density.ndim == 3 and occ.density.sum() > 0
    assert (occ.sample(s.points[:, -1].astype(float)) > 0).mean() > 0.95
    with pytest.raises(AssetInputError, match="points"):
        voxelize_strands(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="weights"):
        fit_offsets(standin_surface.vertices, standin_surface.faces, standin_surface.normals, np.ones(3), s.points)
