"""A store filled in one go is sized to the recording; it still grows for the readings after."""

from __future__ import annotations

import numpy as np

from monitor.core.readings import Reading, VitalStore


def test_a_store_extended_when_empty_still_takes_more_readings() -> None:
    s = VitalStore()
    n = 5000  # more than a new store holds
    s.extend(np.arange(n, dtype=float), {"hr": np.full(n, 70.0)})
    assert len(s._t) == n  # exactly the recording: no room for a doubling's empty half
    s.append(Reading(float(n), hr=71.0))
    s.extend(np.arange(n + 1, n + 3, dtype=float), {"hr": np.array([72.0, 73.0])})
    assert len(s) == n + 3
    assert s.column("hr")[n - 1 :].tolist() == [70.0, 71.0, 72.0, 73.0]
    assert s.t[-1] == n + 2
    assert np.isnan(s.column("spo2")).all()
