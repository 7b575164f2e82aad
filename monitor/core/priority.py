"""Alarm priorities, one table: their order, how loud each sounds, its word, marker and colours.

Bedside monitors (IEC 60601-1-8) give three priorities to physiological alarms: high (red, "!!!"),
medium (yellow, "!!") and low (cyan, "!"). Technical alarms (a lost or implausible signal) are
blue and sound like medium ones, unless the problem is urgent enough to be raised as high. Colour
never speaks alone: every alarm also shows its priority in words and its marker.

The screen colours are Rich style strings (the Textual stylesheet `monitor/ui/monitor.tcss` repeats
them, since CSS cannot import Python); the report colours are CSS hex colours.
"""

from __future__ import annotations

from dataclasses import dataclass

PRIORITIES: tuple[str, ...] = ("low", "medium", "high")  # physiological, ascending urgency
TECHNICAL = "technical"
TECHNICAL_RANK = 2  # technical alarms sound like medium ones
# A technical alarm is raised as technical, as high when it hides a dangerous value, or as low
# when it is a reminder (a scheduled reading overdue) or touches nothing at the bedside (the
# central station's link: monitor/publish).
TECHNICAL_PRIORITIES: tuple[str, ...] = (TECHNICAL, "high", "low")


@dataclass(frozen=True)
class Priority:
    name: str
    rank: int  # how loud it sounds: low 1, medium 2, high 3; technical like medium
    severity: int  # strict order for "the worst of these": low < technical < medium < high
    word: str  # the banner's word
    short: str  # the word in a narrow alarm list
    marker: str
    screen_bg: str  # banner and tile background (Rich style)
    screen_fg: str  # coloured text on the dark screen (Rich style)
    screen_limit: str  # a limit line in a trend chart
    report: str  # lines, labels and markers in the HTML report


LOOK: dict[str, Priority] = {
    p.name: p
    for p in (
        Priority("high", 3, 4, "HIGH", "HIGH", "!!!", "bold white on #c00000", "bold #ff5f5f", "#af0000", "#d7191c"),
        Priority("medium", 2, 3, "MEDIUM", "MED", "!!", "bold black on #ffd700", "bold #ffd75f", "#af8700", "#e69500"),
        Priority("low", 1, 1, "LOW", "LOW", "!", "bold black on #00afaf", "#5fd7d7", "#008787", "#1c9fbf"),
        Priority(
            TECHNICAL,
            TECHNICAL_RANK,
            2,
            "TECHNICAL",
            "TECH",
            "!",
            "bold white on #3050c0",
            "bold #87a8ff",
            "#3050c0",
            "#7a7a7a",
        ),
    )
}
PRIORITY_RANK: dict[str, int] = {p: LOOK[p].rank for p in PRIORITIES}
RANK_NAME: dict[int, str] = {r: p for p, r in PRIORITY_RANK.items()}
# The order lists and summaries use: most urgent first, technical last.
DISPLAY_ORDER: tuple[str, ...] = ("high", "medium", "low", TECHNICAL)


def rank_of(priority: str) -> int:
    """How loud an alarm of this priority sounds (0 for none or an unknown word)."""
    look = LOOK.get(priority)
    return look.rank if look else 0


def severity_of(priority: str) -> int:
    look = LOOK.get(priority)
    return look.severity if look else 0


def marker(priority: str) -> str:
    """ "!!!", "!!", "!" or "" for no priority."""
    look = LOOK.get(priority)
    return look.marker if look else ""


def word(priority: str) -> str:
    """ "HIGH" ...; an unknown priority in capitals, as given."""
    look = LOOK.get(priority)
    return look.word if look else priority.upper()


def short_word(priority: str) -> str:
    """ "MED", "TECH" ...: the word where the screen is narrow."""
    look = LOOK.get(priority)
    return look.short if look else priority


def priority_text(priority: str) -> str:
    """ "!!! high", "! technical": the marker beside the word, as tables and the report write it."""
    return f"{marker(priority)} {priority}".strip()
