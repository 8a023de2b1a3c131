"""The stage-2 locality term: which Gaussians the input views see, and the pull of the unseen ones."""

import torch

from backend.invert.pivot import pivot_loss, seen_gaussians, view_colour_loss
from backend.splat import Cameras


def _gaussians(means):
    n = len(means)
    return {"means": torch.tensor(means, dtype=torch.float32)[None], "quats": torch.tensor([[1.0, 0, 0, 0]] * n)[None],
            "scales": torch.full((1, n, 3), 0.02), "opacities": torch.full((1, n), 0.99),
            "sh": torch.full((1, n, 1, 3), 0.5)}  # fmt: skip


def test_occluded_and_off_mask_gaussians_are_unseen():
    cam = Cameras.look_at([[0.0, -1.0, 0.0]], [0.0, 0.0, 0.0], 40.0, 64, 64)
    # front (seen), directly behind it (occluded), to the side on the mask's empty half, behind the camera
    g = _gaussians([[0.0, 0.0, 0.0], [0.0, 0.1, 0.0], [0.15, 0.0, 0.0], [0.0, -2.0, 0.0]])
    alpha = torch.zeros(1, 1, 64, 64)
    alpha[..., :, :36] = 1.0  # the person covers the left part of the image only
    seen = seen_gaussians(g, cam.K, cam.w2c, alpha)
    assert seen.tolist() == [True, False, False, False]


def test_pivot_loss_pulls_only_unseen_gaussians():
    pivot = _gaussians([[0.0, 0.0, 0.0], [0.0, 0.1, 0.0]])
    moved = {k: v.clone() for k, v in pivot.items()}
    moved["means"][0, 0, 0] += 0.005  # the seen Gaussian moves 5 mm: free
    unseen = torch.tensor([False, True])
    assert float(pivot_loss(moved, pivot, unseen)) == 0.0
    moved["means"][0, 1, 0] += 0.005  # the unseen one moves 5 mm = one unit
    assert abs(float(pivot_loss(moved, pivot, unseen)) - 1.0 / 3.0) < 1e-5  # mean over x, y, z
    assert float(pivot_loss(moved, pivot, torch.tensor([False, False]))) == 0.0


def test_view_colour_loss_holds_every_gaussians_higher_bands_only():
    pivot = _gaussians([[0.0, 0.0, 0.0], [0.0, 0.1, 0.0]])
    pivot["sh"] = torch.zeros(1, 2, 4, 3)  # degree 1: DC + 3 bands
    moved = {k: v.clone() for k, v in pivot.items()}
    moved["sh"][0, :, 0] += 0.3  # the DC colour of both: free (the photos say it)
    assert float(view_colour_loss(moved, pivot)) == 0.0
    moved["sh"][0, 0, 1, 0] += 0.1  # one coefficient of a band >= 1 moves one unit, seen or not
    assert abs(float(view_colour_loss(moved, pivot)) - 1.0 / (2 * 3 * 3)) < 1e-6  # mean over N, bands, RGB
    dc_only = _gaussians([[0.0, 0.0, 0.0]])
    assert float(view_colour_loss(dc_only, dc_only)) == 0.0
