"""Early stopping on an exponential moving average of the loss, after a warm-up (SynShot inversion)."""

from __future__ import annotations

import math


class EarlyStopping:
    """Call :meth:`update` with every step's loss; it returns True once training should stop.

    Stops when, after ``warmup`` updates, the EMA of the loss has not gone below ``(1 - min_delta)`` times its
    best value for ``patience`` consecutive updates.

    Args:
        warmup: updates before stopping may trigger (the EMA still tracks them).
        patience: updates without relative improvement that stop training.
        min_delta: relative improvement that counts.
        decay: EMA decay per update (0 = the raw loss).
    """

    def __init__(self, warmup: int = 30, patience: int = 25, min_delta: float = 2e-3, decay: float = 0.9) -> None:
        self.warmup, self.patience, self.min_delta, self.decay = int(warmup), int(patience), float(min_delta), decay
        self.ema: float | None = None
        self.best = math.inf
        self.since_best = 0
        self.count = 0
        self.stopped_at: int | None = None

    def update(self, loss: float) -> bool:
        self.count += 1
        loss = float(loss)
        self.ema = loss if self.ema is None else self.decay * self.ema + (1 - self.decay) * loss
        if self.ema < self.best * (1 - self.min_delta):
            self.best, self.since_best = self.ema, 0
        else:
            self.since_best += 1
        stop = self.count > self.warmup and self.since_best >= self.patience
        if stop and self.stopped_at is None:
            self.stopped_at = self.count
        return stop
