"""Which identities a prior trains on and which it is measured on."""

from __future__ import annotations

import pytest

from backend.prior.config import load_config
from backend.prior.data import PriorDataset, parse_identity_list, split_identities
from synthetic.errors import UserInputError


def test_the_last_fraction_is_held_out_unless_identities_are_named():
    ids = list(range(20))
    assert split_identities(ids, 0.1) == (list(range(18)), [18, 19])
    assert split_identities([3, 1], 0.1) == ([1], [3])  # at least one of two
    train, held = split_identities(list(range(30)), 0.1, ["5-7", 12, "29"])
    assert held == [5, 6, 7, 12, 29] and train == [i for i in range(30) if i not in held]
    # a grown dataset (0-255) keeps the held-out set its first 128 identities were split with
    assert split_identities(list(range(256)), 0.1, ["115-127"])[1] == list(range(115, 128))


@pytest.mark.parametrize("bad", ["x", "7-3", "-2", "1-b"])
def test_bad_identity_lists_name_the_item(bad):
    with pytest.raises(UserInputError, match="data.held_out_identities"):
        parse_identity_list([bad])


def test_named_held_out_identities_split_a_dataset_and_must_exist(prior_dataset, head_model):
    cfg = load_config("tiny", overrides=["data.held_out_identities=0"])
    assert cfg.data.held_out_identities == ["0"]
    assert PriorDataset(prior_dataset, cfg.data, "train", head_model).identities == [1]
    assert PriorDataset(prior_dataset, cfg.data, "held-out", head_model).identities == [0]
    cfg = load_config("tiny", overrides=["data.held_out_identities=1-3"])
    with pytest.raises(UserInputError, match=r"held_out_identities \[2, 3\] are not complete"):
        PriorDataset(prior_dataset, cfg.data, "train", head_model)
