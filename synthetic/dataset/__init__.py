"""The SynthHeads dataset format (version 1): layout, writer, reader, sharding. numpy + stdlib only
(pillow, lazily, for PNG). See :mod:`synthetic.dataset.layout` for the on-disk tree."""

from .files import read_json, read_png, write_json, write_png
from .layout import FORMAT, PASSES, VERSION, expected_identity_files
from .reader import Cameras, Dataset, Frame, Identity, parse_cameras
from .shard import parse_shard, shard_identities
from .writer import DatasetSettings, DatasetWriter, IdentityExistsError, IdentityWriter, identity_seed

__all__ = [
    "FORMAT", "VERSION", "PASSES", "expected_identity_files",
    "Dataset", "Identity", "Cameras", "Frame", "parse_cameras",
    "DatasetSettings", "DatasetWriter", "IdentityWriter", "IdentityExistsError", "identity_seed",
    "shard_identities", "parse_shard",
    "read_json", "write_json", "read_png", "write_png",
]  # fmt: skip
