"""UV atlas, region masks and the mediapipe landmark table."""

import numpy as np

from synthetic.head import landmark_table, regions


def test_uvs_are_inside_the_unit_square(model):
    assert model.uv_faces.shape == model.faces.shape
    assert model.uv_coords.min() >= 0.0 and model.uv_coords.max() <= 1.0


def test_uv_islands_do_not_overlap(model):
    res = 1024
    _, counts = regions.rasterize_uv_faces(model.face_uvs, res, return_counts=True, tol=-1e-6)
    assert counts.max() <= 1, f"{int(np.sum(counts > 1))} texels covered twice"
    # and the skin actually uses the texture, most of it on the face
    labels = model.texel_regions(512)
    used = labels >= 0
    face = np.isin(labels, [model.region_index("face"), model.region_index("lips")])
    assert used.mean() > 0.45
    assert face.sum() > 0.5 * np.isin(labels, [model.region_index(n) for n in regions.GROUPS["skin"]]).sum()


def test_uv_triangles_keep_their_orientation_per_island(model):
    uv = model.face_uvs
    signed = (uv[:, 1, 0] - uv[:, 0, 0]) * (uv[:, 2, 1] - uv[:, 0, 1]) - (uv[:, 1, 1] - uv[:, 0, 1]) * (
        uv[:, 2, 0] - uv[:, 0, 0])
    skin = model.face_mask("face") | model.face_mask("lips")
    flipped = np.mean(np.sign(signed[skin]) != np.sign(np.median(signed[skin])))
    assert flipped < 0.002


def test_region_masks_cover_the_mesh(model):
    assert set(model.region_names) == set(regions.REGION_NAMES)
    assert np.all((model.face_regions >= 0) & (model.face_regions < len(model.region_names)))
    covered = np.zeros(model.n_vertices, bool)
    for name in model.region_names:
        m = model.vertex_mask(name)
        assert m.any(), name
        covered |= m
    assert covered.all()
    for group in ("skin", "eyes", "mouth_interior"):
        assert model.vertex_mask(group).any()
    labels = model.texel_regions(256)
    for name in ("face", "scalp", "ears", "neck", "lips", "iris", "teeth", "mouth_bag"):
        assert model.texel_mask(name, 256).any(), name
    assert labels.shape == (256, 256)


def test_landmark_table(model):
    idx = model.landmark_mediapipe
    assert len(idx) >= 60
    assert len(np.unique(idx)) == len(idx)
    assert idx.min() >= 0 and idx.max() < 468
    np.testing.assert_allclose(model.landmark_barycentric.sum(axis=1), 1.0, atol=1e-6)
    assert np.all(model.landmark_barycentric >= -1e-6)
    lm = model.landmarks()
    assert lm.shape == (len(idx), 3)
    assert np.all(lm[:, 1] < -0.012)  # all on the face side (the oval's points by the ears, 93 and 323, at y -15 mm)
    # mediapipe's left is the subject's left (+X): left eye outer corner 263, right 33
    i263, i33 = (int(np.nonzero(idx == k)[0][0]) for k in (263, 33))
    assert lm[i263, 0] > 0.03 and lm[i33, 0] < -0.03
    rows = sum(len(v) for v in landmark_table.CONTOURS.values()) + len(landmark_table.SURFACE)
    assert rows == len(idx)


def test_a_surface_row_off_the_skin_goes_onto_it_along_the_view_axis():
    """A surface row left 3 mm behind skin that came forward (a brow ridge's lower slope, facing forward and down at
    40 degrees) keeps its x and z (where the frontal cameras see it); the closest point would slide 1.5 mm down the
    slope. A row on the skin stays where it is; on skin that faces sideways the closest point is kept."""
    from synthetic.head.build.landmarks import closest_point, surface_point

    g = np.linspace(-0.01, 0.01, 9)
    xx, zz = np.meshgrid(g, g)
    tilt = np.tan(np.radians(40.0))
    skin_y = lambda z: -0.09 - tilt * z  # noqa: E731  (the skin falls back toward the eye below the ridge)
    verts = np.stack([xx.ravel(), skin_y(zz.ravel()), zz.ravel()], axis=1)
    quads = [(i * 9 + j, i * 9 + j + 1, (i + 1) * 9 + j + 1, (i + 1) * 9 + j) for i in range(8) for j in range(8)]
    faces = np.array([t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))])
    q = np.array([0.002, skin_y(0.001) + 0.003, 0.001])  # 3 mm behind the skin at x 2, z 1 mm
    f, bc = surface_point(q, verts, faces)
    hit = bc @ verts[faces[f]]
    assert np.allclose(hit[[0, 2]], q[[0, 2]], atol=1e-9) and abs(hit[1] - skin_y(0.001)) < 1e-9
    f, bc = closest_point(q, verts, faces)
    assert (bc @ verts[faces[f]])[2] < q[2] - 0.0014  # down the slope
    on = np.array([0.003, skin_y(-0.002), -0.002])
    f, bc = surface_point(on, verts, faces)
    assert np.allclose(bc @ verts[faces[f]], on, atol=1e-9)
    turn = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # the same sheet facing sideways (-X)
    f1, b1 = surface_point(turn @ q, verts @ turn.T, faces)
    f2, b2 = closest_point(turn @ q, verts @ turn.T, faces)
    assert f1 == f2 and np.allclose(b1, b2)
