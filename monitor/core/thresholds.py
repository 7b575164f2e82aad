"""Typed alarm rules: the contract between a thresholds file (read by
monitor/core/thresholds_loader.py) and the alarm engine (monitor/core/alarm_engine.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

DIRECTIONS: tuple[str, ...] = ("upper", "lower")  # the two limit tables of a VitalRule


@dataclass(frozen=True)
class VitalRule:
    """Absolute limits for one vital (hr, sbp, dbp, map, spo2, temp, rr, or derived si).

    `upper` / `lower` map a priority ("low", "medium", "high") to a limit; an alarm is raised when
    value >= upper limit or value <= lower limit. Higher priorities must be more extreme.
    """

    vital: str
    upper: dict[str, float] = field(default_factory=dict)
    lower: dict[str, float] = field(default_factory=dict)
    delay_s: float = 0.0  # time beyond the limit needed to sound (continuous vitals only)
    hysteresis: float = 0.0  # clearing needs the value this far back inside the limit
    continuous: bool = True  # False: each reading is one event (cuff BP): no delay, no hysteresis
    clear_s: float = -1.0  # back inside by the hysteresis for this long to clear (below 0: the delay)

    @property
    def clear_time_s(self) -> float:
        if not self.continuous:
            return 0.0
        return self.delay_s if self.clear_s < 0 else self.clear_s


@dataclass(frozen=True)
class BaselineRule:
    """A limit relative to the pre-dose baseline (median of readings in `window_s` before the dose)."""

    vital: str
    direction: str  # "upper" (rise above baseline + delta) or "lower" (fall below baseline - delta)
    delta: float
    priority: str
    window_s: float = 1800.0


@dataclass(frozen=True)
class StaleRule:
    """A stream is stale when none of its vitals has had a reading for `after_s` seconds."""

    stream: str  # a name shown to the user, e.g. "hr" or "bp"
    vitals: tuple[str, ...]
    after_s: float


@dataclass(frozen=True)
class AudioRules:
    pause_s: float = 120.0
    max_pause_s: float = 300.0
    reminder_s: float = 180.0


@dataclass(frozen=True)
class SupplementRules:
    """The supplemental half-dose window after the initial dose, and the vitals that must hold."""

    window_start_s: float = 5400.0
    window_end_s: float = 9000.0
    max_values: dict[str, float] = field(default_factory=dict)  # e.g. {"sbp": 160, "hr": 110}


@dataclass(frozen=True)
class Thresholds:
    vitals: dict[str, VitalRule]
    baseline: tuple[BaselineRule, ...] = ()
    stale: tuple[StaleRule, ...] = ()
    audio: AudioRules = AudioRules()
    supplement: SupplementRules = SupplementRules()
    source: str = ""  # the file these came from
    # Vitals of REQUIRED_LIMITS the file explicitly leaves without limits (`without_limits`):
    # shown on the screen and in the report for the whole session.
    without_limits: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """A JSON-friendly copy, stored in session.json so a replay knows the limits in force."""
        return asdict(self)
