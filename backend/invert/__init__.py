"""Few-shot inversion of the SynShot prior (two-stage pivotal tuning) and its from-scratch baseline."""

from .config import InvertConfig
from .invert import InversionResult, invert, stage1_parameters, stage2_parameters
from .select import select_frames
from .stopping import EarlyStopping
from .targets import Targets, targets_from_views

__all__ = ["EarlyStopping", "InversionResult", "InvertConfig", "Targets", "invert", "select_frames",
           "stage1_parameters", "stage2_parameters", "targets_from_views"]
