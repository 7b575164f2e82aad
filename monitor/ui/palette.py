"""Colours of the screen (Rich style strings), one place. The .tcss uses the same values.

Priority colours follow bedside monitors: high red, medium yellow, low cyan; technical alarms are
blue. Magenta is kept for SIMULATED and used by nothing else, so a simulated feed can never pass
for a real one. Colour never speaks alone: every alarm also shows its priority in words and its
marker (!!!, !!, !).
"""

PRIORITY_BG = {
    "high": "bold white on #c00000",
    "medium": "bold black on #ffd700",
    "low": "bold black on #00afaf",
    "technical": "bold white on #3050c0",
}
PRIORITY_FG = {
    "high": "bold #ff5f5f",
    "medium": "bold #ffd75f",
    "low": "#5fd7d7",
    "technical": "bold #87a8ff",
    "": "",
}
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
LIMIT = {"high": "#af0000", "medium": "#af8700", "low": "#008787", "technical": "#3050c0"}
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
