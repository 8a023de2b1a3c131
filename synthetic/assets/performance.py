"""Expression performances: smooth expression, head-pose and gaze trajectories over frames.

A performance is a sequence of segments (talking, smiling, surprise, random blends, neutral).
Every channel is a keyframe track interpolated with ease-in/ease-out (smoothstep between keys,
zero velocity at keys), so trajectories are C1 and second differences stay bounded; segments
start and end at neutral, so they join smoothly. Talking cycles the jaw and mouth shapes
(visemes) at syllable rate in phrases with pauses; blinks, saccades with fixations, and small
head motion run over the whole performance.

Expressions use the head model's component NAMES (``defaults.SEMANTIC_EXPRESSIONS`` maps semantic
channels to them); pass ``expression_names`` from ``HeadModel.expression_names`` or any list /
name->index dict. Gaze is (yaw, pitch) in radians, + = towards the subject's left / up, and is
also written into the eye joints as axis-angle (Blender world frame, neutral gaze along -Y).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import defaults as D
from .errors import AssetInputError, check_choice, check_count, check_generator, check_positive
from .pigments import _pick

KINDS = ("mixed", "talking", "smile", "surprise", "random", "neutral")


@dataclass
class Performance:
    """Per-frame trajectories.

    Attributes:
        fps: frames per second.
        expression: (F, E) float32 coefficients, inside the given ranges.
        pose: (F, J, 3) float32 axis-angle per joint (radians).
        gaze: (F, 2) float32 yaw, pitch (radians).
        expression_names, joint_names: the layouts of ``expression`` and ``pose``.
        segments: JSON list of {kind, start, end} (frames).
    """

    fps: float
    expression: np.ndarray
    pose: np.ndarray
    gaze: np.ndarray
    expression_names: tuple
    joint_names: tuple
    segments: list = field(default_factory=list)

    @property
    def n_frames(self) -> int:
        return int(self.expression.shape[0])

    def arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        return {f"{prefix}expression": self.expression, f"{prefix}pose": self.pose, f"{prefix}gaze": self.gaze}


def pick_frames(n_samples: int, expression: np.ndarray, ignore=()) -> np.ndarray:
    """Indices of ``n_samples`` frames spread over a performance with ``expression`` ``[F, E]``.

    The performance is cut into ``n_samples`` equal bins and each bin gives its most expressive frame
    (largest coefficient norm over the columns not in ``ignore``), so a few rendered frames cover the
    whole performance with real expressions instead of its near-neutral start or the rests between
    segments. Pass the blink columns as ``ignore`` (:func:`blink_columns`): a blink is a large
    coefficient, and counting it made half of the picked frames blinks; ignored, the picked frames
    blink at the performance's own rate. With ``n_samples == F`` every frame is taken in order.
    """
    n_frames = int(expression.shape[0])
    if not 0 <= n_samples <= n_frames:
        raise ValueError(f"cannot pick {n_samples} frames from a performance of {n_frames}")
    flat = np.array(expression.reshape(n_frames, -1), dtype=np.float64)
    flat[:, list(ignore)] = 0.0
    edges = np.floor(np.arange(n_samples + 1) * n_frames / max(n_samples, 1)).astype(np.int64)
    strength = np.linalg.norm(flat, axis=1)
    return np.array([lo + int(np.argmax(strength[lo:hi])) for lo, hi in zip(edges[:-1], edges[1:], strict=True)],
                    dtype=np.int64)


def rest_lids(expression: np.ndarray, expression_names, rest: float) -> np.ndarray:
    """``expression`` ``[..., E]`` with the blink columns lifted to an identity's resting lids: ``b -> rest + (1 - rest)
    * b`` (a blink still closes the eye; between blinks the upper lid rests ``rest`` of the way down). A copy."""
    out = np.array(expression, dtype=np.float64, copy=True)
    cols = blink_columns(expression_names)
    out[..., cols] = float(rest) + (1.0 - float(rest)) * out[..., cols]
    return out


def blink_columns(expression_names) -> list[int]:
    """Columns of the expression layout ``expression_names`` that close the eyelids (the ``blink``
    channel of ``defaults.SEMANTIC_EXPRESSIONS``); names the model lacks are skipped."""
    names = _names(expression_names)
    return [names.index(n) for n in D.SEMANTIC_EXPRESSIONS["blink"] if n in names]


def ease_track(key_t: np.ndarray, key_v: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Interpolate keyframes (times ascending, s) with smoothstep ease between keys; held outside."""
    key_t = np.asarray(key_t, float)
    key_v = np.asarray(key_v, float)
    if len(key_t) == 0:
        return np.zeros_like(t, dtype=float)
    if len(key_t) == 1:
        return np.full_like(t, key_v[0], dtype=float)
    i = np.clip(np.searchsorted(key_t, t, side="right") - 1, 0, len(key_t) - 2)
    span = np.maximum(key_t[i + 1] - key_t[i], 1e-9)
    u = np.clip((t - key_t[i]) / span, 0, 1)
    s = u * u * (3 - 2 * u)
    return key_v[i] + (key_v[i + 1] - key_v[i]) * s


def _names(expression_names) -> tuple[str, ...]:
    if isinstance(expression_names, dict):
        order = sorted(expression_names.items(), key=lambda kv: kv[1])
        if [v for _, v in order] != list(range(len(order))):
            raise AssetInputError("expression_names: a name->index dict must cover indices 0..E-1 exactly once")
        return tuple(k for k, _ in order)
    names = tuple(str(n) for n in expression_names)
    if not names or len(set(names)) != len(names):
        raise AssetInputError("expression_names: expected a non-empty list of unique names")
    return names


def semantic_matrix(names: tuple[str, ...]) -> tuple[list[str], np.ndarray]:
    """Semantic channel names and their (C, E) mixing matrix onto the model's components."""
    index = {n: i for i, n in enumerate(names)}
    chans, rows = [], []
    for ch, parts in D.SEMANTIC_EXPRESSIONS.items():
        row = np.zeros(len(names))
        for n, w in parts.items():
            if n in index:
                row[index[n]] = w
        chans.append(ch)
        rows.append(row)
    return chans, np.array(rows)


def make_performance(rng: np.random.Generator, expression_names, n_frames: int = D.PERFORMANCE_FRAMES,
                     fps: float = D.FPS, expression_ranges=None, joint_names=("neck", "head", "jaw", "eye_left",
                                                                                "eye_right"),
                     kind: str = "mixed", intensity: float = 1.0, lid_rest: float = 0.0) -> Performance:
    """Generate one performance.

    Args:
        rng: the performance stream's generator.
        expression_names: the model's component names (sequence) or a name->index dict.
        n_frames, fps: length and rate. expression_ranges: (E, 2) [lo, hi] per component
            (default [0, 1]). joint_names: pose layout (``HeadModel.joint_names``).
        kind: 'mixed' (random segments) or one segment kind for the whole performance.
        intensity: scales expression amplitudes (0..1.5).
        lid_rest: the identity's resting upper-lid drop, an ``eye_blink`` activation (:func:`rest_lids`).
    """
    check_generator(rng)
    n_frames = check_count("n_frames", n_frames, 1)
    fps = check_positive("fps", fps)
    check_choice("kind", kind, KINDS)
    names = _names(expression_names)
    e = len(names)
    ranges = np.tile([0.0, 1.0], (e, 1)) if expression_ranges is None else np.asarray(expression_ranges, float)
    if ranges.shape != (e, 2) or np.any(ranges[:, 1] < ranges[:, 0]):
        raise AssetInputError(f"expression_ranges: expected ({e}, 2) with lo <= hi, got {ranges.shape}")
    joints = tuple(joint_names)
    t = np.arange(n_frames) / fps
    duration = n_frames / fps
    chans, mix = semantic_matrix(names)
    sem = {c: ([], []) for c in chans}  # channel -> (times, values) keyframes
    direct = np.zeros((n_frames, e))
    segments = []
    start = 0.0
    while start < duration:
        seg_kind = _pick(rng, D.PERFORMANCE_KINDS) if kind == "mixed" else kind
        length = float(rng.uniform(*D.SEGMENT_SECONDS)) if kind == "mixed" else duration
        end = min(start + length, duration)
        if seg_kind == "random":
            direct += _random_blend(rng, t, start, end, ranges, intensity)
        else:
            _segment(rng, seg_kind, start, end, sem, intensity)
        segments.append({"kind": seg_kind, "start": int(round(start * fps)), "end": int(round(end * fps))})
        start = end
    _blinks(rng, duration, sem)
    tracks = np.stack([_track(sem[c], t) for c in chans], 1)  # (F, C)
    expr = rest_lids(tracks @ mix + direct, names, lid_rest)
    expr = np.clip(expr, ranges[:, 0], ranges[:, 1])
    gaze = _gaze(rng, t)
    pose = np.zeros((n_frames, len(joints), 3))
    yaw, pitch, roll = _head_motion(rng, t)
    head_aa = np.stack([pitch, roll, yaw], 1)  # about X (nod), Y (tilt), Z (turn)
    for name, share in (("neck", 0.4), ("head", 0.6)):
        if name in joints:
            pose[:, joints.index(name)] = head_aa * share
    for name in ("eye_left", "eye_right"):
        if name in joints:
            pose[:, joints.index(name)] = gaze_to_axis_angle(gaze)
    for name, lim in D.JOINT_LIMITS_DEG.items():
        if name in joints:
            pose[:, joints.index(name)] = _clip_angle(pose[:, joints.index(name)], np.radians(lim))
    return Performance(fps, expr.astype(np.float32), pose.astype(np.float32), gaze.astype(np.float32), names, joints,
                       segments)


def _track(keys, t):
    times, values = keys
    if not times:
        return np.zeros_like(t)
    order = np.argsort(times, kind="stable")
    kt, kv = np.asarray(times)[order], np.asarray(values)[order]
    keep = np.concatenate([[True], np.diff(kt) > 1e-6])
    return ease_track(kt[keep], kv[keep], t)


def _add(sem, ch, times, values):
    sem[ch][0].extend(times)
    sem[ch][1].extend(values)


def _segment(rng, kind, start, end, sem, intensity):
    """Keyframes of one segment; every channel it touches starts and ends at 0."""
    span = end - start
    if kind == "neutral" or span < 0.4:
        return
    if kind == "smile":
        a = rng.uniform(0.4, 1.0) * intensity
        rise = min(rng.uniform(0.3, 0.6), span / 3)
        _add(sem, "smile", [start, start + rise, end - rise, end], [0, a, a * rng.uniform(0.7, 1.0), 0])
        _add(sem, "squint", [start, start + rise, end - rise, end], [0, 0.3 * a, 0.3 * a, 0])
        return
    if kind == "surprise":
        a = rng.uniform(0.5, 1.0) * intensity
        rise = min(rng.uniform(0.15, 0.25), span / 3)
        for ch, w in (("brow_raise", 1.0), ("eye_wide", 0.8), ("jaw_open", 0.35)):
            _add(sem, ch, [start, start + rise, end - 2 * rise, end], [0, w * a, w * a * 0.8, 0])
        return
    if kind == "talking":
        chans = sorted({c for v in D.VISEMES.values() for c in v})
        s = start + 0.05
        for ch in chans:
            _add(sem, ch, [start], [0.0])
        while s < end - 0.3:
            n_syl = int(rng.integers(*D.PHRASE_SYLLABLES))
            for _ in range(n_syl):
                dur = float(rng.uniform(*D.SYLLABLE_SECONDS))
                if s + dur > end - 0.1:
                    break
                vis = D.VISEMES[_pick(rng, {k: 1.0 for k in D.VISEMES})]
                amp = rng.uniform(0.3, 0.75) * intensity
                rest = 0.04 * amp
                for ch in chans:  # every mouth channel gets keys per syllable: shapes cycle at syllable rate
                    low = rest if ch == "jaw_open" else 0.0
                    _add(sem, ch, [s, s + 0.5 * dur, s + dur], [low, vis.get(ch, 0.0) * amp, low])
                s += dur
            s += float(rng.uniform(*D.PAUSE_SECONDS))
        for ch in chans:
            _add(sem, ch, [end], [0.0])
        return
    raise AssetInputError(f"performance: unknown segment kind {kind!r}")


def _random_blend(rng, t, start, end, ranges, intensity):
    """Random sparse component blends held at keys 0.5-1.5 s apart, eased in and out."""
    e = len(ranges)
    keys_t, keys_v = [start], [np.zeros(e)]
    s = start + rng.uniform(0.4, 0.8)
    while s < end - 0.4:
        active = rng.random(e) < 0.15
        lo, hi = ranges[:, 0], ranges[:, 1]
        val = np.where(active, lo + (hi - lo) * rng.uniform(0, 0.6, e) * intensity, 0.0)
        keys_t.append(s)
        keys_v.append(val)
        s += rng.uniform(0.5, 1.5)
    keys_t.append(end)
    keys_v.append(np.zeros(e))
    kv = np.array(keys_v)
    out = np.zeros((len(t), e))
    inside = (t >= start) & (t <= end)
    for j in np.flatnonzero(kv.any(0)):
        out[inside, j] = ease_track(np.array(keys_t), kv[:, j], t[inside])
    return out


def _blinks(rng, duration, sem):
    s = float(rng.gamma(*D.BLINK_INTERVAL)) * 0.5
    while s < duration - 0.2:
        d = float(rng.uniform(*D.BLINK_SECONDS))
        _add(sem, "blink", [s, s + 0.4 * d, s + d], [0.0, 1.0, 0.0])
        s += d + 0.1 + float(rng.gamma(*D.BLINK_INTERVAL))


def _gaze(rng, t):
    """Fixations with minimum-jerk saccades between them; (F, 2) yaw, pitch in radians."""
    lim = np.radians(D.GAZE_LIMIT_DEG)
    std = np.radians(D.GAZE_STD_DEG)
    times, targets = [0.0], [np.clip(rng.normal(0, std * 0.5), -lim, lim)]
    s = 0.0
    while s < t[-1] + 1.0:
        s += 0.1 + float(rng.gamma(*D.FIXATION_SECONDS))
        nxt = np.clip(rng.normal(0, std), -lim, lim)
        amp = np.degrees(np.linalg.norm(nxt - targets[-1]))
        dur = 0.021 + 0.0022 * amp  # saccade main sequence
        times += [s, s + dur]
        targets += [targets[-1], nxt]
        s += dur
    kt, kv = np.array(times), np.array(targets)
    out = np.empty((len(t), 2))
    i = np.clip(np.searchsorted(kt, t, side="right") - 1, 0, len(kt) - 2)
    u = np.clip((t - kt[i]) / np.maximum(kt[i + 1] - kt[i], 1e-9), 0, 1)
    mj = u**3 * (10 - 15 * u + 6 * u * u)  # minimum-jerk profile
    for k in range(2):
        out[:, k] = kv[i, k] + (kv[i + 1, k] - kv[i, k]) * mj
    return out


def _head_motion(rng, t):
    """Small smooth head motion: three random sinusoids (0.05-0.5 Hz) per axis, radians."""
    out = []
    for axis in ("yaw", "pitch", "roll"):
        amp = np.radians(D.HEAD_MOTION_DEG[axis])
        f = rng.uniform(0.05, 0.5, 3)
        ph = rng.uniform(0, 2 * np.pi, 3)
        w = rng.dirichlet(np.ones(3)) * amp
        out.append((w[None, :] * np.sin(2 * np.pi * f[None, :] * t[:, None] + ph[None, :])).sum(1))
    return out


def gaze_to_axis_angle(gaze: np.ndarray) -> np.ndarray:
    """(F, 2) yaw (+ subject's left, about +Z) and pitch (+ up) -> (F, 3) eye axis-angle.

    The eye rotation is R = Rz(yaw) @ Rx(-pitch) (rotating the -Y gaze up needs a negative
    rotation about +X), converted exactly to axis-angle.
    """
    yaw, pitch = gaze[:, 0], -gaze[:, 1]
    cy, sy, cp, sp = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch)
    r = np.zeros((len(gaze), 3, 3))
    r[:, 0, 0], r[:, 0, 1], r[:, 0, 2] = cy, -sy * cp, sy * sp
    r[:, 1, 0], r[:, 1, 1], r[:, 1, 2] = sy, cy * cp, -cy * sp
    r[:, 2, 1], r[:, 2, 2] = sp, cp
    return matrix_to_axis_angle(r)


def matrix_to_axis_angle(r: np.ndarray) -> np.ndarray:
    """Rotation matrices (N, 3, 3) -> axis-angle (N, 3) (angles below pi)."""
    cos = np.clip((np.trace(r, axis1=1, axis2=2) - 1) / 2, -1, 1)
    ang = np.arccos(cos)
    v = np.stack([r[:, 2, 1] - r[:, 1, 2], r[:, 0, 2] - r[:, 2, 0], r[:, 1, 0] - r[:, 0, 1]], 1)
    s = np.sin(ang)
    scale = np.where(s > 1e-8, ang / (2 * np.maximum(s, 1e-12)), 0.5)
    return v * scale[:, None]


def _clip_angle(aa: np.ndarray, limit: float) -> np.ndarray:
    n = np.linalg.norm(aa, axis=1, keepdims=True)
    return aa * np.minimum(1.0, limit / np.maximum(n, 1e-12))
