"""Main-job stage: new people drawn from the shipped prior with its code sampler
(:func:`backend.avatar.sample_people.sample_people`): a contact sheet and the identity x expression swap grid."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from synthetic.progress import Progress

from .stages import Stage

PEOPLE = 8
SEED = 0


def sample_stage(device: torch.device) -> Stage:
    """Sample :data:`PEOPLE` people; without the shipped prior and sampler the stage says so and shows nothing."""

    def run(folder: Path, progress: Progress) -> dict[str, Any]:
        from backend.avatar.sample_people import sample_people
        from backend.prior.shipped import SHIPPED_PRIOR, SHIPPED_SAMPLER

        missing = [p.name for p in (SHIPPED_PRIOR, SHIPPED_SAMPLER) if not p.is_file()]
        if missing:
            return {"facts": {"skipped": f"this checkout lacks models/{' and models/'.join(missing)}"}}
        people = sample_people(PEOPLE, folder, seed=SEED, device=device.type, progress=progress)
        s = people.summary
        facts = {"people": PEOPLE, "seed": SEED, "temperature": s["temperature"],
                 "tokens shared with the nearest training identity (mean; 1 = a copy)":
                     s["tokens shared with the nearest training identity (mean)"],
                 "the same for real people the sampler never saw": s[
                     "the same for held-out real identities (reference)"]}  # fmt: skip
        return {"facts": facts, "tables": {"Sampled people and their nearest training identity": people.table},
                "images": [f"{folder.name}/{people.people_sheet.name}", f"{folder.name}/{people.swap_grid.name}"]}

    return Stage("08_sample_people", "New people sampled from the prior (front, three-quarter, side) and the "
                 "identity x expression swap grid", run)
