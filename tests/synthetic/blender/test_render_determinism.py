"""An identity renders to the same pixels whether its worker rendered other identities before it or
not (no texture, light or world of one identity leaks into the next), so any identity can be
re-rendered alone on any shard."""

import numpy as np
from _cli import synthetic_cli

ARGS = ["--identities", 4, "--frames", 1, "--resolution", "64x48", "--samples", 2, "--texture-size", 128,
        "--hair-quality", "preview", "--device", "cpu", "--cameras", "cam_02,cam_11"]  # fmt: skip


def test_identity_alone_equals_identity_after_others(tmp_path):
    from synthetic.dataset import Dataset

    synthetic_cli("render", "--out", tmp_path / "all", *ARGS)  # one worker renders 0, 1, 2, 3 in turn
    synthetic_cli("render", "--out", tmp_path / "alone", *ARGS, "--shard", "3/4")  # identity 3 first and alone
    after, alone = Dataset(tmp_path / "all").identity(3), Dataset(tmp_path / "alone").identity(3)
    for cam in ("cam_02", "cam_11"):
        a, b = after.image(0, cam), alone.image(0, cam)
        assert np.array_equal(a, b), f"{cam}: max difference {np.abs(a - b).max():.3f}"
