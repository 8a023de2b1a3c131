"""Drivable Gaussian head avatars: a (fine-tuned) SynShot prior plus one person's identity inputs and code."""

from .io import load_avatar, read_avatar_file, save_avatar
from .model import IDENTITY_KEYS, Avatar, AvatarConfig, render_gaussians

__all__ = ["IDENTITY_KEYS", "Avatar", "AvatarConfig", "load_avatar", "read_avatar_file", "render_gaussians",
           "save_avatar"]
