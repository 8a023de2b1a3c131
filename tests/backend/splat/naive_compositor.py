"""A deliberately naive oracle for the tiled rasterizer: every pixel walks every visible Gaussian
in depth order with plain Python control flow (gsplat's per-pixel kernel logic, one pixel at a time).

Outside a Gaussian's 3.33-sigma box its alpha is below 1/255 for any opacity <= 0.999, so walking
all Gaussians gives the same answer as walking only those binned to the pixel's tile."""

import math

import torch


def naive_composite(means2d, conics, colors, opacities, depths, radii, width, height):
    """One camera: means2d [N,2], conics [N,3], colors [N,D], opacities [N], depths [N], radii [N,2].

    Returns (accum [H,W,D], alpha [H,W,1]) as float64 tensors."""
    order = torch.argsort(depths, stable=True).tolist()
    r = radii.tolist()
    vis = [i for i in order if r[i][0] > 0 and r[i][1] > 0]
    m, co, op = means2d.tolist(), conics.tolist(), opacities.tolist()
    col = colors.double().tolist()
    D = colors.shape[1]
    accum = torch.zeros(height, width, D, dtype=torch.float64)
    alpha_img = torch.zeros(height, width, 1, dtype=torch.float64)
    for y in range(height):
        for x in range(width):
            T = 1.0
            acc = [0.0] * D
            for i in vis:
                dx = x + 0.5 - m[i][0]
                dy = y + 0.5 - m[i][1]
                a, b, c = co[i]
                s = 0.5 * (a * dx * dx + c * dy * dy) + b * dx * dy
                if s < 0:
                    continue
                al = min(0.999, op[i] * math.exp(-s))
                if al < 1.0 / 255.0:
                    continue
                nt = T * (1.0 - al)
                if nt <= 1e-4:
                    break
                for k in range(D):
                    acc[k] += al * T * col[i][k]
                T = nt
            accum[y, x] = torch.tensor(acc, dtype=torch.float64)
            alpha_img[y, x, 0] = 1.0 - T
    return accum, alpha_img
