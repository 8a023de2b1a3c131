"""Shared fixture: the real head model (built once into the checkout cache if missing, ~5 s)."""

import pytest

from synthetic.head import HeadModel


@pytest.fixture(scope="session")
def model() -> HeadModel:
    return HeadModel.load()
