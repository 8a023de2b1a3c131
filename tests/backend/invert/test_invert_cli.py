"""Command lines of the inversion: exit codes 0/2, render outputs, and malformed arguments."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from backend.avatar import Avatar, save_avatar
from backend.cli import main
from backend.invert.run import beside, output_paths, parse_views
from synthetic.errors import UserInputError
from tests.backend.avatar.avatar_fixture import flat_prepared


@pytest.fixture()
def avatar_file(head_model, prior, tmp_path):
    avatar = Avatar.from_prior(prior, flat_prepared(head_model, (0.7, 0.5, 0.4)), head_model)
    return save_avatar(avatar, tmp_path / "a.pt")


def test_render_orbit_and_expressions(avatar_file, tmp_path, capsys, head_model):
    out = tmp_path / "orbit"
    rc = main(["render", "--progress", "json", "--avatar", str(avatar_file), "--orbit", "3", "--width", "64",
               "--height", "48", "--out", str(out), "--device", "cpu"])
    assert rc == 0
    assert sorted(p.name for p in out.glob("frame_*.png")) == ["frame_0000.png", "frame_0001.png", "frame_0002.png"]
    img = np.asarray(Image.open(out / "frame_0001.png"))
    assert img.shape == (48, 64, 3) and img.std() > 10  # not blank
    assert (out / "video.mp4").stat().st_size > 0 or (out / "video.gif").is_file()
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[-1]["event"] == "done" and events[-1]["frames"] == 3
    seq = tmp_path / "seq.npy"
    np.save(seq, np.zeros((2, head_model.n_expression), np.float32))
    rc = main(["render", "--progress", "none", "--avatar", str(avatar_file), "--expressions", str(seq), "--width",
               "64", "--height", "48", "--out", str(tmp_path / "seq"), "--device", "cpu"])
    assert rc == 0 and len(list((tmp_path / "seq").glob("frame_*.png"))) == 2


def test_bad_inputs_exit_2(avatar_file, tmp_path, capsys):
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(avatar_file.read_bytes()[:1000])
    assert main(["render", "--avatar", str(corrupt), "--orbit", "2", "--out", str(tmp_path / "o")]) == 2
    assert "corrupt.pt" in capsys.readouterr().err
    bad_seq = tmp_path / "bad.npy"
    np.save(bad_seq, np.zeros((2, 3)))
    assert main(["render", "--avatar", str(avatar_file), "--expressions", str(bad_seq), "--out",
                 str(tmp_path / "o")]) == 2
    assert "bad.npy" in capsys.readouterr().err
    assert main(["invert", "--prior", str(tmp_path / "nope"), "--data", str(tmp_path), "--identity", "0",
                 "--out", str(tmp_path / "x.pt")]) == 2
    assert main(["eval-inversion", "--prior", str(tmp_path / "nope"), "--data", str(tmp_path), "--k", "0"]) == 2
    assert main(["invert", "--prior", str(tmp_path), "--out", str(tmp_path / "x.pt"), "--set", "bogus=1"]) == 2


def test_parse_views_and_output_paths(tmp_path):
    assert parse_views("0:cam_00, 5:cam_06") == [(0, "cam_00"), (5, "cam_06")]
    with pytest.raises(UserInputError, match="frame:camera"):
        parse_views("cam_00")
    preview, log = output_paths(tmp_path / "me.avatar.pt")
    assert preview.name == "me.preview.png" and log.name == "me.log.json"
    assert beside(tmp_path / "you.pt", "fit.png").name == "you.fit.png"


def test_photo_masks_named_alike_in_cli_and_prepare(tmp_path, capsys, head_model):
    from backend.cli.invert import PHOTO_MASK_NAMES
    from backend.invert.run import prepare_inputs
    from backend.photos.prepare import PHOTO_MASKS

    assert PHOTO_MASK_NAMES == tuple(PHOTO_MASKS)
    photo = tmp_path / "me.png"
    Image.new("RGB", (8, 8)).save(photo)
    with pytest.raises(UserInputError, match="unknown photo mask 'body'"):
        prepare_inputs(head_model, [photo], photo_mask="body")
    with pytest.raises(SystemExit):  # argparse refuses it before anything runs
        main(["invert", "--images", str(photo), "--out", str(tmp_path / "x.pt"), "--photo-mask", "body"])
    assert "--photo-mask" in capsys.readouterr().err
