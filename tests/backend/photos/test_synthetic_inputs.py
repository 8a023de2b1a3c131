"""prepare_synthetic on a tiny rendered dataset: shapes, and a texture from the given views only."""

import numpy as np
import pytest

from backend.photos import prepare_synthetic
from synthetic.dataset.reader import Dataset
from synthetic.errors import UserInputError


def test_views_carry_the_dataset_cameras_and_frames(tiny_dataset, head_model):
    p = prepare_synthetic(tiny_dataset, 0, [(0, "cam_05"), (1, "cam_00")], head_model, texture_size=64)
    ident = Dataset(tiny_dataset).identity(0)
    assert len(p.views) == 2 and p.views[1].name.endswith("frame_0001/cam_00")
    v = p.views[1]
    assert v.image.shape == (48, 64, 4) and v.image.dtype == np.float32
    c = ident.cameras.index("cam_00")
    np.testing.assert_allclose(v.K, ident.cameras.K[c])
    np.testing.assert_allclose(v.w2c, ident.cameras.w2c[c])
    np.testing.assert_allclose(v.expression, ident.frame(1).expression)
    assert v.pose.shape == (head_model.n_joints, 3) and v.landmarks is None
    assert p.shape.shape == (head_model.n_shape,)
    np.testing.assert_allclose(p.shape, ident.shape)
    assert p.proxy_offsets_m.shape == (head_model.n_vertices,) and p.proxy_offsets_m.max() > 0  # hair proxy
    assert p.texture.shape == (64, 64, 3) and p.texture_mask.shape == (64, 64)


def test_texture_only_from_the_given_views(tiny_dataset, head_model):
    one = prepare_synthetic(tiny_dataset, 0, [(0, "cam_05")], head_model, texture_size=128)
    two = prepare_synthetic(tiny_dataset, 0, [(0, "cam_05"), (0, "cam_00")], head_model, texture_size=128)
    three = prepare_synthetic(tiny_dataset, 0, [(0, "cam_05"), (0, "cam_00"), (0, "cam_09")], head_model, 128)
    m1, m2, m3 = one.texture_mask.mean(), two.texture_mask.mean(), three.texture_mask.mean()
    assert 0.02 < m1 < m2 < m3, (m1, m2, m3)
    assert np.all(two.texture_mask[one.texture_mask])  # more views only add texels
    w1, w2 = one.texture_weight, two.texture_weight  # the best view's weight: only grows with more views
    assert np.array_equal(w1 > 0, one.texture_mask) and np.all(w2 >= w1 - 1e-6) and w1.max() > 0.8
    # every camera of the neutral frame = what the renderer back-projected (same code path)
    ident = Dataset(tiny_dataset).identity(0)
    ref_mask = ident.texture("backprojected_mask.png") > 0.5
    assert (ref_mask == three.texture_mask).mean() > 0.999
    ref = ident.texture("backprojected.png")
    assert np.abs(ref - three.texture)[three.texture_mask].mean() < 0.01
    assert three.texture[three.texture_mask].std() > 0.02  # not blank


def test_bad_requests(tiny_dataset, head_model):
    with pytest.raises(UserInputError, match="unknown camera 'cam_27'"):
        prepare_synthetic(tiny_dataset, 0, [(0, "cam_27")], head_model)
    with pytest.raises(UserInputError, match="frame 5 out of range"):
        prepare_synthetic(tiny_dataset, 0, [(5, "cam_00")], head_model)
    with pytest.raises(UserInputError, match="identity 3 is missing"):
        prepare_synthetic(tiny_dataset, 3, [(0, "cam_00")], head_model)
    with pytest.raises(UserInputError, match="at least one"):
        prepare_synthetic(tiny_dataset, 0, [], head_model)
