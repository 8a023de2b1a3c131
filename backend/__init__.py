"""SynthHeads torch backend: Gaussian splatting core, metrics, prior, inversion, GEM."""

from synthetic import cache_env as _cache_env

_cache_env.apply()

__version__ = "0.1.0"
