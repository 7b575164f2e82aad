"""`vitals-monitor live` and `demo`: arguments, one-sentence errors (exit 2), resume planning.

The app itself is not started here (see test_ui_app.py); `_plan` builds what it would run.
"""

from __future__ import annotations

import argparse
import json

import pytest

from monitor.commands import live as command
from monitor.commands.main import build_parser, main
from monitor.commands.options import UsageError
from monitor.core.readings import Reading
from monitor.session import ManualClock, Session
from monitor.sources.follow import FileFeed
from monitor.sources.simulated import SimulatorFeed
from tests.support.ui import T0, TH, ListFeed


def parse(*argv) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


@pytest.mark.parametrize(
    "argv, words",
    [
        (["live"], "give a CSV file to follow"),
        (["live", "--simulate", "nope"], "unknown scenario 'nope'"),
        (["live", "--simulate", "typical", "--speed", "0"], "--speed must be more than 0"),
        (["live", "x.csv", "--simulate", "typical"], "not both"),
        (["live", "x.csv", "--seed", "3"], "go with --simulate"),
        (["live", "/no/such/dir/x.csv"], "does not exist"),
        (["live", "--resume", "."], "not a recorded session"),
        (["demo", "--thresholds", "/no/such.toml"], "no such file"),
    ],
)
def test_user_errors_are_one_sentence_and_exit_2(argv, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_live_plans_a_followed_file_with_a_default_recording_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan = command._plan(parse("live", str(tmp_path / "bed3.csv"), "--label", "Bed 3"))
    assert isinstance(plan["feed"], FileFeed) and plan["feed"].mode == "LIVE"
    assert plan["label"] == "Bed 3"
    assert plan["folder"].parent.name == "sessions" and plan["folder"].name.endswith("-Bed-3")
    assert plan["resume"] is None


def test_a_followed_csv_with_a_simulated_side_file_is_labelled_simulated(tmp_path):
    (tmp_path / "sim.csv").write_text("time,hr\n0,70\n")
    (tmp_path / "sim.session.json").write_text(json.dumps({"simulated": True}))
    plan = command._plan(parse("live", str(tmp_path / "sim.csv"), "--no-record"))
    assert plan["feed"].mode == "SIMULATED" and plan["folder"] is None


def test_demo_is_the_typical_scenario_at_30x(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = parse("demo")
    args.input, args.simulate, args.resume, args.column = None, args.scenario, None, None
    plan = command._plan(args)
    feed = plan["feed"]
    assert isinstance(feed, SimulatorFeed) and feed.mode == "SIMULATED"
    assert feed.feed.scenario == "typical" and feed.feed.speed == 30


def _record(tmp_path, stop: bool):
    clock = ManualClock(wall=T0, monotonic=10.0)
    feed = ListFeed()
    (tmp_path / "bed.csv").write_text("time,hr\n")
    feed.meta = lambda: {"follow": str(tmp_path / "bed.csv")}
    s = Session(feed, TH, folder=tmp_path / "sess", clock=clock)
    s.start()
    feed.push(*(Reading(T0 + k, hr=70) for k in range(5)))
    s.poll()
    s.give_dose("initial", 100)
    if stop:
        s.stop()
    return tmp_path / "sess"


def test_live_on_a_session_that_was_never_closed_resumes_it(tmp_path):
    folder = _record(tmp_path, stop=False)
    plan = command._plan(parse("live", str(folder)))
    assert plan["resume"] is not None and plan["folder"] == folder
    assert isinstance(plan["feed"], FileFeed) and plan["feed"].path == tmp_path / "bed.csv"
    assert [d.amount_mg for d in plan["resume"].doses()] == [100]


def test_a_closed_session_is_not_resumed_by_accident(tmp_path, capsys):
    folder = _record(tmp_path, stop=True)
    assert main(["live", str(folder)]) == 2
    assert "was ended at" in capsys.readouterr().err
    plan = command._plan(parse("live", "--resume", str(folder)))  # deliberately: allowed
    assert plan["resume"] is not None
    with pytest.raises(UsageError, match="--thresholds"):
        command._plan(parse("live", "--resume", str(folder), "--thresholds", "x.toml"))


def test_an_unwritable_recording_folder_is_said_before_the_screen_opens(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["live", "--simulate", "typical", "--record", str(tmp_path / "file" / "sub")]) == 2
    assert "cannot record in" in capsys.readouterr().err


def test_record_into_an_existing_session_is_refused(tmp_path):
    folder = _record(tmp_path, stop=False)
    with pytest.raises(UsageError, match="already holds a session"):
        command._plan(parse("live", "--simulate", "typical", "--record", str(folder)))
