"""The MDMA dosing-session simulator: PK/PD model, devices, artifacts, scenarios, writers.

No UI imports here. Typical use:

    from simulators import simulate, SCENARIOS
    session = simulate("typical", seed=7)          # a SimSession (numpy columns, events, truth)

The command line is `vitals-monitor simulate` (monitor/commands/simulate.py).
"""

from simulators.generate import SimSession, simulate
from simulators.model import Dose
from simulators.scenarios import SCENARIOS, Scenario, get_scenario, scenario_names

__all__ = ["SCENARIOS", "Dose", "Scenario", "SimSession", "get_scenario", "scenario_names", "simulate"]
