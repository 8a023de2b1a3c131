"""Run under torchrun by test_prior_train.py: a few training steps per rank with held-out evaluation in the loop,
then each rank saves its parameters and rank 0 scores the final model alone (no process group) for comparison."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
import torch.distributed as dist

from backend.prior.config import load_config
from backend.prior.evaluate import evaluate
from backend.prior.trainer import Trainer


def main() -> None:
    data, out, overrides = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
    torch.set_num_threads(1)
    cfg = load_config("tiny", overrides)
    trainer = Trainer(cfg, data, out, "cpu")
    assert trainer.dist.world == 2 and dist.get_backend() == "gloo"
    assert trainer.ddp is not None and trainer.ddp.broadcast_buffers is False  # constant buffers: no broadcasts
    trainer.fit()
    shared = trainer.run_eval()  # a collective: every rank scores its share and gets the reduced means
    (out / f"eval_rank{trainer.dist.rank}.json").write_text(json.dumps({k: shared[k] for k in ("psnr", "images")}))
    params = {k: v.detach().cpu() for k, v in trainer.model.state_dict().items()}
    torch.save(params, out / f"params_rank{trainer.dist.rank}.pt")
    if trainer.dist.main:
        t = trainer.cfg.train
        alone = evaluate(trainer.model, trainer.eval_set, trainer.device, trainer.cfg.data.eval_cameras, t.eval_frames,
                         keep=0)
        (out / "eval_alone.json").write_text(json.dumps({k: alone[k] for k in ("l1", "psnr", "ssim", "lpips",
                                                                                  "images")}))
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
