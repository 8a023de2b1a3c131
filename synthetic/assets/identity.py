"""One integer seed per identity -> every random choice, as JSON parameters plus arrays.

``IdentitySampler.sample(seed)`` draws the parameters (presentation, age, head-model shape, skin,
eyes, hair style and colour, beard, brows, lashes, performance settings) into a JSON-serialisable
dict. ``IdentitySampler.build(params)`` turns them into arrays (textures, strands, proxy offsets,
performance trajectories). Each choice has its own named stream (``seeds.stream(seed, name)``),
so adding an asset later does not shift the numbers any other asset gets, and the same seed
gives bit-identical parameters and arrays on any machine or shard.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from . import defaults as D
from .errors import AssetInputError, check_choice
from .facial_hair import (FacialHairParams, beard_weights, grow_beard, grow_brows, grow_lashes,
                          sample_brow_shape, sample_facial_hair)
from .hair import grow_hair
from .hair_styles import HairParams, sample_hair
from .performance import KINDS, Performance, make_performance
from .pigments import HairColour, IrisColour, _pick, sample_hair_colour, sample_iris
from .proxy import fit_offsets
from .seeds import check_seed, stream
from .skin import SkinParams, sample_skin
from .strands import Strands
from .surface import HeadSurface
from .teeth import mouth_rest_offsets, sample_teeth
from .texture import FaceExtras, SkinTextures, make_textures


@dataclass
class IdentityConfig:
    """What to generate per identity. ``None`` fields are sampled; set them to force a choice.

    Attributes:
        quality: 'preview' or 'render' strand counts (``defaults.HAIR_STRANDS`` etc.).
        texture_size: texture edge in texels. n_frames, fps, performance_kind: the performance.
        sex, fitzpatrick, hair_style, beard_style, hair_colour, iris_colour: forced choices or None.
    """

    quality: str = "preview"
    texture_size: int = D.TEXTURE_SIZE
    n_frames: int = D.PERFORMANCE_FRAMES
    fps: float = D.FPS
    performance_kind: str = "mixed"
    sex: str | None = None
    fitzpatrick: int | None = None
    hair_style: str | None = None
    beard_style: str | None = None
    hair_colour: str | None = None
    iris_colour: str | None = None

    def __post_init__(self):
        check_choice("quality", self.quality, D.HAIR_STRANDS)
        check_choice("performance_kind", self.performance_kind, KINDS)
        if self.sex is not None:
            check_choice("sex", self.sex, D.SEXES)
        if self.fitzpatrick is not None and self.fitzpatrick not in D.FITZPATRICK_ITA:
            raise AssetInputError(f"fitzpatrick: expected 1..6 or None, got {self.fitzpatrick!r}")
        if self.hair_style is not None:
            check_choice("hair_style", self.hair_style, D.HAIR_STYLES)
        if self.beard_style is not None:
            check_choice("beard_style", self.beard_style, D.BEARD_STYLES)


@dataclass
class IdentityAssets:
    """The arrays of one identity (see ``IdentitySampler.build``)."""

    textures: SkinTextures | None
    strands: dict[str, Strands]
    hair_offsets: np.ndarray
    beard_offsets: np.ndarray
    performance: Performance | None
    extra: dict = field(default_factory=dict)
    rest_offsets: np.ndarray | None = None
    """[V, 3] rest-pose offsets (m) of the identity's mouth (``HeadModel.vertices(rest_offsets=)``): its teeth and
    gums, and the inner lip kept inside the mouth's corners (``teeth.commissure_offsets``); or None (template teeth:
    parameters from before teeth were sampled, or no head model)."""
    lid_rest: float = 0.0
    """The identity's resting upper-lid drop (an ``eye_blink`` activation, :func:`lid_rest`): its neutral face is
    ``performance.rest_lids(zeros, names, lid_rest)``, and the performance already holds it."""

    def arrays(self) -> dict[str, np.ndarray]:
        """Flat name -> array dict (for ``np.savez``)."""
        out = {"hair_proxy_offsets": self.hair_offsets, "beard_proxy_offsets": self.beard_offsets}
        if self.textures is not None:
            out.update(albedo=self.textures.albedo, roughness=self.textures.roughness,
                       specular=self.textures.specular)
        for name, grp in self.strands.items():
            out.update(grp.arrays(f"{name}_"))
        if self.performance is not None:
            out.update(self.performance.arrays("performance_"))
        return out


class IdentitySampler:
    """Sample and build identities. ``head_model`` is a ``synthetic.head.HeadModel`` (or None:
    then no shape coefficients are drawn and ``build`` needs an explicit surface and texture maps)."""

    def __init__(self, head_model=None, config: IdentityConfig | None = None):
        self.model = head_model
        self.config = config or IdentityConfig()

    def settings(self) -> dict:
        """Generator settings to record in a dataset manifest (config, format version, model fingerprint)."""
        fp = self.model.fingerprint() if self.model is not None and hasattr(self.model, "fingerprint") else None
        return {"format_version": D.FORMAT_VERSION, "config": asdict(self.config), "head_model": fp}

    # ------------------------------------------------------------------ parameters
    def sample(self, seed: int) -> dict:
        """JSON-serialisable parameters of identity ``seed`` (same seed -> identical dict)."""
        seed = check_seed(seed)
        cfg = self.config
        demo = stream(seed, "demographics")
        sex = cfg.sex or _pick(demo, D.SEXES)
        age = float(demo.uniform(*D.AGE_RANGE))
        shape = None
        if self.model is not None:
            shape = [float(x) for x in self.model.sample_shape(stream(seed, "shape"), sex=sex, age=age)]
        skin = sample_skin(stream(seed, "skin"), cfg.fitzpatrick)
        colour = sample_hair_colour(stream(seed, "hair_colour"), skin.fitzpatrick, age, cfg.hair_colour)
        hair = sample_hair(stream(seed, "hair_style"), sex, colour, cfg.hair_style)
        beard_rng = stream(seed, "facial_hair")
        natural = colour
        if colour.dyed:  # brows, lashes and beard keep a natural colour (own stream: no other draw moves)
            own = sample_hair_colour(stream(seed, "hair_colour", "natural"), skin.fitzpatrick, age, allow_dye=False)
            natural = own.greying_as(colour)
        facial = replace(sample_facial_hair(beard_rng, sex, natural, cfg.beard_style),
                         **sample_brow_shape(stream(seed, "brows", "shape"), sex),
                         colour_rgb=None if natural is colour else natural.preview_rgb)
        shadow = facial.beard_shadow
        if facial.beard_style == "none" and beard_rng.random() < D.STUBBLE_SHADOW_PROBABILITY[sex]:
            shadow = float(beard_rng.uniform(0.1, 0.35))
        skin.stubble_shadow = shadow
        iris = sample_iris(stream(seed, "iris"), skin.fitzpatrick, cfg.iris_colour)
        teeth = sample_teeth(stream(seed, "teeth"), age)
        lids = stream(seed, "eyelids")  # monolids about one in five; deep-set lids fold higher
        crease = 0.0 if lids.random() < D.MONOLID_PROBABILITY else float(lids.uniform(*D.LID_CREASE_MM))
        rest = float(lids.uniform(*D.LID_REST))
        params = {"format_version": D.FORMAT_VERSION, "seed": seed, "sex": sex, "age": age, "shape": shape,
                  "skin": skin.to_json(), "iris": iris.to_json(), "hair": hair.to_json(),
                  "facial_hair": facial.to_json(), "teeth": teeth.to_json(),
                  "eyelids": {"crease_mm": crease, "rest": rest},
                  "performance": {"kind": cfg.performance_kind, "n_frames": int(cfg.n_frames), "fps": float(cfg.fps)},
                  "quality": cfg.quality, "texture_size": int(cfg.texture_size)}
        json.dumps(params)  # fail here, not in a writer, if anything is not JSON-serialisable
        return params

    # ------------------------------------------------------------------ arrays
    def surface(self, params: dict) -> HeadSurface:
        """The identity's neutral head surface (needs a head model)."""
        if self.model is None:
            raise AssetInputError("IdentitySampler.surface: no head model; pass surface= to build()")
        from .head_adapter import surface_from_model

        return surface_from_model(self.model, None if params["shape"] is None else np.asarray(params["shape"]))

    def lid_margins(self, params: dict) -> dict | None:
        """The lid margins of the identity's neutral head from the head model's eye rings: keys ``left_upper``,
        ``left_lower``, ``right_upper``, ``right_lower`` (``facial_hair.lid_curves``' layout), each ``[K, 3]`` (m)
        from the inner (nasal) corner to the outer one; None without a head model."""
        if self.model is None or not hasattr(self.model, "ring"):
            return None
        verts = self.model.vertices(None if params["shape"] is None else np.asarray(params["shape"]))
        out = {}
        for side in ("left", "right"):
            ids = self.model.ring(f"eye_{side}", "margin")
            half = len(ids) // 2  # the ring's first half is the upper lid, the second the lower
            upper, lower = verts[ids[: half + 1]], verts[np.append(ids[half:], ids[0])][::-1]
            if abs(upper[0, 0]) > abs(upper[-1, 0]):  # starts at the outer corner
                upper, lower = upper[::-1], lower[::-1]
            out[f"{side}_upper"], out[f"{side}_lower"] = upper, lower
        return out

    def build(self, params: dict | int, surface: HeadSurface | None = None, texture_maps=None,
              parts: tuple = ("textures", "hair", "beard", "brows", "lashes", "proxy", "performance", "teeth")
              ) -> IdentityAssets:
        """Arrays of one identity from its parameters (or a seed).

        Args:
            params: ``sample(seed)`` output, or the seed itself.
            surface: head surface (default: from the head model and the identity's shape).
            texture_maps: (position_map (H, W, 3), masks dict) (default: the head model's atlas).
            parts: which arrays to make (skip the slow ones in quick previews).
        """
        if not isinstance(params, dict):
            params = self.sample(params)
        seed = check_seed(params["seed"])
        surf = surface if surface is not None else self.surface(params)
        quality = params["quality"]
        skin = SkinParams.from_json(params["skin"])
        hair = HairParams.from_json(params["hair"])
        colour = HairColour(**hair.colour)
        facial = FacialHairParams(**params["facial_hair"])
        iris = IrisColour(**params["iris"])
        margins = self.lid_margins(params) if {"textures", "lashes"} & set(parts) else None
        textures = None
        if "textures" in parts:
            if texture_maps is None:
                if self.model is None:
                    raise AssetInputError("IdentitySampler.build: no head model; pass texture_maps=(pos, masks)")
                from .head_adapter import texture_inputs

                shape = None if params["shape"] is None else np.asarray(params["shape"])
                texture_maps = texture_inputs(self.model, params["texture_size"], shape)
            upper_lids = tuple(v for k, v in (margins or {}).items() if k.endswith("upper"))
            lower_lids = tuple(v for k, v in (margins or {}).items() if k.endswith("lower"))
            brow_rgb = facial.colour_rgb or colour.preview_rgb  # painted brows and stubble: not the dye
            extras = FaceExtras(hair_rgb=tuple(brow_rgb), brow_density=min(facial.brow_density, 1.0),
                                scalp_shadow=hair.scalp_shadow, iris=iris, age=float(params["age"]),
                                tear_lines=lower_lids, lid_lines=upper_lids,
                                crease_mm=float(params.get("eyelids", {}).get("crease_mm", 7.0)),
                                brow_arch_mm=facial.brow_arch_mm, brow_lift_mm=facial.brow_lift_mm,
                                brow_width_mm=facial.brow_width_mm)
            textures = make_textures(skin, texture_maps[0], texture_maps[1], surf.landmarks, extras)
        strands = {}
        if "hair" in parts:
            strands["hair"] = grow_hair(surf, hair, D.HAIR_STRANDS[quality], stream(seed, "hair", "strands"))
        if "beard" in parts:
            strands["beard"] = grow_beard(surf, facial, stream(seed, "beard", "strands"), quality)
        if "brows" in parts:
            strands["brows"] = grow_brows(surf, facial, stream(seed, "brows", "strands"), quality)
        if "lashes" in parts:
            strands["lashes"] = grow_lashes(surf, facial, stream(seed, "lashes", "strands"),
                                            None if surface is not None else margins)
        zeros = np.zeros(len(surf.vertices))
        hair_off, beard_off = zeros, zeros.copy()
        if "proxy" in parts:
            if "hair" in strands and strands["hair"].count:
                hair_off = fit_offsets(surf.vertices, surf.faces, surf.normals, surf.region("scalp"),
                                       strands["hair"].points)
            if "beard" in strands and strands["beard"].count:
                beard_off = fit_offsets(surf.vertices, surf.faces, surf.normals,
                                        beard_weights(surf, facial.beard_style), strands["beard"].points)
        performance = None
        if "performance" in parts:
            perf = params["performance"]
            names = self.model.expression_names if self.model is not None else tuple(D.SEMANTIC_EXPRESSIONS)
            ranges = self.model.expression_ranges if self.model is not None else None
            joints = self.model.joint_names if self.model is not None else ("neck", "head", "jaw", "eye_left",
                                                                            "eye_right")
            performance = make_performance(stream(seed, "performance", "tracks"), names, perf["n_frames"], perf["fps"],
                                           ranges, joints, perf["kind"], lid_rest=lid_rest(params))
        rest_off = mouth_rest_offsets(self.model, params) if "teeth" in parts and self.model is not None else None
        return IdentityAssets(textures, strands, hair_off, beard_off, performance, rest_offsets=rest_off,
                              lid_rest=lid_rest(params))


def lid_rest(params: dict) -> float:
    """The identity's resting upper-lid drop (``eye_blink`` activation in [0, 1], ``defaults.LID_REST``) from its
    parameters; 0 for identities sampled before it existed (their lids rest where the template's do)."""
    return float(params.get("eyelids", {}).get("rest", 0.0))


def sample_identity(seed: int, head_model=None, **config) -> dict:
    """Shortcut: ``IdentitySampler(head_model, IdentityConfig(**config)).sample(seed)``."""
    return IdentitySampler(head_model, IdentityConfig(**config)).sample(seed)


def preview_hair(model, vertices, seed: int, n_strands: int = 4000):
    """Hair for quick previews of a (posed) head: ``(points (S, P, 3) m, linear RGB (3,))``.

    Uses the identity sampler's hair streams for ``seed`` (same style and colour as the dataset).
    """
    from .head_adapter import surface_from_model

    params = IdentitySampler(None).sample(seed)
    hair = HairParams.from_json(params["hair"])
    surface = surface_from_model(model, vertices=vertices)
    strands = grow_hair(surface, hair, n_strands, stream(seed, "hair", "strands"))
    return strands.points, np.asarray(hair.colour["preview_rgb"], float)
