"""The offline build is deterministic: a fresh build equals the cached model, array for array, whatever BLAS the
building process was started with."""

import os
import subprocess
import sys

import numpy as np

from synthetic.head import storage
from synthetic.head.build import build_reproducibly

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


def test_build_is_deterministic_and_matches_the_cache(model):
    arrays = build_reproducibly()
    cached = model.arrays()
    assert sorted(arrays) == sorted(cached)
    for k in arrays:
        np.testing.assert_array_equal(np.asarray(arrays[k]), cached[k], err_msg=k)
    assert storage.fingerprint_arrays(arrays) == model.fingerprint()


def test_evaluation_needs_numpy_only(model, tmp_path):
    """Loading a model file and evaluating it imports neither scipy, nor torch, nor bpy (Blender add-on)."""
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
    code = ("from synthetic.head import HeadModel, storage\n"
            "m = HeadModel.load()\n"
            "print(m.fingerprint(), storage.locate_model_file())\n")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != storage.ENV_VAR}
    env["SYNTHHEADS_CACHE"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=ROOT)
    fingerprint, cached = out.stdout.split()
    assert fingerprint == model.fingerprint() and cached.startswith(str(tmp_path))


def test_another_blas_kernel_and_thread_count_build_the_same_model(model, tmp_path):
    """Started under the OpenBLAS kernel and thread count of another machine, the build comes out bit-identical.
    Before the build fixed its BLAS (synthetic.head.build.BLAS_ENV), one commit gave three fingerprints here:
    2 threads, 1 thread, and the Sandybridge kernel (identity basis values one float32 ulp apart); and numpy's
    AVX-512 loops gave another generator-12 model than its AVX2 ones (2026-12-07; this child runs with numpy's full
    dispatch, which on an AVX-512 CPU includes them)."""
    out = tmp_path / "head_model.npz"
    env = dict(os.environ, OPENBLAS_CORETYPE="Sandybridge", OPENBLAS_NUM_THREADS="2", OMP_NUM_THREADS="2")
    env.pop("NPY_DISABLE_CPU_FEATURES", None)
    subprocess.run([sys.executable, "-m", "synthetic.head.build", "--out", str(out)], check=True, env=env, cwd=ROOT,
                   capture_output=True)
    assert storage.fingerprint_arrays(storage.read_arrays(out)) == model.fingerprint()
