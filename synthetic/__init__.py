"""SynthHeads synthetic-data core: numpy only (no bpy, no torch)."""

from . import cache_env as _cache_env

_cache_env.apply()

__version__ = "0.1.0"
