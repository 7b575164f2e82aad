"""Every scenario's characteristic, and its expected_alarms under a plain reading of the default limits.

`_limits_tripped` is a deliberately simple stand-in for the alarm engine (which is tested on its own
against these scenarios): cuff readings are single events, HR must hold 10 s, temperature per
reading, shock index at cuff readings with the HR of the same second, stale = a gap between
plausible readings (HR > 10 s, cuff BP > 35 min), artifact = a value outside the plausible range.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from monitor.core.vitals import row_artifacts
from simulators import SCENARIOS, simulate
from simulators.model import HOUR, MINUTE
from simulators.scenarios import BASELINE_S, SUPPLEMENT_AFTER_S, get_scenario

SEEDS = (1, 2, 3, 4, 5)
DIRECTIONS = {"upper", "lower", "stale", "artifact"}
VITAL_NAMES = {"hr", "sbp", "dbp", "map", "spo2", "temp", "rr", "si", "bp"}


@pytest.fixture(scope="module")
def session():
    """simulate(name, seed), each pair run once in this module (most are checked by two tests; none
    changes a session), and let go with the module."""
    return functools.cache(simulate)


def _runs(mask: np.ndarray, t: np.ndarray) -> list[tuple[float, float]]:
    """(first time, last time) of each run of consecutive seconds where mask holds."""
    idx = np.flatnonzero(mask)
    if not len(idx):
        return []
    breaks = np.flatnonzero((np.diff(idx) != 1) | (np.diff(t[idx]) > 1))
    starts = np.r_[0, breaks + 1]
    ends = np.r_[breaks, len(idx) - 1]
    return [(t[idx[s]], t[idx[e]]) for s, e in zip(starts, ends, strict=True)]


def _limits_tripped(session) -> set[tuple[str, str]]:
    t, c = session.t, session.columns
    out: set[tuple[str, str]] = set()
    hr = c["hr"]
    has_hr = ~np.isnan(hr)
    bad_hr = has_hr & ((hr < 20) | (hr > 250))
    if bad_hr.any():
        out.add(("hr", "artifact"))
    good = has_hr & ~bad_hr
    tg, hg = t[good], hr[good]
    if len(tg) > 1 and np.max(np.diff(tg)) > 10:
        out.add(("hr", "stale"))
    for cond, direction in ((hg >= 110, "upper"), (hg <= 50, "lower")):
        if any(b - a >= 10 for a, b in _runs(cond, tg)):
            out.add(("hr", direction))
    valid_cuff = []
    for i in np.flatnonzero(~np.isnan(c["sbp"])):
        values = {"sbp": c["sbp"][i], "dbp": c["dbp"][i], "map": c["map"][i]}
        bad = row_artifacts(values)
        out.update((name, "artifact") for name in bad)
        if bad:
            continue
        valid_cuff.append(t[i])
        s, d, m = values["sbp"], values["dbp"], values["map"]
        out.update({("sbp", "upper")} if s >= 160 else set())
        out.update({("sbp", "lower")} if s <= 100 else set())
        out.update({("dbp", "upper")} if d >= 100 else set())
        out.update({("dbp", "lower")} if d <= 50 else set())
        out.update({("map", "upper")} if m > 110 else set())
        out.update({("map", "lower")} if m < 65 else set())
        h = hr[i]
        if h == h and 20 <= h <= 250 and h / s > 0.9:
            out.add(("si", "upper"))
    if len(valid_cuff) > 1 and np.max(np.diff(valid_cuff)) > 35 * MINUTE:
        out.add(("bp", "stale"))
    temp = c["temp"][~np.isnan(c["temp"])]
    if np.any(temp >= 38.0):
        out.add(("temp", "upper"))
    if np.any(temp <= 35.5):
        out.add(("temp", "lower"))
    return out


def test_the_named_scenarios_exist_and_are_documented():
    assert set(SCENARIOS) == {
        "typical", "no-supplement", "placebo", "hypertensive", "tachycardic", "hyperthermic",
        "late-hypotension", "sensor-dropout", "artifacts",
    }  # fmt: skip
    for sc in SCENARIOS.values():
        assert sc.title and sc.description
        assert isinstance(sc.expected_alarms, frozenset)
        for vital, direction in sc.expected_alarms:
            assert vital in VITAL_NAMES and direction in DIRECTIONS
        assert sc.doses[0].t == BASELINE_S and sc.doses[0].kind == "initial"


def test_quiet_scenarios_expect_no_alarm():
    for name in ("typical", "no-supplement", "placebo"):
        assert get_scenario(name).expected_alarms == frozenset()
    assert ("sbp", "upper") in get_scenario("hypertensive").expected_alarms


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_expected_alarms_hold_for_several_seeds(session, name):
    sc = get_scenario(name)
    for seed in SEEDS:
        assert _limits_tripped(session(name, seed)) == set(sc.expected_alarms), f"{name} seed {seed}"


def test_unknown_scenario_names_the_choices():
    with pytest.raises(KeyError, match="choose one of: typical"):
        get_scenario("typcal")


def _cuff(session):
    c = session.columns
    ok = ~np.isnan(c["sbp"]) & (c["sbp"] > 0)
    return session.t[ok], c["sbp"][ok], c["dbp"][ok], c["hr"][ok]


def test_typical_peaks_1_to_2h_after_the_dose_with_a_shoulder_after_the_supplement(session):
    s = session("typical", 3)
    t, sbp, _, _ = _cuff(s)
    after = t >= BASELINE_S
    peak_t = (t[after][np.argmax(sbp[after])] - BASELINE_S) / HOUR
    assert 0.75 <= peak_t <= 2.75
    base = np.median(sbp[t < BASELINE_S])
    assert sbp.max() - base > 12  # a visible response
    doses = [(d.kind, d.mg) for d in s.doses]
    assert doses == [("initial", 120.0), ("supplemental", 60.0)]
    assert s.doses[1].t - s.doses[0].t == SUPPLEMENT_AFTER_S


def test_placebo_has_no_drug_response(session):
    s = session("placebo", 2)
    assert s.physiology.cp.max() == 0.0
    assert s.doses[0].mg == 0.0
    hr = s.columns["hr"]
    assert np.nanmax(hr) < 90


def test_no_supplement_has_one_dose(session):
    assert [d.kind for d in session("no-supplement", 1).doses] == ["initial"]


@pytest.mark.parametrize("seed", SEEDS)
def test_hypertensive_reaches_sbp_180_to_200(session, seed):
    s = session("hypertensive", seed)
    _, sbp, dbp, _ = _cuff(s)
    assert 180 <= sbp.max() <= 200
    assert dbp.max() >= 100
    assert [d.kind for d in s.doses] == ["initial"]  # supplement withheld
    assert any("withheld" in text for _, text in s.notes)


@pytest.mark.parametrize("seed", SEEDS)
def test_tachycardic_hr_130_to_150(session, seed):
    s = session("tachycardic", seed)
    hr = s.columns["hr"]
    per_minute = np.nanmedian(hr[: len(hr) // 60 * 60].reshape(-1, 60), axis=1)
    assert 130 <= per_minute.max() <= 150
    _, sbp, _, _ = _cuff(s)
    assert sbp.max() < 160


@pytest.mark.parametrize("seed", SEEDS)
def test_hyperthermic_38_to_38_5(session, seed):
    s = session("hyperthermic", seed)
    temp = s.columns["temp"][~np.isnan(s.columns["temp"])]
    assert 38.0 <= temp.max() <= 38.6
    assert np.median(temp[-6:]) >= 37.8  # and it lasts


@pytest.mark.parametrize("seed", SEEDS)
def test_late_hypotension_shock_index_above_0_9_in_the_come_down(session, seed):
    s = session("late-hypotension", seed)
    t, sbp, _, hr = _cuff(s)
    late = t >= BASELINE_S + 4.5 * HOUR
    early = (t >= BASELINE_S) & (t < BASELINE_S + 3 * HOUR)
    assert np.max(hr[late] / sbp[late]) > 0.9
    assert np.max(hr[early] / sbp[early]) < 0.9
    assert np.median(hr[late]) >= 90  # HR stays high while SBP falls
    assert sbp[late].min() <= 100


@pytest.mark.parametrize("seed", SEEDS)
def test_sensor_dropout_has_a_2_minute_hr_gap_and_two_failed_cuff_readings(session, seed):
    s = session("sensor-dropout", seed)
    hr_t = s.t[~np.isnan(s.columns["hr"])]
    gaps = np.diff(hr_t)
    assert gaps.max() == 121  # 120 silent seconds between two readings
    assert np.sum(gaps > 1) == 1
    failed = s.failed_cuff_times()
    assert len(failed) == 2
    assert np.diff(failed).tolist() == [15 * MINUTE]
    t, *_ = _cuff(s)
    assert np.max(np.diff(t)) == 45 * MINUTE


@pytest.mark.parametrize("seed", SEEDS)
def test_artifacts_are_present_flaggable_and_short(session, seed):
    s = session("artifacts", seed)
    kinds = {span.kind for span in s.hr_artifacts}
    assert {"spike", "dropout"} <= kinds or {"zero", "dropout"} <= kinds
    assert all(span.length <= 8 for span in s.hr_artifacts)
    assert "zero" in s.cuff.status
    zero_rows = s.columns["sbp"] == 0
    assert np.all(s.columns["dbp"][zero_rows] == 0) and np.all(s.columns["map"][zero_rows] == 0)


def test_dose_override_scales_the_supplement():
    s = simulate("typical", 1, dose_mg=80)
    assert [(d.kind, d.mg) for d in s.doses] == [("initial", 80.0), ("supplemental", 40.0)]
    assert [(d.kind, d.mg) for d in simulate("placebo", 1, dose_mg=125).doses] == [("initial", 125.0)]
