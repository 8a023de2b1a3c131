"""``python -m backend eval-inversion``: few-shot inversion vs. a from-scratch Gaussian baseline, per K inputs.

On held-out identities of the prior's recorded split (see :mod:`backend.invert.evaluate` for the protocol),
writes into ``--out`` (default ``<prior run>/eval_inversion``): ``eval_inversion.md`` (table),
``eval_inversion.json`` (every row), ``eval_inversion.png`` (metric vs K, prior vs baseline) and
``examples_k<K>.png`` (novel views: ground truth | prior | baseline). The default (first held-out identity,
K = 1,2,3,5,8,13, steps 2 x inputs with floors 20 + 40) takes about 10 min on a shared 2-core CPU; raise
``--set stage2_min_steps=...`` and ``--identities all`` for a fuller run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from synthetic.cli_support import IN_DIR, OUT_DIR
from synthetic.errors import UserInputError

NAME = "eval-inversion"
HELP = "evaluate few-shot inversion against a from-scratch baseline on held-out synthetic identities"
EVAL_DEFAULTS = ["stage1_min_steps=20", "stage2_min_steps=40", "stage1_steps_per_input=2",
                 "stage2_steps_per_input=2"]
METRICS = ("psnr", "ssim", "lpips")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prior", type=Path, required=True, help="prior run folder or checkpoint file")
    parser.add_argument("--data", type=IN_DIR, required=True, help="dataset root")
    parser.add_argument("--k", default="1,2,3,5,8,13", help="comma list of input-view counts")
    parser.add_argument("--identities", default="first",
                        help="'first' (first held-out identity), 'all' (every held-out one) or a comma list")
    parser.add_argument("--novel-frames", type=int, default=3, help="frames not among the inputs to score")
    parser.add_argument("--no-baseline", action="store_true", help="skip the from-scratch baseline")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help=f"InvertConfig field (eval defaults: {' '.join(EVAL_DEFAULTS)})")
    parser.add_argument("--out", type=OUT_DIR, default=None, help="output folder")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--threads", type=int, default=None)


def held_out(ckpt: dict, data_ids: list[int], choice: str) -> list[int]:
    split = (ckpt.get("split") or {}).get("held-out")
    if not split:
        raise UserInputError(f"{ckpt['path']}: the checkpoint records no held-out split")
    if choice == "first":
        ids = split[:1]
    elif choice == "all":
        ids = list(split)
    else:
        try:
            ids = [int(x) for x in choice.split(",")]
        except ValueError:
            raise UserInputError(f"--identities {choice!r}: expected first, all or a comma list") from None
        trained = sorted(set(ids) - set(split))
        if trained:
            raise UserInputError(f"--identities: {trained} were trained on (held-out: {split})")
    missing = sorted(set(ids) - set(data_ids))
    if missing:
        raise UserInputError(f"--identities: {missing} not complete in the dataset")
    return ids


def summarise(rows: list[dict], ks: list[int], baseline: bool) -> list[dict]:
    """Mean over identities per (K, split, method)."""
    out = []
    for k in ks:
        for split in ("novel_views", "novel_expressions", "inputs"):
            for method in ("prior", "baseline") if baseline else ("prior",):
                vals = [r[method][split] for r in rows if r["k"] == k and split in r[method]]
                if vals:
                    out.append({"k": k, "split": split, "method": method,
                                **{m: sum(v[m] for v in vals) / len(vals) for m in METRICS}})
    return out


def markdown(table: list[dict]) -> str:
    lines = ["| K | split | method | PSNR | SSIM | LPIPS |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['k']} | {r['split']} | {r['method']} | {r['psnr']:.2f} | {r['ssim']:.4f} | {r['lpips']:.4f} |"
              for r in table]
    return "\n".join(lines) + "\n"


def plot(path: Path, table: list[dict]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from synthetic.atomic import write_atomic

    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5))
    for row, split in enumerate(("novel_views", "novel_expressions")):
        for col, m in enumerate(METRICS):
            ax = axes[row, col]
            for method, style in (("prior", "o-"), ("baseline", "s--")):
                pts = [(r["k"], r[m]) for r in table if r["split"] == split and r["method"] == method]
                if pts:
                    ax.plot(*zip(*pts), style, label=method)
            ax.set_xscale("log")
            ax.set_title(f"{split.replace('_', ' ')}: {m.upper()}{' (lower is better)' if m == 'lpips' else ''}")
            ax.set_xlabel("K input views")
            ax.legend()
    fig.tight_layout()
    write_atomic(path, lambda p: fig.savefig(p, dpi=90))
    plt.close(fig)
    return path


def run(args: argparse.Namespace, progress) -> int:
    import torch

    from backend.devices import resolve_device, set_threads
    from backend.invert import InvertConfig
    from backend.invert.evaluate import evaluate_identity, parse_ks
    from backend.prior.checkpoint import load_prior
    from synthetic.atomic import write_atomic, write_json_atomic
    from synthetic.dataset.files import write_png
    from synthetic.dataset.reader import Dataset
    from synthetic.head import HeadModel


    set_threads(args.threads)
    ks = parse_ks(args.k)
    cfg = InvertConfig.from_overrides(EVAL_DEFAULTS + args.overrides)
    device = resolve_device(args.device)
    head = HeadModel.load()
    prior, _, ckpt = load_prior(args.prior, device, head)
    ids = held_out(ckpt, Dataset(args.data).identities, args.identities)
    out = args.out or ((args.prior if args.prior.is_dir() else args.prior.parent) / "eval_inversion")
    rows, total = [], len(ids) * len(ks)
    for i, identity in enumerate(ids):
        for j, k in enumerate(ks):
            row = evaluate_identity(prior, head, args.data, identity, k, cfg, args.novel_frames,
                                    not args.no_baseline, None)
            renders = row.pop("renders")
            if i == 0 and "novel_views" in renders["gt"]:
                cols = [renders["gt"]["novel_views"][:4], renders["prior"]["novel_views"][:4]]
                cols += [renders["baseline"]["novel_views"][:4]] if "baseline" in renders else []
                grid = torch.cat([torch.cat(list(c), 2) for c in cols], 1).permute(1, 2, 0).cpu().numpy()
                write_png(Path(out) / f"examples_k{k}.png", grid)
            rows.append(row)
            progress.update("eval-inversion", i * len(ks) + j + 1, total, k=k,
                            prior_psnr=row["prior"].get("novel_views", {}).get("psnr", float("nan")))
    table = summarise(rows, ks, not args.no_baseline)
    md = markdown(table)
    write_atomic(Path(out) / "eval_inversion.md", lambda p: p.write_text(md))
    write_json_atomic(Path(out) / "eval_inversion.json", {"prior": ckpt["path"], "data": str(args.data),
                                                          "identities": ids, "config": cfg.to_dict(),
                                                          "table": table, "rows": rows})
    png = plot(Path(out) / "eval_inversion.png", table)
    print(md)
    progress.message(f"eval-inversion: {out}")
    progress.done(out=str(out), plot=str(png), table=json.loads(json.dumps(table)))
    return 0
