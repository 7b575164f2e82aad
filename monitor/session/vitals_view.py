"""What the screen shows of a session's vitals: which streams are stale (a stale alarm, or a lost
feed before any reading), the newest plausible value of each, and the supplemental dose's status
under the protocol with the vitals it depends on.
"""

from __future__ import annotations

from collections.abc import Callable

from monitor.core.alarm_types import AlarmStatus
from monitor.core.dosing import SupplementStatus, supplement_status
from monitor.core.readings import VitalStore
from monitor.core.thresholds import Thresholds
from monitor.core.vitals import VITALS
from monitor.session.actions import Actions


class VitalsView:
    """`th()`, `store()`: the session's limits and store (both replaced in a session's life);
    `alarms()`: every alarm that is not normal; `event_now()`: the event time (None before the
    first reading)."""

    def __init__(
        self,
        th: Callable[[], Thresholds],
        store: Callable[[], VitalStore],
        alarms: Callable[[], list[AlarmStatus]],
        event_now: Callable[[], float | None],
        actions: Actions,
    ):
        self._th = th
        self._store = store
        self._alarms = alarms
        self._event_now = event_now
        self._actions = actions

    def stale_vitals(self, statuses: list[AlarmStatus] | None = None) -> set[str]:
        statuses = self._alarms() if statuses is None else statuses
        stale = {s.alarm[: -len(".stale")] for s in statuses if s.alarm.endswith(".stale")}
        out: set[str] = set()
        for rule in self._th().stale:
            if rule.stream in stale:
                out.update(rule.vitals)
        if not len(self._store()) and any(s.alarm == "feed.lost" for s in statuses):
            out.update(VITALS)
        return out

    def current(self, vital: str, stale: set[str] | None = None) -> tuple[float, float] | None:
        """(time, value) of the newest plausible value, or None when the stream is stale."""
        stale = self.stale_vitals() if stale is None else stale
        if vital in stale:
            return None
        return self._store().last_valid(vital)

    def supplement(self, stale: set[str] | None = None) -> SupplementStatus:
        t = self._event_now()
        stale = self.stale_vitals() if stale is None else stale
        store, rules = self._store(), self._th().supplement
        latest = {}
        for v in rules.max_values:
            if v in VITALS and store.last_valid(v) is None:
                continue  # never measured in this session (no thermometer): not a reason to wait
            cur = self.current(v, stale) if v in VITALS else None
            latest[v] = cur[1] if cur else None
        return supplement_status(self._actions.doses, t if t is not None else 0.0, rules, latest)

    def supplement_concern(self) -> str | None:
        """Why a supplemental dose now goes against the protocol (outside its window, or vitals
        that forbid it), or None: the dialog asks for a confirmation stating this reason."""
        if self._actions.initial_dose() is None:
            return None
        status = self.supplement()
        return None if status.state in ("open-ok", "given") else status.text
