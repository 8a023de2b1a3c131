"""A batch of pinhole cameras in the OpenCV convention, as torch tensors.

``K`` ``[C, 3, 3]`` in pixels, ``w2c`` ``[C, 4, 4]`` world-to-camera (x right, y down, z forward),
image ``width`` x ``height`` in pixels, shared by the batch. Conversions from other frames live in
``synthetic.camera_convert``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from synthetic import camera_convert


@dataclass
class Cameras:
    K: Float[Tensor, "C 3 3"]
    w2c: Float[Tensor, "C 4 4"]
    width: int
    height: int

    def __post_init__(self) -> None:
        if self.K.ndim == 2:
            self.K = self.K[None]
        if self.w2c.ndim == 2:
            self.w2c = self.w2c[None]
        if self.K.ndim != 3 or self.K.shape[1:] != (3, 3):
            raise ValueError(f"Cameras.K must be [C, 3, 3], got {list(self.K.shape)}")
        if self.w2c.ndim != 3 or self.w2c.shape[1:] != (4, 4):
            raise ValueError(f"Cameras.w2c must be [C, 4, 4], got {list(self.w2c.shape)}")
        if self.K.shape[0] != self.w2c.shape[0]:
            raise ValueError(f"Cameras.K has {self.K.shape[0]} cameras but w2c has {self.w2c.shape[0]}")
        if int(self.width) <= 0 or int(self.height) <= 0:
            raise ValueError(f"Cameras need a positive image size, got {self.width}x{self.height}")
        self.width, self.height = int(self.width), int(self.height)

    def __len__(self) -> int:
        return self.K.shape[0]

    def __getitem__(self, index) -> Cameras:
        if isinstance(index, int):
            index = slice(index, index + 1 if index != -1 else None)
        return Cameras(self.K[index], self.w2c[index], self.width, self.height)

    def to(self, *args, **kwargs) -> Cameras:
        return Cameras(self.K.to(*args, **kwargs), self.w2c.to(*args, **kwargs), self.width, self.height)

    @property
    def centers(self) -> Float[Tensor, "C 3"]:
        """Camera centres in world coordinates (m): ``-R^T t``."""
        R = self.w2c[:, :3, :3]
        t = self.w2c[:, :3, 3]
        return -(R.transpose(1, 2) @ t[..., None])[..., 0]

    @staticmethod
    def look_at(
        eyes, target, fov_x_deg: float, width: int, height: int, up=(0.0, 0.0, 1.0), dtype=torch.float32
    ) -> Cameras:
        """Cameras at ``eyes`` ``[C, 3]`` (m) all looking at ``target`` ``[3]`` with one horizontal FOV."""
        eyes = np.atleast_2d(np.asarray(eyes, dtype=np.float64))
        w2c = np.stack([camera_convert.look_at_opencv_w2c(e, target, up) for e in eyes])
        K = np.repeat(camera_convert.intrinsics_from_fov(fov_x_deg, width, height)[None], len(eyes), axis=0)
        return Cameras(torch.as_tensor(K, dtype=dtype), torch.as_tensor(w2c, dtype=dtype), width, height)
