"""The offline build is deterministic: a fresh build equals the cached model, array for array."""

import numpy as np

from synthetic.head import storage
from synthetic.head.build import build_model_arrays


def test_build_is_deterministic_and_matches_the_cache(model):
    arrays = build_model_arrays()
    cached = model.arrays()
    assert sorted(arrays) == sorted(cached)
    for k in arrays:
        np.testing.assert_array_equal(np.asarray(arrays[k]), cached[k], err_msg=k)
    assert storage.fingerprint_arrays(arrays) == model.fingerprint()


def test_evaluation_needs_numpy_only(model, tmp_path):
    """Loading a model file and evaluating it imports neither scipy, nor torch, nor bpy (Blender add-on)."""
    import subprocess
    import sys

    path = tmp_path / "head_model.npz"
    storage.save_arrays(path, model.arrays())
    code = (
        "import sys, numpy as np\n"
        "from synthetic.head import HeadModel\n"
        f"m = HeadModel.load({str(path)!r})\n"
        "p = m.sample(3)\n"
        "v = m.vertices(p.shape, m.expression_vector(jaw_open=0.5), m.sample_pose(np.random.default_rng(0)))\n"
        "m.normals(vertices=v); m.texel_mask('face', 64); m.landmarks(v)\n"
        "bad = [k for k in ('scipy', 'torch', 'bpy', 'trimesh', 'matplotlib') if k in sys.modules]\n"
        "assert not bad, bad\n"
        "print(m.fingerprint())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == model.fingerprint()


def test_a_missing_model_is_built_and_cached(model, tmp_path):
    """With nothing packaged or cached, HeadModel.load builds the model (synthetic.head.build) into the cache."""
    import os
    import subprocess
    import sys

    code = ("from synthetic.head import HeadModel, storage\n"
            "m = HeadModel.load()\n"
            "print(m.fingerprint(), storage.locate_model_file())\n")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != storage.ENV_VAR}
    env["SYNTHHEADS_CACHE"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))))
    fingerprint, cached = out.stdout.split()
    assert fingerprint == model.fingerprint() and cached.startswith(str(tmp_path))
