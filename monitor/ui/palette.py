"""Colours of the screen (Rich style strings), one place. The .tcss uses the same values.

Priority colours (high red, medium yellow, low cyan, technical blue) are in
`monitor/core/priority.py`, with the words and markers that always go with them. Magenta is kept
for SIMULATED and used by nothing else, so a simulated feed can never pass for a real one.
"""

from monitor.core.priority import LOOK

MODE = {
    "LIVE": "bold white on #006000",
    "SIMULATED": "bold white on #b000b0",
    "REPLAY": "bold white on #005f87",
}
SERIES = {
    "hr": "#5fd75f",
    "sbp": "#f0f0f0",
    "dbp": "#9e9e9e",
    "map": "#6c6c6c",
    "temp": "#ffaf5f",
    "spo2": "#87d7ff",
}
MARKER = {"D": "bold #ffffff", "S": "bold #ffffff", "N": "#87afd7"}
SUPPLEMENT = {
    "open-ok": "bold #5fd75f",
    "open-hold": "bold #ffd75f",
    "waiting": "",
    "given": "dim",
    "closed": "dim",
    "no-dose": "dim",
}
# Standing notices (monitor.ui.views.notices): no alarm limits for a vital, baseline rules off.
NOTICE = {"no-limits": "bold #ffffff on #875f00", "baseline-off": "bold #ffaf00"}
CALM = "#5faf5f"
DIM = "#767676"


def priority_fg(priority: str) -> str:
    """Coloured text for an alarm of this priority; "" (the default style) for none."""
    look = LOOK.get(priority)
    return look.screen_fg if look else ""


def limit_colour(priority: str) -> str:
    """A limit line of this priority in a trend chart."""
    look = LOOK.get(priority)
    return look.screen_limit if look else DIM
