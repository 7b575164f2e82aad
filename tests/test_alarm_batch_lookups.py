"""The batch run's row lookups for long sessions (row lists kept as arrays, sparse columns
bisected) give the same alarm log as feeding every reading: forced here on a short session."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.core import alarm_batch
from monitor.core.alarm_engine import AlarmEngine
from monitor.core.readings import Reading, VitalStore
from monitor.core.thresholds_loader import load_thresholds


def _session(n: int = 4 * 3600, seed: int = 3) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """HR at 1 Hz hovering around its upper limit, a cuff every 5 minutes rising past its own."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    effect = np.clip(np.sin(np.clip((t - 600) / (3 * 3600), 0, 1) * np.pi), 0, None)
    hr = np.round(72 + 42 * effect + rng.normal(0, 3, n))
    sbp = np.full(n, np.nan)
    dbp = np.full(n, np.nan)
    cuff = np.arange(0, n, 300)
    sbp[cuff] = np.round(118 + 60 * effect[cuff] + rng.normal(0, 6, len(cuff)))
    dbp[cuff] = np.round(74 + 28 * effect[cuff] + rng.normal(0, 4, len(cuff)))
    hr[5000:5600] = np.nan  # the HR sensor silent for ten minutes: a "no data" on the last reading's time
    sbp[5000:5600:60] = 150.0  # ... while cuff readings come once a minute
    dbp[5000:5600:60] = 95.0
    return t, {"hr": hr, "sbp": sbp, "dbp": dbp}


@pytest.mark.parametrize(("short", "dense"), [(4, 16), (4, 1_000_000)])
def test_long_session_lookups_give_the_log_of_a_live_feed(monkeypatch, short: int, dense: int) -> None:
    t, cols = _session()
    th = load_thresholds()
    live = AlarmEngine(th)
    for i in range(len(t)):
        live.feed(Reading(float(t[i]), hr=float(cols["hr"][i]), sbp=float(cols["sbp"][i]), dbp=float(cols["dbp"][i])))
    expected = [e.to_dict() for e in live.log]
    assert len(expected) > 20  # the session does move the alarms

    monkeypatch.setattr(alarm_batch, "_SHORT", short)
    monkeypatch.setattr(alarm_batch, "_DENSE", dense)  # 1,000,000: every column counts as sparse
    store = VitalStore()
    store.extend(t, cols)
    assert [e.to_dict() for e in AlarmEngine(th).run(store)] == expected
