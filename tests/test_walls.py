"""The walls of docs/architecture.md, checked in a fresh interpreter each: by imports and by running code."""

import functools
import subprocess
import sys

import pytest

from tests.conftest import ROOT

CHECK = """
import sys, importlib
for name in {modules!r}:
    importlib.import_module(name)
print(",".join(sorted(m for m in {forbidden!r} if m in sys.modules)))
"""

HEADLESS_RUN = r"""
import sys, tempfile
from pathlib import Path

from monitor.core.thresholds_loader import load_thresholds
from monitor.recording import load_session
from monitor.recording.alarm_source import alarm_source, recompute, session_limits
from monitor.session import ManualClock, Session
from monitor.session.replay import ReplayController
from monitor.sources.follow import FileFeed
from monitor.sources.replay import ReplaySource
from monitor.sources.simulated import SimulatedFeed, SimulatorFeed

tmp = Path(tempfile.mkdtemp())
th = load_thresholds()
# A headless bedside: the simulator through the live session, recorded, a key or two.
clock = ManualClock(wall=1_795_856_400.0)
feed = SimulatorFeed(SimulatedFeed("hypertensive", seed=3, speed=600.0, start=1_795_856_400.0, duration_s=3600))
s = Session(feed, th, folder=tmp / "rec", clock=clock, user="walls")
s.start()
for k in range(40):
    clock.advance(0.25)
    s.poll()
    if k == 10:
        s.give_dose("initial", 120.0)
    if k == 20 and any(a.state == "active" for a in s.alarms()):
        s.acknowledge()
    s.supplement(); s.stale_vitals(); s.audible_rank(); s.repeat_request()
s.stop()
rs = load_session(tmp / "rec")
log = recompute(rs, session_limits(rs).thresholds)
alarm_source(rs)
# Resume it, follow a file, replay it to the end.
s2 = Session(feed, rs.stored_thresholds(), folder=tmp / "rec", clock=clock, resume=rs)
s2.start(); s2.stop()
csv = tmp / "bed.csv"
csv.write_text("time,hr\n" + "".join(f"{1_795_856_400 + i},{70 + i % 5}\n" for i in range(30)))
f = Session(FileFeed(csv), th, folder=None, clock=clock, record=False)
f.start(); f.poll(); clock.advance(1); f.poll(); f.stop()
rc = ReplayController(ReplaySource(load_session(tmp / "rec"), speed=float("inf")), th, clock=clock)
while not rc.src.at_end:
    rc.poll()
rc.seek(rc.src.start + 600)
assert len(rs.store) > 100 and len(rc.session.store) > 0
print(",".join(sorted(m for m in {forbidden!r} if m in sys.modules)))
"""

CORE_RUN = r"""
import sys, importlib
from monitor.core.alarm_engine import AlarmEngine
from monitor.core.alarm_log import format_log
from monitor.core.dosing import supplement_status
from monitor.core.readings import Reading, VitalStore
from monitor.core.stale_fit import fit_stale_rules
from monitor.core.thresholds_loader import load_thresholds

th = load_thresholds()
st = VitalStore()
for i in range(600):
    hr = 80 + (60 if 200 < i < 300 else 0)
    st.append(Reading(1_795_856_400.0 + i, hr=hr, sbp=170 if i % 300 == 0 else float("nan")))
th, _ = fit_stale_rules(th, st)
e = AlarmEngine(th)
log = e.run(st, [])
format_log(log, "table", absolute=True)
supplement_status([], 0.0, th.supplement, {{}})
others = sorted(m for m in sys.modules if m.startswith("monitor.") and not m.startswith("monitor.core"))
others = [m for m in others if m != "monitor.__main__"]
print(",".join(sorted(m for m in {forbidden!r} if m in sys.modules) + others))
"""


# What a fresh interpreter importing some modules is asked about: every test's forbidden packages.
WATCHED = ("plotly", "textual")


@functools.cache  # one interpreter per list of modules: two tests import those of monitor.core
def _watched_loaded(modules: tuple[str, ...]) -> frozenset[str]:
    return frozenset(run(CHECK.format(modules=list(modules), forbidden=list(WATCHED))).split(",")) - {""}


def loaded(modules, forbidden):
    assert set(forbidden) <= set(WATCHED), forbidden
    return ",".join(sorted(_watched_loaded(tuple(modules)) & set(forbidden)))


def run(code):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def package_modules(pkg):
    return [
        str(p.relative_to(ROOT).with_suffix("")).replace("/", ".")
        for p in (ROOT / pkg.replace(".", "/")).rglob("*.py")
        if p.name != "__main__.py"
    ]


@pytest.mark.parametrize(
    "pkg",
    [
        "monitor.core",
        "monitor.recording",
        "monitor.sources",
        "monitor.session",
        "monitor.report",
        "monitor.publish",
        "simulators",
        "monitor.cohort",
    ],
)
def test_no_textual_outside_the_ui(pkg):
    assert loaded(package_modules(pkg), ["textual"]) == ""


def test_core_loads_neither_plotly_nor_textual_nor_any_other_monitor_package():
    found = loaded(package_modules("monitor.core"), ["plotly", "textual"])
    assert found == ""
    assert run(CORE_RUN.format(forbidden=["plotly", "textual"])) == ""


def test_a_headless_session_recording_resume_and_replay_run_without_textual():
    # The code paths, not only the imports: a bedside without a screen must be possible.
    assert run(HEADLESS_RUN.replace("{forbidden!r}", repr(["textual", "plotly"]))) == ""


def test_the_cli_parser_loads_neither_textual_nor_plotly():
    # Start-up of headless commands such as `alarms` must not pay for the UI or the report.
    assert loaded(["monitor.commands.main"], ["plotly", "textual"]) == ""
