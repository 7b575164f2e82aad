"""What the screen and the audio ask about a session's alarms: every alarm that is not normal
(the engine's, and the technical ones raised before the first reading), what to sound now and
for how long the audio stays paused, the onsets and reminders to ring for, and the cuff's
repeat-measurement request.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from monitor.core.alarm_types import AlarmEvent, AlarmStatus
from monitor.core.priority import PRIORITY_RANK, TECHNICAL_RANK
from monitor.core.readings import VitalStore
from monitor.session.engine_path import EnginePath
from monitor.session.technical import TechnicalAlarms


class AlarmBoard:
    """`event_now()`: the session's event time (None before the first reading); `store()`: its
    store (replaced on a resume or a replay's seek)."""

    def __init__(
        self,
        path: EnginePath,
        technical: TechnicalAlarms,
        event_now: Callable[[], float | None],
        store: Callable[[], VitalStore],
    ):
        self._path = path
        self._technical = technical
        self._event_now = event_now
        self._store = store
        self.repeat: AlarmEvent | None = None  # the newest repeat-measurement request
        self.reminders: list[int] = []  # ranks of reminders since the UI last rang for them
        self.onsets: list[int] = []  # ranks of alarms that started or escalated since then

    def heard(self, e: AlarmEvent) -> None:
        """A transition of the engine."""
        if e.alarm == "bp.repeat":
            self.repeat = e
        if e.state == "reminder":
            self.reminders.append(PRIORITY_RANK.get(e.priority, TECHNICAL_RANK))
        elif e.state in ("active", "escalated"):
            self.onsets.append(PRIORITY_RANK.get(e.priority, TECHNICAL_RANK))

    def adopt(self, repeat: AlarmEvent | None) -> None:
        """A rebuilt state: its repeat request, and nothing to ring for yet."""
        self.repeat = repeat
        self.reminders, self.onsets = [], []

    def alarms(self) -> list[AlarmStatus]:
        """Every alarm that is not normal (the engine's, physiological and technical), highest first."""
        out = self._path.engine.status() + self._technical.preclock_statuses()
        out.sort(key=lambda s: (-s.rank, s.state == "pending", s.state == "acknowledged", s.since))
        return out

    def audible_rank(self) -> int:
        """What the audio should sound now (0 = silent): the engine's answer, pause and
        break-through included; before the first reading, the technical alarms raised so far."""
        t = self._event_now()
        rank = self._path.engine.audible_rank(t) if t is not None else 0
        return max(rank, self._technical.preclock_rank())

    def paused_remaining(self) -> float:
        t = self._event_now()
        if t is None:
            return 0.0
        return max(0.0, self._path.engine.paused_until - t)

    def take_reminders(self) -> list[int]:
        out, self.reminders = self.reminders, []
        return out

    def take_onsets(self) -> list[int]:
        out, self.onsets = self.onsets, []
        return out

    def repeat_request(self) -> AlarmEvent | None:
        """The cuff repeat-measurement request, while no newer cuff reading has come."""
        r = self.repeat
        if r is None:
            return None
        store = self._store()
        newest = max((lv[0] for v in ("sbp", "dbp", "map") if (lv := store.last_valid(v))), default=-math.inf)
        return r if newest <= r.t else None
