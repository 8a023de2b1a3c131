"""The training loop of the prior: single process, or DDP under ``torchrun`` (nccl on CUDA, gloo on CPU).

A run folder ``RUN`` holds ``config.json`` (the resolved config), ``log.csv`` (step, every loss term, lr, step
time, codebook usage), ``eval.csv`` (held-out metrics at step 0, every ``eval_every`` steps and at the end),
``previews/step_XXXXXX.png`` (rendered rows above ground-truth rows, a training and a held-out identity,
several cameras) and ``checkpoints/last.pt`` (plus ``step_XXXXXX.pt`` when asked).

Resuming is exact: the data a step sees, its random cameras and backgrounds, and the codebook restarts are
functions of (seed, step); model, optimizer, scheduler, AMP scaler and RNG states come from the checkpoint.

Under DDP every rank runs the same steps and evaluates its share of the held-out items (the metrics are summed
over ranks); only rank 0 writes, renders previews and saves, and the other ranks wait for it at a barrier
(``train.dist_timeout_min``) rather than inside the next gradient all-reduce. Buffers are constant (UV grids,
skinning) or kept in sync explicitly (codebook usage), so DDP does not broadcast them each step.
"""

from __future__ import annotations

import csv
import os
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from synthetic.atomic import write_json_atomic
from synthetic.dataset.files import write_png
from synthetic.errors import UserInputError

from .checkpoint import LAST, checkpoint_dir, load_checkpoint, rng_state, save_checkpoint, set_rng_state
from .config import PriorConfig
from .data import PriorDataset, StepSampler, collate
from .evaluate import comparison_image, eval_cameras, evaluate, to_device
from .losses import PriorLoss
from .model import SynShotPrior, render

EVAL_COLUMNS = ["step", "l1", "psnr", "ssim", "lpips", "images"]
LOG_COLUMNS = ["step", "lr", "step_time", "loss", "render_l1", "render_ssim", "render_lpips", "map_l1", "map_ssim",
               "map_lpips", "geom_l1", "reg_d_pos", "reg_d_scale", "reg_d_opacity", "reg_sh_rest", "vq", "grad_norm",
               "usage_id", "usage_exp", "perplexity_id"]


@dataclass
class DistInfo:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def init_distributed(device_name: str, timeout_min: float = 60.0) -> tuple[DistInfo, torch.device]:
    """Join the process group when launched by torchrun (``WORLD_SIZE`` > 1); pick this rank's device.

    ``timeout_min`` bounds every collective and barrier (minutes)."""
    from backend.devices import resolve_device

    world = int(os.environ.get("WORLD_SIZE", "1"))
    info = DistInfo(int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0")))
    device = resolve_device(device_name)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", info.local_rank)
        torch.cuda.set_device(device)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", timeout=timedelta(minutes=timeout_min))
    return info, device


def _append_csv(path: Path, row: dict, columns: list[str]) -> None:
    new = not path.exists()
    with path.open("a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        if new:
            w.writeheader()
        w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})


def _truncate_csv(path: Path, last_step: int) -> None:
    """Drop rows logged after ``last_step`` (steps past the checkpoint, which a resumed run repeats)."""
    if not path.exists():
        return
    with path.open() as f:
        rows = list(csv.reader(f))
    keep = [rows[0]] + [r for r in rows[1:] if r and int(r[0]) <= last_step]
    path.write_text("".join(",".join(r) + "\n" for r in keep))


class Trainer:
    """Builds everything from a config and trains; see the module docstring for the run folder.

    Args:
        cfg: resolved config (ignored when resuming: the checkpoint's config is used).
        data_root: dataset root.
        out: run folder.
        device_name: ``auto``, ``cpu`` or ``cuda``.
        resume: continue from ``out/checkpoints/last.pt``.
        progress: a ``synthetic.progress.Progress`` (rank 0 reports).
        steps: replaces ``optim.steps`` (also of a resumed config), e.g. to train a finished run further.
        time_limit_s: wall-clock budget of this call's training loop (s), or None. The run then ends at the first
            step past it (final eval, preview and checkpoint as at ``optim.steps``; ``--resume`` goes on), and
            the learning-rate milestones are read as fractions of the run: a milestone ``m`` is passed once
            ``max(step / steps, elapsed / time_limit_s) >= m / steps``, so a run cut by time still decays.
        init: a prior (run folder, checkpoint or exported file) whose weights start a new run (fine-tuning, e.g.
            the shipped prior on a larger or newer dataset): same architecture, a head model it matches or
            supersedes; optimizer, scheduler and step start fresh. Not with ``resume``.
    """

    def __init__(self, cfg: PriorConfig, data_root: str | Path, out: str | Path, device_name: str = "auto",
                 resume: bool = False, progress=None, head_model=None, steps: int | None = None,
                 time_limit_s: float | None = None, init: str | Path | None = None) -> None:
        from synthetic.head import HeadModel

        self.out, self.progress = Path(out), progress
        if time_limit_s is not None and time_limit_s <= 0:
            raise UserInputError(f"--time-limit must be positive seconds, not {time_limit_s}")
        self.time_limit_s = time_limit_s
        self.dist, self.device = init_distributed(device_name, cfg.train.dist_timeout_min)
        ckpt = None
        if resume:
            ckpt = load_checkpoint(checkpoint_dir(self.out) / LAST)
            cfg = PriorConfig.from_dict(ckpt["config"], where=f"{ckpt['path']}: config")
        if steps is not None:
            cfg.optim.steps = int(steps)
        self.cfg = cfg
        self.head = head_model or HeadModel.load()
        t = cfg.train
        torch.manual_seed(t.seed)
        split = (ckpt or {}).get("split", {})  # a resumed run keeps its identities even if the dataset grew
        self.train_set = PriorDataset(data_root, cfg.data, "train", self.head, t.seed, True, split.get("train"))
        self.eval_set = None
        if split.get("held-out") != []:
            try:
                self.eval_set = PriorDataset(data_root, cfg.data, "held-out", self.head, t.seed, False,
                                             split.get("held-out"))
            except UserInputError:
                if split.get("held-out"):
                    raise
                # a single identity: no held-out split
        self.model = SynShotPrior(cfg, self.head).to(self.device)
        self.ddp = None
        if self.dist.world > 1:  # constant or explicitly synchronised buffers: no per-step broadcast
            ids = [self.device] if self.device.type == "cuda" else None
            self.ddp = DistributedDataParallel(self.model, device_ids=ids, broadcast_buffers=False)
        o = cfg.optim
        self.opt = torch.optim.Adam(self.model.parameters(), lr=o.lr, betas=tuple(o.betas))
        self.sched = torch.optim.lr_scheduler.MultiStepLR(self.opt, milestones=o.milestones, gamma=o.gamma)
        cuda = self.device.type == "cuda"
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(t.amp) if cuda else None
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)
        self.loss = PriorLoss(cfg.loss, self.device)
        self.step = 0
        self.init_from = None
        if init is not None:
            if resume:
                raise UserInputError("--init starts a new run; --resume continues one: pass one of them")
            self.init_from = self._load_init(init)
        if ckpt is not None:
            self.model.load_state_dict(ckpt["model"])
            self.opt.load_state_dict(ckpt["optimizer"])
            self.sched.load_state_dict(ckpt["scheduler"])
            if ckpt.get("scaler"):
                self.scaler.load_state_dict(ckpt["scaler"])
            set_rng_state(ckpt["rng"])
            self.step = int(ckpt["step"])
            self.init_from = ckpt.get("init_from")
        if self.dist.main:
            self.out.mkdir(parents=True, exist_ok=True)
            write_json_atomic(self.out / "config.json", cfg.to_dict())
            for name in ("log.csv", "eval.csv"):
                _truncate_csv(self.out / name, self.step if resume else -1)

    def _load_init(self, init: str | Path) -> dict:
        """Copy the weights of the prior ``init`` into the model; returns what the checkpoint records of it."""
        src = load_checkpoint(init)
        trained_on = src.get("head_model_fingerprint")
        if trained_on is not None and not (self.head.matches(trained_on) or self.head.supersedes(trained_on)):
            raise UserInputError(f"{src['path']}: --init prior was trained with another head model than this checkout's")
        try:
            self.model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in src["model"].items()})
        except RuntimeError as exc:
            raise UserInputError(f"{src['path']}: --init weights do not fit the config "
                                 f"(the architecture must match; {str(exc)[:160]})") from None
        return {"path": str(src["path"]), "step": int(src["step"]), "head_model_fingerprint": trained_on}

    # ------------------------------------------------------------------ pieces
    def state(self) -> dict:
        split = {"train": self.train_set.identities, "held-out": self.eval_set.identities if self.eval_set else []}
        return {"config": self.cfg.to_dict(), "head_model_fingerprint": self.head.fingerprint(), "step": self.step,
                "split": split, "init_from": self.init_from,
                "model": self.model.state_dict(), "optimizer": self.opt.state_dict(),
                "scheduler": self.sched.state_dict(),
                "scaler": self.scaler.state_dict() if self.scaler.is_enabled() else None, "rng": rng_state()}

    def save(self) -> None:
        if not self.dist.main:
            return
        d = checkpoint_dir(self.out)
        save_checkpoint(d / LAST, self.state())
        if self.cfg.train.keep_checkpoints:
            save_checkpoint(d / f"step_{self.step:06d}.pt", self.state())

    def train_step(self, batch: dict) -> dict[str, float]:
        """One optimisation step on a (device) batch; returns the logged terms."""
        d, o = self.cfg.data, self.cfg.optim
        net = self.ddp or self.model
        out = net(batch, step=self.step, amp_dtype=self.amp_dtype)
        rendered = render(out, batch["K"], batch["w2c"], batch["background"], d.render_width, d.render_height)
        total, terms = self.loss(out, batch, rendered, self.step)
        self.opt.zero_grad(set_to_none=True)
        self.scaler.scale(total).backward()
        if o.grad_clip > 0:
            self.scaler.unscale_(self.opt)
            terms["grad_norm"] = float(torch.nn.utils.clip_grad_norm_(self.model.parameters(), o.grad_clip))
        self.scaler.step(self.opt)
        self.scaler.update()
        self.sched.step()
        terms.update(out.stats)
        return terms

    def fade_texture_colour(self) -> None:
        """The decoded texture's share of the SH DC at this step: ``1 - step / optim.texture_colour_fade`` (floored
        at 0) for a full-SH model (``model.texture_colour`` false) that fades; the model's own value otherwise."""
        fade = self.cfg.optim.texture_colour_fade
        if not self.cfg.model.texture_colour and fade > 0:
            self.model.texture_colour_weight = max(0.0, 1.0 - self.step / fade)

    def lr_by_progress(self, fraction: float) -> float:
        """Learning rate once ``fraction`` (0..1) of the run is done: ``lr * gamma ** (milestones passed)``, the
        milestones read as fractions of ``optim.steps`` (the time-limited schedule)."""
        o = self.cfg.optim
        passed = sum(1 for m in o.milestones if fraction >= m / max(1, o.steps))
        return o.lr * o.gamma**passed

    def run_eval(self) -> dict | None:
        """Held-out metrics, appended to eval.csv by rank 0. A collective under DDP: every rank evaluates its
        share of the items and the sums are reduced, so every rank must call it at the same step."""
        if self.eval_set is None:
            return None
        t = self.cfg.train
        res = evaluate(self.model, self.eval_set, self.device, self.cfg.data.eval_cameras, t.eval_frames, keep=0,
                       distributed=self.dist.world > 1)
        if self.dist.main:
            _append_csv(self.out / "eval.csv", {"step": self.step, **res}, EVAL_COLUMNS)
        return res

    def wait_for_rank0(self) -> None:
        """Under DDP, the other ranks wait here while rank 0 previews or saves (bounded by the group timeout)."""
        if self.dist.world > 1:
            dist.barrier()

    @torch.no_grad()
    def preview(self) -> Path | None:
        """Rendered rows above ground-truth rows: the first training identity and up to two held-out ones,
        at their middle frame, from the evaluation cameras (rank 0)."""
        if not self.dist.main:
            return None
        d, t = self.cfg.data, self.cfg.train
        renders = []
        shown = [(self.train_set, self.train_set.identities[0])]
        if self.eval_set is not None:
            shown += [(self.eval_set, i) for i in self.eval_set.identities[:2]]
        for ds, ident in shown:
            cams = eval_cameras(ds, ident, self.cfg.data.eval_cameras)
            item = min(len(ds.items) - 1, ds.items.index((ident, 0)) + ds.disk.identity(ident).n_frames // 2)
            size = (int(d.render_width * t.preview_scale), int(d.render_height * t.preview_scale))
            batch = to_device(collate([ds.sample(item, cams, random_background=False, size=size)]), self.device)
            was = self.model.training
            self.model.eval()
            out = self.model(batch)
            self.model.train(was)
            pred = render(out, batch["K"], batch["w2c"], batch["background"], *size)[0]
            renders.append((pred.clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy(),
                            batch["images"][0].permute(0, 2, 3, 1).cpu().numpy()))
        image = comparison_image(renders, zoom=max(1, int(round(2 / t.preview_scale))))
        return write_png(self.out / "previews" / f"step_{self.step:06d}.png", image)

    def out_of_time(self, started: float) -> bool:
        """True once the time limit has passed (rank 0's clock, broadcast under DDP so every rank stops at the
        same step)."""
        if self.time_limit_s is None:
            return False
        flag = torch.tensor([float(time.perf_counter() - started >= self.time_limit_s)], device=self.device)
        if self.dist.world > 1:
            dist.broadcast(flag, 0)
        return bool(flag.item())

    # ------------------------------------------------------------------ loop
    def fit(self) -> dict:
        """Train until ``optim.steps``; returns a summary (steps, mean step time, first/last eval)."""
        cfg, t = self.cfg, self.cfg.train
        total = cfg.optim.steps
        sampler = StepSampler(len(self.train_set), cfg.optim.batch_size, total, t.seed, self.step,
                              self.dist.rank, self.dist.world)
        loader = DataLoader(self.train_set, batch_sampler=sampler, collate_fn=collate,
                            num_workers=cfg.data.num_workers, persistent_workers=cfg.data.num_workers > 0)
        self.fade_texture_colour()
        if self.step == 0:
            self.run_eval()
            self.preview()
            self.wait_for_rank0()
        times: list[float] = []
        self.model.train()
        started = time.perf_counter()
        for batch in loader:
            t0 = time.perf_counter()
            if self.time_limit_s is not None:
                done = max(self.step / max(1, total), (t0 - started) / self.time_limit_s)
                for group in self.opt.param_groups:
                    group["lr"] = self.lr_by_progress(done)
            self.fade_texture_colour()
            terms = self.train_step(to_device(batch, self.device))
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            dt = time.perf_counter() - t0
            times.append(dt)
            self.step += 1
            row = {"step": self.step, "lr": self.opt.param_groups[0]["lr"], "step_time": dt, **terms}
            out_of_time = self.out_of_time(started)
            last = self.step == total or out_of_time
            if self.dist.main and (self.step % t.log_every == 0 or last):
                _append_csv(self.out / "log.csv", row, LOG_COLUMNS)
            if self.progress is not None and self.dist.main:
                self.progress.update("train", self.step, total, loss=terms["loss"], s_per_step=dt)
            if self.step % t.eval_every == 0 or last:
                self.run_eval()
            rank0_work = False
            if self.step % t.preview_every == 0 or last:
                self.preview()
                rank0_work = True
            if self.step % t.checkpoint_every == 0 or last:
                self.save()
                rank0_work = True
            if rank0_work:
                self.wait_for_rank0()
            if out_of_time:
                break
        if not (checkpoint_dir(self.out) / LAST).exists():  # e.g. --steps 0: the untrained prior, for baselines
            self.save()
        rows = []
        if self.dist.main and (self.out / "eval.csv").exists():
            with (self.out / "eval.csv").open() as f:
                rows = list(csv.DictReader(f))
        summary = {"steps": self.step, "stopped_by_time_limit": bool(self.time_limit_s) and self.step < total,
                   "step_time_median_s": sorted(times)[len(times) // 2] if times else None,
                   "n_gaussians": self.model.n_gaussians, "first_eval": _plain(rows[0] if rows else None),
                   "last_eval": _plain(rows[-1] if rows else None)}
        if self.dist.main:
            write_json_atomic(self.out / "summary.json", summary)
        return summary


def _plain(d: dict | None) -> dict | None:
    if d is None:
        return None
    return {k: (int(float(v)) if k in ("step", "images") else float(v)) for k, v in d.items() if k in EVAL_COLUMNS}
