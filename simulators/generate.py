"""One simulated session: physiology -> devices -> artifacts -> rows of the canonical CSV.

Rows are one per second with anything measured in it (HR every second, cuff and temperature values
merged into the row of their second). Times are integer seconds since the session start.
The seed feeds a numpy SeedSequence spawned into independent streams (subject, physiology, devices,
artifacts), so changing e.g. the artifact rates does not change the physiology of the same seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from monitor.core.vitals import VITALS
from simulators.artifacts import HrArtifactSpan, apply_hr_artifacts
from simulators.devices import CuffResult, hr_per_second, run_cuff, spo2_per_second, temperature
from simulators.model import Dose, Physiology, Subjects, draw_subjects, simulate_physiology
from simulators.scenarios import Scenario, get_scenario


@dataclass
class SimSession:
    scenario: Scenario
    seed: int
    duration_s: float
    t: np.ndarray  # row times, integer seconds since start (float dtype), increasing
    columns: dict[str, np.ndarray]  # every canonical vital, NaN where not measured on that row
    cuff: CuffResult  # every attempted cuff reading, including failures
    hr_artifacts: list[HrArtifactSpan]
    physiology: Physiology  # the true values (one subject)
    subject: Subjects

    @property
    def doses(self) -> tuple[Dose, ...]:
        return self.scenario.doses

    @property
    def notes(self) -> tuple[tuple[float, str], ...]:
        return self.scenario.notes

    @property
    def expected_alarms(self) -> frozenset[tuple[str, str]]:
        return self.scenario.expected_alarms

    def __len__(self) -> int:
        return len(self.t)

    def failed_cuff_times(self) -> np.ndarray:
        return self.cuff.times[[s == "failed" for s in self.cuff.status]]

    def events(self) -> list[dict]:
        """Dose and note events, seconds since start in "t", in time order."""
        out: list[dict] = []
        for d in self.doses:
            if d.t <= self.duration_s:
                out.append({"t": d.t, "kind": "dose", "dose": d.kind, "amount_mg": _num(d.mg)})
        for t, text in self.notes:
            if t <= self.duration_s:
                out.append({"t": t, "kind": "note", "text": text})
        out.sort(key=lambda e: e["t"])
        return out


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


def simulate(
    scenario: Scenario | str = "typical",
    seed: int = 1,
    duration_s: float | None = None,
    dose_mg: float | None = None,
    spo2: bool | None = None,
) -> SimSession:
    """Generate a whole session (vectorised; an 8 h session takes a few tens of milliseconds)."""
    if isinstance(scenario, str):
        scenario = get_scenario(scenario)
    if dose_mg is not None:
        scenario = scenario.with_initial_dose(dose_mg)
    if spo2 is not None and spo2 != scenario.device.spo2:
        scenario = scenario.with_device(spo2=spo2)
    duration = float(scenario.duration_s if duration_s is None else duration_s)
    if not (duration > 0 and math.isfinite(duration)):
        raise ValueError("the duration must be more than 0 seconds")
    n_sec = int(math.ceil(duration))
    device = scenario.device
    streams = np.random.SeedSequence(seed).spawn(4)
    rng_subject, rng_phys, rng_dev, rng_art = (np.random.default_rng(s) for s in streams)

    subject = draw_subjects(rng_subject, 1).with_overrides(scenario.subject)
    phys = simulate_physiology(subject, scenario.doses, duration, rng_phys)
    grid = phys.t
    cuff = run_cuff(
        rng_dev, rng_art, grid, phys.sbp[0], phys.dbp[0], duration, scenario.initial_dose_t, device, scenario.forced
    )

    seconds = np.arange(n_sec, dtype=float)
    hr = hr_per_second(rng_dev, seconds, grid, phys.hr[0], device)
    present = np.ones(n_sec, dtype=bool)
    spans = apply_hr_artifacts(rng_art, hr, present, n_sec, device.artifacts, scenario.forced, cuff.times)
    hr = np.rint(hr)
    temp_t, temp_v = temperature(rng_dev, duration, grid, phys.temp[0], device)
    spo2_v = spo2_per_second(rng_dev, seconds, grid, phys.spo2[0], device) if device.spo2 else None

    # merge onto a per-second grid, then keep the seconds where anything was measured
    cols = {name: np.full(n_sec, np.nan) for name in VITALS}
    cols["hr"][present] = hr[present]
    if spo2_v is not None:
        cols["spo2"][present] = spo2_v[present]
    ok = ~np.isnan(cuff.sbp)
    ci = cuff.times[ok].astype(int)
    cols["sbp"][ci] = cuff.sbp[ok]
    cols["dbp"][ci] = cuff.dbp[ok]
    cols["map"][ci] = cuff.map[ok]
    cols["temp"][temp_t.astype(int)] = temp_v
    any_value = np.zeros(n_sec, dtype=bool)
    for values in cols.values():
        any_value |= ~np.isnan(values)
    keep = np.flatnonzero(any_value)
    return SimSession(
        scenario=scenario,
        seed=seed,
        duration_s=duration,
        t=seconds[keep],
        columns={name: values[keep] for name, values in cols.items()},
        cuff=cuff,
        hr_artifacts=spans,
        physiology=phys,
        subject=subject,
    )
