"""Vector quantisation: straight-through gradients, losses, codebook restarts."""

from __future__ import annotations

import torch

from backend.prior.vq import CodeTransformer, VectorQuantizer


def test_straight_through_gradient_and_losses():
    vq = VectorQuantizer(8, 4, beta=0.25, restart_every=0)
    z = torch.randn(2, 4, 3, 3, requires_grad=True)
    q, loss, stats, idx = vq(z)
    # forward: every output vector is a codebook entry, the nearest one
    flat = q.detach().permute(0, 2, 3, 1).reshape(-1, 4)
    torch.testing.assert_close(flat, vq.codebook.detach()[idx.reshape(-1)])
    d = torch.cdist(z.detach().permute(0, 2, 3, 1).reshape(-1, 4), vq.codebook.detach())
    assert torch.equal(idx.reshape(-1), d.argmin(1))
    # backward: the gradient of the output reaches z unchanged (straight through)
    w = torch.randn_like(q)
    (q * w).sum().backward()
    torch.testing.assert_close(z.grad, w)
    # codebook loss moves codes towards z; commitment pulls z (beta) towards the codes
    z2 = z.detach().clone().requires_grad_(True)
    vq.codebook.grad = None
    _, loss, _, _ = vq(z2)
    loss.backward()
    assert vq.codebook.grad.abs().sum() > 0 and z2.grad.abs().sum() > 0
    assert 0 < stats["usage"] <= 1 and stats["perplexity"] >= 1


def test_dead_codes_are_restarted_from_the_batch():
    vq = VectorQuantizer(16, 4, restart_every=5, threshold=0.5)
    vq.train()
    z = torch.randn(1, 4, 4, 4) + 10.0  # far from the initial (tiny) codebook
    vq(z, step=0)  # step 0: every code is unused, so all are re-seeded from z
    flat = z.permute(0, 2, 3, 1).reshape(-1, 4)
    dist = torch.cdist(vq.codebook.detach(), flat).min(1).values
    assert dist.max() < 0.5, "restarted codes must lie on the batch's latents"
    # a code that is never used again becomes dead and is restarted at the next check
    before = vq.codebook.detach().clone()
    vq.usage[3] = 0.0
    vq.usage[[i for i in range(16) if i != 3]] = 1.0
    vq(z, step=5)
    changed = (vq.codebook.detach() != before).any(1)
    assert changed[3] and changed.sum() == 1
    vq.eval()
    before = vq.codebook.detach().clone()
    vq(z, step=10)  # no restarts outside training
    assert torch.equal(before, vq.codebook.detach())


def test_code_transformer_keeps_the_grid_shape():
    t = CodeTransformer(8, 16, layers=1, heads=2)
    q = torch.randn(2, 8, 4, 4)
    assert t(q).shape == q.shape
