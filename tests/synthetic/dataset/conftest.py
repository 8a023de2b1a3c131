"""Fixtures of the dataset tests (helpers live in ``_tiny_dataset.py``)."""

from __future__ import annotations

import pytest
from _tiny_dataset import TinyHead, write_tiny_dataset


@pytest.fixture(scope="session")
def tiny_head():
    return TinyHead()


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory, tiny_head):
    """Path of a pristine tiny dataset; tests copy it before corrupting it."""
    root = tmp_path_factory.mktemp("ds") / "data"
    write_tiny_dataset(root, tiny_head)
    return root
