"""Survey of how much head hair hides the face core (eyes, nose, mouth) in the rig's 14 front cameras.

    python bench/bench_hair_coverage.py                      # default sampler + every style forced, preview
    python bench/bench_hair_coverage.py --quality render     # 60k strands, fibre-width opacity (slow: ~10 s/id)

Measure: :func:`synthetic.assets.hair_coverage.face_coverage` at 256x256 (preview: 1-px opaque lines;
render: fibre width, opacity ``1 - exp(-area)``). Per identity the *worst* front camera counts. Rows: the
default sampler over ``--identities`` seeds (``identity_seed(--seed, i)``, as a dataset), then each style
forced over ``--per-style`` seeds. Prints a markdown table and writes ``bench/out/hair_coverage_<quality>.json``.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from bench_common import OUT_DIR, machine

from synthetic.assets.defaults import HAIR_STYLES
from synthetic.assets.hair_coverage import face_coverage
from synthetic.assets.identity import IdentityConfig, IdentitySampler
from synthetic.dataset.writer import identity_seed
from synthetic.head import HeadModel


def measure(model, sampler: IdentitySampler, seed: int, quality: str) -> dict:
    params = sampler.sample(seed)
    surf = sampler.surface(params)
    hair = sampler.build(params, surface=surf, parts=("hair",)).strands["hair"]
    verts = model.vertices(np.asarray(params["shape"]))
    if quality == "render":
        cov = face_coverage(hair.points, verts, model.faces, surf.landmarks, width_px=None, strand_radius=hair.radius)
    else:
        cov = face_coverage(hair.points, verts, model.faces, surf.landmarks)
    return {"seed": seed, "style": params["hair"]["style"], "flow": params["hair"]["flow"],
            "length": params["hair"]["length"], "fraction": [round(float(x), 4) for x in cov.fraction]}


def summary(rows: list[dict], threshold: float) -> str:
    worst = np.array([max(r["fraction"]) for r in rows]) if rows else np.zeros(0)
    if not len(worst):
        return "| 0 | - | - | - | - |"
    return (f"| {len(worst)} | {np.median(worst):.3f} | {np.percentile(worst, 90):.3f} | {worst.max():.3f} "
            f"| {int((worst >= threshold).sum())} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quality", choices=("preview", "render"), default="preview")
    ap.add_argument("--identities", type=int, default=40, help="default-sampler identities (default 40)")
    ap.add_argument("--per-style", type=int, default=6, help="identities per forced style (default 6; 0: none)")
    ap.add_argument("--seed", type=int, default=0, help="dataset seed base of the default-sampler rows")
    ap.add_argument("--threshold", type=float, default=0.05, help="count identities whose worst camera is >= this")
    args = ap.parse_args()
    model = HeadModel.load()
    t0 = time.perf_counter()
    out = {"quality": args.quality, "threshold": args.threshold, "default": [], "styles": {}}
    sampler = IdentitySampler(model, IdentityConfig(quality=args.quality))
    out["default"] = [measure(model, sampler, identity_seed(args.seed, i), args.quality)
                      for i in range(args.identities)]
    for style in HAIR_STYLES if args.per_style else ():
        forced = IdentitySampler(model, IdentityConfig(quality=args.quality, hair_style=style))
        out["styles"][style] = [measure(model, forced, 10_000 + i, args.quality) for i in range(args.per_style)]
    print(f"Worst front camera per identity, covered fraction of the face core ({args.quality}); "
          f"{time.perf_counter() - t0:.0f} s\n")
    print(f"| rows | n | median | p90 | max | n >= {args.threshold:g} |\n|---|---|---|---|---|---|")
    print(f"| default sampler (seed {args.seed}) {summary(out['default'], args.threshold)}")
    by_style: dict[str, list] = {}
    for r in out["default"]:
        by_style.setdefault(r["style"], []).append(r)
    for style, rows in by_style.items():
        print(f"| - default, {style} {summary(rows, args.threshold)}")
    for style, rows in out["styles"].items():
        print(f"| forced {style} {summary(rows, args.threshold)}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"hair_coverage_{args.quality}.json"
    path.write_text(json.dumps({"machine": machine(), **out}, indent=1))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
