"""How two alarm logs of the same session differ: "what would these limits have done?"

Logs are compared as alarm episodes (an alarm from active to cleared, with its highest priority),
which is what a clinician means by "an alarm": an episode of the same alarm overlapping one in the
other log is the same alarm, possibly changed (start, end or priority); one with no counterpart
was added or removed.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.core.alarm_types import AlarmEvent
from monitor.core.episodes import Episode, episodes


@dataclass(frozen=True)
class Difference:
    kind: str  # "added" | "removed" | "changed"
    old: Episode | None
    new: Episode | None

    @property
    def episode(self) -> Episode:
        """The new episode, or the old one of a removed alarm."""
        ep = self.new or self.old
        assert ep is not None  # a difference has at least one side
        return ep

    @property
    def alarm(self) -> str:
        return self.episode.alarm

    @property
    def t(self) -> float:
        return self.episode.start


def diff_logs(old: list[AlarmEvent], new: list[AlarmEvent], end: float | None) -> list[Difference]:
    """Differences in time order; an empty list means the two logs raise the same alarms."""
    olds, news = episodes(old, end), episodes(new, end)
    used: set[int] = set()
    out: list[Difference] = []
    for n in news:
        match = None
        for k, o in enumerate(olds):
            if k in used or o.alarm != n.alarm:
                continue
            if o.start <= n.end and n.start <= o.end:  # overlapping episodes of the same alarm
                match = k
                break
        if match is None:
            out.append(Difference("added", None, n))
            continue
        used.add(match)
        o = olds[match]
        if (o.start, o.end, o.priority) != (n.start, n.end, n.priority):
            out.append(Difference("changed", o, n))
    out += [Difference("removed", o, None) for k, o in enumerate(olds) if k not in used]
    return sorted(out, key=lambda d: (d.t, d.alarm))


def describe(d: Difference, clock) -> str:
    """One line for a person; `clock(t)` formats a time."""
    o, n = d.old, d.new
    if d.kind == "added" and n is not None:
        return f"+ added    {d.alarm:<14} {n.priority:<9} {clock(n.start)} -> {clock(n.end)}"
    if d.kind == "removed" and o is not None:
        return f"- removed  {d.alarm:<14} {o.priority:<9} {clock(o.start)} -> {clock(o.end)}"
    assert o is not None and n is not None  # changed: both sides
    parts = []
    if o.priority != n.priority:
        parts.append(f"priority {o.priority} -> {n.priority}")
    if o.start != n.start:
        parts.append(f"start {clock(o.start)} -> {clock(n.start)}")
    if o.end != n.end:
        parts.append(f"end {clock(o.end)} -> {clock(n.end)}")
    return f"~ changed  {d.alarm:<14} {n.priority:<9} " + "; ".join(parts)
