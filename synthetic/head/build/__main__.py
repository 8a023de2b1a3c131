"""``python -m synthetic.head.build [--out FILE]``: build the head model file (needs scipy).

Without ``--out`` the file goes to the checkout cache, where :meth:`HeadModel.load` finds it. It builds under
:data:`synthetic.head.build.BLAS_ENV` (in a child process when started without those settings). For
the Blender add-on, build into ``synthetic/head/data/head_model.npz`` so the add-on reads it with
numpy alone (see :mod:`synthetic.head.storage`).
"""

from __future__ import annotations

import argparse
import sys
import time

from .. import storage
from . import build_reproducibly


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synthetic.head.build", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="output .npz (default: the checkout cache)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    arrays = build_reproducibly()
    path = storage.save_arrays(args.out or storage.cache_path(), arrays)
    print(f"head model: {len(arrays['v_template'])} vertices, {len(arrays['faces'])} faces, "
          f"{arrays['shapedirs'].shape[-1]} identity / {arrays['exprdirs'].shape[-1]} expression components; "
          f"fingerprint {storage.fingerprint_arrays(arrays)[:16]}; built in {time.perf_counter() - start:.1f} s "
          f"-> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
