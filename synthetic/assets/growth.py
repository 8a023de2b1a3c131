"""The strand-growing engine shared by head hair, beards and brows.

Growth happens in two levels, as in production groom tools:

1. **Guides** (a few hundred to ~1500) are integrated step by step from their roots
   (``grow_guides``): each step blends the previous direction (stiffness), the style's flow
   field projected onto the local surface tangent plane, the root normal (lift, fading with arc
   length) and gravity (growing with arc length). After each step the point is pushed out of the
   collision field to the guide's *layer* height, so hair follows the scalp, then falls.
2. **Children** (all rendered strands, ``interpolate_children``) blend their three nearest guides
   by inverse root distance, translated to their own root; then clumping pulls tips towards the
   nearest guide, lengths are jittered, curls/waves (per clump, so curls stay in ringlets) and
   frizz are added, and a final pass pushes every point outside the collision field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import AssetInputError, as_faces, as_points, as_weights
from .noise import smoothstep
from .strands import resample

DOWN = np.array([0.0, 0.0, -1.0])


def sample_roots(vertices, faces, normals, weights, n: int, rng: np.random.Generator):
    """Sample ``n`` root points on the weighted surface (density ∝ area x interpolated weight).

    Args:
        vertices: (V, 3) m. faces: (F, 3) int. normals: (V, 3) outward unit normals.
        weights: (V,) density in [0, 1]. n: number of roots. rng: generator.

    Returns:
        roots (n, 3) and unit normals (n, 3), float64; empty arrays when the weights are all 0.
    """
    v = as_points("vertices", vertices)
    f = as_faces("faces", faces, len(v))
    nv = as_points("normals", normals)
    w = as_weights("weights", weights, len(v))
    area = 0.5 * np.linalg.norm(np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]), axis=1)
    fw = area * w[f].mean(1)
    if n <= 0 or fw.sum() <= 0:
        return np.zeros((0, 3)), np.zeros((0, 3))
    tri = rng.choice(len(f), size=n, p=fw / fw.sum())
    a, b = rng.random(n), rng.random(n)
    flip = a + b > 1
    a[flip], b[flip] = 1 - a[flip], 1 - b[flip]
    bary = np.stack([1 - a - b, a, b], 1)
    roots = np.einsum("nk,nkc->nc", bary, v[f[tri]])
    nrm = np.einsum("nk,nkc->nc", bary, nv[f[tri]])
    return roots, nrm / np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-12)


FlowFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""flow(points (N, 3), surface normals (N, 3), guide indices (N,)) -> directions (N, 3), world frame."""


@dataclass
class GrowthParams:
    """How guides are integrated (lengths in metres, weights in [0, 1]).

    Attributes:
        n_steps: integration steps per guide (points = n_steps + 1).
        lift: initial weight of the root normal in the direction blend.
        lift_length: arc length over which the lift fades out.
        stiffness: weight of the previous direction at each step (inertia).
        gravity: final weight of gravity.
        follow: arc length over which gravity ramps in (hair first follows the surface); a number,
            or one per guide (G,).
        layer_rise: arc length over which a strand climbs from the skin to its layer height.
    """

    n_steps: int = 48
    lift: float = 0.3
    lift_length: float = 0.02
    stiffness: float = 0.6
    gravity: float = 0.5
    follow: float | np.ndarray = 0.05
    layer_rise: float = 0.02


def grow_guides(roots: np.ndarray, normals: np.ndarray, lengths: np.ndarray, layers: np.ndarray, flow: FlowFn,
                params: GrowthParams, field, margin: float = 2e-4) -> np.ndarray:
    """Integrate guide polylines (G, n_steps + 1, 3) in metres; see the module docstring.

    ``layers`` (G,) is each guide's height above the skin (m) once it has risen; ``field`` has a
    ``query(points) -> (signed distance, outward gradient)`` method (``CollisionField``).
    """
    roots = as_points("roots", roots)
    normals = as_points("normals", normals)
    g = len(roots)
    lengths = check_lengths("lengths", lengths) if g else np.zeros(0)
    layers = np.asarray(layers, float)
    if len(normals) != g or lengths.shape != (g,) or layers.shape != (g,) or np.any(layers < 0):
        raise AssetInputError(f"grow_guides: expected {g} normals, lengths and non-negative layers; got "
                              f"{len(normals)}, {lengths.shape}, {layers.shape}")
    k = int(params.n_steps)
    out = np.empty((g, k + 1, 3))
    if g == 0:
        return out
    idx = np.arange(g)
    p = roots + normals * margin
    out[:, 0] = roots
    ds = lengths / k
    follow = np.maximum(np.broadcast_to(np.asarray(params.follow, float), (g,)), 1e-6)
    d = _normalise(normals * params.lift + _tangent(flow(p, normals, idx), normals) * (1 - params.lift) + 1e-9)
    for i in range(1, k + 1):
        s = ds * i
        _, nrm = field.query(p)
        f = _tangent(flow(p, nrm, idx), nrm)
        wg = params.gravity * smoothstep(0.0, 1.0, s / follow)
        wl = params.lift * (1 - smoothstep(0.0, 1.0, s / max(params.lift_length, 1e-6)))
        target = _normalise(f * (1 - wg)[:, None] + DOWN * wg[:, None] + normals * wl[:, None] + 1e-9)
        d = _normalise(params.stiffness * d + (1 - params.stiffness) * target)
        q = p + d * ds[:, None]
        h = np.maximum(layers * smoothstep(0.0, 1.0, s / max(params.layer_rise, 1e-6)), margin)
        sd, gq = field.query(q)
        low = sd < h
        q[low] += (h[low] - sd[low])[:, None] * gq[low]
        # keep the step length: re-aim the direction at the corrected point
        d = _normalise(q - p)
        q = p + d * ds[:, None]
        out[:, i] = q
        p = q
    return out


@dataclass
class ChildParams:
    """How children are made from guides (lengths in metres).

    Attributes:
        n_points: points per output strand.
        length_jitter: children keep a uniform share in [1 - jitter, 1] of the blended length.
        clump: pull of strand tips towards their clump guide (0 = none, 1 = tips merge).
        clump_shape: exponent of the clump profile along the strand (higher = only near the tip).
        curl_radius, curl_period: helix radius and pitch per turn per guide (G,) (0 radius = none).
        wave_amplitude, wave_period: planar wave per guide (G,).
        curl_start: arc length over which curls ramp in from the root.
        frizz: amplitude (m) of random low-frequency wander at the tip.
        margin: final minimum distance from the collision field (m).
    """

    n_points: int = 32
    length_jitter: float = 0.15
    clump: float = 0.3
    clump_shape: float = 1.0
    curl_radius: np.ndarray | None = None
    curl_period: np.ndarray | None = None
    wave_amplitude: np.ndarray | None = None
    wave_period: np.ndarray | None = None
    curl_start: float = 0.015
    frizz: float = 0.0
    margin: float = 3e-4


def nearest_guides(child_roots: np.ndarray, guide_roots: np.ndarray, k: int = 3, chunk: int = 4096):
    """Indices (C, k) of the k nearest guide roots and normalised inverse-distance weights (C, k)."""
    k = min(k, len(guide_roots))
    ids = np.empty((len(child_roots), k), np.int64)
    wts = np.empty((len(child_roots), k))
    g2 = (guide_roots**2).sum(1)
    for a in range(0, len(child_roots), chunk):
        c = child_roots[a:a + chunk]
        d2 = (c**2).sum(1)[:, None] + g2[None, :] - 2 * c @ guide_roots.T
        part = np.argpartition(d2, k - 1, axis=1)[:, :k] if k < len(guide_roots) else np.tile(
            np.arange(k), (len(c), 1))
        dd = np.take_along_axis(d2, part, 1)
        order = np.argsort(dd, axis=1)
        part, dd = np.take_along_axis(part, order, 1), np.take_along_axis(dd, order, 1)
        w = 1.0 / (np.sqrt(np.maximum(dd, 0)) + 1e-4)
        ids[a:a + chunk], wts[a:a + chunk] = part, w / w.sum(1, keepdims=True)
    return ids, wts


def grouped_nearest_guides(child_roots: np.ndarray, guide_roots: np.ndarray, child_group: np.ndarray,
                           guide_group: np.ndarray, k: int = 3):
    """``nearest_guides`` within groups: (C, k) guide indices and weights, each child among the guides of
    its own group label (C,) / (G,) (all guides when its group has none; k shrinks to the smallest group)."""
    child_group, guide_group = np.asarray(child_group), np.asarray(guide_group)
    if child_group.shape != (len(child_roots),) or guide_group.shape != (len(guide_roots),):
        raise AssetInputError(f"groups: expected ({len(child_roots)},) child and ({len(guide_roots)},) guide labels, "
                              f"got {child_group.shape} and {guide_group.shape}")
    sizes = [int((guide_group == lab).sum()) for lab in np.unique(child_group)]
    k = min([k, len(guide_roots)] + [n for n in sizes if n > 0])
    ids = np.empty((len(child_roots), k), np.int64)
    wts = np.empty((len(child_roots), k))
    for lab in np.unique(child_group):
        rows = np.flatnonzero(child_group == lab)
        pool = np.flatnonzero(guide_group == lab)
        if len(pool) == 0:
            pool = np.arange(len(guide_roots))
        sub, w = nearest_guides(child_roots[rows], guide_roots[pool], k)
        ids[rows], wts[rows] = pool[sub], w
    return ids, wts


def interpolate_children(child_roots: np.ndarray, guides: np.ndarray, params: ChildParams, rng: np.random.Generator,
                         field, keep: np.ndarray | None = None, guide_normals: np.ndarray | None = None,
                         use_keep_out: bool = True, n_blend: int = 3,
                         guide_ids: np.ndarray | None = None, groups: tuple | None = None) -> np.ndarray:
    """Children polylines (C, n_points, 3) in metres from guides (G, K, 3); see the module docstring.

    ``keep`` (G, n_points) in [0, 1] scales how much of a child's root offset from its guides is
    kept along the strand (1 everywhere for free hair; falling after a ponytail tie).
    ``n_blend`` guides are blended per child (1 for tied styles, whose guides spread in the tail).
    ``guide_ids`` (C,) gives each child one guide directly (no neighbour search), e.g. when every
    strand was integrated as its own guide and only curls, frizz and collisions are wanted.
    ``groups`` = (child groups (C,), guide groups (G,)) int labels: a child blends only guides of its
    own group (e.g. the two sides of a part, whose guides part ways), or all guides if its group has none.
    """
    if len(guides) == 0:
        raise AssetInputError("interpolate_children: no guides to interpolate")
    c = len(child_roots)
    n = int(params.n_points)
    gp = resample(guides, n)  # (G, n, 3)
    if guide_ids is not None:
        ids, w = np.asarray(guide_ids, np.int64)[:, None], np.ones((c, 1))
    elif groups is not None:
        ids, w = grouped_nearest_guides(child_roots, gp[:, 0], groups[0], groups[1], n_blend)
    else:
        ids, w = nearest_guides(child_roots, gp[:, 0], n_blend)
    blend = np.einsum("ck,ckpd->cpd", w, gp[ids])
    kp = np.ones((c, n)) if keep is None else np.einsum("ck,ckp->cp", w, keep[ids])
    offset = child_roots - blend[:, 0]
    pts = blend + kp[..., None] * offset[:, None, :]
    u = np.linspace(0.0, 1.0, n)
    if params.clump > 0:
        main = gp[ids[:, 0]]
        target = main + (0.15 * kp[..., None]) * (child_roots - main[:, 0])[:, None, :]
        prof = params.clump * u[None, :] ** params.clump_shape * rng.uniform(0.7, 1.0, (c, 1))
        pts += prof[..., None] * (target - pts)
    if params.length_jitter > 0:
        pts = resample(pts, n, 1.0 - params.length_jitter * rng.random(c))
    main_id = ids[:, 0]
    length = np.linalg.norm(np.diff(pts, axis=1), axis=2).sum(1)
    s = u[None, :] * length[:, None]
    t = np.gradient(pts, axis=1)
    t /= np.maximum(np.linalg.norm(t, axis=2, keepdims=True), 1e-12)
    ref = guide_normals[main_id] if guide_normals is not None else np.tile([0.0, 0.0, 1.0], (c, 1))
    nv = ref[:, None, :] - t * np.einsum("cpd,cd->cp", t, ref)[..., None]
    alt = np.cross(t, np.array([0.31, -0.52, 0.79]))
    small = np.linalg.norm(nv, axis=2, keepdims=True) < 1e-3
    nv = np.where(small, alt, nv)
    nv /= np.maximum(np.linalg.norm(nv, axis=2, keepdims=True), 1e-12)
    bv = np.cross(t, nv)
    ramp = smoothstep(0.0, 1.0, s / max(params.curl_start, 1e-6))
    phase0 = (main_id * 2.399963) % (2 * np.pi)  # golden-angle phase per clump
    if params.curl_radius is not None and np.any(params.curl_radius > 0):
        r = params.curl_radius[main_id][:, None] * rng.uniform(0.85, 1.15, (c, 1)) * ramp
        ph = 2 * np.pi * s / params.curl_period[main_id][:, None] + phase0[:, None] + rng.normal(0, 0.25, (c, 1))
        pts += r[..., None] * (np.cos(ph)[..., None] * nv + np.sin(ph)[..., None] * bv)
    if params.wave_amplitude is not None and np.any(params.wave_amplitude > 0):
        a = params.wave_amplitude[main_id][:, None] * rng.uniform(0.8, 1.2, (c, 1)) * ramp
        ph = 2 * np.pi * s / params.wave_period[main_id][:, None] + phase0[:, None] + rng.normal(0, 0.2, (c, 1))
        ang = phase0 * 1.7
        side = np.cos(ang)[:, None, None] * nv + np.sin(ang)[:, None, None] * bv
        pts += (a * np.sin(ph))[..., None] * side
    if params.frizz > 0:
        walk = np.cumsum(rng.normal(0, 1, (c, n, 3)), axis=1) / np.sqrt(n)
        pts += params.frizz * (u[None, :, None] ** 1.5) * walk * rng.uniform(0.3, 1.0, (c, 1, 1))
    flat = field.push_outside(pts.reshape(-1, 3), params.margin, use_keep_out=use_keep_out)
    out = flat.reshape(c, n, 3)
    out[:, 0] = child_roots
    return out


def _tangent(v: np.ndarray, n: np.ndarray) -> np.ndarray:
    return v - n * np.einsum("ij,ij->i", v, n)[:, None]


def _normalise(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def check_lengths(name: str, lengths) -> np.ndarray:
    """Per-guide lengths (G,) in metres, positive and finite."""
    arr = np.asarray(lengths, float)
    if arr.ndim != 1 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):  # (G,) and positive
        raise AssetInputError(f"{name}: expected positive finite lengths (G,) in metres")
    return arr


__all__ = ["sample_roots", "GrowthParams", "grow_guides", "ChildParams", "interpolate_children", "nearest_guides",
           "grouped_nearest_guides", "check_lengths"]
