"""Artifacts: what real recordings contain besides physiology.

- HR motion spikes: a burst of 2-8 s of erratic values, each burst containing implausible values
  (0 when the probe loses the pulse, or 255-320 when motion is counted as beats). Implausible values
  are kept in the record and flagged by `monitor.core.vitals`, never silently dropped.
- HR dropouts: seconds with no HR at all (2-8 s by default, shorter than the 10 s HR stale limit).
- Cuff readings of zero (0/0, MAP 0) and failed cuff readings (no values at all).

Rates are configurable. By default random artifacts are placed so that they cannot cause a limit
alarm or a stale alarm by themselves: bursts stay short, keep 60 s apart and clear of cuff readings
(so a shock index is never computed from a spike), and random cuff zeros/failures never leave a gap
between valid cuff readings longer than `cuff_gap_limit_s`. Deliberate failures (a sensor dropout
scenario) are `Forced` events and ignore those guards.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ArtifactConfig:
    hr_spikes_per_h: float = 0.0
    hr_spike_s: tuple[int, int] = (2, 8)  # burst length range, seconds (inclusive)
    hr_zero_share: float = 0.4  # share of bursts that read 0 instead of erratic high values
    hr_dropouts_per_h: float = 0.0
    hr_dropout_s: tuple[int, int] = (2, 8)
    cuff_zero_prob: float = 0.0  # per cuff reading
    cuff_fail_prob: float = 0.0  # per cuff reading
    cuff_gap_limit_s: float | None = 2100.0  # random cuff artifacts never leave a longer valid gap
    min_separation_s: float = 60.0  # between HR artifact windows
    cuff_clearance_s: float = 20.0  # HR artifacts stay this far from cuff readings

    @property
    def any_hr(self) -> bool:
        return self.hr_spikes_per_h > 0 or self.hr_dropouts_per_h > 0


@dataclass(frozen=True)
class Forced:
    """Artifacts a scenario places on purpose (times in seconds since the session start)."""

    hr_gaps: tuple[tuple[float, float], ...] = ()  # (start, length): no HR readings
    cuff_failures: tuple[tuple[float, int], ...] = ()  # the first `count` cuff readings at or after t fail
    cuff_zeros: tuple[float, ...] = ()  # the first cuff reading at or after t reads 0/0


@dataclass(frozen=True)
class HrArtifactSpan:
    start: int  # first second affected
    length: int
    kind: str  # "spike", "zero" or "dropout"


def _place(
    rng: np.random.Generator,
    count: int,
    length_range: tuple[int, int],
    duration_s: int,
    taken: list[tuple[int, int]],
    separation: float,
    avoid: np.ndarray,
    clearance: float,
) -> list[tuple[int, int]]:
    """Up to `count` windows (start, length) that keep clear of `taken` and of the `avoid` points."""
    placed: list[tuple[int, int]] = []
    lo_len, hi_len = length_range
    for _ in range(count):
        for _attempt in range(50):
            length = int(rng.integers(lo_len, hi_len + 1))
            hi = duration_s - length - 60
            if hi <= 60:
                break
            start = int(rng.integers(60, hi))
            end = start + length
            if any(start < e + separation and s < end + separation for s, e in taken):
                continue
            if len(avoid) and np.any((avoid > start - clearance) & (avoid < end + clearance)):
                continue
            taken.append((start, end))
            placed.append((start, length))
            break
    return placed


def apply_hr_artifacts(
    rng: np.random.Generator,
    hr: np.ndarray,
    present: np.ndarray,
    duration_s: int,
    config: ArtifactConfig,
    forced: Forced,
    cuff_times: np.ndarray,
) -> list[HrArtifactSpan]:
    """Modify the 1 Hz `hr` values and `present` mask in place; return what was done."""
    spans: list[HrArtifactSpan] = []
    taken: list[tuple[int, int]] = []
    for start, length in forced.hr_gaps:
        s, n = int(start), int(length)
        present[s : s + n] = False
        taken.append((s, s + n))
        spans.append(HrArtifactSpan(s, n, "dropout"))
    hours = duration_s / 3600.0
    n_spikes = int(rng.poisson(config.hr_spikes_per_h * hours)) if config.hr_spikes_per_h > 0 else 0
    n_drop = int(rng.poisson(config.hr_dropouts_per_h * hours)) if config.hr_dropouts_per_h > 0 else 0
    sep, clear = config.min_separation_s, config.cuff_clearance_s
    for start, length in _place(rng, n_spikes, config.hr_spike_s, duration_s, taken, sep, cuff_times, clear):
        sl = slice(start, start + length)
        if rng.random() < config.hr_zero_share:
            hr[sl] = 0.0
            spans.append(HrArtifactSpan(start, length, "zero"))
        else:
            values = hr[sl] + rng.uniform(50.0, 200.0, length)
            values[int(rng.integers(0, length))] = rng.uniform(255.0, 320.0)
            hr[sl] = np.minimum(values, 320.0)
            spans.append(HrArtifactSpan(start, length, "spike"))
        present[sl] = True
    for start, length in _place(rng, n_drop, config.hr_dropout_s, duration_s, taken, sep, cuff_times, clear):
        present[start : start + length] = False
        spans.append(HrArtifactSpan(start, length, "dropout"))
    spans.sort(key=lambda s: s.start)
    return spans
