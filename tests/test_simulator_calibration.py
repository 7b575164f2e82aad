"""The calibration the model has to earn: Vizeli & Liechti 2017 at 125 mg, 75 mg clearly lower."""

from __future__ import annotations

import pytest

from simulators.cohort import TARGETS, format_table, run_cohort

N = 300
SEED = 1


@pytest.fixture(scope="module")
def cohorts():
    return {dose: run_cohort(N, dose, SEED) for dose in (75.0, 125.0)}


def test_125_mg_lands_within_8_points_of_vizeli_2017(cohorts):
    r = cohorts[125.0]
    assert abs(r.share_sbp - TARGETS["sbp"]) <= 0.08
    assert abs(r.share_hr - TARGETS["hr"]) <= 0.08
    assert abs(r.share_temp - TARGETS["temp"]) <= 0.08


def test_75_mg_is_clearly_lower(cohorts):
    low, high = cohorts[75.0], cohorts[125.0]
    assert low.share_sbp < high.share_sbp - 0.08
    assert low.share_hr < high.share_hr - 0.08
    assert low.share_temp < high.share_temp - 0.05


def test_median_peaks_between_1_and_2_h(cohorts):
    for r in cohorts.values():
        assert 1.0 <= r.median_peak_hr_h <= 2.0
        assert 1.0 <= r.median_peak_sbp_h <= 2.0


def test_cohort_is_reproducible_and_the_table_prints(cohorts):
    again = run_cohort(50, 125.0, SEED)
    assert again == run_cohort(50, 125.0, SEED)
    table = format_table(list(cohorts.values()))
    assert "SIMULATED" in table and "125 mg" in table and "75 mg" in table and "Vizeli" in table
