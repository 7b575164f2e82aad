"""A SIMULATED cohort: N recorded session folders, one subject each drawn from the simulator's
population (simulators.model.POPULATION), seeded, so the cohort analysis can be tried and
benchmarked without patient data.

Each session is what a bedside monitor would have recorded: the simulator's readings, the dose,
the alarm log of the one alarm engine under the default limits, and the team acknowledging each
new alarm after a while (median 40 s; some much later, so reminders happen). The folders are
written by the recorder (monitor.recording.recorder), the only writer of the session format, and
labelled SIMULATED in their label and `simulated` flag.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from monitor.core.alarm_engine import AlarmEngine
from monitor.core.alarm_types import Control
from monitor.core.readings import ReadingColumns, VitalStore
from monitor.core.thresholds import Thresholds
from monitor.core.thresholds_loader import load_thresholds
from monitor.core.vitals import VITALS
from monitor.recording.recorder import SessionRecorder

DEFAULT_DOSE_MG = 125.0
ACK_MEDIAN_S = 40.0
ACK_SPREAD = 0.9  # lognormal sigma: about 1 in 10 acknowledgements takes over 2 min


def _artifacts():
    from simulators.artifacts import ArtifactConfig

    # About one HR burst and one short dropout every two hours; 2 % of cuff readings 0/0 and 3 %
    # failed: enough for the data-quality table to have something to count.
    return ArtifactConfig(hr_spikes_per_h=0.5, hr_dropouts_per_h=0.5, cuff_zero_prob=0.02, cuff_fail_prob=0.03)


START = datetime(2026, 11, 2, 8, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class CohortPlan:
    n: int
    seed: int = 1
    duration_s: float = 8 * 3600.0
    dose_mg: float = DEFAULT_DOSE_MG
    supplement: bool = False  # a half-dose 2 h after the initial one
    sites: int = 3
    artifacts: bool = True  # a few artifacts, as a real sensor gives (see ARTIFACTS)


def session_seed(seed: int, i: int) -> int:
    """The simulator seed of session i: independent streams per session (numpy SeedSequence)."""
    return int(np.random.SeedSequence([seed, i]).generate_state(1)[0])


def _scenario(plan: CohortPlan):
    from simulators.model import Dose
    from simulators.scenarios import BASELINE_S, SUPPLEMENT_AFTER_S, get_scenario

    doses = [Dose(BASELINE_S, plan.dose_mg, "initial")]
    if plan.supplement:
        doses.append(Dose(BASELINE_S + SUPPLEMENT_AFTER_S, plan.dose_mg / 2, "supplemental"))
    from simulators.artifacts import ArtifactConfig

    # The typical scenario's devices with a few artifacts (a bedside sensor is not perfect), and
    # no pinned subject: each seed draws one from the population.
    typical = get_scenario("typical")
    device = replace(typical.device, artifacts=_artifacts() if plan.artifacts else ArtifactConfig())
    return replace(typical, name="cohort", subject={}, doses=tuple(doses), device=device, expected_alarms=frozenset())


def _acks(log, rng: np.random.Generator) -> list[float]:
    """When the team acknowledges: some time after each alarm turns active, unless an earlier
    acknowledgement already took it (one key acknowledges every active alarm)."""
    out: list[float] = []
    for e in log:
        if e.state != "active":
            continue
        if out and e.t <= out[-1]:
            continue
        out.append(e.t + float(rng.lognormal(math.log(ACK_MEDIAN_S), ACK_SPREAD)))
    return out


def session_folder(folder: Path, plan: CohortPlan, i: int) -> Path:
    site = f"site-{chr(ord('A') + i % plan.sites)}" if plan.sites <= 26 else f"site-{i % plan.sites + 1:02d}"
    return Path(folder) / site / f"sim-{plan.seed}-{i + 1:04d}"


def write_session(folder: Path, plan: CohortPlan, i: int, th: Thresholds) -> Path:
    """Session i of the plan; a folder that exists is left as it is (the same seed wrote it)."""
    from simulators.generate import simulate

    target = session_folder(folder, plan, i)
    if target.exists():
        return target

    seed = session_seed(plan.seed, i)
    sim = simulate(_scenario(plan), seed, plan.duration_s)
    start = START + timedelta(days=i)
    t0 = start.timestamp()
    store = VitalStore()
    store.extend(sim.t + t0, {name: sim.columns[name] for name in VITALS})
    doses = [Control(t0 + d.t, "dose", {"dose": d.kind, "given_at": t0 + d.t}) for d in sim.doses]
    end = t0 + sim.duration_s
    first = AlarmEngine(th).run(store, doses, end=end)
    rng = np.random.default_rng(np.random.SeedSequence([plan.seed, i, 1]))
    acks = [Control(t, "ack", {"who": "SIMULATED team"}) for t in _acks(first, rng) if t < end]
    log = AlarmEngine(th).run(store, doses + acks, end=end)

    site, ident = target.parent.name, target.name
    rec = SessionRecorder(
        target,
        label=f"SIMULATED cohort session {i + 1} (seed {seed})",
        source="simulator",
        simulated=True,
        thresholds=th,
        absolute=True,
        start=t0,
        extra={
            "id": ident,
            "site": site,
            "participant": f"SIM-{i + 1:04d}",
            "scenario": "cohort",
            "seed": seed,
            "initial_dose_mg": plan.dose_mg,
        },
    )
    try:
        rec.readings(ReadingColumns(sim.t + t0, sim.columns))  # written a column at a time
        events: list[tuple[float, int, str, dict]] = [(t0, 0, "start", {})]
        for d in sim.doses:
            events.append((t0 + d.t, 1, "dose", {"dose": d.kind, "amount_mg": d.mg, "given_at": _iso(t0 + d.t)}))
        for c in acks:
            events.append((c.t, 1, "ack", {"who": c.data["who"]}))
        for e in log:
            events.append((e.t, 2, "alarm", e))  # type: ignore[arg-type]
        events.append((end, 3, "stop", {}))
        for t, _, kind, data in sorted(events, key=lambda x: (x[0], x[1])):
            if kind == "alarm":
                rec.alarm(data)  # type: ignore[arg-type]
            else:
                rec.event(t, kind, **data)
    finally:
        rec.close()
    return rec.folder


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")


def _write_one(folder: str, plan: CohortPlan, i: int) -> Path:
    return write_session(Path(folder), plan, i, load_thresholds())


def write_cohort(folder: Path, plan: CohortPlan, progress=None, jobs: int = 1) -> list[Path]:
    """Write the plan's sessions below `folder` (site-X/sim-SEED-NNNN); returns their folders.
    Sessions already there are kept (the same seed wrote them), so a larger N adds the rest."""
    th = load_thresholds()
    out = []
    if jobs <= 1 or plan.n < 2 * jobs:
        for i in range(plan.n):
            out.append(write_session(Path(folder), plan, i, th))
            if progress is not None:
                progress(i + 1)
        return out
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("forkserver")) as pool:
        futures = [pool.submit(_write_one, str(folder), plan, i) for i in range(plan.n)]
        for k, f in enumerate(futures):
            out.append(f.result())
            if progress is not None:
                progress(k + 1)
    return out
