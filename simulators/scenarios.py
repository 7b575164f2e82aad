"""Named scenarios: a pinned subject, a dosing plan, device settings, and the alarms each must trip.

Every session starts with a 30-minute pre-dose baseline (so a baseline can be computed); the initial
dose is given at 00:30 and a supplemental half-dose, where the scenario gives one, 2 h after it.

The subject's physiology (baselines, sensitivities, pharmacokinetics) is pinned per scenario; the
seed still drives the spontaneous variation, the device noise and the artifacts. Each scenario is
built with margins so that its `expected_alarms` hold for any seed.

`expected_alarms` is a set of (vital, direction) pairs under the default limits (thresholds.toml):

    SBP >= 160 medium, >= 180 high; <= 100 medium, <= 90 high      (each cuff reading is one event)
    DBP >= 100 / >= 110;  MAP > 110 medium, < 65 / < 60
    HR  >= 110 / >= 130 held for 10 s; <= 50 / <= 40;  temperature >= 38.0 / >= 39.0
    shock index HR/SBP (cuff reading with the HR of the same second) > 0.9 medium, >= 1.0 high
    HR stale after 10 s without a plausible reading; cuff BP stale after 35 min without one

Directions: "upper" and "lower" are limit alarms (one alarm per vital and direction, whatever its
priority), "stale" is the no-data technical alarm of a stream ("hr" or "bp"), and "artifact" is the
implausible-reading technical alarm of a vital (outside its plausible range in monitor.core.vitals).
Baseline-relative rules (e.g. "SBP 40 above baseline") are not part of these expectations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from simulators.artifacts import ArtifactConfig, Forced
from simulators.devices import DeviceConfig
from simulators.model import HOUR, MINUTE, Dose

BASELINE_S = 30 * MINUTE  # pre-dose baseline period: the initial dose is given at this time
SUPPLEMENT_AFTER_S = 2 * HOUR  # supplemental half-dose this long after the initial dose
DEFAULT_DURATION_S = 8 * HOUR

Alarm = tuple[str, str]


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str  # one line for --list-scenarios
    description: str  # what happens and what it is meant to trip (README text)
    doses: tuple[Dose, ...]
    subject: dict[str, float] = field(default_factory=dict)  # pinned subject parameters
    device: DeviceConfig = field(default_factory=DeviceConfig)
    forced: Forced = field(default_factory=Forced)
    notes: tuple[tuple[float, str], ...] = ()  # (seconds since start, text) written as note events
    expected_alarms: frozenset[Alarm] = frozenset()
    duration_s: float = DEFAULT_DURATION_S

    __hash__ = None  # type: ignore[assignment]  # holds a dict

    @property
    def initial_dose_t(self) -> float | None:
        return min((d.t for d in self.doses), default=None)

    def with_initial_dose(self, mg: float) -> Scenario:
        """The same scenario with the initial dose set to `mg`; a supplement, if any, becomes mg/2.

        The expected alarms are only promised for the scenario's own doses.
        """
        if mg < 0 or not math.isfinite(mg):
            raise ValueError(f"a dose must be a non-negative number of mg, not {mg}")
        doses = tuple(replace(d, mg=float(mg) if d.kind == "initial" else float(mg) / 2.0) for d in self.doses) or (
            Dose(BASELINE_S, float(mg), "initial"),
        )
        return replace(self, doses=doses)

    def with_device(self, **changes) -> Scenario:
        return replace(self, device=replace(self.device, **changes))


def _doses(initial_mg: float, supplement_mg: float | None = None) -> tuple[Dose, ...]:
    doses = [Dose(BASELINE_S, initial_mg, "initial")]
    if supplement_mg is not None:
        doses.append(Dose(BASELINE_S + SUPPLEMENT_AFTER_S, supplement_mg, "supplemental"))
    return tuple(doses)


# A moderately responsive, otherwise average subject: peaks around HR 90 and BP 137/80 at 120 mg.
_TYPICAL: dict[str, float] = {
    "hr0": 68.0,
    "sbp0": 121.0,
    "dbp0": 72.0,
    "temp0": 36.6,
    "spo2_0": 98.0,
    "ka": 1.5,
    "ke0": math.log(2) / 6.35,
    "volume_l": 509.0,
    "ec50": 150.0,
    "e_hr": 55.0,
    "e_sbp": 50.0,
    "e_dbp": 20.0,
    "e_temp": 0.6,
    "surge": 0.0,
    "surge_t": 45 * MINUTE,
    "drift_scale": 0.8,
}


def _subject(**changes: float) -> dict[str, float]:
    return {**_TYPICAL, **changes}


_SUPPLEMENT_DECISION_S = BASELINE_S + SUPPLEMENT_AFTER_S

SCENARIOS: dict[str, Scenario] = {}


def _add(s: Scenario) -> None:
    SCENARIOS[s.name] = s


_add(
    Scenario(
        name="typical",
        title="120 mg, 60 mg supplement at 2 h; an uneventful session",
        description=(
            "A moderately responsive subject: HR peaks near 90 bpm and BP near 137/80 mmHg "
            "1-2 h after the dose; the supplement gives a shoulder, not a second peak. "
            "Stays within every default limit: no alarm."
        ),
        doses=_doses(120.0, 60.0),
        subject=_subject(),
        expected_alarms=frozenset(),
    )
)
_add(
    Scenario(
        name="no-supplement",
        title="120 mg only",
        description="The typical subject without the supplemental dose. No alarm.",
        doses=_doses(120.0),
        subject=_subject(),
        expected_alarms=frozenset(),
    )
)
_add(
    Scenario(
        name="placebo",
        title="placebo (0 mg): baseline physiology all session",
        description=(
            "The typical subject given an inactive placebo (a dose event of 0 mg is recorded, as a "
            "blinded session would). Only spontaneous variation. No alarm."
        ),
        doses=_doses(0.0),
        subject=_subject(),
        expected_alarms=frozenset(),
    )
)
_add(
    Scenario(
        name="hypertensive",
        title="120 mg, strong pressor response: SBP 180-200, supplement withheld",
        description=(
            "A high-normal baseline (135/85) and a strong pressor response with an onset surge: SBP "
            "reaches 180-200 and DBP about 105-110 between 1 and 2 h, so the cuff repeats every "
            "5 min; the supplemental dose is withheld (a note records it). Trips SBP upper (high), "
            "DBP upper and MAP upper."
        ),
        doses=_doses(120.0),
        subject=_subject(
            hr0=72.0,
            sbp0=135.0,
            dbp0=85.0,
            e_hr=50.0,
            e_sbp=125.0,
            e_dbp=55.0,
            surge=1.0,
            surge_t=40 * MINUTE,
        ),  # fmt: skip
        notes=((_SUPPLEMENT_DECISION_S, "Supplemental dose withheld: BP above 160/100."),),
        expected_alarms=frozenset({("sbp", "upper"), ("dbp", "upper"), ("map", "upper")}),
    )
)
_add(
    Scenario(
        name="tachycardic",
        title="120 mg, strong chronotropic response: HR 130-150, supplement withheld",
        description=(
            "HR climbs to 130-150 bpm between 1 and 2 h while SBP stays below 150, so the shock "
            "index (HR/SBP) also passes 0.9-1.0 at the cuff readings; the supplemental dose is "
            "withheld. Trips HR upper (high) and shock index upper."
        ),
        doses=_doses(120.0),
        subject=_subject(hr0=78.0, e_hr=160.0, e_sbp=50.0, e_dbp=20.0, e_temp=0.7),
        notes=((_SUPPLEMENT_DECISION_S, "Supplemental dose withheld: HR above 110."),),
        expected_alarms=frozenset({("hr", "upper"), ("si", "upper")}),
    )
)
_add(
    Scenario(
        name="hyperthermic",
        title="120 mg + 60 mg; temperature rises to 38-38.5 °C",
        description=(
            "A subject with a strong thermal response: temperature climbs slowly after the "
            "supplement and stays at 38.0-38.5 °C for hours, with HR a little higher because of it. "
            "Trips temperature upper (medium)."
        ),
        doses=_doses(120.0, 60.0),
        subject=_subject(temp0=36.9, e_temp=1.8, e_hr=35.0),
        expected_alarms=frozenset({("temp", "upper")}),
    )
)
_add(
    Scenario(
        name="late-hypotension",
        title="120 mg + 60 mg; SBP falls in the come-down while HR stays high",
        description=(
            "An ordinary peak, then from about 4.5 h after the dose SBP falls to about 90-95 mmHg "
            "while HR stays near 100 bpm: the shock index rises above 0.9 (and 1.0). Trips shock "
            "index upper and SBP lower."
        ),
        doses=_doses(120.0, 60.0),
        subject=_subject(
            hr0=72.0,
            sbp0=115.0,
            dbp0=72.0,
            e_hr=60.0,
            e_sbp=60.0,
            e_dbp=25.0,
            comedown_hr=12.0,
            comedown_sbp=-31.0,
            comedown_dbp=-7.0,
            comedown_t=4.5 * HOUR,
            comedown_w=20 * MINUTE,
        ),  # fmt: skip
        expected_alarms=frozenset({("si", "upper"), ("sbp", "lower")}),
    )
)
_add(
    Scenario(
        name="sensor-dropout",
        title="typical session; HR silent for 2 min, then two failed cuff readings in a row",
        description=(
            "The typical session, but the HR feed is silent for 2 minutes at 02:40 and the cuff "
            "readings due at 03:15 and 03:30 fail, leaving 45 min between valid BP readings. Trips "
            "HR stale and BP stale (technical alarms), and no limit alarm."
        ),
        doses=_doses(120.0, 60.0),
        subject=_subject(),
        forced=Forced(hr_gaps=((2 * HOUR + 40 * MINUTE, 120.0),), cuff_failures=((3 * HOUR + 15 * MINUTE, 2),)),
        expected_alarms=frozenset({("hr", "stale"), ("bp", "stale")}),
    )
)
_add(
    Scenario(
        name="artifacts",
        title="typical session recorded with a noisy sensor: spikes, zeros, short dropouts, cuff 0/0",
        description=(
            "The typical session with motion artifacts: about 3 HR bursts an hour (erratic values "
            "up to 320, or 0), 2 short HR dropouts an hour (under 10 s), and cuff readings of 0/0 "
            "(at least one). Every artifact is implausible and short, so only the implausible-reading "
            "technical alarms trip (HR, SBP, DBP, MAP), no limit or stale alarm."
        ),
        doses=_doses(120.0, 60.0),
        subject=_subject(),
        device=DeviceConfig(artifacts=ArtifactConfig(hr_spikes_per_h=3.0, hr_dropouts_per_h=2.0, cuff_zero_prob=0.1)),
        forced=Forced(cuff_zeros=(1 * HOUR,)),
        expected_alarms=frozenset({("hr", "artifact"), ("sbp", "artifact"), ("dbp", "artifact"), ("map", "artifact")}),
    )
)


def scenario_names() -> list[str]:
    return list(SCENARIOS)


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise KeyError(f"unknown scenario '{name}'; choose one of: {', '.join(SCENARIOS)}") from None
