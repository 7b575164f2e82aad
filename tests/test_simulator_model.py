"""The PK/PD model: plasma numbers, effect timing, tolerance, vectorisation, speed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulators import simulate
from simulators.model import HOUR, POPULATION, Dose, Subjects, draw_subjects, simulate_physiology


def _typical_subject(n: int = 1) -> Subjects:
    s = draw_subjects(np.random.default_rng(0), n)
    return s.with_overrides(
        {
            "ka": POPULATION.ka[0],
            "ke0": POPULATION.ke0[0],
            "volume_l": POPULATION.volume_l[0],
            "ec50": POPULATION.ec50[0],
        }
    )


def _run(doses, hours=24.0, n=1):
    return simulate_physiology(_typical_subject(n), doses, hours * HOUR, np.random.default_rng(1))


@pytest.mark.parametrize(
    ("mg", "cmax", "tmax_h", "half_life_h"),
    [(75, 131, 2.0, 7.7), (125, 236, 2.0, 8.6)],  # Mas 1999: Cmax 131/236 ng/mL, t1/2 7.7/8.6 h
)
def test_pk_matches_mas_1999(mg, cmax, tmax_h, half_life_h):
    phys = _run([Dose(0, mg)])
    cp = phys.cp[0]
    k = int(np.argmax(cp))
    assert cp[k] == pytest.approx(cmax, rel=0.1)
    assert phys.t[k] / HOUR == pytest.approx(tmax_h, abs=0.4)
    i8, i20 = np.searchsorted(phys.t, [8 * HOUR, 20 * HOUR])
    t_half = math.log(2) * 12.0 / math.log(cp[i8] / cp[i20])
    assert t_half == pytest.approx(half_life_h, abs=0.5)


def test_pk_is_more_than_dose_proportional():
    low = _run([Dose(0, 75)]).cp[0].max()
    high = _run([Dose(0, 125)]).cp[0].max()
    assert high / low > 125 / 75
    # a supplemental half-dose adds more plasma drug than the first dose's share
    single = _run([Dose(0, 120)], hours=8).cp[0]
    both = _run([Dose(0, 120), Dose(2 * HOUR, 60, "supplemental")], hours=8).cp[0]
    extra = (both - single).max()
    assert extra > 0.5 * single.max()


def test_effects_peak_in_1_to_2_h_and_are_mostly_back_by_6h():
    phys = _run([Dose(0, 125)], hours=8)
    drive = phys.drive[0]
    peak = int(np.argmax(drive))
    assert 1.0 <= phys.t[peak] / HOUR <= 2.0
    assert drive[np.searchsorted(phys.t, 6 * HOUR)] < 0.35 * drive[peak]
    # onset: almost nothing in the first 15 min, clearly rising by 45 min
    assert drive[np.searchsorted(phys.t, 0.25 * HOUR)] < 0.15 * drive[peak]
    assert drive[np.searchsorted(phys.t, 0.75 * HOUR)] > 0.4 * drive[peak]


def test_supplement_gives_a_shoulder_not_a_second_peak_of_the_same_height():
    single = _run([Dose(0, 120)], hours=8).drive[0]
    both = _run([Dose(0, 120), Dose(2 * HOUR, 60, "supplemental")], hours=8).drive[0]
    t = _run([Dose(0, 120)], hours=8).t
    after = t >= 2 * HOUR
    assert both[after].max() < both.max() + 1e-9  # never higher than the first peak
    assert both[after].max() < 1.0 * single.max()
    i4 = np.searchsorted(t, 4 * HOUR)
    assert both[i4] > 1.15 * single[i4]  # a longer plateau than without it


def test_vectorised_over_subjects_matches_one_by_one():
    subjects = draw_subjects(np.random.default_rng(3), 4)
    doses = [Dose(1800, 125)]
    together = simulate_physiology(subjects, doses, 4 * HOUR, np.random.default_rng(9))
    assert together.hr.shape == (4, len(together.t))
    # no drift noise -> deterministic, so one subject alone gives the same drive
    from dataclasses import replace

    quiet = replace(subjects, drift_scale=np.zeros(4))
    a = simulate_physiology(quiet, doses, 4 * HOUR, np.random.default_rng(9))
    single = replace(quiet, **{f: getattr(quiet, f)[1:2] for f in quiet.__dataclass_fields__})
    b = simulate_physiology(single, doses, 4 * HOUR, np.random.default_rng(5))
    np.testing.assert_allclose(a.hr[1], b.hr[0])
    np.testing.assert_allclose(a.sbp[1], b.sbp[0])


def test_subject_draws_are_seeded_and_plausible():
    a = draw_subjects(np.random.default_rng(42), 2000)
    b = draw_subjects(np.random.default_rng(42), 2000)
    np.testing.assert_array_equal(a.sbp0, b.sbp0)
    assert 117 < a.sbp0.mean() < 123 and 66 < a.hr0.mean() < 74
    assert 36.6 < a.temp0.mean() < 36.8
    assert np.all(a.dbp0 < a.sbp0 - 20)
    assert 0.2 < np.mean(a.surge > 0) < 0.4


def test_unknown_override_is_refused():
    with pytest.raises(KeyError, match="unknown subject parameter"):
        draw_subjects(np.random.default_rng(0), 1).with_overrides({"nope": 1.0})


def test_an_8h_session_generates_its_rows():
    # How long it takes is benchmarks/bench_calibration.py's figure, not a test's.
    session = simulate("artifacts", 2, 8 * HOUR)
    assert len(session) >= 8 * 3600 - 200
