"""Few-shot inversion against a from-scratch Gaussian baseline, per number K of input views, as one library call that
writes its table, JSON, plot and example images and returns them (``python -m backend eval-inversion`` is a thin
shell over :func:`evaluate_inversion`). The protocol is :mod:`backend.invert.evaluate`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthetic.errors import UserInputError

METRICS = ("psnr", "ssim", "lpips")


@dataclass
class InversionEvaluation:
    """What :func:`evaluate_inversion` measured and wrote into :attr:`out`."""

    out: Path
    """The output folder."""
    table: list[dict[str, Any]]
    """Mean over identities per (K, split, method): ``psnr``, ``ssim``, ``lpips``."""
    markdown: str
    """:attr:`table` as a Markdown table (``eval_inversion.md``)."""
    json: Path
    """``eval_inversion.json``: prior, data, identities, the resolved config, the table and every row."""
    plot: Path
    """``eval_inversion.png``: metric vs K, prior vs baseline."""
    examples: list[Path] = field(default_factory=list)
    """``examples_k<K>.png``: novel views, ground truth | prior | baseline."""


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
                                **{m: sum(v[m] for v in vals) / len(vals) for m in METRICS},
                                "csim": _mean([v.get("csim") for v in vals])})
    return out


def _mean(values: list) -> float | None:
    """Mean of the values that are not None (None when there are none)."""
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def markdown(table: list[dict]) -> str:
    """The table; CSIM (dlib descriptors, avatar vs its inputs at full resolution) where faces were found."""
    lines = ["| K | split | method | PSNR | SSIM | LPIPS | CSIM |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['k']} | {r['split']} | {r['method']} | {r['psnr']:.2f} | {r['ssim']:.4f} | {r['lpips']:.4f} | "
              f"{'-' if r.get('csim') is None else format(r['csim'], '.3f')} |" for r in table]
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


def evaluate_inversion(prior: str | Path, data: str | Path, k: str = "1,2,3,5,8,13", identities: str = "first",
                       novel_frames: int = 3, baseline: bool = True, overrides: list[str] | None = None,
                       out: str | Path | None = None, device: str = "auto", threads: int | None = None,
                       progress=None, config: str = "eval") -> InversionEvaluation:
    """Invert the prior from K views of held-out identities for each K, and score novel views and expressions.

    Args:
        prior: prior run folder or checkpoint file (its recorded split names the held-out identities).
        data: dataset root.
        k: comma list of input-view counts.
        identities: ``first`` (first held-out identity), ``all`` (every held-out one) or a comma list.
        novel_frames: frames not among the inputs to score.
        baseline: also fit a from-scratch Gaussian baseline.
        overrides: :class:`~backend.invert.InvertConfig` settings after ``config``.
        config: an inversion preset (default ``eval``: shorter step budgets) or a JSON file.
        out: output folder (default ``<prior run>/eval_inversion``).
    """
    import torch

    from backend.devices import resolve_device, set_threads
    from backend.invert import InvertConfig
    from backend.invert.evaluate import evaluate_identity, parse_ks
    from backend.prior.checkpoint import load_prior
    from synthetic.atomic import write_atomic, write_json_atomic
    from synthetic.dataset.files import write_png
    from synthetic.dataset.reader import Dataset
    from synthetic.head import HeadModel
    from synthetic.progress import Progress

    progress = progress or Progress("none")
    set_threads(threads)
    prior, data = Path(prior), Path(data)
    ks = parse_ks(k)
    cfg = InvertConfig.load(config, overrides)
    head = HeadModel.load()
    model, _, ckpt = load_prior(prior, resolve_device(device), head)
    ids = held_out(ckpt, Dataset(data).identities, identities)
    out = Path(out) if out is not None else (prior if prior.is_dir() else prior.parent) / "eval_inversion"
    rows, examples, total = [], [], len(ids) * len(ks)
    for i, identity in enumerate(ids):
        for j, kk in enumerate(ks):
            row = evaluate_identity(model, head, data, identity, kk, cfg, novel_frames, baseline, None)
            renders = row.pop("renders")
            if i == 0 and "novel_views" in renders["gt"]:
                cols = [renders["gt"]["novel_views"][:4], renders["prior"]["novel_views"][:4]]
                cols += [renders["baseline"]["novel_views"][:4]] if "baseline" in renders else []
                grid = torch.cat([torch.cat(list(c), 2) for c in cols], 1).permute(1, 2, 0).cpu().numpy()
                examples.append(write_png(out / f"examples_k{kk}.png", grid))
            rows.append(row)
            progress.update("eval-inversion", i * len(ks) + j + 1, total, k=kk,
                            prior_psnr=row["prior"].get("novel_views", {}).get("psnr", float("nan")))
    table = summarise(rows, ks, baseline)
    md = markdown(table)
    write_atomic(out / "eval_inversion.md", lambda p: p.write_text(md))
    js = write_json_atomic(out / "eval_inversion.json", {"prior": ckpt["path"], "data": str(data), "identities": ids,
                                                         "config": cfg.to_dict(), "table": table, "rows": rows})
    return InversionEvaluation(out, table, md, js, plot(out / "eval_inversion.png", table), examples)
