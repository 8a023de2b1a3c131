"""The OBJ vertex reader and the canonical-face gap measure (``synthetic.head.build.canonical_gap``), on faces
made from our own template: its landmarks moved and turned come back onto the skin (gap ~0), and a face
pushed 3 mm out of the skin reads +3 mm."""

import numpy as np
import pytest

from synthetic.errors import UserInputError
from synthetic.head import landmark_table
from synthetic.head.build import canonical_gap as cg
from synthetic.head.normals import vertex_normals
from synthetic.head.obj_io import read_obj_vertices, write_obj


SURFACE = [int(row[0]) for row in landmark_table.SURFACE]
"""Landmark rows placed on the sculpted skin (brows, nose, oval), where the mesh follows the sculpt."""


def test_obj_vertices_round_trip(tmp_path):
    v = np.array([[0.0, 1.5, -2.25], [3.0, 4.0, 5.0], [-1e-3, 2e-3, 7.0]])
    path = write_obj(tmp_path / "tri.obj", v, np.array([[0, 1, 2]]))
    np.testing.assert_allclose(read_obj_vertices(path), v, atol=1e-6)


@pytest.mark.parametrize("case", ["missing", "folder", "empty"])
def test_obj_reader_says_what_is_wrong(tmp_path, case):
    path = {"missing": tmp_path / "none.obj", "folder": tmp_path, "empty": tmp_path / "e.obj"}[case]
    if case == "empty":
        path.write_text("# nothing\nf 1 2 3\n")
    with pytest.raises(UserInputError, match={"missing": "no such OBJ", "folder": "a folder",
                                              "empty": "no vertices"}[case]):
        read_obj_vertices(path)


def _canonical_from_template(model, push_mm: float = 0.0) -> np.ndarray:
    """A stand-in canonical model [468, 3] in its own units and axes (cm, y up, z toward the viewer): the
    landmark table's points of our template (all but the fit's anchors pushed ``push_mm`` along the skin normal),
    every index the table lacks
    at the nose tip's point."""
    table = [int(i) for i in model.landmark_mediapipe]
    pts = model.landmarks(model.template)
    normals = vertex_normals(model.template, model.faces)
    nrm = np.einsum("lk,lkc->lc", model.landmark_barycentric, normals[model.faces[model.landmark_faces]])
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True)
    pushed = ~np.isin(table, cg.ANCHORS)  # the anchors stay on the skin, so the fit is exact
    pts = pts + push_mm / 1000.0 * nrm * pushed[:, None]
    out = np.repeat(pts[[table.index(1)]], cg.N_CANONICAL, axis=0)
    out[table] = pts
    return np.stack([out[:, 0], out[:, 2], -out[:, 1]], axis=1) * 100.0


def test_our_own_face_turned_and_moved_has_no_gap(model):
    cm = _canonical_from_template(model)
    a = np.radians(12.0)
    turn = np.array([[np.cos(a), 0.0, np.sin(a)], [0.0, 1.0, 0.0], [-np.sin(a), 0.0, np.cos(a)]])
    cm = cm @ turn.T + np.array([3.0, -2.0, 1.5])
    table = [int(i) for i in model.landmark_mediapipe]
    points = cg.aligned_canonical(cg.canonical_in_template_frame(cm), model)
    np.testing.assert_allclose(points[table], model.landmarks(model.template), atol=1e-6)
    gap = cg.gap_mm(points[SURFACE])  # the lid-margin and lip rows lie on rings, not on the sculpt
    far = np.percentile(np.abs(gap), 90)
    assert np.median(np.abs(gap)) < 0.3 and far < 1.5, f"|gap| median {np.median(np.abs(gap)):.2f}, 90 % {far:.2f} mm"


def test_a_fuller_face_reads_positive(model):
    table = [int(i) for i in model.landmark_mediapipe]
    points = cg.aligned_canonical(cg.canonical_in_template_frame(_canonical_from_template(model, 3.0)), model)
    pushed = [i for i in SURFACE if i not in cg.ANCHORS]
    gap = cg.gap_mm(points[pushed])
    assert 2.5 < np.median(gap) < 3.5, f"median gap {np.median(gap):.2f} mm for a face 3 mm outside"
    summary = cg.region_summary(points[pushed], gap)
    assert summary["all"]["n"] == len(pushed) and summary["all"]["mean"] > 2.0


def test_a_model_with_the_wrong_vertex_count_is_refused():
    with pytest.raises(UserInputError, match="expected 468"):
        cg.canonical_in_template_frame(np.zeros((100, 3)))


def test_the_command_refuses_bad_paths_with_one_line_and_code_2(tmp_path, capsys):
    assert cg.main(["--obj", str(tmp_path)]) == 2
    assert cg.main(["--obj", str(tmp_path / "none.obj")]) == 2
    obj = write_obj(tmp_path / "tri.obj", np.zeros((3, 3)), np.array([[0, 1, 2]]))
    assert cg.main(["--obj", str(obj)]) == 2  # 3 vertices, not the canonical model's 468
    assert cg.main(["--obj", str(obj), "--json", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("error: ") for line in err), err
    assert "expected 468" in err[2] and "a folder" in err[3]
