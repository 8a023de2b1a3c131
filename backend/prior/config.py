"""Configuration of the SynShot prior: one dataclass per component, presets stored as JSON files.

The presets live in ``backend/configs/<name>.json`` (``tiny``, ``small``, ``paper``, ``reference``). A config file holds
the five sections below; missing keys take the dataclass defaults, unknown keys are an error (a typo must
not silently train something else). The resolved config is written into every run folder and checkpoint.

Example::

    cfg = load_config("tiny", overrides=["model.vq=false", "optim.steps=10"])
    cfg.model.feat_channels  # 16
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from synthetic.errors import UserInputError
from synthetic.overrides import apply_mapping, resolve_config

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"
PRESETS = ("tiny", "small", "paper", "reference")


@dataclass
class DataConfig:
    """What one training sample holds and how it is prepared."""

    map_size: int = 64
    """Edge of every UV map (x_tex, x_verts, x_exp, decoded maps), texels."""
    render_width: int = 96
    """Width of the rendered and target images, px (dataset images are area-resampled to it)."""
    render_height: int = 64
    """Height of the rendered and target images, px."""
    cameras_per_sample: int = 2
    """Random dataset cameras rendered per sample and training step."""
    verts_scale_m: float = 0.02
    """x_verts (identity offset from the template, hair proxy included) is divided by this (m)."""
    exp_scale_m: float = 0.01
    """x_exp (expression offset) is divided by this (m)."""
    held_out_fraction: float = 0.2
    """Last fraction of the identities (by index, at least one when there are two or more) never trained on."""
    held_out_identities: list = field(default_factory=list)
    """Identity indices never trained on, ints or ``"a-b"`` ranges (``--set data.held_out_identities=115-127``);
    when given it replaces ``held_out_fraction`` (a grown dataset keeps the held-out set its priors were measured
    on)."""
    random_background: bool = True
    """Composite targets over a random colour per camera in training (forces correct alpha); eval uses white."""
    eval_cameras: list[str] = field(default_factory=lambda: ["cam_00", "cam_03", "cam_06", "cam_09", "cam_16",
                                                              "cam_24"])
    """Cameras of evaluation and previews (names missing in a dataset are skipped; none left = all)."""
    num_workers: int = 0
    """DataLoader worker processes (0 = load in the training process)."""


@dataclass
class ModelConfig:
    """Encoders, VQ, decoders, per-part sampling and regressors."""

    channels: list[int] = field(default_factory=lambda: [32, 64, 64])
    """Encoder widths per level; the latent grid is map_size / 2^(len-1)."""
    id_latent_dim: int = 32
    """n_id: channels of the identity latent z_id (= codebook vector size)."""
    exp_latent_dim: int = 16
    """n_expr: channels of the expression latent z_expr."""
    id_codebook_size: int = 256
    """K of the identity codebook."""
    exp_codebook_size: int = 128
    """K of the expression codebook."""
    vq: bool = True
    """Quantise the latents (False = the "w/o VQ" ablation: continuous latents, no codebook losses)."""
    commitment: float = 0.25
    """beta of the VQ commitment loss."""
    restart_every: int = 50
    """Steps between dead-code checks; codes whose usage EMA fell below ``restart_threshold`` are re-seeded."""
    restart_threshold: float = 0.03
    """Usage EMA (expected hits per step) under which a code counts as dead."""
    transformer_layers: int = 2
    """Layers of the transformer over each code grid (0 = none)."""
    transformer_heads: int = 4
    """Attention heads of that transformer."""
    feat_channels: int = 16
    """F: channels of the decoded feature map x_feat (Table 1: 32, 64, 128)."""
    single_layer: bool = False
    """One Gaussian part for the whole head instead of face + hair (Table 1 "Single Layer")."""
    sampling: bool = True
    """Bilinear densified sampling; False = one Gaussian per valid map texel (Table 1 "No Sampling")."""
    face_density: float = 1.0
    """Face-part samples per map texel along each UV axis (densification)."""
    hair_density: float = 3.0
    """Hair-part samples per map texel along each UV axis (the scalp chart is small in UV)."""
    jitter: float = 0.5
    """Sample-grid jitter in cells (fixed seed); 0 = a regular grid."""
    regressor_channels: int = 32
    """Width of the per-part regressors (4 conv blocks with skips each)."""
    regressor_kernel: int = 3
    """Kernel of the regressor convs on the sample grid (1 = per-Gaussian MLP)."""
    sh_degree: int = 3
    """SH degree of the colour regressor (16 x 3 coefficients)."""
    texture_colour: bool = True
    """SH DC = the decoded texture's colour plus R_color's DC, a residual over the texture (ours); False: R_color
    predicts the full SH from the feature map alone, as SynShot's R_color -> h_r (the texture is then decoded and
    supervised as a map only). See ``optim.texture_colour_fade`` to fine-tune one into the other."""
    offset_scale_m: float = 0.005
    """Position offset delta-phi is this many metres per regressor unit (face part, single layer)."""
    hair_offset_scale_m: float = 0.02
    """The same for the hair part: hair leaves the scalp proxy (ponytails, long hair), skin does not."""
    init_opacity: float = 0.7
    """Opacity every Gaussian starts from (SynShot)."""
    scale_factor: float = 0.7
    """Initial in-plane scale = this x nearest-neighbour distance."""
    normal_scale_ratio: float = 0.3
    """Initial scale along the normal relative to the in-plane scale (surface-like splats)."""


@dataclass
class LossConfig:
    """Loss weights (SynShot's L_color, L_geom and regularisers; the paper gives no values)."""

    render_l1: float = 1.0
    render_ssim: float = 0.2
    render_lpips: float = 0.1
    map_l1: float = 1.0
    """L1 on the decoded texture map."""
    map_ssim: float = 0.2
    """(1 - SSIM) on the decoded maps (texture, and position/expression rescaled to images)."""
    map_lpips: float = 0.05
    """LPIPS on the decoded maps (texture, position, expression rescaled to images)."""
    geom_l1: float = 1.0
    """delta: L1 on the decoded identity positions and expression offsets (normalised units)."""
    reg_offset: float = 0.01
    """L2 on the position offsets delta-phi (regressor units)."""
    reg_scale: float = 0.01
    """L2 on the log-scale offsets."""
    reg_opacity: float = 0.01
    """L2 on the opacity logit offsets."""
    reg_sh: float = 0.01
    """L2 on the SH coefficients of degree >= 1."""
    vq: float = 1.0
    """Weight of the codebook + commitment losses."""
    lpips_every: int = 1
    """Evaluate the LPIPS terms every this many steps only (CPU saving); they are scaled up to compensate."""


@dataclass
class OptimConfig:
    """Adam with multi-step decay."""

    lr: float = 5e-4
    betas: list[float] = field(default_factory=lambda: [0.9, 0.99])
    milestones: list[int] = field(default_factory=lambda: [600, 900])
    """Steps at which the learning rate is multiplied by ``gamma``."""
    gamma: float = 0.66
    steps: int = 1200
    batch_size: int = 2
    """Global batch (split evenly over DDP processes)."""
    grad_clip: float = 1.0
    """Clip the global gradient norm (0 = off)."""
    texture_colour_fade: int = 0
    """With ``model.texture_colour`` false: steps over which the decoded texture's share of the SH DC falls linearly
    from 1 to 0, so a prior trained with the residual colour keeps its colours while R_color learns them (fine-tuning
    it into a full-SH prior; the run must go past the fade). 0 = none (a full-SH run from its first step)."""


@dataclass
class TrainConfig:
    """Seeds, logging, previews, evaluation and checkpoints."""

    seed: int = 0
    log_every: int = 10
    preview_every: int = 200
    preview_scale: float = 2.0
    """Previews render at this multiple of the training render size (Gaussians are 3D; shows more detail)."""
    eval_every: int = 300
    """Held-out evaluation (logged to eval.csv) every this many steps, and at step 0 and the end."""
    eval_frames: int = 4
    """Frames per held-out identity evaluated during training (all frames in eval-prior)."""
    checkpoint_every: int = 200
    keep_checkpoints: bool = False
    """Keep ``checkpoints/step_XXXXXX.pt`` besides ``last.pt``."""
    amp: str = "bf16"
    """Mixed precision on CUDA: ``bf16``, ``fp16`` or ``off`` (CPU always runs fp32)."""
    dist_timeout_min: float = 60.0
    """DDP: how long a rank waits in a collective (minutes). Held-out evaluation runs on every rank; previews and
    checkpoints run on rank 0 while the others wait at a barrier, so this must cover one preview plus one save."""


@dataclass
class PriorConfig:
    """The whole configuration of a prior run."""

    name: str = "tiny"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(data: dict[str, Any], where: str = "config") -> PriorConfig:
        """Build from a (possibly partial) dict; ``UserInputError`` on unknown keys or wrong types."""
        return apply_mapping(PriorConfig(), data, where)

    def validate(self) -> PriorConfig:
        """Raise ``UserInputError`` for settings that cannot work; returns self."""
        d, m, o = self.data, self.model, self.optim
        levels = len(m.channels) - 1
        if d.map_size % (2**levels):
            raise UserInputError(f"config: data.map_size {d.map_size} must be divisible by 2^{levels}")
        if m.sh_degree not in (0, 1, 2, 3):
            raise UserInputError(f"config: model.sh_degree must be 0..3, got {m.sh_degree}")
        if min(d.render_width, d.render_height) < 32:
            raise UserInputError("config: render size must be at least 32 px (LPIPS AlexNet)")
        if self.train.amp not in ("bf16", "fp16", "off"):
            raise UserInputError(f"config: train.amp must be bf16, fp16 or off, got {self.train.amp!r}")
        if o.batch_size < 1 or o.steps < 0:
            raise UserInputError("config: optim.batch_size must be >= 1 and optim.steps >= 0")
        return self


def load_config(name_or_path: str | Path, overrides: list[str] | None = None) -> PriorConfig:
    """A preset name (``tiny``, ``small``, ``paper``: ``backend/configs/<name>.json``) or a JSON file path, plus
    ``--set`` overrides (``section.key=value``), by :func:`synthetic.overrides.resolve_config`; then validated."""
    presets = {name: CONFIG_DIR / f"{name}.json" for name in PRESETS}
    return resolve_config(PriorConfig(), presets, name_or_path, overrides).validate()
