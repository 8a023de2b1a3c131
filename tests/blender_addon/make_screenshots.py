"""Render the add-on screenshots for the docs (not a test): ``python tests/blender_addon/make_screenshots.py``
(Blender 5.0: the head and the ellipsoid GEM) and ``... --blender 5.3`` (the GEM as native splats, Cycles and EEVEE).

Builds the extension zip, writes the test GEM (``_addon_gem_fixture.head_gem``), installs the zip in a
fresh headless Blender and runs ``scenario_screenshots.py``; the PNGs go to ``docs/images/``
(8-bit, RGBA with transparent background; each kept under 200 KB), and with Blender 5.0 a lit close-up of the
head, ``addon_synthetic_head_closeup.jpg`` (key, fill and rim area lights, AgX, denoised; ``--closeup-size``).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parents[1]))

from _addon_gem_fixture import head_gem  # noqa: E402
from _addon_harness import ROOT, build_zip, run_scenario  # noqa: E402

from synthetic.formats.gem import write_gem  # noqa: E402

MAX_BYTES = 200_000


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    p.add_argument("--size", type=int, nargs=2, default=(360, 360))
    p.add_argument("--samples", type=int, default=48)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--hair-quality", default="render", choices=("preview", "render"))
    p.add_argument("--blender", default="5.0", choices=("5.0", "5.3"), help="5.3: the native-splat GEM shots")
    p.add_argument("--closeup-size", type=int, default=640, help="side of the head close-up (JPEG; 0 = none)")
    p.add_argument("--closeup-samples", type=int, default=64)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="synthheads_shots_") as tmp:
        tmp = Path(tmp)
        proc = build_zip(tmp / "dist")
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr, file=sys.stderr)
            return 1
        zip_path = next((tmp / "dist").glob("synthheads-*.zip"))
        write_gem(tmp / "avatar.gem", head_gem(n=100_000, seed=args.seed, texture_size=512))
        report = run_scenario("screenshots", tmp / "work", timeout=1800, blender=args.blender, zip=str(zip_path),
                              gem=str(tmp / "avatar.gem"), size=list(args.size), samples=args.samples, seed=args.seed,
                              hair_quality=args.hair_quality, splats=args.blender == "5.3",
                              closeup_size=args.closeup_size, closeup_samples=args.closeup_samples)  # fmt: skip
        args.out.mkdir(parents=True, exist_ok=True)
        for name, info in report["images"].items():
            target = args.out / f"{name}.png"
            if name.endswith("_closeup"):  # a photo-like shot: JPEG over its dark background
                from PIL import Image

                target = target.with_suffix(".jpg")
                rgba = Image.open(info["path"]).convert("RGBA")
                backdrop = Image.new("RGBA", rgba.size, (26, 26, 28, 255))
                Image.alpha_composite(backdrop, rgba).convert("RGB").save(target, quality=90)
            else:
                shutil.copy(info["path"], target)
            size = target.stat().st_size
            print(f"{target} {size / 1000:.0f} KB coverage {info['coverage']:.2f}")
            if size > MAX_BYTES:
                print(f"  over {MAX_BYTES // 1000} KB: render smaller (--size)", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
