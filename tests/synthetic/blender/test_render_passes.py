"""`python -m synthetic render --passes depth,normal,seg`: the EXR passes hold what the dataset format
says (depth in m along the optical axis, world unit normals, part indices), agree with the PNG's
alpha, leave the PNG unchanged, and `validate` expects them."""

import json
import shutil

import numpy as np
import pytest
from _exr import read_exr
from _cli import synthetic_cli

FRONT, OTHERS = "cam_02", ["cam_09", "cam_20"]  # cam_02: yaw 0 (straight in front, 15 deg below)
SMALL = ["--identities", 1, "--frames", 1, "--resolution", "96x64", "--samples", "4", "--texture-size", "128",
         "--hair-quality", "preview", "--device", "cpu", "--cameras", ",".join([FRONT, *OTHERS])]  # fmt: skip


@pytest.fixture(scope="module")
def with_passes(tmp_path_factory):
    out = tmp_path_factory.mktemp("passes") / "data"
    synthetic_cli("render", "--out", out, *SMALL, "--passes", "seg,depth,normal")
    return out


def _frame(root, cam):
    from synthetic.dataset import Dataset

    ident = Dataset(root).identity(0)
    folder = root / "id_00000" / "frame_0000"
    depth = read_exr(folder / f"{cam}_depth.exr")
    normal = read_exr(folder / f"{cam}_normal.exr")
    seg = read_exr(folder / f"{cam}_seg.exr")
    assert set(depth) == {"V"} and set(seg) == {"V"} and set(normal) == {"R", "G", "B"}
    assert all(a.dtype == np.float32 for d in (depth, normal, seg) for a in d.values())
    k = ident.cameras.names.index(cam)
    return (ident.image(0, cam), depth["V"], np.stack([normal["R"], normal["G"], normal["B"]], -1), seg["V"],
            ident.cameras.K[k], ident.cameras.w2c[k])  # fmt: skip


def _rays(K, w2c, height, width):
    """World-space unit ray directions ``[H, W, 3]`` through the pixel centres, and the camera centre."""
    v, u = np.mgrid[0:height, 0:width] + 0.5
    d_cam = np.stack([u, v, np.ones_like(u)], -1) @ np.linalg.inv(K).T
    d = d_cam @ w2c[:3, :3]  # R^T d for every pixel
    centre = -w2c[:3, :3].T @ w2c[:3, 3]
    return d / np.linalg.norm(d, axis=-1, keepdims=True), centre, d_cam[..., 2] / np.linalg.norm(d_cam, axis=-1)


def test_dataset_lists_the_passes_and_validates(with_passes):
    manifest = json.loads((with_passes / "dataset.json").read_text())
    assert manifest["passes"] == ["depth", "normal", "seg"]  # canonical order, whatever the command line said
    proc = synthetic_cli("validate", with_passes)
    assert "valid, 1 complete identities" in proc.stdout
    params = json.loads((with_passes / "id_00000" / "identity.json").read_text())
    assert params["seg_labels"]["1"] == "skin" and params["seg_labels"]["0"] == "background"
    leftovers = [p.name for p in (with_passes / "id_00000" / "frame_0000").iterdir() if p.name.startswith(".")]
    assert not leftovers, f"temp files left behind: {leftovers}"


@pytest.mark.parametrize("cam", [FRONT, *OTHERS])
def test_passes_agree_with_the_alpha_mask(with_passes, cam):
    rgba, depth, normal, seg, K, w2c = _frame(with_passes, cam)
    h, w = depth.shape
    assert rgba.shape[:2] == (h, w) == (64, 96) and normal.shape == (h, w, 3)
    alpha = rgba[..., 3]
    background, head = alpha == 0, alpha > 0.5
    # background is marked: depth 0, normal 0, seg 0 wherever no sample hit anything
    assert np.all(depth[background] == 0) and np.all(normal[background] == 0) and np.all(seg[background] == 0)
    # seg: integer part indices, labelled on (nearly) every solid head pixel; edge pixels may be labelled
    # by a first sample that missed (first-sample passes are not anti-aliased)
    assert np.array_equal(seg, np.round(seg)) and seg.min() >= 0 and seg.max() <= 6
    assert (seg[head] > 0).mean() > 0.95
    labels = set(np.unique(seg[head]).astype(int))
    assert {1, 2} <= labels, f"{cam}: expected skin and hair labels on the head, got {labels}"
    # depth: camera-space z in metres; the rig puts the head centre 1 m away (+-5 % jitter)
    fg = seg > 0
    assert np.array_equal(fg, depth > 0), "depth and seg come from the same first sample"
    assert 0.8 < depth[fg].min() and depth[fg].max() < 1.2, (depth[fg].min(), depth[fg].max())
    # ... and the points it puts in space lie on a head around the rig's target
    rays, centre, cos_axis = _rays(K, w2c, h, w)
    points = centre + rays * (depth / cos_axis)[..., None]  # z along the axis -> distance along the ray
    from synthetic.rig import DEFAULT_TARGET

    radius = np.linalg.norm(points[fg] - np.asarray(DEFAULT_TARGET), axis=-1)
    assert np.percentile(radius, 95) < 0.2, "depth does not put the surface on the head"
    # normals: unit length wherever anything was hit
    length = np.linalg.norm(normal, axis=-1)
    assert np.abs(length[alpha > 0] - 1).max() < 1e-3


def test_front_camera_sees_the_face_with_normals_towards_it(with_passes):
    rgba, depth, normal, seg, K, w2c = _frame(with_passes, FRONT)
    rays, _, _ = _rays(K, w2c, *depth.shape)
    skin = seg == 1
    assert skin.sum() > 200, "the front camera should see a face"
    facing = np.einsum("hwc,hwc->hw", normal, rays)[skin]
    assert (facing < 0).mean() > 0.95, "skin normals seen from the front must point back at the camera"
    # world frame: the face looks along -Y, so the mean skin normal points to -Y
    assert normal[skin].mean(0)[1] < -0.5


def test_png_is_unchanged_by_the_passes(with_passes, tmp_path):
    plain = tmp_path / "plain"
    synthetic_cli("render", "--out", plain, *SMALL)
    from synthetic.dataset import Dataset

    a, b = Dataset(with_passes).identity(0), Dataset(plain).identity(0)
    for cam in [FRONT, *OTHERS]:
        assert np.array_equal(a.image(0, cam), b.image(0, cam)), cam
    assert not list((plain / "id_00000" / "frame_0000").glob("*.exr"))


def test_validate_reports_a_missing_pass(with_passes, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(with_passes, broken)
    (broken / "id_00000" / "frame_0000" / f"{OTHERS[0]}_normal.exr").unlink()
    proc = synthetic_cli("validate", broken, check=False)
    assert proc.returncode == 2 and f"{OTHERS[0]}_normal.exr" in proc.stdout


def test_unknown_pass_is_a_usage_error(tmp_path):
    proc = synthetic_cli("render", "--identities", 1, "--out", tmp_path / "x", "--passes", "depth,albedo", check=False)
    assert proc.returncode == 2 and "albedo" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("cam", [FRONT, OTHERS[0]])
def test_landmarks_agree_with_cycles_depth(with_passes, cam):
    """landmarks.json against what Cycles rendered: a visible landmark's pixel shows the face at the
    landmark's own depth; a landmark flagged as hidden by the head has nearer head in front of it."""
    from synthetic.dataset import Dataset
    from synthetic.rig import project_points

    rgba, depth, normal, seg, K, w2c = _frame(with_passes, cam)
    view = Dataset(with_passes).identity(0).landmarks(0)
    xy, visible = view.camera(cam)
    head = Dataset(with_passes)
    assert xy.shape == (len(view.mediapipe), 2) and view.ibug68.shape == (68,)
    # the landmark depths: from the head model, as validate does
    from synthetic.head import HeadModel

    model = HeadModel.load()
    ident, frame = head.identity(0), head.identity(0).frame(0)
    verts = model.vertices(ident.shape, frame.expression, frame.pose)
    ref_xy, z = project_points(model.landmarks(verts), K, w2c)
    assert np.abs(ref_xy - xy).max() < 0.05
    h, w = depth.shape
    inside = (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
    px = np.floor(xy[inside]).astype(int)
    d, s = depth[px[:, 1], px[:, 0]], seg[px[:, 1], px[:, 0]]
    on_face = np.isin(np.round(s), [1, 4, 5])  # skin, eyes, mouth: no hair or beard in front
    vis, hid = visible[inside] & on_face, ~visible[inside] & on_face
    assert vis.sum() >= 20, f"{cam}: only {vis.sum()} visible landmarks on the face"
    err = np.abs(d[vis] - z[inside][vis])
    assert np.median(err) < 0.004 and np.mean(err < 0.012) > 0.9, (cam, np.median(err), np.mean(err < 0.012))
    if hid.sum() >= 5:  # the side camera: the far cheek is hidden behind the nose and face
        assert np.mean(d[hid] < z[inside][hid] - 0.003) > 0.8, (cam, d[hid] - z[inside][hid])
