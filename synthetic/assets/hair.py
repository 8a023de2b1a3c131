"""Head hair: grow one identity's style as strands on a ``HeadSurface``.

Free styles integrate guides with the style's flow field (``growth.grow_guides``). Tied styles
(ponytail, bun) grow guides towards a gather point on the back of the head, then continue them
along a shared tail curve (ponytail: out of the head, then bending down under gravity) or wind
them around a ball (bun). Children come from ``growth.interpolate_children``; every point ends
at least ``defaults.HAIR_MARGIN`` outside the head, body proxy and face keep-out. Finally every
strand is cut where it would pass between the face core (eyes, nose, mouth) and the front cameras
(``collision.FaceSightZone``): a fringe ends above the eyes, a stray lock never hangs over them.
"""

from __future__ import annotations

import numpy as np

from . import defaults as D
from .collision import FaceSightZone
from .errors import check_count, check_generator
from .growth import ChildParams, GrowthParams, grow_guides, interpolate_children, sample_roots
from .hair_styles import HairParams, ScalpFrame, flow_field, part_side, scalp_density
from .noise import smoothstep
from .pigments import HairColour
from .strands import Strands, resample, taper_radius, transport_frames
from .surface import HeadSurface


def guide_count(n_strands: int) -> int:
    lo, hi = D.GUIDE_COUNT_RANGE
    return int(min(n_strands, max(lo, min(hi, round(n_strands * D.GUIDES_PER_STRAND)))))


def spread_roots(roots: np.ndarray, normals: np.ndarray, n: int):
    """Pick ``n`` well-spread roots by greedy farthest-point sampling (deterministic)."""
    if len(roots) <= n:
        return roots, normals
    chosen = np.empty(n, np.int64)
    chosen[0] = 0
    d = np.linalg.norm(roots - roots[0], axis=1)
    for i in range(1, n):
        chosen[i] = int(np.argmax(d))
        d = np.minimum(d, np.linalg.norm(roots - roots[chosen[i]], axis=1))
    return roots[chosen], normals[chosen]


def front_weight(surface: HeadSurface, hair: HairParams, frame: ScalpFrame, roots: np.ndarray) -> np.ndarray:
    """(G,) in [0, 1]: how much each root (G, 3) m lies on the front of the scalp above the face, for
    styles combed off the face ('part', 'back'); 0 for every root of other flows."""
    if hair.flow not in ("part", "back"):
        return np.zeros(len(roots))
    loc = surface.landmarks.to_local(roots)
    return smoothstep(frame.front - 90.0, frame.front - 40.0, loc[:, 1]) * smoothstep(-10.0, 25.0, loc[:, 2])


def grow_hair(surface: HeadSurface, hair: HairParams, n_strands: int, rng: np.random.Generator) -> Strands:
    """Strands of head hair for one identity.

    Args:
        surface: the head (scalp region, landmarks, optional neck base for the body proxy).
        hair: the identity's hair parameters (``sample_hair``).
        n_strands: number of strands at density 1 (e.g. 5k preview, 60k render); the style's
            density scales it, and 'bald' gives none.
        rng: the hair stream's generator.

    Returns:
        ``Strands`` named 'hair' with (S, P, 3) points (P from the style), radii, root normals,
        per-strand melanin; params hold the style and counts.
    """
    check_generator(rng)
    n_strands = check_count("n_strands", n_strands)
    spec = hair.spec
    n_points = int(spec["n_points"])
    info = {"style": hair.style, "length": hair.length}
    n = int(round(n_strands * spec["density"]))
    frame = ScalpFrame.of(surface)
    density = scalp_density(surface, hair, frame)
    if n == 0 or density.sum() <= 0:
        return Strands.empty("hair", n_points, {**info, "n_strands": 0, "n_guides": 0})
    roots, normals = sample_roots(surface.vertices, surface.faces, surface.normals, density, n, rng)
    g = guide_count(n)
    cand_r, cand_n = sample_roots(surface.vertices, surface.faces, surface.normals, density, 3 * g, rng)
    g_roots, g_normals = spread_roots(cand_r, cand_n, g)
    field = surface.collision(body=True, keep_out=True)
    lengths = hair.length * rng.uniform(0.85, 1.0, g)
    layers = rng.uniform(hair.layer[0], hair.layer[1], g)
    steps = int(np.clip(np.ceil(hair.length / 0.004), 12, 64))
    params = GrowthParams(n_steps=steps, lift=spec["lift"], lift_length=spec["lift_length"],
                          stiffness=spec["stiffness"], gravity=spec["gravity"],
                          follow=spec["follow"] + D.FRONT_FOLLOW * front_weight(surface, hair, frame, g_roots),
                          layer_rise=spec["layer_rise"])
    keep = None
    if hair.flow.startswith("tied"):
        guides, keep = _tied_guides(surface, hair, frame, field, g_roots, g_normals, lengths, layers, params, rng,
                                    n_points)
    else:
        guides = grow_guides(g_roots, g_normals, lengths, layers, flow_field(surface, hair, frame), params, field)

    def per_guide(value):
        return np.full(g, value) * rng.uniform(0.85, 1.15, g)

    child = ChildParams(n_points=n_points, length_jitter=spec["length_jitter"], clump=spec["clump"],
                        clump_shape=spec["clump_shape"], curl_radius=per_guide(hair.curl_radius),
                        curl_period=per_guide(max(hair.curl_period, 1e-3)),
                        wave_amplitude=per_guide(hair.wave_amplitude),
                        wave_period=per_guide(max(hair.wave_period, 1e-3)),
                        curl_start=spec["curl_start"], frizz=hair.frizz, margin=D.HAIR_MARGIN)
    groups = (part_side(surface, hair, roots), part_side(surface, hair, g_roots)) if hair.flow == "part" else None
    pts = interpolate_children(roots, guides, child, rng, field, keep=keep, guide_normals=g_normals,
                               n_blend=1 if keep is not None else 3, groups=groups)
    pts = cut_in_sight(pts, FaceSightZone(surface.landmarks, D.FACE_SIGHT_YAW_DEG, D.FACE_SIGHT_PITCH_DEG))
    colour = HairColour(**hair.colour)
    radius = taper_radius(n, n_points, D.HAIR_ROOT_RADIUS)
    return Strands("hair", pts.astype(np.float32), radius, normals.astype(np.float32), colour.strand_melanin(rng, n),
                   {**info, "n_strands": n, "n_guides": g})


def cut_in_sight(points: np.ndarray, zone: FaceSightZone) -> np.ndarray:
    """Strands (S, P, 3) m, each cut where it first enters ``zone`` (the part up to the point before
    is kept, resampled to P points); strands that never enter it are returned unchanged."""
    k = zone.first_inside(points)
    cut = np.flatnonzero(k < points.shape[1])
    if len(cut) == 0:
        return points
    seg = np.linalg.norm(np.diff(points[cut], axis=1), axis=2)
    cum = np.concatenate([np.zeros((len(cut), 1)), np.cumsum(seg, axis=1)], axis=1)
    keep = cum[np.arange(len(cut)), k[cut] - 1] / np.maximum(cum[:, -1], 1e-12)
    out = points.copy()
    out[cut] = resample(points[cut], points.shape[1], keep)
    return out


def _tied_guides(surface, hair, frame, field, roots, normals, lengths, layers, params, rng, n_points):
    """Guides of a ponytail or bun: (G, K, 3) points and the (G, n_points) root-offset keep profile."""
    bun = hair.flow == "tied_bun"
    target_local = np.array([0.0, frame.back + (25.0 if bun else 12.0), hair.gather_up_mm])
    g_surf = frame.surface_point(surface, target_local)
    _, g_n = field.head.query(g_surf[None])
    g_n = g_n[0]
    gather = g_surf + g_n * max(hair.layer[1], 0.003)
    approach = np.minimum(lengths, 0.32)
    grown = grow_guides(roots, normals, approach, layers, flow_field(surface, hair, frame, gather), params, field)
    dist = np.linalg.norm(grown - gather, axis=2)
    reached = dist < 1.5 * hair.tie_radius
    cut = np.where(reached.any(1), reached.argmax(1), dist.argmin(1))
    k1 = grown.shape[1]
    idx = np.minimum(np.arange(k1)[None, :], cut[:, None])
    head_part = np.take_along_axis(grown, idx[..., None], axis=1)
    seg = np.linalg.norm(np.diff(head_part, axis=1), axis=2).sum(1)
    tail_len = np.maximum(lengths - seg, 0.03)
    theta = rng.uniform(0, 2 * np.pi, len(roots))
    rho = np.sqrt(rng.random(len(roots)))
    k2 = 48
    if bun:
        tail = _bun_paths(gather, g_n, tail_len, theta, rho, hair.spread_radius, k2, rng)
    else:
        tail = _tail_paths(gather, g_n, tail_len, theta, rho, hair.tie_radius, hair.spread_radius, k2, field)
    tail += (head_part[:, -1] - gather)[:, None, :] * np.linspace(1.0, 0.0, k2)[None, :, None] * 0.5
    full = np.concatenate([head_part, tail], axis=1)
    k = max(2 * n_points, 64)
    guides = resample(full, k)
    u_tie = seg / np.maximum(seg + tail_len, 1e-6)
    u = np.linspace(0.0, 1.0, n_points)
    keep = 1.0 - 0.65 * np.clip((u[None, :] - u_tie[:, None]) / 0.05 + 1.0, 0.0, 1.0)
    return guides, keep


def _tail_paths(gather, g_n, tail_len, theta, rho, tie_r, spread_r, k2, field):
    """Ponytail: a shared centreline leaving the head along its normal, then falling; guides spread around it."""
    n_fine = 240
    l_max = float(tail_len.max())
    ds = l_max / n_fine
    down = np.array([0.0, 0.0, -1.0])
    d0 = g_n + 0.25 * down
    d0 /= np.linalg.norm(d0)
    c = np.empty((n_fine + 1, 3))
    c[0] = gather
    for i in range(1, n_fine + 1):
        s = i * ds
        w = 1.0 - np.exp(-s / 0.05)
        d = d0 * (1 - w) + down * w
        d /= np.linalg.norm(d)
        c[i] = c[i - 1] + d * ds
        r = tie_r + (spread_r - tie_r) * min(s / 0.08, 1.0)
        c[i] = field.push_outside(c[i][None], 0.6 * r, use_keep_out=False)[0]
    _, nrm, bnr = transport_frames(c[None], np.cross(d0, [1.0, 0.0, 0.0])[None])
    s_fine = np.linspace(0.0, l_max, n_fine + 1)
    out = np.empty((len(tail_len), k2, 3))
    for j, sj in enumerate(np.linspace(0.0, 1.0, k2)):
        s = sj * tail_len
        i = np.clip(np.searchsorted(s_fine, s), 0, n_fine)
        r = tie_r + (spread_r - tie_r) * np.clip(s / 0.08, 0, 1)
        r *= 1.0 - 0.45 * np.clip((s - 0.7 * l_max) / (0.3 * l_max), 0, 1)
        off = (np.cos(theta)[:, None] * nrm[0, i] + np.sin(theta)[:, None] * bnr[0, i]) * (rho * r)[:, None]
        out[:, j] = c[i] + off
    return out


def _bun_paths(gather, g_n, tail_len, theta, rho, bun_r, k2, rng):
    """Bun: strands wind around a ball of radius ``bun_r`` sitting on the head at the gather point."""
    e1 = np.cross(g_n, [0.0, 0.0, 1.0])
    if np.linalg.norm(e1) < 1e-6:
        e1 = np.cross(g_n, [1.0, 0.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(g_n, e1)
    centre = gather + g_n * bun_r * 0.85
    radius = bun_r * (0.45 + 0.55 * rho)
    psi0 = rng.uniform(0, np.pi, len(tail_len))
    out = np.empty((len(tail_len), k2, 3))
    for j, sj in enumerate(np.linspace(0.0, 1.0, k2)):
        s = sj * tail_len
        ang = theta + s / radius
        psi = psi0 + 0.35 * s / radius
        a = np.cos(psi)[:, None] * e1 + np.sin(psi)[:, None] * g_n
        pts = centre + radius[:, None] * (np.cos(ang)[:, None] * a + np.sin(ang)[:, None] * e2)
        blend = min(sj * 8.0, 1.0)
        out[:, j] = gather * (1 - blend) + pts * blend
    return out
