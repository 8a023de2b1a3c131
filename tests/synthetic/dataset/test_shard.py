"""``--shard K/N``: deterministic, disjoint, covering, and clear errors; the workers' shared queue."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from synthetic.dataset import parse_shard, shard_identities
from synthetic.dataset.shard import claim_identity
from synthetic.errors import UserInputError


@pytest.mark.parametrize("n_ids,n_shards", [(0, 1), (1, 3), (10, 1), (10, 3), (2000, 7), (5, 5), (3, 8)])
def test_shards_are_disjoint_and_cover_everything(n_ids, n_shards):
    parts = [shard_identities(n_ids, f"{k}/{n_shards}") for k in range(n_shards)]
    flat = sorted(i for p in parts for i in p)
    assert flat == list(range(n_ids))
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert parts == [shard_identities(n_ids, f"{k}/{n_shards}") for k in range(n_shards)]


def test_shard_examples():
    assert shard_identities(10, "1/3") == [1, 4, 7]
    assert shard_identities(4) == [0, 1, 2, 3]
    assert parse_shard(" 2/4 ") == (2, 4)


@pytest.mark.parametrize("bad", ["3/3", "-1/3", "1/0", "a/b", "1", "1/2/3", "", "0.5/2"])
def test_bad_shard_strings_are_user_errors(bad):
    with pytest.raises(UserInputError, match="shard"):
        shard_identities(10, bad)


def test_each_identity_of_a_shared_queue_is_claimed_once_across_processes(tmp_path):
    """Two processes claim the same six identities concurrently: each identity goes to exactly one of them."""
    code = ("import sys, json; from synthetic.dataset.shard import claim_identity; "
            "print(json.dumps([i for i in range(6) if claim_identity(sys.argv[1], i)]))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                              cwd=str(Path(__file__).resolve().parents[3])) for _ in range(2)]
    got = [json.loads(p.communicate()[0]) for p in procs]
    assert sorted(got[0] + got[1]) == list(range(6))
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"id_{i:05d}" for i in range(6)]
    assert claim_identity(tmp_path, 3) is False and claim_identity(tmp_path, 6) is True
