"""The pieces every figure module uses: the chart's colours, Plotly text escaping, typed arrays,
the one-legend-entry-per-group helper; and reading a figure back (`figure_stats`, `decode`).

Every piece of text that comes from the data or a person goes through `plotly_text`, which escapes
the pseudo-HTML Plotly renders, and the `%` and `$` that would start a Plotly template or LaTeX.
Hover templates are ours only; data text reaches the hover through `customdata`, which Plotly
substitutes without reading templates inside it. Numeric arrays go out as Plotly typed arrays
(base64 float64: exact values, compact, fast to load).
"""

from __future__ import annotations

import base64

import numpy as np

from monitor.core.vitals import short_name

VCOLOR = {
    "hr": "#1a7f37",
    "sbp": "#b2182b",
    "dbp": "#e3635a",
    "map": "#555555",
    "spo2": "#2166ac",
    "temp": "#762a83",
    "rr": "#8c510a",
}
PRGB = {"high": (215, 25, 28), "medium": (230, 149, 0), "low": (28, 159, 191), "technical": (122, 122, 122)}
DOSE_COLOR = "#243c8f"


_PLOTLY_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;", "%": "&#37;", "$": "&#36;"}
_PLOTLY_TABLE = str.maketrans(_PLOTLY_ESCAPES)


def plotly_text(s) -> str:
    """Text shown as typed inside Plotly: no tags, no %{...} templates, no $LaTeX$.

    Plotly decodes numeric character references (&#37;) and &lt; &gt; &amp; after it has split
    the string on tags and substituted templates, so the escaped text displays verbatim.
    Line breaks become <br> (Plotly ignores raw newlines)."""
    text = str(s).translate(_PLOTLY_TABLE)
    return "<br>".join(text.splitlines()) if ("\n" in text or "\r" in text) else text


def typed(a) -> dict:
    """A Plotly typed array (base64 little-endian float64); NaN stays NaN (a gap in a line)."""
    arr = np.ascontiguousarray(np.asarray(a, dtype="<f8"))
    return {"dtype": "f8", "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}


def rgba(priority: str, alpha: float) -> str:
    r, g, b = PRGB[priority]
    return f"rgba({r},{g},{b},{alpha:g})"


class Legend:
    """Shapes in a legend group show one legend entry (the first one's)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, group: str) -> bool:
        if group in self.seen:
            return False
        self.seen.add(group)
        return True


def axis_key(yid: str) -> str:
    return "yaxis" + yid[1:]


def figure_stats(fig: dict | None) -> dict:
    """Counts for tests and the benchmark: traces, shapes, points drawn."""
    if fig is None:
        return {"traces": 0, "shapes": 0, "points": 0}
    pts = 0
    for t in fig["data"]:
        x = t.get("x")
        if isinstance(x, dict):
            pts += len(base64.b64decode(x["bdata"])) // 8
        elif x is not None:
            pts += len(x)
    return {"traces": len(fig["data"]), "shapes": len(fig["layout"]["shapes"]), "points": pts}


def decode(arr) -> np.ndarray:
    """A typed array (or a plain list) back to numpy: for tests."""
    if isinstance(arr, dict):
        return np.frombuffer(base64.b64decode(arr["bdata"]), dtype=arr["dtype"].replace("f", "<f"))
    return np.asarray(arr, dtype=float)


def chart_name(vital: str) -> str:
    """A vital's short name in the chart, where Plotly draws "SpO₂"."""
    return short_name(vital, subscript=True)
