"""The numbers behind an Add Synthetic Head: shape-key targets, rig, skin weights, random parts (numpy only).

Frame and units: the head model's (metres, Blender axes: X = subject's left, the face looks along
-Y, Z up, origin between the ear canals). Nothing here imports bpy, so it runs in plain pytest.

Slider conventions:

* ``ShapeNNN`` (identity component ``NNN``): value = coefficient / std, range +-3 (std units).
  The key's target is ``template + basis_k * std_k``; components past ``n_shape_keys`` stay zero.
* ``ExpNNN`` (expression ``NNN``, human name in the Key's ``synthheads_names``): value = the model's
  expression coefficient, range = ``HeadModel.expression_ranges``. The ``jaw_*`` expressions also
  turn the jaw bone through drivers (:func:`jaw_driver_terms`); pose correctives are not applied.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np

PARTS = ("identity", "expression", "skin", "hair", "beard")
"""What the Randomise buttons change; each draws from its own named stream of the seed."""
BONE_DIRECTIONS = {"neck": (0.0, 0.0, 1.0), "head": (0.0, 0.0, 1.0), "jaw": (0.0, -1.0, 0.0),
                   "eye_left": (0.0, -1.0, 0.0), "eye_right": (0.0, -1.0, 0.0)}  # fmt: skip
"""Bone head -> tail directions: along world axes, so each bone's rest frame is a signed axis permutation
and a model rotation about one world axis is a rotation about one bone axis."""
BONE_LENGTHS = {"neck": 0.08, "head": 0.14, "jaw": 0.07, "eye_left": 0.02, "eye_right": 0.02}
MIN_SKIN_WEIGHT = 1e-4


@dataclass
class HeadOptions:
    """What Add Synthetic Head builds (one settings object per operator call)."""

    seed: int = 0
    texture_size: int = 512
    hair_quality: str = "preview"
    """Strand counts: 'preview' (5k scalp strands, fast) or 'render' (60k)."""
    n_shape_keys: int = 50
    strands: bool = True
    """Grow hair, beard, brows and lashes as hair curves."""


@dataclass
class HeadState:
    """What is stored (as JSON) on the head's armature object to randomise parts later."""

    options: HeadOptions
    params: dict
    """``IdentitySampler.sample`` parameters, ``shape`` truncated to the shape keys."""
    seeds: dict = field(default_factory=dict)
    """The seed each part was last drawn from."""

    def to_json(self) -> str:
        return json.dumps({"options": asdict(self.options), "params": self.params, "seeds": self.seeds})

    @classmethod
    def from_json(cls, text: str) -> HeadState:
        d = json.loads(text)
        return cls(HeadOptions(**d["options"]), d["params"], d.get("seeds", {}))


@lru_cache(maxsize=1)
def load_model():
    """The head model (read once per Blender session from the file packaged in the extension)."""
    from synthetic.head import HeadModel

    return HeadModel.load()


def sampler(model, options: HeadOptions):
    from synthetic.assets import IdentityConfig, IdentitySampler

    return IdentitySampler(model, IdentityConfig(quality=options.hair_quality, texture_size=options.texture_size))


def truncate_shape(shape, n: int) -> list[float]:
    """Identity coefficients with the components past the first ``n`` set to zero (the mesh has n keys)."""
    s = np.asarray(shape, dtype=np.float64).copy()
    s[n:] = 0.0
    return [float(x) for x in s]


def initial_state(model, options: HeadOptions) -> HeadState:
    """Parameters of a new head: everything from ``options.seed``; neutral expression."""
    params = sampler(model, options).sample(options.seed)
    params["shape"] = truncate_shape(params["shape"], options.n_shape_keys)
    seeds = {part: options.seed for part in PARTS}
    return HeadState(options, params, seeds)


def redraw_part(model, state: HeadState, part: str, seed: int) -> HeadState:
    """A copy of ``state`` with ``part`` drawn afresh from ``seed`` (its own named stream).

    ``identity`` redraws the shape (for the head's sex and age); ``skin`` the skin and iris; ``hair`` the hair
    style and colour; ``beard`` the facial hair (beard, brows, lashes). ``expression`` keeps the parameters (the
    expression lives on the sliders, see :func:`expression_values`).
    """
    if part not in PARTS:
        raise ValueError(f"unknown part {part!r}; parts are {PARTS}")
    params = json.loads(json.dumps(state.params))
    if part == "identity":
        from synthetic.assets.seeds import stream

        # a face that fits the head's sex and age, as the dataset's identity sampler draws them
        shape = model.sample_shape(stream(seed, "shape"), sex=params.get("sex"), age=params.get("age"))
        params["shape"] = truncate_shape(shape, state.options.n_shape_keys)
    elif part != "expression":
        fresh = sampler(model, state.options).sample(seed)
        keys = {"skin": ("skin", "iris"), "hair": ("hair",), "beard": ("facial_hair",)}[part]
        for key in keys:
            params[key] = fresh[key]
    return HeadState(state.options, params, {**state.seeds, part: int(seed)})


def identity_values(model, params: dict, n: int) -> np.ndarray:
    """``[n]`` ShapeNNN slider values (std units) of the identity in ``params``."""
    shape = np.asarray(params["shape"], dtype=np.float64)[:n]
    return shape / np.maximum(model.shape_std[:n], 1e-12)


def expression_values(model, seed: int, params: dict | None = None) -> np.ndarray:
    """``[E]`` ExpNNN slider values: a random sparse expression from the seed's ``expression`` stream, the lids
    lifted to the resting lids of the identity in ``params`` (:func:`neutral_expression`) when given."""
    from synthetic.assets.identity import lid_rest
    from synthetic.assets.performance import rest_lids
    from synthetic.assets.seeds import stream

    values = model.sample_expression(stream(seed, "expression"))
    return values if params is None else rest_lids(values, model.expression_names, lid_rest(params))


def neutral_expression(model, params: dict) -> np.ndarray:
    """``[E]`` ExpNNN slider values of the identity's neutral face: 0 but for the eyelids, which rest where the
    identity's do (``synthetic.assets.identity.lid_rest``; the dataset renderer's frame 0 is the same face)."""
    from synthetic.assets.identity import lid_rest
    from synthetic.assets.performance import rest_lids

    return rest_lids(np.zeros(model.n_expression), model.expression_names, lid_rest(params))


def shape_key_targets(model, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Shape-key offsets ``[n, V, 3]`` (m per slider unit: basis * std) and expression offsets ``[E, V, 3]``."""
    shape = np.moveaxis(model.shape_basis[:, :, :n], -1, 0) * model.shape_std[:n, None, None]
    expr = np.moveaxis(model.expression_basis, -1, 0)
    return shape.astype(np.float32), expr.astype(np.float32)


def joint_positions(model, params: dict) -> np.ndarray:
    """``[J, 3]`` rest joint positions (m) of the identity in ``params`` (neutral expression)."""
    return model.joints(np.asarray(params["shape"], dtype=np.float64))


def bone_layout(model, joints: np.ndarray) -> list[tuple[str, str | None, np.ndarray, np.ndarray]]:
    """``(name, parent name, head, tail)`` per joint, heads at the joints, tails along :data:`BONE_DIRECTIONS`."""
    out = []
    for j, name in enumerate(model.joint_names):
        parent = model.joint_parents[j]
        head = joints[j]
        tail = head + np.asarray(BONE_DIRECTIONS.get(name, (0.0, 0.0, 1.0))) * BONE_LENGTHS.get(name, 0.03)
        out.append((name, None if parent < 0 else model.joint_names[parent], head, tail))
    return out


def jaw_driver_terms(model, bone_rest: np.ndarray) -> list[list[tuple[int, float]]]:
    """Per bone-local axis (x, y, z) of the jaw, the ``(expression index, radians per unit)`` terms.

    ``bone_rest`` is the jaw bone's 3x3 rest rotation (bone -> armature). The model turns the jaw by
    ``expression @ expression_jaw`` (axis-angle, model frame); in bone axes that is ``R^T @ aa``.
    Bones lie along world axes, so each term lands on one bone axis; the Euler XYZ channels then
    reproduce the model's rotation exactly for one active jaw expression (to second order for several).
    """
    local = model.expression_jaw @ np.asarray(bone_rest, dtype=np.float64)  # rows: (R^T aa)^T = aa^T R
    terms: list[list[tuple[int, float]]] = [[], [], []]
    for e, row in enumerate(local):
        for axis in range(3):
            if abs(row[axis]) > 1e-9:
                terms[axis].append((e, float(row[axis])))
    return terms


def wrinkle_driver_terms(model) -> dict[str, list[tuple[int, float]]]:
    """Per expression wrinkle, the ``(expression index, weight)`` terms of its activation
    (``synthetic.assets.wrinkles.WRINKLE_DRIVERS`` on this model's expression names; the driver
    clamps the weighted sum to [0, 1] as ``wrinkle_activations`` does)."""
    from synthetic.assets.wrinkles import WRINKLE_DRIVERS, WRINKLES

    index = {n: e for e, n in enumerate(model.expression_names)}
    return {w: [(index[n], float(c)) for n, c in WRINKLE_DRIVERS[w].items() if n in index] for w in WRINKLES}


def skin_weight_groups(model, min_weight: float = MIN_SKIN_WEIGHT) -> dict[str, list[tuple[float, np.ndarray]]]:
    """Vertex-group contents per joint: ``[(weight, vertex ids)]`` grouped by equal weight (rounded to 1e-5),
    so that Blender's ``VertexGroup.add`` runs once per distinct weight, not once per vertex."""
    out = {}
    w = np.round(model.skin_weights, 5)
    for j, name in enumerate(model.joint_names):
        ids = np.flatnonzero(w[:, j] >= min_weight)
        values, inverse = np.unique(w[ids, j], return_inverse=True)
        out[name] = [(float(v), ids[inverse == i]) for i, v in enumerate(values)]
    return out


def srgb8_to_unit(albedo8: np.ndarray) -> np.ndarray:
    """8-bit sRGB texture -> float sRGB in [0, 1] (what an sRGB Blender image stores)."""
    return np.asarray(albedo8, dtype=np.float32) / 255.0
