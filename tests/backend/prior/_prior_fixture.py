"""Helpers of the prior tests (imported by the test modules; fixtures live in conftest.py)."""

from __future__ import annotations

FIXTURE_CAMERAS = "cam_00,cam_05,cam_09,cam_20"


def reduced_overrides(steps: int = 2) -> list[str]:
    """Shrink any preset to fixture size (64x48 renders, 32^2 maps), keeping its flags and structure."""
    return [
        "data.map_size=32", "data.render_width=64", "data.render_height=48", "data.cameras_per_sample=2",
        "data.num_workers=0",
        f'data.eval_cameras={FIXTURE_CAMERAS.split(",")[:2]}'.replace("'", '"'),
        "model.channels=[8,16]", "model.id_latent_dim=8", "model.exp_latent_dim=8", "model.id_codebook_size=16",
        "model.exp_codebook_size=16", "model.transformer_heads=2", "model.transformer_layers=1",
        "model.feat_channels=8", "model.regressor_channels=8", "model.face_density=1.0", "model.hair_density=2.0",
        f"optim.steps={steps}", "optim.batch_size=2", "optim.milestones=[1]", "train.log_every=1",
        "train.eval_every=1000", "train.preview_every=1000", "train.checkpoint_every=1000", "train.eval_frames=1",
        "loss.lpips_every=1",
    ]  # fmt: skip
