"""Settings of few-shot inversion (SynShot 3.3, two-stage pivotal tuning); one dataclass, documented fields.

Step counts follow the paper's "10 x the number of input frames" with a floor, so a 3-photo inversion still
gets enough steps on CPU: ``steps = max(min_steps, steps_per_input * n_inputs)`` per stage, then early
stopping (after ``warmup`` steps) when an EMA of the loss stops improving.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from synthetic.overrides import resolve_config


@dataclass
class InvertConfig:
    """Two-stage inversion: stage 1 tunes E_id only, stage 2 freezes q_id and tunes decoders + regressors."""

    stage1_steps_per_input: int = 10
    """Stage 1 steps per input view (the paper: 10 x the input frames)."""
    stage1_min_steps: int = 60
    """Stage 1 runs at least this many steps (before early stopping)."""
    stage2_steps_per_input: int = 10
    """Stage 2 steps per input view."""
    stage2_min_steps: int = 150
    """Stage 2 runs at least this many steps (before early stopping)."""
    lr_stage1: float = 3e-4
    """Adam learning rate of E_id in stage 1."""
    lr_stage2: float = 1e-4
    """Adam learning rate of the decoders (D_feat, D_id, D_exp) and the per-part regressors in stage 2. With the
    detail maps on, 1e-4 fits every split better than 2e-4 at the ``eval`` budgets (5 held-out identities, every
    run) and 4e-4 worse (bench/RESULTS.md); the ``plain`` preset's 2e-4 was not re-measured against 1e-4."""
    warmup: int = 30
    """Steps per stage before early stopping may trigger."""
    ema_decay: float = 0.9
    """Decay of the loss EMA early stopping watches."""
    patience: int = 25
    """Stop when the loss EMA has not improved by ``min_delta`` (relative) for this many steps."""
    min_delta: float = 2e-3
    """Relative improvement of the loss EMA that counts as progress."""
    l1: float = 1.0
    """Weight of L1 between rendered and input images (composited over ``background``)."""
    ssim: float = 0.2
    """Weight of (1 - SSIM)."""
    lpips: float = 0.1
    """Weight of LPIPS (AlexNet)."""
    identity: float = 0.1
    """Weight of the identity loss ``1 - cos`` of dlib face descriptors (render vs input; views with a face);
    0 turns it off. Off by itself when face_recognition_models is not installed."""
    identity_every: int = 4
    """Evaluate the identity loss on one step in this many (dlib's network costs ~0.3 s per view on a CPU)."""
    reg: float = 0.01
    """Weight of the prior's L2 regularisers (offsets, scales, opacities, SH degree >= 1) in stage 2."""
    pivot: float = 0.01
    """Weight of the stage-2 locality term keeping Gaussians no input view saw at the stage-1 pivot
    (:mod:`backend.invert.pivot`); 0 turns it off."""
    pivot_view_colour: float = 0.1
    """Weight of the stage-2 term holding every Gaussian's view-dependent colour (SH bands >= 1) at the stage-1
    pivot (:func:`backend.invert.pivot.view_colour_loss`): a few views cannot say how colour changes with
    direction, and left free, one photo's colours went into those bands and painted the sides of the head green
    and purple (bench/RESULTS.md). 0 turns it off; 1 moves the photo's detail into the DC colour at ~1.5 dB of
    input-view PSNR."""
    detail: float = 1.0
    """Scale of the photo detail added to the avatar's colour after stage 1: the back-projected texture's residual
    over the decoded one where a view saw it (:mod:`backend.invert.detail`); 0 turns it off (preset ``plain``).
    With the defaults below the prior beats the from-scratch baseline on PSNR and LPIPS at every K <= 5 on novel
    views and novel expressions (5 held-out identities x 3 seeds, bench/RESULTS.md "Detail maps on by default"),
    where without them it lost on novel-expression LPIPS. The decoders alone then render the person paler: the
    maps carry colour."""
    detail_full_weight: float = 0.216
    """The back-projection's trust in a texel (``cos ** 3`` of the angle the best view saw it at, ramped from the
    foreground's outline, :attr:`synthetic.backproject.BackprojectOptions.trust_edge_px`) from which the photo
    detail is taken whole (0.216: cos 0.6) and stage 2 trains it; less is faded linearly to 0 and held
    (:func:`backend.invert.detail.view_trust`); 0 takes and trains it on every seen texel."""
    detail_size: int = 128
    """UV texels (square) of the avatar's detail maps when ``detail`` or ``lr_feat_detail`` turns them on; 0: the
    prior's map size (64 for the shipped prior, coarser than its 87 x 96 face grid: 128 lowers LPIPS on every
    split)."""
    detail_feather: int = 1
    """Texels over which the photo detail fades out at the edge of what the views saw."""
    lr_detail: float = 3e-3
    """Adam learning rate of the photo detail map in stage 2 (texture units, [-1, 1]); 0 keeps it fixed."""
    lr_feat_detail: float = 0.02
    """Adam learning rate of the avatar's own offset of the decoded feature map in stage 2, on the texels a view
    saw (:mod:`backend.invert.detail`); 0 turns it off. 1e-2 to 3e-2 sharpen the inputs and novel expressions
    (LPIPS), faster rates cost novel-view PSNR."""
    views_per_step: int = 4
    """Input views rendered per step (a random subset when there are more)."""
    max_inputs: int = 20
    """More input views than this are reduced by farthest-point sampling in expression space."""
    render_width: int = 0
    """Render/compare width in px (0 = the prior's training render width)."""
    render_height: int = 0
    """Render/compare height in px (0 = the prior's training render height)."""
    background: float = 1.0
    """Grey level behind the person in targets and renders (1 = white)."""
    seed: int = 0
    """Seed of the per-step view choice."""

    def steps(self, n_inputs: int) -> tuple[int, int]:
        """Step budgets (stage 1, stage 2) for ``n_inputs`` input views."""
        return (max(self.stage1_min_steps, self.stage1_steps_per_input * n_inputs),
                max(self.stage2_min_steps, self.stage2_steps_per_input * n_inputs))

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def load(choice: str | None = None, overrides: list[str] | None = None) -> InvertConfig:
        """The defaults, then the preset ``choice`` (:data:`PRESETS`) or a JSON file, then ``--set`` ``overrides``
        (:func:`synthetic.overrides.resolve_config`); ``UserInputError`` on typos and values that do not convert."""
        return resolve_config(InvertConfig(), PRESETS, choice, overrides)


PLAIN = {"detail": 0.0, "lr_feat_detail": 0.0, "detail_full_weight": 0.0, "detail_size": 0, "lr_stage2": 2e-4}
"""The settings before the detail maps were on by default: the prior's decoders alone colour and place the
Gaussians (an avatar whose colour lives in the decoders, e.g. for ``--resample``)."""

PRESETS: dict[str, dict] = {
    "default": {},
    "eval": {"stage1_min_steps": 20, "stage2_min_steps": 40, "stage1_steps_per_input": 2, "stage2_steps_per_input": 2},
    "plain": PLAIN,
}
"""Named settings: ``default`` (the field defaults), ``eval`` (the shorter step budgets of ``eval-inversion``) and
``plain`` (no detail maps, :data:`PLAIN`)."""
