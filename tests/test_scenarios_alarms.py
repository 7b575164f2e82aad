"""Every simulator scenario through the alarm engine, the way `vitals-monitor alarms` runs it:
each trips its documented alarms, and only those, under the default thresholds.toml."""

import pytest

from monitor.commands.main import main
from monitor.core.alarm_engine import AlarmEngine
from monitor.core.stale_fit import fit_stale_rules
from monitor.core.thresholds_loader import load_thresholds
from monitor.recording import load_session
from simulators.scenarios import SCENARIOS


def fired(csv_path):
    session = load_session(csv_path)
    th, _ = fit_stale_rules(load_thresholds(), session.store)
    log = AlarmEngine(th).run(session.store, session.controls())
    out = set()
    for e in log:
        if e.state == "active":
            vital, kind = e.alarm.split(".", 1)
            out.add((vital, kind))
    return out


@pytest.mark.slow  # 27 eight-hour sessions simulated and run through the engine
@pytest.mark.parametrize("name", sorted(SCENARIOS))
@pytest.mark.parametrize("seed", [1, 7, 42])
def test_scenario_trips_exactly_its_alarms(tmp_path, name, seed):
    out = tmp_path / f"{name}.csv"
    assert main(["simulate", "--scenario", name, "--seed", str(seed), "--duration", "8h", "--out", str(out)]) == 0
    assert fired(out) == set(SCENARIOS[name].expected_alarms)
