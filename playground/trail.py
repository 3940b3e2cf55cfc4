"""The weights a run keeps along its path, for the loss landscape's pca directions and its
projected trajectory (playground.landscape). No UI here."""

from __future__ import annotations

import torch

TRAIL_BYTES = 4_000_000  # the weights an app's run keeps for its landscape, per lane


class Trail:
    """The weights at history rows, flattened float32 copies. `cap` bounds how many are kept (or
    `max_bytes` does, for the model's size): when it is passed, every other one goes and later rows
    are kept at twice the spacing, so a long run keeps an even sample of its whole path. Neither:
    every row, as `playground landscape` needs."""

    def __init__(self, cap: int | None = None, max_bytes: int | None = None) -> None:
        self.cap = cap
        self.max_bytes = max_bytes
        self.clear()

    def clear(self) -> None:
        self.rows: list[int] = []
        self.weights: list[torch.Tensor] = []
        self._spacing = 1

    def wants(self, row: int) -> bool:
        """Whether row `row` is one to keep (the run copies its weights only then)."""
        return row % self._spacing == 0

    def add(self, row: int, weights: torch.Tensor) -> None:
        if not self.wants(row):
            return
        if self.cap is None and self.max_bytes is not None:
            self.cap = max(16, self.max_bytes // (weights.element_size() * weights.numel()))
        self.rows.append(row)
        self.weights.append(weights)
        if self.cap is not None and len(self.rows) > self.cap:
            self.rows, self.weights = self.rows[::2], self.weights[::2]
            self._spacing *= 2
