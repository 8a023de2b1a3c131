"""``python -m synthetic render``: render the synthetic multi-view dataset with Blender Cycles."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "render"
HELP = "render synthetic identities (28 cameras, several frames each) into a dataset with Blender Cycles"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--identities", type=int, required=True, help="number of identities in the whole dataset")
    p.add_argument("--frames", type=int, default=4, help="frames per identity; frame 0 is neutral (default 4)")
    p.add_argument("--out", type=Path, required=True, help="dataset root")
    p.add_argument("--shard", default="0/1", help="K/N: render only shard K (0-based) of N (default 0/1)")
    p.add_argument("--resume", action="store_true", help="skip complete identities; redo unfinished ones")
    p.add_argument("--overwrite", action="store_true", help="re-render identities that are already complete")
    p.add_argument("--resolution", default="768x512", help="WIDTHxHEIGHT in pixels (default 768x512, as SynShot)")
    p.add_argument("--samples", type=int, default=64, help="Cycles samples per pixel (default 64)")
    p.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto", help="Cycles device (default auto)")
    p.add_argument("--cameras", default="all", help="'all' or a comma list of camera names (cam_00..cam_27)")
    p.add_argument("--seed", type=int, default=0, help="seed base; identity i gets a seed derived from (seed, i)")
    p.add_argument("--texture-size", type=int, default=1024, help="albedo / back-projection texture edge (texels)")
    p.add_argument("--hair-quality", choices=("render", "preview"), default="render",
                   help="strand counts: render (~60k scalp strands) or preview (5k; quick looks and tests)")
    p.add_argument("--distance", type=float, default=1.0, help="camera distance to the head centre in metres")
    p.add_argument("--focal-mm", type=float, default=None, help="focal length in mm (default: frame the head)")
    p.add_argument("--passes", default="none",
                   help="'none' (default) or a comma list of linear EXR passes per camera: depth (m along the optical "
                        "axis), normal (world, unit), seg (part index)")
    p.add_argument("--blender", default=None, metavar="PATH",
                   help="the Blender that renders: a Python with the bpy module (e.g. .venv-blender/bin/python, "
                        "Blender 5.3) or a Blender executable; default $SYNTHHEADS_BLENDER, else the checkout's "
                        ".venv-blender/bin/python, else this Python's bpy")
    p.add_argument("--clothing", action="store_true",
                   help="dress each identity in a collar and a shirt over the shoulders (seg: neck/clothes)")


def run(args: argparse.Namespace, progress) -> int:
    from synthetic.dataset.shard import shard_identities
    from synthetic.dataset.writer import DatasetSettings, DatasetWriter
    from synthetic.errors import UserInputError
    from synthetic.head import HeadModel
    from synthetic.render_job import RenderJob, _log_path, install_sigterm_handler, run_worker
    from synthetic.rig import N_FRONT, N_HEMISPHERE, RigSettings, parse_resolution

    if args.identities < 1:
        raise UserInputError(f"--identities must be at least 1, got {args.identities}")
    if args.frames < 1:
        raise UserInputError(f"--frames must be at least 1, got {args.frames}")
    if args.samples < 1:
        raise UserInputError(f"--samples must be at least 1, got {args.samples}")
    width, height = parse_resolution(args.resolution)
    all_names = [f"cam_{i:02d}" for i in range(N_FRONT + N_HEMISPHERE)]
    cameras = None
    if args.cameras != "all":
        cameras = [c.strip() for c in args.cameras.split(",") if c.strip()]
        bad = [c for c in cameras if c not in all_names]
        if bad or not cameras:
            raise UserInputError(f"--cameras: unknown camera name(s) {bad or args.cameras!r}; use cam_00..cam_27")
    passes = _parse_passes(args.passes)
    indices = shard_identities(args.identities, args.shard)
    rig = RigSettings(width=width, height=height, distance=args.distance, focal_mm=args.focal_mm)
    model = HeadModel.load()
    settings = DatasetSettings(
        n_identities=args.identities, frames_per_identity=args.frames, seed_base=args.seed,
        head_model_fingerprint=model.fingerprint(), rig=rig,
        generator={"renderer": "blender-cycles", "samples": args.samples, "texture_size": args.texture_size,
                   "cameras": cameras or "all", "quality": args.hair_quality,
                   **({"clothing": True} if args.clothing else {})},
        passes=passes,
    )  # fmt: skip
    ds = DatasetWriter(args.out, settings)  # writes or checks dataset.json (refuses other settings)
    complete = [i for i in indices if ds.is_complete(i)]
    if complete and not (args.resume or args.overwrite):
        raise UserInputError(
            f"{args.out} already holds {len(complete)} complete identities of this shard; pass --resume to continue "
            "or --overwrite to render them again"
        )
    todo = indices if args.overwrite else ds.pending(indices)
    n_cams = len(cameras) if cameras else len(all_names)
    progress.message(f"rendering {len(todo)} of {len(indices)} identities of shard {args.shard} "
                     f"({len(complete)} already complete) at {width}x{height}, {args.samples} samples")  # fmt: skip
    if not todo:
        progress.done(out=str(args.out), rendered=0, failed=0)
        return 0
    job = RenderJob(out=str(args.out), identities=todo, frames=args.frames, width=width, height=height,
                    samples=args.samples, device=args.device, seed_base=args.seed, cameras=cameras,
                    texture_size=args.texture_size, quality=args.hair_quality, overwrite=args.overwrite,
                    dataset=settings.to_json(), passes=list(passes))  # fmt: skip
    install_sigterm_handler()
    log = _log_path(Path(args.out), args.shard)
    failures = run_worker(job, progress, log, total_images=len(todo) * args.frames * n_cams, blender=args.blender)
    progress.done(out=str(args.out), rendered=len(todo) - len(failures), failed=len(failures), log=str(log))
    if failures:
        for i, msg in sorted(failures.items()):
            progress.message(f"identity {i}: {msg}")
        progress.message(f"{len(failures)} of {len(todo)} identities failed; see {log}")
        return 1
    return 0


def _parse_passes(text: str) -> tuple[str, ...]:
    """``--passes``: 'none' or a comma list of :data:`synthetic.dataset.layout.PASSES`, returned in that order."""
    from synthetic.dataset.layout import PASSES
    from synthetic.errors import UserInputError

    names = [] if text.strip().lower() in ("", "none") else [t.strip() for t in text.split(",") if t.strip()]
    bad = [n for n in names if n not in PASSES]
    if bad:
        raise UserInputError(f"--passes: unknown pass(es) {', '.join(bad)}; choose from {', '.join(PASSES)} or none")
    return tuple(k for k in PASSES if k in names)
