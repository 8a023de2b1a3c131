"""A small head-shaped GEM for the add-on tests and screenshots (numpy; written with ``write_gem``).

Gaussians sit on a subsample of the head model's skin and eye vertices, flattened along the
surface normal (like trained splats), coloured from a synthetic identity's skin texture. Position
components are the head model's expressions restricted to those vertices and orthonormalised
(jaw_open, a smile, brows up, a blink, ...), so turning the sliders makes faces. Rotation turns the
discs about their normals, scale grows them, opacity fades them. One position component gets a
large std on purpose (3 std > 10) to exercise the shape-key unit fallback.
"""

from __future__ import annotations

import numpy as np

from synthetic.formats.gem import SH_C0, GemModality, GemModel

EXPRESSIONS = ("jaw_open", ("mouth_smile_left", "mouth_smile_right"), "brow_inner_up",
               ("eye_blink_left", "eye_blink_right"), ("cheek_puff_left", "cheek_puff_right"), "mouth_pucker")
BIG_STD_COMPONENT = 6
"""Index of the extra position component with std 5 (slider unit = std)."""


def _orthonormal(rows: np.ndarray) -> np.ndarray:
    """Gram-Schmidt (QR) of the rows, keeping each row's direction and order."""
    q, r = np.linalg.qr(rows.T)
    return (q * np.sign(np.diag(r))).T


def _quat_from_z(normals: np.ndarray) -> np.ndarray:
    """Unit quaternions (w, x, y, z) turning +Z onto each normal."""
    z = np.array([0.0, 0.0, 1.0])
    axis = np.cross(z, normals)
    s = np.linalg.norm(axis, axis=1, keepdims=True)
    c = normals @ z
    angle = np.arctan2(s[:, 0], c)
    axis = np.where(s > 1e-9, axis / np.maximum(s, 1e-12), np.array([1.0, 0.0, 0.0]))
    return np.concatenate([np.cos(angle / 2)[:, None], axis * np.sin(angle / 2)[:, None]], axis=1)


def _neighbour_spacing(points: np.ndarray, k: int = 4, chunk: int = 1024) -> np.ndarray:
    """Distance of each point to its k-th nearest neighbour (m), in chunks to bound memory."""
    out = np.empty(len(points))
    sq = np.sum(points**2, axis=1)
    for start in range(0, len(points), chunk):
        p = points[start : start + chunk]
        d2 = np.maximum(sq[start : start + chunk, None] + sq[None, :] - 2 * p @ points.T, 0.0)
        out[start : start + chunk] = np.sqrt(np.partition(d2, k, axis=1)[:, k])
    return np.maximum(out, 1e-4)


def head_gem(n: int = 3000, seed: int = 0, texture_size: int = 256) -> GemModel:
    from synthetic.assets import IdentityConfig, IdentitySampler
    from synthetic.head import HeadModel

    model = HeadModel.load()
    rng = np.random.default_rng(seed)
    mask = np.zeros(model.n_vertices, bool)
    for region in ("face", "scalp", "ears", "lips", "sclera", "iris", "pupil", "mouth_bag", "teeth", "gums", "tongue"):
        mask |= model.vertex_mask(region)
    skin = np.flatnonzero(mask)
    ids = np.sort(rng.choice(skin, size=min(n, len(skin)), replace=False))
    n = len(ids)
    verts = model.template[ids]
    normals = model.normals()[ids]

    # colour: the identity's albedo at each vertex's UV (first corner that uses the vertex)
    sampler = IdentitySampler(model, IdentityConfig(quality="preview", texture_size=texture_size))
    albedo = sampler.build(sampler.sample(seed), parts=("textures",)).textures.albedo_srgb8() / 255.0
    corner_uv = np.zeros((model.n_vertices, 2))
    corner_uv[model.faces.ravel()[::-1]] = model.uv_coords[model.uv_faces.ravel()[::-1]]
    uv = corner_uv[ids]
    px = np.clip((uv[:, 0] * texture_size).astype(int), 0, texture_size - 1)
    py = np.clip(((1.0 - uv[:, 1]) * texture_size).astype(int), 0, texture_size - 1)  # row 0 = top (v = 1)
    rgb = albedo[py, px]
    sh = np.zeros((n, 4, 3))
    sh[:, 0] = (rgb - 0.5) / SH_C0
    sh[:, 1:] = rng.normal(0.0, 0.02, (n, 3, 3))

    # position: full expression displacements (jaw rotation included) on the chosen vertices, orthonormalised
    rows, stds = [], []
    for e in EXPRESSIONS:
        names = (e,) if isinstance(e, str) else e
        d = model.vertices(None, model.expression_vector(**{x: 1.0 for x in names}))[ids] - verts  # with the jaw turn
        rows.append(d.ravel())
        stds.append(0.6 * float(np.linalg.norm(d)))
    rows.append(rng.standard_normal(n * 3))  # noise component with a big std (3 std > 10)
    stds.append(5.0)
    position = GemModality(verts.ravel(), _orthonormal(np.array(rows)), np.array(stds))

    # rotation: discs on the surface; components turn them about their normals
    q = _quat_from_z(normals)
    twist = np.concatenate([np.zeros((n, 1)), normals], axis=1)  # dq = (0, n) * half angle, about the normal
    rot_rows = [twist.ravel(), rng.standard_normal(n * 4), rng.standard_normal(n * 4)]
    rot_basis = _orthonormal(np.array(rot_rows))
    rotation = GemModality(q.ravel(), rot_basis, np.array([0.6 * np.sqrt(n), 3.0, 2.0]) * 0.3)

    local = 0.6 * _neighbour_spacing(verts)  # splat size follows the local point density
    log_s = np.log(np.stack([local, local, 0.25 * local], axis=1))
    scale_rows = [np.ones(n * 3), rng.standard_normal(n * 3)]
    scale = GemModality(log_s.ravel(), _orthonormal(np.array(scale_rows)), np.array([0.25 * np.sqrt(n * 3), 4.0]))

    opacity_rows = [np.ones(n), rng.standard_normal(n)]
    opacity = GemModality(np.full(n, 2.5), _orthonormal(np.array(opacity_rows)), np.array([np.sqrt(n), 3.0]))
    meta = {"source_avatar": "synthetic head model (test fixture)", "psnr": None,
            "expression_names": ["jaw_open", "smile", "brow_inner_up", "blink", "cheek_puff", "mouth_pucker",
                                 "noise"], "created_by": "tests/blender_addon/_addon_gem_fixture.py"}  # fmt: skip
    f32 = np.float32
    mods = [GemModality(m.mean.astype(f32), m.basis.astype(f32), m.std.astype(f32))
            for m in (position, rotation, scale, opacity)]
    return GemModel(*mods, colour_sh=sh.astype(f32), metadata=meta)


def random_sequence(gem: GemModel, counts: dict[str, int], frames: int, seed: int = 11) -> dict[str, np.ndarray]:
    """A coefficient sequence ``{modality: [frames, k]}`` (normal, the GEM's stds) for ``counts`` ``{modality: k}``."""
    rng = np.random.default_rng(seed)
    return {m: rng.normal(size=(frames, k)) * gem.modality(m).std[:k] for m, k in counts.items()}
