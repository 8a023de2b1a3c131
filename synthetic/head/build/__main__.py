"""``python -m synthetic.head.build [--out FILE]``: build the head model file (needs scipy).

Without ``--out`` the file goes to the checkout cache, where :meth:`HeadModel.load` finds it. It builds under
:data:`synthetic.head.build.BLAS_ENV` (re-running itself with those settings when started without them). For
the Blender add-on, build into ``synthetic/head/data/head_model.npz`` so the add-on reads it with
numpy alone (see :mod:`synthetic.head.storage`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from .. import storage
from . import blas_env_is_set, build_env, build_model_arrays


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synthetic.head.build", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="output .npz (default: the checkout cache)")
    args = parser.parse_args(argv)
    if not blas_env_is_set():  # OpenBLAS chose its kernel and threads when numpy loaded: run again under BLAS_ENV
        again = ["--out", args.out] if args.out else []
        return subprocess.call([sys.executable, "-m", "synthetic.head.build", *again], env=build_env())
    start = time.perf_counter()
    arrays = build_model_arrays()
    path = storage.save_arrays(args.out or storage.cache_path(), arrays)
    print(f"head model: {len(arrays['v_template'])} vertices, {len(arrays['faces'])} faces, "
          f"{arrays['shapedirs'].shape[-1]} identity / {arrays['exprdirs'].shape[-1]} expression components; "
          f"fingerprint {storage.fingerprint_arrays(arrays)[:16]}; built in {time.perf_counter() - start:.1f} s "
          f"-> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
