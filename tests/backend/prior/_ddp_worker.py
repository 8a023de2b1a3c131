"""Run under torchrun by test_prior_train.py: 2 training steps per rank, then each rank saves its parameters."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
import torch.distributed as dist

from backend.prior.config import load_config
from backend.prior.trainer import Trainer


def main() -> None:
    data, out, overrides = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
    torch.set_num_threads(1)
    cfg = load_config("tiny", overrides)
    trainer = Trainer(cfg, data, out, "cpu")
    assert trainer.dist.world == 2 and dist.get_backend() == "gloo"
    trainer.fit()
    params = {k: v.detach().cpu() for k, v in trainer.model.state_dict().items()}
    torch.save(params, out / f"params_rank{trainer.dist.rank}.pt")
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
