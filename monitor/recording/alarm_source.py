"""Which limits and which alarm log apply to a recorded session: one choice for `alarms`,
`alarms --diff`, replay and the report.

Limits: those given explicitly (`--thresholds`) are used exactly as given; else those stored in
the session (the limits that were in force live); else the defaults. Only the defaults are fitted
to a recording whose streams are slower than a bedside monitor's (hourly charted vitals would
otherwise raise "no data" between every pair of readings); the live monitor fits them the same
way on its first readings, and stores what it used. Given limits are never loosened: when a
stream is slower than their stale limit, a note says what to expect instead.

Alarm log: the one recorded live when the session has one and no other limits were asked for;
otherwise the alarm engine's run over the readings and the recorded controls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.core.alarm_engine import AlarmEngine
from monitor.core.alarm_types import AlarmEvent
from monitor.core.readings import VitalStore
from monitor.core.stale_fit import fit_stale_rules, slow_streams
from monitor.core.thresholds import Thresholds
from monitor.core.thresholds_loader import load_thresholds
from monitor.core.timetext import format_duration
from monitor.recording.loader import RecordedSession


@dataclass
class Limits:
    thresholds: Thresholds
    what: str  # "the thresholds stored in the session", "thresholds.toml", ...
    notes: list[str] = field(default_factory=list)
    explicit: bool = False


def slow_stream_notes(th: Thresholds, store: VitalStore) -> list[str]:
    """Say which streams of the store are slower than the stale limits given (not loosened)."""
    return [
        f"{rule.stream} readings come every {format_duration(median)} (median) but the thresholds "
        f"given judge 'no data' after {format_duration(rule.after_s)}: kept as given, so expect a "
        "no-data alarm between readings"
        for rule, median in slow_streams(th, store)
    ]


def session_limits(session: RecordedSession, given: Thresholds | None = None) -> Limits:
    """The limits for this session (see the module docstring)."""
    if given is not None:
        return Limits(
            given, given.source or "the thresholds given", slow_stream_notes(given, session.store), explicit=True
        )
    stored = session.stored_thresholds()
    if stored is not None:
        fitted = session.meta.get("stale_fitted")
        notes = [f"live: {n}" for n in fitted if isinstance(n, str)] if isinstance(fitted, list) else []
        return Limits(stored, "the thresholds stored in the session", notes)
    th = load_thresholds()
    th, notes = fit_stale_rules(th, session.store)
    return Limits(th, th.source or "the default thresholds", notes)


def recompute(session: RecordedSession, th: Thresholds) -> list[AlarmEvent]:
    """The alarm engine over the session's readings and recorded controls, to its last moment."""
    return AlarmEngine(th).run(session.store, session.controls(), end=session.end_time())


@dataclass
class AlarmSource:
    thresholds: Thresholds  # the limits in force
    log: list[AlarmEvent]
    origin: str  # a sentence: where the alarm log comes from
    notes: list[str] = field(default_factory=list)
    recorded: bool = False


def alarm_source(session: RecordedSession, given: Thresholds | None = None) -> AlarmSource:
    """The alarm log to show: recorded live when the session has one and no other limits were
    asked for; otherwise recomputed (the same engine, on the readings' own time)."""
    limits = session_limits(session, given)
    recorded = session.recorded_alarms()
    if given is None and recorded:
        return AlarmSource(limits.thresholds, recorded, "as recorded during the session", limits.notes, True)
    return AlarmSource(
        limits.thresholds,
        recompute(session, limits.thresholds),
        f"recomputed by the alarm engine with {limits.what}",
        limits.notes,
    )


def reference_log(session: RecordedSession, given: bool) -> tuple[list[AlarmEvent] | None, str]:
    """What other limits are compared with: the recorded log, else (when limits were given) the
    alarms of the session's own limits. None: nothing to compare with."""
    recorded = session.recorded_alarms()
    if recorded:
        return recorded, "the alarm log recorded in the session"
    if not given:
        return None, ""
    base = session_limits(session)
    return recompute(session, base.thresholds), f"the alarms under {base.what}"
