"""Fixtures of the avatar tests: the head model, a tiny untrained prior and an untuned avatar."""

from __future__ import annotations

import torch

from tests.backend.avatar.avatar_fixture import avatar, head_model, prior  # noqa: F401 - pytest fixtures

torch.set_num_threads(1)
