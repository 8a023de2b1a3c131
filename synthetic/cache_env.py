"""Keep tool caches (Blender, Mesa, matplotlib, torch extensions) inside the checkout.

`apply()` sets the cache environment variables to folders under ``<checkout>/.cache`` unless
the user already set them. It must run before ``bpy``, ``matplotlib`` or ``torch`` cpp
extensions are imported, so the package ``__init__`` modules call it first.
"""

from __future__ import annotations

import os
from pathlib import Path

CHECKOUT_ROOT = Path(__file__).resolve().parent.parent
CACHE_ROOT = Path(os.environ.get("SYNTHHEADS_CACHE", CHECKOUT_ROOT / ".cache"))

_CACHE_VARS = {
    "BLENDER_USER_RESOURCES": "blender",
    "XDG_CACHE_HOME": "xdg",
    "MPLCONFIGDIR": "matplotlib",
    "TORCH_EXTENSIONS_DIR": "torch_extensions",
    "MESA_SHADER_CACHE_DIR": "mesa",
}


def apply() -> None:
    """Point every cache variable that is not set yet at ``CACHE_ROOT/<name>``.

    Only inside a SynthHeads checkout (``run.sh`` beside the package): installed inside Blender's
    add-on folder, the package leaves Blender's environment alone.
    """
    if "SYNTHHEADS_CACHE" not in os.environ and not (CHECKOUT_ROOT / "run.sh").is_file():
        return
    for var, sub in _CACHE_VARS.items():
        if not os.environ.get(var):
            path = CACHE_ROOT / sub
            os.environ[var] = str(path)
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError:  # read-only checkout (installed add-on): the tools fall back themselves
                pass
