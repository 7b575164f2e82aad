"""A trend chart drawn with braille dots: series, limit lines, dose and note markers.

Each series is reduced with `minmax_downsample` to about two points per column (every extreme
kept), mapped to dots, and joined where the readings are close enough in time (a gap longer than
the stream's stale limit stays a gap: the chart never draws data that did not come). Cuff
readings are drawn as bigger dots. The strips are cached and rebuilt only when the data, the
window, the size or the time axis (one column's worth of time) moved.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from monitor.core.downsample import minmax_downsample
from monitor.core.timetext import event_time
from monitor.ui import palette
from monitor.ui.canvas import BrailleCanvas
from monitor.ui.views import ChartView

GUTTER = 5  # y-axis labels on the left
MIN_REBUILD_S = 2.0  # new data alone redraws a chart at most this often (tiles show it at once)


def _label(v: float, decimals: int) -> str:
    return f"{v:.{decimals}f}" if decimals else f"{v:.0f}"


class TrendChart(Widget):
    DEFAULT_CSS = "TrendChart { height: 1fr; }"

    def __init__(self, key: str, **kw):
        super().__init__(**kw)
        self.key = key
        self._strips: list[Strip] = []
        self._layout_key: object = None
        self._data_key: object = None
        self._built_at: float | None = None
        self._args: tuple | None = None
        self._title = ""
        self.renders = 0  # how many times the strips were rebuilt (tests, benchmark)

    def show(
        self,
        make_view: Callable[[], ChartView],
        data_key: object,
        window_name: str,
        window: tuple[float, float] | None,
        absolute: bool | None,
        tz,
        decimals: int,
        now: float,
        title: str,
    ) -> None:
        """Rebuild when the window, the size or the time axis (one column) moved, or when the
        chart's own data changed and at least MIN_REBUILD_S passed since the last rebuild."""
        full = f"{title} · {window_name}"
        if full != self._title:
            self._title = full
            self.border_title = full  # (setting it always repaints: only when it changed)
        self._args = (make_view, data_key, window_name, window, absolute, tz, decimals)
        self._rebuild(now)

    def _rebuild(self, now: float | None = None) -> None:
        if self._args is None:
            return
        make_view, data_key, window_name, window, absolute, tz, decimals = self._args
        w, h = self.size.width, self.size.height
        if w <= GUTTER + 2 or h < 2:
            return
        plot_w = w - GUTTER
        if window is not None:
            step = (window[1] - window[0]) / max(plot_w, 1)
            t_col = int(window[1] // step) if step > 0 else 0
        else:
            t_col = None
        layout_key = (window_name, w, h, t_col, window is None)
        if layout_key == self._layout_key and data_key == self._data_key:
            return
        if (
            layout_key == self._layout_key
            and now is not None
            and self._built_at is not None
            and now - self._built_at < MIN_REBUILD_S
        ):
            return  # only new data: wait a little, several readings make one redraw
        self._layout_key, self._data_key = layout_key, data_key
        if now is not None:
            self._built_at = now
        self._strips = self._build(make_view(), w, h, absolute, tz, decimals)
        self.renders += 1
        self.refresh()

    def on_resize(self, event) -> None:
        self._rebuild()

    def render_line(self, y: int) -> Strip:
        if len(self._strips) != self.size.height or (self._strips and self._strips[0].cell_length != self.size.width):
            self._rebuild()  # the layout moved since the last show (a banner line came or went)
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width)

    # -- drawing -------------------------------------------------------------------------------

    def _build(self, view: ChartView, w: int, h: int, absolute, tz, decimals: int) -> list[Strip]:
        rows = h - 1  # the last row is the time axis
        plot_w = w - GUTTER
        dim = Style.parse(palette.DIM)
        if not view.present or rows < 1:
            msg = " waiting for readings"
            return [Strip([Segment(msg[:w].ljust(w), dim)])] + [Strip.blank(w)] * (h - 1)
        canvas = BrailleCanvas(plot_w, rows)
        lo, hi = view.y_range
        span_t = max(view.t1 - view.t0, 1e-9)

        def xs(t):
            return (np.asarray(t) - view.t0) / span_t * (canvas.w - 1)

        def ys(v):
            return (hi - np.asarray(v)) / (hi - lo) * (canvas.h - 1)

        # Layers, first wins a cell: series (newest vital first), then markers, then limits.
        for s in view.series:
            grid = canvas.layer(Style.parse(palette.SERIES.get(s.vital, "white")))
            t, v = minmax_downsample(s.t, s.v, plot_w)
            if not len(t):
                continue
            keep = (t >= view.t0 - s.max_gap) & (t <= view.t1)
            t, v = t[keep], v[keep]
            if not len(t):
                continue
            x, y = xs(t), ys(v)
            connect = np.diff(t) <= max(s.max_gap, span_t / plot_w * 2) if len(t) > 1 else np.zeros(0, bool)
            if s.sparse:
                connect = np.diff(t) <= s.max_gap if len(t) > 1 else connect
                canvas.polyline(grid, x, y, connect)
                inside = x >= 0
                canvas.points(grid, x[inside], y[inside], size=2)
            else:
                canvas.polyline(grid, x, y, connect)
        mark_grid = canvas.layer(Style.parse("#5f5f87"))
        for mark_t, _ in view.markers:
            canvas.vline(mark_grid, float(xs(mark_t)), dotted=4)
        limit_styles = {}
        for value, prio in view.limits:
            style = palette.limit_colour(prio)
            if style not in limit_styles:
                limit_styles[style] = canvas.layer(Style.parse(style))
            canvas.hline(limit_styles[style], float(ys(value)), dotted=3)
        text_rows, owner = canvas.cells()
        styles = cast("list[Style]", canvas.styles)  # the canvas keeps styles opaque (no Rich there)
        # Gutter labels: top and bottom of the scale, and each limit at its row.
        gutter = [" " * GUTTER for _ in range(rows)]
        gstyle = [dim for _ in range(rows)]
        gutter[0] = _label(hi, decimals).rjust(GUTTER - 1) + " "
        if rows > 1:
            gutter[rows - 1] = _label(lo, decimals).rjust(GUTTER - 1) + " "
        for value, prio in sorted(view.limits, key=lambda z: -len(z[1])):
            r = int(round(float(ys(value)))) // 4
            r = min(max(r, 0), rows - 1)
            gutter[r] = _label(value, decimals).rjust(GUTTER - 1) + " "
            gstyle[r] = Style.parse(palette.limit_colour(prio))
        strips = []
        for r in range(rows):
            segs = [Segment(gutter[r][:GUTTER], gstyle[r])]
            line = text_rows[r]
            own = owner[r]
            start = 0
            for c in range(1, plot_w + 1):
                if c == plot_w or own[c] != own[start]:
                    o = int(own[start])
                    segs.append(Segment(line[start:c], styles[o] if o >= 0 else None))
                    start = c
            strips.append(Strip(segs, w))
        strips.append(self._axis(view, w, plot_w, absolute, tz, dim))
        return strips

    def _axis(self, view: ChartView, w: int, plot_w: int, absolute, tz, dim: Style) -> Strip:
        axis = [" "] * plot_w
        styles: list[Style | None] = [dim] * plot_w
        left = event_time(view.t0, absolute, tz, seconds=False)
        right = event_time(view.t1, absolute, tz, seconds=False)
        span_t = max(view.t1 - view.t0, 1e-9)
        marked = set()
        for t, m in view.markers:
            c = int(math.floor((t - view.t0) / span_t * (plot_w - 1) + 0.5))
            if 0 <= c < plot_w:
                axis[c] = m
                styles[c] = Style.parse(palette.MARKER.get(m, "bold"))
                marked.add(c)
        # Time labels where no marker sits (a marker never hides behind a label).
        if len(left) + len(right) + 2 <= plot_w:
            for lab, start in ((left, 0), (right, plot_w - len(right))):
                if not marked & set(range(start, start + len(lab))):
                    axis[start : start + len(lab)] = list(lab)
        segs = [Segment(" " * GUTTER)]
        segs += [Segment(ch, st) for ch, st in zip(axis, styles, strict=True)]
        return Strip(segs, w).simplify()
