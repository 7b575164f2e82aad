"""A braille-dot canvas for the trend charts (numpy only, no Textual).

Each terminal cell holds a 2 x 4 grid of braille dots, so a chart of W x H cells has 2W x 4H
dots. Layers are drawn in order of priority: in each cell the first layer with a dot wins the
cell (its dots and its style), so data always shows over limit lines and markers.
"""

from __future__ import annotations

import numpy as np

# Braille dot bit per (dot row 0-3, dot column 0-1).
_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.int32)


class BrailleCanvas:
    def __init__(self, cols: int, rows: int):
        self.cols, self.rows = max(cols, 1), max(rows, 1)
        self.w, self.h = self.cols * 2, self.rows * 4
        self.layers: list[tuple[np.ndarray, object]] = []

    def layer(self, style: object) -> np.ndarray:
        grid = np.zeros((self.h, self.w), bool)
        self.layers.append((grid, style))
        return grid

    # -- drawing in dot coordinates (x right, y down) ------------------------------------------

    def points(self, grid: np.ndarray, x: np.ndarray, y: np.ndarray, size: int = 1) -> None:
        x = np.rint(np.asarray(x, float)).astype(int)
        y = np.rint(np.asarray(y, float)).astype(int)
        for dx in range(size):
            for dy in range(size):
                xx, yy = x + dx - size // 2, y + dy - size // 2
                ok = (xx >= 0) & (xx < self.w) & (yy >= 0) & (yy < self.h)
                grid[yy[ok], xx[ok]] = True

    def polyline(self, grid: np.ndarray, x: np.ndarray, y: np.ndarray, connect: np.ndarray) -> None:
        """Points, and segments between consecutive points where `connect[i]` (len n - 1)."""
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        self.points(grid, x, y)
        if len(x) < 2:
            return
        seg = np.flatnonzero(connect)
        if not len(seg):
            return
        x0, x1, y0, y1 = x[seg], x[seg + 1], y[seg], y[seg + 1]
        steps = np.maximum(np.abs(x1 - x0), np.abs(y1 - y0)).astype(int) + 1
        steps = np.minimum(steps, self.w + self.h)
        total = int(steps.sum())
        idx = np.repeat(np.arange(len(seg)), steps)
        starts = np.cumsum(steps) - steps
        k = np.arange(total) - np.repeat(starts, steps)
        frac = k / np.maximum(np.repeat(steps - 1, steps), 1)
        px = x0[idx] + (x1 - x0)[idx] * frac
        py = y0[idx] + (y1 - y0)[idx] * frac
        self.points(grid, px, py)

    def hline(self, grid: np.ndarray, y: float, dotted: int = 2) -> None:
        yy = int(round(y))
        if 0 <= yy < self.h:
            grid[yy, ::dotted] = True

    def vline(self, grid: np.ndarray, x: float, dotted: int = 2) -> None:
        xx = int(round(x))
        if 0 <= xx < self.w:
            grid[::dotted, xx] = True

    # -- output --------------------------------------------------------------------------------

    def cells(self) -> tuple[list[str], np.ndarray]:
        """(one string per row, style index per cell: -1 = empty, else the layer's index)."""
        codes = np.zeros((self.rows, self.cols), np.int32)
        owner = np.full((self.rows, self.cols), -1, np.int32)
        for i, (grid, _) in enumerate(self.layers):
            bits = (grid.reshape(self.rows, 4, self.cols, 2) * _BITS[None, :, None, :]).sum(axis=(1, 3))
            take = (owner < 0) & (bits > 0)
            codes[take] = bits[take]
            owner[take] = i
        chars = np.where(codes > 0, codes + 0x2800, 0x20)
        rows = ["".join(map(chr, row)) for row in chars.tolist()]
        return rows, owner

    @property
    def styles(self) -> list[object]:
        return [s for _, s in self.layers]
