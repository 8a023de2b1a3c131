"""``python -m synthetic render``: render the synthetic multi-view dataset with Blender Cycles.

A shell over :func:`synthetic.render_job.render_dataset` (each option is a :class:`~synthetic.render_job.DatasetRequest`
field of the same name).
"""

from __future__ import annotations

import argparse
from dataclasses import fields

from ..cli_support import OUT_DIR

NAME = "render"
HELP = "render synthetic identities (28 cameras, several frames each) into a dataset with Blender Cycles"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--identities", type=int, required=True, help="number of identities in the whole dataset")
    p.add_argument("--preset", default=None, choices=("prior",),
                   help="defaults for a purpose (an option given here wins): prior = 96x96 head-filling frames, 8 spp, "
                        "hair LOD 0.5 px, 256-texel textures, 6 frames, 10 cameras (the SynShot prior's data)")
    p.add_argument("--frames", type=int, default=None, help="frames per identity; frame 0 is neutral (default 4)")
    p.add_argument("--out", type=OUT_DIR, required=True, help="dataset root")
    p.add_argument("--shard", default="0/1", help="K/N: render only shard K (0-based) of N (default 0/1)")
    p.add_argument("--resume", action="store_true", help="skip complete identities; redo unfinished ones")
    p.add_argument("--overwrite", action="store_true", help="re-render identities that are already complete")
    p.add_argument("--resolution", default=None, help="WIDTHxHEIGHT in pixels (default 768x512, as SynShot)")
    p.add_argument("--samples", type=int, default=None, help="Cycles samples per pixel (default 64)")
    p.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto", help="Cycles device (default auto)")
    p.add_argument("--cameras", default=None, help="'all' or a comma list of camera names (cam_00..cam_27)")
    p.add_argument("--seed", type=int, default=0, help="seed base; identity i gets a seed derived from (seed, i)")
    p.add_argument("--texture-size", type=int, default=None, help="albedo / back-projection texture edge (texels)")
    p.add_argument("--hair-quality", choices=("render", "preview"), default="render",
                   help="strand counts: render (~60k scalp strands) or preview (5k; quick looks and tests)")
    p.add_argument("--hair-lod", type=float, default=None, metavar="PX",
                   help="opt-in strand level of detail: fewer, proportionally thicker hair and beard strands up to "
                        "PX pixels wide in the sharpest camera (0.25: ~2x faster at 256x256, curls read coarser; "
                        "default 0 = every strand)")
    p.add_argument("--distance", type=float, default=1.0, help="camera distance to the head centre in metres")
    p.add_argument("--focal-mm", type=float, default=None, help="focal length in mm (default: frame the head)")
    p.add_argument("--passes", default="none",
                   help="'none' (default) or a comma list of linear EXR passes per camera: depth (m along the optical "
                        "axis), normal (world, unit), seg (part index)")
    p.add_argument("--blender", default=None, metavar="PATH",
                   help="the Blender that renders: a Python with the bpy module (e.g. .venv-blender/bin/python, "
                        "Blender 5.3) or a Blender executable; default $SYNTHHEADS_BLENDER, else the checkout's "
                        ".venv-blender/bin/python, else this Python's bpy")
    p.add_argument("--workers", type=int, default=None,
                   help="Blender worker processes side by side, the cores split among them (default 1; on 2 cores "
                        "--workers 2 overlaps one identity's build with another's rendering, see bench/RESULTS.md)")
    p.add_argument("--clothing", action="store_true",
                   help="dress each identity in a collar and a shirt over the shoulders (seg: neck/clothes)")


def run(args: argparse.Namespace, progress) -> int:
    from synthetic.render_job import DatasetRequest, render_dataset, with_preset

    options = with_preset({f.name: getattr(args, f.name) for f in fields(DatasetRequest)}, args.preset)
    request = DatasetRequest(**options)
    result = render_dataset(request, progress)
    progress.done(out=str(result.out), rendered=result.rendered, failed=len(result.failures),
                  **({"log": str(result.log)} if result.log else {}))
    if result.failures:
        for i, msg in sorted(result.failures.items()):
            progress.message(f"identity {i}: {msg}")
        progress.message(f"{len(result.failures)} of {result.rendered + len(result.failures)} identities failed; "
                         f"see {result.log}")
        return 1
    return 0
