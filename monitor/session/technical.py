"""The monitor's own problems as technical alarms: the feed (lost, bad lines, times going
backwards), the recording (`record.write`), internal errors.

They are alarms of the engine like any other (`technical` controls through the one path), so
pause, break-through and the log are decided there and a re-run of the recording raises them too.
Before the session has an event time (a followed file that is not there yet) no control can be
stamped: such an alarm waits here as a pre-clock alarm, which the session shows and sounds, and
enters the engine at the first reading if it is still active.

A problem that may repeat (bad lines, rows out of order) is one alarm per episode, its count
growing, cleared after HOLD_S real seconds without another.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from monitor.core.alarm_types import AlarmStatus
from monitor.core.priority import TECHNICAL_RANK, rank_of
from monitor.session.engine_path import EnginePath

HOLD_S = 60.0  # a bad line (an error, a dropped row) keeps its technical alarm up this long, in real seconds
SELF_CLEARING = ("feed.data", "feed.order", "feed.future", "feed.error", "app.error")  # cleared after HOLD_S quiet


@dataclass
class _Preclock:
    """A technical alarm raised before the session has an event time."""

    name: str
    priority: str
    message: str
    state: str = "active"


class TechnicalAlarms:
    """Raises and clears the session's technical alarms.

    `event_now()`: the session's event time (None before the first reading); `note(kind, priority,
    text, state=...)`: a line in the event log; `log_line(text)`: a line in monitor.log;
    `changed()`: the screen should change.
    """

    def __init__(
        self,
        path: EnginePath,
        event_now: Callable[[], float | None],
        monotonic: Callable[[], float],
        note: Callable[..., None],
        log_line: Callable[[str], None],
        changed: Callable[[], None],
    ):
        self._path = path
        self._event_now = event_now
        self._monotonic = monotonic
        self._note = note
        self._log_line = log_line
        self._changed = changed
        self._preclock: dict[str, _Preclock] = {}
        self._expires: dict[str, float] = {}  # technical alarm -> monotonic time it clears by itself
        self._episode: dict[str, int] = {}  # technical alarm -> how many problems in this episode

    def raise_alarm(
        self, name: str, priority: str, message: str, hold: float | None = None, at: float | None = None
    ) -> None:
        """Raise (or say again) a technical alarm; `hold`: it clears itself after so many real
        seconds; `at`: its event time (default now)."""
        self._set(name, "raise", priority, message, hold, at)

    def clear(self, name: str, message: str) -> None:
        self._set(name, "clear", message=message)

    def raised(self, name: str) -> bool:
        """Whether the engine has this technical alarm up."""
        return self._path.engine.technical_priority(name) is not None

    def count_problem(self, name: str, n: int, message: Callable[[int], str]) -> None:
        """n more problems of a kind that may repeat; `message(total)` says the episode's count."""
        total = self._episode.get(name, 0) + n
        self._episode[name] = total
        self.raise_alarm(name, "technical", message(total), hold=HOLD_S)

    def _set(
        self,
        name: str,
        action: str,
        priority: str = "technical",
        message: str = "",
        hold: float | None = None,
        at: float | None = None,
        log: bool = True,
    ) -> None:
        """Through the engine as a recorded control; before the first reading, as a pre-clock
        alarm. `log`: say it in monitor.log."""
        t = at if at is not None else self._event_now()
        if action == "raise" and hold:
            self._expires[name] = self._monotonic() + hold
        elif action == "clear":
            self._expires.pop(name, None)
            self._episode.pop(name, None)
        if t is None:
            self._preclock_alarm(name, action, priority, message)
            return
        engine = self._path.engine
        current = engine.technical_priority(name)
        if action == "clear" and current is None:
            self._preclock.pop(name, None)
            return
        if action == "raise" and current is not None and (current == priority or priority != "high"):
            # The same problem said again: the alarm's words change, the log does not.
            engine.technical(t, name, "raise", current, message)
            self._changed()
            return
        fields = {"name": name, "action": action, "priority": priority, "message": message}
        self._path.apply(t, "technical", fields, name=name, action=action, priority=priority, message=message)
        if log:
            self._log_line(
                f"{priority.upper()} {name}: {message}" if action == "raise" else f"cleared {name}: {message}"
            )

    def _preclock_alarm(self, name: str, action: str, priority: str, message: str) -> None:
        p = self._preclock.get(name)
        if action == "clear":
            if p is not None:
                del self._preclock[name]
                self._note("feed", p.priority, f"{name} cleared: {message}", state="cleared")
                self._log_line(f"cleared {name}: {message}")
        elif p is None:
            self._preclock[name] = _Preclock(name, priority, message)
            self._note("feed", priority, message, state="active")
            self._log_line(f"{priority.upper()} {name}: {message}")
        else:
            p.message = message
        self._changed()

    def expire(self, now: float) -> None:
        """Clear the alarms whose problems have not come again for their hold (now: monotonic)."""
        for name in [n for n, at in self._expires.items() if now >= at]:
            total = self._episode.get(name)
            why = "no further problems for a minute"
            if total:
                why += f" ({total} in all)"
            self.clear(name, why)

    def resumed(self, now: float) -> None:
        """A resumed session: the alarms that clear themselves start their hold again (the timers
        did not survive the restart)."""
        for s in self._path.engine.status():
            if s.alarm in SELF_CLEARING:
                self._expires[s.alarm] = now + HOLD_S

    def internal_error(self, where: str, exc: BaseException, name: str = "app.error", priority: str = "high") -> None:
        """An unexpected error: logged with its traceback, shown as a technical alarm."""
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self._log_line(f"error {where}:\n{detail}")
        try:
            self.raise_alarm(
                name,
                priority,
                f"internal error {where} ({type(exc).__name__}: {exc}); the monitor carries on",
                hold=HOLD_S,
            )
        except Exception:  # the alarm for an error must not be lost to a second one
            self._preclock_alarm(name, "raise", priority, f"internal error {where} ({type(exc).__name__})")

    # -- before the first reading ----------------------------------------------------------------

    def clock_started(self, t: float) -> None:
        """The first reading: raise in the engine, at t, what was raised before there was a time."""
        for p in list(self._preclock.values()):
            del self._preclock[p.name]
            if p.state == "active":
                # Said in monitor.log when it was raised: once is enough.
                self._set(p.name, "raise", p.priority, p.message, at=t, log=False)

    def preclock_statuses(self) -> list[AlarmStatus]:
        return [
            AlarmStatus(p.name, p.name.split(".", 1)[0], p.priority, p.state, None, None, -math.inf, p.message)
            for p in self._preclock.values()
        ]

    def preclock_rank(self) -> int:
        """What the pre-clock alarms sound (0: none is active)."""
        rank = 0
        for p in self._preclock.values():
            if p.state == "active":
                rank = max(rank, rank_of(p.priority) or TECHNICAL_RANK)
        return rank

    def preclock_active(self) -> int:
        return sum(1 for p in self._preclock.values() if p.state == "active")

    def acknowledge_preclock(self) -> None:
        for p in self._preclock.values():
            if p.state == "active":
                p.state = "acknowledged"
                self._note("ack", p.priority, f"{p.message}: acknowledged")

    def silence_preclock(self) -> None:
        """The audio paused before the first reading: every pre-clock alarm counts as acknowledged."""
        for p in self._preclock.values():
            p.state = "acknowledged"
