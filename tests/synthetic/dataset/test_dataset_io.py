"""Dataset writer and reader: round trip, version stamps, refusal to overwrite, resume, clear errors."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from _tiny_dataset import TINY_RIG, write_tiny_dataset

from synthetic import __version__
from synthetic.camera_convert import opencv_w2c_to_opengl_c2w
from synthetic.dataset import (
    Dataset,
    DatasetSettings,
    DatasetWriter,
    IdentityExistsError,
    expected_identity_files,
    identity_seed,
    layout,
)
from synthetic.dataset.files import read_json
from synthetic.errors import UserInputError
from synthetic.rig import build_rig


def test_round_trip(tiny_dataset, tiny_head):
    ds = Dataset(tiny_dataset)
    assert ds.identities == [0] and ds.incomplete == [] and len(ds) == 1
    assert ds.head_model_fingerprint == tiny_head.fingerprint()
    assert ds.rig == TINY_RIG
    ident = ds.identity(0)
    assert ident.seed == identity_seed(7, 0) and ident.n_frames == 2
    assert ident.shape.shape == (tiny_head.n_shape,)
    assert ident.params["hair"] == "none"
    cams = ident.cameras
    rng = np.random.default_rng(ident.seed)  # the fixture draws the shape, then the rig jitter
    np.testing.assert_allclose(ident.shape, tiny_head.sample_shape(rng))
    expected = build_rig(TINY_RIG, rng)
    assert cams.names == tuple(c.name for c in expected) and cams.groups[0] == "front"
    np.testing.assert_allclose(cams.w2c, [c.w2c for c in expected])
    np.testing.assert_allclose(cams.K, [c.K for c in expected])
    frame = ident.frame(1)
    np.testing.assert_allclose(frame.expression, [0.3, 0.5])
    assert frame.pose.shape == (5, 3) and frame.index == 1
    img = ident.image(1, "cam_03")
    assert img.shape == (48, 64, 4) and img.dtype == np.float32 and 0 < img[..., 3].mean() < 1
    assert ident.images(0).shape == (28, 48, 64, 4)
    assert ident.texture("albedo.png").shape == (16, 16, 3)
    assert ident.texture("backprojected_mask.png").shape == (16, 16)


def test_every_json_is_stamped_and_transforms_follow_nerfstudio(tiny_dataset):
    for path in tiny_dataset.rglob("*.json"):
        data = json.loads(path.read_text())
        assert (data["format"], data["version"], data["synthetic_version"]) == ("synthheads-dataset", 1, __version__)
    tr = json.loads((tiny_dataset / "id_00000" / "transforms.json").read_text())
    cams = Dataset(tiny_dataset).identity(0).cameras
    assert tr["camera_model"] == "OPENCV" and len(tr["frames"]) == 2 * 28
    entry = tr["frames"][28 + 5]
    assert entry["file_path"] == "frame_0001/cam_05.png"
    assert (tiny_dataset / "id_00000" / entry["file_path"]).is_file()
    np.testing.assert_allclose(entry["transform_matrix"], opencv_w2c_to_opengl_c2w(cams.w2c[5]))
    assert (entry["fl_x"], entry["cx"], entry["w"], entry["h"]) == (cams.K[5, 0, 0], 32.0, 64, 48)


def test_expected_files_and_layout_names():
    files = expected_identity_files(2, ["cam_00", "cam_01"], passes=("depth",))
    assert files[:3] == ["identity.json", "cameras.json", "transforms.json"]
    assert "textures/backprojected_mask.png" in files
    assert "frame_0001/cam_01.png" in files and "frame_0001/cam_01_depth.exr" in files
    assert "done.json" not in files
    assert len(files) == 3 + 3 + 2 * (1 + 2 * 2)
    assert layout.identity_dir(12) == "id_00012" and layout.parse_identity_dir("id_00012") == 12
    assert layout.parse_identity_dir("id_12") is None
    with pytest.raises(ValueError):
        layout.pass_file("cam_00", "albedo")


def test_refuses_to_overwrite_a_complete_identity(tmp_path, tiny_head):
    ds = write_tiny_dataset(tmp_path / "d", tiny_head, n_frames=1)
    with pytest.raises(IdentityExistsError, match="complete"):
        ds.identity(0)
    assert ds.pending([0]) == []
    w = ds.identity(0, overwrite=True)  # deletes the old identity, done.json first
    assert not (tmp_path / "d" / "id_00000").exists()
    assert ds.pending([0]) == [0]
    assert w.seed == identity_seed(7, 0)


def test_finish_needs_every_expected_file_and_incomplete_identities_are_not_listed(tmp_path, tiny_head):
    ds = write_tiny_dataset(tmp_path / "d", tiny_head, n_frames=1, complete=False)
    assert Dataset(tmp_path / "d").identities == [] and Dataset(tmp_path / "d").incomplete == [0]
    with pytest.raises(UserInputError, match="incomplete"):
        Dataset(tmp_path / "d").identity(0)
    w = ds.identity(0)  # incomplete: may be written over (resume)
    (tmp_path / "d" / "id_00000" / "frame_0000" / "cam_07.png").unlink()
    with pytest.raises(UserInputError, match="cam_07.png"):
        w.finish()
    assert not (tmp_path / "d" / "id_00000" / "done.json").exists()


def test_dataset_json_must_match_when_reused(tmp_path, tiny_head):
    s = DatasetSettings(n_identities=3, frames_per_identity=1, seed_base=1, head_model_fingerprint="abc",
                        rig=TINY_RIG)
    DatasetWriter(tmp_path, s)
    DatasetWriter(tmp_path, s)  # another shard with the same settings: fine
    with pytest.raises(UserInputError, match="seed_base"):
        DatasetWriter(tmp_path, DatasetSettings(3, 1, 2, "abc", rig=TINY_RIG))
    with pytest.raises(UserInputError, match="outside"):
        DatasetWriter(tmp_path, s).identity(3)


def test_identity_seeds_are_stable_and_distinct():
    seeds = [identity_seed(11, i) for i in range(100)]
    assert seeds == [identity_seed(11, i) for i in range(100)]
    assert len(set(seeds)) == 100 and all(0 <= s < 2**63 for s in seeds)
    assert identity_seed(12, 0) != seeds[0]


def _copy(src, tmp_path):
    dst = tmp_path / "copy"
    shutil.copytree(src, dst)
    return dst, dst / "id_00000"


def test_reader_errors_name_the_file(tiny_dataset, tmp_path):
    root, ident = _copy(tiny_dataset, tmp_path)
    (ident / "frame_0000" / "frame.json").write_text('{"format": "synthheads-dataset", "vers')
    with pytest.raises(UserInputError, match=r"frame_0000/frame.json: corrupt JSON"):
        Dataset(root).identity(0).frame(0)
    (ident / "frame_0001" / "cam_02.png").unlink()
    with pytest.raises(UserInputError, match=r"cam_02.png: image is missing"):
        Dataset(root).identity(0).image(1, "cam_02")
    (ident / "frame_0001" / "cam_03.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(UserInputError, match=r"cam_03.png: cannot read image"):
        Dataset(root).identity(0).image(1, 3)
    data = json.loads((root / "dataset.json").read_text())
    data["version"] = 2
    (root / "dataset.json").write_text(json.dumps(data))
    with pytest.raises(UserInputError, match=r"dataset.json: format version 2"):
        Dataset(root)
    with pytest.raises(UserInputError, match="not found"):
        Dataset(tmp_path / "nowhere")


def test_reader_rejects_an_image_of_the_wrong_size(tiny_dataset, tmp_path):
    from synthetic.dataset import write_png

    root, ident = _copy(tiny_dataset, tmp_path)
    write_png(ident / "frame_0000" / "cam_01.png", np.zeros((10, 12, 4)))
    with pytest.raises(UserInputError, match=r"cam_01.png: image is 12x10, cameras.json says 64x48"):
        Dataset(root).identity(0).image(0, "cam_01")


def test_a_dataset_grows_and_keeps_its_recorded_model_fingerprint(tmp_path):
    """More identities with otherwise equal settings extend dataset.json; fewer, or other settings, are refused.
    A fingerprint recorded in its legacy form counts as the same model and stays as recorded."""
    from synthetic.head.storage import LEGACY_FINGERPRINTS

    legacy, current = next(iter(LEGACY_FINGERPRINTS.items()))
    DatasetWriter(tmp_path, DatasetSettings(3, 1, 2, legacy, rig=TINY_RIG))
    same = DatasetWriter(tmp_path, DatasetSettings(3, 1, 2, current, rig=TINY_RIG))
    assert same.settings.head_model_fingerprint == legacy
    grown = DatasetWriter(tmp_path, DatasetSettings(5, 1, 2, current, rig=TINY_RIG))
    manifest = read_json(tmp_path / "dataset.json", "dataset")
    assert manifest["n_identities"] == 5 and manifest["head_model_fingerprint"] == legacy
    assert grown.settings.n_identities == 5 and grown.identity(4).index == 4
    with pytest.raises(UserInputError, match="n_identities"):
        DatasetWriter(tmp_path, DatasetSettings(4, 1, 2, current, rig=TINY_RIG))
    with pytest.raises(UserInputError, match="frames_per_identity, n_identities"):
        DatasetWriter(tmp_path, DatasetSettings(6, 2, 2, current, rig=TINY_RIG))
    with pytest.raises(UserInputError, match="head_model_fingerprint"):
        DatasetWriter(tmp_path, DatasetSettings(5, 1, 2, "abc", rig=TINY_RIG))
    assert read_json(tmp_path / "dataset.json", "dataset")["n_identities"] == 5
