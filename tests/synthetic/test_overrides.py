"""The one ``--set`` parser (``synthetic.overrides``): typed, nested, and refusing what does not convert."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field

import pytest

from backend.cli import main as backend_main
from backend.invert.config import InvertConfig
from backend.prior.config import load_config
from synthetic.errors import UserInputError
from synthetic.overrides import apply_overrides


@dataclass
class Inner:
    steps: int = 10
    rate: float = 0.5
    on: bool = True
    name: str = "a"
    sizes: list[int] = field(default_factory=lambda: [1, 2])
    cams: list[str] = field(default_factory=lambda: ["cam_00"])


@dataclass
class Outer:
    seed: int = 0
    inner: Inner = field(default_factory=Inner)


def test_values_take_the_field_type():
    cfg = apply_overrides(Outer(), ["seed=3", "inner.steps=1e3", "inner.rate=2", "inner.on=no", "inner.name=2.7",
                                    "inner.sizes=[4, 5]", "inner.cams=cam_01,cam_02"])  # fmt: skip
    assert cfg == Outer(3, Inner(1000, 2.0, False, "2.7", [4, 5], ["cam_01", "cam_02"]))
    for text, value in (("YES", True), ("on", True), ("1", True), ("False", False), ("off", False), ("0", False)):
        assert apply_overrides(Outer(), [f"inner.on={text}"]).inner.on is value


@pytest.mark.parametrize(("item", "words"), [
    ("seed=2.7", "'2.7' is not a whole number"),
    ("inner.on=maybe", "'maybe' is not a yes/no value"),
    ("inner.rate=fast", "'fast' is not a finite number"),
    ("inner.rate=nan", "'nan' is not a finite number"),
    ("inner.sizes=[1, 2.5]", "'2.5' is not a whole number"),
    ("inner.sizes=[1", "is not a JSON list"),
    ("inner.nope=1", "KEY one of inner.cams, inner.name"),
    ("nope=1", "KEY one of inner, seed"),
    ("seed", "expected KEY=VALUE"),
    ("inner=1", "inner is a section"),
])  # fmt: skip
def test_refusals_are_one_line(item, words):
    with pytest.raises(UserInputError) as exc:
        apply_overrides(Outer(), [item])
    assert words in str(exc.value) and "\n" not in str(exc.value)


def test_inversion_and_prior_share_the_parser():
    assert InvertConfig.load(None, ["stage2_min_steps=40", "lr_stage1=1e-4"]).stage2_min_steps == 40
    with pytest.raises(UserInputError, match="'2.7' is not a whole number"):
        InvertConfig.load(None, ["stage2_min_steps=2.7"])  # was silently 2
    with pytest.raises(UserInputError, match="'yes' is not a finite number"):
        InvertConfig.load(None, ["pivot=yes"])
    cfg = load_config("tiny", ["model.vq=false", "model.feat_channels=32", "optim.betas=[0.8, 0.9]"])
    assert (cfg.model.vq, cfg.model.feat_channels, cfg.optim.betas) == (False, 32, [0.8, 0.9])
    with pytest.raises(UserInputError, match="'2.7' is not a whole number"):
        load_config("tiny", ["model.feat_channels=2.7"])


def test_command_line_refuses_with_exit_2(tmp_path, capsys):
    (tmp_path / "a.png").write_bytes(b"")
    rc = backend_main(["invert", "--prior", str(tmp_path), "--images", str(tmp_path / "a.png"), "--out",
                       str(tmp_path / "x.avatar.pt"), "--set", "stage2_min_steps=2.7", "--progress", "none"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and err == ["python -m backend invert: error: --set stage2_min_steps: '2.7' is not a whole number"]


def test_presets_and_json_files_then_overrides(tmp_path):
    from synthetic.overrides import resolve_config

    presets = {"fast": {"seed": 1, "inner": {"steps": 2}}}
    assert resolve_config(Outer(), presets, "fast", ["inner.rate=1"]) == Outer(1, Inner(2, 1.0))
    (tmp_path / "cfg.json").write_text('{"inner": {"sizes": [3], "rate": 4}}')
    assert resolve_config(Outer(), presets, tmp_path / "cfg.json") == Outer(0, Inner(rate=4.0, sizes=[3]))
    for data, words in (('{"inner": {"steps": 2.5}}', "cfg.json.inner.steps: expected int, got 2.5"),
                        ('{"inner": {"nope": 1}}', "cfg.json.inner: unknown key(s) ['nope']"),
                        ('{"inner": 3}', "cfg.json.inner: expected an object, got int"), ("{", "not valid JSON")):
        (tmp_path / "cfg.json").write_text(data)
        with pytest.raises(UserInputError, match=re.escape(words)):
            resolve_config(Outer(), presets, tmp_path / "cfg.json")
    with pytest.raises(UserInputError, match=r"--config slow: not a preset \(fast\) nor a JSON file"):
        resolve_config(Outer(), presets, "slow")


def test_inversion_and_gem_presets():
    from backend.cli import distill_gem
    from backend.gem.make import GemConfig

    assert InvertConfig.load("eval").stage2_min_steps == 40 and InvertConfig.load().stage2_min_steps == 150
    assert (GemConfig.load("quick").refine.steps, GemConfig.load("gpu").refine.steps, GemConfig.load().refine.steps) \
        == (60, 300, 200)
    parser = argparse.ArgumentParser()
    distill_gem.add_arguments(parser)
    args = parser.parse_args(["--avatar", "mesh", "--out", "x.gem", "--config", "quick", "--components", "12",
                              "--seed", "3", "--resolution", "64x48", "--set", "refine.steps=7"])
    cfg = distill_gem.config_from_args(args)
    assert (cfg.distill.components, cfg.distill.seed, cfg.refine.seed, cfg.refine.steps) == (12, 3, 3, 7)
    assert (cfg.refine.width, cfg.refine.height, cfg.threads) == (64, 48, 1)
