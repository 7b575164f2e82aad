"""Text helpers every page section uses: HTML escaping, JSON safe inside <script>, the short
vital names, limit values as the page prints them.

All text from the data or the user goes through `esc` before it reaches the page.
"""

from __future__ import annotations

import html
import json

from monitor.core.vitals import ALL_SPECS, format_value


def esc(s) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def script_json(obj) -> str:
    """JSON safe inside <script>: no '</script>', '<!--', or JS line separators can appear."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=True)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def fmt_lim(vital: str, v) -> str:
    if v is None:
        return ""
    return format_value(vital, v) if vital in ALL_SPECS else f"{v:g}"
