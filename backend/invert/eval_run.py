"""Few-shot inversion against a from-scratch Gaussian baseline, per number K of input views, as one library call that
writes its table, JSON, plot and example images and returns them (``python -m backend eval-inversion`` is a thin
shell over :func:`evaluate_inversion`). The protocol is :mod:`backend.invert.evaluate`'s.
"""

from __future__ import annotations

import sys
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
    """The identities to evaluate: ``first`` / ``all`` of the checkpoint's recorded held-out split, ``held-out``
    (every complete identity of the dataset the prior never trained on) or a comma list of such identities."""
    split = ckpt.get("split") or {}
    if not split.get("held-out"):
        raise UserInputError(f"{ckpt['path']}: the checkpoint records no held-out split")
    trained_on = set(split.get("train", []))
    if choice == "first":
        ids = split["held-out"][:1]
    elif choice == "all":
        ids = list(split["held-out"])
    elif choice == "held-out":
        ids = [i for i in sorted(data_ids) if i not in trained_on]
    else:
        try:
            ids = [int(x) for x in choice.split(",")]
        except ValueError:
            raise UserInputError(f"--identities {choice!r}: expected first, all, held-out or a comma list") from None
        trained = sorted(set(ids) & trained_on)
        if trained:
            raise UserInputError(f"--identities: {trained} were trained on (held-out: {split['held-out']})")
    missing = sorted(set(ids) - set(data_ids))
    if missing:
        raise UserInputError(f"--identities: {missing} not complete in the dataset")
    return ids


def summarise(rows: list[dict], ks: list[int], baseline: bool) -> list[dict]:
    """Mean and standard deviation over identities and seeds per (K, split, method); ``n`` rows each."""
    out = []
    for k in ks:
        for split in ("novel_views", "novel_expressions", "inputs"):
            for method in ("prior", "baseline") if baseline else ("prior",):
                vals = [r[method][split] for r in rows if r["k"] == k and split in r.get(method, {})]
                if vals:
                    row = {"k": k, "split": split, "method": method, "n": len(vals)}
                    for m in (*METRICS, "csim"):
                        mean, std = _mean_std([v.get(m) for v in vals])
                        row[m], row[f"{m}_std"] = mean, std
                    out.append(row)
    return out


def _mean_std(values: list) -> tuple[float | None, float | None]:
    """Mean and (population) standard deviation of the values that are not None (None, None when there are none)."""
    kept = [float(v) for v in values if v is not None]
    if not kept:
        return None, None
    mean = sum(kept) / len(kept)
    return mean, (sum((v - mean) ** 2 for v in kept) / len(kept)) ** 0.5


def markdown(table: list[dict]) -> str:
    """The table as mean ± std over ``n`` (identity, seed) runs; CSIM (dlib descriptors, avatar vs its inputs at
    full resolution) where faces were found."""

    def cell(r: dict, m: str, digits: int) -> str:
        if r.get(m) is None:
            return "-"
        return f"{r[m]:.{digits}f} ± {r[f'{m}_std']:.{digits}f}" if r.get("n", 1) > 1 else f"{r[m]:.{digits}f}"

    lines = ["| K | split | method | n | PSNR | SSIM | LPIPS | CSIM |", "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['k']} | {r['split']} | {r['method']} | {r.get('n', 1)} | {cell(r, 'psnr', 2)} | "
              f"{cell(r, 'ssim', 4)} | {cell(r, 'lpips', 4)} | {cell(r, 'csim', 3)} |" for r in table]
    return "\n".join(lines) + "\n"


def plot(path: Path, table: list[dict]) -> Path:
    """Metric vs K (log axis), prior vs baseline, mean ± std as error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from synthetic.atomic import write_atomic

    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5))
    for row, split in enumerate(("novel_views", "novel_expressions")):
        for col, m in enumerate(METRICS):
            ax = axes[row, col]
            for method, style in (("prior", "o-"), ("baseline", "s--")):
                pts = [(r["k"], r[m], r.get(f"{m}_std") or 0.0) for r in table
                       if r["split"] == split and r["method"] == method]
                if pts:
                    ks, mean, std = zip(*pts)
                    ax.errorbar(ks, mean, yerr=std, fmt=style, capsize=3, label=method)
            ax.set_xscale("log")
            ks_shown = sorted({r["k"] for r in table})
            ax.set_xticks(ks_shown, [str(k) for k in ks_shown])  # plain K labels, not 3 x 10^0
            ax.minorticks_off()
            ax.set_title(f"{split.replace('_', ' ')}: {m.upper()}{' (lower is better)' if m == 'lpips' else ''}")
            ax.set_xlabel("K input views")
            ax.legend()
    fig.tight_layout()
    write_atomic(path, lambda p: fig.savefig(p, dpi=90))
    plt.close(fig)
    return path


BASELINE_CONFIG = ("stage1_steps_per_input", "stage1_min_steps", "stage2_steps_per_input", "stage2_min_steps",
                   "warmup", "ema_decay", "patience", "min_delta", "l1", "ssim", "lpips", "views_per_step",
                   "max_inputs", "render_width", "render_height", "background")
"""The :class:`~backend.invert.InvertConfig` fields the from-scratch baseline depends on (its targets, step budget,
loss and stopping; the seed is the run's). It starts from the prior's untuned identity inputs and grids, never from
the tuned decoders, so two evaluations that differ only in other fields fit the same baseline."""


def evaluate_inversion(prior: str | Path, data: str | Path, k: str = "1,2,3,5,8,13", identities: str = "first",
                       novel_frames: int = 3, baseline: bool = True, overrides: list[str] | None = None,
                       out: str | Path | None = None, device: str = "auto", threads: int | None = None,
                       progress=None, config: str = "eval", seeds: str = "0",
                       baseline_from: str | Path | None = None) -> InversionEvaluation:
    """Invert the prior from K views of held-out identities for each K and seed, and score novel views and
    expressions. Resumable: every finished (identity, K, seed) run is kept in ``out/eval_inversion.rows.json``; a
    second call with the same prior, data and settings skips them (other settings there: one error line, nothing
    overwritten).

    Args:
        prior: prior run folder or checkpoint file (its recorded split names the held-out identities).
        data: dataset root.
        k: comma list of input-view counts.
        identities: ``first``, ``all`` (the recorded held-out split), ``held-out`` (every complete identity the
            prior never trained on) or a comma list.
        seeds: comma list; each seed picks the input cameras (:func:`backend.invert.evaluate.input_camera_order`)
            and seeds the optimisation.
        novel_frames: frames not among the inputs to score.
        baseline: also fit a from-scratch Gaussian baseline.
        overrides: :class:`~backend.invert.InvertConfig` settings after ``config``.
        config: an inversion preset (default ``eval``: shorter step budgets) or a JSON file.
        out: output folder (default ``<prior run>/eval_inversion``).
        baseline_from: an earlier evaluation's folder whose baseline rows are taken instead of fitting the baseline
            again, for every run it has (same data, prior weights, novel frames and :data:`BASELINE_CONFIG`, and
            the same input views; else one error line); the others fit it as usual.
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
    ks, seed_list = parse_ks(k), parse_seeds(seeds)
    cfg = InvertConfig.load(config, overrides)
    head = HeadModel.load()
    model, _, ckpt = load_prior(prior, resolve_device(device), head)
    dataset = Dataset(data)
    ids = held_out(ckpt, dataset.identities, identities)
    out = Path(out) if out is not None else (prior if prior.is_dir() else prior.parent) / "eval_inversion"
    import hashlib

    digest = hashlib.sha256(Path(ckpt["path"]).read_bytes()).hexdigest()[:16]  # the weights, not only their path
    settings = {"prior": str(ckpt["path"]), "prior_sha256": digest, "data": str(data.resolve()),
                "config": cfg.to_dict(), "novel_frames": novel_frames, "baseline": baseline}
    reused = reusable_baselines(Path(baseline_from), settings) if baseline and baseline_from is not None else {}
    note = unscored_expressions({i: dataset.identity(i).n_frames for i in ids}, ks, novel_frames)
    if note:
        print(note, file=sys.stderr)
    partial = out / "eval_inversion.rows.json"
    rows = resume_rows(partial, settings)
    done = {(r["identity"], r["k"], r.get("seed", 0)) for r in rows}
    runs = [(i, kk, sd) for i in ids for kk in ks for sd in seed_list]
    examples = []
    for n, (identity, kk, sd) in enumerate(runs):
        if (identity, kk, sd) in done:
            continue
        earlier = reused.get((identity, kk, sd))
        row = evaluate_identity(model, head, data, identity, kk, cfg, novel_frames, baseline and earlier is None,
                                None, sd)
        if earlier is not None:
            if earlier["inputs"] != row["inputs"]:
                raise UserInputError(f"--baseline-from {baseline_from}: identity {identity}, K = {kk}, seed {sd} "
                                     f"had inputs {earlier['inputs']}, this run {row['inputs']}")
            row.update({key: earlier[key] for key in ("baseline", "baseline_steps", "baseline_seconds")},
                       baseline_from=str(Path(baseline_from).resolve()))
        renders = row.pop("renders")
        if identity == ids[0] and sd == seed_list[0] and "novel_views" in renders["gt"]:
            cols = [renders["gt"]["novel_views"][:4], renders["prior"]["novel_views"][:4]]
            cols += [renders["baseline"]["novel_views"][:4]] if "baseline" in renders else []
            grid = torch.cat([torch.cat(list(c), 2) for c in cols], 1).permute(1, 2, 0).cpu().numpy()
            examples.append(write_png(out / f"examples_k{kk}.png", grid))
        rows.append(row)
        write_json_atomic(partial, {**settings, "rows": rows})
        progress.update("eval-inversion", n + 1, len(runs), k=kk, identity=identity, seed=sd,
                        prior_psnr=row["prior"].get("novel_views", {}).get("psnr", float("nan")))
    wanted = set(runs)  # rows of an earlier, larger call with the same settings stay in the rows file only
    rows = [r for r in rows if (r["identity"], r["k"], r.get("seed", 0)) in wanted]
    table = summarise(rows, ks, baseline)
    md = markdown(table) + (f"\n{note}\n" if note else "")
    write_atomic(out / "eval_inversion.md", lambda p: p.write_text(md))
    js = write_json_atomic(out / "eval_inversion.json", {**settings, "identities": ids, "seeds": seed_list,
                                                         "table": table, "rows": rows})
    examples = examples or sorted(out.glob("examples_k*.png"))
    return InversionEvaluation(out, table, md, js, plot(out / "eval_inversion.png", table), examples)


def unscored_expressions(n_frames: dict[int, int], ks: list[int], novel_frames: int) -> str | None:
    """A line saying which K leave no frame for the novel-expression split (K inputs take K distinct frames, or
    every frame when an identity has no more: :func:`backend.invert.evaluate.split_views`), or None.

    Args:
        n_frames: frames per evaluated identity, ``{identity: N}``.
        ks: the input-view counts asked for.
        novel_frames: frames scored as novel expressions.
    """
    short = [k for k in ks if any(k >= n for n in n_frames.values())]
    if not short:
        return None
    few = sorted({n for n in n_frames.values() if n <= max(short)})
    verb = "take" if len(short) > 1 else "takes"
    return (f"eval-inversion: K = {', '.join(map(str, short))} {verb} every frame of identities with "
            f"{' / '.join(map(str, few))} frames, so novel expressions are not scored there (render those "
            f"identities with --frames {max(ks) + novel_frames} or more to score them)")


def parse_seeds(text: str) -> list[int]:
    """``"0,1,2"`` -> ``[0, 1, 2]`` (distinct, >= 0); one-line error otherwise."""
    try:
        seeds = [int(x) for x in str(text).split(",")]
    except ValueError:
        raise UserInputError(f"--seeds {text!r}: expected a comma list of integers") from None
    if any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise UserInputError(f"--seeds {text!r}: seeds must be distinct and >= 0")
    return seeds


def reusable_baselines(folder: Path, settings: dict) -> dict[tuple[int, int, int], dict]:
    """The baseline rows of the evaluation in ``folder`` (its ``eval_inversion.rows.json``) by (identity, K,
    seed), after checking it fitted the baseline this evaluation would (:data:`BASELINE_CONFIG`); one error line
    otherwise."""
    import json

    path = folder / "eval_inversion.rows.json"
    if not path.is_file():
        raise UserInputError(f"--baseline-from {folder}: no eval_inversion.rows.json there")
    try:
        old = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise UserInputError(f"{path}: not readable JSON") from None
    differs = [key for key in ("data", "prior_sha256", "novel_frames") if old.get(key) != settings[key]]
    differs += [key for key in BASELINE_CONFIG if (old.get("config") or {}).get(key) != settings["config"][key]]
    if differs or not old.get("baseline"):
        why = f"other {', '.join(differs)}" if differs else "no baseline"
        raise UserInputError(f"--baseline-from {folder}: an evaluation with {why}; its baseline is not this one's")
    return {(r["identity"], r["k"], r.get("seed", 0)): r for r in old.get("rows", []) if "baseline" in r}


def resume_rows(path: Path, settings: dict) -> list[dict]:
    """The finished rows of an earlier call with the same ``settings`` (none when ``path`` is absent); a one-line
    error when ``path`` holds another evaluation's rows (nothing is overwritten)."""
    import json

    if not path.is_file():
        return []
    try:
        old = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise UserInputError(f"{path}: not readable JSON; delete it to start the evaluation over") from None
    from synthetic.dataset.files import json_roundtrip

    differs = [key for key in settings if json_roundtrip(old.get(key)) != json_roundtrip(settings[key])]
    if differs:
        raise UserInputError(f"{path}: rows of an evaluation with other {', '.join(differs)}; use another --out "
                             "or delete the file")
    return list(old.get("rows", []))
