"""Fitting an identity-code sampler to the codes a trained prior gives real (rendered) people, and its file.

Two kinds, one interface (``sample(n, temperature, top_k, generator) -> [n, h, w]`` codebook indices):

- ``autoregressive``: :class:`~backend.prior.code_sampler.CodeSampler`, a causal transformer over the indices
  (Taming Transformers, as SynShot); needs many people.
- ``latent-gaussian``: :class:`~backend.prior.latent_gaussian.LatentGaussian`, a low-rank Gaussian over the
  continuous latents before quantisation; what works with ~100 people (``bench/bench_sampler.py`` compares them).

Data: every complete identity of a dataset is encoded by the prior's E_id (:func:`identity_latents`): one latent
``[D, h, w]`` and its codebook indices ``[h, w]`` per person. Identities the prior never trained on are fine (the
sampler learns which codes people get, not the prior's training set), but the prior's held-out identities are kept
for validation. Training is teacher-forced cross-entropy with AdamW; the weights with the lowest validation NLL
are kept (a few hundred people is little data for a transformer: it overfits after a few hundred steps).

File (``torch.save`` of plain containers, ``weights_only``)::

    format "synthheads-code-sampler", version, kind, config (SamplerConfig dict; autoregressive), grid [h, w],
    weights (state dict; transformer parameters and Gaussian basis in float16), prior_codebook (fingerprint of
    the prior's identity codebook), train_codes [N, h, w] int16, summary
"""

from __future__ import annotations

import copy
import hashlib
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from synthetic.atomic import write_atomic
from synthetic.errors import UserInputError
from synthetic.progress import Progress

from .checkpoint import load_versioned
from .code_sampler import CodeSampler, SamplerConfig
from .latent_gaussian import LatentGaussian

FORMAT = "synthheads-code-sampler"
VERSION = 1
KINDS = ("autoregressive", "latent-gaussian")


@dataclass
class SamplerTraining:
    """Optimisation settings of :func:`train_sampler`."""

    steps: int = 3000
    batch_size: int = 16
    lr: float = 3e-4
    weight_decay: float = 0.05
    eval_every: int = 50
    seed: int = 0


def codebook_fingerprint(prior) -> str:
    """Short hash of the prior's identity codebook (float16 bytes): a sampler only fits the prior it was fitted on."""
    book = prior.vq_id.codebook.detach().to("cpu", torch.float16).numpy().tobytes()
    return hashlib.sha256(book).hexdigest()[:16]


@torch.no_grad()
def identity_latents(prior, data: str | Path, head_model, identities: list[int] | None = None,
                     progress: Progress | None = None) -> dict[int, tuple[torch.Tensor, torch.Tensor]]:
    """Per complete identity of the dataset ``data`` (or of ``identities``): the prior's continuous identity latent
    ``[D, h, w]`` and its codebook indices ``[h, w]`` (int64), both on the CPU."""
    from .data import PriorDataset

    ds = PriorDataset(data, prior.cfg.data, "all", head_model, train=False, identities=identities)
    dev = next(prior.parameters()).device
    out = {}
    for i in (progress or Progress("none")).track(ds.identities, stage="encode"):
        maps = ds.identity_maps(i)
        z = prior.identity_latent(*(maps[k][None].to(dev) for k in ("x_tex", "x_verts", "masks")))
        idx = prior.vq_id.lookup(z.permute(0, 2, 3, 1).reshape(-1, z.shape[1])).reshape(z.shape[2:])
        out[int(i)] = (z[0].cpu(), idx.cpu())
    return out


def token_agreement(codes: torch.Tensor, bank: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For each grid of ``codes`` ``[n, h, w]``: the index of the ``bank`` ``[N, h, w]`` grid sharing the most
    tokens (same index at the same place) and that share in [0, 1]. 1 = a copy of a bank person."""
    same = (codes.flatten(1)[:, None] == bank.flatten(1)[None]).float().mean(-1)  # [n, N]
    share, nearest = same.max(1)
    return nearest, share


def train_sampler(train: torch.Tensor, val: torch.Tensor, cfg: SamplerConfig, opt: SamplerTraining | None = None,
                  device: str | torch.device = "cpu",
                  progress: Progress | None = None) -> tuple[CodeSampler, list[dict[str, float]]]:
    """Fit a sampler to ``train`` ``[N, h, w]`` indices; returns the weights of the best validation NLL (on ``val``
    ``[M, h, w]``; the last weights when ``val`` is empty) in eval mode, and the history (step, train and val NLL
    in nats per token)."""
    opt = opt or SamplerTraining()
    if len(train) == 0:
        raise UserInputError("train-sampler: no training identities")
    torch.manual_seed(opt.seed)
    gen = torch.Generator().manual_seed(opt.seed)
    model = CodeSampler(cfg).to(device)
    optim = torch.optim.AdamW(model.parameters(), lr=opt.lr, weight_decay=opt.weight_decay, betas=(0.9, 0.95))
    train, val = train.to(device), val.to(device)
    best, best_val, history, running = None, math.inf, [], []
    progress = progress or Progress("none")
    for step in progress.track(range(1, opt.steps + 1), stage="train"):
        lr = opt.lr * min(1.0, step / 100) * 0.5 * (1 + math.cos(math.pi * step / opt.steps))  # warm-up, cosine
        for group in optim.param_groups:
            group["lr"] = lr
        pick = torch.randint(len(train), (min(opt.batch_size, len(train)),), generator=gen).to(device)
        model.train()
        loss = model.nll(train[pick])
        optim.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()
        running.append(float(loss.detach()))
        if step % opt.eval_every == 0 or step == opt.steps:
            model.eval()
            with torch.no_grad():
                v = float(model.nll(val)) if len(val) else math.nan
            history.append({"step": step, "train_nll": float(np.mean(running)), "val_nll": v})
            running = []
            if not len(val) or v < best_val:
                best_val, best = v, copy.deepcopy(model.state_dict())
    model.load_state_dict(best)
    return model.eval(), history


def save_sampler(path: str | Path, model: CodeSampler | LatentGaussian, prior_codebook: str,
                 train_codes: torch.Tensor, summary: dict[str, Any]) -> Path:
    """Write a sampler of either kind (transformer parameters and the Gaussian's basis in float16) with its training
    codes and summary, atomically."""
    ar = isinstance(model, CodeSampler)
    payload = {
        "format": FORMAT, "version": VERSION, "kind": KINDS[0] if ar else KINDS[1],
        "config": model.cfg.to_dict() if ar else None, "grid": list(train_codes.shape[1:]),
        "weights": {k: v.detach().cpu().half() if (ar and v.is_floating_point()) or k == "basis" else v.detach().cpu()
                    for k, v in model.state_dict().items()},
        "prior_codebook": prior_codebook, "train_codes": train_codes.to(torch.int16).cpu(),
        "summary": {**summary, "created": time.strftime("%Y-%m-%d %H:%M:%S")},
    }  # fmt: skip
    return write_atomic(path, lambda tmp: torch.save(payload, tmp))


def load_sampler(path: str | Path, prior=None,
                 device: str | torch.device = "cpu") -> tuple[CodeSampler | LatentGaussian, dict]:
    """The sampler at ``path`` (eval mode) and its file content; with ``prior``, checks it was fitted to that
    prior's codebook. ``UserInputError`` naming the file for anything wrong."""
    p = Path(path)
    data = load_versioned(p, FORMAT, VERSION, "code sampler")
    kind = data.get("kind")
    if kind not in KINDS:
        raise UserInputError(f"{p}: unknown sampler kind {kind!r} (this code reads {', '.join(KINDS)})")
    try:
        weights = {k: v.float() if v.is_floating_point() else v for k, v in data["weights"].items()}
        if kind == KINDS[0]:
            model = CodeSampler(SamplerConfig(**data["config"]))
        else:
            h, w = data["grid"]
            model = LatentGaussian(weights["mean"], weights["basis"], weights["scales"],
                                   weights["snap.codebook"], h, w)  # fmt: skip
        model.load_state_dict(weights)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise UserInputError(f"{p}: code sampler weights or config do not fit ({str(exc)[:160]})") from None
    if prior is not None:
        if prior.vq_id is None or codebook_fingerprint(prior) != data.get("prior_codebook"):
            raise UserInputError(f"{p}: this sampler was fitted to another prior's codes (codebook differs); "
                                 "fit one with python -m backend train-sampler")
    data["train_codes"] = data["train_codes"].long()
    return model.to(device).eval(), data


def position_unigram_nll(train: torch.Tensor, val: torch.Tensor, codebook_size: int) -> float:
    """Validation NLL (nats per token) of the baseline that draws every token independently from its position's
    training histogram (add-one smoothing): what the sampler must beat to have learnt any structure."""
    flat = train.flatten(1)
    counts = torch.ones(flat.shape[1], codebook_size)
    counts.scatter_add_(1, flat.T.cpu(), torch.ones(flat.T.shape))
    p = counts / counts.sum(1, keepdim=True)
    return float(-torch.log(p.gather(1, val.flatten(1).T.cpu())).mean())


def fit_sampler(data: str | Path, out: str | Path, prior: str | Path | None = None, kind: str = "latent-gaussian",
                opt: SamplerTraining | None = None, cfg_overrides: dict[str, Any] | None = None,
                device: str | torch.device = "cpu", progress: Progress | None = None) -> dict[str, Any]:
    """Encode every complete identity of ``data`` with ``prior`` (default: the shipped one), fit a sampler of
    ``kind`` to all but the prior's held-out identities (kept for validation), write it to ``out`` and return its
    summary."""
    from synthetic.head import HeadModel

    from .checkpoint import load_prior
    from .data import split_identities
    from .shipped import prior_or_shipped

    if kind not in KINDS:
        raise UserInputError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
    opt = opt or SamplerTraining()
    progress = progress or Progress("none")
    started = time.time()
    prior_path = prior_or_shipped(prior)
    head_model = HeadModel.load()
    model, cfg, ckpt = load_prior(prior_path, device, head_model)
    if model.vq_id is None:
        raise UserInputError(f"{prior_path}: this prior has no identity codebook (model.vq is off)")
    people = identity_latents(model, data, head_model, progress=progress)
    ids = sorted(people)
    held = set((ckpt.get("split") or {}).get("held-out", [])) & set(ids)
    if not held:
        held = set(split_identities(ids, cfg.data.held_out_fraction, cfg.data.held_out_identities)[1])
    train_ids, val_ids = [i for i in ids if i not in held], sorted(held)
    if len(train_ids) < 2:
        raise UserInputError(f"{data}: {len(train_ids)} identities outside the prior's held-out split; the sampler "
                             "needs at least 2 to learn from")
    train = torch.stack([people[i][1] for i in train_ids])
    val = torch.stack([people[i][1] for i in val_ids]) if val_ids else train[:0]
    progress.message(f"train-sampler: {kind}, {len(train_ids)} training and {len(val_ids)} validation identities, "
                     f"{train.shape[1]}x{train.shape[2]} tokens, codebook {model.vq_id.size}")
    summary = {"kind": kind, "prior": str(prior_path), "data": str(data), "train_identities": train_ids,
               "val_identities": val_ids, "uniform_nll": math.log(model.vq_id.size),
               "position_unigram_val_nll": position_unigram_nll(train, val, model.vq_id.size) if val_ids else None,
               "val_agreement_mean": round(float(token_agreement(val, train)[1].mean()), 3) if val_ids else None}
    if kind == KINDS[0]:
        scfg = SamplerConfig(model.vq_id.size, int(train.shape[1]), int(train.shape[2]), **(cfg_overrides or {}))
        sampler, history = train_sampler(train, val, scfg, opt, device, progress)
        best = min(history, key=lambda h: h["val_nll"]) if val_ids else history[-1]
        summary.update(steps=opt.steps, best_step=best["step"], val_nll=best["val_nll"], train_nll=best["train_nll"],
                       training=opt.__dict__, history=history)
    else:
        latents = torch.stack([people[i][0] for i in train_ids])
        sampler = LatentGaussian.fit(latents, model.vq_id.codebook.detach().cpu())
        flat = latents.flatten(1).double()
        total = float(((flat - flat.mean(0)) ** 2).sum()) / (len(flat) - 1)  # trace of the covariance
        var = sampler.scales.double() ** 2  # kept components, descending
        summary.update(components=len(var), variance_kept=round(float(var.sum()) / total, 3),
                       variance_top10=round(float(var[:10].sum()) / total, 3))
    summary["seconds"] = round(time.time() - started, 1)
    save_sampler(out, sampler, codebook_fingerprint(model), train, summary)
    return summary
