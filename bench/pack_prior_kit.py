"""Pack a rendered prior dataset for a device machine whose whole working tree must stay under 64 MiB.

    python bench/pack_prior_kit.py --data .gpukit/data --identities 48 --out .gpukit/prior_data.tar.gz
    python bench/pack_prior_kit.py ... --cameras cam_00,cam_02,cam_04,cam_06,cam_11,cam_14,cam_16,cam_17

Writes one ``tar.gz`` of the first ``--identities`` complete identities holding what training reads: the
manifests (``dataset.json``, ``identity.json``, ``cameras.json``, ``frame.json``, ``done.json``), the views and
the back-projected texture and mask, every PNG re-encoded losslessly at the highest zlib level (Blender writes
level 15 %: ~20 % smaller, pixels identical, checked). Per-view landmarks and the albedo stay behind (training
reads neither); the JSON compresses ~5x in the archive. ``--cameras`` keeps a subset (``cameras.json`` rewritten to
match): at 0.64 MiB an identity with all 10 prior cameras, ~53 identities fit beside the rest of the kit in the
device tool's 64 MiB; 8 cameras make room for ~65. Prints the size; exit 2 on bad input.
"""

from __future__ import annotations

import argparse
import io
import json
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


def only_cameras(cameras_json: bytes, keep: list[str] | None) -> bytes:
    """``cameras.json`` with only the cameras in ``keep`` (None: unchanged)."""
    if keep is None:
        return cameras_json
    data = json.loads(cameras_json)
    data["cameras"] = [c for c in data["cameras"] if c["name"] in keep]
    return json.dumps(data, indent=1).encode()


def members(root: Path, identities: list[int], cameras: list[str] | None = None):
    """(archive name, bytes) of everything the prior's training reads from these identities (and cameras)."""
    yield "dataset.json", (root / "dataset.json").read_bytes()
    for i in identities:
        d = root / f"id_{i:05d}"
        for name in KEEP_JSON:
            payload = (d / name).read_bytes()
            yield f"{d.name}/{name}", only_cameras(payload, cameras) if name == "cameras.json" else payload
        for name in KEEP_TEXTURES:
            yield f"{d.name}/textures/{name}", smaller_png(d / "textures" / name)
        for frame in sorted(d.glob("frame_*")):
            yield f"{d.name}/{frame.name}/frame.json", (frame / "frame.json").read_bytes()
            for png in sorted(frame.glob("cam_*.png")):
                if cameras is not None and png.stem not in cameras:
                    continue
                yield f"{d.name}/{frame.name}/{png.name}", smaller_png(png)


def pack(data: Path, n: int, out: Path, cameras: list[str] | None = None) -> int:
    ds = Dataset(data)
    ids = ds.identities[:n]
    if len(ids) < n:
        raise UserInputError(f"{data}: {len(ds.identities)} complete identities, {n} asked for")
    if cameras is not None:
        unknown = sorted(set(cameras) - set(ds.identity(ids[0]).cameras.names))
        if unknown:
            raise UserInputError(f"--cameras: {unknown} not in {data}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tarfile.open(tmp, "w:gz", compresslevel=9) as tar:
        for name, payload in members(data, ids, cameras):
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
    ap.add_argument("--cameras", default=None, help="comma list of the cameras to keep (default all)")
    a = ap.parse_args(argv)
    try:
        if not (a.data / "dataset.json").is_file():
            raise UserInputError(f"{a.data}: not a dataset root (no dataset.json)")
        cams = [c.strip() for c in a.cameras.split(",") if c.strip()] if a.cameras else None
        size = pack(a.data, a.identities, a.out, cams)
    except UserInputError as e:
        print(f"pack_prior_kit: {e}", file=sys.stderr)
        return 2
    print(f"pack_prior_kit: {a.out} {size / 2**20:.1f} MiB ({a.identities} identities)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
