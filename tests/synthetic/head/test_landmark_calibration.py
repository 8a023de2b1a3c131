"""The landmark table's calibration (synthetic.head.build.landmark_fit) and the fingerprints it must not break."""

import numpy as np
import pytest

from synthetic.head import HeadModel, landmark_table, storage
from synthetic.head.build.landmark_fit import calibrate_table, choose_symmetric
from synthetic.head.build.landmarks import ContourRings, resolve_table
from synthetic.rig import RigSettings, build_rig, project_points


@pytest.fixture(scope="module")
def tpl():
    from synthetic.head.template import build_template

    return build_template()


def test_resolving_the_table_reproduces_the_models_landmarks(model, tpl):
    """The table resolved here lands where the model's landmarks are. This process's template may be float ulps off
    the build's (the build runs under BLAS_ENV, numpy's AVX2 loops; a test process on an AVX-512 CPU does not), which
    can move a row across a shared edge or the surface snap's 0.5 mm switch: positions within 0.2 mm, and all but a
    few rows on the same triangle."""
    idx, tri, bary = resolve_table(tpl)
    np.testing.assert_array_equal(idx, model.landmark_mediapipe)
    verts, faces = np.asarray(model.template, np.float64), np.asarray(model.faces)
    here = np.einsum("nk,nkc->nc", bary, np.asarray(tpl.vertices)[np.asarray(tpl.faces)[tri]])
    built = np.einsum("nk,nkc->nc", model.landmark_barycentric, verts[faces[model.landmark_faces]])
    assert np.abs(here - built).max() < 2e-4, np.abs(here - built).max()
    assert (tri != model.landmark_faces).sum() <= 6
    same = tri == model.landmark_faces
    np.testing.assert_allclose(bary[same], model.landmark_barycentric[same], atol=1e-6)


def test_calibration_recovers_displaced_rows_from_their_projections(model, tpl):
    """Images made by projecting the table's own points: rows displaced by 4 mm / 6 % of a ring come back."""
    contours = {"lip_outer_upper": landmark_table.CONTOURS["lip_outer_upper"][2:5]
                + landmark_table.CONTOURS["lip_outer_upper"][6:9]}
    brows = {70, 300, 105, 334, 168}  # two mirror pairs and one midline point (168, between the eyes)
    surface = [r for r in landmark_table.SURFACE if r[0] in brows]
    assert len(surface) == 5
    rings = ContourRings(tpl)
    truth_rows = [(m, *rings.point("lip_outer_upper", u)) for m, u in contours["lip_outer_upper"]]
    from synthetic.head.build.landmarks import closest_point, facial_faces

    facial = facial_faces(tpl)
    for m, x, y, z in surface:
        f, bc = closest_point(np.array([x, y, z]), tpl.vertices, tpl.faces[facial])
        truth_rows.append((m, int(facial[f]), bc))
    rng = np.random.default_rng(3)
    cams = [c for c in build_rig(RigSettings(width=256, height=256)) if c.group == "front"][:5]
    images = []
    for _ in range(2):
        p = model.sample(rng, expression=True, pose=True)
        verts = model.vertices(p.shape, p.expression, p.pose)
        for cam in cams:
            pts = np.zeros((478, 2))
            for m, f, bc in truth_rows:
                pts[m] = project_points(bc @ verts[model.faces[f]], cam.K, cam.w2c)[0]
            images.append((pts, 60.0, verts, cam.K, cam.w2c))  # ~ the eye-corner distance in these views (px)
    displaced_c = {"lip_outer_upper": [(m, float(np.clip(u + 0.06, 0, 1))) for m, u in contours["lip_outer_upper"]]}
    displaced_s = [(m, x, y, z + 0.004) for m, x, y, z in surface]
    cal = calibrate_table(images, tpl, displaced_c, displaced_s, grid=4)
    assert cal.before.mean() > 3.0  # the displacement shows
    assert cal.after.max() < 0.8, cal.after  # and is undone (to the candidate grid's spacing, < 0.5 px)
    got = dict(cal.contours["lip_outer_upper"])
    for m, u in contours["lip_outer_upper"]:
        assert abs(got[m] - u) < 0.01, (m, got[m], u)
    truth_pts = {m: bc @ tpl.vertices[tpl.faces[f]] for m, f, bc in truth_rows[len(contours["lip_outer_upper"]):]}
    for m, *q in cal.surface:
        assert np.linalg.norm(q - truth_pts[m]) < 0.001, (m, q, truth_pts[m])
    assert any(i == j for i, j in cal.pairs)  # the midline point was scored with its mirror image


def test_a_row_does_not_wander_for_a_tiny_gain(model, tpl):
    """Where the error is nearly flat (a face-oval point), a far candidate 0.1 % better does not win: each mm moved
    costs ``MOVE_COST``; a real gain (a 4 mm displacement undone) still does."""
    from synthetic.head.build.landmark_fit import charge_moves, choose_symmetric

    pts = np.array([[0.0, 0.0, 0.0], [0.004, 0.0, 0.0], [0.028, 0.0, 0.0]])
    flat = np.array([5.0, 5.0, 4.9])  # the far candidate is 0.1 % better, 28 mm away
    assert choose_symmetric([flat], [pts], [0])[0][0] == 2  # unpenalised it wanders
    assert choose_symmetric([charge_moves(flat, pts, pts[0])], [pts], [0])[0][0] == 0
    gain = np.array([5.0, 1.0, 4.9])  # 4 % better 4 mm away
    assert choose_symmetric([charge_moves(gain, pts, pts[0])], [pts], [0])[0][0] == 1


def test_mirror_pairs_are_chosen_jointly():
    """Two landmarks whose free optima are not mirror images end up mirrored, at the jointly best place."""
    pts = np.array([[x, 0.0, 0.0] for x in (-0.03, -0.029, -0.02, 0.02, 0.029, 0.03)])
    left = np.array([5.0, 1.0, 3.0, 9, 9, 9])  # best at x = -0.029 (index 1)
    right = np.array([9, 9, 9, 3.0, 2.0, 1.0])  # best at x = 0.03 (index 5); jointly: -0.029 / 0.029 (1 + 2)
    chosen, pairs = choose_symmetric([left, right], [pts], [0, 0])
    assert pairs == [(0, 1)] and list(chosen) == [1, 4]


def test_a_symmetric_reference_pairs_rows_whose_free_optima_are_far_apart():
    """Free optima 6 mm from each other's mirror image (further than the pairing tolerance) left mediapipe 93/323
    unpaired and the table asymmetric; the table before the fit names the pair."""
    pts = np.array([[x, 0.0, 0.0] for x in (-0.03, -0.024, 0.024, 0.03)])
    left = np.array([2.0, 1.0, 9, 9])  # best at x = -0.024
    right = np.array([9, 9, 2.0, 1.5])  # best at x = 0.03: 6 mm from -0.024's mirror; jointly -0.03 / 0.03
    assert choose_symmetric([left, right], [pts], [0, 0])[1] == []
    reference = np.array([[-0.028, 0.0, 0.0], [0.028, 0.0, 0.0]])
    chosen, pairs = choose_symmetric([left, right], [pts], [0, 0], reference=reference)
    assert pairs == [(0, 1)] and list(chosen) in ([0, 3], [1, 2])
    assert pts[chosen[0]][0] == -pts[chosen[1]][0]


def test_the_tracker_s_mirror_pairs_come_from_straight_ahead_views():
    """A symmetric point set in shuffled order, seen in 5 noisy views shifted sideways: every pair and midline point
    is found, nothing else."""
    from synthetic.head.build.landmark_fit import tracker_mirror_pairs

    rng = np.random.default_rng(0)
    half = rng.uniform([5, -50], [60, 50], (20, 2))
    pts = np.concatenate([half * [-1, 1], half, np.stack([np.zeros(4), np.linspace(-40, 40, 4)], 1)])
    order = rng.permutation(len(pts))
    truth = {}
    for k in range(20):
        a, b = int(np.flatnonzero(order == k)[0]), int(np.flatnonzero(order == k + 20)[0])
        truth[a], truth[b] = b, a
    for k in range(40, 44):
        a = int(np.flatnonzero(order == k)[0])
        truth[a] = a
    views = [pts[order] + [200 + 7 * v, 100] + rng.normal(0, 0.3, (len(pts), 2)) for v in range(5)]
    assert tracker_mirror_pairs(views) == truth


def test_named_pairs_replace_the_tracker_s_votes_for_their_points():
    """The tracker paired 130 <-> 263 and 33 <-> 359 (its eye-corner points lie within 2 px); naming 33 <-> 263 must
    drop both votes, or the first pair met wins and the outer eye corners are fitted apart."""
    from synthetic.head.build.landmark_fit import with_named_pairs

    tracker = {130: 263, 263: 130, 33: 359, 359: 33, 1: 1, 70: 300, 300: 70}
    merged = with_named_pairs(tracker, {33: 263, 263: 33})
    assert merged == {33: 263, 263: 33, 1: 1, 70: 300, 300: 70}


def test_the_landmark_table_is_not_part_of_the_geometry_fingerprint(model, monkeypatch):
    arrays = model.arrays()
    moved = dict(arrays, landmark_bary=arrays["landmark_bary"][::-1].copy())
    other = HeadModel(moved)
    assert other.fingerprint() == model.fingerprint()
    assert other.landmark_fingerprint() != model.landmark_fingerprint()
    assert storage.fingerprint_arrays(arrays, sorted(arrays)) != model.fingerprint()  # the legacy (all-array) form
    assert not model.matches("0" * 64) and not model.matches(None)
    monkeypatch.setitem(storage.LEGACY_FINGERPRINTS, "f" * 64, model.fingerprint())
    assert model.matches("f" * 64) and model.matches(model.fingerprint())


def test_every_position_along_every_contour_resolves(tpl):
    """The calibration tries 401 positions along each lip and lid contour. Where a ring's x order turns back at a
    corner the point is found along the ring, and the lower half of a ring runs through t = 0: sorting it by t
    paired the corner with the wrong neighbour (no shared triangle: KeyError on the re-sculpted template)."""
    rings = ContourRings(tpl)
    for name in landmark_table.CONTOURS:
        for u in np.linspace(0.0, 1.0, 401):
            f, bc = rings.point(name, float(u))
            assert 0 <= f < len(tpl.faces) and abs(bc.sum() - 1.0) < 1e-9 and np.all(bc >= -1e-12)


def test_the_calibration_tool_refuses_preview_hair(tmp_path):
    """Preview brows are invisible to mediapipe at calibration sizes: a table fitted on them follows its guess (10 %
    of the eye distance below render-quality brows), so the tool says so and exits 2 unless told otherwise."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    data = tmp_path / "calib"
    data.mkdir()
    manifest = {"format": "synthheads-dataset", "version": 1, "content": "dataset", "n_identities": 1,
                "frames_per_identity": 1, "seed_base": 0, "head_model_fingerprint": "0" * 64, "rig": {},
                "generator": {"quality": "preview"}}
    (data / "dataset.json").write_text(json.dumps(manifest))
    proc = subprocess.run([sys.executable, str(root / "tools" / "calibrate_landmarks.py"), "--data", str(data)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "preview hair" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
