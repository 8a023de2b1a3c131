"""Assemble the neutral template: skin + eyes + mouth interior + ears, UV atlas, regions (build step).

Frame and units: metres, Blender world axes (X = subject's left, face along -Y, Z up), origin at
the midpoint of the ear canals (see :mod:`synthetic.head.build.shape`).

The template is built, never hand-edited: :func:`build_template` is deterministic (fixed seeds)
and needs scipy, so it runs only in the offline build (``python -m synthetic.head.build``); the
add-on reads the stored arrays through :class:`synthetic.head.model.HeadModel`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .regions import REGION_NAMES


@dataclass
class Template:
    """The neutral mesh and its semantic indices (all positions in metres, model frame)."""

    vertices: np.ndarray  # [V, 3]
    faces: np.ndarray  # [F, 3]
    face_regions: np.ndarray  # [F] index into REGION_NAMES
    uv_coords: np.ndarray  # [T, 2], (0, 0) bottom-left
    uv_faces: np.ndarray  # [F, 3]
    parts: dict[str, np.ndarray]  # part name -> vertex ids
    rings: dict[str, tuple[np.ndarray, list[str], np.ndarray]]  # patch -> ([K, M] ids, roles, t)
    neck_ring: np.ndarray
    symmetry_map: np.ndarray  # [V] index of the mirror vertex (x -> -x)
    extra: dict = field(default_factory=dict)

    def ring(self, patch: str, role: str) -> np.ndarray:
        ids, roles, _ = self.rings[patch]
        return ids[roles.index(role)]


def skin_zone(points: np.ndarray) -> np.ndarray:
    """Zone of skin points ``[N, 3]``: 0 face, 1 scalp, 2 neck (hairline and jaw line of the template)."""
    d = points - np.array([0.0, 0.005, 0.0])
    azim = np.degrees(np.arctan2(d[:, 0], -d[:, 1]))
    elev = np.degrees(np.arctan2(d[:, 2], np.hypot(d[:, 0], d[:, 1])))
    y, z = points[:, 1], points[:, 2]
    neck_z = np.interp(y, [-0.12, -0.08, -0.05, -0.02, 0.02, 0.06, 0.12],
                       [-0.104, -0.104, -0.10, -0.085, -0.06, -0.05, -0.04])
    hair = 40.0 - 22.0 * (np.abs(azim) / 80.0) ** 2.5
    zone = np.where((np.abs(azim) < 80.0) & (elev < hair), 0, 1)
    side_burn = (np.abs(azim) > 62.0) & (elev > 5.0)  # temples in front of the ears: scalp (hair)
    zone = np.where(side_burn & (zone == 0), 1, zone)
    return np.where(z < neck_z, 2, zone)


def build_template() -> Template:
    """Build the full template (about 3 s). Needs scipy."""
    from scipy.spatial import cKDTree

    from .build import atlas, ears, parts, skin

    name_idx = {r: i for i, r in enumerate(REGION_NAMES)}
    sk = skin.build_skin()
    skin_labels, skin_chart = _classify_skin_faces(sk)
    skin_corner = _skin_corner_uvs(sk, skin_chart)
    verts, faces = [sk.vertices], [sk.faces]
    labels = [np.array([name_idx[s] for s in skin_labels])]
    n = len(sk.vertices)
    part_ids = {"skin": np.arange(n)}
    # mouth bag: its rim is the skin's innermost lip ring; its UVs continue the lip rings inward
    mouth_p, mouth_ids = sk.patches["mouth"]
    m = mouth_ids.shape[1]
    bag = parts.mouth_bag(mouth_p.points[mouth_p.ring("bag_rim")], mouth_p.t)
    rim_ids = mouth_ids[mouth_p.ring("bag_rim")]
    remap = np.concatenate([rim_ids, n + np.arange(len(bag.vertices) - m)])
    verts.append(bag.vertices[m:])
    faces.append(remap[bag.faces])
    labels.append(np.full(len(bag.faces), name_idx["mouth_bag"]))
    part_ids["mouth_bag"] = remap
    n += len(bag.vertices) - m
    bag_corner = (0.5 + (bag.uv - 0.5) * _mouth_ring_radius(3) / 0.47)[bag.uv_faces]
    mouth_sel = skin_chart == "mouth"
    fitted = atlas.fit_to_slot(np.concatenate([skin_corner[mouth_sel], bag_corner]), "mouth")
    skin_corner[mouth_sel] = fitted[: mouth_sel.sum()]
    for chart in ("face", "scalp", "neck"):
        sel = skin_chart == chart
        skin_corner[sel] = atlas.fit_to_slot(skin_corner[sel], chart)
    corner_uv = [skin_corner, fitted[mouth_sel.sum() :]]
    # separate parts, each with its own UV island
    extras = {}
    islands = []
    for side in ("left", "right"):
        eye, cornea = parts.eyeball(side)
        islands += [(eye, f"eyeball_{side}"), (cornea, f"cornea_{side}")]
        extras[f"eye_centre_{side}"] = eye.extra["centre"]
    tooth_parts = parts.teeth(True) + parts.teeth(False)
    islands += list(zip(tooth_parts, atlas.pack_grid(len(tooth_parts), "teeth", cols=16)))
    islands += [(parts.gums(True), "gums_upper"), (parts.gums(False), "gums_lower"), (parts.tongue(), "tongue"),
                (ears.ear("left"), "ear_left"), (ears.ear("right"), "ear_right")]
    for prt, slot in islands:
        part_ids[prt.name] = n + np.arange(len(prt.vertices))
        verts.append(prt.vertices)
        faces.append(prt.faces + n)
        labels.append(np.array([name_idx[s] for s in prt.labels]))
        corners = prt.uv[prt.uv_faces]
        if isinstance(slot, str):
            corner_uv.append(atlas.fit_to_slot(corners, slot))
        else:  # a teeth grid cell
            corner_uv.append(atlas.fit_to_rect(corners.reshape(-1, 2), slot).reshape(-1, 3, 2))
        n += len(prt.vertices)
    vertices = np.concatenate(verts)
    faces = np.concatenate(faces).astype(np.int64)
    uv_coords, uv_faces = _dedupe_uvs(faces, np.concatenate(corner_uv))
    dist, sym = cKDTree(vertices).query(vertices * np.array([-1.0, 1.0, 1.0]))
    if dist.max() > 1e-6:
        bad = np.nonzero(dist > 1e-6)[0]
        where = [k for k, v in part_ids.items() if np.isin(bad, v).any()]
        raise RuntimeError(f"template is not mirror symmetric: {dist.max() * 1e3:.3f} mm off in parts {where}")
    rings = {name: (ids, p.roles, p.t) for name, (p, ids) in sk.patches.items()}
    return Template(vertices, faces, np.concatenate(labels), uv_coords, uv_faces, part_ids, rings, sk.neck_ring,
                    sym, extra=extras)


def _classify_skin_faces(sk) -> tuple[np.ndarray, np.ndarray]:
    """Region label and UV chart name per skin face: face/scalp/neck by zone; patch faces are face,
    lips (contact ring to vermilion border) or mouth_bag (inside the contact ring, on the mouth island)."""
    zone = skin_zone(sk.vertices[sk.faces].mean(axis=1))
    labels = np.array(["face", "scalp", "neck"], dtype=object)[zone]
    chart = labels.copy()
    ring_of = np.full((len(sk.vertices), 2), -1)
    names = list(sk.patches)
    for pi, (p, ids) in enumerate(sk.patches.values()):
        for k in range(ids.shape[0]):
            ring_of[ids[k]] = (pi, k)
    fr = ring_of[sk.faces]  # [F, 3, (patch, ring)]
    in_patch = np.all(fr[..., 0] >= 0, axis=1) & np.all(fr[..., 0] == fr[:, :1, 0], axis=1)
    labels[in_patch] = "face"
    chart[in_patch] = "face"
    mouth_p = sk.patches["mouth"][0]
    contact, border = mouth_p.ring("contact"), mouth_p.ring("border")
    is_mouth = in_patch & (fr[:, 0, 0] == names.index("mouth"))
    kmin, kmax = fr[..., 1].min(axis=1), fr[..., 1].max(axis=1)
    labels[is_mouth & (kmin >= contact) & (kmax <= border)] = "lips"
    inner = is_mouth & (kmax <= contact) & (kmin < contact)
    labels[inner] = "mouth_bag"
    chart[inner] = "mouth"
    return labels, chart


def _mouth_ring_radius(steps_inside_contact: int) -> float:
    """Radius on the (unfitted) mouth island of the ring ``steps`` inside the contact ring."""
    return 0.49 - 0.035 * steps_inside_contact


def _skin_corner_uvs(sk, chart: np.ndarray) -> np.ndarray:
    """Unfitted per-corner UVs ``[F, 3, 2]`` of the skin faces in their chart's own coordinates."""
    from .build import atlas, shape

    face_uv = atlas.direction_to_face_chart(shape.radial_direction(sk.vertices))
    for p, ids in sk.patches.values():
        face_uv[ids.reshape(-1)] = _patch_chart_uv(p.param, face_uv[ids[-1]]).reshape(-1, 2)
    scalp_uv = atlas.direction_to_scalp_chart(shape.radial_direction(sk.vertices))
    neck_uv = atlas.point_to_neck_chart(sk.vertices)
    corners = np.zeros((len(sk.faces), 3, 2))
    for name, uvv in (("face", face_uv), ("scalp", scalp_uv), ("neck", neck_uv)):
        sel = chart == name
        corners[sel] = uvv[sk.faces[sel]]
    sel = chart == "neck"  # the neck chart's seam is at the back: unwrap faces that straddle it
    c = corners[sel]
    period = 2 * np.pi * atlas.NECK_U_PER_RAD
    wrap = (c[..., 0].max(1) - c[..., 0].min(1)) > 0.5 * period
    c[wrap, :, 0] = np.where(c[wrap, :, 0] < 0, c[wrap, :, 0] + period, c[wrap, :, 0])
    corners[sel] = c
    # mouth island: polar rings from the contact ring inward (the bag continues them)
    _, mouth_ids = sk.patches["mouth"]
    contact = sk.patches["mouth"][0].ring("contact")
    m = mouth_ids.shape[1]
    ang = 2 * np.pi * np.arange(m) / m
    circ = np.stack([np.cos(ang), np.sin(ang)], -1)
    mouth_uv = np.zeros((len(sk.vertices), 2))
    for r, k in enumerate(range(contact, -1, -1)):
        mouth_uv[mouth_ids[k]] = 0.5 + _mouth_ring_radius(r) * circ
    sel = chart == "mouth"
    corners[sel] = mouth_uv[sk.faces[sel]]
    return corners


def _patch_chart_uv(param: np.ndarray, outer_uv: np.ndarray) -> np.ndarray:
    """Face-chart UVs ``[K, M, 2]`` of a ring patch from its frontal parameters ``[K, M, 2]``.

    An affine map of the parameters (fitted on the outer ring, whose UVs come from the skin's
    radial chart) plus the outer ring's residual faded inward. The rings are nested in parameter
    space, so the UVs are too: no flipped triangles even where the skin folds (lid, lip crease).
    """
    k = param.shape[0]
    outer = np.concatenate([param[-1], np.ones((param.shape[1], 1))], axis=1)
    coef, *_ = np.linalg.lstsq(outer, outer_uv, rcond=None)  # [3, 2]
    lin = np.concatenate([param, np.ones(param.shape[:2] + (1,))], axis=2) @ coef
    resid = outer_uv - lin[-1]
    fade = (np.arange(k) / (k - 1)) ** 3
    return lin + fade[:, None, None] * resid[None]


def _dedupe_uvs(faces: np.ndarray, corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-corner UVs ``[F, 3, 2]`` -> shared UV list and UV faces (one UV per vertex and island)."""
    q = np.round(corners.reshape(-1, 2) * 2**22).astype(np.int64)
    key = np.stack([faces.reshape(-1), q[:, 0], q[:, 1]], -1)
    uniq, inv = np.unique(key, axis=0, return_inverse=True)
    uv = np.zeros((len(uniq), 2))
    uv[inv.reshape(-1)] = corners.reshape(-1, 2)
    return uv, inv.reshape(-1, 3)
