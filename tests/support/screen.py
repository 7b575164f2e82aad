"""The screen of a running Textual app as plain text, through Textual's public screenshot export.

`App.export_screenshot()` gives the SVG a person would look at; its text elements carry each
run of characters with its line and its x position in cells, so the text is read back from it
without touching Textual's private compositor.
"""

from __future__ import annotations

import html
import re

from rich.cells import cell_len

# Rich's SVG export: font size 20, cells 0.61 of it wide (rich/console.py, export_svg).
_CHAR_WIDTH = 20 * 0.61
_TEXT = re.compile(
    r'<text class="[^"]*" x="([0-9.]+)" y="[0-9.]+" textLength="[0-9.]+" '
    r'clip-path="url\(#[^)]*-line-(\d+)\)">(.*?)</text>'
)


def screen_text(app) -> str:
    """The screen as plain text (what a person reads), the screens beneath a modal included."""
    width, height = app.size
    lines = [""] * height
    for x, line, text in _TEXT.findall(app.export_screenshot()):
        row = int(line)
        col = round(float(x) / _CHAR_WIDTH)
        have = cell_len(lines[row])
        lines[row] += " " * max(0, col - have) + html.unescape(text).replace("\xa0", " ")
    return "\n".join(ln + " " * max(0, width - cell_len(ln)) for ln in lines)
