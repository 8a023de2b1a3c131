"""Pack a rendered prior dataset for a device machine whose whole working tree must stay under 64 MiB.

    python bench/pack_prior_kit.py --data .gpukit/prior48 --identities 42 --out .gpukit/prior_data.tar.gz

Writes one ``tar.gz`` of the first ``--identities`` complete identities holding what training reads: the
manifests (``dataset.json``, ``identity.json``, ``cameras.json``, ``frame.json``, ``done.json``), the views and
the back-projected texture and mask, every PNG re-encoded losslessly at the highest zlib level (Blender writes
level 15 %: ~20 % smaller, pixels identical, checked). Per-view landmarks and the albedo stay behind (training
reads neither); the JSON compresses ~5x in the archive. Prints the size; exit 2 on bad input.
"""

from __future__ import annotations

import argparse
import io
import sys
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from synthetic.dataset import Dataset  # noqa: E402
from synthetic.errors import UserInputError  # noqa: E402

KEEP_JSON = ("identity.json", "cameras.json", "done.json")
KEEP_TEXTURES = ("backprojected.png", "backprojected_mask.png")


def smaller_png(path: Path) -> bytes:
    """The PNG at ``path`` re-encoded losslessly with zlib level 9 and PIL's optimizer (pixels identical)."""
    with Image.open(path) as im:
        im.load()
        pixels = np.asarray(im)
        buf = io.BytesIO()
        im.save(buf, format="PNG", optimize=True)
    with Image.open(io.BytesIO(buf.getvalue())) as back:
        if not np.array_equal(np.asarray(back), pixels):
            raise RuntimeError(f"{path}: re-encoding changed pixels")
    return buf.getvalue()


def members(root: Path, identities: list[int]):
    """(archive name, bytes) of everything the prior's training reads from these identities."""
    yield "dataset.json", (root / "dataset.json").read_bytes()
    for i in identities:
        d = root / f"id_{i:05d}"
        for name in KEEP_JSON:
            yield f"{d.name}/{name}", (d / name).read_bytes()
        for name in KEEP_TEXTURES:
            yield f"{d.name}/textures/{name}", smaller_png(d / "textures" / name)
        for frame in sorted(d.glob("frame_*")):
            yield f"{d.name}/{frame.name}/frame.json", (frame / "frame.json").read_bytes()
            for png in sorted(frame.glob("cam_*.png")):
                yield f"{d.name}/{frame.name}/{png.name}", smaller_png(png)


def pack(data: Path, n: int, out: Path) -> int:
    ds = Dataset(data)
    ids = ds.identities[:n]
    if len(ids) < n:
        raise UserInputError(f"{data}: {len(ds.identities)} complete identities, {n} asked for")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tarfile.open(tmp, "w:gz", compresslevel=9) as tar:
        for name, payload in members(data, ids):
            info = tarfile.TarInfo(f"data/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    tmp.replace(out)
    return out.stat().st_size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="dataset root (python -m synthetic render --preset prior)")
    ap.add_argument("--identities", type=int, required=True, help="how many of its first complete identities")
    ap.add_argument("--out", type=Path, required=True, help="the .tar.gz to write")
    a = ap.parse_args(argv)
    try:
        if not (a.data / "dataset.json").is_file():
            raise UserInputError(f"{a.data}: not a dataset root (no dataset.json)")
        size = pack(a.data, a.identities, a.out)
    except UserInputError as e:
        print(f"pack_prior_kit: {e}", file=sys.stderr)
        return 2
    print(f"pack_prior_kit: {a.out} {size / 2**20:.1f} MiB ({a.identities} identities)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
