"""The UV rasterizer against a brute-force per-texel point-in-triangle reference."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage

from backend.prior.uv_raster import UVRasterizer, _attributes_to_uv_reference, locate_uv, texel_centres


@pytest.mark.parametrize("size", [16, 24])
def test_maps_match_brute_force(head_model, size):
    m = head_model
    attrs = np.concatenate([m.template, np.random.default_rng(0).normal(size=(m.n_vertices, 2))], axis=1)
    ref, ref_mask = _attributes_to_uv_reference(attrs, m.faces, m.uv_coords, m.uv_faces, size)
    rast = UVRasterizer(m.faces, m.uv_coords, m.uv_faces, size, size)
    out = rast(torch.as_tensor(attrs, dtype=torch.float64)[None])[0].numpy()
    np.testing.assert_array_equal(rast.mask.numpy(), ref_mask)
    np.testing.assert_allclose(out[:, ref_mask], ref[:, ref_mask], atol=1e-6)


def test_mask_matches_region_rasteriser(head_model):
    rast = UVRasterizer.for_head_model(head_model, 64)
    np.testing.assert_array_equal(rast.mask.numpy(), head_model.texel_regions(64) >= 0)


def test_empty_texels_take_the_nearest_covered_value(head_model):
    m = head_model
    rast = UVRasterizer.for_head_model(m, 32)
    out = rast(torch.as_tensor(m.template, dtype=torch.float32))
    mask = rast.mask.numpy()
    _, (ri, ci) = ndimage.distance_transform_edt(~mask, return_indices=True)
    np.testing.assert_allclose(out.numpy(), out.numpy()[:, ri, ci], atol=1e-6)


def test_locate_uv_of_random_points(head_model):
    m = head_model
    face_uvs = torch.as_tensor(m.uv_coords[m.uv_faces])
    pts = torch.rand(300, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    face, bary = locate_uv(pts, face_uvs)
    hit = face >= 0
    assert hit.sum() > 50
    # the barycentric combination of the face's UV corners gives the point back
    back = torch.einsum("nk,nkc->nc", bary[hit], face_uvs[face[hit]])
    torch.testing.assert_close(back, pts[hit], atol=1e-9, rtol=0)
    # a point no face covers is outside every triangle (brute force over all faces)
    for p in pts[~hit][:20]:
        a, b, c = face_uvs[:, 0], face_uvs[:, 1], face_uvs[:, 2]
        q = p.expand_as(a)
        s1, s2, s3, area = cross(a, b, q), cross(b, c, q), cross(c, a, q), cross(a, b, c)
        inside = ((s1 * area >= 0) & (s2 * area >= 0) & (s3 * area >= 0) & (area.abs() > 1e-18))
        assert not inside.any()


def cross(u, v, w):
    return (v[:, 0] - u[:, 0]) * (w[:, 1] - u[:, 1]) - (v[:, 1] - u[:, 1]) * (w[:, 0] - u[:, 0])


def test_texel_centre_convention():
    uv = texel_centres(4, 4)
    assert uv[0, 0].tolist() == [0.125, 0.875]  # row 0 = top = v near 1
    assert uv[3, 3].tolist() == [0.875, 0.125]
