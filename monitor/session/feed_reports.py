"""What a feed says about itself: its status (opened, lost, restored, ended ...) and the lines it
rejected. A lost feed is the technical alarm `feed.lost`, bad lines are `feed.data` (one alarm
per episode, its count growing); each report is said in the event log and in monitor.log, and
recorded as a `feed` event once there is an event time.
"""

from __future__ import annotations

from collections.abc import Callable

from monitor.session.technical import TechnicalAlarms
from monitor.sources.feed import FeedStatus

LOST = ("lost", "waiting", "error")
BACK = ("opened", "restored", "recovered")


class FeedReports:
    """`record(method, *args, **kw)`: a record for the recording; `event_now()`: the session's
    event time (None before the first reading); `note(kind, priority, text)`: a line in the event
    log; `log_line(text)`: a line in monitor.log; `changed()`: the screen should change."""

    def __init__(
        self,
        feed,
        technical: TechnicalAlarms,
        record: Callable[..., None],
        event_now: Callable[[], float | None],
        note: Callable[..., None],
        log_line: Callable[[str], None],
        changed: Callable[[], None],
    ):
        self._feed = feed
        self._technical = technical
        self._record = record
        self._event_now = event_now
        self._note = note
        self._log_line = log_line
        self._changed = changed

    def status(self, s: FeedStatus) -> None:
        t = self._event_now()
        if s.kind in LOST:
            self._technical.raise_alarm("feed.lost", "technical", s.message)
        elif s.kind in BACK:
            self._technical.clear("feed.lost", s.message)
        if t is not None and s.kind != "waiting":
            self._record("event", t, "feed", state=s.kind, message=s.message)
        if s.kind not in LOST:
            self._note("feed", "", s.message)
        self._log_line(f"feed {s.kind}: {s.message}")
        self._changed()

    def rejected(self, rejected: list) -> None:
        """The lines the feed could not read (`FeedUpdate.rejected`, each with its line and reason)."""
        n = len(rejected)
        first = rejected[0]
        name = getattr(getattr(self._feed, "path", None), "name", None) or getattr(self._feed, "name", "the feed")
        unit = getattr(self._feed, "rejected_unit", "line")  # an HL7 feed rejects messages
        self._technical.count_problem(
            "feed.data",
            n,
            lambda total: (
                f"{total} bad {unit}{'s' if total > 1 else ''} in {name} ({unit} {first.line}: {first.reason})"
            ),
        )
        for r in rejected[:5]:
            self._note("feed", "technical", f"{unit} {r.line} rejected: {r.reason}")
        if n > 5:
            self._note("feed", "technical", f"... and {n - 5} more bad {unit}s")
        for r in rejected:
            self._log_line(f"{unit} {r.line} rejected: {r.reason}")
        t = self._event_now()
        if t is not None:
            self._record(
                "event",
                t,
                "feed",
                state="rejected",
                lines=[r.line for r in rejected[:100]],
                message=f"{n} {unit}(s) rejected; first: {unit} {first.line}: {first.reason}",
            )
