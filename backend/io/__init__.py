"""File formats of the backend: 3D Gaussian Splatting PLY (``read_ply``, ``write_ply``)."""

from backend.io.ply import read_ply, write_ply

__all__ = ["read_ply", "write_ply"]
