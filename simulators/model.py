"""The physiological model: pharmacokinetics, effects, and the subjects they act on.

Everything here is "true" physiology on a coarse time grid (one minute by default). Devices
(`simulators.devices`) sample it with their own schedules and noise.

Pharmacokinetics (Mas et al. 1999, JPET 290:136): an oral dose is absorbed first-order into one
compartment and eliminated first-order. MDMA inhibits its own metabolism (CYP2D6), so the model is
non-linear: the elimination rate falls and the absorbed fraction rises with the cumulative dose.
With the default numbers a 125 mg dose peaks at about 236 ng/mL after about 2 h with a half-life of
about 8.6 h, and 75 mg peaks at about 131 ng/mL with a half-life of about 7.7 h (Cmax ratio 1.8 for a
dose ratio of 1.67: more than proportional). A supplemental half-dose therefore adds more plasma
drug than its size suggests.

Effects: the plasma concentration drives an effect site with a lag (onset 30-45 min), a sigmoid Emax
turns it into a drive between 0 and 1, and acute tolerance (a slow moderator that follows the drive
and subtracts from it) makes HR and BP peak 1-2 h after the dose and fall back long before plasma
does (clockwise hysteresis; Farré 2004). The same tolerance makes a supplemental dose give a shoulder
or a longer plateau instead of a second peak of the same height. Temperature follows the drive
without tolerance but through a slow thermal lag, and raises HR a little (about 8 bpm per °C).
Some subjects show an onset surge (a short HR/BP rise 30-60 min after the dose, cf. Downing 1986).

Subjects: baselines and sensitivities are drawn per subject from a seeded numpy Generator; the
effect sizes below are calibrated so that a cohort at 125 mg matches Vizeli & Liechti 2017 (see
`simulators.cohort` and `benchmarks/bench_calibration.py`). They are modelling choices, not
measured population parameters.

Integration: the slow states are advanced on the grid with exact exponential steps; the loop runs
over grid steps (480 for 8 h) and is vectorised over subjects, so a whole cohort costs about as much
as one subject.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace

import numpy as np

HOUR = 3600.0
MINUTE = 60.0
GRID_S = 60.0


@dataclass(frozen=True)
class Dose:
    """An oral dose given `t` seconds after the session start."""

    t: float
    mg: float
    kind: str = "initial"  # "initial" or "supplemental"


@dataclass(frozen=True)
class Population:
    """Typical values and between-subject variability. Rates are per hour, times in seconds."""

    # baselines: mean, sd, clip range (healthy volunteers; docs/clinical.md "Baselines")
    hr0: tuple[float, float, float, float] = (70.0, 10.0, 50.0, 100.0)
    sbp0: tuple[float, float, float, float] = (120.0, 12.0, 95.0, 150.0)
    dbp0: tuple[float, float, float, float] = (75.0, 8.0, 55.0, 92.0)
    temp0: tuple[float, float, float, float] = (36.7, 0.3, 36.0, 37.3)
    spo2_0: tuple[float, float, float, float] = (98.0, 0.7, 96.5, 99.5)
    # pharmacokinetics (Mas 1999): typical value and log-normal sd
    ka: tuple[float, float] = (1.5, 0.25)  # absorption, 1/h: Tmax about 2 h
    ke0: tuple[float, float] = (math.log(2) / 6.35, 0.2)  # elimination at zero dose, 1/h
    volume_l: tuple[float, float] = (509.0, 0.2)  # apparent volume V/F, litres
    ke_d50_mg: float = 352.0  # elimination rate halves at this cumulative dose
    f_d_mg: float = 925.0  # absorbed fraction grows by cumdose / f_d_mg
    # pharmacodynamics
    keo: float = 2.5  # effect-site equilibration, 1/h (t1/2 about 17 min)
    ec50: tuple[float, float] = (150.0, 0.3)  # ng/mL at the effect site
    hill: float = 1.5
    k_tol: float = 0.8  # tolerance moderator rate, 1/h
    f_tol: float = 0.8  # share of the drive the moderator can cancel
    k_therm: float = 0.8  # thermal lag, 1/h
    # effect at full net drive (drive 1, no tolerance), median and log-normal sd;
    # sensitivities of HR, SBP and DBP share a latent factor with correlation `rho`.
    e_hr: tuple[float, float] = (40.0, 0.35)
    e_sbp: tuple[float, float] = (67.0, 0.35)
    e_dbp: tuple[float, float] = (30.0, 0.35)
    e_temp: tuple[float, float] = (1.05, 0.6)
    rho: float = 0.6
    hr_per_degc: float = 8.0
    # onset surge: share of subjects, amplitude (scaled by U(0.5, 1)), time after the initial dose
    surge_share: float = 0.3
    surge_hr: float = 12.0
    surge_sbp: float = 12.0
    surge_dbp: float = 6.0
    surge_window_s: tuple[float, float] = (30 * MINUTE, 60 * MINUTE)
    surge_width_s: float = 7 * MINUTE
    # slow spontaneous variation (Ornstein-Uhlenbeck on the grid): sd and time constant
    drift_tau_s: float = 30 * MINUTE
    drift_hr: float = 3.0
    drift_sbp: float = 4.0
    drift_dbp: float = 3.0
    drift_temp: float = 0.08
    drift_spo2: float = 0.4


POPULATION = Population()


@dataclass
class Subjects:
    """Per-subject parameters, one numpy array of shape (n,) per field."""

    hr0: np.ndarray
    sbp0: np.ndarray
    dbp0: np.ndarray
    temp0: np.ndarray
    spo2_0: np.ndarray
    ka: np.ndarray
    ke0: np.ndarray
    volume_l: np.ndarray
    ec50: np.ndarray
    e_hr: np.ndarray
    e_sbp: np.ndarray
    e_dbp: np.ndarray
    e_temp: np.ndarray
    surge: np.ndarray  # 0 = no surge, else amplitude scale
    surge_t: np.ndarray  # seconds after the initial dose
    # come-down changes (0 in the population; used by scenarios such as late-hypotension)
    comedown_hr: np.ndarray = field(default=None)  # type: ignore[arg-type]  # filled in __post_init__
    comedown_sbp: np.ndarray = field(default=None)  # type: ignore[arg-type]  # filled in __post_init__
    comedown_dbp: np.ndarray = field(default=None)  # type: ignore[arg-type]  # filled in __post_init__
    comedown_t: np.ndarray = field(default=None)  # type: ignore[arg-type]  # s after dose; filled in __post_init__
    comedown_w: np.ndarray = field(default=None)  # type: ignore[arg-type]  # logistic width; filled in __post_init__
    drift_scale: np.ndarray = field(default=None)  # type: ignore[arg-type]  # filled in __post_init__

    def __post_init__(self) -> None:
        n = len(self.hr0)
        defaults = {
            "comedown_hr": 0.0,
            "comedown_sbp": 0.0,
            "comedown_dbp": 0.0,
            "comedown_t": 4.5 * HOUR,
            "comedown_w": 20 * MINUTE,
            "drift_scale": 1.0,
        }
        for name, value in defaults.items():
            if getattr(self, name) is None:
                setattr(self, name, np.full(n, value))

    def __len__(self) -> int:
        return len(self.hr0)

    def with_overrides(self, overrides: dict[str, float]) -> Subjects:
        """A copy with some parameters pinned to the same value for every subject."""
        names = {f.name for f in fields(self)}
        unknown = set(overrides) - names
        if unknown:
            raise KeyError(f"unknown subject parameter(s): {', '.join(sorted(unknown))}")
        n = len(self)
        return replace(self, **{k: np.full(n, float(v)) for k, v in overrides.items()})


def draw_subjects(rng: np.random.Generator, n: int, pop: Population = POPULATION) -> Subjects:
    """Draw `n` subjects. The order of the draws is fixed, so a seed always gives the same cohort."""

    def normal(spec: tuple[float, float, float, float]) -> np.ndarray:
        mean, sd, lo, hi = spec
        return np.clip(mean + sd * rng.standard_normal(n), lo, hi)

    def lognormal(spec: tuple[float, float], z: np.ndarray | None = None) -> np.ndarray:
        typical, sd = spec
        z = rng.standard_normal(n) if z is None else z
        return typical * np.exp(sd * z)

    hr0, sbp0, dbp0, temp0, spo2_0 = (normal(s) for s in (pop.hr0, pop.sbp0, pop.dbp0, pop.temp0, pop.spo2_0))
    dbp0 = np.minimum(dbp0, sbp0 - 30.0)
    ka, ke0, volume = lognormal(pop.ka), lognormal(pop.ke0), lognormal(pop.volume_l)
    ec50 = lognormal(pop.ec50)
    shared = rng.standard_normal(n)
    own = rng.standard_normal((3, n))
    z = pop.rho * shared + math.sqrt(1.0 - pop.rho**2) * own
    e_hr, e_sbp, e_dbp = (lognormal(s, z[i]) for i, s in enumerate((pop.e_hr, pop.e_sbp, pop.e_dbp)))
    e_temp = lognormal(pop.e_temp)
    has_surge = rng.random(n) < pop.surge_share
    surge = np.where(has_surge, rng.uniform(0.5, 1.0, n), 0.0)
    surge_t = rng.uniform(*pop.surge_window_s, n)
    return Subjects(
        hr0=hr0, sbp0=sbp0, dbp0=dbp0, temp0=temp0, spo2_0=spo2_0,
        ka=ka, ke0=ke0, volume_l=volume, ec50=ec50,
        e_hr=e_hr, e_sbp=e_sbp, e_dbp=e_dbp, e_temp=e_temp,
        surge=surge, surge_t=surge_t,
    )  # fmt: skip


@dataclass
class Physiology:
    """True values on the grid: arrays of shape (n_subjects, n_grid)."""

    t: np.ndarray  # seconds since the session start, shape (n_grid,)
    cp: np.ndarray  # plasma concentration, ng/mL
    drive: np.ndarray  # net drive after tolerance, 0..1
    hr: np.ndarray
    sbp: np.ndarray
    dbp: np.ndarray
    temp: np.ndarray
    spo2: np.ndarray

    def series(self, i: int) -> dict[str, np.ndarray]:
        return {"hr": self.hr[i], "sbp": self.sbp[i], "dbp": self.dbp[i], "temp": self.temp[i], "spo2": self.spo2[i]}


def simulate_physiology(
    subjects: Subjects,
    doses: list[Dose] | tuple[Dose, ...],
    duration_s: float,
    rng: np.random.Generator,
    pop: Population = POPULATION,
    dt: float = GRID_S,
) -> Physiology:
    """Integrate every subject over [0, duration_s] on a grid of `dt` seconds (vectorised)."""
    n = len(subjects)
    steps = int(math.ceil(duration_s / dt)) + 1
    t = np.arange(steps) * dt
    dose_at: dict[int, float] = {}
    for dose in doses:
        k = int(round(dose.t / dt))
        if 0 <= k < steps:
            dose_at[k] = dose_at.get(k, 0.0) + dose.mg
    initial_t = min((d.t for d in doses), default=None)

    # drift: standard-normal innovations for (hr, sbp, dbp, temp, spo2), drawn at once
    innov = rng.standard_normal((5, n, steps))
    phi = math.exp(-dt / pop.drift_tau_s)
    gain = math.sqrt(1.0 - phi * phi)
    drift = np.empty((5, n, steps))
    x = innov[:, :, 0].copy()

    cp = np.empty((n, steps))
    drive = np.empty((n, steps))
    therm = np.empty((n, steps))
    gut = np.zeros(n)
    central = np.zeros(n)
    ce = np.zeros(n)
    tol = np.zeros(n)
    th = np.zeros(n)
    cum = 0.0
    ka_step = np.exp(-subjects.ka * dt / HOUR)
    keo_step = math.exp(-pop.keo * dt / HOUR)
    tol_step = math.exp(-pop.k_tol * dt / HOUR)
    th_step = math.exp(-pop.k_therm * dt / HOUR)
    ec50_h = subjects.ec50**pop.hill
    for k in range(steps):
        mg = dose_at.get(k)
        if mg:
            cum += mg
            gut = gut + mg * (1.0 + cum / pop.f_d_mg)
        c = central / subjects.volume_l * 1000.0  # mg/L -> ng/mL
        ce_h = ce**pop.hill
        d = ce_h / (ec50_h + ce_h)
        cp[:, k] = c
        drive[:, k] = np.maximum(d - pop.f_tol * tol, 0.0)
        therm[:, k] = th
        drift[:, :, k] = x
        # advance one step
        ke = subjects.ke0 / (1.0 + cum / pop.ke_d50_mg)
        ke_step = np.exp(-ke * dt / HOUR)
        central = central * ke_step + gut * subjects.ka / (subjects.ka - ke) * (ke_step - ka_step)
        gut = gut * ka_step
        ce = c + (ce - c) * keo_step
        tol = d + (tol - d) * tol_step
        target = subjects.e_temp * d
        th = target + (th - target) * th_step
        if k + 1 < steps:
            x = phi * x + gain * innov[:, :, k + 1]

    col = lambda a: a[:, None]
    ds = col(subjects.drift_scale)
    hr = col(subjects.hr0) + col(subjects.e_hr) * drive + pop.hr_per_degc * therm
    sbp = col(subjects.sbp0) + col(subjects.e_sbp) * drive
    dbp = col(subjects.dbp0) + col(subjects.e_dbp) * drive
    if initial_t is not None:
        # onset surge after the initial dose
        since = t[None, :] - initial_t - col(subjects.surge_t)
        bump = col(subjects.surge) * np.exp(-0.5 * (since / pop.surge_width_s) ** 2)
        hr = hr + pop.surge_hr * bump
        sbp = sbp + pop.surge_sbp * bump
        dbp = dbp + pop.surge_dbp * bump
        # come-down changes: a logistic step centred `comedown_t` after the initial dose
        z = (t[None, :] - initial_t - col(subjects.comedown_t)) / col(subjects.comedown_w)
        step = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
        hr = hr + col(subjects.comedown_hr) * step
        sbp = sbp + col(subjects.comedown_sbp) * step
        dbp = dbp + col(subjects.comedown_dbp) * step
    hr = hr + ds * pop.drift_hr * drift[0]
    sbp = sbp + ds * pop.drift_sbp * drift[1]
    dbp = dbp + ds * pop.drift_dbp * drift[2]
    temp = col(subjects.temp0) + therm + ds * pop.drift_temp * drift[3]
    spo2 = np.minimum(col(subjects.spo2_0) + ds * pop.drift_spo2 * drift[4], 100.0)
    return Physiology(t=t, cp=cp, drive=drive, hr=hr, sbp=sbp, dbp=dbp, temp=temp, spo2=spo2)
