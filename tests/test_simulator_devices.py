"""Device sampling: the cuff schedule, repeats after a breach, failures, temperature, HR, SpO2."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.core.vitals import artifact_flags
from simulators import simulate
from simulators.artifacts import ArtifactConfig, Forced
from simulators.devices import CuffSchedule, DeviceConfig, ou_noise, run_cuff
from simulators.model import HOUR, MINUTE
from simulators.scenarios import BASELINE_S, get_scenario


def _flat_cuff(sbp: float, dbp: float, duration=8 * HOUR, config=DeviceConfig(), forced=Forced(), seed=0):  # noqa: B008 - frozen
    grid = np.arange(0, duration + 61, 60.0)
    return run_cuff(
        np.random.default_rng(seed), np.random.default_rng(seed + 1), grid,
        np.full(len(grid), sbp), np.full(len(grid), dbp), duration, BASELINE_S, config, forced,
    )  # fmt: skip


def test_cuff_every_15_min_for_4h_after_the_dose_then_every_30():
    s = simulate("typical", 4)
    times = s.cuff.times
    assert times[0] == 0
    gaps = np.diff(times)
    dense = times[:-1] < BASELINE_S + 4 * HOUR
    assert set(gaps[dense].tolist()) == {15 * MINUTE}
    assert set(gaps[~dense].tolist()) == {30 * MINUTE}
    # and the CSV has exactly those cuff rows
    np.testing.assert_array_equal(s.t[~np.isnan(s.columns["sbp"])], times)


def test_a_reading_over_the_limit_asks_for_a_repeat_in_5_minutes():
    s = simulate("hypertensive", 2)
    cuff = s.cuff
    for i in range(len(cuff.times) - 1):
        gap = cuff.times[i + 1] - cuff.times[i]
        if cuff.sbp[i] >= 160 or cuff.dbp[i] >= 100:
            assert gap == 5 * MINUTE
        else:
            assert gap in (15 * MINUTE, 30 * MINUTE)
    assert np.sum(np.diff(cuff.times) == 5 * MINUTE) >= 6


def test_schedule_is_configurable():
    sched = CuffSchedule(dense_interval_s=10 * MINUTE, sparse_interval_s=20 * MINUTE, dense_for_s=1 * HOUR,
                         repeat_interval_s=2 * MINUTE, repeat_sbp=140)  # fmt: skip
    cuff = _flat_cuff(130, 80, duration=3 * HOUR, config=DeviceConfig(cuff=sched, cuff_sbp_sd=0.0))
    gaps = np.diff(cuff.times)
    assert set(gaps[cuff.times[:-1] < BASELINE_S + HOUR].tolist()) == {10 * MINUTE}
    assert set(gaps[cuff.times[:-1] >= BASELINE_S + HOUR].tolist()) == {20 * MINUTE}
    high = _flat_cuff(150, 80, duration=1 * HOUR, config=DeviceConfig(cuff=sched, cuff_sbp_sd=0.0))
    assert set(np.diff(high.times).tolist()) == {2 * MINUTE}
    assert sched.next_time(0, None, 120, 105, "ok") == 2 * MINUTE  # DBP >= 100 repeats too


def test_failed_readings_and_retry():
    forced = Forced(cuff_failures=((HOUR, 2),))
    cuff = _flat_cuff(120, 75, forced=forced)
    failed = cuff.times[[s == "failed" for s in cuff.status]]
    assert failed.tolist() == [HOUR, HOUR + 15 * MINUTE]
    assert np.isnan(cuff.sbp[[s == "failed" for s in cuff.status]]).all()
    retry = DeviceConfig(cuff=CuffSchedule(retry_after_fail_s=60.0))
    cuff = _flat_cuff(120, 75, config=retry, forced=forced)
    failed = cuff.times[[s == "failed" for s in cuff.status]]
    assert failed.tolist() == [HOUR, HOUR + 60]


def test_random_cuff_artifacts_never_leave_a_stale_gap():
    config = DeviceConfig(artifacts=ArtifactConfig(cuff_fail_prob=0.5, cuff_zero_prob=0.5))
    for seed in range(10):
        cuff = _flat_cuff(120, 75, config=config, seed=seed)
        assert "failed" in cuff.status
        valid = cuff.times[cuff.ok()]
        assert np.max(np.diff(valid)) <= 35 * MINUTE


def test_cuff_noise_and_map():
    cuff = _flat_cuff(120, 75)
    assert abs(np.mean(cuff.sbp) - 120) < 3 and 1.0 < np.std(cuff.sbp) < 6
    assert np.all(np.abs(cuff.sbp - 120) <= 10)  # truncated at 2.5 sd
    np.testing.assert_array_equal(cuff.map, np.rint((cuff.sbp + 2 * cuff.dbp) / 3))


def test_temperature_every_30_minutes_with_one_decimal():
    s = simulate("typical", 1)
    has = ~np.isnan(s.columns["temp"])
    assert set(np.diff(s.t[has]).tolist()) == {30 * MINUTE}
    temps = s.columns["temp"][has]
    np.testing.assert_array_equal(temps, np.round(temps, 1))


def test_hr_every_second_with_beat_to_beat_variability():
    s = simulate("placebo", 1)
    hr = s.columns["hr"]
    assert not np.isnan(hr).any() and len(hr) == 8 * 3600
    np.testing.assert_array_equal(hr, np.rint(hr))
    step = np.diff(hr)
    assert 0.3 < np.mean(step != 0) < 0.95  # it moves, but not like white noise
    assert np.max(np.abs(step)) <= 6


def test_ou_noise_is_stationary_with_the_given_sd():
    x = ou_noise(np.random.default_rng(0), 200_000, 2.0, 8.0)
    assert np.std(x) == pytest.approx(2.0, rel=0.05)
    lag = np.corrcoef(x[:-8], x[8:])[0, 1]
    assert lag == pytest.approx(np.exp(-1), abs=0.05)


def test_spo2_is_optional():
    assert np.isnan(simulate("typical", 1).columns["spo2"]).all()
    s = simulate("typical", 1, spo2=True)
    spo2 = s.columns["spo2"]
    assert np.nanmin(spo2) >= 93 and np.nanmax(spo2) <= 100
    # the physiology of the same seed does not change when SpO2 is switched on
    np.testing.assert_array_equal(s.columns["sbp"], simulate("typical", 1).columns["sbp"])


def test_artifacts_are_flagged_by_the_core_plausibility_check():
    s = simulate("artifacts", 1)
    flags = artifact_flags(s.columns)
    assert flags["hr"].any() and flags["sbp"].any() and flags["dbp"].any() and flags["map"].any()
    clean = simulate("typical", 1)
    assert not any(f.any() for f in artifact_flags(clean.columns).values())


def test_hr_artifact_rates_are_configurable():
    sc = get_scenario("typical").with_device(artifacts=ArtifactConfig(hr_spikes_per_h=10, hr_dropouts_per_h=10))
    s = simulate(sc, 3)
    n_spikes = sum(1 for a in s.hr_artifacts if a.kind in ("spike", "zero"))
    n_drops = sum(1 for a in s.hr_artifacts if a.kind == "dropout")
    assert 50 <= n_spikes <= 110 and 50 <= n_drops <= 110
    starts = np.array([a.start for a in s.hr_artifacts])
    assert np.min(np.diff(starts)) >= 60
