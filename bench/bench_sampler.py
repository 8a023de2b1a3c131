"""Which identity-code sampler gives people: the autoregressive transformer (Taming, as SynShot) against the
low-rank latent Gaussian, fitted to the same prior's codes of the same people.

For each kind: fit it (``fit_sampler``), draw ``--n`` people, render each from the front (128 px) and measure with
dlib's face-recognition network (``backend.identity``):

- **face found**: share of renders in which mediapipe finds one face (a head that does not read as a face fails);
- **precision / recall** (Kynkaenniemi et al. 2019, k = 3) of the samples' face descriptors against the real
  people's (the same prior's decodings of every identity's own code): a sample counts as realistic when it lies
  within some real person's 3-NN radius; recall is the share of real people some sample covers;
- **novelty**: descriptor distance from each sample to the nearest training person, against the same for real
  people (each to its nearest *other* real person); "copies" is the share of samples nearer to a training person
  than 95 % of real people are to anyone (dlib's own 0.6 "same person" threshold separates nothing here: every
  pair of these renders is under it);
- for the transformer, its validation NLL (nats/token) against a per-position histogram.

Writes ``bench/out/bench_sampler.json`` and one contact sheet per kind (``bench/out/sampler_<kind>.png``).

    python bench/bench_sampler.py --data ROOT [--prior models/reference_prior.pt] [--n 24] [--steps 1500]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench_common import OUT_DIR, write_results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="dataset whose identities the samplers learn from")
    ap.add_argument("--prior", default=None, help="prior (default: the shipped one)")
    ap.add_argument("--n", type=int, default=24, help="people to sample per kind")
    ap.add_argument("--steps", type=int, default=1500, help="transformer steps")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    import numpy as np
    import torch
    from PIL import Image

    from backend.avatar.from_code import avatar_from_indices
    from backend.avatar.sample_people import _render, _tile
    from backend.identity import IdentityModel, face_transforms
    from backend.prior.checkpoint import load_prior
    from backend.prior.sampler_training import SamplerTraining, fit_sampler, load_sampler
    from backend.prior.shipped import prior_or_shipped
    from synthetic.head import HeadModel

    torch.set_num_threads(args.threads)
    head = HeadModel.load()
    prior, _cfg, _ckpt = load_prior(prior_or_shipped(args.prior), "cpu", head)
    ident = IdentityModel.load("cpu")
    zero = np.zeros((1, head.n_expression), np.float32)

    def front(codes) -> list[np.ndarray]:
        return [_render(avatar_from_indices(prior, c, head), zero, np.zeros(1), 128)[0] for c in codes]

    def descriptors(images: list[np.ndarray]) -> tuple[torch.Tensor, np.ndarray]:
        ts = face_transforms(images, "render")
        found = np.array([t is not None for t in ts])
        d = torch.zeros(len(images), 128)
        keep = [i for i, t in enumerate(ts) if t is not None]
        if keep:
            x = torch.as_tensor(np.stack([images[i] for i in keep])).permute(0, 3, 1, 2).float() / 255
            with torch.no_grad():
                d[keep] = ident.embed(x, torch.as_tensor(np.stack([ts[i] for i in keep]), dtype=torch.float32))
        return d, found

    rows, sheets, real = [], {}, None
    for kind in ("latent-gaussian", "autoregressive"):
        path = OUT_DIR / f"sampler_{kind}.pt"
        t0 = time.time()
        s = fit_sampler(args.data, path, args.prior, kind, SamplerTraining(steps=args.steps))
        fit_s = time.time() - t0
        sampler, data = load_sampler(path, prior)
        if real is None:  # the real people: every identity's own code, decoded by the same prior
            codes = data["train_codes"]
            real_imgs = front(codes)
            real_d, real_found = descriptors(real_imgs)
            real = (real_d[real_found], real_found)
        t0 = time.time()
        samples = sampler.sample(args.n, 1.0, None, torch.Generator().manual_seed(0))
        imgs = front(samples)
        sample_s = time.time() - t0
        d, found = descriptors(imgs)
        d = d[found]
        rd = real[0]
        radius = torch.cdist(rd, rd).sort(1).values[:, 3]  # distance to the 3rd nearest other real person
        to_real = torch.cdist(d, rd)
        precision = float((to_real <= radius[None]).any(1).float().mean()) if len(d) else 0.0
        sr = torch.cdist(d, d).sort(1).values[:, min(3, max(len(d) - 1, 0))] if len(d) > 1 else torch.zeros(len(d))
        recall = float((torch.cdist(rd, d) <= sr[None]).any(1).float().mean()) if len(d) else 0.0
        nearest = to_real.min(1).values if len(d) else torch.zeros(0)
        real_nearest = torch.cdist(rd, rd).sort(1).values[:, 1]  # each real person to its nearest other
        copy_below = float(torch.quantile(real_nearest, 0.05))
        rows.append({"sampler": kind, "people": args.n, "face found": float(found.mean()),
                     "precision": precision, "recall": recall,
                     "nearest real (median)": float(nearest.median()) if len(d) else float("nan"),
                     "real to real (median)": float(real_nearest.median()),
                     "copies": float((nearest < copy_below).float().mean()) if len(d) else float("nan"),
                     "val NLL": s.get("val_nll"), "histogram NLL": s.get("position_unigram_val_nll"),
                     "fit s": round(fit_s, 1), "sample+render s": round(sample_s, 1)})  # fmt: skip
        sheets[kind] = OUT_DIR / f"sampler_{kind}.png"
        Image.fromarray(_tile(imgs, 8)).save(sheets[kind])
    notes = (f"real people: {len(real[1])} training identities decoded from their own codes, faces found in "
             f"{real[1].mean():.0%}; sheets: {', '.join(str(p) for p in sheets.values())}")
    write_results("bench_sampler", rows, list(rows[0]), notes)


if __name__ == "__main__":
    main()
