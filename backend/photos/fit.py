"""Fit the head model to 2D face landmarks of several photos of one person: :func:`fit_landmarks`.

Unknowns: the identity ``shape`` ``[S]`` (m, shared by all photos); per photo the ``expression`` ``[E]``
(in [0, 1], jaw opening included: the model turns ``jaw_*`` components into the jaw joint rotation), the
rigid head pose as the camera's world-to-camera (rotation vector + translation, world = head-model frame,
so the model's own neck/head joints stay at zero) and the focal length (square pixels, principal point at
the image centre). Residuals: reprojection of the model's landmarks (:meth:`HeadModel.landmarks`, mediapipe
indices :attr:`HeadModel.landmark_mediapipe`) against the detections in pixels, robust loss (soft L1);
face-oval landmarks are down-weighted (they sit on the silhouette, which slides over the surface as the head
turns); Gaussian priors on shape (``shape / shape_std``), expression and log focal length (the dataset rig's
focal for the image size, :func:`backend.photos.crop.rig_focal_px`). Solved with
``scipy.optimize.least_squares`` (trust-region reflective, bounds on expressions, finite differences with the
block-sparse Jacobian structure), first rigid + focal, then everything.

The model is evaluated only on the vertices the landmarks need (:class:`LandmarkEvaluator`), which makes a
fit of a few photos take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares
from scipy.sparse import lil_matrix
from scipy.spatial.transform import Rotation

from synthetic.head import lbs

from .crop import rig_focal_px

FRONTAL_R = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
"""World-to-camera rotation of a camera in front of the face (looking along +Y; image x = +X, y = -Z)."""


@dataclass(frozen=True)
class FitOptions:
    """Weights of :func:`fit_landmarks`."""

    shape_prior: float = 2.5
    """Weight of the shape prior residual ``shape / shape_std`` (1 = unit Gaussian per component, in units
    of one pixel of landmark residual after the robust loss)."""
    expression_sigma: float = 0.35
    """Prior standard deviation of every expression coefficient (coefficients live in [0, 1])."""
    expression_prior: float = 1.0
    """Weight of the expression prior residual ``expression / expression_sigma``."""
    focal_log_sigma: float = 0.25
    """Prior standard deviation of ``log(f / f_rig)``."""
    focal_prior: float = 1.0
    """Weight of the focal prior residual."""
    oval_weight: float = 0.3
    """Weight of the face-oval (silhouette) landmarks relative to the others."""
    loss_scale_px: float = 2.0
    """Residual size (pixels) where the soft-L1 loss turns from quadratic to linear."""
    max_nfev: int = 60
    """Most function evaluations per stage (each one a Jacobian with sparse finite differences)."""


@dataclass
class LandmarkFit:
    """Result of :func:`fit_landmarks` for N photos.

    Attributes:
        shape: ``[S]`` identity coefficients (m).
        expression: ``[N, E]`` per photo.
        K: ``[N, 3, 3]`` intrinsics (pixels of each photo).
        w2c: ``[N, 4, 4]`` world (head-model frame) -> OpenCV camera.
        projected: ``[N, L, 2]`` model landmarks projected with the fit (pixels; order ``landmark_mediapipe``).
        residual_px: ``[N]`` RMS landmark distance (pixels), all fitted landmarks.
        residual_inner_px: ``[N]`` the same without the face-oval landmarks.
    """

    shape: np.ndarray
    expression: np.ndarray
    K: np.ndarray
    w2c: np.ndarray
    projected: np.ndarray
    residual_px: np.ndarray
    residual_inner_px: np.ndarray


class LandmarkEvaluator:
    """The head model's landmarks ``[L, 3]`` (m) for a shape and expression (zero joint pose), evaluated on
    the few vertices the landmark triangles use; equals ``model.landmarks(model.vertices(shape, expression))``."""

    def __init__(self, model):
        self.model = model
        corners = model.faces[model.landmark_faces]  # [L, 3]
        self.vids, inverse = np.unique(corners, return_inverse=True)
        self.corners = inverse.reshape(corners.shape)
        self.bary = model.landmark_barycentric
        v = self.vids
        self.template = model.template[v]
        self.shape_dirs = np.asarray(model.shape_basis[v], dtype=np.float64)  # [U, 3, S]
        self.expr_dirs = np.asarray(model.expression_basis[v], dtype=np.float64)
        self.pose_dirs = np.asarray(model.pose_basis[v], dtype=np.float64)
        self.weights = model.skin_weights[v]
        jr = model.joint_regressor
        self.joint_template = jr @ model.template
        self.joint_shape = np.einsum("jv,vcs->jcs", jr, model.shape_basis, optimize=True)
        self.joint_expr = np.einsum("jv,vcs->jcs", jr, model.expression_basis, optimize=True)

    def __call__(self, shape: np.ndarray, expression: np.ndarray) -> np.ndarray:
        m = self.model
        v = self.template + self.shape_dirs @ shape + self.expr_dirs @ expression
        joints = self.joint_template + self.joint_shape @ shape + self.joint_expr @ expression
        rot = m.rotations(None, expression)
        feats = lbs.pose_features(rot, m.corrective_joints)
        v = v + self.pose_dirs @ feats
        v = lbs.skin_vertices(v, self.weights, lbs.forward_kinematics(rot, joints, m.joint_parents))
        return np.einsum("lk,lkc->lc", self.bary, v[self.corners])


def oval_mask(model) -> np.ndarray:
    """``[L]`` bool: which of the model's landmarks are on mediapipe's face oval (silhouette)."""
    from mediapipe.python.solutions.face_mesh_connections import FACEMESH_FACE_OVAL

    oval = {i for e in FACEMESH_FACE_OVAL for i in e}
    return np.isin(model.landmark_mediapipe, sorted(oval))


def project(points: np.ndarray, rotvec: np.ndarray, t: np.ndarray, f: float, c: np.ndarray) -> np.ndarray:
    """Pinhole projection of ``[L, 3]`` world points (m) -> ``[L, 2]`` pixels (camera ``R = exp(rotvec)``, ``t``)."""
    pc = points @ Rotation.from_rotvec(rotvec).as_matrix().T + t
    return f * pc[:, :2] / np.maximum(pc[:, 2:3], 1e-6) + c


def _init_camera(points: np.ndarray, target: np.ndarray, f: float, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frontal camera whose projection matches the landmarks' spread and centre: ``(rotvec, t)``."""
    pf = points @ FRONTAL_R.T  # camera-axis coordinates before translation
    spread_model = np.sqrt(((pf[:, :2] - pf[:, :2].mean(0)) ** 2).sum(1).mean())
    spread_img = np.sqrt(((target - target.mean(0)) ** 2).sum(1).mean())
    depth = f * spread_model / max(spread_img, 1e-6)
    centre = (target.mean(0) - c) / f * depth
    t = np.array([centre[0], centre[1], depth]) - pf.mean(0)
    return Rotation.from_matrix(FRONTAL_R).as_rotvec(), t


def fit_landmarks(model, landmarks: list[np.ndarray], sizes: list[tuple[int, int]],
                  options: FitOptions | None = None, evaluator: LandmarkEvaluator | None = None) -> LandmarkFit:
    """Fit shape (shared), expression, rigid pose and focal length (per photo) to detected landmarks.

    Args:
        model: :class:`synthetic.head.HeadModel`.
        landmarks: per photo ``[478, 2+]`` mediapipe landmarks in pixels (x, y; extra columns ignored).
        sizes: per photo ``(width, height)`` pixels (principal point at the centre; focal prior from it).
        options: :class:`FitOptions`.
        evaluator: a prebuilt :class:`LandmarkEvaluator` of ``model`` (built when None).

    Returns:
        :class:`LandmarkFit`.
    """
    opts = options or FitOptions()
    ev = evaluator or LandmarkEvaluator(model)
    n, n_s, n_e = len(landmarks), model.n_shape, model.n_expression
    ids = model.landmark_mediapipe
    targets = [np.asarray(lm, dtype=np.float64)[ids, :2] for lm in landmarks]
    n_l = len(ids)
    w_lm = np.where(oval_mask(model), opts.oval_weight, 1.0)
    w_lm2 = np.repeat(w_lm, 2)
    centres = [np.array([w, h], dtype=np.float64) / 2 for w, h in sizes]
    f_prior = np.array([rig_focal_px((w, h)) for w, h in sizes])
    block = 7 + n_e  # rotvec 3, t 3, log f 1, expression E

    def unpack(x):
        shape = x[:n_s]
        views = x[n_s:].reshape(n, block)
        return shape, views[:, :3], views[:, 3:6], np.exp(views[:, 6]), views[:, 7:]

    def residuals(x):
        shape, rv, tr, f, ex = unpack(x)
        out = []
        for i in range(n):
            pts = ev(shape, ex[i])
            out.append((project(pts, rv[i], tr[i], f[i], centres[i]) - targets[i]).ravel() * w_lm2)
        out.append(opts.shape_prior * shape / model.shape_std)
        out.append((opts.expression_prior / opts.expression_sigma) * ex.ravel())
        out.append((opts.focal_prior / opts.focal_log_sigma) * np.log(f / f_prior))
        return np.concatenate(out)

    # sparsity: view residuals <- shape + own block; priors <- their own parameters
    n_res = n * 2 * n_l + n_s + n * n_e + n
    sp = lil_matrix((n_res, n_s + n * block), dtype=np.int8)
    for i in range(n):
        rows = slice(i * 2 * n_l, (i + 1) * 2 * n_l)
        sp[rows, :n_s] = 1
        sp[rows, n_s + i * block:n_s + (i + 1) * block] = 1
    r0 = n * 2 * n_l
    for k in range(n_s):
        sp[r0 + k, k] = 1
    for i in range(n):
        for k in range(n_e):
            sp[r0 + n_s + i * n_e + k, n_s + i * block + 7 + k] = 1
        sp[r0 + n_s + n * n_e + i, n_s + i * block + 6] = 1

    x = np.zeros(n_s + n * block)
    pts0 = ev(np.zeros(n_s), np.zeros(n_e))
    for i in range(n):
        rv, tr = _init_camera(pts0, targets[i], f_prior[i], centres[i])
        x[n_s + i * block:n_s + i * block + 7] = np.concatenate([rv, tr, [np.log(f_prior[i])]])
        x[n_s + i * block + 7:n_s + (i + 1) * block] = 1e-3
    lo = np.full_like(x, -np.inf)
    hi = np.full_like(x, np.inf)
    for i in range(n):
        lo[n_s + i * block + 7:n_s + (i + 1) * block] = 0.0
        hi[n_s + i * block + 7:n_s + (i + 1) * block] = 1.0
    # stage 1: rigid + focal only (shape and expression frozen at their start)
    rigid = np.zeros_like(x, dtype=bool)
    for i in range(n):
        rigid[n_s + i * block:n_s + i * block + 7] = True
    x_fixed = x.copy()

    def res_rigid(xr):
        full = x_fixed.copy()
        full[rigid] = xr
        return residuals(full)

    sol = least_squares(res_rigid, x[rigid], jac_sparsity=sp[:, np.nonzero(rigid)[0]], loss="soft_l1",
                        f_scale=opts.loss_scale_px, max_nfev=opts.max_nfev, x_scale="jac")
    x[rigid] = sol.x
    # stage 2: everything
    sol = least_squares(residuals, x, jac_sparsity=sp, bounds=(lo, hi), loss="soft_l1", f_scale=opts.loss_scale_px,
                        max_nfev=opts.max_nfev, x_scale="jac")
    shape, rv, tr, f, ex = unpack(sol.x)
    K = np.zeros((n, 3, 3))
    w2c = np.tile(np.eye(4), (n, 1, 1))
    proj = np.zeros((n, n_l, 2))
    res_all, res_inner = np.zeros(n), np.zeros(n)
    inner = ~oval_mask(model)
    for i in range(n):
        K[i] = [[f[i], 0.0, centres[i][0]], [0.0, f[i], centres[i][1]], [0.0, 0.0, 1.0]]
        w2c[i, :3, :3] = Rotation.from_rotvec(rv[i]).as_matrix()
        w2c[i, :3, 3] = tr[i]
        proj[i] = project(ev(shape, ex[i]), rv[i], tr[i], f[i], centres[i])
        d = np.linalg.norm(proj[i] - targets[i], axis=1)
        res_all[i] = np.sqrt((d**2).mean())
        res_inner[i] = np.sqrt((d[inner] ** 2).mean())
    return LandmarkFit(shape.copy(), ex.copy(), K, w2c, proj, res_all, res_inner)
