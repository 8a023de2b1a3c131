"""``python -m synthetic render --preset``: a preset fills the options that were not given; given ones win."""

from __future__ import annotations

import argparse

import pytest

from synthetic.cli import render as render_cli
from synthetic.errors import UserInputError
from synthetic.render_job import PRESETS, DatasetRequest, with_preset
from synthetic.rig import build_rig


def parse(*argv: str) -> dict:
    p = argparse.ArgumentParser()
    render_cli.add_arguments(p)
    args = p.parse_args(["--identities", "3", "--out", "/tmp/x", *argv])
    return with_preset({k: getattr(args, k) for k in DatasetRequest.__dataclass_fields__}, args.preset)


def test_no_preset_keeps_the_documented_defaults():
    o = parse()
    assert (o["resolution"], o["samples"], o["frames"], o["cameras"], o["texture_size"], o["hair_lod"]) == (
        "768x512", 64, 4, "all", 1024, 0.0)


def test_prior_preset_fills_and_explicit_options_win():
    o = parse("--preset", "prior")
    assert o["resolution"] == "96x96" and o["samples"] == 8 and o["frames"] == 6 and o["hair_lod"] == 0.5
    assert o["cameras"] == PRESETS["prior"]["cameras"]
    o = parse("--preset", "prior", "--resolution", "128x128", "--frames", "3")
    assert o["resolution"] == "128x128" and o["frames"] == 3 and o["samples"] == 8


def test_prior_cameras_exist_and_are_ten_distinct():
    names = PRESETS["prior"]["cameras"].split(",")
    assert len(set(names)) == len(names) == 10
    assert set(names) <= {c.name for c in build_rig()}


def test_unknown_preset_is_a_user_error():
    with pytest.raises(UserInputError, match="unknown"):
        with_preset({"frames": None}, "huge")
