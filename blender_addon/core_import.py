"""Import the bundled numpy-only ``synthetic`` core without its checkout side effects (stdlib only).

The core ships as a wheel inside the extension zip; Blender installs it into the extensions'
``site-packages``. Its package ``__init__`` points tool-cache environment variables (among them
``BLENDER_USER_RESOURCES``) at ``<checkout>/.cache`` for command-line use. Inside Blender there is
no checkout, and Blender reads ``BLENDER_USER_RESOURCES`` whenever it looks up a user folder, so the
first import happens here: with ``SYNTHHEADS_CACHE`` pointing at the extension's own user folder,
and with the process environment restored afterwards, so Blender and every job it starts see the
environment they had.
"""

from __future__ import annotations

import importlib
import os
import sys


def import_core(cache_dir: str | None = None):
    """Import and return the ``synthetic`` package (once), leaving ``os.environ`` as it was."""
    if "synthetic" in sys.modules:
        return sys.modules["synthetic"]
    saved = dict(os.environ)
    try:
        if cache_dir:
            os.environ["SYNTHHEADS_CACHE"] = cache_dir
        return importlib.import_module("synthetic")
    finally:
        for key in set(os.environ) - set(saved):
            del os.environ[key]
        for key, value in saved.items():
            if os.environ.get(key) != value:
                os.environ[key] = value
