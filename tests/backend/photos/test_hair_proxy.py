"""The photo hair proxy (backend.photos.hair_proxy) recovers a known hair thickness from silhouettes: masks are
rasterised from the head model with a known offset over the scalp, seen by two rig cameras."""

from __future__ import annotations

import numpy as np
import pytest

from backend.photos.hair_proxy import hair_proxy_offsets
from synthetic.backproject import head_proxy_vertices
from synthetic.raster import rasterize_triangles
from synthetic.rig import RigSettings, build_rig, project_points


def silhouette(model, verts: np.ndarray, K: np.ndarray, w2c: np.ndarray, w: int, h: int) -> np.ndarray:
    xy, _ = project_points(verts, K, w2c)
    face, _, _ = rasterize_triangles(xy[model.faces], w, h)
    return (face >= 0).astype(np.float32)


@pytest.fixture(scope="module")
def scene(head_model):
    model = head_model
    cams = {c.name: c for c in build_rig(RigSettings(width=256, height=256))}
    views = [cams["cam_02"], cams["cam_00"], cams["cam_04"]]  # front, and -69 / +69 degrees
    return model, model.vertices(), views


@pytest.mark.parametrize("truth_mm", [0.0, 25.0])
def test_recovers_a_uniform_hair_thickness(scene, truth_mm):
    model, mesh, views = scene
    scalp = model.vertex_mask("scalp")
    truth = np.where(scalp, truth_mm / 1000, 0.0)
    hair = head_proxy_vertices(model, mesh, truth)
    masks = [np.maximum(silhouette(model, hair, c.K, c.w2c, 256, 256), silhouette(model, mesh, c.K, c.w2c, 256, 256))
             for c in views]
    offsets, facts = hair_proxy_offsets(model, [mesh] * 3, [c.K for c in views], [c.w2c for c in views], masks)
    assert facts["measured_vertices"] > 100 and facts["scalp_vertices"] == int(scalp.sum())
    assert np.all(offsets[~scalp] == 0) and offsets.max() <= 0.06
    assert abs(facts["median_mm"] - truth_mm) <= 5.0, facts  # ~2 px per 5 mm at this size, 2 mm steps


def test_no_mask_measures_nothing(scene):
    model, mesh, views = scene
    offsets, facts = hair_proxy_offsets(model, [mesh], [views[0].K], [views[0].w2c], [np.zeros((256, 256))])
    assert facts["measured_vertices"] == 0 and not offsets.any()
