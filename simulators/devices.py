"""Devices: how the monitor samples the true physiology.

- HR every second: the physiological trend plus short-term variability (an Ornstein-Uhlenbeck
  process, sd 2 bpm, time constant 8 s, as left after a monitor's beat averaging) and a slow
  ~0.1 Hz oscillation (Mayer waves).
- Cuff BP on a schedule: every 15 min until 4 h after the initial dose (and during the pre-dose
  baseline), every 30 min after that, every 5 min after a reading at or over the repeat limit
  (SBP >= 160 or DBP >= 100); measurement noise sd 4/3 mmHg (truncated at 2.5 sd); MAP from the
  measured values. Failed readings leave no values (no automatic retry unless configured).
- Temperature every 30 min, noise sd 0.1 °C, one decimal.
- SpO2 every second (optional).
All intervals and limits are configurable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from simulators.artifacts import ArtifactConfig, Forced
from simulators.model import HOUR


@dataclass(frozen=True)
class CuffSchedule:
    dense_interval_s: float = 15 * 60.0
    dense_for_s: float = 4 * HOUR  # after the initial dose; the pre-dose baseline is dense too
    sparse_interval_s: float = 30 * 60.0
    repeat_interval_s: float = 5 * 60.0
    repeat_sbp: float = 160.0  # a reading at or over either limit asks for a repeat
    repeat_dbp: float = 100.0
    retry_after_fail_s: float | None = None  # None: a failed reading waits for the next slot

    def interval(self, t: float, initial_dose_t: float | None) -> float:
        if initial_dose_t is None or t < initial_dose_t + self.dense_for_s:
            return self.dense_interval_s
        return self.sparse_interval_s

    def breached(self, sbp: float, dbp: float) -> bool:
        return sbp >= self.repeat_sbp or dbp >= self.repeat_dbp

    def next_time(self, t: float, initial_dose_t: float | None, sbp: float, dbp: float, status: str) -> float:
        """When the next reading starts, given this one's values and status ("ok"/"failed"/"zero")."""
        if status == "ok" and self.breached(sbp, dbp):
            return t + self.repeat_interval_s
        if status != "ok" and self.retry_after_fail_s is not None:
            return t + self.retry_after_fail_s
        return t + self.interval(t, initial_dose_t)


@dataclass(frozen=True)
class DeviceConfig:
    hr_noise_sd: float = 2.0
    hr_noise_tau_s: float = 8.0
    hr_wave_bpm: float = 1.0
    hr_wave_hz: tuple[float, float] = (0.08, 0.12)
    cuff: CuffSchedule = field(default_factory=CuffSchedule)
    cuff_sbp_sd: float = 4.0
    cuff_dbp_sd: float = 3.0
    temp_interval_s: float = 30 * 60.0
    temp_sd: float = 0.1
    spo2: bool = False
    spo2_sd: float = 0.4
    artifacts: ArtifactConfig = field(default_factory=ArtifactConfig)


@dataclass
class CuffResult:
    times: np.ndarray  # every attempted reading, seconds since start
    status: list[str]  # "ok", "failed" or "zero" per attempt
    sbp: np.ndarray  # NaN for failed attempts
    dbp: np.ndarray
    map: np.ndarray

    def ok(self) -> np.ndarray:
        return np.array([s == "ok" for s in self.status], dtype=bool)


def _interp(t: np.ndarray, grid_t: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.interp(t, grid_t, values)


def run_cuff(
    rng: np.random.Generator,
    art_rng: np.random.Generator,
    grid_t: np.ndarray,
    sbp_true: np.ndarray,
    dbp_true: np.ndarray,
    duration_s: float,
    initial_dose_t: float | None,
    config: DeviceConfig,
    forced: Forced = Forced(),  # noqa: B008 - a frozen dataclass: one shared default is safe
) -> CuffResult:
    """Walk the cuff schedule for one subject. The schedule depends on the readings it gets."""
    sched = config.cuff
    min_interval = min(sched.dense_interval_s, sched.sparse_interval_s, sched.repeat_interval_s)
    if sched.retry_after_fail_s:
        min_interval = min(min_interval, sched.retry_after_fail_s)
    cap = int(duration_s // min_interval) + 2
    # measurement error, truncated at 2.5 sd (a validated cuff has a bounded error)
    noise_s = np.clip(rng.standard_normal(cap), -2.5, 2.5) * config.cuff_sbp_sd
    noise_d = np.clip(rng.standard_normal(cap), -2.5, 2.5) * config.cuff_dbp_sd
    art = config.artifacts
    u_fail = art_rng.random(cap)
    u_zero = art_rng.random(cap)
    fail_left = [[float(t0), int(c)] for t0, c in forced.cuff_failures]
    zero_left = [float(t0) for t0 in forced.cuff_zeros]

    times: list[float] = []
    status: list[str] = []
    sbp_out: list[float] = []
    dbp_out: list[float] = []
    last_valid = 0.0
    prev_ok = True
    t = 0.0
    i = 0
    while t < duration_s and i < cap:
        st = "ok"
        for slot in fail_left:
            if t >= slot[0] and slot[1] > 0:
                slot[1] -= 1
                st = "failed"
                break
        if st == "ok":
            for j, t0 in enumerate(zero_left):
                if t >= t0:
                    zero_left.pop(j)
                    st = "zero"
                    break
        if st == "ok" and (art.cuff_fail_prob > 0 or art.cuff_zero_prob > 0) and prev_ok:
            # random artifacts, never two in a row and never leaving too long a valid gap
            resume = t + sched.interval(t, initial_dose_t)
            forced_next = any(c > 0 and t0 <= resume for t0, c in fail_left) or any(t0 <= resume for t0 in zero_left)
            gap_ok = art.cuff_gap_limit_s is None or resume - last_valid <= art.cuff_gap_limit_s
            if gap_ok and not forced_next:
                if u_fail[i] < art.cuff_fail_prob:
                    st = "failed"
                elif u_zero[i] < art.cuff_zero_prob:
                    st = "zero"
        if st == "ok":
            s_true = float(np.interp(t, grid_t, sbp_true))
            d_true = float(np.interp(t, grid_t, dbp_true))
            s = float(np.rint(s_true + noise_s[i]))
            d = float(np.rint(min(d_true + noise_d[i], s - 15.0)))
            last_valid = t
        elif st == "zero":
            s = d = 0.0
        else:
            s = d = math.nan
        times.append(t)
        status.append(st)
        sbp_out.append(s)
        dbp_out.append(d)
        prev_ok = st == "ok"
        t = sched.next_time(t, initial_dose_t, s, d, st)
        i += 1
    sbp = np.array(sbp_out, dtype=float)
    dbp = np.array(dbp_out, dtype=float)
    return CuffResult(
        times=np.array(times, dtype=float),
        status=status,
        sbp=sbp,
        dbp=dbp,
        map=np.rint((sbp + 2.0 * dbp) / 3.0),
    )


def ou_noise(rng: np.random.Generator, n: int, sd: float, tau_s: float, dt: float = 1.0) -> np.ndarray:
    """A stationary Ornstein-Uhlenbeck sample path of length n (vectorised via a truncated filter)."""
    if n <= 0 or sd <= 0:
        return np.zeros(max(n, 0))
    phi = math.exp(-dt / tau_s)
    taps = max(1, int(math.ceil(8 * tau_s / dt)))
    kernel = phi ** np.arange(taps)
    white = rng.standard_normal(n + taps - 1)
    path = np.convolve(white, kernel, mode="valid")
    return path * (sd / math.sqrt(np.sum(kernel**2)))


def hr_per_second(
    rng: np.random.Generator, seconds: np.ndarray, grid_t: np.ndarray, hr_true: np.ndarray, config: DeviceConfig
) -> np.ndarray:
    """Displayed HR at each second (before rounding and artifacts)."""
    trend = _interp(seconds, grid_t, hr_true)
    fast = ou_noise(rng, len(seconds), config.hr_noise_sd, config.hr_noise_tau_s)
    freq = rng.uniform(*config.hr_wave_hz)
    phase = rng.uniform(0, 2 * math.pi)
    wave = config.hr_wave_bpm * np.sin(2 * math.pi * freq * seconds + phase)
    return trend + fast + wave


def hr_at(
    rng: np.random.Generator, times: np.ndarray, grid_t: np.ndarray, hr_true: np.ndarray, config: DeviceConfig
) -> np.ndarray:
    """HR at sparse times (minutes apart): the same distribution as `hr_per_second` at those times.

    The short-term variability decorrelates within seconds, so readings minutes apart are independent
    draws from its stationary distribution; used by the cohort, which needs HR only at cuff times.
    """
    trend = _interp(times, grid_t, hr_true)
    fast = rng.standard_normal(len(times)) * config.hr_noise_sd
    wave = config.hr_wave_bpm * np.sin(rng.uniform(0, 2 * math.pi, len(times)))
    return np.rint(trend + fast + wave)


def temperature(
    rng: np.random.Generator, duration_s: float, grid_t: np.ndarray, temp_true: np.ndarray, config: DeviceConfig
) -> tuple[np.ndarray, np.ndarray]:
    times = np.arange(0.0, duration_s, config.temp_interval_s)
    values = _interp(times, grid_t, temp_true) + rng.standard_normal(len(times)) * config.temp_sd
    return times, np.round(values, 1)


def spo2_per_second(
    rng: np.random.Generator, seconds: np.ndarray, grid_t: np.ndarray, spo2_true: np.ndarray, config: DeviceConfig
) -> np.ndarray:
    values = _interp(seconds, grid_t, spo2_true) + ou_noise(rng, len(seconds), config.spo2_sd, 5.0)
    return np.minimum(np.rint(values), 100.0)
