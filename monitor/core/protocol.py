"""The dosing-session protocol: when each vital is measured (`[schedule]`), when the vitals allow
discharge (`[discharge]`), and what the session asks of its staff (`[session]`).

It lives in its own file, `protocol.toml`, beside `thresholds.toml`: the limits say when to alarm,
the protocol says what the trial measures and when, and a site changes one without the other.
The loader is monitor.core.protocol_loader; the copy in session.json (`Protocol.to_dict()`) is
read back by `protocol_from_stored`, so the report and the exports judge a session by the protocol
it ran under.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

STAFF_MODES: tuple[str, ...] = ("off", "optional", "required")

# The streams a schedule may name, and the vitals a reading of each carries.
STREAM_VITALS: dict[str, tuple[str, ...]] = {
    "bp": ("sbp", "dbp"),
    "hr": ("hr",),
    "temp": ("temp",),
    "spo2": ("spo2",),
    "rr": ("rr",),
}


@dataclass(frozen=True)
class Phase:
    """Every `every_s` from the end of the phase before (or the dose) up to `until_s` after the dose."""

    until_s: float
    every_s: float


@dataclass(frozen=True)
class StreamSchedule:
    stream: str  # "bp", "hr", "temp", "spo2", "rr"
    phases: tuple[Phase, ...]
    baseline: bool = True  # one reading before the initial dose
    before_supplement: bool = False  # one reading before the supplemental dose
    repeat_over_limit: bool = True  # every `repeat_s` after a reading over a limit, until back in range

    @property
    def vitals(self) -> tuple[str, ...]:
        return STREAM_VITALS[self.stream]

    @property
    def longest_interval_s(self) -> float:
        return max((p.every_s for p in self.phases), default=0.0)

    def nominal_offsets(self) -> list[float]:
        """Seconds after the dose of each fixed timepoint, in order."""
        out: list[float] = []
        start = 0.0
        for p in self.phases:
            t = start + p.every_s
            while t <= p.until_s + 1e-6:
                out.append(t)
                t += p.every_s
            start = max(start, p.until_s)
        return out


@dataclass(frozen=True)
class Schedule:
    streams: tuple[StreamSchedule, ...] = ()
    tolerance_s: float = 300.0  # a reading this close to a timepoint fulfils it on time
    grace_s: float = 300.0  # past the timepoint by this, an untaken reading raises the overdue alarm
    baseline_window_s: float = 1800.0  # the pre-dose reading: at most this long before the dose
    repeat_s: float = 300.0  # the repeat interval after a reading over a limit

    def stream(self, name: str) -> StreamSchedule | None:
        return next((s for s in self.streams if s.stream == name), None)


@dataclass(frozen=True)
class DischargeRules:
    """Discharge readiness: each vital within `margins` of its pre-dose baseline for `hold_s`,
    and not before `earliest_s` after the initial dose."""

    margins: dict[str, float] = field(default_factory=dict)
    hold_s: float = 1800.0
    earliest_s: float = 8 * 3600.0


@dataclass(frozen=True)
class Protocol:
    schedule: Schedule = Schedule()
    discharge: DischargeRules = DischargeRules()
    staff_initials: str = "off"  # on acknowledgements and doses: "off" | "optional" | "required"
    ask_at_start: bool = True  # ask for participant, session number, site and staff when not given
    study_id: str = ""  # STUDYID of the SDTM export
    source: str = ""  # the file it came from

    def to_dict(self) -> dict:
        return asdict(self)


def protocol_from_stored(d: dict | None) -> Protocol | None:
    """The copy in session.json back as a Protocol; None when there is none or it is not whole."""
    if not isinstance(d, dict):
        return None
    try:
        sch = d.get("schedule") or {}
        streams = tuple(
            StreamSchedule(
                str(s["stream"]),
                tuple(Phase(float(p["until_s"]), float(p["every_s"])) for p in s.get("phases", ())),
                bool(s.get("baseline", True)),
                bool(s.get("before_supplement", False)),
                bool(s.get("repeat_over_limit", True)),
            )
            for s in sch.get("streams", ())
            if str(s.get("stream")) in STREAM_VITALS
        )
        schedule = Schedule(
            streams,
            float(sch.get("tolerance_s", 300.0)),
            float(sch.get("grace_s", 300.0)),
            float(sch.get("baseline_window_s", 1800.0)),
            float(sch.get("repeat_s", 300.0)),
        )
        dis = d.get("discharge") or {}
        discharge = DischargeRules(
            {str(k): float(v) for k, v in (dis.get("margins") or {}).items()},
            float(dis.get("hold_s", 1800.0)),
            float(dis.get("earliest_s", 8 * 3600.0)),
        )
        staff = str(d.get("staff_initials", "off"))
        return Protocol(
            schedule,
            discharge,
            staff if staff in STAFF_MODES else "off",
            bool(d.get("ask_at_start", True)),
            str(d.get("study_id", "")),
            str(d.get("source", "")),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
