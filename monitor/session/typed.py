"""Readings typed at the bedside, into the one session path: checked, then a row of the store at
the time they were taken, fed to the alarm engine and recorded like a device's, with a `reading`
event (`source: manual`) in events.jsonl that marks the row as typed (recording format 3).

A typed reading never hides a device's and is never hidden by one:
- a device value of the same vital within DEVICE_NEAR_S that equals the typed one is the same
  measurement: it is not recorded twice, and the answer says so;
- one that differs needs a confirmation naming it (`NeedsConfirmation`); both are then kept,
  each marked with its source;
- a row is never merged with a device row of the same time stamp (it goes 1 ms after it), so the
  store's "first value wins" merge cannot drop a typed value.
A typed time may lie up to an hour back, but not before the newest reading already in the store:
the store and the engine take readings in time order (see docs/manual.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from monitor.core.manual_entry import MAX_TYPED_AGO_S, NAMES, check_values, describe
from monitor.core.readings import Reading
from monitor.core.vitals import SPECS, VITALS
from monitor.recording import format_time
from monitor.session.actions import ActionError

DEVICE_NEAR_S = 120.0  # a device value of the same vital this close is the same measurement, or a rival one


class NeedsConfirmation(ActionError):
    """The typed reading differs from a device reading at about the same time: str() says how."""


@dataclass(frozen=True)
class TypedRecord:
    t: float  # when it was taken (its row's time)
    values: dict[str, float]
    staff: str = ""
    entered: float | None = None  # event time it was typed at


class TypedReadings:
    """`session`: the monitor.session.Session it belongs to (its intake, path, clock and log)."""

    def __init__(self, session):
        self._s = session
        self.records: list[TypedRecord] = []
        self._times = np.empty(0)

    @property
    def times(self) -> np.ndarray:
        """The sorted times of the typed rows."""
        if len(self._times) != len(self.records):
            self._times = np.array(sorted(r.t for r in self.records), float)
        return self._times

    def is_typed(self, t: float) -> bool:
        times = self.times
        i = int(np.searchsorted(times, t))
        return i < len(times) and abs(times[i] - t) < 1e-6

    def preload(self, events: list[dict]) -> None:
        """The typed readings of a recording (a resume, a replay)."""
        self.records = [
            TypedRecord(e["taken_at"], dict(e["values"]), str(e.get("staff", "")), e["t"])
            for e in events
            if e["kind"] == "reading"
        ]

    # -- entering one ----------------------------------------------------------------------------

    def enter(self, values: dict[str, float], at: float | None = None, staff: str = "", confirmed: bool = False) -> str:
        """Record a typed reading; returns the sentence saying what was recorded. ActionError
        (NeedsConfirmation) says why not."""
        s = self._s
        try:
            values = check_values({k: float(v) for k, v in values.items() if k in VITALS})
        except ValueError as exc:
            raise ActionError(str(exc)) from None
        now = s.event_now()
        if now is None:
            raise ActionError(
                "the device has sent no reading yet, so the session has no clock: wait for its first "
                "reading (a session without a device runs with live --manual)"
            )
        at = now if at is None else at
        if at > now + 1:
            raise ActionError("that time is in the future: a reading is typed after it was taken")
        if now - at > MAX_TYPED_AGO_S:
            raise ActionError("that time is more than an hour ago: type a reading within the hour it was taken")
        at = min(at, now)
        newest = s.intake.newest()
        if at < newest - 1e-6:
            raise ActionError(
                f"a reading taken at {s.fmt(at)} comes before the newest reading of the session "
                f"({s.fmt(newest)}): readings are taken in time order, so type it as now or later"
            )
        same, differ = self._near_device(values, at)
        if differ and not confirmed:
            raise NeedsConfirmation(
                "the device measured " + ", ".join(differ) + ": Enter again records the typed values "
                "beside the device's (each marked with its source), Esc cancels"
            )
        kept = {v: x for v, x in values.items() if v not in same}
        if not kept:
            raise ActionError("the device recorded the same " + ", ".join(same.values()) + ": nothing new to record")
        if "sbp" in kept and "dbp" not in kept or "dbp" in kept and "sbp" not in kept:
            raise ActionError("the device recorded half of this blood pressure: type both values or neither")
        if at <= newest:
            at = newest + 0.001  # after the device's row of that time stamp, never merged into it
        fields = {v: kept[v] for v in VITALS if v in kept}
        s.path.record_event(
            now,
            "reading",
            source="manual",
            taken_at=format_time(at, bool(s.absolute) if s.absolute is not None else True),
            values=fields,
            staff=staff,
            who=s.actions.user,
        )
        self.records.append(TypedRecord(at, fields, staff, now))
        s.intake.take([Reading(at, **{v: fields.get(v, math.nan) for v in VITALS})])
        when = f" (taken at {s.fmt(at)})" if now - at >= 1 else ""
        by = f" by {staff}" if staff else ""
        skipped = "; not recorded twice: the device's " + ", ".join(same.values()) if same else ""
        text = f"typed reading {describe(fields)} recorded{when}{by}{skipped}"
        s._note_log("reading", "", text, t=now)
        s._changed()
        return text

    def _near_device(self, values: dict[str, float], at: float) -> tuple[dict[str, str], list[str]]:
        """Device values of the typed vitals within DEVICE_NEAR_S of `at`: those equal to the typed
        one ({vital: "SBP 142 at 10:31:05"}), and those that differ (their descriptions)."""
        s = self._s
        store = s.store
        lo, hi = store.index_range(at - DEVICE_NEAR_S, at + DEVICE_NEAR_S)
        same: dict[str, str] = {}
        differ: list[str] = []
        if hi <= lo:
            return same, differ
        t = store.t[lo:hi]
        device = ~np.isin(t, self.times) if len(self.records) else np.ones(len(t), bool)
        for vital, typed in values.items():
            col = store.column(vital)[lo:hi]
            ok = np.flatnonzero(device & ~np.isnan(col))
            if not len(ok):
                continue
            j = ok[int(np.argmin(np.abs(t[ok] - at)))]
            dv = float(col[j])
            digits = SPECS[vital].decimals
            said = f"{NAMES[vital]} {dv:.{digits}f} at {s.fmt(float(t[j]))}"
            if round(dv, digits) == round(typed, digits):
                same[vital] = said
            else:
                differ.append(said + f" (typed {typed:.{digits}f})")
        return same, differ
