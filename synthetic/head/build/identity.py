"""Identity basis: PCA over a procedural population of anatomically motivated head variations.

Each named field below is one smooth, localized deformation of the template (m, model frame)
whose magnitude is one population standard deviation. An identity of the population is
``sum_i c_i F_i`` with coefficients ``c`` drawn with correlations: three latent factors
(masculinity, age, body weight) load on the fields that co-vary with them in real people
(e.g. masculine -> larger head, stronger brow and jaw, wider neck; weight -> fuller cheeks,
double chin; age -> longer nose, bigger ears, thinner lips, jowls). Random localized bumps add
independent variety, and small left-right differences add asymmetry.

The identity basis is the exact PCA of that population's displacements (sample covariance
of 4000 coefficient draws, computed through a QR of the field matrix instead of a dense
``[V*3, V*3]`` covariance): components are orthonormal as flattened ``V*3`` vectors, sorted by
variance, with their standard deviations in metres.
"""

from __future__ import annotations

import numpy as np

from . import rig, shape
from .fields import gauss, gauss_pair, mirrored_vector, rigidify, scale_about, smoothstep

EYE = shape.EYE_CENTRE


def _fields(p: np.ndarray, n: np.ndarray, skin: np.ndarray, tpl) -> list[tuple[str, np.ndarray, dict]]:
    """Named unit fields ``(name, [V, 3], loadings)``; loadings map latent factor -> correlation."""
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    out: list[tuple[str, np.ndarray, dict]] = []

    def add(name, disp, **load):
        out.append((name, np.asarray(disp, float), load))

    ones = np.ones(len(p))
    cranium = smoothstep(-0.02, 0.04, z) * smoothstep(-0.09, -0.04, y) + smoothstep(0.0, 0.05, y)
    cranium = np.clip(cranium, 0, 1) * smoothstep(-0.06, 0.0, z)
    chin_cut = smoothstep(-0.118, -0.098, z)  # nothing of the face fields reaches the neck
    face = smoothstep(-0.02, -0.06, y) * smoothstep(0.07, 0.03, z) * chin_cut
    # where fields meant for the cheeks, folds and random variety must fade out so as not to move the lips
    # (distance with x shrunk: the lips reach 26 mm sideways from the mouth centre, 10 mm up and down)
    mouth_dist = np.linalg.norm((p - (0.0, -0.095, shape.MOUTH_Z)) * [0.55, 1.0, 1.0], axis=1)
    mouth_guard = smoothstep(0.012, 0.022, mouth_dist)
    lower = smoothstep(-0.02, -0.06, z) * smoothstep(0.03, -0.02, y) * chin_cut
    # --- global size and skull
    add("head_size", scale_about(p, (0, 0, 0), (0.035, 0.035, 0.035), ones), male=0.7, weight=0.15)
    add("skull_width", scale_about(p, (0, 0.0, 0.03), (0.045, 0, 0), cranium), male=0.45)
    add("skull_length", scale_about(p, (0, -0.03, 0.03), (0, 0.05, 0), cranium * smoothstep(-0.03, 0.03, y)))
    add("skull_height", scale_about(p, (0, 0, 0.02), (0, 0, 0.06), smoothstep(0.02, 0.07, z)))
    add("occiput", (0, 0.006, 0.0) * gauss(p, (0, 0.09, 0.03), (0.06, 0.04, 0.04))[:, None])
    add("forehead_slope", (0, 0.007, 0.0) * (gauss(p, (0, -0.07, 0.09), (0.07, 0.04, 0.03)))[:, None])
    add("forehead_height", (0, 0.0, 0.008) * (gauss(p, (0, -0.06, 0.10), (0.08, 0.05, 0.03)))[:, None])
    # --- face proportions
    add("face_width", scale_about(p, (0, 0, 0), (0.05, 0, 0), face * smoothstep(0.05, 0.0, z) + lower * 0.5),
        weight=0.35, male=0.4)
    add("face_height", scale_about(p, (0, -0.07, 0.016), (0, 0, 0.06), face * smoothstep(0.02, -0.02, z)), male=0.3)
    add("lower_face_height", scale_about(p, (0, -0.07, -0.03), (0, 0, 0.09), smoothstep(-0.035, -0.06, z) *
                                          smoothstep(0.0, -0.04, y) * chin_cut), male=0.3)
    add("midface_depth", (0, -0.005, 0) * gauss(p, (0, -0.09, -0.02), (0.045, 0.04, 0.035))[:, None])
    # --- jaw and chin
    add("jaw_width", scale_about(p, (0, -0.03, -0.05), (0.09, 0, 0), lower * smoothstep(-0.04, -0.08, z + 0.0) +
                                 lower * 0.3), male=0.5, weight=0.3)
    add("jaw_angle", mirrored_vector(p, (0.004, 0.002, -0.005)) * gauss_pair(p, (0.052, -0.012, -0.075),
                                                                             (0.018, 0.02, 0.02))[:, None], male=0.5)
    add("chin_forward", (0, -0.006, 0) * gauss(p, (0, -0.09, -0.092), (0.022, 0.03, 0.018))[:, None], male=0.3)
    add("chin_height", (0, 0, -0.006) * gauss(p, (0, -0.085, -0.098), (0.025, 0.03, 0.015))[:, None], male=0.3)
    add("chin_width", scale_about(p, (0, -0.08, -0.09), (0.25, 0, 0), gauss(p, (0, -0.085, -0.09), (0.03, 0.03, 0.02))),
        male=0.45)
    add("chin_cleft", -n * 0.0015 * gauss(p, (0, -0.094, -0.088), (0.0035, 0.01, 0.007))[:, None] * skin[:, None])
    # --- cheeks
    add("cheekbones", n * 0.004 * gauss_pair(p, (0.052, -0.058, 0.002), (0.016, 0.02, 0.012))[:, None], male=0.5)
    add("cheek_fat", n * 0.005 * gauss_pair(p, (0.042, -0.065, -0.028), (0.02, 0.025, 0.022))[:, None],
        weight=0.7, male=-0.2, age=-0.2)
    add("cheek_hollow", -n * 0.004 * gauss_pair(p, (0.052, -0.04, -0.04), (0.015, 0.02, 0.015))[:, None],
        weight=-0.5, age=0.3)
    add("jowls", (0, -0.002, -0.005) * gauss_pair(p, (0.045, -0.06, -0.075), (0.015, 0.02, 0.015))[:, None],
        age=0.6, weight=0.4)
    add("double_chin", (0, -0.008, -0.005) * gauss(p, (0, -0.06, -0.105), (0.03, 0.03, 0.015))[:, None],
        weight=0.7, age=0.3)
    # the fold deepens beside the mouth but leaves its corners where they are (it pulled them 1.8 mm inward)
    add("nasolabial", -n * 0.0025 * (gauss_pair(p, (0.026, -0.088, -0.043), (0.006, 0.01, 0.012)) *
                                     mouth_guard)[:, None], age=0.6)
    # --- brow and eyes
    add("brow_ridge", (0, -0.005, 0.001) * gauss_pair(p, (0.028, -0.09, 0.038), (0.025, 0.02, 0.012))[:, None],
        male=0.6)
    add("brow_height", (0, 0, 0.004) * gauss_pair(p, (0.032, -0.085, 0.033), (0.02, 0.02, 0.01))[:, None], male=-0.3)
    eye_region = gauss_pair(p, EYE, (0.02, 0.025, 0.014))
    add("eye_spacing", mirrored_vector(p, (0.003, 0, 0)) * eye_region[:, None])
    add("eye_height", (0, 0, 0.003) * eye_region[:, None])
    add("eye_depth", (0, 0.004, 0) * gauss_pair(p, EYE, (0.018, 0.03, 0.016))[:, None], male=0.3, age=0.2)
    eye_c = np.where(x[:, None] >= 0, EYE, EYE * [-1, 1, 1])
    add("eye_size", (p - eye_c) * [0.12, 0.0, 0.16] * gauss_pair(p, EYE + [0, -0.01, 0], (0.014, 0.02, 0.009))[:, None])
    add("eye_tilt", mirrored_vector(p, (0, 0, 0.0025)) * (np.abs(x) - EYE[0])[:, None] / 0.015 *
        gauss_pair(p, EYE + [0, -0.01, 0], (0.016, 0.02, 0.01))[:, None])
    add("hooded_lids", (0, -0.0005, -0.0025) * gauss_pair(p, EYE + [0, -0.012, 0.0095], (0.014, 0.02, 0.004))[:, None],
        age=0.5)
    add("under_eye", (0, -0.0015, 0.0) * gauss_pair(p, EYE + [0.003, -0.014, -0.011], (0.012, 0.02, 0.005))[:, None],
        age=0.4, weight=0.2)
    # --- nose
    add("nose_length", (0, -0.002, -0.006) * gauss(p, (0, -0.11, -0.03), (0.02, 0.03, 0.016))[:, None], age=0.3,
        male=0.3)
    add("nose_protrusion", (0, -0.006, 0) * gauss(p, (0, -0.115, -0.022), (0.014, 0.03, 0.018))[:, None], male=0.3)
    add("nose_width", scale_about(p, (0, -0.1, -0.03), (0.16, 0, 0), gauss(p, (0, -0.1, -0.032), (0.022, 0.03, 0.011))),
        male=0.3, weight=0.2)
    add("bridge_height", (0, -0.0035, 0) * gauss(p, (0, -0.1, 0.005), (0.008, 0.03, 0.02))[:, None])
    add("bridge_width", scale_about(p, (0, -0.09, 0), (0.25, 0, 0), gauss(p, (0, -0.095, 0.0), (0.014, 0.03, 0.02))))
    add("nose_hump", (0, -0.002, 0.0) * gauss(p, (0, -0.108, -0.002), (0.006, 0.02, 0.007))[:, None], male=0.3)
    add("tip_size", scale_about(p, (0, -0.11, -0.024), (0.22, 0.1, 0.18), gauss(p, (0, -0.115, -0.025),
                                                                            (0.012, 0.02, 0.01))))
    add("tip_upturn", (0, 0.0, 0.004) * gauss(p, (0, -0.118, -0.026), (0.01, 0.02, 0.008))[:, None], male=-0.3)
    add("nostril_flare", mirrored_vector(p, (0.0025, 0.0, 0.0)) * gauss_pair(p, (0.016, -0.098, -0.032),
                                                                            (0.006, 0.012, 0.008))[:, None])
    # --- mouth and lips
    mouth = gauss(p, (0, -0.095, shape.MOUTH_Z), (0.03, 0.03, 0.016))
    add("mouth_width", scale_about(p, (0, -0.09, shape.MOUTH_Z), (0.12, 0, 0), mouth), male=0.2)
    add("mouth_height", (0, 0, 0.004) * mouth[:, None])
    add("lip_protrusion", (0, -0.004, 0) * mouth[:, None], male=-0.1)
    add("upper_lip_full", _lip_fullness(tpl, True, 0.0016, 0.0013), male=-0.3, age=-0.4)
    add("lower_lip_full", _lip_fullness(tpl, False, 0.0018, 0.0016), male=-0.3, age=-0.4)
    add("philtrum", -n * 0.001 * gauss(p, (0, -0.1, shape.MOUTH_Z + 0.012), (0.003, 0.02, 0.006))[:, None])
    add("mentolabial", -n * 0.0025 * gauss(p, (0, -0.09, shape.MOUTH_Z - 0.02), (0.018, 0.02, 0.005))[:, None])
    # --- ears
    ears = np.isin(np.arange(len(p)), np.concatenate([tpl.parts["ear_left"], tpl.parts["ear_right"]]))
    ear_root = np.where(x[:, None] >= 0, [0.068, 0.01, 0.005], [-0.068, 0.01, 0.005])
    add("ear_size", (p - ear_root) * 0.12 * ears[:, None], age=0.4, male=0.3)
    add("ear_protrusion", mirrored_vector(p, (0.006, 0, 0)) * (np.clip(y - 0.0, 0, None) / 0.03)[:, None] *
        ears[:, None])
    add("ear_height", (0, 0, 0.005) * ears[:, None])
    add("ear_lobe", (0, 0.0, -0.004) * (ears * smoothstep(-0.012, -0.025, z))[:, None], age=0.4)
    # --- neck
    neck = rig.neck_weight(p) * (1.0 - np.isin(np.arange(len(p)), tpl.parts["tongue"]))
    add("neck_width", scale_about(p, (0, 0.02, 0), (0.10, 0.0, 0), neck), male=0.5, weight=0.4)
    add("neck_depth", scale_about(p, (0, 0.01, 0), (0.0, 0.08, 0), neck), male=0.3, weight=0.4)
    add("adams_apple", (0, -0.005, 0) * gauss(p, (0, -0.05, -0.125), (0.01, 0.02, 0.012))[:, None], male=0.7)
    # --- random localized variety (seeded): symmetric and asymmetric bumps on the face
    rng = np.random.default_rng(11)
    face_pts = p[skin & (p[:, 1] < -0.03) & (p[:, 2] > -0.1) & (p[:, 2] < 0.08)]
    # the lids keep their shape against the rigid eyeball: a bump's slope across the opening folded the lid skin
    # over the eye (half-shut eyes, eyeball showing through the lid); the named eye fields shape them instead
    # (distance with x shrunk: the opening reaches 15 mm sideways from the eyeball centre, 6 mm up and down)
    eye_dist = np.linalg.norm((p - np.where(p[:, :1] >= 0, EYE, EYE * [-1, 1, 1])) * [0.75, 1.0, 1.0], axis=1)
    lid_guard = smoothstep(0.014, 0.027, eye_dist)  # generator 12: 13-26 mm let one bump reach the lids' first
    # skin ring at 16 % of the strongest (the brow came forward and the mouth's seal ring moved the bump centres)
    # the same for the lips (mouth_guard): bumps pushed the mouth corners 2 mm apart along the normals and thickened
    # or thinned the vermilion by 1 mm each (mouth 2.5 times as varied as people's); the lip fields shape them
    for i in range(36):
        c = face_pts[rng.integers(len(face_pts))]
        r = rng.uniform(0.02, 0.035)
        amp = rng.uniform(0.0008, 0.0016)
        g = gauss_pair(p, c * [np.sign(c[0]) or 1.0, 1.0, 1.0], (r, r, r))
        if i % 3 == 2:  # one in three is one-sided: asymmetry
            g = gauss(p, c, (r, r, r))
            amp *= 0.6
        add(f"bump_{i:02d}", n * amp * (g * lid_guard * mouth_guard)[:, None] * skin[:, None])
    return out


def _smooth_normals(tpl, normals: np.ndarray, iterations: int = 40) -> np.ndarray:
    """Normals averaged over mesh neighbourhoods (about 1 cm): across the lip crease and the lid
    margins they point forward instead of into the crease, so normal bumps cannot fold the lips."""
    from scipy.sparse import coo_matrix, diags

    f = tpl.faces
    n = len(tpl.vertices)
    i = np.concatenate([f[:, 0], f[:, 1], f[:, 2], f[:, 1], f[:, 2], f[:, 0], np.arange(n)])
    j = np.concatenate([f[:, 1], f[:, 2], f[:, 0], f[:, 0], f[:, 1], f[:, 2], np.arange(n)])
    adj = coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)).tocsr()
    adj.data[:] = 1.0
    avg = diags(1.0 / np.asarray(adj.sum(axis=1)).ravel()) @ adj
    out = normals.copy()
    for _ in range(iterations):
        out = avg @ out
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def _lip_fullness(tpl, upper: bool, forward: float, height: float) -> np.ndarray:
    """Fuller (or thinner) lips along the ring structure: the contact line stays, the vermilion
    pouts ``forward`` (m) and its border moves ``height`` (m) away from the mouth line."""
    ids, roles, t = tpl.rings["mouth"]
    contact, border = roles.index("contact"), roles.index("border")
    side = np.sin(t) > 0 if upper else np.sin(t) < 0
    along = np.clip(1.0 - (np.cos(t) * 1.0) ** 2, 0.0, 1.0) ** 0.5
    out = np.zeros_like(tpl.vertices)
    sign = 1.0 if upper else -1.0
    for k in range(contact, ids.shape[0]):
        f = (k - contact) / (border - contact)
        pout = np.sin(np.pi * min(f, 1.0)) ** 0.8 if f <= 1.0 else 0.0
        lift = min(f, 1.0) * np.exp(-max(f - 1.0, 0.0) * 1.5) if k < ids.shape[0] - 1 else 0.0
        w = along * side
        out[ids[k], 1] -= forward * pout * w
        out[ids[k], 2] += sign * height * lift * w
    return out


#: the population's latent factors, in the order of :func:`build_identity_basis`'s loadings
FACTORS = ("male", "age", "weight")


def build_identity_basis(tpl, normals: np.ndarray, n_components: int = 80, n_population: int = 4000, seed: int = 5):
    """Return ``(basis [V, 3, S], std [S], field_names, factor_model)`` for the template ``tpl``.

    ``basis`` columns are orthonormal as flattened vectors; ``std`` in metres. ``factor_model`` is how the
    population was drawn, so a sampler can condition an identity on sex and age: ``shape_from_fields`` [S, P]
    maps field coefficients (in field standard deviations) to shape coefficients (m), ``field_loadings`` [P, 3]
    are the fields' loadings on :data:`FACTORS`, ``field_unique`` [P] their independent spreads; a population
    member is ``shape_from_fields @ (field_loadings @ f + field_unique * e)`` with ``f``, ``e`` standard normal.
    """
    p = tpl.vertices
    skin = np.zeros(len(p), bool)
    skin[tpl.parts["skin"]] = True
    fields = _fields(p, _smooth_normals(tpl, normals), skin, tpl)
    groups, anchors = _rigid_groups(tpl)
    mats = [_keep_mouth_closed(tpl, rigidify(f * FIELD_SCALE.get(n, 1.0), groups, anchors)).reshape(-1)
            for n, f, _ in fields]
    fmat = np.stack(mats, axis=1)  # [V*3, P]
    names = [f[0] for f in fields]
    # correlated coefficients: three latent factors, each field loads on some
    rng = np.random.default_rng(seed)
    load = np.array([[f[2].get(k, 0.0) for k in FACTORS] for f in fields])  # [P, 3]
    latent = rng.standard_normal((n_population, 3))
    unique = np.sqrt(np.clip(1.0 - np.sum(load**2, axis=1), 0.05, None))
    coef = latent @ load.T + rng.standard_normal((n_population, len(fields))) * unique
    coef -= coef.mean(axis=0)
    cov = coef.T @ coef / (n_population - 1)
    q, r = np.linalg.qr(fmat)
    evals, evecs = np.linalg.eigh(r @ cov @ r.T)
    order = np.argsort(evals)[::-1][:n_components]
    comps = q @ evecs[:, order]  # [V*3, S] orthonormal
    std = np.sqrt(np.maximum(evals[order], 0.0))
    # deterministic signs: the largest entry of each component is positive
    sign = np.sign(comps[np.argmax(np.abs(comps), axis=0), np.arange(comps.shape[1])])
    comps *= sign
    factor_model = {"shape_from_fields": (evecs[:, order] * sign).T @ r, "field_loadings": load,
                    "field_unique": unique}
    return comps.reshape(len(p), 3, -1), std, names, factor_model


#: per-field damping (1 = as written above), set by looking at random samples and by measuring 64 of them against
#: adult norms (``synthetic/head/anthropometry.py``: spreads of mouth width, eye spacing, face height)
FIELD_SCALE = {
    "ear_protrusion": 0.6, "ear_size": 0.7, "ear_height": 0.6, "double_chin": 0.6, "jowls": 0.6,
    "cheek_hollow": 0.6, "cheekbones": 0.7, "cheek_fat": 0.8, "nose_protrusion": 0.6, "nose_length": 0.4,
    "tip_upturn": 0.6, "bridge_height": 0.7, "chin_forward": 0.7, "chin_height": 0.38, "jaw_angle": 0.7,
    "jaw_width": 0.5, "lower_face_height": 0.45, "face_height": 0.5, "forehead_slope": 0.6,
    "forehead_height": 0.6, "brow_ridge": 0.5, "adams_apple": 0.6, "mouth_height": 0.4, "lip_protrusion": 0.6,
    "upper_lip_full": 0.7, "lower_lip_full": 0.7, "midface_depth": 0.7, "skull_height": 0.7,
    "eye_spacing": 0.55, "face_width": 0.55, "head_size": 0.7, "mouth_width": 0.5, "nasolabial": 0.7,
    "eye_depth": 0.6,
}


def _keep_mouth_closed(tpl, disp: np.ndarray) -> np.ndarray:
    """Give the upper and lower halves of the inner lip rings one shared displacement per column,
    so no identity opens the mouth or pushes one lip through the other."""
    ids, roles, t = tpl.rings["mouth"]
    m = len(t)
    partner = (-np.arange(m)) % m  # same x on the other lip
    out = disp.copy()
    for k in range(roles.index("contact") + 1):
        ring = ids[k]
        out[ring] = 0.5 * (disp[ring] + disp[ring[partner]])
    return out


def _rigid_groups(tpl) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Eyeballs and corneas follow their lid margin; each tooth follows the nearest gum vertices."""
    groups, anchors = [], []
    for side in ("left", "right"):
        margin = tpl.ring(f"eye_{side}", "margin")
        groups.append(np.concatenate([tpl.parts[f"eyeball_{side}"], tpl.parts[f"cornea_{side}"]]))
        anchors.append(margin)
    for name, ids in tpl.parts.items():
        if name.startswith("tooth_"):
            gum = tpl.parts["gums_upper" if "_upper_" in name else "gums_lower"]
            c = tpl.vertices[ids].mean(axis=0)
            d = np.linalg.norm(tpl.vertices[gum] - c, axis=1)
            groups.append(ids)
            anchors.append(gum[np.argsort(d)[:8]])
    return groups, anchors
