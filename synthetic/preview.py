"""A contact sheet of random heads from the head model (``python -m synthetic preview`` is a thin shell over
:func:`preview_sheet`).

Each identity (seed ``seed + i``) is drawn from the front and from a three-quarter view with
the pure-numpy renderer of :mod:`synthetic.head.render` (Lambert + Blinn-Phong, flat region
colours and a per-identity skin tone). With ``expressions`` a third view shows a random
expression. ``hair`` adds the same views with hair strands when ``synthetic.assets`` can grow
them (see :func:`grow_hair`); otherwise the sheet says "no hair" and carries on.

Writes ``<out>/heads_preview.png`` (8-bit sRGB, atomically).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import write_atomic
from .errors import UserInputError
from .progress import Progress

# linear albedo per fine region (face and lips are replaced by the identity's skin tone)
_REGION_RGB = {
    "face": (0.6, 0.4, 0.3), "lips": (0.5, 0.22, 0.2), "scalp": (0.6, 0.4, 0.3), "ears": (0.6, 0.4, 0.3),
    "neck": (0.6, 0.4, 0.3), "sclera": (0.85, 0.82, 0.78), "iris": (0.2, 0.3, 0.45), "pupil": (0.01, 0.01, 0.01),
    "cornea": (1.0, 1.0, 1.0), "mouth_bag": (0.3, 0.06, 0.06), "teeth": (0.85, 0.8, 0.68),
    "gums": (0.6, 0.2, 0.22), "tongue": (0.55, 0.17, 0.17),
}
_SKIN_TONES = np.array([(0.72, 0.50, 0.40), (0.62, 0.42, 0.32), (0.52, 0.33, 0.23), (0.40, 0.24, 0.15),
                        (0.27, 0.15, 0.09), (0.17, 0.09, 0.055)])
_IRIS = np.array([(0.18, 0.3, 0.48), (0.25, 0.35, 0.18), (0.28, 0.16, 0.07), (0.09, 0.05, 0.025)])


def _identity_colours(model, rng: np.random.Generator) -> np.ndarray:
    """Per-face linear albedo ``[F, 3]`` for one identity: a skin tone, lips a touch redder, an iris colour."""
    tone = _SKIN_TONES[rng.integers(len(_SKIN_TONES))] * rng.uniform(0.92, 1.08, 3)
    table = {k: np.array(v, float) for k, v in _REGION_RGB.items()}
    for k in ("face", "scalp", "ears", "neck"):
        table[k] = tone
    table["lips"] = tone * np.array([0.95, 0.62, 0.62])
    table["iris"] = _IRIS[rng.integers(len(_IRIS))]
    rgb = np.stack([table[n] for n in model.region_names])
    return rgb[model.face_regions]


def grow_hair(model, vertices: np.ndarray, seed: int):
    """Hair strands ``[N, P, 3]`` (m) and their linear RGB for a posed head, or ``(None, reason)``.

    The hook into ``synthetic.assets``: ``preview_hair(model, vertices, seed)`` returning
    ``(points [N, P, 3], rgb [3])`` when the package offers it, else :func:`_grow_with_assets`, which
    drives the asset package's hair growth directly. Any failure means a preview without hair.
    """
    try:
        from . import assets

        fn = getattr(assets, "preview_hair", None) or _grow_with_assets
    except ImportError:
        return None, "synthetic.assets is not available"
    try:
        points, rgb = fn(model, vertices, seed)
    except Exception as exc:  # hair is optional in a preview: report and draw the head alone
        return None, f"hair failed: {type(exc).__name__}: {exc}"
    return (np.asarray(points, float), np.asarray(rgb, float)), ""


def _grow_with_assets(model, vertices: np.ndarray, seed: int):
    """Grow preview hair with ``synthetic.assets`` (HeadSurface + sample_hair + grow_hair) on the skin."""
    from .assets.anatomy import Landmarks
    from .assets.hair import grow_hair
    from .assets.hair_styles import sample_hair
    from .assets.pigments import sample_hair_colour
    from .assets.surface import HeadSurface

    skin_faces = model.faces[model.face_mask("skin") & ~model.face_mask("ears")]
    used = np.unique(skin_faces)
    remap = np.full(model.n_vertices, -1)
    remap[used] = np.arange(len(used))
    a = model.anchors(vertices)
    marks = Landmarks(a["eye_left"], a["eye_right"], a["nose_tip"], a["mouth"], a["chin"])
    regions = {n: model.vertex_mask(n)[used].astype(float) for n in ("scalp", "face", "neck", "lips")}
    surface = HeadSurface(vertices[used], remap[skin_faces], regions, marks, neck_base=a["neck_base"])
    rng = np.random.default_rng([seed, 71])
    colour = sample_hair_colour(rng, int(rng.integers(1, 7)), float(rng.uniform(18, 70)))
    hair = sample_hair(rng, str(rng.choice(["female", "male"])), colour)
    strands = grow_hair(surface, hair, 4000, rng)
    return strands.points, np.asarray(colour.preview_rgb, float)


def _view(model, verts, face_rgb, yaw: float, size: int, hair=None) -> np.ndarray:
    from .head import render

    keep = model.face_regions != model.region_index("cornea")  # transparent in a real render
    normals = model.normals(vertices=verts)
    centre = model.anchors(verts)
    target = 0.5 * (centre["eye_left"] + centre["eye_right"]) * [1, 0, 1] + [0, 0.0, -0.025]
    cam = render.orbit_camera(yaw, 4.0, 1.2, target, int(size * 0.84), size, fov_deg=17.0)
    img, depth = render.shade(verts, model.faces[keep], normals, cam, face_albedo=face_rgb[keep], return_depth=True)
    if hair is not None:
        img = render.draw_strands(img, depth, hair[0], hair[1], cam)
    return render.to_uint8(img)


@dataclass
class PreviewSheet:
    """What :func:`preview_sheet` drew."""

    path: Path
    """``<out>/heads_preview.png``."""
    identities: int
    """Heads on the sheet (seeds ``seed`` .. ``seed + identities - 1``)."""
    fingerprint: str
    """The head model's fingerprint."""
    hair_note: str = ""
    """Why the sheet has no hair views: "" when it has them, "hair off" when not asked for, else the reason."""


def preview_sheet(out: str | Path, identities: int = 16, seed: int = 0, size: int = 240, columns: int | None = None,
                  expressions: bool = False, hair: str = "auto", head_model: str | Path | None = None,
                  progress: Progress | None = None) -> PreviewSheet:
    """Draw ``identities`` random heads into ``out/heads_preview.png`` (see the module docstring).

    Args:
        size: height of one view (px).
        columns: identities per row (default 4, or 2 when the sheet has hair views).
        hair: ``auto`` (hair views when ``synthetic.assets`` can grow hair), ``on`` (refuse without) or ``off``.
        head_model: head model ``.npz`` (default: the packaged or cached one).
    """
    from PIL import Image, ImageDraw

    from .head.model import HeadModel

    progress = progress or Progress("none")
    if identities < 1 or identities > 400:
        raise UserInputError(f"--identities must be between 1 and 400, got {identities}")
    if size < 64 or size > 2048:
        raise UserInputError(f"--size must be between 64 and 2048 pixels, got {size}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserInputError(f"--out {out}: exists and is not a folder")
    try:
        model = HeadModel.load(head_model)
    except (OSError, ValueError) as exc:
        raise UserInputError(f"cannot load the head model: {exc}") from None
    cells = []
    hair_note = "" if hair != "off" else "hair off"
    for i in progress.track(range(identities), stage="preview"):
        head_seed = seed + i
        params = model.sample(head_seed)
        rng = np.random.default_rng([head_seed, 1])
        rgb = _identity_colours(model, rng)
        verts = model.vertices(params.shape)
        views = [_view(model, verts, rgb, 0.0, size), _view(model, verts, rgb, 38.0, size)]
        if expressions:
            expr = model.sample_expression(rng, activity=0.15)
            views.append(_view(model, model.vertices(params.shape, expr), rgb, 20.0, size))
        if hair != "off":
            strands, why = grow_hair(model, verts, head_seed)
            if strands is not None:
                views += [_view(model, verts, rgb, yaw, size, strands) for yaw in (0.0, 38.0)]
            else:
                hair_note = why
                if hair == "on":
                    raise UserInputError(f"--hair on: {why}")
        cell = np.concatenate(views, axis=1)
        img = Image.fromarray(cell)
        ImageDraw.Draw(img).text((6, 4), f"seed {head_seed}", fill=(60, 60, 60))
        cells.append(np.asarray(img))
    wide = cells[0].shape[1] > 3 * cells[0].shape[0]
    cols = max(1, min(columns or (2 if wide else 4), len(cells)))
    rows = -(-len(cells) // cols)
    h, w = cells[0].shape[:2]
    sheet = np.full((rows * h, cols * w, 3), 255, np.uint8)
    for k, c in enumerate(cells):
        r, q = divmod(k, cols)
        sheet[r * h : (r + 1) * h, q * w : (q + 1) * w] = c
    path = out / "heads_preview.png"
    write_atomic(path, lambda p: Image.fromarray(sheet).save(p))
    return PreviewSheet(path, len(cells), model.fingerprint(), hair_note)
