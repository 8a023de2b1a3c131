"""OBJ export, the FLAME reader and the preview command line."""

import pickle
import sys
import types

import numpy as np
import pytest

from synthetic.head import flame


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # trimesh warns about the UV-only islands
def test_obj_export_parses_with_trimesh(model, tmp_path):
    trimesh = pytest.importorskip("trimesh")
    path = model.export_obj(tmp_path / "head.obj", shape=model.sample(1).shape)
    text = path.read_text()
    assert text.count("\nv ") == model.n_vertices and text.count("\nvt ") == len(model.uv_coords)
    mesh = trimesh.load(path, force="mesh", process=False, maintain_order=True)
    assert len(mesh.faces) == model.n_faces
    # trimesh splits vertices at UV seams; positions must still be the model's
    assert np.allclose(np.unique(np.round(mesh.vertices, 5), axis=0).shape[0],
                       np.unique(np.round(model.vertices(model.sample(1).shape), 5), axis=0).shape[0])
    with pytest.raises(ValueError, match="expected one mesh"):
        model.export_obj(tmp_path / "bad.obj", vertices=np.zeros((3, 3)))


class _FakeCh:
    """Pickles like chumpy.ch.Ch: a class from module 'chumpy.ch' whose state holds the array in 'x'."""

    def __init__(self, x):
        self.x = x

    def __reduce__(self):
        return (_FakeCh, (None,), {"x": self.x, "_dirty_vars": set()})


class _FakeCsc:
    def __init__(self, dense):
        rows, cols = np.nonzero(dense.T)
        self.data = dense.T[rows, cols]
        self.indices = cols
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=dense.shape[1]))])
        self._shape = dense.shape
        self.maxprint = 50


def _write_fake_flame(path, rng):
    v, j = 30, 5
    arrays = {
        "v_template": rng.normal(size=(v, 3)) * 0.1,
        "f": rng.integers(0, v, size=(40, 3)).astype(np.uint32),
        "shapedirs": rng.normal(size=(v, 3, 12)) * 1e-3,
        "posedirs": rng.normal(size=(v, 3, 36)) * 1e-4,
        "kintree_table": np.array([[4294967295, 0, 1, 1, 1], [0, 1, 2, 3, 4]], dtype=np.int64),
        "weights": rng.dirichlet(np.ones(j), size=v),
    }
    regressor = rng.dirichlet(np.ones(v), size=j) * (rng.random((j, v)) < 0.3)
    regressor /= regressor.sum(axis=1, keepdims=True)
    chumpy = types.ModuleType("chumpy")
    ch = types.ModuleType("chumpy.ch")
    sparse = types.ModuleType("scipy.sparse._csc")
    _FakeCh.__module__, _FakeCh.__qualname__ = "chumpy.ch", "Ch"
    _FakeCsc.__module__, _FakeCsc.__qualname__ = "scipy.sparse._csc", "csc_matrix"
    ch.Ch, sparse.csc_matrix = _FakeCh, _FakeCsc
    saved = {k: sys.modules.get(k) for k in ("chumpy", "chumpy.ch", "scipy.sparse._csc")}
    sys.modules.update({"chumpy": chumpy, "chumpy.ch": ch, "scipy.sparse._csc": sparse})
    try:
        data = dict(arrays)
        for k in ("v_template", "shapedirs", "weights"):
            data[k] = _FakeCh(arrays[k])
        data["J_regressor"] = _FakeCsc(regressor)
        data["bs_style"] = "lbs"
        path.write_bytes(pickle.dumps(data, protocol=2))
    finally:
        for k, mod in saved.items():
            if mod is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = mod
        _FakeCh.__module__ = _FakeCsc.__module__ = __name__
        _FakeCh.__qualname__, _FakeCsc.__qualname__ = "_FakeCh", "_FakeCsc"
    return arrays, regressor


def test_flame_loader_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    arrays, regressor = _write_fake_flame(tmp_path / "generic_model.pkl", rng)
    fm = flame.load_flame_pickle(tmp_path / "generic_model.pkl", n_shape=8)
    for k in ("v_template", "shapedirs", "posedirs", "weights", "kintree_table"):
        np.testing.assert_allclose(getattr(fm, k), arrays[k])
    np.testing.assert_array_equal(fm.f, arrays["f"].astype(np.int64))
    np.testing.assert_allclose(fm.J_regressor, regressor)
    np.testing.assert_array_equal(fm.parents, [-1, 0, 1, 1, 1])
    assert fm.n_expression == 4
    np.testing.assert_allclose(fm.vertices(), arrays["v_template"], atol=1e-12)
    shaped = fm.vertices(np.ones(8) * 0.5, np.ones(4))
    np.testing.assert_allclose(shaped, arrays["v_template"] + arrays["shapedirs"] @ np.r_[np.ones(8) * 0.5, np.ones(4)])
    with pytest.raises(ValueError, match="at most 8"):
        fm.vertices(np.zeros(9))
    p = flame.flame_to_blender(np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_array_equal(p, [[1.0, -3.0, 2.0]])


def test_flame_loader_refuses_foreign_classes(tmp_path):
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"f": types.SimpleNamespace(a=1)}, protocol=2))
    with pytest.raises(ValueError, match="refusing"):
        flame.load_flame_pickle(path)


def test_preview_command_writes_a_sheet(tmp_path):
    from PIL import Image

    from synthetic.cli import main

    assert main(["preview", "--identities", "2", "--out", str(tmp_path), "--size", "96", "--hair", "off",
                 "--progress", "none"]) == 0
    img = Image.open(tmp_path / "heads_preview.png")
    assert img.size[0] > 96 and img.mode == "RGB"
    assert main(["preview", "--identities", "0", "--out", str(tmp_path), "--progress", "none"]) == 2


def test_a_dataset_of_an_earlier_generator_is_refused_with_what_to_do(model):
    """Data rendered by an earlier template generator names that generator and the two ways out in its one line; a
    fingerprint nobody knows gets the plain statement (no advice that cannot be followed)."""
    from synthetic.head import storage

    earlier = next(iter(storage.SUPERSEDED_TEMPLATES))
    message = model.mismatch(earlier, "data/dataset.json")
    assert message.startswith("data/dataset.json: rendered with another head model")
    assert "the first template" in message and storage.ENV_VAR in message and "\n" not in message
    unknown = model.mismatch("0" * 64, "data/dataset.json")
    assert "000000000000" in unknown and storage.ENV_VAR not in unknown
