"""``python -m backend info``: versions, the device in use, and which optional parts work."""

from __future__ import annotations

import argparse
import platform

NAME = "info"
HELP = "print versions, the device it would use, and which accelerated paths and optional models are available"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")


def run(args: argparse.Namespace, progress) -> int:
    import numpy
    import torch

    from backend.devices import resolve_device
    from backend.splat.rasterize import describe_rasterizer

    rows = [
        ("python", platform.python_version()),
        ("torch", torch.__version__),
        ("numpy", numpy.__version__),
        ("cuda available", str(torch.cuda.is_available())),
        ("device", str(resolve_device(args.device))),
        ("rasterizer", describe_rasterizer()),
    ]
    from backend.models_available import optional_models

    rows += [(f"model: {name}", status) for name, status in optional_models().items()]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return 0
