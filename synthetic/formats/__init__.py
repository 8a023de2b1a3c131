"""Numpy-only file formats shared by the backend and the Blender add-on (one reader and writer per format).

- :mod:`.gem`: the ``.gem`` Gaussian Eigen Model archive;
- :mod:`.ply`: the 3D Gaussian Splatting PLY layout;
- :mod:`.coefficients`: GEM coefficient sequences (``.npy``, ``.npz``, ``.json``, with ``fps``).

The dataset format lives beside them in :mod:`synthetic.dataset`.
"""
