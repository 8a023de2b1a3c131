"""Shared fixtures of the GEM tests: a small mesh teacher and a distilled model (one thread, CPU)."""

from __future__ import annotations

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(scope="package")
def head():
    from synthetic.head import HeadModel

    return HeadModel.load()


@pytest.fixture(scope="package")
def teacher(head):
    from backend.gem.teacher import MeshTeacher

    return MeshTeacher(head, 600, seed=0)


@pytest.fixture(scope="package")
def distilled(head, teacher):
    from backend.gem.distill import DistillConfig, distill

    return distill(teacher, DistillConfig(components=8, n_train=24, n_heldout=4), head)
